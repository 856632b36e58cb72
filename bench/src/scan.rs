//! Scan benchmarks against the emulator (a private moto server, started here so `make
//! test` never pays for it), each with a baseline measured in the same run:
//!
//! - classification throughput of a whole scan (plan, then every task in one worker):
//!   10,000 small objects and a few large ones, objects and MB per second, against
//!   plainly downloading the same objects (GetObject, body read) in the same order;
//! - listing: keys per second enumerated from a 100,000-object bucket by the scan's
//!   listing (its key ranges found, then listed in parallel), against
//!   `aws s3api list-objects-v2` paging the same bucket;
//! - S3 Inventory: records per second a scan slice reads from a 100,000-record CSV
//!   report (download, MD5, gunzip, parse), the per-object cost of enumerating from an
//!   inventory instead of listing.
//!
//! Sizes: `S3CONNECTOR_BENCH_SCAN_SMALL` (10000), `S3CONNECTOR_BENCH_SCAN_LARGE_MB`
//! (4 objects of 16 MB), `S3CONNECTOR_BENCH_LIST_KEYS` (100000); 0 skips that part.
//! `S3CONNECTOR_BENCH_LIST_ROUNDS` (3): alternating listing rounds (median and best reported).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use futures_util::stream::{self, StreamExt};
use integration_tests::inventory_reports::{csv_row, put_csv_report};
use integration_tests::{samples, Emulator};
use s3connector::aws::Clients;
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::inventory_slice::{self, OpenFile, PinnedReport, Position};
use s3connector::scan::lister::Lister;
use s3connector::scan::store::Store;
use s3connector::scan::task::{TaskQueue, Unit};
use s3connector::scan::{plan, work};
use serde_json::json;

use crate::env_u64;

/// Puts `objects` with `concurrency` requests in flight.
async fn seed(s3: &aws_sdk_s3::Client, bucket: &str, objects: Vec<(String, Vec<u8>)>) {
    stream::iter(objects)
        .for_each_concurrent(32, |(key, body)| async move {
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .body(ByteStream::from(body))
                .send()
                .await
                .expect("seed put");
        })
        .await;
}

async fn bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create bucket");
}

/// A small object: a log-like text, one in ten with a planted card number.
fn small_object(i: usize) -> Vec<u8> {
    let mut text = format!("2026-12-07T00:00:{:02}Z request {i} ok user=u{i}\n", i % 60);
    text.push_str("GET /index.html 200 1532 bytes from 10.0.0.1\n");
    if i % 10 == 0 {
        text.push_str(&format!("payment card {}\n", samples::PLANTED[1].1));
    }
    text.repeat(8).into_bytes()
}

/// Scans `bucket` with one worker; returns the elapsed time, objects classified and
/// bytes read.
async fn scan_once(ctx: &ScanContext, bucket: &str) -> (Duration, u64, u64) {
    let config = ScanConfig::from_value(json!({"buckets": {"include": [bucket]}})).unwrap();
    let started = Instant::now();
    let planned = plan::plan(ctx, config).await.expect("plan");
    while let Some(task) = ctx.queue.pop() {
        work::run_task(ctx, task, None).await.expect("task");
    }
    let elapsed = started.elapsed();
    let report: s3connector::scan::report::ScanReport = ctx
        .store
        .get_json(&s3connector::scan::finalize::report_key(&planned.scan_id))
        .await
        .unwrap()
        .expect("report written");
    let b = &report.buckets[0];
    let bytes = b.objects.iter().map(|o| o.bytes_read).sum();
    assembly(ctx, &planned).await;
    (elapsed, b.totals.objects_classified, bytes)
}

/// The reports' share of a scan, per object: assembling the report from the plan and
/// the part files, then rendering and storing every report file, as the last task does
/// (again, after the scan: same keys, same content), and the size of `report.json`.
async fn assembly(ctx: &ScanContext, planned: &plan::Plan) {
    let units = ctx
        .store
        .list(&format!("scans/{}/units/", planned.scan_id))
        .await
        .unwrap();
    let started = Instant::now();
    let report = s3connector::scan::finalize::assemble(ctx, planned, &units)
        .await
        .unwrap();
    let assembled = started.elapsed();
    let started = Instant::now();
    let report = s3connector::scan::report::ReportDocument::Inline(report);
    s3connector::scan::reports::write(ctx, &report)
        .await
        .unwrap();
    let written = started.elapsed();
    let s3connector::scan::report::ReportDocument::Inline(report) = report else {
        unreachable!("written inline")
    };
    let json = ctx
        .store
        .get(&s3connector::scan::finalize::report_key(&planned.scan_id))
        .await
        .unwrap()
        .map_or(0, |b| b.len());
    let objects = report
        .buckets
        .iter()
        .map(|b| b.objects.len())
        .sum::<usize>()
        .max(1);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / objects as f64;
    println!(
        "report assembly, {objects} objects: read parts and assemble {:.2} s ({:.0} µs/object), render and store the 4 report files {:.2} s ({:.0} µs/object); report.json {} bytes ({:.0} bytes/object)",
        assembled.as_secs_f64(),
        per(assembled),
        written.as_secs_f64(),
        per(written),
        json,
        json as f64 / objects as f64,
    );
    unit_reports(ctx, planned, objects).await;
}

/// Copies of a unit summary the finisher's per-summary cost is measured over.
const SUMMARY_SAMPLE: usize = 400;

/// The report's share at scale (`report.json` version 3): each unit's finishing task
/// writing its report files from its part files (per object), and the last task reading
/// unit summaries and assembling the index from them (per summary: one GetObject and
/// its parse, then the sums), measured on this scan's units and on
/// [`SUMMARY_SAMPLE`] reads of its summaries.
async fn unit_reports(ctx: &ScanContext, planned: &plan::Plan, objects: usize) {
    use s3connector::scan::finalize;
    use s3connector::scan::report::{BucketReport, BucketShares, IndexLimits, ScanIndex};
    let started = Instant::now();
    let mut shares = Vec::new();
    let mut bytes = 0u64;
    for unit in &planned.units {
        let summary: s3connector::scan::record::UnitSummary = ctx
            .store
            .get_json(&s3connector::scan::work::unit_key(
                &planned.scan_id,
                &unit.id,
            ))
            .await
            .unwrap()
            .expect("unit summary");
        let share = s3connector::scan::unit_report::write_unit_report(
            ctx,
            &planned.scan_id,
            unit,
            summary.slices,
        )
        .await
        .unwrap();
        for f in [
            &share.files.json,
            &share.files.findings_csv,
            &share.files.findings_ocsf,
        ] {
            bytes += ctx
                .store
                .get(&s3connector::scan::unit_report::unit_file_key(
                    &planned.scan_id,
                    f,
                ))
                .await
                .unwrap()
                .map_or(0, |b| b.len() as u64);
        }
        shares.push((unit.id.clone(), share));
    }
    let per_unit = started.elapsed();
    println!(
        "report assembly per unit ({} unit(s), {objects} objects): read parts, write the unit's 3 report files {:.2} s ({:.0} µs/object); {} bytes ({:.0} bytes/object)",
        shares.len(),
        per_unit.as_secs_f64(),
        per_unit.as_secs_f64() * 1e6 / objects as f64,
        bytes,
        bytes as f64 / objects as f64,
    );
    // The finisher: SUMMARY_SAMPLE summary reads (the same summaries again and again),
    // then the index assembled from as many shares, then the 4 top-level files.
    let ids: Vec<String> = planned
        .units
        .iter()
        .map(|u| u.id.clone())
        .cycle()
        .take(SUMMARY_SAMPLE)
        .collect();
    let started = Instant::now();
    let read = finalize::read_summaries(ctx, &planned.scan_id, &ids)
        .await
        .unwrap();
    let reading = started.elapsed();
    let summary_bytes = serde_json::to_vec(&read[0]).unwrap().len();
    let started = Instant::now();
    let units: Vec<_> = shares
        .iter()
        .cycle()
        .take(SUMMARY_SAMPLE)
        .enumerate()
        .map(|(i, (id, s))| (format!("{id}-{i}"), s.clone()))
        .collect();
    let index = ScanIndex::assemble(
        s3connector::scan::report::ScanHeader {
            scan_id: planned.scan_id.clone(),
            ..Default::default()
        },
        IndexLimits {
            inline_objects_max: 0,
            first_findings_max: 500,
        },
        vec![BucketShares {
            bucket: BucketReport {
                name: "bench".into(),
                ..BucketReport::default()
            },
            units,
        }],
    );
    let doc = s3connector::scan::report::ReportDocument::Index(index);
    s3connector::scan::reports::write(ctx, &doc).await.unwrap();
    let assembling = started.elapsed();
    let n = SUMMARY_SAMPLE as f64;
    println!(
        "report assembly, finisher ({SUMMARY_SAMPLE} unit summaries of {summary_bytes} bytes): read {:.2} s ({:.2} ms/summary, 16 at a time), assemble the index and write the 4 files {:.2} s ({:.2} ms/summary)",
        reading.as_secs_f64(),
        reading.as_secs_f64() * 1e3 / n,
        assembling.as_secs_f64(),
        assembling.as_secs_f64() * 1e3 / n,
    );
}

/// Downloads every object of `bucket` in key order, one at a time.
async fn download_all(s3: &aws_sdk_s3::Client, bucket: &str) -> (Duration, u64) {
    let started = Instant::now();
    let mut bytes = 0u64;
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            let body = s3
                .get_object()
                .bucket(bucket)
                .key(o.key().unwrap())
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap();
            bytes += body.into_bytes().len() as u64;
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    (started.elapsed(), bytes)
}

fn context(clients: &Clients, dir: &Path) -> ScanContext {
    let store = Store::Local(dir.to_path_buf());
    ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory())
}

async fn throughput(clients: &Clients, name: &str, label: &str, out: &Path) {
    let s3 = clients.s3();
    let (scan_time, objects, bytes) = scan_once(&context(clients, out), name).await;
    let (get_time, got) = download_all(&s3, name).await;
    let per_s = |n: f64, d: Duration| n / d.as_secs_f64();
    println!(
        "scan {label}: {objects} objects classified, {:.1} MB read in {:.1} s: {:.0} objects/s, \
         {:.1} MB/s ({:.2} ms/object); GetObject alone {:.0} objects/s, {:.1} MB/s; ratio {:.2}",
        bytes as f64 / 1e6,
        scan_time.as_secs_f64(),
        per_s(objects as f64, scan_time),
        per_s(bytes as f64 / 1e6, scan_time),
        scan_time.as_secs_f64() * 1e3 / objects.max(1) as f64,
        per_s(objects as f64, get_time),
        per_s(got as f64 / 1e6, get_time),
        get_time.as_secs_f64() / scan_time.as_secs_f64(),
    );
}

async fn listing(clients: &Clients, emu: &Emulator, keys: usize) {
    let s3 = clients.s3();
    let name = "bench-listing";
    bucket(&s3, name).await;
    let objects = (0..keys)
        .map(|i| (format!("logs/{:03}/{i:08}.json", i % 997), Vec::new()))
        .collect();
    seed(&s3, name, objects).await;
    // Both sides list the same bucket: ListObjectsV2, 1,000 keys a page, EncodingType=url,
    // continuation tokens; the CLI as one chain of pages, the scan as a task's first
    // slice does (one page, then the bucket's key ranges found with delimited listings and
    // listed in parallel, each with its own prefix). Runs alternate (ours, CLI, ours,
    // CLI, ...) so neither gets the emulator warmer or busier, and the order flips each
    // round so neither always follows the other; the median and the best of each count.
    let rounds = env_u64("S3CONNECTOR_BENCH_LIST_ROUNDS", 3).max(1) as usize;
    let (mut ours, mut cli) = (Vec::new(), Vec::new());
    let (mut pages, mut groups) = (0, 0);
    for round in 0..rounds {
        let cli_first = round % 2 == 1;
        if cli_first {
            cli.push(list_with_cli(emu, name, keys));
        }
        let (elapsed, n, g) = list_with_scan(&s3, name, keys).await;
        (pages, groups) = (n, g);
        ours.push(elapsed);
        if !cli_first {
            cli.push(list_with_cli(emu, name, keys));
        }
    }
    let (ours_best, ours_median) = best_and_median(&mut ours);
    let (cli_best, cli_median) = best_and_median(&mut cli);
    let per_s = |d: Duration| keys as f64 / d.as_secs_f64();
    let per_page = |d: Duration| d.as_secs_f64() * 1e3 / pages.max(1) as f64;
    println!(
        "listing {keys} keys ({pages} slices, {groups} key-range groups, {rounds} alternating rounds): scan listing median {:.0} keys/s ({:.1} ms/page), best {:.0} keys/s; aws s3api list-objects-v2 median {:.0} keys/s ({:.1} ms/page), best {:.0} keys/s; ratio of medians {:.2}, of bests {:.2} (target >= 1.2); all runs (sorted), seconds: scan {:?}, CLI {:?}",
        per_s(ours_median),
        per_page(ours_median),
        per_s(ours_best),
        per_s(cli_median),
        per_page(cli_median),
        per_s(cli_best),
        cli_median.as_secs_f64() / ours_median.as_secs_f64(),
        cli_best.as_secs_f64() / ours_best.as_secs_f64(),
        secs(&ours),
        secs(&cli),
    );
}

/// The best (shortest) and the median of `runs` (sorted in place).
fn best_and_median(runs: &mut [Duration]) -> (Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2])
}

fn secs(runs: &[Duration]) -> Vec<String> {
    runs.iter()
        .map(|d| format!("{:.1}", d.as_secs_f64()))
        .collect()
}

/// The scan's listing of `bucket`: its own [`Lister`] as a task's first slice starts it
/// (no key ranges yet: the first page, then finding the unit's ranges, then listing them
/// in parallel; keys decoded into the report's metadata), slice after slice as a task
/// works them. Returns the time, the slices and the key ranges found.
async fn list_with_scan(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    keys: usize,
) -> (Duration, usize, usize) {
    let unit = Unit::new(None, None, bucket, "us-east-1", "", false);
    let started = Instant::now();
    let (mut listed, mut pages) = (0usize, 0usize);
    let mut lister = Lister::start(s3, &unit, 1000, None, Vec::new(), true);
    let mut last: Option<String> = None;
    while let Some(page) = lister.next_page().await.unwrap() {
        pages += 1;
        listed += page.objects.len();
        // In key order, each key once.
        for (m, _) in &page.objects {
            assert!(last.as_deref().is_none_or(|l| l < m.key.as_str()));
            last = Some(m.key.clone());
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(listed, keys);
    (elapsed, pages, lister.groups().len())
}

/// `aws s3api list-objects-v2` paging `bucket` (1,000 keys a page, EncodingType=url,
/// which the CLI also sets by itself), counting keys per page with `--query`.
fn list_with_cli(emu: &Emulator, bucket: &str, keys: usize) -> Duration {
    let aws = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/aws");
    let started = Instant::now();
    let out = Command::new(&aws)
        .args(["s3api", "list-objects-v2", "--bucket", bucket])
        .args(["--page-size", "1000", "--encoding-type", "url"])
        .args(["--query", "length(Contents)", "--output", "text"])
        .args(["--endpoint-url", &emu.endpoint, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap_or_else(|e| panic!("{} ({e}): run `make venv`", aws.display()));
    let elapsed = started.elapsed();
    // The CLI applies --query to each page it fetches: one count per page.
    let counted: usize = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<usize>().ok())
        .sum();
    assert_eq!(
        counted,
        keys,
        "aws s3api listed {counted}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

async fn inventory(clients: &Clients, records: usize) {
    let s3 = clients.s3();
    let (source, dest) = ("bench-inventory-source", "bench-inventory-dest");
    bucket(&s3, dest).await;
    let prefix = format!("{source}/daily/");
    // Ten data files, as S3 splits large reports.
    let files: Vec<String> = (0..10)
        .map(|f| {
            (f * records / 10..(f + 1) * records / 10)
                .map(|i| {
                    csv_row(
                        source,
                        &format!("logs/{:03}/{i:08}.json", i % 997),
                        512,
                        "5d41402abc4b2a76b9719d911017c592",
                    )
                })
                .collect()
        })
        .collect();
    put_csv_report(
        &s3,
        dest,
        &prefix,
        source,
        "2026-12-07T00-00Z",
        1_796_601_600_000,
        &files,
    )
    .await;
    let report =
        s3connector::scan::inventory::report_in(&s3, dest, &format!("{prefix}2026-12-07T00-00Z/"))
            .await
            .unwrap()
            .expect("report");
    let pinned = PinnedReport {
        bucket: dest.to_string(),
        folder: report.folder().to_string(),
        created_at: report.created_at.clone(),
    };
    let files = inventory_slice::files_of(&pinned, &report);
    // One worker reading every file, then one worker per file (the scan's fan-out).
    let read = |file: inventory_slice::InventoryFile| {
        let s3 = s3.clone();
        async move {
            let mut open = OpenFile::open(&s3, &file, 0, &std::env::temp_dir())
                .await
                .unwrap();
            open.read(Position::default(), usize::MAX)
                .unwrap()
                .objects
                .len()
        }
    };
    let started = Instant::now();
    let mut one = 0;
    for f in files.clone() {
        one += read(f).await;
    }
    let sequential = started.elapsed();
    let started = Instant::now();
    let handles: Vec<_> = files.into_iter().map(|f| tokio::spawn(read(f))).collect();
    let mut fanned = 0;
    for h in handles {
        fanned += h.await.unwrap();
    }
    let parallel = started.elapsed();
    assert_eq!((one, fanned), (records, records));
    println!(
        "inventory {records} records (10 CSV.gz files, download, MD5, gunzip, parse): one worker {:.0} records/s ({:.2} µs/record), one task per file {:.0} records/s",
        records as f64 / sequential.as_secs_f64(),
        sequential.as_secs_f64() * 1e6 / records as f64,
        records as f64 / parallel.as_secs_f64(),
    );
}

/// Runs every scan benchmark.
pub fn scan_benchmarks() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async {
        let emu = Emulator::start_private();
        let clients = emu.clients().await;
        let s3 = clients.s3();
        let out = tempfile::tempdir().expect("temp dir");

        let small = env_u64("S3CONNECTOR_BENCH_SCAN_SMALL", 10_000) as usize;
        if small > 0 {
            bucket(&s3, "bench-scan-small").await;
            seed(
                &s3,
                "bench-scan-small",
                (0..small)
                    .map(|i| (format!("app/{:02}/{i:06}.log", i % 50), small_object(i)))
                    .collect(),
            )
            .await;
            throughput(
                &clients,
                "bench-scan-small",
                &format!("{small} small objects"),
                out.path(),
            )
            .await;
        }
        let large_mb = env_u64("S3CONNECTOR_BENCH_SCAN_LARGE_MB", 16) as usize;
        bucket(&s3, "bench-scan-large").await;
        // Clean log text with one planted card number per MB, as findings are in real logs:
        // sparse (a value on every line is another benchmark, of the findings' reporting).
        let large: Vec<(String, Vec<u8>)> = (0..4)
            .map(|i| {
                let clean = small_object(i * 10 + 1);
                let per_mb = 1_000_000 / clean.len();
                let mut body = Vec::with_capacity(large_mb * 1_000_000);
                for _ in 0..large_mb {
                    body.extend(clean.repeat(per_mb));
                    body.extend(small_object(0));
                }
                (format!("exports/large-{i}.log"), body)
            })
            .collect();
        seed(&s3, "bench-scan-large", large).await;
        throughput(
            &clients,
            "bench-scan-large",
            &format!("4 objects of {large_mb} MB"),
            out.path(),
        )
        .await;

        let keys = env_u64("S3CONNECTOR_BENCH_LIST_KEYS", 100_000) as usize;
        if keys > 0 {
            listing(&clients, &emu, keys).await;
            inventory(&clients, keys).await;
        }
    });
}
