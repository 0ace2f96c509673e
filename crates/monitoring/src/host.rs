//! Monitored hosts: what staff add, edit and remove. Adding a host records
//! its sale in the sales book unless told not to; renewing the expiry date
//! (to today or later) clears the expiry flags so the next expiry is
//! announced again. A host's address must pass the shop's address rules
//! ([`crate::probe::policy`]); new hosts are public or not as the shop's
//! "new hosts are public" setting says.

use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Currency, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::MonitoringError;
use crate::bounds;
use crate::probe::{AddressPolicy, Host, RefusedAddress};
pub use crate::uptime::Uptime;

/// What a host write needs besides its input: the shop's today (expiry
/// flags, the sale's date), the address rules, and whether the person
/// saving may add private-network addresses. A host added by hand and one
/// imported from a workbook are held to the same context.
#[derive(Debug, Clone, Copy)]
pub struct WriteContext {
    pub today: NaiveDate,
    pub addresses: AddressPolicy,
    pub private_permitted: bool,
}

impl WriteContext {
    /// Refuses an IP literal the rules do not allow for this writer (a
    /// name is checked each time the checker resolves it).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), RefusedAddress> {
        self.addresses.check(ip, self.private_permitted)
    }
}

fn check_address(host: &ValidHost, context: &WriteContext) -> Result<(), ValidationErrors> {
    match host.address.ip() {
        Some(ip) => context.check_ip(ip).map_err(|refused| {
            ValidationErrors::single("address", "address_not_allowed", refused.to_string())
        }),
        None => Ok(()),
    }
}

/// What staff send to add or change a host.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HostInput {
    pub name: String,
    /// An IPv4/IPv6 address or a DNS name (no scheme, path or port).
    pub address: String,
    /// 1 to 65535.
    pub port: i64,
    /// From 2000-01-01 to 2099-12-31.
    pub expires_on: Option<NaiveDate>,
    /// Price in minor units of `currency` (whole rupiah, US cents), 0 to
    /// [`bounds::MAX_PRICE_MINOR`].
    #[schema(minimum = 0, maximum = 1000000000000.0)]
    pub price_minor: Option<i64>,
    /// `IDR` (default) or `USD`.
    pub currency: Option<String>,
    pub notes: Option<String>,
    /// The customer to email when the host goes down or up.
    pub customer_id: Option<Uuid>,
    /// The catalog service the host is; its expiry then follows the
    /// service's due date (the typed `expires_on` is replaced).
    pub service_id: Option<i64>,
    /// Shown on the public status page. Adding: the shop's "new hosts are
    /// public" setting when absent; changing: unchanged when absent.
    pub is_public: Option<bool>,
    /// Seconds between checks, 30 to 86400 (default 300).
    pub check_interval_seconds: Option<i32>,
    /// Consecutive failed checks before DOWN, 1 to 10 (default 2).
    pub failures_before_down: Option<i32>,
    /// Repeat the DOWN message every so many minutes while down (5 to 10080).
    pub renotify_minutes: Option<i32>,
    /// Adding only: record the sale in the sales book (default true).
    pub record_sale: Option<bool>,
}

/// A host input that passed every check.
#[derive(Debug, Clone)]
pub struct ValidHost {
    pub name: String,
    pub address: Host,
    pub port: u16,
    pub expires_on: Option<NaiveDate>,
    pub price_minor: Option<i64>,
    pub currency: Currency,
    pub notes: String,
    pub customer_id: Option<Uuid>,
    pub service_id: Option<i64>,
    pub is_public: Option<bool>,
    pub check_interval_seconds: i32,
    pub failures_before_down: i32,
    pub renotify_minutes: Option<i32>,
}

/// The longest host name and notes (characters); the OpenAPI schema shows
/// them.
pub const NAME_MAX_CHARS: usize = bounds::HOST_NAME_MAX_CHARS;
pub const NOTES_MAX_CHARS: usize = bounds::HOST_NOTES_MAX_CHARS;

/// A number's range as the field errors say it.
fn range_text<T: std::fmt::Display>(range: &std::ops::RangeInclusive<T>) -> String {
    format!("{} to {}", range.start(), range.end())
}

impl HostInput {
    pub fn validate(&self) -> Result<ValidHost, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            errors.add(
                "name",
                "invalid_length",
                format!("a name of 1 to {NAME_MAX_CHARS} characters"),
            );
        }
        let address = errors.check(
            "address",
            "invalid_address",
            Host::parse(self.address.trim()),
        );
        let port = Some(self.port)
            .filter(|port| bounds::PORT.contains(port))
            .and_then(|port| u16::try_from(port).ok());
        if port.is_none() {
            errors.add(
                "port",
                "out_of_range",
                format!("a port from {}", range_text(&bounds::PORT)),
            );
        }
        let currency = match self
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|code| !code.is_empty())
        {
            None => Some(Currency::Idr),
            Some(code) => errors.check("currency", "unknown_currency", Currency::from_str(code)),
        };
        if self.price_minor.is_some_and(|price| price < 0) {
            errors.add("price_minor", "negative", "a price cannot be negative");
        } else if self
            .price_minor
            .is_some_and(|price| price > bounds::MAX_PRICE_MINOR)
        {
            errors.add(
                "price_minor",
                "out_of_range",
                format!("at most {} minor units", bounds::MAX_PRICE_MINOR),
            );
        }
        if self
            .expires_on
            .is_some_and(|date| !bounds::date_in_range(date))
        {
            errors.add("expires_on", "out_of_range", bounds::DATE_RANGE);
        }
        let notes = self.notes.as_deref().unwrap_or_default().trim().to_owned();
        if notes.chars().count() > NOTES_MAX_CHARS {
            errors.add(
                "notes",
                "too_long",
                format!("at most {NOTES_MAX_CHARS} characters"),
            );
        }
        let check_interval_seconds = self
            .check_interval_seconds
            .unwrap_or(bounds::DEFAULT_CHECK_INTERVAL_SECONDS);
        if !bounds::CHECK_INTERVAL_SECONDS.contains(&check_interval_seconds) {
            errors.add(
                "check_interval_seconds",
                "out_of_range",
                format!("{} seconds", range_text(&bounds::CHECK_INTERVAL_SECONDS)),
            );
        }
        let failures_before_down = self
            .failures_before_down
            .unwrap_or(bounds::DEFAULT_FAILURES_BEFORE_DOWN);
        if !bounds::FAILURES_BEFORE_DOWN.contains(&failures_before_down) {
            errors.add(
                "failures_before_down",
                "out_of_range",
                format!(
                    "{} failed checks",
                    range_text(&bounds::FAILURES_BEFORE_DOWN)
                ),
            );
        }
        if self
            .renotify_minutes
            .is_some_and(|minutes| !bounds::RENOTIFY_MINUTES.contains(&minutes))
        {
            errors.add(
                "renotify_minutes",
                "out_of_range",
                format!("{} minutes, or none", range_text(&bounds::RENOTIFY_MINUTES)),
            );
        }
        errors.into_result()?;
        let (Some(address), Some(port), Some(currency)) = (address, port, currency) else {
            return Err(ValidationErrors::single(
                "address",
                "invalid",
                "invalid host",
            ));
        };
        Ok(ValidHost {
            name,
            address,
            port,
            expires_on: self.expires_on,
            price_minor: self.price_minor,
            currency,
            notes,
            customer_id: self.customer_id,
            service_id: self.service_id,
            is_public: self.is_public,
            check_interval_seconds,
            failures_before_down,
            renotify_minutes: self.renotify_minutes,
        })
    }
}

/// `pending` (not yet known, or failing but not yet down), `up` or `down`;
/// checked text in the database (`monitored_host.status` and the state
/// changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum HostStatus {
    Pending,
    Up,
    Down,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Pending => "pending",
            HostStatus::Up => "up",
            HostStatus::Down => "down",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoredHost {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub port: i32,
    pub expires_on: Option<NaiveDate>,
    /// Days until `expires_on` (negative once expired).
    pub days_left: Option<i64>,
    pub price_minor: Option<i64>,
    pub currency: String,
    pub notes: String,
    pub customer_id: Option<Uuid>,
    pub customer_email: Option<String>,
    pub service_id: Option<i64>,
    pub is_public: bool,
    pub check_interval_seconds: i32,
    pub failures_before_down: i32,
    pub renotify_minutes: Option<i32>,
    pub status: HostStatus,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub status_changed_at: Option<DateTime<Utc>>,
    /// Inside a maintenance window now: checked, but no alerts.
    pub in_maintenance: bool,
    pub created_at: DateTime<Utc>,
}

const SELECT_HOSTS: &str = r#"
    SELECT h.id, h.name, h.address, h.port, h.expires_on, (h.expires_on - shop_today())::bigint AS days_left,
           h.price_minor, h.currency, h.notes, h.customer_id, u.email AS customer_email, h.service_id, h.is_public,
           h.check_interval_seconds, h.failures_before_down, h.renotify_minutes, h.status, h.last_checked_at,
           h.last_latency_ms, h.last_error, h.status_changed_at, h.created_at,
           EXISTS (SELECT 1 FROM maintenance_window m WHERE m.host_id = h.id AND now() >= m.starts_at AND now() < m.ends_at) AS in_maintenance
    FROM monitored_host h LEFT JOIN app_user u ON u.id = h.customer_id"#;

#[derive(sqlx::FromRow)]
struct HostRow {
    id: i64,
    name: String,
    address: String,
    port: i32,
    expires_on: Option<NaiveDate>,
    days_left: Option<i64>,
    price_minor: Option<i64>,
    currency: String,
    notes: String,
    customer_id: Option<Uuid>,
    customer_email: Option<String>,
    service_id: Option<i64>,
    is_public: bool,
    check_interval_seconds: i32,
    failures_before_down: i32,
    renotify_minutes: Option<i32>,
    status: HostStatus,
    last_checked_at: Option<DateTime<Utc>>,
    last_latency_ms: Option<i32>,
    last_error: Option<String>,
    status_changed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    in_maintenance: bool,
}

impl From<HostRow> for MonitoredHost {
    fn from(row: HostRow) -> Self {
        MonitoredHost {
            id: row.id,
            name: row.name,
            address: row.address,
            port: row.port,
            expires_on: row.expires_on,
            days_left: row.days_left,
            price_minor: row.price_minor,
            currency: row.currency,
            notes: row.notes,
            customer_id: row.customer_id,
            customer_email: row.customer_email,
            service_id: row.service_id,
            is_public: row.is_public,
            check_interval_seconds: row.check_interval_seconds,
            failures_before_down: row.failures_before_down,
            renotify_minutes: row.renotify_minutes,
            status: row.status,
            last_checked_at: row.last_checked_at,
            last_latency_ms: row.last_latency_ms,
            last_error: row.last_error,
            status_changed_at: row.status_changed_at,
            in_maintenance: row.in_maintenance,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HostFilter {
    pub status: Option<HostStatus>,
    /// Matches name or address (case-insensitive substring).
    pub search: Option<String>,
}

/// The hosts list's filter, on `h` with the status as `$1` and the search
/// as `$2`; the bulk actions select "all matching the filter" with it.
const MATCHES_FILTER: &str = "($1::text IS NULL OR h.status = $1)
           AND ($2::text IS NULL OR h.name ILIKE '%' || $2 || '%' OR h.address ILIKE '%' || $2 || '%')";

impl HostFilter {
    fn search_term(&self) -> Option<String> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|search| !search.is_empty())
            .map(|search| search.replace(['%', '_'], ""))
    }
}

pub async fn list(
    pool: &PgPool,
    filter: &HostFilter,
) -> Result<Vec<MonitoredHost>, MonitoringError> {
    let query = format!("{SELECT_HOSTS} WHERE {MATCHES_FILTER} ORDER BY h.name, h.id");
    let rows = sqlx::query_as::<_, HostRow>(sqlx::AssertSqlSafe(query))
        .bind(filter.status.map(HostStatus::as_str))
        .bind(filter.search_term())
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(MonitoredHost::from).collect())
}

/// Which hosts a bulk action applies to.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These hosts (unknown ids are ignored).
    Ids(Vec<i64>),
    /// Every host the list shows with this filter.
    Matching(HostFilter),
}

/// Publishes or unpublishes the selected hosts on the status page; returns
/// the ids that changed.
pub async fn set_public(
    conn: &mut PgConnection,
    selection: &Selection,
    is_public: bool,
) -> Result<Vec<i64>, MonitoringError> {
    let changed = match selection {
        Selection::Ids(ids) => {
            sqlx::query_scalar::<_, i64>(
                "UPDATE monitored_host SET is_public = $2 WHERE id = ANY($1) AND is_public <> $2 RETURNING id",
            )
            .bind(ids)
            .bind(is_public)
            .fetch_all(&mut *conn)
            .await?
        }
        Selection::Matching(filter) => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "UPDATE monitored_host h SET is_public = $3 WHERE {MATCHES_FILTER} AND h.is_public <> $3 RETURNING h.id"
            )))
            .bind(filter.status.map(HostStatus::as_str))
            .bind(filter.search_term())
            .bind(is_public)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(changed)
}

/// The shop's monitoring settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonitorSettings {
    /// New hosts (added by hand or imported) appear on the public status
    /// page unless told otherwise; seed 000's dashboard listed every VPS.
    pub new_hosts_public: bool,
}

pub async fn settings(conn: &mut PgConnection) -> Result<MonitorSettings, MonitoringError> {
    Ok(
        sqlx::query_as::<_, (bool,)>("SELECT new_hosts_public FROM monitor_settings")
            .fetch_optional(conn)
            .await?
            .map_or(
                MonitorSettings {
                    new_hosts_public: true,
                },
                |(new_hosts_public,)| MonitorSettings { new_hosts_public },
            ),
    )
}

pub async fn save_settings(
    conn: &mut PgConnection,
    settings: &MonitorSettings,
) -> Result<MonitorSettings, MonitoringError> {
    sqlx::query("UPDATE monitor_settings SET new_hosts_public = $1")
        .bind(settings.new_hosts_public)
        .execute(conn)
        .await?;
    Ok(settings.clone())
}

/// Makes just-created hosts public or private as the shop's setting says.
/// Both ways of creating hosts (the form and the import) call it, so they
/// cannot disagree.
pub async fn apply_new_host_visibility(
    conn: &mut PgConnection,
    created: &[i64],
) -> Result<(), MonitoringError> {
    if created.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE monitored_host SET is_public = coalesce((SELECT new_hosts_public FROM monitor_settings), true) WHERE id = ANY($1)",
    )
    .bind(created)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<MonitoredHost, MonitoringError> {
    let row = sqlx::query_as::<_, HostRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT_HOSTS} WHERE h.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such host"))?;
    Ok(row.into())
}

async fn check_customer(
    conn: &mut PgConnection,
    customer: Option<Uuid>,
) -> Result<(), MonitoringError> {
    if let Some(customer) = customer {
        let exists = sqlx::query_scalar!("SELECT id FROM app_user WHERE id = $1", customer)
            .fetch_optional(conn)
            .await?;
        if exists.is_none() {
            return Err(ValidationErrors::single(
                "customer_id",
                "unknown",
                "no account with this id",
            )
            .into());
        }
    }
    Ok(())
}

/// Spreads first checks over the interval by the golden ratio of the id, so
/// hosts added together (an import) do not all come due in the same second
/// and stay spread afterwards.
pub(crate) const SPREAD_FIRST_CHECK: &str = "now() + make_interval(secs => ((id * 0.6180339887) - floor(id * 0.6180339887)) * check_interval_seconds)";

/// Adds a host (and its sale, unless `record_sale` is false).
pub async fn create(
    conn: &mut PgConnection,
    context: &WriteContext,
    input: &HostInput,
) -> Result<MonitoredHost, MonitoringError> {
    let host = input.validate()?;
    check_address(&host, context)?;
    check_customer(conn, host.customer_id).await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO monitored_host (name, address, port, expires_on, price_minor, currency, notes, customer_id, service_id, is_public,
                                       check_interval_seconds, failures_before_down, renotify_minutes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"#,
        host.name,
        host.address.to_string(),
        i32::from(host.port),
        host.expires_on,
        host.price_minor,
        host.currency.code(),
        host.notes,
        host.customer_id,
        host.service_id,
        host.is_public.unwrap_or(false),
        host.check_interval_seconds,
        host.failures_before_down,
        host.renotify_minutes
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(MonitoringError::from_write)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE monitored_host SET next_check_at = {SPREAD_FIRST_CHECK} WHERE id = $1"
    )))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if host.is_public.is_none() {
        apply_new_host_visibility(conn, &[id]).await?;
    }
    if input.record_sale.unwrap_or(true) {
        crate::sales::record_host_sales(conn, &[id], Some(context.today)).await?;
    }
    find(conn, id).await
}

/// Changes a host. A new address or port is checked again from scratch, a
/// shorter interval brings the next check forward, and an expiry date moved
/// to today or later re-arms the expiry messages. Moving it to another past
/// date does not: the host was already announced as expired (seed 000's
/// rule), and announcing it again would only repeat the same news.
pub async fn update(
    conn: &mut PgConnection,
    context: &WriteContext,
    id: i64,
    input: &HostInput,
) -> Result<MonitoredHost, MonitoringError> {
    let host = input.validate()?;
    // An address kept as it was is not judged again: a sysadmin's host on a
    // private network stays editable by business staff (its notes, price).
    let stored: Option<String> =
        sqlx::query_scalar("SELECT address FROM monitored_host WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if stored.as_deref() != Some(host.address.to_string().as_str()) {
        check_address(&host, context)?;
    }
    check_customer(conn, host.customer_id).await?;
    let updated = sqlx::query_scalar!(
        r#"UPDATE monitored_host SET
               name = $2, address = $3, port = $4, price_minor = $6, currency = $7, notes = $8, customer_id = $9,
               service_id = $10, is_public = coalesce($11, is_public), check_interval_seconds = $12, failures_before_down = $13, renotify_minutes = $14,
               expiry_notified = CASE WHEN expires_on IS DISTINCT FROM $5 AND ($5 IS NULL OR $5 >= $15) THEN false ELSE expiry_notified END,
               expiry_warned_days = CASE WHEN expires_on IS DISTINCT FROM $5 AND ($5 IS NULL OR $5 >= $15) THEN NULL ELSE expiry_warned_days END,
               expires_on = $5,
               status = CASE WHEN address <> $3 OR port <> $4 THEN 'pending' ELSE status END,
               consecutive_failures = CASE WHEN address <> $3 OR port <> $4 THEN 0 ELSE consecutive_failures END,
               next_check_at = CASE WHEN address <> $3 OR port <> $4 THEN now() ELSE LEAST(next_check_at, now() + $12::int * interval '1 second') END
           WHERE id = $1 RETURNING id"#,
        id,
        host.name,
        host.address.to_string(),
        i32::from(host.port),
        host.expires_on,
        host.price_minor,
        host.currency.code(),
        host.notes,
        host.customer_id,
        host.service_id,
        host.is_public,
        host.check_interval_seconds,
        host.failures_before_down,
        host.renotify_minutes,
        context.today
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(MonitoringError::from_write)?;
    if updated.is_none() {
        return Err(MonitoringError::NotFound("no such host"));
    }
    find(conn, id).await
}

/// Removes a host and its history; its sales stay in the book.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), MonitoringError> {
    let deleted = sqlx::query!("DELETE FROM monitored_host WHERE id = $1", id)
        .execute(conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such host"));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateChange {
    pub from_status: HostStatus,
    pub to_status: HostStatus,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaintenanceWindow {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewMaintenanceWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostDetail {
    pub host: MonitoredHost,
    pub uptime: Uptime,
    /// The newest 50 state changes.
    pub changes: Vec<StateChange>,
    /// Current and future windows.
    pub maintenance: Vec<MaintenanceWindow>,
}

pub async fn detail(pool: &PgPool, id: i64) -> Result<HostDetail, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let host = find(&mut conn, id).await?;
    let uptime = crate::uptime::uptime_of(&mut conn, &[id])
        .await?
        .pop()
        .map(|(_, uptime)| uptime)
        .unwrap_or(Uptime {
            last_24h: None,
            last_7d: None,
            last_30d: None,
        });
    let changes = sqlx::query_as!(
        StateChange,
        r#"SELECT from_status AS "from_status: HostStatus", to_status AS "to_status: HostStatus", reason, at FROM host_state_change WHERE host_id = $1 ORDER BY at DESC, id DESC LIMIT 50"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let maintenance = sqlx::query_as!(
        MaintenanceWindow,
        "SELECT id, starts_at, ends_at, reason FROM maintenance_window WHERE host_id = $1 AND ends_at > now() ORDER BY starts_at",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(HostDetail {
        host,
        uptime,
        changes,
        maintenance,
    })
}

pub async fn add_maintenance(
    conn: &mut PgConnection,
    host_id: i64,
    input: &NewMaintenanceWindow,
) -> Result<MaintenanceWindow, MonitoringError> {
    let mut errors = ValidationErrors::new();
    if input.ends_at <= input.starts_at {
        errors.add("ends_at", "before_start", "the window ends after it starts");
    }
    if input.ends_at - input.starts_at > chrono::Duration::days(31) {
        errors.add("ends_at", "too_long", "a window lasts at most 31 days");
    }
    if input.reason.chars().count() > bounds::MAINTENANCE_REASON_MAX_CHARS {
        errors.add(
            "reason",
            "too_long",
            format!(
                "at most {} characters",
                bounds::MAINTENANCE_REASON_MAX_CHARS
            ),
        );
    }
    errors.into_result()?;
    find(conn, host_id).await?;
    Ok(sqlx::query_as!(
        MaintenanceWindow,
        "INSERT INTO maintenance_window (host_id, starts_at, ends_at, reason) VALUES ($1, $2, $3, $4) RETURNING id, starts_at, ends_at, reason",
        host_id,
        input.starts_at,
        input.ends_at,
        input.reason.trim()
    )
    .fetch_one(conn)
    .await?)
}

pub async fn remove_maintenance(
    conn: &mut PgConnection,
    host_id: i64,
    window_id: i64,
) -> Result<(), MonitoringError> {
    let deleted = sqlx::query!(
        "DELETE FROM maintenance_window WHERE id = $1 AND host_id = $2",
        window_id,
        host_id
    )
    .execute(conn)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such maintenance window"));
    }
    Ok(())
}
