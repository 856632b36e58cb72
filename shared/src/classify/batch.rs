//! Structured values through the single pass: readers (CSV, JSON, Parquet, spreadsheets)
//! hand values with their place to an [`ObjectScan`], which packs them into a batch of
//! text (one value per line), runs the pass over each full batch, places every match by
//! its field, and keeps per-column counts for Purview's column rule.

use std::cell::Cell;
use std::hash::BuildHasher;
use std::ops::Range;

use super::detector::Category;
use super::engine::Classifier;
use super::findings::{ColumnLabel, FindingsBuilder, Location, ObjectReport, ObjectStatus};
use super::mask::mask;
use super::padding::Padding;

/// Where a structured value sits, besides its column.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place<'a> {
    /// Record number, from 1.
    pub row: Option<u64>,
    /// Line of the record's first byte (0 where the format has no lines).
    pub line: u64,
    /// Offset of the record's first byte in the decompressed object.
    pub offset: u64,
    /// Exact JSON path.
    pub json_path: Option<&'a str>,
    /// Spreadsheet cell reference.
    pub cell: Option<&'a str>,
}

/// A [`Place`] as a batch keeps it: its names are ranges of the batch's `names`, so
/// adding a value allocates nothing of its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kept {
    row: Option<u64>,
    line: u64,
    offset: u64,
    json_path: Option<Range<usize>>,
    cell: Option<Range<usize>>,
}

/// One value in a batch.
pub(crate) struct Field {
    /// Its bytes in the batch text.
    pub span: Range<usize>,
    /// Its record's bytes in the batch text: keywords count only inside it.
    pub record: Range<usize>,
    /// Index in [`Columns`].
    pub column: usize,
    /// Number of the value in the object, so a value counts once per detector.
    pub serial: u64,
    pub place: Kept,
}

/// Values packed as lines of text, with their fields in order.
#[derive(Default)]
pub(crate) struct Batch {
    pub text: Vec<u8>,
    pub fields: Vec<Field>,
    /// `fields[i].span.start` for each field, packed so lookups touch few cache lines.
    starts: Vec<usize>,
    /// The JSON paths and cell references of the fields, one after another.
    names: String,
    /// Whether a value holds a line break (a quoted CSV cell): the pass then joins a
    /// number wrapped inside a value, which it never does across fields.
    pub breaks: bool,
    /// First field and first byte of the record being added.
    record_field: usize,
    record_start: usize,
}

impl Batch {
    /// The field holding batch offset `at` (the last one starting at or before it).
    /// `hint` is the answer of an earlier lookup: the pass asks in increasing order, so
    /// the search gallops forward from it instead of bisecting the whole batch (whose
    /// fields are too many to stay in cache).
    pub fn field_at(&self, at: usize, hint: &Cell<usize>) -> usize {
        let starts = &self.starts;
        let starts_at_or_before = |i: usize| starts[i] <= at;
        let n = starts.len();
        let from = hint.get().min(n.saturating_sub(1));
        let found = if n == 0 || !starts_at_or_before(from) {
            starts[..from]
                .partition_point(|&s| s <= at)
                .saturating_sub(1)
        } else {
            // Gallop: the last field starting at or before `at` lies in [lo, hi).
            let mut lo = from;
            let mut step = 1;
            while lo + step < n && starts_at_or_before(lo + step) {
                lo += step;
                step *= 2;
            }
            let hi = (lo + step).min(n);
            lo + starts[lo..hi]
                .partition_point(|&s| s <= at)
                .saturating_sub(1)
        };
        hint.set(found);
        found
    }

    /// The location of a match `span` (batch offsets) inside field `i`.
    pub fn location(&self, i: usize, span: &Range<usize>, columns: &Columns) -> Location {
        let f = &self.fields[i];
        let column = &columns.columns[f.column];
        let name = |r: &Option<Range<usize>>| r.clone().map(|r| self.names[r].to_string());
        Location {
            line: f.place.line,
            column: (span.start.saturating_sub(f.span.start) + 1) as u64,
            offset: f.place.offset,
            length: span.len() as u64,
            row: f.place.row,
            column_name: column.shown_name.clone(),
            json_path: name(&f.place.json_path),
            sheet: column.sheet.clone(),
            cell: name(&f.place.cell),
            part: None,
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.starts.clear();
        self.names.clear();
        self.record_field = 0;
        self.record_start = 0;
        self.breaks = false;
    }
}

/// Batch text run through the pass at once, at most. A batch's fields take about ten
/// times its text (a CSV cell is a few bytes, its field over a hundred); a batch of the
/// text windows' 1 MiB had its fields spill out of the caches on their way to the pass.
const MAX_BATCH_BYTES: usize = 128 * 1024;

/// Most distinct values counted per column (or the rule's minimum, if higher): labels
/// report the count, and a column with more shows this many, marked as capped.
pub(crate) const DISTINCT_COUNTED: usize = 1000;

/// Hashes values for the distinct count (fixed, so counts do not vary between runs).
const DISTINCT: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0);

/// One column (or normalised JSON path) and its counts.
struct Column {
    /// Key in the report (`name`, `sheet!name`, `$.a[*].b`).
    key: String,
    /// Shown as the location's `column_name` (not for JSON paths, which have their own).
    shown_name: Option<String>,
    sheet: Option<String>,
    /// Entries whose keywords are in the name.
    keyword_entries: Vec<usize>,
    /// `name=` when the name says secret: written before each value in the batch text.
    assignment: Option<Vec<u8>>,
    /// When the name is a keyword of a zero-padded identifier (`ssn`): short digit runs
    /// are read with their leading zeros put back.
    padding: Option<Padding>,
    sampled: u64,
    /// Hashes of distinct values, up to [`DISTINCT_COUNTED`] (or the rule's minimum).
    distinct: foldhash::HashSet<u64>,
    /// Per entry: values matched, and the serial of the last value counted.
    matched: foldhash::HashMap<usize, (u64, u64)>,
}

/// The columns of one object.
#[derive(Default)]
pub(crate) struct Columns {
    columns: Vec<Column>,
    index: foldhash::HashMap<String, usize>,
}

impl Columns {
    /// Whether the column's name carries a keyword of `entry`.
    pub fn has_keyword(&self, column: usize, entry: usize) -> bool {
        self.columns[column].keyword_entries.contains(&entry)
    }

    /// The column's name as the report shows it (masked when it is itself data).
    pub fn name(&self, column: usize) -> &str {
        &self.columns[column].key
    }

    /// Whether the column's name says its values are secrets (`password`, `client_secret`).
    pub fn names_secret(&self, column: usize) -> bool {
        self.columns[column].assignment.is_some()
    }

    /// Counts a match of `entry` in value `serial` of `column` (once per value).
    pub fn matched(&mut self, column: usize, entry: usize, serial: u64) {
        let m = self.columns[column]
            .matched
            .entry(entry)
            .or_insert((0, u64::MAX));
        if m.1 != serial {
            m.0 += 1;
            m.1 = serial;
        }
    }
}

/// Classification of one structured object in progress.
pub(crate) struct ObjectScan<'c> {
    classifier: &'c Classifier,
    findings: FindingsBuilder<'c>,
    batch: Batch,
    columns: Columns,
    serial: u64,
    flush_at: usize,
    distinct_counted: usize,
    /// Value bytes added.
    pub bytes: u64,
    /// Records ended.
    pub rows: u64,
}

impl<'c> ObjectScan<'c> {
    /// Whether a detector reports a value in `text` (a JSON key or column name that is
    /// itself data, such as a map keyed by email address): such names are masked wherever
    /// a location would show them.
    pub fn is_sensitive_name(&self, text: &str) -> bool {
        self.classifier.finds_any(text.as_bytes())
    }

    pub fn new(classifier: &'c Classifier) -> Self {
        let config = classifier.config();
        ObjectScan {
            classifier,
            findings: classifier.findings_builder(),
            batch: Batch::default(),
            columns: Columns::default(),
            serial: 0,
            flush_at: config.chunk_bytes.clamp(1024, MAX_BATCH_BYTES),
            distinct_counted: usize::try_from(config.column_min_distinct)
                .unwrap_or(usize::MAX)
                .max(DISTINCT_COUNTED),
            bytes: 0,
            rows: 0,
        }
    }

    /// The index of a column, added on first use. `key` identifies it in the report;
    /// `shown` is the name locations carry; keywords are looked up in `words`: the name,
    /// and on further lines names around it (a JSON key's parent key).
    pub fn column(
        &mut self,
        key: &str,
        shown: Option<&str>,
        sheet: Option<&str>,
        words: &str,
    ) -> usize {
        if let Some(&i) = self.columns.index.get(key) {
            return i;
        }
        let i = self.columns.columns.len();
        let keyword_entries = self.classifier.keyword_entries(words);
        let padding = Padding::for_detectors(
            keyword_entries
                .iter()
                .map(|&e| self.classifier.entry_info(e).0),
        );
        // A name that is itself data (a first row of values taken for a header, a column
        // named by a value) is kept only masked: labels and locations show it.
        let safe = |name: &str| {
            if self.is_sensitive_name(name) {
                mask(name)
            } else {
                name.to_string()
            }
        };
        self.columns.columns.push(Column {
            key: safe(key),
            shown_name: shown.map(safe),
            sheet: sheet.map(str::to_string),
            keyword_entries,
            padding,
            assignment: super::credentials::secret_assignment_name(
                words.lines().next().unwrap_or_default(),
            )
            .map(|mut n| {
                n.push('=');
                n.into_bytes()
            }),
            sampled: 0,
            distinct: foldhash::HashSet::default(),
            matched: foldhash::HashMap::default(),
        });
        self.columns.index.insert(key.to_string(), i);
        i
    }

    /// Notes that a value of the current batch holds a line break (readers call this only
    /// where one can be: a quoted CSV field).
    pub fn value_breaks_line(&mut self) {
        self.batch.breaks = true;
    }

    /// Adds one value of the current record. Empty values count for nothing. A number
    /// under a column named for a zero-padded identifier is read with its zeros
    /// ([`Padding`]): `71124423` under `ssn` is the SSN `071124423`.
    pub fn value(&mut self, column: usize, value: &[u8], place: Place<'_>) {
        let trimmed = value.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        self.bytes += value.len() as u64;
        let padded = self.columns.columns[column]
            .padding
            .and_then(|p| p.pad(trimmed));
        let value = padded.as_deref().unwrap_or(value);
        let trimmed = padded.as_deref().unwrap_or(trimmed);
        let c = &mut self.columns.columns[column];
        c.sampled += 1;
        if c.distinct.len() < self.distinct_counted {
            c.distinct.insert(DISTINCT.hash_one(trimmed));
        }
        let names = &mut self.batch.names;
        let mut keep = |name: Option<&str>| {
            name.map(|n| {
                let start = names.len();
                names.push_str(n);
                start..names.len()
            })
        };
        let place = Kept {
            row: place.row,
            line: place.line,
            offset: place.offset,
            json_path: keep(place.json_path),
            cell: keep(place.cell),
        };
        if let Some(name) = &c.assignment {
            // Outside the field: matches are placed by their value, which is inside it.
            self.batch.text.extend_from_slice(name);
        }
        let start = self.batch.text.len();
        self.batch.starts.push(start);
        self.batch.text.extend_from_slice(value);
        self.batch.fields.push(Field {
            span: start..self.batch.text.len(),
            record: 0..0,
            column,
            serial: self.serial,
            place,
        });
        self.batch.text.push(b'\n');
        self.serial += 1;
    }

    /// A point to [`ObjectScan::rollback`] to: the values added so far.
    pub fn mark(&self) -> (usize, usize) {
        (self.batch.text.len(), self.batch.fields.len())
    }

    /// Drops the values added since `mark` from the batch (a line that turned out not to
    /// be JSON, to be classified as text instead). Column counts are kept.
    pub fn rollback(&mut self, mark: (usize, usize)) {
        if mark.1 <= self.batch.fields.len() && mark.0 <= self.batch.text.len() {
            self.batch.text.truncate(mark.0);
            self.batch.fields.truncate(mark.1);
            self.batch.starts.truncate(mark.1);
        }
    }

    /// Ends the current record: its values' keyword bounds are set, and the batch is run
    /// through the pass once it is full.
    pub fn end_record(&mut self) {
        let record = self.batch.record_start..self.batch.text.len();
        for f in &mut self.batch.fields[self.batch.record_field..] {
            f.record = record.clone();
        }
        self.batch.record_field = self.batch.fields.len();
        self.batch.record_start = self.batch.text.len();
        self.rows += 1;
        if self.batch.text.len() >= self.flush_at {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.record_field < self.batch.fields.len() {
            // Values of an unfinished record (a cut document): close it first.
            let record = self.batch.record_start..self.batch.text.len();
            for f in &mut self.batch.fields[self.batch.record_field..] {
                f.record = record.clone();
            }
        }
        if !self.batch.fields.is_empty() {
            self.classifier
                .scan_batch(&self.batch, &mut self.columns, &mut self.findings);
        }
        self.batch.clear();
    }

    /// Runs what is left and builds the report, labelling columns by the rule.
    pub fn finish(mut self, status: ObjectStatus, format: &'static str) -> ObjectReport {
        self.flush();
        let config = self.classifier.config();
        let mut labels = Vec::new();
        for c in &self.columns.columns {
            if c.sampled == 0 || (c.distinct.len() as u64) < config.column_min_distinct {
                continue;
            }
            let mut matched: Vec<(&usize, &(u64, u64))> = c.matched.iter().collect();
            matched.sort_by_key(|(e, (n, _))| (std::cmp::Reverse(*n), **e));
            for (&entry, &(n, _)) in matched {
                if (n as f64) >= config.column_min_share * c.sampled as f64 {
                    let (id, category): (&str, Category) = self.classifier.entry_info(entry);
                    labels.push(ColumnLabel {
                        column: c.key.clone(),
                        detector: id.to_string(),
                        category,
                        sampled: c.sampled,
                        matched: n,
                        distinct: c.distinct.len() as u64,
                        distinct_capped: c.distinct.len() >= self.distinct_counted,
                    });
                }
            }
        }
        let findings = self.findings.finish();
        tracing::debug!(
            format,
            rows = self.rows,
            findings = findings.len(),
            columns = labels.len(),
            "object classified"
        );
        ObjectReport {
            status,
            reason: None,
            detail: None,
            encoding: None,
            format,
            bytes: self.bytes,
            rows: Some(self.rows),
            findings,
            columns: labels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The galloping lookup gives the bisection's answer from any hint, in any order.
    #[test]
    fn field_at_from_any_hint_is_the_last_field_starting_at_or_before() {
        let mut batch = Batch::default();
        let mut at = 0;
        for len in [1usize, 5, 2, 9, 1, 1, 30, 4, 7, 3] {
            batch.starts.push(at);
            batch.fields.push(Field {
                span: at..at + len,
                record: 0..0,
                column: 0,
                serial: 0,
                place: Kept::default(),
            });
            at += len + 1;
        }
        let bisect = |at: usize| {
            batch
                .fields
                .partition_point(|f| f.span.start <= at)
                .saturating_sub(1)
        };
        for hint in 0..=batch.fields.len() + 2 {
            for at in 0..at + 3 {
                let cell = Cell::new(hint);
                assert_eq!(batch.field_at(at, &cell), bisect(at), "at {at} hint {hint}");
                assert_eq!(cell.get(), bisect(at));
            }
        }
    }
}
