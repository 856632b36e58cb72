//! Report assembly at scale (`report.json` version 3) through the real scan path: the
//! same data scanned twice, once with the default threshold (version 2, objects inline)
//! and once with `reports.inline_objects_max` set low, over two buckets, one of them
//! split into a unit per top-level prefix and every unit worked in several slices
//! (continuations). The version 3 totals equal version 2's; every object and finding of
//! version 2 is in exactly one unit file (compared key by key); no object the scan wrote
//! holds a planted value unmasked; and the scan's last task reads no part file.
//!
//! How part file reads are counted: the SDK reaches the emulator through the loopback
//! fault proxy, which logs every call with its operation and path. A part file is a
//! `GetObject` whose path holds `/parts/<unit id>/`. The task that wrote the reports
//! finished its own unit, whose report files are written from that unit's part files,
//! so in its calls only part files of *other* units count; and the finisher is run once
//! more on its own (the lock released), where no part file may be read at all. The same
//! isolated run on the version 2 scan does read part files, so the check can fail.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::fault_proxy::FaultProxy;
use integration_tests::scanning::{new_bucket, put, scan_context};
use integration_tests::{samples, Emulator};
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::finalize::{finish_if_last, lock_key, report_key};
use s3connector::scan::plan::{self, Plan};
use s3connector::scan::report::index::UnitReportFile;
use s3connector::scan::report::{ReportDocument, ScanIndex, ScanReport};
use s3connector::scan::unit_report::unit_file_key;
use s3connector::scan::work;
use serde_json::{json, Value};

/// Runs a scan task by task; returns the plan, `report.json` and, for the task that
/// wrote the reports, its unit id and the proxy's calls during it.
async fn scan(
    ctx: &ScanContext,
    proxy: &FaultProxy,
    config: Value,
) -> (Plan, ReportDocument, String, Vec<String>) {
    let plan = plan::plan(ctx, ScanConfig::from_value(config).unwrap())
        .await
        .unwrap();
    let mut finisher = None;
    let mut tasks = 0;
    while let Some(task) = ctx.queue.pop() {
        tasks += 1;
        let before = proxy.seen().len();
        let unit = task.unit.id.clone();
        let outcome = work::run_task(ctx, task, None).await.unwrap();
        if outcome.reports_written {
            assert!(finisher.is_none(), "reports written twice");
            finisher = Some((unit, part_reads(proxy, before)));
        }
    }
    let (unit, reads) = finisher.expect("a task wrote the reports");
    assert!(
        tasks >= plan.units.len() * 2,
        "units worked in several slices: {tasks} tasks for {} units",
        plan.units.len()
    );
    let raw = ctx.store.get(&report_key(&plan.scan_id)).await.unwrap();
    let doc = ReportDocument::from_slice(&raw.expect("report.json")).unwrap();
    (plan, doc, unit, reads)
}

/// Paths of the part files read (GetObject on `/parts/`) since call `from`.
fn part_reads(proxy: &FaultProxy, from: usize) -> Vec<String> {
    proxy.seen()[from..]
        .iter()
        .filter(|s| s.operation == "GetObject" && s.path.contains("/parts/"))
        .map(|s| s.path.clone())
        .collect()
}

/// Runs the finisher again on its own (lock released): the part files it reads.
async fn isolated_finisher_reads(ctx: &ScanContext, proxy: &FaultProxy, scan_id: &str) -> usize {
    // The lock in the test finisher's name, unfinished: `finish_if_last` resumes under it
    // as a redelivered finisher would.
    let lock = json!({"owner": "test-finisher", "state": "writing", "at": "2026-12-07T00:00:00Z"});
    ctx.store
        .put(&lock_key(scan_id), serde_json::to_vec(&lock).unwrap(), None)
        .await
        .unwrap();
    let before = proxy.seen().len();
    assert!(finish_if_last(ctx, scan_id, "test-finisher").await.unwrap());
    part_reads(proxy, before).len()
}

/// (bucket, key, detector) of every finding of a version 2 report.
fn findings_v2(r: &ScanReport) -> BTreeSet<(String, String, String)> {
    r.buckets
        .iter()
        .flat_map(|b| {
            b.objects.iter().flat_map(move |o| {
                o.findings
                    .iter()
                    .map(move |f| (b.name.clone(), o.metadata.key.clone(), f.detector.clone()))
            })
        })
        .collect()
}

/// Every unit file of the index, read: per bucket, the objects' keys (with repeats) and
/// the findings (bucket, key, detector) with how many times they appear; and the rows
/// of the units' findings.csv files.
async fn read_unit_files(
    ctx: &ScanContext,
    index: &ScanIndex,
) -> (
    BTreeMap<String, Vec<String>>,
    BTreeMap<(String, String, String), usize>,
    usize,
) {
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut findings: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut csv_rows = 0;
    for b in &index.buckets {
        for u in &b.units {
            let get = |rel: &str| {
                let key = unit_file_key(&index.scan_id, rel);
                async move { ctx.store.get(&key).await.unwrap().expect("unit file") }
            };
            let file: UnitReportFile = serde_json::from_slice(&get(&u.files.json).await).unwrap();
            assert_eq!(
                (file.bucket.as_str(), file.unit_id.as_str()),
                (b.name.as_str(), u.unit_id.as_str())
            );
            for s in &file.slices {
                for o in &s.objects {
                    keys.entry(b.name.clone())
                        .or_default()
                        .push(o.metadata.key.clone());
                    for f in &o.findings {
                        *findings
                            .entry((b.name.clone(), o.metadata.key.clone(), f.detector.clone()))
                            .or_default() += 1;
                    }
                }
            }
            let csv = get(&u.files.findings_csv).await;
            let rows = csv::Reader::from_reader(csv.as_slice()).records().count();
            assert_eq!(rows as u64, u.findings, "{}", u.files.findings_csv);
            csv_rows += rows;
            let ocsf: Vec<Value> =
                serde_json::from_slice(&get(&u.files.findings_ocsf).await).unwrap();
            assert_eq!(ocsf.len() as u64, u.findings, "{}", u.files.findings_ocsf);
        }
    }
    (keys, findings, csv_rows)
}

#[tokio::test]
async fn a_scan_above_the_inline_threshold_writes_unit_files_with_v2_totals_and_reads_no_part_at_the_end(
) {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(&emu.endpoint);
    let clients = emu.clients_via(&proxy.url).await;
    let ctx = scan_context(&clients, "it-scale-out").await;
    let big = new_bucket(&clients, "it-scale-big").await;
    let small = new_bucket(&clients, "it-scale-small").await;
    let [email, card, key, ssn] = samples::PLANTED.map(|(_, v)| v);

    // The large bucket: three top-level prefixes and root keys (four units), each unit
    // larger than one slice of two objects; planted values in every unit.
    let mut planted: Vec<(String, String, &str)> = Vec::new();
    for (i, prefix) in ["alpha/", "beta/", "gamma/"].iter().enumerate() {
        for j in 0..5 {
            let k = format!("{prefix}file-{j}.txt");
            let body = match (i + j) % 4 {
                0 => format!("contact {email}\n"),
                1 => format!("paid with card {card}\n"),
                2 => format!("aws_access_key_id = {key}\n"),
                _ => "nothing sensitive here\n".to_string(),
            };
            put(&clients, &big, &k, body).await;
        }
        planted.push((
            big.clone(),
            format!("{prefix}file-0.txt"),
            ["email", "credit_card", "aws_access_key_id"][i % 3],
        ));
    }
    for j in 0..3 {
        put(
            &clients,
            &big,
            &format!("root-{j}.txt"),
            format!("ssn: {ssn}\n"),
        )
        .await;
        planted.push((big.clone(), format!("root-{j}.txt"), "us_ssn"));
    }
    // The small bucket: one unit with a planted log, a clean file and an object skipped
    // for its size.
    put(
        &clients,
        &small,
        "notes/planted.txt",
        samples::planted_text(),
    )
    .await;
    put(&clients, &small, "notes/clean.txt", "build 1.4.22 passed\n").await;
    put(&clients, &small, "dumps/huge.txt", "x".repeat(5_000)).await;
    for detector in ["email", "credit_card", "aws_access_key_id"] {
        planted.push((small.clone(), "notes/planted.txt".into(), detector));
    }

    let config = |inline: Option<u64>| {
        let mut c = json!({"buckets": {"include": [big, small]}, "large_buckets": [big],
                           "objects_per_task": 2, "slices_per_task": 1,
                           "max_object_size": 1_000});
        if let Some(n) = inline {
            c["reports"] = json!({"inline_objects_max": n, "first_findings_max": 5});
        }
        c
    };
    let (v2_plan, v2, _, _) = scan(&ctx, &proxy, config(None)).await;
    let ReportDocument::Inline(v2) = v2 else {
        panic!("the default threshold keeps version 2")
    };
    assert_eq!(v2.format_version, 2);
    let (plan, v3, finisher_unit, finisher_reads) = scan(&ctx, &proxy, config(Some(5))).await;
    let ReportDocument::Index(v3) = v3 else {
        panic!("above 5 objects: version 3")
    };
    assert_eq!(v3.format_version, 3);
    assert!(
        plan.units.len() >= 5,
        "four units of the big bucket, one of the small: {}",
        plan.units.len()
    );

    // Totals, statuses and metadata as version 2 has them.
    assert_eq!(v3.totals, v2.totals);
    assert_eq!(v3.totals.sums.objects_skipped, 1);
    for (x, b) in v3.buckets.iter().zip(&v2.buckets) {
        assert_eq!(x.name, b.name);
        assert_eq!(x.status, b.status, "{}", b.name);
        assert_eq!(x.totals, b.totals, "{}", b.name);
        assert_eq!(x.metadata, b.metadata, "{}", b.name);
        assert_eq!(x.warnings, b.warnings, "{}", b.name);
    }
    let big_units = &v3.buckets.iter().find(|b| b.name == big).unwrap().units;
    assert_eq!(big_units.len(), 4, "{big_units:?}");
    assert_eq!(v3.findings_shown(), 5, "first findings capped at 5");

    // Every object and finding once, in exactly one unit file.
    let (keys, findings, csv_rows) = read_unit_files(&ctx, &v3).await;
    for b in &v2.buckets {
        let mut want: Vec<String> = b.objects.iter().map(|o| o.metadata.key.clone()).collect();
        let mut got = keys.get(&b.name).cloned().unwrap_or_default();
        want.sort();
        got.sort();
        assert_eq!(got, want, "objects of {} in the unit files", b.name);
    }
    let twice: Vec<_> = findings.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "findings in more than one place: {twice:?}"
    );
    let got: BTreeSet<_> = findings.keys().cloned().collect();
    assert_eq!(
        got,
        findings_v2(&v2),
        "findings of the unit files vs version 2"
    );
    for (bucket, key, detector) in &planted {
        assert!(
            got.contains(&(bucket.clone(), key.clone(), detector.to_string())),
            "planted {detector} in {bucket}/{key} is in no unit file"
        );
    }
    assert_eq!(csv_rows as u64, v3.totals.sums.findings);

    // No object of either scan holds a planted value unmasked.
    for scan_id in [&v2_plan.scan_id, &plan.scan_id] {
        let out = match &ctx.store {
            s3connector::scan::store::Store::S3 { bucket, .. } => bucket.clone(),
            _ => unreachable!("an S3 store"),
        };
        let listed = clients
            .s3()
            .list_objects_v2()
            .bucket(out)
            .prefix(format!("s3connector/scans/{scan_id}/"))
            .send()
            .await
            .unwrap();
        assert_ne!(listed.is_truncated(), Some(true));
        let mut seen = 0;
        for o in listed.contents() {
            let k = o.key().unwrap().strip_prefix("s3connector/").unwrap();
            let body = ctx.store.get(k).await.unwrap().unwrap();
            let text = String::from_utf8_lossy(&body);
            for (_, v) in samples::PLANTED {
                assert!(!text.contains(v), "{k} holds {v}");
                assert!(!text.contains(&v.replace(' ', "")), "{k} holds {v}");
            }
            seen += 1;
        }
        assert!(seen > 10, "{seen} objects checked");
    }

    // The last task read no part file of another unit; the finisher on its own reads
    // none, where version 2's reads every one.
    let others: Vec<&String> = finisher_reads
        .iter()
        .filter(|p| !p.contains(&format!("/parts/{finisher_unit}/")))
        .collect();
    assert!(
        others.is_empty(),
        "the last task read other units' parts: {others:?}"
    );
    assert_eq!(
        isolated_finisher_reads(&ctx, &proxy, &plan.scan_id).await,
        0
    );
    let v2_parts: u32 = v2_plan.units.len() as u32;
    assert!(
        isolated_finisher_reads(&ctx, &proxy, &v2_plan.scan_id).await >= v2_parts as usize,
        "version 2 assembles from the part files"
    );
    // The rewritten index says the same.
    let raw = ctx
        .store
        .get(&report_key(&plan.scan_id))
        .await
        .unwrap()
        .unwrap();
    let again = ReportDocument::from_slice(&raw).unwrap();
    assert_eq!(again.totals(), &v3.totals);
    let html = ctx
        .store
        .get(&format!("scans/{}/report.html", plan.scan_id))
        .await
        .unwrap()
        .unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("id=\"units-table\""));
    for u in big_units {
        assert!(
            html.contains(&format!("href=\"{}\"", u.files.json)),
            "{}",
            u.files.json
        );
    }
}

#[tokio::test]
async fn a_unit_file_larger_than_one_part_is_a_multipart_upload_read_back_whole() {
    use s3connector::scan::upload::{Upload, PART_BYTES};
    let emu = Emulator::start();
    let proxy = FaultProxy::start(&emu.endpoint);
    let clients = emu.clients_via(&proxy.url).await;
    let ctx = scan_context(&clients, "it-upload-out").await;
    let key = "scans/x/reports/u.json";
    let mut up = Upload::start(&ctx.store, key, "application/json")
        .await
        .unwrap();
    // Two and a half parts, written in pieces that do not line up with the parts.
    let piece: Vec<u8> = (0..1_000_003u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut want = Vec::new();
    while want.len() < PART_BYTES * 5 / 2 {
        up.write(&piece).await.unwrap();
        want.extend_from_slice(&piece);
    }
    assert!(
        ctx.store.get(key).await.unwrap().is_none(),
        "nothing visible before finish"
    );
    assert_eq!(up.finish().await.unwrap(), want.len() as u64);
    assert!(
        ctx.store.get(key).await.unwrap().unwrap() == want,
        "read back whole"
    );
    let ops: Vec<&str> = proxy
        .seen()
        .iter()
        .map(|s| s.operation)
        .filter(|o| o.contains("Multipart") || *o == "UploadPart")
        .collect();
    assert_eq!(
        ops,
        [
            "CreateMultipartUpload",
            "UploadPart",
            "UploadPart",
            "UploadPart",
            "CompleteMultipartUpload"
        ]
    );
}
