//! Tests of `report.json` version 3: the index assembled from unit shares agrees with the
//! inline report of the same parts, caps its first findings, reads back, and renders
//! without an unmasked value.

use super::index::{BucketIndex, UnitShare, FIRST_FINDINGS_PER_UNIT};
use super::tests::{sample_parts, sample_plan, PLANTED};
use super::*;

fn header() -> ScanHeader {
    ScanHeader {
        scan_id: "scan-20261129-0001".into(),
        config: ConfigSummary::default(),
        started_at: "2026-11-29T02:00:00Z".into(),
        finished_at: Some("2026-11-29T02:04:10Z".into()),
    }
}

/// The sample's parts without the retried repeat (an object in two parts), each part a
/// unit of its own: the first bucket split in two units.
fn unit_parts() -> Vec<BucketPart> {
    let mut parts = sample_parts();
    parts.sort_by_key(|p| p.sequence);
    let first: Vec<String> = parts[0]
        .objects
        .iter()
        .map(|o| o.metadata.key.clone())
        .collect();
    parts[1]
        .objects
        .retain(|o| !first.contains(&o.metadata.key));
    parts
}

fn share_of(unit: &str, parts: &[&BucketPart]) -> (String, UnitShare) {
    let mut s = UnitShare {
        files: index::UnitFiles::of(unit),
        ..UnitShare::default()
    };
    for p in parts {
        s.add_part(p);
    }
    (unit.to_string(), s)
}

fn sample_index(first_findings_max: u32) -> ScanIndex {
    let parts = unit_parts();
    let mut plan = sample_plan();
    // The finisher's status: every unit of the first bucket finished.
    plan[0].status = BucketStatus::Complete;
    let shares = vec![
        BucketShares {
            bucket: plan[0].clone(),
            units: vec![
                share_of("unit-a", &[&parts[0]]),
                share_of("unit-b", &[&parts[1]]),
            ],
        },
        BucketShares {
            bucket: plan[1].clone(),
            units: Vec::new(),
        },
    ];
    ScanIndex::assemble(
        header(),
        IndexLimits {
            inline_objects_max: 1,
            first_findings_max,
        },
        shares,
    )
}

#[test]
fn index_totals_equal_the_inline_report_of_the_same_parts() {
    let inline = ScanReport::assemble(header(), sample_plan(), unit_parts());
    let index = sample_index(500);
    assert_eq!(index.format_version, INDEX_FORMAT_VERSION);
    assert_eq!(index.totals, inline.totals);
    assert!(index.totals.sums.findings >= 3, "{:?}", index.totals);
    assert_eq!(index.buckets.len(), inline.buckets.len());
    for (x, b) in index.buckets.iter().zip(&inline.buckets) {
        assert_eq!((&x.account_id, &x.name), (&b.account_id, &b.name));
        assert_eq!(x.status, b.status, "{}", b.name);
        assert_eq!(x.totals, b.totals, "{}", b.name);
        assert_eq!(x.metadata, b.metadata, "{}", b.name);
        assert_eq!(x.warnings, b.warnings, "{}", b.name);
        assert_eq!(x.errors, b.errors, "{}", b.name);
    }
    let units: Vec<&str> = index.buckets[0]
        .units
        .iter()
        .map(|u| u.unit_id.as_str())
        .collect();
    assert_eq!(units, ["unit-a", "unit-b"]);
    assert_eq!(
        index.buckets[0].units[1].files.findings_csv,
        "reports/unit-b.findings.csv"
    );
    assert_eq!(
        index.entries,
        inline
            .buckets
            .iter()
            .map(|b| (b.objects.len() + b.deleted.len()) as u64)
            .sum::<u64>()
    );
}

#[test]
fn first_findings_are_capped_in_bucket_then_unit_order() {
    let all = sample_index(500);
    let shown = all.findings_shown();
    assert_eq!(shown, all.totals.sums.findings, "all fit under 500");
    let capped = sample_index(2);
    assert_eq!(capped.findings_shown(), 2);
    assert_eq!(
        capped.totals, all.totals,
        "the cap changes what is shown only"
    );
    let first_key = &all.buckets[0].first_findings[0].metadata.key;
    assert_eq!(&capped.buckets[0].first_findings[0].metadata.key, first_key);
}

#[test]
fn a_share_keeps_its_first_findings_and_errors_bounded() {
    let parts = unit_parts();
    let hit = parts[0]
        .objects
        .iter()
        .find(|o| !o.findings.is_empty())
        .unwrap()
        .clone();
    let big = BucketPart {
        objects: vec![hit; FIRST_FINDINGS_PER_UNIT * 3],
        errors: vec![ScanIssue::default(); index::ERRORS_PER_UNIT * 2],
        ..BucketPart::default()
    };
    let (_, s) = share_of("u", &[&big, &big]);
    assert_eq!(s.first_findings.len(), FIRST_FINDINGS_PER_UNIT);
    assert_eq!(s.errors.len(), index::ERRORS_PER_UNIT);
    assert_eq!(s.totals.errors, (index::ERRORS_PER_UNIT * 4) as u64);
    assert_eq!(s.entries, (FIRST_FINDINGS_PER_UNIT * 6) as u64);
    assert_eq!(s.parts, 2);
}

#[test]
fn a_bucket_complete_by_plan_without_any_part_is_partial() {
    let mut plan = sample_plan();
    plan[0].status = BucketStatus::Complete;
    let index = ScanIndex::assemble(
        header(),
        IndexLimits {
            inline_objects_max: 0,
            first_findings_max: 10,
        },
        vec![BucketShares {
            bucket: plan[0].clone(),
            units: Vec::new(),
        }],
    );
    assert_eq!(index.buckets[0].status, BucketStatus::Partial);
}

#[test]
fn report_document_reads_either_version() {
    let inline = ScanReport::assemble(header(), sample_plan(), unit_parts());
    let v2 = render(&inline, ReportFile::Json).unwrap();
    let doc = ReportDocument::from_slice(&v2).unwrap();
    assert_eq!(doc, ReportDocument::Inline(inline.clone()));
    assert_eq!(doc.view().into_owned(), inline);

    let index = sample_index(500);
    let v3 = render_document(&ReportDocument::Index(index.clone()), ReportFile::Json).unwrap();
    let text = String::from_utf8(v3.clone()).unwrap();
    assert!(text.contains("\"format_version\": 3"));
    assert!(
        !text.contains("\"objects\""),
        "no object inline at version 3"
    );
    let doc = ReportDocument::from_slice(&v3).unwrap();
    assert_eq!(doc.index(), Some(&index));
    let view = doc.view();
    assert_eq!(view.totals, index.totals);
    assert_eq!(view.buckets[0].objects, index.buckets[0].first_findings);
    assert!(view.buckets.iter().all(|b| b.deleted.is_empty()));
}

#[test]
fn version_3_files_hold_no_unmasked_value_and_point_to_the_unit_files() {
    let index = sample_index(500);
    let doc = ReportDocument::Index(index.clone());
    for file in ReportFile::ALL {
        let body = String::from_utf8(render_document(&doc, file).unwrap()).unwrap();
        for v in PLANTED {
            assert!(!body.contains(v), "{} holds {v}", file.name());
        }
    }
    let csv = String::from_utf8(render_document(&doc, ReportFile::FindingsCsv).unwrap()).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + index.findings_shown());
    let html = String::from_utf8(render_document(&doc, ReportFile::Html).unwrap()).unwrap();
    assert!(html.contains("id=\"units-table\""));
    assert!(html.contains("href=\"reports/unit-a.json\""));
    assert!(html.contains("href=\"reports/unit-b.findings.csv\""));
    assert!(html.contains("id=\"findings-first\""));
    assert!(
        !html.contains("id=\"skipped-table\""),
        "skips are in the unit files"
    );
    let ocsf: Vec<serde_json::Value> =
        serde_json::from_slice(&render_document(&doc, ReportFile::FindingsOcsf).unwrap()).unwrap();
    assert_eq!(ocsf.len() as u64, index.findings_shown());
}

#[test]
fn an_index_without_buckets_renders() {
    let index = ScanIndex::assemble(
        header(),
        IndexLimits {
            inline_objects_max: 0,
            first_findings_max: 1,
        },
        Vec::new(),
    );
    for file in ReportFile::ALL {
        render_document(&ReportDocument::Index(index.clone()), file).unwrap();
    }
    assert_eq!(index.buckets, Vec::<BucketIndex>::new());
}
