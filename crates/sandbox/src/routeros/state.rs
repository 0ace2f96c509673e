//! Everything the router fake remembers, behind one lock: PPP secrets,
//! active sessions, recorded write calls, the reply delay; and what each
//! command does to them. The binary API, REST and the test controls all
//! go through here, so a session kicked over REST is gone from the binary
//! API's next print.

use std::{
    collections::HashSet,
    net::IpAddr,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{
    ActiveRow, RecordedCall, RouterOsFakeConfig, RouterOsFakeError, RouterOsSecret, RouterOsUser,
    SecretRow, query::Row,
};

/// The first `.id` of an active session: RouterOS numbers dynamic items
/// from `*80000000` up.
const FIRST_ACTIVE_ID: u32 = 0x8000_0001;
/// The high byte of the `session-id`s the fake hands out.
const SESSION_ID_BASE: u32 = 0x8100_0000;

#[derive(Clone)]
pub(crate) struct RouterOsState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RouterOsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = self.lock();
        f.debug_struct("RouterOsState")
            .field("secrets", &data.secrets.len())
            .field("sessions", &data.sessions.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: RouterOsFakeConfig,
    started: Instant,
    data: Mutex<Data>,
    connections: AtomicUsize,
    /// `/ip service` of `api` and `api-ssl`: connections watch it and close
    /// when it turns off.
    api_enabled: watch::Sender<bool>,
    /// API ports listening now: a disabled service closes its ports, as a
    /// router does, so a client's connect is refused.
    listening: watch::Sender<usize>,
}

#[derive(Default)]
struct Data {
    secrets: Vec<Secret>,
    sessions: Vec<Session>,
    calls: Vec<RecordedCall>,
    next_secret: u32,
    /// Counts every login ever, for ids, addresses and MACs.
    logins: u32,
    reply_delay: Duration,
}

struct Secret {
    id: u32,
    spec: RouterOsSecret,
    last_logged_out: Option<DateTime<Utc>>,
    last_caller_id: Option<String>,
}

struct Session {
    id: u32,
    name: String,
    caller_id: String,
    address: String,
    session_id: u32,
    since: Instant,
    /// Uptime already accrued at `since` (demo sessions start hours old).
    uptime_before: Duration,
}

impl Session {
    fn row(&self) -> ActiveRow {
        ActiveRow {
            id: active_id(self.id),
            name: self.name.clone(),
            service: "pppoe".to_owned(),
            caller_id: self.caller_id.clone(),
            address: self.address.clone(),
            uptime: format_uptime(self.uptime_before + self.since.elapsed()),
            encoding: String::new(),
            session_id: format!("0x{:08X}", self.session_id),
            radius: false,
        }
    }
}

impl Secret {
    fn row(&self) -> SecretRow {
        SecretRow {
            id: format!("*{:X}", self.id),
            name: self.spec.name.clone(),
            service: self.spec.service.clone(),
            profile: self.spec.profile.clone(),
            local_address: self.spec.local_address.clone(),
            remote_address: self.spec.remote_address.clone(),
            disabled: self.spec.disabled,
            comment: self.spec.comment.clone(),
            last_logged_out: self.last_logged_out.map(format_time),
            last_caller_id: self.last_caller_id.clone(),
        }
    }
}

/// Why a write command was refused; its text is the trap's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("no such item")]
    NoSuchItem,
    #[error("unknown parameter {0}")]
    UnknownParameter(String),
    #[error("value of {0} must be yes or no")]
    NotABoolean(String),
    #[error("value of {0} must not be empty")]
    Empty(String),
    #[error("failure: secret with the same name already exists")]
    DuplicateName,
}

impl RouterOsState {
    pub(crate) fn new(config: RouterOsFakeConfig) -> Result<Self, RouterOsFakeError> {
        let (api_enabled, _) = watch::channel(true);
        let (listening, _) = watch::channel(0);
        let state = RouterOsState {
            inner: Arc::new(Inner {
                config: config.clone(),
                started: Instant::now(),
                data: Mutex::new(Data {
                    next_secret: 1,
                    ..Data::default()
                }),
                connections: AtomicUsize::new(0),
                api_enabled,
                listening,
            }),
        };
        for secret in config.secrets {
            state.add_secret(secret)?;
        }
        for session in config.online {
            state.log_in_with(&session.name, None, None, session.uptime)?;
        }
        Ok(state)
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &RouterOsFakeConfig {
        &self.inner.config
    }

    /// The user these credentials log in as, if any.
    pub(crate) fn authenticate(&self, name: &str, password: &str) -> Option<RouterOsUser> {
        self.inner
            .config
            .users
            .iter()
            .find(|user| user.name == name && user.password == password)
            .cloned()
    }

    pub(crate) fn user(&self, name: &str) -> Option<RouterOsUser> {
        self.inner
            .config
            .users
            .iter()
            .find(|user| user.name == name)
            .cloned()
    }

    pub(crate) fn connection_accepted(&self) {
        self.inner.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn api_enabled(&self) -> bool {
        *self.inner.api_enabled.borrow()
    }

    pub(crate) fn watch_api_enabled(&self) -> watch::Receiver<bool> {
        self.inner.api_enabled.subscribe()
    }

    pub(crate) fn set_api_enabled(&self, enabled: bool) {
        self.inner.api_enabled.send_replace(enabled);
    }

    /// An API port opened (`true`) or closed.
    pub(crate) fn port_listening(&self, open: bool) {
        self.inner.listening.send_modify(|count| {
            *count = if open {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
        });
    }

    /// The API ports the fake has: the API, and API-SSL when configured.
    pub(crate) fn api_ports(&self) -> usize {
        1 + usize::from(self.inner.config.tls)
    }

    /// Waits (at most 2 s) until `ports` API ports listen, or none.
    pub(crate) async fn wait_for_ports(&self, ports: usize) {
        let mut listening = self.inner.listening.subscribe();
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            listening.wait_for(|count| *count == ports),
        )
        .await;
    }

    pub(crate) fn reply_delay(&self) -> Duration {
        self.lock().reply_delay
    }

    pub(crate) fn set_reply_delay(&self, delay: Duration) {
        self.lock().reply_delay = delay;
    }

    pub(crate) fn record(&self, command: &str, attributes: &[(String, String)], user: &str) {
        self.lock().calls.push(RecordedCall {
            command: command.to_owned(),
            attributes: attributes.to_vec(),
            user: user.to_owned(),
        });
    }

    pub(crate) fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    // ---- what the prints show ----

    pub(crate) fn identity_row(&self) -> Row {
        vec![("name".to_owned(), self.inner.config.identity.clone())]
    }

    /// `/system/resource` of a 2-core CHR; the CPU load grows with the
    /// sessions, so a dashboard has something to show.
    pub(crate) fn resource_row(&self) -> Row {
        let sessions = self.lock().sessions.len();
        let cpu_load = (2 + sessions / 250).min(100);
        let total_memory: u64 = 2 * 1024 * 1024 * 1024;
        let used = 180 * 1024 * 1024 + u64::try_from(sessions).unwrap_or(0) * 24 * 1024;
        let pairs: [(&str, String); 18] = [
            ("uptime", format_uptime(self.inner.started.elapsed())),
            ("version", self.inner.config.version.clone()),
            ("build-time", "2025-03-11 11:59:04".to_owned()),
            ("factory-software", "7.1".to_owned()),
            ("free-memory", total_memory.saturating_sub(used).to_string()),
            ("total-memory", total_memory.to_string()),
            ("cpu", "QEMU".to_owned()),
            ("cpu-count", "2".to_owned()),
            ("cpu-frequency", "2394".to_owned()),
            ("cpu-load", cpu_load.to_string()),
            ("free-hdd-space", "78143488".to_owned()),
            ("total-hdd-space", "93634560".to_owned()),
            ("write-sect-since-reboot", "3418".to_owned()),
            ("write-sect-total", "3418".to_owned()),
            ("architecture-name", "x86_64".to_owned()),
            ("board-name", "CHR".to_owned()),
            ("platform", "MikroTik".to_owned()),
            ("bad-blocks", "0".to_owned()),
        ];
        pairs
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }

    pub(crate) fn active_rows(&self) -> Vec<Row> {
        self.lock()
            .sessions
            .iter()
            .map(|session| active_attributes(&session.row()))
            .collect()
    }

    pub(crate) fn secret_rows(&self) -> Vec<Row> {
        self.lock()
            .secrets
            .iter()
            .map(|secret| secret_attributes(&secret.row()))
            .collect()
    }

    pub(crate) fn sessions(&self) -> Vec<ActiveRow> {
        self.lock().sessions.iter().map(Session::row).collect()
    }

    pub(crate) fn secrets(&self) -> Vec<SecretRow> {
        self.lock().secrets.iter().map(Secret::row).collect()
    }

    // ---- writes ----

    /// `/ppp/active/remove`: every item named must exist, or nothing is
    /// removed. `numbers` may also name a session by its user name.
    pub(crate) fn remove_active(&self, items: &[String], by_name: bool) -> Result<(), WriteError> {
        let mut data = self.lock();
        let mut doomed = HashSet::new();
        for item in items {
            let found = data
                .sessions
                .iter()
                .find(|session| {
                    active_id(session.id) == *item || (by_name && session.name == *item)
                })
                .ok_or(WriteError::NoSuchItem)?;
            doomed.insert(found.id);
        }
        if doomed.is_empty() {
            return Err(WriteError::NoSuchItem);
        }
        let (gone, kept): (Vec<Session>, Vec<Session>) = std::mem::take(&mut data.sessions)
            .into_iter()
            .partition(|session| doomed.contains(&session.id));
        data.sessions = kept;
        for session in gone {
            note_logout(&mut data, &session);
        }
        Ok(())
    }

    /// `/ppp/secret/set`: as on the router, it changes the secret only; a
    /// live session of a now-disabled secret stays up until it is removed.
    pub(crate) fn set_secret(
        &self,
        items: &[String],
        by_name: bool,
        changes: &[(String, String)],
    ) -> Result<(), WriteError> {
        let mut data = self.lock();
        let mut targets = Vec::new();
        for item in items {
            let index = data
                .secrets
                .iter()
                .position(|secret| {
                    format!("*{:X}", secret.id) == *item || (by_name && secret.spec.name == *item)
                })
                .ok_or(WriteError::NoSuchItem)?;
            targets.push(index);
        }
        if targets.is_empty() {
            return Err(WriteError::NoSuchItem);
        }
        // Check every change before applying any, as the router does.
        for (key, value) in changes {
            match key.as_str() {
                "disabled" => {
                    parse_bool(value).ok_or_else(|| WriteError::NotABoolean(key.clone()))?;
                }
                "name" | "profile" | "service" if value.is_empty() => {
                    return Err(WriteError::Empty(key.clone()));
                }
                "name" => {
                    let taken = data.secrets.iter().enumerate().any(|(index, secret)| {
                        secret.spec.name == *value && !targets.contains(&index)
                    });
                    if taken || targets.len() > 1 {
                        return Err(WriteError::DuplicateName);
                    }
                }
                "profile" | "service" | "password" | "comment" | "local-address"
                | "remote-address" | "caller-id" => {}
                _ => return Err(WriteError::UnknownParameter(key.clone())),
            }
        }
        for index in targets {
            let Some(secret) = data.secrets.get_mut(index) else {
                continue;
            };
            for (key, value) in changes {
                let optional = (!value.is_empty()).then(|| value.clone());
                match key.as_str() {
                    "disabled" => secret.spec.disabled = parse_bool(value).unwrap_or(false),
                    "name" => secret.spec.name.clone_from(value),
                    "profile" => secret.spec.profile.clone_from(value),
                    "service" => secret.spec.service.clone_from(value),
                    "password" => secret.spec.password.clone_from(value),
                    "comment" => secret.spec.comment = optional,
                    "local-address" => secret.spec.local_address = optional,
                    "remote-address" => secret.spec.remote_address = optional,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    // ---- test controls ----

    pub(crate) fn add_secret(&self, secret: RouterOsSecret) -> Result<String, RouterOsFakeError> {
        if secret.name.is_empty() {
            return Err(RouterOsFakeError::EmptyName);
        }
        let mut data = self.lock();
        if data
            .secrets
            .iter()
            .any(|known| known.spec.name == secret.name)
        {
            return Err(RouterOsFakeError::SecretExists(secret.name));
        }
        let id = data.next_secret;
        data.next_secret += 1;
        data.secrets.push(Secret {
            id,
            spec: secret,
            last_logged_out: None,
            last_caller_id: None,
        });
        Ok(format!("*{id:X}"))
    }

    pub(crate) fn set_secret_disabled(&self, name: &str, disabled: bool) -> bool {
        let mut data = self.lock();
        let Some(secret) = data
            .secrets
            .iter_mut()
            .find(|secret| secret.spec.name == name)
        else {
            return false;
        };
        secret.spec.disabled = disabled;
        true
    }

    pub(crate) fn log_in(
        &self,
        name: &str,
        address: Option<&str>,
        caller_id: Option<&str>,
    ) -> Result<ActiveRow, RouterOsFakeError> {
        self.log_in_with(name, address, caller_id, Duration::ZERO)
    }

    fn log_in_with(
        &self,
        name: &str,
        address: Option<&str>,
        caller_id: Option<&str>,
        uptime_before: Duration,
    ) -> Result<ActiveRow, RouterOsFakeError> {
        if name.is_empty() {
            return Err(RouterOsFakeError::EmptyName);
        }
        if let Some(address) = address
            && address.parse::<IpAddr>().is_err()
        {
            return Err(RouterOsFakeError::InvalidAddress(address.to_owned()));
        }
        let mut data = self.lock();
        let secret = data.secrets.iter().find(|secret| secret.spec.name == name);
        if secret.is_some_and(|secret| secret.spec.disabled) {
            return Err(RouterOsFakeError::SecretDisabled(name.to_owned()));
        }
        let remote_address = secret.and_then(|secret| secret.spec.remote_address.clone());
        if data.sessions.iter().any(|session| session.name == name) {
            return Err(RouterOsFakeError::AlreadyOnline(name.to_owned()));
        }
        let session = new_session(
            &mut data,
            name,
            address.map(str::to_owned).or(remote_address),
            caller_id,
            uptime_before,
        );
        let row = session.row();
        data.sessions.push(session);
        Ok(row)
    }

    /// Logs every name in, all or none: refused as a whole when one of them
    /// is disabled, online or repeated.
    pub(crate) fn log_in_many(&self, names: Vec<String>) -> Result<usize, RouterOsFakeError> {
        let mut data = self.lock();
        let disabled: HashSet<&str> = data
            .secrets
            .iter()
            .filter(|secret| secret.spec.disabled)
            .map(|secret| secret.spec.name.as_str())
            .collect();
        let mut online: HashSet<&str> = data
            .sessions
            .iter()
            .map(|session| session.name.as_str())
            .collect();
        for name in &names {
            if name.is_empty() {
                return Err(RouterOsFakeError::EmptyName);
            }
            if disabled.contains(name.as_str()) {
                return Err(RouterOsFakeError::SecretDisabled(name.clone()));
            }
            if !online.insert(name.as_str()) {
                return Err(RouterOsFakeError::AlreadyOnline(name.clone()));
            }
        }
        let count = names.len();
        data.sessions.reserve(count);
        for name in names {
            let session = new_session(&mut data, &name, None, None, Duration::ZERO);
            data.sessions.push(session);
        }
        Ok(count)
    }

    pub(crate) fn log_out(&self, name: &str) -> bool {
        let mut data = self.lock();
        let Some(index) = data
            .sessions
            .iter()
            .position(|session| session.name == name)
        else {
            return false;
        };
        let session = data.sessions.remove(index);
        note_logout(&mut data, &session);
        true
    }
}

fn new_session(
    data: &mut Data,
    name: &str,
    address: Option<String>,
    caller_id: Option<&str>,
    uptime_before: Duration,
) -> Session {
    let n = data.logins;
    data.logins = data.logins.wrapping_add(1);
    let address = address.unwrap_or_else(|| format!("10.10.{}.{}", (n / 250) % 256, n % 250 + 2));
    let caller_id = caller_id.map_or_else(
        || {
            let [_, a, b, c] = n.to_be_bytes();
            format!("02:00:5E:{a:02X}:{b:02X}:{c:02X}")
        },
        str::to_ascii_uppercase,
    );
    Session {
        id: FIRST_ACTIVE_ID.wrapping_add(n),
        name: name.to_owned(),
        caller_id,
        address,
        session_id: SESSION_ID_BASE.wrapping_add(n + 1),
        since: Instant::now(),
        uptime_before,
    }
}

fn note_logout(data: &mut Data, session: &Session) {
    if let Some(secret) = data
        .secrets
        .iter_mut()
        .find(|secret| secret.spec.name == session.name)
    {
        secret.last_logged_out = Some(Utc::now());
        secret.last_caller_id = Some(session.caller_id.clone());
    }
}

fn active_id(id: u32) -> String {
    format!("*{id:X}")
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// RouterOS 7's date-time format (`2025-05-06 10:11:12`).
fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// RouterOS's duration format: `1w2d3h4m5s`, zero units left out, `0s`
/// for nothing.
pub(crate) fn format_uptime(uptime: Duration) -> String {
    let mut seconds = uptime.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, size) in [
        ('w', 604_800),
        ('d', 86_400),
        ('h', 3600),
        ('m', 60),
        ('s', 1),
    ] {
        let count = seconds / size;
        seconds %= size;
        if count > 0 {
            text.push_str(&count.to_string());
            text.push(unit);
        }
    }
    text
}

/// An active session as the API and REST name its attributes.
pub(crate) fn active_attributes(row: &ActiveRow) -> Row {
    let pairs = [
        (".id", row.id.clone()),
        ("name", row.name.clone()),
        ("service", row.service.clone()),
        ("caller-id", row.caller_id.clone()),
        ("address", row.address.clone()),
        ("uptime", row.uptime.clone()),
        ("encoding", row.encoding.clone()),
        ("session-id", row.session_id.clone()),
        ("limit-bytes-in", "0".to_owned()),
        ("limit-bytes-out", "0".to_owned()),
        ("radius", row.radius.to_string()),
    ];
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// A secret as the API and REST name its attributes; unset addresses and
/// comments are left out, as the router leaves them, and so is the
/// password.
pub(crate) fn secret_attributes(row: &SecretRow) -> Row {
    let mut pairs = vec![
        (".id", row.id.clone()),
        ("name", row.name.clone()),
        ("service", row.service.clone()),
        ("caller-id", String::new()),
        ("profile", row.profile.clone()),
    ];
    if let Some(address) = &row.local_address {
        pairs.push(("local-address", address.clone()));
    }
    if let Some(address) = &row.remote_address {
        pairs.push(("remote-address", address.clone()));
    }
    pairs.extend([
        ("routes", String::new()),
        ("limit-bytes-in", "0".to_owned()),
        ("limit-bytes-out", "0".to_owned()),
    ]);
    if let Some(at) = &row.last_logged_out {
        pairs.push(("last-logged-out", at.clone()));
    }
    if let Some(caller_id) = &row.last_caller_id {
        pairs.push(("last-caller-id", caller_id.clone()));
    }
    pairs.push(("disabled", row.disabled.to_string()));
    if let Some(comment) = &row.comment {
        pairs.push(("comment", comment.clone()));
    }
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_like_routeros() {
        assert_eq!(format_uptime(Duration::ZERO), "0s");
        assert_eq!(format_uptime(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(format_uptime(Duration::from_secs(93_784)), "1d2h3m4s");
        assert_eq!(format_uptime(Duration::from_secs(694_800)), "1w1d1h");
    }
}
