//! The ISP side of `make dev`: the sandbox's MikroTik router (binary API on
//! 8728, isolation by disabling the PPP secret) and a handful of customers
//! around Sempu, Malang, whose PPPoE names are the fake router's demo
//! secrets — two of them logged in, so the first sync (within 15 s) shows
//! green and red markers; one customer has no PPPoE name yet.

use monitoring::isp::customer::{self, CustomerInput};
use monitoring::isp::router::{self, IsolationMode, RouterInput, RouterTransport};
use sqlx::PgPool;

pub async fn seed(pool: &PgPool, sealer: &domain::Sealer) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM isp_router WHERE name = 'Core Sempu'")
            .fetch_optional(&mut *tx)
            .await?;
    if existing.is_some() {
        return Ok(());
    }
    let core = router::create(
        &mut tx,
        sealer,
        &RouterInput {
            name: "Core Sempu".into(),
            host: "127.0.0.1".into(),
            port: Some(8728),
            transport: RouterTransport::Api,
            tls_fingerprint: None,
            username: "juragan".into(),
            password: Some("sandbox-router-pass".into()),
            sync_enabled: true,
            sync_interval_seconds: Some(120),
            isolation_mode: IsolationMode::Disable,
            isolation_profile: None,
            note: "The sandbox's RouterOS fake (make dev).".into(),
        },
    )
    .await?;
    let plan: Option<i64> =
        sqlx::query_scalar("SELECT id FROM product WHERE slug = 'internet-rumah-20'")
            .fetch_optional(&mut *tx)
            .await?;
    let customers = [
        (
            "Egi Setiawan Sempu",
            "egisetiawansempu",
            "Dusun Sempu RT 02",
            -8.0261,
            112.6150,
        ),
        (
            "Budi Santoso",
            "budi.santoso",
            "Jl. Raya Sempu 14",
            -8.0248,
            112.6172,
        ),
        (
            "Siti Rahma",
            "sitirahma",
            "Gang Melati 3",
            -8.0275,
            112.6139,
        ),
        (
            "Warung Kopi Pak Dul",
            "warungkopi",
            "Pertigaan Sempu",
            -8.0239,
            112.6161,
        ),
        (
            "Rumah Baru (belum dipasang)",
            "",
            "Dusun Krajan",
            -8.0290,
            112.6185,
        ),
    ];
    for (name, pppoe, address, latitude, longitude) in customers {
        customer::create(
            &mut tx,
            &CustomerInput {
                name: name.into(),
                pppoe_username: pppoe.into(),
                address: address.into(),
                phone: String::new(),
                latitude: Some(latitude),
                longitude: Some(longitude),
                product_id: plan,
                router_id: Some(core.id),
                service_id: None,
                note: String::new(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    println!("demo ISP: router Core Sempu (sandbox RouterOS on 127.0.0.1:8728) and 5 customers");
    Ok(())
}
