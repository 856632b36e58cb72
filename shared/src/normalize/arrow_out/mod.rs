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
//! attribute with no column is written, as the JSON text the NDJSON writer has for it,
//! into the row's `unmapped` object under its path (`"src_endpoint.x":...`; a container
//! without a column that stays empty is left out, as the NDJSON writer leaves it out),
//! so nothing is dropped; an attribute of the wrong type is an error, never dropped: it
//! poisons the chunk, whose encoding then fails.
//!
//! [`ColumnEvents`] holds a chunk's rows per class (this module), each column's storage
//! and its conversion to Arrow arrays are in `columns`, and the [`EventOut`] that writes
//! one event into them is `row`'s [`ArrowOut`].

mod columns;
mod row;

use arrow_schema::{ArrowError, SchemaRef};

use self::columns::{successors, Column, Succ};
pub(super) use self::row::ArrowOut;
use self::row::RowScratch;
#[cfg(test)]
use super::out::EventOut;
use super::schema;

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
    /// The buffers rows are written with.
    scratch: RowScratch,
}

/// The room a chunk's columns took ([`ColumnEvents::room`]), without holding it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnRoom {
    /// The chunk's classes and columns, without values or room.
    events: ColumnEvents,
    /// Each column's sizes, in the order its classes and columns are walked.
    sizes: Vec<usize>,
}

impl ColumnRoom {
    /// No events, with the classes and as much room as the chunk's columns took.
    pub fn into_events(self) -> ColumnEvents {
        let mut events = self.events;
        let mut sizes = self.sizes.into_iter();
        for class in &mut events.classes {
            class.times.reserve(sizes.next().unwrap_or(0));
            for column in &mut class.columns {
                column.reserve(&mut sizes);
            }
        }
        events
    }
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

    /// The room these columns took: the next chunk's columns, given as much once this
    /// chunk is written and freed ([`ColumnRoom::into_events`]), do not grow (and copy)
    /// value by value again.
    pub fn room(&self) -> ColumnRoom {
        let mut sizes = Vec::new();
        let classes = self
            .classes
            .iter()
            .map(|c| {
                sizes.push(c.times.len());
                c.columns.iter().for_each(|column| column.sizes(&mut sizes));
                ClassColumns {
                    class_uid: c.class_uid,
                    first: 0,
                    times: Vec::new(),
                    columns: c.columns.iter().map(Column::emptied).collect(),
                    succ: c.succ.clone(),
                }
            })
            .collect();
        ColumnRoom {
            events: ColumnEvents {
                classes,
                ..ColumnEvents::default()
            },
            sizes,
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
        Some(ArrowOut::new(
            class.times.len(),
            class_uid,
            &mut class.columns,
            &mut class.succ,
            &mut self.scratch,
        ))
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
mod tests;
