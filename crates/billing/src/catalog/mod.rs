//! The catalog: products of six kinds, each with its own technical
//! attributes ([`spec`]), prices per tier, currency and billing cycle
//! ([`price`]), the managed lists they point at ([`lists`]: regions and OS
//! templates; [`category`]), the customer groups that choose a tier
//! ([`group`]), staff editing ([`product`]), the storefront's view with the
//! caller's prices resolved ([`storefront`]) and the sealed stock of digital
//! goods ([`stock`]). The storefront's answers are kept in memory until the
//! catalog changes ([`cache`]).

pub mod bounds;
pub mod cache;
pub mod category;
pub mod group;
pub mod lists;
pub mod price;
pub mod product;
pub mod spec;
pub mod stock;
pub mod storefront;
mod text;

use domain::ValidationErrors;

pub use price::{BillingCycle, PriceInput, ProductPrice};
pub use spec::{ProductKind, ProductSpec, SpecInput};

/// What the catalog can fail with; the API maps each to HTTP in one place.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    /// A unique name (slug, code, TLD) is taken; `field` names it.
    #[error("{message}")]
    Taken {
        field: &'static str,
        message: &'static str,
    },
    /// Still referenced (a region a product is sold in, a category with
    /// products): remove the references first.
    #[error("{0}")]
    InUse(&'static str),
    /// Another kind of product than the operation is for.
    #[error("{0}")]
    WrongKind(&'static str),
    /// Stored data that does not read back (a broken invariant); a 500.
    #[error("stored catalog data does not read back: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Sealing(#[from] domain::SealingError),
}

impl CatalogError {
    /// Turns the unique and foreign-key violations a write can meet into
    /// the caller's mistake they are; anything else stays a database error.
    pub(crate) fn from_write(error: sqlx::Error) -> Self {
        let sqlx::Error::Database(database) = &error else {
            return CatalogError::Database(error);
        };
        match database.constraint() {
            Some("product_slug_key") => CatalogError::Taken {
                field: "slug",
                message: "another product has this slug",
            },
            Some("product_domain_tld") => CatalogError::Taken {
                field: "spec.tld",
                message: "another domain product sells this TLD",
            },
            Some("product_category_slug_key") => CatalogError::Taken {
                field: "slug",
                message: "another category has this slug",
            },
            Some("region_code_key")
            | Some("os_template_code_key")
            | Some("customer_group_code_key") => CatalogError::Taken {
                field: "code",
                message: "this code is taken",
            },
            Some("product_category_id_fkey") => {
                CatalogError::InUse("the category still has products: move or delete them first")
            }
            Some("product_region_region_id_fkey") => {
                CatalogError::InUse("products are sold in this region: remove it from them first")
            }
            Some("product_os_template_os_template_id_fkey") => {
                CatalogError::InUse("products offer this OS template: remove it from them first")
            }
            _ => CatalogError::Database(error),
        }
    }
}
