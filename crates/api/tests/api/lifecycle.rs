//! The billing lifecycle as a shop lives it, with the calendar moved by a
//! manual clock handed to the sweep (never today's date): a renewal is
//! invoiced 7 days before the due date and paying it moves the due date
//! once; unpaid, the VPS is suspended 3 days after and its VM deleted 15
//! days after; a sweep after missed days catches up without stale
//! reminders; three sweeps at once decide each thing once; one broken
//! service does not stop the rest; cancellations; wallet auto-pay, the
//! recurring promo and the late fee; the owner's watchdog.

use billing::lifecycle::sweep::{self, SweepReport};
use billing::lifecycle::watchdog;
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use domain::{Clock, ShopCalendar};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app_with};
use crate::provisioning::{
    FAST, Shop, buy_vps, service_of_order, service_status, vps_shop, wait_until,
};

/// Noon of the shop day `day`.
fn at(day: NaiveDate) -> DateTime<Utc> {
    ShopCalendar::default().start_of_day(day) + Duration::hours(12)
}

pub(crate) async fn sweep_on(pool: &PgPool, day: NaiveDate) -> SweepReport {
    let clock = Clock::manual(ShopCalendar::default(), at(day));
    sweep::run(pool, &clock, false)
        .await
        .expect("the sweep runs")
}

pub(crate) async fn next_due(pool: &PgPool, service: i64) -> NaiveDate {
    sqlx::query_scalar("SELECT next_due_on FROM service WHERE id = $1")
        .bind(service)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn events(pool: &PgPool, service: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM lifecycle_event WHERE service_id = $1 ORDER BY created_at, kind",
    )
    .bind(service)
    .fetch_all(pool)
    .await
    .unwrap()
}

pub(crate) async fn renewal_invoice(
    pool: &PgPool,
    service: i64,
    period: NaiveDate,
) -> Option<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT id, status, total_minor FROM invoice
          WHERE service_id = $1 AND period_start = $2 AND purpose = 'renewal'",
    )
    .bind(service)
    .bind(period)
    .fetch_optional(pool)
    .await
    .unwrap()
}

pub(crate) async fn pay_from_wallet(
    app: &TestApp,
    client: &str,
    invoice: i64,
) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/invoices/{invoice}/payments"),
        client,
        Some(json!({"method": "wallet"})),
    )
    .await
}

pub(crate) async fn wait_for_service(pool: &PgPool, service: i64, status: &str) {
    wait_until(|| async { service_status(pool, service).await == status }).await;
}

fn vm_of(shop: &Shop, service: i64) -> Option<sandbox::proxmox::FakeVm> {
    shop.pve
        .vms()
        .into_iter()
        .find(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
}

async fn active_vps(app: &TestApp, shop: &Shop, email: &str) -> (String, i64) {
    let (client, order) = buy_vps(app, shop, email).await;
    crate::orders::wait_for_status(app, &client, order, "active").await;
    (client, service_of_order(&app.pool, order).await)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_renewal_is_invoiced_seven_days_ahead_and_paying_it_moves_the_due_date_once(
    pool: PgPool,
) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, service) = active_vps(&app, &shop, "budi@pelanggan.test").await;

    // Paid today: due one month on, on the same day of the month.
    let paid_on: NaiveDate = sqlx::query_scalar(
        "SELECT (paid_at AT TIME ZONE 'Asia/Jakarta')::date FROM invoice WHERE order_id = (SELECT order_id FROM service WHERE id = $1)",
    )
    .bind(service)
    .fetch_one(&pool)
    .await
    .unwrap();
    let due = next_due(&pool, service).await;
    assert_eq!(
        due,
        domain::BillingPeriod::Monthly
            .next_due(paid_on, chrono::Datelike::day(&paid_on))
            .unwrap()
    );

    let early = sweep_on(&pool, due - Duration::days(8)).await;
    assert_eq!(early.counts.invoiced, 0, "8 days ahead is too early");
    let issued = sweep_on(&pool, due - Duration::days(7)).await;
    assert_eq!(issued.counts.invoiced, 1, "{issued:?}");
    let again = sweep_on(&pool, due - Duration::days(7)).await;
    assert_eq!(
        again.counts,
        Default::default(),
        "a second sweep does nothing"
    );

    let (invoice, status, total) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!(status, "unpaid");
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
    assert_eq!(view["purpose"], "renewal");
    let period_end = due.checked_add_months(Months::new(1)).unwrap();
    assert_eq!(
        view["renewal"],
        json!({"service_id": service, "start": due.to_string(), "end": period_end.to_string()})
    );
    assert_eq!(view["total_minor"], total);
    let renewals: Value = app
        .authed(Method::GET, "/api/v1/renewals", &client, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renewals[0]["invoice_id"], invoice, "{renewals}");
    assert_eq!(
        renewals[0]["suspend_on"],
        (due + Duration::days(3)).to_string()
    );

    // A monitored host linked to the service watches its due date, not the
    // date typed for it.
    let host = app
        .authed(
            Method::POST,
            "/api/v1/monitoring/hosts",
            &shop.sysadmin,
            Some(
                json!({"name": "VPS Budi", "address": "vps-budi.example.id", "port": 22,
                        "expires_on": (due + Duration::days(100)).to_string(),
                        "service_id": service, "record_sale": false}),
            ),
        )
        .await;
    assert_eq!(
        host.status().as_u16(),
        201,
        "{}",
        host.text().await.unwrap()
    );
    let host: Value = host.json().await.unwrap();
    assert_eq!(host["expires_on"], due.to_string(), "{host}");

    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );
    assert_eq!(next_due(&pool, service).await, period_end, "one period on");
    let watched: chrono::NaiveDate =
        sqlx::query_scalar("SELECT expires_on FROM monitored_host WHERE id = $1")
            .bind(host["id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(watched, period_end, "the host follows the paid renewal");
    let twice = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(twice.status().as_u16(), 409, "an invoice is paid once");
    // The payment's handler running again (a replayed notification) moves nothing.
    let mut conn = pool.acquire().await.unwrap();
    let replay = billing::service::terms::renewal_paid(&mut conn, invoice)
        .await
        .unwrap();
    assert_eq!(replay, billing::service::terms::Renewed::Unchanged);
    assert_eq!(next_due(&pool, service).await, period_end);
    let after_payment = sweep_on(&pool, due).await;
    assert_eq!(
        after_payment.counts,
        Default::default(),
        "nothing is due any more"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn unpaid_the_vps_is_suspended_after_three_days_back_when_paid_and_deleted_after_fifteen(
    pool: PgPool,
) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, service) = active_vps(&app, &shop, "budi@pelanggan.test").await;
    let due = next_due(&pool, service).await;

    sweep_on(&pool, due - Duration::days(7)).await;
    let soon = sweep_on(&pool, due - Duration::days(3)).await;
    assert_eq!(soon.counts.due_soon, 1);
    let today = sweep_on(&pool, due).await;
    assert_eq!(today.counts.due_today, 1);
    let late = sweep_on(&pool, due + Duration::days(2)).await;
    assert_eq!((late.counts.overdue, late.counts.suspended), (1, 0));
    let suspended = sweep_on(&pool, due + Duration::days(3)).await;
    assert_eq!(suspended.counts.suspended, 1, "{suspended:?}");
    wait_for_service(&pool, service, "suspended").await;
    assert_eq!(vm_of(&shop, service).unwrap().status, "stopped");

    // Paying brings it back at once.
    let (invoice, _, _) = renewal_invoice(&pool, service, due).await.unwrap();
    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert_eq!(paid.status().as_u16(), 200);
    wait_for_service(&pool, service, "active").await;
    wait_until(|| async { vm_of(&shop, service).is_some_and(|vm| vm.status == "running") }).await;
    // A suspension decided before the payment, whose job comes after it,
    // is not carried out: its period is paid.
    let late_job = billing::lifecycle::ServiceActionJob {
        service_id: service,
        action: billing::lifecycle::LifecycleAction::Suspend,
        cause: billing::lifecycle::Cause::Overdue,
        period: due,
    };
    let mut conn = pool.acquire().await.unwrap();
    assert!(
        !billing::lifecycle::still_warranted(&mut conn, &late_job)
            .await
            .unwrap()
    );
    drop(conn);

    // The next period is never paid, and the shop is down from before the
    // invoice until past the termination day: one sweep catches up.
    let due = next_due(&pool, service).await;
    let caught_up = sweep_on(&pool, due + Duration::days(16)).await;
    assert_eq!(
        (
            caught_up.counts.invoiced,
            caught_up.counts.due_soon + caught_up.counts.due_today,
            caught_up.counts.overdue,
            caught_up.counts.suspended,
            caught_up.counts.terminated
        ),
        (1, 0, 1, 0, 1),
        "invoiced, only the latest reminder, ended without a pointless suspension: {caught_up:?}"
    );
    wait_for_service(&pool, service, "terminated").await;
    assert!(vm_of(&shop, service).is_none(), "the VM is deleted");
    let address: String =
        sqlx::query_scalar("SELECT status FROM ip_address WHERE address = '198.51.100.2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(address, "quarantined");
    let (_, status, _) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!(status, "cancelled", "nothing is left to pay for");
    let again = sweep_on(&pool, due + Duration::days(17)).await;
    assert_eq!(again.counts, Default::default());
}

#[sqlx::test(migrations = "../../migrations")]
async fn three_sweeps_at_once_decide_each_thing_once(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let mut services = Vec::new();
    for n in 0..3 {
        services.push(
            active_vps(&app, &shop, &format!("klien{n}@pelanggan.test"))
                .await
                .1,
        );
    }
    let due = next_due(&pool, services[0]).await;
    let day = due - Duration::days(7);
    let reports = join_all((0..3).map(|_| sweep_on(&pool, day))).await;
    let invoiced: i64 = reports.iter().map(|r| r.counts.invoiced).sum();
    let failed: i64 = reports.iter().map(|r| r.counts.failed).sum();
    assert_eq!((invoiced, failed), (3, 0), "{reports:?}");
    let invoices: i64 =
        sqlx::query_scalar("SELECT count(*) FROM invoice WHERE purpose = 'renewal'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(invoices, 3);
    // Gapless numbers in each year: no number was taken and given back.
    let years: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT substr(number, 5, 4), max(substr(number, 10)::BIGINT), count(*)
           FROM invoice GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (year, last, count) in years {
        assert_eq!(last, count, "{year}: numbers 1 to {count}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn one_broken_service_is_reported_and_the_sweep_goes_on(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let mut services = Vec::new();
    for n in 0..3 {
        services.push(
            active_vps(&app, &shop, &format!("klien{n}@pelanggan.test"))
                .await
                .1,
        );
    }
    let broken = services[1];
    // The test's own trigger, with the broken service's id in it.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.service_id = {broken} THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$"
    )))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER refuse_one BEFORE INSERT ON invoice FOR EACH ROW EXECUTE FUNCTION refuse_one()")
        .execute(&pool)
        .await
        .unwrap();
    let day = next_due(&pool, services[0]).await - Duration::days(7);
    let report = sweep_on(&pool, day).await;
    assert_eq!(
        (report.counts.invoiced, report.counts.failed),
        (2, 1),
        "{report:?}"
    );
    assert_eq!(report.failures[0].service_id, broken);
    assert!(report.failures[0].error.contains("disk full"), "{report:?}");
    let logged: Value = app
        .authed(
            Method::GET,
            "/api/v1/staff/lifecycle/sweeps",
            &shop.owner,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let record = logged
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == report.id.unwrap())
        .expect("the sweep is in the log");
    assert_eq!(record["counts"]["failed"], 1);
    assert_eq!(record["failures"][0]["service_id"], broken);

    sqlx::query("DROP TRIGGER refuse_one ON invoice")
        .execute(&pool)
        .await
        .unwrap();
    let retried = sweep_on(&pool, day).await;
    assert_eq!((retried.counts.invoiced, retried.counts.failed), (1, 0));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_cancellation_stops_renewals_and_ends_the_service_on_its_day(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, service) = active_vps(&app, &shop, "budi@pelanggan.test").await;
    let (_, other) = crate::orders::ready_client(&app, "siti@pelanggan.test").await;
    let due = next_due(&pool, service).await;
    sweep_on(&pool, due - Duration::days(7)).await;
    let (invoice, _, _) = renewal_invoice(&pool, service, due).await.unwrap();

    let path = format!("/api/v1/services/{service}/cancellation");
    let body = json!({"when": "end_of_period", "reason": "pindah ke server sendiri"});
    let stranger = app
        .authed(Method::POST, &path, &other, Some(body.clone()))
        .await;
    assert_eq!(
        stranger.status().as_u16(),
        404,
        "another client's service is not found"
    );
    let long = app
        .authed(
            Method::POST,
            &path,
            &client,
            Some(json!({"when": "immediately", "reason": "x".repeat(501)})),
        )
        .await;
    assert_eq!(long.status().as_u16(), 422);
    assert_eq!(
        service_status(&pool, service).await,
        "active",
        "a refusal writes nothing"
    );

    let asked: Value = app
        .authed(Method::POST, &path, &client, Some(body.clone()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(asked["cancel_on"], due.to_string(), "{asked}");
    let (_, status, _) = renewal_invoice(&pool, service, due).await.unwrap();
    assert_eq!(
        status, "cancelled",
        "the open renewal invoice {invoice} is withdrawn"
    );
    let withdrawn = app.authed(Method::DELETE, &path, &client, None).await;
    assert_eq!(withdrawn.status().as_u16(), 204);
    let reissued = sweep_on(&pool, due - Duration::days(6)).await;
    assert_eq!(
        reissued.counts.invoiced, 1,
        "withdrawn, the period is billed again"
    );
    let asked_again = app.authed(Method::POST, &path, &client, Some(body)).await;
    assert_eq!(asked_again.status().as_u16(), 200);

    let before = sweep_on(&pool, due - Duration::days(1)).await;
    assert_eq!(
        before.counts,
        Default::default(),
        "no renewal, not yet ended"
    );
    let ended = sweep_on(&pool, due).await;
    assert_eq!(ended.counts.cancelled, 1, "{ended:?}");
    wait_for_service(&pool, service, "cancelled").await;
    assert!(vm_of(&shop, service).is_none(), "the VM is deleted");
    let late = app.authed(Method::DELETE, &path, &client, None).await;
    assert_eq!(
        late.status().as_u16(),
        409,
        "carried out: too late to withdraw"
    );
    assert!(events(&pool, service).await.contains(&"cancel".to_owned()));

    // Staff cancel another service at once.
    let (_, second) = active_vps(&app, &shop, "joko@pelanggan.test").await;
    let now: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/services/{second}/cancellation"),
            &shop.finance,
            Some(json!({"when": "immediately", "reason": "penyalahgunaan"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["carried_out"], true, "{now}");
    wait_for_service(&pool, second, "cancelled").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn wallet_autopay_late_fee_and_a_staff_extension(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, service) = active_vps(&app, &shop, "budi@pelanggan.test").await;
    let (siti, unpaid) = active_vps(&app, &shop, "siti@pelanggan.test").await;
    // Budi pays renewals from his wallet; Siti's product gets a late fee.
    let saved = app
        .authed(
            Method::PUT,
            "/api/v1/account/billing-preferences",
            &client,
            Some(json!({"apply_wallet_to_renewals": true})),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    let terms = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}/lifecycle", shop.product),
            &shop.finance,
            Some(
                json!({"renew_days_before": 7, "suspend_after_days": 3, "terminate_after_days": 15,
                        "late_fee_minor": 25_000, "late_fee_currency": "USD"}),
            ),
        )
        .await;
    assert_eq!(
        terms.status().as_u16(),
        200,
        "{}",
        terms.text().await.unwrap()
    );
    let bad = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}/lifecycle", shop.product),
            &shop.finance,
            Some(json!({"renew_days_before": 7, "suspend_after_days": 20, "terminate_after_days": 15, "late_fee_minor": 0})),
        )
        .await;
    assert_eq!(
        bad.status().as_u16(),
        422,
        "termination comes after suspension"
    );

    let due = next_due(&pool, service).await;
    let report = sweep_on(&pool, due - Duration::days(7)).await;
    assert_eq!(
        (report.counts.invoiced, report.counts.paid_from_wallet),
        (2, 1),
        "{report:?}"
    );
    assert_eq!(
        next_due(&pool, service).await,
        due.checked_add_months(Months::new(1)).unwrap(),
        "paid from the wallet at once"
    );
    let (invoice, status, total) = renewal_invoice(&pool, unpaid, due).await.unwrap();
    assert_eq!(status, "unpaid");

    // A fee of 25,000 in dollars is no fee for a rupiah invoice.
    let late = sweep_on(&pool, due + Duration::days(1)).await;
    assert_eq!(
        (late.counts.late_fees, late.counts.overdue),
        (0, 1),
        "{late:?}"
    );
    let rupiah = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/catalog/products/{}/lifecycle", shop.product),
            &shop.finance,
            Some(
                json!({"renew_days_before": 7, "suspend_after_days": 3, "terminate_after_days": 15,
                        "late_fee_minor": 25_000}),
            ),
        )
        .await;
    let rupiah: Value = rupiah.json().await.unwrap();
    assert_eq!(rupiah["late_fee_currency"], "IDR", "{rupiah}");
    let late = sweep_on(&pool, due + Duration::days(1)).await;
    assert_eq!(
        (late.counts.late_fees, late.counts.overdue),
        (1, 0),
        "{late:?}"
    );
    let (_, _, with_fee) = renewal_invoice(&pool, unpaid, due).await.unwrap();
    assert!(with_fee >= total + 25_000, "{total} + fee = {with_fee}");
    let lines: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoice_line WHERE invoice_id = $1 AND kind = 'late_fee'",
    )
    .bind(invoice)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(lines, 1, "the fee is added once");
    sweep_on(&pool, due + Duration::days(2)).await;
    let (_, _, still) = renewal_invoice(&pool, unpaid, due).await.unwrap();
    assert_eq!(still, with_fee);

    // Staff give Siti until day 10; no suspension before, with a reason.
    let no_reason = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/services/{unpaid}/lifecycle"),
            &shop.finance,
            Some(json!({"extended_until": (due + Duration::days(10)).to_string(), "reason": " "})),
        )
        .await;
    assert_eq!(no_reason.status().as_u16(), 422);
    let extended = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/services/{unpaid}/lifecycle"),
            &shop.finance,
            Some(json!({"extended_until": (due + Duration::days(10)).to_string(), "reason": "janji bayar tanggal 10"})),
        )
        .await;
    assert_eq!(extended.status().as_u16(), 204);
    let seen: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/services/{unpaid}/lifecycle"),
            &shop.finance,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let extended_until = (due + Duration::days(10)).to_string();
    assert_eq!(seen["extended_until"], extended_until.as_str(), "{seen}");
    assert_eq!(seen["extension_reason"], "janji bayar tanggal 10");
    assert_eq!(seen["effective"]["late_fee_minor"], 25_000);
    // Finance read the service (its lifecycle is theirs to watch) but do
    // not act on it.
    let read = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/services/{unpaid}"),
            &shop.finance,
            None,
        )
        .await;
    assert_eq!(read.status().as_u16(), 200);
    let act = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/services/{unpaid}/actions"),
            &shop.finance,
            Some(json!({"action": "stop"})),
        )
        .await;
    assert_eq!(act.status().as_u16(), 403);
    let renewals: Value = app
        .authed(Method::GET, "/api/v1/renewals", &siti, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        renewals[0]["suspend_on"],
        (due + Duration::days(11)).to_string(),
        "the client sees the extension: {renewals}"
    );
    // An overdue notice sent now names the day after the extension.
    billing::lifecycle::notices::send(
        &pool,
        billing::lifecycle::notices::NoticeJob {
            service_id: unpaid,
            invoice_id: Some(invoice),
            period_start: due,
            notice: billing::lifecycle::notices::Notice::Overdue,
        },
    )
    .await
    .unwrap();
    let body: String = sqlx::query_scalar(
        "SELECT body FROM outbox_message WHERE event = 'billing.renewal_overdue' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let suspend_day = (due + Duration::days(11)).format("%d/%m/%Y").to_string();
    assert!(body.contains(&suspend_day), "{suspend_day} in {body}");
    let held = sweep_on(&pool, due + Duration::days(5)).await;
    assert_eq!(held.counts.suspended, 0, "extended");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'service.lifecycle_changed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let after = sweep_on(&pool, due + Duration::days(11)).await;
    assert_eq!(after.counts.suspended, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_dry_run_and_the_preview_write_nothing_and_clients_stay_out(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, service) = active_vps(&app, &shop, "budi@pelanggan.test").await;
    let due = next_due(&pool, service).await;
    let clock = Clock::manual(ShopCalendar::default(), at(due - Duration::days(7)));
    let dry = sweep::run(&pool, &clock, true).await.unwrap();
    assert_eq!(
        (dry.id, dry.counts.invoiced, dry.planned.len()),
        (None, 1, 1)
    );
    assert!(
        events(&pool, service).await.is_empty(),
        "a dry run writes nothing"
    );
    let mut conn = pool.acquire().await.unwrap();
    let preview = billing::lifecycle::view::preview(&mut conn, due - Duration::days(10), 7)
        .await
        .unwrap();
    let days: Vec<(NaiveDate, String)> = preview
        .iter()
        .map(|item| {
            (
                item.day,
                serde_json::to_value(item.step)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [(due - Duration::days(7), "invoice".to_owned())],
        "{preview:?}"
    );
    assert_eq!(preview[0].client_email, "budi@pelanggan.test");

    for (method, path) in [
        (Method::GET, "/api/v1/staff/lifecycle/sweeps"),
        (Method::GET, "/api/v1/staff/lifecycle/preview"),
        (Method::POST, "/api/v1/staff/lifecycle/sweeps"),
    ] {
        let refused = app
            .authed(method, path, &client, Some(json!({"dry_run": true})))
            .await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    let through_api: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/lifecycle/sweeps",
            &shop.owner,
            Some(json!({"dry_run": true})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(through_api["dry_run"], true);
    assert!(events(&pool, service).await.is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_owner_is_alerted_once_when_no_sweep_completed_for_26_hours(pool: PgPool) {
    let now = Utc::now();
    assert!(
        !watchdog::check(&pool, now).await.unwrap(),
        "a shop that never swept has nothing to miss"
    );
    sqlx::query(
        "INSERT INTO lifecycle_sweep (shop_day, started_at, finished_at) VALUES ($1, $2, $2)",
    )
    .bind(now.date_naive())
    .bind(now - Duration::hours(25))
    .execute(&pool)
    .await
    .unwrap();
    assert!(
        !watchdog::check(&pool, now).await.unwrap(),
        "25 hours is not yet silence"
    );
    assert!(
        watchdog::check(&pool, now + Duration::hours(2))
            .await
            .unwrap()
    );
    assert!(
        !watchdog::check(&pool, now + Duration::hours(3))
            .await
            .unwrap(),
        "one alert per silence"
    );
    let stale: Value = sqlx::query_scalar("SELECT payload FROM job WHERE kind = $1")
        .bind(watchdog::STALE_ALERT_JOB)
        .fetch_one(&pool)
        .await
        .unwrap();
    watchdog::raise(&pool, serde_json::from_value(stale).unwrap())
        .await
        .unwrap();
    let alerts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM owner_alert WHERE source = 'billing.lifecycle'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(alerts, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_recurring_promo_discounts_every_renewal_and_a_first_cycle_one_does_not(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    for (code, recurring) in [("SETIA10", true), ("AWAL10", false)] {
        let promo = app
            .authed(
                Method::POST,
                "/api/v1/staff/promo-codes",
                &shop.owner,
                Some(json!({"code": code, "discount_kind": "percent", "percent": 10, "recurring": recurring})),
            )
            .await;
        assert_eq!(
            promo.status().as_u16(),
            201,
            "{}",
            promo.text().await.unwrap()
        );
    }
    let mut services = Vec::new();
    for (email, code) in [
        ("budi@pelanggan.test", "SETIA10"),
        ("siti@pelanggan.test", "AWAL10"),
    ] {
        let (_, client) = crate::orders::ready_client(&app, email).await;
        crate::orders::fund_wallet(&app, &client, &shop.finance, &shop.owner, 1_000_000).await;
        let placed: Value = app
            .authed(
                Method::POST,
                "/api/v1/orders",
                &client,
                Some(json!({"product_id": shop.product, "cycle": "monthly", "region": "jkt",
                            "os_template": "ubuntu-24.04", "promo_code": code, "pay_with_wallet": true})),
            )
            .await
            .json()
            .await
            .unwrap();
        let order = placed["order"]["id"].as_i64().unwrap();
        assert!(
            placed["invoice"]["discount_minor"].as_i64().unwrap() > 0,
            "{placed}"
        );
        crate::orders::wait_for_status(&app, &client, order, "active").await;
        services.push(service_of_order(&pool, order).await);
    }
    let due = next_due(&pool, services[0]).await;
    sweep_on(&pool, due - Duration::days(7)).await;
    let discount = |service: i64| {
        let pool = pool.clone();
        async move {
            let discount: i64 = sqlx::query_scalar(
                "SELECT discount_minor FROM invoice WHERE service_id = $1 AND purpose = 'renewal'",
            )
            .bind(service)
            .fetch_one(&pool)
            .await
            .unwrap();
            discount
        }
    };
    let price: i64 = sqlx::query_scalar("SELECT recurring_minor FROM service WHERE id = $1")
        .bind(services[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        discount(services[0]).await,
        price / 10,
        "the recurring code keeps its 10 %"
    );
    assert_eq!(
        discount(services[1]).await,
        0,
        "a first-cycle code is spent"
    );
}
