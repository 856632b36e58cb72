//! Splunk HTTP Event Collector (`/services/collector/event`), `Authorization: Splunk
//! <token>`: one `{"time", "event", "sourcetype", "source", "index"}` object per line,
//! acknowledged by `{"text": "Success", "code": 0}`
//! (<https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector>).

use http::StatusCode;
use serde::Deserialize;

use super::config::URL_VAR;
use super::preset::{Preset, Problem, Reply};
use super::{json_string, Attempt};
use crate::sink::{BatchSource, Record};

const SPLUNK_EVENT_PATH: &str = "/services/collector/event";

/// Splunk HEC code 9: "Server is busy".
const HEC_SERVER_BUSY: i64 = 9;

/// Splunk HTTP Event Collector.
pub(crate) struct SplunkHec;

/// Splunk HEC acknowledgement: `{"text":"Success","code":0}`.
#[derive(Deserialize)]
struct HecReply {
    text: Option<String>,
    code: i64,
    #[serde(rename = "invalid-event-number")]
    invalid_event_number: Option<i64>,
}

impl Preset for SplunkHec {
    fn name(&self) -> &'static str {
        "splunk_hec"
    }

    fn auth_scheme(&self) -> &'static str {
        "Splunk"
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn endpoint_path(&self, path: &str) -> Result<Option<String>, Problem> {
        if path.ends_with("/raw") || path.contains("/raw/") {
            return Err(Problem::new(
                "points at the Splunk HEC raw endpoint, which does not take JSON events",
                "the event endpoint, e.g. https://splunk.example.com:8088/services/collector/event",
            ));
        }
        Ok((path.is_empty() || path == "/").then(|| SPLUNK_EVENT_PATH.to_owned()))
    }

    fn index(&self, value: Option<String>) -> Result<Option<String>, Problem> {
        let Some(value) = value else {
            return Ok(None);
        };
        let valid = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if valid {
            Ok(Some(value))
        } else {
            Err(Problem::new(
                "is not a valid Splunk index name",
                "lowercase letters, digits, underscores and hyphens",
            ))
        }
    }

    /// The part of each line after the event, the same for the whole delivery.
    fn delivery_context(&self, source: &BatchSource, index: Option<&str>) -> String {
        let mut suffix = format!(
            r#","sourcetype":{},"source":{}"#,
            json_string(&format!("ocsf:{}", source.log_type)),
            json_string(&format!("s3://{}/{}", source.bucket, source.key)),
        );
        if let Some(index) = index {
            suffix.push_str(&format!(r#","index":{}"#, json_string(index)));
        }
        suffix.push('}');
        suffix
    }

    fn append(&self, body: &mut Vec<u8>, record: &Record, context: &str) {
        body.push(b'{');
        if let Some(time_ms) = record.time_ms {
            body.extend_from_slice(br#""time":"#);
            body.extend_from_slice(splunk_time(time_ms).as_bytes());
            body.push(b',');
        }
        // The event is embedded as JSON, not re-serialized as a string, so Splunk
        // indexes its fields.
        body.extend_from_slice(br#""event":"#);
        body.extend_from_slice(record.json.as_bytes());
        body.extend_from_slice(context.as_bytes());
        body.push(b'\n');
    }

    fn judge(&self, reply: &Reply<'_>) -> Attempt {
        let status = reply.status;
        if !status.is_success() && status != StatusCode::BAD_REQUEST {
            return Attempt::Reject(format!("HTTP {status}: {}", reply.excerpt));
        }
        let Ok(hec) = serde_json::from_slice::<HecReply>(reply.body) else {
            return Attempt::Reject(if status.is_success() {
                format!(
                    "HTTP {status} but the reply is not a Splunk HEC acknowledgement ({}); check that {URL_VAR} is the collector endpoint",
                    reply.excerpt
                )
            } else {
                format!("HTTP {status}: {}", reply.excerpt)
            });
        };
        if hec.code == 0 {
            return if status.is_success() {
                Attempt::Delivered
            } else {
                Attempt::Reject(format!("HTTP {status}: {}", reply.excerpt))
            };
        }
        let mut reason = format!(
            "HTTP {status}, Splunk HEC code {}: {}",
            hec.code,
            hec.text.as_deref().unwrap_or("no text")
        );
        if let Some(number) = hec.invalid_event_number {
            reason.push_str(&format!(" (event {number} of the batch)"));
        }
        if hec.code == HEC_SERVER_BUSY {
            Attempt::Retry {
                reason,
                retry_after: None,
            }
        } else {
            Attempt::Reject(reason)
        }
    }
}

/// Splunk wants epoch seconds; keep the milliseconds as a fraction, exactly.
fn splunk_time(time_ms: i64) -> String {
    let sign = if time_ms < 0 { "-" } else { "" };
    let abs = time_ms.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splunk_line_omits_index_when_unset() {
        let source = BatchSource {
            log_type: "cloudtrail".to_owned(),
            bucket: "logs-bucket".to_owned(),
            key: "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/file.json.gz".to_owned(),
            first_index: 3,
            object_id: "0123456789abcdef".into(),
        };
        let record = Record {
            uid: "u".to_owned(),
            time_ms: Some(5),
            json: r#"{"a":1}"#.to_owned(),
        };
        let mut body = Vec::new();

        SplunkHec.append(
            &mut body,
            &record,
            &SplunkHec.delivery_context(&source, None),
        );

        let line = String::from_utf8(body).unwrap();
        assert_eq!(
            line,
            "{\"time\":0.005,\"event\":{\"a\":1},\"sourcetype\":\"ocsf:cloudtrail\",\"source\":\"s3://logs-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/file.json.gz\"}\n"
        );
    }

    #[test]
    fn splunk_time_keeps_milliseconds_exactly() {
        assert_eq!(splunk_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(splunk_time(1_700_000_000_000), "1700000000.000");
        assert_eq!(splunk_time(7), "0.007");
        assert_eq!(splunk_time(-1_500), "-1.500");
    }
}
