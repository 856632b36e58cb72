//! Finishing a scan exactly once: every task that finishes a unit counts the unit
//! summaries against the plan; when all are there, the tasks race for one conditional
//! write (`If-None-Match: *` on `scans/<scan_id>/reports.lock`), and only the winner
//! assembles the report from the plan and every part file and writes it.
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

use serde::{Deserialize, Serialize};
use tracing::info;

use super::config::ScanMode;
use super::context::ScanContext;
use super::plan::{now, plan_key, Plan};
use super::record::{Part, UnitSummary};
use super::report::{
    BucketReport, BucketStatus, ConfigSummary, ScanHeader, ScanMode as ReportMode, ScanReport,
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
    let done: Vec<String> = finished
        .iter()
        .map(|id| super::work::unit_key(scan_id, id))
        .collect();
    let report = assemble(ctx, &plan, &done).await?;
    super::reports::write(ctx, &report).await?;
    release_lock(ctx, &lock_key(scan_id), owner).await?;
    info!(
        scan_id,
        buckets = report.totals.buckets,
        findings = report.totals.sums.findings,
        "scan finished; reports written"
    );
    Ok(true)
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

/// Builds the report from the plan, the unit summaries (`unit_keys`) and every part file.
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
    let buckets = plan
        .buckets
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
        .collect::<Vec<_>>();
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
    let header = ScanHeader {
        scan_id: plan.scan_id.clone(),
        config: config_summary(plan, &ctx.store.location("")),
        started_at: plan.started_at.clone(),
        finished_at: Some(now()),
    };
    let mut report = ScanReport::assemble(header, buckets, parts);
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
