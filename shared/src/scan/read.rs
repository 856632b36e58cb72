//! Reading and classifying one object: GetObject pinned to the listed ETag, decompression
//! under the bomb limits, the byte sample limit and the task's deadline.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::classify::{Classifier, ObjectStatus};
use crate::object::{self, BombLimits};

use super::access::AccessIssue;
use super::record::{FindingRecord, ObjectResult, SkipReason};

/// What reading one object gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadOutcome {
    /// Content type S3 returned.
    pub content_type: Option<String>,
    /// Server-side encryption S3 returned.
    pub encryption: Option<String>,
    /// KMS key of SSE-KMS objects.
    pub kms_key_id: Option<String>,
    /// Complete, partial or skipped.
    pub result: Option<ObjectResult>,
    /// Skip reason.
    pub reason: Option<SkipReason>,
    /// AWS error code behind a skip.
    pub error_code: Option<String>,
    /// What went wrong (no content).
    pub error: Option<String>,
    /// Decompressed bytes classified.
    pub bytes: u64,
    /// Findings.
    pub findings: Vec<FindingRecord>,
}

impl ReadOutcome {
    fn skipped(reason: SkipReason) -> Self {
        ReadOutcome {
            result: Some(ObjectResult::Skipped),
            reason: Some(reason),
            ..ReadOutcome::default()
        }
    }
}

/// The task's time ran out while reading.
#[derive(Debug, thiserror::Error)]
#[error("the task's time budget ran out")]
struct DeadlineReached;

/// Limits the decompressed bytes classified and stops at the deadline.
struct Sample<R> {
    inner: R,
    remaining: Option<u64>,
    truncated: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl<R: Read> Read for Sample<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, DeadlineReached));
        }
        match self.remaining {
            None => self.inner.read(buf),
            Some(0) => {
                // At the limit: one byte more means the object was cut.
                let mut probe = [0u8; 1];
                if self.inner.read(&mut probe)? > 0 {
                    self.truncated.store(true, Ordering::Relaxed);
                }
                Ok(0)
            }
            Some(left) => {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = self.inner.read(&mut buf[..want])?;
                self.remaining = Some(left - n as u64);
                Ok(n)
            }
        }
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
    /// Stop reading at this instant.
    pub deadline: Option<Instant>,
}

/// Reads `key` at `etag` and classifies it.
pub async fn read_and_classify(
    s3: &aws_sdk_s3::Client,
    classifier: Arc<Classifier>,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
    limits: ReadLimits,
) -> ReadOutcome {
    let resource = format!("arn:aws:s3:::{bucket}/{key}");
    let got = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_if_match(etag.map(str::to_string))
        .send()
        .await;
    let out = match got {
        Ok(o) => o,
        Err(e) => {
            let issue = AccessIssue::from_sdk("GetObject", "s3:GetObject", &resource, &e);
            let mut o = match e.code() {
                Some("PreconditionFailed" | "NoSuchKey") => {
                    ReadOutcome::skipped(SkipReason::ChangedDuringScan)
                }
                Some("InvalidObjectState") => {
                    ReadOutcome::skipped(SkipReason::ArchivedStorageClass)
                }
                _ if issue.is_kms() => ReadOutcome::skipped(SkipReason::KmsDenied),
                _ if issue.is_denied() => denied_reason(s3, bucket, key).await,
                _ => {
                    let mut o = ReadOutcome::skipped(SkipReason::Unreadable);
                    o.error = Some(issue.message.clone());
                    o
                }
            };
            o.error_code = issue.error_code.clone();
            if o.reason != Some(SkipReason::Unreadable) {
                o.error = Some(issue.message);
            }
            return o;
        }
    };
    let mut outcome = ReadOutcome {
        content_type: out.content_type().map(str::to_string),
        encryption: out.server_side_encryption().map(|s| s.as_str().to_string()),
        kms_key_id: out.ssekms_key_id().map(str::to_string),
        ..ReadOutcome::default()
    };
    let encoding = out.content_encoding().map(str::to_string);
    let content_type = outcome.content_type.clone();
    let body = tokio_util::io::SyncIoBridge::new(out.body.into_async_read());
    let key_owned = key.to_string();
    let truncated = Arc::new(AtomicBool::new(false));
    let flag = truncated.clone();
    let joined =
        tokio::task::spawn_blocking(move || -> io::Result<crate::classify::ObjectReport> {
            let opened = object::open(
                body,
                encoding.as_deref(),
                content_type.as_deref(),
                &key_owned,
                BombLimits::default(),
            )?;
            let reader = Sample {
                inner: opened.reader,
                remaining: limits.max_bytes,
                truncated: flag,
                deadline: limits.deadline,
            };
            classifier.classify_reader(reader).map_err(|e| match e {
                crate::classify::ClassifyError::Read(io) => io,
                other => io::Error::other(other.to_string()),
            })
        })
        .await;
    match joined {
        Ok(Ok(report)) => {
            outcome.bytes = report.bytes;
            if report.status == ObjectStatus::Skipped {
                outcome.result = Some(ObjectResult::Skipped);
                outcome.reason = Some(SkipReason::UnsupportedType);
            } else {
                outcome.findings = report
                    .findings
                    .iter()
                    .map(FindingRecord::from_finding)
                    .collect();
                outcome.result = Some(if truncated.load(Ordering::Relaxed) {
                    ObjectResult::Partial
                } else {
                    ObjectResult::Complete
                });
            }
        }
        Ok(Err(e)) if is_deadline(&e) => {
            outcome.result = Some(ObjectResult::Skipped);
            outcome.reason = Some(SkipReason::TimeBudget);
        }
        Ok(Err(e)) => {
            outcome.result = Some(ObjectResult::Skipped);
            outcome.reason = Some(SkipReason::Unreadable);
            outcome.error = Some(e.to_string());
        }
        Err(join) => {
            outcome.result = Some(ObjectResult::Skipped);
            outcome.reason = Some(SkipReason::Unreadable);
            outcome.error = Some(format!("classification failed: {join}"));
        }
    }
    outcome
}

/// GetObject was denied: HeadObject (same `s3:GetObject` permission, no KMS) tells a KMS
/// denial (the object is SSE-KMS and readable as metadata) from a plain one.
async fn denied_reason(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> ReadOutcome {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(h)
            if h.server_side_encryption()
                .is_some_and(|s| s.as_str().starts_with("aws:kms")) =>
        {
            let mut o = ReadOutcome::skipped(SkipReason::KmsDenied);
            o.encryption = h.server_side_encryption().map(|s| s.as_str().to_string());
            o.kms_key_id = h.ssekms_key_id().map(str::to_string);
            o
        }
        _ => ReadOutcome::skipped(SkipReason::AccessDenied),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_marks_truncation_only_when_more_bytes_follow() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut s = Sample {
            inner: &b"abcdef"[..],
            remaining: Some(6),
            truncated: flag.clone(),
            deadline: None,
        };
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
        assert!(!flag.load(Ordering::Relaxed));

        let flag = Arc::new(AtomicBool::new(false));
        let mut s = Sample {
            inner: &b"abcdefgh"[..],
            remaining: Some(6),
            truncated: flag.clone(),
            deadline: None,
        };
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
        assert!(flag.load(Ordering::Relaxed));
    }

    #[test]
    fn sample_stops_at_the_deadline() {
        let mut s = Sample {
            inner: &b"abc"[..],
            remaining: None,
            truncated: Arc::new(AtomicBool::new(false)),
            deadline: Some(Instant::now()),
        };
        let e = s.read(&mut [0u8; 3]).unwrap_err();
        assert!(is_deadline(&e));
    }
}
