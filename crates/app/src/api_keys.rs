//! Owner API keys as use cases: create (the key shown once), list, revoke,
//! and authenticate a request's bearer key. Keys work only while the
//! account's plan includes `api_keys`; a plan without it keeps them listed
//! and refuses their use. Created and revoked keys are written to the
//! security log by name and prefix, never the key.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::api_keys::{ApiKey, NewApiKey};
use witzo_store::audit::AuditKind;
use witzo_store::domain::{AccountId, ApiKeyId, ApiScope, WidgetId};

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::widgets::plans::{FeatureAccess, feature_access};

/// Keys an account may hold (revoked ones included).
pub const MAX_KEYS: usize = 50;
/// The longest a key can be made to live, in days.
pub const MAX_DAYS: i64 = 730;
/// The plan feature keys need.
const FEATURE: &str = "api_keys";

/// A key to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyInput {
    /// What the key is for, one line, up to 80 characters.
    #[schema(schema_with = crate::fields::required_text::<80>)]
    pub name: String,
    /// One or more of `read`, `write`, `chat`.
    #[schema(min_items = 1)]
    pub scopes: Vec<ApiScope>,
    /// Only this widget's resources; absent or `null`: every widget.
    #[schema(minimum = 1)]
    pub widget_id: Option<i64>,
    /// Days until the key stops working (1–730); absent or `null`: never.
    #[schema(minimum = 1, maximum = 730)]
    pub expires_in_days: Option<i64>,
}

/// A key just created: `key` is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// `wsk_` and 64 hex digits: store it now.
    pub key: String,
    #[serde(flatten)]
    pub api_key: ApiKey,
}

/// The account's keys and whether its plan lets them work.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<ApiKey>,
    /// Whether the plan includes API keys (without, keys are refused).
    pub enabled: bool,
    /// The smallest plan that includes them, when this one does not.
    pub upgrade_to: Option<String>,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

/// Whether the account's plan includes API keys.
pub async fn availability(core: &Core, account: AccountId) -> AppResult<FeatureAccess> {
    feature_access(&core.store, account, FEATURE).await
}

pub async fn list(core: &Core, account: AccountId) -> AppResult<KeyList> {
    let access = availability(core, account).await?;
    Ok(KeyList {
        keys: core.store.api_keys_of(account).await?,
        enabled: access.enabled,
        upgrade_to: access.upgrade_to.map(|p| p.name),
    })
}

/// Creates a key (only on a plan with API keys) and logs it.
pub async fn create(
    core: &Core,
    account: AccountId,
    input: &NewKeyInput,
    ip: &str,
) -> AppResult<CreatedKey> {
    let name = input::text(
        "name",
        Some(&input.name),
        witzo_store::domain::TextRules {
            required: true,
            ..input::line(80)
        },
    )?;
    let mut scopes = input.scopes.clone();
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(invalid("scopes", "Choose at least one scope."));
    }
    let widget = match input.widget_id {
        Some(id) if id > 0 => Some(WidgetId::from_raw(id)),
        Some(_) => return Err(invalid("widget_id", "widget_id must be a widget id")),
        None => None,
    };
    let now = witzo_store::now();
    let expires_at = match input.expires_in_days {
        Some(days) if (1..=MAX_DAYS).contains(&days) => Some(now + days * 86_400),
        Some(_) => {
            return Err(invalid(
                "expires_in_days",
                "expires_in_days must be 1 to 730",
            ));
        }
        None => None,
    };
    availability(core, account)
        .await?
        .require(ErrorCode::PlanLimitApiKeys, "API keys")?;
    if core.store.api_keys_of(account).await?.len() >= MAX_KEYS {
        return Err(AppError::new(
            ErrorCode::TooManyApiKeys,
            format!("An account holds at most {MAX_KEYS} keys; delete revoked ones first."),
        ));
    }
    let (api_key, token) = core
        .store
        .create_api_key(
            account,
            &NewApiKey {
                name: &name,
                scopes: &scopes,
                widget,
                expires_at,
            },
            now,
        )
        .await?;
    let detail = format!("{} {}…", api_key.name, api_key.prefix);
    core.store
        .record_audit(Some(account), AuditKind::ApiKeyCreated, ip, &detail, now)
        .await?;
    Ok(CreatedKey {
        key: token.expose().to_owned(),
        api_key,
    })
}

/// Revokes a key at once (every instance looks keys up per request).
pub async fn revoke(core: &Core, account: AccountId, id: ApiKeyId, ip: &str) -> AppResult<ApiKey> {
    let now = witzo_store::now();
    let key = core.store.revoke_api_key(account, id, now).await?;
    let detail = format!("{} {}…", key.name, key.prefix);
    core.store
        .record_audit(Some(account), AuditKind::ApiKeyRevoked, ip, &detail, now)
        .await?;
    Ok(key)
}

/// The key behind an `Authorization: Bearer` value: `401 api_key_invalid`
/// when unknown, malformed, revoked or expired; `403 plan_limit_api_keys`
/// when the account's plan no longer includes keys. Records the use.
pub async fn authenticate(core: &Core, presented: &str, ip: &str) -> AppResult<ApiKey> {
    let now = witzo_store::now();
    let key = core
        .store
        .api_key_by_token(presented)
        .await?
        .filter(|key| key.is_live(now))
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::ApiKeyInvalid,
                "The API key is unknown, revoked or expired.",
            )
        })?;
    availability(core, key.account_id)
        .await?
        .require(ErrorCode::PlanLimitApiKeys, "API keys")?;
    core.store.touch_api_key(key.id, ip, now).await?;
    Ok(key)
}

/// `403 insufficient_scope` unless the key grants `scope`.
pub fn require(key: &ApiKey, scope: ApiScope) -> AppResult<()> {
    if key.grants(scope) {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InsufficientScope,
            format!("This API key lacks the {scope} scope."),
        )
        .details(serde_json::json!({ "needed": scope.as_str() })))
    }
}

/// `404 not_found` when the key is restricted to another widget than
/// `widget`; keys for every widget reach all of the account's.
pub fn reach(key: &ApiKey, widget: WidgetId) -> AppResult<()> {
    match key.widget_id {
        Some(only) if only != widget => Err(AppError::not_found()),
        _ => Ok(()),
    }
}
