//! Everything the WHM fake remembers, behind one lock: the accounts, the
//! calls, the injected failures; and what each function does to them, as
//! an [`Outcome`] the server wraps in WHM's envelope.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{
    RESERVED_USERNAMES, WhmCall, WhmFailure, WhmFakeAccount, WhmFakeConfig, WhmFakePackage,
    WhmFunction,
};

#[derive(Clone)]
pub(crate) struct WhmState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WhmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhmState")
            .field("accounts", &self.lock().accounts.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: WhmFakeConfig,
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    accounts: Vec<WhmFakeAccount>,
    calls: Vec<WhmCall>,
    failures: HashMap<WhmFunction, VecDeque<WhmFailure>>,
    createacct_delay: Duration,
}

/// What a function did: `metadata.result`, `reason`, `output.raw` and
/// `data`.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub ok: bool,
    pub reason: String,
    pub raw: Option<String>,
    pub data: Option<Value>,
}

impl Outcome {
    fn ok(reason: impl Into<String>, raw: Option<String>, data: Option<Value>) -> Self {
        Outcome {
            ok: true,
            reason: reason.into(),
            raw,
            data,
        }
    }

    pub(crate) fn failed(reason: impl Into<String>) -> Self {
        Outcome {
            ok: false,
            reason: reason.into(),
            raw: None,
            data: None,
        }
    }
}

/// The parameters of one call, in order; a name may repeat.
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first non-empty value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim())
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("1" | "true" | "yes"))
    }
}

impl WhmState {
    pub(crate) fn new(config: WhmFakeConfig) -> Self {
        let delay = config.createacct_delay;
        let state = WhmState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(Data::default()),
            }),
        };
        state.lock().createacct_delay = delay;
        state
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &WhmFakeConfig {
        &self.inner.config
    }

    /// `Authorization: whm user:token`, the scheme case-insensitive as
    /// cPanel's parser is.
    pub(crate) fn authorized(&self, authorization: &str) -> bool {
        let Some((scheme, credentials)) = authorization.trim().split_once(' ') else {
            return false;
        };
        let Some((user, token)) = credentials.trim().split_once(':') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("whm")
            && user == self.inner.config.user
            && token == self.inner.config.api_token
    }

    pub(crate) fn fail_next(&self, function: WhmFunction, failure: WhmFailure) {
        self.lock()
            .failures
            .entry(function)
            .or_default()
            .push_back(failure);
    }

    pub(crate) fn take_failure(&self, function: WhmFunction) -> Option<WhmFailure> {
        self.lock().failures.get_mut(&function)?.pop_front()
    }

    pub(crate) fn set_createacct_delay(&self, delay: Duration) {
        self.lock().createacct_delay = delay;
    }

    pub(crate) fn createacct_delay(&self) -> Duration {
        self.lock().createacct_delay
    }

    pub(crate) fn accounts(&self) -> Vec<WhmFakeAccount> {
        self.lock().accounts.clone()
    }

    pub(crate) fn account(&self, user: &str) -> Option<WhmFakeAccount> {
        self.lock()
            .accounts
            .iter()
            .find(|account| account.user == user)
            .cloned()
    }

    pub(crate) fn add_account(&self, user: &str, domain: &str, plan: &str) {
        let mut data = self.lock();
        if data.accounts.iter().any(|account| account.user == user) {
            return;
        }
        let account = self.new_account(user, domain, plan, "");
        data.accounts.push(account);
    }

    fn new_account(&self, user: &str, domain: &str, plan: &str, email: &str) -> WhmFakeAccount {
        WhmFakeAccount {
            user: user.to_owned(),
            domain: domain.to_ascii_lowercase(),
            plan: plan.to_owned(),
            suspended: false,
            suspend_reason: None,
            email: email.to_owned(),
            ip: self.inner.config.shared_ip.clone(),
            owner: self.inner.config.user.clone(),
            created_at: Utc::now(),
            suspended_at: None,
            unsuspend_disallowed: false,
        }
    }

    pub(crate) fn record(
        &self,
        function: WhmFunction,
        params: &Params,
        api_version_1: bool,
        result: Option<bool>,
    ) {
        let params = params
            .0
            .iter()
            .map(|(key, value)| {
                let value = if matches!(key.as_str(), "password" | "pass") {
                    "***".to_owned()
                } else {
                    value.clone()
                };
                (key.clone(), value)
            })
            .collect();
        self.lock().calls.push(WhmCall {
            at: Utc::now(),
            function,
            params,
            api_version_1,
            result,
        });
    }

    pub(crate) fn calls(&self, function: Option<WhmFunction>) -> Vec<WhmCall> {
        self.lock()
            .calls
            .iter()
            .filter(|call| function.is_none_or(|wanted| call.function == wanted))
            .cloned()
            .collect()
    }

    pub(crate) fn reset(&self) {
        let mut data = self.lock();
        data.accounts.clear();
        data.calls.clear();
        data.failures.clear();
    }

    fn package(&self, name: &str) -> Option<&WhmFakePackage> {
        self.inner
            .config
            .packages
            .iter()
            .find(|package| package.name == name)
    }

    /// Carries out `function` with `params`.
    pub(crate) fn perform(&self, function: WhmFunction, params: &Params) -> Outcome {
        match function {
            WhmFunction::Version => {
                Outcome::ok("OK", None, Some(json!({ "version": super::WHM_VERSION })))
            }
            WhmFunction::ListPkgs => self.listpkgs(),
            WhmFunction::ListAccts => self.listaccts(params),
            WhmFunction::CreateAcct => self.createacct(params),
            WhmFunction::SuspendAcct => self.suspendacct(params),
            WhmFunction::UnsuspendAcct => self.unsuspendacct(params),
            WhmFunction::RemoveAcct => self.removeacct(params),
            WhmFunction::ChangePackage => self.changepackage(params),
        }
    }

    fn listpkgs(&self) -> Outcome {
        let packages: Vec<Value> = self
            .inner
            .config
            .packages
            .iter()
            .map(|package| {
                json!({
                    "name": package.name,
                    "QUOTA": limit_text(package.quota_mb),
                    "BWLIMIT": limit_text(package.bandwidth_mb),
                    "MAXPOP": "unlimited",
                    "MAXSQL": "unlimited",
                    "MAXFTP": "unlimited",
                    "MAXSUB": "unlimited",
                    "MAXPARK": "unlimited",
                    "MAXADDON": "0",
                    "FEATURELIST": "default",
                    "CGI": 1,
                    "HASSHELL": 0,
                    "IP": "n",
                    "LANG": "en",
                    "CPMOD": "jupiter",
                })
            })
            .collect();
        Outcome::ok("OK", None, Some(json!({ "pkg": packages })))
    }

    fn listaccts(&self, params: &Params) -> Outcome {
        let search = params.get("search");
        let searchtype = params.get("searchtype").unwrap_or("domain");
        let exact = params.get("searchmethod") == Some("exact");
        let wanted: Option<Vec<&str>> = params
            .get("want")
            .map(|want| want.split(',').map(str::trim).collect());
        let data = self.lock();
        let accounts: Vec<Value> = data
            .accounts
            .iter()
            .filter(|account| {
                let Some(search) = search else { return true };
                let field = match searchtype {
                    "user" => &account.user,
                    "owner" => &account.owner,
                    "ip" => &account.ip,
                    "package" => &account.plan,
                    _ => &account.domain,
                };
                matches(field, search, exact)
            })
            .map(|account| {
                let full = account_record(account, self.package(&account.plan));
                match &wanted {
                    None => full,
                    Some(fields) => Value::Object(
                        full.as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(key, _)| fields.contains(&key.as_str()))
                            .map(|(key, value)| (key.clone(), value.clone()))
                            .collect::<Map<_, _>>(),
                    ),
                }
            })
            .collect();
        Outcome::ok("OK", None, Some(json!({ "acct": accounts })))
    }

    fn createacct(&self, params: &Params) -> Outcome {
        let Some(user) = params.get("username") else {
            return Outcome::failed(
                "No user name supplied: \u{201c}username\u{201d} is a required argument.",
            );
        };
        let Some(domain) = params.get("domain") else {
            return Outcome::failed(
                "No domain supplied: \u{201c}domain\u{201d} is a required argument.",
            );
        };
        let domain = domain.to_ascii_lowercase();
        if let Err(reason) = check_username(user) {
            return Outcome::failed(reason);
        }
        if !plausible_domain(&domain) {
            return Outcome::failed(format!(
                "\u{201c}{domain}\u{201d} is not a valid domain name."
            ));
        }
        if params.get("password").is_some() && params.get("pass").is_some() {
            return Outcome::failed(
                "You may not specify both \u{201c}password\u{201d} and \u{201c}pass\u{201d}.",
            );
        }
        let email = params.get("contactemail").unwrap_or("");
        if !email.is_empty() && !plausible_email(email) {
            return Outcome::failed(format!(
                "The contact email address \u{201c}{email}\u{201d} is not valid."
            ));
        }
        let plan = params.get("plan").unwrap_or("default");
        if self.package(plan).is_none() {
            return Outcome::failed(format!(
                "Specified package \u{201c}{plan}\u{201d} does not exist."
            ));
        }
        let mut data = self.lock();
        if data.accounts.iter().any(|account| account.user == user) || is_reserved(user) {
            return Outcome::failed("Sorry, a user with that name already exists.");
        }
        let prefix = first_eight(user);
        if let Some(other) = data
            .accounts
            .iter()
            .find(|account| first_eight(&account.user) == prefix)
        {
            return Outcome::failed(format!(
                "The name of another account on this server ({}) has the same initial 8 characters \u{201c}{prefix}\u{201d}. Each user name\u{2019}s first 8 characters must be unique.",
                other.user
            ));
        }
        if let Some(owner) = data
            .accounts
            .iter()
            .find(|account| account.domain == domain)
        {
            return Outcome::failed(format!(
                "(XID 8r5k2e) The domain \u{201c}{domain}\u{201d} already exists in the userdata (owned by \u{201c}{}\u{201d}).",
                owner.user
            ));
        }
        let account = self.new_account(user, &domain, plan, email);
        data.accounts.push(account);
        drop(data);
        let config = &self.inner.config;
        let mut created = Map::new();
        created.insert("ip".into(), json!(config.shared_ip));
        for index in 0..4 {
            let suffix = if index == 0 {
                String::new()
            } else {
                (index + 1).to_string()
            };
            created.insert(
                format!("nameserver{suffix}"),
                json!(config.nameservers.get(index)),
            );
            created.insert(format!("nameservera{suffix}"), Value::Null);
        }
        created.insert("nameserverentry".into(), Value::Null);
        created.insert("package".into(), json!(plan));
        let raw = format!(
            "Account Creation Status: ok\n+===================================+\n| New Account Info                  |\n+===================================+\n| Domain: {domain}\n| Ip: {} (n)\n| UserName: {user}\n| Package: {plan}\n+===================================+\nAccount Creation Complete!!!\n",
            config.shared_ip
        );
        Outcome::ok(
            "Account Creation Ok",
            Some(raw),
            Some(Value::Object(created)),
        )
    }

    fn suspendacct(&self, params: &Params) -> Outcome {
        let Some(user) = params.get("user") else {
            return missing_user();
        };
        let reason = params.get("reason").unwrap_or("Unknown").to_owned();
        let disallow = params.flag("disallowun");
        let mut data = self.lock();
        let Some(account) = data
            .accounts
            .iter_mut()
            .find(|account| account.user == user)
        else {
            return no_such_user(user);
        };
        account.suspended = true;
        account.suspend_reason = Some(reason.clone());
        account.suspended_at = Some(Utc::now());
        account.unsuspend_disallowed = disallow;
        let raw = format!(
            "Changing Shell to /bin/false...Done\nLocking Password...Done\nSuspending mysql users\nUsing Quota v3 Support\nSuspended email\n{user}'s account has been suspended\n"
        );
        Outcome::ok(
            format!(
                "(XID 3ksm2p) The system suspended the account \u{201c}{user}\u{201d}: {reason}"
            ),
            Some(raw),
            None,
        )
    }

    fn unsuspendacct(&self, params: &Params) -> Outcome {
        let Some(user) = params.get("user") else {
            return missing_user();
        };
        let mut data = self.lock();
        let Some(account) = data
            .accounts
            .iter_mut()
            .find(|account| account.user == user)
        else {
            return no_such_user(user);
        };
        account.suspended = false;
        account.suspend_reason = None;
        account.suspended_at = None;
        account.unsuspend_disallowed = false;
        Outcome::ok(
            format!("{user}\u{2019}s account is now active."),
            None,
            None,
        )
    }

    fn removeacct(&self, params: &Params) -> Outcome {
        let Some(user) = params.get("username").or_else(|| params.get("user")) else {
            return Outcome::failed(
                "No user name supplied: \u{201c}username\u{201d} is a required argument.",
            );
        };
        let mut data = self.lock();
        let before = data.accounts.len();
        data.accounts.retain(|account| account.user != user);
        if data.accounts.len() == before {
            return no_such_user(user);
        }
        let raw = format!(
            "Killing all processes owned by user...Done\nRemoving User from Group...Done\nRemoving Web Logs...Done\n{user} account removed\n"
        );
        Outcome::ok(format!("{user} account removed"), Some(raw), None)
    }

    fn changepackage(&self, params: &Params) -> Outcome {
        let Some(user) = params.get("user") else {
            return missing_user();
        };
        let Some(plan) = params.get("pkg") else {
            return Outcome::failed(
                "No package supplied: \u{201c}pkg\u{201d} is a required argument.",
            );
        };
        if self.package(plan).is_none() {
            return Outcome::failed(format!(
                "Specified package \u{201c}{plan}\u{201d} does not exist."
            ));
        }
        let mut data = self.lock();
        let Some(account) = data
            .accounts
            .iter_mut()
            .find(|account| account.user == user)
        else {
            return no_such_user(user);
        };
        account.plan = plan.to_owned();
        let raw = format!(
            "Changing bwlimit\nChanging quota\nChanging max pop accounts\n...\nAccount Upgrade/Downgrade Complete for {user}\n"
        );
        Outcome::ok(
            format!("Account Upgrade/Downgrade Complete for {user}"),
            Some(raw),
            None,
        )
    }
}

fn missing_user() -> Outcome {
    Outcome::failed("No user name supplied: \u{201c}user\u{201d} is a required argument.")
}

fn no_such_user(user: &str) -> Outcome {
    Outcome::failed(format!("The user \u{201c}{user}\u{201d} does not exist."))
}

/// A `listaccts` record as WHM writes it: flags as 0/1, sizes as text.
fn account_record(account: &WhmFakeAccount, package: Option<&WhmFakePackage>) -> Value {
    let disklimit = match package.and_then(|package| package.quota_mb) {
        Some(mb) => format!("{mb}M"),
        None => "unlimited".to_owned(),
    };
    json!({
        "user": account.user,
        "domain": account.domain,
        "plan": account.plan,
        "email": if account.email.is_empty() { "*unknown*" } else { &account.email },
        "suspended": u8::from(account.suspended),
        "suspendreason": account.suspend_reason.as_deref().unwrap_or("not suspended"),
        "suspendtime": account.suspended_at.map(|at| at.timestamp()),
        "diskused": "0M",
        "disklimit": disklimit,
        "ip": account.ip,
        "ipv6": [],
        "owner": account.owner,
        "unix_startdate": account.created_at.timestamp(),
        "startdate": account.created_at.format("%y %b %d %H:%M").to_string(),
        "is_locked": 0,
        "partition": "home",
        "theme": "jupiter",
        "shell": "/usr/local/cpanel/bin/noshell",
        "maxpop": "unlimited",
        "maxsql": "unlimited",
        "maxaddons": "*unknown*",
        "maxparked": "*unknown*",
        "maxsub": "unlimited",
        "maxftp": "unlimited",
        "maxlst": "unlimited",
        "outgoing_mail_suspended": 0,
        "outgoing_mail_hold": 0,
        "temporary": 0,
        "uid": 1000,
        "backup": 1,
        "legacy_backup": 0,
        "min_defer_fail_to_trigger_protection": "5",
        "max_defer_fail_percentage": "unlimited",
        "max_emailacct_quota": "unlimited",
        "mailbox_format": "maildir",
        "inodesused": 0,
        "inodeslimit": "unlimited",
        "has_backup": 0,
    })
}

/// `listaccts`' search: exact equality, or (the default, `regex`) a
/// substring with optional `^`/`$` anchors — the fake has no regex engine,
/// and callers needing precision use `exact`.
fn matches(field: &str, search: &str, exact: bool) -> bool {
    if exact {
        return field == search;
    }
    let starts = search.starts_with('^');
    let ends = search.ends_with('$') && search.len() > usize::from(starts);
    let core = &search[usize::from(starts)..search.len() - usize::from(ends)];
    match (starts, ends) {
        (true, true) => field == core,
        (true, false) => field.starts_with(core),
        (false, true) => field.ends_with(core),
        (false, false) => field.contains(core),
    }
}

fn limit_text(megabytes: Option<u64>) -> String {
    megabytes.map_or_else(|| "unlimited".to_owned(), |mb| mb.to_string())
}

fn first_eight(user: &str) -> &str {
    user.char_indices()
        .nth(8)
        .map_or(user, |(cut, _)| &user[..cut])
}

fn is_reserved(user: &str) -> bool {
    RESERVED_USERNAMES.contains(&user)
}

/// cPanel's username rules, with its messages (as near as known).
fn check_username(user: &str) -> Result<(), String> {
    if user.chars().count() > 16 {
        return Err(format!(
            "The user name \u{201c}{user}\u{201d} is too long. User names may not exceed 16 characters."
        ));
    }
    if let Some(bad) = user
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        return Err(format!(
            "Invalid user name \u{201c}{user}\u{201d}: the character \u{201c}{bad}\u{201d} is not allowed. User names may only contain lowercase letters (a-z) and digits (0-9)."
        ));
    }
    if user.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("User names cannot begin with a digit.".to_owned());
    }
    if user.starts_with("test") {
        return Err("User names cannot begin with \u{201c}test\u{201d}.".to_owned());
    }
    if is_reserved(user) {
        return Err(format!(
            "The user name \u{201c}{user}\u{201d} is a reserved username on this system."
        ));
    }
    Ok(())
}

fn plausible_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

fn plausible_email(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, host)| !local.is_empty() && host.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_search_is_a_substring_with_anchors() {
        assert!(matches("tokobudi", "budi", false));
        assert!(matches("tokobudi", "^toko", false));
        assert!(!matches("tokobudi", "^budi", false));
        assert!(matches("tokobudi", "^tokobudi$", false));
        assert!(!matches("tokobudi", "toko", true));
    }

    #[test]
    fn username_rules() {
        assert!(check_username("tokobudi").is_ok());
        assert!(check_username("1toko").is_err());
        assert!(check_username("testing").is_err());
        assert!(check_username("Toko").is_err());
        assert!(check_username("toko-budi").is_err());
        assert!(check_username("abcdefghijklmnopq").is_err());
        assert!(check_username("root").is_err());
    }
}
