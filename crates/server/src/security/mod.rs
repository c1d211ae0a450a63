//! The security layer. Each control is a middleware or an extractor applied
//! where routes are assembled (`app.rs`), so a new route cannot forget it.
//! `docs/SECURITY.md` maps every threat to the code here.

pub mod cors;
pub mod csrf;
pub mod headers;
pub mod owner_api;
pub mod rate_limit;
pub mod request;
