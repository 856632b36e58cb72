//! Working one task: list a bounded slice of a unit after the task's start key, decide and
//! classify each object, write the slice's part file, then queue the continuation or
//! finish the unit (summary, checkpoint, and the reports if it was the last one).
//!
//! The task stops at an object boundary when less than the config's deadline margin is
//! left, so the continuation starts after the last object it finished.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::classify::Classifier;

use super::access::AccessIssue;
use super::config::{ScanConfig, ScanMode};
use super::context::{Progress, ScanContext};
use super::inventory_slice::{InventoryCursor, OpenFile, Position};
use super::lister::Lister;
use super::manifest::{self, ManifestError, ManifestLimits};
use super::plan::{checkpoint_key, now, Checkpoint};
use super::read::{read_and_classify, ReadLimits};
use super::record::{settles, Listed, NotSelected, Part, UnitSummary};
use super::report::{
    BucketPart, DeletedObject, ObjectMetadata, ObjectResult, ObjectStatus, ScanIssue,
};
use super::select::{decide, skip_still_holds, Decision, FolderSampler};
use super::slice::{inventory_slice, legacy_inventory_slice, past_prefix, Slice};
use super::store::PART_TAG;
use super::task::{Baseline, Task};
use super::ScanError;

/// Key of a slice's part file.
pub fn part_key(scan_id: &str, unit_id: &str, slice: u32) -> String {
    format!("scans/{scan_id}/parts/{unit_id}/{slice:06}.json")
}

/// Key of a unit's summary.
pub fn unit_key(scan_id: &str, unit_id: &str) -> String {
    format!("scans/{scan_id}/units/{unit_id}.json")
}

/// What a task did.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutcome {
    /// Objects listed in the slice.
    pub objects: usize,
    /// Whether the unit is finished.
    pub unit_done: bool,
    /// Whether this task wrote the scan's reports.
    pub reports_written: bool,
}

/// What a task reads its slices from, kept across the slices it works: a listing one
/// page ahead, or an inventory data file downloaded once.
#[derive(Default)]
struct Sources {
    lister: Option<Lister>,
    file: Option<OpenFile>,
}

/// How a slice ended.
enum SliceEnd {
    /// The unit is finished (its summary written).
    UnitDone(TaskOutcome),
    /// The unit goes on with `next`; `stopped_early`: the slice stopped at the deadline.
    Continue {
        next: Box<Task>,
        objects: usize,
        stopped_early: bool,
    },
}

/// Works one task: its slice, then (time and `slices_per_task` allowing) the slices
/// after it in the same invocation, the next ListObjectsV2 page requested while the
/// current one is classified and an inventory data file read on from where the last
/// slice stopped. The continuation is queued only when the task stops before the unit
/// is done. `deadline` is the Lambda deadline (`None`: no limit, the CLI).
pub async fn run_task(
    ctx: &ScanContext,
    task: Task,
    deadline: Option<Instant>,
) -> Result<TaskOutcome, ScanError> {
    if task.shard.is_some() {
        return super::bucket_finish::work_shard(ctx, &task).await;
    }
    let unit = task.unit.clone();
    let clients = match ctx.clients_for(unit.role_arn.as_deref()).await {
        Ok(c) => c,
        Err(issue) if issue.transient => return Err(ScanError::Access(issue)),
        Err(issue) => return finish_unit(ctx, &task, task.slice, Some(issue)).await,
    };
    let s3 = clients.s3_in(&unit.region);
    let classifier = classifier_for(ctx, &task)?;
    let margin = Duration::from_secs(u64::from(task.config.deadline_margin_seconds));
    let limits = Limits {
        stop_between: deadline.map(|d| d.checked_sub(margin).unwrap_or(d)),
        stop_reading: deadline.map(|d| {
            d.checked_sub(Duration::from_secs(5).max(margin / 4))
                .unwrap_or(d)
        }),
    };
    let max_slices = task.config.slices_per_task;
    let mut sources = Sources::default();
    let mut task = task;
    let mut objects = 0;
    let mut worked = 0u32;
    loop {
        ctx.report(Progress::Slice {
            bucket: unit.bucket.clone(),
            slice: task.slice,
        });
        let enumerated = if unit.inventory.is_some() {
            inventory_slice(&s3, &task, &mut sources.file).await
        } else if task.is_legacy_inventory_chain() {
            legacy_inventory_slice(&s3, &task).await
        } else {
            let lister = match sources.lister.take() {
                Some(l) if l.continues(&unit, task.start_after.as_deref()) => l,
                // A unit's first slice may find its key ranges; later ones list the
                // ranges their task carries.
                _ => Lister::start(
                    &s3,
                    &unit,
                    task.config.objects_per_task,
                    task.start_after.clone(),
                    task.ranges.clone(),
                    task.slice == 0 && task.ranges.is_empty(),
                ),
            };
            let lister = sources.lister.insert(lister);
            let page = lister.next_page().await;
            if task.ranges.as_slice() != lister.groups() {
                task.ranges = lister.groups().to_vec();
            }
            page.map(|page| {
                page.unwrap_or(Slice {
                    objects: Vec::new(),
                    more: false,
                    last_prefix: None,
                    inventory: None,
                })
            })
        };
        let slice = match enumerated {
            Ok(s) => s,
            Err(issue) => {
                if issue.transient {
                    return Err(ScanError::Access(issue));
                }
                warn!(bucket = %unit.bucket, code = issue.error_code.as_deref(), "enumeration failed: {}", issue.message);
                let mut outcome = finish_unit(ctx, &task, task.slice, Some(issue)).await?;
                outcome.objects = objects;
                return Ok(outcome);
            }
        };
        worked += 1;
        match work_slice(ctx, task, &s3, &classifier, slice, &limits).await? {
            SliceEnd::UnitDone(mut outcome) => {
                outcome.objects += objects;
                return Ok(outcome);
            }
            SliceEnd::Continue {
                next,
                objects: n,
                stopped_early,
            } => {
                objects += n;
                let out_of_time = limits.stop_between.is_some_and(|s| Instant::now() >= s);
                if stopped_early || out_of_time || (max_slices > 0 && worked >= max_slices) {
                    ctx.queue.send(*next).await.map_err(ScanError::Queue)?;
                    return Ok(TaskOutcome {
                        objects,
                        unit_done: false,
                        reports_written: false,
                    });
                }
                task = *next;
            }
        }
    }
}

/// When a task stops: between objects, and while reading one.
struct Limits {
    stop_between: Option<Instant>,
    stop_reading: Option<Instant>,
}

/// Works one slice: decides and classifies its objects, writes its part file, and
/// finishes the unit or returns the task of the next slice.
async fn work_slice(
    ctx: &ScanContext,
    task: Task,
    s3: &aws_sdk_s3::Client,
    classifier: &Arc<Classifier>,
    slice: Slice,
    limits: &Limits,
) -> Result<SliceEnd, ScanError> {
    let unit = task.unit.clone();
    let config = &task.config;
    let by_file = unit.inventory.is_some();
    let truncated = slice.more;
    let last_prefix = slice.last_prefix.clone();
    let scope = config.scope();
    let mut sampler = FolderSampler::resume(&task.folders);
    // The baseline's objects in this slice's key range (to the end when it is the last).
    let page_end = if truncated {
        slice
            .objects
            .last()
            .map(|(m, _)| m.key.clone())
            .into_iter()
            .chain(last_prefix.as_deref().map(past_prefix))
            .max()
    } else {
        None
    };
    // An inventory file unit compares against its bucket's baseline by time and the
    // baseline's unsettled keys (its keys are in no range of their own).
    // A chain queued before inventory file units reads its report in file order: no
    // key range to compare (everything counts as changed, no deletion is inferred).
    let loaded = match (&task.baseline, config.mode) {
        (Some(b), ScanMode::Incremental) if !by_file && !task.is_legacy_inventory_chain() => {
            load_baseline(
                ctx,
                b,
                &unit.id,
                task.baseline_part,
                task.start_after.as_deref(),
                page_end.as_deref(),
            )
            .await?
        }
        _ => None,
    };
    let changed = match (&task.baseline, config.mode) {
        (Some(b), ScanMode::Incremental) if by_file => {
            super::bucket_finish::ChangedSince::load(ctx, b, &unit).await?
        }
        _ => None,
    };
    let (baseline_entries, baseline_results, baseline_bounds) = match loaded {
        Some(b) => (Some(b.entries), b.results, b.bounds),
        None => (None, HashMap::new(), Vec::new()),
    };
    let baseline_scan = task.baseline.as_ref().map(|b| b.scan_id.clone());
    let mut part = BucketPart {
        account_id: unit.account_id.clone(),
        bucket: unit.bucket.clone(),
        sequence: u64::from(task.slice),
        enumeration: slice
            .inventory
            .as_ref()
            .filter(|_| task.slice == 0)
            .map(|(c, _)| c.report.enumeration()),
        ..BucketPart::default()
    };
    if task.read_manifest && task.slice == 0 {
        read_containers(s3, &unit.bucket, &mut part).await;
    }
    let mut listing: Vec<Listed> = Vec::new();
    let mut last_key: Option<String> = None;
    let mut last_position: Option<Position> = None;
    let mut stopped_early = false;
    for (meta, position) in slice.objects {
        if last_key.is_some() && limits.stop_between.is_some_and(|s| Instant::now() >= s) {
            stopped_early = true;
            break;
        }
        let key = meta.key.clone();
        last_key = Some(key.clone());
        last_position = position;
        let by_time = changed.as_ref().map(|c| c.baseline_entry(&meta));
        let seen = match &by_time {
            Some(entry) => Some(entry.as_ref()),
            None => baseline_entries.as_ref().map(|m| m.get(&key)),
        };
        let mut decision = decide(&meta, config, &scope, seen, &mut sampler);
        if decision == Decision::NotSelected(NotSelected::OutOfScope) {
            // Under the scanned prefixes but of a type the config leaves out: counted,
            // so a report says what was not read.
            if scope.prefixes.matches(&meta.key) {
                let kinds = &mut part.excluded_by_type;
                let kind = excluded_type(&meta.key);
                let kind = if kinds.len() < MAX_EXCLUDED_TYPES || kinds.contains_key(&kind) {
                    kind
                } else {
                    "(other)".to_string()
                };
                *kinds.entry(kind).or_default() += 1;
            }
            continue;
        }
        // An unchanged object the baseline skipped stays skipped while the skip holds
        // (carried forward below); once the config admits it, it is read.
        let skipped_before = baseline_results
            .get(&meta.key)
            .filter(|r| r.status == ObjectStatus::Skipped);
        if let (Decision::NotSelected(NotSelected::Unchanged), Some(r)) =
            (&decision, skipped_before)
        {
            if !r
                .reason
                .is_some_and(|reason| skip_still_holds(reason, &meta, config))
            {
                decision = Decision::Read;
            }
        }
        part.objects_seen += 1;
        part.bytes_seen += meta.size;
        let mut entry = Listed {
            key,
            etag: meta.etag.clone(),
            size: meta.size,
            last_modified: meta.last_modified.clone(),
            settled: true,
        };
        let result = match decision {
            Decision::NotSelected(why) => {
                let mut not_selected = true;
                if why == NotSelected::Unchanged {
                    // The report describes the bucket as it is: an unchanged object's
                    // result and findings (masked samples and digests) are carried
                    // forward from the scan that read it, and a skipped one's skip
                    // (counted as skipped, as it was).
                    if let Some(carried) = baseline_results
                        .get(&entry.key)
                        .and_then(|r| carry(r, baseline_scan.as_deref(), config))
                    {
                        not_selected = carried.status != ObjectStatus::Skipped;
                        part.objects.push(carried);
                    }
                }
                if not_selected {
                    part.objects_not_selected += 1;
                }
                None
            }
            Decision::Skip(reason) => {
                let mut meta = meta;
                head_metadata(s3, &unit.bucket, &mut meta).await;
                Some(ObjectResult::skipped(meta, reason, None))
            }
            Decision::Read => Some(
                read_and_classify(
                    s3,
                    classifier.clone(),
                    &unit.bucket,
                    meta,
                    ReadLimits {
                        max_bytes: Some(config.sampling.max_bytes_per_object).filter(|b| *b > 0),
                        max_rows: Some(config.sampling.max_rows_per_file).filter(|r| *r > 0),
                        max_spool_bytes: config.max_object_size,
                        deadline: limits.stop_reading,
                    },
                )
                .await,
            ),
        };
        if let Some(r) = result {
            entry.settled = settles(&r);
            ctx.report(Progress::Object {
                bucket: unit.bucket.clone(),
                bytes: r.bytes_read,
                classified: r.status != ObjectStatus::Skipped,
            });
            part.objects.push(r);
        } else {
            ctx.report(Progress::Object {
                bucket: unit.bucket.clone(),
                bytes: 0,
                classified: false,
            });
        }
        listing.push(entry);
    }
    let unit_done = !truncated && !stopped_early;
    // Where this slice ends: the last object handled, or past the last common prefix a
    // root-only listing rolled up (whichever sorts later). Inventory file units keep
    // their file order, so their bound only names the last key.
    let mut bound = last_key
        .clone()
        .or_else(|| task.start_after.clone())
        .unwrap_or_default();
    if !stopped_early {
        if let Some(p) = last_prefix.map(|p| past_prefix(&p)) {
            if p > bound {
                bound = p;
            }
        }
    }
    if let Some(entries) = &baseline_entries {
        let current: std::collections::HashSet<&str> =
            listing.iter().map(|r| r.key.as_str()).collect();
        part.deleted = entries
            .values()
            .filter(|e| unit_done || e.key.as_str() <= bound.as_str())
            .filter(|e| !current.contains(e.key.as_str()))
            .map(|e| DeletedObject {
                key: e.key.clone(),
                etag: e.etag.clone(),
                last_modified: e.last_modified.clone(),
            })
            .collect();
    }
    // The file continues after the last object handled (or the slice's end).
    let next_inventory = slice.inventory.map(|(cursor, end)| InventoryCursor {
        position: if stopped_early {
            last_position.unwrap_or(cursor.position)
        } else {
            end
        },
        ..cursor
    });
    if unit_done {
        if let Some(c) = &next_inventory {
            // The whole file was read: its objects and bytes, summed over the bucket's
            // files into the bucket's size and count as of the report.
            part.object_count = Some(c.position.objects);
            part.size_bytes = Some(c.position.bytes);
        }
    }
    part.last = unit_done;
    if by_file {
        // Deletions are found shard by shard once the bucket's file units are done. Full
        // scans write the shard files too: this scan's shard tasks take the keys it did
        // not settle from them (the bucket summary the next scan selects by), and a later
        // incremental scan, whose baseline this scan becomes whatever its mode, joins
        // against them; without them it would read every part file of this scan once
        // per shard (`baseline_shard`'s fallback).
        super::bucket_finish::write_shards(ctx, &task, &listing, &part.objects).await?;
    }
    let objects = listing.len();
    let record = Part {
        scan_id: task.scan_id.clone(),
        unit_id: unit.id.clone(),
        slice: task.slice,
        report: part,
        listing,
        bound: bound.clone(),
    };
    ctx.store
        .put_json(
            &part_key(&task.scan_id, &unit.id, task.slice),
            &record,
            Some(PART_TAG),
        )
        .await
        .map_err(ScanError::Store)?;
    info!(scan_id = %task.scan_id, bucket = %unit.bucket, prefix = %unit.prefix, slice = task.slice, objects, unit_done, inventory = next_inventory.is_some(), "slice done");
    if !unit_done {
        // The next slice's baseline starts at the first part reaching past this bound.
        let baseline_part = baseline_bounds
            .iter()
            .find(|(_, b)| b.as_str() >= bound.as_str())
            .or(baseline_bounds.last())
            .map_or(task.baseline_part, |(j, _)| *j);
        let next = Task {
            slice: task.slice + 1,
            start_after: Some(bound.clone()),
            folders: sampler.carry(&bound),
            baseline_part,
            inventory: next_inventory,
            read_manifest: false,
            ..task
        };
        return Ok(SliceEnd::Continue {
            next: Box::new(next),
            objects,
            stopped_early,
        });
    }
    let slices = task.slice + 1;
    let mut outcome = finish_unit(ctx, &task, slices, None).await?;
    outcome.objects = objects;
    Ok(SliceEnd::UnitDone(outcome))
}

/// Reads the bucket's `openmetadata.json` containers into the part; a manifest that
/// cannot be read is one of the bucket's errors.
async fn read_containers(s3: &aws_sdk_s3::Client, bucket: &str, part: &mut BucketPart) {
    match manifest::read_containers(s3, bucket, &ManifestLimits::default()).await {
        Ok(Some(containers)) => part.containers = containers,
        Ok(None) => {}
        Err(e) => {
            let (code, action) = match &e {
                ManifestError::S3 { code, action, .. } => (code.clone(), Some(action.to_string())),
                ManifestError::Invalid { .. } => (None, None),
            };
            warn!(bucket, "openmetadata.json not read: {e}");
            part.errors.push(ScanIssue {
                operation: "ReadStorageManifest".into(),
                key: Some(manifest::MANIFEST_KEY.into()),
                code,
                action,
                message: e.to_string(),
            });
        }
    }
}

fn classifier_for(ctx: &ScanContext, task: &Task) -> Result<Arc<Classifier>, ScanError> {
    ctx.classifier(&task.config)
}

/// Records content type and encryption of an object skipped before reading (HeadObject,
/// which archived objects answer too); a failure leaves them unknown.
async fn head_metadata(s3: &aws_sdk_s3::Client, bucket: &str, meta: &mut ObjectMetadata) {
    if let Ok(h) = s3.head_object().bucket(bucket).key(&meta.key).send().await {
        meta.content_type = h.content_type().map(str::to_string);
        meta.encryption = h.server_side_encryption().map(|s| s.as_str().to_string());
        meta.kms_key_id = h.ssekms_key_id().map(str::to_string);
    }
}

/// Writes the unit summary, advances its checkpoint (only now: the unit is complete and
/// readable, and `keep_baseline`: its slice bounds partition its keys), and writes the
/// reports if every unit of the scan is done.
async fn finish_unit(
    ctx: &ScanContext,
    task: &Task,
    slices: u32,
    issue: Option<AccessIssue>,
) -> Result<TaskOutcome, ScanError> {
    // The unit's report files, from its part files, before the summary that says the
    // unit is finished: the scan's last task reads the summary's share, not the parts.
    let share =
        super::unit_report::write_unit_report(ctx, &task.scan_id, &task.unit, slices).await?;
    let summary = UnitSummary {
        scan_id: task.scan_id.clone(),
        unit: task.unit.clone(),
        slices,
        finished_at: now(),
        issue: issue.clone(),
        report: Some(share),
    };
    ctx.store
        .put_json(&unit_key(&task.scan_id, &task.unit.id), &summary, None)
        .await
        .map_err(ScanError::Store)?;
    // An inventory file unit's id lives one scan: its bucket keeps the checkpoint. A
    // chain queued before file units wrote its parts in report order, which cannot be a
    // key-range baseline: its unit keeps the checkpoint it had.
    if issue.is_none() && task.unit.inventory.is_none() && !task.is_legacy_inventory_chain() {
        let checkpoint = Checkpoint {
            baseline: Baseline {
                scan_id: task.scan_id.clone(),
                slices,
                changed_since: None,
            },
            completed_at: summary.finished_at.clone(),
        };
        ctx.store
            .put_json(&checkpoint_key(&task.unit.id), &checkpoint, None)
            .await
            .map_err(ScanError::Store)?;
    }
    if task.unit.inventory.is_some() {
        super::bucket_finish::finish_bucket_if_last(ctx, task).await?;
    }
    ctx.report(Progress::UnitDone {
        bucket: task.unit.bucket.clone(),
    });
    let owner = super::finalize::owner_of(&task.unit.id, task.slice);
    let reports_written = super::finalize::finish_if_last(ctx, &task.scan_id, &owner).await?;
    Ok(TaskOutcome {
        objects: 0,
        unit_done: true,
        reports_written,
    })
}

type BaselineEntries = BTreeMap<String, Listed>;

/// File types counted one by one among the objects `file_types` leaves out; the rest
/// count as `(other)`.
const MAX_EXCLUDED_TYPES: usize = 64;

/// The file type of a key excluded by `file_types`: its last extension, lower case, or
/// `(none)`.
fn excluded_type(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.len() <= 16 => ext.to_ascii_lowercase(),
        _ => "(none)".to_string(),
    }
}

/// What a slice compares against: the baseline's listing in its key range, the results
/// the baseline recorded for those keys (classified there, or carried forward there
/// from an earlier scan), and the bounds of the parts read.
struct LoadedBaseline {
    entries: BaselineEntries,
    results: HashMap<String, ObjectResult>,
    bounds: Vec<(u32, String)>,
}

/// The result to carry forward for an unchanged object: the baseline's, when it
/// classified the object, or skipped it for a reason that still holds under `config`
/// (archived storage class, unsupported type: the report lists what was not read as
/// well), or carried it itself; marked with the scan that read (or skipped) it.
pub(super) fn carry(
    baseline: &ObjectResult,
    baseline_scan: Option<&str>,
    config: &ScanConfig,
) -> Option<ObjectResult> {
    if baseline.status == ObjectStatus::Skipped
        && !(settles(baseline)
            && baseline
                .reason
                .is_some_and(|r| skip_still_holds(r, &baseline.metadata, config)))
    {
        return None;
    }
    let mut r = baseline.clone();
    r.carried_from = r.carried_from.or_else(|| baseline_scan.map(str::to_string));
    r.carried_from.is_some().then_some(r)
}

/// The baseline's objects with keys after `after` (and up to `upto`, when given), read
/// from its part files in slice order from `first` (the first one that may hold keys
/// after `after`) until one reaches `upto`; with the bound of each part read, so the next
/// slice knows where to start. `None` when one of those parts is gone.
async fn load_baseline(
    ctx: &ScanContext,
    baseline: &Baseline,
    unit_id: &str,
    first: u32,
    after: Option<&str>,
    upto: Option<&str>,
) -> Result<Option<LoadedBaseline>, ScanError> {
    let mut out = BTreeMap::new();
    let mut results = HashMap::new();
    let mut bounds = Vec::new();
    for j in first..baseline.slices {
        let key = part_key(&baseline.scan_id, unit_id, j);
        let Some(part) = ctx
            .store
            .get_json::<Part>(&key)
            .await
            .map_err(ScanError::Store)?
        else {
            // Expired (lifecycle) or removed: without it nothing can be called unchanged,
            // so this slice classifies everything and reports no deletion.
            warn!(location = %ctx.store.location(&key), "baseline part missing; slice scanned in full");
            return Ok(None);
        };
        let in_range = |key: &str| after.is_none_or(|s| key > s) && upto.is_none_or(|l| key <= l);
        for r in part.listing {
            if in_range(&r.key) {
                out.insert(r.key.clone(), r);
            }
        }
        for o in part.report.objects {
            // Skips that settle the object (storage class, type) are carried too.
            if (o.status != ObjectStatus::Skipped || settles(&o)) && in_range(&o.metadata.key) {
                results.insert(o.metadata.key.clone(), o);
            }
        }
        let reaches = upto.is_some_and(|l| part.bound.as_str() >= l);
        bounds.push((j, part.bound));
        if reaches {
            break;
        }
    }
    Ok(Some(LoadedBaseline {
        entries: out,
        results,
        bounds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_prefix_sorts_after_every_key_under_the_prefix() {
        use super::super::slice::past_prefix;
        let p = past_prefix("a/");
        assert!(p.as_str() > "a/zzzz\u{FFFF}");
        assert!(p.as_str() < "a0");
        assert!(p.as_str() < "b");
    }

    #[test]
    fn part_keys_sort_by_slice() {
        assert!(part_key("s", "u", 9) < part_key("s", "u", 10));
    }
}
