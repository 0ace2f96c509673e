//! A throw-away key space in the shared test Redis, and ways to look into it.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Upper bound for any single Redis round trip or connection attempt in tests.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);

/// One test's key space: `test:<uuid>:`. Every key it holds has a TTL, so a
/// test that panics before [`TestRedis::cleanup`] leaves nothing forever.
pub struct TestRedis {
    pub prefix: String,
    client: redis::Client,
}

impl TestRedis {
    pub fn new() -> Self {
        let url =
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        Self {
            prefix: format!("test:{}:", uuid::Uuid::new_v4()),
            client: redis::Client::open(url).unwrap(),
        }
    }

    /// A new connection manager, standing for one more API replica.
    pub async fn replica(&self) -> ConnectionManager {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        tokio::time::timeout(
            REDIS_TIMEOUT * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .expect("Redis did not answer in time; is it running at REDIS_URL?")
        .expect("cannot connect to Redis; is it running at REDIS_URL?")
    }

    /// Every key under this test's prefix.
    pub async fn keys(&self) -> Vec<String> {
        let mut conn = self.replica().await;
        let mut cursor: u64 = 0;
        let mut keys = Vec::new();
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .unwrap();
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// Every value stored under this test's prefix, as strings (hash fields
    /// and values flattened), paired with the key that holds it.
    pub async fn values(&self) -> Vec<(String, String)> {
        let mut conn = self.replica().await;
        let mut values = Vec::new();
        for key in self.keys().await {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap();
            match kind.as_str() {
                "string" => {
                    let value: String = redis::cmd("GET")
                        .arg(&key)
                        .query_async(&mut conn)
                        .await
                        .unwrap();
                    values.push((key, value));
                }
                "hash" => {
                    let fields: Vec<String> = redis::cmd("HGETALL")
                        .arg(&key)
                        .query_async(&mut conn)
                        .await
                        .unwrap();
                    values.extend(fields.into_iter().map(|value| (key.clone(), value)));
                }
                "none" => {} // expired between SCAN and TYPE
                other => panic!("unexpected Redis type {other} at {key}"),
            }
        }
        values
    }

    /// Remaining time to live of `key` in ms (-1: none, -2: no such key).
    pub async fn pttl(&self, key: &str) -> i64 {
        let mut conn = self.replica().await;
        redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    /// Asserts that every key of this test expires by itself.
    pub async fn assert_every_key_expires(&self) {
        for key in self.keys().await {
            let ttl = self.pttl(&key).await;
            assert!(ttl > 0 || ttl == -2, "{key} has no TTL ({ttl})");
        }
    }

    pub async fn cleanup(self) {
        let keys = self.keys().await;
        if keys.is_empty() {
            return;
        }
        let mut conn = self.replica().await;
        redis::cmd("DEL")
            .arg(keys)
            .exec_async(&mut conn)
            .await
            .unwrap();
    }
}

/// Waits `duration` plus a small margin for Redis' expiry to have happened.
pub async fn wait_past(duration: Duration) {
    tokio::time::sleep(duration + Duration::from_millis(150)).await;
}
