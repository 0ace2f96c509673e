//! IP pools: IPv4 ranges per region whose usable addresses are rows, so that
//! handing one out is a single `UPDATE … FOR UPDATE SKIP LOCKED` that two
//! deliveries can never both win.
//!
//! An address is FREE, RESERVED (held by a delivery in progress), USED (the
//! service runs with it) or QUARANTINED (released; it cools down for the
//! pool's `quarantine_hours` before it is handed out again, so a customer's
//! old address does not reach a new one while DNS and caches still point at
//! it). A delivery that fails gives its reservation straight back: nobody
//! ever used it.

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;

use crate::ProvisioningError;

/// The largest pool: a /16 is 65,534 rows.
pub const MIN_PREFIX_LEN: u8 = 16;
/// The smallest: a /30 has two usable addresses.
pub const MAX_PREFIX_LEN: u8 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AddressStatus {
    Free,
    Reserved,
    Used,
    Quarantined,
}

/// A pool as staff enter it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PoolInput {
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    pub region_id: i64,
    /// `203.0.113.0/24`.
    #[schema(example = "203.0.113.0/24")]
    pub network: String,
    #[schema(example = "203.0.113.1")]
    pub gateway: String,
    #[serde(default)]
    pub nameservers: Vec<String>,
    /// Addresses never handed out (routers, the hypervisors themselves).
    #[serde(default)]
    pub excluded: Vec<String>,
    #[serde(default = "default_quarantine_hours")]
    #[schema(minimum = 0, maximum = 8760)]
    pub quarantine_hours: i32,
}

fn default_quarantine_hours() -> i32 {
    72
}

/// A checked pool: the network is canonical and the gateway inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRange {
    pub network: Ipv4Addr,
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
    pub excluded: Vec<Ipv4Addr>,
}

impl PoolRange {
    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix_len))
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & self.mask() == u32::from(self.network)
    }

    /// The addresses a VM may get: not the network, broadcast, gateway or
    /// an excluded one.
    pub fn usable(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let first = u32::from(self.network);
        let last = first | !self.mask();
        (first + 1..last)
            .map(Ipv4Addr::from)
            .filter(|address| *address != self.gateway && !self.excluded.contains(address))
    }
}

fn parse_network(input: &str) -> Result<(Ipv4Addr, u8), String> {
    let (address, prefix) = input
        .trim()
        .split_once('/')
        .ok_or_else(|| "write the range as address/prefix, e.g. 203.0.113.0/24".to_owned())?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("`{address}` is not an IPv4 address"))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| format!("`{prefix}` is not a prefix length"))?;
    if !(MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&prefix) {
        return Err(format!(
            "the prefix must be between /{MIN_PREFIX_LEN} and /{MAX_PREFIX_LEN}"
        ));
    }
    let mask = u32::MAX << (32 - u32::from(prefix));
    if u32::from(address) & !mask != 0 {
        return Err(format!(
            "{address}/{prefix} has host bits set; the network is {}/{prefix}",
            Ipv4Addr::from(u32::from(address) & mask)
        ));
    }
    Ok((address, prefix))
}

impl PoolInput {
    /// Checks every field; all problems at once.
    pub fn validate(&self) -> Result<PoolRange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            errors.add("name", "out_of_range", "between 1 and 80 characters");
        }
        if !(0..=8760).contains(&self.quarantine_hours) {
            errors.add(
                "quarantine_hours",
                "out_of_range",
                "between 0 and 8760 hours",
            );
        }
        let network = errors.check("network", "invalid_format", parse_network(&self.network));
        let gateway = errors.check(
            "gateway",
            "invalid_format",
            self.gateway
                .trim()
                .parse::<Ipv4Addr>()
                .map_err(|_| "an IPv4 address"),
        );
        for (index, nameserver) in self.nameservers.iter().enumerate() {
            if nameserver.trim().parse::<std::net::IpAddr>().is_err() {
                errors.add(
                    &format!("nameservers[{index}]"),
                    "invalid_format",
                    "an IP address",
                );
            }
        }
        if self.nameservers.len() > 3 {
            errors.add("nameservers", "out_of_range", "at most 3");
        }
        let mut excluded = Vec::new();
        for (index, address) in self.excluded.iter().enumerate() {
            match address.trim().parse::<Ipv4Addr>() {
                Ok(address) => excluded.push(address),
                Err(_) => errors.add(
                    &format!("excluded[{index}]"),
                    "invalid_format",
                    "an IPv4 address",
                ),
            }
        }
        let (Some((network, prefix_len)), Some(gateway)) = (network, gateway) else {
            return Err(errors);
        };
        let range = PoolRange {
            network,
            prefix_len,
            gateway,
            excluded,
        };
        if !range.contains(gateway) || gateway == network {
            errors.add(
                "gateway",
                "out_of_range",
                "must be a host address inside the range",
            );
        }
        for (index, address) in range.excluded.iter().enumerate() {
            if !range.contains(*address) {
                errors.add(
                    &format!("excluded[{index}]"),
                    "out_of_range",
                    "outside the range",
                );
            }
        }
        if errors.is_empty() && range.usable().next().is_none() {
            errors.add("excluded", "out_of_range", "no usable address is left");
        }
        errors.into_result().map(|()| range)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pool {
    pub id: i64,
    pub name: String,
    pub region_id: i64,
    pub region_name: String,
    pub network: String,
    pub gateway: String,
    pub nameservers: Vec<String>,
    pub excluded: Vec<String>,
    pub quarantine_hours: i32,
    pub free: i64,
    pub reserved: i64,
    pub used: i64,
    pub quarantined: i64,
    pub created_at: DateTime<Utc>,
}

/// Creates a pool with a row for each usable address.
pub async fn create(conn: &mut PgConnection, input: &PoolInput) -> Result<i64, ProvisioningError> {
    let range = input.validate()?;
    let overlapping = sqlx::query_scalar!(
        "SELECT name FROM ip_pool WHERE network && $1::text::cidr LIMIT 1",
        format!("{}/{}", range.network, range.prefix_len)
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(other) = overlapping {
        return Err(ProvisioningError::refused(
            "pool_overlaps",
            format!("the range overlaps the pool `{other}`"),
        ));
    }
    let id = sqlx::query_scalar!(
        r#"INSERT INTO ip_pool (name, region_id, network, gateway, nameservers, excluded, quarantine_hours)
           VALUES ($1, $2, $3::text::cidr, $4::text::inet, $5::text[]::inet[], $6::text[]::inet[], $7)
           RETURNING id"#,
        input.name.trim(),
        input.region_id,
        format!("{}/{}", range.network, range.prefix_len),
        range.gateway.to_string(),
        &input.nameservers.iter().map(|n| n.trim().to_owned()).collect::<Vec<_>>(),
        &range.excluded.iter().map(ToString::to_string).collect::<Vec<_>>(),
        input.quarantine_hours,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            ValidationErrors::single("region_id", "not_found", "no such region").into()
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ValidationErrors::single("name", "taken", "another pool has this name").into()
        }
        _ => ProvisioningError::from(error),
    })?;
    let addresses: Vec<String> = range.usable().map(|a| a.to_string()).collect();
    sqlx::query!(
        "INSERT INTO ip_address (pool_id, address)
         SELECT $1, address::inet FROM unnest($2::text[]) AS address",
        id,
        &addresses
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Deletes a pool none of whose addresses is reserved or used.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ProvisioningError> {
    let busy = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM ip_address WHERE pool_id = $1 AND status IN ('reserved', 'used')"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if busy > 0 {
        return Err(ProvisioningError::refused(
            "pool_in_use",
            format!("{busy} addresses of the pool are reserved or in use"),
        ));
    }
    let deleted = sqlx::query!("DELETE FROM ip_pool WHERE id = $1", id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ProvisioningError::NotFound("no such pool"));
    }
    Ok(())
}

/// Every pool, or only `only` when given.
pub async fn list(
    db: impl PgExecutor<'_>,
    only: Option<i64>,
) -> Result<Vec<Pool>, ProvisioningError> {
    let pools = sqlx::query_as!(
        Pool,
        r#"SELECT p.id, p.name, p.region_id, r.name AS region_name,
                  p.network::text AS "network!", host(p.gateway) AS "gateway!",
                  ARRAY(SELECT host(n) FROM unnest(p.nameservers) n) AS "nameservers!",
                  ARRAY(SELECT host(e) FROM unnest(p.excluded) e) AS "excluded!",
                  p.quarantine_hours,
                  count(*) FILTER (WHERE a.status = 'free') AS "free!",
                  count(*) FILTER (WHERE a.status = 'reserved') AS "reserved!",
                  count(*) FILTER (WHERE a.status = 'used') AS "used!",
                  count(*) FILTER (WHERE a.status = 'quarantined') AS "quarantined!",
                  p.created_at
             FROM ip_pool p
             JOIN region r ON r.id = p.region_id
             LEFT JOIN ip_address a ON a.pool_id = p.id
            WHERE $1::bigint IS NULL OR p.id = $1
            GROUP BY p.id, r.name
            ORDER BY r.name, p.name"#,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(pools)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PoolAddress {
    pub address: String,
    pub status: AddressStatus,
    pub service_id: Option<i64>,
    pub quarantined_until: Option<DateTime<Utc>>,
}

/// The addresses of a pool that are not free, in address order.
pub async fn addresses_in_use(
    db: impl PgExecutor<'_>,
    pool_id: i64,
) -> Result<Vec<PoolAddress>, ProvisioningError> {
    Ok(sqlx::query_as!(
        PoolAddress,
        r#"SELECT host(address) AS "address!", status AS "status: AddressStatus",
                  service_id, quarantined_until
             FROM ip_address WHERE pool_id = $1 AND status <> 'free'
            ORDER BY address"#,
        pool_id
    )
    .fetch_all(db)
    .await?)
}

/// An address handed to a service, with what its VM needs to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub address_id: i64,
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
    pub nameservers: Vec<std::net::IpAddr>,
}

struct LeaseRow {
    address_id: i64,
    address: String,
    prefix_len: i32,
    gateway: String,
    nameservers: Vec<String>,
}

impl TryFrom<LeaseRow> for Lease {
    type Error = ProvisioningError;

    fn try_from(row: LeaseRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| ProvisioningError::Corrupt(format!("ip pool {what}"));
        Ok(Lease {
            address_id: row.address_id,
            address: row.address.parse().map_err(|_| corrupt("address"))?,
            prefix_len: u8::try_from(row.prefix_len).map_err(|_| corrupt("prefix"))?,
            gateway: row.gateway.parse().map_err(|_| corrupt("gateway"))?,
            nameservers: row
                .nameservers
                .iter()
                .map(|n| n.parse().map_err(|_| corrupt("nameserver")))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Reserves an address of `region` for `service_id`, or returns the one it
/// holds already (a retried delivery). `None` when the region has no free
/// address: the caller fails the delivery cleanly and alerts staff.
///
/// The reservation is one statement: the candidate row is locked with SKIP
/// LOCKED, so concurrent deliveries each take a different address without
/// waiting on each other, and the partial unique index on `service_id`
/// keeps a service from ever holding two.
pub async fn reserve(
    conn: &mut PgConnection,
    region_id: i64,
    service_id: i64,
) -> Result<Option<Lease>, ProvisioningError> {
    let row = sqlx::query_as!(
        LeaseRow,
        r#"WITH held AS (
               SELECT id FROM ip_address WHERE service_id = $2
           ), candidate AS (
               SELECT a.id FROM ip_address a
                 JOIN ip_pool p ON p.id = a.pool_id
                WHERE p.region_id = $1
                  AND NOT EXISTS (SELECT 1 FROM held)
                  AND (a.status = 'free'
                       OR (a.status = 'quarantined' AND a.quarantined_until <= now()))
                ORDER BY a.status = 'quarantined', a.address
                LIMIT 1
                FOR UPDATE OF a SKIP LOCKED
           ), taken AS (
               UPDATE ip_address a
                  SET status = 'reserved', service_id = $2, quarantined_until = NULL
                 FROM candidate WHERE a.id = candidate.id
               RETURNING a.id
           ), chosen AS (
               SELECT id FROM taken UNION ALL SELECT id FROM held
           )
           SELECT a.id AS "address_id!", host(a.address) AS "address!",
                  masklen(p.network) AS "prefix_len!", host(p.gateway) AS "gateway!",
                  ARRAY(SELECT host(n) FROM unnest(p.nameservers) n) AS "nameservers!"
             FROM chosen JOIN ip_address a ON a.id = chosen.id
             JOIN ip_pool p ON p.id = a.pool_id"#,
        region_id,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Lease::try_from).transpose()
}

/// The address `service_id` holds, if any.
pub async fn lease_of(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<Option<Lease>, ProvisioningError> {
    let row = sqlx::query_as!(
        LeaseRow,
        r#"SELECT a.id AS "address_id!", host(a.address) AS "address!",
                  masklen(p.network) AS "prefix_len!", host(p.gateway) AS "gateway!",
                  ARRAY(SELECT host(n) FROM unnest(p.nameservers) n) AS "nameservers!"
             FROM ip_address a JOIN ip_pool p ON p.id = a.pool_id
            WHERE a.service_id = $1"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Lease::try_from).transpose()
}

/// The service runs with its address now.
pub async fn mark_used(conn: &mut PgConnection, service_id: i64) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE ip_address SET status = 'used' WHERE service_id = $1",
        service_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery that failed gives its address back at once: nobody used it.
pub async fn release_unused(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE ip_address SET status = 'free', service_id = NULL
          WHERE service_id = $1 AND status = 'reserved'",
        service_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A terminated service's address cools down before anyone else gets it.
pub async fn quarantine(conn: &mut PgConnection, service_id: i64) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE ip_address a
            SET status = 'quarantined', service_id = NULL,
                quarantined_until = now() + make_interval(hours => p.quarantine_hours)
           FROM ip_pool p
          WHERE p.id = a.pool_id AND a.service_id = $1",
        service_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(network: &str, gateway: &str) -> PoolInput {
        PoolInput {
            name: "Jakarta".into(),
            region_id: 1,
            network: network.into(),
            gateway: gateway.into(),
            nameservers: vec!["1.1.1.1".into()],
            excluded: vec![],
            quarantine_hours: 72,
        }
    }

    #[test]
    fn a_slash_24_has_253_addresses_for_vms() {
        let range = input("203.0.113.0/24", "203.0.113.1")
            .validate()
            .expect("valid");
        let usable: Vec<_> = range.usable().collect();
        assert_eq!(usable.len(), 253);
        assert_eq!(usable[0], Ipv4Addr::new(203, 0, 113, 2));
        assert_eq!(usable[252], Ipv4Addr::new(203, 0, 113, 254));
    }

    #[test]
    fn excluded_addresses_are_never_usable() {
        let mut pool = input("10.0.0.0/29", "10.0.0.1");
        pool.excluded = vec!["10.0.0.2".into(), "10.0.0.6".into()];
        let range = pool.validate().expect("valid");
        let usable: Vec<_> = range.usable().map(|a| a.to_string()).collect();
        assert_eq!(usable, ["10.0.0.3", "10.0.0.4", "10.0.0.5"]);
    }

    #[test]
    fn bad_ranges_are_refused_with_every_reason() {
        let fields = |error: ValidationErrors| -> Vec<String> {
            error.errors().iter().map(|e| e.field.clone()).collect()
        };
        let error = input("10.0.0.5/24", "10.1.0.1")
            .validate()
            .expect_err("host bits");
        assert_eq!(fields(error), ["network"]);
        let error = input("10.0.0.0/8", "10.0.0.1")
            .validate()
            .expect_err("too big");
        assert!(error.errors()[0].message.contains("/16"), "{error:?}");
        let error = input("10.0.0.0/24", "10.0.1.1")
            .validate()
            .expect_err("gateway outside");
        assert_eq!(fields(error), ["gateway"]);
        let mut pool = input("10.0.0.0/30", "10.0.0.1");
        pool.excluded = vec!["10.0.0.2".into()];
        assert_eq!(
            fields(pool.validate().expect_err("nothing usable left")),
            ["excluded"]
        );
    }
}
