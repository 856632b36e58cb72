//! Scan reports: the model every task fills ([`model`]), posture warnings ([`posture`]),
//! and the renderers of `scans/<scan_id>/`: `report.json`, `findings.csv`,
//! `findings.ocsf.json` and `report.html`.

mod assemble;
pub mod model;
pub mod posture;

pub use model::{
    BucketMetadata, BucketPart, BucketReport, BucketStatus, BucketTotals, Column, ConfigSummary,
    Container, DefaultEncryption, DeletedObject, Enumeration, FindingLocation, FindingRecord,
    MaskedSample, ObjectMetadata, ObjectResult, ObjectStatus, PostureWarning, PublicAccessBlock,
    ScanHeader, ScanIssue, ScanMode, ScanReport, Sensitivity, SizeSource, SkipReason, Totals,
    WarningCode, REPORT_FORMAT_VERSION,
};

#[cfg(test)]
mod tests;
