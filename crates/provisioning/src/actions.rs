//! Asking for an action on a service: who may ask for what, in which state,
//! and the run it starts. Clients start, stop, reboot, reinstall (confirmed
//! by an emailed code, checked by the API) and reset the password of their
//! own VPS; staff also suspend, unsuspend, terminate and move a VPS to
//! another node, and change a hosting package.

use billing::catalog::spec::ProductKind;
use billing::service::{self, Service, ServiceStatus};
use serde::Deserialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::run::{self, Action};
use crate::{ProvisioningError, vps};

/// Who asks: the service's client, staff, or the billing lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Client(Uuid),
    Staff(Uuid),
    /// The billing lifecycle (an overdue or paid renewal, a cancellation):
    /// staff's rights, no person.
    Automation,
}

impl Requester {
    fn user_id(self) -> Option<Uuid> {
        match self {
            Requester::Client(id) | Requester::Staff(id) => Some(id),
            Requester::Automation => None,
        }
    }
}

/// An action as the API receives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ActionRequest {
    pub action: Action,
    /// Reinstall: the OS to install (one the product offers).
    pub os_template_id: Option<i64>,
    /// Change package: the WHM package.
    pub package: Option<String>,
    /// Move node: the node of the VM's cluster to move it to.
    #[schema(min_length = 1, max_length = 100)]
    pub node: Option<String>,
    /// Reinstall by a client: the code emailed to them.
    #[schema(min_length = 6, max_length = 6)]
    pub code: Option<String>,
}

/// Whether `action` is one a client may ask for on their own service.
pub fn client_may(action: Action) -> bool {
    matches!(
        action,
        Action::Start | Action::Stop | Action::Reboot | Action::Reinstall | Action::ResetPassword
    )
}

/// Checks the request against the service and starts its run, in the
/// caller's transaction. Returns the run's id.
pub async fn request(
    conn: &mut PgConnection,
    sealer: &domain::Sealer,
    service: &Service,
    requester: Requester,
    request: &ActionRequest,
) -> Result<i64, ProvisioningError> {
    let action = request.action;
    if let Requester::Client(user) = requester {
        if service.user_id != user {
            return Err(ProvisioningError::NotFound("no such service"));
        }
        if !client_may(action) {
            return Err(ProvisioningError::refused(
                "action_not_allowed",
                format!("`{}` is done by staff", action.as_str()),
            ));
        }
    }
    let allowed_kind = match service.kind {
        // A plan change is started by its paid change, never asked for.
        ProductKind::Vps => !matches!(
            action,
            Action::Deliver | Action::ChangePackage | Action::ChangePlan
        ),
        ProductKind::Hosting => matches!(
            action,
            Action::Suspend | Action::Unsuspend | Action::Terminate | Action::ChangePackage
        ),
        _ => false,
    };
    if !allowed_kind {
        return Err(ProvisioningError::refused(
            "action_not_supported",
            format!(
                "a {} service has no `{}` action",
                service.kind,
                action.as_str()
            ),
        ));
    }
    let state_ok = match action {
        Action::Unsuspend => service.status == ServiceStatus::Suspended,
        Action::Terminate => matches!(
            service.status,
            ServiceStatus::Active | ServiceStatus::Suspended | ServiceStatus::Failed
        ),
        Action::MoveNode => matches!(
            service.status,
            ServiceStatus::Active | ServiceStatus::Suspended
        ),
        // A suspended VPS stays off until its invoice is paid.
        _ => service.status == ServiceStatus::Active,
    };
    if !state_ok {
        return Err(ProvisioningError::refused(
            "service_state",
            format!(
                "the service is {}; `{}` is not possible now",
                service.status.as_str(),
                action.as_str()
            ),
        ));
    }
    let params = match action {
        Action::Reinstall => {
            let os = request.os_template_id.ok_or_else(|| {
                domain::ValidationErrors::single(
                    "os_template_id",
                    "required",
                    "choose the OS to install",
                )
            })?;
            let offered = vps::reinstall_choices(conn, service.id)
                .await?
                .iter()
                .any(|choice| choice.id == os);
            if !offered {
                return Err(domain::ValidationErrors::single(
                    "os_template_id",
                    "not_offered",
                    "the product does not offer this OS, or the VPS's node has no template for it",
                )
                .into());
            }
            // A fresh system gets a fresh password, shown once again.
            renew_password(conn, sealer, service.id).await?;
            serde_json::json!({ "os_template_id": os })
        }
        Action::ResetPassword => {
            renew_password(conn, sealer, service.id).await?;
            serde_json::json!({})
        }
        Action::ChangePackage => {
            let package = request
                .package
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    domain::ValidationErrors::single("package", "required", "the WHM package")
                })?;
            let known = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM hosting_account h
                                    JOIN whm_package p ON p.integration_id = h.integration_id
                                   WHERE h.service_id = $1 AND p.name = $2 AND p.present) AS "known!""#,
                service.id,
                package
            )
            .fetch_one(&mut *conn)
            .await?;
            if !known {
                return Err(domain::ValidationErrors::single(
                    "package",
                    "not_found",
                    "the account's server has no such package",
                )
                .into());
            }
            serde_json::json!({ "package": package })
        }
        Action::MoveNode => {
            let node = request.node.as_deref().map(str::trim).unwrap_or_default();
            serde_json::json!({ "node": move_target(conn, service.id, node).await? })
        }
        _ => serde_json::json!({}),
    };
    run::start(conn, service.id, action, params, requester.user_id()).await
}

/// `node` as the target of a move: another node of the VM's cluster that
/// is there and online.
async fn move_target(
    conn: &mut PgConnection,
    service_id: i64,
    node: &str,
) -> Result<String, ProvisioningError> {
    let refuse = |code: &'static str, message: &str| {
        ProvisioningError::from(domain::ValidationErrors::single("node", code, message))
    };
    if node.is_empty() {
        return Err(refuse("required", "the node to move the VM to"));
    }
    let found = sqlx::query!(
        r#"SELECT n.online, n.present, v.node AS current
             FROM vps_instance v
             JOIN pve_node n ON n.integration_id = v.integration_id AND n.name = $2
            WHERE v.service_id = $1"#,
        service_id,
        node
    )
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        None => Err(refuse("not_found", "no such node in the VM's cluster")),
        Some(n) if !n.present => Err(refuse("not_found", "no such node in the VM's cluster")),
        Some(n) if n.current.as_deref() == Some(node) => {
            Err(refuse("same_node", "the VM is on that node already"))
        }
        Some(n) if !n.online => Err(refuse("offline", "that node is offline")),
        Some(_) => Ok(node.to_owned()),
    }
}

async fn renew_password(
    conn: &mut PgConnection,
    sealer: &domain::Sealer,
    service_id: i64,
) -> Result<(), ProvisioningError> {
    let sealed = sealer.seal(vps::generate_password().as_bytes());
    sqlx::query!(
        "UPDATE vps_instance SET password_key_id = $2, password_sealed = $3, password_shown_at = NULL
          WHERE service_id = $1",
        service_id,
        sealed.key_id,
        sealed.bytes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The service `id` for `requester`: a client sees only their own.
pub async fn service_for(
    conn: &mut PgConnection,
    id: i64,
    requester: Requester,
) -> Result<Service, ProvisioningError> {
    let owner = match requester {
        Requester::Client(user) => Some(user),
        Requester::Staff(_) | Requester::Automation => None,
    };
    service::query::find(&mut *conn, id, owner)
        .await?
        .ok_or(ProvisioningError::NotFound("no such service"))
}
