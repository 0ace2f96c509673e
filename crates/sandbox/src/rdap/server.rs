//! The fake's HTTP side: the bootstrap file and each registry's domain
//! lookups, answered as RFC 9083 servers answer (`application/rdap+json`,
//! error objects with `errorCode`, `title` and `description`).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{
    RdapRegistry, RegisteredDomain,
    state::{Fault, RdapState, normalise_name},
};

const RDAP_JSON: &str = "application/rdap+json";

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/rdap/dns.json", web::get().to(bootstrap))
        .route("/rdap/{registry}/domain/{name}", web::get().to(domain))
        .route("/rdap/{registry}/help", web::get().to(help))
        .default_service(web::to(|| async {
            rdap_error(StatusCode::NOT_FOUND, "Not Found", "No such RDAP path.")
        }));
}

async fn bootstrap(request: HttpRequest, state: web::Data<RdapState>) -> HttpResponse {
    match state.bootstrap(request.connection_info().host()) {
        Ok(file) => HttpResponse::Ok()
            // IANA serves the file as plain JSON, not as RDAP.
            .content_type("application/json")
            .json(file),
        Err(status) => forced_failure(status),
    }
}

async fn domain(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<RdapState>,
) -> HttpResponse {
    let (registry_id, raw_name) = path.into_inner();
    let (name, response) = answer(&request, &registry_id, &raw_name, &state).await;
    state.record(&registry_id, &name, response.status().as_u16());
    response
}

/// The name as recorded, and the answer.
async fn answer(
    request: &HttpRequest,
    registry_id: &str,
    raw_name: &str,
    state: &RdapState,
) -> (String, HttpResponse) {
    let recorded = raw_name.to_lowercase();
    let Some(registry) = state.registry(registry_id) else {
        let response = rdap_error(StatusCode::NOT_FOUND, "Not Found", "No such RDAP service.");
        return (recorded, response);
    };
    let delay = state.delay(registry_id);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match state.fault(registry_id) {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = rdap_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "Query rate exceeded; retry later.",
            );
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return (recorded, response);
        }
        Some(Fault::Status(status)) => return (recorded, forced_failure(status)),
        None => {}
    }
    let name = match normalise_name(raw_name) {
        Ok(name) => name,
        Err(reason) => {
            let response = rdap_error(StatusCode::BAD_REQUEST, "Bad Request", reason);
            return (recorded, response);
        }
    };
    if state
        .registry_for_name(&name)
        .is_none_or(|serving| serving.id != registry.id)
    {
        let response = rdap_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "This server is not authoritative for that TLD.",
        );
        return (name, response);
    }
    let response = match state.lookup(&name) {
        Some(domain) => HttpResponse::Ok()
            .content_type(RDAP_JSON)
            .body(domain_object(request, state, registry, &domain).to_string()),
        None => rdap_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "The domain you requested is not registered.",
        ),
    };
    (name, response)
}

/// An RFC 9083 domain object as registries of the ICANN response profile
/// write them.
fn domain_object(
    request: &HttpRequest,
    state: &RdapState,
    registry: &RdapRegistry,
    domain: &RegisteredDomain,
) -> Value {
    let self_link = format!(
        "{}domain/{}",
        state.registry_base_url_at(request.connection_info().host(), &registry.id),
        domain.ldh_name
    );
    let date = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut object = json!({
        "rdapConformance": [
            "rdap_level_0",
            "icann_rdap_response_profile_1",
            "icann_rdap_technical_implementation_guide_1"
        ],
        "objectClassName": "domain",
        "handle": format!("{}_DOMAIN-{}", handle_number(&domain.ldh_name), registry.id.to_uppercase()),
        "ldhName": domain.ldh_name,
        "status": ["client transfer prohibited", "server delete prohibited"],
        "events": [
            { "eventAction": "registration", "eventDate": date(domain.registered_at) },
            { "eventAction": "expiration", "eventDate": date(domain.expires_at) },
            { "eventAction": "last update of RDAP database", "eventDate": date(Utc::now()) }
        ],
        "entities": [{
            "objectClassName": "entity",
            "handle": "9999",
            "roles": ["registrar"],
            "publicIds": [{ "type": "IANA Registrar ID", "identifier": "9999" }],
            "vcardArray": ["vcard", [
                ["version", {}, "text", "4.0"],
                ["fn", {}, "text", "Juragan Sandbox Registrar"]
            ]],
            "entities": [{
                "objectClassName": "entity",
                "roles": ["abuse"],
                "vcardArray": ["vcard", [
                    ["version", {}, "text", "4.0"],
                    ["fn", {}, "text", "Abuse desk"],
                    ["email", {}, "text", "abuse@registrar.sandbox.test"]
                ]]
            }]
        }],
        "nameservers": [
            { "objectClassName": "nameserver", "ldhName": "ns1.sandbox-dns.test" },
            { "objectClassName": "nameserver", "ldhName": "ns2.sandbox-dns.test" }
        ],
        "secureDNS": { "delegationSigned": false },
        "links": [{
            "value": request.full_url().to_string(),
            "rel": "self",
            "href": self_link,
            "type": RDAP_JSON
        }],
        "notices": [{
            "title": "Terms of Use",
            "description": [format!("Sandbox data of {}: nothing here is real.", registry.operator)]
        }]
    });
    if domain
        .ldh_name
        .split('.')
        .any(|label| label.starts_with("xn--"))
    {
        let (unicode, decoded) = idna::domain_to_unicode(&domain.ldh_name);
        if decoded.is_ok()
            && let Value::Object(fields) = &mut object
        {
            fields.insert("unicodeName".into(), json!(unicode));
        }
    }
    object
}

/// A stable number for the handle, from the name.
fn handle_number(name: &str) -> u64 {
    name.bytes().fold(5381_u64, |hash, byte| {
        hash.wrapping_mul(33) ^ u64::from(byte)
    }) % 10_000_000_000
}

async fn help(path: web::Path<String>, state: web::Data<RdapState>) -> HttpResponse {
    let Some(registry) = state.registry(&path) else {
        return rdap_error(StatusCode::NOT_FOUND, "Not Found", "No such RDAP service.");
    };
    HttpResponse::Ok().content_type(RDAP_JSON).body(
        json!({
            "rdapConformance": ["rdap_level_0"],
            "notices": [{
                "title": "Help",
                "description": [format!(
                    "Sandbox RDAP service of {} for {}. Query domain/<name>.",
                    registry.operator,
                    registry.tlds.join(", ")
                )]
            }]
        })
        .to_string(),
    )
}

/// An RFC 9083 error response.
fn rdap_error(status: StatusCode, title: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).content_type(RDAP_JSON).body(
        json!({
            "rdapConformance": ["rdap_level_0"],
            "errorCode": status.as_u16(),
            "title": title,
            "description": [description],
        })
        .to_string(),
    )
}

/// A failure a test forced. Gateway errors come as a proxy's HTML page, as
/// they do in production; the rest as RDAP errors.
fn forced_failure(status: u16) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    match status {
        502 | 504 => HttpResponse::build(code).content_type("text/html").body(format!(
            "<html><head><title>{status} {reason}</title></head>\
             <body><center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>\r\n"
        )),
        _ => rdap_error(code, reason, "Failure forced by the sandbox."),
    }
}
