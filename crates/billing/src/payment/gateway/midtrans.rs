//! Midtrans: a Snap transaction for the customer's checkout page
//! (`POST {snap}/transactions`), the Core API for its status and
//! cancellation (`/v2/{order_id}/status|cancel`), and the HTTP notification
//! signed with `SHA512(order_id + status_code + gross_amount + server_key)`.
//!
//! The Core API reports errors in the body's `status_code` as well as (or
//! instead of) the HTTP status, so both are read; and a Snap order is
//! unknown to it (`404`) until the customer picks a payment method.

use std::{fmt, time::Duration};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone as _, Utc};
use domain::money::{Currency, Money};
use futures::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha512};

use super::{
    Charge, ChargeRequest, ConnectionReport, GatewayError, GatewayKind, IncomingNotification,
    Notification, PaymentGateway, PaymentState, StatusReport, amount,
    http::{self, Answer},
    redacted, secrets_match,
};

const KIND: GatewayKind = GatewayKind::Midtrans;
/// Midtrans refuses longer item ids and names.
const MAX_ITEM_FIELD_CHARS: usize = 50;
/// An order id no shop uses: reading its status proves the key works.
const CONNECTION_PROBE_ORDER_ID: &str = "juragan-connection-check";

/// Where Midtrans is and the merchant's server key.
#[derive(Clone)]
pub struct MidtransConfig {
    /// `https://app.sandbox.midtrans.com/snap/v1` or
    /// `https://app.midtrans.com/snap/v1`.
    pub snap_base_url: String,
    /// `https://api.sandbox.midtrans.com` or `https://api.midtrans.com`.
    pub core_base_url: String,
    pub server_key: String,
    /// The deadline of each call.
    pub timeout: Duration,
}

impl MidtransConfig {
    pub const SANDBOX_SNAP_BASE_URL: &str = "https://app.sandbox.midtrans.com/snap/v1";
    pub const SANDBOX_CORE_BASE_URL: &str = "https://api.sandbox.midtrans.com";
    pub const PRODUCTION_SNAP_BASE_URL: &str = "https://app.midtrans.com/snap/v1";
    pub const PRODUCTION_CORE_BASE_URL: &str = "https://api.midtrans.com";
}

impl fmt::Debug for MidtransConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MidtransConfig")
            .field("snap_base_url", &self.snap_base_url)
            .field("core_base_url", &self.core_base_url)
            .field("server_key", &redacted(&self.server_key))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The Midtrans client.
pub struct MidtransGateway {
    config: MidtransConfig,
    http: reqwest::Client,
    authorization: HeaderValue,
}

impl fmt::Debug for MidtransGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MidtransGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MidtransGateway {
    pub fn new(config: MidtransConfig, http: reqwest::Client) -> Self {
        let authorization = http::basic_auth(&config.server_key);
        MidtransGateway {
            config,
            http,
            authorization,
        }
    }

    fn snap(&self, segments: &[&str]) -> Result<reqwest::Url, GatewayError> {
        http::endpoint(KIND, &self.config.snap_base_url, segments)
    }

    fn core(&self, segments: &[&str]) -> Result<reqwest::Url, GatewayError> {
        http::endpoint(KIND, &self.config.core_base_url, segments)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, GatewayError> {
        let request = request
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/json");
        http::send(KIND, request, self.config.timeout).await
    }

    async fn create(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        if !self.supports(request.amount.currency()) {
            return Err(GatewayError::UnsupportedCurrency(request.amount.currency()));
        }
        let minutes = expiry_minutes(request.expires_in);
        let body = snap_request(request, minutes);
        let answer = self
            .send(self.http.post(self.snap(&["transactions"])?).json(&body))
            .await?;
        let json = answer.json();
        if !answer.status.is_success() {
            let message = json.as_ref().map(error_message).unwrap_or_default();
            return Err(http::status_error(KIND, answer.status.as_u16(), &message));
        }
        let json = json.ok_or_else(|| malformed("the Snap answer is not JSON"))?;
        let token = text(&json, "token");
        let redirect_url = text(&json, "redirect_url")
            .ok_or_else(|| malformed("the Snap answer has no redirect_url"))?;
        if token.is_none() {
            return Err(malformed("the Snap answer has no token"));
        }
        Ok(Charge {
            gateway_reference: request.reference.clone(),
            redirect_url: Some(redirect_url),
            qr_string: None,
            total_payable: request.amount,
            expires_at: Some(Utc::now() + chrono::Duration::minutes(i64::from(minutes))),
        })
    }

    async fn read_status(&self, order_id: &str) -> Result<StatusReport, GatewayError> {
        let url = self.core(&["v2", order_id, "status"])?;
        match core_answer(self.send(self.http.get(url)).await?)? {
            CoreAnswer::NotFound => Ok(StatusReport::not_found()),
            CoreAnswer::Transaction(fields) => report(&fields),
        }
    }

    async fn cancel_order(&self, order_id: &str) -> Result<(), GatewayError> {
        let url = self.core(&["v2", order_id, "cancel"])?;
        match core_answer(self.send(self.http.post(url)).await?)? {
            CoreAnswer::NotFound | CoreAnswer::Transaction(_) => Ok(()),
        }
    }

    async fn probe(&self) -> Result<ConnectionReport, GatewayError> {
        let url = self.core(&["v2", CONNECTION_PROBE_ORDER_ID, "status"])?;
        let answer = self.send(self.http.get(url)).await?;
        let latency_ms = http::millis(answer.elapsed);
        core_answer(answer)?;
        Ok(ConnectionReport {
            latency_ms,
            detail: format!("Midtrans Core API accepted the server key in {latency_ms} ms"),
        })
    }
}

impl PaymentGateway for MidtransGateway {
    fn kind(&self) -> GatewayKind {
        KIND
    }

    fn supports(&self, currency: Currency) -> bool {
        currency == Currency::Idr
    }

    fn create_charge<'a>(
        &'a self,
        request: &'a ChargeRequest,
    ) -> BoxFuture<'a, Result<Charge, GatewayError>> {
        Box::pin(self.create(request))
    }

    fn status<'a>(
        &'a self,
        gateway_reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<StatusReport, GatewayError>> {
        Box::pin(self.read_status(gateway_reference))
    }

    fn cancel<'a>(
        &'a self,
        gateway_reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(self.cancel_order(gateway_reference))
    }

    fn verify_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Notification, GatewayError> {
        let fields = match serde_json::from_slice::<Value>(incoming.body) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(malformed("the notification is not a JSON object")),
        };
        let field = |name: &str| {
            field_text(&fields, name)
                .ok_or_else(|| malformed(&format!("the notification has no {name}")))
        };
        let order_id = field("order_id")?;
        let status_code = field("status_code")?;
        let gross_amount = field("gross_amount")?;
        let signature = field("signature_key")?;
        let expected = signature_key(
            &order_id,
            &status_code,
            &gross_amount,
            &self.config.server_key,
        );
        if !secrets_match(
            signature.to_ascii_lowercase().as_bytes(),
            expected.as_bytes(),
        ) {
            return Err(GatewayError::Unauthenticated(
                "the Midtrans signature_key does not match".to_owned(),
            ));
        }
        let claimed = report(&fields)?;
        let transaction_status = field("transaction_status")?;
        let transaction_id = field_text(&fields, "transaction_id").unwrap_or_default();
        Ok(Notification {
            event_key: format!("{order_id}|{transaction_status}|{transaction_id}"),
            gateway_reference: order_id,
            claimed,
            trusted: true,
        })
    }

    fn test_connection<'a>(&'a self) -> BoxFuture<'a, Result<ConnectionReport, GatewayError>> {
        Box::pin(self.probe())
    }
}

/// `hex(SHA512(order_id + status_code + gross_amount + server_key))`, over
/// the strings exactly as the body carries them.
fn signature_key(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
) -> String {
    let mut digest = Sha512::new();
    digest.update(order_id.as_bytes());
    digest.update(status_code.as_bytes());
    digest.update(gross_amount.as_bytes());
    digest.update(server_key.as_bytes());
    hex::encode(digest.finalize())
}

/// Whole minutes, at least one: Midtrans' finest expiry unit.
fn expiry_minutes(expires_in: Duration) -> u32 {
    let minutes = expires_in.as_secs().div_ceil(60).max(1);
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

fn snap_request(request: &ChargeRequest, expiry_minutes: u32) -> Value {
    let mut customer = json!({
        "first_name": request.customer.name,
        "email": request.customer.email,
    });
    if let (Some(phone), Value::Object(fields)) = (&request.customer.phone, &mut customer) {
        fields.insert("phone".to_owned(), json!(phone));
    }
    let items: Vec<Value> = request
        .items
        .iter()
        .map(|item| {
            json!({
                "id": truncate(&item.id, MAX_ITEM_FIELD_CHARS),
                "price": item.unit_minor,
                "quantity": item.quantity,
                "name": truncate(&item.name, MAX_ITEM_FIELD_CHARS),
            })
        })
        .collect();
    json!({
        "transaction_details": {
            "order_id": request.reference,
            "gross_amount": request.amount.minor(),
        },
        "customer_details": customer,
        "item_details": items,
        "expiry": { "unit": "minute", "duration": expiry_minutes },
        "callbacks": { "finish": request.finish_url },
    })
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

enum CoreAnswer {
    Transaction(Map<String, Value>),
    NotFound,
}

/// A Core API answer: its effective status is the body's `status_code` when
/// the HTTP status says success (Midtrans answers some errors with HTTP 200),
/// otherwise the HTTP status.
fn core_answer(answer: Answer) -> Result<CoreAnswer, GatewayError> {
    let fields = match answer.json() {
        Some(Value::Object(fields)) => Some(fields),
        _ => None,
    };
    let http_status = answer.status.as_u16();
    let body_status = fields
        .as_ref()
        .and_then(|fields| field_text(fields, "status_code"))
        .and_then(|code| code.parse::<u16>().ok());
    let status = match body_status {
        Some(body_status) if answer.status.is_success() => body_status,
        _ => http_status,
    };
    match status {
        404 => Ok(CoreAnswer::NotFound),
        // 407 is an expired transaction, reported like any other.
        200..=299 | 407 => fields
            .map(CoreAnswer::Transaction)
            .ok_or_else(|| malformed("the Core API answer is not a JSON object")),
        _ => {
            let message = fields
                .map(|fields| error_message(&Value::Object(fields)))
                .unwrap_or_default();
            Err(http::status_error(KIND, status, &message))
        }
    }
}

/// A transaction (status answer or notification) in the shop's terms.
fn report(fields: &Map<String, Value>) -> Result<StatusReport, GatewayError> {
    let transaction_status = field_text(fields, "transaction_status")
        .ok_or_else(|| malformed("the transaction has no transaction_status"))?;
    let fraud_status = field_text(fields, "fraud_status");
    let state = match transaction_status.as_str() {
        "capture" => match fraud_status.as_deref() {
            None | Some("accept") => PaymentState::Paid,
            Some("challenge") => PaymentState::Pending,
            Some("deny") => PaymentState::Failed,
            Some(other) => return Err(malformed(&format!("unknown fraud_status `{other}`"))),
        },
        "settlement" => PaymentState::Paid,
        // `authorize` is a pre-authorised card the shop never captures by
        // itself: not money yet.
        "pending" | "authorize" => PaymentState::Pending,
        "deny" | "cancel" | "expire" | "failure" => PaymentState::Failed,
        "refund" | "partial_refund" | "chargeback" | "partial_chargeback" => PaymentState::Reversed,
        other => return Err(malformed(&format!("unknown transaction_status `{other}`"))),
    };
    let currency = match field_text(fields, "currency") {
        None => Currency::Idr,
        Some(code) => code
            .parse::<Currency>()
            .map_err(|_| malformed(&format!("unknown currency `{code}`")))?,
    };
    let money_moved = matches!(state, PaymentState::Paid | PaymentState::Reversed);
    let paid_amount =
        if money_moved {
            let gross = field_text(fields, "gross_amount")
                .ok_or_else(|| malformed("the transaction has no gross_amount"))?;
            Some(amount::parse_decimal(&gross, currency).ok_or_else(|| {
                malformed(&format!("gross_amount `{gross}` is not an exact amount"))
            })?)
        } else {
            None
        };
    let paid_at = if money_moved {
        field_text(fields, "settlement_time")
            .or_else(|| field_text(fields, "transaction_time"))
            .and_then(|time| parse_time(&time))
    } else {
        None
    };
    Ok(StatusReport {
        state,
        transaction_id: field_text(fields, "transaction_id"),
        paid_amount,
        paid_at,
        payment_method: field_text(fields, "payment_type"),
    })
}

/// Midtrans' `2024-05-01 13:45:10`, which is Western Indonesian Time.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let wib = FixedOffset::east_opt(7 * 3600)?;
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    wib.from_local_datetime(&local)
        .single()
        .map(|time| time.with_timezone(&Utc))
}

/// A field as text, whether Midtrans sent a string or a number.
fn field_text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn text(json: &Value, name: &str) -> Option<String> {
    json.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Snap's `error_messages` joined, else the Core API's `status_message`.
fn error_message(json: &Value) -> String {
    if let Some(messages) = json.get("error_messages").and_then(Value::as_array) {
        let joined: Vec<&str> = messages.iter().filter_map(Value::as_str).collect();
        if !joined.is_empty() {
            return joined.join("; ");
        }
    }
    text(json, "status_message").unwrap_or_default()
}

fn malformed(what: &str) -> GatewayError {
    GatewayError::Malformed(format!("Midtrans: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::gateway::{ChargeCustomer, ChargeItem};

    fn fields(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }

    /// An hour ago, to the millisecond: what a gateway would report now,
    /// never a fixed date.
    fn an_hour_ago() -> chrono::DateTime<chrono::Utc> {
        use chrono::{SubsecRound, Utc};
        (Utc::now() - chrono::Duration::hours(1)).trunc_subsecs(3)
    }

    /// `at` on the wall clock of Jakarta (UTC+7), as Indonesian gateways write it.
    fn in_wib(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::FixedOffset> {
        at.with_timezone(
            &chrono::FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset"),
        )
    }

    use chrono::SubsecRound as _;

    fn transaction(status: &str, fraud: Option<&str>) -> Map<String, Value> {
        let settled = in_wib(an_hour_ago()).trunc_subsecs(0);
        let mut json = json!({
            "transaction_status": status,
            "transaction_id": "a1b2",
            "gross_amount": "150000.00",
            "currency": "IDR",
            "payment_type": "bank_transfer",
            "transaction_time": (settled - chrono::Duration::minutes(5)).format("%Y-%m-%d %H:%M:%S").to_string(),
            "settlement_time": settled.format("%Y-%m-%d %H:%M:%S").to_string(),
        });
        if let (Some(fraud), Value::Object(object)) = (fraud, &mut json) {
            object.insert("fraud_status".into(), json!(fraud));
        }
        fields(json)
    }

    #[test]
    fn the_signature_is_sha512_of_the_raw_fields_and_the_key() {
        // Worked example: the SHA-512 of the concatenated text.
        let expected = hex::encode(Sha512::digest(b"INV-1200150000.00SB-Mid-server-key"));
        assert_eq!(
            signature_key("INV-1", "200", "150000.00", "SB-Mid-server-key"),
            expected
        );
        assert_eq!(expected.len(), 128);
    }

    #[test]
    fn statuses_map_as_midtrans_documents_them() {
        let state = |status, fraud| report(&transaction(status, fraud)).map(|report| report.state);
        assert_eq!(state("capture", Some("accept")), Ok(PaymentState::Paid));
        assert_eq!(
            state("capture", Some("challenge")),
            Ok(PaymentState::Pending)
        );
        assert_eq!(state("capture", Some("deny")), Ok(PaymentState::Failed));
        assert_eq!(state("settlement", None), Ok(PaymentState::Paid));
        assert_eq!(state("pending", None), Ok(PaymentState::Pending));
        assert_eq!(state("authorize", None), Ok(PaymentState::Pending));
        for failed in ["deny", "cancel", "expire", "failure"] {
            assert_eq!(state(failed, None), Ok(PaymentState::Failed), "{failed}");
        }
        for reversed in ["refund", "partial_refund", "chargeback"] {
            assert_eq!(
                state(reversed, None),
                Ok(PaymentState::Reversed),
                "{reversed}"
            );
        }
        assert!(matches!(
            state("teleported", None),
            Err(GatewayError::Malformed(_))
        ));
    }

    #[test]
    fn a_settlement_reports_the_exact_amount_and_time_in_utc() {
        let report = report(&transaction("settlement", Some("accept"))).expect("a valid report");
        let settled = in_wib(an_hour_ago()).trunc_subsecs(0);
        assert_eq!(report.paid_amount, Some(Money::new(150_000, Currency::Idr)));
        assert_eq!(report.transaction_id.as_deref(), Some("a1b2"));
        assert_eq!(report.payment_method.as_deref(), Some("bank_transfer"));
        assert_eq!(
            report.paid_at.map(|time| time.to_rfc3339()),
            Some(settled.with_timezone(&chrono::Utc).to_rfc3339())
        );
        let pending = super::report(&transaction("pending", None)).expect("a valid report");
        assert_eq!(pending.paid_amount, None);
        assert_eq!(pending.paid_at, None);
    }

    #[test]
    fn a_fractional_rupiah_amount_is_malformed() {
        let mut fields = transaction("settlement", None);
        fields.insert("gross_amount".into(), json!("150000.50"));
        assert!(matches!(report(&fields), Err(GatewayError::Malformed(_))));
    }

    fn answer(status: u16, body: Value) -> Answer {
        Answer {
            status: reqwest::StatusCode::from_u16(status).expect("a valid status"),
            body: body.to_string().into_bytes(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn core_errors_count_whether_in_the_http_status_or_the_body() {
        let not_found =
            json!({"status_code": "404", "status_message": "Transaction doesn't exist."});
        assert!(matches!(
            core_answer(answer(404, not_found.clone())),
            Ok(CoreAnswer::NotFound)
        ));
        assert!(matches!(
            core_answer(answer(200, not_found)),
            Ok(CoreAnswer::NotFound)
        ));
        let unknown_key =
            json!({"status_code": "401", "status_message": "Unknown Merchant server_key/id"});
        assert_eq!(
            core_answer(answer(200, unknown_key)).err(),
            Some(GatewayError::BadCredentials(
                "Unknown Merchant server_key/id".into()
            ))
        );
        let settled = json!({"status_code": "407", "transaction_status": "expire"});
        assert!(matches!(
            core_answer(answer(200, settled)),
            Ok(CoreAnswer::Transaction(_))
        ));
        let refused = json!({"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"});
        assert!(matches!(
            core_answer(answer(200, refused)),
            Err(GatewayError::Rejected { status: 412, .. })
        ));
        assert!(matches!(
            core_answer(answer(502, json!("bad gateway"))),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn the_snap_request_carries_items_expiry_and_finish_url() {
        let request = ChargeRequest {
            reference: "INV-2026-000123-2".into(),
            amount: Money::new(150_000, Currency::Idr),
            description: "Hosting".into(),
            customer: ChargeCustomer {
                name: "Budi".into(),
                email: "budi@example.test".into(),
                phone: Some("+6281234567890".into()),
            },
            items: vec![ChargeItem {
                id: "P-1".into(),
                name: "x".repeat(80),
                unit_minor: 75_000,
                quantity: 2,
            }],
            finish_url: "https://shop.test/invoices/1".into(),
            expires_in: Duration::from_secs(90),
        };
        let body = snap_request(&request, expiry_minutes(request.expires_in));
        assert_eq!(body["transaction_details"]["gross_amount"], json!(150_000));
        assert_eq!(
            body["item_details"][0]["name"].as_str().map(str::len),
            Some(50)
        );
        assert_eq!(body["item_details"][0]["quantity"], json!(2));
        assert_eq!(body["expiry"], json!({"unit": "minute", "duration": 2}));
        assert_eq!(
            body["callbacks"]["finish"],
            json!("https://shop.test/invoices/1")
        );
        assert_eq!(body["customer_details"]["phone"], json!("+6281234567890"));
    }

    #[test]
    fn the_config_never_shows_the_server_key() {
        let config = MidtransConfig {
            snap_base_url: MidtransConfig::SANDBOX_SNAP_BASE_URL.into(),
            core_base_url: MidtransConfig::SANDBOX_CORE_BASE_URL.into(),
            server_key: "SB-Mid-server-very-secret".into(),
            timeout: Duration::from_secs(10),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
}
