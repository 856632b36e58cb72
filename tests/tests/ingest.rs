//! Ingestion end to end against the emulator: S3 notification -> SQS -> handler -> sink.

use std::io::Read;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::fake_aws::{FakeAws, Reply};
use integration_tests::ingestion::{run, s3_event, Scene};
use integration_tests::ocsf::assert_valid_ocsf;
use integration_tests::samples::{self, gzip};
use integration_tests::{create_queue, receive_as_sqs_event, unique_name, Emulator};
use s3connector::config::Config;
use s3connector::ingest::{self, IngestConfig, IngestContext};
use serde_json::{json, Value};

const ACCT: &str = "123456789012";

/// One object per supported log type, at the key AWS delivers it to, with the OCSF
/// classes its records must map to (by record index; one entry covers every record)
/// and how many records it holds.
fn fixtures() -> Vec<(String, Vec<u8>, &'static [u64], u64)> {
    let day = "2026/11/23";
    let mut ct = Vec::new();
    samples::cloudtrail(&mut ct, 7, 11).unwrap();
    let mut vpc = Vec::new();
    samples::vpc_flow(&mut vpc, 40, 12).unwrap();
    let mut alb = Vec::new();
    samples::alb(&mut alb, 15, 13).unwrap();
    // The following lines are the examples in the AWS documentation of each format.
    let nlb = r#"tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2018-12-20T02:59:30
"#;
    let elb = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -
2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2
"#;
    let s3access = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes
"#;
    let cloudfront = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-\n";
    let waf = json!({"timestamp": 1795428000000u64, "formatVersion": 1, "webaclId": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/my-acl/a1b2c3d4", "terminatingRuleId": "AWS-AWSManagedRulesSQLiRuleSet", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK", "httpSourceName": "ALB", "httpSourceId": "123456789012-app/my-alb/50dc6c495c0c9188", "ruleGroupList": [], "rateBasedRuleList": [], "nonTerminatingMatchingRules": [], "httpRequest": {"clientIp": "203.0.113.7", "country": "US", "headers": [{"name": "Host", "value": "www.example.com"}], "uri": "/login", "args": "id=1%27%20OR%201=1", "httpVersion": "HTTP/1.1", "httpMethod": "POST", "requestId": "1-6741ab12-0123456789abcdef"}}).to_string() + "\n";
    let guardduty = json!({"schemaVersion": "2.0", "accountId": ACCT, "region": "us-east-1", "partition": "aws", "id": "60baffd3f9042e38640f2300d5c5a631", "arn": "arn:aws:guardduty:us-east-1:123456789012:detector/4eb7e2d8/finding/60baffd3f9042e38640f2300d5c5a631", "type": "Recon:EC2/PortProbeUnprotectedPort", "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-0abcdef1234567890"}}, "service": {"serviceName": "guardduty", "count": 3}, "severity": 2, "createdAt": "2026-11-23T09:00:00.000Z", "updatedAt": "2026-11-23T10:00:00.000Z", "title": "Unprotected port on EC2 instance i-0abcdef1234567890 is being probed.", "description": "EC2 instance has an unprotected port which is being probed by a known malicious host."}).to_string() + "\n";
    let route53 = json!({"version": "1.100000", "account_id": ACCT, "region": "us-east-1", "vpc_id": "vpc-0a1b2c3d", "query_timestamp": "2026-11-23T10:00:00Z", "query_name": "example.com.", "query_type": "A", "query_class": "IN", "rcode": "NOERROR", "answers": [{"Rdata": "93.184.216.34", "Type": "A", "Class": "IN"}], "srcaddr": "10.0.1.5", "srcport": "53312", "transport": "UDP", "srcids": {"instance": "i-0abcdef1234567890"}}).to_string() + "\n";
    let generic = "{\"level\":\"info\",\"msg\":\"user signed in\",\"ts\":\"2026-11-23T10:00:00Z\"}\n{\"level\":\"warn\",\"msg\":\"slow query\",\"ts\":\"2026-11-23T10:00:01Z\"}\n";
    let text = "plain line one\nplain line two\nplain line three\n";
    let cw_control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1795428000000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    let cw_data = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/checkout","logStream":"2026/11/23/[$LATEST]0123456789abcdef","subscriptionFilters":["to-s3"],"logEvents":[{"id":"37836485610295382749103847561029384756102938475610293847","timestamp":1795428001000,"message":"START RequestId: 6f1d2c3b Version: $LATEST"},{"id":"37836485610295382749103847561029384756102938475610293848","timestamp":1795428001250,"message":"{\"level\":\"error\",\"msg\":\"payment declined\"}"}]}"#;
    // ALB connection log entries as the field list documents them: an mTLS success and
    // a rejected client certificate.
    let alb_conn = r#"2026-11-23T10:00:01.123456Z 203.0.113.20 50001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.012 "CN=device-17,O=Example Corp" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 7A3F01 Success TID_5f2e9c0d1a2b3c4d
2026-11-23T10:00:02.654321Z 198.51.100.9 50002 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=old-device" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z 01 Failed:ClientCertExpired TID_6a7b8c9d0e1f2a3b
"#;
    let elb_key = format!("AWSLogs/{ACCT}/elasticloadbalancing/us-east-1/{day}");
    vec![
        (format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/{day}/{ACCT}_CloudTrail_us-east-1_20261123T1000Z_abcDEF123.json.gz"), gzip(&ct), &[6003], 7),
        (format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/{day}/{ACCT}_vpcflowlogs_us-east-1_fl-0a1b2c3d_20261123T1000Z_5b2c1d0e.log.gz"), gzip(&vpc), &[4001], 40),
        (format!("{elb_key}/{ACCT}_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_2kfy8e4q.log.gz"), gzip(&alb), &[4002], 15),
        (format!("{elb_key}/{ACCT}_elasticloadbalancing_us-east-1_net.my-nlb.c6e77e28c25b2234_20261123T1000Z_a1b2c3d4.log.gz"), gzip(nlb.as_bytes()), &[4001], 1),
        (format!("{elb_key}/{ACCT}_elasticloadbalancing_us-east-1_my-loadbalancer_20261123T1000Z_172.160.001.192_20sg8hgm.log"), elb.as_bytes().to_vec(), &[4002, 4001], 2),
        ("s3-access/2026-11-23-10-00-00-A1B2C3D4E5F60718".to_string(), s3access.as_bytes().to_vec(), &[6003], 1),
        ("cloudfront/E2EXAMPLE123.2019-12-04-21.a1b2c3d4.gz".to_string(), gzip(cloudfront.as_bytes()), &[4002], 1),
        (format!("AWSLogs/{ACCT}/WAFLogs/us-east-1/my-acl/2026/11/23/10/00/{ACCT}_waflogs_us-east-1_my-acl_20261123T1000Z_a1b2.log.gz"), gzip(waf.as_bytes()), &[4002], 1),
        (format!("AWSLogs/{ACCT}/GuardDuty/us-east-1/{day}/6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.jsonl.gz"), gzip(guardduty.as_bytes()), &[2004], 1),
        (format!("AWSLogs/{ACCT}/vpcdnsquerylogs/vpc-0a1b2c3d/{day}/vpc-0a1b2c3d_vpcdnsquerylogs_{ACCT}_20261123T1000Z_a1b2.log.gz"), gzip(route53.as_bytes()), &[4003], 1),
        ("apps/web/events.json".to_string(), generic.as_bytes().to_vec(), &[0], 2),
        ("apps/web/notes.txt".to_string(), text.as_bytes().to_vec(), &[0], 3),
        // Firehose names objects after the delivery stream and writes each envelope as its own gzip member.
        ("firehose/2026/11/23/10/cwl-to-s3-1-2026-11-23-10-00-00-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c".to_string(), [gzip(cw_control.as_bytes()), gzip(cw_data.as_bytes())].concat(), &[0], 2),
        (format!("{elb_key}/conn_log.{ACCT}_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_9xk2m1qa.log.gz"), gzip(alb_conn.as_bytes()), &[4001], 2),
    ]
}

#[tokio::test]
async fn every_log_type_is_delivered_record_by_record() {
    let s = Scene::new().await;
    let fixtures = fixtures();
    for (key, body, _, _) in &fixtures {
        s.put(key, body.clone()).await;
    }
    let event = receive_as_sqs_event(&s.clients, &s.queue_url, &s.queue_arn, fixtures.len())
        .await
        .unwrap();
    let ctx = s.context(&[]);
    let outcome = run(&ctx, event).await;
    assert!(
        outcome.failed_message_ids.is_empty(),
        "{:#?}",
        outcome.counts
    );
    let c = &outcome.counts;
    assert_eq!(c.objects_delivered, fixtures.len() as u64, "{c:#?}");
    assert_eq!(c.records_rejected, 0, "{c:#?}");
    assert_eq!(c.records_in, c.records_delivered + c.records_rejected);

    let outputs = s.output_objects("source=").await;
    let events: Vec<Value> = outputs
        .iter()
        .flat_map(|(_, text)| {
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    for (key, _, class_uids, count) in &fixtures {
        let mine: Vec<&Value> = events
            .iter()
            .filter(|e| e["unmapped"]["source_object"]["key"] == key.as_str())
            .collect();
        assert_eq!(mine.len() as u64, *count, "records of {key}");
        let mut indexes: Vec<u64> = mine
            .iter()
            .map(|e| {
                e["unmapped"]["source_object"]["record_index"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        indexes.sort_unstable();
        assert_eq!(
            indexes,
            (0..*count).collect::<Vec<_>>(),
            "record indexes of {key}"
        );
        for e in mine {
            let index = e["unmapped"]["source_object"]["record_index"]
                .as_u64()
                .unwrap() as usize;
            let class_uid = class_uids[index.min(class_uids.len() - 1)];
            assert_eq!(
                e["class_uid"].as_u64(),
                Some(class_uid),
                "class of {key}: {e}"
            );
            assert_eq!(e["metadata"]["uid"].as_str().unwrap().len(), 64, "{key}");
            assert!(e["time"].as_i64().is_some(), "time of {key}: {e}");
            assert_valid_ocsf(e);
        }
    }
    let uids: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), events.len(), "uids must be unique");
    let ct_key = outputs
        .iter()
        .find(|(k, _)| k.starts_with("source=cloudtrail/"))
        .unwrap()
        .0
        .clone();
    assert!(
        ct_key.starts_with(&format!(
            "source=cloudtrail/account={ACCT}/region=us-east-1/dt=2026-11-23/"
        )),
        "{ct_key}"
    );
    // A Firehose key names no account: the partition takes the one the events carry.
    assert!(
        outputs.iter().any(|(k, _)| k.starts_with(&format!(
            "source=cwlogs/account={ACCT}/region=unknown/dt=2026-11-23/"
        ))),
        "{:?}",
        outputs.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn redelivered_message_overwrites_with_identical_output() {
    let s = Scene::new().await;
    let (key, body, _, _) = fixtures().swap_remove(1);
    let event = s.put_and_receive(&key, body).await;
    let ctx = s.context(&[("S3CONNECTOR_CHUNK_RECORDS", "100")]);
    run(&ctx, event.clone()).await;
    let first = s.output_objects("source=").await;
    let again = run(&ctx, event).await;
    assert!(again.failed_message_ids.is_empty());
    assert_eq!(s.output_objects("source=").await, first);
    assert_eq!(first.len(), 1);
}

#[tokio::test]
async fn large_records_are_cut_into_byte_bounded_chunks_named_by_their_first_record() {
    let s = Scene::new().await;
    // About 2.5 KB of output per record: 1,500 records are several 1 MiB chunks.
    let mut doc = Vec::new();
    samples::cloudtrail(&mut doc, 1_500, 7).unwrap();
    let key = format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/2026/11/23/{ACCT}_CloudTrail_us-east-1_20261123T1100Z_big.json.gz");
    let event = s.put_and_receive(&key, gzip(&doc)).await;
    let ctx = s.context(&[("S3CONNECTOR_CHUNK_MAX_BYTES", "1048576")]);
    let outcome = run(&ctx, event.clone()).await;
    assert!(outcome.failed_message_ids.is_empty());
    assert_eq!(outcome.counts.records_delivered, 1_500);
    let outputs = s.output_objects("source=cloudtrail/").await;
    assert!(outputs.len() >= 3, "{} chunks", outputs.len());
    let mut next = 0u64;
    for (key, text) in &outputs {
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            text.len() < 1_048_576 + 16_384,
            "{key}: {} bytes",
            text.len()
        );
        // Keys sort in record order: the zero-padded first index names each chunk.
        assert!(
            key.ends_with(&format!("-{next:010}.json.gz")),
            "{key}, expected first record {next}"
        );
        for line in &lines {
            let event: Value = serde_json::from_str(line).unwrap();
            assert_eq!(event["metadata"]["sequence"], next, "{key}");
            next += 1;
        }
    }
    assert_eq!(next, 1_500, "every record once, in order");
    run(&ctx, event).await;
    assert_eq!(s.output_objects("source=cloudtrail/").await, outputs);
}

#[tokio::test]
async fn poison_message_yields_a_reject_record_without_failing_the_batch() {
    let s = Scene::new().await;
    let event = json!({"Records": [{
        "messageId": "poison-1", "receiptHandle": "x", "body": "{\"not\": \"a notification\"}",
        "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
        "eventSourceARN": s.queue_arn, "awsRegion": "us-east-1"
    }]});
    let outcome = run(&s.context(&[]), event).await;
    assert!(outcome.failed_message_ids.is_empty());
    assert_eq!(outcome.counts.rejected, 1);
    let rejects = s.output_objects("rejects/kind=message/").await;
    assert_eq!(rejects.len(), 1);
    let r: Value = serde_json::from_str(&rejects[0].1).unwrap();
    assert_eq!(r["message_id"], "poison-1");
    assert_eq!(r["message_body"], "{\"not\": \"a notification\"}");
    assert!(r["reason"].as_str().unwrap().contains("[not]"), "{r}");
}

#[tokio::test]
async fn object_deleted_before_processing_is_a_permanent_reject() {
    let s = Scene::new().await;
    let (key, body, _, _) = fixtures().swap_remove(0);
    let event = s.put_and_receive(&key, body).await;
    s.clients
        .s3()
        .delete_object()
        .bucket(&s.logs)
        .key(&key)
        .send()
        .await
        .unwrap();
    let outcome = run(&s.context(&[]), event).await;
    assert!(outcome.failed_message_ids.is_empty());
    assert_eq!(outcome.counts.objects_rejected, 1);
    let rejects = s.output_objects("rejects/kind=object/").await;
    let r: Value = serde_json::from_str(&rejects[0].1).unwrap();
    assert_eq!(r["object"]["key"], key.as_str());
    assert!(
        r["reason"].as_str().unwrap().contains("no longer exists"),
        "{r}"
    );
}

/// The event without what names its source object: the uid (a hash of the object's key),
/// `unmapped.source_object` (bucket, key, ETag, line).
fn without_source_object(mut event: Value) -> Value {
    event["metadata"].as_object_mut().unwrap().remove("uid");
    event["unmapped"]
        .as_object_mut()
        .unwrap()
        .remove("source_object");
    event
}

#[tokio::test]
async fn parquet_flow_logs_give_the_events_of_the_same_flows_in_text() {
    let s = Scene::new().await;
    let mut text = Vec::new();
    samples::vpc_flow(&mut text, 700, 21).unwrap();
    let parquet = samples::vpc_flow_parquet(std::str::from_utf8(&text).unwrap(), 256);
    let name = format!("{ACCT}_vpcflowlogs_us-east-1_fl-1_20261123T1000Z_a1b2c3d4");
    let text_key = format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2026/11/23/{name}.log.gz");
    // Parquet delivery with Hive-compatible prefixes and hourly partitions.
    let parquet_key = format!("AWSLogs/aws-account-id={ACCT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=23/hour=10/{name}.log.parquet");
    let ctx = s.context(&[]);
    for (key, body) in [(&text_key, gzip(&text)), (&parquet_key, parquet)] {
        let event = s.put_and_receive(key, body).await;
        let outcome = run(&ctx, event).await;
        assert!(outcome.failed_message_ids.is_empty(), "{key}");
        let c = &outcome.counts;
        assert_eq!((c.records_delivered, c.records_rejected), (700, 0), "{key}");
        assert_eq!(c.objects_rejected, 0, "{key}");
    }
    let mut by_key: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for event in s.delivered_events().await {
        let key = event["unmapped"]["source_object"]["key"]
            .as_str()
            .unwrap()
            .to_string();
        by_key.entry(key).or_default().push(event);
    }
    let mut sorted = |key: &str| {
        let mut events = by_key.remove(key).unwrap_or_default();
        events.sort_by_key(|e| e["metadata"]["sequence"].as_u64());
        events
    };
    let (from_text, from_parquet) = (sorted(&text_key), sorted(&parquet_key));
    assert_eq!(from_parquet.len(), 700);
    for (t, p) in from_text.iter().zip(&from_parquet) {
        assert_valid_ocsf(p);
        assert!(p["unmapped"]["source_object"].get("line").is_none());
        assert_eq!(
            without_source_object(p.clone()),
            without_source_object(t.clone())
        );
    }
}

#[tokio::test]
async fn corrupt_parquet_flow_logs_are_rejected_with_the_reason_not_parsed_as_text() {
    let s = Scene::new().await;
    let key = format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2026/11/23/{ACCT}_vpcflowlogs_us-east-1_fl-1_20261123T1000Z_a1b2c3d4.log.parquet");
    // Magic bytes, then noise where the pages and the footer should be.
    let mut body = b"PAR1".to_vec();
    body.extend((0u8..=255).cycle().take(4096));
    body.extend_from_slice(b"PAR1");
    let event = s.put_and_receive(&key, body).await;
    let outcome = run(&s.context(&[]), event).await;
    assert!(outcome.failed_message_ids.is_empty());
    assert_eq!(outcome.counts.objects_rejected, 1);
    assert_eq!(outcome.counts.records_delivered, 0);
    assert!(s.output_objects("source=").await.is_empty());
    let rejects = s.output_objects("rejects/kind=object/").await;
    let r: Value = serde_json::from_str(&rejects[0].1).unwrap();
    assert_eq!(r["object"]["key"], key.as_str());
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("unreadable VPC flow log Parquet file:"),
        "{r}"
    );
}

#[tokio::test]
async fn parquet_over_the_spool_limit_is_rejected_naming_the_setting() {
    let s = Scene::new().await;
    let mut text = Vec::new();
    samples::vpc_flow(&mut text, 120_000, 22).unwrap();
    let parquet = samples::vpc_flow_parquet(std::str::from_utf8(&text).unwrap(), 50_000);
    assert!(parquet.len() > 1024 * 1024, "{}", parquet.len());
    let key = format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2026/11/23/{ACCT}_vpcflowlogs_us-east-1_fl-1_20261123T1000Z_big.log.parquet");
    let event = s.put_and_receive(&key, parquet).await;
    let ctx = s.context(&[("S3CONNECTOR_MAX_SPOOL_BYTES", "1048576")]);
    let outcome = run(&ctx, event).await;
    assert_eq!(outcome.counts.objects_rejected, 1);
    let rejects = s.output_objects("rejects/kind=object/").await;
    let r: Value = serde_json::from_str(&rejects[0].1).unwrap();
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("S3CONNECTOR_MAX_SPOOL_BYTES"),
        "{r}"
    );
}

#[tokio::test]
async fn malformed_lines_are_rejected_and_the_rest_delivered() {
    let s = Scene::new().await;
    let key = format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2026/11/23/{ACCT}_vpcflowlogs_us-east-1_fl-1_20261123T1000Z_x.log");
    let mut vpc = Vec::new();
    samples::vpc_flow(&mut vpc, 5, 3).unwrap();
    vpc.extend_from_slice(b"2 123456789012 eni-truncated\n");
    let event = s.put_and_receive(&key, vpc).await;
    let outcome = run(&s.context(&[]), event).await;
    let c = &outcome.counts;
    assert_eq!(
        (c.records_in, c.records_delivered, c.records_rejected),
        (6, 5, 1)
    );
    let rejects = s.output_objects("rejects/kind=records/").await;
    let r: Value = serde_json::from_str(&rejects[0].1).unwrap();
    assert_eq!(r["records"][0]["line"], 7);
    assert!(
        r["records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("found 3"),
        "{r}"
    );
}

#[tokio::test]
async fn sink_outage_is_a_transient_failure_reported_in_the_batch() {
    let s = Scene::new().await;
    let (key, body, _, _) = fixtures().swap_remove(2);
    let event = s.put_and_receive(&key, body).await;
    // Port 1 on loopback refuses connections: the HTTP endpoint is down.
    let ctx = s.context(&[
        ("S3CONNECTOR_SINK", "http"),
        ("S3CONNECTOR_HTTP_URL", "http://127.0.0.1:1/ingest"),
        ("S3CONNECTOR_HTTP_MAX_ATTEMPTS", "1"),
    ]);
    let outcome = run(&ctx, event.clone()).await;
    let ids: Vec<String> = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["body"].as_str().unwrap().contains("ObjectCreated"))
        .map(|r| r["messageId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcome.failed_message_ids, ids);
    assert_eq!(outcome.counts.objects_failed, 1);
    assert!(
        s.output_objects("rejects/").await.is_empty(),
        "a transient failure is not a reject"
    );
}

#[tokio::test]
async fn object_running_out_of_time_continues_through_the_queue() {
    let s = Scene::new().await;
    let (key, body, _, count) = fixtures().swap_remove(1);
    let event = s.put_and_receive(&key, body).await;
    let ctx = s.context(&[
        ("S3CONNECTOR_CHUNK_RECORDS", "100"),
        ("S3CONNECTOR_INGEST_QUEUE_URL", &s.queue_url),
        ("S3CONNECTOR_TIME_RESERVE_SECONDS", "60"),
    ]);
    // 30 s left, less than the 60 s reserve: nothing is delivered, a continuation is sent.
    let first = ingest::handle(event, &ctx, Instant::now() + Duration::from_secs(30)).await;
    assert_eq!(first.counts.objects_continued, 1, "{:#?}", first.counts);
    assert!(s.output_objects("source=").await.is_empty());
    let sqs = s.clients.sqs();
    let received = sqs
        .receive_message()
        .queue_url(&s.queue_url)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let body = received.messages()[0].body().unwrap().to_string();
    assert!(body.contains("s3connector_continuation"), "{body}");
    let cont = json!({"Records": [{"messageId": "c1", "receiptHandle": "x", "body": body, "eventSource": "aws:sqs", "eventSourceARN": s.queue_arn, "awsRegion": "us-east-1"}]});
    let second = run(&ctx, cont).await;
    assert_eq!(second.counts.objects_delivered, 1, "{:#?}", second.counts);
    assert_eq!(second.counts.records_delivered, count);
}

/// A minimal Elasticsearch `_bulk` endpoint on loopback with the one behaviour the sink
/// relies on: `create` of an `_id` that exists answers 409. Every request is kept.
struct BulkServer {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<BulkRequest>>>,
    index: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Value>>>,
}

struct BulkRequest {
    path: String,
    authorization: Option<String>,
    gzip: bool,
    actions: usize,
}

async fn bulk_server() -> BulkServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let index = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let (reqs, idx) = (requests.clone(), index.clone());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (reqs, idx) = (reqs.clone(), idx.clone());
            tokio::spawn(async move {
                // One request per connection: read the head, then Content-Length bytes.
                let mut data = Vec::new();
                let mut chunk = [0u8; 65536];
                let head_end = loop {
                    let n = socket.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed before the request head ended");
                    data.extend_from_slice(&chunk[..n]);
                    if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8(data[..head_end].to_vec()).unwrap();
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                };
                let length: usize = header("content-length").unwrap().parse().unwrap();
                while data.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed before the body ended");
                    data.extend_from_slice(&chunk[..n]);
                }
                let raw = &data[head_end..head_end + length];
                let gzip = header("content-encoding").as_deref() == Some("gzip");
                let mut body = String::new();
                if gzip {
                    flate2::read::MultiGzDecoder::new(raw)
                        .read_to_string(&mut body)
                        .unwrap();
                } else {
                    body = String::from_utf8(raw.to_vec()).unwrap();
                }
                let lines: Vec<&str> = body.lines().collect();
                let mut items = Vec::new();
                let mut errors = false;
                for pair in lines.chunks(2) {
                    let action: Value = serde_json::from_str(pair[0]).unwrap();
                    let id = action["create"]["_id"].as_str().unwrap().to_string();
                    let doc: Value = serde_json::from_str(pair[1]).unwrap();
                    let mut index = idx.lock().unwrap();
                    let status = if index.contains_key(&id) {
                        errors = true;
                        409
                    } else {
                        index.insert(id.clone(), doc);
                        201
                    };
                    let mut item = json!({"_index": "ocsf", "_id": id, "status": status});
                    if status == 409 {
                        item["error"] = json!({"type": "version_conflict_engine_exception", "reason": "document already exists"});
                    }
                    items.push(json!({ "create": item }));
                }
                reqs.lock().unwrap().push(BulkRequest {
                    path: head.split_whitespace().nth(1).unwrap().to_string(),
                    authorization: header("authorization"),
                    gzip,
                    actions: lines.len() / 2,
                });
                let reply = json!({"took": 1, "errors": errors, "items": items}).to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
                socket.shutdown().await.ok();
            });
        }
    });
    BulkServer {
        url,
        requests,
        index,
    }
}

#[tokio::test]
async fn http_sink_indexes_every_record_once_in_elasticsearch_even_when_redelivered() {
    let s = Scene::new().await;
    let fixtures = fixtures();
    let (ct, alb) = (fixtures[0].clone(), fixtures[2].clone());
    let expected = ct.3 + alb.3;
    for (key, body, _, _) in [&ct, &alb] {
        s.put(key, body.clone()).await;
    }
    let event = receive_as_sqs_event(&s.clients, &s.queue_url, &s.queue_arn, 2)
        .await
        .unwrap();
    let server = bulk_server().await;
    let ctx = s.context(&[
        ("S3CONNECTOR_SINK", "http"),
        ("S3CONNECTOR_HTTP_PRESET", "elasticsearch"),
        ("S3CONNECTOR_HTTP_URL", &server.url),
        ("S3CONNECTOR_HTTP_TOKEN", "test-api-key"),
        ("S3CONNECTOR_HTTP_MAX_BATCH_RECORDS", "4"),
    ]);

    let first = run(&ctx, event.clone()).await;
    assert!(first.failed_message_ids.is_empty(), "{first:?}");
    assert_eq!(first.counts.records_delivered, expected);
    assert_eq!(first.counts.objects_delivered, 2);
    {
        let index = server.index.lock().unwrap();
        assert_eq!(index.len() as u64, expected);
        for (id, doc) in index.iter() {
            assert_eq!(
                doc["metadata"]["uid"],
                id.as_str(),
                "uid is the document id"
            );
            assert!(
                doc["class_uid"] == 6003 || doc["class_uid"] == 4002,
                "{doc}"
            );
            assert!(doc["time"].as_i64().unwrap() > 0);
        }
        let requests = server.requests.lock().unwrap();
        assert!(
            requests.len() >= 5,
            "batches of at most 4: {}",
            requests.len()
        );
        for r in requests.iter() {
            assert_eq!(r.path, "/_bulk");
            assert_eq!(r.authorization.as_deref(), Some("ApiKey test-api-key"));
            assert!(r.gzip, "bodies are gzip-encoded");
            assert!(r.actions <= 4);
        }
    }
    assert!(
        s.output_objects("").await.is_empty(),
        "nothing goes to the output bucket: no rejects, no S3 output"
    );

    // SQS delivers the same message again: every create answers 409, which counts as
    // delivered, and the index still holds each record once.
    let again = run(&ctx, event).await;
    assert!(again.failed_message_ids.is_empty(), "{again:?}");
    assert_eq!(again.counts.records_delivered, expected);
    assert_eq!(server.index.lock().unwrap().len() as u64, expected);
    let sent: usize = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.actions)
        .sum();
    assert_eq!(sent as u64, 2 * expected);
}

#[tokio::test]
async fn a_key_with_non_ascii_characters_is_delivered_and_fails_nothing() {
    let s = Scene::new().await;
    // The key from the bug report, which panicked in key detection and failed the batch.
    let odd = "logs/€019-02-06-00-00-38-ABCDEFGH";
    s.put(odd, b"first line\nsecond line\n".to_vec()).await;
    s.put("logs/ordinary.txt", b"one more line\n".to_vec())
        .await;
    let event = receive_as_sqs_event(&s.clients, &s.queue_url, &s.queue_arn, 2)
        .await
        .unwrap();
    let ctx = s.context(&[]);

    let outcome = run(&ctx, event).await;

    assert!(outcome.failed_message_ids.is_empty(), "{outcome:#?}");
    assert_eq!(outcome.counts.objects_delivered, 2, "{:#?}", outcome.counts);
    assert_eq!(outcome.counts.records_delivered, 3);
    assert!(outcome.objects.iter().any(|o| o.key == odd));
}

#[tokio::test]
async fn firehose_gzip_around_cloudwatch_logs_gzip_is_delivered_event_by_event() {
    let s = Scene::new().await;
    let (_, cw_object, _, count) = fixtures().swap_remove(12);
    // Firehose with its own GZIP compression on: the object is gzip around the gzip
    // members of the CloudWatch Logs envelopes, which follow each other with no newline.
    let key = "firehose/2026/11/23/10/cwl-to-s3-2-2026-11-23-10-05-00-0a1b2c3d";
    let event = s.put_and_receive(key, gzip(&cw_object)).await;

    let outcome = run(&s.context(&[]), event).await;

    assert_eq!(outcome.counts.objects_delivered, 1, "{:#?}", outcome.counts);
    assert_eq!(outcome.counts.records_delivered, count);
    assert_eq!(outcome.counts.records_rejected, 0);
    let out = s.output_objects("source=cwlogs/").await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].1.contains("payment declined"), "{}", out[0].1);
}

#[tokio::test]
async fn binary_data_is_rejected_with_the_reason_not_delivered_as_text() {
    let s = Scene::new().await;
    // Deterministic bytes that are not text, under a key that says nothing.
    let mut x: u32 = 0x1234_5678;
    let blob: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let event = s.put_and_receive("uploads/blob.dat", blob).await;

    let outcome = run(&s.context(&[]), event).await;

    assert_eq!(outcome.counts.objects_rejected, 1, "{:#?}", outcome.counts);
    assert_eq!(outcome.counts.records_delivered, 0);
    let rejects = s.output_objects("rejects/kind=object/").await;
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].1.contains("binary"), "{}", rejects[0].1);
    assert!(s.output_objects("source=").await.is_empty());
}

/// An HTTP endpoint on loopback (the test harness's fake server) answering every request
/// with `status` and `body`; returns the server (keep it alive), its URL and the number of
/// requests it answered.
fn fixed_status_server(
    status: u16,
    body: &'static str,
) -> (
    FakeAws,
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    let server = FakeAws::start(move |_| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Reply::Now((
            status,
            vec![("content-type", "application/json".into())],
            body.into(),
        ))
    });
    let url = format!("{}/ingest", server.url);
    (server, url, count)
}

#[tokio::test]
async fn a_permanent_http_sink_error_becomes_a_reject_record_not_a_retry() {
    let s = Scene::new().await;
    let (key, body, _, _) = fixtures().swap_remove(2);
    let event = s.put_and_receive(&key, body).await;
    let (_server, url, requests) = fixed_status_server(400, r#"{"error":"mapping"}"#);
    let ctx = s.context(&[("S3CONNECTOR_SINK", "http"), ("S3CONNECTOR_HTTP_URL", &url)]);

    let outcome = run(&ctx, event).await;

    assert!(outcome.failed_message_ids.is_empty(), "{outcome:#?}");
    assert_eq!(outcome.counts.objects_rejected, 1, "{:#?}", outcome.counts);
    assert_eq!(
        requests.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a 400 is not retried"
    );
    let rejects = s.output_objects("rejects/kind=object/").await;
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].1.contains("HTTP 400"), "{}", rejects[0].1);
}

#[tokio::test]
async fn a_direct_invocation_that_fails_transiently_answers_lambda_with_an_error() {
    let s = Scene::new().await;
    let (key, body, _, _) = fixtures().swap_remove(2);
    let size = body.len();
    s.put(&key, body).await;
    let ctx = s.context(&[
        ("S3CONNECTOR_SINK", "http"),
        ("S3CONNECTOR_HTTP_URL", "http://127.0.0.1:1/ingest"),
        ("S3CONNECTOR_HTTP_MAX_ATTEMPTS", "1"),
    ]);

    let outcome = run(&ctx, s3_event(&s.logs, &key, size)).await;

    assert!(!outcome.from_sqs);
    assert_eq!(outcome.counts.objects_failed, 1, "{:#?}", outcome.counts);
    let err = ingest::lambda_response(&outcome).unwrap_err();
    assert!(err.to_string().contains(&key), "{err}");
    // Once the endpoint is back, the same direct invocation succeeds with its counts.
    let (_server, url, _) = fixed_status_server(200, "{}");
    let ctx = s.context(&[("S3CONNECTOR_SINK", "http"), ("S3CONNECTOR_HTTP_URL", &url)]);
    let outcome = run(&ctx, s3_event(&s.logs, &key, size)).await;
    let counts = ingest::lambda_response(&outcome).unwrap();
    assert_eq!(counts["objects_delivered"], 1, "{counts}");
}

#[tokio::test]
async fn continuations_are_sent_with_the_functions_own_identity_not_the_source_role() {
    // Two emulators stand for two accounts: the logs live in the source account, read
    // with the source role's clients; the output bucket and the ingest queue are the
    // function's own, and only the function's clients reach them.
    let source_emu = Emulator::start_private();
    let source_clients = source_emu.clients().await;
    let own_emu = Emulator::start_private();
    let own_clients = own_emu.clients().await;
    let logs = unique_name("it-xacct-src");
    let output = unique_name("it-xacct-out");
    source_clients
        .s3()
        .create_bucket()
        .bucket(&logs)
        .send()
        .await
        .unwrap();
    own_clients
        .s3()
        .create_bucket()
        .bucket(&output)
        .send()
        .await
        .unwrap();
    let (queue_url, _) = create_queue(&own_clients, &unique_name("it-xacct-ingest"))
        .await
        .unwrap();
    let (key, body, _, _) = fixtures().swap_remove(1);
    let size = body.len();
    source_clients
        .s3()
        .put_object()
        .bucket(&logs)
        .key(&key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
    let vars: Vec<(String, String)> = vec![
        ("S3CONNECTOR_OUTPUT_BUCKET".into(), output.clone()),
        ("S3CONNECTOR_INGEST_QUEUE_URL".into(), queue_url.clone()),
        ("S3CONNECTOR_CHUNK_RECORDS".into(), "100".into()),
    ];
    let lookup = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let config = Config::from_lookup(&lookup).unwrap();
    let settings = IngestConfig::from_lookup(&lookup).unwrap();
    let ctx = IngestContext::new(
        &config,
        settings,
        source_clients,
        own_clients.clone(),
        &lookup,
    )
    .unwrap();

    // 30 s left, under the 60 s reserve: the object is handed to a continuation at once.
    let outcome = ingest::handle(
        s3_event(&logs, &key, size),
        &ctx,
        Instant::now() + Duration::from_secs(30),
    )
    .await;

    assert_eq!(outcome.counts.objects_continued, 1, "{outcome:#?}");
    let received = own_clients
        .sqs()
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let body = received.messages()[0].body().unwrap();
    assert!(body.contains("s3connector_continuation"), "{body}");
}
