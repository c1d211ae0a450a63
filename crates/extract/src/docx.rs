//! DOCX (Word 2007+): paragraphs, headings, list items and tables from `word/document.xml`.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

use crate::limits::Budget;
use crate::ooxml::{SafeZip, core_title};
use crate::text::{Spacing, finish};
use crate::xml::{XmlReader, attr, local_name, reference_text, xml_text};
use crate::{ExtractError, Extracted, Limits};

/// Extracts a DOCX document. The title comes from `docProps/core.xml`.
pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Extracted, ExtractError> {
    let mut zip = SafeZip::open(bytes, limits)?;
    let main = main_part(&mut zip, limits)?;
    let document = zip
        .read(&main)?
        .ok_or_else(|| ExtractError::unreadable("not a Word document"))?;
    let styles_path = match main.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/styles.xml"),
        None => "styles.xml".to_owned(),
    };
    let styles = match zip.read(&styles_path)? {
        Some(xml) => parse_styles(&xml_text(&xml), limits)?,
        None => HashMap::new(),
    };
    let title = core_title(&mut zip, limits)?;
    let text = Body::new(&styles).parse(&xml_text(&document), limits, budget)?;
    finish(
        &text,
        Spacing::Collapse,
        title,
        None,
        limits.max_output_chars,
    )
}

/// The main document part named by the package's officeDocument relationship
/// (`_rels/.rels`), else the usual `word/document.xml`.
fn main_part(zip: &mut SafeZip<'_>, limits: &Limits) -> Result<String, ExtractError> {
    const DEFAULT: &str = "word/document.xml";
    let Some(rels) = zip.read("_rels/.rels")? else {
        return Ok(DEFAULT.to_owned());
    };
    let xml = xml_text(&rels);
    let mut reader = XmlReader::new(&xml, limits.max_xml_depth);
    // A broken relationships part is not fatal: fall back to the usual location.
    while let Ok(event) = reader.next_event() {
        match event {
            Event::Start(e) | Event::Empty(e) if local_name(&e) == "Relationship" => {
                let is_main = attr(&e, "Type").is_some_and(|t| t.ends_with("/officeDocument"));
                if let Some(target) = attr(&e, "Target").filter(|_| is_main) {
                    return Ok(target.trim_start_matches('/').to_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(DEFAULT.to_owned())
}

/// What a paragraph style contributes: a heading level and/or list numbering.
#[derive(Debug, Default, Clone)]
struct StyleInfo {
    heading: Option<usize>,
    list: bool,
    based_on: Option<String>,
}

/// Reads `word/styles.xml` into style id → [`StyleInfo`], resolving `basedOn` chains.
fn parse_styles(xml: &str, limits: &Limits) -> Result<HashMap<String, StyleInfo>, ExtractError> {
    let mut styles: HashMap<String, StyleInfo> = HashMap::new();
    let mut reader = XmlReader::new(xml, limits.max_xml_depth);
    let mut current: Option<(String, StyleInfo)> = None;
    loop {
        match reader.next_event()? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match (local_name(&e), current.as_mut()) {
                ("style", _) => current = attr(&e, "styleId").map(|id| (id, StyleInfo::default())),
                ("name", Some((id, info))) => {
                    info.heading = info
                        .heading
                        .or(heading_from_name(&attr(&e, "val").unwrap_or_default()));
                    info.heading = info.heading.or(heading_from_name(id));
                }
                ("basedOn", Some((_, info))) => info.based_on = attr(&e, "val"),
                ("outlineLvl", Some((_, info))) => {
                    info.heading = info.heading.or(outline_level(&e))
                }
                ("numId", Some((_, info))) => info.list = attr(&e, "val").is_some_and(|v| v != "0"),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let Some((id, info)) = current.take() {
                    styles.insert(id, info);
                }
            }
            _ => {}
        }
    }
    let resolved = styles
        .keys()
        .map(|id| {
            let mut info = styles[id].clone();
            let mut parent = info.based_on.clone();
            for _ in 0..16 {
                let Some(base) = parent.as_ref().and_then(|p| styles.get(p)) else {
                    break;
                };
                info.heading = info.heading.or(base.heading);
                info.list |= base.list;
                parent = base.based_on.clone();
            }
            (id.clone(), info)
        })
        .collect();
    Ok(resolved)
}

/// Heading level from a style name or id: `heading 1`/`Heading1` → 1, `Title` → 1.
fn heading_from_name(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase().replace(' ', "");
    if lower == "title" {
        return Some(1);
    }
    let level: usize = lower.strip_prefix("heading")?.parse().ok()?;
    (1..=6).contains(&level).then_some(level)
}

/// Heading level from `w:outlineLvl` (0-based; 9 means body text).
fn outline_level(e: &BytesStart<'_>) -> Option<usize> {
    let level: usize = attr(e, "val")?.parse().ok()?;
    (level < 9).then(|| (level + 1).min(6))
}

/// A paragraph being read.
#[derive(Debug, Default)]
struct Para {
    text: String,
    style: Option<String>,
    outline: Option<usize>,
    numbered: Option<bool>,
    level: usize,
}

/// A table being read; nested tables stack up.
#[derive(Debug, Default)]
struct Table {
    rows: Vec<String>,
    cells: Vec<String>,
    cell: Option<String>,
}

/// How a finished block joins the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Paragraph,
    ListItem,
    TableRows,
}

/// The state of the `word/document.xml` walk.
struct Body<'s> {
    styles: &'s HashMap<String, StyleInfo>,
    out: String,
    last: Option<BlockKind>,
    paras: Vec<Para>,
    tables: Vec<Table>,
    in_text: bool,
    run_depth: usize,
}

impl<'s> Body<'s> {
    fn new(styles: &'s HashMap<String, StyleInfo>) -> Self {
        Self {
            styles,
            out: String::new(),
            last: None,
            paras: Vec::new(),
            tables: Vec::new(),
            in_text: false,
            run_depth: 0,
        }
    }

    /// Walks the document and returns the Markdown-like text.
    fn parse(
        mut self,
        xml: &str,
        limits: &Limits,
        budget: &mut Budget,
    ) -> Result<String, ExtractError> {
        let mut reader = XmlReader::new(xml, limits.max_xml_depth);
        loop {
            budget.tick()?;
            if budget.is_full(self.out.len()) {
                break;
            }
            match reader.next_event()? {
                Event::Eof => break,
                Event::Start(e) => {
                    let name = local_name(&e);
                    if name == "Fallback" {
                        // mc:Fallback repeats the mc:Choice content (text boxes) for old readers.
                        reader.skip_element()?;
                    } else {
                        self.start(name, &e);
                    }
                }
                Event::Empty(e) => self.empty(local_name(&e), &e),
                Event::End(e) => self.end(e.local_name().as_ref()),
                Event::Text(t) if self.in_text => self.push_text(&t.xml10_content()),
                Event::CData(t) if self.in_text => self.push_text(&t.xml10_content()),
                Event::GeneralRef(r) if self.in_text => {
                    if let Some(c) = reference_text(&r) {
                        self.push_text(c.encode_utf8(&mut [0; 4]));
                    }
                }
                _ => {}
            }
        }
        Ok(self.out)
    }

    fn start(&mut self, name: &str, e: &BytesStart<'_>) {
        match name {
            "p" => self.paras.push(Para::default()),
            "r" => self.run_depth += 1,
            "t" => self.in_text = true,
            "tbl" => self.tables.push(Table::default()),
            "tr" => {
                if let Some(table) = self.tables.last_mut() {
                    table.cells.clear();
                }
            }
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    table.cell = Some(String::new());
                }
            }
            _ => self.empty(name, e),
        }
    }

    /// Elements that matter as (possibly self-closing) markers.
    fn empty(&mut self, name: &str, e: &BytesStart<'_>) {
        let in_run = self.run_depth > 0;
        match name {
            "tab" if in_run => self.push_text("\t"),
            "br" | "cr" if in_run => self.push_text("\n"),
            "noBreakHyphen" if in_run => self.push_text("-"),
            "pStyle" => self.with_para(|p| p.style = attr(e, "val")),
            "outlineLvl" => self.with_para(|p| p.outline = outline_level(e)),
            "ilvl" => self.with_para(|p| {
                p.level = attr(e, "val")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
                    .min(8)
            }),
            "numId" => {
                self.with_para(|p| p.numbered = Some(attr(e, "val").is_some_and(|v| v != "0")))
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" => self.in_text = false,
            "r" => self.run_depth = self.run_depth.saturating_sub(1),
            "p" => {
                if let Some(para) = self.paras.pop() {
                    self.finish_para(para);
                }
            }
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    let cell = table.cell.take().unwrap_or_default();
                    table
                        .cells
                        .push(cell.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            "tr" => {
                if let Some(table) = self.tables.last_mut() {
                    let cells = std::mem::take(&mut table.cells);
                    if cells.iter().any(|c| !c.is_empty()) {
                        table.rows.push(cells.join(" | "));
                    }
                }
            }
            "tbl" => {
                if let Some(table) = self.tables.pop()
                    && !table.rows.is_empty()
                {
                    self.deliver(&table.rows.join("\n"), BlockKind::TableRows);
                }
            }
            _ => {}
        }
    }

    fn with_para(&mut self, f: impl FnOnce(&mut Para)) {
        if let Some(para) = self.paras.last_mut() {
            f(para);
        }
    }

    fn push_text(&mut self, text: &str) {
        if let Some(para) = self.paras.last_mut() {
            para.text.push_str(text);
        }
    }

    /// Renders a finished paragraph as a heading, list item or plain paragraph.
    fn finish_para(&mut self, para: Para) {
        let text = para.text.trim();
        if text.is_empty() {
            return;
        }
        let style = para.style.as_deref().and_then(|s| self.styles.get(s));
        let heading = para
            .outline
            .or_else(|| style.and_then(|s| s.heading))
            .or_else(|| para.style.as_deref().and_then(heading_from_name));
        let list = para
            .numbered
            .unwrap_or_else(|| style.is_some_and(|s| s.list));
        if let Some(level) = heading {
            let block = format!("{} {}", "#".repeat(level), text.replace('\n', " "));
            self.deliver(&block, BlockKind::Paragraph);
        } else if list {
            let block = format!("{}- {}", "  ".repeat(para.level), text.replace('\n', " "));
            self.deliver(&block, BlockKind::ListItem);
        } else {
            self.deliver(text, BlockKind::Paragraph);
        }
    }

    /// Appends a block to the open table cell, or to the output.
    fn deliver(&mut self, block: &str, kind: BlockKind) {
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            if !cell.is_empty() {
                cell.push(' ');
            }
            // Inside a cell only the words matter: drop heading/list markers' line structure.
            cell.push_str(&block.replace('\n', " "));
            return;
        }
        if !self.out.is_empty() {
            let tight = kind == BlockKind::ListItem && self.last == Some(BlockKind::ListItem);
            self.out.push_str(if tight { "\n" } else { "\n\n" });
        }
        self.out.push_str(block);
        self.last = Some(kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_names() {
        assert_eq!(heading_from_name("heading 2"), Some(2));
        assert_eq!(heading_from_name("Heading6"), Some(6));
        assert_eq!(heading_from_name("Title"), Some(1));
        assert_eq!(heading_from_name("Heading7"), None);
        assert_eq!(heading_from_name("Normal"), None);
    }
}
