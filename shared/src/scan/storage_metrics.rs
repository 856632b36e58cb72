//! A bucket's size and object count from CloudWatch's daily S3 storage metrics, as
//! OpenMetadata's S3 connector reads them: namespace `AWS/S3`, `BucketSizeBytes` with
//! `StorageType=StandardStorage` and `NumberOfObjects` with `StorageType=AllStorageTypes`
//! (dimension `BucketName`), period one day, statistic `Average`, the latest datapoint of
//! the last three days (S3 publishes them once a day; Amazon S3 User Guide, "Metrics and
//! dimensions"). Needs `cloudwatch:GetMetricStatistics`.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};

use super::access::AccessIssue;

/// Namespace of S3's storage metrics.
pub const NAMESPACE: &str = "AWS/S3";
/// How far back a datapoint is looked for.
const WINDOW: Duration = Duration::from_secs(3 * 86_400);

/// The bucket's size in bytes and object count, when CloudWatch has both (`Ok(None)`:
/// no datapoint yet, as for a bucket created today; the listing then counts).
pub async fn size_and_count(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    bucket: &str,
    now: SystemTime,
) -> Result<Option<(u64, u64)>, AccessIssue> {
    let size = latest(
        cloudwatch,
        bucket,
        "BucketSizeBytes",
        "StandardStorage",
        now,
    )
    .await?;
    let count = latest(
        cloudwatch,
        bucket,
        "NumberOfObjects",
        "AllStorageTypes",
        now,
    )
    .await?;
    Ok(size.zip(count))
}

async fn latest(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    bucket: &str,
    metric: &str,
    storage_type: &str,
    now: SystemTime,
) -> Result<Option<u64>, AccessIssue> {
    let dim = |name: &str, value: &str| Dimension::builder().name(name).value(value).build();
    let out = cloudwatch
        .get_metric_statistics()
        .namespace(NAMESPACE)
        .metric_name(metric)
        .dimensions(dim("BucketName", bucket))
        .dimensions(dim("StorageType", storage_type))
        .start_time(DateTime::from(now - WINDOW))
        .end_time(DateTime::from(now))
        .period(86_400)
        .statistics(Statistic::Average)
        .send()
        .await
        .map_err(|e| {
            AccessIssue::from_sdk(
                "GetMetricStatistics",
                "cloudwatch:GetMetricStatistics",
                &format!("{NAMESPACE} {metric} of bucket {bucket}"),
                &e,
            )
        })?;
    Ok(out
        .datapoints()
        .iter()
        .filter_map(|d| Some((d.timestamp()?.as_secs_f64(), d.average()?)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| v.max(0.0).round() as u64))
}
