//! The client's invoices: list, read, print (HTML and PDF), and pay.

use actix_web::{HttpResponse, get, post, web};
use billing::invoice::Invoice;
use billing::invoice::InvoiceSummary;
use billing::invoice::store::{self as invoice_store, InvoiceFilter};
use billing::payment::attempt::{self, PayRequest, PaymentAttempt};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Buyers, PageQuery};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_invoices)
        .service(get_invoice)
        .service(invoice_html)
        .service(invoice_pdf)
        .service(pay_invoice);
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DocumentQuery {
    /// `id` (default) or `en`.
    pub lang: Option<billing::Lang>,
}

/// The printable invoice as a standalone HTML page (any staff of finance may
/// open any, a client their own).
pub(crate) async fn printable(
    state: &AppState,
    id: i64,
    owner: Option<uuid::Uuid>,
) -> Result<billing::invoice::document::InvoiceDocument, ApiError> {
    let mut conn = state.pool.acquire().await?;
    if let Some(owner) = owner {
        invoice_store::find_for(&mut conn, id, owner).await?;
    }
    let document =
        billing::invoice::printable::document(&mut conn, id, &state.clock.calendar()).await?;
    document
        .check()
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))?;
    Ok(document)
}

pub(crate) fn html_response(
    document: &billing::invoice::document::InvoiceDocument,
    lang: billing::Lang,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The page is standalone: no scripts, no outside resources.
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(billing::invoice::document::render_html(document, lang))
}

pub(crate) fn pdf_response(
    document: &billing::invoice::document::InvoiceDocument,
    lang: billing::Lang,
) -> Result<HttpResponse, ApiError> {
    let bytes = billing::invoice::document::render_pdf(document, lang)
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{}.pdf\"", document.number),
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}

/// One of the caller's invoices as a printable HTML page.
#[utoipa::path(
    tag = "invoices",
    operation_id = "getMyInvoiceHtml",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Invoice id"), DocumentQuery),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/invoices/{id}/document.html")]
async fn invoice_html(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<DocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    let document = printable(&state, *id, Some(auth.principal.user_id)).await?;
    Ok(html_response(&document, query.lang.unwrap_or_default()))
}

/// One of the caller's invoices as a PDF, made in-process.
#[utoipa::path(
    tag = "invoices",
    operation_id = "getMyInvoicePdf",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Invoice id"), DocumentQuery),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/invoices/{id}/document.pdf")]
async fn invoice_pdf(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<DocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    let document = printable(&state, *id, Some(auth.principal.user_id)).await?;
    pdf_response(&document, query.lang.unwrap_or_default())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicePage {
    pub items: Vec<InvoiceSummary>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// The caller's invoices, newest first.
#[utoipa::path(
    tag = "invoices",
    operation_id = "listMyInvoices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(PageQuery),
    responses((status = 200, description = "One page of invoices", body = InvoicePage))
)]
#[get("/api/v1/invoices")]
async fn list_invoices(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<InvoicePage>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let filter = InvoiceFilter {
        user: Some(auth.principal.user_id),
        page: page.page(),
        limit: page.limit(),
        ..InvoiceFilter::default()
    };
    let (items, total) = invoice_store::list(&mut conn, &filter).await?;
    Ok(web::Json(InvoicePage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// One of the caller's invoices with its lines.
#[utoipa::path(
    tag = "invoices",
    operation_id = "getMyInvoice",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice", body = Invoice),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/invoices/{id}")]
async fn get_invoice(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Invoice>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        invoice_store::find_for(&mut conn, *id, auth.principal.user_id).await?,
    ))
}

/// Pay an invoice: a gateway answers a page to open (Midtrans, Xendit) or a QR
/// string (Pakasir); a manual transfer answers the bank instructions; the wallet
/// pays at once. Repeating the call while a payment is open answers that payment.
#[utoipa::path(
    tag = "invoices",
    operation_id = "payMyInvoice",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Invoice id")),
    request_body = PayRequest,
    responses(
        (status = 200, description = "What to do next", body = PaymentAttempt),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invoice_not_payable`, `payment_method_disabled`, `currency_not_supported` or `insufficient_funds`", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`gateway_error`: the gateway refused the charge", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The gateway cannot be reached; try again", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/invoices/{id}/payments")]
async fn pay_invoice(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PayRequest>,
) -> Result<HttpResponse, ApiError> {
    let finish_url = format!(
        "{}/client/invoices/{}?returned=1",
        state.settings.public_base_url.trim_end_matches('/'),
        *id
    );
    let attempt = attempt::start(
        &state.payments,
        *id,
        auth.principal.user_id,
        &body,
        &finish_url,
    )
    .await?;
    Ok(HttpResponse::Ok().json(attempt))
}
