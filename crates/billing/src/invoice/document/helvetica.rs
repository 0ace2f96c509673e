//! Helvetica as every PDF reader has it built in: the WinAnsi encoding the
//! invoice's text is written in, and the glyph widths (from Adobe's AFM
//! metrics for Helvetica and Helvetica-Bold) that wrapping and right-aligned
//! amounts need.
//!
//! The built-in fonts cannot show characters outside WinAnsi (Latin-1 plus
//! a few typographic marks): a name with "ł", Cyrillic, CJK or an emoji gets
//! '?' for each such character rather than a corrupt or failing PDF. The
//! HTML invoice shows them as written; embedding a Unicode font to print
//! them here would add a font file and a shaping engine for a rare case.

/// The two faces the invoice uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Face {
    Regular,
    Bold,
}

impl Face {
    pub fn base_font(self) -> &'static [u8] {
        match self {
            Face::Regular => b"Helvetica",
            Face::Bold => b"Helvetica-Bold",
        }
    }

    /// The name the page resources give the face.
    pub fn resource_name(self) -> &'static [u8] {
        match self {
            Face::Regular => b"F1",
            Face::Bold => b"F2",
        }
    }

    /// Width of `text` (WinAnsi bytes) at `size` points.
    pub fn width(self, text: &[u8], size: f32) -> f32 {
        let units: u32 = text.iter().map(|&byte| self.glyph_units(byte)).sum();
        units as f32 * size / 1000.0
    }

    /// Advance of one glyph in thousandths of the font size.
    fn glyph_units(self, byte: u8) -> u32 {
        let table = match self {
            Face::Regular => &HELVETICA,
            Face::Bold => &HELVETICA_BOLD,
        };
        byte.checked_sub(FIRST_CODE)
            .map_or(0, |index| u32::from(table[usize::from(index)]))
    }
}

/// Text as WinAnsi bytes for a built-in font. Line breaks and other
/// control characters become spaces (the caller splits lines before), and
/// whatever WinAnsi has no code for becomes '?'.
pub(super) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

fn encode_char(ch: char) -> u8 {
    match ch {
        ' '..='~' => ch as u8,
        '\u{A0}'..='\u{FF}' => ch as u8,
        ch if ch.is_control() || ch.is_whitespace() => b' ',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// `text` broken into lines no wider than `max_width` at `size`: at spaces
/// where it can, inside a word where a single word is wider than the line
/// (a long URL or reference), and at every line break in the text. Always
/// at least one line, possibly empty.
pub(super) fn wrap(text: &str, face: Face, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let space = face.width(b" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_width = 0.0;
        for word in encode(paragraph).split(|&byte| byte == b' ') {
            if word.is_empty() {
                continue;
            }
            let word_width = face.width(word, size);
            let gap = if line.is_empty() { 0.0 } else { space };
            if line_width + gap + word_width <= max_width {
                if !line.is_empty() {
                    line.push(b' ');
                }
                line.extend_from_slice(word);
                line_width += gap + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            if word_width <= max_width {
                line.extend_from_slice(word);
                line_width = word_width;
                continue;
            }
            for &byte in word {
                let glyph = face.width(&[byte], size);
                if line_width + glyph > max_width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(byte);
                line_width += glyph;
            }
        }
        lines.push(line);
    }
    lines
}

const FIRST_CODE: u8 = 0x20;

/// Helvetica advances for WinAnsi codes 0x20..=0xFF, from the AFM; 0 where
/// WinAnsi defines no glyph (encode never produces those codes).
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    // 0x20
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    // 0x30
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    // 0x40
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    // 0x50
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    // 0x60
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    // 0x70
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    // 0x80
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    // 0x90
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    // 0xA0
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    // 0xB0
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    // 0xC0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    // 0xD0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    // 0xE0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    // 0xF0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold advances, as [`HELVETICA`].
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    // 0x20
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    // 0x30
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    // 0x40
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    // 0x50
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    // 0x60
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    // 0x70
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    // 0x80
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    // 0x90
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    // 0xA0
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    // 0xB0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    // 0xC0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    // 0xD0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    // 0xE0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    // 0xF0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_latin1_and_windows_marks_and_replaces_the_rest() {
        assert_eq!(encode("Rp 1.500.000"), b"Rp 1.500.000");
        assert_eq!(encode("Café – 5€"), b"Caf\xE9 \x96 5\x80");
        assert_eq!(encode("Łukasz 😀 日本"), b"?ukasz ? ??");
        assert_eq!(encode("a\tb\r"), b"a b ");
    }

    #[test]
    fn measures_with_the_afm_widths() {
        // A = 667, space = 278 in Helvetica; bold A is 722.
        assert!((Face::Regular.width(b"A A", 10.0) - 16.12).abs() < 1e-3);
        assert!((Face::Bold.width(b"A", 1000.0) - 722.0).abs() < 1e-3);
        // Codes WinAnsi leaves undefined have no width rather than a panic.
        assert_eq!(Face::Regular.width(&[0x81, 0x10], 10.0), 0.0);
    }

    #[test]
    fn wraps_at_spaces_and_breaks_overlong_words() {
        let lines = wrap("satu dua tiga empat", Face::Regular, 10.0, 50.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(Face::Regular.width(line, 10.0) <= 50.0);
        }
        assert_eq!(
            lines.concat().len() + lines.len() - 1,
            "satu dua tiga empat".len()
        );

        let long = "x".repeat(200);
        let lines = wrap(&long, Face::Regular, 10.0, 100.0);
        assert!(lines.len() >= 8, "{}", lines.len());
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 200);

        assert_eq!(
            wrap("a\n\nb", Face::Regular, 10.0, 100.0),
            [b"a".to_vec(), vec![], b"b".to_vec()]
        );
        assert_eq!(wrap("", Face::Bold, 10.0, 100.0), [Vec::<u8>::new()]);
    }
}
