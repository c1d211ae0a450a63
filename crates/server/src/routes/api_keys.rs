//! The owner's API keys as JSON (see [`witzo_app::api_keys`]): list,
//! create (the key shown once in the answer), revoke. Managed with the
//! signed-in session only: an API key cannot make or revoke keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use witzo_app::api_keys::{self, CreatedKey, KeyList, NewKeyInput};
use witzo_store::api_keys::ApiKey;
use witzo_store::domain::ApiKeyId;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ClientIp, OwnerSession};
use crate::state::AppState;

/// The account's keys (revoked ones included) and whether its plan
/// includes API keys.
#[utoipa::path(get, path = "/api/api-keys", tag = "api-keys",
    responses((status = 200, body = KeyList), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, owner: OwnerSession) -> ApiResult<Json<KeyList>> {
    Ok(Json(api_keys::list(&state, owner.account).await?))
}

/// Creates a key; `key` in the answer is shown this once. Logged in the
/// security log (name and prefix).
#[utoipa::path(post, path = "/api/api-keys", tag = "api-keys", request_body = NewKeyInput,
    responses((status = 201, body = CreatedKey),
        (status = 403, description = "`plan_limit_api_keys`: the plan does not include API keys", body = ErrorBody),
        (status = 404, description = "`not_found`: `widget_id` is not one of your widgets", body = ErrorBody),
        (status = 422, description = "`validation_failed`; `too_many_api_keys`", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiJson(input): ApiJson<NewKeyInput>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let created = api_keys::create(&state, owner.account, &input, &ip.0.to_string()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revokes a key: refused from the next request on, on every instance.
#[utoipa::path(delete, path = "/api/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    owner: OwnerSession,
    ip: ClientIp,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(
        api_keys::revoke(&state, owner.account, id, &ip.0.to_string()).await?,
    ))
}
