//! CloudTrail log files: one JSON document `{"Records":[ {...}, ... ]}` per object.
//!
//! The `Records` array is streamed element by element: [`super::json_scan`]
//! cuts out one record at a time and only that record is parsed, so a
//! multi-gigabyte file never sits in memory, records before a resume point are
//! skipped without parsing, and one malformed record does not fail the rest.
//! Insights files (`CloudTrail-Insight/`) have the same shape with
//! `eventType: AwsCloudTrailInsight`; digest files are skipped by key detection
//! before they get here.

use std::io::BufRead;

use super::json_scan::{stream_array, JsonScanner};
use super::{Emitter, ParseError};

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
                if stream_array(&mut s, out)? {
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
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::123456789012:user/Bob","accountId":"123456789012","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Bob"},"eventTime":"2023-11-14T10:16:40Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","awsRegion":"us-west-2","sourceIPAddress":"203.0.113.9","userAgent":"[aws-cli/2.13.0]","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::123456789012:user/Bob is not authorized to perform: s3:DeleteBucket","requestParameters":{"bucketName":"prod-logs","Host":"prod-logs.s3.us-west-2.amazonaws.com"},"responseElements":null,"requestID":"9F3B2EXAMPLE1234","eventID":"0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d","readOnly":false,"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-logs"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"prod-logs.s3.us-west-2.amazonaws.com"}}
]}"#;

    /// An Insights event from a `CloudTrail-Insight/` file.
    pub(crate) const INSIGHT: &str = r#"{"Records":[{"eventVersion":"1.07","eventTime":"2023-11-14T11:00:00Z","awsRegion":"us-east-1","eventID":"55e5b8b0-8b7c-4c1c-9e35-ec7a0b0c0b0b","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"12345678-90ab-cdef-1234-567890abcdef","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":5.0}}}},"eventCategory":"Insight"}]}"#;
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use super::samples::*;
    use crate::logs::test_support::{collect, collect_from};
    use crate::logs::{parse_stream, LogType, ParseError};

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
    fn cloudtrail_top_level_array_or_non_array_records_is_a_parse_error() {
        for doc in [r#"[{"eventName":"x"}]"#, r#"{"Records":{"eventName":"x"}}"#] {
            let err = collect_from(LogType::CloudTrail, doc, 0).err().unwrap();
            assert!(
                matches!(err, ParseError::NotCloudTrail { .. }),
                "{doc}: {err}"
            );
        }
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
