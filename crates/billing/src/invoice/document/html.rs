//! The invoice as one standalone HTML page: inline CSS sized for A4 with
//! print rules, no script, no external resource (it must print the same
//! offline and from an email attachment). Every text that came from a
//! person — names, addresses, descriptions, notes, references — is escaped.

use std::fmt::{self, Write};

use super::labels::Labels;
use super::{InvoiceDocument, Party, meta_rows, notes, party_lines, summary_rows};
use crate::Lang;

/// The invoice as a complete HTML document in `lang`.
pub fn render_html(doc: &InvoiceDocument, lang: Lang) -> String {
    let mut html = String::with_capacity(8 * 1024 + doc.lines.len() * 256);
    // Writing into a String cannot fail: fmt::Write for String always
    // returns Ok, so there is no error to hand on.
    let _infallible = write_document(&mut html, doc, lang);
    html
}

/// Text made safe for HTML element content and quoted attribute values.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(index) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..index])?;
            f.write_str(match rest.as_bytes()[index] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[index + 1..];
        }
        f.write_str(rest)
    }
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 14mm 16mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e9ebee; color: #1f2328;
  font: 10pt/1.4 "Helvetica Neue", Helvetica, Arial, sans-serif; }
.sheet { position: relative; width: 210mm; min-height: 297mm; margin: 8mm auto;
  padding: 14mm; background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.2); }
h1, h2, h3, p { margin: 0; }
.top { display: flex; justify-content: space-between; gap: 12mm; }
.seller { flex: 1; min-width: 0; }
.seller h2 { font-size: 14pt; overflow-wrap: anywhere; }
.muted, .seller p, .buyer p { color: #57606a; }
.party-lines, .notes p { overflow-wrap: anywhere; }
.meta { text-align: right; }
.meta h1 { font-size: 22pt; letter-spacing: .04em; margin-bottom: 3mm; }
.meta table { margin-left: auto; border-collapse: collapse; }
.meta th { text-align: left; font-weight: normal; color: #57606a; padding: 0 6mm 0 0; }
.meta td { text-align: right; font-weight: bold; padding: 0; }
.parties { position: relative; margin: 9mm 0 7mm; min-height: 22mm; }
.buyer h3 { font-size: 8pt; text-transform: uppercase; letter-spacing: .06em; color: #57606a; }
.buyer { max-width: 62%; }
.buyer .name { font-size: 11pt; font-weight: bold; color: #1f2328; overflow-wrap: anywhere; }
.stamp { position: absolute; right: 8mm; top: 2mm; padding: 1mm 4mm; border: 2.5pt solid;
  border-radius: 2mm; font-size: 24pt; font-weight: bold; letter-spacing: .08em;
  transform: rotate(-12deg); opacity: .85; }
.stamp-paid { color: #1a7f37; }
.stamp-cancelled { color: #b42318; }
.stamp-refunded { color: #6e7781; }
table.rows { width: 100%; border-collapse: collapse; }
table.rows th { background: #eef0f3; font-size: 8.5pt; text-align: left; padding: 2mm; }
table.rows td { padding: 2mm; border-bottom: .5pt solid #d0d7de; vertical-align: top; }
table.rows .desc { overflow-wrap: anywhere; white-space: pre-line; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.num { text-align: right !important; white-space: nowrap; }
table.summary { margin: 4mm 0 0 auto; border-collapse: collapse; min-width: 80mm; }
table.summary th { text-align: left; font-weight: normal; padding: 1mm 8mm 1mm 0; }
table.summary td { text-align: right; padding: 1mm 2mm 1mm 0; white-space: nowrap; }
table.summary tr.strong th, table.summary tr.strong td { font-weight: bold; }
table.summary tr.total th, table.summary tr.total td { border-top: 1pt solid #1f2328; padding-top: 2mm; }
section.payments, section.notes { margin-top: 8mm; break-inside: avoid-page; }
section h3 { font-size: 10pt; margin-bottom: 2mm; }
.notes p { white-space: pre-line; }
@media print {
  body { background: none; }
  .sheet { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
"#;

fn write_document(out: &mut String, doc: &InvoiceDocument, lang: Lang) -> fmt::Result {
    let labels = Labels::of(lang);
    let number = Escaped(&doc.number);
    writeln!(out, "<!doctype html>")?;
    writeln!(out, "<html lang=\"{}\">", lang.as_str())?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>{} {number}</title>", labels.title)?;
    // Page numbers in the printed margin, where the engine supports margin
    // boxes; the label is ours, so it needs no escaping.
    writeln!(
        out,
        "<style>{STYLE}@page {{ @bottom-right {{ content: \"{} \" counter(page) \"/\" counter(pages); \
         font: 8pt Helvetica, Arial, sans-serif; color: #57606a; }} }}\n</style>",
        labels.page
    )?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<main class=\"sheet\">")?;

    writeln!(out, "<header class=\"top\">")?;
    writeln!(out, "<section class=\"seller\">")?;
    writeln!(out, "<h2>{}</h2>", Escaped(&doc.seller.name))?;
    write_party_lines(out, &doc.seller, labels)?;
    writeln!(out, "</section>")?;
    writeln!(out, "<section class=\"meta\">")?;
    writeln!(out, "<h1>{}</h1>", labels.title)?;
    writeln!(out, "<table>")?;
    for (label, value) in meta_rows(doc, labels) {
        writeln!(out, "<tr><th>{label}</th><td>{}</td></tr>", Escaped(&value))?;
    }
    writeln!(out, "</table>")?;
    writeln!(out, "</section>")?;
    writeln!(out, "</header>")?;

    writeln!(out, "<section class=\"parties\">")?;
    writeln!(out, "<div class=\"buyer\">")?;
    writeln!(out, "<h3>{}</h3>", labels.bill_to)?;
    writeln!(out, "<p class=\"name\">{}</p>", Escaped(&doc.buyer.name))?;
    write_party_lines(out, &doc.buyer, labels)?;
    writeln!(out, "</div>")?;
    if let Some(stamp) = labels.stamp(doc.status) {
        let kind = match doc.status {
            super::DocumentStatus::Cancelled => "cancelled",
            super::DocumentStatus::Refunded => "refunded",
            super::DocumentStatus::Paid | super::DocumentStatus::Unpaid => "paid",
        };
        writeln!(out, "<div class=\"stamp stamp-{kind}\">{stamp}</div>")?;
    }
    writeln!(out, "</section>")?;

    writeln!(out, "<table class=\"rows lines\">")?;
    writeln!(
        out,
        "<thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>",
        labels.description, labels.quantity, labels.unit_price, labels.amount
    )?;
    writeln!(out, "<tbody>")?;
    for line in &doc.lines {
        writeln!(
            out,
            "<tr><td class=\"desc\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Escaped(&line.description),
            line.quantity,
            line.unit,
            line.amount
        )?;
    }
    writeln!(out, "</tbody>")?;
    writeln!(out, "</table>")?;

    writeln!(out, "<table class=\"summary\">")?;
    for row in summary_rows(doc, labels) {
        let class = match (row.strong, row.rule_above) {
            (true, true) => " class=\"strong total\"",
            (true, false) => " class=\"strong\"",
            (false, true) => " class=\"total\"",
            (false, false) => "",
        };
        writeln!(
            out,
            "<tr{class}><th>{}</th><td>{}</td></tr>",
            Escaped(&row.label),
            Escaped(&row.amount)
        )?;
    }
    writeln!(out, "</table>")?;

    if !doc.payments.is_empty() {
        writeln!(out, "<section class=\"payments\">")?;
        writeln!(out, "<h3>{}</h3>", labels.payments)?;
        writeln!(out, "<table class=\"rows\">")?;
        writeln!(
            out,
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr></thead>",
            labels.payment_date, labels.payment_method, labels.payment_reference, labels.amount
        )?;
        writeln!(out, "<tbody>")?;
        for payment in &doc.payments {
            writeln!(
                out,
                "<tr><td>{}</td><td class=\"desc\">{}</td><td class=\"desc\">{}</td><td class=\"num\">{}</td></tr>",
                Escaped(&labels.date_time(payment.at, doc.time_zone)),
                Escaped(&payment.method),
                Escaped(&payment.reference),
                payment.amount
            )?;
        }
        writeln!(out, "</tbody>")?;
        writeln!(out, "</table>")?;
        writeln!(out, "</section>")?;
    }

    if let Some(notes) = notes(doc) {
        writeln!(out, "<section class=\"notes\">")?;
        writeln!(out, "<h3>{}</h3>", labels.notes)?;
        writeln!(out, "<p>{}</p>", Escaped(notes))?;
        writeln!(out, "</section>")?;
    }

    writeln!(out, "</main>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

fn write_party_lines(out: &mut String, party: &Party, labels: &Labels) -> fmt::Result {
    let lines = party_lines(party, labels);
    if lines.is_empty() {
        return Ok(());
    }
    write!(out, "<p class=\"party-lines\">")?;
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            write!(out, "<br>")?;
        }
        write!(out, "{}", Escaped(line))?;
    }
    writeln!(out, "</p>")
}

#[cfg(test)]
mod tests {
    use super::Escaped;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            Escaped(r#"<a href="x" title='y'>Tom & Jerry</a>"#).to_string(),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(Escaped("Budi Santoso").to_string(), "Budi Santoso");
    }
}
