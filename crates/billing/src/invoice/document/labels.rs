//! The invoice's words in each language, and its dates: "5 Des 2026" in
//! Indonesian, "5 Dec 2026" in English, always on the shop's calendar, with
//! the zone's abbreviation (WIB) wherever a time of day is shown.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::DocumentStatus;
use crate::Lang;

pub(super) struct Labels {
    pub title: &'static str,
    pub number: &'static str,
    pub issued: &'static str,
    pub due: &'static str,
    pub status: &'static str,
    pub paid_on: &'static str,
    pub bill_to: &'static str,
    pub tax_id: &'static str,
    pub description: &'static str,
    pub quantity: &'static str,
    pub unit_price: &'static str,
    pub amount: &'static str,
    pub subtotal: &'static str,
    pub discount: &'static str,
    pub total: &'static str,
    pub amount_paid: &'static str,
    pub balance_due: &'static str,
    pub payments: &'static str,
    pub payment_date: &'static str,
    pub payment_method: &'static str,
    pub payment_reference: &'static str,
    pub notes: &'static str,
    pub page: &'static str,
    pub continued: &'static str,
    vat: &'static str,
    included: &'static str,
    decimal_separator: char,
    months: [&'static str; 12],
    statuses: [&'static str; 4],
    stamps: [&'static str; 3],
}

const INDONESIAN: Labels = Labels {
    title: "FAKTUR",
    number: "Nomor",
    issued: "Tanggal terbit",
    due: "Jatuh tempo",
    status: "Status",
    paid_on: "Dibayar pada",
    bill_to: "Ditagihkan kepada",
    tax_id: "NPWP",
    description: "Deskripsi",
    quantity: "Jml",
    unit_price: "Harga satuan",
    amount: "Jumlah",
    subtotal: "Subtotal",
    discount: "Diskon",
    total: "Total",
    amount_paid: "Sudah dibayar",
    balance_due: "Sisa tagihan",
    payments: "Pembayaran",
    payment_date: "Tanggal",
    payment_method: "Metode",
    payment_reference: "Referensi",
    notes: "Catatan",
    page: "Halaman",
    continued: "lanjutan",
    vat: "PPN",
    included: "termasuk",
    decimal_separator: ',',
    months: [
        "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
    ],
    statuses: ["Belum dibayar", "Lunas", "Dibatalkan", "Dikembalikan"],
    stamps: ["LUNAS", "DIBATALKAN", "DIKEMBALIKAN"],
};

const ENGLISH: Labels = Labels {
    title: "INVOICE",
    number: "Number",
    issued: "Issue date",
    due: "Due date",
    status: "Status",
    paid_on: "Paid on",
    bill_to: "Bill to",
    tax_id: "Tax ID (NPWP)",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    amount: "Amount",
    subtotal: "Subtotal",
    discount: "Discount",
    total: "Total",
    amount_paid: "Amount paid",
    balance_due: "Balance due",
    payments: "Payments",
    payment_date: "Date",
    payment_method: "Method",
    payment_reference: "Reference",
    notes: "Notes",
    page: "Page",
    continued: "continued",
    vat: "VAT",
    included: "included",
    decimal_separator: '.',
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    statuses: ["Unpaid", "Paid", "Cancelled", "Refunded"],
    stamps: ["PAID", "CANCELLED", "REFUNDED"],
};

impl Labels {
    pub fn of(lang: Lang) -> &'static Labels {
        match lang {
            Lang::Id => &INDONESIAN,
            Lang::En => &ENGLISH,
        }
    }

    /// "5 Des 2026": the shop's calendar day of `at`.
    pub fn date(&self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        let month = self.months[local.month0() as usize];
        format!("{} {month} {}", local.day(), local.year())
    }

    /// "5 Des 2026 14:30 WIB": a time is meaningless without its zone.
    pub fn date_time(&self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        format!("{} {}", self.date(at, zone), local.format("%H:%M %Z"))
    }

    /// "PPN 11%", "PPN 11% (termasuk)", "VAT 11.5%".
    pub fn tax(&self, rate_bp: u32, included: bool) -> String {
        let whole = rate_bp / 100;
        let hundredths = rate_bp % 100;
        let rate = if hundredths == 0 {
            format!("{whole}")
        } else {
            let fraction = format!("{hundredths:02}");
            let fraction = fraction.trim_end_matches('0');
            format!("{whole}{}{fraction}", self.decimal_separator)
        };
        if included {
            format!("{} {rate}% ({})", self.vat, self.included)
        } else {
            format!("{} {rate}%", self.vat)
        }
    }

    pub fn status_name(&self, status: DocumentStatus) -> &'static str {
        self.statuses[match status {
            DocumentStatus::Unpaid => 0,
            DocumentStatus::Paid => 1,
            DocumentStatus::Cancelled => 2,
            DocumentStatus::Refunded => 3,
        }]
    }

    /// The word stamped across a settled invoice; an unpaid one has none.
    pub fn stamp(&self, status: DocumentStatus) -> Option<&'static str> {
        match status {
            DocumentStatus::Unpaid => None,
            DocumentStatus::Paid => Some(self.stamps[0]),
            DocumentStatus::Cancelled => Some(self.stamps[1]),
            DocumentStatus::Refunded => Some(self.stamps[2]),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_are_on_the_shop_calendar_in_each_language() {
        // 17:30 UTC on 4 December is already the 5th in Jakarta (UTC+7).
        let at = Utc
            .with_ymd_and_hms(2026, 12, 4, 17, 30, 0)
            .single()
            .expect("a valid instant");
        let jakarta = Tz::Asia__Jakarta;
        assert_eq!(Labels::of(Lang::Id).date(at, jakarta), "5 Des 2026");
        assert_eq!(Labels::of(Lang::En).date(at, jakarta), "5 Dec 2026");
        assert_eq!(
            Labels::of(Lang::Id).date_time(at, jakarta),
            "5 Des 2026 00:30 WIB"
        );
        assert_eq!(
            Labels::of(Lang::En).date_time(at, Tz::Asia__Makassar),
            "5 Dec 2026 01:30 WITA"
        );
    }

    #[test]
    fn tax_rate_reads_as_a_percentage_in_each_language() {
        let id = Labels::of(Lang::Id);
        let en = Labels::of(Lang::En);
        assert_eq!(id.tax(1100, true), "PPN 11% (termasuk)");
        assert_eq!(id.tax(1100, false), "PPN 11%");
        assert_eq!(en.tax(1100, true), "VAT 11% (included)");
        assert_eq!(id.tax(1150, false), "PPN 11,5%");
        assert_eq!(en.tax(1205, false), "VAT 12.05%");
    }
}
