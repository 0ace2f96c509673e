//! The jobs this process can run: every feature crate registers its job
//! kinds and schedules here, and every replica registers the same set.

use std::sync::Arc;
use std::time::Duration;

use jobs::Registry;

use crate::state::AppState;

pub fn registry(state: &AppState) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    jobs::register_maintenance(&mut registry);
    let mailer = notify::Mailer::from_url(state.settings.smtp_url.expose(), &state.settings.mail_from)?;
    let telegram = match &state.settings.telegram_bot_token {
        Some(token) => {
            let client = notify::telegram::TelegramClient::new(&state.settings.telegram_api_base_url, token.expose(), Duration::from_secs(15))?;
            let prefix = format!("{}telegram:throttle", state.settings.redis_key_prefix);
            let throttle = notify::throttle::SendThrottle::new(state.redis.clone(), &prefix, 30, Duration::from_secs(1));
            Some(notify::outbox::TelegramDelivery { client: Arc::new(client), throttle: Arc::new(throttle) })
        }
        None => None,
    };
    notify::outbox::register_jobs(&mut registry, notify::outbox::Delivery { mailer: mailer.clone(), telegram });
    let senders = notify::broadcast::Senders { email: Some(Arc::new(notify::broadcast::EmailSender(mailer))), telegram: None };
    notify::broadcast::register_jobs(&mut registry, senders);
    Ok(registry)
}
