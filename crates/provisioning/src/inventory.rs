//! What the integrations have: Proxmox nodes with their resources and
//! templates, WHM packages — synced on a schedule and on demand — and the
//! shop's mapping of them: which region a node serves, which catalog OS
//! template a Proxmox template installs.
//!
//! A sync never forgets what the shop mapped: a node or template missing
//! from the cluster is marked absent (its VMs and mapping stay), and comes
//! back with its mapping when it reappears.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Sealer;
use jobs::{JobContext, JobError, Registry};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::ProvisioningError;
use crate::integration::{self, IntegrationKind, remote_proxmox, remote_whm};

/// The periodic sync of every active integration.
pub const SYNC_JOB: &str = "provisioning.sync_inventory";
pub const SYNC_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    pub id: i64,
    pub integration_id: i64,
    pub integration_name: String,
    pub name: String,
    pub region_id: Option<i64>,
    pub online: bool,
    /// CPU load, 0 to 1.
    pub cpu_fraction: f64,
    pub max_cpu: i32,
    pub mem_bytes: i64,
    pub max_mem_bytes: i64,
    pub disk_bytes: i64,
    pub max_disk_bytes: i64,
    pub accepts_new: bool,
    pub present: bool,
    /// VPS services placed on it by the shop.
    pub vps_count: i64,
    pub synced_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: i64,
    pub integration_id: i64,
    pub node: String,
    pub vmid: i32,
    pub name: String,
    pub os_template_id: Option<i64>,
    pub present: bool,
    pub synced_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Package {
    pub id: i64,
    pub integration_id: i64,
    pub name: String,
    pub quota_mb: Option<i64>,
    pub bandwidth_mb: Option<i64>,
    pub present: bool,
    pub synced_at: DateTime<Utc>,
}

/// What a sync found.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SyncReport {
    pub nodes: usize,
    pub templates: usize,
    pub packages: usize,
}

/// Syncs one integration now; records the time or the error on it.
pub async fn sync(
    pool: &PgPool,
    sealer: &Sealer,
    id: i64,
) -> Result<SyncReport, ProvisioningError> {
    let found = integration::find(pool, id)
        .await?
        .ok_or(ProvisioningError::NotFound("no such integration"))?;
    let result = match found.kind {
        IntegrationKind::Proxmox => sync_proxmox(pool, sealer, id).await,
        IntegrationKind::Whm => sync_whm(pool, sealer, id).await,
    };
    sqlx::query!(
        "UPDATE integration SET synced_at = CASE WHEN $2::text IS NULL THEN now() ELSE synced_at END,
                sync_error = $2
          WHERE id = $1",
        id,
        result.as_ref().err().map(ToString::to_string)
    )
    .execute(pool)
    .await?;
    result
}

async fn sync_proxmox(
    pool: &PgPool,
    sealer: &Sealer,
    id: i64,
) -> Result<SyncReport, ProvisioningError> {
    let client = integration::proxmox(pool, sealer, id, integration::PROXMOX_TIMEOUT).await?;
    let nodes = client.nodes().await.map_err(remote_proxmox)?;
    let mut templates = Vec::new();
    for node in nodes.iter().filter(|node| node.online) {
        for vm in client.vms(&node.node).await.map_err(remote_proxmox)? {
            if vm.template {
                templates.push((node.node.clone(), vm));
            }
        }
    }
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE pve_node SET present = false WHERE integration_id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    for node in &nodes {
        sqlx::query!(
            "INSERT INTO pve_node (integration_id, name, online, cpu_fraction, max_cpu, mem_bytes,
                                   max_mem_bytes, disk_bytes, max_disk_bytes, present, synced_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, now())
             ON CONFLICT (integration_id, name) DO UPDATE
             SET online = EXCLUDED.online, cpu_fraction = EXCLUDED.cpu_fraction,
                 max_cpu = EXCLUDED.max_cpu, mem_bytes = EXCLUDED.mem_bytes,
                 max_mem_bytes = EXCLUDED.max_mem_bytes, disk_bytes = EXCLUDED.disk_bytes,
                 max_disk_bytes = EXCLUDED.max_disk_bytes, present = true, synced_at = now()",
            id,
            node.node,
            node.online,
            node.cpu.max(0.0),
            i32::try_from(node.maxcpu).unwrap_or(i32::MAX),
            i64::try_from(node.mem).unwrap_or(i64::MAX),
            i64::try_from(node.maxmem).unwrap_or(i64::MAX),
            i64::try_from(node.disk).unwrap_or(i64::MAX),
            i64::try_from(node.maxdisk).unwrap_or(i64::MAX),
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE pve_template SET present = false WHERE integration_id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    for (node, vm) in &templates {
        let name = vm
            .name
            .clone()
            .unwrap_or_else(|| format!("template {}", vm.vmid));
        // A template with the same name on another node (or before) keeps
        // its mapping: the shop maps an OS once per cluster.
        sqlx::query!(
            "INSERT INTO pve_template (integration_id, node, vmid, name, os_template_id, present, synced_at)
             VALUES ($1, $2, $3, $4,
                     (SELECT os_template_id FROM pve_template
                       WHERE integration_id = $1 AND name = $4 AND os_template_id IS NOT NULL
                       LIMIT 1),
                     true, now())
             ON CONFLICT (integration_id, node, vmid) DO UPDATE
             SET name = EXCLUDED.name, present = true, synced_at = now(),
                 os_template_id = COALESCE(pve_template.os_template_id, EXCLUDED.os_template_id)",
            id,
            node,
            i32::try_from(vm.vmid).unwrap_or(i32::MAX),
            name
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(SyncReport {
        nodes: nodes.len(),
        templates: templates.len(),
        packages: 0,
    })
}

async fn sync_whm(
    pool: &PgPool,
    sealer: &Sealer,
    id: i64,
) -> Result<SyncReport, ProvisioningError> {
    let client = integration::whm(pool, sealer, id, integration::WHM_TIMEOUT).await?;
    let packages = client.list_packages().await.map_err(remote_whm)?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE whm_package SET present = false WHERE integration_id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    for package in &packages {
        sqlx::query!(
            "INSERT INTO whm_package (integration_id, name, quota_mb, bandwidth_mb, present, synced_at)
             VALUES ($1, $2, $3, $4, true, now())
             ON CONFLICT (integration_id, name) DO UPDATE
             SET quota_mb = EXCLUDED.quota_mb, bandwidth_mb = EXCLUDED.bandwidth_mb,
                 present = true, synced_at = now()",
            id,
            package.name,
            package.quota_mb.and_then(|q| i64::try_from(q).ok()),
            package.bandwidth_mb.and_then(|b| i64::try_from(b).ok()),
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(SyncReport {
        nodes: 0,
        templates: 0,
        packages: packages.len(),
    })
}

/// Syncs every active integration; one failing does not stop the others
/// (its error is recorded on it).
pub async fn sync_all(pool: &PgPool, sealer: &Sealer) -> Result<usize, ProvisioningError> {
    let ids = sqlx::query_scalar!("SELECT id FROM integration WHERE active ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut synced = 0;
    for id in ids {
        match sync(pool, sealer, id).await {
            Ok(_) => synced += 1,
            Err(error) => tracing::warn!(integration = id, %error, "inventory sync failed"),
        }
    }
    Ok(synced)
}

pub fn register_jobs(registry: &mut Registry, sealer: std::sync::Arc<Sealer>) {
    registry
        .handle(SYNC_JOB, move |job: JobContext| {
            let sealer = sealer.clone();
            async move {
                sync_all(&job.pool, &sealer)
                    .await
                    .map_err(|e| JobError::Retry(anyhow::Error::new(e)))?;
                Ok(())
            }
        })
        .every(SYNC_JOB, SYNC_JOB, SYNC_INTERVAL);
}

pub async fn nodes(db: impl PgExecutor<'_>) -> Result<Vec<Node>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Node,
        r#"SELECT n.id, n.integration_id, i.name AS integration_name, n.name, n.region_id,
                  n.online, n.cpu_fraction, n.max_cpu, n.mem_bytes, n.max_mem_bytes,
                  n.disk_bytes, n.max_disk_bytes, n.accepts_new, n.present,
                  (SELECT count(*) FROM vps_instance v JOIN service s ON s.id = v.service_id
                    WHERE v.integration_id = n.integration_id AND v.node = n.name
                      AND s.status NOT IN ('terminated', 'cancelled', 'failed')) AS "vps_count!",
                  n.synced_at
             FROM pve_node n JOIN integration i ON i.id = n.integration_id
            ORDER BY i.name, n.name"#
    )
    .fetch_all(db)
    .await?)
}

/// What sysadmin sets on a node.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NodeSettings {
    /// The region the node serves; none keeps it out of placement.
    pub region_id: Option<i64>,
    pub accepts_new: bool,
}

pub async fn set_node(
    db: impl PgExecutor<'_>,
    id: i64,
    settings: &NodeSettings,
) -> Result<(), ProvisioningError> {
    let updated = sqlx::query!(
        "UPDATE pve_node SET region_id = $2, accepts_new = $3 WHERE id = $1",
        id,
        settings.region_id,
        settings.accepts_new
    )
    .execute(db)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            domain::ValidationErrors::single("region_id", "not_found", "no such region").into()
        }
        _ => ProvisioningError::from(error),
    })?
    .rows_affected();
    if updated == 0 {
        return Err(ProvisioningError::NotFound("no such node"));
    }
    Ok(())
}

pub async fn templates(db: impl PgExecutor<'_>) -> Result<Vec<Template>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Template,
        "SELECT id, integration_id, node, vmid, name, os_template_id, present, synced_at
           FROM pve_template ORDER BY integration_id, name, node"
    )
    .fetch_all(db)
    .await?)
}

/// Maps a Proxmox template to the catalog OS template it installs (or
/// unmaps it). Every copy of the template (same name, other nodes of the
/// cluster) follows, so a VM can be cloned on whichever node is chosen.
pub async fn map_template(
    db: impl PgExecutor<'_>,
    id: i64,
    os_template_id: Option<i64>,
) -> Result<(), ProvisioningError> {
    let updated = sqlx::query!(
        "UPDATE pve_template t SET os_template_id = $2
           FROM pve_template chosen
          WHERE chosen.id = $1 AND t.integration_id = chosen.integration_id AND t.name = chosen.name",
        id,
        os_template_id
    )
    .execute(db)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            domain::ValidationErrors::single("os_template_id", "not_found", "no such OS template")
                .into()
        }
        _ => ProvisioningError::from(error),
    })?
    .rows_affected();
    if updated == 0 {
        return Err(ProvisioningError::NotFound("no such template"));
    }
    Ok(())
}

pub async fn packages(db: impl PgExecutor<'_>) -> Result<Vec<Package>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Package,
        "SELECT id, integration_id, name, quota_mb, bandwidth_mb, present, synced_at
           FROM whm_package ORDER BY integration_id, name"
    )
    .fetch_all(db)
    .await?)
}
