//! What a record of each JSON log source must be: EventBridge envelopes unwrapped, and
//! records with none of the source's own fields refused with a reason.
//!
//! GuardDuty findings and CloudTrail events also reach S3 through an EventBridge rule
//! with an Amazon Data Firehose target, each in the event envelope EventBridge
//! documents (EventBridge User Guide, "Amazon EventBridge events": `version`, `id`,
//! `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`).
//! GuardDuty's `detail` is the finding exactly as the export writes it (`detail-type`
//! `GuardDuty Finding`, source `aws.guardduty`); CloudTrail's `detail` is the CloudTrail
//! record (`detail-type` `AWS API Call via CloudTrail`, `AWS Console Sign In via
//! CloudTrail`, ...; source the calling service, e.g. `aws.s3`), without
//! `recipientAccountId`. The record is the `detail`, with the envelope's account,
//! region and time filling in the finding's or record's own fields where it has none;
//! the record's original text stays the whole envelope.

use serde_json::{Map, Value};

use super::LogType;

/// The fields at least one of which every record of `log_type` has; empty for sources
/// that take any object (generic JSON).
pub(crate) fn identifying_fields(log_type: LogType) -> &'static [&'static str] {
    match log_type {
        LogType::Waf => &[
            "webaclId",
            "httpRequest",
            "terminatingRuleId",
            "action",
            "timestamp",
        ],
        LogType::GuardDuty => &["id", "arn", "type", "severity", "schemaVersion"],
        LogType::Route53Resolver => &["query_name", "query_timestamp", "srcaddr", "query_type"],
        LogType::CloudTrail => &["eventTime", "eventName", "eventSource", "eventType"],
        _ => &[],
    }
}

/// The record of `map` as `log_type` reads it: the `detail` of an EventBridge envelope
/// (for GuardDuty and CloudTrail), else `map` itself; an error naming the fields
/// looked for when it has none of [`identifying_fields`].
pub(crate) fn accept(
    log_type: LogType,
    map: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let map = match log_type {
        LogType::GuardDuty | LogType::CloudTrail => unwrap_envelope(log_type, map),
        _ => map,
    };
    let wanted = identifying_fields(log_type);
    if wanted.is_empty() || wanted.iter().any(|k| map.contains_key(*k)) {
        return Ok(map);
    }
    let what = if map.contains_key("errorCode") && map.contains_key("rawData") {
        // Firehose's error output (Firehose Developer Guide, "Data transformation
        // failure handling"): the failed record is base64 in `rawData`.
        " (a Firehose error record: the failed record is base64 in rawData)"
    } else if map.contains_key("detail-type") && map.contains_key("detail") {
        " (an EventBridge event of another source)"
    } else {
        ""
    };
    Err(format!(
        "not a {log_type} record{what}: it has none of the fields {}",
        wanted.join(", ")
    ))
}

/// True for an EventBridge event envelope: `detail-type`, `source` and an object `detail`.
pub(crate) fn is_envelope(map: &Map<String, Value>) -> bool {
    map.get("detail-type").is_some_and(Value::is_string)
        && map.get("source").is_some_and(Value::is_string)
        && map.get("detail").is_some_and(Value::is_object)
}

fn unwrap_envelope(log_type: LogType, mut map: Map<String, Value>) -> Map<String, Value> {
    if !is_envelope(&map) {
        return map;
    }
    let Some(Value::Object(mut detail)) = map.remove("detail") else {
        return map;
    };
    // The envelope's fields, as the record names them, where the record has none.
    let fill: &[(&str, &str)] = match log_type {
        LogType::GuardDuty => &[
            ("account", "accountId"),
            ("region", "region"),
            ("time", "updatedAt"),
        ],
        _ => &[
            ("account", "recipientAccountId"),
            ("region", "awsRegion"),
            ("time", "eventTime"),
        ],
    };
    for (from, to) in fill {
        if let Some(v) = map
            .get(*from)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            detail.entry(*to).or_insert_with(|| v.clone());
        }
    }
    detail
}

/// True when the first line of `head` is an EventBridge event envelope (its keys are
/// looked for, not parsed): such objects are read as JSON lines, not `{"Records":[...]}`.
/// `head` is what the reader holds (256 KiB as objects are opened): an envelope whose
/// `detail` key lies past it is read as a `Records` file and refused as one.
pub(crate) fn starts_with_envelope(head: &[u8]) -> bool {
    let head = head.trim_ascii_start();
    let line = memchr::memchr(b'\n', head).map_or(head, |i| &head[..i]);
    head.first() == Some(&b'{')
        && memchr::memmem::find(line, b"\"detail-type\"").is_some()
        && memchr::memmem::find(line, b"\"detail\"").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn envelope_detail_is_the_record_and_fills_account_region_and_time() {
        let env = obj(
            json!({"version":"0","id":"e1","detail-type":"GuardDuty Finding","source":"aws.guardduty",
            "account":"111122223333","time":"2024-05-01T00:00:00Z","region":"eu-west-1","resources":[],
            "detail":{"schemaVersion":"2.0","id":"f1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2}}),
        );
        let got = accept(LogType::GuardDuty, env).unwrap();
        assert_eq!(got["id"], "f1");
        assert_eq!(got["accountId"], "111122223333");
        assert_eq!(got["region"], "eu-west-1");
        assert_eq!(got["updatedAt"], "2024-05-01T00:00:00Z");
        assert!(!got.contains_key("detail-type"));
    }

    #[test]
    fn records_with_none_of_the_sources_fields_are_refused_with_the_reason() {
        let firehose_error = obj(json!({"attemptsMade":4,"arrivalTimestamp":1714521600000u64,
            "errorCode":"Lambda.FunctionError","errorMessage":"x","rawData":"eyJ9","lambdaArn":"arn:aws:lambda:us-east-1:1:function:f"}));
        for t in [
            LogType::Waf,
            LogType::GuardDuty,
            LogType::Route53Resolver,
            LogType::CloudTrail,
        ] {
            let err = accept(t, firehose_error.clone()).unwrap_err();
            assert!(
                err.contains(&format!("not a {t} record (a Firehose error record")),
                "{err}"
            );
            assert!(err.contains(identifying_fields(t)[0]), "{err}");
        }
        assert!(accept(LogType::Json, firehose_error).is_ok());
    }
}
