//! Demo data for `make dev`: accounts to sign in with, a staff Telegram
//! chat (the sandbox fake accepts every chat), a few monitored hosts with
//! their sales, a reseller's catalog ([`catalog`]) and an ISP's router
//! and customers ([`isp`]). Idempotent, and
//! refused in production by the caller.

mod catalog;
mod content;
mod isp;
mod payments;
mod provisioning;

use identity::{Identity, IdentityError};
use sqlx::PgPool;

pub const DEMO_PASSWORD: &str = "juragan-demo-123";

/// (email, name, roles)
const DEMO_ACCOUNTS: [(&str, &str, &[&str]); 6] = [
    ("owner@juragan.test", "Pak Juragan (owner)", &["owner"]),
    ("sysadmin@juragan.test", "Sari Sysadmin", &["sysadmin"]),
    ("business@juragan.test", "Bima Business", &["business"]),
    ("finance@juragan.test", "Fajar Finance", &["finance"]),
    ("budi@example.test", "Budi Santoso", &["client"]),
    (
        "reseller@example.test",
        "Rina Reseller",
        &["client", "reseller"],
    ),
];

pub async fn seed(
    identity: &Identity,
    pool: &PgPool,
    sealer: &domain::Sealer,
) -> anyhow::Result<()> {
    for (email, name, roles) in DEMO_ACCOUNTS {
        match identity.create_owner(email, name, DEMO_PASSWORD).await {
            Ok(_) | Err(IdentityError::EmailTaken) => {}
            Err(error) => return Err(anyhow::anyhow!("seeding {email}: {error}")),
        }
        // Demo accounts start as verified owners; give each its own roles.
        // Clients sign in with a password alone (two-factor is their choice).
        let roles: Vec<String> = roles.iter().map(|role| (*role).to_owned()).collect();
        let staff = roles
            .iter()
            .any(|role| role != "client" && role != "reseller");
        sqlx::query("UPDATE app_user SET roles = $2, otp_enabled = $3 WHERE email = $1")
            .bind(email)
            .bind(&roles)
            .bind(staff)
            .execute(pool)
            .await?;
    }
    println!(
        "demo accounts (password {DEMO_PASSWORD}): {}",
        DEMO_ACCOUNTS.map(|(email, _, _)| email).join(", ")
    );
    seed_monitoring(pool).await?;
    catalog::seed(pool, sealer).await?;
    content::seed(pool).await?;
    payments::seed(pool, sealer).await?;
    provisioning::seed(pool, sealer).await?;
    isp::seed(pool, sealer).await
}

/// The app itself (UP), a port nothing listens on (DOWN), and an expiring
/// and an expired host; all public, so the status page has something to show.
async fn seed_monitoring(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO telegram_chat (chat_id, kind, label, receives_alerts) VALUES (100200300, 'staff', 'Grup Admin (demo)', true)
         ON CONFLICT (chat_id) DO NOTHING",
    )
    .execute(pool)
    .await?;
    let hosts = sqlx::query(
        "INSERT INTO monitored_host (name, address, port, expires_on, price_minor, currency, is_public, check_interval_seconds, notes)
         VALUES ('Juragan panel', '127.0.0.1', 8080, shop_today() + 200, 0, 'IDR', true, 60, 'this app itself'),
                ('VPS-SG-01', '127.0.0.1', 9, shop_today() + 30, 150000, 'IDR', true, 60, 'nothing listens on port 9: DOWN'),
                ('RDP-US-02', 'localhost', 8080, shop_today() + 3, 1250, 'USD', true, 300, 'expiring soon'),
                ('VPS-JKT-03', '127.0.0.1', 8080, shop_today() - 2, 200000, 'IDR', true, 300, 'expired')
         ON CONFLICT ((lower(btrim(name))), address, port) DO NOTHING RETURNING id, name, price_minor, currency",
    )
    .fetch_all(pool)
    .await?;
    for host in &hosts {
        use sqlx::Row;
        sqlx::query("INSERT INTO sale (kind, sold_on, name, item_type, price_minor, currency, host_id) VALUES ('host', shop_today() - 20, $1, 'vps', $2, $3, $4)")
            .bind(host.get::<String, _>("name"))
            .bind(host.get::<i64, _>("price_minor"))
            .bind(host.get::<String, _>("currency"))
            .bind(host.get::<i64, _>("id"))
            .execute(pool)
            .await?;
    }
    if !hosts.is_empty() {
        sqlx::query(
            "INSERT INTO sale (kind, sold_on, name, merchant, item_type, qty, price_minor, currency) VALUES
             ('account', shop_today() - 40, 'Netflix Premium 1 bulan', 'Shopee', 'streaming', 3, 45000, 'IDR'),
             ('account', shop_today() - 5, 'Canva Pro 1 tahun', 'Tokopedia', 'design', 1, 120000, 'IDR'),
             ('account', shop_today() - 2, 'ChatGPT Plus', 'Website', 'ai', 1, 2000, 'USD')",
        )
        .execute(pool)
        .await?;
        println!(
            "demo monitoring: {} hosts (public status page at /status), sales book entries",
            hosts.len()
        );
    }
    Ok(())
}
