//! Xendit Invoice API: `POST /v2/invoices` for the checkout page,
//! `GET /v2/invoices/{id}` for its state, `POST /invoices/{id}/expire!` to
//! cancel, `GET /v2/invoices?external_id=` to find what a lost answer
//! created (Xendit does not keep `external_id` unique), and the callback
//! authenticated by the `x-callback-token` header.

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use domain::money::{Currency, Money};
use futures::future::BoxFuture;
use reqwest::{StatusCode, header::HeaderValue};
use serde_json::{Map, Value, json};

use super::{
    Charge, ChargeRequest, ConnectionReport, FoundCharge, GatewayError, GatewayKind,
    IncomingNotification, Notification, PaymentGateway, PaymentState, StatusReport, amount,
    http::{self, Answer},
    redacted, secrets_match,
};

const KIND: GatewayKind = GatewayKind::Xendit;
/// Xendit's longest invoice life: a year.
const MAX_INVOICE_SECONDS: u64 = 31_536_000;
const CALLBACK_TOKEN_HEADER: &str = "x-callback-token";

/// Where Xendit is, the secret API key, and the callback verification token
/// from the dashboard.
#[derive(Clone)]
pub struct XenditConfig {
    /// `https://api.xendit.co` for test and live keys alike.
    pub base_url: String,
    /// `xnd_development_…` or `xnd_production_…`: the prefix picks the mode.
    pub secret_key: String,
    pub callback_token: String,
    /// The deadline of each call.
    pub timeout: Duration,
}

impl XenditConfig {
    pub const BASE_URL: &str = "https://api.xendit.co";
}

impl fmt::Debug for XenditConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XenditConfig")
            .field("base_url", &self.base_url)
            .field("secret_key", &redacted(&self.secret_key))
            .field("callback_token", &redacted(&self.callback_token))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The Xendit client.
pub struct XenditGateway {
    config: XenditConfig,
    http: reqwest::Client,
    authorization: HeaderValue,
}

impl fmt::Debug for XenditGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XenditGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl XenditGateway {
    pub fn new(config: XenditConfig, http: reqwest::Client) -> Self {
        let authorization = http::basic_auth(&config.secret_key);
        XenditGateway {
            config,
            http,
            authorization,
        }
    }

    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, GatewayError> {
        http::endpoint(KIND, &self.config.base_url, segments)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, GatewayError> {
        let request = request.header(reqwest::header::AUTHORIZATION, self.authorization.clone());
        http::send(KIND, request, self.config.timeout).await
    }

    async fn create(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        if !self.supports(request.amount.currency()) {
            return Err(GatewayError::UnsupportedCurrency(request.amount.currency()));
        }
        let body = invoice_request(request);
        let answer = self
            .send(self.http.post(self.url(&["v2", "invoices"])?).json(&body))
            .await?;
        let invoice = invoice_object(success(answer)?)?;
        let id = text(&invoice, "id").ok_or_else(|| malformed("the invoice has no id"))?;
        let invoice_url = text(&invoice, "invoice_url")
            .ok_or_else(|| malformed("the invoice has no invoice_url"))?;
        let currency = currency(&invoice)?;
        let total_payable = match invoice.get("amount") {
            Some(Value::Number(number)) => amount::parse_json_number(number, currency)
                .ok_or_else(|| malformed("the invoice amount is not exact"))?,
            _ => request.amount,
        };
        Ok(Charge {
            gateway_reference: id,
            redirect_url: Some(invoice_url),
            qr_string: None,
            total_payable,
            expires_at: text(&invoice, "expiry_date").and_then(|date| parse_time(&date)),
        })
    }

    async fn read_status(&self, invoice_id: &str) -> Result<StatusReport, GatewayError> {
        let answer = self
            .send(self.http.get(self.url(&["v2", "invoices", invoice_id])?))
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(StatusReport::not_found());
        }
        report(&invoice_object(success(answer)?)?)
    }

    async fn expire(&self, invoice_id: &str) -> Result<(), GatewayError> {
        let url = self.url(&["invoices", invoice_id, "expire!"])?;
        let answer = self.send(self.http.post(url)).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(answer).map(drop)
    }

    async fn list_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Vec<FoundCharge>, GatewayError> {
        let mut url = self.url(&["v2", "invoices"])?;
        url.query_pairs_mut()
            .append_pair("external_id", external_id);
        let answer = self.send(self.http.get(url)).await?;
        // Xendit has answered an empty search with 404 as well as with [].
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        let Value::Array(invoices) = success(answer)? else {
            return Err(malformed("the invoice list is not a JSON array"));
        };
        invoices
            .into_iter()
            .map(|invoice| {
                let invoice = invoice_object(invoice)?;
                let id = text(&invoice, "id").ok_or_else(|| malformed("an invoice has no id"))?;
                Ok(FoundCharge {
                    gateway_reference: id,
                    status: report(&invoice)?,
                })
            })
            .collect()
    }

    async fn probe(&self) -> Result<ConnectionReport, GatewayError> {
        let mut url = self.url(&["v2", "invoices"])?;
        url.query_pairs_mut().append_pair("limit", "1");
        let answer = self.send(self.http.get(url)).await?;
        let latency_ms = http::millis(answer.elapsed);
        if answer.status != StatusCode::NOT_FOUND {
            success(answer)?;
        }
        Ok(ConnectionReport {
            latency_ms,
            detail: format!("Xendit accepted the secret key in {latency_ms} ms"),
        })
    }
}

impl PaymentGateway for XenditGateway {
    fn kind(&self) -> GatewayKind {
        KIND
    }

    /// Rupiah, and dollars for accounts Xendit enabled them on.
    fn supports(&self, currency: Currency) -> bool {
        matches!(currency, Currency::Idr | Currency::Usd)
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
        Box::pin(self.expire(gateway_reference))
    }

    fn verify_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Notification, GatewayError> {
        let token = incoming.header(CALLBACK_TOKEN_HEADER).unwrap_or_default();
        if !secrets_match(token.as_bytes(), self.config.callback_token.as_bytes()) {
            return Err(GatewayError::Unauthenticated(
                "the Xendit x-callback-token does not match".to_owned(),
            ));
        }
        let invoice = match serde_json::from_slice::<Value>(incoming.body) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(malformed("the callback is not a JSON object")),
        };
        let id = text(&invoice, "id").ok_or_else(|| malformed("the callback has no id"))?;
        let status =
            text(&invoice, "status").ok_or_else(|| malformed("the callback has no status"))?;
        Ok(Notification {
            event_key: format!("{id}|{status}"),
            claimed: report(&invoice)?,
            gateway_reference: id,
            trusted: true,
        })
    }

    fn test_connection<'a>(&'a self) -> BoxFuture<'a, Result<ConnectionReport, GatewayError>> {
        Box::pin(self.probe())
    }

    fn find_charges<'a>(
        &'a self,
        reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Vec<FoundCharge>, GatewayError>> {
        Box::pin(self.list_by_external_id(reference))
    }
}

fn invoice_request(request: &ChargeRequest) -> Value {
    let mut customer = json!({
        "given_names": request.customer.name,
        "email": request.customer.email,
    });
    // Xendit validates `mobile_number` as E.164 and refuses the invoice
    // otherwise; a local spelling is better left out than fatal.
    if let (Some(phone), Value::Object(fields)) = (&request.customer.phone, &mut customer)
        && phone.starts_with('+')
    {
        fields.insert("mobile_number".to_owned(), json!(phone));
    }
    let currency = request.amount.currency();
    let items: Vec<Value> = request
        .items
        .iter()
        .map(|item| {
            json!({
                "name": item.name,
                "quantity": item.quantity,
                "price": amount::json_number(Money::new(item.unit_minor, currency)),
                "reference_id": item.id,
            })
        })
        .collect();
    let seconds = request.expires_in.as_secs().clamp(1, MAX_INVOICE_SECONDS);
    json!({
        "external_id": request.reference,
        "amount": amount::json_number(request.amount),
        "currency": currency.code(),
        "description": request.description,
        "payer_email": request.customer.email,
        "invoice_duration": seconds,
        "success_redirect_url": request.finish_url,
        "failure_redirect_url": request.finish_url,
        "customer": customer,
        "items": items,
    })
}

/// The JSON of a 2xx answer; the matching error otherwise.
fn success(answer: Answer) -> Result<Value, GatewayError> {
    let json = answer.json();
    if !answer.status.is_success() {
        let message = json.as_ref().map(error_message).unwrap_or_default();
        return Err(http::status_error(KIND, answer.status.as_u16(), &message));
    }
    json.ok_or_else(|| malformed("the answer is not JSON"))
}

fn invoice_object(json: Value) -> Result<Map<String, Value>, GatewayError> {
    match json {
        Value::Object(fields) => Ok(fields),
        _ => Err(malformed("the invoice is not a JSON object")),
    }
}

/// An invoice (answer or callback) in the shop's terms.
fn report(invoice: &Map<String, Value>) -> Result<StatusReport, GatewayError> {
    let status = text(invoice, "status").ok_or_else(|| malformed("the invoice has no status"))?;
    let state = match status.as_str() {
        "PENDING" => PaymentState::Pending,
        "PAID" | "SETTLED" => PaymentState::Paid,
        "EXPIRED" => PaymentState::Failed,
        other => return Err(malformed(&format!("unknown invoice status `{other}`"))),
    };
    let currency = currency(invoice)?;
    let paid_amount = if state == PaymentState::Paid {
        let number = match (invoice.get("paid_amount"), invoice.get("amount")) {
            (Some(Value::Number(paid)), _) => paid,
            (_, Some(Value::Number(amount))) => amount,
            _ => return Err(malformed("a paid invoice has no amount")),
        };
        Some(
            amount::parse_json_number(number, currency)
                .ok_or_else(|| malformed(&format!("paid amount {number} is not exact")))?,
        )
    } else {
        None
    };
    Ok(StatusReport {
        state,
        transaction_id: text(invoice, "payment_id").or_else(|| text(invoice, "id")),
        paid_amount,
        paid_at: text(invoice, "paid_at").and_then(|time| parse_time(&time)),
        payment_method: text(invoice, "payment_channel")
            .or_else(|| text(invoice, "payment_method")),
    })
}

fn currency(invoice: &Map<String, Value>) -> Result<Currency, GatewayError> {
    match text(invoice, "currency") {
        None => Ok(Currency::Idr),
        Some(code) => code
            .parse()
            .map_err(|_| malformed(&format!("unknown currency `{code}`"))),
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// `error_code: message`, as Xendit's error bodies carry them.
fn error_message(json: &Value) -> String {
    let field = |name| json.get(name).and_then(Value::as_str).unwrap_or_default();
    match (field("error_code"), field("message")) {
        ("", message) => message.to_owned(),
        (code, "") => code.to_owned(),
        (code, message) => format!("{code}: {message}"),
    }
}

fn malformed(what: &str) -> GatewayError {
    GatewayError::Malformed(format!("Xendit: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::gateway::{ChargeCustomer, ChargeItem};

    fn invoice(json: Value) -> Map<String, Value> {
        invoice_object(json).expect("an object")
    }

    #[test]
    fn statuses_map_as_xendit_documents_them() {
        let state = |status: &str| {
            report(&invoice(
                json!({"id": "inv1", "status": status, "amount": 150000}),
            ))
            .map(|report| report.state)
        };
        assert_eq!(state("PENDING"), Ok(PaymentState::Pending));
        assert_eq!(state("PAID"), Ok(PaymentState::Paid));
        assert_eq!(state("SETTLED"), Ok(PaymentState::Paid));
        assert_eq!(state("EXPIRED"), Ok(PaymentState::Failed));
        assert!(matches!(state("LOST"), Err(GatewayError::Malformed(_))));
    }

    #[test]
    fn a_paid_callback_reports_payment_id_amount_channel_and_time() {
        use chrono::SubsecRound;
        // An hour ago, never a fixed date; Xendit writes UTC with milliseconds.
        let paid = (chrono::Utc::now() - chrono::Duration::hours(1)).trunc_subsecs(3);
        let report = report(&invoice(json!({
            "id": "579c8d61f23fa4ca35e52da4",
            "status": "PAID",
            "amount": 150000,
            "paid_amount": 150000,
            "currency": "IDR",
            "payment_method": "BANK_TRANSFER",
            "payment_channel": "BCA",
            "payment_id": "pay-1",
            "paid_at": paid.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        })))
        .expect("a valid report");
        assert_eq!(report.transaction_id.as_deref(), Some("pay-1"));
        assert_eq!(report.paid_amount, Some(Money::new(150_000, Currency::Idr)));
        assert_eq!(report.payment_method.as_deref(), Some("BCA"));
        assert_eq!(
            report.paid_at.map(|time| time.to_rfc3339()),
            Some(paid.to_rfc3339())
        );
    }

    #[test]
    fn dollar_amounts_are_read_exactly() {
        let report = report(&invoice(json!({
            "id": "inv2", "status": "PAID", "amount": 19.99, "paid_amount": 19.99, "currency": "USD",
        })))
        .expect("a valid report");
        assert_eq!(report.paid_amount, Some(Money::new(1999, Currency::Usd)));
        // Without a payment id, the invoice is the payment's key.
        assert_eq!(report.transaction_id.as_deref(), Some("inv2"));
    }

    #[test]
    fn error_bodies_read_as_code_and_message() {
        assert_eq!(
            error_message(
                &json!({"error_code": "INVALID_API_KEY", "message": "API key is invalid"})
            ),
            "INVALID_API_KEY: API key is invalid"
        );
        assert_eq!(error_message(&json!({"message": "only"})), "only");
    }

    #[test]
    fn the_invoice_request_uses_xendit_field_names() {
        let request = ChargeRequest {
            reference: "INV-7".into(),
            amount: Money::new(1250, Currency::Usd),
            description: "Domain".into(),
            customer: ChargeCustomer {
                name: "Budi".into(),
                email: "budi@example.test".into(),
                phone: Some("0812345".into()),
            },
            items: vec![ChargeItem {
                id: "D-1".into(),
                name: "budi.id".into(),
                unit_minor: 1250,
                quantity: 1,
            }],
            finish_url: "https://shop.test/done".into(),
            expires_in: Duration::from_secs(3600),
        };
        let body = invoice_request(&request);
        assert_eq!(body["external_id"], json!("INV-7"));
        assert_eq!(body["amount"].to_string(), "12.5");
        assert_eq!(body["currency"], json!("USD"));
        assert_eq!(body["invoice_duration"], json!(3600));
        assert_eq!(body["items"][0]["price"].to_string(), "12.5");
        assert_eq!(
            body["success_redirect_url"],
            json!("https://shop.test/done")
        );
        // A local phone spelling is not E.164: left out.
        assert!(body["customer"].get("mobile_number").is_none());
    }

    #[test]
    fn the_config_never_shows_the_key_or_the_token() {
        let config = XenditConfig {
            base_url: XenditConfig::BASE_URL.into(),
            secret_key: "xnd_development_secret".into(),
            callback_token: "callback-secret".into(),
            timeout: Duration::from_secs(10),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("xnd_development"), "{shown}");
        assert!(!shown.contains("callback-secret"), "{shown}");
    }
}
