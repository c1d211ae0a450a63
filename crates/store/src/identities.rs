//! Accounts' identities at OpenID Connect providers, and sign-ins in progress.

use crate::domain::AccountId;
use crate::{Store, StoreError, StoreResult};

/// A sign-in that went to the provider and has not come back yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingOidcLogin {
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: i64,
}

impl Store {
    /// The account linked to `subject` at `issuer`, if any.
    pub async fn account_of_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> StoreResult<Option<AccountId>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT account_id FROM account_identities WHERE issuer = $1 AND subject = $2",
        )
        .bind(issuer)
        .bind(subject)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id,)| AccountId::from_raw(id)))
    }

    pub async fn link_identity(
        &self,
        account: AccountId,
        issuer: &str,
        subject: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO account_identities (issuer, subject, account_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(issuer)
            .bind(subject)
            .bind(account.get())
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(StoreError::on_unique("identity"))?;
        Ok(())
    }

    pub async fn identities_of(&self, account: AccountId) -> StoreResult<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT issuer, subject FROM account_identities WHERE account_id = $1 ORDER BY created_at")
                .bind(account.get())
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn save_oidc_login(
        &self,
        state_hash: &str,
        login: &PendingOidcLogin,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oidc_logins (state_hash, browser_hash, nonce, pkce_verifier, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash)
        .bind(&login.browser_hash)
        .bind(&login.nonce)
        .bind(&login.pkce_verifier)
        .bind(now)
        .bind(login.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes and returns the sign-in for `state_hash`: each state works once.
    pub async fn take_oidc_login(&self, state_hash: &str) -> StoreResult<Option<PendingOidcLogin>> {
        Ok(sqlx::query_as(
            "DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING browser_hash, nonce, pkce_verifier, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn delete_expired_oidc_logins(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
