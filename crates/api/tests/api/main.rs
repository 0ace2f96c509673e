//! Integration tests of the HTTP application: each test gets a fresh
//! database (`#[sqlx::test]`) and its own app on a random port.
#![allow(clippy::unwrap_used)]

mod helpers;

mod errors;
mod monitoring;
mod notifications;
mod openapi;
mod accounts;
mod sign_in;
mod staff;
mod telegram;
mod tokens;
mod replicas;
mod roles;
mod spa;
mod system;
