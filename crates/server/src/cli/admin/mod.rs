//! `witzo admin …`: operators' account, plan and widget tasks.

use crate::app::open_store;
use crate::config::Config;
use crate::format;
use witzo_store::domain::{AccountId, CleanText, EmailAddress, TextRules, WidgetKey};
use witzo_store::widgets::WidgetFields;

use super::{AccountCommand, AdminCommand, PlanChanges, PlanCommand, UsageCommand, WidgetCommand};
use crate::widgets::service::parse_domains;
use crate::widgets::settings::WidgetSettings;
use witzo_store::{Store, StoreError};

pub(super) async fn admin(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let result = match command {
        AdminCommand::Account { command } => account(&store, command).await,
        AdminCommand::Widget { command } => widget(&store, command).await,
        AdminCommand::Usage { command } => usage(&store, command).await,
        AdminCommand::Plan { command } => plan(&store, command).await,
    };
    store.close().await;
    result
}

async fn account(store: &Store, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { email } => {
            let account = create_account(store, &email).await?;
            println!("created account {} for {}", account.id, account.email);
        }
        AccountCommand::SetPlan { account, plan } => {
            let account = account_by_email(store, &account).await?;
            set_plan(store, account.id, &plan).await?;
            println!("{} is on the {plan} plan", account.email);
        }
        AccountCommand::Show { account } => {
            let account = account_by_email(store, &account).await?;
            let sub = store.subscription(account.id).await?;
            let plan = store.account_plan(account.id).await?;
            let usage = store.usage(account.id).await?;
            let held = store.holdings(account.id).await?;
            let cancelling = if sub.cancel_at_period_end.0 {
                ", ends with the cycle"
            } else {
                ""
            };
            println!("account       {} ({})", account.email, account.id);
            println!("plan          {} ({}){cancelling}", plan.name, sub.status);
            println!(
                "cycle         renews {}",
                format::utc_minute(usage.resets_at())
            );
            println!(
                "conversations {} of {}",
                usage.used,
                limit_text(plan.conversations)
            );
            println!(
                "pages         {} of {} ({} over the limit)",
                held.pages,
                limit_text(plan.pages),
                held.pages_over_limit
            );
            println!(
                "documents     {} of {} ({} over the limit)",
                held.documents,
                limit_text(plan.documents),
                held.documents_over_limit
            );
            println!(
                "leads         {} of {} ({} locked)",
                held.leads,
                limit_text(plan.leads),
                held.leads_locked
            );
            println!(
                "widgets       {} of {}",
                held.widgets,
                limit_text(plan.widgets)
            );
            if !sub.customer.is_empty() {
                println!(
                    "billing       customer {} subscription {}",
                    sub.customer, sub.subscription
                );
            }
        }
        AccountCommand::List => {
            let accounts = store.list_accounts().await?;
            println!(
                "{:>6}  {:<40}  {:<24}  {:<12}  created",
                "id", "email", "name", "plan"
            );
            for a in &accounts {
                println!(
                    "{:>6}  {:<40}  {:<24}  {:<12}  {}",
                    a.id,
                    a.email,
                    a.name,
                    a.plan,
                    format::utc_minute(a.created_at)
                );
            }
            println!("{} account(s)", accounts.len());
        }
    }
    Ok(())
}

/// Creates an account for `email` (`admin account create`).
pub(super) async fn create_account(
    store: &Store,
    email: &str,
) -> anyhow::Result<witzo_store::accounts::Account> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    match store.create_account(&email, witzo_store::now()).await {
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

fn limit_text(limit: Option<i64>) -> String {
    limit.map_or_else(|| "unlimited".to_owned(), |l| l.to_string())
}

async fn plan(store: &Store, command: PlanCommand) -> anyhow::Result<()> {
    match command {
        PlanCommand::List => {
            println!(
                "{:<12} {:<12} {:>8} {:>13} {:>9} {:>9} {:>9} {:>9}  features",
                "id", "name", "price", "conversations", "pages", "documents", "leads", "widgets"
            );
            for p in store.plans().await? {
                let features: Vec<&str> = p
                    .features
                    .named()
                    .into_iter()
                    .filter_map(|(name, on)| on.then_some(name))
                    .collect();
                println!(
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
        }
        PlanCommand::Create { id, name, from } => {
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                anyhow::bail!("a plan id is 1-32 characters of a-z, 0-9, _ and -");
            }
            let mut plan = match store.plan(&from).await {
                Err(StoreError::NotFound) => anyhow::bail!("there is no plan {from:?} to copy"),
                other => other?,
            };
            let top = store.plans().await?.iter().map(|p| p.position).max();
            plan.id = id;
            plan.name = plan_name(&name)?;
            plan.position = top.unwrap_or(0) + 1;
            plan.price_monthly.clear();
            plan.price_yearly.clear();
            match store.create_plan(&plan).await {
                Err(StoreError::Conflict(_)) => anyhow::bail!("plan {:?} already exists", plan.id),
                other => other?,
            }
            println!("created plan {} ({})", plan.id, plan.name);
        }
        PlanCommand::Set { id, changes } => {
            let mut plan = match store.plan(&id).await {
                Err(StoreError::NotFound) => anyhow::bail!("there is no plan {id:?}"),
                other => other?,
            };
            apply_changes(&mut plan, changes)?;
            store.update_plan(&plan).await?;
            println!("saved plan {}", plan.id);
        }
    }
    Ok(())
}

fn plan_name(raw: &str) -> anyhow::Result<String> {
    let name = CleanText::parse(
        raw,
        TextRules {
            max_chars: 40,
            multiline: false,
            required: true,
        },
    )
    .map_err(|e| anyhow::anyhow!("--name {e}"))?;
    Ok(name.into_string())
}

fn apply_changes(plan: &mut witzo_store::plans::Plan, changes: PlanChanges) -> anyhow::Result<()> {
    if let Some(name) = changes.name {
        plan.name = plan_name(&name)?;
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
            if price.len() > 200 || price.chars().any(|c| c.is_whitespace() || c.is_control()) {
                anyhow::bail!("a price id is up to 200 characters without spaces");
            }
            *field = price;
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
            let key = create_widget(store, account.id, &name, &domains).await?;
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

/// Creates a widget for `account` with default settings and returns its key
/// (`admin widget create`). Operators are not bound by the plan's widget
/// count.
pub(super) async fn create_widget(
    store: &Store,
    account: AccountId,
    name: &str,
    domains: &[String],
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
    store
        .create_widget(account, key.as_str(), &fields, None, witzo_store::now())
        .await?;
    Ok(key)
}
