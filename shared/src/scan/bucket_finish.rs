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

use std::collections::{HashMap, HashSet};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use super::config::ScanMode;
use super::context::ScanContext;
use super::finalize::{release_lock, take_lock};
use super::plan::{checkpoint_key, now, plan_key, Checkpoint, Plan};
use super::record::{Listed, Part, UnitSummary};
use super::report::{BucketPart, DeletedObject, ObjectMetadata, ObjectResult, ObjectStatus};
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

/// The keys of one file unit's slice that fall in one shard: written by the slice, read
/// by the shard's task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// The keys, as the slice listed them.
    pub keys: Vec<Listed>,
    /// The results of those the slice classified (masked samples and digests only): what
    /// the next incremental scan carries forward for the objects still unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ObjectResult>,
}

/// What the task that finished a bucket's file units recorded for its shard tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishPlan {
    /// The bucket's file units.
    pub units: Vec<String>,
    /// Whether every file unit finished without an issue (else no deletion is inferred
    /// and the checkpoint stays).
    pub clean: bool,
    /// See [`BucketSummary::changed_since`].
    pub changed_since: String,
    /// Shards of the bucket's keys.
    pub shards: u32,
}

/// What one shard's task found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardResult {
    /// Keys of the shard this scan saw but did not settle (at most [`MAX_UNSETTLED`]).
    pub unsettled: Vec<String>,
    /// Whether the shard had more unsettled keys than that.
    pub unsettled_overflow: bool,
    /// Keys of the baseline in the shard that this scan did not see.
    pub deleted: u64,
}

/// The shard of `key` among `shards`: FNV-1a 64 of its bytes, modulo `shards` (stable
/// across versions and processes, so a baseline's shards are this scan's).
pub fn shard_of(key: &str, shards: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(shards.max(1))) as u32
}

fn shard_dir(scan_id: &str, scope_id: &str, shard: u32) -> String {
    format!("scans/{scan_id}/shards/{scope_id}/{shard:05}/")
}

/// Key of the shard file of `unit_id`'s slice `slice` for shard `shard`.
pub fn shard_file_key(
    scan_id: &str,
    scope_id: &str,
    shard: u32,
    unit_id: &str,
    slice: u32,
) -> String {
    format!(
        "{}{unit_id}-{slice:06}.json",
        shard_dir(scan_id, scope_id, shard)
    )
}

fn finish_plan_key(scan_id: &str, scope_id: &str) -> String {
    format!("scans/{scan_id}/buckets/{scope_id}/finish.json")
}

fn shard_result_dir(scan_id: &str, scope_id: &str) -> String {
    format!("scans/{scan_id}/buckets/{scope_id}/shards/")
}

fn shard_result_key(scan_id: &str, scope_id: &str, shard: u32) -> String {
    format!("{}{shard:05}.json", shard_result_dir(scan_id, scope_id))
}

/// How many shards the bucket's keys are split into (from its inventory's config).
pub fn shards_for(task: &Task) -> u32 {
    task.config
        .inventory_for(&task.unit.bucket)
        .map_or(super::config::inventories::DEFAULT_DELETION_SHARDS, |s| {
            s.deletion_shards
        })
        .max(1)
}

/// Writes an inventory file unit's slice listing split by shard: one file per shard
/// that holds any of its keys.
pub async fn write_shards(
    ctx: &ScanContext,
    task: &Task,
    listing: &[Listed],
    results: &[ObjectResult],
) -> Result<(), ScanError> {
    let shards = shards_for(task);
    let scope_id = task.unit.bucket_scope_id();
    let mut by_shard: std::collections::BTreeMap<u32, ShardFile> = Default::default();
    let empty = || ShardFile {
        keys: Vec::new(),
        results: Vec::new(),
    };
    for l in listing {
        by_shard
            .entry(shard_of(&l.key, shards))
            .or_insert_with(empty)
            .keys
            .push(l.clone());
    }
    for r in results.iter().filter(|r| r.status != ObjectStatus::Skipped) {
        by_shard
            .entry(shard_of(&r.metadata.key, shards))
            .or_insert_with(empty)
            .results
            .push(r.clone());
    }
    for (shard, content) in by_shard {
        let key = shard_file_key(&task.scan_id, &scope_id, shard, &task.unit.id, task.slice);
        ctx.store
            .put_json(&key, &content, Some(PART_TAG))
            .await
            .map_err(ScanError::Store)?;
    }
    Ok(())
}

/// Whether every file unit of the bucket finished without an issue.
async fn units_clean(ctx: &ScanContext, scan_id: &str, units: &[&Unit]) -> Result<bool, ScanError> {
    for u in units {
        let summary: Option<UnitSummary> = ctx
            .store
            .get_json(&unit_key(scan_id, &u.id))
            .await
            .map_err(ScanError::Store)?;
        if summary.is_none_or(|s| s.issue.is_some()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Finishes the bucket of inventory file unit `task.unit` if all its file units are
/// done and this task wins (or already holds, unfinished) the bucket's lock: records
/// what the shards need and queues one shard task per shard of the bucket's keys.
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
    let created_ms = unit
        .inventory
        .as_ref()
        .and_then(|f| millis(&f.report.created_at))
        .unwrap_or(0);
    let shards = shards_for(task);
    let finish = FinishPlan {
        units: files.iter().map(|u| u.id.clone()).collect(),
        clean: units_clean(ctx, &task.scan_id, &files).await?,
        changed_since: crate::reject::rfc3339(created_ms - SETTLE_HOURS * 3_600_000),
        shards,
    };
    ctx.store
        .put_json(&finish_plan_key(&task.scan_id, &scope_id), &finish, None)
        .await
        .map_err(ScanError::Store)?;
    let whole = bucket_unit(unit);
    for shard in 0..shards {
        let t = Task {
            unit: whole.clone(),
            slice: shard,
            start_after: None,
            folders: Vec::new(),
            baseline_part: 0,
            inventory: None,
            read_manifest: false,
            shard: Some(shard),
            ranges: Vec::new(),
            ..task.clone()
        };
        ctx.queue.send(t).await.map_err(ScanError::Queue)?;
    }
    release_lock(ctx, &lock, &owner).await
}

/// The baseline's keys in shard `shard` of `shards`: from its shard files when it was
/// split the same way, else from its part files (a baseline written before shards, or
/// with another shard count), keeping only this shard's keys so memory holds one shard.
/// `None` when the baseline cannot be read whole (nothing is then called deleted).
async fn baseline_shard(
    ctx: &ScanContext,
    baseline: &Baseline,
    unit: &Unit,
    shard: u32,
    shards: u32,
) -> Result<Option<ShardFile>, ScanError> {
    let scope_id = unit.bucket_scope_id();
    let old_finish: Option<FinishPlan> = ctx
        .store
        .get_json(&finish_plan_key(&baseline.scan_id, &scope_id))
        .await
        .map_err(ScanError::Store)?;
    let mut out = ShardFile {
        keys: Vec::new(),
        results: Vec::new(),
    };
    let in_shard = |key: &str| shard_of(key, shards) == shard;
    let same_split = old_finish
        .as_ref()
        .is_some_and(|f| f.shards == shards && f.clean);
    if same_split {
        for key in ctx
            .store
            .list(&shard_dir(&baseline.scan_id, &scope_id, shard))
            .await
            .map_err(ScanError::Store)?
        {
            let Some(file) = ctx
                .store
                .get_json::<ShardFile>(&key)
                .await
                .map_err(ScanError::Store)?
            else {
                return Ok(None);
            };
            out.keys.extend(file.keys);
            out.results.extend(file.results);
        }
        // What the baseline's shard task carried forward itself is in its part.
        if let Some(part) = ctx
            .store
            .get_json::<Part>(&part_key(&baseline.scan_id, &scope_id, shard))
            .await
            .map_err(ScanError::Store)?
        {
            out.results.extend(part.report.objects);
        }
        return Ok(Some(out));
    }
    let Some(old) = ctx
        .store
        .get_json::<Plan>(&plan_key(&baseline.scan_id))
        .await
        .map_err(ScanError::Store)?
    else {
        return Ok(None);
    };
    let mut units: Vec<Unit> = old
        .units
        .iter()
        .filter(|u| u.bucket == unit.bucket && u.role_arn == unit.role_arn)
        .cloned()
        .collect();
    // An inventory bucket's unit holds what its shard tasks carried forward.
    if old_finish.is_some() {
        units.push(bucket_unit(unit));
    }
    for u in &units {
        let Some(summary) = ctx
            .store
            .get_json::<UnitSummary>(&unit_key(&old.scan_id, &u.id))
            .await
            .map_err(ScanError::Store)?
        else {
            return Ok(None);
        };
        if summary.issue.is_some() {
            return Ok(None);
        }
        for slice in 0..summary.slices {
            let Some(p) = ctx
                .store
                .get_json::<Part>(&part_key(&old.scan_id, &u.id, slice))
                .await
                .map_err(ScanError::Store)?
            else {
                return Ok(None);
            };
            out.keys
                .extend(p.listing.into_iter().filter(|l| in_shard(&l.key)));
            out.results.extend(
                p.report
                    .objects
                    .into_iter()
                    .filter(|r| r.status != ObjectStatus::Skipped && in_shard(&r.metadata.key)),
            );
        }
    }
    Ok(Some(out))
}

/// Works one shard of a bucket's keys (`task.shard`): compares this scan's keys of the
/// shard with the baseline's (incremental), writes the deletions as the bucket unit's
/// part `shard`, records the shard's unsettled keys, and, when it is the last shard to
/// finish, writes the bucket's summary and checkpoint and, maybe, the scan's reports.
pub async fn work_shard(
    ctx: &ScanContext,
    task: &Task,
) -> Result<super::work::TaskOutcome, ScanError> {
    let shard = task.shard.expect("a shard task");
    let unit = &task.unit;
    let scope_id = unit.bucket_scope_id();
    let finish: FinishPlan = ctx
        .store
        .get_json(&finish_plan_key(&task.scan_id, &scope_id))
        .await
        .map_err(ScanError::Store)?
        .ok_or_else(|| {
            ScanError::PlanMissing(
                ctx.store
                    .location(&finish_plan_key(&task.scan_id, &scope_id)),
            )
        })?;
    // This scan's keys of the shard (with ETag and size), and those it read itself.
    let mut seen: HashMap<String, (Option<String>, u64)> = HashMap::new();
    let mut read_now: HashSet<String> = HashSet::new();
    let mut unsettled = Vec::new();
    let mut overflow = false;
    for key in ctx
        .store
        .list(&shard_dir(&task.scan_id, &scope_id, shard))
        .await
        .map_err(ScanError::Store)?
    {
        let file: Option<ShardFile> = ctx.store.get_json(&key).await.map_err(ScanError::Store)?;
        let Some(file) = file else { continue };
        read_now.extend(file.results.into_iter().map(|r| r.metadata.key));
        for l in file.keys {
            if !l.settled {
                if unsettled.len() < MAX_UNSETTLED {
                    unsettled.push(l.key.clone());
                } else {
                    overflow = true;
                }
            }
            seen.insert(l.key, (l.etag, l.size));
        }
    }
    let mut deleted = Vec::new();
    let mut carried = Vec::new();
    if let (ScanMode::Incremental, Some(b), true) = (task.config.mode, &task.baseline, finish.clean)
    {
        if let Some(before) = baseline_shard(ctx, b, unit, shard, finish.shards).await? {
            deleted = before
                .keys
                .into_iter()
                .filter(|l| !seen.contains_key(l.key.as_str()))
                .map(|l| DeletedObject {
                    key: l.key,
                    etag: l.etag,
                    last_modified: l.last_modified,
                })
                .collect();
            deleted.sort_by(|a: &DeletedObject, b: &DeletedObject| a.key.cmp(&b.key));
            // Objects this scan did not read, unchanged (same ETag and size) since the
            // baseline read them: their results come forward, as for listed units.
            for r in before.results {
                let unchanged = seen.get(&r.metadata.key).is_some_and(|(etag, size)| {
                    *etag == r.metadata.etag && *size == r.metadata.size
                });
                if unchanged && !read_now.contains(&r.metadata.key) {
                    if let Some(c) = super::work::carry(&r, Some(&b.scan_id), &task.config) {
                        read_now.insert(c.metadata.key.clone());
                        carried.push(c);
                    }
                }
            }
        }
    }
    let part = Part {
        scan_id: task.scan_id.clone(),
        unit_id: scope_id.clone(),
        slice: shard,
        report: BucketPart {
            account_id: unit.account_id.clone(),
            bucket: unit.bucket.clone(),
            deleted: deleted.clone(),
            objects: carried,
            ..BucketPart::default()
        },
        listing: Vec::new(),
        bound: String::new(),
    };
    ctx.store
        .put_json(
            &part_key(&task.scan_id, &scope_id, shard),
            &part,
            Some(PART_TAG),
        )
        .await
        .map_err(ScanError::Store)?;
    let result = ShardResult {
        unsettled,
        unsettled_overflow: overflow,
        deleted: deleted.len() as u64,
    };
    ctx.store
        .put_json(
            &shard_result_key(&task.scan_id, &scope_id, shard),
            &result,
            None,
        )
        .await
        .map_err(ScanError::Store)?;
    let owner = super::finalize::owner_of(&scope_id, shard);
    let finished = ctx
        .store
        .list(&shard_result_dir(&task.scan_id, &scope_id))
        .await
        .map_err(ScanError::Store)?
        .len();
    let mut reports_written = false;
    let last_lock = format!("scans/{}/buckets/{scope_id}/shards.lock", task.scan_id);
    if finished as u32 >= finish.shards && take_lock(ctx, &last_lock, &owner).await? {
        finish_bucket(ctx, task, &finish).await?;
        release_lock(ctx, &last_lock, &owner).await?;
        reports_written = super::finalize::finish_if_last(ctx, &task.scan_id, &owner).await?;
    }
    Ok(super::work::TaskOutcome {
        objects: 0,
        unit_done: true,
        reports_written,
    })
}

/// Writes the bucket's summary (unsettled keys of every shard, deletions counted),
/// advances its checkpoint when the scan of it was clean and its unsettled keys fit, and
/// marks the bucket unit finished with one part per shard.
async fn finish_bucket(
    ctx: &ScanContext,
    task: &Task,
    finish: &FinishPlan,
) -> Result<(), ScanError> {
    let unit = &task.unit;
    let scope_id = unit.bucket_scope_id();
    let mut unsettled = Vec::new();
    let mut deleted = 0;
    let mut keep = true;
    for shard in 0..finish.shards {
        let r: Option<ShardResult> = ctx
            .store
            .get_json(&shard_result_key(&task.scan_id, &scope_id, shard))
            .await
            .map_err(ScanError::Store)?;
        let Some(r) = r else {
            keep = false;
            continue;
        };
        deleted += r.deleted;
        keep &= !r.unsettled_overflow && unsettled.len() + r.unsettled.len() <= MAX_UNSETTLED;
        if keep {
            unsettled.extend(r.unsettled);
        }
    }
    let summary = BucketSummary {
        scan_id: task.scan_id.clone(),
        bucket: unit.bucket.clone(),
        scope_id: scope_id.clone(),
        units: finish.units.clone(),
        changed_since: finish.changed_since.clone(),
        unsettled: if keep { unsettled } else { Vec::new() },
        deleted,
    };
    ctx.store
        .put_json(&bucket_key(&task.scan_id, &scope_id), &summary, None)
        .await
        .map_err(ScanError::Store)?;
    if finish.clean && keep {
        let checkpoint = Checkpoint {
            baseline: Baseline {
                scan_id: task.scan_id.clone(),
                slices: 1,
                changed_since: Some(finish.changed_since.clone()),
            },
            completed_at: now(),
        };
        ctx.store
            .put_json(&checkpoint_key(&scope_id), &checkpoint, None)
            .await
            .map_err(ScanError::Store)?;
    }
    let whole = bucket_unit(unit);
    let share =
        super::unit_report::write_unit_report(ctx, &task.scan_id, &whole, finish.shards).await?;
    let unit_summary = UnitSummary {
        scan_id: task.scan_id.clone(),
        unit: whole,
        slices: finish.shards,
        finished_at: now(),
        issue: None,
        report: Some(share),
    };
    ctx.store
        .put_json(&unit_key(&task.scan_id, &scope_id), &unit_summary, None)
        .await
        .map_err(ScanError::Store)?;
    Ok(())
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
    fn shards_are_fixed_by_the_key_alone_so_a_baseline_split_the_same_way_lines_up() {
        // FNV-1a 64 of the key's bytes: these values must never change, or every
        // baseline's shard files would be read as the wrong shard.
        assert_eq!(shard_of("k1.txt", 4), 3);
        assert_eq!(shard_of("k6.txt", 4), 2);
        assert_eq!(shard_of("k0.txt", 3), 0);
        assert_eq!(shard_of("", 7), (0xcbf2_9ce4_8422_2325u64 % 7) as u32);
        assert_eq!(shard_of("any", 1), 0);
        let spread: HashSet<u32> = (0..1000)
            .map(|i| shard_of(&format!("logs/{i}.gz"), 16))
            .collect();
        assert_eq!(spread.len(), 16, "keys spread over every shard");
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
