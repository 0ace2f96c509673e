//! The Proxmox fake's HTTP side: `/api2/json` routes, authentication,
//! parameters from the query string and a form or JSON body, PVE's envelope
//! and error shape (the message in the reason phrase too), and the injected
//! failures, including a connection closed without an answer.

use std::{
    any::Any,
    collections::{BTreeMap, HashMap},
    io,
    net::SocketAddr,
    sync::{Arc, LazyLock, Mutex, PoisonError},
};

use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer,
    dev::Extensions,
    http::{Method, StatusCode, header},
    web,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{
    ProxmoxFailure, ProxmoxOp,
    state::{ApiError, ApiResult, Credentials, Params, Principal, ProxmoxState},
};
use crate::error::SandboxError;

const SERVICE: &str = "Proxmox";

/// The running actix server; dropping it stops it.
#[derive(Debug)]
pub(crate) struct ServerTask(JoinHandle<io::Result<()>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A duplicate of the connection's socket, so that a handler can close the
/// connection without answering ([`ProxmoxFailure::Drop`]).
#[derive(Clone)]
struct ConnectionSocket(Arc<socket2::Socket>);

pub(crate) fn serve(
    addr: SocketAddr,
    state: ProxmoxState,
) -> Result<(ServerTask, SocketAddr), SandboxError> {
    let bind_error = |source| SandboxError::Bind {
        service: SERVICE,
        addr,
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
    let bound = listener
        .local_addr()
        .map_err(|source| SandboxError::LocalAddr {
            service: SERVICE,
            source,
        })?;
    let state = web::Data::new(state);
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(routes))
        .on_connect(remember_socket)
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(bind_error)?
        .run();
    Ok((ServerTask(tokio::spawn(server)), bound))
}

fn remember_socket(connection: &dyn Any, extensions: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Ok(socket) = socket2::SockRef::from(stream).try_clone()
    {
        extensions.insert(ConnectionSocket(Arc::new(socket)));
    }
}

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::scope("/api2/json")
                .route("/version", web::get().to(version))
                .route("/access/ticket", web::post().to(ticket))
                .route("/nodes", web::get().to(nodes))
                .route("/cluster/nextid", web::get().to(next_id))
                .route("/nodes/{node}/qemu", web::get().to(list_vms))
                .route("/nodes/{node}/qemu/{vmid}", web::delete().to(delete_vm))
                .route("/nodes/{node}/qemu/{vmid}/clone", web::post().to(clone_vm))
                .route(
                    "/nodes/{node}/qemu/{vmid}/config",
                    web::get().to(get_config),
                )
                .route(
                    "/nodes/{node}/qemu/{vmid}/config",
                    web::post().to(post_config),
                )
                .route(
                    "/nodes/{node}/qemu/{vmid}/config",
                    web::put().to(put_config),
                )
                .route("/nodes/{node}/qemu/{vmid}/resize", web::put().to(resize))
                .route("/nodes/{node}/qemu/{vmid}/migrate", web::post().to(migrate))
                .route(
                    "/nodes/{node}/qemu/{vmid}/status/current",
                    web::get().to(status_current),
                )
                .route(
                    "/nodes/{node}/qemu/{vmid}/status/{action}",
                    web::post().to(power),
                )
                .route(
                    "/nodes/{node}/tasks/{upid}/status",
                    web::get().to(task_status),
                )
                .route("/nodes/{node}/tasks/{upid}/log", web::get().to(task_log)),
        )
        .default_service(web::to(not_implemented));
}

async fn not_implemented(request: HttpRequest) -> HttpResponse {
    let path = request
        .path()
        .strip_prefix("/api2/json")
        .unwrap_or(request.path());
    error_response(&ApiError::new(
        501,
        format!("Method '{} {path}' not implemented", request.method()),
    ))
}

// ---- the envelope --------------------------------------------------------

fn data_response(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": data }))
}

/// PVE's error: the message as the reason phrase and, since pve-http-server
/// 9a2112e, in the body; per-parameter `errors` for a 400.
fn error_response(error: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({"data": null, "message": format!("{}\n", error.message)});
    if !error.errors.is_empty()
        && let Some(object) = body.as_object_mut()
    {
        object.insert("errors".into(), json!(error.errors));
    }
    HttpResponse::build(status)
        .reason(reason_phrase(&error.message))
        .json(body)
}

/// actix wants a `'static` reason phrase; PVE's are built from the
/// message. Each distinct text is leaked once, up to a bound, which a fake
/// that answers a handful of distinct errors never reaches.
fn reason_phrase(message: &str) -> &'static str {
    const MAX_PHRASES: usize = 4096;
    static PHRASES: LazyLock<Mutex<HashMap<String, &'static str>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let phrase: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(char::is_ascii)
        .collect::<String>()
        .trim()
        .to_owned();
    let mut phrases = PHRASES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = phrases.get(&phrase) {
        return known;
    }
    if phrases.len() >= MAX_PHRASES {
        return "Error";
    }
    let leaked: &'static str = Box::leak(phrase.clone().into_boxed_str());
    phrases.insert(phrase, leaked);
    leaked
}

// ---- parameters and authentication ----------------------------------------

/// The query string and the body (form or JSON) merged.
fn params(request: &HttpRequest, body: &[u8]) -> Result<Params, ApiError> {
    let mut params = Params::new();
    let query: Vec<(String, String)> = serde_urlencoded::from_str(request.query_string())
        .map_err(|_| ApiError::new(400, "unable to parse query string"))?;
    params.extend(query);
    if body.is_empty() {
        return Ok(params);
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    if is_json {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(ApiError::new(400, "unable to parse JSON body"));
        };
        for (key, value) in object {
            let text = match value {
                Value::String(text) => text,
                Value::Bool(flag) => if flag { "1" } else { "0" }.to_owned(),
                Value::Null => continue,
                other => other.to_string(),
            };
            params.insert(key, text);
        }
    } else {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| ApiError::new(400, "unable to parse form body"))?;
        params.extend(form);
    }
    Ok(params)
}

fn credentials(request: &HttpRequest) -> Credentials<'_> {
    let header_text = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let cookie_ticket = request
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == "PVEAuthCookie")
        .map(|(_, value)| percent_decode(value.trim_matches('"')));
    Credentials {
        authorization: header_text(header::AUTHORIZATION.as_str()),
        cookie_ticket,
        csrf: header_text("CSRFPreventionToken"),
        is_write: request.method() != Method::GET && request.method() != Method::HEAD,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (byte, hex) {
            (b'%', Some(value)) => {
                decoded.push(value);
                index += 3;
            }
            _ => {
                decoded.push(*byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// What every API call goes through: parameters, credentials, the call
/// counter and permissions, the injected failure, the work, the answer.
async fn call(
    request: &HttpRequest,
    body: &[u8],
    state: &ProxmoxState,
    op: ProxmoxOp,
    work: impl FnOnce(&Params, &Principal, Option<&str>) -> ApiResult,
) -> HttpResponse {
    let outcome = async {
        let params = params(request, body)?;
        let principal = state.authenticate(&credentials(request))?;
        let failure = state.begin(op)?;
        let mut delay = None;
        let mut task_failure = None;
        match failure {
            Some(ProxmoxFailure::Http { status, message }) => {
                return Err(ApiError::new(status, message));
            }
            Some(ProxmoxFailure::Drop) => {
                drop_connection(request);
                return Err(ApiError::new(500, "connection dropped"));
            }
            Some(ProxmoxFailure::AnswerAfter(after)) => delay = Some(after),
            Some(ProxmoxFailure::TaskFails(exitstatus)) => task_failure = Some(exitstatus),
            None => {}
        }
        let result = work(&params, &principal, task_failure.as_deref());
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        result
    }
    .await;
    match outcome {
        Ok(data) => data_response(data),
        Err(error) => error_response(&error),
    }
}

fn drop_connection(request: &HttpRequest) {
    if let Some(ConnectionSocket(socket)) = request.conn_data::<ConnectionSocket>() {
        let _ = socket.shutdown(std::net::Shutdown::Both);
    }
}

fn vmid(text: &str) -> Result<u32, ApiError> {
    text.parse().map_err(|_| ApiError {
        status: 400,
        message: "Parameter verification failed.".to_owned(),
        errors: BTreeMap::from([(
            "vmid".to_owned(),
            format!("type check ('integer') failed - got '{text}'"),
        )]),
    })
}

// ---- handlers ------------------------------------------------------------

async fn version(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
) -> HttpResponse {
    call(&request, &body, &state, ProxmoxOp::Version, |_, _, _| {
        state.version()
    })
    .await
}

async fn ticket(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
) -> HttpResponse {
    let outcome = async {
        let params = params(&request, &body)?;
        match state.begin(ProxmoxOp::Ticket)? {
            Some(ProxmoxFailure::Http { status, message }) => Err(ApiError::new(status, message)),
            Some(ProxmoxFailure::Drop) => {
                drop_connection(&request);
                Err(ApiError::new(500, "connection dropped"))
            }
            Some(ProxmoxFailure::AnswerAfter(delay)) => {
                let result = state.login(&params);
                tokio::time::sleep(delay).await;
                result
            }
            _ => state.login(&params),
        }
    }
    .await;
    match outcome {
        Ok(data) => data_response(data),
        Err(error) => error_response(&error),
    }
}

async fn nodes(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
) -> HttpResponse {
    call(&request, &body, &state, ProxmoxOp::Nodes, |_, _, _| {
        state.nodes()
    })
    .await
}

async fn next_id(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
) -> HttpResponse {
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::NextId,
        |params, _, _| state.next_id(params),
    )
    .await
}

async fn list_vms(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<String>,
) -> HttpResponse {
    call(&request, &body, &state, ProxmoxOp::ListVms, |_, _, _| {
        state.list_vms(&path)
    })
    .await
}

async fn clone_vm(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, source) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Clone,
        |params, user, failure| state.clone_vm(&node, vmid(&source)?, params, user, failure),
    )
    .await
}

async fn migrate(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Migrate,
        |params, user, failure| state.migrate(&node, vmid(&id)?, params, user, failure),
    )
    .await
}

async fn get_config(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(&request, &body, &state, ProxmoxOp::Config, |_, _, _| {
        state.get_config(&node, vmid(&id)?)
    })
    .await
}

async fn post_config(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Config,
        |params, user, failure| state.set_config(&node, vmid(&id)?, params, user, true, failure),
    )
    .await
}

async fn put_config(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Config,
        |params, user, failure| state.set_config(&node, vmid(&id)?, params, user, false, failure),
    )
    .await
}

async fn resize(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Resize,
        |params, user, failure| state.resize(&node, vmid(&id)?, params, user, failure),
    )
    .await
}

async fn status_current(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(&request, &body, &state, ProxmoxOp::Status, |_, _, _| {
        state.status_current(&node, vmid(&id)?)
    })
    .await
}

async fn power(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (node, id, action) = path.into_inner();
    let op = match action.as_str() {
        "start" => ProxmoxOp::Start,
        "stop" => ProxmoxOp::Stop,
        "shutdown" => ProxmoxOp::Shutdown,
        "reboot" => ProxmoxOp::Reboot,
        "suspend" => ProxmoxOp::Suspend,
        "resume" => ProxmoxOp::Resume,
        _ => return not_implemented(request).await,
    };
    call(&request, &body, &state, op, |_, user, failure| {
        state.power(&node, vmid(&id)?, &action, user, failure)
    })
    .await
}

async fn delete_vm(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, id) = path.into_inner();
    call(
        &request,
        &body,
        &state,
        ProxmoxOp::Delete,
        |_, user, failure| state.delete(&node, vmid(&id)?, user, failure),
    )
    .await
}

async fn task_status(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, upid) = path.into_inner();
    call(&request, &body, &state, ProxmoxOp::TaskStatus, |_, _, _| {
        state.task_status(&node, &upid)
    })
    .await
}

async fn task_log(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ProxmoxState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (node, upid) = path.into_inner();
    let mut total = 0;
    let response = call(
        &request,
        &body,
        &state,
        ProxmoxOp::TaskLog,
        |params, _, _| {
            let (lines, count) = state.task_log(&node, &upid, params)?;
            total = count;
            Ok(lines)
        },
    )
    .await;
    if response.status() != StatusCode::OK {
        return response;
    }
    // PVE puts the line count beside `data`.
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    HttpResponse::Ok().json(json!({"data": body["data"], "total": total}))
}
