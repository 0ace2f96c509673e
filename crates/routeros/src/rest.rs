//! The RouterOS v7 REST client (`/rest/...`, needs the `www-ssl` service).
//!
//! REST is stateless HTTPS with Basic auth, so there is no session to keep
//! and no login step: bad credentials surface as 401 on the first call.
//! Verbs map to console actions (GET print, PATCH set, DELETE remove) and
//! every JSON value is a string, which is why records go through the same
//! [`Attributes`] mapping as API rows. `.id` values such as `*1A` are
//! percent-encoded in full (`%2A1A`) because the router's path parser
//! expects it. Transport errors are classified from the error's causes,
//! never from reqwest's `Display`, which would leak the URL.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use crate::{
    ActiveSession, PppRouter, PppSecret, RouterConfig, RouterOsError, SecretChange, SystemResource,
    reply::Attributes, tls,
};

/// Everything but unreserved characters is escaped, `*` included.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

/// A router answers a print of tens of thousands of rows in a few MiB; more
/// than this is not a router talking.
const MAX_BODY: usize = 64 << 20;

/// A REST client for one router.
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    /// `https://host:port/rest`, no trailing slash.
    base: String,
    host: String,
    username: String,
    password: String,
    reply_timeout: Duration,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("username", &self.username)
            .field("password", &"***")
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// HTTPS, unless the port is 80 (RouterOS ≥ 7.9 serves REST on plain
    /// `www` too, for testing).
    pub fn new(config: &RouterConfig) -> Result<RestClient, RouterOsError> {
        RestClient::with_plain_http(config, config.port == 80)
    }

    /// Chooses plain HTTP explicitly (a lab router, or a test server).
    pub fn with_plain_http(
        config: &RouterConfig,
        plain_http: bool,
    ) -> Result<RestClient, RouterOsError> {
        let scheme = if plain_http { "http" } else { "https" };
        let mut url = Url::parse(&format!("{scheme}://router.invalid/rest"))
            .map_err(|_| RouterOsError::Protocol("the REST base URL is invalid".into()))?;
        let host = config.host.trim();
        let bracketed = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        url.set_host(Some(&bracketed))
            .map_err(|_| RouterOsError::Dns(config.host.clone()))?;
        url.set_port(Some(config.port))
            .map_err(|()| RouterOsError::Protocol("the REST port cannot be set".into()))?;
        // Even a plain-HTTP client needs a TLS configuration: with
        // `rustls-no-provider`, reqwest would otherwise look for a
        // process-wide default provider and panic without one.
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config(config.pinned_sha256)?)
            .connect_timeout(config.connect_timeout)
            .timeout(config.reply_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| RouterOsError::Tls("the HTTPS client could not be built".into()))?;
        Ok(RestClient {
            http,
            base: url.as_str().trim_end_matches('/').to_owned(),
            host: config.host.clone(),
            username: config.username.clone(),
            password: config.password.clone(),
            reply_timeout: config.reply_timeout,
        })
    }

    /// Sends one request to `/rest/{path}` (`path` already encoded) and
    /// returns the JSON answer (`Null` for an empty body).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, RouterOsError> {
        let command = format!("{method} /rest/{path}");
        let mut url = Url::parse(&format!("{}/{path}", self.base))
            .map_err(|_| RouterOsError::Protocol(format!("{command} is not a valid URL")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.username, Some(&self.password));
        if let Some(body) = body {
            request = request.json(body);
        }
        let exchange = async {
            let mut response = request
                .send()
                .await
                .map_err(|error| self.transport_error(&error, &command))?;
            let status = response.status();
            let mut bytes = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| self.transport_error(&error, &command))?
            {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(RouterOsError::Protocol(format!(
                        "the answer to {command} is larger than {MAX_BODY} bytes"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, bytes))
        };
        // reqwest's timeout covers the body too; this one also bounds a
        // server that trickles bytes forever.
        let (status, bytes) =
            tokio::time::timeout(self.reply_timeout + Duration::from_millis(250), exchange)
                .await
                .map_err(|_| RouterOsError::ReplyTimeout {
                    command: command.clone(),
                })??;
        answer(status, &bytes, &command)
    }

    async fn get_list(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Attributes>, RouterOsError> {
        match self.request(Method::GET, path, query, None).await? {
            Value::Array(items) => Ok(items.iter().map(attributes_of).collect()),
            _ => Err(RouterOsError::Protocol(format!(
                "GET /rest/{path} did not answer a list"
            ))),
        }
    }

    async fn get_object(&self, path: &str) -> Result<Attributes, RouterOsError> {
        match self.request(Method::GET, path, &[], None).await? {
            object @ Value::Object(_) => Ok(attributes_of(&object)),
            // Some versions answer a single-record print as a one-item list.
            Value::Array(items) if items.len() == 1 => Ok(attributes_of(&items[0])),
            _ => Err(RouterOsError::Protocol(format!(
                "GET /rest/{path} did not answer an object"
            ))),
        }
    }

    /// Sorts a transport failure from its causes.
    fn transport_error(&self, error: &reqwest::Error, command: &str) -> RouterOsError {
        if let Some(description) = tls::describe(error) {
            return RouterOsError::Tls(description);
        }
        if error.is_timeout() {
            return if error.is_connect() {
                RouterOsError::ConnectTimeout
            } else {
                RouterOsError::ReplyTimeout {
                    command: command.to_owned(),
                }
            };
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = cause {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return RouterOsError::Refused,
                    std::io::ErrorKind::TimedOut => return RouterOsError::ConnectTimeout,
                    _ => {}
                }
            }
            let text = current.to_string();
            if text.contains("dns error") || text.contains("failed to lookup address") {
                return RouterOsError::Dns(self.host.clone());
            }
            cause = current.source();
        }
        if error.is_connect() {
            RouterOsError::Io("could not connect to the router's REST API".into())
        } else {
            RouterOsError::Io(format!("{command} failed before the router answered"))
        }
    }
}

/// A 2xx body as JSON, or the error the status means.
fn answer(status: StatusCode, bytes: &[u8], command: &str) -> Result<Value, RouterOsError> {
    if status == StatusCode::UNAUTHORIZED {
        return Err(RouterOsError::BadCredentials);
    }
    let json: Option<Value> = serde_json::from_slice(bytes).ok();
    if status.is_success() {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        return json.ok_or_else(|| {
            RouterOsError::Protocol(format!("the answer to {command} is not JSON"))
        });
    }
    let text_of = |key: &str| {
        json.as_ref()
            .and_then(|json| json.get(key))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
    };
    let mut message = text_of("message")
        .or_else(|| status.canonical_reason())
        .unwrap_or("error")
        .to_owned();
    if let Some(detail) = text_of("detail") {
        message.push_str(": ");
        message.push_str(detail);
    }
    Err(RouterOsError::Http {
        status: status.as_u16(),
        message,
    })
}

/// A JSON record as attributes; non-string values (not sent by RouterOS,
/// but cheap to tolerate) are kept as their JSON text.
fn attributes_of(record: &Value) -> Attributes {
    match record {
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::String(text) => text.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (key.clone(), value)
            })
            .collect(),
        _ => Attributes::new(),
    }
}

fn encode_id(id: &str) -> String {
    utf8_percent_encode(id, PATH_SEGMENT).to_string()
}

impl PppRouter for RestClient {
    async fn identity(&self) -> Result<String, RouterOsError> {
        let identity = self.get_object("system/identity").await?;
        identity
            .get("name")
            .map(str::to_owned)
            .ok_or_else(|| RouterOsError::Protocol("the identity has no name".into()))
    }

    async fn resource(&self) -> Result<SystemResource, RouterOsError> {
        Ok(SystemResource::from_attributes(
            &self.get_object("system/resource").await?,
        ))
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError> {
        let rows = self.get_list("ppp/active", &[]).await?;
        Ok(rows.iter().map(ActiveSession::from_attributes).collect())
    }

    async fn secrets(&self, name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError> {
        let query: Vec<(&str, &str)> = name.map(|name| ("name", name)).into_iter().collect();
        let rows = self.get_list("ppp/secret", &query).await?;
        Ok(rows.iter().map(PppSecret::from_attributes).collect())
    }

    async fn set_secret(&self, id: &str, change: &SecretChange) -> Result<(), RouterOsError> {
        let properties = change.properties();
        if properties.is_empty() {
            return Ok(());
        }
        let body: serde_json::Map<String, Value> = properties
            .into_iter()
            .map(|(key, value)| (key.to_owned(), Value::String(value)))
            .collect();
        self.request(
            Method::PATCH,
            &format!("ppp/secret/{}", encode_id(id)),
            &[],
            Some(&Value::Object(body)),
        )
        .await
        .map(drop)
    }

    async fn remove_active(&self, id: &str) -> Result<(), RouterOsError> {
        self.request(
            Method::DELETE,
            &format!("ppp/active/{}", encode_id(id)),
            &[],
            None,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_fully_percent_encoded() {
        assert_eq!(encode_id("*1A"), "%2A1A");
        assert_eq!(encode_id("*8000/01"), "%2A8000%2F01");
    }

    #[test]
    fn error_bodies_become_messages() {
        let body = br#"{"error":404,"message":"Not Found","detail":"no such item"}"#;
        assert_eq!(
            answer(StatusCode::NOT_FOUND, body, "GET /rest/x"),
            Err(RouterOsError::Http {
                status: 404,
                message: "Not Found: no such item".into()
            })
        );
        assert_eq!(
            answer(StatusCode::UNAUTHORIZED, b"", "GET /rest/x"),
            Err(RouterOsError::BadCredentials)
        );
        assert_eq!(
            answer(StatusCode::BAD_GATEWAY, b"<html>", "GET /rest/x"),
            Err(RouterOsError::Http {
                status: 502,
                message: "Bad Gateway".into()
            })
        );
        assert_eq!(
            answer(StatusCode::NO_CONTENT, b"", "DELETE /rest/x"),
            Ok(Value::Null)
        );
    }
}
