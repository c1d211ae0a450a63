//! A suite's site served from its folder on a loopback port, as `run.py`
//! serves it: `index.html` for a folder, content types by extension, and
//! `{{ORIGIN}}` in `.html`, `.htm`, `.xml` and `.txt` files replaced by
//! the served origin, so sitemaps, robots.txt and canonical links carry
//! real absolute URLs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PLACEHOLDER: &[u8] = b"{{ORIGIN}}";
const TEXT_SUFFIXES: [&str; 4] = [".html", ".htm", ".xml", ".txt"];

/// A running site; stopped with [`SiteServer::stop`].
pub struct SiteServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

struct Site {
    root: PathBuf,
    origin: String,
}

impl SiteServer {
    /// Serves `root` on a free port of 127.0.0.1.
    pub async fn start(root: PathBuf) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("binding a loopback port for the site")?;
        let addr = listener.local_addr()?;
        let site = Arc::new(Site {
            root,
            origin: format!("http://{addr}"),
        });
        let app = Router::new().fallback(serve).with_state(site);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                stopped.await.ok();
            });
            if let Err(err) = serving.await {
                tracing::warn!(%err, "the benchmark site stopped");
            }
        });
        Ok(Self { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, what `{{ORIGIN}}` becomes.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(self) {
        self.stop.send(()).ok();
        self.task.await.ok();
    }
}

async fn serve(State(site): State<Arc<Site>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_IMPLEMENTED.into_response();
    }
    let (path, trailing_slash) = translate(&site.root, uri.path());
    let file = match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_dir() => path.join("index.html"),
        Ok(meta) if meta.is_file() && !trailing_slash => path,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let Ok(body) = tokio::fs::read(&file).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let name = file.to_string_lossy();
    let text = TEXT_SUFFIXES.iter().any(|suffix| name.ends_with(suffix));
    let (body, content_type) = if text {
        let charset = if name.ends_with(".xml") {
            ""
        } else {
            "; charset=utf-8"
        };
        (
            replace(&body, PLACEHOLDER, site.origin.as_bytes()),
            format!("{}{charset}", content_type(&file)),
        )
    } else {
        (body, content_type(&file).to_owned())
    };
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The file a URL path names under `root` (percent-decoded; `.`, `..` and
/// empty segments resolved as `posixpath.normpath` would, never above
/// `root`), and whether the path ended with a slash.
fn translate(root: &Path, raw: &str) -> (PathBuf, bool) {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let mut words: Vec<&str> = Vec::new();
    for word in decoded.split('/') {
        match word {
            "" | "." => {}
            ".." => {
                words.pop();
            }
            word => words.push(word),
        }
    }
    let path = words.iter().fold(root.to_path_buf(), |p, w| p.join(w));
    (path, raw.trim_end().ends_with('/'))
}

/// `haystack` with every `needle` replaced by `with`.
fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The content type Python's `http.server` sends for a file name.
fn content_type(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/vnd.microsoft.icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root_and_are_decoded() {
        let root = Path::new("/suite/sites/dental");
        assert_eq!(translate(root, "/"), (root.to_path_buf(), true));
        assert_eq!(
            translate(root, "/fees.html"),
            (root.join("fees.html"), false)
        );
        assert_eq!(
            translate(root, "/../../etc/passwd"),
            (root.join("etc/passwd"), false)
        );
        assert_eq!(
            translate(root, "/a%20b/./c/../d.html"),
            (root.join("a b/d.html"), false)
        );
        assert_eq!(translate(root, "/blog/"), (root.join("blog"), true));
    }

    #[test]
    fn every_placeholder_is_replaced() {
        assert_eq!(
            replace(
                b"<a href=\"{{ORIGIN}}/x\">{{ORIGIN}}</a>{{ORIGIN",
                PLACEHOLDER,
                b"http://h:1"
            ),
            b"<a href=\"http://h:1/x\">http://h:1</a>{{ORIGIN".to_vec()
        );
    }

    #[tokio::test]
    async fn the_site_is_served_with_its_origin_and_content_types() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            "<a href=\"{{ORIGIN}}/a.html\">a</a>",
        )
        .unwrap();
        std::fs::write(dir.path().join("sitemap.xml"), "<loc>{{ORIGIN}}/</loc>").unwrap();
        std::fs::write(dir.path().join("logo.png"), b"{{ORIGIN}}").unwrap();
        let site = SiteServer::start(dir.path().to_path_buf()).await.unwrap();
        let origin = site.origin();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let get = |path: &str| client.get(format!("{origin}{path}")).send();

        let home = get("/").await.unwrap();
        assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(
            home.text().await.unwrap(),
            format!("<a href=\"{origin}/a.html\">a</a>")
        );
        let sitemap = get("/sitemap.xml").await.unwrap();
        assert_eq!(sitemap.headers()["content-type"], "application/xml");
        assert_eq!(
            sitemap.text().await.unwrap(),
            format!("<loc>{origin}/</loc>")
        );
        let logo = get("/logo.png").await.unwrap();
        assert_eq!(logo.headers()["content-type"], "image/png");
        assert_eq!(logo.bytes().await.unwrap().as_ref(), b"{{ORIGIN}}");
        assert_eq!(get("/missing.html").await.unwrap().status(), 404);
        assert_eq!(get("/index.html/").await.unwrap().status(), 404);
        site.stop().await;
    }
}
