//! The sandbox's HTTP side: the pages a developer reads in `make dev` and the
//! JSON API scripts and browser tests use.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{RawSmtp, WAIT, http_client, invoice_mail, mailer, spawn_sandbox};
use lettre::AsyncTransport;

#[tokio::test]
async fn the_index_lists_mail_newest_first_with_subjects_escaped() {
    let sandbox = spawn_sandbox().await;
    let transport = mailer(sandbox.smtp().addr());
    transport
        .send(invoice_mail("budi@example.test", "INV-older"))
        .await
        .unwrap();
    transport
        .send(invoice_mail(
            "siti@example.test",
            "<script>alert(1)</script> INV-newer",
        ))
        .await
        .unwrap();

    let response = http_client().get(sandbox.http_url()).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(page.contains("<h1>Juragan sandbox</h1>"));
    assert!(
        page.contains(&sandbox.smtp().addr().to_string()),
        "the page tells where SMTP listens"
    );
    assert!(!page.contains("<script>"), "mail content must be escaped");
    let newer = page
        .find("&lt;script&gt;alert(1)&lt;/script&gt; INV-newer")
        .expect("the escaped subject is listed");
    let older = page.find("INV-older").expect("the older mail is listed");
    assert!(newer < older, "newest first");
    assert!(page.contains("siti@example.test"));
}

#[tokio::test]
async fn the_mail_page_shows_headers_text_and_the_html_in_a_sandboxed_iframe() {
    let sandbox = spawn_sandbox().await;
    mailer(sandbox.smtp().addr())
        .send(invoice_mail("budi@example.test", "INV-7 \"quoted\""))
        .await
        .unwrap();
    let mail = sandbox
        .smtp()
        .wait_for_message_to("budi@example.test", WAIT)
        .await
        .unwrap();

    let page = http_client()
        .get(format!("{}/mail/{}", sandbox.http_url(), mail.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(page.contains("<h1>INV-7 &quot;quoted&quot;</h1>"), "{page}");
    assert!(
        page.contains("Rp 1.500.000 — bayar sebelum 5 Mei."),
        "text body shown"
    );
    assert!(
        page.contains("Toko Juragan &lt;billing@juragan.test&gt;"),
        "From shown"
    );
    assert!(page.contains("Message-ID"));
    let iframe = page.find("<iframe").expect("an iframe for the HTML body");
    let iframe = &page[iframe..page[iframe..].find('>').unwrap() + iframe];
    assert!(iframe.contains("sandbox=\""), "{iframe}");
    assert!(
        !iframe.contains("allow-scripts") && !iframe.contains("allow-same-origin"),
        "{iframe}"
    );
    assert!(
        iframe.contains("srcdoc=\"&lt;p&gt;Halo Budi,&lt;/p&gt;"),
        "the HTML is escaped into srcdoc: {iframe}"
    );

    let raw = http_client()
        .get(format!("{}/mail/{}/raw", sandbox.http_url(), mail.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(raw, mail.raw_text());
}

#[tokio::test]
async fn the_json_api_lists_filters_gets_and_deletes_mail() {
    let sandbox = spawn_sandbox().await;
    let http = http_client();
    let api = format!("{}/api/smtp/messages", sandbox.http_url());
    let transport = mailer(sandbox.smtp().addr());
    transport
        .send(invoice_mail("budi@example.test", "INV-1"))
        .await
        .unwrap();
    transport
        .send(invoice_mail("siti@example.test", "INV-2"))
        .await
        .unwrap();
    transport
        .send(invoice_mail("budi@example.test", "INV-3"))
        .await
        .unwrap();

    let all: Value = http.get(&api).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["count"], 3);
    assert_eq!(all["messages"][0]["subject"], "INV-3", "newest first");
    assert!(
        all["messages"][0].get("raw").is_none(),
        "the list leaves out raw bytes"
    );

    let budi: Value = http
        .get(format!("{api}?to=BUDI%40example.test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subjects: Vec<_> = budi["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|mail| mail["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["INV-3", "INV-1"]);

    let id = budi["messages"][0]["id"].as_str().unwrap();
    let one: Value = http
        .get(format!("{api}/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["envelope_to"][0], "budi@example.test");
    assert_eq!(one["from"][0]["name"], "Toko Juragan");
    assert_eq!(one["from"][0]["email"], "billing@juragan.test");
    assert!(one["text_body"].as_str().unwrap().contains("Rp 1.500.000"));
    assert!(one["html_body"].as_str().unwrap().contains("<b>INV-3</b>"));
    assert!(one["raw"].as_str().unwrap().contains("Subject: INV-3"));
    assert!(
        one["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "Subject")
    );
    assert!(one["received_at"].as_str().is_some());

    let deleted: Value = http
        .delete(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["deleted"], 3);
    assert!(sandbox.smtp().messages().is_empty());
    let gone = http.get(format!("{api}/{id}")).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn unknown_pages_and_malformed_ids_are_404() {
    let sandbox = spawn_sandbox().await;
    let http = http_client();

    for path in [
        "/mail/not-a-uuid",
        "/mail/0190d2f4-7b4b-7c4e-9f3a-0123456789ab",
        "/api/smtp/messages/not-a-uuid",
        "/no/such/page",
    ] {
        let response = http
            .get(format!("{}{path}", sandbox.http_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_delete_all_button_empties_the_sink_and_returns_to_the_index() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;
    client
        .send_mail(
            "shop@juragan.test",
            &["budi@example.test"],
            "Subject: x\r\n\r\ny\r\n",
        )
        .await;

    let response = http_client()
        .post(format!("{}/mail/clear", sandbox.http_url()))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/#mail");
    assert!(sandbox.smtp().messages().is_empty());
}

#[tokio::test]
async fn healthz_answers_ok() {
    let sandbox = spawn_sandbox().await;

    let response = http_client()
        .get(format!("{}/healthz", sandbox.http_url()))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}
