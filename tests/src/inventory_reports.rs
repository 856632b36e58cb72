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

/// When [`csv_row`] says its objects were last modified (long before any report).
pub const OLD_MODIFIED: &str = "2026-11-20T08:00:00.000Z";

/// One CSV record: key URL-encoded, ETag without quotes, as S3 Inventory writes them.
pub fn csv_row(bucket: &str, key: &str, size: u64, etag: &str) -> String {
    csv_row_at(bucket, key, size, etag, OLD_MODIFIED)
}

/// [`csv_row`] last modified at `modified` (RFC 3339).
pub fn csv_row_at(bucket: &str, key: &str, size: u64, etag: &str, modified: &str) -> String {
    let key: String =
        percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2F", "/");
    format!(
        "\"{bucket}\",\"{key}\",\"{size}\",\"{modified}\",\"{}\",\"STANDARD\",\"SSE-S3\"\n",
        etag.trim_matches('"')
    )
}

/// The Parquet schema S3 Inventory writes (S3 User Guide, "Inventory list") for the
/// fields [`parquet_file`] fills.
pub const PARQUET_SCHEMA: &str = "message s3.inventory {
    required binary bucket (UTF8);
    required binary key (UTF8);
    optional int64 size;
    optional int64 last_modified_date (TIMESTAMP_MILLIS);
    optional binary e_tag (UTF8);
    optional binary storage_class (UTF8);
}";

/// One object of a Parquet data file: key, size, ETag (quotes dropped) and last
/// modified (epoch ms), in storage class STANDARD.
pub struct ParquetRow<'a> {
    /// Key (not encoded: Parquet reports store keys as they are).
    pub key: &'a str,
    /// Size in bytes.
    pub size: i64,
    /// ETag.
    pub etag: &'a str,
    /// Last modified, epoch milliseconds.
    pub modified_ms: i64,
}

/// A Parquet data file of `bucket`'s inventory holding `rows`.
pub fn parquet_file(bucket: &str, rows: &[ParquetRow<'_>]) -> Vec<u8> {
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(PARQUET_SCHEMA).expect("schema parses"),
    );
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(
        &mut buf,
        schema,
        Arc::new(WriterProperties::builder().build()),
    )
    .expect("parquet writer");
    let mut rg = w.next_row_group().expect("row group");
    let ones = vec![1i16; rows.len()];
    let text = |f: &dyn Fn(&ParquetRow<'_>) -> String| -> Vec<ByteArray> {
        rows.iter()
            .map(|r| ByteArray::from(f(r).as_str()))
            .collect()
    };
    let mut index = 0;
    while let Some(mut col) = rg.next_column().expect("column") {
        match index {
            0 => {
                col.typed::<ByteArrayType>()
                    .write_batch(&text(&|_| bucket.to_string()), None, None)
            }
            1 => {
                col.typed::<ByteArrayType>()
                    .write_batch(&text(&|r| r.key.to_string()), None, None)
            }
            2 => col.typed::<Int64Type>().write_batch(
                &rows.iter().map(|r| r.size).collect::<Vec<_>>(),
                Some(&ones),
                None,
            ),
            3 => col.typed::<Int64Type>().write_batch(
                &rows.iter().map(|r| r.modified_ms).collect::<Vec<_>>(),
                Some(&ones),
                None,
            ),
            4 => col.typed::<ByteArrayType>().write_batch(
                &text(&|r| r.etag.trim_matches('"').to_string()),
                Some(&ones),
                None,
            ),
            _ => col.typed::<ByteArrayType>().write_batch(
                &text(&|_| "STANDARD".to_string()),
                Some(&ones),
                None,
            ),
        }
        .expect("column written");
        col.close().expect("column closed");
        index += 1;
    }
    rg.close().expect("row group closed");
    w.close().expect("file closed");
    buf
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
    let files = files.iter().map(|text| gzip(text)).collect();
    let report = Report {
        source,
        stamp,
        created_ms,
        format: "CSV",
        schema: CSV_SCHEMA,
    };
    put_report(s3, dest, reports_prefix, &report, files).await;
}

/// A report's manifest facts.
pub struct Report<'a> {
    /// Source bucket.
    pub source: &'a str,
    /// Timestamp folder, `YYYY-MM-DDTHH-MMZ`.
    pub stamp: &'a str,
    /// `creationTimestamp`, epoch ms.
    pub created_ms: i64,
    /// `CSV` or `Parquet`.
    pub format: &'a str,
    /// `fileSchema`.
    pub schema: &'a str,
}

/// Writes a complete report (data files as given, `manifest.json`, `manifest.checksum`)
/// under `<reports_prefix><stamp>/`.
pub async fn put_report(
    s3: &aws_sdk_s3::Client,
    dest: &str,
    reports_prefix: &str,
    report: &Report<'_>,
    files: Vec<Vec<u8>>,
) {
    let Report {
        source,
        stamp,
        created_ms,
        format,
        schema,
    } = *report;
    let ext = if format == "CSV" { "csv.gz" } else { "parquet" };
    let mut entries = Vec::new();
    for (i, body) in files.into_iter().enumerate() {
        let key = format!("{reports_prefix}data/{stamp}-{i}.{ext}");
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
        "fileFormat": format,
        "fileSchema": schema,
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
