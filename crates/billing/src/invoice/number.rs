//! Invoice numbers: `INV-2026-000123`, gapless within a year. Taken in
//! `store::issue` by the statement that writes the invoice (the SQL there
//! formats them as [`format`] does).
//!
//! Not a sequence: a sequence skips the values of rolled-back transactions.
//! The year's counter row is raised by the transaction that issues the
//! invoice and stays locked until it commits or rolls back, so concurrent
//! checkouts take numbers one after another and a failed checkout gives its
//! number back.

pub fn format(year: i32, sequence: i32) -> String {
    format!("INV-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_zero_padded_to_six_digits_and_grow_past_them() {
        assert_eq!(super::format(2026, 123), "INV-2026-000123");
        assert_eq!(super::format(2027, 1_234_567), "INV-2027-1234567");
    }
}
