//! Maps parsed log records to OCSF 1.3.0 events.
//!
//! Every event carries the OCSF classification (`class_uid`, `activity_id`,
//! `type_uid`, ...), the record's own `time`, `metadata` (schema version,
//! product, a deterministic `uid`, `log_name`, and `sequence` = record index)
//! and `unmapped.source_object`, which names the S3 object and record the event
//! came from. The source object sits under `unmapped` because OCSF's
//! `metadata` has no attribute for it and `unmapped` is the schema's place for
//! data outside it, so events stay valid for strict OCSF consumers. The
//! original record goes to `unmapped.record`, to `raw_data` as a string, or
//! nowhere, per [`RawMode`]; by default JSON records are copied verbatim under
//! `unmapped.record` and text lines kept as `raw_data`, which keeps every
//! original byte at the least cost. Field tables per source: `docs/mappings/`.
//!
//! Each mapping is written once against `EventOut`, which has two
//! implementations: one builds a `serde_json::Value` ([`Normalizer::normalize`])
//! and one writes JSON text straight into a `String` ([`Normalizer::write_event`]),
//! the fast path for sinks, which skips building and freeing a tree per event and
//! never needs its output re-checked as UTF-8.

use std::net::IpAddr;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::logs::cloudtrail::{CloudTrailEvent, UserIdentity};
use crate::logs::detect::{key_scope, KeyScope};
use crate::logs::timestamp::{clf_ms, date_and_time_ms, iso8601_ms};
use crate::logs::url_decode::percent_decode;
use crate::logs::vpc_flow::VpcFlowRecord;
use crate::logs::{Fields, LogType, ParsedRecord};

/// The OCSF schema version events are written against.
pub const OCSF_VERSION: &str = "1.3.0";

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
    fn resolve(self, log_type: LogType) -> RawMode {
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
fn is_json_source(log_type: LogType) -> bool {
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
fn verbatim_json(original: &str) -> Option<&str> {
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

/// Maps one parsed record to an OCSF event.
///
/// For many records of one object, a [`Normalizer`] does the per-object work once.
pub fn to_ocsf(
    log_type: LogType,
    record: &ParsedRecord,
    source: &SourceObject,
    opts: &NormalizeOptions,
) -> NormalizedEvent {
    Normalizer::new(log_type, source, *opts).normalize(record)
}

/// Deterministic event ID: SHA-256 over bucket, key, ETag and record index, lowercase hex.
///
/// Each string is length-prefixed so no two different inputs share a byte
/// stream, and the ETag's quotes are removed because S3 event notifications
/// give it bare while GetObject quotes it: both routes must yield the same uids.
pub fn record_uid(source: &SourceObject, index: u64) -> String {
    uid_finish(uid_prefix(source), index)
}

fn uid_prefix(source: &SourceObject) -> Sha256 {
    let mut h = Sha256::new();
    for part in [source.bucket.as_str(), source.key.as_str()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    match source.etag.as_deref().map(bare_etag) {
        Some(etag) => {
            h.update([1u8]);
            h.update((etag.len() as u64).to_be_bytes());
            h.update(etag.as_bytes());
        }
        None => h.update([0u8]),
    }
    h
}

fn uid_finish(mut h: Sha256, index: u64) -> String {
    h.update(index.to_be_bytes());
    hex::encode(h.finalize())
}

fn bare_etag(etag: &str) -> &str {
    etag.trim_matches('"')
}

/// Normalizes the records of one source object, doing the per-object work (key scope, uid prefix) once.
pub struct Normalizer<'a> {
    log_type: LogType,
    source: &'a SourceObject,
    opts: NormalizeOptions,
    scope: KeyScope<'a>,
    uid_prefix: Sha256,
    /// `opts.keep_raw` resolved for this log type (never `Auto`).
    keep_raw: RawMode,
    /// Whether records' originals are JSON text that can be copied verbatim.
    json_original: bool,
    /// The load balancer (`app/<name>/<id>`) the object key names, for logs whose
    /// records do not (ALB connection logs).
    load_balancer: Option<String>,
}

impl<'a> Normalizer<'a> {
    /// Prepares to normalize records of `log_type` read from `source`.
    pub fn new(log_type: LogType, source: &'a SourceObject, opts: NormalizeOptions) -> Self {
        Normalizer {
            log_type,
            source,
            opts,
            scope: key_scope(&source.key),
            uid_prefix: uid_prefix(source),
            keep_raw: opts.keep_raw.resolve(log_type),
            json_original: is_json_source(log_type),
            load_balancer: load_balancer_from_key(&source.key),
        }
    }

    /// Maps a record to an OCSF event as a `Value`.
    pub fn normalize(&self, record: &ParsedRecord) -> NormalizedEvent {
        let mut out = ValueOut::default();
        let meta = self.event(&mut out, record);
        NormalizedEvent {
            event: Value::Object(out.finish()),
            time_missing: meta.time_missing,
        }
    }

    /// Writes the class-specific attributes of the source's OCSF class.
    fn map_fields(
        &self,
        out: &mut dyn EventOut,
        fields: &Fields<'_>,
        original: &str,
        uid: &str,
    ) -> Mapped {
        let scope = self.scope;
        let r = match fields {
            Fields::Map(map) => map,
            Fields::CloudTrail(view) => return cloudtrail(view, out),
            Fields::VpcFlow(view) => return vpc_flow(view, out, scope),
        };
        match self.log_type {
            // A CloudTrail record kept as a map (an owned record): read its view again.
            LogType::CloudTrail => {
                cloudtrail(&serde_json::from_str(original).unwrap_or_default(), out)
            }
            LogType::VpcFlow => vpc_flow(r, out, scope),
            LogType::Alb | LogType::ClassicElb => elb_http(r, out, scope, self.log_type),
            LogType::Nlb => nlb(r, out, scope),
            LogType::AlbConnection => alb_connection(r, out, scope, self.load_balancer.as_deref()),
            LogType::S3Access => s3_access(r, out, scope),
            LogType::CloudFront => cloudfront(r, out),
            LogType::Waf => waf(r, out),
            LogType::GuardDuty => guardduty(r, out, uid),
            LogType::Route53Resolver => route53(r, out, scope),
            LogType::CloudWatchLogs => cloudwatch_logs(r, out, scope),
            LogType::Json => generic_json(r, out),
            LogType::Text => text(r, out),
        }
    }

    fn event(&self, out: &mut dyn EventOut, record: &ParsedRecord) -> EventMeta {
        let (index, line) = (record.index, record.line);
        let (fields, original) = (&record.fields, record.original.as_ref());
        let uid = uid_finish(self.uid_prefix.clone(), index);
        let mapped = self.map_fields(out, fields, original, &uid);
        let class = mapped.class;
        let activity = mapped.activity;
        out.uint("category_uid", class.category_uid);
        out.str("category_name", class.category_name);
        out.uint("class_uid", class.uid);
        out.str("class_name", class.name);
        out.uint("activity_id", activity.id);
        out.str("activity_name", activity.name);
        out.uint("type_uid", class.uid * 100 + activity.id);
        out.str_parts("type_name", &[class.name, ": ", activity.name]);
        out.uint("severity_id", mapped.severity_id);
        out.str("severity", severity_name(mapped.severity_id));
        // OCSF requires `time`: a record without one takes the object's, else the
        // processing time, and `metadata.labels` says which.
        let (time, fallback) = match (mapped.time, self.opts.fallback_time_ms) {
            (Some(t), _) => (t, None),
            (None, Some(object_time)) => (
                object_time,
                Some((self.opts.fallback_time_source.label(), false)),
            ),
            (None, None) => (now_ms(), Some((PROCESSED_TIME_LABEL, true))),
        };
        out.int("time", time);
        let profiles = out.profiles();

        out.open("metadata");
        out.str("version", OCSF_VERSION);
        out.open("product");
        out.str("name", product_name(self.log_type));
        out.str("vendor_name", "AWS");
        out.close();
        out.str("uid", &uid);
        out.str("log_name", self.log_type.as_str());
        out.uint("sequence", index);
        out.open_array("profiles");
        for (bit, name) in PROFILES {
            if profiles & bit != 0 {
                out.str("", name);
            }
        }
        out.close();
        if let Some((label, processed)) = fallback {
            out.int(
                if processed {
                    "processed_time"
                } else {
                    "logged_time"
                },
                time,
            );
            out.open_array("labels");
            out.str("", label);
            out.close();
        }
        out.close();

        if self.keep_raw == RawMode::RawData {
            out.str("raw_data", original);
        }
        out.open("unmapped");
        out.open("source_object");
        out.str("bucket", &self.source.bucket);
        out.str("key", &self.source.key);
        opt_str(out, "etag", self.source.etag.as_deref().map(bare_etag));
        opt_str(out, "version_id", self.source.version_id.as_deref());
        out.uint("record_index", index);
        opt_uint(out, "line", line);
        out.close();
        if record.invalid_utf8 {
            // The source held bytes that are not UTF-8, now U+FFFD in the event's text.
            out.boolean("invalid_utf8", true);
        }
        if self.keep_raw == RawMode::Unmapped {
            match (
                fields,
                self.json_original
                    .then(|| verbatim_json(original))
                    .flatten(),
            ) {
                (_, Some(text)) => out.json_text("record", text),
                (Fields::Map(map), None) => out.map("record", map),
                (Fields::VpcFlow(view), None) => out.map("record", &view.to_map()),
                // A typed view holds only some fields: the record is its (multi-line) text.
                (Fields::CloudTrail(_), None) => {
                    if let Ok(map) = serde_json::from_str::<Obj>(original) {
                        out.map("record", &map);
                    }
                }
            }
        }
        out.close();
        EventMeta {
            uid,
            time_ms: Some(time),
            time_missing: mapped.time.is_none(),
        }
    }

    /// Appends the event as one line of JSON text (no newline) to `buf`, and returns
    /// what sinks need besides the text: its uid and time.
    pub fn write_event(&self, record: &ParsedRecord, buf: &mut String) -> EventMeta {
        let mut out = JsonOut::new(buf);
        let meta = self.event(&mut out, record);
        out.finish();
        meta
    }
}

/// The load balancer an ELB log object's name gives, as its logs write it:
/// `[conn_log.]<account>_elasticloadbalancing_<region>_app.my-alb.50dc6c495c0c9188_...`
/// gives `app/my-alb/50dc6c495c0c9188`. Load balancer names hold no dots.
fn load_balancer_from_key(key: &str) -> Option<String> {
    let name = key.rsplit('/').next()?;
    let name = name.strip_prefix("conn_log.").unwrap_or(name);
    let mut parts = name.split('_');
    let (_account, service, _region) = (parts.next()?, parts.next()?, parts.next()?);
    let lb = parts.next()?;
    (service == "elasticloadbalancing" && lb.matches('.').count() == 2)
        .then(|| lb.replace('.', "/"))
}

/// A written event's identity and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// Deterministic uid (the event's `metadata.uid`).
    pub uid: String,
    /// The event's `time` in epoch milliseconds (the record's own, or the fallback).
    pub time_ms: Option<i64>,
    /// Whether the record had no time of its own.
    pub time_missing: bool,
}

type Obj = Map<String, Value>;

/// Now, in epoch milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The OCSF profile whose attributes an event carries (`cloud`, `action_id`...): bits
/// an [`EventOut`] collects, written to `metadata.profiles` (a strict consumer rejects
/// a profile's attributes on an event that does not declare the profile).
const PROFILE_CLOUD: u8 = 1;
const PROFILE_SECURITY_CONTROL: u8 = 2;
const PROFILES: [(u8, &str); 2] = [
    (PROFILE_CLOUD, "cloud"),
    (PROFILE_SECURITY_CONTROL, "security_control"),
];

// ---- event output --------------------------------------------------------------------

/// Receives an event as it is mapped.
///
/// Objects and arrays are opened and closed around their members; one closed
/// with no members disappears, so mappings never write empty objects. Inside
/// an array, keys are ignored.
trait EventOut {
    fn str(&mut self, key: &str, v: &str);
    /// A string given in pieces, saving a temporary allocation on the text path.
    fn str_parts(&mut self, key: &str, parts: &[&str]) {
        self.str(key, &parts.concat());
    }
    fn uint(&mut self, key: &str, v: u64);
    fn int(&mut self, key: &str, v: i64);
    fn boolean(&mut self, key: &str, v: bool);
    fn map(&mut self, key: &str, v: &Obj);
    /// A value given as JSON text known to be valid and free of line breaks.
    fn json_text(&mut self, key: &str, text: &str);
    fn open(&mut self, key: &str);
    fn open_array(&mut self, key: &str);
    fn close(&mut self);
    /// Closes an object that stays in the event even when empty (`{}`), for an
    /// attribute the class requires when the source has nothing to put in it.
    fn close_keep(&mut self);
    /// Declares that the event uses a profile's attributes (`PROFILE_*` bits).
    fn declare(&mut self, profile: u8);
    /// The profiles declared so far.
    fn profiles(&self) -> u8;
}

fn opt_str(out: &mut dyn EventOut, key: &str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        out.str(key, v);
    }
}

/// An address from the input, only when it is one (OCSF's `ip_t`): anything else (a
/// damaged or custom value) stays in the original record.
fn opt_ip(out: &mut dyn EventOut, key: &str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| v.parse::<IpAddr>().is_ok()) {
        out.str(key, v);
    }
}

/// A counter from the input; one past `i64::MAX` is left out (OCSF's `long_t` is signed).
fn opt_uint(out: &mut dyn EventOut, key: &str, v: Option<u64>) {
    if let Some(v) = v.filter(|v| i64::try_from(*v).is_ok()) {
        out.uint(key, v);
    }
}

fn opt_int(out: &mut dyn EventOut, key: &str, v: Option<i64>) {
    if let Some(v) = v {
        out.int(key, v);
    }
}

/// Builds a `serde_json::Value` tree.
#[derive(Default)]
struct ValueOut {
    profiles: u8,
    root: Obj,
    /// Open containers with the key they will be stored under.
    stack: Vec<(String, Value)>,
}

impl ValueOut {
    fn put(&mut self, key: &str, v: Value) {
        match self.stack.last_mut() {
            None => {
                self.root.insert(key.to_owned(), v);
            }
            Some((_, Value::Object(m))) => {
                m.insert(key.to_owned(), v);
            }
            Some((_, Value::Array(a))) => a.push(v),
            Some(_) => unreachable!("only containers are pushed"),
        }
    }

    fn finish(self) -> Obj {
        debug_assert!(self.stack.is_empty(), "unclosed container");
        self.root
    }
}

impl EventOut for ValueOut {
    fn str(&mut self, key: &str, v: &str) {
        self.put(key, Value::String(v.to_owned()));
    }
    fn uint(&mut self, key: &str, v: u64) {
        self.put(key, v.into());
    }
    fn int(&mut self, key: &str, v: i64) {
        self.put(key, v.into());
    }
    fn boolean(&mut self, key: &str, v: bool) {
        self.put(key, v.into());
    }
    fn map(&mut self, key: &str, v: &Obj) {
        self.put(key, Value::Object(v.clone()));
    }
    fn json_text(&mut self, key: &str, text: &str) {
        let value = serde_json::from_str(text).expect("json_text is given parsed JSON");
        self.put(key, value);
    }
    fn open(&mut self, key: &str) {
        self.stack.push((key.to_owned(), Value::Object(Map::new())));
    }
    fn open_array(&mut self, key: &str) {
        self.stack.push((key.to_owned(), Value::Array(Vec::new())));
    }
    fn close(&mut self) {
        let (key, container) = self.stack.pop().expect("close without open");
        let empty = match &container {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => true,
        };
        if !empty {
            self.put(&key, container);
        }
    }
    fn close_keep(&mut self) {
        let (key, container) = self.stack.pop().expect("close without open");
        self.put(&key, container);
    }
    fn declare(&mut self, profile: u8) {
        self.profiles |= profile;
    }
    fn profiles(&self) -> u8 {
        self.profiles
    }
}

/// Writes JSON text into a `String`.
struct JsonOut<'b> {
    profiles: u8,
    buf: &'b mut String,
    stack: Vec<Frame>,
}

struct Frame {
    /// Buffer length before this container's key, to cut it away if it stays empty.
    start: usize,
    array: bool,
    /// No member written yet.
    empty: bool,
    /// The parent's `empty` before this container was opened.
    parent_was_empty: bool,
}

impl<'b> JsonOut<'b> {
    fn new(buf: &'b mut String) -> Self {
        buf.push('{');
        let root = Frame {
            start: buf.len(),
            array: false,
            empty: true,
            parent_was_empty: true,
        };
        JsonOut {
            profiles: 0,
            buf,
            stack: vec![root],
        }
    }

    /// Writes the separator and key of a new member.
    fn member(&mut self, key: &str) {
        let frame = self.stack.last_mut().expect("root frame");
        if !frame.empty {
            self.buf.push(',');
        }
        frame.empty = false;
        if !frame.array {
            // Keys are this module's constant attribute names, which need no escaping.
            debug_assert!(!needs_escape(key), "{key:?}");
            self.buf.push('"');
            self.buf.push_str(key);
            self.buf.push_str("\":");
        }
    }

    fn open_container(&mut self, key: &str, array: bool) {
        let start = self.buf.len();
        let parent_was_empty = self.stack.last().expect("root frame").empty;
        self.member(key);
        self.buf.push(if array { '[' } else { '{' });
        self.stack.push(Frame {
            start,
            array,
            empty: true,
            parent_was_empty,
        });
    }

    fn finish(self) {
        debug_assert_eq!(self.stack.len(), 1, "unclosed container");
        self.buf.push('}');
    }
}

fn needs_escape(s: &str) -> bool {
    s.bytes().any(|c| ESCAPE[usize::from(c)] != 0)
}

/// For each byte, 0 when it stands for itself inside a JSON string, else the letter
/// of its short escape (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        table[c] = b'u';
        c += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the 8 bytes of `w` needs escaping: a control byte (< 0x20), `"` or a backslash.
///
/// The classic word-at-a-time tests: `(x - 0x01..) & !x & 0x80..` is non-zero exactly
/// when some byte of `x` is zero (borrows only run on from a byte that really is zero),
/// and the same form with 0x20 finds a byte below 0x20 (bytes >= 0x80 are masked out by
/// `!x`, so UTF-8 never matches).
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
        || has_zero(w ^ (ONES * u64::from(b'"')))
        || has_zero(w ^ (ONES * u64::from(b'\\')))
}

/// Appends `s` as a JSON string literal, copying runs that need no escape in one go
/// and checking 8 bytes at a time for the bytes that do.
fn write_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            if !word_needs_escape(w) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        let escape = ESCAPE[usize::from(byte)];
        if escape != 0 {
            // Escaped bytes are ASCII, so `i` is a char boundary.
            buf.push_str(&s[start..i]);
            match escape {
                b'u' => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    buf.push_str("\\u00");
                    buf.push(char::from(HEX[usize::from(byte >> 4)]));
                    buf.push(char::from(HEX[usize::from(byte & 0xf)]));
                }
                letter => {
                    buf.push('\\');
                    buf.push(char::from(letter));
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    buf.push_str(&s[start..]);
    buf.push('"');
}

impl EventOut for JsonOut<'_> {
    fn str(&mut self, key: &str, v: &str) {
        self.member(key);
        write_json_str(self.buf, v);
    }
    fn str_parts(&mut self, key: &str, parts: &[&str]) {
        self.member(key);
        self.buf.push('"');
        for part in parts {
            // Only called with this module's constant names, which need no escaping.
            debug_assert!(!needs_escape(part), "{part:?}");
            self.buf.push_str(part);
        }
        self.buf.push('"');
    }
    fn uint(&mut self, key: &str, v: u64) {
        self.member(key);
        self.buf.push_str(itoa::Buffer::new().format(v));
    }
    fn int(&mut self, key: &str, v: i64) {
        self.member(key);
        self.buf.push_str(itoa::Buffer::new().format(v));
    }
    fn boolean(&mut self, key: &str, v: bool) {
        self.member(key);
        self.buf.push_str(if v { "true" } else { "false" });
    }
    fn map(&mut self, key: &str, v: &Obj) {
        self.member(key);
        self.buf
            .push_str(&serde_json::to_string(v).expect("a JSON map always serializes"));
    }
    fn json_text(&mut self, key: &str, text: &str) {
        self.member(key);
        self.buf.push_str(text);
    }
    fn open(&mut self, key: &str) {
        self.open_container(key, false);
    }
    fn open_array(&mut self, key: &str) {
        self.open_container(key, true);
    }
    fn close(&mut self) {
        let frame = self.stack.pop().expect("close without open");
        if frame.empty {
            self.buf.truncate(frame.start);
            self.stack.last_mut().expect("root frame").empty = frame.parent_was_empty;
        } else {
            self.buf.push(if frame.array { ']' } else { '}' });
        }
    }
    fn close_keep(&mut self) {
        let frame = self.stack.pop().expect("close without open");
        // `member` already marked the parent non-empty when the key was written.
        self.buf.push(if frame.array { ']' } else { '}' });
    }
    fn declare(&mut self, profile: u8) {
        self.profiles |= profile;
    }
    fn profiles(&self) -> u8 {
        self.profiles
    }
}

// ---- classification ------------------------------------------------------------------

struct Class {
    uid: u64,
    name: &'static str,
    category_uid: u64,
    category_name: &'static str,
}

const BASE_EVENT: Class = Class {
    uid: 0,
    name: "Base Event",
    category_uid: 0,
    category_name: "Uncategorized",
};
const DETECTION_FINDING: Class = Class {
    uid: 2004,
    name: "Detection Finding",
    category_uid: 2,
    category_name: "Findings",
};
const NETWORK_ACTIVITY: Class = Class {
    uid: 4001,
    name: "Network Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
const HTTP_ACTIVITY: Class = Class {
    uid: 4002,
    name: "HTTP Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
const DNS_ACTIVITY: Class = Class {
    uid: 4003,
    name: "DNS Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
const API_ACTIVITY: Class = Class {
    uid: 6003,
    name: "API Activity",
    category_uid: 6,
    category_name: "Application Activity",
};

#[derive(Clone, Copy)]
struct Activity {
    id: u64,
    name: &'static str,
}

const fn activity(id: u64, name: &'static str) -> Activity {
    Activity { id, name }
}

const UNKNOWN: Activity = activity(0, "Unknown");
const OTHER: Activity = activity(99, "Other");

const SEVERITY_INFORMATIONAL: u64 = 1;

fn severity_name(id: u64) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        99 => "Other",
        _ => "Unknown",
    }
}

/// What a source mapping decided about the event as a whole.
struct Mapped {
    class: &'static Class,
    activity: Activity,
    severity_id: u64,
    time: Option<i64>,
}

fn product_name(log_type: LogType) -> &'static str {
    match log_type {
        LogType::CloudTrail => "CloudTrail",
        LogType::VpcFlow => "VPC Flow Logs",
        LogType::Alb | LogType::AlbConnection => "Application Load Balancer",
        LogType::Nlb => "Network Load Balancer",
        LogType::ClassicElb => "Classic Load Balancer",
        LogType::S3Access => "Amazon S3",
        LogType::CloudFront => "CloudFront",
        LogType::Waf => "AWS WAF",
        LogType::GuardDuty => "GuardDuty",
        LogType::Route53Resolver => "Route 53 Resolver",
        LogType::CloudWatchLogs => "CloudWatch Logs",
        LogType::Json => "JSON log in S3",
        LogType::Text => "Text log in S3",
    }
}

// ---- record accessors --------------------------------------------------------------------

/// Field access for mappings that read either a map or a format's typed record view.
trait Lookup {
    /// A string field.
    fn str(&self, key: &str) -> Option<&str>;
    /// An unsigned integer field.
    fn u64(&self, key: &str) -> Option<u64>;
}

impl Lookup for Obj {
    fn str(&self, key: &str) -> Option<&str> {
        get_str(self, key)
    }
    fn u64(&self, key: &str) -> Option<u64> {
        get_u64(self, key)
    }
}

impl Lookup for VpcFlowRecord<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.text(key)
    }
    fn u64(&self, key: &str) -> Option<u64> {
        self.uint(key)
    }
}

fn get_str<'a>(r: &'a Obj, key: &str) -> Option<&'a str> {
    r.get(key)?.as_str()
}

fn get_u64(r: &Obj, key: &str) -> Option<u64> {
    r.get(key)?.as_u64()
}

fn get_f64(r: &Obj, key: &str) -> Option<f64> {
    r.get(key)?.as_f64()
}

fn get_obj<'a>(r: &'a Obj, key: &str) -> Option<&'a Obj> {
    r.get(key)?.as_object()
}

fn path<'a>(r: &'a Obj, keys: &[&str]) -> Option<&'a Value> {
    let (last, parents) = keys.split_last()?;
    let mut cur = r;
    for k in parents {
        cur = get_obj(cur, k)?;
    }
    cur.get(*last)
}

fn path_str<'a>(r: &'a Obj, keys: &[&str]) -> Option<&'a str> {
    path(r, keys)?.as_str()
}

// ---- shared OCSF objects -------------------------------------------------------------

fn write_cloud(
    out: &mut dyn EventOut,
    account: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
) {
    out.declare(PROFILE_CLOUD);
    out.open("cloud");
    out.str("provider", "AWS");
    opt_str(out, "region", region);
    opt_str(out, "zone", zone);
    out.open("account");
    opt_str(out, "uid", account);
    out.close();
    out.close();
}

/// Region and account from an ARN: `arn:partition:service:region:account:resource`.
fn arn_region_account(arn: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return (None, None);
    }
    let (_partition, _service) = (parts.next(), parts.next());
    let region = parts.next().filter(|r| !r.is_empty());
    let account = parts.next().filter(|a| !a.is_empty());
    (region, account)
}

fn write_endpoint(out: &mut dyn EventOut, key: &str, ip: Option<&str>, port: Option<u64>) {
    out.open(key);
    opt_ip(out, "ip", ip);
    opt_uint(out, "port", port);
    out.close();
}

fn secs_to_ms(s: f64) -> i64 {
    // `as` saturates: an absurd input gives i64::MAX, never a wrap or a panic.
    (s * 1000.0).round() as i64
}

/// Epoch milliseconds of an epoch-seconds counter read from the input; `None` when it
/// does not fit (a value past the year 292 million is not a time).
fn epoch_secs_to_ms(s: u64) -> Option<i64> {
    i64::try_from(s).ok()?.checked_mul(1000)
}

/// OCSF status for an HTTP response code.
fn write_http_status(out: &mut dyn EventOut, code: Option<u64>) {
    let Some(code) = code else { return };
    // 000 (CloudFront: the viewer closed the connection before a response) and any
    // other code outside 100..400 is a failure.
    let (id, name) = if (100..400).contains(&code) {
        (1, "Success")
    } else {
        (2, "Failure")
    };
    out.uint("status_id", id);
    out.str("status", name);
    out.str("status_code", &code.to_string());
}

/// `connection_info.direction_id` (required in the object): 0 Unknown, 1 Inbound, 2 Outbound.
fn write_direction(out: &mut dyn EventOut, id: u64) {
    out.uint("direction_id", id);
    out.str(
        "direction",
        match id {
            1 => "Inbound",
            2 => "Outbound",
            _ => "Unknown",
        },
    );
}

/// `http_response` (required in HTTP Activity, with `code`): the response code, or 0
/// when the log has none (the request was not answered, or by another component),
/// as CloudFront logs `000` for a viewer that left before the response.
fn write_http_response(
    out: &mut dyn EventOut,
    code: Option<u64>,
    more: impl FnOnce(&mut dyn EventOut),
) {
    out.open("http_response");
    out.uint("code", code.unwrap_or(0));
    more(out);
    out.close();
}

fn write_status(out: &mut dyn EventOut, id: u64, name: &str) {
    out.uint("status_id", id);
    out.str("status", name);
}

/// `http_request.http_method`: OCSF 1.3 defines CONNECT, DELETE, GET, HEAD, OPTIONS,
/// POST, PUT and TRACE. Another method (PATCH, WebDAV's PROPFIND...) is left out here;
/// `activity_id` still tells PATCH apart, and the original record keeps the method.
fn write_http_method(out: &mut dyn EventOut, method: Option<&str>) {
    const DEFINED: [&str; 8] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE",
    ];
    if let Some(m) = method.and_then(|m| DEFINED.iter().find(|d| d.eq_ignore_ascii_case(m))) {
        out.str("http_method", m);
    }
}

fn http_activity(method: Option<&str>) -> Activity {
    const METHODS: [(&str, Activity); 9] = [
        ("GET", activity(3, "Get")),
        ("POST", activity(6, "Post")),
        ("PUT", activity(7, "Put")),
        ("HEAD", activity(4, "Head")),
        ("DELETE", activity(2, "Delete")),
        ("OPTIONS", activity(5, "Options")),
        // OCSF 1.3 HTTP Activity defines no Patch activity: Other,
        // named by the method.
        ("PATCH", activity(99, "Patch")),
        ("CONNECT", activity(1, "Connect")),
        ("TRACE", activity(8, "Trace")),
    ];
    let Some(method) = method else { return UNKNOWN };
    METHODS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(method))
        .map_or(OTHER, |(_, a)| *a)
}

/// Writes OCSF `url` attributes for an absolute URL or a path with a query;
/// `host` names the host when the URL itself has none.
fn write_url(out: &mut dyn EventOut, url: &str, host: Option<&str>) {
    out.open("url");
    out.str("url_string", url);
    let rest = match url.split_once("://") {
        Some((scheme, rest)) => {
            out.str("scheme", scheme);
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (hostname, port) = split_authority(&rest[..end]);
            opt_str(out, "hostname", Some(hostname));
            opt_uint(out, "port", port.and_then(|p| p.parse().ok()));
            &rest[end..]
        }
        None => {
            opt_str(out, "hostname", host);
            url
        }
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    opt_str(out, "path", Some(path));
    opt_str(out, "query_string", query);
    out.close();
}

fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

fn write_tls(
    out: &mut dyn EventOut,
    version: Option<&str>,
    cipher: Option<&str>,
    sni: Option<&str>,
) {
    // OCSF requires `version` in a tls object; without it the connection was not TLS.
    if version.is_none() {
        return;
    }
    out.open("tls");
    opt_str(out, "version", version);
    opt_str(out, "cipher", cipher);
    opt_str(out, "sni", sni);
    out.close();
}

fn write_traffic(out: &mut dyn EventOut, bytes_in: Option<u64>, bytes_out: Option<u64>) {
    out.open("traffic");
    opt_uint(out, "bytes_in", bytes_in);
    opt_uint(out, "bytes_out", bytes_out);
    // The counters come from the input: a sum past the range is left out, not wrapped.
    opt_uint(
        out,
        "bytes",
        bytes_in.zip(bytes_out).and_then(|(i, o)| i.checked_add(o)),
    );
    out.close();
}

/// The security control's decision (profile `security_control`, which requires `action_id`).
fn write_action(out: &mut dyn EventOut, action: (u64, &str), disposition: (u64, &str)) {
    out.declare(PROFILE_SECURITY_CONTROL);
    out.uint("action_id", action.0);
    out.str("action", action.1);
    out.uint("disposition_id", disposition.0);
    out.str("disposition", disposition.1);
}

/// The name written where a class requires an attribute the record does not have
/// (an API operation, an actor, an endpoint): documented per source in docs/mappings/.
const UNKNOWN_NAME: &str = "unknown";

/// `actor.user` of a record that names no caller.
fn write_unknown_user(out: &mut dyn EventOut) {
    out.open("actor");
    out.open("user");
    out.str("name", UNKNOWN_NAME);
    out.str("type", "Unknown");
    out.uint("type_id", 0);
    out.close();
    out.close();
}

fn write_account(out: &mut dyn EventOut, account: Option<&str>) {
    out.open("account");
    opt_str(out, "uid", account);
    out.close();
}

// ---- CloudTrail --------------------------------------------------------------------

const CREATE_VERBS: &[&str] = &[
    "Create", "Add", "Allocate", "Run", "Register", "Import", "Copy", "Upload", "Issue", "Generate",
];
const READ_VERBS: &[&str] = &[
    "Get", "Describe", "List", "Head", "Lookup", "Search", "Query", "Scan", "Select", "View",
    "Check", "Download",
];
const UPDATE_VERBS: &[&str] = &[
    "Update",
    "Modify",
    "Put",
    "Set",
    "Change",
    "Attach",
    "Detach",
    "Associate",
    "Disassociate",
    "Enable",
    "Disable",
    "Tag",
    "Untag",
    "Reset",
    "Replace",
    "Restore",
    "Assign",
    "Unassign",
    "Start",
    "Stop",
    "Reboot",
    "Authorize",
    "Revoke",
    "Rotate",
    "Apply",
    "Write",
];
const DELETE_VERBS: &[&str] = &[
    "Delete",
    "Remove",
    "Terminate",
    "Deregister",
    "Release",
    "Purge",
    "Destroy",
];

/// CRUD class of an API call from the verb its name starts with (`BatchGetItem` counts as `Get`).
fn api_activity(operation: &str) -> Activity {
    let mut verb = leading_word(operation);
    if verb.eq_ignore_ascii_case("Batch") {
        verb = leading_word(&operation[verb.len()..]);
    }
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(verb));
    if is(CREATE_VERBS) {
        activity(1, "Create")
    } else if is(READ_VERBS) {
        activity(2, "Read")
    } else if is(UPDATE_VERBS) {
        activity(3, "Update")
    } else if is(DELETE_VERBS) {
        activity(4, "Delete")
    } else {
        OTHER
    }
}

/// `DescribeInstances` -> `Describe`: up to the next capital letter.
fn leading_word(s: &str) -> &str {
    let end = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

fn cloudtrail(r: &CloudTrailEvent<'_>, out: &mut dyn EventOut) -> Mapped {
    let insight = r.event_type.get() == Some("AwsCloudTrailInsight");
    let identity = r.user_identity.0.as_ref();
    // An Insights event is about unusual call volume of an API, not a call itself.
    let (operation, service) = if insight {
        let details = r.insight_details.0.as_ref();
        (
            details.and_then(|d| d.event_name.get()),
            details.and_then(|d| d.event_source.get()),
        )
    } else {
        (r.event_name.get(), r.event_source.get())
    };
    let activity = match operation {
        _ if insight => OTHER,
        Some(op) => api_activity(op),
        None => UNKNOWN,
    };

    out.open("api");
    // Required in `api`: a record without one says `unknown` (activity 0 Unknown).
    out.str("operation", operation.unwrap_or(UNKNOWN_NAME));
    opt_str(out, "version", r.api_version.get());
    out.open("service");
    opt_str(out, "name", service);
    out.close();
    out.open("request");
    opt_str(out, "uid", r.request_id.get());
    out.close();
    out.open("response");
    opt_str(out, "error", r.error_code.get());
    opt_str(out, "error_message", r.error_message.get());
    out.close();
    out.close();

    // API Activity requires an actor OCSF can tell apart (a user's uid, name or account,
    // or invoked_by, or a session issuer).
    let identified = identity.is_some_and(|i| {
        let issuer = i
            .session_context
            .0
            .as_ref()
            .and_then(|c| c.session_issuer.0.as_ref());
        [
            i.principal_id.get(),
            i.user_name.get(),
            i.account_id.get(),
            i.invoked_by.get(),
            issuer.and_then(|s| s.arn.get()),
            issuer.and_then(|s| s.user_name.get()),
        ]
        .iter()
        .any(Option::is_some)
    });
    match identity {
        Some(identity) if identified => cloudtrail_actor(identity, out),
        // An Insights event has no caller: CloudTrail Insights produced it.
        _ if insight => {
            out.open("actor");
            out.str("app_name", "CloudTrail Insights");
            out.close();
        }
        _ => write_unknown_user(out),
    }

    out.open("src_endpoint");
    if insight {
        out.str("svc_name", "cloudtrail.amazonaws.com");
    } else if let Some(source) = r.source_ip_address.get() {
        // AWS services appear by name (`ec2.amazonaws.com`), not by address.
        let key = if source.parse::<IpAddr>().is_ok() {
            "ip"
        } else {
            "svc_name"
        };
        out.str(key, source);
    } else {
        // Required in API Activity; the record names no caller address.
        out.str("name", UNKNOWN_NAME);
    }
    out.close();

    out.open("http_request");
    opt_str(out, "user_agent", r.user_agent.get());
    out.close();

    let account = r
        .recipient_account_id
        .get()
        .or_else(|| identity.and_then(|i| i.account_id.get()));
    write_cloud(out, account, r.aws_region.get(), None);

    if !insight {
        cloudtrail_outcome(r, operation, out);
    }

    if !r.resources.0.is_empty() {
        out.open_array("resources");
        for res in r.resources.0.iter().filter_map(|res| res.0.as_ref()) {
            out.open("");
            opt_str(out, "uid", res.arn.get());
            opt_str(out, "type", res.kind.get());
            write_account(out, res.account_id.get());
            out.close();
        }
        out.close();
    }

    Mapped {
        class: &API_ACTIVITY,
        activity,
        severity_id: SEVERITY_INFORMATIONAL,
        time: r.event_time.get().and_then(iso8601_ms),
    }
}

/// `status_id` / `status` / `status_code` / `status_detail` of a CloudTrail record
/// (table: `docs/mappings/cloudtrail.md`, "Outcome"). A failed call has `errorCode`
/// (and usually `errorMessage`); a sign-in event writes its result under its own name
/// in `responseElements` and a failure's reason in `errorMessage`, with no `errorCode`.
fn cloudtrail_outcome(r: &CloudTrailEvent<'_>, operation: Option<&str>, out: &mut dyn EventOut) {
    let sign_in = operation
        .zip(r.response_elements.0.as_ref())
        .and_then(|(op, result)| result.of(op));
    let message = r.error_message.get();
    match (r.error_code.get(), sign_in) {
        (Some(code), _) => {
            write_status(out, 2, "Failure");
            out.str("status_code", code);
            opt_str(out, "status_detail", message);
        }
        (None, Some("Success")) => write_status(out, 1, "Success"),
        (None, Some("Failure")) => {
            write_status(out, 2, "Failure");
            out.str("status_code", "Failure");
            opt_str(out, "status_detail", message);
        }
        (None, Some(other)) => {
            write_status(out, 99, other);
            out.str("status_code", other);
            opt_str(out, "status_detail", message);
        }
        // An error message without a code is still a failure's reason.
        (None, None) if message.is_some() => {
            write_status(out, 2, "Failure");
            opt_str(out, "status_detail", message);
        }
        (None, None) => write_status(out, 1, "Success"),
    }
}

fn cloudtrail_actor(identity: &UserIdentity<'_>, out: &mut dyn EventOut) {
    let context = identity.session_context.0.as_ref();
    let issuer = context.and_then(|c| c.session_issuer.0.as_ref());
    out.open("actor");
    let user_type = identity.kind.get();
    let name = identity
        .user_name
        .get()
        .or_else(|| issuer.and_then(|i| i.user_name.get()))
        // An AWS service acting on its own is named by its principal (`ec2.amazonaws.com`).
        .or_else(|| {
            (user_type == Some("AWSService"))
                .then(|| identity.invoked_by.get())
                .flatten()
        });
    let account = identity.account_id.get();
    // OCSF tells users apart by uid, name or account: a user with none is left out.
    let identified = identity.principal_id.get().or(name).or(account).is_some();
    if identified {
        out.open("user");
        opt_str(out, "type", user_type);
        if let Some(t) = user_type {
            let type_id = match t {
                "IAMUser" | "AssumedRole" | "FederatedUser" | "IdentityCenterUser" | "SAMLUser"
                | "WebIdentityUser" => 1,
                "Root" => 2,
                "AWSService" => 3,
                "Unknown" => 0,
                _ => 99,
            };
            out.uint("type_id", type_id);
        }
        opt_str(out, "uid", identity.principal_id.get());
        opt_str(out, "uid_alt", identity.arn.get());
        opt_str(out, "name", name);
        opt_str(out, "credential_uid", identity.access_key_id.get());
        write_account(out, account);
        out.close();
    }

    out.open("session");
    if let Some(attrs) = context.and_then(|c| c.attributes.0.as_ref()) {
        opt_int(
            out,
            "created_time",
            attrs.creation_date.get().and_then(iso8601_ms),
        );
        if let Some(mfa) = attrs.mfa_authenticated.get() {
            out.boolean("is_mfa", mfa == "true");
        }
    }
    opt_str(out, "issuer", issuer.and_then(|i| i.arn.get()));
    out.close();
    opt_str(out, "invoked_by", identity.invoked_by.get());
    out.close();
}

// ---- VPC Flow Logs -----------------------------------------------------------------

fn protocol_name(num: u64) -> Option<&'static str> {
    Some(match num {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => return None,
    })
}

fn vpc_flow(r: &impl Lookup, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    let direction = r.str("flow-direction");
    // The logged interface is the destination of ingress traffic and the source otherwise;
    // a record without addresses (NODATA, SKIPDATA) is about the interface alone, which
    // then is the destination (Network Activity requires `dst_endpoint`).
    let dstaddr = r.str("dstaddr").filter(|a| a.parse::<IpAddr>().is_ok());
    let ingress = direction == Some("ingress") || dstaddr.is_none();
    // A Transit Gateway flow record names both sides' VPC, subnet, ENI and zone.
    let tgw = r.str("tgw-id").is_some();
    let interface = |out: &mut dyn EventOut| {
        opt_str(out, "interface_uid", r.str("interface-id"));
        opt_str(out, "vpc_uid", r.str("vpc-id"));
        opt_str(out, "subnet_uid", r.str("subnet-id"));
        opt_str(out, "instance_uid", r.str("instance-id"));
    };
    let tgw_side = |out: &mut dyn EventOut, side: &str| {
        for (attr, field) in [
            ("vpc_uid", "vpc-id"),
            ("subnet_uid", "subnet-id"),
            ("interface_uid", "eni"),
            ("zone", "az-id"),
        ] {
            opt_str(out, attr, r.str(&["tgw-", side, "-", field].concat()));
        }
    };
    out.open("src_endpoint");
    opt_ip(out, "ip", r.str("srcaddr"));
    opt_uint(out, "port", r.u64("srcport"));
    opt_str(out, "svc_name", r.str("pkt-src-aws-service"));
    if tgw {
        tgw_side(out, "src");
    } else if !ingress {
        interface(out);
    }
    out.close();
    out.open("dst_endpoint");
    opt_ip(out, "ip", r.str("dstaddr"));
    opt_uint(out, "port", r.u64("dstport"));
    opt_str(out, "svc_name", r.str("pkt-dst-aws-service"));
    if tgw {
        tgw_side(out, "dst");
    } else if ingress {
        interface(out);
    }
    // A custom format with no address, interface or instance says nothing of the
    // destination Network Activity requires: it is named `unknown`.
    let named = dstaddr.is_some()
        || ["pkt-dst-aws-service", "tgw-dst-eni"]
            .iter()
            .chain(if ingress {
                &["interface-id", "instance-id"][..]
            } else {
                &[]
            })
            .any(|f| r.str(f).is_some());
    if !named {
        out.str("name", "unknown");
    }
    out.close();

    out.open("connection_info");
    if let Some(proto) = r.u64("protocol") {
        out.uint("protocol_num", proto);
        opt_str(out, "protocol_name", protocol_name(proto));
    }
    match r.str("type") {
        Some("IPv4") => out.uint("protocol_ver_id", 4),
        Some("IPv6") => out.uint("protocol_ver_id", 6),
        _ => {}
    }
    opt_uint(out, "tcp_flags", r.u64("tcp-flags"));
    match direction {
        Some("ingress") => {
            out.uint("direction_id", 1);
            out.str("direction", "Inbound");
        }
        Some("egress") => {
            out.uint("direction_id", 2);
            out.str("direction", "Outbound");
        }
        _ => write_direction(out, 0),
    }
    out.close();

    out.open("traffic");
    opt_uint(out, "bytes", r.u64("bytes"));
    opt_uint(out, "packets", r.u64("packets"));
    out.close();

    let start = r.u64("start").and_then(epoch_secs_to_ms);
    opt_int(out, "start_time", start);
    opt_int(out, "end_time", r.u64("end").and_then(epoch_secs_to_ms));

    match r.str("action") {
        Some("ACCEPT") => write_action(out, (1, "Allowed"), (1, "Allowed")),
        Some("REJECT") => write_action(out, (2, "Denied"), (2, "Blocked")),
        _ => {}
    }
    if let Some(status) = r.str("log-status") {
        // NODATA: no traffic in the interval; SKIPDATA: records were lost in the interval.
        match status {
            "OK" => write_status(out, 1, "Success"),
            "SKIPDATA" => write_status(out, 2, "Failure"),
            _ => write_status(out, 99, "Other"),
        }
        out.str("status_code", status);
    }

    let account = r.str("account-id").or(scope.account_id);
    let region = r.str("region").or(scope.region);
    write_cloud(out, account, region, r.str("az-id"));

    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(6, "Traffic"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: start,
    }
}

// ---- Load balancers ----------------------------------------------------------------

fn elb_http(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>, log_type: LogType) -> Mapped {
    // ALB calls the instance behind it a target; Classic ELB calls it a backend.
    let (target_ip, target_port, target_processing) = if log_type == LogType::Alb {
        ("target_ip", "target_port", "target_processing_time")
    } else {
        ("backend_ip", "backend_port", "backend_processing_time")
    };
    let method = get_str(r, "request_method");
    let code = get_u64(r, "elb_status_code");
    // A Classic ELB TCP or SSL listener logs connections, with `- - - ` for the request
    // and no status codes: that is Network Activity, as NLB entries are.
    let tcp = log_type == LogType::ClassicElb && method.is_none() && code.is_none();
    if !tcp {
        let url = get_str(r, "request_url");
        let (agent, version, trace) = (
            get_str(r, "user_agent"),
            get_str(r, "request_protocol"),
            get_str(r, "trace_id"),
        );
        // HTTP Activity requires the object; a request too malformed to read
        // (`- - - `) leaves it empty.
        out.open("http_request");
        write_http_method(out, method);
        if let Some(url) = url {
            write_url(out, url, None);
        }
        opt_str(out, "user_agent", agent);
        opt_str(out, "version", version);
        opt_str(out, "uid", trace);
        out.close_keep();
        write_http_response(out, code, |_| {});
        write_http_status(out, code);
    }
    opt_str(out, "status_detail", get_str(r, "error_reason"));

    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    // The target; when the request reached none, the load balancer that answered.
    out.open("dst_endpoint");
    match get_str(r, target_ip).filter(|ip| ip.parse::<IpAddr>().is_ok()) {
        Some(ip) => {
            out.str("ip", ip);
            opt_uint(out, "port", get_u64(r, target_port));
        }
        None => match get_str(r, "elb") {
            Some(lb) => out.str("name", lb),
            None => out.str("svc_name", "elasticloadbalancing"),
        },
    }
    out.close();
    write_tls(
        out,
        get_str(r, "ssl_protocol"),
        get_str(r, "ssl_cipher"),
        get_str(r, "domain_name"),
    );
    write_traffic(out, get_u64(r, "received_bytes"), get_u64(r, "sent_bytes"));
    // The same id is the connection log's `conn_trace_id`: both land in connection_info.uid.
    let conn = get_str(r, "conn_trace_id");
    if conn.is_some() || tcp {
        out.open("connection_info");
        write_direction(out, 1);
        opt_str(out, "uid", conn);
        if tcp {
            out.uint("protocol_num", 6);
            out.str("protocol_name", "tcp");
        }
        out.close();
    }

    let times = [
        get_f64(r, "request_processing_time"),
        get_f64(r, target_processing),
        get_f64(r, "response_processing_time"),
    ];
    // -1 marks a request that never reached a target: there is no full duration then.
    if times.iter().all(|t| t.is_some_and(|t| t >= 0.0)) {
        let total: f64 = times.iter().flatten().sum();
        out.int("duration", secs_to_ms(total));
    }

    let (arn_region, arn_account) =
        get_str(r, "target_group_arn").map_or((None, None), arn_region_account);
    write_cloud(
        out,
        scope.account_id.or(arn_account),
        scope.region.or(arn_region),
        None,
    );

    let (class, activity) = if tcp {
        (&NETWORK_ACTIVITY, activity(2, "Close"))
    } else {
        (&HTTP_ACTIVITY, http_activity(method))
    };
    Mapped {
        class,
        activity,
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(iso8601_ms),
    }
}

/// NLB logs describe TLS connections with no HTTP data, so they map to Network Activity.
/// One TLS (or plain TCP) connection attempt to an ALB listener.
fn alb_connection(
    r: &Obj,
    out: &mut dyn EventOut,
    scope: KeyScope<'_>,
    load_balancer: Option<&str>,
) -> Mapped {
    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    // The record names no load balancer; its object key does (`app/<name>/<id>`).
    out.open("dst_endpoint");
    match load_balancer {
        Some(lb) => out.str("name", lb),
        None => out.str("svc_name", "elasticloadbalancing"),
    }
    opt_uint(out, "port", get_u64(r, "listener_port"));
    out.close();
    out.open("connection_info");
    write_direction(out, 1);
    out.uint("protocol_num", 6);
    out.str("protocol_name", "tcp");
    opt_str(out, "uid", get_str(r, "conn_trace_id"));
    out.close();
    write_tls(
        out,
        get_str(r, "tls_protocol"),
        get_str(r, "tls_cipher"),
        None,
    );
    // `Success`, or `Failed:<reason>` when the handshake or the client certificate
    // check failed; absent on plain HTTP listeners.
    match get_str(r, "tls_verify_status") {
        Some("Success") => write_status(out, 1, "Success"),
        Some(status) => {
            write_status(out, 2, "Failure");
            out.str(
                "status_code",
                status.strip_prefix("Failed:").unwrap_or(status),
            );
            out.str("status_detail", status);
        }
        None => {}
    }
    write_cloud(out, scope.account_id, scope.region, None);
    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(1, "Open"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "timestamp").and_then(iso8601_ms),
    }
}

fn nlb(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    write_endpoint(
        out,
        "dst_endpoint",
        get_str(r, "destination_ip"),
        get_u64(r, "destination_port"),
    );
    out.open("connection_info");
    write_direction(out, 1);
    out.uint("protocol_num", 6);
    out.str("protocol_name", "tcp");
    out.close();
    write_tls(
        out,
        get_str(r, "tls_protocol_version"),
        get_str(r, "tls_cipher"),
        get_str(r, "domain_name"),
    );
    write_traffic(out, get_u64(r, "received_bytes"), get_u64(r, "sent_bytes"));
    if let Some(ms) = get_f64(r, "connection_time") {
        out.int("duration", ms.round() as i64);
    }
    match get_str(r, "incoming_tls_alert") {
        Some(alert) => {
            write_status(out, 2, "Failure");
            out.str_parts("status_detail", &["TLS alert ", alert]);
        }
        None => write_status(out, 1, "Success"),
    }
    write_cloud(out, scope.account_id, scope.region, None);
    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(2, "Close"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(iso8601_ms),
    }
}

// ---- S3 server access logs ---------------------------------------------------------

/// CRUD class of an S3 access log operation such as `REST.GET.OBJECT` or `BATCH.DELETE.OBJECT`.
fn s3_activity(operation: &str) -> Activity {
    let mut parts = operation.split('.');
    let _kind = parts.next();
    let verb = parts.next().unwrap_or("");
    let resource = parts.next().unwrap_or("");
    if verb == "DELETE" || operation.contains("DELETE") || verb == "EXPIRE" {
        return activity(4, "Delete");
    }
    if verb.starts_with("TRANSITION") {
        return activity(3, "Update");
    }
    match verb {
        "GET" | "HEAD" | "OPTIONS" => activity(2, "Read"),
        // A copy logs the read of its source as `REST.COPY.OBJECT_GET`.
        "COPY" if resource.ends_with("_GET") => activity(2, "Read"),
        "COPY" => activity(1, "Create"),
        "PUT" | "POST"
            if matches!(
                resource,
                "OBJECT" | "PART" | "UPLOAD" | "UPLOADS" | "BUCKET"
            ) =>
        {
            activity(1, "Create")
        }
        "PUT" | "POST" | "RESTORE" => activity(3, "Update"),
        _ => OTHER,
    }
}

/// The region in an S3 endpoint such as `bucket.s3.us-west-1.amazonaws.com` or `s3.dualstack.eu-west-1.amazonaws.com`.
fn s3_host_region(host: &str) -> Option<&str> {
    let mut labels = host
        .split('.')
        .skip_while(|l| *l != "s3" && !l.starts_with("s3-"));
    let first = labels.next()?;
    if let Some(region) = first.strip_prefix("s3-").filter(|r| r.contains('-')) {
        return Some(region);
    }
    labels
        .find(|l| *l != "dualstack" && *l != "s3-accesspoint")
        .filter(|l| l.contains('-') && l.ends_with(|c: char| c.is_ascii_digit()))
}

fn s3_access(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    let operation = get_str(r, "operation");
    let code = get_u64(r, "http_status");
    // API Activity has no `http_response` or `tls`: the status goes to `api.response`;
    // the TLS version and cipher stay in the original record (`raw_data` / `unmapped`).
    out.open("api");
    // Required in `api`: a record without one says `unknown` (activity 0 Unknown).
    out.str("operation", operation.unwrap_or(UNKNOWN_NAME));
    out.open("service");
    out.str("name", "s3.amazonaws.com");
    out.close();
    out.open("request");
    opt_str(out, "uid", get_str(r, "request_id"));
    out.close();
    out.open("response");
    opt_uint(out, "code", code);
    opt_str(out, "error", get_str(r, "error_code"));
    out.close();
    out.close();

    out.open("actor");
    out.open("user");
    match get_str(r, "requester") {
        Some(requester) => {
            out.str("uid", requester);
            write_account(out, arn_region_account(requester).1);
        }
        // S3 logs `-` for unauthenticated requests.
        None => {
            out.str("name", "anonymous");
            out.str("type", "Anonymous");
            out.uint("type_id", 99);
        }
    }
    out.close();
    out.close();

    out.open("src_endpoint");
    match get_str(r, "remote_ip").filter(|ip| ip.parse::<IpAddr>().is_ok()) {
        Some(ip) => out.str("ip", ip),
        None => out.str("name", UNKNOWN_NAME),
    }
    out.close();

    out.open("http_request");
    write_http_method(out, get_str(r, "request_method"));
    if let Some(p) = get_str(r, "request_path") {
        write_url(out, p, get_str(r, "host_header"));
    }
    opt_str(out, "version", get_str(r, "request_protocol"));
    opt_str(out, "user_agent", get_str(r, "user_agent"));
    opt_str(out, "referrer", get_str(r, "referer"));
    out.close();
    let error = get_str(r, "error_code");
    if code.is_some_and(|c| c >= 400) || error.is_some() {
        write_status(out, 2, "Failure");
    } else {
        write_status(out, 1, "Success");
    }
    opt_str(out, "status_code", error);

    if let Some(bucket) = get_str(r, "bucket") {
        out.open_array("resources");
        out.open("");
        out.str("type", "AWS::S3::Bucket");
        out.str("name", bucket);
        out.str_parts("uid", &["arn:aws:s3:::", bucket]);
        out.close();
        if let Some(key) = get_str(r, "key") {
            let key = percent_decode(key);
            out.open("");
            out.str("type", "AWS::S3::Object");
            out.str("name", &key);
            out.str("uid", &["arn:aws:s3:::", bucket, "/", &key].concat());
            out.close();
        }
        out.close();
    }
    opt_int(
        out,
        "duration",
        get_u64(r, "total_time").and_then(|t| i64::try_from(t).ok()),
    );

    let (ap_region, ap_account) =
        get_str(r, "access_point_arn").map_or((None, None), arn_region_account);
    let region = scope
        .region
        .or_else(|| get_str(r, "host_header").and_then(s3_host_region))
        .or(ap_region);
    write_cloud(out, scope.account_id.or(ap_account), region, None);

    Mapped {
        class: &API_ACTIVITY,
        activity: operation.map_or(UNKNOWN, s3_activity),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(clf_ms),
    }
}

// ---- CloudFront --------------------------------------------------------------------

fn cloudfront(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let method = get_str(r, "cs-method");
    out.open("http_request");
    write_http_method(out, method);

    let scheme = get_str(r, "cs-protocol");
    let host = get_str(r, "x-host-header").or_else(|| get_str(r, "cs(Host)"));
    let path = get_str(r, "cs-uri-stem");
    let query = get_str(r, "cs-uri-query");
    out.open("url");
    if let (Some(scheme), Some(host)) = (scheme, host) {
        let mut full = [scheme, "://", host, path.unwrap_or("")].concat();
        if let Some(q) = query {
            full.push('?');
            full.push_str(q);
        }
        out.str("url_string", &full);
    }
    opt_str(out, "scheme", scheme);
    opt_str(out, "hostname", host);
    opt_str(out, "path", path);
    opt_str(out, "query_string", query);
    out.close();
    opt_str(out, "user_agent", get_str(r, "cs(User-Agent)"));
    opt_str(out, "referrer", get_str(r, "cs(Referer)"));
    opt_str(out, "version", get_str(r, "cs-protocol-version"));
    opt_str(out, "uid", get_str(r, "x-edge-request-id"));
    if let Some(xff) = get_str(r, "x-forwarded-for") {
        // Only addresses: a proxy may write `unknown` or a port; the field stays in the record.
        out.open_array("x_forwarded_for");
        for ip in xff.split(',').map(str::trim) {
            if ip.parse::<IpAddr>().is_ok() {
                out.str("", ip);
            }
        }
        out.close();
    }
    out.close_keep();

    let code = get_u64(r, "sc-status");
    write_http_response(out, code, |out| {
        opt_str(out, "content_type", get_str(r, "sc-content-type"));
        opt_uint(out, "length", get_u64(r, "sc-content-len"));
    });
    write_http_status(out, code);
    opt_str(
        out,
        "status_detail",
        get_str(r, "x-edge-detailed-result-type"),
    );

    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "c-ip"),
        get_u64(r, "c-port"),
    );
    // The distribution's domain; CloudFront itself when the log has no host fields.
    out.open("dst_endpoint");
    match get_str(r, "cs(Host)").or(host) {
        Some(h) => out.str("hostname", h),
        None => out.str("svc_name", "cloudfront"),
    }
    out.close();
    write_tls(
        out,
        get_str(r, "ssl-protocol"),
        get_str(r, "ssl-cipher"),
        None,
    );
    write_traffic(out, get_u64(r, "cs-bytes"), get_u64(r, "sc-bytes"));
    opt_int(out, "duration", get_f64(r, "time-taken").map(secs_to_ms));
    // CloudFront is global; its logs name no account or region.
    write_cloud(out, None, None, None);

    let time = match (get_str(r, "date"), get_str(r, "time")) {
        (Some(d), Some(t)) => date_and_time_ms(d, t),
        _ => None,
    };
    Mapped {
        class: &HTTP_ACTIVITY,
        activity: http_activity(method),
        severity_id: SEVERITY_INFORMATIONAL,
        time,
    }
}

// ---- WAF ---------------------------------------------------------------------------

fn waf(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let empty = Obj::new();
    let req = get_obj(r, "httpRequest").unwrap_or(&empty);
    let headers: &[Value] = req
        .get("headers")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let header = |name: &str| {
        headers.iter().filter_map(Value::as_object).find_map(|h| {
            get_str(h, "name")
                .filter(|n| n.eq_ignore_ascii_case(name))
                .and(get_str(h, "value"))
        })
    };

    let method = get_str(req, "httpMethod");
    out.open("http_request");
    write_http_method(out, method);
    let uri = get_str(req, "uri");
    let args = get_str(req, "args").filter(|a| !a.is_empty());
    out.open("url");
    if let Some(uri) = uri {
        match args {
            Some(a) => out.str("url_string", &[uri, "?", a].concat()),
            None => out.str("url_string", uri),
        }
    }
    opt_str(out, "path", uri);
    opt_str(out, "query_string", args);
    opt_str(out, "hostname", header("host"));
    out.close();
    opt_str(out, "user_agent", header("user-agent"));
    opt_str(out, "version", get_str(req, "httpVersion"));
    opt_str(out, "uid", get_str(req, "requestId"));
    out.open_array("http_headers");
    for h in headers.iter().filter_map(Value::as_object) {
        out.open("");
        opt_str(out, "name", get_str(h, "name"));
        opt_str(out, "value", get_str(h, "value"));
        out.close();
    }
    out.close();
    out.close_keep();

    // WAF logs the response only when it answered itself: `responseCodeSent` for a
    // custom response, else its documented defaults (Block 403, CAPTCHA 405, Challenge
    // 202). A request it let through was answered by the origin, whose code is in the
    // ALB, CloudFront or API Gateway log: 0 here (see docs/mappings/waf.md).
    let action = get_str(r, "action");
    let answered = match action {
        Some("BLOCK") => Some(403),
        Some("CAPTCHA") => Some(405),
        Some("CHALLENGE") => Some(202),
        _ => None,
    };
    let code = get_u64(r, "responseCodeSent").or(answered);
    write_http_response(out, code, |_| {});

    out.open("src_endpoint");
    opt_ip(out, "ip", get_str(req, "clientIp"));
    out.open("location");
    opt_str(out, "country", get_str(req, "country"));
    out.close();
    out.close();

    // The protected resource: its host, the kind of source (`ALB`, `CF`, `APIGW`...) and its id.
    out.open("dst_endpoint");
    opt_str(out, "hostname", header("host"));
    // Without a source name, the destination known is a resource WAF protects.
    out.str("svc_name", get_str(r, "httpSourceName").unwrap_or("waf"));
    opt_str(out, "uid", get_str(r, "httpSourceId"));
    out.close();

    // OCSF 1.3 has only Unknown/Allowed/Denied/Other actions and says dispositions
    // conform to Allowed or Denied: a counted request went through; a CAPTCHA or
    // challenge action stopped the request (WAF answers with the puzzle instead).
    let decided = match action {
        Some("ALLOW") => Some(((1, "Allowed"), (1, "Allowed"))),
        Some("BLOCK") => Some(((2, "Denied"), (2, "Blocked"))),
        Some("COUNT") => Some(((1, "Allowed"), (20, "Count"))),
        Some("CAPTCHA") => Some(((2, "Denied"), (22, "Captcha"))),
        Some("CHALLENGE") => Some(((2, "Denied"), (23, "Challenge"))),
        Some(_) => Some(((99, "Other"), (99, "Other"))),
        None => None,
    };
    if let Some((action, disposition)) = decided {
        write_action(out, action, disposition);
        out.open("firewall_rule");
        opt_str(out, "uid", get_str(r, "terminatingRuleId"));
        opt_str(out, "type", get_str(r, "terminatingRuleType"));
        out.close();
    }

    let (region, account) = get_str(r, "webaclId").map_or((None, None), arn_region_account);
    write_cloud(out, account, region, None);

    Mapped {
        class: &HTTP_ACTIVITY,
        activity: http_activity(method),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_u64(r, "timestamp").and_then(|ms| i64::try_from(ms).ok()),
    }
}

// ---- Route 53 Resolver -------------------------------------------------------------

fn rcode_id(rcode: &str) -> u64 {
    match rcode {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        "YXDOMAIN" => 6,
        "YXRRSET" => 7,
        "NXRRSET" => 8,
        "NOTAUTH" => 9,
        "NOTZONE" => 10,
        "DSOTYPENI" => 11,
        "BADSIG" | "BADVERS" => 16,
        "BADKEY" => 17,
        "BADTIME" => 18,
        "BADMODE" => 19,
        "BADNAME" => 20,
        "BADALG" => 21,
        "BADTRUNC" => 22,
        "BADCOOKIE" => 23,
        _ => 99,
    }
}

fn route53(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    out.open("query");
    opt_str(out, "hostname", get_str(r, "query_name"));
    opt_str(out, "type", get_str(r, "query_type"));
    opt_str(out, "class", get_str(r, "query_class"));
    out.close();

    if let Some(rcode) = get_str(r, "rcode") {
        out.str("rcode", rcode);
        out.uint("rcode_id", rcode_id(rcode));
    }
    if let Some(Value::Array(answers)) = r.get("answers") {
        out.open_array("answers");
        for a in answers.iter().filter_map(Value::as_object) {
            out.open("");
            opt_str(out, "rdata", get_str(a, "Rdata"));
            opt_str(out, "type", get_str(a, "Type"));
            opt_str(out, "class", get_str(a, "Class"));
            out.close();
        }
        out.close();
    }

    // Route 53 writes the port as a string.
    let port = get_str(r, "srcport")
        .and_then(|p| p.parse().ok())
        .or_else(|| get_u64(r, "srcport"));
    out.open("src_endpoint");
    opt_ip(out, "ip", get_str(r, "srcaddr"));
    opt_uint(out, "port", port);
    opt_str(out, "vpc_uid", get_str(r, "vpc_id"));
    opt_str(out, "instance_uid", path_str(r, &["srcids", "instance"]));
    out.close();

    if let Some(transport) = get_str(r, "transport") {
        out.open("connection_info");
        // Resolver logs do not say which side of the VPC the querier is on.
        write_direction(out, 0);
        if transport.eq_ignore_ascii_case("udp") {
            out.uint("protocol_num", 17);
            out.str("protocol_name", "udp");
        } else if transport.eq_ignore_ascii_case("tcp") {
            out.uint("protocol_num", 6);
            out.str("protocol_name", "tcp");
        } else {
            out.str("protocol_name", &transport.to_ascii_lowercase());
        }
        out.close();
    }

    // DNS Firewall's decision, when a rule matched the query.
    let decided = match get_str(r, "firewall_rule_action") {
        Some("ALLOW") => Some(((1, "Allowed"), (1, "Allowed"))),
        Some("BLOCK") => Some(((2, "Denied"), (2, "Blocked"))),
        Some("ALERT") => Some(((1, "Allowed"), (19, "Alert"))),
        Some(_) => Some(((99, "Other"), (99, "Other"))),
        None => None,
    };
    if let Some((action, disposition)) = decided {
        write_action(out, action, disposition);
        out.open("firewall_rule");
        opt_str(out, "uid", get_str(r, "firewall_rule_group_id"));
        out.close();
    }

    let account = get_str(r, "account_id").or(scope.account_id);
    let region = get_str(r, "region").or(scope.region);
    write_cloud(out, account, region, None);

    Mapped {
        class: &DNS_ACTIVITY,
        // A resolver log entry records both the query and its answer.
        activity: activity(6, "Traffic"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "query_timestamp").and_then(iso8601_ms),
    }
}

// ---- GuardDuty ---------------------------------------------------------------------

/// GuardDuty severity bands: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
fn guardduty_severity_id(severity: f64) -> u64 {
    match severity {
        s if s >= 9.0 => 5,
        s if s >= 7.0 => 4,
        s if s >= 4.0 => 3,
        s if s >= 1.0 => 2,
        s if s >= 0.0 => 1,
        _ => 0,
    }
}

/// GuardDuty's resource detail blocks (API Reference, `Resource`): the `resourceType`
/// naming the block, the block, and the fields holding the resource's uid and name.
/// `s3BucketDetails` is an array with one entry per bucket.
const GUARDDUTY_RESOURCES: &[(&str, &str, &str, &str)] = &[
    ("AccessKey", "accessKeyDetails", "accessKeyId", "userName"),
    ("Instance", "instanceDetails", "instanceId", ""),
    ("S3Bucket", "s3BucketDetails", "arn", "name"),
    ("EKSCluster", "eksClusterDetails", "arn", "name"),
    ("ECSCluster", "ecsClusterDetails", "arn", "name"),
    ("Container", "containerDetails", "id", "name"),
    (
        "RDSDBInstance",
        "rdsDbInstanceDetails",
        "dbInstanceArn",
        "dbInstanceIdentifier",
    ),
    (
        "RDSLimitlessDB",
        "rdsLimitlessDbDetails",
        "dbShardGroupArn",
        "dbShardGroupIdentifier",
    ),
    ("Lambda", "lambdaDetails", "functionArn", "functionName"),
    ("EBSSnapshot", "ebsSnapshotDetails", "snapshotArn", ""),
    ("EC2Image", "ec2ImageDetails", "imageArn", ""),
    (
        "RecoveryPoint",
        "recoveryPointDetails",
        "recoveryPointArn",
        "backupVaultName",
    ),
];

/// One OCSF resource per GuardDuty detail block present, each with its own type, uid
/// and name and the block as `data`; the block `resourceType` names comes first.
fn guardduty_resources(r: &Obj, resource: &Obj, out: &mut dyn EventOut) {
    let named = get_str(resource, "resourceType");
    let mut order: Vec<&(&str, &str, &str, &str)> = GUARDDUTY_RESOURCES.iter().collect();
    order.sort_by_key(|(kind, ..)| Some(*kind) != named);
    out.open_array("resources");
    for (kind, block, uid, name) in order {
        let blocks: Vec<&Obj> = match resource.get(*block) {
            Some(Value::Object(b)) => vec![b],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => continue,
        };
        for b in blocks {
            let (uid, name) = (get_str(b, uid), get_str(b, name));
            // OCSF needs a uid or a name to tell the resource apart.
            if uid.or(name).is_none() {
                continue;
            }
            out.open("");
            out.str("type", kind);
            opt_str(out, "uid", uid);
            opt_str(out, "name", name);
            opt_str(out, "region", get_str(r, "region"));
            opt_str(out, "cloud_partition", get_str(r, "partition"));
            out.map("data", b);
            out.close();
        }
    }
    out.close();
}

/// `event_uid` (the event's `metadata.uid`) stands in for a finding without an id.
fn guardduty(r: &Obj, out: &mut dyn EventOut, event_uid: &str) -> Mapped {
    let created = get_str(r, "createdAt").and_then(iso8601_ms);
    let updated = get_str(r, "updatedAt").and_then(iso8601_ms);
    let archived = path(r, &["service", "archived"]).and_then(Value::as_bool) == Some(true);
    let activity = if archived {
        activity(3, "Close")
    } else if updated.is_some() && updated != created {
        activity(2, "Update")
    } else {
        activity(1, "Create")
    };

    // `uid` and `title` are required: every GuardDuty finding has them, and a record
    // without them keeps the event's uid and the finding type (or a generic title).
    out.open("finding_info");
    out.str(
        "uid",
        get_str(r, "arn")
            .or_else(|| get_str(r, "id"))
            .unwrap_or(event_uid),
    );
    out.str(
        "title",
        get_str(r, "title")
            .or_else(|| get_str(r, "type"))
            .unwrap_or("GuardDuty finding"),
    );
    opt_str(out, "desc", get_str(r, "description"));
    if let Some(t) = get_str(r, "type") {
        out.open_array("types");
        out.str("", t);
        out.close();
    }
    opt_int(out, "created_time", created);
    opt_int(out, "modified_time", updated);
    opt_int(
        out,
        "first_seen_time",
        path_str(r, &["service", "eventFirstSeen"]).and_then(iso8601_ms),
    );
    opt_int(
        out,
        "last_seen_time",
        path_str(r, &["service", "eventLastSeen"]).and_then(iso8601_ms),
    );
    out.close();
    // How many times GuardDuty saw the activity (the event's `count`).
    opt_uint(
        out,
        "count",
        path(r, &["service", "count"]).and_then(Value::as_u64),
    );

    if let Some(resource) = get_obj(r, "resource") {
        guardduty_resources(r, resource, out);
    }

    let severity = get_f64(r, "severity");
    if let Some(s) = severity.filter(|s| s.is_finite() && *s >= 0.0) {
        // OCSF's risk_score is an integer: GuardDuty's 0.0-10.0 severity times ten
        // (8.2 -> 82), kept next to the OCSF band it maps to.
        out.uint("risk_score", (s * 10.0).round().min(1000.0) as u64);
    }
    write_cloud(out, get_str(r, "accountId"), get_str(r, "region"), None);

    Mapped {
        class: &DETECTION_FINDING,
        activity,
        severity_id: severity.map_or(0, guardduty_severity_id),
        time: updated.or(created),
    }
}

// ---- Generic -----------------------------------------------------------------------

const TIME_KEYS: &[&str] = &[
    "timestamp",
    "@timestamp",
    "time",
    "eventTime",
    "event_time",
    "ts",
    "date",
];
const MESSAGE_KEYS: &[&str] = &["message", "msg", "log"];

/// Epoch ms from a string time or an epoch number (seconds, or milliseconds when that large).
fn generic_time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => iso8601_ms(s),
        Value::Number(n) => {
            let n = n.as_f64()?;
            // 1e11 seconds is the year 5138: anything larger is milliseconds.
            if n > 1e11 {
                Some(n as i64)
            } else if n > 0.0 {
                Some(secs_to_ms(n))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// One log event from a CloudWatch Logs subscription.
fn cloudwatch_logs(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    out.str("message", get_str(r, "message").unwrap_or(""));
    // `owner` is the account that owns the log group (CloudwatchLogs on control messages).
    let account =
        get_str(r, "owner").filter(|o| o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()));
    write_cloud(out, account.or(scope.account_id), scope.region, None);
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: r.get("timestamp").and_then(Value::as_i64),
    }
}

fn generic_json(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    match MESSAGE_KEYS.iter().find_map(|k| get_str(r, k)) {
        Some(m) => out.str("message", m),
        None => out.str(
            "message",
            &serde_json::to_string(r).expect("a JSON map always serializes"),
        ),
    }
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: TIME_KEYS
            .iter()
            .find_map(|k| r.get(*k).and_then(generic_time)),
    }
}

fn text(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let line = get_str(r, "message").unwrap_or("");
    out.str("message", line);
    let first_token = line.split_ascii_whitespace().next().unwrap_or("");
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: iso8601_ms(first_token),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::{cloudfront, cloudtrail, elb, json_lines, s3_access, vpc_flow};
    use crate::ocsf_check::tests::assert_valid;

    fn source(key: &str) -> SourceObject {
        SourceObject {
            bucket: "central-logs".into(),
            key: key.into(),
            etag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
            version_id: None,
        }
    }

    fn first_event(log_type: LogType, input: &str, key: &str) -> Value {
        events(log_type, input, key).remove(0)
    }

    /// The events of `input`, each checked against the OCSF schema first.
    fn events(log_type: LogType, input: &str, key: &str) -> Vec<Value> {
        let got = collect(log_type, input);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        got.records
            .iter()
            .map(|r| to_ocsf(log_type, r, &source(key), &NormalizeOptions::default()).event)
            .inspect(assert_valid)
            .collect()
    }

    /// Every sample of every format, in every raw mode, is an event a strict OCSF
    /// consumer accepts (the per-mapping tests validate their own inputs as well).
    #[test]
    fn every_sample_of_every_format_is_valid_ocsf() {
        let mut samples = all_samples();
        // Lines without a time of their own take the fallback time.
        samples.push((
            LogType::Json,
            "{\"level\":\"info\"}\n".into(),
            "apps/x.json",
        ));
        samples.push((LogType::Text, "no time here\n".into(), "apps/x.log"));
        let covered: std::collections::HashSet<LogType> = samples.iter().map(|s| s.0).collect();
        for t in LogType::ALL {
            assert!(covered.contains(&t), "no sample of {t}");
        }
        let fallback = NormalizeOptions {
            fallback_time_ms: Some(1_700_000_000_000),
            ..NormalizeOptions::default()
        };
        for (log_type, input, key) in &samples {
            let got = collect(*log_type, input);
            assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
            assert!(!got.records.is_empty(), "{log_type}");
            for record in &got.records {
                for keep_raw in RAW_MODES {
                    let opts = NormalizeOptions {
                        keep_raw,
                        ..fallback
                    };
                    let source = source(key);
                    let normalizer = Normalizer::new(*log_type, &source, opts);
                    assert_valid(&normalizer.normalize(record).event);
                    let mut line = String::new();
                    normalizer.write_event(record, &mut line);
                    assert_valid(&serde_json::from_str(&line).unwrap());
                }
            }
        }
    }

    fn assert_class(ev: &Value, class_uid: u64, activity_id: u64) {
        assert_eq!(ev["class_uid"], class_uid, "{ev:#}");
        assert_eq!(ev["activity_id"], activity_id, "{ev:#}");
        assert_eq!(ev["type_uid"], class_uid * 100 + activity_id);
        assert_eq!(ev["metadata"]["version"], OCSF_VERSION);
        assert_eq!(ev["metadata"]["product"]["vendor_name"], "AWS");
    }

    const RAW_MODES: [RawMode; 4] = [
        RawMode::Auto,
        RawMode::Unmapped,
        RawMode::RawData,
        RawMode::Drop,
    ];
    const VPC_KEY: &str = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_fe123456.log.gz";
    const CT_KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2023/11/14/123456789012_CloudTrail_us-east-1_20231114T1015Z_a1B2c3D4e5F6g7H8.json.gz";

    #[test]
    fn cloudtrail_maps_to_api_activity_with_actor_and_status() {
        let evs = events(
            LogType::CloudTrail,
            cloudtrail::samples::THREE_RECORDS,
            CT_KEY,
        );
        let login = &evs[0];
        assert_class(login, 6003, 99);
        assert_eq!(login["category_uid"], 6);
        assert_eq!(login["time"], 1_394_140_974_000i64);
        assert_eq!(login["api"]["operation"], "ConsoleLogin");
        assert_eq!(login["api"]["service"]["name"], "signin.amazonaws.com");
        assert_eq!(login["actor"]["user"]["name"], "Alice");
        assert_eq!(login["actor"]["user"]["type"], "IAMUser");
        assert_eq!(login["src_endpoint"]["ip"], "198.51.100.1");
        assert_eq!(login["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(login["cloud"]["region"], "us-east-1");
        assert_eq!(login["status_id"], 1);

        let describe = &evs[1];
        assert_class(describe, 6003, 2);
        assert_eq!(
            describe["actor"]["user"]["uid"],
            "AROAIDPPEZS35WEXAMPLE:deploy-bot"
        );
        assert_eq!(describe["actor"]["user"]["name"], "DeployRole");
        assert_eq!(
            describe["actor"]["user"]["credential_uid"],
            "ASIAIOSFODNN7EXAMPLE"
        );
        assert_eq!(
            describe["actor"]["session"]["issuer"],
            "arn:aws:iam::123456789012:role/DeployRole"
        );
        assert_eq!(describe["actor"]["session"]["is_mfa"], false);
        assert_eq!(describe["src_endpoint"]["ip"], "2001:db8::7");
        assert_eq!(
            describe["api"]["request"]["uid"],
            "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        );
        assert_eq!(describe["cloud"]["region"], "eu-west-1");

        let delete = &evs[2];
        assert_class(delete, 6003, 4);
        assert_eq!(delete["status_id"], 2);
        assert_eq!(delete["status"], "Failure");
        assert_eq!(delete["status_code"], "AccessDenied");
        assert_eq!(delete["api"]["response"]["error"], "AccessDenied");
        assert_eq!(delete["resources"][0]["uid"], "arn:aws:s3:::prod-logs");
    }

    #[test]
    fn cloudtrail_verbs_map_to_crud_activities() {
        let cases = [
            ("CreateBucket", 1),
            ("RunInstances", 1),
            ("GetObject", 2),
            ("BatchGetItem", 2),
            ("ListBuckets", 2),
            ("PutBucketPolicy", 3),
            ("AttachRolePolicy", 3),
            ("DeleteTrail", 4),
            ("BatchWriteItem", 3),
            ("TerminateInstances", 4),
            ("AssumeRole", 99),
            ("ConsoleLogin", 99),
        ];
        for (name, id) in cases {
            assert_eq!(api_activity(name).id, id, "{name}");
        }
    }

    #[test]
    fn cloudtrail_service_caller_goes_to_svc_name_not_ip() {
        let doc = r#"{"Records":[{"eventTime":"2023-11-14T10:00:00Z","eventName":"Decrypt","eventSource":"kms.amazonaws.com","sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}]}"#;
        let ev = first_event(LogType::CloudTrail, doc, CT_KEY);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "svc_name": "ec2.amazonaws.com" })
        );
        assert_eq!(ev["actor"]["invoked_by"], "ec2.amazonaws.com");
        assert_eq!(ev["actor"]["user"]["type_id"], 3);
    }

    #[test]
    fn cloudtrail_insight_is_other_activity_about_the_insight_api() {
        let ev = first_event(LogType::CloudTrail, cloudtrail::samples::INSIGHT, CT_KEY);
        assert_class(&ev, 6003, 99);
        assert_eq!(ev["api"]["operation"], "RunInstances");
        assert!(ev.get("status_id").is_none());
    }

    #[test]
    fn vpc_flow_maps_to_network_activity_with_disposition() {
        let key = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_fe123456.log.gz";
        let evs = events(LogType::VpcFlow, vpc_flow::samples::DEFAULT_FILE, key);
        let ev = &evs[0];
        assert_class(ev, 4001, 6);
        assert_eq!(ev["time"], 1_418_530_010_000i64);
        assert_eq!(ev["start_time"], 1_418_530_010_000i64);
        assert_eq!(ev["end_time"], 1_418_530_070_000i64);
        assert_eq!(ev["src_endpoint"]["ip"], "172.31.16.139");
        assert_eq!(ev["src_endpoint"]["port"], 20641);
        assert_eq!(ev["src_endpoint"]["interface_uid"], "eni-1235b8ca123456789");
        assert_eq!(ev["dst_endpoint"]["port"], 22);
        assert_eq!(ev["connection_info"]["protocol_num"], 6);
        assert_eq!(ev["connection_info"]["protocol_name"], "tcp");
        assert_eq!(ev["traffic"], json!({ "bytes": 4249, "packets": 20 }));
        assert_eq!(
            (ev["action_id"].clone(), ev["disposition_id"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(
            ev["cloud"]["region"], "us-east-1",
            "region falls back to the key"
        );
        assert_eq!(evs[1]["action"], "Denied");
        assert_eq!(evs[1]["disposition"], "Blocked");
        // Regression: a record without traffic is about the interface, which is then
        // the destination Network Activity requires.
        let nodata = &evs[2];
        assert_eq!(
            nodata["dst_endpoint"],
            json!({"interface_uid": "eni-1235b8ca123456789"})
        );
        assert!(nodata.get("src_endpoint").is_none());
        assert!(nodata.get("action_id").is_none());
        assert_eq!(nodata["status_code"], "NODATA");
        assert_eq!(nodata["time"], 1_431_280_876_000i64);
    }

    #[test]
    fn vpc_flow_ingress_puts_interface_on_destination_and_ipv6_version() {
        let input = "version interface-id srcaddr dstaddr srcport dstport protocol start end action log-status flow-direction type\n5 eni-0a1b 2001:db8::1 2001:db8::2 443 55000 6 1620140661 1620140721 ACCEPT OK ingress IPv6\n";
        let ev = first_event(LogType::VpcFlow, input, "flows/x.log");
        assert_eq!(ev["dst_endpoint"]["interface_uid"], "eni-0a1b");
        assert!(ev["src_endpoint"].get("interface_uid").is_none());
        assert_eq!(ev["connection_info"]["direction_id"], 1);
        assert_eq!(ev["connection_info"]["protocol_ver_id"], 6);
    }

    const ELB_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_10.0.0.1_5h9ha4x0.log.gz";

    #[test]
    fn alb_maps_to_http_activity_with_url_parts() {
        let ev = first_event(LogType::Alb, elb::samples::ALB_HTTPS, ELB_KEY);
        assert_class(&ev, 4002, 3);
        assert_eq!(ev["time"], 1_530_570_180_186i64);
        assert_eq!(ev["http_request"]["http_method"], "GET");
        let url = &ev["http_request"]["url"];
        assert_eq!(url["hostname"], "www.example.com");
        assert_eq!(url["port"], 443);
        assert_eq!(url["path"], "/path/to");
        assert_eq!(url["query_string"], "q=a%20b");
        assert_eq!(ev["http_request"]["user_agent"], r#"curl/7.46.0 "beta""#);
        assert_eq!(ev["http_response"]["code"], 200);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "ip": "192.168.131.39", "port": 2817 })
        );
        assert_eq!(ev["dst_endpoint"], json!({ "ip": "10.0.0.1", "port": 80 }));
        assert_eq!(ev["tls"]["sni"], "www.example.com");
        assert_eq!(ev["duration"], 171);
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["cloud"]["region"], "us-east-2");
    }

    #[test]
    fn alb_unreached_target_has_no_duration_and_failure_status() {
        let ev = first_event(LogType::Alb, elb::samples::ALB_IPV6_NO_TARGET, ELB_KEY);
        assert_class(&ev, 4002, 6);
        assert!(ev.get("duration").is_none());
        assert_eq!(ev["status_id"], 2);
        assert_eq!(ev["src_endpoint"]["ip"], "2001:db8:85a3::8a2e:370:7334");
        // No target: the load balancer that answered is the destination.
        assert_eq!(
            ev["dst_endpoint"],
            json!({"name": "app/my-loadbalancer/50dc6c495c0c9188"})
        );
        assert_eq!(ev["http_response"]["code"], 503);
    }

    /// Regression: a request ALB could not read (`- - - `, the documented 400 entry)
    /// is still HTTP Activity with its required objects.
    #[test]
    fn alb_malformed_request_keeps_the_required_http_objects() {
        let line = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- http://www.example.com:80- -" "-" - - - "-" "-" "-" - 2018-11-30T22:22:48.364000Z "-" "-" "-" "-" "-" "-" "-" "-" "-" -"#;
        let ev = first_event(LogType::Alb, line, ELB_KEY);
        assert_class(&ev, 4002, 0);
        assert_eq!(ev["http_response"]["code"], 400);
        assert_eq!(ev["status_id"], 2);
        assert!(ev["http_request"].is_object(), "{ev:#}");
        assert_eq!(
            ev["dst_endpoint"]["name"],
            "app/my-loadbalancer/50dc6c495c0c9188"
        );
    }

    #[test]
    fn nlb_maps_to_network_activity_close() {
        let ev = first_event(LogType::Nlb, elb::samples::NLB_TLS, "nlb/x.log");
        assert_class(&ev, 4001, 2);
        assert_eq!(ev["time"], 1_545_274_780_000i64);
        assert_eq!(ev["dst_endpoint"]["port"], 443);
        assert_eq!(ev["tls"]["version"], "tlsv12");
        assert_eq!(ev["duration"], 5);
        assert_eq!(ev["traffic"]["bytes_in"], 98);
    }

    #[test]
    fn classic_elb_tcp_entry_maps_to_network_activity() {
        let evs = events(
            LogType::ClassicElb,
            &format!(
                "{}\n{}\n",
                elb::samples::CLASSIC_HTTP,
                elb::samples::CLASSIC_TCP
            ),
            "elb/x.log",
        );
        assert_class(&evs[0], 4002, 3);
        assert_eq!(evs[0]["dst_endpoint"]["ip"], "10.0.0.1");
        // A TCP listener logs connections, not requests: Network Activity, like NLB.
        assert_class(&evs[1], 4001, 2);
        assert_eq!(evs[1]["time"], 1_431_560_383_945i64);
        assert!(evs[1].get("http_request").is_none());
        assert_eq!(evs[1]["connection_info"]["protocol_name"], "tcp");
        assert_eq!(evs[1]["traffic"]["bytes_in"], 57);
    }

    #[test]
    fn s3_access_maps_to_api_activity_with_bucket_and_object_resources() {
        let evs = events(
            LogType::S3Access,
            &format!(
                "{}\n{}\n",
                s3_access::samples::GET_VERSIONING,
                s3_access::samples::GET_OBJECT_DENIED
            ),
            "s3-logs/2019-02-06-00-00-38-E568B2907131C0C0",
        );
        let ev = &evs[0];
        assert_class(ev, 6003, 2);
        assert_eq!(ev["time"], 1_549_411_238_000i64);
        assert_eq!(ev["api"]["operation"], "REST.GET.VERSIONING");
        assert_eq!(ev["src_endpoint"]["ip"], "192.0.2.3");
        assert_eq!(ev["cloud"]["region"], "us-west-1");
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["status_id"], 1);
        let denied = &evs[1];
        assert_eq!(denied["status_id"], 2);
        assert_eq!(denied["status_code"], "AccessDenied");
        assert_eq!(denied["actor"]["user"]["account"]["uid"], "123456789012");
        assert_eq!(
            denied["resources"][1]["name"],
            "photos/2019/puppy beach.jpg"
        );
        assert_eq!(
            denied["resources"][1]["uid"],
            "arn:aws:s3:::awsexamplebucket1/photos/2019/puppy beach.jpg"
        );
    }

    #[test]
    fn s3_operations_map_to_crud_activities() {
        let cases = [
            ("REST.GET.OBJECT", 2),
            ("REST.HEAD.BUCKET", 2),
            ("REST.PUT.OBJECT", 1),
            ("REST.COPY.OBJECT", 1),
            ("REST.PUT.ACL", 3),
            ("REST.POST.MULTI_OBJECT_DELETE", 4),
            ("BATCH.DELETE.OBJECT", 4),
            ("S3.EXPIRE.OBJECT", 4),
            ("S3.TRANSITION_SIA.OBJECT", 3),
            ("REST.COPY.OBJECT_GET", 2),
            ("REST.POST.UPLOADS", 1),
            ("REST.POST.RESTORE", 3),
            ("S3.CREATE.DELETEMARKER", 4),
            ("WEBSITE.GET.OBJECT", 2),
            ("REST.BOGUS.THING", 99),
        ];
        for (op, id) in cases {
            assert_eq!(s3_activity(op).id, id, "{op}");
        }
    }

    #[test]
    fn cloudfront_maps_to_http_activity_with_rebuilt_url() {
        let evs = events(
            LogType::CloudFront,
            cloudfront::samples::FILE,
            "E2QWRUHAPOMQZL.2019-12-04-21.a1b2c3d4.gz",
        );
        let ev = &evs[0];
        assert_class(ev, 4002, 3);
        assert_eq!(ev["time"], 1_575_493_351_000i64);
        assert_eq!(
            ev["http_request"]["url"]["url_string"],
            "https://www.example.com/images/café menu.png?size=large&v=2"
        );
        assert_eq!(
            ev["http_request"]["user_agent"],
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
        );
        assert_eq!(ev["http_response"]["code"], 200);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "ip": "192.0.2.100", "port": 11040 })
        );
        assert_eq!(ev["duration"], 1);
        assert_eq!(
            evs[1]["http_request"]["x_forwarded_for"],
            json!(["198.51.100.7"])
        );
        assert_eq!(evs[1]["status_id"], 2);
    }

    #[test]
    fn waf_maps_to_http_activity_with_action_and_disposition() {
        let evs = events(
            LogType::Waf,
            &format!(
                "{}\n{}\n",
                json_lines::samples::WAF_BLOCK,
                json_lines::samples::WAF_COUNT
            ),
            "AWSLogs/111122223333/WAFLogs/ap-southeast-2/STMTest/2019/12/13/23/40/f.log.gz",
        );
        let block = &evs[0];
        assert_class(block, 4002, 3);
        assert_eq!(block["time"], 1_576_280_412_771i64);
        assert_eq!(block["action"], "Denied");
        assert_eq!(block["disposition_id"], 2);
        assert_eq!(block["src_endpoint"]["ip"], "1.1.1.1");
        assert_eq!(block["src_endpoint"]["location"]["country"], "AU");
        assert_eq!(block["http_request"]["url"]["hostname"], "shop.example.com");
        assert_eq!(
            block["http_request"]["url"]["url_string"],
            "/products?id=10%20AND%201=1"
        );
        assert_eq!(block["http_request"]["user_agent"], "curl/7.61.1");
        assert_eq!(block["firewall_rule"]["uid"], "STMTest_SQLi_XSS");
        assert_eq!(block["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(block["cloud"]["region"], "ap-southeast-2");
        let count = &evs[1];
        assert_class(count, 4002, 6);
        assert_eq!(count["disposition"], "Count");
        assert_eq!(count["http_response"]["code"], 200);
    }

    #[test]
    fn alb_connection_logs_map_to_network_activity_joined_to_access_logs() {
        let key = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/11/14/conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20231114T2340Z_192.0.2.1_abcd1234.log.gz";
        let evs = events(LogType::AlbConnection, elb::samples::ALB_CONNECTIONS, key);
        let ok = &evs[0];
        assert_class(ok, 4001, 1);
        assert_eq!(ok["time"], 1_700_005_212_123i64);
        assert_eq!(ok["src_endpoint"], json!({"ip": "192.0.2.1", "port": 2817}));
        // The record names no load balancer: the destination is the one the key names.
        assert_eq!(
            ok["dst_endpoint"],
            json!({"name": "app/my-loadbalancer/50dc6c495c0c9188", "port": 443})
        );
        assert_eq!(ok["connection_info"]["direction_id"], 1);
        assert_eq!(ok["connection_info"]["uid"], "TID_1234abcd5678ef90");
        assert_eq!(ok["tls"]["version"], "TLSv1.2");
        assert_eq!(ok["status_id"], 1);
        assert_eq!(ok["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ok["cloud"]["region"], "us-east-2");
        assert_eq!(
            ok["metadata"]["product"]["name"],
            "Application Load Balancer"
        );
        assert_eq!(ok["metadata"]["log_name"], "albconn");
        let failed = &evs[1];
        assert_eq!(failed["status_id"], 2);
        assert_eq!(failed["status_code"], "ClientCertExpired");
        assert_eq!(failed["status_detail"], "Failed:ClientCertExpired");
        let plain = &evs[2];
        assert!(plain.get("tls").is_none(), "no TLS on a plain listener");
        assert!(plain.get("status_id").is_none());
        assert_eq!(plain["src_endpoint"]["ip"], "2001:db8::17");
        // The access log entry of a request on that connection carries the same id.
        let access = first_event(LogType::Alb, elb::samples::ALB_HTTPS, key);
        assert_eq!(access["connection_info"]["uid"], "TID_1234abcd5678ef90");
    }

    #[test]
    fn cloudwatch_log_events_keep_their_time_account_group_and_message() {
        let key = "firehose/2026/11/23/10/cwl-to-s3-1-2026-11-23-10-00-00-a1b2c3d4.gz";
        let evs = events(
            LogType::CloudWatchLogs,
            crate::logs::cloudwatch::samples::FIREHOSE_OBJECT,
            key,
        );
        assert_eq!(evs.len(), 2);
        let ev = &evs[1];
        assert_class(ev, 0, 0);
        assert_eq!(ev["time"], 1_432_826_855_001i64);
        assert!(ev["message"]
            .as_str()
            .unwrap()
            .starts_with("2 123456789012 eni-"));
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["metadata"]["product"]["name"], "CloudWatch Logs");
        // Auto keeps the record, which names the log group and stream.
        assert_eq!(ev["unmapped"]["record"]["logGroup"], "Example1");
        assert_eq!(ev["unmapped"]["record"]["logStream"], "logStream1");
        assert!(ev.get("raw_data").is_none());
    }

    #[test]
    fn waf_actions_use_only_ocsf_1_3_action_ids() {
        // OCSF 1.3 action_id: 0 Unknown, 1 Allowed, 2 Denied, 99 Other.
        for (waf, action, disposition) in [
            ("ALLOW", (1, "Allowed"), (1, "Allowed")),
            ("BLOCK", (2, "Denied"), (2, "Blocked")),
            ("COUNT", (1, "Allowed"), (20, "Count")),
            ("CAPTCHA", (2, "Denied"), (22, "Captcha")),
            ("CHALLENGE", (2, "Denied"), (23, "Challenge")),
        ] {
            let line = json_lines::samples::WAF_COUNT.replace("\"COUNT\"", &format!("\"{waf}\""));
            let ev = first_event(LogType::Waf, &line, "waf/f.log");
            assert_eq!(
                (&ev["action_id"], &ev["action"]),
                (&json!(action.0), &json!(action.1)),
                "{waf}"
            );
            assert_eq!(
                (&ev["disposition_id"], &ev["disposition"]),
                (&json!(disposition.0), &json!(disposition.1)),
                "{waf}"
            );
        }
    }

    #[test]
    fn dns_response_codes_map_to_ocsf_rcode_ids() {
        for (rcode, id) in [
            ("NOERROR", 0),
            ("SERVFAIL", 2),
            ("NXDOMAIN", 3),
            ("REFUSED", 5),
            ("NOTZONE", 10),
            ("DSOTYPENI", 11),
            ("BADVERS", 16),
            ("BADCOOKIE", 23),
            ("SOMETHING", 99),
        ] {
            assert_eq!(rcode_id(rcode), id, "{rcode}");
        }
    }

    #[test]
    fn route53_maps_to_dns_activity() {
        let ev = first_event(
            LogType::Route53Resolver,
            json_lines::samples::ROUTE53_QUERY,
            "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0123456789abcdef0/2021/02/04/f.log.gz",
        );
        assert_class(&ev, 4003, 6);
        assert_eq!(ev["time"], 1_612_461_115_000i64);
        assert_eq!(
            ev["query"],
            json!({ "hostname": "www.example.com.", "type": "AAAA", "class": "IN" })
        );
        assert_eq!(ev["rcode"], "NOERROR");
        assert_eq!(ev["rcode_id"], 0);
        assert_eq!(ev["src_endpoint"]["ip"], "172.31.45.200");
        assert_eq!(ev["src_endpoint"]["port"], 49870);
        assert_eq!(ev["src_endpoint"]["instance_uid"], "i-0d15cd0d3example");
        assert_eq!(ev["connection_info"]["protocol_num"], 17);
        assert_eq!(
            ev["answers"][0]["rdata"],
            "2606:2800:220:1:248:1893:25c8:1946"
        );
    }

    #[test]
    fn guardduty_maps_to_detection_finding_with_severity_band() {
        let ev = first_event(
            LogType::GuardDuty,
            json_lines::samples::GUARDDUTY_FINDING,
            "AWSLogs/123456789012/GuardDuty/us-east-1/2024/01/10/3b4c5d6e.jsonl.gz",
        );
        assert_class(&ev, 2004, 2);
        assert_eq!(ev["category_uid"], 2);
        assert_eq!(ev["time"], 1_704_878_100_123i64);
        assert_eq!(ev["severity_id"], 4);
        assert_eq!(ev["severity"], "High");
        assert_eq!(
            ev["finding_info"]["title"],
            "Unprotected port on EC2 instance i-99999999 is being probed."
        );
        assert_eq!(
            ev["finding_info"]["types"],
            json!(["Recon:EC2/PortProbeUnprotectedPort"])
        );
        assert!(ev["finding_info"]["uid"]
            .as_str()
            .unwrap()
            .ends_with("/finding/16afba5c5c43e07c9e3e5e2e544e95df"));
        assert_eq!(ev["resources"][0]["uid"], "i-99999999");
        assert_eq!(ev["resources"][0]["type"], "Instance");
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
    }

    /// One CloudTrail record from the documented sign-in event shape, with the given
    /// error fields and response elements.
    fn cloudtrail_record(event_name: &str, extra: &str) -> String {
        format!(
            r#"{{"Records":[{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::123456789012:user/JohnDoe","accountId":"123456789012","userName":"JohnDoe"}},"eventTime":"2021-07-23T21:44:15Z","eventSource":"signin.amazonaws.com","eventName":"{event_name}","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0","requestParameters":null,"eventID":"d5ab2e8c-7b86-4ff4-9b0e-2e5c0d2a6f0a","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"123456789012"{extra}}}]}}"#
        )
    }

    /// One test per row of the CloudTrail outcome table in docs/mappings/cloudtrail.md.
    #[test]
    fn cloudtrail_outcome_follows_error_fields_and_sign_in_results() {
        // (eventName, extra fields, status_id, status, status_code, status_detail)
        type Row<'a> = (
            &'a str,
            &'a str,
            u64,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
        );
        let rows: [Row<'_>; 7] = [
            // Regression: a failed console sign-in came out as Success.
            (
                "ConsoleLogin",
                r#","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}"#,
                2,
                "Failure",
                Some("Failure"),
                Some("Failed authentication"),
            ),
            (
                "ConsoleLogin",
                r#","responseElements":{"ConsoleLogin":"Success"}"#,
                1,
                "Success",
                None,
                None,
            ),
            (
                "SwitchRole",
                r#","responseElements":{"SwitchRole":"Failure"}"#,
                2,
                "Failure",
                Some("Failure"),
                None,
            ),
            (
                "DeleteBucket",
                r#","errorCode":"AccessDenied","errorMessage":"Access Denied","responseElements":null"#,
                2,
                "Failure",
                Some("AccessDenied"),
                Some("Access Denied"),
            ),
            (
                "GetSigninToken",
                r#","errorMessage":"Session expired","responseElements":null"#,
                2,
                "Failure",
                None,
                Some("Session expired"),
            ),
            (
                "CheckMfa",
                r#","responseElements":{"CheckMfa":"Pending"}"#,
                99,
                "Pending",
                Some("Pending"),
                None,
            ),
            (
                "DescribeInstances",
                r#","responseElements":{"ConsoleLogin":"Failure"}"#,
                1,
                "Success",
                None,
                None,
            ),
        ];
        for (name, extra, id, status, code, detail) in rows {
            let ev = first_event(LogType::CloudTrail, &cloudtrail_record(name, extra), CT_KEY);
            assert_eq!(ev["status_id"], id, "{name} {extra}");
            assert_eq!(ev["status"], status, "{name} {extra}");
            assert_eq!(
                ev.get("status_code").and_then(Value::as_str),
                code,
                "{name} {extra}"
            );
            assert_eq!(
                ev.get("status_detail").and_then(Value::as_str),
                detail,
                "{name} {extra}"
            );
        }
        let ev = first_event(
            LogType::CloudTrail,
            &cloudtrail_record(
                "DeleteBucket",
                r#","errorCode":"AccessDenied","errorMessage":"Access Denied""#,
            ),
            CT_KEY,
        );
        assert_eq!(
            ev["api"]["response"],
            json!({"error": "AccessDenied", "error_message": "Access Denied"})
        );
    }

    /// Regression: S3 server access logs wrote `http_response` and `tls`, which API
    /// Activity does not define; the status belongs in `api.response`.
    #[test]
    fn s3_access_status_goes_to_api_response_and_nothing_undefined_is_written() {
        let ev = first_event(
            LogType::S3Access,
            s3_access::samples::GET_OBJECT_DENIED,
            "s3/2019-02-06-00-00-38-A1",
        );
        assert_eq!(
            ev["api"]["response"],
            json!({"code": 403, "error": "AccessDenied"})
        );
        assert!(
            ev.get("http_response").is_none() && ev.get("tls").is_none(),
            "{ev:#}"
        );
        assert_eq!(
            (ev["status_id"].clone(), ev["status_code"].clone()),
            (json!(2), json!("AccessDenied"))
        );
        // Unauthenticated requests: the requester is `-`.
        let anonymous = s3_access::samples::GET_VERSIONING.replacen(
            " 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be ",
            " 192.0.2.3 - ",
            1,
        );
        let ev = first_event(LogType::S3Access, &anonymous, "s3/2019-02-06-00-00-38-A1");
        assert_eq!(
            ev["actor"]["user"],
            json!({"name": "anonymous", "type": "Anonymous", "type_id": 99})
        );
        assert_eq!(ev["status_id"], 1);
    }

    /// One test per row of the WAF table in docs/mappings/waf.md (response code,
    /// action, disposition) and regression for the required objects WAF events missed.
    #[test]
    fn waf_events_have_the_response_waf_sent_and_the_protected_resource() {
        for (action, sent, code) in [
            ("BLOCK", "null", 403),
            ("BLOCK", "451", 451),
            ("CAPTCHA", "null", 405),
            ("CHALLENGE", "null", 202),
            ("ALLOW", "null", 0),
            ("COUNT", "200", 200),
        ] {
            let line = json_lines::samples::WAF_BLOCK
                .replace("\"BLOCK\"", &format!("\"{action}\""))
                .replace(
                    "\"responseCodeSent\":null",
                    &format!("\"responseCodeSent\":{sent}"),
                );
            let ev = first_event(LogType::Waf, &line, "waf/f.log");
            assert_eq!(
                ev["http_response"],
                json!({"code": code}),
                "{action} {sent}"
            );
            assert_eq!(
                ev["dst_endpoint"],
                json!({"hostname": "shop.example.com", "svc_name": "ALB", "uid": "111122223333-app/my-alb/1234567890abcdef"})
            );
            assert_eq!(
                ev["metadata"]["profiles"],
                json!(["cloud", "security_control"])
            );
        }
    }

    /// Regression: the resource uid came from the first detail block present, not
    /// from the one `resourceType` names; now one resource per block, named one first.
    #[test]
    fn guardduty_writes_one_resource_per_detail_block_the_named_one_first() {
        let finding = json!({
            "schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "partition": "aws",
            "id": "a1b2", "arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/a1b2",
            "type": "Policy:S3/BucketBlockPublicAccessDisabled", "severity": 2.5,
            "createdAt": "2024-01-10T08:05:35.000Z", "updatedAt": "2024-01-10T08:05:35.000Z",
            "title": "Amazon S3 Block Public Access was disabled for S3 bucket amzn-s3-demo-bucket.",
            "resource": {
                "resourceType": "S3Bucket",
                "accessKeyDetails": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE", "principalId": "AROA:alice", "userName": "alice", "userType": "AssumedRole"},
                "s3BucketDetails": [
                    {"arn": "arn:aws:s3:::amzn-s3-demo-bucket", "name": "amzn-s3-demo-bucket", "type": "Destination"},
                    {"arn": "arn:aws:s3:::amzn-s3-demo-bucket2", "name": "amzn-s3-demo-bucket2", "type": "Destination"}
                ]
            },
            "service": {"serviceName": "guardduty", "count": 2}
        })
        .to_string();
        let ev = first_event(LogType::GuardDuty, &finding, "gd/x.jsonl");
        let got: Vec<(&str, &str)> = ev["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["type"].as_str().unwrap(), r["uid"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("S3Bucket", "arn:aws:s3:::amzn-s3-demo-bucket"),
                ("S3Bucket", "arn:aws:s3:::amzn-s3-demo-bucket2"),
                ("AccessKey", "ASIAIOSFODNN7EXAMPLE"),
            ]
        );
        assert_eq!(ev["resources"][2]["name"], "alice");
        assert_eq!(ev["resources"][2]["data"]["userType"], "AssumedRole");
        // Regression: risk_score was the float severity; OCSF has an integer.
        assert_eq!(ev["risk_score"], 25);
        assert_eq!(ev["count"], 2);
    }

    #[test]
    fn transit_gateway_flow_records_name_both_sides() {
        let ev = first_event(
            LogType::VpcFlow,
            vpc_flow::samples::TRANSIT_GATEWAY_FILE,
            "tgw/flows.log",
        );
        assert_class(&ev, 4001, 6);
        assert_eq!(
            ev["src_endpoint"],
            json!({"ip": "10.0.1.5", "port": 49152, "vpc_uid": "vpc-0d1da8ef7f5bf7a3e", "subnet_uid": "subnet-0a1b2c3d4e5f6a7b8", "interface_uid": "eni-0a1b2c3d4e5f6a7b8", "zone": "use1-az1"})
        );
        assert_eq!(ev["dst_endpoint"]["vpc_uid"], "vpc-0b2a2b0a8f5d3a1e1");
        assert_eq!(ev["connection_info"]["direction_id"], 2);
        assert_eq!(ev["cloud"]["region"], "us-east-1");
    }

    /// Regression (found by validating the property tests' events): OCSF 1.3 defines no
    /// PATCH `http_method`, and a damaged address is no `ip_t`.
    #[test]
    fn undefined_http_methods_and_damaged_addresses_are_left_to_the_original_record() {
        let patch = elb::samples::ALB_HTTPS.replacen("\"GET ", "\"PATCH ", 1);
        let ev = first_event(LogType::Alb, &patch, ELB_KEY);
        assert_class(&ev, 4002, 99);
        assert_eq!(ev["activity_name"], "Patch");
        assert!(ev["http_request"].get("http_method").is_none(), "{ev:#}");
        let damaged = vpc_flow::samples::DEFAULT_FILE.replacen("172.31.16.139", "172.31..139", 1);
        let ev = first_event(LogType::VpcFlow, &damaged, VPC_KEY);
        assert!(ev["src_endpoint"].get("ip").is_none(), "{ev:#}");
    }

    /// API Activity requires `api.operation`, `actor` and `src_endpoint`: a CloudTrail
    /// record without them says `unknown` (docs/mappings/cloudtrail.md).
    #[test]
    fn cloudtrail_record_without_caller_or_operation_is_still_valid() {
        let ev = first_event(
            LogType::CloudTrail,
            r#"{"Records":[{"eventTime":"2023-11-14T10:00:00Z","eventSource":"s3.amazonaws.com"}]}"#,
            CT_KEY,
        );
        assert_class(&ev, 6003, 0);
        assert_eq!(ev["api"]["operation"], "unknown");
        assert_eq!(ev["actor"]["user"]["name"], "unknown");
        assert_eq!(ev["src_endpoint"], json!({"name": "unknown"}));
    }

    /// Regression: CloudFront writes `\x20` for the space between proxy addresses.
    #[test]
    fn cloudfront_hex_escapes_are_decoded_so_forwarded_addresses_are_ips() {
        let input = "#Version: 1.0\n#Fields: date time c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) x-forwarded-for\n2019-12-04\t21:02:31\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\thttps://www.example.com/a\\x20b\t203.0.113.7,\\x20198.51.100.2,\\x20unknown\n";
        let ev = first_event(
            LogType::CloudFront,
            input,
            "cf/E2EXAMPLE.2019-12-04-21.a1.gz",
        );
        assert_eq!(
            ev["http_request"]["x_forwarded_for"],
            json!(["203.0.113.7", "198.51.100.2"])
        );
        assert_eq!(
            ev["http_request"]["referrer"],
            "https://www.example.com/a b"
        );
    }

    #[test]
    fn guardduty_severity_bands_follow_guardduty_ranges() {
        let cases = [
            (0.5, 1),
            (1.0, 2),
            (3.9, 2),
            (4.0, 3),
            (6.9, 3),
            (7.0, 4),
            (8.9, 4),
            (9.0, 5),
            (10.0, 5),
        ];
        for (score, id) in cases {
            assert_eq!(guardduty_severity_id(score), id, "{score}");
        }
    }

    #[test]
    fn generic_json_and_text_map_to_base_event_with_message() {
        let json_ev = first_event(
            LogType::Json,
            r#"{"ts":1700000000,"msg":"service started","level":"info"}"#,
            "app/x.json",
        );
        assert_class(&json_ev, 0, 0);
        assert_eq!(json_ev["message"], "service started");
        assert_eq!(json_ev["time"], 1_700_000_000_000i64);
        let text_ev = first_event(
            LogType::Text,
            "2023-11-14T10:15:02Z host sshd[42]: Accepted publickey\n",
            "app/x.log",
        );
        assert_class(&text_ev, 0, 0);
        assert_eq!(
            text_ev["message"],
            "2023-11-14T10:15:02Z host sshd[42]: Accepted publickey"
        );
        assert_eq!(text_ev["time"], 1_699_956_902_000i64);
    }

    #[test]
    fn record_without_any_time_takes_the_processing_time_and_flags_it() {
        // Regression: text and JSON lines without a time had no `time`, which every
        // OCSF class requires.
        let before = now_ms();
        let got = collect(LogType::Text, "no timestamp here\n");
        let n = to_ocsf(
            LogType::Text,
            &got.records[0],
            &source("x.log"),
            &NormalizeOptions::default(),
        );
        assert_valid(&n.event);
        assert!(n.time_missing);
        let time = n.event["time"].as_i64().unwrap();
        assert!(time >= before && time <= now_ms(), "{time}");
        assert_eq!(n.event["metadata"]["processed_time"], time);
        assert_eq!(
            n.event["metadata"]["labels"],
            json!(["time_source:processed_time"])
        );
        let json_rec = collect(LogType::Json, r#"{"message":"x"}"#);
        let n = to_ocsf(
            LogType::Json,
            &json_rec.records[0],
            &source("x.json"),
            &NormalizeOptions::default(),
        );
        assert!(n.time_missing);
        let dated = collect(LogType::Text, "2023-11-14T10:15:02Z up\n");
        let n = to_ocsf(
            LogType::Text,
            &dated.records[0],
            &source("x.log"),
            &NormalizeOptions::default(),
        );
        assert!(!n.time_missing);
    }

    #[test]
    fn uid_is_stable_across_retries_and_differs_by_index_and_etag() {
        let src = source("k");
        let first = record_uid(&src, 7);
        assert_eq!(first, record_uid(&src.clone(), 7));
        assert_eq!(first.len(), 64);
        assert!(first
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(first, record_uid(&src, 8));
        let changed = SourceObject {
            etag: Some("other".into()),
            ..src.clone()
        };
        assert_ne!(first, record_uid(&changed, 7));
        let unquoted = SourceObject {
            etag: Some("9b2cf535f27731c974343645a3985328".into()),
            ..src.clone()
        };
        assert_eq!(
            first,
            record_uid(&unquoted, 7),
            "quotes around the ETag do not change the uid"
        );
        let no_etag = SourceObject {
            etag: None,
            ..src.clone()
        };
        let empty_etag = SourceObject {
            etag: Some(String::new()),
            ..src.clone()
        };
        assert_ne!(record_uid(&no_etag, 7), record_uid(&empty_etag, 7));
    }

    #[test]
    fn uid_fields_cannot_collide_by_shifting_bytes_between_bucket_and_key() {
        let a = SourceObject {
            bucket: "ab".into(),
            key: "c".into(),
            etag: None,
            version_id: None,
        };
        let b = SourceObject {
            bucket: "a".into(),
            key: "bc".into(),
            ..a.clone()
        };
        assert_ne!(record_uid(&a, 0), record_uid(&b, 0));
    }

    #[test]
    fn metadata_names_the_source_object_and_record() {
        let got = collect(LogType::Alb, &format!("\n{}\n", elb::samples::ALB_HTTPS));
        let n = to_ocsf(
            LogType::Alb,
            &got.records[0],
            &source(ELB_KEY),
            &NormalizeOptions::default(),
        );
        let ev = n.event;
        assert_eq!(ev["metadata"]["uid"], record_uid(&source(ELB_KEY), 0));
        assert_eq!(ev["metadata"]["log_name"], "alb");
        assert_eq!(ev["metadata"]["sequence"], 0);
        assert_eq!(
            ev["unmapped"]["source_object"],
            json!({ "bucket": "central-logs", "key": ELB_KEY, "etag": "9b2cf535f27731c974343645a3985328", "record_index": 0, "line": 2 })
        );
    }

    #[test]
    fn records_from_the_parser_and_owned_records_normalize_identically() {
        // Records straight from the parser may carry a typed view (CloudTrail, VPC Flow
        // Logs); owned records carry the map of all fields. Both must map alike, in
        // every raw mode, including a pretty-printed CloudTrail document whose records
        // cannot be copied verbatim.
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<Value>(cloudtrail::samples::THREE_RECORDS).unwrap(),
        )
        .unwrap();
        let mut inputs = all_samples();
        inputs.push((LogType::CloudTrail, pretty, CT_KEY));
        for (log_type, input, key) in inputs {
            let src = source(key);
            for keep_raw in RAW_MODES {
                let opts = NormalizeOptions {
                    keep_raw,
                    fallback_time_ms: Some(1_700_000_000_000),
                    ..Default::default()
                };
                let normalizer = Normalizer::new(log_type, &src, opts);
                let mut from_parser = Vec::new();
                crate::logs::parse_stream(log_type, input.as_bytes(), 0, &mut |r| {
                    if let Ok(r) = r {
                        from_parser.push(normalizer.normalize(&r));
                    }
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
                let owned = collect(log_type, &input);
                let from_owned: Vec<_> = owned
                    .records
                    .iter()
                    .map(|r| to_ocsf(log_type, r, &src, &opts))
                    .collect();
                assert!(!from_parser.is_empty(), "{log_type}");
                assert_eq!(from_parser, from_owned, "{log_type} {keep_raw:?}");
            }
        }
    }

    fn event_text(log_type: LogType, rec: &ParsedRecord, keep_raw: RawMode) -> (String, Value) {
        let src = source("x.log");
        let opts = NormalizeOptions {
            keep_raw,
            ..Default::default()
        };
        let mut text = String::new();
        Normalizer::new(log_type, &src, opts).write_event(rec, &mut text);
        let value = serde_json::from_str(&text).unwrap();
        (text, value)
    }

    #[test]
    fn raw_mode_controls_where_the_original_record_goes() {
        let got = collect(LogType::Text, "hello \"world\"\n");
        let rec = &got.records[0];
        // Auto keeps a text line as raw_data, exactly.
        let (_, auto) = event_text(LogType::Text, rec, RawMode::Auto);
        assert_eq!(auto["raw_data"], "hello \"world\"");
        assert!(auto["unmapped"].get("record").is_none());
        let (_, unmapped) = event_text(LogType::Text, rec, RawMode::Unmapped);
        assert_eq!(
            unmapped["unmapped"]["record"],
            json!({ "message": "hello \"world\"" })
        );
        assert!(unmapped.get("raw_data").is_none());
        let (_, raw) = event_text(LogType::Text, rec, RawMode::RawData);
        assert_eq!(raw["raw_data"], "hello \"world\"");
        assert!(raw["unmapped"].get("record").is_none());
        let (_, dropped) = event_text(LogType::Text, rec, RawMode::Drop);
        assert!(dropped.get("raw_data").is_none());
        assert!(dropped["unmapped"].get("record").is_none());
        assert!(dropped["unmapped"].get("source_object").is_some());
    }

    #[test]
    fn json_records_are_kept_verbatim_unless_they_span_lines() {
        // Spacing and key order of the original survive; the value is the record's.
        let compact = "[ {\"b\": 1,  \"a\": {\"x\": [1, 2.50]}} ]";
        let got = collect(LogType::Json, compact);
        let (text, value) = event_text(LogType::Json, &got.records[0], RawMode::Auto);
        assert!(
            text.contains(r#""record":{"b": 1,  "a": {"x": [1, 2.50]}}"#),
            "{text}"
        );
        assert_eq!(
            value["unmapped"]["record"],
            json!({"b": 1, "a": {"x": [1, 2.5]}})
        );
        assert!(value.get("raw_data").is_none());
        // A pretty-printed record would break the NDJSON line: it is re-serialized.
        let pretty = "[\n{\n  \"b\": 1,\n  \"a\": \"x\"\n}\n]\n";
        let got = collect(LogType::Json, pretty);
        let (text, value) = event_text(LogType::Json, &got.records[0], RawMode::Auto);
        assert!(!text.contains('\n'), "{text}");
        assert_eq!(value["unmapped"]["record"], json!({"b": 1, "a": "x"}));
        // raw_data holds the original JSON text, line breaks escaped.
        let (text, value) = event_text(LogType::Json, &got.records[0], RawMode::RawData);
        assert!(!text.contains('\n'), "{text}");
        assert_eq!(value["raw_data"], "{\n  \"b\": 1,\n  \"a\": \"x\"\n}");
        // CloudTrail records come out byte for byte.
        let got = collect(LogType::CloudTrail, cloudtrail::samples::THREE_RECORDS);
        for rec in &got.records {
            let (text, _) = event_text(LogType::CloudTrail, rec, RawMode::Auto);
            assert!(
                text.contains(&format!("\"record\":{}", rec.original)),
                "{text}"
            );
        }
    }

    #[test]
    fn raw_mode_names_parse_and_unknown_ones_are_listed() {
        assert_eq!("auto".parse(), Ok(RawMode::Auto));
        assert_eq!("unmapped".parse(), Ok(RawMode::Unmapped));
        assert_eq!("raw_data".parse(), Ok(RawMode::RawData));
        assert_eq!("drop".parse(), Ok(RawMode::Drop));
        let err = "raw".parse::<RawMode>().unwrap_err();
        assert!(err.contains("auto, unmapped, raw_data or drop"), "{err}");
    }

    #[test]
    fn string_escaping_matches_serde_json_byte_for_byte() {
        let mut all_controls: String = (0u8..0x20).map(char::from).collect();
        all_controls.push('\u{7f}');
        for s in [
            "",
            "plain",
            "quote \" and backslash \\ and slash /",
            "tab\there\nnew line\r\u{8}\u{c}",
            "é ü 日本 🙂 mixed \"\u{1}\"",
            &all_controls,
        ] {
            let mut ours = String::new();
            write_json_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn escaping_finds_special_bytes_at_every_position_of_a_word() {
        // The word-at-a-time check must see a special byte wherever it falls in the
        // 8-byte window, next to ASCII or multi-byte UTF-8, and in the tail after the
        // last whole word.
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{7f}', 'é', ' ', '~'] {
            for fill in ["a", "ü", "日"] {
                for len in 0..20 {
                    for at in 0..=len {
                        let mut s: String = fill.repeat(len);
                        let byte_at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
                        s.insert(byte_at, special);
                        let mut ours = String::new();
                        write_json_str(&mut ours, &s);
                        assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
                    }
                }
            }
        }
        for w in [0u64, u64::MAX, 0x2020_2020_2020_2020, 0x8080_8080_8080_8080] {
            assert_eq!(
                word_needs_escape(w),
                w.to_le_bytes().iter().any(|&b| ESCAPE[usize::from(b)] != 0),
                "{w:#x}"
            );
        }
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[pos] = b;
                let w = u64::from_le_bytes(bytes);
                assert_eq!(
                    word_needs_escape(w),
                    ESCAPE[usize::from(b)] != 0,
                    "{b:#x} at {pos}"
                );
                // Behind a high byte, which must not mask or fake a match.
                bytes = [0xc3; 8];
                bytes[pos] = b;
                let w = u64::from_le_bytes(bytes);
                let expected = bytes.iter().any(|&c| ESCAPE[usize::from(c)] != 0);
                assert_eq!(word_needs_escape(w), expected, "{b:#x} at {pos} among 0xc3");
            }
        }
    }

    fn built(write: impl Fn(&mut dyn EventOut)) -> (Value, Value) {
        let mut value_out = ValueOut::default();
        write(&mut value_out);
        let mut buf = String::new();
        let mut json_out = JsonOut::new(&mut buf);
        write(&mut json_out);
        json_out.finish();
        let text: Value = serde_json::from_str(&buf).expect("writer produced invalid JSON");
        (Value::Object(value_out.finish()), text)
    }

    #[test]
    fn url_attributes_split_absolute_and_relative_urls() {
        let (absolute, _) = built(|out| write_url(out, "https://[2001:db8::1]:8443/a/b?x=1", None));
        let u = &absolute["url"];
        assert_eq!(u["hostname"], "2001:db8::1");
        assert_eq!(u["port"], 8443);
        assert_eq!(u["path"], "/a/b");
        let (relative, _) =
            built(|out| write_url(out, "/bucket?versioning", Some("bucket.s3.amazonaws.com")));
        let rel = &relative["url"];
        assert_eq!(rel["path"], "/bucket");
        assert_eq!(rel["query_string"], "versioning");
        assert_eq!(rel["hostname"], "bucket.s3.amazonaws.com");
    }

    #[test]
    fn empty_objects_and_arrays_are_left_out_by_both_outputs() {
        let (value, text) = built(|out| {
            out.open("first_empty");
            out.open("nested_empty");
            out.close();
            out.close();
            out.str("kept", "x");
            out.open_array("empty_list");
            out.close();
            out.open("partly");
            out.open("empty");
            out.close();
            out.uint("n", 1);
            out.close();
            out.open_array("list");
            out.str("", "a\"b");
            out.open("");
            out.boolean("flag", true);
            out.close();
            out.close();
        });
        let expected =
            json!({ "kept": "x", "partly": { "n": 1 }, "list": ["a\"b", { "flag": true }] });
        assert_eq!(value, expected);
        assert_eq!(text, expected);
    }

    /// Every sample of every log type, through both outputs and every raw mode.
    fn all_samples() -> Vec<(LogType, String, &'static str)> {
        vec![
            (
                LogType::VpcFlow,
                vpc_flow::samples::TRANSIT_GATEWAY_FILE.to_owned(),
                "tgw/flows.log",
            ),
            (
                LogType::CloudWatchLogs,
                crate::logs::cloudwatch::samples::FIREHOSE_OBJECT.to_owned(),
                "firehose/x.gz",
            ),
            (
                LogType::AlbConnection,
                elb::samples::ALB_CONNECTIONS.to_owned(),
                ELB_KEY,
            ),
            (
                LogType::CloudTrail,
                cloudtrail::samples::THREE_RECORDS.to_owned(),
                CT_KEY,
            ),
            (
                LogType::CloudTrail,
                cloudtrail::samples::INSIGHT.to_owned(),
                CT_KEY,
            ),
            (
                LogType::VpcFlow,
                vpc_flow::samples::DEFAULT_FILE.to_owned(),
                "flows/a.log",
            ),
            (
                LogType::VpcFlow,
                vpc_flow::samples::CUSTOM_FILE.to_owned(),
                "flows/b.log",
            ),
            (
                LogType::Alb,
                format!(
                    "{}\n{}",
                    elb::samples::ALB_HTTPS,
                    elb::samples::ALB_IPV6_NO_TARGET
                ),
                ELB_KEY,
            ),
            (LogType::Nlb, elb::samples::NLB_TLS.to_owned(), "nlb/x.log"),
            (
                LogType::ClassicElb,
                format!(
                    "{}\n{}",
                    elb::samples::CLASSIC_HTTP,
                    elb::samples::CLASSIC_TCP
                ),
                "elb/x.log",
            ),
            (
                LogType::S3Access,
                format!(
                    "{}\n{}",
                    s3_access::samples::GET_VERSIONING,
                    s3_access::samples::GET_OBJECT_DENIED
                ),
                "s3/2019-02-06-00-00-38-E568B2907131C0C0",
            ),
            (
                LogType::CloudFront,
                cloudfront::samples::FILE.to_owned(),
                "cf/x.gz",
            ),
            (
                LogType::Waf,
                format!(
                    "{}\n{}",
                    json_lines::samples::WAF_BLOCK,
                    json_lines::samples::WAF_COUNT
                ),
                "waf/x.log",
            ),
            (
                LogType::GuardDuty,
                json_lines::samples::GUARDDUTY_FINDING.to_owned(),
                "gd/x.jsonl",
            ),
            (
                LogType::Route53Resolver,
                json_lines::samples::ROUTE53_QUERY.to_owned(),
                "r53/x.log",
            ),
            (
                LogType::Json,
                r#"{"a":{"b":[1,"x"]},"msg":"hi \"there\""}"#.to_owned(),
                "j/x.json",
            ),
            (
                LogType::Text,
                "2023-11-14T10:15:02Z tab\there \u{1} ctl\n".to_owned(),
                "t/x.log",
            ),
        ]
    }

    #[test]
    fn json_writer_output_equals_value_output_for_every_sample() {
        for (log_type, input, key) in all_samples() {
            let got = collect(log_type, &input);
            assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
            let src = source(key);
            for keep_raw in RAW_MODES {
                let opts = NormalizeOptions {
                    keep_raw,
                    fallback_time_ms: Some(1),
                    ..NormalizeOptions::default()
                };
                let normalizer = Normalizer::new(log_type, &src, opts);
                for record in &got.records {
                    let expected = normalizer.normalize(record);
                    let mut buf = "previous line\n".to_owned();
                    let time_missing = normalizer.write_event(record, &mut buf).time_missing;
                    let line = buf
                        .strip_prefix("previous line\n")
                        .expect("writer kept earlier bytes");
                    let written: Value = serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("{log_type}: {e}: {line}"));
                    assert_eq!(
                        written, expected.event,
                        "{log_type} record {}",
                        record.index
                    );
                    assert_eq!(time_missing, expected.time_missing);
                    assert!(!line.contains('\n'), "one line per event");
                }
            }
        }
    }

    /// Every sample of every format with a multi-byte character put at each position:
    /// no parser or mapping indexes a string in the middle of a character.
    #[test]
    fn multibyte_characters_anywhere_in_any_sample_never_panic() {
        for (log_type, input, key) in all_samples() {
            let src = source(key);
            let normalizer = Normalizer::new(log_type, &src, NormalizeOptions::default());
            for extra in ["é", "€", "😀"] {
                for (at, _) in input.char_indices().chain([(input.len(), ' ')]) {
                    let mutated = format!("{}{extra}{}", &input[..at], &input[at..]);
                    let _ = crate::logs::parse_stream(log_type, mutated.as_bytes(), 0, &mut |r| {
                        if let Ok(record) = r {
                            let mut line = String::new();
                            normalizer.write_event(&record, &mut line);
                            normalizer.normalize(&record);
                        }
                        std::ops::ControlFlow::Continue(())
                    });
                }
            }
        }
    }

    #[test]
    fn counters_and_times_past_their_range_are_left_out_not_wrapped() {
        let max = u64::MAX.to_string();
        let vpc = format!(
            "version interface-id start end bytes packets\n2 eni-1 {max} 9223372036854775807 5 1\n"
        );
        let ev = first_event(LogType::VpcFlow, &vpc, "flows/a.log");
        assert!(ev.get("start_time").is_none(), "{ev:#}");
        assert!(ev.get("end_time").is_none(), "{ev:#}");
        assert_eq!(
            ev["metadata"]["labels"],
            json!(["time_source:processed_time"]),
            "{ev:#}"
        );

        let alb =
            elb::samples::ALB_HTTPS.replacen(" 200 200 0 57 ", &format!(" 200 200 {max} 57 "), 1);
        let ev = first_event(LogType::Alb, &alb, ELB_KEY);
        assert!(ev["traffic"].get("bytes_in").is_none(), "{ev:#}");
        assert!(ev["traffic"].get("bytes").is_none(), "{ev:#}");
        assert_eq!(ev["traffic"]["bytes_out"], 57);

        let s3 = s3_access::samples::GET_VERSIONING.replacen(
            " 113 - 7 - ",
            &format!(" 113 - {max} - "),
            1,
        );
        let ev = first_event(
            LogType::S3Access,
            &s3,
            "s3/2019-02-06-00-00-38-E568B2907131C0C0",
        );
        assert!(ev.get("duration").is_none(), "{ev:#}");

        let waf = json_lines::samples::WAF_BLOCK.replacen("1576280412771", &max, 1);
        let ev = first_event(LogType::Waf, &waf, "waf/x.log");
        assert_eq!(
            ev["metadata"]["labels"],
            json!(["time_source:processed_time"]),
            "{ev:#}"
        );
    }

    #[test]
    fn records_read_from_invalid_utf8_are_flagged_in_unmapped() {
        let got = crate::logs::test_support::collect_bytes(LogType::Text, b"ok\nbad \xff byte\n");
        let src = source("t/x.log");
        let normalizer = Normalizer::new(LogType::Text, &src, NormalizeOptions::default());
        let good = normalizer.normalize(&got.records[0]).event;
        let bad = normalizer.normalize(&got.records[1]).event;
        assert!(good["unmapped"].get("invalid_utf8").is_none(), "{good:#}");
        assert_eq!(bad["unmapped"]["invalid_utf8"], true);
        assert_eq!(bad["message"], "bad \u{fffd} byte");
        assert_eq!(bad["raw_data"], "bad \u{fffd} byte");
    }

    #[test]
    fn http_status_000_and_codes_outside_100_to_399_are_failures() {
        let input = "#Version: 1.0\n#Fields: date time sc-status\n2019-12-04\t21:02:31\t000\n2019-12-04\t21:02:31\t304\n";
        let evs = events(LogType::CloudFront, input, "cf/x.gz");
        assert_eq!(
            (evs[0]["status_id"].clone(), evs[0]["status"].clone()),
            (json!(2), json!("Failure"))
        );
        assert_eq!(evs[1]["status_id"], 1);
    }

    #[test]
    fn resuming_at_any_record_index_yields_exactly_the_remaining_records_of_every_format() {
        // Continuations resume at a record index: nothing may be lost or repeated.
        for (log_type, input, _) in all_samples() {
            let all = crate::logs::test_support::collect(log_type, &input);
            let total = all.summary.next_index;
            for start in 0..=total {
                let resumed = crate::logs::test_support::collect_from(log_type, &input, start)
                    .unwrap_or_else(|e| panic!("{log_type} from {start}: {e}"));
                let expected: Vec<_> = all.records.iter().filter(|r| r.index >= start).collect();
                let got: Vec<_> = resumed.records.iter().collect();
                assert_eq!(got, expected, "{log_type} resumed at {start}");
                assert_eq!(resumed.summary.next_index, total, "{log_type} from {start}");
                assert_eq!(resumed.summary.skipped, start, "{log_type} from {start}");
            }
        }
    }

    #[test]
    fn object_time_fills_time_and_metadata_says_so_only_when_record_has_none() {
        for (time_source, label) in [
            (
                TimeSource::ObjectLastModified,
                "time_source:object_last_modified",
            ),
            (TimeSource::FileModified, "time_source:file_modified"),
        ] {
            let opts = NormalizeOptions {
                fallback_time_ms: Some(1_700_000_000_000),
                fallback_time_source: time_source,
                ..Default::default()
            };
            let undated = collect(LogType::Text, "no timestamp\n");
            let n = to_ocsf(LogType::Text, &undated.records[0], &source("x.log"), &opts);
            assert_valid(&n.event);
            assert!(n.time_missing);
            assert_eq!(n.event["time"], 1_700_000_000_000i64);
            assert_eq!(n.event["metadata"]["logged_time"], 1_700_000_000_000i64);
            assert_eq!(n.event["metadata"]["labels"], json!([label]));
            let dated = collect(LogType::Text, "2023-11-14T10:15:02Z up\n");
            let n = to_ocsf(LogType::Text, &dated.records[0], &source("x.log"), &opts);
            assert_eq!(n.event["time"], 1_699_956_902_000i64);
            assert!(n.event["metadata"].get("logged_time").is_none());
            assert!(n.event["metadata"].get("labels").is_none());
        }
    }
}
