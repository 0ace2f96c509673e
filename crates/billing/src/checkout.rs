//! Checkout: what turns a wish into an invoice. For an order, one
//! transaction checks what is bought (the product, the kind's
//! choices, the caller's price, the promo code), reserves a digital item if
//! the kind needs one, and creates the order (PENDING_PAYMENT) with its
//! invoice — or, paying from the wallet, pays it at once. Nothing here
//! trusts a price from the client.
//!
//! `Idempotency-Key`: the first request with a key creates the order; a
//! repeat with the same key and the same request answers that order again;
//! the same key with another request is refused. An advisory lock on
//! (client, key) makes two concurrent repeats wait for each other.

use chrono::{DateTime, Utc};
use domain::{Currency, DomainName, Money, OrderStatus, PhoneId, ShopCalendar, ValidationErrors};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::group::{self, Buyer};
use crate::catalog::{BillingCycle, ProductKind, ProductSpec};
use crate::invoice::Invoice;
use crate::invoice::messages::{self, Occasion};
use crate::invoice::store::{
    self as invoice_store, BuyerSnapshot, InvoiceDraft, InvoicePurpose, LineDraft,
};
use crate::order::query::{self, OrderDetail};
use crate::order::status;
use crate::promo::redeem::{self, Purchase};
use crate::{BillingError, Refusal, payment, settings};

/// What a client orders. Which of the optional fields are required depends
/// on the product's kind: a VPS needs `region` and `os_template`, hosting
/// and domains a `domain_name`, a data package a `phone`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    pub product_id: i64,
    pub cycle: BillingCycle,
    /// `IDR` (default) or `USD`.
    pub currency: Option<String>,
    /// VPS: a region code the product is sold in.
    pub region: Option<String>,
    /// VPS: an OS template code the product offers.
    pub os_template: Option<String>,
    /// Domain: the name to register (under the product's TLD); hosting: its primary domain.
    pub domain_name: Option<String>,
    /// Data package: the Indonesian mobile number to top up.
    pub phone: Option<String>,
    pub promo_code: Option<String>,
    /// Pay at once from the wallet balance instead of leaving an invoice to pay.
    #[serde(default)]
    pub pay_with_wallet: bool,
}

/// Who checks out, and when.
#[derive(Debug, Clone)]
pub struct Customer {
    pub user: Uuid,
    pub reseller_role: bool,
    pub snapshot: BuyerSnapshot,
}

/// The price of a request, as checkout would charge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Quote {
    pub product_name: String,
    pub currency: String,
    pub unit_price_minor: i64,
    pub setup_fee_minor: i64,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub tax_rate_bp: i32,
    pub prices_include_tax: bool,
    pub total_minor: i64,
    pub promo_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckoutOutcome {
    pub order: OrderDetail,
    pub invoice: Invoice,
    /// The same `Idempotency-Key` and request answered before: nothing new was created.
    #[serde(skip)]
    pub replayed: bool,
}

/// A request checked against the catalog, priced, with its promo use
/// claimed (in the transaction).
struct Priced {
    product_name: String,
    kind: ProductKind,
    group_id: i64,
    currency: Currency,
    region_id: Option<i64>,
    os_template_id: Option<i64>,
    domain_name: Option<String>,
    phone: Option<String>,
    unit_price: i64,
    setup_fee: i64,
    claim: Option<redeem::Claim>,
    draft_lines: Vec<LineDraft>,
}

async fn price(
    conn: &mut PgConnection,
    buyer: &Customer,
    request: &CheckoutRequest,
    now: DateTime<Utc>,
) -> Result<Priced, BillingError> {
    let mut errors = ValidationErrors::new();
    let currency = match request.currency.as_deref() {
        None => Some(Currency::Idr),
        Some(code) => errors.check("currency", "unknown_currency", code.parse::<Currency>()),
    };
    let product = sqlx::query!(
        "SELECT kind, name_id, category_id, spec FROM product WHERE id = $1 AND visible",
        request.product_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such product"))?;
    let spec: ProductSpec = serde_json::from_value(product.spec)
        .map_err(|e| BillingError::Corrupt(format!("product {} spec: {e}", request.product_id)))?;
    let kind = spec.kind();

    let mut region_id = None;
    let mut os_template_id = None;
    let mut domain_name = None;
    let mut phone = None;
    let refuse = |errors: &mut ValidationErrors, field: &str, value: &Option<String>| {
        if value.is_some() {
            errors.add(field, "not_for_kind", "this product does not take it");
        }
    };
    match &spec {
        ProductSpec::Vps(_) => {
            region_id = listed(
                conn,
                &mut errors,
                "region",
                request.region.as_deref(),
                request.product_id,
            )
            .await?;
            os_template_id = listed(
                conn,
                &mut errors,
                "os_template",
                request.os_template.as_deref(),
                request.product_id,
            )
            .await?;
            refuse(&mut errors, "domain_name", &request.domain_name);
            refuse(&mut errors, "phone", &request.phone);
        }
        ProductSpec::Hosting(_) | ProductSpec::Domain(_) => {
            refuse(&mut errors, "region", &request.region);
            refuse(&mut errors, "os_template", &request.os_template);
            refuse(&mut errors, "phone", &request.phone);
            match request.domain_name.as_deref().map(DomainName::parse) {
                None => errors.add("domain_name", "required", "a domain name is required"),
                Some(Err(error)) => errors.add("domain_name", "invalid_domain", error.to_string()),
                Some(Ok(name)) => {
                    if let ProductSpec::Domain(domain) = &spec {
                        let under_tld = name
                            .ascii()
                            .strip_suffix(&format!(".{}", domain.tld))
                            .is_some_and(|label| !label.contains('.'));
                        if !under_tld {
                            errors.add(
                                "domain_name",
                                "wrong_tld",
                                format!("this product registers names under .{}", domain.tld),
                            );
                        }
                    }
                    domain_name = Some(name.ascii().to_owned());
                }
            }
        }
        ProductSpec::DataPackage(_) => {
            refuse(&mut errors, "region", &request.region);
            refuse(&mut errors, "os_template", &request.os_template);
            refuse(&mut errors, "domain_name", &request.domain_name);
            match request.phone.as_deref().map(PhoneId::parse) {
                None => errors.add("phone", "required", "the number to top up is required"),
                Some(Err(error)) => errors.add("phone", "invalid_phone", error.to_string()),
                Some(Ok(number)) => phone = Some(number.to_string()),
            }
        }
        ProductSpec::Digital(_) | ProductSpec::Internet(_) => {
            refuse(&mut errors, "region", &request.region);
            refuse(&mut errors, "os_template", &request.os_template);
            refuse(&mut errors, "domain_name", &request.domain_name);
            refuse(&mut errors, "phone", &request.phone);
        }
    }
    if kind == ProductKind::Domain && request.cycle != BillingCycle::Annual {
        errors.add(
            "cycle",
            "not_offered",
            "domains are registered per year (annual)",
        );
    }
    errors.into_result()?;
    let Some(currency) = currency else {
        return Err(BillingError::Corrupt("currency checked above".into()));
    };

    let tier = group::tier_of(
        conn,
        Buyer::Client {
            user_id: buyer.user,
            reseller_role: buyer.reseller_role,
        },
    )
    .await?;
    let price = sqlx::query!(
        r#"SELECT COALESCE(t.price_minor, d.price_minor) AS "price?",
                  COALESCE(t.setup_fee_minor, d.setup_fee_minor) AS "setup_fee?"
             FROM (SELECT 1) AS one
             LEFT JOIN product_price t ON t.product_id = $1 AND t.group_id = $2 AND t.currency = $3 AND t.cycle = $4
             LEFT JOIN product_price d ON d.product_id = $1 AND d.currency = $3 AND d.cycle = $4
                   AND d.group_id = (SELECT id FROM customer_group WHERE is_default)"#,
        request.product_id,
        tier.id,
        currency.code(),
        request.cycle.as_str()
    )
    .fetch_one(&mut *conn)
    .await?;
    let (Some(unit_price), Some(setup_fee)) = (price.price, price.setup_fee) else {
        let mut errors = ValidationErrors::new();
        errors.add(
            "cycle",
            "not_offered",
            "this product has no price for this cycle and currency",
        );
        return Err(errors.into());
    };

    let mut draft_lines = vec![LineDraft {
        kind: "item",
        description: line_description(
            &product.name_id,
            request.cycle,
            domain_name.as_deref(),
            phone.as_deref(),
        ),
        unit_minor: unit_price,
    }];
    if setup_fee > 0 {
        draft_lines.push(LineDraft {
            kind: "setup_fee",
            description: format!("Biaya setup — {}", product.name_id),
            unit_minor: setup_fee,
        });
    }
    let claim = match request
        .promo_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(code) => Some(
            redeem::claim(
                conn,
                code,
                &Purchase {
                    user: buyer.user,
                    product_id: request.product_id,
                    category_id: product.category_id,
                    subtotal: Money::new(unit_price + setup_fee, currency),
                    now,
                },
            )
            .await?,
        ),
    };
    Ok(Priced {
        product_name: product.name_id,
        kind,
        group_id: tier.id,
        currency,
        region_id,
        os_template_id,
        domain_name,
        phone,
        unit_price,
        setup_fee,
        claim,
        draft_lines,
    })
}

fn line_description(
    name: &str,
    cycle: BillingCycle,
    domain: Option<&str>,
    phone: Option<&str>,
) -> String {
    let period = match cycle {
        BillingCycle::OneTime => "",
        BillingCycle::Monthly => " (1 bulan)",
        BillingCycle::Quarterly => " (3 bulan)",
        BillingCycle::SemiAnnual => " (6 bulan)",
        BillingCycle::Annual => " (1 tahun)",
    };
    let target = domain
        .or(phone)
        .map(|t| format!(" — {t}"))
        .unwrap_or_default();
    let mut line = format!("{name}{period}{target}");
    if line.chars().count() > 300 {
        line = line.chars().take(300).collect();
    }
    line
}

/// A region or OS template code the product offers, as its id.
async fn listed(
    conn: &mut PgConnection,
    errors: &mut ValidationErrors,
    field: &str,
    code: Option<&str>,
    product_id: i64,
) -> Result<Option<i64>, BillingError> {
    let Some(code) = code else {
        errors.add(field, "required", "required for this product");
        return Ok(None);
    };
    let id = if field == "region" {
        sqlx::query_scalar!(
            "SELECT r.id FROM region r JOIN product_region pr ON pr.region_id = r.id
              WHERE pr.product_id = $1 AND r.code = $2",
            product_id,
            code
        )
        .fetch_optional(conn)
        .await?
    } else {
        sqlx::query_scalar!(
            "SELECT t.id FROM os_template t JOIN product_os_template pt ON pt.os_template_id = t.id
              WHERE pt.product_id = $1 AND t.code = $2",
            product_id,
            code
        )
        .fetch_optional(conn)
        .await?
    };
    if id.is_none() {
        errors.add(field, "not_offered", "this product is not offered with it");
    }
    Ok(id)
}

/// Prices a request as checkout would, writing nothing (the promo check
/// runs in a transaction that is rolled back).
pub async fn quote(
    pool: &PgPool,
    buyer: &Customer,
    request: &CheckoutRequest,
    now: DateTime<Utc>,
) -> Result<Quote, BillingError> {
    let mut tx = pool.begin().await?;
    let settings = settings::load(&mut tx).await?;
    let priced = price(&mut tx, buyer, request, now).await?;
    tx.rollback().await?;
    let draft = draft(&priced, buyer, &settings, None, now);
    let amounts = draft.amounts();
    Ok(Quote {
        product_name: priced.product_name,
        currency: priced.currency.code().to_owned(),
        unit_price_minor: priced.unit_price,
        setup_fee_minor: priced.setup_fee,
        subtotal_minor: amounts.subtotal_minor,
        discount_minor: amounts.discount_minor,
        tax_minor: amounts.tax_minor,
        tax_rate_bp: settings.tax_rate_bp,
        prices_include_tax: settings.prices_include_tax,
        total_minor: amounts.total_minor,
        promo_code: request
            .promo_code
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty()),
    })
}

fn draft(
    priced: &Priced,
    buyer: &Customer,
    settings: &settings::BillingSettings,
    order_id: Option<i64>,
    now: DateTime<Utc>,
) -> InvoiceDraft {
    InvoiceDraft {
        user: buyer.user,
        purpose: InvoicePurpose::Order,
        order_id,
        currency: priced.currency,
        lines: priced.draft_lines.clone(),
        discount_minor: priced.claim.map_or(0, |c| c.discount_minor),
        tax: settings.tax_rule(),
        due_at: now + settings.order_timeout(),
        buyer: buyer.snapshot.clone(),
        renewal: None,
    }
}

fn request_hash(request: &CheckoutRequest) -> Vec<u8> {
    // Serialising the parsed request (not the raw body) makes key order
    // and whitespace irrelevant.
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    Sha256::digest(canonical).to_vec()
}

/// Creates the order and its invoice (see the module comment).
pub async fn checkout(
    pool: &PgPool,
    buyer: &Customer,
    request: &CheckoutRequest,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<CheckoutOutcome, BillingError> {
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        let mut errors = ValidationErrors::new();
        errors.add("Idempotency-Key", "length", "1 to 200 characters");
        return Err(errors.into());
    }
    let hash = request_hash(request);
    // One connection for the transaction and the answer read after it: a
    // second acquire would cost its own round trip (the pool's ping).
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    if let Some(key) = idempotency_key {
        sqlx::query!(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::UUID::TEXT || ':' || $2, 42))",
            buyer.user,
            key
        )
        .execute(&mut *tx)
        .await?;
        let earlier = sqlx::query!(
            "SELECT o.id, o.request_hash, i.id AS invoice_id
               FROM customer_order o JOIN invoice i ON i.order_id = o.id
              WHERE o.user_id = $1 AND o.idempotency_key = $2",
            buyer.user,
            key
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(earlier) = earlier {
            if earlier.request_hash.as_deref() != Some(hash.as_slice()) {
                return Err(Refusal::IdempotencyKeyReused.into());
            }
            let order = query::find(&mut tx, earlier.id).await?;
            let invoice = invoice_store::find(&mut tx, earlier.invoice_id).await?;
            return Ok(CheckoutOutcome {
                order,
                invoice,
                replayed: true,
            });
        }
    }

    let settings = settings::load(&mut tx).await?;
    let priced = price(&mut tx, buyer, request, now).await?;
    let stock_item_id = if priced.kind == ProductKind::Digital {
        // SKIP LOCKED: concurrent buyers each take a different item
        // instead of queueing on the same one; none left is out of stock.
        //
        // The oldest available item, read from the partial index
        // `digital_stock_item_available (product_id, id)`. Written as
        // `product_id = $1 … ORDER BY id`, the planner may walk the primary
        // key instead (it also gives id order, and the statistics say most
        // items are available) and step over every item sold before, all
        // at the low ids: 6 ms after 16,000 sales, growing with each. A
        // range on product_id ordered by (product_id, id) is an order only
        // that index gives.
        Some(
            sqlx::query_scalar!(
                "UPDATE digital_stock_item SET status = 'reserved', reserved_at = $2
                  WHERE id = (SELECT id FROM digital_stock_item
                               WHERE product_id BETWEEN $1 AND $1 AND status = 'available'
                               ORDER BY product_id, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING id",
                request.product_id,
                now
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Refusal::OutOfStock)?,
        )
    } else {
        None
    };
    let invoice_draft = draft(&priced, buyer, &settings, None, now);
    let amounts = invoice_draft.amounts();
    let order_id = sqlx::query_scalar!(
        "INSERT INTO customer_order (user_id, product_id, product_kind, product_name, cycle, currency,
                                     group_id, region_id, os_template_id, domain_name, phone,
                                     unit_price_minor, setup_fee_minor, discount_minor, total_minor,
                                     promo_id, stock_item_id, pay_by, idempotency_key, request_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         RETURNING id",
        buyer.user,
        request.product_id,
        priced.kind.as_str(),
        priced.product_name,
        request.cycle.as_str(),
        priced.currency.code(),
        priced.group_id,
        priced.region_id,
        priced.os_template_id,
        priced.domain_name,
        priced.phone,
        priced.unit_price,
        priced.setup_fee,
        amounts.discount_minor,
        amounts.total_minor,
        priced.claim.map(|c| c.promo_id),
        stock_item_id,
        invoice_draft.due_at,
        idempotency_key,
        idempotency_key.map(|_| hash.as_slice()),
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    status::record(
        &mut tx,
        order_id,
        None,
        OrderStatus::PendingPayment,
        "order placed",
        Some(buyer.user),
    )
    .await?;
    if let Some(claim) = priced.claim {
        redeem::record(&mut tx, claim, buyer.user, order_id).await?;
    }
    // The invoice is numbered when this transaction commits (invoice::number).
    let invoice_id = invoice_store::issue(
        &mut tx,
        &InvoiceDraft {
            order_id: Some(order_id),
            ..invoice_draft
        },
        now,
        invoice_store::shop_year(calendar, now),
    )
    .await?;
    let occasion = if amounts.total_minor == 0 {
        payment::settle::complete_free(&mut tx, invoice_id, now, calendar).await?;
        Occasion::OrderFree
    } else if request.pay_with_wallet {
        payment::settle::pay_from_wallet(&mut tx, invoice_id, buyer.user, now, calendar).await?;
        Occasion::OrderPaidFromWallet
    } else {
        Occasion::OrderPlaced
    };
    messages::enqueue(&mut tx, invoice_id, occasion).await?;
    if occasion == Occasion::OrderPlaced {
        commit_without_waiting_for_the_flush(&mut tx).await?;
    }
    tx.commit().await?;

    let order = query::find(&mut conn, order_id).await?;
    let invoice = invoice_store::find(&mut conn, invoice_id).await?;
    Ok(CheckoutOutcome {
        order,
        invoice,
        replayed: false,
    })
}

/// Lets this transaction's commit return before its WAL reaches the disk
/// (`synchronous_commit = off`, for this transaction only).
///
/// Only for an order left unpaid: no money moved, nothing delivered. The
/// invoice's number is taken at commit with the year's counter locked (see
/// `invoice::number`), and waiting for the flush with that lock held made
/// every concurrent checkout queue behind one disk write and the
/// committer's wake-up after it: 32 clients reached ~640 orders/s in bare
/// SQL, ~1,080 without the wait. What PostgreSQL risks here is the loss of
/// the last fraction of a second of such commits if the database server
/// itself crashes, never an inconsistency: the order, its reservation, its
/// promo use, its invoice and its number are lost together, so the numbers
/// stay gapless, and the stock and promo uses return. Anything that acts on
/// the order later — a payment attempt, a gateway notification, a wallet
/// payment, the job runner's claim of the job that sends the order's
/// messages — commits synchronously, and its flush makes this transaction
/// durable first (WAL is written in order): no payment and no message can
/// ever refer to an order that was lost. The client who placed a lost
/// order finds it missing and orders again.
async fn commit_without_waiting_for_the_flush(tx: &mut PgConnection) -> Result<(), BillingError> {
    sqlx::query!("SET LOCAL synchronous_commit TO off")
        .execute(tx)
        .await?;
    Ok(())
}

/// Issues a top-up invoice: paying it credits the wallet. A top-up is not
/// a sale, so it carries no PPN; the services bought with it do.
pub async fn top_up(
    pool: &PgPool,
    buyer: &BuyerSnapshot,
    user: Uuid,
    amount: Money,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<Invoice, BillingError> {
    let mut tx = pool.begin().await?;
    let settings = settings::load(&mut tx).await?;
    let invoice_id = invoice_store::issue(
        &mut tx,
        &InvoiceDraft {
            user,
            purpose: InvoicePurpose::TopUp,
            order_id: None,
            currency: amount.currency(),
            lines: vec![LineDraft {
                kind: "top_up",
                description: format!("Isi saldo {amount}"),
                unit_minor: amount.minor(),
            }],
            discount_minor: 0,
            tax: domain::TaxRule::clamped(0, true),
            due_at: now + settings.order_timeout(),
            buyer: buyer.clone(),
            renewal: None,
        },
        now,
        invoice_store::shop_year(calendar, now),
    )
    .await?;
    messages::enqueue(&mut tx, invoice_id, Occasion::TopUp).await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    invoice_store::find(&mut conn, invoice_id).await
}
