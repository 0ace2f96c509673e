//! The printable invoice end to end: documents rendered to HTML and PDF, and
//! the PDFs read back with an independent PDF reader (lopdf) — their pages,
//! their text as a reader extracts it — rather than trusted because the
//! writer returned bytes.

use billing::Lang;
use billing::invoice::document::{
    DocumentError, DocumentLine, DocumentPayment, DocumentStatus, InvoiceDocument, Party,
    render_html, render_pdf,
};
use chrono::{DateTime, TimeZone, Utc};
use domain::money::{Currency, Money};

fn rupiah(amount: i64) -> Money {
    Money::new(amount, Currency::Idr)
}

fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("a valid instant")
}

/// An unpaid two-line invoice with a discount and PPN included in the
/// prices, issued 17:30 UTC on 4 December — the 5th in Jakarta.
fn unpaid_invoice() -> InvoiceDocument {
    InvoiceDocument {
        number: "INV-2026-000123".to_owned(),
        status: DocumentStatus::Unpaid,
        issued_at: utc(2026, 12, 4, 17, 30),
        due_at: utc(2026, 12, 11, 17, 0),
        paid_at: None,
        time_zone: chrono_tz::Asia::Jakarta,
        seller: Party {
            name: "PT Juragan Hosting Nusantara".to_owned(),
            lines: vec![
                "Jl. Jend. Sudirman No. 1, Jakarta 10220".to_owned(),
                "billing@juragan.id".to_owned(),
                "+62 21 555 0100".to_owned(),
            ],
            tax_id: Some("01.234.567.8-901.000".to_owned()),
        },
        buyer: Party {
            name: "Budi Santoso".to_owned(),
            lines: vec![
                "Jl. Malioboro 12, Yogyakarta".to_owned(),
                "budi@example.id".to_owned(),
            ],
            tax_id: None,
        },
        lines: vec![
            DocumentLine {
                description: "Hosting Bisnis, 12 bulan (budi.id)".to_owned(),
                quantity: 1,
                unit: rupiah(1_200_000),
                amount: rupiah(1_200_000),
            },
            DocumentLine {
                description: "Domain budi.id, 1 tahun".to_owned(),
                quantity: 1,
                unit: rupiah(300_000),
                amount: rupiah(300_000),
            },
        ],
        subtotal: rupiah(1_500_000),
        discount: rupiah(100_000),
        tax: rupiah(138_739),
        tax_rate_bp: 1100,
        prices_include_tax: true,
        total: rupiah(1_400_000),
        amount_paid: rupiah(0),
        balance_due: rupiah(1_400_000),
        payments: Vec::new(),
        notes: Some("Terima kasih atas kepercayaan Anda.".to_owned()),
    }
}

/// The same invoice, paid by bank transfer at 09:15 WIB on 6 December.
fn paid_invoice() -> InvoiceDocument {
    let paid_at = utc(2026, 12, 6, 2, 15);
    InvoiceDocument {
        status: DocumentStatus::Paid,
        paid_at: Some(paid_at),
        amount_paid: rupiah(1_400_000),
        balance_due: rupiah(0),
        payments: vec![DocumentPayment {
            at: paid_at,
            method: "Transfer BCA".to_owned(),
            reference: "MT-8812-XYZ".to_owned(),
            amount: rupiah(1_400_000),
        }],
        ..unpaid_invoice()
    }
}

fn invoice_with_lines(count: usize) -> InvoiceDocument {
    let lines: Vec<DocumentLine> = (1..=count)
        .map(|index| DocumentLine {
            description: format!("VPS KVM 2 vCPU / 4 GB, server nomor {index}"),
            quantity: 1,
            unit: rupiah(150_000),
            amount: rupiah(150_000),
        })
        .collect();
    let sum = rupiah(150_000 * count as i64);
    InvoiceDocument {
        lines,
        subtotal: sum,
        discount: rupiah(0),
        tax: rupiah(150_000 * count as i64 * 11 / 100),
        prices_include_tax: false,
        total: rupiah(150_000 * count as i64 * 111 / 100),
        balance_due: rupiah(150_000 * count as i64 * 111 / 100),
        ..unpaid_invoice()
    }
}

/// A rendered PDF as a reader sees it.
struct ReadPdf {
    bytes: Vec<u8>,
    document: lopdf::Document,
}

impl ReadPdf {
    fn render(doc: &InvoiceDocument, lang: Lang) -> ReadPdf {
        let bytes = render_pdf(doc, lang).expect("a consistent invoice renders");
        let document = lopdf::Document::load_mem(&bytes).expect("the PDF parses");
        ReadPdf { bytes, document }
    }

    fn page_count(&self) -> u32 {
        self.document.get_pages().len() as u32
    }

    fn page_text(&self, page: u32) -> String {
        self.document
            .extract_text(&[page])
            .expect("the page's text extracts")
    }

    fn text(&self) -> String {
        (1..=self.page_count())
            .map(|page| self.page_text(page))
            .collect()
    }
}

#[test]
fn pdf_is_an_a4_file_a_reader_opens_showing_number_buyer_and_total() {
    let pdf = ReadPdf::render(&unpaid_invoice(), Lang::Id);

    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(pdf.bytes.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(pdf.page_count(), 1);
    let (_, page_id) = pdf
        .document
        .get_pages()
        .into_iter()
        .next()
        .expect("one page");
    let page = pdf
        .document
        .get_dictionary(page_id)
        .expect("the page is a dictionary");
    let media_box: Vec<f32> = page
        .get(b"MediaBox")
        .and_then(lopdf::Object::as_array)
        .expect("the page has a media box")
        .iter()
        .map(|value| value.as_float().expect("a number"))
        .collect();
    assert!((media_box[2] - 595.28).abs() < 0.5 && (media_box[3] - 841.89).abs() < 0.5);

    let text = pdf.text();
    for expected in [
        "INV-2026-000123",
        "Budi Santoso",
        "PT Juragan Hosting Nusantara",
        "Hosting Bisnis, 12 bulan (budi.id)",
        "Rp 1.400.000",
        "-Rp 100.000",
        "NPWP: 01.234.567.8-901.000",
        "Halaman 1/1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
}

#[test]
fn sixty_lines_flow_onto_further_pages_under_a_repeated_header() {
    let pdf = ReadPdf::render(&invoice_with_lines(60), Lang::Id);

    let pages = pdf.page_count();
    assert!(pages >= 2, "60 lines fit on {pages} page(s)");
    for page in 1..=pages {
        let text = pdf.page_text(page);
        assert!(
            text.contains(&format!("Halaman {page}/{pages}")),
            "page {page}: {text}"
        );
        if page > 1 {
            assert!(
                text.contains("FAKTUR INV-2026-000123 (lanjutan)"),
                "page {page}: {text}"
            );
        }
    }
    // Each page with rows opens with the table's header.
    let pages_with_header = (1..=pages)
        .filter(|&page| pdf.page_text(page).contains("Harga satuan"))
        .count();
    assert!(
        pages_with_header >= 2,
        "header on {pages_with_header} page(s)"
    );

    // Every row is printed once, in order, and the sums follow the last.
    let text = pdf.text();
    let mut from = 0;
    for index in 1..=60 {
        let row = format!("server nomor {index}\n");
        let at = text[from..]
            .find(&row)
            .unwrap_or_else(|| panic!("row {index} missing or out of order"));
        from += at + row.len();
    }
    assert_eq!(text.matches("server nomor 7\n").count(), 1);
    assert!(
        text[from..].contains("Rp 9.990.000"),
        "total after the rows"
    );
}

#[test]
fn long_descriptions_wrap_instead_of_running_off_the_page() {
    let words = "Migrasi situs WordPress lengkap dengan database, email, dan sertifikat SSL";
    let mut doc = unpaid_invoice();
    doc.lines[0].description = format!("{words}. {words}. {words}.");
    doc.lines[1].description = "https://".to_owned() + &"sangat-panjang-".repeat(20);
    let pdf = ReadPdf::render(&doc, Lang::Id);

    let text = pdf.text();
    // The reader gives each wrapped line as its own run: the description
    // arrives in several pieces, all there.
    let first_row: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("Migrasi"))
        .take_while(|line| !line.starts_with("https://"))
        .filter(|line| !line.starts_with("Rp ") && *line != "1")
        .collect();
    assert!(first_row.len() >= 3, "{first_row:?}");
    assert_eq!(first_row.join(" "), doc.lines[0].description);
    let url_pieces = text
        .lines()
        .filter(|line| line.contains("sangat-panjang"))
        .count();
    assert!(url_pieces >= 2, "a 300-character word is broken: {text}");
}

#[test]
fn hostile_text_is_escaped_in_html() {
    let mut doc = unpaid_invoice();
    doc.buyer.name = "<script>alert(1)</script>".to_owned();
    doc.buyer.lines = vec!["\"><img src=x onerror=alert(2)>".to_owned()];
    doc.lines[0].description = "Paket </td></tr></table><b>gratis</b> & 'lainnya'".to_owned();
    doc.notes = Some("</main><style>body{display:none}</style>".to_owned());
    doc.number = "INV-<1>".to_owned();

    let html = render_html(&doc, Lang::Id);

    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("Paket &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;b&gt;gratis&lt;/b&gt; &amp; &#39;lainnya&#39;"));
    assert!(html.contains("&lt;/main&gt;&lt;style&gt;body{display:none}&lt;/style&gt;"));
    assert!(html.contains("<title>FAKTUR INV-&lt;1&gt;</title>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>"));
    assert_eq!(html.matches("</main>").count(), 1);
    assert_eq!(html.matches("<style>").count(), 1);
}

#[test]
fn html_is_a_standalone_printable_page() {
    let html = render_html(&paid_invoice(), Lang::En);

    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("@media print"));
    assert!(html.contains("size: A4"));
    for external in [
        "<script", "<link", "src=", "url(", "@import", "http://", "https://",
    ] {
        assert!(!html.contains(external), "{external} in a standalone page");
    }
    // Times carry the shop's zone; 02:15 UTC is 09:15 in Jakarta.
    assert!(html.contains("6 Dec 2026 09:15 WIB"));
}

#[test]
fn hostile_text_does_not_break_the_pdf() {
    let mut doc = unpaid_invoice();
    doc.buyer.name = r"Budi (Jr.) \ ) ( \\ Łukasz 😀 日本".to_owned();
    doc.buyer.lines = vec![")))".to_owned(), r"\".to_owned(), "((".to_owned()];
    doc.lines[0].description =
        "endstream endobj %%EOF trailer << /Type /Catalog >> \u{0} \u{7}".to_owned();
    doc.notes = Some("Catatan: café, naïve – “kutip” €5\r\nbaris kedua".to_owned());

    let pdf = ReadPdf::render(&doc, Lang::Id);

    let text = pdf.text();
    // What Helvetica can show arrives intact; what it cannot is '?', one per
    // character, and nothing around it is lost.
    assert!(text.contains(r"Budi (Jr.) \ ) ( \\ ?ukasz ? ??"), "{text}");
    assert!(text.contains(")))"));
    assert!(text.contains("endstream endobj %%EOF trailer << /Type /Catalog >>"));
    assert!(text.contains("Catatan: café, naïve – “kutip” €5"), "{text}");
    assert!(text.contains("baris kedua"));
    assert!(text.contains("Rp 1.400.000"));
    assert_eq!(pdf.page_count(), 1);
}

#[test]
fn each_language_prints_its_own_labels_and_dates() {
    let doc = paid_invoice();
    let indonesian = [
        "FAKTUR",
        "Jatuh tempo",
        "Tanggal terbit",
        "Ditagihkan kepada",
        "Deskripsi",
        "Harga satuan",
        "Diskon",
        "PPN 11% (termasuk)",
        "Total",
        "Sudah dibayar",
        "Sisa tagihan",
        "Pembayaran",
        "Catatan",
        "5 Des 2026",
        "12 Des 2026",
        "6 Des 2026 09:15 WIB",
    ];
    let english = [
        "INVOICE",
        "Due date",
        "Issue date",
        "Bill to",
        "Description",
        "Unit price",
        "Discount",
        "VAT 11% (included)",
        "Total",
        "Amount paid",
        "Balance due",
        "Payments",
        "Notes",
        "5 Dec 2026",
        "12 Dec 2026",
        "6 Dec 2026 09:15 WIB",
    ];

    for (lang, own, other) in [
        (Lang::Id, &indonesian, &english),
        (Lang::En, &english, &indonesian),
    ] {
        let html = render_html(&doc, lang);
        let pdf_text = ReadPdf::render(&doc, lang).text();
        for label in own {
            assert!(html.contains(label), "{lang:?} HTML lacks {label:?}");
            // The PDF reader reads upper-cased labels as they are drawn.
            let in_pdf = pdf_text.contains(label) || pdf_text.contains(&label.to_uppercase());
            assert!(in_pdf, "{lang:?} PDF lacks {label:?}: {pdf_text}");
        }
        for label in ["Jatuh tempo", "Due date", "Sisa tagihan", "Balance due"] {
            if !own.contains(&label) {
                assert!(!html.contains(label), "{lang:?} HTML has {label:?}");
                assert!(!pdf_text.contains(label), "{lang:?} PDF has {label:?}");
            }
        }
        assert!(other.iter().any(|label| !html.contains(label)));
    }
}

#[test]
fn tax_added_on_top_is_labelled_without_included() {
    let doc = invoice_with_lines(2);
    let html = render_html(&doc, Lang::Id);
    assert!(html.contains("PPN 11%<"), "plain PPN row");
    assert!(!html.contains("termasuk"));
    assert!(ReadPdf::render(&doc, Lang::En).text().contains("VAT 11%\n"));
}

#[test]
fn the_paid_stamp_appears_only_on_a_paid_invoice() {
    let paid_html = render_html(&paid_invoice(), Lang::Id);
    let unpaid_html = render_html(&unpaid_invoice(), Lang::Id);
    assert!(paid_html.contains("<div class=\"stamp stamp-paid\">LUNAS</div>"));
    assert!(!unpaid_html.contains("class=\"stamp"));
    assert!(!unpaid_html.contains("LUNAS"));

    assert!(
        ReadPdf::render(&paid_invoice(), Lang::Id)
            .text()
            .contains("LUNAS")
    );
    assert!(
        ReadPdf::render(&paid_invoice(), Lang::En)
            .text()
            .contains("PAID")
    );
    let unpaid_pdf = ReadPdf::render(&unpaid_invoice(), Lang::Id).text();
    assert!(!unpaid_pdf.contains("LUNAS"), "{unpaid_pdf}");
    let unpaid_pdf = ReadPdf::render(&unpaid_invoice(), Lang::En).text();
    assert!(!unpaid_pdf.contains("PAID"), "{unpaid_pdf}");

    // A cancelled invoice says so, and never that it was paid.
    let cancelled = InvoiceDocument {
        status: DocumentStatus::Cancelled,
        ..unpaid_invoice()
    };
    let cancelled_pdf = ReadPdf::render(&cancelled, Lang::Id).text();
    assert!(cancelled_pdf.contains("DIBATALKAN"));
    assert!(!cancelled_pdf.contains("LUNAS"));
    assert!(!render_html(&cancelled, Lang::En).contains(">PAID<"));
}

#[test]
fn an_invoice_mixing_currencies_or_with_a_negative_discount_is_not_printed() {
    let mut mixed = unpaid_invoice();
    mixed.lines[1].amount = Money::new(1_250, Currency::Usd);
    assert_eq!(
        render_pdf(&mixed, Lang::Id),
        Err(DocumentError::MixedCurrencies {
            field: "line 2 amount".to_owned(),
            expected: Currency::Idr,
            found: Currency::Usd,
        })
    );

    let mut negative = unpaid_invoice();
    negative.discount = rupiah(-5_000);
    assert_eq!(
        render_pdf(&negative, Lang::Id),
        Err(DocumentError::NegativeDiscount(rupiah(-5_000)))
    );
    assert_eq!(unpaid_invoice().check(), Ok(()));
}

#[test]
fn dollar_invoices_print_cents() {
    let usd = |minor| Money::new(minor, Currency::Usd);
    let doc = InvoiceDocument {
        lines: vec![DocumentLine {
            description: "Dedicated server, 1 month".to_owned(),
            quantity: 3,
            unit: usd(4_150),
            amount: usd(12_450),
        }],
        subtotal: usd(12_450),
        discount: usd(0),
        tax: usd(0),
        tax_rate_bp: 0,
        prices_include_tax: false,
        total: usd(12_450),
        amount_paid: usd(0),
        balance_due: usd(12_450),
        ..unpaid_invoice()
    };
    let text = ReadPdf::render(&doc, Lang::En).text();
    assert!(text.contains("US$ 41,50"));
    assert!(text.contains("US$ 124,50"));
    // No tax, no discount: neither row is printed.
    assert!(!text.contains("VAT"));
    assert!(!text.contains("Discount"));
}

#[test]
fn the_same_invoice_renders_the_same_bytes() {
    let doc = invoice_with_lines(10);
    assert_eq!(render_pdf(&doc, Lang::Id), render_pdf(&doc, Lang::Id));
    assert_eq!(render_html(&doc, Lang::Id), render_html(&doc, Lang::Id));
}

#[test]
fn a_description_or_notes_longer_than_a_page_continue_on_the_next() {
    let mut doc = unpaid_invoice();
    doc.lines[0].description = (1..=500).map(|word| format!("kata{word} ")).collect();
    doc.notes = Some(
        (1..=120)
            .map(|line| format!("catatan baris {line}\n"))
            .collect(),
    );

    let pdf = ReadPdf::render(&doc, Lang::Id);

    let pages = pdf.page_count();
    assert!(pages >= 3, "{pages} page(s)");
    let text = pdf.text();
    for word in [
        "kata1 ",
        "kata250 ",
        "kata500",
        "catatan baris 1\n",
        "catatan baris 120",
    ] {
        assert!(text.contains(word), "{word:?} lost");
    }
    assert!(
        pdf.page_text(pages)
            .contains(&format!("Halaman {pages}/{pages}"))
    );
}
