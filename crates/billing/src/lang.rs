//! The languages the storefront is written in: every text in Indonesian,
//! English where it was translated.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A language the storefront is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Indonesian: every item has it.
    #[default]
    Id,
    /// English, where the item was translated.
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}
