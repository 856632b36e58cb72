//! [`ArrowOut`]: the [`EventOut`] that writes one event into its class's columns.

use super::super::json_out::{self, write_json_str, JsonOut, TextLen};
use super::super::lookup::Obj;
use super::super::out::{ocsf_str, ConstantStrs, EventOut, MAX_STRING_BYTES};
use super::super::schema;
use super::columns::{Column, Kind, Succ};
use super::{ColumnError, RowEnd};

/// The `json_t` column that receives attributes without a column of their own.
const UNMAPPED: &str = "unmapped";

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

/// A value being written as JSON text: a `json_t` column's, or an attribute without a
/// column, which goes to `unmapped`.
struct Text {
    /// Writes into the column's own text, so the value is not copied again (for an
    /// attribute without a column, into a text of its own).
    json: JsonOut<String>,
    /// Where the value starts in that text.
    start: usize,
    /// Containers opened inside it and not closed.
    depth: usize,
    /// Where the text goes when the value is closed.
    target: TextTarget,
}

/// Where a [`Text`] goes.
enum TextTarget {
    /// The `json_t` column at this index in the enclosing members.
    Column(usize),
    /// A container without a column: a member of `unmapped` named by its path (its key,
    /// the one written in the event, is given to count the NDJSON length).
    Stray { path: String, key: &'static str },
}

/// The buffers an [`ArrowOut`] works in, kept from row to row so that writing a row
/// allocates nothing: they hold nothing between rows.
#[derive(Debug, Default)]
pub(super) struct RowScratch {
    stack: Vec<Frame>,
    len_stack: Vec<json_out::Frame>,
}

impl Clone for RowScratch {
    fn clone(&self) -> Self {
        RowScratch::default()
    }
}

impl PartialEq for RowScratch {
    /// Always: scratch buffers hold no state between rows.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Writes one event into a class's columns (see the module documentation).
pub(in crate::normalize) struct ArrowOut<'c> {
    row: usize,
    class_uid: u64,
    columns: &'c mut Vec<Column>,
    stack: &'c mut Vec<Frame>,
    /// Where `len`'s container stack goes back to when the row is kept.
    len_stack: &'c mut Vec<json_out::Frame>,
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
    /// The first attribute of the wrong type, kept until the row ends: it may belong
    /// to another class, which the row is then written again as.
    error: Option<String>,
    /// Attributes without a column, as `unmapped` members (`"path":value`, comma
    /// separated): added to the row's `unmapped` when it ends, so nothing is lost.
    strays: String,
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

impl<'c> ArrowOut<'c> {
    /// Starts row `row` of the class `class_uid`, whose columns and successor table these are.
    pub(super) fn new(
        row: usize,
        class_uid: u64,
        columns: &'c mut Vec<Column>,
        root_succ: &'c mut Vec<Succ>,
        scratch: &'c mut RowScratch,
    ) -> Self {
        let RowScratch { stack, len_stack } = scratch;
        stack.clear();
        let len = JsonOut::with_stack(TextLen::default(), std::mem::take(len_stack));
        ArrowOut {
            row,
            class_uid,
            columns,
            root_succ,
            stack,
            len_stack,
            text: None,
            len,
            profiles: 0,
            root_prev: usize::MAX,
            written_class: None,
            error: None,
            strays: String::new(),
        }
    }
}

impl ArrowOut<'_> {
    /// Ends the row: pads every column to it, or rolls it back (see [`RowEnd`]).
    pub(in crate::normalize) fn end(self, uid: &str) -> RowEnd {
        let ArrowOut {
            row,
            class_uid,
            columns,
            written_class,
            error,
            len,
            stack,
            text,
            strays,
            len_stack,
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
        if !strays.is_empty() {
            let unmapped = columns.iter_mut().find(|c| c.name == UNMAPPED);
            let merged = match unmapped.map(|c| &mut c.kind) {
                Some(Kind::Json(strings)) => strings.add_members(row, &strays),
                _ => Err(format!("the class has no {UNMAPPED} column")),
            };
            if let Err(e) = merged {
                for column in columns.iter_mut() {
                    column.truncate(row);
                }
                return RowEnd::Failed(ColumnError::Attribute {
                    uid: uid.to_owned(),
                    class_uid,
                    reason: format!("attributes without a column ({strays}): {e}"),
                });
            }
        }
        let (len, stack) = len.finish_with_stack();
        *len_stack = stack;
        RowEnd::Kept(len.0)
    }

    /// Keeps an attribute without a column, `"path":value`, for the row's `unmapped`.
    fn stray(&mut self, path: &str, value_json: &str) {
        if !self.strays.is_empty() {
            self.strays.push(',');
        }
        write_json_str(&mut self.strays, path);
        self.strays.push(':');
        self.strays.push_str(value_json);
    }

    fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }

    /// The path of `key` in the open containers, for error messages.
    fn path(&self, key: &str) -> String {
        let mut members: &[Column] = self.columns;
        let mut path = String::new();
        for frame in self.stack.iter() {
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

    /// Finds `key` in the innermost open object.
    ///
    /// Mappings write an object's members in the same order event after event, with
    /// constant keys (`'static`, so one address always holds the same name): each object
    /// (and the top level) keeps, per member, the key written after it last time and the
    /// member that key named. The same key at the same address is that member again, with
    /// no name compared; otherwise the names are scanned and the successor learned.
    fn find(&mut self, key: &'static str) -> Option<usize> {
        self.find_column(key).map(|(index, _)| index)
    }

    /// [`Self::find`], giving the member's column too (one walk down the open containers).
    fn find_column(&mut self, key: &'static str) -> Option<(usize, &mut Column)> {
        let prev = self.stack.last().map_or(self.root_prev, |f| f.prev);
        let (members, succ) = container(self.columns, self.root_succ, self.stack)?;
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
        Some((found, &mut members[found]))
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
            members(self.columns, self.stack).map(|m| &mut m[index].kind),
            value,
        ) {
            (Some(Kind::StrList { values, .. }), Scalar::Str(v)) => values.push(v),
            (Some(Kind::StrList { values, .. }), Scalar::Parts(parts)) => values.push_parts(parts),
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
        if let Some(missing) = self.stack.last().and_then(|f| f.missing.clone()) {
            self.fail(missing);
            return;
        }
        let slot = self.slot();
        let Some((_, column)) = self.find_column(key) else {
            let path = self.path(key);
            // The value as the text writer writes it, without its key.
            let mut json = JsonOut::new(String::new());
            value.write_to(&mut json, key);
            let text = json.finish();
            let value_json = &text[key.len() + 4..text.len() - 1];
            self.stray(&path, value_json);
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
            (Kind::Str(s), Scalar::Parts(parts)) => s.push_parts(parts),
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
            let element = match members(self.columns, self.stack).map(|m| &m[index].kind) {
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
            // Written as the text writer writes it, for `unmapped` (and counted when closed).
            let mut json = JsonOut::new(String::new());
            if array {
                json.open_array(key);
            } else {
                json.open(key);
            }
            self.text = Some(Text {
                json,
                start: 0,
                depth: 0,
                target: TextTarget::Stray {
                    path: self.path(key),
                    key,
                },
            });
            return;
        };
        let kind = members(self.columns, self.stack).map(|m| &m[index].kind);
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
                    members(self.columns, self.stack).map(|m| &mut m[index].kind)
                else {
                    return;
                };
                let buf = std::mem::take(&mut strings.bytes);
                self.len.open(key);
                self.text = Some(Text {
                    start: buf.len(),
                    json: JsonOut::new(buf),
                    depth: 0,
                    target: TextTarget::Column(index),
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

    /// Closes the value being written as text; `keep` writes it even when empty.
    fn close_text(&mut self, text: Text, keep: bool) {
        let index = match text.target {
            TextTarget::Column(index) => index,
            TextTarget::Stray { path, key } => {
                let mut json = text.json;
                if keep {
                    json.close_keep();
                } else {
                    json.close();
                }
                let buf = json.finish();
                // `{"key":value}`, or `{}` when the container was empty and left out.
                if buf.len() > 2 {
                    self.len.raw_members(&buf[1..buf.len() - 1]);
                    self.stray(&path, &buf[key.len() + 4..buf.len() - 1]);
                }
                return;
            }
        };
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
        let Some(column) = members(self.columns, self.stack).map(|m| &mut m[index]) else {
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
        let Some(column) = members(self.columns, self.stack).map(|m| &mut m[index]) else {
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
        self.write(key, Scalar::Str(ocsf_str(v)));
    }
    fn str_parts(&mut self, key: &'static str, parts: &[&str]) {
        if parts.iter().map(|p| p.len()).sum::<usize>() > MAX_STRING_BYTES {
            return self.str(key, &parts.concat());
        }
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
