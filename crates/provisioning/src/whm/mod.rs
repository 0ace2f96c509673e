//! cPanel WHM (API 1): the hosting accounts Juragan sells.
//!
//! [`WhmClient`] speaks `/json-api/{function}?api.version=1` with a WHM API
//! token (`external-apis.md` §2): list packages and accounts, create,
//! suspend, unsuspend, remove and re-package accounts. WHM has no
//! idempotency keys, so a caller whose `createacct` timed out looks the
//! account up ([`WhmClient::find_account`]) before trying again; every
//! [`WhmError`] says whether a retry can help. [`pick_username`] derives a
//! username WHM accepts from the customer's domain.
//!
//! The sandbox crate's WHM fake speaks the same protocol for tests.

mod client;
mod error;
mod username;

pub use self::client::{
    CreatedWhmAccount, NewWhmAccount, WhmAccount, WhmClient, WhmConfig, WhmPackage,
};
pub use self::error::WhmError;
pub use self::username::{
    UNIQUE_PREFIX_LEN, is_valid_username, pick_username, unique_prefix, username_candidates,
};
