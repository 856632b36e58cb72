//! CloudWatch Logs subscription data delivered to S3 by Amazon Data Firehose.
//!
//! A subscription filter sends batches of log events as JSON envelopes
//! (`messageType`, `owner`, `logGroup`, `logStream`, `subscriptionFilters`,
//! `logEvents: [{id, timestamp, message}]`); Firehose writes the envelopes one
//! after another into the object, usually with nothing between them (each was
//! its own gzip member). Every log event becomes one record carrying its group,
//! stream and owner; `CONTROL_MESSAGE` envelopes (CloudWatch Logs checking that
//! the destination is reachable) hold no log data and yield no records.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::json_scan::{JsonScanner, Scanned, MAX_VALUE_BYTES};
use super::{Emitter, Fields, ParseError};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    message_type: String,
    owner: Option<String>,
    log_group: Option<String>,
    log_stream: Option<String>,
    #[serde(default)]
    subscription_filters: Vec<String>,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    id: Option<String>,
    timestamp: Option<i64>,
    message: String,
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    let mut scanner = JsonScanner::new(reader);
    let mut buf = Vec::with_capacity(64 * 1024);
    while scanner.peek()?.is_some() {
        let scanned = scanner.read_value(Some(&mut buf), MAX_VALUE_BYTES)?;
        let envelope = match scanned {
            Scanned::TooLong(len) => Err(format!(
                "envelope is {len} bytes, over the {MAX_VALUE_BYTES}-byte limit"
            )),
            Scanned::Complete => serde_json::from_slice::<Envelope>(&buf).map_err(|e| {
                format!("not a CloudWatch Logs subscription envelope (messageType, logEvents): {e}")
            }),
        };
        let envelope = match envelope {
            Ok(e) => e,
            Err(reason) => {
                // One index for the whole envelope: its events cannot be counted.
                if out.skipping() {
                    out.skip();
                } else if out.malformed(None, reason, &buf).is_break() {
                    return Ok(());
                }
                continue;
            }
        };
        match envelope.message_type.as_str() {
            "DATA_MESSAGE" => {}
            "CONTROL_MESSAGE" => continue,
            other => {
                let reason = format!(
                    "unknown messageType {other:?}; expected DATA_MESSAGE or CONTROL_MESSAGE"
                );
                if out.skipping() {
                    out.skip();
                } else if out.malformed(None, reason, &buf).is_break() {
                    return Ok(());
                }
                continue;
            }
        }
        for event in &envelope.log_events {
            if out.skipping() {
                out.skip();
                continue;
            }
            if out
                .record(None, Fields::Map(fields(&envelope, event)), &event.message)
                .is_break()
            {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The record of one log event: its own fields plus where it was logged.
fn fields(envelope: &Envelope, event: &LogEvent) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.to_owned(), Value::String(v.clone()));
        }
    };
    put("id", event.id.as_ref());
    put("owner", envelope.owner.as_ref());
    put("logGroup", envelope.log_group.as_ref());
    put("logStream", envelope.log_stream.as_ref());
    if let Some(ts) = event.timestamp {
        m.insert("timestamp".to_owned(), Value::from(ts));
    }
    m.insert("message".to_owned(), Value::String(event.message.clone()));
    if !envelope.subscription_filters.is_empty() {
        m.insert(
            "subscriptionFilters".to_owned(),
            Value::from(envelope.subscription_filters.clone()),
        );
    }
    m
}

#[cfg(test)]
pub(crate) mod samples {
    /// Two envelopes as Firehose writes them (back to back): a control message, then
    /// VPC flow log lines sent to CloudWatch Logs, as in the AWS subscription examples.
    pub(crate) const FIREHOSE_OBJECT: &str = concat!(
        r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#,
        r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"Example1","logStream":"logStream1","subscriptionFilters":["Destination"],"logEvents":[{"id":"31953106606966983378809025079804211143289615424298221568","timestamp":1432826855000,"message":"{\"eventVersion\":\"1.03\",\"userIdentity\":{\"type\":\"Root\"}}"},{"id":"31953106606966983378809025079804211143289615424298221569","timestamp":1432826855001,"message":"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"}]}"#,
        "\n",
    );
}

#[cfg(test)]
mod tests {
    use super::samples::FIREHOSE_OBJECT;
    use crate::logs::test_support::{collect, collect_from};
    use crate::logs::LogType;

    #[test]
    fn every_log_event_is_a_record_and_control_messages_are_dropped() {
        let got = collect(LogType::CloudWatchLogs, FIREHOSE_OBJECT);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 2);
        let first = &got.records[0];
        assert_eq!(first.index, 0);
        assert_eq!(first.fields["logGroup"], "Example1");
        assert_eq!(first.fields["logStream"], "logStream1");
        assert_eq!(first.fields["owner"], "123456789012");
        assert_eq!(first.fields["timestamp"], 1_432_826_855_000i64);
        assert_eq!(
            first.original,
            r#"{"eventVersion":"1.03","userIdentity":{"type":"Root"}}"#
        );
        assert_eq!(got.records[1].index, 1);
        assert!(got.records[1].original.starts_with("2 123456789012 eni-"));
    }

    #[test]
    fn resuming_skips_log_events_inside_an_envelope() {
        let got = collect_from(LogType::CloudWatchLogs, FIREHOSE_OBJECT, 1).unwrap();
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].index, 1);
        assert_eq!(got.summary.skipped, 1);
    }

    #[test]
    fn a_broken_envelope_is_a_record_error_and_the_next_one_still_counts() {
        let input = format!(
            "{}\n{{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":\"oops\"}}\n{}",
            r#"{"messageType":"SOMETHING_ELSE","logEvents":[]}"#, FIREHOSE_OBJECT
        );
        let got = collect(LogType::CloudWatchLogs, &input);
        assert_eq!(got.errors.len(), 2);
        assert!(
            got.errors[0].reason.contains("unknown messageType"),
            "{}",
            got.errors[0].reason
        );
        assert!(
            got.errors[1].reason.contains("logEvents"),
            "{}",
            got.errors[1].reason
        );
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[0].index, 2);
    }

    #[test]
    fn stray_closing_brackets_and_commas_end_as_record_errors_instead_of_spinning() {
        // Found by the property tests: a value starting with `}` `]` or `,` was read as
        // zero bytes, so the parser looped on it forever.
        for input in ["}", "]]]", ",", "} {}", "x,y"] {
            let got = collect(LogType::CloudWatchLogs, input);
            assert!(got.records.is_empty(), "{input}");
            assert!(!got.errors.is_empty(), "{input}");
            assert!(got.errors.len() <= input.len(), "{input}: {:?}", got.errors);
        }
    }
}
