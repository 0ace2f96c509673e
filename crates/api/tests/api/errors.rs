use actix_web::{App, HttpResponse, test, web};
use sqlx::PgPool;

use crate::helpers::{assert_problem, spawn_app};

#[sqlx::test(migrations = "../../migrations")]
async fn unknown_api_paths_are_404_problems(pool: PgPool) {
    let app = spawn_app(pool).await;
    let body = assert_problem(
        app.get("/api/v1/nothing-here").await,
        404,
        "route_not_found",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
    assert_problem(
        app.get("/.well-known/nothing").await,
        404,
        "route_not_found",
    )
    .await;
    let post = app.client.post(app.url("/some/page")).send().await.unwrap();
    assert_problem(post, 404, "route_not_found").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_known_path_with_the_wrong_method_is_405_with_allow(pool: PgPool) {
    let app = spawn_app(pool).await;
    for method in [
        reqwest::Method::POST,
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
    ] {
        let response = app
            .client
            .request(method.clone(), app.url("/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers().get("allow").unwrap(), "GET", "{method}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct HostInput {
    name: String,
    port: u16,
}

async fn accept_host(_: web::Json<HostInput>) -> HttpResponse {
    HttpResponse::Created().finish()
}

/// The JSON configuration every route shares, on a throwaway route (the
/// first real JSON endpoints arrive with later features).
async fn json_service() -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(api::error::json_config(64))
            .route("/hosts", web::post().to(accept_host)),
    )
    .await
}

async fn problem_of<B: actix_web::body::MessageBody>(
    response: actix_web::dev::ServiceResponse<B>,
) -> (u16, String, serde_json::Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = test::read_body_json(response).await;
    (status, content_type, body)
}

#[actix_web::test]
async fn json_bodies_that_are_too_large_wrong_or_invalid_get_problems() {
    let service = json_service().await;
    let cases = [
        (
            test::TestRequest::post()
                .uri("/hosts")
                .insert_header(("content-type", "application/json"))
                .set_payload(format!("{{\"name\":\"{}\",\"port\":1}}", "x".repeat(100))),
            413,
            "payload_too_large",
        ),
        (
            test::TestRequest::post()
                .uri("/hosts")
                .insert_header(("content-type", "text/plain"))
                .set_payload("name=a"),
            415,
            "unsupported_media_type",
        ),
        (
            test::TestRequest::post()
                .uri("/hosts")
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"name\":"),
            400,
            "bad_request",
        ),
        (
            test::TestRequest::post()
                .uri("/hosts")
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"port\":22}"),
            422,
            "validation_failed",
        ),
        (
            test::TestRequest::post()
                .uri("/hosts")
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"name\":\"a\",\"port\":70000}"),
            422,
            "validation_failed",
        ),
    ];
    for (request, status, code) in cases {
        let (actual_status, content_type, body) =
            problem_of(test::call_service(&service, request.to_request()).await).await;
        assert_eq!(
            (actual_status, body["code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
        assert_eq!(content_type, "application/problem+json");
    }
    let request = test::TestRequest::post()
        .uri("/hosts")
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"port\":22}");
    let (_, _, body) = problem_of(test::call_service(&service, request.to_request()).await).await;
    assert_eq!(
        body["errors"][0]["field"], "name",
        "the missing field is named: {body}"
    );
}

#[actix_web::test]
async fn errors_made_outside_our_handlers_become_problems_too() {
    use actix_web::middleware::ErrorHandlers;
    let service = test::init_service(
        App::new()
            .wrap(ErrorHandlers::new().default_handler(api::fallback::problem_for_bare_errors))
            .route(
                "/boom",
                web::get().to(|| async {
                    HttpResponse::InternalServerError().body("stack trace with secrets")
                }),
            ),
    )
    .await;
    let response =
        test::call_service(&service, test::TestRequest::get().uri("/boom").to_request()).await;
    let (status, content_type, body) = problem_of(response).await;
    assert_eq!(
        (status, content_type.as_str()),
        (500, "application/problem+json")
    );
    assert_eq!(body["code"], "internal_error");
    assert!(!body.to_string().contains("secrets"));
}
