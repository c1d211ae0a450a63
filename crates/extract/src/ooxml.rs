//! Guarded access to Office Open XML (ZIP) containers shared by DOCX and XLSX.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use zip::ZipArchive;

use crate::xml::{XmlReader, local_name, reference_text, xml_text};
use crate::{ExtractError, Limits};

/// A ZIP archive whose entry count and declared sizes were checked against [`Limits`],
/// and whose reads are capped by the remaining expansion budget.
pub(crate) struct SafeZip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    remaining: u64,
}

impl<'a> SafeZip<'a> {
    /// Opens `bytes` as a ZIP archive and checks it BEFORE anything is decompressed:
    /// at most `max_zip_entries` entries, at most `max_expanded_bytes` declared in total.
    /// (The `zip` crate also refuses entries that inflate beyond their declared size.)
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, ExtractError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|_| ExtractError::unreadable("not a valid Office file"))?;
        if archive.len() > limits.max_zip_entries {
            return Err(ExtractError::bomb("too many entries in the archive"));
        }
        let mut declared = 0u64;
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|_| ExtractError::unreadable("corrupt archive"))?;
            if entry.encrypted() {
                return Err(ExtractError::unreadable("encrypted"));
            }
            declared = declared.saturating_add(entry.size());
            if declared > limits.max_expanded_bytes {
                return Err(ExtractError::bomb("the archive expands too large"));
            }
        }
        Ok(Self {
            archive,
            remaining: limits.max_expanded_bytes,
        })
    }

    /// The archive itself, for readers (calamine) that take it over after the checks.
    pub(crate) fn into_bytes(self) -> &'a [u8] {
        self.archive.into_inner().into_inner()
    }

    /// Reads the entry `name` (exact, else case-insensitive), or `None` when it is absent.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let index = match self.archive.index_for_name(name) {
            Some(index) => index,
            None => match (0..self.archive.len()).find(|&i| {
                self.archive
                    .name_for_index(i)
                    .and_then(Result::ok)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            }) {
                Some(index) => index,
                None => return Ok(None),
            },
        };
        let entry = self
            .archive
            .by_index(index)
            .map_err(|_| ExtractError::unreadable("corrupt archive"))?;
        let mut data = Vec::new();
        entry
            .take(self.remaining.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|_| ExtractError::unreadable("corrupt archive entry"))?;
        let read = data.len() as u64;
        if read > self.remaining {
            return Err(ExtractError::bomb("the archive expands too large"));
        }
        self.remaining -= read;
        Ok(Some(data))
    }
}

/// The `dc:title` from `docProps/core.xml`, when present and non-empty.
pub(crate) fn core_title(
    zip: &mut SafeZip<'_>,
    limits: &Limits,
) -> Result<Option<String>, ExtractError> {
    let Some(bytes) = zip.read("docProps/core.xml")? else {
        return Ok(None);
    };
    let xml = xml_text(&bytes);
    let mut reader = XmlReader::new(&xml, limits.max_xml_depth);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.next_event() {
            Ok(Event::Start(e)) if local_name(&e) == "title" => in_title = true,
            Ok(Event::End(e)) if e.local_name().as_ref() == "title" => break,
            Ok(Event::Text(t)) if in_title => title.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_title => title.extend(reference_text(&r)),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            // A broken core.xml must not sink the whole document: just go without a title.
            Err(ExtractError::Bomb(why)) => return Err(ExtractError::Bomb(why)),
            Err(_) => return Ok(None),
        }
    }
    let title = title.trim();
    Ok((!title.is_empty()).then(|| title.to_owned()))
}
