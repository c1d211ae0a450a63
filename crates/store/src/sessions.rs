//! Server-side sessions. The cookie carries a random 256-bit token; only its
//! SHA-256 hash is stored, so a leaked database cannot be replayed as cookies.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::AccountId;
use crate::{Store, StoreError, StoreResult};

/// A freshly issued session token; shown once (in the cookie), never stored.
pub struct SessionToken(SecretString);

impl SessionToken {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(SecretString::from(hex::encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The stored form of a token: hex SHA-256. `None` when the presented value
/// cannot be a token we issued (wrong length or alphabet), so garbage never
/// reaches the database.
pub fn token_hash(presented: &str) -> Option<String> {
    let well_formed = presented.len() == 64 && presented.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| hex::encode(Sha256::digest(presented.as_bytes())))
}

/// Where a session was started from, for the owner's list of sessions.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLifetime {
    /// Ends a session not used for this long.
    pub idle_secs: i64,
    /// Ends every session this long after sign-in, however busy.
    pub absolute_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Session {
    #[serde(skip)]
    pub id_hash: String,
    #[sqlx(try_from = "i64")]
    pub account_id: AccountId,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
}

impl Session {
    /// Whether the session may still be used at `now`.
    pub fn is_live(&self, now: i64, lifetime: SessionLifetime) -> bool {
        now < self.expires_at && now - self.last_seen_at < lifetime.idle_secs
    }
}

const COLUMNS: &str = "id_hash, account_id, created_at, last_seen_at, expires_at, ip, user_agent";

impl Store {
    /// Starts a new session with a fresh random token.
    pub async fn create_session(
        &self,
        account: AccountId,
        meta: &ClientMeta,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<(SessionToken, Session)> {
        let token = SessionToken::generate();
        let hash = token_hash(token.expose()).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING {COLUMNS}"
        );
        let session: Session = sqlx::query_as(&sql)
            .bind(hash)
            .bind(account.get())
            .bind(now)
            .bind(now.saturating_add(lifetime.absolute_secs))
            .bind(truncate(&meta.ip, 64))
            .bind(truncate(&meta.user_agent, 256))
            .fetch_one(self.pool())
            .await?;
        Ok((token, session))
    }

    /// The session a presented cookie value names, if it exists at all.
    /// Liveness is the caller's decision ([`Session::is_live`]).
    pub async fn session_by_token(&self, presented: &str) -> StoreResult<Option<Session>> {
        let Some(hash) = token_hash(presented) else {
            return Ok(None);
        };
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id_hash = $1");
        Ok(sqlx::query_as(&sql)
            .bind(hash)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Records use of a session (sliding the idle expiry).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends one session of `account`; someone else's session is `NotFound`.
    pub async fn delete_session(&self, account: AccountId, id_hash: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND account_id = $2")
            .bind(id_hash)
            .bind(account.get())
            .execute(self.pool())
            .await?;
        StoreError::found(done.rows_affected())
    }

    /// Ends every session of `account`; returns how many there were.
    pub async fn delete_sessions_of(&self, account: AccountId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account.get())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// The sessions of `account`, most recently used first.
    pub async fn sessions_of(&self, account: AccountId) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM sessions WHERE account_id = $1 ORDER BY last_seen_at DESC, created_at DESC"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account.get())
            .fetch_all(self.pool())
            .await?)
    }

    /// Deletes sessions that can no longer be used; returns how many.
    pub async fn delete_dead_sessions(
        &self,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now.saturating_sub(lifetime.idle_secs))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

fn truncate(value: &str, max_chars: usize) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_256_bit_hex_and_hash_to_their_stored_form() {
        let token = SessionToken::generate();
        assert_eq!(token.expose().len(), 64);
        let hash = token_hash(token.expose()).unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token.expose());
    }

    #[test]
    fn malformed_presented_values_have_no_hash() {
        assert_eq!(token_hash(""), None);
        assert_eq!(token_hash("attacker-chosen"), None);
        assert_eq!(token_hash(&"g".repeat(64)), None);
        assert_eq!(token_hash(&"a".repeat(65)), None);
    }
}
