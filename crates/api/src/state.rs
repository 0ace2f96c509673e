//! What every handler can reach: the database pool, Redis, and settings.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use sqlx::PgPool;

use notify::delivery::TelegramDelivery;
use tokio::sync::OnceCell;

use crate::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub identity: identity::Identity,
    pub redis: ConnectionManager,
    pub settings: Arc<Settings>,
    /// The bot, when `TELEGRAM_BOT_TOKEN` is set.
    pub telegram: Option<Telegram>,
    /// "Now" and the shop's calendar (`SHOP_TIMEZONE`); the system clock in
    /// the server, one a test moves in tests.
    pub clock: domain::Clock,
    /// Seals what must not be readable in the database (digital stock):
    /// `JURAGAN_SECRET_KEY` seals, it and the previous keys open.
    pub sealer: Arc<domain::Sealer>,
    /// The storefront's answers, kept until the catalog changes
    /// (`billing::catalog::cache`).
    pub storefront_cache: billing::catalog::cache::StorefrontCache,
    /// Domain availability over RDAP (`RDAP_BOOTSTRAP_URL`,
    /// `DOMAIN_CHECK_TIMEOUT_MS`), answers shared through Redis.
    pub domain_checker: billing::domain_check::DomainChecker,
    /// What payment code needs: the pool, the sealer of gateway secrets,
    /// an HTTP client for the gateways and the clock.
    pub payments: billing::payment::PaymentContext,
    /// What provisioning runs need: pool, sealer, registrar, task timing.
    pub provisioner: provisioning::Provisioner,
}

/// The bot's client and shared send throttle, and its username for deep
/// links, asked from `getMe` once per process.
#[derive(Clone)]
pub struct Telegram {
    pub delivery: TelegramDelivery,
    pub bot_username: Arc<OnceCell<String>>,
}

impl Telegram {
    pub async fn bot_username(&self) -> Result<&str, notify::telegram::TelegramError> {
        let name = self
            .bot_username
            .get_or_try_init(|| async {
                let bot = self.delivery.client.get_me().await?;
                Ok::<_, notify::telegram::TelegramError>(bot.username.unwrap_or_default())
            })
            .await?;
        Ok(name.as_str())
    }
}
