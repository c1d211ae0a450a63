//! A depth-limited XML pull reader on top of `quick-xml` (which never expands DTD entities).

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;

use crate::ExtractError;

/// Pulls XML events, refusing documents nested deeper than `max_depth`.
pub(crate) struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
    max_depth: usize,
}

impl<'a> XmlReader<'a> {
    /// Reads `xml` with at most `max_depth` nested elements.
    pub(crate) fn new(xml: &'a str, max_depth: usize) -> Self {
        let mut reader = Reader::from_str(xml);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = false;
        config.allow_dangling_amp = true;
        Self {
            reader,
            depth: 0,
            max_depth,
        }
    }

    /// The next event; [`ExtractError::Bomb`] when nesting gets too deep and
    /// [`ExtractError::Unreadable`] on malformed XML.
    pub(crate) fn next_event(&mut self) -> Result<Event<'a>, ExtractError> {
        let event = self
            .reader
            .read_event()
            .map_err(|_| ExtractError::unreadable("malformed XML"))?;
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > self.max_depth {
                    return Err(ExtractError::bomb("XML nesting too deep"));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(event)
    }

    /// Skips everything up to the end of the element whose start was just read.
    pub(crate) fn skip_element(&mut self) -> Result<(), ExtractError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if matches!(self.next_event()?, Event::Eof) {
                break;
            }
        }
        Ok(())
    }
}

/// The local (namespace-less) name of an element.
pub(crate) fn local_name<'e>(element: &'e BytesStart<'_>) -> &'e str {
    let name = element.name();
    let full: &str = name.0;
    full.rsplit(':').next().unwrap_or(full)
}

/// The value of the attribute whose local name is `local`, with predefined entities resolved.
pub(crate) fn attr(element: &BytesStart<'_>, local: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .map_or_else(|_| a.value.to_string(), Cow::into_owned)
        })
}

/// The text of a general reference: predefined entities and character references only.
/// Custom entities (as in a "billion laughs" DTD) are never expanded and yield `None`.
pub(crate) fn reference_text(reference: &BytesRef<'_>) -> Option<char> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Some(c);
    }
    match reference.as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Decodes an XML part's bytes: UTF-8 (the OOXML norm) or UTF-16 with a BOM.
pub(crate) fn xml_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_limited() {
        let deep = format!("{}{}", "<a>".repeat(50), "</a>".repeat(50));
        let mut reader = XmlReader::new(&deep, 10);
        let err = loop {
            match reader.next_event() {
                Ok(Event::Eof) => panic!("should fail"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(err.code(), "document_bomb");
    }

    #[test]
    fn entities_are_not_expanded() {
        let xml = r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;&amp;&#65;</x>"#;
        let mut reader = XmlReader::new(xml, 10);
        let mut text = String::new();
        loop {
            match reader.next_event().unwrap() {
                Event::Eof => break,
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => text.extend(reference_text(&r)),
                _ => {}
            }
        }
        assert_eq!(text, "&A");
    }
}
