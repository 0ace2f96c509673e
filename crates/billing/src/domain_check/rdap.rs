//! One RDAP domain lookup (RFC 9082/9083): `GET {base}domain/{name}` and
//! what its answer means for availability. Servers that asked us to slow
//! down (429 with `Retry-After`) are not asked again before the time they
//! named; until then their names are [`UnknownReason::RateLimited`].

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};
use domain::DomainName;
use reqwest::{StatusCode, header};
use serde::Deserialize;
use tokio::time::Instant;

use super::{Availability, UnknownReason};

/// A domain object is a few KB; a body far larger is not one.
const MAX_BODY_BYTES: usize = 512 * 1024;
/// How long a server that answered 429 without `Retry-After` is left alone.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(30);
/// The most a `Retry-After` can silence a server: an hour, whatever it says.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

pub(crate) struct RdapClient {
    http: reqwest::Client,
    /// `host:port` → when that server may be asked again.
    backoff: Mutex<HashMap<String, Instant>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainObject {
    object_class_name: String,
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_action: String,
    event_date: Option<String>,
}

impl RdapClient {
    pub(crate) fn new(http: reqwest::Client) -> Self {
        RdapClient {
            http,
            backoff: Mutex::new(HashMap::new()),
        }
    }

    /// Asks the server at `base` (ending in `/`) about `name`. Never fails:
    /// whatever goes wrong is an [`Availability::Unknown`] with its reason.
    pub(crate) async fn query(&self, base: &str, name: &DomainName) -> Availability {
        let url = match reqwest::Url::parse(base)
            .and_then(|base| base.join("domain/").and_then(|url| url.join(name.ascii())))
        {
            Ok(url) => url,
            Err(error) => {
                tracing::warn!(base, %error, "unusable RDAP base URL");
                return Availability::unknown(UnknownReason::NoRdap);
            }
        };
        let server = authority(&url);
        if self.backing_off(&server) {
            return Availability::unknown(UnknownReason::RateLimited);
        }
        let response = match self
            .http
            .get(url)
            .header(header::ACCEPT, "application/rdap+json")
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => {
                let reason = transport_reason(&error);
                tracing::info!(domain = %name, server, error = %error.without_url(), ?reason, "RDAP query failed");
                return Availability::unknown(reason);
            }
        };
        let status = response.status();
        let availability = match status {
            StatusCode::OK => read_domain(response).await,
            StatusCode::NOT_FOUND => Availability::Available,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after(response.headers(), Utc::now());
                // The server that said so, which a redirect may have changed.
                self.back_off(authority(response.url()), wait);
                tracing::info!(domain = %name, server, ?wait, "RDAP server rate-limits us");
                Availability::unknown(UnknownReason::RateLimited)
            }
            status if status.is_client_error() => Availability::unknown(UnknownReason::Rejected),
            status if status.is_server_error() => Availability::unknown(UnknownReason::ServerError),
            _ => Availability::unknown(UnknownReason::BadResponse),
        };
        if let Availability::Unknown { reason } = &availability
            && status != StatusCode::TOO_MANY_REQUESTS
        {
            tracing::info!(domain = %name, server, status = status.as_u16(), ?reason, "RDAP answer is not usable");
        }
        availability
    }

    fn backing_off(&self, server: &str) -> bool {
        let mut backoff = self.backoff.lock().unwrap_or_else(PoisonError::into_inner);
        match backoff.get(server) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                backoff.remove(server);
                false
            }
            None => false,
        }
    }

    fn back_off(&self, server: String, wait: Duration) {
        let until = Instant::now() + wait;
        let mut backoff = self.backoff.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = backoff.entry(server).or_insert(until);
        *entry = (*entry).max(until);
    }
}

/// A 200 answer: registered when it is a domain object.
async fn read_domain(mut response: reqwest::Response) -> Availability {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Availability::unknown(UnknownReason::BadResponse);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => return Availability::unknown(transport_reason(&error)),
        }
    }
    match serde_json::from_slice::<DomainObject>(&body) {
        Ok(object) if object.object_class_name == "domain" => Availability::Taken {
            registered_at: event_date(&object.events, "registration"),
            expires_at: event_date(&object.events, "expiration"),
        },
        Ok(_) | Err(_) => Availability::unknown(UnknownReason::BadResponse),
    }
}

fn event_date(events: &[Event], action: &str) -> Option<DateTime<Utc>> {
    events
        .iter()
        .find(|event| event.event_action.eq_ignore_ascii_case(action))
        .and_then(|event| event.event_date.as_deref())
        .and_then(|date| DateTime::parse_from_rfc3339(date).ok())
        .map(|date| date.with_timezone(&Utc))
}

fn transport_reason(error: &reqwest::Error) -> UnknownReason {
    if error.is_timeout() {
        UnknownReason::Timeout
    } else if error.is_redirect() || error.is_decode() || error.is_body() {
        UnknownReason::BadResponse
    } else {
        UnknownReason::Unreachable
    }
}

/// `host:port`: what one server is, for back-off.
fn authority(url: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3), bounded
/// to a second at least and an hour at most.
fn retry_after(headers: &header::HeaderMap, now: DateTime<Utc>) -> Duration {
    let Some(value) = headers
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
    else {
        return DEFAULT_BACKOFF;
    };
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or_default()
    } else {
        DEFAULT_BACKOFF
    };
    wait.clamp(Duration::from_secs(1), MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> header::HeaderMap {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(retry_after).expect("valid header"),
        );
        headers
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = Utc::now();
        assert_eq!(retry_after(&headers("7"), now), Duration::from_secs(7));
        let later = (now + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = retry_after(&headers(&later), now);
        assert!(
            (Duration::from_secs(89)..=Duration::from_secs(90)).contains(&wait),
            "{wait:?}"
        );
        let http_date = (now + chrono::Duration::seconds(120))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = retry_after(&headers(&http_date), now);
        assert!(
            (Duration::from_secs(119)..=Duration::from_secs(120)).contains(&wait),
            "{wait:?}"
        );
    }

    #[test]
    fn retry_after_is_bounded() {
        let now = Utc::now();
        assert_eq!(retry_after(&header::HeaderMap::new(), now), DEFAULT_BACKOFF);
        assert_eq!(retry_after(&headers("soon"), now), DEFAULT_BACKOFF);
        assert_eq!(retry_after(&headers("0"), now), Duration::from_secs(1));
        assert_eq!(retry_after(&headers("99999999"), now), MAX_BACKOFF);
        let past = (now - chrono::Duration::seconds(60)).to_rfc2822();
        assert_eq!(retry_after(&headers(&past), now), Duration::from_secs(1));
    }

    #[test]
    fn reads_the_registration_and_expiration_events() {
        // An expiry a year from now, written in WIB as PANDI writes it.
        let expires = (chrono::Utc::now() + chrono::Duration::days(365))
            .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("+07:00"));
        let registered = chrono::Utc::now() - chrono::Duration::days(3650);
        let events: Vec<Event> = serde_json::from_value(serde_json::json!([
            {"eventAction": "registration", "eventDate": registered.to_rfc3339()},
            {"eventAction": "expiration", "eventDate": expires.to_rfc3339()},
            {"eventAction": "last changed"}
        ]))
        .expect("valid events");
        assert_eq!(
            event_date(&events, "registration").map(|date| date.timestamp()),
            Some(registered.timestamp())
        );
        let expiration = event_date(&events, "expiration").expect("an expiry");
        assert_eq!(expiration.timestamp(), expires.timestamp());
        assert_eq!(expiration.offset(), &chrono::Utc, "read as UTC");
        assert_eq!(event_date(&events, "last changed"), None);
        assert_eq!(event_date(&events, "transfer"), None);
    }
}
