//! Faithful local fakes of the external services Juragan talks to, for the
//! integration tests of every crate and for `make dev`.
//!
//! Each fake speaks the real wire protocol on a loopback port, so production
//! clients are pointed at it by configuration alone and never know. Today
//! that is the SMTP sink ([`smtp`]), the Telegram Bot API ([`telegram`]) and
//! RDAP, the domain registries' lookup service ([`rdap`]); the sandbox's
//! HTTP server ([`Sandbox`])
//! shows what the fakes received and offers it as JSON. Production code
//! never depends on this crate.
//!
//! ```no_run
//! # async fn example() -> Result<(), sandbox::SandboxError> {
//! let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::ephemeral()).await?;
//! let smtp_port = sandbox.smtp().addr().port();
//! // ... point the mailer at 127.0.0.1:smtp_port and send ...
//! let mail = sandbox
//!     .smtp()
//!     .wait_for_message_to("budi@example.test", std::time::Duration::from_secs(5))
//!     .await;
//! # Ok(()) }
//! ```

mod error;
pub mod rdap;
pub mod smtp;
pub mod telegram;
mod web;

use std::net::{Ipv4Addr, SocketAddr};

pub use error::{SandboxError, WaitTimeout};
pub use rdap::{RdapFake, RdapFakeConfig, RdapFakeHandle};
pub use smtp::{ReceivedMail, SmtpSink, SmtpSinkConfig, SmtpSinkHandle};
pub use telegram::{TelegramFake, TelegramFakeConfig, TelegramFakeHandle};

/// Where and how the fakes listen.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub smtp_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub smtp: SmtpSinkConfig,
    /// Where the Telegram Bot API fake listens.
    pub telegram_addr: SocketAddr,
    /// The fake bot, its token included.
    pub telegram: TelegramFakeConfig,
    /// Where the RDAP fake (bootstrap file and registries) listens.
    pub rdap_addr: SocketAddr,
    /// The fake's registries and the names registered from the start.
    pub rdap: RdapFakeConfig,
}

impl SandboxConfig {
    /// Every fake on a free loopback port, as tests want: many sandboxes can
    /// run side by side.
    pub fn ephemeral() -> Self {
        let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        SandboxConfig {
            smtp_addr: any_port,
            http_addr: any_port,
            smtp: SmtpSinkConfig::default(),
            telegram_addr: any_port,
            telegram: TelegramFakeConfig::default(),
            rdap_addr: any_port,
            rdap: RdapFakeConfig::default(),
        }
    }
}

impl Default for SandboxConfig {
    /// The fixed ports of `make dev` (the ones MailHog made familiar).
    fn default() -> Self {
        SandboxConfig {
            smtp_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 2525)),
            http_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8025)),
            smtp: SmtpSinkConfig::default(),
            telegram_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8081)),
            telegram: TelegramFakeConfig::default(),
            rdap_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8026)),
            rdap: RdapFakeConfig::default(),
        }
    }
}

/// Starts every fake together.
pub struct Sandbox;

impl Sandbox {
    /// Binds every fake and the HTTP server; fails if any address is taken.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        let smtp = SmtpSink::start_with(config.smtp_addr, config.smtp).await?;
        let telegram = TelegramFake::start(config.telegram_addr, config.telegram).await?;
        let rdap = RdapFake::start(config.rdap_addr, config.rdap).await?;
        let web = web::WebServer::start(
            config.http_addr,
            web::WebState {
                smtp_addr: smtp.addr(),
                mail: smtp.store().clone(),
                telegram_addr: telegram.addr(),
                telegram: telegram.state().clone(),
                rdap: rdap.state().clone(),
            },
        )?;
        Ok(SandboxHandle {
            smtp,
            telegram,
            rdap,
            web,
        })
    }
}

/// The running sandbox; dropping it stops every fake.
#[derive(Debug)]
pub struct SandboxHandle {
    smtp: SmtpSinkHandle,
    telegram: TelegramFakeHandle,
    rdap: RdapFakeHandle,
    web: web::WebServer,
}

impl SandboxHandle {
    /// The SMTP sink, with the mail it received.
    pub fn smtp(&self) -> &SmtpSinkHandle {
        &self.smtp
    }

    /// The Telegram Bot API fake, with the messages bots sent through it.
    pub fn telegram(&self) -> &TelegramFakeHandle {
        &self.telegram
    }

    /// The RDAP fake: bootstrap file, registries, registered names.
    pub fn rdap(&self) -> &RdapFakeHandle {
        &self.rdap
    }

    /// The address of the sandbox's HTTP server (pages and JSON API).
    pub fn http_addr(&self) -> SocketAddr {
        self.web.addr()
    }

    /// `http://host:port` of the HTTP server, without a trailing slash.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.web.addr())
    }

    /// Stops the HTTP server after its running requests, then every fake.
    pub async fn shutdown(self) {
        self.web.stop().await;
    }
}
