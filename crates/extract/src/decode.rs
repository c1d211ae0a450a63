//! Character-set detection for plain-text inputs (TXT, MD, CSV).

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Decodes `bytes` to a string: BOM first, then UTF-8 if valid, else the encoding
/// `chardetng` guesses (windows-1252 when the guess is not a single-byte Latin-friendly one).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let encoding = guess(bytes);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Guesses a legacy encoding for non-UTF-8 bytes.
fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // Feeding the first 64 KiB is plenty for a guess and keeps it cheap.
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    detector.feed(sample, sample.len() == bytes.len());
    let guessed = detector.guess(None, chardetng::Utf8Detection::Deny);
    // UTF-16 without a BOM and UTF-8 were already ruled out; never return them here.
    if guessed == UTF_8 || guessed == UTF_16LE || guessed == UTF_16BE {
        WINDOWS_1252
    } else {
        guessed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_utf8_and_legacy() {
        assert_eq!(decode_text(b"\xef\xbb\xbfcaf\xc3\xa9"), "café");
        assert_eq!(decode_text(b"\xff\xfeh\x00\xe9\x00"), "hé");
        assert_eq!(decode_text(b"\xfe\xff\x00h\x00\xe9"), "hé");
        assert_eq!(decode_text("naïve".as_bytes()), "naïve");
        assert_eq!(
            decode_text(b"Cr\xe8me br\xfbl\xe9e et caf\xe9 \x80 5"),
            "Crème brûlée et café € 5"
        );
    }
}
