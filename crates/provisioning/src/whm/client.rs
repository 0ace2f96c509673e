//! The WHM API 1 client: one form POST per call to
//! `{base}/json-api/{function}?api.version=1`, the token in the
//! `Authorization: whm user:token` header (marked sensitive), a deadline
//! over the whole exchange and a bounded body.

use std::{fmt, time::Duration};

use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;

use super::WhmError;

/// WHM answers are a few KB (a `listaccts` of thousands of accounts a few
/// MB); anything larger is not an answer we want.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The most of a WHM reason we repeat in an error.
const MAX_REASON_CHARS: usize = 500;

/// Where WHM is and who we are there.
#[derive(Clone)]
pub struct WhmConfig {
    /// `https://host:2087` (or the sandbox's `http://127.0.0.1:8031`).
    pub base_url: String,
    /// `root` or a reseller.
    pub username: String,
    pub api_token: String,
    /// The deadline of every call: connect, send and the whole answer.
    /// `createacct` takes tens of seconds in production; use ≥ 120 s there.
    pub timeout: Duration,
}

impl fmt::Debug for WhmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhmConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("api_token", &"***")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A hosting package (`listpkgs`); sizes in MB, `None` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhmPackage {
    pub name: String,
    pub quota_mb: Option<u64>,
    pub bandwidth_mb: Option<u64>,
}

/// An account as `listaccts` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhmAccount {
    pub user: String,
    pub domain: String,
    /// The package name.
    pub plan: String,
    pub suspended: bool,
    /// `None` while active (WHM writes "not suspended").
    pub suspend_reason: Option<String>,
    pub ip: Option<String>,
}

/// The account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWhmAccount {
    /// See [`super::pick_username`]; WHM enforces its rules.
    pub username: String,
    pub domain: String,
    /// The package name.
    pub plan: String,
    pub contact_email: String,
    /// The cPanel password; empty lets WHM generate one.
    pub password: String,
}

impl fmt::Debug for NewWhmAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWhmAccount")
            .field("username", &self.username)
            .field("domain", &self.domain)
            .field("plan", &self.plan)
            .field("contact_email", &self.contact_email)
            .field("password", &"***")
            .finish()
    }
}

/// What `createacct` reports about the new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWhmAccount {
    pub ip: String,
    /// The nameservers the domain should delegate to, in order.
    pub nameservers: Vec<String>,
    pub package: String,
}

/// A WHM API 1 client; clones share the connection pool.
#[derive(Clone)]
pub struct WhmClient {
    http: reqwest::Client,
    base: reqwest::Url,
    authorization: HeaderValue,
    timeout: Duration,
}

impl fmt::Debug for WhmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhmClient")
            .field("base", &self.base.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl WhmClient {
    /// Checks the configuration; makes no call. A rustls crypto provider
    /// must be installed first (reqwest is built without one).
    pub fn new(config: WhmConfig) -> Result<Self, WhmError> {
        let base = reqwest::Url::parse(config.base_url.trim())
            .map_err(|_| WhmError::Protocol("the WHM base URL is not a valid URL".into()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(WhmError::Protocol(
                "the WHM base URL must be http(s)://host:port".into(),
            ));
        }
        if config.username.trim().is_empty() || config.api_token.trim().is_empty() {
            return Err(WhmError::Unauthorized);
        }
        let mut authorization = HeaderValue::from_str(&format!(
            "whm {}:{}",
            config.username.trim(),
            config.api_token.trim()
        ))
        .map_err(|_| WhmError::Protocol("the WHM user or token holds invalid characters".into()))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(15)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| WhmError::Tls("no TLS backend could be set up".into()))?;
        Ok(WhmClient {
            http,
            base,
            authorization,
            timeout: config.timeout,
        })
    }

    /// The WHM version, e.g. `11.124.0.18`; a cheap credentials check.
    pub async fn version(&self) -> Result<String, WhmError> {
        let data = self.call("version", &[]).await?;
        text(&data, "version")
            .ok_or_else(|| WhmError::Protocol("version: no `version` in the answer".into()))
    }

    pub async fn list_packages(&self) -> Result<Vec<WhmPackage>, WhmError> {
        let data = self.call("listpkgs", &[("want", "all")]).await?;
        let packages = data
            .get("pkg")
            .and_then(Value::as_array)
            .ok_or_else(|| WhmError::Protocol("listpkgs: no `pkg` list in the answer".into()))?;
        packages
            .iter()
            .map(|package| {
                let name = text(package, "name").ok_or_else(|| {
                    WhmError::Protocol("listpkgs: a package without a name".into())
                })?;
                Ok(WhmPackage {
                    quota_mb: limit(package.get("QUOTA"))?,
                    bandwidth_mb: limit(package.get("BWLIMIT"))?,
                    name,
                })
            })
            .collect()
    }

    /// The account called exactly `user`, if any: what to reconcile with
    /// after a lost answer.
    pub async fn find_account(&self, user: &str) -> Result<Option<WhmAccount>, WhmError> {
        let accounts = self.search("user", user).await?;
        Ok(accounts.into_iter().find(|account| account.user == user))
    }

    /// The account whose main domain is exactly `domain`, if any.
    pub async fn find_account_by_domain(
        &self,
        domain: &str,
    ) -> Result<Option<WhmAccount>, WhmError> {
        let domain = domain.trim().to_ascii_lowercase();
        let accounts = self.search("domain", &domain).await?;
        Ok(accounts
            .into_iter()
            .find(|account| account.domain.eq_ignore_ascii_case(&domain)))
    }

    /// Every account this WHM user can see.
    pub async fn list_accounts(&self) -> Result<Vec<WhmAccount>, WhmError> {
        let data = self.call("listaccts", &[("want", ACCOUNT_FIELDS)]).await?;
        accounts(&data)
    }

    async fn search(&self, searchtype: &str, value: &str) -> Result<Vec<WhmAccount>, WhmError> {
        let data = self
            .call(
                "listaccts",
                &[
                    ("search", value),
                    ("searchtype", searchtype),
                    ("searchmethod", "exact"),
                    ("want", ACCOUNT_FIELDS),
                ],
            )
            .await?;
        accounts(&data)
    }

    /// `createacct`. A [`WhmError::Timeout`] (or any transient error) leaves
    /// the outcome unknown: look the user up before trying again.
    pub async fn create_account(
        &self,
        account: &NewWhmAccount,
    ) -> Result<CreatedWhmAccount, WhmError> {
        let mut params = vec![
            ("username", account.username.as_str()),
            ("domain", account.domain.as_str()),
            ("plan", account.plan.as_str()),
            ("contactemail", account.contact_email.as_str()),
        ];
        if !account.password.is_empty() {
            params.push(("password", account.password.as_str()));
        }
        let data = self.call("createacct", &params).await?;
        let ip = text(&data, "ip")
            .ok_or_else(|| WhmError::Protocol("createacct: no `ip` in the answer".into()))?;
        let nameservers = ["nameserver", "nameserver2", "nameserver3", "nameserver4"]
            .iter()
            .filter_map(|key| text(&data, key))
            .collect();
        let package = text(&data, "package").unwrap_or_else(|| account.plan.clone());
        Ok(CreatedWhmAccount {
            ip,
            nameservers,
            package,
        })
    }

    /// Suspends the account; a reseller owning it may not lift it
    /// (`disallowun=1`). Suspending a suspended account is fine.
    pub async fn suspend(&self, user: &str, reason: &str) -> Result<(), WhmError> {
        self.call(
            "suspendacct",
            &[("user", user), ("reason", reason), ("disallowun", "1")],
        )
        .await
        .map(drop)
    }

    pub async fn unsuspend(&self, user: &str) -> Result<(), WhmError> {
        self.call("unsuspendacct", &[("user", user)])
            .await
            .map(drop)
    }

    /// Removes the account and its DNS zone. An account already gone is a
    /// [`WhmError::Rejected`] with [`WhmError::is_no_such_account`].
    pub async fn remove(&self, user: &str) -> Result<(), WhmError> {
        self.call("removeacct", &[("username", user), ("keepdns", "0")])
            .await
            .map(drop)
    }

    pub async fn change_package(&self, user: &str, package: &str) -> Result<(), WhmError> {
        self.call("changepackage", &[("user", user), ("pkg", package)])
            .await
            .map(drop)
    }

    /// One API 1 call: the `data` of a `result: 1` answer (`Null` when there
    /// is none).
    async fn call(&self, function: &str, params: &[(&str, &str)]) -> Result<Value, WhmError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| WhmError::Protocol("the WHM base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["json-api", function]);
        url.query_pairs_mut().append_pair("api.version", "1");
        let request = self
            .http
            .post(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(params);
        let (status, body) = self.exchange(request).await?;
        match status.as_u16() {
            200..=299 => {}
            401 | 403 => return Err(WhmError::Unauthorized),
            429 | 500..=599 => {
                return Err(WhmError::Unavailable(format!(
                    "{function}: HTTP {}",
                    status.as_u16()
                )));
            }
            other => {
                return Err(WhmError::Protocol(format!("{function}: HTTP {other}")));
            }
        }
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|_| WhmError::Protocol(format!("{function}: the answer is not JSON")))?;
        let Some(metadata) = answer.get("metadata") else {
            return Err(WhmError::Protocol(format!(
                "{function}: no `metadata` in the answer (legacy shape: was api.version=1 dropped?)"
            )));
        };
        let result = metadata
            .get("result")
            .and_then(|result| result.as_u64().or_else(|| result.as_str()?.parse().ok()));
        match result {
            Some(1) => Ok(answer.get("data").cloned().unwrap_or(Value::Null)),
            Some(0) => Err(WhmError::Rejected {
                command: function.to_owned(),
                reason: shorten(
                    metadata
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or("no reason given"),
                ),
            }),
            _ => Err(WhmError::Protocol(format!(
                "{function}: `metadata.result` is neither 0 nor 1"
            ))),
        }
    }

    /// Sends `request` and reads the whole answer within the deadline.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), WhmError> {
        let exchange = async {
            let mut response = request.send().await.map_err(|error| transport(&error))?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|error| transport(&error))? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(WhmError::Protocol(format!(
                        "the answer is larger than {MAX_BODY_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        // reqwest's timeout covers the body too; this one also bounds a
        // server that trickles bytes forever.
        tokio::time::timeout(self.timeout + Duration::from_millis(250), exchange)
            .await
            .map_err(|_| WhmError::Timeout)?
    }
}

const ACCOUNT_FIELDS: &str = "user,domain,plan,suspended,suspendreason,ip";

fn accounts(data: &Value) -> Result<Vec<WhmAccount>, WhmError> {
    let list = match data.get("acct") {
        Some(Value::Array(list)) => list.as_slice(),
        // WHM leaves `acct` out when nothing matched.
        None | Some(Value::Null) => &[],
        Some(_) => return Err(WhmError::Protocol("listaccts: `acct` is not a list".into())),
    };
    list.iter().map(account).collect()
}

fn account(record: &Value) -> Result<WhmAccount, WhmError> {
    let user = text(record, "user")
        .ok_or_else(|| WhmError::Protocol("listaccts: an account without `user`".into()))?;
    let suspended = match record.get("suspended") {
        Some(Value::Number(number)) => number.as_u64() == Some(1),
        Some(Value::String(text)) => text == "1",
        Some(Value::Bool(flag)) => *flag,
        _ => false,
    };
    let suspend_reason = text(record, "suspendreason")
        .filter(|reason| suspended && !reason.eq_ignore_ascii_case("not suspended"));
    Ok(WhmAccount {
        domain: text(record, "domain").unwrap_or_default(),
        plan: text(record, "plan").unwrap_or_default(),
        ip: text(record, "ip"),
        user,
        suspended,
        suspend_reason,
    })
}

/// A non-empty string (or number) field.
fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `"1024"`, `1024` or `"unlimited"` (MB).
fn limit(value: Option<&Value>) -> Result<Option<u64>, WhmError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => Ok(number.as_u64()),
        Some(Value::String(text)) => {
            let text = text.trim();
            if text.is_empty() || text.eq_ignore_ascii_case("unlimited") {
                Ok(None)
            } else {
                text.parse().map(Some).map_err(|_| {
                    WhmError::Protocol(format!("listpkgs: a limit reads `{}`", shorten(text)))
                })
            }
        }
        Some(_) => Err(WhmError::Protocol(
            "listpkgs: a limit is not a number".into(),
        )),
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A transport failure, described from its causes (never reqwest's own
/// `Display`, which holds the URL).
fn transport(error: &reqwest::Error) -> WhmError {
    if error.is_timeout() {
        return WhmError::Timeout;
    }
    let causes = causes(error);
    let lowered = causes.to_ascii_lowercase();
    if let Some(io) = io_cause(error) {
        use std::io::ErrorKind;
        match io.kind() {
            ErrorKind::TimedOut => return WhmError::Timeout,
            ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe => return WhmError::Refused(io.kind().to_string()),
            _ => {}
        }
    }
    if lowered.contains("dns") || lowered.contains("lookup") || lowered.contains("resolve") {
        return WhmError::Dns(causes);
    }
    if lowered.contains("certificate")
        || lowered.contains("tls")
        || lowered.contains("handshake")
        || lowered.contains("invalid peer")
    {
        return WhmError::Tls(causes);
    }
    WhmError::Refused(causes)
}

fn io_cause(error: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// The causes below reqwest's own error, joined: hyper's, rustls' and the
/// resolver's messages, which carry no URL.
fn causes(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        return "request failed".to_owned();
    }
    shorten(&parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_token() {
        let config = WhmConfig {
            base_url: "https://whm.example.test:2087".into(),
            username: "root".into(),
            api_token: "SECRETTOKEN".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{config:?}").contains("SECRETTOKEN"));
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = WhmClient::new(config).unwrap_or_else(|_| unreachable!());
        assert!(!format!("{client:?}").contains("SECRETTOKEN"));
    }

    #[test]
    fn limits_read_numbers_and_unlimited() {
        assert_eq!(limit(Some(&Value::from("1024"))), Ok(Some(1024)));
        assert_eq!(limit(Some(&Value::from(10))), Ok(Some(10)));
        assert_eq!(limit(Some(&Value::from("unlimited"))), Ok(None));
        assert!(limit(Some(&Value::from("lots"))).is_err());
    }

    #[test]
    fn accounts_read_flags_in_either_spelling() {
        let record = serde_json::json!({
            "user": "budi", "domain": "budi.id", "plan": "juragan_starter",
            "suspended": "1", "suspendreason": "Unpaid", "ip": "203.0.113.10"
        });
        let account = account(&record).unwrap_or_else(|_| unreachable!());
        assert!(account.suspended);
        assert_eq!(account.suspend_reason.as_deref(), Some("Unpaid"));
        let active =
            serde_json::json!({ "user": "ani", "suspended": 0, "suspendreason": "not suspended" });
        let account = super::account(&active).unwrap_or_else(|_| unreachable!());
        assert!(!account.suspended);
        assert_eq!(account.suspend_reason, None);
    }
}
