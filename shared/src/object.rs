//! Reading objects: compression detection, streaming decompression, and a guard against
//! decompression bombs. Memory stays flat whatever the object's size: everything here
//! is a `Read` adapter over the byte stream.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How an object's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip, including files of several concatenated members.
    Gzip,
    /// Zstandard.
    Zstd,
    /// Not compressed.
    None,
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "uncompressed",
        })
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Chooses the compression from the object's metadata, its key and its first bytes.
///
/// Explicit signals come first, in this order: `Content-Encoding`, a compression
/// `Content-Type` (`application/gzip`, `application/zstd`...), the key suffix. The first
/// bytes then confirm the choice: a `.gz` key whose bytes are not gzip (a mislabelled
/// upload) is read as what its bytes are, rather than failing the whole object.
pub fn detect(
    content_encoding: Option<&str>,
    content_type: Option<&str>,
    key: &str,
    head: &[u8],
) -> Compression {
    let by_magic = if head.starts_with(&GZIP_MAGIC) {
        Some(Compression::Gzip)
    } else if head.starts_with(&ZSTD_MAGIC) {
        Some(Compression::Zstd)
    } else {
        None
    };
    let declared = from_encoding(content_encoding)
        .or_else(|| from_content_type(content_type))
        .or_else(|| from_suffix(key));
    match (declared, by_magic) {
        (Some(d), Some(m)) if d == m => d,
        // Declared compressed but the bytes disagree: trust the bytes.
        (Some(Compression::Gzip | Compression::Zstd), m) => m.unwrap_or(Compression::None),
        (Some(Compression::None), Some(m)) => m,
        (Some(d), _) => d,
        (None, m) => m.unwrap_or(Compression::None),
    }
}

fn from_encoding(value: Option<&str>) -> Option<Compression> {
    let v = value?.trim().to_ascii_lowercase();
    match v.as_str() {
        "gzip" | "x-gzip" => Some(Compression::Gzip),
        "zstd" => Some(Compression::Zstd),
        "identity" => Some(Compression::None),
        _ => None,
    }
}

fn from_content_type(value: Option<&str>) -> Option<Compression> {
    let v = value?.split(';').next()?.trim().to_ascii_lowercase();
    match v.as_str() {
        "application/gzip" | "application/x-gzip" | "application/gzip-compressed" => {
            Some(Compression::Gzip)
        }
        "application/zstd" | "application/x-zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

fn from_suffix(key: &str) -> Option<Compression> {
    let lower = key.to_ascii_lowercase();
    if lower.ends_with(".gz") || lower.ends_with(".gzip") {
        Some(Compression::Gzip)
    } else if lower.ends_with(".zst") || lower.ends_with(".zstd") {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// Limits on decompressed output, so a small hostile object cannot exhaust the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BombLimits {
    /// Largest decompressed size accepted for one object.
    pub max_output_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes.
    pub max_ratio: u64,
    /// Output below this size is never judged by ratio: tiny files compress absurdly well.
    pub ratio_grace_bytes: u64,
}

impl Default for BombLimits {
    fn default() -> Self {
        BombLimits {
            max_output_bytes: 20 * 1024 * 1024 * 1024,
            max_ratio: 1000,
            ratio_grace_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why decompression was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BombError {
    /// Output passed the absolute limit.
    #[error(
        "decompressed size passed the limit of {limit} bytes (S3CONNECTOR_MAX_DECOMPRESSED_BYTES)"
    )]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Output grew too fast relative to input.
    #[error("compression ratio passed {limit}:1 ({output} bytes from {input}) (S3CONNECTOR_MAX_COMPRESSION_RATIO)")]
    Ratio {
        /// The limit.
        limit: u64,
        /// Decompressed bytes so far.
        output: u64,
        /// Compressed bytes so far.
        input: u64,
    },
}

impl BombError {
    /// Finds a bomb error inside an I/O error raised by [`open`]'s reader.
    pub fn from_io(e: &io::Error) -> Option<&BombError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<BombError>())
    }
}

/// An error reading the object's raw bytes (network, S3 stream reset): transient, unlike
/// errors raised by the decoders on bad data.
#[derive(Debug, thiserror::Error)]
#[error("reading the object's bytes failed: {0}")]
pub struct SourceReadError(pub io::Error);

impl SourceReadError {
    /// Finds a source read error inside an I/O error raised by [`open`]'s reader.
    pub fn from_io(e: &io::Error) -> Option<&SourceReadError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<SourceReadError>())
    }
}

/// Counts bytes read through it into a shared counter, marking its errors as source errors.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), SourceReadError(e)))?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops decompressed output that breaks [`BombLimits`].
struct Guard<R> {
    inner: R,
    input: Arc<AtomicU64>,
    output: u64,
    limits: BombLimits,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.output += n as u64;
        if self.output > self.limits.max_output_bytes {
            return Err(io::Error::other(BombError::TooLarge {
                limit: self.limits.max_output_bytes,
            }));
        }
        let input = self.input.load(Ordering::Relaxed).max(1);
        if self.output > self.limits.ratio_grace_bytes
            && self.output / input > self.limits.max_ratio
        {
            return Err(io::Error::other(BombError::Ratio {
                limit: self.limits.max_ratio,
                output: self.output,
                input,
            }));
        }
        Ok(n)
    }
}

/// A decompressed, buffered view of an object's bytes.
pub struct Opened {
    /// The decompressed stream.
    pub reader: Box<dyn BufRead + Send>,
    /// The compression that was detected.
    pub compression: Compression,
}

/// Size of the read buffers: large enough for throughput, small enough to stay flat.
const BUFFER: usize = 256 * 1024;

/// Wraps a raw object stream: detects the compression and returns a guarded decoder.
pub fn open<R: Read + Send + 'static>(
    raw: R,
    content_encoding: Option<&str>,
    content_type: Option<&str>,
    key: &str,
    limits: BombLimits,
) -> io::Result<Opened> {
    let input = Arc::new(AtomicU64::new(0));
    let mut buffered = BufReader::with_capacity(
        BUFFER,
        Counting {
            inner: raw,
            count: input.clone(),
        },
    );
    let head = buffered.fill_buf()?.to_vec();
    let compression = detect(content_encoding, content_type, key, &head);
    let decoded: Box<dyn Read + Send> = match compression {
        // MultiGzDecoder: CloudTrail and Firehose deliver files made of several gzip members.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
        Compression::None => Box::new(buffered),
    };
    let guarded = Guard {
        inner: decoded,
        input,
        output: 0,
        limits,
    };
    Ok(Opened {
        reader: Box::new(BufReader::with_capacity(BUFFER, guarded)),
        compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(o: Opened) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut r = o.reader;
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn content_encoding_wins_over_suffix() {
        let gz = gzip(b"x");
        assert_eq!(
            detect(Some("gzip"), None, "file.log", &gz),
            Compression::Gzip
        );
        assert_eq!(
            detect(Some("identity"), None, "file.log", b"plain"),
            Compression::None
        );
    }

    #[test]
    fn compression_content_type_is_used_but_json_is_not_a_compression() {
        let gz = gzip(b"x");
        assert_eq!(
            detect(None, Some("application/x-gzip"), "k", &gz),
            Compression::Gzip
        );
        // CloudTrail writes .json.gz objects with Content-Type application/json.
        assert_eq!(
            detect(None, Some("application/json"), "a.json.gz", &gz),
            Compression::Gzip
        );
    }

    #[test]
    fn suffix_then_magic_bytes_decide() {
        let gz = gzip(b"x");
        assert_eq!(detect(None, None, "a.log.gz", &gz), Compression::Gzip);
        assert_eq!(detect(None, None, "a.zst", &ZSTD_MAGIC), Compression::Zstd);
        assert_eq!(detect(None, None, "no-suffix", &gz), Compression::Gzip);
        assert_eq!(
            detect(None, None, "no-suffix", b"{\"Records\""),
            Compression::None
        );
    }

    #[test]
    fn mislabelled_gz_key_with_plain_bytes_is_read_as_plain() {
        assert_eq!(
            detect(None, None, "a.log.gz", b"2 123456789012 eni"),
            Compression::None
        );
    }

    #[test]
    fn multi_member_gzip_is_read_to_the_end() {
        let mut data = gzip(b"first member\n");
        data.extend(gzip(b"second member\n"));
        let o = open(
            io::Cursor::new(data),
            None,
            None,
            "k.gz",
            BombLimits::default(),
        )
        .unwrap();
        assert_eq!(o.compression, Compression::Gzip);
        assert_eq!(read_all(o).unwrap(), b"first member\nsecond member\n");
    }

    #[test]
    fn zstd_is_decompressed() {
        let data = zstd::encode_all(&b"zstd body\n"[..], 3).unwrap();
        let o = open(
            io::Cursor::new(data),
            None,
            None,
            "k",
            BombLimits::default(),
        )
        .unwrap();
        assert_eq!(o.compression, Compression::Zstd);
        assert_eq!(read_all(o).unwrap(), b"zstd body\n");
    }

    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "reset by peer",
            ))
        }
    }

    #[test]
    fn source_errors_are_marked_and_truncated_data_is_not() {
        // Detection reads the head in `open`, so the error may surface there or on read.
        let err = match open(Broken, None, None, "k", BombLimits::default()) {
            Err(e) => e,
            Ok(o) => read_all(o).unwrap_err(),
        };
        assert!(SourceReadError::from_io(&err).is_some(), "{err}");
        let truncated = gzip(&vec![b'x'; 10_000])[..20].to_vec();
        let err = read_all(
            open(
                io::Cursor::new(truncated),
                None,
                None,
                "k.gz",
                BombLimits::default(),
            )
            .unwrap(),
        )
        .unwrap_err();
        assert!(SourceReadError::from_io(&err).is_none(), "{err}");
    }

    #[test]
    fn decompression_bomb_is_stopped_by_ratio() {
        let data = gzip(&vec![b'a'; 4 * 1024 * 1024]);
        let limits = BombLimits {
            max_output_bytes: u64::MAX,
            max_ratio: 50,
            ratio_grace_bytes: 1024,
        };
        let err =
            read_all(open(io::Cursor::new(data), None, None, "k.gz", limits).unwrap()).unwrap_err();
        assert!(
            matches!(
                BombError::from_io(&err),
                Some(BombError::Ratio { limit: 50, .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn output_over_absolute_limit_is_stopped() {
        let limits = BombLimits {
            max_output_bytes: 1000,
            ..BombLimits::default()
        };
        let err =
            read_all(open(io::Cursor::new(vec![b'x'; 5000]), None, None, "k", limits).unwrap())
                .unwrap_err();
        assert_eq!(
            BombError::from_io(&err),
            Some(&BombError::TooLarge { limit: 1000 })
        );
        assert!(err
            .to_string()
            .contains("S3CONNECTOR_MAX_DECOMPRESSED_BYTES"));
    }
}
