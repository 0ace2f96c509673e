//! What every kind's delivery and actions end with: the service active and
//! its order ACTIVE with the client told ([`delivered`]), a service moved
//! by an action ([`mark`]), and the password the client sees once
//! ([`reveal_password`]).

use billing::order::status as order_status;
use billing::service::{self, ServiceStatus};
use domain::{OrderStatus, Sealed, Sealer};
use notify::client_notice::notify_client;
use notify::template::{Language, catalog, render_event_in};
use sqlx::{PgConnection, PgPool};

use crate::ProvisioningError;

/// The delivery's last step, in the caller's transaction: the service
/// active, its order ACTIVE (once, with `cause`), and the client told, with
/// `details` (how to reach the service; never a password).
pub(crate) async fn delivered(
    conn: &mut PgConnection,
    service_id: i64,
    cause: &str,
    details: &str,
) -> Result<(), ProvisioningError> {
    let service = service::query::find(&mut *conn, service_id, None)
        .await?
        .ok_or(ProvisioningError::NotFound("no such service"))?;
    service::set_status(conn, service_id, ServiceStatus::Active).await?;
    if order_status::lock(conn, service.order_id).await? == OrderStatus::Provisioning {
        order_status::transition(conn, service.order_id, OrderStatus::Active, cause, None).await?;
    }
    let name = sqlx::query_scalar!(
        r#"SELECT COALESCE(p.full_name, u.email) AS "name!"
             FROM app_user u LEFT JOIN user_profile p ON p.user_id = u.id WHERE u.id = $1"#,
        service.user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let message = render_event_in(
        conn,
        catalog::SERVICE_READY,
        Language::Id,
        &[
            ("name", name),
            ("service", service.label.clone()),
            ("details", details.to_owned()),
        ],
    )
    .await?;
    notify_client(conn, service.user_id, catalog::SERVICE_READY, &message).await?;
    Ok(())
}

/// An action's step that moves the service (suspended, active,
/// terminated — or cancelled, when the end was a cancellation).
pub(crate) async fn mark(
    pool: &PgPool,
    service_id: i64,
    status: ServiceStatus,
) -> Result<String, ProvisioningError> {
    let mut conn = pool.acquire().await?;
    let status = if status == ServiceStatus::Terminated {
        service::ended_status(&mut conn, service_id).await?
    } else {
        status
    };
    service::set_status(&mut conn, service_id, status).await?;
    Ok(format!("service {}", status.as_str()))
}

/// Shows a VPS's or hosting account's password to its client, once: the
/// first call marks it shown and returns it; later calls are refused until
/// a reset makes a new one. A service of another kind has none.
pub async fn reveal_password(
    conn: &mut PgConnection,
    sealer: &Sealer,
    service_id: i64,
) -> Result<String, ProvisioningError> {
    let row = sqlx::query!(
        r#"WITH live AS (
               SELECT 1 FROM service WHERE id = $1 AND status IN ('active', 'suspended')
           ), vps AS (
               UPDATE vps_instance SET password_shown_at = now()
                WHERE service_id = $1 AND password_shown_at IS NULL AND EXISTS (SELECT 1 FROM live)
               RETURNING password_key_id, password_sealed
           ), hosting AS (
               UPDATE hosting_account SET password_shown_at = now()
                WHERE service_id = $1 AND password_shown_at IS NULL AND EXISTS (SELECT 1 FROM live)
               RETURNING password_key_id, password_sealed
           )
           SELECT password_key_id AS "key_id!", password_sealed AS "sealed!" FROM vps
           UNION ALL
           SELECT password_key_id, password_sealed FROM hosting"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ProvisioningError::Gone {
        code: "password_already_shown",
        detail: "the password was shown once already; reset it to get a new one".to_owned(),
    })?;
    let plain = sealer.open(&Sealed {
        key_id: row.key_id,
        bytes: row.sealed,
    })?;
    String::from_utf8(plain).map_err(|_| ProvisioningError::Corrupt("service password".into()))
}
