//! What a question asks for: its informative terms, weighted by how rare
//! they are in the knowledge, and the kind of fact that answers it (a
//! price, a number, a time, a duration). Used to decide whether a passage
//! or sentence covers the question, and which sentence holds the answer.

use std::collections::HashSet;

use crate::facts::{Expect, fact_words};
use crate::lexical::tokens;
use crate::thesaurus;

/// Words (as analysed tokens) that ask rather than inform: they say how a
/// question is put, not what it is about, so they never count for or
/// against coverage.
const ASKING: &[&str] = &[
    "also", "anyon", "anyth", "ask", "could", "ever", "get", "give", "go", "know", "let", "like",
    "mani", "may", "mayb", "might", "much", "need", "one", "per", "pleas", "realli", "say",
    "someon", "someth", "still", "tell", "thing", "want", "way", "well", "would", "yes", "ok",
    "okay", "hi", "hello", "thank", "thanks", "actual", "current", "exact", "possibl", "usual",
    // "Do you serve / sell / offer / carry X?": the question is about X.
    "serv", "sell", "offer", "provid", "carri", "stock",
];

/// The question without "how long", "how much", "how many", "how often":
/// their second word asks for a kind of fact (see [`Expect`]), it is not
/// what the question is about.
fn without_asking_phrases(question: &str) -> String {
    let mut out = String::with_capacity(question.len());
    let mut after_how = false;
    for word in question.split_inclusive(|c: char| !c.is_alphanumeric()) {
        let bare = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        let lower = bare.to_lowercase();
        if after_how
            && [
                "long",
                "much",
                "many",
                "often",
                "soon",
                "quickly",
                "frequently",
            ]
            .contains(&lower.as_str())
        {
            out.push_str(&word[bare.len()..]);
        } else {
            out.push_str(word);
        }
        if !bare.is_empty() {
            after_how = lower == "how";
        }
    }
    out
}

/// Analysed words that ask for a price.
const PRICE_WORDS: &[&str] = &["cost", "price", "fee", "charg", "pay"];

/// How much more than the rarest word a word the knowledge never uses
/// weighs: the site not saying it at all is strong evidence that the
/// question is about something else (measured: with it, "What is the
/// population of Austin, Texas?" is no longer answered from a page naming
/// the company's Austin office).
const UNSEEN_WEIGHT: f32 = 1.5;

/// Share of a term's weight that a synonym of it earns.
const SYNONYM_CREDIT: f32 = 0.45;

/// Share of a term's weight that a derived form of it earns.
const DERIVED_CREDIT: f32 = 0.7;

/// Endings that derive one analysed term from another.
const DERIVATIONS: &[&str] = &[
    "al", "er", "r", "or", "est", "ist", "ment", "ion", "ation", "ship", "ity", "ive", "ful", "y",
    "ic",
];

/// Whether one of two analysed terms is the other plus a derivational
/// ending (the stemmer keeps "rental" and "rent" apart).
fn derived(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 3
        && long
            .strip_prefix(short)
            .is_some_and(|ending| DERIVATIONS.contains(&ending))
}

/// One informative term of a question.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    term: String,
    weight: f32,
    /// Synonyms the knowledge uses instead, with what each earns.
    synonyms: Vec<(String, f32)>,
}

/// A set of analysed terms, as coverage asks about it: a [`term_set`], or
/// a form of one kept more compactly (a knowledge index keeps each chunk's
/// as numbers).
pub trait TermLookup {
    fn has(&self, term: &str) -> bool;
    /// Whether `matches` holds for any of the terms.
    fn any_term(&self, matches: &mut dyn FnMut(&str) -> bool) -> bool;
}

impl TermLookup for HashSet<String> {
    fn has(&self, term: &str) -> bool {
        self.contains(term)
    }

    fn any_term(&self, matches: &mut dyn FnMut(&str) -> bool) -> bool {
        self.iter().any(|term| matches(term))
    }
}

/// A question's informative terms with their weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryTerms {
    terms: Vec<Term>,
    total: f32,
}

impl QueryTerms {
    /// The question's terms (analysed, asking words out, once each),
    /// weighted by `weight` (e.g. the term's IDF in the knowledge).
    pub fn new(question: &str, weight: impl Fn(&str) -> f32) -> Self {
        let mut terms: Vec<Term> = Vec::new();
        for term in tokens(&without_asking_phrases(question)) {
            if ASKING.contains(&term.as_str()) || terms.iter().any(|t| t.term == term) {
                continue;
            }
            let weight = weight(&term).max(0.0);
            terms.push(Term {
                term,
                weight,
                synonyms: Vec::new(),
            });
        }
        // "cost" in "How much does X cost?" asks for a price, like "how
        // much": the question is about X (the sentence must hold a price,
        // see `Expect`).
        if Expect::of(question) == Expect::Price
            && terms
                .iter()
                .any(|t| !PRICE_WORDS.contains(&t.term.as_str()))
        {
            terms.retain(|t| !PRICE_WORDS.contains(&t.term.as_str()));
        }
        let total = terms.iter().map(|t| t.weight).sum();
        Self { terms, total }
    }

    /// For each term the knowledge never uses (`known` says), the
    /// WordNet synonyms it does use: each earns a share of the term's
    /// weight, but never more than its own `weight` (a common synonym is
    /// weak evidence).
    pub fn with_synonyms(
        mut self,
        known: impl Fn(&str) -> bool,
        weight: impl Fn(&str) -> f32,
    ) -> Self {
        for term in &mut self.terms {
            if known(&term.term) {
                continue;
            }
            term.synonyms = thesaurus::synonyms(&term.term)
                .iter()
                .filter(|s| known(s) && !ASKING.contains(&s.as_str()))
                .map(|s| (s.clone(), SYNONYM_CREDIT * term.weight.min(weight(s))))
                .collect();
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() || self.total <= 0.0
    }

    /// The terms and their weights.
    pub fn terms(&self) -> impl Iterator<Item = (&str, f32)> {
        self.terms.iter().map(|t| (t.term.as_str(), t.weight))
    }

    /// The synonyms found for the terms, to search with as well.
    pub fn synonyms(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .flat_map(|t| t.synonyms.iter().map(|(s, _)| s.as_str()))
    }

    /// What `have` earns for one term: its weight when it holds the term,
    /// else the best a synonym earns, a derived form ("rental" for
    /// "rent", "older" for "old") earning part of either.
    fn earned(term: &Term, have: &(impl TermLookup + ?Sized)) -> f32 {
        if have.has(&term.term) {
            return term.weight;
        }
        std::iter::once((&term.term, term.weight))
            .chain(term.synonyms.iter().map(|(s, w)| (s, *w)))
            .map(|(form, weight)| {
                if have.has(form) {
                    weight
                } else if have.any_term(&mut |h| derived(form, h)) {
                    DERIVED_CREDIT * weight
                } else {
                    0.0
                }
            })
            .fold(0.0, f32::max)
    }

    /// The share of the question's weight that `have` earns (0–1).
    pub fn coverage(&self, have: &(impl TermLookup + ?Sized)) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let earned: f32 = self.terms.iter().map(|t| Self::earned(t, have)).sum();
        earned / self.total
    }

    /// The question's terms `have` holds (or a synonym of).
    pub fn covered(&self, have: &HashSet<String>) -> HashSet<String> {
        self.terms
            .iter()
            .filter(|t| Self::earned(t, have) > 0.0)
            .map(|t| t.term.clone())
            .collect()
    }

    /// The weight share of `terms` (a subset of the question's terms).
    pub fn share(&self, terms: &HashSet<String>) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let sum: f32 = self
            .terms
            .iter()
            .filter(|t| terms.contains(&t.term))
            .map(|t| t.weight)
            .sum();
        sum / self.total
    }
}

impl crate::LexicalIndex {
    /// A question's informative terms, each weighted by its rarity in this
    /// index (a term no document holds weighs the most), with WordNet
    /// synonyms for the words it never uses.
    pub fn query_terms(&self, question: &str) -> QueryTerms {
        let weight = |term: &str| {
            if self.knows(term) {
                self.idf(term)
            } else {
                UNSEEN_WEIGHT * self.unseen_idf()
            }
        };
        QueryTerms::new(question, weight)
            .with_synonyms(|term| self.knows(term), |term| self.idf(term))
    }
}

/// The distinct analysed terms of `text`, and the words naming the kinds
/// of fact it holds: "What's your phone number?" is answered by "Phone:
/// (541) 555-0160", "Where are you located?" by "88 Wharf Road".
pub fn term_set(text: &str) -> HashSet<String> {
    let mut terms: HashSet<String> = tokens(text).into_iter().collect();
    terms.extend(tokens(&fact_words(text).join(" ")));
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_naming_a_kind_of_fact_is_covered_by_such_a_fact() {
        let phone = QueryTerms::new("What's your phone number?", |_| 1.0);
        assert_eq!(phone.coverage(&term_set("Phone: (541) 555-0160")), 1.0);
        assert_eq!(phone.coverage(&term_set("Call us anytime.")), 0.0);
        let located = QueryTerms::new("Where are you located?", |_| 1.0);
        assert_eq!(
            located.coverage(&term_set("88 Wharf Road, Port Alder")),
            1.0
        );
        assert_eq!(located.coverage(&term_set("My 1987 steel road bike")), 0.0);
        assert!(!Expect::Time.found_in("Bike: City cruiser · 2 hours: $20"));
        assert!(Expect::Time.found_in("Open 9:30 to 5"));
        let email = QueryTerms::new("What is your email?", |_| 1.0);
        assert_eq!(email.coverage(&term_set("Email: hello@shop.example")), 1.0);
        assert_eq!(
            email.coverage(&term_set("We mail catalogues at 9 am.")),
            0.0
        );
        // "cost" asks for a price: the question is about the fitting.
        let cost = QueryTerms::new("What does a fitting cost?", |_| 1.0);
        assert_eq!(cost.terms().map(|(t, _)| t).collect::<Vec<_>>(), ["fit"]);
        let fee = QueryTerms::new("What is the fee?", |_| 1.0);
        assert_eq!(fee.terms().map(|(t, _)| t).collect::<Vec<_>>(), ["fee"]);
    }

    #[test]
    fn weighs_coverage_by_rarity_and_ignores_asking_words() {
        let weight = |t: &str| if t == "capit" { 5.0 } else { 1.0 };
        let terms = QueryTerms::new("Can you tell me the capital of Canada, please?", weight);
        assert_eq!(
            terms.terms().map(|(t, _)| t).collect::<Vec<_>>(),
            ["capit", "canada"]
        );
        let have = term_set("We ship to Canada.");
        assert!((terms.coverage(&have) - 1.0 / 6.0).abs() < 1e-6);
        let trial = QueryTerms::new("How long is the free trial?", |_| 1.0);
        assert_eq!(
            trial.terms().map(|(t, _)| t).collect::<Vec<_>>(),
            ["free", "trial"]
        );
        let hire = QueryTerms::new("Can I hire a bicycle?", |_| 2.0).with_synonyms(
            |t| ["rent", "bike", "bicycl", "take"].contains(&t),
            |t| if t == "take" { 0.5 } else { 2.0 },
        );
        assert!(hire.synonyms().any(|s| s == "rent"));
        // "bicycl" is known itself: no synonyms for it.
        assert!(!hire.synonyms().any(|s| s == "bike"));
        let rent = term_set("Rent a bicycle for a day.");
        assert!((hire.coverage(&rent) - (0.45 * 2.0 + 2.0) / 4.0).abs() < 1e-6);
        // A common synonym earns no more than its own weight.
        let take = term_set("Take a bicycle.");
        assert!((hire.coverage(&take) - (0.45 * 0.5 + 2.0) / 4.0).abs() < 1e-6);
        // A derived form earns part of the term.
        let old = QueryTerms::new("old rent", |_| 1.0);
        let rental = term_set("Renters must be 18 or older; the rental fee is $20.");
        assert!(
            (old.coverage(&rental) - 0.7).abs() < 1e-6,
            "{}",
            old.coverage(&rental)
        );
        assert!(!derived("car", "card"));
        let hair = QueryTerms::new("Do you cut long hair?", |_| 1.0);
        assert_eq!(
            hair.terms().map(|(t, _)| t).collect::<Vec<_>>(),
            ["cut", "long", "hair"]
        );
    }
}
