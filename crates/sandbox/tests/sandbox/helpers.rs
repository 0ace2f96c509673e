//! What every test needs: a sandbox on free ports, clients pointed at it, and
//! bounded waits so that a broken fake fails a test instead of hanging it.

use std::{net::SocketAddr, time::Duration};

use lettre::{
    AsyncSmtpTransport, Message, Tokio1Executor, message::MultiPart,
    transport::smtp::authentication::Credentials,
};
use sandbox::{Sandbox, SandboxConfig, SandboxHandle, SmtpSinkConfig};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};

/// Upper bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn spawn_sandbox() -> SandboxHandle {
    spawn_sandbox_with(SmtpSinkConfig::default()).await
}

pub async fn spawn_sandbox_with(smtp: SmtpSinkConfig) -> SandboxHandle {
    let config = SandboxConfig {
        smtp,
        ..SandboxConfig::ephemeral()
    };
    Sandbox::start(config)
        .await
        .expect("the sandbox should start on free loopback ports")
}

/// A lettre transport configured as production's mailer is, minus TLS.
pub fn mailer(addr: SocketAddr) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .timeout(Some(WAIT))
        .build()
}

pub fn mailer_with_credentials(
    addr: SocketAddr,
    user: &str,
    password: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .timeout(Some(WAIT))
        .credentials(Credentials::new(user.to_owned(), password.to_owned()))
        .build()
}

/// An invoice mail as the notify crate would send it: HTML with a text
/// alternative, non-ASCII in the subject and the bodies.
pub fn invoice_mail(to: &str, subject: &str) -> Message {
    Message::builder()
        .from("Toko Juragan <billing@juragan.test>".parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(
            format!("Halo Budi,\nTagihan {subject}: Rp 1.500.000 — bayar sebelum 5 Mei.\n"),
            format!("<p>Halo Budi,</p><p>Tagihan <b>{subject}</b>: Rp 1.500.000 — bayar sebelum 5 Mei.</p>"),
        ))
        .unwrap()
}

pub fn http_client() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own; it wants one
    // installed even for plain-HTTP clients. Already-installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// One SMTP reply: its code and the text of each line.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// A hand-driven SMTP client, for what lettre would never send.
pub struct RawSmtp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl RawSmtp {
    /// Connects and reads the greeting, which must be 220.
    pub async fn connect(addr: SocketAddr) -> Self {
        let mut client = Self::connect_unchecked(addr).await;
        let greeting = client.reply().await;
        assert_eq!(greeting.code, 220, "greeting: {greeting:?}");
        client
    }

    pub async fn connect_unchecked(addr: SocketAddr) -> Self {
        let stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect to the SMTP sink");
        let (read, writer) = stream.into_split();
        RawSmtp {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Connects and greets with EHLO.
    pub async fn greeted(addr: SocketAddr) -> Self {
        let mut client = Self::connect(addr).await;
        client.expect("EHLO client.test", 250).await;
        client
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer
            .write_all(bytes)
            .await
            .expect("write to the sink");
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self) -> Reply {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
                .await
                .expect("no reply within the wait")
                .expect("read from the sink");
            assert!(
                read > 0,
                "connection closed before a full reply; got {lines:?}"
            );
            let line = line.trim_end_matches(['\r', '\n']);
            assert!(line.len() >= 3, "short reply line {line:?}");
            let code: u16 = line[..3].parse().expect("reply code");
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_owned());
            if last {
                return Reply { code, lines };
            }
        }
    }

    /// Sends one command line and returns the reply.
    pub async fn command(&mut self, line: &str) -> Reply {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Sends one command line and asserts the reply code.
    pub async fn expect(&mut self, line: &str, code: u16) -> Reply {
        let reply = self.command(line).await;
        assert_eq!(reply.code, code, "{line:?} got {reply:?}");
        reply
    }

    /// Runs one whole transaction and returns the final reply.
    pub async fn send_mail(&mut self, from: &str, to: &[&str], data: &str) -> Reply {
        self.expect(&format!("MAIL FROM:<{from}>"), 250).await;
        for rcpt in to {
            self.expect(&format!("RCPT TO:<{rcpt}>"), 250).await;
        }
        self.expect("DATA", 354).await;
        self.send_raw(data.as_bytes()).await;
        self.send_raw(b".\r\n").await;
        self.reply().await
    }

    /// Whether the server closed the connection (EOF within the wait).
    pub async fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 256];
        loop {
            match tokio::time::timeout(WAIT, self.reader.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}
