//! Writing a finished scan's reports under `scans/<scan_id>/`.

use super::context::ScanContext;
use super::report::ScanReport;
use super::ScanError;

/// Writes `report.json` (the whole report).
pub async fn write(ctx: &ScanContext, report: &ScanReport) -> Result<(), ScanError> {
    let body = serde_json::to_vec_pretty(report).expect("reports serialise");
    ctx.store
        .put(&super::finalize::report_key(&report.scan_id), body, None)
        .await
        .map_err(ScanError::Store)
}
