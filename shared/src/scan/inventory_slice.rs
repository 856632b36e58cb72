//! One slice of a unit enumerated from its S3 Inventory report instead of ListObjectsV2.
//!
//! The first slice of a unit whose bucket the config names in `inventories` finds the
//! latest complete report ([`super::inventory::latest_report`]) and pins it: every later
//! slice reads that same report (its folder, verified again against `manifest.checksum`),
//! so a report delivered mid-scan cannot make an object counted twice or missed. A slice
//! continues from an [`InventoryCursor`] (data file index and records consumed in it),
//! takes up to the inventory's `records_per_task` current objects under the unit's
//! prefix, and returns the cursor right after each of them, so a task that stops early at
//! an object boundary resumes exactly there. When the report is missing, stale or unreadable at the first
//! slice, the unit is listed instead and the part says why ([`fallback_issue`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::access::AccessIssue;
use super::config::InventorySource;
use super::inventory::{self, InventoryError, InventoryReport};
use super::report::{Enumeration, ObjectMetadata, ScanIssue};
use super::task::Unit;

/// The report a unit is enumerated from, pinned at its first slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedReport {
    /// Destination bucket of the report.
    pub bucket: String,
    /// Folder of `manifest.json` (`<prefix>/<source>/<id>/<YYYY-MM-DDTHH-MMZ>/`).
    pub folder: String,
    /// The report's creation time (RFC 3339).
    pub created_at: String,
}

impl PinnedReport {
    /// How the report names the bucket's enumeration.
    pub fn enumeration(&self) -> Enumeration {
        Enumeration::Inventory {
            manifest: format!("s3://{}/{}manifest.json", self.bucket, self.folder),
            created_at: self.created_at.clone(),
        }
    }
}

/// A position in a pinned report, and what was counted before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Index of the data file in the manifest's `files`.
    pub file: usize,
    /// Records of that file already consumed.
    pub record: u64,
    /// Current objects of the whole report before this position (every prefix).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Where the next slice of an inventory-enumerated unit starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryCursor {
    /// The pinned report.
    pub report: PinnedReport,
    /// The position in it.
    pub position: Position,
    /// Set once a key came out of key order (S3 does not document the report's order):
    /// slice bounds then do not partition the keys, so no incremental baseline is kept.
    #[serde(default)]
    pub unordered: bool,
}

/// What one slice read.
#[derive(Debug, Default)]
pub struct InventorySlice {
    /// Current objects under the unit's prefix, each with the position right after it.
    pub objects: Vec<(ObjectMetadata, Position)>,
    /// The position after the last record read, or `None` when the report is done.
    pub next: Option<Position>,
    /// Position at the end of the slice (equal to `next` unless the report is done),
    /// for the report-wide object and byte counts.
    pub end: Position,
}

/// Why the unit is listed instead: the report's problem, as the bucket's reports show it.
pub fn fallback_issue(source: &InventorySource, reason: &str) -> ScanIssue {
    ScanIssue {
        operation: "S3 Inventory".into(),
        key: None,
        code: Some("InventoryFallback".into()),
        action: None,
        message: format!(
            "inventory {:?} of bucket {} not used, objects listed with ListObjectsV2 instead: {reason}",
            source.id, source.bucket
        ),
    }
}

/// Finds the report the unit will be read from: the latest complete one, unless it is
/// older than `max_age_hours` before `started_ms` (then `Err` with the reason).
pub async fn pin(
    s3: &aws_sdk_s3::Client,
    source: &InventorySource,
    started_ms: i64,
) -> Result<(PinnedReport, InventoryReport), String> {
    let report = inventory::latest_report(s3, &source.to_inventory_config())
        .await
        .map_err(|e| e.to_string())?;
    let age_ms = started_ms - report.created_ms();
    let max_ms = i64::from(source.max_age_hours) * 3_600_000;
    if age_ms > max_ms {
        return Err(format!(
            "the latest complete report {} was created at {}, {} hours before the scan \
             (max_age_hours is {}); check that the inventory still runs",
            report.manifest_uri(),
            report.created_at,
            age_ms / 3_600_000,
            source.max_age_hours
        ));
    }
    let pinned = PinnedReport {
        bucket: report.bucket.clone(),
        folder: report.folder().to_string(),
        created_at: report.created_at.clone(),
    };
    Ok((pinned, report))
}

/// Whether `key` belongs to `unit` (its prefix; only root keys for a root-only unit).
fn in_unit(unit: &Unit, key: &str) -> bool {
    key.strip_prefix(unit.prefix.as_str())
        .is_some_and(|rest| !unit.root_only || !rest.contains('/'))
}

/// The report model's metadata for a record: ETag quoted as ListObjectsV2 returns it, so
/// `If-Match` reads and incremental comparisons treat both sources alike.
fn metadata(record: &inventory::InventoryRecord) -> ObjectMetadata {
    let mut meta = record.to_object_metadata();
    meta.etag = meta.etag.map(|e| format!("\"{e}\""));
    if meta.storage_class.is_none() {
        meta.storage_class = Some("STANDARD".into());
    }
    meta
}

/// Reads up to `max` current objects of `unit` from `report`, from `from`. Data files
/// are downloaded into `dir` and MD5-verified before use; a slice may cross files.
pub async fn read_slice(
    s3: &aws_sdk_s3::Client,
    report: &InventoryReport,
    unit: &Unit,
    from: Position,
    max: usize,
    dir: &Path,
) -> Result<InventorySlice, InventoryError> {
    let mut out = InventorySlice::default();
    let mut pos = from;
    while pos.file < report.manifest.files.len() {
        let file = inventory::fetch_file(s3, report, pos.file, dir).await?;
        let records = inventory::read_file(&file, &report.manifest)?;
        let mut index = 0u64;
        for r in records {
            let r = r?;
            index += 1;
            if index <= pos.record {
                continue;
            }
            pos.record = index;
            if !r.is_current_object() {
                continue;
            }
            pos.objects += 1;
            pos.bytes += r.size.unwrap_or(0);
            if in_unit(unit, &r.key) {
                out.objects.push((metadata(&r), pos));
                if out.objects.len() >= max {
                    out.next = Some(pos);
                    out.end = pos;
                    return Ok(out);
                }
            }
        }
        pos = Position {
            file: pos.file + 1,
            record: 0,
            ..pos
        };
    }
    out.end = pos;
    Ok(out)
}

/// A failure reading a pinned report in a later slice, as an access issue of the unit
/// (transient ones are retried through the queue; others end the unit with this issue).
pub fn issue_of(e: &InventoryError) -> AccessIssue {
    let (code, action) = match e {
        InventoryError::S3 { code, action, .. } => (code.clone(), action.unwrap_or("s3:GetObject")),
        _ => (None, "s3:GetObject"),
    };
    AccessIssue {
        operation: "S3 Inventory".into(),
        action: action.into(),
        error_code: code,
        message: e.to_string(),
        transient: e.is_transient(),
    }
}

/// Whether `keys` ascend strictly, all after `after`.
pub fn in_key_order<'a>(after: Option<&str>, keys: impl IntoIterator<Item = &'a str>) -> bool {
    let mut prev = after;
    for k in keys {
        if prev.is_some_and(|p| k <= p) {
            return false;
        }
        prev = Some(k);
    }
    true
}

/// Reads the pinned report again (verified against its checksum), for a later slice.
pub async fn reopen(
    s3: &aws_sdk_s3::Client,
    pinned: &PinnedReport,
) -> Result<InventoryReport, InventoryError> {
    inventory::report_in(s3, &pinned.bucket, &pinned.folder)
        .await?
        .ok_or_else(|| InventoryError::NoReport {
            bucket: pinned.bucket.clone(),
            prefix: pinned.folder.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_membership_follows_prefix_and_root_only() {
        let whole = Unit::new(None, None, "b", "us-east-1", "", false);
        let root = Unit::new(None, None, "b", "us-east-1", "", true);
        let logs = Unit::new(None, None, "b", "us-east-1", "logs/", false);
        assert!(in_unit(&whole, "a/b.txt"));
        assert!(in_unit(&root, "top.txt") && !in_unit(&root, "a/b.txt"));
        assert!(in_unit(&logs, "logs/x") && !in_unit(&logs, "other/x"));
    }

    #[test]
    fn key_order_is_strict_and_starts_after_the_previous_bound() {
        assert!(in_key_order(None, ["a", "b", "c"]));
        assert!(in_key_order(Some("a"), ["b"]));
        assert!(!in_key_order(Some("b"), ["b"]));
        assert!(!in_key_order(None, ["a", "c", "b"]));
        assert!(in_key_order(Some("z"), []));
    }

    #[test]
    fn inventory_etags_are_quoted_like_listing_etags() {
        let r = inventory::InventoryRecord {
            key: "k".into(),
            etag: Some("abc".into()),
            ..Default::default()
        };
        let m = metadata(&r);
        assert_eq!(m.etag.as_deref(), Some("\"abc\""));
        assert_eq!(m.storage_class.as_deref(), Some("STANDARD"));
    }
}
