//! Where a scan's objects and bucket facts come from, through the real scan path (plan,
//! then every task in memory): an S3 Inventory report read in slices instead of listing,
//! with a fallback to listing and its reason; `openmetadata.json` containers in the
//! reports; CloudWatch storage metrics (which moto publishes for its buckets, as S3 does)
//! and the account's Block Public Access in the plan.

use integration_tests::inventory_reports::{csv_row, put_csv_report};
use integration_tests::scanning::{
    bucket_named as bucket, new_bucket, now_ms, put, run_scan, scan_context,
};
use integration_tests::{samples, Emulator};
use s3connector::aws::Clients;
use s3connector::scan::context::ScanContext;
use s3connector::scan::report::{Enumeration, ReportFile, ScanReport, SizeSource, WarningCode};
use s3connector::scan::reports::report_file_key;
use serde_json::{json, Value};

/// Runs a whole scan with tasks in memory; returns the report, the HTML page and the
/// number of part files (slices) written.
async fn scan(ctx: &ScanContext, config: Value) -> (ScanReport, String, usize) {
    let (plan, report) = run_scan(ctx, config, |_| {}).await;
    let html = ctx
        .store
        .get(&report_file_key(&plan.scan_id, ReportFile::Html))
        .await
        .unwrap()
        .expect("the last task wrote report.html");
    let mut parts = 0;
    for unit in &plan.units {
        parts += ctx
            .store
            .list(&format!("scans/{}/parts/{}/", plan.scan_id, unit.id))
            .await
            .unwrap()
            .len();
    }
    (report, String::from_utf8(html).unwrap(), parts)
}

async fn context(clients: &Clients) -> ScanContext {
    scan_context(clients, "it-src-out").await
}

#[tokio::test]
async fn scan_enumerates_from_the_latest_inventory_in_slices_and_reports_manifest_containers() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let ctx = context(&clients).await;
    let data = new_bucket(&clients, "it-src-data").await;
    let dest = new_bucket(&clients, "it-src-inv").await;
    let [_, card, _, _] = samples::PLANTED.map(|(_, v)| v);
    // Seven objects in the report, over two data files in key order.
    let mut objects: Vec<(String, Vec<u8>)> = vec![
        ("a/notes one.txt".into(), b"nothing to see\n".to_vec()),
        ("a/two.txt".into(), b"plain\n".to_vec()),
        (
            "exports/customers.csv".into(),
            format!("id,name,card\n1,Ann,{card}\n2,Bob,none\n").into_bytes(),
        ),
        (
            "exports/more.csv".into(),
            b"id,name,card\n3,Cy,none\n".to_vec(),
        ),
        ("logs/b.log".into(), b"boot ok\n".to_vec()),
        ("logs/c.log".into(), b"config loaded\n".to_vec()),
        ("z/last.txt".into(), b"the end\n".to_vec()),
    ];
    objects.sort();
    let mut rows = Vec::new();
    for (key, body) in &objects {
        let size = body.len() as u64;
        let etag = put(&clients, &data, key, body.clone()).await;
        rows.push(csv_row(&data, key, size, &etag));
    }
    // Written after the report: a listing would see it, the inventory does not.
    put(&clients, &data, "late/after-report.txt", b"new\n".to_vec()).await;
    put(
        &clients,
        &data,
        "openmetadata.json",
        br#"{"entries": [{"dataPath": "exports", "structureFormat": "csv", "separator": ","}]}"#
            .to_vec(),
    )
    .await;
    let prefix = format!("inv/{data}/daily/");
    // An older complete report (other content) and the latest one.
    put_csv_report(
        &clients.s3(),
        &dest,
        &prefix,
        &data,
        "2026-12-01T01-00Z",
        now_ms() - 5 * 3_600_000,
        &[csv_row(&data, "old/gone.txt", 1, "x")],
    )
    .await;
    let files = [rows[..4].concat(), rows[4..].concat()];
    put_csv_report(
        &clients.s3(),
        &dest,
        &prefix,
        &data,
        "2026-12-02T01-00Z",
        now_ms() - 3_600_000,
        &files,
    )
    .await;

    let (report, html, parts) = scan(
        &ctx,
        json!({"buckets": {"include": [data]},
               "inventories": [{"bucket": data, "id": "daily", "destination_bucket": dest,
                                "destination_prefix": "inv", "records_per_task": 3}]}),
    )
    .await;
    let b = bucket(&report, &data);
    match &b.enumeration {
        Enumeration::Inventory { manifest, .. } => {
            assert!(
                manifest.contains("2026-12-02T01-00Z/manifest.json"),
                "{manifest}"
            )
        }
        other => panic!("expected the inventory, got {other:?}"),
    }
    // Every object of the report once, nothing else (no listing).
    let keys: Vec<&str> = b.objects.iter().map(|o| o.metadata.key.as_str()).collect();
    let expected: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, expected);
    assert_eq!(b.totals.objects_seen, 7, "each object counted once");
    assert!(
        parts >= 3,
        "7 records at 3 per task take 3 slices, got {parts}"
    );
    assert_eq!(b.metadata.object_count, Some(7));
    assert_eq!(b.metadata.size_source, Some(SizeSource::Inventory));
    assert!(
        !b.errors.iter().any(|e| e.operation == "S3 Inventory"),
        "{:?}",
        b.errors
    );
    let csv = b
        .objects
        .iter()
        .find(|o| o.metadata.key == "exports/customers.csv")
        .unwrap();
    assert_eq!(csv.findings.len(), 1, "{:?}", csv.findings);
    assert_eq!(csv.findings[0].detector, "credit_card");
    // The manifest's container, with the columns of its CSV data.
    let c = b
        .containers
        .iter()
        .find(|c| c.data_path == "exports")
        .expect("container from openmetadata.json");
    let columns: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "name", "card"]);
    assert_eq!(c.object_count, 2);
    assert!(
        html.contains("S3 Inventory"),
        "report.html names the inventory"
    );
    assert!(html.contains("Containers (openmetadata.json)"));
}

#[tokio::test]
async fn stale_or_missing_inventory_falls_back_to_listing_with_the_reason() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let ctx = context(&clients).await;
    let stale = new_bucket(&clients, "it-src-stale").await;
    let missing = new_bucket(&clients, "it-src-missing").await;
    let dest = new_bucket(&clients, "it-src-inv2").await;
    for b in [&stale, &missing] {
        put(&clients, b, "one.txt", b"1\n".to_vec()).await;
        put(&clients, b, "two.txt", b"2\n".to_vec()).await;
    }
    put_csv_report(
        &clients.s3(),
        &dest,
        &format!("{stale}/weekly/"),
        &stale,
        "2026-11-01T01-00Z",
        now_ms() - 10 * 86_400_000,
        &[csv_row(&stale, "one.txt", 2, "x")],
    )
    .await;
    let (report, _, _) = scan(
        &ctx,
        json!({"buckets": {"include": [stale, missing]},
               "inventories": [
                   {"bucket": stale, "id": "weekly", "destination_bucket": dest, "max_age_hours": 48},
                   {"bucket": missing, "id": "never", "destination_bucket": dest}]}),
    )
    .await;
    for (name, reason) in [
        (&stale, "max_age_hours is 48"),
        (&missing, "no complete S3 Inventory report"),
    ] {
        let b = bucket(&report, name);
        assert_eq!(b.enumeration, Enumeration::Listing, "{name}");
        assert_eq!(b.totals.objects_seen, 2, "{name}: listed instead");
        let e = b
            .errors
            .iter()
            .find(|e| e.code.as_deref() == Some("InventoryFallback"))
            .unwrap_or_else(|| panic!("{name}: fallback reported: {:?}", b.errors));
        assert!(e.message.contains(reason), "{}", e.message);
    }
}

#[tokio::test]
async fn plan_reads_cloudwatch_storage_metrics_and_combines_account_and_bucket_public_access() {
    // Account-level settings: an emulator of its own, so no other test sees them.
    let emu = Emulator::start_private();
    let clients = emu.clients().await;
    let ctx = context(&clients).await;
    let measured = new_bucket(&clients, "it-src-cw").await;
    let open = new_bucket(&clients, "it-src-open").await;
    // moto publishes S3's daily storage metrics for its buckets, as S3 does: three
    // objects here, of which the scan's prefixes take one.
    for key in ["a.txt", "b/1.txt", "b/2.txt"] {
        put(&clients, &measured, key, b"some bytes\n".to_vec()).await;
    }
    put(&clients, &open, "a.txt", b"b\n".to_vec()).await;
    let account = clients
        .sts()
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account()
        .unwrap()
        .to_string();
    use aws_sdk_s3control::types::PublicAccessBlockConfiguration as AccountBpa;
    clients
        .s3control_in("us-east-1")
        .put_public_access_block()
        .account_id(&account)
        .public_access_block_configuration(
            AccountBpa::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The measured bucket turns on the other two settings: together all four are on.
    clients
        .s3()
        .put_public_access_block()
        .bucket(&measured)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (report, html, _) = scan(
        &ctx,
        json!({"buckets": {"include": [measured, open]}, "prefixes": {"include": ["a"]}}),
    )
    .await;
    let m = bucket(&report, &measured);
    assert_eq!(m.totals.objects_seen, 1, "the scan's scope");
    assert_eq!(m.metadata.size_source, Some(SizeSource::Cloudwatch));
    assert_eq!(
        m.metadata.object_count,
        Some(3),
        "the bucket's, from CloudWatch"
    );
    assert!(m.metadata.size_bytes.is_some_and(|s| s > 0));
    let acct = m
        .metadata
        .account_public_access_block
        .expect("account BPA read");
    assert!(acct.block_public_acls && acct.ignore_public_acls && !acct.block_public_policy);
    assert!(
        !m.warnings
            .iter()
            .any(|w| w.code == WarningCode::PublicAccessNotBlocked),
        "{:?}",
        m.warnings
    );
    let o = bucket(&report, &open);
    let w = o
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::PublicAccessNotBlocked)
        .expect("bucket without settings, account with two");
    assert!(
        w.message
            .contains("BlockPublicPolicy, RestrictPublicBuckets"),
        "{}",
        w.message
    );
    assert!(
        html.contains("off: BlockPublicPolicy, RestrictPublicBuckets"),
        "account column"
    );
}
