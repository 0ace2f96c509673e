//! The invoice as an A4 PDF, laid out by hand on `pdf-writer`: the seller
//! and the invoice's dates at the top, the buyer and a stamp for a settled
//! invoice, the lines table (descriptions wrapped, rows flowing onto further
//! pages under a repeated header), the sums, the payments and the notes, and
//! "Halaman 1/2" at the foot of every page. Text is set in the built-in
//! Helvetica (see `helvetica` for what that cannot print).

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::helvetica::{Face, encode, wrap};
use super::labels::Labels;
use super::{
    DocumentError, DocumentStatus, InvoiceDocument, Party, meta_rows, notes, party_lines,
    summary_rows,
};
use crate::Lang;

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 48.0;
const RIGHT: f32 = PAGE_WIDTH - 48.0;
const TOP: f32 = PAGE_HEIGHT - 48.0;
/// Lowest point content may reach; the footer sits below it.
const BOTTOM: f32 = 64.0;
const FOOTER_BASELINE: f32 = 36.0;

const BODY: f32 = 9.0;
const LEADING: f32 = 12.0;
const CELL_PADDING: f32 = 5.0;
const HEAD_HEIGHT: f32 = 18.0;

const TEXT_GRAY: f32 = 0.12;
const MUTED_GRAY: f32 = 0.38;
const RULE_GRAY: f32 = 0.8;
const HEAD_FILL_GRAY: f32 = 0.93;

/// The invoice as PDF bytes in `lang`, after [`InvoiceDocument::check`].
pub fn render_pdf(doc: &InvoiceDocument, lang: Lang) -> Result<Vec<u8>, DocumentError> {
    doc.check()?;
    let labels = Labels::of(lang);
    let mut pages = Pages::new(format!(
        "{} {} ({})",
        labels.title, doc.number, labels.continued
    ));
    draw_header(&mut pages, doc, labels);
    draw_lines(&mut pages, doc, labels);
    draw_summary(&mut pages, doc, labels);
    draw_payments(&mut pages, doc, labels);
    draw_notes(&mut pages, doc, labels);
    Ok(write_pdf(pages.finish(), doc, labels, lang))
}

/// How a piece of text is set.
#[derive(Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    gray: f32,
}

const REGULAR: Style = Style {
    face: Face::Regular,
    size: BODY,
    gray: TEXT_GRAY,
};
const MUTED: Style = Style {
    gray: MUTED_GRAY,
    ..REGULAR
};
const BOLD: Style = Style {
    face: Face::Bold,
    ..REGULAR
};

impl Style {
    fn sized(self, size: f32) -> Style {
        Style { size, ..self }
    }

    fn width(self, text: &[u8]) -> f32 {
        self.face.width(text, self.size)
    }

    fn wrap(self, text: &str, max_width: f32) -> Vec<Vec<u8>> {
        wrap(text, self.face, self.size, max_width)
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// A table column: its text runs from `left` to `right`.
#[derive(Clone)]
struct Column {
    label: &'static str,
    left: f32,
    right: f32,
    align: Align,
}

impl Column {
    fn width(&self) -> f32 {
        self.right - self.left
    }

    fn x_for(&self, text: &[u8], style: Style) -> f32 {
        match self.align {
            Align::Left => self.left,
            Align::Right => self.right - style.width(text),
        }
    }
}

/// The pages written so far and where the next thing goes on the last one.
struct Pages {
    done: Vec<Content>,
    page: Content,
    /// Top of the free space on the current page.
    y: f32,
    /// Printed at the top of every page after the first.
    continuation_title: Vec<u8>,
    /// The header of the table being drawn, repeated on each new page.
    table_head: Option<Vec<Column>>,
}

impl Pages {
    fn new(continuation_title: String) -> Self {
        Pages {
            done: Vec::new(),
            page: Content::new(),
            y: TOP,
            continuation_title: encode(&continuation_title),
            table_head: None,
        }
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, text: &[u8]) {
        show_text(&mut self.page, x, baseline, style, text);
    }

    fn text_right(&mut self, right: f32, baseline: f32, style: Style, text: &[u8]) {
        self.text(right - style.width(text), baseline, style, text);
    }

    fn rule(&mut self, from: f32, to: f32, y: f32, width: f32, gray: f32) {
        draw_rule(&mut self.page, from, to, y, width, gray);
    }

    /// Height left above the bottom margin on the current page.
    fn room(&self) -> f32 {
        self.y - BOTTOM
    }

    /// Starts a new page unless `height` still fits on this one.
    fn reserve(&mut self, height: f32) {
        if self.room() < height {
            self.break_page();
        }
    }

    /// Room a block gets on a page of its own: what `reserve` can promise.
    fn fresh_page_room(&self) -> f32 {
        let head = if self.table_head.is_some() {
            HEAD_HEIGHT
        } else {
            0.0
        };
        TOP - 24.0 - head - BOTTOM
    }

    fn break_page(&mut self) {
        let finished = std::mem::replace(&mut self.page, Content::new());
        self.done.push(finished);
        self.y = TOP;
        let title = std::mem::take(&mut self.continuation_title);
        self.text(LEFT, self.y - 10.0, BOLD.sized(10.0), &title);
        self.continuation_title = title;
        self.y -= 24.0;
        if let Some(columns) = self.table_head.take() {
            self.draw_table_head(&columns);
            self.table_head = Some(columns);
        }
    }

    fn draw_table_head(&mut self, columns: &[Column]) {
        self.page
            .set_fill_gray(HEAD_FILL_GRAY)
            .rect(LEFT, self.y - HEAD_HEIGHT, RIGHT - LEFT, HEAD_HEIGHT)
            .fill_nonzero();
        let style = BOLD.sized(8.5);
        let baseline = self.y - 12.5;
        for column in columns {
            let label = encode(column.label);
            let x = column.x_for(&label, style);
            self.text(x, baseline, style, &label);
        }
        self.y -= HEAD_HEIGHT;
    }

    /// Starts a table: its header now and on every page it continues on.
    fn begin_table(&mut self, columns: &[Column]) {
        // A header alone at the foot of a page is useless: keep it with its
        // first row.
        self.reserve(HEAD_HEIGHT + LEADING + 2.0 * CELL_PADDING);
        self.draw_table_head(columns);
        self.table_head = Some(columns.to_vec());
    }

    fn end_table(&mut self) {
        self.table_head = None;
    }

    /// One table row: each cell's wrapped lines under its column. A row is
    /// kept on one page when a page can hold it; a longer one flows on.
    fn draw_row(&mut self, columns: &[Column], cells: &[(Vec<Vec<u8>>, Style)]) {
        let line_count = cells
            .iter()
            .map(|(lines, _)| lines.len())
            .max()
            .unwrap_or(1);
        let height = 2.0 * CELL_PADDING + line_count as f32 * LEADING - 3.0;
        self.reserve(height.min(self.fresh_page_room()));
        let mut y = self.y - CELL_PADDING;
        for index in 0..line_count {
            if y - LEADING < BOTTOM {
                self.break_page();
                y = self.y - CELL_PADDING;
            }
            let baseline = y - (LEADING - 3.0);
            for (column, (lines, style)) in columns.iter().zip(cells) {
                if let Some(line) = lines.get(index) {
                    let x = column.x_for(line, *style);
                    self.text(x, baseline, *style, line);
                }
            }
            y -= LEADING;
        }
        self.y = y - CELL_PADDING + 3.0;
        self.rule(LEFT, RIGHT, self.y, 0.5, RULE_GRAY);
    }

    /// Every page, the last one included.
    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

/// Seller, title and dates; then the buyer and the stamp.
fn draw_header(pages: &mut Pages, doc: &InvoiceDocument, labels: &Labels) {
    let meta_left = RIGHT - 215.0;
    let seller_width = meta_left - 20.0 - LEFT;

    // Seller, top left.
    let mut left_y = TOP;
    left_y = draw_party(pages, &doc.seller, labels, left_y, seller_width, 13.0);

    // Title and the invoice's dates, top right: labels left, values right.
    let title_style = BOLD.sized(22.0);
    pages.text_right(RIGHT, TOP - 18.0, title_style, &encode(labels.title));
    let mut right_y = TOP - 40.0;
    let value_width = RIGHT - meta_left - 80.0;
    for (label, value) in meta_rows(doc, labels) {
        pages.text(meta_left, right_y, MUTED, &encode(label));
        for line in BOLD.wrap(&value, value_width) {
            pages.text_right(RIGHT, right_y, BOLD, &line);
            right_y -= LEADING;
        }
    }

    // The buyer, under whichever column ran longer.
    let mut y = left_y.min(right_y) - 18.0;
    let top_of_buyer = y;
    let label_style = MUTED.sized(7.5);
    pages.text(
        LEFT,
        y - 7.5,
        label_style,
        &encode(&labels.bill_to.to_uppercase()),
    );
    y -= 12.0;
    y = draw_party(pages, &doc.buyer, labels, y, seller_width, 11.0);

    if let Some(stamp) = labels.stamp(doc.status) {
        draw_stamp(pages, stamp, doc.status, top_of_buyer);
    }
    pages.y = y.min(top_of_buyer - 60.0) - 14.0;
}

/// A party's name (bold) and lines; returns the y under it.
fn draw_party(
    pages: &mut Pages,
    party: &Party,
    labels: &Labels,
    top: f32,
    width: f32,
    name_size: f32,
) -> f32 {
    let mut y = top;
    let name_style = BOLD.sized(name_size);
    for line in name_style.wrap(&party.name, width) {
        y -= name_size + 2.0;
        pages.text(LEFT, y, name_style, &line);
    }
    y -= 3.0;
    for text in party_lines(party, labels) {
        for line in MUTED.wrap(&text, width) {
            y -= LEADING;
            pages.text(LEFT, y, MUTED, &line);
        }
    }
    y
}

/// The status word in a tilted frame right of the buyer, as a rubber stamp.
fn draw_stamp(pages: &mut Pages, stamp: &str, status: DocumentStatus, top: f32) {
    let (red, green, blue) = match status {
        DocumentStatus::Cancelled => (0.71, 0.14, 0.09),
        DocumentStatus::Refunded => (0.43, 0.47, 0.51),
        DocumentStatus::Paid | DocumentStatus::Unpaid => (0.10, 0.50, 0.22),
    };
    let style = Style {
        face: Face::Bold,
        size: 24.0,
        gray: 0.0,
    };
    let text = encode(stamp);
    let width = style.width(&text);
    let (sin, cos) = 12f32.to_radians().sin_cos();
    let centre_x = RIGHT - 110.0;
    let centre_y = top - 32.0;
    let page = &mut pages.page;
    page.save_state()
        .transform([cos, sin, -sin, cos, centre_x, centre_y])
        .set_stroke_rgb(red, green, blue)
        .set_line_width(2.5)
        .rect(-width / 2.0 - 10.0, -12.0, width + 20.0, 36.0)
        .stroke()
        .set_fill_rgb(red, green, blue)
        .begin_text()
        .set_font(Name(style.face.resource_name()), style.size)
        .next_line(-width / 2.0, -3.0)
        .show(Str(&text))
        .end_text()
        .restore_state();
}

fn draw_lines(pages: &mut Pages, doc: &InvoiceDocument, labels: &Labels) {
    let pad = 6.0;
    let amount = Column {
        label: labels.amount,
        left: RIGHT - pad - 90.0,
        right: RIGHT - pad,
        align: Align::Right,
    };
    let unit = Column {
        label: labels.unit_price,
        left: amount.left - 100.0,
        right: amount.left - 10.0,
        align: Align::Right,
    };
    let quantity = Column {
        label: labels.quantity,
        left: unit.left - 40.0,
        right: unit.left - 10.0,
        align: Align::Right,
    };
    let description = Column {
        label: labels.description,
        left: LEFT + pad,
        right: quantity.left - 10.0,
        align: Align::Left,
    };
    let description_width = description.width();
    let columns = [description, quantity, unit, amount];
    pages.begin_table(&columns);
    for line in &doc.lines {
        let number = |text: String| (vec![encode(&text)], REGULAR);
        pages.draw_row(
            &columns,
            &[
                (REGULAR.wrap(&line.description, description_width), REGULAR),
                number(line.quantity.to_string()),
                number(line.unit.to_string()),
                number(line.amount.to_string()),
            ],
        );
    }
    pages.end_table();
}

fn draw_summary(pages: &mut Pages, doc: &InvoiceDocument, labels: &Labels) {
    let rows = summary_rows(doc, labels);
    let label_left = RIGHT - 250.0;
    let amount_right = RIGHT - 6.0;
    let row_height = 15.0;
    // The sums are read together: never split them over two pages.
    pages.reserve(10.0 + rows.len() as f32 * row_height + 4.0);
    let mut y = pages.y - 10.0;
    for row in rows {
        if row.rule_above {
            pages.rule(label_left, RIGHT, y - 1.0, 1.0, TEXT_GRAY);
            y -= 4.0;
        }
        let style = if row.strong {
            BOLD.sized(10.0)
        } else {
            REGULAR
        };
        y -= row_height;
        let label = encode(&row.label);
        pages.text(label_left, y + 4.0, style, &label);
        let amount = encode(&row.amount);
        pages.text_right(amount_right, y + 4.0, style, &amount);
    }
    pages.y = y;
}

fn draw_payments(pages: &mut Pages, doc: &InvoiceDocument, labels: &Labels) {
    if doc.payments.is_empty() {
        return;
    }
    section_title(pages, labels.payments);
    let pad = 6.0;
    let amount = Column {
        label: labels.amount,
        left: RIGHT - pad - 90.0,
        right: RIGHT - pad,
        align: Align::Right,
    };
    let date = Column {
        label: labels.payment_date,
        left: LEFT + pad,
        right: LEFT + pad + 115.0,
        align: Align::Left,
    };
    let method = Column {
        label: labels.payment_method,
        left: date.right + 10.0,
        right: date.right + 120.0,
        align: Align::Left,
    };
    let reference = Column {
        label: labels.payment_reference,
        left: method.right + 10.0,
        right: amount.left - 10.0,
        align: Align::Left,
    };
    let (date_width, method_width, reference_width) =
        (date.width(), method.width(), reference.width());
    let columns = [date, method, reference, amount];
    pages.begin_table(&columns);
    for payment in &doc.payments {
        let when = labels.date_time(payment.at, doc.time_zone);
        pages.draw_row(
            &columns,
            &[
                (REGULAR.wrap(&when, date_width), REGULAR),
                (REGULAR.wrap(&payment.method, method_width), REGULAR),
                (REGULAR.wrap(&payment.reference, reference_width), REGULAR),
                (vec![encode(&payment.amount.to_string())], REGULAR),
            ],
        );
    }
    pages.end_table();
}

fn draw_notes(pages: &mut Pages, doc: &InvoiceDocument, labels: &Labels) {
    let Some(notes) = notes(doc) else {
        return;
    };
    section_title(pages, labels.notes);
    for line in MUTED.wrap(notes, RIGHT - LEFT) {
        pages.reserve(LEADING);
        pages.y -= LEADING;
        pages.text(LEFT, pages.y + 3.0, MUTED, &line);
    }
}

/// A bold heading over a section, kept on the page of the section's start.
fn section_title(pages: &mut Pages, title: &str) {
    pages.reserve(24.0 + HEAD_HEIGHT + 2.0 * LEADING);
    pages.y -= 24.0;
    pages.text(LEFT, pages.y + 6.0, BOLD.sized(10.0), &encode(title));
}

/// Writes the pages with their footers into a PDF file.
fn write_pdf(
    contents: Vec<Content>,
    doc: &InvoiceDocument,
    labels: &Labels,
    lang: Lang,
) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let regular_id = Ref::new(4);
    let bold_id = Ref::new(5);
    let first_page_object = 6;
    let page_ids: Vec<(Ref, Ref)> = (0..contents.len())
        .map(|index| {
            let page = first_page_object + 2 * index as i32;
            (Ref::new(page), Ref::new(page + 1))
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id)
        .pages(page_tree_id)
        .lang(TextStr(lang.as_str()));
    pdf.pages(page_tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(page_ids.len() as i32);
    let title = format!("{} {}", labels.title, doc.number);
    pdf.document_info(info_id)
        .title(TextStr(&title))
        .author(TextStr(&doc.seller.name))
        .producer(TextStr("Juragan"));
    for (face, id) in [(Face::Regular, regular_id), (Face::Bold, bold_id)] {
        pdf.type1_font(id)
            .base_font(Name(face.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let page_count = contents.len();
    for (index, (mut content, (page_id, content_id))) in
        contents.into_iter().zip(page_ids).enumerate()
    {
        draw_footer(&mut content, doc, labels, index + 1, page_count);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(page_tree_id)
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(Name(Face::Regular.resource_name()), regular_id)
            .pair(Name(Face::Bold.resource_name()), bold_id);
        page.finish();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        pdf.stream(content_id, &compressed)
            .filter(Filter::FlateDecode);
    }
    pdf.finish()
}

/// "INV-2026-000123" left and "Halaman 1/2" right, under a thin rule.
fn draw_footer(
    content: &mut Content,
    doc: &InvoiceDocument,
    labels: &Labels,
    page: usize,
    page_count: usize,
) {
    let style = MUTED.sized(8.0);
    draw_rule(content, LEFT, RIGHT, FOOTER_BASELINE + 12.0, 0.5, RULE_GRAY);
    show_text(content, LEFT, FOOTER_BASELINE, style, &encode(&doc.number));
    let page_label = encode(&format!("{} {page}/{page_count}", labels.page));
    let x = RIGHT - style.width(&page_label);
    show_text(content, x, FOOTER_BASELINE, style, &page_label);
}

fn show_text(content: &mut Content, x: f32, baseline: f32, style: Style, text: &[u8]) {
    if text.is_empty() {
        return;
    }
    content
        .set_fill_gray(style.gray)
        .begin_text()
        .set_font(Name(style.face.resource_name()), style.size)
        .next_line(x, baseline)
        .show(Str(text))
        .end_text();
}

fn draw_rule(content: &mut Content, from: f32, to: f32, y: f32, width: f32, gray: f32) {
    content
        .set_stroke_gray(gray)
        .set_line_width(width)
        .move_to(from, y)
        .line_to(to, y)
        .stroke();
}
