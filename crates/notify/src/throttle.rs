//! The Telegram send rate, shared by every replica through Redis: at most
//! `global_per_second` sends per second for the whole bot (Telegram's ~30/s)
//! and at least `per_chat_interval` between two sends to one chat (~1/s),
//! plus a bot-wide pause that a 429 `retry_after` sets for everyone.
//!
//! Each [`SendThrottle::acquire`] reserves the next free send slot in one
//! atomic Lua script that reads the clock from Redis (`TIME`), so replicas
//! with skewed clocks still share one timeline and together never exceed the
//! rate. Slots are spaced evenly (1/30 s apart): no bursts, so no window of
//! one second ever holds more than the limit. The caller then sleeps until
//! its slot.
//!
//! Key layout (`{prefix}` is a Redis Cluster hash tag, so one script may
//! touch all the keys of one bot; every key expires on its own):
//!
//! | key | value (µs since the epoch, Redis time) | expires |
//! | --- | --- | --- |
//! | `{prefix}:global` | the next free global slot | when that slot has passed (+1 s) |
//! | `{prefix}:chat:<chat_id>` | the earliest next send to that chat | likewise |
//! | `{prefix}:pause` | the end of the pause `pause_all` set | at that end (+1 s) |

use std::time::{Duration, Instant};

use redis::{Script, aio::ConnectionManager};

/// Reserves a slot, or says how long until the chat is free (`{0, wait}`)
/// or that the wait exceeds the caller's bound (`{-1, wait}`).
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local global_next = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat_next = tonumber(redis.call('GET', KEYS[2]) or '0')
local pause_until = tonumber(redis.call('GET', KEYS[3]) or '0')
local slot = math.max(now, global_next, pause_until)
if chat_next > slot then
  return {0, chat_next - now}
end
local wait = slot - now
if wait > tonumber(ARGV[3]) then
  return {-1, wait}
end
local global_after = slot + tonumber(ARGV[1])
local chat_after = slot + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', global_after), 'PX', math.floor((global_after - now) / 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%.0f', chat_after), 'PX', math.floor((chat_after - now) / 1000) + 1000)
return {1, wait}
";

/// Moves the pause's end to now + ARGV[1] µs unless it is already later.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause_until = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause_until > current then
  redis.call('SET', KEYS[1], string.format('%.0f', pause_until), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
end
return 1
";

/// Microseconds of pause left.
const PAUSE_LEFT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause_until = tonumber(redis.call('GET', KEYS[1]) or '0')
return math.max(0, pause_until - now)
";

#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    #[error("the send throttle could not reach Redis")]
    Redis(#[from] redis::RedisError),
    /// The next slot is further away than the caller's bound; nothing was
    /// reserved.
    #[error("the next Telegram send slot is {wait:?} away, more than the allowed wait")]
    WouldWaitTooLong { wait: Duration },
}

/// One bot's send rate, shared through Redis. Cheap to clone.
#[derive(Clone)]
pub struct SendThrottle {
    redis: ConnectionManager,
    prefix: String,
    global_interval: Duration,
    per_chat_interval: Duration,
    max_wait: Duration,
    reserve: Script,
    pause: Script,
    pause_left: Script,
}

impl std::fmt::Debug for SendThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendThrottle")
            .field("prefix", &self.prefix)
            .field("global_interval", &self.global_interval)
            .field("per_chat_interval", &self.per_chat_interval)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl SendThrottle {
    /// `prefix` names the bot's keys (e.g. `juragan:telegram:throttle`);
    /// Telegram's limits are `30` and one second. `acquire` waits at most a
    /// minute unless [`SendThrottle::with_max_wait`] says otherwise.
    pub fn new(
        redis: ConnectionManager,
        prefix: &str,
        global_per_second: u32,
        per_chat_interval: Duration,
    ) -> Self {
        let global_interval = Duration::from_secs(1) / global_per_second.max(1);
        SendThrottle {
            redis,
            prefix: prefix.to_owned(),
            global_interval,
            per_chat_interval,
            max_wait: Duration::from_secs(60),
            reserve: Script::new(RESERVE),
            pause: Script::new(PAUSE),
            pause_left: Script::new(PAUSE_LEFT),
        }
    }

    /// The longest `acquire` waits before it gives up with
    /// [`ThrottleError::WouldWaitTooLong`].
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    fn key(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.prefix)
    }

    /// Waits until a send to `chat_id` is allowed by the global rate, the
    /// chat's spacing and any pause, and reserves it; returns how long it
    /// waited. Send right after it returns.
    pub async fn acquire(&self, chat_id: i64) -> Result<Duration, ThrottleError> {
        let started = Instant::now();
        let (global, chat, pause) = (
            self.key("global"),
            self.key(&format!("chat:{chat_id}")),
            self.key("pause"),
        );
        loop {
            let allowed = self.max_wait.saturating_sub(started.elapsed());
            let (status, wait_micros): (i64, i64) = self
                .reserve
                .key(&global)
                .key(&chat)
                .key(&pause)
                .arg(micros(self.global_interval))
                .arg(micros(self.per_chat_interval))
                .arg(micros(allowed))
                .invoke_async(&mut self.redis.clone())
                .await?;
            let wait = Duration::from_micros(u64::try_from(wait_micros).unwrap_or(0));
            match status {
                1 => {
                    tokio::time::sleep(wait).await;
                    // A 429 may have paused everyone while we slept.
                    if self.pause_left().await?.is_zero() {
                        return Ok(started.elapsed());
                    }
                }
                0 if wait <= allowed => tokio::time::sleep(wait).await,
                _ => return Err(ThrottleError::WouldWaitTooLong { wait }),
            }
        }
    }

    /// Stops every replica's sends for exactly `duration` from now (Redis
    /// time), as a 429 `retry_after` asks; a longer pause already set stays.
    pub async fn pause_all(&self, duration: Duration) -> Result<(), ThrottleError> {
        let _: i64 = self
            .pause
            .key(self.key("pause"))
            .arg(micros(duration))
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(())
    }

    /// How much of a pause is left.
    pub async fn pause_left(&self) -> Result<Duration, ThrottleError> {
        let left: i64 = self
            .pause_left
            .key(self.key("pause"))
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(Duration::from_micros(u64::try_from(left).unwrap_or(0)))
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
