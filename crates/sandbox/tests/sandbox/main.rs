//! Integration tests of the sandbox: real clients (lettre, reqwest, a raw
//! TCP socket, the built binary) against the real fakes on loopback ports.

#![allow(clippy::unwrap_used)]

mod binary;
mod helpers;
mod rdap;
mod smtp_lettre;
mod smtp_protocol;
mod telegram;
mod web;
