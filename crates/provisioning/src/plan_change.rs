//! A service's plan change carried to its remote side. Billing applies a
//! paid (or credited) change and enqueues [`PLAN_CHANGE_JOB`]; this handler
//! gives a VPS its new cores, memory, disk and rate limit (a recorded run,
//! like any action), moves a hosting account to its new WHM package (the
//! change-package run) and an internet line to its new PPP profile.
//!
//! Before a change is accepted the API asks [`check`] whether the remote
//! side can follow, so a client never pays for what cannot be done: a
//! VM's disk cannot shrink, and a hosting account's server must have the
//! new package.

use std::sync::Arc;

use billing::catalog::spec::ProductSpec;
use billing::service::ServiceStatus;
use billing::service::plan_change::{self, PLAN_CHANGE_JOB, PlanChangeJob, PlanUnavailable};
use jobs::{JobContext, JobError, Registry};
use sqlx::PgConnection;

use crate::run::{self, Action};
use crate::vps::power::PlanParams;
use crate::{Provisioner, ProvisioningError};

pub(crate) fn register_jobs(registry: &mut Registry, provisioner: Arc<Provisioner>) {
    registry.handle(PLAN_CHANGE_JOB, move |job: JobContext| {
        let provisioner = provisioner.clone();
        async move {
            let change: PlanChangeJob = job.payload()?;
            carry_out(&provisioner, change)
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

fn unavailable(code: &str, message: String) -> Option<PlanUnavailable> {
    Some(PlanUnavailable {
        code: code.to_owned(),
        message,
    })
}

/// Why the service's remote side cannot move to `spec`, or `None` when it
/// can.
pub async fn check(
    conn: &mut PgConnection,
    service_id: i64,
    spec: &ProductSpec,
) -> Result<Option<PlanUnavailable>, ProvisioningError> {
    match spec {
        ProductSpec::Vps(spec) => {
            // The disk the VM has, or the one the service's plan gives it
            // when larger: a paid upgrade moves the service to its plan at
            // once, and the VM's disk follows when its resize run is done.
            // Measured on the VM alone, a downgrade between the two would
            // pass here and its own resize could then only fail.
            let disk = sqlx::query_scalar!(
                r#"SELECT GREATEST(v.disk_gb, (p.spec->>'disk_gb')::int) AS "disk!"
                   FROM vps_instance v
                   JOIN service s ON s.id = v.service_id
                   JOIN product p ON p.id = s.product_id
                   WHERE v.service_id = $1 AND v.vmid IS NOT NULL"#,
                service_id
            )
            .fetch_optional(&mut *conn)
            .await?;
            Ok(match disk {
                None => unavailable("not_delivered", "the VPS is not delivered yet".into()),
                Some(disk) if i64::from(spec.disk_gb) < i64::from(disk) => unavailable(
                    "disk_cannot_shrink",
                    format!(
                        "a disk cannot shrink: the VPS has {disk} GB, this plan {} GB",
                        spec.disk_gb
                    ),
                ),
                Some(_) => None,
            })
        }
        ProductSpec::Hosting(spec) => {
            let known = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM hosting_account h
                                    JOIN whm_package p ON p.integration_id = h.integration_id
                                   WHERE h.service_id = $1 AND p.name = $2 AND p.present) AS "known!""#,
                service_id,
                spec.whm_package
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(if known {
                None
            } else {
                unavailable(
                    "package_unavailable",
                    format!("the account's server has no package {}", spec.whm_package),
                )
            })
        }
        ProductSpec::Internet(_) => Ok(None),
        _ => Ok(unavailable(
            "kind_not_supported",
            "this kind of service has no plans to move between".into(),
        )),
    }
}

/// What the handler did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A run was started (its id).
    Started(i64),
    /// The change was made at once (an internet line); what was done.
    Done(String),
    /// Nothing to do: a run for this change was started before, or the
    /// service is gone.
    Nothing,
}

pub async fn carry_out(
    provisioner: &Provisioner,
    job: PlanChangeJob,
) -> Result<Outcome, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    let (change, spec) = plan_change::target(&mut tx, job.plan_change_id).await?;
    let Some(service) = billing::service::query::find(&mut *tx, change.service_id, None).await?
    else {
        return Ok(Outcome::Nothing);
    };
    match service.status {
        ServiceStatus::Pending => {
            return Err(ProvisioningError::refused(
                "action_in_progress",
                "the service is still being delivered",
            ));
        }
        ServiceStatus::Terminated | ServiceStatus::Cancelled | ServiceStatus::Failed => {
            return Ok(Outcome::Nothing);
        }
        ServiceStatus::Active | ServiceStatus::Suspended => {}
    }
    // The job may run again after its run was started (a worker lost
    // before it finished the job): the run is there, carrying on.
    let started = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM provisioning_run
                           WHERE service_id = $1 AND action IN ('change_plan', 'change_package')
                             AND params ->> 'plan_change_id' = $2::bigint::text) AS "x!""#,
        service.id,
        change.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if started {
        return Ok(Outcome::Nothing);
    }
    let (action, params) = match &spec {
        ProductSpec::Vps(vps) => (
            Action::ChangePlan,
            serde_json::to_value(PlanParams {
                plan_change_id: change.id,
                cores: vps.cores,
                ram_mb: vps.ram_mb,
                disk_gb: vps.disk_gb,
                rate_limit_mbps: vps.rate_limit_mbps,
            })
            .map_err(|e| ProvisioningError::Corrupt(e.to_string()))?,
        ),
        ProductSpec::Hosting(hosting) => (
            Action::ChangePackage,
            serde_json::json!({ "package": hosting.whm_package, "plan_change_id": change.id }),
        ),
        ProductSpec::Internet(internet) => {
            drop(tx);
            let detail = crate::isolation::change_profile(
                &provisioner.pool,
                &provisioner.sealer,
                service.id,
                change.to_product_id,
                &internet.pppoe_profile,
            )
            .await?;
            return Ok(Outcome::Done(detail));
        }
        _ => return Ok(Outcome::Nothing),
    };
    let run = run::start(&mut tx, service.id, action, params, None).await?;
    tx.commit().await?;
    Ok(Outcome::Started(run))
}
