//! What a scan writes per slice (part files) and per unit (unit summaries).
//!
//! A part file (`scans/<scan_id>/parts/<unit_id>/<slice>.json`) holds the slice's
//! [`BucketPart`] (the report's own shape: objects classified or skipped, deletions,
//! errors, counts) and the slice's whole listing, in key order: the baseline the next
//! incremental scan of the unit compares against, with the slice's upper key bound. A
//! unit summary (`scans/<scan_id>/units/<unit_id>.json`) marks the unit finished, counts
//! its slices and carries its share of the report (its report files and totals).

use serde::{Deserialize, Serialize};

use super::access::AccessIssue;
use super::report::index::UnitShare;
use super::report::{BucketPart, ObjectResult, ObjectStatus};
use super::task::Unit;

/// Why a listed object in scope was not selected for classification (not a skip: the
/// mode or the sampling chose not to read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSelected {
    /// Outside `prefixes` or `file_types` (not counted as seen).
    OutOfScope,
    /// Incremental scan: unchanged since the baseline scan.
    Unchanged,
    /// Beyond `max_objects_per_prefix` or outside the `partition_share` sample.
    SampledOut,
}

/// One listed object as the baseline keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// Key.
    pub key: String,
    /// ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Last modified (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Whether its content is accounted for: classified, unchanged since a scan that did,
    /// or skipped for a reason that will not change by itself (size, type, storage class).
    /// An unsettled object is read again by the next incremental scan even if unchanged.
    pub settled: bool,
}

/// Whether a result settles an object (see [`Listed::settled`]).
pub fn settles(o: &ObjectResult) -> bool {
    use super::report::SkipReason as R;
    match o.status {
        ObjectStatus::Complete | ObjectStatus::Partial => true,
        ObjectStatus::Skipped => matches!(
            o.reason,
            Some(
                R::ArchivedStorageClass
                    | R::StorageClassNotSelected
                    | R::FileExceedsSizeLimit
                    | R::UnsupportedFileType
                    | R::InvalidContent
            )
        ),
    }
}

/// One task slice's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Scan.
    pub scan_id: String,
    /// Unit.
    pub unit_id: String,
    /// Slice number, from 0.
    pub slice: u32,
    /// The report's part: objects classified or skipped, deletions, errors, counts.
    pub report: BucketPart,
    /// Every object listed in scope, in key order (the next incremental scan's baseline).
    pub listing: Vec<Listed>,
    /// The slice's upper bound: it covers keys after the previous slice's bound up to and
    /// including this one (the unit's last slice: everything after).
    #[serde(default)]
    pub bound: String,
}

/// A finished unit: written once its last slice is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitSummary {
    /// Scan.
    pub scan_id: String,
    /// The unit.
    pub unit: Unit,
    /// Slices written.
    pub slices: u32,
    /// When the unit finished (RFC 3339).
    pub finished_at: String,
    /// Why the unit could not be listed to the end (its role or listing was refused);
    /// its checkpoint is then left where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<AccessIssue>,
    /// The unit's share of the report: its report files, totals, first findings and
    /// errors (absent in summaries written before unit report files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<UnitShare>,
}
