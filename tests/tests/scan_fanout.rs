//! S3 Inventory fan-out through the real scan path: one unit per data file of the report
//! (CSV and Parquet), each read in several tasks from a record offset, every object counted
//! exactly once; and an incremental scan whose keys are spread over file units still
//! finds exactly the changed, new and deleted objects (deletions shard by shard, unchanged
//! results carried forward); and a chain task queued by the version before file units
//! finishes its report after an upgrade.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::inventory_reports::{
    csv_row, csv_row_at, gzip, parquet_file, put_report, ParquetRow, Report, CSV_SCHEMA,
    PARQUET_SCHEMA,
};
use integration_tests::scanning::{
    bucket_named as bucket, new_bucket, now_ms, put, read_by_this_scan, run_scan, scan_context,
};
use integration_tests::Emulator;
use s3connector::scan::bucket_finish::shard_of;
use s3connector::scan::plan::Plan;
use s3connector::scan::report::{BucketReport, BucketStatus, Enumeration, ScanReport, SizeSource};
use serde_json::{json, Value};

/// Runs a scan; returns the plan, the report and the tasks worked per unit id.
async fn scan(
    ctx: &s3connector::scan::context::ScanContext,
    config: Value,
) -> (Plan, ScanReport, BTreeMap<String, usize>) {
    let mut tasks: BTreeMap<String, usize> = BTreeMap::new();
    let (plan, report) = run_scan(ctx, config, |t| {
        *tasks.entry(t.unit.id.clone()).or_default() += 1;
    })
    .await;
    (plan, report, tasks)
}

fn keys_of(b: &BucketReport) -> Vec<String> {
    b.objects.iter().map(|o| o.metadata.key.clone()).collect()
}

#[tokio::test]
async fn each_inventory_data_file_is_a_unit_and_every_object_is_counted_once() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let ctx = scan_context(&clients, "it-fan-out").await;
    let csv_src = new_bucket(&clients, "it-fan-csv").await;
    let pq_src = new_bucket(&clients, "it-fan-pq").await;
    let dest = new_bucket(&clients, "it-fan-inv").await;

    // CSV: ten objects over three data files, out of key order across and within files.
    let mut csv_rows = BTreeMap::new();
    for i in 0..10 {
        let key = format!("{}/obj {i:02}.txt", ["z", "a", "m"][i % 3]);
        let etag = put(&clients, &csv_src, &key, format!("line {i}\n")).await;
        csv_rows.insert(key.clone(), csv_row(&csv_src, &key, 7, &etag));
    }
    let rows: Vec<&String> = csv_rows.values().rev().collect();
    let files = [&rows[..4], &rows[4..7], &rows[7..]]
        .map(|f| gzip(&f.iter().map(|r| r.as_str()).collect::<String>()))
        .to_vec();
    let csv_prefix = format!("inv/{csv_src}/daily/");
    let report = Report {
        source: &csv_src,
        stamp: "2026-12-07T01-00Z",
        created_ms: now_ms() - 3_600_000,
        format: "CSV",
        schema: CSV_SCHEMA,
    };
    put_report(&clients.s3(), &dest, &csv_prefix, &report, files).await;
    // Written after the report: a listing would see it, the inventory does not.
    put(&clients, &csv_src, "late.txt", "after the report\n").await;

    // Parquet: six objects over two data files.
    let mut pq_keys = Vec::new();
    let mut pq_rows = Vec::new();
    for i in 0..6 {
        let key = format!("p/{i}.txt");
        let body = format!("parquet row {i}\n");
        let etag = put(&clients, &pq_src, &key, body.clone()).await;
        pq_keys.push(key);
        pq_rows.push((body.len() as i64, etag));
    }
    let row = |i: usize| ParquetRow {
        key: &pq_keys[i],
        size: pq_rows[i].0,
        etag: &pq_rows[i].1,
        modified_ms: 1_795_428_000_000,
    };
    let pq_files = vec![
        parquet_file(&pq_src, &[row(5), row(0), row(3)]),
        parquet_file(&pq_src, &[row(1), row(4), row(2)]),
    ];
    let pq_prefix = format!("inv/{pq_src}/weekly/");
    let report = Report {
        source: &pq_src,
        stamp: "2026-12-07T02-00Z",
        created_ms: now_ms() - 3_600_000,
        format: "Parquet",
        schema: PARQUET_SCHEMA,
    };
    put_report(&clients.s3(), &dest, &pq_prefix, &report, pq_files).await;

    let (plan, report, tasks) = scan(
        &ctx,
        json!({"buckets": {"include": [csv_src, pq_src]}, "slices_per_task": 1,
               "inventories": [
                   {"bucket": csv_src, "id": "daily", "destination_bucket": dest,
                    "destination_prefix": "inv", "records_per_task": 2},
                   {"bucket": pq_src, "id": "weekly", "destination_bucket": dest,
                    "destination_prefix": "inv", "records_per_task": 2}]}),
    )
    .await;
    let units_of = |b: &str| -> Vec<&s3connector::scan::task::Unit> {
        plan.units.iter().filter(|u| u.bucket == b).collect()
    };
    assert_eq!(units_of(&csv_src).len(), 3, "one unit per CSV data file");
    assert_eq!(units_of(&pq_src).len(), 2, "one unit per Parquet data file");
    assert!(units_of(&csv_src).iter().all(|u| u.inventory.is_some()));
    // A file of four records at two per slice takes two tasks (and a third that finds
    // the end): the file is read on from a record offset, in new tasks.
    let biggest = units_of(&csv_src)
        .iter()
        .map(|u| tasks.get(&u.id).copied().unwrap_or(0))
        .max()
        .unwrap();
    assert!(
        biggest >= 2,
        "continuations from a record offset: {tasks:?}"
    );
    assert!(
        plan.units.iter().all(|u| tasks.contains_key(&u.id)),
        "every file unit worked: {tasks:?}"
    );
    // Then each bucket's keys are compared shard by shard, one task per shard (16 by
    // default), and nothing else is queued.
    for src in [&csv_src, &pq_src] {
        let scope = units_of(src)[0].bucket_scope_id();
        assert_eq!(tasks[&scope], 16, "{tasks:?}");
    }
    assert_eq!(tasks.len(), 5 + 2, "{tasks:?}");

    let b = bucket(&report, &csv_src);
    let expected: Vec<String> = csv_rows.keys().cloned().collect();
    assert_eq!(keys_of(b), expected, "every CSV object once, nothing else");
    assert_eq!(b.totals.objects_seen, 10, "each object counted once");
    assert_eq!(b.totals.objects_classified, 10);
    assert_eq!(b.status, BucketStatus::Complete);
    assert_eq!(b.metadata.object_count, Some(10), "summed over the files");
    assert_eq!(b.metadata.size_source, Some(SizeSource::Inventory));
    assert!(matches!(b.enumeration, Enumeration::Inventory { .. }));

    let p = bucket(&report, &pq_src);
    let mut expected = pq_keys.clone();
    expected.sort();
    assert_eq!(keys_of(p), expected, "every Parquet object once");
    assert_eq!(p.totals.objects_seen, 6);
    assert_eq!(p.metadata.object_count, Some(6));
    assert_eq!(p.status, BucketStatus::Complete);
}

#[tokio::test]
async fn incremental_scan_over_file_units_finds_changed_new_and_deleted_objects() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let ctx = scan_context(&clients, "it-fan-incr").await;
    let src = new_bucket(&clients, "it-fan-src").await;
    let dest = new_bucket(&clients, "it-fan-dst").await;
    let prefix = format!("inv/{src}/daily/");
    let config = json!({"buckets": {"include": [src]}, "mode": "incremental",
        "inventories": [{"bucket": src, "id": "daily", "destination_bucket": dest,
                         "destination_prefix": "inv", "records_per_task": 3,
                         "max_age_hours": 72, "deletion_shards": 4}]});
    let mut etags = BTreeMap::new();
    for i in 0..9 {
        let key = format!("k{i}.txt");
        etags.insert(
            key.clone(),
            put(&clients, &src, &key, format!("v{i}\n")).await,
        );
    }
    let rows = |etags: &BTreeMap<String, String>,
                keys: &[&str],
                fresh: &BTreeSet<&str>,
                modified: &str|
     -> String {
        keys.iter()
            .map(|k| {
                let at = if fresh.contains(k) {
                    modified
                } else {
                    "2026-11-20T08:00:00.000Z"
                };
                csv_row_at(&src, k, 3, &etags[*k], at)
            })
            .collect()
    };
    let first = Report {
        source: &src,
        stamp: "2026-12-05T01-00Z",
        created_ms: now_ms() - 50 * 3_600_000,
        format: "CSV",
        schema: CSV_SCHEMA,
    };
    let none = BTreeSet::new();
    let files = vec![
        gzip(&rows(&etags, &["k0.txt", "k5.txt", "k3.txt"], &none, "")),
        gzip(&rows(&etags, &["k8.txt", "k1.txt"], &none, "")),
        gzip(&rows(
            &etags,
            &["k2.txt", "k7.txt", "k4.txt", "k6.txt"],
            &none,
            "",
        )),
    ];
    put_report(&clients.s3(), &dest, &prefix, &first, files).await;
    let (_, r1, _) = scan(&ctx, config.clone()).await;
    let b = bucket(&r1, &src);
    assert_eq!(b.totals.objects_classified, 9, "no baseline yet: all read");
    assert!(b.deleted.is_empty());

    // Since: k4 rewritten, k9 new, k1 and k6 deleted; the keys fall into other files.
    etags.insert(
        "k4.txt".into(),
        put(&clients, &src, "k4.txt", "v4 new\n").await,
    );
    etags.insert("k9.txt".into(), put(&clients, &src, "k9.txt", "v9\n").await);
    let recent = crate_rfc3339(now_ms() - 3_600_000);
    let fresh: BTreeSet<&str> = ["k4.txt", "k9.txt"].into();
    let second = Report {
        stamp: "2026-12-07T01-00Z",
        created_ms: now_ms() - 1_800_000,
        ..first
    };
    let files = vec![
        gzip(&rows(&etags, &["k9.txt", "k7.txt"], &fresh, &recent)),
        gzip(&rows(
            &etags,
            &["k3.txt", "k2.txt", "k0.txt", "k4.txt"],
            &fresh,
            &recent,
        )),
        gzip(&rows(&etags, &["k5.txt", "k8.txt"], &fresh, &recent)),
    ];
    put_report(&clients.s3(), &dest, &prefix, &second, files).await;
    let (plan, r2, tasks) = scan(&ctx, config.clone()).await;
    assert_eq!(plan.units.len(), 3);
    let scope = plan.units[0].bucket_scope_id();
    assert_eq!(tasks[&scope], 4, "one task per shard of the keys");
    let b = bucket(&r2, &src);
    assert_eq!(
        read_by_this_scan(b),
        ["k4.txt", "k9.txt"],
        "only the changed and the new"
    );
    // The unchanged objects' results come forward from the first scan (its shard files).
    assert_eq!(b.totals.objects_carried, 6);
    let carried: BTreeSet<&str> = b
        .objects
        .iter()
        .filter(|o| o.carried_from.as_deref() == Some(r1.scan_id.as_str()))
        .map(|o| o.metadata.key.as_str())
        .collect();
    assert_eq!(
        carried,
        ["k0.txt", "k2.txt", "k3.txt", "k5.txt", "k7.txt", "k8.txt"].into()
    );
    let deleted: Vec<&str> = b.deleted.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(deleted, ["k1.txt", "k6.txt"], "deletions across file units");
    assert_ne!(
        shard_of("k1.txt", 4),
        shard_of("k6.txt", 4),
        "the deletions were found by different shard tasks"
    );
    assert_eq!(b.totals.objects_seen, 8);
    assert_eq!(b.totals.objects_not_selected, 6);
    assert_eq!(b.status, BucketStatus::Complete);

    // k0 and k8 deleted, and the keys now split in 3 shards: the baseline's 4 shard
    // files do not match, so each shard task reads the baseline's part files and keeps
    // its own shard's keys.
    let third = Report {
        stamp: "2026-12-07T02-00Z",
        created_ms: now_ms() - 900_000,
        ..first
    };
    let files = vec![
        gzip(&rows(&etags, &["k9.txt", "k7.txt", "k2.txt"], &none, "")),
        gzip(&rows(&etags, &["k3.txt", "k4.txt", "k5.txt"], &none, "")),
    ];
    put_report(&clients.s3(), &dest, &prefix, &third, files).await;
    let mut config = config;
    config["inventories"][0]["deletion_shards"] = json!(3);
    let (_, r3, tasks) = scan(&ctx, config).await;
    assert_eq!(tasks[&scope], 3);
    let b = bucket(&r3, &src);
    assert!(
        read_by_this_scan(b).is_empty(),
        "nothing changed: {:?}",
        keys_of(b)
    );
    // Results come forward through the part files too, each from the scan that read it.
    assert_eq!(b.totals.objects_carried, 6);
    let from = |k: &str| {
        b.objects
            .iter()
            .find(|o| o.metadata.key == k)
            .and_then(|o| o.carried_from.clone())
    };
    assert_eq!(from("k2.txt"), Some(r1.scan_id.clone()));
    assert_eq!(from("k9.txt"), Some(r2.scan_id.clone()));
    let deleted: Vec<&str> = b.deleted.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(deleted, ["k0.txt", "k8.txt"]);
    assert_ne!(shard_of("k0.txt", 3), shard_of("k8.txt", 3));
    assert_eq!(b.totals.objects_seen, 6);
    assert_eq!(b.status, BucketStatus::Complete);
}

/// RFC 3339 (UTC, milliseconds) of epoch milliseconds, as S3 Inventory writes times.
fn crate_rfc3339(ms: i64) -> String {
    s3connector::reject::rfc3339(ms)
}

#[tokio::test]
async fn a_chain_task_queued_before_file_units_finishes_its_report_after_an_upgrade() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let ctx = scan_context(&clients, "it-fan-old").await;
    let src = new_bucket(&clients, "it-fan-old-src").await;
    let dest = new_bucket(&clients, "it-fan-old-inv").await;
    // Nine objects, three a data file, each file out of key order (so reading the report
    // on and listing after the last key read give different keys).
    let mut keys = Vec::new();
    let mut files = Vec::new();
    for f in 0..3 {
        let mut text = String::new();
        for r in (0..3).rev() {
            let key = format!("f{f}/r{r}.txt");
            let etag = put(&clients, &src, &key, "x\n").await;
            text.push_str(&csv_row(&src, &key, 2, &etag));
            keys.push(key);
        }
        files.push(gzip(&text));
    }
    let prefix = format!("inv/{src}/daily/");
    let stamp = "2026-12-07T01-00Z";
    let report = Report {
        source: &src,
        stamp,
        created_ms: now_ms() - 3_600_000,
        format: "CSV",
        schema: CSV_SCHEMA,
    };
    put_report(&clients.s3(), &dest, &prefix, &report, files).await;
    // The scan as the old version planned it: one listed unit for the bucket.
    let config =
        s3connector::scan::config::ScanConfig::from_value(json!({"buckets": {"include": [src]}}))
            .unwrap();
    let plan = s3connector::scan::plan::plan(&ctx, config).await.unwrap();
    assert!(
        ctx.queue.pop().is_some(),
        "the plan's first task, replaced below"
    );
    let unit = &plan.units[0];
    // Its second slice as the old version queued it: slice 0 read the first two records
    // of data file 0 with the report pinned; the cursor carries `unordered`.
    let old: s3connector::scan::task::Task = serde_json::from_value(json!({
        "scan_id": plan.scan_id, "started_at": plan.started_at,
        "config": {"buckets": {"include": [src]}, "slices_per_task": 1,
                   "inventories": [{"bucket": src, "id": "daily", "destination_bucket": dest,
                                    "destination_prefix": "inv", "records_per_task": 2}]},
        "unit": {"id": unit.id, "bucket": src, "region": "us-east-1", "prefix": "",
                 "root_only": false},
        "slice": 1,
        "start_after": "f0/r1.txt",
        "inventory": {"report": {"bucket": dest, "folder": format!("{prefix}{stamp}/"),
                                 "created_at": "2026-12-07T01:00:00.000Z"},
                      "position": {"file": 0, "record": 2, "objects": 2, "bytes": 4},
                      "unordered": false}
    }))
    .expect("the old task shape is accepted");
    assert!(old.is_legacy_inventory_chain());
    ctx.queue.send(old).await.unwrap();
    let mut tasks = 0;
    while let Some(t) = ctx.queue.pop() {
        tasks += 1;
        s3connector::scan::work::run_task(&ctx, t, None)
            .await
            .expect("task");
    }
    assert_eq!(tasks, 4, "records 2.. of the report, two a slice");
    let raw = ctx
        .store
        .get(&s3connector::scan::finalize::report_key(&plan.scan_id))
        .await
        .unwrap()
        .expect("the chain finished the scan");
    let r: ScanReport = serde_json::from_slice(&raw).unwrap();
    let b = bucket(&r, &src);
    // Everything after the cursor in the report, each once (the report sorts by key);
    // a listing after the last key read would have taken f0/r2 instead of f0/r0.
    let mut after_cursor = keys[2..].to_vec();
    after_cursor.sort();
    assert_eq!(keys_of(b), after_cursor);
    assert_eq!(b.totals.objects_classified, 7);
    // Its slices are in report order, not key order: no checkpoint is kept from them.
    let checkpoint = ctx
        .store
        .get(&s3connector::scan::plan::checkpoint_key(&unit.id))
        .await
        .unwrap();
    assert!(checkpoint.is_none());
}
