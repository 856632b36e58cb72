//! `s3connector classify`: classify local files, directories or one S3 object and print
//! the findings as a table or one JSON document.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use s3connector::classify::{
    builtin_detectors, Classifier, ClassifyConfig, Finding, ObjectReport, ObjectStatus,
};
use s3connector::object::{self, BombLimits};
use serde::Serialize;

/// One classified input: its report, or why it could not be read.
#[derive(Serialize)]
pub struct Outcome {
    path: String,
    #[serde(flatten)]
    report: Option<ObjectReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Lists the built-in detectors.
pub fn list_detectors(json: bool) -> ExitCode {
    let detectors = builtin_detectors();
    if json {
        println!("{}", serde_json::json!({ "detectors": detectors }));
    } else {
        println!("{:<32}  {:<12}  DESCRIPTION", "ID", "CATEGORY");
        for d in &detectors {
            println!(
                "{:<32}  {:<12}  {}",
                d.id,
                d.category.as_str(),
                d.description
            );
        }
    }
    ExitCode::SUCCESS
}

/// Builds the classifier from the environment and the `--detectors` list.
pub fn classifier(detectors: Vec<String>) -> Result<Arc<Classifier>, String> {
    let mut config = ClassifyConfig::from_env();
    if !detectors.is_empty() {
        config.detectors = Some(detectors);
    }
    Classifier::new(config)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Files under `path` (the path itself when it is a file), in name order.
pub fn local_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let kind = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Decompresses (gzip, zstd, by suffix and magic bytes) and classifies one stream.
pub fn classify_stream(
    classifier: &Classifier,
    name: &str,
    raw: Box<dyn Read + Send>,
    content_encoding: Option<&str>,
    content_type: Option<&str>,
) -> Result<ObjectReport, String> {
    let opened = object::open(
        raw,
        content_encoding,
        content_type,
        name,
        BombLimits::default(),
    )
    .map_err(|e| e.to_string())?;
    classifier
        .classify_reader(opened.reader)
        .map_err(|e| e.to_string())
}

/// Records one input's result, saying on stderr what was skipped or failed.
pub fn outcome(path: String, result: Result<ObjectReport, String>) -> Outcome {
    match result {
        Ok(report) => {
            if report.status == ObjectStatus::Skipped {
                let reason = report.reason.map_or("skipped".into(), |r| r.to_string());
                eprintln!("{path}: skipped: {reason}");
            }
            Outcome {
                path,
                report: Some(report),
                error: None,
            }
        }
        Err(e) => {
            eprintln!("{path}: error: {e}");
            Outcome {
                path,
                report: None,
                error: Some(e),
            }
        }
    }
}

impl Outcome {
    fn findings(&self) -> &[Finding] {
        self.report.as_ref().map_or(&[], |r| &r.findings)
    }
}

/// Prints the outcomes and returns the exit code: 1 when anything was found or an input
/// could not be read, 0 when everything read was clean.
pub fn finish(outcomes: &[Outcome], json: bool) -> ExitCode {
    let findings: usize = outcomes.iter().map(|o| o.findings().len()).sum();
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "objects": outcomes,
                "summary": { "objects": outcomes.len(), "findings": findings, "errors": failed },
            })
        );
    } else {
        println!(
            "{:<40}  {:<32}  {:<10}  {:>5}  {:<24}  SAMPLE",
            "FILE", "DETECTOR", "CONFIDENCE", "COUNT", "LOCATIONS"
        );
        for o in outcomes {
            for f in o.findings() {
                let locations: Vec<String> = f
                    .locations
                    .iter()
                    .take(3)
                    .map(|l| format!("{}:{}", l.line, l.column))
                    .collect();
                println!(
                    "{:<40}  {:<32}  {:<10}  {:>5}  {:<24}  {}",
                    o.path,
                    f.detector,
                    f.confidence.as_str(),
                    f.count,
                    locations.join(","),
                    f.samples.first().map_or("", |s| s.masked.as_str())
                );
            }
        }
        eprintln!(
            "{} object(s), {findings} finding(s), {failed} error(s)",
            outcomes.len()
        );
    }
    if findings > 0 || failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
