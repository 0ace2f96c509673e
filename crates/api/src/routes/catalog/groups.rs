//! Customer groups: the price tiers, and which clients are in which. Staff
//! read them (prices are edited per tier); only the owner changes them.

use actix_web::{HttpResponse, delete, get, post, put, web};
use billing::catalog::group::{self, CustomerGroup, CustomerGroupInput, GroupMember};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{audited, commit};
use crate::auth::{Auth, OwnerOnly, StaffOnly};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_groups)
        .service(create_group)
        .service(rename_group)
        .service(delete_group)
        .service(list_members)
        .service(add_member)
        .service(remove_member);
}

/// Every customer group (price tier) with its member count.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCustomerGroups",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    responses((status = 200, description = "Groups, the default first", body = Vec<CustomerGroup>))
)]
#[get("/api/v1/staff/customer-groups")]
async fn list_groups(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<CustomerGroup>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(group::list(&mut conn).await?))
}

/// Add a customer group (a price tier).
#[utoipa::path(
    tag = "catalog",
    operation_id = "createCustomerGroup",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    request_body = CustomerGroupInput,
    responses(
        (status = 201, description = "Added", body = CustomerGroup),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/customer-groups")]
async fn create_group(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    body: web::Json<CustomerGroupInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = group::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "customer_group.created",
        "customer_group",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Rename a group (its code stays).
#[utoipa::path(
    tag = "catalog",
    operation_id = "renameCustomerGroup",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = i64, Path, description = "Group id")),
    request_body = CustomerGroupInput,
    responses(
        (status = 200, description = "Saved", body = CustomerGroup),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/customer-groups/{id}")]
async fn rename_group(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<CustomerGroupInput>,
) -> Result<web::Json<CustomerGroup>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = group::find(&mut tx, *id).await?;
    let after = group::rename(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "customer_group.renamed",
        "customer_group",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Delete a group with its prices; its clients see the default tier.
#[utoipa::path(
    tag = "catalog",
    operation_id = "deleteCustomerGroup",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in group (member, reseller)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/customer-groups/{id}")]
async fn delete_group(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = group::find(&mut tx, *id).await?;
    group::delete(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "customer_group.deleted",
        "customer_group",
        *id,
        Some(&before),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The clients in a group.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCustomerGroupMembers",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "Clients in the group", body = Vec<GroupMember>),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/customer-groups/{id}/members")]
async fn list_members(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<GroupMember>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(group::members(&mut conn, *id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMember {
    /// The client's account email.
    pub email: String,
}

/// Put a client into the group (moving them out of another).
#[utoipa::path(
    tag = "catalog",
    operation_id = "addCustomerGroupMember",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("id" = i64, Path, description = "Group id")),
    request_body = NewMember,
    responses(
        (status = 200, description = "In the group", body = GroupMember),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/customer-groups/{id}/members")]
async fn add_member(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<NewMember>,
) -> Result<web::Json<GroupMember>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let member = group::assign(&mut tx, *id, &body.email).await?;
    audited(
        &mut tx,
        &auth,
        "customer_group.member_added",
        "customer_group",
        *id,
        None,
        Some(&member),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(member))
}

/// Take a client out of a group (back to the default tier).
#[utoipa::path(
    tag = "catalog",
    operation_id = "removeCustomerGroupMember",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(
        ("id" = i64, Path, description = "Group id"),
        ("user_id" = Uuid, Path, description = "The client's account id"),
    ),
    responses(
        (status = 204, description = "Out of the group"),
        (status = 404, description = "Not in this group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/customer-groups/{id}/members/{user_id}")]
async fn remove_member(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    path: web::Path<(i64, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let mut tx = state.pool.begin().await?;
    group::unassign(&mut tx, id, user_id).await?;
    let removed = serde_json::json!({ "user_id": user_id });
    audited(
        &mut tx,
        &auth,
        "customer_group.member_removed",
        "customer_group",
        id,
        Some(&removed),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}
