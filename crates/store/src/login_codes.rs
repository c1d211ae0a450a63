//! One-time codes sent by e-mail. The store keeps only the code's keyed hash
//! (computed by the caller, who holds the key) and enforces the rules that
//! must hold across instances: a new code voids older ones, at most
//! `max_per_hour` codes per address and purpose, and attempts are counted
//! atomically.

use crate::domain::EmailAddress;
use crate::{Backend, Store, StoreError, StoreResult};

/// What a code is for; a code for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    SignIn,
    DeleteAccount,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::DeleteAccount => "delete_account",
        }
    }
}

/// The newest unspent code of an address, for the caller to compare.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveCode {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i64,
    pub expires_at: i64,
}

/// The rules a new code is issued under.
#[derive(Debug, Clone, Copy)]
pub struct CodeRules {
    pub ttl_secs: i64,
    pub max_per_hour: i64,
}

impl Store {
    /// Stores a new code for `email`, voiding its older unspent codes, unless
    /// `rules.max_per_hour` codes were already issued in the past hour
    /// ([`StoreError::TooMany`]).
    pub async fn issue_login_code(
        &self,
        email: &EmailAddress,
        purpose: CodePurpose,
        code_hash: &str,
        rules: CodeRules,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Serialises issuers of one address, so the hourly count is exact.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
        }
        // On SQLite this write comes first so the transaction takes the write
        // lock before it reads: concurrent issuers queue instead of failing.
        sqlx::query(
            "UPDATE login_codes SET spent_at = $1 WHERE email = $2 AND purpose = $3 AND spent_at IS NULL",
        )
        .bind(now)
        .bind(email.as_str())
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await?;
        let (recent,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM login_codes WHERE email = $1 AND purpose = $2 AND created_at > $3",
        )
        .bind(email.as_str())
        .bind(purpose.as_str())
        .bind(now - 3600)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= rules.max_per_hour {
            tx.rollback().await?;
            return Err(StoreError::TooMany);
        }
        sqlx::query(
            "INSERT INTO login_codes (email, purpose, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(email.as_str())
        .bind(purpose.as_str())
        .bind(code_hash)
        .bind(now)
        .bind(now + rules.ttl_secs)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest unspent code of `email` for `purpose`, if any.
    pub async fn live_login_code(
        &self,
        email: &EmailAddress,
        purpose: CodePurpose,
    ) -> StoreResult<Option<LiveCode>> {
        Ok(sqlx::query_as(
            "SELECT id, code_hash, attempts, expires_at FROM login_codes \
             WHERE email = $1 AND purpose = $2 AND spent_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(email.as_str())
        .bind(purpose.as_str())
        .fetch_optional(self.pool())
        .await?)
    }

    /// Spends a code. Returns `false` when another request spent it first,
    /// so a code signs in at most once.
    pub async fn spend_login_code(&self, id: i64, now: i64) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE login_codes SET spent_at = $1 WHERE id = $2 AND spent_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts a wrong attempt; the code is voided at `max_attempts`. Returns
    /// the attempts left (0 once voided or already spent).
    pub async fn fail_login_code(&self, id: i64, max_attempts: i64, now: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE login_codes SET attempts = attempts + 1, \
             spent_at = CASE WHEN attempts + 1 >= $1 THEN $2 ELSE spent_at END \
             WHERE id = $3 AND spent_at IS NULL RETURNING attempts",
        )
        .bind(max_attempts)
        .bind(now)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map_or(0, |(attempts,)| (max_attempts - attempts).max(0)))
    }

    /// Deletes codes older than `before` (they hold e-mail addresses).
    pub async fn delete_old_login_codes(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM login_codes WHERE created_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
