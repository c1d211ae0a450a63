use std::collections::HashSet;

/// Cleans owner-supplied rich text (HTML) down to a small, safe subset:
/// paragraphs, line breaks, emphasis, lists, code, quotes and links. Links
/// keep only `http`, `https` and `mailto` targets and get
/// `rel="noopener noreferrer nofollow"`. Scripts, styles, event handlers and
/// every other element or attribute are removed.
pub fn sanitize_rich_text(html: &str) -> String {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "ul",
        "ol",
        "li",
        "a",
        "code",
        "pre",
        "blockquote",
    ]
    .into_iter()
    .collect();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    ammonia::Builder::default()
        .tags(tags)
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [("a", ["href"].into_iter().collect())]
                .into_iter()
                .collect(),
        )
        .url_schemes(schemes)
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(ammonia::UrlRelative::Deny)
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_safe_subset() {
        assert_eq!(
            sanitize_rich_text("<p>Hello <strong>you</strong></p><ul><li>one</li></ul>"),
            "<p>Hello <strong>you</strong></p><ul><li>one</li></ul>"
        );
    }

    #[test]
    fn removes_scripts_handlers_and_styles() {
        assert_eq!(
            sanitize_rich_text(
                r#"<p onclick="x()" style="color:red">hi<script>alert(1)</script></p><img src=x onerror=alert(1)>"#
            ),
            "<p>hi</p>"
        );
    }

    #[test]
    fn allows_only_web_and_mail_links() {
        assert_eq!(
            sanitize_rich_text(r#"<a href="javascript:alert(1)">x</a>"#),
            r#"<a rel="noopener noreferrer nofollow">x</a>"#
        );
        assert_eq!(
            sanitize_rich_text(r#"<a href="https://example.com" target="_blank">x</a>"#),
            r#"<a href="https://example.com" rel="noopener noreferrer nofollow">x</a>"#
        );
    }
}
