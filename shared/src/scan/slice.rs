//! Where a slice's objects come from: the next keys of a listed unit
//! ([`super::lister::Lister`], which lists the unit's key ranges in parallel, ahead of
//! the task classifying the slice before), or the next records of an inventory file
//! unit's data file ([`inventory_slice`]).

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
