//! What the classifier reads of a stored object before its format is chosen: the
//! decompressed bytes up to where a truncated or corrupt compressed stream stops (the part
//! before is still classified, the object reported `PARTIAL`), and text in UTF-16 or with
//! a UTF-8 byte-order mark decoded to plain UTF-8 (`encoding_rs_io`, streaming).

use std::io::{self, BufRead, Read};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

use crate::object::{BombError, SourceReadError};

/// A decompressed stream that ends, instead of failing, where its decoder finds the
/// compressed data truncated or corrupt, and remembers why. Errors reading the stored
/// bytes themselves (network, deadline) and decompression-bomb limits stay errors: those
/// say nothing about the content, or must stop the read.
pub(crate) struct UntilCorrupt<R> {
    inner: R,
    /// The compression being undone (`gzip`); `None` when the object is not compressed,
    /// so every error stays an error.
    compression: Option<String>,
    /// Decompressed bytes handed out so far.
    read: u64,
    /// The decoder's message, once it stopped.
    stopped: Option<String>,
}

impl<R> UntilCorrupt<R> {
    pub fn new(inner: R, compression: Option<String>) -> Self {
        UntilCorrupt {
            inner,
            compression,
            read: 0,
            stopped: None,
        }
    }

    /// Why the stream ended early, in words, when it did.
    pub fn stopped(&self) -> Option<String> {
        let (message, compression) = (self.stopped.as_ref()?, self.compression.as_ref()?);
        Some(format!(
            "the {compression} stream is truncated or corrupt after {} decompressed bytes \
             ({message}); findings cover the bytes before",
            self.read
        ))
    }

    /// Whether `e` is the decoder's verdict on the content (ends the stream).
    fn ends_stream(&mut self, e: &io::Error) -> bool {
        let content = self.compression.is_some()
            && e.kind() != io::ErrorKind::Interrupted
            && SourceReadError::from_io(e).is_none()
            && BombError::from_io(e).is_none();
        if content {
            self.stopped = Some(e.to_string());
        }
        content
    }
}

impl<R: Read> Read for UntilCorrupt<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) if self.ends_stream(&e) => Ok(0),
            Err(e) => Err(e),
        }
    }
}

impl<R: BufRead> BufRead for UntilCorrupt<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.stopped.is_some() {
            return Ok(&[]);
        }
        if let Err(e) = self.inner.fill_buf() {
            if self.ends_stream(&e) {
                return Ok(&[]);
            }
            return Err(e);
        }
        // Buffered now: this call does not read.
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read += amt as u64;
        self.inner.consume(amt);
    }
}

/// How a text object's bytes are encoded, when not plain UTF-8 (or ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    /// UTF-8 behind its byte-order mark (`EF BB BF`, Windows editors and exports).
    Utf8Bom,
    /// UTF-16, little- or big-endian, with or without a byte-order mark.
    Utf16(&'static Encoding),
}

impl TextEncoding {
    /// The name reported in [`super::ObjectReport::encoding`].
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8Bom => "UTF-8 BOM",
            TextEncoding::Utf16(e) if e == UTF_16BE => "UTF-16BE",
            TextEncoding::Utf16(_) => "UTF-16LE",
        }
    }

    /// Reads `head`, an object's first decompressed bytes: its byte-order mark, or without
    /// one a UTF-16 layout where at least 95% of at least 16 code units are printable
    /// ASCII or whitespace (a zero byte beside each character, on the same side); a binary
    /// file with some UTF-16 strings in it does not pass. UTF-32 marks are not UTF-16.
    pub fn sniff(head: &[u8]) -> Option<TextEncoding> {
        if head.starts_with(b"\xEF\xBB\xBF") {
            return Some(TextEncoding::Utf8Bom);
        }
        if head.starts_with(b"\xFF\xFE\0\0") {
            return None;
        }
        if head.starts_with(b"\xFF\xFE") {
            return Some(TextEncoding::Utf16(UTF_16LE));
        }
        if head.starts_with(b"\xFE\xFF") {
            return Some(TextEncoding::Utf16(UTF_16BE));
        }
        let sample = &head[..head.len().min(4096) & !1];
        let units = sample.len() / 2;
        if units < 16 {
            return None;
        }
        let ascii = |c: u8| c == b'\t' || c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c);
        let count = |little: bool| {
            sample
                .chunks_exact(2)
                .filter(|u| {
                    let (lo, hi) = if little { (u[0], u[1]) } else { (u[1], u[0]) };
                    hi == 0 && ascii(lo)
                })
                .count()
        };
        for (little, encoding) in [(true, UTF_16LE), (false, UTF_16BE)] {
            if count(little) * 100 >= units * 95 {
                return Some(TextEncoding::Utf16(encoding));
            }
        }
        None
    }

    /// `reader` (positioned at the object's first byte) decoded to UTF-8, the byte-order
    /// mark left out; invalid sequences become U+FFFD.
    pub fn decode<'a, R: BufRead + 'a>(self, mut reader: R) -> Box<dyn BufRead + 'a> {
        match self {
            TextEncoding::Utf8Bom => {
                reader.consume(3);
                Box::new(reader)
            }
            TextEncoding::Utf16(encoding) => Box::new(io::BufReader::with_capacity(
                256 * 1024,
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding))
                    .bom_override(true)
                    .strip_bom(true)
                    .build(reader),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if little { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            out.extend(if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        out
    }

    fn decoded(bytes: &[u8]) -> (Option<&'static str>, String) {
        let enc = TextEncoding::sniff(bytes);
        let mut out = String::new();
        match enc {
            Some(e) => e.decode(bytes).read_to_string(&mut out).unwrap(),
            None => (&bytes[..]).read_to_string(&mut out).unwrap(),
        };
        (enc.map(TextEncoding::name), out)
    }

    #[test]
    fn utf16_with_and_without_bom_and_utf8_bom_decode_to_utf8() {
        let text = "Name,Email\r\nJane Müller,jane@example.org\r\n";
        for (little, name) in [(true, "UTF-16LE"), (false, "UTF-16BE")] {
            for bom in [true, false] {
                let (enc, out) = decoded(&utf16(text, little, bom));
                assert_eq!(enc, Some(name), "bom {bom}");
                assert_eq!(out, text, "{name} bom {bom}");
            }
        }
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend(text.as_bytes());
        assert_eq!(decoded(&bom8), (Some("UTF-8 BOM"), text.to_string()));
        assert_eq!(decoded(text.as_bytes()), (None, text.to_string()));
    }

    #[test]
    fn binary_and_short_or_mixed_heads_are_not_utf16() {
        // UTF-32 LE with its mark, a short UTF-16 run, bytes with scattered zeros.
        assert_eq!(TextEncoding::sniff(b"\xFF\xFE\0\0a\0\0\0"), None);
        assert_eq!(TextEncoding::sniff(&utf16("hi there", true, false)), None);
        let mut binary = Vec::new();
        for i in 0..512u32 {
            binary.extend(i.wrapping_mul(2_654_435_761).to_le_bytes());
        }
        assert_eq!(TextEncoding::sniff(&binary), None);
        // A PE-like header with a few UTF-16 strings: most units are not ASCII.
        let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0".repeat(8);
        pe.extend(utf16("FileDescription", true, false));
        assert_eq!(TextEncoding::sniff(&pe), None);
    }

    #[test]
    fn a_stream_stops_at_a_corrupt_compressed_tail_and_says_where() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b"line of text\n".repeat(10_000)).unwrap();
        let gz = gz.finish().unwrap();
        let cut = gz[..gz.len() / 2].to_vec();
        let decoder = flate2::read::GzDecoder::new(io::Cursor::new(cut));
        let mut r = UntilCorrupt::new(io::BufReader::new(decoder), Some("gzip".into()));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert!(!out.is_empty() && out.len() < 130_000, "{}", out.len());
        let why = r.stopped().unwrap();
        assert!(
            why.contains("gzip stream is truncated or corrupt after"),
            "{why}"
        );
        assert!(why.contains(&out.len().to_string()), "{why}");
        // Not compressed: an error is an error.
        struct Fails;
        impl Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let mut plain = UntilCorrupt::new(Fails, None);
        assert!(plain.read(&mut [0u8; 4]).is_err());
        // A source error (network) or a bomb stays an error though compressed.
        struct Source;
        impl Read for Source {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other(SourceReadError(io::Error::other("reset"))))
            }
        }
        let mut source = UntilCorrupt::new(Source, Some("gzip".into()));
        assert!(source.read(&mut [0u8; 4]).is_err());
        assert!(source.stopped().is_none());
    }
}
