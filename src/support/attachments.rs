//! A ticket's attachments, without I/O: what a file is, recognised by its content (never by its
//! name), whether its name agrees, the name shown (no path, no control characters), and the
//! limits of a message's files.

/// The most files one message carries, and the largest one (so a message's files weigh at most
/// 50 MB; the portal's body limit, 52 MB by default, leaves room for the form's texts).
pub const MOST_FILES: usize = 5;
pub const MOST_BYTES: usize = 10 * 1024 * 1024;
pub const MOST_MESSAGE_BYTES: usize = MOST_FILES * MOST_BYTES;

crate::text_enum! {
    /// The kinds of file a ticket takes.
    pub enum Kind {
        Pdf = "pdf",
        Png = "png",
        Jpeg = "jpeg",
        Xlsx = "xlsx",
        Csv = "csv",
        Text = "txt",
    }
}

impl Kind {
    /// The content type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The file name extensions that agree with it.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg"],
            Kind::Xlsx => &["xlsx"],
            Kind::Csv | Kind::Text => &["csv", "txt", "log"],
        }
    }
}

/// What `bytes` are, from their first bytes and structure: PDF, PNG, JPEG, an Excel workbook (a
/// ZIP holding `xl/workbook.xml`), or text (UTF-8 without control characters other than tabs
/// and line ends; CSV when `name` says so). None for anything else.
pub fn kind_of(bytes: &[u8], name: &str) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let workbook = b"xl/workbook.xml";
        return bytes
            .windows(workbook.len())
            .any(|w| w == workbook)
            .then_some(Kind::Xlsx);
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).ok()?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return None;
    }
    Some(if extension(name) == "csv" {
        Kind::Csv
    } else {
        Kind::Text
    })
}

/// The lower-cased extension of `name` (after its last dot), or nothing.
fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The name shown for an uploaded file: its last path part, without control characters or
/// leading dots, at most 120 characters; `attachment` when nothing is left.
pub fn shown_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(120)
        .collect();
    if clean.trim().is_empty() {
        "attachment".into()
    } else {
        clean
    }
}

/// A file checked: its shown name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub name: String,
    pub kind: Kind,
}

/// Checks one uploaded file: the message key of what is wrong with it, if anything.
pub fn check(given_name: &str, bytes: &[u8]) -> Result<Checked, &'static str> {
    if bytes.is_empty() {
        return Err("support.attachment_empty");
    }
    if bytes.len() > MOST_BYTES {
        return Err("support.attachment_too_big");
    }
    let name = shown_name(given_name);
    let kind = kind_of(bytes, &name).ok_or("support.attachment_type")?;
    let ext = extension(&name);
    if !kind.extensions().contains(&ext.as_str()) {
        return Err("support.attachment_mismatch");
    }
    Ok(Checked { name, kind })
}

/// A file to keep with a message, checked.
#[derive(Clone, Debug)]
pub struct File {
    pub checked: Checked,
    pub bytes: bytes::Bytes,
}

/// A message's uploaded files (given name, bytes), each checked, within the message's limits;
/// the message key of the first thing wrong.
pub fn check_all(uploaded: Vec<(String, bytes::Bytes)>) -> Result<Vec<File>, &'static str> {
    if uploaded.len() > MOST_FILES {
        return Err("support.attachments_too_many");
    }
    uploaded
        .into_iter()
        .map(|(name, bytes)| check(&name, &bytes).map(|checked| File { checked, bytes }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn files_are_recognised_by_their_content() {
        assert_eq!(kind_of(b"%PDF-1.7\n...", "a.pdf"), Some(Kind::Pdf));
        assert_eq!(kind_of(PNG, "x"), Some(Kind::Png));
        assert_eq!(
            kind_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], "x"),
            Some(Kind::Jpeg)
        );
        let mut xlsx = b"PK\x03\x04....[Content_Types].xml....".to_vec();
        xlsx.extend_from_slice(b"xl/workbook.xml....");
        assert_eq!(kind_of(&xlsx, "x.xlsx"), Some(Kind::Xlsx));
        assert_eq!(
            kind_of(b"PK\x03\x04word/document.xml", "x.docx"),
            None,
            "a Word file"
        );
        assert_eq!(
            kind_of("sku;seats\nCFQ7;10\n".as_bytes(), "list.CSV"),
            Some(Kind::Csv)
        );
        assert_eq!(
            kind_of("línea uno\r\n\tdos".as_bytes(), "notes.txt"),
            Some(Kind::Text)
        );
        assert_eq!(kind_of(b"MZ\x90\0\x03\0\0\0", "setup.exe"), None);
        assert_eq!(kind_of(b"\x7fELF\x02\x01", "x.txt"), None);
        assert_eq!(kind_of(&[0xC3, 0x28], "x.txt"), None, "not UTF-8");
    }

    #[test]
    fn a_name_that_lies_about_its_content_is_refused() {
        assert_eq!(check("screen.png", PNG).unwrap().kind, Kind::Png);
        assert_eq!(
            check("report.pdf", PNG).unwrap_err(),
            "support.attachment_mismatch"
        );
        assert_eq!(
            check("photo.JPG", &[0xFF, 0xD8, 0xFF, 0xE1]).unwrap().kind,
            Kind::Jpeg
        );
        assert_eq!(
            check("virus.exe", b"MZ\x90\0").unwrap_err(),
            "support.attachment_type"
        );
        assert_eq!(
            check("notes", b"plain text").unwrap_err(),
            "support.attachment_mismatch"
        );
        let big = vec![b'a'; MOST_BYTES + 1];
        assert_eq!(
            check("big.txt", &big).unwrap_err(),
            "support.attachment_too_big"
        );
        assert!(check("fine.txt", &big[..MOST_BYTES]).is_ok());
    }

    #[test]
    fn a_message_takes_five_files_of_ten_megabytes_each() {
        let png = |n: &str| (format!("{n}.png"), bytes::Bytes::from_static(PNG));
        let five: Vec<_> = ["a", "b", "c", "d", "e"].iter().map(|n| png(n)).collect();
        assert_eq!(check_all(five.clone()).unwrap().len(), 5);
        let mut six = five;
        six.push(png("f"));
        assert_eq!(check_all(six).unwrap_err(), "support.attachments_too_many");
        let full = bytes::Bytes::from(vec![b'a'; MOST_BYTES]);
        let five_full: Vec<_> = (0..MOST_FILES)
            .map(|i| (format!("{i}.txt"), full.clone()))
            .collect();
        assert_eq!(check_all(five_full).unwrap().len(), MOST_FILES);
        let over = bytes::Bytes::from(vec![b'a'; MOST_BYTES + 1]);
        assert_eq!(
            check_all(vec![("a.txt".into(), full), ("b.txt".into(), over)]).unwrap_err(),
            "support.attachment_too_big"
        );
        assert_eq!(
            check_all(vec![("e.txt".into(), bytes::Bytes::new())]).unwrap_err(),
            "support.attachment_empty"
        );
        assert!(check_all(Vec::new()).unwrap().is_empty());
    }

    #[test]
    fn shown_names_have_no_path_and_no_control_characters() {
        assert_eq!(shown_name("../../etc/passwd.txt"), "passwd.txt");
        assert_eq!(shown_name("C:\\Users\\ana\\captura.png"), "captura.png");
        assert_eq!(shown_name("a\u{0}b\u{7}\r\n.png"), "ab.png");
        assert_eq!(shown_name(".hidden.txt"), "hidden.txt");
        assert_eq!(shown_name("/"), "attachment");
        assert_eq!(shown_name(&"x".repeat(300)).chars().count(), 120);
    }
}
