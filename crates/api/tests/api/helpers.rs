//! `spawn_app`: the application on a random loopback port over the test's
//! own database, with its own Redis key prefix and a small built SPA.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use api::{Application, Settings};
use identity::Identity;
use sandbox::{SmtpSink, SmtpSinkHandle};
use sqlx::PgPool;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// The mail sink this app sends to.
    pub mail: SmtpSinkHandle,
    /// The same identity service the app uses (same keys, same Redis prefix).
    pub identity: Identity,
    pub redis_prefix: String,
    handle: ServerHandle,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the app")
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
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>Juragan</title><div id=app></div>",
        )
        .unwrap();
        std::fs::write(dir.join("assets/app-1234.js"), "console.log('juragan')").unwrap();
        std::fs::write(
            dir.join("favicon.svg"),
            "<svg xmlns='http://www.w3.org/2000/svg'/>",
        )
        .unwrap();
        dir
    })
    .clone()
}

pub fn test_settings(overrides: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("APP_ENV".to_owned(), "test".to_owned()),
        ("HTTP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "REDIS_URL".to_owned(),
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned()),
        ),
        (
            "REDIS_KEY_PREFIX".to_owned(),
            format!("test:{}:", uuid::Uuid::new_v4().simple()),
        ),
        (
            "FRONTEND_DIST".to_owned(),
            test_dist().display().to_string(),
        ),
        ("JOBS_POLL_INTERVAL_SECONDS".to_owned(), "0.05".to_owned()),
        ("JOBS_SHUTDOWN_GRACE_SECONDS".to_owned(), "2".to_owned()),
        // No test reaches the real registries: a closed loopback port
        // unless a test starts the sandbox's RDAP fake and points here.
        (
            "RDAP_BOOTSTRAP_URL".to_owned(),
            "http://127.0.0.1:9/rdap/dns.json".to_owned(),
        ),
        // The port checker only where a test asks for it.
        ("MONITOR_ENABLED".to_owned(), "false".to_owned()),
        // Test hosts are loopback sockets (refused outside tests).
        (
            "MONITOR_ALLOW_LOOPBACK_FOR_TESTS".to_owned(),
            "true".to_owned(),
        ),
    ]);
    for (name, value) in overrides {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    // A production-mode app (headers, cookies, readyz tests) refuses the
    // test-only loopback switch, as it should.
    if env
        .get("APP_ENV")
        .is_some_and(|value| value == "production")
        && !overrides
            .iter()
            .any(|(name, _)| *name == "MONITOR_ALLOW_LOOPBACK_FOR_TESTS")
    {
        env.remove("MONITOR_ALLOW_LOOPBACK_FOR_TESTS");
    }
    Settings::from_lookup(&move |name| env.get(name).cloned()).expect("test settings are valid")
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, &[]).await
}

pub async fn spawn_app_with(pool: PgPool, overrides: &[(&str, &str)]) -> TestApp {
    let mail = SmtpSink::start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("mail sink starts");
    let smtp_url = format!("smtp://{}", mail.addr());
    let mut overrides = overrides.to_vec();
    if !overrides.iter().any(|(name, _)| *name == "SMTP_URL") {
        overrides.push(("SMTP_URL", &smtp_url));
    }
    spawn_app_on(pool, mail, &overrides).await
}

/// Another replica on the same database, Redis prefix and mail sink.
pub async fn spawn_replica(of: &TestApp) -> TestApp {
    spawn_replica_with(of, &[]).await
}

/// Another replica with settings of its own besides the shared ones (give
/// it the first instance's overrides to make it a true twin).
pub async fn spawn_replica_with(of: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let smtp_url = format!("smtp://{}", of.mail.addr());
    let mut settings = overrides.to_vec();
    settings.push(("SMTP_URL", &smtp_url));
    settings.push(("REDIS_KEY_PREFIX", &of.redis_prefix));
    spawn_app_on(of.pool.clone(), of.mail.clone(), &settings).await
}

async fn spawn_app_on(pool: PgPool, mail: SmtpSinkHandle, overrides: &[(&str, &str)]) -> TestApp {
    let settings = test_settings(overrides);
    let redis_prefix = settings.redis_key_prefix.clone();
    let redis = api::app::connect_redis(&settings).await.expect("redis");
    let identity = api::app::build_identity(&settings, pool.clone(), redis).expect("identity");
    let app = Application::build_with_pool(settings, pool.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        pool,
        mail,
        identity,
        redis_prefix,
        handle,
    }
}

/// The 6-digit code in the newest mail to `email` whose subject contains `subject`.
pub async fn code_from_mail(app: &TestApp, email: &str, subject: &str) -> String {
    let email = email.to_owned();
    let subject = subject.to_owned();
    let mail = app
        .mail
        .wait_for_message(
            |mail| {
                mail.envelope_to
                    .iter()
                    .any(|to| to.eq_ignore_ascii_case(&email))
                    && mail
                        .subject
                        .as_deref()
                        .is_some_and(|s| s.contains(&subject))
            },
            Duration::from_secs(10),
        )
        .await
        .expect("the mail arrives");
    let text = mail.text_body.clone().unwrap_or_default();
    six_digits(&text).unwrap_or_else(|| panic!("no code in {text}"))
}

pub fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|start| {
        let window = &bytes[start..start + 6];
        let bounded = (start == 0 || !bytes[start - 1].is_ascii_digit())
            && bytes.get(start + 6).is_none_or(|b| !b.is_ascii_digit());
        (bounded && window.iter().all(u8::is_ascii_digit))
            .then(|| String::from_utf8_lossy(window).into_owned())
    })
}

pub const PASSWORD: &str = "rahasia-sekali-123";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request reaches the app")
    }

    pub async fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.expect("request reaches the app")
    }

    /// Registers and verifies a client through the API, as a user would.
    pub async fn register_verified_client(&self, email: &str) {
        let response = self
            .post_json(
                "/api/v1/auth/register",
                serde_json::json!({"email": email, "password": PASSWORD, "name": "Budi Santoso"}),
            )
            .await;
        assert_eq!(
            response.status().as_u16(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let code = code_from_mail(self, email, "Verifikasi").await;
        let verified = self
            .post_json(
                "/api/v1/auth/verify-email",
                serde_json::json!({"email": email, "code": code}),
            )
            .await;
        assert_eq!(verified.status().as_u16(), 204);
    }

    /// Signs in, answering the emailed second factor when asked; returns the token pair JSON.
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                serde_json::json!({"email": email, "password": password, "refresh_token_in_body": true}),
            )
            .await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "login: {}",
            response.text().await.unwrap_or_default()
        );
        let body: serde_json::Value = response.json().await.unwrap();
        if body["status"] == "authenticated" {
            return body["tokens"].clone();
        }
        let challenge = body["otp_challenge"]["challenge_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let code = code_from_mail(self, email, "Kode masuk").await;
        let response = self
            .post_json(
                "/api/v1/auth/login/otp",
                serde_json::json!({"challenge_id": challenge, "code": code, "refresh_token_in_body": true}),
            )
            .await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "otp: {}",
            response.text().await.unwrap_or_default()
        );
        response.json().await.unwrap()
    }

    /// A verified account holding exactly `roles`, created directly.
    pub async fn create_user(&self, email: &str, roles: &[&str]) -> uuid::Uuid {
        let id = self
            .identity
            .create_owner(email, "Test User", PASSWORD)
            .await
            .expect("user created");
        let roles: Vec<String> = roles.iter().map(|role| (*role).to_owned()).collect();
        sqlx::query("UPDATE app_user SET roles = $2 WHERE id = $1")
            .bind(id)
            .bind(&roles)
            .execute(&self.pool)
            .await
            .unwrap();
        id
    }

    /// A verified account holding `roles` and an access token for it.
    pub async fn user_token(&self, email: &str, roles: &[&str]) -> (uuid::Uuid, String) {
        let id = self.create_user(email, roles).await;
        let roles: Vec<identity::Role> = roles.iter().map(|role| role.parse().unwrap()).collect();
        let token = self
            .identity
            .keys()
            .issue(id, &roles, uuid::Uuid::now_v7())
            .unwrap();
        (id, token)
    }

    /// An access token for a (possibly non-existent) user with these roles,
    /// signed by the app's key, as sign-in would issue it.
    pub fn token_with_roles(&self, roles: &[identity::Role]) -> String {
        self.identity
            .keys()
            .issue(uuid::Uuid::now_v7(), roles, uuid::Uuid::now_v7())
            .unwrap()
    }
}

/// Asserts a problem+json answer with the given status and code, and returns it.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status of {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:juragan:problem:{code}"));
    body
}

/// The shop's calendar day `offset_days` from its today (negative: past), as
/// `YYYY-MM-DD`: tests never carry a fixed date that the calendar overtakes.
pub async fn shop_day(pool: &PgPool, offset_days: i32) -> String {
    let day: chrono::NaiveDate = sqlx::query_scalar("SELECT shop_today() + $1")
        .bind(offset_days)
        .fetch_one(pool)
        .await
        .expect("shop_today answers");
    day.to_string()
}

/// `hour`:00 in the shop's time zone on the day `offset_days` from its today,
/// as an RFC 3339 instant.
pub async fn shop_instant(pool: &PgPool, offset_days: i32, hour: i32) -> String {
    let at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT ((shop_today() + $1)::timestamp + make_interval(hours => $2)) AT TIME ZONE 'Asia/Jakarta'")
            .bind(offset_days)
            .bind(hour)
            .fetch_one(pool)
            .await
            .expect("shop_today answers");
    at.to_rfc3339()
}
