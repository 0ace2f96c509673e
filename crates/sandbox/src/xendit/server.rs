//! The Xendit fake's HTTP side: the Invoice API calls and the invoice page
//! with its "Bayar" and expire buttons.

use std::time::Duration;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    InvoiceStatus, XenditInvoice,
    state::{Expired, NewInvoice, XenditState},
};
use crate::{
    checkout::{self, FailureMode},
    web::html,
};

const BRAND: &str = "Xendit Checkout";
/// Xendit's longest invoice life: a year.
const MAX_INVOICE_SECONDS: u64 = 31_536_000;
const DEFAULT_INVOICE_SECONDS: u64 = 86_400;

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/v2/invoices", web::post().to(create))
        .route("/v2/invoices", web::get().to(list))
        .route("/v2/invoices/{id}", web::get().to(get))
        .route("/invoices/{id}/expire!", web::post().to(expire))
        .route("/web/{id}", web::get().to(invoice_page))
        .route("/web/{id}/pay", web::post().to(pay))
        .route("/web/{id}/fail", web::post().to(fail))
        .default_service(web::to(|| async {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource was not found",
            )
        }));
}

/// Xendit's error shape.
fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error_code": code, "message": message }))
}

fn invoice_not_found() -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "INVOICE_NOT_FOUND_ERROR",
        "Could not find invoice by id",
    )
}

fn validation(message: &str) -> HttpResponse {
    error(StatusCode::BAD_REQUEST, "API_VALIDATION_ERROR", message)
}

/// A refused invoice request: Xendit's 400 with its error code.
struct Invalid {
    code: &'static str,
    message: String,
}

impl Invalid {
    fn validation(message: &str) -> Self {
        Invalid {
            code: "API_VALIDATION_ERROR",
            message: message.to_owned(),
        }
    }

    fn response(&self) -> HttpResponse {
        error(StatusCode::BAD_REQUEST, self.code, &self.message)
    }
}

/// `None` when authorised; the 401 otherwise.
fn unauthorized(request: &HttpRequest, state: &XenditState) -> Option<HttpResponse> {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    (!state.authorized(authorization)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "INVALID_API_KEY",
            "API key is not authorized for this API service",
        )
    })
}

async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<XenditState>,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&request, &state) {
        return refused;
    }
    let failure = state.take_create_failure();
    if failure == Some(FailureMode::ServerError) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SERVER_ERROR",
            "An unexpected error occured, our team has been notified and will troubleshoot the issue.",
        );
    }
    let new = match parse_invoice_request(&body) {
        Ok(new) => new,
        Err(invalid) => return invalid.response(),
    };
    let base = format!("http://{}", request.connection_info().host());
    let invoice = state.create(new, &base);
    if failure == Some(FailureMode::Timeout) {
        tokio::time::sleep(state.config().slow_answer_delay).await;
    }
    HttpResponse::Ok().json(state.invoice_body(&invoice))
}

fn parse_invoice_request(body: &[u8]) -> Result<NewInvoice, Invalid> {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Err(Invalid::validation("Request body must be a JSON object"));
    };
    let text = |name: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let external_id =
        text("external_id").ok_or_else(|| Invalid::validation("external_id is required"))?;
    let currency = text("currency").unwrap_or_else(|| "IDR".to_owned());
    if !matches!(currency.as_str(), "IDR" | "USD") {
        return Err(Invalid {
            code: "UNSUPPORTED_CURRENCY",
            message: format!("Currency {currency} is not supported for this business"),
        });
    }
    let amount_minor = match request.get("amount") {
        Some(Value::Number(number)) => {
            minor_units(&number.to_string(), &currency).ok_or_else(|| {
                Invalid::validation("amount must be a number with at most 2 decimals")
            })?
        }
        Some(_) => return Err(Invalid::validation("amount must be a number")),
        None => return Err(Invalid::validation("amount is required")),
    };
    if amount_minor < 1 {
        return Err(Invalid::validation(
            "amount must be greater than or equal to 1",
        ));
    }
    let payer_email = text("payer_email");
    if let Some(email) = &payer_email
        && !plausible_email(email)
    {
        return Err(Invalid {
            code: "EMAIL_FORMAT_ERROR",
            message: "payer_email is not a valid email address".to_owned(),
        });
    }
    let seconds = match request.get("invoice_duration") {
        None => DEFAULT_INVOICE_SECONDS,
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
            .filter(|seconds| (1..=MAX_INVOICE_SECONDS).contains(seconds))
            .ok_or_else(|| {
                Invalid::validation("invoice_duration must be between 1 and 31536000 seconds")
            })?,
    };
    Ok(NewInvoice {
        external_id,
        currency,
        amount_minor,
        payer_email,
        description: text("description"),
        duration: Duration::from_secs(seconds),
        success_redirect_url: text("success_redirect_url"),
        failure_redirect_url: text("failure_redirect_url"),
    })
}

/// A JSON number's text as minor units: rupiah decimals are truncated, as
/// Xendit does; dollars keep at most two.
fn minor_units(text: &str, currency: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|byte| byte.is_ascii_digit())
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    if currency != "USD" {
        return Some(whole);
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 2 {
        return None;
    }
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

fn plausible_email(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

#[derive(Deserialize)]
struct ListQuery {
    external_id: Option<String>,
    limit: Option<usize>,
}

async fn list(
    request: HttpRequest,
    query: web::Query<ListQuery>,
    state: web::Data<XenditState>,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&request, &state) {
        return refused;
    }
    let limit = query.limit.unwrap_or(10).clamp(1, 100);
    let bodies: Vec<Value> = state
        .invoices()
        .iter()
        .rev()
        .filter(|invoice| {
            query
                .external_id
                .as_deref()
                .is_none_or(|wanted| invoice.external_id == wanted)
        })
        .take(limit)
        .map(|invoice| state.invoice_body(invoice))
        .collect();
    HttpResponse::Ok().json(bodies)
}

async fn get(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<XenditState>,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&request, &state) {
        return refused;
    }
    match state.invoice(&path) {
        Some(invoice) => HttpResponse::Ok().json(state.invoice_body(&invoice)),
        None => invoice_not_found(),
    }
}

async fn expire(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<XenditState>,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&request, &state) {
        return refused;
    }
    match state.expire_via_api(&path) {
        Expired::NotFound => invoice_not_found(),
        Expired::AlreadyPaid => validation("Invoice is already paid and cannot be expired"),
        Expired::Done(invoice) => {
            let body = state.invoice_body(&invoice);
            let notifier = state.get_ref().clone();
            tokio::spawn(async move {
                if let Err(error) = notifier.callback_retrying_in_background(&invoice).await {
                    tracing::info!(%error, "Xendit fake: expiry callback not delivered");
                }
            });
            HttpResponse::Ok().json(body)
        }
    }
}

async fn invoice_page(path: web::Path<String>, state: web::Data<XenditState>) -> HttpResponse {
    match state.invoice(&path) {
        Some(invoice) => page(&state, StatusCode::OK, &invoice, None),
        None => unknown_invoice(),
    }
}

async fn pay(path: web::Path<String>, state: web::Data<XenditState>) -> HttpResponse {
    let Some(invoice) = state.invoice(&path) else {
        return unknown_invoice();
    };
    match state.pay(&invoice.id) {
        Ok(invoice) => finish(&state, invoice, true).await,
        Err(error) => page(
            &state,
            StatusCode::CONFLICT,
            &invoice,
            Some(&error.to_string()),
        ),
    }
}

async fn fail(path: web::Path<String>, state: web::Data<XenditState>) -> HttpResponse {
    let Some(invoice) = state.invoice(&path) else {
        return unknown_invoice();
    };
    match state.expire(&invoice.id) {
        Ok(invoice) => finish(&state, invoice, false).await,
        Err(error) => page(
            &state,
            StatusCode::CONFLICT,
            &invoice,
            Some(&error.to_string()),
        ),
    }
}

/// Sends the callback (its first attempt awaited), then the browser back to
/// the shop.
async fn finish(state: &XenditState, invoice: XenditInvoice, paid: bool) -> HttpResponse {
    if let Err(error) = state.callback_retrying_in_background(&invoice).await {
        tracing::info!(id = %invoice.id, %error, "Xendit fake: callback not delivered");
    }
    let target = if paid {
        invoice.success_redirect_url.as_ref()
    } else {
        invoice
            .failure_redirect_url
            .as_ref()
            .or(invoice.success_redirect_url.as_ref())
    };
    match target {
        Some(url) => checkout::see_other(url),
        None => page(state, StatusCode::OK, &invoice, None),
    }
}

fn unknown_invoice() -> HttpResponse {
    checkout::page_response(
        StatusCode::NOT_FOUND,
        checkout::page(
            BRAND,
            "Invoice tidak ditemukan",
            "<h1>Invoice tidak ditemukan</h1><p>This invoice id is unknown.</p>",
        ),
    )
}

fn shown_amount(minor: i64, currency: &str) -> String {
    if currency == "USD" {
        format!("US$ {}.{:02}", minor / 100, minor % 100)
    } else {
        checkout::rupiah(minor)
    }
}

fn page(
    state: &XenditState,
    status: StatusCode,
    invoice: &XenditInvoice,
    notice: Option<&str>,
) -> HttpResponse {
    let state_text = match invoice.status {
        InvoiceStatus::Pending => "Menunggu pembayaran",
        InvoiceStatus::Paid | InvoiceStatus::Settled => "Lunas",
        InvoiceStatus::Expired => "Kedaluwarsa",
    };
    let id = html::escape(&invoice.id);
    let actions = if invoice.status == InvoiceStatus::Pending {
        format!(
            "<div class=\"actions\">{}{}</div>",
            checkout::button(&format!("/web/{id}/pay"), "pay", "Bayar"),
            checkout::button(&format!("/web/{id}/fail"), "fail", "Kedaluwarsakan"),
        )
    } else {
        String::new()
    };
    let notice = notice
        .map(|text| format!("<p class=\"notice\">{}</p>", html::escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{merchant}</h1>\
         <p class=\"muted\">Invoice <code id=\"external-id\">{external_id}</code></p>\
         <p>{description}</p>\
         <div class=\"amount\" id=\"amount\" data-amount=\"{minor}\">{amount}</div>\
         {notice}<p id=\"status\">{state}</p>{actions}",
        merchant = html::escape(&state.config().merchant_name),
        external_id = html::escape(&invoice.external_id),
        description = html::escape(invoice.description.as_deref().unwrap_or_default()),
        minor = invoice.amount_minor,
        amount = html::escape(&shown_amount(invoice.amount_minor, &invoice.currency)),
        state = state_text,
    );
    checkout::page_response(status, checkout::page(BRAND, "Invoice", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_xendit_reads_them() {
        assert_eq!(minor_units("150000", "IDR"), Some(150_000));
        // Rupiah decimals are truncated.
        assert_eq!(minor_units("150000.7", "IDR"), Some(150_000));
        assert_eq!(minor_units("12.5", "USD"), Some(1250));
        assert_eq!(minor_units("12.345", "USD"), None);
        assert_eq!(minor_units("-5", "IDR"), None);
    }
}
