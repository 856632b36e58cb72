//! `s3connector scan`: plan and work a whole scan in this process (tasks in memory), with
//! progress per bucket on stderr, a summary table on stdout and the reports in `--out`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use s3connector::aws::Clients;
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::{Progress, ScanContext};
use s3connector::scan::finalize::report_key;
use s3connector::scan::plan::AccountPlan;
use s3connector::scan::report::{ReportDocument, ScanIndex, ScanReport};
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use s3connector::scan::{plan, work};
use serde_json::{json, Value};

/// The command's options.
pub struct ScanArgs {
    /// Scan config file (JSON).
    pub config: Option<PathBuf>,
    /// Buckets (names or globs) replacing the config's include list.
    pub buckets: Vec<String>,
    /// Prefixes replacing the config's include list.
    pub prefixes: Vec<String>,
    /// Incremental mode.
    pub incremental: bool,
    /// Report directory.
    pub out: PathBuf,
    /// Print the report's totals as JSON instead of a table.
    pub json: bool,
}

/// The config file with the flags applied over it; errors name the field.
pub fn effective_config(args: &ScanArgs) -> Result<ScanConfig, String> {
    let mut doc: Value = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a JSON document: {e}", path.display()))?
        }
        None => json!({}),
    };
    let mut overrides = json!({});
    if !args.buckets.is_empty() {
        overrides["buckets"] = json!({ "include": args.buckets });
    }
    if !args.prefixes.is_empty() {
        overrides["prefixes"] = json!({ "include": args.prefixes });
    }
    if args.incremental {
        overrides["mode"] = json!("incremental");
    }
    s3connector::scan::config::merge(&mut doc, overrides);
    ScanConfig::from_value(doc).map_err(|e| e.to_string())
}

/// Rows of the findings table printed; the rest are in `findings.csv`.
pub const TOP_FINDINGS: usize = 20;

/// Runs the scan. Exit codes ([`crate::exit`]): 1 when findings were made; else 3 when
/// something in scope could not be read (a bucket not listed or not finished, objects
/// denied or unreadable, an account not scanned, a task that failed); else 0. A scope
/// that matches no bucket at all, or prefixes that match no object in the buckets, is a
/// usage error (`Err`, exit 2).
pub async fn run(
    clients: Clients,
    args: ScanArgs,
    hmac_key: Option<String>,
) -> Result<ExitCode, String> {
    let config = effective_config(&args)?;
    let incremental = config.mode == s3connector::scan::config::ScanMode::Incremental;
    let prefixes = config.prefixes.include.clone();
    let store = Store::Local(args.out.clone());
    let queue = TaskQueue::memory();
    let mut ctx = ScanContext::new(
        clients,
        config.accounts.clone(),
        store.clone(),
        queue.clone(),
    );
    // Plan and work share this process: without a configured key, one drawn for the run
    // seals the allow-list and keys the digests.
    ctx.hmac_key = Some(hmac_key.unwrap_or_else(s3connector::scan::context::run_hmac_key));
    ctx.bomb = s3connector::object::bomb_limits(&|k: &str| {
        std::env::var(k).ok().filter(|v| !v.trim().is_empty())
    })
    .map_err(|e| e.to_string())?;
    let bars = Bars::new();
    let observer = bars.clone();
    ctx.progress = Some(Arc::new(move |p: &Progress| observer.update(p)));

    let plan = match plan::plan(&ctx, config).await {
        Ok(plan) => plan,
        Err(e) => return Ok(incomplete(&format!("the scan could not be planned: {e}"))),
    };
    for b in &plan.buckets {
        if let Some(issue) = &b.unreadable {
            eprintln!("{}: not scanned: {}", b.name, issue.line());
        }
    }
    let unscanned: Vec<&AccountPlan> = plan.accounts.iter().filter(|a| a.issue.is_some()).collect();
    for a in &unscanned {
        let issue = a.issue.as_ref().expect("filtered");
        eprintln!(
            "{}: not scanned: {}",
            a.role_arn.as_deref().unwrap_or("own credentials"),
            issue.line()
        );
    }
    for pattern in &plan.unmatched_bucket_patterns {
        eprintln!("warning: bucket pattern {pattern:?} matches no bucket the credentials can list (a plain name: no bucket of that name exists)");
    }
    if plan.buckets.is_empty() && unscanned.is_empty() {
        return Err(
            "no bucket matched the scope (check --bucket and the config's buckets.include)".into(),
        );
    }
    while let Some(task) = queue.pop() {
        if let Err(e) = work::run_task(&ctx, task, None).await {
            bars.finish();
            return Ok(incomplete(&format!("a scan task failed: {e}")));
        }
    }
    bars.finish();
    let doc = match store.get(&report_key(&plan.scan_id)).await {
        Ok(Some(bytes)) => match ReportDocument::from_slice(&bytes) {
            Ok(d) => d,
            Err(e) => return Ok(incomplete(&format!("the report could not be read: {e}"))),
        },
        Ok(None) => return Ok(incomplete("the scan finished without writing its report")),
        Err(e) => return Ok(incomplete(&format!("the report could not be read: {e}"))),
    };
    // Version 3 (unit report files): its preview holds the totals, the bucket rows and the
    // first findings, which is all the summary shows.
    let view = doc.view();
    let report: &ScanReport = &view;
    let folder = store.location(&format!("scans/{}/", report.scan_id));
    let unread = report.unread();
    if args.json {
        println!(
            "{}",
            json!({"scan_id": report.scan_id, "reports": folder, "totals": report.totals,
                   "format_version": report.format_version,
                   "unread": {"buckets_failed": unread.buckets_failed,
                              "buckets_partial": unread.buckets_partial,
                              "objects": unread.objects(),
                              "accounts": unscanned.len()}})
        );
    } else {
        print_summary(report, &folder, doc.index());
    }
    let mut gaps = unread.lines();
    if !unscanned.is_empty() {
        gaps.push(format!(
            "{} account(s) not scanned (see above)",
            unscanned.len()
        ));
    }
    for gap in &gaps {
        eprintln!("incomplete: {gap}");
    }
    if incremental && gaps.is_empty() && nothing_changed(report) {
        eprintln!(
            "nothing changed since the last completed scan: {} object(s) unchanged, none new, changed or deleted",
            report.totals.sums.objects_carried
        );
    }
    eprintln!("reports: {folder}");
    if !prefixes.is_empty() && gaps.is_empty() && report.totals.sums.objects_seen == 0 {
        // A prefix that matches nothing is a mistyped scope, not a clean result.
        return Err(format!(
            "no object in the scanned bucket(s) matched the prefixes {prefixes:?} (check --prefix and the config's prefixes.include)"
        ));
    }
    Ok(crate::exit::verdict(
        report.totals.sums.findings > 0,
        !gaps.is_empty(),
    ))
}

/// Says why the scan stopped and returns [`crate::exit::INCOMPLETE`].
fn incomplete(reason: &str) -> ExitCode {
    eprintln!("error: {reason}");
    ExitCode::from(crate::exit::INCOMPLETE)
}

/// An incremental scan that found every object unchanged: nothing classified, skipped
/// or deleted, and at least one object compared.
/// Every object seen is unchanged (its result carried forward, a carried skip included)
/// and none was deleted.
fn nothing_changed(report: &ScanReport) -> bool {
    let t = &report.totals.sums;
    t.objects_seen > 0
        && t.objects_classified == 0
        && t.objects_deleted == 0
        && t.objects_carried == t.objects_seen
}

fn print_summary(report: &ScanReport, folder: &str, index: Option<&ScanIndex>) {
    println!(
        "{:<40}  {:<8}  {:>8}  {:>10}  {:>8}  {:>8}  {:>8}  {:>11}  {:<11}  SKIPPED BY REASON",
        "BUCKET",
        "STATUS",
        "OBJECTS",
        "CLASSIFIED",
        "CARRIED",
        "SKIPPED",
        "FINDINGS",
        "OCCURRENCES",
        "SENSITIVITY"
    );
    for b in &report.buckets {
        let t = &b.totals;
        let reasons: Vec<String> = t
            .skipped_by_reason
            .iter()
            .map(|(r, n)| format!("{r}={n}"))
            .collect();
        println!(
            "{:<40}  {:<8}  {:>8}  {:>10}  {:>8}  {:>8}  {:>8}  {:>11}  {:<11}  {}",
            b.name,
            b.status.as_str(),
            t.objects_seen,
            t.objects_classified,
            t.objects_carried,
            t.objects_skipped,
            t.findings,
            t.occurrences,
            t.sensitivity.as_str(),
            reasons.join(" ")
        );
    }
    let mut top: Vec<(&str, &str, &str, u64, String, &str)> = Vec::new();
    for b in &report.buckets {
        for o in &b.objects {
            for f in &o.findings {
                top.push((
                    &b.name,
                    &o.metadata.key,
                    &f.detector,
                    f.count,
                    f.locations
                        .first()
                        .map(|l| l.describe())
                        .unwrap_or_default(),
                    f.samples.first().map_or("", |s| s.masked.as_str()),
                ));
            }
        }
    }
    top.sort_by_key(|f| std::cmp::Reverse(f.3));
    if !top.is_empty() {
        println!();
        println!(
            "{:<30}  {:<40}  {:<28}  {:>11}  {:<24}  SAMPLE",
            "BUCKET", "KEY", "DETECTOR", "OCCURRENCES", "FIRST LOCATION"
        );
        for (bucket, key, detector, count, location, sample) in top.iter().take(TOP_FINDINGS) {
            println!(
                "{bucket:<30}  {key:<40}  {detector:<28}  {count:>11}  {location:<24}  {sample}"
            );
        }
        match index {
            None => {
                if let Some(more) = truncated_note(top.len(), folder) {
                    println!("{more}");
                }
            }
            Some(i) => println!("{}", index_note(i, top.len(), folder)),
        }
    }
    let t = &report.totals;
    println!();
    println!("{}", summary_line(t));
}

/// The scan's totals in one line: objects, then findings (one detector in one object:
/// the rows of the findings table and of findings.csv) and the occurrences they hold.
fn summary_line(t: &s3connector::scan::report::Totals) -> String {
    let carried = if t.sums.objects_carried > 0 {
        // Carried objects are among the not selected (unchanged and read before) and the
        // skipped (unchanged and still not readable): a clause of their own.
        format!(
            "; {} unchanged since the last scan, their results carried forward",
            t.sums.objects_carried
        )
    } else {
        String::new()
    };
    // Objects cut at a sampling limit (read now or carried forward): their findings cover
    // only what was read.
    let partial = if t.sums.objects_partial > 0 {
        format!(" ({} read in part only)", t.sums.objects_partial)
    } else {
        String::new()
    };
    let excluded = if t.sums.objects_excluded_by_type > 0 {
        let kinds: Vec<String> = t
            .sums
            .excluded_by_type
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        format!(
            " ({} more excluded by file type, not read: {})",
            t.sums.objects_excluded_by_type,
            kinds.join(" ")
        )
    } else {
        String::new()
    };
    format!(
        "{} bucket(s), {} object(s) seen{excluded}, {} classified{partial}, {} skipped, {} not selected, {} deleted{carried}; {} finding(s) (a detector in an object, one row each in findings.csv) holding {} occurrence(s)",
        t.buckets,
        t.sums.objects_seen,
        t.sums.objects_classified,
        t.sums.objects_skipped,
        t.sums.objects_not_selected,
        t.sums.objects_deleted,
        t.sums.findings,
        t.sums.occurrences
    )
}

/// The line under a findings table cut at [`TOP_FINDINGS`] rows: how many rows are not
/// shown and where the full list is (`None` when nothing was cut).
fn truncated_note(rows: usize, folder: &str) -> Option<String> {
    (rows > TOP_FINDINGS).then(|| {
        format!(
            "... {} more finding(s) not shown (the {TOP_FINDINGS} with the most occurrences are above); all {rows} finding(s) are in {folder}findings.csv and {folder}report.html",
            rows - TOP_FINDINGS
        )
    })
}

/// The line under the findings table of a version 3 report: the table ranks the index's
/// first findings only; every finding is in the unit files.
fn index_note(index: &ScanIndex, shown: usize, folder: &str) -> String {
    let units: usize = index.buckets.iter().map(|b| b.units.len()).sum();
    format!(
        "... the {} finding(s) above are ranked from the first {shown} of {} (report.json holds at most {}); every finding is in the {units} unit file(s) {folder}reports/<unit id>.findings.csv, listed in report.json and report.html",
        shown.min(TOP_FINDINGS),
        index.totals.sums.findings,
        index.first_findings_max
    )
}

/// One progress line per bucket: objects and bytes classified.
#[derive(Clone)]
struct Bars {
    multi: MultiProgress,
    by_bucket: Arc<Mutex<HashMap<String, BucketBar>>>,
}

/// A bucket's progress line, its objects handled and bytes classified.
type BucketBar = (ProgressBar, u64, u64);

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::new(),
            by_bucket: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn update(&self, p: &Progress) {
        let mut map = self.by_bucket.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = match p {
            Progress::Slice { bucket, .. }
            | Progress::Object { bucket, .. }
            | Progress::UnitDone { bucket } => bucket,
        };
        let entry = map.entry(bucket.clone()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<40} {msg}")
                    .expect("template is valid"),
            );
            bar.set_prefix(bucket.clone());
            (bar, 0, 0)
        });
        if let Progress::Object { bytes, .. } = p {
            entry.1 += 1;
            entry.2 += bytes;
        }
        entry.0.set_message(format!(
            "{} objects, {} classified",
            entry.1,
            indicatif::HumanBytes(entry.2)
        ));
        entry.0.tick();
    }

    fn finish(&self) {
        for (bar, _, _) in self
            .by_bucket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_findings_table_says_how_many_rows_and_where_the_rest_are() {
        assert_eq!(truncated_note(TOP_FINDINGS, "out/scans/s/"), None);
        let note = truncated_note(TOP_FINDINGS + 7, "out/scans/s/").unwrap();
        assert!(note.contains("7 more finding(s)"), "{note}");
        assert!(
            note.contains(&format!("all {} finding(s)", TOP_FINDINGS + 7)),
            "{note}"
        );
        assert!(note.contains("out/scans/s/findings.csv"), "{note}");
    }

    #[test]
    fn the_summary_counts_findings_as_rows_and_their_matches_as_occurrences() {
        use s3connector::scan::report::{BucketTotals, Totals};
        let t = Totals {
            buckets: 1,
            sums: BucketTotals {
                objects_seen: 5,
                objects_classified: 2,
                objects_not_selected: 3,
                objects_carried: 3,
                findings: 32,
                occurrences: 233,
                ..BucketTotals::default()
            },
            ..Totals::default()
        };
        let line = summary_line(&t);
        assert!(line.contains("32 finding(s)"), "{line}");
        assert!(line.contains("233 occurrence(s)"), "{line}");
        assert!(
            line.contains("; 3 unchanged since the last scan, their results carried forward;"),
            "{line}"
        );
        // The table's rows and the note under it count the same thing.
        let note = truncated_note(32, "out/").unwrap();
        assert!(note.contains("all 32 finding(s)"), "{note}");
    }
}
