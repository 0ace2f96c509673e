//! `sandbox`: runs every fake for `make dev` until Ctrl-C or SIGTERM.

use std::{io::IsTerminal as _, net::SocketAddr};

use anyhow::Context as _;
use clap::Parser;
use sandbox::{Sandbox, SandboxConfig};
use tracing_subscriber::EnvFilter;

/// Local fakes of Juragan's external services (SMTP sink, Telegram Bot API, RDAP, ...).
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
        ..SandboxConfig::default()
    })
    .await
    .context("starting the sandbox")?;
    tracing::info!(
        smtp_addr = %sandbox.smtp().addr(),
        http_addr = %sandbox.http_addr(),
        telegram_addr = %sandbox.telegram().addr(),
        rdap_addr = %sandbox.rdap().addr(),
        "sandbox ready; mail at {}/",
        sandbox.http_url(),
    );

    wait_for_shutdown_signal().await?;
    tracing::info!("shutting down");
    sandbox.shutdown().await;
    Ok(())
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
