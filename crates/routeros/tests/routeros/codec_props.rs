//! Properties of the codec: round trips across arbitrary chunk boundaries,
//! no panic and bounded buffering on arbitrary bytes, and every length
//! prefix boundary.

use std::time::Instant;

use proptest::prelude::*;
use routeros::codec::{
    Decoder, MAX_SENTENCE_BYTES, MAX_SENTENCE_WORDS, MAX_WORD, decode_length, encode_length,
    encode_sentence, encode_word,
};
use routeros::reply::{Reply, ReplyKind};

/// Feeds `bytes` cut at `cuts` and collects sentences as word lists.
fn decode_in_chunks(
    bytes: &[u8],
    cuts: &[usize],
) -> Result<Vec<Vec<Vec<u8>>>, routeros::RouterOsError> {
    let mut decoder = Decoder::new();
    let mut sentences = Vec::new();
    let mut at = 0;
    let mut sizes = cuts.iter().cycle();
    while at < bytes.len() {
        let size = (*sizes.next().unwrap_or(&bytes.len())).max(1);
        let end = (at + size).min(bytes.len());
        decoder.feed(&bytes[at..end]);
        at = end;
        while let Some(sentence) = decoder.next_sentence()? {
            sentences.push(sentence.words().map(<[u8]>::to_vec).collect());
        }
    }
    assert_eq!(decoder.buffered(), 0);
    Ok(sentences)
}

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 1..40),
        1 => proptest::collection::vec(any::<u8>(), 120..140),   // around 0x80
        1 => proptest::collection::vec(any::<u8>(), 16_380..16_390), // around 0x4000
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sentences_survive_any_chunking(
        sentences in proptest::collection::vec(proptest::collection::vec(word(), 0..12), 1..6),
        cuts in proptest::collection::vec(1usize..300, 1..20),
    ) {
        let mut bytes = Vec::new();
        for sentence in &sentences {
            bytes.extend(encode_sentence(sentence).unwrap());
        }
        prop_assert_eq!(decode_in_chunks(&bytes, &cuts).unwrap(), sentences);
    }

    #[test]
    fn any_length_round_trips(len in any::<u32>()) {
        let mut prefix = Vec::new();
        encode_length(len, &mut prefix);
        prop_assert_eq!(decode_length(&prefix).unwrap(), Some((len, prefix.len())));
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_overrun_the_caps(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let mut decoder = Decoder::new();
        let mut at = 0;
        let mut sizes = cuts.iter().cycle();
        'feed: while at < bytes.len() {
            let end = (at + sizes.next().copied().unwrap_or(1)).min(bytes.len());
            decoder.feed(&bytes[at..end]);
            at = end;
            loop {
                match decoder.next_sentence() {
                    Ok(Some(sentence)) => {
                        prop_assert!(sentence.len() <= MAX_SENTENCE_WORDS);
                        prop_assert!(sentence.words().all(|word| word.len() <= MAX_WORD));
                        let _ = Reply::parse(&sentence);
                    }
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            prop_assert!(decoder.buffered() <= at);
        }
    }

    #[test]
    fn reply_parsing_never_panics(words in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 1..30), 0..10)
    ) {
        let bytes = encode_sentence(&words).unwrap();
        let mut decoder = Decoder::new();
        decoder.feed(&bytes);
        let sentence = decoder.next_sentence().unwrap().unwrap();
        let _ = Reply::parse(&sentence);
    }
}

#[test]
fn words_at_each_prefix_boundary_round_trip_or_are_refused_from_the_prefix() {
    for len in [0x7F, 0x80, 0x3FFF, 0x4000, MAX_WORD] {
        let word = vec![b'w'; len];
        let bytes = encode_sentence([&word]).unwrap();
        assert_eq!(decode_in_chunks(&bytes, &[7_919]).unwrap(), [[word]]);
    }
    for len in [0x1F_FFFFu32, 0x20_0000, 0x0FFF_FFFF, 0x1000_0000, u32::MAX] {
        let mut prefix = Vec::new();
        encode_length(len, &mut prefix);
        let mut decoder = Decoder::new();
        decoder.feed(&prefix);
        assert!(decoder.next_sentence().is_err(), "{len:#X}");
        assert!(encode_word(&vec![0; MAX_WORD + 1], &mut Vec::new()).is_err());
    }
}

#[test]
fn a_sentence_one_byte_over_the_cap_is_refused() {
    let mut decoder = Decoder::new();
    let word = vec![b'x'; MAX_WORD];
    let mut prefix = Vec::new();
    encode_length(MAX_WORD as u32, &mut prefix);
    let mut bytes = Vec::new();
    while bytes.len() + prefix.len() + MAX_WORD < MAX_SENTENCE_BYTES {
        encode_word(&word, &mut bytes).unwrap();
    }
    decoder.feed(&bytes);
    assert!(decoder.next_sentence().unwrap().is_none());
    decoder.feed(&prefix); // the prefix alone already breaks the cap
    assert!(decoder.next_sentence().is_err());
}

#[test]
fn ten_thousand_active_rows_decode_and_parse_quickly() {
    let mut bytes = Vec::new();
    for row in 0..10_000 {
        bytes.extend(
            encode_sentence([
                "!re".to_owned(),
                format!("=.id=*8{row:07X}"),
                format!("=name=customer-{row}"),
                "=service=pppoe".to_owned(),
                format!(
                    "=caller-id=AA:BB:CC:{:02X}:{:02X}:01",
                    row >> 8 & 0xFF,
                    row & 0xFF
                ),
                format!("=address=10.{}.{}.2", row >> 8 & 0xFF, row & 0xFF),
                "=uptime=1w2d3h4m5s".to_owned(),
                format!("=session-id=0x8{row:07X}"),
                ".tag=42".to_owned(),
            ])
            .unwrap(),
        );
    }
    bytes.extend(encode_sentence(["!done", ".tag=42"]).unwrap());

    // The best of a few runs: the machine is shared, and the first run also
    // pays for page faults.
    let mut elapsed = std::time::Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let mut decoder = Decoder::new();
        let mut rows = 0;
        for chunk in bytes.chunks(64 * 1024) {
            decoder.feed(chunk);
            while let Some(sentence) = decoder.next_sentence().unwrap() {
                if let ReplyKind::Re(row) = Reply::parse(&sentence).unwrap().kind {
                    assert!(row.get("name").is_some());
                    rows += 1;
                }
            }
        }
        elapsed = elapsed.min(started.elapsed());
        assert_eq!(rows, 10_000);
    }
    // A few ms in release; generous here for unoptimised, shared CI machines.
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
    eprintln!("10,000 rows decoded and parsed in {elapsed:?}");
}
