//! Notification envelopes to object references.
//!
//! Accepts every way S3 can announce a new object: an S3 event (`Records[].s3`) sent
//! directly or inside an SQS body, the same wrapped in an SNS notification (SNS to SQS,
//! or SNS invoking Lambda), an EventBridge `Object Created` event (directly or inside
//! SQS), and the `s3:TestEvent` S3 sends when notifications are configured.
//! Unknown fields are ignored so new event versions keep working.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An S3 object announced by a notification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// Version ID, for versioned buckets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Size in bytes, when the notification carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// ETag at the time of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// S3's sequencer, which orders events for the same key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequencer: Option<String>,
    /// The bucket's region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// When the event happened (ISO 8601, as S3 wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// The event, e.g. `ObjectCreated:Put` or `Object Created`.
    pub event_name: String,
    /// Record index to resume from (non-zero only in continuation messages).
    #[serde(skip_serializing_if = "is_zero")]
    pub start_index: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The field that marks a continuation message the ingest function sent itself.
pub const CONTINUATION_FIELD: &str = "s3connector_continuation";

/// The body of a continuation message: the object and the record index to resume at.
pub fn continuation_body(object: &ObjectRef, start_index: u64) -> String {
    serde_json::json!({
        CONTINUATION_FIELD: {
            "bucket": object.bucket,
            "key": object.key,
            "version_id": object.version_id,
            "etag": object.etag,
            "size": object.size,
            "region": object.region,
            "event_time": object.event_time,
            "event_name": object.event_name,
            "start_index": start_index,
        }
    })
    .to_string()
}

/// Why an announced object is not processed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    /// A removal, restore, tagging or other non-create event.
    NotACreateEvent {
        /// The event as S3 named it.
        event_name: String,
    },
    /// A zero-byte key ending in `/`, created by consoles to show folders.
    DirectoryMarker,
    /// A zero-byte object: nothing to read.
    EmptyObject,
}

/// An object that a notification named but that is deliberately not processed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// Why it is skipped.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Which envelope a message arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Envelope {
    /// S3 event notification (`Records[].s3`).
    S3Event,
    /// S3 event notification wrapped in an SNS notification.
    SnsS3Event,
    /// EventBridge event from `aws.s3`.
    EventBridge,
    /// `s3:TestEvent`, sent when a notification configuration is saved.
    TestEvent,
    /// A continuation the ingest function sent itself to finish a large object.
    Continuation,
}

/// The decoded content of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The envelope that was recognised.
    pub envelope: Envelope,
    /// Objects to process.
    pub objects: Vec<ObjectRef>,
    /// Objects deliberately not processed.
    pub skipped: Vec<Skipped>,
}

/// A message that cannot be decoded. Always permanent: redelivery cannot fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// The body is not JSON.
    #[error(
        "message body is not JSON ({detail}); expected an S3, SNS or EventBridge notification"
    )]
    NotJson {
        /// The parser's complaint, with line and column.
        detail: String,
    },
    /// JSON, but no known envelope.
    #[error("message is not an S3 notification: top-level fields [{fields}] match no S3, SNS or EventBridge envelope")]
    UnrecognisedShape {
        /// Top-level field names seen (values are not echoed).
        fields: String,
    },
    /// A known envelope with a missing or mistyped field.
    #[error("malformed {envelope} notification: {detail}")]
    Malformed {
        /// Which envelope was being read.
        envelope: &'static str,
        /// What was wrong, with the field path.
        detail: String,
    },
    /// An object key whose URL encoding does not decode to UTF-8.
    #[error("object key {raw:?} in bucket {bucket} is not valid URL-encoded UTF-8")]
    InvalidKey {
        /// Bucket name.
        bucket: String,
        /// The key as it appeared in the event.
        raw: String,
    },
}

/// Decodes one message body (an SQS body, or a direct invocation payload as text).
pub fn decode(body: &str) -> Result<Notification, NotificationError> {
    let value: Value = serde_json::from_str(body).map_err(|e| NotificationError::NotJson {
        detail: e.to_string(),
    })?;
    decode_value(&value)
}

/// Decodes one message that is already parsed as JSON.
pub fn decode_value(value: &Value) -> Result<Notification, NotificationError> {
    decode_nested(value, 0)
}

// SNS can wrap an S3 event; nothing legitimate nests deeper than that.
const MAX_NESTING: u8 = 2;

fn decode_nested(value: &Value, depth: u8) -> Result<Notification, NotificationError> {
    let Some(obj) = value.as_object() else {
        return Err(NotificationError::UnrecognisedShape {
            fields: format!("<{}>", json_kind(value)),
        });
    };
    if let Some(c) = obj.get(CONTINUATION_FIELD) {
        let c = Continuation::deserialize(c).map_err(|e| NotificationError::Malformed {
            envelope: "continuation",
            detail: e.to_string(),
        })?;
        return Ok(Notification {
            envelope: Envelope::Continuation,
            objects: vec![ObjectRef {
                bucket: c.bucket,
                key: c.key,
                version_id: c.version_id,
                size: c.size,
                etag: c.etag,
                sequencer: None,
                region: c.region,
                event_time: c.event_time,
                event_name: c.event_name,
                start_index: c.start_index,
            }],
            skipped: vec![],
        });
    }
    if obj.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Notification {
            envelope: Envelope::TestEvent,
            objects: vec![],
            skipped: vec![],
        });
    }
    if depth < MAX_NESTING && obj.get("Type").and_then(Value::as_str) == Some("Notification") {
        let message = obj.get("Message").and_then(Value::as_str).ok_or_else(|| {
            NotificationError::Malformed {
                envelope: "SNS",
                detail: "field `Message` is missing or not a string".into(),
            }
        })?;
        let inner = decode(message)?;
        return Ok(into_sns(inner));
    }
    if let Some(records) = obj.get("Records") {
        return decode_records(records, depth);
    }
    if obj.get("source").and_then(Value::as_str) == Some("aws.s3") && obj.contains_key("detail") {
        return decode_eventbridge(value);
    }
    let mut fields: Vec<&str> = obj.keys().map(String::as_str).take(12).collect();
    fields.sort_unstable();
    Err(NotificationError::UnrecognisedShape {
        fields: fields.join(", "),
    })
}

fn into_sns(inner: Notification) -> Notification {
    let envelope = match inner.envelope {
        Envelope::S3Event => Envelope::SnsS3Event,
        other => other,
    };
    Notification { envelope, ..inner }
}

fn decode_records(records: &Value, depth: u8) -> Result<Notification, NotificationError> {
    let list = records
        .as_array()
        .ok_or_else(|| NotificationError::Malformed {
            envelope: "S3",
            detail: format!(
                "field `Records` is {}, expected an array",
                json_kind(records)
            ),
        })?;
    let mut out = Notification {
        envelope: Envelope::S3Event,
        objects: vec![],
        skipped: vec![],
    };
    for (i, record) in list.iter().enumerate() {
        // SNS invoking Lambda directly: Records[].Sns.Message holds the S3 event.
        if let Some(sns) = record.get("Sns") {
            let message = sns.get("Message").and_then(Value::as_str).ok_or_else(|| {
                NotificationError::Malformed {
                    envelope: "SNS",
                    detail: format!("`Records[{i}].Sns.Message` is missing or not a string"),
                }
            })?;
            let inner = match serde_json::from_str::<Value>(message) {
                Ok(v) if depth < MAX_NESTING => into_sns(decode_nested(&v, depth + 1)?),
                Ok(_) => {
                    return Err(NotificationError::Malformed {
                        envelope: "SNS",
                        detail: "notifications nested too deeply".into(),
                    })
                }
                Err(e) => {
                    return Err(NotificationError::NotJson {
                        detail: e.to_string(),
                    })
                }
            };
            out.envelope = inner.envelope;
            out.objects.extend(inner.objects);
            out.skipped.extend(inner.skipped);
            continue;
        }
        let rec = S3Record::deserialize(record).map_err(|e| NotificationError::Malformed {
            envelope: "S3",
            detail: format!("`Records[{i}]`: {e}"),
        })?;
        let bucket = rec.s3.bucket.name;
        let key = decode_key(&rec.s3.object.key).ok_or_else(|| NotificationError::InvalidKey {
            bucket: bucket.clone(),
            raw: rec.s3.object.key.clone(),
        })?;
        let event_name = rec.event_name;
        let object = ObjectRef {
            bucket,
            key,
            version_id: rec
                .s3
                .object
                .version_id
                .filter(|v| !v.is_empty() && v != "null"),
            size: rec.s3.object.size,
            etag: rec.s3.object.e_tag.filter(|e| !e.is_empty()),
            sequencer: rec.s3.object.sequencer,
            region: rec.aws_region,
            event_time: rec.event_time,
            event_name,
            start_index: 0,
        };
        let is_create = is_create_event(&object.event_name);
        route(object, is_create, &mut out);
    }
    Ok(out)
}

fn decode_eventbridge(value: &Value) -> Result<Notification, NotificationError> {
    let ev = EventBridgeEvent::deserialize(value).map_err(|e| NotificationError::Malformed {
        envelope: "EventBridge",
        detail: e.to_string(),
    })?;
    let mut out = Notification {
        envelope: Envelope::EventBridge,
        objects: vec![],
        skipped: vec![],
    };
    // EventBridge carries the key as stored, not URL-encoded (a real event shows
    // `2023-08-08T14:03:40.532432.zip` where S3 notifications would write `%3A`).
    let object = ObjectRef {
        bucket: ev.detail.bucket.name,
        key: ev.detail.object.key,
        version_id: ev
            .detail
            .object
            .version_id
            .filter(|v| !v.is_empty() && v != "null"),
        size: ev.detail.object.size,
        etag: ev.detail.object.etag.filter(|e| !e.is_empty()),
        sequencer: ev.detail.object.sequencer,
        region: ev.region,
        event_time: ev.time,
        event_name: ev.detail_type,
        start_index: 0,
    };
    let is_create = object.event_name == "Object Created";
    route(object, is_create, &mut out);
    Ok(out)
}

/// Sends an object to `objects` or `skipped` according to the event and its shape.
fn route(object: ObjectRef, is_create: bool, out: &mut Notification) {
    let reason = if !is_create {
        Some(SkipReason::NotACreateEvent {
            event_name: object.event_name.clone(),
        })
    } else if object.key.ends_with('/') && object.size.unwrap_or(0) == 0 {
        Some(SkipReason::DirectoryMarker)
    } else if object.size == Some(0) {
        Some(SkipReason::EmptyObject)
    } else {
        None
    };
    match reason {
        Some(reason) => out.skipped.push(Skipped {
            bucket: object.bucket,
            key: object.key,
            reason,
        }),
        None => out.objects.push(object),
    }
}

/// Whether an S3 event name (with or without the `s3:` prefix) creates an object.
fn is_create_event(event_name: &str) -> bool {
    event_name
        .strip_prefix("s3:")
        .unwrap_or(event_name)
        .starts_with("ObjectCreated:")
}

/// Decodes a key from an S3 event: form encoding, so `+` is a space, then percent-decoding.
pub fn decode_key(raw: &str) -> Option<String> {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|k| k.into_owned())
}

/// How a JSON value's type reads in an error message ("an array", "a string"...).
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Deserialize)]
struct Continuation {
    bucket: String,
    key: String,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    event_time: Option<String>,
    event_name: String,
    start_index: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Record {
    event_name: String,
    #[serde(default)]
    event_time: Option<String>,
    #[serde(default)]
    aws_region: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: NamedBucket,
    object: S3Object,
}

#[derive(Deserialize)]
struct NamedBucket {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Object {
    key: String,
    #[serde(default, deserialize_with = "lenient_size")]
    size: Option<u64>,
    #[serde(default, rename = "eTag")]
    e_tag: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    sequencer: Option<String>,
}

#[derive(Deserialize)]
struct EventBridgeEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    time: Option<String>,
    detail: EventBridgeDetail,
}

#[derive(Deserialize)]
struct EventBridgeDetail {
    bucket: NamedBucket,
    object: EventBridgeObject,
}

#[derive(Deserialize)]
struct EventBridgeObject {
    key: String,
    #[serde(default, deserialize_with = "lenient_size")]
    size: Option<u64>,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default, rename = "version-id")]
    version_id: Option<String>,
    #[serde(default)]
    sequencer: Option<String>,
}

/// Sizes are numbers in AWS events, but hand-written and re-serialised events sometimes
/// carry them as strings; accept both rather than reject a usable message.
fn lenient_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Option::<Size>::deserialize(d)? {
        None => Ok(None),
        Some(Size::Number(n)) => Ok(Some(n)),
        Some(Size::Text(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("size {s:?} is not a whole number"))),
    }
}

#[cfg(test)]
mod tests;
