//! HTTP handlers, a module per feature. Each handler is thin: extract,
//! call one domain function, map the result.

pub mod account;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod content;
pub mod isp;
pub mod monitoring;
pub mod notifications;
pub mod provisioning;
pub mod sales;
pub mod staff;
pub mod system;
pub mod telegram;
pub(crate) mod upload;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every routed endpoint. Only handlers registered here with `service(...)`
/// exist, and each of them is in the OpenAPI document by construction.
pub fn configure(config: &mut ServiceConfig) {
    system::configure(config);
    auth::configure(config);
    account::configure(config);
    staff::configure(config);
    notifications::configure(config);
    telegram::configure(config);
    monitoring::configure(config);
    sales::configure(config);
    catalog::configure(config);
    content::configure(config);
    billing::configure(config);
    provisioning::configure(config);
    isp::configure(config);
}

/// The `cursor` of a paged list: the id the previous page ended at.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, crate::error::ApiError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(cursor) => cursor.parse::<i64>().map(Some).map_err(|_| {
            crate::error::ApiError::BadRequest("cursor is not one this API gave out".to_owned())
        }),
    }
}

/// Writes an audit entry of a staff change with the whole record before and
/// after, in the change's transaction: one shape for every feature's log.
pub(crate) async fn audited<P: crate::auth::Policy, T: serde::Serialize>(
    conn: &mut sqlx::PgConnection,
    auth: &crate::auth::Auth<P>,
    action: &str,
    entity_type: &str,
    id: impl ToString,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), crate::error::ApiError> {
    let entry = identity::audit::AuditRecord {
        action,
        entity_type,
        entity_id: id.to_string(),
        before: before.map(|value| serde_json::json!(value)),
        after: after.map(|value| serde_json::json!(value)),
    };
    identity::audit::record(conn, &auth.actor(), entry).await?;
    Ok(())
}
