//! Reject records: every input that cannot be delivered is written, with its reason,
//! under `rejects/` in the output bucket, where an operator can find and replay it.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::logs::{ParquetRow, RecordError};
use crate::notification::ObjectRef;
use crate::sink::s3::day_of;

/// What was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    /// A queue message that is not a notification we can decode.
    Message,
    /// A whole object: gone, changed, corrupt, not the expected format, a decompression bomb.
    Object,
    /// Some lines of an object that was otherwise delivered.
    Records,
}

impl RejectKind {
    fn as_str(self) -> &'static str {
        match self {
            RejectKind::Message => "message",
            RejectKind::Object => "object",
            RejectKind::Records => "records",
        }
    }
}

/// One malformed record, as kept in a reject record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedLine {
    /// Record index within the object.
    pub index: u64,
    /// Line number, where meaningful.
    pub line: Option<u64>,
    /// Row group and row, for Parquet input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parquet_row: Option<ParquetRow>,
    /// Why it was rejected.
    pub reason: String,
    /// The start of the bad input.
    pub excerpt: String,
}

impl From<&RecordError> for RejectedLine {
    fn from(e: &RecordError) -> Self {
        RejectedLine {
            index: e.index,
            line: e.line,
            parquet_row: e.parquet_row,
            reason: e.reason.clone(),
            excerpt: e.excerpt.clone(),
        }
    }
}

/// The document written for each reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectRecord {
    /// What was rejected.
    pub kind: RejectKind,
    /// Why, specifically.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub rejected_at: String,
    /// SQS message ID, for rejected messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The message body as received (first 256 KiB), for rejected messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
    /// The object, for object and record rejects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// The log type the object was read as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_type: Option<String>,
    /// How many records were rejected (record rejects).
    pub records_rejected: u64,
    /// The first rejected records with their reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RejectedLine>,
    /// How to replay it once the cause is fixed.
    pub replay: String,
}

const MAX_BODY: usize = 256 * 1024;

impl RejectRecord {
    /// A message that could not be decoded.
    pub fn message(message_id: Option<String>, body: &str, reason: String, now_ms: i64) -> Self {
        let mut end = body.len().min(MAX_BODY);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        RejectRecord {
            kind: RejectKind::Message,
            reason,
            rejected_at: rfc3339(now_ms),
            message_id,
            message_body: Some(body[..end].to_string()),
            object: None,
            log_type: None,
            records_rejected: 0,
            records: vec![],
            replay: "fix the message and send message_body to the ingest queue (aws sqs send-message --queue-url <ingest queue> --message-body file://body.json)".into(),
        }
    }

    /// An object that could not be processed at all.
    pub fn object(
        object: &ObjectRef,
        log_type: Option<String>,
        reason: String,
        now_ms: i64,
    ) -> Self {
        RejectRecord {
            kind: RejectKind::Object,
            reason,
            rejected_at: rfc3339(now_ms),
            message_id: None,
            message_body: None,
            object: Some(object.clone()),
            log_type,
            records_rejected: 0,
            records: vec![],
            replay: format!(
                "fix the cause (or set S3CONNECTOR_LOG_TYPE_OVERRIDES), then send {} to the ingest queue",
                crate::notification::continuation_body(object, object.start_index)
            ),
        }
    }

    /// Lines of a delivered object that could not be parsed.
    pub fn records(
        object: &ObjectRef,
        log_type: &str,
        count: u64,
        errors: &[RecordError],
        now_ms: i64,
    ) -> Self {
        RejectRecord {
            kind: RejectKind::Records,
            reason: format!("{count} record(s) could not be parsed as {log_type}; the rest of the object was delivered"),
            rejected_at: rfc3339(now_ms),
            message_id: None,
            message_body: None,
            object: Some(object.clone()),
            log_type: Some(log_type.to_string()),
            records_rejected: count,
            records: errors.iter().map(RejectedLine::from).collect(),
            replay: "the listed lines are kept here with their reasons; re-sending the object re-delivers the good records under the same uids".into(),
        }
    }

    /// Deterministic key: a redelivered poison message or object overwrites its reject record.
    pub fn key(&self, prefix: &str, now_ms: i64) -> String {
        let mut h = Sha256::new();
        h.update(self.kind.as_str());
        if let Some(body) = &self.message_body {
            h.update(body.as_bytes());
        }
        if let Some(o) = &self.object {
            for part in [
                Some(&o.bucket),
                Some(&o.key),
                o.etag.as_ref(),
                o.version_id.as_ref(),
            ] {
                let p = part.map(String::as_str).unwrap_or("");
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            // Each part of a continued object has its own record: the parts' rejects
            // must not overwrite each other, and a retried part overwrites its own.
            h.update(o.start_index.to_be_bytes());
        }
        format!(
            "{prefix}rejects/kind={}/dt={}/{}.json",
            self.kind.as_str(),
            day_of(now_ms),
            hex::encode(&h.finalize()[..12])
        )
    }
}

/// Writes `record` to the output bucket and returns its key.
pub async fn write(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    record: &RejectRecord,
    now_ms: i64,
) -> Result<String, String> {
    let key = record.key(prefix, now_ms);
    let body = serde_json::to_vec_pretty(record).expect("a reject record serialises");
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| {
            format!(
                "writing reject record s3://{bucket}/{key}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    Ok(key)
}

/// RFC 3339 UTC time of an epoch-millisecond instant.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        day_of(ms),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(1_795_428_000_123), "2026-11-23T10:00:00.123Z");
    }

    #[test]
    fn redelivered_poison_message_gets_the_same_key() {
        let a = RejectRecord::message(Some("m1".into()), "not json", "bad".into(), 0);
        let b = RejectRecord::message(Some("m2".into()), "not json", "bad".into(), 0);
        assert_eq!(a.key("out/", 0), b.key("out/", 0));
        assert!(a
            .key("out/", 0)
            .starts_with("out/rejects/kind=message/dt=1970-01-01/"));
    }

    fn object_from(start_index: u64) -> ObjectRef {
        ObjectRef {
            bucket: "logs".into(),
            key: "big.log.gz".into(),
            version_id: None,
            size: None,
            etag: Some("abc".into()),
            sequencer: None,
            region: None,
            event_time: None,
            event_name: "ObjectCreated:Put".into(),
            start_index,
        }
    }

    #[test]
    fn each_part_of_a_continued_object_gets_its_own_reject_record() {
        let errors = [RecordError {
            index: 0,
            line: Some(1),
            parquet_row: None,
            reason: "bad".into(),
            excerpt: "x".into(),
        }];
        let first = RejectRecord::records(&object_from(0), "text", 1, &errors, 0);
        let second = RejectRecord::records(&object_from(20_000), "text", 1, &errors, 0);
        let second_again = RejectRecord::records(&object_from(20_000), "text", 1, &errors, 0);
        assert_ne!(first.key("out/", 0), second.key("out/", 0));
        assert_eq!(second.key("out/", 0), second_again.key("out/", 0));
        let object = RejectRecord::object(&object_from(20_000), None, "gone".into(), 0);
        assert!(
            object.replay.contains("\"start_index\":20000"),
            "{}",
            object.replay
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "é".repeat(MAX_BODY);
        let r = RejectRecord::message(None, &body, "x".into(), 0);
        assert!(r.message_body.unwrap().len() <= MAX_BODY);
    }
}
