//! The binary API's framing, written here from the protocol description and
//! not borrowed from any RouterOS crate, so that the fake and Juragan's
//! client check each other: a word is its length (1 to 5 bytes) followed by
//! that many bytes, a sentence is words closed by an empty word.
//!
//! Nothing in the protocol bounds a length, so the reader does: a length
//! above [`MAX_WORD_BYTES`], a sentence above [`MAX_SENTENCE_BYTES`] or
//! [`MAX_SENTENCE_WORDS`], or a control byte (`0xF8` and above, and the
//! unassigned `0xF1`–`0xF7`) is a [`FrameError`] before a byte of the word
//! is allocated.

use tokio::io::{AsyncRead, AsyncReadExt as _};

/// The longest word the fake reads: far above any command, attribute or
/// query a client sends, far below what a hostile length prefix claims.
pub(crate) const MAX_WORD_BYTES: usize = 64 * 1024;
/// The most bytes (lengths excluded) one request sentence may hold.
pub(crate) const MAX_SENTENCE_BYTES: usize = 1024 * 1024;
/// The most words one request sentence may hold.
pub(crate) const MAX_SENTENCE_WORDS: usize = 4096;

/// Why a request could not be read; every one of them ends the connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection in the middle of a sentence.
    #[error("connection closed in the middle of a sentence")]
    Truncated,
    #[error("control byte 0x{0:02X} where a word length was expected")]
    ControlByte(u8),
    #[error("word of {0} bytes is longer than {MAX_WORD_BYTES}")]
    WordTooLong(u64),
    #[error("sentence is longer than {MAX_SENTENCE_BYTES} bytes or {MAX_SENTENCE_WORDS} words")]
    SentenceTooLong,
}

/// Appends `length` in the API's variable-length encoding.
pub(crate) fn encode_length(length: usize, out: &mut Vec<u8>) {
    // Every branch narrows to the bytes the table in the protocol names;
    // `to_be_bytes` of a `u32` holds them at its end.
    match u32::try_from(length) {
        Ok(length) if length < 0x80 => out.push(length.to_be_bytes()[3]),
        Ok(length) if length < 0x4000 => {
            out.extend_from_slice(&(length | 0x8000).to_be_bytes()[2..])
        }
        Ok(length) if length < 0x20_0000 => {
            out.extend_from_slice(&(length | 0xC0_0000).to_be_bytes()[1..]);
        }
        Ok(length) if length < 0x1000_0000 => {
            out.extend_from_slice(&(length | 0xE000_0000).to_be_bytes());
        }
        Ok(length) => {
            out.push(0xF0);
            out.extend_from_slice(&length.to_be_bytes());
        }
        // No reply the fake builds comes near 4 GiB.
        Err(_) => {
            out.push(0xF0);
            out.extend_from_slice(&u32::MAX.to_be_bytes());
        }
    }
}

/// Appends one sentence: each word with its length, then the empty word.
pub(crate) fn encode_sentence<W: AsRef<[u8]>>(words: &[W], out: &mut Vec<u8>) {
    for word in words {
        let word = word.as_ref();
        encode_length(word.len(), out);
        out.extend_from_slice(word);
    }
    out.push(0);
}

/// Reads one length prefix; `None` is a clean end of stream before it.
async fn read_length<R: AsyncRead + Unpin>(
    reader: &mut R,
    at_sentence_start: bool,
) -> Result<Option<u64>, FrameError> {
    let mut first = [0u8; 1];
    match reader.read(&mut first).await? {
        0 if at_sentence_start => return Ok(None),
        0 => return Err(FrameError::Truncated),
        _ => {}
    }
    let first = first[0];
    let (extra, mut length) = match first {
        0x00..=0x7F => (0, u64::from(first)),
        0x80..=0xBF => (1, u64::from(first & 0x3F)),
        0xC0..=0xDF => (2, u64::from(first & 0x1F)),
        0xE0..=0xEF => (3, u64::from(first & 0x0F)),
        0xF0 => (4, 0),
        control => return Err(FrameError::ControlByte(control)),
    };
    let mut rest = [0u8; 4];
    let rest = &mut rest[..extra];
    reader.read_exact(rest).await.map_err(truncated)?;
    for byte in rest.iter() {
        length = (length << 8) | u64::from(*byte);
    }
    Ok(Some(length))
}

fn truncated(error: std::io::Error) -> FrameError {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        FrameError::Truncated
    } else {
        FrameError::Io(error)
    }
}

/// Reads one sentence. `Ok(None)` is the peer closing between sentences;
/// an empty sentence (a lone `0x00`) comes back as an empty vector.
/// Words are decoded as UTF-8, lossily: RouterOS itself treats them as
/// bytes, and every word the fake acts on is ASCII.
pub(crate) async fn read_sentence<R: AsyncRead + Unpin>(
    reader: &mut R,
) -> Result<Option<Vec<String>>, FrameError> {
    let mut words = Vec::new();
    let mut total = 0usize;
    loop {
        let Some(length) = read_length(reader, words.is_empty() && total == 0).await? else {
            return Ok(None);
        };
        if length == 0 {
            return Ok(Some(words));
        }
        let length = usize::try_from(length)
            .ok()
            .filter(|length| *length <= MAX_WORD_BYTES)
            .ok_or(FrameError::WordTooLong(length))?;
        total += length;
        if total > MAX_SENTENCE_BYTES || words.len() >= MAX_SENTENCE_WORDS {
            return Err(FrameError::SentenceTooLong);
        }
        let mut word = vec![0u8; length];
        reader.read_exact(&mut word).await.map_err(truncated)?;
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn length_bytes(length: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode_length(length, &mut out);
        out
    }

    #[test]
    fn lengths_follow_the_table() {
        assert_eq!(length_bytes(0), [0x00]);
        assert_eq!(length_bytes(0x7F), [0x7F]);
        assert_eq!(length_bytes(0x80), [0x80, 0x80]);
        assert_eq!(length_bytes(0x3FFF), [0xBF, 0xFF]);
        assert_eq!(length_bytes(0x4000), [0xC0, 0x40, 0x00]);
        assert_eq!(length_bytes(0x1F_FFFF), [0xDF, 0xFF, 0xFF]);
        assert_eq!(length_bytes(0x20_0000), [0xE0, 0x20, 0x00, 0x00]);
        assert_eq!(length_bytes(0xFFF_FFFF), [0xEF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(length_bytes(0x1000_0000), [0xF0, 0x10, 0x00, 0x00, 0x00]);
    }

    #[tokio::test]
    async fn sentences_round_trip_across_every_length_class() {
        let long = "x".repeat(0x4000);
        let words = ["/ppp/active/print", "=.proplist=name", long.as_str()];
        let mut bytes = Vec::new();
        encode_sentence(&words, &mut bytes);
        encode_sentence(&["/quit"], &mut bytes);
        let mut reader = bytes.as_slice();
        assert_eq!(read_sentence(&mut reader).await.unwrap().unwrap(), words);
        assert_eq!(
            read_sentence(&mut reader).await.unwrap().unwrap(),
            ["/quit"]
        );
        assert!(read_sentence(&mut reader).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn hostile_lengths_are_refused_before_allocating() {
        let mut reader: &[u8] = &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(
            read_sentence(&mut reader).await,
            Err(FrameError::WordTooLong(0xFFFF_FFFF))
        ));
        let mut reader: &[u8] = &[0xF8];
        assert!(matches!(
            read_sentence(&mut reader).await,
            Err(FrameError::ControlByte(0xF8))
        ));
        let mut reader: &[u8] = &[0x05, b'/', b'q'];
        assert!(matches!(
            read_sentence(&mut reader).await,
            Err(FrameError::Truncated)
        ));
    }
}
