//! The OpenAPI document. It is collected from the routed handlers themselves
//! (utoipa-actix-web), so an endpoint cannot exist without being documented;
//! `openapi/openapi.json` is this document, committed, and a test keeps the
//! two equal.

use actix_router::ResourceDef;
use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::HttpMethod;
use utoipa_actix_web::AppExt;

use crate::error::{Problem, ProblemFieldError};
use crate::routes;

mod limits;
mod shared_responses;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Juragan API",
        description = "Storefront, billing, provisioning and monitoring of a hosting / VPS / ISP reseller.\n\n\
Every error is `application/problem+json` (RFC 9457) with a stable `code`: an unknown path answers 404 \
`route_not_found`, a known path with another method 405 `method_not_allowed` with an `Allow` header, a body \
over the size limit 413 `payload_too_large`, a wrong content type 415 `unsupported_media_type`, and invalid \
fields 422 `validation_failed` with one entry per field in `errors`. Money is integer minor units with an \
ISO 4217 currency code.",
        license(name = "MIT"),
    ),
    tags(
        (name = "system", description = "Health, readiness, metrics and this document"),
        (name = "auth", description = "Registration, sign-in with the emailed second factor, tokens, password reset"),
        (name = "account", description = "The signed-in user's own account, sessions and API tokens"),
        (name = "staff", description = "Staff accounts and the audit log (owner)"),
        (name = "notifications", description = "Message templates (owner) and the delivery outbox (staff)"),
        (name = "orders", description = "Checkout and the client's orders; a paid order is delivered by a job"),
        (name = "invoices", description = "The client's invoices and paying them"),
        (name = "payments", description = "Payment methods, gateway notifications and gateway settings"),
        (name = "wallet", description = "The client's balance as a double-entry ledger, and top-ups"),
        (name = "promos", description = "Promo codes and vouchers (business)"),
        (name = "finance", description = "Orders, invoices, money received, manual transfers, refunds and billing settings (staff)"),
        (name = "renewals", description = "The client's recurring services: renewal dates and invoices, cancellation, paying renewals from the wallet"),
        (name = "lifecycle", description = "The billing lifecycle: automation log, preview, dry run, renewal/suspension/termination days, overrides and staff cancellations (owner, finance)"),
        (name = "isp", description = "ISP customers on MikroTik routers: routers (sysadmin), the PPPoE status sync, the customers table and map, isolation, and the customers' Excel import and export"),
    ),
    modifiers(&BearerAuth),
    // Schemas only query parameters refer to, which no body registers.
    components(schemas(Problem, ProblemFieldError, billing::Lang))
)]
struct ApiDoc;

/// Access tokens (ES256 JWT from `/api/v1/auth/login`) and personal API
/// tokens (`jrg_…`) are both sent as `Authorization: Bearer`. Each protected
/// operation lists the roles it admits in `x-roles`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or jrg_ API token")
                    .description(Some("An access token from sign-in, or a personal API token. The roles each operation admits are in its `x-roles`."))
                    .build(),
            ),
        );
    }
}

/// The full document of every routed endpoint.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_app, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    describe_roles(&mut document);
    shared_responses::add(&mut document);
    limits::add(&mut document);
    document
}

/// Adds "Roles: …" to the description of every operation that declares
/// `x-roles`, so readers of the docs see who may call it without reading
/// the extension.
fn describe_roles(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let Some(roles) = operation
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("x-roles"))
                .and_then(|roles| roles.as_array())
            else {
                continue;
            };
            let names: Vec<&str> = roles.iter().filter_map(|role| role.as_str()).collect();
            let line = format!("**Roles:** {}", names.join(", "));
            operation.description = Some(match operation.description.take() {
                Some(description) if !description.is_empty() => format!("{description}\n\n{line}"),
                _ => line,
            });
        }
    }
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    json.push('\n');
    json
}

/// The methods each documented path answers, for telling 404 from 405.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl RouteTable {
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (HttpMethod::Get, &item.get),
                    (HttpMethod::Put, &item.put),
                    (HttpMethod::Post, &item.post),
                    (HttpMethod::Delete, &item.delete),
                    (HttpMethod::Options, &item.options),
                    (HttpMethod::Head, &item.head),
                    (HttpMethod::Patch, &item.patch),
                    (HttpMethod::Trace, &item.trace),
                ]
                .into_iter()
                .filter(|(_, operation)| operation.is_some())
                .map(|(method, _)| method_name(&method).to_owned())
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, if it is a documented path at all.
    pub fn allowed_methods(&self, path: &str) -> Option<&[String]> {
        self.routes
            .iter()
            .find(|(resource, _)| resource.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}
