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
    /// A row of the n-th table, as `Header: value · Header: value`.
    Row(usize),
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

/// A table being rendered: its header row and the row being read.
#[derive(Default)]
struct Table {
    header: Vec<String>,
    row: Vec<String>,
    /// Whether every cell of the current row is a `th`.
    row_all_th: bool,
    /// The text of the cell being read, when inside one.
    cell: Option<String>,
}

impl Table {
    /// A finished row: the first row of header cells becomes the header;
    /// any other row renders as `Header: value · Header: value`, so a
    /// quoted row still says what each value is.
    fn end_row(&mut self) -> Option<String> {
        let row = std::mem::take(&mut self.row);
        let all_th = std::mem::replace(&mut self.row_all_th, true);
        if row.iter().all(String::is_empty) {
            return None;
        }
        if all_th && self.header.is_empty() && row.len() > 1 {
            self.header = row;
            return None;
        }
        let cells: Vec<String> = row
            .into_iter()
            .enumerate()
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(i, cell)| match self.header.get(i) {
                Some(name) if !name.is_empty() && *name != cell => format!("{name}: {cell}"),
                _ => cell,
            })
            .collect();
        Some(cells.join(" · "))
    }
}

/// Collects blocks while walking the tree.
struct Renderer {
    blocks: Vec<(Kind, String)>,
    inline: String,
    kinds: Vec<Kind>,
    tables: Vec<Table>,
    /// Tables opened so far: rows of different tables are separate lists.
    tables_seen: usize,
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

    /// Text goes to the open table cell, if any, else to the paragraph.
    fn text(&mut self, text: &str) {
        match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            Some(cell) => cell.push_str(text),
            None => self.inline.push_str(text),
        }
    }

    /// Table structure; `true` when `name` was handled as part of a table.
    fn open_table_part(&mut self, name: &str) -> bool {
        match name {
            "table" => {
                self.flush();
                self.tables_seen += 1;
                self.tables.push(Table {
                    row_all_th: true,
                    ..Table::default()
                });
                true
            }
            "tr" if !self.tables.is_empty() => true,
            "td" | "th" => match self.tables.last_mut() {
                Some(table) => {
                    table.row_all_th &= name == "th";
                    table.cell = Some(String::new());
                    true
                }
                None => false,
            },
            // Blocks inside a cell stay in the cell.
            _ => match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
                Some(cell) => {
                    cell.push(' ');
                    true
                }
                None => false,
            },
        }
    }

    fn close_table_part(&mut self, name: &str) -> bool {
        let Some(table) = self.tables.last_mut() else {
            return false;
        };
        match name {
            "table" => {
                let row = table.end_row();
                self.push_row(row);
                self.tables.pop();
                true
            }
            "tr" => {
                let row = table.end_row();
                self.push_row(row);
                true
            }
            "td" | "th" => {
                let cell = table.cell.take().unwrap_or_default();
                table
                    .row
                    .push(cell.split_whitespace().collect::<Vec<_>>().join(" "));
                true
            }
            _ => match table.cell.as_mut() {
                Some(cell) => {
                    cell.push(' ');
                    true
                }
                None => false,
            },
        }
    }

    fn push_row(&mut self, row: Option<String>) {
        if let Some(row) = row {
            self.flush();
            self.blocks.push((Kind::Row(self.tables_seen), row));
        }
    }

    fn open(&mut self, name: &str) {
        if self.open_table_part(name) || !BLOCK_TAGS.contains(&name) {
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
        if self.close_table_part(name) {
            return;
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
                let same_list = match (prev, kind) {
                    (Kind::Item, Kind::Item) => true,
                    (Kind::Row(a), Kind::Row(b)) => a == b,
                    _ => false,
                };
                out.push_str(if same_list { "\n" } else { "\n\n" });
            }
            match kind {
                Kind::Paragraph => {}
                Kind::Heading(level) => {
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
                Kind::Item | Kind::Row(_) => out.push_str("- "),
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
        tables: Vec::new(),
        tables_seen: 0,
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
                    Node::Text(text) => renderer.text(text),
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
