//! Test helpers shared by the mapping tests: sources, samples, both writers.

use super::classification::OCSF_VERSION;
use super::json_out::JsonOut;
use super::normalizer::{to_ocsf, Normalizer};
use super::options::{NormalizeOptions, RawMode, SourceObject};
use super::out::EventOut;
use super::value_out::ValueOut;
use crate::logs::test_support::collect;
use crate::logs::{
    cloudfront, cloudtrail, elb, json_lines, s3_access, vpc_flow, LogType, ParsedRecord,
};
use crate::ocsf_check::tests::assert_valid;
use serde_json::Value;

pub(crate) fn source(key: &str) -> SourceObject {
    SourceObject {
        bucket: "central-logs".into(),
        key: key.into(),
        etag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
        version_id: None,
    }
}

pub(super) fn first_event(log_type: LogType, input: &str, key: &str) -> Value {
    events(log_type, input, key).remove(0)
}

/// The events of `input`, each checked against the OCSF schema first.
pub(super) fn events(log_type: LogType, input: &str, key: &str) -> Vec<Value> {
    let got = collect(log_type, input);
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    got.records
        .iter()
        .map(|r| to_ocsf(log_type, r, &source(key), &NormalizeOptions::default()).event)
        .inspect(assert_valid)
        .collect()
}

pub(super) fn assert_class(ev: &Value, class_uid: u64, activity_id: u64) {
    assert_eq!(ev["class_uid"], class_uid, "{ev:#}");
    assert_eq!(ev["activity_id"], activity_id, "{ev:#}");
    assert_eq!(ev["type_uid"], class_uid * 100 + activity_id);
    assert_eq!(ev["metadata"]["version"], OCSF_VERSION);
    assert_eq!(ev["metadata"]["product"]["vendor_name"], "AWS");
}

pub(crate) const RAW_MODES: [RawMode; 4] = [
    RawMode::Auto,
    RawMode::Unmapped,
    RawMode::RawData,
    RawMode::Drop,
];
pub(super) const VPC_KEY: &str = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_fe123456.log.gz";
pub(super) const CT_KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2023/11/14/123456789012_CloudTrail_us-east-1_20231114T1015Z_a1B2c3D4e5F6g7H8.json.gz";

pub(super) const ELB_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_10.0.0.1_5h9ha4x0.log.gz";

pub(super) fn event_text(
    log_type: LogType,
    rec: &ParsedRecord,
    keep_raw: RawMode,
) -> (String, Value) {
    let src = source("x.log");
    let opts = NormalizeOptions {
        keep_raw,
        ..Default::default()
    };
    let mut text = String::new();
    Normalizer::new(log_type, &src, opts).write_event(rec, &mut text);
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

pub(super) fn built(write: impl Fn(&mut dyn EventOut)) -> (Value, Value) {
    let mut value_out = ValueOut::default();
    write(&mut value_out);
    let mut buf = String::new();
    let mut json_out = JsonOut::new(&mut buf);
    write(&mut json_out);
    json_out.finish();
    let text: Value = serde_json::from_str(&buf).expect("writer produced invalid JSON");
    (Value::Object(value_out.finish()), text)
}

/// Every sample of every log type, through both outputs and every raw mode.
pub(crate) fn all_samples() -> Vec<(LogType, String, &'static str)> {
    vec![
        (
            LogType::VpcFlow,
            vpc_flow::samples::TRANSIT_GATEWAY_FILE.to_owned(),
            "tgw/flows.log",
        ),
        (
            LogType::CloudWatchLogs,
            crate::logs::cloudwatch::samples::FIREHOSE_OBJECT.to_owned(),
            "firehose/x.gz",
        ),
        (
            LogType::AlbConnection,
            elb::samples::ALB_CONNECTIONS.to_owned(),
            ELB_KEY,
        ),
        (
            LogType::CloudTrail,
            cloudtrail::samples::THREE_RECORDS.to_owned(),
            CT_KEY,
        ),
        (
            LogType::CloudTrail,
            cloudtrail::samples::INSIGHT.to_owned(),
            CT_KEY,
        ),
        (
            LogType::CloudTrail,
            cloudtrail::samples::DYNAMODB_DATA_EVENT.to_owned(),
            CT_KEY,
        ),
        (
            LogType::VpcFlow,
            vpc_flow::samples::DEFAULT_FILE.to_owned(),
            "flows/a.log",
        ),
        (
            LogType::VpcFlow,
            vpc_flow::samples::CUSTOM_FILE.to_owned(),
            "flows/b.log",
        ),
        (
            LogType::Alb,
            format!(
                "{}\n{}",
                elb::samples::ALB_HTTPS,
                elb::samples::ALB_IPV6_NO_TARGET
            ),
            ELB_KEY,
        ),
        (LogType::Nlb, elb::samples::NLB_TLS.to_owned(), "nlb/x.log"),
        (
            LogType::ClassicElb,
            format!(
                "{}\n{}",
                elb::samples::CLASSIC_HTTP,
                elb::samples::CLASSIC_TCP
            ),
            "elb/x.log",
        ),
        (
            LogType::S3Access,
            format!(
                "{}\n{}",
                s3_access::samples::GET_VERSIONING,
                s3_access::samples::GET_OBJECT_DENIED
            ),
            "s3/2019-02-06-00-00-38-E568B2907131C0C0",
        ),
        (
            LogType::CloudFront,
            cloudfront::samples::FILE.to_owned(),
            "cf/x.gz",
        ),
        (
            LogType::Waf,
            format!(
                "{}\n{}",
                json_lines::samples::WAF_BLOCK,
                json_lines::samples::WAF_COUNT
            ),
            "waf/x.log",
        ),
        (
            LogType::GuardDuty,
            json_lines::samples::GUARDDUTY_FINDING.to_owned(),
            "gd/x.jsonl",
        ),
        (
            LogType::Route53Resolver,
            json_lines::samples::ROUTE53_QUERY.to_owned(),
            "r53/x.log",
        ),
        // As an EventBridge rule with a Firehose target writes them: back to back.
        (
            LogType::GuardDuty,
            [json_lines::samples::GUARDDUTY_EVENTBRIDGE; 2].concat(),
            "firehose/gd-stream-1-2024-05-01-00-00-00-abcd",
        ),
        (
            LogType::CloudTrail,
            json_lines::samples::CLOUDTRAIL_EVENTBRIDGE.to_owned(),
            "firehose/ct-eb-stream-1-2024-05-01-00-00-00-abcd",
        ),
        (
            LogType::Waf,
            json_lines::samples::WAF_DASH_SOURCE.to_owned(),
            "waf/y.log",
        ),
        (
            LogType::Route53Resolver,
            json_lines::samples::ROUTE53_FIREWALL_BLOCK.to_owned(),
            "r53/y.log",
        ),
        (
            LogType::Json,
            r#"{"a":{"b":[1,"x"]},"msg":"hi \"there\""}"#.to_owned(),
            "j/x.json",
        ),
        (
            LogType::Text,
            "2023-11-14T10:15:02Z tab\there \u{1} ctl\n".to_owned(),
            "t/x.log",
        ),
        (
            // Longer than OCSF's string_t allows (65,535): cut alike in every output.
            LogType::Text,
            format!("2023-11-14T10:15:02Z {}é\n", "x".repeat(65_513)),
            "t/long.log",
        ),
    ]
}

/// Each of an event's `resources` as (`type`, `uid`), in order.
pub(super) fn resource_types_and_uids(ev: &Value) -> Vec<(&str, &str)> {
    ev["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap_or_default(),
                r["uid"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}
