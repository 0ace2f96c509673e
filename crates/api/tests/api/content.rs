//! The storefront's content over HTTP: staff write banners, testimonials,
//! pages and announcements (every change audited); visitors read what is
//! published and scheduled for now, in Indonesian or English, with the
//! markdown rendered to HTML that carries nothing hostile.

use chrono::{Duration, Utc};
use identity::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn editor(app: &TestApp, role: Role) -> String {
    let id = app
        .create_user(&format!("{}@content.test", role.as_str()), &[role.as_str()])
        .await;
    app.identity
        .keys()
        .issue(id, &[role], uuid::Uuid::now_v7())
        .unwrap()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let response = app.authed(method, path, token, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn create(app: &TestApp, token: &str, kind: &str, body: Value) -> Value {
    let (status, created) = send(
        app,
        Method::POST,
        &format!("/api/v1/staff/content/{kind}"),
        token,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{kind}: {created}");
    created
}

async fn public(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.unwrap()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

fn titles(list: &Value, field: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

fn at(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339()
}

#[sqlx::test(migrations = "../../migrations")]
async fn business_creates_edits_and_deletes_a_banner_and_each_change_is_audited(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = editor(&app, Role::Business).await;
    let banner = json!({
        "title_id": "Diskon VPS 20%",
        "title_en": "20% off VPS",
        "image_url": "https://cdn.example.com/promo.webp",
        "link_url": "/p/promo",
        "sort_order": 1,
        "is_active": false
    });
    let created = create(&app, &token, "banners", banner.clone()).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["title_en"], "20% off VPS");

    let (status, list) = send(
        &app,
        Method::GET,
        "/api/v1/staff/content/banners",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        list["total"], 1,
        "inactive banners are listed for staff: {list}"
    );
    assert_eq!(list["items"][0], created);

    let mut changed = banner.clone();
    changed["title_id"] = json!("Diskon VPS 25%");
    changed["title_en"] = json!(null);
    changed["is_active"] = json!(true);
    let path = format!("/api/v1/staff/content/banners/{id}");
    let (status, updated) = send(&app, Method::PUT, &path, &token, Some(changed)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["title_id"], "Diskon VPS 25%");
    assert_eq!(updated["title_en"], Value::Null);
    let (status, read) = send(&app, Method::GET, &path, &token, None).await;
    assert_eq!((status, &read), (200, &updated));

    let (status, _) = send(&app, Method::DELETE, &path, &token, None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::GET, &path, &token, None).await;
    assert_eq!(status, 404);
    assert_problem(
        app.authed(Method::DELETE, &path, &token, None).await,
        404,
        "not_found",
    )
    .await;

    let entries: Vec<(String, Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE entity_type = 'storefront_banner' AND entity_id = $1 ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        entries,
        vec![
            (
                "content.banner.created".to_owned(),
                None,
                Some(created.clone())
            ),
            (
                "content.banner.updated".to_owned(),
                Some(created),
                Some(updated.clone())
            ),
            ("content.banner.deleted".to_owned(), Some(updated), None),
        ]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_storefront_shows_active_banners_inside_their_schedule(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = editor(&app, Role::Business).await;
    let banner = |title: &str,
                  sort: i32,
                  active: bool,
                  starts: Option<String>,
                  ends: Option<String>| {
        json!({ "title_id": title, "image_url": "/img/b.webp", "sort_order": sort, "is_active": active,
                "starts_at": starts, "ends_at": ends })
    };
    for body in [
        banner("selalu", 5, true, None, None),
        banner("nonaktif", 0, false, None, None),
        banner("belum mulai", 0, true, Some(at(Duration::hours(1))), None),
        banner(
            "sudah lewat",
            0,
            true,
            Some(at(Duration::days(-2))),
            Some(at(Duration::hours(-1))),
        ),
        banner(
            "sedang jalan",
            1,
            true,
            Some(at(Duration::hours(-1))),
            Some(at(Duration::hours(1))),
        ),
        banner("tanpa awal", 2, true, None, Some(at(Duration::days(1)))),
    ] {
        create(&app, &token, "banners", body).await;
    }
    let shown = public(&app, "/api/v1/storefront/banners").await;
    assert_eq!(
        titles(&shown, "title"),
        ["sedang jalan", "tanpa awal", "selalu"]
    );
    assert!(
        shown["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["lang"] == "id")
    );

    // An end before the start is refused, and so is an end equal to it.
    let start = at(Duration::hours(2));
    let (status, problem) = send(
        &app,
        Method::POST,
        "/api/v1/staff/content/banners",
        &token,
        Some(banner("salah", 0, true, Some(start.clone()), Some(start))),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "ends_at");
}

#[sqlx::test(migrations = "../../migrations")]
async fn english_readers_get_english_where_written_and_indonesian_elsewhere(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = editor(&app, Role::Business).await;
    create(&app, &token, "banners", json!({ "title_id": "Halo", "title_en": "Hello", "image_url": "/a.png", "sort_order": 1, "is_active": true })).await;
    create(&app, &token, "banners", json!({ "title_id": "Hanya Indonesia", "title_en": "  ", "image_url": "/b.png", "sort_order": 2, "is_active": true })).await;
    create(&app, &token, "testimonials", json!({
        "author_name": "Sari", "author_role_id": "Pemilik toko", "author_role_en": "Shop owner",
        "quote_id": "Cepat sekali", "quote_en": "Very fast", "rating": 5, "sort_order": 1, "is_published": true
    })).await;
    create(&app, &token, "testimonials", json!({
        "author_name": "Budi", "author_role_id": "Mahasiswa", "quote_id": "Murah", "rating": 4, "sort_order": 2, "is_published": true
    })).await;
    create(
        &app,
        &token,
        "testimonials",
        json!({
            "author_name": "Draf", "quote_id": "Belum terbit", "rating": 3, "is_published": false
        }),
    )
    .await;

    let english = public(&app, "/api/v1/storefront/banners?lang=en").await;
    assert_eq!(titles(&english, "title"), ["Hello", "Hanya Indonesia"]);
    assert_eq!(english["items"][0]["lang"], "en");
    assert_eq!(english["items"][1]["lang"], "id");
    let indonesian = public(&app, "/api/v1/storefront/banners?lang=id").await;
    assert_eq!(titles(&indonesian, "title"), ["Halo", "Hanya Indonesia"]);
    assert_eq!(public(&app, "/api/v1/storefront/banners").await, indonesian);

    let testimonials = public(&app, "/api/v1/storefront/testimonials?lang=en").await;
    assert_eq!(
        testimonials["total"], 2,
        "drafts are not shown: {testimonials}"
    );
    assert_eq!(titles(&testimonials, "quote"), ["Very fast", "Murah"]);
    assert_eq!(testimonials["items"][0]["author_role"], "Shop owner");
    assert_eq!(testimonials["items"][0]["lang"], "en");
    assert_eq!(testimonials["items"][1]["author_role"], "Mahasiswa");
    assert_eq!(testimonials["items"][1]["lang"], "id");
    assert_eq!(testimonials["items"][1]["rating"], 4);

    let bad = app.get("/api/v1/storefront/banners?lang=fr").await;
    assert_eq!(
        bad.status().as_u16(),
        400,
        "an unknown language is a bad request"
    );

    // The staff list holds the draft too, with both languages.
    let (_, staff) = send(
        &app,
        Method::GET,
        "/api/v1/staff/content/testimonials",
        &token,
        None,
    )
    .await;
    assert_eq!(staff["total"], 3);
    assert_eq!(
        staff["items"][0]["author_name"], "Draf",
        "sort order 0 comes first"
    );
    assert_eq!(staff["items"][1]["quote_en"], "Very fast");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_published_page_is_served_as_sanitised_html_at_its_slug(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = editor(&app, Role::Business).await;
    let hostile = "# Syarat\n\nHalo <script>alert('x')</script>\n\n<img src=\"/x.png\" onerror=\"alert(1)\">\n\n\
        [klik](javascript:alert(1)) [situs](https://example.com)\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
        <a href=\"/p/faq\" onclick=\"steal()\">faq</a>";
    let page = create(&app, &token, "pages", json!({
        "slug": "syarat", "title_id": "Syarat & Ketentuan", "body_id": hostile, "is_published": false
    }))
    .await;
    assert_eq!(
        page["body_id"], hostile,
        "staff get their markdown back as written"
    );

    assert_problem(
        app.get("/api/v1/storefront/pages/syarat").await,
        404,
        "not_found",
    )
    .await;

    let id = page["id"].as_i64().unwrap();
    let mut published = json!({ "slug": "syarat", "title_id": "Syarat & Ketentuan", "body_id": hostile,
        "title_en": "Terms", "body_en": "**Read** <script>steal()</script>", "is_published": true });
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/api/v1/staff/content/pages/{id}"),
        &token,
        Some(published.clone()),
    )
    .await;
    assert_eq!(status, 200);

    let shown = public(&app, "/api/v1/storefront/pages/syarat").await;
    assert_eq!(shown["title"], "Syarat & Ketentuan");
    assert_eq!(shown["lang"], "id");
    let html = shown["html"].as_str().unwrap();
    assert!(html.contains("<h1>Syarat</h1>"), "{html}");
    assert!(html.contains("<img src=\"/x.png\">"), "{html}");
    assert!(
        html.contains(
            r#"<a href="https://example.com" rel="noopener noreferrer nofollow">situs</a>"#
        ),
        "{html}"
    );
    for forbidden in [
        "<script",
        "alert",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
    ] {
        assert!(!html.contains(forbidden), "{forbidden} survived: {html}");
    }
    let english = public(&app, "/api/v1/storefront/pages/syarat?lang=en").await;
    assert_eq!(english["title"], "Terms");
    assert_eq!(english["lang"], "en");
    assert_eq!(english["html"], "<p><strong>Read</strong> </p>\n");

    // Without English, English readers get the Indonesian page.
    published["title_en"] = json!(null);
    published["body_en"] = json!("");
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/api/v1/staff/content/pages/{id}"),
        &token,
        Some(published),
    )
    .await;
    assert_eq!(status, 200);
    let fallback = public(&app, "/api/v1/storefront/pages/syarat?lang=en").await;
    assert_eq!(fallback["lang"], "id");
    assert_eq!(fallback["title"], "Syarat & Ketentuan");

    // HTML written by an older renderer is rendered again when read.
    sqlx::query("UPDATE storefront_page SET html_id = '<script>old()</script>', rendered_with = 0")
        .execute(&pool)
        .await
        .unwrap();
    let rerendered = public(&app, "/api/v1/storefront/pages/syarat").await;
    assert_eq!(rerendered["html"], html);

    assert_problem(
        app.get("/api/v1/storefront/pages/nothing-here").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/storefront/pages/..%2Fetc").await,
        404,
        "not_found",
    )
    .await;
    let (status, listed) = send(
        &app,
        Method::GET,
        "/api/v1/staff/content/pages",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["slug"], "syarat");
    assert!(
        listed["items"][0].get("body_id").is_none(),
        "lists leave bodies out"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_slug_taken_by_another_page_is_a_conflict_naming_the_field(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = editor(&app, Role::Owner).await;
    let page = |slug: &str| json!({ "slug": slug, "title_id": "Judul", "body_id": "Isi" });
    create(&app, &token, "pages", page("faq")).await;
    let other = create(&app, &token, "pages", page("tentang")).await;

    let conflict = app
        .authed(
            Method::POST,
            "/api/v1/staff/content/pages",
            &token,
            Some(page("faq")),
        )
        .await;
    let problem = assert_problem(conflict, 409, "slug_taken").await;
    assert_eq!(problem["errors"][0]["field"], "slug");
    let renamed = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/content/pages/{}", other["id"]),
            &token,
            Some(page("faq")),
        )
        .await;
    assert_problem(renamed, 409, "slug_taken").await;
    assert_eq!(count(&pool, "storefront_page").await, 2);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE entity_type = 'storefront_page'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 2, "refused changes leave no audit entry");
    // Saving a page under its own slug is no conflict.
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/api/v1/staff/content/pages/{}", other["id"]),
        &token,
        Some(page("tentang")),
    )
    .await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrations = "../../migrations")]
async fn announcements_appear_when_their_time_comes_pinned_first_then_newest(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = editor(&app, Role::Business).await;
    let announcement = |title: &str, published_at: Option<String>, pinned: bool| json!({ "title_id": title, "body_id": format!("Isi **{title}**"), "published_at": published_at, "is_pinned": pinned });
    for body in [
        announcement("lama", Some(at(Duration::days(-3))), false),
        announcement("baru", Some(at(Duration::hours(-1))), false),
        announcement("disematkan", Some(at(Duration::days(-10))), true),
        announcement("terjadwal", Some(at(Duration::hours(1))), true),
        announcement("draf", None, false),
    ] {
        create(&app, &token, "announcements", body).await;
    }
    let shown = public(&app, "/api/v1/storefront/announcements").await;
    assert_eq!(titles(&shown, "title"), ["disematkan", "baru", "lama"]);
    assert_eq!(shown["total"], 3);
    assert_eq!(
        shown["items"][1]["html"],
        "<p>Isi <strong>baru</strong></p>\n"
    );
    assert_eq!(shown["items"][0]["is_pinned"], true);

    let second = public(&app, "/api/v1/storefront/announcements?page=2&limit=2").await;
    assert_eq!(titles(&second, "title"), ["lama"]);
    assert_eq!(
        (second["page"].as_i64(), second["limit"].as_i64()),
        (Some(2), Some(2))
    );

    let (_, staff) = send(
        &app,
        Method::GET,
        "/api/v1/staff/content/announcements",
        &token,
        None,
    )
    .await;
    assert_eq!(
        staff["total"], 5,
        "drafts and scheduled ones are listed for staff"
    );
    assert_eq!(staff["items"][0]["title_id"], "draf");

    // However many there are, a page holds at most 50.
    sqlx::query(
        "INSERT INTO storefront_announcement (title_id, body_id, html_id, rendered_with, published_at)
         SELECT 'massal ' || n, 'x', '<p>x</p>', 1, now() - make_interval(mins => n) FROM generate_series(1, 60) n",
    )
    .execute(&pool)
    .await
    .unwrap();
    let capped = public(&app, "/api/v1/storefront/announcements?limit=500").await;
    assert_eq!(capped["items"].as_array().unwrap().len(), 50);
    assert_eq!(capped["limit"], 50);
    assert_eq!(capped["total"], 63);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_input_is_refused_field_by_field_and_nothing_is_written(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = editor(&app, Role::Business).await;
    let cases = [
        (
            "banners",
            json!({ "title_id": "", "image_url": "javascript:alert(1)", "link_url": "data:text/html,x", "sort_order": 10000 }),
            vec!["title_id", "image_url", "link_url", "sort_order"],
        ),
        (
            "banners",
            json!({ "title_id": "x", "image_url": "//evil.example/a.png", "link_url": "http://plain.example" }),
            vec!["image_url", "link_url"],
        ),
        (
            "testimonials",
            json!({ "author_name": " ", "quote_id": "q".repeat(2001), "rating": 0, "author_role_en": "Owner" }),
            vec!["author_name", "quote_id", "quote_en", "rating"],
        ),
        (
            "pages",
            json!({ "slug": "Bukan Slug!", "title_id": "t", "body_id": "b".repeat(100_001), "title_en": "only a title" }),
            vec!["slug", "body_id", "body_en"],
        ),
        (
            "announcements",
            json!({ "title_id": "t".repeat(201), "body_id": "", "body_en": "only a body" }),
            vec!["title_id", "body_id", "title_en"],
        ),
    ];
    for (kind, body, fields) in cases {
        let response = app
            .authed(
                Method::POST,
                &format!("/api/v1/staff/content/{kind}"),
                &token,
                Some(body),
            )
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{kind}: {problem}");
    }
    // An edit that is refused leaves the item as it was.
    let banner = create(
        &app,
        &token,
        "banners",
        json!({ "title_id": "Asli", "image_url": "/a.png" }),
    )
    .await;
    let refused = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/content/banners/{}", banner["id"]),
            &token,
            Some(json!({ "title_id": "Baru", "image_url": "data:image/png;base64,AAAA" })),
        )
        .await;
    assert_problem(refused, 422, "validation_failed").await;
    let title: String = sqlx::query_scalar("SELECT title_id FROM storefront_banner")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, "Asli");
    for table in [
        "storefront_testimonial",
        "storefront_page",
        "storefront_announcement",
    ] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
    assert_eq!(count(&pool, "storefront_banner").await, 1);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'content.%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1, "only the one banner created");
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_preview_renders_what_a_save_would_store(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = editor(&app, Role::Business).await;
    let (status, preview) = send(
        &app,
        Method::POST,
        "/api/v1/staff/content/preview",
        &token,
        Some(json!({ "markdown": "*hai* <img src=x onerror=alert(1)> [x](javascript:alert(1))" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        preview["html"],
        "<p><em>hai</em> <img src=\"x\"> <a rel=\"noopener noreferrer nofollow\">x</a></p>\n"
    );
    let too_long = app
        .authed(
            Method::POST,
            "/api/v1/staff/content/preview",
            &token,
            Some(json!({ "markdown": "x".repeat(100_001) })),
        )
        .await;
    let problem = assert_problem(too_long, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "markdown");
}

#[sqlx::test(migrations = "../../migrations")]
async fn only_the_owner_and_business_edit_content_and_anyone_reads_it(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let owner = editor(&app, Role::Owner).await;
    let banner = create(
        &app,
        &owner,
        "banners",
        json!({ "title_id": "Promo", "image_url": "/a.png", "is_active": true }),
    )
    .await;
    let staff_paths = [
        (
            Method::GET,
            "/api/v1/staff/content/banners".to_owned(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/staff/content/testimonials".to_owned(),
            Some(json!({ "author_name": "A", "quote_id": "B", "rating": 5 })),
        ),
        (
            Method::GET,
            format!("/api/v1/staff/content/banners/{}", banner["id"]),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/staff/content/banners/{}", banner["id"]),
            Some(json!({ "title_id": "Diambil alih", "image_url": "/b.png" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/staff/content/banners/{}", banner["id"]),
            None,
        ),
        (Method::GET, "/api/v1/staff/content/pages".to_owned(), None),
        (
            Method::GET,
            "/api/v1/staff/content/announcements".to_owned(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/staff/content/preview".to_owned(),
            Some(json!({ "markdown": "x" })),
        ),
    ];
    for role in [Role::Client, Role::Sysadmin, Role::Finance, Role::Reseller] {
        let token = editor(&app, role).await;
        for (method, path, body) in &staff_paths {
            let response = app.authed(method.clone(), path, &token, body.clone()).await;
            assert_problem(response, 403, "forbidden").await;
        }
    }
    for (method, path, body) in &staff_paths {
        let mut request = app.client.request(method.clone(), app.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        assert_problem(request.send().await.unwrap(), 401, "unauthorized").await;
    }
    assert_eq!(count(&pool, "storefront_testimonial").await, 0);
    let title: String = sqlx::query_scalar("SELECT title_id FROM storefront_banner")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, "Promo");
    // Visitors need no account.
    assert_eq!(
        titles(&public(&app, "/api/v1/storefront/banners").await, "title"),
        ["Promo"]
    );
    for path in [
        "/api/v1/storefront/testimonials",
        "/api/v1/storefront/announcements",
    ] {
        assert_eq!(public(&app, path).await["items"], json!([]));
    }
}
