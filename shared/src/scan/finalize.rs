//! Finishing a scan exactly once: every task that finishes a unit counts the unit
//! summaries against the plan; when all are there, the tasks race for one conditional
//! write (`If-None-Match: *` on `scans/<scan_id>/reports.lock`), and only the winner
//! assembles the report and writes it.
//!
//! Which report ([`layout`]): when the units recorded at most the config's
//! `reports.inline_objects_max` objects and deletions, `report.json` version 2 is
//! assembled from the plan and every part file, as before; above it, version 3 (a
//! [`ScanIndex`]) is assembled from the plan and the unit summaries alone (each carries
//! its unit's totals, first findings and report files, written by the unit's finishing
//! task: [`super::unit_report`]), so the last task reads N small summaries and never a
//! part file.
//!
//! S3 is strongly consistent for a write followed by a list, so of the units finishing
//! last at least one sees every summary; the conditional write then picks exactly one.
//!
//! The lock is not a bare flag: it names its owner (the finishing task: unit and slice)
//! and says whether the reports are all written ([`ReportsLock`]). A winner that fails
//! while writing returns a transient error, so SQS delivers its task again; the
//! redelivered task finds the lock in its own name still `writing` and writes the
//! reports again. Report keys are fixed per scan and the report is assembled from the
//! same plan and part files, so rewriting is idempotent. Only then is the lock marked
//! `done`, and every later finisher leaves the reports alone.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::config::ScanMode;
use super::context::ScanContext;
use super::plan::{now, plan_key, Plan};
use super::record::{Part, UnitSummary};
use super::report::{
    BucketReport, BucketShares, BucketStatus, ConfigSummary, IndexLimits, ReportDocument,
    ScanHeader, ScanIndex, ScanMode as ReportMode, ScanReport,
};
use super::ScanError;

/// Key of the lock that decides which task writes the reports.
pub fn lock_key(scan_id: &str) -> String {
    format!("scans/{scan_id}/reports.lock")
}

/// Key of `report.json`.
pub fn report_key(scan_id: &str) -> String {
    super::reports::report_file_key(scan_id, super::report::ReportFile::Json)
}

/// What `reports.lock` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsLock {
    /// The task that won the lock (`<unit id>/<slice>`, or `plan` for a scan with no
    /// unit): the one that writes the reports, on every delivery of its message.
    pub owner: String,
    /// `writing` until every report file is stored, then `done`.
    pub state: LockState,
    /// When the lock was taken or last changed (RFC 3339).
    pub at: String,
}

/// Progress of the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockState {
    /// The owner is writing the reports (or failed while writing, and its task will be
    /// delivered again).
    Writing,
    /// Every report file is written.
    Done,
}

/// The lock owner name of a task that finishes `unit_id` with slice `slice`.
pub fn owner_of(unit_id: &str, slice: u32) -> String {
    format!("{unit_id}/{slice}")
}

/// Writes the reports if every unit of `scan_id` is done and this caller (`owner`, see
/// [`owner_of`]) wins the lock or already holds it unfinished. Returns whether it wrote
/// them.
pub async fn finish_if_last(
    ctx: &ScanContext,
    scan_id: &str,
    owner: &str,
) -> Result<bool, ScanError> {
    let plan: Plan = ctx
        .store
        .get_json(&plan_key(scan_id))
        .await
        .map_err(ScanError::Store)?
        .ok_or_else(|| ScanError::PlanMissing(ctx.store.location(&plan_key(scan_id))))?;
    let finished = super::bucket_finish::finished_units(ctx, scan_id).await?;
    let have: std::collections::HashSet<&str> = finished.iter().map(String::as_str).collect();
    if !super::bucket_finish::required_units(&plan)
        .iter()
        .all(|id| have.contains(id.as_str()))
    {
        return Ok(false);
    }
    if !take_lock(ctx, &lock_key(scan_id), owner).await? {
        return Ok(false);
    }
    let units = read_summaries(ctx, scan_id, &finished).await?;
    let report = match layout(&units, plan.config.reports.inline_objects_max) {
        Layout::Inline => ReportDocument::Inline(assemble_inline(ctx, &plan, units).await?),
        Layout::Index => ReportDocument::Index(assemble_index(ctx, &plan, units)),
    };
    super::reports::write(ctx, &report).await?;
    release_lock(ctx, &lock_key(scan_id), owner).await?;
    let totals = report.totals();
    info!(
        scan_id,
        buckets = totals.buckets,
        findings = totals.sums.findings,
        format_version = match &report {
            ReportDocument::Inline(r) => r.format_version,
            ReportDocument::Index(i) => i.format_version,
        },
        "scan finished; reports written"
    );
    Ok(true)
}

/// Which `report.json` a scan gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Version 2: every object inline, assembled from the part files.
    Inline,
    /// Version 3: totals and unit report files, assembled from the unit summaries.
    Index,
}

/// The layout of a scan whose finished units are `units`: [`Layout::Index`] when their
/// objects and deletions sum to more than `inline_objects_max` and every summary carries
/// its unit's share (a summary of an older version has none: the part files are then
/// the only source, and the report stays inline).
pub fn layout(units: &[UnitSummary], inline_objects_max: u64) -> Layout {
    let entries: Option<u64> = units
        .iter()
        .map(|u| u.report.as_ref().map(|s| s.entries))
        .sum();
    match entries {
        Some(n) if n > inline_objects_max => Layout::Index,
        _ => Layout::Inline,
    }
}

/// Summaries read at once by the last task.
const SUMMARY_READS: usize = 16;

/// The summaries of `unit_ids`, read [`SUMMARY_READS`] at a time, in `unit_ids` order; a
/// summary that is gone is left out.
pub async fn read_summaries(
    ctx: &ScanContext,
    scan_id: &str,
    unit_ids: &[String],
) -> Result<Vec<UnitSummary>, ScanError> {
    let keys: Vec<String> = unit_ids
        .iter()
        .map(|id| super::work::unit_key(scan_id, id))
        .collect();
    let read: Vec<Option<UnitSummary>> = stream::iter(keys)
        .map(|key| async move { ctx.store.get_json::<UnitSummary>(&key).await })
        .buffered(SUMMARY_READS)
        .try_collect()
        .await
        .map_err(ScanError::Store)?;
    Ok(read.into_iter().flatten().collect())
}

/// Takes the lock at `key` for `owner` (a conditional write, `If-None-Match: *`), or
/// finds it already held by `owner` unfinished (an earlier delivery of the same task
/// failed while working under it). Returns whether the caller should do the work.
pub async fn take_lock(ctx: &ScanContext, key: &str, owner: &str) -> Result<bool, ScanError> {
    let won = ctx
        .store
        .put_if_absent(key, lock_body(owner, LockState::Writing))
        .await
        .map_err(ScanError::Store)?;
    if won {
        return Ok(true);
    }
    let held: Option<ReportsLock> = ctx.store.get_json(key).await.map_err(ScanError::Store)?;
    match held {
        Some(l) if l.owner == owner && l.state == LockState::Writing => {
            info!(
                key,
                owner, "resuming the work this task's earlier delivery did not finish"
            );
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Marks the lock at `key`, held by `owner`, done: later finishers leave the work alone.
pub async fn release_lock(ctx: &ScanContext, key: &str, owner: &str) -> Result<(), ScanError> {
    ctx.store
        .put(key, lock_body(owner, LockState::Done), None)
        .await
        .map_err(ScanError::Store)
}

fn lock_body(owner: &str, state: LockState) -> Vec<u8> {
    serde_json::to_vec(&ReportsLock {
        owner: owner.to_string(),
        state,
        at: now(),
    })
    .expect("the lock serialises")
}

/// Builds the version 2 report from the plan, the unit summaries at `unit_keys` and
/// every part file.
pub async fn assemble(
    ctx: &ScanContext,
    plan: &Plan,
    unit_keys: &[String],
) -> Result<ScanReport, ScanError> {
    let mut units = Vec::new();
    for key in unit_keys {
        if let Some(u) = ctx
            .store
            .get_json::<UnitSummary>(key)
            .await
            .map_err(ScanError::Store)?
        {
            units.push(u);
        }
    }
    assemble_inline(ctx, plan, units).await
}

/// The plan's buckets as the report starts them: metadata, bucket-level errors and unit
/// issues, and the status the units give (`FAILED` when unreadable, `COMPLETE` when
/// every unit finished without an issue, else `PARTIAL`).
fn plan_buckets(plan: &Plan, units: &[UnitSummary]) -> Vec<BucketReport> {
    plan.buckets
        .iter()
        .map(|b| {
            let mut errors: Vec<_> = b.issues.iter().map(|i| i.to_report(None)).collect();
            errors.extend(b.notes.iter().cloned());
            errors.extend(b.unreadable.iter().map(|i| i.to_report(None)));
            let mut unit_failed = false;
            for u in units.iter().filter(|u| b.units.contains(&u.unit.id)) {
                if let Some(i) = &u.issue {
                    errors.push(i.to_report(None));
                    unit_failed = true;
                }
            }
            let all_done = !b.units.is_empty()
                && b.units
                    .iter()
                    .all(|id| units.iter().any(|u| &u.unit.id == id));
            BucketReport {
                account_id: b.account_id.clone(),
                name: b.name.clone(),
                status: if b.unreadable.is_some() {
                    BucketStatus::Failed
                } else if all_done && !unit_failed {
                    BucketStatus::Complete
                } else {
                    BucketStatus::Partial
                },
                metadata: b.metadata.clone(),
                errors,
                ..BucketReport::default()
            }
        })
        .collect()
}

fn header(ctx: &ScanContext, plan: &Plan) -> ScanHeader {
    ScanHeader {
        scan_id: plan.scan_id.clone(),
        config: config_summary(plan, &ctx.store.location("")),
        started_at: plan.started_at.clone(),
        finished_at: Some(now()),
    }
}

/// Builds the version 3 report from the plan and the units' summaries (their shares):
/// no part file is read.
pub fn assemble_index(ctx: &ScanContext, plan: &Plan, units: Vec<UnitSummary>) -> ScanIndex {
    let buckets = plan_buckets(plan, &units);
    let mut by_unit: std::collections::HashMap<String, UnitSummary> =
        units.into_iter().map(|u| (u.unit.id.clone(), u)).collect();
    let shares = plan
        .buckets
        .iter()
        .zip(buckets)
        .map(|(planned, bucket)| {
            // The bucket's planned units, then the bucket unit of an inventory bucket.
            let mut ids: Vec<String> = planned.units.clone();
            let scopes: Vec<String> = plan
                .units
                .iter()
                .filter(|u| u.inventory.is_some() && planned.units.contains(&u.id))
                .map(super::task::Unit::bucket_scope_id)
                .collect();
            for s in scopes {
                if !ids.contains(&s) {
                    ids.push(s);
                }
            }
            let units = ids
                .iter()
                .filter_map(|id| by_unit.remove(id))
                .filter_map(|u| Some((u.unit.id, u.report?)))
                .collect();
            BucketShares { bucket, units }
        })
        .collect();
    let c = &plan.config.reports;
    ScanIndex::assemble(
        header(ctx, plan),
        IndexLimits {
            inline_objects_max: c.inline_objects_max,
            first_findings_max: c.first_findings_max,
        },
        shares,
    )
}

/// Builds the version 2 report from the plan, the units' summaries and every part file.
pub async fn assemble_inline(
    ctx: &ScanContext,
    plan: &Plan,
    units: Vec<UnitSummary>,
) -> Result<ScanReport, ScanError> {
    let mut parts = Vec::new();
    for u in &units {
        for slice in 0..u.slices {
            let key = super::work::part_key(&plan.scan_id, &u.unit.id, slice);
            if let Some(p) = ctx
                .store
                .get_json::<Part>(&key)
                .await
                .map_err(ScanError::Store)?
            {
                let mut part = p.report;
                // Parts of one bucket's several units must not collide on sequence.
                part.sequence = (unit_index(plan, &u.unit.id) << 32) | u64::from(slice);
                // A bucket is complete only when every one of its units is.
                part.last = false;
                parts.push(part);
            }
        }
    }
    let buckets = plan_buckets(plan, &units);
    let complete: Vec<(Option<String>, String)> = buckets
        .iter()
        .filter(|b| b.status == BucketStatus::Complete)
        .map(|b| (b.account_id.clone(), b.name.clone()))
        .collect();
    // `assemble` marks a bucket complete through a part flagged last.
    for p in parts.iter_mut().rev() {
        if complete.contains(&(p.account_id.clone(), p.bucket.clone())) {
            p.last = true;
        }
    }
    let mut report = ScanReport::assemble(header(ctx, plan), buckets, parts);
    for b in &mut report.buckets {
        if b.status == BucketStatus::Complete
            && !complete.contains(&(b.account_id.clone(), b.name.clone()))
        {
            b.status = BucketStatus::Partial;
        }
    }
    Ok(report)
}

fn unit_index(plan: &Plan, unit_id: &str) -> u64 {
    plan.units
        .iter()
        .position(|u| u.id == unit_id)
        .unwrap_or(plan.units.len()) as u64
}

fn config_summary(plan: &Plan, output: &str) -> ConfigSummary {
    let c = &plan.config;
    ConfigSummary {
        mode: match c.mode {
            ScanMode::Full => ReportMode::Full,
            ScanMode::Incremental => ReportMode::Incremental,
        },
        accounts: plan
            .accounts
            .iter()
            .map(|a| {
                a.account_id
                    .clone()
                    .or_else(|| a.role_arn.clone())
                    .unwrap_or_else(|| "own credentials".into())
            })
            .collect(),
        include_buckets: c.buckets.include.clone(),
        exclude_buckets: c.buckets.exclude.clone(),
        include_prefixes: c.prefixes.include.clone(),
        exclude_prefixes: c.prefixes.exclude.clone(),
        file_types: c.file_types.include.clone(),
        exclude_file_types: c.file_types.exclude.clone(),
        detectors: c
            .detectors
            .managed
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(c.detectors.custom.iter().map(|d| d.id.clone()))
            .collect(),
        storage_classes: c.storage_classes.clone(),
        max_object_size: Some(c.max_object_size),
        max_bytes_per_object: Some(c.sampling.max_bytes_per_object).filter(|b| *b > 0),
        max_rows_per_file: Some(c.sampling.max_rows_per_file).filter(|b| *b > 0),
        max_objects_per_prefix: Some(c.sampling.max_objects_per_prefix).filter(|b| *b > 0),
        partition_sample_rate: Some(c.sampling.partition_share).filter(|s| *s < 1.0),
        output: output.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::index::UnitShare;
    use crate::scan::task::Unit;

    fn summary(prefix: &str, entries: Option<u64>) -> UnitSummary {
        UnitSummary {
            scan_id: "s".into(),
            unit: Unit::new(None, None, "b", "us-east-1", prefix, false),
            slices: 1,
            finished_at: now(),
            issue: None,
            report: entries.map(|entries| UnitShare {
                entries,
                ..UnitShare::default()
            }),
        }
    }

    #[test]
    fn layout_is_inline_up_to_the_threshold_and_for_summaries_without_shares() {
        let units = [summary("a/", Some(6)), summary("b/", Some(5))];
        assert_eq!(layout(&units, 11), Layout::Inline, "11 fit under 11");
        assert_eq!(layout(&units, 10), Layout::Index);
        assert_eq!(layout(&units, 0), Layout::Index);
        assert_eq!(layout(&[], 0), Layout::Inline, "nothing recorded");
        // A summary written before unit report files: only the part files can say.
        let old = [summary("a/", Some(6)), summary("b/", None)];
        assert_eq!(layout(&old, 0), Layout::Inline);
    }
}
