//! `spawn_app`: the application on a random loopback port over the test's
//! own database, with its own Redis key prefix and a small built SPA.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use api::{Application, Settings};
use sqlx::PgPool;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    handle: ServerHandle,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request reaches the app")
    }

    /// Stops this replica as a deploy would: gracefully.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// A `frontend/dist` stand-in, written once per test process.
fn test_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("juragan-test-dist-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>Juragan</title><div id=app></div>").unwrap();
        std::fs::write(dir.join("assets/app-1234.js"), "console.log('juragan')").unwrap();
        std::fs::write(dir.join("favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
        dir
    })
    .clone()
}

pub fn test_settings(overrides: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("APP_ENV".to_owned(), "test".to_owned()),
        ("HTTP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("REDIS_URL".to_owned(), std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())),
        ("REDIS_KEY_PREFIX".to_owned(), format!("test:{}:", uuid::Uuid::new_v4().simple())),
        ("FRONTEND_DIST".to_owned(), test_dist().display().to_string()),
        ("JOBS_POLL_INTERVAL_SECONDS".to_owned(), "0.05".to_owned()),
        ("JOBS_SHUTDOWN_GRACE_SECONDS".to_owned(), "2".to_owned()),
    ]);
    for (name, value) in overrides {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    Settings::from_lookup(&move |name| env.get(name).cloned()).expect("test settings are valid")
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, &[]).await
}

pub async fn spawn_app_with(pool: PgPool, overrides: &[(&str, &str)]) -> TestApp {
    let app = Application::build_with_pool(test_settings(overrides), pool).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    TestApp { address, client, handle }
}

/// Asserts a problem+json answer with the given status and code, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status of {}", response.url());
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:juragan:problem:{code}"));
    body
}
