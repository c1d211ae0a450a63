//! `witzo admin …`: operators' account, plan and widget tasks.

use crate::app::open_store;
use crate::config::Config;
use crate::format;
use witzo_store::domain::{CleanText, EmailAddress, TextRules, WidgetKey};
use witzo_store::widgets::WidgetFields;

use super::{AccountCommand, AdminCommand, UsageCommand, WidgetCommand};
use crate::widgets::service::parse_domains;
use crate::widgets::settings::WidgetSettings;
use witzo_store::{Store, StoreError};

pub(super) async fn admin(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let result = match command {
        AdminCommand::Account { command } => account(&store, command).await,
        AdminCommand::Widget { command } => widget(&store, command).await,
        AdminCommand::Usage { command } => usage(&store, command).await,
    };
    store.close().await;
    result
}

async fn account(store: &Store, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { email } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let account = match store.create_account(&email, witzo_store::now()).await {
                Err(StoreError::Conflict(_)) => {
                    anyhow::bail!("an account for {email} already exists")
                }
                other => other?,
            };
            println!("created account {} for {}", account.id, account.email);
        }
        AccountCommand::SetPlan { email, plan } => {
            let account = account_by_email(store, &email).await?;
            store
                .set_plan(account.id, &plan, witzo_store::now())
                .await?;
            println!("{} is on the {plan} plan", account.email);
        }
        AccountCommand::List => {
            let accounts = store.list_accounts().await?;
            println!("{:>6}  {:<40}  {:<24}  created", "id", "email", "name");
            for a in &accounts {
                println!(
                    "{:>6}  {:<40}  {:<24}  {}",
                    a.id,
                    a.email,
                    a.name,
                    format::utc_minute(a.created_at)
                );
            }
            println!("{} account(s)", accounts.len());
        }
    }
    Ok(())
}

async fn usage(store: &Store, command: UsageCommand) -> anyhow::Result<()> {
    match command {
        UsageCommand::Set { account, used } => {
            let account = account_by_email(store, &account).await?;
            store.set_usage(account.id, used).await?;
            let usage = store.usage(account.id).await?;
            println!(
                "{} has used {} conversations this cycle (renews {})",
                account.email,
                usage.used,
                format::utc_minute(usage.resets_at())
            );
        }
    }
    Ok(())
}

async fn account_by_email(
    store: &Store,
    email: &str,
) -> anyhow::Result<witzo_store::accounts::Account> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--account {e}"))?;
    store
        .account_by_email(&email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account for {email}"))
}

async fn widget(store: &Store, command: WidgetCommand) -> anyhow::Result<()> {
    match command {
        WidgetCommand::Create {
            account,
            name,
            domains,
        } => {
            let account = account_by_email(store, &account).await?;
            let name = CleanText::parse(
                &name,
                TextRules {
                    max_chars: 80,
                    multiline: false,
                    required: true,
                },
            )
            .map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let domains = parse_domains(&domains)
                .map_err(|e| anyhow::anyhow!("--domain: {}", e.message()))?;
            let settings = WidgetSettings::default().to_stored();
            let fields = WidgetFields {
                name: name.as_str(),
                allowed_domains: &domains,
                settings: &settings,
            };
            let key = WidgetKey::generate();
            // Operators are not bound by the plan's widget count.
            store
                .create_widget(account.id, key.as_str(), &fields, None, witzo_store::now())
                .await?;
            println!("{key}");
        }
        WidgetCommand::List { account } => {
            let account = account_by_email(store, &account).await?;
            let widgets = store.widgets_of(account.id).await?;
            for w in &widgets {
                let state = if w.is_active() { "on" } else { "off" };
                let domains: Vec<&str> = w.domains().collect();
                println!(
                    "{:>6}  {}  {:<3}  {:<30}  {}",
                    w.id,
                    w.public_key,
                    state,
                    w.name,
                    domains.join(",")
                );
            }
            println!("{} widget(s)", widgets.len());
        }
    }
    Ok(())
}
