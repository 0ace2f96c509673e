//! Which RDAP server answers for which TLD: the IANA bootstrap file
//! (RFC 9224, `dns.json`), fetched once per process and refreshed daily.
//!
//! A refresh never holds a check up: the old copy answers while it runs, and
//! a failed refresh keeps the old copy. Only when no copy was ever loaded does
//! a check wait for the fetch, and then only as long as its own deadline; the
//! fetch itself runs on in the background, so the next check finds it done.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use domain::DomainName;
use futures::{
    FutureExt as _,
    future::{BoxFuture, Shared},
};
use serde::Deserialize;
use tokio::time::Instant;

/// The bootstrap file is about 30 KB; anything far larger is not it.
const MAX_BOOTSTRAP_BYTES: usize = 4 * 1024 * 1024;

/// Why the bootstrap file could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootstrapError {
    #[error("fetching the RDAP bootstrap failed: {0}")]
    Fetch(String),
    #[error("the RDAP bootstrap answered HTTP {0}")]
    Status(u16),
    #[error("the RDAP bootstrap is not a valid RFC 9224 file: {0}")]
    Invalid(String),
}

/// RDAP base URLs by DNS suffix, from the bootstrap file or the fallbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bootstrap {
    /// Lower-case suffix (`com`, `id`, `xn--p1ai`) → base URL ending in `/`.
    bases: HashMap<String, String>,
}

#[derive(Deserialize)]
struct BootstrapFile {
    /// `[[["com","net"],["https://rdap.verisign.com/com/v1/"]], ...]`
    services: Vec<Vec<Vec<String>>>,
}

impl Bootstrap {
    /// Parses an RFC 9224 DNS bootstrap file. A service without a usable
    /// URL is skipped; the first service naming a suffix wins.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, BootstrapError> {
        let file: BootstrapFile = serde_json::from_slice(body)
            .map_err(|error| BootstrapError::Invalid(error.to_string()))?;
        let mut bootstrap = Bootstrap::default();
        for service in &file.services {
            let (Some(suffixes), Some(urls)) = (service.first(), service.get(1)) else {
                continue;
            };
            let Some(base) = preferred_base(urls) else {
                continue;
            };
            for suffix in suffixes {
                bootstrap
                    .bases
                    .entry(suffix.trim_matches('.').to_ascii_lowercase())
                    .or_insert_with(|| base.clone());
            }
        }
        Ok(bootstrap)
    }

    /// From `(suffix, base URL)` pairs, as the configured fallbacks are.
    pub(crate) fn from_entries(entries: &[(String, String)]) -> Self {
        let mut bootstrap = Bootstrap::default();
        for (suffix, url) in entries {
            if let Some(base) = preferred_base(std::slice::from_ref(url)) {
                bootstrap
                    .bases
                    .entry(suffix.trim_matches('.').to_ascii_lowercase())
                    .or_insert(base);
            }
        }
        bootstrap
    }

    /// The base URL for `name`: the longest of its suffixes the file lists
    /// (`budi.co.id` asks `co.id`, then `id`).
    pub(crate) fn base_for(&self, name: &DomainName) -> Option<&str> {
        name.suffixes()
            .find_map(|suffix| self.bases.get(suffix))
            .map(String::as_str)
    }

    pub(crate) fn len(&self) -> usize {
        self.bases.len()
    }
}

/// The first HTTPS URL, else the first plain HTTP one (the sandbox's), with
/// a trailing `/` so that `{base}domain/{name}` is a path below it.
fn preferred_base(urls: &[String]) -> Option<String> {
    let parsed: Vec<reqwest::Url> = urls
        .iter()
        .filter_map(|url| reqwest::Url::parse(url.trim()).ok())
        .filter(|url| url.has_host())
        .collect();
    let chosen = parsed
        .iter()
        .find(|url| url.scheme() == "https")
        .or_else(|| parsed.iter().find(|url| url.scheme() == "http"))?;
    let mut base = chosen.to_string();
    if !base.ends_with('/') {
        base.push('/');
    }
    Some(base)
}

type PendingLoad = Shared<BoxFuture<'static, Result<Arc<Bootstrap>, BootstrapError>>>;

/// The process's copy of the bootstrap file and how to renew it.
pub(crate) struct BootstrapSource {
    http: reqwest::Client,
    url: String,
    refresh_every: Duration,
    retry_failed_after: Duration,
    fetch_timeout: Duration,
    state: Mutex<SourceState>,
}

#[derive(Default)]
struct SourceState {
    loaded: Option<(Arc<Bootstrap>, Instant)>,
    /// The last failed fetch: none is started again before
    /// `retry_failed_after`, so that an unreachable IANA does not cost every
    /// check its whole deadline.
    failed: Option<(BootstrapError, Instant)>,
    in_flight: Option<PendingLoad>,
}

impl BootstrapSource {
    pub(crate) fn new(
        http: reqwest::Client,
        url: String,
        refresh_every: Duration,
        retry_failed_after: Duration,
        fetch_timeout: Duration,
    ) -> Self {
        BootstrapSource {
            http,
            url,
            refresh_every,
            retry_failed_after,
            fetch_timeout,
            state: Mutex::new(SourceState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SourceState> {
        // No critical section can panic half-way.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current copy; a stale one starts a refresh and is used meanwhile.
    pub(crate) async fn current(self: &Arc<Self>) -> Result<Arc<Bootstrap>, BootstrapError> {
        let pending = {
            let mut state = self.lock();
            let now = Instant::now();
            let failed_recently = state
                .failed
                .as_ref()
                .filter(|(_, at)| now.saturating_duration_since(*at) < self.retry_failed_after)
                .map(|(error, _)| error.clone());
            let loaded = state
                .loaded
                .as_ref()
                .map(|(bootstrap, at)| (Arc::clone(bootstrap), *at));
            if let Some((bootstrap, loaded_at)) = loaded {
                let stale = now.saturating_duration_since(loaded_at) >= self.refresh_every;
                if stale && failed_recently.is_none() {
                    // Refreshed in the background; this check uses the old copy.
                    drop(self.load(&mut state));
                }
                return Ok(bootstrap);
            }
            if state.in_flight.is_none()
                && let Some(error) = failed_recently
            {
                return Err(error);
            }
            self.load(&mut state)
        };
        pending.await
    }

    /// The fetch in flight, or a new one. It runs as its own task: a check
    /// that gives up waiting does not abort it.
    fn load(self: &Arc<Self>, state: &mut SourceState) -> PendingLoad {
        if let Some(pending) = &state.in_flight {
            return pending.clone();
        }
        let source = Arc::clone(self);
        // The task stores its result under the lock this caller holds, so it
        // cannot finish before `in_flight` is set.
        let task = tokio::spawn(async move {
            let result = source.fetch().await.map(Arc::new);
            source.store(&result);
            result
        });
        let pending = async move {
            task.await
                .unwrap_or_else(|error| Err(BootstrapError::Fetch(error.to_string())))
        }
        .boxed()
        .shared();
        state.in_flight = Some(pending.clone());
        pending
    }

    fn store(&self, result: &Result<Arc<Bootstrap>, BootstrapError>) {
        let mut state = self.lock();
        state.in_flight = None;
        match result {
            Ok(bootstrap) => {
                tracing::info!(url = %self.url, suffixes = bootstrap.len(), "RDAP bootstrap loaded");
                state.loaded = Some((Arc::clone(bootstrap), Instant::now()));
                state.failed = None;
            }
            Err(error) => {
                tracing::warn!(
                    url = %self.url,
                    %error,
                    stale_copy_kept = state.loaded.is_some(),
                    "RDAP bootstrap fetch failed"
                );
                state.failed = Some((error.clone(), Instant::now()));
            }
        }
    }

    async fn fetch(&self) -> Result<Bootstrap, BootstrapError> {
        let fetch_error = |error: reqwest::Error| BootstrapError::Fetch(error.to_string());
        let mut response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.fetch_timeout)
            .send()
            .await
            .map_err(fetch_error)?;
        if !response.status().is_success() {
            return Err(BootstrapError::Status(response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
            if body.len() + chunk.len() > MAX_BOOTSTRAP_BYTES {
                return Err(BootstrapError::Invalid("larger than 4 MiB".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Bootstrap::parse(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(input: &str) -> DomainName {
        DomainName::parse(input).expect("valid name")
    }

    const FILE: &str = r#"{
        "version": "1.0",
        "services": [
            [["com", "net"], ["https://rdap.verisign.com/com/v1/"]],
            [["org"], ["http://rdap.publicinterestregistry.org/rdap", "https://rdap.publicinterestregistry.org/rdap/"]],
            [["my.id"], ["https://rdap.example.test/myid"]],
            [["id"], ["https://rdap.pandi.id/rdap/"]],
            [["XN--P1AI"], ["https://rdap.example.test/rf/"]],
            [["sg"], ["ftp://rdap.example.test/"]],
            [["sg"], []],
            [["io"], ["http://rdap.example.test/io"]]
        ]
    }"#;

    #[test]
    fn matches_the_longest_listed_suffix() {
        let bootstrap = Bootstrap::parse(FILE.as_bytes()).expect("valid file");
        assert_eq!(
            bootstrap.base_for(&name("google.com")),
            Some("https://rdap.verisign.com/com/v1/")
        );
        assert_eq!(
            bootstrap.base_for(&name("budi.co.id")),
            Some("https://rdap.pandi.id/rdap/"),
            "co.id is not listed: its TLD id is"
        );
        assert_eq!(
            bootstrap.base_for(&name("budi.my.id")),
            Some("https://rdap.example.test/myid/"),
            "a listed second-level suffix wins over its TLD"
        );
        assert_eq!(
            bootstrap.base_for(&name("budi.рф")),
            Some("https://rdap.example.test/rf/")
        );
        assert_eq!(bootstrap.base_for(&name("budi.sg")), None);
        assert_eq!(bootstrap.base_for(&name("budi.de")), None);
    }

    #[test]
    fn prefers_https_and_ends_every_base_with_a_slash() {
        let bootstrap = Bootstrap::parse(FILE.as_bytes()).expect("valid file");
        assert_eq!(
            bootstrap.base_for(&name("wikipedia.org")),
            Some("https://rdap.publicinterestregistry.org/rdap/")
        );
        assert_eq!(
            bootstrap.base_for(&name("budi.io")),
            Some("http://rdap.example.test/io/"),
            "plain HTTP only when nothing else is offered"
        );
    }

    #[test]
    fn refuses_what_is_not_a_bootstrap_file() {
        for bad in ["", "[]", "{}", "{\"services\": 3}", "<html>"] {
            assert!(
                matches!(
                    Bootstrap::parse(bad.as_bytes()),
                    Err(BootstrapError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn fallbacks_fill_only_what_is_configured() {
        let fallbacks =
            Bootstrap::from_entries(&[("id".to_owned(), "https://rdap.pandi.id/rdap".to_owned())]);
        assert_eq!(
            fallbacks.base_for(&name("budi.co.id")),
            Some("https://rdap.pandi.id/rdap/")
        );
        assert_eq!(fallbacks.base_for(&name("budi.com")), None);
    }
}
