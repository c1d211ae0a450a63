//! The public widget API (`/v1/…`): no cookies, CORS per the origin policy,
//! rate-limited per IP (layers in `app.rs`).

use axum::Json;

use super::ops::Health;

/// The public API is reachable (used by the widget to tell "offline" apart).
#[utoipa::path(get, path = "/v1/health", tag = "public", responses(
    (status = 200, description = "Reachable", body = Health),
    (status = 403, description = "A browser origin that may not call the API", body = crate::error::ErrorBody),
    (status = 429, description = "Rate limited (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn health() -> Json<Health> {
    super::ops::healthz().await
}
