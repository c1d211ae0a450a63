//! Handlers, one module per area. Handlers parse (extractors), call the
//! store or a service, and map the result; they stay short.

pub mod account;
pub mod ops;
pub mod pages;
pub mod public;
