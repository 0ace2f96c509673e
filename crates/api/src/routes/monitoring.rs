//! Monitored hosts (staff), their maintenance windows, the Excel import and
//! export, and the public status page.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use identity::audit::{self, AuditRecord};
use monitoring::host::{
    self, HostDetail, HostFilter, HostInput, HostStatus, MaintenanceWindow, MonitorSettings,
    MonitoredHost, NewMaintenanceWindow, Selection, WriteContext,
};
use monitoring::import::{
    self, AccountSaleRowPage, HostRowPage, ImportResult, RowQuery, StagedImport,
};
use monitoring::spreadsheet::MAX_UPLOAD_BYTES;
use monitoring::status::{self, StatusPage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Auth, Policy};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_hosts)
        .service(create_host)
        .service(get_host)
        .service(update_host)
        .service(delete_host)
        .service(set_hosts_public)
        .service(get_monitor_settings)
        .service(put_monitor_settings)
        .service(add_maintenance)
        .service(remove_maintenance)
        .service(upload_import)
        .service(get_import)
        .service(import_host_rows)
        .service(import_account_sale_rows)
        .service(confirm_import)
        .service(cancel_import)
        .service(export_workbook)
        .service(status_page);
}

/// Who runs the monitor: the owner, sysadmins and the business side.
pub struct MonitorStaff;
impl Policy for MonitorStaff {
    const ROLES: &'static [identity::Role] = &[
        identity::Role::Owner,
        identity::Role::Sysadmin,
        identity::Role::Business,
    ];
}

/// Who may change the shop's monitoring settings and add hosts on private
/// networks: the owner and sysadmins. The owner can turn on
/// `MONITOR_ALLOW_PRIVATE_ADDRESSES`-like behaviour anyway by being the
/// owner; sysadmins run the shop's own servers and legitimately watch
/// internal ones. Business staff add customers' servers, which are public.
pub struct MonitorAdmins;
impl Policy for MonitorAdmins {
    const ROLES: &'static [identity::Role] = &[identity::Role::Owner, identity::Role::Sysadmin];
}

/// The shop's day, the address rules and the caller's permission for a
/// host write.
fn write_context(state: &AppState, auth: &Auth<MonitorStaff>) -> WriteContext {
    WriteContext {
        today: state.clock.today(),
        addresses: state.settings.monitor.addresses,
        private_permitted: auth.principal.has_any(MonitorAdmins::ROLES),
    }
}

use super::upload::xlsx_attachment;

/// Records a host change with the full host before and after, so the log
/// can settle what exactly an edit or a delete changed.
async fn audited<T: serde::Serialize, B: serde::Serialize>(
    tx: &mut sqlx::PgConnection,
    auth: &Auth<MonitorStaff>,
    action: &str,
    entity_id: String,
    before: Option<&B>,
    after: Option<&T>,
) -> Result<(), ApiError> {
    let entry = AuditRecord {
        action,
        entity_type: "monitored_host",
        entity_id,
        before: before.map(|value| serde_json::json!(value)),
        after: after.map(|value| serde_json::json!(value)),
    };
    audit::record(tx, &auth.actor(), entry).await?;
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HostQuery {
    /// `pending`, `up` or `down`.
    pub status: Option<HostStatus>,
    /// Part of the name or address.
    pub q: Option<String>,
}

/// Every monitored host with its current state.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "listHosts",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(HostQuery),
    responses(
        (status = 200, description = "Hosts by name", body = [MonitoredHost]),
    )
)]
#[get("/api/v1/monitoring/hosts")]
async fn list_hosts(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    query: web::Query<HostQuery>,
) -> Result<web::Json<Vec<MonitoredHost>>, ApiError> {
    let filter = HostFilter {
        status: query.status,
        search: query.q.clone(),
    };
    Ok(web::Json(host::list(&state.pool, &filter).await?))
}

/// Add a host; its first check comes within one interval. Records the sale
/// unless `record_sale` is false.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "createHost",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    responses(
        (status = 201, description = "Added", body = MonitoredHost),
        (status = 409, description = "Same name, address and port exist (`duplicate_host`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (address, port, currency, …)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/monitoring/hosts")]
async fn create_host(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    body: web::Json<HostInput>,
) -> Result<HttpResponse, ApiError> {
    let context = write_context(&state, &auth);
    let mut tx = state.pool.begin().await?;
    let created = host::create(&mut tx, &context, &body).await?;
    audited::<_, ()>(
        &mut tx,
        &auth,
        "host.created",
        created.id.to_string(),
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// One host with its uptime (24 h, 7 d, 30 d), recent state changes and
/// maintenance windows.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "getHost",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "Host id")),
    responses(
        (status = 200, description = "The host", body = HostDetail),
        (status = 404, description = "No such host", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/monitoring/hosts/{id}")]
async fn get_host(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<HostDetail>, ApiError> {
    Ok(web::Json(host::detail(&state.pool, id.into_inner()).await?))
}

/// Change a host. A new address or port is checked from scratch; a new
/// expiry date re-arms the expiry messages.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "updateHost",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "Host id")),
    responses(
        (status = 200, description = "Saved", body = MonitoredHost),
        (status = 404, description = "No such host", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same name, address and port exist (`duplicate_host`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/monitoring/hosts/{id}")]
async fn update_host(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<HostInput>,
) -> Result<web::Json<MonitoredHost>, ApiError> {
    let id = id.into_inner();
    let context = write_context(&state, &auth);
    let mut tx = state.pool.begin().await?;
    let before = host::find(&mut tx, id).await?;
    let updated = host::update(&mut tx, &context, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "host.updated",
        updated.id.to_string(),
        Some(&before),
        Some(&updated),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(updated))
}

/// Remove a host and its history (its sales stay in the book).
#[utoipa::path(
    tag = "monitoring",
    operation_id = "deleteHost",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "Host id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such host", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/monitoring/hosts/{id}")]
async fn delete_host(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = host::find(&mut tx, id).await?;
    host::delete(&mut tx, id).await?;
    audited::<(), _>(
        &mut tx,
        &auth,
        "host.deleted",
        id.to_string(),
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish or unpublish hosts on the status page: the selected ones
/// (`ids`), or every host matching the list's filter (`all_matching`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetHostsPublic {
    pub is_public: bool,
    /// The selected rows; give this or `all_matching`, not both.
    pub ids: Option<Vec<i64>>,
    /// Every host the list shows with this filter.
    pub all_matching: Option<HostListFilter>,
}

/// The hosts list's filter, as in `GET /api/v1/monitoring/hosts`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HostListFilter {
    pub status: Option<HostStatus>,
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HostsPublicResult {
    /// Hosts whose visibility changed (those already so are not counted).
    pub updated: usize,
}

/// Publish or unpublish hosts on the status page in bulk: the selected rows,
/// or every host matching the list's filter. Audited with the ids.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "setHostsPublic",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    request_body = SetHostsPublic,
    responses(
        (status = 200, description = "Changed", body = HostsPublicResult),
        (status = 422, description = "Neither or both of `ids` and `all_matching`, or too many ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/monitoring/hosts/visibility")]
async fn set_hosts_public(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    body: web::Json<SetHostsPublic>,
) -> Result<web::Json<HostsPublicResult>, ApiError> {
    let body = body.into_inner();
    let selection = match (body.ids, body.all_matching) {
        (Some(ids), None) if ids.len() <= 10_000 => Selection::Ids(ids),
        (None, Some(filter)) => Selection::Matching(HostFilter {
            status: filter.status,
            search: filter.q,
        }),
        _ => {
            return Err(domain::ValidationErrors::single(
                "ids",
                "invalid_selection",
                "give either `ids` (at most 10000) or `all_matching`",
            )
            .into());
        }
    };
    let mut tx = state.pool.begin().await?;
    let changed = host::set_public(&mut tx, &selection, body.is_public).await?;
    if !changed.is_empty() {
        let entry = AuditRecord {
            action: if body.is_public {
                "host.published"
            } else {
                "host.unpublished"
            },
            entity_type: "monitored_host",
            entity_id: changed
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            before: Some(serde_json::json!({ "ids": changed, "is_public": !body.is_public })),
            after: Some(serde_json::json!({ "ids": changed, "is_public": body.is_public })),
        };
        audit::record(&mut tx, &auth.actor(), entry).await?;
    }
    tx.commit().await?;
    Ok(web::Json(HostsPublicResult {
        updated: changed.len(),
    }))
}

/// The shop's monitoring settings.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "getMonitorSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses(
        (status = 200, description = "The settings", body = MonitorSettings),
    )
)]
#[get("/api/v1/monitoring/settings")]
async fn get_monitor_settings(
    _auth: Auth<MonitorAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<MonitorSettings>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(host::settings(&mut conn).await?))
}

/// Change the shop's monitoring settings.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "putMonitorSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = MonitorSettings,
    responses(
        (status = 200, description = "Saved", body = MonitorSettings),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/monitoring/settings")]
async fn put_monitor_settings(
    auth: Auth<MonitorAdmins>,
    state: web::Data<AppState>,
    body: web::Json<MonitorSettings>,
) -> Result<web::Json<MonitorSettings>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = host::settings(&mut tx).await?;
    let saved = host::save_settings(&mut tx, &body).await?;
    let entry = AuditRecord {
        action: "monitor_settings.updated",
        entity_type: "monitor_settings",
        entity_id: "shop".to_owned(),
        before: Some(serde_json::json!(before)),
        after: Some(serde_json::json!(saved)),
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    Ok(web::Json(saved))
}

/// Plan a maintenance window: the host is still checked, but no alert is sent.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "addMaintenanceWindow",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "Host id")),
    responses(
        (status = 201, description = "Planned", body = MaintenanceWindow),
        (status = 404, description = "No such host", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Ends before it starts, or longer than 31 days", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/monitoring/hosts/{id}/maintenance")]
async fn add_maintenance(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<NewMaintenanceWindow>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let window = host::add_maintenance(&mut tx, id, &body).await?;
    audited::<_, ()>(
        &mut tx,
        &auth,
        "host.maintenance_planned",
        id.to_string(),
        None,
        Some(&window),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(window))
}

/// Drop a maintenance window.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "removeMaintenanceWindow",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "Host id"), ("window_id" = i64, Path, description = "Window id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such window", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/monitoring/hosts/{id}/maintenance/{window_id}")]
async fn remove_maintenance(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, window) = path.into_inner();
    let mut tx = state.pool.begin().await?;
    host::remove_maintenance(&mut tx, id, window).await?;
    audited::<(), ()>(
        &mut tx,
        &auth,
        "host.maintenance_removed",
        id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The uploaded file's name, shown in the preview.
    pub file_name: Option<String>,
}

/// Upload an `.xlsx` (the raw file as the body) for a preview: the summary
/// (rows per sheet, and per status: `new`, `update`, `unchanged`,
/// `duplicate`, `invalid`) and the first page of the `VPS` and `AKUN` rows;
/// further pages from `/imports/{id}/hosts` and `/imports/{id}/account-sales`.
/// Nothing is written until the import is confirmed; the preview expires
/// after an hour.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "uploadImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook, at most 20 MiB"),
    responses(
        (status = 201, description = "The preview's summary and first pages, kept under its id", body = StagedImport),
        (status = 413, description = "Larger than 20 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as an .xlsx or octet-stream body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an .xlsx (`not_xlsx`: .xls, CSV…), unsafe (`unsafe_workbook`: zip bomb), damaged (`corrupt_workbook`), no VPS/AKUN sheet (`no_known_sheets`) or too many rows", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/monitoring/imports")]
async fn upload_import(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = super::upload::xlsx_body(&request, payload, MAX_UPLOAD_BYTES).await?;
    let file_name = query
        .file_name
        .clone()
        .unwrap_or_else(|| "upload.xlsx".to_owned());
    let staged = import::stage(
        &state.pool,
        Some(auth.principal.user_id),
        &file_name,
        bytes,
        write_context(&state, &auth),
    )
    .await?;
    Ok(HttpResponse::Created().json(staged))
}

/// A stored preview's summary and first pages again (e.g. after a page reload).
#[utoipa::path(
    tag = "monitoring",
    operation_id = "getImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "The preview", body = StagedImport),
        (status = 404, description = "No such import, or it expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/monitoring/imports/{id}")]
async fn get_import(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<StagedImport>, ApiError> {
    Ok(web::Json(import::load(&state.pool, id.into_inner()).await?))
}

/// A page of a preview's `VPS` rows, optionally only one status
/// (`invalid`: only rows with problems).
#[utoipa::path(
    tag = "monitoring",
    operation_id = "listImportHostRows",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id"), RowQuery),
    responses(
        (status = 200, description = "The page", body = HostRowPage),
        (status = 404, description = "No such import, or it expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/monitoring/imports/{id}/hosts")]
async fn import_host_rows(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<RowQuery>,
) -> Result<web::Json<HostRowPage>, ApiError> {
    Ok(web::Json(
        import::hosts(&state.pool, id.into_inner(), &query).await?,
    ))
}

/// A page of a preview's `AKUN` rows, optionally only one status
/// (`duplicate`: already in the sales book or earlier in the file).
#[utoipa::path(
    tag = "monitoring",
    operation_id = "listImportAccountSaleRows",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id"), RowQuery),
    responses(
        (status = 200, description = "The page", body = AccountSaleRowPage),
        (status = 404, description = "No such import, or it expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/monitoring/imports/{id}/account-sales")]
async fn import_account_sale_rows(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<RowQuery>,
) -> Result<web::Json<AccountSaleRowPage>, ApiError> {
    Ok(web::Json(
        import::account_sales(&state.pool, id.into_inner(), &query).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConfirmQuery {
    /// Also add account sales identical to one already in the book or
    /// earlier in the file (default false: they are skipped).
    pub include_duplicates: Option<bool>,
}

/// Write the preview's valid rows in one transaction: a known host (same
/// name ignoring case and spaces, address and port) gets the values its row
/// has, a blank cell keeps the stored value; a new host is added with its
/// sale; account sales are added, except duplicates unless
/// `include_duplicates`. Rows with problems are skipped. An import is
/// confirmed once; the audit log records the file name and counts.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "confirmImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id"), ConfirmQuery),
    responses(
        (status = 200, description = "What was written", body = ImportResult),
        (status = 404, description = "No such import, it expired, or it was already confirmed or cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`hosts_changed`: one of the file's hosts was added by someone else while the import was being confirmed; nothing was written and the preview stays, confirm again", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/monitoring/imports/{id}/confirm")]
async fn confirm_import(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<ConfirmQuery>,
) -> Result<web::Json<ImportResult>, ApiError> {
    let id = id.into_inner();
    let include_duplicates = query.include_duplicates.unwrap_or(false);
    let mut tx = state.pool.begin().await?;
    let confirmed = import::confirm(&mut tx, id, include_duplicates, state.clock.today()).await?;
    let entry = AuditRecord {
        action: "import.confirmed",
        entity_type: "import",
        entity_id: id.to_string(),
        before: None,
        after: Some(serde_json::json!({
            "file_name": confirmed.file_name,
            "include_duplicates": include_duplicates,
            "rows": confirmed.summary,
            "result": confirmed.outcome,
        })),
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    Ok(web::Json(confirmed.outcome))
}

/// Discard a preview; the audit log records the file name and counts.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "cancelImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 204, description = "Discarded"),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/monitoring/imports/{id}")]
async fn cancel_import(
    auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let cancelled = import::cancel(&mut tx, id).await?;
    let entry = AuditRecord {
        action: "import.cancelled",
        entity_type: "import",
        entity_id: id.to_string(),
        before: Some(serde_json::json!({
            "file_name": cancelled.file_name,
            "rows": cancelled.summary,
        })),
        after: None,
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every host (sheet `VPS`) and account sale (sheet `AKUN`) as an `.xlsx`
/// that imports back to the same values.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "exportWorkbook",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    responses(
        (status = 200, description = "The workbook", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
)]
#[get("/api/v1/monitoring/export")]
async fn export_workbook(
    _auth: Auth<MonitorStaff>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = import::export(&state.pool).await?;
    let name = format!("juragan-{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
    Ok(xlsx_attachment(name, bytes))
}

/// The public status page: the hosts staff made public, with UP/DOWN, last
/// check, response time, days left, expiry badges and uptime. No login.
#[utoipa::path(
    tag = "monitoring",
    operation_id = "getStatusPage",
    responses((status = 200, description = "Public host states", body = StatusPage))
)]
#[get("/api/v1/status")]
async fn status_page(state: web::Data<AppState>) -> Result<web::Json<StatusPage>, ApiError> {
    Ok(web::Json(status::public_page(&state.pool).await?))
}
