//! CloudTrail log files: one JSON document `{"Records":[ {...}, ... ]}` per object.
//!
//! The `Records` array is streamed element by element: `json_scan`
//! cuts out one record at a time and only that record is parsed, into a
//! [`CloudTrailEvent`] view of the fields the OCSF mapping reads, so a
//! multi-gigabyte file never sits in memory, records before a resume point are
//! skipped without parsing, and one malformed record does not fail the rest.
//! Insights files (`CloudTrail-Insight/`) have the same shape with
//! `eventType: AwsCloudTrailInsight`; digest files are skipped by key detection
//! before they get here.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::json_scan::{stream_array, JsonScanner};
use super::{Emitter, Fields, ParseError};

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    let mut s = JsonScanner::new(reader);
    match s.peek()? {
        Some(b'{') => s.bump(),
        None => return Err(not_cloudtrail("the object is empty")),
        Some(_) => return Err(not_cloudtrail("the document is not a JSON object")),
    }
    let mut found = false;
    let mut key = Vec::with_capacity(16);
    if s.peek()? == Some(b'}') {
        s.bump();
    } else {
        loop {
            let next = s.peek()?;
            if next != Some(b'"') {
                return Err(s.unexpected(next, "a key"));
            }
            s.read_value(Some(&mut key), 64)?;
            s.expect(b':', "after a key")?;
            if key == b"\"Records\"" && !found {
                found = true;
                if s.peek()? != Some(b'[') {
                    return Err(not_cloudtrail("\"Records\" is not an array"));
                }
                if stream_array(&mut s, out, decode, Some(decode_prefix))? {
                    return Ok(());
                }
            } else {
                s.read_value(None, 0)?;
            }
            match s.peek()? {
                Some(b',') => s.bump(),
                Some(b'}') => {
                    s.bump();
                    break;
                }
                other => return Err(s.unexpected(other, "`,` or `}` after a value")),
            }
        }
    }
    if let Some(trailing) = s.peek()? {
        return Err(s.unexpected(Some(trailing), "the end of the document"));
    }
    if !found {
        return Err(not_cloudtrail("the document has no \"Records\" array"));
    }
    Ok(())
}

/// Reads one record of the `Records` array into the fields the OCSF mapping uses.
pub(crate) fn decode(text: &str) -> Result<Fields<'_>, String> {
    if !text.starts_with('{') {
        return super::json_scan::decode_map(text);
    }
    let view: CloudTrailEvent =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON record: {e}"))?;
    if !view.is_record() {
        // An EventBridge event is mapped by its envelope; anything else is refused
        // with the reason, in the words every JSON source uses.
        let map = serde_json::from_str(text).unwrap_or_default();
        return super::json_source::accept(super::LogType::CloudTrail, map);
    }
    Ok(Fields::CloudTrail(Box::new(view)))
}

/// [`decode`] of the record object at the start of `text`, with its length; `None`
/// when `text` does not start with a whole valid object (see `json_scan::DecodePrefix`).
pub(crate) fn decode_prefix(text: &str) -> Option<(Fields<'_>, usize)> {
    if !text.starts_with('{') {
        return None;
    }
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<CloudTrailEvent>();
    let view = values.next()?.ok().filter(CloudTrailEvent::is_record)?;
    Some((Fields::CloudTrail(Box::new(view)), values.byte_offset()))
}

/// The fields of a CloudTrail record that the OCSF mapping reads, with strings
/// borrowed from the record's text where they hold no escapes.
///
/// Reading is as lenient as a JSON map: a field of another type than documented
/// reads as absent, and unknown fields are skipped (their syntax is still checked).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CloudTrailEvent<'a> {
    #[serde(borrow)]
    pub event_time: Text<'a>,
    #[serde(borrow)]
    pub event_type: Text<'a>,
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub event_source: Text<'a>,
    #[serde(borrow)]
    pub api_version: Text<'a>,
    #[serde(borrow, rename = "requestID")]
    pub request_id: Text<'a>,
    #[serde(borrow)]
    pub error_code: Text<'a>,
    #[serde(borrow)]
    pub error_message: Text<'a>,
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip_address: Text<'a>,
    #[serde(borrow)]
    pub user_agent: Text<'a>,
    #[serde(borrow)]
    pub recipient_account_id: Text<'a>,
    #[serde(borrow)]
    pub aws_region: Text<'a>,
    #[serde(borrow)]
    pub user_identity: Object<UserIdentity<'a>>,
    #[serde(borrow)]
    pub insight_details: Object<InsightDetails<'a>>,
    #[serde(borrow)]
    pub resources: List<Object<Resource<'a>>>,
    #[serde(borrow)]
    pub response_elements: Object<SignInResult<'a>>,
}

/// The result AWS sign-in events write in `responseElements`, named after the event:
/// `{"ConsoleLogin": "Failure"}` (CloudTrail User Guide, "AWS Management Console
/// sign-in events"). Other API calls' response elements are not read here.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SignInResult<'a> {
    #[serde(borrow, rename = "ConsoleLogin")]
    pub console_login: Text<'a>,
    #[serde(borrow, rename = "SwitchRole")]
    pub switch_role: Text<'a>,
    #[serde(borrow, rename = "ExitRole")]
    pub exit_role: Text<'a>,
    #[serde(borrow, rename = "RenewRole")]
    pub renew_role: Text<'a>,
    #[serde(borrow, rename = "CheckMfa")]
    pub check_mfa: Text<'a>,
}

impl SignInResult<'_> {
    /// The result (`Success`, `Failure`) written under the event's own name.
    pub fn of(&self, event_name: &str) -> Option<&str> {
        match event_name {
            "ConsoleLogin" => self.console_login.get(),
            "SwitchRole" => self.switch_role.get(),
            "ExitRole" => self.exit_role.get(),
            "RenewRole" => self.renew_role.get(),
            "CheckMfa" => self.check_mfa.get(),
            _ => None,
        }
    }
}

impl CloudTrailEvent<'_> {
    /// True when the record has one of the fields every CloudTrail record has
    /// (`json_source::identifying_fields`): an object without them is not a record.
    pub fn is_record(&self) -> bool {
        [
            &self.event_time,
            &self.event_name,
            &self.event_source,
            &self.event_type,
        ]
        .iter()
        .any(|t| t.get().is_some())
    }
}

/// `userIdentity`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub principal_id: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub account_id: Text<'a>,
    #[serde(borrow)]
    pub access_key_id: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub invoked_by: Text<'a>,
    #[serde(borrow)]
    pub session_context: Object<SessionContext<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow)]
    pub session_issuer: Object<SessionIssuer<'a>>,
    #[serde(borrow)]
    pub attributes: Object<SessionAttributes<'a>>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
}

/// `userIdentity.sessionContext.attributes`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionAttributes<'a> {
    #[serde(borrow)]
    pub creation_date: Text<'a>,
    #[serde(borrow)]
    pub mfa_authenticated: Text<'a>,
}

/// `insightDetails` of an Insights event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InsightDetails<'a> {
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub event_source: Text<'a>,
}

/// An element of `resources`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    #[serde(borrow, rename = "ARN")]
    pub arn: Text<'a>,
    /// The ARN prefix of the objects an S3 data event acts on, written instead of `ARN`
    /// (`ListObjects`, `DeleteObjects`: `arn:aws:s3:::bucket/prefix`).
    #[serde(borrow, rename = "ARNPrefix")]
    pub arn_prefix: Text<'a>,
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow, rename = "accountId")]
    pub account_id: Text<'a>,
}

/// A string field: `None` when absent or not a string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl Text<'_> {
    /// The string, if the field held a non-empty one: CloudTrail writes `""` for values
    /// it does not know (a failed sign-in's `userName`, `accountId`), which say nothing.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

/// An object field: `None` when absent or not an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

/// An array field: empty when absent or not an array.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

/// Skips the rest of a value of an unexpected type, checking its syntax.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Visitor methods that read every scalar of an unexpected type as `$none`.
macro_rules! other_types_are {
    ($none:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
    };
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                skip_map(map).map(|()| Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq).map(|()| Text(None))
            }
            other_types_are!(Text(None));
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq).map(|()| Object(None))
            }
            other_types_are!(Object(None));
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                skip_map(map).map(|()| List(Vec::new()))
            }
            other_types_are!(List(Vec::new()));
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn not_cloudtrail(reason: &str) -> ParseError {
    ParseError::NotCloudTrail {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod samples {
    /// Three records: a console sign-in, an EC2 read by an assumed role, and a denied S3 bucket delete.
    pub(crate) const THREE_RECORDS: &str = r#"{"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","userName":"Alice"},"eventTime":"2014-03-06T21:22:54Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},"eventID":"3fcfb2b6-d9c4-4a5a-8b9c-0c1c0b8d1e01","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"},
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:deploy-bot","arn":"arn:aws:sts::123456789012:assumed-role/DeployRole/deploy-bot","accountId":"123456789012","accessKeyId":"ASIAIOSFODNN7EXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::123456789012:role/DeployRole","accountId":"123456789012","userName":"DeployRole"},"attributes":{"creationDate":"2023-11-14T10:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2023-11-14T10:15:02Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"2001:db8::7","userAgent":"aws-cli/2.13.0 Python/3.11.4","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"requestID":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","eventID":"7c5e8a4f-1b2c-4d3e-9f80-123456789abc","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"},
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::123456789012:user/Bob","accountId":"123456789012","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Bob"},"eventTime":"2023-11-14T10:16:40Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","awsRegion":"us-west-2","sourceIPAddress":"203.0.113.9","userAgent":"[aws-cli/2.13.0]","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::123456789012:user/Bob is not authorized to perform: s3:DeleteBucket","requestParameters":{"bucketName":"prod-logs","Host":"prod-logs.s3.us-west-2.amazonaws.com"},"responseElements":null,"requestID":"9F3B2EXAMPLE1234","eventID":"0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d","readOnly":false,"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-logs","accountId":"123456789012"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"prod-logs.s3.us-west-2.amazonaws.com"}}
]}"#;

    /// A DynamoDB data event, with the `apiVersion` DynamoDB events carry (AWS's DynamoDB
    /// CloudTrail examples: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/logging-using-cloudtrail.html>).
    pub(crate) const DYNAMODB_DATA_EVENT: &str = r#"{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:session","arn":"arn:aws:sts::123456789012:assumed-role/role/session","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::123456789012:role/role","accountId":"123456789012","userName":"role"},"attributes":{"creationDate":"2024-05-01T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-05-01T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"PutItem","awsRegion":"us-west-2","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.13.5","requestParameters":{"tableName":"Music"},"responseElements":null,"requestID":"4KBNVRGD25RG1KEO9UT4V3FQDJVV4KQNSO5AEMVJF66Q9ASUAAJG","eventID":"a7a6a5ff-4bbb-4e1b-9d93-4a1f3b7c5d9e","readOnly":false,"resources":[{"accountId":"123456789012","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:us-west-2:123456789012:table/Music"}],"eventType":"AwsApiCall","apiVersion":"2012-08-10","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}]}"#;

    /// An Insights event from a `CloudTrail-Insight/` file.
    pub(crate) const INSIGHT: &str = r#"{"Records":[{"eventVersion":"1.07","eventTime":"2023-11-14T11:00:00Z","awsRegion":"us-east-1","eventID":"55e5b8b0-8b7c-4c1c-9e35-ec7a0b0c0b0b","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"12345678-90ab-cdef-1234-567890abcdef","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":5.0}}}},"eventCategory":"Insight"}]}"#;
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use std::borrow::Cow;

    use super::samples::*;
    use crate::logs::test_support::{collect, collect_from};
    use crate::logs::{parse_stream, Fields, LogType, ParseError};

    /// Records decoded in place from the read buffer and records scanned out of it (across
    /// buffer edges, pretty-printed, not UTF-8, malformed) are the same records.
    #[test]
    fn cloudtrail_records_are_the_same_whatever_the_read_buffer_holds() {
        let first = THREE_RECORDS.lines().nth(1).unwrap().trim_end_matches(',');
        let mut input = b"{\"Records\": [ ".to_vec();
        for record in [
            first.as_bytes(),
            b"{\"eventName\": \"Get\",\n  \"awsRegion\": \"us-east-1\"}",
            b"{\"eventName\":\"bad \xff byte\"}",
            b"{\"eventName\": }",
            b"[1]",
            first.as_bytes(),
        ] {
            input.extend_from_slice(record);
            input.extend_from_slice(b" ,\n ");
        }
        input.extend_from_slice(b"{\"eventName\":\"Last\"} ]}");
        let read = |capacity: usize| {
            let mut got = Vec::new();
            let reader = std::io::BufReader::with_capacity(capacity, &input[..]);
            let summary = parse_stream(LogType::CloudTrail, reader, 0, &mut |item| {
                got.push(item.map(|r| r.into_owned()));
                ControlFlow::Continue(())
            })
            .unwrap();
            (got, summary)
        };
        let whole = read(input.len());
        assert_eq!((whole.1.records, whole.1.malformed), (5, 2));
        assert!(whole.0[2].as_ref().unwrap().invalid_utf8);
        for capacity in [1, 7, 64, 700, 1500] {
            assert_eq!(read(capacity), whole, "buffer of {capacity} bytes");
        }
    }

    #[test]
    fn cloudtrail_file_with_three_records_streams_each_in_order() {
        let got = collect(LogType::CloudTrail, THREE_RECORDS);
        assert!(got.errors.is_empty());
        let names: Vec<_> = got
            .records
            .iter()
            .map(|r| r.fields["eventName"].clone())
            .collect();
        assert_eq!(names, ["ConsoleLogin", "DescribeInstances", "DeleteBucket"]);
        let indexes: Vec<_> = got.records.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [0, 1, 2]);
        assert!(got.records.iter().all(|r| r.line.is_none()));
        assert_eq!(got.summary.records, 3);
        assert_eq!(got.summary.next_index, 3);
        assert!(!got.summary.stopped_early);
    }

    #[test]
    fn cloudtrail_resume_from_start_index_skips_earlier_records() {
        let got = collect_from(LogType::CloudTrail, THREE_RECORDS, 2).unwrap();
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].index, 2);
        assert_eq!(got.records[0].fields["eventName"], "DeleteBucket");
        assert_eq!(got.summary.skipped, 2);
    }

    #[test]
    fn cloudtrail_early_stop_returns_ok_with_resume_point() {
        let mut seen = 0;
        let summary = parse_stream(
            LogType::CloudTrail,
            THREE_RECORDS.as_bytes(),
            0,
            &mut |_| {
                seen += 1;
                ControlFlow::Break(())
            },
        )
        .unwrap();
        assert_eq!(seen, 1);
        assert!(summary.stopped_early);
        assert_eq!(summary.next_index, 1);
    }

    #[test]
    fn cloudtrail_insight_records_use_the_records_array() {
        let got = collect(LogType::CloudTrail, INSIGHT);
        assert_eq!(got.records[0].fields["eventType"], "AwsCloudTrailInsight");
    }

    #[test]
    fn cloudtrail_document_without_records_is_a_parse_error() {
        let digest = r#"{"awsAccountId":"123456789012","digestStartTime":"2023-11-14T10:00:00Z","logFiles":[]}"#;
        let err = collect_from(LogType::CloudTrail, digest, 0).err().unwrap();
        assert!(matches!(err, ParseError::NotCloudTrail { .. }), "{err}");
        assert!(err.to_string().contains("no \"Records\" array"), "{err}");
    }

    #[test]
    fn cloudtrail_non_array_records_is_a_parse_error() {
        let doc = r#"{"Records":{"eventName":"x"}}"#;
        let err = collect_from(LogType::CloudTrail, doc, 0).err().unwrap();
        assert!(matches!(err, ParseError::NotCloudTrail { .. }), "{err}");
    }

    /// A top-level array is records saved one by one (never a `Records` file): each
    /// element is read, and one that is not a CloudTrail record is refused alone.
    #[test]
    fn cloudtrail_top_level_array_is_read_element_by_element() {
        let doc = format!(
            r#"[{}, {{"a":1}}]"#,
            crate::logs::json_lines::samples::CLOUDTRAIL_BARE_RECORD
        );
        let got = collect_from(LogType::CloudTrail, &doc, 0).unwrap();
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.errors.len(), 1);
        assert!(
            got.errors[0].reason.contains("not a cloudtrail record"),
            "{:?}",
            got.errors
        );
    }

    #[test]
    fn cloudtrail_truncated_file_emits_complete_records_then_fails() {
        let cut = &THREE_RECORDS[..THREE_RECORDS.len() - 40];
        let mut records = 0;
        let err = parse_stream(LogType::CloudTrail, cut.as_bytes(), 0, &mut |r| {
            assert!(r.is_ok());
            records += 1;
            ControlFlow::Continue(())
        })
        .unwrap_err();
        assert_eq!(records, 2);
        assert!(matches!(err, ParseError::InvalidJson { .. }), "{err}");
    }

    #[test]
    fn cloudtrail_non_object_record_is_a_record_error() {
        let doc = r#"{"Records":[{"eventName":"A"}, 42, {"eventName":"B"}]}"#;
        let got = collect(LogType::CloudTrail, doc);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].index, 2);
        assert_eq!(got.errors[0].index, 1);
        assert_eq!(
            got.errors[0].reason,
            "expected a JSON object, found a number"
        );
        assert_eq!(got.errors[0].excerpt, "42");
    }

    #[test]
    fn cloudtrail_record_with_invalid_json_inside_is_a_record_error() {
        let doc = r#"{"Records":[{"eventName":"A"},{"eventName":tru},{"eventName":"C"}]}"#;
        let got = collect(LogType::CloudTrail, doc);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].fields["eventName"], "C");
        assert_eq!(got.errors[0].index, 1);
        assert!(
            got.errors[0].reason.starts_with("invalid JSON record"),
            "{}",
            got.errors[0].reason
        );
        assert_eq!(got.errors[0].excerpt, r#"{"eventName":tru}"#);
    }

    #[test]
    fn cloudtrail_view_reads_fields_of_unexpected_types_as_absent() {
        // Wrong types anywhere (a number name, a string identity, an object where a list
        // belongs, a list where a string belongs) leave the record a record, as a map did.
        let doc = r#"{"Records":[{"eventName":5,"eventSource":["s3"],"userIdentity":"root","resources":{"ARN":"x"},"requestParameters":{"deep":[1,{"a":null}]},"awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","eventTime":"2023-11-14T10:16:40Z","recipientAccountId":null,"insightDetails":[1]},{"eventName":"B","userIdentity":{"type":"IAMUser","sessionContext":{"sessionIssuer":7,"attributes":{"mfaAuthenticated":true}}},"resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Bucket"},3,"x"]}]}"#;
        let mut seen = 0;
        parse_stream(LogType::CloudTrail, doc.as_bytes(), 0, &mut |r| {
            let r = r.unwrap();
            let Fields::CloudTrail(view) = &r.fields else {
                panic!("CloudTrail records carry the typed view")
            };
            seen += 1;
            if r.index == 0 {
                assert_eq!(view.event_name.get(), None);
                assert_eq!(view.event_source.get(), None);
                assert!(view.user_identity.0.is_none());
                assert!(view.resources.0.is_empty());
                assert!(view.insight_details.0.is_none());
                assert_eq!(view.aws_region.get(), Some("eu-west-1"));
                assert_eq!(view.recipient_account_id.get(), None);
            } else {
                let identity = view.user_identity.0.as_ref().unwrap();
                assert_eq!(identity.kind.get(), Some("IAMUser"));
                let context = identity.session_context.0.as_ref().unwrap();
                assert!(context.session_issuer.0.is_none());
                let attributes = context.attributes.0.as_ref().unwrap();
                assert_eq!(attributes.mfa_authenticated.get(), None);
                let resources: Vec<_> = view.resources.0.iter().map(|r| r.0.is_some()).collect();
                assert_eq!(resources, vec![true, false, false]);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen, 2);
    }

    #[test]
    fn cloudtrail_view_borrows_plain_strings_and_unescapes_the_others() {
        let doc =
            r#"{"Records":[{"eventName":"GetObject","userAgent":"a \"quoted\" agent\u00e9"}]}"#;
        parse_stream(LogType::CloudTrail, doc.as_bytes(), 0, &mut |r| {
            let r = r.unwrap();
            let Fields::CloudTrail(view) = &r.fields else {
                panic!("CloudTrail records carry the typed view")
            };
            assert!(matches!(
                view.event_name.0,
                Some(Cow::Borrowed("GetObject"))
            ));
            assert_eq!(view.user_agent.get(), Some("a \"quoted\" agenté"));
            ControlFlow::Continue(())
        })
        .unwrap();
    }

    #[test]
    fn cloudtrail_duplicate_field_is_a_record_error_naming_it() {
        let doc = r#"{"Records":[{"eventName":"A","eventName":"B"},{"eventName":"C"}]}"#;
        let got = collect(LogType::CloudTrail, doc);
        assert_eq!(got.records.len(), 1);
        assert!(
            got.errors[0].reason.contains("duplicate field `eventName`"),
            "{}",
            got.errors[0].reason
        );
    }

    #[test]
    fn cloudtrail_records_key_after_other_keys_is_found() {
        let doc = r#"{"Version":{"nested":["]"]},"Records":[{"eventName":"A"}]}"#;
        assert_eq!(collect(LogType::CloudTrail, doc).records.len(), 1);
    }

    #[test]
    fn cloudtrail_empty_object_is_a_parse_error() {
        let err = collect_from(LogType::CloudTrail, "  ", 0).err().unwrap();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn cloudtrail_trailing_garbage_is_a_parse_error() {
        let doc = r#"{"Records":[]} trailing"#;
        assert!(collect_from(LogType::CloudTrail, doc, 0).is_err());
    }
}
