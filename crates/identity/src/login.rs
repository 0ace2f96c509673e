//! Getting in: registration with email verification, password sign-in with
//! lockout and the emailed second factor, refresh-token rotation, sign-out
//! and password reset.

use std::time::Duration;

use chrono::Utc;
use domain::{Email, ValidationErrors};
use notify::template::{Language, catalog};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::account::{NewAccount, UserRecord, UserStatus, find_by_email, find_by_id};
use crate::limits::{self, ACCOUNT_SOFT_LOCK_THRESHOLD, LOCKOUT_DURATION};
use crate::otp::{OtpError, OtpPurpose};
use crate::password::{self, NewPassword};
use crate::rate_limit::RateLimitError;
use crate::redis_support::sha256_hex;
use crate::session::{self, Rotation, random_secret};
use crate::{
    ClientInfo, Identity, IdentityError, OtpChallenge, TokenPair, api_token, render_failed,
};

const RESET_TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user_id: Uuid,
    pub email: String,
    /// False when the mail server refused; ask for a new code.
    pub verification_sent: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VerifyEmailRequest {
    pub email: String,
    pub code: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EmailOnlyRequest {
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// For integrations that are not browsers: also return the refresh token
    /// in the body. Browsers leave this out and get it as an `HttpOnly`
    /// cookie only, out of reach of page scripts.
    #[serde(default)]
    pub refresh_token_in_body: bool,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoginStatus {
    Authenticated,
    OtpRequired,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginResponse {
    pub status: LoginStatus,
    /// Present when `status` is `authenticated`.
    pub tokens: Option<TokenPair>,
    /// Present when `status` is `otp_required`: send the emailed code to `/auth/login/otp`.
    pub otp_challenge: Option<OtpChallenge>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginOtpRequest {
    pub challenge_id: String,
    pub code: String,
    /// As for `/auth/login`: also return the refresh token in the body.
    #[serde(default)]
    pub refresh_token_in_body: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChallengeRequest {
    pub challenge_id: String,
}

/// A refresh token sent in the body (integrations). Browsers send no body:
/// the `juragan_refresh` cookie carries it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefreshTokenRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    pub token: String,
    pub new_password: String,
}

/// What a login challenge remembers between the password and the code.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    user_id: Uuid,
    email: String,
}

fn parse_email(input: &str) -> Result<Email, IdentityError> {
    Email::parse(input).map_err(|error| {
        ValidationErrors::single("email", "invalid_email", error.to_string()).into()
    })
}

/// Rate-limit subjects: the client IP, or `unknown` behind a broken proxy.
fn ip(client: &ClientInfo) -> &str {
    client.ip.as_deref().unwrap_or("unknown")
}

/// The (account, place) subject of the per-pair sign-in limits.
fn account_ip(email: &Email, client: &ClientInfo) -> String {
    format!("{}|{}", email.as_str(), ip(client))
}

impl Identity {
    pub async fn register(
        &self,
        client: &ClientInfo,
        input: RegisterRequest,
    ) -> Result<RegisterResponse, IdentityError> {
        self.limiter
            .hit(&limits::REGISTER_PER_IP, ip(client))
            .await?;
        let NewAccount {
            email,
            password,
            name,
        } = NewAccount::parse(&input.email, &input.password, &input.name)?;
        let hash = password.hash().await?;
        let user = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query!(
            r#"INSERT INTO app_user (id, email, password_hash, roles) VALUES ($1, $2, $3, ARRAY['client'])
               ON CONFLICT (email) DO NOTHING"#,
            user,
            email.as_str(),
            hash
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Taken: answer exactly as for a new account (a fresh, unused id)
            // and tell the address holder instead, so the form cannot be
            // used to learn who has an account.
            tx.rollback().await?;
            let verification_sent = match self.send_account_exists(&email).await {
                Ok(()) => true,
                Err(error) => {
                    tracing::warn!(%error, "account-exists email not sent at registration");
                    false
                }
            };
            return Ok(RegisterResponse {
                user_id: user,
                email: email.to_string(),
                verification_sent,
            });
        }
        sqlx::query!(
            "INSERT INTO user_profile (user_id, full_name) VALUES ($1, $2)",
            user,
            name
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;

        let verification_sent = match self.send_verification(user, &email, &name).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "verification email not sent at registration");
                false
            }
        };
        Ok(RegisterResponse {
            user_id: user,
            email: email.to_string(),
            verification_sent,
        })
    }

    /// "You already have an account": where to sign in or reset the password.
    async fn send_account_exists(&self, email: &Email) -> Result<(), IdentityError> {
        let name = sqlx::query_scalar!(
            r#"SELECT p.full_name FROM app_user u JOIN user_profile p ON p.user_id = u.id WHERE u.email = $1"#,
            email.as_str()
        )
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or_default();
        self.send_now(
            catalog::ACCOUNT_EXISTS,
            email,
            &[
                ("name", name),
                ("link", self.link("/login")),
                ("reset_link", self.link("/forgot-password")),
            ],
        )
        .await
    }

    async fn send_verification(
        &self,
        user: Uuid,
        email: &Email,
        name: &str,
    ) -> Result<(), IdentityError> {
        let subject = user.to_string();
        let issued = self
            .otp
            .issue(OtpPurpose::VerifyEmail, &subject, &subject)
            .await?;
        let link = self.link(&format!(
            "/verify-email?email={}&code={}",
            urlencode(email.as_str()),
            issued.code
        ));
        self.send_now(
            catalog::VERIFY_EMAIL,
            email,
            &[
                ("name", name.to_owned()),
                ("code", issued.code.clone()),
                ("link", link),
            ],
        )
        .await
    }

    /// Confirms an address with its code. Unknown, already verified and
    /// unverified addresses all answer a failed code the same way
    /// ([`IdentityError::CodeRejected`]), after the same Redis work, so the
    /// endpoint cannot be used to learn which addresses have accounts.
    pub async fn verify_email(
        &self,
        client: &ClientInfo,
        input: VerifyEmailRequest,
    ) -> Result<(), IdentityError> {
        self.limiter
            .hit(&limits::VERIFY_EMAIL_PER_IP, ip(client))
            .await?;
        let email = parse_email(&input.email)?;
        let mut conn = self.pool.acquire().await?;
        let user = find_by_email(&mut conn, &email)
            .await?
            .filter(|user| !user.email_verified);
        // No code is ever issued under the stand-in subject: it answers
        // "expired" after the same lookup a real one costs.
        let subject = user.as_ref().map_or_else(
            || format!("none:{}", sha256_hex(email.as_str().as_bytes())),
            |user| user.id.to_string(),
        );
        match self
            .otp
            .verify(OtpPurpose::VerifyEmail, &subject, input.code.trim())
            .await
        {
            Ok(()) => {}
            Err(OtpError::Malformed) => return Err(OtpError::Malformed.into()),
            Err(OtpError::Redis(error)) => return Err(error.into()),
            Err(_) => return Err(IdentityError::CodeRejected),
        }
        let Some(user) = user else {
            return Err(IdentityError::CodeRejected);
        };
        sqlx::query!("UPDATE app_user SET email_verified_at = now() WHERE id = $1 AND email_verified_at IS NULL", user.id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Sends a new verification code. Says nothing about whether the account
    /// exists, except through the cooldown.
    pub async fn resend_verification(
        &self,
        client: &ClientInfo,
        input: EmailOnlyRequest,
    ) -> Result<(), IdentityError> {
        self.limiter
            .hit(&limits::VERIFY_EMAIL_PER_IP, ip(client))
            .await?;
        let email = parse_email(&input.email)?;
        let mut conn = self.pool.acquire().await?;
        let Some(user) = find_by_email(&mut conn, &email).await? else {
            return Ok(());
        };
        if user.email_verified {
            return Ok(());
        }
        let name = sqlx::query_scalar!(
            "SELECT full_name FROM user_profile WHERE user_id = $1",
            user.id
        )
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default();
        // Not held while the mail is rendered (another connection) and sent.
        drop(conn);
        self.send_verification(user.id, &email, &name).await
    }

    pub async fn login(
        &self,
        client: &ClientInfo,
        input: LoginRequest,
    ) -> Result<LoginResponse, IdentityError> {
        let email = parse_email(&input.email)?;
        let pair = account_ip(&email, client);
        self.limiter.hit(&limits::LOGIN_PER_IP, ip(client)).await?;
        self.limiter
            .hit(&limits::LOGIN_PER_ACCOUNT_IP, &pair)
            .await?;
        // A place that failed too often for this address gets "wrong
        // password" whatever it types, known account or not: the guessing
        // stops there, and only there.
        let shut = self
            .limiter
            .peek(&limits::FAILURES_PER_ACCOUNT_IP, &pair)
            .await?
            .remaining
            == 0;
        let mut conn = self.pool.acquire().await?;
        let user = find_by_email(&mut conn, &email).await?;
        drop(conn);
        let password_ok = !shut
            && password::verify(
                &input.password,
                user.as_ref().and_then(|user| user.password_hash.as_deref()),
            )
            .await?;
        let user = match user {
            Some(user) if password_ok => user,
            found => {
                if !shut {
                    self.record_failed_login(found.as_ref(), &email, client)
                        .await?;
                }
                return Err(IdentityError::InvalidCredentials);
            }
        };
        // The right password ends this place's guessing.
        self.limiter
            .reset(&limits::LOGIN_PER_ACCOUNT_IP, &pair)
            .await?;
        self.limiter
            .reset(&limits::FAILURES_PER_ACCOUNT_IP, &pair)
            .await?;
        match user.status {
            UserStatus::Active => {}
            UserStatus::Disabled | UserStatus::Invited => {
                return Err(IdentityError::AccountDisabled);
            }
        }
        if !user.email_verified {
            return Err(IdentityError::EmailNotVerified);
        }
        // Under the account-wide soft lock the password alone is not enough,
        // even for a client without two-factor sign-in: the code goes to the
        // owner's mailbox, which the guesser does not have.
        let soft_locked = user.locked_until.is_some_and(|until| until > Utc::now());
        if user.otp_required() || soft_locked {
            let challenge = self.start_login_challenge(&user, &email).await?;
            return Ok(LoginResponse {
                status: LoginStatus::OtpRequired,
                tokens: None,
                otp_challenge: Some(challenge),
            });
        }
        let tokens = self.open_session(&user, client).await?;
        Ok(LoginResponse {
            status: LoginStatus::Authenticated,
            tokens: Some(tokens),
            otp_challenge: None,
        })
    }

    /// Counts a wrong password (at sign-in, or as the current password of a
    /// change) against the place it came from and, for a known account,
    /// account-wide; at the account-wide threshold the soft lock starts and
    /// the owner is told by email.
    pub(crate) async fn record_failed_login(
        &self,
        user: Option<&UserRecord>,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<(), IdentityError> {
        match self
            .limiter
            .hit(&limits::FAILURES_PER_ACCOUNT_IP, &account_ip(email, client))
            .await
        {
            // Already shut (a concurrent failure got there first): still shut.
            Ok(()) | Err(RateLimitError::Exceeded { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        let Some(user) = user else {
            return Ok(());
        };
        let lock_seconds = LOCKOUT_DURATION.as_secs_f64();
        let locked = sqlx::query_scalar!(
            r#"UPDATE app_user
               SET failed_login_count = CASE WHEN failed_login_count + 1 >= $2 THEN 0 ELSE failed_login_count + 1 END,
                   locked_until = CASE WHEN failed_login_count + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
               WHERE id = $1
               RETURNING COALESCE(failed_login_count = 0 AND locked_until > now(), false) AS "locked!""#,
            user.id,
            ACCOUNT_SOFT_LOCK_THRESHOLD,
            lock_seconds,
        )
        .fetch_one(&self.pool)
        .await?;
        if locked {
            tracing::warn!(user = %user.id, "account soft-locked after repeated failed sign-ins");
            // Carries no secret, so it goes through the outbox and is retried.
            let values = [("minutes", (LOCKOUT_DURATION.as_secs() / 60).to_string())];
            let message = notify::template::render_event(
                &self.pool,
                catalog::ACCOUNT_LOCKED,
                Language::Id,
                &values,
            )
            .await
            .map_err(render_failed)?;
            let mut tx = self.pool.begin().await?;
            notify::outbox::enqueue_email(&mut tx, email, catalog::ACCOUNT_LOCKED, &message)
                .await
                .map_err(render_failed)?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Whether too many wrong passwords came from this place for this
    /// address; `Some(wait)` while it is shut.
    pub(crate) async fn failures_shut(
        &self,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<Option<Duration>, IdentityError> {
        let status = self
            .limiter
            .peek(&limits::FAILURES_PER_ACCOUNT_IP, &account_ip(email, client))
            .await?;
        Ok((status.remaining == 0).then(|| {
            status
                .resets_in
                .unwrap_or(limits::FAILURES_PER_ACCOUNT_IP.window)
                .max(Duration::from_secs(1))
        }))
    }

    async fn start_login_challenge(
        &self,
        user: &UserRecord,
        email: &Email,
    ) -> Result<OtpChallenge, IdentityError> {
        let challenge = random_secret();
        let issued = self
            .otp
            .issue(OtpPurpose::Login, &challenge, &user.id.to_string())
            .await?;
        let pending = serde_json::to_string(&PendingLogin {
            user_id: user.id,
            email: email.to_string(),
        })
        .map_err(anyhow::Error::from)?;
        let mut redis = self.redis.clone();
        let _: () = redis
            .set_ex(
                self.redis_key("login_challenge", &challenge),
                pending,
                issued.expires_in.as_secs().max(1),
            )
            .await?;
        self.send_now(catalog::LOGIN_CODE, email, &[("code", issued.code.clone())])
            .await?;
        Ok(OtpChallenge {
            challenge_id: challenge,
            sent_to: email.masked(),
            expires_in: issued.expires_in.as_secs(),
            resend_after: issued.resend_after.as_secs(),
        })
    }

    async fn pending_login(&self, challenge: &str) -> Result<PendingLogin, IdentityError> {
        let mut redis = self.redis.clone();
        let stored: Option<String> = redis
            .get(self.redis_key("login_challenge", challenge))
            .await?;
        let stored = stored.ok_or(IdentityError::OtpExpired)?;
        serde_json::from_str(&stored).map_err(|error| IdentityError::Internal(error.into()))
    }

    pub async fn verify_login_otp(
        &self,
        client: &ClientInfo,
        input: LoginOtpRequest,
    ) -> Result<TokenPair, IdentityError> {
        self.limiter
            .hit(&limits::OTP_VERIFY_PER_IP, ip(client))
            .await?;
        let pending = self.pending_login(&input.challenge_id).await?;
        self.otp
            .verify(OtpPurpose::Login, &input.challenge_id, input.code.trim())
            .await?;
        let mut redis = self.redis.clone();
        let _: () = redis
            .del(self.redis_key("login_challenge", &input.challenge_id))
            .await?;
        let mut conn = self.pool.acquire().await?;
        let user = find_by_id(&mut conn, pending.user_id)
            .await?
            .ok_or(IdentityError::InvalidCredentials)?;
        if user.status != UserStatus::Active {
            return Err(IdentityError::AccountDisabled);
        }
        // Back to the pool before the session's transaction takes one.
        drop(conn);
        self.open_session(&user, client).await
    }

    pub async fn resend_login_otp(
        &self,
        client: &ClientInfo,
        input: ChallengeRequest,
    ) -> Result<OtpChallenge, IdentityError> {
        self.limiter
            .hit(&limits::OTP_RESEND_PER_IP, ip(client))
            .await?;
        let pending = self.pending_login(&input.challenge_id).await?;
        let email = parse_email(&pending.email)?;
        let issued = self
            .otp
            .issue(
                OtpPurpose::Login,
                &input.challenge_id,
                &pending.user_id.to_string(),
            )
            .await?;
        let mut redis = self.redis.clone();
        let _: () = redis
            .expire(
                self.redis_key("login_challenge", &input.challenge_id),
                i64::try_from(issued.expires_in.as_secs()).unwrap_or(300),
            )
            .await?;
        self.send_now(
            catalog::LOGIN_CODE,
            &email,
            &[("code", issued.code.clone())],
        )
        .await?;
        Ok(OtpChallenge {
            challenge_id: input.challenge_id,
            sent_to: email.masked(),
            expires_in: issued.expires_in.as_secs(),
            resend_after: issued.resend_after.as_secs(),
        })
    }

    async fn open_session(
        &self,
        user: &UserRecord,
        client: &ClientInfo,
    ) -> Result<TokenPair, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let (session, refresh) = session::create(&mut tx, user.id, client).await?;
        // A completed sign-in ends the account-wide count and soft lock.
        sqlx::query!(
            "UPDATE app_user SET last_login_at = now(), failed_login_count = 0, locked_until = NULL WHERE id = $1",
            user.id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.token_pair(user.id, &user.roles, session, refresh)
    }

    /// Exchanges a refresh token for a new pair. The roles in the new access
    /// token are read afresh, so role changes apply within one token lifetime.
    pub async fn refresh(
        &self,
        client: &ClientInfo,
        input: RefreshTokenRequest,
    ) -> Result<TokenPair, IdentityError> {
        self.limiter
            .hit(&limits::REFRESH_PER_IP, ip(client))
            .await?;
        let mut tx = self.pool.begin().await?;
        let rotation = session::rotate(&mut tx, input.refresh_token.trim()).await?;
        let (session_id, user_id, refresh) = match rotation {
            Rotation::Rotated {
                session,
                user,
                token,
            } => (session, user, token),
            Rotation::Invalid => {
                return Err(IdentityError::Unauthenticated(
                    "the refresh token is unknown, expired or revoked".to_owned(),
                ));
            }
            Rotation::Reused { session } => {
                self.revocations.revoke_sessions(&[session]).await?;
                tx.commit().await?;
                tracing::warn!("refresh token reused: its session was revoked");
                return Err(IdentityError::Unauthenticated(
                    "the refresh token was already used; the session has been revoked".to_owned(),
                ));
            }
        };
        let user = find_by_id(&mut tx, user_id)
            .await?
            .ok_or(IdentityError::NotFound("account"))?;
        if user.status != UserStatus::Active {
            session::revoke(&mut tx, session_id, "account disabled").await?;
            self.revocations.revoke_sessions(&[session_id]).await?;
            tx.commit().await?;
            return Err(IdentityError::AccountDisabled);
        }
        tx.commit().await?;
        self.token_pair(user.id, &user.roles, session_id, refresh)
    }

    pub async fn logout(&self, input: RefreshTokenRequest) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        if let Some(session) = session::revoke_by_token(&mut tx, input.refresh_token.trim()).await?
        {
            // Before the commit: a sign-out Redis cannot record fails
            // whole, and the user can retry it.
            self.revocations.revoke_sessions(&[session]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Emails a reset link when the account exists; answers the same either way.
    pub async fn forgot_password(
        &self,
        client: &ClientInfo,
        input: EmailOnlyRequest,
    ) -> Result<(), IdentityError> {
        let email = parse_email(&input.email)?;
        self.limiter.hit(&limits::RESET_PER_IP, ip(client)).await?;
        self.limiter
            .hit(&limits::RESET_PER_ACCOUNT, email.as_str())
            .await?;
        let mut conn = self.pool.acquire().await?;
        let Some(user) = find_by_email(&mut conn, &email).await? else {
            return Ok(());
        };
        if user.status != UserStatus::Active {
            return Ok(());
        }
        // Not held while the mail is rendered (another connection) and sent.
        drop(conn);
        let token = random_secret();
        let mut redis = self.redis.clone();
        let _: () = redis
            .set_ex(
                self.redis_key("password_reset", &sha256_hex(token.as_bytes())),
                user.id.to_string(),
                RESET_TOKEN_TTL.as_secs(),
            )
            .await?;
        let link = self.link(&format!("/reset-password?token={token}"));
        self.send_now(catalog::PASSWORD_RESET, &email, &[("link", link)])
            .await
    }

    /// Sets a new password from a reset link, signs out every session (their
    /// access tokens stop at once), revokes every API token and lifts a
    /// lockout.
    pub async fn reset_password(
        &self,
        client: &ClientInfo,
        input: ResetPasswordRequest,
    ) -> Result<(), IdentityError> {
        self.limiter.hit(&limits::RESET_PER_IP, ip(client)).await?;
        let password = NewPassword::parse(&input.new_password).map_err(|error| {
            ValidationErrors::single("new_password", "weak_password", error.to_string())
        })?;
        let mut redis = self.redis.clone();
        let user: Option<String> = redis
            .get_del(self.redis_key("password_reset", &sha256_hex(input.token.trim().as_bytes())))
            .await?;
        let user: Uuid = user
            .and_then(|id| id.parse().ok())
            .ok_or(IdentityError::LinkExpired)?;
        let hash = password.hash().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query!("UPDATE app_user SET password_hash = $2, failed_login_count = 0, locked_until = NULL WHERE id = $1", user, hash)
            .execute(&mut *tx)
            .await?;
        let sessions = session::revoke_all(&mut tx, user, None, "password reset").await?;
        // A reset means someone else may know the old password: every token
        // goes, API tokens included, whatever the user had chosen before.
        api_token::revoke_all(&mut tx, user).await?;
        self.revocations.revoke_sessions(&sessions).await?;
        self.revocations.revoke_user_tokens(user).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Percent-encodes a query value (emails carry `+` and `@`).
pub(crate) fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
