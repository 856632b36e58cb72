//! S3 server access logs.
//!
//! Fields are named as in the AWS documentation. `time` keeps the bracketed
//! value without brackets; `request_uri` is also split into `request_method`,
//! `request_path` and `request_protocol`. `key` stays URL-encoded exactly as
//! logged. Fields AWS appends in the future land in `extra_fields`.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::field_value::{put_str, put_uint, split_request};
use super::line_reader::{parse_lines, LineFormat, LineReader};
use super::timestamp::clf_ms;
use super::tokenizer::{tokenize, Span};
use super::{Emitter, Fields, ParseError};

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Uint,
    Time,
    RequestUri,
}

/// Fields in the order S3 writes them.
const FIELDS: &[(&str, Kind)] = &[
    ("bucket_owner", Kind::Str),
    ("bucket", Kind::Str),
    ("time", Kind::Time),
    ("remote_ip", Kind::Str),
    ("requester", Kind::Str),
    ("request_id", Kind::Str),
    ("operation", Kind::Str),
    ("key", Kind::Str),
    ("request_uri", Kind::RequestUri),
    ("http_status", Kind::Uint),
    ("error_code", Kind::Str),
    ("bytes_sent", Kind::Uint),
    ("object_size", Kind::Uint),
    ("total_time", Kind::Uint),
    ("turn_around_time", Kind::Uint),
    ("referer", Kind::Str),
    ("user_agent", Kind::Str),
    ("version_id", Kind::Str),
    ("host_id", Kind::Str),
    ("signature_version", Kind::Str),
    ("cipher_suite", Kind::Str),
    ("authentication_type", Kind::Str),
    ("host_header", Kind::Str),
    ("tls_version", Kind::Str),
    ("access_point_arn", Kind::Str),
    ("acl_required", Kind::Str),
];

/// The oldest documented layout ends at `user_agent`; every later field was appended.
const MIN_FIELDS: usize = 17;

/// Parses one S3 server access log line.
pub fn parse_line(line: &str) -> Result<Map<String, Value>, String> {
    parse_with(line, &mut Vec::new())
}

fn parse_with(line: &str, spans: &mut Vec<Span>) -> Result<Map<String, Value>, String> {
    tokenize(line, spans)?;
    if spans.len() < MIN_FIELDS {
        return Err(format!(
            "expected at least {MIN_FIELDS} space-separated fields, found {} (line truncated?)",
            spans.len()
        ));
    }
    let mut m = Map::new();
    for (span, (name, kind)) in spans.iter().zip(FIELDS) {
        let value = span.value(line);
        let v = value.as_ref();
        match kind {
            Kind::Str => put_str(&mut m, name, v),
            Kind::Uint => put_uint(&mut m, name, v)?,
            Kind::Time => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|t| t.strip_suffix(']'))
                    .filter(|t| clf_ms(t).is_some())
                    .ok_or_else(|| {
                        format!("field `time`: expected [dd/Mon/yyyy:HH:MM:SS +0000], found {v:?}")
                    })?;
                put_str(&mut m, name, inner);
            }
            Kind::RequestUri => {
                put_str(&mut m, name, v);
                let parts = split_request(v);
                put_str(&mut m, "request_method", parts.method);
                put_str(&mut m, "request_path", parts.url);
                put_str(&mut m, "request_protocol", parts.protocol);
            }
        }
    }
    if spans.len() > FIELDS.len() {
        let extra = spans[FIELDS.len()..]
            .iter()
            .map(|s| Value::String(s.value(line).into_owned()))
            .collect();
        m.insert("extra_fields".to_owned(), Value::Array(extra));
    }
    Ok(m)
}

struct S3AccessFormat {
    spans: Vec<Span>,
}

impl LineFormat for S3AccessFormat {
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        parse_with(line, &mut self.spans).map(Fields::Map)
    }
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    let mut format = S3AccessFormat {
        spans: Vec::with_capacity(32),
    };
    parse_lines(&mut LineReader::new(reader), &mut format, out)
}

#[cfg(test)]
pub(crate) mod samples {
    /// A console GET on the bucket's versioning configuration, every field present.
    pub(crate) const GET_VERSIONING: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes"#;
    /// An IPv6 client's failed GET of an object whose key has an encoded space, by an IAM role.
    pub(crate) const GET_OBJECT_DENIED: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:01:57 +0000] 2001:db8::ff00:42:8329 arn:aws:sts::123456789012:assumed-role/ReadOnly/alice A1206F460EXAMPLE REST.GET.OBJECT photos/2019/puppy%20beach.jpg "GET /awsexamplebucket1/photos/2019/puppy%20beach.jpg HTTP/1.1" 403 AccessDenied 243 - 42 - "https://console.aws.amazon.com/" "aws-cli/2.15.0 Python/3.11.6 \"custom agent\"" - 7oAbn3JMO1ZGYlqSy0SMW6s2AKkzZ5eu0Aq2e5Ldp4cQ4aQFDE1eL6Y2EiFHpMXmePWBGxsaoqk= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.3 - -"#;
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::LogType;

    #[test]
    fn s3_access_line_maps_documented_fields() {
        let m = parse_line(GET_VERSIONING).unwrap();
        assert_eq!(
            m["bucket_owner"],
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        );
        assert_eq!(m["bucket"], "awsexamplebucket1");
        assert_eq!(m["time"], "06/Feb/2019:00:00:38 +0000");
        assert_eq!(m["remote_ip"], "192.0.2.3");
        assert_eq!(m["operation"], "REST.GET.VERSIONING");
        assert!(!m.contains_key("key"));
        assert_eq!(m["request_method"], "GET");
        assert_eq!(m["request_path"], "/awsexamplebucket1?versioning");
        assert_eq!(m["http_status"], 200);
        assert_eq!(m["bytes_sent"], 113);
        assert!(!m.contains_key("object_size"));
        assert_eq!(m["total_time"], 7);
        assert!(!m.contains_key("referer"));
        assert_eq!(m["user_agent"], "S3Console/0.4");
        assert_eq!(m["signature_version"], "SigV4");
        assert_eq!(
            m["host_header"],
            "awsexamplebucket1.s3.us-west-1.amazonaws.com"
        );
        assert_eq!(
            m["access_point_arn"],
            "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP"
        );
        assert_eq!(m["acl_required"], "Yes");
    }

    #[test]
    fn s3_access_ipv6_requester_arn_and_escaped_agent_parse() {
        let m = parse_line(GET_OBJECT_DENIED).unwrap();
        assert_eq!(m["remote_ip"], "2001:db8::ff00:42:8329");
        assert_eq!(
            m["requester"],
            "arn:aws:sts::123456789012:assumed-role/ReadOnly/alice"
        );
        assert_eq!(m["key"], "photos/2019/puppy%20beach.jpg");
        assert_eq!(m["error_code"], "AccessDenied");
        assert_eq!(m["http_status"], 403);
        assert_eq!(
            m["user_agent"],
            r#"aws-cli/2.15.0 Python/3.11.6 "custom agent""#
        );
        assert!(!m.contains_key("access_point_arn"));
    }

    #[test]
    fn s3_access_old_layout_ending_at_user_agent_parses() {
        let old = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be mybucket [06/Feb/2014:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT index.html "GET /mybucket/index.html HTTP/1.1" 200 - 2662992 3462992 70 10 "-" "curl/7.30.0""#;
        let m = parse_line(old).unwrap();
        assert_eq!(m["object_size"], 3462992);
        assert!(!m.contains_key("requester"));
    }

    #[test]
    fn s3_access_extra_trailing_fields_are_kept() {
        let m = parse_line(&format!("{GET_VERSIONING} us-west-1 future")).unwrap();
        assert_eq!(
            m["extra_fields"],
            serde_json::json!(["us-west-1", "future"])
        );
    }

    #[test]
    fn s3_access_bad_time_and_truncation_are_record_errors() {
        let bad_time =
            GET_VERSIONING.replace("[06/Feb/2019:00:00:38 +0000]", "[2019-02-06 00:00:38]");
        assert!(parse_line(&bad_time).unwrap_err().contains("`time`"));
        let truncated = &GET_VERSIONING[..GET_VERSIONING.find("\"S3Console").unwrap() + 4];
        assert!(parse_line(truncated)
            .unwrap_err()
            .contains("no closing quote"));
        let short = &GET_VERSIONING[..GET_VERSIONING.find(" 200 ").unwrap()];
        assert!(parse_line(short).unwrap_err().contains("found 9"));
    }

    #[test]
    fn s3_access_unescaped_quotes_in_referrer_and_user_agent_keep_the_line() {
        let line = GET_OBJECT_DENIED
            .replace(
                r#""https://console.aws.amazon.com/""#,
                r#""https://example.com/?q="x" y""#,
            )
            .replace(
                r#""aws-cli/2.15.0 Python/3.11.6 \"custom agent\"""#,
                r#""Mozilla/5.0 "stray""#,
            );
        let m = parse_line(&line).unwrap();
        assert_eq!(m["referer"], r#"https://example.com/?q="x" y"#);
        assert_eq!(m["user_agent"], r#"Mozilla/5.0 "stray"#);
        assert_eq!(m["signature_version"], "SigV4");
        assert_eq!(m["tls_version"], "TLSv1.3");
        assert!(!m.contains_key("extra_fields"));
    }

    /// Each field of `GET_VERSIONING` as written, with `field` written as `value`.
    fn line_with(field: &str, value: &str) -> String {
        let mut spans = Vec::new();
        tokenize(GET_VERSIONING, &mut spans).unwrap();
        let at = FIELDS.iter().position(|(n, _)| *n == field).unwrap();
        let mut written: Vec<String> = spans
            .iter()
            .map(|s| match s.is_quoted() {
                true => format!("\"{}\"", s.raw(GET_VERSIONING)),
                false => s.raw(GET_VERSIONING).to_owned(),
            })
            .collect();
        written[at] = value.to_owned();
        written.join(" ")
    }

    /// S3 writes `-` for a field with no value: numbers ("Bytes Sent: ... or - if
    /// zero", object size, times, status) as well as text.
    #[test]
    fn s3_access_documented_dash_values_parse_as_absent() {
        for (field, value) in [
            ("http_status", "-"),
            ("bytes_sent", "-"),
            ("object_size", "-"),
            ("total_time", "-"),
            ("turn_around_time", "-"),
            ("remote_ip", "-"),
            ("requester", "-"),
            ("error_code", "-"),
            ("key", "-"),
            ("request_uri", "\"-\""),
            ("referer", "\"-\""),
            ("user_agent", "\"-\""),
            ("version_id", "-"),
            ("host_id", "-"),
            ("signature_version", "-"),
            ("cipher_suite", "-"),
            ("authentication_type", "-"),
            ("host_header", "-"),
            ("tls_version", "-"),
            ("access_point_arn", "-"),
            ("acl_required", "-"),
        ] {
            let line = line_with(field, value);
            let m = parse_line(&line).unwrap_or_else(|e| panic!("{field}={value}: {e}"));
            assert!(
                !m.contains_key(field),
                "{field}={value}: {:?}",
                m.get(field)
            );
        }
    }

    #[test]
    fn s3_access_stream_counts_good_and_bad_lines() {
        let input = format!("{GET_VERSIONING}\ngarbage\n{GET_OBJECT_DENIED}\n");
        let got = collect(LogType::S3Access, &input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].line, Some(2));
    }
}
