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
