//! Small websites on loopback ports for the crawler to train from: pages
//! the test can change, remove or slow down.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// A small website whose pages the test can change.
#[derive(Clone, Default)]
pub struct Site {
    pages: Arc<Mutex<HashMap<String, String>>>,
    /// Milliseconds each page takes to serve (to keep a crawl running).
    delay_ms: Arc<AtomicU64>,
}

impl Site {
    pub fn set(&self, path: &str, body: &str) {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), body.to_owned());
    }

    /// Takes the page at `path` off the site (it answers 404).
    pub fn remove(&self, path: &str) {
        self.pages.lock().unwrap().remove(path);
    }

    /// Every page takes `delay` to serve from now on.
    pub fn slow_down(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap();
        self.delay_ms.store(millis, Ordering::Relaxed);
    }
}

async fn serve_page(State(site): State<Site>, Path(path): Path<String>) -> Response {
    let delay = site.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let key = format!("/{path}");
    match site.pages.lock().unwrap().get(&key) {
        Some(body) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Html(body.clone()),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_home(State(site): State<Site>) -> Response {
    serve_page(State(site), Path(String::new())).await
}

/// Starts `site` on a loopback port.
pub async fn start_site(site: Site) -> SocketAddr {
    let app = Router::new()
        .route("/", get(serve_home))
        .route("/{*path}", get(serve_page))
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

/// A page with a nav of `links`, a heading, a paragraph and a footer.
pub fn page(title: &str, body: &str, links: &[&str]) -> String {
    let links: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title></head><body>\
         <nav><ul>{links}</ul></nav><main><h1>{title}</h1><p>{body}</p></main>\
         <footer>Copyright footer text</footer></body></html>"
    )
}

/// A site with a home page linking to `n` product pages.
pub fn shop(n: usize) -> Site {
    let site = Site::default();
    let links: Vec<String> = (1..=n).map(|i| format!("/p{i}")).collect();
    let refs: Vec<&str> = links.iter().map(String::as_str).collect();
    site.set(
        "/",
        &page("Home", "Welcome to the shop. We sell tea.", &refs),
    );
    for i in 1..=n {
        site.set(
            &format!("/p{i}"),
            &page(
                &format!("Product {i}"),
                &format!("Product {i} is a fine tea from our garden."),
                &["/"],
            ),
        );
    }
    site
}

pub fn coffee_page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title} | Bean There</title></head><body>\
         <nav><ul><li><a href=\"/menu\">Menu</a></li><li><a href=\"/about\">About</a></li>\
         <li><a href=\"/shipping\">Shipping</a></li></ul></nav><main>{main}</main>\
         <footer>Bean There Coffee · 12 Main Street</footer></body></html>"
    )
}

/// A coffee shop: a menu with a price table, an about page, shipping.
pub fn coffee_shop() -> Site {
    let site = Site::default();
    site.set("/", &coffee_page("Home", "<h1>Bean There Coffee</h1><p>Specialty coffee roasted in small batches every week.</p>"));
    site.set(
        "/menu",
        &coffee_page(
            "Menu",
            "<h1>Menu</h1><p>Every coffee on our menu can also be made with decaf beans, free of charge.</p>\
             <h2>Drinks</h2><table><thead><tr><th>Drink</th><th>Price</th></tr></thead><tbody>\
             <tr><td>Espresso</td><td>$3.00</td></tr><tr><td>Cappuccino</td><td>$4.20</td></tr>\
             <tr><td>Cold brew</td><td>$4.80</td></tr></tbody></table>\
             <h2>Milk</h2><p>We offer these plant milks at no extra cost:</p><ul><li>Oat milk</li><li>Almond milk</li></ul>",
        ),
    );
    site.set(
        "/about",
        &coffee_page(
            "About us",
            "<h1>About us</h1><p>Our roastery sits in an old bakery. We buy green coffee directly from farms in Colombia and Ethiopia.</p>\
             <p>Bean There was founded in 2012 by Maria Lopez, a former barista champion.</p>",
        ),
    );
    site.set(
        "/shipping",
        &coffee_page(
            "Shipping",
            "<h1>Shipping</h1><p>We ship whole beans to the United States and Canada. Orders arrive within 3 to 5 business days.</p>",
        ),
    );
    site
}
