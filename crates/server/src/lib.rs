//! The `witzo` server: configuration, the HTTP application with its security
//! layer, and the command line. Storage lives in `witzo-store`.
//!
//! Tests and embedders build the app with [`app::Application::build`] on
//! port 0 and drive it over real HTTP.

pub mod app;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod cookies;
pub mod error;
pub mod extract;
#[cfg(test)]
mod layering;
pub mod listener;
pub mod openapi;
pub mod origins;
pub mod owner;
pub mod routes;
pub mod security;
pub mod state;
pub mod surface;
pub mod telemetry;
pub mod tls;
