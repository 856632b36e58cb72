//! Buckets named outright with several accounts: every account tries every name, and a
//! name is one bucket. It is scanned once, through an account that can read it; another
//! account's denial is reported on that bucket with the role and the action to grant,
//! not dropped. moto does not enforce IAM: the denial comes from the fault proxy.

use integration_tests::fault_proxy::{Fault, FaultProxy};
use integration_tests::scanning::{bucket_named, new_bucket, put, run_scan};
use integration_tests::Emulator;
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::report::BucketStatus;
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use serde_json::json;

const ROLE_A: &str = "arn:aws:iam::111111111111:role/scan-a";
const ROLE_B: &str = "arn:aws:iam::222222222222:role/scan-b";

#[tokio::test]
async fn a_named_bucket_is_scanned_once_and_another_accounts_denial_is_reported() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(&emu.endpoint);
    let clients = emu.clients_via(&proxy.url).await;
    let denied = new_bucket(&clients, "it-accounts-denied").await;
    let shared = new_bucket(&clients, "it-accounts-shared").await;
    let nobody = new_bucket(&clients, "it-accounts-nobody").await;
    put(&clients, &denied, "a.txt", "hello\n").await;
    put(&clients, &shared, "b.txt", "hello\n").await;
    put(&clients, &nobody, "c.txt", "hello\n").await;
    let config = json!({
        "accounts": [{"role_arn": ROLE_A}, {"role_arn": ROLE_B}],
        "buckets": {"include": [denied, shared, nobody]}});
    let accounts = ScanConfig::from_value(config.clone()).unwrap().accounts;
    let store = Store::S3 {
        client: clients.s3(),
        bucket: new_bucket(&clients, "it-accounts-out").await,
        prefix: String::new(),
    };
    let ctx = ScanContext::new(clients.clone(), accounts, store, TaskQueue::memory());
    // The plan tries the accounts in order, and each checks a bucket's objects can be
    // listed with one ListObjectsV2: the first account (role A) is denied `denied`, both
    // are denied `nobody`; `shared` both can read.
    proxy.inject("ListObjectsV2", &denied, Fault::AccessDenied, 1);
    proxy.inject("ListObjectsV2", &nobody, Fault::AccessDenied, 2);

    let (plan, report) = run_scan(&ctx, config, |_| {}).await;
    assert_eq!(report.buckets.len(), 3, "each name once");
    assert_eq!(plan.units.len(), 2, "one unit per readable bucket");

    // Read through role B; role A's denial is on the bucket, with the action to grant.
    let b = bucket_named(&report, &denied);
    assert_eq!(b.status, BucketStatus::Complete, "{:?}", b.errors);
    assert_eq!(b.totals.objects_seen, 1);
    assert_eq!(b.errors.len(), 1, "{:?}", b.errors);
    let e = &b.errors[0];
    assert_eq!(e.code.as_deref(), Some("AccessDenied"));
    assert_eq!(e.action.as_deref(), Some("s3:ListBucket"));
    assert!(e.message.contains(ROLE_A), "{}", e.message);
    let planned = plan.buckets.iter().find(|p| p.name == denied).unwrap();
    assert_eq!(planned.role_arn.as_deref(), Some(ROLE_B));

    // Readable by both: scanned once (through the first), nothing to report.
    let s = bucket_named(&report, &shared);
    assert_eq!(s.totals.objects_seen, 1);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let planned = plan.buckets.iter().find(|p| p.name == shared).unwrap();
    assert_eq!(planned.role_arn.as_deref(), Some(ROLE_A));

    // Readable by neither: unreadable once, with both denials.
    let n = bucket_named(&report, &nobody);
    assert_eq!(n.status, BucketStatus::Failed);
    assert_eq!(n.errors.len(), 2, "{:?}", n.errors);
    assert!(n.errors.iter().any(|e| e.message.contains(ROLE_B)));
    assert!(n
        .errors
        .iter()
        .all(|e| e.code.as_deref() == Some("AccessDenied")));
}
