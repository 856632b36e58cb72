//! The S3 sink: one compressed NDJSON object (or one OCSF Parquet file per class) per
//! chunk of an input object, at a deterministic, Athena/Glue-friendly key, so a retry
//! overwrites instead of duplicating.

use std::io::Write;
use std::time::Instant;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::layout::{event_day, OutputFormat, OutputLayout};
use super::parquet::{self, FirstEvent, ParquetError};
use super::{BatchSource, Events, Record, SinkError};
use crate::logs::detect::key_scope;
use crate::logs::LogType;

/// How output objects are compressed (`S3CONNECTOR_OUTPUT_COMPRESSION`).
///
/// Gzip at level 1 is the default: every tool reads it, and with the zlib-rs backend
/// it compresses OCSF NDJSON at several hundred MB/s, where level 6 spends about
/// twice the CPU for output a third smaller. Zstandard at level 1 is both faster and
/// smaller than any gzip level; Athena reads `.zst` JSON, so it is the cheaper choice
/// when every reader of the output bucket supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCompression {
    /// Gzip (`.json.gz`) at this level, 1 to 9.
    Gzip(u32),
    /// Zstandard (`.json.zst`) at this level, 1 to 19.
    Zstd(i32),
}

impl Default for OutputCompression {
    fn default() -> Self {
        OutputCompression::Gzip(1)
    }
}

impl std::str::FromStr for OutputCompression {
    type Err = String;

    /// `gzip`, `gzip:<1-9>`, `zstd` or `zstd:<1-19>`.
    fn from_str(value: &str) -> Result<Self, String> {
        let (name, level) = match value.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (value, None),
        };
        let level = |max: u32| -> Result<u32, String> {
            match level {
                None => Ok(1),
                Some(l) => l
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| format!("level {l:?} must be a whole number from 1 to {max}")),
            }
        };
        match name {
            "gzip" => Ok(OutputCompression::Gzip(level(9)?)),
            "zstd" => Ok(OutputCompression::Zstd(level(19)? as i32)),
            other => Err(format!("unknown compression {other:?}; use gzip or zstd")),
        }
    }
}

impl OutputCompression {
    /// The output key's file extension after `.json`.
    pub fn extension(self) -> &'static str {
        match self {
            OutputCompression::Gzip(_) => "gz",
            OutputCompression::Zstd(_) => "zst",
        }
    }

    /// Compresses records as NDJSON (one event per line) into one self-contained body.
    pub fn encode(self, records: &[Record]) -> Vec<u8> {
        let raw: usize = records.iter().map(|r| r.json.len() + 1).sum();
        let result = match self {
            OutputCompression::Gzip(level) => gzip(records, level, raw),
            OutputCompression::Zstd(level) => {
                zstd::stream::write::Encoder::new(Vec::with_capacity(raw / 8), level).and_then(
                    |mut z| {
                        write_lines(records, |batch| z.write_all(batch))?;
                        z.finish()
                    },
                )
            }
        };
        result.expect("compressing into a Vec cannot fail")
    }
}

/// One gzip member (RFC 1952) of the records as NDJSON: the header `flate2`'s
/// `GzEncoder` writes (no file name, mtime 0, so the same records give the same bytes),
/// raw deflate from `flate2` (zlib-rs), and the trailer, whose CRC-32 is computed with
/// `crc32fast`, which runs about twice as fast as the CRC `flate2` uses with the
/// zlib-rs backend (a seventh of the CPU of CloudTrail to NDJSON went to it).
fn gzip(records: &[Record], level: u32, raw: usize) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(raw / 8);
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL (4: fastest, 2: best) OS=255 (unknown).
    let xfl = match level {
        0 | 1 => 4,
        9.. => 2,
        _ => 0,
    };
    body.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
    let mut deflate = flate2::write::DeflateEncoder::new(body, flate2::Compression::new(level));
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u32;
    write_lines(records, |batch| {
        crc.update(batch);
        // ISIZE is the length modulo 2^32.
        len = len.wrapping_add(batch.len() as u32);
        deflate.write_all(batch)
    })?;
    let mut body = deflate.finish()?;
    body.extend_from_slice(&crc.finalize().to_le_bytes());
    body.extend_from_slice(&len.to_le_bytes());
    Ok(body)
}

/// Hands the records as NDJSON to `write` in batches of about 128 KiB, since
/// compressors run best on large inputs rather than one call per line.
fn write_lines(
    records: &[Record],
    mut write: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    const BATCH: usize = 128 * 1024;
    let mut batch = Vec::with_capacity(BATCH + 4096);
    for r in records {
        batch.extend_from_slice(r.json.as_bytes());
        batch.push(b'\n');
        if batch.len() >= BATCH {
            write(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        write(&batch)?;
    }
    Ok(())
}

/// The objects a chunk becomes (keys and bodies), with no client: the S3 sink uploads
/// them, and `s3connector parse` writes them to files, so both write the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkWriter {
    /// Key prefix (empty or ending in `/`).
    pub prefix: String,
    /// NDJSON compression.
    pub compression: OutputCompression,
    /// NDJSON or Parquet.
    pub format: OutputFormat,
    /// Partitioned or Security Lake keys.
    pub layout: OutputLayout,
}

/// One object to write for a chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputObject {
    /// Key under the output bucket.
    pub key: String,
    /// The object's bytes.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// How many records it holds.
    pub records: u64,
}

/// The `cloud` object of an OCSF event, all the partition needs of it (the rest of the
/// event is skipped, not built).
#[derive(Debug, Default, serde::Deserialize)]
struct CloudOf {
    #[serde(default)]
    cloud: Option<Cloud>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct Cloud {
    #[serde(default)]
    account: Option<CloudAccount>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct CloudAccount {
    #[serde(default)]
    uid: Option<String>,
}

/// What tells an NDJSON record's partition from another's within one chunk.
#[derive(PartialEq)]
enum PartitionOf {
    /// The day number (epoch days) alone: the key names account and region.
    Day(Option<i64>),
    /// Account, region and day, for keys that name neither.
    Named(String, String, String),
}

/// Milliseconds in a UTC day.
const DAY_MS: i64 = 86_400_000;

/// Account, region and `YYYY-MM-DD` day of a chunk's output partition.
struct Partition {
    account: String,
    region: String,
    day: String,
}

impl ChunkWriter {
    /// NDJSON in the partitioned layout, compressed with `compression`.
    pub fn ndjson(prefix: String, compression: OutputCompression) -> Self {
        ChunkWriter {
            prefix,
            compression,
            format: OutputFormat::Ndjson,
            layout: OutputLayout::Partitioned,
        }
    }

    /// Account and region from the source key's AWS convention; for keys without one
    /// (Firehose deliveries, arbitrary uploads) from the first event's `cloud` object,
    /// which `cloud` gives as (`account.uid`, `region`); the day from its `time_ms`.
    ///
    /// Where none of these has one, the Security Lake layout's configured default account
    /// and region stand in (see [`SecurityLakeSources`]), else `unknown`.
    fn partition(
        &self,
        source: &BatchSource,
        time_ms: Option<i64>,
        cloud: impl FnOnce() -> (Option<String>, Option<String>),
    ) -> Partition {
        let (default_account, default_region) = match &self.layout {
            OutputLayout::SecurityLake(lake) => {
                (lake.default_account.clone(), lake.default_region.clone())
            }
            OutputLayout::Partitioned => (None, None),
        };
        let scope = key_scope(&source.key);
        let day = time_ms.map(day_of).unwrap_or_else(|| "unknown".to_string());
        let (event_account, event_region) = if scope.account_id.is_none() || scope.region.is_none()
        {
            cloud()
        } else {
            (None, None)
        };
        let account = scope
            .account_id
            .map(str::to_owned)
            .or_else(|| event_account.filter(|a| is_account_id(a)))
            .or(default_account)
            .unwrap_or_else(|| "unknown".to_owned());
        let region = scope
            .region
            .map(str::to_owned)
            // Only a region's shape may name the partition; anything else (a host name
            // label such as `website-us-east-1`) leaves it to the configured region.
            .or_else(|| event_region.filter(|r| crate::logs::detect::is_region(r)))
            .or(default_region)
            .unwrap_or_else(|| "unknown".to_owned());
        Partition {
            account,
            region,
            day,
        }
    }

    /// The NDJSON output key for a chunk starting with record `first`. A chunk always
    /// starts with the same record, so retries keep the key.
    pub fn key_for(&self, source: &BatchSource, first: &Record) -> String {
        let Partition {
            account,
            region,
            day,
        } = self.record_partition(source, first);
        format!(
            "{}source={}/account={account}/region={region}/dt={day}/{}-{:010}.json.{}",
            self.prefix,
            source.log_type,
            source.object_id,
            source.first_index,
            self.compression.extension()
        )
    }

    /// The partition of one NDJSON record: its time's day, and the account and region of
    /// the key or, for keys without them, of the event's `cloud` object.
    fn record_partition(&self, source: &BatchSource, record: &Record) -> Partition {
        self.partition(source, record.time_ms, || {
            let cloud = serde_json::from_str::<CloudOf>(&record.json)
                .ok()
                .and_then(|e| e.cloud)
                .unwrap_or_default();
            (cloud.account.and_then(|a| a.uid), cloud.region)
        })
    }

    /// The Parquet key of a chunk's class `class_uid`, whose first event is `first`;
    /// `several` when the chunk holds more than one class (the name then says which).
    fn parquet_key(
        &self,
        source: &BatchSource,
        first: &FirstEvent,
        class_uid: u64,
        several: bool,
    ) -> String {
        let Partition {
            account,
            region,
            day,
        } = self.partition(source, first.time_ms, || {
            (first.account.clone(), first.region.clone())
        });
        let name = format!("{}-{:010}", source.object_id, source.first_index);
        match &self.layout {
            OutputLayout::Partitioned => {
                let class = if several {
                    format!("-{class_uid}")
                } else {
                    String::new()
                };
                format!(
                    "{}source={}/account={account}/region={region}/dt={day}/{name}{class}.parquet",
                    self.prefix, source.log_type
                )
            }
            OutputLayout::SecurityLake(sources) => {
                let source_name = match source.log_type.parse::<LogType>() {
                    Ok(log_type) => sources.name(log_type, class_uid),
                    Err(_) => format!("{}-{class_uid}", source.log_type),
                };
                format!(
                    "{}ext/{source_name}/region={region}/accountId={account}/eventDay={}/{name}.parquet",
                    self.prefix,
                    event_day(&day)
                )
            }
        }
    }

    /// The objects one chunk becomes: one NDJSON object, or one Parquet file per OCSF
    /// class, as the events come (the pipeline makes them in the form `format` names).
    pub fn objects(
        &self,
        source: &BatchSource,
        events: Events,
    ) -> Result<Vec<OutputObject>, ParquetError> {
        match events {
            Events::Ndjson(records) => {
                // Every record under the partition its object's key names, as for Parquet:
                // a chunk spanning midnight (or accounts and regions, for keys without
                // them) becomes one object per partition, in the order of each
                // partition's first record, each named after the chunk.
                // A key naming account and region leaves only the day to tell apart,
                // compared as a day number; otherwise each event's `cloud` is read.
                let scope = key_scope(&source.key);
                let by_day = scope.account_id.is_some() && scope.region.is_some();
                let mut parts: Vec<(PartitionOf, Vec<Record>)> = Vec::new();
                for record in records {
                    let label = if by_day {
                        PartitionOf::Day(record.time_ms.map(|ms| ms.div_euclid(DAY_MS)))
                    } else {
                        let p = self.record_partition(source, &record);
                        PartitionOf::Named(p.account, p.region, p.day)
                    };
                    match parts.iter_mut().find(|(l, _)| *l == label) {
                        Some((_, part)) => part.push(record),
                        None => parts.push((label, vec![record])),
                    }
                }
                Ok(parts
                    .into_iter()
                    .map(|(_, part)| OutputObject {
                        key: self.key_for(source, &part[0]),
                        body: self.compression.encode(&part),
                        content_type: "application/x-ndjson",
                        records: part.len() as u64,
                    })
                    .collect())
            }
            Events::Columns(columns) => {
                // Every row under the partition its file's key names.
                let partition_of = |row: &FirstEvent| {
                    let p = self.partition(source, row.time_ms, || {
                        (row.account.clone(), row.region.clone())
                    });
                    format!("{}/{}/{}", p.account, p.region, p.day)
                };
                let files = parquet::encode_partitioned(columns, &partition_of)?;
                let several = files.windows(2).any(|w| w[0].class_uid != w[1].class_uid);
                Ok(files
                    .into_iter()
                    .map(|file| OutputObject {
                        key: self.parquet_key(source, &file.first_event, file.class_uid, several),
                        body: file.body,
                        content_type: "application/vnd.apache.parquet",
                        records: file.rows as u64,
                    })
                    .collect())
            }
        }
    }
}

/// Writes chunks to `s3://<bucket>/<prefix>source=<type>/account=<id>/region=<r>/dt=<day>/<object id>-<first record index>.json.gz`
/// (`.json.zst` with zstd, `.parquet` with Parquet; Security Lake keys per [`OutputLayout`]).
#[derive(Debug, Clone)]
pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    writer: ChunkWriter,
}

impl S3Sink {
    /// A sink writing NDJSON under `prefix` (empty or ending in `/`) of `bucket`.
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
        compression: OutputCompression,
    ) -> Self {
        S3Sink {
            client,
            bucket,
            writer: ChunkWriter::ndjson(prefix, compression),
        }
    }

    /// The same sink writing `format` objects under `layout`'s keys.
    pub fn with_output(mut self, format: OutputFormat, layout: OutputLayout) -> Self {
        self.writer.format = format;
        self.writer.layout = layout;
        self
    }

    /// The NDJSON output key for a chunk starting with record `first` (see [`ChunkWriter::key_for`]).
    pub fn key_for(&self, source: &BatchSource, first: &Record) -> String {
        self.writer.key_for(source, first)
    }

    /// Writes one chunk as its objects (one, or one per OCSF class with Parquet).
    ///
    /// Upload failures are transient: the data is never at fault, and a permanent problem
    /// with the output bucket (access denied, no such bucket) is one an operator fixes
    /// while SQS keeps the messages; the reject records would go to the same bucket. A
    /// chunk Parquet cannot encode is permanent (retrying gives the same result).
    /// Encoding runs off the async worker threads; the upload gives up at `deadline`.
    pub async fn deliver(
        &self,
        source: &BatchSource,
        events: Events,
        deadline: Instant,
    ) -> Result<u64, SinkError> {
        if events.is_empty() {
            return Ok(0);
        }
        let count = events.len() as u64;
        let transient = |reason: String| SinkError::Transient {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            reason,
        };
        let objects = self
            .encode(source.clone(), events)
            .await
            .map_err(|e| transient(format!("encoding the chunk failed: {e}")))?
            .map_err(|e| SinkError::Permanent {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                reason: e.to_string(),
            })?;
        for object in objects {
            let key = object.key;
            let put = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type(object.content_type)
                .body(ByteStream::from(object.body))
                .send();
            match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), put)
                .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Err(transient(format!(
                        "PutObject s3://{}/{key}: {}",
                        self.bucket,
                        DisplayErrorContext(&e)
                    )))
                }
                Err(_) => {
                    return Err(transient(format!(
                        "PutObject s3://{}/{key}: the invocation's time ran out before the upload finished",
                        self.bucket
                    )))
                }
            }
        }
        Ok(count)
    }
}

impl S3Sink {
    /// Encodes a chunk on a blocking thread: compressing megabytes of NDJSON or
    /// encoding Parquet on an async worker thread would stall its timers and network I/O.
    async fn encode(
        &self,
        source: BatchSource,
        events: Events,
    ) -> Result<Result<Vec<OutputObject>, ParquetError>, tokio::task::JoinError> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || writer.objects(&source, events)).await
    }

    /// Compresses a chunk as NDJSON on a blocking thread.
    #[cfg(test)]
    async fn compress(&self, records: Vec<Record>) -> Result<Vec<u8>, tokio::task::JoinError> {
        let compression = self.writer.compression;
        tokio::task::spawn_blocking(move || compression.encode(&records)).await
    }
}

/// Twelve digits: the only account value used as a partition.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A region-shaped name (`us-east-1`, `cn-north-1`, `us-gov-west-1`), nothing that could
/// change the key's path.
pub(crate) fn is_region_name(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// `YYYY-MM-DD` of an epoch-millisecond time (UTC).
pub fn day_of(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    // Howard Hinnant's days-to-civil conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn output_compression_parses_name_and_level() {
        assert_eq!("gzip".parse(), Ok(OutputCompression::Gzip(1)));
        assert_eq!("gzip:6".parse(), Ok(OutputCompression::Gzip(6)));
        assert_eq!("zstd".parse(), Ok(OutputCompression::Zstd(1)));
        assert_eq!("zstd:19".parse(), Ok(OutputCompression::Zstd(19)));
        for bad in ["gzip:0", "gzip:10", "zstd:20", "zstd:x", "brotli", "gzip:"] {
            let err = bad.parse::<OutputCompression>().unwrap_err();
            assert!(
                err.contains("level") || err.contains("gzip or zstd"),
                "{bad}: {err}"
            );
        }
    }

    /// `work` finishes only after a 1 ms timer on the same single-threaded runtime has
    /// fired: it waited on another thread instead of holding the runtime's only one.
    pub(crate) async fn leaves_the_runtime_free<T>(
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let timer = tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            std::time::Instant::now()
        });
        let out = work.await;
        let done = std::time::Instant::now();
        let fired = timer.await.unwrap();
        assert!(fired < done, "the timer waited for the work");
        out
    }

    #[tokio::test]
    async fn chunks_are_compressed_off_the_async_worker_threads() {
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .build(),
        );
        let sink = S3Sink::new(
            client,
            "out".into(),
            String::new(),
            OutputCompression::Gzip(9),
        );
        let records: Vec<Record> = (0..20_000)
            .map(|i| Record {
                uid: format!("{i}"),
                time_ms: None,
                json: format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(500)),
            })
            .collect();
        let body = leaves_the_runtime_free(sink.compress(records))
            .await
            .unwrap();
        assert!(!body.is_empty());
    }

    #[test]
    fn encoded_bodies_decompress_to_ndjson() {
        let records: Vec<Record> = (0..3)
            .map(|i| Record {
                uid: format!("u{i}"),
                time_ms: None,
                json: format!("{{\"n\":{i}}}"),
            })
            .collect();
        let expected = "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n";
        for level in [1, 6, 9] {
            let gz = OutputCompression::Gzip(level).encode(&records);
            let mut text = String::new();
            // GzDecoder checks the CRC and size in the trailer.
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
                .unwrap();
            assert_eq!(text, expected);
        }
        // Larger than one batch, so several writes feed one member.
        let many: Vec<Record> = (0..20_000)
            .map(|i| Record {
                uid: String::new(),
                time_ms: None,
                json: format!("{{\"n\":{i}}}"),
            })
            .collect();
        let gz = OutputCompression::Gzip(1).encode(&many);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .unwrap();
        assert_eq!(text.lines().count(), 20_000);
        assert!(text.ends_with("{\"n\":19999}\n"));
        // The same records always give the same bytes (no timestamp in the header), so
        // a retried chunk overwrites its object with identical content.
        assert_eq!(OutputCompression::Gzip(1).encode(&many), gz);
        // A corrupted trailer is caught, so the CRC really is the data's.
        let mut bad = gz.clone();
        let at = bad.len() - 6;
        bad[at] ^= 0xff;
        assert!(std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&bad[..]),
            &mut String::new()
        )
        .is_err());
        let zst = OutputCompression::Zstd(3).encode(&records);
        assert_eq!(zstd::decode_all(&zst[..]).unwrap(), expected.as_bytes());
    }

    /// The gzip framing written around flate2's raw deflate is byte for byte what
    /// flate2's own `GzEncoder` writes (header, CRC-32 and length), at every level.
    #[test]
    fn gzip_bodies_are_those_flate2_gz_encoder_writes() {
        let records: Vec<Record> = (0..30_000)
            .map(|i| Record {
                uid: String::new(),
                time_ms: None,
                json: format!("{{\"n\":{i},\"s\":\"é{}\"}}", i % 97),
            })
            .collect();
        for level in 1..=9 {
            // Fed the same batches: from level 5 on, deflate's output depends on them.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            write_lines(&records, |batch| gz.write_all(batch)).unwrap();
            let expected = gz.finish().unwrap();
            assert_eq!(
                OutputCompression::Gzip(level).encode(&records),
                expected,
                "level {level}"
            );
        }
        assert_eq!(
            OutputCompression::Gzip(1).encode(&[]),
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1))
                .finish()
                .unwrap()
        );
    }

    fn sink() -> S3Sink {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        S3Sink::new(
            aws_sdk_s3::Client::from_conf(config),
            "out".into(),
            "logs/".into(),
            OutputCompression::default(),
        )
    }

    fn batch(key: &str) -> BatchSource {
        BatchSource {
            log_type: "cwlogs".into(),
            bucket: "src".into(),
            key: key.into(),
            first_index: 60_000,
            object_id: "abc".into(),
        }
    }

    fn record(json: &str) -> Record {
        Record {
            uid: "u".into(),
            time_ms: Some(1_795_428_000_000),
            json: json.into(),
        }
    }

    #[test]
    fn keys_take_account_and_region_from_the_aws_key_convention_first() {
        let key = "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/23/f.log.gz";
        let first = record(r#"{"cloud":{"region":"us-east-1","account":{"uid":"999999999999"}}}"#);
        assert_eq!(
            sink().key_for(&batch(key), &first),
            "logs/source=cwlogs/account=123456789012/region=eu-west-1/dt=2026-11-23/abc-0000060000.json.gz"
        );
    }

    #[test]
    fn keys_without_a_convention_take_the_first_events_cloud_when_it_is_well_formed() {
        let key = "firehose/2026/11/23/10/stream-1-2026-11-23-10-00-00-uuid";
        let first = record(
            r#"{"cloud":{"provider":"AWS","region":"ap-south-2","account":{"uid":"123456789012"}}}"#,
        );
        assert_eq!(
            sink().key_for(&batch(key), &first),
            "logs/source=cwlogs/account=123456789012/region=ap-south-2/dt=2026-11-23/abc-0000060000.json.gz"
        );
        // Values that could reshape the key, or are not what they claim, are not used.
        let hostile = record(r#"{"cloud":{"region":"../../x","account":{"uid":"12345/../.."}}}"#);
        assert_eq!(
            sink().key_for(&batch(key), &hostile),
            "logs/source=cwlogs/account=unknown/region=unknown/dt=2026-11-23/abc-0000060000.json.gz"
        );
        let no_cloud = record(r#"{"message":"x"}"#);
        assert!(sink()
            .key_for(&batch(key), &no_cloud)
            .contains("/account=unknown/region=unknown/"));
    }

    /// Trial 7 (ingestion), D4: a CloudTrail file delivered just after midnight went
    /// under the first event's day whole; NDJSON now splits as Parquet does.
    #[test]
    fn ndjson_objects_hold_only_records_of_the_partition_their_key_names() {
        let at = |ms: i64, json: &str| Record {
            uid: "u".into(),
            time_ms: Some(ms),
            json: json.into(),
        };
        let before = 1_795_478_280_000; // 2026-11-23T23:58:00Z
        let after = 1_795_478_460_000; // 2026-11-24T00:01:00Z
        let writer = ChunkWriter::ndjson("logs/".into(), OutputCompression::Gzip(1));
        let trail = "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/24/f.json.gz";
        let objects = writer
            .objects(
                &batch(trail),
                Events::Ndjson(vec![
                    at(before, "{\"a\":1}"),
                    at(after, "{\"a\":2}"),
                    at(before, "{\"a\":3}"),
                ]),
            )
            .unwrap();
        let got: Vec<(&str, u64)> = objects
            .iter()
            .map(|o| (o.key.as_str(), o.records))
            .collect();
        assert_eq!(
            got,
            [
                ("logs/source=cwlogs/account=123456789012/region=eu-west-1/dt=2026-11-23/abc-0000060000.json.gz", 2),
                ("logs/source=cwlogs/account=123456789012/region=eu-west-1/dt=2026-11-24/abc-0000060000.json.gz", 1),
            ]
        );
        let lines = |body: &[u8]| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut text)
                .unwrap();
            text
        };
        assert_eq!(lines(&objects[0].body), "{\"a\":1}\n{\"a\":3}\n");
        // A key without account and region: each event's own cloud names its partition.
        let firehose = "firehose/2026/11/23/10/stream-1-2026-11-23-10-00-00-uuid";
        let cloud = |acct: &str| {
            format!(r#"{{"cloud":{{"region":"eu-west-1","account":{{"uid":"{acct}"}}}}}}"#)
        };
        let objects = writer
            .objects(
                &batch(firehose),
                Events::Ndjson(vec![
                    at(before, &cloud("111122223333")),
                    at(before, &cloud("444455556666")),
                ]),
            )
            .unwrap();
        assert_eq!(objects.len(), 2);
        assert!(objects[1]
            .key
            .contains("/account=444455556666/region=eu-west-1/dt=2026-11-23/"));
    }

    #[test]
    fn day_of_formats_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_795_428_000_000), "2026-11-23");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }

    fn lake_writer(sources: &str) -> ChunkWriter {
        ChunkWriter {
            prefix: String::new(),
            compression: OutputCompression::default(),
            format: OutputFormat::Parquet,
            layout: OutputLayout::SecurityLake(sources.parse().unwrap()),
        }
    }

    /// Minimal events of these classes and times, as Arrow columns.
    fn ocsf(events: &[(u64, i64)]) -> Events {
        let mut columns = crate::normalize::ColumnEvents::default();
        for (class_uid, time) in events {
            columns.push_json_text(
                &format!("{class_uid}-{time}"),
                Some(*time),
                &format!(r#"{{"class_uid":{class_uid},"time":{time}}}"#),
            );
        }
        Events::Columns(columns)
    }

    #[test]
    fn parquet_keys_keep_the_ndjson_partition_and_name_each_class_of_a_mixed_chunk() {
        let key = "AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/23/f.log.gz";
        let mut source = batch(key);
        source.log_type = "elb".into();
        let writer = ChunkWriter {
            format: OutputFormat::Parquet,
            ..ChunkWriter::ndjson("logs/".into(), OutputCompression::default())
        };
        let one = writer
            .objects(&source, ocsf(&[(4002, 1_795_428_000_000)]))
            .unwrap();
        assert_eq!(
            one.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
            ["logs/source=elb/account=123456789012/region=eu-west-1/dt=2026-11-23/abc-0000060000.parquet"]
        );
        let mixed = writer
            .objects(
                &source,
                ocsf(&[(4002, 1_795_428_000_000), (4001, 1_795_428_000_001)]),
            )
            .unwrap();
        let keys: Vec<&str> = mixed.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "logs/source=elb/account=123456789012/region=eu-west-1/dt=2026-11-23/abc-0000060000-4001.parquet",
                "logs/source=elb/account=123456789012/region=eu-west-1/dt=2026-11-23/abc-0000060000-4002.parquet",
            ]
        );
        assert!(mixed
            .iter()
            .all(|o| o.body.starts_with(b"PAR1") && o.records == 1));
    }

    #[test]
    fn security_lake_keys_put_each_class_under_its_own_source() {
        let key = "AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/23/f.log.gz";
        let mut source = batch(key);
        source.log_type = "elb".into();
        let objects = lake_writer("elb:4001=ElbTcp")
            .objects(
                &source,
                ocsf(&[(4002, 1_795_428_000_000), (4001, 1_795_428_000_001)]),
            )
            .unwrap();
        let keys: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ext/ElbTcp/region=eu-west-1/accountId=123456789012/eventDay=20261123/abc-0000060000.parquet",
                "ext/elb-4002/region=eu-west-1/accountId=123456789012/eventDay=20261123/abc-0000060000.parquet",
            ]
        );
    }

    /// Defect 9: CloudFront keys and records name no account or region; the configured
    /// defaults stand in, never the key's or the events' own values.
    #[test]
    fn security_lake_keys_use_the_default_account_and_region_only_where_nothing_names_them() {
        let mut source = batch("E2QWRUHEXAMPLE.2019-12-04-21.elastic01.gz");
        source.log_type = "cloudfront".into();
        let mut writer = lake_writer("");
        let unset = writer
            .objects(&source, ocsf(&[(4002, 1_795_428_000_000)]))
            .unwrap();
        assert!(
            unset[0].key.contains("/region=unknown/accountId=unknown/"),
            "{}",
            unset[0].key
        );
        let OutputLayout::SecurityLake(lake) = &mut writer.layout else {
            unreachable!()
        };
        lake.default_account = Some("111122223333".into());
        lake.default_region = Some("eu-central-1".into());
        let set = writer
            .objects(&source, ocsf(&[(4002, 1_795_428_000_000)]))
            .unwrap();
        assert_eq!(
            set[0].key,
            "ext/cloudfront/region=eu-central-1/accountId=111122223333/eventDay=20261123/abc-0000060000.parquet"
        );
        let mut elb =
            batch("AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/23/f.log.gz");
        elb.log_type = "alb".into();
        let keyed = writer
            .objects(&elb, ocsf(&[(4002, 1_795_428_000_000)]))
            .unwrap();
        assert!(
            keyed[0]
                .key
                .contains("/region=eu-west-1/accountId=123456789012/"),
            "{}",
            keyed[0].key
        );
    }

    /// Events of this class at these times, in these accounts and regions.
    fn ocsf_in(events: &[(i64, &str, &str)]) -> Events {
        let mut columns = crate::normalize::ColumnEvents::default();
        for (i, (time, account, region)) in events.iter().enumerate() {
            columns.push_json_text(
                &format!("e{i}"),
                Some(*time),
                &format!(
                    r#"{{"class_uid":4001,"time":{time},"cloud":{{"provider":"AWS","region":"{region}","account":{{"uid":"{account}"}}}}}}"#
                ),
            );
        }
        Events::Columns(columns)
    }

    /// Trial 6 (Parquet), D1: every row of a Parquet file belongs to the partition its
    /// key names. A chunk read just after midnight, or a Firehose stream of several
    /// accounts and regions, becomes one file per partition, each named after its
    /// earliest row; an object key's AWS convention still names account and region.
    #[test]
    fn parquet_files_hold_only_rows_of_the_partition_their_key_names() {
        const DAY1_2358: i64 = 1_795_391_880_000; // 2026-11-22T23:58:00Z
        const DAY1_2359: i64 = DAY1_2358 + 60_000;
        const DAY2_0003: i64 = DAY1_2358 + 300_000; // 2026-11-23T00:03:00Z
        let (a, b) = ("111122223333", "444455556666");
        let events = || {
            ocsf_in(&[
                (DAY2_0003, a, "us-east-1"),
                (DAY1_2359, b, "ap-south-1"),
                (DAY1_2358, a, "us-east-1"),
                (DAY2_0003 + 1, a, "us-east-1"),
            ])
        };
        let written = |key: &str| {
            let mut source = batch(key);
            source.log_type = "vpcflow".into();
            let objects = lake_writer("").objects(&source, events()).unwrap();
            // Each key with its row count.
            let keys: Vec<String> = objects
                .iter()
                .map(|o| format!("{} x{}", o.key, o.records))
                .collect();
            (objects, keys)
        };
        let (objects, got) = written("firehose/2026/11/23/00/stream-1-2026-11-23-00-05-00-uuid");
        assert_eq!(
            got,
            [
                "ext/vpcflow/region=us-east-1/accountId=111122223333/eventDay=20261122/abc-0000060000.parquet x1",
                "ext/vpcflow/region=ap-south-1/accountId=444455556666/eventDay=20261122/abc-0000060000.parquet x1",
                "ext/vpcflow/region=us-east-1/accountId=111122223333/eventDay=20261123/abc-0000060000.parquet x2",
            ]
        );
        // The rows themselves: read back, each file's times lie on its day, in order.
        let times: Vec<Vec<i64>> = objects
            .iter()
            .map(|o| {
                let reader = ::parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
                    bytes::Bytes::from(o.body.clone()),
                    1024,
                )
                .unwrap();
                reader
                    .flat_map(|b| {
                        let b = b.unwrap();
                        let t = b.column_by_name("time").unwrap().clone();
                        let t = arrow_array::cast::AsArray::as_primitive::<
                            arrow_array::types::Int64Type,
                        >(&t)
                        .values()
                        .to_vec();
                        t
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            times,
            [
                vec![DAY1_2358],
                vec![DAY1_2359],
                vec![DAY2_0003, DAY2_0003 + 1]
            ]
        );
        // The key's convention names account and region: only the day splits.
        let (_, got) = written("AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/23/f.log.gz");
        assert_eq!(
            got,
            [
                "ext/vpcflow/region=eu-west-1/accountId=123456789012/eventDay=20261122/abc-0000060000.parquet x2",
                "ext/vpcflow/region=eu-west-1/accountId=123456789012/eventDay=20261123/abc-0000060000.parquet x2",
            ]
        );
    }
}
