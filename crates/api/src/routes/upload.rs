//! Reading raw uploads: a workbook (`.xlsx` or `application/octet-stream`),
//! an image, a gateway's notification; refused at the limit without reading on.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures::StreamExt;

use crate::error::ApiError;

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An `.xlsx` download named `name`.
pub(crate) fn xlsx_attachment(name: String, bytes: Vec<u8>) -> actix_web::HttpResponse {
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    actix_web::HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .body(bytes)
}

/// The body of an `.xlsx` upload of at most `limit` bytes: 415 for another
/// content type, 413 past the limit.
pub(crate) async fn xlsx_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence != XLSX && essence != "application/octet-stream" {
        return Err(ApiError::UnsupportedMediaType { expected: XLSX });
    }
    read_body(payload, limit).await
}

/// A raw request body of at most `limit` bytes (413 past it, without
/// reading on).
pub(crate) async fn read_body(
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| ApiError::BadRequest(error.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
