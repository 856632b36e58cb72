//! S3 Inventory reports written as the S3 User Guide documents them ("Inventory list",
//! "Inventory manifest"), for tests that enumerate a bucket from its inventory.

use std::io::Write;

use aws_sdk_s3::primitives::ByteStream;
use md5::{Digest, Md5};

/// The CSV `fileSchema` of the reports [`csv_row`] writes.
pub const CSV_SCHEMA: &str =
    "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, EncryptionStatus";

/// Hex MD5, as manifests spell checksums.
pub fn md5_hex(b: &[u8]) -> String {
    Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Gzip, as S3 Inventory compresses CSV data files.
pub fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).expect("gzip in memory");
    e.finish().expect("gzip in memory")
}

/// One CSV record: key URL-encoded, ETag without quotes, as S3 Inventory writes them.
pub fn csv_row(bucket: &str, key: &str, size: u64, etag: &str) -> String {
    let key: String =
        percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2F", "/");
    format!(
        "\"{bucket}\",\"{key}\",\"{size}\",\"2026-11-20T08:00:00.000Z\",\"{}\",\"STANDARD\",\"SSE-S3\"\n",
        etag.trim_matches('"')
    )
}

/// Writes a complete CSV report of `source` under `<prefix>/<source>/<id>/<stamp>/`:
/// the gzip data files, `manifest.json` (created at `created_ms`) and its checksum.
pub async fn put_csv_report(
    s3: &aws_sdk_s3::Client,
    dest: &str,
    reports_prefix: &str,
    source: &str,
    stamp: &str,
    created_ms: i64,
    files: &[String],
) {
    let mut entries = Vec::new();
    for (i, text) in files.iter().enumerate() {
        let body = gzip(text);
        let key = format!("{reports_prefix}data/{stamp}-{i}.csv.gz");
        entries.push(serde_json::json!({
            "key": key, "size": body.len(), "MD5checksum": md5_hex(&body),
        }));
        put(s3, dest, &key, body).await;
    }
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "sourceBucket": source,
        "destinationBucket": format!("arn:aws:s3:::{dest}"),
        "version": "2016-11-30",
        "creationTimestamp": created_ms.to_string(),
        "fileFormat": "CSV",
        "fileSchema": CSV_SCHEMA,
        "files": entries,
    }))
    .expect("manifest serialises");
    let sum = md5_hex(&manifest);
    put(
        s3,
        dest,
        &format!("{reports_prefix}{stamp}/manifest.json"),
        manifest,
    )
    .await;
    put(
        s3,
        dest,
        &format!("{reports_prefix}{stamp}/manifest.checksum"),
        format!("{sum}\n").into_bytes(),
    )
    .await;
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put_object to the emulator");
}
