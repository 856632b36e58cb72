//! Bounded line reading and the shared loop for line-oriented formats.

use std::io::{self, BufRead};
use std::ops::ControlFlow;

use super::{Emitter, Fields, ParseError};

/// Longest line kept; the rest of a longer line is read and dropped so one huge line cannot exhaust memory.
pub(crate) const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line from a [`LineReader`], without its line terminator.
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The line's bytes, cut at [`MAX_LINE_BYTES`] when it is longer.
    pub bytes: &'a [u8],
    /// The full length, when the line was longer than the limit.
    pub overflow: Option<u64>,
}

/// Reads lines into one reused buffer.
pub(crate) struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    number: u64,
    overflow: Option<u64>,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self::with_limit(reader, MAX_LINE_BYTES)
    }

    pub(crate) fn with_limit(reader: R, max: usize) -> Self {
        LineReader {
            reader,
            buf: Vec::with_capacity(4096),
            number: 0,
            overflow: None,
            max,
        }
    }

    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        self.overflow = None;
        let mut total: u64 = 0;
        let mut read_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            read_any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            total += chunk.len() as u64;
            let room = self.max - self.buf.len();
            if chunk.len() <= room {
                self.buf.extend_from_slice(chunk);
            } else {
                self.buf.extend_from_slice(&chunk[..room]);
                self.overflow = Some(0);
            }
            self.reader.consume(used);
            if done {
                break;
            }
        }
        if !read_any {
            return Ok(None);
        }
        if self.overflow.is_some() {
            self.overflow = Some(total);
        } else if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        self.number += 1;
        if self.number == 1 && self.buf.starts_with(UTF8_BOM) {
            self.buf.drain(..UTF8_BOM.len());
        }
        Ok(Some(self.current()))
    }

    fn current(&self) -> Line<'_> {
        Line {
            number: self.number,
            bytes: &self.buf,
            overflow: self.overflow,
        }
    }
}

/// True for lines that hold no record: empty or only whitespace.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// A line-oriented log format: optional header or comment lines, then one record per line.
pub(crate) trait LineFormat {
    /// Consumes a line that is not a record (header, comment); `Ok(true)` when it was one.
    fn directive(&mut self, _line: &[u8], _number: u64) -> Result<bool, ParseError> {
        Ok(false)
    }

    /// Parses one record line, or says what is wrong with it.
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String>;

    /// The records of a line that holds several back to back (`{...}{...}`, a producer
    /// that dropped the newline between two records), each then parsed by
    /// [`Self::parse`]; `None` when the line is one record. Asked only of a line that
    /// [`Self::parse`] refused, or that [`Self::may_hold_several`] flags while records
    /// before the resume point are skipped.
    fn split<'t>(&mut self, _line: &'t str) -> Option<Vec<&'t str>> {
        None
    }

    /// A cheap test of whether a line may hold several records, so that skipping records
    /// before a resume point counts them as the first run did.
    fn may_hold_several(&self, _line: &[u8]) -> bool {
        false
    }
}

/// Reads every line, skipping blank lines and directives, and emits one record or error per remaining line.
pub(crate) fn parse_lines<R: BufRead, F: LineFormat>(
    lines: &mut LineReader<R>,
    format: &mut F,
    out: &mut Emitter<'_>,
) -> Result<(), ParseError> {
    let limit = lines.max;
    while let Some(line) = lines.next_line()? {
        if is_blank(line.bytes) {
            continue;
        }
        if line.overflow.is_none() && format.directive(line.bytes, line.number)? {
            continue;
        }
        if out.skipping() && (line.overflow.is_some() || !format.may_hold_several(line.bytes)) {
            out.skip();
            continue;
        }
        let number = Some(line.number);
        let flow = if let Some(len) = line.overflow {
            out.malformed(
                number,
                format!("line is {len} bytes long, over the {limit}-byte limit"),
                line.bytes,
            )
        } else {
            // Bytes that are not UTF-8 (a Latin-1 user agent, a cut multi-byte character)
            // are replaced, not a reason to drop the line; the event says so.
            // Checked once: the lossy conversion runs only on a line that needs it.
            let (text, invalid_utf8) = match std::str::from_utf8(line.bytes) {
                Ok(text) => (std::borrow::Cow::Borrowed(text), false),
                Err(_) => (String::from_utf8_lossy(line.bytes), true),
            };
            match format.parse(&text) {
                Ok(_) if out.skipping() => {
                    out.skip();
                    ControlFlow::Continue(())
                }
                Ok(fields) => out.record_from(number, fields, &text, invalid_utf8),
                Err(reason) => match format.split(&text) {
                    Some(records) => emit_each(format, out, number, &records, invalid_utf8),
                    None if out.skipping() => {
                        out.skip();
                        ControlFlow::Continue(())
                    }
                    None => out.malformed(number, reason, line.bytes),
                },
            }
        };
        if flow.is_break() {
            break;
        }
    }
    Ok(())
}

/// Emits each record of a line [`LineFormat::split`] cut, all with the line's number,
/// skipping those before the resume point.
fn emit_each<F: LineFormat>(
    format: &mut F,
    out: &mut Emitter<'_>,
    number: Option<u64>,
    records: &[&str],
    invalid_utf8: bool,
) -> ControlFlow<()> {
    for record in records {
        if out.skipping() {
            out.skip();
            continue;
        }
        let flow = match format.parse(record) {
            Ok(fields) => out.record_from(number, fields, record, invalid_utf8),
            Err(reason) => out.malformed(number, reason, record.as_bytes()),
        };
        if flow.is_break() {
            return flow;
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    fn all_lines(input: &[u8], max: usize) -> Vec<(u64, Vec<u8>, Option<u64>)> {
        // A tiny BufReader capacity makes lines span several fill_buf calls.
        let reader = io::BufReader::with_capacity(3, input);
        let mut lines = LineReader::with_limit(reader, max);
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            out.push((l.number, l.bytes.to_vec(), l.overflow));
        }
        out
    }

    #[test]
    fn lines_spanning_buffer_refills_are_joined_and_crlf_is_stripped() {
        let got = all_lines(b"first line\r\nsecond\n\nlast-without-newline", 1024);
        assert_eq!(
            got,
            vec![
                (1, b"first line".to_vec(), None),
                (2, b"second".to_vec(), None),
                (3, b"".to_vec(), None),
                (4, b"last-without-newline".to_vec(), None),
            ]
        );
    }

    #[test]
    fn line_over_limit_is_cut_and_reports_full_length_then_reading_continues() {
        let got = all_lines(b"0123456789abcdef\nok\n", 8);
        assert_eq!(got[0], (1, b"01234567".to_vec(), Some(16)));
        assert_eq!(got[1], (2, b"ok".to_vec(), None));
    }

    #[test]
    fn utf8_bom_is_removed_from_first_line_only() {
        let got = all_lines(b"\xEF\xBB\xBFa\n\xEF\xBB\xBFb\n", 1024);
        assert_eq!(got[0].1, b"a".to_vec());
        assert_eq!(got[1].1, b"\xEF\xBB\xBFb".to_vec());
    }

    struct Upper;

    impl LineFormat for Upper {
        fn directive(&mut self, line: &[u8], _number: u64) -> Result<bool, ParseError> {
            Ok(line.starts_with(b"#"))
        }

        fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
            if line.contains("bad") {
                return Err("contains bad".to_owned());
            }
            let mut m = Map::new();
            m.insert("up".to_owned(), Value::String(line.to_uppercase()));
            Ok(Fields::Map(m))
        }
    }

    #[test]
    fn parse_lines_reports_overlong_bad_and_good_lines_and_skips_directives() {
        let input = b"# note\nok\n0123456789abcdef\nbad one\n\nfine\n";
        let mut lines = LineReader::with_limit(&input[..], 8);
        let mut got = Vec::new();
        let mut emit = |item: Result<crate::logs::ParsedRecord, crate::logs::RecordError>| {
            got.push(
                item.map(|r| (r.index, r.line))
                    .map_err(|e| (e.index, e.line, e.reason)),
            );
            std::ops::ControlFlow::Continue(())
        };
        let mut out = Emitter::new(&mut emit, 0);
        parse_lines(&mut lines, &mut Upper, &mut out).unwrap();
        let summary = out.summary;
        assert_eq!((summary.records, summary.malformed), (2, 2), "{got:?}");
        assert_eq!(got[0], Ok((0, Some(2))));
        assert_eq!(
            got[1],
            Err((
                1,
                Some(3),
                "line is 16 bytes long, over the 8-byte limit".to_owned()
            ))
        );
        assert_eq!(got[2], Err((2, Some(4), "contains bad".to_owned())));
        assert_eq!(got[3], Ok((3, Some(6))));
    }
}
