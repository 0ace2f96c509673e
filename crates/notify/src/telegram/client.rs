//! The Bot API client: one HTTPS call per method, answers sorted into
//! [`TelegramError`] by `error_code`, and the token kept out of every log
//! line and error message although it is part of every URL.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::{
    error::TelegramError,
    split::{split_text, strip_html},
    types::{BotUser, InputFile, ParseMode, SentMessage, Update, WireMessage},
};

/// Where production sends Bot API calls.
pub const TELEGRAM_API_URL: &str = "https://api.telegram.org";

/// A Bot API client for one bot. Cheap to clone.
#[derive(Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramClient")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    result: Option<T>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize)]
struct ResponseParameters {
    retry_after: Option<u64>,
}

enum Body {
    Json(Value),
    Multipart(Form),
}

impl TelegramClient {
    /// `base_url` is [`TELEGRAM_API_URL`] in production or the sandbox fake's
    /// URL; `timeout` bounds each whole call.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, TelegramError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|error| TelegramError::Config(error.without_url().to_string()))?;
        Ok(Self::with_http_client(http, base_url, token))
    }

    /// Like [`TelegramClient::new`] with a client configured by the caller
    /// (proxy, TLS roots); its timeout must be set.
    pub fn with_http_client(http: reqwest::Client, base_url: &str, token: &str) -> Self {
        TelegramClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    /// The bot itself; a cheap check that the token works.
    pub async fn get_me(&self) -> Result<BotUser, TelegramError> {
        self.call("getMe", Body::Json(json!({}))).await
    }

    /// `getUpdates`: the updates from `offset` on (which confirms every
    /// earlier one), waiting up to `timeout_secs` for the first. The HTTP
    /// client's own timeout must be longer than `timeout_secs`.
    pub async fn get_updates(
        &self,
        offset: i64,
        timeout_secs: u32,
    ) -> Result<Vec<Update>, TelegramError> {
        let body = json!({ "offset": offset, "timeout": timeout_secs, "limit": 100, "allowed_updates": ["message"] });
        self.call("getUpdates", Body::Json(body)).await
    }

    /// One `sendMessage`; `text` must fit in one message (see
    /// [`TelegramClient::send_text`] for any length).
    pub async fn send_message(
        &self,
        chat_id: i64,
        text: &str,
        parse_mode: Option<ParseMode>,
    ) -> Result<SentMessage, TelegramError> {
        let mut body = json!({ "chat_id": chat_id, "text": text });
        if let (Some(mode), Value::Object(fields)) = (parse_mode, &mut body) {
            fields.insert("parse_mode".into(), json!(mode.as_str()));
        }
        self.call::<WireMessage>("sendMessage", Body::Json(body))
            .await
            .map(SentMessage::from)
    }

    /// Sends text of any length: split into parts of at most 4096 characters
    /// (see [`split_text`]), in order. A part whose markup Telegram cannot
    /// parse is sent again as plain text with the tags stripped, so the
    /// message arrives even when a template is broken.
    ///
    /// Stops at the first other failure; the parts before it were sent. A
    /// sender that must not repeat them splits with [`split_text`] itself and
    /// records its progress part by part.
    pub async fn send_text(
        &self,
        chat_id: i64,
        text: &str,
        parse_mode: Option<ParseMode>,
    ) -> Result<Vec<SentMessage>, TelegramError> {
        let mut sent = Vec::new();
        for part in split_text(text, parse_mode) {
            match self.send_message(chat_id, &part, parse_mode).await {
                Ok(message) => sent.push(message),
                Err(error) if error.is_markup_error() && parse_mode.is_some() => {
                    tracing::warn!(chat_id, %error, "markup refused; sending as plain text");
                    let plain = match parse_mode {
                        Some(ParseMode::Html) => strip_html(&part),
                        _ => part,
                    };
                    sent.push(self.send_message(chat_id, &plain, None).await?);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(sent)
    }

    /// `sendPhoto` with an optional caption (at most 1024 characters).
    pub async fn send_photo(
        &self,
        chat_id: i64,
        photo: InputFile,
        caption: Option<&str>,
        parse_mode: Option<ParseMode>,
    ) -> Result<SentMessage, TelegramError> {
        self.send_file("sendPhoto", "photo", chat_id, photo, caption, parse_mode)
            .await
    }

    /// `sendDocument` with an optional caption (at most 1024 characters).
    pub async fn send_document(
        &self,
        chat_id: i64,
        document: InputFile,
        caption: Option<&str>,
        parse_mode: Option<ParseMode>,
    ) -> Result<SentMessage, TelegramError> {
        self.send_file(
            "sendDocument",
            "document",
            chat_id,
            document,
            caption,
            parse_mode,
        )
        .await
    }

    async fn send_file(
        &self,
        method: &str,
        field: &'static str,
        chat_id: i64,
        file: InputFile,
        caption: Option<&str>,
        parse_mode: Option<ParseMode>,
    ) -> Result<SentMessage, TelegramError> {
        let body = match file {
            InputFile::Url(reference) | InputFile::FileId(reference) => {
                let mut body = json!({ "chat_id": chat_id, field: reference });
                if let Value::Object(fields) = &mut body {
                    if let Some(caption) = caption {
                        fields.insert("caption".into(), json!(caption));
                    }
                    if let Some(mode) = parse_mode {
                        fields.insert("parse_mode".into(), json!(mode.as_str()));
                    }
                }
                Body::Json(body)
            }
            InputFile::Bytes { name, bytes } => {
                let mut form = Form::new()
                    .text("chat_id", chat_id.to_string())
                    .part(field, Part::bytes(bytes).file_name(name));
                if let Some(caption) = caption {
                    form = form.text("caption", caption.to_owned());
                }
                if let Some(mode) = parse_mode {
                    form = form.text("parse_mode", mode.as_str());
                }
                Body::Multipart(form)
            }
        };
        self.call::<WireMessage>(method, body)
            .await
            .map(SentMessage::from)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        body: Body,
    ) -> Result<T, TelegramError> {
        let url = format!("{}/bot{}/{method}", self.base_url, self.token);
        let request = self.http.post(url);
        let request = match body {
            Body::Json(value) => request.json(&value),
            Body::Multipart(form) => request.multipart(form),
        };
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(error))?;
        match serde_json::from_slice::<Envelope<T>>(&bytes) {
            Ok(Envelope {
                ok: true,
                result: Some(result),
                ..
            }) => Ok(result),
            Ok(envelope) if !envelope.ok => Err(TelegramError::from_api(
                envelope.error_code.unwrap_or(status.as_u16()),
                self.redact(&envelope.description.unwrap_or_default()),
                envelope
                    .parameters
                    .and_then(|parameters| parameters.retry_after),
            )),
            // Gateways answer with their own HTML pages, not the envelope.
            _ if !status.is_success() => Err(TelegramError::from_api(
                status.as_u16(),
                status.canonical_reason().unwrap_or("error").to_owned(),
                None,
            )),
            Ok(_) => Err(TelegramError::InvalidResponse(format!(
                "{method}: ok without a result"
            ))),
            Err(error) => Err(TelegramError::InvalidResponse(format!("{method}: {error}"))),
        }
    }

    /// A timeout or connection failure, described without the URL (which
    /// holds the token).
    fn transport_error(&self, error: reqwest::Error) -> TelegramError {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        let error = error.without_url();
        let mut message = format!("{kind}: {error}");
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        TelegramError::Transient(self.redact(&message))
    }

    fn redact(&self, text: &str) -> String {
        if self.token.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.token, "<redacted>")
        }
    }
}
