//! `findings.ocsf.json`: the findings as OCSF 1.3.0 Data Security Finding events (class
//! 2006, category 2 Findings), one event per object and detector, in a JSON array.
//!
//! Each event names the object as `file` (key, size, modification time, media type),
//! its bucket as `databucket`, both as `resources` (ARN uids), and the account and
//! region as `cloud` (the `cloud` profile, declared in `metadata.profiles`). The match is
//! in `data_security` (category, confidentiality, at-rest lifecycle, the detector as
//! `detection_pattern`, a masked sample as `pattern_match`). Match count, locations and
//! every masked sample with its keyed digest go under `unmapped`: the class has no
//! attribute for them. `finding_info.uid` is stable for one detector in one object across
//! scans, so a consumer can follow a finding from scan to scan; `metadata.uid` is unique
//! per scan. Enum ids and captions are from `events/findings/data_security_finding.json`
//! and the objects it uses in the OCSF 1.3.0 schema.

use std::io::Write;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::model::{BucketReport, FindingRecord, ObjectResult, ScanReport, Sensitivity};
use super::ReportError;
use crate::classify::Category;
use crate::logs::timestamp::iso8601_ms;
use crate::normalize::OCSF_VERSION;

/// Class uid of Data Security Finding.
pub const CLASS_UID: u64 = 2006;
/// Category uid of Findings.
pub const CATEGORY_UID: u64 = 2;
/// Activity `Create`: the scan reports what it found.
const ACTIVITY_CREATE: u64 = 1;

/// Writes the events as a JSON array, one event per line.
pub fn write<W: Write>(report: &ScanReport, mut w: W) -> Result<(), ReportError> {
    let time = report_time_ms(report);
    let mut first = true;
    w.write_all(b"[").map_err(ReportError::Write)?;
    for b in &report.buckets {
        for o in &b.objects {
            for f in &o.findings {
                w.write_all(if first { b"\n" } else { b",\n" })
                    .map_err(ReportError::Write)?;
                first = false;
                serde_json::to_writer(&mut w, &event(report, b, o, f, time))?;
            }
        }
    }
    w.write_all(b"\n]\n").map_err(ReportError::Write)?;
    Ok(())
}

/// The events of the findings of `objects` (of bucket `b`), for a JSON array written in
/// pieces: each event on its own line, preceded by `,` unless it is the array's first
/// (`first` says so, and is cleared once one is written). One part file's share of a
/// unit's `findings.ocsf.json`.
pub fn events(
    report: &ScanReport,
    b: &BucketReport,
    objects: &[ObjectResult],
    time_ms: i64,
    first: &mut bool,
) -> Result<Vec<u8>, ReportError> {
    let mut w = Vec::new();
    for o in objects {
        for f in &o.findings {
            w.extend_from_slice(if *first { b"\n" } else { b",\n" });
            *first = false;
            serde_json::to_writer(&mut w, &event(report, b, o, f, time_ms))?;
        }
    }
    Ok(w)
}

/// The event for one detector's finding in one object.
pub fn event(
    report: &ScanReport,
    b: &BucketReport,
    o: &ObjectResult,
    f: &FindingRecord,
    time_ms: i64,
) -> Value {
    let m = &o.metadata;
    let region = b.metadata.region.as_deref();
    let partition = partition(region.unwrap_or_default());
    let bucket_arn = format!("arn:{partition}:s3:::{}", b.name);
    let object_arn = format!("{bucket_arn}/{}", m.key);
    let location = format!("s3://{}/{}", b.name, m.key);
    let (confidence_id, confidence) = confidence(&f.confidence);
    let (severity_id, severity) = severity(Sensitivity::of_finding(f));
    let (category_id, category) = data_category(f.category);
    let (confidentiality_id, confidentiality) = confidentiality(f.category);
    let finding_uid = digest(&[
        b.account_id.as_deref().unwrap_or_default(),
        &b.name,
        &m.key,
        &f.detector,
    ]);
    let title = format!("{} found in {location}", f.detector);

    let mut file = Map::new();
    let name = m.key.rsplit('/').next().unwrap_or(&m.key);
    file.insert("name".into(), json!(name));
    file.insert("path".into(), json!(m.key));
    if let Some((parent, _)) = m.key.rsplit_once('/') {
        file.insert("parent_folder".into(), json!(parent));
    }
    if let Some((_, ext)) = name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
        file.insert("ext".into(), json!(ext));
    }
    file.insert("type_id".into(), json!(1));
    file.insert("type".into(), json!("Regular File"));
    file.insert("size".into(), json!(m.size));
    if let Some(t) = m.last_modified.as_deref().and_then(iso8601_ms) {
        file.insert("modified_time".into(), json!(t));
    }
    if let Some(ct) = &m.content_type {
        file.insert("mime_type".into(), json!(ct));
    }
    if let Some(v) = &m.version_id {
        file.insert("version".into(), json!(v));
    }

    let mut data_security = json!({
        "category_id": category_id,
        "category": category,
        "confidentiality_id": confidentiality_id,
        "confidentiality": confidentiality,
        "data_lifecycle_state_id": 1,
        "data_lifecycle_state": "Data at-Rest",
        "detection_system_id": 4,
        "detection_system": "Data Discovery & Classification",
        "detection_pattern": f.detector,
    });
    if let Some(s) = f.samples.first() {
        data_security["pattern_match"] = json!(s.masked);
    }

    let mut cloud = json!({ "provider": "AWS" });
    if let Some(r) = region {
        cloud["region"] = json!(r);
    }
    if let Some(a) = &b.account_id {
        cloud["account"] = json!({ "uid": a, "type_id": 10, "type": "AWS Account" });
    }
    let resource = |kind: &str, uid: &str, name: &str| {
        let mut r = json!({ "type": kind, "uid": uid, "name": name, "cloud_partition": partition });
        if let Some(reg) = region {
            r["region"] = json!(reg);
        }
        r
    };
    let mut databucket = json!({
        "type_id": 1, "type": "S3", "name": b.name, "uid": bucket_arn,
    });
    if let Some(size) = b.metadata.size_bytes {
        databucket["size"] = json!(size);
    }

    json!({
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Data Security Finding",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Data Security Finding: Create",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": severity,
        "confidence_id": confidence_id,
        "confidence": confidence,
        "status_id": 1,
        "status": "New",
        "message": title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "s3connector",
                "vendor_name": "s3connector",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "profiles": ["cloud"],
            "uid": digest(&[&report.scan_id, &finding_uid]),
            "correlation_uid": report.scan_id,
            "log_name": super::FINDINGS_OCSF,
        },
        "finding_info": {
            "uid": finding_uid,
            "title": title,
            "desc": format!(
                "{} match(es) of detector {} ({}, {} confidence) in {location}",
                f.count, f.detector, f.category.as_str(), f.confidence
            ),
            "types": [f.category.as_str()],
            "created_time": time_ms,
            "data_sources": [location],
        },
        "cloud": cloud,
        "resources": [
            resource("AWS::S3::Object", &object_arn, &m.key),
            resource("AWS::S3::Bucket", &bucket_arn, &b.name),
        ],
        "databucket": databucket,
        "file": file,
        "data_security": data_security,
        "unmapped": {
            "scan_id": report.scan_id,
            "match_count": f.count,
            "object_status": o.status.as_str(),
            "carried_from": o.carried_from,
            "etag": m.etag,
            "storage_class": m.storage_class,
            "locations": f.locations,
            "samples": f.samples,
        },
    })
}

/// The time of every event: when the report was written, else when the scan started,
/// else now.
pub fn report_time_ms(report: &ScanReport) -> i64 {
    report
        .finished_at
        .as_deref()
        .and_then(iso8601_ms)
        .or_else(|| iso8601_ms(&report.started_at))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64)
        })
}

/// ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Hex SHA-256 of the parts joined by NUL (which no part can contain).
fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// `confidence_id` and caption.
fn confidence(c: &str) -> (u64, &'static str) {
    match c {
        "low" => (1, "Low"),
        "medium" => (2, "Medium"),
        "high" => (3, "High"),
        _ => (0, "Unknown"),
    }
}

/// `severity_id` and caption from the finding's sensitivity.
fn severity(s: Sensitivity) -> (u64, &'static str) {
    match s {
        Sensitivity::High => (4, "High"),
        Sensitivity::Medium => (3, "Medium"),
        Sensitivity::Low => (2, "Low"),
        Sensitivity::None | Sensitivity::Unknown => (1, "Informational"),
    }
}

/// `data_classification.category_id` and caption.
fn data_category(c: Category) -> (u64, &'static str) {
    match c {
        Category::Personal => (1, "Personal"),
        Category::NationalId => (2, "Governmental"),
        Category::Financial => (3, "Financial"),
        Category::Credentials => (6, "Security"),
    }
}

/// `data_classification.confidentiality_id` and caption: personal data is private, the
/// rest confidential.
fn confidentiality(c: Category) -> (u64, &'static str) {
    match c {
        Category::Personal => (5, "Private"),
        Category::NationalId | Category::Financial | Category::Credentials => (2, "Confidential"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::tests::{sample_report, HOSTILE_KEY, PLANTED};

    fn events() -> Vec<Value> {
        let mut buf = Vec::new();
        write(&sample_report(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for v in PLANTED {
            assert!(!text.contains(v), "findings.ocsf.json holds {v} unmasked");
        }
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn one_event_per_object_and_detector() {
        let ev = events();
        assert_eq!(ev.len(), 3);
        let mut pairs: Vec<(String, String)> = ev
            .iter()
            .map(|e| {
                (
                    e["file"]["path"].as_str().unwrap().to_string(),
                    e["data_security"]["detection_pattern"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), 3);
    }

    #[test]
    fn card_event_has_class_resources_and_masked_match() {
        let ev = events();
        let e = ev
            .iter()
            .find(|e| e["data_security"]["detection_pattern"] == "credit_card")
            .unwrap();
        assert_eq!(e["class_uid"], 2006);
        assert_eq!(e["type_uid"], 200601);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["time"], 1_795_917_850_000_i64);
        assert_eq!(e["severity_id"], 4);
        assert_eq!(e["data_security"]["category_id"], 3);
        assert_eq!(e["data_security"]["pattern_match"], "45************86");
        assert_eq!(e["databucket"]["uid"], "arn:aws:s3:::acme-hr-exports");
        assert_eq!(
            e["resources"][0]["uid"],
            "arn:aws:s3:::acme-hr-exports/payments/2026/cards.txt"
        );
        assert_eq!(e["file"]["name"], "cards.txt");
        assert_eq!(e["file"]["ext"], "txt");
        assert_eq!(e["file"]["parent_folder"], "payments/2026");
        assert_eq!(e["cloud"]["region"], "eu-west-1");
        assert_eq!(e["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(e["metadata"]["profiles"], json!(["cloud"]));
        assert_eq!(e["unmapped"]["match_count"], 1);
    }

    #[test]
    fn finding_uid_is_stable_across_scans_and_metadata_uid_is_not() {
        let a = sample_report();
        let mut b = sample_report();
        b.scan_id = "another-scan".into();
        let (ba, oa) = (&a.buckets[0], &a.buckets[0].objects[2]);
        let ea = event(&a, ba, oa, &oa.findings[0], 0);
        let eb = event(&b, ba, oa, &oa.findings[0], 0);
        assert_eq!(ea["finding_info"]["uid"], eb["finding_info"]["uid"]);
        assert_ne!(ea["metadata"]["uid"], eb["metadata"]["uid"]);
    }

    #[test]
    fn hostile_key_is_carried_as_data() {
        let ev = events();
        assert!(ev.iter().any(|e| e["file"]["path"] == HOSTILE_KEY));
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        let mut r = sample_report();
        r.buckets.clear();
        let mut buf = Vec::new();
        write(&r, &mut buf).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&buf).unwrap(), json!([]));
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }
}
