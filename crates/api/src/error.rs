//! The one place where errors become HTTP: every error the API can answer is
//! an [`ApiError`], rendered as `application/problem+json` (RFC 9457) with a
//! stable `code`. Internal errors are logged with the request id and never
//! echoed to the caller.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::{FieldError, ValidationErrors};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, `urn:juragan:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// What went wrong this time, for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field problems of a request body (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemFieldError {
    /// Dotted path of the field, e.g. `billing_address.city`.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<&FieldError> for ProblemFieldError {
    fn from(error: &FieldError) -> Self {
        Self {
            field: error.field.clone(),
            code: error.code.clone(),
            message: error.message.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("no such endpoint: {0}")]
    RouteNotFound(String),
    #[error("method {method} is not allowed here; allowed: {}", .allow.join(", "))]
    MethodNotAllowed { method: String, allow: Vec<String> },
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("expected content type {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("the request has invalid fields")]
    Validation(#[from] ValidationErrors),
    /// 401: no credentials, or credentials that do not hold.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// 403: who you are is known, and it is not allowed.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 409: the request conflicts with the current state; `errors` may name fields.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        errors: ValidationErrors,
    },
    /// 410: a code or link that no longer works.
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    /// 422 with a specific code, for refusals that are not about one field.
    #[error("{detail}")]
    Rejected { code: &'static str, detail: String },
    #[error("too many requests; retry in {} s", .retry_after.as_secs().max(1))]
    TooManyRequests { retry_after: std::time::Duration },
    #[error("{0}")]
    Unavailable(String),
    /// 502: a payment gateway (or another remote service) refused or broke.
    #[error("{detail}")]
    BadGateway { code: &'static str, detail: String },
    /// 503 with Retry-After: a bounded resource (password hashing) is full.
    #[error("the server is busy; retry in {} s", .retry_after.as_secs().max(1))]
    Busy { retry_after: std::time::Duration },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The stable code and title of each kind of error: the table clients
    /// (and the SPA's translations) rely on.
    fn code_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::NotFound(_) => ("not_found", "Not found"),
            ApiError::RouteNotFound(_) => ("route_not_found", "No such endpoint"),
            ApiError::MethodNotAllowed { .. } => ("method_not_allowed", "Method not allowed"),
            ApiError::BadRequest(_) => ("bad_request", "Malformed request"),
            ApiError::PayloadTooLarge { .. } => ("payload_too_large", "Request body too large"),
            ApiError::UnsupportedMediaType { .. } => {
                ("unsupported_media_type", "Unsupported content type")
            }
            ApiError::Validation(_) => ("validation_failed", "Invalid input"),
            ApiError::Unauthorized { code, .. } => (code, "Unauthorized"),
            ApiError::Forbidden { code, .. } => (code, "Forbidden"),
            ApiError::Conflict { code, .. } => (code, "Conflict"),
            ApiError::Gone { code, .. } => (code, "No longer valid"),
            ApiError::Rejected { code, .. } => (code, "Request refused"),
            ApiError::TooManyRequests { .. } => ("rate_limited", "Too many requests"),
            ApiError::Unavailable(_) => ("service_unavailable", "Service unavailable"),
            ApiError::BadGateway { code, .. } => (code, "Remote service error"),
            ApiError::Busy { .. } => ("server_busy", "Server busy"),
            ApiError::Internal(_) => ("internal_error", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (code, title) = self.code_and_title();
        let detail = match self {
            // Never tell the caller what broke inside: it may name a secret.
            ApiError::Internal(_) => {
                Some("Something went wrong on our side; it has been logged.".to_owned())
            }
            other => Some(other.to_string()),
        };
        let errors = match self {
            ApiError::Validation(errors) | ApiError::Conflict { errors, .. } => errors
                .errors()
                .iter()
                .map(ProblemFieldError::from)
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:juragan:problem:{code}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            code: code.to_owned(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "internal error");
        }
        let mut response = problem_response(&self.problem());
        let extra_header = match self {
            ApiError::MethodNotAllowed { allow, .. } => Some((header::ALLOW, allow.join(", "))),
            ApiError::TooManyRequests { retry_after } | ApiError::Busy { retry_after } => Some((
                header::RETRY_AFTER,
                retry_after.as_secs().max(1).to_string(),
            )),
            ApiError::Unauthorized { .. } => Some((
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"juragan\"".to_owned(),
            )),
            _ => None,
        };
        if let Some((name, value)) = extra_header
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(PROBLEM_CONTENT_TYPE)
        .json(problem)
}

impl From<identity::IdentityError> for ApiError {
    fn from(error: identity::IdentityError) -> Self {
        use identity::IdentityError as E;
        let detail = error.to_string();
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::EmailTaken => ApiError::Conflict {
                code: "email_taken",
                detail,
                errors: ValidationErrors::single(
                    "email",
                    "taken",
                    "an account with this email already exists",
                ),
            },
            E::InvalidCredentials => ApiError::Unauthorized {
                code: "invalid_credentials",
                detail,
            },
            E::Unauthenticated(_) => ApiError::Unauthorized {
                code: "unauthorized",
                detail,
            },
            E::EmailNotVerified => ApiError::Forbidden {
                code: "email_not_verified",
                detail,
            },
            E::AccountDisabled => ApiError::Forbidden {
                code: "account_disabled",
                detail,
            },
            E::Forbidden(_) => ApiError::Forbidden {
                code: "forbidden",
                detail,
            },
            E::InteractiveSessionRequired => ApiError::Forbidden {
                code: "interactive_session_required",
                detail,
            },
            E::StepUpRequired => ApiError::Forbidden {
                code: "step_up_required",
                detail,
            },
            E::RevocationsUnavailable => ApiError::Unavailable(detail),
            E::OtpRequiredForStaff => ApiError::Forbidden {
                code: "otp_required_for_staff",
                detail,
            },
            E::Busy { retry_after } => ApiError::Busy { retry_after },
            E::OtpInvalid { .. } => ApiError::Rejected {
                code: "otp_invalid",
                detail,
            },
            E::CodeRejected => ApiError::Rejected {
                code: "otp_invalid",
                detail,
            },
            E::OtpExpired => ApiError::Gone {
                code: "otp_expired",
                detail,
            },
            E::LinkExpired => ApiError::Gone {
                code: "token_expired",
                detail,
            },
            E::RateLimited { retry_after } => ApiError::TooManyRequests { retry_after },
            E::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            E::OnboardingIncomplete(errors) => ApiError::Conflict {
                code: "onboarding_incomplete",
                detail,
                errors,
            },
            E::LastOwner => ApiError::Conflict {
                code: "last_owner",
                detail,
                errors: ValidationErrors::new(),
            },
            E::MailUnavailable(error) => {
                tracing::error!(%error, "mail server unavailable");
                ApiError::Unavailable(detail)
            }
            E::Database(error) => ApiError::Internal(anyhow::Error::new(error).context("database")),
            E::Redis(error) => ApiError::Internal(anyhow::Error::new(error).context("redis")),
            E::Internal(error) => ApiError::Internal(error),
        }
    }
}

impl From<notify::NotifyError> for ApiError {
    fn from(error: notify::NotifyError) -> Self {
        use notify::NotifyError as E;
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::UnknownTemplate(event) => ApiError::NotFound(format!("no event `{event}`")),
            E::UnknownVersion(id) => {
                ApiError::NotFound(format!("no version {id} of this template"))
            }
            E::Smtp(_) | E::Config(_) => ApiError::Unavailable(error.to_string()),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<monitoring::MonitoringError> for ApiError {
    fn from(error: monitoring::MonitoringError) -> Self {
        use monitoring::MonitoringError as E;
        use monitoring::spreadsheet::SpreadsheetError as S;
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::NotFound(what) => ApiError::NotFound(what.to_owned()),
            E::Duplicate => ApiError::Conflict {
                code: "duplicate_host",
                detail: error.to_string(),
                errors: domain::ValidationErrors::single(
                    "name",
                    "duplicate",
                    "a host with this name, address and port exists already",
                ),
            },
            E::Spreadsheet(S::TooLarge { limit, .. }) => ApiError::PayloadTooLarge { limit },
            E::Spreadsheet(S::Stopped(reason)) => ApiError::Internal(anyhow::anyhow!(reason)),
            E::Spreadsheet(spreadsheet) => {
                let code = match &spreadsheet {
                    S::NotXlsx(_) => "not_xlsx",
                    S::ZipBomb(_) => "unsafe_workbook",
                    S::NoKnownSheets { .. } => "no_known_sheets",
                    S::TooManyRows { .. } | S::TooManyRowsInWorkbook { .. } => "too_many_rows",
                    S::Corrupt(_) | S::TooLarge { .. } | S::Stopped(_) => "corrupt_workbook",
                };
                ApiError::Rejected {
                    code,
                    detail: spreadsheet.to_string(),
                }
            }
            E::Refused { code, message } => ApiError::Conflict {
                code,
                detail: message,
                errors: domain::ValidationErrors::new(),
            },
            E::Notify(error) => error.into(),
            E::Database(error) => error.into(),
            E::Jobs(error) => ApiError::Internal(anyhow::Error::new(error)),
            E::Internal(message) => ApiError::Internal(anyhow::anyhow!(message)),
        }
    }
}

impl From<billing::catalog::CatalogError> for ApiError {
    fn from(error: billing::catalog::CatalogError) -> Self {
        let detail = error.to_string();
        use billing::catalog::CatalogError;
        match error {
            CatalogError::Validation(errors) => ApiError::Validation(errors),
            CatalogError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            CatalogError::Taken { field, message } => ApiError::Conflict {
                code: "taken",
                detail,
                errors: domain::ValidationErrors::single(field, "taken", message),
            },
            CatalogError::InUse(_) => ApiError::Conflict {
                code: "in_use",
                detail,
                errors: domain::ValidationErrors::new(),
            },
            CatalogError::WrongKind(_) => ApiError::Rejected {
                code: "wrong_product_kind",
                detail,
            },
            CatalogError::Database(error) => error.into(),
            CatalogError::Corrupt(_) | CatalogError::Sealing(_) => {
                ApiError::Internal(anyhow::Error::new(error))
            }
        }
    }
}

impl From<billing::content::ContentError> for ApiError {
    fn from(error: billing::content::ContentError) -> Self {
        use billing::content::ContentError as E;
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::NotFound(what) => ApiError::NotFound(what.to_owned()),
            E::SlugTaken => ApiError::Conflict {
                code: "slug_taken",
                detail: error.to_string(),
                errors: ValidationErrors::single(
                    "slug",
                    "taken",
                    "another page has this slug already",
                ),
            },
            E::Database(error) => error.into(),
        }
    }
}

impl From<billing::BillingError> for ApiError {
    fn from(error: billing::BillingError) -> Self {
        use billing::payment::gateway::GatewayError as G;
        use billing::{BillingError as E, Refusal};
        let detail = error.to_string();
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::NotFound(what) => ApiError::NotFound(what.to_owned()),
            E::Refused(Refusal::ItemAlreadyShown) => ApiError::Gone {
                code: Refusal::ItemAlreadyShown.code(),
                detail,
            },
            E::Refused(refusal) => ApiError::Conflict {
                code: refusal.code(),
                detail,
                errors: ValidationErrors::new(),
            },
            E::Catalog(error) => error.into(),
            E::Gateway(G::Unauthenticated(_)) => ApiError::Unauthorized {
                code: "invalid_signature",
                detail: "the notification's signature or token does not verify".to_owned(),
            },
            E::Gateway(G::Unavailable(_)) => {
                ApiError::Unavailable(format!("the payment gateway cannot be reached: {detail}"))
            }
            E::Gateway(G::UnsupportedCurrency(_)) => ApiError::Conflict {
                code: Refusal::CurrencyNotSupported.code(),
                detail,
                errors: ValidationErrors::new(),
            },
            E::Gateway(_) => ApiError::BadGateway {
                code: "gateway_error",
                detail: format!("the payment gateway refused: {detail}"),
            },
            E::IllegalTransition(_) => ApiError::Conflict {
                code: "illegal_transition",
                detail,
                errors: ValidationErrors::new(),
            },
            E::Database(error) => error.into(),
            E::Jobs(_) | E::Notify(_) | E::Sealing(_) | E::Corrupt(_) => {
                ApiError::Internal(anyhow::Error::new(error))
            }
        }
    }
}

impl From<provisioning::ProvisioningError> for ApiError {
    fn from(error: provisioning::ProvisioningError) -> Self {
        use provisioning::ProvisioningError as E;
        let detail = error.to_string();
        match error {
            E::Validation(errors) => ApiError::Validation(errors),
            E::NotFound(what) => ApiError::NotFound(what.to_owned()),
            E::Gone { code, .. } => ApiError::Gone { code, detail },
            E::Refused { code, .. } => ApiError::Conflict {
                code,
                detail,
                errors: ValidationErrors::new(),
            },
            E::Billing(error) => error.into(),
            E::Remote { .. } => ApiError::BadGateway {
                code: "integration_error",
                detail,
            },
            E::Database(error) => error.into(),
            E::Jobs(_) | E::Notify(_) | E::Sealing(_) | E::Corrupt(_) => {
                ApiError::Internal(anyhow::Error::new(error))
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(error).context("database"))
    }
}

/// The JSON extractor configuration every route uses: bodies over `limit`
/// bytes and bodies that are not JSON are refused as problems.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _| json_error(error, limit).into())
}

/// JSON body errors: too large is 413, wrong content type 415, broken JSON
/// 400, and JSON of the wrong shape 422 naming the field when serde does.
pub fn json_error(error: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError;
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
            expected: "application/json",
        },
        JsonPayloadError::Deserialize(error) if error.is_data() => ApiError::Validation(
            ValidationErrors::single(&field_of_serde_error(&error), "invalid", error.to_string()),
        ),
        JsonPayloadError::Deserialize(error) => {
            ApiError::BadRequest(format!("body is not valid JSON: {error}"))
        }
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// serde names the field in its message (`missing field `name``); when it
/// does not, the problem is with the body as a whole.
fn field_of_serde_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
        .unwrap_or("body")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_carry_their_fields() {
        let mut errors = ValidationErrors::new();
        errors.add("port", "out_of_range", "port must be 1..65535");
        let problem = ApiError::Validation(errors).problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.code, "validation_failed");
        assert_eq!(problem.errors[0].field, "port");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = ApiError::Internal(anyhow::anyhow!("password=hunter2 rejected")).problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.unwrap_or_default().contains("hunter2"));
    }

    #[test]
    fn serde_names_the_missing_field() {
        let error = serde_json::from_str::<std::collections::HashMap<String, u8>>("{\"a\": 300}")
            .expect_err("out of range");
        assert_eq!(field_of_serde_error(&error), "body");
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            name: String,
        }
        let error = serde_json::from_str::<Body>("{}").expect_err("missing");
        assert_eq!(field_of_serde_error(&error), "name");
    }
}
