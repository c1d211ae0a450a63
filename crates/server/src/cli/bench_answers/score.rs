//! How a reply is scored, the same as siteqa's `run.py` so that both
//! print the same figures: a reply is *refused* when its `sources` list is
//! empty; direct and paraphrase questions are correct when answered with
//! one of their `expect` phrases, unanswerable and off-topic ones when
//! refused, small talk when refused without saying "I don't know"; any
//! reply other than 200 is wrong.

use serde::Serialize;
use serde_json::Value;

use super::gold::is_gold;
use super::suite::{Kind, Question};

/// Phrases that make a small-talk reply wrong: the visitor said hello and
/// was told the knowledge does not cover it.
const DONT_KNOW: [&str; 6] = [
    "couldn't find",
    "could not find",
    "don't know",
    "do not know",
    "not sure",
    "no information",
];

/// Lowercase; dashes, quotes and spaces evened out, `&amp;` unescaped,
/// whitespace runs collapsed to one space — so `5-7` matches `5–7`.
pub fn normalize(text: &str) -> String {
    let evened: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '\u{2013}' | '\u{2014}' | '\u{2212}' | '\u{2011}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{a0}' | '\u{202f}' => ' ',
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(evened.len());
    let mut in_space = false;
    for c in evened.replace("&amp;", "&").chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Python's `\s`: Unicode white space and the four ASCII separators.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A chat reply as the visitor got it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The JSON body of a reply below 400.
    pub body: Option<Value>,
    /// An error reply's body (500 characters at most), or why the body was unreadable.
    pub error: Option<String>,
    /// From sending the question to the end of the reply.
    pub ms: u64,
}

impl Reply {
    pub fn answer(&self) -> Option<&str> {
        self.body.as_ref()?.get("answer")?.as_str()
    }

    /// The `sources` array, when the body has one.
    pub fn sources(&self) -> Option<&[Value]> {
        self.body
            .as_ref()?
            .get("sources")?
            .as_array()
            .map(Vec::as_slice)
    }
}

/// What the scoring found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub correct: bool,
    /// A 200 reply without sources.
    pub refused: bool,
    /// The `expect` phrase found in the answer (answerable kinds).
    pub matched: Option<String>,
    /// Whether the gold page is among the sources (answerable kinds).
    pub gold_source: Option<bool>,
}

/// Scores `reply` to `q` on the site served at `site_origin`.
pub fn score(q: &Question, reply: &Reply, site_origin: &str) -> Verdict {
    let ok_http = reply.status == 200 && reply.sources().is_some();
    let sources = reply.sources().unwrap_or_default();
    let refused = ok_http && sources.is_empty();
    let text = normalize(reply.answer().unwrap_or_default());
    let mut verdict = Verdict {
        correct: false,
        refused,
        matched: None,
        gold_source: None,
    };
    match q.kind {
        Kind::Direct | Kind::Paraphrase => {
            verdict.matched = q
                .expect
                .iter()
                .flatten()
                .find(|phrase| text.contains(&normalize(phrase)))
                .cloned();
            verdict.correct = ok_http && !refused && verdict.matched.is_some();
            verdict.gold_source = Some(sources.iter().any(|source| {
                is_gold(
                    source.get("url").and_then(Value::as_str),
                    q.page.as_deref(),
                    site_origin,
                )
            }));
        }
        Kind::Unanswerable | Kind::Offtopic => verdict.correct = refused,
        Kind::Smalltalk => {
            verdict.correct = refused && !DONT_KNOW.iter().any(|p| text.contains(p));
        }
    }
    verdict
}

/// Correct answers per kind, and gold sources among answerable questions.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    correct: [usize; 5],
    asked: [usize; 5],
    gold: usize,
}

impl Tally {
    pub fn add(&mut self, kind: Kind, verdict: &Verdict) {
        let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.asked[i] += 1;
        self.correct[i] += usize::from(verdict.correct);
        self.gold += usize::from(verdict.gold_source == Some(true));
    }

    /// The figures of the tally, as `bench answers --json` prints them.
    pub fn figures(&self) -> Figures {
        let of = |kind: Kind| {
            let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
            Fraction {
                correct: self.correct[i],
                asked: self.asked[i],
            }
        };
        let correct: usize = self.correct.iter().sum();
        let asked: usize = self.asked.iter().sum();
        let percent = if asked == 0 {
            0.0
        } else {
            100.0 * correct as f64 / asked as f64
        };
        let answerable: usize = Kind::ALL
            .iter()
            .zip(&self.asked)
            .filter_map(|(kind, asked)| kind.answerable().then_some(asked))
            .sum();
        Figures {
            direct: of(Kind::Direct),
            paraphrase: of(Kind::Paraphrase),
            unanswerable: of(Kind::Unanswerable),
            offtopic: of(Kind::Offtopic),
            smalltalk: of(Kind::Smalltalk),
            total: Fraction { correct, asked },
            percent,
            gold_source: GoldSources {
                found: self.gold,
                answerable,
            },
        }
    }

    /// `direct 7/10  paraphrase 2/10  …  total 12/40 (30.0%)  gold-source@sources 13/20`.
    pub fn line(&self) -> String {
        let f = self.figures();
        let mut parts: Vec<String> = Kind::ALL
            .iter()
            .zip(self.correct.iter().zip(&self.asked))
            .map(|(kind, (correct, asked))| format!("{} {correct}/{asked}", kind.as_str()))
            .collect();
        parts.push(format!(
            "total {}/{} ({:.1}%)",
            f.total.correct, f.total.asked, f.percent
        ));
        parts.push(format!(
            "gold-source@sources {}/{}",
            f.gold_source.found, f.gold_source.answerable
        ));
        parts.join("  ")
    }
}

/// Correct answers out of questions asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fraction {
    pub correct: usize,
    pub asked: usize,
}

/// Answerable questions whose gold page was among the sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GoldSources {
    pub found: usize,
    pub answerable: usize,
}

/// A tally's figures: per kind, in total (and as a percentage), and the
/// gold sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub direct: Fraction,
    pub paraphrase: Fraction,
    pub unanswerable: Fraction,
    pub offtopic: Fraction,
    pub smalltalk: Fraction,
    pub total: Fraction,
    pub percent: f64,
    pub gold_source: GoldSources,
}

/// One result line: the name left-aligned in 14 characters, then the tally.
pub fn result_line(name: &str, tally: &Tally) -> String {
    format!("{name:<14} {}", tally.line())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:8123";

    fn question(kind: Kind, expect: &[&str], page: Option<&str>) -> Question {
        Question {
            site: "s".to_owned(),
            id: "s-1".to_owned(),
            text: "?".to_owned(),
            kind,
            expect: Some(expect.iter().map(|e| (*e).to_owned()).collect()),
            page: page.map(str::to_owned),
        }
    }

    fn reply(answer: &str, urls: &[&str]) -> Reply {
        let sources: Vec<Value> = urls
            .iter()
            .map(|u| json!({"title": "Page", "url": u}))
            .collect();
        Reply {
            status: 200,
            body: Some(json!({"answer": answer, "sources": sources})),
            error: None,
            ms: 3,
        }
    }

    #[test]
    fn normalize_evens_out_case_dashes_quotes_and_spaces() {
        assert_eq!(normalize("Open 9\u{2013}5"), "open 9-5");
        assert_eq!(normalize("a\u{2014}b\u{2212}c\u{2011}d"), "a-b-c-d");
        assert_eq!(
            normalize("We\u{2019}re \u{201c}open\u{201d}"),
            "we're \"open\""
        );
        assert_eq!(normalize("\u{2018}x\u{2019}"), "'x'");
        assert_eq!(normalize("10\u{a0}km\u{202f}h"), "10 km h");
        assert_eq!(normalize("Tea &AMP; cake"), "tea & cake");
        assert_eq!(normalize("  a \t\n b\u{1f}c  "), " a b c ");
    }

    #[test]
    fn an_answer_with_an_expected_phrase_and_sources_is_correct() {
        let q = question(
            Kind::Direct,
            &["$50", "Fifty\u{2013}five"],
            Some("fees.html"),
        );
        let verdict = score(
            &q,
            &reply(
                "It costs fifty-five  dollars.",
                &[&format!("{ORIGIN}/fees.html")],
            ),
            ORIGIN,
        );
        assert_eq!(
            verdict,
            Verdict {
                correct: true,
                refused: false,
                matched: Some("Fifty\u{2013}five".to_owned()),
                gold_source: Some(true),
            }
        );
    }

    #[test]
    fn an_answer_without_sources_is_refused_and_wrong_even_with_the_phrase() {
        let q = question(Kind::Paraphrase, &["$50"], Some("fees.html"));
        let verdict = score(&q, &reply("$50", &[]), ORIGIN);
        assert!(verdict.refused);
        assert!(!verdict.correct);
        assert_eq!(verdict.gold_source, Some(false));
    }

    #[test]
    fn unanswerable_and_off_topic_questions_are_correct_when_refused() {
        for kind in [Kind::Unanswerable, Kind::Offtopic] {
            let q = question(kind, &[], None);
            let refused = score(&q, &reply("I couldn't find that.", &[]), ORIGIN);
            assert!(refused.correct && refused.refused);
            assert_eq!(refused.gold_source, None);
            let answered = score(&q, &reply("Here [1]", &[ORIGIN]), ORIGIN);
            assert!(!answered.correct && !answered.refused);
        }
    }

    #[test]
    fn small_talk_is_wrong_when_it_says_it_does_not_know() {
        let q = question(Kind::Smalltalk, &[], None);
        assert!(score(&q, &reply("Hello! How can I help?", &[]), ORIGIN).correct);
        for phrase in [
            "I couldn\u{2019}t find that",
            "I could not find it",
            "I DON'T KNOW",
            "I do not know",
            "I'm not sure",
            "There is no information",
        ] {
            assert!(!score(&q, &reply(phrase, &[]), ORIGIN).correct, "{phrase}");
        }
        assert!(!score(&q, &reply("Hello!", &[ORIGIN]), ORIGIN).correct);
    }

    #[test]
    fn a_reply_other_than_200_is_wrong_and_not_refused() {
        let error = Reply {
            status: 429,
            body: None,
            error: Some("{\"code\":\"rate_limited\"}".to_owned()),
            ms: 1,
        };
        for kind in Kind::ALL {
            let verdict = score(&question(kind, &["x"], Some("a.html")), &error, ORIGIN);
            assert!(!verdict.correct && !verdict.refused, "{kind:?}");
        }
        let without_sources = Reply {
            body: Some(json!({"answer": "Hi"})),
            ..reply("", &[])
        };
        let verdict = score(
            &question(Kind::Smalltalk, &[], None),
            &without_sources,
            ORIGIN,
        );
        assert!(!verdict.correct && !verdict.refused);
    }

    #[test]
    fn the_result_line_has_every_kind_in_order_the_total_and_gold_sources() {
        let mut tally = Tally::default();
        let verdict = |correct: bool, gold: Option<bool>| Verdict {
            correct,
            refused: false,
            matched: None,
            gold_source: gold,
        };
        tally.add(Kind::Direct, &verdict(true, Some(true)));
        tally.add(Kind::Direct, &verdict(false, Some(true)));
        tally.add(Kind::Paraphrase, &verdict(false, Some(false)));
        tally.add(Kind::Offtopic, &verdict(true, None));
        tally.add(Kind::Smalltalk, &verdict(false, None));
        tally.add(Kind::Unanswerable, &verdict(false, None));
        assert_eq!(
            result_line("dental", &tally),
            "dental         direct 1/2  paraphrase 0/1  unanswerable 0/1  offtopic 1/1  \
             smalltalk 0/1  total 2/6 (33.3%)  gold-source@sources 2/3"
        );
        assert_eq!(
            result_line("ALL", &Tally::default()),
            "ALL            direct 0/0  paraphrase 0/0  unanswerable 0/0  offtopic 0/0  \
             smalltalk 0/0  total 0/0 (0.0%)  gold-source@sources 0/0"
        );
        assert_eq!(
            result_line("a-site-name-longer-than-14", &tally)
                .split("  ")
                .next(),
            Some("a-site-name-longer-than-14 direct 1/2")
        );
    }

    #[test]
    fn percentages_round_like_python() {
        let mut tally = Tally::default();
        let right = Verdict {
            correct: true,
            refused: true,
            matched: None,
            gold_source: None,
        };
        tally.add(Kind::Offtopic, &right);
        for _ in 0..399 {
            tally.add(
                Kind::Offtopic,
                &Verdict {
                    correct: false,
                    ..right.clone()
                },
            );
        }
        // Python: f"{100.0 * 1 / 400:.1f}" == "0.2" (ties to even).
        assert!(
            tally.line().contains("total 1/400 (0.2%)"),
            "{}",
            tally.line()
        );
    }
}
