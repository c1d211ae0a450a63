//! Plans as data: what each plan allows, seeded with the product's
//! defaults and edited by operators; and what happens to an account's
//! stored items when its plan's limits change. A limit never deletes
//! anything: pages and documents over it are marked `over_limit` (kept and
//! still answering, never re-processed), leads over it are `locked`.

use serde::Serialize;

use crate::domain::AccountId;
use crate::widgets::Flag;
use crate::{Store, StoreError, StoreResult};

/// One plan. `None` limits are unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Plan {
    pub id: String,
    pub name: String,
    /// Order on the Billing page; a higher position is a bigger plan.
    pub position: i64,
    /// Price per month in cents (a year costs ten months); `None`: custom.
    pub price_cents: Option<i64>,
    /// Visitor messages answered per monthly cycle.
    pub conversations: Option<i64>,
    /// Website pages holding knowledge, across the account's widgets.
    pub pages: Option<i64>,
    /// Documents holding knowledge, across the account's widgets.
    pub documents: Option<i64>,
    /// Leads stored unlocked, across the account's widgets.
    pub leads: Option<i64>,
    pub widgets: Option<i64>,
    #[sqlx(flatten)]
    pub features: Features,
    /// The payment provider's price ids ('' when not sold online).
    pub price_monthly: String,
    pub price_yearly: String,
}

/// A plan's feature flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Features {
    /// The widget offers the lead form when the allowance is used up.
    #[sqlx(try_from = "i64")]
    pub lead_form_fallback: Flag,
    #[sqlx(try_from = "i64")]
    pub follow_up_email: Flag,
    #[sqlx(try_from = "i64")]
    pub lead_webhook: Flag,
    /// Websites may be re-scraped automatically every 7, 15 or 30 days.
    #[sqlx(try_from = "i64")]
    pub auto_rescrape: Flag,
    /// May remove "Powered by Witzo".
    #[sqlx(try_from = "i64")]
    pub white_label: Flag,
    #[sqlx(try_from = "i64")]
    pub api_keys: Flag,
}

impl Features {
    /// The flags by name, in the order the Billing page and CLI list them.
    pub fn named(&self) -> [(&'static str, bool); 6] {
        [
            ("lead_form_fallback", self.lead_form_fallback.0),
            ("follow_up_email", self.follow_up_email.0),
            ("lead_webhook", self.lead_webhook.0),
            ("auto_rescrape", self.auto_rescrape.0),
            ("white_label", self.white_label.0),
            ("api_keys", self.api_keys.0),
        ]
    }

    /// Sets the flag called `name`; false if there is no such flag.
    pub fn set(&mut self, name: &str, on: bool) -> bool {
        let flag = match name {
            "lead_form_fallback" => &mut self.lead_form_fallback,
            "follow_up_email" => &mut self.follow_up_email,
            "lead_webhook" => &mut self.lead_webhook,
            "auto_rescrape" => &mut self.auto_rescrape,
            "white_label" => &mut self.white_label,
            "api_keys" => &mut self.api_keys,
            _ => return false,
        };
        flag.0 = on;
        true
    }
}

/// What a limit counts, for [`Plan::limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Conversations,
    Pages,
    Documents,
    Leads,
    Widgets,
}

impl Plan {
    pub fn limit(&self, what: Limit) -> Option<i64> {
        match what {
            Limit::Conversations => self.conversations,
            Limit::Pages => self.pages,
            Limit::Documents => self.documents,
            Limit::Leads => self.leads,
            Limit::Widgets => self.widgets,
        }
    }
}

const COLUMNS: &str = "id, name, position, price_cents, conversations, pages, documents, leads, \
     widgets, lead_form_fallback, follow_up_email, lead_webhook, auto_rescrape, white_label, \
     api_keys, price_monthly, price_yearly";

/// Pages and documents that hold knowledge (others have nothing to limit).
const KNOWLEDGE: &str = "('indexed', 'unchanged')";

/// What an account holds against its plan's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Holdings {
    /// Website pages holding knowledge, and how many of them are over the limit.
    pub pages: i64,
    pub pages_over_limit: i64,
    /// Documents holding knowledge and Q&A pairs: they share a limit.
    pub documents: i64,
    pub documents_over_limit: i64,
    pub leads: i64,
    pub leads_locked: i64,
    pub widgets: i64,
}

impl Store {
    pub async fn holdings(&self, account: AccountId) -> StoreResult<Holdings> {
        let (pages, pages_over_limit, documents, documents_over_limit): (i64, i64, i64, i64) =
            sqlx::query_as(&format!(
                "SELECT \
                   CAST(COALESCE(SUM(CASE WHEN kind = 'page' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(CASE WHEN kind = 'page' THEN over_limit ELSE 0 END), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(CASE WHEN kind = 'document' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(CASE WHEN kind = 'document' THEN over_limit ELSE 0 END), 0) AS BIGINT) \
                 FROM pages WHERE account_id = $1 AND outcome IN {KNOWLEDGE}"
            ))
            .bind(account.get())
            .fetch_one(self.pool())
            .await?;
        let (leads, leads_locked): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(locked), 0) AS BIGINT) FROM leads \
             WHERE widget_id IN (SELECT id FROM widgets WHERE account_id = $1)",
        )
        .bind(account.get())
        .fetch_one(self.pool())
        .await?;
        let (widgets,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM widgets WHERE account_id = $1")
                .bind(account.get())
                .fetch_one(self.pool())
                .await?;
        let (qa_pairs,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM qa_pairs WHERE account_id = $1")
                .bind(account.get())
                .fetch_one(self.pool())
                .await?;
        Ok(Holdings {
            pages,
            pages_over_limit,
            documents: documents + qa_pairs,
            documents_over_limit,
            leads,
            leads_locked,
            widgets,
        })
    }

    /// Every plan, smallest first.
    pub async fn plans(&self) -> StoreResult<Vec<Plan>> {
        let sql = format!("SELECT {COLUMNS} FROM plans ORDER BY position, id");
        Ok(sqlx::query_as(&sql).fetch_all(self.pool()).await?)
    }

    pub async fn plan(&self, id: &str) -> StoreResult<Plan> {
        let sql = format!("SELECT {COLUMNS} FROM plans WHERE id = $1");
        let row: Option<Plan> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// The plan `account` is on.
    pub async fn account_plan(&self, account: AccountId) -> StoreResult<Plan> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM accounts a JOIN plans p ON p.id = a.plan WHERE a.id = $1"
        );
        let row: Option<Plan> = sqlx::query_as(&sql)
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Adds a plan; [`StoreError::Conflict`] if its id is taken.
    pub async fn create_plan(&self, plan: &Plan) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO plans ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        bind_plan(sqlx::query(&sql), plan)
            .execute(self.pool())
            .await
            .map_err(StoreError::on_unique("plan"))?;
        Ok(())
    }

    /// Saves an edited plan, then re-marks what each of its accounts holds
    /// over the (possibly changed) limits.
    pub async fn update_plan(&self, plan: &Plan) -> StoreResult<()> {
        let sql = "UPDATE plans SET name = $2, position = $3, price_cents = $4, conversations = $5, \
             pages = $6, documents = $7, leads = $8, widgets = $9, lead_form_fallback = $10, \
             follow_up_email = $11, lead_webhook = $12, auto_rescrape = $13, white_label = $14, \
             api_keys = $15, price_monthly = $16, price_yearly = $17 WHERE id = $1";
        let done = bind_plan(sqlx::query(sql), plan)
            .execute(self.pool())
            .await?;
        StoreError::found(done.rows_affected())?;
        let accounts: Vec<(i64,)> = sqlx::query_as("SELECT id FROM accounts WHERE plan = $1")
            .bind(&plan.id)
            .fetch_all(self.pool())
            .await?;
        for (id,) in accounts {
            self.apply_plan_limits(AccountId::from_raw(id)).await?;
        }
        Ok(())
    }

    /// The plan that sells under the provider price id `price`.
    pub async fn plan_by_price(&self, price: &str) -> StoreResult<Option<Plan>> {
        if price.is_empty() {
            return Ok(None);
        }
        let sql =
            format!("SELECT {COLUMNS} FROM plans WHERE price_monthly = $1 OR price_yearly = $1");
        Ok(sqlx::query_as(&sql)
            .bind(price)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Marks what `account` holds beyond its plan's limits, oldest first
    /// within them: pages and documents past the limit become
    /// `over_limit`, leads past it `locked`; under a raised limit the marks
    /// clear. Nothing is deleted. Idempotent.
    pub async fn apply_plan_limits(&self, account: AccountId) -> StoreResult<()> {
        let plan = self.account_plan(account).await?;
        let mut tx = self.begin_write().await?;
        for (kind, limit) in [("page", plan.pages), ("document", plan.documents)] {
            match limit {
                None => {
                    sqlx::query(
                        "UPDATE pages SET over_limit = 0 WHERE account_id = $1 AND kind = $2",
                    )
                    .bind(account.get())
                    .bind(kind)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(limit) => {
                    sqlx::query(&format!(
                        "UPDATE pages SET over_limit = CASE \
                           WHEN outcome NOT IN {KNOWLEDGE} THEN 0 \
                           WHEN id IN (SELECT id FROM pages WHERE account_id = $1 AND kind = $2 \
                                       AND outcome IN {KNOWLEDGE} ORDER BY id LIMIT $3) THEN 0 \
                           ELSE 1 END \
                         WHERE account_id = $1 AND kind = $2"
                    ))
                    .bind(account.get())
                    .bind(kind)
                    .bind(limit.max(0))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let leads_of_account = "widget_id IN (SELECT id FROM widgets WHERE account_id = $1)";
        match plan.leads {
            None => {
                sqlx::query(&format!(
                    "UPDATE leads SET locked = 0 WHERE {leads_of_account}"
                ))
                .bind(account.get())
                .execute(&mut *tx)
                .await?;
            }
            Some(limit) => {
                sqlx::query(&format!(
                    "UPDATE leads SET locked = CASE WHEN id IN \
                       (SELECT id FROM leads WHERE {leads_of_account} ORDER BY id LIMIT $2) \
                       THEN 0 ELSE 1 END \
                     WHERE {leads_of_account}"
                ))
                .bind(account.get())
                .bind(limit.max(0))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

fn bind_plan<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    plan: &'q Plan,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let f = plan.features;
    query
        .bind(&plan.id)
        .bind(&plan.name)
        .bind(plan.position)
        .bind(plan.price_cents)
        .bind(plan.conversations)
        .bind(plan.pages)
        .bind(plan.documents)
        .bind(plan.leads)
        .bind(plan.widgets)
        .bind(i64::from(f.lead_form_fallback.0))
        .bind(i64::from(f.follow_up_email.0))
        .bind(i64::from(f.lead_webhook.0))
        .bind(i64::from(f.auto_rescrape.0))
        .bind(i64::from(f.white_label.0))
        .bind(i64::from(f.api_keys.0))
        .bind(&plan.price_monthly)
        .bind(&plan.price_yearly)
}
