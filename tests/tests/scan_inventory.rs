//! S3 Inventory and `openmetadata.json` against the emulator: reports and manifests
//! written as the S3 User Guide and OpenMetadata document them, read through the real
//! SDK.

use std::io::Write;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use futures_util::StreamExt;
use integration_tests::{unique_name, Emulator};
use md5::{Digest, Md5};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use s3connector::scan::inventory::{self, InventoryConfig, InventoryError, InventoryRecord};
use s3connector::scan::manifest::{self, ManifestLimits};

const CSV_SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus";

/// The Parquet schema S3 Inventory writes (S3 User Guide, "Inventory list"), for the
/// fields this test configures.
const PARQUET_SCHEMA: &str = "message s3.inventory {
    required binary bucket (UTF8);
    required binary key (UTF8);
    optional boolean is_latest;
    optional int64 size;
    optional int64 last_modified_date (TIMESTAMP_MILLIS);
    optional binary e_tag (UTF8);
    optional binary storage_class (UTF8);
    optional binary encryption_status (UTF8);
}";

fn md5_hex(b: &[u8]) -> String {
    hex_encode(&Md5::digest(b))
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// CSV rows for `keys` (URL-encoded the way S3 Inventory writes them).
fn csv_rows(source: &str, keys: &[(&str, u64)]) -> String {
    keys.iter()
        .map(|(k, size)| {
            format!(
                "\"{source}\",\"{k}\",\"\",\"true\",\"false\",\"{size}\",\"2026-11-20T08:00:00.000Z\",\"5d41402abc4b2a76b9719d911017c592\",\"STANDARD\",\"false\",\"\",\"SSE-S3\"\n"
            )
        })
        .collect()
}

fn parquet_rows(source: &str, keys: &[&str]) -> Vec<u8> {
    let schema = Arc::new(parse_message_type(PARQUET_SCHEMA).unwrap());
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(
        &mut buf,
        schema,
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    let mut rg = w.next_row_group().unwrap();
    let n = keys.len();
    let ones = vec![1i16; n];
    let mut col_index = 0;
    while let Some(mut col) = rg.next_column().unwrap() {
        let text = |v: &str| vec![ByteArray::from(v); n];
        match col_index {
            0 => col
                .typed::<ByteArrayType>()
                .write_batch(&text(source), None, None),
            1 => col.typed::<ByteArrayType>().write_batch(
                &keys.iter().map(|k| ByteArray::from(*k)).collect::<Vec<_>>(),
                None,
                None,
            ),
            2 => col
                .typed::<BoolType>()
                .write_batch(&vec![true; n], Some(&ones), None),
            3 => col
                .typed::<Int64Type>()
                .write_batch(&vec![42; n], Some(&ones), None),
            4 => {
                col.typed::<Int64Type>()
                    .write_batch(&vec![1_795_428_000_000; n], Some(&ones), None)
            }
            5 => col
                .typed::<ByteArrayType>()
                .write_batch(&text("abc123"), Some(&ones), None),
            6 => col
                .typed::<ByteArrayType>()
                .write_batch(&text("GLACIER"), Some(&ones), None),
            _ => col
                .typed::<ByteArrayType>()
                .write_batch(&text("SSE-KMS"), Some(&ones), None),
        }
        .unwrap();
        col.close().unwrap();
        col_index += 1;
    }
    rg.close().unwrap();
    w.close().unwrap();
    buf
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

/// Writes one report under `<prefix>/<source>/<id>/<stamp>/`: data files, manifest.json
/// and (when `complete`) manifest.checksum.
#[allow(clippy::too_many_arguments)]
async fn put_report(
    s3: &aws_sdk_s3::Client,
    dest: &str,
    cfg: &InventoryConfig,
    stamp: &str,
    format: &str,
    schema: &str,
    files: Vec<Vec<u8>>,
    complete: bool,
) {
    let base = cfg.reports_prefix();
    let mut entries = Vec::new();
    for (i, body) in files.into_iter().enumerate() {
        let ext = if format == "CSV" { "csv.gz" } else { "parquet" };
        let key = format!("{base}data/{stamp}-{i}.{ext}");
        entries.push(serde_json::json!({
            "key": key, "size": body.len(), "MD5checksum": md5_hex(&body),
        }));
        put(s3, dest, &key, body).await;
    }
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "sourceBucket": cfg.source_bucket,
        "destinationBucket": format!("arn:aws:s3:::{dest}"),
        "version": "2016-11-30",
        "creationTimestamp": "1795428000000",
        "fileFormat": format,
        "fileSchema": schema,
        "files": entries,
    }))
    .unwrap();
    let sum = md5_hex(&manifest);
    put(s3, dest, &format!("{base}{stamp}/manifest.json"), manifest).await;
    if complete {
        put(
            s3,
            dest,
            &format!("{base}{stamp}/manifest.checksum"),
            format!("{sum}\n").into_bytes(),
        )
        .await;
    }
}

async fn collect(
    s3: &aws_sdk_s3::Client,
    report: &inventory::InventoryReport,
) -> Vec<Result<InventoryRecord, InventoryError>> {
    let dir = std::env::temp_dir();
    inventory::records(s3, report, &dir).collect().await
}

#[tokio::test]
async fn latest_complete_csv_report_is_read_with_keys_decoded() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = &clients.s3();
    let dest = unique_name("it-inventory");
    s3.create_bucket().bucket(&dest).send().await.unwrap();
    let cfg = InventoryConfig {
        source_bucket: "source-data".into(),
        id: "daily-csv".into(),
        destination_bucket: format!("arn:aws:s3:::{dest}"),
        destination_prefix: Some("Inventory".into()),
    };
    // An older report, the latest complete one (two files), and a newer one still
    // being written (no manifest.checksum yet).
    put_report(
        s3,
        &dest,
        &cfg,
        "2026-11-18T01-00Z",
        "CSV",
        CSV_SCHEMA,
        vec![gzip(&csv_rows("source-data", &[("old.txt", 1)]))],
        true,
    )
    .await;
    put_report(
        s3,
        &dest,
        &cfg,
        "2026-11-19T01-00Z",
        "CSV",
        CSV_SCHEMA,
        vec![
            gzip(&csv_rows(
                "source-data",
                &[("a/my+file%2B1.txt", 10), ("b/caf%C3%A9.csv", 20)],
            )),
            gzip(&csv_rows("source-data", &[("c/z.json", 30)])),
        ],
        true,
    )
    .await;
    put_report(
        s3,
        &dest,
        &cfg,
        "2026-11-20T01-00Z",
        "CSV",
        CSV_SCHEMA,
        vec![gzip(&csv_rows("source-data", &[("new.txt", 1)]))],
        false,
    )
    .await;

    let report = inventory::latest_report(s3, &cfg).await.unwrap();
    assert!(
        report
            .manifest_key
            .ends_with("2026-11-19T01-00Z/manifest.json"),
        "{}",
        report.manifest_key
    );
    assert_eq!(report.created_at, "2026-11-23T10:00:00.000Z");
    assert!(report
        .manifest_uri()
        .starts_with(&format!("s3://{dest}/Inventory/source-data/daily-csv/")));

    let records: Vec<InventoryRecord> = collect(s3, &report)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["a/my file+1.txt", "b/café.csv", "c/z.json"]);
    assert_eq!(records[1].size, Some(20));
    assert_eq!(records[0].encryption_status.as_deref(), Some("SSE-S3"));
    assert_eq!(
        records[2].to_object_metadata().etag.as_deref(),
        Some("5d41402abc4b2a76b9719d911017c592")
    );
}

#[tokio::test]
async fn parquet_report_is_read_by_column_name() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = &clients.s3();
    let dest = unique_name("it-inventory-pq");
    s3.create_bucket().bucket(&dest).send().await.unwrap();
    let cfg = InventoryConfig {
        source_bucket: "lake".into(),
        id: "weekly".into(),
        destination_bucket: dest.clone(),
        destination_prefix: None,
    };
    put_report(
        s3,
        &dest,
        &cfg,
        "2026-11-22T00-00Z",
        "Parquet",
        PARQUET_SCHEMA,
        vec![parquet_rows("lake", &["x/1 2.parquet", "y/plain+key"])],
        true,
    )
    .await;
    let report = inventory::latest_report(s3, &cfg).await.unwrap();
    let records: Vec<InventoryRecord> = collect(s3, &report)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), 2);
    // Parquet keys are not URL-encoded: '+' stays '+'.
    assert_eq!(records[1].key, "y/plain+key");
    assert_eq!(records[0].key, "x/1 2.parquet");
    assert_eq!(records[0].size, Some(42));
    assert_eq!(
        records[0].last_modified.as_deref(),
        Some("2026-11-23T10:00:00.000Z")
    );
    assert_eq!(records[0].storage_class.as_deref(), Some("GLACIER"));
    assert_eq!(records[0].encryption_status.as_deref(), Some("SSE-KMS"));
    assert_eq!(records[0].is_latest, Some(true));
}

#[tokio::test]
async fn corrupt_data_file_and_missing_report_are_reported() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = &clients.s3();
    let dest = unique_name("it-inventory-bad");
    s3.create_bucket().bucket(&dest).send().await.unwrap();
    let cfg = InventoryConfig {
        source_bucket: "src".into(),
        id: "cfg".into(),
        destination_bucket: dest.clone(),
        destination_prefix: Some("inv/".into()),
    };
    let err = inventory::latest_report(s3, &cfg).await.unwrap_err();
    assert!(matches!(err, InventoryError::NoReport { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("s3://{dest}/inv/src/cfg/")),
        "{err}"
    );

    put_report(
        s3,
        &dest,
        &cfg,
        "2026-11-22T00-00Z",
        "CSV",
        CSV_SCHEMA,
        vec![gzip(&csv_rows("src", &[("k", 1)]))],
        true,
    )
    .await;
    let report = inventory::latest_report(s3, &cfg).await.unwrap();
    // Replace the data file after the manifest was written: its MD5 no longer matches.
    let key = report.manifest.files[0].key.clone();
    let size = report.manifest.files[0].size as usize;
    let mut tampered = gzip(&csv_rows("src", &[("j", 1)]));
    tampered.resize(size, 0);
    put(s3, &dest, &key, tampered).await;
    let results = collect(s3, &report).await;
    assert_eq!(
        results.len(),
        1,
        "no record of an unverified file is yielded"
    );
    let err = results[0].as_ref().unwrap_err();
    assert!(err.to_string().contains("MD5"), "{err}");
    assert!(err.to_string().contains(&key), "{err}");
}

#[tokio::test]
async fn openmetadata_manifest_entries_become_containers_with_schemas() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = &clients.s3();
    let bucket = unique_name("it-manifest");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(s3, &bucket, "openmetadata.json", br#"{"entries": [
        {"dataPath": "transactions", "structureFormat": "csv", "separator": ";", "isPartitioned": false},
        {"dataPath": "events", "structureFormat": "json", "isPartitioned": true},
        {"dataPath": "cities", "structureFormat": "parquet", "isPartitioned": true,
         "partitionColumns": [{"name": "State", "dataType": "STRING"}]},
        {"dataPath": "images", "unstructuredFormats": ["png"]}
    ]}"#.to_vec()).await;
    put(
        s3,
        &bucket,
        "transactions/2024.csv",
        b"id;amount;day\n1;9.5;2024-01-01\n2;3;2024-01-02\n".to_vec(),
    )
    .await;
    put(
        s3,
        &bucket,
        "transactions/2025.csv",
        b"id;amount;day\n3;1;2025-01-01\n".to_vec(),
    )
    .await;
    put(
        s3,
        &bucket,
        "events/year=2024/month=05/e.jsonl",
        b"{\"user\":\"u1\",\"n\":1}\n".to_vec(),
    )
    .await;
    put(
        s3,
        &bucket,
        "cities/State=CA/part-0.parquet",
        parquet_rows("x", &["a"]),
    )
    .await;
    put(s3, &bucket, "cities/State=CA/_SUCCESS", Vec::new()).await;
    put(s3, &bucket, "images/a.png", vec![1; 10]).await;
    put(s3, &bucket, "images/b.txt", vec![1; 10]).await;

    let containers = manifest::read_containers(s3, &bucket, &ManifestLimits::default())
        .await
        .unwrap()
        .expect("manifest found");
    assert_eq!(containers.len(), 4);
    let t = &containers[0];
    assert_eq!(t.object_count, 2);
    assert!(t.counts_complete);
    let cols: Vec<(&str, &str)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(
        cols,
        [("id", "BIGINT"), ("amount", "DOUBLE"), ("day", "DATE")]
    );
    assert_eq!(t.schema_source.as_deref(), Some("transactions/2024.csv"));

    let e = &containers[1];
    let parts: Vec<&str> = e
        .partition_columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(parts, ["year", "month"]);
    assert_eq!(e.columns.len(), 2);

    let c = &containers[2];
    assert_eq!(c.object_count, 1, "_SUCCESS is not a data file");
    assert_eq!(c.partition_columns[0].name, "State");
    assert!(
        c.columns
            .iter()
            .any(|c| c.name == "last_modified_date" && c.data_type == "TIMESTAMP"),
        "{:?}",
        c.columns
    );

    let i = &containers[3];
    assert_eq!((i.object_count, i.size_bytes), (1, 10));
    assert!(i.columns.is_empty());

    let none = unique_name("it-no-manifest");
    s3.create_bucket().bucket(&none).send().await.unwrap();
    assert!(
        manifest::read_containers(s3, &none, &ManifestLimits::default())
            .await
            .unwrap()
            .is_none()
    );
}
