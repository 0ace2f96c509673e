//! Invoice numbers: `INV-2026-000123`, gapless within a year, formatted as
//! [`format`] does.
//!
//! Not a sequence: a sequence skips the values of rolled-back transactions.
//! The year's counter row (`invoice_counter`) is raised for each invoice by
//! the transaction that issues it and stays locked until that transaction
//! commits or rolls back, so a failed checkout gives its number back.
//!
//! The number is taken at commit (the deferred trigger
//! `invoice_number_at_commit`, migration `invoice_number_at_commit`): until
//! then the invoice carries a provisional `INV-2026-P<id>`. Taken when the
//! invoice was written, the counter stayed locked across every statement
//! the checkout ran after it, each a round trip to the application, and
//! concurrent checkouts queued behind one another for those round trips; at
//! commit it is locked for the trigger and the WAL flush only. Numbers
//! follow the order in which invoices are committed.

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
