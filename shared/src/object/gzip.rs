//! Gzip members (RFC 1952) read one after another as one stream.
//!
//! CloudTrail and Firehose deliver files made of several gzip members. Unlike
//! `flate2`'s `MultiGzDecoder`, whitespace between members is skipped: Firehose's
//! "new line delimiter" option puts a line break after each record, also when the
//! records are themselves gzip (CloudWatch Logs subscription data).
//!
//! Each member's header is parsed here, its deflate data inflated by `flate2`
//! (zlib-rs), and its trailer checked against a CRC-32 computed with `crc32fast`,
//! which runs about twice as fast as the CRC `flate2`'s own gzip decoder computes
//! with the zlib-rs backend.

use std::io::{self, BufRead, Read};

use flate2::bufread::DeflateDecoder;

/// Header flags (RFC 1952 section 2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
/// Bits RFC 1952 reserves, which a decoder must refuse.
const RESERVED: u8 = 0xe0;

/// Decompresses every gzip member of `R`, checking each one's CRC-32 and length.
pub(super) struct GzipMembers<R: BufRead> {
    state: State<R>,
}

enum State<R: BufRead> {
    /// At a member's header: the first one (which must be there), or a later one
    /// (after optional whitespace, or the end of the input).
    Header { input: R, first: bool },
    /// Inflating a member's data, with the CRC-32 and length of its output so far.
    Data {
        inflate: DeflateDecoder<R>,
        crc: crc32fast::Hasher,
        len: u32,
    },
    /// After the last member, or after an error.
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    pub(super) fn new(input: R) -> Self {
        GzipMembers {
            state: State::Header { input, first: true },
        }
    }
}

fn invalid(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {reason}"))
}

/// Reads exactly `out.len()` bytes, feeding them to `crc`.
fn read_header_bytes(
    input: &mut impl BufRead,
    out: &mut [u8],
    crc: &mut crc32fast::Hasher,
) -> io::Result<()> {
    input.read_exact(out)?;
    crc.update(out);
    Ok(())
}

/// Skips a zero-terminated header field, feeding it to `crc`.
fn skip_zero_terminated(input: &mut impl BufRead, crc: &mut crc32fast::Hasher) -> io::Result<()> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match memchr::memchr(0, available) {
            Some(end) => {
                crc.update(&available[..=end]);
                input.consume(end + 1);
                return Ok(());
            }
            None => {
                let n = available.len();
                crc.update(available);
                input.consume(n);
            }
        }
    }
}

/// Reads a member's header, leaving `input` at its deflate data.
fn read_header(input: &mut impl BufRead) -> io::Result<()> {
    let mut crc = crc32fast::Hasher::new();
    let mut fixed = [0u8; 10];
    read_header_bytes(input, &mut fixed, &mut crc)?;
    if fixed[..3] != [0x1f, 0x8b, 8] {
        return Err(invalid("not a gzip member header (or not deflate)"));
    }
    let flags = fixed[3];
    if flags & RESERVED != 0 {
        return Err(invalid("reserved header flags are set"));
    }
    if flags & FEXTRA != 0 {
        let mut len = [0u8; 2];
        read_header_bytes(input, &mut len, &mut crc)?;
        let mut left = usize::from(u16::from_le_bytes(len));
        while left > 0 {
            let available = input.fill_buf()?;
            if available.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let n = available.len().min(left);
            crc.update(&available[..n]);
            input.consume(n);
            left -= n;
        }
    }
    if flags & FNAME != 0 {
        skip_zero_terminated(input, &mut crc)?;
    }
    if flags & FCOMMENT != 0 {
        skip_zero_terminated(input, &mut crc)?;
    }
    if flags & FHCRC != 0 {
        // The low 16 bits of the CRC-32 of the header bytes before it.
        let expected = crc.clone().finalize() as u16;
        let mut stored = [0u8; 2];
        input.read_exact(&mut stored)?;
        if u16::from_le_bytes(stored) != expected {
            return Err(invalid("the header's CRC-16 does not match it"));
        }
    }
    Ok(())
}

/// Skips whitespace and NUL bytes; whether anything follows them. NUL bytes after the
/// last member are padding (a tape or block-padded copy; GNU gzip ignores trailing zeros
/// too); within the stream they are skipped only when another member follows.
fn more_after_whitespace(input: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(false);
        }
        let blank = available
            .iter()
            .take_while(|c| c.is_ascii_whitespace() || **c == 0)
            .count();
        if blank == 0 {
            return Ok(true);
        }
        input.consume(blank);
    }
}

/// The error for bytes after a complete member that do not start another one.
fn trailing_data(input: &mut impl BufRead) -> io::Error {
    let head = input.fill_buf().map(|b| b.len().min(16)).unwrap_or(0);
    let shown = input
        .fill_buf()
        .map(|b| format!("{:02x?}", &b[..head]))
        .unwrap_or_default();
    invalid(&format!(
        "data after the last complete member is not another gzip member (it starts {shown}): \
         the object was damaged or had bytes appended after compression"
    ))
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(0),
                State::Header { mut input, first } => {
                    // The first member must be there; after it, only whitespace may end the stream.
                    if !first && !more_after_whitespace(&mut input)? {
                        return Ok(0);
                    }
                    // (The first byte alone: a buffer may end after it. The header check
                    // reads the rest.)
                    if !first && input.fill_buf()?.first() != Some(&0x1f) {
                        return Err(trailing_data(&mut input));
                    }
                    read_header(&mut input)?;
                    self.state = State::Data {
                        inflate: DeflateDecoder::new(input),
                        crc: crc32fast::Hasher::new(),
                        len: 0,
                    };
                }
                State::Data {
                    mut inflate,
                    mut crc,
                    len,
                } => {
                    let n = inflate.read(buf)?;
                    if n > 0 {
                        crc.update(&buf[..n]);
                        self.state = State::Data {
                            inflate,
                            crc,
                            // ISIZE is the length modulo 2^32.
                            len: len.wrapping_add(n as u32),
                        };
                        return Ok(n);
                    }
                    // The deflate data ended (or the input did: then the trailer is missing).
                    let mut input = inflate.into_inner();
                    let mut trailer = [0u8; 8];
                    input.read_exact(&mut trailer)?;
                    if trailer[..4] != crc.finalize().to_le_bytes() {
                        return Err(invalid("a member's CRC-32 does not match its data"));
                    }
                    if trailer[4..] != len.to_le_bytes() {
                        return Err(invalid("a member's length does not match its data"));
                    }
                    self.state = State::Header {
                        input,
                        first: false,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::gzip;
    use super::*;
    use std::io::Write;

    fn read_all(data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        // A small buffer: members end and start in the middle of reads.
        let mut input = io::BufReader::with_capacity(7, data);
        GzipMembers::new(&mut input).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn members_with_every_optional_header_field_are_read() {
        let mut named = flate2::GzBuilder::new()
            .filename("a.log")
            .comment("made by a test")
            .extra(vec![1, 2, 3, 4])
            .mtime(1_700_000_000)
            .write(Vec::new(), flate2::Compression::fast());
        named.write_all(b"named member\n").unwrap();
        let named = named.finish().unwrap();
        // FHCRC: the header of a plain member with the flag set and its CRC-16 after it.
        let plain = gzip(b"header crc\n");
        let mut header = plain[..10].to_vec();
        header[3] |= FHCRC;
        let crc16 = crc32fast::hash(&header) as u16;
        let with_hcrc = [&header[..], &crc16.to_le_bytes(), &plain[10..]].concat();
        let data = [
            named.clone(),
            b"\n".to_vec(),
            with_hcrc.clone(),
            gzip(b"last\n"),
        ]
        .concat();
        assert_eq!(
            read_all(&data).unwrap(),
            b"named member\nheader crc\nlast\n"
        );
        // A wrong CRC-16 is refused.
        let mut bad = with_hcrc.clone();
        bad[10] ^= 1;
        assert!(read_all(&bad).is_err());
    }

    #[test]
    fn damaged_or_truncated_members_are_errors_not_short_reads() {
        let good = [gzip(b"first member\n"), gzip(&vec![b'x'; 100_000])].concat();
        assert_eq!(read_all(&good).unwrap().len(), 13 + 100_000);
        let first_len = gzip(b"first member\n").len();
        // The CRC-32 and the length of the first member, and a byte of its data.
        for at in [first_len - 8, first_len - 4, first_len - 10] {
            let mut bad = good.clone();
            bad[at] ^= 0x55;
            assert!(read_all(&bad).is_err(), "byte {at} changed");
        }
        // Cut anywhere: inside a header, the data or a trailer.
        for cut in [0, 5, 12, first_len - 3, first_len + 4, good.len() - 1] {
            assert!(read_all(&good[..cut]).is_err(), "cut at {cut}");
        }
        // Something after a member that is not another one.
        let trailing = [gzip(b"a\n"), b"not gzip".to_vec()].concat();
        let err = read_all(&trailing).unwrap_err().to_string();
        assert!(err.contains("not another gzip member"), "{err}");
        // NUL padding after the last member (ingest trial 6, D4) is not data.
        let padded = [gzip(b"a\n"), vec![0; 4096], gzip(b"b\n"), vec![0; 511]].concat();
        assert_eq!(read_all(&padded).unwrap(), b"a\nb\n");
        // Reserved flags.
        let mut reserved = gzip(b"a\n");
        reserved[3] |= 0x20;
        assert!(read_all(&reserved).is_err());
    }

    #[test]
    fn output_is_what_flate2s_multi_member_decoder_gives() {
        let data = [
            gzip(b""),
            gzip(b"one\n"),
            gzip(&vec![b'z'; 300_000]),
            gzip(b"two"),
        ]
        .concat();
        let mut expected = Vec::new();
        flate2::read::MultiGzDecoder::new(&data[..])
            .read_to_end(&mut expected)
            .unwrap();
        assert_eq!(read_all(&data).unwrap(), expected);
    }
}
