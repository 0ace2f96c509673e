use sqlx::PgPool;

use crate::helpers::spawn_app;

#[sqlx::test(migrations = "../../migrations")]
async fn healthz_answers_with_the_version(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn readyz_checks_the_database_and_redis(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ready"], true);
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "redis"]);
    assert!(
        body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|check| check["ok"] == true)
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn readyz_is_503_when_the_database_is_gone(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    pool.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ready"], false);
    let database = &body["checks"][0];
    assert_eq!(
        (database["name"].as_str(), database["ok"].as_bool()),
        (Some("database"), Some(false))
    );
    assert!(
        database["error"]
            .as_str()
            .is_some_and(|error| !error.contains("postgres://")),
        "no connection string in {database}"
    );
    assert_eq!(body["checks"][1]["ok"], true, "redis is still fine");
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let generated = app.get("/healthz").await;
    let id = generated
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());

    let kept = app
        .client
        .get(app.url("/api/nope"))
        .header("x-request-id", "lb-1234_abc")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers().get("x-request-id").unwrap(), "lb-1234_abc");

    let hostile = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "evil\tvalue; drop")
        .send()
        .await
        .unwrap();
    assert_ne!(
        hostile.headers().get("x-request-id").unwrap(),
        "evil\tvalue; drop"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn metrics_count_requests_per_route_pattern(pool: PgPool) {
    let app = spawn_app(pool).await;
    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/api/does-not-exist/12345").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let healthz = metrics
        .lines()
        .find(|line| {
            line.starts_with("http_requests_total{")
                && line.contains("route=\"/healthz\"")
                && line.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no healthz counter in:\n{metrics}"));
    let count: u64 = healthz.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3, "{healthz}");
    assert!(metrics.contains("http_request_duration_seconds"));
    assert!(!metrics.contains("12345"), "raw paths never become labels");
}
