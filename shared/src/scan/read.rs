//! Reading and classifying one object: GetObject pinned to the listed ETag, decompression
//! under the bomb limits, the byte sample limit and the task's deadline.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::classify::{Classifier, SampleLimits};
use crate::object::SourceReadError;

use super::access::AccessIssue;
use super::report::{ObjectMetadata, ObjectResult, SkipReason};

/// The task's time ran out while reading.
#[derive(Debug, thiserror::Error)]
#[error("the task's time budget ran out")]
struct DeadlineReached;

/// Stops reading an object's bytes at the task's deadline.
struct UntilDeadline<R> {
    inner: R,
    deadline: Option<Instant>,
}

impl<R: Read> Read for UntilDeadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, DeadlineReached));
        }
        self.inner.read(buf)
    }
}

fn is_deadline(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<DeadlineReached>())
}

/// Limits for one object.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Decompressed bytes classified (`None`: all).
    pub max_bytes: Option<u64>,
    /// Rows classified per structured file (`None`: all).
    pub max_rows: Option<u64>,
    /// Largest random-access object (Parquet, xlsx, docx) spooled to local disk to be read.
    pub max_spool_bytes: u64,
    /// Stop reading at this instant.
    pub deadline: Option<Instant>,
}

/// Reads the object `meta` describes, pinned to its listed ETag (`If-Match`, so a change
/// since the listing is `OBJECT_CHANGED`, not a mix of versions), and classifies it.
/// Content type and encryption from the response are added to the metadata.
pub async fn read_and_classify(
    s3: &aws_sdk_s3::Client,
    classifier: Arc<Classifier>,
    bucket: &str,
    mut meta: ObjectMetadata,
    limits: ReadLimits,
) -> ObjectResult {
    let resource = format!("arn:aws:s3:::{bucket}/{}", meta.key);
    let got = s3
        .get_object()
        .bucket(bucket)
        .key(&meta.key)
        .set_if_match(meta.etag.clone())
        .send()
        .await;
    let out = match got {
        Ok(o) => o,
        Err(e) => {
            let issue = AccessIssue::from_sdk("GetObject", "s3:GetObject", &resource, &e);
            let reason = match e.code() {
                Some("PreconditionFailed") => SkipReason::ObjectChanged,
                Some("NoSuchKey") => SkipReason::ObjectNotFound,
                Some("InvalidObjectState") => SkipReason::ArchivedStorageClass,
                _ if issue.is_kms() => SkipReason::KmsAccessDenied,
                _ if issue.is_denied() => denied_reason(s3, bucket, &mut meta).await,
                _ => SkipReason::ReadError,
            };
            let code = issue.error_code.as_deref().unwrap_or("no AWS error code");
            return ObjectResult::skipped(meta, reason, Some(format!("{code}: {}", issue.message)));
        }
    };
    meta.content_type = out.content_type().map(str::to_string);
    meta.encryption = out.server_side_encryption().map(|s| s.as_str().to_string());
    meta.kms_key_id = out.ssekms_key_id().map(str::to_string);
    let encoding = out.content_encoding().map(str::to_string);
    let content_type = meta.content_type.clone();
    let body = tokio_util::io::SyncIoBridge::new(out.body.into_async_read());
    let key = meta.key.clone();
    // The deadline applies to the bytes as they arrive; the byte and row limits to the
    // decompressed content, where the classifier reports PARTIAL when they cut it.
    let raw = UntilDeadline {
        inner: body,
        deadline: limits.deadline,
    };
    let sample = SampleLimits {
        max_bytes: limits.max_bytes,
        max_rows: limits.max_rows,
    };
    // The deployment's limits (S3CONNECTOR_MAX_COMPRESSION_RATIO...), as ingest's.
    let bomb = classifier.bomb_limits();
    let joined =
        tokio::task::spawn_blocking(move || -> io::Result<crate::classify::ObjectReport> {
            classifier
                .classify_object(
                    raw,
                    &key,
                    encoding.as_deref(),
                    content_type.as_deref(),
                    &sample,
                    bomb,
                    &std::env::temp_dir(),
                    limits.max_spool_bytes,
                )
                .map_err(|e| match e {
                    crate::classify::ClassifyError::Read(io) => io,
                    other => io::Error::other(other.to_string()),
                })
        })
        .await;
    match joined {
        Ok(Ok(report)) => ObjectResult::classified(meta, None, &report),
        Ok(Err(e)) if is_deadline(&e) => ObjectResult::skipped(
            meta,
            SkipReason::TimeBudget,
            Some("the task's time ran out while reading; the next scan reads it again".into()),
        ),
        // The bytes could not be fetched (network, stream reset): a read error. Anything
        // else the decoders raised is about the content: corrupt or a decompression bomb.
        Ok(Err(e)) if SourceReadError::from_io(&e).is_some() => {
            ObjectResult::skipped(meta, SkipReason::ReadError, Some(e.to_string()))
        }
        Ok(Err(e)) => ObjectResult::skipped(meta, SkipReason::InvalidContent, Some(e.to_string())),
        Err(join) => ObjectResult::skipped(
            meta,
            SkipReason::ReadError,
            Some(format!("classification failed: {join}")),
        ),
    }
}

/// GetObject was denied: HeadObject (same `s3:GetObject` permission, no KMS) tells a KMS
/// denial (the object is SSE-KMS and its metadata readable) from a plain one.
async fn denied_reason(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    meta: &mut ObjectMetadata,
) -> SkipReason {
    match s3.head_object().bucket(bucket).key(&meta.key).send().await {
        Ok(h)
            if h.server_side_encryption()
                .is_some_and(|s| s.as_str().starts_with("aws:kms")) =>
        {
            meta.encryption = h.server_side_encryption().map(|s| s.as_str().to_string());
            meta.kms_key_id = h.ssekms_key_id().map(str::to_string);
            SkipReason::KmsAccessDenied
        }
        _ => SkipReason::AccessDenied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_at_the_deadline() {
        let mut s = UntilDeadline {
            inner: &b"abc"[..],
            deadline: Some(Instant::now()),
        };
        let e = s.read(&mut [0u8; 3]).unwrap_err();
        assert!(is_deadline(&e));
    }
}
