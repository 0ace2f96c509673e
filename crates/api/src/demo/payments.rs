//! Billing for `make dev`: the seller on invoices, the payment gateways
//! pointed at the sandbox's fakes (their addresses from the same
//! environment variables the sandbox binds), bank transfer with its
//! instructions, and two promo codes. Written through billing's own
//! functions; idempotent.

use billing::payment::methods::{self, GatewayInput};
use billing::promo::{DiscountKind, PromoInput, store as promo_store};
use billing::settings::{self, BillingSettingsInput};
use domain::Sealer;
use sqlx::PgPool;

/// The Pakasir webhook secret of the demo: the sandbox is started with the
/// webhook URL that carries it (scripts/dev.sh).
pub const DEMO_PAKASIR_WEBHOOK_TOKEN: &str = "demopakasirwebhooktoken0123456789";

// The credentials the sandbox's fakes accept by default (crates/sandbox).
const SANDBOX_MIDTRANS_SERVER_KEY: &str = "SB-Mid-server-juragan-sandbox";
const SANDBOX_XENDIT_SECRET_KEY: &str = "xnd_development_juragan_sandbox";
const SANDBOX_XENDIT_CALLBACK_TOKEN: &str = "juragan-xendit-callback-token";
const SANDBOX_PAKASIR_PROJECT: &str = "juragan-sandbox";
const SANDBOX_PAKASIR_API_KEY: &str = "pakasir-juragan-sandbox-key";

pub(super) fn sandbox_url(variable: &str, default: &str) -> String {
    format!(
        "http://{}",
        std::env::var(variable).unwrap_or_else(|_| default.to_owned())
    )
}

pub async fn seed(pool: &PgPool, sealer: &Sealer) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    settings::update(
        &mut tx,
        &BillingSettingsInput {
            tax_rate_bp: 1100,
            prices_include_tax: true,
            order_timeout_minutes: 1440,
            seller_name: "PT Juragan Hosting Nusantara".to_owned(),
            seller_address: "Jl. Asia Afrika No. 8\nBandung 40111, Jawa Barat".to_owned(),
            seller_tax_id: Some("01.234.567.8-901.000".to_owned()),
            bank_instructions: String::new(),
        },
    )
    .await?;
    let midtrans = sandbox_url("SANDBOX_MIDTRANS_ADDR", "127.0.0.1:8027");
    let xendit = sandbox_url("SANDBOX_XENDIT_ADDR", "127.0.0.1:8028");
    let pakasir = sandbox_url("SANDBOX_PAKASIR_ADDR", "127.0.0.1:8029");
    let gateways = [
        (
            "midtrans",
            GatewayInput {
                enabled: true,
                base_url: Some(midtrans.clone()),
                checkout_base_url: Some(format!("{midtrans}/snap/v1")),
                api_key: Some(SANDBOX_MIDTRANS_SERVER_KEY.to_owned()),
                ..GatewayInput::default()
            },
        ),
        (
            "xendit",
            GatewayInput {
                enabled: true,
                base_url: Some(xendit),
                api_key: Some(SANDBOX_XENDIT_SECRET_KEY.to_owned()),
                callback_token: Some(SANDBOX_XENDIT_CALLBACK_TOKEN.to_owned()),
                ..GatewayInput::default()
            },
        ),
        (
            "pakasir",
            GatewayInput {
                enabled: true,
                base_url: Some(pakasir.clone()),
                checkout_base_url: Some(pakasir),
                project: Some(SANDBOX_PAKASIR_PROJECT.to_owned()),
                api_key: Some(SANDBOX_PAKASIR_API_KEY.to_owned()),
                webhook_token: Some(DEMO_PAKASIR_WEBHOOK_TOKEN.to_owned()),
                ..GatewayInput::default()
            },
        ),
        (
            "manual",
            GatewayInput {
                enabled: true,
                instructions: Some(
                    "Transfer ke BCA 123-456-7890 a.n. PT Juragan Hosting Nusantara, lalu unggah bukti transfer.".to_owned(),
                ),
                ..GatewayInput::default()
            },
        ),
    ];
    for (gateway, input) in &gateways {
        methods::save(&mut tx, sealer, gateway, input, None).await?;
    }

    let owner: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM app_user WHERE email = 'owner@juragan.test'")
            .fetch_one(&mut *tx)
            .await?;
    for (code, description, kind, percent, amount) in [
        (
            "HEMAT10",
            "Diskon 10% untuk pesanan pertama",
            DiscountKind::Percent,
            Some(10),
            None,
        ),
        (
            "DISKON25K",
            "Potongan Rp 25.000",
            DiscountKind::Fixed,
            None,
            Some(25_000),
        ),
    ] {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM promo_code WHERE code = $1)")
                .bind(code)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            promo_store::create(
                &mut tx,
                &PromoInput {
                    code: code.to_owned(),
                    description: description.to_owned(),
                    discount_kind: kind,
                    percent,
                    amount_minor: amount,
                    currency: amount.map(|_| "IDR".to_owned()),
                    starts_at: None,
                    ends_at: None,
                    max_uses: Some(100),
                    max_uses_per_user: Some(1),
                    recurring: false,
                    active: true,
                    product_ids: Vec::new(),
                    category_ids: Vec::new(),
                },
                owner,
            )
            .await?;
        }
    }
    tx.commit().await?;
    println!("demo billing: gateways → sandbox fakes, promo codes HEMAT10 and DISKON25K");
    Ok(())
}
