//! Excel number formats that pad whole numbers (Excel's Special formats: Social Security
//! Number `000-00-0000`, Zip Code `00000`): which cells of a workbook have one, read from
//! the workbook's parts, since calamine gives a cell's value but not its format.

use std::io::{self, BufReader, Read};

use quick_xml::events::Event;

/// Most cells with a padding number format remembered per workbook.
const MAX_PADDED_CELLS: usize = 1 << 20;

/// The cells of a workbook whose number format pads whole numbers (Excel's Special
/// formats: Social Security Number `000-00-0000`, Zip Code `00000`...), so a numeric
/// cell is read as Excel shows it, leading zeros included. Read from `xl/styles.xml`
/// (`numFmts`, `cellXfs`), the workbook's sheet parts and each cell's style (`s`).
#[derive(Default)]
pub(crate) struct PaddedCells {
    /// Format codes that pad.
    codes: Vec<String>,
    /// Per sheet name, per (row, column) from 0: index in `codes`.
    cells: std::collections::HashMap<String, std::collections::HashMap<(u32, u32), usize>>,
}

impl PaddedCells {
    /// Reads what it can; a part that is missing or unreadable adds nothing.
    pub fn read<R: Read + io::Seek>(zip: &mut zip::ZipArchive<R>) -> PaddedCells {
        let mut out = PaddedCells::default();
        let Some(styles) = part_xml(zip, "xl/styles.xml") else {
            return out;
        };
        // numFmtId -> code, for the custom formats that pad.
        let mut formats: Vec<(String, String)> = Vec::new();
        // Style index -> index in `codes`.
        let mut styles_padded: std::collections::HashMap<usize, usize> = Default::default();
        let mut in_xfs = false;
        let mut xf = 0usize;
        for_each_element(&styles[..], |name, attrs, start| match name {
            b"numFmt" => {
                if let (Some(id), Some(code)) =
                    (attr(attrs, b"numFmtId"), attr(attrs, b"formatCode"))
                {
                    if super::padding::format_whole_number(&code, "1").is_some() {
                        formats.push((id, code));
                    }
                }
            }
            b"cellXfs" => in_xfs = start,
            b"xf" if in_xfs && start => {
                let id = attr(attrs, b"numFmtId").unwrap_or_default();
                if let Some((_, code)) = formats.iter().find(|(i, _)| *i == id) {
                    let at = out.codes.iter().position(|c| c == code).unwrap_or_else(|| {
                        out.codes.push(code.clone());
                        out.codes.len() - 1
                    });
                    styles_padded.insert(xf, at);
                }
                xf += 1;
            }
            _ => {}
        });
        if styles_padded.is_empty() {
            return out;
        }
        let sheets = sheet_parts(zip);
        let mut total = 0;
        for (sheet, part) in sheets {
            // Sheets can be large: streamed, not read whole.
            let Ok(xml) = zip.by_name(&part) else {
                continue;
            };
            let mut cells = std::collections::HashMap::new();
            for_each_element(BufReader::new(xml), |name, attrs, start| {
                if name != b"c" || !start || total >= MAX_PADDED_CELLS {
                    return;
                }
                let style = attr(attrs, b"s").and_then(|s| s.parse::<usize>().ok());
                let Some(&code) = style.and_then(|s| styles_padded.get(&s)) else {
                    return;
                };
                if let Some(at) = attr(attrs, b"r").as_deref().and_then(parse_cell_ref) {
                    cells.insert(at, code);
                    total += 1;
                }
            });
            out.cells.insert(sheet, cells);
        }
        out
    }

    /// The padding format of a cell, if it has one.
    pub fn format(&self, sheet: &str, row: u32, col: u32) -> Option<&str> {
        let i = *self.cells.get(sheet)?.get(&(row, col))?;
        self.codes.get(i).map(String::as_str)
    }
}

/// A small part of a workbook (styles, workbook, relationships), whole; one larger than
/// [`MAX_XLSX_STYLE_PART_BYTES`] reads as missing.
fn part_xml<R: Read + io::Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Option<Vec<u8>> {
    let part = zip.by_name(name).ok()?;
    let mut xml = Vec::new();
    part.take(MAX_XLSX_STYLE_PART_BYTES + 1)
        .read_to_end(&mut xml)
        .ok()?;
    (xml.len() as u64 <= MAX_XLSX_STYLE_PART_BYTES).then_some(xml)
}

/// Largest styles, workbook or relationships part read (uncompressed).
const MAX_XLSX_STYLE_PART_BYTES: u64 = 64 << 20;

/// Calls `f(local name, attributes, is start)` for each element start and end of the XML
/// streamed from `xml`, stopping at the first XML error.
fn for_each_element<X: io::BufRead>(
    xml: X,
    mut f: impl FnMut(&[u8], &quick_xml::events::BytesStart<'_>, bool),
) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => f(e.local_name().as_ref(), &e, true),
            Ok(Event::Empty(e)) => {
                f(e.local_name().as_ref(), &e, true);
                f(e.local_name().as_ref(), &e, false);
            }
            Ok(Event::End(e)) => {
                let empty = quick_xml::events::BytesStart::new("");
                f(e.local_name().as_ref(), &empty, false);
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// An attribute's value by local name, unescaped.
fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            let raw = std::str::from_utf8(&a.value).ok()?;
            quick_xml::escape::unescape(raw)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Each sheet's name and part (`xl/worksheets/sheet1.xml`), from `xl/workbook.xml` and
/// its relationships.
fn sheet_parts<R: Read + io::Seek>(zip: &mut zip::ZipArchive<R>) -> Vec<(String, String)> {
    let (Some(book), Some(rels)) = (
        part_xml(zip, "xl/workbook.xml"),
        part_xml(zip, "xl/_rels/workbook.xml.rels"),
    ) else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    for_each_element(&rels[..], |name, attrs, start| {
        if name == b"Relationship" && start {
            if let (Some(id), Some(target)) = (attr(attrs, b"Id"), attr(attrs, b"Target")) {
                let part = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                };
                targets.push((id, part));
            }
        }
    });
    let mut out = Vec::new();
    for_each_element(&book[..], |name, attrs, start| {
        if name == b"sheet" && start {
            if let (Some(sheet), Some(id)) = (attr(attrs, b"name"), attr(attrs, b"id")) {
                if let Some((_, part)) = targets.iter().find(|(i, _)| *i == id) {
                    out.push((sheet, part.clone()));
                }
            }
        }
    });
    out
}

/// `B7` as zero-based (row 6, column 1).
fn parse_cell_ref(r: &str) -> Option<(u32, u32)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col * 26 + u32::from(b - b'A' + 1);
    }
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}
