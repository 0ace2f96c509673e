//! Categories group products on the storefront ("VPS Indonesia", "RDP",
//! "Hosting cPanel"); a hidden category hides its products.

use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::CatalogError;
use super::bounds;
use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name_id: String,
    pub name_en: Option<String>,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub visible: bool,
    pub sort_order: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CategoryInput {
    pub slug: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name; absent shows the Indonesian one.
    pub name_en: Option<String>,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    /// Shown on the storefront; true when absent.
    pub visible: Option<bool>,
    pub sort_order: Option<i64>,
}

impl CategoryInput {
    fn validate(&self) -> Result<Category, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let slug = text::slug(&mut errors, "slug", &self.slug, bounds::SLUG_MAX_CHARS);
        let name_id = text::required(
            &mut errors,
            "name_id",
            Some(&self.name_id),
            bounds::NAME_MAX_CHARS,
        );
        let name_en = text::optional(
            &mut errors,
            "name_en",
            self.name_en.as_deref(),
            bounds::NAME_MAX_CHARS,
        );
        let description_id = text::optional(
            &mut errors,
            "description_id",
            self.description_id.as_deref(),
            bounds::SUMMARY_MAX_CHARS,
        );
        let description_en = text::optional(
            &mut errors,
            "description_en",
            self.description_en.as_deref(),
            bounds::SUMMARY_MAX_CHARS,
        );
        let sort_order = text::sort_order(&mut errors, self.sort_order);
        errors.into_result()?;
        Ok(Category {
            id: 0,
            slug: slug.unwrap_or_default(),
            name_id: name_id.unwrap_or_default(),
            name_en,
            description_id,
            description_en,
            visible: self.visible.unwrap_or(true),
            sort_order,
        })
    }
}

pub async fn list(
    conn: &mut PgConnection,
    visible_only: bool,
) -> Result<Vec<Category>, CatalogError> {
    Ok(sqlx::query_as!(
        Category,
        "SELECT id, slug, name_id, name_en, description_id, description_en, visible, sort_order
         FROM product_category WHERE visible OR NOT $1 ORDER BY sort_order, name_id",
        visible_only
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Category, CatalogError> {
    sqlx::query_as!(
        Category,
        "SELECT id, slug, name_id, name_en, description_id, description_en, visible, sort_order
         FROM product_category WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such category"))
}

pub async fn create(
    conn: &mut PgConnection,
    input: &CategoryInput,
) -> Result<Category, CatalogError> {
    let category = input.validate()?;
    sqlx::query_as!(
        Category,
        "INSERT INTO product_category (slug, name_id, name_en, description_id, description_en, visible, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, slug, name_id, name_en, description_id, description_en, visible, sort_order",
        category.slug,
        category.name_id,
        category.name_en,
        category.description_id,
        category.description_en,
        category.visible,
        category.sort_order
    )
    .fetch_one(conn)
    .await
    .map_err(CatalogError::from_write)
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &CategoryInput,
) -> Result<Category, CatalogError> {
    let category = input.validate()?;
    sqlx::query_as!(
        Category,
        "UPDATE product_category SET slug = $2, name_id = $3, name_en = $4, description_id = $5,
                description_en = $6, visible = $7, sort_order = $8
         WHERE id = $1
         RETURNING id, slug, name_id, name_en, description_id, description_en, visible, sort_order",
        id,
        category.slug,
        category.name_id,
        category.name_en,
        category.description_id,
        category.description_en,
        category.visible,
        category.sort_order
    )
    .fetch_optional(conn)
    .await
    .map_err(CatalogError::from_write)?
    .ok_or(CatalogError::NotFound("no such category"))
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), CatalogError> {
    let deleted = sqlx::query!("DELETE FROM product_category WHERE id = $1", id)
        .execute(conn)
        .await
        .map_err(CatalogError::from_write)?;
    if deleted.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such category"));
    }
    Ok(())
}
