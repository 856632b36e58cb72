//! Ingestion to OCSF Parquet end to end against the emulator: the handler's S3 sink
//! writes one Parquet file per OCSF class per chunk, at the NDJSON keys (`.parquet`) or
//! under Security Lake's custom-source layout, and a redelivery overwrites the same bytes.

use bytes::Bytes;
use integration_tests::ingestion::{run, Scene};
use integration_tests::samples::{self, gzip};
use parquet::file::reader::{FileReader, SerializedFileReader};

const ACCT: &str = "123456789012";

/// A VPC Flow Log of 40 records and a Classic ELB log with an HTTP and a TCP entry (two classes).
fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut vpc = Vec::new();
    samples::vpc_flow(&mut vpc, 40, 12).unwrap();
    let elb = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -
2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2
"#;
    vec![
        (
            format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2026/11/23/{ACCT}_vpcflowlogs_us-east-1_fl-0a1b2c3d_20261123T1000Z_5b2c1d0e.log.gz"),
            gzip(&vpc),
        ),
        (
            format!("AWSLogs/{ACCT}/elasticloadbalancing/us-east-1/2015/05/13/{ACCT}_elasticloadbalancing_us-east-1_my-loadbalancer_20150513T2340Z_172.160.001.192_20sg8hgm.log"),
            elb.as_bytes().to_vec(),
        ),
    ]
}

/// Every object under `prefix` of the output bucket: key, bytes and Parquet row count.
async fn parquet_objects(s: &Scene, prefix: &str) -> Vec<(String, Bytes, i64)> {
    let s3 = s.clients.s3();
    let list = s3
        .list_objects_v2()
        .bucket(&s.output)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in list.contents().iter().filter_map(|o| o.key()) {
        let body = s3
            .get_object()
            .bucket(&s.output)
            .key(key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        let reader = SerializedFileReader::new(body.clone())
            .unwrap_or_else(|e| panic!("{key} is not Parquet: {e}"));
        let rows = reader.metadata().file_metadata().num_rows();
        out.push((key.to_owned(), body, rows));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn deliver(s: &Scene, extra: &[(&str, &str)]) {
    for (key, body) in inputs() {
        let event = s.put_and_receive(&key, body).await;
        let ctx = s.context(extra);
        let outcome = run(&ctx, event.clone()).await;
        assert!(outcome.failed_message_ids.is_empty(), "{key}");
        // A redelivered message writes the same keys with the same bytes.
        run(&ctx, event).await;
    }
}

#[tokio::test]
async fn parquet_output_keeps_the_ndjson_keys_with_one_file_per_class() {
    let s = Scene::new().await;
    let first_run = {
        deliver(&s, &[("S3CONNECTOR_OUTPUT_FORMAT", "parquet")]).await;
        parquet_objects(&s, "source=").await
    };
    let summary: Vec<(String, i64)> = first_run
        .iter()
        .map(|(k, _, rows)| {
            (
                k.rsplit('/')
                    .next()
                    .unwrap()
                    .split_once('-')
                    .unwrap()
                    .1
                    .to_owned(),
                *rows,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("0000000000-4001.parquet".to_owned(), 1),
            ("0000000000-4002.parquet".to_owned(), 1),
            ("0000000000.parquet".to_owned(), 40),
        ],
        "{first_run:?}"
    );
    assert!(first_run[2].0.starts_with(&format!(
        "source=vpcflow/account={ACCT}/region=us-east-1/dt="
    )));
    assert!(first_run[0].0.starts_with(&format!(
        "source=elb/account={ACCT}/region=us-east-1/dt=2015-05-13/"
    )));
    // The redeliveries in `deliver` overwrote the same keys: no other object exists.
    assert_eq!(parquet_objects(&s, "").await.len(), 3);
}

#[tokio::test]
async fn security_lake_layout_puts_each_class_under_its_own_source() {
    let s = Scene::new().await;
    deliver(
        &s,
        &[
            ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
            ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
            ("S3CONNECTOR_SECURITY_LAKE_SOURCES", "elb:4001=ElbTcp"),
        ],
    )
    .await;
    let objects = parquet_objects(&s, "ext/").await;
    let prefixes: Vec<String> = objects
        .iter()
        .map(|(k, _, _)| k.rsplit_once('/').unwrap().0.to_owned())
        .collect();
    assert_eq!(
        prefixes,
        [
            format!("ext/ElbTcp/region=us-east-1/accountId={ACCT}/eventDay=20150513"),
            format!("ext/elb-4002/region=us-east-1/accountId={ACCT}/eventDay=20150513"),
            format!("ext/vpcflow/region=us-east-1/accountId={ACCT}/eventDay=20261123"),
        ]
    );
    assert_eq!(
        objects.iter().map(|o| o.2).sum::<i64>(),
        42,
        "every record once"
    );
    assert!(parquet_objects(&s, "source=").await.is_empty());
}
