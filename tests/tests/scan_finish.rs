//! The scan's reports are written exactly once even when the task that wins the report
//! lock fails while writing them: its redelivered task resumes and finishes, and no
//! other task writes them. The failure is injected by the loopback fault proxy between
//! the SDK and the emulator.

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::fault_proxy::{Fault, FaultProxy};
use integration_tests::{unique_name, Emulator};
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::finalize::{finish_if_last, lock_key, LockState, ReportsLock};
use s3connector::scan::report::ReportFile;
use s3connector::scan::reports::report_file_key;
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use s3connector::scan::{plan, work};
use serde_json::json;

#[tokio::test]
async fn lock_winner_failing_mid_write_is_resumed_by_its_redelivered_task_only() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(&emu.endpoint);
    let clients = emu.clients_via(&proxy.url).await;
    let s3 = clients.s3();
    let data = unique_name("it-finish-data");
    let out = unique_name("it-finish-out");
    for b in [&data, &out] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    for key in ["a.txt", "b.txt"] {
        s3.put_object()
            .bucket(&data)
            .key(key)
            .body(ByteStream::from_static(b"nothing sensitive\n"))
            .send()
            .await
            .unwrap();
    }
    let store = Store::S3 {
        client: s3.clone(),
        bucket: out.clone(),
        prefix: String::new(),
    };
    let ctx = ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory());
    let config = ScanConfig::from_value(json!({"buckets": {"include": [data]}})).unwrap();
    let planned = plan::plan(&ctx, config).await.unwrap();
    let scan_id = planned.scan_id.clone();
    let task = ctx.queue.pop().expect("one task");
    assert!(ctx.queue.pop().is_none());

    // report.html is the last file written: every attempt to store it fails (the SDK's
    // retries included), after the lock was won and the other three were stored.
    proxy.inject("PutObject", "report.html", Fault::InternalError, 1000);
    let failed = work::run_task(&ctx, task.clone(), None).await;
    let err = failed.expect_err("the write of report.html failed");
    assert!(err.is_transient(), "retried through SQS: {err}");
    let lock: ReportsLock = ctx
        .store
        .get_json(&lock_key(&scan_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lock.state, LockState::Writing);
    let html = report_file_key(&scan_id, ReportFile::Html);
    assert!(ctx.store.get(&html).await.unwrap().is_none());
    proxy.heal();

    // Another finisher (a later unit, a duplicate of the plan's call) leaves them alone.
    assert!(!finish_if_last(&ctx, &scan_id, "someone-else")
        .await
        .unwrap());
    assert!(ctx.store.get(&html).await.unwrap().is_none());

    // SQS delivers the failed task again: it resumes and writes every report.
    let again = work::run_task(&ctx, task.clone(), None).await.unwrap();
    assert!(again.reports_written);
    for file in ReportFile::ALL {
        let key = report_file_key(&scan_id, file);
        assert!(ctx.store.get(&key).await.unwrap().is_some(), "{key}");
    }
    let lock: ReportsLock = ctx
        .store
        .get_json(&lock_key(&scan_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lock.state, LockState::Done);
    assert_eq!(
        lock.owner,
        s3connector::scan::finalize::owner_of(&task.unit.id, 0)
    );

    // A third delivery (SQS delivers at least once) writes nothing more.
    let third = work::run_task(&ctx, task, None).await.unwrap();
    assert!(!third.reports_written);
    let puts_of_html = proxy
        .seen()
        .iter()
        .filter(|s| {
            s.operation == "PutObject" && s.path.contains("report.html") && s.fault.is_none()
        })
        .count();
    assert_eq!(puts_of_html, 1, "report.html stored once");
}
