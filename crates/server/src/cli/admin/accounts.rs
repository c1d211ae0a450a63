//! `witzo admin account …` and `witzo admin usage set`.

use std::fmt::Write as _;

use serde::Serialize;
use witzo_store::Store;
use witzo_store::accounts::Account;

use super::{account_by_email, create_account, set_plan};
use crate::cli::args::{AccountCommand, UsageCommand};
use crate::cli::output::{Format, limit_text};
use witzo_app::format;

/// An account, as `create`, `set-plan` and `list` print it with `--json`.
#[derive(Serialize)]
struct AccountView {
    id: i64,
    email: String,
    name: String,
    /// The plan's id.
    plan: String,
    /// Unix seconds.
    created_at: i64,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.get(),
            email: a.email,
            name: a.name,
            plan: a.plan,
            created_at: a.created_at,
        }
    }
}

/// `account show --json`: the plan, subscription, usage and holdings.
#[derive(Serialize)]
struct AccountShow {
    account: AccountView,
    plan: PlanRef,
    /// `active`, `past_due` or `cancelled`.
    status: witzo_store::domain::SubscriptionStatus,
    cancel_at_period_end: bool,
    /// Unix seconds the conversation allowance is renewed.
    renews_at: i64,
    meters: Meters,
    /// The payment provider's ids ('' when none).
    billing: Billing,
}

#[derive(Serialize)]
struct PlanRef {
    id: String,
    name: String,
}

/// What the account holds against each limit of its plan.
#[derive(Serialize)]
struct Meters {
    conversations: Meter,
    pages: Meter,
    documents: Meter,
    leads: Meter,
    widgets: Meter,
}

/// As `GET /api/billing`'s meters: `limit` null is unlimited; `over_limit`
/// counts pages and documents kept over a lowered limit, or locked leads.
#[derive(Serialize)]
struct Meter {
    used: i64,
    limit: Option<i64>,
    over_limit: i64,
}

#[derive(Serialize)]
struct Billing {
    customer: String,
    subscription: String,
}

/// `usage set --json`.
#[derive(Serialize)]
struct UsageView {
    email: String,
    used: i64,
    /// Unix seconds the allowance is renewed.
    renews_at: i64,
}

pub(super) async fn account(
    store: &Store,
    command: AccountCommand,
    format: Format,
) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { email } => {
            let account = AccountView::from(create_account(store, &email).await?);
            format.print(&account, |a| {
                format!("created account {} for {}\n", a.id, a.email)
            })
        }
        AccountCommand::SetPlan { account, plan } => {
            let found = account_by_email(store, &account).await?;
            set_plan(store, found.id, &plan).await?;
            let account = AccountView::from(account_by_email(store, &account).await?);
            format.print(&account, |a| {
                format!("{} is on the {} plan\n", a.email, a.plan)
            })
        }
        AccountCommand::Show { account } => {
            let shown = show(store, account_by_email(store, &account).await?).await?;
            format.print(&shown, show_text)
        }
        AccountCommand::List => {
            let accounts: Vec<AccountView> = store
                .list_accounts()
                .await?
                .into_iter()
                .map(AccountView::from)
                .collect();
            format.print(&accounts, |accounts| list_text(accounts))
        }
    }
}

async fn show(store: &Store, account: Account) -> anyhow::Result<AccountShow> {
    let sub = store.subscription(account.id).await?;
    let plan = store.account_plan(account.id).await?;
    let usage = store.usage(account.id).await?;
    let held = store.holdings(account.id).await?;
    let meter = |used, limit, over_limit| Meter {
        used,
        limit,
        over_limit,
    };
    Ok(AccountShow {
        account: account.into(),
        status: sub.status,
        cancel_at_period_end: sub.cancel_at_period_end.0,
        renews_at: usage.resets_at(),
        meters: Meters {
            conversations: meter(usage.used, plan.conversations, 0),
            pages: meter(held.pages, plan.pages, held.pages_over_limit),
            documents: meter(held.documents, plan.documents, held.documents_over_limit),
            leads: meter(held.leads, plan.leads, held.leads_locked),
            widgets: meter(held.widgets, plan.widgets, 0),
        },
        plan: PlanRef {
            id: plan.id,
            name: plan.name,
        },
        billing: Billing {
            customer: sub.customer,
            subscription: sub.subscription,
        },
    })
}

fn show_text(s: &AccountShow) -> String {
    let cancelling = if s.cancel_at_period_end {
        ", ends with the cycle"
    } else {
        ""
    };
    let m = &s.meters;
    let mut out = String::new();
    let _ = writeln!(out, "account       {} ({})", s.account.email, s.account.id);
    let _ = writeln!(
        out,
        "plan          {} ({}){cancelling}",
        s.plan.name, s.status
    );
    let _ = writeln!(
        out,
        "cycle         renews {}",
        format::utc_minute(s.renews_at)
    );
    let _ = writeln!(
        out,
        "conversations {} of {}",
        m.conversations.used,
        limit_text(m.conversations.limit)
    );
    for (name, meter, over) in [
        ("pages    ", &m.pages, "over the limit"),
        ("documents", &m.documents, "over the limit"),
        ("leads    ", &m.leads, "locked"),
    ] {
        let _ = writeln!(
            out,
            "{name}     {} of {} ({} {over})",
            meter.used,
            limit_text(meter.limit),
            meter.over_limit
        );
    }
    let _ = writeln!(
        out,
        "widgets       {} of {}",
        m.widgets.used,
        limit_text(m.widgets.limit)
    );
    if !s.billing.customer.is_empty() {
        let _ = writeln!(
            out,
            "billing       customer {} subscription {}",
            s.billing.customer, s.billing.subscription
        );
    }
    out
}

fn list_text(accounts: &[AccountView]) -> String {
    let mut out = format!(
        "{:>6}  {:<40}  {:<24}  {:<12}  created\n",
        "id", "email", "name", "plan"
    );
    for a in accounts {
        let _ = writeln!(
            out,
            "{:>6}  {:<40}  {:<24}  {:<12}  {}",
            a.id,
            a.email,
            a.name,
            a.plan,
            format::utc_minute(a.created_at)
        );
    }
    let _ = writeln!(out, "{} account(s)", accounts.len());
    out
}

pub(super) async fn usage(
    store: &Store,
    command: UsageCommand,
    format: Format,
) -> anyhow::Result<()> {
    match command {
        UsageCommand::Set { account, used } => {
            let account = account_by_email(store, &account).await?;
            store.set_usage(account.id, used).await?;
            let usage = store.usage(account.id).await?;
            let view = UsageView {
                email: account.email,
                used: usage.used,
                renews_at: usage.resets_at(),
            };
            format.print(&view, |u| {
                format!(
                    "{} has used {} conversations this cycle (renews {})\n",
                    u.email,
                    u.used,
                    format::utc_minute(u.renews_at)
                )
            })
        }
    }
}
