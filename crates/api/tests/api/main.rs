//! Integration tests of the HTTP application: each test gets a fresh
//! database (`#[sqlx::test]`) and its own app on a random port.
#![allow(clippy::unwrap_used)]

mod helpers;

mod abuse;
mod accounts;
mod browser;
mod catalog;
mod content;
mod errors;
mod isp;
mod lifecycle;
mod modules;
mod monitoring;
mod notifications;
mod openapi;
mod orders;
mod payments;
mod plan_change;
mod provisioning;
mod replicas;
mod revocation;
mod roles;
mod sign_in;
mod spa;
mod staff;
mod system;
mod telegram;
mod tokens;
