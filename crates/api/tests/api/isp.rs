//! ISP customers on MikroTik (seed 004) against the sandbox's RouterOS fake
//! over the real binary API: seed 004's four scenarios, a router that
//! cannot be read (customers keep their status, stale), two replicas
//! syncing one router (one sync at a time), Test connection's precise
//! errors, isolation by the billing lifecycle and its restoration on
//! payment (each router call once), and the customers' import and export.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use sandbox::routeros::{RouterOsFake, RouterOsFakeConfig, RouterOsFakeHandle};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_replica};

async fn fake_router() -> RouterOsFakeHandle {
    RouterOsFake::start(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        RouterOsFakeConfig::default(),
    )
    .await
    .expect("the RouterOS fake starts")
}

async fn add_router(app: &TestApp, sysadmin: &str, fake: &RouterOsFakeHandle, extra: Value) -> i64 {
    let mut body = json!({
        "name": "Core Sempu", "host": "127.0.0.1", "port": fake.api_addr().port(),
        "transport": "api", "username": fake.username(), "password": fake.password(),
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let created = app
        .authed(Method::POST, "/api/v1/isp/routers", sysadmin, Some(body))
        .await;
    assert_eq!(created.status().as_u16(), 201, "{}", created.text().await.unwrap());
    let router: Value = created.json().await.unwrap();
    assert!(
        !router.to_string().contains(fake.password()),
        "the password never comes back: {router}"
    );
    router["id"].as_i64().unwrap()
}

async fn add_customer(app: &TestApp, token: &str, body: Value) -> i64 {
    let created = app
        .authed(Method::POST, "/api/v1/isp/customers", token, Some(body))
        .await;
    assert_eq!(created.status().as_u16(), 201, "{}", created.text().await.unwrap());
    created.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn sync_now(app: &TestApp, token: &str, router: i64) -> Value {
    let synced = app
        .authed(Method::POST, &format!("/api/v1/isp/routers/{router}/sync"), token, None)
        .await;
    assert_eq!(synced.status().as_u16(), 200, "{}", synced.text().await.unwrap());
    synced.json().await.unwrap()
}

async fn customer(app: &TestApp, token: &str, id: i64) -> Value {
    app.authed(Method::GET, &format!("/api/v1/isp/customers/{id}"), token, None)
        .await
        .json()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn seed_004_scenarios_online_and_offline_follow_the_routers_active_list(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("cs@isp.test", &["business"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let without_pppoe = add_customer(
        &app,
        &business,
        json!({"name": "Tanpa PPPoE", "router_id": router, "latitude": -8.41, "longitude": 112.70}),
    )
    .await;
    // Stored in another case than the router has it: matched ignoring case.
    let egi = add_customer(
        &app,
        &business,
        json!({"name": "Egi Setiawan Sempu", "pppoe_username": "EgiSetiawanSempu",
               "router_id": router, "latitude": -8.4095, "longitude": 112.7035}),
    )
    .await;
    // Someone else logged in on the router, not a customer of ours.
    fake.log_in("usertest", Some("10.10.10.3"), Some("AA:BB:CC:DD:EE:FF"))
        .expect("usertest logs in");

    // Tests 1 and 2: no PPPoE name, and not logged in: both offline.
    let report = sync_now(&app, &business, router).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["message"],
        "Status updated: 1 active connections, 0 customers online"
    );
    assert_eq!(customer(&app, &business, without_pppoe).await["connection"], "offline");
    assert_eq!(customer(&app, &business, egi).await["connection"], "offline");

    // Test 3: the customer logs in; Sync now shows them online.
    fake.log_in("egisetiawansempu", Some("10.10.10.2"), Some("00:11:22:33:44:55"))
        .expect("egi logs in");
    let report = sync_now(&app, &business, router).await;
    assert_eq!(
        report["message"],
        "Status updated: 2 active connections, 1 customers online"
    );
    assert_eq!(report["went_online"], 1);
    let online = customer(&app, &business, egi).await;
    assert_eq!(online["connection"], "online", "{online}");
    assert_eq!(online["session_address"], "10.10.10.2");
    assert_eq!(online["session_caller_id"], "00:11:22:33:44:55");
    assert_eq!(online["stale"], false);
    let markers: Vec<Value> = app
        .authed(Method::GET, "/api/v1/isp/customers/markers", &business, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(markers.len(), 2);
    let marker = markers.iter().find(|m| m["id"] == egi).unwrap();
    assert_eq!(marker["connection"], "online");
    let page: Value = app
        .authed(Method::GET, "/api/v1/isp/customers?connection=online", &business, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page["total"].as_i64(), page["online"].as_i64()), (Some(1), Some(1)));

    // A steady sync writes nothing: the session is the same one.
    let report = sync_now(&app, &business, router).await;
    assert_eq!((report["went_online"].as_i64(), report["went_offline"].as_i64()), (Some(0), Some(0)));

    // Test 4: the customer disconnects; Sync now shows them offline.
    assert!(fake.log_out("egisetiawansempu"));
    let report = sync_now(&app, &business, router).await;
    assert_eq!(report["went_offline"], 1, "{report}");
    let offline = customer(&app, &business, egi).await;
    assert_eq!(offline["connection"], "offline");
    assert_eq!(offline["session_address"], Value::Null);
    assert!(offline["last_seen_at"].is_string(), "{offline}");

    let log: Vec<Value> = app
        .authed(Method::GET, &format!("/api/v1/isp/routers/{router}/syncs"), &business, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0]["trigger"], "manual");
    let router_view: Value = app
        .authed(Method::GET, &format!("/api/v1/isp/routers/{router}"), &business, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(router_view["last_active_connections"], 1);
    assert_eq!(router_view["last_customers_online"], 0);
    assert_eq!(router_view["last_sync_ok"], true);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_unreachable_router_leaves_the_last_status_marked_stale(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let egi = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
    )
    .await;
    fake.log_in("egisetiawansempu", None, None).unwrap();
    sync_now(&app, &sysadmin, router).await;
    assert_eq!(customer(&app, &sysadmin, egi).await["connection"], "online");

    // `/ip service disable api`: the connection is refused.
    fake.set_api_enabled(false);
    let report = sync_now(&app, &sysadmin, router).await;
    assert_eq!(report["ok"], false, "{report}");
    let message = report["message"].as_str().unwrap();
    assert!(message.contains("/ip service enable api"), "{message}");
    let kept = customer(&app, &sysadmin, egi).await;
    assert_eq!(kept["connection"], "online", "not everyone offline: {kept}");
    assert_eq!(kept["stale"], true);
    let test: Value = app
        .authed(Method::POST, &format!("/api/v1/isp/routers/{router}/test"), &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], false);
    assert!(test["message"].as_str().unwrap().contains("refused"), "{test}");

    fake.set_api_enabled(true);
    sync_now(&app, &sysadmin, router).await;
    assert_eq!(customer(&app, &sysadmin, egi).await["stale"], false);
}

#[sqlx::test(migrations = "../../migrations")]
async fn test_connection_reports_identity_version_sessions_or_the_precise_error(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("cs@isp.test", &["business"]).await;
    let fake = fake_router().await;
    fake.log_in("a", None, None).unwrap();
    fake.log_in("b", None, None).unwrap();
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let path = format!("/api/v1/isp/routers/{router}/test");
    let test: Value = app
        .authed(Method::POST, &path, &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["identity"], fake.identity());
    assert_eq!(test["active_sessions"], 2);
    assert!(test["version"].as_str().unwrap().starts_with('7'), "{test}");

    // Business staff may sync but not test or change routers.
    assert_problem(app.authed(Method::POST, &path, &business, None).await, 403, "forbidden")
        .await;
    // A wrong password is named as such; a blank one on an update keeps it.
    let update = |password: Option<&str>| {
        let mut body = json!({
            "name": "Core Sempu", "host": "127.0.0.1", "port": fake.api_addr().port(),
            "transport": "api", "username": fake.username(),
        });
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        body
    };
    let saved = app
        .authed(Method::PUT, &format!("/api/v1/isp/routers/{router}"), &sysadmin, Some(update(Some("salah"))))
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    let test: Value = app.authed(Method::POST, &path, &sysadmin, None).await.json().await.unwrap();
    assert_eq!(test["ok"], false);
    assert!(
        test["message"].as_str().unwrap().contains("user name or password"),
        "{test}"
    );
    app.authed(Method::PUT, &format!("/api/v1/isp/routers/{router}"), &sysadmin, Some(update(Some(fake.password()))))
        .await;
    app.authed(Method::PUT, &format!("/api/v1/isp/routers/{router}"), &sysadmin, Some(update(None)))
        .await;
    let test: Value = app.authed(Method::POST, &path, &sysadmin, None).await.json().await.unwrap();
    assert_eq!(test["ok"], true, "the stored password was kept: {test}");

    // Bad input is refused field by field and writes nothing.
    let refused = app
        .authed(
            Method::POST,
            "/api/v1/isp/routers",
            &sysadmin,
            Some(json!({"name": "", "host": "http://x/", "transport": "api", "username": "u",
                        "isolation_mode": "profile", "sync_interval_seconds": 1})),
        )
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["name", "host", "password", "sync_interval_seconds", "isolation_profile"]
    );
    let routers: i64 = sqlx::query_scalar("SELECT count(*) FROM isp_router")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(routers, 1);
    // A router with customers is not deleted.
    add_customer(&app, &sysadmin, json!({"name": "X", "router_id": router})).await;
    assert_problem(
        app.authed(Method::DELETE, &format!("/api/v1/isp/routers/{router}"), &sysadmin, None).await,
        409,
        "router_in_use",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_replicas_never_sync_one_router_at_once(pool: PgPool) {
    let first = spawn_app(pool.clone()).await;
    let second = spawn_replica(&first).await;
    let (_, sysadmin) = first.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&first, &sysadmin, &fake, json!({})).await;
    // Each sync holds the router for at least 300 ms.
    fake.set_reply_delay(Duration::from_millis(300));
    let path = format!("/api/v1/isp/routers/{router}/sync");
    let attempts = (0..6).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.authed(Method::POST, &path, &sysadmin, None)
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.status().as_u16())
        .collect();
    let done = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((done, busy), (1, 5), "{statuses:?}");
    let syncs: i64 = sqlx::query_scalar("SELECT count(*) FROM isp_router_sync")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(syncs, 1);
    assert_eq!(fake.connections(), 1, "one login to the router");
    // The lease was given back: the next sync runs.
    let next = first.authed(Method::POST, &path, &sysadmin, None).await;
    assert_eq!(next.status().as_u16(), 200);
    second.stop().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_schedule_syncs_each_due_router_once_across_replicas(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({"sync_interval_seconds": 600})).await;
    let egi = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
    )
    .await;
    fake.log_in("egisetiawansempu", None, None).unwrap();
    // Three replicas look for due routers at once: one sync is enqueued.
    let enqueued: Vec<usize> = join_all(
        (0..3).map(|_| monitoring::isp::sync::enqueue_due(&pool)),
    )
    .await
    .into_iter()
    .map(|result| result.unwrap())
    .collect();
    assert_eq!(enqueued.iter().sum::<usize>(), 1, "{enqueued:?}");
    crate::provisioning::wait_until(|| async {
        customer(&app, &sysadmin, egi).await["connection"] == "online"
    })
    .await;
    let syncs: Vec<String> = sqlx::query_scalar("SELECT trigger FROM isp_router_sync")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(syncs, ["schedule"]);
    // Not due again for ten minutes.
    assert_eq!(monitoring::isp::sync::enqueue_due(&pool).await.unwrap(), 0);
}
