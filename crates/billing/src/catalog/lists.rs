//! The managed lists products point at: regions a VPS is sold in and the OS
//! templates it can be installed with. Sysadmins keep them; the
//! provisioning work maps them to nodes and Proxmox templates.

use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::CatalogError;
use super::bounds;
use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Region {
    pub id: i64,
    /// Lowercase code used in URLs and the API, e.g. `jkt`.
    pub code: String,
    pub name: String,
    /// ISO 3166 country code, e.g. `ID`, `SG`.
    pub country: String,
    pub active: bool,
    pub sort_order: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegionInput {
    pub code: String,
    pub name: String,
    pub country: String,
    /// Offered to buyers; true when absent.
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OsTemplate {
    pub id: i64,
    /// e.g. `ubuntu-24.04`, `windows-2022`.
    pub code: String,
    pub name: String,
    /// `linux`, `windows`, `bsd` or `other`.
    pub family: String,
    pub active: bool,
    pub sort_order: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OsTemplateInput {
    pub code: String,
    pub name: String,
    pub family: String,
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

/// A list code: lowercase letters, digits, `-` (and `.`/`_` where allowed).
fn code(errors: &mut ValidationErrors, value: &str, extra: &[char], max: usize) -> Option<String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || extra.contains(&c)
        });
    if !valid {
        errors.add(
            "code",
            "invalid_format",
            format!("1 to {max} of a-z, 0-9 and -"),
        );
        return None;
    }
    Some(value.to_owned())
}

struct ValidRegion {
    code: String,
    name: String,
    country: String,
    active: bool,
    sort_order: i32,
}

impl RegionInput {
    fn validate(&self) -> Result<ValidRegion, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = code(&mut errors, &self.code, &[], bounds::CODE_MAX_CHARS);
        let name = text::required(
            &mut errors,
            "name",
            Some(&self.name),
            bounds::LIST_NAME_MAX_CHARS,
        );
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.add(
                "country",
                "invalid_format",
                "a two-letter country code such as ID",
            );
        }
        let sort_order = text::sort_order(&mut errors, self.sort_order);
        errors.into_result()?;
        Ok(ValidRegion {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            country,
            active: self.active.unwrap_or(true),
            sort_order,
        })
    }
}

pub async fn list_regions(
    conn: &mut PgConnection,
    active_only: bool,
) -> Result<Vec<Region>, CatalogError> {
    Ok(sqlx::query_as!(
        Region,
        "SELECT id, code, name, country, active, sort_order FROM region
         WHERE active OR NOT $1 ORDER BY sort_order, name",
        active_only
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find_region(conn: &mut PgConnection, id: i64) -> Result<Region, CatalogError> {
    sqlx::query_as!(
        Region,
        "SELECT id, code, name, country, active, sort_order FROM region WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such region"))
}

pub async fn create_region(
    conn: &mut PgConnection,
    input: &RegionInput,
) -> Result<Region, CatalogError> {
    let region = input.validate()?;
    sqlx::query_as!(
        Region,
        "INSERT INTO region (code, name, country, active, sort_order) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, code, name, country, active, sort_order",
        region.code,
        region.name,
        region.country,
        region.active,
        region.sort_order
    )
    .fetch_one(conn)
    .await
    .map_err(CatalogError::from_write)
}

pub async fn update_region(
    conn: &mut PgConnection,
    id: i64,
    input: &RegionInput,
) -> Result<Region, CatalogError> {
    let region = input.validate()?;
    sqlx::query_as!(
        Region,
        "UPDATE region SET code = $2, name = $3, country = $4, active = $5, sort_order = $6
         WHERE id = $1 RETURNING id, code, name, country, active, sort_order",
        id,
        region.code,
        region.name,
        region.country,
        region.active,
        region.sort_order
    )
    .fetch_optional(conn)
    .await
    .map_err(CatalogError::from_write)?
    .ok_or(CatalogError::NotFound("no such region"))
}

pub async fn delete_region(conn: &mut PgConnection, id: i64) -> Result<(), CatalogError> {
    let deleted = sqlx::query!("DELETE FROM region WHERE id = $1", id)
        .execute(conn)
        .await
        .map_err(CatalogError::from_write)?;
    if deleted.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such region"));
    }
    Ok(())
}

const FAMILIES: [&str; 4] = ["linux", "windows", "bsd", "other"];

struct ValidTemplate {
    code: String,
    name: String,
    family: String,
    active: bool,
    sort_order: i32,
}

impl OsTemplateInput {
    fn validate(&self) -> Result<ValidTemplate, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = code(
            &mut errors,
            &self.code,
            &['.', '_'],
            bounds::TEMPLATE_CODE_MAX_CHARS,
        );
        let name = text::required(
            &mut errors,
            "name",
            Some(&self.name),
            bounds::LIST_NAME_MAX_CHARS,
        );
        let family = self.family.trim().to_ascii_lowercase();
        if !FAMILIES.contains(&family.as_str()) {
            errors.add("family", "unknown", "linux, windows, bsd or other");
        }
        let sort_order = text::sort_order(&mut errors, self.sort_order);
        errors.into_result()?;
        Ok(ValidTemplate {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            family,
            active: self.active.unwrap_or(true),
            sort_order,
        })
    }
}

pub async fn list_os_templates(
    conn: &mut PgConnection,
    active_only: bool,
) -> Result<Vec<OsTemplate>, CatalogError> {
    Ok(sqlx::query_as!(
        OsTemplate,
        "SELECT id, code, name, family, active, sort_order FROM os_template
         WHERE active OR NOT $1 ORDER BY sort_order, name",
        active_only
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find_os_template(
    conn: &mut PgConnection,
    id: i64,
) -> Result<OsTemplate, CatalogError> {
    sqlx::query_as!(
        OsTemplate,
        "SELECT id, code, name, family, active, sort_order FROM os_template WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such OS template"))
}

pub async fn create_os_template(
    conn: &mut PgConnection,
    input: &OsTemplateInput,
) -> Result<OsTemplate, CatalogError> {
    let template = input.validate()?;
    sqlx::query_as!(
        OsTemplate,
        "INSERT INTO os_template (code, name, family, active, sort_order) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, code, name, family, active, sort_order",
        template.code,
        template.name,
        template.family,
        template.active,
        template.sort_order
    )
    .fetch_one(conn)
    .await
    .map_err(CatalogError::from_write)
}

pub async fn update_os_template(
    conn: &mut PgConnection,
    id: i64,
    input: &OsTemplateInput,
) -> Result<OsTemplate, CatalogError> {
    let template = input.validate()?;
    sqlx::query_as!(
        OsTemplate,
        "UPDATE os_template SET code = $2, name = $3, family = $4, active = $5, sort_order = $6
         WHERE id = $1 RETURNING id, code, name, family, active, sort_order",
        id,
        template.code,
        template.name,
        template.family,
        template.active,
        template.sort_order
    )
    .fetch_optional(conn)
    .await
    .map_err(CatalogError::from_write)?
    .ok_or(CatalogError::NotFound("no such OS template"))
}

pub async fn delete_os_template(conn: &mut PgConnection, id: i64) -> Result<(), CatalogError> {
    let deleted = sqlx::query!("DELETE FROM os_template WHERE id = $1", id)
        .execute(conn)
        .await
        .map_err(CatalogError::from_write)?;
    if deleted.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such OS template"));
    }
    Ok(())
}
