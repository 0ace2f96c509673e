//! The role matrix: every documented operation, called with every role.
//! Endpoints are read from the served OpenAPI document, so an endpoint added
//! later is covered without anyone remembering to add it here: it must
//! either declare its roles (`x-roles` + bearer security) or be listed as
//! public below.

use identity::Role;
use sqlx::PgPool;

use crate::helpers::spawn_app;

/// Operations anyone may call without signing in.
const PUBLIC: [&str; 31] = [
    "GET /healthz",
    "GET /api/v1/status",
    "GET /readyz",
    "GET /metrics",
    "GET /api/openapi.json",
    "GET /.well-known/jwks.json",
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/verify-email",
    "POST /api/v1/auth/verify-email/resend",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/login/otp",
    "POST /api/v1/auth/login/otp/resend",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/password/forgot",
    "POST /api/v1/auth/password/reset",
    "POST /api/v1/auth/invitations/accept",
    "GET /api/v1/catalog/products",
    "GET /api/v1/catalog/products/{slug}",
    "GET /api/v1/catalog/categories",
    "GET /api/v1/catalog/regions",
    "GET /api/v1/catalog/os-templates",
    "GET /api/v1/domains/check",
    "GET /api/v1/storefront/banners",
    "GET /api/v1/storefront/testimonials",
    "GET /api/v1/storefront/pages/{slug}",
    "GET /api/v1/storefront/announcements",
    "GET /api/v1/payment-methods",
    "POST /api/v1/payments/webhooks/midtrans",
    "POST /api/v1/payments/webhooks/xendit",
    "POST /api/v1/payments/webhooks/pakasir/{token}",
];

/// A concrete URL for a templated path: every `{param}` becomes a fresh UUID.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |end| start + end + 1);
        out.push_str(&uuid::Uuid::now_v7().to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_endpoint_admits_exactly_its_declared_roles(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Tokens of real, active accounts: owner-only changes re-read the
    // caller's account, so a token of nobody changes nothing.
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let user = app
            .create_user(&format!("{}@roles.test", role.as_str()), &[role.as_str()])
            .await;
        let token = app
            .identity
            .keys()
            .issue(user, &[role], uuid::Uuid::now_v7())
            .unwrap();
        tokens.push((role, token));
    }
    let document: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let declared = operation.get("x-roles").and_then(|roles| roles.as_array());
            let Some(declared) = declared else {
                assert!(
                    PUBLIC.contains(&name.as_str()),
                    "{name} declares no x-roles and is not listed as public"
                );
                continue;
            };
            assert!(
                !PUBLIC.contains(&name.as_str()),
                "{name} is listed public but declares roles"
            );
            assert!(
                operation.get("security").is_some(),
                "{name} declares roles but no bearer security"
            );
            let allowed: Vec<Role> = declared
                .iter()
                .map(|role| role.as_str().unwrap().parse().unwrap())
                .collect();
            assert!(
                allowed.contains(&Role::Owner),
                "{name}: the owner may do everything"
            );

            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = app.url(&concrete(path));
            let send = |token: Option<String>| {
                let mut request = app.client.request(method.clone(), &url);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if method == reqwest::Method::POST || method == reqwest::Method::PUT {
                    request = request.json(&serde_json::json!({}));
                }
                request.send()
            };

            let anonymous = send(None).await.unwrap();
            assert_eq!(anonymous.status().as_u16(), 401, "{name} without a token");
            let garbage = send(Some("not-a-token".to_owned())).await.unwrap();
            assert_eq!(
                garbage.status().as_u16(),
                401,
                "{name} with a garbage token"
            );

            for (role, token) in tokens.iter().cloned() {
                let response = send(Some(token)).await.unwrap();
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                let refused = status == 401 || (status == 403 && body["code"] == "forbidden");
                if allowed.contains(&role) {
                    assert!(!refused, "{name} must admit {role}, got {status} {body}");
                } else {
                    assert!(
                        status == 403 && body["code"] == "forbidden",
                        "{name} must refuse {role}, got {status} {body}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6 * 18,
        "the matrix covered {checked} role × endpoint pairs"
    );
}

/// Seed 003: admins preview what customers will be told, the owner edits.
/// Sysadmin, business and finance read the templates, their history and a
/// preview; saving stays the owner's; clients and resellers see nothing.
#[sqlx::test(migrations = "../../migrations")]
async fn staff_read_and_preview_templates_and_only_the_owner_edits_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let draft = serde_json::json!({ "subject": "DOWN: {name}", "body": "{name} ({host}) mati sejak {since}: {error}" });
    let template = "/api/v1/notifications/templates/monitoring.host_down/id";
    for role in [Role::Sysadmin, Role::Business, Role::Finance] {
        let token = app.token_with_roles(&[role]);
        let list = app
            .authed(
                reqwest::Method::GET,
                "/api/v1/notifications/templates",
                &token,
                None,
            )
            .await;
        assert_eq!(list.status().as_u16(), 200, "{role} lists the templates");
        let history = app
            .authed(reqwest::Method::GET, template, &token, None)
            .await;
        assert_eq!(history.status().as_u16(), 200, "{role} reads the history");
        let preview = app
            .authed(
                reqwest::Method::POST,
                &format!("{template}/preview"),
                &token,
                Some(draft.clone()),
            )
            .await;
        assert_eq!(preview.status().as_u16(), 200, "{role} previews");
        let save = app
            .authed(reqwest::Method::PUT, template, &token, Some(draft.clone()))
            .await;
        assert_eq!(save.status().as_u16(), 403, "{role} cannot edit");
    }
    for role in [Role::Client, Role::Reseller] {
        let token = app.token_with_roles(&[role]);
        let list = app
            .authed(
                reqwest::Method::GET,
                "/api/v1/notifications/templates",
                &token,
                None,
            )
            .await;
        assert_eq!(list.status().as_u16(), 403, "{role} sees no templates");
    }
}
