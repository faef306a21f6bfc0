//! PDF documents of a few pages of text and tables (an invoice, a credit note), written with
//! `pdf-writer` (decision 0022) in the PDF's standard Helvetica: nothing embedded, so a page is a
//! few kilobytes and every reader has the font. Text is written in WinAnsi (Latin-1 and the
//! usual punctuation: Spanish, Portuguese and English need no more); a character beyond it
//! shows as `?`. Widths come from Helvetica's metrics, so that numbers align right and long
//! texts are cut to their column with `…`.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4, in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 40.0;
/// The width text and tables take.
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY: f32 = 8.5;
const LEADING: f32 = 1.35;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// How a column's cells sit in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table's column: its width in points and its alignment.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub width: f32,
    pub align: Align,
}

impl Column {
    pub const fn left(width: f32) -> Self {
        Self {
            width,
            align: Align::Left,
        }
    }

    pub const fn right(width: f32) -> Self {
        Self {
            width,
            align: Align::Right,
        }
    }
}

/// A document being written, page after page.
pub struct Document {
    pdf: Pdf,
    next_ref: i32,
    pages: Vec<(Ref, Ref)>,
    content: Content,
    /// Where the next line's top is, from the page's bottom.
    y: f32,
    footer: String,
    /// The header of the table being written, repeated at the top of each new page.
    table: Option<(Vec<Column>, Vec<String>)>,
}

const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const FONT_REGULAR: Ref = Ref::new(3);
const FONT_BOLD: Ref = Ref::new(4);
const INFO: Ref = Ref::new(5);

impl Document {
    /// A new document titled `title` (its properties), each page's foot saying `footer` and
    /// the page's number.
    pub fn new(title: &str, footer: &str) -> Self {
        let mut pdf = Pdf::new();
        pdf.document_info(INFO)
            .title(TextStr(title))
            .producer(TextStr("portal"));
        Self {
            pdf,
            next_ref: 6,
            pages: Vec::new(),
            content: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
            footer: footer.to_string(),
            table: None,
        }
    }

    fn new_ref(&mut self) -> Ref {
        let r = Ref::new(self.next_ref);
        self.next_ref += 1;
        r
    }

    /// Makes room for `height` points: a new page when the page has no more.
    fn room(&mut self, height: f32) {
        if self.y - height >= MARGIN + 16.0 {
            return;
        }
        self.end_page();
        self.y = PAGE_HEIGHT - MARGIN;
        if let Some((columns, header)) = self.table.clone() {
            let cells: Vec<&str> = header.iter().map(String::as_str).collect();
            self.write_row(&columns, &cells, true);
            self.rule(0.6);
        }
    }

    fn end_page(&mut self) {
        let number = self.pages.len() + 1;
        let footer = format!("{} · {number}", self.footer);
        let content = std::mem::replace(&mut self.content, Content::new());
        let mut content = content;
        text_at(&mut content, REGULAR, 7.5, MARGIN, MARGIN - 12.0, &footer);
        let (page, stream) = (self.new_ref(), self.new_ref());
        self.pdf.stream(stream, &content.finish());
        self.pages.push((page, stream));
    }

    /// Leaves `height` points blank.
    pub fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    /// The document's title, large and bold.
    pub fn title(&mut self, text: &str) {
        self.line(text, 16.0, true);
        self.gap(4.0);
    }

    /// A section's heading.
    pub fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.gap(6.0);
        self.line(text, 11.0, true);
        self.gap(2.0);
    }

    /// A paragraph, wrapped to the text's width.
    pub fn paragraph(&mut self, text: &str) {
        for line in wrap(text, TEXT_WIDTH, BODY, false) {
            self.line(&line, BODY, false);
        }
    }

    fn line(&mut self, text: &str, size: f32, bold: bool) {
        let height = size * LEADING;
        self.room(height);
        self.y -= height;
        let font = if bold { BOLD } else { REGULAR };
        let text = fit(text, TEXT_WIDTH, size, bold);
        text_at(
            &mut self.content,
            font,
            size,
            MARGIN,
            self.y + size * 0.25,
            &text,
        );
    }

    /// Pairs of a label and its value, one a line (an invoice's header, its totals).
    pub fn facts(&mut self, pairs: &[(&str, &str)], value_align: Align) {
        let columns = [
            Column::left(160.0),
            Column {
                width: 160.0,
                align: value_align,
            },
        ];
        for (label, value) in pairs {
            self.row(&columns, &[label, value], false);
        }
    }

    /// Starts a table: its header row, repeated at the top of each page it runs onto.
    pub fn table(&mut self, columns: &[Column], header: &[&str]) {
        self.room(BODY * LEADING * 3.0);
        self.write_row(columns, header, true);
        self.rule(0.6);
        self.table = Some((
            columns.to_vec(),
            header.iter().map(|h| h.to_string()).collect(),
        ));
    }

    /// Ends the table being written.
    pub fn end_table(&mut self) {
        self.table = None;
        self.gap(4.0);
    }

    /// A row of cells, bold or not, each cut to its column.
    pub fn row(&mut self, columns: &[Column], cells: &[&str], bold: bool) {
        self.room(BODY * LEADING);
        self.write_row(columns, cells, bold);
    }

    fn write_row(&mut self, columns: &[Column], cells: &[&str], bold: bool) {
        let height = BODY * LEADING;
        self.y -= height;
        let font = if bold { BOLD } else { REGULAR };
        let mut x = MARGIN;
        for (column, cell) in columns.iter().zip(cells) {
            let room = column.width - 4.0;
            let text = fit(cell, room, BODY, bold);
            let at = match column.align {
                Align::Left => x,
                Align::Right => x + room - width(&text, BODY, bold),
            };
            text_at(
                &mut self.content,
                font,
                BODY,
                at,
                self.y + BODY * 0.25,
                &text,
            );
            x += column.width;
        }
    }

    /// A thin horizontal line across the text's width.
    pub fn rule(&mut self, weight: f32) {
        self.y -= 2.0;
        self.content
            .set_line_width(weight)
            .set_stroke_gray(0.6)
            .move_to(MARGIN, self.y)
            .line_to(PAGE_WIDTH - MARGIN, self.y)
            .stroke();
        self.y -= 2.0;
    }

    /// The document's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.end_page();
        let kids: Vec<Ref> = self.pages.iter().map(|(p, _)| *p).collect();
        let count = kids.len() as i32;
        self.pdf.catalog(CATALOG).pages(PAGE_TREE);
        self.pdf.pages(PAGE_TREE).kids(kids).count(count);
        for (page, stream) in &self.pages {
            let mut p = self.pdf.page(*page);
            p.parent(PAGE_TREE)
                .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
                .contents(*stream);
            p.resources()
                .fonts()
                .pair(REGULAR, FONT_REGULAR)
                .pair(BOLD, FONT_BOLD);
        }
        for (id, name) in [(FONT_REGULAR, "Helvetica"), (FONT_BOLD, "Helvetica-Bold")] {
            self.pdf
                .type1_font(id)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        self.pdf.finish()
    }
}

fn text_at(content: &mut Content, font: Name, size: f32, x: f32, y: f32, text: &str) {
    let bytes = win_ansi(text);
    content
        .set_fill_gray(0.0)
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&bytes))
        .end_text();
}

/// `text` in WinAnsi (the standard fonts' encoding): Latin-1 as it is, the usual punctuation
/// where WinAnsi has it, `?` for the rest.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            // Narrow and thin spaces (some locales group digits with them).
            '\u{202f}' | '\u{2009}' => 0xa0,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// Helvetica's widths of the printable ASCII characters (from space), in thousandths of the
/// font's size: Adobe's metrics of the standard fonts.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The width of `text` at `size` points.
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let units: u32 = text
        .chars()
        .map(|c| {
            let c = base_letter(c);
            match c {
                ' '..='~' => u32::from(table[c as usize - 0x20]),
                '\u{a0}' | '\u{202f}' | '\u{2009}' => 278,
                '—' | '…' => 1000,
                _ => 556,
            }
        })
        .sum();
    units as f32 * size / 1000.0
}

/// The letter an accented Latin-1 letter is drawn on (its width is that letter's).
fn base_letter(c: char) -> char {
    match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// `text` as it fits in `room` points: whole, or cut with `…`.
pub fn fit(text: &str, room: f32, size: f32, bold: bool) -> String {
    if width(text, size, bold) <= room {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && width(&cut, size, bold) + width("…", size, bold) > room {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// `text` in lines of at most `room` points, broken between words (a word longer than a line
/// is cut).
pub fn wrap(text: &str, room: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size, bold) <= room || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("Ação ñ €5 – x"), b"A\xe7\xe3o \xf1 \x805 \x96 x");
        assert_eq!(win_ansi("1\u{202f}234"), b"1\xa0234");
        assert_eq!(win_ansi("日本"), b"??");
    }

    #[test]
    fn widths_follow_the_font_and_accents_weigh_as_their_letter() {
        // Digits are 556 thousandths in both weights.
        assert!((width("1234567890", 10.0, false) - 55.6).abs() < 0.01);
        assert_eq!(width("0", 10.0, true), width("0", 10.0, false));
        assert_eq!(width("ação", 9.0, false), width("acao", 9.0, false));
        assert!(width("W", 10.0, false) > width("i", 10.0, false));
    }

    #[test]
    fn long_texts_are_cut_to_their_room_and_wrapped_between_words() {
        let name = "Microsoft 365 Business Premium (annual commitment)";
        let cut = fit(name, 60.0, 8.5, false);
        assert!(
            cut.ends_with('…') && width(&cut, 8.5, false) <= 60.0,
            "{cut}"
        );
        assert_eq!(fit("Short", 60.0, 8.5, false), "Short");
        let lines = wrap("one two three four five six seven", 40.0, 10.0, false);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), "one two three four five six seven");
        assert!(lines.iter().all(|l| width(l, 10.0, false) <= 40.0));
    }

    #[test]
    fn a_document_runs_onto_pages_with_its_table_header_on_each() {
        let mut doc = Document::new("Invoice INV-2026-000001", "INV-2026-000001");
        doc.title("Invoice INV-2026-000001");
        let columns = [Column::left(100.0), Column::right(80.0)];
        doc.table(&columns, &["Product", "Amount"]);
        for i in 0..200 {
            doc.row(&columns, &[&format!("Line {i}"), "1.00"], false);
        }
        doc.end_table();
        let bytes = doc.finish();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count();
        assert!(
            text.contains("/Count 3") || text.contains("/Count 4"),
            "{pages}"
        );
        // The header starts each page.
        assert!(text.matches("(Product) Tj").count() >= 3);
        assert!(text.contains("(Line 199) Tj"));
    }
}
