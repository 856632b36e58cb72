//! Mappings of real-format records that reached S3 other ways than the documented
//! exports: EventBridge envelopes, `-` placeholders, oversized strings.

use super::test_support::{events, first_event};
use crate::logs::json_lines::samples::*;
use crate::logs::LogType;
use serde_json::{json, Value};

/// The event without what depends on the record's place and original text.
fn mapped_part(ev: &Value) -> Value {
    let mut ev = ev.clone();
    let obj = ev.as_object_mut().unwrap();
    obj.remove("unmapped");
    obj["metadata"].as_object_mut().unwrap().remove("uid");
    ev
}

/// Defect 3: a finding in its EventBridge envelope is the finding.
#[test]
fn guardduty_finding_in_its_eventbridge_envelope_maps_like_the_bare_finding() {
    let envelope: Value = serde_json::from_str(GUARDDUTY_EVENTBRIDGE).unwrap();
    let bare = envelope["detail"].to_string();
    let key = "firehose/2024/05/01/gd-stream-1-2024-05-01-00-00-00-abcd";
    let wrapped = first_event(LogType::GuardDuty, GUARDDUTY_EVENTBRIDGE, key);
    assert_eq!(
        mapped_part(&wrapped),
        mapped_part(&first_event(LogType::GuardDuty, &bare, key))
    );
    // `updatedAt`, not the envelope's `time` nor the object's.
    assert_eq!(wrapped["time"], 1_643_404_345_497i64);
    assert_eq!(wrapped["severity_id"], 2);
    assert_eq!(
        wrapped["finding_info"]["types"],
        json!(["Impact:EC2/WinRMBruteForce"])
    );
    assert_eq!(wrapped["cloud"]["account"]["uid"], "973743533182");
    assert_eq!(wrapped["resources"][0]["uid"], "i-99999999");
    // The whole envelope stays the original record.
    assert_eq!(
        wrapped["unmapped"]["record"]["detail-type"],
        "GuardDuty Finding"
    );
}

/// Defect 3 (CloudTrail): an event in its EventBridge envelope is the record; the
/// envelope's account fills `recipientAccountId`, which EventBridge leaves out.
#[test]
fn cloudtrail_event_in_its_eventbridge_envelope_maps_like_the_record() {
    let key = "firehose/2024/05/01/ct-eb-stream-1-2024-05-01-00-00-00-abcd";
    let wrapped = events(LogType::CloudTrail, CLOUDTRAIL_EVENTBRIDGE, key);
    assert_eq!(wrapped.len(), 2);
    let envelope: Value =
        serde_json::from_str(CLOUDTRAIL_EVENTBRIDGE.lines().next().unwrap()).unwrap();
    let mut record = envelope["detail"].clone();
    record["recipientAccountId"] = envelope["account"].clone();
    let bare = first_event(
        LogType::CloudTrail,
        &json!({ "Records": [record] }).to_string(),
        key,
    );
    assert_eq!(mapped_part(&wrapped[0]), mapped_part(&bare));
    assert_eq!(wrapped[0]["api"]["operation"], "ConsoleLogin");
    assert_eq!(wrapped[0]["cloud"]["account"]["uid"], "111122223333");
    assert_eq!(wrapped[0]["time"], 1_405_525_767_000i64);
}

/// Defect 5: `-` is no value, in JSON sources too.
#[test]
fn waf_dash_placeholders_are_no_values() {
    let ev = first_event(LogType::Waf, WAF_DASH_SOURCE, "waf/x.log");
    assert_eq!(
        ev["dst_endpoint"],
        json!({"hostname": "localhost", "port": 1989, "svc_name": "waf"})
    );
    assert!(!mapped_part(&ev).to_string().contains("\"-\""), "{ev:#}");
}

/// Defect 10: required attributes get the `unknown` placeholder.
#[test]
fn route53_and_waf_records_missing_required_fields_name_them_unknown() {
    let no_name = ROUTE53_QUERY.replace(r#""query_name":"www.example.com.","#, "");
    let ev = first_event(LogType::Route53Resolver, &no_name, "r53/x.log");
    assert_eq!(ev["query"]["hostname"], "unknown");
    let no_src = ROUTE53_QUERY
        .replace(r#""srcaddr":"172.31.45.200","#, "")
        .replace(r#""instance":"i-0d15cd0d3example","#, "");
    let ev = first_event(LogType::Route53Resolver, &no_src, "r53/x.log");
    assert_eq!(ev["src_endpoint"]["name"], "unknown");
    let no_rule = WAF_BLOCK.replace(r#""terminatingRuleId":"STMTest_SQLi_XSS","#, "");
    let ev = first_event(LogType::Waf, &no_rule, "waf/x.log");
    assert_eq!(
        ev["firewall_rule"],
        json!({"name": "unknown", "type": "REGULAR"})
    );
    let no_uri = WAF_BLOCK.replace(r#""uri":"/products","#, "");
    let ev = first_event(LogType::Waf, &no_uri, "waf/x.log");
    assert!(ev["http_request"].get("url").is_none(), "{ev:#}");
}

/// Defect 7: strings past `string_t`'s 65,535 are cut at a character boundary; the
/// whole value stays in the original record.
#[test]
fn strings_longer_than_ocsf_allows_are_cut_at_a_character_boundary() {
    let long = "é".repeat(40_000); // 80,000 bytes
    let line = json!({"timestamp": 1_700_000_000_000i64, "message": long}).to_string();
    let ev = first_event(LogType::Json, &line, "apps/x.json");
    let message = ev["message"].as_str().unwrap();
    assert_eq!(message.len(), 65_534);
    assert!(long.starts_with(message));
    assert_eq!(ev["unmapped"]["record"]["message"], long.as_str());
    let text = first_event(LogType::Text, &"x".repeat(100_000), "apps/x.log");
    assert_eq!(text["message"].as_str().unwrap().len(), 65_535);
    assert_eq!(text["raw_data"].as_str().unwrap().len(), 65_535);
}

/// Ingest trial 2, defect 1: one EventBridge rule (one Firehose stream) carries several
/// sources; each line's envelope decides its mapping, whatever the object's type or
/// its first line. Kinds without a mapping are base events at the envelope's time.
#[test]
fn eventbridge_stream_maps_each_event_by_its_own_envelope() {
    let cloudtrail = CLOUDTRAIL_EVENTBRIDGE.lines().next().unwrap();
    let input = [
        GUARDDUTY_EVENTBRIDGE,
        cloudtrail,
        MALWARE_SCAN_EVENTBRIDGE,
        EC2_STATE_CHANGE_EVENTBRIDGE,
    ]
    .join("\n");
    let key = "firehose/2024/12/01/00/security-events-1-2024-12-01-00-00-00-abcd";
    for object_type in [LogType::CloudTrail, LogType::GuardDuty, LogType::Json] {
        let evs = events(object_type, &input, key);
        let classes: Vec<_> = evs.iter().map(|e| e["class_uid"].clone()).collect();
        assert_eq!(
            classes,
            [json!(2004), json!(6003), json!(0), json!(0)],
            "{object_type}"
        );
        let logs: Vec<_> = evs
            .iter()
            .map(|e| e["metadata"]["log_name"].clone())
            .collect();
        assert_eq!(
            logs,
            [
                json!("guardduty"),
                json!("cloudtrail"),
                json!("json"),
                json!("json")
            ]
        );
        assert_eq!(evs[0]["severity_id"], 2);
        assert_eq!(evs[1]["api"]["operation"], "ConsoleLogin");
        // Nothing invented: the envelope's time and kind, severity Unknown, the event kept.
        let scan = &evs[2];
        assert_eq!(scan["time"], 1_709_082_061_000i64);
        assert_eq!(
            scan["message"],
            "GuardDuty Malware Protection Object Scan Result"
        );
        assert_eq!(scan["severity_id"], 0);
        // Where it happened, from the envelope (trial 6, Parquet D2).
        assert_eq!(scan["cloud"]["provider"], "AWS");
        assert!(scan["cloud"]["account"]["uid"].is_string(), "{scan:#}");
        assert!(scan["cloud"]["region"].is_string(), "{scan:#}");
        assert_eq!(evs[3]["cloud"]["account"]["uid"], json!("123456789012"));
        assert_eq!(evs[3]["cloud"]["region"], json!("us-east-1"));
        assert!(scan["metadata"].get("labels").is_none(), "{scan:#}");
        assert_eq!(
            scan["unmapped"]["record"]["detail"]["scanResultDetails"]["scanResultStatus"],
            "THREATS_FOUND"
        );
        assert_eq!(evs[3]["time"], 1_447_277_394_000i64);
    }
}

/// Ingest trial 2, defect 5: bare CloudTrail records one per line (`InputPath:
/// $.detail`) are CloudTrail, detected or forced, and each line is its own record.
#[test]
fn bare_cloudtrail_records_one_per_line_map_to_api_activity() {
    let input = format!("{CLOUDTRAIL_BARE_RECORD}\n{CLOUDTRAIL_BARE_RECORD}\n");
    let key = "firehose/2024/12/01/00/ct-detail-stream-1-2024-12-01-00-00-00-abcd";
    for object_type in [LogType::CloudTrail, LogType::Json] {
        let evs = events(object_type, &input, key);
        assert_eq!(evs.len(), 2, "{object_type}");
        for ev in evs {
            assert_eq!(ev["class_uid"], 6003, "{object_type}");
            assert_eq!(ev["api"]["operation"], "CreateAccessKey");
            assert_eq!(ev["actor"]["user"]["name"], "bob");
        }
    }
    assert_eq!(
        crate::logs::detect::detect_by_content(input.as_bytes()),
        Ok(LogType::CloudTrail)
    );
}

/// Bare CloudTrail records pretty-printed one after another, or saved as a JSON array,
/// are CloudTrail, detected or forced, each its own API Activity event.
#[test]
fn pretty_printed_and_array_cloudtrail_records_map_to_api_activity() {
    let record: Value = serde_json::from_str(CLOUDTRAIL_BARE_RECORD).unwrap();
    let pretty = serde_json::to_string_pretty(&record).unwrap();
    let inputs = [
        format!("{pretty}\n{pretty}\n"),
        serde_json::to_string_pretty(&[&record, &record]).unwrap(),
        format!("[{record},{record}]"),
    ];
    for input in inputs {
        assert_eq!(
            crate::logs::detect::detect_by_content(input.as_bytes()),
            Ok(LogType::CloudTrail),
            "{input}"
        );
        for object_type in [LogType::CloudTrail, LogType::Json] {
            let evs = events(object_type, &input, "exports/ct.json");
            assert_eq!(evs.len(), 2, "{object_type}");
            for ev in evs {
                assert_eq!(ev["class_uid"], 6003, "{object_type}");
                assert_eq!(ev["api"]["operation"], "CreateAccessKey");
            }
        }
    }
}
