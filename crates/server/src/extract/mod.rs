//! Extractors. The body, query and path extractors replace axum's own so
//! every rejection has Witzo's error shape and a precise code; the identity
//! extractors put authorisation in handler signatures.

mod body;
mod client;
pub mod multipart;
mod session;

pub use body::{ApiBytes, ApiForm, ApiJson, ApiMultipart, ApiPath, ApiQuery, FormQuery};
pub use client::ClientIp;
pub use session::{Owner, OwnerSession};
