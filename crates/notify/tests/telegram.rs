//! Telegram delivery end to end: the real client over HTTP against the
//! sandbox's Bot API fake, and the send throttle against a real Redis
//! (`REDIS_URL`, default `redis://127.0.0.1:6379`) under a fresh key prefix
//! per test.

#![allow(clippy::unwrap_used)]

#[path = "telegram/broadcast.rs"]
mod broadcast;
#[path = "telegram/client.rs"]
mod client;
#[path = "telegram/helpers.rs"]
mod helpers;
#[path = "telegram/linking.rs"]
mod linking;
#[path = "telegram/throttle.rs"]
mod throttle;
