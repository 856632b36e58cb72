//! Tests of the report model, and the report every renderer test draws: a scan of two
//! buckets whose findings come from the real classifier over planted values.

use super::*;
use std::path::Path;

use crate::classify::{Category, Classifier, ClassifyConfig};

/// Planted card number (Luhn-valid test number).
pub(crate) const CARD: &str = "4539578763621486";
/// Planted email address.
pub(crate) const EMAIL: &str = "maria.lopez@northwind-mail.com";
/// Planted US SSN.
pub(crate) const SSN: &str = "536-22-8726";
/// A key with every character HTML, CSV and JSON treat specially.
pub(crate) const HOSTILE_KEY: &str = "exports/<script>alert(\"x\")</script>&'q',=1.csv";

/// Every planted value, for "no report holds an unmasked value" checks.
pub(crate) const PLANTED: [&str; 3] = [CARD, EMAIL, SSN];

fn classifier() -> Classifier {
    Classifier::new(ClassifyConfig {
        hmac_key: Some("report-tests".into()),
        ..ClassifyConfig::default()
    })
    .expect("built-in detectors compile")
}

fn meta(key: &str, size: u64) -> ObjectMetadata {
    ObjectMetadata {
        key: key.into(),
        size,
        last_modified: Some("2026-11-28T10:00:00Z".into()),
        etag: Some("9b2cf535f27731c974343645a3985328".into()),
        storage_class: Some("STANDARD".into()),
        content_type: Some("text/plain".into()),
        encryption: Some("aws:kms".into()),
        kms_key_id: Some("arn:aws:kms:eu-west-1:111122223333:key/1234abcd".into()),
        version_id: None,
    }
}

fn classified(c: &Classifier, key: &str, text: &str) -> ObjectResult {
    let report = c.classify_bytes(text.as_bytes());
    ObjectResult::classified(meta(key, text.len() as u64), Some("text".into()), &report)
}

/// The plan's view of the two buckets.
pub(crate) fn sample_plan() -> Vec<BucketReport> {
    vec![
        BucketReport {
            account_id: Some("111122223333".into()),
            name: "acme-hr-exports".into(),
            metadata: BucketMetadata {
                region: Some("eu-west-1".into()),
                encryption: Some(DefaultEncryption {
                    algorithm: "AES256".into(),
                    ..DefaultEncryption::default()
                }),
                public_access_block: Some(PublicAccessBlock::default()),
                policy_is_public: Some(false),
                versioning: Some("Disabled".into()),
                object_ownership: Some("BucketOwnerEnforced".into()),
                tags: [("team".to_string(), "hr".to_string())].into(),
                ..BucketMetadata::default()
            },
            ..BucketReport::default()
        },
        BucketReport {
            account_id: Some("111122223333".into()),
            name: "acme-locked".into(),
            status: BucketStatus::Failed,
            errors: vec![ScanIssue {
                operation: "ListObjectsV2".into(),
                code: Some("AccessDenied".into()),
                action: Some("s3:ListBucket".into()),
                message: "the scanning role may not list the bucket".into(),
                key: None,
            }],
            ..BucketReport::default()
        },
    ]
}

/// Two parts of the first bucket (the second retried, repeating one object).
pub(crate) fn sample_parts() -> Vec<BucketPart> {
    let c = classifier();
    let card = classified(
        &c,
        "payments/2026/cards.txt",
        &format!("order 17 paid with card {CARD} yesterday\n"),
    );
    let hostile = classified(
        &c,
        HOSTILE_KEY,
        &format!("name,email,ssn\nMaria,{EMAIL},{SSN}\n"),
    );
    let clean = classified(&c, "readme.txt", "nothing to see here\n");
    let first = BucketPart {
        account_id: Some("111122223333".into()),
        bucket: "acme-hr-exports".into(),
        sequence: 0,
        objects_seen: 3,
        bytes_seen: 300,
        objects: vec![card.clone(), clean],
        ..BucketPart::default()
    };
    let second = BucketPart {
        account_id: Some("111122223333".into()),
        bucket: "acme-hr-exports".into(),
        sequence: 1,
        last: true,
        objects_seen: 3,
        bytes_seen: 4_300,
        objects_not_selected: 1,
        objects: vec![
            card,
            hostile,
            ObjectResult::skipped(
                ObjectMetadata {
                    storage_class: Some("DEEP_ARCHIVE".into()),
                    ..meta("archive/2019.tar", 4_000)
                },
                SkipReason::ArchivedStorageClass,
                Some("DEEP_ARCHIVE objects are not restored".into()),
            ),
        ],
        deleted: vec![DeletedObject {
            key: "old/ledger.csv".into(),
            etag: Some("aa".into()),
            last_modified: None,
        }],
        ..BucketPart::default()
    };
    vec![second, first]
}

/// The assembled sample report.
pub(crate) fn sample_report() -> ScanReport {
    ScanReport::assemble(
        ScanHeader {
            scan_id: "scan-20261129-0001".into(),
            config: ConfigSummary {
                accounts: vec!["111122223333".into()],
                output: "s3://acme-scan-reports/scans/".into(),
                ..ConfigSummary::default()
            },
            started_at: "2026-11-29T02:00:00Z".into(),
            finished_at: Some("2026-11-29T02:04:10Z".into()),
        },
        sample_plan(),
        sample_parts(),
    )
}

#[test]
fn classifier_finds_every_planted_value() {
    let r = sample_report();
    let ids: Vec<&str> = r.buckets[0]
        .objects
        .iter()
        .flat_map(|o| o.findings.iter().map(|f| f.detector.as_str()))
        .collect();
    for want in ["credit_card", "email", "us_ssn"] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
}

#[test]
fn findings_count_rows_occurrences_count_matches_and_carried_objects_are_not_classified_again() {
    let c = classifier();
    let fresh = classified(&c, "new.txt", &format!("card {CARD}\ncard {CARD}\n"));
    let mut carried_hit = classified(&c, "old.txt", &format!("mail {EMAIL}\n"));
    carried_hit.carried_from = Some("20261201T000000Z-aaaaaaaa".into());
    let mut carried_clean = classified(&c, "clean.txt", "nothing here\n");
    carried_clean.carried_from = Some("20261201T000000Z-aaaaaaaa".into());
    let mut b = BucketReport {
        name: "b".into(),
        objects: vec![fresh.clone(), carried_hit, carried_clean],
        totals: BucketTotals {
            objects_seen: 3,
            objects_not_selected: 2,
            ..BucketTotals::default()
        },
        ..BucketReport::default()
    };
    b.compute_totals();
    let t = &b.totals;
    assert_eq!(t.objects_classified, 1);
    assert_eq!(t.objects_carried, 2);
    assert_eq!(
        t.bytes_classified, fresh.bytes_read,
        "carried objects were not read"
    );
    assert_eq!(
        (t.findings, t.occurrences),
        (2, 3),
        "2 findings holding 3 matches"
    );
    assert_eq!(t.occurrences_by_detector["credit_card"], 2);
    assert_eq!(t.objects_with_findings, 2);
    assert_eq!(t.sensitivity, Sensitivity::High);
    assert_eq!(t.objects_partial, 0);
    // Scan trial S10: a carried PARTIAL object is still read in part only.
    b.objects[1].status = ObjectStatus::Partial;
    b.compute_totals();
    assert_eq!(
        (b.totals.objects_partial, b.totals.objects_classified),
        (1, 1)
    );
    // Only clean objects carried: the bucket is known clean, not unknown.
    b.objects.retain(|o| o.metadata.key == "clean.txt");
    b.compute_totals();
    assert_eq!(b.totals.sensitivity, Sensitivity::None);
}

#[test]
fn assemble_merges_parts_in_any_order_and_keeps_each_object_once() {
    let r = sample_report();
    let b = &r.buckets[0];
    assert_eq!(b.name, "acme-hr-exports");
    let keys: Vec<&str> = b.objects.iter().map(|o| o.metadata.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "archive/2019.tar",
            HOSTILE_KEY,
            "payments/2026/cards.txt",
            "readme.txt"
        ]
    );
    assert_eq!(b.status, BucketStatus::Complete);
    let t = &b.totals;
    assert_eq!((t.objects_seen, t.bytes_seen), (6, 4_600));
    assert_eq!(t.objects_not_selected, 1);
    assert_eq!(t.objects_classified, 3);
    assert_eq!(t.objects_skipped, 1);
    assert_eq!(t.skipped_by_reason[&SkipReason::ArchivedStorageClass], 1);
    assert_eq!(t.objects_with_findings, 2);
    assert_eq!(t.occurrences_by_detector["credit_card"], 1);
    assert_eq!(t.occurrences_by_category[&Category::Financial], 1);
    assert_eq!(t.objects_deleted, 1);
    assert_eq!(t.sensitivity, Sensitivity::High);
    // Size comes from the listing once the bucket is complete.
    assert_eq!(b.metadata.size_source, Some(SizeSource::Listing));
    assert_eq!(b.metadata.object_count, Some(6));
}

#[test]
fn failed_bucket_stays_failed_and_counts_in_totals() {
    let r = sample_report();
    let b = &r.buckets[1];
    assert_eq!(b.status, BucketStatus::Failed);
    assert_eq!(b.totals.errors, 1);
    assert_eq!(b.totals.sensitivity, Sensitivity::Unknown);
    assert_eq!(r.totals.buckets, 2);
    assert_eq!(r.totals.buckets_failed, 1);
    assert_eq!(r.totals.buckets_with_findings, 1);
    assert_eq!(r.totals.sums.errors, 1);
    assert_eq!(r.totals.sums.objects_classified, 3);
}

#[test]
fn posture_warnings_use_the_bucket_sensitivity() {
    let r = sample_report();
    let codes: Vec<WarningCode> = r.buckets[0].warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            WarningCode::SensitiveDataExposed,
            WarningCode::PublicAccessNotBlocked,
            WarningCode::SensitiveDataWithoutKms,
            WarningCode::VersioningDisabled,
        ]
    );
}

#[test]
fn bucket_without_a_last_part_is_partial() {
    let mut parts = sample_parts();
    parts.retain(|p| !p.last);
    let r = ScanReport::assemble(ScanHeader::default(), sample_plan(), parts);
    assert_eq!(r.buckets[0].status, BucketStatus::Partial);
    assert_eq!(r.buckets[0].metadata.size_source, None);
}

#[test]
fn part_for_a_bucket_missing_from_the_plan_adds_it() {
    let part = BucketPart {
        bucket: "late".into(),
        last: true,
        ..BucketPart::default()
    };
    let r = ScanReport::assemble(ScanHeader::default(), Vec::new(), [part]);
    assert_eq!(r.buckets.len(), 1);
    assert_eq!(r.buckets[0].name, "late");
    assert_eq!(r.buckets[0].status, BucketStatus::Complete);
}

#[test]
fn report_and_parts_round_trip_through_json() {
    let r = sample_report();
    let json = serde_json::to_string(&r).unwrap();
    let back: ScanReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    for p in sample_parts() {
        let back: BucketPart = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}

#[test]
fn classifier_findings_keep_masked_samples_and_locations() {
    let r = sample_report();
    let o = r.buckets[0]
        .objects
        .iter()
        .find(|o| o.metadata.key == "payments/2026/cards.txt")
        .unwrap();
    let f = &o.findings[0];
    assert_eq!(f.detector, "credit_card");
    assert_eq!(f.samples[0].masked, "45************86");
    assert_eq!(f.locations[0].line, 1);
    assert_eq!(f.locations[0].describe(), "line 1, column 25");
}

#[test]
fn unknown_skip_reason_codes_read_as_read_error() {
    let r: SkipReason = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
    assert_eq!(r, SkipReason::ReadError);
    assert_eq!(
        SkipReason::from_classifier("unsupported_type"),
        SkipReason::UnsupportedFileType
    );
}

#[test]
fn location_describes_structured_positions() {
    let l = FindingLocation {
        row: Some(7),
        column_name: Some("email".into()),
        ..FindingLocation::default()
    };
    assert_eq!(l.describe(), "row 7, column \"email\"");
    let l = FindingLocation {
        sheet: Some("Sheet1".into()),
        cell: Some("B7".into()),
        ..FindingLocation::default()
    };
    assert_eq!(l.describe(), "Sheet1!B7");
    // A Word document's part, and the line in it (from the classifier's serde form).
    let f = crate::classify::Finding {
        detector: "us_ssn".into(),
        category: crate::classify::Category::NationalId,
        confidence: crate::classify::Confidence::High,
        count: 1,
        locations: vec![crate::classify::Location {
            part: Some("footnotes".into()),
            ..crate::classify::Location::text(2, 7, 90, 11)
        }],
        samples: Vec::new(),
    };
    let record = FindingRecord::from_classifier(&f);
    assert_eq!(
        record.locations[0].describe(),
        "footnotes, line 2, column 7"
    );
}

#[test]
fn serialized_report_and_parts_hold_no_planted_value() {
    let mut text = serde_json::to_string(&sample_report()).unwrap();
    for p in sample_parts() {
        text.push_str(&serde_json::to_string(&p).unwrap());
    }
    for v in PLANTED {
        assert!(!text.contains(v), "report holds {v} unmasked");
    }
}

#[test]
fn write_dir_writes_every_file_without_an_unmasked_value() {
    let dir = std::env::temp_dir().join(format!("s3c-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = write_dir(&sample_report(), &dir).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "report.json",
            "findings.csv",
            "findings.ocsf.json",
            "report.html"
        ]
    );
    for p in &paths {
        let body = std::fs::read_to_string(p).unwrap();
        assert!(!body.is_empty(), "{} empty", p.display());
        for v in PLANTED {
            assert!(!body.contains(v), "{} holds {v}", p.display());
        }
    }
    let back: ScanReport =
        serde_json::from_str(&std::fs::read_to_string(&paths[0]).unwrap()).unwrap();
    assert_eq!(back, sample_report());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_dir_names_a_missing_directory() {
    let err = write_dir(&sample_report(), Path::new("/nonexistent/s3c")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/s3c/report.json"),
        "{err}"
    );
}

#[test]
fn structured_classifier_reports_keep_locations_detail_and_column_labels() {
    // The serde form of the classifier's structured report (PARTIAL, CSV column).
    let value = serde_json::json!({
        "status": "PARTIAL", "reason": "malformed", "detail": "row 9 has 3 fields",
        "format": "csv", "bytes": 120, "rows": 8,
        "findings": [{
            "detector": "email", "category": "personal", "confidence": "high", "count": 8,
            "locations": [{"line": 2, "column": 7, "offset": 20, "length": 17,
                           "row": 1, "column_name": "email"}],
            "samples": [{"masked": "jo*************rg", "hmac": "ab"}]
        }],
        "columns": [{"column": "email", "detector": "email", "category": "personal",
                     "sampled": 8, "matched": 8, "distinct": 8}]
    });
    let o = ObjectResult::from_report_value(meta("t.csv", 120), None, &value);
    assert_eq!(o.status, ObjectStatus::Partial);
    assert_eq!(o.reason, Some(SkipReason::InvalidContent));
    assert_eq!(o.message.as_deref(), Some("row 9 has 3 fields"));
    assert_eq!(o.format.as_deref(), Some("csv"));
    assert_eq!(o.bytes_read, 120);
    assert_eq!(
        o.findings[0].locations[0].describe(),
        "row 1, column \"email\""
    );
    assert_eq!(o.column_labels[0].column, "email");
    assert_eq!(o.column_labels[0].category, Category::Personal);
}
