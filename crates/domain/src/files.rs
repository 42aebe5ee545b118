//! Files attached to library resources: which types are accepted, how a
//! type is recognised from a file's first bytes, how an uploaded name is
//! made safe, and the shape a file takes on a resource's page.

use serde::{Deserialize, Serialize};

/// The default largest upload, in bytes (50 MB).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;

/// Longest file name kept, in characters, extension included.
pub const FILE_NAME_MAX: usize = 120;

/// A type of file the library accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Csv,
    Txt,
}

impl FileType {
    pub const ALL: [FileType; 7] = [
        FileType::Pdf,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Pptx,
        FileType::Odt,
        FileType::Csv,
        FileType::Txt,
    ];

    /// The extension (lower case, no dot); also the stored and URL value.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Odt => "odt",
            FileType::Csv => "csv",
            FileType::Txt => "txt",
        }
    }

    /// The type of a stored or posted extension value, or `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.extension().eq_ignore_ascii_case(raw))
    }

    /// The type a file name's extension names, or `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        Self::parse(extension)
    }

    /// The media type files of this type are served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Csv => "text/csv; charset=utf-8",
            FileType::Txt => "text/plain; charset=utf-8",
        }
    }

    /// The type of a stored media type, or `None` for one this build does
    /// not serve.
    pub fn from_content_type(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.content_type() == raw)
    }

    /// What a person reads ("PDF", "Word document").
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word document",
            FileType::Xlsx => "Excel spreadsheet",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Odt => "OpenDocument text",
            FileType::Csv => "CSV spreadsheet",
            FileType::Txt => "Text file",
        }
    }

    /// Whether this is a zip container (Office Open XML or OpenDocument).
    pub fn is_zip(self) -> bool {
        matches!(
            self,
            FileType::Docx | FileType::Xlsx | FileType::Pptx | FileType::Odt
        )
    }

    /// The zip entry that marks a file of this type: the main part of an
    /// Office Open XML document, or the `mimetype` entry of OpenDocument.
    pub fn marker_entry(self) -> Option<&'static str> {
        match self {
            FileType::Docx => Some("word/document.xml"),
            FileType::Xlsx => Some("xl/workbook.xml"),
            FileType::Pptx => Some("ppt/presentation.xml"),
            FileType::Odt => Some("content.xml"),
            _ => None,
        }
    }
}

/// The `accept` attribute of the file input: every accepted extension.
pub fn accept_attribute() -> String {
    FileType::ALL
        .iter()
        .map(|t| format!(".{}", t.extension()))
        .collect::<Vec<_>>()
        .join(",")
}

/// "PDF, DOCX, XLSX, PPTX, ODT, CSV or TXT", for messages.
pub fn accepted_list() -> String {
    let names: Vec<String> = FileType::ALL
        .iter()
        .map(|t| t.extension().to_uppercase())
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// What a file's first bytes say it is, as far as can be told without the
/// rest: a PDF, a zip container (which one needs its entries), text, or
/// something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Pdf,
    Zip,
    Text,
    Other,
}

/// Recognises a file from its first bytes. Text must be valid UTF-8 (a
/// character cut at the end of `head` is allowed when `head` is only the
/// start of the file) without NUL; a byte-order mark is fine.
pub fn sniff(head: &[u8], whole: bool) -> Sniffed {
    if head.starts_with(b"%PDF-") {
        return Sniffed::Pdf;
    }
    if head.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if head.contains(&0) {
        return Sniffed::Other;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Sniffed::Text,
        // Cut inside the last character: fine unless this is the whole file.
        Err(e) if !whole && e.error_len().is_none() => Sniffed::Text,
        Err(_) => Sniffed::Other,
    }
}

/// Whether sniffed contents fit a file named as `claimed`. Zip containers
/// need their entries checked as well (see [`FileType::marker_entry`]).
pub fn sniff_fits(claimed: FileType, sniffed: Sniffed) -> bool {
    match claimed {
        FileType::Pdf => sniffed == Sniffed::Pdf,
        FileType::Csv | FileType::Txt => sniffed == Sniffed::Text,
        _ => sniffed == Sniffed::Zip,
    }
}

/// An uploaded file's name made safe to store and to send back in a
/// `Content-Disposition` header: the last path component only, letters,
/// digits, spaces and `._-()` kept (accents dropped to their base letter
/// where simple, anything else becoming `_`), runs of `_` and spaces
/// collapsed, no leading dot, at most [`FILE_NAME_MAX`] characters with
/// the extension kept and lower-cased. `None` when no accepted extension
/// is left.
pub fn clean_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let file_type = FileType::from_name(last.trim())?;
    let (stem, _) = last.trim().rsplit_once('.')?;
    let mut cleaned = String::new();
    for c in stem.chars() {
        let c = match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '(' | ')' => c,
            ' ' | '\t' => ' ',
            'à'..='å' => 'a',
            'À'..='Å' => 'A',
            'è'..='ë' => 'e',
            'È'..='Ë' => 'E',
            'ì'..='ï' => 'i',
            'ò'..='ö' => 'o',
            'ù'..='ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            _ => '_',
        };
        let previous = cleaned.chars().last();
        let repeat = matches!((previous, c), (Some('_' | ' '), '_' | ' '));
        if !repeat {
            cleaned.push(c);
        }
    }
    let cleaned = cleaned.trim_matches(|c: char| c == ' ' || c == '_' || c == '.');
    let stem = if cleaned.is_empty() { "file" } else { cleaned };
    let extension = file_type.extension();
    let room = FILE_NAME_MAX - extension.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    Some(format!("{}.{extension}", stem.trim_end()))
}

/// How far text extraction of a file has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextStatus {
    /// Waiting for the extraction job.
    Pending,
    /// Its text is in the search index.
    Extracted,
    /// The file could not be read; it is still listed and downloadable.
    Unavailable,
}

impl TextStatus {
    pub const ALL: [TextStatus; 3] = [
        TextStatus::Pending,
        TextStatus::Extracted,
        TextStatus::Unavailable,
    ];

    /// The stored value. Never changes once shipped.
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Pending => "pending",
            TextStatus::Extracted => "extracted",
            TextStatus::Unavailable => "unavailable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// What a person reads about searching inside the file.
    pub fn label(self) -> &'static str {
        match self {
            TextStatus::Pending => "Being indexed for search",
            TextStatus::Extracted => "Searchable",
            TextStatus::Unavailable => "Text unavailable",
        }
    }
}

/// One version of a resource's file, as its page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceFile {
    /// 1 for the first upload, then 2, 3…
    pub version: i64,
    pub file_name: String,
    pub file_type: FileType,
    pub size_bytes: i64,
    /// When it was uploaded (Unix seconds).
    pub uploaded_at: i64,
    pub text_status: TextStatus,
    /// Where to download exactly this version.
    pub download_path: String,
}

impl ResourceFile {
    /// "PDF, 1.2 MB".
    pub fn description(&self) -> String {
        format!(
            "{}, {}",
            self.file_type.label(),
            human_size(self.size_bytes)
        )
    }
}

/// Bytes as a person reads them: "812 bytes", "14 KB", "1.2 MB".
pub fn human_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    if bytes < KB {
        crate::paging::how_many(bytes, "byte", "bytes")
    } else if bytes < MB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("Policy.pdf", Some("Policy.pdf"))]
    #[case::upper_extension("REPORT.PDF", Some("REPORT.pdf"))]
    #[case::windows_path(
        "C:\\Users\\sam\\Infection control.docx",
        Some("Infection control.docx")
    )]
    #[case::unix_path("../../etc/passwd.txt", Some("passwd.txt"))]
    #[case::controls("bad\r\nname\u{0}.csv", Some("bad_name.csv"))]
    #[case::quotes_and_semicolons("a\";b=c.xlsx", Some("a_b_c.xlsx"))]
    #[case::accents("Résumé café.odt", Some("Resume cafe.odt"))]
    #[case::hidden(".htaccess.txt", Some("htaccess.txt"))]
    #[case::only_symbols("★★★.pptx", Some("file.pptx"))]
    #[case::no_extension("policy", None)]
    #[case::wrong_extension("virus.exe", None)]
    #[case::double_extension("policy.pdf.exe", None)]
    #[case::disguised("virus.exe.pdf", Some("virus.exe.pdf"))]
    fn names_are_cleaned(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(clean_file_name(raw).as_deref(), expected);
    }

    #[test]
    fn long_names_keep_their_extension() {
        let name = clean_file_name(&format!("{}.docx", "a".repeat(500))).expect("name");
        assert_eq!(name.chars().count(), FILE_NAME_MAX);
        assert!(name.ends_with(".docx"));
    }

    proptest::proptest! {
        #[test]
        fn any_clean_name_is_safe_for_a_header(raw in ".{0,300}") {
            if let Some(name) = clean_file_name(&format!("{raw}.pdf")) {
                proptest::prop_assert!(name.chars().count() <= FILE_NAME_MAX);
                proptest::prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || " ._-()".contains(c)));
                proptest::prop_assert!(!name.starts_with('.'));
                proptest::prop_assert!(name.ends_with(".pdf"));
            }
        }
    }

    #[rstest]
    #[case::pdf(b"%PDF-1.7\n", true, Sniffed::Pdf)]
    #[case::zip(b"PK\x03\x04rest", true, Sniffed::Zip)]
    #[case::text(b"name,email\nSam,sam@example.org\n", true, Sniffed::Text)]
    #[case::bom(b"\xEF\xBB\xBFhello", true, Sniffed::Text)]
    #[case::nul(b"hello\0world", true, Sniffed::Other)]
    #[case::latin1(b"caf\xE9 au lait", true, Sniffed::Other)]
    #[case::cut_character(b"caf\xC3", false, Sniffed::Text)]
    #[case::cut_at_the_real_end(b"caf\xC3", true, Sniffed::Other)]
    #[case::exe(b"MZ\x90\x00", true, Sniffed::Other)]
    fn contents_are_sniffed(#[case] head: &[u8], #[case] whole: bool, #[case] expected: Sniffed) {
        assert_eq!(sniff(head, whole), expected);
    }

    #[test]
    fn a_type_must_match_its_contents() {
        assert!(sniff_fits(FileType::Pdf, Sniffed::Pdf));
        assert!(!sniff_fits(FileType::Pdf, Sniffed::Zip));
        assert!(sniff_fits(FileType::Docx, Sniffed::Zip));
        assert!(!sniff_fits(FileType::Txt, Sniffed::Pdf));
        assert!(!sniff_fits(FileType::Csv, Sniffed::Other));
    }

    #[test]
    fn types_round_trip_and_read_well() {
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.extension()), Some(t));
            assert_eq!(FileType::from_content_type(t.content_type()), Some(t));
        }
        assert_eq!(accepted_list(), "PDF, DOCX, XLSX, PPTX, ODT, CSV or TXT");
        assert_eq!(accept_attribute(), ".pdf,.docx,.xlsx,.pptx,.odt,.csv,.txt");
        for s in TextStatus::ALL {
            assert_eq!(TextStatus::parse(s.as_str()), Some(s));
        }
    }

    #[rstest]
    #[case(0, "0 bytes")]
    #[case(1, "1 byte")]
    #[case(2_000, "2 KB")]
    #[case(1_258_291, "1.2 MB")]
    #[case(52_428_800, "50.0 MB")]
    fn sizes_read_naturally(#[case] bytes: i64, #[case] expected: &str) {
        assert_eq!(human_size(bytes), expected);
    }
}
