//! The SMTP sink: a real SMTP server on a loopback port that accepts every
//! mail, keeps the newest ones in memory, and lets tests and the sandbox web
//! pages read them back. Production's lettre transport talks to it exactly as
//! it would to a mail provider.

mod command;
mod message;
mod session;
mod store;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, task::JoinSet};

pub use self::message::{Attachment, HeaderField, Mailbox, ReceivedMail};
pub(crate) use self::store::MailStore;
use crate::error::{SandboxError, WaitTimeout};

/// Limits and names of the SMTP sink; the defaults suit tests and `make dev`.
#[derive(Debug, Clone)]
pub struct SmtpSinkConfig {
    /// Name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Largest message accepted, in bytes; advertised as `SIZE`, bigger ones
    /// get 552.
    pub max_message_size: usize,
    /// Recipients per transaction before 452.
    pub max_recipients: usize,
    /// How many mails are kept; the oldest are dropped first.
    pub max_stored_messages: usize,
    /// Open connections at once; more are answered 421 and closed.
    pub max_connections: usize,
    /// A client silent this long is disconnected with 421.
    pub idle_timeout: Duration,
}

impl Default for SmtpSinkConfig {
    fn default() -> Self {
        SmtpSinkConfig {
            hostname: "sandbox.juragan.test".to_owned(),
            max_message_size: 10 * 1024 * 1024,
            max_recipients: 100,
            max_stored_messages: 1000,
            max_connections: 256,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Starts SMTP sinks; see [`SmtpSinkHandle`] for reading what they receive.
pub struct SmtpSink;

impl SmtpSink {
    /// Binds `addr` (port 0 picks a free port) and serves SMTP with the
    /// default limits until every handle is dropped.
    pub async fn start(addr: SocketAddr) -> Result<SmtpSinkHandle, SandboxError> {
        Self::start_with(addr, SmtpSinkConfig::default()).await
    }

    /// Like [`SmtpSink::start`] with chosen limits.
    pub async fn start_with(
        addr: SocketAddr,
        config: SmtpSinkConfig,
    ) -> Result<SmtpSinkHandle, SandboxError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind {
                service: "SMTP",
                addr,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr {
                service: "SMTP",
                source,
            })?;
        let store = MailStore::new(config.max_stored_messages);
        let task = tokio::spawn(accept_connections(
            listener,
            Arc::new(config),
            store.clone(),
        ));
        Ok(SmtpSinkHandle {
            addr,
            store,
            _server: Arc::new(ServerTask(task.abort_handle())),
        })
    }
}

/// A running SMTP sink. Clones share the sink; it stops when the last clone
/// is dropped, so a test's sink never outlives the test.
#[derive(Clone, Debug)]
pub struct SmtpSinkHandle {
    addr: SocketAddr,
    store: MailStore,
    /// Held only so that the sink stops when the last handle is dropped.
    _server: Arc<ServerTask>,
}

#[derive(Debug)]
struct ServerTask(tokio::task::AbortHandle);

impl Drop for ServerTask {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // open session with it.
        self.0.abort();
    }
}

impl SmtpSinkHandle {
    /// The address the sink listens on, with the real port when 0 was asked.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every stored mail, oldest first.
    pub fn messages(&self) -> Vec<Arc<ReceivedMail>> {
        self.store.all()
    }

    /// Stored mails whose envelope includes `email` (case-insensitive),
    /// oldest first. Bcc recipients count, as they are in the envelope.
    pub fn messages_to(&self, email: &str) -> Vec<Arc<ReceivedMail>> {
        self.store
            .all()
            .into_iter()
            .filter(|mail| mail.is_addressed_to(email))
            .collect()
    }

    /// The stored mail with this id.
    pub fn message(&self, id: uuid::Uuid) -> Option<Arc<ReceivedMail>> {
        self.store.get(id)
    }

    /// Forgets every stored mail; returns how many there were.
    pub fn clear(&self) -> usize {
        self.store.clear()
    }

    /// The newest mail matching `predicate`, already stored or arriving
    /// within `timeout`.
    pub async fn wait_for_message(
        &self,
        predicate: impl FnMut(&ReceivedMail) -> bool,
        timeout: Duration,
    ) -> Result<Arc<ReceivedMail>, WaitTimeout> {
        self.store.wait_for(predicate, timeout).await
    }

    /// The newest mail to `email`, already stored or arriving within
    /// `timeout`.
    pub async fn wait_for_message_to(
        &self,
        email: &str,
        timeout: Duration,
    ) -> Result<Arc<ReceivedMail>, WaitTimeout> {
        self.store
            .wait_for(|mail| mail.is_addressed_to(email), timeout)
            .await
    }

    pub(crate) fn store(&self) -> &MailStore {
        &self.store
    }
}

async fn accept_connections(listener: TcpListener, config: Arc<SmtpSinkConfig>, store: MailStore) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) if sessions.len() >= config.max_connections => {
                    tracing::warn!(%peer, "SMTP sink busy, refusing connection");
                    let hostname = config.hostname.clone();
                    sessions.spawn(async move {
                        if let Err(error) = session::refuse_busy(stream, &hostname).await {
                            tracing::debug!(%peer, %error, "could not refuse SMTP connection");
                        }
                    });
                }
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "SMTP connection");
                    let (config, store) = (Arc::clone(&config), store.clone());
                    sessions.spawn(async move {
                        if let Err(error) = session::serve(stream, peer, &config, &store).await {
                            tracing::debug!(%peer, %error, "SMTP session ended with an I/O error");
                        }
                    });
                }
                Err(error) => {
                    // Usually out of file descriptors; retrying at once
                    // would spin without giving any back.
                    tracing::warn!(%error, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(finished) = sessions.join_next(), if !sessions.is_empty() => {
                if let Err(error) = finished
                    && error.is_panic()
                {
                    tracing::error!(%error, "SMTP session panicked");
                }
            }
        }
    }
}
