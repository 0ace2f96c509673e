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

/// mimalloc instead of glibc's malloc for every binary built on this crate
/// (`juragan`, the tests, the benches). glibc kept what a 100k-row import
/// had freed: the server stood at +80 MB over idle after it, for good;
/// mimalloc peaks at +45 MB and hands the pages back (measured with the
/// import bench, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub use config::Settings;
