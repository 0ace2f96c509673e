//! Several `juragan serve` replicas on one database, as behind a load balancer.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::helpers::spawn_app;

#[sqlx::test(migrations = "../../migrations")]
async fn three_replicas_serve_and_enqueue_the_hourly_maintenance_once(pool: PgPool) {
    let replicas = [
        spawn_app(pool.clone()).await,
        spawn_app(pool.clone()).await,
        spawn_app(pool.clone()).await,
    ];
    for replica in &replicas {
        assert_eq!(replica.get("/readyz").await.status().as_u16(), 200);
    }

    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job WHERE kind = 'jobs.prune_finished' AND status = 'done'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if done >= 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "maintenance job never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the other replicas every chance to enqueue a duplicate.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'jobs.prune_finished'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        total, 1,
        "one maintenance job for this hour across three replicas"
    );

    // A replica going away leaves the others serving.
    replicas[0].stop().await;
    assert!(
        replicas[0]
            .client
            .get(replicas[0].url("/healthz"))
            .send()
            .await
            .is_err()
    );
    assert_eq!(replicas[1].get("/healthz").await.status().as_u16(), 200);
    assert_eq!(replicas[2].get("/readyz").await.status().as_u16(), 200);
}
