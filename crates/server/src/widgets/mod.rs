//! Chat widgets: their settings, plans' limits on them, the key cache, the
//! public gate (key + origin + preview tokens), and what owners do to them.

pub mod cache;
pub mod gate;
pub mod health;
pub mod logo;
pub mod plans;
pub mod service;
pub mod settings;
