//! TEMPORARY STUB (replaced by the real crate).
use std::time::Duration;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport { Api, ApiTls, Rest }
#[derive(Clone, Debug)]
pub struct RouterConfig { pub host: String, pub port: u16, pub transport: Transport, pub pinned_sha256: Option<[u8; 32]>, pub username: String, pub password: String, pub connect_timeout: Duration, pub reply_timeout: Duration }
pub enum Router { Api(()), Rest(()) }
impl Router { pub async fn connect(_config: &RouterConfig) -> Result<Router, RouterOsError> { Err(RouterOsError::Refused) } }
#[allow(async_fn_in_trait)]
pub trait PppRouter {
    async fn identity(&self) -> Result<String, RouterOsError>;
    async fn resource(&self) -> Result<SystemResource, RouterOsError>;
    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError>;
    async fn secrets(&self, name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError>;
    async fn set_secret(&self, id: &str, change: &SecretChange) -> Result<(), RouterOsError>;
    async fn remove_active(&self, id: &str) -> Result<(), RouterOsError>;
}
impl PppRouter for Router {
    async fn identity(&self) -> Result<String, RouterOsError> { Err(RouterOsError::Refused) }
    async fn resource(&self) -> Result<SystemResource, RouterOsError> { Err(RouterOsError::Refused) }
    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError> { Err(RouterOsError::Refused) }
    async fn secrets(&self, _name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError> { Err(RouterOsError::Refused) }
    async fn set_secret(&self, _id: &str, _change: &SecretChange) -> Result<(), RouterOsError> { Err(RouterOsError::Refused) }
    async fn remove_active(&self, _id: &str) -> Result<(), RouterOsError> { Err(RouterOsError::Refused) }
}
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveSession { pub id: String, pub name: String, pub service: String, pub caller_id: String, pub address: String, pub uptime: Option<Duration>, pub uptime_text: String, pub session_id: String }
#[derive(Debug, Clone, PartialEq)]
pub struct PppSecret { pub id: String, pub name: String, pub profile: String, pub service: String, pub disabled: bool }
#[derive(Debug, Clone, PartialEq)]
pub struct SystemResource { pub version: String, pub board_name: String, pub architecture: String, pub uptime: String, pub cpu_load: Option<u8> }
#[derive(Debug, Clone, Default)]
pub struct SecretChange { pub disabled: Option<bool>, pub profile: Option<String> }
#[derive(Debug, thiserror::Error)]
pub enum RouterOsError { #[error("dns {0}")] Dns(String), #[error("refused")] Refused, #[error("connect timeout")] ConnectTimeout, #[error("reply timeout {command}")] ReplyTimeout { command: String }, #[error("bad credentials")] BadCredentials, #[error("tls {0}")] Tls(String), #[error("trap {message}")] Trap { message: String, category: Option<u8> }, #[error("fatal {0}")] Fatal(String), #[error("protocol {0}")] Protocol(String), #[error("http {status} {message}")] Http { status: u16, message: String }, #[error("io {0}")] Io(String) }
impl RouterOsError { pub fn is_transient(&self) -> bool { matches!(self, RouterOsError::Refused | RouterOsError::ConnectTimeout | RouterOsError::ReplyTimeout{..} | RouterOsError::Io(_) | RouterOsError::Fatal(_) | RouterOsError::Dns(_)) } }
