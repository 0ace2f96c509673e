//! A Telegram fake per test, a client pointed at it, and throttles on a
//! fresh Redis prefix; every wait is bounded.

use std::time::Duration;

use notify::{telegram::TelegramClient, throttle::SendThrottle};
use sandbox::telegram::{TelegramFake, TelegramFakeConfig, TelegramFakeHandle};

/// Upper bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn spawn_fake() -> TelegramFakeHandle {
    spawn_fake_with(TelegramFakeConfig::default()).await
}

pub async fn spawn_fake_with(config: TelegramFakeConfig) -> TelegramFakeHandle {
    TelegramFake::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the Telegram fake starts on a free loopback port")
}

pub fn client_for(fake: &TelegramFakeHandle) -> TelegramClient {
    client_with(fake, fake.token(), WAIT)
}

pub fn client_with(fake: &TelegramFakeHandle, token: &str, timeout: Duration) -> TelegramClient {
    // reqwest is built without a TLS provider of its own and wants one
    // installed even for plain HTTP. Already-installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    TelegramClient::new(&fake.base_url(), token, timeout).unwrap()
}

pub async fn redis() -> redis::aio::ConnectionManager {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = redis::Client::open(url).unwrap();
    tokio::time::timeout(WAIT, redis::aio::ConnectionManager::new(client))
        .await
        .expect("Redis answers in time")
        .expect("Redis is reachable at REDIS_URL")
}

/// A key prefix no other test (or earlier run) uses.
pub fn fresh_prefix() -> String {
    format!("test:telegram-throttle:{}", uuid::Uuid::new_v4().simple())
}

/// Two throttles on separate connections with one prefix: two replicas.
pub async fn two_replicas(global_per_second: u32) -> (SendThrottle, SendThrottle) {
    let prefix = fresh_prefix();
    let first = SendThrottle::new(
        redis().await,
        &prefix,
        global_per_second,
        Duration::from_secs(1),
    )
    .with_max_wait(WAIT);
    let second = SendThrottle::new(
        redis().await,
        &prefix,
        global_per_second,
        Duration::from_secs(1),
    )
    .with_max_wait(WAIT);
    (first, second)
}
