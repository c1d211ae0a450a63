//! Chat widgets, owned by an account. Every finder that a dashboard route
//! uses takes the owner, so another account's widget id is `NotFound`.

use crate::domain::{AccountId, WidgetId, WidgetKey};
use crate::{Backend, Store, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Widget {
    #[sqlx(try_from = "i64")]
    pub id: WidgetId,
    #[sqlx(try_from = "i64")]
    pub account_id: AccountId,
    pub public_key: String,
    pub name: String,
    #[sqlx(try_from = "i64")]
    pub active: Flag,
    /// One normalised pattern per line.
    pub allowed_domains: String,
    /// JSON, validated by the server.
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A 0/1 column as a bool (the one integer encoding both engines share).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(raw: i64) -> Self {
        Self(raw != 0)
    }
}

impl Widget {
    pub fn is_active(&self) -> bool {
        self.active.0
    }

    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.allowed_domains.lines().filter(|l| !l.is_empty())
    }
}

/// What an owner sets on a widget.
/// What moves when a widget changes: its row (`updated_at`) and its
/// knowledge (`knowledge_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidgetStamp {
    pub updated_at: i64,
    pub knowledge_version: i64,
}

#[derive(Debug, Clone)]
pub struct WidgetFields<'a> {
    pub name: &'a str,
    pub allowed_domains: &'a [String],
    pub settings: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Logo {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub hash: String,
}

const COLUMNS: &str =
    "id, account_id, public_key, name, active, allowed_domains, settings, created_at, updated_at";

impl Store {
    /// Creates a widget unless the account already has `max_widgets`
    /// ([`StoreError::TooMany`]); the count is exact under concurrency.
    pub async fn create_widget(
        &self,
        account: AccountId,
        key: &str,
        fields: &WidgetFields<'_>,
        max_widgets: Option<i64>,
        now: i64,
    ) -> StoreResult<Widget> {
        let mut tx = self.begin_write().await?;
        match self.backend() {
            Backend::Postgres => {
                sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(account.get())
                    .execute(&mut *tx)
                    .await?;
            }
            // A write first, so the transaction holds SQLite's write lock
            // before it counts.
            Backend::Sqlite => {
                sqlx::query("UPDATE accounts SET updated_at = updated_at WHERE id = $1")
                    .bind(account.get())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(max) = max_widgets {
            let (count,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM widgets WHERE account_id = $1")
                    .bind(account.get())
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= max {
                tx.rollback().await?;
                return Err(StoreError::TooMany);
            }
        }
        let sql = format!(
            "INSERT INTO widgets (account_id, public_key, name, allowed_domains, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
        );
        let widget: Widget = sqlx::query_as(&sql)
            .bind(account.get())
            .bind(key)
            .bind(fields.name)
            .bind(fields.allowed_domains.join("\n"))
            .bind(fields.settings)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::on_unique("widget key"))?;
        tx.commit().await?;
        Ok(widget)
    }

    /// The account's widgets, oldest first.
    pub async fn widgets_of(&self, account: AccountId) -> StoreResult<Vec<Widget>> {
        let sql = format!("SELECT {COLUMNS} FROM widgets WHERE account_id = $1 ORDER BY id");
        Ok(sqlx::query_as(&sql)
            .bind(account.get())
            .fetch_all(self.pool())
            .await?)
    }

    /// One of the account's widgets; another account's is `NotFound`.
    pub async fn widget_of(&self, account: AccountId, id: WidgetId) -> StoreResult<Widget> {
        let sql = format!("SELECT {COLUMNS} FROM widgets WHERE id = $1 AND account_id = $2");
        let widget: Option<Widget> = sqlx::query_as(&sql)
            .bind(id.get())
            .bind(account.get())
            .fetch_optional(self.pool())
            .await?;
        widget.ok_or(StoreError::NotFound)
    }

    /// The widget a public key names, if any.
    pub async fn widget_by_key(&self, key: &WidgetKey) -> StoreResult<Option<Widget>> {
        let sql = format!("SELECT {COLUMNS} FROM widgets WHERE public_key = $1");
        Ok(sqlx::query_as(&sql)
            .bind(key.as_str())
            .fetch_optional(self.pool())
            .await?)
    }

    /// What changes of the widget a key names, read by the key's index
    /// after this call began (together with other requests' reads, see
    /// [`crate::stamps`]): a cheap check that cached copies of it and of
    /// its knowledge are still current (a regenerated or deleted key has
    /// none).
    pub async fn widget_stamp(&self, key: &WidgetKey) -> StoreResult<Option<WidgetStamp>> {
        self.stamps().read(key.as_str()).await
    }

    async fn update_returning(
        &self,
        sql: &str,
        account: AccountId,
        id: WidgetId,
        binds: Vec<Bind<'_>>,
        now: i64,
    ) -> StoreResult<Widget> {
        let sql = format!(
            "{sql}, updated_at = GREATEST_OR_MAX WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
        );
        // `updated_at` always moves forward so caches notice every change.
        let bump = match self.backend() {
            Backend::Sqlite => "MAX(updated_at + 1, $3)",
            Backend::Postgres => "GREATEST(updated_at + 1, $3)",
        };
        let sql = sql.replace("GREATEST_OR_MAX", bump);
        let mut query = sqlx::query_as::<_, Widget>(&sql)
            .bind(id.get())
            .bind(account.get())
            .bind(now);
        for bind in binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Int(int) => query.bind(int),
            };
        }
        let widget: Option<Widget> = query.fetch_optional(self.pool()).await?;
        widget.ok_or(StoreError::NotFound)
    }

    pub async fn update_widget(
        &self,
        account: AccountId,
        id: WidgetId,
        fields: &WidgetFields<'_>,
        now: i64,
    ) -> StoreResult<Widget> {
        let domains = fields.allowed_domains.join("\n");
        self.update_returning(
            "UPDATE widgets SET name = $4, allowed_domains = $5, settings = $6",
            account,
            id,
            vec![
                Bind::Text(fields.name),
                Bind::Text(&domains),
                Bind::Text(fields.settings),
            ],
            now,
        )
        .await
    }

    pub async fn set_widget_active(
        &self,
        account: AccountId,
        id: WidgetId,
        active: bool,
        now: i64,
    ) -> StoreResult<Widget> {
        self.update_returning(
            "UPDATE widgets SET active = $4",
            account,
            id,
            vec![Bind::Int(i64::from(active))],
            now,
        )
        .await
    }

    /// Gives the widget a new public key; the old one stops working at once.
    pub async fn regenerate_widget_key(
        &self,
        account: AccountId,
        id: WidgetId,
        key: &str,
        now: i64,
    ) -> StoreResult<Widget> {
        self.update_returning(
            "UPDATE widgets SET public_key = $4",
            account,
            id,
            vec![Bind::Text(key)],
            now,
        )
        .await
        .map_err(|err| match err {
            StoreError::Database(db) => StoreError::on_unique("widget key")(db),
            other => other,
        })
    }

    /// Deletes the widget and everything it owns.
    pub async fn delete_widget(&self, account: AccountId, id: WidgetId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM widgets WHERE id = $1 AND account_id = $2")
            .bind(id.get())
            .bind(account.get())
            .execute(self.pool())
            .await?;
        StoreError::found(done.rows_affected())
    }

    /// Stores (or replaces) the widget's logo.
    pub async fn set_widget_logo(
        &self,
        account: AccountId,
        id: WidgetId,
        logo: &Logo,
        now: i64,
    ) -> StoreResult<Widget> {
        let widget = self.widget_of(account, id).await?;
        sqlx::query(
            "INSERT INTO widget_logos (widget_id, content_type, bytes, hash, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (widget_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes, \
             hash = excluded.hash, updated_at = excluded.updated_at",
        )
            .bind(widget.id.get())
            .bind(&logo.content_type)
            .bind(&logo.bytes)
            .bind(&logo.hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        self.update_returning("UPDATE widgets SET name = name", account, id, vec![], now)
            .await
    }

    pub async fn remove_widget_logo(
        &self,
        account: AccountId,
        id: WidgetId,
        now: i64,
    ) -> StoreResult<Widget> {
        let widget = self.widget_of(account, id).await?;
        sqlx::query("DELETE FROM widget_logos WHERE widget_id = $1")
            .bind(widget.id.get())
            .execute(self.pool())
            .await?;
        self.update_returning("UPDATE widgets SET name = name", account, id, vec![], now)
            .await
    }

    /// The hash of a widget's logo, if it has one (for cache-busting URLs).
    pub async fn widget_logo_hash(&self, id: WidgetId) -> StoreResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT hash FROM widget_logos WHERE widget_id = $1")
                .bind(id.get())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(hash,)| hash))
    }

    pub async fn widget_logo(&self, id: WidgetId) -> StoreResult<Option<Logo>> {
        Ok(sqlx::query_as(
            "SELECT content_type, bytes, hash FROM widget_logos WHERE widget_id = $1",
        )
        .bind(id.get())
        .fetch_optional(self.pool())
        .await?)
    }
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// `NotFound` unless `widget` is one of `account`'s (checked inside the
/// caller's write transaction).
pub(crate) async fn owned_widget(
    tx: &mut crate::db::WriteTx,
    account: AccountId,
    widget: WidgetId,
) -> StoreResult<()> {
    let owned: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM widgets WHERE id = $1 AND account_id = $2")
            .bind(widget.get())
            .bind(account.get())
            .fetch_optional(&mut **tx)
            .await?;
    owned.map(|_| ()).ok_or(StoreError::NotFound)
}
