//! When the lifecycle acts: the shop's defaults, a product's own terms, and
//! a service's staff overrides (other days, or an extension with a reason).

use chrono::NaiveDate;
use domain::{Currency, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::BillingError;

/// Days and fee of the lifecycle, as the shop's default or a product's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LifecycleTerms {
    /// The renewal invoice is issued this many days before the due date.
    #[schema(minimum = 0, maximum = 60)]
    pub renew_days_before: i16,
    /// Still unpaid this many days after the due date: suspended.
    #[schema(minimum = 0, maximum = 365)]
    pub suspend_after_days: i16,
    /// Still unpaid this many days after the due date: terminated. More
    /// than `suspend_after_days`.
    #[schema(minimum = 1, maximum = 730)]
    pub terminate_after_days: i16,
    /// Added once to an overdue renewal invoice in `late_fee_currency`
    /// (minor units); 0 for none. The shop's default has none.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub late_fee_minor: i64,
    /// The late fee's currency: renewal invoices in another currency get
    /// no fee. `IDR` when left out.
    #[serde(default = "rupiah")]
    #[schema(value_type = String, example = "IDR")]
    pub late_fee_currency: Currency,
}

fn rupiah() -> Currency {
    Currency::Idr
}

impl LifecycleTerms {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !(0..=60).contains(&self.renew_days_before) {
            errors.add("renew_days_before", "out_of_range", "0 to 60 days");
        }
        if !(0..=365).contains(&self.suspend_after_days) {
            errors.add("suspend_after_days", "out_of_range", "0 to 365 days");
        }
        if !(1..=730).contains(&self.terminate_after_days) {
            errors.add("terminate_after_days", "out_of_range", "1 to 730 days");
        } else if self.terminate_after_days <= self.suspend_after_days {
            errors.add(
                "terminate_after_days",
                "not_after_suspension",
                "termination comes after suspension",
            );
        }
        if !(0..=1_000_000_000_000).contains(&self.late_fee_minor) {
            errors.add("late_fee_minor", "out_of_range", "0 to 10^12 minor units");
        }
        errors.into_result()
    }
}

/// The shop's defaults, for products without terms of their own.
pub async fn defaults(conn: &mut PgConnection) -> Result<LifecycleTerms, BillingError> {
    let row = sqlx::query!(
        "SELECT renew_days_before, suspend_after_days, terminate_after_days FROM billing_setting"
    )
    .fetch_one(conn)
    .await?;
    Ok(LifecycleTerms {
        renew_days_before: row.renew_days_before,
        suspend_after_days: row.suspend_after_days,
        terminate_after_days: row.terminate_after_days,
        late_fee_minor: 0,
        late_fee_currency: Currency::Idr,
    })
}

pub async fn set_defaults(
    conn: &mut PgConnection,
    terms: &LifecycleTerms,
) -> Result<LifecycleTerms, BillingError> {
    let mut checked = *terms;
    checked.late_fee_minor = 0;
    checked.validate()?;
    sqlx::query!(
        "UPDATE billing_setting SET renew_days_before = $1, suspend_after_days = $2,
                terminate_after_days = $3",
        checked.renew_days_before,
        checked.suspend_after_days,
        checked.terminate_after_days
    )
    .execute(&mut *conn)
    .await?;
    Ok(checked)
}

/// A product's terms: its own, or the shop's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductTerms {
    pub product_id: i64,
    /// The product has terms of its own (else the shop's defaults apply).
    pub own: bool,
    #[serde(flatten)]
    pub terms: LifecycleTerms,
}

pub async fn for_product(
    conn: &mut PgConnection,
    product_id: i64,
) -> Result<ProductTerms, BillingError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product WHERE id = $1) AS "exists!""#,
        product_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Err(BillingError::NotFound("no such product"));
    }
    let own = sqlx::query!(
        "SELECT renew_days_before, suspend_after_days, terminate_after_days, late_fee_minor,
                late_fee_currency
           FROM product_lifecycle WHERE product_id = $1",
        product_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| -> Result<LifecycleTerms, BillingError> {
        Ok(LifecycleTerms {
            renew_days_before: row.renew_days_before,
            suspend_after_days: row.suspend_after_days,
            terminate_after_days: row.terminate_after_days,
            late_fee_minor: row.late_fee_minor,
            late_fee_currency: row.late_fee_currency.parse()?,
        })
    })
    .transpose()?;
    Ok(match own {
        Some(terms) => ProductTerms {
            product_id,
            own: true,
            terms,
        },
        None => ProductTerms {
            product_id,
            own: false,
            terms: defaults(conn).await?,
        },
    })
}

/// Gives the product terms of its own; `None` goes back to the defaults.
pub async fn set_for_product(
    conn: &mut PgConnection,
    product_id: i64,
    terms: Option<&LifecycleTerms>,
) -> Result<ProductTerms, BillingError> {
    match terms {
        Some(terms) => {
            terms.validate()?;
            let written = sqlx::query!(
                "INSERT INTO product_lifecycle (product_id, renew_days_before, suspend_after_days,
                                                terminate_after_days, late_fee_minor,
                                                late_fee_currency)
                 SELECT id, $2, $3, $4, $5, $6 FROM product WHERE id = $1
                 ON CONFLICT (product_id) DO UPDATE
                    SET renew_days_before = EXCLUDED.renew_days_before,
                        suspend_after_days = EXCLUDED.suspend_after_days,
                        terminate_after_days = EXCLUDED.terminate_after_days,
                        late_fee_minor = EXCLUDED.late_fee_minor,
                        late_fee_currency = EXCLUDED.late_fee_currency",
                product_id,
                terms.renew_days_before,
                terms.suspend_after_days,
                terms.terminate_after_days,
                terms.late_fee_minor,
                terms.late_fee_currency.code(),
            )
            .execute(&mut *conn)
            .await?;
            if written.rows_affected() == 0 {
                return Err(BillingError::NotFound("no such product"));
            }
        }
        None => {
            sqlx::query!(
                "DELETE FROM product_lifecycle WHERE product_id = $1",
                product_id
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    for_product(conn, product_id).await
}

/// Staff's overrides for one service; every change names its reason.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ServiceOverride {
    /// Other days than the product's; none: the product's.
    #[schema(minimum = 0, maximum = 365)]
    pub suspend_after_days: Option<i16>,
    #[schema(minimum = 1, maximum = 730)]
    pub terminate_after_days: Option<i16>,
    /// No suspension nor termination before this day (the shop's calendar).
    pub extended_until: Option<NaiveDate>,
    /// Why (for the audit log and the next person to look).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

impl ServiceOverride {
    fn validate(&self, product: &LifecycleTerms) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let reason = self.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            errors.add("reason", "length", "1 to 500 characters");
        }
        if let Some(days) = self.suspend_after_days
            && !(0..=365).contains(&days)
        {
            errors.add("suspend_after_days", "out_of_range", "0 to 365 days");
        }
        if let Some(days) = self.terminate_after_days
            && !(1..=730).contains(&days)
        {
            errors.add("terminate_after_days", "out_of_range", "1 to 730 days");
        }
        let suspend = self
            .suspend_after_days
            .unwrap_or(product.suspend_after_days);
        let terminate = self
            .terminate_after_days
            .unwrap_or(product.terminate_after_days);
        if terminate <= suspend {
            errors.add(
                "terminate_after_days",
                "not_after_suspension",
                "termination comes after suspension",
            );
        }
        errors.into_result()
    }
}

/// Sets a service's overrides; returns what it had, for the audit.
pub async fn set_for_service(
    conn: &mut PgConnection,
    service_id: i64,
    change: &ServiceOverride,
) -> Result<ServiceOverride, BillingError> {
    let before = sqlx::query!(
        "SELECT product_id, suspend_after_days, terminate_after_days, extended_until,
                extension_reason
           FROM service WHERE id = $1 FOR UPDATE",
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such service"))?;
    let product = for_product(conn, before.product_id).await?;
    change.validate(&product.terms)?;
    sqlx::query!(
        "UPDATE service SET suspend_after_days = $2, terminate_after_days = $3,
                extended_until = $4, extension_reason = $5
          WHERE id = $1",
        service_id,
        change.suspend_after_days,
        change.terminate_after_days,
        change.extended_until,
        change.reason.trim()
    )
    .execute(&mut *conn)
    .await?;
    Ok(ServiceOverride {
        suspend_after_days: before.suspend_after_days,
        terminate_after_days: before.terminate_after_days,
        extended_until: before.extended_until,
        reason: before.extension_reason.unwrap_or_default(),
    })
}

/// The days that apply to one service: its overrides over its product's
/// terms over the shop's defaults.
pub async fn for_service(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<LifecycleTerms, BillingError> {
    let service = sqlx::query!(
        "SELECT product_id, suspend_after_days, terminate_after_days FROM service WHERE id = $1",
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such service"))?;
    let mut terms = for_product(conn, service.product_id).await?.terms;
    if let Some(days) = service.suspend_after_days {
        terms.suspend_after_days = days;
    }
    if let Some(days) = service.terminate_after_days {
        terms.terminate_after_days = days;
    }
    Ok(terms)
}

/// A service's lifecycle as staff see it: its terms, the days that apply,
/// its overrides and extension, and a pending cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceLifecycle {
    pub service_id: i64,
    /// None for a one-off service (it never renews).
    pub cycle: Option<String>,
    pub next_due_on: Option<NaiveDate>,
    pub recurring_minor: Option<i64>,
    pub currency: Option<String>,
    /// The days that apply (overrides over product over shop).
    pub effective: LifecycleTerms,
    /// The overrides as set (none: the product's).
    pub suspend_after_days: Option<i16>,
    pub terminate_after_days: Option<i16>,
    pub extended_until: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    pub cancellation: Option<super::cancellation::Cancellation>,
}

pub async fn service_lifecycle(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<ServiceLifecycle, BillingError> {
    let row = sqlx::query!(
        "SELECT cycle, next_due_on, recurring_minor, currency, suspend_after_days,
                terminate_after_days, extended_until, extension_reason
           FROM service WHERE id = $1",
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such service"))?;
    Ok(ServiceLifecycle {
        service_id,
        cycle: row.cycle,
        next_due_on: row.next_due_on,
        recurring_minor: row.recurring_minor,
        currency: row.currency,
        effective: for_service(conn, service_id).await?,
        suspend_after_days: row.suspend_after_days,
        terminate_after_days: row.terminate_after_days,
        extended_until: row.extended_until,
        extension_reason: row.extension_reason,
        cancellation: super::cancellation::find(conn, service_id).await?,
    })
}
