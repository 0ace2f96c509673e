//! Everything the Midtrans fake remembers, behind one lock, and the
//! transitions of a Snap transaction: created (unknown to the Core API),
//! method chosen (`pending`), then `settlement`, `expire` or `cancel`.
//! Notifications are built here, signed as Midtrans signs them.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Offset as _, Utc};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha512};

use super::{
    MidtransCharge, MidtransFakeConfig, MidtransItem, NotificationOptions, TransactionStatus,
};
use crate::{
    checkout::{CreateFailures, FailureMode, PaymentFakeError},
    delivery::{self, Delivery, DeliveryLog},
};

#[derive(Clone)]
pub(crate) struct MidtransState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MidtransState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidtransState")
            .field("charges", &self.lock().charges.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: MidtransFakeConfig,
    data: Mutex<Data>,
    deliveries: DeliveryLog,
}

#[derive(Default)]
struct Data {
    /// By order id, in creation order through `sequence`.
    charges: BTreeMap<String, (u64, MidtransCharge)>,
    tokens: HashMap<String, String>,
    sequence: u64,
    notification_url: Option<String>,
    failures: CreateFailures,
    errors_in_body: bool,
}

/// A Snap request the server validated.
pub(crate) struct NewCharge {
    pub order_id: String,
    pub gross_amount: i64,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub items: Vec<MidtransItem>,
    pub finish_url: Option<String>,
    pub lifetime: chrono::Duration,
}

/// What a Core API cancel did.
pub(crate) enum Cancelled {
    /// The Core API does not know the order.
    NotFound,
    Done(Box<MidtransCharge>),
    /// 412: settled, expired or cancelled already.
    Refused,
}

impl MidtransState {
    pub(crate) fn new(config: MidtransFakeConfig) -> Self {
        let notification_url = config.notification_url.clone();
        let state = MidtransState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(Data::default()),
                deliveries: DeliveryLog::default(),
            }),
        };
        state.lock().notification_url = notification_url;
        state
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way, so a poisoned lock still
        // holds consistent data.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &MidtransFakeConfig {
        &self.inner.config
    }

    /// `Authorization: Basic base64(server_key + ":")`; Midtrans ignores the
    /// password part.
    pub(crate) fn authorized(&self, authorization: Option<&str>) -> bool {
        let Some(encoded) = authorization.and_then(|value| value.strip_prefix("Basic ")) else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded);
        let user = decoded.split_once(':').map_or(&*decoded, |(user, _)| user);
        !user.is_empty() && user == self.inner.config.server_key
    }

    pub(crate) fn set_notification_url(&self, url: Option<String>) {
        self.lock().notification_url = url;
    }

    pub(crate) fn notification_url(&self) -> Option<String> {
        self.lock().notification_url.clone()
    }

    pub(crate) fn set_errors_in_body(&self, in_body: bool) {
        self.lock().errors_in_body = in_body;
    }

    pub(crate) fn errors_in_body(&self) -> bool {
        self.lock().errors_in_body
    }

    pub(crate) fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.lock().failures.set(count, mode);
    }

    pub(crate) fn take_create_failure(&self) -> Option<FailureMode> {
        self.lock().failures.take()
    }

    pub(crate) fn charges(&self) -> Vec<MidtransCharge> {
        let data = self.lock();
        let mut charges: Vec<_> = data.charges.values().cloned().collect();
        charges.sort_by_key(|(sequence, _)| *sequence);
        charges.into_iter().map(|(_, charge)| charge).collect()
    }

    pub(crate) fn charge(&self, order_id: &str) -> Option<MidtransCharge> {
        let mut data = self.lock();
        let (_, charge) = data.charges.get_mut(order_id)?;
        expire_if_due(charge);
        Some(charge.clone())
    }

    pub(crate) fn charge_by_token(&self, token: &str) -> Option<MidtransCharge> {
        let order_id = self.lock().tokens.get(token).cloned()?;
        self.charge(&order_id)
    }

    /// Records a new transaction; `Err` with Snap's message for a taken
    /// order id.
    pub(crate) fn create(
        &self,
        new: NewCharge,
        redirect_base: &str,
    ) -> Result<MidtransCharge, String> {
        let mut data = self.lock();
        if data.charges.contains_key(&new.order_id) {
            return Err("transaction_details.order_id has already been taken".to_owned());
        }
        let token = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        let charge = MidtransCharge {
            order_id: new.order_id.clone(),
            redirect_url: format!("{redirect_base}/snap/v4/redirection/{token}"),
            token: token.clone(),
            gross_amount: new.gross_amount,
            customer_name: new.customer_name,
            customer_email: new.customer_email,
            items: new.items,
            finish_url: new.finish_url,
            created_at: now,
            expires_at: now + new.lifetime,
            transaction_id: uuid::Uuid::new_v4().to_string(),
            payment_type: None,
            status: None,
            va_number: None,
            transaction_time: None,
            settlement_time: None,
        };
        data.sequence += 1;
        let sequence = data.sequence;
        data.tokens.insert(token, new.order_id.clone());
        data.charges
            .insert(new.order_id, (sequence, charge.clone()));
        Ok(charge)
    }

    /// Applies `change` to a payable transaction.
    fn transition(
        &self,
        order_id: &str,
        change: impl FnOnce(&mut MidtransCharge),
    ) -> Result<MidtransCharge, PaymentFakeError> {
        let mut data = self.lock();
        let (_, charge) = data
            .charges
            .get_mut(order_id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(order_id.to_owned()))?;
        expire_if_due(charge);
        let past_expiry = Utc::now() > charge.expires_at;
        match charge.status {
            Some(status) if status.is_final() => {
                return Err(PaymentFakeError::WrongState {
                    reference: order_id.to_owned(),
                    status: status.as_str().to_owned(),
                });
            }
            None if past_expiry => {
                return Err(PaymentFakeError::WrongState {
                    reference: order_id.to_owned(),
                    status: "expired before a payment method was chosen".to_owned(),
                });
            }
            _ => {}
        }
        change(charge);
        Ok(charge.clone())
    }

    pub(crate) fn choose_payment_method(
        &self,
        order_id: &str,
    ) -> Result<MidtransCharge, PaymentFakeError> {
        self.transition(order_id, |charge| {
            choose_bank_transfer(charge);
        })
    }

    pub(crate) fn settle(&self, order_id: &str) -> Result<MidtransCharge, PaymentFakeError> {
        self.transition(order_id, |charge| {
            choose_bank_transfer(charge);
            charge.status = Some(TransactionStatus::Settlement);
            charge.settlement_time = Some(Utc::now());
        })
    }

    pub(crate) fn expire(&self, order_id: &str) -> Result<MidtransCharge, PaymentFakeError> {
        self.transition(order_id, |charge| {
            choose_bank_transfer(charge);
            charge.status = Some(TransactionStatus::Expire);
        })
    }

    pub(crate) fn cancel(&self, order_id: &str) -> Cancelled {
        let mut data = self.lock();
        let Some((_, charge)) = data.charges.get_mut(order_id) else {
            return Cancelled::NotFound;
        };
        expire_if_due(charge);
        match charge.status {
            None => Cancelled::NotFound,
            Some(TransactionStatus::Pending | TransactionStatus::Authorize) => {
                charge.status = Some(TransactionStatus::Cancel);
                Cancelled::Done(Box::new(charge.clone()))
            }
            Some(_) => Cancelled::Refused,
        }
    }

    /// The notification body Midtrans would POST about `charge`.
    pub(crate) fn notification_body(
        &self,
        charge: &MidtransCharge,
        options: &NotificationOptions,
    ) -> Value {
        let status = options
            .status
            .or(charge.status)
            .unwrap_or(TransactionStatus::Pending);
        let mut body = self.transaction_body(charge, status, options.gross_amount.clone());
        if options.tamper_signature
            && let Some(Value::String(signature)) = body.get_mut("signature_key")
        {
            // Same length and alphabet, one digit off: only the check can
            // tell.
            let flipped = match signature.pop() {
                Some('0') => '1',
                _ => '0',
            };
            signature.push(flipped);
        }
        if let Value::Object(fields) = &mut body {
            fields.insert(
                "status_message".into(),
                json!("midtrans payment notification"),
            );
        }
        body
    }

    /// The Core API's status answer (same fields as a notification).
    pub(crate) fn status_body(&self, charge: &MidtransCharge) -> Value {
        let status = charge.status.unwrap_or(TransactionStatus::Pending);
        let mut body = self.transaction_body(charge, status, None);
        if let Value::Object(fields) = &mut body {
            fields.insert(
                "status_message".into(),
                json!("Success, transaction is found"),
            );
        }
        body
    }

    fn transaction_body(
        &self,
        charge: &MidtransCharge,
        status: TransactionStatus,
        gross_amount: Option<String>,
    ) -> Value {
        let config = &self.inner.config;
        let gross_amount = gross_amount.unwrap_or_else(|| format!("{}.00", charge.gross_amount));
        let status_code = status.status_code();
        let transaction_time = charge.transaction_time.unwrap_or(charge.created_at);
        let mut body = json!({
            "transaction_time": wib(transaction_time),
            "transaction_status": status.as_str(),
            "transaction_id": charge.transaction_id,
            "status_code": status_code,
            "signature_key": signature_key(&charge.order_id, status_code, &gross_amount, &config.server_key),
            "payment_type": charge.payment_type.as_deref().unwrap_or("bank_transfer"),
            "order_id": charge.order_id,
            "merchant_id": config.merchant_id,
            "gross_amount": gross_amount,
            "fraud_status": "accept",
            "currency": "IDR",
            "expiry_time": wib(charge.expires_at),
        });
        if let Value::Object(fields) = &mut body {
            if let Some(va_number) = &charge.va_number {
                fields.insert(
                    "va_numbers".into(),
                    json!([{ "bank": "bca", "va_number": va_number }]),
                );
            }
            if matches!(
                status,
                TransactionStatus::Settlement
                    | TransactionStatus::Refund
                    | TransactionStatus::PartialRefund
                    | TransactionStatus::Chargeback
            ) {
                let settled = charge.settlement_time.unwrap_or_else(Utc::now);
                fields.insert("settlement_time".into(), json!(wib(settled)));
            }
        }
        body
    }

    /// POSTs the notification about `charge`; the shop's status.
    pub(crate) async fn notify(
        &self,
        charge: &MidtransCharge,
        options: &NotificationOptions,
    ) -> Result<u16, PaymentFakeError> {
        let url = self
            .notification_url()
            .ok_or(PaymentFakeError::NoNotificationUrl)?;
        let body = self.notification_body(charge, options).to_string();
        let status = delivery::post_json(
            &self.inner.deliveries,
            &url,
            &[],
            &body,
            self.inner.config.notification_timeout,
        )
        .await?;
        Ok(status)
    }

    /// The notification of `charge` as it is, when a URL is set.
    pub(crate) async fn notify_if_configured(
        &self,
        charge: &MidtransCharge,
    ) -> Result<Option<u16>, PaymentFakeError> {
        if self.notification_url().is_none() {
            return Ok(None);
        }
        self.notify(charge, &NotificationOptions::default())
            .await
            .map(Some)
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.all()
    }

    pub(crate) fn reset(&self) {
        let notification_url = self.inner.config.notification_url.clone();
        *self.lock() = Data {
            notification_url,
            ..Data::default()
        };
        self.inner.deliveries.clear();
    }
}

/// The customer picked bank transfer: a BCA virtual account.
fn choose_bank_transfer(charge: &mut MidtransCharge) {
    if charge.payment_type.is_none() {
        charge.payment_type = Some("bank_transfer".to_owned());
        charge.va_number = Some(format!(
            "{:011}",
            uuid::Uuid::new_v4().as_u128() % 100_000_000_000
        ));
        charge.transaction_time = Some(Utc::now());
        charge.status = Some(TransactionStatus::Pending);
    }
}

/// A pending transaction past its expiry has expired.
fn expire_if_due(charge: &mut MidtransCharge) {
    if charge.status == Some(TransactionStatus::Pending) && Utc::now() > charge.expires_at {
        charge.status = Some(TransactionStatus::Expire);
    }
}

/// `hex(SHA512(order_id + status_code + gross_amount + server_key))`.
pub(crate) fn signature_key(
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

/// Midtrans writes times in Western Indonesian Time without a zone:
/// `2026-05-01 17:05:00`.
pub(crate) fn wib(time: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix());
    time.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_known_value() {
        // sha512("INV-1" "200" "150000.00" "key"), computed independently.
        let expected = hex::encode(Sha512::digest(b"INV-1200150000.00key"));
        assert_eq!(signature_key("INV-1", "200", "150000.00", "key"), expected);
    }

    #[test]
    fn times_are_written_in_wib() {
        // Now, not a fixed date: the wall clock seven hours ahead of UTC.
        let time = Utc::now();
        let jakarta = time.naive_utc() + chrono::Duration::hours(7);
        assert_eq!(wib(time), jakarta.format("%Y-%m-%d %H:%M:%S").to_string());
    }

    #[test]
    fn basic_auth_takes_the_server_key_as_user() {
        let state = MidtransState::new(MidtransFakeConfig::default());
        let header = |credentials: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        };
        assert!(state.authorized(Some(&header("SB-Mid-server-juragan-sandbox:"))));
        assert!(state.authorized(Some(&header("SB-Mid-server-juragan-sandbox:x"))));
        assert!(!state.authorized(Some(&header("SB-Mid-server-other:"))));
        assert!(!state.authorized(Some("Bearer abc")));
        assert!(!state.authorized(None));
    }
}
