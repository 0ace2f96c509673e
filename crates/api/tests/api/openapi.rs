use sqlx::PgPool;

use crate::helpers::spawn_app;

const COMMITTED: &str = include_str!("../../../../openapi/openapi.json");

#[sqlx::test(migrations = "../../migrations")]
async fn the_committed_document_is_what_the_server_serves(pool: PgPool) {
    let app = spawn_app(pool).await;
    let served = app.get("/api/openapi.json").await.text().await.unwrap();
    assert!(
        served == COMMITTED,
        "openapi/openapi.json differs from what the server serves: run `make openapi` and commit the result"
    );
    let document: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_documentation_ui_works_offline(pool: PgPool) {
    let app = spawn_app(pool).await;
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    assert!(
        !html.contains("cdn.") && !html.contains("unpkg.com"),
        "nothing loaded from the internet"
    );
    let initializer = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("/api/openapi.json"),
        "the UI reads the served document: {initializer}"
    );
    let bundle = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        bundle.status().as_u16(),
        200,
        "the UI's script is vendored into the binary"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_and_a_summary() {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for field in ["operationId", "tags", "summary"] {
                assert!(
                    operation.get(field).is_some(),
                    "{method} {path} lacks {field}"
                );
            }
        }
    }
}

/// One way of getting a request wrong, and whether an operation can be
/// asked that way.
#[derive(Debug, Clone, Copy)]
enum Mistake {
    NoToken,
    WrongRole,
    BadPathValue,
    BadQueryValue,
    MalformedJson,
    WrongContentType,
    OversizedBody,
}

/// The concrete URL of a templated path: integer parameters become `1` (or
/// a word, for a bad path value), the others a fresh UUID.
fn concrete_path(path: &str, operation: &serde_json::Value, bad: bool) -> String {
    let mut url = path.to_owned();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "path" {
            continue;
        }
        let name = parameter["name"].as_str().unwrap();
        let integer = parameter["schema"]["type"] == "integer";
        let value = match (integer, bad) {
            (true, true) => "not-a-number".to_owned(),
            (true, false) => "1".to_owned(),
            (false, _) => uuid::Uuid::now_v7().to_string(),
        };
        url = url.replace(&format!("{{{name}}}"), &value);
    }
    url
}

/// Walks every operation of the served document and asks it wrong in every
/// way that applies to it (no token, a role it does not admit, a path or
/// query value of the wrong type, malformed JSON, another content type, an
/// oversized body); every answer's status must be documented on the
/// operation. Fuzzing the API from its own document found 62 undocumented
/// answers before the shared responses were added centrally.
#[sqlx::test(migrations = "../../migrations")]
async fn every_answer_to_a_wrong_request_is_documented(pool: PgPool) {
    use identity::Role;

    let app = crate::helpers::spawn_app_with(pool, &[("HTTP_BODY_LIMIT_BYTES", "65536")]).await;
    let document: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut undocumented = Vec::new();
    let mut asked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let roles: Vec<Role> = operation["x-roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|role| role.as_str())
                .filter_map(|name| Role::ALL.into_iter().find(|role| role.as_str() == name))
                .collect();
            let has_body = operation.get("requestBody").is_some();
            let has_query = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|parameter| parameter["in"] == "query");
            let has_path_integer = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|parameter| {
                    parameter["in"] == "path" && parameter["schema"]["type"] == "integer"
                });
            let admitted = roles.first().map(|role| app.token_with_roles(&[*role]));
            let outsider = Role::ALL
                .into_iter()
                .find(|role| !roles.is_empty() && !roles.contains(role))
                .map(|role| app.token_with_roles(&[role]));
            let cases = [
                (Mistake::NoToken, !roles.is_empty()),
                (Mistake::WrongRole, outsider.is_some()),
                (Mistake::BadPathValue, has_path_integer),
                (Mistake::BadQueryValue, has_query),
                (Mistake::MalformedJson, has_body),
                (Mistake::WrongContentType, has_body),
                (Mistake::OversizedBody, has_body),
            ];
            for (wrong, applies) in cases {
                if !applies {
                    continue;
                }
                let bad_path = matches!(wrong, Mistake::BadPathValue);
                let mut url = app.url(&concrete_path(path, operation, bad_path));
                if matches!(wrong, Mistake::BadQueryValue) {
                    // Every query parameter at once, each of the wrong type
                    // or format for what it is.
                    let query: Vec<String> = operation["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|parameter| parameter["in"] == "query")
                        .map(|parameter| {
                            format!("{}=%7Bnot%20valid%7D", parameter["name"].as_str().unwrap())
                        })
                        .collect();
                    url = format!("{url}?{}", query.join("&"));
                }
                let mut request = app.client.request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                );
                let token = match wrong {
                    Mistake::NoToken => None,
                    Mistake::WrongRole => outsider.clone(),
                    _ => admitted.clone(),
                };
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                request = match wrong {
                    Mistake::MalformedJson => request
                        .header("content-type", "application/json")
                        .body("{\"unterminated"),
                    Mistake::WrongContentType => {
                        request.header("content-type", "text/plain").body("hello")
                    }
                    Mistake::OversizedBody => request
                        .header("content-type", "application/json")
                        .body(format!("{{\"x\": \"{}\"}}", "a".repeat(200_000))),
                    _ if has_body => request.json(&serde_json::json!({})),
                    _ => request,
                };
                let status = request
                    .send()
                    .await
                    .expect("request reaches the app")
                    .status();
                asked += 1;
                let responses = &operation["responses"];
                if responses.get(status.as_str()).is_none() && responses.get("default").is_none() {
                    undocumented.push(format!(
                        "{} {path} ({wrong:?}) answered {status}",
                        method.to_uppercase()
                    ));
                }
            }
        }
    }
    assert!(asked > 100, "only {asked} wrong requests were made");
    assert!(
        undocumented.is_empty(),
        "answers the document does not list:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn the_schema_shows_the_limits_the_server_enforces() {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schemas = &document["components"]["schemas"];
    let password = &schemas["RegisterRequest"]["properties"]["password"];
    assert_eq!(password["minLength"], identity::password::MIN_LENGTH);
    assert_eq!(password["maxLength"], identity::password::MAX_LENGTH);
    assert_eq!(
        schemas["NewBroadcast"]["properties"]["body"]["maxLength"],
        notify::broadcast::BODY_MAX_CHARS
    );
    let outbox = &document["paths"]["/api/v1/notifications/outbox"]["get"]["parameters"];
    let parameter = |name: &str| {
        outbox
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    assert_eq!(parameter("limit")["maximum"], domain::PAGE_SIZE_MAX);
    assert_eq!(parameter("limit")["minimum"], 1);
    assert!(parameter("cursor")["pattern"].is_string());
    // The statuses are enums of the schema, which the SPA's lists come from.
    assert_eq!(
        schemas["OutboxStatus"]["enum"],
        serde_json::json!(["pending", "sent", "failed", "dead", "blocked"])
    );
    assert_eq!(
        schemas["HostStatus"]["enum"],
        serde_json::json!(["pending", "up", "down"])
    );
}

#[test]
fn shared_answers_are_reusable_responses() {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for name in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "TooManyRequests",
        "InternalError",
    ] {
        assert!(
            document["components"]["responses"].get(name).is_some(),
            "components/responses lacks {name}"
        );
    }
    let list_outbox = &document["paths"]["/api/v1/notifications/outbox"]["get"]["responses"];
    assert_eq!(
        list_outbox["401"]["$ref"],
        "#/components/responses/Unauthorized"
    );
    assert_eq!(
        list_outbox["403"]["$ref"],
        "#/components/responses/Forbidden"
    );
    assert_eq!(
        list_outbox["500"]["$ref"],
        "#/components/responses/InternalError"
    );
}

/// utoipa names a schema after its Rust type and keeps the last of two
/// types with one name: the document then describes one endpoint with
/// another's shape, silently. Every schema type of the workspace (named by
/// `#[schema(as = …)]` when it has one) must have a name of its own.
#[test]
fn schema_names_are_unique_across_the_workspace() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut duplicates = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut in_schema = false;
        let mut renamed: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                in_schema = true;
                renamed = None;
            } else if in_schema && line.starts_with("#[schema(as = ") {
                renamed = line
                    .trim_start_matches("#[schema(as = ")
                    .split([')', ','])
                    .next()
                    .map(str::to_owned);
            } else if in_schema
                && (line.starts_with("pub struct ") || line.starts_with("pub enum "))
            {
                let name = line
                    .split_whitespace()
                    .nth(2)
                    .unwrap()
                    .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                    .split('<')
                    .next()
                    .unwrap()
                    .to_owned();
                let name = renamed.take().unwrap_or(name);
                let place = file.display().to_string();
                if let Some(first) = seen.insert(name.clone(), place.clone()) {
                    duplicates.push(format!("{name}: {first} and {place}"));
                }
                in_schema = false;
            } else if in_schema && !line.starts_with("#[") && !line.starts_with("///") {
                in_schema = false;
            }
        }
    }
    assert!(seen.len() > 100, "the scan found the schema types");
    assert!(
        duplicates.is_empty(),
        "schema names used twice: {duplicates:#?}"
    );
}
