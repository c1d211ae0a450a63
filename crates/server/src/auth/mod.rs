//! Signing owners in: e-mailed one-time codes, OpenID Connect, and starting
//! a session (with rotation) once either has proven who the owner is.

pub mod codes;
pub mod oidc;
mod session;

pub use session::{SignInMethod, end_session_cookie, start_session, user_agent};
