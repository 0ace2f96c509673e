//! Delivering a VPS, seed 001's sequence: reserve an IP → choose a node →
//! pick a VM id → full-clone the template → cloud-init (user, password or
//! SSH key, address, nameservers), cores, memory and rate limit → resize the
//! disk → start → RUNNING, IP USED, order ACTIVE, client told.
//!
//! Every step looks before it acts, so running it again after a crash or a
//! lost answer finds its work done and goes on (see [`crate::run`]). A
//! delivery that fails for good is compensated: the half-made VM deleted,
//! the address given back, the order FAILED, staff alerted.

use std::net::IpAddr;

use super::{Instance, client_for, wait};
use crate::integration::remote_proxmox;
use crate::proxmox::{CloneRequest, IpConfig, PowerAction, ProxmoxClient, ProxmoxError, VmConfig};
use crate::run::{self, StepName};
use crate::{Provisioner, ProvisioningError};
use crate::{completion, ip_pool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ReserveIp,
    ChooseNode,
    AllocateVmid,
    CloneTemplate,
    Configure,
    ResizeDisk,
    Start,
    Finish,
}

impl StepName for Step {
    fn name(self) -> &'static str {
        match self {
            Step::ReserveIp => "reserve_ip",
            Step::ChooseNode => "choose_node",
            Step::AllocateVmid => "allocate_vmid",
            Step::CloneTemplate => "clone_template",
            Step::Configure => "configure",
            Step::ResizeDisk => "resize_disk",
            Step::Start => "start",
            Step::Finish => "finish",
        }
    }
}

pub const STEPS: [Step; 8] = [
    Step::ReserveIp,
    Step::ChooseNode,
    Step::AllocateVmid,
    Step::CloneTemplate,
    Step::Configure,
    Step::ResizeDisk,
    Step::Start,
    Step::Finish,
];

/// Runs the delivery's remaining steps.
pub async fn execute(
    provisioner: &Provisioner,
    run_id: i64,
    service_id: i64,
) -> Result<(), ProvisioningError> {
    run::drive(
        &provisioner.pool,
        &provisioner.hooks,
        run_id,
        &STEPS,
        |step| execute_step(provisioner, service_id, step),
    )
    .await
}

pub(crate) async fn execute_step(
    provisioner: &Provisioner,
    service_id: i64,
    step: Step,
) -> Result<String, ProvisioningError> {
    let instance = Instance::load(&provisioner.pool, service_id).await?;
    match step {
        Step::ReserveIp => reserve_ip(provisioner, &instance).await,
        Step::ChooseNode => choose_node(provisioner, &instance).await,
        Step::AllocateVmid => allocate_vmid(provisioner, &instance).await,
        Step::CloneTemplate => clone_template(provisioner, &instance).await,
        Step::Configure => configure(provisioner, &instance).await,
        Step::ResizeDisk => resize_disk(provisioner, &instance).await,
        Step::Start => start(provisioner, &instance).await,
        Step::Finish => finish(provisioner, &instance).await,
    }
}

async fn reserve_ip(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    let lease = ip_pool::reserve(&mut tx, instance.region_id, instance.service_id)
        .await?
        .ok_or_else(|| {
            ProvisioningError::refused(
                "ip_pool_exhausted",
                "no free IPv4 address is left in the region's pools",
            )
        })?;
    sqlx::query!(
        "UPDATE vps_instance SET ip_address_id = $2 WHERE service_id = $1",
        instance.service_id,
        lease.address_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(format!("address {}", lease.address))
}

async fn choose_node(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    if let (Some(node), Some(_)) = (&instance.node, instance.template_vmid) {
        return Ok(format!("node {node} (chosen before)"));
    }
    let mut tx = provisioner.pool.begin().await?;
    // Placements in one region queue here, so each sees the ones before it.
    sqlx::query!(
        "SELECT id FROM pve_node WHERE region_id = $1 ORDER BY id FOR UPDATE",
        instance.region_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mib: i64 = 1024 * 1024;
    let gib: i64 = 1024 * mib;
    let chosen = sqlx::query!(
        r#"WITH pending AS (
               SELECT v.integration_id, v.node,
                      sum(v.ram_mb)::bigint * $3 AS ram, sum(v.disk_gb)::bigint * $4 AS disk
                 FROM vps_instance v
                 JOIN pve_node n ON n.integration_id = v.integration_id AND n.name = v.node
                WHERE v.placed_at > n.synced_at
                GROUP BY v.integration_id, v.node
           )
           SELECT n.integration_id, n.name, t.vmid
             FROM pve_node n
             JOIN integration i ON i.id = n.integration_id AND i.active
             JOIN pve_template t ON t.integration_id = n.integration_id AND t.node = n.name
                                AND t.os_template_id = $2 AND t.present
             LEFT JOIN pending p ON p.integration_id = n.integration_id AND p.node = n.name
            WHERE n.region_id = $1 AND n.online AND n.present AND n.accepts_new
              AND n.max_mem_bytes - n.mem_bytes - COALESCE(p.ram, 0) >= $5::bigint * $3
              AND n.max_disk_bytes - n.disk_bytes - COALESCE(p.disk, 0) >= $6::bigint * $4
            ORDER BY (n.mem_bytes + COALESCE(p.ram, 0))::float8 / GREATEST(n.max_mem_bytes, 1),
                     n.cpu_fraction, n.name
            LIMIT 1"#,
        instance.region_id,
        instance.os_template_id,
        mib,
        gib,
        i64::from(instance.ram_mb),
        i64::from(instance.disk_gb),
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        ProvisioningError::refused(
            "no_node",
            format!(
                "no online node of the region has {} MB of memory and {} GB of disk free \
                 and a template for the chosen OS",
                instance.ram_mb, instance.disk_gb
            ),
        )
    })?;
    sqlx::query!(
        "UPDATE vps_instance SET integration_id = $2, node = $3, template_vmid = $4, placed_at = now()
          WHERE service_id = $1",
        instance.service_id,
        chosen.integration_id,
        chosen.name,
        chosen.vmid
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(format!("node {} (template {})", chosen.name, chosen.vmid))
}

/// Picks the VM id: Proxmox's next free id, but never one the shop gave
/// another VM (`nextid` reserves nothing, so parallel deliveries on one
/// cluster would otherwise get the same one). Taken under a lock per
/// cluster, in the transaction that records it.
async fn allocate_vmid(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    if let Some(vmid) = instance.vmid {
        return Ok(format!("VM id {vmid} (chosen before)"));
    }
    let client = client_for(provisioner, instance).await?;
    let vmid = assign_vmid(provisioner, &client, instance).await?;
    Ok(format!("VM id {vmid}"))
}

async fn assign_vmid(
    provisioner: &Provisioner,
    client: &ProxmoxClient,
    instance: &Instance,
) -> Result<u32, ProvisioningError> {
    let integration_id = instance
        .integration_id
        .ok_or_else(|| ProvisioningError::Corrupt("VM id before node".into()))?;
    let mut tx = provisioner.pool.begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('provisioning.vmid', $1))",
        integration_id
    )
    .execute(&mut *tx)
    .await?;
    let ours = sqlx::query_scalar!(
        "SELECT max(vmid) FROM vps_instance WHERE integration_id = $1",
        integration_id
    )
    .fetch_one(&mut *tx)
    .await?
    .and_then(|vmid| u32::try_from(vmid).ok());
    let next = client.next_id().await.map_err(remote_proxmox)?;
    let mut candidate = next.max(ours.map_or(0, |vmid| vmid + 1));
    // Above Proxmox's own suggestion an id may still be taken by a VM made
    // outside the shop; probe a few.
    let mut probes = 0;
    while candidate != next && !client.is_id_free(candidate).await.map_err(remote_proxmox)? {
        probes += 1;
        if probes > 50 {
            return Err(ProvisioningError::refused(
                "no_vmid",
                "no free VM id found after 50 tries",
            ));
        }
        candidate += 1;
    }
    sqlx::query!(
        "UPDATE vps_instance SET vmid = $2 WHERE service_id = $1",
        instance.service_id,
        i32::try_from(candidate).unwrap_or(i32::MAX)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(candidate)
}

/// Full-clones the template to the chosen id — or adopts the VM a lost
/// answer made, recognised by its name; a stranger's VM on the id sends us
/// to another id.
async fn clone_template(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let client = client_for(provisioner, instance).await?;
    let mut instance = instance.clone();
    for _ in 0..5 {
        let (_, node, vmid) = instance
            .placement()
            .ok_or_else(|| ProvisioningError::Corrupt("clone before the VM id".into()))?;
        let node = node.to_owned();
        match client
            .vm_status(&node, vmid)
            .await
            .map_err(remote_proxmox)?
        {
            Some(status) if status.name.as_deref() == Some(instance.vm_name.as_str()) => {
                wait_unlocked(provisioner, &client, &node, vmid).await?;
                return Ok(format!("adopted VM {vmid}, made by an earlier attempt"));
            }
            Some(_) => {
                // Someone else's VM took the id; pick another.
                sqlx::query!(
                    "UPDATE vps_instance SET vmid = NULL WHERE service_id = $1",
                    instance.service_id
                )
                .execute(&provisioner.pool)
                .await?;
                instance.vmid = None;
                let vmid = assign_vmid(provisioner, &client, &instance).await?;
                instance.vmid = i32::try_from(vmid).ok();
                continue;
            }
            None => {}
        }
        let template = instance
            .template_vmid
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| ProvisioningError::Corrupt("clone without a template".into()))?;
        let request = CloneRequest {
            newid: vmid,
            name: instance.vm_name.clone(),
            full: true,
            target: None,
            storage: None,
            description: Some(format!("Juragan service #{}", instance.service_id)),
        };
        match client.clone_vm(&node, template, &request).await {
            Ok(upid) => {
                wait(provisioner, &client, Some(upid)).await?;
                return Ok(format!("cloned template {template} to VM {vmid} on {node}"));
            }
            // Made meanwhile, by us or not: look again.
            Err(ProxmoxError::AlreadyExists(_)) => continue,
            Err(error) => return Err(remote_proxmox(error)),
        }
    }
    Err(ProvisioningError::Remote {
        system: "Proxmox",
        kind: "conflict",
        transient: true,
        message: "the VM id kept being taken; will try again".into(),
    })
}

/// A clone in progress holds `lock: clone`; configuring before it clears
/// would fail.
async fn wait_unlocked(
    provisioner: &Provisioner,
    client: &ProxmoxClient,
    node: &str,
    vmid: u32,
) -> Result<(), ProvisioningError> {
    let started = std::time::Instant::now();
    loop {
        let status = client.vm_status(node, vmid).await.map_err(remote_proxmox)?;
        if status.as_ref().and_then(|s| s.lock.as_deref()).is_none() {
            return Ok(());
        }
        if started.elapsed() > provisioner.tasks.deadline {
            return Err(ProvisioningError::Remote {
                system: "Proxmox",
                kind: "timeout",
                transient: true,
                message: format!("VM {vmid} is still locked"),
            });
        }
        tokio::time::sleep(provisioner.tasks.poll).await;
    }
}

async fn configure(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let client = client_for(provisioner, instance).await?;
    let (_, node, vmid) = instance
        .placement()
        .ok_or_else(|| ProvisioningError::Corrupt("configure before clone".into()))?;
    let lease = {
        let mut conn = provisioner.pool.acquire().await?;
        ip_pool::lease_of(&mut conn, instance.service_id)
            .await?
            .ok_or_else(|| ProvisioningError::Corrupt("configure without an address".into()))?
    };
    let password = String::from_utf8(provisioner.sealer.open(&instance.password)?)
        .map_err(|_| ProvisioningError::Corrupt("VPS password".into()))?;
    let nameservers: Vec<IpAddr> = if lease.nameservers.is_empty() {
        vec![IpAddr::from([1, 1, 1, 1]), IpAddr::from([8, 8, 8, 8])]
    } else {
        lease.nameservers.clone()
    };
    let config = VmConfig {
        cores: u32::try_from(instance.cores).ok(),
        memory_mb: u32::try_from(instance.ram_mb).ok(),
        ciuser: Some(instance.login_user.clone()),
        cipassword: Some(password),
        ssh_keys: instance.ssh_keys.clone(),
        ip: Some(IpConfig {
            address: lease.address,
            prefix_len: lease.prefix_len,
            gateway: lease.gateway,
        }),
        nameservers,
        name: None,
        description: None,
    };
    let upid = client
        .set_config(node, vmid, &config)
        .await
        .map_err(remote_proxmox)?;
    wait(provisioner, &client, upid).await?;
    if let Some(rate) = instance.rate_limit_mbps {
        client
            .set_network_rate(node, vmid, u32::try_from(rate).ok())
            .await
            .map_err(remote_proxmox)?;
    }
    Ok(format!(
        "{} cores, {} MB, {}/{} via {}",
        instance.cores, instance.ram_mb, lease.address, lease.prefix_len, lease.gateway
    ))
}

/// The VM's system disk: the first of the usual buses that holds a disk
/// (not a CD-ROM).
pub(crate) fn system_disk(config: &serde_json::Map<String, serde_json::Value>) -> String {
    ["scsi0", "virtio0", "sata0", "ide0"]
        .into_iter()
        .find(|key| {
            config
                .get(*key)
                .and_then(|value| value.as_str())
                .is_some_and(|value| !value.contains("media=cdrom"))
        })
        .unwrap_or("scsi0")
        .to_owned()
}

async fn resize_disk(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let client = client_for(provisioner, instance).await?;
    let (_, node, vmid) = instance
        .placement()
        .ok_or_else(|| ProvisioningError::Corrupt("resize before clone".into()))?;
    let config = client.vm_config(node, vmid).await.map_err(remote_proxmox)?;
    let disk = system_disk(&config);
    let size = u32::try_from(instance.disk_gb).unwrap_or(u32::MAX);
    let upid = client
        .resize_disk(node, vmid, &disk, size)
        .await
        .map_err(remote_proxmox)?;
    wait(provisioner, &client, upid).await?;
    Ok(format!("{disk} at {size} GB"))
}

async fn start(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let client = client_for(provisioner, instance).await?;
    let (_, node, vmid) = instance
        .placement()
        .ok_or_else(|| ProvisioningError::Corrupt("start before clone".into()))?;
    let running = client
        .vm_status(node, vmid)
        .await
        .map_err(remote_proxmox)?
        .is_some_and(|status| status.running);
    if !running {
        let upid = client
            .power(node, vmid, PowerAction::Start)
            .await
            .map_err(remote_proxmox)?;
        wait(provisioner, &client, upid).await?;
    }
    Ok(if running {
        "running already".to_owned()
    } else {
        "started".to_owned()
    })
}

async fn finish(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<String, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    ip_pool::mark_used(&mut tx, instance.service_id).await?;
    sqlx::query!(
        "UPDATE vps_instance SET power_state = 'running', power_checked_at = now()
          WHERE service_id = $1",
        instance.service_id
    )
    .execute(&mut *tx)
    .await?;
    let lease = ip_pool::lease_of(&mut tx, instance.service_id).await?;
    let address = lease.map(|l| l.address.to_string()).unwrap_or_default();
    completion::delivered(
        &mut tx,
        instance.service_id,
        "VPS running",
        &format!(
            "IP: {address}\nLogin: {}\nKata sandi / password: area klien → Layanan (ditampilkan sekali / shown once)",
            instance.login_user
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("running at {address}"))
}

/// Undoes a delivery that failed for good: deletes the VM it made (found by
/// id and name, never a stranger's), gives the address back. Returns what
/// it could not undo, for the staff alert.
pub(crate) async fn compensate(
    provisioner: &Provisioner,
    service_id: i64,
) -> Result<Vec<String>, ProvisioningError> {
    let instance = Instance::load(&provisioner.pool, service_id).await?;
    let mut left = Vec::new();
    if let Some((_, node, vmid)) = instance.placement() {
        match client_for(provisioner, &instance).await {
            Ok(client) => {
                if let Err(error) = delete_own_vm(provisioner, &client, &instance, node, vmid).await
                {
                    left.push(format!("VM {vmid} on {node} could not be deleted: {error}"));
                }
            }
            Err(error) => left.push(format!("VM {vmid} on {node}: {error}")),
        }
    }
    let mut tx = provisioner.pool.begin().await?;
    ip_pool::release_unused(&mut tx, service_id).await?;
    if left.is_empty() {
        // A retry starts over: another node, another id.
        sqlx::query!(
            "UPDATE vps_instance SET integration_id = NULL, node = NULL, template_vmid = NULL,
                    vmid = NULL, placed_at = NULL, ip_address_id = NULL, power_state = 'absent'
              WHERE service_id = $1",
            service_id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(left)
}

/// Stops and deletes the instance's VM if it is there and is ours.
pub(crate) async fn delete_own_vm(
    provisioner: &Provisioner,
    client: &ProxmoxClient,
    instance: &Instance,
    node: &str,
    vmid: u32,
) -> Result<bool, ProvisioningError> {
    let Some(status) = client.vm_status(node, vmid).await.map_err(remote_proxmox)? else {
        return Ok(false);
    };
    if status.name.as_deref() != Some(instance.vm_name.as_str()) {
        return Ok(false);
    }
    wait_unlocked(provisioner, client, node, vmid).await?;
    if status.running {
        let upid = client
            .power(node, vmid, PowerAction::Stop)
            .await
            .map_err(remote_proxmox)?;
        wait(provisioner, client, upid).await?;
    }
    let upid = client.delete_vm(node, vmid).await.map_err(remote_proxmox)?;
    wait(provisioner, client, upid).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_disk_is_the_first_disk_that_is_not_a_cdrom() {
        let config: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"ide0":"local:iso/x.iso,media=cdrom","virtio0":"local-lvm:vm-105-disk-0,size=10G"}"#,
        )
        .expect("json");
        assert_eq!(system_disk(&config), "virtio0");
        assert_eq!(system_disk(&serde_json::Map::new()), "scsi0");
    }
}
