//! Bucket metadata and security posture: region, default encryption, Block Public Access,
//! policy status, versioning, object ownership and tags. A call that fails is recorded as
//! an [`AccessIssue`] (its code and the IAM action to grant) and never stops the scan.

use std::collections::BTreeMap;

use aws_sdk_s3::error::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};

use super::access::AccessIssue;

/// Default encryption of a bucket (GetBucketEncryption, first rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// KMS key for SSE-KMS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Whether S3 Bucket Keys are on.
    pub bucket_key_enabled: bool,
}

/// The four Block Public Access settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// BlockPublicAcls.
    pub block_public_acls: bool,
    /// IgnorePublicAcls.
    pub ignore_public_acls: bool,
    /// BlockPublicPolicy.
    pub block_public_policy: bool,
    /// RestrictPublicBuckets.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Whether all four settings are on.
    pub fn all_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// Metadata of one bucket, as far as the role could read it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BucketMetadata {
    /// Bucket name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Creation date (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Default encryption; `None` when unreadable (see `issues`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// Bucket-level Block Public Access; `None` when not configured or unreadable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<PublicAccessBlock>,
    /// Whether the bucket policy makes it public (GetBucketPolicyStatus); `false` without a policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_is_public: Option<bool>,
    /// `Enabled`, `Suspended`, or `Disabled` (never enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// Object Ownership: `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`
    /// (`ObjectWriter` when no controls are set, S3's behaviour for old buckets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_ownership: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Calls that failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<AccessIssue>,
}

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

/// Reads the posture of `bucket` with a client in its region. "Not configured" answers
/// (`ServerSideEncryptionConfigurationNotFoundError`, `NoSuchPublicAccessBlockConfiguration`,
/// `NoSuchBucketPolicy`, `OwnershipControlsNotFoundError`, `NoSuchTagSet`) are facts, not issues.
pub async fn read_metadata(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    region: &str,
    created: Option<String>,
) -> BucketMetadata {
    let mut m = BucketMetadata {
        name: bucket.to_string(),
        region: region.to_string(),
        created,
        ..BucketMetadata::default()
    };
    let resource = arn(bucket);

    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first());
            if let Some(rule) = rule {
                let default = rule.apply_server_side_encryption_by_default();
                m.encryption = default.map(|d| Encryption {
                    algorithm: d.sse_algorithm().as_str().to_string(),
                    kms_key_id: d.kms_master_key_id().map(str::to_string),
                    bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
                });
            }
        }
        Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {}
        Err(e) => m.issues.push(AccessIssue::from_sdk(
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
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {}
        Err(e) => m.issues.push(AccessIssue::from_sdk(
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
        Err(e) => m.issues.push(AccessIssue::from_sdk(
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
            )
        }
        Err(e) => m.issues.push(AccessIssue::from_sdk(
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
        Err(e) => m.issues.push(AccessIssue::from_sdk(
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
        Err(e) => m.issues.push(AccessIssue::from_sdk(
            "GetBucketTagging",
            "s3:GetBucketTagging",
            &resource,
            &e,
        )),
    }
    m
}

/// Posture warnings a reader should see for a bucket.
pub fn posture_warnings(m: &BucketMetadata) -> Vec<String> {
    let mut w = Vec::new();
    match &m.public_access_block {
        Some(b) if b.all_on() => {}
        Some(_) => w.push("Block Public Access is only partly on".to_string()),
        None if !m
            .issues
            .iter()
            .any(|i| i.operation == "GetPublicAccessBlock") =>
        {
            w.push("Block Public Access is not configured on the bucket".to_string())
        }
        None => {}
    }
    if m.policy_is_public == Some(true) {
        w.push("the bucket policy makes the bucket public".to_string());
    }
    if m.encryption.is_none()
        && !m
            .issues
            .iter()
            .any(|i| i.operation == "GetBucketEncryption")
    {
        w.push("no default encryption configuration".to_string());
    }
    if m.object_ownership.as_deref() == Some("ObjectWriter") {
        w.push("ACLs are enabled (Object Ownership is ObjectWriter)".to_string());
    }
    w
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

    #[test]
    fn warnings_name_weak_posture() {
        let m = BucketMetadata {
            name: "b".into(),
            region: "us-east-1".into(),
            policy_is_public: Some(true),
            object_ownership: Some("ObjectWriter".into()),
            ..BucketMetadata::default()
        };
        let w = posture_warnings(&m);
        assert_eq!(w.len(), 4, "{w:?}");
        let good = BucketMetadata {
            encryption: Some(Encryption {
                algorithm: "aws:kms".into(),
                kms_key_id: None,
                bucket_key_enabled: true,
            }),
            public_access_block: Some(PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            }),
            policy_is_public: Some(false),
            object_ownership: Some("BucketOwnerEnforced".into()),
            ..m
        };
        assert!(posture_warnings(&good).is_empty());
    }
}
