//! Which elements are not page content: scripts, navigation, cookie banners, hidden parts.

use ego_tree::NodeRef;
use scraper::Node;
use scraper::node::Element;

/// Elements never rendered as text.
const DROPPED_TAGS: &[&str] = &[
    "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "frame", "object",
    "embed", "canvas", "video", "audio", "nav", "aside", "button", "select", "textarea", "input",
    "dialog",
];

/// ARIA roles of site chrome.
const DROPPED_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "menu",
    "menubar",
    "dialog",
    "alertdialog",
];

/// Class or id substrings that mark boilerplate wherever they appear.
const DROPPED_SUBSTRINGS: &[&str] = &[
    "cookie",
    "consent",
    "gdpr",
    "breadcrumb",
    "navbar",
    "sidebar",
    "footer",
    "skip-link",
];

/// Class or id words (split on `-` and `_`) that mark boilerplate.
const DROPPED_WORDS: &[&str] = &[
    "banner",
    "nav",
    "navigation",
    "menubar",
    "submenu",
    "megamenu",
];

/// Words that, next to `menu`, mean a navigation menu rather than, say, a restaurant's.
const MENU_COMPANIONS: &[&str] = &[
    "main",
    "nav",
    "primary",
    "secondary",
    "mobile",
    "top",
    "header",
    "footer",
    "dropdown",
    "item",
    "toggle",
    "sub",
    "site",
    "mega",
    "hamburger",
    "off",
    "canvas",
    "bar",
    "global",
];

/// True when `node` (an element) and its subtree should not be rendered.
pub(crate) fn is_dropped(node: NodeRef<'_, Node>, element: &Element) -> bool {
    let name = element.name();
    if DROPPED_TAGS.contains(&name) || is_hidden(element) {
        return true;
    }
    match name {
        "header" => return !inside_content(node),
        "footer" => return true,
        // Some sites wrap the whole page in a form (ASP.NET); keep forms with headings.
        "form" => return !has_heading(node),
        _ => {}
    }
    if element
        .attr("role")
        .is_some_and(|r| DROPPED_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
    {
        return true;
    }
    element
        .id()
        .into_iter()
        .chain(element.classes())
        .any(|token| is_boilerplate_token(&token.to_ascii_lowercase()))
}

/// True for `hidden`, `aria-hidden=true` and inline `display:none`/`visibility:hidden`.
pub(crate) fn is_hidden(element: &Element) -> bool {
    if element.attr("hidden").is_some()
        || element
            .attr("aria-hidden")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

fn is_boilerplate_token(token: &str) -> bool {
    if DROPPED_SUBSTRINGS.iter().any(|s| token.contains(s)) {
        return true;
    }
    let words: Vec<&str> = token.split(['-', '_']).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| DROPPED_WORDS.contains(w)) {
        return true;
    }
    words.contains(&"menu") && words.iter().any(|w| MENU_COMPANIONS.contains(w))
}

/// A `header` inside `main`, `article` or `section` is the content's own header.
fn inside_content(node: NodeRef<'_, Node>) -> bool {
    node.ancestors().any(|a| {
        a.value()
            .as_element()
            .is_some_and(|e| matches!(e.name(), "main" | "article" | "section"))
    })
}

fn has_heading(node: NodeRef<'_, Node>) -> bool {
    node.descendants().any(|d| {
        d.value()
            .as_element()
            .is_some_and(|e| matches!(e.name(), "h1" | "h2" | "h3"))
    })
}
