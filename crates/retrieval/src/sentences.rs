//! Splitting text into sentences, for chunking and for quoting.

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
}
