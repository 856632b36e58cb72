//! AWS failures during a scan, reported with the AWS error code and the IAM action to
//! grant. Categories come from the connection test's code table (by code, never by message).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde::{Deserialize, Serialize};

use crate::aws::error_summary;
use crate::connection::diagnosis::{
    category_for_code, failure_message, with_code_and_action, Category,
};

/// One failed call on a bucket or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessIssue {
    /// The S3/STS operation, e.g. `ListObjectsV2`.
    pub operation: String,
    /// The IAM action it needs, e.g. `s3:ListBucket`.
    pub action: String,
    /// AWS error code (`AccessDenied`, `NoSuchBucket`...), when AWS answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// HTTP status of AWS's answer, when there was one (a 403 without an error code, as
    /// HEAD requests get, is a denial too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// What it means for the user, and what to do.
    pub message: String,
    /// Whether retrying later can help.
    pub transient: bool,
}

impl AccessIssue {
    /// Builds the issue for an SDK error of `operation` needing `action` on `resource`.
    /// Only an access denial (its code, or HTTP 403 without one) asks to grant `action`;
    /// any other failure is reported as what AWS answered, with its code.
    pub fn from_sdk<E>(
        operation: &str,
        action: &str,
        resource: &str,
        e: &SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = e.code().map(str::to_string);
        let http_status = e.raw_response().map(|r| r.status().as_u16());
        let category = match code.as_deref() {
            Some(c) => category_for_code(c),
            None if http_status == Some(403) => Some(Category::AccessDenied),
            None => None,
        };
        let transient = matches!(e, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_))
            || category.is_some_and(Category::is_retryable);
        let message = failure_message(operation, action, resource, category, &error_summary(e));
        AccessIssue {
            operation: operation.to_string(),
            action: action.to_string(),
            error_code: code,
            http_status,
            message,
            transient,
        }
    }

    /// A failed ListObjectsV2 on `bucket` (IAM action `s3:ListBucket` on the bucket ARN).
    pub fn listing<E>(bucket: &str, e: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        AccessIssue::from_sdk(
            "ListObjectsV2",
            "s3:ListBucket",
            &format!("arn:aws:s3:::{bucket}"),
            e,
        )
    }

    /// The issue on one line for a terminal: what failed and what to do, then the AWS
    /// error code and the IAM action, e.g. `ListObjectsV2 was denied: grant ... (error
    /// code AccessDenied, IAM action s3:ListBucket)`.
    pub fn line(&self) -> String {
        with_code_and_action(&self.message, self.error_code.as_deref(), &self.action)
    }

    /// The report's form of the issue, for the object `key` when it concerns one. Its
    /// IAM action to grant is named only for a denial (`kms:Decrypt` for a KMS key's):
    /// granting cannot fix any other failure.
    pub fn to_report(&self, key: Option<&str>) -> super::report::ScanIssue {
        let action = if self.is_denied() {
            Some(self.action.clone())
        } else if self.is_kms() {
            Some("kms:Decrypt".to_string())
        } else {
            None
        };
        super::report::ScanIssue {
            operation: self.operation.clone(),
            key: key.map(str::to_string),
            code: self.error_code.clone(),
            action,
            message: self.message.clone(),
        }
    }

    /// Whether AWS answered that the object's KMS key refused.
    pub fn is_kms(&self) -> bool {
        self.error_code
            .as_deref()
            .and_then(category_for_code)
            .is_some_and(|c| c == Category::KmsAccess)
    }

    /// Whether AWS answered with an access denial (its code, or HTTP 403 without one).
    pub fn is_denied(&self) -> bool {
        match self.error_code.as_deref() {
            Some(code) => category_for_code(code)
                .is_some_and(|c| matches!(c, Category::AccessDenied | Category::ExplicitDeny)),
            None => self.http_status == Some(403),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(code: &str) -> SdkError<ListObjectsV2Error, Response> {
        let meta = ErrorMetadata::builder()
            .code(code)
            .message("Access Denied")
            .build();
        SdkError::service_error(
            ListObjectsV2Error::generic(meta),
            Response::new(StatusCode::try_from(403).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn denial_names_code_and_action_to_grant() {
        let i = AccessIssue::from_sdk(
            "ListObjectsV2",
            "s3:ListBucket",
            "arn:aws:s3:::b",
            &service_error("AccessDenied"),
        );
        assert_eq!(i.error_code.as_deref(), Some("AccessDenied"));
        assert!(
            i.message.contains("grant s3:ListBucket on arn:aws:s3:::b"),
            "{}",
            i.message
        );
        assert!(i.is_denied() && !i.is_kms() && !i.transient);
        let k = AccessIssue::from_sdk(
            "GetObject",
            "s3:GetObject",
            "k",
            &service_error("KMS.DisabledException"),
        );
        assert!(k.is_kms());
        assert!(k.message.contains("kms:Decrypt"));
        let t = AccessIssue::from_sdk("GetObject", "s3:GetObject", "k", &service_error("SlowDown"));
        assert!(t.transient);
    }
}
