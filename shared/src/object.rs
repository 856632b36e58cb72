//! Reading objects: compression detection, streaming decompression, and a guard against
//! decompression bombs. Memory stays flat whatever the object's size: everything here
//! is a `Read` adapter over the byte stream.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod gzip;
use self::gzip::GzipMembers;
use crate::config::{whole_number, ConfigError};

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
    let by_magic = by_magic(head);
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

/// Limits on decompression, so a small hostile object cannot exhaust the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BombLimits {
    /// Largest decompressed size accepted for one object, per compression layer.
    pub max_output_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes.
    pub max_ratio: u64,
    /// Output below this size is never judged by ratio: tiny files compress absurdly well.
    pub ratio_grace_bytes: u64,
    /// Largest zstd window accepted, as a power of two (`S3CONNECTOR_ZSTD_MAX_WINDOW_LOG`):
    /// a zstd decoder allocates the window a frame declares, up to this.
    pub zstd_max_window_log: u32,
}

/// Default zstd window limit: 2^25 bytes (32 MiB).
///
/// Every standard compression level up to 20 needs at most this (level 19 uses 2^23,
/// level 20 2^25); only `--ultra` levels 21-22 and `--long` (2^27) need more. Log
/// shippers that write zstd (Vector, Fluent Bit) use level 3, 2^21 at most. The zstd
/// library's own default of 2^27 would let one small frame claim 128 MiB, most of a
/// small Lambda function's memory.
pub const DEFAULT_ZSTD_MAX_WINDOW_LOG: u32 = 25;

/// Range accepted for [`BombLimits::zstd_max_window_log`]: zstd's own minimum and its
/// maximum on 64-bit platforms.
pub const ZSTD_WINDOW_LOG_RANGE: std::ops::RangeInclusive<u32> = 10..=31;

/// Compression layers undone at most: the object's own, and up to two inside it (Firehose
/// compressing CloudWatch Logs data that is already gzip is two).
pub const MAX_LAYERS: usize = 3;

impl Default for BombLimits {
    fn default() -> Self {
        BombLimits {
            max_output_bytes: 20 * 1024 * 1024 * 1024,
            max_ratio: 1000,
            ratio_grace_bytes: 64 * 1024 * 1024,
            zstd_max_window_log: DEFAULT_ZSTD_MAX_WINDOW_LOG,
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
    /// A zstd frame declares a window larger than the configured limit.
    #[error("a zstd frame needs a window larger than 2^{max_log} bytes ({} MiB), the limit set by S3CONNECTOR_ZSTD_MAX_WINDOW_LOG; recompress with a smaller window (a level up to 19, no --long) or raise the limit", (1u64 << max_log) / (1024 * 1024))]
    ZstdWindow {
        /// The limit, as a power of two.
        max_log: u32,
    },
    /// Compressed data inside compressed data, deeper than [`MAX_LAYERS`].
    #[error("the object is compressed more than {max} times over (compressed data inside compressed data)")]
    TooManyLayers {
        /// The number of layers undone.
        max: usize,
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
    /// Compression found inside it, outermost first, and undone too (found by magic bytes).
    pub nested: Vec<Compression>,
}

/// Size of the read buffers: large enough for throughput, small enough to stay flat.
const BUFFER: usize = 256 * 1024;

type Stream = Box<dyn BufRead + Send>;

/// Wraps a raw object stream: detects the compression and returns a guarded decoder.
///
/// Compressed data found inside the decompressed data (by its magic bytes) is
/// decompressed too, up to [`MAX_LAYERS`] layers in all, each under the same
/// [`BombLimits`] measured against the object's own bytes: Firehose with GZIP turned on
/// writes CloudWatch Logs subscription data, itself gzip, as gzip around gzip.
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
    let head = buffered.fill_buf()?;
    let compression = detect(content_encoding, content_type, key, head);
    let mut reader = layer(compression, Box::new(buffered), &input, limits)?;
    let mut nested = Vec::new();
    while let Some(inner) = by_magic(reader.fill_buf()?) {
        if nested.len() + 1 >= MAX_LAYERS {
            return Err(io::Error::other(BombError::TooManyLayers {
                max: MAX_LAYERS,
            }));
        }
        nested.push(inner);
        reader = layer(inner, reader, &input, limits)?;
    }
    Ok(Opened {
        reader,
        compression,
        nested,
    })
}

/// The compression the first bytes show: gzip's member header, or a Zstandard frame,
/// which may start with a skippable frame (magic `0x184D2A50` to `0x184D2A5F`, RFC 8878
/// section 3.1.2: what `pzstd` and seekable-format writers put first; decoders skip it).
fn by_magic(head: &[u8]) -> Option<Compression> {
    let skippable = matches!(head, [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..]);
    if head.starts_with(&GZIP_MAGIC) {
        Some(Compression::Gzip)
    } else if head.starts_with(&ZSTD_MAGIC) || skippable {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// One decompression layer over `inner`, its output guarded by `limits`.
fn layer(
    compression: Compression,
    inner: Stream,
    input: &Arc<AtomicU64>,
    limits: BombLimits,
) -> io::Result<Stream> {
    let decoded: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(GzipMembers::new(inner)),
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(inner)?;
            decoder.window_log_max(limits.zstd_max_window_log)?;
            Box::new(ZstdWindowGuard {
                inner: decoder,
                max_log: limits.zstd_max_window_log,
            })
        }
        Compression::None => Box::new(inner),
    };
    Ok(Box::new(BufReader::with_capacity(
        BUFFER,
        Guard {
            inner: decoded,
            input: input.clone(),
            output: 0,
            limits,
        },
    )))
}

/// Names the zstd window limit when a frame asks for more: the library says only "Frame
/// requires too much memory for decoding".
struct ZstdWindowGuard<R> {
    inner: R,
    max_log: u32,
}

impl<R: Read> Read for ZstdWindowGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            // zstd reports errors by name only (ZSTD_error_frameParameter_windowTooLarge).
            if e.to_string().contains("requires too much memory") {
                io::Error::other(BombError::ZstdWindow {
                    max_log: self.max_log,
                })
            } else {
                e
            }
        })
    }
}

/// The decompression limits from `S3CONNECTOR_MAX_DECOMPRESSED_BYTES`,
/// `S3CONNECTOR_MAX_COMPRESSION_RATIO` and `S3CONNECTOR_ZSTD_MAX_WINDOW_LOG` read through
/// `lookup` (the defaults for unset ones): what ingest, the scan function and the CLI's
/// `classify`, `parse` and `scan` read objects with.
pub fn bomb_limits(lookup: &impl Fn(&str) -> Option<String>) -> Result<BombLimits, ConfigError> {
    let defaults = BombLimits::default();
    Ok(BombLimits {
        max_output_bytes: whole_number(
            lookup,
            "S3CONNECTOR_MAX_DECOMPRESSED_BYTES",
            defaults.max_output_bytes,
            1024 * 1024,
            u64::MAX,
            "bytes, at least 1048576",
        )?,
        max_ratio: whole_number(
            lookup,
            "S3CONNECTOR_MAX_COMPRESSION_RATIO",
            defaults.max_ratio,
            10,
            1_000_000,
            "10 to 1000000",
        )?,
        zstd_max_window_log: whole_number(
            lookup,
            "S3CONNECTOR_ZSTD_MAX_WINDOW_LOG",
            u64::from(defaults.zstd_max_window_log),
            u64::from(*ZSTD_WINDOW_LOG_RANGE.start()),
            u64::from(*ZSTD_WINDOW_LOG_RANGE.end()),
            "10 to 31 (the window is 2^n bytes: 25 is 32 MiB)",
        )? as u32,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// `data` gzipped by flate2 (also the reference the member reader is tested against).
    pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// The error of opening, or else of reading: `open` reads the head of the decoded
    /// data (to find nested compression), so a fault may show in either.
    fn open_then_read_err(opened: io::Result<Opened>) -> io::Error {
        match opened {
            Err(e) => e,
            Ok(o) => read_all(o).expect_err("reading should fail"),
        }
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

    /// Ingest trial 6, D3: a Zstandard object that starts with a skippable frame (what
    /// `pzstd` writes) is Zstandard, by key or by its bytes alone, and reads to the end.
    #[test]
    fn zstd_starting_with_a_skippable_frame_is_read() {
        for magic in [0x50u8, 0x5f] {
            let mut data = vec![magic, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
            data.extend(zstd::encode_all(&b"after the skippable frame\n"[..], 3).unwrap());
            for key in ["k.log.zst", "no-suffix"] {
                let o = open(
                    io::Cursor::new(data.clone()),
                    None,
                    None,
                    key,
                    BombLimits::default(),
                )
                .unwrap();
                assert_eq!(o.compression, Compression::Zstd, "{key}");
                assert_eq!(read_all(o).unwrap(), b"after the skippable frame\n");
            }
        }
        // Text that starts like the magic, without its last byte, is not compressed.
        assert_eq!(detect(None, None, "a.log", b"P*M text"), Compression::None);
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
        let err = open_then_read_err(open(Broken, None, None, "k", BombLimits::default()));
        assert!(SourceReadError::from_io(&err).is_some(), "{err}");
        let truncated = gzip(&vec![b'x'; 10_000])[..20].to_vec();
        let err = open_then_read_err(open_default(truncated, "k.gz"));
        assert!(SourceReadError::from_io(&err).is_none(), "{err}");
    }

    #[test]
    fn decompression_bomb_is_stopped_by_ratio() {
        let data = gzip(&vec![b'a'; 4 * 1024 * 1024]);
        let limits = BombLimits {
            max_output_bytes: u64::MAX,
            max_ratio: 50,
            ratio_grace_bytes: 1024,
            ..BombLimits::default()
        };
        let err = open_then_read_err(open(io::Cursor::new(data), None, None, "k.gz", limits));
        assert!(
            matches!(
                BombError::from_io(&err),
                Some(BombError::Ratio { limit: 50, .. })
            ),
            "{err}"
        );
    }

    fn open_default(data: Vec<u8>, key: &str) -> io::Result<Opened> {
        open(
            io::Cursor::new(data),
            None,
            None,
            key,
            BombLimits::default(),
        )
    }

    #[test]
    fn gzip_around_gzip_members_is_decompressed_to_the_inner_text() {
        // Firehose with GZIP on, delivering CloudWatch Logs data (each record already gzip).
        let inner = [gzip(b"{\"a\":1}"), gzip(b"{\"b\":2}")].concat();
        let o = open_default(gzip(&inner), "firehose/2026/11/23/10/stream-1").unwrap();
        assert_eq!(
            (o.compression, o.nested.clone()),
            (Compression::Gzip, vec![Compression::Gzip])
        );
        assert_eq!(read_all(o).unwrap(), b"{\"a\":1}{\"b\":2}");
    }

    #[test]
    fn zstd_inside_gzip_and_gzip_inside_zstd_are_both_undone() {
        let zst = zstd::encode_all(&b"inner zstd\n"[..], 3).unwrap();
        let o = open_default(gzip(&zst), "k.gz").unwrap();
        assert_eq!(o.nested, vec![Compression::Zstd]);
        assert_eq!(read_all(o).unwrap(), b"inner zstd\n");
        let outer = zstd::encode_all(&gzip(b"inner gzip\n")[..], 3).unwrap();
        let o = open_default(outer, "k.zst").unwrap();
        assert_eq!(
            (o.compression, o.nested.clone()),
            (Compression::Zstd, vec![Compression::Gzip])
        );
        assert_eq!(read_all(o).unwrap(), b"inner gzip\n");
    }

    #[test]
    fn gzip_members_separated_by_line_breaks_are_all_read() {
        let inner = [
            gzip(b"one\n"),
            b"\n".to_vec(),
            gzip(b"two\n"),
            b"\r\n".to_vec(),
        ]
        .concat();
        let o = open_default(gzip(&inner), "k.gz").unwrap();
        assert_eq!(read_all(o).unwrap(), b"one\ntwo\n");
        let o = open_default(inner, "k.gz").unwrap();
        assert_eq!(read_all(o).unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn compression_nested_deeper_than_the_limit_is_refused() {
        let mut data = b"deep".to_vec();
        for _ in 0..MAX_LAYERS {
            data = gzip(&data);
        }
        let o = open_default(data.clone(), "k.gz").unwrap();
        assert_eq!(o.nested.len(), MAX_LAYERS - 1);
        assert_eq!(read_all(o).unwrap(), b"deep");
        let err = match open_default(gzip(&data), "k.gz") {
            Err(e) => e,
            Ok(_) => panic!("{} layers accepted", MAX_LAYERS + 1),
        };
        assert_eq!(
            BombError::from_io(&err),
            Some(&BombError::TooManyLayers { max: MAX_LAYERS })
        );
    }

    #[test]
    fn nested_layers_are_each_under_the_bomb_guard() {
        let limits = BombLimits {
            max_output_bytes: 1000,
            ..BombLimits::default()
        };
        // The outer layer is small; the inner one would expand past the limit.
        let data = gzip(&gzip(&vec![b'a'; 5000]));
        let err = open_then_read_err(open(io::Cursor::new(data), None, None, "k.gz", limits));
        assert_eq!(
            BombError::from_io(&err),
            Some(&BombError::TooLarge { limit: 1000 })
        );
    }

    fn zstd_with_window(log: u32) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.window_log(log).unwrap();
        e.write_all(&vec![b'z'; 10_000]).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn zstd_frame_with_a_window_over_the_limit_is_refused_naming_the_setting() {
        let limits = BombLimits {
            zstd_max_window_log: 20,
            ..BombLimits::default()
        };
        let within = open(
            io::Cursor::new(zstd_with_window(20)),
            None,
            None,
            "k.zst",
            limits,
        )
        .unwrap();
        assert_eq!(read_all(within).unwrap().len(), 10_000);
        let err = open_then_read_err(open(
            io::Cursor::new(zstd_with_window(22)),
            None,
            None,
            "k.zst",
            limits,
        ));
        assert_eq!(
            BombError::from_io(&err),
            Some(&BombError::ZstdWindow { max_log: 20 })
        );
        assert!(
            err.to_string().contains("S3CONNECTOR_ZSTD_MAX_WINDOW_LOG"),
            "{err}"
        );
    }

    #[test]
    fn output_over_absolute_limit_is_stopped() {
        let limits = BombLimits {
            max_output_bytes: 1000,
            ..BombLimits::default()
        };
        let err = open_then_read_err(open(
            io::Cursor::new(vec![b'x'; 5000]),
            None,
            None,
            "k",
            limits,
        ));
        assert_eq!(
            BombError::from_io(&err),
            Some(&BombError::TooLarge { limit: 1000 })
        );
        assert!(err
            .to_string()
            .contains("S3CONNECTOR_MAX_DECOMPRESSED_BYTES"));
    }
}
