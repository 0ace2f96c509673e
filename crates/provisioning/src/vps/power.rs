//! Actions on a delivered VPS: power (start, stop, reboot), a new password
//! without a console, reinstall, and the staff actions suspend, unsuspend,
//! terminate and move to another node. Each is a run of steps like the delivery, so it is
//! recorded, resumable and shown with its progress.

use billing::service::ServiceStatus;
use serde::Deserialize;

use super::deliver::{self, delete_own_vm};
use super::{Instance, client_for, wait};
use crate::integration::remote_proxmox;
use crate::proxmox::{PowerAction, VmConfig};
use crate::run::{self, Action, StepName};
use crate::{Provisioner, ProvisioningError};
use crate::{completion, ip_pool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    PowerOn,
    PowerOff,
    Reboot,
    SetPassword,
    Destroy,
    ChooseTemplate,
    Deliver(deliver::Step),
    MarkSuspended,
    MarkActive,
    ReleaseAddress,
    MarkTerminated,
    Migrate,
    ApplyPlan,
    RestartIfRunning,
}

impl StepName for Step {
    fn name(self) -> &'static str {
        match self {
            Step::PowerOn => "power_on",
            Step::PowerOff => "power_off",
            Step::Reboot => "reboot",
            Step::SetPassword => "set_password",
            Step::Destroy => "destroy_vm",
            Step::ChooseTemplate => "choose_template",
            Step::Deliver(step) => step.name(),
            Step::MarkSuspended => "mark_suspended",
            Step::MarkActive => "mark_active",
            Step::ReleaseAddress => "quarantine_address",
            Step::MarkTerminated => "mark_terminated",
            Step::Migrate => "migrate",
            Step::ApplyPlan => "apply_plan",
            Step::RestartIfRunning => "restart_if_running",
        }
    }
}

/// The steps of `action` on a VPS.
pub fn plan(action: Action) -> &'static [Step] {
    use deliver::Step as D;
    match action {
        Action::Deliver => &[],
        Action::Start => &[Step::PowerOn],
        Action::Stop => &[Step::PowerOff],
        Action::Reboot => &[Step::Reboot],
        Action::ResetPassword => &[Step::SetPassword, Step::Reboot],
        // The template is chosen before anything is destroyed.
        Action::Reinstall => &[
            Step::ChooseTemplate,
            Step::PowerOff,
            Step::Destroy,
            Step::Deliver(D::CloneTemplate),
            Step::Deliver(D::Configure),
            Step::Deliver(D::ResizeDisk),
            Step::PowerOn,
        ],
        Action::Suspend => &[Step::PowerOff, Step::MarkSuspended],
        Action::Unsuspend => &[Step::PowerOn, Step::MarkActive],
        Action::Terminate => &[
            Step::PowerOff,
            Step::Destroy,
            Step::ReleaseAddress,
            Step::MarkTerminated,
        ],
        Action::ChangePackage => &[],
        Action::MoveNode => &[Step::Migrate],
        // New cores and memory take effect when the VM boots again; a
        // stopped VM gets them when its owner starts it.
        Action::ChangePlan => &[Step::ApplyPlan, Step::RestartIfRunning],
    }
}

/// Where a move takes the VM: a node of its cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct MoveParams {
    pub node: String,
}

/// The plan a VM moves to (the run's parameters, from the paid change).
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize)]
pub struct PlanParams {
    pub plan_change_id: i64,
    pub cores: u32,
    pub ram_mb: u32,
    pub disk_gb: u32,
    pub rate_limit_mbps: Option<u32>,
}

/// What a reinstall installs.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ReinstallParams {
    pub os_template_id: i64,
}

pub async fn execute(
    provisioner: &Provisioner,
    run_id: i64,
    service_id: i64,
    action: Action,
    params: &serde_json::Value,
) -> Result<(), ProvisioningError> {
    let steps = plan(action);
    if steps.is_empty() {
        return Err(ProvisioningError::refused(
            "action_not_supported",
            format!("a VPS has no `{}` action", action.as_str()),
        ));
    }
    run::drive(
        &provisioner.pool,
        &provisioner.hooks,
        run_id,
        steps,
        |step| execute_step(provisioner, service_id, step, params),
    )
    .await?;
    refresh_power(provisioner, service_id).await.ok();
    Ok(())
}

async fn execute_step(
    provisioner: &Provisioner,
    service_id: i64,
    step: Step,
    params: &serde_json::Value,
) -> Result<String, ProvisioningError> {
    if let Step::Deliver(step) = step {
        return deliver::execute_step(provisioner, service_id, step).await;
    }
    let instance = Instance::load(&provisioner.pool, service_id).await?;
    match step {
        Step::MarkSuspended => {
            return completion::mark(&provisioner.pool, service_id, ServiceStatus::Suspended).await;
        }
        Step::MarkActive => {
            return completion::mark(&provisioner.pool, service_id, ServiceStatus::Active).await;
        }
        Step::MarkTerminated => {
            return completion::mark(&provisioner.pool, service_id, ServiceStatus::Terminated)
                .await;
        }
        Step::ReleaseAddress => {
            let mut conn = provisioner.pool.acquire().await?;
            ip_pool::quarantine(&mut conn, service_id).await?;
            sqlx::query!(
                "UPDATE vps_instance SET ip_address_id = NULL, power_state = 'absent'
                  WHERE service_id = $1",
                service_id
            )
            .execute(&mut *conn)
            .await?;
            return Ok("address quarantined".into());
        }
        Step::ChooseTemplate => return choose_template(provisioner, &instance, params).await,
        Step::Migrate => return migrate(provisioner, &instance, params).await,
        Step::ApplyPlan => return apply_plan(provisioner, &instance, params).await,
        _ => {}
    }
    let client = client_for(provisioner, &instance).await?;
    let (_, node, vmid) = instance
        .placement()
        .ok_or_else(|| ProvisioningError::refused("not_placed", "the VPS has no VM"))?;
    let status = client.vm_status(node, vmid).await.map_err(remote_proxmox)?;
    let running = status.as_ref().is_some_and(|s| s.running);
    match step {
        Step::PowerOn if running => Ok("running already".into()),
        Step::PowerOn => {
            let upid = client
                .power(node, vmid, PowerAction::Start)
                .await
                .map_err(remote_proxmox)?;
            wait(provisioner, &client, upid).await?;
            Ok("started".into())
        }
        Step::PowerOff if status.is_none() => Ok("no VM".into()),
        Step::PowerOff if !running => Ok("stopped already".into()),
        Step::PowerOff => {
            let upid = client
                .power(node, vmid, PowerAction::Stop)
                .await
                .map_err(remote_proxmox)?;
            wait(provisioner, &client, upid).await?;
            Ok("stopped".into())
        }
        Step::RestartIfRunning if !running => {
            Ok("stopped: the plan applies at its next start".into())
        }
        Step::Reboot | Step::RestartIfRunning => {
            let action = if running {
                PowerAction::Reboot
            } else {
                PowerAction::Start
            };
            let upid = client
                .power(node, vmid, action)
                .await
                .map_err(remote_proxmox)?;
            wait(provisioner, &client, upid).await?;
            Ok(if running { "rebooted" } else { "started" }.into())
        }
        Step::SetPassword => {
            // cloud-init applies a changed configuration at the next boot
            // (Proxmox derives the instance id from it), hence the reboot
            // that follows in the plan.
            let password = String::from_utf8(provisioner.sealer.open(&instance.password)?)
                .map_err(|_| ProvisioningError::Corrupt("VPS password".into()))?;
            let config = VmConfig {
                cipassword: Some(password),
                ..VmConfig::default()
            };
            let upid = client
                .set_config(node, vmid, &config)
                .await
                .map_err(remote_proxmox)?;
            wait(provisioner, &client, upid).await?;
            Ok("new password set".into())
        }
        Step::Destroy => {
            let deleted = delete_own_vm(provisioner, &client, &instance, node, vmid).await?;
            Ok(if deleted { "VM deleted" } else { "no VM" }.into())
        }
        _ => Ok(String::new()),
    }
}

/// Moves the VM to the node `params` names. It looks first, by the VM's
/// name, where the VM is: already on the target (a migration whose answer
/// was lost, or a rerun after it finished) is only recorded. A running VM
/// moves live; its local disks move with it.
async fn migrate(
    provisioner: &Provisioner,
    instance: &Instance,
    params: &serde_json::Value,
) -> Result<String, ProvisioningError> {
    let params: MoveParams = serde_json::from_value(params.clone())
        .map_err(|e| ProvisioningError::Corrupt(format!("move parameters: {e}")))?;
    let client = client_for(provisioner, instance).await?;
    let (found_on, vm) = client
        .find_vm_by_name(&instance.vm_name)
        .await
        .map_err(remote_proxmox)?
        .ok_or_else(|| ProvisioningError::refused("vm_missing", "the VM is not on its cluster"))?;
    let detail = if found_on == params.node {
        format!("on {found_on} already")
    } else {
        let upid = client
            .migrate(&found_on, vm.vmid, &params.node, vm.status == "running")
            .await
            .map_err(remote_proxmox)?;
        wait(provisioner, &client, Some(upid)).await?;
        format!("moved from {found_on} to {}", params.node)
    };
    sqlx::query!(
        "UPDATE vps_instance SET node = $2 WHERE service_id = $1",
        instance.service_id,
        params.node
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(detail)
}

/// Gives the VM its new plan: the instance's record first (what the VM
/// should have), then cores and memory, the rate limit, and a larger disk.
/// Each part looks before it acts, so a rerun only finishes what is left.
/// A disk never shrinks (the change was refused before it was paid).
async fn apply_plan(
    provisioner: &Provisioner,
    instance: &Instance,
    params: &serde_json::Value,
) -> Result<String, ProvisioningError> {
    let plan: PlanParams = serde_json::from_value(params.clone())
        .map_err(|e| ProvisioningError::Corrupt(format!("plan parameters: {e}")))?;
    let disk_gb = plan
        .disk_gb
        .max(u32::try_from(instance.disk_gb).unwrap_or(0));
    sqlx::query!(
        "UPDATE vps_instance SET cores = $2, ram_mb = $3, disk_gb = $4, rate_limit_mbps = $5
          WHERE service_id = $1",
        instance.service_id,
        plan.cores as i32,
        plan.ram_mb as i32,
        disk_gb as i32,
        plan.rate_limit_mbps.map(|r| r as i32)
    )
    .execute(&provisioner.pool)
    .await?;
    let client = client_for(provisioner, instance).await?;
    let (_, node, vmid) = instance
        .placement()
        .ok_or_else(|| ProvisioningError::refused("not_placed", "the VPS has no VM"))?;
    let config = VmConfig {
        cores: Some(plan.cores),
        memory_mb: Some(plan.ram_mb),
        ..VmConfig::default()
    };
    let upid = client
        .set_config(node, vmid, &config)
        .await
        .map_err(remote_proxmox)?;
    wait(provisioner, &client, upid).await?;
    client
        .set_network_rate(node, vmid, plan.rate_limit_mbps)
        .await
        .map_err(remote_proxmox)?;
    let vm = client.vm_config(node, vmid).await.map_err(remote_proxmox)?;
    let disk = deliver::system_disk(&vm);
    let upid = client
        .resize_disk(node, vmid, &disk, disk_gb)
        .await
        .map_err(remote_proxmox)?;
    wait(provisioner, &client, upid).await?;
    Ok(format!(
        "{} cores, {} MB, {disk} at {disk_gb} GB",
        plan.cores, plan.ram_mb
    ))
}

/// A reinstall may change the OS: the template for it on the VM's node.
async fn choose_template(
    provisioner: &Provisioner,
    instance: &Instance,
    params: &serde_json::Value,
) -> Result<String, ProvisioningError> {
    let params: ReinstallParams = serde_json::from_value(params.clone())
        .map_err(|e| ProvisioningError::Corrupt(format!("reinstall parameters: {e}")))?;
    let template = sqlx::query!(
        "SELECT vmid FROM pve_template
          WHERE integration_id = $1 AND node = $2 AND os_template_id = $3 AND present
          ORDER BY vmid LIMIT 1",
        instance.integration_id,
        instance.node,
        params.os_template_id
    )
    .fetch_optional(&provisioner.pool)
    .await?
    .ok_or_else(|| {
        ProvisioningError::refused("no_template", "the VM's node has no template for that OS")
    })?;
    sqlx::query!(
        "UPDATE vps_instance SET os_template_id = $2, template_vmid = $3 WHERE service_id = $1",
        instance.service_id,
        params.os_template_id,
        template.vmid
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(format!("template {}", template.vmid))
}

/// Asks Proxmox whether the VM runs and records the answer.
pub async fn refresh_power(
    provisioner: &Provisioner,
    service_id: i64,
) -> Result<String, ProvisioningError> {
    let instance = Instance::load(&provisioner.pool, service_id).await?;
    let Some((_, node, vmid)) = instance.placement() else {
        return Ok("unknown".into());
    };
    let client = client_for(provisioner, &instance).await?;
    let state = match client.vm_status(node, vmid).await.map_err(remote_proxmox)? {
        None => "absent",
        Some(status) if status.qmpstatus.as_deref() == Some("paused") => "paused",
        Some(status) if status.running => "running",
        Some(_) => "stopped",
    };
    sqlx::query!(
        "UPDATE vps_instance SET power_state = $2, power_checked_at = now() WHERE service_id = $1",
        service_id,
        state
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(state.to_owned())
}
