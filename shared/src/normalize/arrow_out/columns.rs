//! A column's storage (plain vectors of offsets, bytes, values and validity) and its
//! conversion to an Arrow array without copying.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int64Array, ListArray, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields};

use super::super::schema::Ty;

/// A string column's storage: Arrow's offsets and validity, and the values' text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Strings {
    spans: Spans,
    pub(super) bytes: String,
}

impl Strings {
    pub(super) fn new() -> Self {
        Strings {
            spans: Spans::new(),
            bytes: String::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.spans.valid.len()
    }

    /// Its sizes (values, bytes), for [`Self::reserve`].
    fn sizes(&self, out: &mut Vec<usize>) {
        out.extend([self.len(), self.bytes.len()]);
    }

    /// Makes room for the values and bytes [`Self::sizes`] gave.
    fn reserve(&mut self, sizes: &mut impl Iterator<Item = usize>) {
        self.spans.reserve(sizes);
        self.bytes.reserve(sizes.next().unwrap_or(0));
    }

    pub(super) fn push(&mut self, v: &str) -> Result<(), String> {
        self.bytes.push_str(v);
        self.end_value(self.len())
    }

    /// Pushes the value made of `parts`, without joining them first.
    pub(super) fn push_parts(&mut self, parts: &[&str]) -> Result<(), String> {
        for part in parts {
            self.bytes.push_str(part);
        }
        self.end_value(self.len())
    }

    /// Ends the value of row `slot` at the end of the text (nulls before it).
    pub(super) fn end_value(&mut self, slot: usize) -> Result<(), String> {
        self.spans
            .push(slot, self.bytes.len())
            .map_err(|_| "a string column holds more than 2 GiB in one chunk".to_owned())
    }

    pub(super) fn pad(&mut self, len: usize) {
        self.spans.pad(len);
    }

    /// Adds `members` (JSON object members, `"a":1,"b":2`) to the JSON object of row
    /// `slot`, the last row: into the object written there, or as a new object.
    pub(super) fn add_members(&mut self, slot: usize, members: &str) -> Result<(), String> {
        if self.len() == slot + 1 {
            let start = self.spans.offsets[slot] as usize;
            let value = &self.bytes[start..];
            if !(value.starts_with('{') && value.ends_with('}')) {
                return Err("its value is not a JSON object".to_owned());
            }
            let has_members = value.len() > 2;
            self.bytes.pop();
            if has_members {
                self.bytes.push(',');
            }
            self.bytes.push_str(members);
            self.bytes.push('}');
            self.spans.truncate(slot);
        } else {
            self.bytes.push('{');
            self.bytes.push_str(members);
            self.bytes.push('}');
        }
        self.end_value(slot)
    }

    pub(super) fn truncate(&mut self, len: usize) {
        let end = self.spans.truncate(len);
        self.bytes.truncate(end);
    }

    pub(super) fn into_array(self) -> Result<ArrayRef, ArrowError> {
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
pub(super) struct Spans {
    offsets: Vec<i32>,
    pub(super) valid: Vec<bool>,
}

impl Spans {
    pub(super) fn new() -> Self {
        Spans {
            offsets: vec![0],
            valid: Vec::new(),
        }
    }

    /// Makes room for the number of values `sizes` gives next.
    fn reserve(&mut self, sizes: &mut impl Iterator<Item = usize>) {
        let n = sizes.next().unwrap_or(0);
        self.offsets.reserve(n);
        self.valid.reserve(n);
    }

    pub(super) fn pad(&mut self, len: usize) {
        if self.valid.len() < len {
            let end = *self.offsets.last().expect("offsets start with 0");
            self.offsets.resize(len + 1, end);
            self.valid.resize(len, false);
        }
    }

    /// Truncates to `len` values; returns where their contents end.
    pub(super) fn truncate(&mut self, len: usize) -> usize {
        if self.valid.len() > len {
            self.valid.truncate(len);
            self.offsets.truncate(len + 1);
        }
        self.offsets[self.valid.len()] as usize
    }

    /// Ends the value of row `slot`, whose contents end at `end`.
    pub(super) fn push(&mut self, slot: usize, end: usize) -> Result<(), String> {
        let end = i32::try_from(end).map_err(|_| "a list column is too long".to_owned())?;
        self.pad(slot);
        self.offsets.push(end);
        self.valid.push(true);
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
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
pub(super) struct Column {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
}

impl Column {
    pub(super) fn new(name: &'static str, ty: Ty) -> Self {
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

    /// The column without values (members too).
    pub(super) fn emptied(&self) -> Column {
        let kind = match &self.kind {
            Kind::Str(_) => Kind::Str(Strings::new()),
            Kind::Json(_) => Kind::Json(Strings::new()),
            Kind::Int { .. } => Kind::Int {
                values: Vec::new(),
                valid: Vec::new(),
            },
            Kind::Bool { .. } => Kind::Bool {
                values: Vec::new(),
                valid: Vec::new(),
            },
            Kind::StrList { .. } => Kind::StrList {
                lists: Spans::new(),
                values: Strings::new(),
            },
            Kind::Obj { members, succ, .. } => Kind::Obj {
                valid: Vec::new(),
                members: members.iter().map(Column::emptied).collect(),
                succ: succ.clone(),
            },
            Kind::ObjList { members, succ, .. } => Kind::ObjList {
                lists: Spans::new(),
                valid: Vec::new(),
                members: members.iter().map(Column::emptied).collect(),
                succ: succ.clone(),
            },
        };
        Column {
            name: self.name,
            kind,
        }
    }

    /// Its sizes (values, bytes, elements; members' after), for [`Self::reserve`].
    pub(super) fn sizes(&self, out: &mut Vec<usize>) {
        match &self.kind {
            Kind::Str(s) | Kind::Json(s) => s.sizes(out),
            Kind::Int { valid, .. } | Kind::Bool { valid, .. } => out.push(valid.len()),
            Kind::StrList { lists, values } => {
                out.push(lists.valid.len());
                values.sizes(out);
            }
            Kind::Obj { valid, members, .. } => {
                out.push(valid.len());
                members.iter().for_each(|m| m.sizes(out));
            }
            Kind::ObjList {
                lists,
                valid,
                members,
                ..
            } => {
                out.extend([lists.valid.len(), valid.len()]);
                members.iter().for_each(|m| m.sizes(out));
            }
        }
    }

    /// Makes room for the sizes [`Self::sizes`] gave, in its order.
    pub(super) fn reserve(&mut self, sizes: &mut impl Iterator<Item = usize>) {
        let mut next = || sizes.next().unwrap_or(0);
        match &mut self.kind {
            Kind::Str(s) | Kind::Json(s) => s.reserve(sizes),
            Kind::Int { values, valid } => {
                let n = next();
                values.reserve(n);
                valid.reserve(n);
            }
            Kind::Bool { values, valid } => {
                let n = next();
                values.reserve(n);
                valid.reserve(n);
            }
            Kind::StrList { lists, values } => {
                lists.reserve(sizes);
                values.reserve(sizes);
            }
            Kind::Obj { valid, members, .. } => {
                valid.reserve(next());
                members.iter_mut().for_each(|m| m.reserve(sizes));
            }
            Kind::ObjList {
                lists,
                valid,
                members,
                ..
            } => {
                lists.reserve(sizes);
                valid.reserve(sizes.next().unwrap_or(0));
                members.iter_mut().for_each(|m| m.reserve(sizes));
            }
        }
    }

    /// Rows (or elements) written, nulls included.
    pub(super) fn len(&self) -> usize {
        match &self.kind {
            Kind::Str(s) | Kind::Json(s) => s.len(),
            Kind::Int { valid, .. } | Kind::Bool { valid, .. } | Kind::Obj { valid, .. } => {
                valid.len()
            }
            Kind::StrList { lists, .. } | Kind::ObjList { lists, .. } => lists.valid.len(),
        }
    }

    /// Appends nulls up to `len` rows.
    pub(super) fn pad(&mut self, len: usize) {
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
    pub(super) fn complete(&mut self, len: usize) {
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
    pub(super) fn truncate(&mut self, len: usize) {
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

    pub(super) fn into_array(self, data_type: &DataType) -> Result<ArrayRef, ArrowError> {
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
pub(super) struct Succ {
    pub(super) key: Option<&'static str>,
    pub(super) index: u16,
}

/// A successor table for `n` members: entry `n` is for the first member written.
pub(super) fn successors(n: usize) -> Vec<Succ> {
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
