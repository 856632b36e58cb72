//! Inventory file units: a bucket named in the config's `inventories` is enumerated from
//! its S3 Inventory report, one unit per data file of the report, so N workers read N
//! files in parallel.
//!
//! The plan finds the latest complete report ([`pin`]: `manifest.json` verified against
//! `manifest.checksum`, not older than `max_age_hours`) and queues one unit per entry of
//! its `files` ([`files_of`]), each carrying the file's key, size and MD5 from the
//! verified manifest, so a task never reads the manifest again. A task downloads its
//! file once ([`OpenFile::open`]: streamed to a local file while its MD5 is computed,
//! then checked against the manifest's, so memory stays flat), and reads it slice after
//! slice (`records_per_task` current objects each) for as long as its time allows; a
//! task that must stop before the Lambda deadline queues its continuation with the
//! record offset reached ([`Position`]), and the next task downloads the file again and
//! skips that many records, so no record is lost or counted twice. When the report is
//! missing, stale or unreadable at plan time, the bucket is listed instead and the report
//! says why ([`fallback_issue`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::access::AccessIssue;
use super::config::InventorySource;
use super::inventory::{
    self, FileFormat, InventoryError, InventoryReport, ManifestFile, Records, VerifiedFile,
};
use super::report::{Enumeration, ObjectMetadata, ScanIssue};

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

/// A position in a data file of a pinned report, and what was counted before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Index of the data file in the manifest's `files`.
    pub file: usize,
    /// Records of that file already consumed.
    pub record: u64,
    /// Current objects of the file before this position.
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Where the next slice of an inventory file unit starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryCursor {
    /// The pinned report.
    pub report: PinnedReport,
    /// The position in it.
    pub position: Position,
}

/// What one slice read from a data file.
#[derive(Debug, Default)]
pub struct InventorySlice {
    /// Current objects, each with the position right after it.
    pub objects: Vec<(ObjectMetadata, Position)>,
    /// The position after the last record read, or `None` when the file is done.
    pub next: Option<Position>,
    /// Position at the end of the slice (equal to `next` unless the file is done), for
    /// the file's object and byte counts.
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

/// One data file of a pinned report: what an inventory file unit reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryFile {
    /// The report the file belongs to.
    pub report: PinnedReport,
    /// Index of the file in the manifest's `files`.
    pub index: usize,
    /// Key, size and MD5 as the verified manifest lists them.
    pub entry: ManifestFile,
    /// CSV or Parquet.
    pub format: FileFormat,
    /// The manifest's `fileSchema` (CSV column order).
    pub file_schema: String,
}

/// Every data file of `report` (pinned as `pinned`), one unit's worth each.
pub fn files_of(pinned: &PinnedReport, report: &InventoryReport) -> Vec<InventoryFile> {
    report
        .manifest
        .files
        .iter()
        .enumerate()
        .map(|(index, entry)| InventoryFile {
            report: pinned.clone(),
            index,
            entry: entry.clone(),
            format: report.manifest.file_format,
            file_schema: report.manifest.file_schema.clone(),
        })
        .collect()
}

/// A data file downloaded and verified, read record by record: kept open across the
/// slices of one task so the file is downloaded once per task.
pub struct OpenFile {
    records: Records,
    /// Records consumed so far (the offset a continuation starts from).
    consumed: u64,
    /// Removes the local copy when dropped.
    _file: VerifiedFile,
}

impl OpenFile {
    /// Downloads `file` into `dir`, verifies its size and MD5 against the manifest, and
    /// skips its first `skip` records (where an earlier task stopped).
    pub async fn open(
        s3: &aws_sdk_s3::Client,
        file: &InventoryFile,
        skip: u64,
        dir: &Path,
    ) -> Result<OpenFile, InventoryError> {
        let verified =
            inventory::fetch_entry(s3, &file.report.bucket, &file.entry, file.format, dir).await?;
        let mut records = inventory::read_path(
            &verified.path,
            &verified.key,
            verified.format,
            &file.file_schema,
        )?;
        let mut consumed = 0;
        while consumed < skip {
            match records.next() {
                Some(r) => {
                    r?;
                    consumed += 1;
                }
                None => break,
            }
        }
        Ok(OpenFile {
            records,
            consumed,
            _file: verified,
        })
    }

    /// Records consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Reads up to `max` current objects from the file's current record (`from` counts
    /// what came before it), each with the position right after it.
    pub fn read(&mut self, from: Position, max: usize) -> Result<InventorySlice, InventoryError> {
        let mut out = InventorySlice::default();
        let mut pos = from;
        pos.record = self.consumed;
        for r in self.records.by_ref() {
            let r = r?;
            self.consumed += 1;
            pos.record = self.consumed;
            if !r.is_current_object() {
                continue;
            }
            pos.objects += 1;
            pos.bytes += r.size.unwrap_or(0);
            out.objects.push((metadata(&r), pos));
            if out.objects.len() >= max.max(1) {
                out.next = Some(pos);
                out.end = pos;
                return Ok(out);
            }
        }
        out.end = pos;
        Ok(out)
    }
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
        http_status: None,
        message: e.to_string(),
        transient: e.is_transient(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
