//! What the client sends and reads: PVE's JSON turned into types, leniently
//! where PVE is loose (numbers that come as strings, `template` as 1 or
//! absent), and the requests built from checked values.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;
use serde_json::Value;

use super::{ProxmoxError, upid::Upid};

/// `GET /version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PveVersion {
    pub version: String,
    pub release: String,
}

/// One node of `GET /nodes`; an offline node reports zeros.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeStatus {
    pub node: String,
    pub online: bool,
    /// Load as a 0..1 fraction.
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
}

/// One VM of `GET /nodes/{node}/qemu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmSummary {
    pub vmid: u32,
    pub name: Option<String>,
    /// `running` or `stopped`.
    pub status: String,
    pub template: bool,
    pub lock: Option<String>,
    pub cpus: u32,
    pub maxmem: u64,
    pub maxdisk: u64,
}

/// `POST …/{template}/clone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneRequest {
    pub newid: u32,
    /// A DNS name, as PVE requires.
    pub name: String,
    /// A full copy; `false` is a linked clone (templates only).
    pub full: bool,
    /// Another node (needs shared storage).
    pub target: Option<String>,
    /// Full clones only.
    pub storage: Option<String>,
    pub description: Option<String>,
}

/// A static IPv4 address for `ipconfig0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpConfig {
    pub address: Ipv4Addr,
    /// 0 to 32.
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
}

impl IpConfig {
    /// `ip=10.0.0.5/24,gw=10.0.0.1`.
    pub fn to_ipconfig(&self) -> Result<String, ProxmoxError> {
        if self.prefix_len > 32 {
            return Err(ProxmoxError::Protocol(format!(
                "prefix length {} is not an IPv4 prefix",
                self.prefix_len
            )));
        }
        Ok(format!(
            "ip={}/{},gw={}",
            self.address, self.prefix_len, self.gateway
        ))
    }
}

/// Settings of `…/config`; `None` leaves a setting as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VmConfig {
    pub cores: Option<u32>,
    pub memory_mb: Option<u32>,
    pub ciuser: Option<String>,
    pub cipassword: Option<String>,
    /// Raw `authorized_keys` text, one key a line; the client encodes it.
    pub ssh_keys: Option<String>,
    pub ip: Option<IpConfig>,
    /// Empty: unchanged.
    pub nameservers: Vec<IpAddr>,
    pub name: Option<String>,
    pub description: Option<String>,
}

impl std::fmt::Debug for VmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmConfig")
            .field("cores", &self.cores)
            .field("memory_mb", &self.memory_mb)
            .field("ciuser", &self.ciuser)
            .field("cipassword", &self.cipassword.as_ref().map(|_| "***"))
            .field(
                "ssh_keys",
                &self.ssh_keys.as_ref().map(|keys| keys.lines().count()),
            )
            .field("ip", &self.ip)
            .field("nameservers", &self.nameservers)
            .field("name", &self.name)
            .field("description", &self.description)
            .finish()
    }
}

impl VmConfig {
    /// The form parameters PVE takes.
    pub(crate) fn to_params(&self) -> Result<Vec<(&'static str, String)>, ProxmoxError> {
        let mut params = Vec::new();
        if let Some(cores) = self.cores {
            params.push(("cores", cores.to_string()));
        }
        if let Some(memory) = self.memory_mb {
            params.push(("memory", memory.to_string()));
        }
        if let Some(user) = &self.ciuser {
            params.push(("ciuser", user.clone()));
        }
        if let Some(password) = &self.cipassword {
            params.push(("cipassword", password.clone()));
        }
        if let Some(keys) = &self.ssh_keys {
            params.push(("sshkeys", encode_ssh_keys(keys)));
        }
        if let Some(ip) = &self.ip {
            params.push(("ipconfig0", ip.to_ipconfig()?));
        }
        if !self.nameservers.is_empty() {
            let list: Vec<String> = self.nameservers.iter().map(IpAddr::to_string).collect();
            params.push(("nameserver", list.join(" ")));
        }
        if let Some(name) = &self.name {
            params.push(("name", name.clone()));
        }
        if let Some(description) = &self.description {
            params.push(("description", description.clone()));
        }
        Ok(params)
    }
}

/// PVE's `urlencoded` format for `sshkeys`: every byte but
/// `A-Za-z0-9-._~` escaped (a space as `%20`, never `+`), each key ending
/// in `%0A`. The form layer encodes the result once more, as it must.
pub fn encode_ssh_keys(keys: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut text = String::new();
    for key in keys.lines().map(str::trim).filter(|key| !key.is_empty()) {
        text.push_str(key);
        text.push('\n');
    }
    percent_encoding::utf8_percent_encode(&text, KEEP).to_string()
}

/// The inverse of [`encode_ssh_keys`], for reading a config back.
pub fn decode_ssh_keys(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

/// `POST …/status/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerAction {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Suspend,
    Resume,
}

impl PowerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Stop => "stop",
            PowerAction::Shutdown => "shutdown",
            PowerAction::Reboot => "reboot",
            PowerAction::Suspend => "suspend",
            PowerAction::Resume => "resume",
        }
    }
}

/// `GET …/status/current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmStatus {
    pub running: bool,
    /// `running` or `stopped`.
    pub status: String,
    /// `running`, `paused` (suspended), ...
    pub qmpstatus: Option<String>,
    pub lock: Option<String>,
    pub name: Option<String>,
    /// Seconds.
    pub uptime: u64,
}

/// Where a task is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum TaskStatus {
    Running,
    Stopped { exitstatus: String },
}

impl TaskStatus {
    /// Ended with `OK` or `WARNINGS: n` (and no error in it), as bpg and
    /// Telmate count success.
    pub fn succeeded(&self) -> bool {
        match self {
            TaskStatus::Running => false,
            TaskStatus::Stopped { exitstatus } => {
                exitstatus == "OK"
                    || (exitstatus.starts_with("WARNINGS") && !exitstatus.contains("ERROR"))
            }
        }
    }
}

// ---- lenient reading of PVE's JSON ------------------------------------------

pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
        _ => None,
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn unsigned(value: &Value) -> u64 {
    match value {
        Value::Number(number) => number
            .as_u64()
            .or_else(|| number.as_f64().map(|float| float.max(0.0) as u64))
            .unwrap_or(0),
        other => number(other).map_or(0, |float| float.max(0.0) as u64),
    }
}

pub(crate) fn small(value: &Value) -> u32 {
    u32::try_from(unsigned(value)).unwrap_or(u32::MAX)
}

pub(crate) fn flag(value: &Value) -> bool {
    number(value).is_some_and(|number| number != 0.0)
}

pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

pub(crate) fn upid_of(data: &Value) -> Result<Option<Upid>, ProxmoxError> {
    match data {
        Value::Null => Ok(None),
        Value::String(text) => Upid::parse(text)
            .map(Some)
            .map_err(|error| ProxmoxError::Protocol(error.to_string())),
        _ => Err(ProxmoxError::Protocol(
            "a task answer is neither a UPID nor null".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ssh_keys_are_percent_encoded_with_a_newline_after_each() {
        let keys = "ssh-ed25519 AAAAC3Nz+a/b= budi@laptop\n\n  ssh-rsa AAAAB3 ops@juragan  \n";
        let encoded = encode_ssh_keys(keys);
        assert_eq!(
            encoded,
            "ssh-ed25519%20AAAAC3Nz%2Ba%2Fb%3D%20budi%40laptop%0Assh-rsa%20AAAAB3%20ops%40juragan%0A"
        );
        assert_eq!(
            decode_ssh_keys(&encoded),
            "ssh-ed25519 AAAAC3Nz+a/b= budi@laptop\nssh-rsa AAAAB3 ops@juragan\n"
        );
    }

    #[test]
    fn a_prefix_beyond_32_is_refused_before_sending() {
        let ip = IpConfig {
            address: Ipv4Addr::new(10, 0, 0, 5),
            prefix_len: 33,
            gateway: Ipv4Addr::new(10, 0, 0, 1),
        };
        assert!(ip.to_ipconfig().is_err());
    }

    #[test]
    fn warnings_succeed_and_other_exit_statuses_fail() {
        let stopped = |text: &str| TaskStatus::Stopped {
            exitstatus: text.to_owned(),
        };
        assert!(stopped("OK").succeeded());
        assert!(stopped("WARNINGS: 2").succeeded());
        assert!(!stopped("clone failed: no space").succeeded());
        assert!(!TaskStatus::Running.succeeded());
    }
}
