//! Finishing a scan exactly once: every task that finishes a unit counts the unit
//! summaries against the plan; when all are there, the tasks race for one conditional
//! write (`If-None-Match: *` on `scans/<scan_id>/reports.lock`), and only the winner
//! writes the summary and the reports.
//!
//! S3 is strongly consistent for writes followed by lists, so of the units finishing last,
//! at least one sees every summary; the conditional write then picks exactly one writer.

use serde::{Deserialize, Serialize};
use tracing::info;

use super::access::AccessIssue;
use super::bucket::{posture_warnings, BucketMetadata};
use super::config::ScanMode;
use super::context::ScanContext;
use super::plan::{now, plan_key, AccountPlan, Plan};
use super::record::{Counts, UnitSummary};
use super::ScanError;

/// Key of the lock that decides which task writes the reports.
pub fn lock_key(scan_id: &str) -> String {
    format!("scans/{scan_id}/reports.lock")
}

/// Key of the scan summary.
pub fn summary_key(scan_id: &str) -> String {
    format!("scans/{scan_id}/summary.json")
}

/// One bucket in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketSummary {
    /// The role it was read through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Owning account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Metadata and posture (size and object count come from the listing: `counts`).
    pub metadata: BucketMetadata,
    /// Posture warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Counters over its units.
    pub counts: Counts,
    /// Why it (or a unit of it) could not be listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<AccessIssue>,
}

/// `scans/<scan_id>/summary.json`: the scan's totals per bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Scan id.
    pub scan_id: String,
    /// Full or incremental.
    pub mode: ScanMode,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Accounts and their issues.
    pub accounts: Vec<AccountPlan>,
    /// Buckets.
    pub buckets: Vec<BucketSummary>,
    /// Totals.
    pub totals: Counts,
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
    let mut units = Vec::new();
    for key in &done {
        if let Some(u) = ctx
            .store
            .get_json::<UnitSummary>(key)
            .await
            .map_err(ScanError::Store)?
        {
            units.push(u);
        }
    }
    let summary = summarize(&plan, &units);
    ctx.store
        .put_json(&summary_key(scan_id), &summary, None)
        .await
        .map_err(ScanError::Store)?;
    info!(
        scan_id,
        buckets = summary.buckets.len(),
        findings = summary.totals.findings(),
        "scan finished; reports written"
    );
    Ok(true)
}

/// Folds the unit summaries into per-bucket and total counters.
pub fn summarize(plan: &Plan, units: &[UnitSummary]) -> ScanSummary {
    let mut totals = Counts::default();
    let buckets = plan
        .buckets
        .iter()
        .map(|b| {
            let mut counts = Counts::default();
            let mut issues: Vec<AccessIssue> = b.unreadable.iter().cloned().collect();
            for u in units.iter().filter(|u| b.units.contains(&u.unit.id)) {
                counts.merge(&u.counts);
                issues.extend(u.issue.iter().cloned());
            }
            totals.merge(&counts);
            BucketSummary {
                role_arn: b.role_arn.clone(),
                account_id: b.account_id.clone(),
                warnings: posture_warnings(&b.metadata),
                metadata: b.metadata.clone(),
                counts,
                issues,
            }
        })
        .collect();
    ScanSummary {
        scan_id: plan.scan_id.clone(),
        mode: plan.config.mode,
        started_at: plan.started_at.clone(),
        finished_at: now(),
        accounts: plan.accounts.clone(),
        buckets,
        totals,
    }
}
