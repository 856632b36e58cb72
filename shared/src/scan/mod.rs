//! Scans: discover buckets and (in later stages) classify their content.

pub mod inventory;
pub mod manifest;
pub mod report;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use serde::Serialize;
use serde_json::Value;
use tracing::info;

/// A bucket visible to the scanning credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketInfo {
    /// Bucket name.
    pub name: String,
    /// Creation date (RFC 3339), when S3 reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The bucket's region, when ListBuckets reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// What started the scan function.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// The EventBridge schedule (`detail-type: Scheduled Event`).
    Schedule,
    /// A manual invocation, with its payload (overrides for the scan).
    Manual(Value),
}

/// Failure of a scan step.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// ListBuckets failed.
    #[error("could not list buckets: {detail} (grant s3:ListAllMyBuckets to the scanning role)")]
    ListBuckets {
        /// AWS error code, if AWS answered.
        code: Option<String>,
        /// Full error context.
        detail: String,
        /// Whether retrying can help.
        transient: bool,
    },
    /// The event is not one the scan function accepts.
    #[error("unsupported scan trigger: {0}")]
    UnsupportedTrigger(String),
}

impl ScanError {
    /// Whether retrying later can help.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ScanError::ListBuckets {
                transient: true,
                ..
            }
        )
    }
}

/// Tells the schedule from a manual invocation, and refuses shapes the scan does not handle.
pub fn classify(event: Value) -> Result<Trigger, ScanError> {
    if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        return Ok(Trigger::Schedule);
    }
    let first_source = event
        .get("Records")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str);
    if let Some(source) = first_source {
        return Err(ScanError::UnsupportedTrigger(format!(
            "records from {source}: this version plans scans from the schedule or a manual invoke only"
        )));
    }
    match event {
        Value::Object(_) | Value::Null => Ok(Trigger::Manual(event)),
        other => Err(ScanError::UnsupportedTrigger(format!(
            "payload must be a JSON object, got {other}"
        ))),
    }
}

/// Lists every bucket the credentials can see, following continuation tokens.
pub async fn list_buckets(s3: &aws_sdk_s3::Client) -> Result<Vec<BucketInfo>, ScanError> {
    let mut buckets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .max_buckets(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| ScanError::ListBuckets {
                code: e.code().map(str::to_string),
                transient: crate::aws::is_transient(&e),
                detail: DisplayErrorContext(&e).to_string(),
            })?;
        for b in page.buckets() {
            buckets.push(BucketInfo {
                name: b.name().unwrap_or_default().to_string(),
                created: b.creation_date().map(|d| d.to_string()),
                region: b.bucket_region().map(str::to_string),
            });
        }
        match page.continuation_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    info!(count = buckets.len(), "buckets listed");
    for b in &buckets {
        info!(bucket = %b.name, region = b.region.as_deref(), "bucket visible");
    }
    Ok(buckets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scheduled_event_is_a_schedule_trigger() {
        let event = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-23T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/s3connector-scan"],
            "detail": {}
        });
        assert_eq!(classify(event).unwrap(), Trigger::Schedule);
    }

    #[test]
    fn object_payload_is_a_manual_trigger() {
        let event = json!({"mode": "full"});
        assert_eq!(classify(event.clone()).unwrap(), Trigger::Manual(event));
    }

    #[test]
    fn sqs_records_are_refused_with_reason() {
        let event = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
        let err = classify(event).unwrap_err();
        assert!(err.to_string().contains("aws:sqs"), "{err}");
    }
}
