use sqlx::PgPool;

use crate::helpers::{assert_problem, spawn_app};

#[sqlx::test(migrations = "../../migrations")]
async fn pages_fall_back_to_the_app_for_history_routing(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/", "/client/invoices", "/staff/hosts/42"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-cache");
        assert!(
            response.text().await.unwrap().contains("<div id=app>"),
            "{path}"
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn hashed_assets_are_served_immutable_and_missing_files_are_404(pool: PgPool) {
    let app = spawn_app(pool).await;
    let asset = app.get("/assets/app-1234.js").await;
    assert_eq!(asset.status().as_u16(), 200);
    assert!(
        asset
            .headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        asset
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(app.get("/favicon.svg").await.status().as_u16(), 200);
    assert_problem(app.get("/assets/missing-5678.js").await, 404, "not_found").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn paths_cannot_climb_out_of_the_app_directory(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/.env", "/assets/../../Cargo.toml", "/%2e%2e/Cargo.toml"] {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("[workspace]") && !body.contains("[package]"),
            "{path} leaked a file"
        );
        assert!(
            status == 404 || body.contains("<div id=app>"),
            "{path}: {status}"
        );
    }
}
