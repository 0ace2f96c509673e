//! The WHM fake as a raw HTTP client sees it: the token check and its HTML
//! refusals, the API 1 envelope, the legacy shape without `api.version=1`,
//! createacct's rules, listaccts' searches and the injected failures.

use std::time::{Duration, Instant};

use sandbox::whm::{WhmFailure, WhmFake, WhmFakeConfig, WhmFakeHandle, WhmFunction};
use serde_json::Value;

use crate::helpers::{http_client, spawn_sandbox};

async fn fake() -> WhmFakeHandle {
    WhmFake::start("127.0.0.1:0".parse().unwrap(), WhmFakeConfig::default())
        .await
        .unwrap()
}

/// A form POST with the right token; `api.version=1` in the query.
async fn call(fake: &WhmFakeHandle, function: &str, params: &[(&str, &str)]) -> Value {
    let response = http_client()
        .post(format!(
            "{}/json-api/{function}?api.version=1",
            fake.base_url()
        ))
        .header("Authorization", format!("whm root:{}", fake.api_token()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `application/x-www-form-urlencoded` text of `params`.
fn form(params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.query().unwrap_or("").to_owned()
}

fn create_params<'a>(user: &'a str, domain: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", user),
        ("domain", domain),
        ("plan", "juragan_starter"),
        ("contactemail", "budi@example.test"),
        ("password", "S3cret!pass"),
    ]
}

#[tokio::test]
async fn the_sandbox_runs_the_whm_fake() {
    let sandbox = spawn_sandbox().await;
    let whm = sandbox.whm();
    assert_eq!(whm.user(), sandbox::whm::DEFAULT_USER);
    let token = sandbox::whm::DEFAULT_API_TOKEN;
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    let body = call(whm, "version", &[]).await;
    assert_eq!(body["metadata"]["result"], 1);
    assert_eq!(body["data"]["version"], sandbox::whm::WHM_VERSION);
}

#[tokio::test]
async fn missing_or_wrong_tokens_get_html() {
    let fake = fake().await;
    let url = format!("{}/json-api/listaccts?api.version=1", fake.base_url());
    let missing = http_client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.text().await.unwrap().starts_with("<!DOCTYPE html>"));
    let reseller = format!("whm reseller:{}", fake.api_token());
    for header in ["whm root:WRONG", reseller.as_str(), "Basic abc"] {
        let wrong = http_client()
            .get(&url)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 403, "{header}");
        assert!(serde_json::from_str::<Value>(&wrong.text().await.unwrap()).is_err());
    }
    assert!(fake.all_calls().is_empty());
}

#[tokio::test]
async fn createacct_answers_in_the_api1_envelope() {
    let fake = fake().await;
    let body = call(
        &fake,
        "createacct",
        &create_params("tokobudi", "TokoBudi.id"),
    )
    .await;
    let metadata = &body["metadata"];
    assert_eq!(metadata["result"], 1);
    assert_eq!(metadata["version"], 1);
    assert_eq!(metadata["command"], "createacct");
    assert_eq!(metadata["reason"], "Account Creation Ok");
    assert!(
        metadata["output"]["raw"]
            .as_str()
            .unwrap()
            .contains("tokobudi")
    );
    assert_eq!(body["data"]["ip"], "203.0.113.10");
    assert_eq!(body["data"]["nameserver"], "ns1.sandbox.test");
    assert_eq!(body["data"]["nameserver2"], "ns2.sandbox.test");
    assert_eq!(body["data"]["package"], "juragan_starter");
    let account = fake.account("tokobudi").unwrap();
    assert_eq!(account.domain, "tokobudi.id");
    assert_eq!(account.plan, "juragan_starter");
    assert_eq!(account.email, "budi@example.test");
    assert!(!account.suspended);
    // The password never reaches the call log.
    let logged = &fake.calls(WhmFunction::CreateAcct)[0];
    assert!(
        logged
            .params
            .iter()
            .all(|(_, value)| value != "S3cret!pass")
    );
    assert_eq!(logged.result, Some(true));
}

#[tokio::test]
async fn createacct_enforces_cpanels_rules() {
    let fake = fake().await;
    call(
        &fake,
        "createacct",
        &create_params("tokobudi", "tokobudi.id"),
    )
    .await;
    let refused = |body: &Value| -> String {
        assert_eq!(body["metadata"]["result"], 0, "{body}");
        body["metadata"]["reason"].as_str().unwrap().to_owned()
    };
    let cases: &[(&str, &str, &str)] = &[
        ("tokobudi", "other.id", "already exists"),
        ("tokobudix", "other.id", "initial 8 characters"),
        ("anisalon", "tokobudi.id", "already exists"),
        ("1shop", "a.id", "digit"),
        ("testshop", "b.id", "test"),
        ("abcdefghijklmnopq", "c.id", "16"),
        ("Shop", "d.id", "lowercase"),
        ("root", "e.id", "reserved"),
        ("goodname", "not a domain", "valid domain"),
    ];
    for (user, domain, expected) in cases {
        let reason = refused(&call(&fake, "createacct", &create_params(user, domain)).await);
        assert!(reason.contains(expected), "{user}/{domain}: {reason}");
    }
    let mut no_plan = create_params("anisalon", "anisalon.id");
    no_plan[2] = ("plan", "gold");
    let reason = refused(&call(&fake, "createacct", &no_plan).await);
    assert!(
        reason.contains("package") && reason.contains("does not exist"),
        "{reason}"
    );
    let mut both = create_params("anisalon", "anisalon.id");
    both.push(("pass", "other"));
    assert!(refused(&call(&fake, "createacct", &both).await).contains("both"));
    assert_eq!(fake.accounts().len(), 1);
}

#[tokio::test]
async fn without_api_version_1_the_answer_is_legacy() {
    let fake = fake().await;
    let body: Value = http_client()
        .get(format!(
            "{}/json-api/createacct?{}",
            fake.base_url(),
            form(&create_params("tokobudi", "tokobudi.id"))
        ))
        .header("Authorization", format!("whm root:{}", fake.api_token()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("metadata").is_none(), "{body}");
    assert_eq!(body["result"][0]["status"], 1);
    assert_eq!(body["result"][0]["statusmsg"], "Account Creation Ok");
    // Carried out nonetheless, as WHM does.
    assert!(fake.account("tokobudi").is_some());
    let listed: Value = http_client()
        .get(format!("{}/json-api/listaccts", fake.base_url()))
        .header("Authorization", format!("whm root:{}", fake.api_token()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.get("metadata").is_none());
    assert_eq!(listed["acct"][0]["user"], "tokobudi");
}

#[tokio::test]
async fn listaccts_searches_and_trims_fields() {
    let fake = fake().await;
    call(
        &fake,
        "createacct",
        &create_params("tokobudi", "tokobudi.id"),
    )
    .await;
    call(
        &fake,
        "createacct",
        &create_params("anisalon", "anisalon.co.id"),
    )
    .await;
    let users = |body: &Value| -> Vec<String> {
        body["data"]["acct"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["user"].as_str().unwrap().to_owned())
            .collect()
    };
    let exact = call(
        &fake,
        "listaccts",
        &[
            ("search", "tokobudi"),
            ("searchtype", "user"),
            ("searchmethod", "exact"),
        ],
    )
    .await;
    assert_eq!(users(&exact), ["tokobudi"]);
    let prefix_only = call(
        &fake,
        "listaccts",
        &[
            ("search", "toko"),
            ("searchtype", "user"),
            ("searchmethod", "exact"),
        ],
    )
    .await;
    assert!(users(&prefix_only).is_empty());
    let regex = call(
        &fake,
        "listaccts",
        &[("search", "co.id$"), ("searchtype", "domain")],
    )
    .await;
    assert_eq!(users(&regex), ["anisalon"]);
    let by_package = call(
        &fake,
        "listaccts",
        &[
            ("search", "juragan_starter"),
            ("searchtype", "package"),
            ("searchmethod", "exact"),
        ],
    )
    .await;
    assert_eq!(users(&by_package).len(), 2);
    let trimmed = call(&fake, "listaccts", &[("want", "user,suspended")]).await;
    let first = trimmed["data"]["acct"][0].as_object().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first["suspended"], 0);
    let full = call(&fake, "listaccts", &[]).await;
    assert_eq!(full["data"]["acct"][0]["suspendreason"], "not suspended");
    assert_eq!(full["data"]["acct"][0]["disklimit"], "1024M");
}

#[tokio::test]
async fn suspend_unsuspend_changepackage_removeacct() {
    let fake = fake().await;
    call(
        &fake,
        "createacct",
        &create_params("tokobudi", "tokobudi.id"),
    )
    .await;
    let body = call(
        &fake,
        "suspendacct",
        &[
            ("user", "tokobudi"),
            ("reason", "Unpaid"),
            ("disallowun", "1"),
        ],
    )
    .await;
    assert_eq!(body["metadata"]["result"], 1);
    let account = fake.account("tokobudi").unwrap();
    assert!(account.suspended && account.unsuspend_disallowed);
    assert_eq!(account.suspend_reason.as_deref(), Some("Unpaid"));
    let listed = call(&fake, "listaccts", &[]).await;
    assert_eq!(listed["data"]["acct"][0]["suspended"], 1);
    assert_eq!(listed["data"]["acct"][0]["suspendreason"], "Unpaid");

    call(&fake, "unsuspendacct", &[("user", "tokobudi")]).await;
    assert!(!fake.account("tokobudi").unwrap().suspended);

    let changed = call(
        &fake,
        "changepackage",
        &[("user", "tokobudi"), ("pkg", "juragan_pro")],
    )
    .await;
    assert_eq!(changed["metadata"]["result"], 1);
    assert_eq!(fake.account("tokobudi").unwrap().plan, "juragan_pro");
    let unknown = call(
        &fake,
        "changepackage",
        &[("user", "tokobudi"), ("pkg", "gold")],
    )
    .await;
    assert_eq!(unknown["metadata"]["result"], 0);

    // `user` works as well as the documented `username`.
    let removed = call(
        &fake,
        "removeacct",
        &[("user", "tokobudi"), ("keepdns", "0")],
    )
    .await;
    assert_eq!(removed["metadata"]["result"], 1);
    assert!(fake.accounts().is_empty());
    for function in ["suspendacct", "unsuspendacct", "removeacct"] {
        let body = call(&fake, function, &[("user", "ghost"), ("username", "ghost")]).await;
        assert_eq!(body["metadata"]["result"], 0);
        assert!(
            body["metadata"]["reason"]
                .as_str()
                .unwrap()
                .contains("does not exist")
        );
    }
}

#[tokio::test]
async fn injected_failures() {
    let fake = fake().await;
    fake.fail_next(WhmFunction::CreateAcct, WhmFailure::Http(500));
    fake.fail_next(
        WhmFunction::CreateAcct,
        WhmFailure::Rejected("Disk quota exceeded".into()),
    );
    let response = http_client()
        .post(format!(
            "{}/json-api/createacct?api.version=1",
            fake.base_url()
        ))
        .header("Authorization", format!("whm root:{}", fake.api_token()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&create_params("tokobudi", "tokobudi.id")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let rejected = call(
        &fake,
        "createacct",
        &create_params("tokobudi", "tokobudi.id"),
    )
    .await;
    assert_eq!(rejected["metadata"]["reason"], "Disk quota exceeded");
    assert!(fake.accounts().is_empty());

    // AnswerAfter: done at once, answered late.
    fake.fail_next(
        WhmFunction::CreateAcct,
        WhmFailure::AnswerAfter(Duration::from_millis(600)),
    );
    let params = create_params("tokobudi", "tokobudi.id");
    let started = Instant::now();
    let (body, _) = tokio::join!(call(&fake, "createacct", &params), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            fake.account("tokobudi").is_some(),
            "created before the answer"
        );
    });
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(body["metadata"]["result"], 1);
    assert_eq!(fake.calls(WhmFunction::CreateAcct).len(), 3);

    fake.reset();
    assert!(fake.accounts().is_empty() && fake.all_calls().is_empty());
}

#[tokio::test]
async fn unknown_functions_are_refused_in_the_envelope() {
    let fake = fake().await;
    let body = call(&fake, "frobnicate", &[]).await;
    assert_eq!(body["metadata"]["result"], 0);
    assert!(
        body["metadata"]["reason"]
            .as_str()
            .unwrap()
            .contains("Unknown app")
    );
}
