//! `s3connector parse --out` writes the objects the S3 sink would write for the input,
//! chunk cuts included.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A VPC Flow Logs file (default v2 format) of `records` flows.
fn flows(records: usize) -> String {
    let mut s = String::from("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n");
    for i in 0..records {
        s.push_str(&format!(
            "2 123456789012 eni-0a1b2c3d 10.0.0.{} 10.0.1.9 443 5000{} 6 10 840 1795428000 1795428060 ACCEPT OK\n",
            i % 250,
            i % 10
        ));
    }
    s
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse(input: &Path, format: &str, out: &Path, chunk_records: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_s3connector"))
        .arg("parse")
        .arg(input)
        .args(["--type", "vpcflow", "--format", format, "--out"])
        .arg(out)
        .env("S3CONNECTOR_CHUNK_RECORDS", chunk_records)
        .output()
        .expect("the CLI runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn parse_out_cuts_chunks_by_s3connector_chunk_records_as_the_s3_sink_does() {
    let dir = TempDir(std::env::temp_dir().join(format!("s3c-parse-out-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let input = dir.0.join("flows.log");
    std::fs::write(&input, flows(250)).unwrap();
    // Ingest trial 2, defect 9: `-<n>` goes before the whole extension (`.json.gz`), so a
    // glob of the first file's extension matches every chunk.
    for (format, ext) in [("parquet", "parquet"), ("ndjson", "json.gz")] {
        let out = dir.0.join(format!("{format}.{ext}"));
        let stderr = parse(&input, format, &out, "100");
        // One file per chunk of 100 records, named by the chunk's first record index.
        for (n, first, records) in [(0, 0, 100), (1, 100, 100), (2, 200, 50)] {
            let file = if n == 0 {
                out.clone()
            } else {
                dir.0.join(format!("{format}-{n}.{ext}"))
            };
            assert!(file.exists(), "{}: {stderr}", file.display());
            let line = stderr
                .lines()
                .find(|l| l.contains(&format!("to {}", file.display())))
                .unwrap_or_else(|| panic!("{stderr}"));
            assert!(line.contains(&format!(": {records} records to")), "{line}");
            assert!(line.contains(&format!("-{first:010}.")), "{line}");
        }
        assert!(
            !dir.0.join(format!("{format}-3.{ext}")).exists(),
            "{stderr}"
        );
    }
    // The default (20000 records) keeps them in one chunk.
    let out = dir.0.join("default.parquet");
    let stderr = parse(&input, "parquet", &out, "20000");
    assert!(stderr.contains(": 250 records to"), "{stderr}");
}

#[test]
fn parse_of_a_rejected_input_exits_1_not_as_a_usage_error() {
    let dir = TempDir(std::env::temp_dir().join(format!("s3c-parse-bad-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    // A gzip header followed by bytes that are no deflate stream.
    let input = dir.0.join("flows.log.gz");
    std::fs::write(&input, b"\x1f\x8b\x08\x00not a deflate stream").unwrap();
    for format in ["parquet", "ndjson"] {
        let output = Command::new(env!("CARGO_BIN_EXE_s3connector"))
            .arg("parse")
            .arg(&input)
            .args(["--type", "vpcflow", "--format", format, "--out"])
            .arg(dir.0.join(format!("out.{format}")))
            .output()
            .expect("the CLI runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{format}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(line.contains("flows.log.gz: rejected: "), "{line}");
        assert!(!dir.0.join(format!("out.{format}")).exists(), "{stderr}");
    }
    // Bad usage stays 2.
    let output = Command::new(env!("CARGO_BIN_EXE_s3connector"))
        .arg("parse")
        .arg(&input)
        .args(["--format", "parquet"])
        .output()
        .expect("the CLI runs");
    assert_eq!(output.status.code(), Some(2));
}

/// Ingest trial 2, defect 7: `parse` applies S3CONNECTOR_LOG_TYPE_OVERRIDES as the ingest
/// function does (a local file's bucket is `local`); `--type` still wins.
#[test]
fn parse_applies_log_type_overrides_as_the_ingest_function_does() {
    let dir = TempDir(std::env::temp_dir().join(format!("s3c-parse-ovr-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let input = dir.0.join("flows.log");
    std::fs::write(&input, flows(3)).unwrap();
    let run = |overrides: &str, forced: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3connector"));
        cmd.arg("parse").arg(&input);
        if let Some(t) = forced {
            cmd.args(["--type", t]);
        }
        let output = cmd
            .env("S3CONNECTOR_LOG_TYPE_OVERRIDES", overrides)
            .output()
            .expect("the CLI runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    };
    assert!(run("", None).contains(": type vpcflow,"));
    assert!(run("local=text", None).contains(": type text,"));
    let prefix = format!("local/{}=text", dir.0.display());
    assert!(run(&prefix, None).contains(": type text,"));
    assert!(run("other-bucket=text", None).contains(": type vpcflow,"));
    assert!(run("local=text", Some("vpcflow")).contains(": type vpcflow,"));
}
