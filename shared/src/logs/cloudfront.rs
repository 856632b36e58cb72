//! CloudFront standard access logs (legacy, and standard logging v2 in its W3C and JSON
//! output formats).
//!
//! Files start with `#Version:` and `#Fields:` lines; records are tab-separated
//! and read by the `#Fields:` names, which are kept as keys verbatim (e.g.
//! `cs(User-Agent)`). CloudFront URL-encodes `cs-uri-stem` and `cs(User-Agent)`;
//! both are decoded here, while the query string and cookie stay encoded as
//! they appear on the wire. Header values (`x-forwarded-for`, `cs(Referer)`,
//! `cs(User-Agent)`) can also hold `\xHH` escapes for spaces and other bytes (a
//! proxy chain is logged as `192.0.2.1,\x20198.51.100.2`): those are decoded too.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::field_value::{is_absent, put_f64, put_uint};
use super::line_reader::{parse_lines, LineFormat, LineReader};
use super::timestamp::date_and_time_ms;
use super::url_decode::{hex_unescape, percent_decode};
use super::{Emitter, Fields, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Uint,
    Seconds,
    UrlEncoded,
    /// A header value that may hold `\xHH` escapes.
    HexEscaped,
}

fn kind_of(name: &str) -> Kind {
    match name {
        "sc-bytes" | "sc-status" | "cs-bytes" | "c-port" | "sc-content-len" | "sc-range-start"
        | "sc-range-end" => Kind::Uint,
        // `timestamp` is a real-time log field standard logging (v2) may select: epoch
        // seconds with milliseconds (`1733047200.123`); `timestamp(ms)` epoch milliseconds.
        "time-taken" | "time-to-first-byte" | "timestamp" | "timestamp(ms)" => Kind::Seconds,
        // Real-time log names (`cs-user-agent`, `cs-referer`) that standard logging v2 may
        // select are read as their standard-log twins.
        "cs-uri-stem" | "cs(User-Agent)" | "cs-user-agent" => Kind::UrlEncoded,
        "x-forwarded-for" | "cs(Referer)" | "cs-referer" => Kind::HexEscaped,
        _ => Kind::Str,
    }
}

/// The field layout named by a `#Fields:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudFrontFields {
    fields: Vec<(String, Kind)>,
}

impl CloudFrontFields {
    /// Reads the names after `#Fields:`; `None` when the line is not a `#Fields:` line.
    pub fn parse(line: &str) -> Option<Self> {
        let names = line.strip_prefix("#Fields:")?;
        let fields = names
            .split_ascii_whitespace()
            .map(|n| (n.to_owned(), kind_of(n)))
            .collect();
        Some(CloudFrontFields { fields })
    }

    /// Parses one tab-separated record by these names.
    pub fn parse_record(&self, line: &str) -> Result<Map<String, Value>, String> {
        let found = line.split('\t').count();
        if found != self.fields.len() {
            return Err(format!(
                "expected {} tab-separated fields (from #Fields), found {found}",
                self.fields.len()
            ));
        }
        let named = line
            .split('\t')
            .zip(&self.fields)
            .map(|(value, (name, kind))| (name.as_str(), value, *kind));
        read_values(named)
    }
}

/// One record of standard logging (v2)'s JSON output format: an object of the same field
/// names as a W3C file's `#Fields:` (CloudFront Developer Guide, "Standard logging (v2)",
/// output formats), each value read as in W3C files (a number or boolean by its JSON
/// text; `-`, empty and `null` are absent).
pub fn parse_json_record(line: &str) -> Result<Map<String, Value>, String> {
    let object: Map<String, Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let texts: Vec<(String, String)> = object
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((name, s)),
            Value::Number(n) => Some((name, n.to_string())),
            Value::Bool(b) => Some((name, b.to_string())),
            _ => None,
        })
        .collect();
    read_values(
        texts
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str(), kind_of(name))),
    )
}

/// A record's map from its (field name, text value, kind), decoded by kind, with the
/// `date` and `time` checks every record passes.
fn read_values<'a>(
    named: impl Iterator<Item = (&'a str, &'a str, Kind)>,
) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    for (name, value, kind) in named {
        if is_absent(value) {
            continue;
        }
        let name = name.to_owned();
        match kind {
            Kind::Str => {
                m.insert(name, Value::String(value.to_owned()));
            }
            Kind::UrlEncoded => {
                let decoded = percent_decode(value);
                m.insert(name, Value::String(hex_unescape(&decoded).into_owned()));
            }
            Kind::HexEscaped => {
                m.insert(name, Value::String(hex_unescape(value).into_owned()));
            }
            Kind::Uint => put_uint(&mut m, &name, value)?,
            Kind::Seconds => put_f64(&mut m, &name, value)?,
        }
    }
    match (m.get("date"), m.get("time")) {
        (Some(Value::String(date)), Some(Value::String(time)))
            if date_and_time_ms(date, time).is_none() =>
        {
            return Err(format!(
                    "fields `date` and `time`: expected YYYY-MM-DD and HH:MM:SS, found {date:?} and {time:?}"
                ));
        }
        (Some(_), Some(_)) => {}
        // Half a time is no time: the record is reported rather than placed at the
        // object's time.
        (Some(_), None) | (None, Some(_)) if record_time_ms(&m).is_none() => {
            return Err(
                "fields `date` and `time` come together; this record has only one of them"
                    .to_owned(),
            );
        }
        _ => {}
    }
    Ok(m)
}

/// The request time of a parsed CloudFront record, in epoch milliseconds: `date` and
/// `time` (standard logs), else `timestamp(ms)` or `timestamp` (real-time log fields
/// that standard logging v2 can select).
pub fn record_time_ms(m: &Map<String, Value>) -> Option<i64> {
    if let (Some(Value::String(date)), Some(Value::String(time))) = (m.get("date"), m.get("time")) {
        return date_and_time_ms(date, time);
    }
    let ms = m.get("timestamp(ms)").and_then(Value::as_f64).or_else(|| {
        m.get("timestamp")
            .and_then(Value::as_f64)
            .map(|s| s * 1000.0)
    })?;
    (ms.is_finite() && ms > 0.0).then(|| ms.round() as i64)
}

struct CloudFrontFormat {
    fields: Option<CloudFrontFields>,
    /// The object is standard logging (v2)'s JSON output: one object per line.
    json: bool,
}

impl LineFormat for CloudFrontFormat {
    fn directive(&mut self, line: &[u8], number: u64) -> Result<bool, ParseError> {
        if self.json {
            return Ok(false);
        }
        if line.first() != Some(&b'#') {
            if self.fields.is_none() {
                if line.trim_ascii_start().first() == Some(&b'{') {
                    self.json = true;
                    return Ok(false);
                }
                return Err(ParseError::MissingCloudFrontFields { line: number });
            }
            return Ok(false);
        }
        if line.starts_with(b"#Fields:") {
            let text = std::str::from_utf8(line).map_err(|_| ParseError::HeaderNotUtf8 {
                format: "CloudFront #Fields",
                line: number,
            })?;
            self.fields = CloudFrontFields::parse(text);
        }
        Ok(true)
    }

    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        match &self.fields {
            _ if self.json => parse_json_record(line).map(Fields::Map),
            Some(fields) => fields.parse_record(line).map(Fields::Map),
            None => Err("record before any #Fields header".to_owned()),
        }
    }
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    parse_lines(
        &mut LineReader::new(reader),
        &mut CloudFrontFormat {
            fields: None,
            json: false,
        },
        out,
    )
}

#[cfg(test)]
pub(crate) mod samples {
    /// The 33-field layout CloudFront writes today, with one Hit over HTTP/2 and one IPv6 Error.
    pub(crate) const FILE: &str = concat!(
        "#Version: 1.0\n",
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n",
        "2019-12-04\t21:02:31\tLAX1-C3\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/images/caf%C3%A9%20menu.png\t200\thttps://www.example.com/\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\tsize=large&v=2\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\twww.example.com\thttps\t23\t0.001\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\timage/png\t78\t-\t-\n",
        "2019-12-04\t21:02:31\tSEA19-C1\t465\t2001:db8:85a3::8a2e:370:7334\tGET\td111111abcdef8.cloudfront.net\t/missing\t404\t-\tcurl/7.68.0\t-\t-\tError\tk6WGMNkEzR5BEM_SaF47gjtX9zBDO2m349OY2an0QPEaUum1ZOLrow==\twww.example.com\thttps\t40\t0.013\t198.51.100.7\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tError\tHTTP/1.1\t-\t-\t50536\t0.013\tError\ttext/html\t221\t-\t-\n",
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::samples::FILE;
    use super::*;
    use crate::logs::test_support::{collect, collect_from};
    use crate::logs::LogType;

    #[test]
    fn cloudfront_fields_header_names_every_value() {
        let got = collect(LogType::CloudFront, FILE);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 2);
        let first = &got.records[0];
        assert_eq!((first.index, first.line), (0, Some(3)));
        let m = &first.fields;
        assert_eq!(m["date"], "2019-12-04");
        assert_eq!(m["x-edge-location"], "LAX1-C3");
        assert_eq!(m["sc-bytes"], 392);
        assert_eq!(m["c-ip"], "192.0.2.100");
        assert_eq!(m["sc-status"], 200);
        assert_eq!(m["time-taken"], json!(0.001));
        assert_eq!(m["cs-uri-query"], "size=large&v=2");
        assert!(!m.contains_key("cs(Cookie)"));
        assert_eq!(m["c-port"], 11040);
        assert_eq!(m["sc-content-type"], "image/png");
    }

    /// Ingest trial 6, D1: standard logging (v2)'s JSON output, one object per line with
    /// the W3C field names, reads as the same records as the W3C file, by key or content.
    #[test]
    fn standard_logging_v2_json_output_reads_as_the_w3c_records() {
        let w3c = collect(LogType::CloudFront, FILE);
        let names: Vec<&str> = FILE.lines().nth(1).unwrap()["#Fields: ".len()..]
            .split(' ')
            .collect();
        let json: String = FILE
            .lines()
            .skip(2)
            .map(|line| {
                let object: Map<String, Value> = names
                    .iter()
                    .zip(line.split('\t'))
                    .map(|(n, v)| {
                        // Numbers as JSON numbers, as a JSON writer may give them.
                        let value = match (*n, v.parse::<u64>()) {
                            ("sc-bytes" | "sc-status", Ok(x)) => json!(x),
                            _ => json!(v),
                        };
                        (n.to_string(), value)
                    })
                    .collect();
                format!("{}\n", Value::Object(object))
            })
            .collect();
        assert_eq!(
            crate::logs::detect::detect_by_content(json.as_bytes()),
            Ok(LogType::CloudFront)
        );
        let got = collect(LogType::CloudFront, &json);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 2);
        for (a, b) in got.records.iter().zip(&w3c.records) {
            assert_eq!(*a.fields, *b.fields);
        }
        assert_eq!(
            crate::logs::detect::detect_by_key(
                "AWSLogs/123456789012/CloudFront/E2QWRUHEXAMPLE/2024/12/01/10/E2QWRUHEXAMPLE.2024-12-01-10.abcd1234.gz"
            ),
            crate::logs::detect::KeyDetection::Detected(LogType::CloudFront)
        );
    }

    #[test]
    fn cloudfront_user_agent_and_uri_stem_are_url_decoded() {
        let got = collect(LogType::CloudFront, FILE);
        let m = &got.records[0].fields;
        assert_eq!(m["cs-uri-stem"], "/images/café menu.png");
        assert_eq!(
            m["cs(User-Agent)"],
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
        );
        assert_eq!(
            got.records[1].fields["c-ip"],
            "2001:db8:85a3::8a2e:370:7334"
        );
    }

    #[test]
    fn cloudfront_field_count_mismatch_is_a_record_error() {
        let input = format!("{FILE}2019-12-04\t21:02:31\tLAX1-C3\n");
        let got = collect(LogType::CloudFront, &input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(
            got.errors[0].reason,
            "expected 33 tab-separated fields (from #Fields), found 3"
        );
        assert_eq!(got.errors[0].line, Some(5));
    }

    /// CloudFront writes `-` for a field with no value (numbers included), and
    /// `sc-status` 000 when "the viewer closed the connection before CloudFront could
    /// respond to the request".
    #[test]
    fn cloudfront_documented_special_values_parse() {
        let header = "#Version: 1.0\n#Fields: date time sc-bytes sc-status cs-bytes time-taken c-port time-to-first-byte sc-content-len sc-range-start sc-range-end cs(User-Agent) cs-uri-stem\n";
        let input = format!("{header}2019-12-04\t21:02:31\t-\t000\t-\t-\t-\t-\t-\t-\t-\t-\t-\n");
        let got = collect(LogType::CloudFront, &input);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let m = &got.records[0].fields;
        assert_eq!(m["sc-status"], 0);
        for absent in [
            "sc-bytes",
            "cs-bytes",
            "time-taken",
            "c-port",
            "time-to-first-byte",
            "sc-content-len",
            "sc-range-start",
            "sc-range-end",
            "cs(User-Agent)",
            "cs-uri-stem",
        ] {
            assert!(!m.contains_key(absent), "{absent}: {:?}", m.get(absent));
        }
    }

    #[test]
    fn cloudfront_bad_date_is_a_record_error() {
        let input = "#Version: 1.0\n#Fields: date time sc-status\n2019-13-04\t21:02:31\t200\n";
        let got = collect(LogType::CloudFront, input);
        assert!(
            got.errors[0].reason.contains("`date`"),
            "{}",
            got.errors[0].reason
        );
    }

    #[test]
    fn cloudfront_record_before_fields_header_fails_the_object() {
        let err = collect_from(LogType::CloudFront, "2019-12-04\t21:02:31\t200\n", 0)
            .err()
            .unwrap();
        assert!(
            matches!(err, ParseError::MissingCloudFrontFields { line: 1 }),
            "{err}"
        );
    }

    #[test]
    fn cloudfront_resume_skips_header_lines_from_the_index_count() {
        let resumed = collect_from(LogType::CloudFront, FILE, 1).unwrap();
        assert_eq!(resumed.records.len(), 1);
        assert_eq!(resumed.records[0].index, 1);
        assert_eq!(resumed.records[0].line, Some(4));
    }
}
