//! The owner REST API's door (`/api/v1/…`): the bearer API key (looked up
//! on every request, so a revoked key is refused at once on every
//! instance), the scope the method needs (`read` for GET, `chat` for the
//! chat, `write` for the rest), the key's rate limit with `RateLimit-*`
//! headers on every answer, and `Idempotency-Key` on POST: the same key
//! and request again within 24 hours get the first answer back, replayed,
//! without running twice.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use witzo_app::api_keys;
use witzo_app::limits::{Allowance, Quota, Refusal, WhenDown};
use witzo_store::api_keys::{ApiKey, Idempotent};
use witzo_store::domain::ApiScope;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ClientIp;
use crate::state::AppState;
use crate::surface::Surface;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Set on an answer replayed for a repeated idempotency key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long an idempotency key is remembered.
const IDEMPOTENCY_SECS: i64 = 24 * 3600;
/// The largest request body kept for an idempotent POST (an upload).
const IDEMPOTENT_BODY_BYTES: usize = 101 * 1024 * 1024;
/// The chat path, the one route that needs the `chat` scope.
pub const CHAT_PATH: &str = "/api/v1/chat";

/// The scope a request needs.
pub fn scope_of(method: &Method, path: &str) -> ApiScope {
    if path == CHAT_PATH {
        ApiScope::Chat
    } else if matches!(*method, Method::GET | Method::HEAD) {
        ApiScope::Read
    } else {
        ApiScope::Write
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn invalid_key() -> ApiError {
    ApiError::new(
        ErrorCode::ApiKeyInvalid,
        "Send an API key: Authorization: Bearer wsk_…",
    )
}

/// The owner-API layer (a route layer: only routed requests reach it).
pub async fn owner_api(
    State(state): State<AppState>,
    ip: ClientIp,
    mut req: Request,
    next: Next,
) -> ApiResult<Response> {
    if Surface::of(req.uri().path()) != Surface::OwnerApi {
        return Ok(next.run(req).await);
    }
    let presented = bearer(req.headers()).ok_or_else(invalid_key)?;
    let key = api_keys::authenticate(&state, presented, &ip.0.to_string()).await?;
    api_keys::require(&key, scope_of(req.method(), req.uri().path()))?;
    let limits = &state.config.limits;
    let quota = Quota::per_minute(limits.api_key_per_minute, limits.api_key_burst);
    let limited = state
        .limiter
        .check(&format!("api:key:{}", key.id), quota, WhenDown::Local)
        .await;
    let allowance = match limited {
        Ok(allowance) => allowance,
        Err(refusal) => {
            let mut response = ApiError::from(
                refusal.error("This API key is sending too many requests. Please slow down."),
            )
            .into_response();
            let wait = match refusal {
                Refusal::Limited(retry) => retry.0,
                Refusal::Unavailable => std::time::Duration::from_secs(5),
            };
            let spent = Allowance {
                remaining: 0,
                reset: wait,
            };
            rate_headers(response.headers_mut(), quota, spent);
            return Ok(response);
        }
    };
    req.extensions_mut().insert(key.clone());
    let idempotency = idempotency_key(req.headers())?;
    let mut response = match idempotency {
        Some(idempotency) if req.method() == Method::POST => {
            idempotent(&state, &key, idempotency, req, next).await?
        }
        _ => next.run(req).await,
    };
    rate_headers(response.headers_mut(), quota, allowance);
    Ok(response)
}

fn rate_headers(headers: &mut HeaderMap, quota: Quota, allowance: Allowance) {
    for (name, value) in [
        ("ratelimit-limit", u64::from(quota.burst)),
        ("ratelimit-remaining", u64::from(allowance.remaining)),
        ("ratelimit-reset", allowance.reset_secs()),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// The `Idempotency-Key` header: 1–255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let ok = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(Some(text.to_owned()))
    } else {
        Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        )
        .field("Idempotency-Key"))
    }
}

/// Runs a POST once per idempotency key: records its answer, replays it
/// for the same request, refuses another request under the same key.
async fn idempotent(
    state: &AppState,
    key: &ApiKey,
    idempotency: String,
    req: Request,
    next: Next,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, IDEMPOTENT_BODY_BYTES)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large."))?;
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str().as_bytes());
    hash.update(b" ");
    hash.update(parts.uri.to_string().as_bytes());
    hash.update(b"\n");
    hash.update(bytes.as_ref());
    let request_hash = hex::encode(hash.finalize());
    let now = witzo_store::now();
    let found = state
        .store
        .begin_idempotent(
            key.id,
            &idempotency,
            &request_hash,
            now,
            now - IDEMPOTENCY_SECS,
        )
        .await?;
    match found {
        Idempotent::Fresh => {}
        Idempotent::Replay {
            status,
            content_type,
            body,
        } => return replay(status, &content_type, body),
        Idempotent::Mismatch => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used for another request.",
            ));
        }
        Idempotent::InFlight => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyInFlight,
                "A request with this Idempotency-Key is still running.",
            ));
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // Nothing was done (or we cannot tell): a retry may run.
        state.store.abandon_idempotent(key.id, &idempotency).await?;
        return Ok(response);
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("text/event-stream") {
        // A stream is not kept: its key is spent (a repeat is refused).
        state
            .store
            .finish_idempotent(key.id, &idempotency, status.as_u16(), &content_type, &[])
            .await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes: Bytes = to_bytes(body, IDEMPOTENT_BODY_BYTES)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .finish_idempotent(key.id, &idempotency, status.as_u16(), &content_type, &bytes)
        .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(status: u16, content_type: &str, body: Vec<u8>) -> ApiResult<Response> {
    if content_type.starts_with("text/event-stream") {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a streamed answer, which is not replayed.",
        ));
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).map_err(ApiError::internal)?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_need_their_scope() {
        assert_eq!(scope_of(&Method::GET, "/api/v1/leads"), ApiScope::Read);
        assert_eq!(
            scope_of(&Method::DELETE, "/api/v1/leads/1"),
            ApiScope::Write
        );
        assert_eq!(
            scope_of(&Method::POST, "/api/v1/widgets/1/sources"),
            ApiScope::Write
        );
        assert_eq!(scope_of(&Method::POST, CHAT_PATH), ApiScope::Chat);
    }

    #[test]
    fn only_bearer_credentials_are_read() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
            bearer(&headers).map(str::to_owned)
        };
        assert_eq!(with("Bearer wsk_1"), Some("wsk_1".to_owned()));
        assert_eq!(with("bearer  wsk_1 "), Some("wsk_1".to_owned()));
        assert_eq!(with("Basic d3NrXzE="), None);
        assert_eq!(with("wsk_1"), None);
    }
}
