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
    /// A shard task of an S3 Inventory bucket (its unit is the bucket unit): compares
    /// this shard of the bucket's keys with the baseline's, to find deletions, once
    /// every file unit is done (`bucket_finish::work_shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<u32>,
    /// A listed unit's groups: key prefixes that cut its key space into ranges listed in
    /// parallel (`super::ranges`), found by its first slice and carried by its
    /// continuations. Empty: the unit is listed as one range (a unit of one page, keys
    /// with no folder to cut by, or a task queued before ranges existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}

impl Task {
    /// Whether the task continues a unit that walks its bucket's whole S3 Inventory
    /// report as one chain, as versions before inventory file units queued it (a listed
    /// unit with an inventory cursor; such a cursor also held `unordered`, now ignored).
    /// Tasks of that shape still in the queue at an upgrade finish their chain
    /// (`slice::legacy_inventory_slice`) instead of being listed from a key that is not
    /// a key-order bound. The chain compares against no key-range baseline and leaves
    /// the unit's checkpoint where it was: its slices are in report order, not key order.
    pub fn is_legacy_inventory_chain(&self) -> bool {
        self.unit.inventory.is_none() && self.inventory.is_some()
    }
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

    /// A task as the version before inventory file units (commit c11d00f) queued it for
    /// the third slice of an inventory-enumerated bucket, verbatim in shape: a unit without
    /// `inventory`, and a report-wide cursor with `unordered`.
    const OLD_CHAIN_TASK: &str = r#"{"s3connector_scan_task": {
        "scan_id": "20261201T020000Z-0a1b2c3d",
        "started_at": "2026-12-01T02:00:00.000Z",
        "config": {"buckets": {"include": ["inv-data"]}, "mode": "full",
                   "objects_per_task": 1000, "deadline_margin_seconds": 60,
                   "inventories": [{"bucket": "inv-data", "destination_bucket": "inv-dest",
                                    "destination_prefix": "reports", "id": "daily",
                                    "records_per_task": 500}]},
        "unit": {"id": "9f3c2a7d1e0b4c55", "bucket": "inv-data", "region": "us-east-1",
                 "prefix": "", "root_only": false},
        "slice": 2,
        "start_after": "logs/2026/11/30/b.log",
        "folders": [{"folder": "logs/2026/11/30/", "seen": 4, "selected": 4}],
        "inventory": {"report": {"bucket": "inv-dest",
                                 "folder": "reports/inv-data/daily/2026-12-01T01-00Z/",
                                 "created_at": "2026-12-01T01:00:00.000Z"},
                      "position": {"file": 1, "record": 250, "objects": 1000, "bytes": 52311},
                      "unordered": true}
    }}"#;

    #[test]
    fn a_task_queued_by_the_single_chain_inventory_version_resumes_its_chain() {
        let message: TaskMessage =
            serde_json::from_str(OLD_CHAIN_TASK).expect("old shape accepted");
        let task = message.s3connector_scan_task;
        assert!(task.is_legacy_inventory_chain());
        let cursor = task.inventory.as_ref().unwrap();
        assert_eq!(
            cursor.report.folder,
            "reports/inv-data/daily/2026-12-01T01-00Z/"
        );
        assert_eq!(
            (
                cursor.position.file,
                cursor.position.record,
                cursor.position.objects
            ),
            (1, 250, 1000)
        );
        assert_eq!(task.slice, 2);
        assert!(task.unit.inventory.is_none());
        // Queued again (a continuation), it keeps its shape: still the same chain.
        let again: TaskMessage = serde_json::from_str(
            &serde_json::to_string(&TaskMessage {
                s3connector_scan_task: task.clone(),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(again.s3connector_scan_task, task);
        // Today's shapes are not mistaken for it.
        let listed = Task {
            inventory: None,
            ..task.clone()
        };
        assert!(!listed.is_legacy_inventory_chain());
    }

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
