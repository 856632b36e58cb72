//! OpenMetadata's storage manifest: `openmetadata.json` at a bucket's root declares the
//! bucket's containers (`entries`: `dataPath`, `structureFormat`, `separator`,
//! `isPartitioned`, `partitionColumns`, `unstructuredFormats`, `depth`), as OpenMetadata's
//! `StorageContainerConfig` schema documents it.
//!
//! [`read_containers`] reads the manifest and reports each entry as a [`Container`]:
//! its size and object count (from the listing under `dataPath`), its partition columns
//! (declared, or taken from Hive-style `name=value` folders), and for structured entries
//! the columns inferred from one data file: the header and sampled values of CSV/TSV,
//! the members of sampled JSON lines, the schema in a Parquet file's footer (two ranged
//! GETs, never the whole file). Types use OpenMetadata's names (`STRING`, `BIGINT`,
//! `DOUBLE`, `BOOLEAN`, `DATE`, `TIMESTAMP`, `STRUCT`, `ARRAY`...). Schema inference is
//! in [`schema`], free of I/O.

pub mod schema;

use crate::aws::listed_name;
use aws_sdk_s3::error::ProvideErrorMetadata;
use serde::Deserialize;

use crate::scan::report::{Column, Container};

/// The manifest's key at the bucket root.
pub const MANIFEST_KEY: &str = "openmetadata.json";

/// Largest manifest read.
const MAX_MANIFEST_BYTES: i64 = 1024 * 1024;

/// `openmetadata.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StorageManifest {
    /// The containers.
    #[serde(default)]
    pub entries: Vec<ManifestEntry>,
}

/// One entry of the manifest (OpenMetadata's `metadataEntry`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    /// Key prefix of the data, without the bucket name.
    pub data_path: String,
    /// Format of structured data: `csv`, `tsv`, `json`, `parquet`, `avro`...
    #[serde(default)]
    pub structure_format: Option<String>,
    /// Field separator of delimited files.
    #[serde(default)]
    pub separator: Option<String>,
    /// Whether the data is partitioned into folders.
    #[serde(default)]
    pub is_partitioned: bool,
    /// Partition columns.
    #[serde(default)]
    pub partition_columns: Vec<ManifestColumn>,
    /// Extensions of unstructured files to report (`png`, `pdf`, `*`).
    #[serde(default)]
    pub unstructured_formats: Vec<String>,
    /// Folder depth of unstructured data under `dataPath`.
    #[serde(default)]
    pub depth: Option<u32>,
}

/// A column as OpenMetadata's `table.json#/definitions/column` spells it (name and
/// `dataType`; other members ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestColumn {
    /// Column name.
    pub name: String,
    /// Data type (`STRING`, `INT`...).
    #[serde(default)]
    pub data_type: Option<String>,
}

/// Why the manifest could not be read (an entry that cannot be inferred is reported in
/// its container's `error` instead).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest is not valid JSON of the documented shape.
    #[error("s3://{bucket}/openmetadata.json is not an OpenMetadata manifest: {reason}")]
    Invalid {
        /// Bucket.
        bucket: String,
        /// Parser message.
        reason: String,
    },
    /// An S3 call failed.
    #[error("{operation} {uri} failed: {detail} (grant {action})")]
    S3 {
        /// API operation.
        operation: &'static str,
        /// `s3://bucket/key` (or prefix).
        uri: String,
        /// AWS error code.
        code: Option<String>,
        /// IAM action the call needs.
        action: &'static str,
        /// Error context.
        detail: String,
    },
}

/// Limits of what is read per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestLimits {
    /// Objects listed per entry for size and count (the counts say when they stop short).
    pub max_keys: u64,
    /// Bytes read from a CSV or JSON-lines file to infer its schema.
    pub sample_bytes: u64,
    /// Rows sampled from it.
    pub sample_rows: usize,
}

impl Default for ManifestLimits {
    fn default() -> Self {
        ManifestLimits {
            max_keys: 1_000_000,
            sample_bytes: 1024 * 1024,
            sample_rows: 1000,
        }
    }
}

/// Parses `openmetadata.json`.
pub fn parse(bucket: &str, bytes: &[u8]) -> Result<StorageManifest, ManifestError> {
    serde_json::from_slice(bytes).map_err(|e| ManifestError::Invalid {
        bucket: bucket.into(),
        reason: e.to_string(),
    })
}

fn s3_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &'static str,
    action: &'static str,
    bucket: &str,
    key: &str,
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> ManifestError {
    ManifestError::S3 {
        operation,
        uri: format!("s3://{bucket}/{key}"),
        code: e.code().map(str::to_string),
        action,
        detail: crate::aws::error_summary(e),
    }
}

/// Reads the bucket's `openmetadata.json` and reports its containers; `Ok(None)` when the
/// bucket has no manifest.
pub async fn read_containers(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    limits: &ManifestLimits,
) -> Result<Option<Vec<Container>>, ManifestError> {
    let resp = match s3
        .get_object()
        .bucket(bucket)
        .key(MANIFEST_KEY)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => {
            return Err(s3_error(
                "GetObject",
                "s3:GetObject",
                bucket,
                MANIFEST_KEY,
                &e,
            ))
        }
    };
    if resp.content_length().unwrap_or(0) > MAX_MANIFEST_BYTES {
        return Err(ManifestError::Invalid {
            bucket: bucket.into(),
            reason: format!("larger than {MAX_MANIFEST_BYTES} bytes"),
        });
    }
    let bytes = resp
        .body
        .collect()
        .await
        .map_err(|e| ManifestError::S3 {
            operation: "GetObject",
            uri: format!("s3://{bucket}/{MANIFEST_KEY}"),
            code: None,
            action: "s3:GetObject",
            detail: e.to_string(),
        })?
        .into_bytes();
    let manifest = parse(bucket, &bytes)?;
    let mut out = Vec::with_capacity(manifest.entries.len());
    for entry in &manifest.entries {
        out.push(container(s3, bucket, entry, limits).await?);
    }
    Ok(Some(out))
}

/// The container for one entry: listing, partition columns and schema.
async fn container(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    entry: &ManifestEntry,
    limits: &ManifestLimits,
) -> Result<Container, ManifestError> {
    let prefix = format!("{}/", entry.data_path.trim_matches('/'));
    let format = entry
        .structure_format
        .as_deref()
        .map(str::to_ascii_lowercase);
    let mut c = Container {
        data_path: entry.data_path.clone(),
        structure_format: format.clone(),
        separator: entry.separator.clone(),
        is_partitioned: entry.is_partitioned,
        partition_columns: entry
            .partition_columns
            .iter()
            .map(|p| Column {
                name: p.name.clone(),
                data_type: p.data_type.clone().unwrap_or_else(|| "STRING".into()),
            })
            .collect(),
        unstructured_formats: entry.unstructured_formats.clone(),
        depth: entry.depth,
        ..Container::default()
    };
    let mut sample: Option<String> = None;
    let mut partition_names: Vec<String> = Vec::new();
    let mut token = None;
    'pages: loop {
        let page = s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(bucket)
            .prefix(&prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| s3_error("ListObjectsV2", "s3:ListBucket", bucket, &prefix, &e))?;
        for o in page.contents() {
            let key = listed_name(o.key().unwrap_or_default());
            let size = o.size().unwrap_or(0).max(0) as u64;
            let relative = key.strip_prefix(prefix.as_str()).unwrap_or(&key);
            let counted = match &format {
                Some(f) => schema::is_data_file(relative, f),
                None => unstructured_match(relative, &entry.unstructured_formats, entry.depth),
            };
            if !counted {
                continue;
            }
            if c.object_count >= limits.max_keys {
                c.counts_complete = false;
                break 'pages;
            }
            c.object_count += 1;
            c.size_bytes += size;
            if sample.is_none() && format.is_some() && size > 0 {
                sample = Some(key.to_string());
                partition_names = schema::hive_partitions(relative);
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => {
                c.counts_complete = true;
                break;
            }
        }
    }
    if entry.is_partitioned && c.partition_columns.is_empty() {
        c.partition_columns = partition_names
            .into_iter()
            .map(|name| Column {
                name,
                data_type: "STRING".into(),
            })
            .collect();
    }
    let Some(format) = format else {
        return Ok(c);
    };
    let Some(key) = sample else {
        c.error = Some(format!(
            "no {format} file under {prefix} to infer a schema from"
        ));
        return Ok(c);
    };
    let inferred = match format.as_str() {
        "parquet" => parquet_columns(s3, bucket, &key).await,
        _ => {
            sample_columns(
                s3,
                bucket,
                &key,
                &format,
                entry.separator.as_deref(),
                limits,
            )
            .await
        }
    };
    match inferred {
        Ok(columns) => c.columns = columns,
        Err(reason) => c.error = Some(format!("{key}: {reason}")),
    }
    c.schema_source = Some(key);
    Ok(c)
}

/// Whether an unstructured file is reported: its extension is listed (or `*` is), and it
/// sits no deeper than `depth` folders under the data path when a depth is given.
fn unstructured_match(relative: &str, formats: &[String], depth: Option<u32>) -> bool {
    if relative.is_empty() || relative.ends_with('/') {
        return false;
    }
    if let Some(d) = depth {
        if relative.matches('/').count() as u32 > d {
            return false;
        }
    }
    let ext = relative
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    formats.iter().any(|f| {
        f == "*" || ext.as_deref() == Some(f.trim_start_matches('.').to_ascii_lowercase().as_str())
    })
}

/// Columns of a CSV/TSV/JSON-lines file from its first `sample_bytes` (one ranged GET).
async fn sample_columns(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    format: &str,
    separator: Option<&str>,
    limits: &ManifestLimits,
) -> Result<Vec<Column>, String> {
    let bytes = ranged(
        s3,
        bucket,
        key,
        format!("bytes=0-{}", limits.sample_bytes.max(1) - 1),
    )
    .await?;
    schema::infer_text(key, &bytes, format, separator, limits.sample_rows)
}

/// Columns of a Parquet file from its footer: the last 64 KiB, and the metadata's exact
/// range when it is longer.
async fn parquet_columns(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<Column>, String> {
    const TAIL: u64 = 64 * 1024;
    let tail = ranged(s3, bucket, key, format!("bytes=-{TAIL}")).await?;
    match schema::parquet_footer(&tail) {
        Ok(columns) => Ok(columns),
        Err(schema::FooterNeeds::More(len)) => {
            let tail = ranged(s3, bucket, key, format!("bytes=-{}", len + 8)).await?;
            schema::parquet_footer(&tail).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn ranged(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    range: String,
) -> Result<Vec<u8>, String> {
    let resp = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(range)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetObject failed ({}): grant s3:GetObject",
                e.code().unwrap_or("no AWS error code")
            )
        })?;
    let body = resp.body.collect().await.map_err(|e| e.to_string())?;
    Ok(body.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example manifest of OpenMetadata's storage connector documentation.
    const DOC_MANIFEST: &str = r#"{
      "entries": [
        {"dataPath": "transactions", "structureFormat": "csv", "isPartitioned": false},
        {"dataPath": "transactions_separator", "structureFormat": "csv", "separator": ";",
         "isPartitioned": false},
        {"dataPath": "cities", "structureFormat": "parquet", "isPartitioned": true,
         "partitionColumns": [{"name": "State", "dataType": "STRING",
                               "dataTypeDisplay": "STRING (varchar)"}]},
        {"dataPath": "images", "unstructuredFormats": ["png", "jpg"], "depth": 1}
      ]
    }"#;

    #[test]
    fn documented_manifest_parses() {
        let m = parse("b", DOC_MANIFEST.as_bytes()).unwrap();
        assert_eq!(m.entries.len(), 4);
        assert_eq!(m.entries[1].separator.as_deref(), Some(";"));
        assert!(m.entries[2].is_partitioned);
        assert_eq!(m.entries[2].partition_columns[0].name, "State");
        assert_eq!(m.entries[3].unstructured_formats, ["png", "jpg"]);
        assert_eq!(m.entries[3].depth, Some(1));
    }

    #[test]
    fn invalid_manifest_names_the_bucket_and_problem() {
        let err = parse("data-lake", br#"{"entries": [{"structureFormat": "csv"}]}"#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("s3://data-lake/openmetadata.json"), "{msg}");
        assert!(msg.contains("dataPath"), "{msg}");
    }

    #[test]
    fn unstructured_files_match_by_extension_and_depth() {
        let f = vec!["png".to_string()];
        assert!(unstructured_match("a.PNG", &f, None));
        assert!(unstructured_match("x/a.png", &f, Some(1)));
        assert!(!unstructured_match("x/y/a.png", &f, Some(1)));
        assert!(!unstructured_match("a.pdf", &f, None));
        assert!(unstructured_match("a.pdf", &["*".to_string()], None));
        assert!(!unstructured_match("folder/", &["*".to_string()], None));
    }
}
