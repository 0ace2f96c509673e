//! Orders, invoices, the wallet and promo codes, as clients and staff use
//! them: checkout writes the order and its invoice or nothing, limits hold
//! under concurrency (promo uses, stock, wallet balance, invoice numbers),
//! a paid digital order is delivered, and the ledger always balances.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// A client whose profile and billing address are complete.
pub async fn ready_client(app: &TestApp, email: &str) -> (uuid::Uuid, String) {
    let (id, token) = app.user_token(email, &["client"]).await;
    sqlx::query(
        "INSERT INTO user_profile (user_id, full_name, phone) VALUES ($1, 'Budi Santoso', '+6281234567890')
         ON CONFLICT (user_id) DO UPDATE SET full_name = excluded.full_name, phone = excluded.phone",
    )
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO billing_address (user_id, line1, city, province, postal_code)
         VALUES ($1, 'Jl. Merdeka 1', 'Bandung', 'Jawa Barat', '40111')",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    (id, token)
}

/// A digital product at Rp 35,000 with `items` in stock; returns its id.
pub async fn digital_product(app: &TestApp, staff: &str, items: usize) -> i64 {
    let product: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            staff,
            Some(json!({
                "kind": "digital", "slug": "netflix-1-bulan", "name_id": "Akun Netflix 1 Bulan",
                "spec": {"terms_id": "Jangan ganti password."},
                "prices": [{"group": "member", "currency": "IDR", "cycle": "one_time", "price_minor": 35000}]
            })),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = product["id"].as_i64().unwrap();
    if items > 0 {
        let items: Vec<String> = (0..items)
            .map(|n| format!("akun{n}@netflix.test:Rahasia#{n}"))
            .collect();
        let added = app
            .authed(
                Method::POST,
                &format!("/api/v1/staff/catalog/products/{id}/stock"),
                staff,
                Some(json!({ "items": items })),
            )
            .await;
        assert_eq!(
            added.status().as_u16(),
            200,
            "{}",
            added.text().await.unwrap()
        );
    }
    id
}

/// A VPS plan at Rp 100,000 a month plus Rp 25,000 setup, in region `jkt`.
pub async fn vps_product(app: &TestApp, sysadmin: &str) -> i64 {
    let region = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/regions",
            sysadmin,
            Some(json!({"code": "jkt", "name": "Jakarta", "country": "ID"})),
        )
        .await;
    assert_eq!(region.status().as_u16(), 201);
    let template = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/os-templates",
            sysadmin,
            Some(json!({"code": "ubuntu-24.04", "name": "Ubuntu 24.04", "family": "linux"})),
        )
        .await;
    assert_eq!(template.status().as_u16(), 201);
    let product: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            sysadmin,
            Some(json!({
                "kind": "vps", "slug": "vps-kecil", "name_id": "VPS Kecil",
                "spec": {"cores": 2, "ram_mb": 4096, "disk_gb": 60, "regions": ["jkt"], "os_templates": ["ubuntu-24.04"]},
                "prices": [{"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": 100000, "setup_fee_minor": 25000}]
            })),
        )
        .await
        .json()
        .await
        .unwrap();
    product["id"].as_i64().unwrap()
}

fn vps_order(product: i64) -> Value {
    json!({"product_id": product, "cycle": "monthly", "region": "jkt", "os_template": "ubuntu-24.04"})
}

/// Credits `amount` to a client's wallet the way a client does it: a
/// top-up invoice paid by bank transfer that finance confirms.
pub async fn fund_wallet(app: &TestApp, client: &str, finance: &str, owner: &str, amount: i64) {
    enable_manual(app, owner).await;
    let invoice: Value = app
        .authed(
            Method::POST,
            "/api/v1/wallet/top-ups",
            client,
            Some(json!({"amount_minor": amount})),
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{}/payments", invoice["id"]),
            client,
            Some(json!({"method": "manual"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let confirmed = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/manual-payments/{}/confirm", attempt["id"]),
            finance,
            Some(json!({"note": "BCA ref 12345"})),
        )
        .await;
    assert_eq!(
        confirmed.status().as_u16(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
}

async fn enable_manual(app: &TestApp, owner: &str) {
    let saved = app
        .authed(
            Method::PUT,
            "/api/v1/staff/payment-gateways/manual",
            owner,
            Some(json!({"enabled": true, "instructions": "BCA 123-456-7890 a.n. PT Juragan"})),
        )
        .await;
    assert_eq!(
        saved.status().as_u16(),
        200,
        "{}",
        saved.text().await.unwrap()
    );
}

async fn wallet_idr(app: &TestApp, client: &str) -> i64 {
    let balances: Value = app
        .authed(Method::GET, "/api/v1/wallet", client, None)
        .await
        .json()
        .await
        .unwrap();
    balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "IDR")
        .unwrap()["balance_minor"]
        .as_i64()
        .unwrap()
}

/// Every ledger transaction sums to zero, and every wallet's balance is
/// the sum of its entries.
pub async fn assert_ledger_balances(pool: &PgPool) {
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id HAVING sum(amount_minor) <> 0) t",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0, "a ledger transaction does not sum to zero");
    let total: Option<i64> =
        sqlx::query_scalar("SELECT sum(amount_minor)::BIGINT FROM ledger_entry")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(total.unwrap_or(0), 0, "the ledger does not sum to zero");
    let drift: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_account a
          WHERE a.kind = 'client_wallet'
            AND a.balance_minor <> COALESCE((SELECT sum(amount_minor) FROM ledger_entry e WHERE e.account_id = a.id), 0)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(drift, 0, "a wallet balance differs from its entries");
}

/// Invoice numbers of this year run 1..=n without a hole.
async fn assert_gapless_numbers(pool: &PgPool) {
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoice ORDER BY number")
        .fetch_all(pool)
        .await
        .unwrap();
    for (index, number) in numbers.iter().enumerate() {
        let sequence: usize = number.rsplit('-').next().unwrap().parse().unwrap();
        assert_eq!(
            sequence,
            index + 1,
            "invoice numbers {numbers:?} have a gap"
        );
    }
}

/// An invoice issued in a transaction carries a provisional number until
/// that transaction commits; the commit takes the year's next number, and a
/// rolled-back transaction takes none.
#[sqlx::test(migrations = "../../migrations")]
async fn an_invoice_is_numbered_when_its_transaction_commits(pool: PgPool) {
    use billing::invoice::store::{self, BuyerSnapshot, InvoiceDraft, InvoicePurpose, LineDraft};
    let app = spawn_app(pool.clone()).await;
    let (client, _) = ready_client(&app, "budi@pelanggan.test").await;
    let now = chrono::Utc::now();
    let draft = |description: &str| InvoiceDraft {
        user: client,
        purpose: InvoicePurpose::TopUp,
        order_id: None,
        currency: domain::Currency::Idr,
        lines: vec![LineDraft {
            kind: "top_up",
            description: description.to_owned(),
            unit_minor: 50_000,
        }],
        discount_minor: 0,
        tax: domain::TaxRule::clamped(0, true),
        due_at: now + chrono::Duration::days(1),
        buyer: BuyerSnapshot {
            name: "Budi Santoso".to_owned(),
            email: "budi@pelanggan.test".to_owned(),
            phone: None,
            address: vec![],
        },
        renewal: None,
    };
    let number_of = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT number FROM invoice WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let year = 2031;

    let mut rolled_back = pool.begin().await.unwrap();
    let gone = store::issue(&mut rolled_back, &draft("batal"), now, year)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let first = store::issue(&mut tx, &draft("satu"), now, year)
        .await
        .unwrap();
    let second = store::issue(&mut tx, &draft("dua"), now, year)
        .await
        .unwrap();
    let provisional: String = sqlx::query_scalar("SELECT number FROM invoice WHERE id = $1")
        .bind(first)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(provisional, format!("INV-{year}-P{first}"));
    tx.commit().await.unwrap();

    assert_eq!(number_of(first).await, "INV-2031-000001");
    assert_eq!(number_of(second).await, "INV-2031-000002");
    let (rows, counter): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM invoice WHERE id = $1),
                (SELECT last FROM invoice_counter WHERE year = 2031)",
    )
    .bind(gone)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (rows, counter),
        (0, 2),
        "the rolled-back invoice took no number"
    );
    assert_gapless_numbers(&pool).await;

    // An invoice deleted in the transaction that issued it takes no number.
    let mut tx = pool.begin().await.unwrap();
    let dropped = store::issue(&mut tx, &draft("hapus"), now, 2033)
        .await
        .unwrap();
    for sql in [
        "DELETE FROM invoice_line WHERE invoice_id = $1",
        "DELETE FROM invoice WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(dropped)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let kept = store::issue(&mut tx, &draft("simpan"), now, 2033)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(number_of(kept).await, "INV-2033-000001");

    // Six digits are a minimum: the millionth invoice of a year is longer.
    sqlx::query("INSERT INTO invoice_counter (year, last) VALUES (2032, 999999)")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let millionth = store::issue(&mut tx, &draft("sejuta"), now, 2032)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(number_of(millionth).await, "INV-2032-1000000");
}

/// Counts the 201s of a rush of checkouts; every other answer must be a
/// 409 with `refusal`. Returns (created, refused).
async fn tally(answers: Vec<reqwest::Response>, refusal: &str) -> (usize, usize) {
    let (mut created, mut refused) = (0, 0);
    for answer in answers {
        match answer.status().as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(answer.json::<Value>().await.unwrap()["code"], refusal);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", answer.text().await.unwrap()),
        }
    }
    (created, refused)
}

pub async fn wait_for_status(app: &TestApp, token: &str, order: i64, status: &str) -> Value {
    for _ in 0..200 {
        let detail: Value = app
            .authed(Method::GET, &format!("/api/v1/orders/{order}"), token, None)
            .await
            .json()
            .await
            .unwrap();
        if detail["status"] == status {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {order} never became {status}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_digital_order_paid_from_the_wallet_is_delivered_and_shown_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let product = digital_product(&app, &owner, 3).await;
    fund_wallet(&app, &client, &finance, &owner, 50_000).await;
    assert_eq!(wallet_idr(&app, &client).await, 50_000);

    let placed = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(json!({"product_id": product, "cycle": "one_time", "pay_with_wallet": true})),
        )
        .await;
    assert_eq!(
        placed.status().as_u16(),
        201,
        "{}",
        placed.text().await.unwrap()
    );
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["invoice"]["status"], "paid");
    assert_eq!(placed["invoice"]["total_minor"], 35_000);
    // 35,000 includes 11 % PPN: 35,000 × 11 / 111 = 3,468.47 → 3,468.
    assert_eq!(placed["invoice"]["tax_minor"], 3_468);
    // The answer carries the number taken at commit, not the provisional one.
    let number = placed["invoice"]["number"].as_str().unwrap();
    let (prefix, sequence) = number.rsplit_once('-').unwrap();
    assert!(prefix.starts_with("INV-") && prefix.len() == 8, "{number}");
    assert!(
        sequence.len() == 6 && sequence.bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
    let order = placed["order"]["id"].as_i64().unwrap();
    assert_eq!(wallet_idr(&app, &client).await, 15_000);

    let delivered = wait_for_status(&app, &client, order, "active").await;
    assert_eq!(delivered["item_ready"], true);
    let statuses: Vec<&str> = delivered["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["pending_payment", "paid", "provisioning", "active"]
    );

    let item = app
        .authed(
            Method::POST,
            &format!("/api/v1/orders/{order}/item"),
            &client,
            None,
        )
        .await;
    assert_eq!(item.status().as_u16(), 200);
    assert_eq!(item.headers()["cache-control"], "no-store");
    let item: Value = item.json().await.unwrap();
    assert_eq!(item["item"], "akun0@netflix.test:Rahasia#0");
    let again = app
        .authed(
            Method::POST,
            &format!("/api/v1/orders/{order}/item"),
            &client,
            None,
        )
        .await;
    assert_problem(again, 410, "item_already_shown").await;
    // Another client cannot see or open it.
    let (_, other) = ready_client(&app, "siti@pelanggan.test").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/orders/{order}")),
        (Method::POST, format!("/api/v1/orders/{order}/item")),
        (
            Method::GET,
            format!("/api/v1/invoices/{}", placed["invoice"]["id"]),
        ),
    ] {
        let response = app.authed(method, &path, &other, None).await;
        assert_problem(response, 404, "not_found").await;
    }

    // The item went out by email too, and the stock counts moved.
    let mail = app
        .mail
        .wait_for_message(
            |m| {
                m.is_addressed_to("budi@pelanggan.test")
                    && m.subject
                        .as_deref()
                        .is_some_and(|s| s.contains("Pesanan Anda"))
            },
            Duration::from_secs(10),
        )
        .await
        .expect("the delivery email");
    assert!(
        mail.text_body
            .as_deref()
            .unwrap_or_default()
            .contains("akun0@netflix.test:Rahasia#0")
    );
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'available'), count(*) FILTER (WHERE status = 'reserved'),
                count(*) FILTER (WHERE status = 'sold') FROM digital_stock_item WHERE product_id = $1",
    )
    .bind(product)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (2, 0, 1));
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn checkout_refuses_an_incomplete_account_and_bad_choices_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let product = vps_product(&app, &sysadmin).await;

    let (_, newcomer) = app.user_token("baru@pelanggan.test", &["client"]).await;
    let refused = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &newcomer,
            Some(vps_order(product)),
        )
        .await;
    let problem = assert_problem(refused, 409, "onboarding_incomplete").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"].as_str().unwrap().starts_with("billing_address")),
        "{problem}"
    );

    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let cases = [
        (
            json!({"product_id": product, "cycle": "monthly", "os_template": "ubuntu-24.04"}),
            "region",
            "required",
        ),
        (
            json!({"product_id": product, "cycle": "monthly", "region": "sgp", "os_template": "ubuntu-24.04"}),
            "region",
            "not_offered",
        ),
        (
            json!({"product_id": product, "cycle": "annual", "region": "jkt", "os_template": "ubuntu-24.04"}),
            "cycle",
            "not_offered",
        ),
        (
            json!({"product_id": product, "cycle": "monthly", "region": "jkt", "os_template": "ubuntu-24.04", "phone": "0812"}),
            "phone",
            "not_for_kind",
        ),
        (
            json!({"product_id": product, "cycle": "monthly", "region": "jkt", "os_template": "ubuntu-24.04", "currency": "EUR"}),
            "currency",
            "unknown_currency",
        ),
        (
            json!({"product_id": product, "cycle": "monthly", "region": "jkt", "os_template": "ubuntu-24.04", "promo_code": "NOPE"}),
            "promo_code",
            "unknown",
        ),
    ];
    for (body, field, code) in cases {
        let response = app
            .authed(Method::POST, "/api/v1/orders", &client, Some(body.clone()))
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {problem}"
        );
    }
    let unknown = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(json!({"product_id": 999_999, "cycle": "monthly"})),
        )
        .await;
    assert_problem(unknown, 404, "not_found").await;
    // Staff do not shop.
    let staff = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &sysadmin,
            Some(vps_order(product)),
        )
        .await;
    assert_eq!(staff.status().as_u16(), 403);

    let written: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM customer_order), (SELECT count(*) FROM invoice), (SELECT count(*) FROM invoice_counter)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(written, (0, 0, 0));

    // A good order: price + setup fee, PPN inside, due at the timeout.
    let placed: Value = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(vps_order(product)),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(placed["status"], Value::Null);
    assert_eq!(placed["order"]["status"], "pending_payment");
    assert_eq!(placed["invoice"]["subtotal_minor"], 125_000);
    assert_eq!(placed["invoice"]["total_minor"], 125_000);
    assert_eq!(placed["invoice"]["lines"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn prices_without_ppn_get_it_added_and_a_percent_promo_rounds_half_up(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let saved = app
        .authed(
            Method::PUT,
            "/api/v1/staff/billing-settings",
            &owner,
            Some(json!({"tax_rate_bp": 1100, "prices_include_tax": false, "order_timeout_minutes": 60,
                        "seller_name": "PT Juragan", "seller_address": "Bandung", "seller_tax_id": null, "bank_instructions": ""})),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    let promo = app
        .authed(
            Method::POST,
            "/api/v1/staff/promo-codes",
            &owner,
            Some(json!({"code": "hemat15", "discount_kind": "percent", "percent": 15})),
        )
        .await;
    assert_eq!(promo.status().as_u16(), 201);
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let mut body = vps_order(product);
    body["promo_code"] = json!(" Hemat15 ");
    let quote: Value = app
        .authed(
            Method::POST,
            "/api/v1/orders/quote",
            &client,
            Some(body.clone()),
        )
        .await
        .json()
        .await
        .unwrap();
    // 125,000 − 15 % (18,750) = 106,250; + 11 % = 11,687.5 → 11,688.
    assert_eq!(quote["discount_minor"], 18_750);
    assert_eq!(quote["tax_minor"], 11_688);
    assert_eq!(quote["total_minor"], 117_938);
    let uses: i32 = sqlx::query_scalar("SELECT uses FROM promo_code")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(uses, 0, "a quote claims nothing");
    let placed: Value = app
        .authed(Method::POST, "/api/v1/orders", &client, Some(body))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(placed["invoice"]["total_minor"], 117_938);
    assert_eq!(placed["order"]["promo_code"], "HEMAT15");
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_hundred_checkouts_at_a_code_with_ten_uses_left_give_exactly_ten(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let promo: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/promo-codes",
            &business,
            Some(json!({"code": "FLASH", "discount_kind": "fixed", "amount_minor": 20000, "currency": "IDR",
                        "max_uses": 12, "product_ids": [product]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut clients = Vec::new();
    for n in 0..4 {
        clients.push(
            ready_client(&app, &format!("klien{n}@pelanggan.test"))
                .await
                .1,
        );
    }
    let mut body = vps_order(product);
    body["promo_code"] = json!("FLASH");
    // Two uses are taken before the rush: 10 left.
    for _ in 0..2 {
        let placed = app
            .authed(
                Method::POST,
                "/api/v1/orders",
                &clients[0],
                Some(body.clone()),
            )
            .await;
        assert_eq!(placed.status().as_u16(), 201);
    }

    let rush = (0..200).map(|n| {
        app.authed(
            Method::POST,
            "/api/v1/orders",
            &clients[n % 4],
            Some(body.clone()),
        )
    });
    let answers = join_all(rush).await;
    let (created, exhausted) = tally(answers, "promo_exhausted").await;
    assert_eq!((created, exhausted), (10, 190));
    let (uses, redemptions): (i32, i64) = sqlx::query_as(
        "SELECT uses, (SELECT count(*) FROM promo_redemption WHERE released_at IS NULL) FROM promo_code WHERE id = $1",
    )
    .bind(promo["id"].as_i64().unwrap())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((uses, redemptions), (12, 12));
    assert_gapless_numbers(&pool).await;

    // Cancelling an unpaid order gives its use back.
    let order: i64 = sqlx::query_scalar("SELECT min(id) FROM customer_order")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cancelled = app
        .authed(
            Method::POST,
            &format!("/api/v1/orders/{order}/cancel"),
            &clients[0],
            None,
        )
        .await;
    assert_eq!(cancelled.status().as_u16(), 200);
    let uses: i32 = sqlx::query_scalar("SELECT uses FROM promo_code")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(uses, 11);
    let again = app
        .authed(
            Method::POST,
            &format!("/api/v1/orders/{order}/cancel"),
            &clients[0],
            None,
        )
        .await;
    assert_problem(again, 409, "order_not_cancellable").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_per_client_limit_holds_and_an_expired_or_restricted_code_is_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let last_week = (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339();
    for promo in [
        json!({"code": "SEKALI", "discount_kind": "percent", "percent": 10, "max_uses_per_user": 1}),
        json!({"code": "LEWAT", "discount_kind": "percent", "percent": 10, "starts_at": last_week, "ends_at": yesterday}),
        json!({"code": "LAIN", "discount_kind": "percent", "percent": 10, "product_ids": [], "category_ids": []}),
        json!({"code": "MATI", "discount_kind": "percent", "percent": 10, "active": false}),
    ] {
        let created = app
            .authed(
                Method::POST,
                "/api/v1/staff/promo-codes",
                &business,
                Some(promo),
            )
            .await;
        assert_eq!(
            created.status().as_u16(),
            201,
            "{}",
            created.text().await.unwrap()
        );
    }
    let order = |code: &str| {
        let mut body = vps_order(product);
        body["promo_code"] = json!(code);
        body
    };
    let first = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(order("SEKALI")),
        )
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let second = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(order("SEKALI")),
        )
        .await;
    assert_problem(second, 409, "promo_limit_reached").await;
    for (code, reason) in [("LEWAT", "expired"), ("MATI", "inactive")] {
        let response = app
            .authed(Method::POST, "/api/v1/orders", &client, Some(order(code)))
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], reason);
    }
    // Bad promo input is refused field by field.
    let bad = app
        .authed(
            Method::POST,
            "/api/v1/staff/promo-codes",
            &business,
            Some(json!({"code": "x", "discount_kind": "fixed", "percent": 5, "product_ids": [424242]})),
        )
        .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["code", "percent", "currency", "amount_minor", "product_ids"] {
        assert!(fields.contains(&field), "{field} missing in {fields:?}");
    }
    // A client cannot manage codes.
    let forbidden = app
        .authed(Method::GET, "/api/v1/staff/promo-codes", &client, None)
        .await;
    assert_eq!(forbidden.status().as_u16(), 403);
    // Vouchers: single-use codes in a batch.
    let batch: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/promo-codes/vouchers",
            &business,
            Some(json!({"prefix": "LEBARAN", "count": 25, "batch": "Lebaran 2027", "discount_kind": "fixed",
                        "amount_minor": 10000, "currency": "IDR"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes = batch["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 25);
    let voucher = codes[0].as_str().unwrap();
    let used = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(order(voucher)),
        )
        .await;
    assert_eq!(used.status().as_u16(), 201);
    let (_, other) = ready_client(&app, "siti@pelanggan.test").await;
    let reused = app
        .authed(Method::POST, "/api/v1/orders", &other, Some(order(voucher)))
        .await;
    assert_problem(reused, 409, "promo_exhausted").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_hundred_buyers_of_the_last_ten_items_get_ten_orders(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let product = digital_product(&app, &business, 10).await;
    let mut clients = Vec::new();
    for n in 0..5 {
        clients.push(
            ready_client(&app, &format!("klien{n}@pelanggan.test"))
                .await
                .1,
        );
    }
    let body = json!({"product_id": product, "cycle": "one_time"});
    let answers = join_all((0..100).map(|n| {
        app.authed(
            Method::POST,
            "/api/v1/orders",
            &clients[n % 5],
            Some(body.clone()),
        )
    }))
    .await;
    let (created, _) = tally(answers, "out_of_stock").await;
    assert_eq!(created, 10);
    let (reserved, distinct): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM digital_stock_item WHERE status = 'reserved'),
                (SELECT count(DISTINCT stock_item_id) FROM customer_order)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((reserved, distinct), (10, 10));
    assert_gapless_numbers(&pool).await;

    // Unpaid past the deadline: cancelled, the items back on sale.
    sqlx::query("UPDATE customer_order SET pay_by = now() - interval '1 minute' WHERE id IN (SELECT id FROM customer_order ORDER BY id LIMIT 4)")
        .execute(&pool)
        .await
        .unwrap();
    let cancelled = billing::order::cancel::expire_unpaid(&pool, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(cancelled, 4);
    let again = billing::order::cancel::expire_unpaid(&pool, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(again, 0, "a second sweep finds nothing to do");
    let (available, invoices_cancelled): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM digital_stock_item WHERE status = 'available'),
                (SELECT count(*) FROM invoice WHERE status = 'cancelled')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((available, invoices_cancelled), (4, 4));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_wallet_that_covers_ten_purchases_pays_for_exactly_ten_of_a_hundred(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    fund_wallet(&app, &client, &finance, &owner, 10 * 125_000).await;

    let mut body = vps_order(product);
    body["pay_with_wallet"] = json!(true);
    let answers = join_all(
        (0..100).map(|_| app.authed(Method::POST, "/api/v1/orders", &client, Some(body.clone()))),
    )
    .await;
    let (paid, _) = tally(answers, "insufficient_funds").await;
    assert_eq!(paid, 10);
    assert_eq!(wallet_idr(&app, &client).await, 0);
    // Paid orders go on to delivery at once, so count those that were paid.
    let paid_orders: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT order_id) FROM order_event WHERE to_status = 'paid'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(paid_orders, 10);
    assert_ledger_balances(&pool).await;
    assert_gapless_numbers(&pool).await;

    // A refund to the wallet is a credit note; the invoice is not edited.
    let invoice: i64 =
        sqlx::query_scalar("SELECT id FROM invoice WHERE purpose = 'order' ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let too_much = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/invoices/{invoice}/refunds"),
            &finance,
            Some(
                json!({"amount_minor": 125_001, "destination": "wallet", "reason": "salah order"}),
            ),
        )
        .await;
    assert_problem(too_much, 409, "refund_too_large").await;
    let refunded = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/invoices/{invoice}/refunds"),
            &finance,
            Some(
                json!({"amount_minor": 125_000, "destination": "wallet", "reason": "salah order"}),
            ),
        )
        .await;
    assert_eq!(refunded.status().as_u16(), 201);
    assert_eq!(wallet_idr(&app, &client).await, 125_000);
    let staff_view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/invoices/{invoice}"),
            &finance,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff_view["status"], "refunded");
    assert_eq!(staff_view["total_minor"], 125_000);
    assert_eq!(staff_view["credit_notes"].as_array().unwrap().len(), 1);
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_idempotency_key_places_one_order_however_often_it_is_sent(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let send = |body: Value| {
        app.client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&client)
            .header("Idempotency-Key", "checkout-7f3a")
            .json(&body)
            .send()
    };
    let answers = join_all((0..8).map(|_| send(vps_order(product)))).await;
    let mut statuses: Vec<u16> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for answer in answers {
        let answer = answer.unwrap();
        statuses.push(answer.status().as_u16());
        let body: Value = answer.json().await.unwrap();
        ids.insert(body["order"]["id"].as_i64().unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert_eq!(ids.len(), 1);
    let mut other = vps_order(product);
    other["cycle"] = json!("annual");
    let reused = send(other).await.unwrap();
    assert_problem(reused, 409, "idempotency_key_reused").await;
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_order")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_bank_transfer_is_paid_when_finance_confirms_it_and_hostile_files_are_refused(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;

    let placed: Value = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(vps_order(product)),
        )
        .await
        .json()
        .await
        .unwrap();
    let invoice = placed["invoice"]["id"].as_i64().unwrap();
    let disabled = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{invoice}/payments"),
            &client,
            Some(json!({"method": "manual"})),
        )
        .await;
    assert_problem(disabled, 409, "payment_method_disabled").await;
    enable_manual(&app, &owner).await;
    let attempt: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{invoice}/payments"),
            &client,
            Some(json!({"method": "manual"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(attempt["status"], "pending");
    assert!(attempt["instructions"].as_str().unwrap().contains("BCA"));
    let attempt_id = attempt["id"].as_i64().unwrap();

    let upload = |bytes: Vec<u8>, token: String| {
        app.client
            .post(app.url(&format!("/api/v1/payments/{attempt_id}/proof")))
            .bearer_auth(token)
            .header("Content-Type", "image/png")
            .body(bytes)
            .send()
    };
    let script = upload(b"<script>alert(1)</script>".to_vec(), client.clone())
        .await
        .unwrap();
    assert_problem(script, 422, "validation_failed").await;
    let huge = upload(vec![0x89; 3 * 1024 * 1024], client.clone())
        .await
        .unwrap();
    assert_problem(huge, 413, "payload_too_large").await;
    let (_, stranger) = ready_client(&app, "siti@pelanggan.test").await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let theirs = upload(png.clone(), stranger).await.unwrap();
    assert_problem(theirs, 404, "not_found").await;
    let uploaded = upload(png.clone(), client.clone()).await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);

    let waiting: Value = app
        .authed(Method::GET, "/api/v1/staff/manual-payments", &finance, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting[0]["proof_uploaded"], true);
    let proof = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/manual-payments/{attempt_id}/proof"),
            &finance,
            None,
        )
        .await;
    assert_eq!(proof.headers()["content-type"], "image/png");
    assert_eq!(proof.bytes().await.unwrap().to_vec(), png);

    let empty_note = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/manual-payments/{attempt_id}/confirm"),
            &finance,
            Some(json!({"note": "  "})),
        )
        .await;
    assert_problem(empty_note, 422, "validation_failed").await;
    let confirmed = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/manual-payments/{attempt_id}/confirm"),
            &finance,
            Some(json!({"note": "BCA 0512 ref 998877"})),
        )
        .await;
    assert_eq!(confirmed.status().as_u16(), 200);
    let twice = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/manual-payments/{attempt_id}/reject"),
            &finance,
            Some(json!({"note": "tidak ada"})),
        )
        .await;
    assert_problem(twice, 409, "attempt_decided").await;
    let invoice_now: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{invoice}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invoice_now["status"], "paid");
    // The printable invoice: the client's own, as HTML and PDF.
    let html = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{invoice}/document.html"),
            &client,
            None,
        )
        .await;
    assert_eq!(html.status().as_u16(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains(placed["invoice"]["number"].as_str().unwrap()) && html.contains("LUNAS"));
    let pdf = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{invoice}/document.pdf?lang=en"),
            &client,
            None,
        )
        .await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let (_, nosy) = ready_client(&app, "nosy@pelanggan.test").await;
    let theirs = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{invoice}/document.pdf"),
            &nosy,
            None,
        )
        .await;
    assert_problem(theirs, 404, "not_found").await;
    // The order was paid, then handed to delivery, which fails cleanly in
    // a shop with no Proxmox cluster or IP pool configured.
    let order = placed["order"]["id"].as_i64().unwrap();
    let detail = wait_for_status(&app, &client, order, "failed").await;
    let moves: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(moves, ["pending_payment", "paid", "provisioning", "failed"]);
    let payments: Value = app
        .authed(Method::GET, "/api/v1/staff/payments", &finance, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(payments[0]["method"], "manual");
    assert_eq!(payments[0]["amount_minor"], 125_000);
    let export = app
        .authed(
            Method::GET,
            "/api/v1/staff/invoices/export?status=paid",
            &finance,
            None,
        )
        .await;
    assert_eq!(export.status().as_u16(), 200);
    assert!(export.bytes().await.unwrap().starts_with(b"PK"));
    assert_ledger_balances(&pool).await;
}
