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
    cell: Option<Range<usize>>,
}

/// One value in a batch: 24 bytes, what the pass needs of it. Its start is in
/// [`Batch::starts`]; what it shares with the other values of
/// its record (the record's bytes, and its place: row, line, offset, cell) is stored once,
/// by index.
pub(crate) struct Field {
    /// Index in [`Columns`].
    column: usize,
    /// Index of its place in [`Batch::places`].
    place: u32,
    /// Index of its record in [`Batch::records`].
    record: u32,
    /// Its JSON path: a range of [`Batch::names`], empty without one (a path is never
    /// empty).
    json_path: (u32, u32),
}

/// Values packed as lines of text, with their fields in order.
#[derive(Default)]
pub(crate) struct Batch {
    pub text: Vec<u8>,
    fields: Vec<Field>,
    /// The start of each field's bytes in the batch text, packed so lookups touch few
    /// cache lines.
    starts: Vec<usize>,
    /// Each record's bytes in the batch text: keywords count only inside it. The record
    /// being added has none yet.
    records: Vec<Range<usize>>,
    /// Places of the fields; consecutive fields at one place (a record's) share one.
    places: Vec<Kept>,
    /// The JSON paths of the fields and the cell references of the places, one after
    /// another.
    names: String,
    /// Number of the batch's first value in the object: a value's number (its serial)
    /// makes it count once per detector.
    first_serial: u64,
    /// Whether a value holds a line break (a quoted CSV cell): the pass then joins a
    /// number wrapped inside a value, which it never does across fields.
    pub breaks: bool,
    /// First byte of the record being added.
    record_start: usize,
}

/// A point of a batch to roll back to ([`ObjectScan::mark`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    text: usize,
    fields: usize,
    places: usize,
    names: usize,
    records: usize,
    record_start: usize,
}

impl Batch {
    /// Field `i`'s column.
    pub fn column(&self, i: usize) -> usize {
        self.fields[i].column
    }

    /// The bytes of field `i`'s record in the batch text.
    pub fn record(&self, i: usize) -> Range<usize> {
        let r = self.fields[i].record as usize;
        match self.records.get(r) {
            Some(range) => range.clone(),
            // Not ended yet (the pass runs on ended records only; kept total).
            None => self.record_start..self.text.len(),
        }
    }

    /// The number of field `i` in the object: each value has its own.
    pub fn serial(&self, i: usize) -> u64 {
        self.first_serial + i as u64
    }

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
        let place = &self.places[f.place as usize];
        let column = &columns.columns[f.column];
        let name = |r: Option<Range<usize>>| {
            r.and_then(|r| self.names.get(r))
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        };
        let (from, to) = f.json_path;
        Location {
            line: place.line,
            column: (span.start.saturating_sub(self.starts[i]) + 1) as u64,
            offset: place.offset,
            length: span.len() as u64,
            row: place.row,
            column_name: column.shown_name.clone(),
            json_path: name(Some(from as usize..to as usize)),
            sheet: column.sheet.clone(),
            cell: name(place.cell.clone()),
            part: None,
        }
    }

    /// Adds the place of the next field (but its JSON path), or reuses the last one when
    /// it is the same (no cell), and returns its index.
    fn place(&mut self, place: &Place<'_>) -> u32 {
        if place.cell.is_none() {
            if let Some(last) = self.places.last() {
                if last.cell.is_none()
                    && last.row == place.row
                    && last.line == place.line
                    && last.offset == place.offset
                {
                    return index32(self.places.len() - 1);
                }
            }
        }
        let names = &mut self.names;
        let mut keep = |name: Option<&str>| {
            name.map(|n| {
                let start = names.len();
                names.push_str(n);
                start..names.len()
            })
        };
        let kept = Kept {
            row: place.row,
            line: place.line,
            offset: place.offset,
            cell: keep(place.cell),
        };
        self.places.push(kept);
        index32(self.places.len() - 1)
    }

    /// Keeps the next field's JSON path, if any.
    fn json_path(&mut self, path: Option<&str>) -> (u32, u32) {
        match path {
            Some(p) => {
                let start = index32(self.names.len());
                self.names.push_str(p);
                (start, index32(self.names.len()))
            }
            None => (0, 0),
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            text: self.text.len(),
            fields: self.fields.len(),
            places: self.places.len(),
            names: self.names.len(),
            records: self.records.len(),
            record_start: self.record_start,
        }
    }

    fn rollback(&mut self, mark: Mark) {
        if mark.fields <= self.fields.len()
            && mark.text <= self.text.len()
            && mark.places <= self.places.len()
            && mark.names <= self.names.len()
            && mark.records <= self.records.len()
        {
            self.text.truncate(mark.text);
            self.fields.truncate(mark.fields);
            self.starts.truncate(mark.fields);
            self.places.truncate(mark.places);
            self.names.truncate(mark.names);
            self.records.truncate(mark.records);
            self.record_start = mark.record_start;
        }
    }

    /// Ends the record being added.
    fn end_record(&mut self) {
        self.records.push(self.record_start..self.text.len());
        self.record_start = self.text.len();
    }

    /// Empties the batch after a pass; the next value's serial follows the last one's.
    fn clear(&mut self) {
        self.first_serial += self.fields.len() as u64;
        self.text.clear();
        self.fields.clear();
        self.starts.clear();
        self.records.clear();
        self.places.clear();
        self.names.clear();
        self.record_start = 0;
        self.breaks = false;
    }
}

/// An index into a batch's lists as stored: a batch holds far fewer than 2^32 of
/// anything (it is run once its text passes [`MAX_BATCH_BYTES`], and each value takes a
/// byte of text at least).
fn index32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Batch text run through the pass at once, at most. A batch's fields and their starts
/// take about three times its text in the CSV of the bench (a cell is a few bytes, its field
/// and start 32); a batch of the text windows' 1 MiB had its fields (then 128 bytes each)
/// spill out of the caches on their way to the pass.
const MAX_BATCH_BYTES: usize = 128 * 1024;

/// Most distinct values counted per column (or the rule's minimum, if higher): labels
/// report the count, and a column with more shows this many, marked as capped.
pub(crate) const DISTINCT_COUNTED: usize = 1000;

/// Hashes values for the distinct count (fixed, so counts do not vary between runs).
const DISTINCT: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0);

/// The distinct values' hashes. They are hashes already, so the set takes them as they
/// are instead of hashing them again.
type Hashes = std::collections::HashSet<u64, std::hash::BuildHasherDefault<Prehashed>>;

/// A hasher of values that are hashes: a `u64` is its own hash.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; kept total.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

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
    distinct: Hashes,
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
            distinct: Hashes::default(),
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
        let json_path = self.batch.json_path(place.json_path);
        let place = self.batch.place(&place);
        if let Some(name) = &c.assignment {
            // Outside the field: matches are placed by their value, which is inside it.
            self.batch.text.extend_from_slice(name);
        }
        let start = self.batch.text.len();
        self.batch.starts.push(start);
        self.batch.text.extend_from_slice(value);
        self.batch.fields.push(Field {
            column,
            place,
            record: index32(self.batch.records.len()),
            json_path,
        });
        self.batch.text.push(b'\n');
    }

    /// A point to [`ObjectScan::rollback`] to: the values added so far.
    pub fn mark(&self) -> Mark {
        self.batch.mark()
    }

    /// Drops the values added since `mark` from the batch (a line that turned out not to
    /// be JSON, to be classified as text instead). Column counts are kept.
    pub fn rollback(&mut self, mark: Mark) {
        self.batch.rollback(mark);
    }

    /// Ends the current record: its values' keyword bounds are set, and the batch is run
    /// through the pass once it is full.
    pub fn end_record(&mut self) {
        self.batch.end_record();
        self.rows += 1;
        if self.batch.text.len() >= self.flush_at {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self
            .batch
            .fields
            .last()
            .is_some_and(|f| f.record as usize == self.batch.records.len())
        {
            // Values of an unfinished record (a cut document): close it first.
            self.batch.end_record();
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
                column: 0,
                place: 0,
                record: 0,
                json_path: (0, 0),
            });
            at += len + 1;
        }
        let bisect = |at: usize| batch.starts.partition_point(|&s| s <= at).saturating_sub(1);
        for hint in 0..=batch.fields.len() + 2 {
            for at in 0..at + 3 {
                let cell = Cell::new(hint);
                assert_eq!(batch.field_at(at, &cell), bisect(at), "at {at} hint {hint}");
                assert_eq!(cell.get(), bisect(at));
            }
        }
    }

    /// A value as the batch kept it before fields were slimmed (each with its own copy
    /// of its place, record and serial): the model the batch is checked against.
    #[derive(Clone)]
    struct Whole {
        start: usize,
        record: Option<Range<usize>>,
        row: Option<u64>,
        line: u64,
        offset: u64,
        json_path: Option<String>,
        cell: Option<String>,
    }

    /// On random sequences of values (empty ones, repeated places, paths and cells),
    /// record ends and rollbacks, every field gives the place, record and bytes the old
    /// per-field copies gave, and serials stay distinct and in order. (A rollback undoes
    /// everything since its mark, record ends too.)
    #[test]
    fn slim_fields_give_what_per_field_copies_gave() {
        let classifier = crate::classify::tests::shared();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..300 {
            let mut scan = ObjectScan::new(classifier);
            let column = scan.column("c", Some("c"), None, "c");
            let mut model: Vec<Whole> = Vec::new();
            let mut text_len = 0usize;
            let mut record_start = 0usize;
            let mut marks: Vec<(Mark, Vec<Whole>, usize, usize)> = Vec::new();
            let mut row = 0u64;
            for _ in 0..next(60) {
                match next(10) {
                    0 => {
                        for w in model.iter_mut().filter(|w| w.record.is_none()) {
                            w.record = Some(record_start..text_len);
                        }
                        record_start = text_len;
                        scan.batch.end_record();
                        row += 1;
                    }
                    1 => marks.push((scan.mark(), model.clone(), text_len, record_start)),
                    2 => {
                        if let Some((mark, fields, text, start)) = marks.pop() {
                            scan.rollback(mark);
                            model = fields;
                            text_len = text;
                            record_start = start;
                            marks.clear();
                        }
                    }
                    _ => {
                        let value = ["", " ", "ab", " x y ", "12"][next(5) as usize];
                        let path = ["$.a", "$.b[3].c", "$[\"k y\"]"][next(3) as usize];
                        let place = Place {
                            row: (next(4) > 0).then_some(row),
                            line: row + next(2),
                            offset: next(3) * 100,
                            json_path: (next(3) == 0).then_some(path),
                            cell: (next(5) == 0).then_some("B7"),
                        };
                        scan.value(column, value.as_bytes(), place);
                        if value.trim().is_empty() {
                            continue;
                        }
                        model.push(Whole {
                            start: text_len,
                            record: None,
                            row: place.row,
                            line: place.line,
                            offset: place.offset,
                            json_path: place.json_path.map(str::to_string),
                            cell: place.cell.map(str::to_string),
                        });
                        text_len += value.len() + 1;
                    }
                }
            }
            let batch = &scan.batch;
            assert_eq!(batch.text.len(), text_len);
            assert_eq!(batch.fields.len(), model.len());
            for (i, w) in model.iter().enumerate() {
                let record = w.record.clone().unwrap_or(record_start..text_len);
                assert_eq!(batch.record(i), record, "field {i}");
                assert_eq!(batch.column(i), column);
                let span = w.start + 1..w.start + 2;
                let l = batch.location(i, &span, &scan.columns);
                assert_eq!(
                    (l.row, l.line, l.offset, l.column, l.length),
                    (w.row, w.line, w.offset, 2, 1),
                    "field {i}"
                );
                assert_eq!(l.json_path, w.json_path, "field {i}");
                assert_eq!(l.cell, w.cell, "field {i}");
                assert_eq!(l.column_name.as_deref(), Some("c"));
                if i > 0 {
                    assert!(batch.serial(i) > batch.serial(i - 1));
                }
            }
            // Serials go on rising across passes.
            let last = model.len().checked_sub(1).map(|i| batch.serial(i));
            scan.flush();
            scan.value(column, b"z", Place::default());
            assert!(last.is_none_or(|s| scan.batch.serial(0) > s));
        }
    }

    /// Distinct counts are the number of distinct values, hashed once.
    #[test]
    fn distinct_values_are_counted_once_each() {
        let mut set = Hashes::default();
        let mut values = std::collections::HashSet::new();
        for i in 0..5000u64 {
            let v = (i * 7919) % 1237;
            values.insert(v);
            set.insert(DISTINCT.hash_one(v.to_string().as_bytes()));
        }
        assert_eq!(set.len(), values.len());
    }
}
