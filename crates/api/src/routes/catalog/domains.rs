//! Domain search: is a name free, what does it cost, and how about the same
//! name under the shop's other TLDs. The answer comes from the registries'
//! RDAP servers ([`billing::domain_check`]), the prices from the catalog's
//! domain products at the caller's tier.

use std::time::Duration;

use actix_web::{get, web};
use billing::catalog::storefront;
use billing::domain_check::Availability;
use chrono::{DateTime, Utc};
use domain::{DomainName, DomainQuery, ValidationErrors};
use identity::rate_limit::{Limit, RateLimitError, RateLimiter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::storefront::{buyer, currency};
use crate::auth::{Caller, Client};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config.service(check_domain);
}

/// Each check can send a query to a registry for every TLD the shop sells:
/// a visitor gets a person's pace of searches, not a scraper's.
const CHECKS_PER_IP: Limit = Limit {
    name: "domain_check_ip",
    max: 30,
    window: Duration::from_secs(60),
};

#[derive(Debug, Deserialize, IntoParams)]
pub struct DomainCheckQuery {
    /// A full name (`tokobudi.co.id`, `bücher.id`) or a bare one
    /// (`tokobudi`: checked under every TLD the shop sells).
    pub name: String,
    /// `IDR` (default) or `USD`: the prices' currency.
    pub currency: Option<String>,
}

/// One name's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainResult {
    /// The name in ASCII (punycode for IDN).
    pub name: String,
    /// The name as people write it.
    pub unicode: String,
    /// The shop's suffix it falls under (`co.id`), if the shop sells it.
    pub tld: Option<String>,
    /// `available`, `taken` or `unknown`.
    pub status: String,
    /// Why `unknown`: `no_rdap`, `rate_limited`, `timeout`, `unreachable`,
    /// `server_error`, `rejected`, `bad_response`, `bootstrap_unavailable`.
    pub reason: Option<String>,
    /// The registration's expiry, when taken and the registry says.
    pub expires_at: Option<DateTime<Utc>>,
    /// The name the visitor asked for (the others are suggestions).
    pub requested: bool,
    /// A year's registration at the caller's tier; none when the shop does
    /// not sell the TLD in this currency.
    pub register_minor: Option<i64>,
    pub renew_minor: Option<i64>,
    pub transfer_minor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainCheck {
    #[schema(value_type = String, example = "IDR")]
    pub currency: domain::Currency,
    /// The asked name first (when a full name was asked), then the same
    /// name under the shop's other TLDs.
    pub results: Vec<DomainResult>,
}

fn invalid_name(error: domain::InvalidDomain) -> ApiError {
    ApiError::Validation(ValidationErrors::single(
        "name",
        error.code(),
        error.to_string(),
    ))
}

/// Is a domain name free, at what price, and under which other TLDs.
#[utoipa::path(
    tag = "catalog",
    operation_id = "checkDomain",
    params(DomainCheckQuery),
    responses(
        (status = 200, description = "Availability and prices; `unknown` when a registry cannot tell in time", body = DomainCheck),
        (status = 422, description = "Not a domain name, or an unknown currency", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/domains/check")]
async fn check_domain(
    caller: Caller,
    client: Client,
    state: web::Data<AppState>,
    query: web::Query<DomainCheckQuery>,
) -> Result<web::Json<DomainCheck>, ApiError> {
    let asked = DomainQuery::parse(&query.name).map_err(invalid_name)?;
    let currency = currency(query.currency.as_deref())?;
    let limiter = RateLimiter::new(state.redis.clone(), state.settings.redis_key_prefix.clone());
    let subject = client.0.ip.clone().unwrap_or_default();
    match limiter.hit(&CHECKS_PER_IP, &subject).await {
        Ok(()) => {}
        Err(RateLimitError::Exceeded { retry_after }) => {
            return Err(ApiError::TooManyRequests { retry_after });
        }
        // The checker bounds its own cost (deadline, shared cache): a Redis
        // hiccup should not take domain search down with it.
        Err(RateLimitError::Redis(error)) => {
            tracing::warn!(%error, "domain check rate limit unavailable; checking anyway");
        }
    }

    let mut conn = state.pool.acquire().await?;
    let offers = storefront::domain_offers(&mut conn, buyer(&caller), currency).await?;
    drop(conn);
    let suffixes: Vec<&str> = offers.iter().map(|(tld, _)| tld.as_str()).collect();

    let (requested, label) = match asked {
        DomainQuery::Name(name) => {
            let label = match name.split_suffix(&suffixes) {
                Some((label, _)) => label,
                None => domain::DomainLabel::parse(name.labels().next().unwrap_or_default())
                    .map_err(invalid_name)?,
            };
            (Some(name), label)
        }
        DomainQuery::Label(label) => (None, label),
    };
    let mut names: Vec<DomainName> = requested.iter().cloned().collect();
    for suffix in &suffixes {
        let name = label.with_suffix(suffix).map_err(invalid_name)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }

    let answers = state.domain_checker.check_many(&names).await;
    let results = answers
        .into_iter()
        .map(|(name, availability)| {
            let sold = name
                .split_suffix(&suffixes)
                .map(|(_, suffix)| suffix.to_owned());
            let offer = sold
                .as_ref()
                .and_then(|tld| offers.iter().find(|(sold, _)| sold == tld))
                .map(|(_, offer)| offer);
            let (reason, expires_at) = match &availability {
                Availability::Unknown { reason } => (Some(reason.code().to_owned()), None),
                Availability::Taken { expires_at, .. } => (None, *expires_at),
                Availability::Available => (None, None),
            };
            DomainResult {
                requested: requested.as_ref() == Some(&name),
                unicode: name.unicode().to_owned(),
                name: name.ascii().to_owned(),
                tld: sold,
                status: availability.code().to_owned(),
                reason,
                expires_at,
                register_minor: offer.map(|offer| offer.price_minor),
                renew_minor: offer.map(|offer| offer.renew_minor.unwrap_or(offer.price_minor)),
                transfer_minor: offer
                    .map(|offer| offer.transfer_minor.unwrap_or(offer.price_minor)),
            }
        })
        .collect();
    Ok(web::Json(DomainCheck { currency, results }))
}
