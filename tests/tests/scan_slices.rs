//! A unit may take any number of slices: a task carries its continuation and one index
//! into the baseline, never the list of slice bounds, so its message stays the same size
//! however far the unit has gone (SQS takes 256 KB). An incremental scan sliced
//! differently from its baseline still finds exactly the changed, new and deleted objects.

use integration_tests::scanning::{put, read_by_this_scan, run_scan};
use integration_tests::{unique_name, Emulator};
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::report::ScanReport;
use s3connector::scan::store::Store;
use s3connector::scan::task::{TaskMessage, TaskQueue};
use serde_json::json;

/// Runs a scan; returns the report, the number of tasks and the largest SQS message
/// body among them, less the length of its start key (which varies with the keys).
async fn scan(ctx: &ScanContext, bucket: &str, per_task: u32) -> (ScanReport, usize, usize) {
    let config = json!({
        "buckets": {"include": [bucket]}, "mode": "incremental", "objects_per_task": per_task,
        "slices_per_task": 1});
    let (mut tasks, mut largest) = (0, 0);
    let (_, report) = run_scan(ctx, config, |task| {
        let key_len = task.start_after.as_deref().map_or(0, str::len);
        let body = serde_json::to_string(&TaskMessage {
            s3connector_scan_task: task.clone(),
        })
        .unwrap();
        largest = largest.max(body.len() - key_len);
        tasks += 1;
    })
    .await;
    (report, tasks, largest)
}

#[tokio::test]
async fn task_messages_stay_small_over_many_slices_and_incremental_scans_reslice_correctly() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    let data = unique_name("it-slices-data");
    let out = unique_name("it-slices-out");
    for b in [&data, &out] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    for i in 0..40 {
        put(
            &clients,
            &data,
            &format!("k{i:02}.txt"),
            format!("value {i}\n"),
        )
        .await;
    }
    let store = Store::S3 {
        client: s3.clone(),
        bucket: out,
        prefix: String::new(),
    };
    let ctx = ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory());

    // One object per slice: 40 slices (the last one finds the listing's end).
    let (first, tasks, largest) = scan(&ctx, &data, 1).await;
    assert_eq!(tasks, 40);
    assert_eq!(first.buckets[0].totals.objects_classified, 40);
    // The first task's body is the smallest possible; a later one grows only by digits
    // of its slice number and baseline index, never by a list of bounds (40 of them
    // would add over 400 bytes).
    let one_task = first_task_size(&data);
    assert!(
        largest < one_task + 64,
        "largest task message {largest} bytes, first {one_task}"
    );

    // Change one, delete two, add one; rescan with a different slice size.
    put(&clients, &data, "k05.txt", "changed\n").await;
    for k in ["k17.txt", "k33.txt"] {
        s3.delete_object()
            .bucket(&data)
            .key(k)
            .send()
            .await
            .unwrap();
    }
    put(&clients, &data, "k40.txt", "new\n").await;
    let (second, _, _) = scan(&ctx, &data, 7).await;
    let b = &second.buckets[0];
    assert_eq!(read_by_this_scan(b), ["k05.txt", "k40.txt"]);
    // The 37 unchanged objects' results come forward, from baseline parts of other
    // slice bounds (1 object a slice then, 7 now).
    assert_eq!(b.totals.objects_carried, 37);
    let deleted: Vec<&str> = b.deleted.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(deleted, ["k17.txt", "k33.txt"]);
    assert_eq!(b.totals.objects_seen, 39);
    assert_eq!(b.totals.objects_not_selected, 37);
}

/// The message of a first task of this bucket (slice 0, no start key, no baseline).
fn first_task_size(bucket: &str) -> usize {
    let unit = s3connector::scan::task::Unit::new(None, None, bucket, "us-east-1", "", false);
    let config = ScanConfig::from_value(json!({
        "buckets": {"include": [bucket]}, "mode": "incremental", "objects_per_task": 1}))
    .unwrap();
    let task = s3connector::scan::task::Task {
        scan_id: "20261207T000000Z-00000000".into(),
        started_at: "2026-12-07T00:00:00.000Z".into(),
        config,
        unit,
        slice: 0,
        start_after: None,
        baseline: Some(s3connector::scan::task::Baseline {
            scan_id: "20261207T000000Z-00000000".into(),
            slices: 40,
            changed_since: None,
        }),
        folders: Vec::new(),
        baseline_part: 0,
        inventory: None,
        read_manifest: true,
        shard: None,
        ranges: Vec::new(),
    };
    let body = serde_json::to_string(&TaskMessage {
        s3connector_scan_task: task,
    })
    .unwrap();
    body.len()
}
