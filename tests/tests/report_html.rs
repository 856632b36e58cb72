//! `report.html` as a reader sees it: rendered by headless Chromium (Debian's `chromium`,
//! installed by `make chromium`, a dependency of `make test`), screenshotted, and checked
//! through the DOM after the page's script ran.
//!
//! The report is assembled from classifier output over planted values, as a scan's
//! finalize step does. No emulator is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use s3connector::classify::{Classifier, ClassifyConfig};
use s3connector::scan::report::index::{UnitFiles, UnitShare};
use s3connector::scan::report::{
    self, BucketMetadata, BucketPart, BucketReport, BucketShares, BucketStatus, ConfigSummary,
    IndexLimits, ObjectMetadata, ObjectResult, ReportDocument, ScanHeader, ScanIndex, ScanIssue,
    ScanReport, SkipReason,
};

/// Planted values: the page must show them masked only.
const CARD: &str = "4916338506082832";
const EMAIL: &str = "jonas.berg@fjordpost.no";
/// Binary to run (Debian installs `chromium`); `S3CONNECTOR_CHROMIUM` overrides it.
const CHROMIUM_ENV: &str = "S3CONNECTOR_CHROMIUM";

fn planted_report() -> ScanReport {
    let (plan, parts) = planted_plan_and_parts();
    ScanReport::assemble(
        ScanHeader {
            scan_id: "scan-html-test".into(),
            config: ConfigSummary::default(),
            started_at: "2026-11-29T02:00:00Z".into(),
            finished_at: Some("2026-11-29T02:01:00Z".into()),
        },
        plan,
        parts,
    )
}

/// The same scan as a version 3 report: the planted bucket's part as one unit and its
/// skipped object as another, the index assembled from their shares (first findings
/// capped at one).
fn planted_index() -> ScanIndex {
    let (mut plan, parts) = planted_plan_and_parts();
    plan[0].status = BucketStatus::Complete;
    let mut first = parts[0].clone();
    let skipped = first.objects.pop().expect("the skipped object is last");
    let second = BucketPart {
        objects: vec![skipped],
        objects_seen: 1,
        bytes_seen: 9_000,
        ..first.clone()
    };
    first.objects_seen -= 1;
    first.bytes_seen -= 9_000;
    let share = |unit: &str, p: &BucketPart| {
        let mut s = UnitShare {
            prefix: format!("{unit}/"),
            files: UnitFiles::of(unit),
            ..UnitShare::default()
        };
        s.add_part(p);
        (unit.to_string(), s)
    };
    let mut plan = plan.into_iter();
    ScanIndex::assemble(
        ScanHeader {
            scan_id: "scan-html-v3".into(),
            config: ConfigSummary::default(),
            started_at: "2026-11-29T02:00:00Z".into(),
            finished_at: Some("2026-11-29T02:01:00Z".into()),
        },
        IndexLimits {
            inline_objects_max: 2,
            first_findings_max: 1,
        },
        vec![
            BucketShares {
                bucket: plan.next().unwrap(),
                units: vec![
                    share("0a1b2c3d4e5f6071", &first),
                    share("8899aabbccddeeff", &second),
                ],
            },
            BucketShares {
                bucket: plan.next().unwrap(),
                units: Vec::new(),
            },
        ],
    )
}

fn planted_plan_and_parts() -> (Vec<BucketReport>, Vec<BucketPart>) {
    let classifier = Classifier::new(ClassifyConfig {
        hmac_key: Some("html-test".into()),
        ..ClassifyConfig::default()
    })
    .expect("detectors compile");
    let object = |key: &str, body: &str| {
        let meta = ObjectMetadata {
            key: key.into(),
            size: body.len() as u64,
            last_modified: Some("2026-11-29T01:00:00Z".into()),
            storage_class: Some("STANDARD".into()),
            ..ObjectMetadata::default()
        };
        ObjectResult::classified(
            meta,
            Some("text".into()),
            &classifier.classify_bytes(body.as_bytes()),
        )
    };
    let part = BucketPart {
        account_id: Some("444455556666".into()),
        bucket: "finance-dropbox".into(),
        sequence: 0,
        last: true,
        objects_seen: 4,
        bytes_seen: 10_000,
        objects: vec![
            object(
                "cards/visa.txt",
                &format!("card number {CARD} expires 12/29\n"),
            ),
            object(
                "contacts/<b>team</b>.csv",
                &format!("name,email\nJonas,{EMAIL}\n"),
            ),
            object("notes/clean.txt", "nothing sensitive\n"),
            ObjectResult::skipped(
                ObjectMetadata {
                    key: "backups/2020.tar".into(),
                    size: 9_000,
                    storage_class: Some("GLACIER".into()),
                    ..ObjectMetadata::default()
                },
                SkipReason::ArchivedStorageClass,
                Some("GLACIER objects are not restored".into()),
            ),
        ],
        ..BucketPart::default()
    };
    let plan = vec![
        BucketReport {
            account_id: Some("444455556666".into()),
            name: "finance-dropbox".into(),
            metadata: BucketMetadata {
                region: Some("eu-north-1".into()),
                policy_is_public: Some(true),
                ..BucketMetadata::default()
            },
            ..BucketReport::default()
        },
        BucketReport {
            account_id: Some("444455556666".into()),
            name: "sealed-archive".into(),
            status: BucketStatus::Failed,
            errors: vec![ScanIssue {
                operation: "ListObjectsV2".into(),
                code: Some("AccessDenied".into()),
                action: Some("s3:ListBucket".into()),
                message: "the scanning role may not list the bucket".into(),
                key: None,
            }],
            ..BucketReport::default()
        },
    ];
    (plan, vec![part])
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "s3c-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs headless Chromium with the isolating flags and `extra`, on `url`; returns stdout.
fn chromium(extra: &[String], url: &str) -> String {
    let bin = std::env::var(CHROMIUM_ENV).unwrap_or_else(|_| "chromium".into());
    let profile = TempDir::new("chromium-profile");
    let mut cmd = Command::new(&bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.0.display()))
    .args(extra)
    .arg(url);
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!(
            "headless Chromium is needed to check report.html and `{bin}` could not be run ({e}). \
             Install it with `make chromium` (Debian's `chromium` package, pinned in the \
             Makefile; `make test` does this), or set {CHROMIUM_ENV} to a Chromium binary."
        ),
    };
    assert!(
        out.status.success(),
        "{bin} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("DOM is UTF-8")
}

fn write_page(dir: &Path) -> PathBuf {
    let paths = report::write_dir(&planted_report(), dir).expect("reports written");
    paths
        .into_iter()
        .find(|p| p.ends_with(report::REPORT_HTML))
        .expect("report.html written")
}

/// Screenshots the page at `url` into `shot` (checked: a 1280-pixel-wide PNG that is not
/// blank), then returns its DOM after the script ran, checked to hold no planted value.
fn screenshot_and_dom(shot: &Path, url: &str) -> String {
    chromium(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800".into(),
        ],
        url,
    );
    let png = std::fs::read(shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 1280, "screenshot width");
    assert!(
        png.len() > 20_000,
        "screenshot is nearly blank: {} bytes",
        png.len()
    );
    let dom = chromium(
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
        url,
    );
    for v in [CARD, EMAIL] {
        assert!(!dom.contains(v), "the rendered page shows {v} unmasked");
    }
    dom
}

/// The text of the element with this id in the dumped DOM (tags stripped).
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in the DOM"));
    let open_end = start + dom[start..].find('>').expect("tag closes");
    let mut depth = 1;
    let mut out = String::new();
    let mut rest = &dom[open_end + 1..];
    while depth > 0 && !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let close = tag.find('>').expect("tag closes");
            let inner = &tag[..close];
            if inner.starts_with('/') {
                depth -= 1;
            } else if !inner.ends_with('/') && !inner.starts_with("br") {
                depth += 1;
            }
            rest = &tag[close + 1..];
        } else {
            let next = rest.find('<').unwrap_or(rest.len());
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out
}

#[test]
fn report_html_shows_totals_bucket_rows_and_masked_samples_in_chromium() {
    let dir = TempDir::new("report-html");
    let page = write_page(&dir.0);
    let url = format!("file://{}", page.display());

    let dom = screenshot_and_dom(&dir.0.join("report.png"), &url);
    // Totals as the summary cards show them.
    assert!(
        text_of(&dom, "total-findings").starts_with('2'),
        "{}",
        text_of(&dom, "total-findings")
    );
    assert!(text_of(&dom, "total-objects-seen").starts_with('4'));
    assert!(text_of(&dom, "total-objects-skipped").starts_with('1'));
    assert!(text_of(&dom, "total-buckets-failed").starts_with('1'));
    // A bucket row with its counts and the failed bucket's status.
    let buckets = text_of(&dom, "bucket-table");
    assert!(buckets.contains("finance-dropbox"), "{buckets}");
    assert!(buckets.contains("ARCHIVED_STORAGE_CLASS: 1"), "{buckets}");
    assert!(
        buckets.contains("sealed-archive") && buckets.contains("FAILED"),
        "{buckets}"
    );
    // Masked samples, and the hostile key shown as text, not markup.
    let findings = text_of(&dom, "findings-table");
    assert!(findings.contains("49************32"), "{findings}");
    assert!(findings.contains("jo*******************no"), "{findings}");
    assert!(
        findings.contains("contacts/&lt;b&gt;team&lt;/b&gt;.csv"),
        "{findings}"
    );
    // The script ran: headers became sortable and the filter counted the rows.
    assert!(
        dom.contains("class=\"sortable\""),
        "sorting script did not run"
    );
    assert_eq!(text_of(&dom, "findings-shown"), "2");
    // Posture and errors reach the reader.
    assert!(text_of(&dom, "posture").contains("policy_public"));
    assert!(text_of(&dom, "errors").contains("s3:ListBucket"));
}

#[test]
fn report_html_filter_from_the_address_hides_other_rows() {
    let dir = TempDir::new("report-html-filter");
    let page = write_page(&dir.0);
    let dom = chromium(
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
        &format!("file://{}#q=credit_card", page.display()),
    );
    assert_eq!(text_of(&dom, "findings-shown"), "1");
    // The opening tags of the findings rows (bucket rows carry no category).
    let tags: Vec<&str> = dom
        .split("<tr data-bucket=")
        .skip(1)
        .map(|r| &r[..r.find('>').unwrap()])
        .filter(|tag| tag.contains("data-category="))
        .collect();
    assert_eq!(tags.len(), 2, "{tags:?}");
    let shown: Vec<&&str> = tags.iter().filter(|t| !t.contains("hidden")).collect();
    assert_eq!(shown.len(), 1, "{tags:?}");
    assert!(shown[0].contains("data-category=\"financial\""), "{tags:?}");
}

#[test]
fn version_3_report_html_shows_totals_first_findings_and_unit_files_in_chromium() {
    let dir = TempDir::new("report-html-v3");
    let index = planted_index();
    let doc = ReportDocument::Index(index.clone());
    let page = dir.0.join(report::REPORT_HTML);
    std::fs::write(
        &page,
        report::render_document(&doc, report::ReportFile::Html).unwrap(),
    )
    .unwrap();
    let url = format!("file://{}", page.display());
    let dom = screenshot_and_dom(&dir.0.join("report-v3.png"), &url);
    // The scan's totals, though only the first finding is listed.
    assert!(text_of(&dom, "total-findings").starts_with('2'));
    assert!(text_of(&dom, "total-objects-seen").starts_with('4'));
    assert!(text_of(&dom, "total-objects-skipped").starts_with('1'));
    assert!(text_of(&dom, "total-buckets-failed").starts_with('1'));
    let buckets = text_of(&dom, "bucket-table");
    assert!(buckets.contains("finance-dropbox"), "{buckets}");
    assert!(buckets.contains("ARCHIVED_STORAGE_CLASS: 1"), "{buckets}");
    assert_eq!(text_of(&dom, "findings-shown"), "1");
    let findings = text_of(&dom, "findings-table");
    assert!(findings.contains("49************32"), "{findings}");
    assert!(text_of(&dom, "findings-first").contains("The first 1 of 2 findings"));
    // Where everything else is: one row per unit, with links to its files.
    let units = text_of(&dom, "units-table");
    assert!(
        units.contains("0a1b2c3d4e5f6071") && units.contains("8899aabbccddeeff"),
        "{units}"
    );
    assert!(units.contains("reports/0a1b2c3d4e5f6071.json"), "{units}");
    assert_eq!(
        dom.matches("class=\"unit-file\"").count(),
        6,
        "three files per unit"
    );
    assert!(dom.contains("href=\"reports/8899aabbccddeeff.findings.csv\""));
    assert!(text_of(&dom, "units-note").contains("more than the 2"));
    assert!(text_of(&dom, "errors").contains("s3:ListBucket"));
}
