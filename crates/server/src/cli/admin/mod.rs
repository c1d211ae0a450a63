//! `witzo admin …`: operators' account, plan and widget tasks. Each prints
//! its result on standard output as text, or with `--json` as one JSON
//! document whose shape README's command table gives.

mod accounts;
mod backup;
mod plans;
mod widgets;

use witzo_store::domain::{AccountId, CleanText, EmailAddress, TextRules, WidgetKey};
use witzo_store::widgets::WidgetFields;
use witzo_store::{Store, StoreError};

use super::args::AdminCommand;
use super::output::Format;
use crate::app::open_store;
use witzo_app::config::Config;
use witzo_app::widgets::plans::{Capped, limit_error};
use witzo_app::widgets::service::parse_domains;
use witzo_app::widgets::settings::WidgetSettings;

pub(super) async fn admin(
    config: Config,
    command: AdminCommand,
    format: Format,
) -> anyhow::Result<()> {
    // A restore replaces the database: nothing may open it first.
    if let AdminCommand::Restore { from } = &command {
        return backup::restore(&config, from, format).await;
    }
    let store = open_store(&config).await?;
    let result = match command {
        AdminCommand::Account { command } => accounts::account(&store, command, format).await,
        AdminCommand::Widget { command } => widgets::widget(&store, command, format).await,
        AdminCommand::Usage { command } => accounts::usage(&store, command, format).await,
        AdminCommand::Plan { command } => plans::plan(&store, command, format).await,
        AdminCommand::Backup { out } => backup::backup(&config, &store, &out, format).await,
        AdminCommand::Restore { .. } => Ok(()),
    };
    store.close().await;
    result
}

/// Creates an account for `email` (`admin account create`).
pub(super) async fn create_account(
    store: &Store,
    email: &EmailAddress,
) -> anyhow::Result<witzo_store::accounts::Account> {
    match store.create_account(email, witzo_store::now()).await {
        Err(StoreError::Conflict(_)) => anyhow::bail!("an account for {email} already exists"),
        other => Ok(other?),
    }
}

/// Puts `account` on `plan` at once (`admin account set-plan`).
pub(super) async fn set_plan(store: &Store, account: AccountId, plan: &str) -> anyhow::Result<()> {
    match store.set_plan(account, plan, witzo_store::now()).await {
        Err(StoreError::NotFound) => {
            anyhow::bail!("there is no plan {plan:?} (see `witzo admin plan list`)")
        }
        other => Ok(other?),
    }
}

async fn account_by_email(
    store: &Store,
    email: &EmailAddress,
) -> anyhow::Result<witzo_store::accounts::Account> {
    store
        .account_by_email(email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account for {email}"))
}

/// Creates a widget for `account` with default settings and returns its key
/// (`admin widget create`). Operators are not bound by the plan's widget
/// count.
/// Creates a widget for `account`: within its plan's widget limit, unless
/// `force` (an operator's deliberate exception).
pub(super) async fn create_widget(
    store: &Store,
    account: AccountId,
    name: &str,
    domains: &[String],
    force: bool,
) -> anyhow::Result<WidgetKey> {
    let name = CleanText::parse(
        name,
        TextRules {
            max_chars: 80,
            multiline: false,
            required: true,
        },
    )
    .map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let domains =
        parse_domains(domains).map_err(|e| anyhow::anyhow!("--domain: {}", e.message()))?;
    let settings = WidgetSettings::default().to_stored();
    let fields = WidgetFields {
        name: name.as_str(),
        allowed_domains: &domains,
        settings: &settings,
    };
    let key = WidgetKey::generate();
    let plan = store.account_plan(account).await?;
    let limit = if force { None } else { plan.widgets };
    match store
        .create_widget(account, key.as_str(), &fields, limit, witzo_store::now())
        .await
    {
        Ok(_) => Ok(key),
        Err(StoreError::TooMany) => {
            let used = i64::try_from(store.widgets_of(account).await?.len()).unwrap_or(i64::MAX);
            let refusal = limit_error(
                store,
                &plan,
                Capped::Widgets,
                used,
                limit.unwrap_or_default(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            anyhow::bail!("{} Give --force to create it anyway.", refusal.message())
        }
        Err(err) => Err(err.into()),
    }
}
