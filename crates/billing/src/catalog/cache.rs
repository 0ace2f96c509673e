//! The storefront's pages kept in memory, because the busiest page of the
//! shop asks the same question thousands of times between two staff edits.
//!
//! Correctness never rests on a timer: every catalog table has a trigger
//! that sends `catalog_changed` when a change commits (migration
//! `catalog_change_notice`), and each replica listens ([`listen`]) and
//! forgets everything it held. While the listener is not connected —
//! before it first subscribes, or after its connection dropped, when a
//! notice may have been missed — the cache is off and every request reads
//! the database. The replica that made a change also forgets at once
//! ([`StorefrontCache::invalidate`]), so its own next answer is fresh
//! without waiting for the notice to come back.
//!
//! A page read while a change commits could be put into the cache after
//! the notice emptied it; each entry therefore carries the generation it
//! was read under and is only stored if no notice came in between.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::group::Buyer;

pub const CHANNEL: &str = "catalog_changed";

/// More distinct pages than this (every tier × currency × language ×
/// filter × page of a large catalog) and the cache starts over rather
/// than grow without bound.
const MAX_ENTRIES: usize = 20_000;

/// What a cached page answers: who is asking (their tier), and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub group_id: i64,
    pub query: String,
}

#[derive(Default)]
struct Entries {
    /// The tier of each signed-in buyer seen, and of anonymous visitors.
    tiers: HashMap<Option<(Uuid, bool)>, i64>,
    /// Rendered pages (JSON), handed out without a copy.
    pages: HashMap<PageKey, Bytes>,
}

/// What a replica remembers of the storefront. Cheap to clone.
#[derive(Clone, Default)]
pub struct StorefrontCache {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Set while the listener is subscribed: only then can the cache be
    /// trusted to hear about changes.
    listening: AtomicBool,
    generation: AtomicU64,
    entries: RwLock<Entries>,
}

/// The generation a read started under; see [`StorefrontCache::generation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

fn buyer_key(buyer: Buyer) -> Option<(Uuid, bool)> {
    match buyer {
        Buyer::Anonymous => None,
        Buyer::Client {
            user_id,
            reseller_role,
        } => Some((user_id, reseller_role)),
    }
}

impl StorefrontCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the cache is in use (its listener is subscribed).
    pub fn is_active(&self) -> bool {
        self.inner.listening.load(Ordering::Acquire)
    }

    /// Forgets everything; reads that started before will not be stored.
    pub fn invalidate(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.inner.entries.write() {
            *entries = Entries::default();
        }
    }

    /// Taken before reading the database for an entry to store.
    pub fn generation(&self) -> Generation {
        Generation(self.inner.generation.load(Ordering::Acquire))
    }

    pub fn tier(&self, buyer: Buyer) -> Option<i64> {
        if !self.is_active() {
            return None;
        }
        let entries = self.inner.entries.read().ok()?;
        entries.tiers.get(&buyer_key(buyer)).copied()
    }

    pub fn page(&self, key: &PageKey) -> Option<Bytes> {
        if !self.is_active() {
            return None;
        }
        let entries = self.inner.entries.read().ok()?;
        entries.pages.get(key).cloned()
    }

    /// Keeps what was read under `read_under`, unless a change came since.
    pub fn store(
        &self,
        read_under: Generation,
        buyer: Buyer,
        group_id: i64,
        page: Option<(PageKey, Bytes)>,
    ) {
        if !self.is_active() {
            return;
        }
        let Ok(mut entries) = self.inner.entries.write() else {
            return;
        };
        // Checked under the write lock: `invalidate` bumps the generation
        // before it takes the lock, so a stale read cannot slip in after.
        if self.generation() != read_under {
            return;
        }
        if entries.pages.len() + entries.tiers.len() >= MAX_ENTRIES {
            *entries = Entries::default();
        }
        entries.tiers.insert(buyer_key(buyer), group_id);
        if let Some((key, page)) = page {
            entries.pages.insert(key, page);
        }
    }

    fn set_listening(&self, listening: bool) {
        // Either way what was held may have missed a notice: start empty.
        self.invalidate();
        self.inner.listening.store(listening, Ordering::Release);
    }
}

/// Listens for `catalog_changed` for as long as the cache lives, emptying
/// it on each notice; the cache is off while not subscribed. Reconnects
/// after a pause when the connection fails.
pub async fn listen(pool: PgPool, cache: StorefrontCache) {
    const RETRY: Duration = Duration::from_secs(2);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "storefront cache: cannot listen for catalog changes; serving from the database");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "storefront cache: LISTEN failed; serving from the database");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        cache.set_listening(true);
        loop {
            match listener.try_recv().await {
                Ok(Some(_notice)) => cache.invalidate(),
                // The connection dropped, so notices may have been missed:
                // off until a new connection is subscribed.
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "storefront cache: listener failed; serving from the database");
                    break;
                }
            }
        }
        cache.set_listening(false);
        drop(listener);
        if Arc::strong_count(&cache.inner) == 1 {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(query: &str) -> PageKey {
        PageKey {
            group_id: 1,
            query: query.to_owned(),
        }
    }

    #[test]
    fn nothing_is_kept_until_the_listener_is_subscribed() {
        let cache = StorefrontCache::new();
        let read = cache.generation();
        cache.store(
            read,
            Buyer::Anonymous,
            1,
            Some((key("a"), Bytes::from_static(b"page"))),
        );
        assert_eq!(cache.page(&key("a")), None);
        assert_eq!(cache.tier(Buyer::Anonymous), None);

        cache.set_listening(true);
        let read = cache.generation();
        cache.store(
            read,
            Buyer::Anonymous,
            1,
            Some((key("a"), Bytes::from_static(b"page"))),
        );
        assert_eq!(cache.page(&key("a")).as_deref(), Some(&b"page"[..]));
        assert_eq!(cache.tier(Buyer::Anonymous), Some(1));

        cache.set_listening(false);
        assert_eq!(
            cache.page(&key("a")),
            None,
            "a lost connection empties and disables"
        );
    }

    #[test]
    fn a_read_that_a_change_overtook_is_not_stored() {
        let cache = StorefrontCache::new();
        cache.set_listening(true);
        let read = cache.generation();
        cache.invalidate();
        cache.store(
            read,
            Buyer::Anonymous,
            1,
            Some((key("a"), Bytes::from_static(b"stale"))),
        );
        assert_eq!(cache.page(&key("a")), None);
    }
}
