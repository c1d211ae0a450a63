//! Operations: liveness, readiness, metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the endpoint answers 200.
    status: &'static str,
}

impl Health {
    /// What both health checks answer while the process is up.
    pub const UP: Self = Self { status: "ok" };
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health::UP)
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok`, or `degraded` while Redis is down (limits then count per
    /// instance, sign-in codes are refused).
    status: &'static str,
    /// `ok`, `down`, or absent without `redis_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    redis: Option<&'static str>,
}

/// The process is up and its database answers (and how Redis is doing).
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve", body = Readiness),
    (status = 503, description = "`service_unavailable`: the database cannot be reached", body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    state.store.ping().await.map_err(|err| {
        ApiError::new(ErrorCode::Unavailable, "").with_cause(format!("readiness: {err}"))
    })?;
    let redis = state.limiter.shared().await;
    Ok(Json(Readiness {
        status: if redis == Some(false) {
            "degraded"
        } else {
            "ok"
        },
        redis: redis.map(|up| if up { "ok" } else { "down" }),
    }))
}

/// Prometheus metrics. Served here only when `metrics.token` is configured,
/// to requests bearing it; `metrics.listen` serves them on a separate address.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
    (status = 401, description = "`unauthenticated`: missing or wrong bearer token", body = ErrorBody),
    (status = 404, description = "`not_found`: metrics are not enabled on this listener", body = ErrorBody)),
    security(("metrics_token" = [])))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(token) = &state.config.metrics.token else {
        return Err(ApiError::not_found());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "A valid metrics token is required.",
        ));
    }
    Ok(metrics_text(&state))
}

/// The metrics exposition, for the main listener and the separate one.
pub fn metrics_text(state: &AppState) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
