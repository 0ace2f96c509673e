//! The catalog over HTTP: the storefront's public reads ([`storefront`]),
//! staff editing of products and their stock ([`products`]), the managed
//! lists ([`lists`]: categories, regions, OS templates) and the customer
//! groups that choose a price tier ([`groups`]).

pub mod domains;
pub mod groups;
pub mod lists;
pub mod products;
pub mod storefront;

use identity::Role;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Policy;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) use super::audited;

pub fn configure(config: &mut ServiceConfig) {
    storefront::configure(config);
    domains::configure(config);
    products::configure(config);
    lists::configure(config);
    groups::configure(config);
}

/// Prices, listings, categories, stock: the business side.
pub struct CatalogEditors;
impl Policy for CatalogEditors {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Business];
}

/// Technical attributes, regions and OS templates: the sysadmins.
pub struct TechnicalEditors;
impl Policy for TechnicalEditors {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Sysadmin];
}

/// Either side may start a product: the business side with its listing,
/// the sysadmins with its technical attributes.
pub struct ProductCreators;
impl Policy for ProductCreators {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Business, Role::Sysadmin];
}

/// Commits a catalog change and forgets this replica's storefront answers
/// at once; the other replicas hear of it from the database's notice.
pub(crate) async fn commit(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    state: &AppState,
) -> Result<(), ApiError> {
    tx.commit().await?;
    state.storefront_cache.invalidate();
    Ok(())
}
