//! Witzo's use cases — accounts and sign-in codes, widgets, training,
//! answering a chat turn, usage, billing, leads, Q&A pairs, mail — as
//! functions over a [`Core`](core::Core), returning [`AppError`](error::AppError).
//! No HTTP framework types: the server, the worker and the CLI are doors
//! onto the same behaviour.

pub mod analytics;
pub mod answers;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub mod bus;
pub mod config;
pub mod conversations;
pub mod core;
pub mod error;
pub mod fields;
pub mod format;
pub mod gaps;
pub mod input;
pub mod keys;
pub mod leads;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod qa;
pub mod training;
pub mod webhooks;
pub mod widgets;
