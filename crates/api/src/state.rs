//! What every handler can reach: the database pool, Redis, and settings.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use sqlx::PgPool;

use crate::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub identity: identity::Identity,
    pub redis: ConnectionManager,
    pub settings: Arc<Settings>,
}
