//! Serving the built single-page app: real files from `frontend/dist`, and
//! `index.html` for every other page path so that history-mode routes
//! (`/client/invoices`) survive a reload or a deep link.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::ApiError;

pub struct Spa {
    dist: PathBuf,
}

impl Spa {
    pub fn new(dist: PathBuf) -> Self {
        Self { dist }
    }

    pub async fn serve(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let Some(relative) = safe_relative_path(request.path()) else {
            return Err(ApiError::RouteNotFound(request.path().to_owned()));
        };
        let candidate = self.dist.join(&relative);
        if !relative.as_os_str().is_empty()
            && tokio::fs::metadata(&candidate)
                .await
                .is_ok_and(|meta| meta.is_file())
        {
            // Vite puts content hashes in asset names, so they never change.
            let immutable = relative.starts_with("assets");
            return self.file(
                &candidate,
                request,
                if immutable {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                },
            );
        }
        if relative.extension().is_some() {
            // A missing file is a 404, not the app: a broken asset link must
            // not silently load HTML.
            return Err(ApiError::NotFound(format!("no file at {}", request.path())));
        }
        let index = self.dist.join("index.html");
        if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
            return Err(ApiError::NotFound(format!(
                "the web app is not built ({} has no index.html); `make dev` builds it",
                self.dist.display()
            )));
        }
        self.file(&index, request, "no-cache")
    }

    fn file(
        &self,
        path: &Path,
        request: &HttpRequest,
        cache: &'static str,
    ) -> Result<HttpResponse, ApiError> {
        let file = NamedFile::open(path).map_err(|error| {
            ApiError::Internal(anyhow::Error::new(error).context("opening SPA file"))
        })?;
        let mut response = file.use_etag(true).into_response(request);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
        Ok(response)
    }
}

/// The request path as a path inside `dist`, refusing anything that could
/// climb out of it (`..`, hidden files, backslashes).
fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        if segment.starts_with('.') || segment.contains('\\') || segment.contains('\0') {
            return None;
        }
        relative.push(segment);
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_dist() {
        assert_eq!(
            safe_relative_path("/assets/app.js"),
            Some(PathBuf::from("assets/app.js"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative_path("/../etc/passwd"), None);
        assert_eq!(safe_relative_path("/assets/..%2f"), None);
        assert_eq!(safe_relative_path("/.env"), None);
        assert_eq!(safe_relative_path("/a\\b"), None);
    }
}
