//! What an upload's rows are matched against: the stored hosts by identity
//! and the account sales in the book, each read once per upload instead of
//! probed row by row. The hosts are read while the parser is still
//! unpacking the workbook; the account sales when the first `AKUN` rows
//! arrive, so a file without any reads none of the book.
//! Matching in the app leaves the database only the rows to store, by
//! `COPY`; with 100,000 known hosts the probes were half its work.
//!
//! The snapshot is as of the upload's start, as good as probing was: the
//! database can change before the confirm either way, and the confirm
//! matches again.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

use std::str::FromStr;

use chrono::NaiveDate;
use domain::Currency;
use futures::TryStreamExt;
use sqlx::{PgConnection, PgPool};
use tokio::sync::OnceCell;

use super::SaleKey;
use crate::MonitoringError;
use crate::spreadsheet::{HostRow, ShortText};

/// 128-bit fingerprints of row identities: 16 bytes a row instead of the
/// row itself, and two independent 64-bit hashes make a collision between
/// two different rows of one upload as good as impossible.
#[derive(Clone)]
pub(super) struct Fingerprints(RandomState, RandomState);

impl Fingerprints {
    pub(super) fn new() -> Self {
        Fingerprints(RandomState::new(), RandomState::new())
    }

    pub(super) fn of(&self, key: &impl Hash) -> u128 {
        (u128::from(self.0.hash_one(key)) << 64) | u128::from(self.1.hash_one(key))
    }

    /// A host's identity as the identity index keys it: `lower(btrim(name))`,
    /// address, port.
    fn host(&self, name_key: &str, address: &str, port: i32) -> u128 {
        self.of(&(name_key, address, port))
    }
}

/// Hashes a fingerprint no further: it is already a keyed hash, so its low
/// half is as good a bucket index as any hasher's (and as unpredictable to
/// an uploader), at no cost. The maps and sets of an upload hold a few
/// hundred thousand of them.
#[derive(Default)]
pub(super) struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u128(&mut self, fingerprint: u128) {
        self.0 = fingerprint as u64;
    }

    /// Only fingerprints are hashed; any other key still spreads.
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
}

pub(super) type FingerprintSet = HashSet<u128, BuildHasherDefault<FingerprintHasher>>;
type FingerprintMap<V> = HashMap<u128, V, BuildHasherDefault<FingerprintHasher>>;

/// A stored host as a re-import compares against it.
pub(super) struct StoredHost {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) expires_on: Option<NaiveDate>,
    pub(super) price_minor: Option<i64>,
    pub(super) currency: Currency,
}

pub(super) struct Known {
    fingerprints: Fingerprints,
    hosts: FingerprintMap<StoredHost>,
    /// Fingerprints of the book's account sales, read on first use.
    account_sales: OnceCell<FingerprintSet>,
    /// Whether the database lowercases ASCII letters to ASCII letters (a
    /// Turkish locale does not: `I` becomes `ı`). When it does, the app can
    /// key an ASCII name itself; otherwise the database keys it.
    ascii_lowercase: bool,
}

impl Known {
    /// Reads the stored hosts.
    pub(super) async fn load(
        pool: &PgPool,
        fingerprints: Fingerprints,
    ) -> Result<Self, MonitoringError> {
        let (hosts, ascii_lowercase) = stored_hosts(pool, &fingerprints).await?;
        Ok(Known {
            fingerprints,
            hosts,
            account_sales: OnceCell::new(),
            ascii_lowercase,
        })
    }

    /// The book's account sales, read by the first caller (the others wait
    /// for that read).
    pub(super) async fn account_sales(
        &self,
        pool: &PgPool,
    ) -> Result<BookedSales<'_>, MonitoringError> {
        let sales = self
            .account_sales
            .get_or_try_init(|| account_sales(pool, &self.fingerprints))
            .await?;
        Ok(BookedSales {
            sales,
            fingerprints: &self.fingerprints,
        })
    }

    /// The identity key of `name` (`lower(btrim(name))`) when the app can
    /// tell it as the database would: an ASCII name, and a database that
    /// lowercases ASCII as ASCII.
    fn name_key(&self, name: &str) -> Option<String> {
        app_name_key(self.ascii_lowercase, name)
    }

    /// The identity keys of a batch's names, in row order (`None` for a row
    /// without a name): the app keys what it can, the database the rest, in
    /// one query for the batch.
    pub(super) async fn name_keys(
        &self,
        conn: &mut PgConnection,
        rows: &[HostRow],
    ) -> Result<Vec<Option<String>>, MonitoringError> {
        let mut keys = Vec::with_capacity(rows.len());
        let mut unkeyed = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let name = row.name.as_ref().map(ShortText::as_str);
            let key = name.and_then(|name| self.name_key(name));
            if let Some(name) = name
                && key.is_none()
            {
                unkeyed.push((index, name));
            }
            keys.push(key);
        }
        if !unkeyed.is_empty() {
            let names: Vec<&str> = unkeyed.iter().map(|&(_, name)| name).collect();
            let answered = keyed_by_database(conn, &names).await?;
            for ((index, _), key) in unkeyed.into_iter().zip(answered) {
                keys[index] = Some(key);
            }
        }
        Ok(keys)
    }

    pub(super) fn host(&self, name_key: &str, address: &str, port: i32) -> Option<&StoredHost> {
        self.hosts
            .get(&self.fingerprints.host(name_key, address, port))
    }
}

/// The account sales in the book, by fingerprint.
pub(super) struct BookedSales<'k> {
    sales: &'k FingerprintSet,
    fingerprints: &'k Fingerprints,
}

impl BookedSales<'_> {
    pub(super) fn contains(&self, key: &SaleKey<'_>) -> bool {
        self.sales.contains(&self.fingerprints.of(key))
    }
}

/// `lower(btrim(name))` as the app can tell it: for an ASCII name, when the
/// database lowercases ASCII as ASCII.
fn app_name_key(ascii_lowercase: bool, name: &str) -> Option<String> {
    (ascii_lowercase && name.is_ascii()).then(|| name.trim_matches(' ').to_ascii_lowercase())
}

/// The identity keys of names the app cannot key itself, in their order.
async fn keyed_by_database(
    conn: &mut PgConnection,
    names: &[&str],
) -> Result<Vec<String>, MonitoringError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT lower(btrim(n.name)) AS "key!"
           FROM unnest($1::text[]) WITH ORDINALITY AS n(name, position) ORDER BY n.position"#,
        names as &[&str]
    )
    .fetch_all(conn)
    .await?)
}

async fn stored_hosts(
    pool: &PgPool,
    fingerprints: &Fingerprints,
) -> Result<(FingerprintMap<StoredHost>, bool), MonitoringError> {
    let mut conn = pool.acquire().await?;
    let ascii_lowercase = sqlx::query_scalar!(
        r#"SELECT lower('ABCDEFGHIJKLMNOPQRSTUVWXYZ') = 'abcdefghijklmnopqrstuvwxyz' AS "same!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut hosts = FingerprintMap::default();
    // The database keys only the names the app cannot key as it would (an
    // ASCII name has as many bytes as characters): most of the inventory
    // then travels and is lowercased once, not twice.
    let mut rows = sqlx::query!(
        r#"SELECT id, name, address, port, expires_on, price_minor, currency,
                  CASE WHEN NOT $1 OR octet_length(name) <> char_length(name) THEN lower(btrim(name)) END AS name_key
           FROM monitored_host"#,
        ascii_lowercase
    )
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let name_key = match row.name_key {
            Some(key) => key,
            None => app_name_key(ascii_lowercase, &row.name).ok_or_else(|| {
                MonitoringError::Internal(format!("host {} has a name the app cannot key", row.id))
            })?,
        };
        hosts.insert(
            fingerprints.host(&name_key, &row.address, row.port),
            StoredHost {
                id: row.id,
                name: row.name,
                expires_on: row.expires_on,
                price_minor: row.price_minor,
                currency: Currency::from_str(&row.currency).map_err(|_| {
                    MonitoringError::Internal(format!(
                        "host {} is stored in an unknown currency {}",
                        row.id, row.currency
                    ))
                })?,
            },
        );
    }
    Ok((hosts, ascii_lowercase))
}

async fn account_sales(
    pool: &PgPool,
    fingerprints: &Fingerprints,
) -> Result<FingerprintSet, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let mut sales = FingerprintSet::default();
    let mut rows = sqlx::query!(
        "SELECT sold_on, name, merchant, item_type, qty, price_minor, currency FROM sale WHERE kind = 'account'"
    )
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        sales.insert(fingerprints.of(&SaleKey {
            sold_on: row.sold_on,
            name: &row.name,
            merchant: &row.merchant,
            item_type: &row.item_type,
            qty: row.qty,
            price_minor: row.price_minor,
            currency: &row.currency,
        }));
    }
    Ok(sales)
}
