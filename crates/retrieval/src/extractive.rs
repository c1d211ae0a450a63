//! The offline answer: quote the passages' sentences that best match the
//! question, with numbered citations.

use std::collections::{HashMap, HashSet};

use crate::Source;
use crate::lexical::tokens;

/// A retrieved passage, in order of relevance (best first).
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub title: String,
    pub url: Option<String>,
    pub heading_path: Vec<String>,
    pub text: String,
    /// Retrieval score (higher is better); only its ratio to the best
    /// passage's score matters.
    pub score: f32,
}

/// An extractive answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractiveAnswer {
    /// Markdown: the chosen sentences verbatim, in the passages' order of
    /// relevance, each followed by its citation like `[1]`.
    pub text: String,
    /// The cited sources, numbered in citation order (`[1]` is the first),
    /// deduplicated by URL (or by title when there is no URL).
    pub sources: Vec<Source>,
}

/// Answers stay within about this many words.
const MAX_ANSWER_WORDS: usize = 80;

/// Words after which a period does not end a sentence (lowercase, without
/// the final period).
const ABBREVIATIONS: &[&str] = &[
    "approx", "ca", "cf", "co", "dept", "dr", "e.g", "eg", "etc", "fig", "i.e", "ie", "inc", "jr",
    "ltd", "mr", "mrs", "ms", "mt", "no", "nr", "p.m", "a.m", "prof", "sr", "st", "vs", "z.b",
];

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

fn is_closer(c: char) -> bool {
    matches!(c, ')' | ']' | '"' | '\'' | '”' | '’' | '»' | '*' | '_')
}

/// Splits text into sentences: after `.`, `?`, `!` (and closing quotes or
/// brackets) followed by whitespace, and at every line break. Periods of
/// common abbreviations (e.g., i.e., Dr., Mr., …), initials and decimals do
/// not end a sentence, nor does a period followed by a lowercase word.
/// Returned slices are trimmed and never empty.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (_, c) = chars[i];
            if !is_terminator(c) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() && (is_terminator(chars[j].1) || is_closer(chars[j].1)) {
                j += 1;
            }
            let Some(&(end, next)) = chars.get(j) else {
                break;
            };
            if !next.is_whitespace()
                || (c == '.' && !ends_sentence(line, start, chars[i].0, &chars[j..]))
            {
                i = j;
                continue;
            }
            push_trimmed(&mut out, &line[start..end]);
            start = end;
            i = j;
        }
        push_trimmed(&mut out, &line[start..]);
    }
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, piece: &'a str) {
    let piece = piece.trim();
    if !piece.is_empty() {
        out.push(piece);
    }
}

/// Whether the period at byte `dot` of `line` (sentence begun at `start`)
/// ends the sentence; `after` are the characters following it.
fn ends_sentence(line: &str, start: usize, dot: usize, after: &[(usize, char)]) -> bool {
    let before = &line[start..dot];
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default()
        .trim_start_matches(['(', '[', '"', '\'', '“', '‘']);
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return false;
    }
    let mut letters = word.chars();
    if let (Some(first), None) = (letters.next(), letters.next())
        && first.is_uppercase()
    {
        return false; // an initial, as in "J. Smith"
    }
    let next = after.iter().map(|&(_, c)| c).find(|c| !c.is_whitespace());
    !next.is_some_and(char::is_lowercase)
}

struct Candidate<'a> {
    passage: usize,
    position: usize,
    text: &'a str,
    terms: HashSet<String>,
    words: usize,
    score: f32,
}

/// Meaning-based sentence scoring: the cosine similarity of a sentence
/// with the question, and the similarity below which it counts for
/// nothing.
pub struct Semantic<'a> {
    pub similarity: &'a dyn Fn(&str) -> f32,
    pub floor: f32,
}

/// Picks up to `max_sentences` (at most 3) non-redundant sentences from
/// `passages` that best match `question` and quotes them with citations.
/// `None` when no sentence shares a content word with the question.
pub fn answer(
    question: &str,
    passages: &[Passage],
    max_sentences: usize,
) -> Option<ExtractiveAnswer> {
    answer_with(question, passages, max_sentences, None)
}

/// [`answer`], where with `semantic` a sentence also scores by meaning: one
/// that shares no word with the question (a paraphrase) can still be
/// quoted when it is similar enough.
pub fn answer_with(
    question: &str,
    passages: &[Passage],
    max_sentences: usize,
    semantic: Option<Semantic<'_>>,
) -> Option<ExtractiveAnswer> {
    let wanted: HashSet<String> = tokens(question).into_iter().collect();
    if wanted.is_empty() {
        return None;
    }
    let mut candidates = Vec::new();
    for (p, passage) in passages.iter().enumerate() {
        for (position, sentence) in sentences(&passage.text).into_iter().enumerate() {
            if sentence.starts_with('#') {
                continue; // a heading line, not a statement
            }
            let text = strip_list_marker(sentence);
            let terms: HashSet<String> = tokens(text).into_iter().collect();
            if terms.is_empty() {
                continue;
            }
            candidates.push(Candidate {
                passage: p,
                position,
                text,
                words: text.split_whitespace().count(),
                terms,
                score: 0.0,
            });
        }
    }
    // Rarity of each question term among the candidate sentences.
    let n = candidates.len() as f32;
    let df: HashMap<&str, f32> = wanted
        .iter()
        .map(|term| {
            let count = candidates.iter().filter(|c| c.terms.contains(term)).count();
            (term.as_str(), count as f32)
        })
        .collect();
    let idf = |term: &str| {
        let df = df.get(term).copied().unwrap_or(0.0);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    };
    let total: f32 = wanted.iter().map(|t| idf(t)).sum();
    let best_passage = passages.iter().map(|p| p.score).fold(0f32, f32::max);
    for candidate in &mut candidates {
        let overlap: f32 = candidate
            .terms
            .iter()
            .filter(|t| wanted.contains(*t))
            .map(|t| idf(t))
            .sum();
        let weight = match passages.get(candidate.passage) {
            Some(p) if best_passage > 0.0 => 0.5 + 0.5 * (p.score / best_passage).clamp(0.0, 1.0),
            _ => 1.0,
        };
        let lexical = if total > 0.0 { overlap / total } else { 0.0 };
        let meaning = semantic.as_ref().map_or(0.0, |s| {
            let similarity = (s.similarity)(candidate.text);
            ((similarity - s.floor) / (1.0 - s.floor).max(f32::EPSILON)).max(0.0)
        });
        candidate.score = (lexical + meaning) * weight;
    }
    candidates.retain(|c| c.score > 0.0);
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.passage.cmp(&b.passage))
            .then(a.position.cmp(&b.position))
    });
    let best = candidates.first()?.score;
    let limit = max_sentences.clamp(1, 3);
    let mut chosen: Vec<&Candidate> = Vec::new();
    let mut words = 0;
    for candidate in &candidates {
        if chosen.len() >= limit {
            break;
        }
        if !chosen.is_empty() {
            if candidate.score < 0.5 * best || words + candidate.words > MAX_ANSWER_WORDS {
                continue;
            }
            let redundant = chosen.iter().any(|c| {
                let shared = c.terms.intersection(&candidate.terms).count();
                let union = c.terms.union(&candidate.terms).count();
                shared * 2 >= union
            });
            if redundant {
                continue;
            }
        }
        words += candidate.words;
        chosen.push(candidate);
    }
    chosen.sort_by_key(|c| (c.passage, c.position));

    let mut sources: Vec<Source> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut parts = Vec::new();
    for candidate in chosen {
        let passage = passages.get(candidate.passage)?;
        let key = passage
            .url
            .clone()
            .unwrap_or_else(|| format!("title:{}", passage.title));
        let number = match keys.iter().position(|k| *k == key) {
            Some(at) => at + 1,
            None => {
                keys.push(key);
                sources.push(Source {
                    title: passage.title.clone(),
                    url: passage.url.clone(),
                });
                keys.len()
            }
        };
        parts.push(format!("{} [{number}]", shorten(candidate.text)));
    }
    Some(ExtractiveAnswer {
        text: parts.join(" "),
        sources,
    })
}

fn strip_list_marker(sentence: &str) -> &str {
    sentence
        .strip_prefix("- ")
        .or_else(|| sentence.strip_prefix("* "))
        .unwrap_or(sentence)
        .trim()
}

/// Cuts an overlong sentence at a word boundary.
fn shorten(sentence: &str) -> String {
    if sentence.split_whitespace().count() <= MAX_ANSWER_WORDS {
        return sentence.to_owned();
    }
    let words: Vec<&str> = sentence.split_whitespace().take(MAX_ANSWER_WORDS).collect();
    format!("{} …", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_abbreviations_or_decimals() {
        assert_eq!(
            sentences(
                "Dr. Smith sees patients, e.g. on Mondays. The fee is 12.50 euros! Is that fair? \
                 Yes.\nNext line without a stop\n\n- A list item. J. R. Tolkien wrote it. etc. and more."
            ),
            [
                "Dr. Smith sees patients, e.g. on Mondays.",
                "The fee is 12.50 euros!",
                "Is that fair?",
                "Yes.",
                "Next line without a stop",
                "- A list item.",
                "J. R. Tolkien wrote it. etc. and more.",
            ]
        );
        assert_eq!(
            sentences("He said \"Stop.\" Then he left."),
            ["He said \"Stop.\"", "Then he left."]
        );
        assert!(sentences("  \n ").is_empty());
    }

    fn passage(title: &str, url: Option<&str>, text: &str, score: f32) -> Passage {
        Passage {
            title: title.to_owned(),
            url: url.map(str::to_owned),
            heading_path: vec![title.to_owned()],
            text: text.to_owned(),
            score,
        }
    }

    fn fixture() -> Vec<Passage> {
        vec![
            passage(
                "Opening hours",
                Some("https://example.com/hours"),
                "Welcome to our shop in Vienna. We open at 9 am from Monday to Friday and close at 6 pm. \
                 On Saturdays we are open from 10 am to 2 pm.",
                7.5,
            ),
            passage(
                "Shipping",
                Some("https://example.com/shipping"),
                "We ship all orders within two working days. Parcels to Germany arrive in about a week.",
                2.0,
            ),
        ]
    }

    #[test]
    fn quotes_the_matching_sentences_with_citations() {
        let answer = answer("When do you open?", &fixture(), 2);
        assert_eq!(
            answer,
            Some(ExtractiveAnswer {
                text: "We open at 9 am from Monday to Friday and close at 6 pm. [1] \
                       On Saturdays we are open from 10 am to 2 pm. [1]"
                    .to_owned(),
                sources: vec![Source {
                    title: "Opening hours".to_owned(),
                    url: Some("https://example.com/hours".to_owned()),
                }],
            })
        );
    }

    #[test]
    fn stems_and_numbers_sources_in_citation_order() {
        let answer = answer("Is shipping fast?", &fixture(), 1);
        assert_eq!(
            answer.as_ref().map(|a| a.text.as_str()),
            Some("We ship all orders within two working days. [1]")
        );
        assert_eq!(
            answer.map(|a| a.sources),
            Some(vec![Source {
                title: "Shipping".to_owned(),
                url: Some("https://example.com/shipping".to_owned()),
            }])
        );
        let both = answer_text("Do you open on Saturdays and ship orders?", 3);
        assert_eq!(
            both.as_deref(),
            Some(
                "On Saturdays we are open from 10 am to 2 pm. [1] \
                 We ship all orders within two working days. [2]"
            )
        );
    }

    fn answer_text(question: &str, max: usize) -> Option<String> {
        answer(question, &fixture(), max).map(|a| a.text)
    }

    #[test]
    fn returns_none_without_shared_content_words() {
        assert_eq!(answer_text("Do you sell bicycles?", 3), None);
        assert_eq!(answer_text("What is it?", 3), None);
        assert_eq!(answer("When do you open?", &[], 3), None);
    }

    #[test]
    fn deduplicates_sources_without_url_by_title_and_shortens() {
        let long = format!(
            "Refunds are possible {} today.",
            "within thirty days ".repeat(40)
        );
        let passages = vec![
            passage("FAQ", None, "Refunds take five days.", 1.0),
            passage("FAQ", None, &long, 1.0),
        ];
        let answer = answer("refunds", &passages, 1);
        assert_eq!(
            answer.as_ref().map(|a| a.text.as_str()),
            Some("Refunds take five days. [1]")
        );
        assert_eq!(
            shorten(&long).split_whitespace().count(),
            MAX_ANSWER_WORDS + 1
        );
        assert!(shorten(&long).ends_with("days within thirty …"));
        assert_eq!(answer.map(|a| a.sources.len()), Some(1));
    }
}
