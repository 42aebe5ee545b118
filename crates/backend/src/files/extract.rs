//! Text from PDF, DOCX, XLSX, PPTX and ODT files, for the search index.
//!
//! Parsing a file someone uploaded is risky (a PDF parser can recurse
//! until the stack overflows, or loop), so this runs in a child process of
//! its own ([`run_child`], reached through the binary's hidden `extract`
//! subcommand), which first limits its own memory, CPU time, open files
//! and file writes. The parent ([`super::extractor`]) adds a wall-clock
//! limit and caps what it reads back.

use super::zipinfo::{self, ZipLimits};
use domain::files::FileType;
use quick_xml::events::Event;
use std::io::{Read, Write};

/// Most text kept from one file, in bytes; the rest is dropped.
pub const MAX_TEXT_BYTES: usize = 2 * 1024 * 1024;
/// Largest file the child reads.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Limits the child puts on itself before reading anything.
#[derive(Clone, Copy, Debug)]
pub struct ChildLimits {
    pub address_space_bytes: u64,
    pub cpu_seconds: u64,
    pub open_files: u64,
}

impl Default for ChildLimits {
    fn default() -> Self {
        Self {
            address_space_bytes: 512 * 1024 * 1024,
            cpu_seconds: 20,
            open_files: 16,
        }
    }
}

/// The text of `bytes`, a file of type `kind`, at most [`MAX_TEXT_BYTES`]
/// of it, or why it cannot be read. Plain text and CSV are read as UTF-8.
pub fn text_of(kind: FileType, bytes: &[u8]) -> Result<String, String> {
    let mut text = match kind {
        FileType::Pdf => pdf_text(bytes)?,
        FileType::Csv | FileType::Txt => String::from_utf8_lossy(bytes).into_owned(),
        FileType::Docx | FileType::Xlsx | FileType::Pptx | FileType::Odt => {
            zip_text(kind, bytes, &ZipLimits::default())?
        }
    };
    truncate(&mut text, MAX_TEXT_BYTES);
    Ok(text)
}

/// Cuts `text` to at most `max` bytes, on a character boundary.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    let document = lopdf::Document::load_mem(bytes).map_err(|e| format!("unreadable PDF: {e}"))?;
    let mut text = String::new();
    for number in document.get_pages().keys() {
        if text.len() >= MAX_TEXT_BYTES {
            break;
        }
        match document.extract_text(&[*number]) {
            Ok(page) => {
                text.push_str(&page);
                text.push('\n');
            }
            // One unreadable page does not lose the others.
            Err(_) => continue,
        }
    }
    if text.trim().is_empty() {
        return Err("no text in the PDF".to_owned());
    }
    Ok(text)
}

/// The parts of a document that hold its text, in reading order.
fn text_parts(kind: FileType, names: &[String]) -> Vec<String> {
    let numbered = |prefix: &str| {
        let mut parts: Vec<(u32, String)> = names
            .iter()
            .filter_map(|name| {
                let number = name.strip_prefix(prefix)?.strip_suffix(".xml")?;
                Some((number.parse().ok()?, name.clone()))
            })
            .collect();
        parts.sort();
        parts.into_iter().map(|(_, name)| name).collect::<Vec<_>>()
    };
    match kind {
        FileType::Docx => {
            let mut parts = vec!["word/document.xml".to_owned()];
            for extra in ["word/footnotes.xml", "word/endnotes.xml"] {
                if names.iter().any(|n| n == extra) {
                    parts.push(extra.to_owned());
                }
            }
            parts.extend(numbered("word/header"));
            parts.extend(numbered("word/footer"));
            parts
        }
        FileType::Xlsx => {
            let mut parts = vec!["xl/sharedStrings.xml".to_owned()];
            parts.extend(numbered("xl/worksheets/sheet"));
            parts
        }
        FileType::Pptx => numbered("ppt/slides/slide"),
        FileType::Odt => vec!["content.xml".to_owned()],
        _ => Vec::new(),
    }
}

fn zip_text(kind: FileType, bytes: &[u8], limits: &ZipLimits) -> Result<String, String> {
    let entries = zipinfo::entries_of(bytes, limits.max_entries)
        .ok_or("not a zip this reads, or too many entries")?;
    zipinfo::check(&entries, limits)?;
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("unreadable zip: {e}"))?;
    let mut text = String::new();
    let mut read_in_all: u64 = 0;
    for part in text_parts(kind, &names) {
        if text.len() >= MAX_TEXT_BYTES {
            break;
        }
        let Ok(file) = archive.by_name(&part) else {
            continue;
        };
        // Never more than declared and allowed, whatever the data says.
        let allowed = file
            .size()
            .min(limits.max_entry_bytes)
            .min(limits.max_total_bytes.saturating_sub(read_in_all));
        let mut xml = Vec::new();
        file.take(allowed)
            .read_to_end(&mut xml)
            .map_err(|e| format!("unreadable part {part}: {e}"))?;
        read_in_all += xml.len() as u64;
        xml_text(&xml, &mut text);
    }
    if text.trim().is_empty() {
        return Err("no text in the document".to_owned());
    }
    Ok(text)
}

/// Appends the character data of an XML part to `out`, with a line break
/// after each paragraph, cell or shared string and a space for tabs.
/// Entities other than the five XML ones and character references are
/// dropped (no DTD is ever expanded).
fn xml_text(xml: &[u8], out: &mut String) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        if out.len() >= MAX_TEXT_BYTES {
            return;
        }
        match reader.read_event_into(&mut buf) {
            Ok(Event::Text(t)) => {
                if let Ok(s) = t.decode() {
                    out.push_str(&s);
                }
            }
            Ok(Event::CData(t)) => {
                if let Ok(s) = t.decode() {
                    out.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Ok(name) = r.decode()
                    && let Some(s) = quick_xml::escape::resolve_xml_entity(&name)
                {
                    out.push_str(s);
                }
            }
            Ok(Event::End(e)) => {
                if matches!(e.local_name().as_ref(), b"p" | b"h" | b"si" | b"c" | b"tr") {
                    out.push('\n');
                }
            }
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"tab" | b"s" => out.push(' '),
                b"br" | b"line-break" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => return,
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The hidden `extract` subcommand: limits this process, reads a file of
/// type `kind` (an extension) from standard input, and writes its text to
/// standard output. Exit code 0 with the text, 1 when the file cannot be
/// read (the reason on standard error), 2 for a bad call.
pub fn run_child(kind: &str, limits: &ChildLimits) -> u8 {
    let Some(kind) = FileType::parse(kind) else {
        let _ = writeln!(std::io::stderr(), "extract: unknown type {kind:?}");
        return 2;
    };
    if let Err(e) = limit_self(limits) {
        let _ = writeln!(std::io::stderr(), "extract: could not set limits: {e}");
        return 2;
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut input)
    {
        let _ = writeln!(std::io::stderr(), "extract: reading input: {e}");
        return 1;
    }
    if input.len() as u64 > MAX_INPUT_BYTES {
        let _ = writeln!(std::io::stderr(), "extract: input too large");
        return 1;
    }
    match text_of(kind, &input) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return 1;
            }
            0
        }
        Err(why) => {
            let _ = writeln!(std::io::stderr(), "extract: {why}");
            1
        }
    }
}

/// Memory, CPU time, open files, and no file writes at all, for this
/// process and anything it might start.
fn limit_self(limits: &ChildLimits) -> std::io::Result<()> {
    use rlimit::Resource;
    Resource::AS.set(limits.address_space_bytes, limits.address_space_bytes)?;
    // The soft limit sends SIGXCPU; a second later the hard one kills.
    Resource::CPU.set(limits.cpu_seconds, limits.cpu_seconds + 1)?;
    Resource::FSIZE.set(0, 0)?;
    Resource::NOFILE.set(limits.open_files, limits.open_files)?;
    Resource::CORE.set(0, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_keeps_words_and_breaks_paragraphs() {
        let mut out = String::new();
        xml_text(
            br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Hand</w:t></w:r><w:r><w:tab/><w:t>hygiene &amp; gloves&#33;</w:t></w:r></w:p><w:p><w:r><w:t>Next</w:t></w:r></w:p></w:body></w:document>"#,
            &mut out,
        );
        assert_eq!(out, "Hand hygiene & gloves!\nNext\n");
    }

    #[test]
    fn unknown_entities_are_dropped_not_expanded() {
        let mut out = String::new();
        xml_text(
            br#"<!DOCTYPE x [<!ENTITY lol "lol">]><p>a&lol;b</p>"#,
            &mut out,
        );
        assert_eq!(out, "ab\n");
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let mut text = "é".repeat(10);
        truncate(&mut text, 5);
        assert_eq!(text, "éé");
    }

    #[test]
    fn slides_and_sheets_are_read_in_order() {
        let names: Vec<String> = [
            "ppt/slides/slide10.xml",
            "ppt/slides/slide2.xml",
            "ppt/slides/slide1.xml",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            text_parts(FileType::Pptx, &names),
            [
                "ppt/slides/slide1.xml",
                "ppt/slides/slide2.xml",
                "ppt/slides/slide10.xml"
            ]
        );
    }
}
