//! Everything the fake remembers, behind one lock: sent messages and the
//! per-chat message counters, pending updates and the webhook, and the
//! simulations (blocked chats, flood limit, forced failures, delay). The
//! server, the library handle and the sandbox pages share it.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{
    SentWaitTimeout, TelegramFakeConfig,
    message::{
        DeliveredMessage, FileSource, IncomingMessage, MessageKind, RateLimit, SentFile, Webhook,
    },
};

/// A Bot API failure: the HTTP status equals `error_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(code: u16, description: impl Into<String>) -> Self {
        ApiError {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(description: impl Into<String>) -> Self {
        Self::new(400, description)
    }

    pub(crate) fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }
}

/// What a send delivers, already validated by the server.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub chat_id: i64,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub caption: Option<String>,
    /// Text or caption as the user sees it (markup removed).
    pub visible: Option<String>,
    pub parse_mode: Option<String>,
    pub file: Option<OutgoingFile>,
}

#[derive(Debug)]
pub(crate) enum OutgoingFile {
    Url(String),
    FileId(String),
    Upload {
        file_name: Option<String>,
        mime_type: Option<String>,
        size: usize,
    },
}

#[derive(Clone)]
pub struct TelegramState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TelegramState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramState")
            .field("sent", &self.lock().sent.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: TelegramFakeConfig,
    bot_id: i64,
    data: Mutex<Data>,
    /// Counts sends; waiters never miss one between a look and a sleep.
    sent_signal: watch::Sender<u64>,
    /// Bumped by a new update, a new poller or a webhook change.
    updates_signal: watch::Sender<u64>,
}

struct Data {
    sent: VecDeque<Arc<DeliveredMessage>>,
    /// The last message_id of each chat.
    message_ids: HashMap<i64, i64>,
    known_chats: Option<HashSet<i64>>,
    blocked: HashSet<i64>,
    rate_limit: Option<RateLimit>,
    recent_sends: VecDeque<Instant>,
    flood_until: Option<Instant>,
    /// Calls left to fail, and with which status.
    fail_next: Option<(u32, u16)>,
    delay: Duration,
    updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    poll_generation: u64,
    webhook: Option<Webhook>,
    /// Every `file_id` issued, with the file's name and type.
    files: HashMap<String, (Option<String>, Option<String>)>,
    file_counter: u64,
}

impl TelegramState {
    pub(crate) fn new(config: TelegramFakeConfig) -> Self {
        let bot_id = config
            .token
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or(1);
        let known_chats = config
            .known_chats
            .as_ref()
            .map(|chats| chats.iter().copied().collect());
        TelegramState {
            inner: Arc::new(Inner {
                bot_id,
                data: Mutex::new(Data {
                    sent: VecDeque::new(),
                    message_ids: HashMap::new(),
                    known_chats,
                    blocked: HashSet::new(),
                    rate_limit: None,
                    recent_sends: VecDeque::new(),
                    flood_until: None,
                    fail_next: None,
                    delay: Duration::ZERO,
                    updates: VecDeque::new(),
                    next_update_id: 100_000_001,
                    poll_generation: 0,
                    webhook: None,
                    files: HashMap::new(),
                    file_counter: 0,
                }),
                config,
                sent_signal: watch::Sender::new(0),
                updates_signal: watch::Sender::new(0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // Every critical section leaves the data consistent before any call
        // that could panic, so a poisoned lock is still usable.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &TelegramFakeConfig {
        &self.inner.config
    }

    pub(crate) fn authorized(&self, token: &str) -> bool {
        token == self.inner.config.token
    }

    pub(crate) fn bot_user(&self) -> Value {
        json!({
            "id": self.inner.bot_id,
            "is_bot": true,
            "first_name": self.inner.config.bot_first_name,
            "username": self.inner.config.bot_username,
        })
    }

    pub(crate) fn get_me(&self) -> Value {
        let mut me = self.bot_user();
        if let Value::Object(fields) = &mut me {
            fields.insert("can_join_groups".into(), json!(true));
            fields.insert("can_read_all_group_messages".into(), json!(false));
            fields.insert("supports_inline_queries".into(), json!(false));
            fields.insert("can_connect_to_business".into(), json!(false));
            fields.insert("has_main_web_app".into(), json!(false));
        }
        me
    }

    // --- simulations -----------------------------------------------------

    pub(crate) fn delay(&self) -> Duration {
        self.lock().delay
    }

    pub(crate) fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// The status the current call must fail with, if one was forced.
    pub(crate) fn take_forced_failure(&self) -> Option<u16> {
        let mut data = self.lock();
        let (left, status) = data.fail_next?;
        data.fail_next = (left > 1).then_some((left - 1, status));
        Some(status)
    }

    pub(crate) fn fail_next(&self, calls: u32, status: u16) {
        self.lock().fail_next = (calls > 0).then_some((calls, status));
    }

    pub(crate) fn block_chat(&self, chat_id: i64) {
        self.lock().blocked.insert(chat_id);
    }

    pub(crate) fn unblock_chat(&self, chat_id: i64) {
        self.lock().blocked.remove(&chat_id);
    }

    pub(crate) fn blocked_chats(&self) -> Vec<i64> {
        let mut chats: Vec<_> = self.lock().blocked.iter().copied().collect();
        chats.sort_unstable();
        chats
    }

    pub(crate) fn add_known_chat(&self, chat_id: i64) {
        if let Some(known) = &mut self.lock().known_chats {
            known.insert(chat_id);
        }
    }

    pub(crate) fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut data = self.lock();
        data.rate_limit = limit;
        data.recent_sends.clear();
        data.flood_until = None;
    }

    pub(crate) fn settings(&self) -> Value {
        let data = self.lock();
        let mut blocked: Vec<_> = data.blocked.iter().copied().collect();
        blocked.sort_unstable();
        json!({
            "delay_ms": u64::try_from(data.delay.as_millis()).unwrap_or(u64::MAX),
            "rate_limit": data.rate_limit,
            "fail_next": data.fail_next.map(|(calls, status)| json!({"calls": calls, "status": status})),
            "blocked_chats": blocked,
            "pending_updates": data.updates.len(),
            "webhook": data.webhook,
        })
    }

    // --- sending ---------------------------------------------------------

    /// Applies the flood limit, the chat checks and the counters, then
    /// records the message and returns its Bot API `Message` object.
    pub(crate) fn send(&self, outgoing: Outgoing) -> Result<Value, ApiError> {
        let now = Instant::now();
        let message = {
            let mut data = self.lock();
            if let Some(until) = data.flood_until {
                if until > now {
                    let left = until.duration_since(now);
                    return Err(ApiError::too_many_requests(ceil_seconds(left)));
                }
                data.flood_until = None;
            }
            if data
                .known_chats
                .as_ref()
                .is_some_and(|known| !known.contains(&outgoing.chat_id))
            {
                return Err(ApiError::bad_request("Bad Request: chat not found"));
            }
            if data.blocked.contains(&outgoing.chat_id) {
                return Err(ApiError::new(403, "Forbidden: bot was blocked by the user"));
            }
            if let Some(limit) = data.rate_limit {
                while data
                    .recent_sends
                    .front()
                    .is_some_and(|sent| now.duration_since(*sent) >= Duration::from_secs(1))
                {
                    data.recent_sends.pop_front();
                }
                if data.recent_sends.len() >= limit.per_second as usize {
                    data.flood_until =
                        Some(now + Duration::from_secs(u64::from(limit.retry_after)));
                    return Err(ApiError::too_many_requests(u64::from(limit.retry_after)));
                }
                data.recent_sends.push_back(now);
            }
            let file = match outgoing.file {
                None => None,
                Some(file) => Some(data.resolve_file(file, outgoing.kind)?),
            };
            let message_id = data.next_message_id(outgoing.chat_id);
            let message = Arc::new(DeliveredMessage {
                message_id,
                chat_id: outgoing.chat_id,
                kind: outgoing.kind,
                text: outgoing.text,
                caption: outgoing.caption,
                parse_mode: outgoing.parse_mode,
                file,
                sent_at: Utc::now(),
            });
            while data.sent.len() >= self.inner.config.max_stored_messages.max(1) {
                data.sent.pop_front();
            }
            data.sent.push_back(Arc::clone(&message));
            message
        };
        self.inner.sent_signal.send_modify(|count| *count += 1);
        Ok(self.message_json(&message, outgoing.visible.as_deref()))
    }

    fn message_json(&self, message: &DeliveredMessage, visible: Option<&str>) -> Value {
        let mut object = json!({
            "message_id": message.message_id,
            "from": self.bot_user(),
            "chat": { "id": message.chat_id, "first_name": "Budi", "type": "private" },
            "date": message.sent_at.timestamp(),
        });
        let Value::Object(fields) = &mut object else {
            return object;
        };
        match message.kind {
            MessageKind::Text => {
                fields.insert("text".into(), json!(visible.unwrap_or_default()));
            }
            MessageKind::Photo | MessageKind::Document => {
                if let Some(caption) = visible {
                    fields.insert("caption".into(), json!(caption));
                }
            }
        }
        if let Some(file) = &message.file {
            let unique = format!(
                "AQAD{}",
                &file.file_id[file.file_id.len().saturating_sub(8)..]
            );
            match message.kind {
                MessageKind::Photo => {
                    fields.insert(
                        "photo".into(),
                        json!([
                            { "file_id": format!("{}-s", file.file_id), "file_unique_id": format!("{unique}s"), "width": 90, "height": 90, "file_size": 1290 },
                            { "file_id": file.file_id, "file_unique_id": unique, "width": 800, "height": 800, "file_size": file.size.unwrap_or(52_340) },
                        ]),
                    );
                }
                MessageKind::Document => {
                    fields.insert(
                        "document".into(),
                        json!({
                            "file_name": file.file_name,
                            "mime_type": file.mime_type,
                            "file_id": file.file_id,
                            "file_unique_id": unique,
                            "file_size": file.size.unwrap_or(10_240),
                        }),
                    );
                }
                MessageKind::Text => {}
            }
        }
        object
    }

    // --- reading what was sent ------------------------------------------

    /// Oldest first.
    pub(crate) fn sent(&self) -> Vec<Arc<DeliveredMessage>> {
        self.lock().sent.iter().cloned().collect()
    }

    pub(crate) fn clear_sent(&self) -> usize {
        let mut data = self.lock();
        let count = data.sent.len();
        data.sent.clear();
        count
    }

    /// Forgets sent messages, updates, the webhook and every simulation.
    pub(crate) fn reset(&self) {
        let mut data = self.lock();
        data.sent.clear();
        data.blocked.clear();
        data.rate_limit = None;
        data.recent_sends.clear();
        data.flood_until = None;
        data.fail_next = None;
        data.delay = Duration::ZERO;
        data.updates.clear();
        data.webhook = None;
        drop(data);
        self.inner.updates_signal.send_modify(|count| *count += 1);
    }

    pub(crate) async fn wait_for_sent(
        &self,
        mut predicate: impl FnMut(&DeliveredMessage) -> bool,
        timeout: Duration,
    ) -> Result<Arc<DeliveredMessage>, SentWaitTimeout> {
        let mut signal = self.inner.sent_signal.subscribe();
        let search = async {
            loop {
                signal.borrow_and_update();
                let found = self
                    .lock()
                    .sent
                    .iter()
                    .rev()
                    .find(|message| predicate(message))
                    .cloned();
                if let Some(message) = found {
                    return Some(message);
                }
                if signal.changed().await.is_err() {
                    return None;
                }
            }
        };
        match tokio::time::timeout(timeout, search).await {
            Ok(Some(message)) => Ok(message),
            _ => Err(SentWaitTimeout {
                waited: timeout,
                sent: self
                    .sent()
                    .iter()
                    .map(|message| {
                        let content: String = message.content().chars().take(60).collect();
                        format!(
                            "#{} to {}: {content:?}",
                            message.message_id, message.chat_id
                        )
                    })
                    .collect(),
            }),
        }
    }

    // --- updates and the webhook ----------------------------------------

    /// Queues a user's message as an update; returns its `update_id`.
    pub(crate) fn push_update(&self, incoming: &IncomingMessage) -> i64 {
        let update_id = {
            let mut data = self.lock();
            if let Some(known) = &mut data.known_chats {
                known.insert(incoming.chat_id);
            }
            let message_id = data.next_message_id(incoming.chat_id);
            let update_id = data.next_update_id;
            data.next_update_id += 1;
            let mut user = json!({
                "id": incoming.chat_id,
                "is_bot": false,
                "first_name": incoming.first_name,
                "language_code": incoming.language_code,
            });
            let mut chat = json!({
                "id": incoming.chat_id,
                "first_name": incoming.first_name,
                "type": "private",
            });
            if let Some(username) = &incoming.username {
                for object in [&mut user, &mut chat] {
                    if let Value::Object(fields) = object {
                        fields.insert("username".into(), json!(username));
                    }
                }
            }
            let mut message = json!({
                "message_id": message_id,
                "from": user,
                "chat": chat,
                "date": Utc::now().timestamp(),
                "text": incoming.text,
            });
            if incoming.text.starts_with('/') {
                let command_len = incoming
                    .text
                    .split_whitespace()
                    .next()
                    .map(super::markup::telegram_len)
                    .unwrap_or(0);
                if let Value::Object(fields) = &mut message {
                    fields.insert(
                        "entities".into(),
                        json!([{ "offset": 0, "length": command_len, "type": "bot_command" }]),
                    );
                }
            }
            data.updates.push_back((
                update_id,
                json!({ "update_id": update_id, "message": message }),
            ));
            update_id
        };
        self.inner.updates_signal.send_modify(|count| *count += 1);
        update_id
    }

    /// `getUpdates`: acknowledges by `offset`, then returns up to `limit`
    /// pending updates, waiting up to `timeout` for the first one.
    pub(crate) async fn get_updates(
        &self,
        offset: Option<i64>,
        limit: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>, ApiError> {
        let mut signal = self.inner.updates_signal.subscribe();
        let generation = {
            let mut data = self.lock();
            if data.webhook.is_some() {
                return Err(webhook_conflict());
            }
            match offset {
                Some(offset) if offset > 0 => {
                    data.updates.retain(|(id, _)| *id >= offset);
                }
                Some(offset) if offset < 0 => {
                    let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
                    while data.updates.len() > keep {
                        data.updates.pop_front();
                    }
                }
                _ => {}
            }
            data.poll_generation += 1;
            data.poll_generation
        };
        // Wakes an older long poll so that it sees it was superseded.
        self.inner.updates_signal.send_modify(|count| *count += 1);
        signal.borrow_and_update();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let data = self.lock();
                if data.poll_generation != generation {
                    return Err(ApiError::new(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    ));
                }
                if data.webhook.is_some() {
                    return Err(webhook_conflict());
                }
                if !data.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                    return Ok(data
                        .updates
                        .iter()
                        .take(limit)
                        .map(|(_, update)| update.clone())
                        .collect());
                }
            }
            match tokio::time::timeout_at(deadline, signal.changed()).await {
                Ok(Ok(())) | Err(_) => {}
                Ok(Err(_)) => return Ok(Vec::new()),
            }
        }
    }

    pub(crate) fn set_webhook(&self, webhook: Webhook, drop_pending: bool) {
        {
            let mut data = self.lock();
            if drop_pending {
                data.updates.clear();
            }
            data.webhook = Some(webhook);
        }
        self.inner.updates_signal.send_modify(|count| *count += 1);
    }

    /// Whether there was a webhook to delete.
    pub(crate) fn delete_webhook(&self, drop_pending: bool) -> bool {
        let mut data = self.lock();
        if drop_pending {
            data.updates.clear();
        }
        data.webhook.take().is_some()
    }

    pub(crate) fn webhook(&self) -> Option<Webhook> {
        self.lock().webhook.clone()
    }

    pub(crate) fn webhook_info(&self) -> Value {
        let data = self.lock();
        let pending = data.updates.len();
        match &data.webhook {
            None => {
                json!({ "url": "", "has_custom_certificate": false, "pending_update_count": pending })
            }
            Some(webhook) => {
                let mut info = json!({
                    "url": webhook.url,
                    "has_custom_certificate": false,
                    "pending_update_count": pending,
                    "max_connections": webhook.max_connections,
                    "ip_address": "127.0.0.1",
                });
                if let Value::Object(fields) = &mut info {
                    if let (Some(date), Some(message)) =
                        (webhook.last_error_date, &webhook.last_error_message)
                    {
                        fields.insert("last_error_date".into(), json!(date));
                        fields.insert("last_error_message".into(), json!(message));
                    }
                    if !webhook.allowed_updates.is_empty() {
                        fields.insert("allowed_updates".into(), json!(webhook.allowed_updates));
                    }
                }
                info
            }
        }
    }

    /// The oldest pending update, for webhook delivery.
    pub(crate) fn oldest_update(&self) -> Option<(i64, Value)> {
        self.lock().updates.front().cloned()
    }

    pub(crate) fn remove_update(&self, update_id: i64) {
        self.lock().updates.retain(|(id, _)| *id != update_id);
    }

    pub(crate) fn record_webhook_error(&self, message: String) {
        if let Some(webhook) = &mut self.lock().webhook {
            webhook.last_error_date = Some(Utc::now().timestamp());
            webhook.last_error_message = Some(message);
        }
    }
}

impl Data {
    fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let id = self.message_ids.entry(chat_id).or_insert(0);
        *id += 1;
        *id
    }

    fn resolve_file(
        &mut self,
        file: OutgoingFile,
        kind: MessageKind,
    ) -> Result<SentFile, ApiError> {
        let (source, url, file_name, mime_type, size, known_id) = match file {
            OutgoingFile::Url(url) => {
                let name = url
                    .rsplit('/')
                    .next()
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned);
                let mime = name.as_deref().and_then(guess_mime);
                (FileSource::Url, Some(url), name, mime, None, None)
            }
            OutgoingFile::FileId(file_id) => {
                let base = file_id.strip_suffix("-s").unwrap_or(&file_id).to_owned();
                let Some((name, mime)) = self.files.get(&base).cloned() else {
                    return Err(ApiError::bad_request(
                        "Bad Request: wrong file identifier/HTTP URL specified",
                    ));
                };
                (FileSource::FileId, None, name, mime, None, Some(base))
            }
            OutgoingFile::Upload {
                file_name,
                mime_type,
                size,
            } => {
                let mime = mime_type
                    .filter(|mime| mime != "application/octet-stream")
                    .or_else(|| file_name.as_deref().and_then(guess_mime))
                    .or_else(|| Some("application/octet-stream".to_owned()));
                (FileSource::Upload, None, file_name, mime, Some(size), None)
            }
        };
        let file_id = match known_id {
            Some(id) => id,
            None => {
                self.file_counter += 1;
                let prefix = match kind {
                    MessageKind::Photo => "AgACAgUAAxkDAAI",
                    _ => "BQACAgUAAxkDAAI",
                };
                let id = format!(
                    "{prefix}{:016x}",
                    self.file_counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                );
                self.files
                    .insert(id.clone(), (file_name.clone(), mime_type.clone()));
                id
            }
        };
        Ok(SentFile {
            source,
            file_id,
            url,
            file_name,
            mime_type,
            size,
        })
    }
}

fn guess_mime(file_name: &str) -> Option<String> {
    let extension = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    };
    Some(mime.to_owned())
}

fn ceil_seconds(duration: Duration) -> u64 {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds.max(1)
    }
}

fn webhook_conflict() -> ApiError {
    ApiError::new(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    )
}
