//! JSON documents and JSON lines, classified per value and per JSON path: the document is
//! walked as it is parsed (never built in memory), every string and number is a value at
//! its path, the key names count as keywords, and a path with its array indexes written
//! `[*]` is a column for the column rule.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::batch::{ObjectScan, Place};
use super::engine::{looks_binary, Classifier};
use super::findings::{ObjectReport, ObjectStatus, SkipReason};
use super::format::SampleLimits;
use super::mask::mask;
use super::ClassifyError;

/// Arrays at this depth or above end a record with each element (the rows of
/// `[{...}, {...}]` and of `{"Records": [...]}`), and so do the root object's members.
const RECORD_DEPTH: usize = 2;

/// One normalised path (`$.a.b[*].c`) met in the object, with what was learnt about it
/// once: its column, and per child key its node, whether the key is itself data, and how
/// it is written in a path. Looking a key up among its parent's children (a few, compared
/// by bytes) replaces hashing the whole path and judging the key for every value.
struct PathNode {
    /// The normalised path: the column's key in the report.
    path: String,
    /// How the key reaching this node from its parent is written in a path (`.name`,
    /// `["odd key"]`, masked when the key is data); empty for `$` and `[*]`.
    segment: Box<str>,
    /// The nearest key (masked when it is data), then on a second line the key above it
    /// (`cards` for `$.cards[*].number`): keywords are looked up in both. Empty at `$`,
    /// the parent's under `[*]`.
    words: Box<str>,
    /// The column, added on the node's first value.
    column: Option<usize>,
    /// Child keys in first-seen order: the key, its node, and whether it is data.
    children: Vec<(Box<str>, u32, bool)>,
    /// Index of `children` by key, once there are more than [`LINEAR_CHILDREN`].
    index: Option<foldhash::HashMap<Box<str>, usize>>,
    /// The node of this path's array elements (`[*]`).
    items: Option<u32>,
    /// The child tried first by [`PathNode::find`].
    expected: usize,
}

/// Whether two keys are equal, compared in line: keys are short, and a call of the C
/// library's `memcmp` for each cost more than the comparison.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Eight bytes a comparison, then the rest one by one.
    let (mut a, mut b) = (a, b);
    while let (Some((x, a_rest)), Some((y, b_rest))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (a_rest, b_rest);
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Children compared one by one up to this many; a map with more keys is indexed.
const LINEAR_CHILDREN: usize = 16;

/// The place of the value being read: the exact path as a string that grows and shrinks
/// with the walk, the normalised path as a node.
struct Walker<'s, 'c> {
    scan: &'s mut ObjectScan<'c>,
    /// `$.a.b[3].c`.
    exact: String,
    /// Every normalised path met; `nodes[0]` is `$`.
    nodes: Vec<PathNode>,
    /// The node of the value being read.
    node: u32,
    depth: usize,
    /// Row of the values: the JSON line, or the root array's element.
    row: Option<u64>,
    line: u64,
    offset: u64,
    /// Root array elements finished, and the most allowed.
    elements: u64,
    max_rows: Option<u64>,
    /// Set when `max_rows` stopped the walk.
    stopped: bool,
    /// Whether array elements and root members end records (a JSON document; a JSON
    /// line is one record).
    records: bool,
    number: String,
}

impl<'s, 'c> Walker<'s, 'c> {
    fn new(scan: &'s mut ObjectScan<'c>) -> Self {
        Walker {
            scan,
            exact: String::from("$"),
            nodes: vec![PathNode::new(String::from("$"), "".into(), "".into())],
            node: 0,
            depth: 0,
            row: None,
            line: 0,
            offset: 0,
            elements: 0,
            max_rows: None,
            stopped: false,
            records: false,
            number: String::new(),
        }
    }

    /// Starts a new document (a JSON line) at the root; what was learnt about keys stays.
    fn restart(&mut self, row: u64, offset: u64) {
        self.exact.truncate(1);
        self.node = 0;
        self.depth = 0;
        self.row = Some(row);
        self.line = row;
        self.offset = offset;
    }

    fn value(&mut self, bytes: &[u8]) {
        let node = &mut self.nodes[self.node as usize];
        let column = match node.column {
            Some(c) => c,
            None => {
                let c = self.scan.column(&node.path, None, None, &node.words);
                node.column = Some(c);
                c
            }
        };
        let place = Place {
            row: self.row,
            line: self.line,
            offset: self.offset,
            json_path: Some(&self.exact),
            cell: None,
        };
        self.scan.value(column, bytes, place);
    }

    /// Walks one JSON line (trimmed, not empty) as record `number`; a line that is not
    /// JSON is one text value at `$`. Valid UTF-8 is checked once for the whole line, so
    /// the parser does not check each string again.
    fn line(&mut self, text: &[u8], number: u64, start: u64) {
        let mark = self.scan.mark();
        self.restart(number, start);
        // Deep lines hit the parser's recursion limit; the values read so far stay.
        let parsed = match std::str::from_utf8(text) {
            Ok(text) => {
                let mut de = serde_json::Deserializer::from_str(text);
                Node(self).deserialize(&mut de).and_then(|()| de.end())
            }
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice(text);
                Node(self).deserialize(&mut de).and_then(|()| de.end())
            }
        };
        if parsed.is_err() {
            self.scan.rollback(mark);
            self.restart(number, start);
            self.value(text);
        }
        self.scan.end_record();
    }

    fn number(&mut self, write: impl FnOnce(&mut String)) {
        let mut n = std::mem::take(&mut self.number);
        n.clear();
        write(&mut n);
        self.value(n.as_bytes());
        self.number = n;
    }
}

impl PathNode {
    fn new(path: String, segment: Box<str>, words: Box<str>) -> Self {
        PathNode {
            path,
            segment,
            words,
            column: None,
            children: Vec::new(),
            index: None,
            items: None,
            expected: 0,
        }
    }

    /// Adds child `key` (node `node`), indexing the children once they are many.
    fn add(&mut self, key: &str, node: u32, sensitive: bool) {
        self.children.push((key.into(), node, sensitive));
        if let Some(index) = &mut self.index {
            index.insert(key.into(), self.children.len() - 1);
        } else if self.children.len() > LINEAR_CHILDREN {
            self.index = Some(
                self.children
                    .iter()
                    .enumerate()
                    .map(|(i, (k, ..))| (k.clone(), i))
                    .collect(),
            );
        }
    }

    /// The position of `key` in `children`. The keys of the objects at one path mostly
    /// come in one order (JSON lines written by one program): the child after the last
    /// one found is tried first, so a key is mostly compared once.
    fn find(&mut self, key: &str) -> Option<usize> {
        let expected = self.expected;
        let found = match self.children.get(expected) {
            Some((k, ..)) if same_key(k.as_bytes(), key.as_bytes()) => Some(expected),
            _ => match &self.index {
                Some(index) => index.get(key).copied(),
                None => self
                    .children
                    .iter()
                    .position(|(k, ..)| same_key(k.as_bytes(), key.as_bytes())),
            },
        };
        if let Some(i) = found {
            self.expected = i + 1;
        }
        found
    }
}

impl Walker<'_, '_> {
    /// The node of `key` under the current node, and whether the key holds data a
    /// detector reports (a map keyed by email address, card number or access key id): it
    /// is then classified as a value at the map's path and shown masked in every path, so
    /// no location reveals it. A key is judged once per parent path.
    fn child(&mut self, key: &str) -> (u32, bool) {
        let parent = self.node as usize;
        if let Some(i) = self.nodes[parent].find(key) {
            let (_, node, sensitive) = self.nodes[parent].children[i];
            return (node, sensitive);
        }
        let sensitive = self.scan.is_sensitive_name(key);
        let mut words = if sensitive {
            mask(key)
        } else {
            key.to_string()
        };
        let mut segment = String::new();
        push_key(&mut segment, &words);
        if let Some(above) = self.nodes[parent].words.lines().next() {
            words.push('\n');
            words.push_str(above);
        }
        let path = format!("{}{segment}", self.nodes[parent].path);
        let node = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes
            .push(PathNode::new(path, segment.into(), words.into()));
        self.nodes[parent].add(key, node, sensitive);
        (node, sensitive)
    }

    /// The node of the current node's array elements.
    fn items(&mut self) -> u32 {
        let parent = self.node as usize;
        if let Some(node) = self.nodes[parent].items {
            return node;
        }
        let node = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        let path = format!("{}[*]", self.nodes[parent].path);
        let words = self.nodes[parent].words.clone();
        self.nodes.push(PathNode::new(path, "".into(), words));
        self.nodes[parent].items = Some(node);
        node
    }
}

/// Writes a key in path syntax: `.name`, or `["odd key"]`.
fn push_key(path: &mut String, key: &str) {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    // Most keys are ASCII: judged byte by byte, without decoding characters.
    let plain = !key.is_empty()
        && if key.is_ascii() {
            key.bytes().all(|b| word(char::from(b)))
        } else {
            key.chars().all(word)
        };
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("[\"");
        for c in key.chars() {
            match c {
                '"' | '\\' => {
                    path.push('\\');
                    path.push(c);
                }
                c if c.is_control() => {
                    let _ = write!(path, "\\u{:04x}", c as u32);
                }
                c => path.push(c),
            }
        }
        path.push_str("\"]");
    }
}

/// Reads a map key and gives its node under the walker's node, and whether it is data
/// ([`Walker::child`]). The key is looked up as the parser gives it, not copied.
struct Key<'w, 's, 'c>(&'w mut Walker<'s, 'c>);

impl<'de> DeserializeSeed<'de> for Key<'_, '_, '_> {
    type Value = u32;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_, '_> {
    type Value = u32;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object key")
    }
    fn visit_str<E>(self, key: &str) -> Result<u32, E> {
        let (node, sensitive) = self.0.child(key);
        if sensitive {
            // Reported as a value found in the map's keys, at the map's own path;
            // below it, the key appears masked.
            self.0.value(key.as_bytes());
        }
        Ok(node)
    }
}

/// One JSON value at the walker's place.
struct Node<'w, 's, 'c>(&'w mut Walker<'s, 'c>);

impl<'de> DeserializeSeed<'de> for Node<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// The error a walk stops with when `max_rows` is reached.
const STOP: &str = "s3connector: row limit reached";

impl<'de> Visitor<'de> for Node<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.value(v.as_bytes());
        Ok(())
    }
    // Integers are written as `Display` writes them, by `itoa`, without the formatter.
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.value(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.value(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.number(|s| {
            let _ = write!(s, "{v}");
        });
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.0;
        let root = w.depth == 0;
        w.depth += 1;
        let exact_len = w.exact.len();
        let parent = w.node;
        let items = w.items();
        let mut i: u64 = 0;
        loop {
            if root {
                if w.max_rows.is_some_and(|max| w.elements >= max) {
                    w.stopped = true;
                    return Err(serde::de::Error::custom(STOP));
                }
                w.row = Some(i + 1);
            }
            w.exact.push('[');
            w.exact.push_str(itoa::Buffer::new().format(i));
            w.exact.push(']');
            w.node = items;
            let more = seq.next_element_seed(Node(w))?.is_some();
            w.node = parent;
            w.exact.truncate(exact_len);
            if !more {
                break;
            }
            if w.records && w.depth <= RECORD_DEPTH {
                w.scan.end_record();
            }
            if root {
                w.elements += 1;
            }
            i += 1;
        }
        w.depth -= 1;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        w.depth += 1;
        let exact_len = w.exact.len();
        let parent = w.node;
        loop {
            let Some(node) = map.next_key_seed(Key(w))? else {
                break;
            };
            w.exact.push_str(&w.nodes[node as usize].segment);
            w.node = node;
            map.next_value_seed(Node(w))?;
            w.node = parent;
            w.exact.truncate(exact_len);
            if w.records && w.depth == 1 {
                w.scan.end_record();
            }
        }
        w.depth -= 1;
        Ok(())
    }
}

impl Classifier {
    /// Classifies one JSON document streamed from `reader`. `limits.max_rows` counts the
    /// root array's elements. A document that is not strict JSON (comments, trailing
    /// commas, cut short: configuration files) is classified again from its start as text,
    /// with the parser's message as detail; past [`REPLAY_BYTES`] it cannot be, and what
    /// was read is reported `PARTIAL`, reason `malformed`.
    pub(crate) fn classify_json<R: Read>(
        &self,
        reader: R,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut buffered = BufReader::with_capacity(256 * 1024, Recording::new(reader));
        if looks_binary(binary_head(&mut buffered)?) {
            return Ok(skipped("json"));
        }
        let mut scan = ObjectScan::new(self);
        let mut walker = Walker::new(&mut scan);
        walker.max_rows = limits.max_rows;
        walker.records = true;
        let mut de = serde_json::Deserializer::from_reader(&mut buffered);
        let result = Node(&mut walker)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        drop(de);
        let stopped = walker.stopped;
        let elements = walker.elements;
        let (status, reason, detail) = match result {
            Ok(()) => (ObjectStatus::Complete, None, None),
            Err(_) if stopped => (ObjectStatus::Partial, None, None),
            Err(e) if e.is_io() => {
                return Err(ClassifyError::Read(std::io::Error::other(e.to_string())))
            }
            // Cut short by the byte limit: what was read was JSON, and stays classified as
            // JSON (paths, keys as keywords, column labels).
            Err(e)
                if e.is_eof()
                    && limits
                        .max_bytes
                        .is_some_and(|max| buffered.get_ref().read >= max) =>
            {
                (
                    ObjectStatus::Partial,
                    None,
                    Some(format!(
                        "the byte limit ({} bytes) cut the document",
                        limits.max_bytes.unwrap_or_default()
                    )),
                )
            }
            Err(e) => {
                let recording = buffered.into_inner();
                if let Some(read) = recording.kept {
                    // Not strict JSON (comments, trailing commas: JSONC configuration
                    // files): the whole object again, as text, so nothing in it is missed.
                    let rest = std::io::Cursor::new(read).chain(recording.inner);
                    let mut report = self.classify_reader(rest)?;
                    report.detail = Some(format!("not strict JSON ({e}): classified as text"));
                    return Ok(report);
                }
                (
                    ObjectStatus::Partial,
                    Some(SkipReason::Malformed),
                    Some(format!(
                        "invalid JSON: {e}; the rest of the object was not read"
                    )),
                )
            }
        };
        scan.rows = elements;
        let mut report = scan.finish(status, "json");
        report.reason = reason;
        report.detail = detail;
        Ok(report)
    }

    /// Classifies JSON lines: each line one document (its row is its line number). A line
    /// that is not JSON is classified as one text value at path `$`.
    pub(crate) fn classify_json_lines<R: Read>(
        &self,
        reader: R,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut buffered = BufReader::with_capacity(256 * 1024, reader);
        if looks_binary(binary_head(&mut buffered)?) {
            return Ok(skipped("json_lines"));
        }
        let mut scan = ObjectScan::new(self);
        let mut walker = Walker::new(&mut scan);
        // A line the buffer cut, gathered here; whole lines are read in the buffer.
        let mut long = Vec::new();
        let mut number: u64 = 0;
        let mut offset: u64 = 0;
        let mut records: u64 = 0;
        let mut status = ObjectStatus::Complete;
        loop {
            let buf = buffered.fill_buf().map_err(ClassifyError::Read)?;
            let (line, used): (&[u8], usize) = match memchr::memchr(b'\n', buf) {
                Some(i) if long.is_empty() => (&buf[..=i], i + 1),
                Some(i) => {
                    long.extend_from_slice(&buf[..=i]);
                    (&long, i + 1)
                }
                None if buf.is_empty() && long.is_empty() => break,
                None if buf.is_empty() => (&long, 0),
                None => {
                    let n = buf.len();
                    long.extend_from_slice(buf);
                    buffered.consume(n);
                    continue;
                }
            };
            number += 1;
            let start = offset;
            offset += line.len() as u64;
            let text = line.trim_ascii();
            let stop = !text.is_empty() && limits.max_rows.is_some_and(|max| records >= max);
            if !text.is_empty() && !stop {
                records += 1;
                walker.line(text, number, start);
            }
            let at_end = used == 0;
            buffered.consume(used);
            long.clear();
            if stop {
                status = ObjectStatus::Partial;
                break;
            }
            if at_end {
                break;
            }
        }
        drop(walker);
        scan.rows = records;
        Ok(scan.finish(status, "json_lines"))
    }
}

/// Bytes of a JSON document kept as it is read, so that a document that turns out not to
/// be strict JSON is classified again as text from its start (beyond this it is reported
/// partial and malformed instead).
const REPLAY_BYTES: usize = 8 << 20;

/// A reader that keeps what it reads, up to [`REPLAY_BYTES`].
struct Recording<R> {
    inner: R,
    /// Everything read so far; `None` once that passed `limit`.
    kept: Option<Vec<u8>>,
    limit: usize,
    /// Bytes read so far.
    read: u64,
}

impl<R> Recording<R> {
    fn new(inner: R) -> Self {
        Self::with_limit(inner, REPLAY_BYTES)
    }

    fn with_limit(inner: R, limit: usize) -> Self {
        Recording {
            inner,
            kept: Some(Vec::new()),
            limit,
            read: 0,
        }
    }
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(kept) = &mut self.kept {
            if kept.len() + n <= self.limit {
                kept.extend_from_slice(&buf[..n]);
            } else {
                self.kept = None;
            }
        }
        Ok(n)
    }
}

fn binary_head<R: Read>(r: &mut BufReader<R>) -> Result<&[u8], ClassifyError> {
    let head = r.fill_buf().map_err(ClassifyError::Read)?;
    Ok(&head[..head.len().min(8192)])
}

fn skipped(format: &'static str) -> ObjectReport {
    ObjectReport::skipped(
        SkipReason::UnsupportedType,
        Some("binary content".into()),
        format,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::tests::shared;
    use crate::classify::{Confidence, Finding, ObjectFormat};

    fn run(format: ObjectFormat, text: &str, limits: SampleLimits) -> ObjectReport {
        shared()
            .classify_stream(&format, text.as_bytes(), &limits)
            .unwrap()
    }

    fn finding<'a>(r: &'a ObjectReport, id: &str) -> &'a Finding {
        r.findings
            .iter()
            .find(|f| f.detector == id)
            .unwrap_or_else(|| panic!("no {id} in {:?}", r.findings))
    }

    /// Configuration files with comments and trailing commas are not strict JSON: read as
    /// text, every value in them is still found (a trial found all of them missed).
    #[test]
    fn a_document_that_is_not_strict_json_is_classified_as_text() {
        let text = "{\n  // local settings\n  \"db\": { \"password\": \"Zq8vLm2pX9wKq4Rt\" },\n  \"aws\": \"AKIAHBRPOIGF3CBFNOBM\",\n  \"cards\": [\"4539 5787 6362 1486\",],\n}\n";
        let r = run(ObjectFormat::Json, text, SampleLimits::NONE);
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        assert_eq!(r.format, "text");
        assert!(r.detail.as_deref().unwrap().starts_with("not strict JSON"));
        for (id, line) in [
            ("generic_secret", 3),
            ("aws_access_key_id", 4),
            ("credit_card", 5),
        ] {
            assert_eq!(finding(&r, id).locations[0].line, line, "{id}");
        }
    }

    /// A secret's name is the key, not in the value's text: the value is held to the
    /// same rules as `key=value` in text (placeholders and low entropy pass, specific
    /// tokens keep their own detector).
    #[test]
    fn values_under_secret_keys_are_classified_as_assignments() {
        let text = r#"{"db": {"host": "db.internal", "password": "Zq8!vR2#mK9xLp4"},
            "DbSecret": "k3Jd9Lq0ZpXv7BnT", "api key": "Tq4mZ8vL2pXw9RkB",
            "AWS_SECRET_ACCESS_KEY": "k3Jd9Lq0ZpXv7BnT2mWc8RyF5sHa1GeUoI4tNbQx",
            "token": "ghp_Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2Lm4",
            "pwd": "${DB_PASSWORD}", "passwd": "changeme", "secret_hint": "aaaaaaaaaaaa",
            "notes": "Zq8vR2mK9xLp4Tq4"}"#;
        for format in [ObjectFormat::Json, ObjectFormat::JsonLines] {
            let one_line = text.replace('\n', " ");
            let r = run(format.clone(), &one_line, SampleLimits::NONE);
            let paths = |id: &str| -> Vec<String> {
                finding(&r, id)
                    .locations
                    .iter()
                    .map(|l| l.json_path.clone().unwrap())
                    .collect()
            };
            assert_eq!(
                paths("generic_secret"),
                ["$.db.password", "$.DbSecret", "$[\"api key\"]"],
                "{format:?}"
            );
            assert_eq!(paths("aws_secret_access_key"), ["$.AWS_SECRET_ACCESS_KEY"]);
            assert_eq!(paths("github_token"), ["$.token"]);
            let json = serde_json::to_string(&r).unwrap();
            for planted in ["Zq8!vR2#mK9xLp4", "k3Jd9Lq0ZpXv7BnT", "Tq4mZ8vL2pXw9RkB"] {
                assert!(!json.contains(planted), "{planted} unmasked");
            }
            let l = &finding(&r, "generic_secret").locations[0];
            assert_eq!((l.column, l.length), (1, 15), "placed on the value itself");
        }
    }

    /// Docker's config.json keeps registry credentials as base64 `user:password` under
    /// `auth`: the key makes the value a Basic credential, as `"auth": "..."` in text.
    #[test]
    fn docker_config_auth_values_are_basic_credentials() {
        // alice:S3cr3t-Passw0rd-2024, and a user name alone (not a credential).
        let text = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "YWxpY2U6UzNjcjN0LVBhc3N3MHJkLTIwMjQ="},
            "ghcr.io": {"auth": "YWxpY2U="}}, "credsStore": "desktop"}"#;
        let r = run(ObjectFormat::Json, text, SampleLimits::NONE);
        let f = finding(&r, "http_basic_auth");
        let paths: Vec<_> = f
            .locations
            .iter()
            .map(|l| l.json_path.clone().unwrap())
            .collect();
        assert_eq!(paths, [r#"$.auths["https://index.docker.io/v1/"].auth"#]);
        assert!(!serde_json::to_string(&r).unwrap().contains("YWxpY2U6UzNj"));
    }

    #[test]
    fn json_document_values_have_their_path_and_keys_are_keywords() {
        let text = r#"{"Records": [
            {"user": {"name": "Jane", "ssn": "536228726", "cards": ["4539 5787 6362 1486"]}},
            {"user": {"name": "John", "ssn": 212458769, "odd key": "jane.doe@mail.example.org"}}
        ]}"#;
        let r = run(ObjectFormat::Json, text, SampleLimits::NONE);
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        let ssn = finding(&r, "us_ssn");
        let paths: Vec<_> = ssn
            .locations
            .iter()
            .map(|l| l.json_path.as_deref().unwrap())
            .collect();
        assert_eq!(
            paths,
            ["$.Records[0].user.ssn", "$.Records[1].user.ssn"],
            "a number value is a value too"
        );
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!(
            card.json_path.as_deref(),
            Some("$.Records[0].user.cards[0]")
        );
        let email = &finding(&r, "email").locations[0];
        assert_eq!(
            email.json_path.as_deref(),
            Some("$.Records[1].user[\"odd key\"]")
        );
    }

    /// `bytes` is the bytes read, as for text and CSV: not the bytes of the values.
    #[test]
    fn bytes_are_the_bytes_read_in_json_and_json_lines() {
        let doc = "{\n  \"people\": [\n    {\"name\": \"Ann\", \"age\": 41},\n    {\"name\": \"Bo\"}\n  ]\n}\n";
        let r = run(ObjectFormat::Json, doc, SampleLimits::NONE);
        assert_eq!(r.bytes, doc.len() as u64);
        let lines = "{\"a\": \"x\", \"b\": 1}\n\n{\"a\": \"yy\"}\n";
        let r = run(ObjectFormat::JsonLines, lines, SampleLimits::NONE);
        assert_eq!(r.bytes, lines.len() as u64);
        let cut = run(
            ObjectFormat::JsonLines,
            lines,
            SampleLimits {
                max_rows: None,
                max_bytes: Some(10),
            },
        );
        assert_eq!(cut.bytes, 10);
    }

    /// A key that names its value gives `high`: a secret under `password`, a card under
    /// `cards[0].number` (the parent key is a keyword too) or `ccnum`.
    #[test]
    fn keys_naming_the_value_give_high_confidence() {
        let text = concat!(
            r#"{"password": "Xk9#mQ2!vL7$pR4z"}"#,
            "\n",
            r#"{"client_secret": "Qm7$vT2!pX9#kL4w"}"#,
            "\n",
            r#"{"customer": {"cards": [{"number": "4539578763621486"}]}}"#,
            "\n",
            r#"{"payment": {"ccnum": "5425233430109903"}}"#,
            "\n",
        );
        let r = run(ObjectFormat::JsonLines, text, SampleLimits::NONE);
        let confidences = |id: &str| -> Vec<(String, Confidence)> {
            r.findings
                .iter()
                .filter(|f| f.detector == id)
                .flat_map(|f| {
                    f.locations
                        .iter()
                        .map(|l| (l.json_path.clone().unwrap(), f.confidence))
                })
                .collect()
        };
        assert_eq!(
            confidences("generic_secret"),
            [
                ("$.password".to_string(), Confidence::High),
                ("$.client_secret".to_string(), Confidence::High)
            ],
            "{:?}",
            r.findings
        );
        let mut cards = confidences("credit_card");
        cards.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            cards,
            [
                ("$.customer.cards[0].number".to_string(), Confidence::High),
                ("$.payment.ccnum".to_string(), Confidence::High)
            ]
        );
    }

    #[test]
    fn wide_objects_keep_each_key_at_its_own_path_and_column() {
        // More keys than are compared one by one: the parent indexes them. The keys come
        // in a different order in each row, and an odd key needs quoting in the path.
        let mut text = String::new();
        for row in 0..10 {
            let mut members: Vec<String> = (0..40)
                .map(|k| format!(r#""field{k}": "value {k}""#))
                .collect();
            members.push(format!(
                r#""odd key": {{"email": "user{row}@mail.example.org"}}"#
            ));
            members.rotate_left(row * 7 % 41);
            text.push_str(&format!("{{{}}}\n", members.join(", ")));
        }
        let r = run(ObjectFormat::JsonLines, &text, SampleLimits::NONE);
        let email = finding(&r, "email");
        assert_eq!(email.count, 10);
        for (i, l) in email.locations.iter().enumerate() {
            assert_eq!(l.row, Some(i as u64 + 1));
            assert_eq!(l.json_path.as_deref(), Some(r#"$["odd key"].email"#));
        }
        assert_eq!(r.columns.len(), 1, "{:?}", r.columns);
        assert_eq!(r.columns[0].column, r#"$["odd key"].email"#);
        assert_eq!(r.columns[0].sampled, 10);
    }

    #[test]
    fn json_array_rows_column_rule_and_row_limit() {
        let mut text = String::from("[");
        for i in 0..12 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                r#"{{"id": {i}, "contact": {{"email": "user{i}@mail.example.org"}}}}"#
            ));
        }
        text.push(']');
        let r = run(ObjectFormat::Json, &text, SampleLimits::NONE);
        assert_eq!(r.rows, Some(12));
        let l = &finding(&r, "email").locations[3];
        assert_eq!(l.row, Some(4));
        assert_eq!(l.json_path.as_deref(), Some("$[3].contact.email"));
        assert_eq!(r.columns.len(), 1, "{:?}", r.columns);
        assert_eq!(r.columns[0].column, "$[*].contact.email");
        let cut = run(
            ObjectFormat::Json,
            &text,
            SampleLimits {
                max_rows: Some(5),
                max_bytes: None,
            },
        );
        assert_eq!(cut.status, ObjectStatus::Partial);
        assert_eq!(finding(&cut, "email").count, 5);
    }

    #[test]
    fn invalid_or_cut_json_is_read_again_as_text() {
        let r = run(
            ObjectFormat::Json,
            r#"{"email": "jane.doe@mail.example.org", "x": tru"#,
            SampleLimits::NONE,
        );
        assert_eq!((r.status, r.format), (ObjectStatus::Complete, "text"));
        assert!(r.detail.as_deref().unwrap().starts_with("not strict JSON"));
        assert_eq!(finding(&r, "email").count, 1);
    }

    #[test]
    fn the_replay_copy_is_dropped_past_its_limit() {
        let mut small = Recording::with_limit(&b"0123456789"[..], 16);
        std::io::copy(&mut small, &mut std::io::sink()).unwrap();
        assert_eq!(small.kept.as_deref(), Some(&b"0123456789"[..]));
        let mut large = Recording::with_limit(&b"0123456789"[..], 5);
        std::io::copy(&mut large, &mut std::io::sink()).unwrap();
        assert!(large.kept.is_none());
    }

    #[test]
    fn json_lines_longer_than_the_buffer_and_a_last_line_without_newline() {
        // A line of 600 KB crosses the 256 KB read buffer twice; CRLF ends; the last line
        // has no line end; a line that is not UTF-8 is text.
        let filler = "x".repeat(600 * 1024);
        let text = format!(
            "{{\"note\": \"{filler}\", \"user\": {{\"email\": \"jane.doe@mail.example.org\"}}}}\r\n\
             {{\"id\": 2}}\r\n\
             {{\"card\": \"4539 5787 6362 1486\"}}"
        );
        let r = run(ObjectFormat::JsonLines, &text, SampleLimits::NONE);
        assert_eq!(r.rows, Some(3));
        let email = &finding(&r, "email").locations[0];
        assert_eq!((email.row, email.line, email.offset), (Some(1), 1, 0));
        assert_eq!(email.json_path.as_deref(), Some("$.user.email"));
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!((card.row, card.line), (Some(3), 3));
        assert_eq!(card.offset, text.rfind("{\"card\"").unwrap() as u64);
        assert_eq!(card.json_path.as_deref(), Some("$.card"));

        let mut bytes = b"{\"a\": \"\xff card 4539 5787 6362 1486\"}\n".to_vec();
        bytes.extend_from_slice(b"{\"b\": 1}\n");
        let r = shared()
            .classify_stream(&ObjectFormat::JsonLines, &bytes[..], &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.rows, Some(2));
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!((card.row, card.json_path.as_deref()), (Some(1), Some("$")));
    }

    #[test]
    fn json_lines_rows_are_lines_and_bad_lines_are_text() {
        let text = "{\"ip\": \"10.1.2.3\", \"msg\": \"ok\"}\n\n\
                    not json: card 4539 5787 6362 1486\n\
                    {\"user\": {\"email\": \"jane.doe@mail.example.org\"}}\n";
        let r = run(ObjectFormat::JsonLines, text, SampleLimits::NONE);
        assert_eq!(r.rows, Some(3));
        let card = &finding(&r, "credit_card").locations[0];
        assert_eq!((card.row, card.line), (Some(3), 3));
        assert_eq!(card.json_path.as_deref(), Some("$"));
        let email = &finding(&r, "email").locations[0];
        assert_eq!(email.row, Some(4));
        assert_eq!(email.json_path.as_deref(), Some("$.user.email"));
        assert_eq!(email.offset, text.find("{\"user\"").unwrap() as u64);
    }

    #[test]
    fn a_document_cut_by_the_byte_limit_stays_json() {
        let records: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    r#"{{"customer_social_security_number": "536-22-{:04}"}}"#,
                    1000 + i
                )
            })
            .collect();
        let doc = format!("[{}]", records.join(","));
        let limits = SampleLimits {
            max_bytes: Some(doc.len() as u64 / 2),
            max_rows: None,
        };
        let r = run(ObjectFormat::Json, &doc, limits);
        assert_eq!(r.status, ObjectStatus::Partial, "{r:?}");
        let ssn = finding(&r, "us_ssn");
        assert!(ssn.count >= 90, "{ssn:?}");
        assert!(ssn.locations[0].json_path.is_some(), "{ssn:?}");
        assert!(r.detail.as_deref().unwrap().contains("byte limit"), "{r:?}");
    }

    #[test]
    fn keys_that_need_a_keyword_to_be_reported_are_still_masked_in_paths() {
        let doc = r#"{"by_ssn": {"536224187": {"email": "x.y@example.org"}}}"#;
        for format in [ObjectFormat::Json, ObjectFormat::JsonLines] {
            let r = run(format.clone(), doc, SampleLimits::NONE);
            let text = serde_json::to_string(&r).unwrap();
            assert!(!text.contains("536224187"), "unmasked in {text}");
            // The key's parent names it: reported as an SSN at the map's path.
            let ssn = finding(&r, "us_ssn");
            assert_eq!(ssn.locations[0].json_path.as_deref(), Some("$.by_ssn"));
        }
    }

    #[test]
    fn values_used_as_keys_are_found_and_never_shown_in_paths() {
        let doc = r#"{"users": {"jane.doe@corp-mail.net": {"card": "4539526018159083"}, "4556737586899855": {"note": "x"}, "AKIA4QWERTYZ5XCVBN7M": {"role": "admin"}}}"#;
        for format in [ObjectFormat::Json, ObjectFormat::JsonLines] {
            let r = run(format.clone(), doc, SampleLimits::NONE);
            let text = serde_json::to_string(&r).unwrap();
            for value in [
                "jane.doe@corp-mail.net",
                "4556737586899855",
                "AKIA4QWERTYZ5XCVBN7M",
                "4539526018159083",
            ] {
                assert!(!text.contains(value), "{value} unmasked in {text}");
            }
            let email = finding(&r, "email");
            assert!(
                email.locations[0]
                    .json_path
                    .as_deref()
                    .unwrap()
                    .ends_with("$.users"),
                "{email:?}"
            );
            let cards = finding(&r, "credit_card");
            assert_eq!(cards.count, 2, "{cards:?}");
            assert!(
                cards.locations.iter().any(|l| l
                    .json_path
                    .as_deref()
                    .unwrap()
                    .starts_with("$.users[\"ja")),
                "{cards:?}"
            );
            finding(&r, "aws_access_key_id");
        }
    }

    #[test]
    fn clean_json_has_no_findings() {
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(&format!(
                r#"{{"event_id": "{:08x}-1c2d-4e5f-8a9b-{:012x}", "order": {}, "version": "2.{}.{}", "ts": "2024-05-{:02}T10:{:02}:00Z", "sha": "{:040x}", "amount": {}.{:02}}}"#,
                i * 7919,
                i * 104_729,
                900_000 + i,
                i % 10,
                i % 7,
                i % 28 + 1,
                i % 60,
                (i as u128) * 0x1234_5678_9abc_def1,
                i * 13,
                i % 100
            ));
            text.push('\n');
        }
        let r = run(ObjectFormat::JsonLines, &text, SampleLimits::NONE);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!(r.rows, Some(300));
    }

    /// The lookup that tries the expected child first finds what a search of every
    /// child finds, whatever order keys come in, below and above the indexed size.
    #[test]
    fn child_lookup_finds_what_a_full_search_finds() {
        let keys: Vec<String> = (0..40).map(|i| format!("k{}", i % 23 * 7)).collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for round in 0..200 {
            let mut node = PathNode::new("$".into(), "".into(), "".into());
            let limit = if round % 2 == 0 { 8 } else { 40 };
            for _ in 0..300 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly the order of the last object, sometimes a jump.
                let key = if state % 4 == 0 {
                    &keys[(state >> 8) as usize % limit]
                } else {
                    &keys[node.expected % limit]
                };
                let full = node.children.iter().position(|(k, ..)| **k == **key);
                assert_eq!(node.find(key), full, "{key}");
                if full.is_none() {
                    node.add(key, 0, false);
                }
            }
        }
        assert!(!same_key(b"ab", b"abc") && same_key(b"", b"") && !same_key(b"ab", b"ac"));
        let long = b"customer_account_number";
        for i in 0..long.len() {
            let mut other = *long;
            other[i] ^= 1;
            assert!(!same_key(long, &other) && same_key(long, long), "byte {i}");
        }
    }

    /// Integers are written as `Display` writes them.
    #[test]
    fn integers_are_written_as_display_writes_them() {
        for v in [0u64, 7, 10, 99_999, 536_228_726, u64::MAX] {
            assert_eq!(itoa::Buffer::new().format(v), v.to_string());
        }
        for v in [i64::MIN, -1, -536_228_726] {
            assert_eq!(itoa::Buffer::new().format(v), v.to_string());
        }
    }
}
