//! What a scan records per object, per slice (part files) and per unit (bucket summaries).
//!
//! Part files (`scans/<scan_id>/parts/<unit_id>/<slice>.json`) hold every listed object's
//! metadata and result, in key order; they are also the baseline an incremental scan
//! compares against. Unit summaries (`scans/<scan_id>/units/<unit_id>.json`) hold the
//! counts and the slice bounds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classify::Finding;

/// Where a finding's value is, as the classifier reported it: a line and column for
/// text, and for structured files the row, column name, JSON path, sheet or cell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingLocation {
    /// Line, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Column in bytes from the line start, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// Byte offset in the decompressed object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Record (row) number of a structured file, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// CSV/TSV/Parquet column name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// JSON path of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Spreadsheet sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Spreadsheet cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
}

/// A masked sample and its keyed digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// The masked value (never the value itself).
    pub masked: String,
    /// HMAC-SHA256 of the value under the deployment's key.
    pub hmac: String,
}

/// All matches of one detector in one object, as part files keep them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Detector id.
    pub detector: String,
    /// Category (`credentials`, `financial`, `personal`, `national_id`...).
    pub category: String,
    /// Highest confidence (`low`, `medium`, `high`).
    pub confidence: String,
    /// Number of matches.
    pub count: u64,
    /// The first locations.
    #[serde(default)]
    pub locations: Vec<FindingLocation>,
    /// Distinct masked samples.
    #[serde(default)]
    pub samples: Vec<SampleRecord>,
}

impl FindingRecord {
    /// From the classifier's finding (through its serialised form, so fields the classifier
    /// adds to locations are kept when they have a name here).
    pub fn from_finding(f: &Finding) -> FindingRecord {
        let v = serde_json::to_value(f).expect("findings serialise");
        serde_json::from_value(v).expect("a classifier finding has the fields of a record")
    }
}

use super::task::Unit;

/// Result of one selected object, as Macie reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectResult {
    /// Read to the end (or to the end of its sample) and classified.
    Complete,
    /// Classified in part: a sampling limit cut it.
    Partial,
    /// Not classified; see the reason.
    Skipped,
}

/// Why a selected object was not classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// An archived storage class (GLACIER, DEEP_ARCHIVE, or not in `storage_classes`).
    ArchivedStorageClass,
    /// Larger than `max_object_size`.
    TooLarge,
    /// Content the classifier cannot read (binary, unknown container).
    UnsupportedType,
    /// S3 refused GetObject (`s3:GetObject` missing or denied).
    AccessDenied,
    /// The object's KMS key refused to decrypt it (`kms:Decrypt`).
    KmsDenied,
    /// The object changed or disappeared between listing and reading (ETag mismatch).
    ChangedDuringScan,
    /// The task's time ran out while reading it.
    TimeBudget,
    /// Reading failed for another reason (corrupt compression, network); see `error`.
    Unreadable,
}

impl SkipReason {
    /// The reason code as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ArchivedStorageClass => "archived_storage_class",
            SkipReason::TooLarge => "too_large",
            SkipReason::UnsupportedType => "unsupported_type",
            SkipReason::AccessDenied => "access_denied",
            SkipReason::KmsDenied => "kms_denied",
            SkipReason::ChangedDuringScan => "changed_during_scan",
            SkipReason::TimeBudget => "time_budget",
            SkipReason::Unreadable => "unreadable",
        }
    }

    /// Whether the next incremental scan should try the object again even if unchanged.
    pub fn retry_next_time(self) -> bool {
        matches!(
            self,
            SkipReason::AccessDenied
                | SkipReason::KmsDenied
                | SkipReason::ChangedDuringScan
                | SkipReason::TimeBudget
                | SkipReason::Unreadable
        )
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a listed object was not selected for classification (not a skip: the config or
/// the mode chose not to read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSelected {
    /// Outside `prefixes` or `file_types`.
    OutOfScope,
    /// Incremental scan: unchanged since the baseline scan.
    Unchanged,
    /// Beyond `max_objects_per_prefix` or outside the `partition_share` sample.
    SampledOut,
}

/// One listed object: its metadata and what the scan did with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// Object key.
    pub key: String,
    /// Size in bytes as stored.
    pub size: u64,
    /// Last modified (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// ETag (quoted as S3 returns it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Storage class (`STANDARD` when S3 omits it).
    pub storage_class: String,
    /// Content type, when the object was read or headed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Server-side encryption (`AES256`, `aws:kms`, `aws:kms:dsse`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
    /// KMS key ARN for SSE-KMS objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Why it was not selected; `None` when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<NotSelected>,
    /// Result, for selected objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ObjectResult>,
    /// Why a selected object was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    /// AWS error code behind an access or KMS skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong, for `unreadable` (never object content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Decompressed bytes classified.
    #[serde(default)]
    pub bytes_classified: u64,
    /// Findings (masked samples only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingRecord>,
}

impl ObjectRecord {
    /// A listed object before anything was decided.
    pub fn listed(
        key: String,
        size: u64,
        last_modified: Option<String>,
        etag: Option<String>,
        storage_class: Option<String>,
    ) -> ObjectRecord {
        ObjectRecord {
            key,
            size,
            last_modified,
            etag,
            storage_class: storage_class.unwrap_or_else(|| "STANDARD".into()),
            content_type: None,
            encryption: None,
            kms_key_id: None,
            not_selected: None,
            result: None,
            reason: None,
            error_code: None,
            error: None,
            bytes_classified: 0,
            findings: Vec::new(),
        }
    }

    /// Marks the object skipped.
    pub fn skip(&mut self, reason: SkipReason) {
        self.result = Some(ObjectResult::Skipped);
        self.reason = Some(reason);
    }
}

/// An object the baseline scan saw that is gone now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedObject {
    /// Key.
    pub key: String,
    /// ETag it had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Size it had.
    pub size: u64,
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
    /// Every object listed in the slice, in key order.
    pub objects: Vec<ObjectRecord>,
    /// Objects of the baseline within this slice's key range that are gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<DeletedObject>,
}

/// Counters of a unit (or a whole scan).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Objects listed.
    pub objects: u64,
    /// Bytes listed (sizes as stored).
    pub bytes: u64,
    /// Objects selected for classification.
    pub selected: u64,
    /// Objects classified completely.
    pub complete: u64,
    /// Objects classified in part.
    pub partial: u64,
    /// Objects skipped.
    pub skipped: u64,
    /// Skipped objects by reason code.
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Objects not selected, by why.
    pub not_selected: BTreeMap<String, u64>,
    /// Decompressed bytes classified.
    pub bytes_classified: u64,
    /// Objects with at least one finding.
    pub objects_with_findings: u64,
    /// Matches by detector id.
    pub findings_by_detector: BTreeMap<String, u64>,
    /// Objects of the baseline that are gone.
    pub deleted: u64,
}

impl Counts {
    /// Adds one object's record.
    pub fn add(&mut self, r: &ObjectRecord) {
        self.objects += 1;
        self.bytes += r.size;
        if let Some(n) = r.not_selected {
            let key = serde_json::to_value(n)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *self.not_selected.entry(key).or_default() += 1;
            return;
        }
        self.selected += 1;
        match r.result {
            Some(ObjectResult::Complete) => self.complete += 1,
            Some(ObjectResult::Partial) => self.partial += 1,
            Some(ObjectResult::Skipped) | None => {
                self.skipped += 1;
                let reason = r.reason.map_or("unknown", SkipReason::as_str);
                *self.skipped_by_reason.entry(reason.into()).or_default() += 1;
            }
        }
        self.bytes_classified += r.bytes_classified;
        if !r.findings.is_empty() {
            self.objects_with_findings += 1;
        }
        for f in &r.findings {
            *self
                .findings_by_detector
                .entry(f.detector.clone())
                .or_default() += f.count;
        }
    }

    /// Adds another counter set.
    pub fn merge(&mut self, o: &Counts) {
        self.objects += o.objects;
        self.bytes += o.bytes;
        self.selected += o.selected;
        self.complete += o.complete;
        self.partial += o.partial;
        self.skipped += o.skipped;
        self.bytes_classified += o.bytes_classified;
        self.objects_with_findings += o.objects_with_findings;
        self.deleted += o.deleted;
        for (k, v) in &o.skipped_by_reason {
            *self.skipped_by_reason.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.not_selected {
            *self.not_selected.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.findings_by_detector {
            *self.findings_by_detector.entry(k.clone()).or_default() += v;
        }
    }

    /// Total matches over every detector.
    pub fn findings(&self) -> u64 {
        self.findings_by_detector.values().sum()
    }
}

/// A finished unit: written once its last slice is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitSummary {
    /// Scan.
    pub scan_id: String,
    /// The unit.
    pub unit: Unit,
    /// Counters over every slice.
    pub counts: Counts,
    /// The last key of each slice, in slice order (slice `i` covers keys after
    /// `bounds[i-1]` up to and including `bounds[i]`; the last slice also everything after).
    pub bounds: Vec<String>,
    /// When the unit finished (RFC 3339).
    pub finished_at: String,
    /// Why the unit could not be listed to the end (its role or listing was refused);
    /// its checkpoint is then left where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<super::access::AccessIssue>,
}
