//! Demo data for `make dev`: accounts to sign in with. Idempotent, and
//! refused in production by the caller.

use identity::{Identity, IdentityError};
use sqlx::PgPool;

pub const DEMO_PASSWORD: &str = "juragan-demo-123";

/// (email, name, roles)
const DEMO_ACCOUNTS: [(&str, &str, &[&str]); 5] = [
    ("owner@juragan.test", "Pak Juragan (owner)", &["owner"]),
    ("sysadmin@juragan.test", "Sari Sysadmin", &["sysadmin"]),
    ("finance@juragan.test", "Fajar Finance", &["finance"]),
    ("budi@example.test", "Budi Santoso", &["client"]),
    ("reseller@example.test", "Rina Reseller", &["client", "reseller"]),
];

pub async fn seed(identity: &Identity, pool: &PgPool) -> anyhow::Result<()> {
    for (email, name, roles) in DEMO_ACCOUNTS {
        match identity.create_owner(email, name, DEMO_PASSWORD).await {
            Ok(_) | Err(IdentityError::EmailTaken) => {}
            Err(error) => return Err(anyhow::anyhow!("seeding {email}: {error}")),
        }
        // Demo accounts start as verified owners; give each its own roles.
        // Clients sign in with a password alone (two-factor is their choice).
        let roles: Vec<String> = roles.iter().map(|role| (*role).to_owned()).collect();
        let staff = roles.iter().any(|role| role != "client" && role != "reseller");
        sqlx::query("UPDATE app_user SET roles = $2, otp_enabled = $3 WHERE email = $1")
            .bind(email)
            .bind(&roles)
            .bind(staff)
            .execute(pool)
            .await?;
    }
    println!("demo accounts (password {DEMO_PASSWORD}): {}", DEMO_ACCOUNTS.map(|(email, _, _)| email).join(", "));
    Ok(())
}
