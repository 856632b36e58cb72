//! Scans: discover buckets, read their metadata and posture, classify their objects (full
//! or incremental, sampled), and write reports a person can read.
//!
//! A scan is planned once ([`plan::plan`]: accounts, buckets, metadata, `plan.json`, one
//! task per unit), worked in bounded slices ([`work::run_task`], one per SQS message or
//! in memory for the CLI), and finished exactly once by the last task
//! ([`finalize::finish_if_last`]). Concerns live in their own modules: `config` (the scan
//! config and its scope), `bucket` (metadata), `select` (which objects are read),
//! `read` (reading and classifying one object), `record` (part files and counters),
//! `store` (output location), `task` (tasks and queues), `access` (AWS failures with the
//! action to grant).

pub mod access;
pub mod account;
pub mod bucket;
pub mod bucket_finish;
pub mod config;
pub mod context;
pub mod entry;
pub mod finalize;
pub mod inventory_slice;
pub mod lister;
pub mod plan;
pub mod ranges;
pub mod read;
pub mod record;
pub mod reports;
pub mod scope;
pub mod select;
pub mod slice;
pub mod storage_metrics;
pub mod store;
pub mod task;
pub mod unit_report;
pub mod upload;
pub mod work;

pub mod inventory;
pub mod manifest;
pub mod report;

use aws_sdk_s3::error::ProvideErrorMetadata;
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
    /// The EventBridge schedule (`detail-type: Scheduled Event`): plan with the base config.
    Schedule,
    /// A manual invocation or an EventBridge Scheduler input, with its payload (overrides
    /// merged over the base config).
    Manual(Value),
    /// Scan tasks from the scan queue (SQS records whose bodies are task messages).
    Tasks(Vec<task::Task>),
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
    /// The scan config is invalid.
    #[error(transparent)]
    Config(#[from] config::ScanConfigError),
    /// The scan config could not be loaded.
    #[error("could not load the scan config: {0}")]
    ConfigSource(String),
    /// Reading or writing the scan's files failed.
    #[error(transparent)]
    Store(store::StoreError),
    /// A task could not be queued.
    #[error(transparent)]
    Queue(task::QueueError),
    /// A transient AWS failure (retried through the queue).
    #[error("{}: {}", .0.operation, .0.message)]
    Access(access::AccessIssue),
    /// The classifier could not be built.
    #[error("could not build the classifier: {0}")]
    Classifier(String),
    /// A task names a scan whose plan is gone.
    #[error("the scan's plan {0} is missing")]
    PlanMissing(String),
    /// A report file could not be rendered.
    #[error(transparent)]
    Report(report::ReportError),
}

impl ScanError {
    /// Whether retrying later can help.
    pub fn is_transient(&self) -> bool {
        match self {
            ScanError::ListBuckets { transient, .. } => *transient,
            ScanError::Access(issue) => issue.transient,
            ScanError::Store(_) | ScanError::Queue(_) => true,
            _ => false,
        }
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
        if source != "aws:sqs" {
            return Err(ScanError::UnsupportedTrigger(format!(
                "records from {source}: scans take scan tasks from SQS, the schedule or a manual invoke"
            )));
        }
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut tasks = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let body = r.get("body").and_then(Value::as_str).unwrap_or_default();
            let message: task::TaskMessage = serde_json::from_str(body).map_err(|e| {
                ScanError::UnsupportedTrigger(format!(
                    "SQS record {i} is not a scan task message ({e})"
                ))
            })?;
            tasks.push(message.s3connector_scan_task);
        }
        return Ok(Trigger::Tasks(tasks));
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
                detail: crate::aws::error_summary(&e),
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
    fn sqs_records_that_are_not_tasks_are_refused_with_reason() {
        let event = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
        let err = classify(event).unwrap_err();
        assert!(err.to_string().contains("not a scan task"), "{err}");
        let event = json!({"Records": [{"eventSource": "aws:s3"}]});
        assert!(classify(event).unwrap_err().to_string().contains("aws:s3"));
    }

    #[test]
    fn sqs_task_messages_become_tasks() {
        let unit = task::Unit::new(None, None, "b", "us-east-1", "", false);
        let t = task::Task {
            scan_id: "s".into(),
            started_at: "2026-11-29T00:00:00.000Z".into(),
            config: config::ScanConfig::default(),
            unit,
            slice: 3,
            start_after: Some("k".into()),
            baseline: None,
            folders: Vec::new(),
            baseline_part: 2,
            inventory: None,
            read_manifest: false,
            shard: None,
            ranges: Vec::new(),
        };
        let body = serde_json::to_string(&task::TaskMessage {
            s3connector_scan_task: t.clone(),
        })
        .unwrap();
        let event = json!({"Records": [{"eventSource": "aws:sqs", "body": body}]});
        assert_eq!(classify(event).unwrap(), Trigger::Tasks(vec![t]));
    }
}
