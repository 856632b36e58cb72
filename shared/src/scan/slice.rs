//! Where a slice's objects come from: the next ListObjectsV2 page of a listed unit
//! ([`Lister`], which requests each page as soon as the previous one arrived, so the
//! request is on the wire while the task classifies the page before), or the next
//! records of an inventory file unit's data file ([`inventory_slice`]).

use crate::aws::{listed_name, listed_name_owned};

use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use tokio::task::JoinHandle;

use super::access::AccessIssue;
use super::inventory_slice::{self, InventoryCursor, OpenFile, Position};
use super::report::ObjectMetadata;
use super::task::{Task, Unit};

/// The objects of one slice, from ListObjectsV2 or an inventory data file.
pub struct Slice {
    /// Objects in key order (listing) or file order (inventory), each with the file
    /// position right after it (inventory only).
    pub objects: Vec<(ObjectMetadata, Option<Position>)>,
    /// Whether objects remain after this slice.
    pub more: bool,
    /// The last common prefix a root-only listing rolled up.
    pub last_prefix: Option<String>,
    /// The data file's cursor, and the position after the slice (inventory only).
    pub inventory: Option<(InventoryCursor, Position)>,
}

/// One ListObjectsV2 page, converted, and the token of the next one.
struct Page {
    slice: Slice,
    next_token: Option<String>,
}

/// Pages of one listed unit in key order, `page_size` keys each, from a start key. The
/// request for page k+1 is sent as soon as page k has arrived (continuation tokens make
/// the pages strictly sequential on the wire), so it runs while the caller works on page
/// k; a prefetched page that is never asked for is abandoned when the lister drops.
pub struct Lister {
    s3: aws_sdk_s3::Client,
    unit: Unit,
    page_size: i32,
    next: Option<JoinHandle<Result<Page, AccessIssue>>>,
    /// The start key the first page was requested after (to tell whether a task may use
    /// this lister: its next page must start where the task does).
    resumes_after: Option<String>,
}

impl Drop for Lister {
    fn drop(&mut self) {
        if let Some(h) = self.next.take() {
            h.abort();
        }
    }
}

impl Lister {
    /// Starts listing `unit` after `start_after` (the first request is sent at once).
    pub fn start(
        s3: &aws_sdk_s3::Client,
        unit: &Unit,
        page_size: u32,
        start_after: Option<String>,
    ) -> Lister {
        let page_size = i32::try_from(page_size).unwrap_or(1000).clamp(1, 1000);
        let mut lister = Lister {
            s3: s3.clone(),
            unit: unit.clone(),
            page_size,
            next: None,
            resumes_after: start_after.clone(),
        };
        lister.request(start_after, None);
        lister
    }

    /// Whether the next page this lister returns starts after `start_after` in `unit`.
    pub fn continues(&self, unit: &Unit, start_after: Option<&str>) -> bool {
        self.unit.id == unit.id && self.resumes_after.as_deref() == start_after
    }

    fn request(&mut self, start_after: Option<String>, token: Option<String>) {
        let mut req = self
            .s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(&self.unit.bucket)
            // No empty `prefix=` parameter: the request is then the AWS CLI's, byte for
            // byte in its query (list-type, encoding-type, max-keys, continuation-token).
            .set_prefix(Some(self.unit.prefix.clone()).filter(|p| !p.is_empty()))
            .max_keys(self.page_size)
            .set_start_after(start_after)
            .set_continuation_token(token);
        if self.unit.root_only {
            req = req.delimiter("/");
        }
        let bucket = self.unit.bucket.clone();
        self.next = Some(tokio::spawn(async move {
            let out = req
                .send()
                .await
                .map_err(|e| AccessIssue::listing(&bucket, &e))?;
            Ok(page_of(out))
        }));
    }

    /// The next page (`None` after the last), sending the request for the one after it
    /// before returning.
    pub async fn next_page(&mut self) -> Result<Option<Slice>, AccessIssue> {
        let Some(handle) = self.next.take() else {
            return Ok(None);
        };
        let page = handle.await.map_err(|e| AccessIssue {
            operation: "ListObjectsV2".into(),
            action: "s3:ListBucket".into(),
            error_code: None,
            http_status: None,
            message: format!("the listing task failed: {e}"),
            transient: true,
        })??;
        // Where the task's next slice starts: the last key, or past the last common
        // prefix a root-only listing rolled up, whichever sorts later (as `work` bounds
        // a slice).
        let mut bound = page
            .slice
            .objects
            .last()
            .map(|(m, _)| m.key.clone())
            .or_else(|| self.resumes_after.clone());
        if let Some(p) = page.slice.last_prefix.as_deref().map(past_prefix) {
            if bound.as_deref().is_none_or(|b| p.as_str() > b) {
                bound = Some(p);
            }
        }
        self.resumes_after = bound;
        if let Some(token) = page.next_token.filter(|_| page.slice.more) {
            self.request(None, Some(token));
        }
        Ok(Some(page.slice))
    }
}

/// Converts one ListObjectsV2 answer: keys URL-decoded (the request asks for
/// `EncodingType=url`), ETag, size, time and storage class as the report records them.
fn page_of(out: ListObjectsV2Output) -> Page {
    let more = out.is_truncated() == Some(true);
    let last_prefix = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .next_back()
        .map(listed_name);
    let next_token = out.next_continuation_token().map(str::to_string);
    let objects = out
        .contents
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| {
            let key = listed_name_owned(o.key?);
            let storage_class = o
                .storage_class
                .map_or_else(|| "STANDARD".to_string(), |c| c.as_str().to_string());
            let meta = ObjectMetadata {
                key,
                version_id: None,
                size: o.size.unwrap_or(0).max(0) as u64,
                last_modified: o.last_modified.map(|t| t.to_string()),
                etag: o.e_tag,
                storage_class: Some(storage_class),
                ..ObjectMetadata::default()
            };
            Some((meta, None))
        })
        .collect();
    Page {
        slice: Slice {
            objects,
            more,
            last_prefix,
            inventory: None,
        },
        next_token,
    }
}

/// Reads the task's slice from its inventory file unit's data file: from the open file
/// when `open` is at the task's position (an earlier slice of the same task), else after
/// downloading and verifying the file again and skipping to the task's record offset.
pub(super) async fn inventory_slice(
    s3: &aws_sdk_s3::Client,
    task: &Task,
    open: &mut Option<OpenFile>,
) -> Result<Slice, AccessIssue> {
    let file = task
        .unit
        .inventory
        .as_ref()
        .expect("only inventory file units are read from a data file");
    let cursor = task.inventory.clone().unwrap_or_else(|| InventoryCursor {
        report: file.report.clone(),
        position: Position {
            file: file.index,
            ..Position::default()
        },
    });
    let at = cursor.position.record;
    if open.as_ref().is_none_or(|f| f.consumed() != at) {
        let opened = OpenFile::open(s3, file, at, &std::env::temp_dir())
            .await
            .map_err(|e| inventory_slice::issue_of(&e))?;
        *open = Some(opened);
    }
    let reader = open.as_mut().expect("opened above");
    let max = task
        .config
        .inventory_for(&task.unit.bucket)
        .map_or(inventory_slice_default(), |s| s.records_per_task as usize);
    let read = reader
        .read(cursor.position, max)
        .map_err(|e| inventory_slice::issue_of(&e))?;
    Ok(Slice {
        objects: read
            .objects
            .into_iter()
            .map(|(m, p)| (m, Some(p)))
            .collect(),
        more: read.next.is_some(),
        last_prefix: None,
        inventory: Some((cursor, read.end)),
    })
}

/// Reads the next slice of a unit queued before inventory file units existed: such a task
/// walks its bucket's whole pinned report as one chain (a listed unit whose task carries
/// an inventory cursor, see [`Task::is_legacy_inventory_chain`]). The chain goes on as it
/// began, so a scan in flight across an upgrade finishes with no record lost or counted
/// twice: the pinned manifest is read again (verified against its checksum), and records
/// are read on from the cursor, data file after data file, keeping the unit's keys.
pub(super) async fn legacy_inventory_slice(
    s3: &aws_sdk_s3::Client,
    task: &Task,
) -> Result<Slice, AccessIssue> {
    let cursor = task
        .inventory
        .clone()
        .expect("a legacy chain task carries its cursor");
    let report = super::inventory::report_in(s3, &cursor.report.bucket, &cursor.report.folder)
        .await
        .and_then(|r| {
            r.ok_or_else(|| super::inventory::InventoryError::NoReport {
                bucket: cursor.report.bucket.clone(),
                prefix: cursor.report.folder.clone(),
            })
        })
        .map_err(|e| inventory_slice::issue_of(&e))?;
    let files = inventory_slice::files_of(&cursor.report, &report);
    let max = task
        .config
        .inventory_for(&task.unit.bucket)
        .map_or(inventory_slice_default(), |s| s.records_per_task as usize)
        .max(1);
    let mut pos = cursor.position;
    let mut objects = Vec::new();
    let mut open: Option<(usize, OpenFile)> = None;
    while pos.file < files.len() && objects.len() < max {
        if open.as_ref().map(|(i, _)| *i) != Some(pos.file) {
            let file = OpenFile::open(s3, &files[pos.file], pos.record, &std::env::temp_dir())
                .await
                .map_err(|e| inventory_slice::issue_of(&e))?;
            open = Some((pos.file, file));
        }
        let (_, file) = open.as_mut().expect("opened above");
        let read = file
            .read(pos, max - objects.len())
            .map_err(|e| inventory_slice::issue_of(&e))?;
        objects.extend(
            read.objects
                .into_iter()
                .filter(|(m, _)| in_unit(&task.unit, &m.key))
                .map(|(m, p)| (m, Some(p))),
        );
        pos = if read.next.is_some() {
            read.end
        } else {
            next_file(read.end)
        };
    }
    Ok(Slice {
        objects,
        more: pos.file < files.len(),
        last_prefix: None,
        inventory: Some((cursor, pos)),
    })
}

/// The position at the start of the data file after the one `end` finished.
pub(super) fn next_file(end: Position) -> Position {
    Position {
        file: end.file + 1,
        record: 0,
        ..end
    }
}

/// Whether `key` belongs to `unit` (its prefix; only root keys for a root-only unit).
pub(super) fn in_unit(unit: &Unit, key: &str) -> bool {
    key.strip_prefix(unit.prefix.as_str())
        .is_some_and(|rest| !unit.root_only || !rest.contains('/'))
}

fn inventory_slice_default() -> usize {
    super::config::inventories::DEFAULT_RECORDS_PER_TASK as usize
}

/// The key after which a listing resumes past everything under a common prefix: the
/// prefix followed by the largest code point, which sorts after every key below it.
pub(super) fn past_prefix(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_chain_keeps_its_units_keys_and_moves_to_the_next_file_with_its_counts() {
        let whole = Unit::new(None, None, "b", "us-east-1", "", false);
        let root = Unit::new(None, None, "b", "us-east-1", "", true);
        let logs = Unit::new(None, None, "b", "us-east-1", "logs/", false);
        assert!(in_unit(&whole, "a/b.txt"));
        assert!(in_unit(&root, "top.txt") && !in_unit(&root, "a/b.txt"));
        assert!(in_unit(&logs, "logs/x") && !in_unit(&logs, "other/x"));
        let end = Position {
            file: 2,
            record: 77,
            objects: 1_000,
            bytes: 5_000,
        };
        assert_eq!(
            next_file(end),
            Position {
                file: 3,
                record: 0,
                objects: 1_000,
                bytes: 5_000
            }
        );
    }
}
