//! The Telegram Bot API fake: `GET|POST /bot{token}/{method}` on its own
//! loopback port, with the real envelope, error descriptions and status
//! codes, per-chat message ids, `getUpdates` with offset acknowledgement and
//! long polling, and the webhook methods. Tests and the sandbox pages steer
//! it to answer as Telegram does when things go wrong: a chat that blocked
//! the bot (403), the flood limit (429 with `retry_after`), 5xx and slow
//! answers.
//!
//! ```no_run
//! # async fn example() -> Result<(), sandbox::SandboxError> {
//! use sandbox::telegram::{TelegramFake, TelegramFakeConfig};
//! let telegram = TelegramFake::start("127.0.0.1:0".parse().unwrap(), TelegramFakeConfig::default()).await?;
//! // ... point the bot client at telegram.base_url() with telegram.token() ...
//! telegram.block_chat(42);
//! # Ok(()) }
//! ```

mod markup;
mod message;
mod params;
mod server;
mod state;
pub(crate) mod webhook;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, web as actix};
use tokio::task::JoinHandle;

pub use self::message::{
    DeliveredMessage, FileSource, IncomingMessage, MessageKind, RateLimit, SentFile, Webhook,
};
pub(crate) use self::state::TelegramState;
pub use self::webhook::WebhookDeliveryError;
use crate::error::SandboxError;

/// The sandbox bot's token unless told otherwise.
pub const DEFAULT_TOKEN: &str = "123456:sandbox-token";

/// Who the fake bot is and how much it keeps.
#[derive(Clone)]
pub struct TelegramFakeConfig {
    /// The one token the fake accepts; the digits before `:` are the bot's
    /// user id, as in real tokens.
    pub token: String,
    pub bot_username: String,
    pub bot_first_name: String,
    /// `None`: every chat id exists. `Some(ids)`: others answer 400
    /// `chat not found` (a user who writes to the bot becomes known).
    pub known_chats: Option<Vec<i64>>,
    /// How many sent messages are kept; the oldest go first.
    pub max_stored_messages: usize,
    /// Cap of `getUpdates`' `timeout`, so that no request waits long.
    pub max_long_poll: Duration,
}

impl std::fmt::Debug for TelegramFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A sandbox token, but a habit worth keeping.
        f.debug_struct("TelegramFakeConfig")
            .field("token", &"<redacted>")
            .field("bot_username", &self.bot_username)
            .field("known_chats", &self.known_chats)
            .field("max_stored_messages", &self.max_stored_messages)
            .field("max_long_poll", &self.max_long_poll)
            .finish_non_exhaustive()
    }
}

impl Default for TelegramFakeConfig {
    fn default() -> Self {
        TelegramFakeConfig {
            token: DEFAULT_TOKEN.to_owned(),
            bot_username: "juragan_sandbox_bot".to_owned(),
            bot_first_name: "Juragan Sandbox".to_owned(),
            known_chats: None,
            max_stored_messages: 1000,
            max_long_poll: Duration::from_secs(10),
        }
    }
}

/// Starts Telegram fakes; see [`TelegramFakeHandle`].
pub struct TelegramFake;

impl TelegramFake {
    /// Binds `addr` (port 0 picks a free port) and serves the Bot API until
    /// the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: TelegramFakeConfig,
    ) -> Result<TelegramFakeHandle, SandboxError> {
        let bind_error = |source| SandboxError::Bind {
            service: "Telegram",
            addr,
            source,
        };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr {
                service: "Telegram",
                source,
            })?;
        let state = TelegramState::new(config);
        let data = actix::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                // Documents may be 50 MB, as through the real Bot API.
                .app_data(actix::PayloadConfig::new(51 * 1024 * 1024))
                .configure(server::routes)
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let task = tokio::spawn(server);
        Ok(TelegramFakeHandle {
            addr,
            state,
            _server: Arc::new(ServerTask(task)),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct TelegramFakeHandle {
    addr: SocketAddr,
    state: TelegramState,
    _server: Arc<ServerTask>,
}

#[derive(Debug)]
struct ServerTask(JoinHandle<io::Result<()>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        // Dropping actix's server future stops its workers too.
        self.0.abort();
    }
}

/// A send did not arrive within the wait; lists what did.
#[derive(Debug, thiserror::Error)]
#[error("no matching Telegram message was sent within {waited:?}; the fake holds {}: [{}]", .sent.len(), .sent.join("; "))]
pub struct SentWaitTimeout {
    pub waited: Duration,
    pub sent: Vec<String>,
}

impl TelegramFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: what replaces `https://api.telegram.org`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.state.config().token
    }

    /// Every sent message kept, oldest first.
    pub fn sent(&self) -> Vec<Arc<DeliveredMessage>> {
        self.state.sent()
    }

    /// Sent messages to one chat, oldest first.
    pub fn sent_to(&self, chat_id: i64) -> Vec<Arc<DeliveredMessage>> {
        self.state
            .sent()
            .into_iter()
            .filter(|message| message.chat_id == chat_id)
            .collect()
    }

    /// The newest sent message matching `predicate`, already sent or sent
    /// within `timeout`.
    pub async fn wait_for_sent(
        &self,
        predicate: impl FnMut(&DeliveredMessage) -> bool,
        timeout: Duration,
    ) -> Result<Arc<DeliveredMessage>, SentWaitTimeout> {
        self.state.wait_for_sent(predicate, timeout).await
    }

    /// Sends to this chat answer 403 `Forbidden: bot was blocked by the user`.
    pub fn block_chat(&self, chat_id: i64) {
        self.state.block_chat(chat_id);
    }

    pub fn unblock_chat(&self, chat_id: i64) {
        self.state.unblock_chat(chat_id);
    }

    /// The chats that blocked the bot, in ascending order.
    pub fn blocked_chats(&self) -> Vec<i64> {
        self.state.blocked_chats()
    }

    /// Makes a chat exist when `known_chats` was configured.
    pub fn add_known_chat(&self, chat_id: i64) {
        self.state.add_known_chat(chat_id);
    }

    /// The flood limit, or none (the default).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.state.set_rate_limit(limit);
    }

    /// The next `calls` Bot API calls (any method, valid token) fail with
    /// `status`: JSON for 500 and the like, nginx's HTML page for 502/504.
    pub fn fail_next(&self, calls: u32, status: u16) {
        self.state.fail_next(calls, status);
    }

    /// Every Bot API call waits this long before it is handled, so a client
    /// that gives up first has sent nothing.
    pub fn set_delay(&self, delay: Duration) {
        self.state.set_delay(delay);
    }

    /// A user writes to the bot; returns the update's `update_id`.
    pub fn push_update(&self, incoming: &IncomingMessage) -> i64 {
        self.state.push_update(incoming)
    }

    /// The webhook `setWebhook` stored.
    pub fn webhook(&self) -> Option<Webhook> {
        self.state.webhook()
    }

    /// POSTs the pending updates to the webhook (loopback `http://` only);
    /// returns how many were accepted.
    pub async fn deliver_webhook_updates(
        &self,
        timeout: Duration,
    ) -> Result<usize, WebhookDeliveryError> {
        webhook::deliver_pending(&self.state, timeout).await
    }

    /// Forgets sent messages; returns how many there were.
    pub fn clear_sent(&self) -> usize {
        self.state.clear_sent()
    }

    /// Forgets sent messages, updates, the webhook and every simulation.
    pub fn clear(&self) {
        self.state.reset();
    }

    pub(crate) fn state(&self) -> &TelegramState {
        &self.state
    }
}
