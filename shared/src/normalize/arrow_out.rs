//! [`EventOut`] that appends each event to the Arrow columns of its OCSF class
//! ([`super::schema`]), for Parquet output without rendering and re-parsing JSON text.
//!
//! A mapping writes its class-specific attributes before `class_uid`, so a row is
//! written into the class the previous event had (at first, the log type's first class)
//! and, when `class_uid` turns out to be another, rolled back and written again into the
//! right one. Columns are plain vectors (offsets, bytes, values, validity), padded with
//! nulls only when a later value is written or the batch is made, so a roll-back is a
//! truncation; they become Arrow arrays without a copy. `json_t` columns (`unmapped`,
//! `resources[].data`) receive the JSON text the NDJSON writer would write for them. The
//! writer also counts the bytes the event's NDJSON line would have, for chunk cuts. An
//! attribute with no column is an error, never dropped: it poisons the chunk, whose
//! encoding then fails; a container without a column that stays empty is no error, as
//! the NDJSON writer leaves it out.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int64Array, ListArray, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields, SchemaRef};

use super::json_out::{JsonOut, TextLen};
use super::lookup::Obj;
use super::out::{ConstantStrs, EventOut};
use super::schema::{self, Ty};

/// A chunk's events as Arrow columns, one set of columns per OCSF class.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnEvents {
    classes: Vec<ClassColumns>,
    /// Events handed over so far ([`Self::begin`]): the rows of all classes, and any
    /// event a defect kept out.
    len: usize,
    /// The first defect met (an attribute without a column, a class without a schema);
    /// once set, nothing more is written.
    error: Option<ColumnError>,
    /// Index in `classes` of the class the last event had.
    last: Option<usize>,
}

/// The rows of one OCSF class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassColumns {
    /// The class's `class_uid`.
    pub class_uid: u64,
    /// Index, among the chunk's events, of the class's first event.
    pub first: usize,
    /// Each row's `time` (epoch ms; `None` sorts first), in write order.
    pub times: Vec<Option<i64>>,
    columns: Vec<Column>,
    /// The top-level member written after each (see [`ArrowOut::find`]).
    succ: Vec<Succ>,
}

/// Why an event could not be written as Arrow columns (a defect of the mapping, not of the data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    /// The event wrote no numeric `class_uid`.
    #[error("event {uid} has no class_uid")]
    NoClass {
        /// The event's `metadata.uid`.
        uid: String,
    },
    /// The event's class has no Parquet schema.
    #[error("event {uid} has class_uid {class_uid}, which has no Parquet schema")]
    UnknownClass {
        /// The event's `metadata.uid`.
        uid: String,
        /// Its `class_uid`.
        class_uid: u64,
    },
    /// An attribute has no column of its type in the class's schema.
    #[error("event {uid} of class {class_uid}: {reason}")]
    Attribute {
        /// The event's `metadata.uid`.
        uid: String,
        /// Its `class_uid`.
        class_uid: u64,
        /// Which attribute, and what is wrong with it.
        reason: String,
    },
}

impl ColumnEvents {
    /// Events handed over: the rows of all classes, and any event a defect kept out.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event was handed over.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first defect met, if any: the chunk must not be written.
    pub fn error(&self) -> Option<&ColumnError> {
        self.error.as_ref()
    }

    /// Each class's rows, in the order the classes first appeared; a defect instead
    /// when one was met.
    pub fn into_classes(self) -> Result<Vec<ClassColumns>, ColumnError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self
                .classes
                .into_iter()
                .filter(|c| !c.times.is_empty())
                .collect()),
        }
    }

    /// The class to write the next event into first: the last event's, else `default`.
    pub(super) fn guess(&self, default: u64) -> u64 {
        self.last.map_or(default, |i| self.classes[i].class_uid)
    }

    /// Starts a row of `class_uid`; `None` when the class has no schema.
    pub(super) fn row(&mut self, class_uid: u64) -> Option<ArrowOut<'_>> {
        let index = match self.classes.iter().position(|c| c.class_uid == class_uid) {
            Some(i) => i,
            None => {
                let members = schema::class_columns(class_uid)?;
                self.classes.push(ClassColumns {
                    class_uid,
                    first: 0,
                    times: Vec::new(),
                    columns: members.iter().map(|(n, ty)| Column::new(n, *ty)).collect(),
                    succ: successors(members.len()),
                });
                self.classes.len() - 1
            }
        };
        let class = &mut self.classes[index];
        Some(ArrowOut {
            row: class.times.len(),
            class_uid,
            columns: &mut class.columns,
            root_succ: &mut class.succ,
            stack: Vec::new(),
            text: None,
            len: JsonOut::new(TextLen::default()),
            profiles: 0,
            root_prev: usize::MAX,
            written_class: None,
            error: None,
        })
    }

    /// Counts the row [`ArrowOut::end`] kept in `class_uid`, whose time is `time_ms`.
    pub(super) fn commit(&mut self, class_uid: u64, time_ms: Option<i64>) {
        if let Some(index) = self.classes.iter().position(|c| c.class_uid == class_uid) {
            let class = &mut self.classes[index];
            if class.times.is_empty() {
                // The event being written ([`Self::begin`] counted it).
                class.first = self.len.saturating_sub(1);
            }
            class.times.push(time_ms);
            self.last = Some(index);
        }
    }

    /// Counts an event handed over, written or not: a chunk whose every event met a
    /// defect is not empty, so it reaches the encoder, which reports the defect, instead
    /// of being passed over as a chunk without events.
    pub(super) fn begin(&mut self) {
        self.len += 1;
    }

    /// Records a defect: the chunk keeps no more events.
    pub(super) fn fail(&mut self, error: ColumnError) {
        self.error.get_or_insert(error);
    }
}

/// How writing a row ended.
pub(super) enum RowEnd {
    /// The row is complete; the event's NDJSON line would have this many bytes.
    Kept(usize),
    /// The event is of this other class: the row was rolled back, to be written as that one.
    Again(u64),
    /// The event cannot be written.
    Failed(ColumnError),
}

impl ClassColumns {
    /// The rows as a record batch of the class's schema ([`schema::class_schema`]), in write order.
    pub fn into_batch(self) -> Result<arrow_array::RecordBatch, ArrowError> {
        let schema: SchemaRef = schema::class_schema(self.class_uid).ok_or_else(|| {
            ArrowError::SchemaError(format!("class {} has no schema", self.class_uid))
        })?;
        let rows = self.times.len();
        let arrays = self
            .columns
            .into_iter()
            .map(|mut c| {
                c.complete(rows);
                c
            })
            .zip(schema.fields())
            .map(|(c, f)| c.into_array(f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        arrow_array::RecordBatch::try_new(schema, arrays)
    }
}

/// A string column's storage: Arrow's offsets and validity, and the values' text.
#[derive(Debug, Clone, PartialEq)]
struct Strings {
    spans: Spans,
    bytes: String,
}

impl Strings {
    fn new() -> Self {
        Strings {
            spans: Spans::new(),
            bytes: String::new(),
        }
    }

    fn len(&self) -> usize {
        self.spans.valid.len()
    }

    fn push(&mut self, v: &str) -> Result<(), String> {
        self.bytes.push_str(v);
        self.end_value(self.len())
    }

    /// Ends the value of row `slot` at the end of the text (nulls before it).
    fn end_value(&mut self, slot: usize) -> Result<(), String> {
        self.spans
            .push(slot, self.bytes.len())
            .map_err(|_| "a string column holds more than 2 GiB in one chunk".to_owned())
    }

    fn pad(&mut self, len: usize) {
        self.spans.pad(len);
    }

    fn truncate(&mut self, len: usize) {
        let end = self.spans.truncate(len);
        self.bytes.truncate(end);
    }

    fn into_array(self) -> Result<ArrayRef, ArrowError> {
        Ok(Arc::new(StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.spans.offsets)),
            self.bytes.into_bytes().into(),
            nulls(&self.spans.valid),
        )?))
    }
}

/// Offsets and validity of variable-length values: a string column's (into its bytes)
/// or a list column's (into its elements, another column).
#[derive(Debug, Clone, PartialEq)]
struct Spans {
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl Spans {
    fn new() -> Self {
        Spans {
            offsets: vec![0],
            valid: Vec::new(),
        }
    }

    fn pad(&mut self, len: usize) {
        if self.valid.len() < len {
            let end = *self.offsets.last().expect("offsets start with 0");
            self.offsets.resize(len + 1, end);
            self.valid.resize(len, false);
        }
    }

    /// Truncates to `len` values; returns where their contents end.
    fn truncate(&mut self, len: usize) -> usize {
        if self.valid.len() > len {
            self.valid.truncate(len);
            self.offsets.truncate(len + 1);
        }
        self.offsets[self.valid.len()] as usize
    }

    /// Ends the value of row `slot`, whose contents end at `end`.
    fn push(&mut self, slot: usize, end: usize) -> Result<(), String> {
        let end = i32::try_from(end).map_err(|_| "a list column is too long".to_owned())?;
        self.pad(slot);
        self.offsets.push(end);
        self.valid.push(true);
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Str(Strings),
    /// JSON text (`json_t`).
    Json(Strings),
    Int {
        values: Vec<i64>,
        valid: Vec<bool>,
    },
    Bool {
        values: Vec<bool>,
        valid: Vec<bool>,
    },
    StrList {
        lists: Spans,
        values: Strings,
    },
    Obj {
        valid: Vec<bool>,
        members: Vec<Column>,
        /// The member written after each (see [`ArrowOut::find`]).
        succ: Vec<Succ>,
    },
    ObjList {
        lists: Spans,
        /// The elements' validity (always valid: empty elements are left out).
        valid: Vec<bool>,
        members: Vec<Column>,
        /// The member written after each (see [`ArrowOut::find`]).
        succ: Vec<Succ>,
    },
}

/// One column, or one member of a struct column.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: &'static str,
    kind: Kind,
}

impl Column {
    fn new(name: &'static str, ty: Ty) -> Self {
        let members = |m: &'static [(&'static str, Ty)]| -> Vec<Column> {
            m.iter().map(|(n, t)| Column::new(n, *t)).collect()
        };
        let kind = match ty {
            Ty::Str => Kind::Str(Strings::new()),
            Ty::Json => Kind::Json(Strings::new()),
            Ty::Int => Kind::Int {
                values: Vec::new(),
                valid: Vec::new(),
            },
            Ty::Bool => Kind::Bool {
                values: Vec::new(),
                valid: Vec::new(),
            },
            Ty::StrList => Kind::StrList {
                lists: Spans::new(),
                values: Strings::new(),
            },
            Ty::Obj(m) => Kind::Obj {
                valid: Vec::new(),
                members: members(m),
                succ: successors(m.len()),
            },
            Ty::ObjList(m) => Kind::ObjList {
                lists: Spans::new(),
                valid: Vec::new(),
                members: members(m),
                succ: successors(m.len()),
            },
        };
        Column { name, kind }
    }

    /// Rows (or elements) written, nulls included.
    fn len(&self) -> usize {
        match &self.kind {
            Kind::Str(s) | Kind::Json(s) => s.len(),
            Kind::Int { valid, .. } | Kind::Bool { valid, .. } | Kind::Obj { valid, .. } => {
                valid.len()
            }
            Kind::StrList { lists, .. } | Kind::ObjList { lists, .. } => lists.valid.len(),
        }
    }

    /// Appends nulls up to `len` rows.
    fn pad(&mut self, len: usize) {
        match &mut self.kind {
            Kind::Str(s) | Kind::Json(s) => s.pad(len),
            Kind::Int { values, valid } => {
                if valid.len() < len {
                    values.resize(len, 0);
                    valid.resize(len, false);
                }
            }
            Kind::Bool { values, valid } => {
                if valid.len() < len {
                    values.resize(len, false);
                    valid.resize(len, false);
                }
            }
            Kind::StrList { lists, .. } | Kind::ObjList { lists, .. } => lists.pad(len),
            Kind::Obj { valid, .. } => {
                if valid.len() < len {
                    valid.resize(len, false);
                }
            }
        }
    }

    /// Pads the column to `len` rows and every member to its parent's length: values
    /// are padded only when a later one is written, so the last rows' nulls are added here.
    fn complete(&mut self, len: usize) {
        self.pad(len);
        match &mut self.kind {
            Kind::Obj { members, .. } => {
                for m in members {
                    m.complete(len);
                }
            }
            Kind::ObjList { valid, members, .. } => {
                let elements = valid.len();
                for m in members {
                    m.complete(elements);
                }
            }
            _ => {}
        }
    }

    /// Drops the rows from `len` on.
    fn truncate(&mut self, len: usize) {
        match &mut self.kind {
            Kind::Str(s) | Kind::Json(s) => s.truncate(len),
            Kind::Int { values, valid } => {
                values.truncate(len);
                valid.truncate(len);
            }
            Kind::Bool { values, valid } => {
                values.truncate(len);
                valid.truncate(len);
            }
            Kind::StrList { lists, values } => {
                let elements = lists.truncate(len);
                values.truncate(elements);
            }
            Kind::Obj { valid, members, .. } => {
                valid.truncate(len);
                for m in members {
                    m.truncate(len);
                }
            }
            Kind::ObjList {
                lists,
                valid,
                members,
                ..
            } => {
                let elements = lists.truncate(len);
                valid.truncate(elements);
                for m in members {
                    m.truncate(elements);
                }
            }
        }
    }

    fn into_array(self, data_type: &DataType) -> Result<ArrayRef, ArrowError> {
        let mismatch = |name: &str| {
            ArrowError::SchemaError(format!(
                "column {name} does not match its schema type {data_type}"
            ))
        };
        let name = self.name;
        Ok(match (self.kind, data_type) {
            (Kind::Str(s) | Kind::Json(s), DataType::Utf8) => s.into_array()?,
            (Kind::Int { values, valid }, DataType::Int64) => {
                Arc::new(Int64Array::new(ScalarBuffer::from(values), nulls(&valid)))
            }
            (Kind::Bool { values, valid }, DataType::Boolean) => Arc::new(BooleanArray::new(
                values.iter().copied().collect(),
                nulls(&valid),
            )),
            (Kind::StrList { lists, values }, DataType::List(field)) => {
                Arc::new(ListArray::try_new(
                    field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(lists.offsets)),
                    values.into_array()?,
                    nulls(&lists.valid),
                )?)
            }
            (Kind::Obj { valid, members, .. }, DataType::Struct(fields)) => {
                Arc::new(struct_array(fields, members, &valid)?)
            }
            (
                Kind::ObjList {
                    lists,
                    valid,
                    members,
                    ..
                },
                DataType::List(field),
            ) => {
                let DataType::Struct(fields) = field.data_type() else {
                    return Err(mismatch(name));
                };
                let elements = struct_array(fields, members, &valid)?;
                Arc::new(ListArray::try_new(
                    FieldRef::clone(field),
                    OffsetBuffer::new(ScalarBuffer::from(lists.offsets)),
                    Arc::new(elements),
                    nulls(&lists.valid),
                )?)
            }
            _ => return Err(mismatch(name)),
        })
    }
}

/// What [`ArrowOut::find`] remembers after a member: the key written next last time,
/// and the member it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Succ {
    key: Option<&'static str>,
    index: u16,
}

/// A successor table for `n` members: entry `n` is for the first member written.
fn successors(n: usize) -> Vec<Succ> {
    vec![Succ::default(); n + 1]
}

fn struct_array(
    fields: &Fields,
    members: Vec<Column>,
    valid: &[bool],
) -> Result<StructArray, ArrowError> {
    let arrays = members
        .into_iter()
        .zip(fields.iter())
        .map(|(m, f)| m.into_array(f.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    StructArray::try_new_with_length(fields.clone(), arrays, nulls(valid), valid.len())
}

/// Arrow's validity bitmap, `None` when every value is present.
fn nulls(valid: &[bool]) -> Option<NullBuffer> {
    valid.contains(&false).then(|| NullBuffer::from(valid))
}

/// An open object or array of the row being written.
#[derive(Debug)]
struct Frame {
    /// Its column's index in the enclosing members (for an element of a list of
    /// objects, the list's), or `None` for an attribute without a column.
    index: Option<usize>,
    /// For an attribute without a column, the error to report if anything is written in
    /// it: one that stays empty leaves no trace in the event, as the text writer drops it.
    missing: Option<String>,
    kind: FrameKind,
    /// The row, or element of a list of objects, its members are written at.
    slot: usize,
    /// Whether anything was written in it.
    written: bool,
    /// The member last found in it (see [`ArrowOut::find`]); `usize::MAX` before any.
    prev: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// A struct column, or an element of a list of structs.
    Obj,
    /// A list column.
    List,
}

/// A `json_t` value being written as JSON text.
struct Text {
    /// Writes into the column's own text, so the value is not copied again.
    json: JsonOut<String>,
    /// Where the value starts in that text.
    start: usize,
    /// Containers opened inside it and not closed.
    depth: usize,
    /// The `json_t` column's index in the enclosing members.
    index: usize,
}

/// Writes one event into a class's columns (see the module documentation).
pub(super) struct ArrowOut<'c> {
    row: usize,
    class_uid: u64,
    columns: &'c mut Vec<Column>,
    stack: Vec<Frame>,
    text: Option<Text>,
    /// The event's NDJSON length, counted as the text writer would write it.
    len: JsonOut<TextLen>,
    profiles: u8,
    /// The top-level member last found (see [`ArrowOut::find`]); `usize::MAX` before any.
    root_prev: usize,
    /// The class's successor table of top-level members.
    root_succ: &'c mut Vec<Succ>,
    /// The `class_uid` the event wrote.
    written_class: Option<u64>,
    /// The first attribute without a column, kept until the row ends: it may belong
    /// to another class, which the row is then written again as.
    error: Option<String>,
}

/// The members of the innermost open object and its successor table ([`ArrowOut::find`]).
fn container<'a>(
    columns: &'a mut [Column],
    root_succ: &'a mut [Succ],
    stack: &[Frame],
) -> Option<(&'a mut [Column], &'a mut [Succ])> {
    let mut found = (columns, root_succ);
    for frame in stack {
        if frame.kind == FrameKind::List {
            continue;
        }
        let column = found.0.get_mut(frame.index?)?;
        found = match &mut column.kind {
            Kind::Obj { members, succ, .. } | Kind::ObjList { members, succ, .. } => {
                (members, succ)
            }
            _ => return None,
        };
    }
    Some(found)
}

/// The members of the innermost open object (`columns` itself at the top): a list
/// frame stays at its column's level, and the element frame after it enters the list.
fn members<'a>(columns: &'a mut [Column], stack: &[Frame]) -> Option<&'a mut [Column]> {
    let mut members = columns;
    for frame in stack {
        if frame.kind == FrameKind::List {
            continue;
        }
        let column = members.get_mut(frame.index?)?;
        members = match &mut column.kind {
            Kind::Obj { members, .. } | Kind::ObjList { members, .. } => members,
            _ => return None,
        };
    }
    Some(members)
}

impl ArrowOut<'_> {
    /// Ends the row: pads every column to it, or rolls it back (see [`RowEnd`]).
    pub(super) fn end(self, uid: &str) -> RowEnd {
        let ArrowOut {
            row,
            class_uid,
            columns,
            written_class,
            error,
            len,
            stack,
            text,
            ..
        } = self;
        match written_class {
            Some(written) if written != class_uid => {
                for column in columns.iter_mut() {
                    column.truncate(row);
                }
                return match schema::class_columns(written) {
                    Some(_) => RowEnd::Again(written),
                    None => RowEnd::Failed(ColumnError::UnknownClass {
                        uid: uid.to_owned(),
                        class_uid: written,
                    }),
                };
            }
            Some(_) => {}
            None => {
                return RowEnd::Failed(ColumnError::NoClass {
                    uid: uid.to_owned(),
                })
            }
        }
        if let Some(reason) = error {
            return RowEnd::Failed(ColumnError::Attribute {
                uid: uid.to_owned(),
                class_uid,
                reason,
            });
        }
        if !stack.is_empty() || text.is_some() {
            for column in columns.iter_mut() {
                column.truncate(row);
            }
            return RowEnd::Failed(ColumnError::Attribute {
                uid: uid.to_owned(),
                class_uid,
                reason: "a container is left open".into(),
            });
        }
        RowEnd::Kept(len.finish().0)
    }

    fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }

    /// The path of `key` in the open containers, for error messages.
    fn path(&self, key: &str) -> String {
        let mut members: &[Column] = self.columns;
        let mut path = String::new();
        for frame in &self.stack {
            let Some(column) = frame.index.and_then(|i| members.get(i)) else {
                path.push_str("?.");
                continue;
            };
            match (frame.kind, &column.kind) {
                (FrameKind::List, _) => {
                    path.push_str(column.name);
                    path.push_str("[]");
                }
                (FrameKind::Obj, Kind::ObjList { members: m, .. }) => {
                    path.push('.');
                    members = m;
                }
                (FrameKind::Obj, Kind::Obj { members: m, .. }) => {
                    path.push_str(column.name);
                    path.push('.');
                    members = m;
                }
                _ => {}
            }
        }
        path.push_str(key);
        path
    }

    /// The row, or element, the innermost open object's members are written at.
    fn slot(&self) -> usize {
        self.stack.last().map_or(self.row, |f| f.slot)
    }

    fn mark_written(&mut self) {
        if let Some(frame) = self.stack.last_mut() {
            frame.written = true;
        }
    }

    /// Finds `key` in the innermost open object; notes an error when there is none.
    fn member(&mut self, key: &'static str) -> Option<usize> {
        if let Some(missing) = self.stack.last().and_then(|f| f.missing.clone()) {
            self.fail(missing);
            return None;
        }
        let found = self.find(key);
        if found.is_none() {
            let path = self.path(key);
            self.fail(format!("attribute {path} has no column"));
        }
        found
    }

    /// Finds `key` in the innermost open object.
    ///
    /// Mappings write an object's members in the same order event after event, with
    /// constant keys (`'static`, so one address always holds the same name): each object
    /// (and the top level) keeps, per member, the key written after it last time and the
    /// member that key named. The same key at the same address is that member again, with
    /// no name compared; otherwise the names are scanned and the successor learned.
    fn find(&mut self, key: &'static str) -> Option<usize> {
        let prev = self.stack.last().map_or(self.root_prev, |f| f.prev);
        let (members, succ) = container(self.columns, self.root_succ, &self.stack)?;
        let memo = succ.get_mut(prev.min(members.len()))?;
        let found = match memo.key {
            Some(known) if std::ptr::eq(known, key) => usize::from(memo.index),
            _ => {
                let found = members.iter().position(|c| c.name == key)?;
                if let Ok(index) = u16::try_from(found) {
                    *memo = Succ {
                        key: Some(key),
                        index,
                    };
                }
                found
            }
        };
        match self.stack.last_mut() {
            Some(frame) => frame.prev = found,
            None => self.root_prev = found,
        }
        Some(found)
    }

    /// A frame for a container without a column; what is written in it is `missing`.
    fn skipped(&self, missing: String) -> Frame {
        Frame {
            index: None,
            missing: Some(missing),
            kind: FrameKind::Obj,
            slot: self.slot(),
            written: false,
            prev: usize::MAX,
        }
    }

    /// Appends a string to the list the innermost frame is.
    fn element(&mut self, index: usize, value: Scalar<'_>) {
        let result = match (
            members(self.columns, &self.stack).map(|m| &mut m[index].kind),
            value,
        ) {
            (Some(Kind::StrList { values, .. }), Scalar::Str(v)) => values.push(v),
            (Some(Kind::StrList { values, .. }), Scalar::Parts(parts)) => {
                values.push(&parts.concat())
            }
            _ => Err(format!(
                "{} holds no {} elements",
                self.path(""),
                value.type_name()
            )),
        };
        match result {
            Ok(()) => self.mark_written(),
            Err(e) => self.fail(e),
        }
    }

    /// Writes a scalar: into the member `key` of the innermost object, or as the next
    /// element of the innermost list.
    fn scalar(&mut self, key: &'static str, value: Scalar<'_>) {
        if let Some(text) = &mut self.text {
            value.write_to(&mut text.json, key);
            return;
        }
        if let Some(&Frame {
            index: Some(index),
            kind: FrameKind::List,
            ..
        }) = self.stack.last()
        {
            self.element(index, value);
            return;
        }
        let Some(index) = self.member(key) else {
            return;
        };
        let slot = self.slot();
        let Some(column) = members(self.columns, &self.stack).map(|m| &mut m[index]) else {
            return;
        };
        if column.len() > slot {
            let path = self.path(key);
            self.fail(format!("attribute {path} is written twice"));
            return;
        }
        column.pad(slot);
        let result = match (&mut column.kind, value) {
            (Kind::Str(s), Scalar::Str(v)) => s.push(v),
            (Kind::Str(s), Scalar::Parts(parts)) => s.push(&parts.concat()),
            (Kind::Json(s), Scalar::Json(text)) => s.push(text),
            (Kind::Json(s), Scalar::Map(map)) => {
                s.push(&serde_json::to_string(map).expect("a JSON map always serializes"))
            }
            (Kind::Int { values, valid }, Scalar::Int(v)) => {
                values.push(v);
                valid.push(true);
                Ok(())
            }
            (Kind::Int { values, valid }, Scalar::Uint(v)) => match i64::try_from(v) {
                Ok(v) => {
                    values.push(v);
                    valid.push(true);
                    Ok(())
                }
                Err(_) => Err(format!("{v} is past the int64 range")),
            },
            (Kind::Bool { values, valid }, Scalar::Bool(v)) => {
                values.push(v);
                valid.push(true);
                Ok(())
            }
            (_, value) => Err(format!("is not a column of {}", value.type_name())),
        };
        match result {
            Ok(()) => self.mark_written(),
            Err(e) => {
                let path = self.path(key);
                self.fail(format!("attribute {path}: {e}"));
            }
        }
    }

    fn open_container(&mut self, key: &'static str, array: bool) {
        if let Some(text) = &mut self.text {
            text.depth += 1;
            if array {
                text.json.open_array(key);
            } else {
                text.json.open(key);
            }
            return;
        }
        let slot = self.slot();
        if let Some(missing) = self.stack.last().and_then(|f| f.missing.clone()) {
            let frame = self.skipped(missing);
            self.stack.push(frame);
            return;
        }
        // An element of a list of objects.
        if let Some(&Frame {
            index: Some(index),
            kind: FrameKind::List,
            ..
        }) = self.stack.last()
        {
            let element = match members(self.columns, &self.stack).map(|m| &m[index].kind) {
                Some(Kind::ObjList { valid, .. }) if !array => Some(valid.len()),
                _ => None,
            };
            let frame = match element {
                Some(element) => {
                    self.len.open(key);
                    Frame {
                        index: Some(index),
                        missing: None,
                        kind: FrameKind::Obj,
                        slot: element,
                        written: false,
                        prev: usize::MAX,
                    }
                }
                None => {
                    let path = self.path("");
                    self.skipped(format!(
                        "{path} holds no {} elements",
                        if array { "list" } else { "object" }
                    ))
                }
            };
            self.stack.push(frame);
            return;
        }
        let Some(index) = self.find(key) else {
            let path = self.path(key);
            let frame = self.skipped(format!("attribute {path} has no column"));
            self.stack.push(frame);
            return;
        };
        let kind = members(self.columns, &self.stack).map(|m| &m[index].kind);
        let frame = match (kind, array) {
            (Some(Kind::Obj { .. }), false) => Frame {
                index: Some(index),
                missing: None,
                kind: FrameKind::Obj,
                slot,
                written: false,
                prev: usize::MAX,
            },
            (Some(Kind::StrList { .. } | Kind::ObjList { .. }), true) => Frame {
                index: Some(index),
                missing: None,
                kind: FrameKind::List,
                slot,
                written: false,
                prev: usize::MAX,
            },
            (Some(Kind::Json(_)), false) => {
                // Written as the text the NDJSON writer writes for it, straight into the
                // column's text (and counted when closed).
                let Some(Kind::Json(strings)) =
                    members(self.columns, &self.stack).map(|m| &mut m[index].kind)
                else {
                    return;
                };
                let buf = std::mem::take(&mut strings.bytes);
                self.len.open(key);
                self.text = Some(Text {
                    start: buf.len(),
                    json: JsonOut::new(buf),
                    depth: 0,
                    index,
                });
                return;
            }
            _ => {
                let path = self.path(key);
                let frame = self.skipped(format!(
                    "attribute {path} is not a column of {}",
                    if array { "lists" } else { "objects" }
                ));
                self.stack.push(frame);
                return;
            }
        };
        if array {
            self.len.open_array(key);
        } else {
            self.len.open(key);
        }
        self.stack.push(frame);
    }

    /// Closes the `json_t` value being written as text; `keep` writes it even when empty.
    fn close_text(&mut self, text: Text, keep: bool) {
        let empty = text.json.is_empty();
        let mut buf = text.json.finish();
        let written = !empty || keep;
        if written {
            // The members, without the braces the counter's own container has.
            self.len.raw_members(&buf[text.start + 1..buf.len() - 1]);
        }
        if keep {
            self.len.close_keep();
        } else {
            self.len.close();
        }
        let slot = self.slot();
        let Some(column) = members(self.columns, &self.stack).map(|m| &mut m[text.index]) else {
            return;
        };
        let (name, twice) = (column.name, column.len() > slot);
        let Kind::Json(strings) = &mut column.kind else {
            return;
        };
        if !written || twice {
            buf.truncate(text.start);
        }
        strings.bytes = buf;
        let result = match (twice, written) {
            (true, _) => Err(format!("attribute {} is written twice", self.path(name))),
            (false, true) => strings.end_value(slot),
            (false, false) => return,
        };
        match result {
            Ok(()) => self.mark_written(),
            Err(e) => self.fail(e),
        }
    }

    fn close_container(&mut self, keep: bool) {
        if let Some(text) = &mut self.text {
            if text.depth > 0 {
                text.depth -= 1;
                if keep {
                    text.json.close_keep();
                } else {
                    text.json.close();
                }
                return;
            }
            if let Some(text) = self.text.take() {
                self.close_text(text, keep);
            }
            return;
        }
        let Some(frame) = self.stack.pop() else {
            self.fail("a container is closed that was never opened".to_owned());
            return;
        };
        let Some(index) = frame.index else {
            if let Some(missing) = frame.missing.filter(|_| keep) {
                // Kept even when empty: the attribute is in the event.
                self.fail(missing);
            }
            return;
        };
        if keep {
            self.len.close_keep();
        } else {
            self.len.close();
        }
        if !frame.written && !keep {
            return;
        }
        let in_list = matches!(
            self.stack.last(),
            Some(Frame {
                kind: FrameKind::List,
                ..
            })
        );
        let Some(column) = members(self.columns, &self.stack).map(|m| &mut m[index]) else {
            return;
        };
        let twice = |name: &str| format!("attribute {name} is written twice");
        let result = match (&mut column.kind, frame.kind) {
            (Kind::Obj { valid, .. }, FrameKind::Obj) => {
                if valid.len() > frame.slot {
                    Err(twice(column.name))
                } else {
                    valid.resize(frame.slot, false);
                    valid.push(true);
                    Ok(())
                }
            }
            // An element of a list of objects: its members are complete.
            (Kind::ObjList { valid, .. }, FrameKind::Obj) if in_list => {
                valid.push(true);
                Ok(())
            }
            (Kind::StrList { lists, values }, FrameKind::List) => {
                if lists.valid.len() > frame.slot {
                    Err(twice(column.name))
                } else {
                    lists.push(frame.slot, values.len())
                }
            }
            (Kind::ObjList { lists, valid, .. }, FrameKind::List) => {
                if lists.valid.len() > frame.slot {
                    Err(twice(column.name))
                } else {
                    lists.push(frame.slot, valid.len())
                }
            }
            _ => Err(format!("{} is closed as another kind", column.name)),
        };
        match result {
            Ok(()) => self.mark_written(),
            Err(e) => self.fail(e),
        }
    }
}

/// A value written by one of [`EventOut`]'s scalar methods.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Str(&'a str),
    Parts(&'a [&'a str]),
    Uint(u64),
    Int(i64),
    Bool(bool),
    Map(&'a Obj),
    Json(&'a str),
}

impl Scalar<'_> {
    fn type_name(self) -> &'static str {
        match self {
            Scalar::Str(_) | Scalar::Parts(_) => "strings",
            Scalar::Uint(_) | Scalar::Int(_) => "integers",
            Scalar::Bool(_) => "booleans",
            Scalar::Map(_) | Scalar::Json(_) => "JSON values",
        }
    }

    /// Writes the value to `out` as member `key`.
    fn write_to<O: EventOut + ?Sized>(self, out: &mut O, key: &'static str) {
        match self {
            Scalar::Str(v) => out.str(key, v),
            Scalar::Parts(parts) => out.str_parts(key, parts),
            Scalar::Uint(v) => out.uint(key, v),
            Scalar::Int(v) => out.int(key, v),
            Scalar::Bool(v) => out.boolean(key, v),
            Scalar::Map(v) => out.map(key, v),
            Scalar::Json(v) => out.json_text(key, v),
        }
    }
}

impl ArrowOut<'_> {
    /// Counts `value` in the NDJSON length and writes it to its column.
    fn write(&mut self, key: &'static str, value: Scalar<'_>) {
        if self.text.is_none() {
            value.write_to(&mut self.len, key);
        }
        self.scalar(key, value);
    }
}

impl EventOut for ArrowOut<'_> {
    fn str(&mut self, key: &'static str, v: &str) {
        self.write(key, Scalar::Str(v));
    }
    fn str_parts(&mut self, key: &'static str, parts: &[&str]) {
        self.write(key, Scalar::Parts(parts));
    }
    fn uint(&mut self, key: &'static str, v: u64) {
        if self.text.is_none() && self.stack.is_empty() && key == "class_uid" {
            self.written_class = Some(v);
            if v != self.class_uid {
                // Another class: the row is written again as that one.
                return;
            }
        }
        self.write(key, Scalar::Uint(v));
    }
    fn int(&mut self, key: &'static str, v: i64) {
        self.write(key, Scalar::Int(v));
    }
    fn boolean(&mut self, key: &'static str, v: bool) {
        self.write(key, Scalar::Bool(v));
    }
    fn map(&mut self, key: &'static str, v: &Obj) {
        self.write(key, Scalar::Map(v));
    }
    fn json_text(&mut self, key: &'static str, text: &str) {
        self.write(key, Scalar::Json(text));
    }
    fn open(&mut self, key: &'static str) {
        self.open_container(key, false);
    }
    fn open_array(&mut self, key: &'static str) {
        self.open_container(key, true);
    }
    fn close(&mut self) {
        self.close_container(false);
    }
    fn close_keep(&mut self) {
        self.close_container(true);
    }
    fn declare(&mut self, profile: u8) {
        self.profiles |= profile;
    }
    fn profiles(&self) -> u8 {
        self.profiles
    }
    fn constant_strs(&mut self, members: &ConstantStrs) {
        match &mut self.text {
            Some(text) => text.json.constant_strs(members),
            None => {
                self.len.constant_strs(members);
                for (key, value) in members.members() {
                    self.scalar(key, Scalar::Str(value));
                }
            }
        }
    }
}

#[cfg(test)]
impl ColumnEvents {
    /// Appends an event given as JSON text, written member by member as a mapping would
    /// (for tests of what the sink does with events no mapping writes).
    pub(crate) fn push_json_text(&mut self, uid: &str, time_ms: Option<i64>, text: &str) {
        fn write(out: &mut dyn EventOut, key: &'static str, value: &serde_json::Value) {
            use serde_json::Value;
            match value {
                Value::Null => {}
                Value::Bool(b) => out.boolean(key, *b),
                Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => out.uint(key, u),
                    (None, Some(i)) => out.int(key, i),
                    _ => out.json_text(key, &n.to_string()),
                },
                Value::String(s) => out.str(key, s),
                Value::Array(items) => {
                    out.open_array(key);
                    for item in items {
                        write(out, "", item);
                    }
                    out.close();
                }
                Value::Object(members) => {
                    out.open(key);
                    for (k, v) in members {
                        write(out, static_key(k), v);
                    }
                    out.close();
                }
            }
        }
        /// Keys are `'static` (a mapping's constants); these tests' few are leaked.
        fn static_key(key: &str) -> &'static str {
            Box::leak(key.to_owned().into_boxed_str())
        }
        self.begin();
        let event = serde_json::from_str::<serde_json::Value>(text).ok();
        let members = event.as_ref().and_then(serde_json::Value::as_object);
        let class = members.and_then(|m| m.get("class_uid")?.as_u64());
        let Some((members, class_uid)) = members.zip(class) else {
            self.fail(ColumnError::NoClass { uid: uid.into() });
            return;
        };
        let Some(mut out) = self.row(class_uid) else {
            self.fail(ColumnError::UnknownClass {
                uid: uid.into(),
                class_uid,
            });
            return;
        };
        for (k, v) in members {
            write(&mut out, static_key(k), v);
        }
        match out.end(uid) {
            RowEnd::Kept(_) => self.commit(class_uid, time_ms),
            RowEnd::Again(_) => self.fail(ColumnError::NoClass { uid: uid.into() }),
            RowEnd::Failed(e) => self.fail(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Writes one event as the normalizer does: into the guessed class, then again
    /// into the class it wrote. Returns its NDJSON length, or `None` on a defect.
    fn write(columns: &mut ColumnEvents, event: impl Fn(&mut dyn EventOut)) -> Option<usize> {
        columns.begin();
        let mut class = columns.guess(4001);
        for _ in 0..2 {
            let mut out = columns.row(class)?;
            event(&mut out);
            match out.end("u") {
                RowEnd::Kept(len) => {
                    columns.commit(class, Some(1));
                    return Some(len);
                }
                RowEnd::Again(other) => class = other,
                RowEnd::Failed(e) => {
                    columns.fail(e);
                    return None;
                }
            }
        }
        None
    }

    /// The rows of each class as JSON objects (nulls left out).
    fn rows(columns: ColumnEvents) -> Vec<(u64, Vec<Value>)> {
        columns
            .into_classes()
            .unwrap()
            .into_iter()
            .map(|class| {
                let uid = class.class_uid;
                let batch = class.into_batch().unwrap();
                let mut w = arrow_json::LineDelimitedWriter::new(Vec::new());
                w.write_batches(&[&batch]).unwrap();
                w.finish().unwrap();
                let text = String::from_utf8(w.into_inner()).unwrap();
                (
                    uid,
                    text.lines()
                        .map(|l| serde_json::from_str(l).unwrap())
                        .collect(),
                )
            })
            .collect()
    }

    fn error(columns: &ColumnEvents) -> String {
        columns.error().expect("a defect").to_string()
    }

    #[test]
    fn attributes_without_a_column_are_errors_wherever_they_are() {
        type Event<'a> = &'a dyn Fn(&mut dyn EventOut);
        let cases: [(&str, Event); 5] = [
            ("attribute not_ocsf has no column", &|out| {
                out.uint("class_uid", 4001);
                out.str("not_ocsf", "x");
            }),
            ("attribute src_endpoint.nope has no column", &|out| {
                out.open("src_endpoint");
                out.str("nope", "x");
                out.close();
                out.uint("class_uid", 4001);
            }),
            ("attribute metadata.extra has no column", &|out| {
                out.uint("class_uid", 4001);
                out.open("metadata");
                out.open("extra");
                out.open("deeper");
                out.int("n", 1);
                out.close();
                out.close();
                out.close();
            }),
            // Kept even when empty, so in the event.
            ("attribute kept has no column", &|out| {
                out.uint("class_uid", 4001);
                out.open("kept");
                out.close_keep();
            }),
            ("attribute time: is not a column of strings", &|out| {
                out.uint("class_uid", 4001);
                out.str("time", "noon");
            }),
        ];
        for (want, event) in cases {
            let mut columns = ColumnEvents::default();
            assert_eq!(write(&mut columns, event), None, "{want}");
            assert!(error(&columns).contains(want), "{}", error(&columns));
            // Regression: a chunk whose only event failed counted no events, so the
            // pipeline passed it over as empty and the event was lost without a word.
            assert_eq!(columns.len(), 1);
            assert!(!columns.is_empty());
            assert!(columns.into_classes().is_err());
        }
    }

    #[test]
    fn containers_without_a_column_that_stay_empty_leave_no_trace_as_in_the_text() {
        let mut columns = ColumnEvents::default();
        let len = write(&mut columns, |out| {
            out.open("no_such_object");
            out.open("inner");
            out.close();
            out.close();
            out.open_array("no_such_list");
            out.close();
            out.uint("class_uid", 4001);
        });
        assert_eq!(columns.error(), None);
        assert_eq!(len, Some(r#"{"class_uid":4001}"#.len()));
        assert_eq!(rows(columns), [(4001, vec![json!({"class_uid": 4001})])]);
    }

    #[test]
    fn an_attribute_written_twice_is_an_error() {
        let mut columns = ColumnEvents::default();
        write(&mut columns, |out| {
            out.uint("class_uid", 4001);
            out.str("message", "a");
            out.str("message", "b");
        });
        assert!(error(&columns).contains("message is written twice"));
    }

    #[test]
    fn rows_of_another_class_are_rolled_back_and_written_again_in_theirs() {
        // HTTP Activity has `http_request`, Network Activity has not: an HTTP event
        // written into the guessed Network Activity columns fails there, and is written
        // again in its own; nothing of the first attempt stays.
        let http = |n: i64| {
            move |out: &mut dyn EventOut| {
                out.open("src_endpoint");
                out.str("ip", "10.0.0.1");
                out.close();
                out.open("http_request");
                out.open_array("http_headers");
                out.open("");
                out.str("name", "h");
                out.close();
                out.close();
                out.close();
                out.uint("class_uid", 4002);
                out.int("time", n);
            }
        };
        let network = |n: i64| {
            move |out: &mut dyn EventOut| {
                out.open("src_endpoint");
                out.str("ip", "10.0.0.2");
                out.uint("port", 443);
                out.close();
                out.uint("class_uid", 4001);
                out.int("time", n);
                out.open("metadata");
                out.open_array("profiles");
                out.str("", "cloud");
                out.close();
                out.close();
            }
        };
        let mut columns = ColumnEvents::default();
        write(&mut columns, network(1));
        write(&mut columns, http(2));
        write(&mut columns, network(3));
        write(&mut columns, http(4));
        write(&mut columns, http(5));
        assert_eq!(columns.error(), None);
        assert_eq!(columns.len(), 5);
        let classes = columns.classes.iter().map(|c| (c.class_uid, c.first));
        assert_eq!(classes.collect::<Vec<_>>(), [(4001, 0), (4002, 1)]);
        let net = |n: i64| {
            json!({"class_uid": 4001, "time": n, "src_endpoint": {"ip": "10.0.0.2", "port": 443},
                "metadata": {"profiles": ["cloud"]}})
        };
        let web = |n: i64| {
            json!({"class_uid": 4002, "time": n, "src_endpoint": {"ip": "10.0.0.1"},
                "http_request": {"http_headers": [{"name": "h"}]}})
        };
        assert_eq!(
            rows(columns),
            [
                (4001, vec![net(1), net(3)]),
                (4002, vec![web(2), web(4), web(5)])
            ]
        );
    }

    #[test]
    fn json_t_columns_hold_the_text_the_ndjson_writer_writes() {
        let mut columns = ColumnEvents::default();
        let event = |out: &mut dyn EventOut| {
            out.uint("class_uid", 4001);
            out.open("unmapped");
            out.open("source_object");
            out.str("key", "a \"b\"");
            out.close();
            out.json_text("record", "{\"x\": [1, 2.50]}");
            out.open("empty");
            out.close();
            out.close();
            // An empty `unmapped` is left out, as the text writer leaves it out.
        };
        let len = write(&mut columns, event).unwrap();
        write(&mut columns, |out| {
            out.uint("class_uid", 4001);
            out.open("unmapped");
            out.close();
        });
        let mut text = String::new();
        let mut json = super::super::json_out::JsonOut::new(&mut text);
        event(&mut json);
        json.finish();
        assert_eq!(len, text.len());
        let got = rows(columns);
        assert_eq!(
            got[0].1,
            [
                json!({"class_uid": 4001, "unmapped": r#"{"source_object":{"key":"a \"b\""},"record":{"x": [1, 2.50]}}"#}),
                json!({"class_uid": 4001})
            ]
        );
    }
}
