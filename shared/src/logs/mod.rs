//! Log format detection and streaming parsers, one module per AWS log family.
//!
//! Every parser reads from a [`BufRead`] and hands records to a callback one at a
//! time, so memory stays bounded by the longest line (or the largest single JSON
//! record), never by the object size.

pub mod cloudfront;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod detect;
pub mod elb;
pub mod json_lines;
pub(crate) mod json_source;
pub(crate) mod parquet_pages;
pub mod s3_access;
pub mod text;
pub mod vpc_flow;
pub mod vpc_flow_parquet;

pub(crate) mod field_value;
pub(crate) mod json_scan;
pub(crate) mod line_reader;
pub(crate) mod timestamp;
pub(crate) mod tokenizer;
pub(crate) mod url_decode;

use std::{borrow::Cow, fmt, io::BufRead, ops::ControlFlow, str::FromStr};

use serde_json::{Map, Value};

use cloudtrail::CloudTrailEvent;
use vpc_flow::VpcFlowRecord;
pub use vpc_flow_parquet::SpoolLimits;

/// The log families the connector can parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogType {
    /// CloudTrail management, data and Insights events (`{"Records":[...]}` files, or
    /// events in their EventBridge envelopes, one after another).
    CloudTrail,
    /// VPC Flow Logs delivered to S3 as text with a header line.
    VpcFlow,
    /// Application Load Balancer access logs.
    Alb,
    /// Application Load Balancer connection logs (`conn_log.` files: TLS and mTLS handshakes).
    AlbConnection,
    /// Network Load Balancer (TLS listener) access logs.
    Nlb,
    /// Classic Load Balancer access logs.
    ClassicElb,
    /// S3 server access logs.
    S3Access,
    /// CloudFront standard (legacy) access logs.
    CloudFront,
    /// AWS WAF web ACL traffic logs.
    Waf,
    /// GuardDuty findings exported to S3, bare or in their EventBridge envelopes.
    GuardDuty,
    /// Route 53 Resolver query logs.
    Route53Resolver,
    /// CloudWatch Logs subscription data written to S3 by Firehose (one record per log event).
    CloudWatchLogs,
    /// Any other JSON: NDJSON, a top-level array, or concatenated objects.
    Json,
    /// Anything else: one record per non-blank line.
    Text,
}

impl LogType {
    /// Every log type, in declaration order.
    pub const ALL: [LogType; 14] = [
        LogType::CloudTrail,
        LogType::VpcFlow,
        LogType::Alb,
        LogType::AlbConnection,
        LogType::Nlb,
        LogType::ClassicElb,
        LogType::S3Access,
        LogType::CloudFront,
        LogType::Waf,
        LogType::GuardDuty,
        LogType::Route53Resolver,
        LogType::CloudWatchLogs,
        LogType::Json,
        LogType::Text,
    ];

    /// Stable snake-case name, used in config overrides, output partitions and `metadata.log_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::CloudTrail => "cloudtrail",
            LogType::VpcFlow => "vpcflow",
            LogType::Alb => "alb",
            LogType::AlbConnection => "albconn",
            LogType::Nlb => "nlb",
            LogType::ClassicElb => "elb",
            LogType::S3Access => "s3access",
            LogType::CloudFront => "cloudfront",
            LogType::Waf => "waf",
            LogType::GuardDuty => "guardduty",
            LogType::Route53Resolver => "route53resolver",
            LogType::CloudWatchLogs => "cwlogs",
            LogType::Json => "json",
            LogType::Text => "text",
        }
    }

    fn valid_names() -> String {
        LogType::ALL.map(LogType::as_str).join(", ")
    }
}

impl fmt::Display for LogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A log type name that is not one of [`LogType::as_str`]'s names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log type `{given}`; valid log types are: {valid}", valid = LogType::valid_names())]
pub struct UnknownLogType {
    /// The name that was given.
    pub given: String,
}

impl FromStr for LogType {
    type Err = UnknownLogType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LogType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownLogType {
                given: s.to_owned(),
            })
    }
}

/// One record parsed from a log object.
///
/// Parsers hand records out borrowed from their read buffer, valid for the call that
/// receives them; [`ParsedRecord::into_owned`] keeps one longer.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRecord<'a> {
    /// 0-based record index within the object; the same input always yields the same index.
    pub index: u64,
    /// 1-based line number, for line-oriented formats.
    pub line: Option<u64>,
    /// The record's fields, named as the source format names them.
    pub fields: Fields<'a>,
    /// The record as the object holds it: the line (without its line break) for
    /// line formats, the JSON text of the record for JSON formats.
    pub original: Cow<'a, str>,
    /// True when the input held bytes that are not UTF-8: each invalid sequence was
    /// replaced by U+FFFD (as `String::from_utf8_lossy` does) in `original` and the
    /// fields, so the record is kept instead of dropped, and flagged in its event.
    pub invalid_utf8: bool,
}

/// A record's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields<'a> {
    /// Every field by name: line formats, and JSON records parsed whole.
    Map(Map<String, Value>),
    /// A CloudTrail record read into the typed view its mapping uses (strings borrowed
    /// from the record's text, everything else skipped), saving a tree per record.
    CloudTrail(Box<CloudTrailEvent<'a>>),
    /// A VPC flow log line read by its file's header, looked up by name.
    VpcFlow(VpcFlowRecord<'a>),
    /// A JSON record whose own envelope or shape says which source it is, mapped as that
    /// source's record whatever the object's type: an EventBridge event (its `detail`
    /// for the sources the project maps, else the whole event as generic JSON), or a
    /// bare CloudTrail record in generic JSON.
    Routed(LogType, Map<String, Value>),
}

impl Fields<'_> {
    /// The source this record is of when it says so itself ([`Fields::Routed`]).
    pub fn routed_type(&self) -> Option<LogType> {
        match self {
            Fields::Routed(log_type, _) => Some(*log_type),
            _ => None,
        }
    }
}

impl<'a> ParsedRecord<'a> {
    /// The same record, owning its text. A typed view, which borrows that text,
    /// becomes the map of all its fields.
    pub fn into_owned(self) -> ParsedRecord<'static> {
        let fields = match self.fields {
            Fields::Map(map) => map,
            Fields::Routed(log_type, map) => {
                return ParsedRecord {
                    index: self.index,
                    line: self.line,
                    fields: Fields::Routed(log_type, map),
                    original: Cow::Owned(self.original.into_owned()),
                    invalid_utf8: self.invalid_utf8,
                }
            }
            // The view was read from this very text, so it parses as an object.
            Fields::CloudTrail(_) => serde_json::from_str(&self.original).unwrap_or_default(),
            Fields::VpcFlow(view) => view.to_map(),
        };
        ParsedRecord {
            index: self.index,
            line: self.line,
            fields: Fields::Map(fields),
            original: Cow::Owned(self.original.into_owned()),
            invalid_utf8: self.invalid_utf8,
        }
    }
}

/// Tests read owned records' fields as the map they are.
#[cfg(test)]
impl std::ops::Deref for Fields<'_> {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        match self {
            Fields::Map(map) | Fields::Routed(_, map) => map,
            Fields::CloudTrail(_) | Fields::VpcFlow(_) => {
                panic!("read fields of owned records (`into_owned`)")
            }
        }
    }
}

/// Why one line or record of an object could not be parsed; the rest of the object still is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Record index this input would have had.
    pub index: u64,
    /// 1-based line number, for line-oriented formats.
    pub line: Option<u64>,
    /// The row, for Parquet input.
    pub parquet_row: Option<ParquetRow>,
    /// What was wrong, naming the field where there is one.
    pub reason: String,
    /// The first 200 characters of the bad input.
    pub excerpt: String,
}

/// Where a row of a Parquet file is: its row group and its row within that group, both
/// counted from 0 as Parquet readers count them (DuckDB's `file_row_number` is the rows
/// of the earlier groups plus `row`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ParquetRow {
    /// Row group index.
    pub row_group: u64,
    /// Row index within the row group.
    pub row: u64,
}

impl RecordError {
    /// Where the record is, for messages: `line 12`, `row group 0, row 5`, or `record 7`
    /// (the record index) when the format has neither.
    pub fn place(&self) -> String {
        match (self.line, self.parquet_row) {
            (Some(line), _) => format!("line {line}"),
            (None, Some(ParquetRow { row_group, row })) => {
                format!("row group {row_group}, row {row}")
            }
            (None, None) => format!("record {}", self.index),
        }
    }
}

/// Counts from one [`parse_stream`] call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseSummary {
    /// Records handed to the callback as `Ok`.
    pub records: u64,
    /// Records handed to the callback as `Err(RecordError)`.
    pub malformed: u64,
    /// Records before `start_index`, counted but not handed over.
    pub skipped: u64,
    /// Index of the last record handed to the callback, if any.
    pub last_index: Option<u64>,
    /// The `start_index` a later call should pass to resume after the records handed over.
    pub next_index: u64,
    /// True when the callback returned `ControlFlow::Break` before the object ended.
    pub stopped_early: bool,
}

/// A failure of the object as a whole; per-line problems are [`RecordError`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Reading (or decompressing) the object failed.
    #[error("reading the log object failed: {0}")]
    Io(#[from] std::io::Error),
    /// A CloudTrail object that is not a `{"Records":[...]}` document.
    #[error("not a CloudTrail log file: {reason}; CloudTrail files are one JSON document {{\"Records\":[...]}} (digest files are skipped by key)")]
    NotCloudTrail {
        /// What was found instead.
        reason: String,
    },
    /// A JSON document (CloudTrail, JSON array, concatenated JSON) broke off or is out of shape between records.
    #[error("invalid JSON document: {reason}")]
    InvalidJson {
        /// What was expected and found, with the byte offset.
        reason: String,
    },
    /// A header line that decides how every record is read is not UTF-8.
    #[error("{format} header on line {line} is not valid UTF-8")]
    HeaderNotUtf8 {
        /// The log format whose header it is.
        format: &'static str,
        /// 1-based line number of the header.
        line: u64,
    },
    /// A Parquet object whose footer, schema or pages cannot be read as a flow log file.
    #[error("unreadable VPC flow log Parquet file: {reason}")]
    InvalidParquet {
        /// What was wrong: the footer, a column's type, or the row group and column of a corrupt page.
        reason: String,
    },
    /// A Parquet object none of whose columns is a VPC flow log field.
    #[error("not a VPC flow log Parquet file: none of its columns ({columns}) is a flow log field; only VPC Flow Logs are read as Parquet")]
    NotVpcFlowParquet {
        /// The first column names.
        columns: String,
    },
    /// A Parquet object (read from a local copy, as Parquet needs random access) is larger than allowed.
    #[error("the Parquet object is larger than the {max_bytes} bytes that may be copied to local disk to read it (S3CONNECTOR_MAX_SPOOL_BYTES; on Lambda, also raise the function's ephemeral storage)")]
    SpoolLimit {
        /// The limit, in bytes.
        max_bytes: u64,
    },
    /// The local copy of a Parquet object could not be written.
    #[error("copying the Parquet object to local disk under {dir} failed: {source}; raise the function's ephemeral storage or lower S3CONNECTOR_MAX_SPOOL_BYTES")]
    Spool {
        /// The directory of the copy.
        dir: String,
        /// The file system's error.
        source: std::io::Error,
    },
    /// A CloudFront record line came before any `#Fields:` header.
    #[error("CloudFront log has a record on line {line} before any `#Fields:` header; standard logs start with `#Version:` and `#Fields:` lines")]
    MissingCloudFrontFields {
        /// 1-based line number of the first record line.
        line: u64,
    },
}

impl ParseError {
    /// True when reading the same object again may succeed (a broken connection), false when the bytes themselves are wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            ParseError::Io(err) => !matches!(
                err.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            ),
            _ => false,
        }
    }
}

/// Callback that receives each record; returning `ControlFlow::Break` stops the parse after this record.
pub type EmitFn<'e> = dyn FnMut(Result<ParsedRecord<'_>, RecordError>) -> ControlFlow<()> + 'e;

/// Parses `reader` as `log_type`, handing each record from `start_index` on to `emit`.
///
/// Records before `start_index` are read and counted but not parsed in full nor
/// handed over, so indexes stay the same whichever offset a caller resumes from.
/// The record passed to the call that returns `Break` counts as delivered:
/// resume with [`ParseSummary::next_index`].
///
/// VPC Flow Logs are read as text, or as Parquet when the object starts with `PAR1`
/// (copied to a temporary file within the default [`SpoolLimits`]; see [`parse_stream_with`]).
pub fn parse_stream<R: BufRead>(
    log_type: LogType,
    reader: R,
    start_index: u64,
    emit: &mut EmitFn<'_>,
) -> Result<ParseSummary, ParseError> {
    parse_stream_with(log_type, reader, start_index, &SpoolLimits::default(), emit)
}

/// Like [`parse_stream`], with the limits of the local copy a Parquet object is read from.
pub fn parse_stream_with<R: BufRead>(
    log_type: LogType,
    mut reader: R,
    start_index: u64,
    spool: &SpoolLimits,
    emit: &mut EmitFn<'_>,
) -> Result<ParseSummary, ParseError> {
    let mut out = Emitter::new(emit, start_index);
    // A UTF-8 byte order mark (text re-saved on Windows) belongs to no format: the JSON
    // document readers would refuse the object for it.
    if reader.fill_buf()?.starts_with(line_reader::UTF8_BOM) {
        reader.consume(line_reader::UTF8_BOM.len());
    }
    match log_type {
        // CloudTrail events one after another, in EventBridge envelopes or bare
        // (EventBridge to Firehose to S3).
        LogType::CloudTrail if json_source::starts_with_record_lines(reader.fill_buf()?) => {
            json_lines::parse(reader, log_type, &mut out)?
        }
        LogType::CloudTrail => cloudtrail::parse(reader, &mut out)?,
        LogType::VpcFlow if detect::is_parquet(reader.fill_buf()?) => {
            vpc_flow_parquet::parse(reader, spool, &mut out)?
        }
        LogType::VpcFlow => vpc_flow::parse(reader, &mut out)?,
        LogType::Alb => elb::parse(reader, elb::ElbKind::Application, &mut out)?,
        LogType::AlbConnection => elb::parse(reader, elb::ElbKind::Connection, &mut out)?,
        LogType::Nlb => elb::parse(reader, elb::ElbKind::Network, &mut out)?,
        LogType::ClassicElb => elb::parse(reader, elb::ElbKind::Classic, &mut out)?,
        LogType::S3Access => s3_access::parse(reader, &mut out)?,
        LogType::CloudFront => cloudfront::parse(reader, &mut out)?,
        LogType::Waf | LogType::GuardDuty | LogType::Route53Resolver | LogType::Json => {
            json_lines::parse(reader, log_type, &mut out)?
        }
        LogType::CloudWatchLogs => cloudwatch::parse(reader, &mut out)?,
        LogType::Text => text::parse(reader, &mut out)?,
    }
    Ok(out.summary)
}

/// Number of characters of bad input kept in [`RecordError::excerpt`].
const EXCERPT_CHARS: usize = 200;

pub(crate) fn excerpt(input: &[u8]) -> String {
    // 4 bytes per char at most, so this prefix always holds 200 chars when the input does.
    let head = &input[..input.len().min(EXCERPT_CHARS * 4)];
    String::from_utf8_lossy(head)
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

/// Assigns record indexes, applies `start_index` and forwards records to the caller.
pub(crate) struct Emitter<'e> {
    emit: &'e mut EmitFn<'e>,
    start_index: u64,
    pub(crate) summary: ParseSummary,
}

impl<'e> Emitter<'e> {
    pub(crate) fn new(emit: &'e mut EmitFn<'e>, start_index: u64) -> Self {
        Emitter {
            emit,
            start_index,
            summary: ParseSummary::default(),
        }
    }

    /// True when the next record falls before `start_index`; the parser should call [`Self::skip`] without parsing it.
    pub(crate) fn skipping(&self) -> bool {
        self.summary.next_index < self.start_index
    }

    pub(crate) fn skip(&mut self) {
        self.summary.next_index += 1;
        self.summary.skipped += 1;
    }

    /// True when the next `n` records all fall before `start_index`.
    pub(crate) fn skipping_at_least(&self, n: u64) -> bool {
        self.summary.next_index.saturating_add(n) <= self.start_index
    }

    /// Counts `n` records as skipped without reading them (see [`Self::skipping_at_least`]).
    pub(crate) fn skip_many(&mut self, n: u64) {
        self.summary.next_index += n;
        self.summary.skipped += n;
    }

    pub(crate) fn record(
        &mut self,
        line: Option<u64>,
        fields: Fields<'_>,
        original: &str,
    ) -> ControlFlow<()> {
        self.record_from(line, fields, original, false)
    }

    /// Like [`Self::record`], saying whether `original` was decoded lossily from input
    /// that was not UTF-8 (see [`ParsedRecord::invalid_utf8`]).
    pub(crate) fn record_from(
        &mut self,
        line: Option<u64>,
        fields: Fields<'_>,
        original: &str,
        invalid_utf8: bool,
    ) -> ControlFlow<()> {
        let index = self.summary.next_index;
        self.summary.records += 1;
        self.deliver(Ok(ParsedRecord {
            index,
            line,
            fields,
            original: Cow::Borrowed(original),
            invalid_utf8,
        }))
    }

    pub(crate) fn malformed(
        &mut self,
        line: Option<u64>,
        reason: String,
        input: &[u8],
    ) -> ControlFlow<()> {
        self.malformed_at(line, None, reason, input)
    }

    /// A malformed row of a Parquet file.
    pub(crate) fn malformed_row(
        &mut self,
        row: ParquetRow,
        reason: String,
        input: &[u8],
    ) -> ControlFlow<()> {
        self.malformed_at(None, Some(row), reason, input)
    }

    fn malformed_at(
        &mut self,
        line: Option<u64>,
        parquet_row: Option<ParquetRow>,
        reason: String,
        input: &[u8],
    ) -> ControlFlow<()> {
        let index = self.summary.next_index;
        self.summary.malformed += 1;
        self.deliver(Err(RecordError {
            index,
            line,
            parquet_row,
            reason,
            excerpt: excerpt(input),
        }))
    }

    fn deliver(&mut self, item: Result<ParsedRecord<'_>, RecordError>) -> ControlFlow<()> {
        self.summary.last_index = Some(self.summary.next_index);
        self.summary.next_index += 1;
        let flow = (self.emit)(item);
        if flow.is_break() {
            self.summary.stopped_early = true;
        }
        flow
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Everything one parse produced, for assertions.
    pub(crate) struct Collected {
        pub records: Vec<ParsedRecord<'static>>,
        pub errors: Vec<RecordError>,
        pub summary: ParseSummary,
    }

    pub(crate) fn collect_from(
        log_type: LogType,
        input: &str,
        start_index: u64,
    ) -> Result<Collected, ParseError> {
        collect_bytes_from(log_type, input.as_bytes(), start_index)
    }

    /// Like [`collect`], for input that need not be UTF-8.
    pub(crate) fn collect_bytes(log_type: LogType, input: &[u8]) -> Collected {
        collect_bytes_from(log_type, input, 0).expect("object-level parse failure")
    }

    pub(crate) fn collect_bytes_from(
        log_type: LogType,
        input: &[u8],
        start_index: u64,
    ) -> Result<Collected, ParseError> {
        let mut records = Vec::new();
        let mut errors = Vec::new();
        let summary = parse_stream(log_type, input, start_index, &mut |item| {
            match item {
                Ok(r) => records.push(r.into_owned()),
                Err(e) => errors.push(e),
            }
            ControlFlow::Continue(())
        })?;
        Ok(Collected {
            records,
            errors,
            summary,
        })
    }

    pub(crate) fn collect(log_type: LogType, input: &str) -> Collected {
        collect_from(log_type, input, 0).expect("object-level parse failure")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::collect;
    use super::*;

    #[test]
    fn log_type_names_round_trip_through_from_str() {
        for t in LogType::ALL {
            assert_eq!(t.as_str().parse::<LogType>(), Ok(t));
            assert_eq!(t.to_string(), t.as_str());
        }
    }

    #[test]
    fn unknown_log_type_error_lists_valid_names() {
        let err = "syslog".parse::<LogType>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`syslog`"), "{msg}");
        assert!(
            msg.contains("cloudtrail, vpcflow, alb, albconn, nlb, elb, s3access"),
            "{msg}"
        );
        assert!(msg.ends_with("cwlogs, json, text"), "{msg}");
    }

    #[test]
    fn excerpt_keeps_first_200_chars_of_multibyte_input() {
        let input = "é".repeat(300);
        let ex = excerpt(input.as_bytes());
        assert_eq!(ex.chars().count(), 200);
        assert!(ex.chars().all(|c| c == 'é'));
    }

    #[test]
    fn break_on_a_record_counts_it_as_delivered_and_sets_next_index() {
        let input = "one\ntwo\nthree\n";
        let mut seen = Vec::new();
        let summary = parse_stream(LogType::Text, input.as_bytes(), 0, &mut |item| {
            seen.push(item.unwrap().index);
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, vec![0, 1]);
        assert!(summary.stopped_early);
        assert_eq!(summary.next_index, 2);
        assert_eq!(summary.last_index, Some(1));
        assert_eq!(summary.records, 2);
    }

    #[test]
    fn resume_from_next_index_yields_remaining_records_with_same_indexes() {
        let input = "a\n\nb\nc\nd\n";
        let all = collect(LogType::Text, input);
        let resumed = test_support::collect_from(LogType::Text, input, 2).unwrap();
        assert_eq!(resumed.summary.skipped, 2);
        assert_eq!(resumed.records, all.records[2..].to_vec());
        assert_eq!(resumed.summary.next_index, all.summary.next_index);
    }

    #[test]
    fn io_errors_are_transient_and_format_errors_are_not() {
        let broken = ParseError::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ));
        assert!(broken.is_transient());
        let corrupt = ParseError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "bad gzip",
        ));
        assert!(!corrupt.is_transient());
        let doc = ParseError::NotCloudTrail { reason: "x".into() };
        assert!(!doc.is_transient());
    }
}
