//! Scans against the emulator: planted values found with the right detector and location
//! (text, CSV, NDJSON, gzip), nothing in clean files; incremental scans after a change and
//! a deletion; continuation across slices with no object missed or counted twice; and a
//! bucket the role cannot read, reported with its error code and the action to grant.

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::fake_aws::FakeAws;
use integration_tests::fault_proxy::{Fault, FaultProxy};
use integration_tests::scanning::{
    delete, new_bucket, put, read_by_this_scan, run_scan, scan_context,
};
use integration_tests::{samples, unique_name, Emulator};
use s3connector::aws::Clients;
use s3connector::scan::context::ScanContext;
use s3connector::scan::finalize::{lock_key, report_key};
use s3connector::scan::report::ReportFile;
use s3connector::scan::report::{BucketStatus, ObjectStatus, ScanReport, Sensitivity, SkipReason};
use s3connector::scan::reports::report_file_key;
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use serde_json::{json, Value};

/// Runs a whole scan with tasks in memory; returns the report and the text of all four
/// report files (report.json, findings.csv, findings.ocsf.json, report.html) together.
async fn scan(ctx: &ScanContext, config: Value) -> (ScanReport, String) {
    let (plan, report) = run_scan(ctx, config, |_| {}).await;
    let mut text = String::new();
    for file in ReportFile::ALL {
        let bytes = ctx
            .store
            .get(&report_file_key(&plan.scan_id, file))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the last task wrote {}", file.name()));
        text.push_str(&String::from_utf8(bytes).unwrap());
    }
    (report, text)
}

/// A context whose store is an output bucket in the emulator (conditional writes and all).
async fn context(emu: &Emulator) -> (ScanContext, Clients) {
    let clients = emu.clients().await;
    (scan_context(&clients, "it-scan-out").await, clients)
}

fn findings_of<'a>(report: &'a ScanReport, bucket: &str, key: &str) -> Vec<(&'a str, u64, u64)> {
    report
        .buckets
        .iter()
        .filter(|b| b.name == bucket)
        .flat_map(|b| &b.objects)
        .filter(|o| o.metadata.key == key)
        .flat_map(|o| &o.findings)
        .flat_map(|f| {
            f.locations
                .iter()
                .map(move |l| (f.detector.as_str(), l.line, l.column))
        })
        .collect()
}

#[tokio::test]
async fn full_scan_finds_planted_values_where_they_are_and_nothing_in_clean_files() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let data = new_bucket(&clients, "it-scan-data").await;
    let clean = new_bucket(&clients, "it-scan-clean").await;
    let [email, card, key, _] = samples::PLANTED.map(|(_, v)| v);
    put(
        &clients,
        &data,
        "notes/planted.txt",
        samples::planted_text().into_bytes(),
    )
    .await;
    put(
        &clients,
        &data,
        "exports/customers.csv",
        format!("id,name,card\n1,Ann,{card}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &data,
        "events/2026/signups.ndjson",
        format!("{{\"event\":\"signup\",\"user\":\"bob\"}}\n{{\"event\":\"signup\",\"email\":\"{email}\"}}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &data,
        "logs/app.log.gz",
        samples::gzip(format!("boot ok\nconfig loaded\naws_access_key_id = {key}\n").as_bytes()),
    )
    .await;
    put(
        &clients,
        &data,
        "docs/readme.txt",
        b"Nothing sensitive here.\nBuild 1.4.22 passed.\n".to_vec(),
    )
    .await;
    put(
        &clients,
        &clean,
        "a/metrics.csv",
        b"host,cpu\nweb-1,0.42\nweb-2,0.17\n".to_vec(),
    )
    .await;

    let (report, text) = scan(&ctx, json!({"buckets": {"include": [data, clean]}})).await;

    let planted = findings_of(&report, &data, "notes/planted.txt");
    for (detector, line) in [
        ("email", 1),
        ("credit_card", 2),
        ("aws_access_key_id", 3),
        ("us_ssn", 4),
    ] {
        assert!(
            planted.iter().any(|(d, l, _)| *d == detector && *l == line),
            "{detector} not found on line {line}: {planted:?}"
        );
    }
    let csv = findings_of(&report, &data, "exports/customers.csv");
    assert!(
        csv.iter().any(|(d, l, _)| *d == "credit_card" && *l == 2),
        "{csv:?}"
    );
    let ndjson = findings_of(&report, &data, "events/2026/signups.ndjson");
    assert!(
        ndjson.iter().any(|(d, l, _)| *d == "email" && *l == 2),
        "{ndjson:?}"
    );
    let gz = findings_of(&report, &data, "logs/app.log.gz");
    assert_eq!(
        gz.first().map(|f| (f.0, f.1)),
        Some(("aws_access_key_id", 3)),
        "{gz:?}"
    );
    assert!(findings_of(&report, &data, "docs/readme.txt").is_empty());
    assert!(findings_of(&report, &clean, "a/metrics.csv").is_empty());

    for b in &report.buckets {
        assert_eq!(b.status, BucketStatus::Complete, "{}", b.name);
        assert!(
            b.objects.iter().all(|o| o.status == ObjectStatus::Complete),
            "{:?}",
            b.objects
        );
    }
    let data_report = report.buckets.iter().find(|b| b.name == data).unwrap();
    assert_eq!(data_report.totals.objects_seen, 5);
    assert_eq!(data_report.metadata.object_count, Some(5));
    assert_eq!(data_report.metadata.region.as_deref(), Some("us-east-1"));
    for (_, value) in samples::PLANTED {
        assert!(
            !text.contains(value),
            "report.json holds an unmasked {value}"
        );
    }
    // The lock that made this task the only writer is in place: a second claim loses.
    assert!(!ctx
        .store
        .put_if_absent(&lock_key(&report.scan_id), b"again".to_vec())
        .await
        .unwrap());
}

#[tokio::test]
async fn incremental_scan_reads_only_the_changed_object_and_reports_the_deleted_one() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-incr").await;
    for i in 0..6 {
        put(
            &clients,
            &bucket,
            &format!("d/file-{i}.txt"),
            format!("line {i}\n").into_bytes(),
        )
        .await;
    }
    let config =
        json!({"buckets": {"include": [bucket]}, "mode": "incremental", "objects_per_task": 4});
    let (first, _) = scan(&ctx, config.clone()).await;
    assert_eq!(
        first.totals.sums.objects_classified, 6,
        "no baseline yet: everything is read"
    );

    let [_, card, _, _] = samples::PLANTED.map(|(_, v)| v);
    put(
        &clients,
        &bucket,
        "d/file-2.txt",
        format!("changed\ncard {card}\n").into_bytes(),
    )
    .await;
    delete(&clients, &bucket, "d/file-4.txt").await;

    let (second, _) = scan(&ctx, config).await;
    let b = &second.buckets[0];
    assert_eq!(read_by_this_scan(b), vec!["d/file-2.txt"]);
    assert_eq!(
        b.totals.objects_carried, 4,
        "the unchanged objects' results are carried"
    );
    assert_eq!(
        b.totals.objects_not_selected, 4,
        "unchanged objects are not read"
    );
    assert_eq!(
        b.deleted.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
        vec!["d/file-4.txt"]
    );
    assert!(findings_of(&second, &bucket, "d/file-2.txt")
        .iter()
        .any(|f| f.0 == "credit_card"));

    // Nothing changed since: nothing is read, nothing deleted.
    let (third, _) = scan(
        &ctx,
        json!({"buckets": {"include": [bucket]}, "mode": "incremental"}),
    )
    .await;
    assert_eq!(third.totals.sums.objects_classified, 0);
    assert_eq!(third.totals.sums.objects_deleted, 0);
    assert_eq!(third.totals.sums.objects_not_selected, 5);
}

#[tokio::test]
async fn continuations_cover_the_bucket_key_by_key_once() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-slices").await;
    let mut keys = BTreeSet::new();
    for i in 0..23 {
        // Folders and odd characters, so the listing order is S3's and not insertion order.
        let key = format!("{}/obj {i:02}+ü.txt", ["a", "b/c", "b", "z"][i % 4]);
        put(&clients, &bucket, &key, format!("row {i}\n").into_bytes()).await;
        keys.insert(key);
    }
    let (report, _) = scan(
        &ctx,
        json!({"buckets": {"include": [bucket]}, "objects_per_task": 5, "storage_classes": ["STANDARD"]}),
    )
    .await;
    let b = &report.buckets[0];
    let mut seen: Vec<String> = b.objects.iter().map(|o| o.metadata.key.clone()).collect();
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "an object was recorded twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), keys);
    assert_eq!(b.totals.objects_seen, 23);
    let parts = ctx
        .store
        .list(&format!("scans/{}/parts/", report.scan_id))
        .await
        .unwrap();
    assert!(parts.is_empty(), "parts live one level down, per unit");
    let units = ctx
        .store
        .list(&format!("scans/{}/units/", report.scan_id))
        .await
        .unwrap();
    assert_eq!(units.len(), 1);
    let summary: Value = ctx.store.get_json(&units[0]).await.unwrap().unwrap();
    assert_eq!(summary["slices"], 5, "23 objects, 5 per slice");
}

#[tokio::test]
async fn skips_are_reported_with_their_reason() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-skips").await;
    put(&clients, &bucket, "big.txt", vec![b'a'; 2048]).await;
    put(
        &clients,
        &bucket,
        "image.bin",
        [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0, 0, 0].repeat(64),
    )
    .await;
    clients
        .s3()
        .put_object()
        .bucket(&bucket)
        .key("cold.txt")
        .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
        .body(ByteStream::from_static(b"cold"))
        .send()
        .await
        .unwrap();
    put(&clients, &bucket, "sampled.txt", vec![b'x'; 300]).await;
    let (report, _) = scan(
        &ctx,
        json!({"buckets": {"include": [bucket]}, "max_object_size": 1024,
               "sampling": {"max_bytes_per_object": 100}}),
    )
    .await;
    let by_key = |k: &str| {
        report.buckets[0]
            .objects
            .iter()
            .find(|o| o.metadata.key == k)
            .unwrap_or_else(|| panic!("{k} not in the report"))
    };
    assert_eq!(
        by_key("big.txt").reason,
        Some(SkipReason::FileExceedsSizeLimit)
    );
    assert_eq!(
        by_key("image.bin").reason,
        Some(SkipReason::UnsupportedFileType)
    );
    assert_eq!(
        by_key("cold.txt").reason,
        Some(SkipReason::ArchivedStorageClass)
    );
    assert_eq!(by_key("sampled.txt").status, ObjectStatus::Partial);
    assert_eq!(by_key("sampled.txt").bytes_read, 100);
    assert_eq!(report.buckets[0].totals.objects_skipped, 3);
}

#[tokio::test]
async fn a_bucket_the_role_cannot_list_is_reported_with_code_and_action_and_the_scan_goes_on() {
    let fake = FakeAws::start(integration_tests::fake_aws::denying_s3);
    let dir = std::env::temp_dir().join(unique_name("it-scan-denied"));
    let settings = s3connector::aws::ClientSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(fake.url.clone()),
        credentials: s3connector::aws::CredentialSource::Static {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        },
        assume_role: None,
    };
    let clients = Clients::load(&settings).await.unwrap();
    let ctx = ScanContext::new(
        clients,
        Vec::new(),
        Store::Local(dir.clone()),
        TaskQueue::memory(),
    );
    let (report, _) = scan(&ctx, json!({})).await;
    let locked = report
        .buckets
        .iter()
        .find(|b| b.name == "locked-data")
        .unwrap();
    assert_eq!(locked.status, BucketStatus::Failed);
    let list_error = locked
        .errors
        .iter()
        .find(|e| e.operation == "ListObjectsV2")
        .expect("the listing denial is reported");
    assert_eq!(list_error.code.as_deref(), Some("AccessDenied"));
    assert_eq!(list_error.action.as_deref(), Some("s3:ListBucket"));
    let open = report
        .buckets
        .iter()
        .find(|b| b.name == "open-data")
        .unwrap();
    assert_eq!(open.status, BucketStatus::Complete, "{:?}", open.errors);
    // Its metadata calls were denied too: each is reported with its own action.
    let actions: BTreeSet<&str> = open
        .errors
        .iter()
        .filter_map(|e| e.action.as_deref())
        .collect();
    for a in [
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketTagging",
    ] {
        assert!(actions.contains(a), "{a} missing from {actions:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_function_entry_plans_to_sqs_and_works_the_tasks_it_receives() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let out = new_bucket(&clients, "it-scan-fn-out").await;
    let data = new_bucket(&clients, "it-scan-fn-data").await;
    for i in 0..7 {
        put(
            &clients,
            &data,
            &format!("k{i}.txt"),
            format!("value {i}\n").into_bytes(),
        )
        .await;
    }
    let (queue_url, _) = integration_tests::create_queue(&clients, &unique_name("it-scan-tasks"))
        .await
        .unwrap();
    let store = Store::S3 {
        client: clients.s3(),
        bucket: out,
        prefix: String::new(),
    };
    let queue = TaskQueue::Sqs {
        client: clients.sqs(),
        url: queue_url.clone(),
    };
    let ctx = ScanContext::new(clients.clone(), Vec::new(), store, queue);
    // One slice per invocation, so every continuation goes through the queue (by default
    // a task works slices until its deadline margin).
    let base = json!({"objects_per_task": 3, "slices_per_task": 1});
    // A manual invoke narrows the base config to one bucket.
    let planned = s3connector::scan::entry::handle(
        &ctx,
        &base,
        json!({"buckets": {"include": [data]}}),
        None,
    )
    .await
    .unwrap();
    let scan_id = planned["scan_id"].as_str().unwrap().to_string();
    let mut invocations = 0;
    loop {
        let got = clients
            .sqs()
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(1)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let Some(m) = got.messages().first() else {
            break;
        };
        let event = json!({"Records": [{"eventSource": "aws:sqs", "body": m.body().unwrap()}]});
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
        s3connector::scan::entry::handle(&ctx, &base, event, Some(deadline))
            .await
            .unwrap();
        clients
            .sqs()
            .delete_message()
            .queue_url(&queue_url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
        invocations += 1;
    }
    assert_eq!(invocations, 3, "7 objects, 3 per slice");
    let report: ScanReport = ctx
        .store
        .get_json(&report_key(&scan_id))
        .await
        .unwrap()
        .expect("report.json written by the last task");
    assert_eq!(report.buckets.len(), 1);
    assert_eq!(report.buckets[0].totals.objects_classified, 7);
    assert_eq!(report.buckets[0].status, BucketStatus::Complete);
}

#[tokio::test]
async fn named_buckets_are_scanned_without_list_buckets_or_get_bucket_location() {
    let emu = Emulator::start();
    // moto does not enforce IAM: the denials of a role allowed on one bucket only (no
    // s3:ListAllMyBuckets, no s3:GetBucketLocation) are answered by the fault proxy.
    let proxy = FaultProxy::start(&emu.endpoint);
    let clients = emu.clients_via(&proxy.url).await;
    let data = new_bucket(&clients, "it-scan-named").await;
    let [_, card, _, _] = samples::PLANTED.map(|(_, v)| v);
    put(
        &clients,
        &data,
        "card.txt",
        format!("card {card}\n").into_bytes(),
    )
    .await;
    let ctx = scan_context(&clients, "it-scan-named-out").await;
    proxy.inject("ListBuckets", "", Fault::AccessDenied, 1000);
    proxy.inject("GetBucketLocation", "", Fault::AccessDenied, 1000);

    let (plan, report) = run_scan(&ctx, json!({"buckets": {"include": [data]}}), |_| {}).await;
    assert!(
        plan.accounts.iter().all(|a| a.issue.is_none()),
        "{:?}",
        plan.accounts
    );
    let b = &report.buckets[0];
    assert_eq!(b.name, data);
    assert_eq!(b.status, BucketStatus::Complete, "{:?}", b.errors);
    assert_eq!(b.metadata.region.as_deref(), Some("us-east-1"));
    assert!(findings_of(&report, &data, "card.txt")
        .iter()
        .any(|f| f.0 == "credit_card"));
    let seen = proxy.seen();
    assert!(
        !seen.iter().any(|s| s.operation == "ListBuckets"),
        "a named bucket needs no ListBuckets"
    );
    assert!(seen
        .iter()
        .any(|s| s.operation == "GetBucketLocation" && s.fault == Some(Fault::AccessDenied)));

    // A pattern does need the listing: denied, the account is reported with the action.
    let config = s3connector::scan::config::ScanConfig::from_value(
        json!({"buckets": {"include": [format!("{data}*")]}}),
    )
    .unwrap();
    let plan = s3connector::scan::plan::plan(&ctx, config).await.unwrap();
    let issue = plan.accounts[0].issue.as_ref().expect("ListBuckets denied");
    assert_eq!(issue.action, "s3:ListAllMyBuckets");
    assert_eq!(issue.error_code.as_deref(), Some("AccessDenied"));
    while ctx.queue.pop().is_some() {}
}

#[tokio::test]
async fn incremental_report_carries_unchanged_findings_replaces_changed_and_drops_deleted() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-carry").await;
    let [email, card, key, ssn] = samples::PLANTED.map(|(_, v)| v);
    put(
        &clients,
        &bucket,
        "a/email.txt",
        format!("contact {email}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "a/key.txt",
        format!("aws_access_key_id = {key}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "b/clean.txt",
        b"nothing to see\n".to_vec(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "b/ssn.txt",
        format!("ssn: {ssn}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "c/gone.txt",
        format!("card {card}\n").into_bytes(),
    )
    .await;
    // Two objects a slice: the carried results come from several baseline parts.
    let config =
        json!({"buckets": {"include": [bucket]}, "mode": "incremental", "objects_per_task": 2});
    let (first, _) = scan(&ctx, config.clone()).await;
    assert_eq!(first.totals.sums.objects_classified, 5);
    assert_eq!(first.totals.sums.findings, 4);

    // b/ssn.txt now holds a card number instead; c/gone.txt is deleted.
    put(
        &clients,
        &bucket,
        "b/ssn.txt",
        format!("card {card}\n").into_bytes(),
    )
    .await;
    delete(&clients, &bucket, "c/gone.txt").await;
    let (second, text) = scan(&ctx, config.clone()).await;
    let b = &second.buckets[0];
    assert_eq!(
        b.totals.objects_classified, 1,
        "only the changed object is read"
    );
    assert_eq!(b.totals.objects_carried, 3);
    let detectors = |k: &str| -> Vec<&str> {
        findings_of(&second, &bucket, k)
            .iter()
            .map(|f| f.0)
            .collect()
    };
    assert_eq!(detectors("a/email.txt"), vec!["email"]);
    assert_eq!(detectors("a/key.txt"), vec!["aws_access_key_id"]);
    assert_eq!(
        detectors("b/ssn.txt"),
        vec!["credit_card"],
        "new findings replace the old"
    );
    assert!(detectors("c/gone.txt").is_empty());
    assert!(detectors("b/clean.txt").is_empty());
    assert_eq!(
        b.deleted.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
        vec!["c/gone.txt"]
    );
    let carried_from = |k: &str| {
        b.objects
            .iter()
            .find(|o| o.metadata.key == k)
            .and_then(|o| o.carried_from.clone())
    };
    assert_eq!(
        carried_from("a/email.txt").as_deref(),
        Some(first.scan_id.as_str())
    );
    assert_eq!(
        carried_from("b/clean.txt").as_deref(),
        Some(first.scan_id.as_str())
    );
    assert_eq!(carried_from("b/ssn.txt"), None, "read by this scan");
    assert_eq!(b.totals.findings, 3);
    assert_eq!(b.totals.sensitivity, Sensitivity::High);
    for v in [email, card, key, ssn] {
        assert!(!text.contains(v), "a report holds {v} unmasked");
    }

    // Nothing changed since: the findings are still there, carried from the scan that
    // read each object (not from the scan that carried them).
    let (third, _) = scan(&ctx, config).await;
    let b = &third.buckets[0];
    assert_eq!(b.totals.objects_classified, 0);
    assert_eq!(b.totals.objects_carried, 4);
    assert_eq!(b.totals.findings, 3);
    assert_ne!(b.totals.sensitivity, Sensitivity::Unknown);
    let from = |k: &str| {
        b.objects
            .iter()
            .find(|o| o.metadata.key == k)
            .and_then(|o| o.carried_from.clone())
    };
    assert_eq!(from("a/email.txt").as_deref(), Some(first.scan_id.as_str()));
    assert_eq!(from("b/ssn.txt").as_deref(), Some(second.scan_id.as_str()));
}

/// An incremental scan keeps unchanged skipped objects (archived, unsupported type) in the
/// report with their reason, counted as skipped, in report.json, report.html and the
/// totals; once the config admits the archived class, it is read again.
#[tokio::test]
async fn incremental_report_keeps_unchanged_skipped_objects_with_their_reason() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-carry-skips").await;
    let [email, ..] = samples::PLANTED.map(|(_, v)| v);
    put(
        &clients,
        &bucket,
        "a/email.txt",
        format!("contact {email}\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "docs/image.bin",
        [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0, 0, 0].repeat(64),
    )
    .await;
    clients
        .s3()
        .put_object()
        .bucket(&bucket)
        .key("glacier/old.txt")
        .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
        .body(ByteStream::from_static(b"cold"))
        .send()
        .await
        .unwrap();
    let config = json!({"buckets": {"include": [bucket]}, "mode": "incremental"});
    let (first, _) = scan(&ctx, config.clone()).await;
    let skips = |r: &ScanReport| {
        let b = &r.buckets[0];
        let mut listed: Vec<(String, Option<SkipReason>, bool)> = b
            .objects
            .iter()
            .filter(|o| o.status == ObjectStatus::Skipped)
            .map(|o| (o.metadata.key.clone(), o.reason, o.carried_from.is_some()))
            .collect();
        listed.sort();
        (
            listed,
            b.totals.objects_skipped,
            b.totals.skipped_by_reason.clone(),
        )
    };
    let (listed, n, by_reason) = skips(&first);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(n, 2);

    // Nothing changed but the email object: the skipped ones are still listed and counted.
    put(
        &clients,
        &bucket,
        "a/email.txt",
        format!("write to {email}\n").into_bytes(),
    )
    .await;
    let (second, text) = scan(&ctx, config.clone()).await;
    let (listed2, n2, by_reason2) = skips(&second);
    assert_eq!(
        listed2,
        vec![
            (
                "docs/image.bin".to_string(),
                Some(SkipReason::UnsupportedFileType),
                true
            ),
            (
                "glacier/old.txt".to_string(),
                Some(SkipReason::ArchivedStorageClass),
                true
            ),
        ]
    );
    assert_eq!((n2, &by_reason2), (2, &by_reason));
    let b = &second.buckets[0];
    assert_eq!(b.totals.objects_classified, 1);
    assert_eq!(b.totals.objects_not_selected, 0, "skipped, not unselected");
    assert_eq!(b.totals.objects_seen, 3);
    assert!(text.contains("ARCHIVED_STORAGE_CLASS") && text.contains("glacier/old.txt"));
    let (third, _) = scan(&ctx, config.clone()).await;
    assert_eq!(skips(&third).1, 2, "still there a scan later");

    // The config now admits GLACIER: the unchanged archived object is read, not carried.
    let mut admit = config;
    admit["storage_classes"] = json!(["STANDARD", "GLACIER"]);
    let (fourth, _) = scan(&ctx, admit).await;
    assert!(fourth.buckets[0]
        .objects
        .iter()
        .any(|o| o.metadata.key == "glacier/old.txt" && o.carried_from.is_none()));
}

/// Objects `file_types` leaves out are counted per type, and the config summary records
/// the exclude list, so a report says what was not read.
#[tokio::test]
async fn objects_excluded_by_file_type_are_counted_and_the_exclude_list_recorded() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-types").await;
    put(
        &clients,
        &bucket,
        "data/a.csv",
        b"id,name\n1,Ann\n".to_vec(),
    )
    .await;
    put(&clients, &bucket, "raw/jwt.txt", b"token\n".to_vec()).await;
    put(&clients, &bucket, "raw/more.txt", b"token\n".to_vec()).await;
    put(&clients, &bucket, "skip/other.txt", b"token\n".to_vec()).await;
    let (report, text) = scan(
        &ctx,
        json!({"buckets": {"include": [bucket]}, "file_types": {"exclude": ["txt"]},
               "prefixes": {"exclude": ["skip/"]}}),
    )
    .await;
    assert_eq!(report.config.exclude_file_types, ["txt"]);
    let t = &report.buckets[0].totals;
    assert_eq!(t.objects_seen, 1);
    assert_eq!(
        t.objects_excluded_by_type, 2,
        "skip/ is out of the prefixes"
    );
    assert_eq!(t.excluded_by_type.get("txt"), Some(&2));
    assert_eq!(report.totals.sums.objects_excluded_by_type, 2);
    assert!(text.contains("exclude_file_types"), "report.json");
    assert!(
        text.contains("objects excluded by file type"),
        "report.html"
    );
}

/// Scan trial S12: the allow-list was written in clear into plan.json (and every task).
/// Now the plan and tasks hold keyed digests: the allow-listed value appears in no object
/// the scan writes, in no task, and the allow-list still suppresses it.
#[tokio::test]
async fn allow_listed_values_are_in_no_scan_output_and_still_suppressed() {
    let emu = Emulator::start();
    let (ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-allow").await;
    let allowed = "312-54-8876";
    let spellings = [allowed, "312548876", "312 54 8876"];
    put(
        &clients,
        &bucket,
        "hr/staff.txt",
        format!("SSN: {allowed}\nSSN: 536-90-4399\n").into_bytes(),
    )
    .await;
    put(
        &clients,
        &bucket,
        "hr/staff.csv",
        b"name,ssn\nAnn,312 54 8876\nBob,536-90-4399\n".to_vec(),
    )
    .await;
    let mut tasks = 0;
    let (plan, report) = run_scan(
        &ctx,
        json!({"buckets": {"include": [bucket]},
               "detectors": {"managed": ["us_ssn"], "allow_list": [allowed]}}),
        |task| {
            let text = serde_json::to_string(task).unwrap();
            for v in spellings {
                assert!(!text.contains(v), "a task holds {v}");
            }
            tasks += 1;
        },
    )
    .await;
    assert!(tasks > 0);
    assert_eq!(plan.config.detectors.allow_list_hmac.len(), 1);
    for (key, line) in [("hr/staff.txt", 2), ("hr/staff.csv", 3)] {
        let found = findings_of(&report, &bucket, key);
        assert_eq!(
            found.len(),
            1,
            "{key}: only the SSN not allow-listed: {found:?}"
        );
        assert_eq!(found[0].1, line, "{key}: Bob's line");
    }

    let out = match &ctx.store {
        Store::S3 { bucket, .. } => bucket.clone(),
        _ => unreachable!("an S3 store"),
    };
    let listed = clients
        .s3()
        .list_objects_v2()
        .bucket(&out)
        .send()
        .await
        .unwrap();
    assert_ne!(listed.is_truncated(), Some(true));
    let mut seen = Vec::new();
    for o in listed.contents() {
        let key = o.key().unwrap();
        // Every object of the output bucket is under the store's prefix.
        let in_store = key.strip_prefix("s3connector/").unwrap();
        let body = ctx.store.get(in_store).await.unwrap().unwrap();
        let text = String::from_utf8_lossy(&body);
        for v in spellings {
            assert!(!text.contains(v), "{key} holds {v}");
        }
        seen.push(key.to_string());
    }
    assert!(
        seen.iter().any(|k| k.ends_with("/plan.json")),
        "plan.json was checked: {seen:?}"
    );
    assert!(seen.len() >= 6, "{seen:?}");
}

/// The scan reads compressed objects under the deployment's decompression limits
/// (`S3CONNECTOR_MAX_DECOMPRESSED_BYTES`..., read into `ScanContext::bomb` by the scan
/// function and the CLI), not the defaults: an object past them is skipped as invalid
/// content with the limit's variable named, and read under the defaults.
#[tokio::test]
async fn compressed_objects_are_read_under_the_deployments_bomb_limits() {
    use std::io::Write;
    let emu = Emulator::start();
    let (mut ctx, clients) = context(&emu).await;
    let bucket = new_bucket(&clients, "it-scan-bomb").await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..(3 << 20) / 64 {
        gz.write_all(&[b'a'; 63]).unwrap();
        gz.write_all(b"\n").unwrap();
    }
    put(&clients, &bucket, "logs/app.log.gz", gz.finish().unwrap()).await;
    let config = json!({"buckets": {"include": [bucket]},
                        "sampling": {"max_bytes_per_object": 0}});
    let (_, report) = run_scan(&ctx, config.clone(), |_| {}).await;
    let o = &report.buckets[0].objects[0];
    assert_eq!(o.status, ObjectStatus::Complete, "{o:?}");

    ctx.bomb.max_output_bytes = 1 << 20;
    let (_, report) = run_scan(&ctx, config, |_| {}).await;
    let o = &report.buckets[0].objects[0];
    assert_eq!(o.reason, Some(SkipReason::InvalidContent), "{o:?}");
    let message = o.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("S3CONNECTOR_MAX_DECOMPRESSED_BYTES"),
        "{message}"
    );
}
