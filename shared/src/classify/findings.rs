//! Findings: what was found in one object, per detector, with locations and masked
//! samples only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::detector::{Category, Confidence};
use super::mask::{mask, ValueHasher};

/// Where a value was found.
///
/// In text (and in the text of a Word document) `line`, `column` and `offset` place the
/// value itself. In structured formats the structured fields place it (`row` and
/// `column_name` for CSV, Parquet and spreadsheets, `json_path` for JSON, `sheet` and
/// `cell` for spreadsheets); `line` and `offset` are then those of the record's first byte
/// in the decompressed object (0 for Parquet and spreadsheets, which have no lines), and
/// `column` is the value's first byte within its field, from 1. Offsets, lengths and
/// columns count bytes of the text as read: decompressed, and for text decoded from UTF-16
/// or behind a UTF-8 byte-order mark, the UTF-8 text after the mark (see
/// [`ObjectReport::encoding`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Line number, from 1.
    pub line: u64,
    /// Column of the first byte, from 1, counted in bytes from the line start (the field
    /// start in structured formats).
    pub column: u64,
    /// Offset of the first byte in the (decompressed) object (the record's in structured
    /// formats).
    pub offset: u64,
    /// Length of the value in bytes.
    pub length: u64,
    /// Record number, from 1. In tables (CSV, Parquet, spreadsheets) it is the data row:
    /// the n-th row holding values after the header row, if any (blank lines are not
    /// rows; a spreadsheet counts per sheet, and its own row number is in `cell`). In
    /// JSON, the JSON line, or the top-level element of a JSON array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Column name: the CSV header or `column N`, the Parquet column path, the
    /// spreadsheet header or column letter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// JSON path of the value (`$.customer.cards[2].number`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Spreadsheet sheet name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Spreadsheet cell reference (`B7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The part of a container the value is in: in a Word document `body`, `header 1`,
    /// `footer 2`, `footnotes`, `endnotes` or `comments` (`line` then counts the part's
    /// paragraphs); in an e-mail message `headers`, `part 2`, `part 3 (invoice.csv)`,
    /// `part 4.1` (IMAP section numbers), the other fields then placing the value in the
    /// part's decoded body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl Location {
    /// A location in text.
    pub fn text(line: u64, column: u64, offset: u64, length: u64) -> Location {
        Location {
            line,
            column,
            offset,
            length,
            row: None,
            column_name: None,
            json_path: None,
            sheet: None,
            cell: None,
            part: None,
        }
    }

    /// A short readable form: `line:column` in text, else the structured fields
    /// (`Sheet1!B7`, `row 12 ssn`, `$.a.b`, `header 1 2:5` in a Word document's part).
    pub fn short(&self) -> String {
        if let Some(part) = &self.part {
            let inner = Location {
                part: None,
                ..self.clone()
            };
            return format!("{part} {}", inner.short());
        }
        if let (Some(sheet), Some(cell)) = (&self.sheet, &self.cell) {
            return format!("{sheet}!{cell}");
        }
        if let Some(path) = &self.json_path {
            return match self.row {
                Some(row) => format!("{row}:{path}"),
                None => path.clone(),
            };
        }
        match (self.row, &self.column_name) {
            (Some(row), Some(name)) => format!("{row}:{name}"),
            _ => format!("{}:{}", self.line, self.column),
        }
    }
}

/// A column (CSV, Parquet or spreadsheet column, or JSON path with array indexes as
/// `[*]`) labelled with a detector by Purview's column rule: enough distinct sampled
/// values, and a large enough share of the non-empty sampled values matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnLabel {
    /// The column name or JSON path; for spreadsheets `sheet!name`.
    pub column: String,
    /// Detector id.
    pub detector: String,
    /// Its category.
    pub category: Category,
    /// Non-empty values sampled in the column.
    pub sampled: u64,
    /// Sampled values in which the detector found a value.
    pub matched: u64,
    /// Distinct sampled values, counted up to 1,000 (or the rule's minimum, if higher).
    pub distinct: u64,
    /// Whether counting stopped at that cap: the column has at least `distinct` values.
    pub distinct_capped: bool,
}

/// A masked value and its keyed digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The value with all but at most two leading and two trailing characters replaced.
    pub masked: String,
    /// Hex HMAC-SHA256 of the value under the run's key: equal values, equal digests.
    pub hmac: String,
}

/// All matches of one detector in one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Detector id.
    pub detector: String,
    /// Its category.
    pub category: Category,
    /// The highest confidence among the matches.
    pub confidence: Confidence,
    /// Number of matches (all of them, beyond the locations kept).
    pub count: u64,
    /// The first locations, in order, up to the configured limit.
    pub locations: Vec<Location>,
    /// Distinct masked samples, up to the configured limit.
    pub samples: Vec<Sample>,
}

/// Whether an object was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectStatus {
    /// Read to the end.
    Complete,
    /// Read up to a sampling limit (bytes or rows): findings cover what was read.
    Partial,
    /// Not classified; see the reason.
    Skipped,
}

/// Why an object was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Binary content the text detectors cannot read, or a format that is not read.
    UnsupportedType,
    /// The content is not what its format says (a corrupt Parquet footer, a workbook
    /// that is not a zip).
    Malformed,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::UnsupportedType => "unsupported type",
            SkipReason::Malformed => "malformed",
        })
    }
}

/// The classification of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    /// Complete, partial or skipped.
    pub status: ObjectStatus,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    /// What was skipped or went wrong, in words (`pdf`, the parser's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The character encoding the text was decoded from, when it was not read byte for
    /// byte: `UTF-16LE` or `UTF-16BE` (transcoded to UTF-8; found by the byte-order mark,
    /// or without one when nearly every code unit is ASCII), `UTF-8 BOM` (a UTF-8
    /// byte-order mark skipped). Offsets, lengths, columns and `bytes` then count bytes
    /// of the decoded UTF-8 text, not of the stored object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// The format it was read as (`text`, `csv`, `json_lines`, `json`, `parquet`, `xlsx`,
    /// `docx`, `unsupported`).
    pub format: &'static str,
    /// Decompressed bytes read (for Parquet and spreadsheets: bytes of cell text).
    pub bytes: u64,
    /// Records read, for formats that have them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Findings, ordered by detector id.
    pub findings: Vec<Finding>,
    /// Columns labelled by the column rule, in column order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnLabel>,
}

impl ObjectReport {
    /// Whether the object could not be read, or not in full (malformed for its format),
    /// as opposed to read in full, cut at a sampling limit, or left out as a type no
    /// detector reads.
    pub fn is_unread(&self) -> bool {
        self.status != ObjectStatus::Complete && self.reason == Some(SkipReason::Malformed)
    }

    /// A skipped object.
    pub fn skipped(reason: SkipReason, detail: Option<String>, format: &'static str) -> Self {
        ObjectReport {
            status: ObjectStatus::Skipped,
            reason: Some(reason),
            detail,
            encoding: None,
            format,
            bytes: 0,
            rows: None,
            findings: Vec::new(),
            columns: Vec::new(),
        }
    }
}

/// Collects matches into findings as the engine reports them.
pub(crate) struct FindingsBuilder<'h> {
    by_detector: BTreeMap<String, Finding>,
    hasher: &'h ValueHasher,
    max_locations: usize,
    max_samples: usize,
}

impl<'h> FindingsBuilder<'h> {
    pub fn new(hasher: &'h ValueHasher, max_locations: usize, max_samples: usize) -> Self {
        FindingsBuilder {
            by_detector: BTreeMap::new(),
            hasher,
            max_locations,
            max_samples,
        }
    }

    /// Records one match. `normalized` is what the digest is taken over (separators
    /// removed for numbers, so `4539 5787...` and `4539-5787...` correlate).
    pub fn add(
        &mut self,
        detector: &str,
        category: Category,
        confidence: Confidence,
        location: Location,
        value: &[u8],
        normalized: &[u8],
    ) {
        let f = self
            .by_detector
            .entry(detector.to_string())
            .or_insert_with(|| Finding {
                detector: detector.to_string(),
                category,
                confidence,
                count: 0,
                locations: Vec::new(),
                samples: Vec::new(),
            });
        f.count += 1;
        f.confidence = f.confidence.max(confidence);
        if f.locations.len() < self.max_locations {
            f.locations.push(location);
        }
        if f.samples.len() < self.max_samples {
            let hmac = self.hasher.digest(normalized);
            if !f.samples.iter().any(|s| s.hmac == hmac) {
                f.samples.push(Sample {
                    masked: mask(&String::from_utf8_lossy(value)),
                    hmac,
                });
            }
        }
    }

    pub fn finish(self) -> Vec<Finding> {
        self.by_detector.into_values().collect()
    }
}
