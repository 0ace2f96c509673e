//! The actix-web application and the `juragan` binary: HTTP, the OpenAPI
//! document, error mapping, SPA serving, the job runner's wiring and the CLI.
//! Feature rules live in the feature crates; this crate only wires them.

pub mod alerting;
pub mod app;
pub mod auth;
pub mod background;
pub mod client_ip;
pub mod config;
pub mod demo;
pub mod error;
pub mod fallback;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod spa;
pub mod state;
pub mod telemetry;

pub use app::{Application, MIGRATOR};
pub use config::Settings;
