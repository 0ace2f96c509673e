//! Staff accounts, managed by the owner: invitations by email, roles,
//! disabling. Every change is audited. The shop always keeps one active owner.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{Email, ValidationErrors};
use notify::template::catalog;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::account::NewAccount;
use crate::audit::{self, AuditRecord};
use crate::password::NewPassword;
use crate::role::{Role, roles_from_db, roles_to_db};
use crate::session::{hash_secret, random_secret};
use crate::{Actor, ClientInfo, Identity, IdentityError, api_token, limits, session};

const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest name of a person (characters); the OpenAPI schema shows it.
pub const NAME_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Active,
    Disabled,
    Invited,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffMember {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub status: StaffStatus,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InviteStaffRequest {
    pub email: String,
    pub name: String,
    /// Staff roles only: sysadmin, business, finance, owner.
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SetRolesRequest {
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AcceptInvitationRequest {
    pub token: String,
    pub name: String,
    pub password: String,
}

fn staff_roles(field: &str, roles: &[Role], errors: &mut ValidationErrors) -> Vec<Role> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() || roles.iter().any(|role| !role.is_staff()) {
        errors.add(
            field,
            "invalid_roles",
            "choose one or more staff roles: sysadmin, business, finance, owner",
        );
    }
    roles
}

/// Staff accounts, all of them or the one with `only`.
async fn fetch_members(
    conn: &mut PgConnection,
    only: Option<Uuid>,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.roles, u.status, u.created_at, u.last_login_at, p.full_name AS "name?"
           FROM app_user u LEFT JOIN user_profile p ON p.user_id = u.id
           WHERE u.roles && ARRAY['sysadmin', 'business', 'finance', 'owner'] AND ($1::uuid IS NULL OR u.id = $1)
           ORDER BY u.created_at"#,
        only
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| StaffMember {
            id: row.id,
            email: row.email,
            name: row.name,
            roles: roles_from_db(&row.roles),
            status: status_from_db(&row.status),
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        })
        .collect())
}

async fn load_member(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StaffMember>, sqlx::Error> {
    Ok(fetch_members(conn, Some(id)).await?.pop())
}

fn status_from_db(value: &str) -> StaffStatus {
    match value {
        "disabled" => StaffStatus::Disabled,
        "invited" => StaffStatus::Invited,
        _ => StaffStatus::Active,
    }
}

/// Locks the acting owner's row (and the member's, in one statement in id
/// order so two owners acting on each other queue instead of deadlocking)
/// and re-reads the actor's status and roles: a token issued before the
/// actor was demoted or disabled can never change staff, whatever it says.
pub(crate) async fn lock_acting_owner(
    conn: &mut PgConnection,
    actor: &Actor,
    member: Option<Uuid>,
) -> Result<(), IdentityError> {
    let Some(actor_id) = actor.user_id else {
        return Err(IdentityError::Forbidden("only an active owner can do this"));
    };
    let ids: Vec<Uuid> = std::iter::once(actor_id).chain(member).collect();
    let rows = sqlx::query!(
        "SELECT id, roles, status FROM app_user WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids
    )
    .fetch_all(conn)
    .await?;
    let acting = rows.iter().find(|row| row.id == actor_id);
    match acting {
        Some(row) if row.status == "active" && roles_from_db(&row.roles).contains(&Role::Owner) => {
            Ok(())
        }
        _ => Err(IdentityError::Forbidden("only an active owner can do this")),
    }
}

/// Refuses a change that would leave no active owner. Locks the owners so
/// two concurrent demotions cannot both pass.
async fn ensure_another_owner(conn: &mut PgConnection, losing: Uuid) -> Result<(), IdentityError> {
    let others: Vec<Uuid> = sqlx::query_scalar!(
        r#"SELECT id FROM app_user WHERE 'owner' = ANY(roles) AND status = 'active' AND id <> $1 FOR UPDATE"#,
        losing
    )
    .fetch_all(conn)
    .await?;
    if others.is_empty() {
        Err(IdentityError::LastOwner)
    } else {
        Ok(())
    }
}

impl Identity {
    pub async fn list_staff(&self) -> Result<Vec<StaffMember>, IdentityError> {
        let mut conn = self.pool.acquire().await?;
        Ok(fetch_members(&mut conn, None).await?)
    }

    /// Creates an invited staff account and emails its acceptance link.
    pub async fn invite_staff(
        &self,
        actor: &Actor,
        input: InviteStaffRequest,
    ) -> Result<StaffMember, IdentityError> {
        let mut errors = ValidationErrors::new();
        let email = errors.check("email", "invalid_email", Email::parse(&input.email));
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            errors.add(
                "name",
                "required",
                format!("a name (1 to {NAME_MAX_CHARS} characters)"),
            );
        }
        let roles = staff_roles("roles", &input.roles, &mut errors);
        errors.into_result()?;
        let Some(email) = email else {
            return Err(IdentityError::Internal(anyhow::anyhow!(
                "validated email missing"
            )));
        };

        let user = Uuid::now_v7();
        let token = random_secret();
        let mut tx = self.pool.begin().await?;
        lock_acting_owner(&mut tx, actor, None).await?;
        let inserted = sqlx::query!(
            r#"INSERT INTO app_user (id, email, roles, status, otp_enabled) VALUES ($1, $2, $3, 'invited', true)
               ON CONFLICT (email) DO NOTHING"#,
            user,
            email.as_str(),
            &roles_to_db(&roles)
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(IdentityError::EmailTaken);
        }
        sqlx::query!(
            "INSERT INTO user_profile (user_id, full_name) VALUES ($1, $2)",
            user,
            name
        )
        .execute(&mut *tx)
        .await?;
        let ttl = INVITATION_TTL.as_secs_f64();
        sqlx::query!(
            r#"INSERT INTO staff_invitation (token_hash, user_id, invited_by, expires_at)
               VALUES ($1, $2, $3, now() + make_interval(secs => $4))"#,
            hash_secret(&token),
            user,
            actor.user_id,
            ttl
        )
        .execute(&mut *tx)
        .await?;
        let member = load_member(&mut tx, user)
            .await?
            .ok_or(IdentityError::NotFound("staff member"))?;
        let entry = AuditRecord {
            action: "staff.invited",
            entity_type: "user",
            entity_id: user.to_string(),
            before: None,
            after: Some(serde_json::json!(member)),
        };
        audit::record(&mut tx, actor, entry).await?;
        // Sent before commit: an invitation nobody received is not created.
        let link = self.link(&format!("/accept-invitation?token={token}"));
        self.send_now(
            catalog::STAFF_INVITATION,
            &email,
            &[("name", name.clone()), ("link", link)],
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The invited person sets their name and password; their email is
    /// verified by having received the link.
    pub async fn accept_invitation(
        &self,
        client: &ClientInfo,
        input: AcceptInvitationRequest,
    ) -> Result<(), IdentityError> {
        self.limiter
            .hit(
                &limits::INVITATION_ACCEPT_PER_IP,
                client.ip.as_deref().unwrap_or("unknown"),
            )
            .await?;
        let mut errors = ValidationErrors::new();
        let password = errors.check(
            "password",
            "weak_password",
            NewPassword::parse(&input.password),
        );
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            errors.add(
                "name",
                "required",
                format!("your name (1 to {NAME_MAX_CHARS} characters)"),
            );
        }
        errors.into_result()?;
        let Some(password) = password else {
            return Err(IdentityError::Internal(anyhow::anyhow!(
                "validated password missing"
            )));
        };
        let token_hash = hash_secret(input.token.trim());
        // The cheap check first: a made-up token must not cost a hash.
        let live = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM staff_invitation
               WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()) AS "live!""#,
            token_hash
        )
        .fetch_one(&self.pool)
        .await?;
        if !live {
            return Err(IdentityError::LinkExpired);
        }
        let hash = password.hash().await?;

        let mut tx = self.pool.begin().await?;
        // Claimed atomically: of two acceptances racing, one wins.
        let user = sqlx::query_scalar!(
            r#"UPDATE staff_invitation SET accepted_at = now()
               WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
               RETURNING user_id"#,
            token_hash
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(IdentityError::LinkExpired)?;
        sqlx::query!(
            "UPDATE app_user SET password_hash = $2, status = 'active', email_verified_at = now() WHERE id = $1 AND status = 'invited'",
            user,
            hash
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE user_profile SET full_name = $2 WHERE user_id = $1",
            user,
            name
        )
        .execute(&mut *tx)
        .await?;
        let entry = AuditRecord {
            action: "staff.invitation_accepted",
            entity_type: "user",
            entity_id: user.to_string(),
            before: None,
            after: None,
        };
        audit::record(
            &mut tx,
            &Actor {
                user_id: Some(user),
                client: client.clone(),
            },
            entry,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_staff_roles(
        &self,
        actor: &Actor,
        member: Uuid,
        input: SetRolesRequest,
    ) -> Result<StaffMember, IdentityError> {
        let mut errors = ValidationErrors::new();
        let roles = staff_roles("roles", &input.roles, &mut errors);
        errors.into_result()?;
        let mut tx = self.pool.begin().await?;
        lock_acting_owner(&mut tx, actor, Some(member)).await?;
        let before = load_member(&mut tx, member)
            .await?
            .ok_or(IdentityError::NotFound("staff member"))?;
        if before.roles.contains(&Role::Owner) && !roles.contains(&Role::Owner) {
            ensure_another_owner(&mut tx, member).await?;
        }
        sqlx::query!(
            "UPDATE app_user SET roles = $2 WHERE id = $1",
            member,
            &roles_to_db(&roles)
        )
        .execute(&mut *tx)
        .await?;
        if before.roles.iter().any(|role| !roles.contains(role)) {
            // Losing a role takes effect now, not when old tokens expire.
            let sessions = session::revoke_all(&mut tx, member, None, "roles reduced").await?;
            self.revocations.revoke_sessions(&sessions).await?;
        }
        if before.roles != roles {
            // Access tokens carry roles: every token issued before the
            // change stops, and a refresh issues one with the new roles.
            self.revocations.revoke_user_tokens(member).await?;
        }
        let after = load_member(&mut tx, member)
            .await?
            .ok_or(IdentityError::NotFound("staff member"))?;
        let entry = AuditRecord {
            action: "staff.roles_changed",
            entity_type: "user",
            entity_id: member.to_string(),
            before: Some(serde_json::json!({ "roles": before.roles })),
            after: Some(serde_json::json!({ "roles": after.roles })),
        };
        audit::record(&mut tx, actor, entry).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Disables a staff account and ends its sessions and API tokens.
    pub async fn disable_staff(
        &self,
        actor: &Actor,
        member: Uuid,
    ) -> Result<StaffMember, IdentityError> {
        if actor.user_id == Some(member) {
            return Err(IdentityError::Forbidden(
                "you cannot disable your own account",
            ));
        }
        self.set_staff_status(actor, member, StaffStatus::Disabled)
            .await
    }

    pub async fn enable_staff(
        &self,
        actor: &Actor,
        member: Uuid,
    ) -> Result<StaffMember, IdentityError> {
        self.set_staff_status(actor, member, StaffStatus::Active)
            .await
    }

    async fn set_staff_status(
        &self,
        actor: &Actor,
        member: Uuid,
        status: StaffStatus,
    ) -> Result<StaffMember, IdentityError> {
        let mut tx = self.pool.begin().await?;
        lock_acting_owner(&mut tx, actor, Some(member)).await?;
        let before = load_member(&mut tx, member)
            .await?
            .ok_or(IdentityError::NotFound("staff member"))?;
        if before.status == StaffStatus::Invited {
            return Err(IdentityError::Forbidden(
                "an invited account becomes active when the invitation is accepted",
            ));
        }
        if status == StaffStatus::Disabled {
            if before.roles.contains(&Role::Owner) {
                ensure_another_owner(&mut tx, member).await?;
            }
            let sessions = session::revoke_all(&mut tx, member, None, "account disabled").await?;
            api_token::revoke_all(&mut tx, member).await?;
            self.revocations.revoke_sessions(&sessions).await?;
            self.revocations.revoke_user_tokens(member).await?;
        }
        let db_status = if status == StaffStatus::Disabled {
            "disabled"
        } else {
            "active"
        };
        sqlx::query!(
            "UPDATE app_user SET status = $2 WHERE id = $1",
            member,
            db_status
        )
        .execute(&mut *tx)
        .await?;
        let after = load_member(&mut tx, member)
            .await?
            .ok_or(IdentityError::NotFound("staff member"))?;
        let entry = AuditRecord {
            action: if status == StaffStatus::Disabled {
                "staff.disabled"
            } else {
                "staff.enabled"
            },
            entity_type: "user",
            entity_id: member.to_string(),
            before: Some(serde_json::json!({ "status": before.status })),
            after: Some(serde_json::json!({ "status": after.status })),
        };
        audit::record(&mut tx, actor, entry).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// `juragan create-owner`: the first account of a new shop.
    pub async fn create_owner(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<Uuid, IdentityError> {
        let NewAccount {
            email,
            password,
            name,
        } = NewAccount::parse(email, password, name)?;
        let hash = password.hash().await?;
        let user = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query!(
            r#"INSERT INTO app_user (id, email, password_hash, email_verified_at, roles, otp_enabled)
               VALUES ($1, $2, $3, now(), ARRAY['owner'], true) ON CONFLICT (email) DO NOTHING"#,
            user,
            email.as_str(),
            hash
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(IdentityError::EmailTaken);
        }
        sqlx::query!(
            "INSERT INTO user_profile (user_id, full_name) VALUES ($1, $2)",
            user,
            name
        )
        .execute(&mut *tx)
        .await?;
        let entry = AuditRecord {
            action: "staff.owner_created",
            entity_type: "user",
            entity_id: user.to_string(),
            before: None,
            after: Some(serde_json::json!({ "email": email, "roles": ["owner"] })),
        };
        audit::record(&mut tx, &Actor::system(), entry).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// The owner's view of staff members' API tokens.
impl crate::Identity {
    /// A staff member's tokens, for the owner; `NotFound` for anyone who is
    /// not staff.
    pub async fn staff_api_tokens(
        &self,
        member: Uuid,
    ) -> Result<Vec<crate::api_token::ApiToken>, crate::IdentityError> {
        if !self
            .list_staff()
            .await?
            .iter()
            .any(|staff| staff.id == member)
        {
            return Err(crate::IdentityError::NotFound("staff member"));
        }
        Ok(crate::api_token::list(&self.pool, member).await?)
    }

    /// The owner revokes a staff member's token; `false` when the token is
    /// not a live token of that member (the two path ids must belong
    /// together).
    pub async fn revoke_staff_api_token(
        &self,
        principal: &crate::Principal,
        client: &crate::ClientInfo,
        member: Uuid,
        token: Uuid,
    ) -> Result<bool, crate::IdentityError> {
        principal.require_interactive()?;
        let actor = crate::Actor::user(principal, client);
        let mut tx = self.pool.begin().await?;
        lock_acting_owner(&mut tx, &actor, Some(member)).await?;
        let revoked = crate::api_token::revoke(&mut tx, member, token).await?;
        if revoked {
            let entry = crate::audit::AuditRecord {
                action: "api_token.revoked",
                entity_type: "api_token",
                entity_id: token.to_string(),
                before: None,
                after: Some(serde_json::json!({ "user_id": member, "by_owner": true })),
            };
            crate::audit::record(&mut tx, &actor, entry).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}
