//! The widget's scripts and logos, loaded by pages without CORS.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use witzo_store::domain::WidgetKey;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ApiPath;
use crate::routes::public::gate::query_param;
use crate::state::AppState;

fn script(body: String, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The widget itself. With the current `?v=` it is cached for a year.
#[utoipa::path(get, path = "/widget.js", tag = "public",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn widget_js(State(state): State<AppState>, uri: axum::http::Uri) -> Response {
    let asset = &state.assets.widget;
    let current = query_param(&uri, "v").is_some_and(|v| v == asset.hash);
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The embed loader named in the snippet (`/embed/{key}.js`): loads the
/// widget for this key from this server.
#[utoipa::path(get, path = "/embed/{file}", tag = "public",
    params(("file" = String, Path, description = "`{key}.js`")),
    responses((status = 200, description = "JavaScript", content_type = "text/javascript"),
        (status = 404, description = "`widget_key_invalid`: no live widget has this key")))]
pub async fn loader(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let key = file
        .strip_suffix(".js")
        .and_then(|key| WidgetKey::parse(key).ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::WidgetKeyInvalid, "This widget key is not valid.")
        })?;
    if state.widgets.get(&state.store, &key).await?.is_none() {
        return Err(ApiError::new(
            ErrorCode::WidgetKeyInvalid,
            "This widget key is not valid.",
        ));
    }
    let api = state.public_url.as_str().trim_end_matches('/');
    let src = format!("{api}/widget.js?v={}", state.assets.widget.hash);
    let body = loader_script(&src, &key, api);
    Ok(script(body, "public, max-age=300"))
}

/// The loader: adds the widget's script to the page with its key and API
/// address, each written as a JSON string literal.
fn loader_script(src: &str, key: &WidgetKey, api: &str) -> String {
    let js = |value: &str| serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned());
    format!(
        "(function () {{\n  var s = document.createElement(\"script\");\n  s.src = {};\n  s.async = true;\n  \
         s.setAttribute(\"data-witzo-key\", {});\n  s.setAttribute(\"data-witzo-api\", {});\n  \
         (document.head || document.documentElement).appendChild(s);\n}})();\n",
        js(src),
        js(key.as_str()),
        js(api)
    )
}

/// A widget's logo, served from our origin.
#[utoipa::path(get, path = "/embed/{key}/logo", tag = "public",
    params(("key" = String, Path, description = "The widget's public key")),
    responses((status = 200, description = "The image",
            content((String = "image/png"), (String = "image/jpeg"), (String = "image/gif"), (String = "image/webp"))),
        (status = 404, description = "`not_found`: no such widget, or it has no logo")))]
pub async fn logo(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    let key = WidgetKey::parse(&key).map_err(|_| ApiError::not_found())?;
    let live = state
        .widgets
        .get(&state.store, &key)
        .await?
        .ok_or_else(ApiError::not_found)?
        .live;
    let logo = state
        .store
        .widget_logo(live.widget.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut response = logo.bytes.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&logo.content_type).map_err(ApiError::internal)?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}
