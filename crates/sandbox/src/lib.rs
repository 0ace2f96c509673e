//! Faithful local fakes of the external services Juragan talks to, for the
//! integration tests of every crate and for `make dev`.
//!
//! Each fake speaks the real wire protocol on a loopback port, so production
//! clients are pointed at it by configuration alone and never know. Today
//! that is the SMTP sink ([`smtp`]), the Telegram Bot API ([`telegram`]),
//! RDAP, the domain registries' lookup service ([`rdap`]), and the payment
//! gateways Midtrans ([`midtrans`]), Xendit ([`xendit`]) and Pakasir
//! ([`pakasir`]) with their checkout pages and notifications, a Proxmox
//! VE cluster ([`proxmox`]) for VPS provisioning, and a MikroTik RouterOS
//! PPPoE router ([`routeros`], binary API and REST); the sandbox's
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

pub mod checkout;
pub mod delivery;
mod error;
pub mod midtrans;
pub mod pakasir;
pub mod proxmox;
pub mod rdap;
pub mod receiver;
pub mod registrar;
pub mod routeros;
pub mod smtp;
pub mod telegram;
mod web;
pub mod whm;
pub mod xendit;

use std::net::{Ipv4Addr, SocketAddr};

pub use checkout::{FailureMode, PaymentFakeError};
pub use delivery::{Delivery, DeliveryError, DeliveryOutcome};
pub use error::{SandboxError, WaitTimeout};
pub use midtrans::{MidtransFake, MidtransFakeConfig, MidtransFakeHandle};
pub use pakasir::{PakasirFake, PakasirFakeConfig, PakasirFakeHandle};
pub use proxmox::{ProxmoxFake, ProxmoxFakeConfig, ProxmoxFakeHandle};
pub use rdap::{RdapFake, RdapFakeConfig, RdapFakeHandle};
pub use registrar::{RegistrarFake, RegistrarFakeConfig, RegistrarFakeHandle};
pub use routeros::{RouterOsFake, RouterOsFakeConfig, RouterOsFakeHandle};
pub use smtp::{ReceivedMail, SmtpSink, SmtpSinkConfig, SmtpSinkHandle};
pub use telegram::{TelegramFake, TelegramFakeConfig, TelegramFakeHandle};
pub use whm::{WhmFake, WhmFakeConfig, WhmFakeHandle};
pub use xendit::{XenditFake, XenditFakeConfig, XenditFakeHandle};

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
    /// Where the Midtrans fake (Snap, Core API, checkout page) listens.
    pub midtrans_addr: SocketAddr,
    /// The fake merchant: server key, notification URL.
    pub midtrans: MidtransFakeConfig,
    /// Where the Xendit fake (Invoice API, invoice page) listens.
    pub xendit_addr: SocketAddr,
    /// The fake account: secret key, callback token and URL.
    pub xendit: XenditFakeConfig,
    /// Where the Pakasir fake (API, hosted page) listens.
    pub pakasir_addr: SocketAddr,
    /// The fake project: slug, API key, webhook URL.
    pub pakasir: PakasirFakeConfig,
    /// Where the Proxmox VE fake (`/api2/json`) listens.
    pub proxmox_addr: SocketAddr,
    /// The fake cluster: nodes, templates, credentials, task duration.
    pub proxmox: ProxmoxFakeConfig,
    /// Where the cPanel WHM fake (`/json-api/`) listens.
    pub whm_addr: SocketAddr,
    /// The fake WHM server: token, packages, shared IP, nameservers.
    pub whm: WhmFakeConfig,
    /// Where the domain registrar fake (ResellerClub's `/api/`) listens.
    pub registrar_addr: SocketAddr,
    /// The fake reseller: credentials, customer, names taken elsewhere.
    pub registrar: RegistrarFakeConfig,
    /// Where the RouterOS fake's binary API listens (8728 on a router).
    pub routeros_api_addr: SocketAddr,
    /// Where the RouterOS fake's REST API and its `/sandbox/` test
    /// controls listen.
    pub routeros_rest_addr: SocketAddr,
    /// The fake router: users, login style, secrets, who is online.
    pub routeros: RouterOsFakeConfig,
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
            midtrans_addr: any_port,
            midtrans: MidtransFakeConfig::default(),
            xendit_addr: any_port,
            xendit: XenditFakeConfig::default(),
            pakasir_addr: any_port,
            pakasir: PakasirFakeConfig::default(),
            proxmox_addr: any_port,
            proxmox: ProxmoxFakeConfig::default(),
            whm_addr: any_port,
            whm: WhmFakeConfig::default(),
            registrar_addr: any_port,
            registrar: RegistrarFakeConfig::default(),
            routeros_api_addr: any_port,
            routeros_rest_addr: any_port,
            routeros: RouterOsFakeConfig::default(),
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
            midtrans_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8027)),
            midtrans: MidtransFakeConfig::default(),
            xendit_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8028)),
            xendit: XenditFakeConfig::default(),
            pakasir_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8029)),
            pakasir: PakasirFakeConfig::default(),
            proxmox_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8030)),
            proxmox: ProxmoxFakeConfig::default(),
            whm_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8031)),
            whm: WhmFakeConfig::default(),
            registrar_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8032)),
            registrar: RegistrarFakeConfig::default(),
            // The router's own API port; REST next to the other fakes.
            routeros_api_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8728)),
            routeros_rest_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8034)),
            // Demo subscribers, API-SSL on the router's 8729, REST over
            // HTTPS on 8035.
            routeros: RouterOsFakeConfig {
                tls_addr: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 8729))),
                rest_tls_addr: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 8035))),
                ..RouterOsFakeConfig::demo()
            },
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
        let midtrans = MidtransFake::start(config.midtrans_addr, config.midtrans).await?;
        let xendit = XenditFake::start(config.xendit_addr, config.xendit).await?;
        let pakasir = PakasirFake::start(config.pakasir_addr, config.pakasir).await?;
        let proxmox = ProxmoxFake::start(config.proxmox_addr, config.proxmox).await?;
        let whm = WhmFake::start(config.whm_addr, config.whm).await?;
        // Registering a name makes the RDAP fake know it, as a registry would.
        let registrar = RegistrarFake::start_linked(
            config.registrar_addr,
            config.registrar,
            Some(rdap.state().clone()),
        )?;
        let routeros = RouterOsFake::start(
            config.routeros_api_addr,
            config.routeros_rest_addr,
            config.routeros,
        )
        .await?;
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
            midtrans,
            xendit,
            pakasir,
            proxmox,
            whm,
            registrar,
            routeros,
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
    midtrans: MidtransFakeHandle,
    xendit: XenditFakeHandle,
    pakasir: PakasirFakeHandle,
    proxmox: ProxmoxFakeHandle,
    whm: WhmFakeHandle,
    registrar: RegistrarFakeHandle,
    routeros: RouterOsFakeHandle,
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

    /// The Midtrans fake: transactions, checkout page, notifications.
    pub fn midtrans(&self) -> &MidtransFakeHandle {
        &self.midtrans
    }

    /// The Xendit fake: invoices, invoice page, callbacks.
    pub fn xendit(&self) -> &XenditFakeHandle {
        &self.xendit
    }

    /// The Pakasir fake: transactions, hosted page, webhooks.
    pub fn pakasir(&self) -> &PakasirFakeHandle {
        &self.pakasir
    }

    /// The Proxmox VE fake: nodes, templates, VMs, tasks.
    pub fn proxmox(&self) -> &ProxmoxFakeHandle {
        &self.proxmox
    }

    /// The cPanel WHM fake: accounts, packages, calls.
    pub fn whm(&self) -> &WhmFakeHandle {
        &self.whm
    }

    /// The domain registrar fake (ResellerClub): registrations, contacts.
    pub fn registrar(&self) -> &RegistrarFakeHandle {
        &self.registrar
    }

    /// The MikroTik RouterOS fake: PPP secrets, active sessions, calls.
    pub fn routeros(&self) -> &RouterOsFakeHandle {
        &self.routeros
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
