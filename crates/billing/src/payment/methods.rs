//! The payment methods the shop offers and the gateways' credentials.
//!
//! Credentials are integration secrets: sealed (AES-256-GCM under the key
//! `JURAGAN_SECRET_KEY` derives, `domain::Sealer`) before they reach the
//! database, never returned — staff see which are set and their last four
//! characters. Non-secret settings (base URLs, the Pakasir project) are
//! stored plainly. A gateway client is built from them per use, so every
//! replica sees a change at once.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{Sealed, Sealer, ValidationErrors};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::gateway::{
    GatewayKind, MidtransConfig, MidtransGateway, PakasirConfig, PakasirGateway, PaymentGateway,
    XenditConfig, XenditGateway,
};
use crate::{BillingError, Refusal};

/// How long a gateway call may take before it counts as unavailable.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// What staff send for a gateway. Secrets left out (or null) keep their
/// stored value; an empty string clears one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct GatewayInput {
    pub enabled: bool,
    /// Midtrans: the Core API base (`https://api.sandbox.midtrans.com`);
    /// Xendit: `https://api.xendit.co`; Pakasir: `https://app.pakasir.com`.
    pub base_url: Option<String>,
    /// Midtrans: the Snap base (`https://app.sandbox.midtrans.com/snap/v1`);
    /// Pakasir: the hosted payment page's host.
    pub checkout_base_url: Option<String>,
    /// Pakasir: the project slug.
    pub project: Option<String>,
    /// Midtrans server key, Xendit secret key or Pakasir API key (secret).
    pub api_key: Option<String>,
    /// Xendit: the callback verification token (secret).
    pub callback_token: Option<String>,
    /// Manual transfer: the bank accounts and how to pay, shown to clients.
    pub instructions: Option<String>,
    /// Pakasir: the secret in the webhook path (24 to 100 of a–z and 0–9);
    /// generated when none is set, replaced (rotated) when one is sent.
    pub webhook_token: Option<String>,
}

/// A gateway as staff see it: settings, and secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GatewayView {
    /// `midtrans`, `xendit`, `pakasir` or `manual`.
    pub gateway: String,
    pub enabled: bool,
    pub base_url: Option<String>,
    pub checkout_base_url: Option<String>,
    pub project: Option<String>,
    pub instructions: Option<String>,
    /// Each secret that is set, as `••••` and its last four characters.
    pub secrets: BTreeMap<String, String>,
    /// The path the gateway must send notifications to, on this shop's host.
    pub webhook_path: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A way to pay offered at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentMethodInfo {
    /// `midtrans`, `xendit`, `pakasir`, `manual` or `wallet`.
    pub method: String,
    /// Currencies it takes.
    pub currencies: Vec<String>,
    /// Manual transfer: the bank instructions.
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Settings {
    base_url: Option<String>,
    checkout_base_url: Option<String>,
    project: Option<String>,
    instructions: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Secrets {
    api_key: Option<String>,
    callback_token: Option<String>,
    /// Pakasir signs nothing: the secret in its webhook path is ours.
    webhook_token: Option<String>,
}

const GATEWAYS: [&str; 4] = ["midtrans", "xendit", "pakasir", "manual"];

fn known(gateway: &str) -> Result<&'static str, BillingError> {
    GATEWAYS
        .into_iter()
        .find(|g| *g == gateway)
        .ok_or(BillingError::NotFound("no such payment gateway"))
}

struct Stored {
    enabled: bool,
    settings: Settings,
    secrets: Secrets,
    updated_at: Option<DateTime<Utc>>,
}

async fn load(
    conn: &mut PgConnection,
    sealer: &Sealer,
    gateway: &str,
) -> Result<Stored, BillingError> {
    let row = sqlx::query!(
        "SELECT enabled, settings, key_id, sealed, updated_at FROM payment_gateway WHERE gateway = $1",
        gateway
    )
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(Stored {
            enabled: false,
            settings: Settings::default(),
            secrets: Secrets::default(),
            updated_at: None,
        });
    };
    let settings =
        serde_json::from_value(row.settings).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let secrets = match (row.key_id, row.sealed) {
        (Some(key_id), Some(bytes)) => {
            let plain = sealer.open(&Sealed { key_id, bytes })?;
            serde_json::from_slice(&plain).map_err(|e| BillingError::Corrupt(e.to_string()))?
        }
        _ => Secrets::default(),
    };
    Ok(Stored {
        enabled: row.enabled,
        settings,
        secrets,
        updated_at: Some(row.updated_at),
    })
}

fn view(gateway: &str, stored: &Stored) -> GatewayView {
    let mut secrets = BTreeMap::new();
    if let Some(key) = &stored.secrets.api_key {
        secrets.insert("api_key".to_owned(), domain::mask_secret(key));
    }
    if let Some(token) = &stored.secrets.callback_token {
        secrets.insert("callback_token".to_owned(), domain::mask_secret(token));
    }
    let webhook_path = match gateway {
        "manual" => None,
        "pakasir" => stored
            .secrets
            .webhook_token
            .as_ref()
            .map(|token| format!("/api/v1/payments/webhooks/pakasir/{token}")),
        other => Some(format!("/api/v1/payments/webhooks/{other}")),
    };
    GatewayView {
        gateway: gateway.to_owned(),
        enabled: stored.enabled,
        base_url: stored.settings.base_url.clone(),
        checkout_base_url: stored.settings.checkout_base_url.clone(),
        project: stored.settings.project.clone(),
        instructions: stored.settings.instructions.clone(),
        secrets,
        webhook_path,
        updated_at: stored.updated_at,
    }
}

pub async fn list(
    conn: &mut PgConnection,
    sealer: &Sealer,
) -> Result<Vec<GatewayView>, BillingError> {
    let mut views = Vec::new();
    for gateway in GATEWAYS {
        views.push(find(conn, sealer, gateway).await?);
    }
    Ok(views)
}

/// One gateway's settings, secrets masked.
pub async fn find(
    conn: &mut PgConnection,
    sealer: &Sealer,
    gateway: &str,
) -> Result<GatewayView, BillingError> {
    let gateway = known(gateway)?;
    let stored = load(conn, sealer, gateway).await?;
    Ok(view(gateway, &stored))
}

fn url(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    required: bool,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => {
            errors.add(field, "required", "required to enable this gateway");
            None
        }
        None => None,
        Some(v) => match reqwest::Url::parse(v) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https")
                    && parsed.host().is_some()
                    && v.len() <= 500 =>
            {
                Some(v.trim_end_matches('/').to_owned())
            }
            _ => {
                errors.add(
                    field,
                    "invalid_url",
                    "an http(s) URL of at most 500 characters",
                );
                None
            }
        },
    }
}

fn merge_secret(stored: &mut Option<String>, given: Option<&str>) {
    match given.map(str::trim) {
        None => {}
        Some("") => *stored = None,
        Some(value) => *stored = Some(value.to_owned()),
    }
}

/// Saves a gateway's settings; the view it answers never holds a secret.
pub async fn save(
    conn: &mut PgConnection,
    sealer: &Sealer,
    gateway: &str,
    input: &GatewayInput,
    actor: Option<Uuid>,
) -> Result<GatewayView, BillingError> {
    let gateway = known(gateway)?;
    let mut stored = load(conn, sealer, gateway).await?;
    merge_secret(&mut stored.secrets.api_key, input.api_key.as_deref());
    merge_secret(
        &mut stored.secrets.callback_token,
        input.callback_token.as_deref(),
    );
    let mut errors = ValidationErrors::new();
    let on = input.enabled;
    for secret in [&input.api_key, &input.callback_token] {
        if secret.as_deref().is_some_and(|s| s.len() > 500) {
            errors.add("api_key", "length", "at most 500 characters");
        }
    }
    let settings = match gateway {
        "midtrans" | "xendit" | "pakasir" => {
            let base_url = url(&mut errors, "base_url", input.base_url.as_deref(), on);
            let checkout_base_url = url(
                &mut errors,
                "checkout_base_url",
                input.checkout_base_url.as_deref(),
                on && gateway != "xendit",
            );
            let project = input
                .project
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned);
            if gateway == "pakasir" {
                if on && project.is_none() {
                    errors.add("project", "required", "the Pakasir project slug");
                }
                match input.webhook_token.as_deref().map(str::trim) {
                    Some(token)
                        if (24..=100).contains(&token.len())
                            && token
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
                    {
                        stored.secrets.webhook_token = Some(token.to_owned());
                    }
                    Some(_) => {
                        errors.add("webhook_token", "invalid_token", "24 to 100 of a–z and 0–9")
                    }
                    None if stored.secrets.webhook_token.is_none() => {
                        stored.secrets.webhook_token = Some(random_token());
                    }
                    None => {}
                }
            }
            if on && stored.secrets.api_key.is_none() {
                errors.add("api_key", "required", "required to enable this gateway");
            }
            if on && gateway == "xendit" && stored.secrets.callback_token.is_none() {
                errors.add(
                    "callback_token",
                    "required",
                    "Xendit's callback verification token",
                );
            }
            Settings {
                base_url,
                checkout_base_url,
                project,
                instructions: None,
            }
        }
        _ => {
            let instructions = input
                .instructions
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty());
            if on && instructions.is_none() {
                errors.add(
                    "instructions",
                    "required",
                    "tell clients where to transfer to",
                );
            }
            if instructions.is_some_and(|i| i.chars().count() > 2000) {
                errors.add("instructions", "length", "at most 2000 characters");
            }
            Settings {
                instructions: instructions.map(str::to_owned),
                ..Settings::default()
            }
        }
    };
    errors.into_result()?;
    let settings_json =
        serde_json::to_value(&settings).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let secrets_json =
        serde_json::to_vec(&stored.secrets).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let sealed = sealer.seal(&secrets_json);
    sqlx::query!(
        "INSERT INTO payment_gateway (gateway, enabled, settings, key_id, sealed, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (gateway) DO UPDATE
            SET enabled = $2, settings = $3, key_id = $4, sealed = $5, updated_by = $6",
        gateway,
        input.enabled,
        settings_json,
        sealed.key_id,
        sealed.bytes,
        actor
    )
    .execute(&mut *conn)
    .await?;
    find(conn, sealer, gateway).await
}

fn random_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn kind_of(gateway: &str) -> Option<GatewayKind> {
    match gateway {
        "midtrans" => Some(GatewayKind::Midtrans),
        "xendit" => Some(GatewayKind::Xendit),
        "pakasir" => Some(GatewayKind::Pakasir),
        _ => None,
    }
}

/// A client for `kind` from the stored settings; `MethodDisabled` unless
/// the gateway is enabled, or `require_enabled` is false (a connection
/// test, or a late notification for a gateway switched off since).
pub async fn client(
    conn: &mut PgConnection,
    sealer: &Sealer,
    http: &reqwest::Client,
    kind: GatewayKind,
    require_enabled: bool,
) -> Result<Box<dyn PaymentGateway>, BillingError> {
    let stored = load(conn, sealer, kind.as_str()).await?;
    if require_enabled && !stored.enabled {
        return Err(Refusal::MethodDisabled.into());
    }
    let Settings {
        base_url,
        checkout_base_url,
        project,
        ..
    } = stored.settings;
    let Secrets {
        api_key,
        callback_token,
        webhook_token,
    } = stored.secrets;
    let missing = || BillingError::Refused(Refusal::MethodDisabled);
    let base_url = base_url.ok_or_else(missing)?;
    let api_key = api_key.ok_or_else(missing)?;
    Ok(match kind {
        GatewayKind::Midtrans => Box::new(MidtransGateway::new(
            MidtransConfig {
                snap_base_url: checkout_base_url.ok_or_else(missing)?,
                core_base_url: base_url,
                server_key: api_key,
                timeout: GATEWAY_TIMEOUT,
            },
            http.clone(),
        )),
        GatewayKind::Xendit => Box::new(XenditGateway::new(
            XenditConfig {
                base_url,
                secret_key: api_key,
                callback_token: callback_token.ok_or_else(missing)?,
                timeout: GATEWAY_TIMEOUT,
            },
            http.clone(),
        )),
        GatewayKind::Pakasir => Box::new(PakasirGateway::new(
            PakasirConfig {
                base_url,
                project: project.ok_or_else(missing)?,
                api_key,
                webhook_token: webhook_token.ok_or_else(missing)?,
                hosted_page_base: checkout_base_url.ok_or_else(missing)?,
                timeout: GATEWAY_TIMEOUT,
            },
            http.clone(),
        )),
    })
}

/// The ways to pay offered at checkout: the enabled gateways, manual
/// transfer if enabled, and the wallet always.
pub async fn offered(conn: &mut PgConnection) -> Result<Vec<PaymentMethodInfo>, BillingError> {
    let rows = sqlx::query!(
        r#"SELECT gateway, settings ->> 'instructions' AS instructions FROM payment_gateway
            WHERE enabled ORDER BY array_position(ARRAY['pakasir', 'midtrans', 'xendit', 'manual'], gateway)"#
    )
    .fetch_all(conn)
    .await?;
    let mut methods: Vec<PaymentMethodInfo> = rows
        .into_iter()
        .map(|row| PaymentMethodInfo {
            currencies: match row.gateway.as_str() {
                "xendit" | "manual" => vec!["IDR".to_owned(), "USD".to_owned()],
                _ => vec!["IDR".to_owned()],
            },
            method: row.gateway,
            instructions: row.instructions,
        })
        .collect();
    methods.push(PaymentMethodInfo {
        method: "wallet".to_owned(),
        currencies: vec!["IDR".to_owned(), "USD".to_owned()],
        instructions: None,
    });
    Ok(methods)
}
