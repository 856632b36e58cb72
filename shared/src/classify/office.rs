//! Office Open XML documents: Excel workbooks (`.xlsx`, read cell by cell with calamine,
//! classified per value and per column, the first row naming the columns when it reads
//! as a header) and Word documents (`.docx`: the text a document stores, shown or not,
//! streamed through the text pass, one paragraph per line).

use std::io::{self, BufReader, Read};
use std::path::Path;

use calamine::{DataRef, Reader, SheetType, Xlsx};
use quick_xml::events::Event;

use super::batch::{ObjectScan, Place};
use super::engine::{Classifier, StreamEnd};
use super::findings::{Finding, ObjectReport, ObjectStatus, SkipReason};
use super::format::SampleLimits;
use super::object::Limited;
use super::padding::format_whole_number;
use super::xlsx_formats::PaddedCells;
use super::ClassifyError;

/// Longest header cell taken as a column name.
const MAX_HEADER_NAME: usize = 64;

impl Classifier {
    /// Classifies every sheet of an Excel workbook. Locations carry the sheet, the cell
    /// (`B7`), the row and the column name (the header cell, else the column letter);
    /// columns are `sheet!name`. `limits.max_rows` counts rows over the whole workbook,
    /// `limits.max_bytes` cell text. A file that is not a readable workbook is `SKIPPED`
    /// as `malformed`.
    pub(crate) fn classify_xlsx(
        &self,
        path: &Path,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let file = std::fs::File::open(path).map_err(ClassifyError::Read)?;
        // A package whose workbook is not at `xl/workbook.xml` is read from a copy that
        // puts it there (see `xlsx_package`).
        let relocated = match Xlsx::new(BufReader::new(file)) {
            Ok(b) => Ok((b, None)),
            Err(e) => super::xlsx_package::relocated(path)
                .and_then(|copy| {
                    let file = copy.reopen().ok()?;
                    Some((Xlsx::new(BufReader::new(file)).ok()?, Some(copy)))
                })
                .ok_or(e),
        };
        let (mut book, copy) = match relocated {
            Ok(b) => b,
            Err(e) => return Ok(malformed("xlsx", &e)),
        };
        let path = copy.as_ref().map_or(path, |c| c.path());
        // Number formats that pad (`000-00-0000`): calamine does not say which cell has
        // which, so they are read from the parts themselves.
        let padded = std::fs::File::open(path)
            .ok()
            .and_then(|f| zip::ZipArchive::new(BufReader::new(f)).ok())
            .map(|mut zip| PaddedCells::read(&mut zip))
            .unwrap_or_default();
        let mut scan = ObjectScan::new(self);
        let mut status = ObjectStatus::Complete;
        let mut detail = None;
        let mut rows: u64 = 0;
        // Chart sheets hold a chart, no cells: passed over, and said so in the detail.
        let charts: Vec<String> = book
            .sheets_metadata()
            .iter()
            .filter(|s| s.typ == SheetType::ChartSheet)
            .map(|s| s.name.clone())
            .collect();
        let mut unreadable = false;
        'sheets: for sheet in book.sheet_names() {
            if charts.contains(&sheet) {
                continue;
            }
            let mut cells = match book.worksheet_cells_reader(&sheet) {
                Ok(c) => c,
                Err(e) => {
                    status = ObjectStatus::Partial;
                    unreadable = true;
                    detail = Some(format!("sheet {sheet:?} could not be read: {e}"));
                    continue;
                }
            };
            let mut sheet_rows = SheetRows::default();
            loop {
                let cell = match cells.next_cell() {
                    Ok(Some(cell)) => cell,
                    Ok(None) => break,
                    Err(e) => {
                        status = ObjectStatus::Partial;
                        unreadable = true;
                        detail = Some(format!("sheet {sheet:?} could not be read: {e}"));
                        break;
                    }
                };
                let (row, col) = cell.get_position();
                let Some(mut text) = cell_text(cell.get_value()) else {
                    continue;
                };
                if let Some(code) = padded.format(&sheet, row, col) {
                    if matches!(cell.get_value(), DataRef::Int(_) | DataRef::Float(_)) {
                        if let Some(shown) = format_whole_number(code, &text) {
                            text = std::borrow::Cow::Owned(shown);
                        }
                    }
                }
                if sheet_rows.current != Some(row) {
                    if let Some(pending) = sheet_rows.pending_header.take() {
                        if self.flush_first_row(&mut scan, &sheet, &mut sheet_rows, pending) {
                            rows += 1;
                        }
                    } else if sheet_rows.current.is_some() {
                        scan.end_record();
                    }
                    if limits.max_rows.is_some_and(|max| rows >= max)
                        || limits.max_bytes.is_some_and(|max| scan.bytes >= max)
                    {
                        status = ObjectStatus::Partial;
                        break 'sheets;
                    }
                    sheet_rows.current = Some(row);
                    if sheet_rows.first.is_none() {
                        // The first row waits: it is a header or data once it is whole.
                        sheet_rows.first = Some(row);
                        sheet_rows.pending_header = Some(Vec::new());
                    } else {
                        rows += 1;
                        sheet_rows.data += 1;
                    }
                }
                if let Some(pending) = &mut sheet_rows.pending_header {
                    pending.push((col, text.into_owned()));
                    continue;
                }
                let column = self.sheet_column(&mut scan, &sheet, &sheet_rows, col);
                let cell = cell_ref(row, col);
                let place = Place {
                    row: Some(sheet_rows.data),
                    cell: Some(&cell),
                    ..Place::default()
                };
                scan.value(column, text.as_bytes(), place);
            }
            if let Some(pending) = sheet_rows.pending_header.take() {
                if self.flush_first_row(&mut scan, &sheet, &mut sheet_rows, pending) {
                    rows += 1;
                }
            } else {
                scan.end_record();
            }
        }
        scan.rows = rows;
        let mut report = scan.finish(status, "xlsx");
        if !charts.is_empty() {
            let note = format!("chart sheets skipped, they hold no cells: {charts:?}");
            detail = Some(detail.map_or(note.clone(), |d| format!("{d}; {note}")));
        }
        report.detail = detail;
        if unreadable {
            // Not a sampling limit: part of the workbook could not be read.
            report.reason = Some(SkipReason::Malformed);
        }
        Ok(report)
    }

    /// The first row of a sheet, whole: a header (names the columns) or data (then
    /// classified, and true is returned).
    fn flush_first_row(
        &self,
        scan: &mut ObjectScan<'_>,
        sheet: &str,
        rows: &mut SheetRows,
        cells: Vec<(u32, String)>,
    ) -> bool {
        let first = rows.first.unwrap_or(0);
        let names: Vec<&str> = cells.iter().map(|(_, t)| t.trim()).collect();
        let header = !names.is_empty()
            && names.iter().enumerate().all(|(i, n)| {
                !n.is_empty()
                    && n.len() <= MAX_HEADER_NAME
                    && n.chars().any(char::is_alphabetic)
                    && !n.contains('@')
                    && !names[..i].contains(n)
            })
            && self
                .classify_bytes(names.join("\n").as_bytes())
                .findings
                .is_empty();
        if header {
            rows.names = cells
                .iter()
                .map(|(c, t)| (*c, t.trim().to_string()))
                .collect();
            return false;
        }
        rows.data += 1;
        for (col, text) in cells {
            let column = self.sheet_column(scan, sheet, rows, col);
            let cell = cell_ref(first, col);
            let place = Place {
                row: Some(rows.data),
                cell: Some(&cell),
                ..Place::default()
            };
            scan.value(column, text.as_bytes(), place);
        }
        scan.end_record();
        true
    }

    fn sheet_column(
        &self,
        scan: &mut ObjectScan<'_>,
        sheet: &str,
        rows: &SheetRows,
        col: u32,
    ) -> usize {
        let name = rows
            .names
            .iter()
            .find(|(c, _)| *c == col)
            .map_or_else(|| column_letters(col), |(_, n)| n.clone());
        scan.column(&format!("{sheet}!{name}"), Some(&name), Some(sheet), &name)
    }

    /// Classifies the text a Word document stores, paragraphs as lines: the body
    /// (`word/document.xml`), then its headers, footers, footnotes, endnotes and comments,
    /// each part from a new line. Text that Word hides but keeps is read too: tracked
    /// deletions (`w:delText`, back with "Reject change") and field codes (`w:instrText`,
    /// such as a `mailto:` hyperlink's target). Locations name their part (`body`,
    /// `header 1`, `footnotes`...) and give the line (paragraph) in it, the column, and
    /// the offset in the text of all the parts. A file that is
    /// not a readable Word document is `SKIPPED` as `malformed`.
    pub(crate) fn classify_docx(
        &self,
        path: &Path,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let file = std::fs::File::open(path).map_err(ClassifyError::Read)?;
        let mut archive = match zip::ZipArchive::new(BufReader::new(file)) {
            Ok(a) => a,
            Err(e) => return Ok(malformed("docx", &e)),
        };
        // The smaller parts are read first (the body borrows the archive while it streams).
        let mut extras = Vec::new();
        let mut labels = vec!["body".to_string()];
        let mut left_out = Vec::new();
        for name in docx_extra_parts(archive.file_names()) {
            let Ok(part) = archive.by_name(&name) else {
                continue;
            };
            let mut xml = Vec::new();
            part.take(MAX_DOCX_PART_BYTES + 1)
                .read_to_end(&mut xml)
                .map_err(ClassifyError::Read)?;
            if xml.len() as u64 > MAX_DOCX_PART_BYTES {
                left_out.push(name);
            } else {
                labels.push(part_label(&name));
                extras.push(xml);
            }
        }
        let part = match archive.by_name("word/document.xml") {
            Ok(p) => p,
            Err(e) => return Ok(malformed("docx", &e)),
        };
        let marks = std::rc::Rc::new(std::cell::RefCell::new(PartMarks::default()));
        let mut reader: Box<dyn Read + '_> =
            Box::new(Marked::new(DocxText::new(part), 0, marks.clone()));
        for (i, xml) in extras.into_iter().enumerate() {
            let part = Marked::new(DocxText::new(io::Cursor::new(xml)), i + 1, marks.clone());
            reader = Box::new(reader.chain(part));
        }
        let mut text = Limited::new(reader, limits.max_bytes);
        let mut findings = self.findings_builder();
        let end = self.scan_stream(&mut text, &mut findings);
        let bytes = match end {
            Ok(StreamEnd::Read(bytes)) => bytes,
            Ok(StreamEnd::Binary) => {
                return Ok(malformed("docx", &"its text has binary content"));
            }
            Err(ClassifyError::Read(e)) if e.kind() == io::ErrorKind::InvalidData => {
                return Ok(malformed("docx", &e));
            }
            Err(e) => return Err(e),
        };
        let detail = (!left_out.is_empty()).then(|| {
            format!(
                "not read, larger than {MAX_DOCX_PART_BYTES} bytes: {}",
                left_out.join(", ")
            )
        });
        let report = ObjectReport {
            status: if left_out.is_empty() {
                ObjectStatus::Complete
            } else {
                ObjectStatus::Partial
            },
            reason: None,
            detail,
            encoding: None,
            format: "docx",
            bytes,
            rows: None,
            findings: marks.borrow().locate(findings.finish(), &labels),
            columns: Vec::new(),
        };
        Ok(text.mark(report))
    }
}

/// The user-facing name of a Word part: `word/header1.xml` is `header 1`,
/// `word/footnotes.xml` is `footnotes`.
fn part_label(name: &str) -> String {
    let stem = name
        .strip_prefix("word/")
        .and_then(|n| n.strip_suffix(".xml"))
        .unwrap_or(name);
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    match digits {
        0 => stem.to_string(),
        n => format!("{} {}", &stem[..stem.len() - n], &stem[stem.len() - n..]),
    }
}

/// Where each part of a Word document starts in the text read from it: byte offset and
/// line ends before it (`None` for a part not reached).
#[derive(Debug, Default)]
struct PartMarks {
    offset: u64,
    newlines: u64,
    last: Option<u8>,
    starts: Vec<Option<(u64, u64)>>,
}

impl PartMarks {
    /// `findings` with each location named by its part, its line counted in the part.
    fn locate(&self, mut findings: Vec<Finding>, labels: &[String]) -> Vec<Finding> {
        for l in findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
            let part = self
                .starts
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.map(|s| (i, s)))
                .rfind(|(_, (offset, _))| *offset <= l.offset);
            if let Some((i, (_, newlines))) = part {
                l.part = labels.get(i).cloned();
                l.line = l.line.saturating_sub(newlines);
            }
        }
        findings
    }
}

/// A part's text, recording where it starts ([`PartMarks`]); a part after another that
/// did not end its last line starts on a new one.
struct Marked<R> {
    inner: R,
    index: usize,
    marks: std::rc::Rc<std::cell::RefCell<PartMarks>>,
    started: bool,
}

impl<R> Marked<R> {
    fn new(inner: R, index: usize, marks: std::rc::Rc<std::cell::RefCell<PartMarks>>) -> Self {
        Marked {
            inner,
            index,
            marks,
            started: false,
        }
    }
}

impl<R: Read> Read for Marked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut m = self.marks.borrow_mut();
        if !self.started {
            self.started = true;
            if m.starts.len() <= self.index {
                m.starts.resize(self.index + 1, None);
            }
            if m.last.is_some_and(|b| b != b'\n') && !buf.is_empty() {
                buf[0] = b'\n';
                m.offset += 1;
                m.newlines += 1;
                m.last = Some(b'\n');
                m.starts[self.index] = Some((m.offset, m.newlines));
                return Ok(1);
            }
            m.starts[self.index] = Some((m.offset, m.newlines));
        }
        drop(m);
        let n = self.inner.read(buf)?;
        let mut m = self.marks.borrow_mut();
        m.offset += n as u64;
        m.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        if n > 0 {
            m.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// Largest header, footer, footnotes, endnotes or comments part read (uncompressed); such
/// parts are read whole, the body is streamed.
const MAX_DOCX_PART_BYTES: u64 = 16 << 20;

/// The parts of a Word document besides the body that hold text a reader of the file
/// gets: headers, footers, footnotes, endnotes and comments, in that order (numbered parts
/// by number).
fn docx_extra_parts<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    const KINDS: [&str; 5] = ["header", "footer", "footnotes", "endnotes", "comments"];
    let mut parts: Vec<(usize, u64, String)> = names
        .filter_map(|name| {
            let stem = name.strip_prefix("word/")?.strip_suffix(".xml")?;
            let (kind, rank) = KINDS
                .iter()
                .enumerate()
                .find_map(|(i, k)| stem.strip_prefix(k).map(|rest| (i, rest)))?;
            let number = if rank.is_empty() {
                0
            } else {
                rank.parse::<u64>().ok()?
            };
            Some((kind, number, name.to_string()))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(.., name)| name).collect()
}

/// Where a sheet's reading is.
#[derive(Default)]
struct SheetRows {
    current: Option<u32>,
    /// Data rows of the sheet so far: a location's `row`, as in CSV (the n-th row with a
    /// value after the header, from 1); the cell reference gives the sheet's own row.
    data: u64,
    first: Option<u32>,
    pending_header: Option<Vec<(u32, String)>>,
    names: Vec<(u32, String)>,
}

/// A cell's text: strings as they are, whole numbers without a fraction (`4539578763621486`,
/// not `4.539578763621486e15`); booleans, dates, errors and empty cells have none.
fn cell_text<'a>(value: &'a DataRef<'_>) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) => Some(Cow::Borrowed(s.as_str())),
        DataRef::SharedString(s) => Some(Cow::Borrowed(s)),
        DataRef::Int(i) => Some(Cow::Owned(i.to_string())),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => {
            Some(Cow::Owned(format!("{}", *f as i64)))
        }
        DataRef::Float(f) => Some(Cow::Owned(f.to_string())),
        _ => None,
    }
}

/// `A`, `B`, ... `Z`, `AA` for a zero-based column.
fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `B7` for zero-based row 6, column 1.
fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), u64::from(row) + 1)
}

fn malformed(format: &'static str, e: &dyn std::fmt::Display) -> ObjectReport {
    ObjectReport::skipped(
        SkipReason::Malformed,
        Some(format!("not a readable {format} file: {e}")),
        format,
    )
}

/// The text of a Word XML part as a stream: the runs' text (`w:t`), deleted text of
/// tracked changes (`w:delText`), field codes (`w:instrText`), tabs, breaks, and a line
/// end after each paragraph (`w:p`).
struct DocxText<R: Read> {
    xml: quick_xml::Reader<BufReader<R>>,
    event: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    in_text: bool,
    done: bool,
}

impl<R: Read> DocxText<R> {
    fn new(part: R) -> Self {
        DocxText {
            xml: quick_xml::Reader::from_reader(BufReader::with_capacity(64 * 1024, part)),
            event: Vec::new(),
            out: Vec::new(),
            pos: 0,
            in_text: false,
            done: false,
        }
    }

    /// Reads XML events until some text is produced or the part ends.
    fn fill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.done {
            self.event.clear();
            let event = self
                .xml
                .read_event_into(&mut self.event)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            match event {
                Event::Start(e) if is_text_element(e.local_name().as_ref()) => {
                    self.in_text = true;
                }
                Event::End(e) => match e.local_name().as_ref() {
                    name if is_text_element(name) => self.in_text = false,
                    b"p" => self.out.push(b'\n'),
                    _ => {}
                },
                Event::Empty(e) => match e.local_name().as_ref() {
                    b"tab" => self.out.push(b'\t'),
                    b"br" | b"cr" => self.out.push(b'\n'),
                    _ => {}
                },
                Event::Text(t) if self.in_text => {
                    let text = t
                        .decode()
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    self.out.extend_from_slice(text.as_bytes());
                }
                Event::GeneralRef(r) if self.in_text => {
                    let name = r
                        .decode()
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        self.out.extend_from_slice(s.as_bytes());
                    } else if let Ok(Some(c)) = r.resolve_char_ref() {
                        let mut b = [0u8; 4];
                        self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                    }
                }
                Event::Eof => self.done = true,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Elements whose character data is document text: run text, deleted run text (a
/// tracked deletion, still in the file) and field instructions.
fn is_text_element(local_name: &[u8]) -> bool {
    matches!(local_name, b"t" | b"delText" | b"instrText")
}

impl<R: Read> Read for DocxText<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() {
            self.fill()?;
        }
        let n = (self.out.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Minimal Office Open XML files for tests: what Excel and Word need to open them, and
/// what calamine and the docx reader read.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::io::Write;
    use std::path::Path;

    use zip::write::SimpleFileOptions;

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    pub fn write_zip(path: &Path, parts: &[(&str, String)]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            zip.start_file(*name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }

    /// A workbook with one sheet per entry; cells are inline strings, rows from 1.
    pub fn xlsx(path: &Path, sheets: &[(&str, Vec<Vec<String>>)]) {
        let mut parts = vec![
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
            ),
        ];
        let mut book = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        let mut sheet_parts = Vec::new();
        for (i, (name, rows)) in sheets.iter().enumerate() {
            let n = i + 1;
            book.push_str(&format!(
                r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
                escape(name)
            ));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
            let mut xml = String::from(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
            );
            for (r, row) in rows.iter().enumerate() {
                xml.push_str(&format!(r#"<row r="{}">"#, r + 1));
                for (c, value) in row.iter().enumerate() {
                    let cell = format!("{}{}", super::column_letters(c as u32), r + 1);
                    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                        xml.push_str(&format!(r#"<c r="{cell}"><v>{value}</v></c>"#));
                    } else {
                        xml.push_str(&format!(
                            r#"<c r="{cell}" t="inlineStr"><is><t>{}</t></is></c>"#,
                            escape(value)
                        ));
                    }
                }
                xml.push_str("</row>");
            }
            xml.push_str("</sheetData></worksheet>");
            sheet_parts.push((format!("xl/worksheets/sheet{n}.xml"), xml));
        }
        book.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        parts.push(("xl/workbook.xml", book));
        parts.push(("xl/_rels/workbook.xml.rels", rels));
        let names: Vec<String> = sheet_parts.iter().map(|(n, _)| n.clone()).collect();
        for (i, (_, xml)) in sheet_parts.into_iter().enumerate() {
            parts.push((names[i].as_str(), xml));
        }
        write_zip(path, &parts);
    }

    /// A Word document with one paragraph per entry; each paragraph's text is split into
    /// two runs in its middle, as Word does after edits.
    pub fn docx(path: &Path, paragraphs: &[&str]) {
        let mut body = String::new();
        for p in paragraphs {
            let mid = p
                .char_indices()
                .nth(p.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            let (a, b) = p.split_at(mid);
            body.push_str(&format!(
                r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                escape(a),
                escape(b)
            ));
        }
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        write_zip(
            path,
            &[
                (
                    "[Content_Types].xml",
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string(),
                ),
                ("word/document.xml", document),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::tests::shared;
    use crate::classify::{Finding, ObjectFormat};

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("s3c-office-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn finding<'a>(r: &'a ObjectReport, id: &str) -> &'a Finding {
        r.findings
            .iter()
            .find(|f| f.detector == id)
            .unwrap_or_else(|| panic!("no {id} in {:?}", r.findings))
    }

    fn people() -> Vec<Vec<String>> {
        let mut rows = vec![vec!["Name".to_string(), "Email".into(), "Notes".into()]];
        for i in 0..9 {
            rows.push(vec![
                format!("Person {i}"),
                format!("user{i}@mail.example.org"),
                if i == 3 {
                    "paid with 4539578763621486".into()
                } else {
                    format!("note {i}")
                },
            ]);
        }
        rows
    }

    #[test]
    fn xlsx_cells_have_sheet_cell_row_and_header_name() {
        let path = temp("book.xlsx");
        let lookalikes: Vec<Vec<String>> = (0..20)
            .map(|i| vec![format!("{}", 100_000 + i), format!("SKU-{i:04}")])
            .collect();
        fixtures::xlsx(&path, &[("People", people()), ("Stock", lookalikes)]);
        let head = std::fs::read(&path).unwrap();
        let format = ObjectFormat::detect("book.xlsx", &head[..4]);
        assert_eq!(format, ObjectFormat::Xlsx);
        let r = shared()
            .classify_file(&format, &path, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        assert_eq!(
            r.rows,
            Some(9 + 20),
            "header row excluded; Stock has no header"
        );
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!(card.sheet.as_deref(), Some("People"));
        assert_eq!(card.cell.as_deref(), Some("C5"));
        assert_eq!(card.row, Some(4), "the fourth data row, as in CSV");
        assert_eq!(card.column_name.as_deref(), Some("Notes"));
        assert_eq!(card.column, 11, "byte of the value in the cell, from 1");
        let email = finding(&r, "email");
        assert_eq!(email.count, 9);
        let labels: Vec<_> = r
            .columns
            .iter()
            .map(|c| (c.column.as_str(), c.detector.as_str()))
            .collect();
        assert_eq!(labels, [("People!Email", "email")]);
        assert_eq!(r.findings.len(), 2, "nothing in Stock: {:?}", r.findings);
        let cut = shared()
            .classify_file(
                &format,
                &path,
                &SampleLimits {
                    max_rows: Some(4),
                    max_bytes: None,
                },
            )
            .unwrap();
        assert_eq!(cut.status, ObjectStatus::Partial);
        assert_eq!(finding(&cut, "email").count, 4);
    }

    /// `row` means the same in every table format: the n-th data row after the header,
    /// from 1 (the sheet's own row is in the cell reference).
    #[test]
    fn rows_count_data_rows_alike_in_csv_and_xlsx() {
        let table = people();
        let path = temp("rows.xlsx");
        fixtures::xlsx(&path, &[("People", table.clone())]);
        let xlsx = shared()
            .classify_file(&ObjectFormat::Xlsx, &path, &SampleLimits::NONE)
            .unwrap();
        let csv: String = table.iter().map(|r| r.join(",") + "\n").collect();
        let csv = shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap();
        for id in ["credit_card", "email"] {
            let rows = |r: &ObjectReport| -> Vec<Option<u64>> {
                finding(r, id).locations.iter().map(|l| l.row).collect()
            };
            assert_eq!(rows(&xlsx), rows(&csv), "{id}");
        }
        assert_eq!(finding(&csv, "credit_card").locations[0].row, Some(4));
        assert_eq!(finding(&xlsx, "email").locations[0].row, Some(1));
        assert_eq!(
            finding(&xlsx, "email").locations[0].cell.as_deref(),
            Some("B2")
        );
    }

    /// An SSN typed into Excel is a number with the Social Security Number format: it is
    /// read as Excel shows it, leading zero included (`014-94-3551`, stored `14943551`).
    #[test]
    fn xlsx_numbers_are_read_with_their_padding_number_format() {
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
        let rels_ns =
            r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let mut rows = String::from(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Ref</t></is></c></row>"#,
        );
        let ssns = ["14943551", "83778742", "536228726", "212458769"];
        for (i, v) in ssns.iter().enumerate() {
            let r = i + 2;
            rows.push_str(&format!(
                r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>P{i}</t></is></c><c r="B{r}" s="1"><v>{v}</v></c></row>"#
            ));
        }
        let path = temp("ssn_format.xlsx");
        fixtures::write_zip(
            &path,
            &[
                ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_string()),
                ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
                ("xl/workbook.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rels_ns}><sheets><sheet name="Staff" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
                ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#.to_string()),
                ("xl/styles.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}><numFmts count="1"><numFmt numFmtId="164" formatCode="000\-00\-0000"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#)),
                ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{rows}</sheetData></worksheet>"#)),
            ],
        );
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let padded = PaddedCells::read(&mut zip);
        assert_eq!(padded.format("Staff", 1, 1), Some(r"000\-00\-0000"));
        assert_eq!(padded.format("Staff", 1, 0), None);
        let r = shared()
            .classify_file(&ObjectFormat::Xlsx, &path, &SampleLimits::NONE)
            .unwrap();
        let ssn = finding(&r, "us_ssn");
        let cells: Vec<_> = ssn
            .locations
            .iter()
            .map(|l| l.cell.clone().unwrap())
            .collect();
        assert_eq!(cells, ["B2", "B3", "B4", "B5"], "{r:?}");
    }

    /// Text Word keeps but does not show in the body is read: a tracked deletion, a field
    /// code, a header, a footer, a footnote and a comment.
    #[test]
    fn docx_hidden_and_side_text_is_classified() {
        let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
        let part = |root: &str, body: &str| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{root} {w}>{body}</w:{root}>"#
            )
        };
        let p = |t: &str| format!("<w:p><w:r><w:t>{t}</w:t></w:r></w:p>");
        let document = part(
            "document",
            &format!(
                "<w:body>{}<w:p><w:del w:id=\"1\" w:author=\"a\"><w:r><w:delText>SSN 536-22-1234</w:delText></w:r></w:del></w:p>\
                 <w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> HYPERLINK \"mailto:jane.doe@mail.example.org\" </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>write to Jane</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:body>",
                p("Quarterly memo")
            ),
        );
        let path = temp("hidden.docx");
        fixtures::write_zip(
            &path,
            &[
                ("word/document.xml", document),
                (
                    "word/header1.xml",
                    part("hdr", &p("card 4539 5787 6362 1486")),
                ),
                (
                    "word/footer2.xml",
                    part("ftr", &p("IBAN DE44500105175407324931")),
                ),
                (
                    "word/footnotes.xml",
                    part(
                        "footnotes",
                        &format!(
                            "<w:footnote w:id=\"1\">{}</w:footnote>",
                            p("ssn: 212-45-8769")
                        ),
                    ),
                ),
                (
                    "word/comments.xml",
                    part(
                        "comments",
                        &format!(
                            "<w:comment w:id=\"0\">{}</w:comment>",
                            p("his email is john.roe@mail.example.org")
                        ),
                    ),
                ),
            ],
        );
        let r = shared()
            .classify_file(&ObjectFormat::Docx, &path, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        // Each location names its part and counts lines (paragraphs) in it.
        let lines = |id: &str| -> Vec<(String, u64)> {
            finding(&r, id)
                .locations
                .iter()
                .map(|l| (l.part.clone().unwrap_or_default(), l.line))
                .collect()
        };
        let at = |part: &str, line: u64| (part.to_string(), line);
        assert_eq!(
            lines("us_ssn"),
            [at("body", 2), at("footnotes", 1)],
            "the deletion, then the footnote"
        );
        assert_eq!(
            lines("email"),
            [at("body", 3), at("comments", 1)],
            "the field code, then the comment"
        );
        assert_eq!(lines("credit_card"), [at("header 1", 1)], "the header");
        assert_eq!(lines("iban"), [at("footer 2", 1)], "the footer");
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!(card.short(), "header 1 1:6");
        assert_eq!(part_label("word/footer10.xml"), "footer 10");
        assert_eq!(part_label("word/endnotes.xml"), "endnotes");
        assert_eq!(
            docx_extra_parts(
                [
                    "word/comments.xml",
                    "word/footer10.xml",
                    "word/footer2.xml",
                    "word/header1.xml",
                    "word/styles.xml",
                    "word/headerx.xml"
                ]
                .into_iter()
            ),
            [
                "word/header1.xml",
                "word/footer2.xml",
                "word/footer10.xml",
                "word/comments.xml"
            ]
        );
    }

    #[test]
    fn docx_text_is_classified_by_paragraph() {
        let path = temp("memo.docx");
        fixtures::docx(
            &path,
            &[
                "Quarterly memo",
                "Employee SSN: 536-22-8726 & co",
                "card 4539 5787 6362 1486",
            ],
        );
        let head = std::fs::read(&path).unwrap();
        let format = ObjectFormat::detect("memo.docx", &head[..4]);
        assert_eq!(format, ObjectFormat::Docx);
        let r = shared()
            .classify_file(&format, &path, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        let ssn = &finding(&r, "us_ssn").locations[0];
        assert_eq!((ssn.line, ssn.column), (2, 15));
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!(
            (card.line, card.column),
            (3, 6),
            "the value is split over two runs"
        );
        let clean = temp("clean.docx");
        fixtures::docx(
            &clean,
            &["Version 2.4.1 released on 2024-05-01.", "Order 100234."],
        );
        let r = shared()
            .classify_file(&format, &clean, &SampleLimits::NONE)
            .unwrap();
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        std::fs::write(&clean, b"PK\x03\x04 not a zip").unwrap();
        let r = shared()
            .classify_file(&format, &clean, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.reason, Some(SkipReason::Malformed));
    }
}
