//! What to normalize and how: the source object, where the original record goes, and
//! where the time of a record without one comes from.

use crate::logs::LogType;
use serde_json::Value;

/// The S3 object a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceObject {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded (not URL-encoded).
    pub key: String,
    /// ETag, with or without the surrounding quotes S3 puts on it.
    pub etag: Option<String>,
    /// Version ID, for versioned buckets.
    pub version_id: Option<String>,
}

/// Where the original record goes in the event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RawMode {
    /// JSON sources as [`RawMode::Unmapped`], line formats as [`RawMode::RawData`]:
    /// each record kept exactly as the object holds it, in the cheaper form.
    #[default]
    Auto,
    /// As a JSON object under `unmapped.record`: JSON records verbatim, line
    /// formats as their parsed fields (named as the source names them).
    Unmapped,
    /// As a string in `raw_data`: the line, or the record's JSON text.
    RawData,
    /// Not kept.
    Drop,
}

impl std::str::FromStr for RawMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "auto" => Ok(RawMode::Auto),
            "unmapped" => Ok(RawMode::Unmapped),
            "raw_data" => Ok(RawMode::RawData),
            "drop" => Ok(RawMode::Drop),
            other => Err(format!(
                "unknown raw mode {other:?}; use auto, unmapped, raw_data or drop"
            )),
        }
    }
}

impl RawMode {
    /// The mode that applies to `log_type`: [`RawMode::Auto`] chosen per source.
    pub(super) fn resolve(self, log_type: LogType) -> RawMode {
        match self {
            // A CloudWatch Logs record's original is its message; the parsed record
            // also names the log group and stream, so auto keeps that.
            RawMode::Auto if is_json_source(log_type) || log_type == LogType::CloudWatchLogs => {
                RawMode::Unmapped
            }
            RawMode::Auto => RawMode::RawData,
            other => other,
        }
    }
}

/// True for log types whose records are JSON objects (the original is JSON text).
pub(super) fn is_json_source(log_type: LogType) -> bool {
    matches!(
        log_type,
        LogType::CloudTrail
            | LogType::Waf
            | LogType::GuardDuty
            | LogType::Route53Resolver
            | LogType::Json
    )
}

/// The original JSON text when it can be copied into an NDJSON line as it is: an
/// object with no line break between its tokens (strings cannot hold raw ones).
pub(super) fn verbatim_json(original: &str) -> Option<&str> {
    let text = original.trim_matches(|c: char| c.is_ascii_whitespace());
    // memchr, not `str::contains` with a char set, which decodes every character.
    let one_line = memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_none();
    (text.starts_with('{') && text.ends_with('}') && one_line).then_some(text)
}

/// Where the time of a record without one of its own comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeSource {
    /// The S3 object's `LastModified` (when the log object was written).
    #[default]
    ObjectLastModified,
    /// A local file's modification time (the CLI).
    FileModified,
    /// The time the notification says the object was created (when no `LastModified` is known).
    NotificationTime,
}

impl TimeSource {
    /// The `metadata.labels` entry naming this source, e.g. `time_source:object_last_modified`.
    pub fn label(self) -> &'static str {
        match self {
            TimeSource::ObjectLastModified => "time_source:object_last_modified",
            TimeSource::FileModified => "time_source:file_modified",
            TimeSource::NotificationTime => "time_source:notification_event_time",
        }
    }
}

/// `metadata.labels` entry of an event whose record had no time and no object time was
/// known: `time` is then when the event was processed.
pub const PROCESSED_TIME_LABEL: &str = "time_source:processed_time";

/// Normalization settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Where the original record goes.
    pub keep_raw: RawMode,
    /// Time (epoch ms) of the object, for records with no time of their own: their
    /// `time` and `metadata.logged_time`, with `metadata.labels` naming
    /// [`NormalizeOptions::fallback_time_source`]. When `None` such events take the
    /// processing time (labelled [`PROCESSED_TIME_LABEL`]): OCSF requires `time`.
    pub fallback_time_ms: Option<i64>,
    /// What [`NormalizeOptions::fallback_time_ms`] is.
    pub fallback_time_source: TimeSource,
}

/// An OCSF event and whether the record had a usable time of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    /// The OCSF event object.
    pub event: Value,
    /// True when the record had no parseable timestamp: `time` is then the
    /// object's time if one was given, else the processing time (see [`NormalizeOptions`]).
    pub time_missing: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_mode_names_parse_and_unknown_ones_are_listed() {
        assert_eq!("auto".parse(), Ok(RawMode::Auto));
        assert_eq!("unmapped".parse(), Ok(RawMode::Unmapped));
        assert_eq!("raw_data".parse(), Ok(RawMode::RawData));
        assert_eq!("drop".parse(), Ok(RawMode::Drop));
        let err = "raw".parse::<RawMode>().unwrap_err();
        assert!(err.contains("auto, unmapped, raw_data or drop"), "{err}");
    }
}
