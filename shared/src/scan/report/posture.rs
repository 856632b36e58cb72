//! Posture warnings: what a bucket's configuration says about exposure and recovery,
//! weighed with the sensitivity of what the scan found in it.

use super::model::{BucketMetadata, PostureWarning, Sensitivity, WarningCode};

/// The warnings for a bucket with this metadata and sensitivity, ordered by code.
///
/// Settings that were not read (`None`) raise no warning: the bucket's errors say why
/// they are unknown.
pub fn warnings(m: &BucketMetadata, sensitivity: Sensitivity) -> Vec<PostureWarning> {
    let mut out = Vec::new();
    let sensitive = sensitivity >= Sensitivity::Medium;
    let mut push = |code, message: String| out.push(PostureWarning { code, message });
    let public_policy = m.policy_is_public == Some(true);
    if public_policy {
        push(
            WarningCode::PolicyPublic,
            "the bucket policy grants public access (PolicyStatus.IsPublic); remove the \
             public statements or turn on Block Public Access"
                .into(),
        );
    }
    // S3 applies a setting when either the bucket or its account turns it on.
    let effective = match (m.public_access_block, m.account_public_access_block) {
        (Some(b), Some(a)) => Some(b.or(&a)),
        (b, a) => b.or(a),
    };
    let off = effective.map(|e| e.off_settings()).unwrap_or_default();
    let not_blocked = !off.is_empty();
    if not_blocked {
        let scope = match (m.public_access_block, m.account_public_access_block) {
            (Some(_), Some(_)) => "the bucket nor its account",
            (Some(_), None) => "the bucket (its account's settings were not read)",
            _ => "the account (the bucket's settings were not read)",
        };
        push(
            WarningCode::PublicAccessNotBlocked,
            format!(
                "Block Public Access {} neither on for {scope}; turn on all four settings \
                 (on the account to cover every bucket)",
                if off.len() == 1 {
                    format!("setting {} is", off[0])
                } else {
                    format!("settings {} are", off.join(", "))
                }
            ),
        );
    }
    if sensitive && (public_policy || not_blocked) {
        push(
            WarningCode::SensitiveDataExposed,
            format!(
                "the bucket holds {} sensitivity data and public access is not blocked",
                sensitivity.as_str()
            ),
        );
    }
    if sensitive {
        if let Some(e) = &m.encryption {
            if !e.algorithm.starts_with("aws:kms") {
                push(
                    WarningCode::SensitiveDataWithoutKms,
                    format!(
                        "the bucket holds {} sensitivity data and its default encryption is \
                         {} (SSE-S3); use SSE-KMS with a customer managed key to control \
                         and audit access",
                        sensitivity.as_str(),
                        e.algorithm
                    ),
                );
            }
        }
    }
    if matches!(m.versioning.as_deref(), Some("Disabled" | "Suspended")) {
        push(
            WarningCode::VersioningDisabled,
            format!(
                "versioning is {}: overwritten or deleted objects cannot be recovered",
                m.versioning.as_deref().unwrap_or_default().to_lowercase()
            ),
        );
    }
    if m.object_ownership
        .as_deref()
        .is_some_and(|o| o != "BucketOwnerEnforced")
    {
        push(
            WarningCode::AclsEnabled,
            format!(
                "ACLs are enabled (Object Ownership {}); set BucketOwnerEnforced so the \
                 bucket policy alone governs access",
                m.object_ownership.as_deref().unwrap_or_default()
            ),
        );
    }
    out.sort_by_key(|w| w.code);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::model::{DefaultEncryption, PublicAccessBlock};

    fn codes(w: &[PostureWarning]) -> Vec<WarningCode> {
        w.iter().map(|w| w.code).collect()
    }

    fn locked_down() -> BucketMetadata {
        let all = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        BucketMetadata {
            encryption: Some(DefaultEncryption {
                algorithm: "aws:kms".into(),
                kms_key_id: Some("arn:aws:kms:us-east-1:111122223333:key/k".into()),
                bucket_key_enabled: true,
            }),
            public_access_block: Some(all),
            account_public_access_block: Some(all),
            policy_is_public: Some(false),
            versioning: Some("Enabled".into()),
            object_ownership: Some("BucketOwnerEnforced".into()),
            ..BucketMetadata::default()
        }
    }

    #[test]
    fn locked_down_bucket_has_no_warning_even_with_sensitive_data() {
        assert!(warnings(&locked_down(), Sensitivity::High).is_empty());
    }

    #[test]
    fn unknown_settings_raise_nothing() {
        assert!(warnings(&BucketMetadata::default(), Sensitivity::High).is_empty());
    }

    #[test]
    fn account_level_block_covers_an_unblocked_bucket() {
        let mut m = locked_down();
        m.public_access_block = Some(PublicAccessBlock::default());
        assert!(warnings(&m, Sensitivity::High).is_empty());
        m.account_public_access_block = Some(PublicAccessBlock::default());
        assert_eq!(
            codes(&warnings(&m, Sensitivity::High)),
            [
                WarningCode::SensitiveDataExposed,
                WarningCode::PublicAccessNotBlocked
            ]
        );
        assert_eq!(
            codes(&warnings(&m, Sensitivity::Low)),
            [WarningCode::PublicAccessNotBlocked]
        );
    }

    #[test]
    fn bucket_and_account_settings_combine_per_setting() {
        let mut m = locked_down();
        // Each level turns on two settings: together all four are on.
        m.public_access_block = Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            ..PublicAccessBlock::default()
        });
        m.account_public_access_block = Some(PublicAccessBlock {
            block_public_policy: true,
            restrict_public_buckets: true,
            ..PublicAccessBlock::default()
        });
        assert!(warnings(&m, Sensitivity::High).is_empty());
        // RestrictPublicBuckets off at both levels: named in the warning.
        m.account_public_access_block = Some(PublicAccessBlock {
            block_public_policy: true,
            ..PublicAccessBlock::default()
        });
        let w = warnings(&m, Sensitivity::None);
        assert_eq!(codes(&w), [WarningCode::PublicAccessNotBlocked]);
        assert!(
            w[0].message.contains("setting RestrictPublicBuckets is"),
            "{}",
            w[0].message
        );
        assert!(w[0].message.contains("nor its account"), "{}", w[0].message);
        // Account not read: the bucket's own settings decide, and the message says so.
        m.account_public_access_block = None;
        let w = warnings(&m, Sensitivity::None);
        assert!(
            w[0].message
                .contains("BlockPublicPolicy, RestrictPublicBuckets"),
            "{}",
            w[0].message
        );
        assert!(w[0].message.contains("were not read"), "{}", w[0].message);
    }

    #[test]
    fn sse_s3_is_flagged_only_for_sensitive_buckets() {
        let mut m = locked_down();
        m.encryption = Some(DefaultEncryption {
            algorithm: "AES256".into(),
            ..DefaultEncryption::default()
        });
        assert!(warnings(&m, Sensitivity::None).is_empty());
        let w = warnings(&m, Sensitivity::High);
        assert_eq!(codes(&w), [WarningCode::SensitiveDataWithoutKms]);
        assert!(w[0].message.contains("AES256"), "{}", w[0].message);
    }

    #[test]
    fn public_policy_suspended_versioning_and_acls_are_each_reported() {
        let mut m = locked_down();
        m.policy_is_public = Some(true);
        m.versioning = Some("Suspended".into());
        m.object_ownership = Some("ObjectWriter".into());
        assert_eq!(
            codes(&warnings(&m, Sensitivity::Medium)),
            [
                WarningCode::SensitiveDataExposed,
                WarningCode::PolicyPublic,
                WarningCode::AclsEnabled,
                WarningCode::VersioningDisabled,
            ]
        );
    }
}
