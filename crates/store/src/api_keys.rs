//! Owner API keys and the idempotency record of their POSTs. A key is
//! `wsk_` and 64 hex digits (256 random bits), shown once; only its hex
//! SHA-256 is stored, as for sessions, so a leaked database holds no usable
//! key. Every request looks its key up here (no cache), so a revoked key is
//! refused on the very next request on every instance.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{AccountId, ApiKeyId, ApiScope, WidgetId};
use crate::{Store, StoreError, StoreResult};

/// What every key starts with (and what secret scanners look for).
pub const KEY_PREFIX: &str = "wsk_";

/// A freshly issued key; shown once, never stored.
pub struct ApiKeyToken(SecretString);

impl ApiKeyToken {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(SecretString::from(format!(
            "{KEY_PREFIX}{}",
            hex::encode(bytes)
        )))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The stored form of a key: hex SHA-256 of the whole key. `None` when the
/// presented value cannot be a key we issued, so garbage never reaches the
/// database.
pub fn key_hash(presented: &str) -> Option<String> {
    let hex_part = presented.strip_prefix(KEY_PREFIX)?;
    let well_formed = hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| hex::encode(Sha256::digest(presented.as_bytes())))
}

/// One key as its owner sees it in a list (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: ApiKeyId,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub account_id: AccountId,
    /// Only this widget's resources; `null`: every widget of the account.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub widget_id: Option<WidgetId>,
    pub name: String,
    /// The key's first characters (`wsk_` and 8 hex digits), to recognise it.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    /// Unix seconds after which the key is refused; `null`: never.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    /// When the key was revoked; `null` while it is not.
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    /// Whether the key may be used at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }

    pub fn grants(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    account_id: i64,
    widget_id: Option<i64>,
    name: String,
    prefix: String,
    scopes: String,
    expires_at: Option<i64>,
    created_at: i64,
    last_used_at: Option<i64>,
    last_used_ip: Option<String>,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        Self {
            id: ApiKeyId::from_raw(row.id),
            account_id: AccountId::from_raw(row.account_id),
            widget_id: row.widget_id.map(WidgetId::from_raw),
            name: row.name,
            prefix: row.prefix,
            scopes: row
                .scopes
                .split_whitespace()
                .filter_map(|s| ApiScope::try_from(s.to_owned()).ok())
                .collect(),
            expires_at: row.expires_at,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            last_used_ip: row.last_used_ip,
            revoked_at: row.revoked_at,
        }
    }
}

const COLUMNS: &str = "id, account_id, widget_id, name, prefix, scopes, expires_at, created_at, \
     last_used_at, last_used_ip, revoked_at";

/// A key to create, checked by the caller.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub scopes: &'a [ApiScope],
    pub widget: Option<WidgetId>,
    pub expires_at: Option<i64>,
}

/// What an idempotency key found when a POST began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent {
    /// First use: the request runs and its answer is recorded.
    Fresh,
    /// The same request was answered before: here is that answer.
    Replay {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// The key was used with another request.
    Mismatch,
    /// The same request is still running.
    InFlight,
}

impl Store {
    /// Issues a key; the token is returned once and never stored.
    pub async fn create_api_key(
        &self,
        account: AccountId,
        new: &NewApiKey<'_>,
        now: i64,
    ) -> StoreResult<(ApiKey, ApiKeyToken)> {
        let token = ApiKeyToken::generate();
        let hash = key_hash(token.expose()).ok_or(StoreError::NotFound)?;
        let prefix: String = token.expose().chars().take(KEY_PREFIX.len() + 8).collect();
        let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
        let mut tx = self.begin_write().await?;
        if let Some(widget) = new.widget {
            crate::widgets::owned_widget(&mut tx, account, widget).await?;
        }
        let row: KeyRow = sqlx::query_as(&format!(
            "INSERT INTO api_keys (account_id, widget_id, name, token_hash, prefix, scopes, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        ))
        .bind(account.get())
        .bind(new.widget.map(WidgetId::get))
        .bind(new.name)
        .bind(hash)
        .bind(prefix)
        .bind(scopes.join(" "))
        .bind(new.expires_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((row.into(), token))
    }

    /// The account's keys, newest first, revoked ones included.
    pub async fn api_keys_of(&self, account: AccountId) -> StoreResult<Vec<ApiKey>> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id DESC"
        ))
        .bind(account.get())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// The key a request presented, live or not; `None` for an unknown or
    /// malformed one.
    pub async fn api_key_by_token(&self, presented: &str) -> StoreResult<Option<ApiKey>> {
        let Some(hash) = key_hash(presented) else {
            return Ok(None);
        };
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(ApiKey::from))
    }

    /// Records a use of a key (at most one write a minute per key).
    pub async fn touch_api_key(&self, id: ApiKeyId, ip: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1, last_used_ip = $2 \
             WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $4 OR last_used_ip <> $2)",
        )
        .bind(now)
        .bind(ip)
        .bind(id.get())
        .bind(now - 60)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Revokes a key of the account (once; revoking again keeps the first
    /// time) and returns it.
    pub async fn revoke_api_key(
        &self,
        account: AccountId,
        id: ApiKeyId,
        now: i64,
    ) -> StoreResult<ApiKey> {
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND account_id = $3 RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(id.get())
        .bind(account.get())
        .fetch_optional(self.pool())
        .await?;
        row.map(ApiKey::from).ok_or(StoreError::NotFound)
    }

    /// Claims an idempotency key for a request (`request_hash` names its
    /// method, path and body). Records older than `stale_before` are
    /// forgotten first, so a key can be reused after a day.
    pub async fn begin_idempotent(
        &self,
        key: ApiKeyId,
        idempotency_key: &str,
        request_hash: &str,
        now: i64,
        stale_before: i64,
    ) -> StoreResult<Idempotent> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND created_at < $3",
        )
        .bind(key.get())
        .bind(idempotency_key)
        .bind(stale_before)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, key) DO NOTHING",
        )
        .bind(key.get())
        .bind(idempotency_key)
        .bind(request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let found = if inserted == 1 {
            Idempotent::Fresh
        } else {
            let (hash, status, content_type, body): (String, i64, String, Option<Vec<u8>>) =
                sqlx::query_as(
                    "SELECT request_hash, status, content_type, body FROM idempotency_keys \
                     WHERE api_key_id = $1 AND key = $2",
                )
                .bind(key.get())
                .bind(idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
            if hash != request_hash {
                Idempotent::Mismatch
            } else if status == 0 {
                Idempotent::InFlight
            } else {
                Idempotent::Replay {
                    status: u16::try_from(status).unwrap_or(500),
                    content_type,
                    body: body.unwrap_or_default(),
                }
            }
        };
        tx.commit().await?;
        Ok(found)
    }

    /// Stores the answer of a request that claimed an idempotency key.
    pub async fn finish_idempotent(
        &self,
        key: ApiKeyId,
        idempotency_key: &str,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 \
             WHERE api_key_id = $4 AND key = $5",
        )
        .bind(i64::from(status))
        .bind(content_type)
        .bind(body)
        .bind(key.get())
        .bind(idempotency_key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Releases a claim whose request failed on our side, so a retry runs.
    pub async fn abandon_idempotent(
        &self,
        key: ApiKeyId,
        idempotency_key: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status = 0",
        )
        .bind(key.get())
        .bind(idempotency_key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets idempotency records older than `before`; returns how many.
    pub async fn delete_old_idempotency(&self, before: i64) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_256_bit_hex_and_hash_to_their_stored_form() {
        let token = ApiKeyToken::generate();
        assert!(token.expose().starts_with("wsk_"));
        assert_eq!(token.expose().len(), 4 + 64);
        let hash = key_hash(token.expose()).unwrap_or_default();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token.expose()[4..]));
    }

    #[test]
    fn malformed_keys_have_no_hash() {
        for bad in [
            "",
            "wsk_",
            "wsk_xyz",
            &format!("wsk_{}", "g".repeat(64)),
            &"a".repeat(68),
        ] {
            assert_eq!(key_hash(bad), None, "{bad}");
        }
    }
}
