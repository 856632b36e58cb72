//! Classifying S3 objects directly (`s3connector classify s3://bucket/prefix`): which keys a
//! URI names, and one object's classification from a streamed GetObject body.
//!
//! Scans go through `scan::read`, which adds ETag pinning, skip reasons and deadlines; this
//! is the plain path for a person pointing the classifier at a bucket.

use crate::aws::listed_name;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::Client;

use super::{Classifier, ObjectReport, SampleLimits};
use crate::connection::diagnosis::{category_for_code, failure_line, Category, FailureKind};
use crate::connection::steps::failure_of;

/// ListObjectsV2's largest (and default) page, in keys.
pub const LIST_PAGE_SIZE: i32 = 1000;

/// Why the objects of an `s3://` URI could not be listed or classified.
#[derive(Debug, thiserror::Error)]
pub enum S3ClassifyError {
    /// HeadObject on the exact key failed with something other than 404.
    #[error("s3://{bucket}/{key}: {reason}")]
    Head {
        /// Bucket.
        bucket: String,
        /// Key tried as an object.
        key: String,
        /// What failed, in one line ([`s3_failure`]).
        reason: String,
        /// Whether the credentials are the problem (none found, expired, refused).
        credentials: bool,
    },
    /// ListObjectsV2 failed (access denied, no such bucket...).
    #[error("s3://{bucket}/{prefix}: listing failed: {reason}")]
    List {
        /// Bucket.
        bucket: String,
        /// Prefix listed.
        prefix: String,
        /// What failed, in one line ([`s3_failure`]).
        reason: String,
        /// Whether the credentials are the problem (none found, expired, refused).
        credentials: bool,
    },
    /// Neither an object with this key nor any object under it as a prefix.
    #[error("s3://{bucket}/{prefix}: no object with this key or prefix")]
    NothingThere {
        /// Bucket.
        bucket: String,
        /// Key or prefix.
        prefix: String,
    },
    /// GetObject failed.
    #[error("s3://{bucket}/{key}: {reason}")]
    Get {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// The SDK's error with its context.
        reason: String,
    },
    /// The body could not be read, decoded or classified.
    #[error("s3://{bucket}/{key}: {reason}")]
    Classify {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What went wrong (read error, decompression bomb, corrupt file...).
        reason: String,
    },
}

/// One line saying what failed in `operation` (needing IAM `action`) on `bucket` and
/// `key` (empty for the bucket itself), by what the failure is rather than by the call: no
/// credentials found, credentials refused or expired, access denied to the action on the
/// resource's ARN, no such key or bucket; anything else as [`failure_line`] words it.
/// Never the SDK's own dump.
pub fn s3_failure<E>(
    operation: &str,
    action: &str,
    bucket: &str,
    key: &str,
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let arn = match key {
        "" => format!("arn:aws:s3:::{bucket}"),
        key => format!("arn:aws:s3:::{bucket}/{key}"),
    };
    let code = aws_sdk_s3::error::ProvideErrorMetadata::code(e)
        .map_or(String::new(), |c| format!(" ({c})"));
    // S3 answers 403 for an archived object: not a permission the user can grant.
    if aws_sdk_s3::error::ProvideErrorMetadata::code(e) == Some("InvalidObjectState") {
        return format!(
            "the object is archived (an archive storage class such as GLACIER or \
             DEEP_ARCHIVE, or an Intelligent-Tiering archive tier){code} and must be restored \
             before it can be read (`aws s3api restore-object`)"
        );
    }
    let category = failure_category(&failure_of(e).kind, key);
    match category {
        Some(Category::NoCredentials) => "no AWS credentials found: set AWS_PROFILE or --profile, \
            AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login`"
            .to_string(),
        Some(Category::ExpiredCredentials) => {
            format!("the AWS credentials have expired{code}: refresh them (`aws sso login`, a new session)")
        }
        Some(Category::InvalidCredentials | Category::SignatureMismatch) => format!(
            "the AWS credentials were refused{code}: check the access key id and secret key in use"
        ),
        Some(Category::AccessDenied | Category::ExplicitDeny) => {
            format!("access denied to {action} on {arn}{code}")
        }
        Some(Category::KmsAccess) => {
            format!("access denied to the KMS key of {arn}{code}: kms:Decrypt is needed")
        }
        Some(Category::NoSuchKey) => format!("no such key: s3://{bucket}/{key}"),
        Some(Category::NoSuchBucket) => format!("no such bucket: {bucket}"),
        _ => failure_line(operation, action, &arn, e),
    }
}

impl S3ClassifyError {
    /// Whether the failure is the credentials' (none found, expired, refused): a
    /// configuration problem rather than something in scope that could not be read.
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            S3ClassifyError::Head {
                credentials: true,
                ..
            } | S3ClassifyError::List {
                credentials: true,
                ..
            }
        )
    }
}

/// Whether an S3 call failed for its credentials: none found, expired, or refused by AWS.
fn credentials_failure<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    matches!(
        failure_category(&failure_of(e).kind, ""),
        Some(
            Category::NoCredentials
                | Category::ExpiredCredentials
                | Category::InvalidCredentials
                | Category::SignatureMismatch
        )
    )
}

/// The category of a failed S3 call on `key` (empty for a bucket-level call).
fn failure_category(kind: &FailureKind, key: &str) -> Option<Category> {
    match kind {
        FailureKind::NoCredentials => Some(Category::NoCredentials),
        FailureKind::CredentialsExpired => Some(Category::ExpiredCredentials),
        FailureKind::Service { code, http_status } => code
            .as_deref()
            .and_then(category_for_code)
            .or(match http_status {
                401 | 403 => Some(Category::AccessDenied),
                404 if !key.is_empty() => Some(Category::NoSuchKey),
                _ => None,
            }),
        FailureKind::Timeout | FailureKind::Dispatch => None,
    }
}

/// Keys that `s3://bucket/key_or_prefix` names: the key itself when an object has exactly
/// that key (HeadObject), else every object under it as a prefix, through every page of
/// ListObjectsV2 (`page_size` keys a page, at most [`LIST_PAGE_SIZE`]), in listing order.
/// Folder markers (keys ending in `/`) are left out.
///
/// Errors: HeadObject or ListObjectsV2 refused (with the AWS code), or nothing there.
pub async fn object_keys(
    s3: &Client,
    bucket: &str,
    key_or_prefix: &str,
    page_size: i32,
) -> Result<Vec<String>, S3ClassifyError> {
    if !key_or_prefix.is_empty() && !key_or_prefix.ends_with('/') {
        match s3
            .head_object()
            .bucket(bucket)
            .key(key_or_prefix)
            .send()
            .await
        {
            Ok(_) => return Ok(vec![key_or_prefix.to_string()]),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
            Err(e) => {
                return Err(S3ClassifyError::Head {
                    bucket: bucket.into(),
                    key: key_or_prefix.into(),
                    reason: s3_failure("HeadObject", "s3:GetObject", bucket, key_or_prefix, &e),
                    credentials: credentials_failure(&e),
                })
            }
        }
    }
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .bucket(bucket)
        .prefix(key_or_prefix)
        .max_keys(page_size.clamp(1, LIST_PAGE_SIZE))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| S3ClassifyError::List {
            bucket: bucket.into(),
            prefix: key_or_prefix.into(),
            reason: s3_failure("ListObjectsV2", "s3:ListBucket", bucket, "", &e),
            credentials: credentials_failure(&e),
        })?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .map(listed_name)
                .filter(|k| !k.ends_with('/')),
        );
    }
    if keys.is_empty() {
        return Err(S3ClassifyError::NothingThere {
            bucket: bucket.into(),
            prefix: key_or_prefix.into(),
        });
    }
    Ok(keys)
}

/// Classifies one object: GetObject, the body streamed (decompressed by Content-Encoding,
/// suffix or magic bytes; random-access formats spooled to `spool_dir`, at most
/// `max_spool_bytes`) through [`Classifier::classify_object`] on a blocking thread.
pub async fn classify_s3_object(
    s3: &Client,
    classifier: &Arc<Classifier>,
    bucket: &str,
    key: &str,
    limits: SampleLimits,
    spool_dir: &Path,
    max_spool_bytes: u64,
) -> Result<ObjectReport, S3ClassifyError> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| S3ClassifyError::Get {
            bucket: bucket.into(),
            key: key.into(),
            reason: s3_failure("GetObject", "s3:GetObject", bucket, key, &e),
        })?;
    let classifier = classifier.clone();
    let encoding = out.content_encoding.clone();
    let content_type = out.content_type.clone();
    let reader: Box<dyn Read + Send> = Box::new(tokio_util::io::SyncIoBridge::new(
        out.body.into_async_read(),
    ));
    let (name, spool_dir) = (key.to_string(), spool_dir.to_path_buf());
    let classified = tokio::task::spawn_blocking(move || {
        classifier
            .classify_object(
                reader,
                &name,
                encoding.as_deref(),
                content_type.as_deref(),
                &limits,
                classifier.bomb_limits(),
                &spool_dir,
                max_spool_bytes,
            )
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("classify task failed: {e}")));
    classified.map_err(|reason| S3ClassifyError::Classify {
        bucket: bucket.into(),
        key: key.into(),
        reason,
    })
}
