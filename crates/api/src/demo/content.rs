//! The storefront's words for the demo: two banners (images served from
//! the SPA's `public/demo/`), testimonials, an announcement and the terms
//! page, through the content functions staff use.

use billing::content::{announcement, banner, page, testimonial};
use serde_json::json;
use sqlx::PgPool;

fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> anyhow::Result<T> {
    Ok(serde_json::from_value(value)?)
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let seeded: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM storefront_banner)")
        .fetch_one(pool)
        .await?;
    if seeded {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for (sort_order, (title_id, title_en, image, link)) in [
        (
            "VPS NVMe mulai Rp 42.500/bulan",
            "NVMe VPS from Rp 42,500 a month",
            "/demo/banner-vps.svg",
            "/products?kind=vps",
        ),
        (
            "Domain .my.id cuma Rp 15.000",
            ".my.id domains for just Rp 15,000",
            "/demo/banner-domain.svg",
            "/domains",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let value = json!({"title_id": title_id, "title_en": title_en, "image_url": image,
                           "link_url": link, "sort_order": sort_order, "is_active": true});
        banner::create(&mut tx, &input(value)?).await?;
    }
    for (sort_order, (name, role_id, role_en, quote_id, quote_en, rating)) in [
        (
            "Andi Pratama",
            "Pemilik toko online",
            "Online shop owner",
            "VPS Jakarta-nya stabil, toko saya tidak pernah down waktu promo 12.12.",
            "The Jakarta VPS is steady: my shop never went down during the 12.12 sale.",
            5,
        ),
        (
            "Sari Wulandari",
            "Reseller hosting",
            "Hosting reseller",
            "Harga reseller jelas dan tagihan otomatis, pelanggan saya tinggal bayar.",
            "Clear reseller prices and automatic invoices: my customers just pay.",
            5,
        ),
        (
            "Dimas",
            "Mahasiswa",
            "Student",
            "Domain .my.id murah, aktif dalam hitungan menit.",
            "Cheap .my.id domain, live within minutes.",
            4,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let value = json!({"author_name": name, "author_role_id": role_id, "author_role_en": role_en,
                           "quote_id": quote_id, "quote_en": quote_en, "rating": rating,
                           "sort_order": sort_order, "is_published": true});
        testimonial::create(&mut tx, &input(value)?).await?;
    }
    let value = json!({
        "title_id": "Region Surabaya sudah buka",
        "title_en": "The Surabaya region is open",
        "body_id": "VPS kini bisa dipesan di **Surabaya**, selain Jakarta dan Singapura.",
        "body_en": "VPS can now be ordered in **Surabaya**, besides Jakarta and Singapore.",
        "published_at": (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339(),
        "is_pinned": true
    });
    announcement::create(&mut tx, &input(value)?).await?;
    let value = json!({
        "slug": "syarat-dan-ketentuan",
        "title_id": "Syarat dan Ketentuan",
        "title_en": "Terms and Conditions",
        "body_id": "## Pembayaran\n\nLayanan aktif setelah pembayaran diterima.\n\n## Penangguhan\n\nLayanan ditangguhkan 3 hari setelah jatuh tempo dan dihentikan 15 hari setelah jatuh tempo.",
        "body_en": "## Payment\n\nServices start once payment is received.\n\n## Suspension\n\nServices are suspended 3 days after the due date and terminated 15 days after it.",
        "is_published": true
    });
    page::create(&mut tx, &input(value)?).await?;
    tx.commit().await?;
    println!(
        "demo content: 2 banners, 3 testimonials, 1 announcement, the terms page (/p/syarat-dan-ketentuan)"
    );
    Ok(())
}
