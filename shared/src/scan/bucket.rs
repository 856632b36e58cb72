//! Bucket metadata and security posture: region, default encryption, Block Public Access,
//! policy status, versioning, object ownership and tags. A call that fails is recorded as
//! an [`AccessIssue`] (its code and the IAM action to grant) and never stops the scan.

use aws_sdk_s3::error::ProvideErrorMetadata;

use super::access::AccessIssue;
use super::report::{BucketMetadata, DefaultEncryption, PublicAccessBlock};

/// The region in a GetBucketLocation answer: empty means us-east-1, `EU` is eu-west-1.
pub fn region_of_location(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".into(),
        Some("EU") => "eu-west-1".into(),
        Some(r) => r.to_string(),
    }
}

/// Finds the bucket's region: from ListBuckets when it said, else GetBucketLocation.
pub async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listed: Option<&str>,
) -> Result<String, AccessIssue> {
    if let Some(r) = listed.filter(|r| !r.is_empty()) {
        return Ok(r.to_string());
    }
    let out = s3
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| {
            AccessIssue::from_sdk(
                "GetBucketLocation",
                "s3:GetBucketLocation",
                &arn(bucket),
                &e,
            )
        })?;
    Ok(region_of_location(
        out.location_constraint().map(|c| c.as_str()),
    ))
}

fn arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// Reads the posture of `bucket` with a client in its region, with the calls that failed.
/// "Not configured" answers (`ServerSideEncryptionConfigurationNotFoundError`,
/// `NoSuchPublicAccessBlockConfiguration`, `NoSuchBucketPolicy`,
/// `OwnershipControlsNotFoundError`, `NoSuchTagSet`) are facts, not issues.
pub async fn read_metadata(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    region: &str,
    created: Option<String>,
) -> (BucketMetadata, Vec<AccessIssue>) {
    let mut m = BucketMetadata {
        region: Some(region.to_string()),
        created_at: created,
        ..BucketMetadata::default()
    };
    let mut issues = Vec::new();
    let resource = arn(bucket);

    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first());
            if let Some(rule) = rule {
                let default = rule.apply_server_side_encryption_by_default();
                m.encryption = default.map(|d| DefaultEncryption {
                    algorithm: d.sse_algorithm().as_str().to_string(),
                    kms_key_id: d.kms_master_key_id().map(str::to_string),
                    bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
                });
            }
        }
        Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {}
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetBucketEncryption",
            "s3:GetEncryptionConfiguration",
            &resource,
            &e,
        )),
    }

    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            m.public_access_block =
                out.public_access_block_configuration()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    })
        }
        // No configuration: every setting is off (the account's may still block).
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {
            m.public_access_block = Some(PublicAccessBlock::default())
        }
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            &resource,
            &e,
        )),
    }

    match s3.get_bucket_policy_status().bucket(bucket).send().await {
        Ok(out) => {
            m.policy_is_public = Some(
                out.policy_status()
                    .and_then(|s| s.is_public())
                    .unwrap_or(false),
            )
        }
        Err(e) if e.code() == Some("NoSuchBucketPolicy") => m.policy_is_public = Some(false),
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetBucketPolicyStatus",
            "s3:GetBucketPolicyStatus",
            &resource,
            &e,
        )),
    }

    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => {
            m.versioning = Some(
                out.status()
                    .map_or("Disabled".to_string(), |s| s.as_str().to_string()),
            );
            m.mfa_delete = out.mfa_delete().map(|s| s.as_str().to_string());
        }
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetBucketVersioning",
            "s3:GetBucketVersioning",
            &resource,
            &e,
        )),
    }

    match s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            m.object_ownership = out
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string())
        }
        Err(e) if e.code() == Some("OwnershipControlsNotFoundError") => {
            m.object_ownership = Some("ObjectWriter".into())
        }
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetBucketOwnershipControls",
            "s3:GetBucketOwnershipControls",
            &resource,
            &e,
        )),
    }

    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => {
            m.tags = out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }
        Err(e) if e.code() == Some("NoSuchTagSet") => {}
        Err(e) => issues.push(AccessIssue::from_sdk(
            "GetBucketTagging",
            "s3:GetBucketTagging",
            &resource,
            &e,
        )),
    }
    (m, issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_map_to_regions_as_documented() {
        assert_eq!(region_of_location(None), "us-east-1");
        assert_eq!(region_of_location(Some("")), "us-east-1");
        assert_eq!(region_of_location(Some("EU")), "eu-west-1");
        assert_eq!(region_of_location(Some("ap-south-1")), "ap-south-1");
    }
}
