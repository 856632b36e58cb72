//! S3 Inventory: enumerate a bucket from its latest inventory report instead of
//! ListObjectsV2, which is how a scan reaches 10^9 objects.
//!
//! As the S3 User Guide ("Locating your inventory list") documents, a report lives at
//! `<destination-prefix>/<source-bucket>/<config-id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`,
//! with `manifest.checksum` beside it (the MD5 of `manifest.json`, written after it, so
//! a report is complete once its checksum exists). The manifest lists the data files
//! (`files[].key`, `size`, `MD5checksum`), their `fileFormat` (`CSV`, `ORC`, `Parquet`)
//! and, for CSV, the column order in `fileSchema`.
//!
//! [`latest_report`] finds and verifies the newest complete report; [`fetch_file`]
//! downloads one data file to a local file, checking its size and MD5 while writing;
//! [`read_file`] iterates its records (gzip CSV in `fileSchema` order, with keys
//! URL-decoded as the guide says, `+` being a space; or Parquet, columns by name), and
//! [`records`] chains both over every file as a stream. Memory stays flat: files are
//! spooled to disk (Parquet needs random access) and read record by record. ORC reports
//! are refused with a clear error.

use crate::aws::listed_name;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use futures_util::Stream;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::scan::report::ObjectMetadata;

mod csv_file;
mod parquet_file;

/// Where a bucket's inventory reports are delivered (its inventory configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryConfig {
    /// Source bucket (the one the inventory lists).
    pub source_bucket: String,
    /// Inventory configuration id.
    pub id: String,
    /// Destination bucket: a name or `arn:aws:s3:::name`, as the configuration stores it.
    pub destination_bucket: String,
    /// Destination prefix, if the configuration sets one.
    #[serde(default)]
    pub destination_prefix: Option<String>,
}

impl InventoryConfig {
    /// The destination bucket's name (the ARN prefix removed).
    pub fn destination_name(&self) -> &str {
        let b = self.destination_bucket.as_str();
        b.rsplit_once(":::").map_or(b, |(_, name)| name)
    }

    /// `<prefix>/<source-bucket>/<config-id>/`, the folder holding every report.
    pub fn reports_prefix(&self) -> String {
        let prefix = self
            .destination_prefix
            .as_deref()
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| !p.is_empty());
        match prefix {
            Some(p) => format!("{p}/{}/{}/", self.source_bucket, self.id),
            None => format!("{}/{}/", self.source_bucket, self.id),
        }
    }
}

/// A report's data file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileFormat {
    /// Gzip-compressed CSV without a header row.
    #[serde(rename = "CSV")]
    Csv,
    /// Apache ORC (not read by this version).
    #[serde(rename = "ORC")]
    Orc,
    /// Apache Parquet.
    #[serde(rename = "Parquet")]
    Parquet,
}

/// One data file of a report, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Key in the destination bucket.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex MD5 of the file's bytes.
    #[serde(rename = "MD5checksum")]
    pub md5_checksum: String,
}

/// `manifest.json`, as the S3 User Guide documents it ("Inventory manifest").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The bucket listed.
    pub source_bucket: String,
    /// Destination bucket ARN.
    pub destination_bucket: String,
    /// Manifest format version (`2016-11-30`).
    #[serde(default)]
    pub version: String,
    /// Epoch milliseconds (a string) when the report was started.
    pub creation_timestamp: String,
    /// Data file format.
    pub file_format: FileFormat,
    /// CSV: the column names in order, comma separated; Parquet/ORC: the schema.
    pub file_schema: String,
    /// The data files.
    pub files: Vec<ManifestFile>,
}

/// The newest complete report of an inventory configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryReport {
    /// Destination bucket name.
    pub bucket: String,
    /// Key of `manifest.json`.
    pub manifest_key: String,
    /// When the report was started (RFC 3339), from `creationTimestamp`.
    pub created_at: String,
    /// The verified manifest.
    pub manifest: Manifest,
}

impl InventoryReport {
    /// `s3://` URI of the manifest.
    pub fn manifest_uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.manifest_key)
    }

    /// The folder holding `manifest.json` (for [`report_in`]).
    pub fn folder(&self) -> &str {
        self.manifest_key
            .strip_suffix("manifest.json")
            .unwrap_or(&self.manifest_key)
    }

    /// `creationTimestamp` in epoch milliseconds (validated when the report was read).
    pub fn created_ms(&self) -> i64 {
        self.manifest.creation_timestamp.trim().parse().unwrap_or(0)
    }
}

/// One object (or version, or delete marker) of an inventory report. Fields absent from
/// the report's configuration are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryRecord {
    /// Source bucket.
    pub bucket: String,
    /// Key, decoded.
    pub key: String,
    /// Version id (versioned inventories).
    pub version_id: Option<String>,
    /// Whether this is the current version.
    pub is_latest: Option<bool>,
    /// Whether this is a delete marker.
    pub is_delete_marker: Option<bool>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Last modified (RFC 3339).
    pub last_modified: Option<String>,
    /// ETag (no quotes).
    pub etag: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
    /// Whether it was a multipart upload.
    pub is_multipart_uploaded: Option<bool>,
    /// Replication status.
    pub replication_status: Option<String>,
    /// `NOT-SSE`, `SSE-S3`, `SSE-C`, `SSE-KMS` or `DSSE-KMS`.
    pub encryption_status: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub bucket_key_status: Option<String>,
    /// Intelligent-Tiering access tier (`FREQUENT`, `ARCHIVE`, `DEEP_ARCHIVE`...).
    pub intelligent_tiering_access_tier: Option<String>,
    /// Additional checksum algorithm.
    pub checksum_algorithm: Option<String>,
    /// Object Lock mode.
    pub object_lock_mode: Option<String>,
}

impl InventoryRecord {
    /// Whether the record is the current version of a live object (not an older version
    /// and not a delete marker): what a scan classifies.
    pub fn is_current_object(&self) -> bool {
        self.is_delete_marker != Some(true) && self.is_latest != Some(false)
    }

    /// The report model's metadata for this object.
    pub fn to_object_metadata(&self) -> ObjectMetadata {
        ObjectMetadata {
            key: self.key.clone(),
            version_id: self.version_id.clone().filter(|v| !v.is_empty()),
            size: self.size.unwrap_or(0),
            last_modified: self.last_modified.clone(),
            etag: self.etag.clone(),
            storage_class: self.storage_class.clone(),
            content_type: None,
            encryption: self.encryption_status.clone(),
            kms_key_id: None,
        }
    }
}

/// Why an inventory report could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// No folder under the reports prefix has a complete report.
    #[error("no complete S3 Inventory report under s3://{bucket}/{prefix} (check the inventory configuration's destination and id, and that a first report was delivered: it takes up to 48 hours)")]
    NoReport {
        /// Destination bucket.
        bucket: String,
        /// Reports prefix.
        prefix: String,
    },
    /// An S3 call failed.
    #[error("{operation} {uri} failed: {detail}{}", action.map(|a| format!(" (grant {a} on the inventory destination)")).unwrap_or_default())]
    S3 {
        /// API operation.
        operation: &'static str,
        /// `s3://bucket/key` (or prefix).
        uri: String,
        /// AWS error code.
        code: Option<String>,
        /// IAM action the call needs, for access errors.
        action: Option<&'static str>,
        /// Error context.
        detail: String,
        /// Whether retrying can help.
        transient: bool,
    },
    /// `manifest.json` does not match `manifest.checksum`.
    #[error("s3://{bucket}/{key}: MD5 {actual} does not match manifest.checksum {expected} (the report is corrupt or was replaced while read)")]
    ManifestChecksum {
        /// Destination bucket.
        bucket: String,
        /// Manifest key.
        key: String,
        /// From manifest.checksum.
        expected: String,
        /// Computed.
        actual: String,
    },
    /// `manifest.json` is not the documented shape.
    #[error("s3://{bucket}/{key} is not an S3 Inventory manifest: {reason}")]
    Manifest {
        /// Destination bucket.
        bucket: String,
        /// Manifest key.
        key: String,
        /// The parser's message.
        reason: String,
    },
    /// The report's format is not read by this version.
    #[error("S3 Inventory report s3://{bucket}/{key} is in {format:?} format; configure the inventory as CSV or Parquet")]
    UnsupportedFormat {
        /// Destination bucket.
        bucket: String,
        /// Manifest key.
        key: String,
        /// Its format.
        format: FileFormat,
    },
    /// A data file's size or MD5 differs from the manifest.
    #[error(
        "inventory file s3://{bucket}/{key}: {what} is {actual}, the manifest says {expected}"
    )]
    FileMismatch {
        /// Destination bucket.
        bucket: String,
        /// Data file key.
        key: String,
        /// `size` or `MD5`.
        what: &'static str,
        /// From the manifest.
        expected: String,
        /// Found.
        actual: String,
    },
    /// A data file could not be parsed.
    #[error("inventory file {key}: record {record}: {reason}")]
    Record {
        /// Data file key.
        key: String,
        /// Record number, from 1 (0: the file itself).
        record: u64,
        /// What is wrong.
        reason: String,
    },
    /// A local spool file could not be written or read.
    #[error("spooling inventory file to {path}: {source}")]
    Spool {
        /// Local path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl InventoryError {
    /// Whether retrying later can help (throttling, 5xx, network; a report replaced
    /// while read).
    pub fn is_transient(&self) -> bool {
        match self {
            InventoryError::S3 { transient, .. } => *transient,
            InventoryError::ManifestChecksum { .. } | InventoryError::FileMismatch { .. } => true,
            _ => false,
        }
    }
}

fn s3_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &'static str,
    action: &'static str,
    bucket: &str,
    key: &str,
    e: &SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> InventoryError {
    let code = e.code().map(str::to_string);
    let denied = matches!(code.as_deref(), Some("AccessDenied" | "AllAccessDisabled"));
    InventoryError::S3 {
        operation,
        uri: format!("s3://{bucket}/{key}"),
        action: denied.then_some(action),
        transient: crate::aws::is_transient(e),
        detail: crate::aws::error_summary(e),
        code,
    }
}

/// Whether a folder name is a report timestamp, `YYYY-MM-DDTHH-MMZ`.
fn is_report_folder(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 | 13 => *c == b'-',
            10 => *c == b'T',
            16 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Hex MD5 of bytes.
fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// Parses `manifest.json` after checking it against the text of `manifest.checksum`
/// (the hex MD5, surrounding whitespace ignored, any case).
pub fn parse_manifest(
    bucket: &str,
    key: &str,
    manifest: &[u8],
    checksum: &[u8],
) -> Result<Manifest, InventoryError> {
    let expected = String::from_utf8_lossy(checksum)
        .trim()
        .to_ascii_lowercase();
    let actual = md5_hex(manifest);
    if expected != actual {
        return Err(InventoryError::ManifestChecksum {
            bucket: bucket.into(),
            key: key.into(),
            expected,
            actual,
        });
    }
    serde_json::from_slice(manifest).map_err(|e| InventoryError::Manifest {
        bucket: bucket.into(),
        key: key.into(),
        reason: e.to_string(),
    })
}

async fn get_bytes(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    max: u64,
) -> Result<Option<Vec<u8>>, InventoryError> {
    let resp = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(r) => r,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(s3_error("GetObject", "s3:GetObject", bucket, key, &e)),
    };
    if resp.content_length().unwrap_or(0) as u64 > max {
        return Err(InventoryError::Manifest {
            bucket: bucket.into(),
            key: key.into(),
            reason: format!("larger than {max} bytes"),
        });
    }
    let body = resp.body.collect().await.map_err(|e| InventoryError::S3 {
        operation: "GetObject",
        uri: format!("s3://{bucket}/{key}"),
        code: None,
        action: None,
        detail: e.to_string(),
        transient: true,
    })?;
    Ok(Some(body.into_bytes().to_vec()))
}

/// Largest manifest read: the manifest lists file keys only (a few hundred bytes each),
/// so even a 10^9-object report's manifest is a few megabytes.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Finds the newest complete report of the configuration (the latest timestamp folder
/// that has a `manifest.checksum`), verifies `manifest.json` against it, and refuses ORC.
///
/// Needs `s3:ListBucket` and `s3:GetObject` on the destination bucket.
pub async fn latest_report(
    s3: &aws_sdk_s3::Client,
    config: &InventoryConfig,
) -> Result<InventoryReport, InventoryError> {
    let bucket = config.destination_name().to_string();
    let prefix = config.reports_prefix();
    let mut folders = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(&bucket)
            .prefix(&prefix)
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| s3_error("ListObjectsV2", "s3:ListBucket", &bucket, &prefix, &e))?;
        for p in page.common_prefixes() {
            let Some(full) = p.prefix().map(listed_name) else {
                continue;
            };
            let name = full.strip_prefix(prefix.as_str()).unwrap_or(&full);
            if is_report_folder(name.trim_end_matches('/')) {
                folders.push(full.clone());
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    // Timestamps in this layout sort as strings.
    folders.sort_unstable_by(|a, b| b.cmp(a));
    for folder in folders {
        if let Some(report) = report_in(s3, &bucket, &folder).await? {
            return Ok(report);
        }
    }
    Err(InventoryError::NoReport { bucket, prefix })
}

/// The report in one timestamp folder (`.../<YYYY-MM-DDTHH-MMZ>/`), verified against its
/// `manifest.checksum`; `Ok(None)` when it is not complete (no checksum or no manifest).
/// ORC reports are refused. A scan reads its pinned report again with this in every slice.
pub async fn report_in(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    folder: &str,
) -> Result<Option<InventoryReport>, InventoryError> {
    let checksum_key = format!("{folder}manifest.checksum");
    let Some(checksum) = get_bytes(s3, bucket, &checksum_key, 1024).await? else {
        return Ok(None); // Not complete yet (or abandoned).
    };
    let manifest_key = format!("{folder}manifest.json");
    let Some(bytes) = get_bytes(s3, bucket, &manifest_key, MAX_MANIFEST_BYTES).await? else {
        return Ok(None);
    };
    let manifest = parse_manifest(bucket, &manifest_key, &bytes, &checksum)?;
    if manifest.file_format == FileFormat::Orc {
        return Err(InventoryError::UnsupportedFormat {
            bucket: bucket.to_string(),
            key: manifest_key,
            format: FileFormat::Orc,
        });
    }
    let created_at = manifest
        .creation_timestamp
        .trim()
        .parse::<i64>()
        .map(crate::reject::rfc3339)
        .map_err(|_| InventoryError::Manifest {
            bucket: bucket.to_string(),
            key: manifest_key.clone(),
            reason: format!(
                "creationTimestamp {:?} is not epoch milliseconds",
                manifest.creation_timestamp
            ),
        })?;
    Ok(Some(InventoryReport {
        bucket: bucket.to_string(),
        manifest_key,
        created_at,
        manifest,
    }))
}

/// A data file downloaded to local disk whose size and MD5 matched the manifest.
/// The file is removed when this drops.
#[derive(Debug)]
pub struct VerifiedFile {
    /// Local path.
    pub path: PathBuf,
    /// Key in the destination bucket.
    pub key: String,
    /// Its format.
    pub format: FileFormat,
}

impl Drop for VerifiedFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Downloads data file `index` of the report into `dir`, hashing while writing, and
/// checks its size and MD5 against the manifest.
pub async fn fetch_file(
    s3: &aws_sdk_s3::Client,
    report: &InventoryReport,
    index: usize,
    dir: &Path,
) -> Result<VerifiedFile, InventoryError> {
    let entry = report
        .manifest
        .files
        .get(index)
        .ok_or_else(|| InventoryError::Record {
            key: report.manifest_key.clone(),
            record: 0,
            reason: format!("the manifest has no file {index}"),
        })?;
    fetch_entry(s3, &report.bucket, entry, report.manifest.file_format, dir).await
}

/// Downloads one data file (`entry` of a verified manifest, in `bucket`) into `dir`,
/// streamed to disk with its MD5 computed on the way (memory stays flat whatever the
/// file's size), and checks size and MD5 against the manifest's.
pub async fn fetch_entry(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    entry: &ManifestFile,
    format: FileFormat,
    dir: &Path,
) -> Result<VerifiedFile, InventoryError> {
    let bucket = &bucket.to_string();
    let resp = s3
        .get_object()
        .bucket(bucket)
        .key(&entry.key)
        .send()
        .await
        .map_err(|e| s3_error("GetObject", "s3:GetObject", bucket, &entry.key, &e))?;
    let path = dir.join(format!("inventory-{}.part", uuid::Uuid::new_v4()));
    let spool = |source| InventoryError::Spool {
        path: path.clone(),
        source,
    };
    let file = VerifiedFile {
        path: path.clone(),
        key: entry.key.clone(),
        format,
    };
    let mut out = BufWriter::new(File::create(&path).map_err(spool)?);
    let mut md5 = Md5::new();
    let mut size = 0u64;
    let mut body = resp.body;
    while let Some(chunk) = body.try_next().await.map_err(|e| InventoryError::S3 {
        operation: "GetObject",
        uri: format!("s3://{bucket}/{}", entry.key),
        code: None,
        action: None,
        detail: e.to_string(),
        transient: true,
    })? {
        md5.update(&chunk);
        size += chunk.len() as u64;
        out.write_all(&chunk).map_err(spool)?;
    }
    out.flush().map_err(spool)?;
    let mismatch = |what, expected: String, actual: String| InventoryError::FileMismatch {
        bucket: bucket.clone(),
        key: entry.key.clone(),
        what,
        expected,
        actual,
    };
    if size != entry.size {
        return Err(mismatch("size", entry.size.to_string(), size.to_string()));
    }
    let actual = hex::encode(md5.finalize());
    if !actual.eq_ignore_ascii_case(entry.md5_checksum.trim()) {
        return Err(mismatch("MD5", entry.md5_checksum.clone(), actual));
    }
    Ok(file)
}

/// Iterator over the records of one verified data file.
pub type Records = Box<dyn Iterator<Item = Result<InventoryRecord, InventoryError>> + Send>;

/// Reads the records of a downloaded data file: gzip CSV with columns in the order of
/// the manifest's `fileSchema`, or Parquet with columns by name.
pub fn read_file(file: &VerifiedFile, manifest: &Manifest) -> Result<Records, InventoryError> {
    read_path(&file.path, &file.key, file.format, &manifest.file_schema)
}

/// [`read_file`] over any local file (tests, the CLI reading a downloaded report).
pub fn read_path(
    path: &Path,
    key: &str,
    format: FileFormat,
    file_schema: &str,
) -> Result<Records, InventoryError> {
    let f = File::open(path).map_err(|source| InventoryError::Spool {
        path: path.to_path_buf(),
        source,
    })?;
    match format {
        FileFormat::Csv => Ok(Box::new(csv_file::records(
            BufReader::new(f),
            key,
            file_schema,
        )?)),
        FileFormat::Parquet => parquet_file::records(f, key),
        FileFormat::Orc => Err(InventoryError::UnsupportedFormat {
            bucket: String::new(),
            key: key.to_string(),
            format,
        }),
    }
}

/// Every record of the report, file after file, as a stream. Each file is downloaded
/// into `dir` and verified before any of its records is yielded; the first error ends
/// the stream.
pub fn records<'a>(
    s3: &'a aws_sdk_s3::Client,
    report: &'a InventoryReport,
    dir: &'a Path,
) -> impl Stream<Item = Result<InventoryRecord, InventoryError>> + 'a {
    struct State {
        index: usize,
        current: Option<(VerifiedFile, Records)>,
        done: bool,
    }
    let start = State {
        index: 0,
        current: None,
        done: false,
    };
    futures_util::stream::unfold(start, move |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if let Some((_, it)) = st.current.as_mut() {
                match it.next() {
                    Some(Ok(r)) => return Some((Ok(r), st)),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => st.current = None,
                }
            }
            if st.index >= report.manifest.files.len() {
                return None;
            }
            let opened = match fetch_file(s3, report, st.index, dir).await {
                Ok(f) => read_file(&f, &report.manifest).map(|it| (f, it)),
                Err(e) => Err(e),
            };
            st.index += 1;
            match opened {
                Ok(pair) => st.current = Some(pair),
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
        }
    })
}

/// The canonical form of a column name, so the CSV `fileSchema` names (`ETag`,
/// `LastModifiedDate`) and the Parquet ones (`e_tag`, `last_modified_date`) match.
pub(crate) fn canonical(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Sets the record field named by a canonical column name from its text value.
pub(crate) fn set_field(r: &mut InventoryRecord, column: &str, value: &str) -> Result<(), String> {
    let text = || (!value.is_empty()).then(|| value.to_string());
    let flag = || -> Result<Option<bool>, String> {
        match value {
            "" => Ok(None),
            v if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            v if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            v => Err(format!("{column}: {v:?} is not true or false")),
        }
    };
    match column {
        "bucket" => r.bucket = value.to_string(),
        "key" => r.key = value.to_string(),
        "versionid" => r.version_id = text(),
        "islatest" => r.is_latest = flag()?,
        "isdeletemarker" => r.is_delete_marker = flag()?,
        "size" => {
            r.size = if value.is_empty() {
                None
            } else {
                Some(
                    value
                        .parse()
                        .map_err(|_| format!("size {value:?} is not a byte count"))?,
                )
            }
        }
        "lastmodifieddate" => r.last_modified = text(),
        "etag" => r.etag = text().map(|e| e.trim_matches('"').to_string()),
        "storageclass" => r.storage_class = text(),
        "ismultipartuploaded" => r.is_multipart_uploaded = flag()?,
        "replicationstatus" => r.replication_status = text(),
        "encryptionstatus" => r.encryption_status = text(),
        "bucketkeystatus" => r.bucket_key_status = text(),
        "intelligenttieringaccesstier" => r.intelligent_tiering_access_tier = text(),
        "checksumalgorithm" => r.checksum_algorithm = text(),
        "objectlockmode" => r.object_lock_mode = text(),
        // Columns the scan does not use (ACL, owner, lock dates...).
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
