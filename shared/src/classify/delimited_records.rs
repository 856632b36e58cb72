//! Delimited records read as the `csv` crate reads them (RFC 4180 quoting, any of `\r`,
//! `\n`, `\r\n` ending a record, empty lines skipped, a leading UTF-8 BOM dropped, records
//! placed where that crate places them), but faster: a line without a quote, which is most
//! lines of most files, is cut at its delimiters with `memchr`; a record with a quote in
//! it goes through `csv_core`'s state machine, as every record did before. Both leave the
//! machine between records in the same state, so they can take turns.

use std::io::{self, Read};
use std::ops::Range;

use csv_core::ReadRecordResult;

/// The first read asks for this much, as the reader before did: the format sniffing
/// (binary content, CRLF line ends) looks at what it returns.
const FIRST_READ: usize = 256 * 1024;

/// A line longer than this without its end in the buffer is read by `csv_core` in
/// pieces, so one huge line does not grow the buffer with it.
const MAX_LINE: usize = 1 << 20;

/// Reads delimited records one at a time.
pub(crate) struct DelimitedRecords<R> {
    reader: R,
    core: csv_core::Reader,
    delimiter: u8,
    /// Whether lines without quotes may be cut here (not with a delimiter `csv_core`
    /// gives a meaning of its own).
    fast: bool,
    buf: Vec<u8>,
    /// Unread bytes: `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes and `\n`s consumed, as the `csv` crate counts them (its lines start at 1).
    byte: u64,
    line: u64,
    /// Where the current record was placed: line and byte.
    position: (u64, u64),
    /// The current record's fields: ranges of `buf`, or of `out` when it was unquoted.
    fields: Vec<Range<usize>>,
    in_out: bool,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Whether a record was read yet (the first goes through `csv_core`, which drops a
    /// BOM only at the start).
    started: bool,
}

impl<R: Read> DelimitedRecords<R> {
    /// A reader of `reader`'s records cut at `delimiter`.
    pub(crate) fn new(reader: R, delimiter: u8) -> Self {
        DelimitedRecords {
            reader,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            fast: !matches!(delimiter, b'"' | b'\r' | b'\n'),
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            byte: 0,
            line: 1,
            position: (1, 0),
            fields: Vec::new(),
            in_out: false,
            out: vec![0; 1024],
            ends: vec![0; 64],
            started: false,
        }
    }

    /// The first bytes, read in one call of up to [`FIRST_READ`] bytes.
    pub(crate) fn head(&mut self) -> io::Result<&[u8]> {
        if !self.started && self.end == 0 && !self.eof {
            self.buf.resize(FIRST_READ, 0);
            let n = read_some(&mut self.reader, &mut self.buf)?;
            self.end = n;
            self.eof = n == 0;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Whether the current record was read by `csv_core` (it had a quote the fast cut
    /// does not take, such as a line break inside a quoted field).
    pub(crate) fn quoted(&self) -> bool {
        self.in_out
    }

    /// Reads the next record; false at the end.
    pub(crate) fn read(&mut self) -> io::Result<bool> {
        self.head()?;
        self.position = (self.line, self.byte);
        self.fields.clear();
        if !self.started {
            self.started = true;
            return self.read_quoted();
        }
        if !self.fast {
            return self.read_quoted();
        }
        // Empty lines, and the `\n` of a `\r\n` that ended the last record.
        loop {
            if self.start == self.end && !self.fill()? {
                return Ok(false);
            }
            match self.buf[self.start] {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.start += 1;
            self.byte += 1;
        }
        loop {
            match self.cut_record() {
                Cut::Record => return Ok(true),
                Cut::Quoted => return self.read_quoted(),
                Cut::NeedMore if self.end - self.start > MAX_LINE => return self.read_quoted(),
                Cut::NeedMore => {
                    self.fill()?;
                }
            }
        }
    }

    /// Cuts the record at the start of the unread bytes, when it is plain: fields unquoted
    /// without a quote, or quoted without an escaped quote or a line end inside, each
    /// followed by the delimiter or the record's end.
    fn cut_record(&mut self) -> Cut {
        self.fields.clear();
        let bytes = &self.buf[..self.end];
        let mut at = self.start;
        loop {
            let field = if bytes.get(at) == Some(&b'"') {
                // The closing quote, or a line end before it (one search for both).
                let close = match memchr::memchr3(b'"', b'\n', b'\r', &bytes[at + 1..]) {
                    Some(i) if bytes[at + 1 + i] == b'"' => at + 1 + i,
                    Some(_) => return Cut::Quoted,
                    None if self.eof => return Cut::Quoted,
                    None => return Cut::NeedMore,
                };
                let field = at + 1..close;
                at = close + 1;
                field
            } else {
                let from = at;
                while at < bytes.len()
                    && !matches!(bytes[at], b'\n' | b'\r' | b'"')
                    && bytes[at] != self.delimiter
                {
                    at += 1;
                }
                if bytes.get(at) == Some(&b'"') {
                    return Cut::Quoted;
                }
                from..at
            };
            self.fields.push(field);
            match bytes.get(at) {
                Some(&b) if b == self.delimiter => at += 1,
                Some(b'\n') => {
                    self.line += 1;
                    at += 1;
                    break;
                }
                Some(b'\r') => {
                    at += 1;
                    break;
                }
                // After a closing quote, anything else (`"a"b`, `"a""b"`) is csv_core's.
                Some(_) => return Cut::Quoted,
                None if self.eof => break,
                None => return Cut::NeedMore,
            }
        }
        self.in_out = false;
        self.byte += (at - self.start) as u64;
        self.start = at;
        Cut::Record
    }

    /// Reads the next record through `csv_core`.
    fn read_quoted(&mut self) -> io::Result<bool> {
        // Fields a cut that gave up on the record may have left.
        self.fields.clear();
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
            }
            let input = &self.buf[self.start..self.end];
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            self.line += memchr::memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.byte += nin as u64;
            self.start += nin;
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {
                    if self.start == self.end && !self.fill()? {
                        // The end: `csv_core` is told with an empty input.
                        continue;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let n = self.out.len().max(1024);
                    self.out.resize(n * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len().max(64);
                    self.ends.resize(n * 2, 0);
                }
                ReadRecordResult::Record => {
                    let mut from = 0;
                    for &end in &self.ends[..endlen] {
                        self.fields.push(from..end);
                        from = end;
                    }
                    self.in_out = true;
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// Reads more into the buffer, keeping the unread bytes; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.buf.len() - self.end < FIRST_READ / 2 {
            let n = self.buf.len().max(FIRST_READ);
            self.buf.resize(n * 2, 0);
        }
        let n = read_some(&mut self.reader, &mut self.buf[self.end..])?;
        self.end += n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Where the `csv` crate places the current record: its line, and its byte offset.
    pub(crate) fn position(&self) -> (u64, u64) {
        self.position
    }

    /// The current record's fields.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let bytes = if self.in_out { &self.out } else { &self.buf };
        self.fields.iter().map(move |r| &bytes[r.clone()])
    }
}

/// What [`DelimitedRecords::cut_record`] made of the unread bytes.
enum Cut {
    /// A record, now current.
    Record,
    /// A record for `csv_core` (nothing was consumed).
    Quoted,
    /// The record may go on past the bytes read (nothing was consumed).
    NeedMore,
}

fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Records = Vec<((u64, u64), Vec<Vec<u8>>)>;

    fn ours(bytes: &[u8], delimiter: u8, chunk: usize) -> Records {
        let reader = Chunked(bytes, chunk);
        let mut r = DelimitedRecords::new(reader, delimiter);
        let mut out = Vec::new();
        while r.read().unwrap() {
            out.push((r.position(), r.fields().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// The `csv` crate's reading, given the same reads (a BOM cut by the first read stays).
    fn theirs(bytes: &[u8], delimiter: u8, chunk: usize) -> Records {
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(Chunked(bytes, chunk));
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while csv.read_byte_record(&mut record).unwrap() {
            let p = record.position().unwrap();
            out.push((
                (p.line(), p.byte()),
                record.iter().map(<[u8]>::to_vec).collect(),
            ));
        }
        out
    }

    /// A reader returning at most `.1` bytes a call.
    struct Chunked<'a>(&'a [u8], usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn records_and_positions_are_the_csv_crates() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"a,b\r\n1,2\r\n\r\n3,4\r\n",
            b"\xef\xbb\xbfa,b\n1,2",
            b"\n\n\na,b\n\n",
            b"x,\"q,\"\"uoted\"\"\nmore\",y\n1,2\n",
            b"bad \"quote,1\n2,3\n",
            b"\"unterminated,1\n2,3\n",
            b"\"a\"b,c\n",
            b"a\rb\rc\n,,\n ,\t\n",
            b"",
            b"\r\n",
            b"\xff\xfe,\xc3\x28\n\"\xef\xbb\xbf\",1\n",
        ];
        for bytes in cases {
            for chunk in [1, 2, 3, 7, 1 << 20] {
                assert_eq!(
                    ours(bytes, b',', chunk),
                    theirs(bytes, b',', chunk),
                    "{:?} in chunks of {chunk}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }

    #[test]
    fn random_bytes_read_as_the_csv_crate_reads_them_and_never_panic() {
        let alphabet = b"ab,;\"\r\n \t1\xef\xbb\xbf";
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 48) as usize;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(alphabet[(state >> 32) as usize % alphabet.len()]);
            }
            for delimiter in [b',', b';', b'"'] {
                let chunk = 1 + (state % 9) as usize;
                assert_eq!(
                    ours(&bytes, delimiter, chunk),
                    theirs(&bytes, delimiter, chunk),
                    "{:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_read_whole() {
        let mut bytes = vec![b'x'; MAX_LINE + FIRST_READ * 3];
        bytes.extend_from_slice(b",y\n1,2\n");
        assert_eq!(ours(&bytes, b',', 1 << 16), theirs(&bytes, b',', 1 << 16));
    }
}
