//! Scan configuration: which accounts, buckets, prefixes and file types to scan, how to
//! sample and classify, and where reports go.
//!
//! The configuration is a JSON document read from `S3CONNECTOR_SCAN_CONFIG` (the document
//! itself) or `S3CONNECTOR_SCAN_CONFIG_URI` (`s3://bucket/key` of the document); a manual
//! invoke's payload is merged over it (objects merge key by key, anything else replaces).
//! Every error names the field (its JSON path) and the rule it broke.
//!
//! ```json
//! {"accounts": [{"role_arn": "arn:aws:iam::123456789012:role/s3connector-scan-reader",
//!                "external_id": "tenant-7f3a", "regions": ["eu-west-1"]}],
//!  "buckets": {"include": ["logs-*"], "exclude": ["*-tmp"]},
//!  "prefixes": {"include": ["exports/"], "exclude": ["exports/archive/"]},
//!  "file_types": {"include": ["csv", "json", "txt"]},
//!  "detectors": {"managed": ["credit_card_number"], "custom": [], "allow_list": []},
//!  "mode": "incremental",
//!  "sampling": {"max_bytes_per_object": 1048576, "max_rows_per_file": 10000,
//!               "max_objects_per_prefix": 1000, "partition_share": 0.01},
//!  "storage_classes": ["STANDARD", "INTELLIGENT_TIERING"],
//!  "max_object_size": 104857600,
//!  "inventories": [{"bucket": "logs-2026", "id": "daily", "destination_bucket": "inv-reports"}],
//!  "output": {"bucket": "my-reports", "prefix": "s3connector/"},
//!  "reports": {"inline_objects_max": 200000, "first_findings_max": 500}}
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::classify::{ClassifyConfig, CustomDetector};
use crate::names;

use super::scope::{compile, Scope};

pub mod inventories;
pub use inventories::InventorySource;

/// Environment variable holding the scan configuration document.
pub const SCAN_CONFIG_ENV: &str = "S3CONNECTOR_SCAN_CONFIG";
/// Environment variable holding `s3://bucket/key` of the scan configuration document.
pub const SCAN_CONFIG_URI_ENV: &str = "S3CONNECTOR_SCAN_CONFIG_URI";

/// Environment variable holding the scan queue's URL (the function queues tasks on it).
pub const SCAN_QUEUE_URL_ENV: &str = "S3CONNECTOR_SCAN_QUEUE_URL";

/// Storage classes S3 serves with a plain GetObject (read by default). Archived classes
/// (GLACIER, DEEP_ARCHIVE, and the archive tiers of INTELLIGENT_TIERING) need a restore.
pub const READABLE_STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "REDUCED_REDUNDANCY",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
];

/// Every storage class S3 documents for ListObjectsV2 (`Object.StorageClass`).
pub const KNOWN_STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "REDUCED_REDUNDANCY",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "SNOW",
];

/// A configuration field that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scan config field {field}: {rule}")]
pub struct ScanConfigError {
    /// JSON path of the field, e.g. `sampling.partition_share` or `accounts[0].role_arn`.
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
}

impl ScanConfigError {
    pub(super) fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ScanConfigError {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Full or incremental scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanMode {
    /// Classify every object in scope.
    #[default]
    Full,
    /// Classify only objects created or changed since the last completed scan of the scope.
    Incremental,
}

/// An account to scan through a role it trusts us to assume.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// ARN of the scanning role in that account.
    pub role_arn: String,
    /// External ID its trust policy requires (a secret: never logged, never in reports).
    #[serde(default, skip_serializing)]
    pub external_id: Option<String>,
    /// Role session name (default `s3connector-scan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// Regions whose buckets are scanned (default: every region).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConfig")
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id.as_ref().map(|_| "***"))
            .field("session_name", &self.session_name)
            .field("regions", &self.regions)
            .finish()
    }
}

/// Names or glob patterns (`*`, `?`, `[...]`, `{a,b}`) to include and exclude.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Patterns {
    /// Only these match (empty: everything matches).
    pub include: Vec<String>,
    /// Never these, even when included.
    pub exclude: Vec<String>,
}

/// Detectors to run.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsConfig {
    /// Managed (built-in) detector ids; `None` runs them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<Vec<String>>,
    /// Custom detectors: regex, keywords and their distance.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomDetectorConfig>,
    /// Values never reported (documented examples, test cards). Read from the config,
    /// never written: the plan replaces them by [`DetectorsConfig::allow_list_hmac`]
    /// ([`ScanConfig::seal_allow_list`]), so plans, tasks and logs never hold them.
    #[serde(skip_serializing)]
    pub allow_list: Vec<String>,
    /// The allow-list as the plan writes it: hex HMAC-SHA256 digests of the values under
    /// a key derived from `S3CONNECTOR_CLASSIFY_HMAC_KEY`
    /// ([`crate::classify::AllowDigests`]); workers compare digests of what they find. A
    /// config that sets it is refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_list_hmac: Vec<String>,
}

impl std::fmt::Debug for DetectorsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectorsConfig")
            .field("managed", &self.managed)
            .field("custom", &self.custom)
            .field(
                "allow_list",
                &format_args!("{} values", self.allow_list.len()),
            )
            .field("allow_list_hmac", &self.allow_list_hmac.len())
            .finish()
    }
}

/// A custom detector as written in the config (see [`CustomDetector`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDetectorConfig {
    /// Id used in findings.
    pub id: String,
    /// Regular expression.
    pub regex: String,
    /// Keywords, one of which must be near a match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Keyword distance in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_distance: Option<usize>,
}

/// How much of the data to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Decompressed bytes classified per object; the rest is not read and the object is
    /// reported PARTIAL. `0` reads everything.
    pub max_bytes_per_object: u64,
    /// Rows read per structured file (CSV, JSON lines, Parquet). `0` reads every row.
    pub max_rows_per_file: u64,
    /// Objects classified per folder (key prefix up to the last `/`). `0`: no limit.
    pub max_objects_per_prefix: u64,
    /// Share of the objects of a partitioned folder (a Hive `name=value` or date-number
    /// path segment) that are classified: the first object, then one in `1/share`, as
    /// Purview samples resource sets. `1.0` reads them all.
    pub partition_share: f64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            max_bytes_per_object: 16 * 1024 * 1024,
            max_rows_per_file: 0,
            max_objects_per_prefix: 0,
            partition_share: 1.0,
        }
    }
}

/// Where reports, part files and checkpoints go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Output bucket (default: `S3CONNECTOR_OUTPUT_BUCKET`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Key prefix (default: `S3CONNECTOR_OUTPUT_PREFIX`); ends in `/` once validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// How the scan's reports are laid out (see `docs/scale.md`, "Report assembly").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// Most objects (classified, skipped or carried forward) `report.json` holds inline
    /// (format version 2). Above it the report is written as version 3: totals per bucket
    /// and the list of each bucket's unit report files (`reports/<unit id>.*`), which
    /// hold the objects. `0` always writes version 3.
    pub inline_objects_max: u64,
    /// Most findings a version 3 report shows itself (`report.html`, the top-level
    /// `findings.csv` and `findings.ocsf.json`); every finding is in the unit files.
    pub first_findings_max: u32,
}

/// Default of [`ReportsConfig::inline_objects_max`].
pub const DEFAULT_INLINE_OBJECTS_MAX: u64 = 200_000;
/// Largest [`ReportsConfig::inline_objects_max`]: what one task assembles in memory and
/// time (see `docs/scale.md`).
pub const MAX_INLINE_OBJECTS: u64 = 2_000_000;
/// Default of [`ReportsConfig::first_findings_max`].
pub const DEFAULT_FIRST_FINDINGS: u32 = 500;

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            inline_objects_max: DEFAULT_INLINE_OBJECTS_MAX,
            first_findings_max: DEFAULT_FIRST_FINDINGS,
        }
    }
}

fn is_default_reports(r: &ReportsConfig) -> bool {
    *r == ReportsConfig::default()
}

/// The scan configuration document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Accounts to scan through their roles; empty scans with the caller's own credentials.
    pub accounts: Vec<AccountConfig>,
    /// Bucket names or patterns.
    pub buckets: Patterns,
    /// Key prefixes (plain prefixes, or globs when they hold `*?[{`) to include and exclude.
    pub prefixes: Patterns,
    /// File types by extension, without the dot (`csv`, `json.gz` matches `x.json.gz`).
    pub file_types: Patterns,
    /// Buckets (names or patterns) split into one task chain per top-level prefix.
    pub large_buckets: Vec<String>,
    /// Detectors to run.
    pub detectors: DetectorsConfig,
    /// Full or incremental.
    pub mode: ScanMode,
    /// Sampling limits.
    pub sampling: Sampling,
    /// Storage classes read (default [`READABLE_STORAGE_CLASSES`]); others are skipped
    /// with reason `archived_storage_class`.
    pub storage_classes: Vec<String>,
    /// Objects larger than this (bytes, as stored) are skipped with reason `too_large`.
    pub max_object_size: u64,
    /// Objects listed per task slice (1..=1000: one ListObjectsV2 page).
    pub objects_per_task: u32,
    /// Seconds kept in reserve before the Lambda deadline: a task stops at an object
    /// boundary when less than this remains.
    pub deadline_margin_seconds: u32,
    /// Slices one task works before it queues its continuation (0: as many as the time
    /// left before the deadline margin allows; the CLI then works a unit in one task).
    /// Within a task the next ListObjectsV2 page is requested while the current one is
    /// classified, and an inventory data file is downloaded once.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub slices_per_task: u32,
    /// Buckets enumerated from their latest S3 Inventory report instead of listing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inventories: Vec<InventorySource>,
    /// Where reports go.
    pub output: OutputConfig,
    /// Report layout: inline objects (version 2) or unit report files (version 3).
    #[serde(skip_serializing_if = "is_default_reports")]
    pub reports: ReportsConfig,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            accounts: Vec::new(),
            buckets: Patterns::default(),
            prefixes: Patterns::default(),
            file_types: Patterns::default(),
            large_buckets: Vec::new(),
            detectors: DetectorsConfig::default(),
            mode: ScanMode::Full,
            sampling: Sampling::default(),
            storage_classes: READABLE_STORAGE_CLASSES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            max_object_size: 256 * 1024 * 1024,
            objects_per_task: 1000,
            deadline_margin_seconds: 60,
            slices_per_task: 0,
            inventories: Vec::new(),
            output: OutputConfig::default(),
            reports: ReportsConfig::default(),
        }
    }
}

/// Merges `overrides` into `base`: objects key by key (recursively), anything else replaces.
pub fn merge(base: &mut Value, overrides: Value) {
    match (base, overrides) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

impl ScanConfig {
    /// Parses and validates a configuration document.
    pub fn from_value(value: Value) -> Result<ScanConfig, ScanConfigError> {
        let config: ScanConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let rule = inner
                .split(" at line ")
                .next()
                .unwrap_or(&inner)
                .to_string();
            ScanConfigError::new(
                if path == "." {
                    "(document)".into()
                } else {
                    path
                },
                rule,
            )
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Parses `base` (a JSON document), merges `overrides` over it and validates the result.
    ///
    /// Overrides may narrow `accounts` to roles the base lists (by `role_arn`; the external
    /// ID always comes from the base), never add one: a caller cannot borrow the
    /// deployment's trust for a role it chose.
    pub fn with_overrides(base: Value, overrides: Value) -> Result<ScanConfig, ScanConfigError> {
        let base_config = ScanConfig::from_value(base.clone())?;
        let mut merged = base;
        let accounts_override = overrides.get("accounts").cloned();
        if overrides.get("output").is_some() {
            return Err(ScanConfigError::new(
                "output",
                "cannot be set by an invoke; reports go where the deployment's scan config says",
            ));
        }
        let mut overrides = overrides;
        if let Value::Object(o) = &mut overrides {
            o.remove("accounts");
        }
        merge(&mut merged, overrides);
        let mut config = ScanConfig::from_value(merged)?;
        if let Some(list) = accounts_override {
            config.accounts = narrow_accounts(&base_config.accounts, list)?;
        }
        Ok(config)
    }

    /// Checks every rule serde cannot express.
    pub fn validate(&self) -> Result<(), ScanConfigError> {
        for (i, a) in self.accounts.iter().enumerate() {
            let field = |f: &str| format!("accounts[{i}].{f}");
            names::RoleArn::parse(&a.role_arn).map_err(|rule| {
                ScanConfigError::new(field("role_arn"), format!("is not a role ARN: {rule}"))
            })?;
            if let Some(id) = &a.external_id {
                names::check_external_id(id)
                    .map_err(|rule| ScanConfigError::new(field("external_id"), rule.to_string()))?;
            }
            if let Some(s) = &a.session_name {
                names::check_session_name(s)
                    .map_err(|rule| ScanConfigError::new(field("session_name"), rule))?;
            }
            for (j, r) in a.regions.iter().enumerate() {
                names::Region::parse(r).map_err(|rule| {
                    ScanConfigError::new(format!("accounts[{i}].regions[{j}]"), rule)
                })?;
            }
            if self.accounts[..i].iter().any(|b| b.role_arn == a.role_arn) {
                return Err(ScanConfigError::new(
                    field("role_arn"),
                    "is listed twice; list each account once",
                ));
            }
        }
        compile("buckets.include", &self.buckets.include)?;
        compile("buckets.exclude", &self.buckets.exclude)?;
        compile("prefixes.include", &self.prefixes.include)?;
        compile("prefixes.exclude", &self.prefixes.exclude)?;
        compile("file_types.include", &self.file_types.include)?;
        compile("file_types.exclude", &self.file_types.exclude)?;
        compile("large_buckets", &self.large_buckets)?;
        for (i, p) in self.prefixes.include.iter().enumerate() {
            if p.starts_with('/') {
                return Err(ScanConfigError::new(
                    format!("prefixes.include[{i}]"),
                    "must not start with '/' (S3 keys have no leading slash)",
                ));
            }
        }
        for (i, t) in self
            .file_types
            .include
            .iter()
            .chain(&self.file_types.exclude)
            .enumerate()
        {
            if t.starts_with('.') || t.is_empty() {
                return Err(ScanConfigError::new(
                    format!("file_types[{i}]"),
                    format!("{t:?} must be an extension without the leading dot, such as csv"),
                ));
            }
        }
        let s = &self.sampling;
        if !(s.partition_share > 0.0 && s.partition_share <= 1.0) {
            return Err(ScanConfigError::new(
                "sampling.partition_share",
                format!(
                    "must be greater than 0 and at most 1, got {}",
                    s.partition_share
                ),
            ));
        }
        for (i, c) in self.storage_classes.iter().enumerate() {
            if !KNOWN_STORAGE_CLASSES.contains(&c.as_str()) {
                return Err(ScanConfigError::new(
                    format!("storage_classes[{i}]"),
                    format!(
                        "{c:?} is not an S3 storage class (one of {})",
                        KNOWN_STORAGE_CLASSES.join(", ")
                    ),
                ));
            }
        }
        if self.max_object_size == 0 {
            return Err(ScanConfigError::new(
                "max_object_size",
                "must be at least 1 byte",
            ));
        }
        if !(1..=1000).contains(&self.objects_per_task) {
            return Err(ScanConfigError::new(
                "objects_per_task",
                format!(
                    "must be between 1 and 1000 (one ListObjectsV2 page), got {}",
                    self.objects_per_task
                ),
            ));
        }
        if self.deadline_margin_seconds > 600 {
            return Err(ScanConfigError::new(
                "deadline_margin_seconds",
                "must be at most 600 (a Lambda task runs for at most 900 s)",
            ));
        }
        inventories::validate(&self.inventories)?;
        if self.reports.inline_objects_max > MAX_INLINE_OBJECTS {
            return Err(ScanConfigError::new(
                "reports.inline_objects_max",
                format!(
                    "must be at most {MAX_INLINE_OBJECTS} (one task assembles an inline report in memory), got {}",
                    self.reports.inline_objects_max
                ),
            ));
        }
        if !(1..=crate::scan::report::html::MAX_TABLE_ROWS as u32)
            .contains(&self.reports.first_findings_max)
        {
            return Err(ScanConfigError::new(
                "reports.first_findings_max",
                format!(
                    "must be between 1 and {} (the rows report.html lists), got {}",
                    crate::scan::report::html::MAX_TABLE_ROWS,
                    self.reports.first_findings_max
                ),
            ));
        }
        if let Some(b) = &self.output.bucket {
            names::BucketName::parse(b)
                .map_err(|rule| ScanConfigError::new("output.bucket", rule))?;
        }
        if let Some(p) = &self.output.prefix {
            if p.starts_with('/') || p.len() > 512 {
                return Err(ScanConfigError::new(
                    "output.prefix",
                    "must not start with '/' and be at most 512 bytes",
                ));
            }
        }
        if self.detectors.managed.as_ref().is_some_and(Vec::is_empty)
            && self.detectors.custom.is_empty()
        {
            return Err(ScanConfigError::new(
                "detectors.managed",
                "is empty and there is no custom detector: the scan would find nothing; leave managed out to run every managed detector",
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, d) in self.detectors.custom.iter().enumerate() {
            if !ids.insert(d.id.as_str()) {
                return Err(ScanConfigError::new(
                    format!("detectors.custom[{i}].id"),
                    format!("{:?} is used twice", d.id),
                ));
            }
            // Ids appear in CSV columns, OCSF and file names: one word, as managed ids are.
            let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if d.id.is_empty() || d.id.len() > 64 || !d.id.chars().all(word) {
                return Err(ScanConfigError::new(
                    format!("detectors.custom[{i}].id"),
                    format!(
                        "{:?} must be 1 to 64 letters, digits, '_' or '-' (it names the finding in every report)",
                        d.id
                    ),
                ));
            }
            if let Some(j) = d.keywords.iter().position(|k| k.trim().is_empty()) {
                return Err(ScanConfigError::new(
                    format!("detectors.custom[{i}].keywords[{j}]"),
                    "is empty: a keyword is a word or phrase that must be near a match",
                ));
            }
        }
        if let Some(i) = self
            .detectors
            .allow_list
            .iter()
            .position(|v| v.trim().is_empty())
        {
            return Err(ScanConfigError::new(
                format!("detectors.allow_list[{i}]"),
                "is empty: an allow-list entry is a value never to report",
            ));
        }
        if !self.detectors.allow_list_hmac.is_empty() {
            return Err(ScanConfigError::new(
                "detectors.allow_list_hmac",
                "is written by the plan from detectors.allow_list; list the values there",
            ));
        }
        // The classifier compiles the detectors: an unknown id or a bad regex fails here.
        crate::classify::Classifier::new(self.classify_config(None)).map_err(|e| {
            use crate::classify::ClassifyError;
            match &e {
                // A bad pattern is named by its place, with the parser's reason.
                ClassifyError::CustomPattern { id, reason } => {
                    let i = self.detectors.custom.iter().position(|c| &c.id == id);
                    let field = i.map_or_else(
                        || "detectors.custom".to_string(),
                        |i| format!("detectors.custom[{i}].regex"),
                    );
                    ScanConfigError::new(field, format!("detector {id:?}: {reason}"))
                }
                _ => ScanConfigError::new("detectors", e.to_string()),
            }
        })?;
        Ok(())
    }

    /// Replaces the allow-list's values by their keyed digests under `hmac_key` (the
    /// deployment's `S3CONNECTOR_CLASSIFY_HMAC_KEY`; the CLI's per-run key): what a plan
    /// does before it writes the config into `plan.json` and its tasks. Workers of the
    /// same deployment hold the same key and compare digests.
    ///
    /// Errors (field `detectors.allow_list`) when values are listed and there is no key:
    /// a key drawn at random per cold start would differ between the planner and the
    /// workers, and the allow-list would silently stop working.
    pub fn seal_allow_list(&mut self, hmac_key: Option<&str>) -> Result<(), ScanConfigError> {
        if self.detectors.allow_list.is_empty() {
            return Ok(());
        }
        let Some(key) = hmac_key else {
            return Err(ScanConfigError::new(
                "detectors.allow_list",
                format!(
                    "needs {} set on the scan function: plans and tasks hold keyed digests of the allow-listed values, never the values, and workers compare digests under that key",
                    crate::classify::HMAC_KEY_ENV
                ),
            ));
        };
        let sealed = std::mem::take(&mut self.detectors.allow_list)
            .into_iter()
            .map(|v| crate::classify::AllowDigests::digest(key.as_bytes(), &v));
        self.detectors.allow_list_hmac.extend(sealed);
        self.detectors.allow_list_hmac.sort();
        self.detectors.allow_list_hmac.dedup();
        Ok(())
    }

    /// The classifier settings this scan uses. An allow-list sealed into digests needs
    /// the key it was sealed under (`hmac_key`); without it the digests match nothing.
    pub fn classify_config(&self, hmac_key: Option<String>) -> ClassifyConfig {
        let allow_digests = match (&hmac_key, self.detectors.allow_list_hmac.is_empty()) {
            (Some(key), false) => {
                crate::classify::AllowDigests::new(key.as_bytes(), &self.detectors.allow_list_hmac)
                    .ok()
            }
            _ => None,
        };
        ClassifyConfig {
            detectors: self.detectors.managed.clone().map(|mut ids| {
                ids.extend(self.detectors.custom.iter().map(|c| c.id.clone()));
                ids
            }),
            custom: self
                .detectors
                .custom
                .iter()
                .map(|c| CustomDetector {
                    id: c.id.clone(),
                    regex: c.regex.clone(),
                    keywords: c.keywords.clone(),
                    max_distance: c.max_distance,
                    category: crate::classify::Category::Personal,
                })
                .collect(),
            allow_list: self.detectors.allow_list.clone(),
            allow_digests,
            hmac_key,
            ..ClassifyConfig::default()
        }
    }

    /// The S3 Inventory the config names for `bucket`, if any.
    pub fn inventory_for(&self, bucket: &str) -> Option<&InventorySource> {
        self.inventories.iter().find(|s| s.bucket == bucket)
    }

    /// The compiled include/exclude matchers.
    pub fn scope(&self) -> Scope {
        Scope::of(self)
    }
}

/// Reads the base scan config document: `S3CONNECTOR_SCAN_CONFIG` (the JSON itself), else
/// `S3CONNECTOR_SCAN_CONFIG_URI` (`s3://bucket/key`, read with `s3`), else `{}` (defaults).
pub async fn load_base(
    lookup: impl Fn(&str) -> Option<String>,
    s3: &aws_sdk_s3::Client,
) -> Result<Value, ScanConfigError> {
    if let Some(text) = lookup(SCAN_CONFIG_ENV).filter(|t| !t.trim().is_empty()) {
        return serde_json::from_str(&text).map_err(|e| {
            ScanConfigError::new(SCAN_CONFIG_ENV, format!("is not a JSON document: {e}"))
        });
    }
    let Some(uri) = lookup(SCAN_CONFIG_URI_ENV).filter(|t| !t.trim().is_empty()) else {
        return Ok(Value::Object(Default::default()));
    };
    let (bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|r| r.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| {
            ScanConfigError::new(
                SCAN_CONFIG_URI_ENV,
                format!("{uri:?} is not s3://bucket/key"),
            )
        })?;
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            ScanConfigError::new(
                SCAN_CONFIG_URI_ENV,
                format!(
                    "{uri} could not be read ({}); grant s3:GetObject on it",
                    crate::aws::error_summary(&e)
                ),
            )
        })?;
    let bytes = out.body.collect().await.map_err(|e| {
        ScanConfigError::new(SCAN_CONFIG_URI_ENV, format!("{uri} could not be read: {e}"))
    })?;
    serde_json::from_slice(&bytes.into_bytes()).map_err(|e| {
        ScanConfigError::new(
            SCAN_CONFIG_URI_ENV,
            format!("{uri} is not a JSON document: {e}"),
        )
    })
}

fn narrow_accounts(
    base: &[AccountConfig],
    list: Value,
) -> Result<Vec<AccountConfig>, ScanConfigError> {
    let Value::Array(items) = list else {
        return Err(ScanConfigError::new(
            "accounts",
            "must be an array of role ARNs (or objects with role_arn) from the deployment's scan config",
        ));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let arn = item
            .as_str()
            .or_else(|| item.get("role_arn").and_then(Value::as_str))
            .ok_or_else(|| {
                ScanConfigError::new(format!("accounts[{i}]"), "must be a role ARN string")
            })?;
        let found = base.iter().find(|a| a.role_arn == arn).ok_or_else(|| {
            ScanConfigError::new(
                format!("accounts[{i}]"),
                format!("{arn} is not an account of the deployment's scan config; an invoke may only narrow the accounts"),
            )
        })?;
        out.push(found.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> ScanConfigError {
        ScanConfig::from_value(v).unwrap_err()
    }

    #[test]
    fn empty_document_gives_defaults() {
        let c = ScanConfig::from_value(json!({})).unwrap();
        assert_eq!(c, ScanConfig::default());
        assert_eq!(c.mode, ScanMode::Full);
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let e = err(json!({"sampling": {"partition_share": 0}}));
        assert_eq!(e.field, "sampling.partition_share");
        assert!(e.rule.contains("greater than 0"), "{e}");

        let e = err(json!({"mode": "sometimes"}));
        assert_eq!(e.field, "mode");
        assert!(e.rule.contains("full"), "{e}");

        let e = err(
            json!({"accounts": [{"role_arn": "arn:aws:iam::123456789012:role/ok"}, {"role_arn": "nope"}]}),
        );
        assert_eq!(e.field, "accounts[1].role_arn");

        let e = err(json!({"buckets": {"include": ["logs-[a"]}}));
        assert_eq!(e.field, "buckets.include[0]");

        let e = err(json!({"sampling": {"bytes": 3}}));
        assert_eq!(e.field, "sampling.bytes");
        assert!(e.rule.contains("unknown field"), "{e}");

        let e = err(json!({"objects_per_task": 5000}));
        assert_eq!(e.field, "objects_per_task");

        let e = err(json!({"storage_classes": ["STANDARD", "COLD"]}));
        assert_eq!(e.field, "storage_classes[1]");

        let e = err(json!({"detectors": {"managed": ["no_such_detector"]}}));
        assert_eq!(e.field, "detectors");
        assert!(e.rule.contains("no_such_detector"), "{e}");

        let e = err(
            json!({"detectors": {"custom": [{"id": "ok", "regex": "OK-[0-9]+"}, {"id": "emp", "regex": "EMP-[0-9]{6"}]}}),
        );
        assert_eq!(e.field, "detectors.custom[1].regex");
        assert!(
            e.rule.contains("unclosed counted repetition") && e.rule.contains("\"{6\""),
            "{e}"
        );

        let e = err(json!({"file_types": {"include": [".csv"]}}));
        assert_eq!(e.field, "file_types[0]");

        // Scan trial S9: configurations that would silently find nothing or name findings
        // badly.
        let e = err(json!({"detectors": {"managed": []}}));
        assert_eq!(e.field, "detectors.managed");
        let e = err(json!({"detectors": {"custom": [{"id": "Emp Id!", "regex": "EMP-[0-9]+"}]}}));
        assert_eq!(e.field, "detectors.custom[0].id");
        let e = err(
            json!({"detectors": {"custom": [{"id": "emp", "regex": "EMP-[0-9]+", "keywords": ["employee", " "]}]}}),
        );
        assert_eq!(e.field, "detectors.custom[0].keywords[1]");
        let e = err(json!({"detectors": {"allow_list": ["123", ""]}}));
        assert_eq!(e.field, "detectors.allow_list[1]");
        let e = err(json!({"detectors": {"custom": [{"id": "any", "regex": "a*"}]}}));
        assert_eq!(e.field, "detectors.custom[0].regex");
        assert!(e.rule.contains("empty string"), "{e}");
        // Managed detectors off, a custom one on: a valid scan.
        assert!(ScanConfig::from_value(
            json!({"detectors": {"managed": [], "custom": [{"id": "emp", "regex": "EMP-[0-9]+"}]}})
        )
        .and_then(|c| c.validate().map(|()| c))
        .is_ok());

        let e = err(json!({"reports": {"inline_objects_max": 3_000_000}}));
        assert_eq!(e.field, "reports.inline_objects_max");
        assert!(e.rule.contains("at most 2000000"), "{e}");

        let e = err(json!({"reports": {"first_findings_max": 0}}));
        assert_eq!(e.field, "reports.first_findings_max");

        let e = err(json!({"reports": {"inline": 3}}));
        assert_eq!(e.field, "reports.inline");
    }

    /// Scan trial S12: the plan and every task carry the config, so the allow-list goes
    /// in as keyed digests; workers compare digests and still suppress the value.
    #[test]
    fn the_allow_list_is_sealed_into_digests_never_written_and_still_suppresses() {
        let value = "312-54-8876";
        let mut config = ScanConfig::from_value(
            json!({"detectors": {"managed": ["us_ssn"], "allow_list": [value, "312 54 8876"]}}),
        )
        .unwrap();
        let no_key = config.clone().seal_allow_list(None).unwrap_err();
        assert_eq!(no_key.field, "detectors.allow_list");
        assert!(
            no_key.rule.contains("S3CONNECTOR_CLASSIFY_HMAC_KEY"),
            "{no_key}"
        );
        assert!(!no_key.to_string().contains("8876"), "{no_key}");

        config.seal_allow_list(Some("deployment-key")).unwrap();
        assert!(config.detectors.allow_list.is_empty());
        // Two spellings of one value: one digest.
        assert_eq!(config.detectors.allow_list_hmac.len(), 1);
        let written = serde_json::to_string(&config).unwrap();
        let debug = format!("{config:?}");
        for text in [&written, &debug] {
            assert!(!text.contains("8876") && !text.contains("312"), "{text}");
        }
        // Even unsealed, the values are never serialised or debug-printed.
        let unsealed =
            ScanConfig::from_value(json!({"detectors": {"allow_list": [value]}})).unwrap();
        assert!(!serde_json::to_string(&unsealed).unwrap().contains("8876"));
        assert!(!format!("{unsealed:?}").contains("8876"));

        // A worker reads the task's config back and compares digests under the same key.
        let task: ScanConfig = serde_json::from_str(&written).unwrap();
        let text = format!("SSN: {value}\nSSN: 536-90-4399\n");
        let found = |key: Option<&str>| {
            let c = crate::classify::Classifier::new(task.classify_config(key.map(String::from)))
                .unwrap();
            c.classify_bytes(text.as_bytes())
                .findings
                .iter()
                .map(|f| f.count)
                .sum::<u64>()
        };
        assert_eq!(
            found(Some("deployment-key")),
            1,
            "the allow-listed SSN is suppressed"
        );
        assert_eq!(found(Some("another-key")), 2, "digests are keyed");

        // A config cannot bring its own digests.
        let e = err(json!({"detectors": {"allow_list_hmac": ["00"]}}));
        assert_eq!(e.field, "detectors.allow_list_hmac");
    }

    #[test]
    fn external_id_is_never_serialised_or_debug_printed() {
        let c = ScanConfig::from_value(json!({"accounts": [{
            "role_arn": "arn:aws:iam::123456789012:role/s3connector-scan",
            "external_id": "very-secret-id"}]}))
        .unwrap();
        assert!(!serde_json::to_string(&c).unwrap().contains("very-secret"));
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn overrides_merge_and_may_only_narrow_accounts() {
        let base = json!({
            "accounts": [
                {"role_arn": "arn:aws:iam::111111111111:role/s3connector-scan", "external_id": "id-one"},
                {"role_arn": "arn:aws:iam::222222222222:role/s3connector-scan", "external_id": "id-two"}],
            "sampling": {"max_objects_per_prefix": 10},
            "buckets": {"include": ["a-*"]}});
        let c = ScanConfig::with_overrides(
            base.clone(),
            json!({"mode": "incremental", "sampling": {"partition_share": 0.5},
                   "accounts": ["arn:aws:iam::222222222222:role/s3connector-scan"]}),
        )
        .unwrap();
        assert_eq!(c.mode, ScanMode::Incremental);
        assert_eq!(c.sampling.max_objects_per_prefix, 10);
        assert_eq!(c.sampling.partition_share, 0.5);
        assert_eq!(c.accounts.len(), 1);
        assert_eq!(c.accounts[0].external_id.as_deref(), Some("id-two"));

        let e = ScanConfig::with_overrides(
            base,
            json!({"accounts": [{"role_arn": "arn:aws:iam::333333333333:role/x", "external_id": "guess"}]}),
        )
        .unwrap_err();
        assert_eq!(e.field, "accounts[0]");
    }
}
