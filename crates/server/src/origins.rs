//! The public surface's origin policy: what decides, per request, whether
//! a public call may proceed and whether its page may read the answer. A
//! module of its own so the state can hold a policy without depending on
//! the CORS middleware that consults it.

use std::future::Future;
use std::pin::Pin;

use axum::http::request::Parts;

use crate::error::ApiError;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request the policy turned away. `readable` errors carry
/// `Access-Control-Allow-Origin` so the calling page (the widget) can show
/// why; they hold nothing but the error.
pub struct Refusal {
    pub error: ApiError,
    pub readable: bool,
}

/// Decides whether a public request may proceed (it may attach what it
/// resolved, such as the widget, to `parts.extensions`), and whether the
/// calling page may read the response (`Ok(true)`: a widget was resolved
/// for its origin); `Ok(false)` passes without CORS headers (scripts and
/// images, which load without CORS).
pub trait OriginPolicy: Send + Sync {
    fn check<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<bool, Refusal>>;
}
