//! cPanel hosting accounts on WHM servers: delivery (choose a server with
//! the product's package → pick a username to WHM's rules → `createacct` →
//! active, client told) and the actions suspend, unsuspend, terminate and
//! change package.
//!
//! WHM has no idempotency keys and `createacct` is slow, so a call that
//! timed out may have succeeded: before trying again the step looks the
//! account up with `listaccts` and adopts it when it is ours (same user
//! and domain).

use billing::service::ServiceStatus;
use domain::{Sealed, Sealer};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;

use crate::integration::{self, remote_whm};
use crate::run::{self, Action, StepName};
use crate::whm::{NewWhmAccount, WhmClient, WhmError, pick_username};
use crate::{Provisioner, ProvisioningError, completion, vps};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ChooseServer,
    PickUsername,
    CreateAccount,
    Finish,
    Suspend,
    Unsuspend,
    Remove,
    ChangePackage,
    MarkSuspended,
    MarkActive,
    MarkTerminated,
}

impl StepName for Step {
    fn name(self) -> &'static str {
        match self {
            Step::ChooseServer => "choose_server",
            Step::PickUsername => "pick_username",
            Step::CreateAccount => "create_account",
            Step::Finish => "finish",
            Step::Suspend => "suspend_account",
            Step::Unsuspend => "unsuspend_account",
            Step::Remove => "remove_account",
            Step::ChangePackage => "change_package",
            Step::MarkSuspended => "mark_suspended",
            Step::MarkActive => "mark_active",
            Step::MarkTerminated => "mark_terminated",
        }
    }
}

pub fn plan(action: Action) -> &'static [Step] {
    match action {
        Action::Deliver => &[
            Step::ChooseServer,
            Step::PickUsername,
            Step::CreateAccount,
            Step::Finish,
        ],
        Action::Suspend => &[Step::Suspend, Step::MarkSuspended],
        Action::Unsuspend => &[Step::Unsuspend, Step::MarkActive],
        Action::Terminate => &[Step::Remove, Step::MarkTerminated],
        Action::ChangePackage => &[Step::ChangePackage],
        Action::MoveNode => &[],
        _ => &[],
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChangePackageParams {
    pub package: String,
}

struct Account {
    service_id: i64,
    domain: String,
    package: String,
    integration_id: Option<i64>,
    username: Option<String>,
    password: Sealed,
}

async fn load(db: impl PgExecutor<'_>, service_id: i64) -> Result<Account, ProvisioningError> {
    let row = sqlx::query!(
        "SELECT service_id, domain, package, integration_id, username, password_key_id, password_sealed
           FROM hosting_account WHERE service_id = $1",
        service_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(ProvisioningError::NotFound("the service has no hosting record"))?;
    Ok(Account {
        service_id: row.service_id,
        domain: row.domain,
        package: row.package,
        integration_id: row.integration_id,
        username: row.username,
        password: Sealed {
            key_id: row.password_key_id,
            bytes: row.password_sealed,
        },
    })
}

/// The order's domain and the product's package, recorded when the
/// delivery starts.
pub(crate) async fn create_account_record(
    conn: &mut PgConnection,
    sealer: &Sealer,
    service_id: i64,
    order_id: i64,
) -> Result<(), ProvisioningError> {
    let order = sqlx::query!(
        "SELECT o.domain_name, p.spec FROM customer_order o JOIN product p ON p.id = o.product_id
          WHERE o.id = $1",
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let spec: billing::catalog::spec::HostingSpec =
        serde_json::from_value(order.spec).map_err(|e| {
            ProvisioningError::Corrupt(format!("hosting spec of order {order_id}: {e}"))
        })?;
    let domain = order.domain_name.ok_or_else(|| {
        ProvisioningError::Corrupt(format!("hosting order {order_id} has no domain"))
    })?;
    let password = sealer.seal(vps::generate_password().as_bytes());
    sqlx::query!(
        "INSERT INTO hosting_account (service_id, domain, package, password_key_id, password_sealed)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (service_id) DO NOTHING",
        service_id,
        domain,
        spec.whm_package,
        password.key_id,
        password.bytes
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn execute(
    provisioner: &Provisioner,
    run_id: i64,
    service_id: i64,
    action: Action,
    params: &serde_json::Value,
) -> Result<(), ProvisioningError> {
    let steps = plan(action);
    if steps.is_empty() {
        return Err(ProvisioningError::refused(
            "action_not_supported",
            format!("a hosting account has no `{}` action", action.as_str()),
        ));
    }
    run::drive(
        &provisioner.pool,
        &provisioner.hooks,
        run_id,
        steps,
        |step| execute_step(provisioner, service_id, step, params),
    )
    .await
}

async fn client(
    provisioner: &Provisioner,
    account: &Account,
) -> Result<WhmClient, ProvisioningError> {
    let id = account
        .integration_id
        .ok_or_else(|| ProvisioningError::Corrupt("hosting account without a server".into()))?;
    integration::whm(
        &provisioner.pool,
        &provisioner.sealer,
        id,
        provisioner.tasks.whm_call,
    )
    .await
}

fn username(account: &Account) -> Result<&str, ProvisioningError> {
    account
        .username
        .as_deref()
        .ok_or_else(|| ProvisioningError::Corrupt("hosting account without a username".into()))
}

async fn execute_step(
    provisioner: &Provisioner,
    service_id: i64,
    step: Step,
    params: &serde_json::Value,
) -> Result<String, ProvisioningError> {
    let account = load(&provisioner.pool, service_id).await?;
    match step {
        Step::ChooseServer => choose_server(provisioner, &account).await,
        Step::PickUsername => pick(provisioner, &account).await,
        Step::CreateAccount => create(provisioner, &account).await,
        Step::Finish => finish(provisioner, &account).await,
        Step::Suspend => {
            let client = client(provisioner, &account).await?;
            let user = username(&account)?;
            match client.find_account(user).await.map_err(remote_whm)? {
                Some(found) if found.suspended => Ok("suspended already".into()),
                Some(_) => {
                    client
                        .suspend(user, "Unpaid invoice (Juragan)")
                        .await
                        .map_err(remote_whm)?;
                    set_suspended(provisioner, service_id, true).await?;
                    Ok("suspended".into())
                }
                None => Err(ProvisioningError::refused(
                    "account_missing",
                    format!("WHM has no account `{user}`"),
                )),
            }
        }
        Step::Unsuspend => {
            let client = client(provisioner, &account).await?;
            let user = username(&account)?;
            match client.find_account(user).await.map_err(remote_whm)? {
                Some(found) if !found.suspended => Ok("active already".into()),
                Some(_) => {
                    client.unsuspend(user).await.map_err(remote_whm)?;
                    set_suspended(provisioner, service_id, false).await?;
                    Ok("unsuspended".into())
                }
                None => Err(ProvisioningError::refused(
                    "account_missing",
                    format!("WHM has no account `{user}`"),
                )),
            }
        }
        Step::Remove => {
            let client = client(provisioner, &account).await?;
            let user = username(&account)?;
            match client.find_account(user).await.map_err(remote_whm)? {
                None => Ok("no account".into()),
                Some(found) if found.domain != account.domain => Err(ProvisioningError::refused(
                    "account_not_ours",
                    format!(
                        "`{user}` on WHM serves {}, not {}",
                        found.domain, account.domain
                    ),
                )),
                Some(_) => {
                    client.remove(user).await.map_err(remote_whm)?;
                    Ok("account removed".into())
                }
            }
        }
        Step::ChangePackage => {
            let params: ChangePackageParams = serde_json::from_value(params.clone())
                .map_err(|e| ProvisioningError::Corrupt(format!("package parameters: {e}")))?;
            let client = client(provisioner, &account).await?;
            let user = username(&account)?;
            let current = client.find_account(user).await.map_err(remote_whm)?;
            if current.as_ref().map(|a| a.plan.as_str()) != Some(params.package.as_str()) {
                client
                    .change_package(user, &params.package)
                    .await
                    .map_err(remote_whm)?;
            }
            sqlx::query!(
                "UPDATE hosting_account SET package = $2 WHERE service_id = $1",
                service_id,
                params.package
            )
            .execute(&provisioner.pool)
            .await?;
            Ok(format!("package {}", params.package))
        }
        Step::MarkSuspended => {
            completion::mark(&provisioner.pool, service_id, ServiceStatus::Suspended).await
        }
        Step::MarkActive => {
            completion::mark(&provisioner.pool, service_id, ServiceStatus::Active).await
        }
        Step::MarkTerminated => {
            completion::mark(&provisioner.pool, service_id, ServiceStatus::Terminated).await
        }
    }
}

async fn set_suspended(
    provisioner: &Provisioner,
    service_id: i64,
    suspended: bool,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE hosting_account SET suspended = $2 WHERE service_id = $1",
        service_id,
        suspended
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(())
}

/// The active WHM server that offers the package and holds the fewest of
/// the shop's accounts.
async fn choose_server(
    provisioner: &Provisioner,
    account: &Account,
) -> Result<String, ProvisioningError> {
    if let Some(id) = account.integration_id {
        return Ok(format!("server {id} (chosen before)"));
    }
    let chosen = sqlx::query!(
        "SELECT i.id, i.name FROM integration i
           JOIN whm_package p ON p.integration_id = i.id AND p.name = $1 AND p.present
          WHERE i.kind = 'whm' AND i.active
          ORDER BY (SELECT count(*) FROM hosting_account h WHERE h.integration_id = i.id), i.id
          LIMIT 1",
        account.package
    )
    .fetch_optional(&provisioner.pool)
    .await?
    .ok_or_else(|| {
        ProvisioningError::refused(
            "no_server",
            format!(
                "no active WHM server offers the package `{}`",
                account.package
            ),
        )
    })?;
    sqlx::query!(
        "UPDATE hosting_account SET integration_id = $2 WHERE service_id = $1",
        account.service_id,
        chosen.id
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(format!("server {}", chosen.name))
}

/// A username to WHM's rules, derived from the domain, whose first eight
/// characters no account on the server (or of the shop) has.
async fn pick(provisioner: &Provisioner, account: &Account) -> Result<String, ProvisioningError> {
    if let Some(user) = &account.username {
        return Ok(format!("username {user} (chosen before)"));
    }
    let client = client(provisioner, account).await?;
    let on_server: Vec<String> = client
        .list_accounts()
        .await
        .map_err(remote_whm)?
        .into_iter()
        .map(|a| a.user)
        .collect();
    let ours: Vec<String> = sqlx::query_scalar!(
        r#"SELECT username AS "username!" FROM hosting_account
            WHERE integration_id = $1 AND username IS NOT NULL"#,
        account.integration_id
    )
    .fetch_all(&provisioner.pool)
    .await?;
    let prefix = |name: &str| name.chars().take(8).collect::<String>();
    let taken: Vec<String> = on_server.iter().chain(&ours).map(|n| prefix(n)).collect();
    let user = pick_username(&account.domain, &|candidate: &str| {
        taken.contains(&prefix(candidate))
    })
    .ok_or_else(|| {
        ProvisioningError::refused("no_username", "no free username could be derived")
    })?;
    sqlx::query!(
        "UPDATE hosting_account SET username = $2 WHERE service_id = $1",
        account.service_id,
        user
    )
    .execute(&provisioner.pool)
    .await
    .map_err(|error| match &error {
        // Another delivery took it between our look and our write: try again.
        sqlx::Error::Database(db) if db.is_unique_violation() => ProvisioningError::Remote {
            system: "WHM",
            kind: "conflict",
            transient: true,
            message: format!("username {user} was just taken"),
        },
        _ => error.into(),
    })?;
    Ok(format!("username {user}"))
}

async fn create(provisioner: &Provisioner, account: &Account) -> Result<String, ProvisioningError> {
    let client = client(provisioner, account).await?;
    let user = username(account)?;
    if let Some(found) = adoptable(&client, account, user).await? {
        return Ok(found);
    }
    let password = String::from_utf8(provisioner.sealer.open(&account.password)?)
        .map_err(|_| ProvisioningError::Corrupt("hosting password".into()))?;
    let contact_email = sqlx::query_scalar!(
        "SELECT u.email FROM service s JOIN app_user u ON u.id = s.user_id WHERE s.id = $1",
        account.service_id
    )
    .fetch_one(&provisioner.pool)
    .await?;
    let request = NewWhmAccount {
        username: user.to_owned(),
        domain: account.domain.clone(),
        plan: account.package.clone(),
        contact_email,
        password,
    };
    match client.create_account(&request).await {
        Ok(created) => {
            record_created(
                provisioner,
                account.service_id,
                Some(created.ip),
                created.nameservers,
            )
            .await?;
            Ok(format!("account {user} created"))
        }
        // The answer was lost or the account appeared meanwhile: look.
        Err(error) if matches!(error, WhmError::Timeout) || error.is_already_exists() => {
            match adoptable(&client, account, user).await? {
                Some(found) => Ok(found),
                None => Err(remote_whm(error)),
            }
        }
        Err(error) => Err(remote_whm(error)),
    }
}

/// The account WHM already has for this service, adopted; `None` when WHM
/// has none. A user or domain that belongs to someone else is refused.
async fn adoptable(
    client: &WhmClient,
    account: &Account,
    user: &str,
) -> Result<Option<String>, ProvisioningError> {
    if let Some(found) = client.find_account(user).await.map_err(remote_whm)? {
        if found.domain.eq_ignore_ascii_case(&account.domain) {
            return Ok(Some(format!(
                "adopted account {user}, made by an earlier attempt"
            )));
        }
        return Err(ProvisioningError::Remote {
            system: "WHM",
            kind: "conflict",
            transient: true,
            message: format!("the username {user} belongs to {}", found.domain),
        });
    }
    if let Some(found) = client
        .find_account_by_domain(&account.domain)
        .await
        .map_err(remote_whm)?
    {
        return Err(ProvisioningError::refused(
            "domain_on_server",
            format!("WHM already hosts {} as `{}`", account.domain, found.user),
        ));
    }
    Ok(None)
}

async fn record_created(
    provisioner: &Provisioner,
    service_id: i64,
    ip: Option<String>,
    nameservers: Vec<String>,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE hosting_account SET ip = $2, nameservers = $3 WHERE service_id = $1",
        service_id,
        ip,
        &nameservers
    )
    .execute(&provisioner.pool)
    .await?;
    Ok(())
}

async fn finish(provisioner: &Provisioner, account: &Account) -> Result<String, ProvisioningError> {
    let client = client(provisioner, account).await?;
    let user = username(account)?;
    // Adopted accounts skipped `record_created`: read what WHM says.
    if let Some(found) = client.find_account(user).await.map_err(remote_whm)? {
        sqlx::query!(
            "UPDATE hosting_account SET ip = COALESCE(ip, $2) WHERE service_id = $1",
            account.service_id,
            found.ip
        )
        .execute(&provisioner.pool)
        .await?;
    }
    let mut tx = provisioner.pool.begin().await?;
    let record = sqlx::query!(
        "SELECT ip, nameservers FROM hosting_account WHERE service_id = $1",
        account.service_id
    )
    .fetch_one(&mut *tx)
    .await?;
    completion::delivered(
        &mut tx,
        account.service_id,
        "hosting account created",
        &format!(
            "Domain: {}\nUsername cPanel: {user}\nIP: {}\nNameserver: {}\nKata sandi / password: area klien → Layanan (ditampilkan sekali / shown once)",
            account.domain,
            record.ip.unwrap_or_default(),
            record.nameservers.join(", ")
        ),
    )
    .await?;
    tx.commit().await?;
    Ok("hosting active".into())
}

/// A failed delivery leaves nothing to undo on WHM that a retry would not
/// adopt; the username is kept so the retry finds the same account.
pub(crate) async fn compensate(_provisioner: &Provisioner, _service_id: i64) -> Vec<String> {
    Vec::new()
}

/// A hosting account as its client sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostingDetails {
    pub domain: String,
    pub package: String,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub nameservers: Vec<String>,
    pub suspended: bool,
    pub password_available: bool,
    /// Staff only: the packages its WHM server offers (a change of package
    /// picks one of them); empty for clients.
    pub package_choices: Vec<String>,
}

pub async fn details(
    db: impl PgExecutor<'_>,
    service_id: i64,
    for_staff: bool,
) -> Result<Option<HostingDetails>, ProvisioningError> {
    Ok(sqlx::query!(
        r#"SELECT h.domain, h.package, h.username, h.ip, h.nameservers, h.suspended,
                  h.password_shown_at,
                  ARRAY(SELECT p.name FROM whm_package p
                         WHERE p.integration_id = h.integration_id AND p.present
                         ORDER BY p.name) AS "package_choices!"
             FROM hosting_account h WHERE h.service_id = $1"#,
        service_id
    )
    .fetch_optional(db)
    .await?
    .map(|row| HostingDetails {
        domain: row.domain,
        package: row.package,
        username: row.username,
        ip: row.ip,
        nameservers: row.nameservers,
        suspended: row.suspended,
        password_available: row.password_shown_at.is_none(),
        package_choices: if for_staff {
            row.package_choices
        } else {
            Vec::new()
        },
    }))
}
