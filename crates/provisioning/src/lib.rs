//! Provisioning: delivering what billing sold. Proxmox VMs ([`vps`]), WHM
//! hosting accounts ([`hosting`]), domain registrations ([`domain_order`]),
//! IP pools ([`ip_pool`]) and digital goods ([`digital`]), on the
//! integrations sysadmin manages ([`integration`], [`inventory`]). May read
//! what billing sold, never the other way round.
//!
//! Billing hands a paid order over through the job named in
//! `billing::order::delivery` (`order.deliver`); this crate registers its
//! handler ([`delivery`]), which starts a [`run`]: the delivery, carried out
//! step by step by a job of its own, every step recorded and resumable.
//! Client and staff actions on a service (start, stop, reinstall, suspend,
//! terminate, …) are runs too ([`actions`]).

pub mod actions;
pub mod completion;
pub mod delivery;
pub mod digital;
pub mod domain_order;
mod error;
pub mod hosting;
pub mod integration;
pub mod inventory;
pub mod ip_pool;
pub mod isolation;
pub mod lifecycle;
pub mod plan_change;
pub mod proxmox;
pub mod registrar;
pub mod run;
pub mod vps;
pub mod whm;

use std::sync::Arc;
use std::time::Duration;

use domain::Sealer;
use futures::future::BoxFuture;
use sqlx::PgPool;

pub use delivery::register_jobs;
pub use error::ProvisioningError;

/// How long to wait for Proxmox tasks (clone, start, delete).
#[derive(Debug, Clone, Copy)]
pub struct TaskTiming {
    /// Between two looks at a running task.
    pub poll: Duration,
    /// The longest a task may run before the step gives up (and is retried).
    pub deadline: Duration,
    /// The longest one Proxmox call may take.
    pub proxmox_call: Duration,
    /// The longest one WHM call may take (`createacct` is slow).
    pub whm_call: Duration,
}

impl Default for TaskTiming {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            // A full clone of a large template on slow storage takes minutes.
            deadline: Duration::from_secs(900),
            proxmox_call: integration::PROXMOX_TIMEOUT,
            whm_call: integration::WHM_TIMEOUT,
        }
    }
}

type StepHook = Arc<dyn Fn(&'static str) -> BoxFuture<'static, ()> + Send + Sync>;

/// Test seams: code run at points of a run, e.g. to kill the worker
/// between two steps. Production uses none.
#[derive(Clone, Default)]
pub struct Hooks {
    step_done: Option<StepHook>,
}

impl Hooks {
    /// `hook` runs after each step is recorded done, before the next starts.
    pub fn on_step_done(
        hook: impl Fn(&'static str) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        Self {
            step_done: Some(Arc::new(hook)),
        }
    }

    pub(crate) async fn step_done(&self, step: &'static str) {
        if let Some(hook) = &self.step_done {
            hook(step).await;
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("step_done", &self.step_done.is_some())
            .finish()
    }
}

/// Everything a run needs.
#[derive(Clone)]
pub struct Provisioner {
    pub pool: PgPool,
    pub sealer: Arc<Sealer>,
    pub registrar: Arc<dyn registrar::Registrar>,
    /// The registrar's name as recorded on registrations.
    pub registrar_name: String,
    /// Nameservers a new domain is registered with.
    pub default_nameservers: Vec<String>,
    pub tasks: TaskTiming,
    pub hooks: Hooks,
}
