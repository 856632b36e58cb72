//! Finds the bounds of JSON values in a byte stream without parsing them.
//!
//! Large JSON documents (a CloudTrail `Records` array, a top-level array of
//! objects) are cut into one complete value at a time, which is then decoded
//! from a `str` (into CloudTrail's typed view, or a map for other JSON). Compared with a serde visitor over
//! `serde_json::Deserializer::from_reader` (which reads byte by byte) this
//! parses CloudTrail about twice as fast, skips records before a resume point
//! without parsing them, keeps memory bounded by [`MAX_VALUE_BYTES`], and lets
//! one bad record be a record error instead of failing the object.

use std::io::{self, BufRead};

use serde_json::Value;

use crate::notification::json_kind;

use super::{Emitter, Fields, ParseError};

/// Largest single JSON value kept in memory; a larger one is reported and skipped.
pub(crate) const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// What [`JsonScanner::read_value`] found.
pub(crate) enum Scanned {
    /// A complete value, stored in the buffer when one was given.
    Complete,
    /// A complete value longer than the limit; the buffer holds only its start.
    TooLong(u64),
}

/// Reads JSON tokens and whole values from a buffered reader.
pub(crate) struct JsonScanner<R> {
    reader: R,
    /// Bytes consumed so far, for error messages.
    offset: u64,
}

impl<R: BufRead> JsonScanner<R> {
    pub(crate) fn new(reader: R) -> Self {
        JsonScanner { reader, offset: 0 }
    }

    /// The bytes the reader holds (reading more only when it holds none).
    pub(crate) fn buffered(&mut self) -> io::Result<&[u8]> {
        loop {
            match self.reader.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        // Filled above: this returns the buffered bytes without reading.
        self.reader.fill_buf()
    }

    /// The next non-whitespace byte, left unconsumed; `None` at the end of the input.
    pub(crate) fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(None);
            }
            match chunk.iter().position(|c| !c.is_ascii_whitespace()) {
                Some(i) => {
                    let next = chunk[i];
                    self.consume(i);
                    return Ok(Some(next));
                }
                None => {
                    let n = chunk.len();
                    self.consume(n);
                }
            }
        }
    }

    /// Consumes the byte [`Self::peek`] returned.
    pub(crate) fn bump(&mut self) {
        self.consume(1);
    }

    /// Consumes `expected` as the next non-whitespace byte, or fails naming what was there.
    pub(crate) fn expect(&mut self, expected: u8, context: &str) -> Result<(), ParseError> {
        match self.peek()? {
            Some(c) if c == expected => {
                self.bump();
                Ok(())
            }
            found => Err(self.unexpected(found, &format!("`{}` {context}", expected as char))),
        }
    }

    /// An error for finding `found` where `wanted` should be.
    pub(crate) fn unexpected(&self, found: Option<u8>, wanted: &str) -> ParseError {
        let found = match found {
            Some(c) if c.is_ascii_graphic() => format!("`{}`", c as char),
            Some(c) => format!("byte 0x{c:02x}"),
            None => "the end of the input (truncated file?)".to_owned(),
        };
        ParseError::InvalidJson {
            reason: format!("expected {wanted} at byte {}, found {found}", self.offset),
        }
    }

    /// Consumes one complete JSON value, copying it into `out` (cleared first) up to `limit` bytes.
    pub(crate) fn read_value(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        limit: usize,
    ) -> Result<Scanned, ParseError> {
        if let Some(buf) = out.as_deref_mut() {
            buf.clear();
        }
        let first = self
            .peek()?
            .ok_or_else(|| self.unexpected(None, "a JSON value"))?;
        let mut state = match first {
            b'{' | b'[' | b'"' => ScanState::default(),
            _ => return self.read_scalar(out, limit),
        };
        let mut total: u64 = 0;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if chunk.is_empty() {
                return Err(self.unexpected(None, "the rest of a JSON value"));
            }
            let end = state.scan(chunk);
            let used = end.unwrap_or(chunk.len());
            if let Some(buf) = out.as_deref_mut() {
                let room = limit.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..used.min(room)]);
            }
            total += used as u64;
            self.consume(used);
            if end.is_some() {
                return Ok(if total > limit as u64 {
                    Scanned::TooLong(total)
                } else {
                    Scanned::Complete
                });
            }
        }
    }

    /// Numbers, `true`, `false`, `null`: everything up to the next delimiter.
    fn read_scalar(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        limit: usize,
    ) -> Result<Scanned, ParseError> {
        let mut total: u64 = 0;
        loop {
            let chunk = self.reader.fill_buf()?;
            // A value is at least its first byte: a stray `,`, `]` or `}` where a value
            // should start is read as a (bad) value, so every call moves forward.
            let skip = usize::from(total == 0 && !chunk.is_empty());
            let end = chunk[skip..]
                .iter()
                .position(|c| matches!(c, b',' | b']' | b'}') || c.is_ascii_whitespace())
                .map(|k| k + skip);
            let used = end.unwrap_or(chunk.len());
            if let Some(buf) = out.as_deref_mut() {
                let room = limit.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..used.min(room)]);
            }
            total += used as u64;
            let at_end = chunk.is_empty() || end.is_some();
            self.consume(used);
            if at_end {
                return Ok(if total > limit as u64 {
                    Scanned::TooLong(total)
                } else {
                    Scanned::Complete
                });
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
    }
}

/// Where a scan is inside a value; survives across buffer refills.
#[derive(Default)]
struct ScanState {
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl ScanState {
    /// Advances over `chunk`; returns the index just past the value's end if it ends here.
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                let j = i + memchr::memchr2(b'"', b'\\', &chunk[i..])?;
                if chunk[j] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(j + 1);
                    }
                }
                i = j + 1;
                continue;
            }
            match chunk[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }
}

/// Reads one JSON record's text into its fields, or says why it is not a record.
pub(crate) type Decode = for<'t> fn(&'t str) -> Result<Fields<'t>, String>;

/// Reads the JSON object at the start of `text` (more may follow) into its fields and
/// returns them with the object's length, or `None` when `text` does not start with a
/// complete, valid object: the caller then scans the value out and uses [`Decode`].
/// Parsing straight from the read buffer saves a scan and a copy per record.
pub(crate) type DecodePrefix = for<'t> fn(&'t str) -> Option<(Fields<'t>, usize)>;

/// Any JSON object, parsed whole into a map.
pub(crate) fn decode_map(text: &str) -> Result<Fields<'_>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(Fields::Map(map)),
        Ok(other) => Err(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        )),
        Err(e) => Err(format!("invalid JSON record: {e}")),
    }
}

/// Emits one scanned value: decoded when complete, a record error when too long or invalid.
fn emit_scanned(
    out: &mut Emitter<'_>,
    scanned: Scanned,
    buf: &[u8],
    decode: Decode,
) -> std::ops::ControlFlow<()> {
    match scanned {
        Scanned::TooLong(len) => out.malformed(
            None,
            format!("record is {len} bytes, over the {MAX_VALUE_BYTES}-byte limit"),
            buf,
        ),
        // One UTF-8 check for the record; parsing from a `str` does not check again.
        // Bytes that are not UTF-8 are replaced rather than losing the record.
        Scanned::Complete => {
            let (text, invalid_utf8) = match std::str::from_utf8(buf) {
                Ok(text) => (std::borrow::Cow::Borrowed(text), false),
                Err(_) => (String::from_utf8_lossy(buf), true),
            };
            match decode(&text) {
                Ok(fields) => out.record_from(None, fields, &text, invalid_utf8),
                Err(reason) => out.malformed(None, reason, buf),
            }
        }
    }
}

/// Streams the elements of the array starting at the next byte, emitting each one.
/// With `prefix`, an object held whole in the read buffer is decoded in place.
///
/// Returns `Ok(true)` when the caller stopped early.
pub(crate) fn stream_array<R: BufRead>(
    scanner: &mut JsonScanner<R>,
    out: &mut Emitter<'_>,
    decode: Decode,
    prefix: Option<DecodePrefix>,
) -> Result<bool, ParseError> {
    scanner.expect(b'[', "to open the array")?;
    if scanner.peek()? == Some(b']') {
        scanner.bump();
        return Ok(false);
    }
    let mut buf = Vec::with_capacity(8192);
    // Offset before which the read buffer is not decoded in place again (see below).
    let mut retry_at = 0u64;
    loop {
        // A trailing comma (`[{...},]`) ends the array like `]` does.
        if scanner.peek()? == Some(b']') {
            scanner.bump();
            return Ok(false);
        }
        let mut decoded = 0;
        if let Some(prefix) = prefix.filter(|_| !out.skipping() && scanner.offset >= retry_at) {
            // `peek` left the element's first byte at the start of the buffer.
            let bytes = scanner.buffered()?;
            let held = bytes.len() as u64;
            let (len, stopped) = decode_buffered(bytes, out, prefix);
            if len == 0 {
                // Not one element held whole and valid here: no second try in this buffer.
                retry_at = scanner.offset + held;
            }
            scanner.consume(len);
            if stopped {
                return Ok(true);
            }
            decoded = len;
        }
        // Otherwise the elements held in the buffer were read, up to the `,` or `]` after the last.
        if decoded == 0 {
            if out.skipping() {
                scanner.read_value(None, 0)?;
                out.skip();
            } else {
                let scanned = scanner.read_value(Some(&mut buf), MAX_VALUE_BYTES)?;
                if emit_scanned(out, scanned, &buf, decode).is_break() {
                    return Ok(true);
                }
            }
        }
        match scanner.peek()? {
            Some(b',') => scanner.bump(),
            Some(b']') => {
                scanner.bump();
                return Ok(false);
            }
            found => return Err(scanner.unexpected(found, "`,` or `]` after an array element")),
        }
    }
}

/// Emits the array elements held whole in `bytes` (the read buffer, starting at an
/// element), decoded in place with `prefix`: one UTF-8 check for the buffer, no scan and
/// no copy per element. Stops before the first element it cannot decode whole (left,
/// with the `,` before it, to the scanning path) and returns the bytes to consume up to
/// the end of the last element emitted, and whether the caller stopped.
fn decode_buffered(bytes: &[u8], out: &mut Emitter<'_>, prefix: DecodePrefix) -> (usize, bool) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // Up to a character cut by the buffer's end, or an invalid byte (whose element
        // then takes the lossy path).
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let skip_space = |from: usize| {
        from + text.as_bytes()[from..]
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(text.len() - from)
    };
    let (mut done, mut at) = (0, 0);
    while let Some((fields, len)) = prefix(&text[at..]) {
        let end = at + len;
        if out.record(None, fields, &text[at..end]).is_break() {
            return (end, true);
        }
        done = end;
        let comma = skip_space(done);
        if text.as_bytes().get(comma) != Some(&b',') {
            break;
        }
        at = skip_space(comma + 1);
    }
    (done, false)
}

/// Streams one JSON object too large to be a record (a whole export written on one
/// line, `{"items":[...],"count":20000}`) member by member, so memory stays flat
/// however many records it holds: the elements of a member that is an array of objects
/// are records, as a top-level array's are; any other member is one record
/// `{"<key>": <value>}`, so nothing in the document is dropped.
///
/// Returns `Ok(true)` when the caller stopped early.
pub(crate) fn stream_members<R: BufRead>(
    scanner: &mut JsonScanner<R>,
    out: &mut Emitter<'_>,
    decode: Decode,
) -> Result<bool, ParseError> {
    scanner.expect(b'{', "to open the object")?;
    if scanner.peek()? == Some(b'}') {
        scanner.bump();
        return Ok(false);
    }
    let (mut key, mut value, mut member) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let next = scanner.peek()?;
        if next != Some(b'"') {
            return Err(scanner.unexpected(next, "a key"));
        }
        scanner.read_value(Some(&mut key), MAX_VALUE_BYTES)?;
        scanner.expect(b':', "after a key")?;
        if scanner.peek()? == Some(b'[') && array_of_objects(scanner.buffered()?) {
            if stream_array(scanner, out, decode, None)? {
                return Ok(true);
            }
        } else if out.skipping() {
            scanner.read_value(None, 0)?;
            out.skip();
        } else {
            let scanned = scanner.read_value(Some(&mut value), MAX_VALUE_BYTES)?;
            member.clear();
            member.push(b'{');
            member.extend_from_slice(&key);
            member.push(b':');
            member.extend_from_slice(&value);
            member.push(b'}');
            let scanned = match scanned {
                Scanned::TooLong(len) => Scanned::TooLong(len + key.len() as u64 + 3),
                complete => complete,
            };
            if emit_scanned(out, scanned, &member, decode).is_break() {
                return Ok(true);
            }
        }
        match scanner.peek()? {
            Some(b',') => scanner.bump(),
            Some(b'}') => {
                scanner.bump();
                return Ok(false);
            }
            found => return Err(scanner.unexpected(found, "`,` or `}` after a value")),
        }
    }
}

/// True when `buffered` (starting at a `[`) holds the start of an array whose first
/// element is an object.
fn array_of_objects(buffered: &[u8]) -> bool {
    buffered
        .iter()
        .skip(1)
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| *c == b'{')
}

/// Streams top-level JSON values one after another (`{...}{...}` or pretty-printed objects).
pub(crate) fn stream_values<R: BufRead>(
    scanner: &mut JsonScanner<R>,
    out: &mut Emitter<'_>,
    decode: Decode,
) -> Result<(), ParseError> {
    let mut buf = Vec::with_capacity(8192);
    while scanner.peek()?.is_some() {
        if out.skipping() {
            scanner.read_value(None, 0)?;
            out.skip();
            continue;
        }
        let scanned = scanner.read_value(Some(&mut buf), MAX_VALUE_BYTES)?;
        if emit_scanned(out, scanned, &buf, decode).is_break() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record and record error of `input`, read through a buffer of `capacity` bytes.
    fn parsed(
        log_type: crate::logs::LogType,
        input: &str,
        capacity: usize,
    ) -> (
        Vec<crate::logs::ParsedRecord<'static>>,
        Vec<crate::logs::RecordError>,
    ) {
        let (mut records, mut errors) = (Vec::new(), Vec::new());
        let reader = io::BufReader::with_capacity(capacity, input.as_bytes());
        crate::logs::parse_stream(log_type, reader, 0, &mut |item| {
            match item {
                Ok(r) => records.push(r.into_owned()),
                Err(e) => errors.push(e),
            }
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        (records, errors)
    }

    #[test]
    fn records_are_the_same_whatever_the_read_buffer_size() {
        // Records and errors must not depend on where buffer refills cut the input.
        let cloudtrail = r#"{"Records":[
{"eventName":"A","userAgent":"a \"quoted\" agent"} ,
42,
{"eventName":tru},
{"eventName":"D","nested":{"k":["]","}"]}},{"eventName":"E","bad":"\u00e9"}
]}"#;
        let array = "[{\"a\":1}, {\"b\":[1,2]}, \"x\", {\"c\":nul}, {\"d\":{}}]";
        for (log_type, input) in [
            (crate::logs::LogType::CloudTrail, cloudtrail),
            (crate::logs::LogType::Json, array),
        ] {
            let whole = parsed(log_type, input, 1 << 16);
            assert!(!whole.0.is_empty() && !whole.1.is_empty(), "{log_type}");
            for capacity in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89] {
                assert_eq!(
                    parsed(log_type, input, capacity),
                    whole,
                    "{log_type} {capacity}"
                );
            }
        }
    }

    fn values(input: &str, chunk: usize) -> Vec<String> {
        let mut scanner = JsonScanner::new(io::BufReader::with_capacity(chunk, input.as_bytes()));
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while scanner.peek().unwrap().is_some() {
            scanner.read_value(Some(&mut buf), 1 << 20).unwrap();
            out.push(String::from_utf8(buf.clone()).unwrap());
            if scanner.peek().unwrap() == Some(b',') {
                scanner.bump();
            }
        }
        out
    }

    #[test]
    fn values_are_cut_at_their_end_across_small_buffer_refills() {
        let input = r#"{"a":"}\"{","b":[1,{"c":"]"}]} "str\"ing" 12.5e3 ,true [] null"#;
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(
                values(input, chunk),
                [
                    r#"{"a":"}\"{","b":[1,{"c":"]"}]}"#,
                    r#""str\"ing""#,
                    "12.5e3",
                    "true",
                    "[]",
                    "null"
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn stray_delimiters_between_values_are_read_as_bad_values_not_looped_on() {
        // Each used to be read as an empty value without consuming anything: a hang.
        for input in [
            "} {\"a\":1}",
            ", {\"a\":1}",
            "]{\"a\":1}",
            "{\"a\":1},{\"a\":2}",
        ] {
            let got =
                crate::logs::test_support::collect(crate::logs::LogType::CloudWatchLogs, input);
            assert!(!got.errors.is_empty(), "{input}");
        }
        let concatenated = "{\n\"n\": 1\n}\n,\n}\n{\n\"n\": 2\n}\n";
        let json = crate::logs::test_support::collect(crate::logs::LogType::Json, concatenated);
        assert_eq!((json.records.len(), json.errors.len()), (2, 2));
        let trailing =
            crate::logs::test_support::collect(crate::logs::LogType::Json, "[{\"a\":1},\n]");
        assert_eq!((trailing.records.len(), trailing.errors.len()), (1, 0));
    }

    #[test]
    fn value_over_limit_is_reported_with_its_full_length() {
        let mut scanner = JsonScanner::new(&br#"{"k":"0123456789"} 1"#[..]);
        let mut buf = Vec::new();
        match scanner.read_value(Some(&mut buf), 5).unwrap() {
            Scanned::TooLong(len) => assert_eq!(len, 18),
            Scanned::Complete => panic!("limit not applied"),
        }
        assert_eq!(buf, br#"{"k":"#);
        assert_eq!(scanner.peek().unwrap(), Some(b'1'));
    }

    #[test]
    fn truncated_value_is_an_error_naming_the_offset() {
        let mut scanner = JsonScanner::new(&br#"{"a": [1, 2"#[..]);
        let err = scanner.read_value(None, 0).err().unwrap();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
