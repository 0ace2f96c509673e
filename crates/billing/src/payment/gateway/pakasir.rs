//! Pakasir: a QRIS transaction (`POST /api/transactioncreate/qris`) shown on
//! Pakasir's hosted page or as our own QR code, its detail
//! (`GET /api/transactiondetail`, which needs the amount to find it),
//! cancellation, the sandbox's payment simulation, and the webhook.
//!
//! Pakasir authenticates calls by `project` and `api_key` in the body or
//! query string, so its URLs are secrets and never logged. Its webhook is
//! unsigned: we put a secret token in the webhook's path, and even then a
//! webhook is only a reason to ask `transactiondetail`.

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use domain::money::{Currency, Money};
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use super::{
    Charge, ChargeRequest, ConnectionReport, GatewayError, GatewayKind, IncomingNotification,
    Notification, PaymentGateway, PaymentState, StatusReport, amount,
    http::{self, Answer},
    redacted, secrets_match,
};

const KIND: GatewayKind = GatewayKind::Pakasir;
/// The payment method the shop offers through Pakasir: QRIS, which every
/// Indonesian bank and e-wallet app can pay.
const METHOD: &str = "qris";
/// An order id no shop uses: asking for it proves the project and key work.
const CONNECTION_PROBE_ORDER_ID: &str = "juragan-connection-check";

/// The Pakasir project and where its API and hosted page are.
#[derive(Clone)]
pub struct PakasirConfig {
    /// `https://app.pakasir.com`.
    pub base_url: String,
    /// The project's slug.
    pub project: String,
    pub api_key: String,
    /// Our secret, the last segment of the webhook URL registered in the
    /// project; a webhook arriving without it is refused.
    pub webhook_token: String,
    /// Where the hosted payment page lives, usually the same as `base_url`.
    pub hosted_page_base: String,
    /// The deadline of each call.
    pub timeout: Duration,
}

impl PakasirConfig {
    pub const BASE_URL: &str = "https://app.pakasir.com";
}

impl fmt::Debug for PakasirConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PakasirConfig")
            .field("base_url", &self.base_url)
            .field("project", &self.project)
            .field("api_key", &redacted(&self.api_key))
            .field("webhook_token", &redacted(&self.webhook_token))
            .field("hosted_page_base", &self.hosted_page_base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The Pakasir client.
pub struct PakasirGateway {
    config: PakasirConfig,
    http: reqwest::Client,
}

impl fmt::Debug for PakasirGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PakasirGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PakasirGateway {
    pub fn new(config: PakasirConfig, http: reqwest::Client) -> Self {
        PakasirGateway { config, http }
    }

    /// Pays a transaction of a sandbox project as if a customer had: Pakasir
    /// marks it completed and sends the webhook. Live projects refuse.
    pub async fn simulate_payment(
        &self,
        order_id: &str,
        amount: Money,
    ) -> Result<(), GatewayError> {
        let amount = rupiah(amount)?;
        let url = self.url(&["api", "paymentsimulation"])?;
        let answer = self
            .send(self.http.post(url).json(&self.body(order_id, amount)))
            .await?;
        success(answer).map(drop)
    }

    /// The hosted payment page of a transaction, with `qris_only` and, when
    /// given, where the customer returns afterwards.
    pub fn hosted_page_url(
        &self,
        order_id: &str,
        amount: Money,
        redirect: Option<&str>,
    ) -> Result<String, GatewayError> {
        let amount = rupiah(amount)?;
        let mut url = http::endpoint(
            KIND,
            &self.config.hosted_page_base,
            &["pay", &self.config.project, &amount.to_string()],
        )?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("order_id", order_id);
            if let Some(redirect) = redirect {
                query.append_pair("redirect", redirect);
            }
            query.append_pair("qris_only", "1");
        }
        Ok(url.into())
    }

    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, GatewayError> {
        http::endpoint(KIND, &self.config.base_url, segments)
    }

    fn body(&self, order_id: &str, amount: i64) -> Value {
        json!({
            "project": self.config.project,
            "order_id": order_id,
            "amount": amount,
            "api_key": self.config.api_key,
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, GatewayError> {
        http::send(KIND, request, self.config.timeout).await
    }

    async fn create(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let amount = rupiah(request.amount)?;
        let url = self.url(&["api", "transactioncreate", METHOD])?;
        let answer = self
            .send(
                self.http
                    .post(url)
                    .json(&self.body(&request.reference, amount)),
            )
            .await?;
        let json = success(answer)?;
        let payment = match json.get("payment") {
            Some(Value::Object(payment)) => payment,
            _ => return Err(malformed("the answer has no payment")),
        };
        if text(payment, "order_id").is_some_and(|order_id| order_id != request.reference)
            || integer(payment, "amount").is_some_and(|answered| answered != amount)
        {
            return Err(malformed("the payment is not the transaction we created"));
        }
        let total = integer(payment, "total_payment")
            .or_else(|| Some(amount + integer(payment, "fee")?))
            .unwrap_or(amount);
        Ok(Charge {
            gateway_reference: request.reference.clone(),
            redirect_url: Some(self.hosted_page_url(
                &request.reference,
                request.amount,
                Some(&request.finish_url),
            )?),
            qr_string: text(payment, "payment_number"),
            total_payable: Money::new(total, Currency::Idr),
            expires_at: text(payment, "expired_at").and_then(|time| parse_time(&time)),
        })
    }

    async fn detail(&self, order_id: &str, amount: Money) -> Result<StatusReport, GatewayError> {
        let amount = rupiah(amount)?;
        let mut url = self.url(&["api", "transactiondetail"])?;
        url.query_pairs_mut()
            .append_pair("project", &self.config.project)
            .append_pair("amount", &amount.to_string())
            .append_pair("order_id", order_id)
            .append_pair("api_key", &self.config.api_key);
        let answer = self.send(self.http.get(url)).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(StatusReport::not_found());
        }
        let json = success(answer)?;
        let transaction = match json.get("transaction") {
            Some(Value::Object(transaction)) => transaction,
            _ => return Err(malformed("the answer has no transaction")),
        };
        // Pakasir finds the transaction by all three; an answer about
        // another one must not be taken for ours.
        if text(transaction, "order_id").is_some_and(|answered| answered != order_id)
            || integer(transaction, "amount").is_some_and(|answered| answered != amount)
            || text(transaction, "project").is_some_and(|project| project != self.config.project)
        {
            return Err(malformed("the answer is about another transaction"));
        }
        report(transaction, order_id)
    }

    async fn cancel_transaction(&self, order_id: &str, amount: Money) -> Result<(), GatewayError> {
        let amount = rupiah(amount)?;
        let url = self.url(&["api", "transactioncancel"])?;
        let answer = self
            .send(self.http.post(url).json(&self.body(order_id, amount)))
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(answer).map(drop)
    }

    async fn probe(&self) -> Result<ConnectionReport, GatewayError> {
        let mut url = self.url(&["api", "transactiondetail"])?;
        url.query_pairs_mut()
            .append_pair("project", &self.config.project)
            .append_pair("amount", "1")
            .append_pair("order_id", CONNECTION_PROBE_ORDER_ID)
            .append_pair("api_key", &self.config.api_key);
        let answer = self.send(self.http.get(url)).await?;
        let latency_ms = http::millis(answer.elapsed);
        if answer.status != StatusCode::NOT_FOUND {
            success(answer)?;
        }
        Ok(ConnectionReport {
            latency_ms,
            detail: format!(
                "Pakasir accepted project `{}` and its API key in {latency_ms} ms",
                self.config.project
            ),
        })
    }
}

impl PaymentGateway for PakasirGateway {
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
        amount: Money,
    ) -> BoxFuture<'a, Result<StatusReport, GatewayError>> {
        Box::pin(self.detail(gateway_reference, amount))
    }

    fn cancel<'a>(
        &'a self,
        gateway_reference: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(self.cancel_transaction(gateway_reference, amount))
    }

    /// Checks the path token only: the body is unsigned, so the result is
    /// never `trusted`.
    fn verify_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Notification, GatewayError> {
        let token = incoming.path_token.unwrap_or_default();
        if !secrets_match(token.as_bytes(), self.config.webhook_token.as_bytes()) {
            return Err(GatewayError::Unauthenticated(
                "the Pakasir webhook path token does not match".to_owned(),
            ));
        }
        let webhook = match serde_json::from_slice::<Value>(incoming.body) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(malformed("the webhook is not a JSON object")),
        };
        let order_id =
            text(&webhook, "order_id").ok_or_else(|| malformed("the webhook has no order_id"))?;
        let status =
            text(&webhook, "status").ok_or_else(|| malformed("the webhook has no status"))?;
        if text(&webhook, "project").is_some_and(|project| project != self.config.project) {
            return Err(malformed("the webhook is for another project"));
        }
        let completed_at = text(&webhook, "completed_at").unwrap_or_default();
        Ok(Notification {
            event_key: format!("{order_id}|{status}|{completed_at}"),
            claimed: report(&webhook, &order_id)?,
            gateway_reference: order_id,
            trusted: false,
        })
    }

    fn test_connection<'a>(&'a self) -> BoxFuture<'a, Result<ConnectionReport, GatewayError>> {
        Box::pin(self.probe())
    }
}

/// Whole rupiah: the only currency Pakasir takes.
fn rupiah(amount: Money) -> Result<i64, GatewayError> {
    match amount.currency() {
        Currency::Idr => Ok(amount.minor()),
        other => Err(GatewayError::UnsupportedCurrency(other)),
    }
}

/// A transaction (detail answer or webhook) in the shop's terms.
fn report(transaction: &Map<String, Value>, order_id: &str) -> Result<StatusReport, GatewayError> {
    let status =
        text(transaction, "status").ok_or_else(|| malformed("the transaction has no status"))?;
    let state = match status.as_str() {
        "pending" => PaymentState::Pending,
        "completed" => PaymentState::Paid,
        "expired" | "canceled" | "cancelled" => PaymentState::Failed,
        other => return Err(malformed(&format!("unknown transaction status `{other}`"))),
    };
    let paid = state == PaymentState::Paid;
    let paid_amount = if paid {
        let number = match transaction.get("amount") {
            Some(Value::Number(number)) => number,
            _ => return Err(malformed("a completed transaction has no amount")),
        };
        Some(
            amount::parse_json_number(number, Currency::Idr)
                .ok_or_else(|| malformed(&format!("amount {number} is not whole rupiah")))?,
        )
    } else {
        None
    };
    Ok(StatusReport {
        state,
        transaction_id: Some(order_id.to_owned()),
        paid_amount,
        paid_at: if paid {
            text(transaction, "completed_at").and_then(|time| parse_time(&time))
        } else {
            None
        },
        payment_method: text(transaction, "payment_method"),
    })
}

/// The JSON of a 2xx answer; the matching error with Pakasir's `message`
/// otherwise.
fn success(answer: Answer) -> Result<Value, GatewayError> {
    let json = answer.json();
    if !answer.status.is_success() {
        let message = json
            .as_ref()
            .and_then(|json| json.get("message"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Err(http::status_error(KIND, answer.status.as_u16(), &message));
    }
    // Some answers (the simulation's) have no documented body at all.
    Ok(json.unwrap_or(Value::Null))
}

/// RFC 3339 with nanoseconds and `Z` (`expired_at`) or milliseconds and an
/// offset (`completed_at`).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

/// An integral JSON number (Pakasir amounts are whole rupiah).
fn integer(fields: &Map<String, Value>, name: &str) -> Option<i64> {
    match fields.get(name)? {
        Value::Number(number) => amount::parse_json_number(number, Currency::Idr).map(Money::minor),
        _ => None,
    }
}

fn malformed(what: &str) -> GatewayError {
    GatewayError::Malformed(format!("Pakasir: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }

    fn gateway() -> PakasirGateway {
        // reqwest is built without a TLS provider of its own.
        let _ = rustls::crypto::ring::default_provider().install_default();
        PakasirGateway::new(
            PakasirConfig {
                base_url: PakasirConfig::BASE_URL.into(),
                project: "toko-budi".into(),
                api_key: "pk-secret-key".into(),
                webhook_token: "hook-secret-token".into(),
                hosted_page_base: "https://app.pakasir.com".into(),
                timeout: Duration::from_secs(10),
            },
            reqwest::Client::new(),
        )
    }

    #[test]
    fn statuses_map_as_the_go_sdk_knows_them() {
        let state = |status: &str| {
            report(
                &fields(json!({"status": status, "amount": 150000})),
                "INV-1",
            )
            .map(|report| report.state)
        };
        assert_eq!(state("pending"), Ok(PaymentState::Pending));
        assert_eq!(state("completed"), Ok(PaymentState::Paid));
        for failed in ["expired", "canceled", "cancelled"] {
            assert_eq!(state(failed), Ok(PaymentState::Failed), "{failed}");
        }
        assert!(matches!(state("refunded"), Err(GatewayError::Malformed(_))));
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

    /// Pakasir's `completed_at`: `2025-09-10T08:07:02.819+07:00`.
    fn pakasir_time(at: chrono::DateTime<chrono::Utc>) -> String {
        in_wib(at).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }

    #[test]
    fn a_completed_transaction_reports_amount_and_offset_time_in_utc() {
        let completed = an_hour_ago();
        let report = report(
            &fields(json!({
                "amount": 150000, "order_id": "INV-1", "project": "toko-budi",
                "status": "completed", "payment_method": "qris",
                "completed_at": pakasir_time(completed),
            })),
            "INV-1",
        )
        .expect("a valid report");
        assert_eq!(report.paid_amount, Some(Money::new(150_000, Currency::Idr)));
        assert_eq!(report.transaction_id.as_deref(), Some("INV-1"));
        assert_eq!(report.payment_method.as_deref(), Some("qris"));
        assert_eq!(
            report.paid_at.map(|time| time.to_rfc3339()),
            Some(completed.to_rfc3339())
        );
    }

    #[test]
    fn the_hosted_page_url_names_project_amount_order_and_return() {
        let url = gateway()
            .hosted_page_url(
                "INV-1",
                Money::new(150_000, Currency::Idr),
                Some("https://shop.test/i/1?x=1"),
            )
            .expect("a valid URL");
        assert_eq!(
            url,
            "https://app.pakasir.com/pay/toko-budi/150000?order_id=INV-1\
             &redirect=https%3A%2F%2Fshop.test%2Fi%2F1%3Fx%3D1&qris_only=1"
        );
        assert_eq!(
            gateway().hosted_page_url("INV-1", Money::new(100, Currency::Usd), None),
            Err(GatewayError::UnsupportedCurrency(Currency::Usd))
        );
    }

    #[test]
    fn a_webhook_without_the_path_token_is_refused_and_with_it_untrusted() {
        let completed_at = pakasir_time(an_hour_ago());
        let body = json!({
            "amount": 150000, "order_id": "INV-1", "project": "toko-budi",
            "status": "completed", "payment_method": "qris",
            "completed_at": completed_at,
        })
        .to_string();
        let incoming = |token| IncomingNotification {
            headers: &[],
            path_token: token,
            body: body.as_bytes(),
        };
        for token in [None, Some(""), Some("hook-secret-tokeN")] {
            assert!(matches!(
                gateway().verify_notification(&incoming(token)),
                Err(GatewayError::Unauthenticated(_))
            ));
        }
        let notification = gateway()
            .verify_notification(&incoming(Some("hook-secret-token")))
            .expect("the path token matches");
        assert!(!notification.trusted);
        assert_eq!(
            notification.event_key,
            format!("INV-1|completed|{completed_at}")
        );
        assert_eq!(notification.claimed.state, PaymentState::Paid);
    }

    #[test]
    fn the_config_never_shows_the_key_or_the_token() {
        let shown = format!("{:?}", gateway());
        assert!(!shown.contains("pk-secret-key"), "{shown}");
        assert!(!shown.contains("hook-secret-token"), "{shown}");
        assert!(shown.contains("toko-budi"), "{shown}");
    }
}
