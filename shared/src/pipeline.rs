//! From a decompressed object stream to chunks of normalized records: the synchronous
//! core shared by the ingest function, the CLI and the benchmarks.
//!
//! Chunks cut the record index space at fixed boundaries (multiples of N records) and,
//! between them, after the record that brings a chunk's NDJSON to the byte limit, so
//! memory stays bounded however large records are. Both cuts depend only on the records
//! from the chunk's first index on, so the same object always yields the same chunks,
//! with the same output keys, whether it is processed in one go, retried, or resumed
//! from a chunk edge.

use std::io::BufRead;
use std::ops::ControlFlow;

use sha2::{Digest, Sha256};

use crate::logs::detect::{
    check_text, detect_by_content, detect_by_key, is_parquet, KeyDetection, NotText,
};
use crate::logs::{parse_stream_with, LogType, ParseError, RecordError, SpoolLimits};
use crate::normalize::ColumnEvents;
use crate::normalize::{NormalizeOptions, Normalizer, RawMode, SourceObject, TimeSource};
use crate::object::{BombError, SourceReadError};
use crate::sink::layout::OutputFormat;
use crate::sink::{Events, Record};

/// How records are normalized and grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineOptions {
    /// Where the original record goes (see [`RawMode`]).
    pub keep_raw: RawMode,
    /// Records per chunk (one output object or batch per chunk).
    pub chunk_records: u64,
    /// Bytes of NDJSON after which a chunk is cut early (it ends with the record that
    /// reached the limit), bounding memory when records are large.
    pub chunk_bytes: u64,
    /// How many record errors to keep for the reject record (all are counted).
    pub max_errors_kept: usize,
    /// Time for records that carry none (epoch ms): the object's `LastModified`, or a
    /// local file's modification time.
    pub fallback_time_ms: Option<i64>,
    /// What `fallback_time_ms` is (named in the events' `metadata.labels`).
    pub fallback_time_source: TimeSource,
    /// The local copy a Parquet flow log object is read from (Parquet needs random access).
    pub spool: SpoolLimits,
    /// The form chunks carry their events in: NDJSON lines, or Arrow columns for Parquet.
    pub format: OutputFormat,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            keep_raw: RawMode::Auto,
            chunk_records: 20_000,
            chunk_bytes: 32 * 1024 * 1024,
            max_errors_kept: 100,
            fallback_time_ms: None,
            fallback_time_source: TimeSource::ObjectLastModified,
            spool: SpoolLimits::default(),
            format: OutputFormat::Ndjson,
        }
    }
}

/// Per-prefix log type overrides: `bucket/prefix=type`, longest match wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeOverrides(Vec<(String, LogType)>);

impl TypeOverrides {
    /// Parses `bucket[/prefix]=type,...` (the value of `S3CONNECTOR_LOG_TYPE_OVERRIDES`).
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (scope, kind) = entry
                .split_once('=')
                .ok_or_else(|| format!("entry {entry:?} must be bucket[/prefix]=type"))?;
            let kind: LogType = kind
                .trim()
                .parse()
                .map_err(|e| format!("entry {entry:?}: {e}"))?;
            rules.push((scope.trim().to_string(), kind));
        }
        rules.sort_by_key(|(scope, _)| std::cmp::Reverse(scope.len()));
        Ok(TypeOverrides(rules))
    }

    /// The override for an object, if one matches.
    pub fn lookup(&self, bucket: &str, key: &str) -> Option<LogType> {
        let path = format!("{bucket}/{key}");
        self.0
            .iter()
            .find(|(scope, _)| path.starts_with(scope.as_str()))
            .map(|(_, t)| *t)
    }
}

/// What to do with an object, decided before or after reading its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeChoice {
    /// Parse it as this type.
    Parse(LogType),
    /// Do not parse it (CloudTrail digests, unsupported formats), for this reason.
    Skip(String),
    /// The key says nothing: look at the content.
    FromContent,
}

/// Chooses the log type: `forced` (the CLI's `--type`), else an override, else the
/// key's AWS delivery convention. An object the key shows is never a log (a CloudTrail
/// digest, a delivery check file, a directory marker) is skipped whatever the forced
/// type or override says: an override naming a trail's bucket `cloudtrail` covers its
/// digests too, and they hold no events.
pub fn choose_type(
    forced: Option<LogType>,
    overrides: &TypeOverrides,
    bucket: &str,
    key: &str,
) -> TypeChoice {
    let by_key = match detect_by_key(key) {
        KeyDetection::Skip(reason) => return TypeChoice::Skip(reason.to_string()),
        KeyDetection::Detected(t) => Some(t),
        KeyDetection::Unknown => None,
    };
    match forced.or_else(|| overrides.lookup(bucket, key)).or(by_key) {
        Some(t) => TypeChoice::Parse(t),
        None => TypeChoice::FromContent,
    }
}

/// Why a Parquet object of another log type is rejected rather than parsed.
pub const PARQUET_REJECTED: &str = "the object is Apache Parquet (it starts with PAR1), which is read only for VPC Flow Logs: other logs are parsed as text and JSON. Deliver the log as text, or correct the log type override that names it, then re-send the notification of the new object";

/// Resolves [`TypeChoice::FromContent`] by looking at the buffered head of the stream,
/// and rejects any object that is binary data whatever its key says: its bytes read as
/// text would be delivered as garbage lines. Parquet (`PAR1`) is VPC Flow Logs' columnar
/// delivery: read as such when the key says VPC flow or nothing (the reader refuses a
/// file whose columns are not flow log fields), rejected for any other type.
pub fn resolve_type(
    choice: &TypeChoice,
    reader: &mut dyn BufRead,
) -> Result<Option<LogType>, ObjectError> {
    if let TypeChoice::Skip(_) = choice {
        return Ok(None);
    }
    let head = reader
        .fill_buf()
        .map_err(|e| ObjectError::from(ParseError::Io(e)))?;
    if is_parquet(head) {
        return match choice {
            TypeChoice::Parse(LogType::VpcFlow) | TypeChoice::FromContent => {
                Ok(Some(LogType::VpcFlow))
            }
            _ => Err(ObjectError::Permanent(PARQUET_REJECTED.to_string())),
        };
    }
    let not_text = |e: NotText| ObjectError::Permanent(e.to_string());
    Ok(Some(match choice {
        TypeChoice::Parse(t) => {
            check_text(head).map_err(not_text)?;
            *t
        }
        _ => detect_by_content(head).map_err(not_text)?,
    }))
}

/// A stable id for one version of an object: hex of SHA-256 over bucket, key, ETag, version.
pub fn object_id(source: &SourceObject) -> String {
    let mut h = Sha256::new();
    for part in [
        Some(source.bucket.as_str()),
        Some(source.key.as_str()),
        source.etag.as_deref().map(|e| e.trim_matches('"')),
        source.version_id.as_deref(),
    ] {
        let p = part.unwrap_or("");
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

/// One chunk of normalized records.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// First record index the chunk covers; it names the chunk.
    pub first_index: u64,
    /// One past the last record index the chunk covers.
    pub end_index: u64,
    /// The events (malformed records are not here; they are counted in the report).
    pub events: Events,
}

/// What processing an object found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectReport {
    /// Records parsed and normalized.
    pub records: u64,
    /// Records that could not be parsed.
    pub malformed: u64,
    /// The first record errors, for the reject record.
    pub errors: Vec<RecordError>,
    /// Whether the consumer stopped early.
    pub stopped_early: bool,
    /// Records whose source had no time of their own.
    pub without_time: u64,
}

/// Why an object could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The object itself is unusable (not the format, corrupt, a decompression bomb).
    #[error("{0}")]
    Permanent(String),
    /// Reading failed in a way that may pass (network, S3 stream reset).
    #[error("{0}")]
    Transient(String),
}

impl From<ParseError> for ObjectError {
    fn from(e: ParseError) -> Self {
        match &e {
            ParseError::Io(io) => {
                if let Some(bomb) = BombError::from_io(io) {
                    ObjectError::Permanent(format!("decompression stopped: {bomb}"))
                } else if let Some(source) = SourceReadError::from_io(io) {
                    ObjectError::Transient(source.to_string())
                } else {
                    // The bytes arrived but do not decode: corrupt or truncated data.
                    ObjectError::Permanent(format!(
                        "the object's data is corrupt or truncated: {io}"
                    ))
                }
            }
            _ => ObjectError::Permanent(e.to_string()),
        }
    }
}

/// Parses `reader` as `log_type` from `start_index` (a chunk edge), normalizes every
/// record and hands out chunks; `on_chunk` returns `Break` to stop at that chunk.
pub fn process(
    reader: &mut dyn BufRead,
    log_type: LogType,
    source: &SourceObject,
    start_index: u64,
    opts: &PipelineOptions,
    on_chunk: &mut dyn FnMut(Chunk) -> ControlFlow<()>,
) -> Result<ObjectReport, ObjectError> {
    let n = opts.chunk_records.max(1);
    let max_bytes = opts.chunk_bytes.max(1);
    let normalizer = Normalizer::new(
        log_type,
        source,
        NormalizeOptions {
            keep_raw: opts.keep_raw,
            fallback_time_ms: opts.fallback_time_ms,
            fallback_time_source: opts.fallback_time_source,
        },
    );
    let mut report = ObjectReport::default();
    // The chunk being filled: its first index, and the record-count boundary it ends at:
    // `n` records on from its first, so a chunk after a byte cut is a whole one too.
    let mut first = start_index;
    // Saturating: `start_index` comes from a queue message, and a hostile one must not
    // overflow (the object then simply has no records past it).
    let window_end = |first: u64| first.saturating_add(n);
    let empty = || match opts.format {
        OutputFormat::Ndjson => Events::Ndjson(Vec::new()),
        OutputFormat::Parquet => Events::Columns(ColumnEvents::default()),
    };
    let mut events = empty();
    let mut bytes = 0u64;
    // Sized from the previous event, so each record allocates once and is never copied.
    let mut line_capacity = 1024;
    let mut stopped = false;
    let mut flush = |first: u64, end: u64, events: &mut Events, stopped: &mut bool| {
        // The next chunk's columns start with the room this one's took, so they are not
        // grown (and copied) value by value again; allocated once this chunk is freed,
        // so its memory is what they reuse.
        let room = match &*events {
            Events::Columns(columns) => Some(columns.room()),
            _ => None,
        };
        let chunk = Chunk {
            first_index: first,
            end_index: end,
            events: std::mem::replace(events, empty()),
        };
        if chunk.events.is_empty() {
            return ControlFlow::Continue(());
        }
        let flow = on_chunk(chunk);
        if let Some(room) = room {
            *events = Events::Columns(room.into_events());
        }
        if flow.is_break() {
            *stopped = true;
        }
        flow
    };
    let result = {
        let mut emit = |item: Result<crate::logs::ParsedRecord, RecordError>| -> ControlFlow<()> {
            let index = match &item {
                Ok(r) => r.index,
                Err(e) => e.index,
            };
            if index >= window_end(first) {
                flush(first, window_end(first), &mut events, &mut stopped)?;
                first = index;
                bytes = 0;
            }
            match item {
                Ok(record) => {
                    let meta = match &mut events {
                        Events::Ndjson(records) => {
                            let mut json = String::with_capacity(line_capacity);
                            let meta = normalizer.write_event(&record, &mut json);
                            line_capacity = json.len() + 64;
                            bytes += json.len() as u64 + 1;
                            let time_missing = meta.time_missing;
                            records.push(Record {
                                uid: meta.uid,
                                time_ms: meta.time_ms,
                                json,
                            });
                            time_missing
                        }
                        Events::Columns(columns) => {
                            // Counted as the NDJSON line would be, so the cuts are the same.
                            let (meta, len) = normalizer.write_columns(&record, columns);
                            bytes += len;
                            meta.time_missing
                        }
                    };
                    report.records += 1;
                    report.without_time += u64::from(meta);
                    if bytes >= max_bytes {
                        flush(first, index + 1, &mut events, &mut stopped)?;
                        first = index + 1;
                        bytes = 0;
                    }
                }
                Err(e) => {
                    report.malformed += 1;
                    if report.errors.len() < opts.max_errors_kept {
                        report.errors.push(e);
                    }
                }
            }
            ControlFlow::Continue(())
        };
        parse_stream_with(log_type, reader, start_index, &opts.spool, &mut emit)
    };
    result?;
    if !stopped {
        let _ = flush(first, window_end(first), &mut events, &mut stopped);
    }
    report.stopped_early = stopped;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The NDJSON lines of a chunk (the pipeline's default output).
    fn records(chunk: &Chunk) -> &[Record] {
        match &chunk.events {
            Events::Ndjson(records) => records,
            Events::Columns(_) => panic!("NDJSON chunks expected"),
        }
    }

    fn source() -> SourceObject {
        SourceObject {
            bucket: "logs".into(),
            key: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/23/f.log.gz".into(),
            etag: Some("\"abc\"".into()),
            version_id: None,
        }
    }

    fn vpc(lines: usize) -> String {
        let mut s = String::from("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n");
        for i in 0..lines {
            s.push_str(&format!("2 123456789012 eni-0a1b2c3d 10.0.0.{} 10.0.1.9 443 5000{} 6 10 840 1795428000 1795428060 ACCEPT OK\n", i % 250, i % 10));
        }
        s
    }

    fn run(
        text: &str,
        start: u64,
        n: u64,
        stop_after: Option<usize>,
    ) -> (Vec<Chunk>, ObjectReport) {
        let opts = PipelineOptions {
            chunk_records: n,
            ..PipelineOptions::default()
        };
        run_with(text, start, &opts, stop_after)
    }

    fn run_with(
        text: &str,
        start: u64,
        opts: &PipelineOptions,
        stop_after: Option<usize>,
    ) -> (Vec<Chunk>, ObjectReport) {
        let mut chunks = Vec::new();
        let report = process(
            &mut Cursor::new(text.as_bytes()),
            LogType::VpcFlow,
            &source(),
            start,
            opts,
            &mut |c| {
                chunks.push(c);
                match stop_after {
                    Some(k) if chunks.len() >= k => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            },
        )
        .unwrap();
        (chunks, report)
    }

    #[test]
    fn chunks_cut_record_indexes_at_fixed_boundaries() {
        let (chunks, report) = run(&vpc(25), 0, 10, None);
        assert_eq!(report.records, 25);
        let shape: Vec<(u64, u64, usize)> = chunks
            .iter()
            .map(|c| (c.first_index, c.end_index, c.events.len()))
            .collect();
        assert_eq!(shape, vec![(0, 10, 10), (10, 20, 10), (20, 30, 5)]);
    }

    #[test]
    fn chunks_are_also_cut_by_size_and_resume_from_any_edge_identically() {
        let text = vpc(25);
        let (whole, _) = run(&text, 0, 10, None);
        let event_len = records(&whole[0])[0].json.len() as u64 + 1;
        // Room for three events and a bit: a chunk ends with the record reaching the limit.
        let opts = PipelineOptions {
            chunk_records: 10,
            chunk_bytes: event_len * 3 + event_len / 2,
            ..PipelineOptions::default()
        };
        let cut = |start: u64| run_with(&text, start, &opts, None).0;
        let all = cut(0);
        let shape: Vec<(u64, u64, usize)> = all
            .iter()
            .map(|c| (c.first_index, c.end_index, c.events.len()))
            .collect();
        // Size cuts every 4 records; a chunk after a size cut may hold 10 records again,
        // so no short remainder chunk is left at 10 and 20 (trial 6, Parquet D3).
        assert_eq!(
            shape,
            vec![
                (0, 4, 4),
                (4, 8, 4),
                (8, 12, 4),
                (12, 16, 4),
                (16, 20, 4),
                (20, 24, 4),
                (24, 34, 1)
            ]
        );
        // With room for 7 records, chunks of 10 are cut at 7, and each next one counts
        // its 10 (or its 7) from its own first record.
        let roomy = PipelineOptions {
            chunk_bytes: event_len * 6 + event_len / 2,
            ..opts.clone()
        };
        let shape: Vec<(u64, u64, usize)> = run_with(&text, 0, &roomy, None)
            .0
            .iter()
            .map(|c| (c.first_index, c.end_index, c.events.len()))
            .collect();
        assert_eq!(shape, vec![(0, 7, 7), (7, 14, 7), (14, 21, 7), (21, 31, 4)]);
        let flat: Vec<&Record> = all.iter().flat_map(records).collect();
        let whole_flat: Vec<&Record> = whole.iter().flat_map(records).collect();
        assert_eq!(flat, whole_flat, "cutting changes no record");
        for (i, chunk) in all.iter().enumerate() {
            assert_eq!(
                cut(chunk.first_index),
                all[i..].to_vec(),
                "resumed at {}",
                chunk.first_index
            );
        }
    }

    #[test]
    fn resuming_from_a_chunk_edge_yields_the_same_later_chunks() {
        let (all, _) = run(&vpc(25), 0, 10, None);
        let (resumed, report) = run(&vpc(25), 10, 10, None);
        assert_eq!(report.records, 15);
        assert_eq!(resumed, all[1..].to_vec());
    }

    #[test]
    fn a_resume_index_at_the_end_of_the_index_space_yields_nothing_and_does_not_overflow() {
        let (chunks, report) = run(&vpc(3), u64::MAX, 10, None);
        assert!(chunks.is_empty());
        assert_eq!(report.records, 0);
    }

    #[test]
    fn stopping_at_a_chunk_reports_it_and_emits_nothing_after() {
        let (chunks, report) = run(&vpc(25), 0, 10, Some(1));
        assert_eq!(chunks.len(), 1);
        assert!(report.stopped_early);
    }

    #[test]
    fn malformed_lines_are_counted_kept_and_skipped() {
        let mut text = vpc(3);
        text.push_str("2 123456789012 truncated\n");
        let (chunks, report) = run(&text, 0, 100, None);
        assert_eq!((report.records, report.malformed), (3, 1));
        assert_eq!(chunks[0].events.len(), 3);
        assert!(
            report.errors[0].reason.contains("fields"),
            "{}",
            report.errors[0].reason
        );
    }

    #[test]
    fn uids_are_stable_across_runs() {
        let (a, _) = run(&vpc(5), 0, 10, None);
        let (b, _) = run(&vpc(5), 0, 10, None);
        assert_eq!(records(&a[0])[3].uid, records(&b[0])[3].uid);
        assert_ne!(records(&a[0])[3].uid, records(&a[0])[4].uid);
    }

    #[test]
    fn overrides_pick_the_longest_matching_prefix() {
        let o = TypeOverrides::parse("logs=text, logs/app/=json").unwrap();
        assert_eq!(o.lookup("logs", "app/x.log"), Some(LogType::Json));
        assert_eq!(o.lookup("logs", "other.log"), Some(LogType::Text));
        assert_eq!(o.lookup("other", "x"), None);
        assert!(TypeOverrides::parse("logs=nonsense")
            .unwrap_err()
            .contains("logs=nonsense"));
    }

    #[test]
    fn parquet_objects_are_read_as_vpc_flow_logs_and_rejected_as_any_other_type() {
        let parquet = b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00";
        for choice in [TypeChoice::FromContent, TypeChoice::Parse(LogType::VpcFlow)] {
            assert_eq!(
                resolve_type(&choice, &mut &parquet[..]).unwrap(),
                Some(LogType::VpcFlow)
            );
        }
        for other in [LogType::CloudTrail, LogType::Text, LogType::Json] {
            let err = resolve_type(&TypeChoice::Parse(other), &mut &parquet[..]).unwrap_err();
            assert!(
                matches!(&err, ObjectError::Permanent(r) if r.contains("only for VPC Flow Logs")),
                "{err}"
            );
        }
        let text = b"version account-id interface-id\n";
        assert_eq!(
            resolve_type(&TypeChoice::FromContent, &mut &text[..]).unwrap(),
            Some(LogType::VpcFlow)
        );
    }

    #[test]
    fn binary_objects_are_rejected_whatever_the_key_says() {
        let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        for choice in [TypeChoice::FromContent, TypeChoice::Parse(LogType::Text)] {
            let err = resolve_type(&choice, &mut &binary[..]).unwrap_err();
            assert!(
                matches!(&err, ObjectError::Permanent(r) if r.contains("binary")),
                "{err}"
            );
        }
    }

    #[test]
    fn digest_files_are_skipped_by_key() {
        let key = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/23/123456789012_CloudTrail-Digest_us-east-1_x_us-east-1_20261123T100000Z.json.gz";
        assert!(matches!(
            choose_type(None, &TypeOverrides::default(), "b", key),
            TypeChoice::Skip(_)
        ));
        // Trial 7, D5: a bucket override or a forced type naming the trail's bucket
        // `cloudtrail` rejected every digest; a digest copied elsewhere keeps its name.
        let trail = TypeOverrides::parse("b=cloudtrail").unwrap();
        let copied = "archive/2026/11/23/123456789012_CloudTrail-Digest_us-east-1_x_us-east-1_20261123T100000Z.json.gz";
        for (forced, key) in [
            (None, key),
            (Some(LogType::CloudTrail), key),
            (None, copied),
        ] {
            assert!(
                matches!(choose_type(forced, &trail, "b", key), TypeChoice::Skip(_)),
                "{key}"
            );
        }
        let log = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/23/123456789012_CloudTrail_us-east-1_20261123T1000Z_abc.json.gz";
        assert_eq!(
            choose_type(Some(LogType::Json), &trail, "b", log),
            TypeChoice::Parse(LogType::Json)
        );
    }

    #[test]
    fn object_id_depends_on_etag_and_version() {
        let a = object_id(&source());
        let mut other = source();
        other.etag = Some("\"def\"".into());
        assert_ne!(a, object_id(&other));
        assert_eq!(a, object_id(&source()));
    }
}
