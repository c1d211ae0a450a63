//! `witzo admin plan …`: plans' limits, feature flags and prices.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use witzo_store::plans::Plan;
use witzo_store::{Store, StoreError};

use crate::cli::args::{PlanChanges, PlanCommand};
use crate::cli::output::{Format, limit_text};

/// A plan as `plan list`, `create` and `set` print it with `--json`.
#[derive(Serialize)]
struct PlanView {
    id: String,
    name: String,
    /// Order on the Billing page.
    position: i64,
    /// Per month; null: custom pricing.
    price_cents: Option<i64>,
    /// Each limit: null is unlimited.
    conversations: Option<i64>,
    pages: Option<i64>,
    documents: Option<i64>,
    leads: Option<i64>,
    widgets: Option<i64>,
    /// Every flag by name, on or off.
    features: BTreeMap<&'static str, bool>,
    /// The payment provider's price ids ('' when not sold online).
    price_monthly: String,
    price_yearly: String,
}

impl From<Plan> for PlanView {
    fn from(p: Plan) -> Self {
        Self {
            features: p.features.named().into_iter().collect(),
            id: p.id,
            name: p.name,
            position: p.position,
            price_cents: p.price_cents,
            conversations: p.conversations,
            pages: p.pages,
            documents: p.documents,
            leads: p.leads,
            widgets: p.widgets,
            price_monthly: p.price_monthly,
            price_yearly: p.price_yearly,
        }
    }
}

pub(super) async fn plan(
    store: &Store,
    command: PlanCommand,
    format: Format,
) -> anyhow::Result<()> {
    match command {
        PlanCommand::List => {
            let plans: Vec<Plan> = store.plans().await?;
            let text = list_text(&plans);
            let views: Vec<PlanView> = plans.into_iter().map(PlanView::from).collect();
            format.print(&views, |_| text)
        }
        PlanCommand::Create { id, name, from } => {
            let mut plan = match store.plan(&from).await {
                Err(StoreError::NotFound) => anyhow::bail!("there is no plan {from:?} to copy"),
                other => other?,
            };
            let top = store.plans().await?.iter().map(|p| p.position).max();
            plan.id = id;
            plan.name = name;
            plan.position = top.unwrap_or(0) + 1;
            plan.price_monthly.clear();
            plan.price_yearly.clear();
            match store.create_plan(&plan).await {
                Err(StoreError::Conflict(_)) => anyhow::bail!("plan {:?} already exists", plan.id),
                other => other?,
            }
            format.print(&PlanView::from(plan), |p| {
                format!("created plan {} ({})\n", p.id, p.name)
            })
        }
        PlanCommand::Set { id, changes } => {
            let mut plan = match store.plan(&id).await {
                Err(StoreError::NotFound) => anyhow::bail!("there is no plan {id:?}"),
                other => other?,
            };
            apply_changes(&mut plan, changes);
            store.update_plan(&plan).await?;
            format.print(&PlanView::from(plan), |p| format!("saved plan {}\n", p.id))
        }
    }
}

fn list_text(plans: &[Plan]) -> String {
    let mut out = format!(
        "{:<12} {:<12} {:>8} {:>13} {:>9} {:>9} {:>9} {:>9}  features\n",
        "id", "name", "price", "conversations", "pages", "documents", "leads", "widgets"
    );
    for p in plans {
        let features: Vec<&str> = p
            .features
            .named()
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
        let _ = writeln!(
            out,
            "{:<12} {:<12} {:>8} {:>13} {:>9} {:>9} {:>9} {:>9}  {}",
            p.id,
            p.name,
            p.price_cents.map_or_else(
                || "custom".to_owned(),
                |c| format!("{:.2}", c as f64 / 100.0)
            ),
            limit_text(p.conversations),
            limit_text(p.pages),
            limit_text(p.documents),
            limit_text(p.leads),
            limit_text(p.widgets),
            features.join(",")
        );
    }
    out
}

/// Applies the options given; values were checked when parsed.
fn apply_changes(plan: &mut Plan, changes: PlanChanges) {
    if let Some(name) = changes.name {
        plan.name = name;
    }
    if let Some(position) = changes.position {
        plan.position = position;
    }
    let limits = [
        (&mut plan.price_cents, changes.price_cents),
        (&mut plan.conversations, changes.conversations),
        (&mut plan.pages, changes.pages),
        (&mut plan.documents, changes.documents),
        (&mut plan.leads, changes.leads),
        (&mut plan.widgets, changes.widgets),
    ];
    for (field, change) in limits {
        if let Some(change) = change {
            *field = change.0;
        }
    }
    for feature in changes.features {
        plan.features.set(&feature.name, feature.on);
    }
    for (field, change) in [
        (&mut plan.price_monthly, changes.price_monthly),
        (&mut plan.price_yearly, changes.price_yearly),
    ] {
        if let Some(price) = change {
            *field = price;
        }
    }
}
