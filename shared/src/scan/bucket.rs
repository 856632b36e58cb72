//! Bucket metadata and security posture: region, default encryption, Block Public Access,
//! policy status, versioning, object ownership and tags. A call that fails is recorded as
//! an [`AccessIssue`] (its code and the IAM action to grant) and never stops the scan.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_bucket_encryption::{
    GetBucketEncryptionError, GetBucketEncryptionOutput,
};
use aws_sdk_s3::operation::get_bucket_ownership_controls::{
    GetBucketOwnershipControlsError, GetBucketOwnershipControlsOutput,
};
use aws_sdk_s3::operation::get_bucket_policy_status::{
    GetBucketPolicyStatusError, GetBucketPolicyStatusOutput,
};
use aws_sdk_s3::operation::get_bucket_tagging::{GetBucketTaggingError, GetBucketTaggingOutput};
use aws_sdk_s3::operation::get_bucket_versioning::{
    GetBucketVersioningError, GetBucketVersioningOutput,
};
use aws_sdk_s3::operation::get_public_access_block::{
    GetPublicAccessBlockError, GetPublicAccessBlockOutput,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

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

/// Finds the bucket's region: from ListBuckets when it said, else GetBucketLocation, and
/// when that is denied HeadBucket (its `x-amz-bucket-region`, which S3 sends even with a
/// redirect to another region): a role allowed on one bucket may hold `s3:ListBucket`
/// on it and not `s3:GetBucketLocation`.
pub async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listed: Option<&str>,
) -> Result<String, AccessIssue> {
    if let Some(r) = listed.filter(|r| !r.is_empty()) {
        return Ok(r.to_string());
    }
    let issue = match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => {
            return Ok(region_of_location(
                out.location_constraint().map(|c| c.as_str()),
            ))
        }
        Err(e) => AccessIssue::from_sdk(
            "GetBucketLocation",
            "s3:GetBucketLocation",
            &arn(bucket),
            &e,
        ),
    };
    if !issue.is_denied() {
        return Err(issue);
    }
    let header = match s3.head_bucket().bucket(bucket).send().await {
        Ok(out) => out.bucket_region().map(str::to_string),
        Err(e) => e
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string),
    };
    header.filter(|r| !r.is_empty()).ok_or(issue)
}

fn arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// Reads the posture of `bucket` with a client in its region, with the calls that failed.
/// Each read's answer is interpreted by its own function below: "not configured" answers
/// (`ServerSideEncryptionConfigurationNotFoundError`, `NoSuchPublicAccessBlockConfiguration`,
/// `NoSuchBucketPolicy`, `OwnershipControlsNotFoundError`, `NoSuchTagSet`, a versioning
/// configuration without a status) are posture values; only a denial asks to grant the
/// read's IAM action ([`AccessIssue::from_sdk`]); any other failure, a parse failure
/// included, is reported as itself with its code.
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
    let resource = arn(bucket);
    let issues = [
        encryption(
            &mut m,
            s3.get_bucket_encryption().bucket(bucket).send().await,
            &resource,
        ),
        public_access_block(
            &mut m,
            s3.get_public_access_block().bucket(bucket).send().await,
            &resource,
        ),
        policy_status(
            &mut m,
            s3.get_bucket_policy_status().bucket(bucket).send().await,
            &resource,
        ),
        versioning(
            &mut m,
            s3.get_bucket_versioning().bucket(bucket).send().await,
            &resource,
        ),
        ownership(
            &mut m,
            s3.get_bucket_ownership_controls()
                .bucket(bucket)
                .send()
                .await,
            &resource,
        ),
        tags(
            &mut m,
            s3.get_bucket_tagging().bucket(bucket).send().await,
            &resource,
        ),
    ];
    (m, issues.into_iter().flatten().collect())
}

/// A posture read's answer: its output, or `Err(None)` when AWS answered with
/// `not_configured` (the setting is absent), or the issue to report.
fn answer<O, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
    operation: &str,
    action: &str,
    resource: &str,
    not_configured: &str,
) -> Result<O, Option<AccessIssue>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    result.map_err(|e| {
        (e.code() != Some(not_configured))
            .then(|| AccessIssue::from_sdk(operation, action, resource, &e))
    })
}

type Read<O, E> = Result<O, SdkError<E, HttpResponse>>;

/// Default encryption; none configured leaves it empty.
fn encryption(
    m: &mut BucketMetadata,
    r: Read<GetBucketEncryptionOutput, GetBucketEncryptionError>,
    resource: &str,
) -> Option<AccessIssue> {
    let out = match answer(
        r,
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
        resource,
        "ServerSideEncryptionConfigurationNotFoundError",
    ) {
        Ok(out) => out,
        Err(issue) => return issue,
    };
    let rule = out
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first());
    if let Some(rule) = rule {
        m.encryption = rule
            .apply_server_side_encryption_by_default()
            .map(|d| DefaultEncryption {
                algorithm: d.sse_algorithm().as_str().to_string(),
                kms_key_id: d.kms_master_key_id().map(str::to_string),
                bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
            });
    }
    None
}

/// Block Public Access of the bucket; none configured: every setting off (the
/// account's may still block).
fn public_access_block(
    m: &mut BucketMetadata,
    r: Read<GetPublicAccessBlockOutput, GetPublicAccessBlockError>,
    resource: &str,
) -> Option<AccessIssue> {
    match answer(
        r,
        "GetPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        resource,
        "NoSuchPublicAccessBlockConfiguration",
    ) {
        Ok(out) => {
            m.public_access_block =
                out.public_access_block_configuration()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    });
            None
        }
        Err(None) => {
            m.public_access_block = Some(PublicAccessBlock::default());
            None
        }
        Err(issue) => issue,
    }
}

/// Whether the bucket policy makes it public; no policy: not public.
fn policy_status(
    m: &mut BucketMetadata,
    r: Read<GetBucketPolicyStatusOutput, GetBucketPolicyStatusError>,
    resource: &str,
) -> Option<AccessIssue> {
    match answer(
        r,
        "GetBucketPolicyStatus",
        "s3:GetBucketPolicyStatus",
        resource,
        "NoSuchBucketPolicy",
    ) {
        Ok(out) => {
            m.policy_is_public = Some(
                out.policy_status()
                    .and_then(|s| s.is_public())
                    .unwrap_or(false),
            );
            None
        }
        Err(None) => {
            m.policy_is_public = Some(false);
            None
        }
        Err(issue) => issue,
    }
}

/// Versioning; a configuration without a status means versioning was never enabled
/// (GetBucketVersioning "returns no versioning state" then), reported as `Disabled`.
/// Some servers send that empty configuration under another root element than the
/// SDK expects (moto: `<GetBucketVersioningResponse/>`), which the SDK fails to parse:
/// an empty document answered with 200 is read as that same "never enabled".
fn versioning(
    m: &mut BucketMetadata,
    r: Read<GetBucketVersioningOutput, GetBucketVersioningError>,
    resource: &str,
) -> Option<AccessIssue> {
    match r {
        Ok(out) => {
            m.versioning = Some(
                out.status()
                    .map_or("Disabled".to_string(), |s| s.as_str().to_string()),
            );
            m.mfa_delete = out.mfa_delete().map(|s| s.as_str().to_string());
            None
        }
        Err(ref e) if crate::aws::is_empty_answer(e) => {
            m.versioning = Some("Disabled".to_string());
            None
        }
        Err(e) => Some(AccessIssue::from_sdk(
            "GetBucketVersioning",
            "s3:GetBucketVersioning",
            resource,
            &e,
        )),
    }
}

/// Object Ownership; no controls: `ObjectWriter` (S3's setting before controls existed).
fn ownership(
    m: &mut BucketMetadata,
    r: Read<GetBucketOwnershipControlsOutput, GetBucketOwnershipControlsError>,
    resource: &str,
) -> Option<AccessIssue> {
    match answer(
        r,
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
        resource,
        "OwnershipControlsNotFoundError",
    ) {
        Ok(out) => {
            m.object_ownership = out
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string());
            None
        }
        Err(None) => {
            m.object_ownership = Some("ObjectWriter".into());
            None
        }
        Err(issue) => issue,
    }
}

/// Tags; none: no tags.
fn tags(
    m: &mut BucketMetadata,
    r: Read<GetBucketTaggingOutput, GetBucketTaggingError>,
    resource: &str,
) -> Option<AccessIssue> {
    match answer(
        r,
        "GetBucketTagging",
        "s3:GetBucketTagging",
        resource,
        "NoSuchTagSet",
    ) {
        Ok(out) => {
            m.tags = out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            None
        }
        Err(issue) => issue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::types::{BucketVersioningStatus, Tag};
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    const RESOURCE: &str = "arn:aws:s3:::b";

    fn response(status: u16, body: &str) -> HttpResponse {
        Response::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body.to_string()),
        )
    }

    /// A service error with `code` (none: no error document) and HTTP `status`.
    fn failed<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
        generic: fn(ErrorMetadata) -> E,
        code: Option<&str>,
        status: u16,
    ) -> SdkError<E, HttpResponse> {
        let mut meta = ErrorMetadata::builder().message("from the test");
        if let Some(c) = code {
            meta = meta.code(c);
        }
        SdkError::service_error(generic(meta.build()), response(status, ""))
    }

    fn parse_failure<E>(status: u16, body: &str) -> SdkError<E, HttpResponse> {
        SdkError::response_error("unexpected root element", response(status, body))
    }

    /// What a reader of report.json sees of an issue: its code and the action to grant.
    fn shown(issue: &AccessIssue) -> (Option<String>, Option<String>) {
        let r = issue.to_report(None);
        (r.code, r.action)
    }

    #[test]
    fn not_configured_answers_are_posture_values_not_issues() {
        let mut m = BucketMetadata::default();
        let enc = failed(
            GetBucketEncryptionError::generic,
            Some("ServerSideEncryptionConfigurationNotFoundError"),
            404,
        );
        assert!(encryption(&mut m, Err(enc), RESOURCE).is_none());
        assert!(m.encryption.is_none());
        let pab = failed(
            GetPublicAccessBlockError::generic,
            Some("NoSuchPublicAccessBlockConfiguration"),
            404,
        );
        assert!(public_access_block(&mut m, Err(pab), RESOURCE).is_none());
        assert_eq!(m.public_access_block, Some(PublicAccessBlock::default()));
        let policy = failed(
            GetBucketPolicyStatusError::generic,
            Some("NoSuchBucketPolicy"),
            404,
        );
        assert!(policy_status(&mut m, Err(policy), RESOURCE).is_none());
        assert_eq!(m.policy_is_public, Some(false));
        let own = failed(
            GetBucketOwnershipControlsError::generic,
            Some("OwnershipControlsNotFoundError"),
            404,
        );
        assert!(ownership(&mut m, Err(own), RESOURCE).is_none());
        assert_eq!(m.object_ownership.as_deref(), Some("ObjectWriter"));
        let tagging = failed(GetBucketTaggingError::generic, Some("NoSuchTagSet"), 404);
        assert!(tags(&mut m, Err(tagging), RESOURCE).is_none());
        assert!(m.tags.is_empty());
    }

    #[test]
    fn versioning_without_status_is_never_enabled_whatever_the_root_element() {
        let mut m = BucketMetadata::default();
        let empty = GetBucketVersioningOutput::builder().build();
        assert!(versioning(&mut m, Ok(empty), RESOURCE).is_none());
        assert_eq!(m.versioning.as_deref(), Some("Disabled"));
        // moto's answer for a bucket whose versioning was never enabled.
        let mut m = BucketMetadata::default();
        let moto = parse_failure(
            200,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GetBucketVersioningResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
        );
        assert!(versioning(&mut m, Err(moto), RESOURCE).is_none());
        assert_eq!(m.versioning.as_deref(), Some("Disabled"));
        let mut m = BucketMetadata::default();
        let on = GetBucketVersioningOutput::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        assert!(versioning(&mut m, Ok(on), RESOURCE).is_none());
        assert_eq!(m.versioning.as_deref(), Some("Enabled"));
    }

    #[test]
    fn versioning_answer_that_cannot_be_parsed_is_an_error_not_a_denial() {
        let mut m = BucketMetadata::default();
        let garbage = parse_failure(200, "<VersioningConfiguration><Status>En");
        let issue = versioning(&mut m, Err(garbage), RESOURCE).expect("reported");
        assert!(m.versioning.is_none());
        assert!(!issue.is_denied());
        assert!(!issue.message.contains("grant"), "{}", issue.message);
        assert_eq!(shown(&issue), (None, None));
    }

    #[test]
    fn only_access_denied_asks_to_grant_the_reads_action() {
        let mut m = BucketMetadata::default();
        let denied = failed(GetBucketTaggingError::generic, Some("AccessDenied"), 403);
        let issue = tags(&mut m, Err(denied), RESOURCE).expect("reported");
        assert!(
            issue.message.contains("grant s3:GetBucketTagging"),
            "{}",
            issue.message
        );
        assert_eq!(
            shown(&issue),
            (
                Some("AccessDenied".into()),
                Some("s3:GetBucketTagging".into())
            )
        );
        // A 403 without an error document (HEAD) is a denial too.
        let bare = failed(GetBucketVersioningError::generic, None, 403);
        let issue = versioning(&mut m, Err(bare), RESOURCE).expect("reported");
        assert!(issue.is_denied());
        assert_eq!(shown(&issue).1.as_deref(), Some("s3:GetBucketVersioning"));
    }

    #[test]
    fn other_errors_are_reported_with_their_code_not_as_denials() {
        let mut m = BucketMetadata::default();
        for (code, status) in [
            ("InternalError", 500),
            ("NoSuchBucket", 404),
            ("MethodNotAllowed", 405),
        ] {
            let e = failed(GetBucketEncryptionError::generic, Some(code), status);
            let issue = encryption(&mut m, Err(e), RESOURCE).expect("reported");
            assert!(
                !issue.message.contains("grant"),
                "{code}: {}",
                issue.message
            );
            assert_eq!(shown(&issue), (Some(code.to_string()), None), "{code}");
            let e = failed(GetBucketOwnershipControlsError::generic, Some(code), status);
            let issue = ownership(&mut m, Err(e), RESOURCE).expect("reported");
            assert_eq!(shown(&issue), (Some(code.to_string()), None), "{code}");
            let e = failed(GetPublicAccessBlockError::generic, Some(code), status);
            assert!(public_access_block(&mut m, Err(e), RESOURCE).is_some());
            let e = failed(GetBucketPolicyStatusError::generic, Some(code), status);
            assert!(policy_status(&mut m, Err(e), RESOURCE).is_some());
        }
        // One read's "not configured" code is an error for another read.
        let e = failed(
            GetBucketTaggingError::generic,
            Some("NoSuchBucketPolicy"),
            404,
        );
        assert!(tags(&mut m, Err(e), RESOURCE).is_some());
        assert!(m.public_access_block.is_none() && m.object_ownership.is_none());
        let ok = GetBucketTaggingOutput::builder()
            .tag_set(Tag::builder().key("team").value("data").build().unwrap())
            .build()
            .unwrap();
        assert!(tags(&mut m, Ok(ok), RESOURCE).is_none());
        assert_eq!(m.tags.get("team").map(String::as_str), Some("data"));
    }

    #[test]
    fn location_constraints_map_to_regions_as_documented() {
        assert_eq!(region_of_location(None), "us-east-1");
        assert_eq!(region_of_location(Some("")), "us-east-1");
        assert_eq!(region_of_location(Some("EU")), "eu-west-1");
        assert_eq!(region_of_location(Some("ap-south-1")), "ap-south-1");
    }
}
