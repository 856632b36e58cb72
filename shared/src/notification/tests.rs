use super::*;
use serde_json::json;

/// An S3 event record as S3 writes it (event version 2.1, SQS destination).
fn s3_record(event_name: &str, key: &str, size: u64) -> Value {
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventTime": "2026-11-23T10:15:30.123Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "s3connector-ingest",
            "bucket": {
                "name": "example-logs",
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": "arn:aws:s3:::example-logs"
            },
            "object": {
                "key": key,
                "size": size,
                "eTag": "0123456789abcdef0123456789abcdef",
                "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                "sequencer": "0055AED6DCD90281E5"
            }
        }
    })
}

fn s3_event(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

#[test]
fn s3_event_yields_object_with_all_metadata() {
    let body = s3_event(vec![s3_record(
        "ObjectCreated:Put",
        "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/23/file.json.gz",
        1024,
    )]);
    let n = decode(&body.to_string()).unwrap();
    assert_eq!(n.envelope, Envelope::S3Event);
    assert_eq!(
        n.objects,
        vec![ObjectRef {
            bucket: "example-logs".into(),
            key: "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/23/file.json.gz".into(),
            version_id: Some("096fKKXTRTtl3on89fVO.nfljtsv6qko".into()),
            size: Some(1024),
            etag: Some("0123456789abcdef0123456789abcdef".into()),
            sequencer: Some("0055AED6DCD90281E5".into()),
            region: Some("eu-west-1".into()),
            event_time: Some("2026-11-23T10:15:30.123Z".into()),
            event_name: "ObjectCreated:Put".into(),
            start_index: 0,
        }]
    );
    assert!(n.skipped.is_empty());
}

#[test]
fn s3_event_keys_decode_plus_as_space_and_percent_escapes() {
    let cases = [
        ("logs/my+file.log", "logs/my file.log"),
        ("logs/a%2Bb.log", "logs/a+b.log"),
        ("logs/100%25+done.log", "logs/100% done.log"),
        (
            "logs/caf%C3%A9/%E6%97%A5%E6%9C%AC.log",
            "logs/café/日本.log",
        ),
        ("dt%3D2026-11-23/part%3A1.gz", "dt=2026-11-23/part:1.gz"),
        ("plain/key.gz", "plain/key.gz"),
    ];
    for (raw, expected) in cases {
        let n =
            decode(&s3_event(vec![s3_record("ObjectCreated:Put", raw, 10)]).to_string()).unwrap();
        assert_eq!(n.objects[0].key, expected, "raw key {raw}");
    }
}

#[test]
fn invalid_utf8_in_key_is_a_clear_error() {
    let err = decode(&s3_event(vec![s3_record("ObjectCreated:Put", "bad%FF%FE", 10)]).to_string())
        .unwrap_err();
    assert_eq!(
        err,
        NotificationError::InvalidKey {
            bucket: "example-logs".into(),
            raw: "bad%FF%FE".into()
        }
    );
}

#[test]
fn every_object_created_variant_is_processed() {
    for name in [
        "ObjectCreated:Put",
        "ObjectCreated:Post",
        "ObjectCreated:Copy",
        "ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectCreated:Put",
    ] {
        let n = decode(&s3_event(vec![s3_record(name, "k.log", 5)]).to_string()).unwrap();
        assert_eq!(n.objects.len(), 1, "{name}");
    }
}

#[test]
fn non_create_events_directory_markers_and_empty_objects_are_skipped() {
    let body = s3_event(vec![
        s3_record("ObjectRemoved:Delete", "gone.log", 0),
        s3_record("ObjectRestore:Completed", "restored.log", 10),
        s3_record("ObjectTagging:Put", "tagged.log", 10),
        s3_record("ObjectCreated:Put", "folder%2Fsub/", 0),
        s3_record("ObjectCreated:Put", "empty.log", 0),
        s3_record("ObjectCreated:Put", "kept.log", 3),
    ]);
    let n = decode(&body.to_string()).unwrap();
    assert_eq!(n.objects.len(), 1);
    assert_eq!(n.objects[0].key, "kept.log");
    let reasons: Vec<_> = n.skipped.iter().map(|s| s.reason.clone()).collect();
    assert_eq!(
        reasons,
        vec![
            SkipReason::NotACreateEvent {
                event_name: "ObjectRemoved:Delete".into()
            },
            SkipReason::NotACreateEvent {
                event_name: "ObjectRestore:Completed".into()
            },
            SkipReason::NotACreateEvent {
                event_name: "ObjectTagging:Put".into()
            },
            SkipReason::DirectoryMarker,
            SkipReason::EmptyObject,
        ]
    );
    assert_eq!(n.skipped[3].key, "folder/sub/");
}

#[test]
fn unknown_fields_from_newer_event_versions_are_ignored() {
    let mut record = s3_record("ObjectCreated:Put", "k.log", 7);
    record["eventVersion"] = json!("2.5");
    record["awsGeneratedTags"] = json!({"aws:cloudformation:stack-name": "logging"});
    record["s3"]["object"]["awsGeneratedTags"] = json!([{"Key": "aws:createdBy", "Value": "x"}]);
    record["glacierEventData"] = json!({"restoreEventData": {}});
    let n = decode(&s3_event(vec![record]).to_string()).unwrap();
    assert_eq!(n.objects.len(), 1);
}

#[test]
fn sns_wrapped_s3_event_from_sqs_body_is_unwrapped() {
    let inner = s3_event(vec![s3_record("ObjectCreated:Put", "sns/my+key.log", 42)]);
    let body = json!({
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:s3-events",
        "Subject": "Amazon S3 Notification",
        "Message": inner.to_string(),
        "Timestamp": "2026-11-23T10:15:31.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe"
    });
    let n = decode(&body.to_string()).unwrap();
    assert_eq!(n.envelope, Envelope::SnsS3Event);
    assert_eq!(n.objects[0].key, "sns/my key.log");
    assert_eq!(n.objects[0].size, Some(42));
}

#[test]
fn sns_invoking_lambda_directly_is_unwrapped() {
    let inner = s3_event(vec![s3_record("ObjectCreated:Copy", "direct.log", 9)]);
    let event = json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:s3-events:abc",
        "Sns": {"Type": "Notification", "Message": inner.to_string(), "Subject": "Amazon S3 Notification"}
    }]});
    let n = decode_value(&event).unwrap();
    assert_eq!(n.envelope, Envelope::SnsS3Event);
    assert_eq!(n.objects[0].key, "direct.log");
}

#[test]
fn sns_wrapping_a_test_event_is_a_test_event() {
    let body = json!({
        "Type": "Notification",
        "Message": json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "example-logs"}).to_string()
    });
    assert_eq!(
        decode(&body.to_string()).unwrap().envelope,
        Envelope::TestEvent
    );
}

fn eventbridge(detail_type: &str, key: &str, size: u64) -> Value {
    json!({
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": "111122223333",
        "time": "2026-11-23T10:15:30Z",
        "region": "ca-central-1",
        "resources": ["arn:aws:s3:::example-logs"],
        "detail": {
            "version": "0",
            "bucket": {"name": "example-logs"},
            "object": {
                "key": key,
                "size": size,
                "etag": "b1946ac92492d2347c6235b4d2611184",
                "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
                "sequencer": "617f08299329d189"
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject"
        }
    })
}

#[test]
fn eventbridge_object_created_keeps_key_as_stored() {
    let n = decode_value(&eventbridge(
        "Object Created",
        "raw/health check/2023-08-08T14:03:40.532432+1.zip",
        5,
    ))
    .unwrap();
    assert_eq!(n.envelope, Envelope::EventBridge);
    let o = &n.objects[0];
    assert_eq!(o.key, "raw/health check/2023-08-08T14:03:40.532432+1.zip");
    assert_eq!(o.bucket, "example-logs");
    assert_eq!(
        o.version_id.as_deref(),
        Some("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
    );
    assert_eq!(o.etag.as_deref(), Some("b1946ac92492d2347c6235b4d2611184"));
    assert_eq!(o.region.as_deref(), Some("ca-central-1"));
    assert_eq!(o.event_name, "Object Created");
}

#[test]
fn eventbridge_event_inside_sqs_body_is_decoded() {
    let body = eventbridge("Object Created", "k.log", 5).to_string();
    assert_eq!(decode(&body).unwrap().objects.len(), 1);
}

#[test]
fn eventbridge_object_deleted_is_skipped() {
    let n = decode_value(&eventbridge("Object Deleted", "k.log", 0)).unwrap();
    assert!(n.objects.is_empty());
    assert_eq!(
        n.skipped[0].reason,
        SkipReason::NotACreateEvent {
            event_name: "Object Deleted".into()
        }
    );
}

#[test]
fn s3_test_event_is_acknowledged_without_objects() {
    let body = json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-23T10:00:00.000Z",
        "Bucket": "example-logs",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"
    });
    let n = decode(&body.to_string()).unwrap();
    assert_eq!(n.envelope, Envelope::TestEvent);
    assert!(n.objects.is_empty() && n.skipped.is_empty());
}

#[test]
fn body_that_is_not_json_is_rejected_with_parser_position() {
    let err = decode("hello world").unwrap_err();
    assert!(matches!(err, NotificationError::NotJson { .. }));
    assert!(err.to_string().contains("line 1 column 1"), "{err}");
}

#[test]
fn unrelated_json_names_its_fields_but_not_values() {
    let err = decode(r#"{"password":"hunter2","user":"x"}"#).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("[password, user]"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn malformed_s3_record_names_the_record_and_field() {
    let body =
        json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}}}]});
    let err = decode(&body.to_string()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("Records[0]") && msg.contains("object"),
        "{msg}"
    );
}

#[test]
fn records_that_is_not_an_array_is_malformed() {
    let err = decode(r#"{"Records": {"a": 1}}"#).unwrap_err();
    assert!(err.to_string().contains("expected an array"), "{err}");
}

#[test]
fn size_given_as_string_is_accepted() {
    let mut record = s3_record("ObjectCreated:Put", "k.log", 1);
    record["s3"]["object"]["size"] = json!("2048");
    let n = decode(&s3_event(vec![record]).to_string()).unwrap();
    assert_eq!(n.objects[0].size, Some(2048));
}

#[test]
fn null_version_id_of_unversioned_bucket_is_dropped() {
    let mut record = s3_record("ObjectCreated:Put", "k.log", 1);
    record["s3"]["object"]["versionId"] = json!("null");
    let n = decode(&s3_event(vec![record]).to_string()).unwrap();
    assert_eq!(n.objects[0].version_id, None);
}

#[test]
fn continuation_message_round_trips_with_its_start_index() {
    let n = decode(&s3_event(vec![s3_record("ObjectCreated:Put", "big+file.log", 10)]).to_string())
        .unwrap();
    let body = continuation_body(&n.objects[0], 40_000);
    let back = decode(&body).unwrap();
    assert_eq!(back.envelope, Envelope::Continuation);
    assert_eq!(back.objects[0].start_index, 40_000);
    assert_eq!(back.objects[0].key, "big file.log");
    assert_eq!(back.objects[0].etag, n.objects[0].etag);
}
