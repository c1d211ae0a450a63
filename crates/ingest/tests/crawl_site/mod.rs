//! The crawl tests' website: robots.txt, a gzipped sitemap behind a sitemap index,
//! boilerplate-laden pages, redirects, errors, a huge page, aliases and more.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use witzo_ingest::{FetchPolicy, Fetcher};

use crate::common::{MapResolver, serve};

/// One request the site received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: Instant,
    pub path: String,
    pub if_none_match: Option<String>,
    pub status: u16,
}

pub struct Site {
    /// Bumped to change `/services/detail`.
    pub detail_version: AtomicUsize,
    hits: Mutex<Vec<Hit>>,
}

impl Site {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path).collect()
    }
}

fn html(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.to_owned(),
    )
        .into_response()
}

/// A page with site chrome around `main`.
fn page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><title>{title}</title></head><body>\
         <header><a href=/>Bakery</a></header>\
         <nav><a href=/about>About</a> <a href=/services/>Services</a></nav>\
         <div class='cookie-banner'>We use cookies. <button>OK</button></div>\
         <main>{main}</main>\
         <footer>© Bakery <a href=/legal>Legal</a></footer></body></html>"
    )
}

fn with_etag(etag: &str, if_none_match: Option<&str>, body: String) -> Response {
    if if_none_match == Some(etag) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = html(&body);
    response
        .headers_mut()
        .insert(header::ETAG, etag.parse().unwrap());
    response
}

fn gzip(data: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

async fn handle(State(site): State<Arc<Site>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let host = request
        .headers()
        .get(header::HOST)
        .unwrap()
        .to_str()
        .unwrap();
    let origin = format!("http://{host}");
    let inm = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .map(|v| v.to_str().unwrap().to_owned());
    let version = site.detail_version.load(Ordering::SeqCst);
    let response = match path.as_str() {
        "/robots.txt" => format!(
            "User-agent: *\nDisallow: /\n\nUser-agent: WitzoBot\nDisallow: /private/\n\
             Allow: /private/open$\nCrawl-delay: 1\n\nSitemap: {origin}/sitemap_index.xml\n\
             Sitemap: http://elsewhere.test/sitemap.xml\n"
        )
        .into_response(),
        "/sitemap_index.xml" => format!(
            "<?xml version='1.0'?>\
             <sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>\
             <sitemap><loc>{origin}/sitemaps/pages.xml.gz</loc></sitemap>\
             <sitemap><loc>http://elsewhere.test/other.xml</loc></sitemap></sitemapindex>"
        )
        .into_response(),
        "/sitemaps/pages.xml.gz" => (
            [(header::CONTENT_TYPE, "application/gzip")],
            gzip(&format!(
                "<urlset><url><loc>{origin}/from-sitemap</loc></url>\
                 <url><loc>{origin}/about</loc></url>\
                 <url><loc>http://elsewhere.test/x</loc></url></urlset>"
            )),
        )
            .into_response(),
        "/" => {
            let links = [
                "/old",
                "/old2",
                "/missing",
                "/huge",
                "/brochure.pdf",
                "http://elsewhere.test/page",
                "/go-private",
                "WWW/secret",
                "/alias",
                "/alias2",
                "/hidden-page",
                "/private/secret",
                "/private/open",
                "/login",
                "/about?utm_source=x#team",
                "/image-page",
                "/empty",
                "/copy",
                "/server-error",
            ]
            .map(|l| {
                let l = l.replace("WWW", &origin.replace("site.test", "www.site.test"));
                format!("<a href='{l}'>{l}</a>")
            })
            .join(" ");
            html(&page(
                "Home | Bakery",
                &format!(
                    "<h1>Welcome to the bakery</h1><p>We bake   bread\nevery morning.</p>\
                     <ul><li>Sourdough</li><li>Rye</li></ul><aside>{links}</aside>"
                ),
            ))
        }
        "/about" => with_etag("\"about-1\"", inm.as_deref(), page("About", ABOUT)),
        "/copy" => html(&page("Copy", ABOUT)),
        "/services/" => html(&page(
            "Services",
            "<h1>Services</h1><ul><li><a href=/services/detail>Catering</a></li>\
             <li><a href=/services/team>Team</a></li></ul>",
        )),
        "/services/detail" => with_etag(
            &format!("\"detail-{version}\""),
            inm.as_deref(),
            page(
                "Catering",
                &format!(
                    "<h2>Catering</h2><p>Menu version {version}.</p>\
                     <a href=/services/deeper>more</a>"
                ),
            ),
        ),
        "/services/team" => {
            let team = page("Team", "<h2>Team</h2><p>Anna and Ben.</p>");
            with_etag("\"team-1\"", inm.as_deref(), team)
        }
        "/services/deeper" => html(&page("Deeper", "<p>Too deep.</p>")),
        "/from-sitemap" => html(&page("Sitemap only", "<p>Only the sitemap links here.</p>")),
        "/legal" => html(&format!(
            "<meta name=robots content=nofollow>{}",
            page(
                "Legal",
                "<p>Legal notice.</p><a href=/nofollow-target>x</a>"
            )
        )),
        "/old" => Redirect::permanent("/about").into_response(),
        "/old2" => Redirect::to("/moved").into_response(),
        "/moved" => html(&page("Moved", "<p>The new place.</p>")),
        "/huge" => html(&page("Huge", &"<p>big</p>".repeat(20_000))),
        "/go-private" => Redirect::to("http://10.0.0.1/").into_response(),
        "/alias" => html(&format!(
            "<link rel=canonical href='{origin}/services/'>{}",
            page("Alias", "<p>Services again.</p>")
        )),
        "/alias2" => html(&format!(
            "<link rel=canonical href='/canonical-target'>{}",
            page("Alias 2", "<p>Target again.</p>")
        )),
        "/canonical-target" => html(&page("Target", "<p>The canonical page.</p>")),
        "/hidden-page" => html(&format!(
            "<meta name=robots content=noindex>{}",
            page("Hidden", "<p>Not for search.</p>")
        )),
        "/private/open" => html(&page("Open", "<p>Open private page.</p>")),
        "/image-page" => {
            let png = vec![0x89, b'P', b'N', b'G'];
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
        "/empty" => html(&page("Empty", "")),
        "/server-error" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    };
    site.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path,
        if_none_match: inm,
        status: response.status().as_u16(),
    });
    response
}

const ABOUT: &str = "<h1>About us</h1><p>A family bakery since 1901.</p>";

/// The site, its origin (`http://site.test:PORT`) and a fetcher that may reach it.
pub async fn setup() -> (Arc<Site>, String, Fetcher, Arc<MapResolver>) {
    let site = Arc::new(Site {
        detail_version: AtomicUsize::new(1),
        hits: Mutex::new(Vec::new()),
    });
    let addr = serve(Router::new().fallback(handle).with_state(site.clone())).await;
    let origin = format!("http://site.test:{}", addr.port());
    let resolver = Arc::new(MapResolver::new(&[
        ("site.test", &["127.0.0.1"]),
        ("www.site.test", &["10.0.0.1"]),
    ]));
    let policy = FetchPolicy {
        // The site's port is allowed everywhere, its loopback address only exactly.
        allowed_ports: vec![80, 443, addr.port()],
        allow: vec![addr],
        max_body_bytes: 64 * 1024,
        timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::with_resolver(policy, resolver.clone()).unwrap();
    (site, origin, fetcher, resolver)
}
