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
    let summary = &staged["preview"]["summary"];
    let (host_total, host_valid) = (
        summary["hosts"]["total_rows"].as_u64().unwrap(),
        summary["hosts"]["valid_rows"].as_u64().unwrap(),
    );
    assert_eq!(host_total, 40);
    assert!(
        host_valid < 40,
        "the generator's defective rows are flagged"
    );
    let flagged = staged["preview"]["hosts"]
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
    assert_eq!(again["preview"], staged["preview"]);

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
    let summary = &staged["preview"]["summary"];
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
    let usd = staged["preview"]["hosts"]
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
            result["hosts_updated"].as_i64()
        ),
        (Some(0), Some(3))
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
    let replica = spawn_replica(&app).await;
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

    let alert = fake
        .wait_for_sent(
            |message| message.chat_id == 5005 && message.content().contains("VPS-DOWN"),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert!(alert.content().contains("DOWN"), "{}", alert.content());
    // Each host was checked once, by one of the two replicas.
    let checks: Vec<i32> = sqlx::query_scalar("SELECT checks FROM host_check_hourly")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(checks, [1, 1, 1]);
    drop(listener);
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
    assert_eq!(seen["preview"]["summary"]["hosts"]["valid_rows"], 4);

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
