//! Uploaded widget logos: raster images only (no SVG, which can carry
//! script), the type decided by the file's magic bytes, at most 256 KiB.

use sha2::{Digest, Sha256};
use witzo_store::widgets::Logo;

use crate::error::{AppError, AppResult, ErrorCode};

pub const MAX_LOGO_BYTES: usize = 256 * 1024;

pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Checks an uploaded logo and prepares it for storage.
pub fn accept(bytes: Vec<u8>) -> AppResult<Logo> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            "The logo must be at most 256 KB.",
        )
        .field("logo"));
    }
    let content_type = sniff(&bytes).ok_or_else(|| {
        AppError::new(
            ErrorCode::UnsupportedMediaType,
            "The logo must be a PNG, JPEG, GIF or WebP image.",
        )
        .field("logo")
    })?;
    let hash = hex::encode(&Sha256::digest(&bytes)[..8]);
    Ok(Logo {
        content_type: content_type.to_owned(),
        bytes,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_images_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
    }

    #[test]
    fn svg_html_and_oversized_files_are_refused() {
        let svg =
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
        assert_eq!(
            accept(svg).unwrap_err().code(),
            ErrorCode::UnsupportedMediaType
        );
        assert_eq!(
            accept(b"<html>".to_vec()).unwrap_err().code(),
            ErrorCode::UnsupportedMediaType
        );
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(accept(big).unwrap_err().code(), ErrorCode::PayloadTooLarge);
    }
}
