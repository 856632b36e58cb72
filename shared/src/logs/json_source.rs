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

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::{Fields, LogType};

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

/// The record of `map` as `log_type` reads it, or an error naming the fields looked
/// for when it has none of [`identifying_fields`].
///
/// Each record is decided on its own, not by the object's first line, since one
/// EventBridge rule (one Firehose stream) often carries several sources:
/// - an EventBridge envelope is mapped by its own `source` / `detail-type` (see
///   [`route_envelope`]), whatever the object's type;
/// - a bare CloudTrail record (a rule with `InputPath: $.detail`) in generic JSON is
///   read as CloudTrail;
/// - anything else must be a record of `log_type`.
pub(crate) fn accept(
    log_type: LogType,
    map: Map<String, Value>,
) -> Result<Fields<'static>, String> {
    if is_envelope(&map) {
        return Ok(route_envelope(map));
    }
    if log_type == LogType::Json && is_cloudtrail_record(&map) {
        return Ok(Fields::Routed(LogType::CloudTrail, map));
    }
    let wanted = identifying_fields(log_type);
    if wanted.is_empty() || wanted.iter().any(|k| map.contains_key(*k)) {
        return Ok(Fields::Map(map));
    }
    let what = if map.contains_key("errorCode") && map.contains_key("rawData") {
        // Firehose's error output (Firehose Developer Guide, "Data transformation
        // failure handling"): the failed record is base64 in `rawData`.
        " (a Firehose error record: the failed record is base64 in rawData)"
    } else {
        ""
    };
    Err(format!(
        "not a {log_type} record{what}: it has none of the fields {}",
        wanted.join(", ")
    ))
}

/// True for a CloudTrail record by its shape: the four fields every CloudTrail event
/// has (CloudTrail User Guide, "CloudTrail record contents").
pub(crate) fn is_cloudtrail_record(map: &Map<String, Value>) -> bool {
    ["eventVersion", "eventTime", "eventSource", "eventName"]
        .iter()
        .all(|k| map.get(*k).is_some_and(Value::is_string))
}

/// True for an EventBridge event envelope: `detail-type`, `source` and an object `detail`.
pub(crate) fn is_envelope(map: &Map<String, Value>) -> bool {
    map.get("detail-type").is_some_and(Value::is_string)
        && map.get("source").is_some_and(Value::is_string)
        && map.get("detail").is_some_and(Value::is_object)
}

/// The sources a record can be routed to by its own envelope or shape ([`Fields::Routed`]).
pub(crate) const ROUTED_SOURCES: [LogType; 3] =
    [LogType::CloudTrail, LogType::GuardDuty, LogType::Json];

/// The source whose mapping an EventBridge event of `source` / `detail-type` takes, when
/// the project maps its `detail`: CloudTrail for the `... via CloudTrail` detail types
/// (`AWS API Call via CloudTrail`, `AWS Console Sign In via CloudTrail`, `AWS Service
/// Event via CloudTrail`, ...), GuardDuty for `GuardDuty Finding` from `aws.guardduty`.
/// Other events (GuardDuty Malware Protection scan results, Security Hub findings, EC2
/// state changes, ...) have no mapping of their own: `None`.
pub(crate) fn envelope_source(source: &str, detail_type: &str) -> Option<LogType> {
    if detail_type.ends_with(" via CloudTrail") {
        Some(LogType::CloudTrail)
    } else if source == "aws.guardduty" && detail_type == "GuardDuty Finding" {
        Some(LogType::GuardDuty)
    } else {
        None
    }
}

/// An EventBridge envelope as the record of the source its `source` / `detail-type` name
/// ([`envelope_source`]): its `detail`, filled from the envelope. An event of a kind
/// the project does not map, or whose `detail` has none of its source's fields, stays
/// the whole envelope, read as generic JSON (a base event at the envelope's `time`).
fn route_envelope(map: Map<String, Value>) -> Fields<'static> {
    let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or_default();
    let mapped = envelope_source(text("source"), text("detail-type")).filter(|t| {
        map.get("detail")
            .and_then(Value::as_object)
            .is_some_and(|d| identifying_fields(*t).iter().any(|k| d.contains_key(*k)))
    });
    match mapped {
        Some(t) => Fields::Routed(t, unwrap_envelope(t, map)),
        None => Fields::Routed(LogType::Json, map),
    }
}

/// The `detail` of an EventBridge envelope, with the envelope's account, region and
/// time filling in the record's own fields of `log_type` where it has none.
fn unwrap_envelope(log_type: LogType, mut map: Map<String, Value>) -> Map<String, Value> {
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

/// True when a CloudTrail object holds records one after another rather than one
/// `{"Records":[...]}` document: its first line is an EventBridge event envelope (see
/// [`starts_with_envelope`]); or its first JSON value, on one line or pretty-printed over
/// several, is an object with a CloudTrail record's fields or an envelope's, and no
/// `Records` (bare records, as an EventBridge rule with `InputPath: $.detail` writes
/// them, or records saved one by one); or it is a JSON array (of such records: a
/// `Records` document is never one). `head` is what the reader holds; anything else is
/// read as a document.
pub(crate) fn starts_with_record_lines(head: &[u8]) -> bool {
    if starts_with_envelope(head) {
        return true;
    }
    let head = head.trim_ascii_start();
    if head.first() == Some(&b'[') {
        return true;
    }
    let mut values =
        serde_json::Deserializer::from_slice(head).into_iter::<HashMap<String, IgnoredAny>>();
    let Some(Ok(keys)) = values.next() else {
        return false;
    };
    let envelope = keys.contains_key("detail-type") && keys.contains_key("detail");
    !keys.contains_key("Records")
        && (envelope
            || identifying_fields(LogType::CloudTrail)
                .iter()
                .any(|k| keys.contains_key(*k)))
}

/// True when the first line of `head` is an EventBridge event envelope (its keys are
/// looked for, not parsed). `head` is what the reader holds (256 KiB as objects are
/// opened): an envelope whose `detail` key lies past it is read as a `Records` file and
/// refused as one.
fn starts_with_envelope(head: &[u8]) -> bool {
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
