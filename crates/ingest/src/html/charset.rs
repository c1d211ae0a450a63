//! Choosing and applying a page's character encoding.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Bytes of the document searched for a `<meta charset>` declaration.
const PRESCAN_BYTES: usize = 1024;

/// Decodes `bytes`: byte-order mark first, then the `Content-Type` charset, then a
/// `<meta>` declaration in the first 1024 bytes, then UTF-8 if the bytes are valid
/// UTF-8, else windows-1252.
pub(crate) fn decode(bytes: &[u8], content_type_charset: Option<&str>) -> String {
    let encoding = Encoding::for_bom(bytes)
        .map(|(encoding, _)| encoding)
        .or_else(|| content_type_charset.and_then(|l| Encoding::for_label(l.trim().as_bytes())))
        .or_else(|| meta_charset(bytes))
        .unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });
    encoding.decode(bytes).0.into_owned()
}

/// The `charset` parameter of a `Content-Type` header value.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The encoding declared by a `<meta charset>` or `<meta http-equiv content>` tag.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes[..bytes.len().min(PRESCAN_BYTES)].to_ascii_lowercase();
    let mut rest = head.as_slice();
    while let Some(start) = find(rest, b"<meta") {
        let tag = &rest[start..];
        let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
        if let Some(encoding) = charset_in_tag(&tag[..end]) {
            // A document cannot declare itself UTF-16 in a tag it can be read in.
            return Some(if encoding == UTF_16LE || encoding == UTF_16BE {
                UTF_8
            } else {
                encoding
            });
        }
        rest = &tag[end..];
    }
    None
}

fn charset_in_tag(tag: &[u8]) -> Option<&'static Encoding> {
    let at = find(tag, b"charset")?;
    let value = tag[at + b"charset".len()..].trim_ascii_start();
    let value = value.strip_prefix(b"=")?.trim_ascii_start();
    let value = value
        .strip_prefix(b"\"")
        .or_else(|| value.strip_prefix(b"'"))
        .unwrap_or(value);
    let end = value
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace())
        .unwrap_or(value.len());
    Encoding::for_label(&value[..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_charset_wins_over_meta() {
        let bytes = b"<meta charset=utf-8><p>caf\xe9</p>";
        assert_eq!(
            decode(bytes, Some("iso-8859-1")),
            "<meta charset=utf-8><p>caf\u{e9}</p>"
        );
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let bytes = b"<meta charset=\"windows-1252\"><p>\x93hi\x94</p>";
        assert!(decode(bytes, None).contains("\u{201c}hi\u{201d}"));
        let bytes =
            b"<meta http-equiv=Content-Type content='text/html; charset=Shift_JIS'>\x93\xfa";
        assert!(decode(bytes, None).ends_with('\u{65e5}'));
    }

    #[test]
    fn utf16_meta_means_utf8_and_fallbacks() {
        assert_eq!(
            decode("<meta charset=utf-16>é".as_bytes(), None),
            "<meta charset=utf-16>é"
        );
        assert_eq!(decode("plain é".as_bytes(), None), "plain é");
        assert_eq!(decode(b"latin \xe9", None), "latin \u{e9}");
        assert_eq!(decode(b"\xef\xbb\xbfbom", Some("windows-1252")), "bom");
    }

    #[test]
    fn charset_parameter() {
        assert_eq!(charset_param("text/html; charset=\"UTF-8\""), Some("UTF-8"));
        assert_eq!(charset_param("text/html;Charset=latin1"), Some("latin1"));
        assert_eq!(charset_param("text/html"), None);
    }
}
