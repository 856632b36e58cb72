//! Finishing a scan exactly once: every task that finishes a unit counts the unit
//! summaries against the plan; when all are there, the tasks race for one conditional
//! write (`If-None-Match: *` on `scans/<scan_id>/reports.lock`), and only the winner
//! assembles the report from the plan and every part file and writes it.
//!
//! S3 is strongly consistent for a write followed by a list, so of the units finishing
//! last at least one sees every summary; the conditional write then picks exactly one.

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

/// Writes the reports if every unit of `scan_id` is done and this caller wins the lock.
/// Returns whether it wrote them.
pub async fn finish_if_last(ctx: &ScanContext, scan_id: &str) -> Result<bool, ScanError> {
    let plan: Plan = ctx
        .store
        .get_json(&plan_key(scan_id))
        .await
        .map_err(ScanError::Store)?
        .ok_or_else(|| ScanError::PlanMissing(ctx.store.location(&plan_key(scan_id))))?;
    let done = ctx
        .store
        .list(&format!("scans/{scan_id}/units/"))
        .await
        .map_err(ScanError::Store)?;
    if done.len() < plan.units.len() {
        return Ok(false);
    }
    let won = ctx
        .store
        .put_if_absent(&lock_key(scan_id), now().into_bytes())
        .await
        .map_err(ScanError::Store)?;
    if !won {
        return Ok(false);
    }
    let report = assemble(ctx, &plan, &done).await?;
    super::reports::write(ctx, &report).await?;
    info!(
        scan_id,
        buckets = report.totals.buckets,
        findings = report.totals.sums.findings,
        "scan finished; reports written"
    );
    Ok(true)
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
