//! Everything the RDAP fake remembers, behind one lock: the registered
//! names, the faults each registry is told to show, and the lookups that
//! reached it. The server, the library handle and the sandbox pages share it.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Months, Utc};
use serde_json::{Value, json};

use super::{RdapFakeConfig, RdapFakeError, RdapQuery, RdapRegistry, RegisteredDomain};

/// Queries kept for the pages and tests; the oldest go first.
const MAX_QUERIES: usize = 1000;

#[derive(Clone)]
pub struct RdapState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RdapState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdapState")
            .field("addr", &self.inner.addr)
            .field("registered", &self.lock().registered.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    addr: SocketAddr,
    config: RdapFakeConfig,
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    registered: BTreeMap<String, RegisteredDomain>,
    faults: HashMap<String, Faults>,
    bootstrap_failure: Option<u16>,
    hidden_tlds: BTreeSet<String>,
    queries: VecDeque<RdapQuery>,
    query_count: u64,
    bootstrap_fetches: u64,
}

/// How one registry misbehaves.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    rate_limited_until: Option<Instant>,
    failure: Option<u16>,
    delay: Duration,
}

/// What a lookup must answer before the name is even looked at.
pub(crate) enum Fault {
    RateLimited { retry_after_secs: u64 },
    Status(u16),
}

impl RdapState {
    pub(crate) fn new(addr: SocketAddr, config: RdapFakeConfig) -> Self {
        let state = RdapState {
            inner: Arc::new(Inner {
                addr,
                config,
                data: Mutex::new(Data::default()),
            }),
        };
        state.reset();
        state
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // Every critical section leaves the data consistent before any call
        // that could panic, so a poisoned lock is still usable.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub(crate) fn registries(&self) -> &[RdapRegistry] {
        &self.inner.config.registries
    }

    pub(crate) fn registry_base_url(&self, id: &str) -> String {
        self.registry_base_url_at(&self.inner.addr.to_string(), id)
    }

    /// The base URL under the `host:port` a client reached the fake by, so
    /// that a fake bound to `0.0.0.0` (in a container) names a usable one.
    pub(crate) fn registry_base_url_at(&self, host: &str, id: &str) -> String {
        format!("http://{host}/rdap/{id}/")
    }

    /// A registry's id from its id or any TLD it serves.
    pub(crate) fn resolve_registry(&self, registry: &str) -> Result<String, RdapFakeError> {
        let wanted = registry.trim().trim_start_matches('.').to_ascii_lowercase();
        self.registries()
            .iter()
            .find(|candidate| candidate.id == wanted || candidate.tlds.contains(&wanted))
            .map(|found| found.id.clone())
            .ok_or_else(|| RdapFakeError::UnknownRegistry(registry.to_owned()))
    }

    /// The registry serving `name` (A-labels): the longest TLD that ends it.
    pub(crate) fn registry_for_name(&self, name: &str) -> Option<&RdapRegistry> {
        self.registries()
            .iter()
            .flat_map(|registry| registry.tlds.iter().map(move |tld| (registry, tld)))
            .filter(|(_, tld)| {
                name.strip_suffix(tld.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
            })
            .max_by_key(|(_, tld)| tld.len())
            .map(|(registry, _)| registry)
    }

    pub(crate) fn registry(&self, id: &str) -> Option<&RdapRegistry> {
        self.registries().iter().find(|registry| registry.id == id)
    }

    // --- names -------------------------------------------------------------

    pub(crate) fn register(&self, name: &str) -> Result<String, RdapFakeError> {
        let ldh_name =
            normalise_name(name).map_err(|_| RdapFakeError::InvalidName(name.to_owned()))?;
        if self.registry_for_name(&ldh_name).is_none() {
            return Err(RdapFakeError::NoRegistryFor(ldh_name));
        }
        let now = Utc::now();
        let domain = RegisteredDomain {
            ldh_name: ldh_name.clone(),
            registered_at: now,
            expires_at: now + Months::new(12),
        };
        self.lock().registered.insert(ldh_name.clone(), domain);
        Ok(ldh_name)
    }

    pub(crate) fn unregister(&self, name: &str) -> bool {
        normalise_name(name)
            .is_ok_and(|ldh_name| self.lock().registered.remove(&ldh_name).is_some())
    }

    pub(crate) fn registered(&self) -> Vec<RegisteredDomain> {
        self.lock().registered.values().cloned().collect()
    }

    pub(crate) fn lookup(&self, ldh_name: &str) -> Option<RegisteredDomain> {
        self.lock().registered.get(ldh_name).cloned()
    }

    // --- faults ------------------------------------------------------------

    pub(crate) fn rate_limit(
        &self,
        registry: &str,
        retry_after: Duration,
    ) -> Result<(), RdapFakeError> {
        let id = self.resolve_registry(registry)?;
        self.lock().faults.entry(id).or_default().rate_limited_until =
            Some(Instant::now() + retry_after);
        Ok(())
    }

    pub(crate) fn fail(&self, registry: &str, status: u16) -> Result<(), RdapFakeError> {
        let id = self.resolve_registry(registry)?;
        self.lock().faults.entry(id).or_default().failure = Some(status);
        Ok(())
    }

    pub(crate) fn set_delay(&self, registry: &str, delay: Duration) -> Result<(), RdapFakeError> {
        let id = self.resolve_registry(registry)?;
        self.lock().faults.entry(id).or_default().delay = delay;
        Ok(())
    }

    pub(crate) fn clear_faults(&self) {
        let mut data = self.lock();
        data.faults.clear();
        data.bootstrap_failure = None;
        data.hidden_tlds.clear();
    }

    pub(crate) fn fail_bootstrap(&self, status: Option<u16>) {
        self.lock().bootstrap_failure = status;
    }

    pub(crate) fn hide_from_bootstrap(&self, tld: &str) {
        self.lock()
            .hidden_tlds
            .insert(tld.trim().trim_start_matches('.').to_ascii_lowercase());
    }

    pub(crate) fn delay(&self, registry: &str) -> Duration {
        self.lock()
            .faults
            .get(registry)
            .map_or(Duration::ZERO, |faults| faults.delay)
    }

    /// The fault a lookup at `registry` must answer with now, if any.
    pub(crate) fn fault(&self, registry: &str) -> Option<Fault> {
        let mut data = self.lock();
        let faults = data.faults.get_mut(registry)?;
        if let Some(until) = faults.rate_limited_until {
            let now = Instant::now();
            if until > now {
                let left = until.duration_since(now);
                let retry_after_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return Some(Fault::RateLimited { retry_after_secs });
            }
            faults.rate_limited_until = None;
        }
        faults.failure.map(Fault::Status)
    }

    // --- the bootstrap -----------------------------------------------------

    /// The RFC 9224 file with base URLs under `host`, or the status it
    /// must fail with.
    pub(crate) fn bootstrap(&self, host: &str) -> Result<Value, u16> {
        let (failure, hidden) = {
            let mut data = self.lock();
            data.bootstrap_fetches += 1;
            (data.bootstrap_failure, data.hidden_tlds.clone())
        };
        if let Some(status) = failure {
            return Err(status);
        }
        let services: Vec<Value> = self
            .registries()
            .iter()
            .filter_map(|registry| {
                let tlds: Vec<&String> = registry
                    .tlds
                    .iter()
                    .filter(|tld| !hidden.contains(*tld))
                    .collect();
                (!tlds.is_empty())
                    .then(|| json!([tlds, [self.registry_base_url_at(host, &registry.id)]]))
            })
            .collect();
        Ok(json!({
            "version": "1.0",
            "publication": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "description": "RDAP bootstrap file for Domain Name System registrations (Juragan sandbox)",
            "services": services,
        }))
    }

    // --- records -----------------------------------------------------------

    pub(crate) fn record(&self, registry: &str, name: &str, status: u16) {
        let mut data = self.lock();
        data.query_count += 1;
        while data.queries.len() >= MAX_QUERIES {
            data.queries.pop_front();
        }
        data.queries.push_back(RdapQuery {
            at: Utc::now(),
            registry: registry.to_owned(),
            name: name.to_owned(),
            status,
        });
    }

    pub(crate) fn queries(&self) -> Vec<RdapQuery> {
        self.lock().queries.iter().cloned().collect()
    }

    pub(crate) fn queries_for(&self, name: &str) -> usize {
        let name = normalise_name(name).unwrap_or_else(|_| name.to_ascii_lowercase());
        self.lock()
            .queries
            .iter()
            .filter(|query| query.name == name)
            .count()
    }

    pub(crate) fn query_count(&self) -> u64 {
        self.lock().query_count
    }

    pub(crate) fn bootstrap_fetches(&self) -> u64 {
        self.lock().bootstrap_fetches
    }

    pub(crate) fn reset(&self) {
        let now = Utc::now();
        let registered = self
            .inner
            .config
            .registered
            .iter()
            .filter_map(|name| normalise_name(name).ok())
            .map(|ldh_name| {
                let domain = long_registered(&ldh_name, now);
                (ldh_name, domain)
            })
            .collect();
        *self.lock() = Data {
            registered,
            ..Data::default()
        };
    }

    /// What the control API's `GET /api/rdap` shows.
    pub(crate) fn settings(&self) -> Value {
        let data = self.lock();
        let now = Instant::now();
        let mut faults: Vec<Value> = data
            .faults
            .iter()
            .map(|(registry, faults)| {
                json!({
                    "registry": registry,
                    "rate_limited_for_ms": faults.rate_limited_until
                        .map(|until| until.saturating_duration_since(now).as_millis()),
                    "failure": faults.failure,
                    "delay_ms": faults.delay.as_millis(),
                })
            })
            .collect();
        faults.sort_by_key(|fault| fault["registry"].as_str().map(str::to_owned));
        json!({
            "faults": faults,
            "bootstrap_failure": data.bootstrap_failure,
            "hidden_tlds": data.hidden_tlds,
            "query_count": data.query_count,
            "bootstrap_fetches": data.bootstrap_fetches,
        })
    }
}

/// A name registered years ago, renewed to expire within the coming year.
/// Dates come from the name, so they stay put across restarts of a day.
fn long_registered(ldh_name: &str, now: DateTime<Utc>) -> RegisteredDomain {
    let hash = ldh_name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    let years = 2 + u32::try_from(hash % 20).unwrap_or(0);
    let days = chrono::Days::new(1 + hash / 20 % 360);
    let registered_at = now - Months::new(12 * years) - days;
    RegisteredDomain {
        ldh_name: ldh_name.to_owned(),
        registered_at,
        expires_at: registered_at + Months::new(12 * (years + 1)),
    }
}

/// A name as RDAP servers compare it: lower-case A-labels without a trailing
/// dot, at least two labels of letters, digits and inner hyphens.
pub(crate) fn normalise_name(raw: &str) -> Result<String, &'static str> {
    let lowered = raw.trim().to_lowercase();
    let name = lowered.strip_suffix('.').unwrap_or(&lowered);
    let ascii = if name.is_ascii() {
        name.to_owned()
    } else {
        idna::domain_to_ascii_strict(name).map_err(|_| "not a valid internationalised name")?
    };
    if ascii.len() > 253 {
        return Err("longer than 253 characters");
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err("a domain name has at least two labels");
    }
    for label in labels {
        if label.is_empty() || label.len() > 63 {
            return Err("every label has 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        {
            return Err("labels hold only letters, digits and hyphens");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label neither starts nor ends with a hyphen");
        }
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_as_lower_case_a_labels() {
        assert_eq!(normalise_name("Google.COM."), Ok("google.com".to_owned()));
        assert_eq!(
            normalise_name("bücher.id"),
            Ok("xn--bcher-kva.id".to_owned())
        );
        for bad in ["", "com", "a..com", "-a.com", "a_b.com", "a b.com"] {
            assert!(normalise_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_names_expire_within_a_year() {
        let now = Utc::now();
        for name in ["google.com", "kompas.id", "budi.co.id"] {
            let domain = long_registered(name, now);
            assert!(domain.registered_at < now - Months::new(12), "{name}");
            assert!(domain.expires_at > now, "{name}");
            assert!(domain.expires_at <= now + Months::new(12), "{name}");
        }
    }
}
