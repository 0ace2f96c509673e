//! The catalog: staff build it (each role its own side), the storefront
//! shows it at each caller's tier, bad input writes nothing, digital stock
//! is sealed and only ever counted.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app, test_settings};

/// Regions, templates and a category, set up by the roles that own them.
async fn lists(app: &TestApp, sysadmin: &str, business: &str) -> i64 {
    for (code, name, country) in [("jkt", "Jakarta", "ID"), ("sgp", "Singapore", "SG")] {
        let created = app
            .authed(
                Method::POST,
                "/api/v1/staff/catalog/regions",
                sysadmin,
                Some(json!({"code": code, "name": name, "country": country})),
            )
            .await;
        assert_eq!(created.status().as_u16(), 201);
    }
    for (code, family) in [("ubuntu-24.04", "linux"), ("windows-2022", "windows")] {
        let created = app
            .authed(
                Method::POST,
                "/api/v1/staff/catalog/os-templates",
                sysadmin,
                Some(json!({"code": code, "name": code, "family": family})),
            )
            .await;
        assert_eq!(created.status().as_u16(), 201);
    }
    let category: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/categories",
            business,
            Some(json!({"slug": "vps-indonesia", "name_id": "VPS Indonesia", "name_en": "Indonesian VPS"})),
        )
        .await
        .json()
        .await
        .unwrap();
    category["id"].as_i64().unwrap()
}

fn vps(slug: &str, category_id: i64) -> Value {
    json!({
        "kind": "vps",
        "slug": slug,
        "category_id": category_id,
        "name_id": "VPS Kecil",
        "name_en": "Small VPS",
        "summary_id": "2 vCPU, 4 GB RAM",
        "spec": {"cores": 2, "ram_mb": 4096, "disk_gb": 60, "rate_limit_mbps": 100,
                 "regions": ["jkt"], "os_templates": ["ubuntu-24.04", "windows-2022"]},
        "prices": [
            {"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": 100000, "setup_fee_minor": 25000},
            {"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": 1000000},
            {"group": "reseller", "currency": "IDR", "cycle": "monthly", "price_minor": 80000}
        ]
    })
}

async fn storefront(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let mut request = app
        .client
        .get(app.url(&format!("/api/v1/catalog/products{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

fn monthly(page: &Value) -> Option<i64> {
    page["items"][0]["offers"]
        .as_array()?
        .iter()
        .find(|offer| offer["cycle"] == "monthly")?["price_minor"]
        .as_i64()
}

#[sqlx::test(migrations = "../../migrations")]
async fn staff_build_a_catalog_and_each_tier_sees_its_price(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let category_id = lists(&app, &sysadmin, &business).await;

    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(vps("vps-kecil", category_id)),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["regions"], json!(["jkt"]));
    assert_eq!(created["prices"].as_array().unwrap().len(), 3);

    // Anonymous and a plain client: the member tier, setup fee shown.
    let anonymous = storefront(&app, None, "").await;
    assert_eq!(anonymous["tier"], "member");
    assert_eq!(anonymous["total"], 1);
    assert_eq!(monthly(&anonymous), Some(100_000));
    assert_eq!(
        anonymous["items"][0]["offers"][0]["setup_fee_minor"],
        25_000
    );
    assert_eq!(anonymous["items"][0]["name"], "VPS Kecil");
    assert_eq!(anonymous["items"][0]["category"]["name"], "VPS Indonesia");
    assert_eq!(
        anonymous["items"][0]["regions"],
        json!([{"code": "jkt", "name": "Jakarta"}])
    );
    let (_, member) = app.user_token("budi@pelanggan.test", &["client"]).await;
    assert_eq!(
        monthly(&storefront(&app, Some(&member), "").await),
        Some(100_000)
    );

    // A reseller: its own monthly price, the member's annual one.
    let (_, reseller) = app.user_token("toko@reseller.test", &["reseller"]).await;
    let page = storefront(&app, Some(&reseller), "?lang=en").await;
    assert_eq!(page["tier"], "reseller");
    assert_eq!(monthly(&page), Some(80_000));
    let annual = page["items"][0]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|offer| offer["cycle"] == "annual")
        .unwrap()["price_minor"]
        .clone();
    assert_eq!(annual, 1_000_000);
    assert_eq!(page["items"][0]["name"], "Small VPS");

    // The owner adds a tier, prices it and moves the client into it.
    let gold: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/customer-groups",
            &owner,
            Some(json!({"code": "gold", "name": "Gold"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let added = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/customer-groups/{}/members", gold["id"]),
            &owner,
            Some(json!({"email": "Budi@Pelanggan.test"})),
        )
        .await;
    assert_eq!(added.status().as_u16(), 200);
    let mut prices = vps("x", 0)["prices"].clone();
    prices.as_array_mut().unwrap().push(
        json!({"group": "gold", "currency": "IDR", "cycle": "monthly", "price_minor": 70000}),
    );
    let priced = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}/prices", created["id"]),
            &business,
            Some(json!({"prices": prices})),
        )
        .await;
    assert_eq!(priced.status().as_u16(), 200);
    let page = storefront(&app, Some(&member), "").await;
    assert_eq!(
        (page["tier"].as_str(), monthly(&page)),
        (Some("gold"), Some(70_000))
    );

    // No USD price: not offered in USD. Filters narrow; hidden is gone.
    assert_eq!(storefront(&app, None, "?currency=USD").await["total"], 0);
    assert_eq!(storefront(&app, None, "?region=sgp").await["total"], 0);
    assert_eq!(
        storefront(&app, None, "?region=jkt&kind=vps&q=kecil").await["total"],
        1
    );
    assert_eq!(
        storefront(&app, None, "?category=vps-indonesia").await["total"],
        1
    );
    assert_eq!(storefront(&app, None, "?kind=domain").await["total"], 0);
    let one = app.get("/api/v1/catalog/products/vps-kecil").await;
    assert_eq!(one.status().as_u16(), 200);
    assert_problem(
        app.get("/api/v1/catalog/products/nope").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/catalog/products?currency=EUR").await,
        422,
        "validation_failed",
    )
    .await;

    let mut listing = vps("vps-kecil", category_id);
    listing["visible"] = json!(false);
    let hidden = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}", created["id"]),
            &business,
            Some(listing),
        )
        .await;
    assert_eq!(hidden.status().as_u16(), 200);
    assert_eq!(storefront(&app, None, "").await["total"], 0);
    assert_problem(
        app.get("/api/v1/catalog/products/vps-kecil").await,
        404,
        "not_found",
    )
    .await;

    // Every change is in the audit log with the product before and after.
    let audited: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT action, before IS NOT NULL, after IS NOT NULL FROM audit_log
         WHERE entity_type = 'product' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("product.created".to_owned(), false, true),
            ("product.prices_replaced".to_owned(), true, true),
            ("product.listing_updated".to_owned(), true, true),
        ]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_products_are_refused_field_by_field_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let category_id = lists(&app, &sysadmin, &business).await;

    let mut bad = vps("vps-bad", category_id);
    bad["spec"] =
        json!({"regions": ["jkt", "mars"], "os_templates": ["ubuntu-24.04"], "tld": "com"});
    bad["prices"] = json!([
        {"group": "member", "currency": "EUR", "cycle": "monthly", "price_minor": 1},
        {"group": "member", "currency": "IDR", "cycle": "weekly", "price_minor": 1},
        {"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": -5},
        {"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": 1_000_000_000_000_001i64},
        {"group": "platinum", "currency": "IDR", "cycle": "monthly", "price_minor": 1}
    ]);
    let refused = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(bad),
        )
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    let fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            format!(
                "{}:{}",
                error["field"].as_str().unwrap(),
                error["code"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "spec.cores:required",
        "spec.ram_mb:required",
        "spec.disk_gb:required",
        "spec.tld:not_for_kind",
        "spec.regions:unknown",
        "prices[0].currency:unknown",
        "prices[1].cycle:unknown",
        "prices[2].price_minor:out_of_range",
        "prices[3].price_minor:out_of_range",
        "prices[4].group:unknown",
    ] {
        assert!(
            fields.contains(&expected.to_owned()),
            "{expected} missing in {fields:?}"
        );
    }
    let unknown_kind = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(json!({"kind": "server", "slug": "Bad Slug", "name_id": ""})),
        )
        .await;
    let problem = assert_problem(unknown_kind, 422, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");

    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM product")
        .fetch_one(&pool)
        .await
        .unwrap();
    let prices: i64 = sqlx::query_scalar("SELECT count(*) FROM product_price")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((products, prices), (0, 0), "nothing written");

    // A taken slug and a TLD sold twice are conflicts naming the field.
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(vps("vps-kecil", category_id)),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let again = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(vps("vps-kecil", category_id)),
        )
        .await;
    let problem = assert_problem(again, 409, "taken").await;
    assert_eq!(problem["errors"][0]["field"], "slug");
    let domain = |slug: &str| {
        json!({"kind": "domain", "slug": slug, "name_id": ".com", "spec": {"tld": "com"},
               "prices": [{"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": 165000,
                           "renew_minor": 185000, "transfer_minor": 160000}]})
    };
    let com = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(domain("domain-com")),
        )
        .await;
    assert_eq!(com.status().as_u16(), 201);
    let twice = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(domain("domain-com-2")),
        )
        .await;
    let problem = assert_problem(twice, 409, "taken").await;
    assert_eq!(problem["errors"][0]["field"], "spec.tld");

    // A region in use cannot go; a category with products cannot either.
    let regions: Vec<Value> = app
        .authed(
            Method::GET,
            "/api/v1/staff/catalog/regions",
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let jkt = regions
        .iter()
        .find(|region| region["code"] == "jkt")
        .unwrap();
    let in_use = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/catalog/regions/{}", jkt["id"]),
            &sysadmin,
            None,
        )
        .await;
    assert_problem(in_use, 409, "in_use").await;
    let in_use = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/catalog/categories/{category_id}"),
            &business,
            None,
        )
        .await;
    assert_problem(in_use, 409, "in_use").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_business_side_prices_and_the_sysadmins_configure(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let category_id = lists(&app, &sysadmin, &business).await;
    let product: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &sysadmin,
            Some(vps("vps-kecil", category_id)),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = product["id"].as_i64().unwrap();
    let spec = json!({"cores": 4, "ram_mb": 8192, "disk_gb": 120, "regions": ["jkt", "sgp"], "os_templates": ["ubuntu-24.04"]});

    let business_spec = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{id}/spec"),
            &business,
            Some(spec.clone()),
        )
        .await;
    assert_problem(business_spec, 403, "forbidden").await;
    let sysadmin_prices = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{id}/prices"),
            &sysadmin,
            Some(json!({"prices": []})),
        )
        .await;
    assert_problem(sysadmin_prices, 403, "forbidden").await;

    let changed: Value = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{id}/spec"),
            &sysadmin,
            Some(spec),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["spec"]["cores"], 4);
    assert_eq!(changed["regions"], json!(["jkt", "sgp"]));
    assert_eq!(changed["prices"], product["prices"], "prices untouched");
    let storefront: Value = app
        .get("/api/v1/catalog/products?region=sgp")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(storefront["total"], 1);

    let (before, after): (Value, Value) =
        sqlx::query_as("SELECT before, after FROM audit_log WHERE action = 'product.spec_updated'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (
            before["spec"]["cores"].clone(),
            after["spec"]["cores"].clone()
        ),
        (json!(2), json!(4))
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn digital_stock_is_sealed_counted_and_never_shown(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let product: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(json!({
                "kind": "digital", "slug": "netflix-1-bulan", "name_id": "Akun Netflix 1 Bulan",
                "spec": {"terms_id": "Jangan ganti password. Kirim bukti login dalam 1x24 jam."},
                "prices": [{"group": "member", "currency": "IDR", "cycle": "one_time", "price_minor": 35000}]
            })),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = product["id"].as_i64().unwrap();
    assert_eq!(
        product["stock"],
        json!({"available": 0, "reserved": 0, "sold": 0})
    );

    let items = json!({"items": ["budi1@mail.test:Rahasia#1", "  budi2@mail.test:Rahasia#2  ", "", "budi1@mail.test:Rahasia#1"]});
    let added: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/catalog/products/{id}/stock"),
            &business,
            Some(items.clone()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (added["added"].clone(), added["duplicates"].clone()),
        (json!(2), json!(1))
    );
    let again: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/catalog/products/{id}/stock"),
            &business,
            Some(items),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["added"].clone(), again["counts"]["available"].clone()),
        (json!(0), json!(2))
    );

    // Stored sealed: the plaintext is nowhere in the table, and the app's
    // key opens it.
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, sealed FROM digital_stock_item ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (_, sealed) in &rows {
        assert!(
            !sealed
                .windows(b"Rahasia".len())
                .any(|window| window == b"Rahasia")
        );
    }
    let settings = test_settings(&[]);
    let sealer = domain::Sealer::new(&[settings.secret_key.expose().as_bytes()]).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let opened = billing::catalog::stock::open_item(&mut conn, &sealer, rows[1].0)
        .await
        .unwrap();
    assert_eq!(
        opened, "budi2@mail.test:Rahasia#2",
        "trimmed, sealed, opened"
    );

    // The public sees a count; the audit log a count; nobody the items.
    let public = app
        .get("/api/v1/catalog/products/netflix-1-bulan")
        .await
        .text()
        .await
        .unwrap();
    assert!(public.contains("\"stock_available\":2"), "{public}");
    assert!(!public.contains("Rahasia"));
    let audit: String = sqlx::query_scalar(
        "SELECT string_agg(after::text, ' ') FROM audit_log WHERE entity_type = 'product'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!audit.contains("Rahasia"), "{audit}");

    // Only digital products have stock; too many items are refused whole.
    let vps: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(json!({"kind": "hosting", "slug": "cpanel-mini", "name_id": "cPanel Mini", "spec": {"whm_package": "mini"}})),
        )
        .await
        .json()
        .await
        .unwrap();
    let wrong = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/catalog/products/{}/stock", vps["id"]),
            &business,
            Some(json!({"items": ["x"]})),
        )
        .await;
    assert_problem(wrong, 422, "wrong_product_kind").await;
    let flood: Vec<String> = (0..10_001).map(|index| format!("code-{index}")).collect();
    let flood = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/catalog/products/{id}/stock"),
            &business,
            Some(json!({"items": flood})),
        )
        .await;
    assert_problem(flood, 422, "validation_failed").await;

    // A supplier's list as a workbook: the first column of the first
    // sheet, blanks skipped, a repeat of what is held skipped.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, item) in [
        "budi3@mail.test:Rahasia#3",
        "",
        "budi1@mail.test:Rahasia#1",
        "998877",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(row as u32, 0, *item).unwrap();
    }
    let workbook = book.save_to_buffer().unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let upload = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/staff/catalog/products/{id}/stock/xlsx")))
            .bearer_auth(&business)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let added: Value = upload(workbook, xlsx).await.unwrap().json().await.unwrap();
    assert_eq!(
        (added["added"].clone(), added["duplicates"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(added["counts"]["available"], 4);
    assert_problem(
        upload(b"code\nX-1\n".to_vec(), xlsx).await.unwrap(),
        422,
        "not_xlsx",
    )
    .await;
    assert_problem(
        upload(b"{}".to_vec(), "application/json").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        upload(vec![0u8; 3 * 1024 * 1024], xlsx).await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;

    let discarded: Value = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/catalog/products/{id}/stock"),
            &business,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discarded["discarded"], 4);
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_owner_keeps_the_customer_groups(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    app.user_token("finance@shop.test", &["finance"]).await;
    let (client_id, _) = app.user_token("siti@pelanggan.test", &["client"]).await;
    let groups: Vec<Value> = app
        .authed(Method::GET, "/api/v1/staff/customer-groups", &owner, None)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = groups
        .iter()
        .map(|group| group["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["member", "reseller"]);
    let member_id = groups[0]["id"].as_i64().unwrap();
    let built_in = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/customer-groups/{member_id}"),
            &owner,
            None,
        )
        .await;
    assert_problem(built_in, 409, "in_use").await;

    let gold: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/customer-groups",
            &owner,
            Some(json!({"code": "gold", "name": "Gold"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let members = format!("/api/v1/staff/customer-groups/{}/members", gold["id"]);
    let staff = app
        .authed(
            Method::POST,
            &members,
            &owner,
            Some(json!({"email": "finance@shop.test"})),
        )
        .await;
    let problem = assert_problem(staff, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "not_a_client");
    let nobody = app
        .authed(
            Method::POST,
            &members,
            &owner,
            Some(json!({"email": "nobody@x.test"})),
        )
        .await;
    assert_problem(nobody, 422, "validation_failed").await;
    let added = app
        .authed(
            Method::POST,
            &members,
            &owner,
            Some(json!({"email": "siti@pelanggan.test"})),
        )
        .await;
    assert_eq!(added.status().as_u16(), 200);
    let listed: Vec<Value> = app
        .authed(Method::GET, &members, &owner, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let removed = app
        .authed(
            Method::DELETE,
            &format!("{members}/{client_id}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 204);
    let gone = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/customer-groups/{}", gold["id"]),
            &owner,
            None,
        )
        .await;
    assert_eq!(gone.status().as_u16(), 204);
}

/// Domain products for .com, .id and .co.id at member and reseller prices.
async fn domain_products(app: &TestApp, business: &str) {
    for (tld, member, reseller) in [
        ("com", 165_000, 150_000),
        ("id", 235_000, 215_000),
        ("co.id", 99_000, 90_000),
    ] {
        let created = app
            .authed(
                Method::POST,
                "/api/v1/staff/catalog/products",
                business,
                Some(json!({
                    "kind": "domain", "slug": format!("domain-{}", tld.replace('.', "-")), "name_id": format!(".{tld}"),
                    "spec": {"tld": tld},
                    "prices": [
                        {"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": member, "renew_minor": member + 20_000},
                        {"group": "reseller", "currency": "IDR", "cycle": "annual", "price_minor": reseller}
                    ]
                })),
            )
            .await;
        assert_eq!(created.status().as_u16(), 201);
    }
}

fn result<'a>(check: &'a Value, name: &str) -> &'a Value {
    check["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {check}"))
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_domain_search_answers_from_rdap_with_the_callers_prices(pool: PgPool) {
    let rdap = sandbox::RdapFake::start(
        "127.0.0.1:0".parse().unwrap(),
        sandbox::RdapFakeConfig::default(),
    )
    .await
    .unwrap();
    rdap.register("warungsate.com").unwrap();
    let bootstrap = rdap.bootstrap_url();
    let app = crate::helpers::spawn_app_with(
        pool,
        &[
            ("RDAP_BOOTSTRAP_URL", &bootstrap),
            ("DOMAIN_CHECK_TIMEOUT_MS", "1500"),
        ],
    )
    .await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    domain_products(&app, &business).await;

    // A full name: asked first, taken; the same name under the shop's
    // other TLDs as suggestions, free, each with its price.
    let check: Value = app
        .get("/api/v1/domains/check?name=WarungSate.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["results"][0]["name"], "warungsate.com");
    assert_eq!(check["results"][0]["requested"], true);
    assert_eq!(check["results"][0]["status"], "taken");
    assert_eq!(check["results"][0]["register_minor"], 165_000);
    assert_eq!(result(&check, "warungsate.id")["status"], "available");
    assert_eq!(result(&check, "warungsate.id")["requested"], false);
    assert_eq!(result(&check, "warungsate.co.id")["register_minor"], 99_000);
    assert_eq!(result(&check, "warungsate.co.id")["renew_minor"], 119_000);
    assert_eq!(check["results"].as_array().unwrap().len(), 3);

    // A reseller sees the reseller prices; a bare name is checked under
    // every TLD; an IDN name goes to the registry as punycode.
    let (_, reseller) = app.user_token("toko@reseller.test", &["reseller"]).await;
    let check: Value = app
        .authed(
            Method::GET,
            "/api/v1/domains/check?name=warungkopi",
            &reseller,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result(&check, "warungkopi.com")["register_minor"], 150_000);
    assert!(
        check["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|result| result["requested"] == false)
    );
    let check: Value = app
        .get("/api/v1/domains/check?name=b%C3%BCcher.id")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["results"][0]["name"], "xn--bcher-kva.id");
    assert_eq!(check["results"][0]["unicode"], "bücher.id");
    assert_eq!(rdap.queries_for("xn--bcher-kva.id"), 1);

    // A TLD the shop does not sell: answered, without a price.
    let check: Value = app
        .get("/api/v1/domains/check?name=warungsate.org")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["results"][0]["status"], "available");
    assert_eq!(check["results"][0]["register_minor"], Value::Null);

    // Junk is a 422 naming the field; nothing is asked of a registry.
    let before = rdap.query_count();
    for junk in ["http://x.com/", "a..com", "-a.com", "", "toko%20budi.com"] {
        let refused = app.get(&format!("/api/v1/domains/check?name={junk}")).await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "name", "{junk}");
    }
    assert_eq!(rdap.query_count(), before);

    // A slow registry cannot hold the request past the deadline: unknown.
    for registry in rdap
        .registries()
        .iter()
        .map(|registry| registry.id.clone())
        .collect::<Vec<_>>()
    {
        rdap.set_delay(&registry, std::time::Duration::from_secs(10))
            .unwrap();
    }
    let started = std::time::Instant::now();
    let check: Value = app
        .get("/api/v1/domains/check?name=lambat.id")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_millis(3_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(check["results"][0]["status"], "unknown");
    assert_eq!(check["results"][0]["reason"], "timeout");
}

#[sqlx::test(migrations = "../../migrations")]
async fn domain_searches_from_one_address_are_rate_limited(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(
            app.get("/api/v1/domains/check?name=tokobudi")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        statuses[..30].iter().all(|status| *status == 200),
        "{statuses:?}"
    );
    assert_problem(
        app.get("/api/v1/domains/check?name=tokobudi").await,
        429,
        "rate_limited",
    )
    .await;
}

async fn member_monthly(app: &TestApp) -> Option<i64> {
    monthly(&storefront(app, None, "").await)
}

/// Asks `app` until its storefront shows `expected`, for at most a second.
async fn shows_within_a_second(app: &TestApp, expected: i64) -> bool {
    for _ in 0..40 {
        if member_monthly(app).await == Some(expected) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    false
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_catalog_change_reaches_the_storefront_cache_of_every_replica(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let replica = crate::helpers::spawn_replica(&app).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let category_id = lists(&app, &sysadmin, &business).await;
    let product: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(vps("vps-kecil", category_id)),
        )
        .await
        .json()
        .await
        .unwrap();
    // Once the creation's notices have landed, both replicas keep the page.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(shows_within_a_second(&app, 100_000).await);
    assert!(shows_within_a_second(&replica, 100_000).await);

    // The cache is in use: a change that sends no notice (triggers off for
    // this session) is not seen by either replica.
    change_silently(&pool, 100_000, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        member_monthly(&app).await,
        Some(100_000),
        "served from the cache"
    );
    assert_eq!(
        member_monthly(&replica).await,
        Some(100_000),
        "served from the cache"
    );

    // A staff change: the replica that made it answers fresh at once, the
    // other within a second.
    let mut prices = vps("x", 0)["prices"].clone();
    prices[0]["price_minor"] = json!(90_000);
    let saved = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}/prices", product["id"]),
            &business,
            Some(json!({"prices": prices})),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    assert_eq!(
        member_monthly(&app).await,
        Some(90_000),
        "the writing replica at once"
    );
    assert!(
        shows_within_a_second(&replica, 90_000).await,
        "the other replica"
    );

    // A change outside the API (an order reserving stock, a hand-written
    // fix) is announced by the database itself.
    sqlx::query("UPDATE product_price SET price_minor = 85000 WHERE cycle = 'monthly' AND price_minor = 90000")
        .execute(&pool)
        .await
        .unwrap();
    assert!(shows_within_a_second(&app, 85_000).await);
    assert!(shows_within_a_second(&replica, 85_000).await);

    // A client moved to another tier sees its prices at once.
    let (_, client) = app.user_token("budi@pelanggan.test", &["client"]).await;
    assert_eq!(
        monthly(&storefront(&app, Some(&client), "").await),
        Some(85_000)
    );
    sqlx::query(
        "INSERT INTO customer_group_member (user_id, group_id)
         SELECT u.id, g.id FROM app_user u, customer_group g WHERE u.email = 'budi@pelanggan.test' AND g.code = 'reseller'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut seen = None;
    for _ in 0..40 {
        seen = monthly(&storefront(&replica, Some(&client), "").await);
        if seen == Some(80_000) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(seen, Some(80_000), "the reseller tier's own monthly price");
}

/// Changes a member monthly price with the triggers off for this one
/// transaction: no notice is sent, so only a cache not in use shows it.
async fn change_silently(pool: &PgPool, from: i64, to: i64) {
    let mut silent = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *silent)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE product_price SET price_minor = $2 WHERE cycle = 'monthly' AND price_minor = $1",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *silent)
    .await
    .unwrap();
    silent.commit().await.unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_replica_that_lost_its_listener_serves_no_stale_prices_and_caches_again_once_back(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("business@shop.test", &["business"]).await;
    let category_id = lists(&app, &sysadmin, &business).await;
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &business,
            Some(vps("vps-kecil", category_id)),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(shows_within_a_second(&app, 100_000).await);

    // The database ends the replica's LISTEN connection (a database
    // restart, a cut network); a change made meanwhile sends a notice
    // nobody hears.
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ended, [true], "one listener per replica");
    sqlx::query("UPDATE product_price SET price_minor = 95000 WHERE cycle = 'monthly' AND price_minor = 100000")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        shows_within_a_second(&app, 95_000).await,
        "no stale page while not listening"
    );

    // Once subscribed again (within the reconnect pause), the cache is in
    // use again: a change without a notice is not seen.
    let mut caching = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if listening == 1 {
            caching = true;
            break;
        }
    }
    assert!(caching, "the listener reconnects");
    assert_eq!(member_monthly(&app).await, Some(95_000));
    change_silently(&pool, 95_000, 1).await;
    assert_eq!(
        member_monthly(&app).await,
        Some(95_000),
        "served from the cache again"
    );
}
