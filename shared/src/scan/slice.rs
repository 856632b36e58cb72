//! Where a slice's objects come from: a ListObjectsV2 page after the task's start key,
//! or the next records of the unit's S3 Inventory report (see [`super::inventory_slice`]),
//! falling back to listing, with the reason, when the first slice finds no usable report.

use crate::aws::listed_name;
use std::time::{SystemTime, UNIX_EPOCH};

use super::access::AccessIssue;
use super::inventory_slice::{
    self, fallback_issue, pin, read_slice, reopen, InventoryCursor, Position,
};
use super::report::{ObjectMetadata, ScanIssue};
use super::task::Task;

/// The objects of one slice, from ListObjectsV2 or the unit's S3 Inventory report.
pub(super) struct Slice {
    /// Objects in key order (listing) or report order (inventory), each with the report
    /// position right after it (inventory only).
    pub(super) objects: Vec<(ObjectMetadata, Option<Position>)>,
    /// Whether objects remain after this slice.
    pub(super) more: bool,
    /// The last common prefix a root-only listing rolled up.
    pub(super) last_prefix: Option<String>,
    /// The report the unit is read from, and the position after the slice.
    pub(super) inventory: Option<(InventoryCursor, Position)>,
    /// Why the bucket's inventory was not used, when it was not.
    pub(super) fallback: Option<ScanIssue>,
}

/// Lists the slice after `task.start_after`.
pub(super) async fn list_slice(s3: &aws_sdk_s3::Client, task: &Task) -> Result<Slice, AccessIssue> {
    let unit = &task.unit;
    let mut req = s3
        .list_objects_v2()
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .bucket(&unit.bucket)
        .prefix(&unit.prefix)
        .max_keys(task.config.objects_per_task as i32)
        .set_start_after(task.start_after.clone());
    if unit.root_only {
        req = req.delimiter("/");
    }
    let page = req.send().await.map_err(|e| {
        AccessIssue::from_sdk(
            "ListObjectsV2",
            "s3:ListBucket",
            &format!("arn:aws:s3:::{}", unit.bucket),
            &e,
        )
    })?;
    let objects = page
        .contents()
        .iter()
        .filter_map(|o| {
            let meta = ObjectMetadata {
                key: listed_name(o.key()?),
                version_id: None,
                size: o.size().unwrap_or(0).max(0) as u64,
                last_modified: o.last_modified().map(|t| t.to_string()),
                etag: o.e_tag().map(str::to_string),
                storage_class: Some(
                    o.storage_class()
                        .map_or("STANDARD".to_string(), |c| c.as_str().to_string()),
                ),
                ..ObjectMetadata::default()
            };
            Some((meta, None))
        })
        .collect();
    Ok(Slice {
        objects,
        more: page.is_truncated() == Some(true),
        last_prefix: page
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .next_back()
            .map(str::to_string),
        inventory: None,
        fallback: None,
    })
}

/// Reads the slice from the unit's S3 Inventory report: the pinned one for a later
/// slice, the latest complete one for the first. `Ok(Err(reason))`: the first slice found
/// no usable report, and the unit is listed instead.
pub(super) async fn inventory_slice(
    s3: &aws_sdk_s3::Client,
    task: &Task,
) -> Result<Option<Result<Slice, ScanIssue>>, AccessIssue> {
    let Some(source) = task.config.inventory_for(&task.unit.bucket) else {
        return Ok(None);
    };
    let max = source.records_per_task as usize;
    let dir = std::env::temp_dir();
    let (cursor, report) = match (&task.inventory, Some(source)) {
        (Some(cursor), _) => {
            let report = reopen(s3, &cursor.report)
                .await
                .map_err(|e| inventory_slice::issue_of(&e))?;
            (cursor.clone(), report)
        }
        (None, Some(source)) if task.slice == 0 => {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            match pin(s3, source, now_ms).await {
                Ok((pinned, report)) => (
                    InventoryCursor {
                        report: pinned,
                        position: Position::default(),
                        unordered: false,
                    },
                    report,
                ),
                Err(reason) => return Ok(Some(Err(fallback_issue(source, &reason)))),
            }
        }
        _ => return Ok(None),
    };
    let read = read_slice(s3, &report, &task.unit, cursor.position, max, &dir).await;
    let slice = match read {
        Ok(s) => s,
        // Nothing was read from the report yet: list the unit instead.
        Err(e) if task.inventory.is_none() && !e.is_transient() => {
            let source = task
                .config
                .inventory_for(&task.unit.bucket)
                .expect("first slice of an inventory unit");
            return Ok(Some(Err(fallback_issue(source, &e.to_string()))));
        }
        Err(e) => return Err(inventory_slice::issue_of(&e)),
    };
    let more = slice.next.is_some();
    Ok(Some(Ok(Slice {
        objects: slice
            .objects
            .into_iter()
            .map(|(m, p)| (m, Some(p)))
            .collect(),
        more,
        last_prefix: None,
        inventory: Some((cursor, slice.end)),
        fallback: None,
    })))
}
