//! Everything the Pakasir fake remembers, behind one lock, the checks every
//! call makes (project, API key, amount), the fake's fees, and the bodies
//! and webhook Pakasir sends.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, FixedOffset, Offset as _, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{PakasirFakeConfig, PakasirStatus, PakasirTransaction};
use crate::{
    checkout::{CreateFailures, FailureMode, PaymentFakeError},
    delivery::{self, Delivery, DeliveryLog},
};

#[derive(Clone)]
pub(crate) struct PakasirState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PakasirState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PakasirState")
            .field("transactions", &self.lock().transactions.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: PakasirFakeConfig,
    data: Mutex<Data>,
    deliveries: DeliveryLog,
}

#[derive(Default)]
struct Data {
    transactions: Vec<PakasirTransaction>,
    webhook_url: Option<String>,
    failures: CreateFailures,
}

/// Why an API call is refused: the HTTP status and Pakasir's `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, message: &str) -> Self {
        Refusal {
            status,
            message: message.to_owned(),
        }
    }

    pub(crate) fn not_found() -> Self {
        Refusal::new(404, "Transaction not found")
    }

    fn amount_mismatch() -> Self {
        Refusal::new(400, "Amount does not match the transaction")
    }
}

impl From<&PaymentFakeError> for Refusal {
    fn from(error: &PaymentFakeError) -> Self {
        match error {
            PaymentFakeError::UnknownCharge(_) => Refusal::not_found(),
            PaymentFakeError::AmountMismatch { .. } => Refusal::amount_mismatch(),
            PaymentFakeError::NotSandbox => Refusal::new(
                400,
                "Payment simulation is only available for sandbox projects",
            ),
            PaymentFakeError::WrongState { status, .. } => {
                Refusal::new(400, &format!("Transaction is already {status}"))
            }
            other => Refusal::new(500, &other.to_string()),
        }
    }
}

impl PakasirState {
    pub(crate) fn new(config: PakasirFakeConfig) -> Self {
        let webhook_url = config.webhook_url.clone();
        let state = PakasirState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(Data::default()),
                deliveries: DeliveryLog::default(),
            }),
        };
        state.lock().webhook_url = webhook_url;
        state
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // No critical section can panic half-way.
        self.inner
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &PakasirFakeConfig {
        &self.inner.config
    }

    /// Every call names the project and carries its API key.
    pub(crate) fn check_credentials(
        &self,
        project: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<(), Refusal> {
        let config = &self.inner.config;
        if project == Some(config.project.as_str()) && api_key == Some(config.api_key.as_str()) {
            Ok(())
        } else {
            Err(Refusal::new(401, "Invalid project or api_key"))
        }
    }

    pub(crate) fn set_webhook_url(&self, url: Option<String>) {
        self.lock().webhook_url = url;
    }

    pub(crate) fn webhook_url(&self) -> Option<String> {
        self.lock().webhook_url.clone()
    }

    pub(crate) fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.lock().failures.set(count, mode);
    }

    pub(crate) fn take_create_failure(&self) -> Option<FailureMode> {
        self.lock().failures.take()
    }

    pub(crate) fn transactions(&self) -> Vec<PakasirTransaction> {
        let mut data = self.lock();
        data.transactions.iter_mut().for_each(expire_if_due);
        data.transactions.clone()
    }

    pub(crate) fn transaction(&self, order_id: &str) -> Option<PakasirTransaction> {
        let mut data = self.lock();
        let transaction = data
            .transactions
            .iter_mut()
            .find(|transaction| transaction.order_id == order_id)?;
        expire_if_due(transaction);
        Some(transaction.clone())
    }

    /// A new transaction; an order id is used once.
    pub(crate) fn create(
        &self,
        order_id: &str,
        amount: i64,
        method: &str,
    ) -> Result<PakasirTransaction, Refusal> {
        if order_id.is_empty() {
            return Err(Refusal::new(400, "order_id is required"));
        }
        if amount < 1 {
            return Err(Refusal::new(400, "amount must be a positive integer"));
        }
        let mut data = self.lock();
        if data
            .transactions
            .iter()
            .any(|transaction| transaction.order_id == order_id)
        {
            return Err(Refusal::new(400, "order_id already exists"));
        }
        let now = Utc::now();
        let fee = fee(method, amount);
        let lifetime = chrono::Duration::from_std(self.inner.config.transaction_lifetime)
            .unwrap_or(chrono::Duration::hours(1));
        let transaction = PakasirTransaction {
            order_id: order_id.to_owned(),
            project: self.inner.config.project.clone(),
            amount,
            fee,
            total_payment: amount + fee,
            payment_method: method.to_owned(),
            payment_number: payment_number(method, order_id, amount + fee),
            status: PakasirStatus::Pending,
            created_at: now,
            expired_at: now + lifetime,
            completed_at: None,
        };
        data.transactions.push(transaction.clone());
        Ok(transaction)
    }

    /// Applies `change` to the pending transaction `order_id` of `amount`.
    fn transition(
        &self,
        order_id: &str,
        amount: i64,
        change: impl FnOnce(&mut PakasirTransaction),
    ) -> Result<PakasirTransaction, PaymentFakeError> {
        let mut data = self.lock();
        let transaction = data
            .transactions
            .iter_mut()
            .find(|transaction| transaction.order_id == order_id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(order_id.to_owned()))?;
        if transaction.amount != amount {
            return Err(PaymentFakeError::AmountMismatch {
                reference: order_id.to_owned(),
                expected: transaction.amount,
                given: amount,
            });
        }
        expire_if_due(transaction);
        if transaction.status != PakasirStatus::Pending {
            return Err(PaymentFakeError::WrongState {
                reference: order_id.to_owned(),
                status: transaction.status.as_str().to_owned(),
            });
        }
        change(transaction);
        Ok(transaction.clone())
    }

    pub(crate) fn complete(
        &self,
        order_id: &str,
        amount: i64,
    ) -> Result<PakasirTransaction, PaymentFakeError> {
        self.transition(order_id, amount, |transaction| {
            transaction.status = PakasirStatus::Completed;
            transaction.completed_at = Some(Utc::now());
        })
    }

    pub(crate) fn simulate(
        &self,
        order_id: &str,
        amount: i64,
    ) -> Result<PakasirTransaction, PaymentFakeError> {
        if !self.inner.config.is_sandbox {
            return Err(PaymentFakeError::NotSandbox);
        }
        self.complete(order_id, amount)
    }

    pub(crate) fn cancel(
        &self,
        order_id: &str,
        amount: i64,
    ) -> Result<PakasirTransaction, PaymentFakeError> {
        self.transition(order_id, amount, |transaction| {
            transaction.status = PakasirStatus::Canceled;
        })
    }

    pub(crate) fn expire(&self, order_id: &str) -> Result<PakasirTransaction, PaymentFakeError> {
        let amount = self
            .transaction(order_id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(order_id.to_owned()))?
            .amount;
        self.transition(order_id, amount, |transaction| {
            transaction.status = PakasirStatus::Expired;
        })
    }

    /// The transaction `order_id`, which must be of `amount`: Pakasir finds
    /// transactions by both.
    pub(crate) fn find(&self, order_id: &str, amount: i64) -> Result<PakasirTransaction, Refusal> {
        let transaction = self.transaction(order_id).ok_or_else(Refusal::not_found)?;
        if transaction.amount != amount {
            return Err(Refusal::amount_mismatch());
        }
        Ok(transaction)
    }

    pub(crate) fn payment_body(&self, transaction: &PakasirTransaction) -> Value {
        json!({
            "payment": {
                "project": transaction.project,
                "order_id": transaction.order_id,
                "amount": transaction.amount,
                "fee": transaction.fee,
                "total_payment": transaction.total_payment,
                "payment_method": transaction.payment_method,
                "payment_number": transaction.payment_number,
                "expired_at": transaction.expired_at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            }
        })
    }

    pub(crate) fn transaction_body(&self, transaction: &PakasirTransaction) -> Value {
        json!({
            "transaction": {
                "amount": transaction.amount,
                "order_id": transaction.order_id,
                "project": transaction.project,
                "status": transaction.status.as_str(),
                "payment_method": transaction.payment_method,
                "completed_at": transaction.completed_at.map(wib),
                // Undocumented, but a sandbox project's answers carry it.
                "is_sandbox": self.inner.config.is_sandbox,
            }
        })
    }

    fn webhook_body(
        &self,
        order_id: &str,
        amount: i64,
        transaction: Option<&PakasirTransaction>,
    ) -> Value {
        json!({
            "amount": amount,
            "order_id": order_id,
            "project": self.inner.config.project,
            "status": "completed",
            "payment_method": transaction.map_or("qris", |transaction| transaction.payment_method.as_str()),
            "completed_at": wib(transaction.and_then(|transaction| transaction.completed_at).unwrap_or_else(Utc::now)),
        })
    }

    /// POSTs the unsigned webhook (Pakasir sends no signature or secret
    /// header).
    async fn post_webhook(&self, body: &Value) -> Result<u16, PaymentFakeError> {
        let url = self
            .webhook_url()
            .ok_or(PaymentFakeError::NoNotificationUrl)?;
        let status = delivery::post_json(
            &self.inner.deliveries,
            &url,
            &[],
            &body.to_string(),
            self.inner.config.webhook_timeout,
        )
        .await?;
        Ok(status)
    }

    /// The webhook of a completed transaction, when a URL is set.
    pub(crate) async fn webhook_if_configured(
        &self,
        transaction: &PakasirTransaction,
    ) -> Result<Option<u16>, PaymentFakeError> {
        if self.webhook_url().is_none() {
            return Ok(None);
        }
        let body = self.webhook_body(&transaction.order_id, transaction.amount, Some(transaction));
        self.post_webhook(&body).await.map(Some)
    }

    pub(crate) async fn send_webhook(
        &self,
        order_id: &str,
        amount: Option<i64>,
    ) -> Result<u16, PaymentFakeError> {
        let transaction = self.transaction(order_id);
        let amount = match (amount, &transaction) {
            (Some(amount), _) => amount,
            (None, Some(transaction)) => transaction.amount,
            (None, None) => return Err(PaymentFakeError::UnknownCharge(order_id.to_owned())),
        };
        let body = self.webhook_body(order_id, amount, transaction.as_ref());
        self.post_webhook(&body).await
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.all()
    }

    pub(crate) fn reset(&self) {
        let webhook_url = self.inner.config.webhook_url.clone();
        *self.lock() = Data {
            webhook_url,
            ..Data::default()
        };
        self.inner.deliveries.clear();
    }
}

fn expire_if_due(transaction: &mut PakasirTransaction) {
    if transaction.status == PakasirStatus::Pending && Utc::now() > transaction.expired_at {
        transaction.status = PakasirStatus::Expired;
    }
}

/// The fake's fee schedule: QRIS 0.7% rounded up, virtual accounts
/// Rp 4.000, retail Rp 5.000.
fn fee(method: &str, amount: i64) -> i64 {
    match method {
        "qris" => (amount.saturating_mul(7) + 999) / 1000,
        "retail" => 5000,
        _ => 4000,
    }
}

/// What the customer pays with: a QRIS payload (EMVCo, with its CRC), a
/// virtual account number or a retail payment code.
fn payment_number(method: &str, order_id: &str, total: i64) -> String {
    let digits = uuid::Uuid::new_v4().as_u128();
    match method {
        "qris" => qris_payload(order_id, total),
        "retail" => format!("PKS{:010}", digits % 10_000_000_000),
        _ => format!("8{:015}", digits % 1_000_000_000_000_000),
    }
}

/// A dynamic QRIS payload: EMVCo tag-length-value fields ending in the
/// CRC-16/CCITT-FALSE of everything before it, as bank apps check.
fn qris_payload(order_id: &str, total: i64) -> String {
    fn field(tag: &str, value: &str) -> String {
        format!("{tag}{:02}{value}", value.len())
    }
    let reference: String = order_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(25)
        .collect();
    let merchant = field("00", "ID.CO.QRIS.WWW")
        + &field("01", "936009990000000000")
        + &field("02", "ID1024000000001");
    let mut payload = field("00", "01")
        + &field("01", "12")
        + &field("26", &merchant)
        + &field("52", "5999")
        + &field("53", "360")
        + &field("54", &total.to_string())
        + &field("58", "ID")
        + &field("59", "JURAGAN SANDBOX")
        + &field("60", "JAKARTA")
        + &field("62", &field("01", &reference))
        + "6304";
    let crc = crc16_ccitt(payload.as_bytes());
    payload.push_str(&format!("{crc:04X}"));
    payload
}

fn crc16_ccitt(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Pakasir's `completed_at`: milliseconds and the +07:00 offset.
fn wib(time: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix());
    time.with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_follow_the_fakes_schedule() {
        assert_eq!(fee("qris", 150_000), 1050);
        assert_eq!(fee("qris", 1001), 8);
        assert_eq!(fee("bni_va", 150_000), 4000);
        assert_eq!(fee("retail", 150_000), 5000);
    }

    #[test]
    fn the_qris_payload_carries_a_valid_crc() {
        // The CRC-16/CCITT-FALSE check value.
        assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
        let payload = qris_payload("INV-2026-000123-2", 151_050);
        let (body, crc) = payload.split_at(payload.len() - 4);
        assert!(body.ends_with("6304"));
        assert_eq!(crc, format!("{:04X}", crc16_ccitt(body.as_bytes())));
        assert!(payload.contains("5406151050"), "{payload}");
    }

    #[test]
    fn completed_at_is_written_with_the_wib_offset() {
        // Now, not a fixed date: the wall clock seven hours ahead, with the offset.
        let time = Utc::now();
        let jakarta = time.naive_utc() + chrono::Duration::hours(7);
        assert_eq!(
            wib(time),
            format!("{}+07:00", jakarta.format("%Y-%m-%dT%H:%M:%S%.3f"))
        );
    }

    #[test]
    fn amounts_must_match_to_find_a_transaction() {
        let state = PakasirState::new(PakasirFakeConfig::default());
        state.create("INV-1", 150_000, "qris").expect("created");
        assert!(state.find("INV-1", 150_000).is_ok());
        assert_eq!(state.find("INV-1", 1), Err(Refusal::amount_mismatch()));
        assert_eq!(state.find("INV-2", 150_000), Err(Refusal::not_found()));
        assert_eq!(
            state.create("INV-1", 150_000, "qris").map(drop),
            Err(Refusal::new(400, "order_id already exists"))
        );
    }
}
