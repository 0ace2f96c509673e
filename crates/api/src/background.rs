//! The jobs this process can run: every feature crate registers its job
//! kinds and schedules here, and every replica registers the same set.

use jobs::Registry;

use crate::state::AppState;

pub fn registry(_state: &AppState) -> Registry {
    let mut registry = Registry::new();
    jobs::register_maintenance(&mut registry);
    registry
}
