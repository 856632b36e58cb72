//! What an invocation answers: the counts, the partial batch response for SQS, the
//! error that makes Lambda retry a direct invocation, and the CloudWatch Embedded Metric
//! Format line.

use serde::Serialize;
use serde_json::Value;

use crate::notification::ObjectRef;

/// Counts for one invocation. Messages: `messages == decoded + rejected`. Objects:
/// `objects == delivered + rejected + skipped + continued + failed`. Records:
/// `records_in == records_delivered + records_rejected` for the objects read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages (or direct notifications) received.
    pub messages: u64,
    /// Messages decoded.
    pub decoded: u64,
    /// Messages rejected as permanently undecodable.
    pub rejected: u64,
    /// `s3:TestEvent` messages acknowledged.
    pub test_events: u64,
    /// Objects announced for processing.
    pub objects: u64,
    /// Objects whose records were all delivered (malformed lines aside).
    pub objects_delivered: u64,
    /// Objects rejected permanently (written under `rejects/`).
    pub objects_rejected: u64,
    /// Objects skipped: non-create events, directory markers, empty objects, digests.
    pub skipped: u64,
    /// Objects handed to a continuation message to finish.
    pub objects_continued: u64,
    /// Objects that failed transiently (their message is retried).
    pub objects_failed: u64,
    /// Records read from objects (parsed or malformed).
    pub records_in: u64,
    /// Records delivered to the sink.
    pub records_delivered: u64,
    /// Records that could not be parsed (listed under `rejects/`).
    pub records_rejected: u64,
}

/// The result of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether the event was an SQS batch (and so expects a batch response).
    pub from_sqs: bool,
    /// Message IDs to report in `batchItemFailures`.
    pub failed_message_ids: Vec<String>,
    /// What failed transiently (object and reason), for messages of an SQS batch and
    /// direct invocations alike: non-empty means the input must be retried.
    pub failures: Vec<String>,
    /// Objects announced, in order.
    pub objects: Vec<ObjectRef>,
    /// Counts for the invocation.
    pub counts: Counts,
}

/// A direct invocation that must fail so Lambda retries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} input(s) failed transiently and must be retried; failing the invocation so Lambda's asynchronous retries and on-failure destination see it. First: {}", .failures.len(), .failures.first().map_or("", String::as_str))]
pub struct RetryInvocation {
    /// Each failure: the object and the reason.
    pub failures: Vec<String>,
}

/// The function's answer to Lambda for `outcome`.
///
/// An SQS batch gets the partial batch response (`{"batchItemFailures":
/// [{"itemIdentifier": "<message id>"}]}`) naming only the messages to retry. A direct
/// invocation (S3, SNS or EventBridge) has no such response: when anything failed
/// transiently it gets an error, so Lambda retries the event and, once retries are
/// spent, sends it to the on-failure destination; otherwise it gets the counts.
pub fn lambda_response(outcome: &Outcome) -> Result<Value, RetryInvocation> {
    if outcome.from_sqs {
        let failures: Vec<Value> = outcome
            .failed_message_ids
            .iter()
            .map(|id| serde_json::json!({ "itemIdentifier": id }))
            .collect();
        return Ok(serde_json::json!({ "batchItemFailures": failures }));
    }
    if !outcome.failures.is_empty() {
        return Err(RetryInvocation {
            failures: outcome.failures.clone(),
        });
    }
    Ok(serde_json::to_value(&outcome.counts).unwrap_or_default())
}

/// One CloudWatch Embedded Metric Format line with the invocation's counts.
pub fn emf_line(c: &Counts, timestamp_ms: i64) -> String {
    let metrics = [
        ("MessagesIn", c.messages),
        ("MessagesRejected", c.rejected),
        ("ObjectsIn", c.objects),
        ("ObjectsDelivered", c.objects_delivered),
        ("ObjectsRejected", c.objects_rejected),
        ("ObjectsSkipped", c.skipped),
        ("ObjectsContinued", c.objects_continued),
        ("ObjectsFailed", c.objects_failed),
        ("RecordsIn", c.records_in),
        ("RecordsDelivered", c.records_delivered),
        ("RecordsRejected", c.records_rejected),
    ];
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "s3connector",
                "Dimensions": [["Function"]],
                "Metrics": metrics.iter().map(|(name, _)| serde_json::json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            }]
        },
        "Function": "ingest",
    });
    for (name, value) in metrics {
        doc[name] = serde_json::json!(value);
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn direct_invocation_with_a_transient_failure_is_an_error_and_sqs_names_messages() {
        let direct = Outcome {
            failures: vec!["s3://logs/a.log: sink down".into()],
            ..Outcome::default()
        };
        let err = lambda_response(&direct).unwrap_err();
        assert!(
            err.to_string().contains("s3://logs/a.log: sink down"),
            "{err}"
        );
        let fine = Outcome::default();
        assert_eq!(lambda_response(&fine).unwrap()["objects"], 0);
        let sqs = Outcome {
            from_sqs: true,
            failed_message_ids: vec!["m2".into()],
            failures: vec!["s3://logs/b.log: sink down".into()],
            ..Outcome::default()
        };
        assert_eq!(
            lambda_response(&sqs).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
        );
    }
}
