//! The registrar fake as a raw HTTP client sees it: credentials in the
//! query string, ResellerClub's shapes and `ERROR` bodies, failure
//! injection, and (inside a sandbox) registrations the RDAP fake knows.

use std::time::Duration;

use sandbox::registrar::{RegistrarCall, RegistrarFailure, RegistrarFakeHandle};
use serde_json::Value;

use crate::helpers::{http_client, spawn_sandbox};

fn url(fake: &RegistrarFakeHandle, path: &str, params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!("{}{path}", fake.api_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("auth-userid", fake.auth_userid())
        .append_pair("api-key", fake.api_key())
        .extend_pairs(params);
    url.to_string()
}

async fn post(fake: &RegistrarFakeHandle, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let response = http_client()
        .post(url(fake, path, params))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(fake: &RegistrarFakeHandle, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let response = http_client()
        .get(url(fake, path, params))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn contact(fake: &RegistrarFakeHandle) -> String {
    let (status, id) = post(
        fake,
        "contacts/add.json",
        &[
            ("name", "Budi"),
            ("company", "N/A"),
            ("email", "budi@example.test"),
            ("address-line-1", "Jl. Merdeka 1"),
            ("city", "Bandung"),
            ("country", "ID"),
            ("zipcode", "40111"),
            ("phone-cc", "62"),
            ("phone", "81234567890"),
            ("customer-id", fake.customer_id()),
            ("type", "Contact"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{id}");
    id.as_u64().unwrap().to_string()
}

async fn register(fake: &RegistrarFakeHandle, domain: &str, contact: &str) -> (u16, Value) {
    post(
        fake,
        "domains/register.json",
        &[
            ("domain-name", domain),
            ("years", "1"),
            ("ns", "ns1.sandbox.test"),
            ("ns", "ns2.sandbox.test"),
            ("customer-id", fake.customer_id()),
            ("reg-contact-id", contact),
            ("admin-contact-id", contact),
            ("tech-contact-id", contact),
            ("billing-contact-id", contact),
            ("invoice-option", "NoInvoice"),
            ("protect-privacy", "false"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_registration_is_known_to_rdap_and_details() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.registrar();
    let contact = contact(fake).await;
    let (status, body) = register(fake, "tokobaru.id", &contact).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["actionstatus"], "Success");
    let order = body["entityid"].as_str().unwrap().to_owned();

    let (status, details) = get(
        fake,
        "domains/details-by-name.json",
        &[("domain-name", "tokobaru.id"), ("options", "All")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(details["orderid"], order.as_str());
    assert_eq!(details["ns1"], "ns1.sandbox.test");
    assert!(
        details["endtime"].as_str().unwrap().parse::<i64>().unwrap()
            > chrono::Utc::now().timestamp()
    );

    // The RDAP fake now answers 200 for it.
    assert!(
        sandbox
            .rdap()
            .registered()
            .iter()
            .any(|d| d.ldh_name == "tokobaru.id")
    );
    // And a name RDAP already knows is refused.
    let (status, body) = register(fake, "tokobudi.id", &contact).await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "ERROR");

    let (_, available) = get(
        fake,
        "domains/available.json",
        &[
            ("domain-name", "tokobaru"),
            ("domain-name", "masihkosong"),
            ("tlds", "id"),
        ],
    )
    .await;
    assert_eq!(available["tokobaru.id"]["status"], "regthroughus");
    assert_eq!(available["masihkosong.id"]["status"], "available");
}

#[tokio::test]
async fn errors_have_resellerclubs_shape() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.registrar();
    let bad = http_client()
        .get(format!(
            "{}domains/details-by-name.json?auth-userid=1&api-key=x&domain-name=a.id",
            fake.api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");

    let (status, missing) = get(
        fake,
        "domains/details-by-name.json",
        &[("domain-name", "nope.id")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(missing["message"], "Website doesn't exist for nope.id");

    let (status, body) = register(fake, "tokobaru.id", "123").await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("contact-id"));

    let (status, body) = post(
        fake,
        "domains/modify-ns.json",
        &[("order-id", "1"), ("ns", "ns1.a.test")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("No Entity"));
}

#[tokio::test]
async fn injected_failures() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.registrar();
    let contact = contact(fake).await;
    fake.fail_next(RegistrarCall::Register, RegistrarFailure::Http(502));
    assert_eq!(register(fake, "tokobaru.id", &contact).await.0, 502);
    assert!(fake.registrations().is_empty());

    fake.fail_next(
        RegistrarCall::Register,
        RegistrarFailure::AnswerAfter(Duration::from_millis(300)),
    );
    let started = std::time::Instant::now();
    let (status, _) = register(fake, "tokobaru.id", &contact).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(fake.calls(RegistrarCall::Register), 2);

    fake.add_taken("dipakai.id");
    assert_eq!(register(fake, "dipakai.id", &contact).await.0, 400);
    fake.reset();
    assert!(fake.registrations().is_empty() && fake.contacts().is_empty());
}
