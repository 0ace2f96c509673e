//! Virtual servers on Proxmox VE: the record of each VPS service's VM
//! ([`Instance`]), its delivery ([`deliver`]) and the power and lifecycle
//! actions on it ([`power`]).
//!
//! Every VM the shop makes is named `svc-{service id}` and carries the
//! service in its description, so a retry that lost the answer to "clone"
//! recognises the VM it made and adopts it instead of making a second.

pub mod deliver;
pub mod power;

use domain::{Sealed, Sealer};
use rand::Rng;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;

use crate::ProvisioningError;
use crate::integration::remote_proxmox;
use crate::proxmox::{ProxmoxClient, Upid};
use crate::{Provisioner, integration};

/// The deterministic name of a service's VM.
pub fn vm_name(service_id: i64) -> String {
    format!("svc-{service_id}")
}

/// A fresh login password: 20 characters of letters and digits (about 119
/// bits), none that look alike, so a client can type it from the screen.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A VPS service's VM as far as delivery has got.
#[derive(Debug, Clone)]
pub struct Instance {
    pub service_id: i64,
    pub vm_name: String,
    pub region_id: i64,
    pub os_template_id: i64,
    pub cores: i32,
    pub ram_mb: i32,
    pub disk_gb: i32,
    pub rate_limit_mbps: Option<i32>,
    pub integration_id: Option<i64>,
    pub node: Option<String>,
    pub template_vmid: Option<i32>,
    pub vmid: Option<i32>,
    pub login_user: String,
    pub password: Sealed,
    pub ssh_keys: Option<String>,
}

impl Instance {
    pub async fn load(
        db: impl PgExecutor<'_>,
        service_id: i64,
    ) -> Result<Instance, ProvisioningError> {
        let row = sqlx::query!(
            "SELECT service_id, vm_name, region_id, os_template_id, cores, ram_mb, disk_gb,
                    rate_limit_mbps, integration_id, node, template_vmid, vmid, login_user,
                    password_key_id, password_sealed, ssh_keys
               FROM vps_instance WHERE service_id = $1",
            service_id
        )
        .fetch_optional(db)
        .await?
        .ok_or(ProvisioningError::NotFound("the service has no VPS record"))?;
        Ok(Instance {
            service_id: row.service_id,
            vm_name: row.vm_name,
            region_id: row.region_id,
            os_template_id: row.os_template_id,
            cores: row.cores,
            ram_mb: row.ram_mb,
            disk_gb: row.disk_gb,
            rate_limit_mbps: row.rate_limit_mbps,
            integration_id: row.integration_id,
            node: row.node,
            template_vmid: row.template_vmid,
            vmid: row.vmid,
            login_user: row.login_user,
            password: Sealed {
                key_id: row.password_key_id,
                bytes: row.password_sealed,
            },
            ssh_keys: row.ssh_keys,
        })
    }

    /// Where the VM lives, once placed and numbered.
    pub fn placement(&self) -> Option<(i64, &str, u32)> {
        Some((
            self.integration_id?,
            self.node.as_deref()?,
            u32::try_from(self.vmid?).ok()?,
        ))
    }
}

/// The order's choices and the product's resources, recorded when the
/// delivery starts.
pub(crate) async fn create_instance(
    conn: &mut PgConnection,
    sealer: &Sealer,
    service_id: i64,
    order_id: i64,
) -> Result<(), ProvisioningError> {
    let order = sqlx::query!(
        r#"SELECT o.region_id, o.os_template_id, p.spec, t.family AS "family?"
             FROM customer_order o
             JOIN product p ON p.id = o.product_id
             LEFT JOIN os_template t ON t.id = o.os_template_id
            WHERE o.id = $1"#,
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let (Some(region_id), Some(os_template_id)) = (order.region_id, order.os_template_id) else {
        return Err(ProvisioningError::Corrupt(format!(
            "VPS order {order_id} has no region or OS template"
        )));
    };
    let spec: billing::catalog::spec::VpsSpec = serde_json::from_value(order.spec.clone())
        .map_err(|e| ProvisioningError::Corrupt(format!("VPS spec of order {order_id}: {e}")))?;
    let login_user = if order.family.as_deref() == Some("windows") {
        "Administrator"
    } else {
        "root"
    };
    let password = sealer.seal(generate_password().as_bytes());
    let to_i32 = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    sqlx::query!(
        "INSERT INTO vps_instance (service_id, vm_name, region_id, os_template_id, cores, ram_mb,
                                   disk_gb, rate_limit_mbps, login_user, password_key_id, password_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (service_id) DO NOTHING",
        service_id,
        vm_name(service_id),
        region_id,
        os_template_id,
        to_i32(spec.cores),
        to_i32(spec.ram_mb),
        to_i32(spec.disk_gb),
        spec.rate_limit_mbps.map(to_i32),
        login_user,
        password.key_id,
        password.bytes,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Waits for a Proxmox task the way every step does.
pub(crate) async fn wait(
    provisioner: &Provisioner,
    client: &ProxmoxClient,
    upid: Option<Upid>,
) -> Result<(), ProvisioningError> {
    if let Some(upid) = upid {
        client
            .wait_task(&upid, provisioner.tasks.poll, provisioner.tasks.deadline)
            .await
            .map_err(remote_proxmox)?;
    }
    Ok(())
}

/// The client for the integration the instance was placed on.
pub(crate) async fn client_for(
    provisioner: &Provisioner,
    instance: &Instance,
) -> Result<ProxmoxClient, ProvisioningError> {
    let id = instance
        .integration_id
        .ok_or_else(|| ProvisioningError::refused("not_placed", "the VPS has no node yet"))?;
    integration::proxmox(
        &provisioner.pool,
        &provisioner.sealer,
        id,
        provisioner.tasks.proxmox_call,
    )
    .await
}

/// A VPS as its client sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VpsDetails {
    pub ip_address: Option<String>,
    pub login_user: String,
    /// The password can still be revealed (once).
    pub password_available: bool,
    pub power_state: String,
    pub power_checked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub cores: i32,
    pub ram_mb: i32,
    pub disk_gb: i32,
    pub region: String,
    pub os: String,
    /// Staff only: where it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmid: Option<i32>,
    /// What a reinstall may put on it: the product's OS templates that
    /// are active and have a template on the VPS's node.
    pub reinstall_choices: Vec<OsChoice>,
    /// Staff only: the nodes of its cluster it can move to (there, online,
    /// not its own); empty for clients.
    pub move_choices: Vec<String>,
}

/// An OS template a reinstall can choose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OsChoice {
    pub id: i64,
    pub name: String,
}

/// What a reinstall of the VPS may install: the product's OS templates
/// that are active and have a template on the VM's node. A reinstall
/// request is checked against this (crate::actions), so the run never
/// deletes the VM and then finds no template to clone.
pub async fn reinstall_choices(
    db: &mut PgConnection,
    service_id: i64,
) -> Result<Vec<OsChoice>, ProvisioningError> {
    Ok(sqlx::query_as!(
        OsChoice,
        "SELECT t.id, t.name
           FROM service s
           JOIN vps_instance v ON v.service_id = s.id
           JOIN product_os_template pot ON pot.product_id = s.product_id
           JOIN os_template t ON t.id = pot.os_template_id
          WHERE s.id = $1 AND t.active
            AND EXISTS (SELECT 1 FROM pve_template pt
                         WHERE pt.integration_id = v.integration_id AND pt.node = v.node
                           AND pt.os_template_id = t.id AND pt.present)
          ORDER BY t.sort_order, t.name",
        service_id
    )
    .fetch_all(db)
    .await?)
}

pub async fn details(
    db: &mut PgConnection,
    service_id: i64,
    for_staff: bool,
) -> Result<Option<VpsDetails>, ProvisioningError> {
    let row = sqlx::query!(
        r#"SELECT host(a.address) AS ip, v.login_user, v.password_shown_at, v.power_state,
                  v.power_checked_at, v.cores, v.ram_mb, v.disk_gb, r.name AS region,
                  t.name AS os, v.node, v.vmid
             FROM vps_instance v
             JOIN region r ON r.id = v.region_id
             JOIN os_template t ON t.id = v.os_template_id
             LEFT JOIN ip_address a ON a.id = v.ip_address_id
            WHERE v.service_id = $1"#,
        service_id
    )
    .fetch_optional(&mut *db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let reinstall_choices = reinstall_choices(&mut *db, service_id).await?;
    let move_choices = if for_staff {
        sqlx::query_scalar!(
            "SELECT n.name FROM vps_instance v
               JOIN pve_node n ON n.integration_id = v.integration_id
              WHERE v.service_id = $1 AND n.present AND n.online AND n.name IS DISTINCT FROM v.node
              ORDER BY n.name",
            service_id
        )
        .fetch_all(&mut *db)
        .await?
    } else {
        Vec::new()
    };
    Ok(Some(VpsDetails {
        ip_address: row.ip,
        login_user: row.login_user,
        password_available: row.password_shown_at.is_none(),
        power_state: row.power_state,
        power_checked_at: row.power_checked_at,
        cores: row.cores,
        ram_mb: row.ram_mb,
        disk_gb: row.disk_gb,
        region: row.region,
        os: row.os,
        node: row.node.filter(|_| for_staff),
        vmid: row.vmid.filter(|_| for_staff),
        reinstall_choices,
        move_choices,
    }))
}
