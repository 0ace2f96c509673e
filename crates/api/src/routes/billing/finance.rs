//! Finance: orders, invoices (with the .xlsx export), money received,
//! payments that need a look, manual transfers to confirm, refunds, and the
//! billing settings.

use actix_web::{HttpResponse, get, post, put, web};
use billing::invoice::store::{self as invoice_store, InvoiceFilter, InvoiceStatus};
use billing::invoice::{Invoice, InvoiceSummary};
use billing::order::query::{self as order_query, OrderDetail, OrderFilter};
use billing::payment::attempt::PaymentAttempt;
use billing::payment::finance::{self, PaymentFilter, PaymentFlag, ReceivedPayment};
use billing::payment::manual::{self, Decision, ManualPayment};
use billing::payment::refund::{self, CreditNote, RefundInput};
use billing::settings::{self, BillingSettings, BillingSettingsInput};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{FinanceStaff, PageQuery};
use crate::auth::{Auth, StaffOnly};
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_orders)
        .service(get_order)
        .service(list_invoices)
        .service(export_invoices)
        .service(get_invoice)
        .service(staff_invoice_pdf)
        .service(list_payments)
        .service(list_flags)
        .service(resolve_flag)
        .service(list_manual)
        .service(manual_proof)
        .service(confirm_manual)
        .service(reject_manual)
        .service(refund_invoice)
        .service(get_settings)
        .service(put_settings);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffOrderQuery {
    /// `pending_payment`, `paid`, `provisioning`, `active`, `cancelled` or `failed`.
    pub status: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100; default 25.
    pub limit: Option<i64>,
}

/// Orders of every client, newest first.
#[utoipa::path(
    tag = "finance",
    operation_id = "listOrders",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(StaffOrderQuery),
    responses((status = 200, description = "One page of orders", body = super::orders::OrderPage))
)]
#[get("/api/v1/staff/orders")]
async fn list_orders(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    query: web::Query<StaffOrderQuery>,
) -> Result<web::Json<super::orders::OrderPage>, ApiError> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    };
    let filter = OrderFilter {
        user: None,
        status: query.status.clone().filter(|s| !s.is_empty()),
        page: page.page(),
        limit: page.limit(),
    };
    let mut conn = state.pool.acquire().await?;
    let (items, total) = order_query::list(&mut conn, &filter).await?;
    Ok(web::Json(super::orders::OrderPage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// Any order with its status history.
#[utoipa::path(
    tag = "finance",
    operation_id = "getOrder",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/orders/{id}")]
async fn get_order(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderDetail>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(order_query::find(&mut conn, *id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffInvoiceQuery {
    /// `unpaid`, `paid`, `cancelled` or `refunded`.
    pub status: Option<InvoiceStatus>,
    /// Issued on or after this day (shop time).
    pub from: Option<NaiveDate>,
    /// Issued on or before this day (shop time).
    pub to: Option<NaiveDate>,
    /// Part of the number, buyer name or email.
    pub q: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100; default 25.
    pub limit: Option<i64>,
}

fn day_start(state: &AppState, day: NaiveDate) -> Option<DateTime<Utc>> {
    let zone: chrono_tz::Tz = state.clock.calendar().zone_name().parse().ok()?;
    day.and_hms_opt(0, 0, 0)?
        .and_local_timezone(zone)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

fn invoice_filter(state: &AppState, query: &StaffInvoiceQuery, limit: i64) -> InvoiceFilter {
    InvoiceFilter {
        user: None,
        status: query.status,
        issued_from: query.from.and_then(|d| day_start(state, d)),
        issued_before: query
            .to
            .and_then(|d| d.succ_opt())
            .and_then(|d| day_start(state, d)),
        search: query.q.clone(),
        page: query.page.unwrap_or(1).clamp(1, 100_000),
        limit,
    }
}

/// Invoices of every client, newest first, filtered.
#[utoipa::path(
    tag = "finance",
    operation_id = "listInvoices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(StaffInvoiceQuery),
    responses((status = 200, description = "One page of invoices", body = super::invoices::InvoicePage))
)]
#[get("/api/v1/staff/invoices")]
async fn list_invoices(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    query: web::Query<StaffInvoiceQuery>,
) -> Result<web::Json<super::invoices::InvoicePage>, ApiError> {
    let filter = invoice_filter(
        &state,
        &query,
        query.limit.unwrap_or(25).clamp(1, domain::PAGE_SIZE_MAX),
    );
    let mut conn = state.pool.acquire().await?;
    let (items, total) = invoice_store::list(&mut conn, &filter).await?;
    Ok(web::Json(super::invoices::InvoicePage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// The most rows one export holds.
const EXPORT_MAX_ROWS: i64 = 50_000;

/// The filtered invoices as an .xlsx workbook (at most 50,000 rows).
#[utoipa::path(
    tag = "finance",
    operation_id = "exportInvoices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(StaffInvoiceQuery),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>))
)]
#[get("/api/v1/staff/invoices/export")]
async fn export_invoices(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    query: web::Query<StaffInvoiceQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut filter = invoice_filter(&state, &query, EXPORT_MAX_ROWS);
    filter.page = 1;
    let mut conn = state.pool.acquire().await?;
    let (items, _) = invoice_store::list(&mut conn, &filter).await?;
    let bytes = invoices_workbook(&items, &state.clock.calendar())
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::routes::upload::XLSX)
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"invoices.xlsx\"",
        ))
        .body(bytes))
}

fn invoices_workbook(
    items: &[InvoiceSummary],
    calendar: &domain::ShopCalendar,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Invoices")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let headers = [
        "Number",
        "Issued",
        "Due",
        "Paid",
        "Client",
        "Email",
        "Purpose",
        "Currency",
        "Total",
        "PPN",
        "Paid amount",
        "Status",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_with_format(0, column as u16, *header, &bold)?;
    }
    for (index, invoice) in items.iter().enumerate() {
        let row = index as u32 + 1;
        // Amounts in major units as numbers, so sums work in the sheet.
        let scale = 10f64.powi(invoice.currency.minor_digits() as i32);
        sheet.write(row, 0, &invoice.number)?;
        sheet.write(row, 1, calendar.local_time(invoice.issued_at))?;
        sheet.write(row, 2, calendar.local_time(invoice.due_at))?;
        sheet.write(
            row,
            3,
            invoice
                .paid_at
                .map(|at| calendar.local_time(at))
                .unwrap_or_default(),
        )?;
        sheet.write(row, 4, &invoice.buyer_name)?;
        sheet.write(row, 5, &invoice.buyer_email)?;
        sheet.write(
            row,
            6,
            if invoice.order_id.is_some() {
                "order"
            } else {
                "top_up"
            },
        )?;
        sheet.write(row, 7, invoice.currency.code())?;
        sheet.write(row, 8, invoice.total_minor as f64 / scale)?;
        sheet.write(row, 9, invoice.tax_minor as f64 / scale)?;
        sheet.write(row, 10, invoice.amount_paid_minor as f64 / scale)?;
        sheet.write(row, 11, invoice.status.as_str())?;
    }
    sheet.autofit();
    workbook.save_to_buffer()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffInvoice {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub payments: Vec<ReceivedPayment>,
    pub credit_notes: Vec<CreditNote>,
}

/// Any invoice with the money received and its credit notes.
#[utoipa::path(
    tag = "finance",
    operation_id = "getInvoice",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice", body = StaffInvoice),
        (status = 404, description = "No such invoice", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/invoices/{id}")]
async fn get_invoice(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<StaffInvoice>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let invoice = invoice_store::find(&mut conn, *id).await?;
    let payments = finance::payments(
        &mut conn,
        &PaymentFilter {
            invoice_id: Some(*id),
            limit: 500,
            ..PaymentFilter::default()
        },
    )
    .await?;
    let credit_notes = refund::credit_notes(&mut conn, *id).await?;
    Ok(web::Json(StaffInvoice {
        invoice,
        payments,
        credit_notes,
    }))
}

/// Any invoice as a PDF.
#[utoipa::path(
    tag = "finance",
    operation_id = "getInvoicePdf",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Invoice id"), super::invoices::DocumentQuery),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "No such invoice", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/invoices/{id}/document.pdf")]
async fn staff_invoice_pdf(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<super::invoices::DocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    let document = super::invoices::printable(&state, *id, None).await?;
    super::invoices::pdf_response(&document, query.lang.unwrap_or_default())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PaymentQuery {
    /// `midtrans`, `xendit`, `pakasir`, `manual` or `wallet`.
    pub method: Option<String>,
    /// Received on or after this day (shop time).
    pub from: Option<NaiveDate>,
    /// Received on or before this day (shop time).
    pub to: Option<NaiveDate>,
    /// 1 to 500; default 100.
    pub limit: Option<i64>,
}

/// Money received (transactions), newest first.
#[utoipa::path(
    tag = "finance",
    operation_id = "listPayments",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(PaymentQuery),
    responses((status = 200, description = "Payments", body = Vec<ReceivedPayment>))
)]
#[get("/api/v1/staff/payments")]
async fn list_payments(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    query: web::Query<PaymentQuery>,
) -> Result<web::Json<Vec<ReceivedPayment>>, ApiError> {
    let filter = PaymentFilter {
        invoice_id: None,
        method: query.method.clone().filter(|m| !m.is_empty()),
        from: query.from.and_then(|d| day_start(&state, d)),
        before: query
            .to
            .and_then(|d| d.succ_opt())
            .and_then(|d| day_start(&state, d)),
        limit: query.limit.unwrap_or(100).clamp(1, 500),
    };
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(finance::payments(&mut conn, &filter).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FlagQuery {
    /// Only unresolved flags (default true).
    pub open: Option<bool>,
}

/// Payments that did not match their invoice, for finance to look at.
#[utoipa::path(
    tag = "finance",
    operation_id = "listPaymentFlags",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(FlagQuery),
    responses((status = 200, description = "Flags, open first", body = Vec<PaymentFlag>))
)]
#[get("/api/v1/staff/payment-flags")]
async fn list_flags(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    query: web::Query<FlagQuery>,
) -> Result<web::Json<Vec<PaymentFlag>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        finance::flags(&mut conn, query.open.unwrap_or(true)).await?,
    ))
}

/// Mark a flag as looked at.
#[utoipa::path(
    tag = "finance",
    operation_id = "resolvePaymentFlag",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Flag id")),
    responses(
        (status = 204, description = "Resolved"),
        (status = 404, description = "No open flag with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/payment-flags/{id}/resolve")]
async fn resolve_flag(
    auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    finance::resolve_flag(&mut tx, *id, auth.principal.user_id).await?;
    audited::<_, ()>(
        &mut tx,
        &auth,
        "payment_flag.resolved",
        "payment_flag",
        *id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ManualQuery {
    /// Only those waiting for a decision (default true).
    pub open: Option<bool>,
}

/// Manual bank transfers, those waiting for a decision first.
#[utoipa::path(
    tag = "finance",
    operation_id = "listManualPayments",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(ManualQuery),
    responses((status = 200, description = "Manual payments", body = Vec<ManualPayment>))
)]
#[get("/api/v1/staff/manual-payments")]
async fn list_manual(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    query: web::Query<ManualQuery>,
) -> Result<web::Json<Vec<ManualPayment>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        manual::list(&mut conn, query.open.unwrap_or(true)).await?,
    ))
}

/// The proof image a client uploaded.
#[utoipa::path(
    tag = "finance",
    operation_id = "getTransferProof",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Payment attempt id")),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, description = "No such manual payment, or no proof", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/manual-payments/{id}/proof")]
async fn manual_proof(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let (content_type, bytes) = manual::proof(&mut conn, *id).await?;
    // The type was sniffed at upload; nosniff keeps the browser to it.
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'"))
        .body(bytes))
}

/// Confirm a bank transfer arrived, with the bank's reference: the invoice is paid.
#[utoipa::path(
    tag = "finance",
    operation_id = "confirmManualPayment",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Payment attempt id")),
    request_body = Decision,
    responses(
        (status = 200, description = "Confirmed", body = PaymentAttempt),
        (status = 404, description = "No such manual payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`attempt_decided`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/manual-payments/{id}/confirm")]
async fn confirm_manual(
    auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Decision>,
) -> Result<web::Json<PaymentAttempt>, ApiError> {
    let confirmed = manual::confirm(&state.payments, *id, &body, auth.principal.user_id).await?;
    let mut conn = state.pool.acquire().await?;
    audited(
        &mut conn,
        &auth,
        "manual_payment.confirmed",
        "payment_attempt",
        *id,
        None,
        Some(&confirmed),
    )
    .await?;
    Ok(web::Json(confirmed))
}

/// Reject a bank transfer with a reason the client is told.
#[utoipa::path(
    tag = "finance",
    operation_id = "rejectManualPayment",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Payment attempt id")),
    request_body = Decision,
    responses(
        (status = 200, description = "Rejected", body = PaymentAttempt),
        (status = 404, description = "No such manual payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`attempt_decided`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/manual-payments/{id}/reject")]
async fn reject_manual(
    auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Decision>,
) -> Result<web::Json<PaymentAttempt>, ApiError> {
    let rejected = manual::reject(&state.payments, *id, &body, auth.principal.user_id).await?;
    let mut conn = state.pool.acquire().await?;
    audited(
        &mut conn,
        &auth,
        "manual_payment.rejected",
        "payment_attempt",
        *id,
        None,
        Some(&rejected),
    )
    .await?;
    Ok(web::Json(rejected))
}

/// Refund a paid invoice as a credit note: to the client's wallet, or paid out.
#[utoipa::path(
    tag = "finance",
    operation_id = "refundInvoice",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "Invoice id")),
    request_body = RefundInput,
    responses(
        (status = 201, description = "The credit note", body = CreditNote),
        (status = 404, description = "No such invoice", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invoice_not_payable` (not a paid order invoice) or `refund_too_large`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/invoices/{id}/refunds")]
async fn refund_invoice(
    auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<RefundInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let note = refund::refund(&mut tx, *id, &body, auth.principal.user_id).await?;
    audited(
        &mut tx,
        &auth,
        "invoice.refunded",
        "invoice",
        *id,
        None,
        Some(&note),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(note))
}

/// The shop's billing rules: PPN, payment timeout, seller details.
#[utoipa::path(
    tag = "finance",
    operation_id = "getBillingSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    responses((status = 200, description = "The settings", body = BillingSettings))
)]
#[get("/api/v1/staff/billing-settings")]
async fn get_settings(
    _auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
) -> Result<web::Json<BillingSettings>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(settings::load(&mut conn).await?))
}

/// Change the billing rules; new invoices use them.
#[utoipa::path(
    tag = "finance",
    operation_id = "updateBillingSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    request_body = BillingSettingsInput,
    responses(
        (status = 200, description = "Saved", body = BillingSettings),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/billing-settings")]
async fn put_settings(
    auth: Auth<FinanceStaff>,
    state: web::Data<AppState>,
    body: web::Json<BillingSettingsInput>,
) -> Result<web::Json<BillingSettings>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = settings::load(&mut tx).await?;
    let after = settings::update(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "billing_settings.updated",
        "billing_settings",
        "shop",
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}
