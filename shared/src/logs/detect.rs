//! Decides an object's log type from its key, or failing that from its first bytes.
//!
//! Keys follow the conventions AWS services use when they deliver to S3
//! (`AWSLogs/[o-org/]<account>/<Service>/<region>/YYYY/MM/DD/...`), plus the
//! CloudFront, S3 server access and Firehose (WAF) file names that live under
//! any prefix. Content detection covers objects whose keys were renamed or
//! copied.

use std::fmt;
use std::net::IpAddr;

use memchr::memmem;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::timestamp::{clf_ms, iso8601_ms};
use super::vpc_flow::is_known_field;
use super::LogType;

/// What a key says about an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDetection {
    /// The key follows a known log type's convention.
    Detected(LogType),
    /// The object is not a log the connector parses; the reason says why.
    Skip(SkipReason),
    /// The key says nothing; detect from the content.
    Unknown,
}

/// Why an object is deliberately not parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// CloudTrail digest files hold hashes of log files for integrity validation, not events.
    CloudTrailDigest,
    /// A file AWS services write to test that they can deliver (`ConfigWritabilityCheckFile`, `ELBAccessLogTestFile`).
    DeliveryCheck,
    /// A zero-byte "folder" object whose key ends in `/`.
    DirectoryMarker,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::CloudTrailDigest => "CloudTrail digest file (integrity hashes, not events)",
            SkipReason::DeliveryCheck => "AWS delivery check file, not a log",
            SkipReason::DirectoryMarker => "directory marker object",
        })
    }
}

const DELIVERY_CHECK_FILES: &[&str] = &["ConfigWritabilityCheckFile", "ELBAccessLogTestFile"];

/// Detects the log type from an object key.
pub fn detect_by_key(key: &str) -> KeyDetection {
    if key.is_empty() || key.ends_with('/') {
        return KeyDetection::Skip(SkipReason::DirectoryMarker);
    }
    let file = key.rsplit('/').next().unwrap_or(key);
    if DELIVERY_CHECK_FILES.contains(&file) {
        return KeyDetection::Skip(SkipReason::DeliveryCheck);
    }
    if let Some(found) = detect_aws_logs(key, file) {
        return found;
    }
    // A digest copied or replicated under another prefix keeps CloudTrail's file name
    // (`<account>_CloudTrail-Digest_<region>_<trail>_<region>_<time>.json.gz`).
    if file.contains("_CloudTrail-Digest_") {
        return KeyDetection::Skip(SkipReason::CloudTrailDigest);
    }
    if key
        .split('/')
        .any(|segment| segment.starts_with("aws-waf-logs-"))
    {
        return KeyDetection::Detected(LogType::Waf);
    }
    if is_vpc_flow_file(file) {
        return KeyDetection::Detected(LogType::VpcFlow);
    }
    if is_cloudfront_file(file) {
        return KeyDetection::Detected(LogType::CloudFront);
    }
    if is_s3_access_file(file) {
        return KeyDetection::Detected(LogType::S3Access);
    }
    KeyDetection::Unknown
}

/// The `AWSLogs/[o-org/]<account>/<service>/...` segments of a key.
struct AwsLogsPath<'a> {
    account: &'a str,
    service: &'a str,
    /// Segments after the service: region (or VPC id, or WAF scope) first.
    rest: Vec<&'a str>,
}

fn aws_logs_path(key: &str) -> Option<AwsLogsPath<'_>> {
    let mut segments = key.split('/');
    segments.by_ref().find(|s| *s == "AWSLogs")?;
    let mut account = segments.next()?;
    if account.starts_with("o-") {
        account = segments.next()?;
    }
    // Hive-compatible prefixes (a VPC flow log delivery option) name each segment.
    let account = account.strip_prefix("aws-account-id=").unwrap_or(account);
    if !is_account_id(account) {
        return None;
    }
    let service = segments.next()?;
    let service = service.strip_prefix("aws-service=").unwrap_or(service);
    let rest = segments
        .map(|s| s.strip_prefix("aws-region=").unwrap_or(s))
        .collect();
    Some(AwsLogsPath {
        account,
        service,
        rest,
    })
}

fn detect_aws_logs(key: &str, file: &str) -> Option<KeyDetection> {
    let path = aws_logs_path(key)?;
    let found = match path.service {
        "CloudTrail" | "CloudTrail-Insight" => KeyDetection::Detected(LogType::CloudTrail),
        "CloudTrail-Digest" => KeyDetection::Skip(SkipReason::CloudTrailDigest),
        "vpcflowlogs" => KeyDetection::Detected(LogType::VpcFlow),
        "elasticloadbalancing" => {
            elb_kind(file).map_or(KeyDetection::Unknown, KeyDetection::Detected)
        }
        "GuardDuty" => KeyDetection::Detected(LogType::GuardDuty),
        "vpcdnsquerylogs" => KeyDetection::Detected(LogType::Route53Resolver),
        "WAFLogs" => KeyDetection::Detected(LogType::Waf),
        // Standard logging (v2) to S3 with the partitioned prefix
        // (`AWSLogs/<account>/CloudFront/<distribution>/...`).
        "CloudFront" => KeyDetection::Detected(LogType::CloudFront),
        // AWS Config history and snapshot files are single JSON documents.
        "Config" => KeyDetection::Detected(LogType::Json),
        _ => KeyDetection::Unknown,
    };
    Some(found)
}

/// ELB names files `<account>_elasticloadbalancing_<region>_<lb>_<time>_<ip>_<random>.log[.gz]`,
/// where `<lb>` starts with `app.` (ALB) or `net.` (NLB) and is a bare name for Classic.
fn elb_kind(file: &str) -> Option<LogType> {
    const MARKER: &str = "_elasticloadbalancing_";
    let at = file.find(MARKER)?;
    // ALB connection logs share the naming, behind a `conn_log.` prefix.
    if file.starts_with("conn_log.") {
        return Some(LogType::AlbConnection);
    }
    let after_region = file.get(at + MARKER.len()..)?.split_once('_')?.1;
    Some(if after_region.starts_with("app.") {
        LogType::Alb
    } else if after_region.starts_with("net.") {
        LogType::Nlb
    } else {
        LogType::ClassicElb
    })
}

/// `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log[.gz|.parquet]`,
/// the name VPC Flow Logs gives its files, kept when they are copied under another prefix.
fn is_vpc_flow_file(file: &str) -> bool {
    let Some((account, rest)) = file.split_once("_vpcflowlogs_") else {
        return false;
    };
    is_account_id(account)
        && [".log", ".log.gz", ".log.parquet"]
            .iter()
            .any(|suffix| rest.ends_with(suffix))
}

/// True when `head`, the first decompressed bytes of an object, opens an Apache Parquet
/// file (magic `PAR1`): VPC Flow Logs' Parquet file format.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}

/// `<distribution-id>.YYYY-MM-DD-HH.<unique>.gz`, distribution IDs being upper-case and starting with `E`.
fn is_cloudfront_file(file: &str) -> bool {
    let mut parts = file.split('.');
    let (Some(dist), Some(hour), Some(unique), Some("gz"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    (8..=20).contains(&dist.len())
        && dist.starts_with('E')
        && dist
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && is_shape(hour, "dddd-dd-dd-dd")
        && !unique.is_empty()
        && unique.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// `[prefix]YYYY-MM-DD-HH-MM-SS-<UniqueString>`, the prefix glued on when it has no trailing `/`.
fn is_s3_access_file(file: &str) -> bool {
    let Some((stamp_part, unique)) = file.rsplit_once('-') else {
        return false;
    };
    (8..=32).contains(&unique.len())
        && unique
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        // `get`, not indexing: the prefix glued to the stamp is user text and may end in
        // a multi-byte character, so 19 bytes back need not be a character boundary.
        && stamp_part
            .len()
            .checked_sub(19)
            .and_then(|at| stamp_part.get(at..))
            .is_some_and(|stamp| is_shape(stamp, "dddd-dd-dd-dd-dd-dd"))
}

/// True when `s` matches `shape`, where `d` is any ASCII digit and other characters match themselves.
fn is_shape(s: &str, shape: &str) -> bool {
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| {
            if p == b'd' {
                c.is_ascii_digit()
            } else {
                c == p
            }
        })
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

/// `us-east-1`, `us-gov-west-1`, `ap-southeast-2`: two letters, words, then a number.
pub(crate) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [first, middle @ .., last] = &parts[..] else {
        return false;
    };
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase());
    first.len() == 2
        && letters(first)
        && !middle.is_empty()
        && middle.iter().all(letters)
        && !last.is_empty()
        && last.bytes().all(|c| c.is_ascii_digit())
}

/// Account and region a key names, for records that do not carry them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyScope<'a> {
    /// The 12-digit AWS account ID.
    pub account_id: Option<&'a str>,
    /// The AWS region.
    pub region: Option<&'a str>,
}

/// Reads the account and region from `AWSLogs/...` keys and date-partitioned S3 access log keys.
pub fn key_scope(key: &str) -> KeyScope<'_> {
    if let Some(path) = aws_logs_path(key) {
        let region = path.rest.first().copied().filter(|r| is_region(r));
        return KeyScope {
            account_id: Some(path.account),
            region,
        };
    }
    // `[DestinationPrefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/YYYY/MM/DD/<file>`
    let segments: Vec<&str> = key.split('/').collect();
    if let [.., account, region, _bucket, yyyy, mm, dd, file] = segments[..] {
        // The destination prefix may be glued to the account ID and end in any character.
        let account = account
            .get(account.len().saturating_sub(12)..)
            .unwrap_or_default();
        if is_s3_access_file(file)
            && is_account_id(account)
            && is_region(region)
            && is_shape(yyyy, "dddd")
            && is_shape(mm, "dd")
            && is_shape(dd, "dd")
        {
            return KeyScope {
                account_id: Some(account),
                region: Some(region),
            };
        }
    }
    KeyScope::default()
}

/// Why an object's content is not read as a log: every format parsed is text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotText {
    /// UTF-16 text (Windows tools write it), recognised by its byte order mark.
    #[error("the object is UTF-16 text (it starts with a UTF-16 byte order mark), and only UTF-8 logs are read: convert it to UTF-8 and re-send its notification")]
    Utf16,
    /// Bytes that are not text: compression nothing announced, an archive, an image.
    #[error("the object's data is binary, not a text log: {percent}% of its first {sample} bytes are control bytes or not UTF-8 (compressed data neither its metadata, key nor first bytes announce, an archive, an image...); its bytes are not delivered as text lines")]
    Binary {
        /// Share of the sample that is not text, in percent.
        percent: usize,
        /// Bytes looked at.
        sample: usize,
    },
}

/// Bytes looked at to tell text from binary data.
const TEXT_SAMPLE_BYTES: usize = 8192;

/// Share of non-text bytes from which data is binary. Random (compressed, encrypted)
/// bytes are about 55% control bytes or invalid UTF-8; text logs, even with Latin-1
/// bytes in them, a few percent.
const MAX_NON_TEXT_PERCENT: usize = 30;

/// Checks that the first bytes of a decompressed object are text.
pub fn check_text(head: &[u8]) -> Result<(), NotText> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(NotText::Utf16);
    }
    let sample = &head[..head.len().min(TEXT_SAMPLE_BYTES)];
    // Whitespace and ESC (terminal colours in application logs) are text.
    let is_control = |c: &u8| {
        (*c < 0x20 && !matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1b)) || *c == 0x7f
    };
    let controls = sample.iter().filter(|c| is_control(c)).count();
    let invalid: usize = sample.utf8_chunks().map(|c| c.invalid().len()).sum();
    let non_text = controls + invalid;
    if non_text * 100 > sample.len() * MAX_NON_TEXT_PERCENT {
        return Err(NotText::Binary {
            percent: non_text * 100 / sample.len(),
            sample: sample.len(),
        });
    }
    Ok(())
}

/// Detects the log type from the first bytes of the decompressed object (a few KiB is
/// plenty), or says why they are not a text log.
pub fn detect_by_content(head: &[u8]) -> Result<LogType, NotText> {
    check_text(head)?;
    Ok(detect_text_content(head))
}

fn detect_text_content(head: &[u8]) -> LogType {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    let body = &head[start..];
    let line = first_line(body);
    match body.first() {
        Some(b'{') => detect_json_object(body, line),
        Some(b'[') => detect_json_array(body),
        Some(b'#')
            if body.starts_with(b"#Version:") && memmem::find(body, b"#Fields:").is_some() =>
        {
            LogType::CloudFront
        }
        _ => std::str::from_utf8(line).map_or(LogType::Text, detect_text_line),
    }
}

fn first_line(b: &[u8]) -> &[u8] {
    let line = memchr::memchr(b'\n', b).map_or(b, |i| &b[..i]);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The type of a JSON array's records, from its first element: CloudTrail records,
/// GuardDuty findings, WAF or Route 53 Resolver records saved as an array, read element
/// by element; anything else (a CloudTrail `Records` document or a CloudWatch Logs
/// message inside an array among them) is generic JSON.
fn detect_json_array(body: &[u8]) -> LogType {
    let element = body[1..].trim_ascii_start();
    if element.first() != Some(&b'{') || is_cloudtrail_start(element) {
        return LogType::Json;
    }
    match detect_json_object(element, first_line(element)) {
        LogType::CloudWatchLogs => LogType::Json,
        other => other,
    }
}

/// The top-level members of the object `body` starts with, as one line
/// (`{"key":"text",...}`, values other than strings as `null`), so a record
/// pretty-printed over several lines is known by its own keys and not by a nested
/// object's; `None` when no whole object starts `body`.
fn top_level_line(body: &[u8]) -> Option<Vec<u8>> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Map<String, Value>>();
    let members = values.next()?.ok()?;
    let flat: Map<String, Value> = members
        .into_iter()
        .map(|(k, v)| {
            if v.is_string() {
                (k, v)
            } else {
                (k, Value::Null)
            }
        })
        .collect();
    serde_json::to_vec(&flat).ok()
}

fn detect_json_object(body: &[u8], line: &[u8]) -> LogType {
    if is_cloudtrail_start(body) {
        return LogType::CloudTrail;
    }
    // A record pretty-printed over several lines, or followed on its line by the next.
    let top_level;
    let line = match serde_json::from_slice::<IgnoredAny>(line) {
        Err(_) if line.trim_ascii_start().starts_with(b"{") => {
            top_level = top_level_line(body);
            top_level.as_deref().unwrap_or(line)
        }
        _ => line,
    };
    let has = |key: &[u8]| memmem::find(line, key).is_some();
    // EventBridge events (EventBridge to Firehose to S3) of the sources read unwrapped.
    if has(b"\"detail-type\"") && has(b"via CloudTrail\"") {
        return LogType::CloudTrail;
    }
    if has(b"\"detail-type\"") && has(b"\"GuardDuty Finding\"") {
        return LogType::GuardDuty;
    }
    // Bare CloudTrail records, one per line (an EventBridge rule with `InputPath: $.detail`).
    if has(b"\"eventVersion\"") && has(b"\"eventSource\"") && has(b"\"eventName\"") {
        return LogType::CloudTrail;
    }
    // Standard logging (v2)'s JSON output: the W3C field names as keys.
    if has(b"\"x-edge-location\"") || has(b"\"x-edge-request-id\"") {
        return LogType::CloudFront;
    }
    if has(b"\"messageType\"") && has(b"\"logEvents\"") {
        LogType::CloudWatchLogs
    } else if has(b"\"webaclId\"") {
        LogType::Waf
    } else if has(b"\"schemaVersion\"") && has(b"\"type\"") && has(b"\"service\"") {
        LogType::GuardDuty
    } else if has(b"\"query_name\"") && has(b"\"srcaddr\"") {
        LogType::Route53Resolver
    } else {
        LogType::Json
    }
}

/// `{ "Records" : [` with any whitespace between the tokens.
fn is_cloudtrail_start(body: &[u8]) -> bool {
    let mut rest = body;
    for token in [&b"{"[..], b"\"Records\"", b":", b"["] {
        rest = rest.trim_ascii_start();
        match rest.strip_prefix(token) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    true
}

fn detect_text_line(line: &str) -> LogType {
    const ALB_TYPES: [&str; 6] = ["http ", "https ", "h2 ", "grpcs ", "ws ", "wss "];
    if let Some(rest) = ALB_TYPES.iter().find_map(|t| line.strip_prefix(t)) {
        if starts_with_iso_time(rest) {
            return LogType::Alb;
        }
    }
    // NLB: `tls <log format version> <time> ...`; versions 1.0 and 2.0 are documented.
    if let Some((version, rest)) = line.strip_prefix("tls ").and_then(|r| r.split_once(' ')) {
        let is_version = version.split_once('.').is_some_and(|(a, b)| {
            [a, b]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        });
        if is_version && starts_with_iso_time(rest) {
            return LogType::Nlb;
        }
    }
    let mut tokens = line.split(' ');
    let (t0, t1, t2, t3) = (tokens.next(), tokens.next(), tokens.next(), tokens.next());
    if let (Some(time), Some(name), Some(client)) = (t0, t1, t2) {
        if iso8601_ms(time).is_some() && !name.is_empty() && is_ip_port(client) {
            return LogType::ClassicElb;
        }
    }
    // ALB connection log: time, client IP, client port, listener port.
    if let (Some(time), Some(ip), Some(port), Some(listener)) = (t0, t1, t2, t3) {
        let is_port = |p: &str| p.parse::<u16>().is_ok();
        if iso8601_ms(time).is_some()
            && ip.parse::<std::net::IpAddr>().is_ok()
            && is_port(port)
            && is_port(listener)
        {
            return LogType::AlbConnection;
        }
    }
    if is_s3_access_line(line) {
        return LogType::S3Access;
    }
    // Two names at least: a one-word line such as `start` is more likely prose than a header.
    let names: Vec<&str> = line.split_ascii_whitespace().collect();
    if names.len() >= 2 && names.iter().all(|n| is_known_field(n)) {
        return LogType::VpcFlow;
    }
    LogType::Text
}

fn starts_with_iso_time(s: &str) -> bool {
    let token = s.split(' ').next().unwrap_or("");
    iso8601_ms(token).is_some()
}

fn is_ip_port(s: &str) -> bool {
    s.rsplit_once(':')
        .is_some_and(|(ip, port)| ip.parse::<IpAddr>().is_ok() && port.parse::<u16>().is_ok())
}

/// `<64-hex canonical owner ID> <bucket> [dd/Mon/yyyy:HH:MM:SS +0000] ...`
fn is_s3_access_line(line: &str) -> bool {
    let Some((owner, rest)) = line.split_once(' ') else {
        return false;
    };
    let Some((bucket, rest)) = rest.split_once(' ') else {
        return false;
    };
    owner.len() == 64
        && owner.bytes().all(|c| c.is_ascii_hexdigit())
        && !bucket.is_empty()
        && rest
            .strip_prefix('[')
            .and_then(|r| r.get(..26))
            .is_some_and(|t| clf_ms(t).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{cloudfront, cloudtrail, elb, json_lines, s3_access, vpc_flow};

    fn detected(key: &str) -> KeyDetection {
        detect_by_key(key)
    }

    #[test]
    fn cloudtrail_keys_with_and_without_organization_are_detected() {
        for key in [
            "AWSLogs/123456789012/CloudTrail/us-east-1/2023/11/14/123456789012_CloudTrail_us-east-1_20231114T1015Z_a1B2c3D4e5F6g7H8.json.gz",
            "trail-prefix/AWSLogs/o-aa111bb222/123456789012/CloudTrail/eu-west-1/2023/11/14/123456789012_CloudTrail_eu-west-1_20231114T1015Z_a1B2c3D4e5F6g7H8.json.gz",
            "AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2023/11/14/123456789012_CloudTrail-Insight_us-east-1_20231114T1100Z_x9Y8z7W6v5U4t3S2.json.gz",
        ] {
            assert_eq!(detected(key), KeyDetection::Detected(LogType::CloudTrail), "{key}");
        }
    }

    #[test]
    fn cloudtrail_digest_files_are_skipped() {
        let key = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2023/11/14/123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20231114T101500Z.json.gz";
        assert_eq!(
            detected(key),
            KeyDetection::Skip(SkipReason::CloudTrailDigest)
        );
        assert!(SkipReason::CloudTrailDigest.to_string().contains("digest"));
    }

    #[test]
    fn vpc_flow_text_and_parquet_keys_are_detected() {
        let text = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/11/14/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20231114T1015Z_fe123456.log.gz";
        assert_eq!(detected(text), KeyDetection::Detected(LogType::VpcFlow));
        let parquet = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/11/14/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20231114T1015Z_fe123456.log.parquet";
        // Read as Parquet once its first bytes say so (see pipeline::resolve_type).
        assert_eq!(detected(parquet), KeyDetection::Detected(LogType::VpcFlow));
        // Hourly partitions add a segment; a file copied elsewhere keeps its AWS name.
        let hourly = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/11/14/10/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20231114T1015Z_fe123456.log.parquet";
        assert_eq!(detected(hourly), KeyDetection::Detected(LogType::VpcFlow));
        let copied = "archive/flows/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20231114T1015Z_fe123456.log.parquet";
        assert_eq!(detected(copied), KeyDetection::Detected(LogType::VpcFlow));
        assert_eq!(
            detected("archive/notes_vpcflowlogs_x.txt"),
            KeyDetection::Unknown
        );
        assert!(is_parquet(b"PAR1\x15\x04"));
        assert!(!is_parquet(b"version account-id"));
        let hive = "flows/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2023/month=11/day=14/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20231114T1015Z_fe123456.log.gz";
        assert_eq!(detected(hive), KeyDetection::Detected(LogType::VpcFlow));
        let scope = key_scope(hive);
        assert_eq!(
            (scope.account_id, scope.region),
            (Some("123456789012"), Some("us-east-1"))
        );
    }

    #[test]
    fn elb_keys_distinguish_alb_nlb_and_classic() {
        let base = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/11/14/";
        let cases = [
            ("123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20231114T2340Z_172.160.001.192_20sg8hgm.log.gz", LogType::Alb),
            ("123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_20231114T2340Z_172.160.001.192_20sg8hgm.log.gz", LogType::Nlb),
            ("123456789012_elasticloadbalancing_us-east-2_my-classic-lb_20231114T2340Z_172.160.001.192_20sg8hgm.log", LogType::ClassicElb),
            ("conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20231114T2340Z_172.160.001.192_20sg8hgm.log.gz", LogType::AlbConnection),
        ];
        for (file, expected) in cases {
            assert_eq!(
                detected(&format!("{base}{file}")),
                KeyDetection::Detected(expected),
                "{file}"
            );
        }
    }

    #[test]
    fn delivery_check_files_and_directory_markers_are_skipped() {
        assert_eq!(
            detected("AWSLogs/123456789012/Config/ConfigWritabilityCheckFile"),
            KeyDetection::Skip(SkipReason::DeliveryCheck)
        );
        assert_eq!(
            detected("lb-logs/AWSLogs/123456789012/ELBAccessLogTestFile"),
            KeyDetection::Skip(SkipReason::DeliveryCheck)
        );
        assert_eq!(
            detected("AWSLogs/123456789012/"),
            KeyDetection::Skip(SkipReason::DirectoryMarker)
        );
    }

    #[test]
    fn guardduty_route53_and_waf_keys_are_detected() {
        assert_eq!(
            detected("AWSLogs/123456789012/GuardDuty/us-east-1/2024/01/10/3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d.jsonl.gz"),
            KeyDetection::Detected(LogType::GuardDuty)
        );
        assert_eq!(
            detected("AWSLogs/123456789012/vpcdnsquerylogs/vpc-0123456789abcdef0/2021/02/04/vpc-0123456789abcdef0_vpcdnsquerylogs_123456789012_20210204T1750Z_8f2a1b3c.log.gz"),
            KeyDetection::Detected(LogType::Route53Resolver)
        );
        for key in [
            "AWSLogs/123456789012/WAFLogs/us-east-1/my-web-acl/2023/11/14/10/05/123456789012_waflogs_us-east-1_my-web-acl_20231114T1005Z_1a2b3c4d.log.gz",
            "AWSLogs/123456789012/WAFLogs/cloudfront/cf-acl/2023/11/14/10/05/123456789012_waflogs_cloudfront_cf-acl_20231114T1005Z_1a2b3c4d.log.gz",
            "2023/11/14/10/aws-waf-logs-shop-1-2023-11-14-10-05-12-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
            "waf/aws-waf-logs-shop/2023/11/14/10/part-0001.gz",
        ] {
            assert_eq!(detected(key), KeyDetection::Detected(LogType::Waf), "{key}");
        }
    }

    #[test]
    fn cloudfront_standard_log_keys_are_detected_with_or_without_prefix() {
        for key in [
            "E2QWRUHAPOMQZL.2019-12-04-21.a1b2c3d4.gz",
            "cf-logs/www/EMLARXS9EXAMPLE.2019-12-04-21.0f1e2d3c.gz",
        ] {
            assert_eq!(
                detected(key),
                KeyDetection::Detected(LogType::CloudFront),
                "{key}"
            );
        }
        assert_eq!(
            detected("logs/notes.2019-12-04-21.a1b2c3d4.gz"),
            KeyDetection::Unknown
        );
    }

    #[test]
    fn s3_access_log_keys_simple_and_date_partitioned_are_detected() {
        for key in [
            "logs/2019-02-06-00-00-38-E568B2907131C0C0",
            "access-logs2019-02-06-00-00-38-E568B2907131C0C0",
            "2019-02-06-00-00-38-5A3F7B0C1D2E3F40",
            "s3-logs/123456789012/us-west-1/awsexamplebucket1/2019/02/06/2019-02-06-00-00-38-E568B2907131C0C0",
        ] {
            assert_eq!(detected(key), KeyDetection::Detected(LogType::S3Access), "{key}");
        }
        assert_eq!(
            detected("exports/2019-02-06-00-00-38-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"),
            KeyDetection::Unknown
        );
    }

    #[test]
    fn s3_access_key_with_multibyte_prefix_is_read_without_panicking() {
        // The key from the bug report: `€` ends 2 bytes into the 21-byte stamp part.
        assert_eq!(
            detected("logs/€019-02-06-00-00-38-ABCDEFGH"),
            KeyDetection::Unknown
        );
        assert_eq!(
            detected("logs/é2019-02-06-00-00-38-ABCDEFGH"),
            KeyDetection::Detected(LogType::S3Access)
        );
    }

    #[test]
    fn key_scope_with_multibyte_destination_prefix_is_read_without_panicking() {
        let file = "2019-02-06-00-00-38-E568B2907131C0C0";
        // 12 bytes back from the end of `x€12345678901` falls inside the `€`.
        let cut = format!("x€12345678901/us-west-1/b/2019/02/06/{file}");
        assert_eq!(key_scope(&cut), KeyScope::default());
        let glued = format!("logsé123456789012/us-west-1/b/2019/02/06/{file}");
        let glued = key_scope(&glued);
        assert_eq!(
            (glued.account_id, glued.region),
            (Some("123456789012"), Some("us-west-1"))
        );
    }

    #[test]
    fn elb_file_name_with_multibyte_text_after_the_marker_is_read() {
        let key = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/23/123456789012_elasticloadbalancing_ü_app.€lb_20261123T1000Z_x.log";
        assert_eq!(detected(key), KeyDetection::Detected(LogType::Alb));
    }

    /// Every sample key with a multi-byte character put at each position: key
    /// detection and key scope never index into the middle of a character.
    #[test]
    fn keys_with_multibyte_characters_anywhere_never_panic() {
        let keys = [
            "logs/2019-02-06-00-00-38-E568B2907131C0C0",
            "s3-logs/123456789012/us-west-1/awsexamplebucket1/2019/02/06/2019-02-06-00-00-38-E568B2907131C0C0",
            "AWSLogs/o-aa111bb222/123456789012/CloudTrail/eu-west-1/2023/11/14/f.json.gz",
            "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/11/14/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20231114T2340Z_172.160.001.192_20sg8hgm.log.gz",
            "cf-logs/www/EMLARXS9EXAMPLE.2019-12-04-21.0f1e2d3c.gz",
            "waf/aws-waf-logs-shop/2023/11/14/10/part-0001.gz",
            "flows/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2023/f.log.gz",
        ];
        for key in keys {
            for extra in ["é", "€", "😀"] {
                for (at, _) in key.char_indices().chain([(key.len(), ' ')]) {
                    let mutated = format!("{}{extra}{}", &key[..at], &key[at..]);
                    let _ = detect_by_key(&mutated);
                    let _ = key_scope(&mutated);
                }
            }
        }
    }

    #[test]
    fn unrelated_keys_are_unknown() {
        for key in [
            "data/report.csv",
            "AWSLogs/123456789012/SomeNewService/us-east-1/x.gz",
            "AWSLogs/notanaccount/CloudTrail/x.json.gz",
        ] {
            assert_eq!(detected(key), KeyDetection::Unknown, "{key}");
        }
    }

    #[test]
    fn key_scope_reads_account_and_region() {
        let ct = key_scope(
            "AWSLogs/o-aa111bb222/123456789012/CloudTrail/eu-west-1/2023/11/14/f.json.gz",
        );
        assert_eq!(
            (ct.account_id, ct.region),
            (Some("123456789012"), Some("eu-west-1"))
        );
        let dns = key_scope(
            "AWSLogs/123456789012/vpcdnsquerylogs/vpc-0123456789abcdef0/2021/02/04/f.log.gz",
        );
        assert_eq!((dns.account_id, dns.region), (Some("123456789012"), None));
        let s3 = key_scope("s3-logs/123456789012/us-west-1/awsexamplebucket1/2019/02/06/2019-02-06-00-00-38-E568B2907131C0C0");
        assert_eq!(
            (s3.account_id, s3.region),
            (Some("123456789012"), Some("us-west-1"))
        );
        assert_eq!(
            key_scope("logs/2019-02-06-00-00-38-E568B2907131C0C0"),
            KeyScope::default()
        );
    }

    #[test]
    fn content_detection_recognises_every_sample_format() {
        let cases: [(&str, LogType); 16] = [
            (elb::samples::ALB_CONNECTIONS, LogType::AlbConnection),
            (
                crate::logs::cloudwatch::samples::FIREHOSE_OBJECT,
                LogType::CloudWatchLogs,
            ),
            (cloudtrail::samples::THREE_RECORDS, LogType::CloudTrail),
            ("  { \"Records\" :\n [ ]}", LogType::CloudTrail),
            (vpc_flow::samples::DEFAULT_FILE, LogType::VpcFlow),
            (vpc_flow::samples::CUSTOM_FILE, LogType::VpcFlow),
            (cloudfront::samples::FILE, LogType::CloudFront),
            (elb::samples::ALB_HTTPS, LogType::Alb),
            (elb::samples::ALB_IPV6_NO_TARGET, LogType::Alb),
            (elb::samples::NLB_TLS, LogType::Nlb),
            (elb::samples::CLASSIC_HTTP, LogType::ClassicElb),
            (s3_access::samples::GET_VERSIONING, LogType::S3Access),
            (json_lines::samples::WAF_BLOCK, LogType::Waf),
            (json_lines::samples::GUARDDUTY_FINDING, LogType::GuardDuty),
            (json_lines::samples::ROUTE53_QUERY, LogType::Route53Resolver),
            ("{\"level\":\"info\",\"msg\":\"started\"}\n", LogType::Json),
        ];
        for (input, expected) in cases {
            assert_eq!(
                detect_by_content(input.as_bytes()),
                Ok(expected),
                "{}",
                &input[..input.len().min(60)]
            );
        }
    }

    /// Regression: Transit Gateway flow logs and NLB access logs in format 1.0 were
    /// detected as text when the key follows no AWS convention (a file checked with
    /// `s3connector parse` before deploying). Inputs from the AWS documentation.
    #[test]
    fn transit_gateway_flow_logs_and_nlb_format_1_0_are_detected_by_content() {
        assert_eq!(
            detect_by_content(vpc_flow::samples::TRANSIT_GATEWAY_FILE.as_bytes()),
            Ok(LogType::VpcFlow)
        );
        let nlb_1_0 = "tls 1.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com\n";
        assert_eq!(detect_by_content(nlb_1_0.as_bytes()), Ok(LogType::Nlb));
        assert_eq!(
            detect_by_content(b"tls is a protocol 2018-12-20T02:59:40"),
            Ok(LogType::Text)
        );
        assert_eq!(
            detect_by_content(b"tls 1. 2018-12-20T02:59:40 x"),
            Ok(LogType::Text)
        );
    }

    #[test]
    fn content_detection_falls_back_to_json_and_text() {
        let detect = |head: &[u8]| detect_by_content(head).unwrap();
        assert_eq!(detect(b"[{\"a\":1}]"), LogType::Json);
        assert_eq!(detect(b"\xEF\xBB\xBF{\"a\":1}"), LogType::Json);
        assert_eq!(
            detect(b"Nov 14 10:15:02 host sshd[42]: Accepted publickey"),
            LogType::Text
        );
        assert_eq!(detect(b"http is a protocol"), LogType::Text);
        assert_eq!(
            detect(b"srcaddr dstaddr\n10.0.0.1 10.0.0.2"),
            LogType::VpcFlow
        );
        assert_eq!(detect(b"start"), LogType::Text);
        assert_eq!(detect(b""), LogType::Text);
        // Text with a few bytes that are not UTF-8 (Latin-1) and terminal colours is text.
        assert_eq!(
            detect(b"caf\xe9 ouvert \x1b[32mOK\x1b[0m at 10:00, cr\xe8me br\xfbl\xe9e\n"),
            LogType::Text
        );
    }

    #[test]
    fn binary_content_is_refused_with_the_reason() {
        // A gzip member as the data of a file whose outer compression was undone.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &[b'x'; 4000]).unwrap();
        std::io::Write::write_all(&mut gz, "é€ some text\n".repeat(300).as_bytes()).unwrap();
        let binary = gz.finish().unwrap();
        for head in [
            &binary[..],
            b"\x00\x01\x02\x03abc",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        ] {
            let err = detect_by_content(head).unwrap_err();
            assert!(matches!(err, NotText::Binary { .. }), "{err}");
            assert!(err.to_string().contains("binary"), "{err}");
        }
        assert_eq!(
            detect_by_content(b"\xff\xfeh\x00i\x00"),
            Err(NotText::Utf16)
        );
    }

    /// Records pretty-printed over several lines, or saved as a JSON array, are known
    /// by their first record's own (top-level) keys.
    #[test]
    fn pretty_printed_records_and_arrays_of_records_are_detected() {
        let record: serde_json::Value =
            serde_json::from_str(json_lines::samples::CLOUDTRAIL_BARE_RECORD).unwrap();
        let pretty = serde_json::to_string_pretty(&record).unwrap();
        let envelope: serde_json::Value = serde_json::from_str(
            json_lines::samples::CLOUDTRAIL_EVENTBRIDGE
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        let finding: serde_json::Value =
            serde_json::from_str(json_lines::samples::GUARDDUTY_FINDING).unwrap();
        let cases = [
            (format!("{pretty}\n{pretty}\n"), LogType::CloudTrail),
            (serde_json::to_string_pretty(&envelope).unwrap(), LogType::CloudTrail),
            (format!("[{record},{record}]"), LogType::CloudTrail),
            (serde_json::to_string_pretty(&[&record]).unwrap(), LogType::CloudTrail),
            (serde_json::to_string_pretty(&finding).unwrap(), LogType::GuardDuty),
            (format!("[\n  {finding}\n]"), LogType::GuardDuty),
            (format!("{record}{record}"), LogType::CloudTrail),
            // Keys of a nested object do not make a document a GuardDuty finding.
            (
                "{\n  \"doc\": {\"schemaVersion\": \"2.2\", \"type\": \"a\", \"service\": \"b\"}\n}\n"
                    .to_owned(),
                LogType::Json,
            ),
            ("[1, 2]".to_owned(), LogType::Json),
            ("[{\"Records\": []}]".to_owned(), LogType::Json),
            ("[{\"a\": 1}]".to_owned(), LogType::Json),
        ];
        for (input, want) in cases {
            assert_eq!(detect_by_content(input.as_bytes()), Ok(want), "{input}");
        }
    }
}
