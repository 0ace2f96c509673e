//! The crate's one integration-test binary: the API client against a
//! scripted router, the REST client against a scripted HTTP server, and
//! the codec's properties. Everything runs on loopback with bounded time.

#![allow(clippy::unwrap_used)]

mod api;
mod codec_props;
mod rest;
mod support;
