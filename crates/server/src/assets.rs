//! Static dashboard assets, compiled into the binary and served under
//! content-hashed names so they can be cached forever.

use sha2::{Digest, Sha256};

pub struct Asset {
    /// The URL path, e.g. `/static/app.3f2a9c1d.css`.
    pub path: String,
    /// Hash of the content, for cache-busting query strings.
    pub hash: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Self {
        let hash = hex::encode(&Sha256::digest(bytes)[..6]);
        Self {
            path: format!("/static/{stem}.{hash}.{ext}"),
            hash,
            bytes,
            content_type,
        }
    }
}

pub struct Assets {
    pub css: Asset,
    pub js: Asset,
    /// The embeddable chat widget, served at `/widget.js?v={hash}`.
    pub widget: Asset,
}

impl Default for Assets {
    fn default() -> Self {
        Self {
            css: Asset::new(
                "app",
                "css",
                include_bytes!("../assets/app.css"),
                "text/css; charset=utf-8",
            ),
            js: Asset::new(
                "app",
                "js",
                include_bytes!("../assets/app.js"),
                "text/javascript; charset=utf-8",
            ),
            widget: Asset::new(
                "widget",
                "js",
                include_bytes!("../assets/widget.js"),
                "text/javascript; charset=utf-8",
            ),
        }
    }
}

impl Assets {
    pub fn find(&self, path: &str) -> Option<&Asset> {
        [&self.css, &self.js]
            .into_iter()
            .find(|asset| asset.path == path)
    }
}
