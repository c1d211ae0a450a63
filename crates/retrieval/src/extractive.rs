//! The offline answer: quote the passages' sentences that best match the
//! question, with numbered citations.

use std::collections::HashSet;

pub use crate::sentences::sentences;

use crate::Source;
use crate::facts::Expect;
use crate::quotable::{Unit, units};
use crate::relevance::{QueryTerms, term_set};

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
pub(crate) const MAX_ANSWER_WORDS: usize = 80;

struct Scored {
    unit: Unit,
    /// Share of the question the quote itself covers.
    text_coverage: f32,
    /// … together with its context.
    coverage: f32,
    /// Normalised similarity of meaning (0 without an embedder).
    meaning: f32,
    score: f32,
}

/// Meaning-based sentence scoring: the cosine similarity of a sentence
/// with the question, and the similarity below which it counts for
/// nothing.
pub struct Semantic<'a> {
    pub similarity: &'a dyn Fn(&str) -> f32,
    pub floor: f32,
}

/// How sentences are scored and when the best is good enough to quote,
/// calibrated per embedder with `witzo bench answers` (see
/// docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Share of the question's weight (rarer terms weigh more) that the
    /// quoted sentence with its headings must cover …
    pub min_coverage: f32,
    /// … unless its normalised similarity of meaning reaches this.
    pub min_meaning: f32,
    /// Factor for a sentence without the kind of fact asked for.
    pub missing_fact: f32,
    /// Exponent of the penalty for sentences longer than [`BRIEF_WORDS`].
    pub brevity: f32,
}

impl Default for Rules {
    /// Calibrated on the siteqa dev suite with the built-in embedder; the
    /// same figures came out best for all-MiniLM-L6-v2.
    fn default() -> Self {
        Self {
            min_coverage: 0.5,
            min_meaning: 0.5,
            missing_fact: 0.4,
            brevity: 0.3,
        }
    }
}

/// How much a table row's first cell covering the question counts.
const ROW_KEY: f32 = 0.1;

/// Sentences up to this many words are not penalised for length.
const BRIEF_WORDS: f32 = 25.0;

/// The quotable units of a question's passages, split and analysed once
/// for both the semantic scoring and the answer (splitting them was a
/// fifth of a chat turn's cost, and it was done twice).
pub struct Quotable(Vec<Unit>);

impl Quotable {
    pub fn of(passages: &[Passage]) -> Self {
        let mut all = Vec::new();
        for (p, passage) in passages.iter().enumerate() {
            units(p, passage, &mut all);
        }
        Self(all)
    }

    /// Every quotable sentence (what [`Semantic`] is asked to score),
    /// once each.
    pub fn quotes(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.0
            .iter()
            .filter(|unit| seen.insert(unit.quote.as_str()))
            .map(|unit| unit.quote.clone())
            .collect()
    }
}

/// Picks the sentences of `passages` that answer `question` and quotes
/// them with citations; see [`answer_with`]. Terms weigh by their rarity
/// among the passages' sentences; no semantic scoring.
pub fn answer(
    question: &str,
    passages: &[Passage],
    max_sentences: usize,
) -> Option<ExtractiveAnswer> {
    let quotable = Quotable::of(passages);
    let all = &quotable.0;
    let n = all.len() as f32;
    let terms = QueryTerms::new(question, |term| {
        let df = all.iter().filter(|u| u.terms.contains(term)).count() as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    });
    let rules = Rules {
        min_coverage: f32::EPSILON,
        ..Rules::default()
    };
    answer_with(
        question,
        &terms,
        passages,
        quotable,
        max_sentences,
        None,
        rules,
    )
}

/// Picks from `passages` the sentences that answer `question` — by the
/// weighted share of the question's `terms` they (with their headings)
/// cover, by holding the kind of fact asked for (a price for "how
/// much"), and by brevity; equal scores go to the better-ranked passage —
/// and quotes them with citations. A second or third sentence is added
/// only when it covers part of the question the first did not. `None`
/// when the best sentence does not cover enough of the question (or come
/// close enough in meaning, with `semantic`), or lacks the fact asked for.
/// `quotable` is [`Quotable::of`] these `passages`.
pub fn answer_with(
    question: &str,
    terms: &QueryTerms,
    passages: &[Passage],
    quotable: Quotable,
    max_sentences: usize,
    semantic: Option<Semantic<'_>>,
    rules: Rules,
) -> Option<ExtractiveAnswer> {
    if terms.is_empty() {
        return None;
    }
    let all = quotable.0;
    let expect = Expect::of(question);
    let mut scored: Vec<Scored> = all
        .into_iter()
        .map(|unit| {
            let text_coverage = terms.coverage(&unit.terms);
            let with_context: HashSet<String> = unit.terms.union(&unit.context).cloned().collect();
            let coverage = terms.coverage(&with_context);
            let meaning = semantic.as_ref().map_or(0.0, |s| {
                let similarity = (s.similarity)(&unit.quote);
                ((similarity - s.floor) / (1.0 - s.floor).max(f32::EPSILON)).max(0.0)
            });
            let fact = if expect.found_in(&unit.quote) {
                1.0
            } else {
                rules.missing_fact
            };
            // Of two sentences covering the same, the shorter is the more
            // direct answer (a table row's own cell, not a row that
            // mentions it in passing).
            let brevity =
                (BRIEF_WORDS / (unit.own_words as f32).max(BRIEF_WORDS)).powf(rules.brevity);
            // A table row is about what its first cell names: of two rows
            // mentioning a "Basic Tune-Up", the one whose key it is wins.
            let key = match (unit.list, unit.quote.split_once(" · ")) {
                (Some(_), Some((first, _))) => 1.0 + ROW_KEY * terms.coverage(&term_set(first)),
                _ => 1.0,
            };
            Scored {
                score: coverage * fact * brevity * key,
                unit,
                text_coverage,
                coverage,
                meaning,
            }
        })
        // A sentence must say something of the question itself; a list
        // item or table row may owe it all to its heading ("Opening
        // hours" over "Saturday · closed").
        .filter(|s| s.unit.list.is_some() || s.text_coverage > 0.0 || s.meaning > 0.0)
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.unit.passage.cmp(&b.unit.passage))
            .then(a.unit.position.cmp(&b.unit.position))
    });
    let best = scored.first()?;
    if best.coverage < rules.min_coverage && best.meaning < rules.min_meaning {
        return None;
    }
    // A question for a price (a time, a duration, a number) is not
    // answered by a sentence without one.
    if !expect.found_in(&best.unit.quote) {
        return None;
    }
    let limit = max_sentences.clamp(1, 3);
    let best_score = best.score;
    let mut covered: HashSet<String> = terms.covered(&best.unit.terms);
    covered.extend(terms.covered(&best.unit.context));
    let mut chosen: Vec<&Scored> = vec![best];
    let mut words = best.unit.words;
    // Rows of the same list that answer just as well (a week's opening
    // hours, one row per day) are quoted together.
    if best.unit.list.is_some() {
        let mut siblings: Vec<&Scored> = scored
            .iter()
            .skip(1)
            .filter(|c| {
                c.unit.passage == best.unit.passage
                    && c.unit.list == best.unit.list
                    && c.score >= 0.99 * best_score
            })
            .collect();
        siblings.sort_by_key(|c| c.unit.position);
        for sibling in siblings {
            if words + sibling.unit.words > MAX_ANSWER_WORDS {
                break;
            }
            words += sibling.unit.words;
            chosen.push(sibling);
        }
    }
    for candidate in scored.iter().skip(1) {
        if chosen.iter().any(|c| std::ptr::eq(*c, candidate)) {
            continue;
        }
        if chosen.len() >= limit || terms.share(&covered) >= 0.99 {
            break;
        }
        if candidate.score < 0.3 * best_score || words + candidate.unit.words > MAX_ANSWER_WORDS {
            continue;
        }
        let new: HashSet<String> = terms
            .covered(&candidate.unit.terms)
            .difference(&covered)
            .cloned()
            .collect();
        if terms.share(&new) < 0.15 {
            continue;
        }
        covered.extend(new);
        words += candidate.unit.words;
        chosen.push(candidate);
    }
    chosen.sort_by_key(|c| (c.unit.passage, c.unit.position));

    // Rows of one list are quoted as one part: "a; b; c [1]".
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    let mut previous: Option<(usize, Option<usize>)> = None;
    for candidate in chosen {
        let key = (candidate.unit.passage, candidate.unit.list);
        let quote = shorten(&candidate.unit.quote);
        match groups.last_mut() {
            Some((_, quotes)) if key.1.is_some() && previous == Some(key) => quotes.push(quote),
            _ => groups.push((candidate.unit.passage, vec![quote])),
        }
        previous = Some(key);
    }
    let mut sources: Vec<Source> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut parts = Vec::new();
    for (at, quotes) in groups {
        let passage = passages.get(at)?;
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
        let mut text = String::new();
        for quote in quotes {
            if !text.is_empty() {
                // Rows run on with "; ", whole sentences with a space.
                text.push_str(if text.ends_with(['.', '!', '?']) {
                    " "
                } else {
                    "; "
                });
            }
            text.push_str(&quote);
        }
        parts.push(format!("{text} [{number}]"));
    }
    Some(ExtractiveAnswer {
        text: parts.join(" "),
        sources,
    })
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
    fn quotes_the_sentence_that_answers_and_stops_when_the_question_is_covered() {
        let answer = answer("When do you open?", &fixture(), 2);
        assert_eq!(
            answer,
            Some(ExtractiveAnswer {
                text: "We open at 9 am from Monday to Friday and close at 6 pm. [1]".to_owned(),
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

    fn page(title: &str, text: &str) -> Passage {
        Passage {
            title: title.to_owned(),
            url: Some(format!("https://bikes.example/{}", title.to_lowercase())),
            heading_path: vec![title.to_owned()],
            text: text.to_owned(),
            score: 1.0,
        }
    }

    #[test]
    fn a_price_question_quotes_the_row_with_the_price_not_the_sentence_repeating_its_words() {
        let repairs = page(
            "Repairs",
            "Our tune-ups keep your bike riding like new, and a tune-up is the best thing you can do for it.\n\n\
             ## Tune-up packages\n\n\
             - Package: Basic Tune-Up · Price: $79\n\
             - Package: Standard Tune-Up · Includes: everything in the Basic Tune-Up plus a full drivetrain clean · Price: $129",
        );
        let found = answer("How much is a Basic Tune-Up?", &[repairs], 3);
        assert_eq!(
            found.map(|a| a.text).as_deref(),
            Some("Package: Basic Tune-Up · Price: $79 [1]")
        );
    }

    #[test]
    fn a_lead_in_is_quoted_with_its_list_and_an_item_with_its_lead_in() {
        let insurance = page(
            "Insurance",
            "We work with most insurers.\n\n\
             We are in network with these PPO plans:\n\n- Delta Dental\n- Cigna\n- Aetna",
        );
        let plans = answer("Which PPO plans are you in network with?", &[insurance], 1);
        assert_eq!(
            plans.map(|a| a.text).as_deref(),
            Some("We are in network with these PPO plans: Delta Dental; Cigna; Aetna [1]")
        );
        // A list too long to quote whole: the item keeps its lead-in.
        let mut items: Vec<String> = (1..=12)
            .map(|n| format!("- Route {n} follows the river path for a few quiet miles"))
            .collect();
        items.push("- The Ridge loop climbs to the lighthouse".to_owned());
        let rides = page(
            "Rides",
            &format!("Our guided rides:\n\n{}", items.join("\n")),
        );
        let ridge = answer("Does the Ridge loop go to the lighthouse?", &[rides], 1);
        assert_eq!(
            ridge.map(|a| a.text).as_deref(),
            Some("Our guided rides: The Ridge loop climbs to the lighthouse [1]")
        );
    }

    #[test]
    fn rows_that_answer_equally_are_quoted_together() {
        let contact = page(
            "Contact",
            "Call us any time.\n\n## Opening hours\n\n\
             - Monday · 8:00 am – 5:00 pm\n- Tuesday · 8:00 am – 7:00 pm\n- Saturday · closed",
        );
        let found = answer("What are your opening hours?", &[contact], 3);
        assert_eq!(
            found.map(|a| a.text).as_deref(),
            Some("Monday · 8:00 am – 5:00 pm; Tuesday · 8:00 am – 7:00 pm; Saturday · closed [1]")
        );
    }

    #[test]
    fn the_right_page_with_the_wrong_sentence_first_still_quotes_the_answer() {
        // The first sentence repeats the question's words; the heading
        // says what the second one is about.
        let about = page(
            "About",
            "Who started the company is a question we hear a lot at the counter.\n\n\
             ## Our founder\n\nMaria Lopez opened the first shop in 2012 after ten years as a barista.",
        );
        let terms = QueryTerms::new("Who is the founder of the shop?", |_| 1.0);
        let found = answer_with(
            "Who is the founder of the shop?",
            &terms,
            std::slice::from_ref(&about),
            Quotable::of(std::slice::from_ref(&about)),
            3,
            None,
            Rules::default(),
        );
        assert_eq!(
            found.map(|a| a.text).as_deref(),
            Some("Maria Lopez opened the first shop in 2012 after ten years as a barista. [1]")
        );
    }

    #[test]
    fn evidence_covering_too_little_of_the_question_is_not_quoted() {
        let shipping = page(
            "Shipping",
            "We ship to the United States and Canada within five days.",
        );
        // "Canada" is there; "capital", the rarest part, is not.
        let weight = |t: &str| if t == "capit" { 4.0 } else { 1.0 };
        let terms = QueryTerms::new("What is the capital of Canada?", weight);
        let found = answer_with(
            "What is the capital of Canada?",
            &terms,
            std::slice::from_ref(&shipping),
            Quotable::of(std::slice::from_ref(&shipping)),
            3,
            None,
            Rules::default(),
        );
        assert_eq!(found, None);
    }
}
