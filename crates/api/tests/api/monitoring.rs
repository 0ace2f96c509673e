//! Monitoring over HTTP: host validation, the Excel import from upload to
//! confirm and its refusals, export that re-imports, the public status page
//! fed by checkers running in two replicas, and the sales book.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use identity::Role;
use monitoring::spreadsheet::sample;
use reqwest::Method;
use sandbox::{TelegramFake, TelegramFakeConfig};
use sqlx::PgPool;

use crate::helpers::{
    TestApp, assert_problem, shop_day, shop_instant, spawn_app, spawn_app_with, spawn_replica,
    spawn_replica_with,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn staff_token(app: &TestApp, email: &str, role: &str) -> String {
    let id = app.create_user(email, &[role]).await;
    let role: Role = role.parse().unwrap();
    app.identity
        .keys()
        .issue(id, &[role], uuid::Uuid::now_v7())
        .unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/monitoring/imports?file_name=data.xlsx"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn hosts_are_validated_field_by_field_and_adding_one_records_its_sale(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "admin@example.test", "sysadmin").await;
    let bad = serde_json::json!({ "name": "", "address": "http://999.1.1.1/x", "port": 70000, "currency": "EUR", "price_minor": -5 });
    let problem = assert_problem(
        app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(bad))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    for field in ["name", "address", "port", "currency", "price_minor"] {
        assert!(fields.contains(&field), "{field} missing in {problem}");
    }
    assert_eq!(
        (
            count(&pool, "monitored_host").await,
            count(&pool, "sale").await
        ),
        (0, 0),
        "nothing written"
    );

    let good = serde_json::json!({ "name": "VPS-SG-01", "address": "103.28.12.7", "port": 3389, "price_minor": 150000, "currency": "idr", "expires_on": shop_day(&pool, 60).await });
    let response = app
        .authed(
            Method::POST,
            "/api/v1/monitoring/hosts",
            &token,
            Some(good.clone()),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let host: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (host["status"].as_str(), host["currency"].as_str()),
        (Some("pending"), Some("IDR"))
    );
    let sale: (String, i64, String) =
        sqlx::query_as("SELECT kind, price_minor, currency FROM sale")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(sale, ("host".to_owned(), 150_000, "IDR".to_owned()));

    assert_problem(
        app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(good))
            .await,
        409,
        "duplicate_host",
    )
    .await;
    let unsold = serde_json::json!({ "name": "rdp.example.id", "address": "rdp.example.id", "port": 3389, "record_sale": false });
    assert_eq!(
        app.authed(
            Method::POST,
            "/api/v1/monitoring/hosts",
            &token,
            Some(unsold)
        )
        .await
        .status()
        .as_u16(),
        201
    );
    assert_eq!(count(&pool, "sale").await, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_import_previews_every_row_writes_nothing_until_confirmed_and_confirms_once(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let workbook = sample::generate_workbook(40, 20, 0.25, 7).unwrap();
    let response = upload(&app, &token, XLSX, workbook.bytes.clone()).await;
    assert_eq!(response.status().as_u16(), 201);
    let staged: serde_json::Value = response.json().await.unwrap();
    let summary = &staged["summary"]["parsed"];
    let (host_total, host_valid) = (
        summary["hosts"]["total_rows"].as_u64().unwrap(),
        summary["hosts"]["valid_rows"].as_u64().unwrap(),
    );
    assert_eq!(host_total, 40);
    assert!(
        host_valid < 40,
        "the generator's defective rows are flagged"
    );
    let flagged = staged["hosts"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| !row["problems"].as_array().unwrap().is_empty())
        .unwrap();
    assert!(flagged["problems"][0]["code"].is_string() && flagged["row"].as_u64().unwrap() >= 2);
    assert_eq!(
        (
            count(&pool, "monitored_host").await,
            count(&pool, "sale").await
        ),
        (0, 0),
        "a preview writes nothing"
    );

    let id = staged["id"].as_str().unwrap();
    let again: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/imports/{id}"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&again["summary"], &again["hosts"], &again["account_sales"]),
        (
            &staged["summary"],
            &staged["hosts"],
            &staged["account_sales"]
        )
    );

    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let result: serde_json::Value = response.json().await.unwrap();
    let created = result["hosts_created"].as_i64().unwrap();
    assert!(created > 0 && created <= i64::try_from(host_valid).unwrap());
    assert_eq!(result["host_sales_recorded"].as_i64().unwrap(), created);
    assert_eq!(count(&pool, "monitored_host").await, created);
    assert_eq!(
        count(&pool, "sale").await,
        created + result["account_sales_created"].as_i64().unwrap(),
        "a sale per new host plus the account sales"
    );
    assert_problem(
        app.authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // The same file again updates instead of duplicating.
    let staged: serde_json::Value = upload(&app, &token, XLSX, workbook.bytes)
        .await
        .json()
        .await
        .unwrap();
    let id = staged["id"].as_str().unwrap();
    let result: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["hosts_created"], 0);
    assert_eq!(
        result["account_sales_created"], 0,
        "the same sales again are duplicates: {result}"
    );
    assert_eq!(count(&pool, "monitored_host").await, created);

    // Cancelled previews are gone.
    let staged: serde_json::Value = upload(
        &app,
        &token,
        XLSX,
        sample::generate_workbook(3, 0, 0.0, 1).unwrap().bytes,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = staged["id"].as_str().unwrap();
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/monitoring/imports/{id}"),
            &token,
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_problem(
        app.authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn files_that_are_not_xlsx_get_a_clear_4xx(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let csv = b"name,ip,port\nVPS-1,1.2.3.4,22\n".to_vec();
    assert_problem(
        upload(&app, &token, XLSX, csv.clone()).await,
        422,
        "not_xlsx",
    )
    .await;
    assert_problem(
        upload(&app, &token, "text/csv", csv).await,
        415,
        "unsupported_media_type",
    )
    .await;
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(4096, 0);
    let problem = assert_problem(
        upload(&app, &token, "application/octet-stream", xls).await,
        422,
        "not_xlsx",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains(".xls"),
        "{problem}"
    );
    assert_problem(
        upload(&app, &token, XLSX, vec![b'x'; 21 * 1024 * 1024]).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_eq!(count(&pool, "import_preview").await, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_export_imports_back_cleanly(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let expires_on = shop_day(&pool, 90).await;
    for (name, address, price, currency) in [
        ("VPS-1", "10.0.0.1", 150_000, "IDR"),
        ("RDP-US", "2001:db8::7", 1250, "USD"),
        ("web", "web.example.id", 99_000, "IDR"),
    ] {
        let body = serde_json::json!({ "name": name, "address": address, "port": 3389, "price_minor": price, "currency": currency, "expires_on": expires_on });
        assert_eq!(
            app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let sale = serde_json::json!({ "kind": "account", "sold_on": shop_day(&pool, -12).await, "name": "Netflix 1 bulan", "merchant": "Shopee", "item_type": "premium", "qty": 2, "price_minor": 45000, "currency": "IDR" });
    assert_eq!(
        app.authed(Method::POST, "/api/v1/sales", &token, Some(sale))
            .await
            .status()
            .as_u16(),
        201
    );

    let response = app
        .authed(Method::GET, "/api/v1/monitoring/export", &token, None)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], XLSX);
    let bytes = response.bytes().await.unwrap().to_vec();
    let staged: serde_json::Value = upload(&app, &token, XLSX, bytes)
        .await
        .json()
        .await
        .unwrap();
    let summary = &staged["summary"]["parsed"];
    assert_eq!(
        (
            summary["hosts"]["valid_rows"].as_u64(),
            summary["hosts"]["total_rows"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(
        (
            summary["account_sales"]["valid_rows"].as_u64(),
            summary["account_sales"]["total_rows"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            &staged["summary"]["hosts"]["unchanged"],
            &staged["summary"]["account_sales"]["duplicate"]
        ),
        (&serde_json::json!(3), &serde_json::json!(1)),
        "an export read back changes nothing: {}",
        staged["summary"]
    );
    let usd = staged["hosts"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "RDP-US")
        .unwrap();
    assert_eq!(
        usd["price"],
        serde_json::json!({ "minor": 1250, "currency": "USD" })
    );
    let id = staged["id"].as_str().unwrap();
    let result: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            result["hosts_created"].as_i64(),
            result["hosts_updated"].as_i64(),
            result["hosts_unchanged"].as_i64(),
            result["account_sales_created"].as_i64(),
        ),
        (Some(0), Some(0), Some(3), Some(0)),
        "{result}"
    );
    assert_eq!(
        (
            count(&pool, "monitored_host").await,
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sale WHERE kind = 'account'")
                .fetch_one(&pool)
                .await
                .unwrap()
        ),
        (3, 1),
        "no host and no account sale doubled"
    );
}

async fn wait_for_status(app: &TestApp, expected: &[(&str, &str)]) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let page: serde_json::Value = app.get("/api/v1/status").await.json().await.unwrap();
        let hosts = page["hosts"].as_array().unwrap();
        let matches = expected.iter().all(|(name, status)| {
            hosts
                .iter()
                .any(|host| host["name"] == *name && host["status"] == *status)
        });
        if matches {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "status page never showed {expected:?}: {page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_replicas_check_the_hosts_and_the_status_page_shows_them(pool: PgPool) {
    let fake = TelegramFake::start(
        "127.0.0.1:0".parse().unwrap(),
        TelegramFakeConfig::default(),
    )
    .await
    .unwrap();
    let (base_url, bot_token) = (fake.base_url(), fake.token().to_owned());
    let overrides = [
        ("MONITOR_ENABLED", "true"),
        ("TELEGRAM_API_BASE_URL", base_url.as_str()),
        ("TELEGRAM_BOT_TOKEN", bot_token.as_str()),
    ];
    let app = spawn_app_with(pool.clone(), &overrides).await;
    // A true twin: its own checker and bot too.
    let replica = spawn_replica_with(&app, &overrides).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let chat = serde_json::json!({ "chat_id": 5005, "label": "Admin" });
    assert_eq!(
        app.authed(
            Method::POST,
            "/api/v1/notifications/staff-chats",
            &token,
            Some(chat)
        )
        .await
        .status()
        .as_u16(),
        200
    );

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap();
    for (name, port, public) in [
        ("VPS-UP", listener.local_addr().unwrap().port(), true),
        ("VPS-DOWN", closed.port(), true),
        ("VPS-PRIVATE", closed.port(), false),
    ] {
        let body = serde_json::json!({ "name": name, "address": "127.0.0.1", "port": port, "is_public": public, "failures_before_down": 1, "check_interval_seconds": 30, "expires_on": "2020-01-01" });
        assert_eq!(
            app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    // Due now rather than somewhere in the first interval.
    sqlx::query("UPDATE monitored_host SET next_check_at = now()")
        .execute(&pool)
        .await
        .unwrap();

    let page = wait_for_status(&replica, &[("VPS-UP", "up"), ("VPS-DOWN", "down")]).await;
    let hosts = page["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "only public hosts");
    let up = hosts.iter().find(|host| host["name"] == "VPS-UP").unwrap();
    assert!(
        up["response_time_ms"].is_number()
            && up["expired"] == true
            && up["uptime"]["last_24h"] == 100.0,
        "{up}"
    );
    assert!(
        !page.to_string().contains("127.0.0.1"),
        "no addresses on the public page"
    );

    // The DOWN message itself (the EXPIRED one names the host too).
    for name in ["VPS-DOWN", "VPS-PRIVATE"] {
        fake.wait_for_sent(
            |message| {
                message.chat_id == 5005 && message.content().contains(&format!("DOWN: {name}"))
            },
            Duration::from_secs(20),
        )
        .await
        .unwrap_or_else(|_| panic!("{name}'s DOWN message reaches the staff chat"));
    }
    // Each host was checked once, by one of the two replicas.
    let checks: Vec<i32> = sqlx::query_scalar("SELECT checks FROM host_check_hourly")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(checks, [1, 1, 1]);
    drop(listener);
}

/// The intermittent failure of the test above: its "replica" had no bot
/// (and no checker), yet its job runner claimed Telegram deliveries, failed
/// them ("Telegram is not configured") and put them into the retry backoff
/// (5 s, 10 s, 20 s...), so a DOWN alert claimed by it twice in a row missed
/// 20 s. A runner now claims only the kinds it can run, and Telegram
/// delivery is its own kind, registered only where a bot is. Two DOWN
/// messages for each of two chats at once: every one leaves within a few
/// seconds of its state change, whichever runner polls first.
#[sqlx::test(migrations = "../../migrations")]
async fn a_down_alert_leaves_within_seconds_even_beside_a_replica_without_a_bot(pool: PgPool) {
    let fake = TelegramFake::start(
        "127.0.0.1:0".parse().unwrap(),
        TelegramFakeConfig::default(),
    )
    .await
    .unwrap();
    let (base_url, bot_token) = (fake.base_url(), fake.token().to_owned());
    let app = spawn_app_with(
        pool.clone(),
        &[
            ("MONITOR_ENABLED", "true"),
            ("TELEGRAM_API_BASE_URL", base_url.as_str()),
            ("TELEGRAM_BOT_TOKEN", bot_token.as_str()),
        ],
    )
    .await;
    // A replica mid-deploy, or one configured without the bot.
    let _replica = spawn_replica(&app).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    for chat in [6001, 6002] {
        let body = serde_json::json!({ "chat_id": chat, "label": format!("Admin {chat}") });
        let answer = app
            .authed(
                Method::POST,
                "/api/v1/notifications/staff-chats",
                &token,
                Some(body),
            )
            .await;
        assert_eq!(answer.status().as_u16(), 200);
    }
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap();
    for name in ["VPS-A", "VPS-B"] {
        let body = serde_json::json!({ "name": name, "address": "127.0.0.1", "port": closed.port(), "failures_before_down": 1, "check_interval_seconds": 30 });
        let answer = app
            .authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
            .await;
        assert_eq!(answer.status().as_u16(), 201);
    }
    sqlx::query("UPDATE monitored_host SET next_check_at = now()")
        .execute(&pool)
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox_message WHERE event = 'monitoring.host_down' AND status = 'sent'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if sent == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {sent} of 4 DOWN alerts sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // From the state change (the message is written with it) to Telegram:
    // two messages per chat at the 1/s per-chat rate, plus slack for a busy
    // machine, but well under the first retry backoff (4-6 s).
    let slowest: f64 = sqlx::query_scalar(
        "SELECT max(extract(epoch FROM sent_at - created_at))::float8 FROM outbox_message WHERE event = 'monitoring.host_down'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(slowest < 3.5, "a DOWN alert waited {slowest:.1} s");
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT kind FROM job WHERE kind LIKE 'notify.deliver%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["notify.deliver.telegram"]);
    for chat in [6001, 6002] {
        assert_eq!(
            fake.sent_to(chat)
                .iter()
                .filter(|message| message.content().contains("DOWN: VPS-"))
                .count(),
            2
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_sales_book_totals_per_month_and_currency(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "finance@example.test", "finance").await;
    // Two months back and the month after it, whatever today is.
    let month_start: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT (date_trunc('month', shop_today()) - interval '2 months')::date",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let day = |n: u64| (month_start + chrono::Days::new(n - 1)).to_string();
    let next_month = month_start
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    let month = month_start.format("%Y-%m").to_string();
    for (sold_on, price, qty, currency) in [
        (day(5), 50_000, 1, "IDR"),
        (day(20), 25_000, 2, "IDR"),
        (day(21), 1_000, 1, "USD"),
        (next_month.to_string(), 70_000, 1, "IDR"),
    ] {
        let body = serde_json::json!({ "kind": "account", "sold_on": sold_on, "name": "Akun", "qty": qty, "price_minor": price, "currency": currency });
        assert_eq!(
            app.authed(Method::POST, "/api/v1/sales", &token, Some(body))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let bad = serde_json::json!({ "kind": "account", "sold_on": next_month.to_string(), "name": " ", "qty": 0, "price_minor": -1, "currency": "EUR" });
    assert_problem(
        app.authed(Method::POST, "/api/v1/sales", &token, Some(bad))
            .await,
        422,
        "validation_failed",
    )
    .await;

    let last_day = next_month.pred_opt().unwrap();
    let book: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/sales?from={month_start}&to={last_day}"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(book["items"].as_array().unwrap().len(), 3);
    let totals: Vec<(String, String, i64)> = book["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|total| {
            (
                total["month"].as_str().unwrap().to_owned(),
                total["currency"].as_str().unwrap().to_owned(),
                total["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            (month.clone(), "IDR".to_owned(), 100_000),
            (month, "USD".to_owned(), 1_000)
        ]
    );

    let id = book["items"][0]["id"].as_i64().unwrap();
    let fix = serde_json::json!({ "kind": "account", "sold_on": day(21), "name": "Akun", "qty": 3, "price_minor": 1_000, "currency": "USD" });
    assert_eq!(
        app.authed(
            Method::PUT,
            &format!("/api/v1/sales/{id}"),
            &token,
            Some(fix)
        )
        .await
        .status()
        .as_u16(),
        200
    );
    assert_eq!(
        app.authed(Method::DELETE, &format!("/api/v1/sales/{id}"), &token, None)
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(
        app.authed(Method::DELETE, &format!("/api/v1/sales/{id}"), &token, None)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_import_xlsx_command_previews_and_writes(pool: PgPool) {
    let database = pool.connect_options().get_database().unwrap().to_owned();
    let server = std::env::var("DATABASE_URL").unwrap();
    let server = server.rsplit_once('/').unwrap().0.to_owned();
    let file = std::env::temp_dir().join(format!(
        "juragan-import-{}.xlsx",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(
        &file,
        sample::generate_workbook(12, 6, 0.3, 3).unwrap().bytes,
    )
    .unwrap();
    let run = |dry_run: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_juragan"));
        command
            .arg("import-xlsx")
            .arg(&file)
            .env("DATABASE_URL", format!("{server}/{database}"))
            .env("APP_ENV", "test");
        if dry_run {
            command.arg("--dry-run");
        }
        command.output().unwrap()
    };
    let dry = run(true);
    let printed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        dry.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        printed.contains("hosts: 12 rows") && printed.contains("dry run: nothing written"),
        "{printed}"
    );
    assert!(printed.contains(" row "), "problems are listed: {printed}");
    assert_eq!(count(&pool, "monitored_host").await, 0);

    let wet = run(false);
    assert!(
        wet.status.success(),
        "{}",
        String::from_utf8_lossy(&wet.stderr)
    );
    assert!(count(&pool, "monitored_host").await > 0);
    assert_eq!(count(&pool, "import_preview").await, 0);
    let _ = std::fs::remove_file(file);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_edits_maintenance_windows_and_filters_are_refused_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let mut ids = Vec::new();
    for name in ["VPS-A", "VPS-B"] {
        let body = serde_json::json!({ "name": name, "address": "10.0.0.9", "port": 22 });
        let created: serde_json::Value = app
            .authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_i64().unwrap());
    }
    // Renaming B onto A's name + address + port is a duplicate; an unknown id is 404.
    let clash = serde_json::json!({ "name": "VPS-A", "address": "10.0.0.9", "port": 22 });
    assert_problem(
        app.authed(
            Method::PUT,
            &format!("/api/v1/monitoring/hosts/{}", ids[1]),
            &token,
            Some(clash.clone()),
        )
        .await,
        409,
        "duplicate_host",
    )
    .await;
    assert_problem(
        app.authed(
            Method::PUT,
            "/api/v1/monitoring/hosts/999999",
            &token,
            Some(clash),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let bad_port = serde_json::json!({ "name": "VPS-B", "address": "10.0.0.9", "port": 0 });
    assert_problem(
        app.authed(
            Method::PUT,
            &format!("/api/v1/monitoring/hosts/{}", ids[1]),
            &token,
            Some(bad_port),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM monitored_host ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, ["VPS-A", "VPS-B"], "nothing changed");

    // A window from tomorrow: the host detail lists windows that have not ended yet.
    let (nine, ten, eleven) = (
        shop_instant(&pool, 1, 9).await,
        shop_instant(&pool, 1, 10).await,
        shop_instant(&pool, 1, 11).await,
    );
    let backwards = serde_json::json!({ "starts_at": ten, "ends_at": nine });
    let path = format!("/api/v1/monitoring/hosts/{}/maintenance", ids[0]);
    let problem = assert_problem(
        app.authed(Method::POST, &path, &token, Some(backwards))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "ends_at");
    let window =
        serde_json::json!({ "starts_at": nine, "ends_at": eleven, "reason": "upgrade kernel" });
    assert_problem(
        app.authed(
            Method::POST,
            "/api/v1/monitoring/hosts/999999/maintenance",
            &token,
            Some(window.clone()),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(count(&pool, "maintenance_window").await, 0);
    let created: serde_json::Value = app
        .authed(Method::POST, &path, &token, Some(window))
        .await
        .json()
        .await
        .unwrap();
    let detail: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/hosts/{}", ids[0]),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["maintenance"][0]["reason"], "upgrade kernel");
    let window_path = format!("{path}/{}", created["id"]);
    assert_eq!(
        app.authed(Method::DELETE, &window_path, &token, None)
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(
        app.authed(Method::DELETE, &window_path, &token, None).await,
        404,
        "not_found",
    )
    .await;

    assert_problem(
        app.authed(Method::GET, "/api/v1/sales?currency=EUR", &token, None)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.authed(
            Method::GET,
            "/api/v1/monitoring/hosts?status=sideways",
            &token,
            None,
        )
        .await,
        400,
        "bad_request",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_expired_preview_cannot_be_confirmed_and_another_replica_sees_a_live_one(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let replica = spawn_replica(&app).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let staged: serde_json::Value = upload(
        &app,
        &token,
        XLSX,
        sample::generate_workbook(4, 2, 0.0, 5).unwrap().bytes,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = staged["id"].as_str().unwrap().to_owned();
    // The preview lives in PostgreSQL, not in the replica that parsed it.
    let seen: serde_json::Value = replica
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/imports/{id}"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["summary"]["parsed"]["hosts"]["valid_rows"], 4);

    sqlx::query("UPDATE import_preview SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_problem(
        replica
            .authed(
                Method::GET,
                &format!("/api/v1/monitoring/imports/{id}"),
                &token,
                None,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        replica
            .authed(
                Method::POST,
                &format!("/api/v1/monitoring/imports/{id}/confirm"),
                &token,
                None,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        (
            count(&pool, "monitored_host").await,
            count(&pool, "sale").await
        ),
        (0, 0)
    );
}

/// An upload's preview is committed before its rows are written (by
/// several connections) and completed after: until then nobody can read,
/// confirm or cancel it, and one cut short goes, rows and all, when the
/// retention sweep finds it expired.
#[sqlx::test(migrations = "../../migrations")]
async fn a_preview_still_being_written_is_invisible_and_swept_with_its_rows(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let staged: serde_json::Value = upload(
        &app,
        &token,
        XLSX,
        sample::generate_workbook(30, 10, 0.0, 9).unwrap().bytes,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = staged["id"].as_str().unwrap().to_owned();
    assert_eq!(count(&pool, "import_host_row").await, 30);
    // As it stands while its rows are still going in.
    sqlx::query("UPDATE import_preview SET complete = false")
        .execute(&pool)
        .await
        .unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/v1/monitoring/imports/{id}")),
        (
            Method::GET,
            format!("/api/v1/monitoring/imports/{id}/hosts"),
        ),
        (
            Method::POST,
            format!("/api/v1/monitoring/imports/{id}/confirm"),
        ),
        (Method::DELETE, format!("/api/v1/monitoring/imports/{id}")),
    ] {
        assert_problem(
            app.authed(method, &path, &token, None).await,
            404,
            "not_found",
        )
        .await;
    }
    assert_eq!(count(&pool, "monitored_host").await, 0);

    sqlx::query("UPDATE import_preview SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let pruned = monitoring::retention::prune(&pool, 90).await.unwrap();
    assert_eq!(pruned.import_previews, 1);
    assert_eq!(
        (
            count(&pool, "import_preview").await,
            count(&pool, "import_host_row").await,
            count(&pool, "import_sale_row").await
        ),
        (0, 0, 0)
    );
}

/// A file that fails halfway, after thousands of its rows were written by
/// the upload's writers (each in its own transaction, some committed):
/// the answer is the parser's problem, and neither the preview nor any row
/// is left behind.
#[sqlx::test(migrations = "../../migrations")]
async fn an_upload_refused_halfway_leaves_no_preview_and_no_rows(pool: PgPool) {
    use std::io::{Read, Write};
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    // 12,000 VPS rows (three batches), then an AKUN sheet whose XML breaks.
    let good = sample::generate_workbook(12_000, 10, 0.0, 11)
        .unwrap()
        .bytes;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
    let mut broken = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = Vec::new();
        part.read_to_end(&mut content).unwrap();
        if name == "xl/worksheets/sheet2.xml" {
            let text = String::from_utf8(content).unwrap();
            let cut = text.find("<row r=\"3\"").expect("the AKUN sheet has rows");
            content = format!(
                "{}<row r=\"3\"><c r=\"A3\" t=\"str\"><v>x</c></row>",
                &text[..cut]
            )
            .into_bytes();
        }
        broken
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        broken.write_all(&content).unwrap();
    }
    let broken = broken.finish().unwrap().into_inner();

    let refused = upload(&app, &token, XLSX, broken).await;
    assert!(
        refused.status().is_client_error(),
        "{}: {}",
        refused.status(),
        refused.text().await.unwrap()
    );
    assert_eq!(
        (
            count(&pool, "import_preview").await,
            count(&pool, "import_host_row").await,
            count(&pool, "import_sale_row").await
        ),
        (0, 0, 0)
    );
}

/// A sheet: its name, its header row and its rows.
type Sheet<'a> = (&'a str, &'a [&'a str], &'a [Vec<&'a str>]);

/// A workbook with exactly these sheets, each a header row and rows of text
/// or numbers as given (an empty string is a blank cell).
fn workbook(sheets: &[Sheet]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, header, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (column, title) in header.iter().enumerate() {
            sheet
                .write_string(0, u16::try_from(column).unwrap(), *title)
                .unwrap();
        }
        for (index, row) in rows.iter().enumerate() {
            let line = u32::try_from(index + 1).unwrap();
            for (column, value) in row.iter().enumerate() {
                let column = u16::try_from(column).unwrap();
                if value.is_empty() {
                    continue;
                }
                match value.parse::<f64>() {
                    Ok(number) => sheet.write_number(line, column, number).unwrap(),
                    Err(_) => sheet.write_string(line, column, *value).unwrap(),
                };
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn confirm(app: &TestApp, token: &str, id: &str, query: &str) -> serde_json::Value {
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm{query}"),
            token,
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_reimport_keeps_what_blank_cells_leave_out_and_matches_names_ignoring_case(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let expires = shop_day(&pool, 90).await;
    for (name, address, price, currency) in [
        ("VPS-Keep", "10.0.0.1", 150_000, "IDR"),
        ("vps-rename", "10.0.0.2", 1_000, "USD"),
        ("No-Price-Column", "10.0.0.3", 75_000, "IDR"),
        // Not ASCII: the database lowercases it for the matching.
        ("Server-Ünïcode", "10.0.0.4", 20_000, "IDR"),
    ] {
        let body = serde_json::json!({ "name": name, "address": address, "port": 22, "price_minor": price, "currency": currency, "expires_on": expires });
        assert_eq!(
            app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let later = shop_day(&pool, 200).await;
    let later_text = later.as_str();
    let bytes = workbook(&[
        (
            "VPS",
            &["name", "ip", "port", "expire_date", "price", "currency"],
            &[
                // Blank expiry, price and currency: nothing changes.
                vec!["VPS-Keep", "10.0.0.1", "22", "", "", ""],
                // Another case and spaces: the same host, renamed, new date,
                // price and currency kept.
                vec![" VPS-RENAME ", "10.0.0.2", "22", later_text, "", ""],
                vec!["VPS-New", "10.0.0.9", "3389", "", "50000", "IDR"],
                vec!["SERVER-ÜNÏCODE", "10.0.0.4", "22", "", "", ""],
            ],
        ),
        (
            "VPS lama",
            &["name", "ip", "port"],
            &[vec!["No-Price-Column", "10.0.0.3", "22"]],
        ),
    ]);
    let response = upload(&app, &token, XLSX, bytes).await;
    assert_eq!(response.status().as_u16(), 201);
    let staged: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        staged["summary"]["hosts"],
        serde_json::json!({ "new": 1, "update": 2, "unchanged": 2, "duplicate": 0, "invalid": 0 })
    );
    let id = staged["id"].as_str().unwrap();
    let updates = host_rows(&app, &token, id, "update").await;
    assert_eq!(updates["total"], 2);
    assert_eq!(
        updates["rows"][1]["changes"],
        serde_json::json!([{ "field": "name", "old": "Server-Ünïcode", "new": "SERVER-ÜNÏCODE" }])
    );
    let row = &updates["rows"][0];
    assert_eq!(
        (&row["status"], &row["row"]),
        (&serde_json::json!("update"), &serde_json::json!(3))
    );
    assert_eq!(
        row["changes"],
        serde_json::json!([
            { "field": "name", "old": "vps-rename", "new": "VPS-RENAME" },
            { "field": "expire_date", "old": expires, "new": later },
        ])
    );
    // Paging: one row at a time, in file order.
    let second: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/imports/{id}/hosts?offset=1&limit=1"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &second["total"],
            second["rows"].as_array().unwrap().len(),
            &second["rows"][0]["name"]
        ),
        (&serde_json::json!(5), 1, &serde_json::json!("VPS-RENAME"))
    );

    let result = confirm(&app, &token, id, "").await;
    assert_eq!(
        (
            &result["hosts_created"],
            &result["hosts_updated"],
            &result["hosts_unchanged"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(2),
            &serde_json::json!(2)
        ),
        "{result}"
    );
    let hosts: Vec<(String, Option<String>, Option<i64>, String)> = sqlx::query_as(
        "SELECT name, expires_on::text, price_minor, currency FROM monitored_host ORDER BY address",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expires_text = expires.clone();
    assert_eq!(
        hosts,
        vec![
            (
                "VPS-Keep".to_owned(),
                Some(expires_text.clone()),
                Some(150_000),
                "IDR".to_owned()
            ),
            (
                "VPS-RENAME".to_owned(),
                Some(later_text.to_owned()),
                Some(1_000),
                "USD".to_owned()
            ),
            (
                "No-Price-Column".to_owned(),
                Some(expires_text.clone()),
                Some(75_000),
                "IDR".to_owned()
            ),
            (
                "SERVER-ÜNÏCODE".to_owned(),
                Some(expires_text),
                Some(20_000),
                "IDR".to_owned()
            ),
            ("VPS-New".to_owned(), None, Some(50_000), "IDR".to_owned()),
        ],
        "blank cells and missing columns kept the stored values"
    );
    let audited: serde_json::Value =
        sqlx::query_scalar("SELECT after FROM audit_log WHERE action = 'import.confirmed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited["file_name"], "data.xlsx");
    assert_eq!(audited["result"]["hosts_created"], 1);
    assert_eq!(audited["rows"]["hosts"]["unchanged"], 2);

    // A host differing only by case cannot be added by hand either.
    let body = serde_json::json!({ "name": "vps-keep", "address": "10.0.0.1", "port": 22 });
    assert_problem(
        app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(body))
            .await,
        409,
        "duplicate_host",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_host_added_while_an_import_is_confirmed_refuses_the_confirm_which_can_be_repeated(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let bytes = workbook(&[(
        "VPS",
        &["name", "ip", "port"],
        &[
            vec!["VPS-Race", "10.0.0.7", "22"],
            vec!["VPS-Calm", "10.0.0.8", "22"],
        ],
    )]);
    let response = upload(&app, &token, XLSX, bytes).await;
    assert_eq!(response.status().as_u16(), 201);
    let staged: serde_json::Value = response.json().await.unwrap();
    let id = staged["id"].as_str().unwrap().to_owned();

    // Another writer adds one of the file's hosts and commits only once the
    // confirm waits for it on the identity index.
    let mut other = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO monitored_host (name, address, port) VALUES ('vps-race', '10.0.0.7', 22)",
    )
    .execute(&mut *other)
    .await
    .unwrap();
    let commit_once_the_confirm_waits = async {
        for _ in 0..200 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event = 'transactionid'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if waiting > 0 {
                other.commit().await.unwrap();
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the confirm never waited for the other writer");
    };
    let confirm_path = format!("/api/v1/monitoring/imports/{id}/confirm");
    let (response, ()) = tokio::join!(
        app.authed(Method::POST, &confirm_path, &token, None),
        commit_once_the_confirm_waits
    );
    assert_problem(response, 409, "hosts_changed").await;
    let written: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM monitored_host), (SELECT count(*) FROM sale)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(written, (1, 0), "nothing of the file was written");

    // The preview stays: confirming again finds the other writer's host.
    let result = confirm(&app, &token, &id, "").await;
    assert_eq!(
        (&result["hosts_created"], &result["hosts_updated"]),
        (&serde_json::json!(1), &serde_json::json!(1)),
        "{result}"
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM monitored_host ORDER BY address")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, ["VPS-Race", "VPS-Calm"]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_cell_holding_a_nul_character_is_a_row_problem_not_a_failed_upload(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let day = shop_day(&pool, -3).await;
    // PostgreSQL text cannot hold NUL; Excel writes it as `_x0000_`.
    let bytes = workbook(&[
        (
            "VPS",
            // An unknown header is listed in the summary, NUL shown as ␀.
            &["name", "ip", "port", "Cat\u{0}atan"],
            &[
                vec!["Bad\u{0}Host", "10.0.0.7", "22", ""],
                vec!["Good", "10.0.0.8", "22", ""],
            ],
        ),
        (
            "AKUN",
            &["date", "name", "merchant"],
            &[vec![day.as_str(), "Netflix", "Sh\u{0}opee"]],
        ),
    ]);
    let response = upload(&app, &token, XLSX, bytes).await;
    assert_eq!(response.status().as_u16(), 201);
    let staged: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (
            &staged["summary"]["hosts"]["invalid"],
            &staged["summary"]["hosts"]["new"]
        ),
        (&serde_json::json!(1), &serde_json::json!(1)),
        "{staged}"
    );
    assert_eq!(staged["summary"]["account_sales"]["invalid"], 1, "{staged}");
    assert!(staged.to_string().contains("Cat\u{2400}atan"), "{staged}");
    assert_eq!(staged["hosts"]["rows"][0]["problems"][0]["field"], "name");
    let id = staged["id"].as_str().unwrap();
    let result = confirm(&app, &token, id, "").await;
    assert_eq!(result["hosts_created"], 1, "{result}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn account_sales_already_in_the_book_or_the_file_are_skipped_unless_asked(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let day = shop_day(&pool, -3).await;
    let day_text = day.as_str();
    let sale = serde_json::json!({ "kind": "account", "sold_on": day, "name": "Netflix", "merchant": "Shopee", "item_type": "premium", "qty": 2, "price_minor": 45000, "currency": "IDR" });
    assert_eq!(
        app.authed(Method::POST, "/api/v1/sales", &token, Some(sale))
            .await
            .status()
            .as_u16(),
        201
    );
    let header: &[&str] = &[
        "date", "name", "merchant", "type", "qty", "price", "currency",
    ];
    let rows = vec![
        vec![
            day_text, "Netflix", "Shopee", "premium", "2", "45000", "IDR",
        ],
        vec![day_text, "Canva", "Tokopedia", "", "1", "20000", "IDR"],
        vec![day_text, "Canva", "Tokopedia", "", "", "20000", "IDR"],
        vec![day_text, "Canva", "Tokopedia", "", "3", "20000", "IDR"],
        vec!["not a date", "Broken", "", "", "", "", ""],
    ];
    let bytes = workbook(&[("AKUN", header, &rows)]);
    let staged: serde_json::Value = upload(&app, &token, XLSX, bytes.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        staged["summary"]["account_sales"],
        serde_json::json!({ "new": 2, "update": 0, "unchanged": 0, "duplicate": 2, "invalid": 1 })
    );
    let id = staged["id"].as_str().unwrap();
    let duplicates: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/imports/{id}/account-sales?status=duplicate"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let duplicate_rows: Vec<u64> = duplicates["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["row"].as_u64().unwrap())
        .collect();
    assert_eq!(
        duplicate_rows,
        [2, 4],
        "the book's sale, and a blank qty equal to 1"
    );
    let problems: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/monitoring/imports/{id}/account-sales?status=invalid"),
            &token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&problems["total"], &problems["rows"][0]["row"]),
        (&serde_json::json!(1), &serde_json::json!(6))
    );

    let result = confirm(&app, &token, id, "").await;
    assert_eq!(
        (
            &result["account_sales_created"],
            &result["account_sales_duplicates_skipped"],
            &result["rows_skipped"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(2),
            &serde_json::json!(1)
        )
    );
    let in_book = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sale WHERE kind = 'account'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(in_book().await, 3);

    // Ticked "import duplicates too": every valid row goes in.
    let staged: serde_json::Value = upload(&app, &token, XLSX, bytes)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staged["summary"]["account_sales"]["duplicate"], 4);
    let id = staged["id"].as_str().unwrap();
    let result = confirm(&app, &token, id, "?include_duplicates=true").await;
    assert_eq!(result["account_sales_created"], 4, "{result}");
    assert_eq!(in_book().await, 7);

    // A cancelled preview is audited with its file name and counts.
    let staged: serde_json::Value =
        upload(&app, &token, XLSX, workbook(&[("AKUN", header, &rows)]))
            .await
            .json()
            .await
            .unwrap();
    let id = staged["id"].as_str().unwrap();
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/monitoring/imports/{id}"),
            &token,
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    let cancelled: serde_json::Value =
        sqlx::query_scalar("SELECT before FROM audit_log WHERE action = 'import.cancelled'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cancelled["file_name"], "data.xlsx");
    assert_eq!(cancelled["rows"]["account_sales"]["duplicate"], 4);
    assert_eq!(count(&pool, "import_sale_row").await, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn sale_edits_and_deletes_keep_the_whole_sale_before_and_after(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "finance@example.test", "finance").await;
    let sale = serde_json::json!({ "kind": "account", "sold_on": shop_day(&pool, -1).await, "name": "Spotify", "qty": 1, "price_minor": 30000 });
    let created: serde_json::Value = app
        .authed(Method::POST, "/api/v1/sales", &token, Some(sale.clone()))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let mut changed = sale.clone();
    changed["price_minor"] = serde_json::json!(35000);
    let updated: serde_json::Value = app
        .authed(
            Method::PUT,
            &format!("/api/v1/sales/{id}"),
            &token,
            Some(changed),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.authed(Method::DELETE, &format!("/api/v1/sales/{id}"), &token, None)
            .await
            .status()
            .as_u16(),
        204
    );
    let entries: Vec<(String, Option<serde_json::Value>, Option<serde_json::Value>)> =
        sqlx::query_as(
            "SELECT action, before, after FROM audit_log WHERE entity_type = 'sale' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        entries,
        vec![
            ("sale.created".to_owned(), None, Some(created.clone())),
            (
                "sale.updated".to_owned(),
                Some(created),
                Some(updated.clone())
            ),
            ("sale.deleted".to_owned(), Some(updated), None),
        ]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn prices_quantities_and_dates_have_bounds_and_the_largest_survive_totals_and_export(
    pool: PgPool,
) {
    use monitoring::bounds::{MAX_DATE, MAX_PRICE_MINOR, MAX_QTY, MIN_DATE};
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let too_much = serde_json::json!({ "kind": "account", "sold_on": "2100-01-01", "name": "X", "qty": MAX_QTY + 1, "price_minor": MAX_PRICE_MINOR + 1 });
    let problem = assert_problem(
        app.authed(Method::POST, "/api/v1/sales", &token, Some(too_much))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["qty", "price_minor", "sold_on"], "{problem}");
    let host = serde_json::json!({ "name": "Big", "address": "10.0.0.1", "port": 22, "price_minor": MAX_PRICE_MINOR + 1, "expires_on": "1999-12-31" });
    let problem = assert_problem(
        app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(host))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    assert_eq!(count(&pool, "sale").await, 0);

    // The largest accepted values, by hand...
    let host = serde_json::json!({ "name": "Big", "address": "10.0.0.1", "port": 22, "price_minor": MAX_PRICE_MINOR, "currency": "USD", "expires_on": MAX_DATE });
    assert_eq!(
        app.authed(Method::POST, "/api/v1/monitoring/hosts", &token, Some(host))
            .await
            .status()
            .as_u16(),
        201
    );
    let sale = serde_json::json!({ "kind": "account", "sold_on": MIN_DATE, "name": "Whale", "qty": MAX_QTY, "price_minor": MAX_PRICE_MINOR });
    assert_eq!(
        app.authed(Method::POST, "/api/v1/sales", &token, Some(sale))
            .await
            .status()
            .as_u16(),
        201
    );
    // ...and a thousand of them: far beyond what a 64-bit total holds.
    sqlx::query(
        "INSERT INTO sale (kind, sold_on, name, qty, price_minor, currency)
         SELECT 'account', $1, 'Whale', $2, $3, 'IDR' FROM generate_series(1, 999)",
    )
    .bind(MIN_DATE)
    .bind(MAX_QTY)
    .bind(MAX_PRICE_MINOR)
    .execute(&pool)
    .await
    .unwrap();
    let book: serde_json::Value = app
        .authed(Method::GET, "/api/v1/sales?kind=account", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(book["items"][0]["price_minor"], MAX_PRICE_MINOR);
    let total = &book["totals"][0];
    let expected =
        1000_u128 * u128::try_from(MAX_QTY).unwrap() * u128::try_from(MAX_PRICE_MINOR).unwrap();
    assert!(expected > u128::try_from(i64::MAX).unwrap());
    assert_eq!(
        total["amount_minor"].to_string(),
        expected.to_string(),
        "{total}"
    );

    let response = app
        .authed(Method::GET, "/api/v1/monitoring/export", &token, None)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let staged: serde_json::Value =
        upload(&app, &token, XLSX, response.bytes().await.unwrap().to_vec())
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(
        (
            &staged["summary"]["hosts"]["unchanged"],
            &staged["summary"]["account_sales"]["duplicate"],
            &staged["summary"]["parsed"]["hosts"]["rows_with_problems"],
            &staged["summary"]["parsed"]["account_sales"]["rows_with_problems"],
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1000),
            &serde_json::json!(0),
            &serde_json::json!(0)
        ),
        "the largest values read back exactly: {}",
        staged["summary"]
    );
}

async fn post_host(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.authed(Method::POST, "/api/v1/monitoring/hosts", token, Some(body))
        .await
}

/// Issue 9: monitored hosts are not an internal port scanner. Loopback,
/// link-local (the cloud metadata service), unspecified and multicast
/// addresses are refused for everyone; private ranges only for the owner
/// and sysadmins (or with MONITOR_ALLOW_PRIVATE_ADDRESSES); nothing is
/// written when refused.
#[sqlx::test(migrations = "../../migrations")]
async fn hosts_on_refused_addresses_are_422_and_private_ones_need_the_permission(pool: PgPool) {
    // The production rules: no loopback switch.
    let app = spawn_app_with(
        pool.clone(),
        &[("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", "false")],
    )
    .await;
    let business = staff_token(&app, "biz@example.test", "business").await;
    let sysadmin = staff_token(&app, "ops@example.test", "sysadmin").await;
    for (index, address) in [
        "127.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "fe80::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "255.255.255.255",
    ]
    .iter()
    .enumerate()
    {
        for token in [&business, &sysadmin] {
            let body = serde_json::json!({ "name": format!("BAD-{index}"), "address": address, "port": 22 });
            let problem =
                assert_problem(post_host(&app, token, body).await, 422, "validation_failed").await;
            let errors = problem["errors"].as_array().unwrap();
            assert!(
                errors
                    .iter()
                    .any(|error| error["field"] == "address"
                        && error["code"] == "address_not_allowed"),
                "{address}: {problem}"
            );
        }
    }
    for (index, address) in [
        "10.1.2.3",
        "172.16.5.4",
        "192.168.1.10",
        "100.64.0.9",
        "fd00::5",
    ]
    .iter()
    .enumerate()
    {
        let body = serde_json::json!({ "name": format!("LAN-{index}"), "address": address, "port": 22, "record_sale": false });
        let refused = assert_problem(
            post_host(&app, &business, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(refused.to_string().contains("private"), "{refused}");
        assert_eq!(
            post_host(&app, &sysadmin, body).await.status().as_u16(),
            201,
            "{address}"
        );
    }
    assert_eq!(
        count(&pool, "monitored_host").await,
        5,
        "only the sysadmin's private hosts"
    );
    // Editing onto a refused address is refused too.
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM monitored_host")
        .fetch_one(&pool)
        .await
        .unwrap();
    let edit = serde_json::json!({ "name": "LAN-0", "address": "169.254.169.254", "port": 80 });
    assert_problem(
        app.authed(
            Method::PUT,
            &format!("/api/v1/monitoring/hosts/{id}"),
            &sysadmin,
            Some(edit),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // Names are checked when they resolve, not when saved.
    let named = serde_json::json!({ "name": "NAMED", "address": "localhost", "port": 22, "record_sale": false });
    assert_eq!(
        post_host(&app, &business, named).await.status().as_u16(),
        201
    );

    // The shop-wide switch opens private ranges to business staff too.
    let open = spawn_app_with(
        pool.clone(),
        &[
            ("MONITOR_ALLOW_PRIVATE_ADDRESSES", "true"),
            ("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", "false"),
        ],
    )
    .await;
    let body = serde_json::json!({ "name": "LAN-OPEN", "address": "10.9.9.9", "port": 22, "record_sale": false });
    assert_eq!(
        post_host(&open, &business, body).await.status().as_u16(),
        201
    );
    let body = serde_json::json!({ "name": "META", "address": "169.254.169.254", "port": 80 });
    assert_problem(
        post_host(&open, &business, body).await,
        422,
        "validation_failed",
    )
    .await;
}

/// Seed 000 lists every VPS on its dashboard: new hosts are public unless
/// the shop's setting says otherwise, for hosts added by hand and imported
/// alike; owner and sysadmins change the setting.
#[sqlx::test(migrations = "../../migrations")]
async fn new_hosts_follow_the_shops_public_setting(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let owner = staff_token(&app, "owner@example.test", "owner").await;
    let business = staff_token(&app, "biz@example.test", "business").await;
    let settings: serde_json::Value = app
        .authed(Method::GET, "/api/v1/monitoring/settings", &owner, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["new_hosts_public"], true, "on by default");
    let body = serde_json::json!({ "name": "VPS-NEW", "address": "127.0.0.1", "port": 22 });
    let created: serde_json::Value = post_host(&app, &business, body).await.json().await.unwrap();
    assert_eq!(created["is_public"], true);

    // Business staff may not change the setting; the owner may.
    let off = serde_json::json!({ "new_hosts_public": false });
    assert_eq!(
        app.authed(
            Method::PUT,
            "/api/v1/monitoring/settings",
            &business,
            Some(off.clone())
        )
        .await
        .status()
        .as_u16(),
        403
    );
    let saved = app
        .authed(
            Method::PUT,
            "/api/v1/monitoring/settings",
            &owner,
            Some(off),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    let body = serde_json::json!({ "name": "VPS-HIDDEN", "address": "127.0.0.1", "port": 23 });
    let created: serde_json::Value = post_host(&app, &business, body).await.json().await.unwrap();
    assert_eq!(created["is_public"], false);
    // An explicit choice wins over the setting.
    let body = serde_json::json!({ "name": "VPS-SHOWN", "address": "127.0.0.1", "port": 24, "is_public": true });
    let created: serde_json::Value = post_host(&app, &business, body).await.json().await.unwrap();
    assert_eq!(created["is_public"], true);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'monitor_settings.updated'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The import applies the same setting: off, so imported hosts are private...
    let token = staff_token(&app, "admin@example.test", "sysadmin").await;
    let workbook = sample::generate_workbook(3, 0, 0.0, 1).unwrap().bytes;
    let preview: serde_json::Value = upload(&app, &token, XLSX, workbook)
        .await
        .json()
        .await
        .unwrap();
    let id = preview["id"].as_str().unwrap();
    let confirmed = app
        .authed(
            Method::POST,
            &format!("/api/v1/monitoring/imports/{id}/confirm"),
            &token,
            None,
        )
        .await;
    assert_eq!(confirmed.status().as_u16(), 200);
    let imported: Vec<bool> = sqlx::query_scalar(
        "SELECT is_public FROM monitored_host WHERE name NOT IN ('VPS-NEW', 'VPS-HIDDEN', 'VPS-SHOWN')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        !imported.is_empty() && imported.iter().all(|public| !public),
        "{imported:?}"
    );
}

/// Bulk publish/unpublish from the hosts list: selected rows, or every host
/// matching the list's filter; audited with the ids.
#[sqlx::test(migrations = "../../migrations")]
async fn hosts_are_published_and_unpublished_in_bulk(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "biz@example.test", "business").await;
    let mut ids = Vec::new();
    for (name, port) in [("JKT-1", 1), ("JKT-2", 2), ("SG-1", 3), ("SG-2", 4)] {
        let body = serde_json::json!({ "name": name, "address": "127.0.0.1", "port": port, "is_public": false, "record_sale": false });
        let created: serde_json::Value = post_host(&app, &token, body).await.json().await.unwrap();
        ids.push(created["id"].as_i64().unwrap());
    }
    let public = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT name FROM monitored_host WHERE is_public ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let visibility = |body: serde_json::Value| {
        app.authed(
            Method::POST,
            "/api/v1/monitoring/hosts/visibility",
            &token,
            Some(body),
        )
    };
    let answer: serde_json::Value =
        visibility(serde_json::json!({ "is_public": true, "ids": [ids[0], ids[2]] }))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(answer["updated"], 2);
    assert_eq!(public(pool.clone()).await, ["JKT-1", "SG-1"]);

    let answer: serde_json::Value =
        visibility(serde_json::json!({ "is_public": true, "all_matching": { "q": "sg" } }))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(answer["updated"], 1, "SG-1 was public already");
    assert_eq!(public(pool.clone()).await, ["JKT-1", "SG-1", "SG-2"]);

    let answer: serde_json::Value =
        visibility(serde_json::json!({ "is_public": false, "all_matching": {} }))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(answer["updated"], 3);
    assert!(public(pool.clone()).await.is_empty());

    for bad in [
        serde_json::json!({ "is_public": true }),
        serde_json::json!({ "is_public": true, "ids": [1], "all_matching": {} }),
    ] {
        assert_problem(visibility(bad).await, 422, "validation_failed").await;
    }
    let audited: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT action, after FROM audit_log WHERE action LIKE 'host.%published' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 3);
    assert_eq!(audited[0].1["ids"], serde_json::json!([ids[0], ids[2]]));
    assert_eq!(audited[2].0, "host.unpublished");
}

/// The audit log can settle a dispute: a host edit records the full host
/// before and after, a delete the full host before.
#[sqlx::test(migrations = "../../migrations")]
async fn host_edits_and_deletes_are_audited_with_before_and_after(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "biz@example.test", "business").await;
    let body = serde_json::json!({ "name": "VPS-AUDIT", "address": "127.0.0.1", "port": 22, "price_minor": 150000, "notes": "first" });
    let created: serde_json::Value = post_host(&app, &token, body).await.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let edit = serde_json::json!({ "name": "VPS-AUDIT", "address": "127.0.0.1", "port": 2222, "price_minor": 175000, "notes": "moved" });
    let path = format!("/api/v1/monitoring/hosts/{id}");
    assert_eq!(
        app.authed(Method::PUT, &path, &token, Some(edit))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.authed(Method::DELETE, &path, &token, None)
            .await
            .status()
            .as_u16(),
        204
    );

    let rows: Vec<(String, Option<serde_json::Value>, Option<serde_json::Value>)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE entity_type = 'monitored_host' AND entity_id = $1 ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|(action, _, _)| action.as_str()).collect();
    assert_eq!(actions, ["host.created", "host.updated", "host.deleted"]);
    let (_, before, after) = &rows[1];
    let (before, after) = (before.as_ref().unwrap(), after.as_ref().unwrap());
    assert_eq!(
        (before["port"].as_i64(), after["port"].as_i64()),
        (Some(22), Some(2222))
    );
    assert_eq!(
        (
            before["price_minor"].as_i64(),
            after["price_minor"].as_i64()
        ),
        (Some(150000), Some(175000))
    );
    assert_eq!(
        (before["notes"].as_str(), after["notes"].as_str()),
        (Some("first"), Some("moved"))
    );
    let (_, before, after) = &rows[2];
    assert_eq!(
        before.as_ref().unwrap()["port"],
        2222,
        "the deleted host in full"
    );
    assert_eq!(before.as_ref().unwrap()["name"], "VPS-AUDIT");
    assert!(after.is_none());
}

/// A preview's `VPS` rows with one status.
async fn host_rows(app: &TestApp, token: &str, id: &str, status: &str) -> serde_json::Value {
    app.authed(
        Method::GET,
        &format!("/api/v1/monitoring/imports/{id}/hosts?status={status}"),
        token,
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_import_follows_the_rules_of_adding_a_host_by_hand(pool: PgPool) {
    let app = spawn_app_with(
        pool.clone(),
        &[("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", "false")],
    )
    .await;
    let owner = staff_token(&app, "owner@example.test", "owner").await;
    let business = staff_token(&app, "biz@example.test", "business").await;
    let past = shop_day(&pool, -10).await;
    let earlier = shop_day(&pool, -20).await;
    let future = shop_day(&pool, 30).await;
    for (name, address, currency, expires) in [
        ("VPS-Dollar", "203.0.113.10", "USD", &future),
        ("VPS-Lapsed", "203.0.113.11", "IDR", &past),
        ("VPS-Renewed", "203.0.113.12", "IDR", &past),
    ] {
        let body = serde_json::json!({ "name": name, "address": address, "port": 22, "price_minor": 1_000, "currency": currency, "expires_on": expires });
        assert_eq!(post_host(&app, &owner, body).await.status().as_u16(), 201);
    }
    // Both lapsed hosts were announced EXPIRED once.
    sqlx::query("UPDATE monitored_host SET expiry_notified = true WHERE name <> 'VPS-Dollar'")
        .execute(&pool)
        .await
        .unwrap();

    let bytes = workbook(&[(
        "VPS",
        &["name", "ip", "port", "expire_date", "price", "currency"],
        &[
            // Never probed: the cloud metadata service and loopback.
            vec!["META", "169.254.169.254", "80", "", "", ""],
            vec!["SELF", "127.0.0.1", "22", "", "", ""],
            // A private network: only the owner or a sysadmin.
            vec!["LAN", "10.1.2.3", "22", "", "", ""],
            // Rupiah-looking price for a host kept in dollars: refused.
            vec!["VPS-Dollar", "203.0.113.10", "22", "", "150000", ""],
            // Another past date is not a renewal; today or later is.
            vec!["VPS-Lapsed", "203.0.113.11", "22", earlier.as_str(), "", ""],
            vec!["VPS-Renewed", "203.0.113.12", "22", future.as_str(), "", ""],
            // One new host named twice: created once, the lower row wins.
            vec!["VPS-Twice", "203.0.113.20", "22", "", "10000", "IDR"],
            vec!["vps-twice ", "203.0.113.20", "22", "", "20000", "IDR"],
        ],
    )]);

    // Business staff: the private address is refused as well.
    let response = upload(&app, &business, XLSX, bytes.clone()).await;
    let status = response.status().as_u16();
    let staged: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["summary"]["hosts"]["invalid"], 4, "{staged}");
    let cancel = app
        .authed(
            Method::DELETE,
            &format!(
                "/api/v1/monitoring/imports/{}",
                staged["id"].as_str().unwrap()
            ),
            &business,
            None,
        )
        .await;
    assert!(cancel.status().is_success());

    let response = upload(&app, &owner, XLSX, bytes).await;
    assert_eq!(response.status().as_u16(), 201);
    let staged: serde_json::Value = response.json().await.unwrap();
    let id = staged["id"].as_str().unwrap();
    assert_eq!(
        staged["summary"]["hosts"],
        serde_json::json!({ "new": 2, "update": 2, "unchanged": 0, "duplicate": 1, "invalid": 3 }),
        "{staged}"
    );
    assert_eq!(
        (
            &staged["summary"]["parsed"]["hosts"]["valid_rows"],
            &staged["summary"]["parsed"]["hosts"]["rows_with_problems"]
        ),
        (&serde_json::json!(5), &serde_json::json!(3))
    );
    let invalid = host_rows(&app, &owner, id, "invalid").await;
    let codes: Vec<(String, String)> = invalid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["name"].as_str().unwrap().to_owned(),
                row["problems"][0]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("META", "address_not_allowed"),
            ("SELF", "address_not_allowed"),
            ("VPS-Dollar", "currency_required"),
        ]
        .map(|(name, code)| (name.to_owned(), code.to_owned()))
    );
    let duplicate = host_rows(&app, &owner, id, "duplicate").await;
    assert_eq!(duplicate["rows"][0]["row"], 9, "{duplicate}");

    let result = confirm(&app, &owner, id, "").await;
    assert_eq!(
        (
            &result["hosts_created"],
            &result["hosts_updated"],
            &result["rows_skipped"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(2),
            &serde_json::json!(3)
        ),
        "{result}"
    );
    let hosts: Vec<(String, Option<i64>, String, bool)> = sqlx::query_as(
        "SELECT name, price_minor, currency, expiry_notified FROM monitored_host ORDER BY address",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        hosts,
        vec![
            ("LAN".to_owned(), None, "IDR".to_owned(), false),
            (
                "VPS-Dollar".to_owned(),
                Some(1_000),
                "USD".to_owned(),
                false
            ),
            ("VPS-Lapsed".to_owned(), Some(1_000), "IDR".to_owned(), true),
            (
                "VPS-Renewed".to_owned(),
                Some(1_000),
                "IDR".to_owned(),
                false
            ),
            (
                "vps-twice".to_owned(),
                Some(20_000),
                "IDR".to_owned(),
                false
            ),
        ],
        "the dollar host kept its price, only the renewal cleared the flag, the twice-named host exists once"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_host_limits_the_schema_shows_are_the_ones_the_server_enforces(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = staff_token(&app, "owner@example.test", "owner").await;
    let document: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let properties = document["components"]["schemas"]["HostInput"]["properties"]
        .as_object()
        .unwrap()
        .clone();
    let mut checked = Vec::new();
    for (field, schema) in &properties {
        let base = |value: serde_json::Value| {
            let mut body = serde_json::json!({ "name": format!("LIMIT-{field}"), "address": "203.0.113.1", "port": 22 });
            body[field.as_str()] = value;
            body
        };
        let mut edges = Vec::new();
        if let Some(max) = schema["maxLength"].as_u64() {
            let max = usize::try_from(max).unwrap();
            edges.push((serde_json::json!("x".repeat(max)), true));
            edges.push((serde_json::json!("x".repeat(max + 1)), false));
        }
        if let Some(max) = schema["maximum"].as_i64() {
            edges.push((serde_json::json!(max), true));
            edges.push((serde_json::json!(max + 1), false));
        }
        if let Some(min) = schema["minimum"].as_i64() {
            edges.push((serde_json::json!(min - 1), false));
        }
        if edges.is_empty() {
            continue;
        }
        checked.push(field.clone());
        for (value, accepted) in edges {
            let response = post_host(&app, &token, base(value.clone())).await;
            if accepted {
                assert_eq!(response.status().as_u16(), 201, "{field} = {value}");
                let id = response.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap();
                let gone = app
                    .authed(
                        Method::DELETE,
                        &format!("/api/v1/monitoring/hosts/{id}"),
                        &token,
                        None,
                    )
                    .await;
                assert_eq!(gone.status().as_u16(), 204);
            } else {
                let problem = assert_problem(response, 422, "validation_failed").await;
                assert!(
                    problem["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|error| error["field"] == field.as_str()),
                    "{field} = {value}: {problem}"
                );
            }
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "check_interval_seconds",
            "failures_before_down",
            "name",
            "notes",
            "port",
            "price_minor",
            "renotify_minutes"
        ]
    );

    // A field left out is stored as the schema's default says.
    let response = post_host(
        &app,
        &token,
        serde_json::json!({ "name": "DEFAULTS", "address": "203.0.113.1", "port": 22 }),
    )
    .await;
    let host: serde_json::Value = response.json().await.unwrap();
    for field in ["check_interval_seconds", "failures_before_down"] {
        assert_eq!(host[field], properties[field]["default"], "{field}");
    }
}

/// A large confirm leaves the tables' statistics to a job: every replica
/// handles it (a kind nobody registered would wait in the queue forever).
#[sqlx::test(migrations = "../../migrations")]
async fn the_statistics_job_a_large_import_queues_runs_to_done(pool: PgPool) {
    let _app = spawn_app(pool.clone()).await;
    let mut conn = pool.acquire().await.unwrap();
    let import = uuid::Uuid::new_v4();
    let job = jobs::enqueue(
        &mut conn,
        jobs::NewJob::new(monitoring::import::ANALYZE_JOB, &import).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let started = Instant::now();
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM job WHERE id = $1")
            .bind(job)
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "done" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the statistics job is still {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
