//! Writing a finished scan's reports under `scans/<scan_id>/`: `report.json`,
//! `findings.csv`, `findings.ocsf.json` and `report.html` (see [`super::report`]).

use super::context::ScanContext;
use super::report::{self, ReportFile, ScanReport};
use super::ScanError;

/// Key of one report file of `scan_id`.
pub fn report_file_key(scan_id: &str, file: ReportFile) -> String {
    format!("scans/{scan_id}/{}", file.name())
}

/// Renders and stores every report file; `report.json` first, `report.html` last.
pub async fn write(ctx: &ScanContext, report: &ScanReport) -> Result<(), ScanError> {
    for file in ReportFile::ALL {
        let body = report::render(report, file).map_err(ScanError::Report)?;
        ctx.store
            .put(&report_file_key(&report.scan_id, file), body, None)
            .await
            .map_err(ScanError::Store)?;
    }
    Ok(())
}
