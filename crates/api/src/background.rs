//! The jobs this process can run: every feature crate registers its job
//! kinds and schedules here, and every replica registers the same set.

use jobs::Registry;

use crate::state::AppState;

pub fn registry(state: &AppState) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    jobs::register_maintenance(&mut registry);
    let mailer = notify::Mailer::from_url(state.settings.smtp_url.expose(), &state.settings.mail_from)?;
    notify::outbox::register_jobs(&mut registry, mailer.clone());
    let senders = notify::broadcast::Senders { email: Some(std::sync::Arc::new(notify::broadcast::EmailSender(mailer))), telegram: None };
    notify::broadcast::register_jobs(&mut registry, senders);
    Ok(registry)
}
