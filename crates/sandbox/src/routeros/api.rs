//! The binary API server (8728 plain, 8729 with TLS): one task per
//! connection reading sentences, one writing replies, so that a command
//! answered late (the reply delay) does not hold up the next one, each
//! reply carrying its request's `.tag`. Logins and `/cancel` are handled
//! in order as they arrive; everything else after the reply delay.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use md5::Digest as _;
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt as _},
    net::TcpListener,
    sync::{mpsc, watch},
    task::{AbortHandle, JoinHandle, JoinSet},
};
use tokio_rustls::TlsAcceptor;

use super::{
    LoginStyle, RouterOsState, RouterOsUser,
    query::{self, Query, Row},
    state::WriteError,
    words::{self, FrameError},
};
use crate::error::SandboxError;

pub(crate) const SERVICE: &str = "RouterOS API";
/// After this many failed logins on one connection the router hangs up.
const MAX_LOGIN_FAILURES: u32 = 3;
/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Replies waiting for a slow reader before the connection stops reading.
const OUTGOING_BACKLOG: usize = 64;

/// A listening API port; dropping it stops accepting and closes every
/// connection.
#[derive(Debug)]
pub(crate) struct ApiServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        // The connections live in the accept task's JoinSet and go with it.
        self.task.abort();
    }
}

impl ApiServer {
    pub(crate) async fn start(
        addr: SocketAddr,
        state: RouterOsState,
        tls: Option<TlsAcceptor>,
    ) -> Result<Self, SandboxError> {
        let service = if tls.is_some() {
            "RouterOS API-SSL"
        } else {
            SERVICE
        };
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind {
                service,
                addr,
                source,
            })?;
        let bound = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr { service, source })?;
        let task = tokio::spawn(accept(listener, state, tls));
        Ok(ApiServer { addr: bound, task })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Accepts connections while the API service is enabled; disabling it
/// closes the port (a connect is refused, as at a router with the service
/// disabled) and enabling it listens again on the same address.
async fn accept(listener: TcpListener, state: RouterOsState, tls: Option<TlsAcceptor>) {
    let mut connections = JoinSet::new();
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut listener = Some(listener);
    let mut enabled = state.watch_api_enabled();
    state.port_listening(true);
    loop {
        let Some(open) = &listener else {
            // Closed: wait for the service to be enabled, then listen again.
            if enabled.wait_for(|enabled| *enabled).await.is_err() {
                return;
            }
            match TcpListener::bind(addr).await {
                Ok(bound) => {
                    listener = Some(bound);
                    state.port_listening(true);
                }
                Err(error) => {
                    tracing::warn!(%error, %addr, "RouterOS fake: cannot listen again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            continue;
        };
        let accepted = tokio::select! {
            accepted = open.accept() => accepted,
            changed = enabled.changed() => {
                if changed.is_err() {
                    return;
                }
                if !*enabled.borrow_and_update() {
                    listener = None;
                    state.port_listening(false);
                }
                continue;
            }
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors, most likely: wait instead of spinning.
                tracing::warn!(%error, "RouterOS fake: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        if !state.api_enabled() {
            // Accepted just as the service was disabled: reset at once.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
            continue;
        }
        state.connection_accepted();
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        match &tls {
            None => {
                connections.spawn(serve(stream, state));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        serve(stream, state).await;
                    }
                });
            }
        }
    }
}

/// What the writer task is told.
enum Outgoing {
    Bytes(Vec<u8>),
    /// Flush what came before, then close.
    Close,
}

/// One reply sentence: the reply word, then attribute words.
type Sentence = Vec<String>;

async fn serve<S>(stream: S, state: RouterOsState)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut reader, writer) = tokio::io::split(stream);
    let (outgoing, queue) = mpsc::channel(OUTGOING_BACKLOG);
    let writer = tokio::spawn(write_replies(writer, queue));
    let mut enabled = state.watch_api_enabled();
    let mut connection = Connection {
        state,
        outgoing,
        user: None,
        challenge: None,
        failures: 0,
        pending: Arc::new(Mutex::new(HashMap::new())),
        delayed: JoinSet::new(),
    };
    loop {
        let sentence = tokio::select! {
            sentence = words::read_sentence(&mut reader) => sentence,
            () = disabled(&mut enabled) => break,
        };
        let flow = match sentence {
            Ok(None) => break,
            // RouterOS ignores empty sentences.
            Ok(Some(words)) if words.is_empty() => Flow::Continue,
            Ok(Some(words)) => connection.handle(Request::parse(words)).await,
            Err(FrameError::Io(_) | FrameError::Truncated) => break,
            Err(error) => {
                tracing::debug!(%error, "RouterOS fake: protocol error, closing");
                connection.fatal(&error.to_string()).await;
                Flow::Close
            }
        };
        if flow == Flow::Close {
            break;
        }
        while connection.delayed.try_join_next().is_some() {}
    }
    connection.delayed.abort_all();
    let _ = connection.outgoing.send(Outgoing::Close).await;
    drop(connection);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
}

async fn disabled(enabled: &mut watch::Receiver<bool>) {
    loop {
        if !*enabled.borrow_and_update() {
            return;
        }
        if enabled.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn write_replies<W: AsyncWrite + Unpin>(mut writer: W, mut queue: mpsc::Receiver<Outgoing>) {
    while let Some(message) = queue.recv().await {
        match message {
            Outgoing::Bytes(bytes) => {
                if writer.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Outgoing::Close => break,
        }
    }
    let _ = writer.shutdown().await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// One request sentence, taken apart.
#[derive(Debug, Clone)]
struct Request {
    command: String,
    /// `=key=value` words in order (`=key` alone has an empty value).
    attributes: Vec<(String, String)>,
    /// `?` words in order.
    queries: Vec<String>,
    tag: Option<String>,
}

impl Request {
    fn parse(words: Vec<String>) -> Self {
        let mut words = words.into_iter();
        let command = words.next().unwrap_or_default();
        let mut request = Request {
            command,
            attributes: Vec::new(),
            queries: Vec::new(),
            tag: None,
        };
        for word in words {
            if let Some(attribute) = word.strip_prefix('=') {
                let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                request.attributes.push((key.to_owned(), value.to_owned()));
            } else if let Some(tag) = word.strip_prefix(".tag=") {
                request.tag = Some(tag.to_owned());
            } else if word.starts_with('?') {
                request.queries.push(word);
            }
            // Other API attributes are ignored, as unknown ones are there.
        }
        request
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

struct Connection {
    state: RouterOsState,
    outgoing: mpsc::Sender<Outgoing>,
    user: Option<RouterOsUser>,
    /// The last legacy challenge handed out; a response uses it up.
    challenge: Option<[u8; 16]>,
    failures: u32,
    /// Delayed commands still to answer, by tag, for `/cancel`.
    pending: Arc<Mutex<HashMap<String, AbortHandle>>>,
    delayed: JoinSet<()>,
}

impl Connection {
    async fn send(&self, sentences: &[Sentence], tag: Option<&str>) {
        let _ = self
            .outgoing
            .send(Outgoing::Bytes(encode(sentences, tag)))
            .await;
    }

    async fn fatal(&self, reason: &str) {
        self.send(&[vec!["!fatal".to_owned(), reason.to_owned()]], None)
            .await;
    }

    async fn handle(&mut self, request: Request) -> Flow {
        let tag = request.tag.clone();
        match request.command.as_str() {
            "/quit" => {
                self.fatal("session terminated on request").await;
                return Flow::Close;
            }
            "/login" => return self.login(&request).await,
            _ => {}
        }
        let Some(user) = self.user.clone() else {
            self.send(&trap("not logged in", None), tag.as_deref())
                .await;
            return Flow::Continue;
        };
        if request.command == "/cancel" {
            self.cancel(&request).await;
            return Flow::Continue;
        }
        let delay = self.state.reply_delay();
        if delay.is_zero() {
            let replies = execute(&self.state, &user, &request);
            self.send(&replies, tag.as_deref()).await;
            return Flow::Continue;
        }
        let state = self.state.clone();
        let outgoing = self.outgoing.clone();
        let pending = Arc::clone(&self.pending);
        let key = tag.clone();
        // Registered under the lock the task checks, so a cancel and the
        // task's own answer can never both reply.
        let mut waiting = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let handle = self.delayed.spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(key) = &key {
                let mine = pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(key);
                if mine.is_none() {
                    return;
                }
            }
            let replies = execute(&state, &user, &request);
            let _ = outgoing
                .send(Outgoing::Bytes(encode(&replies, key.as_deref())))
                .await;
        });
        if let Some(tag) = tag {
            waiting.insert(tag, handle);
        }
        Flow::Continue
    }

    /// `/cancel =tag=N` stops that command (`/cancel` alone, every one):
    /// it traps `interrupted` (category 2), the cancel is done, then the
    /// cancelled command is done — the router's order.
    async fn cancel(&mut self, request: &Request) {
        let own_tag = request.tag.as_deref();
        let cancelled: Vec<String> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let tags: Vec<String> = match request.attribute("tag") {
                Some(tag) => pending
                    .contains_key(tag)
                    .then(|| tag.to_owned())
                    .into_iter()
                    .collect(),
                None => pending.keys().cloned().collect(),
            };
            for tag in &tags {
                if let Some(handle) = pending.remove(tag) {
                    handle.abort();
                }
            }
            tags
        };
        for tag in &cancelled {
            let interrupted = vec![
                "!trap".to_owned(),
                "=category=2".to_owned(),
                "=message=interrupted".to_owned(),
            ];
            self.send(&[interrupted], Some(tag)).await;
        }
        self.send(&[done()], own_tag).await;
        for tag in &cancelled {
            self.send(&[done()], Some(tag)).await;
        }
    }

    async fn login(&mut self, request: &Request) -> Flow {
        let delay = self.state.reply_delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let tag = request.tag.as_deref();
        let name = request.attribute("name");
        let style = self.state.config().login_style;
        let user = match style {
            LoginStyle::Modern => match (name, request.attribute("password")) {
                (Some(name), Some(password)) => self.state.authenticate(name, password),
                _ => None,
            },
            LoginStyle::Legacy => {
                let Some(response) = request.attribute("response") else {
                    // A pre-6.43 router answers any `/login` without a
                    // response (the 6.43 form included) with a challenge.
                    let challenge: [u8; 16] = *uuid::Uuid::new_v4().as_bytes();
                    self.challenge = Some(challenge);
                    let ret = format!("=ret={}", hex::encode(challenge));
                    self.send(&[vec!["!done".to_owned(), ret]], tag).await;
                    return Flow::Continue;
                };
                let challenge = self.challenge.take();
                name.and_then(|name| self.state.user(name)).filter(|user| {
                    challenge.is_some_and(|challenge| {
                        legacy_response(&user.password, &challenge) == response
                    })
                })
            }
        };
        if let Some(user) = user {
            self.user = Some(user);
            self.failures = 0;
            self.send(&[done()], tag).await;
            return Flow::Continue;
        }
        self.failures += 1;
        let message = match style {
            LoginStyle::Modern => "invalid user name or password (6)",
            LoginStyle::Legacy => "cannot log in",
        };
        self.send(&trap(message, None), tag).await;
        if self.failures >= MAX_LOGIN_FAILURES {
            self.fatal("too many failed logins").await;
            return Flow::Close;
        }
        Flow::Continue
    }
}

/// `00` + hex MD5 of a zero byte, the password and the challenge bytes.
fn legacy_response(password: &str, challenge: &[u8]) -> String {
    let mut hasher = md5::Md5::new();
    hasher.update([0u8]);
    hasher.update(password.as_bytes());
    hasher.update(challenge);
    format!("00{}", hex::encode(hasher.finalize()))
}

/// The sentences, each with `.tag=` right after its reply word as the
/// router places it.
fn encode(sentences: &[Sentence], tag: Option<&str>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let tag = tag.map(|tag| format!(".tag={tag}"));
    for sentence in sentences {
        match (&tag, sentence.split_first()) {
            (Some(tag), Some((reply, rest))) => {
                let mut words: Vec<&str> = Vec::with_capacity(sentence.len() + 1);
                words.push(reply);
                words.push(tag);
                words.extend(rest.iter().map(String::as_str));
                words::encode_sentence(&words, &mut bytes);
            }
            _ => words::encode_sentence(sentence, &mut bytes),
        }
    }
    bytes
}

fn done() -> Sentence {
    vec!["!done".to_owned()]
}

fn trap(message: &str, category: Option<u8>) -> Vec<Sentence> {
    let mut trap = vec!["!trap".to_owned()];
    if let Some(category) = category {
        trap.push(format!("=category={category}"));
    }
    trap.push(format!("=message={message}"));
    vec![trap, done()]
}

/// Menus that exist: a command under one of them that the fake does not
/// know is `no such command`, anything else `no such command prefix`.
const MENUS: &[&str] = &[
    "",
    "/ppp",
    "/system",
    "/ppp/active",
    "/ppp/secret",
    "/system/identity",
    "/system/resource",
];

fn execute(state: &RouterOsState, user: &RouterOsUser, request: &Request) -> Vec<Sentence> {
    let empty_reply = state.config().empty_reply;
    match request.command.as_str() {
        "/system/identity/print" => print(vec![state.identity_row()], request, empty_reply),
        "/system/resource/print" => print(vec![state.resource_row()], request, empty_reply),
        "/ppp/active/print" => print(state.active_rows(), request, empty_reply),
        "/ppp/secret/print" => print(state.secret_rows(), request, empty_reply),
        "/ppp/secret/set" | "/ppp/active/remove" => write(state, user, request),
        command => {
            let menu = command.rsplit_once('/').map_or("", |(menu, _)| menu);
            if command.starts_with('/') && MENUS.contains(&menu) {
                trap("no such command", None)
            } else {
                trap("no such command prefix", None)
            }
        }
    }
}

fn print(rows: Vec<Row>, request: &Request, empty_reply: bool) -> Vec<Sentence> {
    let Ok(query) = Query::parse(request.queries.iter().map(String::as_str)) else {
        return trap("invalid query", None);
    };
    let proplist = request.attribute(".proplist").map(query::proplist);
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|row| query.matches(row).unwrap_or(false))
        .collect();
    if request.attribute("count-only").is_some() {
        return vec![vec!["!done".to_owned(), format!("=ret={}", rows.len())]];
    }
    if rows.is_empty() {
        return if empty_reply {
            vec![vec!["!empty".to_owned()], done()]
        } else {
            vec![done()]
        };
    }
    let mut sentences: Vec<Sentence> = rows
        .into_iter()
        .map(|row| {
            let row = query::project(row, proplist.as_deref());
            std::iter::once("!re".to_owned())
                .chain(
                    row.into_iter()
                        .map(|(key, value)| format!("={key}={value}")),
                )
                .collect()
        })
        .collect();
    sentences.push(done());
    sentences
}

fn write(state: &RouterOsState, user: &RouterOsUser, request: &Request) -> Vec<Sentence> {
    state.record(&request.command, &request.attributes, &user.name);
    if user.read_only {
        return trap("not enough permissions (9)", None);
    }
    let (items, by_name) = match (request.attribute(".id"), request.attribute("numbers")) {
        (Some(ids), _) => (split_items(ids), false),
        (None, Some(numbers)) => (split_items(numbers), true),
        (None, None) => return trap(&WriteError::NoSuchItem.to_string(), None),
    };
    let result = if request.command == "/ppp/secret/set" {
        let changes: Vec<(String, String)> = request
            .attributes
            .iter()
            .filter(|(key, _)| key != ".id" && key != "numbers")
            .cloned()
            .collect();
        state.set_secret(&items, by_name, &changes)
    } else {
        state.remove_active(&items, by_name)
    };
    match result {
        Ok(()) => vec![done()],
        Err(error) => trap(&error.to_string(), None),
    }
}

fn split_items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_response_matches_the_documented_formula() {
        // librouteros' encode_password("00112233445566778899aabbccddeeff", "pass").
        let challenge = hex::decode("00112233445566778899aabbccddeeff").unwrap_or_default();
        assert_eq!(
            legacy_response("pass", &challenge),
            "00c17761e19a25351426f5b61ec6e7e9a1"
        );
    }
}
