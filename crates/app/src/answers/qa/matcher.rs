//! Whether a visitor's question asks what a stored question asks.
//!
//! A question matches a pair when `0.75 × cosine + 0.25 × overlap` reaches
//! [`MIN_SCORE`]. `cosine` compares the two questions' content words (the
//! words left once stopwords are out: "cleaning cost" / "much teeth
//! cleaning") under the configured embedder, so the shared "Do you … ?"
//! phrasing of questions counts for nothing. `overlap` is the weighted share
//! of content words (stemmed) the two have in common, each word weighted by
//! its rarity among the widget's stored questions. Without a vector (the
//! embedder failed) the overlap alone must reach [`MIN_OVERLAP`].
//!
//! Calibrated with the built-in embedder on the fixture in this module's
//! tests (twelve stored questions, 26 paraphrases, 16 look-alikes that share
//! a word but ask something else): 19 paraphrases find their pair, none
//! finds a wrong one, and 3 look-alikes match ("Is parking free?", "Can I
//! buy a gift card?" and "Do you have a shop in Austria?": the static table
//! cannot tell gift from credit cards, or shop from ship, next to a shared
//! word). Precision comes first — a miss falls through to the normal answer,
//! a false match gives a wrong answer verbatim — so the threshold sits just
//! below the weakest paraphrase the product promises to match ("What does a
//! cleaning cost?" for "How much is a teeth cleaning?", 0.54) and above the
//! look-alike next to it ("How do I book an appointment?" for "How do I
//! cancel my appointment?", 0.52). Other embedders use the same figures
//! uncalibrated.

use std::collections::{HashMap, HashSet};

use witzo_retrieval::lexical::{is_stopword, tokens};
use witzo_retrieval::vector::dot;

/// Weight of the embedder's cosine in the score; the overlap has the rest.
const COSINE_WEIGHT: f32 = 0.75;
/// The score a question needs to take a pair's answer.
pub const MIN_SCORE: f32 = 0.53;
/// The overlap a question needs when there is no vector to compare.
pub const MIN_OVERLAP: f32 = 0.55;

/// The words of a question that carry its meaning (stemmed), once each.
fn terms(text: &str) -> HashSet<String> {
    tokens(text).into_iter().collect()
}

/// What is embedded of a question: its words without stopwords, as
/// written, or the whole question when nothing else is left.
pub fn content(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w))
        .collect();
    if words.is_empty() {
        text.to_owned()
    } else {
        words.join(" ")
    }
}

struct Pair {
    answer: String,
    terms: HashSet<String>,
    /// Unit vector of the question; empty when it could not be embedded.
    vector: Vec<f32>,
}

/// A widget's pairs at one knowledge version, ready to match.
pub struct QaMatcher {
    pub version: i64,
    pairs: Vec<Pair>,
    /// How many stored questions hold each word.
    frequency: HashMap<String, usize>,
}

impl QaMatcher {
    /// `pairs` are (question, answer); `vectors` the embeddings of the
    /// questions' [`content`] in the same order (empty when unavailable).
    pub fn build(version: i64, pairs: Vec<(String, String)>, vectors: Vec<Vec<f32>>) -> Self {
        let mut vectors = vectors.into_iter();
        let pairs: Vec<Pair> = pairs
            .into_iter()
            .map(|(question, answer)| Pair {
                answer,
                terms: terms(&question),
                vector: vectors.next().unwrap_or_default(),
            })
            .collect();
        let mut frequency = HashMap::new();
        for term in pairs.iter().flat_map(|p| &p.terms) {
            *frequency.entry(term.clone()).or_default() += 1;
        }
        Self {
            version,
            pairs,
            frequency,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// A word's weight: its inverse frequency among the stored questions
    /// (a word no stored question has weighs most).
    fn weight(&self, term: &str) -> f32 {
        let n = self.pairs.len() as f32;
        let df = self.frequency.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n + 1.0) / (df + 0.5)).ln()
    }

    /// The weighted share of content words two questions have in common.
    fn overlap(&self, asked: &HashSet<String>, stored: &HashSet<String>) -> f32 {
        let shared: f32 = asked.intersection(stored).map(|t| self.weight(t)).sum();
        let all: f32 = asked.union(stored).map(|t| self.weight(t)).sum();
        if all > 0.0 { shared / all } else { 0.0 }
    }

    /// How far each pair's score for `question` is above the score it
    /// needs (see the module's documentation): a match from zero on.
    fn margins<'a>(
        &'a self,
        question: &str,
        embedded: Option<&'a [f32]>,
    ) -> impl Iterator<Item = f32> + 'a {
        let asked = terms(question);
        self.pairs.iter().map(move |pair| {
            let overlap = self.overlap(&asked, &pair.terms);
            match embedded {
                Some(q) if q.len() == pair.vector.len() => {
                    let cosine = dot(q, &pair.vector);
                    COSINE_WEIGHT * cosine + (1.0 - COSINE_WEIGHT) * overlap - MIN_SCORE
                }
                _ => overlap - MIN_OVERLAP,
            }
        })
    }

    /// The answer of the pair that best matches `question` (whose
    /// [`content`] was embedded as `embedded`), if one is close enough. On
    /// a tie the newest pair wins, so a later correction of the same
    /// question replaces an earlier one.
    pub fn answer(&self, question: &str, embedded: Option<&[f32]>) -> Option<&str> {
        let (best, margin) = self
            .margins(question, embedded)
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        (margin >= 0.0).then(|| self.pairs[best].answer.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

    use super::*;
    use crate::answers::embedding::Embeddings;

    /// A dental practice and shop's corrections.
    const STORED: &[&str] = &[
        "How much is a teeth cleaning?",
        "What are your opening hours?",
        "Do you have parking?",
        "Can I pay by credit card?",
        "How do I cancel my appointment?",
        "Do you treat children?",
        "Where is your office?",
        "Do you ship to Austria?",
        "How long does delivery take?",
        "Is the first consultation free?",
        "Do you offer teeth whitening?",
        "What is your return policy?",
    ];

    /// Visitors' paraphrases, with the stored question each one asks.
    const PARAPHRASES: &[(&str, usize)] = &[
        ("What does a cleaning cost?", 0),
        ("teeth cleaning price", 0),
        ("How much do you charge for cleaning teeth?", 0),
        ("When are you open?", 1),
        ("opening times?", 1),
        ("What time do you open?", 1),
        ("Is there somewhere to park?", 2),
        ("Where can I park my car?", 2),
        ("Do you take credit cards?", 3),
        ("Do you accept Visa?", 3),
        ("I need to cancel my appointment", 4),
        ("Can I cancel an appointment online?", 4),
        ("Can kids be treated here?", 5),
        ("Do you see young patients?", 5),
        ("What is your address?", 6),
        ("Where are you located?", 6),
        ("Can you deliver to Austria?", 7),
        ("Is shipping to Austria possible?", 7),
        ("When will my order arrive?", 8),
        ("How many days until delivery?", 8),
        ("Do I have to pay for the first consultation?", 9),
        ("Does the initial consultation cost anything?", 9),
        ("Can I get my teeth whitened?", 10),
        ("Is whitening available?", 10),
        ("Can I return an item?", 11),
        ("How do returns work?", 11),
    ];

    /// Questions that share a word with a stored one but ask something else.
    const OTHERS: &[&str] = &[
        "Do you sell cleaning products?",
        "How much is a crown?",
        "How much is a root canal?",
        "How many hours does whitening take?",
        "Do you have vegan options?",
        "Is parking free?",
        "Can I buy a gift card?",
        "How do I book an appointment?",
        "Do you sell children's toothbrushes?",
        "Is the office open on Sundays?",
        "Do you have a shop in Austria?",
        "How long does a filling last?",
        "Do you offer payment plans?",
        "Can I return to work after surgery?",
        "Do you deliver on weekends?",
        "Who won the football game yesterday?",
    ];

    async fn matcher(embeddings: &Embeddings) -> QaMatcher {
        let pairs = STORED
            .iter()
            .enumerate()
            .map(|(i, q)| ((*q).to_owned(), i.to_string()))
            .collect();
        let texts = STORED.iter().map(|q| content(q)).collect();
        QaMatcher::build(1, pairs, embeddings.embed(texts).await.unwrap())
    }

    /// The stored question's index whose answer `asked` gets, if any.
    async fn matched(m: &QaMatcher, embeddings: &Embeddings, asked: &str) -> Option<usize> {
        let embedded = embeddings.embed_question(&content(asked)).await;
        m.answer(asked, embedded.as_deref())
            .map(|answer| answer.parse().unwrap())
    }

    #[tokio::test]
    async fn a_paraphrase_matches_and_a_question_sharing_one_word_does_not() {
        let embeddings = Embeddings::builtin().unwrap();
        let m = matcher(&embeddings).await;
        assert_eq!(
            matched(&m, &embeddings, "What does a cleaning cost?").await,
            Some(0)
        );
        assert_eq!(
            matched(&m, &embeddings, "HOW MUCH is a teeth cleaning").await,
            Some(0)
        );
        assert_eq!(
            matched(&m, &embeddings, "Do you sell cleaning products?").await,
            None
        );
        assert_eq!(
            matched(&m, &embeddings, "Who won the football game yesterday?").await,
            None
        );
    }

    #[tokio::test]
    async fn the_threshold_keeps_its_calibrated_figures_on_the_fixture() {
        let embeddings = Embeddings::builtin().unwrap();
        let m = matcher(&embeddings).await;
        let (mut right, mut wrong, mut missed) = (0, Vec::new(), Vec::new());
        for (asked, want) in PARAPHRASES {
            match matched(&m, &embeddings, asked).await {
                Some(got) if got == *want => right += 1,
                Some(_) => wrong.push(*asked),
                None => missed.push(*asked),
            }
        }
        let mut false_matches = Vec::new();
        for asked in OTHERS {
            if matched(&m, &embeddings, asked).await.is_some() {
                false_matches.push(*asked);
            }
        }
        assert_eq!(right, 19, "missed: {missed:?}");
        assert_eq!(wrong, Vec::<&str>::new());
        assert_eq!(
            false_matches,
            [
                "Is parking free?",
                "Can I buy a gift card?",
                "Do you have a shop in Austria?"
            ]
        );
    }

    #[test]
    fn without_vectors_only_a_close_rewording_matches() {
        let pairs = STORED
            .iter()
            .enumerate()
            .map(|(i, q)| ((*q).to_owned(), i.to_string()))
            .collect();
        let m = QaMatcher::build(1, pairs, Vec::new());
        assert_eq!(m.answer("how much is a TEETH cleaning", None), Some("0"));
        assert_eq!(m.answer("I need to cancel my appointment", None), Some("4"));
        assert_eq!(m.answer("What does a cleaning cost?", None), None);
        assert_eq!(m.answer("How do I book an appointment?", None), None);
        assert!(QaMatcher::build(1, Vec::new(), Vec::new()).is_empty());
    }

    #[test]
    fn the_newest_of_two_pairs_for_one_question_answers() {
        let question = "Do you have parking?".to_owned();
        let pairs = vec![
            (question.clone(), "old".to_owned()),
            (question.clone(), "new".to_owned()),
        ];
        let m = QaMatcher::build(1, pairs, Vec::new());
        assert_eq!(m.answer(&question, None), Some("new"));
    }
}
