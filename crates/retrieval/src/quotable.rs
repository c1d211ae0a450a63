//! Quotable units of a passage: its sentences, its list items and table
//! rows (with their lead-in as context, or quoted with it), and a lead-in
//! quoted together with its list.

use std::collections::HashSet;

use crate::extractive::{MAX_ANSWER_WORDS, Passage, sentences};
use crate::relevance::term_set;

/// A quotable piece of a passage: a sentence, a list item (with its
/// lead-in as context), or a lead-in quoted together with its list.
pub(crate) struct Unit {
    pub(crate) passage: usize,
    pub(crate) position: usize,
    /// What is quoted.
    pub(crate) quote: String,
    /// The quote's own terms.
    pub(crate) terms: HashSet<String>,
    /// Terms of what it sits under (page title, headings, a list's lead-in).
    pub(crate) context: HashSet<String>,
    pub(crate) words: usize,
    /// Words of the sentence itself (a lead-in without its list).
    pub(crate) own_words: usize,
    /// For a list item or table row: which list of the passage.
    pub(crate) list: Option<usize>,
}

/// Lead-ins longer than this are not repeated before each list item.
const MAX_LEAD_IN_WORDS: usize = 20;

/// Splits a passage into quotable units.
pub(crate) fn units(p: usize, passage: &Passage, out: &mut Vec<Unit>) {
    let mut headings: HashSet<String> = term_set(&passage.title);
    for heading in &passage.heading_path {
        headings.extend(term_set(heading));
    }
    let mut lead_in: Option<(String, usize)> = None;
    let mut position = 0;
    for (block_index, block) in passage.text.split("\n\n").enumerate() {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let Some(first) = lines.first() else { continue };
        if let Some(heading) = first.strip_prefix('#') {
            headings.extend(term_set(heading));
            lead_in = None;
            continue;
        }
        let is_list = lines
            .iter()
            .all(|l| l.starts_with("- ") || l.starts_with("* "));
        if !is_list {
            let mut last = None;
            for sentence in sentences(block) {
                let quote = strip_list_marker(sentence).to_owned();
                let terms = term_set(&quote);
                if terms.is_empty() {
                    continue;
                }
                last = Some(out.len());
                let words = quote.split_whitespace().count();
                out.push(Unit {
                    passage: p,
                    position,
                    words,
                    own_words: words,
                    list: None,
                    quote,
                    terms,
                    context: headings.clone(),
                });
                position += 1;
            }
            lead_in = last.and_then(|at| out.get(at).map(|u| (u.quote.clone(), at)));
            continue;
        }
        let items: Vec<&str> = lines.iter().map(|l| strip_list_marker(l)).collect();
        let mut context = headings.clone();
        if let Some((lead, at)) = &lead_in {
            context.extend(term_set(lead));
            // The lead-in alone says what follows, not the fact: quote it
            // with as many items as fit.
            if let Some(unit) = out.get_mut(*at) {
                let mut quote = unit.quote.clone();
                let mut words = unit.words;
                for (n, item) in items.iter().enumerate() {
                    let item_words = item.split_whitespace().count();
                    if words + item_words > MAX_ANSWER_WORDS {
                        break;
                    }
                    quote.push_str(if n == 0 { " " } else { "; " });
                    quote.push_str(item);
                    words += item_words;
                    unit.terms.extend(term_set(item));
                }
                unit.quote = quote;
                unit.words = words;
            }
        }
        let prefix = lead_in
            .as_ref()
            .map(|(lead, _)| lead.as_str())
            .filter(|lead| {
                lead.ends_with(':') && lead.split_whitespace().count() <= MAX_LEAD_IN_WORDS
            });
        for item in items {
            let terms = term_set(item);
            if terms.is_empty() {
                continue;
            }
            let quote = match prefix {
                Some(lead) => format!("{lead} {item}"),
                None => item.to_owned(),
            };
            let words = quote.split_whitespace().count();
            out.push(Unit {
                passage: p,
                position,
                words,
                own_words: words,
                list: Some(block_index),
                quote,
                terms,
                context: context.clone(),
            });
            position += 1;
        }
        lead_in = None;
    }
}

fn strip_list_marker(sentence: &str) -> &str {
    sentence
        .strip_prefix("- ")
        .or_else(|| sentence.strip_prefix("* "))
        .unwrap_or(sentence)
        .trim()
}
