//! The client's wallet: a balance per currency, kept as a double-entry
//! ledger ([`ledger`]). Topped up through any gateway (a top-up is an
//! invoice), spent on invoices and purchases, credited by refunds and
//! over-payments; never below zero, even under concurrent purchases.

pub mod ledger;

use chrono::{DateTime, Utc};
use domain::{Currency, Money, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::BillingError;

/// One currency's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WalletBalance {
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    pub balance_minor: i64,
}

/// One movement of a wallet, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WalletEntry {
    pub id: i64,
    /// `top_up`, `wallet_payment`, `overpayment`, `refund_to_wallet`, …
    pub kind: String,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    /// Positive: money in; negative: money spent.
    pub amount_minor: i64,
    pub balance_after_minor: i64,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub memo: String,
    pub at: DateTime<Utc>,
}

/// Balances of every currency the client has used, IDR first.
pub async fn balances(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<WalletBalance>, BillingError> {
    let rows = sqlx::query!(
        "SELECT currency, balance_minor FROM ledger_account
          WHERE kind = 'client_wallet' AND user_id = $1
          ORDER BY currency = 'IDR' DESC, currency",
        user
    )
    .fetch_all(conn)
    .await?;
    let mut balances = rows
        .into_iter()
        .map(|row| {
            Ok(WalletBalance {
                currency: row.currency.parse()?,
                balance_minor: row.balance_minor,
            })
        })
        .collect::<Result<Vec<_>, BillingError>>()?;
    if !balances.iter().any(|b| b.currency == Currency::Idr) {
        balances.insert(
            0,
            WalletBalance {
                currency: Currency::Idr,
                balance_minor: 0,
            },
        );
    }
    Ok(balances)
}

pub async fn balance(
    conn: &mut PgConnection,
    user: Uuid,
    currency: Currency,
) -> Result<Money, BillingError> {
    let minor = sqlx::query_scalar!(
        "SELECT balance_minor FROM ledger_account
          WHERE kind = 'client_wallet' AND user_id = $1 AND currency = $2",
        user,
        currency.code()
    )
    .fetch_optional(conn)
    .await?;
    Ok(Money::new(minor.unwrap_or(0), currency))
}

/// The client's wallet movements, newest first, `before` an entry id.
pub async fn history(
    conn: &mut PgConnection,
    user: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<WalletEntry>, BillingError> {
    let rows = sqlx::query!(
        r#"SELECT e.id, t.kind, a.currency, e.amount_minor, e.balance_after, t.invoice_id,
                  i.number AS "invoice_number?", t.memo, t.created_at
             FROM ledger_entry e
             JOIN ledger_account a ON a.id = e.account_id
             JOIN ledger_transaction t ON t.id = e.transaction_id
             LEFT JOIN invoice i ON i.id = t.invoice_id
            WHERE a.kind = 'client_wallet' AND a.user_id = $1
              AND ($2::BIGINT IS NULL OR e.id < $2)
            ORDER BY e.id DESC
            LIMIT $3"#,
        user,
        before,
        limit
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(WalletEntry {
                id: row.id,
                kind: row.kind,
                currency: row.currency.parse()?,
                amount_minor: row.amount_minor,
                balance_after_minor: row.balance_after,
                invoice_id: row.invoice_id,
                invoice_number: row.invoice_number,
                memo: row.memo,
                at: row.created_at,
            })
        })
        .collect()
}

/// A request to top up the wallet: it becomes an invoice to pay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopUpRequest {
    /// In minor units: IDR 10,000 to 100,000,000; USD 1.00 to 10,000.00.
    pub amount_minor: i64,
    /// `IDR` (default) or `USD`.
    pub currency: Option<String>,
}

impl TopUpRequest {
    pub fn validate(&self) -> Result<Money, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let currency = match self.currency.as_deref() {
            None => Some(Currency::Idr),
            Some(code) => errors.check("currency", "unknown_currency", code.parse::<Currency>()),
        };
        if let Some(currency) = currency {
            let (min, max) = match currency {
                Currency::Idr => (10_000, 100_000_000),
                Currency::Usd => (100, 1_000_000),
            };
            if !(min..=max).contains(&self.amount_minor) {
                errors.add(
                    "amount_minor",
                    "out_of_range",
                    format!(
                        "between {} and {}",
                        Money::new(min, currency),
                        Money::new(max, currency)
                    ),
                );
            }
        }
        errors.into_result()?;
        Ok(Money::new(
            self.amount_minor,
            currency.unwrap_or(Currency::Idr),
        ))
    }
}
