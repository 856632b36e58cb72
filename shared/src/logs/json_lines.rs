//! JSON logs: WAF, GuardDuty exports, Route 53 Resolver query logs, and any other JSON.
//!
//! AWS writes these one JSON object per line. Generic JSON objects may also be a
//! whole-file array or one or more pretty-printed (multi-line) objects; the
//! first non-blank line decides which:
//! - it starts with `[`: the file is one array, streamed element by element;
//! - it is an unfinished object ending in `{`, `[`, `,` or `:`: the file is
//!   concatenated JSON values, read one value at a time;
//! - anything else: one object per line, where a bad line is a record error.

use std::io::{BufRead, Cursor, Read};

use serde_json::{Map, Value};

use super::json_scan::{decode_map, stream_array, stream_values, JsonScanner};
use super::line_reader::{is_blank, parse_lines, LineFormat, LineReader};
use super::{Emitter, Fields, ParseError};

/// Parses one NDJSON line, which must be a JSON object.
pub fn parse_line(line: &str) -> Result<Map<String, Value>, String> {
    serde_json::from_str::<Map<String, Value>>(line).map_err(|e| format!("not a JSON object: {e}"))
}

struct JsonLineFormat;

impl LineFormat for JsonLineFormat {
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        parse_line(line).map(Fields::Map)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Lines,
    Array,
    Concatenated,
}

fn layout_of(first_line: &[u8]) -> Layout {
    let trimmed = first_line.trim_ascii();
    match trimmed.first() {
        Some(b'[') => Layout::Array,
        Some(b'{') => match serde_json::from_slice::<serde::de::IgnoredAny>(trimmed) {
            Err(e) if e.is_eof() && matches!(trimmed.last(), Some(b'{' | b'[' | b',' | b':')) => {
                Layout::Concatenated
            }
            _ => Layout::Lines,
        },
        _ => Layout::Lines,
    }
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    let mut lines = LineReader::new(reader);
    let layout = loop {
        match lines.next_line()? {
            None => return Ok(()),
            Some(line) if is_blank(line.bytes) => continue,
            Some(line) if line.overflow.is_some() => break Layout::Lines,
            Some(line) => break layout_of(line.bytes),
        }
    };
    if layout == Layout::Lines {
        lines.unread();
        return parse_lines(&mut lines, &mut JsonLineFormat, out);
    }
    let (mut first, rest) = lines.into_parts();
    first.push(b'\n');
    let mut scanner = JsonScanner::new(Cursor::new(first).chain(rest));
    if layout == Layout::Concatenated {
        return stream_values(&mut scanner, out, decode_map);
    }
    if stream_array(&mut scanner, out, decode_map, None)? {
        return Ok(());
    }
    match scanner.peek()? {
        None => Ok(()),
        trailing => Err(scanner.unexpected(trailing, "the end of the document after the array")),
    }
}

#[cfg(test)]
pub(crate) mod samples {
    /// A WAFv2 regional web ACL blocking a SQL injection attempt.
    pub(crate) const WAF_BLOCK: &str = r#"{"timestamp":1576280412771,"formatVersion":1,"webaclId":"arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE","terminatingRuleId":"STMTest_SQLi_XSS","terminatingRuleType":"REGULAR","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION","sensitivityLevel":"HIGH","location":"UNKNOWN","matchedData":["10","AND","1"]}],"httpSourceName":"ALB","httpSourceId":"111122223333-app/my-alb/1234567890abcdef","ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{"clientIp":"1.1.1.1","country":"AU","headers":[{"name":"Host","value":"shop.example.com"},{"name":"User-Agent","value":"curl/7.61.1"}],"uri":"/products","args":"id=10%20AND%201=1","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"rid-1234"},"labels":[{"name":"awswaf:managed:aws:sql-database:SQLi_QueryArguments"}]}"#;
    /// A CloudFront web ACL counting an IPv6 request.
    pub(crate) const WAF_COUNT: &str = r#"{"timestamp":1700000000123,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:111122223333:global/webacl/CfAcl/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"COUNT","httpSourceName":"CF","httpSourceId":"E2QWRUHAPOMQZL","ruleGroupList":[],"responseCodeSent":200,"httpRequest":{"clientIp":"2001:db8::abcd","country":"DE","headers":[{"name":"host","value":"www.example.com"}],"uri":"/","args":"","httpVersion":"HTTP/2.0","httpMethod":"POST","requestId":"Zb9w_EXAMPLE=="}}"#;
    /// A GuardDuty finding as the S3 export writes it (one per line).
    pub(crate) const GUARDDUTY_FINDING: &str = r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/16afba5c5c43e07c9e3e5e2e544e95df","type":"Recon:EC2/PortProbeUnprotectedPort","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-99999999","instanceType":"m3.xlarge","availabilityZone":"us-east-1a"}},"service":{"serviceName":"guardduty","detectorId":"12abc34d567e8fa901bc2d34e56789f0","action":{"actionType":"PORT_PROBE","portProbeAction":{"blocked":false,"portProbeDetails":[{"localPortDetails":{"port":22,"portName":"SSH"},"remoteIpDetails":{"ipAddressV4":"198.51.100.0"}}]}},"archived":false,"count":3,"eventFirstSeen":"2024-01-10T08:01:11.000Z","eventLastSeen":"2024-01-10T09:12:47.000Z"},"severity":8.2,"createdAt":"2024-01-10T08:05:35.000Z","updatedAt":"2024-01-10T09:15:00.123Z","title":"Unprotected port on EC2 instance i-99999999 is being probed.","description":"EC2 instance has an unprotected port which is being probed by a known malicious host."}"#;
    /// A Route 53 Resolver query log entry from an EC2 instance.
    /// A query DNS Firewall blocked (AWS's example in "Values that appear in Resolver query
    /// logs": <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-format.html>).
    pub(crate) const ROUTE53_FIREWALL_BLOCK: &str = r#"{"srcaddr":"4.5.64.102","vpc_id":"vpc-7example","answers":[{"Rdata":"203.0.113.9","Type":"PTR","Class":"IN"}],"firewall_rule_group_id":"rslvr-frg-01234567890abcdef","firewall_rule_action":"BLOCK","query_name":"15.3.4.32.in-addr.arpa.","firewall_domain_list_id":"rslvr-fdl-01234567890abcdef","query_class":"IN","srcids":{"instance":"i-0d15cd0d3example"},"rcode":"NOERROR","query_type":"PTR","transport":"UDP","version":"1.100000","account_id":"111122223333","srcport":"56067","query_timestamp":"2021-02-04T17:51:55Z","region":"us-east-1"}"#;
    pub(crate) const ROUTE53_QUERY: &str = r#"{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-0123456789abcdef0","query_timestamp":"2021-02-04T17:51:55Z","query_name":"www.example.com.","query_type":"AAAA","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"2606:2800:220:1:248:1893:25c8:1946","Type":"AAAA","Class":"IN"}],"srcaddr":"172.31.45.200","srcport":"49870","transport":"UDP","srcids":{"instance":"i-0d15cd0d3example","resolver_endpoint":"rslvr-in-0123456789abcdef0"}}"#;
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::logs::test_support::{collect, collect_from};
    use crate::logs::LogType;

    #[test]
    fn json_lines_yield_one_record_per_line_skipping_blank_lines() {
        let input = format!("{WAF_BLOCK}\n\n   \n{WAF_COUNT}\n");
        let got = collect(LogType::Waf, &input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[0].fields["action"], "BLOCK");
        assert_eq!((got.records[1].index, got.records[1].line), (1, Some(4)));
    }

    #[test]
    fn json_line_that_is_not_an_object_is_a_record_error() {
        let input = format!("{GUARDDUTY_FINDING}\n[1,2]\n{{\"truncated\": \n{GUARDDUTY_FINDING}\n");
        let got = collect(LogType::GuardDuty, &input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.errors.len(), 2);
        assert_eq!(got.errors[0].line, Some(2));
        assert!(
            got.errors[0].reason.starts_with("not a JSON object"),
            "{}",
            got.errors[0].reason
        );
        assert_eq!(got.errors[1].line, Some(3));
        assert_eq!(got.records[1].index, 3);
    }

    #[test]
    fn route53_query_log_lines_parse() {
        let got = collect(LogType::Route53Resolver, ROUTE53_QUERY);
        assert_eq!(got.records[0].fields["query_name"], "www.example.com.");
        assert_eq!(
            got.records[0].fields["srcids"]["instance"],
            "i-0d15cd0d3example"
        );
    }

    #[test]
    fn generic_json_array_file_streams_each_element() {
        let input = "[\n  {\"a\": 1},\n  \"oops\",\n  {\"a\": 3}\n]\n";
        let got = collect(LogType::Json, input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].fields["a"], 3);
        assert_eq!(got.records[1].index, 2);
        assert_eq!(
            got.errors[0].reason,
            "expected a JSON object, found a string"
        );
        let resumed = collect_from(LogType::Json, input, 2).unwrap();
        assert_eq!(resumed.records.len(), 1);
        assert_eq!(resumed.records[0].index, 2);
    }

    #[test]
    fn generic_json_single_pretty_printed_object_is_one_record() {
        let input = "{\n  \"level\": \"info\",\n  \"nested\": {\"k\": [1, 2]}\n}\n";
        let got = collect(LogType::Json, input);
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].fields["nested"]["k"][1], 2);
    }

    #[test]
    fn generic_json_concatenated_pretty_objects_are_separate_records() {
        let input = "{\n \"n\": 1\n}\n{\n \"n\": 2\n}\n";
        let got = collect(LogType::Json, input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].fields["n"], 2);
    }

    #[test]
    fn generic_json_broken_array_is_an_object_level_error() {
        let err = collect_from(LogType::Json, "[{\"a\":1},\n{\"a\":", 0)
            .err()
            .unwrap();
        assert!(matches!(err, ParseError::InvalidJson { .. }), "{err}");
    }

    #[test]
    fn json_records_with_invalid_utf8_are_kept_with_replacement_characters_and_flagged() {
        let lines = crate::logs::test_support::collect_bytes(
            LogType::Json,
            b"{\"a\":\"caf\xe9\"}\n{\"a\":\"ok\"}\n",
        );
        let array = crate::logs::test_support::collect_bytes(
            LogType::Json,
            b"[{\"a\":\"caf\xe9\"},{\"a\":\"ok\"}]",
        );
        for got in [lines, array] {
            assert!(got.errors.is_empty(), "{:?}", got.errors);
            assert_eq!(got.records[0].fields["a"], "caf\u{fffd}");
            assert!(got.records[0].invalid_utf8);
            assert!(!got.records[1].invalid_utf8);
        }
    }

    #[test]
    fn ndjson_with_truncated_first_line_stays_line_oriented() {
        let input = "{\"a\": \"cut\n{\"a\": 2}\n";
        let got = collect(LogType::Json, input);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].line, Some(2));
    }
}
