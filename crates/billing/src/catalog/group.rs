//! Customer groups choose the price tier a client sees. `member` (the
//! default) and `reseller` exist from the start; the owner adds more and
//! assigns clients. A client in no group sees the default group's prices,
//! or the `reseller` group's when the client holds the reseller role.

use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::CatalogError;
use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerGroup {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The tier of visitors and of clients in no group.
    pub is_default: bool,
    pub member_count: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CustomerGroupInput {
    /// Lowercase code, e.g. `gold`; fixed once created.
    pub code: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupMember {
    pub user_id: Uuid,
    pub email: String,
    pub assigned_at: chrono::DateTime<chrono::Utc>,
}

/// Who the storefront prices for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buyer {
    Anonymous,
    Client { user_id: Uuid, reseller_role: bool },
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<CustomerGroup>, CatalogError> {
    Ok(sqlx::query_as!(
        CustomerGroup,
        r#"SELECT g.id, g.code, g.name, g.is_default,
                  (SELECT count(*) FROM customer_group_member m WHERE m.group_id = g.id) AS "member_count!"
           FROM customer_group g ORDER BY g.is_default DESC, g.name"#
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<CustomerGroup, CatalogError> {
    sqlx::query_as!(
        CustomerGroup,
        r#"SELECT g.id, g.code, g.name, g.is_default,
                  (SELECT count(*) FROM customer_group_member m WHERE m.group_id = g.id) AS "member_count!"
           FROM customer_group g WHERE g.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such customer group"))
}

/// The codes of every group, for checking a price table.
pub async fn codes(conn: &mut PgConnection) -> Result<Vec<String>, CatalogError> {
    Ok(
        sqlx::query_scalar!("SELECT code FROM customer_group ORDER BY code")
            .fetch_all(conn)
            .await?,
    )
}

fn name(input: &CustomerGroupInput, errors: &mut ValidationErrors) -> Option<String> {
    text::required(
        errors,
        "name",
        Some(&input.name),
        super::bounds::LIST_NAME_MAX_CHARS,
    )
}

pub async fn create(
    conn: &mut PgConnection,
    input: &CustomerGroupInput,
) -> Result<CustomerGroup, CatalogError> {
    let mut errors = ValidationErrors::new();
    let code = match input.code.as_deref() {
        Some(code) => text::slug(&mut errors, "code", code, super::bounds::CODE_MAX_CHARS),
        None => {
            errors.add("code", "required", "required");
            None
        }
    };
    let name = name(input, &mut errors);
    errors.into_result()?;
    let id = sqlx::query_scalar!(
        "INSERT INTO customer_group (code, name) VALUES ($1, $2) RETURNING id",
        code,
        name
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(CatalogError::from_write)?;
    find(conn, id).await
}

/// Renames a group; its code stays, since prices and clients refer to it.
pub async fn rename(
    conn: &mut PgConnection,
    id: i64,
    input: &CustomerGroupInput,
) -> Result<CustomerGroup, CatalogError> {
    let mut errors = ValidationErrors::new();
    let name = name(input, &mut errors);
    errors.into_result()?;
    let updated = sqlx::query!(
        "UPDATE customer_group SET name = $2 WHERE id = $1",
        id,
        name
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such customer group"));
    }
    find(conn, id).await
}

/// Deletes a group with its prices; its clients fall back to the default
/// tier. The default group and `reseller` stay.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), CatalogError> {
    let group = find(&mut *conn, id).await?;
    if group.is_default || group.code == "reseller" {
        return Err(CatalogError::InUse(
            "the member and reseller groups are built in and stay",
        ));
    }
    sqlx::query!("DELETE FROM customer_group WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn members(
    conn: &mut PgConnection,
    group_id: i64,
) -> Result<Vec<GroupMember>, CatalogError> {
    find(&mut *conn, group_id).await?;
    Ok(sqlx::query_as!(
        GroupMember,
        "SELECT m.user_id, u.email, m.assigned_at
         FROM customer_group_member m JOIN app_user u ON u.id = m.user_id
         WHERE m.group_id = $1 ORDER BY u.email LIMIT 5000",
        group_id
    )
    .fetch_all(conn)
    .await?)
}

/// Puts the client with `email` into the group (moving them from another).
/// Staff are not clients and cannot be priced as one.
pub async fn assign(
    conn: &mut PgConnection,
    group_id: i64,
    email: &str,
) -> Result<GroupMember, CatalogError> {
    find(&mut *conn, group_id).await?;
    let email = email.trim().to_lowercase();
    let user = sqlx::query!("SELECT id, roles FROM app_user WHERE email = $1", email)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            ValidationErrors::single("email", "unknown", "no account with this email")
        })?;
    if user
        .roles
        .iter()
        .any(|role| !matches!(role.as_str(), "client" | "reseller"))
    {
        return Err(ValidationErrors::single(
            "email",
            "not_a_client",
            "staff accounts have no price tier",
        )
        .into());
    }
    Ok(sqlx::query_as!(
        GroupMember,
        "INSERT INTO customer_group_member (user_id, group_id) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET group_id = EXCLUDED.group_id, assigned_at = now()
         RETURNING user_id, $3::text AS \"email!\", assigned_at",
        user.id,
        group_id,
        email
    )
    .fetch_one(conn)
    .await?)
}

pub async fn unassign(
    conn: &mut PgConnection,
    group_id: i64,
    user_id: Uuid,
) -> Result<(), CatalogError> {
    let removed = sqlx::query!(
        "DELETE FROM customer_group_member WHERE group_id = $1 AND user_id = $2",
        group_id,
        user_id
    )
    .execute(conn)
    .await?;
    if removed.rows_affected() == 0 {
        return Err(CatalogError::NotFound("the client is not in this group"));
    }
    Ok(())
}

/// The group whose prices `buyer` sees (see the module comment).
pub async fn tier_of(conn: &mut PgConnection, buyer: Buyer) -> Result<CustomerGroup, CatalogError> {
    let (user_id, reseller_role) = match buyer {
        Buyer::Anonymous => (None, false),
        Buyer::Client {
            user_id,
            reseller_role,
        } => (Some(user_id), reseller_role),
    };
    let id = sqlx::query_scalar!(
        r#"SELECT COALESCE(
                (SELECT group_id FROM customer_group_member WHERE user_id = $1),
                (SELECT id FROM customer_group WHERE code = 'reseller' AND $2),
                (SELECT id FROM customer_group WHERE is_default)) AS "id!""#,
        user_id,
        reseller_role
    )
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}
