//! Writing a finished scan's reports under `scans/<scan_id>/`: `report.json`,
//! `findings.csv`, `findings.ocsf.json` and `report.html` (see [`super::report`]), of
//! either `report.json` version.

use super::context::ScanContext;
use super::report::{self, ReportDocument, ReportFile};
use super::ScanError;

/// Key of one report file of `scan_id`.
pub fn report_file_key(scan_id: &str, file: ReportFile) -> String {
    format!("scans/{scan_id}/{}", file.name())
}

/// Renders and stores every report file; `report.json` first, `report.html` last.
pub async fn write(ctx: &ScanContext, doc: &ReportDocument) -> Result<(), ScanError> {
    let scan_id = match doc {
        ReportDocument::Inline(r) => &r.scan_id,
        ReportDocument::Index(i) => &i.scan_id,
    };
    for file in ReportFile::ALL {
        let body = report::render_document(doc, file).map_err(ScanError::Report)?;
        ctx.store
            .put(&report_file_key(scan_id, file), body, None)
            .await
            .map_err(ScanError::Store)?;
    }
    Ok(())
}
