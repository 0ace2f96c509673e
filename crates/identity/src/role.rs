//! Who may do what. A user holds one or more roles; the owner may do
//! everything. Staff roles run the shop and must always use the second factor.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Reseller,
    Sysadmin,
    Business,
    Finance,
    Owner,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Client,
        Role::Reseller,
        Role::Sysadmin,
        Role::Business,
        Role::Finance,
        Role::Owner,
    ];
    pub const STAFF: [Role; 4] = [Role::Sysadmin, Role::Business, Role::Finance, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Reseller => "reseller",
            Role::Sysadmin => "sysadmin",
            Role::Business => "business",
            Role::Finance => "finance",
            Role::Owner => "owner",
        }
    }

    pub fn is_staff(self) -> bool {
        Self::STAFF.contains(&self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| UnknownRole(value.to_owned()))
    }
}

/// Roles as stored (`TEXT[]`), skipping any the code no longer knows.
pub fn roles_from_db(values: &[String]) -> Vec<Role> {
    let mut roles: Vec<Role> = values
        .iter()
        .filter_map(|value| value.parse().ok())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

pub fn roles_to_db(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|role| role.as_str().to_owned()).collect()
}

pub fn any_staff(roles: &[Role]) -> bool {
    roles.iter().any(|role| role.is_staff())
}
