//! `witzo admin widget …`: owners' chat widgets.

use std::fmt::Write as _;

use serde::Serialize;
use witzo_store::Store;
use witzo_store::widgets::Widget;

use super::{account_by_email, create_widget};
use crate::cli::args::WidgetCommand;
use crate::cli::output::Format;

/// A widget as `widget create` and `list` print it with `--json` (the
/// fields of `GET /api/widgets` that concern operators).
#[derive(Serialize)]
struct WidgetView {
    id: i64,
    name: String,
    /// The public key (`wk_…`).
    key: String,
    active: bool,
    allowed_domains: Vec<String>,
    /// Unix seconds.
    created_at: i64,
}

impl From<Widget> for WidgetView {
    fn from(w: Widget) -> Self {
        Self {
            id: w.id.get(),
            active: w.is_active(),
            allowed_domains: w.domains().map(str::to_owned).collect(),
            name: w.name,
            key: w.public_key,
            created_at: w.created_at,
        }
    }
}

pub(super) async fn widget(
    store: &Store,
    command: WidgetCommand,
    format: Format,
) -> anyhow::Result<()> {
    match command {
        WidgetCommand::Create {
            account,
            name,
            domains,
            force,
        } => {
            let account = account_by_email(store, &account).await?;
            let key = create_widget(store, account.id, &name, &domains, force).await?;
            let widget = store
                .widget_by_key(&key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the new widget {key} cannot be read back"))?;
            // The key alone, so that `KEY=$(witzo admin widget create …)` works.
            format.print(&WidgetView::from(widget), |w| format!("{}\n", w.key))
        }
        WidgetCommand::List { account } => {
            let account = account_by_email(store, &account).await?;
            let widgets: Vec<WidgetView> = store
                .widgets_of(account.id)
                .await?
                .into_iter()
                .map(WidgetView::from)
                .collect();
            format.print(&widgets, |widgets| list_text(widgets))
        }
    }
}

fn list_text(widgets: &[WidgetView]) -> String {
    let mut out = String::new();
    for w in widgets {
        let state = if w.active { "on" } else { "off" };
        let _ = writeln!(
            out,
            "{:>6}  {}  {:<3}  {:<30}  {}",
            w.id,
            w.key,
            state,
            w.name,
            w.allowed_domains.join(",")
        );
    }
    let _ = writeln!(out, "{} widget(s)", widgets.len());
    out
}
