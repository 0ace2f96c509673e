//! The Midtrans fake's HTTP side: Snap's create call, the Core API's status
//! and cancel calls, and the Snap checkout page with its "Bayar" and
//! cancel buttons.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use serde_json::{Value, json};

use super::{
    MidtransCharge, MidtransItem, TransactionStatus,
    state::{Cancelled, MidtransState, NewCharge},
};
use crate::{
    checkout::{self, FailureMode},
    web::html,
};

const BRAND: &str = "Midtrans Snap";

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/snap/v1/transactions", web::post().to(create))
        .route("/snap/v4/redirection/{token}", web::get().to(checkout_page))
        .route("/snap/v4/redirection/{token}/pay", web::post().to(pay))
        .route("/snap/v4/redirection/{token}/fail", web::post().to(fail))
        .route("/v2/{order_id}/status", web::get().to(status))
        .route("/v2/{order_id}/cancel", web::post().to(cancel))
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(json!({
                "status_code": "404",
                "status_message": "The requested resource is not found",
            }))
        }));
}

fn authorization(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}

/// Snap's error shape: `{"error_messages": [...]}` with the HTTP status.
fn snap_error(status: StatusCode, messages: &[&str]) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error_messages": messages }))
}

async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<MidtransState>,
) -> HttpResponse {
    if !state.authorized(authorization(&request)) {
        return snap_error(
            StatusCode::UNAUTHORIZED,
            &[
                "Access denied due to unauthorized transaction, please check client or server key",
                "Visit https://snap-docs.midtrans.com/#request-headers for more details",
            ],
        );
    }
    let failure = state.take_create_failure();
    if failure == Some(FailureMode::ServerError) {
        return snap_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &["Sorry, we encountered internal server error. We will fix this soon."],
        );
    }
    let new = match parse_snap_request(&body) {
        Ok(new) => new,
        Err(messages) => {
            let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
            return snap_error(StatusCode::BAD_REQUEST, &messages);
        }
    };
    let base = format!("http://{}", request.connection_info().host());
    match state.create(new, &base) {
        Ok(charge) => {
            if failure == Some(FailureMode::Timeout) {
                tokio::time::sleep(state.config().slow_answer_delay).await;
            }
            HttpResponse::Created().json(json!({
                "token": charge.token,
                "redirect_url": charge.redirect_url,
            }))
        }
        Err(message) => snap_error(StatusCode::BAD_REQUEST, &[&message]),
    }
}

/// Checks a Snap request as Midtrans does; every problem found, in Snap's
/// words.
fn parse_snap_request(body: &[u8]) -> Result<NewCharge, Vec<String>> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Err(vec!["Invalid JSON body".to_owned()]);
    };
    let mut problems = Vec::new();
    let details = &request["transaction_details"];
    let order_id = details["order_id"].as_str().unwrap_or_default().to_owned();
    if order_id.is_empty() {
        problems.push("transaction_details.order_id is required".to_owned());
    } else if order_id.chars().count() > 50 {
        problems.push("transaction_details.order_id too long".to_owned());
    } else if !order_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    {
        problems.push(
            "transaction_details.order_id can only contain alphanumeric, dash, underscore, tilde or dot"
                .to_owned(),
        );
    }
    let gross_amount = match whole(&details["gross_amount"]) {
        Some(amount) if amount >= 1 => amount,
        Some(_) => {
            problems
                .push("transaction_details.gross_amount must be greater than or equal to 1".into());
            0
        }
        None if details["gross_amount"].is_null() => {
            problems.push("transaction_details.gross_amount is required".into());
            0
        }
        None => {
            problems.push("transaction_details.gross_amount must be an integer".into());
            0
        }
    };
    let mut items = Vec::new();
    if let Some(lines) = request["item_details"].as_array() {
        for (index, line) in lines.iter().enumerate() {
            let price = whole(&line["price"]);
            let quantity = whole(&line["quantity"]);
            let name = line["name"].as_str().unwrap_or_default();
            if price.is_none() {
                problems.push(format!("item_details[{index}].price must be an integer"));
            }
            if quantity.is_none_or(|quantity| quantity < 1) {
                problems.push(format!(
                    "item_details[{index}].quantity must be greater than or equal to 1"
                ));
            }
            if name.is_empty() {
                problems.push(format!("item_details[{index}].name is required"));
            }
            items.push(MidtransItem {
                id: line["id"].as_str().map(str::to_owned),
                name: name.to_owned(),
                price: price.unwrap_or_default(),
                quantity: quantity.unwrap_or_default(),
            });
        }
        let sum = items.iter().try_fold(0i64, |sum, item| {
            sum.checked_add(item.price.checked_mul(item.quantity)?)
        });
        if problems.is_empty() && sum != Some(gross_amount) {
            problems.push(
                "transaction_details.gross_amount is not equal to the sum of item_details".into(),
            );
        }
    }
    let lifetime = match &request["expiry"] {
        Value::Null => chrono::Duration::hours(24),
        expiry => {
            let duration = whole(&expiry["duration"]).filter(|duration| *duration > 0);
            let unit = match expiry["unit"].as_str().unwrap_or_default() {
                "minute" | "minutes" => Some(chrono::Duration::minutes(1)),
                "hour" | "hours" => Some(chrono::Duration::hours(1)),
                "day" | "days" => Some(chrono::Duration::days(1)),
                _ => None,
            };
            match (duration, unit) {
                (Some(duration), Some(unit)) => unit * i32::try_from(duration).unwrap_or(i32::MAX),
                _ => {
                    problems.push("expiry.unit and expiry.duration are invalid".into());
                    chrono::Duration::zero()
                }
            }
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let customer = &request["customer_details"];
    Ok(NewCharge {
        order_id,
        gross_amount,
        customer_name: customer["first_name"].as_str().map(str::to_owned),
        customer_email: customer["email"].as_str().map(str::to_owned),
        items,
        finish_url: request["callbacks"]["finish"]
            .as_str()
            .filter(|url| !url.is_empty())
            .map(str::to_owned),
        lifetime,
    })
}

/// A JSON number that is a whole number.
fn whole(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                // Integral and far inside i64: the cast is exact.
                .map(|float| float as i64)
        }),
        _ => None,
    }
}

/// The Core API's error shape, with the HTTP status or, when the fake is
/// told to, HTTP 200 and the code only in the body.
fn core_error(state: &MidtransState, code: StatusCode, message: &str) -> HttpResponse {
    let http_status = if state.errors_in_body() {
        StatusCode::OK
    } else {
        code
    };
    HttpResponse::build(http_status).json(json!({
        "status_code": code.as_u16().to_string(),
        "status_message": message,
        "id": uuid::Uuid::new_v4().to_string(),
    }))
}

fn core_unauthorized(state: &MidtransState) -> HttpResponse {
    core_error(
        state,
        StatusCode::UNAUTHORIZED,
        "Unknown Merchant server_key/id",
    )
}

async fn status(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<MidtransState>,
) -> HttpResponse {
    if !state.authorized(authorization(&request)) {
        return core_unauthorized(&state);
    }
    match state.charge(&path) {
        // Known to the Core API once a payment method was chosen.
        Some(charge) if charge.status.is_some() => {
            HttpResponse::Ok().json(state.status_body(&charge))
        }
        _ => core_error(&state, StatusCode::NOT_FOUND, "Transaction doesn't exist."),
    }
}

async fn cancel(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<MidtransState>,
) -> HttpResponse {
    if !state.authorized(authorization(&request)) {
        return core_unauthorized(&state);
    }
    match state.cancel(&path) {
        Cancelled::NotFound => {
            core_error(&state, StatusCode::NOT_FOUND, "Transaction doesn't exist.")
        }
        Cancelled::Refused => core_error(
            &state,
            StatusCode::PRECONDITION_FAILED,
            "Merchant cannot modify the status of the transaction",
        ),
        Cancelled::Done(charge) => {
            let mut body = state.status_body(&charge);
            if let Value::Object(fields) = &mut body {
                fields.insert(
                    "status_message".into(),
                    json!("Success, transaction is canceled"),
                );
            }
            // Midtrans notifies a cancellation like any other change, on its
            // own time.
            let notifier = state.get_ref().clone();
            tokio::spawn(async move {
                if let Err(error) = notifier.notify_if_configured(&charge).await {
                    tracing::info!(%error, "Midtrans fake: cancel notification not delivered");
                }
            });
            HttpResponse::Ok().json(body)
        }
    }
}

async fn checkout_page(path: web::Path<String>, state: web::Data<MidtransState>) -> HttpResponse {
    match state.charge_by_token(&path) {
        Some(charge) => page(StatusCode::OK, &charge, None),
        None => unknown_token(),
    }
}

async fn pay(path: web::Path<String>, state: web::Data<MidtransState>) -> HttpResponse {
    let Some(charge) = state.charge_by_token(&path) else {
        return unknown_token();
    };
    match state.settle(&charge.order_id) {
        Ok(charge) => finish(&state, charge).await,
        Err(error) => page(StatusCode::CONFLICT, &charge, Some(&error.to_string())),
    }
}

async fn fail(path: web::Path<String>, state: web::Data<MidtransState>) -> HttpResponse {
    let Some(charge) = state.charge_by_token(&path) else {
        return unknown_token();
    };
    match state.expire(&charge.order_id) {
        Ok(charge) => finish(&state, charge).await,
        Err(error) => page(StatusCode::CONFLICT, &charge, Some(&error.to_string())),
    }
}

/// Notifies the shop (and waits for its answer, as the customer's browser
/// waits for Midtrans), then sends the browser back to the finish URL with
/// Midtrans' query parameters.
async fn finish(state: &MidtransState, charge: MidtransCharge) -> HttpResponse {
    if let Err(error) = state.notify_if_configured(&charge).await {
        tracing::info!(order_id = %charge.order_id, %error, "Midtrans fake: notification not delivered");
    }
    let status = charge.status.unwrap_or(TransactionStatus::Pending);
    match &charge.finish_url {
        Some(finish_url) => checkout::see_other(&checkout::with_query(
            finish_url,
            &[
                ("order_id", &charge.order_id),
                ("status_code", status.status_code()),
                ("transaction_status", status.as_str()),
            ],
        )),
        None => page(StatusCode::OK, &charge, None),
    }
}

fn unknown_token() -> HttpResponse {
    checkout::page_response(
        StatusCode::NOT_FOUND,
        checkout::page(
            BRAND,
            "Transaksi tidak ditemukan",
            "<h1>Transaksi tidak ditemukan</h1><p>This Snap token is unknown.</p>",
        ),
    )
}

fn page(status: StatusCode, charge: &MidtransCharge, notice: Option<&str>) -> HttpResponse {
    let items: String = charge
        .items
        .iter()
        .map(|item| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                html::escape(&item.name),
                item.quantity,
                checkout::rupiah(item.price)
            )
        })
        .collect();
    let state_text = match charge.status {
        None => "Menunggu pilihan metode pembayaran".to_owned(),
        Some(TransactionStatus::Pending) => "Menunggu pembayaran (transfer bank)".to_owned(),
        Some(TransactionStatus::Settlement) => "Pembayaran berhasil".to_owned(),
        Some(other) => format!("Transaksi {}", other.as_str()),
    };
    let payable = charge.status.is_none_or(|status| !status.is_final())
        && chrono::Utc::now() <= charge.expires_at;
    let token = html::escape(&charge.token);
    let actions = if payable {
        format!(
            "<div class=\"actions\">{}{}</div>",
            checkout::button(&format!("/snap/v4/redirection/{token}/pay"), "pay", "Bayar"),
            checkout::button(
                &format!("/snap/v4/redirection/{token}/fail"),
                "fail",
                "Batalkan (kedaluwarsa)"
            ),
        )
    } else {
        String::new()
    };
    let notice = notice
        .map(|text| format!("<p class=\"notice\">{}</p>", html::escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Pembayaran</h1>\
         <p class=\"muted\">Order ID <code id=\"order-id\">{order_id}</code></p>\
         <div class=\"amount\" id=\"amount\" data-amount=\"{minor}\">{amount}</div>\
         {notice}\
         <table><tr><th>Item</th><th>Jumlah</th><th>Harga</th></tr>{items}</table>\
         <p id=\"status\">{state}</p>{actions}",
        order_id = html::escape(&charge.order_id),
        minor = charge.gross_amount,
        amount = checkout::rupiah(charge.gross_amount),
        state = html::escape(&state_text),
    );
    checkout::page_response(status, checkout::page(BRAND, "Pembayaran", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_snap_request_is_read() {
        let body = json!({
            "transaction_details": {"order_id": "INV-1", "gross_amount": 150000},
            "item_details": [{"id": "P1", "price": 75000, "quantity": 2, "name": "Hosting"}],
            "customer_details": {"first_name": "Budi", "email": "budi@example.test"},
            "expiry": {"unit": "minute", "duration": 30},
            "callbacks": {"finish": "http://shop.test/done"},
        });
        let new = parse_snap_request(body.to_string().as_bytes()).expect("valid");
        assert_eq!(new.gross_amount, 150_000);
        assert_eq!(new.lifetime, chrono::Duration::minutes(30));
        assert_eq!(new.finish_url.as_deref(), Some("http://shop.test/done"));
    }

    #[test]
    fn items_must_sum_to_the_gross_amount() {
        let body = json!({
            "transaction_details": {"order_id": "INV-1", "gross_amount": 150000},
            "item_details": [{"id": "P1", "price": 75000, "quantity": 1, "name": "Hosting"}],
        });
        assert_eq!(
            parse_snap_request(body.to_string().as_bytes()).err(),
            Some(vec![
                "transaction_details.gross_amount is not equal to the sum of item_details"
                    .to_owned()
            ])
        );
    }

    #[test]
    fn order_id_and_amount_are_checked() {
        let body = json!({"transaction_details": {"order_id": "INV 1/2", "gross_amount": 10.5}});
        let problems = parse_snap_request(body.to_string().as_bytes())
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
