//! Rendering a content subtree as Markdown-like text.

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::Node;

use super::boilerplate::is_dropped;

/// How a block of text is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paragraph,
    Heading(usize),
    Item,
}

/// Elements that start and end a block of text.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
    "br",
];

/// Collects blocks while walking the tree.
struct Renderer {
    blocks: Vec<(Kind, String)>,
    inline: String,
    kinds: Vec<Kind>,
}

impl Renderer {
    fn kind(&self) -> Kind {
        self.kinds.last().copied().unwrap_or(Kind::Paragraph)
    }

    fn flush(&mut self) {
        let text = self.inline.split_whitespace().collect::<Vec<_>>().join(" ");
        self.inline.clear();
        if !text.is_empty() {
            let kind = self.kind();
            self.blocks.push((kind, text));
        }
    }

    fn open(&mut self, name: &str) {
        if name == "td" || name == "th" {
            self.inline.push(' ');
        }
        if !BLOCK_TAGS.contains(&name) {
            return;
        }
        self.flush();
        let kind = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                Kind::Heading(usize::from(name.as_bytes()[1] - b'0'))
            }
            "li" | "dt" | "dd" => Kind::Item,
            _ => self.kind(),
        };
        self.kinds.push(kind);
    }

    fn close(&mut self, name: &str) {
        if name == "td" || name == "th" {
            self.inline.push(' ');
        }
        if BLOCK_TAGS.contains(&name) {
            self.flush();
            self.kinds.pop();
        }
    }

    fn finish(mut self) -> String {
        self.flush();
        let mut out = String::new();
        let mut previous: Option<Kind> = None;
        for (kind, text) in self.blocks {
            if let Some(prev) = previous {
                out.push_str(if prev == Kind::Item && kind == Kind::Item {
                    "\n"
                } else {
                    "\n\n"
                });
            }
            match kind {
                Kind::Paragraph => {}
                Kind::Heading(level) => {
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
                Kind::Item => out.push_str("- "),
            }
            out.push_str(&text);
            previous = Some(kind);
        }
        out
    }
}

/// Renders `root`'s subtree: headings as `# `…, list items as `- `, other blocks as
/// paragraphs separated by blank lines, whitespace collapsed, boilerplate skipped.
pub(crate) fn render(root: NodeRef<'_, Node>) -> String {
    let mut renderer = Renderer {
        blocks: Vec::new(),
        inline: String::new(),
        kinds: Vec::new(),
    };
    // The subtree being skipped, if any: everything until its closing edge.
    let mut skipping = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(text) => renderer.inline.push_str(text),
                    Node::Element(element) => {
                        if node != root && is_dropped(node, element) {
                            skipping = Some(node.id());
                        } else {
                            renderer.open(element.name());
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(element) = node.value()
                {
                    renderer.close(element.name());
                }
            }
        }
    }
    renderer.finish()
}
