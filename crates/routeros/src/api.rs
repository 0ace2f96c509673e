//! The binary API client (TCP 8728, TLS 8729).
//!
//! One connection carries many commands at once: every command is sent with
//! its own `.tag=N`, and one background reader task decodes reply sentences
//! and routes each to the command waiting on that tag. So the client works
//! through `&self`, a slow print does not hold up a quick `set`, and a
//! command that times out is cancelled on the router (`/cancel =tag=N`)
//! without disturbing the others. When the router sends `!fatal`, closes
//! the connection or breaks the framing, every waiting command fails and
//! the client stays failed: callers reconnect. Dropping the client stops
//! the reader, which closes the connection.
//!
//! Login tries the RouterOS ≥ 6.43 form (name and password in clear, hence
//! TLS on untrusted networks) and falls back on the MD5 challenge when the
//! router answers with `=ret=`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use md5::{Digest as _, Md5};
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadHalf, WriteHalf},
    net::TcpStream,
    sync::mpsc,
    task::JoinHandle,
};

use crate::{
    ActiveSession, PppRouter, PppSecret, RouterConfig, RouterOsError, SecretChange, SystemResource,
    Transport,
    codec::{Decoder, encode_sentence},
    reply::{Attributes, Reply, ReplyKind},
    tls,
};

/// The byte stream under a connection (plain TCP or TLS).
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

type Writer = WriteHalf<Box<dyn Stream>>;
type Waiter = mpsc::UnboundedSender<Result<Reply, RouterOsError>>;

/// How long a `/cancel` after a timeout may take to go out.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(1);

/// The fields [`ActiveSession`] and [`PppSecret`] map, so the router does
/// not send (nor we parse) the rest.
const ACTIVE_PROPLIST: &str = "=.proplist=.id,name,service,caller-id,address,uptime,session-id";
const SECRET_PROPLIST: &str = "=.proplist=.id,name,profile,service,disabled";

/// What a finished command returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The `!re` rows, in order.
    pub rows: Vec<Attributes>,
    /// The attributes of the closing `!done` (e.g. `ret`).
    pub done: Attributes,
}

#[derive(Default)]
struct Pending {
    waiting: HashMap<u64, Waiter>,
    /// Set once the connection is unusable; later commands fail with it.
    closed: Option<RouterOsError>,
}

struct Shared {
    pending: Mutex<Pending>,
    writer: tokio::sync::Mutex<Writer>,
}

impl Shared {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the connection dead and fails every waiting command.
    fn close(&self, error: RouterOsError) {
        let mut pending = self.pending();
        if pending.closed.is_none() {
            pending.closed = Some(error.clone());
        }
        for (_, waiter) in pending.waiting.drain() {
            let _ = waiter.send(Err(error.clone()));
        }
    }

    async fn send(&self, words: &[&str]) -> Result<(), RouterOsError> {
        let bytes = encode_sentence(words)?;
        let mut writer = self.writer.lock().await;
        writer
            .write_all(&bytes)
            .await
            .map_err(|error| RouterOsError::io(&error))?;
        writer
            .flush()
            .await
            .map_err(|error| RouterOsError::io(&error))
    }
}

/// Forgets a command's tag however its future ends (finished, timed out
/// or dropped by the caller), so late replies are discarded.
struct Registration<'a> {
    shared: &'a Shared,
    tag: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.pending().waiting.remove(&self.tag);
    }
}

/// A logged-in binary API connection.
pub struct ApiClient {
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    next_tag: AtomicU64,
    reply_timeout: Duration,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("reply_timeout", &self.reply_timeout)
            .finish_non_exhaustive()
    }
}

impl Drop for ApiClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl ApiClient {
    /// Connects (TCP, plus TLS for [`Transport::ApiTls`]) within
    /// `connect_timeout`, then logs in within `reply_timeout`.
    pub async fn connect(config: &RouterConfig) -> Result<ApiClient, RouterOsError> {
        let stream = tokio::time::timeout(config.connect_timeout, open(config))
            .await
            .map_err(|_| RouterOsError::ConnectTimeout)??;
        let client = ApiClient::from_stream(stream, config.reply_timeout);
        client.login(&config.username, &config.password).await?;
        Ok(client)
    }

    /// Wraps an already open stream, not yet logged in. Must be called
    /// within a Tokio runtime (it spawns the reader task).
    pub fn from_stream(stream: Box<dyn Stream>, reply_timeout: Duration) -> ApiClient {
        let (read_half, write_half) = tokio::io::split(stream);
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            writer: tokio::sync::Mutex::new(write_half),
        });
        let reader = tokio::spawn(read_replies(read_half, shared.clone()));
        ApiClient {
            shared,
            reader,
            next_tag: AtomicU64::new(1),
            reply_timeout,
        }
    }

    /// Logs in, modern form first, MD5 challenge when the router asks.
    pub async fn login(&self, username: &str, password: &str) -> Result<(), RouterOsError> {
        let name = format!("=name={username}");
        let first = self
            .call("/login", [name.as_str(), &format!("=password={password}")])
            .await
            .map_err(login_error)?;
        let Some(challenge) = first.done.get("ret") else {
            return Ok(());
        };
        let response = format!("=response={}", challenge_response(password, challenge)?);
        self.call("/login", [name.as_str(), response.as_str()])
            .await
            .map_err(login_error)?;
        Ok(())
    }

    /// Runs one command and collects its rows until `!done`. `words` are
    /// the attribute (`=key=value`), query (`?key=value`) and API words;
    /// the tag is added here. A `!trap` becomes [`RouterOsError::Trap`].
    pub async fn call<I, S>(&self, command: &str, words: I) -> Result<Response, RouterOsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
        let tag_word = format!(".tag={tag}");
        let words: Vec<S> = words.into_iter().collect();
        let mut sentence: Vec<&str> = Vec::with_capacity(words.len() + 2);
        sentence.push(command);
        sentence.extend(words.iter().map(AsRef::as_ref));
        sentence.push(&tag_word);

        let (sender, mut replies) = mpsc::unbounded_channel();
        {
            let mut pending = self.shared.pending();
            if let Some(error) = &pending.closed {
                return Err(error.clone());
            }
            pending.waiting.insert(tag, sender);
        }
        let registration = Registration {
            shared: &self.shared,
            tag,
        };
        let exchange = async {
            self.shared.send(&sentence).await?;
            collect(&mut replies).await
        };
        let result = tokio::time::timeout(self.reply_timeout, exchange).await;
        drop(registration);
        match result {
            Ok(result) => result,
            Err(_) => {
                self.cancel(tag).await;
                Err(RouterOsError::ReplyTimeout {
                    command: command.to_owned(),
                })
            }
        }
    }

    /// Asks the router to stop a timed-out command before reporting the
    /// timeout, so the cancel goes out ahead of the caller's next command.
    /// Best effort and briefly bounded (the write may be what is stuck).
    /// The `/cancel` goes under its own unregistered tag, so its answer and
    /// the cancelled command's `!trap interrupted` are discarded.
    async fn cancel(&self, tag: u64) {
        let own_tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
        let cancel = format!("=tag={tag}");
        let own = format!(".tag={own_tag}");
        let bound = self.reply_timeout.min(CANCEL_TIMEOUT);
        let sent = tokio::time::timeout(bound, self.shared.send(&["/cancel", &cancel, &own])).await;
        if !matches!(sent, Ok(Ok(()))) {
            tracing::debug!(tag, "could not send /cancel for a timed-out command");
        }
    }

    async fn print(&self, command: &str, words: &[&str]) -> Result<Vec<Attributes>, RouterOsError> {
        Ok(self.call(command, words).await?.rows)
    }
}

/// Rows until `!done`; `!empty` means nothing; a trap waits for its done.
async fn collect(
    replies: &mut mpsc::UnboundedReceiver<Result<Reply, RouterOsError>>,
) -> Result<Response, RouterOsError> {
    let mut response = Response::default();
    let mut trap = None;
    loop {
        let Some(reply) = replies.recv().await else {
            return Err(RouterOsError::Io("the connection closed".into()));
        };
        match reply?.kind {
            ReplyKind::Re(row) => response.rows.push(row),
            ReplyKind::Empty => {}
            ReplyKind::Trap { message, category } => {
                trap.get_or_insert(RouterOsError::Trap { message, category });
            }
            ReplyKind::Done(attributes) => {
                return match trap {
                    Some(error) => Err(error),
                    None => {
                        response.done = attributes;
                        Ok(response)
                    }
                };
            }
            ReplyKind::Fatal(reason) => return Err(RouterOsError::Fatal(reason)),
        }
    }
}

/// Reads sentences and routes them by tag until the connection ends.
async fn read_replies(mut stream: ReadHalf<Box<dyn Stream>>, shared: Arc<Shared>) {
    let mut decoder = Decoder::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let error = 'connection: loop {
        let read = match stream.read(&mut chunk).await {
            Ok(0) => break RouterOsError::Io("the router closed the connection".into()),
            Ok(read) => read,
            Err(error) => break RouterOsError::io(&error),
        };
        decoder.feed(&chunk[..read]);
        loop {
            let sentence = match decoder.next_sentence() {
                Ok(Some(sentence)) => sentence,
                Ok(None) => break,
                Err(error) => break 'connection error,
            };
            if sentence.is_empty() {
                continue;
            }
            let reply = match Reply::parse(&sentence) {
                Ok(reply) => reply,
                Err(error) => break 'connection error,
            };
            if let ReplyKind::Fatal(reason) = &reply.kind {
                break 'connection RouterOsError::Fatal(reason.clone());
            }
            route(&shared, reply);
        }
    };
    tracing::debug!(%error, "RouterOS API connection ended");
    shared.close(error);
}

fn route(shared: &Shared, reply: Reply) {
    let Some(tag) = reply.tag.as_deref().and_then(|tag| tag.parse::<u64>().ok()) else {
        tracing::debug!("dropping an untagged RouterOS reply");
        return;
    };
    let finished = matches!(reply.kind, ReplyKind::Done(_));
    let mut pending = shared.pending();
    if let Some(waiter) = pending.waiting.get(&tag) {
        let _ = waiter.send(Ok(reply));
        if finished {
            pending.waiting.remove(&tag);
        }
    }
}

/// `00` + hex(md5(0x00 + password + challenge)), the pre-6.43 login.
fn challenge_response(password: &str, challenge_hex: &str) -> Result<String, RouterOsError> {
    let challenge = decode_hex(challenge_hex)
        .ok_or_else(|| RouterOsError::Protocol("the login challenge is not hexadecimal".into()))?;
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password.as_bytes());
    md5.update(&challenge);
    let digest = md5.finalize();
    let mut response = String::with_capacity(34);
    response.push_str("00");
    for byte in digest.iter() {
        response.push_str(&format!("{byte:02x}"));
    }
    Ok(response)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// A refused login is a credentials problem, whatever RouterOS version
/// words it ("invalid user name or password (6)", or "cannot log in").
fn login_error(error: RouterOsError) -> RouterOsError {
    match error {
        RouterOsError::Trap { message, category } => {
            let lower = message.to_lowercase();
            if lower.contains("invalid user name or password")
                || lower.contains("cannot log in")
                || lower.contains("invalid username or password")
            {
                RouterOsError::BadCredentials
            } else {
                RouterOsError::Trap { message, category }
            }
        }
        RouterOsError::ReplyTimeout { .. } => RouterOsError::ReplyTimeout {
            command: "/login".into(),
        },
        other => other,
    }
}

/// Resolves, connects and (for API-SSL) shakes hands; the caller bounds
/// the whole with the connect timeout.
async fn open(config: &RouterConfig) -> Result<Box<dyn Stream>, RouterOsError> {
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((config.host.trim_matches(['[', ']']), config.port))
            .await
            .map_err(|_| RouterOsError::Dns(config.host.clone()))?
            .collect();
    if addresses.is_empty() {
        return Err(RouterOsError::Dns(config.host.clone()));
    }
    let mut last_error = RouterOsError::Refused;
    let mut tcp = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(error) => last_error = connect_error(&error),
        }
    }
    let Some(tcp) = tcp else {
        return Err(last_error);
    };
    let _ = tcp.set_nodelay(true);
    match config.transport {
        Transport::ApiTls => {
            let connector = tokio_rustls::TlsConnector::from(Arc::new(tls::client_config(
                config.pinned_sha256,
            )?));
            let stream = connector
                .connect(tls::server_name(&config.host)?, tcp)
                .await
                .map_err(|error| {
                    RouterOsError::Tls(tls::describe(&error).unwrap_or_else(|| error.to_string()))
                })?;
            Ok(Box::new(stream))
        }
        Transport::Api | Transport::Rest => Ok(Box::new(tcp)),
    }
}

pub(crate) fn connect_error(error: &std::io::Error) -> RouterOsError {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => RouterOsError::Refused,
        ErrorKind::TimedOut => RouterOsError::ConnectTimeout,
        _ => RouterOsError::io(error),
    }
}

impl PppRouter for ApiClient {
    async fn identity(&self) -> Result<String, RouterOsError> {
        let rows = self.print("/system/identity/print", &[]).await?;
        rows.first()
            .and_then(|row| row.get("name"))
            .map(str::to_owned)
            .ok_or_else(|| RouterOsError::Protocol("the identity has no name".into()))
    }

    async fn resource(&self) -> Result<SystemResource, RouterOsError> {
        let rows = self.print("/system/resource/print", &[]).await?;
        rows.first()
            .map(SystemResource::from_attributes)
            .ok_or_else(|| RouterOsError::Protocol("the resource print returned no row".into()))
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError> {
        let rows = self.print("/ppp/active/print", &[ACTIVE_PROPLIST]).await?;
        Ok(rows.iter().map(ActiveSession::from_attributes).collect())
    }

    async fn secrets(&self, name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError> {
        let query = name.map(|name| format!("?name={name}"));
        let mut words = vec![SECRET_PROPLIST];
        words.extend(query.as_deref());
        let rows = self.print("/ppp/secret/print", &words).await?;
        Ok(rows.iter().map(PppSecret::from_attributes).collect())
    }

    async fn set_secret(&self, id: &str, change: &SecretChange) -> Result<(), RouterOsError> {
        let properties = change.properties();
        if properties.is_empty() {
            return Ok(());
        }
        let mut words = vec![format!("=.id={id}")];
        words.extend(
            properties
                .iter()
                .map(|(key, value)| format!("={key}={value}")),
        );
        self.call("/ppp/secret/set", &words).await.map(drop)
    }

    async fn remove_active(&self, id: &str) -> Result<(), RouterOsError> {
        self.call("/ppp/active/remove", [format!("=.id={id}")])
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_legacy_challenge_response_matches_a_known_answer() {
        // md5(00 "secret" 00112233...) computed independently with Python's hashlib.
        let response = challenge_response("secret", "00112233445566778899aabbccddeeff").unwrap();
        assert_eq!(response, "00c17511d224a5e93170632807d36388aa");
        assert!(challenge_response("secret", "xyz").is_err());
    }

    #[test]
    fn login_traps_become_bad_credentials() {
        let trap = |message: &str| RouterOsError::Trap {
            message: message.into(),
            category: None,
        };
        assert_eq!(
            login_error(trap("invalid user name or password (6)")),
            RouterOsError::BadCredentials
        );
        assert_eq!(
            login_error(trap("cannot log in")),
            RouterOsError::BadCredentials
        );
        assert_eq!(login_error(trap("not allowed")), trap("not allowed"));
    }
}
