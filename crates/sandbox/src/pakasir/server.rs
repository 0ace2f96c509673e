//! The Pakasir fake's HTTP side: the four API calls (parameters in the JSON
//! body or the query string) and the hosted payment page with its
//! "Simulasi bayar" button.

use std::collections::HashMap;

use actix_web::{HttpResponse, http::StatusCode, web};
use serde_json::{Value, json};

use super::{
    PAYMENT_METHODS, PakasirStatus, PakasirTransaction,
    state::{PakasirState, Refusal},
};
use crate::{
    checkout::{self, FailureMode},
    web::html,
};

const BRAND: &str = "Pakasir";

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/transactioncreate/{method}", web::post().to(create))
        .route("/api/transactiondetail", web::get().to(detail))
        .route("/api/transactioncancel", web::post().to(cancel))
        .route("/api/paymentsimulation", web::post().to(simulate))
        .route("/pay/{project}/{amount}", web::get().to(hosted_page))
        .route(
            "/pay/{project}/{amount}/simulate",
            web::post().to(hosted_simulate),
        )
        .default_service(web::to(|| async {
            refused(&Refusal {
                status: 404,
                message: "Not found".to_owned(),
            })
        }));
}

fn refused(refusal: &Refusal) -> HttpResponse {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(json!({ "message": refusal.message }))
}

/// The call's parameters: the JSON body's fields over the query string's.
struct Params(HashMap<String, String>);

impl Params {
    fn read(query: HashMap<String, String>, body: &[u8]) -> Result<Self, Refusal> {
        let mut params = query;
        if !body.iter().all(u8::is_ascii_whitespace) {
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
                return Err(Refusal {
                    status: 400,
                    message: "Invalid JSON body".to_owned(),
                });
            };
            for (name, value) in fields {
                let text = match value {
                    Value::String(text) => text,
                    Value::Number(number) => number.to_string(),
                    _ => continue,
                };
                params.insert(name, text);
            }
        }
        Ok(Params(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn credentials(&self, state: &PakasirState) -> Result<(), Refusal> {
        state.check_credentials(self.get("project"), self.get("api_key"))
    }

    fn order_id(&self) -> Result<&str, Refusal> {
        self.get("order_id")
            .filter(|order_id| !order_id.is_empty())
            .ok_or_else(|| Refusal {
                status: 400,
                message: "order_id is required".to_owned(),
            })
    }

    /// Whole rupiah.
    fn amount(&self) -> Result<i64, Refusal> {
        self.get("amount")
            .and_then(|amount| amount.trim().parse::<i64>().ok())
            .ok_or_else(|| Refusal {
                status: 400,
                message: "amount must be an integer".to_owned(),
            })
    }
}

fn params(
    query: web::Query<HashMap<String, String>>,
    body: &[u8],
    state: &PakasirState,
) -> Result<Params, Refusal> {
    let params = Params::read(query.into_inner(), body)?;
    params.credentials(state)?;
    Ok(params)
}

async fn create(
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let params = match params(query, &body, &state) {
        Ok(params) => params,
        Err(refusal) => return refused(&refusal),
    };
    let method = path.into_inner();
    if !PAYMENT_METHODS.contains(&method.as_str()) {
        return refused(&Refusal {
            status: 400,
            message: format!("Unknown payment method {method}"),
        });
    }
    let failure = state.take_create_failure();
    if failure == Some(FailureMode::ServerError) {
        return refused(&Refusal {
            status: 500,
            message: "Internal server error".to_owned(),
        });
    }
    let created = params
        .order_id()
        .and_then(|order_id| Ok((order_id, params.amount()?)))
        .and_then(|(order_id, amount)| state.create(order_id, amount, &method));
    match created {
        Ok(transaction) => {
            if failure == Some(FailureMode::Timeout) {
                tokio::time::sleep(state.config().slow_answer_delay).await;
            }
            HttpResponse::Ok().json(state.payment_body(&transaction))
        }
        Err(refusal) => refused(&refusal),
    }
}

async fn detail(
    query: web::Query<HashMap<String, String>>,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let found = params(query, &[], &state)
        .and_then(|params| state.find(params.order_id()?, params.amount()?));
    match found {
        Ok(transaction) => HttpResponse::Ok().json(state.transaction_body(&transaction)),
        Err(refusal) => refused(&refusal),
    }
}

async fn cancel(
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let cancelled = params(query, &body, &state).and_then(|params| {
        let (order_id, amount) = (params.order_id()?, params.amount()?);
        state
            .cancel(order_id, amount)
            .map_err(|error| Refusal::from(&error))
    });
    match cancelled {
        Ok(transaction) => HttpResponse::Ok().json(state.transaction_body(&transaction)),
        Err(refusal) => refused(&refusal),
    }
}

async fn simulate(
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let simulated = params(query, &body, &state).and_then(|params| {
        let (order_id, amount) = (params.order_id()?, params.amount()?);
        state
            .simulate(order_id, amount)
            .map_err(|error| Refusal::from(&error))
    });
    match simulated {
        Ok(transaction) => {
            notify(&state, &transaction).await;
            HttpResponse::Ok().json(json!({ "success": true }))
        }
        Err(refusal) => refused(&refusal),
    }
}

/// Sends the webhook of a completed transaction, waiting for the shop's
/// answer; its fate is in the delivery log.
async fn notify(state: &PakasirState, transaction: &PakasirTransaction) {
    if let Err(error) = state.webhook_if_configured(transaction).await {
        tracing::info!(order_id = %transaction.order_id, %error, "Pakasir fake: webhook not delivered");
    }
}

/// The hosted page: the transaction `order_id` of `amount`, created as a
/// QRIS transaction on first visit.
async fn hosted_page(
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let (project, amount) = path.into_inner();
    let transaction = match hosted_transaction(&state, &project, &amount, &query) {
        Ok(transaction) => transaction,
        Err((status, text)) => return problem_page(status, &text),
    };
    page(StatusCode::OK, &state, &transaction, &query, None)
}

async fn hosted_simulate(
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<PakasirState>,
) -> HttpResponse {
    let (project, amount) = path.into_inner();
    let transaction = match hosted_transaction(&state, &project, &amount, &query) {
        Ok(transaction) => transaction,
        Err((status, text)) => return problem_page(status, &text),
    };
    match state.simulate(&transaction.order_id, transaction.amount) {
        Ok(completed) => {
            notify(&state, &completed).await;
            match query.get("redirect").filter(|url| !url.is_empty()) {
                Some(redirect) => checkout::see_other(&checkout::with_query(
                    redirect,
                    &[("order_id", &completed.order_id)],
                )),
                None => page(StatusCode::OK, &state, &completed, &query, None),
            }
        }
        Err(error) => page(
            StatusCode::CONFLICT,
            &state,
            &transaction,
            &query,
            Some(&error.to_string()),
        ),
    }
}

fn hosted_transaction(
    state: &PakasirState,
    project: &str,
    amount: &str,
    query: &HashMap<String, String>,
) -> Result<PakasirTransaction, (StatusCode, String)> {
    let problem = |status: StatusCode, text: &str| (status, text.to_owned());
    if project != state.config().project {
        return Err(problem(StatusCode::NOT_FOUND, "Proyek tidak ditemukan."));
    }
    let Ok(amount) = amount.parse::<i64>() else {
        return Err(problem(StatusCode::BAD_REQUEST, "Nominal tidak valid."));
    };
    let Some(order_id) = query
        .get("order_id")
        .filter(|order_id| !order_id.is_empty())
    else {
        return Err(problem(StatusCode::BAD_REQUEST, "order_id wajib diisi."));
    };
    match state.transaction(order_id) {
        Some(existing) if existing.amount == amount => Ok(existing),
        Some(_) => Err(problem(
            StatusCode::BAD_REQUEST,
            "Nominal tidak sesuai dengan transaksi.",
        )),
        None => state
            .create(order_id, amount, "qris")
            .map_err(|refusal| problem(StatusCode::BAD_REQUEST, &refusal.message)),
    }
}

fn problem_page(status: StatusCode, text: &str) -> HttpResponse {
    let body = format!(
        "<h1>Pembayaran tidak tersedia</h1><p>{}</p>",
        html::escape(text)
    );
    checkout::page_response(status, checkout::page(BRAND, "Pembayaran", &body))
}

fn page(
    status: StatusCode,
    state: &PakasirState,
    transaction: &PakasirTransaction,
    query: &HashMap<String, String>,
    notice: Option<&str>,
) -> HttpResponse {
    let state_text = match transaction.status {
        PakasirStatus::Pending => "Menunggu pembayaran",
        PakasirStatus::Completed => "Pembayaran berhasil",
        PakasirStatus::Expired => "Kedaluwarsa",
        PakasirStatus::Canceled => "Dibatalkan",
    };
    let actions = if transaction.status == PakasirStatus::Pending {
        let action = checkout::with_query(
            &format!(
                "/pay/{}/{}/simulate",
                checkout::encode(&state.config().project),
                transaction.amount
            ),
            &[
                ("order_id", &transaction.order_id),
                ("redirect", query.get("redirect").map_or("", String::as_str)),
            ],
        );
        format!(
            "<div class=\"actions\">{}</div>",
            checkout::button(&action, "pay", "Simulasi bayar")
        )
    } else {
        String::new()
    };
    let notice = notice
        .map(|text| format!("<p class=\"notice\">{}</p>", html::escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Bayar dengan {method}</h1>\
         <p class=\"muted\">Order ID <code id=\"order-id\">{order_id}</code></p>\
         <div class=\"amount\" id=\"amount\" data-amount=\"{total_minor}\">{total}</div>\
         <table><tr><th>Nominal</th><td>{amount}</td></tr><tr><th>Biaya</th><td>{fee}</td></tr></table>\
         <p>QRIS:</p><p><code id=\"qr-string\">{number}</code></p>\
         {notice}<p id=\"status\">{state_text}</p>{actions}",
        method = html::escape(&transaction.payment_method.to_uppercase()),
        order_id = html::escape(&transaction.order_id),
        total_minor = transaction.total_payment,
        total = checkout::rupiah(transaction.total_payment),
        amount = checkout::rupiah(transaction.amount),
        fee = checkout::rupiah(transaction.fee),
        number = html::escape(&transaction.payment_number),
    );
    checkout::page_response(status, checkout::page(BRAND, "Pembayaran", &body))
}
