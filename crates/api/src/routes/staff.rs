//! Staff management and the audit log: the owner's endpoints.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use identity::api_token::ApiToken;
use identity::audit::{self, AuditEntry, AuditFilter};
use identity::staff::{InviteStaffRequest, SetRolesRequest, StaffMember};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Auth, OwnerOnly};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_staff)
        .service(invite_staff)
        .service(set_staff_roles)
        .service(disable_staff)
        .service(enable_staff)
        .service(list_staff_api_tokens)
        .service(revoke_staff_api_token)
        .service(audit_log);
}

/// A staff member's personal API tokens (never their secrets).
#[utoipa::path(
    tag = "staff",
    operation_id = "listStaffApiTokens",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = Uuid, Path, description = "Staff member id")),
    responses(
        (status = 200, description = "Tokens, newest first", body = [ApiToken]),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/{id}/api-tokens")]
async fn list_staff_api_tokens(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ApiToken>>, ApiError> {
    Ok(web::Json(
        state.identity.staff_api_tokens(id.into_inner()).await?,
    ))
}

/// Revoke a staff member's API token: it stops at once. Audited, and the owners are alerted.
#[utoipa::path(
    tag = "staff",
    operation_id = "revokeStaffApiToken",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(
        ("id" = Uuid, Path, description = "Staff member id"),
        ("token_id" = Uuid, Path, description = "Token id: a token of that member"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Owner only; `interactive_session_required` with an API token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live token of that member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/{id}/api-tokens/{token_id}")]
async fn revoke_staff_api_token(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (member, token) = path.into_inner();
    if !state
        .identity
        .revoke_staff_api_token(&auth.principal, &auth.client, member, token)
        .await?
    {
        return Err(ApiError::NotFound(
            "no such live API token of this staff member".to_owned(),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Every staff account (active, disabled, invited).
#[utoipa::path(
    tag = "staff",
    operation_id = "listStaff",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    responses(
        (status = 200, description = "Staff, oldest first", body = [StaffMember]),
    )
)]
#[get("/api/v1/staff")]
async fn list_staff(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<StaffMember>>, ApiError> {
    Ok(web::Json(state.identity.list_staff().await?))
}

/// Invite a staff member by email; they set their password from the link.
#[utoipa::path(
    tag = "staff",
    operation_id = "inviteStaff",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    responses(
        (status = 201, description = "Invited", body = StaffMember),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or non-staff roles", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The invitation email could not be sent; nothing was created", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/invitations")]
async fn invite_staff(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    body: web::Json<InviteStaffRequest>,
) -> Result<HttpResponse, ApiError> {
    let member = state
        .identity
        .invite_staff(&auth.actor(), body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(member))
}

/// Replace a staff member's roles. Losing a role signs them out everywhere.
#[utoipa::path(
    tag = "staff",
    operation_id = "setStaffRoles",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = Uuid, Path, description = "Staff member id")),
    responses(
        (status = 200, description = "Updated", body = StaffMember),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_owner`: the shop needs an active owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid roles", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/{id}/roles")]
async fn set_staff_roles(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<SetRolesRequest>,
) -> Result<web::Json<StaffMember>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .set_staff_roles(&auth.actor(), id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Disable a staff account; its sessions and API tokens end at once.
#[utoipa::path(
    tag = "staff",
    operation_id = "disableStaff",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = Uuid, Path, description = "Staff member id")),
    responses(
        (status = 200, description = "Disabled", body = StaffMember),
        (status = 403, description = "Owner only; not yourself", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_owner`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/{id}/disable")]
async fn disable_staff(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<StaffMember>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .disable_staff(&auth.actor(), id.into_inner())
            .await?,
    ))
}

/// Enable a disabled staff account.
#[utoipa::path(
    tag = "staff",
    operation_id = "enableStaff",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = Uuid, Path, description = "Staff member id")),
    responses(
        (status = 200, description = "Enabled", body = StaffMember),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/{id}/enable")]
async fn enable_staff(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<StaffMember>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .enable_staff(&auth.actor(), id.into_inner())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only changes by this user.
    pub actor: Option<Uuid>,
    /// e.g. `user`.
    pub entity_type: Option<String>,
    /// e.g. `staff.roles_changed`.
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The audit log, newest first, with filters.
#[utoipa::path(
    tag = "staff",
    operation_id = "auditLog",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit-log")]
async fn audit_log(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let query = query.into_inner();
    let before_id = crate::routes::parse_cursor(query.cursor.as_deref())?;
    let filter = AuditFilter {
        actor: query.actor,
        entity_type: query.entity_type,
        action: query.action,
        from: query.from,
        to: query.to,
        before_id,
        limit: query.limit.unwrap_or(50),
    };
    let (items, next) = audit::list(&state.pool, &filter).await?;
    Ok(web::Json(AuditPage {
        items,
        next_cursor: next.map(|id| id.to_string()),
    }))
}
