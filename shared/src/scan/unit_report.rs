//! A unit's report files, written by the task that finishes the unit: its share of the
//! scan's report under `scans/<scan_id>/reports/<unit id>.*` (see
//! [`super::report::index`]), so report assembly is spread over the units' tasks.
//!
//! - `<unit id>.json`: every object (classified, skipped with its reason, carried
//!   forward), deletion and error of the unit, one element of `slices` per part file;
//! - `<unit id>.findings.csv`: its rows of `findings.csv`, with the header;
//! - `<unit id>.findings.ocsf.json`: its OCSF Data Security Finding events, a JSON array.
//!
//! The part files are read one at a time (the next one fetched while the current one is
//! rendered) and each file is streamed through an [`Upload`]: memory holds one part file
//! and at most one upload part per file, whatever the unit's size. The three files are
//! multipart uploads rather than one object per part file so the index lists three files
//! per unit (not three per slice) and a reader opens one file per unit. What the task
//! learns on the way (totals, the first findings and errors) is returned as the unit's
//! [`UnitShare`], which goes into its summary for the scan's last task.
//!
//! Rewriting is idempotent: the keys are fixed per unit and the content comes from the
//! same part files, so a redelivered task writes the same files.

use tracing::info;

use super::context::ScanContext;
use super::plan::now;
use super::record::Part;
use super::report::index::{SliceRecords, UnitFiles, UnitShare, INDEX_FORMAT_VERSION};
use super::report::{findings_csv, ocsf, BucketMetadata, BucketReport, ScanReport};
use super::task::Unit;
use super::upload::Upload;
use super::work::part_key;
use super::ScanError;

/// Key of one of a unit's report files (`files.json`, ...), relative to the store.
pub fn unit_file_key(scan_id: &str, relative: &str) -> String {
    format!("scans/{scan_id}/{relative}")
}

/// The three uploads of a unit's files.
struct UnitUploads {
    json: Upload,
    csv: Upload,
    ocsf: Upload,
}

impl UnitUploads {
    async fn abort(mut self) {
        self.json.abort().await;
        self.csv.abort().await;
        self.ocsf.abort().await;
    }
}

/// Writes the report files of `unit` from its part files `0..slices` (a missing part is
/// left out, as the inline report does) and returns the unit's share.
pub async fn write_unit_report(
    ctx: &ScanContext,
    scan_id: &str,
    unit: &Unit,
    slices: u32,
) -> Result<UnitShare, ScanError> {
    let files = UnitFiles::of(&unit.id);
    let key = |rel: &str| unit_file_key(scan_id, rel);
    let store = &ctx.store;
    let mut up = UnitUploads {
        json: Upload::start(store, &key(&files.json), "application/json")
            .await
            .map_err(ScanError::Store)?,
        csv: Upload::start(store, &key(&files.findings_csv), "text/csv; charset=utf-8")
            .await
            .map_err(ScanError::Store)?,
        ocsf: Upload::start(store, &key(&files.findings_ocsf), "application/json")
            .await
            .map_err(ScanError::Store)?,
    };
    let share = UnitShare {
        account_id: unit.account_id.clone(),
        bucket: unit.bucket.clone(),
        prefix: unit.prefix.clone(),
        files,
        ..UnitShare::default()
    };
    match stream_parts(ctx, scan_id, unit, slices, share, &mut up).await {
        Ok(share) => {
            let UnitUploads { json, csv, ocsf } = up;
            let bytes = json.finish().await.map_err(ScanError::Store)?
                + csv.finish().await.map_err(ScanError::Store)?
                + ocsf.finish().await.map_err(ScanError::Store)?;
            info!(scan_id, unit = %unit.id, bucket = %unit.bucket, parts = share.parts, entries = share.entries, findings = share.totals.findings, bytes, "unit report written");
            Ok(share)
        }
        Err(e) => {
            up.abort().await;
            Err(e)
        }
    }
}

/// What the renderers of `findings.csv` and `findings.ocsf.json` need of the scan and the
/// bucket: the scan id, the unit's finish time, and the bucket's account and region.
fn context_of(scan_id: &str, unit: &Unit) -> (ScanReport, BucketReport) {
    let finished = now();
    let report = ScanReport {
        format_version: INDEX_FORMAT_VERSION,
        scan_id: scan_id.to_string(),
        config: Default::default(),
        started_at: finished.clone(),
        finished_at: Some(finished),
        buckets: Vec::new(),
        totals: Default::default(),
    };
    let bucket = BucketReport {
        account_id: unit.account_id.clone(),
        name: unit.bucket.clone(),
        metadata: BucketMetadata {
            region: Some(unit.region.clone()),
            ..BucketMetadata::default()
        },
        ..BucketReport::default()
    };
    (report, bucket)
}

async fn read_part(ctx: &ScanContext, key: String) -> Result<Option<Part>, ScanError> {
    ctx.store.get_json(&key).await.map_err(ScanError::Store)
}

async fn stream_parts(
    ctx: &ScanContext,
    scan_id: &str,
    unit: &Unit,
    slices: u32,
    mut share: UnitShare,
    up: &mut UnitUploads,
) -> Result<UnitShare, ScanError> {
    let (report, bucket) = context_of(scan_id, unit);
    let time = ocsf::report_time_ms(&report);
    let head = serde_json::json!({
        "format_version": INDEX_FORMAT_VERSION,
        "scan_id": scan_id,
        "unit_id": unit.id,
        "account_id": unit.account_id,
        "bucket": unit.bucket,
        "prefix": unit.prefix,
    });
    let mut text = serde_json::to_vec(&head).map_err(report_err)?;
    text.pop(); // the closing brace: `slices` follows
    text.extend_from_slice(b",\"slices\":[");
    up.json.write(&text).await.map_err(ScanError::Store)?;
    up.csv
        .write(&findings_csv::header().map_err(ScanError::Report)?)
        .await
        .map_err(ScanError::Store)?;
    up.ocsf.write(b"[").await.map_err(ScanError::Store)?;
    let mut r = Renderer {
        report: &report,
        bucket: &bucket,
        time,
        first_event: true,
        seen: std::collections::HashSet::new(),
    };
    let key = |slice: u32| part_key(scan_id, &unit.id, slice);
    let mut current = if slices > 0 {
        read_part(ctx, key(0)).await?
    } else {
        None
    };
    for slice in 0..slices {
        // The next part file is fetched while this one is rendered and uploaded.
        let ahead = async {
            if slice + 1 < slices {
                read_part(ctx, key(slice + 1)).await
            } else {
                Ok(None)
            }
        };
        let work = r.add(current.take(), &mut share, up);
        let (next, done) = tokio::join!(ahead, work);
        done?;
        current = next?;
    }
    up.json.write(b"]}\n").await.map_err(ScanError::Store)?;
    up.ocsf.write(b"\n]\n").await.map_err(ScanError::Store)?;
    Ok(share)
}

/// Renders part files into a unit's uploads, and counts them into its share.
struct Renderer<'a> {
    report: &'a ScanReport,
    bucket: &'a BucketReport,
    time: i64,
    first_event: bool,
    /// 128-bit digests of the object keys written so far: an object recorded again by a
    /// later slice (a retried listing that went over it twice) is written and counted
    /// once, as the one-document report keeps it once by key. 16 bytes a key, not the
    /// key itself, so a unit of 10^6 objects holds 16 MB.
    seen: std::collections::HashSet<u128>,
}

/// Two independent 64-bit digests of a key: a collision between two keys of one unit is
/// below 10^-25 at 10^6 keys.
fn key_digest(key: &str) -> u128 {
    use std::hash::BuildHasher;
    let a = foldhash::quality::FixedState::with_seed(0x5eed_0001).hash_one(key);
    let b = foldhash::quality::FixedState::with_seed(0x5eed_0002).hash_one(key);
    (u128::from(a) << 64) | u128::from(b)
}

impl Renderer<'_> {
    async fn add(
        &mut self,
        part: Option<Part>,
        share: &mut UnitShare,
        up: &mut UnitUploads,
    ) -> Result<(), ScanError> {
        let Some(part) = part else { return Ok(()) };
        let mut p = part.report;
        p.objects
            .retain(|o| self.seen.insert(key_digest(&o.metadata.key)));
        share.add_part(&p);
        let csv =
            findings_csv::rows(self.report, self.bucket, &p.objects).map_err(ScanError::Report)?;
        let events = ocsf::events(
            self.report,
            self.bucket,
            &p.objects,
            self.time,
            &mut self.first_event,
        )
        .map_err(ScanError::Report)?;
        let mut records = Vec::new();
        if share.parts > 1 {
            records.push(b',');
        }
        serde_json::to_writer(
            &mut records,
            &SliceRecords {
                slice: part.slice,
                objects: p.objects,
                deleted: p.deleted,
                errors: p.errors,
            },
        )
        .map_err(report_err)?;
        up.json.write(&records).await.map_err(ScanError::Store)?;
        up.csv.write(&csv).await.map_err(ScanError::Store)?;
        up.ocsf.write(&events).await.map_err(ScanError::Store)?;
        Ok(())
    }
}

fn report_err(e: serde_json::Error) -> ScanError {
    ScanError::Report(super::report::ReportError::Json(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::index::UnitReportFile;
    use crate::scan::report::tests::{sample_parts, PLANTED};
    use crate::scan::report::BucketPart;
    use crate::scan::store::Store;
    use crate::scan::task::TaskQueue;

    fn context(dir: &std::path::Path) -> ScanContext {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        ScanContext::new(
            crate::aws::Clients::from_sdk_config(sdk, true),
            Vec::new(),
            Store::Local(dir.to_path_buf()),
            TaskQueue::memory(),
        )
    }

    /// The bytes of the unit report file `rel` of scan `s`.
    async fn unit_file(ctx: &ScanContext, rel: &str) -> Vec<u8> {
        ctx.store
            .get(&unit_file_key("s", rel))
            .await
            .unwrap()
            .unwrap()
    }

    /// Stores `report` as part file `slice` of `unit` in scan `s`.
    async fn put_part(ctx: &ScanContext, unit: &Unit, slice: u32, report: BucketPart) {
        let record = Part {
            scan_id: "s".into(),
            unit_id: unit.id.clone(),
            slice,
            report,
            listing: Vec::new(),
            bound: String::new(),
        };
        ctx.store
            .put_json(&part_key("s", &unit.id, slice), &record, None)
            .await
            .unwrap();
    }

    fn unit() -> Unit {
        Unit::new(
            None,
            Some("111122223333".into()),
            "acme-hr-exports",
            "eu-west-1",
            "",
            false,
        )
    }

    #[tokio::test]
    async fn unit_files_hold_every_part_in_slice_order_and_no_unmasked_value() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let unit = unit();
        let mut parts = sample_parts();
        parts.sort_by_key(|p| p.sequence);
        // Slices 0 and 2 exist; slice 1 is gone (left out, as the inline report does).
        for (slice, p) in [(0u32, &parts[0]), (2, &parts[1])] {
            put_part(&ctx, &unit, slice, p.clone()).await;
        }
        let share = write_unit_report(&ctx, "s", &unit, 3).await.unwrap();
        assert_eq!(share.parts, 2);
        // The card object is in both parts: it is written and counted once, with the
        // first slice.
        let mut seen = std::collections::HashSet::new();
        let kept: Vec<Vec<_>> = parts
            .iter()
            .map(|p| {
                p.objects
                    .iter()
                    .filter(|o| seen.insert(o.metadata.key.clone()))
                    .cloned()
                    .collect()
            })
            .collect();
        assert!(kept[1].len() < parts[1].objects.len());
        let objects: usize = kept.iter().map(Vec::len).sum();
        let findings: usize = kept.iter().flatten().map(|o| o.findings.len()).sum();
        assert_eq!(share.totals.findings as usize, findings);
        assert_eq!(
            share.entries as usize,
            objects + parts.iter().map(|p| p.deleted.len()).sum::<usize>()
        );

        let json = unit_file(&ctx, &share.files.json).await;
        let file: UnitReportFile = serde_json::from_slice(&json).unwrap();
        assert_eq!(file.unit_id, unit.id);
        assert_eq!(file.bucket, "acme-hr-exports");
        let slices: Vec<u32> = file.slices.iter().map(|s| s.slice).collect();
        assert_eq!(slices, [0, 2]);
        assert_eq!(file.slices[1].objects, kept[1]);
        assert_eq!(file.slices[1].deleted, parts[1].deleted);
        let csv = unit_file(&ctx, &share.files.findings_csv).await;
        let mut rows = csv::Reader::from_reader(csv.as_slice());
        assert_eq!(rows.records().count(), findings);
        let ocsf = unit_file(&ctx, &share.files.findings_ocsf).await;
        let events: Vec<serde_json::Value> = serde_json::from_slice(&ocsf).unwrap();
        assert_eq!(events.len(), findings);
        for body in [&json, &csv, &ocsf] {
            let text = String::from_utf8_lossy(body);
            for v in PLANTED {
                assert!(!text.contains(v), "a unit file holds {v}");
            }
        }
    }

    /// A later slice that records an object again (a retried listing went over it
    /// twice) does not count it twice: the unit files hold it once, as report.json v2 does.
    #[tokio::test]
    async fn an_object_recorded_by_two_slices_is_written_and_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let unit = unit();
        let first = sample_parts().into_iter().next().unwrap();
        for slice in [0u32, 1] {
            put_part(&ctx, &unit, slice, first.clone()).await;
        }
        let share = write_unit_report(&ctx, "s", &unit, 2).await.unwrap();
        let findings: usize = first.objects.iter().map(|o| o.findings.len()).sum();
        assert!(findings > 0);
        assert_eq!(share.totals.findings as usize, findings);
        let json = unit_file(&ctx, &share.files.json).await;
        let file: UnitReportFile = serde_json::from_slice(&json).unwrap();
        let written: usize = file.slices.iter().map(|s| s.objects.len()).sum();
        assert_eq!(written, first.objects.len());
    }

    #[tokio::test]
    async fn a_unit_without_parts_gets_empty_well_formed_files() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let unit = unit();
        let share = write_unit_report(&ctx, "s", &unit, 0).await.unwrap();
        assert_eq!((share.parts, share.entries), (0, 0));
        let json = unit_file(&ctx, &share.files.json).await;
        let file: UnitReportFile = serde_json::from_slice(&json).unwrap();
        assert!(file.slices.is_empty());
        let ocsf = unit_file(&ctx, &share.files.findings_ocsf).await;
        let events: Vec<serde_json::Value> = serde_json::from_slice(&ocsf).unwrap();
        assert!(events.is_empty());
    }
}
