//! Owner corrections as Q&A pairs: per widget, a question and the answer
//! the owner wants given to it verbatim. Every query names the account, so
//! another tenant's widget or pair is `NotFound`. Every change bumps the
//! widget's knowledge version, so each instance's cached matcher rebuilds.

use serde::Serialize;

use crate::domain::{AccountId, QaId, QaText, WidgetId};
use crate::sources::bump_knowledge;
use crate::widgets::owned_widget;
use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QaPair {
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: QaId,
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub widget_id: WidgetId,
    #[serde(skip)]
    #[sqlx(try_from = "i64")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub account_id: AccountId,
    pub question: String,
    pub answer: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, widget_id, account_id, question, answer, created_at, updated_at";

type Tx = crate::db::WriteTx;

async fn insert(
    tx: &mut Tx,
    account: AccountId,
    widget: WidgetId,
    pair: &QaText,
    now: i64,
) -> StoreResult<QaPair> {
    let sql = format!(
        "INSERT INTO qa_pairs (widget_id, account_id, question, answer, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(widget.get())
        .bind(account.get())
        .bind(pair.question())
        .bind(pair.answer())
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
}

impl Store {
    /// The widget's pairs, oldest first (none for another account's widget).
    pub async fn qa_of(&self, account: AccountId, widget: WidgetId) -> StoreResult<Vec<QaPair>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM qa_pairs WHERE account_id = $1 AND widget_id = $2 ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account.get())
            .bind(widget.get())
            .fetch_all(self.pool())
            .await?)
    }

    /// How many pairs the widget has (what an import replacing them frees).
    pub async fn qa_count_of(&self, account: AccountId, widget: WidgetId) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM qa_pairs WHERE account_id = $1 AND widget_id = $2",
        )
        .bind(account.get())
        .bind(widget.get())
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// One pair of one of the account's widgets.
    pub async fn qa_pair_of(
        &self,
        account: AccountId,
        widget: WidgetId,
        id: QaId,
    ) -> StoreResult<QaPair> {
        let sql = format!(
            "SELECT {COLUMNS} FROM qa_pairs WHERE id = $1 AND account_id = $2 AND widget_id = $3"
        );
        let pair: Option<QaPair> = sqlx::query_as(&sql)
            .bind(id.get())
            .bind(account.get())
            .bind(widget.get())
            .fetch_optional(self.pool())
            .await?;
        pair.ok_or(StoreError::NotFound)
    }

    /// Adds a pair to one of the account's widgets.
    pub async fn add_qa(
        &self,
        account: AccountId,
        widget: WidgetId,
        pair: &QaText,
        now: i64,
    ) -> StoreResult<QaPair> {
        let mut tx = self.begin_write().await?;
        owned_widget(&mut tx, account, widget).await?;
        let added = insert(&mut tx, account, widget, pair, now).await?;
        bump_knowledge(&mut tx, widget).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Rewrites one pair of one of the account's widgets.
    pub async fn update_qa(
        &self,
        account: AccountId,
        widget: WidgetId,
        id: QaId,
        pair: &QaText,
        now: i64,
    ) -> StoreResult<QaPair> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "UPDATE qa_pairs SET question = $1, answer = $2, updated_at = $3 \
             WHERE id = $4 AND account_id = $5 AND widget_id = $6 RETURNING {COLUMNS}"
        );
        let updated: QaPair = sqlx::query_as(&sql)
            .bind(pair.question())
            .bind(pair.answer())
            .bind(now)
            .bind(id.get())
            .bind(account.get())
            .bind(widget.get())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        bump_knowledge(&mut tx, widget).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes one pair of one of the account's widgets.
    pub async fn delete_qa(
        &self,
        account: AccountId,
        widget: WidgetId,
        id: QaId,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM qa_pairs WHERE id = $1 AND account_id = $2 AND widget_id = $3",
        )
        .bind(id.get())
        .bind(account.get())
        .bind(widget.get())
        .execute(&mut *tx)
        .await?;
        StoreError::found(done.rows_affected())?;
        bump_knowledge(&mut tx, widget).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Imports pairs into one of the account's widgets in one transaction:
    /// all of them or, on any error, none. With `replace`, the widget's
    /// existing pairs are deleted first (in the same transaction).
    pub async fn import_qa(
        &self,
        account: AccountId,
        widget: WidgetId,
        pairs: &[QaText],
        replace: bool,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        owned_widget(&mut tx, account, widget).await?;
        if replace {
            sqlx::query("DELETE FROM qa_pairs WHERE account_id = $1 AND widget_id = $2")
                .bind(account.get())
                .bind(widget.get())
                .execute(&mut *tx)
                .await?;
        }
        for pair in pairs {
            insert(&mut tx, account, widget, pair, now).await?;
        }
        bump_knowledge(&mut tx, widget).await?;
        tx.commit().await?;
        Ok(())
    }
}
