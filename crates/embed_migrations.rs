//! Build script of every crate that embeds the migrations (their
//! Cargo.toml: `build = "../embed_migrations.rs"`).
//!
//! `sqlx::migrate!` and `#[sqlx::test(migrations = …)]` embed the
//! migrations when the crate compiles; without this, a migration added
//! since the last build would be missing from the binary and its tests.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
