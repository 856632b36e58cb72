//! The per-object normalizer: runs a source mapping, then writes the attributes every
//! event has (classification, `time`, `metadata`, `raw_data`, `unmapped`).

use super::arrow_out::{ColumnError, ColumnEvents, RowEnd};
use super::classification::{
    log_type_classes, product_name, severity_name, Mapped, OCSF_VERSION, PROFILES,
};
use super::cloudfront::cloudfront;
use super::cloudtrail::cloudtrail;
use super::cloudwatch_logs::cloudwatch_logs;
use super::elb::{alb_connection, elb_http, nlb};
use super::generic::{generic_json, text};
use super::guardduty::guardduty;
use super::json_out::{JsonOut, TextLen};
use super::lookup::Obj;
use super::options::{
    is_json_source, verbatim_json, NormalizeOptions, NormalizedEvent, RawMode, SourceObject,
    PROCESSED_TIME_LABEL,
};
use super::out::{opt_uint, ConstantStrs, EventOut};
use super::route53::route53;
use super::s3_access::s3_access;
use super::uid::{bare_etag, uid_finish, uid_prefix};
use super::value_out::ValueOut;
use super::vpc_flow::vpc_flow;
use super::waf::waf;
use crate::logs::detect::{key_scope, KeyScope};
use crate::logs::{Fields, LogType, ParsedRecord};
use serde_json::Value;
use sha2::Sha256;

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

/// Normalizes the records of one source object, doing the per-object work (key scope, uid prefix) once.
pub struct Normalizer<'a> {
    log_type: LogType,
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
    /// `unmapped.source_object`'s bucket, key, ETag and version, the same in every event.
    source_object: ConstantStrs,
}

impl<'a> Normalizer<'a> {
    /// Prepares to normalize records of `log_type` read from `source`.
    pub fn new(log_type: LogType, source: &'a SourceObject, opts: NormalizeOptions) -> Self {
        Normalizer {
            log_type,
            opts,
            scope: key_scope(&source.key),
            uid_prefix: uid_prefix(source),
            keep_raw: opts.keep_raw.resolve(log_type),
            json_original: is_json_source(log_type),
            load_balancer: load_balancer_from_key(&source.key),
            source_object: ConstantStrs::new(&[
                ("bucket", Some(&source.bucket)),
                ("key", Some(&source.key)),
                // Written only when not empty, as `opt_str` does.
                (
                    "etag",
                    source
                        .etag
                        .as_deref()
                        .map(bare_etag)
                        .filter(|e| !e.is_empty()),
                ),
                (
                    "version_id",
                    source.version_id.as_deref().filter(|v| !v.is_empty()),
                ),
            ]),
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

    /// Writes the class-specific attributes of the source's OCSF class: the object's
    /// source, or the record's own ([`Fields::Routed`]).
    fn map_fields(&self, out: &mut dyn EventOut, fields: &Fields<'_>, uid: &str) -> Mapped {
        let scope = self.scope;
        let (log_type, r) = match fields {
            Fields::Map(map) => (self.log_type, map),
            Fields::Routed(log_type, map) => (*log_type, map),
            Fields::CloudTrail(view) => return cloudtrail(view, out),
            Fields::VpcFlow(view) => return vpc_flow(view, out, scope),
        };
        match log_type {
            // A CloudTrail record kept as a map (an owned record, or the `detail` of an
            // EventBridge envelope): read its view again from the map.
            LogType::CloudTrail => {
                let text = serde_json::to_string(r).unwrap_or_default();
                cloudtrail(&serde_json::from_str(&text).unwrap_or_default(), out)
            }
            LogType::VpcFlow => vpc_flow(r, out, scope),
            LogType::Alb | LogType::ClassicElb => elb_http(r, out, scope, log_type),
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
        let log_type = fields.routed_type().unwrap_or(self.log_type);
        let mapped = self.map_fields(out, fields, &uid);
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
        out.str("name", product_name(log_type));
        out.str("vendor_name", "AWS");
        out.close();
        out.str("uid", &uid);
        out.str("log_name", log_type.as_str());
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
        out.constant_strs(&self.source_object);
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
                (Fields::Map(map) | Fields::Routed(_, map), None) => out.map("record", map),
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

    /// Appends the event as a row of its OCSF class's Arrow columns, and returns its
    /// uid and time with the bytes its NDJSON line (newline included) would have, so
    /// chunks are cut where the NDJSON output cuts them. A defect (an attribute without
    /// a column) is kept in `columns`, whose chunk then fails to encode.
    pub fn write_columns(
        &self,
        record: &ParsedRecord,
        columns: &mut ColumnEvents,
    ) -> (EventMeta, u64) {
        columns.begin();
        if columns.error().is_none() {
            let log_type = record.fields.routed_type().unwrap_or(self.log_type);
            let mut class = columns.guess(log_type_classes(log_type)[0]);
            // A second attempt writes the event as the class it turned out to be.
            for _ in 0..2 {
                let Some(mut out) = columns.row(class) else {
                    break;
                };
                let meta = self.event(&mut out, record);
                match out.end(&meta.uid) {
                    RowEnd::Kept(len) => {
                        columns.commit(class, meta.time_ms);
                        return (meta, len as u64 + 1);
                    }
                    RowEnd::Again(other) => class = other,
                    RowEnd::Failed(e) => {
                        columns.fail(e);
                        break;
                    }
                }
            }
            if columns.error().is_none() {
                columns.fail(ColumnError::NoClass {
                    uid: uid_finish(self.uid_prefix.clone(), record.index),
                });
            }
        }
        let mut out = JsonOut::new(TextLen::default());
        let meta = self.event(&mut out, record);
        (meta, out.finish().0 as u64 + 1)
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
pub(super) fn load_balancer_from_key(key: &str) -> Option<String> {
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

/// Now, in epoch milliseconds.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::{cloudtrail, elb, LogType};
    use crate::normalize::options::{NormalizeOptions, RawMode, TimeSource};
    use crate::normalize::test_support::{
        all_samples, event_text, source, CT_KEY, ELB_KEY, RAW_MODES,
    };
    use crate::normalize::uid::record_uid;
    use crate::ocsf_check::tests::assert_valid;
    use serde_json::{json, Value};

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
