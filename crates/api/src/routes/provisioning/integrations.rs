//! Proxmox and WHM integrations: secrets masked, tested, synced; the nodes,
//! templates and packages they have, and how the shop maps them.

use actix_web::{HttpResponse, delete, get, post, put, web};
use provisioning::integration::{self, ConnectionTest, Integration, IntegrationInput};
use provisioning::inventory::{self, Node, NodeSettings, Package, SyncReport, Template};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::ProvisioningAdmins;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_integrations)
        .service(create_integration)
        .service(update_integration)
        .service(delete_integration)
        .service(test_integration)
        .service(sync_integration)
        .service(list_nodes)
        .service(update_node)
        .service(list_templates)
        .service(map_template)
        .service(list_packages);
}

/// Every integration, secrets masked.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listIntegrations",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses((status = 200, description = "Integrations", body = Vec<Integration>))
)]
#[get("/api/v1/staff/integrations")]
async fn list_integrations(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Integration>>, ApiError> {
    Ok(web::Json(integration::list(&state.pool, None).await?))
}

/// Add a Proxmox VE cluster or WHM server. The secret is sealed and never returned.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "createIntegration",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = IntegrationInput,
    responses(
        (status = 201, description = "Added (secret masked)", body = Integration),
        (status = 422, description = "Invalid or missing fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/integrations")]
async fn create_integration(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    body: web::Json<IntegrationInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = integration::create(&mut tx, &state.sealer, &body).await?;
    audited(
        &mut tx,
        &auth,
        "integration.created",
        "integration",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change an integration; a secret left out keeps the stored one.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "updateIntegration",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The integration")),
    request_body = IntegrationInput,
    responses(
        (status = 200, description = "Saved (secret masked)", body = Integration),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/integrations/{id}")]
async fn update_integration(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<IntegrationInput>,
) -> Result<web::Json<Integration>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = integration::find(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such integration".to_owned()))?;
    let after = integration::update(&mut tx, &state.sealer, id, &body).await?;
    // The views hold the masked secret only, so the audit log never sees one.
    audited(
        &mut tx,
        &auth,
        "integration.updated",
        "integration",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete an integration nothing was delivered on.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "deleteIntegration",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The integration")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`integration_in_use`: services were delivered on it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/integrations/{id}")]
async fn delete_integration(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = integration::find(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such integration".to_owned()))?;
    integration::delete(&mut tx, id).await?;
    audited::<_, Integration>(
        &mut tx,
        &auth,
        "integration.deleted",
        "integration",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Call the server with the stored credentials: its version and the latency,
/// or the precise error (dns, refused, tls, unauthorized, timeout, …).
#[utoipa::path(
    tag = "provisioning",
    operation_id = "testIntegration",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The integration")),
    responses(
        (status = 200, description = "The result, success or not", body = ConnectionTest),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/integrations/{id}/test")]
async fn test_integration(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ConnectionTest>, ApiError> {
    Ok(web::Json(
        integration::test_connection(&state.pool, &state.sealer, id.into_inner()).await?,
    ))
}

/// Sync now: nodes and templates from Proxmox, packages from WHM.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "syncIntegration",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The integration")),
    responses(
        (status = 200, description = "What was found", body = SyncReport),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`integration_error`: the server could not be read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/integrations/{id}/sync")]
async fn sync_integration(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<SyncReport>, ApiError> {
    Ok(web::Json(
        inventory::sync(&state.pool, &state.sealer, id.into_inner()).await?,
    ))
}

/// Proxmox nodes with their resources as last synced.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listNodes",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses((status = 200, description = "Nodes", body = Vec<Node>))
)]
#[get("/api/v1/staff/nodes")]
async fn list_nodes(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Node>>, ApiError> {
    Ok(web::Json(inventory::nodes(&state.pool).await?))
}

/// Set the region a node serves and whether it takes new VMs.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "updateNode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The node")),
    request_body = NodeSettings,
    responses(
        (status = 204, description = "Saved"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/nodes/{id}")]
async fn update_node(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<NodeSettings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    inventory::set_node(&mut *tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "node.updated",
        "pve_node",
        id,
        None,
        Some(&serde_json::json!({"region_id": body.region_id, "accepts_new": body.accepts_new})),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Proxmox templates and the catalog OS each installs.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listProxmoxTemplates",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses((status = 200, description = "Templates", body = Vec<Template>))
)]
#[get("/api/v1/staff/templates")]
async fn list_templates(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Template>>, ApiError> {
    Ok(web::Json(inventory::templates(&state.pool).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateMapping {
    /// The catalog OS template it installs; none unmaps it.
    pub os_template_id: Option<i64>,
}

/// Map a template (and its copies on the cluster's other nodes) to a catalog OS.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "mapProxmoxTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The template")),
    request_body = TemplateMapping,
    responses(
        (status = 204, description = "Mapped"),
        (status = 404, description = "No such template", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such OS template", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/templates/{id}")]
async fn map_template(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TemplateMapping>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    inventory::map_template(&mut *tx, id, body.os_template_id).await?;
    audited(
        &mut tx,
        &auth,
        "template.mapped",
        "pve_template",
        id,
        None,
        Some(&serde_json::json!({"os_template_id": body.os_template_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// WHM packages as last synced.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listWhmPackages",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses((status = 200, description = "Packages", body = Vec<Package>))
)]
#[get("/api/v1/staff/whm-packages")]
async fn list_packages(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Package>>, ApiError> {
    Ok(web::Json(inventory::packages(&state.pool).await?))
}
