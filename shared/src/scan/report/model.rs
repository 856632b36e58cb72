//! The scan report model: what `report.json` holds, and the part files workers write.
//!
//! A scan's workers each write a [`BucketPart`] (one slice of one bucket: the objects it
//! classified or skipped, deletions, errors). The plan contributes one [`BucketReport`] per
//! bucket with its metadata and posture. `ScanReport::assemble` merges plan and parts
//! into the whole report, deduplicating objects a retried task recorded twice and
//! computing every total, so the renderers (`report.json`, `findings.csv`,
//! `findings.ocsf.json`, `report.html`) read one value.
//!
//! Every field is plain data with serde derives; timestamps are RFC 3339 strings in UTC;
//! sizes are bytes. Findings carry masked samples and keyed digests only, never a value.
//! Object status and skip reasons follow Amazon Macie's sensitive data discovery results
//! (`COMPLETE` / `PARTIAL` / `SKIPPED` with a reason code).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classify::Category;

/// Version of the `report.json` layout; bumped on incompatible changes.
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// The whole report of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// [`REPORT_FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The scan's id (also the `scans/<scan_id>/` folder).
    pub scan_id: String,
    /// What the scan was asked to do.
    pub config: ConfigSummary,
    /// When the plan started (RFC 3339).
    pub started_at: String,
    /// When the last task finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Buckets, ordered by account then name.
    pub buckets: Vec<BucketReport>,
    /// Sums over the buckets.
    pub totals: Totals,
}

/// Scan mode, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanMode {
    /// Every object in scope.
    #[default]
    Full,
    /// Objects created or changed since the last completed scan of the same scope.
    Incremental,
}

/// The configuration a scan ran with, as far as a reader of the report needs it
/// (no secrets: role ARNs yes, external IDs never).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigSummary {
    /// Full or incremental.
    pub mode: ScanMode,
    /// Accounts scanned: account id (or role ARN) per entry.
    pub accounts: Vec<String>,
    /// Bucket names or glob patterns included (empty: all).
    pub include_buckets: Vec<String>,
    /// Bucket names or glob patterns excluded.
    pub exclude_buckets: Vec<String>,
    /// Key prefixes included (empty: all).
    pub include_prefixes: Vec<String>,
    /// Key prefixes excluded.
    pub exclude_prefixes: Vec<String>,
    /// File types (extensions) classified (empty: all supported).
    pub file_types: Vec<String>,
    /// File types (extensions) excluded: objects of these types are not read (counted
    /// per bucket in `objects_excluded_by_type`).
    pub exclude_file_types: Vec<String>,
    /// Detector ids run (empty: all built-in).
    pub detectors: Vec<String>,
    /// Storage classes read.
    pub storage_classes: Vec<String>,
    /// Largest object classified, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_object_size: Option<u64>,
    /// Bytes read per object (sampling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes_per_object: Option<u64>,
    /// Rows read per structured file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rows_per_file: Option<u64>,
    /// Objects classified per prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_objects_per_prefix: Option<u64>,
    /// Share of objects classified per partitioned folder (0 < rate <= 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_sample_rate: Option<f64>,
    /// Where the reports are written (`s3://bucket/prefix`).
    pub output: String,
}

/// Whether a bucket's scan ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BucketStatus {
    /// Every object in scope was enumerated and handled.
    Complete,
    /// Some tasks did not finish (the report was written with what exists).
    #[default]
    Partial,
    /// The bucket could not be read at all; see its errors.
    Failed,
}

impl BucketStatus {
    /// The code as written in reports (`COMPLETE`, `PARTIAL`, `FAILED`).
    pub fn as_str(self) -> &'static str {
        match self {
            BucketStatus::Complete => "COMPLETE",
            BucketStatus::Partial => "PARTIAL",
            BucketStatus::Failed => "FAILED",
        }
    }
}

/// How a bucket's objects were enumerated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Enumeration {
    /// ListObjectsV2.
    #[default]
    Listing,
    /// An S3 Inventory report.
    Inventory {
        /// `s3://` URI of the report's `manifest.json`.
        manifest: String,
        /// The report's creation time (RFC 3339), from the manifest.
        created_at: String,
    },
}

/// One bucket: metadata and posture, and what the scan found in it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketReport {
    /// Owning account id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket name.
    pub name: String,
    /// Complete, partial or failed.
    pub status: BucketStatus,
    /// How objects were enumerated.
    pub enumeration: Enumeration,
    /// Region, encryption, public access, versioning, ownership, tags, size.
    pub metadata: BucketMetadata,
    /// Posture findings derived from the metadata (see [`super::posture`]).
    pub warnings: Vec<PostureWarning>,
    /// Structured containers declared by the bucket's `openmetadata.json`.
    pub containers: Vec<Container>,
    /// Objects classified or skipped, ordered by key.
    pub objects: Vec<ObjectResult>,
    /// Objects of the previous scan that are gone (incremental mode), ordered by key.
    pub deleted: Vec<DeletedObject>,
    /// Errors met (bucket-level reads, listing, object reads that were not skips).
    pub errors: Vec<ScanIssue>,
    /// Counts for this bucket.
    pub totals: BucketTotals,
}

/// A bucket's configuration, as the S3 control-plane calls report it. `None` means not
/// read (see the bucket's errors for why), never "off".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketMetadata {
    /// Region (GetBucketLocation / HeadBucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Creation date (RFC 3339), from ListBuckets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Default encryption (GetBucketEncryption).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<DefaultEncryption>,
    /// The bucket's Block Public Access settings (GetPublicAccessBlock); all false when
    /// the bucket has no configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<PublicAccessBlock>,
    /// The account's Block Public Access settings (s3control GetPublicAccessBlock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_public_access_block: Option<PublicAccessBlock>,
    /// `PolicyStatus.IsPublic` (GetBucketPolicyStatus); false when the bucket has no policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_is_public: Option<bool>,
    /// Versioning status (GetBucketVersioning): `Enabled`, `Suspended`, or `Disabled`
    /// for a bucket where it was never enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// MFA delete (GetBucketVersioning `MFADelete`): `Enabled` or `Disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
    /// Object Ownership (GetBucketOwnershipControls): `BucketOwnerEnforced`,
    /// `BucketOwnerPreferred` or `ObjectWriter` (the default when none is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_ownership: Option<String>,
    /// Tags (GetBucketTagging), by key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Total size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Number of objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_count: Option<u64>,
    /// Where size and count come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_source: Option<SizeSource>,
}

/// Default encryption of a bucket (`ServerSideEncryptionByDefault`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DefaultEncryption {
    /// `SSEAlgorithm`: `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// `KMSMasterKeyID` (ARN, key id or alias), for KMS algorithms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `BucketKeyEnabled`.
    pub bucket_key_enabled: bool,
}

/// The four Block Public Access flags, as S3 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four flags on.
    pub fn all_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// The settings S3 applies when this level and `other` are both configured: each is
    /// on when either level turns it on (S3 User Guide, "Blocking public access").
    pub fn or(&self, other: &PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }

    /// The S3 names of the settings that are off.
    pub fn off_settings(&self) -> Vec<&'static str> {
        [
            (self.block_public_acls, "BlockPublicAcls"),
            (self.ignore_public_acls, "IgnorePublicAcls"),
            (self.block_public_policy, "BlockPublicPolicy"),
            (self.restrict_public_buckets, "RestrictPublicBuckets"),
        ]
        .into_iter()
        .filter(|(on, _)| !on)
        .map(|(_, name)| name)
        .collect()
    }
}

/// Source of a bucket's size and object count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSource {
    /// CloudWatch daily storage metrics (`BucketSizeBytes`, `NumberOfObjects`), as
    /// OpenMetadata reads them.
    Cloudwatch,
    /// Summed from this scan's listing.
    Listing,
    /// Summed from the S3 Inventory report.
    Inventory,
}

/// A posture problem of a bucket, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostureWarning {
    /// Stable code.
    pub code: WarningCode,
    /// What a reader should know and do.
    pub message: String,
}

/// Posture warning codes, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The bucket holds sensitive data and its policy is public or public access is not
    /// blocked.
    SensitiveDataExposed,
    /// The bucket policy grants public access.
    PolicyPublic,
    /// Neither the bucket nor the account blocks all public access.
    PublicAccessNotBlocked,
    /// Default encryption is SSE-S3, not a KMS key the owner controls, while the bucket
    /// holds sensitive data.
    SensitiveDataWithoutKms,
    /// ACLs are enabled (Object Ownership is not `BucketOwnerEnforced`).
    AclsEnabled,
    /// Versioning is not enabled (deleted or overwritten objects cannot be recovered).
    VersioningDisabled,
}

/// A structured container declared by `openmetadata.json`, with its inferred schema.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    /// The entry's `dataPath` (a key prefix of the bucket).
    pub data_path: String,
    /// `structureFormat` (`csv`, `tsv`, `json`, `parquet`, ...), when structured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structure_format: Option<String>,
    /// Field separator for CSV-like formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// `isPartitioned`.
    pub is_partitioned: bool,
    /// Partition columns (name and type), as the manifest declares them.
    pub partition_columns: Vec<Column>,
    /// `unstructuredFormats`, for unstructured entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unstructured_formats: Vec<String>,
    /// `depth`, for unstructured entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// Columns inferred from the data (structured entries).
    pub columns: Vec<Column>,
    /// Key of the object the schema was inferred from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_source: Option<String>,
    /// Total size of the objects under `data_path`, in bytes.
    pub size_bytes: u64,
    /// Number of objects under `data_path`.
    pub object_count: u64,
    /// Whether size and count cover every object (false: the listing limit was reached).
    pub counts_complete: bool,
    /// Why the schema could not be inferred, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A column of a container: name and a data type in OpenMetadata's terms (`STRING`,
/// `INT`, `BIGINT`, `DOUBLE`, `BOOLEAN`, `DATE`, `TIMESTAMP`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name (CSV header, JSON member, Parquet field path).
    pub name: String,
    /// Data type.
    pub data_type: String,
}

/// An object's result: status `COMPLETE`, `PARTIAL` or `SKIPPED`, as Macie reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectStatus {
    /// Read to the end (or to its whole sample).
    #[default]
    Complete,
    /// Read in part: sampling limits cut it, or part of it could not be read.
    Partial,
    /// Not classified; see the reason.
    Skipped,
}

impl ObjectStatus {
    /// The code as written in reports (`COMPLETE`, `PARTIAL`, `SKIPPED`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectStatus::Complete => "COMPLETE",
            ObjectStatus::Partial => "PARTIAL",
            ObjectStatus::Skipped => "SKIPPED",
        }
    }
}

/// Why an object was skipped (or only partly read). Codes in Macie's style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SkipReason {
    /// Archived storage class (S3 Glacier Flexible Retrieval, Deep Archive, Intelligent-
    /// Tiering archive tiers) and not restored.
    ArchivedStorageClass,
    /// A storage class the config does not read.
    StorageClassNotSelected,
    /// Larger than the configured maximum object size.
    FileExceedsSizeLimit,
    /// A format no detector can read.
    UnsupportedFileType,
    /// GetObject was denied (`s3:GetObject`).
    AccessDenied,
    /// The object's KMS key could not be used (`kms:Decrypt`).
    KmsAccessDenied,
    /// The object changed between listing and reading (ETag mismatch).
    ObjectChanged,
    /// The object was deleted between listing and reading.
    ObjectNotFound,
    /// The task's time budget ran out before this object.
    TimeBudget,
    /// The object's content is malformed for its format (bad gzip, truncated Parquet).
    InvalidContent,
    /// Another read error; see the object's message.
    #[serde(other)]
    ReadError,
}

impl SkipReason {
    /// The code as written in reports (`ARCHIVED_STORAGE_CLASS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ArchivedStorageClass => "ARCHIVED_STORAGE_CLASS",
            SkipReason::StorageClassNotSelected => "STORAGE_CLASS_NOT_SELECTED",
            SkipReason::FileExceedsSizeLimit => "FILE_EXCEEDS_SIZE_LIMIT",
            SkipReason::UnsupportedFileType => "UNSUPPORTED_FILE_TYPE",
            SkipReason::AccessDenied => "ACCESS_DENIED",
            SkipReason::KmsAccessDenied => "KMS_ACCESS_DENIED",
            SkipReason::ObjectChanged => "OBJECT_CHANGED",
            SkipReason::ObjectNotFound => "OBJECT_NOT_FOUND",
            SkipReason::TimeBudget => "TIME_BUDGET",
            SkipReason::InvalidContent => "INVALID_CONTENT",
            SkipReason::ReadError => "READ_ERROR",
        }
    }

    /// The reason for an object the classifier skipped or cut, from the classifier's
    /// reason (whatever its spelling: `unsupported_type`, `UNSUPPORTED_TYPE`, ...).
    pub fn from_classifier(reason: &str) -> SkipReason {
        let r = reason.to_ascii_lowercase();
        if r.contains("unsupported") {
            SkipReason::UnsupportedFileType
        } else if r.contains("size") || r.contains("large") {
            SkipReason::FileExceedsSizeLimit
        } else if r.contains("invalid") || r.contains("malformed") || r.contains("corrupt") {
            SkipReason::InvalidContent
        } else {
            SkipReason::ReadError
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sensitive something is, from its findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Nothing was classified.
    #[default]
    Unknown,
    /// Classified, no findings.
    None,
    /// Only low-confidence findings.
    Low,
    /// Personal data (medium or high confidence).
    Medium,
    /// Credentials, financial data or national identifiers (medium or high confidence).
    High,
}

impl Sensitivity {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Unknown => "unknown",
            Sensitivity::None => "none",
            Sensitivity::Low => "low",
            Sensitivity::Medium => "medium",
            Sensitivity::High => "high",
        }
    }

    /// The sensitivity of one finding.
    pub fn of_finding(f: &FindingRecord) -> Sensitivity {
        if f.confidence == "low" {
            return Sensitivity::Low;
        }
        match f.category {
            Category::Personal => Sensitivity::Medium,
            Category::Credentials | Category::Financial | Category::NationalId => Sensitivity::High,
        }
    }

    /// The sensitivity of a set of findings (`None` when empty).
    pub fn of_findings<'a>(findings: impl IntoIterator<Item = &'a FindingRecord>) -> Sensitivity {
        findings
            .into_iter()
            .map(Sensitivity::of_finding)
            .max()
            .unwrap_or(Sensitivity::None)
    }
}

/// S3 metadata of one object, from the listing, the inventory report or HeadObject.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectMetadata {
    /// Key (decoded).
    pub key: String,
    /// Version id, when the scan read a specific version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Last modified (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// ETag, without quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Storage class (`STANDARD` when S3 omits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Content-Type (HeadObject / GetObject only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Server-side encryption: `AES256`, `aws:kms`, `aws:kms:dsse` (or the inventory's
    /// `SSE-S3`, `SSE-KMS`, `SSE-C`, `NOT-SSE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
    /// KMS key ARN, for KMS-encrypted objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// One object the scan classified or skipped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectResult {
    /// S3 metadata.
    #[serde(flatten)]
    pub metadata: ObjectMetadata,
    /// Detected format (`text`, `csv`, `json_lines`, `parquet`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// COMPLETE, PARTIAL or SKIPPED.
    pub status: ObjectStatus,
    /// Why it was skipped or only partly read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    /// Detail for the reason (the AWS error code, the limit that applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Decompressed bytes classified.
    pub bytes_read: u64,
    /// Findings, ordered by detector.
    pub findings: Vec<FindingRecord>,
    /// Columns labelled with a detector (structured formats).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub column_labels: Vec<ColumnLabel>,
    /// Set when this scan did not read the object: it is unchanged since the scan named
    /// here (the one that classified it), whose result and findings are carried forward
    /// so an incremental report describes the bucket as it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<String>,
}

impl ObjectResult {
    /// A skipped object.
    pub fn skipped(metadata: ObjectMetadata, reason: SkipReason, message: Option<String>) -> Self {
        ObjectResult {
            metadata,
            status: ObjectStatus::Skipped,
            reason: Some(reason),
            message,
            ..ObjectResult::default()
        }
    }

    /// The object's sensitivity (`Unknown` when skipped).
    pub fn sensitivity(&self) -> Sensitivity {
        if self.status == ObjectStatus::Skipped {
            Sensitivity::Unknown
        } else {
            Sensitivity::of_findings(&self.findings)
        }
    }
}

/// All matches of one detector in one object, as the classifier reports them: count,
/// locations and masked samples (see `crate::classify::Finding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Detector id.
    pub detector: String,
    /// Its category.
    pub category: Category,
    /// Highest confidence of the matches: `low`, `medium` or `high`.
    pub confidence: String,
    /// Number of matches.
    pub count: u64,
    /// The first locations.
    #[serde(default)]
    pub locations: Vec<FindingLocation>,
    /// Distinct masked samples.
    #[serde(default)]
    pub samples: Vec<MaskedSample>,
}

/// Where a match is. Text positions are always set; the structured fields are set for
/// structured formats (CSV/TSV column, JSON path, Parquet column, spreadsheet cell).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingLocation {
    /// Line, from 1 (0 when not applicable).
    pub line: u64,
    /// Byte column in the line, from 1.
    pub column: u64,
    /// Byte offset in the decompressed object.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Record (row) number in a structured file, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Column name (CSV header, Parquet field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// JSON path (`$.customer.email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Worksheet name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Cell reference (`B7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// Part of a Word document (`body`, `header 1`, `footnotes`, `comments`...); `line`
    /// counts that part's paragraphs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl FindingLocation {
    /// A short human form: `line 3, column 12`, `row 7, column "email"`, `$.a.b`,
    /// `Sheet1!B7`, `header 1, line 2, column 5`.
    pub fn describe(&self) -> String {
        if let (Some(sheet), Some(cell)) = (&self.sheet, &self.cell) {
            return format!("{sheet}!{cell}");
        }
        if let Some(part) = &self.part {
            return format!("{part}, line {}, column {}", self.line, self.column);
        }
        let mut parts = Vec::new();
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(c) = &self.column_name {
            parts.push(format!("column {c:?}"));
        }
        if let Some(p) = &self.json_path {
            parts.push(p.clone());
        }
        if parts.is_empty() {
            if self.line > 0 {
                format!("line {}, column {}", self.line, self.column)
            } else {
                format!("offset {}", self.offset)
            }
        } else {
            parts.join(", ")
        }
    }
}

/// A masked value and its keyed digest (HMAC-SHA256 under the run's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedSample {
    /// The masked value (at most two leading and two trailing characters visible).
    pub masked: String,
    /// Hex digest: equal values, equal digests.
    pub hmac: String,
}

impl FindingRecord {
    /// The report's form of a classifier finding.
    ///
    /// Goes through the finding's serde form so structured location fields the
    /// classifier adds (row, column name, JSON path, sheet, cell) flow through by name.
    pub fn from_classifier(f: &crate::classify::Finding) -> FindingRecord {
        let value = serde_json::to_value(f).unwrap_or_default();
        serde_json::from_value(value).unwrap_or_else(|_| FindingRecord {
            detector: f.detector.clone(),
            category: f.category,
            confidence: f.confidence.as_str().to_string(),
            count: f.count,
            locations: Vec::new(),
            samples: f
                .samples
                .iter()
                .map(|s| MaskedSample {
                    masked: s.masked.clone(),
                    hmac: s.hmac.clone(),
                })
                .collect(),
        })
    }
}

impl ObjectResult {
    /// The result for an object the classifier read, from its report.
    pub fn classified(
        metadata: ObjectMetadata,
        format: Option<String>,
        report: &crate::classify::ObjectReport,
    ) -> ObjectResult {
        let value = serde_json::to_value(report).unwrap_or_default();
        ObjectResult::from_report_value(metadata, format, &value)
    }

    /// The result from the serde form of a classifier report (`status`, `reason`,
    /// `detail`, `format`, `bytes`, `findings`, `columns`), so fields the classifier adds
    /// flow through by name.
    pub fn from_report_value(
        metadata: ObjectMetadata,
        format: Option<String>,
        value: &serde_json::Value,
    ) -> ObjectResult {
        let field = |name: &str| value.get(name).cloned();
        let text = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
        ObjectResult {
            metadata,
            format: format.or_else(|| text("format").map(str::to_string)),
            status: field("status")
                .and_then(|s| serde_json::from_value(s).ok())
                .unwrap_or(ObjectStatus::Complete),
            reason: text("reason").map(SkipReason::from_classifier),
            message: text("detail").map(str::to_string),
            bytes_read: value
                .get("bytes")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
            findings: field("findings")
                .and_then(|f| serde_json::from_value(f).ok())
                .unwrap_or_default(),
            column_labels: field("columns")
                .and_then(|c| serde_json::from_value(c).ok())
                .unwrap_or_default(),
            carried_from: None,
        }
    }
}

/// A column of a structured object labelled with a detector (Purview's rule: enough
/// distinct values, a large enough share matching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnLabel {
    /// Column name or JSON path.
    pub column: String,
    /// Detector id.
    pub detector: String,
    /// Its category.
    pub category: Category,
    /// Values sampled in the column.
    pub sampled: u64,
    /// Values that matched.
    pub matched: u64,
    /// Distinct values sampled, counted up to 1,000 (or the rule's minimum, if higher).
    pub distinct: u64,
    /// Whether counting stopped at that cap (absent in reports of older versions).
    #[serde(default)]
    pub distinct_capped: bool,
}

/// An object recorded by the previous completed scan of the same scope and gone now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeletedObject {
    /// Key.
    pub key: String,
    /// ETag it had, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Last modified it had (RFC 3339), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// An error met while scanning: the call, the AWS error code and the IAM action to grant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanIssue {
    /// API operation (`GetBucketEncryption`, `ListObjectsV2`, `GetObject`, ...).
    pub operation: String,
    /// Object key, for object-level errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// AWS error code (`AccessDenied`, `NoSuchBucket`, ...), when AWS answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// IAM action that would allow the call (`s3:GetEncryptionConfiguration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// What happened (never a sensitive value).
    pub message: String,
}

/// Counts for one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketTotals {
    /// Objects enumerated in scope (listing or inventory, after prefix filters).
    pub objects_seen: u64,
    /// Bytes of the objects enumerated.
    pub bytes_seen: u64,
    /// Objects in scope not selected: unchanged since the last scan (incremental) or
    /// left out by sampling.
    pub objects_not_selected: u64,
    /// Objects under the scanned prefixes that `file_types` leaves out: never read, and
    /// not in `objects_seen` (the scope is the types selected).
    pub objects_excluded_by_type: u64,
    /// Those objects per file type (the key's last extension, `(none)` without one).
    pub excluded_by_type: BTreeMap<String, u64>,
    /// Objects classified (COMPLETE or PARTIAL).
    pub objects_classified: u64,
    /// Objects read in part (cut at a sampling limit), carried forward ones included: their
    /// findings cover only what was read.
    pub objects_partial: u64,
    /// Objects skipped.
    pub objects_skipped: u64,
    /// Skipped objects per reason.
    pub skipped_by_reason: BTreeMap<SkipReason, u64>,
    /// Decompressed bytes classified.
    pub bytes_classified: u64,
    /// Objects classified unchanged since an earlier scan: not read again (they count in
    /// `objects_not_selected`, not in `objects_classified`), their results carried
    /// forward from the scan that read them (`carried_from`), findings included.
    pub objects_carried: u64,
    /// Objects with at least one finding.
    pub objects_with_findings: u64,
    /// Findings, in Macie's sense: one detector in one object (one row of
    /// `findings.csv`, of the findings table and of `findings.ocsf.json`).
    pub findings: u64,
    /// Occurrences: the matches those findings hold (the sum of their `count`).
    pub occurrences: u64,
    /// Occurrences per detector id.
    #[serde(alias = "findings_by_detector")]
    pub occurrences_by_detector: BTreeMap<String, u64>,
    /// Occurrences per category.
    #[serde(alias = "findings_by_category")]
    pub occurrences_by_category: BTreeMap<Category, u64>,
    /// Objects deleted since the last scan.
    pub objects_deleted: u64,
    /// Errors recorded.
    pub errors: u64,
    /// The bucket's sensitivity: the highest of its objects'.
    pub sensitivity: Sensitivity,
}

/// Counts for the whole scan: the buckets' counts summed, and bucket counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    /// Buckets in the report.
    pub buckets: u64,
    /// Buckets that could not be read.
    pub buckets_failed: u64,
    /// Buckets with at least one finding.
    pub buckets_with_findings: u64,
    /// Sums over the buckets.
    #[serde(flatten)]
    pub sums: BucketTotals,
}

/// What one worker task adds to a bucket: written as a part file, merged by
/// `ScanReport::assemble`. Counts here are for the part's slice only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketPart {
    /// Owning account id, as in the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Sequence number of the part within the bucket (continuations count up).
    pub sequence: u64,
    /// Whether this part finished the bucket (the listing or inventory reached its end).
    pub last: bool,
    /// Set when the part learned how the bucket is enumerated (first part).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<Enumeration>,
    /// Objects the part's S3 Inventory data file lists (set on an inventory file unit's
    /// last part); the bucket's count is the sum over its files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_count: Option<u64>,
    /// Their bytes; see `object_count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Objects enumerated in scope by this part.
    pub objects_seen: u64,
    /// Bytes of those objects.
    pub bytes_seen: u64,
    /// Objects in scope not selected (unchanged, or sampled out).
    pub objects_not_selected: u64,
    /// Objects under the scanned prefixes left out by `file_types`, per file type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub excluded_by_type: BTreeMap<String, u64>,
    /// Containers read from the bucket's manifest (first part).
    pub containers: Vec<Container>,
    /// Objects classified or skipped.
    pub objects: Vec<ObjectResult>,
    /// Objects deleted since the last scan.
    pub deleted: Vec<DeletedObject>,
    /// Errors.
    pub errors: Vec<ScanIssue>,
}

/// What the plan knows when the report is assembled.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScanHeader {
    /// Scan id.
    pub scan_id: String,
    /// Configuration summary.
    pub config: ConfigSummary,
    /// Plan start (RFC 3339).
    pub started_at: String,
    /// Report time (RFC 3339).
    pub finished_at: Option<String>,
}
