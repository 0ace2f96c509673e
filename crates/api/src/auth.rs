//! Who may call an endpoint is declared once, in its signature:
//! `Auth<OwnerOnly>` lets only owners in, `Auth<AnyUser>` anyone signed in.
//! The same role list is published in the OpenAPI document as `x-roles`
//! (see [`roles_extension`]) and a test calls every documented endpoint with
//! every role to prove the two agree.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, USER_AGENT};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use identity::{ClientInfo, Principal, Role};

use crate::client_ip::ProxyTrust;
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::RequestId;

/// A set of roles allowed to call an endpoint.
pub trait Policy {
    const ROLES: &'static [Role];
}

/// Anyone signed in, whatever their role.
pub struct AnyUser;
impl Policy for AnyUser {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// Staff of any kind.
pub struct StaffOnly;
impl Policy for StaffOnly {
    const ROLES: &'static [Role] = &Role::STAFF;
}

pub struct OwnerOnly;
impl Policy for OwnerOnly {
    const ROLES: &'static [Role] = &[Role::Owner];
}

/// The caller, proven to hold one of `P`'s roles.
pub struct Auth<P: Policy> {
    pub principal: Principal,
    pub client: ClientInfo,
    policy: PhantomData<P>,
}

impl<P: Policy> Auth<P> {
    pub fn actor(&self) -> identity::Actor {
        identity::Actor::user(&self.principal, &self.client)
    }
}

fn bearer(request: &HttpRequest) -> Result<String, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized {
            code: "unauthorized",
            detail: "sign in: this endpoint needs an `Authorization: Bearer` token".to_owned(),
        })?;
    let value = header.to_str().unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::Unauthorized {
            code: "unauthorized",
            detail: "expected `Authorization: Bearer <token>`".to_owned(),
        });
    }
    Ok(token.to_owned())
}

impl<P: Policy + 'static> FromRequest for Auth<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let token = bearer(&request)?;
            let principal = state.identity.authenticate(&token).await?;
            if !principal.has_any(P::ROLES) {
                return Err(ApiError::Forbidden {
                    code: "forbidden",
                    detail: format!(
                        "this endpoint is for: {}",
                        P::ROLES
                            .iter()
                            .map(|role| role.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            Ok(Auth {
                principal,
                client: client_info(&request, &state.settings.proxy_trust),
                policy: PhantomData,
            })
        })
    }
}

/// Where the request came from; the IP only as far as trusted proxies vouch
/// for it (see [`crate::client_ip`]).
pub fn client_info(request: &HttpRequest, proxies: &ProxyTrust) -> ClientInfo {
    let ip = proxies
        .client_ip(request.peer_addr().map(|peer| peer.ip()), request.headers())
        .map(|ip| ip.to_string());
    ClientInfo {
        ip,
        user_agent: request
            .headers()
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(300).collect()),
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone()),
    }
}

/// Where an anonymous request came from (rate limits of the sign-in endpoints).
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let default = ProxyTrust::default();
        let state = request.app_data::<web::Data<AppState>>();
        let proxies = state.map_or(&default, |state| &state.settings.proxy_trust);
        std::future::ready(Ok(Client(client_info(request, proxies))))
    }
}

/// The caller of a public endpoint that answers everyone but tailors the
/// answer to who is signed in (the storefront's prices). No token is an
/// anonymous visitor; a token that does not hold is still a 401, so a
/// client with an expired session is told so instead of silently seeing
/// another tier's prices.
pub struct Caller(pub Option<Principal>);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            if request.headers().get(AUTHORIZATION).is_none() {
                return Ok(Caller(None));
            }
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let token = bearer(&request)?;
            Ok(Caller(Some(state.identity.authenticate(&token).await?)))
        })
    }
}
