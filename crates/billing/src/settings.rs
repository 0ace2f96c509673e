//! The shop's billing rules: PPN rate and whether prices include it, how
//! long an order waits for payment, and who the seller is on an invoice.

use chrono::{DateTime, Utc};
use domain::{TaxRule, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::BillingError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BillingSettings {
    /// PPN in basis points (1100 = 11 %).
    pub tax_rate_bp: i32,
    /// Catalog prices already contain PPN.
    pub prices_include_tax: bool,
    /// An unpaid order is cancelled after this many minutes.
    pub order_timeout_minutes: i32,
    pub seller_name: String,
    pub seller_address: String,
    pub seller_tax_id: Option<String>,
    /// Shown to a client who pays by bank transfer.
    pub bank_instructions: String,
    pub updated_at: DateTime<Utc>,
}

impl BillingSettings {
    pub fn tax_rule(&self) -> TaxRule {
        // The column's CHECK keeps the rate in range already.
        TaxRule::clamped(self.tax_rate_bp, self.prices_include_tax)
    }

    pub fn order_timeout(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.order_timeout_minutes))
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BillingSettingsInput {
    /// 0 to 10000 basis points.
    pub tax_rate_bp: i32,
    pub prices_include_tax: bool,
    /// 5 to 43200 minutes (30 days).
    pub order_timeout_minutes: i32,
    /// 1 to 200 characters.
    pub seller_name: String,
    /// At most 500 characters.
    pub seller_address: String,
    /// NPWP, at most 40 characters.
    pub seller_tax_id: Option<String>,
    /// At most 2000 characters.
    pub bank_instructions: String,
}

pub async fn load(conn: &mut PgConnection) -> Result<BillingSettings, BillingError> {
    Ok(sqlx::query_as!(
        BillingSettings,
        "SELECT tax_rate_bp, prices_include_tax, order_timeout_minutes, seller_name,
                seller_address, seller_tax_id, bank_instructions, updated_at
           FROM billing_setting"
    )
    .fetch_one(conn)
    .await?)
}

pub async fn update(
    conn: &mut PgConnection,
    input: &BillingSettingsInput,
) -> Result<BillingSettings, BillingError> {
    let mut errors = ValidationErrors::new();
    if !(0..=10_000).contains(&input.tax_rate_bp) {
        errors.add(
            "tax_rate_bp",
            "out_of_range",
            "between 0 and 10000 basis points",
        );
    }
    if !(5..=43_200).contains(&input.order_timeout_minutes) {
        errors.add(
            "order_timeout_minutes",
            "out_of_range",
            "between 5 and 43200 minutes",
        );
    }
    let seller_name = input.seller_name.trim();
    if seller_name.is_empty() || seller_name.chars().count() > 200 {
        errors.add("seller_name", "length", "1 to 200 characters");
    }
    if input.seller_address.chars().count() > 500 {
        errors.add("seller_address", "length", "at most 500 characters");
    }
    let tax_id = input
        .seller_tax_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    if tax_id.is_some_and(|id| id.chars().count() > 40) {
        errors.add("seller_tax_id", "length", "at most 40 characters");
    }
    if input.bank_instructions.chars().count() > 2000 {
        errors.add("bank_instructions", "length", "at most 2000 characters");
    }
    errors.into_result()?;
    Ok(sqlx::query_as!(
        BillingSettings,
        "UPDATE billing_setting
            SET tax_rate_bp = $1, prices_include_tax = $2, order_timeout_minutes = $3,
                seller_name = $4, seller_address = $5, seller_tax_id = $6,
                bank_instructions = $7, updated_at = now()
         RETURNING tax_rate_bp, prices_include_tax, order_timeout_minutes, seller_name,
                   seller_address, seller_tax_id, bank_instructions, updated_at",
        input.tax_rate_bp,
        input.prices_include_tax,
        input.order_timeout_minutes,
        seller_name,
        input.seller_address.trim(),
        tax_id,
        input.bank_instructions.trim(),
    )
    .fetch_one(conn)
    .await?)
}
