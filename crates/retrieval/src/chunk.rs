//! Structure-aware chunking of one page's clean, Markdown-like text.
//!
//! Headings (`#` … `######`) open sections; blank lines separate
//! paragraphs; `- ` lines are list items. Sections shorter than
//! [`MIN_SECTION_WORDS`] are merged with their neighbour (the merged
//! section's heading is kept in the text as a Markdown heading line); long
//! sections are cut into chunks of about [`TARGET_WORDS`] (at most
//! [`MAX_WORDS`]) at sentence boundaries, with about [`OVERLAP_WORDS`] of
//! overlap between consecutive chunks of the same section. Words are never
//! split; the output is deterministic.

use crate::extractive::sentences;

/// A chunk closes once it holds this many words.
pub const TARGET_WORDS: usize = 200;
/// A chunk does not grow beyond this many words by adding a sentence
/// (a merged tiny tail may add up to [`MIN_SECTION_WORDS`] more).
pub const MAX_WORDS: usize = 250;
/// Overlap carried into the next chunk of the same section (whole trailing
/// sentences up to [`MAX_OVERLAP_WORDS`], else the last words of one).
pub const OVERLAP_WORDS: usize = 30;
pub const MAX_OVERLAP_WORDS: usize = 50;
/// Sections (and trailing chunk remainders) below this are merged.
pub const MIN_SECTION_WORDS: usize = 40;

/// A piece of a page to index and quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The page title (unless it repeats the first heading), then the
    /// headings the chunk sits under.
    pub heading_path: Vec<String>,
    pub text: String,
    /// Position of the chunk in the page, from 0.
    pub ordinal: usize,
}

impl Chunk {
    /// Heading path and text together, for indexing.
    pub fn search_text(&self) -> String {
        search_text(&self.heading_path.join("\n"), &self.text)
    }
}

/// A chunk's headings (one per line), a blank line, then its text: what a
/// chunk is indexed and embedded as.
pub fn search_text(heading_path: &str, text: &str) -> String {
    if heading_path.is_empty() {
        text.to_owned()
    } else {
        format!("{heading_path}\n\n{text}")
    }
}

#[derive(Debug)]
struct Section {
    /// (level, heading); level 0 is the page title.
    path: Vec<(usize, String)>,
    blocks: Vec<Block>,
}

impl Section {
    fn words(&self) -> usize {
        self.blocks.iter().map(|b| word_count(&b.text)).sum()
    }
}

#[derive(Debug)]
struct Block {
    text: String,
    list: bool,
}

#[derive(Debug, Clone)]
struct Piece {
    section: usize,
    block: usize,
    list: bool,
    text: String,
    words: usize,
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `## Heading ##` → (2, "Heading").
fn parse_heading(line: &str) -> Option<(usize, String)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let heading = rest.trim().trim_end_matches('#').trim();
    (!heading.is_empty()).then(|| (level, heading.to_owned()))
}

fn list_item(line: &str) -> Option<&str> {
    line.strip_prefix("- ").or_else(|| line.strip_prefix("* "))
}

fn parse(title: &str, text: &str) -> Vec<Section> {
    let first_heading = text
        .lines()
        .find_map(|line| parse_heading(line.trim()))
        .map(|(_, h)| h);
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let root: Vec<(usize, String)> =
        if title.is_empty() || first_heading.is_some_and(|h| normalize(&h) == normalize(&title)) {
            Vec::new()
        } else {
            vec![(0, title)]
        };
    let mut sections = vec![Section {
        path: root.clone(),
        blocks: Vec::new(),
    }];
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_list = false;
    let flush = |sections: &mut Vec<Section>, paragraph: &mut Vec<&str>, list: bool| {
        if paragraph.is_empty() {
            return;
        }
        let text = paragraph
            .iter()
            .flat_map(|l| l.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ");
        paragraph.clear();
        if let Some(section) = sections.last_mut() {
            section.blocks.push(Block { text, list });
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut sections, &mut paragraph, in_list);
        } else if let Some((level, heading)) = parse_heading(line) {
            flush(&mut sections, &mut paragraph, in_list);
            while stack.last().is_some_and(|(l, _)| *l >= level) {
                stack.pop();
            }
            stack.push((level, heading));
            sections.push(Section {
                path: root.iter().chain(&stack).cloned().collect(),
                blocks: Vec::new(),
            });
        } else if list_item(line).is_some() {
            flush(&mut sections, &mut paragraph, in_list);
            in_list = true;
            paragraph.push(line);
        } else {
            if paragraph.is_empty() {
                in_list = false;
            }
            paragraph.push(line);
        }
    }
    flush(&mut sections, &mut paragraph, in_list);
    sections.retain(|s| !s.blocks.is_empty());
    sections
}

/// Splits `text` (the clean text of the page titled `title`) into chunks.
pub fn chunk(title: &str, text: &str) -> Vec<Chunk> {
    let sections = parse(title, text);
    // Group neighbouring sections when either side is tiny.
    let mut groups: Vec<(Vec<usize>, usize)> = Vec::new();
    for (index, section) in sections.iter().enumerate() {
        let words = section.words();
        match groups.last_mut() {
            Some((members, total)) if *total < MIN_SECTION_WORDS || words < MIN_SECTION_WORDS => {
                members.push(index);
                *total += words;
            }
            _ => groups.push((vec![index], words)),
        }
    }
    let mut chunks = Vec::new();
    let mut block_counter = 0;
    for (members, _) in groups {
        let mut pieces = Vec::new();
        for &section in &members {
            for block in sections.get(section).map_or(&[][..], |s| &s.blocks) {
                for sentence in sentences(&block.text) {
                    let words: Vec<&str> = sentence.split_whitespace().collect();
                    let parts: Vec<&[&str]> = if words.len() > MAX_WORDS {
                        words.chunks(TARGET_WORDS).collect()
                    } else {
                        vec![&words[..]]
                    };
                    for part in parts {
                        pieces.push(Piece {
                            section,
                            block: block_counter,
                            list: block.list,
                            text: part.join(" "),
                            words: part.len(),
                        });
                    }
                }
                block_counter += 1;
            }
        }
        for window in windows(pieces) {
            let ordinal = chunks.len();
            chunks.push(render(&sections, &window, ordinal));
        }
    }
    chunks
}

/// Packs pieces into overlapping windows.
fn windows(pieces: Vec<Piece>) -> Vec<Vec<Piece>> {
    let mut out: Vec<Vec<Piece>> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    let mut words = 0;
    let mut fresh = 0;
    for piece in pieces {
        if fresh > 0 && (words >= TARGET_WORDS || words + piece.words > MAX_WORDS) {
            let same_section = current.last().is_some_and(|p| p.section == piece.section);
            let carried = if same_section {
                overlap(&current)
            } else {
                Vec::new()
            };
            out.push(std::mem::take(&mut current));
            let carried_words: usize = carried.iter().map(|p| p.words).sum();
            if carried_words + piece.words <= MAX_WORDS {
                current = carried;
                words = carried_words;
            } else {
                words = 0;
            }
            fresh = 0;
        }
        words += piece.words;
        fresh += piece.words;
        current.push(piece);
    }
    if fresh > 0 {
        let carried = current.len() - fresh_count(&current, fresh);
        match out.last_mut() {
            Some(previous) if fresh < MIN_SECTION_WORDS => {
                previous.extend(current.into_iter().skip(carried));
            }
            _ => out.push(current),
        }
    }
    out
}

/// How many trailing pieces of `window` make up its `fresh` words.
fn fresh_count(window: &[Piece], fresh: usize) -> usize {
    let mut total = 0;
    let mut count = 0;
    for piece in window.iter().rev() {
        if total >= fresh {
            break;
        }
        total += piece.words;
        count += 1;
    }
    count
}

/// The tail of `window` to repeat at the start of the next chunk.
fn overlap(window: &[Piece]) -> Vec<Piece> {
    let mut taken = 0;
    let mut start = window.len();
    for piece in window.iter().rev() {
        if taken >= OVERLAP_WORDS || taken + piece.words > MAX_OVERLAP_WORDS {
            break;
        }
        taken += piece.words;
        start -= 1;
    }
    if start < window.len() {
        return window[start..].to_vec();
    }
    // The last sentence alone is too long: carry its last words.
    window
        .last()
        .map(|last| {
            let words: Vec<&str> = last.text.split_whitespace().collect();
            let tail = &words[words.len().saturating_sub(OVERLAP_WORDS)..];
            vec![Piece {
                text: tail.join(" "),
                words: tail.len(),
                ..last.clone()
            }]
        })
        .unwrap_or_default()
}

fn common_prefix(a: &[(usize, String)], b: &[(usize, String)]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn render(sections: &[Section], window: &[Piece], ordinal: usize) -> Chunk {
    let path_of = |piece: &Piece| sections.get(piece.section).map_or(&[][..], |s| &s.path[..]);
    let mut shared = window.first().map_or(0, |p| path_of(p).len());
    if let Some(first) = window.first() {
        for piece in window {
            shared = shared.min(common_prefix(path_of(first), path_of(piece)));
        }
    }
    let heading_path: Vec<String> = window
        .first()
        .map(|p| {
            path_of(p)[..shared]
                .iter()
                .map(|(_, h)| h.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut text = String::new();
    let mut previous: Option<&Piece> = None;
    for piece in window {
        let path = path_of(piece);
        let from = match previous {
            None => Some(shared),
            Some(prev) if prev.section != piece.section => {
                text.push_str("\n\n");
                Some(common_prefix(path_of(prev), path).max(shared))
            }
            Some(prev) if prev.block != piece.block => {
                text.push_str(if prev.list && piece.list {
                    "\n"
                } else {
                    "\n\n"
                });
                None
            }
            Some(_) => {
                text.push(' ');
                None
            }
        };
        if let Some(from) = from {
            for (level, heading) in path.iter().skip(from) {
                text.push_str(&"#".repeat((*level).max(1)));
                text.push(' ');
                text.push_str(heading);
                text.push_str("\n\n");
            }
        }
        text.push_str(&piece.text);
        previous = Some(piece);
    }
    Chunk {
        heading_path,
        text,
        ordinal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` sentences of ten capitalised words, named `{name}s{i}w{j}`.
    fn paragraph(name: &str, count: usize) -> String {
        (0..count)
            .map(|i| {
                let words: Vec<String> = (0..10).map(|j| format!("{name}s{i}w{j}")).collect();
                format!("{}.", words.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|&s| s.to_owned()).collect()
    }

    #[test]
    fn tiny_sections_merge_and_the_title_is_not_repeated() {
        let text = "# Opening hours\n\nWe are open Monday to Friday\nfrom 9 am to 6 pm.\n\n\
                    ## Holidays\n\n- Closed on public holidays.\n- Open on 24 December until noon.\n";
        assert_eq!(
            chunk("Opening hours", text),
            [Chunk {
                heading_path: strings(&["Opening hours"]),
                text: "We are open Monday to Friday from 9 am to 6 pm.\n\n## Holidays\n\n\
                       - Closed on public holidays.\n- Open on 24 December until noon."
                    .to_owned(),
                ordinal: 0,
            }]
        );
    }

    #[test]
    fn sections_keep_their_heading_path_under_a_distinct_title() {
        let prices = paragraph("A", 5);
        let bread = paragraph("B", 6);
        let text = format!("# Prices\n\n{prices}\n\n## Bread\n\n{bread}\n\n# Empty\n");
        assert_eq!(
            chunk("Acme Bakery", &text),
            [
                Chunk {
                    heading_path: strings(&["Acme Bakery", "Prices"]),
                    text: prices,
                    ordinal: 0,
                },
                Chunk {
                    heading_path: strings(&["Acme Bakery", "Prices", "Bread"]),
                    text: bread,
                    ordinal: 1,
                },
            ]
        );
        assert!(chunk("Empty", "# Only\n\n## Headings\n").is_empty());
        assert!(chunk("", "").is_empty());
    }

    #[test]
    fn long_sections_are_cut_at_sentences_with_overlap() {
        let text = paragraph("X", 50);
        let chunks = chunk("", &text);
        let spans: Vec<(String, String, usize)> = chunks
            .iter()
            .map(|c| {
                let words: Vec<&str> = c.text.split_whitespace().collect();
                (
                    words.first().map(|w| w.to_string()).unwrap_or_default(),
                    words.last().map(|w| w.to_string()).unwrap_or_default(),
                    words.len(),
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                ("Xs0w0".to_owned(), "Xs19w9.".to_owned(), 200),
                ("Xs17w0".to_owned(), "Xs36w9.".to_owned(), 200),
                ("Xs34w0".to_owned(), "Xs49w9.".to_owned(), 160),
            ]
        );
        assert_eq!(
            chunks.iter().map(|c| c.ordinal).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(chunks.iter().all(|c| c.heading_path.is_empty()));
        assert_eq!(chunks, chunk("", &text), "deterministic");
    }

    #[test]
    fn a_tiny_remainder_joins_the_previous_chunk() {
        let chunks = chunk("T", &paragraph("Y", 22));
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text.split_whitespace().count(), 220);
        assert_eq!(chunks[0].heading_path, strings(&["T"]));
    }

    #[test]
    fn never_splits_inside_a_word() {
        let words: Vec<String> = (0..600).map(|i| format!("word{i}")).collect();
        let chunks = chunk("", &words.join(" "));
        let counts: Vec<usize> = chunks
            .iter()
            .map(|c| c.text.split_whitespace().count())
            .collect();
        assert_eq!(counts, [200, 230, 230]);
        for c in &chunks {
            assert!(
                c.text
                    .split_whitespace()
                    .all(|w| words.iter().any(|x| x == w))
            );
        }
        assert!(chunks[1].text.starts_with("word170 word171"));
        assert!(chunks[2].text.ends_with("word599"));
    }

    #[test]
    fn search_text_prefixes_the_heading_path() {
        let chunks = chunk("Shop", "# Shipping\n\nWe ship in two days.");
        assert_eq!(
            chunks[0].search_text(),
            "Shop\nShipping\n\nWe ship in two days."
        );
    }
}
