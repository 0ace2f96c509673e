//! Staff's side of promo codes: list, create, change, delete, and generate
//! a batch of single-use vouchers.

use domain::ValidationErrors;
use rand::Rng;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    DiscountKind, PromoCode, PromoInput, ValidTerms, VoucherBatch, VoucherBatchInput,
    validate_terms,
};
use crate::{BillingError, Refusal};

const SELECT: &str = "SELECT p.id, p.code, p.description, p.discount_kind, p.percent, p.amount_minor,
        p.currency, p.starts_at, p.ends_at, p.max_uses, p.max_uses_per_user, p.uses,
        p.recurring, p.active, p.batch, p.created_at, p.updated_at,
        COALESCE((SELECT array_agg(product_id ORDER BY product_id) FROM promo_code_product WHERE promo_id = p.id), '{}') AS product_ids,
        COALESCE((SELECT array_agg(category_id ORDER BY category_id) FROM promo_code_category WHERE promo_id = p.id), '{}') AS category_ids
   FROM promo_code p";

#[derive(sqlx::FromRow)]
struct PromoRow {
    id: i64,
    code: String,
    description: String,
    discount_kind: String,
    percent: Option<i32>,
    amount_minor: Option<i64>,
    currency: Option<String>,
    starts_at: Option<chrono::DateTime<chrono::Utc>>,
    ends_at: Option<chrono::DateTime<chrono::Utc>>,
    max_uses: Option<i32>,
    max_uses_per_user: Option<i32>,
    uses: i32,
    recurring: bool,
    active: bool,
    batch: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    product_ids: Vec<i64>,
    category_ids: Vec<i64>,
}

impl PromoRow {
    fn into_promo(self) -> PromoCode {
        PromoCode {
            id: self.id,
            code: self.code,
            description: self.description,
            discount_kind: if self.discount_kind == "fixed" {
                DiscountKind::Fixed
            } else {
                DiscountKind::Percent
            },
            percent: self.percent,
            amount_minor: self.amount_minor,
            currency: self.currency,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            max_uses: self.max_uses,
            max_uses_per_user: self.max_uses_per_user,
            uses: self.uses,
            recurring: self.recurring,
            active: self.active,
            batch: self.batch,
            product_ids: self.product_ids,
            category_ids: self.category_ids,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PromoFilter {
    /// Part of the code, case-insensitive.
    pub search: Option<String>,
    pub batch: Option<String>,
    pub active: Option<bool>,
    pub page: i64,
    pub limit: i64,
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &PromoFilter,
) -> Result<(Vec<PromoCode>, i64), BillingError> {
    let search = filter
        .search
        .as_deref()
        .map(|s| format!("%{}%", s.trim().to_uppercase().replace(['%', '_'], "")));
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM promo_code p
          WHERE ($1::TEXT IS NULL OR p.code LIKE $1) AND ($2::TEXT IS NULL OR p.batch = $2)
            AND ($3::BOOLEAN IS NULL OR p.active = $3)",
    )
    .bind(&search)
    .bind(&filter.batch)
    .bind(filter.active)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<PromoRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1::TEXT IS NULL OR p.code LIKE $1) AND ($2::TEXT IS NULL OR p.batch = $2)
            AND ($3::BOOLEAN IS NULL OR p.active = $3)
          ORDER BY p.id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(&search)
    .bind(&filter.batch)
    .bind(filter.active)
    .bind(filter.limit)
    .bind((filter.page.max(1) - 1).saturating_mul(filter.limit))
    .fetch_all(conn)
    .await?;
    Ok((rows.into_iter().map(PromoRow::into_promo).collect(), total))
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<PromoCode, BillingError> {
    let row: Option<PromoRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(PromoRow::into_promo)
        .ok_or(BillingError::NotFound("no such promo code"))
}

/// Upper-cases and checks a code: 3–40 of A–Z, 0–9, `_`, `-`.
pub(crate) fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

fn valid_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    (3..=40).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

struct ValidInput {
    code: String,
    description: String,
    terms: ValidTerms,
    max_uses: Option<i32>,
    max_uses_per_user: Option<i32>,
}

async fn validate(conn: &mut PgConnection, input: &PromoInput) -> Result<ValidInput, BillingError> {
    let mut errors = ValidationErrors::new();
    let code = normalise_code(&input.code);
    if !valid_code(&code) {
        errors.add("code", "invalid_code", "3 to 40 of A–Z, 0–9, `_` and `-`");
    }
    if input.description.chars().count() > 500 {
        errors.add("description", "length", "at most 500 characters");
    }
    let terms = validate_terms(
        &mut errors,
        input.discount_kind,
        input.percent,
        input.amount_minor,
        input.currency.as_deref(),
        input.starts_at,
        input.ends_at,
    );
    if input.max_uses.is_some_and(|n| n < 1) {
        errors.add(
            "max_uses",
            "out_of_range",
            "at least 1, or none for unlimited",
        );
    }
    if input.max_uses_per_user.is_some_and(|n| n < 1) {
        errors.add(
            "max_uses_per_user",
            "out_of_range",
            "at least 1, or none for unlimited",
        );
    }
    check_targets(conn, &mut errors, &input.product_ids, &input.category_ids).await?;
    errors.into_result()?;
    Ok(ValidInput {
        code,
        description: input.description.trim().to_owned(),
        terms: terms.ok_or_else(|| BillingError::Corrupt("terms without errors".into()))?,
        max_uses: input.max_uses,
        max_uses_per_user: input.max_uses_per_user,
    })
}

async fn check_targets(
    conn: &mut PgConnection,
    errors: &mut ValidationErrors,
    product_ids: &[i64],
    category_ids: &[i64],
) -> Result<(), BillingError> {
    if product_ids.len() > 500 || category_ids.len() > 500 {
        errors.add(
            "product_ids",
            "too_many",
            "at most 500 products and 500 categories",
        );
        return Ok(());
    }
    let unknown_products: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest($1::BIGINT[]) AS p(id) WHERE NOT EXISTS (SELECT 1 FROM product WHERE product.id = p.id)",
    )
    .bind(product_ids)
    .fetch_one(&mut *conn)
    .await?;
    if unknown_products > 0 {
        errors.add("product_ids", "unknown", "no such product");
    }
    let unknown_categories: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest($1::BIGINT[]) AS c(id) WHERE NOT EXISTS (SELECT 1 FROM product_category WHERE product_category.id = c.id)",
    )
    .bind(category_ids)
    .fetch_one(conn)
    .await?;
    if unknown_categories > 0 {
        errors.add("category_ids", "unknown", "no such category");
    }
    Ok(())
}

fn taken(error: sqlx::Error) -> BillingError {
    if let sqlx::Error::Database(database) = &error
        && database.constraint() == Some("promo_code_code_key")
    {
        let mut errors = ValidationErrors::new();
        errors.add("code", "taken", "another promo code has this code");
        return BillingError::Validation(errors);
    }
    BillingError::Database(error)
}

async fn set_targets(
    conn: &mut PgConnection,
    id: i64,
    product_ids: &[i64],
    category_ids: &[i64],
) -> Result<(), BillingError> {
    sqlx::query("DELETE FROM promo_code_product WHERE promo_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM promo_code_category WHERE promo_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO promo_code_product SELECT $1, p FROM unnest($2::BIGINT[]) AS p ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(product_ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO promo_code_category SELECT $1, c FROM unnest($2::BIGINT[]) AS c ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(category_ids)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn create(
    conn: &mut PgConnection,
    input: &PromoInput,
    author: Uuid,
) -> Result<PromoCode, BillingError> {
    let valid = validate(conn, input).await?;
    let (amount, currency) = valid.terms.fixed();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO promo_code (code, description, discount_kind, percent, amount_minor, currency,
                                 starts_at, ends_at, max_uses, max_uses_per_user, recurring, active, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&valid.code)
    .bind(&valid.description)
    .bind(valid.terms.kind())
    .bind(valid.terms.percent())
    .bind(amount)
    .bind(currency)
    .bind(valid.terms.starts_at)
    .bind(valid.terms.ends_at)
    .bind(valid.max_uses)
    .bind(valid.max_uses_per_user)
    .bind(input.recurring)
    .bind(input.active)
    .bind(author)
    .fetch_one(&mut *conn)
    .await
    .map_err(taken)?;
    set_targets(conn, id, &input.product_ids, &input.category_ids).await?;
    find(conn, id).await
}

/// Changes a code. Lowering `max_uses` below the uses already held is
/// refused by the table's CHECK and reported on the field.
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &PromoInput,
) -> Result<PromoCode, BillingError> {
    let valid = validate(conn, input).await?;
    let (amount, currency) = valid.terms.fixed();
    let updated = sqlx::query(
        "UPDATE promo_code SET code = $2, description = $3, discount_kind = $4, percent = $5,
                amount_minor = $6, currency = $7, starts_at = $8, ends_at = $9, max_uses = $10,
                max_uses_per_user = $11, recurring = $12, active = $13
          WHERE id = $1",
    )
    .bind(id)
    .bind(&valid.code)
    .bind(&valid.description)
    .bind(valid.terms.kind())
    .bind(valid.terms.percent())
    .bind(amount)
    .bind(currency)
    .bind(valid.terms.starts_at)
    .bind(valid.terms.ends_at)
    .bind(valid.max_uses)
    .bind(valid.max_uses_per_user)
    .bind(input.recurring)
    .bind(input.active)
    .execute(&mut *conn)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.constraint() == Some("promo_code_check") => {
            let mut errors = ValidationErrors::new();
            errors.add("max_uses", "below_uses", "lower than the uses already held");
            BillingError::Validation(errors)
        }
        _ => taken(error),
    })?;
    if updated.rows_affected() == 0 {
        return Err(BillingError::NotFound("no such promo code"));
    }
    set_targets(conn, id, &input.product_ids, &input.category_ids).await?;
    find(conn, id).await
}

/// Deletes a code no order has used; a used one is deactivated instead.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), BillingError> {
    let used: Option<bool> = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM promo_redemption WHERE promo_id = $1) FROM promo_code WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match used {
        None => Err(BillingError::NotFound("no such promo code")),
        Some(true) => Err(Refusal::PromoInUse.into()),
        Some(false) => {
            sqlx::query("DELETE FROM promo_code WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await?;
            Ok(())
        }
    }
}

/// Characters of a voucher's random part: no 0/O or 1/I to misread.
const VOUCHER_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Generates `count` single-use vouchers (one use in all, one per client)
/// sharing the batch's terms.
pub async fn generate_vouchers(
    conn: &mut PgConnection,
    input: &VoucherBatchInput,
    author: Uuid,
) -> Result<VoucherBatch, BillingError> {
    let mut errors = ValidationErrors::new();
    let prefix = input.prefix.trim().to_uppercase();
    if !(2..=12).contains(&prefix.len())
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        errors.add("prefix", "invalid_prefix", "2 to 12 of A–Z and 0–9");
    }
    if !(1..=1000).contains(&input.count) {
        errors.add("count", "out_of_range", "between 1 and 1000");
    }
    let batch = input.batch.trim();
    if batch.is_empty() || batch.chars().count() > 80 {
        errors.add("batch", "length", "1 to 80 characters");
    }
    let terms = validate_terms(
        &mut errors,
        input.discount_kind,
        input.percent,
        input.amount_minor,
        input.currency.as_deref(),
        input.starts_at,
        input.ends_at,
    );
    check_targets(conn, &mut errors, &input.product_ids, &input.category_ids).await?;
    errors.into_result()?;
    let terms = terms.ok_or_else(|| BillingError::Corrupt("terms without errors".into()))?;

    let codes: Vec<String> = {
        let mut rng = rand::rng();
        (0..input.count)
            .map(|_| {
                let random: String = (0..8)
                    .map(|_| VOUCHER_ALPHABET[rng.random_range(0..VOUCHER_ALPHABET.len())] as char)
                    .collect();
                format!("{prefix}-{random}")
            })
            .collect()
    };
    let (amount, currency) = terms.fixed();
    // 32^8 ≈ 10^12 codes: a collision is unlikely, and one is skipped by
    // the conflict clause rather than failing the batch.
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO promo_code (code, description, discount_kind, percent, amount_minor, currency,
                                 starts_at, ends_at, max_uses, max_uses_per_user, batch, created_by)
         SELECT c, $2, $3, $4, $5, $6, $7, $8, 1, 1, $9, $10 FROM unnest($1::TEXT[]) AS c
         ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(&codes)
    .bind(input.description.trim())
    .bind(terms.kind())
    .bind(terms.percent())
    .bind(amount)
    .bind(currency)
    .bind(terms.starts_at)
    .bind(terms.ends_at)
    .bind(batch)
    .bind(author)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO promo_code_product SELECT i, p FROM unnest($1::BIGINT[]) AS i, unnest($2::BIGINT[]) AS p ON CONFLICT DO NOTHING")
        .bind(&ids)
        .bind(&input.product_ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO promo_code_category SELECT i, c FROM unnest($1::BIGINT[]) AS i, unnest($2::BIGINT[]) AS c ON CONFLICT DO NOTHING")
        .bind(&ids)
        .bind(&input.category_ids)
        .execute(&mut *conn)
        .await?;
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT code FROM promo_code WHERE id = ANY($1) ORDER BY code")
            .bind(&ids)
            .fetch_all(conn)
            .await?;
    Ok(VoucherBatch {
        batch: batch.to_owned(),
        codes,
    })
}
