//! `s3connector classify`: classify local files, directories, S3 objects or every object
//! under an S3 prefix, and print the findings and labelled columns as a table or one JSON
//! document.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use aws_sdk_s3::Client;
use s3connector::classify::s3::classify_s3_object;
use s3connector::classify::{
    builtin_detectors, Classifier, ClassifyConfig, Finding, ObjectReport, ObjectStatus,
    SampleLimits, SkipReason,
};
use serde::Serialize;

/// Largest random-access object (Parquet, xlsx, docx) spooled to a temporary file.
pub const MAX_SPOOL_BYTES: u64 = 4 * 1024 * 1024 * 1024;

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

/// Builds the classifier from the environment, the `--detectors` list and the column
/// rule's thresholds.
pub fn classifier(
    detectors: Vec<String>,
    max_locations: usize,
    min_distinct: u64,
    min_share: f64,
) -> Result<Arc<Classifier>, String> {
    let mut config = ClassifyConfig::from_env();
    // The decompression limits ingest reads (S3CONNECTOR_MAX_COMPRESSION_RATIO...), which
    // a stopped bomb's error names.
    config.bomb = s3connector::object::bomb_limits(&|k: &str| {
        std::env::var(k).ok().filter(|v| !v.trim().is_empty())
    })
    .map_err(|e| e.to_string())?;
    if let Some(i) = detectors.iter().position(|d| d.trim().is_empty()) {
        return Err(format!(
            "--detectors {:?}: entry {} is empty (two commas in a row, or a comma at an end); \
             give detector ids separated by single commas (see --list-detectors)",
            detectors.join(","),
            i + 1
        ));
    }
    if !detectors.is_empty() {
        config.detectors = Some(detectors);
    }
    if !(0.0..=1.0).contains(&min_share) {
        return Err(format!(
            "--column-min-share: {min_share} is not a share between 0 and 1"
        ));
    }
    config.max_locations = max_locations;
    config.column_min_distinct = min_distinct;
    config.column_min_share = min_share;
    Classifier::new(config)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Files under `path` (the path itself when it is a file), in name order, following
/// symbolic links (each directory once); and an error outcome for each entry that cannot
/// be read as a file (a broken link, a socket, a directory that cannot be listed), so
/// nothing in scope is left out silently. `Err` when `path` itself does not exist.
pub fn local_files(path: &Path) -> Result<(Vec<PathBuf>, Vec<Outcome>), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    let mut visited = std::collections::HashSet::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        // A link back up the tree would otherwise be walked for ever.
        if !visited.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                unreadable.push(outcome(dir.display().to_string(), Err(e.to_string())));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    unreadable.push(outcome(dir.display().to_string(), Err(e.to_string())));
                    continue;
                }
            };
            let path = entry.path();
            // metadata() follows links: a link to a file is that file.
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => pending.push(path),
                Ok(m) if m.is_file() => files.push(path),
                Ok(_) => unreadable.push(outcome(
                    path.display().to_string(),
                    Err("not a regular file (socket, device or pipe)".into()),
                )),
                Err(e) => unreadable.push(outcome(path.display().to_string(), Err(e.to_string()))),
            }
        }
    }
    files.sort();
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, unreadable))
}

/// Decompresses (gzip, zstd, by metadata, suffix and magic bytes), detects the format
/// and classifies one object; random-access formats are spooled to the temp directory.
pub fn classify_stream(
    classifier: &Classifier,
    name: &str,
    raw: Box<dyn Read + Send>,
    content_encoding: Option<&str>,
    content_type: Option<&str>,
    limits: &SampleLimits,
) -> Result<ObjectReport, String> {
    classifier
        .classify_object(
            raw,
            name,
            content_encoding,
            content_type,
            limits,
            classifier.bomb_limits(),
            &std::env::temp_dir(),
            MAX_SPOOL_BYTES,
        )
        .map_err(|e| e.to_string())
}

/// Classifies local files one after another.
pub fn classify_files(
    classifier: &Classifier,
    files: Vec<PathBuf>,
    limits: &SampleLimits,
) -> Vec<Outcome> {
    files
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let result = std::fs::File::open(&path)
                .map_err(|e| e.to_string())
                .and_then(|f| classify_stream(classifier, &name, Box::new(f), None, None, limits));
            outcome(name, result)
        })
        .collect()
}

/// Downloads and classifies S3 objects one after another (each body streamed, bridged to
/// a blocking reader off the runtime).
pub async fn classify_s3(
    s3: &Client,
    classifier: &Arc<Classifier>,
    bucket: &str,
    keys: Vec<String>,
    limits: SampleLimits,
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(keys.len());
    for key in keys {
        let result = classify_s3_object(
            s3,
            classifier,
            bucket,
            &key,
            limits,
            &std::env::temp_dir(),
            MAX_SPOOL_BYTES,
        )
        .await
        .map_err(|e| e.to_string());
        outcomes.push(outcome(format!("s3://{bucket}/{key}"), result));
    }
    outcomes
}

/// Records one input's result, saying on stderr what was skipped or failed.
pub fn outcome(path: String, result: Result<ObjectReport, String>) -> Outcome {
    match result {
        Ok(report) => {
            let detail = report
                .detail
                .as_deref()
                .map_or(String::new(), |d| format!(" ({d})"));
            match report.status {
                ObjectStatus::Skipped => {
                    let reason = report.reason.map_or("skipped".into(), |r| r.to_string());
                    eprintln!("{path}: skipped: {reason}{detail}");
                }
                ObjectStatus::Partial if report.reason == Some(SkipReason::Malformed) => {
                    eprintln!("{path}: partial: malformed{detail}")
                }
                ObjectStatus::Partial => {
                    eprintln!("{path}: partial: read up to a sampling limit{detail}")
                }
                ObjectStatus::Complete => {}
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

    /// Whether the input could not be read: an error, or content malformed for its format.
    fn is_unread(&self) -> bool {
        self.error.is_some() || self.report.as_ref().is_some_and(ObjectReport::is_unread)
    }
}

/// The `--json` document (every field in docs/classify-json.md).
/// The `--json` document: every outcome, then the counts.
#[derive(Serialize)]
struct Document<'a> {
    objects: &'a [Outcome],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    objects: usize,
    findings: usize,
    errors: usize,
    unread: usize,
}

fn document(outcomes: &[Outcome]) -> Document<'_> {
    Document {
        objects: outcomes,
        summary: Summary {
            objects: outcomes.len(),
            findings: outcomes.iter().map(|o| o.findings().len()).sum(),
            errors: outcomes.iter().filter(|o| o.error.is_some()).count(),
            unread: outcomes.iter().filter(|o| o.is_unread()).count(),
        },
    }
}

/// Writes the `--json` document and a newline to stdout. It is serialized straight into
/// a buffer: a report with millions of locations built as a `serde_json::Value` first
/// cost more than reading a file.
fn print_json_document(outcomes: &[Outcome]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    serde_json::to_writer(&mut out, &document(outcomes))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Prints the outcomes and returns the exit code ([`crate::exit`]): 1 when anything was
/// found, else 3 when an input could not be read, else 0.
pub fn finish(outcomes: &[Outcome], json: bool) -> ExitCode {
    let findings: usize = outcomes.iter().map(|o| o.findings().len()).sum();
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    let unread = outcomes.iter().filter(|o| o.is_unread()).count();
    if json {
        // A closed stdout (`| head`) is not the classification's failure: the exit code
        // still says what was found.
        if let Err(e) = print_json_document(outcomes) {
            eprintln!("error: writing the JSON document: {e}");
        }
    } else {
        println!(
            "{:<40}  {:<32}  {:<10}  {:>5}  {:<24}  SAMPLE",
            "FILE", "DETECTOR", "CONFIDENCE", "COUNT", "LOCATIONS"
        );
        for o in outcomes {
            for f in o.findings() {
                let locations: Vec<String> =
                    f.locations.iter().take(3).map(|l| l.short()).collect();
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
        let labelled: Vec<_> = outcomes
            .iter()
            .filter_map(|o| o.report.as_ref().map(|r| (o, r)))
            .flat_map(|(o, r)| r.columns.iter().map(move |c| (o, c)))
            .collect();
        if !labelled.is_empty() {
            println!();
            println!(
                "{:<40}  {:<32}  {:<32}  {:>7}  DISTINCT",
                "FILE", "COLUMN", "DETECTOR", "MATCHED"
            );
            for (o, c) in labelled {
                println!(
                    "{:<40}  {:<32}  {:<32}  {:>7}  {}",
                    o.path,
                    c.column,
                    c.detector,
                    format!("{}/{}", c.matched, c.sampled),
                    if c.distinct_capped {
                        format!("{}+", c.distinct)
                    } else {
                        c.distinct.to_string()
                    }
                );
            }
        }
        eprintln!(
            "{} object(s), {findings} finding(s), {failed} error(s)",
            outcomes.len()
        );
    }
    if unread > 0 {
        let names: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.is_unread())
            .map(|o| o.path.as_str())
            .take(5)
            .collect();
        let more = unread.saturating_sub(names.len());
        eprintln!(
            "incomplete: {unread} input(s) could not be read: {}{}",
            names.join(", "),
            if more > 0 {
                format!(" and {more} more (see the lines above)")
            } else {
                String::new()
            }
        );
    }
    crate::exit::verdict(findings > 0, unread > 0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use s3connector::classify::{
        Category, ColumnLabel, Confidence, Location, ObjectStatus, Sample,
    };

    use super::*;

    /// Field paths (`objects[].findings[].count`) of every object key in `value`.
    fn paths(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if v.is_object() || v.is_array() {
                        paths(v, &path, out);
                    }
                    out.insert(path);
                }
            }
            serde_json::Value::Array(items) => {
                for v in items {
                    paths(v, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    /// Field paths documented in docs/classify-json.md: each `## \`section\`` table's
    /// first-column names, under that section.
    fn documented() -> BTreeSet<String> {
        let doc = include_str!("../../docs/classify-json.md");
        let mut out = BTreeSet::new();
        let mut section = String::new();
        for line in doc.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                section = h.trim_matches('`').to_string();
                out.insert(section.trim_end_matches("[]").to_string());
            } else if let Some(rest) = line.strip_prefix("| `") {
                let name = rest.split('`').next().unwrap_or_default();
                out.insert(format!("{section}.{name}"));
            }
        }
        out
    }

    #[test]
    fn json_fields_are_the_documented_ones() {
        let location = Location {
            line: 3,
            column: 1,
            offset: 40,
            length: 16,
            row: Some(2),
            column_name: Some("card".into()),
            json_path: Some("$.card".into()),
            sheet: Some("People".into()),
            cell: Some("B3".into()),
            part: Some("part 2 (people.csv)".into()),
        };
        let report = ObjectReport {
            status: ObjectStatus::Partial,
            reason: Some(SkipReason::Malformed),
            detail: Some("the gzip stream is truncated".into()),
            encoding: Some("UTF-16LE"),
            format: "csv",
            bytes: 100,
            rows: Some(2),
            findings: vec![Finding {
                detector: "credit_card".into(),
                category: Category::Financial,
                confidence: Confidence::High,
                count: 1,
                locations: vec![location],
                samples: vec![Sample {
                    masked: "45************86".into(),
                    hmac: "00".into(),
                }],
            }],
            columns: vec![ColumnLabel {
                column: "card".into(),
                detector: "credit_card".into(),
                category: Category::Financial,
                sampled: 8,
                matched: 8,
                distinct: 8,
                distinct_capped: false,
            }],
        };
        let outcomes = [
            outcome("a.csv.gz".into(), Ok(report)),
            outcome("b.csv".into(), Err("cannot open".into())),
        ];
        let mut written = BTreeSet::new();
        let document = serde_json::to_value(document(&outcomes)).unwrap();
        paths(&document, "", &mut written);
        assert_eq!(written, documented());
    }
}
