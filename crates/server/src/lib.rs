//! The `witzo` server: configuration, the HTTP application with its security
//! layer, and the command line. Storage lives in `witzo-store`.
//!
//! Tests and embedders build the app with [`app::Application::build`] on
//! port 0 and drive it over real HTTP.

pub mod app;
pub mod assets;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod state;
pub mod telemetry;
