//! Manifest and CSV parsing, from the S3 User Guide's examples ("Inventory manifest",
//! "Inventory list"). Downloading and Parquet are covered by `tests/tests/inventory.rs`
//! against the emulator.

use std::io::Write;

use flate2::write::GzEncoder;

use super::*;

/// The CSV manifest example of the S3 User Guide.
const MANIFEST: &str = r#"{
    "sourceBucket": "example-source-bucket",
    "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
    "version": "2016-11-30",
    "creationTimestamp" : "1514944800000",
    "fileFormat": "CSV",
    "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner",
    "files": [
        {
            "key": "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
            "size": 2147483647,
            "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"
        }
    ]
}"#;

fn gzip(text: &str) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn manifest() -> Manifest {
    parse_manifest(
        "dest",
        "m.json",
        MANIFEST.as_bytes(),
        md5_hex(MANIFEST.as_bytes()).as_bytes(),
    )
    .unwrap()
}

fn csv_records(text: &str) -> Vec<Result<InventoryRecord, InventoryError>> {
    let gz = gzip(text);
    csv_file::records(
        std::io::Cursor::new(gz),
        "data/f.csv.gz",
        &manifest().file_schema,
    )
    .unwrap()
    .collect()
}

#[test]
fn documented_manifest_parses_when_its_checksum_matches() {
    let m = manifest();
    assert_eq!(m.source_bucket, "example-source-bucket");
    assert_eq!(m.file_format, FileFormat::Csv);
    assert_eq!(m.files.len(), 1);
    assert_eq!(m.files[0].size, 2_147_483_647);
    assert_eq!(m.files[0].md5_checksum, "f11166069f1990abeb9c97ace9cdfabc");
    // manifest.checksum may end with a newline and use upper case.
    let sum = format!("{}\n", md5_hex(MANIFEST.as_bytes()).to_uppercase());
    assert!(parse_manifest("d", "k", MANIFEST.as_bytes(), sum.as_bytes()).is_ok());
}

#[test]
fn manifest_with_a_wrong_checksum_is_refused() {
    let err = parse_manifest(
        "dest",
        "inv/m.json",
        MANIFEST.as_bytes(),
        b"00000000000000000000000000000000",
    )
    .unwrap_err();
    assert!(
        matches!(err, InventoryError::ManifestChecksum { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("s3://dest/inv/m.json"), "{err}");
    assert!(err.is_transient());
}

#[test]
fn manifest_that_is_not_the_documented_shape_names_the_problem() {
    let bad = br#"{"sourceBucket": "b"}"#;
    let err = parse_manifest("d", "k", bad, md5_hex(bad).as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("not an S3 Inventory manifest"),
        "{err}"
    );
}

#[test]
fn csv_rows_follow_the_file_schema_and_keys_are_form_decoded() {
    let rows = csv_records(concat!(
        "\"example-source-bucket\",\"reports/Q1+summary%2B%C3%A9.csv\",\"\",\"true\",\"false\",\"2048\",",
        "\"2016-11-06T21:32:00.000Z\",\"d41d8cd98f00b204e9800998ecf8427e\",\"STANDARD\",\"false\",\"\",",
        "\"SSE-KMS\",\"\",\"\",\"\",\"\",\"ENABLED\",\"\",\"\",\"\"\n",
        "\"example-source-bucket\",\"old/a.txt\",\"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY\",\"false\",\"true\",\"\",",
        "\"2016-11-05T10:00:00.000Z\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\n",
    ));
    let a = rows[0].as_ref().unwrap();
    assert_eq!(a.bucket, "example-source-bucket");
    assert_eq!(a.key, "reports/Q1 summary+é.csv");
    assert_eq!(a.size, Some(2048));
    assert_eq!(a.is_latest, Some(true));
    assert_eq!(a.etag.as_deref(), Some("d41d8cd98f00b204e9800998ecf8427e"));
    assert_eq!(a.encryption_status.as_deref(), Some("SSE-KMS"));
    assert_eq!(a.bucket_key_status.as_deref(), Some("ENABLED"));
    assert_eq!(a.version_id, None);
    assert!(a.is_current_object());
    let m = a.to_object_metadata();
    assert_eq!(m.key, "reports/Q1 summary+é.csv");
    assert_eq!(m.last_modified.as_deref(), Some("2016-11-06T21:32:00.000Z"));
    assert_eq!(m.encryption.as_deref(), Some("SSE-KMS"));

    let b = rows[1].as_ref().unwrap();
    assert_eq!(b.is_delete_marker, Some(true));
    assert_eq!(b.size, None);
    assert!(!b.is_current_object());
}

#[test]
fn bad_csv_rows_name_the_file_and_record() {
    let rows = csv_records("\"b\",\"k\"\n");
    let err = rows[0].as_ref().unwrap_err();
    assert!(err.to_string().contains("data/f.csv.gz: record 1"), "{err}");
    assert!(err.to_string().contains("2 fields"), "{err}");

    let mut line = vec!["\"b\"", "\"k\"", "\"\"", "\"maybe\""];
    line.extend(std::iter::repeat_n("\"\"", 16));
    let rows = csv_records(&format!("{}\n", line.join(",")));
    let err = rows[0].as_ref().unwrap_err();
    assert!(
        err.to_string().contains("\"maybe\" is not true or false"),
        "{err}"
    );
}

#[test]
fn schema_without_key_column_is_refused() {
    let err = csv_file::records(std::io::Cursor::new(gzip("")), "f", "Bucket, Size")
        .err()
        .unwrap();
    assert!(err.to_string().contains("no key column"), "{err}");
}

#[test]
fn report_folders_are_recognised_by_their_timestamp() {
    assert!(is_report_folder("2016-11-06T21-32Z"));
    assert!(!is_report_folder("data"));
    assert!(!is_report_folder("hive"));
    assert!(!is_report_folder("2016-11-06T21:32Z"));
}

#[test]
fn reports_prefix_and_destination_follow_the_documented_layout() {
    let mut c = InventoryConfig {
        source_bucket: "src".into(),
        id: "daily".into(),
        destination_bucket: "arn:aws:s3:::inventory-dest".into(),
        destination_prefix: Some("Inventory/".into()),
    };
    assert_eq!(c.destination_name(), "inventory-dest");
    assert_eq!(c.reports_prefix(), "Inventory/src/daily/");
    c.destination_prefix = None;
    c.destination_bucket = "plain".into();
    assert_eq!(c.destination_name(), "plain");
    assert_eq!(c.reports_prefix(), "src/daily/");
}

#[test]
fn column_names_of_csv_and_parquet_schemas_meet() {
    assert_eq!(canonical("ETag"), canonical("e_tag"));
    assert_eq!(
        canonical(" LastModifiedDate"),
        canonical("last_modified_date")
    );
}
