//! Kinds of fact: what a question asks for (a price, a number, a time,
//! a duration) and which kinds a text holds (a number, a clock time, a
//! phone number, an e-mail or street address).

/// The kind of fact a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// "How much …?", "What does … cost?", "What is the fee …?"
    Price,
    /// "How many …?", "How often …?"
    Number,
    /// "When …?", "What time …?", "… hours?"
    Time,
    /// "How long …?"
    Duration,
    /// Anything else.
    Any,
}

impl Expect {
    /// Reads the kind of fact from the question's wording.
    pub fn of(question: &str) -> Self {
        let q = question.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| contains_word(&q, w));
        if has(&[
            "how much", "cost", "costs", "price", "prices", "fee", "fees", "charge", "charges",
        ]) {
            Expect::Price
        } else if has(&["how long", "how soon", "how quickly"]) {
            Expect::Duration
        } else if has(&[
            "how many",
            "how often",
            "how frequently",
            "what percentage",
            "what percent",
        ]) {
            Expect::Number
        } else if has(&[
            "when",
            "what time",
            "hours",
            "open",
            "opening",
            "close",
            "closing",
            "what day",
            "which day",
            "what days",
        ]) {
            Expect::Time
        } else {
            Expect::Any
        }
    }

    /// Whether `text` holds a fact of this kind.
    pub fn found_in(self, text: &str) -> bool {
        let t = text.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| contains_word(&t, w));
        let number = t.chars().any(|c| c.is_ascii_digit()) || has(NUMBER_WORDS);
        match self {
            Expect::Price => {
                t.contains(['$', '€', '£', '¥', '%'])
                    || has(&[
                        "free",
                        "no charge",
                        "usd",
                        "eur",
                        "gbp",
                        "dollars",
                        "euros",
                        "pounds",
                        "cents",
                        "included",
                        "no extra",
                        "no cost",
                        "nothing",
                    ])
            }
            Expect::Number => {
                number
                    || has(&[
                        "once",
                        "twice",
                        "every",
                        "daily",
                        "weekly",
                        "monthly",
                        "annually",
                        "yearly",
                        "unlimited",
                    ])
            }
            Expect::Time => {
                has_clock_time(&t)
                    || has(&[
                        "am",
                        "pm",
                        "a.m",
                        "p.m",
                        "noon",
                        "midnight",
                        "morning",
                        "afternoon",
                        "evening",
                        "night",
                        "o'clock",
                        "monday",
                        "tuesday",
                        "wednesday",
                        "thursday",
                        "friday",
                        "saturday",
                        "sunday",
                        "mondays",
                        "tuesdays",
                        "wednesdays",
                        "thursdays",
                        "fridays",
                        "saturdays",
                        "sundays",
                        "weekday",
                        "weekdays",
                        "weekend",
                        "weekends",
                        "daily",
                        "closed",
                        "open",
                        "opens",
                        "closes",
                        "first",
                        "every",
                        "today",
                        "tomorrow",
                        "january",
                        "february",
                        "march",
                        "april",
                        "may",
                        "june",
                        "july",
                        "august",
                        "september",
                        "october",
                        "november",
                        "december",
                        "spring",
                        "summer",
                        "autumn",
                        "fall",
                        "winter",
                    ])
            }
            Expect::Duration => {
                number
                    && has(&[
                        "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days",
                        "week", "weeks", "month", "months", "year", "years",
                    ])
                    || has(&[
                        "same day",
                        "same-day",
                        "while you wait",
                        "overnight",
                        "immediately",
                        "instantly",
                        "right away",
                    ])
                    || t.contains("-day")
                    || t.contains("-hour")
                    || t.contains("-minute")
                    || t.contains("-week")
            }
            Expect::Any => true,
        }
    }
}

/// Numbers written as words.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "ninety", "hundred",
    "thousand", "half", "a few", "several", "dozen",
];

/// Whether `text` holds a clock time such as "9:30".
fn has_clock_time(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == ':' && w[2].is_ascii_digit())
}

/// Whether `word` occurs in `text` as whole words (both lowercase).
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Words naming the kinds of fact `text` holds (a number, a clock time, a
/// phone number, an e-mail address, a street address), so that a
/// question asking for one finds it.
pub fn fact_words(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    // A clock time, a phone number and a house number all need a digit:
    // most sentences have none, and are spared those scans.
    let digits = lower.bytes().any(|b| b.is_ascii_digit());
    if digits {
        out.push("number");
    }
    if digits && has_clock_time(&lower)
        || ["am", "pm", "a.m", "p.m"]
            .iter()
            .any(|w| contains_word(&lower, w))
    {
        out.extend(["time", "hours"]);
    }
    if digits && longest_digit_run(&lower) >= 7 {
        out.extend(["phone", "telephone", "call"]);
    }
    if lower.contains('@')
        && lower.split_whitespace().any(|w| {
            w.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        })
    {
        out.extend(["email", "mail", "address"]);
    }
    if digits && has_street_address(text) {
        out.extend(["address", "location", "located"]);
    }
    out
}

/// Whether `text` holds a street address: a house number, up to three
/// capitalised words, then a street word ("88 Wharf Road").
fn has_street_address(text: &str) -> bool {
    const STREETS: &[&str] = &[
        "road",
        "rd",
        "street",
        "st",
        "avenue",
        "ave",
        "boulevard",
        "blvd",
        "lane",
        "ln",
        "drive",
        "dr",
        "way",
        "square",
        "place",
        "straße",
        "strasse",
    ];
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    words.iter().enumerate().any(|(i, word)| {
        (1..=5).contains(&word.len())
            && word.chars().all(|c| c.is_ascii_digit())
            && (1..=3).any(|n| {
                words.get(i + 1 + n).is_some_and(|street| {
                    STREETS.contains(&street.to_lowercase().as_str())
                        && words[i + 1..i + 1 + n]
                            .iter()
                            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
                })
            })
    })
}

/// The most digits in one phone-like run (digits, spaces, dashes, dots,
/// brackets and plus signs between them).
fn longest_digit_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if !" -.()+/".contains(c) {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_kind_of_fact_a_question_wants() {
        assert_eq!(Expect::of("How much is a Basic Tune-Up?"), Expect::Price);
        assert_eq!(
            Expect::of("What is the fee for missed appointments?"),
            Expect::Price
        );
        assert_eq!(Expect::of("How long is the free trial?"), Expect::Duration);
        assert_eq!(Expect::of("How often does the sync run?"), Expect::Number);
        assert_eq!(
            Expect::of("What are your winter opening hours?"),
            Expect::Time
        );
        assert_eq!(Expect::of("Do you use silver fillings?"), Expect::Any);
    }

    #[test]
    fn finds_the_fact_a_question_wants() {
        assert!(Expect::Price.found_in("Package: Basic · Price: $79"));
        assert!(!Expect::Price.found_in("Our tune-ups are thorough."));
        assert!(Expect::Time.found_in("Tuesday 8:00 am – 7:00 pm"));
        assert!(Expect::Duration.found_in("Most repairs are ready within 3–5 business days."));
        assert!(!Expect::Duration.found_in("Ready soon."));
        assert!(Expect::Duration.found_in("Delivery takes two weeks."));
        assert!(Expect::Duration.found_in("A 14-day free trial."));
        assert!(Expect::Time.found_in("Our shop opens at nine in the morning."));
        assert!(Expect::Price.found_in("Estimates cost nothing."));
        assert!(
            !Expect::Time.found_in("Spam and ham"),
            "am inside a word is not a time"
        );
    }
}
