//! Scan tasks: the unit of work an SQS message (or the CLI's in-memory queue) carries.
//!
//! A *unit* is one listing scope: a bucket, or one prefix of it (an include prefix of the
//! config, or a top-level prefix of a bucket the config marks large). Its objects are
//! listed in key order in slices; each slice is one task, and the task for the next slice
//! starts after the last key the previous one finished.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::ScanConfig;

/// One listing scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable id of the scope (same role, bucket, prefix: same id across scans), 16 hex digits.
    pub id: String,
    /// Role the unit is read through; `None` for the caller's own credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Account that owns the bucket, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket.
    pub bucket: String,
    /// Bucket region.
    pub region: String,
    /// Key prefix listed (empty: the whole bucket).
    pub prefix: String,
    /// List only the keys directly under `prefix` (no `/` after it): the root shard of a
    /// bucket split by top-level prefix.
    #[serde(default)]
    pub root_only: bool,
    /// The S3 Inventory data file the unit reads instead of listing (an inventory file
    /// unit; its bucket has one unit per data file of the pinned report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<super::inventory_slice::InventoryFile>,
}

impl Unit {
    /// Builds a unit and its stable id.
    pub fn new(
        role_arn: Option<String>,
        account_id: Option<String>,
        bucket: &str,
        region: &str,
        prefix: &str,
        root_only: bool,
    ) -> Unit {
        let mut h = Sha256::new();
        for part in [
            role_arn.as_deref().unwrap_or(""),
            bucket,
            prefix,
            if root_only { "root" } else { "" },
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        Unit {
            id: hex::encode(&h.finalize()[..8]),
            role_arn,
            account_id,
            bucket: bucket.to_string(),
            region: region.to_string(),
            prefix: prefix.to_string(),
            root_only,
            inventory: None,
        }
    }

    /// The unit reading data file `file` of the bucket's pinned S3 Inventory report; its
    /// id is the bucket's with the file's key (unique per report, so never reused).
    pub fn for_inventory_file(
        role_arn: Option<String>,
        account_id: Option<String>,
        bucket: &str,
        region: &str,
        file: super::inventory_slice::InventoryFile,
    ) -> Unit {
        let mut unit = Unit::new(role_arn, account_id, bucket, region, "", false);
        unit.id = derived_id(&unit.id, &file.entry.key);
        unit.inventory = Some(file);
        unit
    }

    /// Id of the bucket an inventory file unit belongs to, as one scope across scans:
    /// its incremental checkpoint and the finish of its bucket are keyed by it.
    pub fn bucket_scope_id(&self) -> String {
        let whole = Unit::new(
            self.role_arn.clone(),
            None,
            &self.bucket,
            &self.region,
            "",
            false,
        );
        derived_id(&whole.id, "s3-inventory")
    }
}

/// A 16-hex-digit id derived from `base` and `extra`.
fn derived_id(base: &str, extra: &str) -> String {
    let mut h = Sha256::new();
    h.update(base.as_bytes());
    h.update([0]);
    h.update(extra.as_bytes());
    hex::encode(&h.finalize()[..8])
}

/// Objects classified so far in a folder (key prefix up to its last `/`), for
/// `max_objects_per_prefix` and `partition_share`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCount {
    /// The folder, ending in `/` (empty for the bucket root).
    pub folder: String,
    /// Objects of the folder seen (in scope).
    pub seen: u64,
    /// Objects of the folder selected.
    pub selected: u64,
}

/// One slice of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Scan id.
    pub scan_id: String,
    /// When the scan was planned (RFC 3339).
    pub started_at: String,
    /// The effective scan config (external IDs are never serialised).
    pub config: ScanConfig,
    /// The scope.
    pub unit: Unit,
    /// Slice number, from 0.
    pub slice: u32,
    /// List keys after this one (`None`: from the start of the unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    /// Incremental scans: the last completed scan of this unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Folder sampling state, for the folders enclosing `start_after`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<FolderCount>,
    /// Incremental scans: the first baseline part that may hold keys after
    /// `start_after` (baseline parts are read in key order, so a task carries one index,
    /// not the baseline's slice bounds, and its size stays constant however many slices
    /// a unit takes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub baseline_part: u32,
    /// Where the unit's S3 Inventory report continues (`None`: the unit is listed, or
    /// this is its first slice, which decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<super::inventory_slice::InventoryCursor>,
    /// Whether the first slice reads the bucket's `openmetadata.json` containers (set by
    /// the plan on one unit per bucket).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_manifest: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The completed scan an incremental scan compares a unit against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Its scan id.
    pub scan_id: String,
    /// How many slices (part files, each with its [`super::record::Part::bound`]) it
    /// wrote for the unit. `0` (a checkpoint of an older format): no usable baseline.
    #[serde(default)]
    pub slices: u32,
    /// For an S3 Inventory bucket (whose file units compare by time, see
    /// `bucket_finish::ChangedSince`): objects last modified at or after this time
    /// (RFC 3339) count as changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<String>,
}

/// The SQS message body of a task: `{"s3connector_scan_task": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskMessage {
    /// The task.
    pub s3connector_scan_task: Task,
}

/// Where tasks go: the scan queue, or memory (the CLI).
#[derive(Debug, Clone)]
pub enum TaskQueue {
    /// An SQS queue (the scan queue), by URL.
    Sqs {
        /// Client in the queue's region.
        client: aws_sdk_sqs::Client,
        /// Queue URL.
        url: String,
    },
    /// An in-process FIFO.
    Memory(Arc<Mutex<VecDeque<Task>>>),
}

/// A task could not be queued.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not send a scan task to {queue}: {detail} (grant sqs:SendMessage on the scan queue)"
)]
pub struct QueueError {
    /// Queue URL.
    pub queue: String,
    /// Error context.
    pub detail: String,
}

impl TaskQueue {
    /// An empty in-memory queue.
    pub fn memory() -> TaskQueue {
        TaskQueue::Memory(Arc::new(Mutex::new(VecDeque::new())))
    }

    /// Queues a task.
    pub async fn send(&self, task: Task) -> Result<(), QueueError> {
        match self {
            TaskQueue::Memory(q) => {
                q.lock().unwrap_or_else(|p| p.into_inner()).push_back(task);
                Ok(())
            }
            TaskQueue::Sqs { client, url } => {
                let body = serde_json::to_string(&TaskMessage {
                    s3connector_scan_task: task,
                })
                .expect("tasks serialise");
                client
                    .send_message()
                    .queue_url(url)
                    .message_body(body)
                    .send()
                    .await
                    .map_err(|e| QueueError {
                        queue: url.clone(),
                        detail: crate::aws::error_summary(&e),
                    })?;
                Ok(())
            }
        }
    }

    /// Takes the next in-memory task (`None` for SQS, whose tasks Lambda delivers).
    pub fn pop(&self) -> Option<Task> {
        match self {
            TaskQueue::Memory(q) => q.lock().unwrap_or_else(|p| p.into_inner()).pop_front(),
            TaskQueue::Sqs { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_ids_are_stable_and_distinguish_scopes() {
        let a = Unit::new(None, None, "b", "us-east-1", "", false);
        let b = Unit::new(None, None, "b", "eu-west-1", "", false);
        assert_eq!(a.id, b.id, "the region is not part of the scope");
        assert_eq!(a.id.len(), 16);
        assert_ne!(
            a.id,
            Unit::new(None, None, "b", "us-east-1", "x/", false).id
        );
        assert_ne!(a.id, Unit::new(None, None, "b", "us-east-1", "", true).id);
        assert_ne!(
            a.id,
            Unit::new(
                Some("arn:aws:iam::1:role/r".into()),
                None,
                "b",
                "us-east-1",
                "",
                false
            )
            .id
        );
    }
}
