//! The part of each operation that comes from where it is mounted rather
//! than from its handler: its security requirement and the errors of the
//! layers and extractors in front of it.

use std::collections::{BTreeMap, BTreeSet};

use utoipa::Modify;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Ref, RefOr};

use super::{API_KEY, CSRF, PRE_SESSION, SESSION};
use crate::error::ErrorCode;
use crate::surface::Surface;

/// Completes the document once every route is registered: each operation's
/// security requirement and every error response it can give.
pub struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        for item in openapi.paths.paths.values() {
            for (_, operation) in operations(item) {
                if let Some(id) = &operation.operation_id {
                    *ids.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let methods = [
                ("get", item.get.as_mut()),
                ("head", item.head.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("patch", item.patch.as_mut()),
                ("delete", item.delete.as_mut()),
            ];
            for (method, operation) in methods {
                let Some(operation) = operation else { continue };
                // Handlers are named for their module (`cancel`, `delete`):
                // an id two of them share is made unique from the route.
                let shared = operation
                    .operation_id
                    .as_ref()
                    .is_some_and(|id| ids.get(id).copied().unwrap_or(0) > 1);
                if shared {
                    operation.operation_id = Some(route_id(method, path));
                }
                complete(path, method != "get" && method != "head", operation);
                if method == "post" && Caller::of(path, operation) == Caller::ApiKey {
                    add_idempotency_key(operation);
                }
            }
        }
    }
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("get", item.get.as_ref()),
        ("head", item.head.as_ref()),
        ("post", item.post.as_ref()),
        ("put", item.put.as_ref()),
        ("patch", item.patch.as_ref()),
        ("delete", item.delete.as_ref()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
}

/// `post_api_jobs_id_cancel` for `POST /api/jobs/{id}/cancel`.
fn route_id(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    format!("{method}_{}", words.join("_"))
}

/// Who calls an operation: it decides the security requirement and the
/// errors of the layers in front of the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// `/v1/…` naming a widget key: the widget gate checks the key and the
    /// page's `Origin` (or a preview token) before the handler runs.
    Widget,
    /// `/v1/…` naming no widget: nothing here is called across origins, so a
    /// request with an `Origin` is refused.
    PublicApi,
    /// The widget's scripts and logos, loaded without CORS; their handlers
    /// check the key.
    Script,
    /// The signed-in owner: JSON under `/api`, pages under `/app`.
    Owner,
    /// An owner API key: `/api/v1/…`.
    ApiKey,
    /// Anyone: sign-in, health, static assets, the landing page.
    Anonymous,
}

impl Caller {
    fn of(path: &str, operation: &Operation) -> Self {
        if path == "/widget.js" || path.starts_with("/embed/") {
            return Self::Script;
        }
        if Surface::of(path) == Surface::Public {
            let key = path.contains("{key}")
                || parameters(operation).any(|(name, place)| {
                    name == "key" && matches!(place, ParameterIn::Query | ParameterIn::Path)
                });
            return if key { Self::Widget } else { Self::PublicApi };
        }
        if Surface::of(path) == Surface::OwnerApi {
            return Self::ApiKey;
        }
        let api = path.starts_with("/api/") && !path.starts_with("/api/auth/");
        let app =
            (path == "/app" || path.starts_with("/app/")) && !path.starts_with("/app/sign-in");
        if api || app {
            Self::Owner
        } else {
            Self::Anonymous
        }
    }
}

/// How an operation's body is read (which decides how it can be refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    /// `ApiJson`: media type, size, syntax, then the typed value.
    Json,
    /// `ApiForm`: the same for URL-encoded forms.
    Form,
    /// `ApiMultipart`: uploads.
    Multipart,
    /// `ApiBytes`: read as it is (signed webhooks).
    Raw,
}

fn parameters(operation: &Operation) -> impl Iterator<Item = (&str, &ParameterIn)> {
    operation
        .parameters
        .iter()
        .flatten()
        .map(|p| (p.name.as_str(), &p.parameter_in))
}

fn body(caller: Caller, operation: &Operation) -> Body {
    let Some(request) = &operation.request_body else {
        return Body::None;
    };
    let has = |mime: &str| request.content.contains_key(mime);
    if caller == Caller::PublicApi {
        // The payment provider's signed webhook, verified over its raw bytes.
        Body::Raw
    } else if has("multipart/form-data") {
        Body::Multipart
    } else if has("application/x-www-form-urlencoded") {
        Body::Form
    } else {
        Body::Json
    }
}

/// Whether a path parameter of this operation is parsed as an integer.
fn integer_path(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(|p| {
        p.parameter_in == ParameterIn::Path
            && matches!(&p.schema, Some(RefOr::T(Schema::Object(o)))
                if matches!(o.schema_type, utoipa::openapi::schema::SchemaType::Type(Type::Integer)))
    })
}

/// Every code the layers, extractors and gate in front of the handler can
/// answer with, for this operation.
fn mounted_codes(path: &str, unsafe_method: bool, operation: &Operation) -> Vec<ErrorCode> {
    use ErrorCode::*;
    let caller = Caller::of(path, operation);
    let page = is_page(path);
    // The request middleware and the panic guard, for every route.
    let mut codes = vec![RequestTimeout, Unavailable, Internal];
    match caller {
        Caller::Widget => codes.extend([
            RateLimited,
            OriginMissing,
            OriginNotAllowed,
            WidgetDomainNotAllowed,
            WidgetInactive,
            PreviewTokenInvalid,
            WidgetKeyInvalid,
        ]),
        Caller::PublicApi => codes.extend([RateLimited, OriginNotAllowed]),
        Caller::Script => codes.push(RateLimited),
        // A page sends a browser without a session to sign in instead (303).
        Caller::Owner if !page => codes.extend([Unauthenticated, SessionExpired]),
        Caller::Owner => {}
        // The owner-API layer: the key, its scope, plan and rate limit;
        // on POST, the idempotency key. A key restricted to one widget
        // finds nothing of another's.
        Caller::ApiKey => {
            codes.extend([
                ApiKeyInvalid,
                InsufficientScope,
                PlanLimitApiKeys,
                RateLimited,
                NotFound,
            ]);
            if unsafe_method {
                codes.extend([
                    IdempotencyKeyReused,
                    IdempotencyKeyInFlight,
                    ValidationFailed,
                    PayloadTooLarge,
                ]);
            }
        }
        Caller::Anonymous => {}
    }
    if unsafe_method && Surface::of(path) == Surface::Dashboard {
        codes.extend([CsrfTokenMissing, CsrfTokenInvalid, CrossSiteRequest]);
    }
    match body(caller, operation) {
        Body::None => {}
        Body::Json => codes.extend([
            UnsupportedMediaType,
            PayloadTooLarge,
            InvalidJson,
            UnknownField,
            MissingField,
            InvalidType,
            ValidationFailed,
        ]),
        // The CSRF check reads a form body too (for its token field).
        Body::Form => codes.extend([
            UnsupportedMediaType,
            PayloadTooLarge,
            InvalidForm,
            UnknownField,
            MissingField,
            InvalidType,
            ValidationFailed,
        ]),
        Body::Multipart => codes.extend([UnsupportedMediaType, PayloadTooLarge, ValidationFailed]),
        Body::Raw => codes.extend([PayloadTooLarge, InvalidJson]),
    }
    if integer_path(operation) {
        codes.push(InvalidPath);
    }
    if matches!(caller, Caller::Owner | Caller::ApiKey)
        && parameters(operation).any(|(_, p)| *p == ParameterIn::Path)
    {
        // Finders take the owner: another account's id is not found.
        codes.push(NotFound);
    }
    let query = parameters(operation).any(|(_, p)| *p == ParameterIn::Query);
    if query && Surface::of(path) != Surface::Public {
        // `ApiQuery` (or `FormQuery`) on types that refuse unknown parameters.
        codes.extend([InvalidQuery, UnknownField]);
    }
    codes
}

/// The codes a handler names in backticks in its error responses' descriptions.
fn declared_codes(operation: &Operation) -> Vec<ErrorCode> {
    let mut codes = Vec::new();
    for (status, response) in &operation.responses.responses {
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if let RefOr::T(response) = response {
            codes.extend(
                response
                    .description
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .filter_map(ErrorCode::parse),
            );
        }
    }
    codes
}

fn complete(path: &str, unsafe_method: bool, operation: &mut Operation) {
    let caller = Caller::of(path, operation);
    set_security(path, caller, unsafe_method, operation);
    let mut by_status: BTreeMap<u16, BTreeSet<&'static str>> = BTreeMap::new();
    for code in
        declared_codes(operation)
            .into_iter()
            .chain(mounted_codes(path, unsafe_method, operation))
    {
        by_status
            .entry(code.status())
            .or_default()
            .insert(code.as_str());
    }
    let page = is_page(path);
    if caller == Caller::Owner && page {
        operation
            .responses
            .responses
            .entry("303".to_owned())
            .or_insert_with(|| {
                RefOr::T(Response::new(
                    "To the sign-in page (not signed in, or the session expired).",
                ))
            });
    }
    for (status, codes) in by_status {
        let entry = operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new("")));
        if let RefOr::T(response) = entry {
            describe_error(response, status, &codes, page);
        }
    }
}

/// A dashboard page (HTML) rather than the JSON API.
fn is_page(path: &str) -> bool {
    path == "/app" || path.starts_with("/app/")
}

fn set_security(path: &str, caller: Caller, unsafe_method: bool, operation: &mut Operation) {
    let page = is_page(path);
    let requirement = |names: &[&str]| {
        names
            .iter()
            .fold(SecurityRequirement::default(), |req, name| {
                req.add::<_, [&str; 0], &str>(*name, [])
            })
    };
    let csrf = unsafe_method && Surface::of(path) == Surface::Dashboard;
    operation.security = match (caller, csrf) {
        (Caller::Widget | Caller::PublicApi | Caller::Script, _) => None,
        (Caller::ApiKey, _) => Some(vec![requirement(&[API_KEY])]),
        // A page sends a browser without a session to the sign-in page (303).
        (Caller::Owner, false) if page => Some(vec![requirement(&[SESSION]), requirement(&[])]),
        (Caller::Owner, false) => Some(vec![requirement(&[SESSION])]),
        (Caller::Owner, true) => Some(vec![requirement(&[SESSION, CSRF])]),
        // Sign-in forms: a token bound to the pre-session cookie, or to the
        // session of a browser already signed in.
        (Caller::Anonymous, true) => Some(vec![
            requirement(&[PRE_SESSION, CSRF]),
            requirement(&[SESSION, CSRF]),
        ]),
        // What the handler declared (the metrics bearer token), or nothing.
        (Caller::Anonymous, false) => operation.security.take(),
    };
}

fn default_description(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed.",
        401 => "Not signed in, or the session has expired.",
        403 => "Refused.",
        404 => "Not found.",
        409 => "In conflict with the current state.",
        413 => "The body is too large.",
        415 => "The body's media type is not accepted.",
        422 => "A field is missing, unknown or invalid (`field` names it).",
        429 => "Too many requests; retry after `Retry-After` seconds.",
        500 => "An error on our side (the body is generic; the cause is logged).",
        502 => "A provider Witzo relies on failed.",
        503 => "Unavailable for now (`Retry-After`, when sent, says for how long).",
        _ => "Refused.",
    }
}

/// Gives an error response its description with the list of codes, its
/// body and `Retry-After` where it applies. The body is `ErrorBody` narrowed
/// to those codes; a dashboard page (`/app…`) shows the error as a page
/// instead (`dashboard::page_errors`), except a timeout or a panic, which
/// the outer layers answer as JSON.
fn describe_error(response: &mut Response, status: u16, codes: &BTreeSet<&str>, page: bool) {
    let listed = codes
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let intro = if response.description.trim().is_empty() {
        default_description(status).to_owned()
    } else {
        response.description.trim().to_owned()
    };
    response.description = format!("{intro}\n\nCodes: {listed}.");
    response.content.clear();
    if page {
        response.content.insert(
            "text/html".to_owned(),
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        );
    }
    if !page || matches!(status, 500 | 503) {
        let code = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(codes.iter().copied()));
        let schema = AllOfBuilder::new()
            .item(Ref::from_schema_name("ErrorBody"))
            .item(ObjectBuilder::new().property("code", code).required("code"))
            .build();
        response.content.insert(
            "application/json".to_owned(),
            ContentBuilder::new()
                .schema(Some(RefOr::T(Schema::AllOf(schema))))
                .build(),
        );
    }
    if matches!(status, 429 | 503) {
        response.headers.insert(
            "Retry-After".to_owned(),
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
}

/// The optional `Idempotency-Key` header of the owner API's POSTs.
fn add_idempotency_key(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "Runs the POST once: the same key and request within 24 hours get the \
             first answer again (`Idempotent-Replayed: true`); another request under \
             the key is `409 idempotency_key_reused`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[\\x21-\\x7e]+$")),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(parameter);
}
