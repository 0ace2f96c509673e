//! The customers' Excel import (upload → preview → confirm) and export.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use monitoring::isp::workbook::{self, CustomerImport, ImportOutcome, ImportRowQuery};
use monitoring::spreadsheet::MAX_UPLOAD_BYTES;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::IspStaff;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::upload::{xlsx_attachment, xlsx_body};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(upload_customer_import)
        .service(get_customer_import)
        .service(confirm_customer_import)
        .service(cancel_customer_import)
        .service(export_customers);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The uploaded file's name, shown in the preview.
    pub file_name: Option<String>,
}

/// Upload an `.xlsx` of customers (the raw file as the body) for a preview:
/// each row `new`, `update` (with the fields that change), `unchanged` or
/// `invalid` (with its problems), and the first 50 rows. Nothing is written
/// until the import is confirmed, within an hour.
#[utoipa::path(
    tag = "isp",
    operation_id = "uploadIspCustomerImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook, at most 20 MiB"),
    responses(
        (status = 201, description = "The preview and its first page", body = CustomerImport),
        (status = 413, description = "Larger than 20 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as an .xlsx or octet-stream body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an .xlsx, unsafe, damaged, more than 20,000 rows, or no header row with a name column", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/customers/imports")]
async fn upload_customer_import(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = xlsx_body(&request, payload, MAX_UPLOAD_BYTES).await?;
    let file_name = query.file_name.as_deref().unwrap_or("pelanggan.xlsx");
    let staged =
        workbook::stage(&state.pool, Some(auth.principal.user_id), file_name, bytes).await?;
    Ok(HttpResponse::Created().json(staged))
}

/// A page of a stored preview's rows, optionally of one status.
#[utoipa::path(
    tag = "isp",
    operation_id = "getIspCustomerImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id"), ImportRowQuery),
    responses(
        (status = 200, description = "The preview and the page", body = CustomerImport),
        (status = 404, description = "No such import, or it expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/isp/customers/imports/{id}")]
async fn get_customer_import(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<ImportRowQuery>,
) -> Result<web::Json<CustomerImport>, ApiError> {
    Ok(web::Json(
        workbook::load(&state.pool, id.into_inner(), &query).await?,
    ))
}

/// Write the preview's valid rows (new and updated customers) in one
/// transaction; invalid rows are skipped.
#[utoipa::path(
    tag = "isp",
    operation_id = "confirmIspCustomerImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "What was written", body = ImportOutcome),
        (status = 404, description = "No such import, or it expired", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Confirmed already (`import_confirmed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A row conflicts with a customer saved since the preview", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/customers/imports/{id}/confirm")]
async fn confirm_customer_import(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ImportOutcome>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let outcome = workbook::confirm(&mut tx, id).await?;
    audited(
        &mut tx,
        &auth,
        "isp_customer_import.confirmed",
        "isp_customer_import",
        id,
        None,
        Some(&outcome),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(outcome))
}

/// Drop a preview without writing anything.
#[utoipa::path(
    tag = "isp",
    operation_id = "cancelIspCustomerImport",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 204, description = "Dropped"),
        (status = 404, description = "No such import, or it was confirmed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/isp/customers/imports/{id}")]
async fn cancel_customer_import(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    workbook::cancel(&state.pool, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every customer as an `.xlsx` (sheet `Pelanggan`) that imports back
/// unchanged.
#[utoipa::path(
    tag = "isp",
    operation_id = "exportIspCustomers",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    responses(
        (status = 200, description = "The workbook", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
)]
#[get("/api/v1/isp/customers/export")]
async fn export_customers(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = workbook::export(&state.pool).await?;
    let name = format!("pelanggan-{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
    Ok(xlsx_attachment(name, bytes))
}
