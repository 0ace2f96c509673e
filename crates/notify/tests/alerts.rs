//! Owner alerts: the first few of a window go out one by one to the chats
//! that receive alerts, a storm is held and summarised in one message, and
//! replicas raising at the same time share the budget.
#![allow(clippy::unwrap_used)]

use notify::alert::{self, AlertKind, BURST, Delivery, NewAlert};
use sqlx::PgPool;

fn error(title: &str) -> NewAlert {
    NewAlert {
        kind: AlertKind::Error,
        source: "billing::invoice".to_owned(),
        title: title.to_owned(),
        detail: "invoice=42".to_owned(),
    }
}

async fn alert_chats(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO telegram_chat (chat_id, kind, label, receives_alerts) VALUES (111, 'staff', 'Owner', true), (222, 'staff', 'Sellers', false)",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn telegram_bodies(pool: &PgPool, chat: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM outbox_message WHERE recipient = $1 AND event = 'owner.alert' ORDER BY id")
        .bind(chat.to_string())
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits for the next window when less than 10 s of this one are left, so
/// that what a test raises falls into one window.
async fn stay_in_one_window(pool: &PgPool) {
    let now: f64 = sqlx::query_scalar("SELECT extract(epoch FROM now())::float8")
        .fetch_one(pool)
        .await
        .unwrap();
    let into_window = now.rem_euclid(60.0);
    if into_window > 50.0 {
        tokio::time::sleep(std::time::Duration::from_secs_f64(60.0 - into_window + 0.2)).await;
    }
}

async fn raise(pool: &PgPool, alert: &NewAlert) -> Delivery {
    let mut tx = pool.begin().await.unwrap();
    let delivery = alert::raise(&mut tx, alert).await.unwrap();
    tx.commit().await.unwrap();
    delivery
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_storm_sends_a_few_alerts_then_one_summary(pool: PgPool) {
    alert_chats(&pool).await;
    stay_in_one_window(&pool).await;

    let mut deliveries = Vec::new();
    for n in 0..40 {
        let title = if n % 4 == 0 {
            "payment gateway timed out"
        } else {
            "could not charge"
        };
        deliveries.push(raise(&pool, &error(title)).await);
    }
    let sent = deliveries
        .iter()
        .filter(|delivery| **delivery == Delivery::Sent)
        .count();
    assert_eq!(sent, usize::try_from(BURST).unwrap());
    assert_eq!(
        telegram_bodies(&pool, 111).await.len(),
        sent,
        "each sent alert reaches the alert chat"
    );
    assert!(
        telegram_bodies(&pool, 222).await.is_empty(),
        "chats without alerts get none"
    );

    let summaries: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = $1")
        .bind(alert::SUMMARY_JOB)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        summaries, 1,
        "one summary job per window, however many were held"
    );

    assert_eq!(alert::send_summary(&pool).await.unwrap(), 35);
    let bodies = telegram_bodies(&pool, 111).await;
    assert_eq!(bodies.len(), sent + 1);
    let summary = bodies.last().unwrap();
    assert!(summary.contains("35 more alerts"), "{summary}");
    assert!(summary.contains("× [error] could not charge"), "{summary}");
    assert!(
        summary.contains("× [error] payment gateway timed out"),
        "{summary}"
    );
    // Nothing is held any more: a second summary sends nothing.
    assert_eq!(alert::send_summary(&pool).await.unwrap(), 0);
    assert_eq!(telegram_bodies(&pool, 111).await.len(), sent + 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn replicas_raising_together_share_one_budget(pool: PgPool) {
    alert_chats(&pool).await;
    stay_in_one_window(&pool).await;
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move { raise(&pool, &error(&format!("error {n}"))).await })
        })
        .collect();
    let mut sent = 0;
    for task in tasks {
        if task.await.unwrap() == Delivery::Sent {
            sent += 1;
        }
    }
    assert_eq!(sent, BURST);
}

#[sqlx::test(migrations = "../../migrations")]
async fn alerts_are_listed_newest_first_with_their_delivery(pool: PgPool) {
    stay_in_one_window(&pool).await;
    for n in 0..7 {
        raise(&pool, &error(&format!("e{n}"))).await;
    }
    let (page, next) = alert::list(&pool, None, 3).await.unwrap();
    assert_eq!(
        page.iter()
            .map(|alert| alert.title.as_str())
            .collect::<Vec<_>>(),
        ["e6", "e5", "e4"]
    );
    assert_eq!(page[0].delivery, alert::AlertDelivery::Held);
    let (rest, _) = alert::list(&pool, next, 10).await.unwrap();
    assert_eq!(rest.len(), 4);
    assert_eq!(rest.last().unwrap().delivery, alert::AlertDelivery::Sent);
}
