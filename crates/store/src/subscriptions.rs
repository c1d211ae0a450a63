//! An account's subscription: its plan, status, whether it ends with the
//! current cycle, and the payment provider's ids; plus the record of
//! provider events already processed, so a replayed webhook changes nothing.

use serde::Serialize;

use crate::domain::{AccountId, SubscriptionStatus};
use crate::{Store, StoreError, StoreResult};

/// The subscription as stored on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Subscription {
    pub plan: String,
    #[sqlx(rename = "subscription_status", try_from = "String")]
    pub status: SubscriptionStatus,
    #[sqlx(try_from = "i64")]
    pub cancel_at_period_end: crate::widgets::Flag,
    /// The payment provider's customer and subscription ids ('' if none).
    #[sqlx(rename = "billing_customer")]
    pub customer: String,
    #[sqlx(rename = "billing_subscription")]
    pub subscription: String,
}

impl Store {
    pub async fn subscription(&self, account: AccountId) -> StoreResult<Subscription> {
        let row: Option<Subscription> = sqlx::query_as(
            "SELECT plan, subscription_status, cancel_at_period_end, billing_customer, billing_subscription \
             FROM accounts WHERE id = $1",
        )
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Puts the account on `plan` with `status`, at once (an upgrade
    /// unblocks chat immediately; a downgrade marks what is over the new
    /// limits). Clears a pending cancellation. [`StoreError::NotFound`] if
    /// the account or the plan does not exist.
    pub async fn change_plan(
        &self,
        account: AccountId,
        plan: &str,
        status: SubscriptionStatus,
        now: i64,
    ) -> StoreResult<()> {
        let before = self.subscription(account).await?.plan;
        let done = sqlx::query(
            "UPDATE accounts SET plan = $2, subscription_status = $3, cancel_at_period_end = 0, updated_at = $4 \
             WHERE id = $1 AND EXISTS (SELECT 1 FROM plans WHERE id = $2)",
        )
        .bind(account.get())
        .bind(plan)
        .bind(status.as_str())
        .bind(now)
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())?;
        if before != plan {
            self.record_plan_change(account, &before, plan, now).await?;
        }
        self.apply_plan_limits(account).await
    }

    /// Notes a plan change in the account's security log.
    pub(crate) async fn record_plan_change(
        &self,
        account: AccountId,
        from: &str,
        to: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.record_audit(
            Some(account),
            crate::audit::AuditKind::PlanChanged,
            "",
            &format!("{from}→{to}"),
            now,
        )
        .await
    }

    /// Puts the account on `plan`, active (operators, and tests).
    pub async fn set_plan(&self, account: AccountId, plan: &str, now: i64) -> StoreResult<()> {
        self.change_plan(account, plan, SubscriptionStatus::Active, now)
            .await
    }

    pub async fn set_subscription_status(
        &self,
        account: AccountId,
        status: SubscriptionStatus,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE accounts SET subscription_status = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(account.get())
        .bind(status.as_str())
        .bind(now)
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    /// Whether the subscription ends with the current cycle (the account
    /// then moves to Free; see [`Store::reset_due_usage`]).
    pub async fn set_cancel_at_period_end(
        &self,
        account: AccountId,
        cancel: bool,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE accounts SET cancel_at_period_end = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(account.get())
        .bind(i64::from(cancel))
        .bind(now)
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    /// Remembers the provider's customer and subscription ids.
    pub async fn link_billing(
        &self,
        account: AccountId,
        customer: &str,
        subscription: &str,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE accounts SET billing_customer = $2, billing_subscription = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(account.get())
        .bind(customer)
        .bind(subscription)
        .bind(now)
        .execute(self.pool())
        .await?;
        StoreError::found(done.rows_affected())
    }

    /// The account a provider subscription (or, failing that, customer)
    /// belongs to.
    pub async fn account_by_billing(
        &self,
        customer: Option<&str>,
        subscription: Option<&str>,
    ) -> StoreResult<Option<AccountId>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM accounts WHERE ($1 <> '' AND billing_subscription = $1) \
             OR ($2 <> '' AND billing_customer = $2) \
             ORDER BY CASE WHEN billing_subscription = $1 THEN 0 ELSE 1 END, id LIMIT 1",
        )
        .bind(subscription.unwrap_or_default())
        .bind(customer.unwrap_or_default())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id,)| AccountId::from_raw(id)))
    }

    /// Claims provider event `id` for processing: true the first time it
    /// is seen, false for a replay (however many deliveries race).
    pub async fn claim_billing_event(
        &self,
        provider: &str,
        id: &str,
        kind: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO billing_events (provider, event_id, kind, outcome, received_at) \
             VALUES ($1, $2, $3, 'received', $4) ON CONFLICT (provider, event_id) DO NOTHING",
        )
        .bind(provider)
        .bind(id)
        .bind(kind)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records what processing a claimed event did (`applied`, `ignored`,
    /// `unknown_account`), and for which account.
    pub async fn finish_billing_event(
        &self,
        provider: &str,
        id: &str,
        account: Option<AccountId>,
        outcome: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE billing_events SET account_id = $3, outcome = $4 WHERE provider = $1 AND event_id = $2",
        )
        .bind(provider)
        .bind(id)
        .bind(account.map(AccountId::get))
        .bind(outcome)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets a claimed event whose processing failed, so the provider's
    /// retry processes it.
    pub async fn release_billing_event(&self, provider: &str, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM billing_events WHERE provider = $1 AND event_id = $2")
            .bind(provider)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
