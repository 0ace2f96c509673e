//! Revocations of access tokens that take effect at once on every replica.
//!
//! Access tokens are verified offline, so ending a session in PostgreSQL does
//! not by itself stop the access tokens already handed out for it. Two kinds
//! of revocation close that gap: a revoked session (every token of that
//! session) and a user's "not valid before" instant (every token of that user
//! issued earlier: role changes, disabling, password resets). Both live in
//! one Redis sorted set whose scores are the instants the entries stop
//! mattering (when the last token they could stop has expired), so the set
//! never holds more than one access-token lifetime of revocations.
//!
//! Each replica mirrors the set into memory: a background task asks Redis
//! for the set's version every [`POLL_INTERVAL`] and reloads the whole set
//! when it changed (and at least every [`FULL_RESYNC`], which heals anything
//! missed), so the check on every request is a hash lookup with no round
//! trip. A revocation is written to Redis before the change that causes it
//! commits: if Redis cannot take it, the change fails rather than leave
//! tokens alive that the caller believes dead.
//!
//! Failing closed: a replica whose mirror is older than [`MAX_STALENESS`]
//! (never loaded, or Redis unreachable) refuses access tokens with 503
//! rather than accept tokens that may have been revoked meanwhile. The
//! bound is a few polls long so a slow Redis answer does not take the API
//! down, and short enough that an outage right after a revocation leaves a
//! revoked token usable for seconds, not for the rest of its 15 minutes.
//! Revocations cannot happen during an outage (the write fails), so
//! nothing made then is missed when Redis comes back.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use chrono::Utc;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::tokens::{ACCESS_TOKEN_TTL, AccessClaims, LEEWAY_SECONDS};

/// How often each replica asks Redis whether the set changed.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The whole set is reloaded at least this often, even when the version
/// seems unchanged (a flushed or restored Redis resets the version).
pub const FULL_RESYNC: Duration = Duration::from_secs(5);
/// Older than this, the mirror is not trusted and access tokens are refused.
pub const MAX_STALENESS: Duration = Duration::from_secs(5);

/// Why a verified access token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its session was ended, or its user changed since it was issued.
    Revoked,
    /// This replica does not know the current revocations.
    Unavailable,
}

#[derive(Default)]
struct Mirror {
    sessions: HashSet<Uuid>,
    /// User → not valid before, in Unix milliseconds.
    users: HashMap<Uuid, i64>,
    version: Option<i64>,
    synced_at: Option<Instant>,
    loaded_at: Option<Instant>,
    /// This replica's own recent revocations: a reload that raced with
    /// their write must not drop them until the next poll.
    recent: Vec<(String, Instant)>,
}

struct Inner {
    redis: ConnectionManager,
    set_key: String,
    version_key: String,
    mirror: RwLock<Mirror>,
}

/// The revocation set of this replica: cheap to clone.
#[derive(Clone)]
pub struct Revocations {
    inner: Arc<Inner>,
}

/// How long an entry must be kept: the longest a token it stops can live.
fn keep_for() -> i64 {
    i64::try_from(ACCESS_TOKEN_TTL.as_millis()).unwrap_or(i64::MAX / 2) + LEEWAY_SECONDS * 1000
}

fn session_member(session: Uuid) -> String {
    format!("s:{session}")
}

fn user_member(user: Uuid, not_before_ms: i64) -> String {
    format!("u:{user}:{not_before_ms}")
}

impl Mirror {
    fn apply(&mut self, member: &str) {
        if let Some(session) = member.strip_prefix("s:") {
            if let Ok(session) = session.parse() {
                self.sessions.insert(session);
            }
        } else if let Some(rest) = member.strip_prefix("u:")
            && let Some((user, at)) = rest.split_once(':')
            && let (Ok(user), Ok(at)) = (user.parse::<Uuid>(), at.parse::<i64>())
        {
            let entry = self.users.entry(user).or_insert(at);
            *entry = (*entry).max(at);
        }
    }
}

impl Revocations {
    /// An empty mirror that refuses every access token until [`Self::start`]
    /// has loaded the set.
    pub fn new(redis: ConnectionManager, redis_prefix: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                redis,
                set_key: format!("{redis_prefix}auth:revocations"),
                version_key: format!("{redis_prefix}auth:revocations:version"),
                mirror: RwLock::new(Mirror::default()),
            }),
        }
    }

    /// Loads the current set (a replica serves nothing before it knows it)
    /// and starts mirroring it. The task ends when the last clone is dropped.
    pub async fn start(&self) -> Result<(), redis::RedisError> {
        self.inner.sync(true).await?;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(POLL_INTERVAL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let full = inner
                    .read()
                    .loaded_at
                    .is_none_or(|at| at.elapsed() >= FULL_RESYNC);
                if let Err(error) = inner.sync(full).await {
                    tracing::warn!(%error, "revocation list: Redis unreachable; access tokens fail closed once the mirror is stale");
                }
            }
        });
        Ok(())
    }

    /// Ends every access token of these sessions, here at once and on the
    /// other replicas within a poll.
    pub async fn revoke_sessions(&self, sessions: &[Uuid]) -> Result<(), redis::RedisError> {
        let members: Vec<String> = sessions.iter().copied().map(session_member).collect();
        self.publish(members).await
    }

    /// Ends every access token of the user issued before now.
    pub async fn revoke_user_tokens(&self, user: Uuid) -> Result<(), redis::RedisError> {
        let now = Utc::now().timestamp_millis();
        self.publish(vec![user_member(user, now)]).await
    }

    async fn publish(&self, members: Vec<String>) -> Result<(), redis::RedisError> {
        if members.is_empty() {
            return Ok(());
        }
        let now = Utc::now().timestamp_millis();
        let until = now + keep_for();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for member in &members {
            pipe.zadd(&self.inner.set_key, member, until).ignore();
        }
        pipe.zrembyscore(&self.inner.set_key, "-inf", now).ignore();
        pipe.pexpire(&self.inner.set_key, keep_for()).ignore();
        pipe.incr(&self.inner.version_key, 1).ignore();
        pipe.pexpire(&self.inner.version_key, keep_for()).ignore();
        let mut redis = self.inner.redis.clone();
        pipe.query_async::<()>(&mut redis).await?;
        let mut mirror = self.inner.write();
        let at = Instant::now();
        for member in members {
            mirror.apply(&member);
            mirror.recent.push((member, at));
        }
        Ok(())
    }

    /// Whether a verified token may still be used: a lookup in memory.
    pub fn check(&self, claims: &AccessClaims) -> Result<(), Refusal> {
        let mirror = self.inner.read();
        if mirror
            .synced_at
            .is_none_or(|at| at.elapsed() > MAX_STALENESS)
        {
            return Err(Refusal::Unavailable);
        }
        if mirror.sessions.contains(&claims.sid) {
            return Err(Refusal::Revoked);
        }
        if let Some(not_before) = mirror.users.get(&claims.sub)
            && claims.issued_at_ms() < *not_before
        {
            return Err(Refusal::Revoked);
        }
        Ok(())
    }
}

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Mirror> {
        // A panic while holding the lock leaves a mirror that is still a
        // valid set of revocations: keep using it.
        self.mirror
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Mirror> {
        self.mirror
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One poll: the version, and the whole set when it changed or `full`.
    async fn sync(&self, full: bool) -> Result<(), redis::RedisError> {
        let mut redis = self.redis.clone();
        let version: Option<i64> = redis.get(&self.version_key).await?;
        let known = self.read().version;
        if !full && version.is_some() && version == known {
            self.write().synced_at = Some(Instant::now());
            return Ok(());
        }
        let now = Utc::now().timestamp_millis();
        let members: Vec<String> = redis
            .zrangebyscore(&self.set_key, format!("({now}"), "+inf")
            .await?;
        let mut fresh = Mirror::default();
        for member in &members {
            fresh.apply(member);
        }
        let at = Instant::now();
        fresh.version = version;
        fresh.synced_at = Some(at);
        fresh.loaded_at = Some(at);
        let mut mirror = self.write();
        fresh.recent = std::mem::take(&mut mirror.recent);
        fresh
            .recent
            .retain(|(_, published)| published.elapsed() < FULL_RESYNC);
        for (member, _) in fresh.recent.clone() {
            fresh.apply(&member);
        }
        *mirror = fresh;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_and_the_latest_not_before_wins() {
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let mut mirror = Mirror::default();
        mirror.apply(&session_member(session));
        mirror.apply(&user_member(user, 2_000));
        mirror.apply(&user_member(user, 1_000));
        mirror.apply("garbage");
        assert!(mirror.sessions.contains(&session));
        assert_eq!(mirror.users.get(&user), Some(&2_000));
        assert_eq!(mirror.sessions.len() + mirror.users.len(), 2);
    }
}
