//! Lambda events in: an SQS batch or a direct notification, each message decoded on
//! its own (S3, SNS and EventBridge notification shapes: see `crate::notification`).

use serde_json::Value;
use tracing::warn;

use super::Outcome;
use crate::notification::{self, Envelope, Notification, NotificationError};

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

/// One decoded message of an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMessage {
    /// SQS message ID (None for direct invocations).
    pub message_id: Option<String>,
    /// The body as received (for reject records).
    pub body: String,
    /// The decoded notification, or why it could not be decoded.
    pub result: Result<Notification, NotificationError>,
}

/// Decodes every message of an event without touching any object.
pub fn decode_event(event: Value) -> (bool, Vec<DecodedMessage>) {
    match classify(event) {
        Invocation::Sqs(messages) => (
            true,
            messages
                .into_iter()
                .map(|m| DecodedMessage {
                    result: notification::decode(&m.body),
                    message_id: Some(m.message_id),
                    body: m.body,
                })
                .collect(),
        ),
        Invocation::Direct(value) => (
            false,
            vec![DecodedMessage {
                result: notification::decode_value(&value),
                message_id: None,
                body: value.to_string(),
            }],
        ),
    }
}

/// Decodes an event and reports the objects it announces, without reading them (CLI `notification`).
pub fn announce(event: Value) -> Outcome {
    let (from_sqs, messages) = decode_event(event);
    let mut outcome = Outcome {
        from_sqs,
        ..Outcome::default()
    };
    for m in messages {
        outcome.counts.messages += 1;
        match m.result {
            Ok(n) => {
                outcome.counts.decoded += 1;
                outcome.counts.test_events += u64::from(n.envelope == Envelope::TestEvent);
                outcome.counts.skipped += n.skipped.len() as u64;
                outcome.counts.objects += n.objects.len() as u64;
                outcome.objects.extend(n.objects);
            }
            Err(e) => {
                outcome.counts.rejected += 1;
                warn!(message_id = m.message_id.as_deref(), error = %e, "notification rejected");
            }
        }
    }
    outcome
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
        let out = announce(event);
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
        let out = announce(event);
        assert!(!out.from_sqs);
        assert_eq!(out.counts.objects, 1);
    }

    #[test]
    fn test_event_in_sqs_is_counted_and_acknowledged() {
        let body = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "logs"});
        let out = announce(sqs_event(&[("m1", body.to_string())]));
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
        let sqs = announce(sample("s3-via-sqs.json"));
        assert!(sqs.from_sqs);
        assert_eq!(sqs.counts.objects, 3);
        assert_eq!(sqs.objects[2].key, "uploads/quarterly report (2026).csv");
        let sns = announce(sample("sns-via-sqs.json"));
        assert_eq!((sns.counts.objects, sns.counts.rejected), (1, 0));
        let eb = announce(sample("eventbridge-object-created.json"));
        assert!(!eb.from_sqs);
        assert!(eb.objects[0]
            .key
            .starts_with("AWSLogs/123456789012/GuardDuty/"));
        let test = announce(sample("s3-test-event.json"));
        assert_eq!(test.counts.test_events, 1);
    }
}
