//! A user's own account: the view of it, profile and billing address (both
//! required before the first checkout), password change and the two-factor
//! setting.

use chrono::{DateTime, Utc};
use domain::{Email, PhoneId, ValidationErrors};
use notify::template::catalog;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, AuditRecord};
use crate::limits;
use crate::otp::OtpPurpose;
use crate::password::{self, NewPassword};
use crate::role::{Role, any_staff, roles_from_db};
use crate::{
    Actor, ClientInfo, Identity, IdentityError, OtpChallenge, Principal, api_token, session,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Disabled,
    Invited,
}

impl UserStatus {
    pub fn from_db(value: &str) -> Self {
        match value {
            "disabled" => UserStatus::Disabled,
            "invited" => UserStatus::Invited,
            _ => UserStatus::Active,
        }
    }
}

/// A user row as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    pub otp_enabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

impl UserRecord {
    /// Staff always use the second factor; clients when they chose to.
    pub fn otp_required(&self) -> bool {
        self.otp_enabled || any_staff(&self.roles)
    }
}

macro_rules! user_record {
    ($row:expr) => {
        UserRecord {
            id: $row.id,
            email: $row.email,
            password_hash: $row.password_hash,
            email_verified: $row.email_verified_at.is_some(),
            roles: roles_from_db(&$row.roles),
            status: UserStatus::from_db(&$row.status),
            otp_enabled: $row.otp_enabled,
            locked_until: $row.locked_until,
        }
    };
}

pub async fn find_by_email(
    conn: &mut PgConnection,
    email: &Email,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, email, password_hash, email_verified_at, roles, status, otp_enabled, locked_until
           FROM app_user WHERE email = $1"#,
        email.as_str()
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| user_record!(row)))
}

pub async fn find_by_id(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, email, password_hash, email_verified_at, roles, status, otp_enabled, locked_until
           FROM app_user WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| user_record!(row)))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Profile {
    pub full_name: String,
    /// Normalised to `+62…`.
    pub phone: Option<String>,
    pub company: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BillingAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: String,
    /// Five digits.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `ID`.
    pub country: String,
}

/// The signed-in user's account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub roles: Vec<Role>,
    pub otp_enabled: bool,
    /// True for staff: two-factor sign-in cannot be turned off.
    pub otp_required: bool,
    pub profile: Option<Profile>,
    pub billing_address: Option<BillingAddress>,
    /// Whether the profile and billing address are complete enough to check out.
    pub checkout_ready: bool,
    /// Field paths still missing before checkout, e.g. `profile.phone`.
    pub missing_for_checkout: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    pub full_name: String,
    /// Any Indonesian spelling: 08…, 62…, +62…
    pub phone: String,
    pub company: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateBillingAddressRequest {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: String,
    pub postal_code: String,
    /// Defaults to `ID`.
    pub country: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
    /// Keep your personal API tokens working. By default a password change
    /// revokes them all, since a changed password often means a leaked one.
    #[serde(default)]
    pub keep_api_tokens: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateOtpRequest {
    pub enabled: bool,
    pub challenge_id: String,
    pub code: String,
}

/// The fields every new account needs, checked together so one answer
/// names every problem.
pub(crate) struct NewAccount {
    pub email: Email,
    pub password: NewPassword,
    pub name: String,
}

impl NewAccount {
    pub(crate) fn parse(email: &str, password: &str, name: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let email = errors.check("email", "invalid_email", Email::parse(email));
        let password = errors.check("password", "weak_password", NewPassword::parse(password));
        let name = text(&mut errors, "name", name, 200);
        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(Self {
                email,
                password,
                name,
            }),
            _ => Err(errors),
        }
    }
}

fn text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, "required", "this field is required");
    } else if value.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
    }
    value.to_owned()
}

fn optional_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).filter(|value| !value.is_empty())?;
    if value.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
    }
    Some(value.to_owned())
}

/// What is still missing before checkout, as field paths.
fn missing_for_checkout(
    profile: Option<&Profile>,
    address: Option<&BillingAddress>,
) -> Vec<String> {
    let mut missing = Vec::new();
    match profile {
        None => missing.extend(["profile.full_name", "profile.phone"].map(str::to_owned)),
        Some(profile) if profile.phone.is_none() => missing.push("profile.phone".to_owned()),
        Some(_) => {}
    }
    if address.is_none() {
        missing.extend(
            [
                "billing_address.line1",
                "billing_address.city",
                "billing_address.province",
                "billing_address.postal_code",
                "billing_address.country",
            ]
            .map(str::to_owned),
        );
    }
    missing
}

async fn load_account(pool: &PgPool, user: Uuid) -> Result<Account, IdentityError> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.email, u.email_verified_at, u.roles, u.otp_enabled, u.created_at,
                  p.full_name AS "full_name?", p.phone, p.company,
                  b.line1 AS "line1?", b.line2, b.city AS "city?", b.province AS "province?",
                  b.postal_code AS "postal_code?", b.country AS "country?"
           FROM app_user u
           LEFT JOIN user_profile p ON p.user_id = u.id
           LEFT JOIN billing_address b ON b.user_id = u.id
           WHERE u.id = $1"#,
        user
    )
    .fetch_optional(pool)
    .await?
    .ok_or(IdentityError::NotFound("account"))?;
    let profile = row.full_name.map(|full_name| Profile {
        full_name,
        phone: row.phone,
        company: row.company,
    });
    let billing_address = match (
        row.line1,
        row.city,
        row.province,
        row.postal_code,
        row.country,
    ) {
        (Some(line1), Some(city), Some(province), Some(postal_code), Some(country)) => {
            Some(BillingAddress {
                line1,
                line2: row.line2,
                city,
                province,
                postal_code,
                country,
            })
        }
        _ => None,
    };
    let roles = roles_from_db(&row.roles);
    let missing = missing_for_checkout(profile.as_ref(), billing_address.as_ref());
    Ok(Account {
        id: row.id,
        email: row.email,
        email_verified: row.email_verified_at.is_some(),
        otp_required: any_staff(&roles),
        roles,
        otp_enabled: row.otp_enabled,
        profile,
        billing_address,
        checkout_ready: missing.is_empty(),
        missing_for_checkout: missing,
        created_at: row.created_at,
    })
}

impl Identity {
    pub async fn account(&self, user: Uuid) -> Result<Account, IdentityError> {
        load_account(&self.pool, user).await
    }

    /// Succeeds when the account may check out; otherwise names every
    /// missing field.
    pub async fn require_checkout_ready(&self, user: Uuid) -> Result<(), IdentityError> {
        self.checkout_ready_account(user).await.map(drop)
    }

    /// The account, when it may check out (what checkout bills it as);
    /// otherwise every missing field, as [`Self::require_checkout_ready`].
    pub async fn checkout_ready_account(&self, user: Uuid) -> Result<Account, IdentityError> {
        let account = self.account(user).await?;
        if account.checkout_ready {
            return Ok(account);
        }
        let mut errors = ValidationErrors::new();
        for field in &account.missing_for_checkout {
            errors.add(field, "required", "required before checkout");
        }
        Err(IdentityError::OnboardingIncomplete(errors))
    }

    pub async fn update_profile(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        input: UpdateProfileRequest,
    ) -> Result<Account, IdentityError> {
        let mut errors = ValidationErrors::new();
        let full_name = text(&mut errors, "full_name", &input.full_name, 200);
        let phone = errors.check("phone", "invalid_phone", PhoneId::parse(&input.phone));
        let company = optional_text(&mut errors, "company", input.company.as_deref(), 200);
        errors.into_result()?;
        let phone = phone.map(|phone| phone.to_string());

        let before = self.account(principal.user_id).await?.profile;
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"INSERT INTO user_profile (user_id, full_name, phone, company) VALUES ($1, $2, $3, $4)
               ON CONFLICT (user_id) DO UPDATE SET full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, company = EXCLUDED.company"#,
            principal.user_id,
            full_name,
            phone,
            company,
        )
        .execute(&mut *tx)
        .await?;
        if principal.is_staff() {
            let after = Profile {
                full_name,
                phone,
                company,
            };
            let entry = AuditRecord {
                action: "account.profile_updated",
                entity_type: "user",
                entity_id: principal.user_id.to_string(),
                before: before.map(|profile| serde_json::json!(profile)),
                after: Some(serde_json::json!(after)),
            };
            audit::record(&mut tx, &Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        self.account(principal.user_id).await
    }

    pub async fn update_billing_address(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        input: UpdateBillingAddressRequest,
    ) -> Result<Account, IdentityError> {
        let mut errors = ValidationErrors::new();
        let line1 = text(&mut errors, "line1", &input.line1, 200);
        let line2 = optional_text(&mut errors, "line2", input.line2.as_deref(), 200);
        let city = text(&mut errors, "city", &input.city, 100);
        let province = text(&mut errors, "province", &input.province, 100);
        let postal_code = input.postal_code.trim().to_owned();
        if postal_code.len() != 5 || !postal_code.bytes().all(|b| b.is_ascii_digit()) {
            errors.add(
                "postal_code",
                "invalid_format",
                "an Indonesian postal code has 5 digits",
            );
        }
        let country = input
            .country
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("ID")
            .to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.add(
                "country",
                "invalid_format",
                "a two-letter country code, e.g. ID",
            );
        }
        errors.into_result()?;

        let before = self.account(principal.user_id).await?.billing_address;
        let after = BillingAddress {
            line1,
            line2,
            city,
            province,
            postal_code,
            country,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"INSERT INTO billing_address (user_id, line1, line2, city, province, postal_code, country)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (user_id) DO UPDATE SET line1 = EXCLUDED.line1, line2 = EXCLUDED.line2, city = EXCLUDED.city,
                   province = EXCLUDED.province, postal_code = EXCLUDED.postal_code, country = EXCLUDED.country"#,
            principal.user_id,
            after.line1,
            after.line2,
            after.city,
            after.province,
            after.postal_code,
            after.country,
        )
        .execute(&mut *tx)
        .await?;
        if principal.is_staff() {
            let entry = AuditRecord {
                action: "account.billing_address_updated",
                entity_type: "user",
                entity_id: principal.user_id.to_string(),
                before: before.map(|address| serde_json::json!(address)),
                after: Some(serde_json::json!(after)),
            };
            audit::record(&mut tx, &Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        self.account(principal.user_id).await
    }

    /// Changes the password, signs out every other session (their access
    /// tokens stop at once) and revokes the API tokens unless asked to keep
    /// them.
    pub async fn change_password(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        input: ChangePasswordRequest,
    ) -> Result<(), IdentityError> {
        principal.require_interactive()?;
        let new_password = NewPassword::parse(&input.new_password).map_err(|error| {
            ValidationErrors::single("new_password", "weak_password", error.to_string())
        })?;
        // Each attempt costs an argon2 verification (and a hash): bounded
        // per account, and wrong current passwords count like wrong sign-ins,
        // so a stolen session cannot guess the password here unthrottled.
        self.limiter
            .hit(
                &limits::PASSWORD_CHANGE_PER_ACCOUNT,
                &principal.user_id.to_string(),
            )
            .await?;
        let mut conn = self.pool.acquire().await?;
        let user = find_by_id(&mut conn, principal.user_id)
            .await?
            .ok_or(IdentityError::NotFound("account"))?;
        drop(conn);
        let email =
            Email::parse(&user.email).map_err(|error| IdentityError::Internal(error.into()))?;
        if let Some(retry_after) = self.failures_shut(&email, client).await? {
            return Err(IdentityError::RateLimited { retry_after });
        }
        if !password::verify(&input.current_password, user.password_hash.as_deref()).await? {
            self.record_failed_login(Some(&user), &email, client)
                .await?;
            return Err(ValidationErrors::single(
                "current_password",
                "wrong_password",
                "the current password is wrong",
            )
            .into());
        }
        let hash = new_password.hash().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "UPDATE app_user SET password_hash = $2 WHERE id = $1",
            principal.user_id,
            hash
        )
        .execute(&mut *tx)
        .await?;
        let sessions = session::revoke_all(
            &mut tx,
            principal.user_id,
            principal.session_id,
            "password changed",
        )
        .await?;
        let revoked_tokens = if input.keep_api_tokens {
            0
        } else {
            api_token::revoke_all(&mut tx, principal.user_id).await?
        };
        self.revocations.revoke_sessions(&sessions).await?;
        if principal.is_staff() {
            let entry = AuditRecord {
                action: "account.password_changed",
                entity_type: "user",
                entity_id: principal.user_id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "sessions_signed_out": sessions.len(),
                    "api_tokens_revoked": revoked_tokens,
                })),
            };
            audit::record(&mut tx, &Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Emails a code that confirms a change of the two-factor setting.
    pub async fn start_settings_challenge(
        &self,
        principal: &Principal,
    ) -> Result<OtpChallenge, IdentityError> {
        principal.require_interactive()?;
        let mut conn = self.pool.acquire().await?;
        let user = find_by_id(&mut conn, principal.user_id)
            .await?
            .ok_or(IdentityError::NotFound("account"))?;
        // Not held while the mail is rendered (another connection) and sent.
        drop(conn);
        let email =
            Email::parse(&user.email).map_err(|error| IdentityError::Internal(error.into()))?;
        let subject = user.id.to_string();
        let issued = self
            .otp
            .issue(OtpPurpose::ConfirmSettings, &subject, &subject)
            .await?;
        self.send_now(
            catalog::SETTINGS_CODE,
            &email,
            &[("code", issued.code.clone())],
        )
        .await?;
        Ok(OtpChallenge {
            challenge_id: subject,
            sent_to: email.masked(),
            expires_in: issued.expires_in.as_secs(),
            resend_after: issued.resend_after.as_secs(),
        })
    }

    /// Emails the code that confirms `action` (e.g. `service:12:reinstall`)
    /// to the signed-in user, rendered with `event` and `values` besides
    /// the code; [`Self::verify_action_code`] checks it.
    pub async fn send_action_code(
        &self,
        principal: &Principal,
        action: &str,
        event: &str,
        values: &[(&str, String)],
    ) -> Result<OtpChallenge, IdentityError> {
        let mut conn = self.pool.acquire().await?;
        let user = find_by_id(&mut conn, principal.user_id)
            .await?
            .ok_or(IdentityError::NotFound("account"))?;
        drop(conn);
        let email =
            Email::parse(&user.email).map_err(|error| IdentityError::Internal(error.into()))?;
        let subject = format!("{}:{action}", user.id);
        let issued = self
            .otp
            .issue(OtpPurpose::ConfirmAction, &subject, &user.id.to_string())
            .await?;
        let mut all = values.to_vec();
        all.push(("code", issued.code.clone()));
        self.send_now(event, &email, &all).await?;
        Ok(OtpChallenge {
            challenge_id: action.to_owned(),
            sent_to: email.masked(),
            expires_in: issued.expires_in.as_secs(),
            resend_after: issued.resend_after.as_secs(),
        })
    }

    /// Checks (and uses up) the code sent for `action` to this user.
    pub async fn verify_action_code(
        &self,
        principal: &Principal,
        action: &str,
        code: &str,
    ) -> Result<(), IdentityError> {
        let subject = format!("{}:{action}", principal.user_id);
        self.otp
            .verify(OtpPurpose::ConfirmAction, &subject, code.trim())
            .await?;
        Ok(())
    }

    /// Turns two-factor sign-in on or off, confirmed by the emailed code.
    pub async fn set_otp(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        input: UpdateOtpRequest,
    ) -> Result<Account, IdentityError> {
        principal.require_interactive()?;
        if !input.enabled && principal.is_staff() {
            return Err(IdentityError::OtpRequiredForStaff);
        }
        let subject = principal.user_id.to_string();
        if input.challenge_id != subject {
            return Err(IdentityError::OtpExpired);
        }
        self.otp
            .verify(OtpPurpose::ConfirmSettings, &subject, input.code.trim())
            .await?;
        let mut tx = self.pool.begin().await?;
        let before = sqlx::query_scalar!(
            "SELECT otp_enabled FROM app_user WHERE id = $1 FOR UPDATE",
            principal.user_id
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE app_user SET otp_enabled = $2 WHERE id = $1",
            principal.user_id,
            input.enabled
        )
        .execute(&mut *tx)
        .await?;
        if principal.is_staff() {
            let entry = AuditRecord {
                action: "account.otp_changed",
                entity_type: "user",
                entity_id: subject,
                before: Some(serde_json::json!({ "otp_enabled": before })),
                after: Some(serde_json::json!({ "otp_enabled": input.enabled })),
            };
            audit::record(&mut tx, &Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        self.account(principal.user_id).await
    }
}
