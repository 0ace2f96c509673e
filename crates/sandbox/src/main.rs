//! `sandbox`: runs every fake for `make dev` until Ctrl-C or SIGTERM.

use std::{io::IsTerminal as _, net::SocketAddr};

use anyhow::Context as _;
use clap::Parser;
use sandbox::{Sandbox, SandboxConfig};
use tracing_subscriber::EnvFilter;

/// Local fakes of Juragan's external services (SMTP sink, Telegram Bot API, RDAP,
/// Midtrans, Xendit, Pakasir, Proxmox VE, MikroTik RouterOS, ...).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address of the SMTP sink.
    #[arg(long, env = "SANDBOX_SMTP_ADDR", default_value = "127.0.0.1:2525")]
    smtp_addr: SocketAddr,
    /// Address of the sandbox web pages and JSON API.
    #[arg(long, env = "SANDBOX_HTTP_ADDR", default_value = "127.0.0.1:8025")]
    http_addr: SocketAddr,
    /// Address of the Telegram Bot API fake.
    #[arg(long, env = "SANDBOX_TELEGRAM_ADDR", default_value = "127.0.0.1:8081")]
    telegram_addr: SocketAddr,
    /// The bot token the Telegram fake accepts.
    #[arg(long, env = "SANDBOX_TELEGRAM_TOKEN", default_value = sandbox::telegram::DEFAULT_TOKEN)]
    telegram_token: String,
    /// Address of the RDAP fake (bootstrap at /rdap/dns.json).
    #[arg(long, env = "SANDBOX_RDAP_ADDR", default_value = "127.0.0.1:8026")]
    rdap_addr: SocketAddr,
    /// Address of the Midtrans fake (Snap at /snap/v1, Core API at /v2).
    #[arg(long, env = "SANDBOX_MIDTRANS_ADDR", default_value = "127.0.0.1:8027")]
    midtrans_addr: SocketAddr,
    /// The server key the Midtrans fake accepts and signs notifications with.
    #[arg(long, env = "SANDBOX_MIDTRANS_SERVER_KEY", default_value = sandbox::midtrans::DEFAULT_SERVER_KEY)]
    midtrans_server_key: String,
    /// Where the Midtrans fake POSTs payment notifications (empty: nowhere).
    #[arg(long, env = "SANDBOX_MIDTRANS_NOTIFICATION_URL", default_value = "")]
    midtrans_notification_url: String,
    /// Address of the Xendit fake (Invoice API at /v2/invoices).
    #[arg(long, env = "SANDBOX_XENDIT_ADDR", default_value = "127.0.0.1:8028")]
    xendit_addr: SocketAddr,
    /// The secret API key the Xendit fake accepts.
    #[arg(long, env = "SANDBOX_XENDIT_SECRET_KEY", default_value = sandbox::xendit::DEFAULT_SECRET_KEY)]
    xendit_secret_key: String,
    /// The `x-callback-token` the Xendit fake sends with callbacks.
    #[arg(long, env = "SANDBOX_XENDIT_CALLBACK_TOKEN", default_value = sandbox::xendit::DEFAULT_CALLBACK_TOKEN)]
    xendit_callback_token: String,
    /// Where the Xendit fake POSTs invoice callbacks (empty: nowhere).
    #[arg(long, env = "SANDBOX_XENDIT_CALLBACK_URL", default_value = "")]
    xendit_callback_url: String,
    /// Address of the Pakasir fake (API at /api, hosted page at /pay).
    #[arg(long, env = "SANDBOX_PAKASIR_ADDR", default_value = "127.0.0.1:8029")]
    pakasir_addr: SocketAddr,
    /// The project slug of the Pakasir fake.
    #[arg(long, env = "SANDBOX_PAKASIR_PROJECT", default_value = sandbox::pakasir::DEFAULT_PROJECT)]
    pakasir_project: String,
    /// The API key the Pakasir fake accepts.
    #[arg(long, env = "SANDBOX_PAKASIR_API_KEY", default_value = sandbox::pakasir::DEFAULT_API_KEY)]
    pakasir_api_key: String,
    /// Where the Pakasir fake POSTs its (unsigned) webhook (empty: nowhere).
    #[arg(long, env = "SANDBOX_PAKASIR_WEBHOOK_URL", default_value = "")]
    pakasir_webhook_url: String,
    /// Address of the Proxmox VE fake (API at /api2/json).
    #[arg(long, env = "SANDBOX_PROXMOX_ADDR", default_value = "127.0.0.1:8030")]
    proxmox_addr: SocketAddr,
    /// How long the Proxmox fake's tasks (clone, start, ...) run, in ms.
    #[arg(long, env = "SANDBOX_PROXMOX_TASK_MS", default_value_t = 1500)]
    proxmox_task_ms: u64,
    /// Address of the cPanel WHM fake (`/json-api/`).
    #[arg(long, env = "SANDBOX_WHM_ADDR", default_value = "127.0.0.1:8031")]
    whm_addr: SocketAddr,
    /// Address of the domain registrar fake (ResellerClub API at /api/).
    #[arg(long, env = "SANDBOX_REGISTRAR_ADDR", default_value = "127.0.0.1:8032")]
    registrar_addr: SocketAddr,
    /// Address of the MikroTik RouterOS fake's binary API.
    #[arg(
        long,
        env = "SANDBOX_ROUTEROS_API_ADDR",
        default_value = "127.0.0.1:8728"
    )]
    routeros_api_addr: SocketAddr,
    /// Address of the RouterOS fake's API-SSL (the fakes' self-signed
    /// certificate).
    #[arg(
        long,
        env = "SANDBOX_ROUTEROS_API_TLS_ADDR",
        default_value = "127.0.0.1:8729"
    )]
    routeros_api_tls_addr: SocketAddr,
    /// Address of the RouterOS fake's REST API (/rest) and test controls
    /// (/sandbox).
    #[arg(
        long,
        env = "SANDBOX_ROUTEROS_REST_ADDR",
        default_value = "127.0.0.1:8034"
    )]
    routeros_rest_addr: SocketAddr,
    /// Address of the RouterOS fake's REST API over HTTPS (www-ssl).
    #[arg(
        long,
        env = "SANDBOX_ROUTEROS_REST_TLS_ADDR",
        default_value = "127.0.0.1:8035"
    )]
    routeros_rest_tls_addr: SocketAddr,
    /// How the RouterOS fake's /login works: modern (6.43+) or legacy (MD5
    /// challenge).
    #[arg(long, env = "SANDBOX_ROUTEROS_LOGIN_STYLE", value_enum, default_value_t = LoginStyleArg::Modern)]
    routeros_login_style: LoginStyleArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LoginStyleArg {
    Modern,
    Legacy,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // Colour codes would garble logs that `make dev` or a test captures.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();

    let sandbox = Sandbox::start(SandboxConfig {
        smtp_addr: args.smtp_addr,
        http_addr: args.http_addr,
        telegram_addr: args.telegram_addr,
        rdap_addr: args.rdap_addr,
        telegram: sandbox::TelegramFakeConfig {
            token: args.telegram_token,
            ..sandbox::TelegramFakeConfig::default()
        },
        midtrans_addr: args.midtrans_addr,
        midtrans: sandbox::MidtransFakeConfig {
            server_key: args.midtrans_server_key,
            notification_url: non_empty(args.midtrans_notification_url),
            ..sandbox::MidtransFakeConfig::default()
        },
        xendit_addr: args.xendit_addr,
        xendit: sandbox::XenditFakeConfig {
            secret_key: args.xendit_secret_key,
            callback_token: args.xendit_callback_token,
            callback_url: non_empty(args.xendit_callback_url),
            ..sandbox::XenditFakeConfig::default()
        },
        pakasir_addr: args.pakasir_addr,
        pakasir: sandbox::PakasirFakeConfig {
            project: args.pakasir_project,
            api_key: args.pakasir_api_key,
            webhook_url: non_empty(args.pakasir_webhook_url),
            ..sandbox::PakasirFakeConfig::default()
        },
        proxmox_addr: args.proxmox_addr,
        proxmox: sandbox::ProxmoxFakeConfig {
            task_duration: std::time::Duration::from_millis(args.proxmox_task_ms),
            ..sandbox::ProxmoxFakeConfig::default()
        },
        whm_addr: args.whm_addr,
        registrar_addr: args.registrar_addr,
        routeros_api_addr: args.routeros_api_addr,
        routeros_rest_addr: args.routeros_rest_addr,
        routeros: sandbox::RouterOsFakeConfig {
            tls_addr: Some(args.routeros_api_tls_addr),
            rest_tls_addr: Some(args.routeros_rest_tls_addr),
            login_style: match args.routeros_login_style {
                LoginStyleArg::Modern => sandbox::routeros::LoginStyle::Modern,
                LoginStyleArg::Legacy => sandbox::routeros::LoginStyle::Legacy,
            },
            ..sandbox::RouterOsFakeConfig::demo()
        },
        ..SandboxConfig::default()
    })
    .await
    .context("starting the sandbox")?;
    tracing::info!(
        smtp_addr = %sandbox.smtp().addr(),
        http_addr = %sandbox.http_addr(),
        telegram_addr = %sandbox.telegram().addr(),
        rdap_addr = %sandbox.rdap().addr(),
        midtrans_addr = %sandbox.midtrans().addr(),
        xendit_addr = %sandbox.xendit().addr(),
        pakasir_addr = %sandbox.pakasir().addr(),
        proxmox_addr = %sandbox.proxmox().addr(),
        whm_addr = %sandbox.whm().addr(),
        registrar_addr = %sandbox.registrar().addr(),
        routeros_api_addr = %sandbox.routeros().api_addr(),
        routeros_api_tls_addr = %sandbox
            .routeros()
            .api_tls_addr()
            .map_or_else(String::new, |addr| addr.to_string()),
        routeros_rest_addr = %sandbox.routeros().rest_addr(),
        routeros_rest_tls_addr = %sandbox
            .routeros()
            .rest_tls_addr()
            .map_or_else(String::new, |addr| addr.to_string()),
        "sandbox ready; mail at {}/",
        sandbox.http_url(),
    );

    wait_for_shutdown_signal().await?;
    tracing::info!("shutting down");
    sandbox.shutdown().await;
    Ok(())
}

/// An unset URL arrives as the empty default.
fn non_empty(url: String) -> Option<String> {
    let url = url.trim();
    (!url.is_empty()).then(|| url.to_owned())
}

async fn wait_for_shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("listening for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("listening for Ctrl-C")?;
    Ok(())
}
