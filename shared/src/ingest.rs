//! The ingest entry point: a Lambda event in, per-message outcomes and counts out.
//!
//! The event is an SQS batch (the deployed trigger), or a single notification when S3,
//! SNS or EventBridge invoke the function directly. Each SQS message is decoded on its
//! own; only messages whose failure is transient are reported in `batchItemFailures`,
//! so a poison message is acknowledged (and logged with its reason) instead of burning
//! retries.

use serde::Serialize;
use serde_json::Value;
use tracing::{debug, error, info, info_span, warn};

use crate::notification::{self, Envelope, Notification, NotificationError, ObjectRef};

/// One SQS message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// SQS message ID, the item identifier for partial batch failures.
    pub message_id: String,
    /// Message body.
    pub body: String,
}

/// The shapes an ingest invocation can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// An SQS event source mapping batch.
    Sqs(Vec<QueueMessage>),
    /// A notification delivered directly (S3, SNS or EventBridge invoking the function).
    Direct(Value),
}

/// Tells an SQS batch from a direct notification.
pub fn classify(event: Value) -> Invocation {
    let is_sqs = event
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs");
    if !is_sqs {
        return Invocation::Direct(event);
    }
    let records = match event {
        Value::Object(mut o) => o.remove("Records"),
        _ => None,
    };
    let messages = records
        .and_then(|r| match r {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .map(|r| QueueMessage {
            message_id: r
                .get("messageId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            body: r
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    Invocation::Sqs(messages)
}

/// Counts for one invocation; `messages == decoded + rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages (or direct notifications) received.
    pub messages: u64,
    /// Messages decoded into object references (test events included).
    pub decoded: u64,
    /// Messages rejected as permanently undecodable.
    pub rejected: u64,
    /// Objects announced for processing.
    pub objects: u64,
    /// Objects deliberately skipped (non-create events, directory markers, empty objects).
    pub skipped: u64,
    /// `s3:TestEvent` messages acknowledged.
    pub test_events: u64,
}

/// The result of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether the event was an SQS batch (and so expects a batch response).
    pub from_sqs: bool,
    /// Message IDs to report in `batchItemFailures`.
    pub failed_message_ids: Vec<String>,
    /// Objects announced, in order.
    pub objects: Vec<ObjectRef>,
    /// Counts for the invocation.
    pub counts: Counts,
}

/// Decodes every notification in `event`, logs each object reference, and returns the outcome.
pub fn handle(event: Value) -> Outcome {
    let mut outcome = Outcome::default();
    match classify(event) {
        Invocation::Sqs(messages) => {
            outcome.from_sqs = true;
            for message in messages {
                let span = info_span!("message", message_id = %message.message_id);
                let _entered = span.enter();
                let decoded = notification::decode(&message.body);
                record(&mut outcome, decoded);
            }
        }
        Invocation::Direct(value) => {
            let decoded = notification::decode_value(&value);
            record(&mut outcome, decoded);
        }
    }
    info!(
        messages = outcome.counts.messages,
        decoded = outcome.counts.decoded,
        rejected = outcome.counts.rejected,
        objects = outcome.counts.objects,
        skipped = outcome.counts.skipped,
        test_events = outcome.counts.test_events,
        batch_item_failures = outcome.failed_message_ids.len(),
        "invocation complete"
    );
    outcome
}

fn record(outcome: &mut Outcome, decoded: Result<Notification, NotificationError>) {
    outcome.counts.messages += 1;
    match decoded {
        Ok(n) => {
            outcome.counts.decoded += 1;
            if n.envelope == Envelope::TestEvent {
                outcome.counts.test_events += 1;
                info!("s3:TestEvent acknowledged: the bucket notification reaches this function");
            }
            for s in &n.skipped {
                debug!(bucket = %s.bucket, key = %s.key, reason = ?s.reason, "object skipped");
            }
            outcome.counts.skipped += n.skipped.len() as u64;
            for o in n.objects {
                info!(
                    bucket = %o.bucket,
                    key = %o.key,
                    size = o.size,
                    etag = o.etag.as_deref(),
                    version_id = o.version_id.as_deref(),
                    envelope = ?n.envelope,
                    event_name = %o.event_name,
                    "object announced"
                );
                outcome.counts.objects += 1;
                outcome.objects.push(o);
            }
        }
        Err(e) => {
            // Permanent: a redelivery carries the same bytes. Acknowledge and say why.
            outcome.counts.rejected += 1;
            error!(error = %e, "notification rejected");
            if outcome.counts.rejected == 1 {
                warn!("rejected notifications are acknowledged so they do not block the queue");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sqs_event(bodies: &[(&str, String)]) -> Value {
        let records: Vec<Value> = bodies
            .iter()
            .map(|(id, body)| {
                json!({
                    "messageId": id,
                    "receiptHandle": "AQEB",
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest",
                    "awsRegion": "eu-west-1"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    fn s3_body(key: &str) -> String {
        json!({"Records": [{
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "logs"}, "object": {"key": key, "size": 3}}
        }]})
        .to_string()
    }

    #[test]
    fn poison_message_is_rejected_without_failing_batch() {
        let event = sqs_event(&[("m1", s3_body("a+b.log")), ("m2", "not json".into())]);
        let out = handle(event);
        assert!(out.from_sqs);
        assert!(out.failed_message_ids.is_empty());
        assert_eq!(out.counts.messages, 2);
        assert_eq!(out.counts.decoded, 1);
        assert_eq!(out.counts.rejected, 1);
        assert_eq!(out.objects[0].key, "a b.log");
        assert_eq!(
            out.counts.messages,
            out.counts.decoded + out.counts.rejected
        );
    }

    #[test]
    fn direct_s3_invocation_is_not_treated_as_sqs() {
        let event: Value = serde_json::from_str(&s3_body("k.log")).unwrap();
        let out = handle(event);
        assert!(!out.from_sqs);
        assert_eq!(out.counts.objects, 1);
    }

    #[test]
    fn test_event_in_sqs_is_counted_and_acknowledged() {
        let body = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "logs"});
        let out = handle(sqs_event(&[("m1", body.to_string())]));
        assert_eq!(out.counts.test_events, 1);
        assert!(out.objects.is_empty());
        assert!(out.failed_message_ids.is_empty());
    }

    fn sample(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn committed_sample_events_decode_as_documented() {
        let sqs = handle(sample("s3-via-sqs.json"));
        assert!(sqs.from_sqs);
        assert_eq!(sqs.counts.objects, 3);
        assert_eq!(sqs.objects[2].key, "uploads/quarterly report (2026).csv");
        let sns = handle(sample("sns-via-sqs.json"));
        assert_eq!((sns.counts.objects, sns.counts.rejected), (1, 0));
        let eb = handle(sample("eventbridge-object-created.json"));
        assert!(!eb.from_sqs);
        assert!(eb.objects[0]
            .key
            .starts_with("AWSLogs/123456789012/GuardDuty/"));
        let test = handle(sample("s3-test-event.json"));
        assert_eq!(test.counts.test_events, 1);
    }
}
