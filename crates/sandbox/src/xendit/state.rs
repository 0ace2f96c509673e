//! Everything the Xendit fake remembers, behind one lock: the invoices (in
//! creation order, `external_id` repeated freely), the callback URL, the
//! injected failures; and the invoice and callback bodies as Xendit writes
//! them.

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{CallbackOptions, InvoiceStatus, XenditFakeConfig, XenditInvoice};
use crate::{
    checkout::{CreateFailures, FailureMode, PaymentFakeError},
    delivery::{self, Delivery, DeliveryError, DeliveryLog},
};

/// The fake business's Xendit user id.
const USER_ID: &str = "5f9a0c3e1c2b3a0017ab1234";

#[derive(Clone)]
pub(crate) struct XenditState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for XenditState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XenditState")
            .field("invoices", &self.lock().invoices.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: XenditFakeConfig,
    data: Mutex<Data>,
    deliveries: DeliveryLog,
}

#[derive(Default)]
struct Data {
    invoices: Vec<XenditInvoice>,
    callback_url: Option<String>,
    failures: CreateFailures,
}

/// An invoice request the server validated.
pub(crate) struct NewInvoice {
    pub external_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub payer_email: Option<String>,
    pub description: Option<String>,
    pub duration: Duration,
    pub success_redirect_url: Option<String>,
    pub failure_redirect_url: Option<String>,
}

/// What an API `expire!` did.
pub(crate) enum Expired {
    NotFound,
    Done(Box<XenditInvoice>),
    AlreadyPaid,
}

impl XenditState {
    pub(crate) fn new(config: XenditFakeConfig) -> Self {
        let callback_url = config.callback_url.clone();
        let state = XenditState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(Data::default()),
                deliveries: DeliveryLog::default(),
            }),
        };
        state.lock().callback_url = callback_url;
        state
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &XenditFakeConfig {
        &self.inner.config
    }

    /// `Authorization: Basic base64(secret_key + ":")`.
    pub(crate) fn authorized(&self, authorization: Option<&str>) -> bool {
        let Some(encoded) = authorization.and_then(|value| value.strip_prefix("Basic ")) else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded);
        let user = decoded.split_once(':').map_or(&*decoded, |(user, _)| user);
        !user.is_empty() && user == self.inner.config.secret_key
    }

    pub(crate) fn set_callback_url(&self, url: Option<String>) {
        self.lock().callback_url = url;
    }

    pub(crate) fn callback_url(&self) -> Option<String> {
        self.lock().callback_url.clone()
    }

    pub(crate) fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.lock().failures.set(count, mode);
    }

    pub(crate) fn take_create_failure(&self) -> Option<FailureMode> {
        self.lock().failures.take()
    }

    pub(crate) fn invoices(&self) -> Vec<XenditInvoice> {
        let mut data = self.lock();
        data.invoices.iter_mut().for_each(expire_if_due);
        data.invoices.clone()
    }

    pub(crate) fn invoice(&self, id: &str) -> Option<XenditInvoice> {
        let mut data = self.lock();
        let invoice = data.invoices.iter_mut().find(|invoice| invoice.id == id)?;
        expire_if_due(invoice);
        Some(invoice.clone())
    }

    pub(crate) fn create(&self, new: NewInvoice, page_base: &str) -> XenditInvoice {
        // Xendit's ids are 24 hex digits (MongoDB object ids).
        let id = uuid::Uuid::new_v4().simple().to_string()[..24].to_owned();
        let now = Utc::now();
        let lifetime =
            chrono::Duration::from_std(new.duration).unwrap_or(chrono::Duration::days(1));
        let invoice = XenditInvoice {
            invoice_url: format!("{page_base}/web/{id}"),
            id,
            external_id: new.external_id,
            status: InvoiceStatus::Pending,
            currency: new.currency,
            amount_minor: new.amount_minor,
            payer_email: new.payer_email,
            description: new.description,
            success_redirect_url: new.success_redirect_url,
            failure_redirect_url: new.failure_redirect_url,
            created: now,
            updated: now,
            expiry_date: now + lifetime,
            paid_at: None,
            paid_amount_minor: None,
            payment_method: None,
            payment_channel: None,
            payment_destination: None,
            payment_id: None,
        };
        self.lock().invoices.push(invoice.clone());
        invoice
    }

    fn transition(
        &self,
        id: &str,
        allowed: &[InvoiceStatus],
        change: impl FnOnce(&mut XenditInvoice),
    ) -> Result<XenditInvoice, PaymentFakeError> {
        let mut data = self.lock();
        let invoice = data
            .invoices
            .iter_mut()
            .find(|invoice| invoice.id == id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(id.to_owned()))?;
        expire_if_due(invoice);
        if !allowed.contains(&invoice.status) {
            return Err(PaymentFakeError::WrongState {
                reference: id.to_owned(),
                status: invoice.status.as_str().to_owned(),
            });
        }
        change(invoice);
        invoice.updated = Utc::now();
        Ok(invoice.clone())
    }

    pub(crate) fn pay(&self, id: &str) -> Result<XenditInvoice, PaymentFakeError> {
        self.transition(id, &[InvoiceStatus::Pending], |invoice| {
            invoice.status = InvoiceStatus::Paid;
            invoice.paid_at = Some(Utc::now());
            invoice.paid_amount_minor = Some(invoice.amount_minor);
            invoice.payment_method = Some("BANK_TRANSFER".to_owned());
            invoice.payment_channel = Some("BCA".to_owned());
            invoice.payment_destination = Some(format!(
                "{:010}",
                uuid::Uuid::new_v4().as_u128() % 10_000_000_000
            ));
            invoice.payment_id = Some(uuid::Uuid::new_v4().to_string());
        })
    }

    pub(crate) fn expire(&self, id: &str) -> Result<XenditInvoice, PaymentFakeError> {
        self.transition(id, &[InvoiceStatus::Pending], |invoice| {
            invoice.status = InvoiceStatus::Expired;
        })
    }

    pub(crate) fn settle(&self, id: &str) -> Result<XenditInvoice, PaymentFakeError> {
        self.transition(id, &[InvoiceStatus::Paid], |invoice| {
            invoice.status = InvoiceStatus::Settled;
        })
    }

    /// `POST /invoices/{id}/expire!`: expiring an expired invoice again is
    /// harmless; a paid one cannot be.
    pub(crate) fn expire_via_api(&self, id: &str) -> Expired {
        match self.expire(id) {
            Ok(invoice) => Expired::Done(Box::new(invoice)),
            Err(PaymentFakeError::WrongState { .. }) => match self.invoice(id) {
                Some(invoice) if invoice.status == InvoiceStatus::Expired => {
                    Expired::Done(Box::new(invoice))
                }
                Some(_) => Expired::AlreadyPaid,
                None => Expired::NotFound,
            },
            Err(_) => Expired::NotFound,
        }
    }

    /// The invoice as the API returns it.
    pub(crate) fn invoice_body(&self, invoice: &XenditInvoice) -> Value {
        let mut body = json!({
            "id": invoice.id,
            "external_id": invoice.external_id,
            "user_id": USER_ID,
            "status": invoice.status.as_str(),
            "merchant_name": self.inner.config.merchant_name,
            "merchant_profile_picture_url": "",
            "amount": amount(invoice.amount_minor, &invoice.currency),
            "description": invoice.description.as_deref().unwrap_or_default(),
            "expiry_date": time(invoice.expiry_date),
            "invoice_url": invoice.invoice_url,
            "available_banks": [
                { "bank_code": "BCA", "collection_type": "POOL", "bank_branch": "Virtual Account",
                  "account_holder_name": self.inner.config.merchant_name, "transfer_amount": amount(invoice.amount_minor, &invoice.currency) }
            ],
            "available_retail_outlets": [],
            "available_ewallets": [],
            "available_qr_codes": [{ "qr_code_type": "QRIS" }],
            "available_direct_debits": [],
            "available_paylaters": [],
            "should_exclude_credit_card": false,
            "should_send_email": false,
            "created": time(invoice.created),
            "updated": time(invoice.updated),
            "currency": invoice.currency,
        });
        if let Value::Object(fields) = &mut body {
            let mut optional = |name: &str, value: Option<Value>| {
                if let Some(value) = value {
                    fields.insert(name.to_owned(), value);
                }
            };
            optional("payer_email", invoice.payer_email.clone().map(Value::from));
            optional(
                "success_redirect_url",
                invoice.success_redirect_url.clone().map(Value::from),
            );
            optional(
                "failure_redirect_url",
                invoice.failure_redirect_url.clone().map(Value::from),
            );
            optional("paid_at", invoice.paid_at.map(|at| time(at).into()));
            optional(
                "paid_amount",
                invoice
                    .paid_amount_minor
                    .map(|paid| amount(paid, &invoice.currency)),
            );
            optional(
                "payment_method",
                invoice.payment_method.clone().map(Value::from),
            );
            optional(
                "payment_channel",
                invoice.payment_channel.clone().map(Value::from),
            );
            optional(
                "bank_code",
                invoice.payment_channel.clone().map(Value::from),
            );
            optional(
                "payment_destination",
                invoice.payment_destination.clone().map(Value::from),
            );
            optional("payment_id", invoice.payment_id.clone().map(Value::from));
        }
        body
    }

    /// The callback body Xendit POSTs about `invoice`.
    pub(crate) fn callback_body(
        &self,
        invoice: &XenditInvoice,
        options: &CallbackOptions,
    ) -> Value {
        let status = options.status.unwrap_or(invoice.status);
        let mut body = json!({
            "id": invoice.id,
            "external_id": invoice.external_id,
            "user_id": USER_ID,
            "is_high": false,
            "status": status.as_str(),
            "merchant_name": self.inner.config.merchant_name,
            "amount": amount(invoice.amount_minor, &invoice.currency),
            "description": invoice.description.as_deref().unwrap_or_default(),
            "currency": invoice.currency,
            "created": time(invoice.created),
            "updated": time(invoice.updated),
        });
        if let Value::Object(fields) = &mut body {
            if let Some(email) = &invoice.payer_email {
                fields.insert("payer_email".into(), json!(email));
            }
            if matches!(status, InvoiceStatus::Paid | InvoiceStatus::Settled) {
                let paid = options
                    .paid_amount_minor
                    .or(invoice.paid_amount_minor)
                    .unwrap_or(invoice.amount_minor);
                let channel = invoice.payment_channel.as_deref().unwrap_or("BCA");
                fields.insert("paid_amount".into(), amount(paid, &invoice.currency));
                fields.insert(
                    "paid_at".into(),
                    json!(time(invoice.paid_at.unwrap_or_else(Utc::now))),
                );
                fields.insert(
                    "payment_method".into(),
                    json!(invoice.payment_method.as_deref().unwrap_or("BANK_TRANSFER")),
                );
                fields.insert("payment_channel".into(), json!(channel));
                fields.insert("bank_code".into(), json!(channel));
                fields.insert(
                    "payment_destination".into(),
                    json!(
                        invoice
                            .payment_destination
                            .as_deref()
                            .unwrap_or("8808000000")
                    ),
                );
                fields.insert(
                    "payment_id".into(),
                    json!(
                        invoice
                            .payment_id
                            .clone()
                            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
                    ),
                );
                fields.insert(
                    "adjusted_received_amount".into(),
                    amount(paid, &invoice.currency),
                );
                fields.insert("fees_paid_amount".into(), json!(0));
            }
        }
        body
    }

    /// POSTs the callback; with `options.with_retries`, again after each
    /// configured delay until the shop answers 2xx. The last answer.
    pub(crate) async fn send_callback(
        &self,
        invoice: &XenditInvoice,
        options: &CallbackOptions,
    ) -> Result<u16, PaymentFakeError> {
        let callback = self.prepare(invoice, options)?;
        let mut outcome = self.attempt(&callback).await;
        if options.with_retries && !accepted(&outcome) {
            outcome = self.retry(&callback).await;
        }
        Ok(outcome?)
    }

    /// What the checkout page does: the first attempt awaited, the retries
    /// (if it was not accepted) left to run on their own, as Xendit's do.
    pub(crate) async fn callback_retrying_in_background(
        &self,
        invoice: &XenditInvoice,
    ) -> Result<Option<u16>, PaymentFakeError> {
        if self.callback_url().is_none() {
            return Ok(None);
        }
        let callback = self.prepare(invoice, &CallbackOptions::default())?;
        let outcome = self.attempt(&callback).await;
        if !accepted(&outcome) {
            let state = self.clone();
            tokio::spawn(async move {
                if let Err(error) = state.retry(&callback).await {
                    tracing::info!(%error, "Xendit fake: callback retries exhausted");
                }
            });
        }
        Ok(Some(outcome?))
    }

    fn prepare(
        &self,
        invoice: &XenditInvoice,
        options: &CallbackOptions,
    ) -> Result<Callback, PaymentFakeError> {
        let url = self
            .callback_url()
            .ok_or(PaymentFakeError::NoNotificationUrl)?;
        let token = options
            .token
            .clone()
            .unwrap_or_else(|| self.inner.config.callback_token.clone());
        Ok(Callback {
            url,
            headers: vec![("x-callback-token".to_owned(), token)],
            body: self.callback_body(invoice, options).to_string(),
        })
    }

    /// The retries after a first attempt that was not accepted.
    async fn retry(&self, callback: &Callback) -> Result<u16, DeliveryError> {
        let mut outcome = Err(DeliveryError::Io("not attempted".to_owned()));
        for delay in &self.inner.config.callback_retry_delays {
            tokio::time::sleep(*delay).await;
            outcome = self.attempt(callback).await;
            if accepted(&outcome) {
                break;
            }
        }
        outcome
    }

    async fn attempt(&self, callback: &Callback) -> Result<u16, DeliveryError> {
        delivery::post_json(
            &self.inner.deliveries,
            &callback.url,
            &callback.headers,
            &callback.body,
            self.inner.config.callback_timeout,
        )
        .await
    }

    /// The invoice's callback as it is, retried, when a URL is set.
    pub(crate) async fn callback_if_configured(
        &self,
        invoice: &XenditInvoice,
        with_retries: bool,
    ) -> Result<Option<u16>, PaymentFakeError> {
        if self.callback_url().is_none() {
            return Ok(None);
        }
        let options = CallbackOptions {
            with_retries,
            ..CallbackOptions::default()
        };
        self.send_callback(invoice, &options).await.map(Some)
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.all()
    }

    pub(crate) fn reset(&self) {
        let callback_url = self.inner.config.callback_url.clone();
        *self.lock() = Data {
            callback_url,
            ..Data::default()
        };
        self.inner.deliveries.clear();
    }
}

/// One callback, ready to (re)send.
struct Callback {
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn accepted(outcome: &Result<u16, DeliveryError>) -> bool {
    matches!(outcome, Ok(status) if (200..300).contains(status))
}

/// A pending invoice past its expiry date has expired.
fn expire_if_due(invoice: &mut XenditInvoice) {
    if invoice.status == InvoiceStatus::Pending && Utc::now() > invoice.expiry_date {
        invoice.status = InvoiceStatus::Expired;
        invoice.updated = invoice.expiry_date;
    }
}

/// Xendit's times: `2026-05-01T03:05:00.000Z`.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Minor units as Xendit's JSON number: whole rupiah, dollars with cents.
pub(crate) fn amount(minor: i64, currency: &str) -> Value {
    if currency == "USD" {
        let text = format!(
            "{}{}.{:02}",
            if minor < 0 { "-" } else { "" },
            minor.unsigned_abs() / 100,
            minor.unsigned_abs() % 100
        );
        text.parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::Null)
    } else {
        json!(minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_numbers_in_the_currency() {
        assert_eq!(amount(150_000, "IDR").to_string(), "150000");
        assert_eq!(amount(1250, "USD").to_string(), "12.5");
        assert_eq!(amount(1999, "USD").to_string(), "19.99");
    }

    #[test]
    fn external_ids_repeat_freely() {
        let state = XenditState::new(XenditFakeConfig::default());
        let new = || NewInvoice {
            external_id: "INV-1".into(),
            currency: "IDR".into(),
            amount_minor: 150_000,
            payer_email: None,
            description: None,
            duration: Duration::from_secs(3600),
            success_redirect_url: None,
            failure_redirect_url: None,
        };
        let first = state.create(new(), "http://x");
        let second = state.create(new(), "http://x");
        assert_ne!(first.id, second.id);
        assert_eq!(first.id.len(), 24);
        assert_eq!(state.invoices().len(), 2);
    }
}
