//! Server-rendered pages and their static assets.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::dashboard::{Layout, render};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

/// The landing page.
#[utoipa::path(get, path = "/", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn home(State(state): State<AppState>) -> ApiResult<Html<String>> {
    render(&HomePage {
        layout: Layout::new(&state, String::new(), String::new(), "home"),
    })
}

/// A content-hashed static asset, cached for a year.
#[utoipa::path(get, path = "/static/{file}", tag = "pages",
    params(("file" = String, Path, description = "Hashed asset name")),
    responses((status = 200, description = "The asset (CSS, JavaScript)", content((String = "text/css"), (String = "text/javascript"))),
        (status = 404, description = "`not_found`: no such asset")))]
pub async fn asset(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let asset = state
        .assets
        .find(&format!("/static/{file}"))
        .ok_or_else(ApiError::not_found)?;
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
