//! Document kind detection from the file name's extension and the content's magic bytes.

use crate::ExtractError;

/// The document formats Witzo can extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Portable Document Format.
    Pdf,
    /// Legacy Word 97-2003 document (OLE compound file).
    Doc,
    /// Word 2007+ document (Office Open XML).
    Docx,
    /// Legacy Excel 97-2003 workbook (OLE compound file, BIFF8).
    Xls,
    /// Excel 2007+ workbook (Office Open XML).
    Xlsx,
    /// Comma-, semicolon-, tab- or pipe-separated values.
    Csv,
    /// Plain text.
    Txt,
    /// Markdown.
    Md,
}

const PDF_MAGIC: &[u8] = b"%PDF-";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

/// Magic numbers of common binary formats that must never pass as text.
const BINARY_MAGICS: &[&[u8]] = &[
    PDF_MAGIC,
    ZIP_MAGIC,
    EMPTY_ZIP_MAGIC,
    OLE_MAGIC,
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x7fELF",
    b"MZ",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"BZh",
    b"%!PS",
];

/// Decides the kind from magic bytes AND the file name's extension together; a mismatch
/// (e.g. a ZIP named .pdf, an HTML file named .docx) is refused.
///
/// Errors: [`ExtractError::UnsupportedType`] for an unknown extension,
/// [`ExtractError::TypeMismatch`] when the content contradicts the extension, and
/// [`ExtractError::Unreadable`] for an empty file.
pub fn detect(file_name: &str, bytes: &[u8]) -> Result<DocumentKind, ExtractError> {
    let kind = kind_from_name(file_name).ok_or(ExtractError::UnsupportedType)?;
    if bytes.is_empty() {
        return Err(ExtractError::unreadable("the file is empty"));
    }
    let matches = match kind {
        DocumentKind::Pdf => find(&bytes[..bytes.len().min(1024)], PDF_MAGIC).is_some(),
        DocumentKind::Docx => is_zip(bytes) && find(bytes, b"word/document").is_some(),
        DocumentKind::Xlsx => is_zip(bytes) && find(bytes, b"xl/workbook.xml").is_some(),
        DocumentKind::Doc => {
            bytes.starts_with(OLE_MAGIC) && find(bytes, &utf16("WordDocument")).is_some()
        }
        DocumentKind::Xls => {
            bytes.starts_with(OLE_MAGIC)
                && (find(bytes, &utf16("Workbook")).is_some()
                    || find(bytes, &utf16("Book\0")).is_some())
        }
        DocumentKind::Csv | DocumentKind::Txt | DocumentKind::Md => looks_like_text(bytes),
    };
    if matches {
        Ok(kind)
    } else {
        Err(ExtractError::TypeMismatch)
    }
}

/// Maps the extension of `file_name` (any path prefix ignored, case-insensitive) to a kind.
fn kind_from_name(file_name: &str) -> Option<DocumentKind> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let (_, ext) = base.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "pdf" => DocumentKind::Pdf,
        "doc" => DocumentKind::Doc,
        "docx" => DocumentKind::Docx,
        "xls" => DocumentKind::Xls,
        "xlsx" => DocumentKind::Xlsx,
        "csv" | "tsv" => DocumentKind::Csv,
        "txt" | "text" => DocumentKind::Txt,
        "md" | "markdown" => DocumentKind::Md,
        _ => return None,
    })
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC)
}

/// Text inputs: no known binary magic, and no NUL bytes unless a UTF-16 BOM explains them.
fn looks_like_text(bytes: &[u8]) -> bool {
    let utf16_bom = bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff");
    if utf16_bom {
        return true;
    }
    if BINARY_MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        return false;
    }
    let head = &bytes[..bytes.len().min(8 * 1024)];
    !head.contains(&0)
}

/// The UTF-16LE bytes of an ASCII name, as stored in an OLE directory entry.
fn utf16(name: &str) -> Vec<u8> {
    name.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Position of the first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_and_magic_agree() {
        assert_eq!(
            detect("a/b/Report.PDF", b"%PDF-1.7\n..."),
            Ok(DocumentKind::Pdf)
        );
        assert_eq!(detect("notes.md", b"# Hi"), Ok(DocumentKind::Md));
        assert_eq!(detect("x.tsv", b"a\tb"), Ok(DocumentKind::Csv));
        assert_eq!(detect("x.exe", b"MZ"), Err(ExtractError::UnsupportedType));
        assert_eq!(
            detect("noext", b"hello"),
            Err(ExtractError::UnsupportedType)
        );
        assert_eq!(
            detect("x.pdf", b"PK\x03\x04zzzz"),
            Err(ExtractError::TypeMismatch)
        );
        assert_eq!(
            detect("x.txt", b"%PDF-1.4"),
            Err(ExtractError::TypeMismatch)
        );
        assert_eq!(detect("x.txt", b"a\0b"), Err(ExtractError::TypeMismatch));
        assert_eq!(detect("x.txt", b"\xff\xfea\0"), Ok(DocumentKind::Txt));
        assert_eq!(
            detect("x.docx", b"<html><body>hi</body></html>"),
            Err(ExtractError::TypeMismatch)
        );
        assert!(matches!(
            detect("x.csv", b""),
            Err(ExtractError::Unreadable(_))
        ));
    }

    #[test]
    fn find_works() {
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"aaa", b""), None);
    }
}
