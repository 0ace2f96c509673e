//! Rows encoded in PostgreSQL's binary `COPY` format, so that an upload's
//! rows reach the row tables as one stream per batch: no statement to plan,
//! no arrays to unnest, no text to parse on the server.
//! <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>

use chrono::NaiveDate;
use uuid::Uuid;

/// `PGCOPY\n\377\r\n\0`, then the flags field and the header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The `text` type's oid, named in an array's header.
const TEXT_OID: i32 = 25;

/// The version byte before a `jsonb` value's text.
const JSONB_VERSION: u8 = 1;

/// PostgreSQL counts dates in days from 2000-01-01.
const POSTGRES_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a date"),
};

/// One `COPY … FROM STDIN (FORMAT binary)` stream being written: a row is
/// started with [`CopyRows::row`] and then given exactly its fields, in the
/// order the statement names the columns.
pub(super) struct CopyRows {
    bytes: Vec<u8>,
    fields: i16,
}

impl CopyRows {
    pub(super) fn new(fields: i16, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        bytes.extend_from_slice(HEADER);
        CopyRows { bytes, fields }
    }

    pub(super) fn row(&mut self) {
        self.bytes.extend_from_slice(&self.fields.to_be_bytes());
    }

    /// The stream with its trailer, ready to send.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&(-1_i16).to_be_bytes());
        self.bytes
    }

    pub(super) fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1_i32).to_be_bytes());
    }

    fn length(&mut self, length: usize) {
        // A field longer than 2 GB cannot come from a cell (32,767
        // characters at most); saturating keeps the stream well formed and
        // the server refuses it.
        let length = i32::try_from(length).unwrap_or(i32::MAX);
        self.bytes.extend_from_slice(&length.to_be_bytes());
    }

    pub(super) fn uuid(&mut self, value: Uuid) {
        self.length(16);
        self.bytes.extend_from_slice(value.as_bytes());
    }

    pub(super) fn int4(&mut self, value: i32) {
        self.length(4);
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(super) fn int8(&mut self, value: i64) {
        self.length(8);
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(super) fn bool(&mut self, value: bool) {
        self.length(1);
        self.bytes.push(u8::from(value));
    }

    pub(super) fn text(&mut self, value: &str) {
        self.length(value.len());
        self.bytes.extend_from_slice(value.as_bytes());
    }

    pub(super) fn date(&mut self, value: NaiveDate) {
        let days = (value - POSTGRES_EPOCH).num_days();
        // Every `NaiveDate` lies within ±262,143 years: its day count fits.
        self.int4(i32::try_from(days).unwrap_or(i32::MAX));
    }

    /// A `jsonb` value from its JSON text.
    pub(super) fn jsonb(&mut self, json: &str) {
        self.length(1 + json.len());
        self.bytes.push(JSONB_VERSION);
        self.bytes.extend_from_slice(json.as_bytes());
    }

    /// A one-dimensional `text[]` without nulls (empty: no dimensions).
    pub(super) fn text_array(&mut self, items: &[&str]) {
        let dimensions = i32::from(!items.is_empty());
        let length = 12
            + 8 * usize::from(!items.is_empty())
            + items.iter().map(|item| 4 + item.len()).sum::<usize>();
        self.length(length);
        self.bytes.extend_from_slice(&dimensions.to_be_bytes());
        // No null elements.
        self.bytes.extend_from_slice(&0_i32.to_be_bytes());
        self.bytes.extend_from_slice(&TEXT_OID.to_be_bytes());
        if !items.is_empty() {
            let count = i32::try_from(items.len()).unwrap_or(i32::MAX);
            self.bytes.extend_from_slice(&count.to_be_bytes());
            // Lower bound.
            self.bytes.extend_from_slice(&1_i32.to_be_bytes());
            for item in items {
                self.text(item);
            }
        }
    }

    /// `value` written by `write`, or null.
    pub(super) fn optional<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            Some(value) => write(self, value),
            None => self.null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_field_count_then_each_field_with_its_length() {
        let mut rows = CopyRows::new(4, 0);
        rows.row();
        rows.int4(7);
        rows.null();
        rows.text("ab");
        rows.date(NaiveDate::from_ymd_opt(2000, 1, 2).expect("a date"));
        let bytes = rows.finish();
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&[0, 4]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 2, b'a', b'b']);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 1]);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn a_text_array_has_its_header_then_its_elements() {
        let mut rows = CopyRows::new(1, 0);
        rows.text_array(&["x"]);
        rows.text_array(&[]);
        let bytes = rows.finish();
        let body = &bytes[HEADER.len()..bytes.len() - 2];
        let mut expected = vec![0, 0, 0, 25];
        expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25]);
        expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        expected.extend_from_slice(&[0, 0, 0, 1, b'x']);
        expected.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
        assert_eq!(body, expected.as_slice());
    }
}
