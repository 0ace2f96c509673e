//! Everything the Proxmox fake remembers, behind one lock: nodes, VMs,
//! tasks, tickets, injected failures and call counters, and the rules PVE
//! applies to them. Tasks settle lazily: every call first finishes the tasks
//! whose time is up and applies their effect (a clone's lock cleared, a VM
//! started, ...), so no timer runs in the background.

use std::{
    collections::{BTreeMap, HashMap},
    net::{IpAddr, Ipv4Addr},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::{FakeTask, FakeVm, ProxmoxFailure, ProxmoxFakeConfig, ProxmoxOp};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Parameters of a call: query string and body merged, as PVE merges them.
pub(crate) type Params = BTreeMap<String, String>;

/// An error answer: status, the message PVE puts in the reason phrase and
/// the body, and per-parameter errors of a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: BTreeMap<String, String>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: BTreeMap::new(),
        }
    }

    /// `die "..."` in a handler: 500 with the text.
    fn die(message: impl Into<String>) -> Self {
        ApiError::new(500, message)
    }

    /// `raise_param_exc`: 400 `Parameter verification failed.` with the
    /// offending parameters.
    fn parameters(errors: BTreeMap<String, String>) -> Self {
        ApiError {
            status: 400,
            message: "Parameter verification failed.".to_owned(),
            errors,
        }
    }

    fn parameter(name: &str, problem: impl Into<String>) -> Self {
        ApiError::parameters(BTreeMap::from([(name.to_owned(), problem.into())]))
    }
}

pub(crate) type ApiResult = Result<Value, ApiError>;

/// What a task does to its VM when it ends well.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Nothing,
    /// The VM moves to this node (its lock, `migrate`, cleared).
    Migrate(String),
    FinishClone,
    Start,
    Stop,
    Reboot,
    Suspend,
    Resume,
    Destroy,
}

#[derive(Debug)]
struct Task {
    upid: String,
    node: String,
    task_type: String,
    id: String,
    user: String,
    pid: u32,
    pstart: u32,
    starttime: u64,
    dispatched: Instant,
    duration: Duration,
    unknown_window: Duration,
    /// The VM the effect applies to.
    target: (u32, String),
    effect: Effect,
    /// `OK`, `WARNINGS: n` or an error text.
    outcome: String,
    log: Vec<String>,
    finished: bool,
}

impl Task {
    fn succeeds(&self) -> bool {
        self.outcome == "OK" || self.outcome.starts_with("WARNINGS")
    }
}

#[derive(Debug)]
struct Vm {
    config: Map<String, Value>,
    cipassword: Option<String>,
    running: bool,
    paused: bool,
    lock: Option<String>,
    template: bool,
    started: Option<Instant>,
}

impl Vm {
    fn name(&self) -> Option<String> {
        self.config
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn memory_mb(&self) -> u64 {
        self.config
            .get("memory")
            .map(value_text)
            .and_then(|memory| {
                memory
                    .trim_start_matches("current=")
                    .split(',')
                    .next()
                    .and_then(|mb| mb.parse().ok())
            })
            .unwrap_or(512)
    }

    fn cores(&self) -> u64 {
        self.config
            .get("cores")
            .map(value_text)
            .and_then(|cores| cores.parse().ok())
            .unwrap_or(1)
    }

    /// Bytes of the boot disk.
    fn disk_bytes(&self) -> u64 {
        self.config
            .get("scsi0")
            .and_then(Value::as_str)
            .and_then(disk_size)
            .unwrap_or(0)
    }

    fn uptime(&self) -> u64 {
        match (self.running, self.started) {
            (true, Some(started)) => started.elapsed().as_secs(),
            _ => 0,
        }
    }

    fn status(&self) -> &'static str {
        if self.running { "running" } else { "stopped" }
    }

    fn qmpstatus(&self) -> &'static str {
        match (self.running, self.paused) {
            (false, _) => "stopped",
            (true, true) => "paused",
            (true, false) => "running",
        }
    }
}

#[derive(Debug)]
struct Ticket {
    username: String,
    csrf: String,
    issued: Instant,
}

struct Data {
    nodes: Vec<super::FakeNode>,
    /// By VMID, then node: the templates share their VMIDs across nodes.
    vms: BTreeMap<u32, BTreeMap<String, Vm>>,
    tasks: Vec<Task>,
    tickets: HashMap<String, Ticket>,
    failures: Vec<(ProxmoxOp, ProxmoxFailure)>,
    calls: BTreeMap<ProxmoxOp, u64>,
    task_duration: Duration,
    permission_denied: bool,
    next_pid: u32,
}

struct Inner {
    config: ProxmoxFakeConfig,
    data: Mutex<Data>,
}

#[derive(Clone)]
pub(crate) struct ProxmoxState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProxmoxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxmoxState")
            .field("vms", &self.lock().vms.len())
            .finish_non_exhaustive()
    }
}

/// Who made a call, as the UPID's last field names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal(pub String);

/// The credentials a request carried.
#[derive(Debug, Default)]
pub(crate) struct Credentials<'a> {
    pub authorization: Option<&'a str>,
    pub cookie_ticket: Option<String>,
    pub csrf: Option<&'a str>,
    pub is_write: bool,
}

impl ProxmoxState {
    pub(crate) fn new(config: ProxmoxFakeConfig) -> Self {
        let data = Data::fresh(&config);
        ProxmoxState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(data),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Settles finished tasks, then hands out the data.
    fn settled(&self) -> MutexGuard<'_, Data> {
        let mut data = self.lock();
        data.settle();
        data
    }

    pub(crate) fn config(&self) -> &ProxmoxFakeConfig {
        &self.inner.config
    }

    pub(crate) fn set_task_duration(&self, duration: Duration) {
        self.lock().task_duration = duration;
    }

    pub(crate) fn fail_next(&self, op: ProxmoxOp, failure: ProxmoxFailure) {
        self.lock().failures.push((op, failure));
    }

    pub(crate) fn calls(&self, op: ProxmoxOp) -> u64 {
        let data = self.lock();
        if op == ProxmoxOp::Any {
            data.calls.values().sum()
        } else {
            data.calls.get(&op).copied().unwrap_or(0)
        }
    }

    pub(crate) fn invalidate_tickets(&self) {
        self.lock().tickets.clear();
    }

    pub(crate) fn set_permission_denied(&self, denied: bool) {
        self.lock().permission_denied = denied;
    }

    pub(crate) fn set_node_online(&self, node: &str, online: bool) {
        let mut data = self.lock();
        if let Some(node) = data.nodes.iter_mut().find(|n| n.name == node) {
            node.online = online;
        }
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Data::fresh(&self.inner.config);
    }

    pub(crate) fn vms(&self) -> Vec<FakeVm> {
        let data = self.settled();
        let mut vms = Vec::new();
        for (vmid, by_node) in &data.vms {
            for (node, vm) in by_node {
                vms.push(FakeVm {
                    node: node.clone(),
                    vmid: *vmid,
                    name: vm.name(),
                    config: vm.config.clone(),
                    cipassword: vm.cipassword.clone(),
                    status: vm.status().to_owned(),
                    qmpstatus: vm.qmpstatus().to_owned(),
                    lock: vm.lock.clone(),
                    template: vm.template,
                });
            }
        }
        vms
    }

    pub(crate) fn tasks(&self) -> Vec<FakeTask> {
        let data = self.settled();
        data.tasks
            .iter()
            .map(|task| FakeTask {
                upid: task.upid.clone(),
                node: task.node.clone(),
                task_type: task.task_type.clone(),
                id: task.id.clone(),
                exitstatus: task.finished.then(|| task.outcome.clone()),
            })
            .collect()
    }

    // ---- authentication -------------------------------------------------

    /// Checks a ticket cookie first, then an API token, as pve-http-server
    /// does; writes with a ticket need its CSRF token.
    pub(crate) fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Principal, ApiError> {
        let config = &self.inner.config;
        if let Some(ticket) = &credentials.cookie_ticket {
            let data = self.lock();
            let Some(known) = data.tickets.get(ticket) else {
                return Err(ApiError::new(401, "authentication failure"));
            };
            if known.issued.elapsed() > config.ticket_lifetime {
                return Err(ApiError::new(401, "authentication failure"));
            }
            if credentials.is_write && credentials.csrf != Some(known.csrf.as_str()) {
                return Err(ApiError::new(401, "Permission denied - invalid csrf token"));
            }
            return Ok(Principal(known.username.clone()));
        }
        if let Some(header) = credentials.authorization {
            let token = header
                .strip_prefix("PVEAPIToken=")
                .or_else(|| header.strip_prefix("PVEAPIToken "))
                .ok_or_else(|| ApiError::new(401, "authentication failure"))?;
            let (token_id, secret) = token
                .split_once('=')
                .ok_or_else(|| ApiError::new(401, "authentication failure"))?;
            if token_id != config.token_id || secret != config.token_secret {
                return Err(ApiError::new(401, "authentication failure"));
            }
            return Ok(Principal(token_id.to_owned()));
        }
        Err(ApiError::new(401, "No ticket"))
    }

    /// `POST /access/ticket`: a password, or a valid ticket of the same
    /// user as the password (renewal).
    pub(crate) fn login(&self, params: &Params) -> ApiResult {
        let config = &self.inner.config;
        let mut username = params.get("username").cloned().unwrap_or_default();
        if !username.contains('@')
            && let Some(realm) = params.get("realm")
        {
            username = format!("{username}@{realm}");
        }
        let password = params.get("password").cloned().unwrap_or_default();
        let mut data = self.lock();
        let renewal = data.tickets.get(&password).is_some_and(|ticket| {
            ticket.username == username && ticket.issued.elapsed() <= config.ticket_lifetime
        });
        if username != config.username || (password != config.password && !renewal) {
            return Err(ApiError::new(401, "authentication failure"));
        }
        let now = unix_now();
        let ticket = format!(
            "PVE:{username}:{now:08X}::{}",
            base64::engine::general_purpose::STANDARD.encode(random_bytes::<48>())
        );
        let csrf = format!(
            "{now:08X}:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(random_bytes::<20>())
        );
        data.tickets.insert(
            ticket.clone(),
            Ticket {
                username: username.clone(),
                csrf: csrf.clone(),
                issued: Instant::now(),
            },
        );
        Ok(json!({
            "username": username,
            "ticket": ticket,
            "CSRFPreventionToken": csrf,
            "cap": {"vms": {"VM.Allocate": 1, "VM.PowerMgmt": 1, "VM.Config.Cloudinit": 1}},
        }))
    }

    /// Counts the call, refuses it when permissions are denied, and hands
    /// out the failure injected for it.
    pub(crate) fn begin(&self, op: ProxmoxOp) -> Result<Option<ProxmoxFailure>, ApiError> {
        let mut data = self.lock();
        *data.calls.entry(op).or_default() += 1;
        if data.permission_denied && !matches!(op, ProxmoxOp::Version | ProxmoxOp::Ticket) {
            return Err(ApiError::new(403, "Permission check failed (/, Sys.Audit)"));
        }
        let position = data
            .failures
            .iter()
            .position(|(wanted, _)| *wanted == op || *wanted == ProxmoxOp::Any);
        Ok(position.map(|index| data.failures.remove(index).1))
    }

    // ---- cluster --------------------------------------------------------

    pub(crate) fn version(&self) -> ApiResult {
        let config = &self.inner.config;
        Ok(json!({
            "version": config.version,
            "release": config.release,
            "repoid": "3e76eec21c4a14a7",
        }))
    }

    pub(crate) fn nodes(&self) -> ApiResult {
        let data = self.settled();
        let nodes: Vec<Value> = data
            .nodes
            .iter()
            .map(|node| {
                if !node.online {
                    return json!({
                        "node": node.name, "status": "offline", "id": format!("node/{}", node.name),
                        "type": "node", "level": "",
                    });
                }
                let (mem, disk, running) = data.usage(&node.name);
                json!({
                    "node": node.name,
                    "status": "online",
                    "id": format!("node/{}", node.name),
                    "type": "node",
                    "level": "",
                    "cpu": (node.cpu + 0.01 * running as f64).min(1.0),
                    "maxcpu": node.maxcpu,
                    "mem": node.base_mem + mem,
                    "maxmem": node.maxmem,
                    "disk": node.base_disk + disk,
                    "maxdisk": node.maxdisk,
                    "uptime": 864_000,
                    "ssl_fingerprint": super::tls::certificate_fingerprint(),
                })
            })
            .collect();
        Ok(Value::Array(nodes))
    }

    pub(crate) fn next_id(&self, params: &Params) -> ApiResult {
        let data = self.settled();
        if let Some(wanted) = params.get("vmid") {
            let vmid =
                parse_vmid(wanted).map_err(|problem| ApiError::parameter("vmid", problem))?;
            if data.vms.contains_key(&vmid) {
                return Err(ApiError::parameter(
                    "vmid",
                    format!("VM {vmid} already exists"),
                ));
            }
            return Ok(Value::String(vmid.to_string()));
        }
        let mut vmid = self.inner.config.first_vmid;
        while data.vms.contains_key(&vmid) {
            vmid += 1;
        }
        Ok(Value::String(vmid.to_string()))
    }

    // ---- VMs ------------------------------------------------------------

    pub(crate) fn list_vms(&self, node: &str) -> ApiResult {
        let data = self.settled();
        data.check_node(node)?;
        let mut list = Vec::new();
        for (vmid, by_node) in &data.vms {
            let Some(vm) = by_node.get(node) else {
                continue;
            };
            let mut entry = json!({
                "vmid": vmid,
                "name": vm.name(),
                "status": vm.status(),
                "cpus": vm.cores(),
                "maxmem": vm.memory_mb() * MIB,
                "maxdisk": vm.disk_bytes(),
                "mem": if vm.running { vm.memory_mb() * MIB / 3 } else { 0 },
                "cpu": if vm.running { 0.02 } else { 0.0 },
                "uptime": vm.uptime(),
                "disk": 0, "diskread": 0, "diskwrite": 0, "netin": 0, "netout": 0,
            });
            if let Some(object) = entry.as_object_mut() {
                if vm.template {
                    object.insert("template".into(), json!(1));
                }
                if let Some(lock) = &vm.lock {
                    object.insert("lock".into(), json!(lock));
                }
                if vm.running {
                    object.insert("pid".into(), json!(4000 + vmid));
                }
            }
            list.push(entry);
        }
        Ok(Value::Array(list))
    }

    pub(crate) fn clone_vm(
        &self,
        node: &str,
        source: u32,
        params: &Params,
        user: &Principal,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let newid = match params.get("newid") {
            None => {
                return Err(ApiError::parameter(
                    "newid",
                    "property is missing and it is not optional",
                ));
            }
            Some(newid) => {
                parse_vmid(newid).map_err(|problem| ApiError::parameter("newid", problem))?
            }
        };
        if let Some(name) = params.get("name")
            && !is_dns_name(name)
        {
            return Err(ApiError::parameter(
                "name",
                "invalid format - value does not look like a valid DNS name",
            ));
        }
        let source_vm = data.vm(node, source)?;
        let full = match params.get("full") {
            Some(full) => {
                parse_bool(full).map_err(|problem| ApiError::parameter("full", problem))?
            }
            None => !source_vm.template,
        };
        if let Some(existing) = data
            .vms
            .get(&newid)
            .and_then(|by_node| by_node.keys().next())
        {
            return Err(ApiError::die(format!(
                "VM {newid} already exists on node '{existing}'"
            )));
        }
        if source_vm.lock.is_some() {
            return Err(lock_timeout(source));
        }
        if params.contains_key("storage") && !full {
            return Err(ApiError::die(
                "parameter 'storage' not allowed for linked clones",
            ));
        }
        if !full && !source_vm.template {
            return Err(ApiError::die(
                "Linked clone feature is not supported for drive 'scsi0'",
            ));
        }
        if let Some(target) = params.get("target")
            && target != node
        {
            return Err(ApiError::die(format!(
                "can't clone VM to node '{target}' (VM uses local storage)"
            )));
        }
        let storage = params.get("storage").map_or("local-lvm", String::as_str);
        let source_disk = source_vm
            .config
            .get("scsi0")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let size = source_disk
            .split(',')
            .find(|part| part.starts_with("size="))
            .unwrap_or("size=10G")
            .to_owned();
        let source_volume = source_disk.split(',').next().unwrap_or_default().to_owned();
        let mut config = source_vm.config.clone();
        config.remove("template");
        let name = params
            .get("name")
            .cloned()
            .unwrap_or_else(|| format!("Copy-of-VM-{}", source_vm.name().unwrap_or_default()));
        config.insert("name".into(), json!(name));
        if let Some(description) = params.get("description") {
            config.insert("description".into(), json!(description));
        }
        let disk = if full {
            format!("{storage}:vm-{newid}-disk-0,iothread=1,{size}")
        } else {
            let base = source_volume.split(':').nth(1).unwrap_or_default();
            format!("local-lvm:{base}/vm-{newid}-disk-0,iothread=1,{size}")
        };
        config.insert("scsi0".into(), json!(disk));
        config.insert(
            "ide2".into(),
            json!(format!("local-lvm:vm-{newid}-cloudinit,media=cdrom")),
        );
        if let Some(net0) = config.get("net0").and_then(Value::as_str) {
            // A clone gets new MAC addresses, as PVE gives it.
            let rest: Vec<&str> = net0.split(',').skip(1).collect();
            let mut rewritten = format!("virtio={}", random_mac());
            for part in rest {
                rewritten.push(',');
                rewritten.push_str(part);
            }
            config.insert("net0".into(), json!(rewritten));
        }
        config.insert("vmgenid".into(), json!(uuid::Uuid::new_v4().to_string()));
        let cipassword = source_vm.cipassword.clone();
        data.vms.entry(newid).or_default().insert(
            node.to_owned(),
            Vm {
                config,
                cipassword,
                running: false,
                paused: false,
                lock: Some("clone".to_owned()),
                template: false,
                started: None,
            },
        );
        let kind = if full { "full" } else { "linked" };
        let log = vec![
            format!("create {kind} clone of drive scsi0 ({source_volume})"),
            format!("Logical volume \"vm-{newid}-disk-0\" created."),
        ];
        let upid = data.dispatch(
            self.config(),
            node,
            "qmclone",
            &source.to_string(),
            (newid, node.to_owned()),
            Effect::FinishClone,
            user,
            failure,
            log,
        );
        Ok(Value::String(upid))
    }

    pub(crate) fn get_config(&self, node: &str, vmid: u32) -> ApiResult {
        let data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        let mut config = vm.config.clone();
        if let Some(lock) = &vm.lock {
            config.insert("lock".into(), json!(lock));
        }
        config.insert("digest".into(), json!(digest(&vm.config)));
        Ok(Value::Object(config))
    }

    /// `POST` (asynchronous: a `qmconfig` task) or `PUT` (synchronous:
    /// `null`) of `…/config`.
    pub(crate) fn set_config(
        &self,
        node: &str,
        vmid: u32,
        params: &Params,
        user: &Principal,
        asynchronous: bool,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        if vm.lock.is_some() {
            return Err(lock_timeout(vmid));
        }
        let changes = validate_config(params)?;
        let vm = data.vm_mut(node, vmid)?;
        for change in changes {
            match change {
                Change::Set(key, value) => {
                    vm.config.insert(key, value);
                }
                Change::Delete(key) => {
                    if key == "cipassword" {
                        vm.cipassword = None;
                    }
                    vm.config.remove(&key);
                }
                Change::Password(password) => {
                    vm.cipassword = Some(password);
                    vm.config.insert("cipassword".into(), json!("**********"));
                }
            }
        }
        if !asynchronous {
            return Ok(Value::Null);
        }
        let upid = data.dispatch(
            self.config(),
            node,
            "qmconfig",
            &vmid.to_string(),
            (vmid, node.to_owned()),
            Effect::Nothing,
            user,
            failure,
            vec![format!(
                "update VM {vmid}: -{}",
                params.keys().cloned().collect::<Vec<_>>().join(" -")
            )],
        );
        Ok(Value::String(upid))
    }

    pub(crate) fn resize(
        &self,
        node: &str,
        vmid: u32,
        params: &Params,
        user: &Principal,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        if vm.lock.is_some() {
            return Err(lock_timeout(vmid));
        }
        let mut missing = BTreeMap::new();
        for name in ["disk", "size"] {
            if !params.contains_key(name) {
                missing.insert(
                    name.to_owned(),
                    "property is missing and it is not optional".to_owned(),
                );
            }
        }
        if !missing.is_empty() {
            return Err(ApiError::parameters(missing));
        }
        let disk = params.get("disk").cloned().unwrap_or_default();
        let size = params.get("size").cloned().unwrap_or_default();
        let Some((relative, requested)) = parse_size(&size) else {
            return Err(ApiError::parameter(
                "size",
                "value does not match the regex pattern",
            ));
        };
        let Some(drive) = vm
            .config
            .get(&disk)
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(ApiError::die(format!("disk '{disk}' does not exist")));
        };
        let current = disk_size(&drive).unwrap_or(0);
        let new_size = if relative {
            current + requested
        } else {
            requested
        };
        if new_size < current {
            return Err(ApiError::parameter(
                "size",
                "shrinking disks is not supported",
            ));
        }
        let rewritten: Vec<String> = drive
            .split(',')
            .map(|part| {
                if part.starts_with("size=") {
                    format!("size={}", format_size(new_size))
                } else {
                    part.to_owned()
                }
            })
            .collect();
        let vm = data.vm_mut(node, vmid)?;
        vm.config.insert(disk.clone(), json!(rewritten.join(",")));
        let upid = data.dispatch(
            self.config(),
            node,
            "resize",
            &vmid.to_string(),
            (vmid, node.to_owned()),
            Effect::Nothing,
            user,
            failure,
            vec![format!(
                "  Size of logical volume pve/vm-{vmid}-disk-0 changed from {} to {}.",
                format_size(current),
                format_size(new_size)
            )],
        );
        Ok(Value::String(upid))
    }

    pub(crate) fn power(
        &self,
        node: &str,
        vmid: u32,
        action: &str,
        user: &Principal,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        if let Some(lock) = &vm.lock {
            return Err(ApiError::die(format!("VM is locked ({lock})")));
        }
        if vm.template && action == "start" {
            return Err(ApiError::die("you can't start a vm if it's a template"));
        }
        let (task_type, effect) = match action {
            "start" => {
                if vm.running {
                    return Err(ApiError::die(format!("VM {vmid} already running")));
                }
                ("qmstart", Effect::Start)
            }
            // Stopping a stopped VM is no error at PVE: the task just ends OK.
            "stop" => ("qmstop", Effect::Stop),
            "shutdown" | "reboot" | "suspend" | "resume" if !vm.running => {
                return Err(ApiError::die(format!("VM {vmid} not running")));
            }
            "shutdown" => ("qmshutdown", Effect::Stop),
            "reboot" => ("qmreboot", Effect::Reboot),
            "suspend" => ("qmsuspend", Effect::Suspend),
            "resume" => ("qmresume", Effect::Resume),
            _ => {
                return Err(ApiError::new(
                    501,
                    format!(
                        "Method 'POST /nodes/{node}/qemu/{vmid}/status/{action}' not implemented"
                    ),
                ));
            }
        };
        let log = if effect == Effect::Start {
            vec!["generating cloud-init ISO".to_owned()]
        } else {
            Vec::new()
        };
        let upid = data.dispatch(
            self.config(),
            node,
            task_type,
            &vmid.to_string(),
            (vmid, node.to_owned()),
            effect,
            user,
            failure,
            log,
        );
        Ok(Value::String(upid))
    }

    /// `POST /nodes/{node}/qemu/{vmid}/migrate`: the checks qemu-server's
    /// `migrate_vm` makes before it forks the `qmigrate` task, with its
    /// messages; the VM is locked (`migrate`) until the task ends.
    pub(crate) fn migrate(
        &self,
        node: &str,
        vmid: u32,
        params: &Params,
        user: &Principal,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let Some(target) = params.get("target") else {
            return Err(ApiError::parameter(
                "target",
                "property is missing and it is not optional",
            ));
        };
        if target == node {
            return Err(ApiError::die("target is local node."));
        }
        if !data.nodes.iter().any(|n| &n.name == target) {
            return Err(ApiError::die(format!("no such cluster node '{target}'")));
        }
        let flag = |name: &str| -> Result<bool, ApiError> {
            params.get(name).map_or(Ok(false), |value| {
                parse_bool(value).map_err(|problem| ApiError::parameter(name, problem))
            })
        };
        let online = flag("online")?;
        let local_disks = flag("with-local-disks")?;
        let vm = data.vm(node, vmid)?;
        if vm.template {
            return Err(ApiError::die("can't migrate a template"));
        }
        if let Some(lock) = &vm.lock {
            return Err(ApiError::die(format!("VM is locked ({lock})")));
        }
        if vm.running && !online {
            return Err(ApiError::die("can't migrate running VM without --online"));
        }
        if vm.running && !local_disks {
            return Err(ApiError::die(
                "can't live migrate attached local disks without with-local-disks option",
            ));
        }
        if !data.nodes.iter().any(|n| &n.name == target && n.online) {
            return Err(ApiError::die(format!(
                "target node '{target}' is not online"
            )));
        }
        let target = target.clone();
        data.vm_mut(node, vmid)?.lock = Some("migrate".to_owned());
        let log = vec![
            format!("starting migration of VM {vmid} to node '{target}'"),
            "migration finished successfully".to_owned(),
        ];
        let upid = data.dispatch(
            self.config(),
            node,
            "qmigrate",
            &vmid.to_string(),
            (vmid, node.to_owned()),
            Effect::Migrate(target),
            user,
            failure,
            log,
        );
        Ok(Value::String(upid))
    }

    pub(crate) fn status_current(&self, node: &str, vmid: u32) -> ApiResult {
        let data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        let mut status = json!({
            "vmid": vmid,
            "name": vm.name(),
            "status": vm.status(),
            "qmpstatus": vm.qmpstatus(),
            "uptime": vm.uptime(),
            "cpus": vm.cores(),
            "cpu": if vm.running { 0.02 } else { 0.0 },
            "maxmem": vm.memory_mb() * MIB,
            "mem": if vm.running { vm.memory_mb() * MIB / 3 } else { 0 },
            "maxdisk": vm.disk_bytes(),
            "disk": 0,
            "ha": {"managed": 0},
            "agent": 1,
        });
        if let Some(object) = status.as_object_mut() {
            if let Some(lock) = &vm.lock {
                object.insert("lock".into(), json!(lock));
            }
            if vm.template {
                object.insert("template".into(), json!(1));
            }
            if vm.running {
                object.insert("pid".into(), json!(4000 + vmid));
            }
        }
        Ok(status)
    }

    pub(crate) fn delete(
        &self,
        node: &str,
        vmid: u32,
        user: &Principal,
        failure: Option<&str>,
    ) -> ApiResult {
        let mut data = self.settled();
        data.check_node(node)?;
        let vm = data.vm(node, vmid)?;
        if let Some(lock) = &vm.lock {
            return Err(ApiError::die(format!("VM is locked ({lock})")));
        }
        if vm.running {
            return Err(ApiError::die(format!(
                "VM {vmid} is running - destroy failed"
            )));
        }
        let upid = data.dispatch(
            self.config(),
            node,
            "qmdestroy",
            &vmid.to_string(),
            (vmid, node.to_owned()),
            Effect::Destroy,
            user,
            failure,
            vec![format!(
                "  Logical volume \"vm-{vmid}-disk-0\" successfully removed."
            )],
        );
        Ok(Value::String(upid))
    }

    // ---- tasks ----------------------------------------------------------

    pub(crate) fn task_status(&self, node: &str, upid: &str) -> ApiResult {
        let data = self.settled();
        let task = data.visible_task(node, upid)?;
        let mut status = json!({
            "upid": task.upid,
            "node": task.node,
            "pid": task.pid,
            "pstart": task.pstart,
            "starttime": task.starttime,
            "type": task.task_type,
            "id": task.id,
            "user": task.user.split('!').next().unwrap_or_default(),
            "status": if task.finished { "stopped" } else { "running" },
        });
        if let Some(object) = status.as_object_mut() {
            if let Some((_, token)) = task.user.split_once('!') {
                object.insert("tokenid".into(), json!(token));
            }
            if task.finished {
                object.insert("exitstatus".into(), json!(task.outcome));
            }
        }
        Ok(status)
    }

    /// The log lines `[{n, t}]` from `start`, at most `limit`, and their
    /// total.
    pub(crate) fn task_log(
        &self,
        node: &str,
        upid: &str,
        params: &Params,
    ) -> Result<(Value, usize), ApiError> {
        let data = self.settled();
        let task = data.visible_task(node, upid)?;
        let mut lines = task.log.clone();
        if task.finished {
            if task.succeeds() {
                lines.push(format!("TASK {}", task.outcome));
            } else {
                lines.push(format!("TASK ERROR: {}", task.outcome));
            }
        }
        let start: usize = params
            .get("start")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let limit: usize = params
            .get("limit")
            .and_then(|s| s.parse().ok())
            .unwrap_or(50);
        let total = lines.len();
        let page: Vec<Value> = lines
            .into_iter()
            .enumerate()
            .skip(start)
            .take(limit)
            .map(|(index, text)| json!({"n": index + 1, "t": text}))
            .collect();
        Ok((Value::Array(page), total))
    }
}

impl Data {
    fn fresh(config: &ProxmoxFakeConfig) -> Self {
        let mut vms: BTreeMap<u32, BTreeMap<String, Vm>> = BTreeMap::new();
        for template in &config.templates {
            for node in &config.nodes {
                let mut vm_config = Map::new();
                vm_config.insert("name".into(), json!(template.name));
                vm_config.insert("template".into(), json!(1));
                vm_config.insert("cores".into(), json!(template.cores));
                vm_config.insert("sockets".into(), json!(1));
                vm_config.insert("memory".into(), json!(template.memory_mb.to_string()));
                vm_config.insert("ostype".into(), json!(template.ostype));
                vm_config.insert("scsihw".into(), json!("virtio-scsi-single"));
                vm_config.insert(
                    "scsi0".into(),
                    json!(format!(
                        "local-lvm:base-{}-disk-0,iothread=1,size={}G",
                        template.vmid, template.disk_gb
                    )),
                );
                vm_config.insert(
                    "ide2".into(),
                    json!(format!(
                        "local-lvm:vm-{}-cloudinit,media=cdrom",
                        template.vmid
                    )),
                );
                vm_config.insert(
                    "net0".into(),
                    json!(format!("virtio={},bridge=vmbr0,firewall=1", random_mac())),
                );
                vm_config.insert("boot".into(), json!("order=scsi0"));
                vm_config.insert("serial0".into(), json!("socket"));
                vm_config.insert("vga".into(), json!("serial0"));
                vm_config.insert("agent".into(), json!("1"));
                vm_config.insert("ciuser".into(), json!("debian"));
                vm_config.insert("ipconfig0".into(), json!("ip=dhcp"));
                vm_config.insert(
                    "smbios1".into(),
                    json!(format!("uuid={}", uuid::Uuid::new_v4())),
                );
                vms.entry(template.vmid).or_default().insert(
                    node.name.clone(),
                    Vm {
                        config: vm_config,
                        cipassword: None,
                        running: false,
                        paused: false,
                        lock: None,
                        template: true,
                        started: None,
                    },
                );
            }
        }
        Data {
            nodes: config.nodes.clone(),
            vms,
            tasks: Vec::new(),
            tickets: HashMap::new(),
            failures: Vec::new(),
            calls: BTreeMap::new(),
            task_duration: config.task_duration,
            permission_denied: false,
            next_pid: 0x0001_2a00 + u32::from(random_bytes::<1>()[0]) * 16,
        }
    }

    /// Finishes the tasks whose time is up, in dispatch order, applying
    /// their effects.
    fn settle(&mut self) {
        let now = Instant::now();
        let mut finished = Vec::new();
        for (index, task) in self.tasks.iter_mut().enumerate() {
            if !task.finished && now.duration_since(task.dispatched) >= task.duration {
                task.finished = true;
                finished.push(index);
            }
        }
        for index in finished {
            let Some(task) = self.tasks.get(index) else {
                continue;
            };
            let (vmid, node) = task.target.clone();
            let effect = task.effect.clone();
            let succeeded = task.succeeds();
            if !succeeded {
                match effect {
                    Effect::FinishClone => self.remove_vm(vmid, &node),
                    // A failed migration leaves the VM where it was.
                    Effect::Migrate(_) => {
                        if let Some(vm) = self.vms.get_mut(&vmid).and_then(|n| n.get_mut(&node)) {
                            vm.lock = None;
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if let Effect::Migrate(to) = &effect {
                if let Some(by_node) = self.vms.get_mut(&vmid)
                    && let Some(mut vm) = by_node.remove(&node)
                {
                    vm.lock = None;
                    by_node.insert(to.clone(), vm);
                }
                continue;
            }
            if effect == Effect::Destroy {
                self.remove_vm(vmid, &node);
                continue;
            }
            let Some(vm) = self
                .vms
                .get_mut(&vmid)
                .and_then(|by_node| by_node.get_mut(&node))
            else {
                continue;
            };
            match effect {
                Effect::Nothing | Effect::Destroy | Effect::Migrate(_) => {}
                Effect::FinishClone => vm.lock = None,
                Effect::Start | Effect::Reboot => {
                    vm.running = true;
                    vm.paused = false;
                    vm.started = Some(Instant::now());
                }
                Effect::Stop => {
                    vm.running = false;
                    vm.paused = false;
                    vm.started = None;
                }
                Effect::Suspend => vm.paused = true,
                Effect::Resume => vm.paused = false,
            }
        }
    }

    fn remove_vm(&mut self, vmid: u32, node: &str) {
        if let Some(by_node) = self.vms.get_mut(&vmid) {
            by_node.remove(node);
            if by_node.is_empty() {
                self.vms.remove(&vmid);
            }
        }
    }

    /// Memory and disk bytes of the node's VMs (templates excluded), and how
    /// many run.
    fn usage(&self, node: &str) -> (u64, u64, u64) {
        let mut mem = 0;
        let mut disk = 0;
        let mut running = 0;
        for by_node in self.vms.values() {
            if let Some(vm) = by_node.get(node)
                && !vm.template
            {
                mem += vm.memory_mb() * MIB;
                disk += vm.disk_bytes();
                running += u64::from(vm.running);
            }
        }
        (mem, disk, running)
    }

    fn check_node(&self, node: &str) -> Result<(), ApiError> {
        match self.nodes.iter().find(|n| n.name == node) {
            None => Err(ApiError::die(format!(
                "hostname lookup '{node}' failed - failed to get address info for: {node}: Name or service not known"
            ))),
            Some(n) if !n.online => Err(ApiError::new(
                595,
                "Errors during connection establishment, proxy handshake: No route to host",
            )),
            Some(_) => Ok(()),
        }
    }

    fn vm(&self, node: &str, vmid: u32) -> Result<&Vm, ApiError> {
        self.vms
            .get(&vmid)
            .and_then(|by_node| by_node.get(node))
            .ok_or_else(|| missing_config(node, vmid))
    }

    fn vm_mut(&mut self, node: &str, vmid: u32) -> Result<&mut Vm, ApiError> {
        self.vms
            .get_mut(&vmid)
            .and_then(|by_node| by_node.get_mut(node))
            .ok_or_else(|| missing_config(node, vmid))
    }

    /// A task the status endpoints may show: known, on that node, and past
    /// the moment right after dispatch when PVE does not know it yet.
    fn visible_task(&self, node: &str, upid: &str) -> Result<&Task, ApiError> {
        if upid.split(':').count() != 9 || !upid.starts_with("UPID:") {
            return Err(ApiError::parameter("upid", "unable to parse worker upid"));
        }
        let task = self
            .tasks
            .iter()
            .find(|task| task.upid == upid && task.node == node)
            .ok_or_else(|| ApiError::new(400, "no such task"))?;
        if !task.finished && task.dispatched.elapsed() < task.unknown_window {
            return Err(ApiError::new(400, "no such task"));
        }
        Ok(task)
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        config: &ProxmoxFakeConfig,
        node: &str,
        task_type: &str,
        id: &str,
        target: (u32, String),
        effect: Effect,
        user: &Principal,
        failure: Option<&str>,
        log: Vec<String>,
    ) -> String {
        self.next_pid += 1 + u32::from(random_bytes::<1>()[0] % 7);
        let pid = self.next_pid;
        let pstart = 0x0380_0000 + (pid & 0xffff) * 3;
        let starttime = unix_now();
        let upid = format!(
            "UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{task_type}:{id}:{}:",
            user.0
        );
        let duration = self.task_duration;
        let unknown_window = if duration.is_zero() {
            Duration::ZERO
        } else {
            config.task_unknown_window.min(duration)
        };
        self.tasks.push(Task {
            upid: upid.clone(),
            node: node.to_owned(),
            task_type: task_type.to_owned(),
            id: id.to_owned(),
            user: user.0.clone(),
            pid,
            pstart,
            starttime,
            dispatched: Instant::now(),
            duration,
            unknown_window,
            target,
            effect,
            outcome: failure.map_or_else(|| "OK".to_owned(), str::to_owned),
            log,
            finished: false,
        });
        // A zero duration must finish at once, for benchmarks.
        if duration.is_zero() {
            self.settle();
        }
        upid
    }
}

fn missing_config(node: &str, vmid: u32) -> ApiError {
    ApiError::die(format!(
        "Configuration file 'nodes/{node}/qemu-server/{vmid}.conf' does not exist"
    ))
}

fn lock_timeout(vmid: u32) -> ApiError {
    ApiError::die(format!(
        "can't lock file '/var/lock/qemu-server/lock-{vmid}.conf' - got timeout"
    ))
}

enum Change {
    Set(String, Value),
    Delete(String),
    Password(String),
}

/// The keys `…/config` takes (beside `ipconfigN`/`netN`), with what is
/// stored as a JSON number.
const CONFIG_KEYS: &[&str] = &[
    "cores",
    "sockets",
    "memory",
    "balloon",
    "name",
    "description",
    "ciuser",
    "cipassword",
    "sshkeys",
    "nameserver",
    "searchdomain",
    "onboot",
    "tags",
    "agent",
    "cpu",
    "boot",
    "ostype",
    "scsihw",
    "serial0",
    "vga",
    "citype",
    "ciupgrade",
    "delete",
    "digest",
    "background_delay",
    "skiplock",
    "revert",
];
const INTEGER_KEYS: &[&str] = &["cores", "sockets", "balloon", "onboot"];
const IGNORED_KEYS: &[&str] = &["digest", "background_delay", "skiplock", "revert"];

/// Checks every parameter as PVE's schema does; all problems at once.
fn validate_config(params: &Params) -> Result<Vec<Change>, ApiError> {
    let mut errors = BTreeMap::new();
    let mut changes = Vec::new();
    for (key, value) in params {
        let indexed = |prefix: &str| {
            key.strip_prefix(prefix)
                .and_then(|index| index.parse::<u8>().ok())
                .is_some_and(|index| index <= 9)
        };
        let is_ipconfig = indexed("ipconfig");
        let is_net = indexed("net");
        if !is_ipconfig && !is_net && !CONFIG_KEYS.contains(&key.as_str()) {
            errors.insert(
                key.clone(),
                "property is not defined in schema and the schema does not allow additional properties"
                    .to_owned(),
            );
            continue;
        }
        if IGNORED_KEYS.contains(&key.as_str()) {
            continue;
        }
        let outcome: Result<Change, String> = if is_ipconfig {
            check_ipconfig(value).map(|()| Change::Set(key.clone(), json!(value)))
        } else if is_net {
            check_net(value).map(|net| Change::Set(key.clone(), json!(net)))
        } else {
            match key.as_str() {
                "delete" => {
                    for deleted in value.split([',', ' ', ';']).filter(|k| !k.is_empty()) {
                        changes.push(Change::Delete(deleted.to_owned()));
                    }
                    continue;
                }
                "cipassword" => Ok(Change::Password(value.clone())),
                "sshkeys" => check_urlencoded(value).map(|()| Change::Set(key.clone(), json!(value))),
                "name" if !is_dns_name(value) => {
                    Err("invalid format - value does not look like a valid DNS name".to_owned())
                }
                "memory" => {
                    let mb = value.trim_start_matches("current=");
                    match mb.parse::<u64>() {
                        Ok(mb) if mb >= 16 => Ok(Change::Set(key.clone(), json!(value))),
                        Ok(_) => Err("value must have a minimum value of 16".to_owned()),
                        Err(_) => Err(format!("invalid format - value '{value}' does not match format")),
                    }
                }
                "nameserver" => value
                    .split_whitespace()
                    .try_for_each(|address| {
                        address.parse::<IpAddr>().map(|_| ()).map_err(|_| {
                            format!("invalid format - value does not look like a valid address: {address}")
                        })
                    })
                    .map(|()| Change::Set(key.clone(), json!(value))),
                integer if INTEGER_KEYS.contains(&integer) => match value.parse::<u64>() {
                    Ok(number) if number >= 1 || integer == "onboot" || integer == "balloon" => {
                        Ok(Change::Set(key.clone(), json!(number)))
                    }
                    Ok(_) => Err("value must have a minimum value of 1".to_owned()),
                    Err(_) => Err(format!("type check ('integer') failed - got '{value}'")),
                },
                _ => Ok(Change::Set(key.clone(), json!(value))),
            }
        };
        match outcome {
            Ok(change) => changes.push(change),
            Err(problem) => {
                errors.insert(key.clone(), problem);
            }
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::parameters(errors))
    }
}

/// `ip=dhcp` or `ip=A.B.C.D/N[,gw=A.B.C.D]`, and their IPv6 siblings.
fn check_ipconfig(value: &str) -> Result<(), String> {
    let invalid = |why: &str| format!("invalid format - {why}");
    for part in value.split(',') {
        let Some((key, setting)) = part.split_once('=') else {
            return Err(invalid(&format!("unable to parse '{part}'")));
        };
        match key {
            "ip" if setting == "dhcp" => {}
            "ip" => {
                let (address, prefix) = setting
                    .split_once('/')
                    .ok_or_else(|| invalid(&format!("ip: invalid format - value does not look like a valid IPv4 network configuration: {setting}")))?;
                let ok = address.parse::<Ipv4Addr>().is_ok()
                    && prefix.parse::<u8>().is_ok_and(|prefix| prefix <= 32);
                if !ok {
                    return Err(invalid(&format!(
                        "ip: invalid format - value does not look like a valid IPv4 network configuration: {setting}"
                    )));
                }
            }
            "gw" => {
                if setting.parse::<Ipv4Addr>().is_err() {
                    return Err(invalid(&format!(
                        "gw: invalid format - value does not look like a valid IPv4 address: {setting}"
                    )));
                }
            }
            "ip6" if matches!(setting, "dhcp" | "auto") => {}
            "ip6" | "gw6" => {
                let address = setting.split('/').next().unwrap_or_default();
                if address.parse::<std::net::Ipv6Addr>().is_err() {
                    return Err(invalid(&format!(
                        "{key}: invalid format - value does not look like a valid IPv6 address"
                    )));
                }
            }
            _ => return Err(invalid(&format!("unknown key '{key}'"))),
        }
    }
    Ok(())
}

/// `model[=MAC],bridge=…,rate=…`; a missing MAC is generated, everything
/// else is kept exactly as sent.
fn check_net(value: &str) -> Result<String, String> {
    const MODELS: &[&str] = &["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"];
    let mut parts = value.split(',');
    let first = parts.next().unwrap_or_default();
    let (model, mac) = match first.split_once('=') {
        Some((model, mac)) => (model, Some(mac)),
        None => (first, None),
    };
    if !MODELS.contains(&model) {
        return Err(format!("invalid format - unknown network model '{model}'"));
    }
    if let Some(mac) = mac
        && !is_mac(mac)
    {
        return Err(format!(
            "invalid format - value does not look like a valid MAC address: {mac}"
        ));
    }
    for part in value.split(',').skip(1) {
        let Some((key, setting)) = part.split_once('=') else {
            return Err(format!("invalid format - unable to parse '{part}'"));
        };
        match key {
            "rate" if setting.parse::<f64>().is_ok_and(|rate| rate >= 0.0) => {}
            "rate" => {
                return Err(format!(
                    "invalid format - rate: type check ('number') failed - got '{setting}'"
                ));
            }
            "bridge" | "firewall" | "tag" | "mtu" | "queues" | "link_down" | "trunks"
            | "macaddr" => {}
            other => return Err(format!("invalid format - unknown key '{other}'")),
        }
    }
    if mac.is_some() {
        Ok(value.to_owned())
    } else {
        let rest = &value[first.len()..];
        Ok(format!("{model}={}{rest}", random_mac()))
    }
}

fn is_mac(mac: &str) -> bool {
    let octets: Vec<&str> = mac.split(':').collect();
    octets.len() == 6
        && octets
            .iter()
            .all(|octet| octet.len() == 2 && octet.chars().all(|c| c.is_ascii_hexdigit()))
}

/// PVE's `urlencoded` format: nothing a form would have to escape, and
/// every `%` followed by two hex digits.
fn check_urlencoded(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.!~*'()%".contains(c);
    let bytes = value.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(index, byte)| {
        *byte != b'%'
            || (bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if value.chars().all(allowed) && escapes_ok {
        Ok(())
    } else {
        Err("invalid format - invalid urlencoded string".to_owned())
    }
}

fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn parse_vmid(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(vmid) if (100..=999_999_999).contains(&vmid) => Ok(vmid),
        Ok(_) => Err("value must have a minimum value of 100".to_owned()),
        Err(_) => Err(format!("type check ('integer') failed - got '{text}'")),
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("type check ('boolean') failed - got '{text}'")),
    }
}

/// `+10G` (relative) or `20G`, `512M`, `1T`, bare bytes; `None` when the
/// text does not match PVE's pattern.
fn parse_size(text: &str) -> Option<(bool, u64)> {
    let (relative, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (number, unit) = match rest.char_indices().last() {
        Some((index, unit)) if unit.is_ascii_alphabetic() => (&rest[..index], Some(unit)),
        _ => (rest, None),
    };
    let multiplier = match unit {
        None => 1,
        Some('K') => 1024,
        Some('M') => MIB,
        Some('G') => GIB,
        Some('T') => 1024 * GIB,
        Some(_) => return None,
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let bytes = (value * multiplier as f64) as u64;
    Some((relative, bytes))
}

/// The `size=` of a drive string, in bytes.
fn disk_size(drive: &str) -> Option<u64> {
    drive
        .split(',')
        .find_map(|part| part.strip_prefix("size="))
        .and_then(parse_size)
        .map(|(_, bytes)| bytes)
}

fn format_size(bytes: u64) -> String {
    if bytes.is_multiple_of(GIB) {
        format!("{}G", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{}M", bytes / MIB)
    } else {
        format!("{}K", bytes.div_ceil(1024))
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn digest(config: &Map<String, Value>) -> String {
    hex::encode(Sha256::digest(
        Value::Object(config.clone()).to_string().as_bytes(),
    ))[..40]
        .to_owned()
}

/// A MAC in Proxmox's OUI, as PVE generates them.
fn random_mac() -> String {
    let [a, b, c] = random_bytes::<3>();
    format!("BC:24:11:{a:02X}:{b:02X}:{c:02X}")
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let mut filled = 0;
    while filled < N {
        let random = uuid::Uuid::new_v4();
        for byte in random.as_bytes() {
            if filled == N {
                break;
            }
            bytes[filled] = *byte;
            filled += 1;
        }
    }
    bytes
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
