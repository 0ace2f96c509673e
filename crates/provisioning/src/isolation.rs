//! Isolation (isolir) of ISP customers on their MikroTik router: a customer
//! whose internet service is suspended has their PPP secret disabled, or
//! moved to the router's isolation profile, and their live session removed
//! (RouterOS does not end a live session when its secret changes); paying
//! restores the secret (and, for a profile move, ends the isolated session
//! so the line comes back on its own profile).
//!
//! Both directions are idempotent: the router is read first and only what
//! differs is changed, and the customer's event is recorded only when the
//! isolation state changes. The router is changed before the database, so
//! a failure between the two leaves work a retry finishes, never a customer
//! marked isolated whose line still works.

use chrono::Utc;
use domain::Sealer;
use monitoring::MonitoringError;
use monitoring::isp::router::{self, IsolationMode};
use routeros::{PppRouter, PppSecret, Router, RouterOsError, SecretChange};
use serde::Serialize;
use sqlx::{Acquire, PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ProvisioningError;

/// Who asked for the change, for the customer's event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The billing lifecycle (a suspension, a payment).
    Lifecycle,
    /// A staff member from the customer page.
    Staff(Uuid),
}

/// What an isolation or a restoration did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IsolationOutcome {
    pub customer_id: i64,
    pub isolated: bool,
    /// Whether anything changed (on the router or in the customer's state).
    pub changed: bool,
    /// Live sessions ended.
    pub sessions_removed: i64,
    pub detail: String,
}

impl From<RouterOsError> for ProvisioningError {
    fn from(error: RouterOsError) -> Self {
        let kind = match &error {
            RouterOsError::Dns(_) => "dns",
            RouterOsError::Refused => "refused",
            RouterOsError::ConnectTimeout | RouterOsError::ReplyTimeout { .. } => "timeout",
            RouterOsError::BadCredentials => "unauthorized",
            RouterOsError::Tls(_) => "tls",
            RouterOsError::Trap { .. } | RouterOsError::Http { .. } => "refused_command",
            RouterOsError::Fatal(_) | RouterOsError::Io(_) => "connection",
            RouterOsError::Protocol(_) => "protocol",
        };
        ProvisioningError::Remote {
            system: "router",
            kind,
            transient: error.is_transient(),
            message: error.to_string(),
        }
    }
}

fn from_monitoring(error: MonitoringError) -> ProvisioningError {
    match error {
        MonitoringError::NotFound(what) => ProvisioningError::NotFound(what),
        MonitoringError::Validation(errors) => ProvisioningError::Validation(errors),
        MonitoringError::Database(error) => ProvisioningError::Database(error),
        MonitoringError::Refused { code, message } => ProvisioningError::refused(code, message),
        other => ProvisioningError::Corrupt(other.to_string()),
    }
}

struct Line {
    customer_id: i64,
    router_id: i64,
    pppoe_username: String,
    isolated: bool,
    profile_before_isolation: Option<String>,
    mode: IsolationMode,
    isolation_profile: Option<String>,
}

async fn line(db: impl PgExecutor<'_>, customer_id: i64) -> Result<Line, ProvisioningError> {
    let row = sqlx::query!(
        r#"SELECT c.id, c.router_id, c.pppoe_username, c.isolated, c.profile_before_isolation,
                  r.isolation_mode AS "mode?: IsolationMode", r.isolation_profile
             FROM isp_customer c LEFT JOIN isp_router r ON r.id = c.router_id
            WHERE c.id = $1"#,
        customer_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(ProvisioningError::NotFound("no such customer"))?;
    let (Some(router_id), Some(mode)) = (row.router_id, row.mode) else {
        return Err(ProvisioningError::refused(
            "customer_not_on_router",
            "the customer is not on a router",
        ));
    };
    if row.pppoe_username.is_empty() {
        return Err(ProvisioningError::refused(
            "customer_without_pppoe",
            "the customer has no PPPoE name yet",
        ));
    }
    Ok(Line {
        customer_id: row.id,
        router_id,
        pppoe_username: row.pppoe_username,
        isolated: row.isolated,
        profile_before_isolation: row.profile_before_isolation,
        mode,
        isolation_profile: row.isolation_profile,
    })
}

async fn connect(
    db: impl PgExecutor<'_>,
    sealer: &Sealer,
    router_id: i64,
) -> Result<Router, ProvisioningError> {
    let config = router::connection_config(db, sealer, router_id)
        .await
        .map_err(from_monitoring)?;
    Ok(Router::connect(&config).await?)
}

/// The customer's PPP secret: `?name=` matches exactly, so a name stored
/// in another case is looked for in the whole list.
async fn find_secret(router: &Router, name: &str) -> Result<PppSecret, ProvisioningError> {
    if let Some(secret) = router.secrets(Some(name)).await?.into_iter().next() {
        return Ok(secret);
    }
    router
        .secrets(None)
        .await?
        .into_iter()
        .find(|secret| secret.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            ProvisioningError::refused(
                "no_ppp_secret",
                format!("the router has no PPP secret named {name}"),
            )
        })
}

/// Ends every live session of the name; returns how many.
async fn remove_sessions(router: &Router, name: &str) -> Result<i64, ProvisioningError> {
    let mut removed = 0;
    for session in router.active_sessions().await? {
        if session.name.eq_ignore_ascii_case(name) {
            match router.remove_active(&session.id).await {
                Ok(()) => removed += 1,
                // Gone between the print and the remove: the line is down,
                // which is what was wanted.
                Err(RouterOsError::Trap { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(removed)
}

/// Isolates a customer: refused when the router's isolation is off.
pub async fn isolate(
    pool: &PgPool,
    sealer: &Sealer,
    customer_id: i64,
    cause: Cause,
) -> Result<IsolationOutcome, ProvisioningError> {
    isolate_on(&mut *pool.acquire().await?, sealer, customer_id, cause).await
}

/// [`isolate`] on the caller's connection (its writes in a savepoint when
/// the caller is in a transaction).
async fn isolate_on(
    conn: &mut PgConnection,
    sealer: &Sealer,
    customer_id: i64,
    cause: Cause,
) -> Result<IsolationOutcome, ProvisioningError> {
    let line = line(&mut *conn, customer_id).await?;
    if line.mode == IsolationMode::Off {
        return Err(ProvisioningError::refused(
            "isolation_off",
            "isolation is off on this router; turn it on in the router's settings",
        ));
    }
    let router = connect(&mut *conn, sealer, line.router_id).await?;
    let secret = find_secret(&router, &line.pppoe_username).await?;
    let mut profile_before = line.profile_before_isolation.clone();
    let (change, detail) = match line.mode {
        IsolationMode::Off | IsolationMode::Disable => (
            (!secret.disabled).then_some(SecretChange {
                disabled: Some(true),
                profile: None,
            }),
            format!("PPP secret {} disabled", secret.name),
        ),
        IsolationMode::Profile => {
            let profile = line.isolation_profile.clone().unwrap_or_default();
            if secret.profile != profile && profile_before.is_none() {
                profile_before = Some(secret.profile.clone());
            }
            (
                (secret.profile != profile).then(|| SecretChange {
                    disabled: None,
                    profile: Some(profile.clone()),
                }),
                format!("PPP secret {} moved to profile {profile}", secret.name),
            )
        }
    };
    let router_changed = change.is_some();
    if let Some(change) = change {
        router.set_secret(&secret.id, &change).await?;
    }
    let sessions_removed = remove_sessions(&router, &secret.name).await?;
    let detail = if sessions_removed > 0 {
        format!("{detail}; {sessions_removed} live session(s) ended")
    } else {
        detail
    };
    let changed = router_changed || sessions_removed > 0 || !line.isolated;
    let mut tx = conn.begin().await?;
    sqlx::query!(
        "UPDATE isp_customer
            SET isolated = true, isolated_at = COALESCE(isolated_at, $2),
                profile_before_isolation = $3,
                connection = CASE WHEN $4 THEN 'offline' ELSE connection END,
                session_address = CASE WHEN $4 THEN NULL ELSE session_address END,
                session_started_at = CASE WHEN $4 THEN NULL ELSE session_started_at END
          WHERE id = $1",
        line.customer_id,
        Utc::now(),
        profile_before,
        sessions_removed > 0,
    )
    .execute(&mut *tx)
    .await?;
    if changed {
        record(&mut tx, line.customer_id, "isolate", cause, &detail).await?;
    }
    tx.commit().await?;
    Ok(IsolationOutcome {
        customer_id: line.customer_id,
        isolated: true,
        changed,
        sessions_removed,
        detail,
    })
}

/// Restores an isolated customer's secret: enabled again, and back on the
/// profile it had before a profile move (whose isolated session is ended so
/// the line comes back on its own profile).
pub async fn restore(
    pool: &PgPool,
    sealer: &Sealer,
    customer_id: i64,
    cause: Cause,
) -> Result<IsolationOutcome, ProvisioningError> {
    restore_on(&mut *pool.acquire().await?, sealer, customer_id, cause).await
}

/// [`restore`] on the caller's connection.
async fn restore_on(
    conn: &mut PgConnection,
    sealer: &Sealer,
    customer_id: i64,
    cause: Cause,
) -> Result<IsolationOutcome, ProvisioningError> {
    let line = line(&mut *conn, customer_id).await?;
    let router = connect(&mut *conn, sealer, line.router_id).await?;
    let secret = find_secret(&router, &line.pppoe_username).await?;
    let profile_back = line
        .profile_before_isolation
        .clone()
        .filter(|before| *before != secret.profile);
    let change = SecretChange {
        disabled: secret.disabled.then_some(false),
        profile: profile_back.clone(),
    };
    let router_changed = change.disabled.is_some() || change.profile.is_some();
    if router_changed {
        router.set_secret(&secret.id, &change).await?;
    }
    let sessions_removed = if profile_back.is_some() {
        remove_sessions(&router, &secret.name).await?
    } else {
        0
    };
    let mut detail = match (change.disabled.is_some(), &profile_back) {
        (_, Some(profile)) => format!("PPP secret {} back on profile {profile}", secret.name),
        (true, None) => format!("PPP secret {} enabled", secret.name),
        (false, None) => format!("PPP secret {} was not isolated", secret.name),
    };
    if sessions_removed > 0 {
        detail = format!("{detail}; the isolated session was ended to reconnect");
    }
    let changed = router_changed || line.isolated;
    let mut tx = conn.begin().await?;
    sqlx::query!(
        "UPDATE isp_customer
            SET isolated = false, isolated_at = NULL, profile_before_isolation = NULL
          WHERE id = $1",
        line.customer_id
    )
    .execute(&mut *tx)
    .await?;
    if changed {
        record(&mut tx, line.customer_id, "restore", cause, &detail).await?;
    }
    tx.commit().await?;
    Ok(IsolationOutcome {
        customer_id: line.customer_id,
        isolated: false,
        changed,
        sessions_removed,
        detail,
    })
}

async fn record(
    conn: &mut sqlx::PgConnection,
    customer_id: i64,
    action: &str,
    cause: Cause,
    detail: &str,
) -> Result<(), ProvisioningError> {
    let (cause, actor) = match cause {
        Cause::Lifecycle => ("lifecycle", None),
        Cause::Staff(actor) => ("staff", Some(actor)),
    };
    sqlx::query!(
        "INSERT INTO isp_customer_event (customer_id, action, cause, actor_id, detail)
         VALUES ($1, $2, $3, $4, $5)",
        customer_id,
        action,
        cause,
        actor,
        detail,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The lifecycle's suspension (or termination) or unsuspension of an
/// internet service, carried to its line: nothing when no customer is
/// linked to the service or the router's isolation is off.
///
/// On the caller's connection: the lifecycle calls it inside the transaction
/// that moves the service (and holds its row), which must not wait for a
/// second connection from the pool meanwhile.
pub async fn follow_service(
    conn: &mut PgConnection,
    sealer: &Sealer,
    service_id: i64,
    isolate_line: bool,
) -> Result<Option<IsolationOutcome>, ProvisioningError> {
    let linked = sqlx::query!(
        r#"SELECT c.id, c.isolated, c.pppoe_username,
                  r.isolation_mode AS "mode?: IsolationMode"
             FROM isp_customer c LEFT JOIN isp_router r ON r.id = c.router_id
            WHERE c.service_id = $1"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(linked) = linked else {
        return Ok(None);
    };
    let isolation_on = matches!(
        linked.mode,
        Some(IsolationMode::Disable | IsolationMode::Profile)
    );
    if isolate_line {
        if !isolation_on || linked.pppoe_username.is_empty() {
            return Ok(None);
        }
        isolate_on(conn, sealer, linked.id, Cause::Lifecycle)
            .await
            .map(Some)
    } else if linked.isolated {
        restore_on(conn, sealer, linked.id, Cause::Lifecycle)
            .await
            .map(Some)
    } else {
        Ok(None)
    }
}

/// An internet service moved to another plan: its customer's product, and
/// the PPP secret's profile on the router. A live session is ended so the
/// line reconnects at the new speed. An isolated line keeps its isolation:
/// a profile-move isolation returns to the new profile when it is paid.
/// A customer not set up on a router yet only changes product.
pub async fn change_profile(
    pool: &PgPool,
    sealer: &Sealer,
    service_id: i64,
    product_id: i64,
    profile: &str,
) -> Result<String, ProvisioningError> {
    let customer = sqlx::query!(
        "UPDATE isp_customer SET product_id = $2 WHERE service_id = $1 RETURNING id, router_id, pppoe_username",
        service_id,
        product_id
    )
    .fetch_optional(pool)
    .await?;
    let Some(customer) = customer else {
        return Ok("no customer is linked to the service".into());
    };
    if customer.router_id.is_none() || customer.pppoe_username.is_empty() {
        return Ok("the customer is not set up on a router yet".into());
    }
    let line = line(pool, customer.id).await?;
    let detail = if line.isolated && line.profile_before_isolation.is_some() {
        sqlx::query!(
            "UPDATE isp_customer SET profile_before_isolation = $2 WHERE id = $1",
            line.customer_id,
            profile
        )
        .execute(pool)
        .await?;
        format!("isolated: profile {profile} is restored when the line is paid")
    } else {
        let router = connect(pool, sealer, line.router_id).await?;
        let secret = find_secret(&router, &line.pppoe_username).await?;
        if secret.profile != profile {
            router
                .set_secret(
                    &secret.id,
                    &SecretChange {
                        disabled: None,
                        profile: Some(profile.to_owned()),
                    },
                )
                .await?;
        }
        let ended = if line.isolated {
            0
        } else {
            remove_sessions(&router, &secret.name).await?
        };
        let mut detail = format!("PPP secret {} on profile {profile}", secret.name);
        if ended > 0 {
            detail.push_str("; the live session was ended to reconnect at the new speed");
        }
        detail
    };
    let mut conn = pool.acquire().await?;
    record(
        &mut conn,
        line.customer_id,
        "plan_change",
        Cause::Lifecycle,
        &detail,
    )
    .await?;
    Ok(detail)
}

/// A customer's isolation history, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IsolationEvent {
    pub id: i64,
    pub action: String,
    pub cause: String,
    pub actor_id: Option<Uuid>,
    pub detail: String,
    pub at: chrono::DateTime<Utc>,
}

pub async fn events(
    pool: &PgPool,
    customer_id: i64,
) -> Result<Vec<IsolationEvent>, ProvisioningError> {
    Ok(sqlx::query_as!(
        IsolationEvent,
        "SELECT id, action, cause, actor_id, detail, at FROM isp_customer_event
          WHERE customer_id = $1 ORDER BY at DESC, id DESC LIMIT 100",
        customer_id
    )
    .fetch_all(pool)
    .await?)
}
