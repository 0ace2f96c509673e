//! RouterOS v7's REST API (`/rest/...`) for the menus the fake holds: Basic
//! auth with the router's users, GET = print (`?prop=value` exact filters,
//! `.proplist`), PATCH = set, DELETE = remove, POST `/rest/{menu}/{command}`
//! with a JSON body; every value a string; RouterOS's error bodies
//! (`{"error":404,"message":"Not Found"}`, 400 with a `detail`, 401).
//! Ids contain `*`, which clients send percent-encoded (`%2A80000001`).

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{
    RouterOsState, RouterOsUser,
    query::{self, Query, Row},
    state::WriteError,
};

pub(crate) const SERVICE: &str = "RouterOS REST";

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/rest")
            .route("/system/identity", web::get().to(identity))
            .route("/system/resource", web::get().to(resource))
            .route("/ppp/active", web::get().to(list_active))
            .route("/ppp/active/print", web::post().to(print_active))
            .route("/ppp/active/remove", web::post().to(remove_active_command))
            .route("/ppp/active/{id}", web::get().to(get_active))
            .route("/ppp/active/{id}", web::delete().to(delete_active))
            .route("/ppp/secret", web::get().to(list_secrets))
            .route("/ppp/secret/print", web::post().to(print_secrets))
            .route("/ppp/secret/set", web::post().to(set_secret_command))
            .route("/ppp/secret/{id}", web::get().to(get_secret))
            .route("/ppp/secret/{id}", web::patch().to(patch_secret))
            .default_service(web::to(unknown)),
    );
}

fn error(status: StatusCode, detail: Option<&str>) -> HttpResponse {
    let mut body = json!({
        "error": status.as_u16(),
        "message": status.canonical_reason().unwrap_or("Error"),
    });
    if let Some(detail) = detail {
        body["detail"] = json!(detail);
    }
    HttpResponse::build(status).json(body)
}

/// A refused request, answered with RouterOS's error body.
#[derive(Debug, thiserror::Error)]
enum RestError {
    #[error("Unauthorized")]
    Unauthorized,
    #[error("Not Found")]
    NotFound,
    /// 404 with a `detail`, as an unknown menu gets.
    #[error("{0}")]
    UnknownMenu(&'static str),
    #[error("{0}")]
    BadRequest(String),
}

impl ResponseError for RestError {
    fn status_code(&self) -> StatusCode {
        match self {
            RestError::Unauthorized => StatusCode::UNAUTHORIZED,
            RestError::NotFound | RestError::UnknownMenu(_) => StatusCode::NOT_FOUND,
            RestError::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            RestError::Unauthorized => {
                let mut response = error(StatusCode::UNAUTHORIZED, None);
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Basic realm=\"RouterOS\""),
                );
                response
            }
            RestError::NotFound => error(StatusCode::NOT_FOUND, None),
            RestError::UnknownMenu(detail) => error(StatusCode::NOT_FOUND, Some(detail)),
            RestError::BadRequest(detail) => error(StatusCode::BAD_REQUEST, Some(detail)),
        }
    }
}

fn bad_request(detail: &str) -> RestError {
    RestError::BadRequest(detail.to_owned())
}

/// The user of the request's Basic credentials, or the router's 401.
fn authorize(request: &HttpRequest, state: &RouterOsState) -> Result<RouterOsUser, RestError> {
    let user = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, encoded) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(encoded)
        })
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|credentials| {
            let (name, password) = credentials.split_once(':')?;
            state.authenticate(name, password)
        });
    user.ok_or(RestError::Unauthorized)
}

fn object(row: Row) -> Value {
    Value::Object(
        row.into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect::<Map<String, Value>>(),
    )
}

/// `?name=value` filters (exact) and `.proplist`, as GET takes them.
fn select(rows: Vec<Row>, query_string: &str) -> Result<Vec<Value>, RestError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
        .map(web::Query::into_inner)
        .map_err(|_| bad_request("invalid query"))?;
    let proplist = pairs
        .iter()
        .find(|(key, _)| key == ".proplist")
        .map(|(_, value)| query::proplist(value));
    let filters: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(key, _)| !key.starts_with('.'))
        .collect();
    let query = Query::equals(&filters);
    Ok(rows
        .into_iter()
        .filter(|row| query.matches(row).unwrap_or(false))
        .map(|row| object(query::project(row, proplist.as_deref())))
        .collect())
}

/// POST `.../print` with `{".proplist": [...], ".query": [...]}`, the
/// query words as the binary API writes them.
fn select_posted(rows: Vec<Row>, body: &[u8]) -> Result<Vec<Value>, RestError> {
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|error| bad_request(&error.to_string()))?
    };
    let strings = |value: Option<&Value>| -> Result<Option<Vec<String>>, RestError> {
        match value {
            None => Ok(None),
            Some(Value::String(list)) => Ok(Some(query::proplist(list))),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad_request("expected strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad_request("expected a list")),
        }
    };
    let proplist = strings(body.get(".proplist"))?;
    let words = strings(body.get(".query"))?.unwrap_or_default();
    // REST takes the query words with or without their leading `?`.
    let words: Vec<String> = words
        .into_iter()
        .map(|word| {
            if word.starts_with('?') {
                word
            } else {
                format!("?{word}")
            }
        })
        .collect();
    let query =
        Query::parse(words.iter().map(String::as_str)).map_err(|_| bad_request("invalid query"))?;
    Ok(rows
        .into_iter()
        .filter(|row| query.matches(row).unwrap_or(false))
        .map(|row| object(query::project(row, proplist.as_deref())))
        .collect())
}

/// The `{id}` of a path, `%2A` and all decoded.
fn path_id(request: &HttpRequest) -> String {
    let raw = request.match_info().get("id").unwrap_or_default();
    percent_decode(raw)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%'
            && let Some(hex) = bytes.get(index + 1..index + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(decoded) = u8::from_str_radix(hex, 16)
        {
            out.push(decoded);
            index += 3;
            continue;
        }
        out.push(byte);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(rows: Vec<Row>, id: &str) -> Option<Row> {
    rows.into_iter()
        .find(|row| row.iter().any(|(key, value)| key == ".id" && value == id))
}

fn write_error(error: &WriteError) -> RestError {
    bad_request(&error.to_string())
}

type Answer = Result<HttpResponse, RestError>;

async fn identity(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(object(state.identity_row())))
}

async fn resource(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(object(state.resource_row())))
}

async fn list_active(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(select(state.active_rows(), request.query_string())?))
}

async fn print_active(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RouterOsState>,
) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(select_posted(state.active_rows(), &body)?))
}

async fn get_active(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    let row = find(state.active_rows(), &path_id(&request)).ok_or(RestError::NotFound)?;
    Ok(HttpResponse::Ok().json(object(row)))
}

/// Refuses a read-only user's write, after recording it as the API does.
fn check_write(
    state: &RouterOsState,
    user: &RouterOsUser,
    command: &str,
    attributes: &[(String, String)],
) -> Result<(), RestError> {
    state.record(command, attributes, &user.name);
    if user.read_only {
        return Err(bad_request("not enough permissions (9)"));
    }
    Ok(())
}

/// An unknown id in the path is a 404, other refusals a 400.
fn path_write_error(error: &WriteError) -> RestError {
    match error {
        WriteError::NoSuchItem => RestError::NotFound,
        other => write_error(other),
    }
}

async fn delete_active(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    let user = authorize(&request, &state)?;
    let id = path_id(&request);
    check_write(
        &state,
        &user,
        "/ppp/active/remove",
        &[(".id".to_owned(), id.clone())],
    )?;
    state
        .remove_active(&[id], false)
        .map_err(|error| path_write_error(&error))?;
    Ok(HttpResponse::NoContent().finish())
}

/// A JSON body of string values (booleans and numbers are taken as the
/// router's text for them).
fn attributes(body: &[u8]) -> Result<Vec<(String, String)>, RestError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| bad_request(&error.to_string()))?;
    let Value::Object(map) = value else {
        return Err(bad_request("expected a JSON object"));
    };
    map.into_iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text,
                Value::Bool(flag) => flag.to_string(),
                Value::Number(number) => number.to_string(),
                _ => return Err(bad_request(&format!("invalid value of {key}"))),
            };
            Ok((key, text))
        })
        .collect()
}

/// What a command body names: `.id`s, or else `numbers` (ids or names);
/// the rest are the changes.
struct Selection {
    items: Vec<String>,
    by_name: bool,
    changes: Vec<(String, String)>,
}

fn items_and_changes(attributes: Vec<(String, String)>) -> Result<Selection, RestError> {
    let mut items = None;
    let mut changes = Vec::new();
    for (key, value) in attributes {
        match key.as_str() {
            ".id" => items = Some((split_items(&value), false)),
            "numbers" if items.is_none() => items = Some((split_items(&value), true)),
            "numbers" => {}
            _ => changes.push((key, value)),
        }
    }
    let (items, by_name) = items.ok_or_else(|| write_error(&WriteError::NoSuchItem))?;
    Ok(Selection {
        items,
        by_name,
        changes,
    })
}

async fn remove_active_command(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RouterOsState>,
) -> Answer {
    let user = authorize(&request, &state)?;
    let attributes = attributes(&body)?;
    check_write(&state, &user, "/ppp/active/remove", &attributes)?;
    let selection = items_and_changes(attributes)?;
    state
        .remove_active(&selection.items, selection.by_name)
        .map_err(|error| write_error(&error))?;
    Ok(HttpResponse::Ok().json(json!([])))
}

async fn list_secrets(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(select(state.secret_rows(), request.query_string())?))
}

async fn print_secrets(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RouterOsState>,
) -> Answer {
    authorize(&request, &state)?;
    Ok(HttpResponse::Ok().json(select_posted(state.secret_rows(), &body)?))
}

async fn get_secret(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    let row = find(state.secret_rows(), &path_id(&request)).ok_or(RestError::NotFound)?;
    Ok(HttpResponse::Ok().json(object(row)))
}

async fn patch_secret(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RouterOsState>,
) -> Answer {
    let user = authorize(&request, &state)?;
    let id = path_id(&request);
    let changes = attributes(&body)?;
    let mut recorded = vec![(".id".to_owned(), id.clone())];
    recorded.extend(changes.iter().cloned());
    check_write(&state, &user, "/ppp/secret/set", &recorded)?;
    let changes: Vec<(String, String)> = changes
        .into_iter()
        .filter(|(key, _)| key != ".id")
        .collect();
    state
        .set_secret(std::slice::from_ref(&id), false, &changes)
        .map_err(|error| path_write_error(&error))?;
    // PATCH answers with the record as it now is.
    let row = find(state.secret_rows(), &id).ok_or(RestError::NotFound)?;
    Ok(HttpResponse::Ok().json(object(row)))
}

async fn set_secret_command(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RouterOsState>,
) -> Answer {
    let user = authorize(&request, &state)?;
    let attributes = attributes(&body)?;
    check_write(&state, &user, "/ppp/secret/set", &attributes)?;
    let selection = items_and_changes(attributes)?;
    state
        .set_secret(&selection.items, selection.by_name, &selection.changes)
        .map_err(|error| write_error(&error))?;
    Ok(HttpResponse::Ok().json(json!([])))
}

async fn unknown(request: HttpRequest, state: web::Data<RouterOsState>) -> Answer {
    authorize(&request, &state)?;
    Err(RestError::UnknownMenu("no such command prefix"))
}

fn split_items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_percent_decoded() {
        assert_eq!(percent_decode("%2A80000001"), "*80000001");
        assert_eq!(percent_decode("*1"), "*1");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
