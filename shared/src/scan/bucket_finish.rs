//! Finishing a bucket enumerated from its S3 Inventory report, whose keys are spread over
//! one unit per data file in no key order.
//!
//! Each file unit writes its part files and its unit summary like any unit. The task
//! that finds every file unit of the bucket finished takes the bucket's lock (the same
//! conditional write as the scan's reports: [`super::finalize::take_lock`]) and, once:
//!
//! - reports deletions (incremental mode): the keys of the baseline scan's units of the
//!   bucket that no file unit of this scan saw, in one extra part of a *bucket unit*
//!   (id [`super::task::Unit::bucket_scope_id`]) that the scan's reports wait for;
//! - writes `scans/<scan_id>/buckets/<scope id>.json` ([`BucketSummary`]): the keys this
//!   scan did not settle (read again next time even if unchanged) and the time from which
//!   an object counts as changed for the next scan;
//! - advances the bucket's checkpoint, only when every file unit finished without an
//!   issue.
//!
//! An incremental file unit cannot look keys up in a baseline sliced by key range, so it
//! selects by time ([`ChangedSince`]): an object is unchanged when it was last modified
//! [`SETTLE_HOURS`] or more before the baseline's report was created (S3 Inventory is
//! eventually consistent for recent writes, so a report may miss what changed just
//! before it) and the baseline settled it.

use std::collections::HashSet;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use super::config::ScanMode;
use super::context::ScanContext;
use super::finalize::{release_lock, take_lock};
use super::plan::{checkpoint_key, now, plan_key, Checkpoint, Plan};
use super::record::{Listed, Part, UnitSummary};
use super::report::{BucketPart, DeletedObject, ObjectMetadata};
use super::store::PART_TAG;
use super::task::{Baseline, Task, Unit};
use super::work::{part_key, unit_key};
use super::ScanError;

/// Hours before a report's creation from which an object counts as possibly changed
/// since that report (S3 Inventory may miss writes of the hours before it).
pub const SETTLE_HOURS: i64 = 48;

/// Most unsettled keys a bucket summary keeps; beyond, the checkpoint is not advanced
/// and the next scan compares against the older baseline again.
pub const MAX_UNSETTLED: usize = 100_000;

/// Key of an inventory bucket's summary in a scan.
pub fn bucket_key(scan_id: &str, scope_id: &str) -> String {
    format!("scans/{scan_id}/buckets/{scope_id}.json")
}

fn lock_key(scan_id: &str, scope_id: &str) -> String {
    format!("scans/{scan_id}/buckets/{scope_id}.lock")
}

/// What the task that finished an inventory-enumerated bucket recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketSummary {
    /// Scan.
    pub scan_id: String,
    /// Bucket.
    pub bucket: String,
    /// The bucket's scope id (its checkpoint's key).
    pub scope_id: String,
    /// Its file units.
    pub units: Vec<String>,
    /// Objects last modified at or after this time (RFC 3339) count as changed for the
    /// next incremental scan.
    pub changed_since: String,
    /// Keys this scan saw but did not settle (skipped for a reason that may pass).
    pub unsettled: Vec<String>,
    /// Keys of the baseline no file unit saw (deleted since).
    pub deleted: u64,
}

/// An inventory file unit's incremental baseline: what counts as unchanged.
#[derive(Debug, Clone)]
pub struct ChangedSince {
    since_ms: i64,
    unsettled: HashSet<String>,
}

fn millis(rfc3339: &str) -> Option<i64> {
    DateTime::from_str(rfc3339, Format::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
}

impl ChangedSince {
    /// Reads the baseline's bucket summary; `None` (everything counts as changed) when the
    /// baseline has no time or its summary is gone.
    pub async fn load(
        ctx: &ScanContext,
        baseline: &Baseline,
        unit: &Unit,
    ) -> Result<Option<ChangedSince>, ScanError> {
        let Some(since_ms) = baseline.changed_since.as_deref().and_then(millis) else {
            return Ok(None);
        };
        let summary: Option<BucketSummary> = ctx
            .store
            .get_json(&bucket_key(&baseline.scan_id, &unit.bucket_scope_id()))
            .await
            .map_err(ScanError::Store)?;
        Ok(summary.map(|s| ChangedSince {
            since_ms,
            unsettled: s.unsettled.into_iter().collect(),
        }))
    }

    /// Built from its parts (tests).
    pub fn new(since_ms: i64, unsettled: impl IntoIterator<Item = String>) -> ChangedSince {
        ChangedSince {
            since_ms,
            unsettled: unsettled.into_iter().collect(),
        }
    }

    /// The baseline entry `decide` compares `meta` with: the object itself (unchanged)
    /// when it was last modified before the baseline's time and settled then; `None`
    /// (new or changed) otherwise, or when its time is unknown.
    pub fn baseline_entry(&self, meta: &ObjectMetadata) -> Option<Listed> {
        let modified = meta.last_modified.as_deref().and_then(millis)?;
        if modified >= self.since_ms || self.unsettled.contains(&meta.key) {
            return None;
        }
        Some(Listed {
            key: meta.key.clone(),
            etag: meta.etag.clone(),
            size: meta.size,
            last_modified: meta.last_modified.clone(),
            settled: true,
        })
    }
}

/// The bucket unit of an inventory file unit's bucket: where its deletions are recorded.
fn bucket_unit(unit: &Unit) -> Unit {
    Unit {
        id: unit.bucket_scope_id(),
        inventory: None,
        ..unit.clone()
    }
}

/// The ids of the units a scan's reports wait for: every planned unit, and the bucket
/// unit of each inventory-enumerated bucket.
pub fn required_units(plan: &Plan) -> HashSet<String> {
    let mut ids: HashSet<String> = plan.units.iter().map(|u| u.id.clone()).collect();
    ids.extend(
        plan.units
            .iter()
            .filter(|u| u.inventory.is_some())
            .map(Unit::bucket_scope_id),
    );
    ids
}

/// The unit ids whose summaries exist in a scan.
pub async fn finished_units(ctx: &ScanContext, scan_id: &str) -> Result<Vec<String>, ScanError> {
    Ok(ctx
        .store
        .list(&format!("scans/{scan_id}/units/"))
        .await
        .map_err(ScanError::Store)?
        .iter()
        .filter_map(|k| k.rsplit('/').next()?.strip_suffix(".json"))
        .map(str::to_string)
        .collect())
}

/// Keys listed by the units of `bucket` (through `role`) in scan `scan_id`, from their
/// part files; with whether every unit finished without an issue.
async fn listed_keys(
    ctx: &ScanContext,
    plan: &Plan,
    unit: &Unit,
) -> Result<(Vec<Listed>, bool), ScanError> {
    let mut out = Vec::new();
    let mut clean = true;
    for u in plan
        .units
        .iter()
        .filter(|u| u.bucket == unit.bucket && u.role_arn == unit.role_arn)
    {
        let Some(summary) = ctx
            .store
            .get_json::<UnitSummary>(&unit_key(&plan.scan_id, &u.id))
            .await
            .map_err(ScanError::Store)?
        else {
            clean = false;
            continue;
        };
        clean &= summary.issue.is_none();
        for slice in 0..summary.slices {
            match ctx
                .store
                .get_json::<Part>(&part_key(&plan.scan_id, &u.id, slice))
                .await
                .map_err(ScanError::Store)?
            {
                Some(p) => out.extend(p.listing),
                None => clean = false,
            }
        }
    }
    Ok((out, clean))
}

/// Finishes the bucket of inventory file unit `task.unit` if all its file units are
/// done and this task wins (or already holds, unfinished) the bucket's lock.
pub async fn finish_bucket_if_last(ctx: &ScanContext, task: &Task) -> Result<(), ScanError> {
    let unit = &task.unit;
    let scope_id = unit.bucket_scope_id();
    let plan: Plan = ctx
        .store
        .get_json(&plan_key(&task.scan_id))
        .await
        .map_err(ScanError::Store)?
        .ok_or_else(|| ScanError::PlanMissing(ctx.store.location(&plan_key(&task.scan_id))))?;
    let done: HashSet<String> = finished_units(ctx, &task.scan_id)
        .await?
        .into_iter()
        .collect();
    let files: Vec<&Unit> = plan
        .units
        .iter()
        .filter(|u| u.inventory.is_some() && u.bucket_scope_id() == scope_id)
        .collect();
    if !files.iter().all(|u| done.contains(&u.id)) {
        return Ok(());
    }
    let lock = lock_key(&task.scan_id, &scope_id);
    let owner = super::finalize::owner_of(&unit.id, task.slice);
    if !take_lock(ctx, &lock, &owner).await? {
        return Ok(());
    }
    let (current, clean) = listed_keys(ctx, &plan, unit).await?;
    let seen: HashSet<&str> = current.iter().map(|l| l.key.as_str()).collect();
    let unsettled: Vec<String> = current
        .iter()
        .filter(|l| !l.settled)
        .map(|l| l.key.clone())
        .collect();
    let mut deleted = Vec::new();
    if let (ScanMode::Incremental, Some(b), true) = (task.config.mode, &task.baseline, clean) {
        let old: Option<Plan> = ctx
            .store
            .get_json(&plan_key(&b.scan_id))
            .await
            .map_err(ScanError::Store)?;
        if let Some(old) = old {
            let (before, complete) = listed_keys(ctx, &old, unit).await?;
            if complete {
                deleted = before
                    .into_iter()
                    .filter(|l| !seen.contains(l.key.as_str()))
                    .map(|l| DeletedObject {
                        key: l.key,
                        etag: l.etag,
                        last_modified: l.last_modified,
                    })
                    .collect();
            }
        }
    }
    let whole = bucket_unit(unit);
    let part = Part {
        scan_id: task.scan_id.clone(),
        unit_id: whole.id.clone(),
        slice: 0,
        report: BucketPart {
            account_id: unit.account_id.clone(),
            bucket: unit.bucket.clone(),
            deleted: deleted.clone(),
            ..BucketPart::default()
        },
        listing: Vec::new(),
        bound: String::new(),
    };
    ctx.store
        .put_json(
            &part_key(&task.scan_id, &whole.id, 0),
            &part,
            Some(PART_TAG),
        )
        .await
        .map_err(ScanError::Store)?;
    let created_ms = unit
        .inventory
        .as_ref()
        .and_then(|f| millis(&f.report.created_at))
        .unwrap_or(0);
    let changed_since = crate::reject::rfc3339(created_ms - SETTLE_HOURS * 3_600_000);
    let keep = unsettled.len() <= MAX_UNSETTLED;
    let summary = BucketSummary {
        scan_id: task.scan_id.clone(),
        bucket: unit.bucket.clone(),
        scope_id: scope_id.clone(),
        units: files.iter().map(|u| u.id.clone()).collect(),
        changed_since: changed_since.clone(),
        unsettled: if keep { unsettled } else { Vec::new() },
        deleted: deleted.len() as u64,
    };
    ctx.store
        .put_json(&bucket_key(&task.scan_id, &scope_id), &summary, None)
        .await
        .map_err(ScanError::Store)?;
    if clean && keep {
        let checkpoint = Checkpoint {
            baseline: Baseline {
                scan_id: task.scan_id.clone(),
                slices: 1,
                changed_since: Some(changed_since),
            },
            completed_at: now(),
        };
        ctx.store
            .put_json(&checkpoint_key(&scope_id), &checkpoint, None)
            .await
            .map_err(ScanError::Store)?;
    }
    let unit_summary = UnitSummary {
        scan_id: task.scan_id.clone(),
        unit: whole,
        slices: 1,
        finished_at: now(),
        issue: None,
    };
    ctx.store
        .put_json(&unit_key(&task.scan_id, &scope_id), &unit_summary, None)
        .await
        .map_err(ScanError::Store)?;
    release_lock(ctx, &lock, &owner).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str, modified: &str) -> ObjectMetadata {
        ObjectMetadata {
            key: key.into(),
            last_modified: Some(modified.into()),
            size: 3,
            etag: Some("\"e\"".into()),
            ..ObjectMetadata::default()
        }
    }

    #[test]
    fn objects_older_than_the_baseline_time_and_settled_are_unchanged() {
        let since = millis("2026-12-01T00:00:00Z").unwrap();
        let c = ChangedSince::new(since, ["retry.txt".to_string()]);
        assert!(c
            .baseline_entry(&meta("old.txt", "2026-11-20T08:00:00.000Z"))
            .is_some());
        assert!(c
            .baseline_entry(&meta("new.txt", "2026-12-01T00:00:00.000Z"))
            .is_none());
        assert!(c
            .baseline_entry(&meta("retry.txt", "2026-11-20T08:00:00.000Z"))
            .is_none());
        let unknown = ObjectMetadata {
            key: "t".into(),
            ..ObjectMetadata::default()
        };
        assert!(c.baseline_entry(&unknown).is_none());
    }
}
