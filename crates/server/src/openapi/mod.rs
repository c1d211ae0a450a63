//! The OpenAPI document, assembled from the handlers' `#[utoipa::path]`
//! annotations as routes are registered (see `app.rs`). Served at
//! `/api/openapi.json`; it is also the inventory the route tests walk.
//!
//! Handlers describe what is particular to them: parameters, request and
//! success bodies, and the error codes only they give, named in backticks in
//! a response's description (`plan_limit_widgets`). Everything an operation
//! gets from where it is mounted is added here, once, by [`Contract`] after
//! every route is registered: its security requirement and the errors of the
//! layers and extractors in front of it (the widget gate, the CSRF check,
//! sign-in, body parsing, rate limits, timeouts). Each error response carries
//! the `ErrorBody` schema narrowed to exactly the codes it can hold, listed in
//! its description too, so a client (and the contract tests) can rely on it.

mod contract;

pub use contract::Contract;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "Witzo API", description = "The dashboard API (same-origin, session cookie + \
        `X-CSRF-Token`) and the public widget API (widget key + an allowed `Origin`). Every \
        error is `{\"code\", \"message\", \"field\"?}` with a stable code; each error response \
        lists the codes it can carry."),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// Rules across the fields of a request type, which a derived schema cannot
/// state (and utoipa's builders lack `not` and `const`), as JSON Schema;
/// each is defined next to the validation that enforces it.
type Rule = fn() -> serde_json::Value;

const CROSS_FIELD_RULES: [(&str, Rule); 3] = [
    (
        "ContactRequest",
        crate::routes::public::ContactRequest::schema_rule,
    ),
    (
        "LeadForm",
        witzo_app::widgets::settings::LeadForm::schema_rule,
    ),
    (
        "SettingsForm",
        crate::routes::dashboard::widgets::SettingsForm::schema_rule,
    ),
];

/// The served document: the routes' annotations completed by [`Contract`],
/// and each request type with its rules across fields (`allOf`).
pub fn document(mut openapi: utoipa::openapi::OpenApi) -> serde_json::Result<String> {
    Contract.modify(&mut openapi);
    let mut json = serde_json::to_value(&openapi)?;
    if let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for (name, rule) in CROSS_FIELD_RULES {
            if let Some(schema) = schemas.remove(name) {
                schemas.insert(
                    name.to_owned(),
                    serde_json::json!({ "allOf": [schema, rule()] }),
                );
            }
        }
    }
    serde_json::to_string(&json)
}

/// The security schemes' names.
const SESSION: &str = "session";
const PRE_SESSION: &str = "pre_session";
const CSRF: &str = "csrf_token";
const API_KEY: &str = "api_key";

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let cookie = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                name,
                description,
            )))
        };
        components.add_security_scheme(
            SESSION,
            cookie(
                "witzo_session",
                "The signed-in owner's session (`__Host-witzo_session` over https).",
            ),
        );
        components.add_security_scheme(
            PRE_SESSION,
            cookie(
                "witzo_pre",
                "A signed-out browser's cookie that CSRF tokens of the sign-in forms are \
                 bound to, set by `GET /api/auth/csrf` (`__Host-witzo_pre` over https).",
            ),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The CSRF token of the session (`GET /api/me`) or of the pre-session \
                 (`GET /api/auth/csrf`); HTML forms may send it as the `csrf_token` field.",
            ))),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wsk_ and 64 hex digits")
                    .description(Some(
                        "An owner API key (`/app/api-keys`), with the scope the route needs: \
                         `read` for GET, `write` for changes, `chat` for `POST /api/v1/chat`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
