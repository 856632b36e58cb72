//! s3connector benchmarks. Throughput is always reported as a ratio against a baseline
//! measured in the same run on the same input, so figures compare across machines.
//!
//! `make bench` runs everything; `S3CONNECTOR_BENCH_MB` (default 250) sets the size of
//! the throughput inputs and `S3CONNECTOR_BENCH_RSS_MB` (default 1024) the large object
//! of the memory check, `S3CONNECTOR_BENCH_CLASSIFY_MB` (default 100) the classification
//! corpus (`--classify` runs that benchmark alone, `--parquet` the OCSF Parquet output
//! rows, `--scan` the scan benchmarks, see `scan.rs`). `S3CONNECTOR_BENCH_ONLY` (a comma
//! list of `notification`, `cloudtrail`, `vpcflow`, `vpcflow-parquet`, `rss`,
//! `parquet-output`, `classify`, `scan`) runs only those parts.
//! Generated inputs are cached under `bench/data/`.

mod classify;
mod parquet;
mod scan;

use std::hint::black_box;
use std::io::{BufRead, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use integration_tests::samples;
use s3connector::logs::LogType;
use s3connector::normalize::SourceObject;
use s3connector::object::{self, BombLimits};
use s3connector::pipeline::{self, PipelineOptions};
use s3connector::sink::s3::OutputCompression;
use s3connector::sink::{Events, Record};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, kind, mb] = args.as_slice() {
        if flag == "--peak-rss" {
            // Child mode: process one generated object and report this process's peak RSS.
            let mb: u64 = mb.parse().expect("a size in MB");
            if kind == PARQUET {
                let (input, _) = ensure_parquet_input(mb);
                run_pipeline(LogType::VpcFlow, &input, OutputCompression::default());
                println!("{}", peak_rss_kib());
                return;
            }
            let kind = kind.parse::<LogType>().expect("a log type");
            let input = ensure_input(kind, mb);
            run_pipeline(kind, &input, OutputCompression::default());
            println!("{}", peak_rss_kib());
            return;
        }
        if flag == "--peak-rss-parquet" {
            let kind = kind.parse::<LogType>().expect("a log type");
            let input = ensure_input(kind, mb.parse().expect("a size in MB"));
            parquet::run(kind, &input);
            println!("{}", peak_rss_kib());
            return;
        }
    }
    if args.first().map(String::as_str) == Some("--parquet") {
        // Only the OCSF Parquet output rows.
        let mb = env_u64("S3CONNECTOR_BENCH_MB", 250);
        for kind in [LogType::CloudTrail, LogType::VpcFlow] {
            parquet::throughput(kind, mb);
        }
        parquet::parquet_input_throughput(mb);
        parquet::peak_memory(
            LogType::VpcFlow,
            10,
            env_u64("S3CONNECTOR_BENCH_RSS_MB", 1024),
        );
        return;
    }
    if args.first().map(String::as_str) == Some("--scan") {
        // Only the scan benchmarks (emulator).
        scan::scan_benchmarks();
        return;
    }
    if args.first().map(String::as_str) == Some("--classify") {
        // Only the classification benchmark.
        classify::classify_vs_ripgrep(env_u64("S3CONNECTOR_BENCH_CLASSIFY_MB", 100), &data_dir());
        return;
    }
    let mb = env_u64("S3CONNECTOR_BENCH_MB", 250);
    let rss_mb = env_u64("S3CONNECTOR_BENCH_RSS_MB", 1024);
    let only = std::env::var("S3CONNECTOR_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    println!("s3connector benchmarks (one core, release build)");
    if run("notification") {
        notification_decoding();
    }
    for kind in [LogType::CloudTrail, LogType::VpcFlow] {
        if run(kind.as_str()) {
            pipeline_throughput(kind, mb);
        }
    }
    if run(PARQUET) {
        parquet_throughput(mb);
    }
    if run("rss") {
        peak_memory(LogType::VpcFlow.as_str(), 10, rss_mb);
        peak_memory(PARQUET, 10, rss_mb);
    }
    if run("parquet-output") {
        for kind in [LogType::CloudTrail, LogType::VpcFlow] {
            parquet::throughput(kind, mb);
        }
        parquet::parquet_input_throughput(mb);
        parquet::peak_memory(LogType::VpcFlow, 10, rss_mb);
    }
    if run("classify") {
        classify::classify_vs_ripgrep(env_u64("S3CONNECTOR_BENCH_CLASSIFY_MB", 100), &data_dir());
    }
    if run("scan") {
        scan::scan_benchmarks();
    }
}

/// The name of the VPC Flow Logs Parquet input in arguments and `S3CONNECTOR_BENCH_ONLY`.
const PARQUET: &str = "vpcflow-parquet";

/// The flows of [`ensure_input`]'s VPC Flow Logs file of `mb` MB as a Parquet file (as
/// VPC Flow Logs' Parquet delivery writes it, 100,000 rows per row group), made once and
/// cached; with the size of the same flows as text.
fn ensure_parquet_input(mb: u64) -> (PathBuf, u64) {
    let text = ensure_input(LogType::VpcFlow, mb);
    let path = data_dir().join(format!("{PARQUET}-{mb}mb.log.parquet"));
    let gunzip = || {
        std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            std::fs::File::open(&text).expect("open bench input"),
        ))
    };
    let text_bytes = std::io::copy(&mut gunzip(), &mut std::io::sink()).expect("read bench input");
    if !path.exists() {
        let partial = path.with_extension("partial");
        let file = BufWriter::new(std::fs::File::create(&partial).expect("create bench input"));
        samples::vpc_flow_parquet_to(file, gunzip(), 100_000).expect("write Parquet input");
        std::fs::rename(&partial, &path).expect("rename bench input");
    }
    (path, text_bytes)
}

/// VPC Flow Logs delivered as Parquet to NDJSON: throughput in MB of flows (the size the
/// same flows have as text) per second, against `gzip -dc` of those flows as text.
fn parquet_throughput(mb: u64) {
    let (input, text_bytes) = ensure_parquet_input(mb);
    let text_input = ensure_input(LogType::VpcFlow, mb);
    let baseline = best_of(3, || {
        let status = Command::new("gzip")
            .arg("-dc")
            .arg(&text_input)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("gzip is installed");
        assert!(status.success());
    });
    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let compression = OutputCompression::default();
    let mut size = (0, 0, 0);
    let ours = best_of(2, || {
        size = run_pipeline(LogType::VpcFlow, &input, compression)
    });
    let (parquet_bytes, records, output) = size;
    let out = std::fs::metadata(output_path(LogType::VpcFlow, compression))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{PARQUET} {:.0} MB of Parquet ({:.0} MB of flows as text, {records} records), output {compression:?} {:.0} MB ({:.0} MB of NDJSON): pipeline {:.1} MB/s of flows, gzip -dc of the text {:.1} MB/s, ratio {:.2}",
        parquet_bytes as f64 / 1e6,
        text_bytes as f64 / 1e6,
        out as f64 / 1e6,
        output as f64 / 1e6,
        mbps(text_bytes, ours),
        mbps(text_bytes, baseline),
        baseline.as_secs_f64() / ours.as_secs_f64()
    );
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    std::fs::create_dir_all(&dir).expect("bench/data is writable");
    dir
}

/// A gzip file of about `mb` MB (uncompressed) of generated logs, made once and cached.
fn ensure_input(kind: LogType, mb: u64) -> PathBuf {
    let path = data_dir().join(format!("{kind}-{mb}mb.log.gz"));
    if path.exists() {
        return path;
    }
    let target = mb * 1_000_000;
    let file = std::fs::File::create(&path).expect("create bench input");
    let mut out = CountingWriter {
        inner: GzEncoder::new(BufWriter::new(file), flate2::Compression::default()),
        written: 0,
    };
    match kind {
        // One CloudTrail document of about `mb` MB: estimate records from a small sample.
        LogType::CloudTrail => {
            let mut probe = Vec::new();
            samples::cloudtrail(&mut probe, 1000, 1).expect("probe");
            let records = (target as usize * 1000) / probe.len();
            samples::cloudtrail(&mut out, records.max(1), 1).expect("write bench input");
        }
        LogType::VpcFlow => {
            let mut probe = Vec::new();
            samples::vpc_flow(&mut probe, 1000, 1).expect("probe");
            let lines = (target as usize * 1000) / probe.len();
            samples::vpc_flow(&mut out, lines.max(1), 1).expect("write bench input");
        }
        other => panic!("no generator for {other}"),
    }
    out.inner
        .finish()
        .expect("finish gzip")
        .flush()
        .expect("flush");
    path
}

struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Opens a generated input as the pipeline reads an object (decompressed by its name),
/// counting the bytes read, with the source object it stands for under the AWS key layout.
pub(crate) fn open_input(
    kind: LogType,
    input: &Path,
) -> (
    CountingReader<Box<dyn std::io::BufRead + Send>>,
    SourceObject,
) {
    let file = std::fs::File::open(input).expect("open bench input");
    let key = input.file_name().unwrap().to_string_lossy().to_string();
    let opened = object::open(file, None, None, &key, BombLimits::default()).expect("open");
    let reader = CountingReader {
        inner: opened.reader,
        read: 0,
    };
    let source = SourceObject {
        bucket: "bench".into(),
        key: format!("AWSLogs/123456789012/{kind}/us-east-1/2026/11/23/{key}"),
        etag: Some("\"0123456789abcdef\"".into()),
        version_id: None,
    };
    (reader, source)
}

/// Decompress, parse, normalize and compress each chunk with the S3 sink's encoder into
/// a local file. Returns (uncompressed input bytes, records, uncompressed output bytes).
fn run_pipeline(kind: LogType, input: &Path, compression: OutputCompression) -> (u64, u64, u64) {
    let (mut reader, source) = open_input(kind, input);
    let sink_path = output_path(kind, compression);
    let mut sink = BufWriter::new(std::fs::File::create(&sink_path).unwrap());
    let opts = PipelineOptions::default();
    let mut output = 0u64;
    let report = pipeline::process(&mut reader, kind, &source, 0, &opts, &mut |chunk| {
        let Events::Ndjson(records) = &chunk.events else {
            unreachable!("the default pipeline options give NDJSON");
        };
        output += records.iter().map(|r| r.json.len() as u64 + 1).sum::<u64>();
        sink.write_all(&compression.encode(records))
            .expect("local sink write");
        ControlFlow::Continue(())
    })
    .expect("bench input parses");
    sink.flush().expect("flush sink");
    (reader.read, report.records, output)
}

pub(crate) struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.read += amt as u64;
        self.inner.consume(amt);
    }
}

fn pipeline_throughput(kind: LogType, mb: u64) {
    let input = ensure_input(kind, mb);
    let baseline = gunzip_time(&input);
    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    for compression in [OutputCompression::default(), OutputCompression::Zstd(1)] {
        let mut size = (0, 0, 0);
        let ours = best_of(2, || size = run_pipeline(kind, &input, compression));
        let (bytes, records, output) = size;
        let out_path = output_path(kind, compression);
        let out = std::fs::metadata(&out_path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{kind} {:.0} MB ({records} records), output {compression:?} {:.0} MB ({:.0} MB of NDJSON): pipeline {:.1} MB/s, gzip -dc {:.1} MB/s, ratio {:.2} (target >= 0.5)",
            bytes as f64 / 1e6,
            out as f64 / 1e6,
            output as f64 / 1e6,
            mbps(bytes, ours),
            mbps(bytes, baseline),
            baseline.as_secs_f64() / ours.as_secs_f64()
        );
        // What compressing the output alone costs, measured on its first events with the
        // sink's own encoder: the ratio no parser or mapping speed-up can go beyond.
        let sample = output_sample(&out_path, 200_000_000);
        let sample_bytes: u64 = sample.iter().map(|r| r.json.len() as u64 + 1).sum();
        let encode = best_of(2, || {
            black_box(compression.encode(&sample));
        });
        let encode_all = encode.as_secs_f64() * output as f64 / sample_bytes.max(1) as f64;
        println!(
            "  compressing the output alone: {:.0} MB/s of NDJSON, {encode_all:.2} s of the pipeline's {:.2} s; ratio cap {:.2}",
            mbps(sample_bytes, encode),
            ours.as_secs_f64(),
            baseline.as_secs_f64() / encode_all
        );
    }
}

/// Where `run_pipeline` writes the compressed output of `kind`.
fn output_path(kind: LogType, compression: OutputCompression) -> PathBuf {
    data_dir().join(format!("{kind}-out.json.{}", compression.extension()))
}

/// The first `limit` bytes of events (whole lines) of an output file, as sink records.
fn output_sample(path: &Path, limit: u64) -> Vec<Record> {
    let file = std::fs::File::open(path).expect("open bench output");
    let name = path.to_string_lossy();
    // The ingest reader detects and undoes the sink's compression; no bomb limit applies
    // to our own output.
    let limits = BombLimits {
        max_output_bytes: u64::MAX,
        max_ratio: u64::MAX,
        ..BombLimits::default()
    };
    let opened = object::open(file, None, None, &name, limits).expect("open bench output");
    let mut records = Vec::new();
    let mut taken = 0u64;
    for line in opened.reader.lines() {
        let json = line.expect("bench output decompresses");
        taken += json.len() as u64 + 1;
        records.push(Record {
            uid: String::new(),
            time_ms: None,
            json,
        });
        if taken >= limit {
            break;
        }
    }
    records
}

fn peak_memory(kind: &str, small_mb: u64, large_mb: u64) {
    peak_memory_of("--peak-rss", kind, kind, small_mb, large_mb);
}

/// Runs this benchmark as a child with `flag kind MB` for a small and a large object, each
/// child printing its peak RSS in KiB, and prints both with their ratio under `label`.
pub(crate) fn peak_memory_of(flag: &str, kind: &str, label: &str, small_mb: u64, large_mb: u64) {
    let exe = std::env::current_exe().expect("own path");
    let measure = |mb: u64| -> u64 {
        let out = Command::new(&exe)
            .args([flag, kind, &mb.to_string()])
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("peak RSS in KiB")
    };
    let small = measure(small_mb);
    let large = measure(large_mb);
    println!(
        "{label} peak RSS: {small_mb} MB object {:.1} MiB, {large_mb} MB object {:.1} MiB, ratio {:.2} (target <= 1.5)",
        small as f64 / 1024.0,
        large as f64 / 1024.0,
        large as f64 / small as f64
    );
}

/// This process's peak resident set size (VmHWM) in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Decoding SQS message bodies into object references, against parsing the same bodies
/// into `serde_json::Value` (the least any decoder must do).
fn notification_decoding() {
    let bodies: Vec<String> = (0..20_000)
        .map(|i| {
            json!({"Records": [{
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2026-11-23T10:15:30.123Z", "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S"},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "ingest",
                    "bucket": {"name": "example-logs", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": "arn:aws:s3:::example-logs"},
                    "object": {"key": format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/23/file+{i}%2B.json.gz"),
                        "size": 1024 + i, "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0055AED6DCD90281E5"}}
            }]})
            .to_string()
        })
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();

    let baseline = best_of(5, || {
        for b in &bodies {
            black_box(serde_json::from_str::<serde_json::Value>(b).expect("valid JSON"));
        }
    });
    let decoder = best_of(5, || {
        for b in &bodies {
            black_box(s3connector::notification::decode(b).expect("valid notification"));
        }
    });
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!(
        "notification decode: {:.0} MB/s ({:.0} messages/s); baseline serde_json::Value parse: {:.0} MB/s; ratio {:.2}",
        mbps(decoder),
        bodies.len() as f64 / decoder.as_secs_f64(),
        mbps(baseline),
        baseline.as_secs_f64() / decoder.as_secs_f64()
    );
}

/// The baseline of every throughput row: `gzip -dc` of `input` to nowhere, best of three.
fn gunzip_time(input: &Path) -> Duration {
    best_of(3, || {
        let status = Command::new("gzip")
            .arg("-dc")
            .arg(input)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("gzip is installed");
        assert!(status.success());
    })
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}
