//! The parameters of one Bot API call, read the ways Telegram reads them: the
//! query string, then a JSON, `application/x-www-form-urlencoded` or
//! `multipart/form-data` body (the only way to upload a file).

use std::collections::HashMap;

use actix_web::{HttpRequest, http::header, web};

/// One parameter: text (JSON values other than strings are kept as their
/// JSON text, as Telegram accepts `"chat_id": 42` and `chat_id=42` alike)
/// or an uploaded file.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    File(UploadedFile),
}

#[derive(Debug, Clone)]
pub(crate) struct UploadedFile {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, Param>);

impl Params {
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Param::Text(text)) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Param> {
        self.0.get(name)
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, String> {
        match self.text(name) {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("Bad Request: invalid {name} specified")),
        }
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        self.text(name)
            .is_some_and(|value| matches!(value, "true" | "True" | "1"))
    }
}

/// Reads every parameter of the request; an error is the 400 description.
pub(crate) fn read(request: &HttpRequest, body: &web::Bytes) -> Result<Params, String> {
    let mut params = HashMap::new();
    for (name, value) in form_pairs(request.query_string())? {
        params.insert(name, Param::Text(value));
    }
    if body.is_empty() {
        return Ok(Params(params));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|_| "Bad Request: can't parse JSON object".to_owned())?;
            let serde_json::Value::Object(object) = value else {
                return Err("Bad Request: can't parse JSON object".to_owned());
            };
            for (name, value) in object {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                params.insert(name, Param::Text(text));
            }
        }
        "multipart/form-data" => {
            let boundary = boundary(&content_type)
                .ok_or_else(|| "Bad Request: can't parse multipart/form-data".to_owned())?;
            for (name, param) in parse_multipart(body, &boundary)? {
                params.insert(name, param);
            }
        }
        // Telegram treats a body without a type as a form too.
        _ => {
            let text = std::str::from_utf8(body)
                .map_err(|_| "Bad Request: can't parse request body".to_owned())?;
            for (name, value) in form_pairs(text)? {
                params.insert(name, Param::Text(value));
            }
        }
    }
    Ok(Params(params))
}

fn form_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    web::Query::<Vec<(String, String)>>::from_query(text)
        .map(web::Query::into_inner)
        .map_err(|_| "Bad Request: can't parse request parameters".to_owned())
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|boundary| !boundary.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|position| position + from)
}

/// A strict enough `multipart/form-data` reader for what HTTP clients send.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<(String, Param)>, String> {
    let malformed = || "Bad Request: can't parse multipart/form-data".to_owned();
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut position = find(body, delimiter.as_bytes(), 0).ok_or_else(malformed)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let after = body.get(position..position + 2).ok_or_else(malformed)?;
        if after == b"--" {
            return Ok(parts);
        }
        if after != b"\r\n" {
            return Err(malformed());
        }
        let headers_start = position + 2;
        let headers_end = find(body, b"\r\n\r\n", headers_start).ok_or_else(malformed)?;
        let headers =
            std::str::from_utf8(&body[headers_start..headers_end]).map_err(|_| malformed())?;
        let content_start = headers_end + 4;
        let content_end =
            find(body, next_delimiter.as_bytes(), content_start).ok_or_else(malformed)?;
        let content = &body[content_start..content_end];
        position = content_end + next_delimiter.len();

        let mut name = None;
        let mut file_name = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else {
                continue;
            };
            if header.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(value, "name");
                file_name = disposition_param(value, "filename");
            } else if header.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        let name = name.ok_or_else(malformed)?;
        let param = if file_name.is_some() {
            Param::File(UploadedFile {
                file_name,
                content_type,
                bytes: content.to_vec(),
            })
        } else {
            Param::Text(String::from_utf8(content.to_vec()).map_err(|_| malformed())?)
        };
        parts.push((name, param));
    }
}

fn disposition_param(value: &str, wanted: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(wanted)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_file_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"qris.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n--XyZ--\r\n";
        let parts = parse_multipart(body, "XyZ").unwrap();
        assert!(
            matches!(&parts[0], (name, Param::Text(value)) if name == "chat_id" && value == "42")
        );
        let (name, Param::File(file)) = &parts[1] else {
            panic!("a file part");
        };
        assert_eq!(name, "photo");
        assert_eq!(file.file_name.as_deref(), Some("qris.png"));
        assert_eq!(file.content_type.as_deref(), Some("image/png"));
        assert_eq!(file.bytes, b"\x89PNG\r\n\x00");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
    }
}
