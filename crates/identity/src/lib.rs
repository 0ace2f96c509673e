//! Identity and access: accounts, passwords, email verification, the email
//! OTP second factor, ES256 access tokens with rotating refresh tokens,
//! personal API tokens, roles, rate limits and the audit log of staff changes.
//!
//! [`Identity`] is the service the API calls; the modules below it each own
//! one table or one Redis key space.

pub mod account;
pub mod api_token;
pub mod audit;
mod error;
pub mod limits;
pub mod login;
pub mod otp;
pub mod password;
pub mod rate_limit;
mod redis_support;
pub mod revocation;
pub mod role;
pub mod session;
pub mod staff;
pub mod tokens;

use std::sync::Arc;

use notify::template::Language;
use notify::{Mailer, NotifyError, OutgoingEmail};
use redis::aio::ConnectionManager;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

pub use error::IdentityError;
pub use role::Role;
pub use tokens::KeySet;

use crate::otp::OtpStore;
use crate::rate_limit::RateLimiter;
use crate::revocation::{Refusal, Revocations};
use crate::tokens::VerifiedCache;

/// Where a request came from, for rate limits, sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Who is calling: a signed-in user (access token) or an integrator (API token).
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub roles: Vec<Role>,
    /// Set for access tokens: the session they were issued for.
    pub session_id: Option<Uuid>,
    /// Set for personal API tokens.
    pub api_token_id: Option<Uuid>,
}

impl Principal {
    pub fn has_any(&self, allowed: &[Role]) -> bool {
        self.roles.iter().any(|role| allowed.contains(role))
    }

    pub fn is_staff(&self) -> bool {
        role::any_staff(&self.roles)
    }

    /// Refuses personal API tokens: they are for integrations, so they can
    /// neither manage credentials nor sign sessions out.
    pub fn require_interactive(&self) -> Result<(), IdentityError> {
        if self.api_token_id.is_some() {
            return Err(IdentityError::InteractiveSessionRequired);
        }
        Ok(())
    }
}

/// A principal acting, with where the request came from: what the audit log
/// records.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub client: ClientInfo,
}

impl Actor {
    pub fn user(principal: &Principal, client: &ClientInfo) -> Self {
        Self {
            user_id: Some(principal.user_id),
            client: client.clone(),
        }
    }

    pub fn system() -> Self {
        Self {
            user_id: None,
            client: ClientInfo::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque; single use: each refresh returns a new one. Browsers get it
    /// only as the `HttpOnly` `juragan_refresh` cookie, never in this body;
    /// present only when the request asked for it (`refresh_token_in_body`)
    /// or sent its refresh token in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub refresh_expires_in: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtpChallenge {
    pub challenge_id: String,
    /// Where the code went, masked (`bu***@example.id`).
    pub sent_to: String,
    pub expires_in: u64,
    /// Seconds before another code can be requested.
    pub resend_after: u64,
}

pub struct IdentityConfig {
    /// Redis key prefix shared with the rest of the app.
    pub redis_prefix: String,
    /// Base of links in emails, e.g. `https://shop.example.id`.
    pub public_base_url: String,
    /// Keys the HMAC of stored one-time codes.
    pub otp_pepper: Vec<u8>,
}

/// The identity service: cheap to clone, one per process.
#[derive(Clone)]
pub struct Identity {
    pool: PgPool,
    redis: ConnectionManager,
    redis_prefix: String,
    keys: Arc<KeySet>,
    otp: OtpStore,
    limiter: RateLimiter,
    mailer: Mailer,
    public_base_url: String,
    revocations: Revocations,
    verified: Arc<VerifiedCache>,
}

fn render_failed(error: NotifyError) -> IdentityError {
    IdentityError::Internal(anyhow::Error::new(error).context("rendering a message"))
}

impl Identity {
    pub fn new(
        pool: PgPool,
        redis: ConnectionManager,
        keys: Arc<KeySet>,
        mailer: Mailer,
        config: IdentityConfig,
    ) -> Self {
        let otp = OtpStore::new(
            redis.clone(),
            config.redis_prefix.clone(),
            &config.otp_pepper,
        );
        let limiter = RateLimiter::new(redis.clone(), config.redis_prefix.clone());
        let revocations = Revocations::new(redis.clone(), &config.redis_prefix);
        Self {
            revocations,
            verified: Arc::default(),
            pool,
            redis,
            redis_prefix: config.redis_prefix,
            keys,
            otp,
            limiter,
            mailer,
            public_base_url: config.public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Replaces the OTP store (tests shorten its policies).
    pub fn with_otp_store(mut self, otp: OtpStore) -> Self {
        self.otp = otp;
        self
    }

    /// Loads the revocation list and keeps this replica's mirror of it
    /// current; until then every access token is refused.
    pub async fn start_revocation_sync(&self) -> Result<(), IdentityError> {
        Ok(self.revocations.start().await?)
    }

    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Resolves a bearer credential: an access token (verified offline, no
    /// database; revocations checked in memory, see [`revocation`]) or a
    /// personal API token (`jrg_…`, looked up, so it stops at once when
    /// revoked or when its user is disabled, and its roles never exceed the
    /// user's current ones).
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, IdentityError> {
        if bearer.starts_with(api_token::TOKEN_PREFIX) {
            let (token, user, roles) = api_token::authenticate(&self.pool, bearer)
                .await?
                .ok_or_else(|| {
                    IdentityError::Unauthenticated(
                        "unknown, expired or revoked API token".to_owned(),
                    )
                })?;
            return Ok(Principal {
                user_id: user,
                roles,
                session_id: None,
                api_token_id: Some(token),
            });
        }
        let claims = self.verified.verify(&self.keys, bearer)?;
        match self.revocations.check(&claims) {
            Ok(()) => {}
            Err(Refusal::Revoked) => {
                return Err(IdentityError::Unauthenticated(
                    "this session was signed out or the account changed".to_owned(),
                ));
            }
            Err(Refusal::Unavailable) => return Err(IdentityError::RevocationsUnavailable),
        }
        Ok(Principal {
            user_id: claims.sub,
            roles: claims.roles,
            session_id: Some(claims.sid),
            api_token_id: None,
        })
    }

    fn link(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.public_base_url)
    }

    fn redis_key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.redis_prefix)
    }

    /// Sends an event's email at once, rendered from its current template.
    /// Used for messages carrying a secret (codes, links), which must not
    /// rest in the outbox.
    async fn send_now(
        &self,
        event: &str,
        to: &domain::Email,
        values: &[(&str, String)],
    ) -> Result<(), IdentityError> {
        let message = notify::template::render_event(&self.pool, event, Language::Id, values)
            .await
            .map_err(render_failed)?;
        let email = OutgoingEmail {
            to: to.clone(),
            subject: message.subject,
            text: message.text,
            html: message.html,
        };
        self.mailer
            .send(&email)
            .await
            .map_err(IdentityError::MailUnavailable)
    }

    fn token_pair(
        &self,
        user: Uuid,
        roles: &[Role],
        session: Uuid,
        refresh_token: String,
    ) -> Result<TokenPair, IdentityError> {
        Ok(TokenPair {
            access_token: self.keys.issue(user, roles, session)?,
            token_type: "Bearer".to_owned(),
            expires_in: tokens::ACCESS_TOKEN_TTL.as_secs(),
            refresh_token: Some(refresh_token),
            refresh_expires_in: session::REFRESH_TOKEN_TTL.as_secs(),
        })
    }
}
