//! What the auth guard costs per request: the same trivial handler with and
//! without `Auth<AnyUser>`, called in-process through the full actix service
//! stack, interleaved so both see the same machine. Two guarded cases: a
//! token seen for the first time (ES256 verify, claims, revocation check,
//! role check) and a token already verified (hash lookup in the verified
//! cache, revocation check, role check). The revocation mirror is the real
//! one, loaded from Redis and holding revocations of other sessions and
//! users, so the lookups are not against an empty set. Plus raw ES256
//! verifications per second on one core. Prints a Markdown section for
//! BENCHMARKS.md.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, test, web};
use api::auth::{AnyUser, Auth};
use api::state::AppState;
use identity::Role;

const REQUESTS: usize = 20_000;

async fn open() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn guarded(_auth: Auth<AnyUser>) -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    samples[((samples.len() as f64 - 1.0) * p) as usize]
}

#[actix_web::main]
async fn main() {
    api::app::install_crypto_provider();
    let settings = api::Settings::from_lookup(&|name| match name {
        "APP_ENV" => Some("test".to_owned()),
        "REDIS_URL" => std::env::var("REDIS_URL").ok(),
        "DATABASE_URL" => std::env::var("BENCH_PG_SERVER_URL")
            .ok()
            .map(|server| format!("{server}/postgres")),
        _ => None,
    })
    .unwrap();
    // The guard never touches the database for access tokens: a lazy pool
    // that is never used proves it.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(settings.database_url.expose())
        .unwrap();
    let redis = api::app::connect_redis(&settings).await.unwrap();
    let identity = api::app::build_identity(&settings, pool.clone(), redis.clone()).unwrap();
    identity.start_revocation_sync().await.unwrap();
    // Other people's revocations, so the check searches a populated set.
    let others: Vec<uuid::Uuid> = (0..1000).map(|_| uuid::Uuid::now_v7()).collect();
    identity
        .revocations()
        .revoke_sessions(&others)
        .await
        .unwrap();
    for user in others.iter().take(100) {
        identity
            .revocations()
            .revoke_user_tokens(*user)
            .await
            .unwrap();
    }
    let user = uuid::Uuid::now_v7();
    let token = identity
        .keys()
        .issue(user, &[Role::Client], uuid::Uuid::now_v7())
        .unwrap();
    // Distinct tokens, each sent once: the first-seen case.
    let fresh: Vec<String> = (0..REQUESTS + 1000)
        .map(|_| {
            identity
                .keys()
                .issue(user, &[Role::Client], uuid::Uuid::now_v7())
                .unwrap()
        })
        .collect();
    let domain_checker = api::app::build_domain_checker(&settings, redis.clone()).unwrap();
    let sealer = std::sync::Arc::new(domain::Sealer::new(&[b"bench"]).unwrap());
    let payments = billing::payment::PaymentContext {
        pool: pool.clone(),
        sealer: sealer.clone(),
        http: api::app::gateway_http_client().unwrap(),
        clock: domain::Clock::system(settings.shop_calendar),
    };
    let provisioner = api::app::build_provisioner(&settings, pool.clone(), sealer.clone()).unwrap();
    let state = AppState {
        payments,
        provisioner,
        pool,
        identity: identity.clone(),
        redis,
        domain_checker,
        clock: domain::Clock::system(settings.shop_calendar),
        settings: std::sync::Arc::new(settings),
        telegram: None,
        sealer,
        storefront_cache: billing::catalog::cache::StorefrontCache::new(),
    };
    let service = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .route("/open", web::get().to(open))
            .route("/guarded", web::get().to(guarded)),
    )
    .await;

    let mut open_samples = Vec::with_capacity(REQUESTS);
    let mut guarded_samples = Vec::with_capacity(REQUESTS);
    let mut first_samples = Vec::with_capacity(REQUESTS);
    for (round, fresh_token) in fresh.iter().enumerate() {
        // The in-process calls complete without ever waiting, so this loop
        // would starve the revocation mirror's once-a-second sync on this
        // one-thread runtime until the guard (rightly) refuses a stale
        // mirror. A short sleep every few hundred rounds, outside the timed
        // calls, parks the runtime so the sync runs, as a server idles
        // between requests.
        if round % 250 == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let open_request = test::TestRequest::get()
            .uri("/open")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request();
        let started = Instant::now();
        let response = test::call_service(&service, open_request).await;
        let open_elapsed = started.elapsed();
        assert!(response.status().is_success());

        let guarded_request = test::TestRequest::get()
            .uri("/guarded")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request();
        let started = Instant::now();
        let response = test::call_service(&service, guarded_request).await;
        let guarded_elapsed = started.elapsed();
        assert!(
            response.status().is_success(),
            "known token: {}",
            response.status()
        );

        let first_request = test::TestRequest::get()
            .uri("/guarded")
            .insert_header(("Authorization", format!("Bearer {fresh_token}")))
            .to_request();
        let started = Instant::now();
        let response = test::call_service(&service, first_request).await;
        let first_elapsed = started.elapsed();
        assert!(
            response.status().is_success(),
            "first-seen token: {}",
            response.status()
        );
        if round >= 1000 {
            // The first thousand rounds warm caches and the allocator.
            open_samples.push(open_elapsed);
            guarded_samples.push(guarded_elapsed);
            first_samples.push(first_elapsed);
        }
    }
    let open_median = median(&mut open_samples);
    let guarded_median = median(&mut guarded_samples);
    let first_median = median(&mut first_samples);
    let overhead = guarded_median.saturating_sub(open_median);
    let first_overhead = first_median.saturating_sub(open_median);

    // A revoked token is refused even though it is in the verified cache.
    let revoked_session = uuid::Uuid::now_v7();
    let revoked = identity
        .keys()
        .issue(user, &[Role::Client], revoked_session)
        .unwrap();
    let call = |token: &str| {
        test::TestRequest::get()
            .uri("/guarded")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    assert!(
        test::call_service(&service, call(&revoked))
            .await
            .status()
            .is_success()
    );
    identity
        .revocations()
        .revoke_sessions(&[revoked_session])
        .await
        .unwrap();
    assert_eq!(
        test::call_service(&service, call(&revoked)).await.status(),
        actix_web::http::StatusCode::UNAUTHORIZED
    );

    let keys = identity.keys();
    let started = Instant::now();
    let mut verified = 0u64;
    while started.elapsed() < Duration::from_secs(3) {
        keys.verify(&token).unwrap();
        verified += 1;
    }
    let per_second = verified as f64 / started.elapsed().as_secs_f64();

    let micros = |duration: Duration| duration.as_secs_f64() * 1e6;
    println!("## Auth guard overhead\n");
    println!(
        "Workload: {REQUESTS} GET requests to each of two routes with the same trivial handler, through the actix"
    );
    println!(
        "service stack in-process (no sockets), interleaved one-to-one after 1,000 warm-up rounds. Baseline: the"
    );
    println!(
        "handler without a guard. Ours: the handler behind `Auth<AnyUser>` (Bearer parsing, then for a token seen"
    );
    println!(
        "for the first time the ES256 signature check and claims validation, for a repeated token a SHA-256 lookup in"
    );
    println!(
        "the verified cache; in both the in-memory revocation check against the live Redis-mirrored set holding"
    );
    println!(
        "1,100 other revocations, and the role check). Each first-seen request carries a distinct freshly issued token."
    );
    println!(
        "Targets: < 100 µs median first-seen, < 15 µs median for an already verified token. Afterwards a cached token"
    );
    println!("is revoked and the next request with it is checked to get 401.\n");
    println!("| route | median | p99 |");
    println!("| --- | ---: | ---: |");
    println!(
        "| baseline: no guard | {:.1} µs | {:.1} µs |",
        micros(open_median),
        micros(percentile(&open_samples, 0.99))
    );
    println!(
        "| ours: `Auth<AnyUser>`, first-seen token | {:.1} µs | {:.1} µs |",
        micros(first_median),
        micros(percentile(&first_samples, 0.99))
    );
    println!(
        "| ours: `Auth<AnyUser>`, already verified token | {:.1} µs | {:.1} µs |",
        micros(guarded_median),
        micros(percentile(&guarded_samples, 0.99))
    );
    println!();
    println!(
        "Guard overhead (median difference): first-seen **{:.1} µs**, already verified **{:.1} µs**. ES256 verifications on one core: **{:.0}/s** ({:.1} µs each).\n",
        micros(first_overhead),
        micros(overhead),
        per_second,
        1e6 / per_second
    );
}
