//! Sending email over SMTP with lettre: multipart HTML + plain text, with a
//! bounded timeout so a stuck relay cannot hold a request or job forever.
//!
//! Messages that carry secrets (one-time codes, reset links) are sent
//! directly rather than through a stored outbox, so the secret never rests in
//! the database.

use std::time::Duration;

use domain::Email;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("invalid SMTP configuration: {0}")]
    Config(String),
    #[error("could not build the message: {0}")]
    Message(String),
    #[error("the mail server did not accept the message: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("no template for event `{0}`")]
    UnknownTemplate(String),
    #[error("no template version {0} for this event and language")]
    UnknownVersion(i64),
    #[error(transparent)]
    Validation(#[from] domain::ValidationErrors),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Jobs(#[from] jobs::Error),
}

#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://host:port` (plain, for the local sink), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`.
    pub fn from_url(url: &str, from: &str) -> Result<Self, NotifyError> {
        let from: Mailbox = from
            .parse()
            .map_err(|error| NotifyError::Config(format!("MAIL_FROM: {error}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| NotifyError::Config(format!("SMTP_URL: {error}")))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(Self { transport, from })
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), NotifyError> {
        let to: Mailbox =
            email
                .to
                .as_str()
                .parse()
                .map_err(|error: lettre::address::AddressError| {
                    NotifyError::Message(error.to_string())
                })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|error| NotifyError::Message(error.to_string()))?;
        self.transport.send(message).await?;
        tracing::info!(to = %email.to.masked(), subject = %email.subject, "email sent");
        Ok(())
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}
