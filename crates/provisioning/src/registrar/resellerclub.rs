//! ResellerClub's HTTP API (`https://httpapi.com/api/`, test host
//! `https://test.httpapi.com/api/`): `auth-userid` and `api-key` in the
//! query string of every call, parameters repeated for lists (`ns=…&ns=…`),
//! JSON answers, and errors as `{"status":"ERROR","message":…}`.
//!
//! Registering takes two calls: `contacts/add.json` makes a contact from the
//! registrant (used as registrant, admin, tech and billing contact), then
//! `domains/register.json` with `invoice-option=NoInvoice` (the reseller's
//! balance pays). The expiry comes from `domains/details-by-name.json`.
//! Because the API key rides in the URL, no URL ever reaches an error text
//! or a log line.

use std::{fmt, time::Duration};

use chrono::{DateTime, Months, TimeZone as _, Utc};
use futures::{FutureExt as _, future::BoxFuture};
use serde_json::Value;

use super::{Registrar, RegistrarError, Registration, RegistrationRequest};

const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_MESSAGE_CHARS: usize = 300;

/// The reseller account.
#[derive(Clone)]
pub struct ResellerClubConfig {
    /// `https://httpapi.com/api/`, `https://test.httpapi.com/api/` or the
    /// sandbox fake's `http://127.0.0.1:8032/api/`.
    pub base_url: String,
    /// The reseller id.
    pub auth_userid: String,
    pub api_key: String,
    /// The customer the domains are registered under.
    pub customer_id: String,
    pub timeout: Duration,
}

impl fmt::Debug for ResellerClubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResellerClubConfig")
            .field("base_url", &self.base_url)
            .field("auth_userid", &self.auth_userid)
            .field("api_key", &"***")
            .field("customer_id", &self.customer_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A [`Registrar`] at ResellerClub; clones share the connection pool.
#[derive(Clone)]
pub struct ResellerClubRegistrar {
    http: reqwest::Client,
    base: reqwest::Url,
    config: ResellerClubConfig,
}

impl fmt::Debug for ResellerClubRegistrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResellerClubRegistrar")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ResellerClubRegistrar {
    /// Checks the configuration; makes no call. A rustls crypto provider
    /// must be installed first (reqwest is built without one).
    pub fn new(config: ResellerClubConfig) -> Result<Self, RegistrarError> {
        let base = reqwest::Url::parse(config.base_url.trim()).map_err(|_| {
            RegistrarError::Protocol("the ResellerClub base URL is not a valid URL".into())
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(RegistrarError::Protocol(
                "the ResellerClub base URL must be http(s)://host/api/".into(),
            ));
        }
        if config.auth_userid.trim().is_empty() || config.api_key.trim().is_empty() {
            return Err(RegistrarError::Unauthorized);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| RegistrarError::Protocol("no TLS backend could be set up".into()))?;
        Ok(ResellerClubRegistrar { http, base, config })
    }

    async fn register_now(
        &self,
        request: &RegistrationRequest,
    ) -> Result<Registration, RegistrarError> {
        let domain = ascii_domain(&request.domain)?;
        if !(1..=10).contains(&request.years) {
            return Err(RegistrarError::Rejected(format!(
                "a registration lasts 1 to 10 years, not {}",
                request.years
            )));
        }
        let contact_id = self.add_contact(request).await?;
        let years = request.years.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("domain-name", &domain),
            ("years", &years),
            ("customer-id", &self.config.customer_id),
            ("reg-contact-id", &contact_id),
            ("admin-contact-id", &contact_id),
            ("tech-contact-id", &contact_id),
            ("billing-contact-id", &contact_id),
            ("invoice-option", "NoInvoice"),
            ("protect-privacy", "false"),
        ];
        for nameserver in &request.nameservers {
            params.push(("ns", nameserver));
        }
        let answer = self
            .call(Method::Post, "domains/register.json", &params)
            .await?;
        let order_id = action_result(&answer, "register")?;
        match self.find_now(&domain).await {
            Ok(Some(registration)) => Ok(registration),
            // Registered, but the details are not readable yet: what we
            // know is enough to record it.
            _ => Ok(Registration {
                domain,
                registrar_order_id: order_id,
                expires_at: Utc::now()
                    .checked_add_months(Months::new(12 * u32::from(request.years)))
                    .unwrap_or_else(Utc::now),
                nameservers: request.nameservers.clone(),
                status: "Active".to_owned(),
            }),
        }
    }

    /// `contacts/add.json`: the new contact's id.
    async fn add_contact(&self, request: &RegistrationRequest) -> Result<String, RegistrarError> {
        let contact = &request.contact;
        let (phone_cc, phone) = split_phone(&contact.phone);
        let (street, city, zipcode) = split_address(&contact.address);
        let country = contact.country.trim().to_ascii_uppercase();
        let params = [
            ("name", contact.name.trim()),
            ("company", "N/A"),
            ("email", contact.email.trim()),
            ("address-line-1", street.as_str()),
            ("city", city.as_str()),
            ("country", country.as_str()),
            ("zipcode", zipcode.as_str()),
            ("phone-cc", phone_cc.as_str()),
            ("phone", phone.as_str()),
            ("customer-id", self.config.customer_id.as_str()),
            ("type", "Contact"),
        ];
        let answer = self
            .call(Method::Post, "contacts/add.json", &params)
            .await?;
        match answer {
            Value::Number(id) => Ok(id.to_string()),
            Value::String(id)
                if id.trim().bytes().all(|b| b.is_ascii_digit()) && !id.trim().is_empty() =>
            {
                Ok(id.trim().to_owned())
            }
            _ => Err(RegistrarError::Protocol(
                "contacts/add.json: the answer is not a contact id".into(),
            )),
        }
    }

    async fn find_now(&self, domain: &str) -> Result<Option<Registration>, RegistrarError> {
        let domain = ascii_domain(domain)?;
        let params = [("domain-name", domain.as_str()), ("options", "All")];
        let answer = match self
            .call(Method::Get, "domains/details-by-name.json", &params)
            .await
        {
            Ok(answer) => answer,
            Err(RegistrarError::Rejected(message)) if means_unknown(&message) => return Ok(None),
            Err(error) => return Err(error),
        };
        let order_id = field(&answer, "orderid").ok_or_else(|| {
            RegistrarError::Protocol("details-by-name: no `orderid` in the answer".into())
        })?;
        let endtime: i64 = field(&answer, "endtime")
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| {
                RegistrarError::Protocol("details-by-name: no `endtime` in the answer".into())
            })?;
        let expires_at: DateTime<Utc> =
            Utc.timestamp_opt(endtime, 0).single().ok_or_else(|| {
                RegistrarError::Protocol("details-by-name: `endtime` is no time".into())
            })?;
        let nameservers = (1..=13)
            .map_while(|index| field(&answer, &format!("ns{index}")))
            .collect();
        Ok(Some(Registration {
            domain: field(&answer, "domainname").unwrap_or(domain),
            registrar_order_id: order_id,
            expires_at,
            nameservers,
            status: field(&answer, "currentstatus").unwrap_or_else(|| "Active".to_owned()),
        }))
    }

    async fn set_nameservers_now(
        &self,
        domain: &str,
        nameservers: &[String],
    ) -> Result<(), RegistrarError> {
        let Some(registration) = self.find_now(domain).await? else {
            return Err(RegistrarError::Rejected(format!(
                "{} is not registered through this reseller",
                domain.trim()
            )));
        };
        let mut params: Vec<(&str, &str)> = vec![("order-id", &registration.registrar_order_id)];
        for nameserver in nameservers {
            params.push(("ns", nameserver));
        }
        let answer = self
            .call(Method::Post, "domains/modify-ns.json", &params)
            .await?;
        action_result(&answer, "modify-ns").map(drop)
    }

    /// One call; the parsed JSON of a non-error answer.
    async fn call(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, RegistrarError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| RegistrarError::Protocol("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(path.split('/'));
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("auth-userid", &self.config.auth_userid)
                .append_pair("api-key", &self.config.api_key);
            for (name, value) in params {
                query.append_pair(name, value);
            }
        }
        let request = match method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url),
        }
        .header(reqwest::header::ACCEPT, "application/json");
        let timeout = self.config.timeout;
        let exchange = async {
            let mut response = request.send().await.map_err(|error| transport(&error))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|error| transport(&error))? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(RegistrarError::Protocol("the answer is too large".into()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        let (status, body) = tokio::time::timeout(timeout + Duration::from_millis(250), exchange)
            .await
            .map_err(|_| timed_out(timeout))??;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if let Some(message) = json.as_ref().and_then(error_message) {
            return Err(
                if means_unauthorized(&message) || matches!(status, 401 | 403) {
                    RegistrarError::Unauthorized
                } else if status == 429 || status >= 500 && !means_refusal(&message) {
                    RegistrarError::Unavailable(format!("{path}: HTTP {status}: {message}"))
                } else {
                    RegistrarError::Rejected(message)
                },
            );
        }
        match status {
            200..=299 => json
                .ok_or_else(|| RegistrarError::Protocol(format!("{path}: the answer is not JSON"))),
            401 | 403 => Err(RegistrarError::Unauthorized),
            429 | 500..=599 => Err(RegistrarError::Unavailable(format!(
                "{path}: HTTP {status}"
            ))),
            other => Err(RegistrarError::Protocol(format!("{path}: HTTP {other}"))),
        }
    }
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
}

impl Registrar for ResellerClubRegistrar {
    fn register<'a>(
        &'a self,
        request: &'a RegistrationRequest,
    ) -> BoxFuture<'a, Result<Registration, RegistrarError>> {
        self.register_now(request).boxed()
    }

    fn find<'a>(
        &'a self,
        domain: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, RegistrarError>> {
        self.find_now(domain).boxed()
    }

    fn set_nameservers<'a>(
        &'a self,
        domain: &'a str,
        nameservers: &'a [String],
    ) -> BoxFuture<'a, Result<(), RegistrarError>> {
        self.set_nameservers_now(domain, nameservers).boxed()
    }
}

/// The order id of an action answer (`entityid`), or why it failed.
fn action_result(answer: &Value, what: &str) -> Result<String, RegistrarError> {
    let status = field(answer, "actionstatus").unwrap_or_default();
    if status.eq_ignore_ascii_case("failed") || status.eq_ignore_ascii_case("error") {
        return Err(RegistrarError::Rejected(limit(
            &field(answer, "actionstatusdesc").unwrap_or_else(|| format!("{what} failed")),
        )));
    }
    field(answer, "entityid")
        .ok_or_else(|| RegistrarError::Protocol(format!("{what}: no `entityid` in the answer")))
}

/// `{"status":"ERROR","message":…}` (any case).
fn error_message(answer: &Value) -> Option<String> {
    let status = answer.get("status")?.as_str()?;
    if !status.eq_ignore_ascii_case("error") {
        return None;
    }
    Some(limit(
        answer
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message"),
    ))
}

fn means_unauthorized(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("authentication")
        || message.contains("api-key")
        || message.contains("auth-userid")
}

fn means_unknown(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("doesn't exist")
        || message.contains("does not exist")
        || message.contains("not found")
        || message.contains("no entity")
}

/// Some refusals come with HTTP 500 at ResellerClub; a message that names
/// the request's fault is not an outage.
fn means_refusal(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    means_unknown(&message)
        || message.contains("not available")
        || message.contains("unavailable for registration")
        || message.contains("invalid")
        || message.contains("required")
}

/// A string or number field.
fn field(answer: &Value, key: &str) -> Option<String> {
    match answer.get(key)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn ascii_domain(domain: &str) -> Result<String, RegistrarError> {
    let domain = domain.trim().trim_end_matches('.');
    idna::domain_to_ascii(domain)
        .ok()
        .filter(|ascii| ascii.contains('.') && !ascii.starts_with('.'))
        .ok_or_else(|| {
            RegistrarError::Rejected(format!("`{}` is not a domain name", limit(domain)))
        })
}

/// `+62 812-3456-789` → (`62`, `8123456789`); a national `0812…` is taken
/// as Indonesian.
fn split_phone(phone: &str) -> (String, String) {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if phone.trim_start().starts_with('+') {
        // The country codes we meet are Indonesia's and its neighbours',
        // all two digits; a one-digit code (+1, +7) is told apart by its
        // digit.
        let cc_len = if digits.starts_with('1') || digits.starts_with('7') {
            1
        } else {
            2
        };
        let cut = cc_len.min(digits.len());
        return (digits[..cut].to_owned(), digits[cut..].to_owned());
    }
    ("62".to_owned(), digits.trim_start_matches('0').to_owned())
}

/// (street, city, postal code) from one comma-separated line.
fn split_address(address: &str) -> (String, String, String) {
    let parts: Vec<&str> = address
        .split([',', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    let street = parts.first().copied().unwrap_or("-").to_owned();
    let city = parts
        .iter()
        .skip(1)
        .rev()
        .find(|part| !part.chars().any(|c| c.is_ascii_digit()))
        .copied()
        .unwrap_or("-")
        .to_owned();
    let zipcode = address
        .split(|c: char| !c.is_ascii_digit())
        .find(|group| group.len() == 5)
        .unwrap_or("00000")
        .to_owned();
    (street, city, zipcode)
}

fn limit(message: &str) -> String {
    let message = message.trim();
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

fn timed_out(timeout: Duration) -> RegistrarError {
    RegistrarError::Unavailable(format!(
        "ResellerClub did not answer within {} ms",
        timeout.as_millis()
    ))
}

/// A transport failure from its causes, never reqwest's `Display` (the URL
/// holds the API key).
fn transport(error: &reqwest::Error) -> RegistrarError {
    if error.is_timeout() {
        return RegistrarError::Unavailable("ResellerClub did not answer in time".into());
    }
    let mut parts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    let detail = if parts.is_empty() {
        "request failed".to_owned()
    } else {
        limit(&parts.join(": "))
    };
    RegistrarError::Unavailable(format!("ResellerClub: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_split_into_country_code_and_number() {
        assert_eq!(
            split_phone("+62 812-3456-789"),
            ("62".into(), "8123456789".into())
        );
        assert_eq!(
            split_phone("0812 3456 789"),
            ("62".into(), "8123456789".into())
        );
        assert_eq!(
            split_phone("+1 415 555 0100"),
            ("1".into(), "4155550100".into())
        );
    }

    #[test]
    fn addresses_split_into_street_city_and_postcode() {
        assert_eq!(
            split_address("Jl. Merdeka 1, Bandung, 40111"),
            ("Jl. Merdeka 1".into(), "Bandung".into(), "40111".into())
        );
        assert_eq!(
            split_address("Jl. Sudirman"),
            ("Jl. Sudirman".into(), "-".into(), "00000".into())
        );
    }

    #[test]
    fn the_api_key_stays_out_of_debug_output() {
        let config = ResellerClubConfig {
            base_url: "https://test.httpapi.com/api/".into(),
            auth_userid: "123".into(),
            api_key: "SECRETKEY".into(),
            customer_id: "9".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{config:?}").contains("SECRETKEY"));
    }
}
