//! The billing lifecycle's decisions carried out. Billing's sweep (and a
//! paid renewal invoice) enqueue [`SERVICE_ACTION_JOB`]; this handler
//! suspends, unsuspends or terminates the service: a VPS or hosting
//! account through the same recorded runs as staff actions, a service
//! without remote resources (a domain) by its status alone, and an internet
//! plan by its status and its customer's PPP line (isolated on its MikroTik
//! router when the router's isolation is on). A service already in the wanted state
//! is done; one with another action still running, or still being
//! delivered, is tried again later (the job's backoff).

use std::sync::Arc;

use billing::catalog::spec::ProductKind;
use billing::lifecycle::{LifecycleAction, SERVICE_ACTION_JOB, ServiceActionJob};
use billing::service::{self, ServiceStatus};
use jobs::{JobContext, JobError, Registry};

use crate::actions::{self, ActionRequest, Requester};
use crate::run::Action;
use crate::{Provisioner, ProvisioningError};

pub(crate) fn register_jobs(registry: &mut Registry, provisioner: Arc<Provisioner>) {
    registry.handle(SERVICE_ACTION_JOB, move |job: JobContext| {
        let provisioner = provisioner.clone();
        async move {
            let action: ServiceActionJob = job.payload()?;
            carry_out(&provisioner, action)
                .await
                .map(|_| ())
                .map_err(|error| match error {
                    ProvisioningError::Refused {
                        code: "action_in_progress",
                        ..
                    } => JobError::Retry(anyhow::Error::new(error)),
                    error if error.is_transient() => JobError::Retry(anyhow::Error::new(error)),
                    error => JobError::Permanent(error.to_string()),
                })
        }
    });
}

/// What the handler did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A run was started (its id).
    Started(i64),
    /// The status was set (no remote resources).
    Marked(ServiceStatus),
    /// Nothing to do: the service is there already.
    Nothing,
}

pub async fn carry_out(
    provisioner: &Provisioner,
    job: ServiceActionJob,
) -> Result<Outcome, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    let Some(service) = service::query::find(&mut *tx, job.service_id, None).await? else {
        return Ok(Outcome::Nothing);
    };
    if service.status == ServiceStatus::Pending {
        return Err(ProvisioningError::refused(
            "action_in_progress",
            "the service is still being delivered",
        ));
    }
    let nothing_to_do = match job.action {
        LifecycleAction::Suspend => service.status != ServiceStatus::Active,
        LifecycleAction::Unsuspend => service.status != ServiceStatus::Suspended,
        LifecycleAction::Terminate => matches!(
            service.status,
            ServiceStatus::Terminated | ServiceStatus::Cancelled
        ),
    };
    if nothing_to_do || !billing::lifecycle::still_warranted(&mut tx, &job).await? {
        return Ok(Outcome::Nothing);
    }
    let outcome = match service.kind {
        ProductKind::Vps | ProductKind::Hosting => {
            let action = match job.action {
                LifecycleAction::Suspend => Action::Suspend,
                LifecycleAction::Unsuspend => Action::Unsuspend,
                LifecycleAction::Terminate => Action::Terminate,
            };
            let request = ActionRequest {
                action,
                os_template_id: None,
                package: None,
                node: None,
                code: None,
            };
            let run = actions::request(
                &mut tx,
                &provisioner.sealer,
                &service,
                Requester::Automation,
                &request,
            )
            .await?;
            Outcome::Started(run)
        }
        kind => {
            if kind == ProductKind::Internet {
                // The line follows the service: isolated when it is
                // suspended or ends, restored when it is paid.
                let isolate_line = job.action != LifecycleAction::Unsuspend;
                match crate::isolation::follow_service(
                    &mut tx,
                    &provisioner.sealer,
                    service.id,
                    isolate_line,
                )
                .await
                {
                    Ok(_) => {}
                    // The router may answer later: the job tries again.
                    Err(error) if error.is_transient() => return Err(error),
                    // A line that cannot be changed (no such PPP secret, a
                    // refused command) must not hold the service's status
                    // back: the status moves, and the owner is alerted to
                    // change the line by hand.
                    Err(error) => tracing::error!(
                        service_id = service.id,
                        action = ?job.action,
                        %error,
                        "the internet line could not follow the service; change it on the router by hand"
                    ),
                }
            }
            let status = match job.action {
                LifecycleAction::Suspend => ServiceStatus::Suspended,
                LifecycleAction::Unsuspend => ServiceStatus::Active,
                LifecycleAction::Terminate => service::ended_status(&mut tx, service.id).await?,
            };
            service::set_status(&mut tx, service.id, status).await?;
            Outcome::Marked(status)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}
