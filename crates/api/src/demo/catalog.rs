//! A realistic Indonesian reseller's catalog: VPS and RDP in two Indonesian
//! regions and Singapore, cPanel hosting, .com/.id/.co.id/.my.id domains,
//! digital goods with stock and terms, data packages for the big three
//! operators and two home internet plans. Written through the catalog's own
//! functions, so the demo passes the same validation staff edits do.

use billing::catalog::category::{self, CategoryInput};
use billing::catalog::lists::{self, OsTemplateInput, RegionInput};
use billing::catalog::product::{self, ListingInput, NewProduct};
use billing::catalog::stock::{self, StockUpload};
use billing::catalog::{PriceInput, SpecInput};
use sqlx::PgPool;

/// (tier, cycle, price) in rupiah.
type Prices<'a> = &'a [(&'a str, &'a str, i64)];

fn prices(rows: Prices<'_>, setup_fee: i64) -> Vec<PriceInput> {
    rows.iter()
        .map(|(group, cycle, price)| PriceInput {
            group: (*group).to_owned(),
            currency: "IDR".to_owned(),
            cycle: (*cycle).to_owned(),
            price_minor: *price,
            setup_fee_minor: (setup_fee > 0).then_some(setup_fee),
            renew_minor: None,
            transfer_minor: None,
        })
        .collect()
}

/// Member and reseller prices of a recurring plan, with the longer cycles
/// discounted the way resellers usually quote them.
fn recurring(member: i64, reseller: i64) -> Vec<(&'static str, &'static str, i64)> {
    let mut rows = Vec::new();
    for (group, monthly) in [("member", member), ("reseller", reseller)] {
        rows.push((group, "monthly", monthly));
        rows.push((group, "quarterly", monthly * 3 * 95 / 100));
        rows.push((group, "annual", monthly * 12 * 85 / 100));
    }
    rows
}

struct Demo<'a> {
    kind: &'a str,
    slug: String,
    category: &'a str,
    name_id: String,
    name_en: String,
    summary_id: &'a str,
    summary_en: &'a str,
    featured: bool,
    spec: SpecInput,
    prices: Vec<PriceInput>,
}

fn vps(cores: i64, ram_mb: i64, disk_gb: i64, regions: &[&str], templates: &[&str]) -> SpecInput {
    SpecInput {
        cores: Some(cores),
        ram_mb: Some(ram_mb),
        disk_gb: Some(disk_gb),
        rate_limit_mbps: Some(100),
        regions: Some(regions.iter().map(|code| (*code).to_owned()).collect()),
        os_templates: Some(templates.iter().map(|code| (*code).to_owned()).collect()),
        ..SpecInput::default()
    }
}

const LINUX: [&str; 3] = ["ubuntu-24.04", "debian-12", "almalinux-9"];

fn products() -> Vec<Demo<'static>> {
    let domain =
        |tld: &str, register: i64, renew: i64, reseller: i64| -> (SpecInput, Vec<PriceInput>) {
            let price = |group: &str, amount: i64| PriceInput {
                group: group.to_owned(),
                currency: "IDR".to_owned(),
                cycle: "annual".to_owned(),
                price_minor: amount,
                setup_fee_minor: None,
                renew_minor: Some(renew),
                transfer_minor: Some(register),
            };
            (
                SpecInput {
                    tld: Some(tld.to_owned()),
                    ..SpecInput::default()
                },
                vec![price("member", register), price("reseller", reseller)],
            )
        };
    let mut demo = vec![
        Demo {
            kind: "vps",
            slug: "vps-nano".into(),
            category: "vps-indonesia",
            name_id: "VPS Nano".into(),
            name_en: "VPS Nano".into(),
            summary_id: "1 vCPU, 1 GB RAM, 20 GB NVMe — cocok untuk bot dan VPN",
            summary_en: "1 vCPU, 1 GB RAM, 20 GB NVMe — for bots and VPNs",
            featured: false,
            spec: vps(1, 1024, 20, &["jkt", "sby"], &LINUX),
            prices: prices(&recurring(50_000, 42_000), 0),
        },
        Demo {
            kind: "vps",
            slug: "vps-mikro".into(),
            category: "vps-indonesia",
            name_id: "VPS Mikro".into(),
            name_en: "VPS Micro".into(),
            summary_id: "2 vCPU, 2 GB RAM, 40 GB NVMe",
            summary_en: "2 vCPU, 2 GB RAM, 40 GB NVMe",
            featured: true,
            spec: vps(2, 2048, 40, &["jkt", "sby"], &LINUX),
            prices: prices(&recurring(90_000, 78_000), 0),
        },
        Demo {
            kind: "vps",
            slug: "vps-pro".into(),
            category: "vps-indonesia",
            name_id: "VPS Pro".into(),
            name_en: "VPS Pro".into(),
            summary_id: "4 vCPU, 8 GB RAM, 120 GB NVMe untuk toko online",
            summary_en: "4 vCPU, 8 GB RAM, 120 GB NVMe for online shops",
            featured: true,
            spec: vps(4, 8192, 120, &["jkt"], &LINUX),
            prices: prices(&recurring(250_000, 215_000), 50_000),
        },
        Demo {
            kind: "vps",
            slug: "vps-singapura".into(),
            category: "vps-indonesia",
            name_id: "VPS Singapura".into(),
            name_en: "Singapore VPS".into(),
            summary_id: "2 vCPU, 4 GB RAM, 60 GB — latensi rendah ke Asia",
            summary_en: "2 vCPU, 4 GB RAM, 60 GB — low latency across Asia",
            featured: false,
            spec: vps(2, 4096, 60, &["sgp"], &LINUX),
            prices: {
                let mut rows = prices(&recurring(150_000, 130_000), 0);
                rows.push(PriceInput {
                    group: "member".to_owned(),
                    currency: "USD".to_owned(),
                    cycle: "monthly".to_owned(),
                    price_minor: 999,
                    setup_fee_minor: None,
                    renew_minor: None,
                    transfer_minor: None,
                });
                rows
            },
        },
        Demo {
            kind: "vps",
            slug: "rdp-windows-2022".into(),
            category: "rdp",
            name_id: "RDP Windows Server 2022".into(),
            name_en: "RDP Windows Server 2022".into(),
            summary_id: "2 vCPU, 4 GB RAM, 60 GB, akses Remote Desktop",
            summary_en: "2 vCPU, 4 GB RAM, 60 GB, Remote Desktop access",
            featured: true,
            spec: vps(2, 4096, 60, &["jkt", "sgp"], &["windows-2022", "windows-10"]),
            prices: prices(&recurring(175_000, 150_000), 25_000),
        },
        Demo {
            kind: "hosting",
            slug: "hosting-starter".into(),
            category: "hosting-cpanel",
            name_id: "Hosting cPanel Starter".into(),
            name_en: "cPanel Hosting Starter".into(),
            summary_id: "1 GB SSD, bandwidth 20 GB, SSL gratis",
            summary_en: "1 GB SSD, 20 GB bandwidth, free SSL",
            featured: false,
            spec: SpecInput {
                whm_package: Some("juragan_starter".to_owned()),
                disk_mb: Some(1024),
                bandwidth_gb: Some(20),
                addon_domains: Some(0),
                ..SpecInput::default()
            },
            prices: prices(&recurring(15_000, 12_000), 0),
        },
        Demo {
            kind: "hosting",
            slug: "hosting-bisnis".into(),
            category: "hosting-cpanel",
            name_id: "Hosting cPanel Bisnis".into(),
            name_en: "cPanel Hosting Business".into(),
            summary_id: "5 GB SSD, bandwidth tanpa batas, 5 addon domain",
            summary_en: "5 GB SSD, unmetered bandwidth, 5 addon domains",
            featured: true,
            spec: SpecInput {
                whm_package: Some("juragan_business".to_owned()),
                disk_mb: Some(5120),
                addon_domains: Some(5),
                ..SpecInput::default()
            },
            prices: prices(&recurring(45_000, 38_000), 0),
        },
        Demo {
            kind: "digital",
            slug: "netflix-premium-1-bulan".into(),
            category: "produk-digital",
            name_id: "Akun Netflix Premium 1 Bulan".into(),
            name_en: "Netflix Premium account, 1 month".into(),
            summary_id: "Akun sharing 1 profil, garansi 30 hari",
            summary_en: "Shared account, 1 profile, 30-day warranty",
            featured: false,
            spec: SpecInput {
                terms_id: Some(
                    "Dilarang mengganti email/password. Kirim tangkapan layar login dalam 1x24 jam sebagai bukti. Garansi hangus bila aturan dilanggar.".to_owned(),
                ),
                terms_en: Some(
                    "Do not change the email or password. Send a screenshot of the login within 24 hours as proof. The warranty ends if the rules are broken.".to_owned(),
                ),
                ..SpecInput::default()
            },
            prices: prices(&[("member", "one_time", 35_000), ("reseller", "one_time", 30_000)], 0),
        },
        Demo {
            kind: "digital",
            slug: "canva-pro-1-tahun".into(),
            category: "produk-digital",
            name_id: "Canva Pro 1 Tahun".into(),
            name_en: "Canva Pro, 1 year".into(),
            summary_id: "Undangan ke tim Canva Pro, aktif 12 bulan",
            summary_en: "Invitation to a Canva Pro team, 12 months",
            featured: false,
            spec: SpecInput::default(),
            prices: prices(&[("member", "one_time", 40_000), ("reseller", "one_time", 33_000)], 0),
        },
    ];
    for (operator, sku, slug, name, quota_gb, member, reseller) in [
        (
            "xl",
            "XL-XTRA-10",
            "xl-xtra-combo-10gb",
            "XL Xtra Combo 10 GB",
            10,
            65_000,
            61_000,
        ),
        (
            "telkomsel",
            "TSEL-OMG-15",
            "telkomsel-omg-15gb",
            "Telkomsel OMG! 15 GB",
            15,
            90_000,
            85_500,
        ),
        (
            "indosat",
            "ISAT-FREEDOM-20",
            "indosat-freedom-20gb",
            "Indosat Freedom 20 GB",
            20,
            75_000,
            71_000,
        ),
    ] {
        demo.push(Demo {
            kind: "data_package",
            slug: slug.into(),
            category: "paket-data",
            name_id: name.into(),
            name_en: name.into(),
            summary_id: "Kuota nasional 30 hari, langsung masuk ke nomor Anda",
            summary_en: "30-day national quota, straight to your number",
            featured: false,
            spec: SpecInput {
                provider_sku: Some(sku.to_owned()),
                operator: Some(operator.to_owned()),
                quota_mb: Some(quota_gb * 1024),
                validity_days: Some(30),
                ..SpecInput::default()
            },
            prices: prices(
                &[
                    ("member", "one_time", member),
                    ("reseller", "one_time", reseller),
                ],
                0,
            ),
        });
    }
    for (slug, name, profile, down, up, price) in [
        (
            "internet-rumah-20",
            "Internet Rumah 20 Mbps",
            "paket-20m",
            20,
            10,
            200_000,
        ),
        (
            "internet-rumah-50",
            "Internet Rumah 50 Mbps",
            "paket-50m",
            50,
            25,
            300_000,
        ),
    ] {
        demo.push(Demo {
            kind: "internet",
            slug: slug.into(),
            category: "internet-rumah",
            name_id: name.into(),
            name_en: name.into(),
            summary_id: "Tanpa FUP, pemasangan gratis area kota",
            summary_en: "No fair-usage cap, free installation in town",
            featured: false,
            spec: SpecInput {
                pppoe_profile: Some(profile.to_owned()),
                download_mbps: Some(down),
                upload_mbps: Some(up),
                ..SpecInput::default()
            },
            prices: prices(&[("member", "monthly", price)], 150_000),
        });
    }
    for (tld, register, renew, reseller) in [
        ("com", 165_000, 185_000, 150_000),
        ("id", 235_000, 235_000, 215_000),
        ("co.id", 99_000, 299_000, 90_000),
        ("my.id", 15_000, 15_000, 12_000),
    ] {
        let (spec, prices) = domain(tld, register, renew, reseller);
        demo.push(Demo {
            kind: "domain",
            slug: format!("domain-{}", tld.replace('.', "-")),
            category: "domain",
            name_id: format!("Domain .{tld}"),
            name_en: format!(".{tld} domain"),
            summary_id: "Registrasi 1 tahun, DNS gratis",
            summary_en: "1-year registration, free DNS",
            featured: false,
            spec,
            prices,
        });
    }
    demo
}

pub async fn seed(pool: &PgPool, sealer: &domain::Sealer) -> anyhow::Result<()> {
    let seeded: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM product)")
        .fetch_one(pool)
        .await?;
    if seeded {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for (code, name, country, sort_order) in [
        ("jkt", "Jakarta", "ID", 1),
        ("sby", "Surabaya", "ID", 2),
        ("sgp", "Singapura", "SG", 3),
    ] {
        let input = RegionInput {
            code: code.to_owned(),
            name: name.to_owned(),
            country: country.to_owned(),
            active: Some(true),
            sort_order: Some(sort_order),
        };
        lists::create_region(&mut tx, &input).await?;
    }
    for (code, name, family) in [
        ("ubuntu-24.04", "Ubuntu 24.04 LTS", "linux"),
        ("debian-12", "Debian 12", "linux"),
        ("almalinux-9", "AlmaLinux 9", "linux"),
        ("windows-2022", "Windows Server 2022", "windows"),
        ("windows-10", "Windows 10 Pro", "windows"),
    ] {
        let input = OsTemplateInput {
            code: code.to_owned(),
            name: name.to_owned(),
            family: family.to_owned(),
            active: Some(true),
            sort_order: None,
        };
        lists::create_os_template(&mut tx, &input).await?;
    }
    let mut categories = std::collections::HashMap::new();
    for (sort_order, (slug, name_id, name_en)) in [
        ("vps-indonesia", "VPS", "VPS"),
        ("rdp", "RDP Windows", "Windows RDP"),
        ("hosting-cpanel", "Hosting cPanel", "cPanel hosting"),
        ("domain", "Domain", "Domains"),
        ("produk-digital", "Produk Digital", "Digital goods"),
        ("paket-data", "Paket Data", "Mobile data"),
        ("internet-rumah", "Internet Rumah", "Home internet"),
    ]
    .into_iter()
    .enumerate()
    {
        let input = CategoryInput {
            slug: slug.to_owned(),
            name_id: name_id.to_owned(),
            name_en: Some(name_en.to_owned()),
            description_id: None,
            description_en: None,
            visible: Some(true),
            sort_order: Some(sort_order as i64),
        };
        let created = category::create(&mut tx, &input).await?;
        categories.insert(slug, created.id);
    }
    let demo = products();
    let count = demo.len();
    for (sort_order, item) in demo.into_iter().enumerate() {
        let input = NewProduct {
            kind: item.kind.to_owned(),
            listing: ListingInput {
                slug: item.slug.clone(),
                category_id: categories.get(item.category).copied(),
                name_id: item.name_id,
                name_en: Some(item.name_en),
                summary_id: Some(item.summary_id.to_owned()),
                summary_en: Some(item.summary_en.to_owned()),
                description_id: None,
                description_en: None,
                visible: Some(true),
                featured: Some(item.featured),
                sort_order: Some(sort_order as i64),
            },
            spec: item.spec,
            prices: Some(item.prices),
        };
        let created = product::create(&mut tx, &input)
            .await
            .map_err(|error| anyhow::anyhow!("demo product {}: {error:?}", item.slug))?;
        if item.kind == "digital" {
            let upload = StockUpload {
                items: (1..=5)
                    .map(|index| format!("demo{index}@{}.test:Rahasia-{index}", item.slug))
                    .collect(),
            };
            stock::add(&mut tx, sealer, created.id, &upload, None).await?;
        }
    }
    tx.commit().await?;
    println!("demo catalog: 3 regions, 5 OS templates, 7 categories, {count} products");
    Ok(())
}
