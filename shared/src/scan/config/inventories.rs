//! The `inventories` field of the scan config: buckets enumerated from their S3 Inventory
//! reports instead of ListObjectsV2.
//!
//! ```json
//! "inventories": [{"bucket": "data-lake", "id": "daily-csv",
//!                  "destination_bucket": "arn:aws:s3:::inventory-reports",
//!                  "destination_prefix": "Inventory", "max_age_hours": 48}]
//! ```
//!
//! `id`, `destination_bucket` and `destination_prefix` are the inventory configuration's
//! own (S3 API `InventoryConfiguration`: `Id`, `Destination.S3BucketDestination.Bucket`
//! and `Prefix`), so reports are found at `<prefix>/<bucket>/<id>/<timestamp>/manifest.json`.

use serde::{Deserialize, Serialize};

use crate::names;
use crate::scan::inventory::InventoryConfig;

use super::ScanConfigError;

/// Default `max_age_hours`: a daily inventory plus its delivery delay.
pub const DEFAULT_MAX_AGE_HOURS: u32 = 48;

/// A bucket whose objects are enumerated from its S3 Inventory reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySource {
    /// The scanned (source) bucket.
    pub bucket: String,
    /// The inventory configuration's `Id`.
    pub id: String,
    /// The destination bucket: a name or `arn:aws:s3:::name`.
    pub destination_bucket: String,
    /// The destination prefix, if the inventory configuration sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_prefix: Option<String>,
    /// A report older than this (hours before the scan started, from the manifest's
    /// `creationTimestamp`) is stale: the bucket is listed instead, and the report says why.
    #[serde(default = "default_max_age_hours")]
    pub max_age_hours: u32,
    /// Report records one task takes (1..=1,000,000). Larger than a listing page: a
    /// record not selected costs microseconds, a slice downloads its data file again
    /// each time, and a task still stops at an object boundary before its deadline.
    #[serde(default = "default_records_per_task")]
    pub records_per_task: u32,
    /// Shards of the bucket's keys for finding deletions (1..=4096): each file unit
    /// writes its keys split by key hash, and one task per shard compares this scan's
    /// keys of the shard (and carries unchanged results forward) with the previous
    /// scan's, so no task holds more than 2/`deletion_shards` of the bucket's keys with
    /// their previous results (see docs/scale.md: 256 shards for 10^9 objects).
    #[serde(default = "default_deletion_shards")]
    pub deletion_shards: u32,
}

/// Default `deletion_shards`.
pub const DEFAULT_DELETION_SHARDS: u32 = 16;

fn default_deletion_shards() -> u32 {
    DEFAULT_DELETION_SHARDS
}

/// Default `records_per_task`.
pub const DEFAULT_RECORDS_PER_TASK: u32 = 100_000;

fn default_records_per_task() -> u32 {
    DEFAULT_RECORDS_PER_TASK
}

fn default_max_age_hours() -> u32 {
    DEFAULT_MAX_AGE_HOURS
}

impl InventorySource {
    /// Where the inventory's reports are, for [`crate::scan::inventory::latest_report`].
    pub fn to_inventory_config(&self) -> InventoryConfig {
        InventoryConfig {
            source_bucket: self.bucket.clone(),
            id: self.id.clone(),
            destination_bucket: self.destination_bucket.clone(),
            destination_prefix: self.destination_prefix.clone(),
        }
    }
}

/// S3 limits an inventory configuration id to 64 characters of letters, digits, `-`,
/// `_` and `.` (the console's rule; the API refuses anything else in the query string).
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err("must be 1 to 64 characters long".into());
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!(
            "{id:?} may hold only letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// Checks every entry: bucket names, ids, the destination, the age limit, and that no
/// bucket is named twice.
pub(super) fn validate(sources: &[InventorySource]) -> Result<(), ScanConfigError> {
    for (i, s) in sources.iter().enumerate() {
        let field = |f: &str| format!("inventories[{i}].{f}");
        names::BucketName::parse(&s.bucket)
            .map_err(|rule| ScanConfigError::new(field("bucket"), rule))?;
        check_id(&s.id).map_err(|rule| ScanConfigError::new(field("id"), rule))?;
        let dest = s
            .destination_bucket
            .strip_prefix("arn:aws:s3:::")
            .unwrap_or(&s.destination_bucket);
        names::BucketName::parse(dest).map_err(|rule| {
            ScanConfigError::new(
                field("destination_bucket"),
                format!("must be a bucket name or arn:aws:s3:::<name>: {rule}"),
            )
        })?;
        if let Some(p) = &s.destination_prefix {
            if p.starts_with('/') || p.len() > 512 {
                return Err(ScanConfigError::new(
                    field("destination_prefix"),
                    "must not start with '/' and be at most 512 bytes",
                ));
            }
        }
        if !(1..=4096).contains(&s.deletion_shards) {
            return Err(ScanConfigError::new(
                field("deletion_shards"),
                format!("must be between 1 and 4096, got {}", s.deletion_shards),
            ));
        }
        if !(1..=8760).contains(&s.max_age_hours) {
            return Err(ScanConfigError::new(
                field("max_age_hours"),
                format!(
                    "must be between 1 and 8760 (a year), got {}",
                    s.max_age_hours
                ),
            ));
        }
        if !(1..=1_000_000).contains(&s.records_per_task) {
            return Err(ScanConfigError::new(
                field("records_per_task"),
                format!("must be between 1 and 1000000, got {}", s.records_per_task),
            ));
        }
        if sources[..i].iter().any(|o| o.bucket == s.bucket) {
            return Err(ScanConfigError::new(
                field("bucket"),
                format!(
                    "{:?} is named twice; give each bucket one inventory",
                    s.bucket
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scan::config::ScanConfig;
    use serde_json::json;

    fn source() -> serde_json::Value {
        json!({"bucket": "data-lake", "id": "daily-csv",
               "destination_bucket": "arn:aws:s3:::inventory-reports",
               "destination_prefix": "Inventory"})
    }

    #[test]
    fn an_inventory_entry_maps_to_its_report_location_with_a_default_age() {
        let c = ScanConfig::from_value(json!({"inventories": [source()]})).unwrap();
        let s = c.inventory_for("data-lake").unwrap();
        assert_eq!(s.max_age_hours, super::DEFAULT_MAX_AGE_HOURS);
        let inv = s.to_inventory_config();
        assert_eq!(inv.destination_name(), "inventory-reports");
        assert_eq!(inv.reports_prefix(), "Inventory/data-lake/daily-csv/");
        assert!(c.inventory_for("other").is_none());
    }

    #[test]
    fn inventory_errors_name_the_field() {
        let with = |k: &str, v: serde_json::Value| {
            let mut s = source();
            s[k] = v;
            ScanConfig::from_value(json!({"inventories": [s]})).unwrap_err()
        };
        assert_eq!(
            with("bucket", json!("No_Caps")).field,
            "inventories[0].bucket"
        );
        assert_eq!(with("id", json!("a b")).field, "inventories[0].id");
        assert_eq!(with("id", json!("")).field, "inventories[0].id");
        let e = with("destination_bucket", json!("arn:aws:s3:::x"));
        assert_eq!(e.field, "inventories[0].destination_bucket");
        assert!(e.rule.contains("arn:aws:s3:::"), "{e}");
        assert_eq!(
            with("destination_prefix", json!("/abs")).field,
            "inventories[0].destination_prefix"
        );
        let e = with("max_age_hours", json!(0));
        assert_eq!(e.field, "inventories[0].max_age_hours");
        let e = with("records_per_task", json!(0));
        assert_eq!(e.field, "inventories[0].records_per_task");
        let e = with("format", json!("CSV"));
        assert_eq!(e.field, "inventories[0].format");
        assert!(e.rule.contains("unknown field"), "{e}");
        let e = ScanConfig::from_value(json!({"inventories": [source(), source()]})).unwrap_err();
        assert_eq!(e.field, "inventories[1].bucket");
        assert!(e.rule.contains("twice"), "{e}");
    }
}
