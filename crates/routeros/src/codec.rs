//! The RouterOS API framing: a *word* is a length prefix and that many
//! bytes, a *sentence* is words closed by an empty word (one `0x00`).
//!
//! The protocol itself bounds nothing, so the [`Decoder`] caps a word, a
//! sentence's bytes and a sentence's word count, and refuses an oversized
//! length as soon as its prefix has arrived: a hostile or broken peer that
//! announces 4 GB costs five bytes, not an allocation. The decoder is
//! incremental (bytes may arrive split anywhere) and keeps a sentence as
//! one shared buffer plus word offsets, so a 10,000-row print costs one
//! allocation per sentence rather than one per word.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::RouterOsError;

/// The largest word we accept or send (1 MiB): far above any real value.
pub const MAX_WORD: usize = 1 << 20;
/// The largest sentence we accept, prefixes included (4 MiB).
pub const MAX_SENTENCE_BYTES: usize = 4 << 20;
/// The most words one sentence may have.
pub const MAX_SENTENCE_WORDS: usize = 4096;

/// Appends the length prefix of a `len`-byte word (1 to 5 bytes).
pub fn encode_length(len: u32, out: &mut Vec<u8>) {
    match len {
        0..0x80 => out.push(len as u8),
        0x80..0x4000 => out.extend_from_slice(&((len | 0x8000) as u16).to_be_bytes()),
        0x4000..0x20_0000 => out.extend_from_slice(&(len | 0xC0_0000).to_be_bytes()[1..]),
        0x20_0000..0x1000_0000 => out.extend_from_slice(&(len | 0xE000_0000).to_be_bytes()),
        _ => {
            out.push(0xF0);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Reads a length prefix from the start of `bytes`: `Ok(None)` when more
/// bytes are needed, else the length and how many bytes the prefix took.
/// A first byte of `0xF8` or above is a control byte, not a length.
pub fn decode_length(bytes: &[u8]) -> Result<Option<(u32, usize)>, RouterOsError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    let (size, mask) = match first {
        0x00..=0x7F => (1, 0x7F),
        0x80..=0xBF => (2, 0x3FFF),
        0xC0..=0xDF => (3, 0x1F_FFFF),
        0xE0..=0xEF => (4, 0x0FFF_FFFF),
        0xF0..=0xF7 => (5, u32::MAX),
        _ => {
            return Err(RouterOsError::Protocol(format!(
                "control byte 0x{first:02X} where a word length was expected"
            )));
        }
    };
    let Some(prefix) = bytes.get(..size) else {
        return Ok(None);
    };
    let value = if size == 5 {
        prefix[1..]
            .iter()
            .fold(0u32, |acc, &byte| (acc << 8) | u32::from(byte))
    } else {
        prefix
            .iter()
            .fold(0u32, |acc, &byte| (acc << 8) | u32::from(byte))
            & mask
    };
    Ok(Some((value, size)))
}

/// Appends one word; refuses a word above [`MAX_WORD`].
pub fn encode_word(word: &[u8], out: &mut Vec<u8>) -> Result<(), RouterOsError> {
    if word.len() > MAX_WORD {
        return Err(RouterOsError::Protocol(format!(
            "a word of {} bytes is above the {MAX_WORD}-byte limit",
            word.len()
        )));
    }
    // MAX_WORD fits in u32, so the cast is exact.
    encode_length(word.len() as u32, out);
    out.extend_from_slice(word);
    Ok(())
}

/// Encodes a whole sentence, closing empty word included. An empty word
/// inside would end the sentence early, so it is refused.
pub fn encode_sentence<I, W>(words: I) -> Result<Vec<u8>, RouterOsError>
where
    I: IntoIterator<Item = W>,
    W: AsRef<[u8]>,
{
    let mut out = Vec::with_capacity(64);
    let mut count = 0usize;
    for word in words {
        let word = word.as_ref();
        if word.is_empty() {
            return Err(RouterOsError::Protocol(
                "an empty word cannot be sent inside a sentence".into(),
            ));
        }
        count += 1;
        if count > MAX_SENTENCE_WORDS {
            return Err(RouterOsError::Protocol(format!(
                "a sentence of more than {MAX_SENTENCE_WORDS} words"
            )));
        }
        encode_word(word, &mut out)?;
    }
    out.push(0);
    Ok(out)
}

/// Decodes a buffer holding only complete sentences.
pub fn decode(bytes: &[u8]) -> Result<Vec<Sentence>, RouterOsError> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut sentences = Vec::new();
    while let Some(sentence) = decoder.next_sentence()? {
        sentences.push(sentence);
    }
    if decoder.buffered() > 0 {
        return Err(RouterOsError::Protocol(
            "the bytes end in the middle of a sentence".into(),
        ));
    }
    Ok(sentences)
}

/// One decoded sentence: its bytes, shared, and where each word lies.
#[derive(Clone, PartialEq, Eq)]
pub struct Sentence {
    data: Bytes,
    words: Vec<Range<usize>>,
}

impl Sentence {
    /// Builds a sentence from words (for tests and fakes).
    pub fn from_words<I, W>(words: I) -> Sentence
    where
        I: IntoIterator<Item = W>,
        W: AsRef<[u8]>,
    {
        let mut data = Vec::new();
        let mut ranges = Vec::new();
        for word in words {
            let start = data.len();
            data.extend_from_slice(word.as_ref());
            ranges.push(start..data.len());
        }
        Sentence {
            data: Bytes::from(data),
            words: ranges,
        }
    }

    /// How many words (the closing empty word not counted).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word at `index`.
    pub fn word(&self, index: usize) -> Option<&[u8]> {
        self.words
            .get(index)
            .and_then(|range| self.data.get(range.clone()))
    }

    /// The sentence's bytes and each word's range in them, for parsing
    /// replies without copying.
    pub(crate) fn parts(&self) -> (&Bytes, &[Range<usize>]) {
        (&self.data, &self.words)
    }

    /// The words, in order.
    pub fn words(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.words
            .iter()
            .map(|range| self.data.get(range.clone()).unwrap_or_default())
    }
}

impl std::fmt::Debug for Sentence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.words().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Incremental sentence decoder: [`feed`](Decoder::feed) bytes as they
/// arrive, then take complete sentences with
/// [`next_sentence`](Decoder::next_sentence). After an error the stream
/// cannot be resynchronised, so every later call fails too.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: BytesMut,
    /// How far into `buffer` the current sentence's words are known.
    scanned: usize,
    /// The current sentence's words, as ranges into `buffer`.
    words: Vec<Range<usize>>,
    failed: bool,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Adds received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned in a sentence.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next complete sentence, `Ok(None)` when more bytes are needed.
    pub fn next_sentence(&mut self) -> Result<Option<Sentence>, RouterOsError> {
        if self.failed {
            return Err(RouterOsError::Protocol(
                "the connection is unusable after an earlier framing error".into(),
            ));
        }
        let result = self.scan();
        if result.is_err() {
            self.failed = true;
            self.buffer = BytesMut::new();
            self.words = Vec::new();
        }
        result
    }

    fn scan(&mut self) -> Result<Option<Sentence>, RouterOsError> {
        loop {
            let rest = self.buffer.get(self.scanned..).unwrap_or_default();
            let Some((len, prefix)) = decode_length(rest)? else {
                return Ok(None);
            };
            let len = len as usize;
            if len == 0 {
                let data = self.buffer.split_to(self.scanned + prefix).freeze();
                self.scanned = 0;
                return Ok(Some(Sentence {
                    data,
                    words: std::mem::take(&mut self.words),
                }));
            }
            if len > MAX_WORD {
                return Err(RouterOsError::Protocol(format!(
                    "a word of {len} bytes is above the {MAX_WORD}-byte limit"
                )));
            }
            if self.words.len() >= MAX_SENTENCE_WORDS {
                return Err(RouterOsError::Protocol(format!(
                    "a sentence of more than {MAX_SENTENCE_WORDS} words"
                )));
            }
            let start = self.scanned + prefix;
            let end = start + len;
            if end + 1 > MAX_SENTENCE_BYTES {
                return Err(RouterOsError::Protocol(format!(
                    "a sentence above the {MAX_SENTENCE_BYTES}-byte limit"
                )));
            }
            if self.buffer.len() < end {
                return Ok(None);
            }
            self.words.push(start..end);
            self.scanned = end;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn length_bytes(len: u32) -> Vec<u8> {
        let mut out = Vec::new();
        encode_length(len, &mut out);
        out
    }

    #[test]
    fn lengths_use_the_documented_prefixes() {
        assert_eq!(length_bytes(0), [0x00]);
        assert_eq!(length_bytes(0x7F), [0x7F]);
        assert_eq!(length_bytes(0x80), [0x80, 0x80]);
        assert_eq!(length_bytes(0x3FFF), [0xBF, 0xFF]);
        assert_eq!(length_bytes(0x4000), [0xC0, 0x40, 0x00]);
        assert_eq!(length_bytes(0x1F_FFFF), [0xDF, 0xFF, 0xFF]);
        assert_eq!(length_bytes(0x20_0000), [0xE0, 0x20, 0x00, 0x00]);
        assert_eq!(length_bytes(0x0FFF_FFFF), [0xEF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(length_bytes(0x1000_0000), [0xF0, 0x10, 0x00, 0x00, 0x00]);
        assert_eq!(length_bytes(u32::MAX), [0xF0, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn prefixes_decode_back_to_their_lengths() {
        for len in [
            0,
            1,
            0x7F,
            0x80,
            0x3FFF,
            0x4000,
            0x1F_FFFF,
            0x20_0000,
            0x0FFF_FFFF,
            0x1000_0000,
            u32::MAX,
        ] {
            let bytes = length_bytes(len);
            assert_eq!(decode_length(&bytes).unwrap(), Some((len, bytes.len())));
            assert_eq!(decode_length(&bytes[..bytes.len() - 1]).unwrap(), None);
        }
    }

    #[test]
    fn control_bytes_are_protocol_errors() {
        for byte in 0xF8..=0xFF {
            assert!(matches!(
                decode_length(&[byte]),
                Err(RouterOsError::Protocol(_))
            ));
        }
    }

    #[test]
    fn a_sentence_decodes_from_hand_written_bytes() {
        let bytes = b"\x03!re\x0b=name=alice\x06.tag=7\x00\x05!done\x00";
        let sentences = decode(bytes).unwrap();
        assert_eq!(sentences.len(), 2);
        let words: Vec<&[u8]> = sentences[0].words().collect();
        assert_eq!(words, [&b"!re"[..], b"=name=alice", b".tag=7"]);
        assert_eq!(sentences[1].word(0), Some(&b"!done"[..]));
        assert!(decode(b"\x03!re").is_err());
    }

    #[test]
    fn a_four_gigabyte_word_is_refused_from_its_prefix() {
        let mut decoder = Decoder::new();
        decoder.feed(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(
            decoder.next_sentence(),
            Err(RouterOsError::Protocol(_))
        ));
        // and the decoder stays failed
        decoder.feed(b"\x00");
        assert!(decoder.next_sentence().is_err());
    }

    #[test]
    fn an_endless_sentence_is_refused_at_the_word_cap() {
        let mut decoder = Decoder::new();
        let mut result = Ok(None);
        for _ in 0..=MAX_SENTENCE_WORDS {
            decoder.feed(b"\x01a");
            result = decoder.next_sentence();
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(RouterOsError::Protocol(_))));
    }

    #[test]
    fn an_endless_sentence_is_refused_at_the_byte_cap() {
        let mut decoder = Decoder::new();
        let word = vec![b'x'; MAX_WORD];
        let mut encoded = Vec::new();
        encode_word(&word, &mut encoded).unwrap();
        let mut refused = false;
        for _ in 0..5 {
            decoder.feed(&encoded);
            if decoder.next_sentence().is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused);
    }

    #[test]
    fn an_empty_word_cannot_be_sent_mid_sentence() {
        assert!(encode_sentence(["/login", ""]).is_err());
        assert_eq!(encode_sentence(["/a"]).unwrap(), b"\x02/a\x00");
    }
}
