//! GuardDuty findings to OCSF Detection Finding (2004).

use super::classification::{activity, Mapped, DETECTION_FINDING};
use super::lookup::{get_f64, get_obj, get_str, path, path_str, Obj};
use super::objects::write_cloud;
use super::out::{opt_int, opt_str, opt_uint, EventOut};
use crate::logs::timestamp::iso8601_ms;
use serde_json::Value;

/// GuardDuty severity bands: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
pub(super) fn guardduty_severity_id(severity: f64) -> u64 {
    match severity {
        s if s >= 9.0 => 5,
        s if s >= 7.0 => 4,
        s if s >= 4.0 => 3,
        s if s >= 1.0 => 2,
        s if s >= 0.0 => 1,
        _ => 0,
    }
}

/// GuardDuty's resource detail blocks (API Reference, `Resource`): the `resourceType`
/// naming the block, the block, and the fields holding the resource's uid and name.
/// `s3BucketDetails` is an array with one entry per bucket.
pub(super) const GUARDDUTY_RESOURCES: &[(&str, &str, &str, &str)] = &[
    ("AccessKey", "accessKeyDetails", "accessKeyId", "userName"),
    ("Instance", "instanceDetails", "instanceId", ""),
    ("S3Bucket", "s3BucketDetails", "arn", "name"),
    ("EKSCluster", "eksClusterDetails", "arn", "name"),
    ("ECSCluster", "ecsClusterDetails", "arn", "name"),
    ("Container", "containerDetails", "id", "name"),
    (
        "RDSDBInstance",
        "rdsDbInstanceDetails",
        "dbInstanceArn",
        "dbInstanceIdentifier",
    ),
    (
        "RDSLimitlessDB",
        "rdsLimitlessDbDetails",
        "dbShardGroupArn",
        "dbShardGroupIdentifier",
    ),
    ("Lambda", "lambdaDetails", "functionArn", "functionName"),
    ("EBSSnapshot", "ebsSnapshotDetails", "snapshotArn", ""),
    ("EC2Image", "ec2ImageDetails", "imageArn", ""),
    (
        "RecoveryPoint",
        "recoveryPointDetails",
        "recoveryPointArn",
        "backupVaultName",
    ),
];

/// One OCSF resource per GuardDuty detail block present, each with its own type, uid
/// and name and the block as `data`; the block `resourceType` names comes first.
pub(super) fn guardduty_resources(r: &Obj, resource: &Obj, out: &mut dyn EventOut) {
    let named = get_str(resource, "resourceType");
    let mut order: Vec<&(&str, &str, &str, &str)> = GUARDDUTY_RESOURCES.iter().collect();
    order.sort_by_key(|(kind, ..)| Some(*kind) != named);
    out.open_array("resources");
    for (kind, block, uid, name) in order {
        let blocks: Vec<&Obj> = match resource.get(*block) {
            Some(Value::Object(b)) => vec![b],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => continue,
        };
        for b in blocks {
            let (uid, name) = (get_str(b, uid), get_str(b, name));
            // OCSF needs a uid or a name to tell the resource apart.
            if uid.or(name).is_none() {
                continue;
            }
            out.open("");
            out.str("type", kind);
            opt_str(out, "uid", uid);
            opt_str(out, "name", name);
            opt_str(out, "region", get_str(r, "region"));
            opt_str(out, "cloud_partition", get_str(r, "partition"));
            out.map("data", b);
            out.close();
        }
    }
    out.close();
}

/// `event_uid` (the event's `metadata.uid`) stands in for a finding without an id.
pub(super) fn guardduty(r: &Obj, out: &mut dyn EventOut, event_uid: &str) -> Mapped {
    let created = get_str(r, "createdAt").and_then(iso8601_ms);
    let updated = get_str(r, "updatedAt").and_then(iso8601_ms);
    let archived = path(r, &["service", "archived"]).and_then(Value::as_bool) == Some(true);
    let activity = if archived {
        activity(3, "Close")
    } else if updated.is_some() && updated != created {
        activity(2, "Update")
    } else {
        activity(1, "Create")
    };

    // `uid` and `title` are required: every GuardDuty finding has them, and a record
    // without them keeps the event's uid and the finding type (or a generic title).
    out.open("finding_info");
    out.str(
        "uid",
        get_str(r, "arn")
            .or_else(|| get_str(r, "id"))
            .unwrap_or(event_uid),
    );
    out.str(
        "title",
        get_str(r, "title")
            .or_else(|| get_str(r, "type"))
            .unwrap_or("GuardDuty finding"),
    );
    opt_str(out, "desc", get_str(r, "description"));
    if let Some(t) = get_str(r, "type") {
        out.open_array("types");
        out.str("", t);
        out.close();
    }
    opt_int(out, "created_time", created);
    opt_int(out, "modified_time", updated);
    opt_int(
        out,
        "first_seen_time",
        path_str(r, &["service", "eventFirstSeen"]).and_then(iso8601_ms),
    );
    opt_int(
        out,
        "last_seen_time",
        path_str(r, &["service", "eventLastSeen"]).and_then(iso8601_ms),
    );
    out.close();
    // How many times GuardDuty saw the activity (the event's `count`).
    opt_uint(
        out,
        "count",
        path(r, &["service", "count"]).and_then(Value::as_u64),
    );

    if let Some(resource) = get_obj(r, "resource") {
        guardduty_resources(r, resource, out);
    }

    let severity = get_f64(r, "severity");
    if let Some(s) = severity.filter(|s| s.is_finite() && *s >= 0.0) {
        // OCSF's risk_score is an integer: GuardDuty's 0.0-10.0 severity times ten
        // (8.2 -> 82), kept next to the OCSF band it maps to.
        out.uint("risk_score", (s * 10.0).round().min(1000.0) as u64);
    }
    write_cloud(out, get_str(r, "accountId"), get_str(r, "region"), None);

    Mapped {
        class: &DETECTION_FINDING,
        activity,
        severity_id: severity.map_or(0, guardduty_severity_id),
        time: updated.or(created),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{json_lines, LogType};
    use crate::normalize::test_support::{assert_class, first_event, resource_types_and_uids};
    use serde_json::json;

    #[test]
    fn guardduty_maps_to_detection_finding_with_severity_band() {
        let ev = first_event(
            LogType::GuardDuty,
            json_lines::samples::GUARDDUTY_FINDING,
            "AWSLogs/123456789012/GuardDuty/us-east-1/2024/01/10/3b4c5d6e.jsonl.gz",
        );
        assert_class(&ev, 2004, 2);
        assert_eq!(ev["category_uid"], 2);
        assert_eq!(ev["time"], 1_704_878_100_123i64);
        assert_eq!(ev["severity_id"], 4);
        assert_eq!(ev["severity"], "High");
        assert_eq!(
            ev["finding_info"]["title"],
            "Unprotected port on EC2 instance i-99999999 is being probed."
        );
        assert_eq!(
            ev["finding_info"]["types"],
            json!(["Recon:EC2/PortProbeUnprotectedPort"])
        );
        assert!(ev["finding_info"]["uid"]
            .as_str()
            .unwrap()
            .ends_with("/finding/16afba5c5c43e07c9e3e5e2e544e95df"));
        assert_eq!(ev["resources"][0]["uid"], "i-99999999");
        assert_eq!(ev["resources"][0]["type"], "Instance");
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
    }

    /// Regression: the resource uid came from the first detail block present, not
    /// from the one `resourceType` names; now one resource per block, named one first.
    #[test]
    fn guardduty_writes_one_resource_per_detail_block_the_named_one_first() {
        let finding = json!({
            "schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "partition": "aws",
            "id": "a1b2", "arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/a1b2",
            "type": "Policy:S3/BucketBlockPublicAccessDisabled", "severity": 2.5,
            "createdAt": "2024-01-10T08:05:35.000Z", "updatedAt": "2024-01-10T08:05:35.000Z",
            "title": "Amazon S3 Block Public Access was disabled for S3 bucket amzn-s3-demo-bucket.",
            "resource": {
                "resourceType": "S3Bucket",
                "accessKeyDetails": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE", "principalId": "AROA:alice", "userName": "alice", "userType": "AssumedRole"},
                "s3BucketDetails": [
                    {"arn": "arn:aws:s3:::amzn-s3-demo-bucket", "name": "amzn-s3-demo-bucket", "type": "Destination"},
                    {"arn": "arn:aws:s3:::amzn-s3-demo-bucket2", "name": "amzn-s3-demo-bucket2", "type": "Destination"}
                ]
            },
            "service": {"serviceName": "guardduty", "count": 2}
        })
        .to_string();
        let ev = first_event(LogType::GuardDuty, &finding, "gd/x.jsonl");
        assert_eq!(
            resource_types_and_uids(&ev),
            [
                ("S3Bucket", "arn:aws:s3:::amzn-s3-demo-bucket"),
                ("S3Bucket", "arn:aws:s3:::amzn-s3-demo-bucket2"),
                ("AccessKey", "ASIAIOSFODNN7EXAMPLE"),
            ]
        );
        assert_eq!(ev["resources"][2]["name"], "alice");
        assert_eq!(ev["resources"][2]["data"]["userType"], "AssumedRole");
        // Regression: risk_score was the float severity; OCSF has an integer.
        assert_eq!(ev["risk_score"], 25);
        assert_eq!(ev["count"], 2);
    }

    #[test]
    fn guardduty_severity_bands_follow_guardduty_ranges() {
        let cases = [
            (0.5, 1),
            (1.0, 2),
            (3.9, 2),
            (4.0, 3),
            (6.9, 3),
            (7.0, 4),
            (8.9, 4),
            (9.0, 5),
            (10.0, 5),
        ];
        for (score, id) in cases {
            assert_eq!(guardduty_severity_id(score), id, "{score}");
        }
    }
}
