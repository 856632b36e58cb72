//! An independent reader checks the OCSF Parquet output: DuckDB (the project venv's
//! `duckdb`, pinned in requirements-dev.txt) reads the files the S3 sink writes and runs
//! the SQL a Security Lake user would run; every row must equal the NDJSON event of the
//! same record, field for field, and be valid OCSF.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::ocsf::assert_valid_ocsf;
use s3connector::logs::LogType;
use s3connector::normalize::SourceObject;
use s3connector::pipeline::{self, PipelineOptions};
use s3connector::sink::layout::OutputFormat;
use s3connector::sink::s3::{ChunkWriter, OutputCompression};
use s3connector::sink::{BatchSource, Events, Record};
use serde_json::Value;

/// The venv's Python (`S3CONNECTOR_TEST_PYTHON` overrides it).
fn python() -> PathBuf {
    std::env::var_os("S3CONNECTOR_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// VPC Flow Logs (default format), out of time order, five source addresses.
fn vpc_input() -> String {
    let mut text = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    for i in 0..45u64 {
        let start = 1_418_530_010 + (i * 37) % 45 * 60;
        text.push_str(&format!(
            "2 123456789010 eni-1235b8ca123456789 10.0.0.{} 172.31.16.21 {} 22 6 20 {} {start} {} {} OK\n",
            i % 5,
            20_000 + i,
            4_000 + i,
            start + 60,
            if i % 7 == 0 { "REJECT" } else { "ACCEPT" }
        ));
    }
    text
}

/// CloudTrail records (the documented shape), a few of them errors.
fn cloudtrail_input() -> String {
    let records: Vec<String> = (0..30)
        .map(|i| {
            let error = if i % 6 == 0 {
                r#","errorCode":"AccessDenied","errorMessage":"User is not authorized""#
            } else {
                ""
            };
            format!(
                r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","userName":"Alice"}},"eventTime":"2023-11-14T10:{:02}:00Z","eventSource":"ec2.amazonaws.com","eventName":"{}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{}","userAgent":"aws-cli/2.13","requestParameters":{{"instancesSet":{{"items":[{{"instanceId":"i-{i:08x}"}}]}}}},"responseElements":null,"eventID":"{i:08}-7b86-4ff4-9b0e-2e5c0d2a6f0a","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"{error}}}"#,
                59 - i,
                if i % 2 == 0 { "DescribeInstances" } else { "StopInstances" },
                i % 3
            )
        })
        .collect();
    format!("{{\"Records\":[{}]}}", records.join(","))
}

/// The chunks the pipeline hands the sink for `input`, in chunks of 16, in `format`'s form.
fn chunks(
    log_type: LogType,
    key: &str,
    input: &str,
    format: OutputFormat,
) -> (SourceObject, Vec<(u64, Events)>) {
    let source = SourceObject {
        bucket: "central-logs".into(),
        key: key.into(),
        etag: Some("9b2cf535f27731c974343645a3985328".into()),
        version_id: None,
    };
    let opts = PipelineOptions {
        chunk_records: 16,
        format,
        ..PipelineOptions::default()
    };
    let mut out = Vec::new();
    let report = pipeline::process(
        &mut std::io::BufReader::new(input.as_bytes()),
        log_type,
        &source,
        0,
        &opts,
        &mut |chunk| {
            out.push((chunk.first_index, chunk.events));
            std::ops::ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert_eq!(report.malformed, 0);
    (source, out)
}

/// Writes the Parquet objects of every chunk into `dir`; returns the NDJSON events of
/// the same input (the pipeline's other output, cut into the same chunks).
fn write_parquet(log_type: LogType, key: &str, input: &str, dir: &Path) -> Vec<Value> {
    std::fs::create_dir_all(dir).unwrap();
    let (source, chunks) = chunks(log_type, key, input, OutputFormat::Parquet);
    let (_, ndjson) = chunks_ndjson(log_type, key, input);
    assert_eq!(
        chunks
            .iter()
            .map(|(first, e)| (*first, e.len()))
            .collect::<Vec<_>>(),
        ndjson
            .iter()
            .map(|(first, r)| (*first, r.len()))
            .collect::<Vec<_>>(),
        "both outputs cut the same chunks"
    );
    let writer = ChunkWriter {
        format: OutputFormat::Parquet,
        ..ChunkWriter::ndjson(String::new(), OutputCompression::default())
    };
    for (first_index, events) in chunks {
        let batch = BatchSource {
            log_type: log_type.as_str().into(),
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            first_index,
            object_id: pipeline::object_id(&source),
        };
        for object in writer.objects(&batch, events).unwrap() {
            assert!(object.key.ends_with(".parquet"), "{}", object.key);
            let name = object.key.rsplit('/').next().unwrap();
            std::fs::write(dir.join(name), &object.body).unwrap();
        }
    }
    ndjson
        .iter()
        .flat_map(|(_, records)| records)
        .map(|r| serde_json::from_str::<Value>(&r.json).unwrap())
        .collect()
}

/// The NDJSON lines of `input`'s chunks.
fn chunks_ndjson(
    log_type: LogType,
    key: &str,
    input: &str,
) -> (SourceObject, Vec<(u64, Vec<Record>)>) {
    let (source, chunks) = chunks(log_type, key, input, OutputFormat::Ndjson);
    let chunks = chunks
        .into_iter()
        .map(|(first, events)| match events {
            Events::Ndjson(records) => (first, records),
            Events::Columns(_) => panic!("NDJSON asked for"),
        })
        .collect();
    (source, chunks)
}

const QUERIES: &str = r#"
import json, sys
import duckdb
files = sys.argv[1] + "/*.parquet"
ip = sys.argv[2]
con = duckdb.connect()
t = f"read_parquet('{files}')"
out = {
    "by_class": con.sql(f"SELECT class_uid, count(*) FROM {t} GROUP BY class_uid ORDER BY class_uid").fetchall(),
    "time": list(con.sql(f"SELECT min(time), max(time) FROM {t}").fetchone()),
    "from_ip": con.sql(f"SELECT count(*) FROM {t} WHERE src_endpoint.ip = ?", params=[ip]).fetchone()[0],
    "sorted_files": con.sql(
        f"SELECT count(*) FROM (SELECT filename, time, lag(time) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev "
        f"FROM read_parquet('{files}', filename=true, file_row_number=true)) WHERE prev > time"
    ).fetchone()[0],
}
rows = sys.argv[1] + "/rows.json"
con.sql(f"COPY (SELECT * FROM {t}) TO '{rows}' (FORMAT JSON)")
out["rows"] = [json.loads(line) for line in open(rows)]
print(json.dumps(out))
"#;

/// DuckDB's answers for the Parquet files in `dir`.
fn duckdb(dir: &Path, ip: &str) -> Value {
    let python = python();
    assert!(
        python.exists(),
        "{} is missing: run `make venv` (requirements-dev.txt pins duckdb)",
        python.display()
    );
    let out = Command::new(&python)
        .arg("-c")
        .arg(QUERIES)
        .arg(dir)
        .arg(ip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A DuckDB row in the NDJSON event's shape: nulls (absent attributes) removed, JSON
/// text columns parsed back into objects.
fn as_event(mut row: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut row);
    if let Some(text) = row.get("unmapped").and_then(Value::as_str) {
        row["unmapped"] = serde_json::from_str(text).unwrap();
    }
    row
}

fn check(log_type: LogType, key: &str, input: &str, ip: &str) {
    let dir = std::env::temp_dir().join(format!("s3c-duckdb-{}", uuid::Uuid::new_v4()));
    let events = write_parquet(log_type, key, input, &dir);
    let got = duckdb(&dir, ip);

    let mut by_class: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &events {
        *by_class
            .entry(e["class_uid"].as_u64().unwrap())
            .or_default() += 1;
    }
    let by_class: Vec<Value> = by_class
        .into_iter()
        .map(|(c, n)| serde_json::json!([c, n]))
        .collect();
    assert_eq!(got["by_class"], Value::Array(by_class), "{log_type}");
    let times: Vec<i64> = events.iter().map(|e| e["time"].as_i64().unwrap()).collect();
    assert_eq!(
        got["time"],
        serde_json::json!([times.iter().min(), times.iter().max()]),
        "{log_type}"
    );
    let from_ip = events
        .iter()
        .filter(|e| e["src_endpoint"]["ip"] == ip)
        .count();
    assert!(from_ip > 0, "{log_type}: the filter must select something");
    assert_eq!(got["from_ip"], from_ip, "{log_type}");
    assert_eq!(got["sorted_files"], 0, "{log_type}: rows out of time order");

    let mut rows: Vec<Value> = got["rows"]
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(as_event)
        .collect();
    let mut want = events;
    let uid = |e: &Value| e["metadata"]["uid"].as_str().unwrap().to_owned();
    rows.sort_by_key(uid);
    want.sort_by_key(uid);
    assert_eq!(rows.len(), want.len(), "{log_type}");
    for (row, event) in rows.iter().zip(&want) {
        assert_eq!(
            row, event,
            "{log_type}: DuckDB's row differs from the NDJSON event"
        );
        assert_valid_ocsf(row);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duckdb_reads_vpc_flow_parquet_as_the_ndjson_events() {
    check(
        LogType::VpcFlow,
        "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_fe123456.log.gz",
        &vpc_input(),
        "10.0.0.3",
    );
}

#[test]
fn duckdb_reads_cloudtrail_parquet_as_the_ndjson_events() {
    check(
        LogType::CloudTrail,
        "AWSLogs/123456789012/CloudTrail/us-east-1/2023/11/14/123456789012_CloudTrail_us-east-1_20231114T1015Z_a1B2c3D4e5F6g7H8.json.gz",
        &cloudtrail_input(),
        "198.51.100.1",
    );
}
