//! ISP customers: the people on the end of a PPPoE line, with their
//! address and coordinates for the map, their plan (an `internet` product),
//! the router they dial into and the status the sync keeps (seed 004).
//!
//! A customer whose PPPoE name is empty is never online: nothing on the
//! router can match it. Names are unique per router ignoring case, because
//! the sync matches them ignoring case.

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::MonitoringError;

/// The most customers one page of the list holds.
pub const PAGE_MAX: i64 = 500;

/// Whether the customer's PPPoE name is in the router's active list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Connection {
    Online,
    Offline,
}

/// A customer as staff enter it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CustomerInput {
    #[schema(min_length = 1, max_length = 200, example = "Egi Setiawan Sempu")]
    pub name: String,
    /// The PPP secret's name on the router; empty until the line is set up.
    #[serde(default)]
    #[schema(max_length = 64, example = "egisetiawansempu")]
    pub pppoe_username: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: String,
    #[serde(default)]
    #[schema(max_length = 32, example = "0812-3456-7890")]
    pub phone: String,
    #[schema(minimum = -90, maximum = 90, example = -8.4095)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180, example = 112.7035)]
    pub longitude: Option<f64>,
    /// The plan: an `internet` product.
    pub product_id: Option<i64>,
    pub router_id: Option<i64>,
    /// The billing service this line is sold as; its suspension isolates
    /// the customer.
    pub service_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// A customer as staff see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IspCustomer {
    pub id: i64,
    pub name: String,
    pub pppoe_username: String,
    pub address: String,
    pub phone: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub router_id: Option<i64>,
    pub router_name: Option<String>,
    pub user_id: Option<Uuid>,
    pub service_id: Option<i64>,
    /// The billing service's status (`active`, `suspended`, …).
    pub service_status: Option<String>,
    pub note: String,
    pub connection: Connection,
    /// The router could not be read at the last sync: `connection` is the
    /// last status known.
    pub stale: bool,
    pub session_address: Option<String>,
    pub session_caller_id: Option<String>,
    pub session_started_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub connection_changed_at: Option<DateTime<Utc>>,
    pub isolated: bool,
    pub isolated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the customers list is filtered by.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct CustomerFilter {
    pub router_id: Option<i64>,
    pub connection: Option<Connection>,
    pub product_id: Option<i64>,
    pub isolated: Option<bool>,
    /// Part of the name, PPPoE name, address or phone.
    pub q: Option<String>,
    /// 1 to 500 (100 when left out).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// One page of customers and the counts of the whole filtered list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerPage {
    pub customers: Vec<IspCustomer>,
    pub total: i64,
    pub online: i64,
    pub offline: i64,
}

/// A marker on the map: only what the map draws.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerMarker {
    pub id: i64,
    pub name: String,
    pub pppoe_username: String,
    pub latitude: f64,
    pub longitude: f64,
    pub connection: Connection,
    pub stale: bool,
    pub isolated: bool,
    pub router_id: Option<i64>,
}

pub(crate) struct Checked {
    pub(crate) name: String,
    pub(crate) pppoe_username: String,
    pub(crate) address: String,
    pub(crate) phone: String,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) note: String,
}

/// A PPPoE name as RouterOS takes it: printable, no spaces.
pub(crate) fn valid_pppoe(name: &str) -> bool {
    name.chars().count() <= 64 && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Digits with the usual separators; what a technician writes down.
pub(crate) fn valid_phone(phone: &str) -> bool {
    phone.chars().count() <= 32
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
}

impl CustomerInput {
    pub(crate) fn validate(&self) -> Result<Checked, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.add("name", "out_of_range", "between 1 and 200 characters");
        }
        let pppoe_username = self.pppoe_username.trim();
        if !valid_pppoe(pppoe_username) {
            errors.add(
                "pppoe_username",
                "invalid_format",
                "the PPP secret's name: at most 64 characters, no spaces",
            );
        }
        let address = self.address.trim();
        if address.chars().count() > 500 {
            errors.add("address", "out_of_range", "at most 500 characters");
        }
        let phone = self.phone.trim();
        if !valid_phone(phone) {
            errors.add(
                "phone",
                "invalid_format",
                "digits, spaces, + - ( ) and dots; at most 32 characters",
            );
        }
        match (self.latitude, self.longitude) {
            (Some(latitude), Some(longitude)) => {
                if !(-90.0..=90.0).contains(&latitude) || !latitude.is_finite() {
                    errors.add("latitude", "out_of_range", "between -90 and 90");
                }
                if !(-180.0..=180.0).contains(&longitude) || !longitude.is_finite() {
                    errors.add("longitude", "out_of_range", "between -180 and 180");
                }
            }
            (None, None) => {}
            (Some(_), None) => errors.add("longitude", "required", "with the latitude"),
            (None, Some(_)) => errors.add("latitude", "required", "with the longitude"),
        }
        if self.note.chars().count() > 2000 {
            errors.add("note", "out_of_range", "at most 2000 characters");
        }
        errors.into_result().map(|()| Checked {
            name: name.to_owned(),
            pppoe_username: pppoe_username.to_owned(),
            address: address.to_owned(),
            phone: phone.to_owned(),
            latitude: self.latitude,
            longitude: self.longitude,
            note: self.note.trim().to_owned(),
        })
    }
}

/// The references a customer points at, checked in the database: the plan
/// is an internet product, the router exists, the service is an internet
/// service (its client becomes the customer's account).
pub(crate) async fn check_references(
    conn: &mut PgConnection,
    input: &CustomerInput,
) -> Result<Option<Uuid>, MonitoringError> {
    let mut errors = ValidationErrors::new();
    if let Some(product_id) = input.product_id {
        let kind = sqlx::query_scalar!("SELECT kind FROM product WHERE id = $1", product_id)
            .fetch_optional(&mut *conn)
            .await?;
        match kind.as_deref() {
            Some("internet") => {}
            Some(_) => errors.add(
                "product_id",
                "wrong_kind",
                "the plan must be an internet product",
            ),
            None => errors.add("product_id", "not_found", "no such product"),
        }
    }
    if let Some(router_id) = input.router_id {
        let exists = sqlx::query_scalar!("SELECT id FROM isp_router WHERE id = $1", router_id)
            .fetch_optional(&mut *conn)
            .await?;
        if exists.is_none() {
            errors.add("router_id", "not_found", "no such router");
        }
    }
    let mut user_id = None;
    if let Some(service_id) = input.service_id {
        let service = sqlx::query!(
            "SELECT kind, user_id FROM service WHERE id = $1",
            service_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        match service {
            Some(service) if service.kind == "internet" => user_id = Some(service.user_id),
            Some(_) => errors.add(
                "service_id",
                "wrong_kind",
                "the service must be an internet plan",
            ),
            None => errors.add("service_id", "not_found", "no such service"),
        }
    }
    errors.into_result()?;
    Ok(user_id)
}

pub(crate) fn write_conflict(error: sqlx::Error) -> MonitoringError {
    match &error {
        sqlx::Error::Database(db) if db.constraint() == Some("isp_customer_pppoe") => {
            ValidationErrors::single(
                "pppoe_username",
                "taken",
                "another customer on this router has this PPPoE name",
            )
            .into()
        }
        sqlx::Error::Database(db) if db.constraint() == Some("isp_customer_service_id_key") => {
            ValidationErrors::single(
                "service_id",
                "taken",
                "another customer is linked to this service",
            )
            .into()
        }
        _ => error.into(),
    }
}

pub async fn create(
    conn: &mut PgConnection,
    input: &CustomerInput,
) -> Result<IspCustomer, MonitoringError> {
    let checked = input.validate()?;
    let user_id = check_references(conn, input).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO isp_customer (name, pppoe_username, address, phone, latitude, longitude,
                                   product_id, router_id, user_id, service_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING id",
        checked.name,
        checked.pppoe_username,
        checked.address,
        checked.phone,
        checked.latitude,
        checked.longitude,
        input.product_id,
        input.router_id,
        user_id,
        input.service_id,
        checked.note,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(write_conflict)?;
    require(&mut *conn, id).await
}

/// Saves a customer. A changed PPPoE name or router makes the status
/// unknown until the next sync: the customer shows offline and stale.
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &CustomerInput,
) -> Result<IspCustomer, MonitoringError> {
    let checked = input.validate()?;
    let user_id = check_references(conn, input).await?;
    let updated = sqlx::query!(
        "UPDATE isp_customer
            SET stale = stale OR (lower(pppoe_username) IS DISTINCT FROM lower($3)
                                  OR router_id IS DISTINCT FROM $9),
                connection = CASE WHEN lower(pppoe_username) IS DISTINCT FROM lower($3)
                                    OR router_id IS DISTINCT FROM $9
                                  THEN 'offline' ELSE connection END,
                name = $2, pppoe_username = $3, address = $4, phone = $5, latitude = $6,
                longitude = $7, product_id = $8, router_id = $9,
                user_id = COALESCE($10, user_id), service_id = $11, note = $12
          WHERE id = $1",
        id,
        checked.name,
        checked.pppoe_username,
        checked.address,
        checked.phone,
        checked.latitude,
        checked.longitude,
        input.product_id,
        input.router_id,
        user_id,
        input.service_id,
        checked.note,
    )
    .execute(&mut *conn)
    .await
    .map_err(write_conflict)?;
    if updated.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such customer"));
    }
    require(&mut *conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<IspCustomer, MonitoringError> {
    let customer = require(&mut *conn, id).await?;
    sqlx::query!("DELETE FROM isp_customer WHERE id = $1", id)
        .execute(&mut *conn)
        .await?;
    Ok(customer)
}

pub async fn require(db: impl PgExecutor<'_>, id: i64) -> Result<IspCustomer, MonitoringError> {
    let filter = CustomerFilter::default();
    let mut rows = query(db, &filter, Some(id), 1, 0).await?;
    rows.pop()
        .ok_or(MonitoringError::NotFound("no such customer"))
}

/// The line of a paid internet order: a customer for the service's client
/// (name, phone and billing address from their profile), on no router and
/// without a PPPoE name until the technician sets the line up. A second
/// call for the same service returns the first customer.
pub async fn register_for_service(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<i64, MonitoringError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO isp_customer (name, phone, address, product_id, user_id, service_id)
           SELECT left(COALESCE(p.full_name, u.email), 200), COALESCE(p.phone, ''),
                  COALESCE(left(a.line1 || COALESCE(', ' || a.line2, '') || ', ' || a.city
                                || ', ' || a.province || ' ' || a.postal_code, 500), ''),
                  s.product_id, s.user_id, s.id
             FROM service s
             JOIN app_user u ON u.id = s.user_id
             LEFT JOIN user_profile p ON p.user_id = u.id
             LEFT JOIN billing_address a ON a.user_id = u.id
            WHERE s.id = $1 AND s.kind = 'internet'
           ON CONFLICT (service_id) DO UPDATE SET service_id = EXCLUDED.service_id
           RETURNING id"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such internet service"))?;
    Ok(id)
}

fn search_pattern(q: Option<&str>) -> Option<String> {
    q.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    })
}

/// One page of the filtered list, by name, and the counts of all of it.
pub async fn list(
    conn: &mut PgConnection,
    filter: &CustomerFilter,
) -> Result<CustomerPage, MonitoringError> {
    let limit = filter.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let offset = filter.offset.unwrap_or(0).max(0);
    let customers = query(&mut *conn, filter, None, limit, offset).await?;
    let pattern = search_pattern(filter.q.as_deref());
    let counts = sqlx::query!(
        r#"SELECT count(*) AS "total!",
                  count(*) FILTER (WHERE connection = 'online') AS "online!"
             FROM isp_customer c
            WHERE ($1::bigint IS NULL OR c.router_id = $1)
              AND ($2::text IS NULL OR c.connection = $2)
              AND ($3::bigint IS NULL OR c.product_id = $3)
              AND ($4::boolean IS NULL OR c.isolated = $4)
              AND ($5::text IS NULL OR c.name ILIKE $5 OR c.pppoe_username ILIKE $5
                   OR c.address ILIKE $5 OR c.phone ILIKE $5)"#,
        filter.router_id,
        filter.connection.map(connection_str),
        filter.product_id,
        filter.isolated,
        pattern,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(CustomerPage {
        customers,
        total: counts.total,
        online: counts.online,
        offline: counts.total - counts.online,
    })
}

fn connection_str(connection: Connection) -> &'static str {
    match connection {
        Connection::Online => "online",
        Connection::Offline => "offline",
    }
}

async fn query(
    db: impl PgExecutor<'_>,
    filter: &CustomerFilter,
    id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<IspCustomer>, MonitoringError> {
    let pattern = search_pattern(filter.q.as_deref());
    let rows = sqlx::query!(
        r#"SELECT c.id, c.name, c.pppoe_username, c.address, c.phone, c.latitude, c.longitude,
                  c.product_id, p.name_id AS "product_name?", c.router_id,
                  r.name AS "router_name?", c.user_id, c.service_id,
                  s.status AS "service_status?", c.note,
                  c.connection AS "connection: Connection", c.stale, c.session_address,
                  c.session_caller_id, c.session_started_at, c.last_seen_at,
                  c.connection_changed_at, c.isolated, c.isolated_at, c.created_at, c.updated_at
             FROM isp_customer c
             LEFT JOIN product p ON p.id = c.product_id
             LEFT JOIN isp_router r ON r.id = c.router_id
             LEFT JOIN service s ON s.id = c.service_id
            WHERE ($1::bigint IS NULL OR c.id = $1)
              AND ($2::bigint IS NULL OR c.router_id = $2)
              AND ($3::text IS NULL OR c.connection = $3)
              AND ($4::bigint IS NULL OR c.product_id = $4)
              AND ($5::boolean IS NULL OR c.isolated = $5)
              AND ($6::text IS NULL OR c.name ILIKE $6 OR c.pppoe_username ILIKE $6
                   OR c.address ILIKE $6 OR c.phone ILIKE $6)
            ORDER BY lower(c.name), c.id
            LIMIT $7 OFFSET $8"#,
        id,
        filter.router_id,
        filter.connection.map(connection_str),
        filter.product_id,
        filter.isolated,
        pattern,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| IspCustomer {
            id: row.id,
            name: row.name,
            pppoe_username: row.pppoe_username,
            address: row.address,
            phone: row.phone,
            latitude: row.latitude,
            longitude: row.longitude,
            product_id: row.product_id,
            product_name: row.product_name,
            router_id: row.router_id,
            router_name: row.router_name,
            user_id: row.user_id,
            service_id: row.service_id,
            service_status: row.service_status,
            note: row.note,
            connection: row.connection,
            stale: row.stale,
            session_address: row.session_address,
            session_caller_id: row.session_caller_id,
            session_started_at: row.session_started_at,
            last_seen_at: row.last_seen_at,
            connection_changed_at: row.connection_changed_at,
            isolated: row.isolated,
            isolated_at: row.isolated_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect())
}

/// Every customer with coordinates, for the map (filtered by router).
pub async fn markers(
    db: impl PgExecutor<'_>,
    router_id: Option<i64>,
) -> Result<Vec<CustomerMarker>, MonitoringError> {
    let rows = sqlx::query!(
        r#"SELECT id, name, pppoe_username, latitude AS "latitude!", longitude AS "longitude!",
                  connection AS "connection: Connection", stale, isolated, router_id
             FROM isp_customer
            WHERE latitude IS NOT NULL AND longitude IS NOT NULL
              AND ($1::bigint IS NULL OR router_id = $1)
            ORDER BY id"#,
        router_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| CustomerMarker {
            id: row.id,
            name: row.name,
            pppoe_username: row.pppoe_username,
            latitude: row.latitude,
            longitude: row.longitude,
            connection: row.connection,
            stale: row.stale,
            isolated: row.isolated,
            router_id: row.router_id,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CustomerInput {
        CustomerInput {
            name: "Egi Setiawan Sempu".into(),
            pppoe_username: "egisetiawansempu".into(),
            latitude: Some(-8.4),
            longitude: Some(112.7),
            ..CustomerInput::default()
        }
    }

    #[test]
    fn a_customer_without_a_pppoe_name_is_valid() {
        let mut customer = input();
        customer.pppoe_username = "  ".into();
        let checked = customer.validate().expect("valid");
        assert_eq!(checked.pppoe_username, "");
    }

    #[test]
    fn bad_customers_are_refused_field_by_field() {
        let mut bad = input();
        bad.name = String::new();
        bad.pppoe_username = "egi setiawan".into();
        bad.phone = "call me".into();
        bad.latitude = Some(91.0);
        bad.longitude = Some(f64::NAN);
        let error = bad.validate().err().expect("invalid");
        let fields: Vec<&str> = error.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "pppoe_username", "phone", "latitude", "longitude"]
        );
        let mut half = input();
        half.longitude = None;
        assert!(half.validate().is_err(), "a latitude needs a longitude");
    }

    #[test]
    fn searches_escape_like_wildcards() {
        assert_eq!(
            search_pattern(Some(" 50%_ ")).as_deref(),
            Some("%50\\%\\_%")
        );
        assert_eq!(search_pattern(Some("  ")), None);
    }
}
