//! Integration tests of the Redis-backed security primitives (rate limits and
//! one-time codes) against a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`). Every test works under its own random key prefix,
//! so tests run in parallel and never see each other's keys.
#![allow(clippy::unwrap_used)]

#[path = "redis_security/helpers.rs"]
mod helpers;
#[path = "redis_security/otp.rs"]
mod otp;
#[path = "redis_security/rate_limit.rs"]
mod rate_limit;
