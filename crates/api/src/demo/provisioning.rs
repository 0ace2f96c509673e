//! Provisioning for `make dev`: the sandbox's Proxmox cluster and WHM
//! server added as integrations and synced, each node serving a demo
//! region, the cloud templates mapped to the catalog's OS templates, and a
//! documentation-range IP pool per region — so a newcomer's paid VPS runs
//! within a minute with no manual step. Idempotent; needs the sandbox
//! running (scripts/dev.sh starts it first).

use domain::Sealer;
use provisioning::integration::{self, AuthMode, IntegrationInput, IntegrationKind};
use provisioning::inventory;
use provisioning::ip_pool::{self, PoolInput};
use sqlx::PgPool;

use super::payments::sandbox_url;

// What the sandbox's fakes accept by default (crates/sandbox).
const SANDBOX_PROXMOX_TOKEN_ID: &str = "juragan@pve!provisioning";
const SANDBOX_PROXMOX_TOKEN_SECRET: &str = "4f0b6a52-8d3e-4c71-9a1f-2e6c5b7d9f30";
const SANDBOX_WHM_TOKEN: &str = "JURAGANSANDBOXWHMTOKEN0123456789";

/// Node → region, template name → OS template code.
const NODES: [(&str, &str); 3] = [
    ("pve-jkt-1", "jkt"),
    ("pve-jkt-2", "sby"),
    ("pve-sg-1", "sgp"),
];
const TEMPLATES: [(&str, &str); 5] = [
    ("ubuntu-24.04-cloud", "ubuntu-24.04"),
    ("debian-12-cloud", "debian-12"),
    ("almalinux-9-cloud", "almalinux-9"),
    ("windows-2022", "windows-2022"),
    ("windows-10", "windows-10"),
];
const POOLS: [(&str, &str, &str, &str); 3] = [
    ("Jakarta publik", "jkt", "203.0.113.0/24", "203.0.113.1"),
    ("Surabaya publik", "sby", "198.51.100.0/25", "198.51.100.1"),
    (
        "Singapura publik",
        "sgp",
        "198.51.100.128/25",
        "198.51.100.129",
    ),
];

pub async fn seed(pool: &PgPool, sealer: &Sealer) -> anyhow::Result<()> {
    let seeded: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM integration)")
        .fetch_one(pool)
        .await?;
    if !seeded {
        let mut tx = pool.begin().await?;
        for input in [
            IntegrationInput {
                kind: IntegrationKind::Proxmox,
                name: "Sandbox Proxmox".to_owned(),
                base_url: sandbox_url("SANDBOX_PROXMOX_ADDR", "127.0.0.1:8030"),
                auth_mode: AuthMode::Token,
                username: SANDBOX_PROXMOX_TOKEN_ID.to_owned(),
                secret: Some(SANDBOX_PROXMOX_TOKEN_SECRET.to_owned()),
                tls_fingerprint: None,
                active: true,
            },
            IntegrationInput {
                kind: IntegrationKind::Whm,
                name: "Sandbox WHM".to_owned(),
                base_url: sandbox_url("SANDBOX_WHM_ADDR", "127.0.0.1:8031"),
                auth_mode: AuthMode::Token,
                username: "root".to_owned(),
                secret: Some(SANDBOX_WHM_TOKEN.to_owned()),
                tls_fingerprint: None,
                active: true,
            },
        ] {
            integration::create(&mut tx, sealer, &input).await?;
        }
        for (name, region, network, gateway) in POOLS {
            let region_id: i64 = sqlx::query_scalar("SELECT id FROM region WHERE code = $1")
                .bind(region)
                .fetch_one(&mut *tx)
                .await?;
            let input = PoolInput {
                name: name.to_owned(),
                region_id,
                network: network.to_owned(),
                gateway: gateway.to_owned(),
                nameservers: vec!["1.1.1.1".to_owned(), "8.8.8.8".to_owned()],
                excluded: Vec::new(),
                quarantine_hours: 72,
            };
            ip_pool::create(&mut tx, &input).await?;
        }
        tx.commit().await?;
    }
    let synced = inventory::sync_all(pool, sealer).await?;
    for (node, region) in NODES {
        sqlx::query(
            "UPDATE pve_node SET region_id = (SELECT id FROM region WHERE code = $2)
              WHERE name = $1 AND region_id IS NULL",
        )
        .bind(node)
        .bind(region)
        .execute(pool)
        .await?;
    }
    for (template, os) in TEMPLATES {
        sqlx::query(
            "UPDATE pve_template SET os_template_id = (SELECT id FROM os_template WHERE code = $2)
              WHERE name = $1 AND os_template_id IS NULL",
        )
        .bind(template)
        .bind(os)
        .execute(pool)
        .await?;
    }
    println!(
        "demo provisioning: sandbox Proxmox and WHM ({synced} synced), nodes mapped to jkt/sby/sgp, an IP pool per region"
    );
    Ok(())
}
