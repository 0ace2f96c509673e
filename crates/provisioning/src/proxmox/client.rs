//! The HTTP side of [`ProxmoxClient`]: one request with a deadline and a
//! bounded answer, authentication (token header, or a cached ticket with
//! its CSRF token), PVE's envelope and errors, and transport failures
//! sorted into DNS, refused, TLS, timeout and a broken connection — never
//! with a URL or a credential in the text.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{
    Method, StatusCode,
    header::{self, HeaderValue},
};
use serde_json::{Map, Value};

use super::{
    CloneRequest, NodeStatus, PowerAction, ProxmoxAuth, ProxmoxConfig, ProxmoxError, PveVersion,
    TaskStatus, TlsTrust, VmConfig, VmStatus, VmSummary,
    types::{flag, number, small, text, unsigned, upid_of},
    upid::Upid,
};

/// PVE answers are small; a VM list of a big cluster is the largest.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The most of a server message repeated in an error.
const MAX_MESSAGE_CHARS: usize = 500;
/// proxmoxer renews after an hour; a ticket lasts two.
const TICKET_RENEWAL: Duration = Duration::from_secs(3600);

/// A client of one PVE cluster. Clones share the connection pool and the
/// ticket.
#[derive(Clone)]
pub struct ProxmoxClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProxmoxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxmoxClient")
            .field("api", &self.inner.api.as_str())
            .finish_non_exhaustive()
    }
}

struct Inner {
    http: reqwest::Client,
    /// `{base_url}/api2/json`.
    api: reqwest::Url,
    auth: Auth,
    timeout: Duration,
}

enum Auth {
    Token(HeaderValue),
    Password {
        username: String,
        password: String,
        session: tokio::sync::Mutex<Option<Session>>,
    },
}

#[derive(Clone)]
struct Session {
    cookie: HeaderValue,
    csrf: HeaderValue,
    obtained: Instant,
}

/// A complete answer.
struct Answer {
    status: StatusCode,
    reason: Option<String>,
    body: Vec<u8>,
}

impl ProxmoxClient {
    pub fn new(config: ProxmoxConfig) -> Result<Self, ProxmoxError> {
        let mut api = reqwest::Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|_| ProxmoxError::Protocol("the Proxmox base URL is not a URL".into()))?;
        if !matches!(api.scheme(), "http" | "https") {
            return Err(ProxmoxError::Protocol(
                "the Proxmox base URL is neither http nor https".into(),
            ));
        }
        api.path_segments_mut()
            .map_err(|()| ProxmoxError::Protocol("the Proxmox base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["api2", "json"]);
        let pinned = match &config.tls {
            TlsTrust::PublicRoots => None,
            TlsTrust::Fingerprint(text) => Some(
                pinned_tls::Fingerprint::parse(text)
                    .map_err(|error| ProxmoxError::Protocol(error.to_string()))?,
            ),
        };
        let tls_config = pinned_tls::client_config(pinned)
            .map_err(|error| ProxmoxError::Tls(error.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ProxmoxError::Protocol("the HTTP client could not be built".into()))?;
        let auth = match config.auth {
            ProxmoxAuth::Token { token_id, secret } => {
                let mut value = HeaderValue::from_str(&format!("PVEAPIToken={token_id}={secret}"))
                    .map_err(|_| {
                        ProxmoxError::Protocol("the API token contains invalid characters".into())
                    })?;
                value.set_sensitive(true);
                Auth::Token(value)
            }
            ProxmoxAuth::Password { username, password } => Auth::Password {
                username,
                password,
                session: tokio::sync::Mutex::new(None),
            },
        };
        Ok(ProxmoxClient {
            inner: Arc::new(Inner {
                http,
                api,
                auth,
                timeout: config.timeout,
            }),
        })
    }

    // ---- the calls ------------------------------------------------------

    pub async fn version(&self) -> Result<PveVersion, ProxmoxError> {
        let data = self.get(&["version"], &[]).await?;
        Ok(PveVersion {
            version: text(&data["version"]).unwrap_or_default(),
            release: text(&data["release"]).unwrap_or_default(),
        })
    }

    pub async fn nodes(&self) -> Result<Vec<NodeStatus>, ProxmoxError> {
        let data = self.get(&["nodes"], &[]).await?;
        Ok(array(&data)?
            .iter()
            .map(|node| NodeStatus {
                node: text(&node["node"]).unwrap_or_default(),
                online: node["status"] == "online",
                cpu: number(&node["cpu"]).unwrap_or(0.0),
                maxcpu: small(&node["maxcpu"]),
                mem: unsigned(&node["mem"]),
                maxmem: unsigned(&node["maxmem"]),
                disk: unsigned(&node["disk"]),
                maxdisk: unsigned(&node["maxdisk"]),
            })
            .collect())
    }

    pub async fn vms(&self, node: &str) -> Result<Vec<VmSummary>, ProxmoxError> {
        let data = self.get(&["nodes", node, "qemu"], &[]).await?;
        let mut vms: Vec<VmSummary> = array(&data)?
            .iter()
            .map(|vm| VmSummary {
                vmid: small(&vm["vmid"]),
                name: text(&vm["name"]),
                status: text(&vm["status"]).unwrap_or_default(),
                template: flag(&vm["template"]),
                lock: text(&vm["lock"]),
                cpus: small(&vm["cpus"]),
                maxmem: unsigned(&vm["maxmem"]),
                maxdisk: unsigned(&vm["maxdisk"]),
            })
            .collect();
        vms.sort_by_key(|vm| vm.vmid);
        Ok(vms)
    }

    /// The next free VMID. It is not reserved: parallel clones race, so
    /// callers pick under a lock and move on when a clone says "already
    /// exists".
    pub async fn next_id(&self) -> Result<u32, ProxmoxError> {
        let data = self.get(&["cluster", "nextid"], &[]).await?;
        vmid_of(&data)
    }

    pub async fn is_id_free(&self, vmid: u32) -> Result<bool, ProxmoxError> {
        match self
            .get(&["cluster", "nextid"], &[("vmid", vmid.to_string())])
            .await
        {
            Ok(_) => Ok(true),
            Err(ProxmoxError::Parameter { errors, .. }) if errors.contains_key("vmid") => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub async fn clone_vm(
        &self,
        node: &str,
        template: u32,
        request: &CloneRequest,
    ) -> Result<Upid, ProxmoxError> {
        let mut params = vec![
            ("newid", request.newid.to_string()),
            ("name", request.name.clone()),
            ("full", if request.full { "1" } else { "0" }.to_owned()),
        ];
        if let Some(target) = &request.target {
            params.push(("target", target.clone()));
        }
        if let Some(storage) = &request.storage {
            params.push(("storage", storage.clone()));
        }
        if let Some(description) = &request.description {
            params.push(("description", description.clone()));
        }
        let template = template.to_string();
        let data = self
            .call(
                Method::POST,
                &["nodes", node, "qemu", &template, "clone"],
                &params,
            )
            .await?;
        upid_of(&data)?.ok_or_else(|| ProxmoxError::Protocol("a clone answered no task".into()))
    }

    pub async fn vm_config(
        &self,
        node: &str,
        vmid: u32,
    ) -> Result<Map<String, Value>, ProxmoxError> {
        let vmid = vmid.to_string();
        match self
            .get(&["nodes", node, "qemu", &vmid, "config"], &[])
            .await?
        {
            Value::Object(config) => Ok(config),
            _ => Err(ProxmoxError::Protocol(
                "a VM config is not an object".into(),
            )),
        }
    }

    /// `POST …/config`: a `qmconfig` task, or `None` when PVE finished at
    /// once.
    pub async fn set_config(
        &self,
        node: &str,
        vmid: u32,
        config: &VmConfig,
    ) -> Result<Option<Upid>, ProxmoxError> {
        let params = config.to_params()?;
        if params.is_empty() {
            return Ok(None);
        }
        let vmid = vmid.to_string();
        let data = self
            .call(
                Method::POST,
                &["nodes", node, "qemu", &vmid, "config"],
                &params,
            )
            .await?;
        upid_of(&data)
    }

    /// Rewrites `rate=` of `net0` (megabytes per second: Mbit/s ÷ 8), keeping
    /// its MAC, bridge and the rest; `None` removes the limit.
    pub async fn set_network_rate(
        &self,
        node: &str,
        vmid: u32,
        rate_mbps: Option<u32>,
    ) -> Result<(), ProxmoxError> {
        let config = self.vm_config(node, vmid).await?;
        let net0 = config
            .get("net0")
            .and_then(Value::as_str)
            .ok_or_else(|| ProxmoxError::Protocol(format!("VM {vmid} has no net0")))?;
        let net0 = with_rate(net0, rate_mbps);
        let vmid = vmid.to_string();
        self.call(
            Method::PUT,
            &["nodes", node, "qemu", &vmid, "config"],
            &[("net0", net0)],
        )
        .await?;
        Ok(())
    }

    /// Grows `disk` to `size_gb` GiB. A disk of that size already counts as
    /// done (`None`), so a retried step does not fail.
    pub async fn resize_disk(
        &self,
        node: &str,
        vmid: u32,
        disk: &str,
        size_gb: u32,
    ) -> Result<Option<Upid>, ProxmoxError> {
        let config = self.vm_config(node, vmid).await?;
        let current = config
            .get(disk)
            .and_then(Value::as_str)
            .and_then(drive_size_bytes);
        if current == Some(u64::from(size_gb) * 1024 * 1024 * 1024) {
            return Ok(None);
        }
        let vmid = vmid.to_string();
        let data = self
            .call(
                Method::PUT,
                &["nodes", node, "qemu", &vmid, "resize"],
                &[("disk", disk.to_owned()), ("size", format!("{size_gb}G"))],
            )
            .await?;
        upid_of(&data)
    }

    /// `None` when there is nothing to do: a start of a running VM, a stop
    /// or shutdown of a stopped one (bpg's rule).
    pub async fn power(
        &self,
        node: &str,
        vmid: u32,
        action: PowerAction,
    ) -> Result<Option<Upid>, ProxmoxError> {
        let id = vmid.to_string();
        let result = self
            .call(
                Method::POST,
                &["nodes", node, "qemu", &id, "status", action.as_str()],
                &[],
            )
            .await;
        match result {
            Ok(data) => upid_of(&data),
            Err(ProxmoxError::Server { message, .. })
                if action == PowerAction::Start && message.contains("already running") =>
            {
                Ok(None)
            }
            Err(ProxmoxError::Server { message, .. })
                if matches!(action, PowerAction::Stop | PowerAction::Shutdown)
                    && message.contains("not running") =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Moves the VM to `target`, a node of the same cluster: live (`online`)
    /// when it runs, copying its local disks (a VPS's disks live on the
    /// node's own storage). Returns the `qmigrate` task.
    pub async fn migrate(
        &self,
        node: &str,
        vmid: u32,
        target: &str,
        online: bool,
    ) -> Result<Upid, ProxmoxError> {
        let id = vmid.to_string();
        let data = self
            .call(
                Method::POST,
                &["nodes", node, "qemu", &id, "migrate"],
                &[
                    ("target", target.to_owned()),
                    ("online", u8::from(online).to_string()),
                    ("with-local-disks", "1".to_owned()),
                ],
            )
            .await?;
        upid_of(&data)?.ok_or_else(|| ProxmoxError::Protocol("migrate answered no task".into()))
    }

    /// `None` when the VM does not exist on that node.
    pub async fn vm_status(&self, node: &str, vmid: u32) -> Result<Option<VmStatus>, ProxmoxError> {
        let id = vmid.to_string();
        let data = match self
            .get(&["nodes", node, "qemu", &id, "status", "current"], &[])
            .await
        {
            Ok(data) => data,
            Err(ProxmoxError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let status = text(&data["status"]).unwrap_or_default();
        Ok(Some(VmStatus {
            running: status == "running",
            status,
            qmpstatus: text(&data["qmpstatus"]),
            lock: text(&data["lock"]),
            name: text(&data["name"]),
            uptime: unsigned(&data["uptime"]),
        }))
    }

    /// Destroys the VM with its disks; a VM that does not exist is `None`.
    /// PVE refuses a running VM: stop it first.
    pub async fn delete_vm(&self, node: &str, vmid: u32) -> Result<Option<Upid>, ProxmoxError> {
        let id = vmid.to_string();
        let result = self
            .call(
                Method::DELETE,
                &["nodes", node, "qemu", &id],
                &[
                    ("purge", "1".to_owned()),
                    ("destroy-unreferenced-disks", "1".to_owned()),
                ],
            )
            .await;
        match result {
            Ok(data) => upid_of(&data),
            Err(ProxmoxError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn task_status(&self, upid: &Upid) -> Result<TaskStatus, ProxmoxError> {
        let data = self
            .get(
                &["nodes", upid.node(), "tasks", upid.as_str(), "status"],
                &[],
            )
            .await?;
        match data["status"].as_str() {
            Some("running") => Ok(TaskStatus::Running),
            Some("stopped") => Ok(TaskStatus::Stopped {
                exitstatus: text(&data["exitstatus"]).unwrap_or_default(),
            }),
            _ => Err(ProxmoxError::Protocol(
                "a task status is neither running nor stopped".into(),
            )),
        }
    }

    /// Polls every `poll` until the task stops or `deadline` passes
    /// ([`ProxmoxError::Timeout`]). As bpg does, a 400 (the task not yet
    /// known) and transient failures are polled through; `OK` and
    /// `WARNINGS` succeed, any other exit status is
    /// [`ProxmoxError::TaskFailed`].
    pub async fn wait_task(
        &self,
        upid: &Upid,
        poll: Duration,
        deadline: Duration,
    ) -> Result<(), ProxmoxError> {
        let started = Instant::now();
        loop {
            match self.task_status(upid).await {
                Ok(TaskStatus::Running) => {}
                Ok(status @ TaskStatus::Stopped { .. }) => {
                    if status.succeeded() {
                        return Ok(());
                    }
                    let TaskStatus::Stopped { exitstatus } = status else {
                        return Ok(());
                    };
                    return Err(ProxmoxError::TaskFailed {
                        upid: upid.to_string(),
                        exitstatus,
                    });
                }
                Err(ProxmoxError::Parameter { .. }) => {}
                Err(error) if error.is_transient() => {}
                Err(error) => return Err(error),
            }
            let elapsed = started.elapsed();
            if elapsed >= deadline {
                return Err(ProxmoxError::Timeout);
            }
            tokio::time::sleep(poll.min(deadline - elapsed)).await;
        }
    }

    /// The first VM (not a template) with this name on any online node:
    /// what a retried delivery adopts instead of cloning again.
    pub async fn find_vm_by_name(
        &self,
        name: &str,
    ) -> Result<Option<(String, VmSummary)>, ProxmoxError> {
        for node in self.nodes().await? {
            if !node.online {
                continue;
            }
            let found = self
                .vms(&node.node)
                .await?
                .into_iter()
                .find(|vm| !vm.template && vm.name.as_deref() == Some(name));
            if let Some(vm) = found {
                return Ok(Some((node.node, vm)));
            }
        }
        Ok(None)
    }

    // ---- the plumbing ---------------------------------------------------

    async fn get(
        &self,
        segments: &[&str],
        params: &[(&str, String)],
    ) -> Result<Value, ProxmoxError> {
        self.call(Method::GET, segments, params).await
    }

    /// One API call, logged in; with a password, a 401 renews the ticket
    /// once and repeats the call.
    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        params: &[(&str, String)],
    ) -> Result<Value, ProxmoxError> {
        let mut url = self.inner.api.clone();
        url.path_segments_mut()
            .map_err(|()| ProxmoxError::Protocol("the Proxmox base URL cannot take a path".into()))?
            .extend(segments);
        let in_query = method == Method::GET || method == Method::DELETE;
        if in_query && !params.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let body = if in_query {
            None
        } else {
            Some(
                serde_urlencoded::to_string(params)
                    .map_err(|_| ProxmoxError::Protocol("parameters cannot be encoded".into()))?,
            )
        };
        let mut renewed = false;
        loop {
            let mut request = self.inner.http.request(method.clone(), url.clone());
            match &self.inner.auth {
                Auth::Token(value) => {
                    request = request.header(header::AUTHORIZATION, value.clone())
                }
                Auth::Password { .. } => {
                    let session = self.session(renewed).await?;
                    request = request.header(header::COOKIE, session.cookie);
                    if !in_query || method == Method::DELETE {
                        request = request.header("CSRFPreventionToken", session.csrf);
                    }
                }
            }
            if let Some(body) = &body {
                request = request
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone());
            }
            let answer = self.send(request).await?;
            match data_of(answer) {
                Err(ProxmoxError::Unauthorized)
                    if !renewed && matches!(self.inner.auth, Auth::Password { .. }) =>
                {
                    renewed = true;
                }
                outcome => return outcome,
            }
        }
    }

    /// The cached ticket, or a new one when it is an hour old, when `renew`
    /// asks (after a 401), or when there is none.
    async fn session(&self, renew: bool) -> Result<Session, ProxmoxError> {
        let Auth::Password {
            username,
            password,
            session,
        } = &self.inner.auth
        else {
            return Err(ProxmoxError::Protocol(
                "no password login configured".into(),
            ));
        };
        let mut cached = session.lock().await;
        if let Some(current) = cached.as_ref()
            && !renew
            && current.obtained.elapsed() < TICKET_RENEWAL
        {
            return Ok(current.clone());
        }
        *cached = None;
        let mut url = self.inner.api.clone();
        url.path_segments_mut()
            .map_err(|()| ProxmoxError::Protocol("the Proxmox base URL cannot take a path".into()))?
            .extend(["access", "ticket"]);
        let body = serde_urlencoded::to_string([
            ("username", username.as_str()),
            ("password", password.as_str()),
        ])
        .map_err(|_| ProxmoxError::Protocol("credentials cannot be encoded".into()))?;
        let request = self
            .inner
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let data = data_of(self.send(request).await?)?;
        let ticket = data["ticket"].as_str().unwrap_or_default();
        let csrf = data["CSRFPreventionToken"].as_str().unwrap_or_default();
        let invalid = || ProxmoxError::Protocol("the login answered no usable ticket".into());
        if ticket.is_empty() || csrf.is_empty() {
            return Err(invalid());
        }
        let mut cookie =
            HeaderValue::from_str(&format!("PVEAuthCookie={ticket}")).map_err(|_| invalid())?;
        cookie.set_sensitive(true);
        let mut csrf = HeaderValue::from_str(csrf).map_err(|_| invalid())?;
        csrf.set_sensitive(true);
        let fresh = Session {
            cookie,
            csrf,
            obtained: Instant::now(),
        };
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Sends with the deadline and reads a bounded answer, whatever its
    /// status.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, ProxmoxError> {
        let timeout = self.inner.timeout;
        let exchange = async {
            let mut response = request
                .timeout(timeout)
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| self.transport_error(&error))?;
            let status = response.status();
            let reason = response
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|reason| String::from_utf8_lossy(reason.as_bytes()).into_owned());
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| self.transport_error(&error))?
            {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ProxmoxError::Protocol(format!(
                        "an answer of more than {MAX_BODY_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Answer {
                status,
                reason,
                body,
            })
        };
        // reqwest's timeout covers the body too; this one also bounds a
        // server that trickles bytes forever.
        tokio::time::timeout(timeout + Duration::from_millis(250), exchange)
            .await
            .map_err(|_| ProxmoxError::Timeout)?
    }

    /// Sorts a transport failure from its causes (never from reqwest's
    /// `Display`, which includes the URL).
    fn transport_error(&self, error: &reqwest::Error) -> ProxmoxError {
        if error.is_timeout() {
            return ProxmoxError::Timeout;
        }
        // A refused pin names the certificate the server presented.
        if let Some(description) = pinned_tls::describe(error) {
            return ProxmoxError::Tls(limit(&description));
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        let mut innermost = String::new();
        while let Some(current) = cause {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind;
                match io.kind() {
                    ErrorKind::ConnectionRefused => {
                        return ProxmoxError::Refused("connection refused".into());
                    }
                    ErrorKind::TimedOut => return ProxmoxError::Timeout,
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof => {
                        return ProxmoxError::ConnectionLost(io.kind().to_string());
                    }
                    _ => {}
                }
            }
            let text = current.to_string();
            if text.contains("dns error") || text.contains("failed to lookup address") {
                return ProxmoxError::Dns("the host name does not resolve".into());
            }
            if !std::ptr::addr_eq(current, error as &(dyn std::error::Error + 'static)) {
                innermost = text;
            }
            cause = current.source();
        }
        let innermost = limit(&innermost);
        if innermost.contains("certificate") || innermost.contains("tls") {
            return ProxmoxError::Tls(innermost);
        }
        if error.is_connect() {
            return ProxmoxError::Refused(innermost);
        }
        ProxmoxError::ConnectionLost(if innermost.is_empty() {
            "the request failed".to_owned()
        } else {
            innermost
        })
    }
}

/// `data` of a 2xx answer, or the error an error status means.
fn data_of(answer: Answer) -> Result<Value, ProxmoxError> {
    let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
    if answer.status.is_success() {
        let Some(Value::Object(mut envelope)) = json else {
            return Err(ProxmoxError::Protocol(
                "an answer without the data envelope".into(),
            ));
        };
        return Ok(envelope.remove("data").unwrap_or(Value::Null));
    }
    let body_message = json
        .as_ref()
        .and_then(|body| body["message"].as_str())
        .map(|message| message.trim().to_owned())
        .filter(|message| !message.is_empty());
    let message = body_message
        .or(answer.reason)
        .or_else(|| answer.status.canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    let errors: BTreeMap<String, String> = json
        .as_ref()
        .and_then(|body| body["errors"].as_object())
        .map(|errors| {
            errors
                .iter()
                .map(|(key, value)| (key.clone(), limit(&text(value).unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default();
    Err(ProxmoxError::from_status(
        answer.status.as_u16(),
        limit(&message),
        errors,
    ))
}

fn array(data: &Value) -> Result<&Vec<Value>, ProxmoxError> {
    data.as_array()
        .ok_or_else(|| ProxmoxError::Protocol("a list answer is not a list".into()))
}

/// `nextid` answers a string although the schema says integer.
fn vmid_of(data: &Value) -> Result<u32, ProxmoxError> {
    text(data)
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| ProxmoxError::Protocol("nextid answered no VMID".into()))
}

fn limit(text: &str) -> String {
    text.trim().chars().take(MAX_MESSAGE_CHARS).collect()
}

/// `net0` with `rate=` replaced (MB/s, a float), everything else kept in
/// order.
fn with_rate(net0: &str, rate_mbps: Option<u32>) -> String {
    let mut parts: Vec<String> = net0
        .split(',')
        .filter(|part| !part.starts_with("rate="))
        .map(str::to_owned)
        .collect();
    if let Some(mbps) = rate_mbps {
        parts.push(format!("rate={}", f64::from(mbps) / 8.0));
    }
    parts.join(",")
}

/// The `size=` of a drive string (`local-lvm:vm-105-disk-0,size=20G`).
fn drive_size_bytes(drive: &str) -> Option<u64> {
    let size = drive
        .split(',')
        .find_map(|part| part.strip_prefix("size="))?;
    let (digits, unit) = match size.char_indices().last() {
        Some((index, unit)) if unit.is_ascii_alphabetic() => (&size[..index], Some(unit)),
        _ => (size, None),
    };
    let value: f64 = digits.parse().ok()?;
    let multiplier: f64 = match unit {
        None => 1.0,
        Some('K') => 1024.0,
        Some('M') => 1024.0 * 1024.0,
        Some('G') => 1024.0 * 1024.0 * 1024.0,
        Some('T') => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        Some(_) => return None,
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((value * multiplier) as u64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_rate_is_rewritten_in_megabytes_keeping_the_rest() {
        let net0 = "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,rate=5,firewall=1";
        assert_eq!(
            with_rate(net0, Some(100)),
            "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,rate=12.5"
        );
        assert_eq!(
            with_rate(net0, None),
            "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1"
        );
    }

    #[test]
    fn drive_sizes_read_in_bytes() {
        assert_eq!(
            drive_size_bytes("local-lvm:vm-1-disk-0,iothread=1,size=20G"),
            Some(20 * 1024 * 1024 * 1024)
        );
        assert_eq!(drive_size_bytes("x,size=512M"), Some(512 * 1024 * 1024));
        assert_eq!(drive_size_bytes("x"), None);
    }
}
