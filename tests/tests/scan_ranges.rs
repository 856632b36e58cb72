//! A listed unit of more than one page is listed by key ranges in parallel: its first
//! slice finds the folders to cut by, the rest of the unit is listed range by range, and
//! its continuations carry the ranges. Every key is recorded once, in the listing's
//! order, whether the slices run in one task or one task each, with keys on both sides
//! of every cut, keys with and without '/', and ranges that hold no key; an incremental
//! scan over ranged slices finds exactly what changed.

use std::collections::BTreeSet;

use integration_tests::scanning::{delete, new_bucket, put, read_by_this_scan, run_scan};
use integration_tests::Emulator;
use s3connector::aws::Clients;
use s3connector::scan::context::ScanContext;
use s3connector::scan::report::ScanReport;
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use serde_json::json;

/// Keys around every cut the bucket's folders give (groups `logs/0/`, `logs/1/`,
/// `logs/10`, `logs/3/`, `logs/9/`, `logs/ü/`): before the first group, exactly a
/// group's folder name, a folder marker, keys between groups with no folder of their own,
/// after the last group, and outside `logs/` altogether. Nothing lies between `logs/3/`
/// and `logs/9/` (an empty range).
const KEYS: &[&str] = &[
    "a.txt",
    "logs",
    "logs/",
    "logs/.hidden",
    "logs/0",
    "logs/0/a.txt",
    "logs/0/b c+d.txt",
    "logs/0/sub/c.txt",
    "logs/00.txt",
    "logs/1",
    "logs/1/",
    "logs/1-x.txt",
    "logs/1/a.txt",
    "logs/10/a.txt",
    "logs/2.txt",
    "logs/3/a.txt",
    "logs/3/b.txt",
    "logs/9/a.txt",
    "logs/a.txt",
    "logs/ü/a.txt",
    "logs/ü/b.txt",
    "logs/ü0.txt",
    "logs/zz.txt",
    "logs0",
    "zz.txt",
];

async fn listing(clients: &Clients, bucket: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .s3()
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from)),
        );
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => return keys,
        }
    }
}

/// Runs a scan of `bucket`; returns the report and the ranges its tasks carried.
async fn scan(
    ctx: &ScanContext,
    bucket: &str,
    mode: &str,
    slices_per_task: u32,
) -> (ScanReport, Vec<Vec<String>>) {
    let mut ranges = Vec::new();
    let (_, report) = run_scan(
        ctx,
        json!({"buckets": {"include": [bucket]}, "objects_per_task": 3, "mode": mode,
               "slices_per_task": slices_per_task}),
        |task| ranges.push(task.ranges.clone()),
    )
    .await;
    (report, ranges)
}

/// The keys the report records, in report order; each once.
fn recorded(report: &ScanReport) -> Vec<String> {
    let keys: Vec<String> = report.buckets[0]
        .objects
        .iter()
        .map(|o| o.metadata.key.clone())
        .collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "a key was recorded twice: {keys:?}"
    );
    keys
}

#[tokio::test]
async fn key_ranges_cover_the_unit_once_across_tasks_and_incremental_scans() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = new_bucket(&clients, "it-ranges").await;
    for (i, key) in KEYS.iter().enumerate() {
        put(&clients, &bucket, key, format!("row {i}\n")).await;
    }
    let store = Store::S3 {
        client: clients.s3(),
        bucket: new_bucket(&clients, "it-ranges-out").await,
        prefix: String::new(),
    };
    let ctx = ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory());
    let listed = listing(&clients, &bucket).await;
    assert_eq!(listed.len(), KEYS.len());
    // `logs/` is the root's only folder: its folders are cut at two characters, the
    // longest cut with no more groups than folders.
    let groups = [
        "logs/0/", "logs/1/", "logs/10", "logs/3/", "logs/9/", "logs/ü/",
    ];

    // Every slice in a task of its own: each continuation starts a new listing from its
    // start key with the ranges its task carries.
    let (report, ranges) = scan(&ctx, &bucket, "full", 1).await;
    assert_eq!(
        recorded(&report),
        listed,
        "the listing's keys, in its order"
    );
    assert_eq!(report.buckets[0].totals.objects_seen, KEYS.len() as u64);
    assert!(ranges[0].is_empty(), "the first task has no ranges yet");
    assert_eq!(ranges.len(), KEYS.len().div_ceil(3), "3 keys a slice");
    for r in &ranges[1..] {
        assert_eq!(r, &groups, "continuations carry the ranges found");
    }

    // All slices in one task: one lister, its ranges listed ahead.
    let (report, ranges) = scan(&ctx, &bucket, "incremental", 0).await;
    assert_eq!(recorded(&report), listed);
    assert_eq!(ranges.len(), 1);

    // Incremental over ranged slices: a key added in a gap and one in a group, one
    // deleted at a cut, one changed in the last gap.
    put(&clients, &bucket, "logs/5.txt", "new\n").await;
    put(&clients, &bucket, "logs/3/c.txt", "new\n").await;
    delete(&clients, &bucket, "logs/1").await;
    put(&clients, &bucket, "logs/zz.txt", "changed\n").await;
    let (report, _) = scan(&ctx, &bucket, "incremental", 1).await;
    let b = &report.buckets[0];
    assert_eq!(
        read_by_this_scan(b),
        ["logs/3/c.txt", "logs/5.txt", "logs/zz.txt"]
    );
    let deleted: Vec<&str> = b.deleted.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(deleted, ["logs/1"]);
    assert_eq!(recorded(&report), listing(&clients, &bucket).await);
}

#[tokio::test]
async fn a_unit_of_one_page_or_without_folders_is_listed_as_one_range() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let store = Store::S3 {
        client: clients.s3(),
        bucket: new_bucket(&clients, "it-ranges-out").await,
        prefix: String::new(),
    };
    let ctx = ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory());
    // Flat keys: no folder to cut by.
    let flat = new_bucket(&clients, "it-ranges-flat").await;
    for i in 0..7 {
        put(&clients, &flat, &format!("k{i}.txt"), "x\n").await;
    }
    let (report, ranges) = scan(&ctx, &flat, "full", 1).await;
    assert_eq!(recorded(&report), listing(&clients, &flat).await);
    assert!(ranges.iter().all(Vec::is_empty), "{ranges:?}");
    // One page: the listing ends before any range is looked for.
    let small = new_bucket(&clients, "it-ranges-small").await;
    for key in ["a/1.txt", "b/2.txt"] {
        put(&clients, &small, key, "x\n").await;
    }
    let (report, ranges) = scan(&ctx, &small, "full", 1).await;
    assert_eq!(recorded(&report), ["a/1.txt", "b/2.txt"]);
    assert_eq!(ranges, [Vec::<String>::new()]);
}
