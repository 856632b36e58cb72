//! Working one task: list a bounded slice of a unit after the task's start key, decide and
//! classify each object, write the slice's part file, then queue the continuation or
//! finish the unit (summary, checkpoint, and the reports if it was the last one).
//!
//! The task stops at an object boundary when less than the config's deadline margin is
//! left, so the continuation starts after the last object it finished.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::classify::Classifier;

use super::access::AccessIssue;
use super::config::ScanMode;
use super::context::{Progress, ScanContext};
use super::plan::{checkpoint_key, now, Checkpoint};
use super::read::{read_and_classify, ReadLimits};
use super::record::{settles, Listed, NotSelected, Part, UnitSummary};
use super::report::{BucketPart, DeletedObject, ObjectMetadata, ObjectResult, ObjectStatus};
use super::select::{decide, Decision, FolderSampler};
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

/// The key after which a listing resumes past everything under a common prefix: the
/// prefix followed by the largest code point, which sorts after every key below it.
fn past_prefix(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Works one task. `deadline` is the Lambda deadline (`None`: no limit, the CLI).
pub async fn run_task(
    ctx: &ScanContext,
    task: Task,
    deadline: Option<Instant>,
) -> Result<TaskOutcome, ScanError> {
    let unit = task.unit.clone();
    let config = &task.config;
    ctx.report(Progress::Slice {
        bucket: unit.bucket.clone(),
        slice: task.slice,
    });
    let clients = match ctx.clients_for(unit.role_arn.as_deref()).await {
        Ok(c) => c,
        Err(issue) if issue.transient => return Err(ScanError::Access(issue)),
        Err(issue) => return finish_unit(ctx, &task, Some(issue)).await,
    };
    let s3 = clients.s3_in(&unit.region);
    let classifier = classifier_for(ctx, &task)?;
    let margin = Duration::from_secs(u64::from(config.deadline_margin_seconds));
    let stop_between = deadline.map(|d| d.checked_sub(margin).unwrap_or(d));
    let stop_reading = deadline.map(|d| {
        d.checked_sub(Duration::from_secs(5).max(margin / 4))
            .unwrap_or(d)
    });

    let mut req = s3
        .list_objects_v2()
        .bucket(&unit.bucket)
        .prefix(&unit.prefix)
        .max_keys(config.objects_per_task as i32)
        .set_start_after(task.start_after.clone());
    if unit.root_only {
        req = req.delimiter("/");
    }
    let page = match req.send().await {
        Ok(p) => p,
        Err(e) => {
            let issue = AccessIssue::from_sdk(
                "ListObjectsV2",
                "s3:ListBucket",
                &format!("arn:aws:s3:::{}", unit.bucket),
                &e,
            );
            if issue.transient {
                return Err(ScanError::Access(issue));
            }
            warn!(bucket = %unit.bucket, code = issue.error_code.as_deref(), "listing failed: {}", issue.message);
            return finish_unit(ctx, &task, Some(issue)).await;
        }
    };
    let truncated = page.is_truncated() == Some(true);
    let last_prefix = page
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .next_back()
        .map(str::to_string);

    let scope = config.scope();
    let mut sampler = FolderSampler::resume(&task.folders);
    let listed = page.contents();
    // The baseline's objects in this page's key range (to the end when it is the last page).
    let page_end = if truncated {
        listed
            .last()
            .and_then(|o| o.key())
            .map(str::to_string)
            .into_iter()
            .chain(last_prefix.as_deref().map(past_prefix))
            .max()
    } else {
        None
    };
    let baseline_entries = match (&task.baseline, config.mode) {
        (Some(b), ScanMode::Incremental) => {
            load_baseline(
                ctx,
                b,
                &unit.id,
                task.start_after.as_deref(),
                page_end.as_deref(),
            )
            .await?
        }
        _ => None,
    };
    let mut part = BucketPart {
        account_id: unit.account_id.clone(),
        bucket: unit.bucket.clone(),
        sequence: u64::from(task.slice),
        ..BucketPart::default()
    };
    let mut listing: Vec<Listed> = Vec::new();
    let mut last_key: Option<String> = None;
    let mut stopped_early = false;
    for o in listed {
        if last_key.is_some() && stop_between.is_some_and(|s| Instant::now() >= s) {
            stopped_early = true;
            break;
        }
        let Some(key) = o.key() else { continue };
        last_key = Some(key.to_string());
        let meta = ObjectMetadata {
            key: key.to_string(),
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
        let seen = baseline_entries.as_ref().map(|m| m.get(key));
        let decision = decide(&meta, config, &scope, seen, &mut sampler);
        if decision == Decision::NotSelected(NotSelected::OutOfScope) {
            continue;
        }
        part.objects_seen += 1;
        part.bytes_seen += meta.size;
        let mut entry = Listed {
            key: meta.key.clone(),
            etag: meta.etag.clone(),
            size: meta.size,
            last_modified: meta.last_modified.clone(),
            settled: true,
        };
        let result = match decision {
            Decision::NotSelected(_) => {
                part.objects_not_selected += 1;
                None
            }
            Decision::Skip(reason) => {
                let mut meta = meta;
                head_metadata(&s3, &unit.bucket, &mut meta).await;
                Some(ObjectResult::skipped(meta, reason, None))
            }
            Decision::Read => Some(
                read_and_classify(
                    &s3,
                    classifier.clone(),
                    &unit.bucket,
                    meta,
                    ReadLimits {
                        max_bytes: Some(config.sampling.max_bytes_per_object).filter(|b| *b > 0),
                        max_rows: Some(config.sampling.max_rows_per_file).filter(|r| *r > 0),
                        max_spool_bytes: config.max_object_size,
                        deadline: stop_reading,
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
    // root-only listing rolled up (whichever sorts later).
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
    part.last = unit_done;
    let objects = listing.len();
    let record = Part {
        scan_id: task.scan_id.clone(),
        unit_id: unit.id.clone(),
        slice: task.slice,
        report: part,
        listing,
    };
    ctx.store
        .put_json(
            &part_key(&task.scan_id, &unit.id, task.slice),
            &record,
            Some(PART_TAG),
        )
        .await
        .map_err(ScanError::Store)?;
    info!(scan_id = %task.scan_id, bucket = %unit.bucket, prefix = %unit.prefix, slice = task.slice, objects, unit_done, "slice done");
    let mut bounds = task.bounds.clone();
    bounds.push(bound.clone());
    if !unit_done {
        let next = Task {
            slice: task.slice + 1,
            start_after: Some(bound.clone()),
            folders: sampler.carry(&bound),
            bounds,
            ..task
        };
        ctx.queue.send(next).await.map_err(ScanError::Queue)?;
        return Ok(TaskOutcome {
            objects,
            unit_done: false,
            reports_written: false,
        });
    }
    let task = Task { bounds, ..task };
    let mut outcome = finish_unit(ctx, &task, None).await?;
    outcome.objects = objects;
    Ok(outcome)
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
/// readable), and writes the reports if every unit of the scan is done.
async fn finish_unit(
    ctx: &ScanContext,
    task: &Task,
    issue: Option<AccessIssue>,
) -> Result<TaskOutcome, ScanError> {
    let summary = UnitSummary {
        scan_id: task.scan_id.clone(),
        unit: task.unit.clone(),
        slices: task.bounds.len() as u32,
        bounds: task.bounds.clone(),
        finished_at: now(),
        issue: issue.clone(),
    };
    ctx.store
        .put_json(&unit_key(&task.scan_id, &task.unit.id), &summary, None)
        .await
        .map_err(ScanError::Store)?;
    if issue.is_none() {
        let checkpoint = Checkpoint {
            baseline: Baseline {
                scan_id: task.scan_id.clone(),
                bounds: task.bounds.clone(),
            },
            completed_at: summary.finished_at.clone(),
        };
        ctx.store
            .put_json(&checkpoint_key(&task.unit.id), &checkpoint, None)
            .await
            .map_err(ScanError::Store)?;
    }
    ctx.report(Progress::UnitDone {
        bucket: task.unit.bucket.clone(),
    });
    let reports_written = super::finalize::finish_if_last(ctx, &task.scan_id).await?;
    Ok(TaskOutcome {
        objects: 0,
        unit_done: true,
        reports_written,
    })
}

type BaselineEntries = BTreeMap<String, Listed>;

/// The baseline's objects with keys after `after` (and up to `upto`, when given), from
/// the part files whose key ranges overlap it; `None` when one of those parts is gone.
async fn load_baseline(
    ctx: &ScanContext,
    baseline: &Baseline,
    unit_id: &str,
    after: Option<&str>,
    upto: Option<&str>,
) -> Result<Option<BaselineEntries>, ScanError> {
    let n = baseline.bounds.len();
    let mut out = BTreeMap::new();
    for j in 0..n {
        let upper_ok = j == n - 1 || after.is_none_or(|s| baseline.bounds[j].as_str() > s);
        let lower_ok = j == 0 || upto.is_none_or(|l| baseline.bounds[j - 1].as_str() < l);
        if !(upper_ok && lower_ok) {
            continue;
        }
        let key = part_key(&baseline.scan_id, unit_id, j as u32);
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
        for r in part.listing {
            let in_range = after.is_none_or(|s| r.key.as_str() > s)
                && upto.is_none_or(|l| r.key.as_str() <= l);
            if in_range {
                out.insert(r.key.clone(), r);
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_prefix_sorts_after_every_key_under_the_prefix() {
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
