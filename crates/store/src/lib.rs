//! Witzo's storage layer.
//!
//! One [`Store`] speaks to SQLite (the embedded default) or PostgreSQL, chosen
//! by the database URL. Every query is written once with `$n` placeholders,
//! which both backends understand; where the SQL must differ (job claiming),
//! the backend picks the statement. Each backend has its own embedded
//! migration tree under `migrations/`.
//!
//! The [`domain`] module holds the typed values that are parsed at the edge
//! (e-mail addresses, clean text, typed ids) so nothing unvalidated reaches a
//! query.

pub mod accounts;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod conversations;
mod db;
pub mod domain;
mod error;
pub mod gaps;
pub mod identities;
pub mod inbox;
pub mod jobs;
pub mod leads;
pub mod login_codes;
pub mod plans;
pub mod privacy;
pub mod qa;
pub mod runs;
pub mod sessions;
pub mod sketch;
pub mod sources;
mod stamps;
pub mod subscriptions;
mod turns;
pub mod usage;
pub mod webhooks;
pub mod widgets;

pub use db::{Backend, Store, sqlite_path};
pub use error::{StoreError, StoreResult};

/// The current time as Unix seconds, the unit of every stored timestamp.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(feature = "testing")]
pub mod testing;
