//! `findings.csv`: one row per finding (one detector in one object), for spreadsheets
//! and SIEM lookups.
//!
//! Columns, in order: [`COLUMNS`]. Quoting follows RFC 4180 (the `csv` crate). Text
//! cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or carriage return) get a leading `'`, as OWASP advises against CSV injection: an
//! object key is chosen by whoever wrote the object.

use std::io::Write;

use super::model::{FindingRecord, ObjectResult, ScanReport};
use super::ReportError;

/// The header row.
pub const COLUMNS: [&str; 19] = [
    "scan_id",
    "account_id",
    "bucket",
    "region",
    "key",
    "version_id",
    "size",
    "last_modified",
    "etag",
    "storage_class",
    "status",
    "detector",
    "category",
    "confidence",
    "count",
    "sensitivity",
    "locations",
    "masked_samples",
    "carried_from",
];

/// Writes `findings.csv` for the report.
pub fn write<W: Write>(report: &ScanReport, w: W) -> Result<(), ReportError> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for b in &report.buckets {
        for o in &b.objects {
            for f in &o.findings {
                out.write_record(row(report, b, o, f))?;
            }
        }
    }
    out.flush().map_err(ReportError::Write)?;
    Ok(())
}

/// The header row alone, as CSV bytes (the start of a unit's `findings.csv` share).
pub fn header() -> Result<Vec<u8>, ReportError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    out.into_inner()
        .map_err(|e| ReportError::Write(e.into_error()))
}

/// The rows of the findings of `objects` (of bucket `b`), as CSV bytes without a header:
/// one part file's share of a unit's `findings.csv`.
pub fn rows(
    report: &ScanReport,
    b: &super::model::BucketReport,
    objects: &[ObjectResult],
) -> Result<Vec<u8>, ReportError> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for o in objects {
        for f in &o.findings {
            out.write_record(row(report, b, o, f))?;
        }
    }
    out.into_inner()
        .map_err(|e| ReportError::Write(e.into_error()))
}

fn row(
    report: &ScanReport,
    b: &super::model::BucketReport,
    o: &ObjectResult,
    f: &FindingRecord,
) -> [String; COLUMNS.len()] {
    let m = &o.metadata;
    let opt = |v: &Option<String>| v.as_deref().map(neutralize).unwrap_or_default();
    [
        neutralize(&report.scan_id),
        opt(&b.account_id),
        neutralize(&b.name),
        opt(&b.metadata.region),
        neutralize(&m.key),
        opt(&m.version_id),
        m.size.to_string(),
        opt(&m.last_modified),
        opt(&m.etag),
        opt(&m.storage_class),
        o.status.as_str().to_string(),
        neutralize(&f.detector),
        f.category.as_str().to_string(),
        neutralize(&f.confidence),
        f.count.to_string(),
        super::model::Sensitivity::of_finding(f)
            .as_str()
            .to_string(),
        neutralize(
            &f.locations
                .iter()
                .map(|l| l.describe())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        neutralize(
            &f.samples
                .iter()
                .map(|s| s.masked.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
        ),
        opt(&o.carried_from),
    ]
}

/// The cell with a leading `'` when a spreadsheet would read it as a formula.
fn neutralize(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::tests::{sample_report, HOSTILE_KEY, PLANTED};

    fn rows() -> Vec<csv::StringRecord> {
        let mut buf = Vec::new();
        write(&sample_report(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for v in PLANTED {
            assert!(!text.contains(v), "findings.csv holds {v} unmasked");
        }
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn one_row_per_finding_with_masked_samples() {
        let rows = rows();
        let detectors: Vec<&str> = rows.iter().map(|r| &r[11]).collect();
        assert_eq!(rows.len(), 3, "{detectors:?}");
        let card = rows.iter().find(|r| &r[11] == "credit_card").unwrap();
        assert_eq!(&card[2], "acme-hr-exports");
        assert_eq!(&card[4], "payments/2026/cards.txt");
        assert_eq!(&card[10], "COMPLETE");
        assert_eq!(&card[12], "financial");
        assert_eq!(&card[15], "high");
        assert_eq!(&card[16], "line 1, column 25");
        assert_eq!(&card[17], "45************86");
    }

    #[test]
    fn hostile_keys_survive_quoting_intact() {
        let rows = rows();
        assert!(rows.iter().any(|r| &r[4] == HOSTILE_KEY));
    }

    #[test]
    fn formula_like_cells_are_neutralized() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("-2+3"), "'-2+3");
        assert_eq!(neutralize("plain/key.csv"), "plain/key.csv");
    }
}
