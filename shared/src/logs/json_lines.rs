//! JSON logs: WAF, GuardDuty exports, Route 53 Resolver query logs, and any other JSON.
//!
//! AWS writes these one JSON object per line. Generic JSON objects may also be a
//! whole-file array or one or more pretty-printed (multi-line) objects; the
//! first non-blank line decides which:
//! - it starts with `[`: the file is one array, streamed element by element;
//! - it is an unfinished object ending in `{`, `[`, `,` or `:`, or a whole object
//!   followed on the same line by another `{` (`{...}{...}`, what Firehose writes when
//!   its records end without a newline): the file is concatenated JSON values, read one
//!   value at a time by the scanner the CloudWatch Logs path uses;
//! - anything else: one object per line, where a bad line is a record error.
//!
//! Each object is then checked as its source's record (see [`super::json_source`]):
//! EventBridge envelopes unwrapped, objects with none of the source's fields refused.

use std::io::{BufRead, Cursor, Read};

use serde_json::{Map, Value};

use super::json_scan::{
    decode_map, stream_array, stream_members, stream_values, Decode, JsonScanner,
};
use super::json_source::accept;
use super::line_reader::{is_blank, parse_lines, LineFormat, LineReader, MAX_LINE_BYTES};
use super::{Emitter, Fields, LogType, ParseError};

/// Parses one NDJSON line, which must be a JSON object.
pub fn parse_line(line: &str) -> Result<Map<String, Value>, String> {
    serde_json::from_str::<Map<String, Value>>(line).map_err(|e| format!("not a JSON object: {e}"))
}

struct JsonLineFormat(LogType);

impl LineFormat for JsonLineFormat {
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        accept(self.0, parse_line(line)?)
    }

    fn split<'t>(&mut self, line: &'t str) -> Option<Vec<&'t str>> {
        split_objects(line)
    }

    fn may_hold_several(&self, line: &[u8]) -> bool {
        closes_then_opens(line)
    }
}

/// The objects of a line that holds several back to back (`{...}{...}` or `{...} {...}`:
/// Firehose records that did not end in a newline, after one that did), or `None` when
/// the line does not start with two whole objects. Whatever follows the last whole
/// object, from a `{` on, is returned as a last piece, to be refused on its own.
fn split_objects(line: &str) -> Option<Vec<&str>> {
    let mut values = serde_json::Deserializer::from_str(line).into_iter::<serde::de::IgnoredAny>();
    let mut pieces = Vec::new();
    let mut start = 0;
    loop {
        let piece_start = start + line[start..].len() - line[start..].trim_start().len();
        match values.next() {
            None => break,
            Some(Ok(_)) => {
                let end = values.byte_offset();
                pieces.push(&line[piece_start..end]);
                start = end;
            }
            Some(Err(_)) => {
                pieces.push(&line[piece_start..]);
                break;
            }
        }
    }
    let objects = pieces.iter().all(|p| p.starts_with('{'));
    (pieces.len() > 1 && objects).then_some(pieces)
}

/// True when a `}` is followed, after optional blanks, by `{`: the only way two objects
/// can meet on a line (inside a string it is a false alarm, settled by parsing).
fn closes_then_opens(line: &[u8]) -> bool {
    memchr::memchr_iter(b'}', line).any(|i| {
        line[i + 1..]
            .iter()
            .find(|c| !matches!(c, b' ' | b'\t' | b'\r'))
            == Some(&b'{')
    })
}

/// [`decode_map`], then [`accept`] as `log_type`'s record.
fn decode_as(log_type: LogType, text: &str) -> Result<Fields<'_>, String> {
    match decode_map(text)? {
        Fields::Map(map) => accept(log_type, map),
        other => Ok(other),
    }
}

/// The scanned-record decoder of each JSON source.
fn decoder(log_type: LogType) -> Decode {
    match log_type {
        LogType::Waf => |t| decode_as(LogType::Waf, t),
        LogType::GuardDuty => |t| decode_as(LogType::GuardDuty, t),
        LogType::Route53Resolver => |t| decode_as(LogType::Route53Resolver, t),
        LogType::CloudTrail => |t| decode_as(LogType::CloudTrail, t),
        // Envelopes and bare CloudTrail records are known record by record, in arrays
        // and back-to-back objects as on lines.
        _ => |t| decode_as(LogType::Json, t),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Lines,
    Array,
    Concatenated,
    /// One object longer than a line may be, streamed member by member.
    Document,
}

fn layout_of(first_line: &[u8]) -> Layout {
    let trimmed = first_line.trim_ascii();
    match trimmed.first() {
        Some(b'[') => Layout::Array,
        Some(b'{') => match serde_json::from_slice::<serde::de::IgnoredAny>(trimmed) {
            Err(e) if e.is_eof() && matches!(trimmed.last(), Some(b'{' | b'[' | b',' | b':')) => {
                Layout::Concatenated
            }
            _ if back_to_back(trimmed) => Layout::Concatenated,
            _ => Layout::Lines,
        },
        _ => Layout::Lines,
    }
}

/// True when `head` starts with a whole JSON object followed, on the same line, by the
/// next object's `{`.
fn back_to_back(head: &[u8]) -> bool {
    let head = head.trim_ascii_start();
    if head.first() != Some(&b'{') {
        return false;
    }
    let mut values =
        serde_json::Deserializer::from_slice(head).into_iter::<serde::de::IgnoredAny>();
    if !matches!(values.next(), Some(Ok(_))) {
        return false;
    }
    let rest = &head[values.byte_offset()..];
    rest.iter().find(|c| !matches!(c, b' ' | b'\t' | b'\r')) == Some(&b'{')
}

/// The input up to the end of its first non-blank line, and whether that line was cut
/// at [`MAX_LINE_BYTES`] (a whole document on one line, far longer than a record line).
/// Reading stops there, so a long line is looked at before any of it is dropped.
fn read_head<R: BufRead>(reader: &mut R) -> std::io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::new();
    let mut line_start = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((head, false));
        }
        let (used, ends_line) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        head.extend_from_slice(&available[..used]);
        reader.consume(used);
        if ends_line {
            if !is_blank(&head[line_start..]) {
                // Its line break included.
                let cut = head.len() - line_start > MAX_LINE_BYTES + 1;
                return Ok((head, cut));
            }
            line_start = head.len();
        } else if head.len() - line_start > MAX_LINE_BYTES {
            return Ok((head, true));
        }
    }
}

pub(crate) fn parse<R: BufRead>(
    mut reader: R,
    log_type: LogType,
    out: &mut Emitter<'_>,
) -> Result<(), ParseError> {
    let decode = decoder(log_type);
    // Back-to-back objects with no newline can make the whole object one line, longer
    // than a line may be: look for them in what the reader holds before reading lines.
    if back_to_back(reader.fill_buf()?) {
        return stream_values(&mut JsonScanner::new(reader), out, decode);
    }
    let (head, cut) = read_head(&mut reader)?;
    let first = head
        .split(|c| *c == b'\n')
        .find(|line| !is_blank(line))
        .unwrap_or_default();
    let layout = match first.trim_ascii_start().first() {
        // A document longer than a line may be: streamed, whatever its size.
        Some(b'[') if cut => Layout::Array,
        Some(b'{') if cut => Layout::Document,
        _ if cut => Layout::Lines,
        _ => layout_of(first),
    };
    let input = Cursor::new(head).chain(reader);
    if layout == Layout::Lines {
        return parse_lines(
            &mut LineReader::new(input),
            &mut JsonLineFormat(log_type),
            out,
        );
    }
    let mut scanner = JsonScanner::new(input);
    match layout {
        Layout::Concatenated => return stream_values(&mut scanner, out, decode),
        Layout::Document => {
            if stream_members(&mut scanner, out, decode)? {
                return Ok(());
            }
            // More documents may follow, back to back.
            return stream_values(&mut scanner, out, decode);
        }
        _ => {}
    }
    if stream_array(&mut scanner, out, decode, None)? {
        return Ok(());
    }
    match scanner.peek()? {
        None => Ok(()),
        trailing => Err(scanner.unexpected(trailing, "the end of the document after the array")),
    }
}

#[cfg(test)]
pub(crate) mod samples {
    /// A GuardDuty finding in the EventBridge envelope GuardDuty emits, as an EventBridge
    /// rule with a Firehose target writes it (elastic/integrations GuardDuty sample finding;
    /// envelope per the GuardDuty User Guide, "GuardDuty findings and EventBridge").
    pub(crate) const GUARDDUTY_EVENTBRIDGE: &str = r#"{"version": "0", "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad", "detail-type": "GuardDuty Finding", "source": "aws.guardduty", "account": "973743533182", "time": "2022-01-28T21:12:25Z", "region": "us-east-2", "resources": [], "detail": {"schemaVersion": "2.0", "accountId": "973743533182", "region": "us-east-2", "partition": "aws", "id": "02bf27df0abb1d745f5d88cda8529329", "arn": "arn:aws:guardduty:us-east-2:973743533182:detector/37da5a0204286ccd967d2395320d4dcd/finding/02bf27df0abb1d745f5d88cda8529329", "type": "Impact:EC2/WinRMBruteForce", "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-99999999", "instanceType": "m3.xlarge", "launchTime": "2016-08-02T02:05:06.000Z", "platform": null, "networkInterfaces": [{"networkInterfaceId": "eni-bfcffe88", "privateIpAddresses": [{"privateDnsName": "GeneratedFindingPrivateName", "privateIpAddress": "10.0.0.1"}], "subnetId": "GeneratedFindingSubnetId", "vpcId": "GeneratedFindingVPCId", "privateDnsName": "GeneratedFindingPrivateDnsName", "securityGroups": [{"groupName": "GeneratedFindingSecurityGroupName", "groupId": "GeneratedFindingSecurityId"}], "publicIp": "81.2.69.144", "ipv6Addresses": [], "publicDnsName": "GeneratedFindingPublicDNSName", "privateIpAddress": "10.0.0.1"}], "instanceState": "running", "availabilityZone": "GeneratedFindingInstaceAvailabilityZone", "imageId": "ami-99999999"}}, "service": {"serviceName": "guardduty", "detectorId": "37da5a0204286ccd967d2395320d4dcd", "action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {"connectionDirection": "OUTBOUND", "localIpDetails": {"ipAddressV4": "10.0.0.23"}, "remoteIpDetails": {"ipAddressV4": "81.2.69.144", "organization": {"asn": "-1", "asnOrg": "GeneratedFindingASNOrg", "isp": "GeneratedFindingISP", "org": "GeneratedFindingORG"}, "country": {"countryName": "GeneratedFindingCountryName"}, "city": {"cityName": "GeneratedFindingCityName"}, "geoLocation": {"lat": 0, "lon": 0}}, "remotePortDetails": {"port": 5985, "portName": "WinRM"}, "localPortDetails": {"port": 32794, "portName": "Unknown"}, "protocol": "TCP", "blocked": false}}, "resourceRole": "ACTOR", "additionalInfo": {"sample": true}, "eventFirstSeen": "2022-01-12T19:22:44.000Z", "eventLastSeen": "2022-01-28T21:12:25.000Z", "archived": false, "count": 4}, "severity": 2, "createdAt": "2022-01-12T19:22:44.470Z", "updatedAt": "2022-01-28T21:12:25.497Z", "title": "EC2 Instance i-99999999 is performing a Windows Remote Management brute force attack against a remote host with the IP address 81.2.69.144.", "description": "EC2 Instance i-99999999 is performing a Windows Remote Management brute force attack."}}"#;
    /// Two CloudTrail sign-in events in their EventBridge envelopes (EventBridge User
    /// Guide's "AWS Console Sign In via CloudTrail" example), one per line.
    pub(crate) const CLOUDTRAIL_EVENTBRIDGE: &str = concat!(
        r#"{"version": "0", "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38", "detail-type": "AWS Console Sign In via CloudTrail", "source": "aws.signin", "account": "111122223333", "time": "2014-07-16T15:49:27Z", "region": "us-east-2", "resources": [], "detail": {"eventVersion": "1.05", "userIdentity": {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE", "arn": "arn:aws:iam::111122223333:user/JohnDoe", "accountId": "111122223333", "userName": "JohnDoe"}, "eventTime": "2014-07-16T15:49:27Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-2", "sourceIPAddress": "192.0.2.110", "userAgent": "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0", "requestParameters": null, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/s3/", "MFAUsed": "No"}, "eventID": "3fcfb182-98f8-4744-bd45-10aEXAMPLE"}}"#,
        "\n",
        r#"{"version": "0", "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38", "detail-type": "AWS Console Sign In via CloudTrail", "source": "aws.signin", "account": "111122223333", "time": "2014-07-08T17:35:27Z", "region": "us-east-2", "resources": [], "detail": {"eventVersion": "1.05", "userIdentity": {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE", "arn": "arn:aws:iam::111122223333:user/JaneDoe", "accountId": "111122223333", "userName": "JaneDoe"}, "eventTime": "2014-07-08T17:35:27Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-2", "sourceIPAddress": "192.0.2.100", "userAgent": "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0", "errorMessage": "Failed authentication", "requestParameters": null, "responseElements": {"ConsoleLogin": "Failure"}, "additionalEventData": {"MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/sns", "MFAUsed": "No"}, "eventID": "11ea990b-4678-4bcd-8fbe-625EXAMPLE"}}"#,
        "\n",
    );
    /// A GuardDuty Malware Protection for S3 scan result, as the GuardDuty User Guide's
    /// "Monitoring S3 object scans with Amazon EventBridge" shows it: an event of the
    /// same `source` as findings, with no finding in its `detail`.
    pub(crate) const MALWARE_SCAN_EVENTBRIDGE: &str = r#"{"version": "0", "id": "3e1a9b8c-0000-1111-2222-333344445555", "detail-type": "GuardDuty Malware Protection Object Scan Result", "source": "aws.guardduty", "account": "111122223333", "time": "2024-02-28T01:01:01Z", "region": "us-east-1", "resources": ["arn:aws:guardduty:us-east-1:111122223333:malware-protection-plan/b4c7f464ab3a4EXAMPLE"], "detail": {"schemaVersion": "1.0", "scanStatus": "COMPLETED", "resourceType": "S3_OBJECT", "s3ObjectDetails": {"bucketName": "amzn-s3-demo-bucket", "objectKey": "APKAEIBAERJR2EXAMPLE", "eTag": "ASIAI44QH8DHBEXAMPLE", "versionId": "d41d8cd98f00b204e9800998eEXAMPLE", "s3Throttled": false}, "scanResultDetails": {"scanResultStatus": "THREATS_FOUND", "threats": [{"name": "EICAR-Test-File (not a virus)"}]}}}"#;
    /// The EC2 state-change event of the EventBridge User Guide ("Amazon EventBridge events").
    pub(crate) const EC2_STATE_CHANGE_EVENTBRIDGE: &str = r#"{"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"], "detail": {"instance-id": "i-abcd1111", "state": "pending"}}"#;
    /// A CloudTrail record as an EventBridge rule with `InputPath: $.detail` writes it
    /// (the record without its envelope, one per line).
    pub(crate) const CLOUDTRAIL_BARE_RECORD: &str = r#"{"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE", "arn": "arn:aws:iam::123456789012:user/bob", "accountId": "123456789012", "userName": "bob"}, "eventTime": "2024-12-01T00:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2", "requestParameters": {"userName": "bob"}, "responseElements": null, "requestID": "r1", "eventID": "e1", "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "123456789012", "eventCategory": "Management"}"#;
    /// A record of a Firehose processing-failed error object under a WAF delivery
    /// stream's error prefix (Firehose Developer Guide, "Data transformation failure
    /// handling"): the failed WAF record is base64 in `rawData`.
    pub(crate) const FIREHOSE_ERROR_RECORD: &str = r#"{"attemptsMade": 4, "arrivalTimestamp": 1714521600000, "errorCode": "Lambda.FunctionError", "errorMessage": "The Lambda function was successfully invoked but it returned an error result.", "attemptEndingTimestamp": 1714521660000, "rawData": "eyJ0aW1lc3RhbXAiOjE1NzYyODA0MTI3NzEsImZvcm1hdFZlcnNpb24iOjEsIndlYmFjbElkIjoiYXJuOmF3czp3YWZ2MjphcC1zb3V0aGVhc3QtMjpFWEFNUExFMTIzNDU6cmVnaW9uYWwvd2ViYWNsL1NUTVRlc3QvMUVYQU1QTEUtMkFSTi0zQVJOLTRBUk4tMTIzNDU2RVhBTVBMRSIsInRlcm1pbmF0aW5nUnVsZUlkIjoiU1RNVGVzdF9TUUxpX1hTUyIsInRlcm1pbmF0aW5nUnVsZVR5cGUiOiJSRUdVTEFSIiwiYWN0aW9uIjoiQkxPQ0siLCJ0ZXJtaW5hdGluZ1J1bGVNYXRjaERldGFpbHMiOlt7ImNvbmRpdGlvblR5cGUiOiJTUUxfSU5KRUNUSU9OIiwibG9jYXRpb24iOiJIRUFERVIiLCJtYXRjaGVkRGF0YSI6WyIxMCIsIkFORCIsIjEiXX1dLCJodHRwU291cmNlTmFtZSI6Ii0iLCJodHRwU291cmNlSWQiOiItIiwicnVsZUdyb3VwTGlzdCI6W10sInJhdGVCYXNlZFJ1bGVMaXN0IjpbXSwibm9uVGVybWluYXRpbmdNYXRjaGluZ1J1bGVzIjpbXSwiaHR0cFJlcXVlc3QiOnsiY2xpZW50SXAiOiI4OS4xNjAuMjAuMTU2IiwiY291bnRyeSI6IkFVIiwiaGVhZGVycyI6W3sibmFtZSI6Ikhvc3QiLCJ2YWx1ZSI6ImxvY2FsaG9zdDoxOTg5In0seyJuYW1lIjoiVXNlci1BZ2VudCIsInZhbHVlIjoiY3VybC83LjYxLjEifSx7Im5hbWUiOiJBY2NlcHQiLCJ2YWx1ZSI6IiovKiJ9LHsibmFtZSI6Ingtc3RtLXRlc3QiLCJ2YWx1ZSI6IjEwIEFORCAxPTEifV0sInVyaSI6Ii9mb28iLCJhcmdzIjoiIiwiaHR0cFZlcnNpb24iOiJIVFRQLzEuMSIsImh0dHBNZXRob2QiOiJHRVQiLCJyZXF1ZXN0SWQiOiJyaWQifSwibGFiZWxzIjpbeyJuYW1lIjoidmFsdWUifV19", "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:transform:$LATEST"}"#;
    /// A WAF log line with the `-` placeholders of `httpSourceName` / `httpSourceId`
    /// (elastic/integrations `test-waf.log`, line 1).
    pub(crate) const WAF_DASH_SOURCE: &str = r#"{"timestamp":1576280412771,"formatVersion":1,"webaclId":"arn:aws:wafv2:ap-southeast-2:EXAMPLE12345:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE","terminatingRuleId":"STMTest_SQLi_XSS","terminatingRuleType":"REGULAR","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION","location":"HEADER","matchedData":["10","AND","1"]}],"httpSourceName":"-","httpSourceId":"-","ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"httpRequest":{"clientIp":"89.160.20.156","country":"AU","headers":[{"name":"Host","value":"localhost:1989"},{"name":"User-Agent","value":"curl/7.61.1"},{"name":"Accept","value":"*/*"},{"name":"x-stm-test","value":"10 AND 1=1"}],"uri":"/foo","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"rid"},"labels":[{"name":"value"}]}"#;
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

    /// Defect 11: Firehose writes records back to back when they end without a newline.
    #[test]
    fn back_to_back_objects_are_split_for_every_json_source() {
        let cloudtrail = CLOUDTRAIL_EVENTBRIDGE.replace('\n', "");
        let guardduty = [GUARDDUTY_EVENTBRIDGE; 3].concat();
        let cases = [
            (
                LogType::Json,
                r#"{"a":1,"ts":1714521600}{"a":2,"ts":1714521601}{"a":3,"ts":1714521602}"#
                    .to_owned(),
                3,
            ),
            (
                LogType::Waf,
                [WAF_BLOCK, WAF_COUNT, WAF_DASH_SOURCE].concat(),
                3,
            ),
            (LogType::GuardDuty, guardduty, 3),
            (
                LogType::Route53Resolver,
                [ROUTE53_QUERY, ROUTE53_QUERY].concat(),
                2,
            ),
            (LogType::CloudTrail, cloudtrail, 2),
            // A first line of two objects, then one per line: split too.
            (
                LogType::Waf,
                format!("{WAF_BLOCK}{WAF_COUNT}\n{WAF_BLOCK}\n"),
                3,
            ),
        ];
        for (log_type, input, n) in cases {
            // CloudTrail tells envelopes from a `Records` file by the first line held in
            // the read buffer (256 KiB as objects are opened): only the whole buffer here.
            let capacities: &[usize] = if log_type == LogType::CloudTrail {
                &[1 << 16]
            } else {
                &[7, 64, 1 << 16]
            };
            for &capacity in capacities {
                let mut records = 0;
                let mut errors = Vec::new();
                let reader = std::io::BufReader::with_capacity(capacity, input.as_bytes());
                crate::logs::parse_stream(log_type, reader, 0, &mut |item| {
                    match item {
                        Ok(_) => records += 1,
                        Err(e) => errors.push(e.reason),
                    }
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
                assert!(errors.is_empty(), "{log_type} {capacity}: {errors:?}");
                assert_eq!(records, n, "{log_type} {capacity}");
            }
        }
    }

    /// Defects 3 and 4: envelopes unwrapped; records with none of the source's fields
    /// are malformed with the reason, in every layout.
    #[test]
    fn envelopes_are_unwrapped_and_foreign_records_are_malformed_with_the_reason() {
        let got = collect(LogType::GuardDuty, GUARDDUTY_EVENTBRIDGE);
        assert_eq!(
            got.records[0].fields["id"],
            "02bf27df0abb1d745f5d88cda8529329"
        );
        assert_eq!(got.records[0].original, GUARDDUTY_EVENTBRIDGE);
        let got = collect(LogType::CloudTrail, CLOUDTRAIL_EVENTBRIDGE);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[0].fields["eventName"], "ConsoleLogin");
        assert_eq!(got.records[0].fields["recipientAccountId"], "111122223333");
        for log_type in [LogType::Waf, LogType::GuardDuty, LogType::Route53Resolver] {
            for input in [
                format!("{FIREHOSE_ERROR_RECORD}\n"),
                [FIREHOSE_ERROR_RECORD, FIREHOSE_ERROR_RECORD].concat(),
                format!("[{FIREHOSE_ERROR_RECORD}]"),
            ] {
                let got = collect(log_type, &input);
                assert!(got.records.is_empty(), "{log_type}");
                assert!(!got.errors.is_empty(), "{log_type}");
                let reason = &got.errors[0].reason;
                assert!(
                    reason
                        .starts_with(&format!("not a {log_type} record (a Firehose error record")),
                    "{reason}"
                );
            }
        }
        // The wrong type forced on another source's file.
        let got = collect(LogType::Waf, GUARDDUTY_FINDING);
        assert!(
            got.errors[0].reason.contains("none of the fields webaclId"),
            "{:?}",
            got.errors
        );
        let ct = collect(
            LogType::CloudTrail,
            &format!("{{\"Records\":[{WAF_BLOCK},{{\"eventName\":\"X\"}}]}}"),
        );
        assert_eq!((ct.records.len(), ct.errors.len()), (1, 1));
        assert!(
            ct.errors[0].reason.contains("not a cloudtrail record"),
            "{:?}",
            ct.errors
        );
    }

    #[test]
    fn ndjson_with_truncated_first_line_stays_line_oriented() {
        let input = "{\"a\": \"cut\n{\"a\": 2}\n";
        let got = collect(LogType::Json, input);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].line, Some(2));
    }

    /// Ingest trial 2, defect 2: a whole export on one line, longer than a line may be,
    /// is streamed: an array's elements, and an object's array members' elements, are
    /// the records; the object's other members are kept as records of their own.
    #[test]
    fn one_line_documents_over_the_line_limit_are_streamed_record_by_record() {
        let n = 80_000;
        let items: Vec<String> = (0..n)
            .map(|i| {
                format!(r#"{{"ts":1733011200,"msg":"event number {i} of the export","i":{i}}}"#)
            })
            .collect();
        let array = format!("[{}]", items.join(","));
        assert!(array.len() > crate::logs::line_reader::MAX_LINE_BYTES);
        let object = format!(r#"{{"items":{array},"count":{n}}}"#);
        for (input, records) in [(&array, n), (&object, n + 1)] {
            for prefix in ["", "\n  \n"] {
                let got = collect(LogType::Json, &format!("{prefix}{input}\n"));
                assert!(got.errors.is_empty(), "{:?}", &got.errors[..1]);
                assert_eq!(got.records.len(), records);
                assert_eq!(got.records[n - 1].fields["i"], n - 1);
            }
        }
        let got = collect(LogType::Json, &object);
        assert_eq!(got.records[n].fields["count"], n);
        assert_eq!(got.records[n].original, format!(r#"{{"count":{n}}}"#));
        // Resuming part-way gives the same records with the same indexes.
        let resumed = collect_from(LogType::Json, &object, 79_990).unwrap();
        assert_eq!(resumed.records.len(), 11);
        assert_eq!(resumed.records[0].index, 79_990);
        assert_eq!(resumed.records[0].fields["i"], 79_990);
    }

    /// Ingest trial 2, defect 6: a UTF-8 byte order mark is skipped by every JSON source,
    /// including whole-document readers (CloudTrail, arrays).
    #[test]
    fn utf8_bom_is_skipped_by_every_json_reader() {
        let bom = "\u{feff}";
        let cases = [
            (
                LogType::CloudTrail,
                crate::logs::cloudtrail::samples::THREE_RECORDS.to_owned(),
                3,
            ),
            (LogType::Json, "[{\"a\":1},{\"a\":2}]".to_owned(), 2),
            (LogType::Json, "{\"a\":1}{\"a\":2}".to_owned(), 2),
            (LogType::GuardDuty, GUARDDUTY_FINDING.to_owned(), 1),
            (LogType::CloudTrail, CLOUDTRAIL_EVENTBRIDGE.to_owned(), 2),
        ];
        for (log_type, input, n) in cases {
            let got = collect(log_type, &format!("{bom}{input}"));
            assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
            assert_eq!(got.records.len(), n, "{log_type}");
        }
    }

    /// A line that holds several objects back to back (a Firehose record that did not
    /// end in a newline, after lines that did) gives one record per object, each with
    /// the line's number; a cut last object is refused alone.
    #[test]
    fn a_later_line_holding_several_objects_gives_a_record_each() {
        let input = concat!(
            "{\"i\":0}\n",
            "{\"i\":1}{\"i\":2} {\"i\":3}\n",
            "{\"i\":4,\"s\":\"}{\"}\n",
            "{\"i\":5}{\"i\":\n",
            "{\"i\":6} trailing\n",
        );
        let got = collect(LogType::Json, input);
        let seen: Vec<(u64, Option<u64>, i64)> = got
            .records
            .iter()
            .map(|r| (r.index, r.line, r.fields["i"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                (0, Some(1), 0),
                (1, Some(2), 1),
                (2, Some(2), 2),
                (3, Some(2), 3),
                (4, Some(3), 4),
                (5, Some(4), 5),
            ]
        );
        assert_eq!(got.records[4].fields["s"], "}{");
        assert_eq!(got.records[2].original, "{\"i\":2}");
        // The cut object after 5, and line 5 whole (not objects back to back).
        let errors: Vec<(u64, Option<u64>)> =
            got.errors.iter().map(|e| (e.index, e.line)).collect();
        assert_eq!(errors, [(6, Some(4)), (7, Some(5))]);
        assert!(
            got.errors[1].reason.contains("trailing characters"),
            "{:?}",
            got.errors
        );
        // Resuming anywhere, even inside a line, skips exactly what the first run
        // delivered and gives the rest with the same indexes.
        for start in 0..=8 {
            let resumed = collect_from(LogType::Json, input, start).unwrap();
            let tail: Vec<u64> = resumed
                .records
                .iter()
                .map(|r| r.index)
                .chain(resumed.errors.iter().map(|e| e.index))
                .collect();
            let mut want: Vec<u64> = (start..8).collect();
            let mut tail = tail;
            tail.sort_unstable();
            want.sort_unstable();
            assert_eq!(tail, want, "start {start}");
            assert_eq!(resumed.summary.skipped, start.min(8), "start {start}");
        }
    }

    /// EventBridge envelopes and bare CloudTrail records are known record by record in
    /// generic JSON read as an array or as back-to-back objects, as they are on lines.
    #[test]
    fn generic_json_arrays_and_concatenated_objects_route_each_record() {
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(CLOUDTRAIL_BARE_RECORD).unwrap(),
        )
        .unwrap();
        let inputs = [
            format!("[{CLOUDTRAIL_BARE_RECORD},{CLOUDTRAIL_BARE_RECORD}]"),
            format!("{CLOUDTRAIL_BARE_RECORD}{CLOUDTRAIL_BARE_RECORD}"),
            format!("{pretty}\n{pretty}\n"),
        ];
        for input in inputs {
            let got = collect(LogType::Json, &input);
            assert!(got.errors.is_empty(), "{:?}", got.errors);
            assert_eq!(got.records.len(), 2);
            for r in &got.records {
                assert_eq!(r.fields.routed_type(), Some(LogType::CloudTrail), "{input}");
            }
        }
    }
}
