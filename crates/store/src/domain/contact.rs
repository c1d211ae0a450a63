//! Contact details inside free text: e-mail addresses and phone numbers a
//! visitor types into the chat. Found to capture a lead, marked in the
//! transcript, and removed when the lead is deleted.

use super::EmailAddress;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Email,
    Phone,
}

/// Where a contact detail sits in a text (byte offsets, on char boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSpan {
    pub start: usize,
    pub end: usize,
    pub kind: ContactKind,
}

/// Fewest and most digits a phone number has (E.164 allows 15).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// Every e-mail address and phone number in `text`, in order.
pub fn contact_spans(text: &str) -> Vec<ContactSpan> {
    let mut spans = emails(text);
    let phones = phones(text)
        .into_iter()
        .filter(|p| !spans.iter().any(|e| p.start < e.end && e.start < p.end))
        .collect::<Vec<_>>();
    spans.extend(phones);
    spans.sort_by_key(|s| s.start);
    spans
}

/// The first e-mail address and the first phone number in `text`.
pub fn first_contacts(text: &str) -> (Option<EmailAddress>, Option<String>) {
    let mut email = None;
    let mut phone = None;
    for span in contact_spans(text) {
        let found = &text[span.start..span.end];
        match span.kind {
            ContactKind::Email if email.is_none() => email = EmailAddress::parse(found).ok(),
            ContactKind::Phone if phone.is_none() => phone = Some(found.to_owned()),
            _ => {}
        }
    }
    (email, phone)
}

/// `text` cut into pieces, each marked `true` when it is a contact detail
/// (to highlight them in a transcript).
pub fn contact_parts(text: &str) -> Vec<(&str, bool)> {
    let mut parts = Vec::new();
    let mut at = 0;
    for span in contact_spans(text) {
        if span.start > at {
            parts.push((&text[at..span.start], false));
        }
        parts.push((&text[span.start..span.end], true));
        at = span.end;
    }
    if at < text.len() {
        parts.push((&text[at..], false));
    }
    parts
}

/// `text` with its contact details replaced by `[removed]`.
pub fn redact_contacts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in contact_spans(text) {
        out.push_str(&text[at..span.start]);
        out.push_str("[removed]");
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Words containing `@` that are valid addresses once surrounding
/// punctuation is trimmed.
fn emails(text: &str) -> Vec<ContactSpan> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += word.len();
        if !word.contains('@') {
            continue;
        }
        let trimmed_start = word.trim_start_matches(|c: char| !c.is_alphanumeric());
        let lead = word.len() - trimmed_start.len();
        let core =
            trimmed_start.trim_end_matches(|c: char| !c.is_alphanumeric() || c.is_whitespace());
        if core.contains('@') && EmailAddress::parse(core).is_ok() {
            spans.push(ContactSpan {
                start: start + lead,
                end: start + lead + core.len(),
                kind: ContactKind::Email,
            });
        }
    }
    spans
}

/// Runs of digits with the separators phone numbers are written with
/// (`+`, spaces, `-`, `/`, `.`, parentheses), holding 7–15 digits, not a
/// date (`2026-12-05`, `05.12.2026`) and not part of a longer word or number.
fn phones(text: &str) -> Vec<ContactSpan> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts = c == b'+' || c == b'(' || c.is_ascii_digit();
        let glued = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'@');
        if !starts || glued {
            i += 1;
            continue;
        }
        let mut end = i;
        let mut digits = 0;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit() {
                digits += 1;
            } else if !matches!(b, b'+' | b' ' | b'-' | b'/' | b'.' | b'(' | b')') {
                break;
            }
            // Two separators in a row end the number ("call 555 - or").
            if !b.is_ascii_digit()
                && b != b'('
                && end > i
                && !bytes[end - 1].is_ascii_digit()
                && bytes[end - 1] != b')'
            {
                break;
            }
            end += 1;
        }
        while end > i && !bytes[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let candidate = &text[i..end];
        let followed_by_word = bytes.get(end).is_some_and(u8::is_ascii_alphanumeric);
        if PHONE_DIGITS.contains(&digits) && !followed_by_word && !is_date(candidate) {
            spans.push(ContactSpan {
                start: i,
                end,
                kind: ContactKind::Phone,
            });
        }
        i = end.max(i + 1);
    }
    spans
}

/// `YYYY-MM-DD`, `DD.MM.YYYY`, `MM/DD/YYYY` and the like.
fn is_date(candidate: &str) -> bool {
    let groups: Vec<&str> = candidate.split(['-', '.', '/']).collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.len() <= 4 && g.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, ContactKind)> {
        contact_spans(text)
            .into_iter()
            .map(|s| (&text[s.start..s.end], s.kind))
            .collect()
    }

    #[test]
    fn finds_addresses_and_numbers_as_visitors_type_them() {
        use ContactKind::{Email, Phone};
        assert_eq!(
            found("Mail me at Ada.L@Example.com, or call +44 20 7946 0958."),
            vec![("Ada.L@Example.com", Email), ("+44 20 7946 0958", Phone)]
        );
        assert_eq!(
            found("(030) 123-4567 please"),
            vec![("(030) 123-4567", Phone)]
        );
        assert_eq!(
            found("<bob@shop.example>"),
            vec![("bob@shop.example", Email)]
        );
    }

    #[test]
    fn leaves_dates_prices_and_short_numbers_alone() {
        assert!(found("We met on 2026-12-05 and 05.12.2026").is_empty());
        assert!(found("It costs 1,299 and order 12345 shipped").is_empty());
        assert!(found("an @ sign alone, me@localhost, x@y").is_empty());
        assert!(found("ref ABC1234567 or 1234567XYZ").is_empty());
    }

    #[test]
    fn first_contacts_and_redaction() {
        let text = "I'm ada@example.com / 0151 2345 6789, thanks";
        let (email, phone) = first_contacts(text);
        assert_eq!(
            email.map(|e| e.to_string()).as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(phone.as_deref(), Some("0151 2345 6789"));
        assert_eq!(redact_contacts(text), "I'm [removed] / [removed], thanks");
        assert_eq!(redact_contacts("nothing here"), "nothing here");
        assert_eq!(
            contact_parts("mail a@b.co now"),
            vec![("mail ", false), ("a@b.co", true), (" now", false)]
        );
    }
}
