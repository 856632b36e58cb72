//! The S3 sink: one gzip NDJSON object per chunk of an input object, at a deterministic,
//! Athena/Glue-friendly key, so a retry overwrites instead of duplicating.

use std::io::Write;

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use super::{BatchSource, Record, SinkError};
use crate::logs::detect::key_scope;

/// Writes chunks to `s3://<bucket>/<prefix>source=<type>/account=<id>/region=<r>/dt=<day>/<object id>-<chunk>.json.gz`.
#[derive(Debug, Clone)]
pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl S3Sink {
    /// A sink writing under `prefix` (empty or ending in `/`) of `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: String, prefix: String) -> Self {
        S3Sink {
            client,
            bucket,
            prefix,
        }
    }

    /// The output key for a chunk whose first record has time `first_time_ms`.
    pub fn key_for(&self, source: &BatchSource, first_time_ms: Option<i64>) -> String {
        let scope = key_scope(&source.key);
        let day = first_time_ms
            .map(day_of)
            .unwrap_or_else(|| "unknown".to_string());
        format!(
            "{}source={}/account={}/region={}/dt={day}/{}-{:05}.json.gz",
            self.prefix,
            source.log_type,
            scope.account_id.unwrap_or("unknown"),
            scope.region.unwrap_or("unknown"),
            source.object_id,
            source.chunk
        )
    }

    /// Writes one chunk as one object; every failure is transient (the data is never at fault).
    pub async fn deliver(
        &self,
        source: &BatchSource,
        records: &[Record],
    ) -> Result<u64, SinkError> {
        if records.is_empty() {
            return Ok(0);
        }
        let key = self.key_for(source, records[0].time_ms);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
        for r in records {
            gz.write_all(r.json.as_bytes())
                .and_then(|_| gz.write_all(b"\n"))
                .expect("writing to a Vec cannot fail");
        }
        let body = gz.finish().expect("writing to a Vec cannot fail");
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/x-ndjson")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e: SdkError<_, _>| SinkError::Transient {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                reason: format!(
                    "PutObject s3://{}/{key}: {}",
                    self.bucket,
                    DisplayErrorContext(&e)
                ),
            })?;
        Ok(records.len() as u64)
    }
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
mod tests {
    use super::*;

    #[test]
    fn day_of_formats_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_795_428_000_000), "2026-11-23");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }
}
