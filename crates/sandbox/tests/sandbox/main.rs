//! Integration tests of the sandbox: real clients (lettre, reqwest, a raw
//! TCP socket, the built binary) against the real fakes on loopback ports,
//! and a loopback receiver standing in for the shop's webhook endpoints.

#![allow(clippy::unwrap_used)]

mod binary;
mod helpers;
mod midtrans;
mod pakasir;
mod proxmox;
mod rdap;
mod registrar;
mod routeros;
mod smtp_lettre;
mod smtp_protocol;
mod telegram;
mod web;
mod whm;
mod xendit;
