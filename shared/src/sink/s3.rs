//! The S3 sink: one compressed NDJSON object per chunk of an input object, at a
//! deterministic, Athena/Glue-friendly key, so a retry overwrites instead of duplicating.

use std::io::Write;
use std::time::Instant;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::{BatchSource, Record, SinkError};
use crate::logs::detect::key_scope;

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
            OutputCompression::Gzip(level) => {
                // No file name or mtime in the header: the same records give the same bytes.
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(raw / 8),
                    flate2::Compression::new(level),
                );
                write_lines(records, |batch| gz.write_all(batch)).and_then(|()| gz.finish())
            }
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

/// Writes chunks to `s3://<bucket>/<prefix>source=<type>/account=<id>/region=<r>/dt=<day>/<object id>-<first record index>.json.gz`
/// (`.json.zst` with zstd).
#[derive(Debug, Clone)]
pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    compression: OutputCompression,
}

impl S3Sink {
    /// A sink writing under `prefix` (empty or ending in `/`) of `bucket`.
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
        compression: OutputCompression,
    ) -> Self {
        S3Sink {
            client,
            bucket,
            prefix,
            compression,
        }
    }

    /// The output key for a chunk starting with record `first`.
    ///
    /// Account and region come from the source key's AWS convention; for keys without
    /// one (Firehose deliveries, arbitrary uploads) from the first event's `cloud`
    /// object. A chunk always starts with the same record, so retries keep the key.
    pub fn key_for(&self, source: &BatchSource, first: &Record) -> String {
        let scope = key_scope(&source.key);
        let day = first
            .time_ms
            .map(day_of)
            .unwrap_or_else(|| "unknown".to_string());
        let cloud = if scope.account_id.is_none() || scope.region.is_none() {
            serde_json::from_str::<serde_json::Value>(&first.json)
                .ok()
                .and_then(|event| event.get("cloud").cloned())
        } else {
            None
        };
        let from_event = |path: &[&str], valid: fn(&str) -> bool| -> Option<String> {
            let mut v = cloud.as_ref()?;
            for p in path {
                v = v.get(p)?;
            }
            v.as_str().filter(|s| valid(s)).map(str::to_owned)
        };
        let account = scope
            .account_id
            .map(str::to_owned)
            .or_else(|| from_event(&["account", "uid"], is_account_id))
            .unwrap_or_else(|| "unknown".to_owned());
        let region = scope
            .region
            .map(str::to_owned)
            .or_else(|| from_event(&["region"], is_region_name))
            .unwrap_or_else(|| "unknown".to_owned());
        format!(
            "{}source={}/account={account}/region={region}/dt={day}/{}-{:010}.json.{}",
            self.prefix,
            source.log_type,
            source.object_id,
            source.first_index,
            self.compression.extension()
        )
    }

    /// Writes one chunk as one object.
    ///
    /// Every failure is transient: the data is never at fault, and a permanent problem
    /// with the output bucket (access denied, no such bucket) is one an operator fixes
    /// while SQS keeps the messages; the reject records would go to the same bucket.
    /// Compression runs off the async worker threads; the upload gives up at `deadline`.
    pub async fn deliver(
        &self,
        source: &BatchSource,
        records: Vec<Record>,
        deadline: Instant,
    ) -> Result<u64, SinkError> {
        let Some(first) = records.first() else {
            return Ok(0);
        };
        let key = self.key_for(source, first);
        let count = records.len() as u64;
        let transient = |reason: String| SinkError::Transient {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            reason,
        };
        let body = self
            .compress(records)
            .await
            .map_err(|e| transient(format!("compressing the chunk failed: {e}")))?;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/x-ndjson")
            .body(ByteStream::from(body))
            .send();
        match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), put).await {
            Ok(Ok(_)) => Ok(count),
            Ok(Err(e)) => Err(transient(format!(
                "PutObject s3://{}/{key}: {}",
                self.bucket,
                DisplayErrorContext(&e)
            ))),
            Err(_) => Err(transient(format!(
                "PutObject s3://{}/{key}: the invocation's time ran out before the upload finished",
                self.bucket
            ))),
        }
    }
}

impl S3Sink {
    /// Compresses a chunk on a blocking thread: compressing megabytes of NDJSON on an
    /// async worker thread would stall its timers and network I/O meanwhile.
    async fn compress(&self, records: Vec<Record>) -> Result<Vec<u8>, tokio::task::JoinError> {
        let compression = self.compression;
        tokio::task::spawn_blocking(move || compression.encode(&records)).await
    }
}

/// Twelve digits: the only account value used as a partition.
fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A region-shaped name (`us-east-1`, `cn-north-1`, `us-gov-west-1`), nothing that could
/// change the key's path.
fn is_region_name(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// `YYYY-MM-DD` of an epoch-millisecond time (UTC).
pub fn day_of(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
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

    #[test]
    fn day_of_formats_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_795_428_000_000), "2026-11-23");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }
}
