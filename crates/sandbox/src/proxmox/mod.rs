//! The Proxmox VE fake: `/api2/json` as PVE 8 speaks it, for the VPS
//! provisioning client and for any third-party client (proxmoxer works
//! unchanged).
//!
//! It keeps a small cluster in memory: nodes whose `mem`/`disk` grow with the
//! VMs created on them (so "least loaded node" is observable), the same
//! cloud-init templates on every node, and VMs that go through PVE's
//! lifecycle: a clone holds `lock: clone` until its task ends, power changes
//! take effect when their task ends, tasks answer 400 for a moment right after
//! dispatch (bpg retries that), then `running`, then `stopped` with an
//! `exitstatus`. Both ways of logging in work: API tokens and tickets with
//! their CSRF token on writes. Errors carry PVE's texts in the reason phrase
//! and in the body's `message`.
//!
//! Tests inject failures per operation ([`ProxmoxFakeHandle::fail_next`]):
//! an HTTP error, a task that fails, an answer that comes late although the
//! work was done (the "adopt after timeout" case), or a connection closed
//! without an answer.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::proxmox::{ProxmoxFake, ProxmoxFakeConfig, ProxmoxFailure, ProxmoxOp};
//! let pve = ProxmoxFake::start("127.0.0.1:0".parse()?, ProxmoxFakeConfig::default()).await?;
//! pve.set_task_duration(std::time::Duration::ZERO);
//! pve.fail_next(ProxmoxOp::Clone, ProxmoxFailure::TaskFails("clone failed: out of space".into()));
//! // ... point the client at pve.base_url() with the token pve.token_header() shows ...
//! # Ok(()) }
//! ```

mod server;
mod state;
pub(crate) mod tls;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use serde::Serialize;
use serde_json::{Map, Value};

use self::server::ServerTask;
pub(crate) use self::state::ProxmoxState;
use crate::error::SandboxError;

/// The API token the fake accepts unless told otherwise.
pub const DEFAULT_TOKEN_ID: &str = "juragan@pve!provisioning";
/// The token's secret: a UUID, as PVE generates them.
pub const DEFAULT_TOKEN_SECRET: &str = "4f0b6a52-8d3e-4c71-9a1f-2e6c5b7d9f30";
/// The user that logs in with a password (ticket auth).
pub const DEFAULT_USERNAME: &str = "root@pam";
pub const DEFAULT_PASSWORD: &str = "sandbox-proxmox";
/// How long a task runs unless told otherwise.
pub const DEFAULT_TASK_DURATION: Duration = Duration::from_millis(1500);
/// How long a new task's status answers 400, as a real one may before the
/// task is registered.
pub const DEFAULT_TASK_UNKNOWN_WINDOW: Duration = Duration::from_millis(200);

const GIB: u64 = 1024 * 1024 * 1024;

/// One cluster node.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeNode {
    pub name: String,
    pub maxcpu: u32,
    /// Bytes.
    pub maxmem: u64,
    /// Bytes of the root filesystem.
    pub maxdisk: u64,
    /// `mem` without any VM: what the host itself uses.
    pub base_mem: u64,
    /// `disk` without any VM.
    pub base_disk: u64,
    /// CPU load as a 0..1 fraction.
    pub cpu: f64,
    /// An offline node reports no stats and refuses its API calls (595).
    pub online: bool,
}

impl FakeNode {
    /// A node with PVE-typical figures: 32 threads, 64 GiB, 1 TiB.
    pub fn new(name: impl Into<String>) -> Self {
        FakeNode {
            name: name.into(),
            maxcpu: 32,
            maxmem: 64 * GIB,
            maxdisk: 1024 * GIB,
            base_mem: 4 * GIB,
            base_disk: 40 * GIB,
            cpu: 0.04,
            online: true,
        }
    }
}

/// A template present on every node under the same VMID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTemplate {
    pub vmid: u32,
    pub name: String,
    pub memory_mb: u32,
    pub cores: u32,
    pub disk_gb: u32,
    /// `l26` or `win11`, ...
    pub ostype: String,
}

impl FakeTemplate {
    pub fn new(vmid: u32, name: &str, memory_mb: u32, cores: u32, disk_gb: u32) -> Self {
        FakeTemplate {
            vmid,
            name: name.to_owned(),
            memory_mb,
            cores,
            disk_gb,
            ostype: if name.starts_with("windows") {
                "win11".to_owned()
            } else {
                "l26".to_owned()
            },
        }
    }
}

/// The fake cluster and its credentials.
#[derive(Clone)]
pub struct ProxmoxFakeConfig {
    /// `USER@REALM!TOKENID`.
    pub token_id: String,
    pub token_secret: String,
    /// `user@realm` of ticket logins.
    pub username: String,
    pub password: String,
    pub nodes: Vec<FakeNode>,
    /// Created on every node, each a `template: 1` VM.
    pub templates: Vec<FakeTemplate>,
    /// How long every task runs; zero finishes tasks at once (and skips the
    /// 400 window), for benchmarks.
    pub task_duration: Duration,
    /// How long a new task's status answers 400.
    pub task_unknown_window: Duration,
    /// The lowest VMID `nextid` hands out.
    pub first_vmid: u32,
    /// `GET /version`.
    pub version: String,
    pub release: String,
    /// How long a ticket is valid (2 h at PVE).
    pub ticket_lifetime: Duration,
}

impl std::fmt::Debug for ProxmoxFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxmoxFakeConfig")
            .field("token_id", &self.token_id)
            .field("token_secret", &"***")
            .field("username", &self.username)
            .field("password", &"***")
            .field("nodes", &self.nodes)
            .field("templates", &self.templates)
            .field("task_duration", &self.task_duration)
            .field("task_unknown_window", &self.task_unknown_window)
            .field("first_vmid", &self.first_vmid)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Default for ProxmoxFakeConfig {
    /// Jakarta's two nodes and Singapore's, with the five templates of
    /// `make dev` on each.
    fn default() -> Self {
        let mut jkt1 = FakeNode::new("pve-jkt-1");
        jkt1.base_mem = 6 * GIB;
        jkt1.cpu = 0.07;
        let jkt2 = FakeNode::new("pve-jkt-2");
        let mut sg1 = FakeNode::new("pve-sg-1");
        sg1.maxcpu = 16;
        sg1.maxmem = 32 * GIB;
        sg1.maxdisk = 512 * GIB;
        sg1.base_mem = 3 * GIB;
        ProxmoxFakeConfig {
            token_id: DEFAULT_TOKEN_ID.to_owned(),
            token_secret: DEFAULT_TOKEN_SECRET.to_owned(),
            username: DEFAULT_USERNAME.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            nodes: vec![jkt1, jkt2, sg1],
            templates: vec![
                FakeTemplate::new(9000, "debian-12-cloud", 2048, 2, 10),
                FakeTemplate::new(9001, "ubuntu-24.04-cloud", 2048, 2, 10),
                FakeTemplate::new(9002, "almalinux-9-cloud", 2048, 2, 10),
                FakeTemplate::new(9003, "windows-2022", 4096, 2, 40),
                FakeTemplate::new(9004, "windows-10", 4096, 2, 40),
            ],
            task_duration: DEFAULT_TASK_DURATION,
            task_unknown_window: DEFAULT_TASK_UNKNOWN_WINDOW,
            first_vmid: 100,
            version: "8.2.4".to_owned(),
            release: "8.2".to_owned(),
            ticket_lifetime: Duration::from_secs(2 * 3600),
        }
    }
}

/// The API operations failures can be injected into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ProxmoxOp {
    Version,
    Ticket,
    Nodes,
    ListVms,
    NextId,
    Clone,
    /// `GET`, `POST` and `PUT` of `…/config`.
    Config,
    Resize,
    /// `POST …/migrate`.
    Migrate,
    Start,
    Stop,
    Shutdown,
    Reboot,
    Suspend,
    Resume,
    Delete,
    /// `GET …/status/current`.
    Status,
    TaskStatus,
    TaskLog,
    /// Matches whatever operation comes next.
    Any,
}

/// How an injected failure strikes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxmoxFailure {
    /// Answers this status with this message (reason phrase and body);
    /// nothing is done.
    Http { status: u16, message: String },
    /// The operation is dispatched, but its task ends with this
    /// `exitstatus` and its effect is undone (a failed clone leaves no VM).
    TaskFails(String),
    /// The operation is done, but the answer comes this late: a client with
    /// a shorter timeout gives up although the VM exists.
    AnswerAfter(Duration),
    /// The connection is closed without an answer.
    Drop,
}

impl ProxmoxFailure {
    /// The 500 PVE answers when a config lock is held too long.
    pub fn lock_timeout(vmid: u32) -> Self {
        ProxmoxFailure::Http {
            status: 500,
            message: format!(
                "can't lock file '/var/lock/qemu-server/lock-{vmid}.conf' - got timeout"
            ),
        }
    }
}

/// A VM as the fake holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FakeVm {
    pub node: String,
    pub vmid: u32,
    pub name: Option<String>,
    /// What `GET …/config` answers (without `digest`), `cipassword` masked.
    pub config: Map<String, Value>,
    /// The cloud-init password in clear, for tests to check what was sent.
    pub cipassword: Option<String>,
    /// `running` or `stopped`.
    pub status: String,
    /// `running`, `stopped` or `paused`.
    pub qmpstatus: String,
    pub lock: Option<String>,
    pub template: bool,
}

/// One task of the fake, for inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeTask {
    pub upid: String,
    pub node: String,
    /// `qmclone`, `qmstart`, ...
    pub task_type: String,
    /// The VMID the task is about (the source for a clone).
    pub id: String,
    /// `None` while running.
    pub exitstatus: Option<String>,
}

/// Starts Proxmox fakes; see [`ProxmoxFakeHandle`].
pub struct ProxmoxFake;

impl ProxmoxFake {
    /// Binds `addr` (port 0 picks a free port) and serves plain HTTP until
    /// the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: ProxmoxFakeConfig,
    ) -> Result<ProxmoxFakeHandle, SandboxError> {
        let state = ProxmoxState::new(config);
        let (server, addr) = server::serve(addr, state.clone())?;
        Ok(ProxmoxFakeHandle {
            addr,
            scheme: "http",
            fingerprint: None,
            state,
            _server: Arc::new(server),
            _tls: None,
        })
    }

    /// Binds `addr` and serves HTTPS with a fixed self-signed certificate
    /// (for `127.0.0.1` and `localhost`), as a PVE node does on 8006; see
    /// [`ProxmoxFakeHandle::fingerprint`] for the value to pin.
    pub async fn start_tls(
        addr: SocketAddr,
        config: ProxmoxFakeConfig,
    ) -> Result<ProxmoxFakeHandle, SandboxError> {
        let state = ProxmoxState::new(config);
        let loopback = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let (server, inner_addr) = server::serve(loopback, state.clone())?;
        let terminator = tls::TlsTerminator::start(addr, inner_addr).await?;
        Ok(ProxmoxFakeHandle {
            addr: terminator.addr(),
            scheme: "https",
            fingerprint: Some(tls::certificate_fingerprint()),
            state,
            _server: Arc::new(server),
            _tls: Some(Arc::new(terminator)),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct ProxmoxFakeHandle {
    addr: SocketAddr,
    scheme: &'static str,
    fingerprint: Option<String>,
    state: ProxmoxState,
    _server: Arc<ServerTask>,
    _tls: Option<Arc<tls::TlsTerminator>>,
}

impl ProxmoxFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port` (or `https://`): what replaces
    /// `https://pve.example:8006`; the API is under `/api2/json`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// `{base_url}/api2/json`.
    pub fn api_url(&self) -> String {
        format!("{}/api2/json", self.base_url())
    }

    /// The SHA-256 fingerprint of the HTTPS certificate as PVE shows it
    /// (colon-separated upper-case hex); `None` for plain HTTP.
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    pub fn config(&self) -> &ProxmoxFakeConfig {
        self.state.config()
    }

    /// The `Authorization` header value of the configured token.
    pub fn token_header(&self) -> String {
        let config = self.state.config();
        format!("PVEAPIToken={}={}", config.token_id, config.token_secret)
    }

    /// How long tasks dispatched from now on run.
    pub fn set_task_duration(&self, duration: Duration) {
        self.state.set_task_duration(duration);
    }

    /// The next call of `op` (or of anything, for [`ProxmoxOp::Any`]) fails
    /// as `failure` says. Injections queue up in order.
    pub fn fail_next(&self, op: ProxmoxOp, failure: ProxmoxFailure) {
        self.state.fail_next(op, failure);
    }

    /// Authenticated calls of `op` so far (`Any`: of everything).
    pub fn calls(&self, op: ProxmoxOp) -> u64 {
        self.state.calls(op)
    }

    /// Every VM, templates included, by VMID.
    pub fn vms(&self) -> Vec<FakeVm> {
        self.state.vms()
    }

    pub fn vm(&self, vmid: u32) -> Option<FakeVm> {
        self.state.vms().into_iter().find(|vm| vm.vmid == vmid)
    }

    /// Every task dispatched, oldest first.
    pub fn tasks(&self) -> Vec<FakeTask> {
        self.state.tasks()
    }

    /// Forgets every ticket issued, as a restart of `pveproxy` with a new
    /// key would: clients must log in again.
    pub fn invalidate_tickets(&self) {
        self.state.invalidate_tickets();
    }

    /// While set, authenticated calls other than `/version` answer 403
    /// `Permission check failed`, as for a token without privileges.
    pub fn set_permission_denied(&self, denied: bool) {
        self.state.set_permission_denied(denied);
    }

    /// Takes a node offline (no stats; its calls answer 595) or back.
    pub fn set_node_online(&self, node: &str, online: bool) {
        self.state.set_node_online(node, online);
    }

    /// Forgets VMs (templates are recreated), tasks, tickets, failures and
    /// counters.
    pub fn reset(&self) {
        self.state.reset();
    }
}
