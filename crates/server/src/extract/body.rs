use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// A JSON body: `application/json` only, size-limited by the route's
/// `DefaultBodyLimit`, unknown fields refused by `deny_unknown_fields` on the
/// target type.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// A URL-encoded form body (`application/x-www-form-urlencoded`).
#[derive(Debug)]
pub struct ApiForm<T>(pub T);

/// A query string.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// The query a dashboard page's GET form sends: every field, a blank one
/// (a select's "Any", an empty search box) as `name=`. Blank fields are read
/// as absent, so an `Option` field is `None` rather than a parse error.
#[derive(Debug)]
pub struct FormQuery<T>(pub T);

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// The body as raw bytes (signed webhooks, whose signature covers them
/// exactly), with the same size refusal as every other body.
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        read_body(req, state).await.map(ApiBytes)
    }
}

/// A `multipart/form-data` body (uploads).
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Send the upload as multipart/form-data.",
                )
            })
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        require_media_type(req.headers(), is_json, "application/json")?;
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        require_media_type(req.headers(), is_form, "application/x-www-form-urlencoded")?;
        let bytes = read_body(req, state).await?;
        parse_urlencoded(&bytes, ErrorCode::InvalidForm).map(ApiForm)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let query = parts.uri.query().unwrap_or_default();
        parse_urlencoded(query.as_bytes(), ErrorCode::InvalidQuery).map(ApiQuery)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for FormQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let query = parts.uri.query().unwrap_or_default();
        let filled = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(_, v)| !v.is_empty()))
            .finish();
        parse_urlencoded(filled.as_bytes(), ErrorCode::InvalidQuery).map(FormQuery)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::new(ErrorCode::InvalidPath, rejection.body_text()))
    }
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

fn is_json(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn is_form(mime: &str) -> bool {
    mime == "application/x-www-form-urlencoded"
}

fn require_media_type(
    headers: &HeaderMap,
    accepts: fn(&str) -> bool,
    expected: &str,
) -> ApiResult<()> {
    match media_type(headers) {
        Some(mime) if accepts(&mime) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("Send the body as {expected}."),
        )),
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state)
        .await
        .map_err(body_rejection)
}

pub(crate) fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large.")
    } else {
        ApiError::new(
            ErrorCode::InvalidJson,
            "The request body could not be read.",
        )
    }
}

/// Parses JSON, mapping serde's errors to precise codes and the field path.
/// Numbers are read as JSON Schema reads them: `43.0` is the integer 43.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut value = serde_json::Value::deserialize(&mut de).map_err(|err| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!(
                "The body is not valid JSON: {}",
                strip_position(&err.to_string())
            ),
        )
    })?;
    de.end().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidJson,
            "The body has trailing characters after the JSON value.",
        )
    })?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        classify_data_error(&err.into_inner().to_string(), &path)
    })
}

/// Rewrites every number with a zero fractional part (`3.0`, `-0.0`, `1e2`)
/// that fits an integer as that integer.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // 2^63: the first float past i64, and every integral float below
            // it is exact in an i64.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if float.fract() == 0.0 && float.abs() < LIMIT {
                #[allow(clippy::cast_possible_truncation)]
                let integer = float as i64;
                *number = integer.into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn parse_urlencoded<T: DeserializeOwned>(bytes: &[u8], malformed: ErrorCode) -> ApiResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let classified = classify_data_error(&message, &path);
        // A value that does not parse, or a parameter given twice.
        let unreadable = message.starts_with("invalid") || message.starts_with("duplicate field");
        if classified.code() == ErrorCode::ValidationFailed && unreadable {
            ApiError::new(malformed, message)
        } else {
            classified
        }
    })
}

/// serde reports data errors as text; its wording is stable and is the only
/// way to tell an unknown field from a missing one.
fn classify_data_error(message: &str, path: &str) -> ApiError {
    // serde_path_to_error calls the top level ".".
    let path = if path == "." { "" } else { path };
    let field_in_backticks = || message.split('`').nth(1).unwrap_or_default().to_owned();
    let join = |name: String| {
        if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        }
    };
    let at_path = |error: ApiError| {
        if path.is_empty() {
            error
        } else {
            error.field(path)
        }
    };
    if message.starts_with("unknown field") {
        // The path already ends with the unknown field's name.
        let name = field_in_backticks();
        at_path(ApiError::new(
            ErrorCode::UnknownField,
            format!("Unknown field `{name}`."),
        ))
    } else if message.starts_with("missing field") {
        let name = field_in_backticks();
        ApiError::new(ErrorCode::MissingField, format!("Missing field `{name}`.")).field(join(name))
    } else if message.starts_with("invalid type") || message.starts_with("invalid length") {
        at_path(ApiError::new(
            ErrorCode::InvalidType,
            format!("Wrong type: {message}."),
        ))
    } else {
        at_path(ApiError::new(
            ErrorCode::ValidationFailed,
            message.to_owned(),
        ))
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        count: u8,
    }

    fn code_and_field(raw: &str) -> (&'static str, Option<String>) {
        let err = parse_json::<Body>(raw.as_bytes()).unwrap_err();
        (err.code().as_str(), err.field_name().map(str::to_owned))
    }

    #[test]
    fn classifies_each_kind_of_bad_json() {
        assert_eq!(code_and_field("{").0, "invalid_json");
        assert_eq!(code_and_field("").0, "invalid_json");
        assert_eq!(
            code_and_field(r#"{"name":"a","inner":{"count":1}} x"#).0,
            "invalid_json"
        );
        assert_eq!(
            code_and_field(r#"{"name":"a"}"#),
            ("missing_field", Some("inner".into()))
        );
        assert_eq!(
            code_and_field(r#"{"name":"a","inner":{"count":1,"evil":true}}"#),
            ("unknown_field", Some("inner.evil".into()))
        );
        assert_eq!(
            code_and_field(r#"{"name":1,"inner":{"count":1}}"#),
            ("invalid_type", Some("name".into()))
        );
        assert_eq!(
            code_and_field(r#"{"name":"a","inner":{"count":300}}"#).0,
            "validation_failed"
        );
        assert_eq!(
            code_and_field(r#"{"name":"a","inner":{"count":1.5}}"#),
            ("invalid_type", Some("inner.count".into()))
        );
    }

    #[test]
    fn integral_numbers_are_integers_however_they_are_written() {
        for raw in ["3", "3.0", "30e-1", "0.3e1"] {
            let body = format!(r#"{{"name":"a","inner":{{"count":{raw}}}}}"#);
            let parsed = parse_json::<Body>(body.as_bytes()).unwrap();
            assert_eq!(parsed.inner.count, 3, "{raw}");
        }
    }
}
