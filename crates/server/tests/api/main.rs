#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests: the real application on port 0 over real HTTP, with a
//! fresh SQLite database (or PostgreSQL, where a test says so) per test.
//!
//! A module per behaviour; what several of them need lives in `helpers/`
//! (the `TestApp`, typed views, the local doubles), never in another test
//! module.

mod account;
mod answers;
mod answers_browser;
mod api_keys;
mod backup;
mod bench;
mod billing;
mod billing_operator;
mod binary;
mod browser;
mod cli;
mod concurrency;
mod connections;
mod csrf;
mod docs;
mod failover;
mod first_hour;
mod first_hour_browser;
mod gap_digest;
mod headers;
mod helpers;
mod inbox;
mod insights_browser;
mod job_wakeups;
mod knowledge_pages;
mod knowledge_versions;
mod leads;
mod leads_browser;
mod leads_follow_up;
mod oidc;
mod openapi;
mod ops;
mod page_errors;
mod plan_features;
mod plans;
mod postgres_restart;
mod public;
mod qa;
mod qa_browser;
mod qa_csv;
mod qa_pages;
mod redis_limits;
mod remembered_answers;
mod sessions;
mod sign_in;
mod tls;
mod training;
mod training_answers;
mod training_documents;
mod usage;
mod validation;
mod webhooks;
mod webhooks_delivery;
mod webhooks_events;
mod widget_browser;
mod widget_chat;
mod widget_naughty;
mod widget_origins;
mod widget_pages;
mod widgets;
