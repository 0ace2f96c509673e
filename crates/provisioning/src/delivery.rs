//! The handler of billing's delivery job, and of the runs it starts.
//!
//! `order.deliver` (enqueued by billing when the invoice is paid) delivers
//! a digital item at once; for a VPS, hosting account or domain it records
//! what is to be made, moves the order to PROVISIONING and starts a
//! delivery [`run`]. The run's own job ([`run::RUN_JOB`]) does the remote
//! work step by step; a transient failure (a node unreachable, a lock
//! timeout) is retried with backoff, a permanent one — or one that outlives
//! the retries — is compensated, the order marked FAILED, staff alerted,
//! and sysadmin can retry it ([`retry`]).

use std::sync::Arc;

use billing::order::delivery::{DELIVERY_JOB, DeliveryJob};
use billing::order::status as order_status;
use billing::service::{self, ServiceStatus};
use domain::OrderStatus;
use jobs::{JobContext, JobError, Registry};
use notify::alert::{self, AlertKind, NewAlert};
use uuid::Uuid;

use crate::run::{self, Action, RunJob, RunStatus};
use crate::{Provisioner, ProvisioningError, digital, domain_order, hosting, vps};

pub fn register_jobs(registry: &mut Registry, provisioner: Provisioner) {
    let provisioner = Arc::new(provisioner);
    let for_orders = provisioner.clone();
    registry.handle(DELIVERY_JOB, move |job: JobContext| {
        let provisioner = for_orders.clone();
        async move {
            let DeliveryJob { order_id } = job.payload()?;
            begin(&provisioner, order_id).await.map_err(job_error)
        }
    });
    let for_runs = provisioner.clone();
    registry.handle(run::RUN_JOB, move |job: JobContext| {
        let provisioner = for_runs.clone();
        async move {
            let RunJob { run_id } = job.payload()?;
            let last_attempt = job.attempt >= job.max_attempts;
            carry_out(&provisioner, run_id, last_attempt).await
        }
    });
    crate::inventory::register_jobs(registry, provisioner.sealer.clone());
    crate::lifecycle::register_jobs(registry, provisioner.clone());
    crate::plan_change::register_jobs(registry, provisioner.clone());
}

fn job_error(error: ProvisioningError) -> JobError {
    if error.is_transient() {
        JobError::Retry(anyhow::Error::new(error))
    } else {
        JobError::Permanent(error.to_string())
    }
}

/// Starts delivering a paid order. Idempotent: an order past PAID has been
/// started already.
pub async fn begin(provisioner: &Provisioner, order_id: i64) -> Result<(), ProvisioningError> {
    let kind = sqlx::query_scalar!(
        "SELECT product_kind FROM customer_order WHERE id = $1",
        order_id
    )
    .fetch_optional(&provisioner.pool)
    .await?
    .ok_or(ProvisioningError::NotFound("no such order"))?;
    match kind.as_str() {
        "digital" => Ok(digital::deliver(&provisioner.pool, &provisioner.sealer, order_id).await?),
        "vps" | "hosting" | "domain" => begin_service(provisioner, order_id, &kind).await,
        "internet" => begin_internet_line(provisioner, order_id).await,
        other => {
            // Data packages come with the provider's work; until then the
            // order waits, PAID.
            tracing::info!(
                order_id,
                kind = other,
                "no delivery for this kind yet; the order stays paid"
            );
            Ok(())
        }
    }
}

/// An internet plan is delivered by registering its line: the customer
/// appears in the ISP customers list for the technician to set up (router
/// and PPPoE name), and the service is active from now; nothing remote is
/// created until then.
async fn begin_internet_line(
    provisioner: &Provisioner,
    order_id: i64,
) -> Result<(), ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    if order_status::lock(&mut tx, order_id).await? != OrderStatus::Paid {
        return Ok(());
    }
    let service_id = service::create_for_order(&mut tx, order_id)
        .await?
        .ok_or_else(|| ProvisioningError::Corrupt(format!("order {order_id} has no service")))?;
    monitoring::isp::customer::register_for_service(&mut tx, service_id)
        .await
        .map_err(|error| ProvisioningError::Corrupt(error.to_string()))?;
    order_status::transition(
        &mut tx,
        order_id,
        OrderStatus::Provisioning,
        "line registered",
        None,
    )
    .await?;
    crate::completion::delivered(
        &mut tx,
        service_id,
        "line registered",
        "Teknisi kami akan menghubungi Anda untuk jadwal pemasangan.",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn begin_service(
    provisioner: &Provisioner,
    order_id: i64,
    kind: &str,
) -> Result<(), ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    if order_status::lock(&mut tx, order_id).await? != OrderStatus::Paid {
        return Ok(());
    }
    let service_id = match service::create_for_order(&mut tx, order_id).await? {
        Some(id) => id,
        None => {
            return Err(ProvisioningError::Corrupt(format!(
                "order {order_id} has no service"
            )));
        }
    };
    match kind {
        "vps" => vps::create_instance(&mut tx, &provisioner.sealer, service_id, order_id).await?,
        "hosting" => {
            hosting::create_account_record(&mut tx, &provisioner.sealer, service_id, order_id)
                .await?;
        }
        _ => domain_order::create_record(&mut tx, provisioner, service_id, order_id).await?,
    }
    order_status::transition(
        &mut tx,
        order_id,
        OrderStatus::Provisioning,
        "delivery started",
        None,
    )
    .await?;
    run::start(
        &mut tx,
        service_id,
        Action::Deliver,
        serde_json::json!({}),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Carries out a run; the job's verdict.
pub async fn carry_out(
    provisioner: &Provisioner,
    run_id: i64,
    last_attempt: bool,
) -> Result<(), JobError> {
    let Some(found) = run::find(&provisioner.pool, run_id)
        .await
        .map_err(job_error)?
    else {
        return Err(JobError::Permanent(format!("run {run_id} does not exist")));
    };
    if found.status != RunStatus::Running {
        return Ok(());
    }
    let result = execute(provisioner, &found).await;
    match result {
        Ok(()) => {
            let mut conn = provisioner.pool.acquire().await.map_err(JobError::from)?;
            run::finish(&mut conn, run_id, RunStatus::Succeeded, None)
                .await
                .map_err(job_error)?;
            Ok(())
        }
        Err(error) if error.is_transient() && !last_attempt => {
            tracing::warn!(run_id, %error, "provisioning step failed; will retry");
            Err(JobError::Retry(anyhow::Error::new(error)))
        }
        Err(error) => {
            fail(provisioner, &found, &error).await.map_err(job_error)?;
            Ok(())
        }
    }
}

async fn execute(provisioner: &Provisioner, found: &run::Run) -> Result<(), ProvisioningError> {
    let service = service::query::find(&provisioner.pool, found.service_id, None)
        .await?
        .ok_or(ProvisioningError::NotFound("no such service"))?;
    use billing::catalog::spec::ProductKind;
    match (service.kind, found.action) {
        (ProductKind::Vps, Action::Deliver) => {
            vps::deliver::execute(provisioner, found.id, service.id).await
        }
        (ProductKind::Vps, action) => {
            vps::power::execute(provisioner, found.id, service.id, action, &found.params).await
        }
        (ProductKind::Hosting, action) => {
            hosting::execute(provisioner, found.id, service.id, action, &found.params).await
        }
        (ProductKind::Domain, Action::Deliver) => {
            domain_order::execute(provisioner, found.id, service.id).await
        }
        (kind, action) => Err(ProvisioningError::refused(
            "action_not_supported",
            format!("no `{}` for a {kind} service", action.as_str()),
        )),
    }
}

/// A run that failed for good: a delivery is undone as far as it went and
/// its order marked FAILED; any run is recorded failed and staff alerted.
async fn fail(
    provisioner: &Provisioner,
    found: &run::Run,
    error: &ProvisioningError,
) -> Result<(), ProvisioningError> {
    let service = service::query::find(&provisioner.pool, found.service_id, None)
        .await?
        .ok_or(ProvisioningError::NotFound("no such service"))?;
    let mut left = Vec::new();
    if found.action == Action::Deliver {
        use billing::catalog::spec::ProductKind;
        let undone = match service.kind {
            ProductKind::Vps => vps::deliver::compensate(provisioner, service.id).await,
            ProductKind::Hosting => Ok(hosting::compensate(provisioner, service.id).await),
            _ => Ok(Vec::new()),
        };
        match undone {
            Ok(problems) => left = problems,
            Err(problem) => left.push(problem.to_string()),
        }
        let detail = if left.is_empty() {
            "undone: half-made VM deleted, address released".to_owned()
        } else {
            left.join("; ")
        };
        run::note(
            &provisioner.pool,
            found.id,
            "compensate",
            if left.is_empty() {
                run::StepStatus::Done
            } else {
                run::StepStatus::Failed
            },
            &detail,
        )
        .await?;
    }
    let mut tx = provisioner.pool.begin().await?;
    if found.action == Action::Deliver {
        service::set_status(&mut tx, service.id, ServiceStatus::Failed).await?;
        if order_status::lock(&mut tx, service.order_id).await? == OrderStatus::Provisioning {
            order_status::transition(
                &mut tx,
                service.order_id,
                OrderStatus::Failed,
                &format!("delivery failed: {error}"),
                None,
            )
            .await?;
        }
    }
    run::finish(
        &mut tx,
        found.id,
        RunStatus::Failed,
        Some(&error.to_string()),
    )
    .await?;
    let mut detail = format!(
        "{} of service #{} ({}) failed: {error}",
        found.action.as_str(),
        service.id,
        service.label
    );
    if !left.is_empty() {
        detail.push_str(&format!("\nLeft to clean up by hand: {}", left.join("; ")));
    }
    alert::raise(
        &mut tx,
        &NewAlert {
            kind: AlertKind::Error,
            source: "provisioning".into(),
            title: format!("Provisioning failed: {}", found.action.as_str()),
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sysadmin's "retry" on a failed delivery: the service and order go back
/// to provisioning and a new delivery run starts where the failure left
/// (compensation cleared what had to be made again).
pub async fn retry(
    provisioner: &Provisioner,
    run_id: i64,
    actor: Uuid,
) -> Result<i64, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    let found = run::find(&mut *tx, run_id)
        .await?
        .ok_or(ProvisioningError::NotFound("no such run"))?;
    if found.status != RunStatus::Failed {
        return Err(ProvisioningError::refused(
            "run_not_failed",
            "only a failed run can be retried",
        ));
    }
    let service = service::query::find(&mut *tx, found.service_id, None)
        .await?
        .ok_or(ProvisioningError::NotFound("no such service"))?;
    if found.action == Action::Deliver {
        if service.status != ServiceStatus::Failed {
            return Err(ProvisioningError::refused(
                "run_not_failed",
                "the service is no longer failed",
            ));
        }
        service::set_status(&mut tx, service.id, ServiceStatus::Pending).await?;
        if order_status::lock(&mut tx, service.order_id).await? == OrderStatus::Failed {
            order_status::transition(
                &mut tx,
                service.order_id,
                OrderStatus::Provisioning,
                "delivery retried by sysadmin",
                Some(actor),
            )
            .await?;
        }
    }
    let new_run = run::start(
        &mut tx,
        service.id,
        found.action,
        found.params.clone(),
        Some(actor),
    )
    .await?;
    tx.commit().await?;
    Ok(new_run)
}
