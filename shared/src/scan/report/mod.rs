//! Scan reports: the model every task fills ([`model`]), posture warnings ([`posture`]),
//! and the renderers of `scans/<scan_id>/`: [`REPORT_JSON`] (everything),
//! [`FINDINGS_CSV`] (one row per finding), [`FINDINGS_OCSF`] (OCSF Data Security Finding
//! events) and [`REPORT_HTML`] (a self-contained page for people).
//!
//! Every renderer reads the assembled [`ScanReport`]; none of them sees a matched value,
//! only masked samples and keyed digests.

mod assemble;
mod assemble_index;
mod completeness;
pub mod findings_csv;
pub mod html;
mod html_units;
pub mod index;
pub mod model;
pub mod ocsf;
pub mod posture;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use assemble_index::{BucketShares, IndexLimits};
pub use completeness::Unread;
pub use index::{ReportDocument, ScanIndex, INDEX_FORMAT_VERSION};
pub use model::{
    BucketMetadata, BucketPart, BucketReport, BucketStatus, BucketTotals, Column, ColumnLabel,
    ConfigSummary, Container, DefaultEncryption, DeletedObject, Enumeration, FindingLocation,
    FindingRecord, MaskedSample, ObjectMetadata, ObjectResult, ObjectStatus, PostureWarning,
    PublicAccessBlock, ScanHeader, ScanIssue, ScanMode, ScanReport, Sensitivity, SizeSource,
    SkipReason, Totals, WarningCode, REPORT_FORMAT_VERSION,
};

/// Everything: the [`ScanReport`] as JSON.
pub const REPORT_JSON: &str = "report.json";
/// One row per finding.
pub const FINDINGS_CSV: &str = "findings.csv";
/// OCSF 1.3.0 Data Security Finding events, a JSON array.
pub const FINDINGS_OCSF: &str = "findings.ocsf.json";
/// The page for people.
pub const REPORT_HTML: &str = "report.html";

/// One of the report files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFile {
    /// [`REPORT_JSON`].
    Json,
    /// [`FINDINGS_CSV`].
    FindingsCsv,
    /// [`FINDINGS_OCSF`].
    FindingsOcsf,
    /// [`REPORT_HTML`].
    Html,
}

impl ReportFile {
    /// Every report file, in the order they are written.
    pub const ALL: [ReportFile; 4] = [
        ReportFile::Json,
        ReportFile::FindingsCsv,
        ReportFile::FindingsOcsf,
        ReportFile::Html,
    ];

    /// The file name under `scans/<scan_id>/`.
    pub fn name(self) -> &'static str {
        match self {
            ReportFile::Json => REPORT_JSON,
            ReportFile::FindingsCsv => FINDINGS_CSV,
            ReportFile::FindingsOcsf => FINDINGS_OCSF,
            ReportFile::Html => REPORT_HTML,
        }
    }

    /// The Content-Type to store it with.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFile::Json | ReportFile::FindingsOcsf => "application/json",
            ReportFile::FindingsCsv => "text/csv; charset=utf-8",
            ReportFile::Html => "text/html; charset=utf-8",
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The destination refused the bytes.
    #[error("writing the report failed: {0}")]
    Write(#[source] std::io::Error),
    /// A file in the output directory could not be created.
    #[error("writing {path}: {source} (check that the directory exists and is writable)")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// JSON serialization failed.
    #[error("serializing the report failed: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV writing failed.
    #[error("writing findings.csv failed: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes one report file to `w`.
pub fn write<W: Write>(report: &ScanReport, file: ReportFile, mut w: W) -> Result<(), ReportError> {
    match file {
        ReportFile::Json => {
            serde_json::to_writer_pretty(&mut w, report)?;
            w.write_all(b"\n").map_err(ReportError::Write)
        }
        ReportFile::FindingsCsv => findings_csv::write(report, w),
        ReportFile::FindingsOcsf => ocsf::write(report, w),
        ReportFile::Html => html::write(report, w),
    }
}

/// One report file as bytes (to upload with PutObject).
pub fn render(report: &ScanReport, file: ReportFile) -> Result<Vec<u8>, ReportError> {
    let mut buf = Vec::new();
    write(report, file, &mut buf)?;
    Ok(buf)
}

/// One report file of either `report.json` version as bytes. At version 3 `report.json`
/// is the index, and `findings.csv`, `findings.ocsf.json` and `report.html` render the
/// index's preview: its first findings (capped), the totals, and the unit files (every
/// finding is in the unit files `report.json` lists).
pub fn render_document(doc: &ReportDocument, file: ReportFile) -> Result<Vec<u8>, ReportError> {
    match doc {
        ReportDocument::Inline(r) => render(r, file),
        ReportDocument::Index(index) => {
            let mut buf = Vec::new();
            match file {
                ReportFile::Json => {
                    serde_json::to_writer_pretty(&mut buf, index)?;
                    buf.push(b'\n');
                }
                ReportFile::FindingsCsv => findings_csv::write(&index.preview(), &mut buf)?,
                ReportFile::FindingsOcsf => ocsf::write(&index.preview(), &mut buf)?,
                ReportFile::Html => buf = html::render_index(index).into_bytes(),
            }
            Ok(buf)
        }
    }
}

/// Writes every report file into `dir` (which must exist); returns their paths.
pub fn write_dir(report: &ScanReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut paths = Vec::new();
    for file in ReportFile::ALL {
        let path = dir.join(file.name());
        let f = std::fs::File::create(&path).map_err(|source| ReportError::File {
            path: path.clone(),
            source,
        })?;
        let mut w = std::io::BufWriter::new(f);
        write(report, file, &mut w)?;
        w.flush().map_err(|source| ReportError::File {
            path: path.clone(),
            source,
        })?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod index_tests;
