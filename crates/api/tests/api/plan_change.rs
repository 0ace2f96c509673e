//! Upgrades and downgrades between plans, prorated to the day, as a client
//! and the shop live them: the plans and what each costs today, an upgrade
//! invoiced and applied on payment (the VM resized on the Proxmox fake, the
//! run once), a downgrade credited to the wallet at once with the renewal
//! re-issued at the new price, a disk that cannot shrink, another client's
//! service, racing requests, withdrawing and an unpaid upgrade expiring, an
//! upgrade paid after the service was cancelled.
//!
//! The service's period is placed around the app's own today (its due
//! date moved N days ahead, as if bought earlier), never on a fixed date.

use chrono::{Datelike, Duration, NaiveDate};
use domain::{BillingPeriod, Clock, ShopCalendar};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app_with};
use crate::lifecycle::{next_due, pay_from_wallet, renewal_invoice, sweep_on};
use crate::orders::{assert_ledger_balances, ready_client};
use crate::provisioning::{
    FAST, Shop, buy_vps, service_of_order, vps_shop, wait_for_runs_to_finish, wait_until,
};

fn today() -> NaiveDate {
    Clock::system(ShopCalendar::default()).today()
}

/// Another VPS plan in the shop's region, for the member tier.
async fn vps_plan(app: &TestApp, shop: &Shop, slug: &str, spec: Value, price: i64) -> i64 {
    let mut spec = spec;
    spec["regions"] = json!(["jkt"]);
    spec["os_templates"] = json!(["ubuntu-24.04"]);
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &shop.sysadmin,
            Some(json!({
                "kind": "vps", "slug": slug, "name_id": slug.replace('-', " ").to_uppercase(),
                "spec": spec,
                "prices": [{"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": price, "setup_fee_minor": 0}]
            })),
        )
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// "VPS Besar": 4 cores, 8 GB, 120 GB for 200,000 a month.
async fn besar(app: &TestApp, shop: &Shop) -> i64 {
    let spec = json!({"cores": 4, "ram_mb": 8192, "disk_gb": 120});
    vps_plan(app, shop, "vps-besar", spec, 200_000).await
}

/// "VPS Hemat": 1 core, 2 GB and the same 60 GB disk for 60,000 a month.
async fn hemat(app: &TestApp, shop: &Shop) -> i64 {
    let spec = json!({"cores": 1, "ram_mb": 2048, "disk_gb": 60});
    vps_plan(app, shop, "vps-hemat", spec, 60_000).await
}

/// "VPS Arsip": 1 core, 2 GB and the 120 GB disk of "VPS Besar" for 90,000 a month.
async fn arsip(app: &TestApp, shop: &Shop) -> i64 {
    let spec = json!({"cores": 1, "ram_mb": 2048, "disk_gb": 120});
    vps_plan(app, shop, "vps-arsip", spec, 90_000).await
}

/// Moves the service's due date `days_left` days after today (anchored on
/// that day), as if it had been bought earlier.
async fn due_in(pool: &PgPool, service: i64, days_left: i64) -> NaiveDate {
    let due = today() + Duration::days(days_left);
    sqlx::query("UPDATE service SET next_due_on = $2, anchor_day = $3 WHERE id = $1")
        .bind(service)
        .bind(due)
        .bind(due.day() as i16)
        .execute(pool)
        .await
        .unwrap();
    due
}

/// An active VPS on "VPS Kecil" (2 cores, 4 GB, 60 GB, 100,000 a month)
/// whose period ends `days_left` days after today.
async fn vps_mid_period(
    app: &TestApp,
    shop: &Shop,
    email: &str,
    days_left: i64,
) -> (String, i64, NaiveDate) {
    let (client, order) = buy_vps(app, shop, email).await;
    crate::orders::wait_for_status(app, &client, order, "active").await;
    let service = service_of_order(&app.pool, order).await;
    (client, service, due_in(&app.pool, service, days_left).await)
}

/// The prorated difference of moving from `from` to `to` with `days_left`
/// of the monthly period ending on `due` (the shop's PPN is inclusive).
fn expected_settle(from: i64, to: i64, due: NaiveDate, days_left: u32) -> i64 {
    let start = BillingPeriod::Monthly.previous_due(due, due.day()).unwrap();
    let period_days = (due - start).num_days() as u32;
    domain::tax::prorate(to, days_left, period_days)
        - domain::tax::prorate(from, days_left, period_days)
}

fn vm_of(shop: &Shop, service: i64) -> sandbox::proxmox::FakeVm {
    shop.pve
        .vms()
        .into_iter()
        .find(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
        .expect("the VM is on the cluster")
}

fn config(vm: &sandbox::proxmox::FakeVm, key: &str) -> String {
    vm.config[key].to_string().trim_matches('"').to_owned()
}

async fn count(pool: &PgPool, sql: &'static str, service: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(service)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn change(app: &TestApp, token: &str, service: i64, product: i64) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/services/{service}/plan-changes"),
        token,
        Some(json!({"product_id": product})),
    )
    .await
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_upgrade_is_invoiced_for_the_days_left_and_paying_it_resizes_the_vm_once(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let big = besar(&app, &shop).await;
    let small_disk = vps_plan(
        &app,
        &shop,
        "vps-mini",
        json!({"cores": 1, "ram_mb": 2048, "disk_gb": 40}),
        50_000,
    )
    .await;
    let (client, service, due) = vps_mid_period(&app, &shop, "budi@pelanggan.test", 10).await;
    let settle = expected_settle(100_000, 200_000, due, 10);

    let options: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/services/{service}/plan-options"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let options = options.as_array().unwrap();
    assert_eq!(options.len(), 2, "{options:?}");
    let mini = options
        .iter()
        .find(|o| o["product_id"] == small_disk)
        .unwrap();
    assert_eq!(mini["unavailable"]["code"], "disk_cannot_shrink", "{mini}");
    assert!(
        mini["unavailable"]["message"]
            .as_str()
            .unwrap()
            .contains("60 GB"),
        "{mini}"
    );
    let besar = options.iter().find(|o| o["product_id"] == big).unwrap();
    assert_eq!(besar["unavailable"], Value::Null);
    assert_eq!(besar["days_left"], 10);
    assert_eq!(besar["settle_minor"], settle, "{besar}");

    // A plan whose disk is smaller is refused and writes nothing.
    let invoices_before = count(
        &pool,
        "SELECT count(*) FROM invoice WHERE user_id = (SELECT user_id FROM service WHERE id = $1)",
        service,
    )
    .await;
    let refused = change(&app, &client, service, small_disk).await;
    assert_eq!(refused.status().as_u16(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "plan_unavailable", "{problem}");
    // Another kind's product, or nonsense, is not a plan of this service.
    let unknown = change(&app, &client, service, 999_999).await;
    assert_eq!(unknown.status().as_u16(), 422);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM plan_change WHERE service_id = $1",
            service
        )
        .await,
        0
    );

    // Another client can neither see nor change this service.
    let (_, stranger) = ready_client(&app, "orang@lain.test").await;
    for response in [
        app.authed(
            Method::GET,
            &format!("/api/v1/services/{service}/plan-options"),
            &stranger,
            None,
        )
        .await,
        change(&app, &stranger, service, big).await,
        app.authed(
            Method::GET,
            &format!("/api/v1/services/{service}/plan-changes"),
            &stranger,
            None,
        )
        .await,
        app.authed(
            Method::DELETE,
            &format!("/api/v1/services/{service}/plan-changes/pending"),
            &stranger,
            None,
        )
        .await,
    ] {
        assert_eq!(response.status().as_u16(), 404);
    }

    // Five requests at once: one upgrade waits for payment, the rest are told.
    let raced = join_all((0..5).map(|_| change(&app, &client, service, big))).await;
    let mut statuses: Vec<u16> = raced.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409]);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM invoice WHERE user_id = (SELECT user_id FROM service WHERE id = $1)", service).await,
        invoices_before + 1,
        "one invoice"
    );
    let changes: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/services/{service}/plan-changes"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changes[0]["status"], "awaiting_payment");
    let invoice = changes[0]["invoice_id"].as_i64().unwrap();
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{invoice}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["purpose"], "plan_change");
    assert_eq!(view["total_minor"], settle, "{view}");
    // Nothing changes until it is paid.
    assert_eq!(config(&vm_of(&shop, service), "cores"), "2");

    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );
    let (product, recurring): (i64, i64) =
        sqlx::query_as("SELECT product_id, recurring_minor FROM service WHERE id = $1")
            .bind(service)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((product, recurring), (big, 200_000));
    wait_until(|| async {
        count(
            &pool,
            "SELECT count(*) FROM provisioning_run WHERE service_id = $1 AND action = 'change_plan'",
            service,
        )
        .await
            == 1
    })
    .await;
    wait_for_runs_to_finish(&pool, service).await;
    let vm = vm_of(&shop, service);
    assert_eq!(
        (config(&vm, "cores"), config(&vm, "memory")),
        ("4".to_owned(), "8192".to_owned())
    );
    assert!(
        config(&vm, "scsi0").contains("size=120G"),
        "{:?}",
        vm.config
    );
    assert_eq!(vm.status, "running", "restarted on its new plan");
    let paid_twice = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(paid_twice.status().as_u16(), 409);
    // The job running again starts nothing new.
    let again = provisioning::plan_change::carry_out(
        &crate::provisioning::provisioner(&pool, provisioning::Hooks::default()),
        billing::service::plan_change::PlanChangeJob {
            service_id: service,
            plan_change_id: changes[0]["id"].as_i64().unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(again, provisioning::plan_change::Outcome::Nothing);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM provisioning_run WHERE service_id = $1 AND action = 'change_plan'", service).await,
        1
    );

    // The next renewal is billed at the new price.
    sweep_on(&pool, due - Duration::days(7)).await;
    let (_, _, total) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!(total, 200_000);
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_downgrade_credits_the_wallet_at_once_and_the_renewal_is_issued_again_at_the_new_price(
    pool: PgPool,
) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let cheaper = hemat(&app, &shop).await;
    let (client, service, due) = vps_mid_period(&app, &shop, "sari@pelanggan.test", 5).await;
    // The renewal at the old price is out already.
    sweep_on(&pool, today()).await;
    let (old_renewal, status, total) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!((status.as_str(), total), ("unpaid", 100_000));

    let wallet = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT balance_minor FROM ledger_account WHERE kind = 'client_wallet' AND currency = 'IDR'
               AND user_id = (SELECT user_id FROM service WHERE id = $1)",
        )
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = wallet(pool.clone()).await;
    let done = change(&app, &client, service, cheaper).await;
    assert_eq!(
        done.status().as_u16(),
        201,
        "{}",
        done.text().await.unwrap()
    );
    let done: Value = done.json().await.unwrap();
    let credit = -expected_settle(100_000, 60_000, due, 5);
    assert!(credit > 0);
    assert_eq!(done["status"], "applied");
    assert_eq!(done["invoice_id"], Value::Null);
    assert_eq!(done["settle_minor"], -credit);
    assert_eq!(wallet(pool.clone()).await, before + credit);
    assert_ledger_balances(&pool).await;

    wait_for_runs_to_finish(&pool, service).await;
    wait_until(|| async { config(&vm_of(&shop, service), "cores") == "1" }).await;
    assert!(config(&vm_of(&shop, service), "scsi0").contains("size=60G"));

    // The old renewal is withdrawn; the next sweep bills the new price.
    let (_, status, _) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!(status, "cancelled");
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/invoices/{old_renewal}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "cancelled");
    let reissued = sweep_on(&pool, today()).await;
    assert_eq!(reissued.counts.invoiced, 1, "{reissued:?}");
    let total: i64 = sqlx::query_scalar(
        "SELECT total_minor FROM invoice WHERE service_id = $1 AND period_start = $2
            AND purpose = 'renewal' AND status = 'unpaid'",
    )
    .bind(service)
    .bind(due)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(total, 60_000);
    assert_eq!(next_due(&pool, service).await, due, "the due date stays");
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_upgrade_can_be_withdrawn_expires_unpaid_and_paid_too_late_goes_to_the_wallet(
    pool: PgPool,
) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let big = besar(&app, &shop).await;
    let (client, service, _) = vps_mid_period(&app, &shop, "eko@pelanggan.test", 12).await;
    let open = |pool: PgPool| async move {
        sqlx::query_as::<_, (String, String)>(
            "SELECT c.status, i.status FROM plan_change c JOIN invoice i ON i.id = c.invoice_id
              WHERE c.service_id = $1 ORDER BY c.id DESC LIMIT 1",
        )
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap()
    };

    // Withdrawn by the client: the change and its invoice are cancelled.
    assert_eq!(
        change(&app, &client, service, big).await.status().as_u16(),
        201
    );
    let withdrawn = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/services/{service}/plan-changes/pending"),
            &client,
            None,
        )
        .await;
    assert_eq!(withdrawn.status().as_u16(), 204);
    assert_eq!(
        open(pool.clone()).await,
        ("cancelled".into(), "cancelled".into())
    );

    // Not paid within 3 days: the job withdraws it.
    assert_eq!(
        change(&app, &client, service, big).await.status().as_u16(),
        201
    );
    let now = Clock::system(ShopCalendar::default()).now();
    let none = billing::service::plan_change::expire_unpaid(&pool, now)
        .await
        .unwrap();
    assert_eq!(none, 0, "still within its 3 days");
    let expired = billing::service::plan_change::expire_unpaid(&pool, now + Duration::days(4))
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(
        open(pool.clone()).await,
        ("cancelled".into(), "cancelled".into())
    );

    // Asked for, then the service is cancelled, then the upgrade is paid:
    // it no longer applies and the money is in the wallet.
    let asked: Value = change(&app, &client, service, big)
        .await
        .json()
        .await
        .unwrap();
    let invoice = asked["invoice_id"].as_i64().unwrap();
    let cancelled = app
        .authed(
            Method::POST,
            &format!("/api/v1/services/{service}/cancellation"),
            &client,
            Some(json!({"when": "end_of_period"})),
        )
        .await;
    assert_eq!(cancelled.status().as_u16(), 200);
    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );
    let (status, _) = open(pool.clone()).await;
    assert_eq!(status, "cancelled");
    let product: i64 = sqlx::query_scalar("SELECT product_id FROM service WHERE id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(product, big, "the service stays on its plan");
    let credited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_transaction WHERE kind = 'plan_change_credit' AND invoice_id = $1",
    )
    .bind(invoice)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(credited, 1);
    assert_ledger_balances(&pool).await;
    // A cancelled service has no plans to move to.
    let refused = change(&app, &client, service, big).await;
    assert_eq!(refused.status().as_u16(), 409);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_second_change_in_the_period_credits_the_plan_the_first_one_paid_for(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let big = besar(&app, &shop).await;
    let smaller_disk = hemat(&app, &shop).await;
    let cheaper = arsip(&app, &shop).await;
    let (client, service, due) = vps_mid_period(&app, &shop, "rina@pelanggan.test", 10).await;

    // Up to "VPS Besar" for the 10 days left, paid.
    let upgrade: Value = change(&app, &client, service, big)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(upgrade["status"], "awaiting_payment", "{upgrade}");
    let invoice = upgrade["invoice_id"].as_i64().unwrap();
    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );
    let on: i64 = sqlx::query_scalar("SELECT product_id FROM service WHERE id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(on, big);

    // Back to a 60 GB plan is refused at once, whether or not the VM's disk
    // has been grown to the 120 GB just paid for.
    let shrink = change(&app, &client, service, smaller_disk).await;
    assert_eq!(shrink.status().as_u16(), 409);
    let shrink: Value = shrink.json().await.unwrap();
    assert_eq!(shrink["code"], "plan_unavailable", "{shrink}");
    assert!(
        shrink["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot shrink"),
        "{shrink}"
    );
    wait_for_runs_to_finish(&pool, service).await;

    // Down to "VPS Arsip" in the same period: the 10 days of "VPS Besar"
    // the client has just paid for are credited, not the "VPS Kecil" price
    // the period's first invoice paid.
    let downgrade = change(&app, &client, service, cheaper).await;
    assert_eq!(
        downgrade.status().as_u16(),
        201,
        "{}",
        downgrade.text().await.unwrap()
    );
    let downgrade: Value = downgrade.json().await.unwrap();
    assert_eq!(downgrade["status"], "applied", "{downgrade}");
    let start = BillingPeriod::Monthly.previous_due(due, due.day()).unwrap();
    let period_days = (due - start).num_days() as u32;
    assert_eq!(
        downgrade["credit_minor"],
        domain::tax::prorate(200_000, 10, period_days),
        "{downgrade}"
    );
    assert_eq!(
        downgrade["settle_minor"],
        expected_settle(200_000, 90_000, due, 10),
        "{downgrade}"
    );
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_period_paid_with_a_promo_is_never_turned_into_wallet_money(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let cheaper = hemat(&app, &shop).await;
    let promo = app
        .authed(
            Method::POST,
            "/api/v1/staff/promo-codes",
            &shop.owner,
            Some(json!({"code": "GRATIS", "discount_kind": "percent", "percent": 100, "recurring": false})),
        )
        .await;
    assert_eq!(promo.status().as_u16(), 201);
    let (_, client) = ready_client(&app, "licik@pelanggan.test").await;
    let placed: Value = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(
                json!({"product_id": shop.product, "cycle": "monthly", "region": "jkt",
                        "os_template": "ubuntu-24.04", "promo_code": "GRATIS"}),
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(placed["invoice"]["total_minor"], 0, "{placed}");
    let order = placed["order"]["id"].as_i64().unwrap();
    crate::orders::wait_for_status(&app, &client, order, "active").await;
    let service = service_of_order(&pool, order).await;
    due_in(&pool, service, 10).await;

    // A free month moved to a cheaper plan credits nothing: the cheaper
    // plan's days left are to pay.
    let moved = change(&app, &client, service, cheaper).await;
    assert_eq!(
        moved.status().as_u16(),
        201,
        "{}",
        moved.text().await.unwrap()
    );
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["credit_minor"], 0, "{moved}");
    assert_eq!(moved["status"], "awaiting_payment");
    assert!(moved["settle_minor"].as_i64().unwrap() > 0);
    let credits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_transaction WHERE kind = 'plan_change_credit'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(credits, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn staff_move_a_hosting_account_to_a_package_its_server_has_and_whm_changes_it_once(
    pool: PgPool,
) {
    use crate::provisioning::{buy_named, product, whm_shop};
    let app = spawn_app_with(pool.clone(), FAST).await;
    let (whm, sysadmin, owner, finance) = whm_shop(&app).await;
    let hosting = |slug: &'static str, package: &'static str, price: i64| {
        json!({
            "kind": "hosting", "slug": slug, "name_id": slug.replace('-', " "),
            "spec": {"whm_package": package, "disk_mb": 1024, "bandwidth_gb": 10, "addon_domains": 0},
            "prices": [{"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": price}]
        })
    };
    let starter = product(
        &app,
        &owner,
        hosting("hosting-starter", sandbox::whm::PACKAGE_STARTER, 300_000),
    )
    .await;
    let pro = product(
        &app,
        &owner,
        hosting("hosting-pro", sandbox::whm::PACKAGE_PRO, 900_000),
    )
    .await;
    let missing = product(
        &app,
        &owner,
        hosting("hosting-ghost", "no_such_package", 500_000),
    )
    .await;
    let (client, order) = buy_named(&app, &finance, &owner, starter, "tokosari.com").await;
    crate::orders::wait_for_status(&app, &client, order, "active").await;
    let service = service_of_order(&pool, order).await;
    let user = whm.accounts()[0].user.clone();

    // Staff outside the commercial roles cannot; the commercial ones see
    // which plan the server cannot take.
    let options = format!("/api/v1/staff/services/{service}/plan-options");
    let denied = app.authed(Method::GET, &options, &sysadmin, None).await;
    assert_eq!(denied.status().as_u16(), 403);
    let quotes: Value = app
        .authed(Method::GET, &options, &finance, None)
        .await
        .json()
        .await
        .unwrap();
    let ghost = quotes
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["product_id"] == missing)
        .unwrap();
    assert_eq!(
        ghost["unavailable"]["code"], "package_unavailable",
        "{ghost}"
    );

    let changes = format!("/api/v1/staff/services/{service}/plan-changes");
    let asked = app
        .authed(
            Method::POST,
            &changes,
            &finance,
            Some(json!({"product_id": pro})),
        )
        .await;
    assert_eq!(
        asked.status().as_u16(),
        201,
        "{}",
        asked.text().await.unwrap()
    );
    let asked: Value = asked.json().await.unwrap();
    // Billed to the client, who pays it like any invoice.
    let paid = pay_from_wallet(&app, &client, asked["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );
    wait_until(|| async {
        whm.account(&user)
            .is_some_and(|a| a.plan == sandbox::whm::PACKAGE_PRO)
    })
    .await;
    wait_for_runs_to_finish(&pool, service).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM provisioning_run WHERE service_id = $1 AND action = 'change_package'",
            service
        )
        .await,
        1
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'service.plan_change_requested' AND entity_id = $1",
    )
    .bind(service.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let history: Value = app
        .authed(Method::GET, &changes, &owner, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["status"], "applied");
    assert_eq!(history[0]["to_product_id"], pro);
}
