//! Which column holds which field: header aliases, as the shop's
//! spreadsheets have spelled them over the years, matched after
//! normalisation so that `Tanggal Expired`, `tanggal_expired` and
//! `TANGGAL-EXPIRED` are the same header.

use super::cell::storable_prefix;
use super::preview::{Field, SheetKind};

struct ColumnSpec {
    field: Field,
    /// Normalised spellings (see [`normalise_header`]).
    aliases: &'static [&'static str],
    required: bool,
}

const CURRENCY_ALIASES: &[&str] = &["currency", "curr", "matauang", "uang"];
const PRICE_ALIASES: &[&str] = &["price", "harga"];
const NAME_ALIASES: &[&str] = &["name", "nama"];

const HOST_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        field: Field::Name,
        aliases: NAME_ALIASES,
        required: true,
    },
    ColumnSpec {
        field: Field::Ip,
        aliases: &["ip", "ipdomain", "domain", "host"],
        required: true,
    },
    ColumnSpec {
        field: Field::Port,
        aliases: &["port"],
        required: true,
    },
    ColumnSpec {
        field: Field::ExpireDate,
        aliases: &[
            "expiredate",
            "expired",
            "expire",
            "tanggalexpired",
            "tanggalexpire",
            "tglexpire",
            "tanggal",
        ],
        required: false,
    },
    ColumnSpec {
        field: Field::Price,
        aliases: PRICE_ALIASES,
        required: false,
    },
    ColumnSpec {
        field: Field::Currency,
        aliases: CURRENCY_ALIASES,
        required: false,
    },
];

const ACCOUNT_SALE_COLUMNS: &[ColumnSpec] = &[
    // The original importer only insisted on a name, but a sale without a
    // date cannot be booked into a period; a blank date is a problem on its
    // row, so the column is required too.
    ColumnSpec {
        field: Field::SoldAt,
        aliases: &["date", "tanggal", "tgl", "dateddmmyyyy"],
        required: true,
    },
    ColumnSpec {
        field: Field::Name,
        aliases: NAME_ALIASES,
        required: true,
    },
    ColumnSpec {
        field: Field::Merchant,
        aliases: &["merchant", "toko", "platform", "marketplace"],
        required: false,
    },
    ColumnSpec {
        field: Field::AccountType,
        aliases: &["type", "tipe", "jenis"],
        required: false,
    },
    ColumnSpec {
        field: Field::Qty,
        aliases: &["qty", "jumlah", "qtypcs"],
        required: false,
    },
    ColumnSpec {
        field: Field::Price,
        aliases: PRICE_ALIASES,
        required: false,
    },
    ColumnSpec {
        field: Field::Currency,
        aliases: CURRENCY_ALIASES,
        required: false,
    },
];

fn columns(kind: SheetKind) -> &'static [ColumnSpec] {
    match kind {
        SheetKind::Hosts => HOST_COLUMNS,
        SheetKind::AccountSales => ACCOUNT_SALE_COLUMNS,
    }
}

/// The fields a sheet of `kind` must have a column for.
pub(crate) fn required_fields(kind: SheetKind) -> impl Iterator<Item = Field> {
    columns(kind)
        .iter()
        .filter(|spec| spec.required)
        .map(|spec| spec.field)
}

/// Lowercase, with everything but letters and digits removed.
pub(crate) fn normalise_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// At most this many ignored headers are listed, each cut to
/// [`MAX_IGNORED_HEADER_CHARS`]: enough to spot a typo, bounded for a hostile
/// header row.
const MAX_IGNORED_HEADERS: usize = 50;
const MAX_IGNORED_HEADER_CHARS: usize = 100;

/// The columns of one sheet, from its header row.
#[derive(Debug, Default)]
pub(crate) struct ColumnMap {
    /// (0-based column, field), at most one entry per field.
    columns: Vec<(u32, Field)>,
    pub(crate) missing_required: Vec<Field>,
    pub(crate) ignored_headers: Vec<String>,
}

impl ColumnMap {
    /// Maps the non-blank header cells `(column, text)` of `kind`'s sheet, in
    /// column order. The leftmost of two headers for the same field wins.
    pub(crate) fn from_headers<'h>(
        kind: SheetKind,
        headers: impl IntoIterator<Item = (u32, &'h str)>,
    ) -> Self {
        let specs = columns(kind);
        let mut map = ColumnMap::default();
        for (column, text) in headers {
            let normalised = normalise_header(text);
            let field = specs
                .iter()
                .find(|spec| spec.aliases.contains(&normalised.as_str()))
                .map(|spec| spec.field)
                .filter(|field| map.field_column(*field).is_none());
            match field {
                Some(field) => map.columns.push((column, field)),
                None if map.ignored_headers.len() < MAX_IGNORED_HEADERS => {
                    map.ignored_headers
                        .push(storable_prefix(text.trim(), MAX_IGNORED_HEADER_CHARS));
                }
                None => {}
            }
        }
        map.missing_required = required_fields(kind)
            .filter(|field| map.field_column(*field).is_none())
            .collect();
        map
    }

    /// The sheet of `kind` had no header row at all.
    pub(crate) fn empty_sheet(kind: SheetKind) -> Self {
        ColumnMap {
            missing_required: required_fields(kind).collect(),
            ..ColumnMap::default()
        }
    }

    /// The field of a 0-based column, if it has one. A linear scan: a sheet
    /// has at most seven mapped columns.
    pub(crate) fn field_at(&self, column: u32) -> Option<Field> {
        self.columns
            .iter()
            .find(|(mapped, _)| *mapped == column)
            .map(|(_, field)| *field)
    }

    fn field_column(&self, field: Field) -> Option<u32> {
        self.columns
            .iter()
            .find(|(_, mapped)| *mapped == field)
            .map(|(column, _)| *column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_drops_case_spaces_and_punctuation() {
        for header in [
            "Tanggal Expired",
            "tanggal_expired",
            "TANGGAL-EXPIRED",
            " tanggal.expired ",
        ] {
            assert_eq!(normalise_header(header), "tanggalexpired", "{header}");
        }
        assert_eq!(normalise_header("Qty (pcs)"), "qtypcs");
        assert_eq!(normalise_header("Date (dd/mm/yyyy)"), "dateddmmyyyy");
        assert_eq!(normalise_header("IP / Domain"), "ipdomain");
    }

    #[test]
    fn maps_aliases_and_lists_unknown_headers() {
        let map = ColumnMap::from_headers(
            SheetKind::Hosts,
            [
                (0, "Nama"),
                (1, "Catatan"),
                (2, "IP / Domain"),
                (3, "PORT"),
                (4, "Tgl Expire"),
                (5, "Harga"),
                (6, "Mata Uang"),
            ],
        );
        assert_eq!(map.field_at(0), Some(Field::Name));
        assert_eq!(map.field_at(1), None);
        assert_eq!(map.field_at(2), Some(Field::Ip));
        assert_eq!(map.field_at(4), Some(Field::ExpireDate));
        assert_eq!(map.field_at(6), Some(Field::Currency));
        assert_eq!(map.ignored_headers, ["Catatan"]);
        assert!(map.missing_required.is_empty());
        let with_nul = ColumnMap::from_headers(SheetKind::Hosts, [(0, "Cat\0atan")]);
        assert_eq!(with_nul.ignored_headers, ["Cat\u{2400}atan"]);
    }

    #[test]
    fn tanggal_means_expiry_for_hosts_and_sale_date_for_accounts() {
        let hosts = ColumnMap::from_headers(SheetKind::Hosts, [(0, "Tanggal")]);
        let sales = ColumnMap::from_headers(SheetKind::AccountSales, [(0, "Tanggal")]);
        assert_eq!(hosts.field_at(0), Some(Field::ExpireDate));
        assert_eq!(sales.field_at(0), Some(Field::SoldAt));
    }

    #[test]
    fn the_leftmost_duplicate_wins_and_missing_required_columns_are_named() {
        let map = ColumnMap::from_headers(
            SheetKind::AccountSales,
            [(0, "Nama"), (1, "name"), (2, "Toko")],
        );
        assert_eq!(map.field_at(0), Some(Field::Name));
        assert_eq!(map.field_at(1), None);
        assert_eq!(map.ignored_headers, ["name"]);
        assert_eq!(map.missing_required, [Field::SoldAt]);
        assert_eq!(
            ColumnMap::empty_sheet(SheetKind::Hosts).missing_required,
            [Field::Name, Field::Ip, Field::Port]
        );
    }
}
