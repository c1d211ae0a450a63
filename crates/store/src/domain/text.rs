use unicode_normalization::UnicodeNormalization;

use super::InvalidValue;

/// How a free-text field is cleaned and bounded.
#[derive(Debug, Clone, Copy)]
pub struct TextRules {
    /// Longest accepted value, in characters (Unicode scalar values) as
    /// sent: the cap a client can check before sending, and the `maxLength`
    /// the API document states. Normalising only removes or composes
    /// characters (a few rare ones decompose), so the stored text stays
    /// about as long.
    pub max_chars: usize,
    /// Keep newlines and tabs (a message body) or fold them into spaces (a name).
    pub multiline: bool,
    /// Refuse an empty value after trimming.
    pub required: bool,
}

/// Text that has been normalised: Unicode NFC, control characters removed
/// (newline and tab kept for multi-line fields, `\r\n` folded to `\n`),
/// trimmed, and sent within its length cap. A required value must hold a
/// character that is neither whitespace nor a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanText(String);

impl CleanText {
    pub fn parse(raw: &str, rules: TextRules) -> Result<Self, InvalidValue> {
        let chars = raw.chars().count();
        if chars > rules.max_chars {
            return Err(InvalidValue::new(format!(
                "must be at most {} characters (got {chars})",
                rules.max_chars
            )));
        }
        let clean = normalize(raw, rules.multiline);
        if rules.required && clean.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        Ok(Self(clean))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn normalize(raw: &str, multiline: bool) -> String {
    let unified = raw.replace("\r\n", "\n");
    let mut out = String::with_capacity(unified.len());
    for c in unified.nfc() {
        match c {
            '\n' | '\t' if multiline => out.push(c),
            '\n' | '\t' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: TextRules = TextRules {
        max_chars: 10,
        multiline: false,
        required: false,
    };
    const BODY: TextRules = TextRules {
        max_chars: 100,
        multiline: true,
        required: true,
    };

    #[test]
    fn composes_to_nfc_and_trims() {
        let text = CleanText::parse("  cafe\u{301} ", LINE).unwrap();
        assert_eq!(text.as_str(), "caf\u{e9}");
    }

    #[test]
    fn removes_controls_and_folds_newlines_on_one_line_fields() {
        let text = CleanText::parse("a\u{0}b\u{7}\nc\td\u{1b}", LINE).unwrap();
        assert_eq!(text.as_str(), "ab c d");
    }

    #[test]
    fn keeps_newlines_and_tabs_in_multiline_fields() {
        let text = CleanText::parse("one\r\ntwo\tthree\u{8}", BODY).unwrap();
        assert_eq!(text.as_str(), "one\ntwo\tthree");
    }

    #[test]
    fn refuses_values_over_the_cap_counted_in_characters() {
        assert!(CleanText::parse("ééééééééé", LINE).is_ok());
        let err = CleanText::parse("ééééééééééé", LINE).unwrap_err();
        assert_eq!(err.message, "must be at most 10 characters (got 11)");
    }

    #[test]
    fn counts_the_cap_on_the_text_as_sent() {
        // Ten characters once the controls are removed, eleven as sent.
        let err = CleanText::parse("abcde\u{0}fghij", LINE).unwrap_err();
        assert_eq!(err.message, "must be at most 10 characters (got 11)");
        assert!(CleanText::parse(" abcdefghi", LINE).is_ok());
    }

    #[test]
    fn refuses_blank_required_values() {
        let err = CleanText::parse(" \u{0} \n", BODY).unwrap_err();
        assert_eq!(err.message, "must not be empty");
    }

    #[test]
    fn every_naughty_string_is_normalised_or_refused_without_panicking() {
        for raw in naughty_strings::BLNS {
            if let Ok(text) = CleanText::parse(raw, BODY) {
                assert!(
                    !text
                        .as_str()
                        .chars()
                        .any(|c| c.is_control() && c != '\n' && c != '\t')
                );
                assert_eq!(text.as_str(), text.as_str().trim());
            }
        }
    }
}
