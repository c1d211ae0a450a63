use super::{CleanText, InvalidValue, TextRules};

/// Longest question of a Q&A pair, in characters.
pub const QA_QUESTION_MAX_CHARS: usize = 500;
/// Longest answer of a Q&A pair, in characters.
pub const QA_ANSWER_MAX_CHARS: usize = 4000;

const QUESTION: TextRules = TextRules {
    max_chars: QA_QUESTION_MAX_CHARS,
    multiline: false,
    required: true,
};

const ANSWER: TextRules = TextRules {
    max_chars: QA_ANSWER_MAX_CHARS,
    multiline: true,
    required: true,
};

/// A question and the owner's answer to it, both cleaned and within their
/// caps: what a Q&A pair stores. Formula-like text (`=SUM(…)`) is kept
/// as written; it is only ever text here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaText {
    question: CleanText,
    answer: CleanText,
}

/// Which half of a pair was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {error}")]
pub struct QaInvalid {
    /// `question` or `answer`.
    pub field: &'static str,
    pub error: InvalidValue,
}

impl QaText {
    pub fn parse(question: &str, answer: &str) -> Result<Self, QaInvalid> {
        let question = CleanText::parse(question, QUESTION).map_err(|error| QaInvalid {
            field: "question",
            error,
        })?;
        let answer = CleanText::parse(answer, ANSWER).map_err(|error| QaInvalid {
            field: "answer",
            error,
        })?;
        Ok(Self { question, answer })
    }

    pub fn question(&self) -> &str {
        self.question.as_str()
    }

    pub fn answer(&self) -> &str {
        self.answer.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_halves_are_cleaned_and_bounded() {
        let pair = QaText::parse("  How much\nis it? ", "It costs\r\n40 EUR.\u{7}").unwrap();
        assert_eq!(pair.question(), "How much is it?");
        assert_eq!(pair.answer(), "It costs\n40 EUR.");
        let long = "é".repeat(QA_QUESTION_MAX_CHARS + 1);
        let err = QaText::parse(&long, "a").unwrap_err();
        assert_eq!(err.field, "question");
        assert_eq!(
            err.to_string(),
            "question must be at most 500 characters (got 501)"
        );
        let err = QaText::parse("q", &"a".repeat(QA_ANSWER_MAX_CHARS + 1)).unwrap_err();
        assert_eq!(err.field, "answer");
        assert_eq!(QaText::parse("q", " \n ").unwrap_err().field, "answer");
    }

    #[test]
    fn formula_like_text_is_kept_as_written() {
        let pair = QaText::parse("=1+1", "@SUM(A1) -2 +3").unwrap();
        assert_eq!((pair.question(), pair.answer()), ("=1+1", "@SUM(A1) -2 +3"));
    }
}
