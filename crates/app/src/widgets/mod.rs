//! Chat widgets: their settings, plans' limits on them, the key cache,
//! embed health, and what owners do to them.

pub mod cache;
pub mod health;
pub mod logo;
pub mod plans;
pub mod service;
pub mod settings;
pub mod setup;
