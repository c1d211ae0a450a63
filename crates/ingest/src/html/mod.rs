//! HTML to clean, Markdown-like text plus the metadata a crawler needs.

mod boilerplate;
mod charset;
mod meta;
mod parse;
mod text;

use ego_tree::NodeRef;
use scraper::{Html, Node};
use url::Url;

pub(crate) use charset::charset_param;

/// A page reduced to its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    /// `<title>`, else `og:title`, else the first `<h1>`; whitespace collapsed.
    pub title: String,
    /// `<html lang>`, if set.
    pub lang: Option<String>,
    /// The main text: `# `…`###### ` headings, `- ` list items, paragraphs separated by
    /// blank lines. Navigation, headers, footers, forms, cookie banners and hidden
    /// elements are left out; `<main>` (or else `<article>`s) is preferred to `<body>`.
    pub text: String,
    /// Every http(s) link on the page (boilerplate included), absolute, resolved against
    /// `<base href>` or the page URL, without fragments, de-duplicated in page order.
    pub links: Vec<Url>,
    /// `<link rel=canonical>`, absolute.
    pub canonical: Option<Url>,
    /// `<meta name=robots|witzobot content=noindex|none>`.
    pub noindex: bool,
    /// `<meta name=robots|witzobot content=nofollow|none>`: links should not be followed.
    pub nofollow: bool,
}

/// Extracts `bytes` (an HTML document fetched from `url`). The encoding is taken from a
/// byte-order mark, `content_type_charset`, or a `<meta>` declaration, in that order.
pub fn extract_html(bytes: &[u8], url: &Url, content_type_charset: Option<&str>) -> HtmlPage {
    let source = charset::decode(bytes, content_type_charset);
    let html = parse::parse(&source);
    let meta = meta::read(&html, url);
    HtmlPage {
        title: meta.title,
        lang: meta.lang,
        text: main_text(&html),
        links: meta.links,
        canonical: meta.canonical,
        noindex: meta.noindex,
        nofollow: meta.nofollow,
    }
}

/// The text of the first visible `<main>`, else of the outermost `<article>`s, else of
/// the whole document; a preferred region without text falls back to the document.
fn main_text(html: &Html) -> String {
    let root = html.tree.root();
    let visible = |node: &NodeRef<'_, Node>, names: &[&str], role: &str| {
        node.value().as_element().is_some_and(|e| {
            (names.contains(&e.name()) || e.attr("role") == Some(role))
                && !boilerplate::is_hidden(e)
        })
    };
    if let Some(main) = root.descendants().find(|n| visible(n, &["main"], "main")) {
        let text = text::render(main);
        if !text.is_empty() {
            return text;
        }
    }
    let articles: Vec<String> = root
        .descendants()
        .filter(|n| visible(n, &["article"], "article"))
        .filter(|n| {
            !n.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| e.name() == "article")
            })
        })
        .map(text::render)
        .filter(|t| !t.is_empty())
        .collect();
    if !articles.is_empty() {
        return articles.join("\n\n");
    }
    text::render(root)
}

#[cfg(test)]
mod tests;
