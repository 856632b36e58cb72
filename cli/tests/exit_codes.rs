//! The exit-code contract of `classify` and `scan`, run as a user runs them: 0 clean and
//! complete, 1 findings, 2 bad usage or a scope that matches nothing, 3 incomplete. Errors
//! are one line with the AWS error code and the IAM action, never the SDK's debug dump.

use std::path::Path;
use std::process::{Command, Output};

use integration_tests::fake_aws::{denying_s3, FakeAws};
use integration_tests::scanning::{new_bucket, put};
use integration_tests::{unique_name, Emulator};

/// Runs the CLI against `endpoint` (when given) with dummy keys.
fn s3connector(endpoint: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3connector"));
    if let Some(url) = endpoint {
        cmd.args(["--endpoint-url", url, "--region", "us-east-1"]);
    }
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("the CLI runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique_name(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn classify_of_only_an_unreadable_file_exits_3_and_names_it() {
    let dir = temp_dir("cli-unreadable");
    let file = dir.join("broken.parquet");
    std::fs::write(&file, b"PAR1 this is no parquet footer").unwrap();
    let out = s3connector(None, &["classify", path(&file)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("incomplete: 1 input(s) could not be read"),
        "{err}"
    );
    assert!(err.contains("broken.parquet"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn classify_of_a_clean_directory_exits_0_and_a_broken_link_in_it_exits_3() {
    let dir = temp_dir("cli-clean");
    std::fs::write(dir.join("notes.txt"), b"nothing to see here\n").unwrap();
    let out = s3connector(None, &["classify", path(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::os::unix::fs::symlink(dir.join("gone.txt"), dir.join("link.txt")).unwrap();
    let out = s3connector(None, &["classify", path(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("link.txt"),
        "a broken link is not left out silently: {err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn classify_with_a_zero_row_or_byte_limit_is_a_usage_error() {
    let dir = temp_dir("cli-zero-limit");
    std::fs::write(dir.join("a.csv"), "email\njane@example.org\n").unwrap();
    for flag in ["--max-rows", "--max-bytes"] {
        let out = s3connector(None, &["classify", flag, "0", path(&dir)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(flag) && err.contains("0"), "{flag}: {err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn classify_of_an_empty_directory_is_a_usage_error() {
    let dir = temp_dir("cli-empty");
    let out = s3connector(None, &["classify", path(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no file there to classify"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn scan_with_an_unlistable_bucket_exits_3_with_one_line_code_and_action() {
    let fake = FakeAws::start(denying_s3);
    let out_dir = temp_dir("cli-scan-denied");
    let out = s3connector(Some(&fake.url), &["scan", "--out", path(&out_dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("locked-data: not scanned:"))
        .unwrap_or_else(|| panic!("no line for the denied bucket: {err}"));
    assert!(line.contains("grant s3:ListBucket"), "{line}");
    assert!(
        line.contains("error code AccessDenied, IAM action s3:ListBucket"),
        "{line}"
    );
    assert!(
        err.contains("incomplete: 1 bucket(s) not listed: locked-data"),
        "{err}"
    );
    for dump in ["ErrorMetadata", "Error {", "request_id"] {
        assert!(
            !err.contains(dump),
            "SDK debug output {dump:?} printed: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(out_dir);
}

#[test]
fn scan_of_a_bucket_pattern_that_matches_nothing_warns_and_exits_2() {
    let fake = FakeAws::start(denying_s3);
    let out_dir = temp_dir("cli-scan-nomatch");
    let out = s3connector(
        Some(&fake.url),
        &["scan", "--bucket", "no-such-*", "--out", path(&out_dir)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bucket pattern \"no-such-*\" matches no bucket"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(out_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_of_a_named_bucket_that_does_not_exist_warns_and_exits_2() {
    // Named buckets are addressed without ListBuckets; a name S3 answers NoSuchBucket
    // for matches nothing, as a pattern would.
    let emu = Emulator::start();
    let out_dir = temp_dir("cli-scan-noname");
    let name = unique_name("cli-no-such");
    let out = s3connector(
        Some(&emu.endpoint),
        &["scan", "--bucket", name.as_str(), "--out", path(&out_dir)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("bucket pattern {name:?} matches no bucket")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(out_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_scan_with_no_change_exits_0_and_says_nothing_changed() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = new_bucket(&clients, "cli-incr").await;
    put(
        &clients,
        &bucket,
        "a.txt",
        b"plain text, nothing sensitive\n".to_vec(),
    )
    .await;
    put(&clients, &bucket, "b/c.txt", b"more plain text\n".to_vec()).await;
    let out_dir = temp_dir("cli-incr-out");
    let args = [
        "scan",
        "--incremental",
        "--bucket",
        bucket.as_str(),
        "--out",
        path(&out_dir),
    ];
    let first = s3connector(Some(&emu.endpoint), &args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(!stderr(&first).contains("nothing changed"));
    let second = s3connector(Some(&emu.endpoint), &args);
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert!(
        err.contains("nothing changed since the last completed scan: 2 object(s) unchanged"),
        "{err}"
    );
    // A mistyped prefix is a usage error, not a clean scan.
    let typo = s3connector(
        Some(&emu.endpoint),
        &[
            "scan",
            "--bucket",
            bucket.as_str(),
            "--prefix",
            "nothing-here/",
            "--out",
            path(&out_dir),
        ],
    );
    let err = stderr(&typo);
    assert_eq!(typo.status.code(), Some(2), "{err}");
    assert!(
        err.contains("matched the prefixes [\"nothing-here/\"]"),
        "{err}"
    );
    let matched = s3connector(
        Some(&emu.endpoint),
        &[
            "scan",
            "--bucket",
            bucket.as_str(),
            "--prefix",
            "b/",
            "--out",
            path(&out_dir),
        ],
    );
    assert_eq!(matched.status.code(), Some(0), "{}", stderr(&matched));
    let _ = std::fs::remove_dir_all(out_dir);
}

#[test]
fn classify_names_an_empty_or_unknown_detector_and_lists_the_ids() {
    let dir = temp_dir("cli-detectors");
    std::fs::write(dir.join("a.txt"), "nothing\n").unwrap();
    let out = s3connector(None, &["classify", "--detectors", "email,,ssn", path(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("\"email,,ssn\": entry 2 is empty"), "{err}");
    let out = s3connector(None, &["classify", "--detectors", "email,nope", path(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown detector \"nope\""), "{err}");
    assert!(
        err.contains("phone_number") && err.contains("us_ssn"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An S3 failure is one line saying what failed: a denial names the action and the
/// object's ARN; no credentials at all says so (and is configuration, exit 2), without
/// naming an IAM action or printing the SDK's warnings.
#[test]
fn classify_of_s3_says_in_one_line_what_failed() {
    let fake = FakeAws::start(denying_s3);
    let out = s3connector(
        Some(&fake.url),
        &["classify", "s3://locked-data/people.csv"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("access denied to s3:GetObject on arn:aws:s3:::locked-data/people.csv"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_s3connector"))
        .args(["--endpoint-url", &fake.url, "--region", "us-east-1"])
        .args(["classify", "s3://locked-data/people.csv"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the CLI runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(!err.contains("s3:GetObject"), "not an IAM problem: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    for dump in ["WARN", "ErrorMetadata", "Error {", "provider"] {
        assert!(!err.contains(dump), "SDK output {dump:?} printed: {err}");
    }
}

/// A truncated `.gz` is classified up to the cut: findings exit 1 and the object is
/// reported partial; with nothing found the run is incomplete (3).
#[test]
fn classify_of_a_truncated_gzip_reports_what_decompressed() {
    use std::io::Write;
    let dir = temp_dir("cli-truncated");
    let gz = |text: String| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        let whole = e.finish().unwrap();
        whole[..whole.len() / 2].to_vec()
    };
    let rows: String = (0..5000)
        .map(|i| format!("{i},user{i}@mail.example.org\n"))
        .collect();
    std::fs::write(dir.join("people.csv.gz"), gz(format!("id,email\n{rows}"))).unwrap();
    let out = s3connector(
        None,
        &["classify", "--json", path(&dir.join("people.csv.gz"))],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("partial: malformed (the gzip stream is truncated"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["objects"][0]["status"], "PARTIAL");
    assert_eq!(doc["objects"][0]["findings"][0]["detector"], "email");
    let clean: String = (0..5000)
        .map(|i| format!("{i},nothing here {i}\n"))
        .collect();
    std::fs::write(dir.join("clean.csv.gz"), gz(format!("id,note\n{clean}"))).unwrap();
    let out = s3connector(None, &["classify", path(&dir.join("clean.csv.gz"))]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_written_as_report_version_3_summarises_its_totals_and_exits_1_on_findings() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = new_bucket(&clients, "cli-v3").await;
    for i in 0..3 {
        put(
            &clients,
            &bucket,
            &format!("c{i}.txt"),
            format!("card 4539 1488 0343 6467 for order {i}\n").into_bytes(),
        )
        .await;
    }
    let out_dir = temp_dir("cli-v3-out");
    let config = out_dir.join("config.json");
    std::fs::write(
        &config,
        r#"{"reports": {"inline_objects_max": 1, "first_findings_max": 2}}"#,
    )
    .unwrap();
    let args = [
        "scan",
        "--config",
        path(&config),
        "--bucket",
        bucket.as_str(),
        "--out",
        path(&out_dir),
    ];
    let out = s3connector(Some(&emu.endpoint), &args);
    let (text, err) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "findings made: {err}");
    assert!(
        text.contains("3 finding(s) (a detector in an object"),
        "totals, not the 2 shown: {text}"
    );
    assert!(
        text.contains("from the first 2 of 3") && text.contains("reports/<unit id>.findings.csv"),
        "{text}"
    );
    assert!(!text.contains("4539 1488 0343 6467"), "{text}");
    // The report and one unit's files, in the --out folder.
    let scans = out_dir.join("scans");
    let scan = std::fs::read_dir(&scans)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("report.json").exists())
        .expect("a scan folder with report.json");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scan.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["format_version"], 3);
    let unit = &report["buckets"][0]["units"][0]["files"];
    for f in ["json", "findings_csv", "findings_ocsf"] {
        let rel = unit[f].as_str().unwrap();
        assert!(scan.join(rel).is_file(), "{rel}");
    }
    let json = s3connector(Some(&emu.endpoint), &[&args[..], &["--json"]].concat());
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["format_version"], 3);
    assert_eq!(doc["totals"]["findings"], 3);
    let _ = std::fs::remove_dir_all(out_dir);
}
