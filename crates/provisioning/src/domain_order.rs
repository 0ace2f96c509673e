//! Domain orders: the name is registered with the registrar (a trait, see
//! [`crate::registrar`]) and recorded with its expiry and nameservers.
//! Registration is not idempotent at registrars either, so the step first
//! asks whether the name is already registered through us — an earlier
//! attempt whose answer was lost — and adopts it.

use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;

use crate::registrar::{RegistrantContact, Registration, RegistrationRequest};
use crate::run::{self, StepName};
use crate::{Provisioner, ProvisioningError, completion};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Register,
    Finish,
}

impl StepName for Step {
    fn name(self) -> &'static str {
        match self {
            Step::Register => "register_domain",
            Step::Finish => "finish",
        }
    }
}

const STEPS: [Step; 2] = [Step::Register, Step::Finish];

/// The order's name and term, recorded when the delivery starts.
pub(crate) async fn create_record(
    conn: &mut PgConnection,
    provisioner: &Provisioner,
    service_id: i64,
    order_id: i64,
) -> Result<(), ProvisioningError> {
    let order = sqlx::query!(
        "SELECT domain_name FROM customer_order WHERE id = $1",
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let domain = order.domain_name.ok_or_else(|| {
        ProvisioningError::Corrupt(format!("domain order {order_id} has no name"))
    })?;
    // Registries sell whole years; a domain is bought per year.
    let years: i16 = 1;
    sqlx::query!(
        "INSERT INTO domain_registration (service_id, domain, years, nameservers, registrar)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (service_id) DO NOTHING",
        service_id,
        domain,
        years,
        &provisioner.default_nameservers,
        provisioner.registrar_name
    )
    .execute(&mut *conn)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => ProvisioningError::refused(
            "domain_registered",
            format!("{domain} is registered through the shop already"),
        ),
        _ => error.into(),
    })?;
    Ok(())
}

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
        |step| async move {
            match step {
                Step::Register => register(provisioner, service_id).await,
                Step::Finish => finish(provisioner, service_id).await,
            }
        },
    )
    .await
}

fn remote(error: crate::registrar::RegistrarError) -> ProvisioningError {
    ProvisioningError::Remote {
        system: "registrar",
        kind: error.kind(),
        transient: error.is_transient(),
        message: error.to_string(),
    }
}

async fn register(provisioner: &Provisioner, service_id: i64) -> Result<String, ProvisioningError> {
    let record = sqlx::query!(
        r#"SELECT d.domain, d.years, d.nameservers, u.email, COALESCE(p.full_name, u.email) AS "name!",
                  p.phone AS "phone?", b.line1 AS "line1?", b.city AS "city?", b.country AS "country?"
             FROM domain_registration d
             JOIN service s ON s.id = d.service_id
             JOIN app_user u ON u.id = s.user_id
             LEFT JOIN user_profile p ON p.user_id = u.id
             LEFT JOIN billing_address b ON b.user_id = u.id
            WHERE d.service_id = $1"#,
        service_id
    )
    .fetch_one(&provisioner.pool)
    .await?;
    let registration = match provisioner
        .registrar
        .find(&record.domain)
        .await
        .map_err(remote)?
    {
        Some(found) => found,
        None => {
            let request = RegistrationRequest {
                domain: record.domain.clone(),
                years: u8::try_from(record.years).unwrap_or(1),
                nameservers: record.nameservers.clone(),
                contact: RegistrantContact {
                    name: record.name,
                    email: record.email,
                    phone: record.phone.unwrap_or_default(),
                    address: [record.line1, record.city]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", "),
                    country: record.country.unwrap_or_else(|| "ID".to_owned()),
                },
            };
            provisioner
                .registrar
                .register(&request)
                .await
                .map_err(remote)?
        }
    };
    save(&provisioner.pool, service_id, &registration).await?;
    Ok(format!(
        "registered until {}",
        registration.expires_at.format("%Y-%m-%d")
    ))
}

async fn save(
    db: impl PgExecutor<'_>,
    service_id: i64,
    registration: &Registration,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE domain_registration
            SET registrar_order_id = $2, expires_at = $3, nameservers = $4
          WHERE service_id = $1",
        service_id,
        registration.registrar_order_id,
        registration.expires_at,
        &registration.nameservers
    )
    .execute(db)
    .await?;
    Ok(())
}

async fn finish(provisioner: &Provisioner, service_id: i64) -> Result<String, ProvisioningError> {
    let mut tx = provisioner.pool.begin().await?;
    let record = sqlx::query!(
        "SELECT domain, expires_at, nameservers FROM domain_registration WHERE service_id = $1",
        service_id
    )
    .fetch_one(&mut *tx)
    .await?;
    completion::delivered(
        &mut tx,
        service_id,
        "domain registered",
        &format!(
            "Domain: {}\nBerlaku sampai / expires: {}\nNameserver: {}",
            record.domain,
            record
                .expires_at
                .map(|at| at.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            record.nameservers.join(", ")
        ),
    )
    .await?;
    tx.commit().await?;
    Ok("domain active".into())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainDetails {
    pub domain: String,
    pub registrar: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub nameservers: Vec<String>,
}

pub async fn details(
    db: impl PgExecutor<'_>,
    service_id: i64,
) -> Result<Option<DomainDetails>, ProvisioningError> {
    Ok(sqlx::query_as!(
        DomainDetails,
        "SELECT domain, registrar, expires_at, nameservers FROM domain_registration WHERE service_id = $1",
        service_id
    )
    .fetch_optional(db)
    .await?)
}
