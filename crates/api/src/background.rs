//! The jobs this process can run: every feature crate registers its job
//! kinds and schedules here, and every replica registers the same set.

use jobs::Registry;

use crate::state::AppState;

pub fn registry(state: &AppState) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    jobs::register_maintenance(&mut registry);
    let mailer =
        notify::Mailer::from_url(state.settings.smtp_url.expose(), &state.settings.mail_from)?;
    let telegram = state
        .telegram
        .as_ref()
        .map(|telegram| telegram.delivery.clone());
    // The outbox and broadcasts deliver through the same senders.
    let senders = notify::delivery::Senders::new(mailer, telegram.clone(), &state.pool);
    notify::outbox::register_jobs(&mut registry, senders.clone());
    notify::broadcast::register_jobs(&mut registry, senders);
    notify::alert::register_jobs(&mut registry);
    if let Some(delivery) = telegram
        && !state.settings.telegram_poll_interval.is_zero()
    {
        notify::telegram_link::register_jobs(
            &mut registry,
            delivery.client,
            state.settings.telegram_poll_interval,
        );
    }
    monitoring::expiry::register_jobs(
        &mut registry,
        state.settings.monitor.expiry_check_interval,
        monitoring::expiry::ExpiryRules {
            warn_days: state.settings.monitor.expiry_warn_days.clone(),
            group_threshold: state.settings.monitor.group_threshold,
        },
        state.clock.clone(),
    );
    monitoring::retention::register_jobs(&mut registry, state.settings.monitor.history_days);
    monitoring::import::register_jobs(&mut registry);
    billing::jobs_registry::register_jobs(&mut registry, state.payments.clone());
    provisioning::register_jobs(&mut registry, state.provisioner.clone());
    monitoring::isp::sync::register_jobs(&mut registry, state.sealer.clone());
    Ok(registry)
}
