//! Invoice numbers: `INV-2026-000123`, gapless within a year, the count
//! zero-padded to six digits and growing past them (`INV-2027-1234567`).
//! They are written by the database only (the trigger below), so this
//! module holds no code: it is where the scheme is explained.
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
