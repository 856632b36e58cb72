//! Turns an AWS failure into a category a user can act on, with the exact fix.
//!
//! Classification uses the error code, the HTTP status and the kind of failure, never
//! the message text: AWS rewords messages, and they differ between services and SDKs.
//! The message is only passed through (as `detail`) for the user to read.

use serde::{Deserialize, Serialize};

use super::request::ValidatedRequest;
use super::verdict::{StepName, StepReport, StepStatus};

/// What went wrong, in terms of what the user has to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// No credentials were found anywhere in the chain.
    NoCredentials,
    /// AWS does not know the access key or token.
    InvalidCredentials,
    /// The credentials were valid once and have expired.
    ExpiredCredentials,
    /// The request signature is wrong: secret key or clock.
    SignatureMismatch,
    /// STS refused to let the caller assume the role.
    AssumeRoleDenied,
    /// No policy allows the action on the resource.
    AccessDenied,
    /// A policy explicitly denies the action.
    ExplicitDeny,
    /// The bucket does not exist.
    NoSuchBucket,
    /// The bucket lives in another region than the one used.
    WrongRegion,
    /// The KMS key that encrypts the data cannot be used.
    KmsAccess,
    /// The object does not exist.
    NoSuchKey,
    /// The queue does not exist.
    NoSuchQueue,
    /// AWS asked the caller to slow down.
    Throttled,
    /// The call did not complete in time.
    Timeout,
    /// The endpoint could not be reached.
    Network,
    /// AWS had a server-side failure.
    ServiceUnavailable,
    /// Nothing more specific is known.
    Unknown,
}

impl Category {
    /// Whether running the test again, unchanged, may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Category::Throttled
                | Category::Timeout
                | Category::Network
                | Category::ServiceUnavailable
        )
    }
}

/// Error codes and the category each one means, across S3, STS, SQS and KMS.
///
/// A code ending in `*` matches every code that starts with the text before it; exact
/// entries win over those. Codes not listed fall back to the HTTP status.
pub const CODE_TABLE: &[(&str, Category)] = &[
    // The request carried no signature at all.
    ("MissingAuthenticationToken", Category::NoCredentials),
    (
        "MissingAuthenticationTokenException",
        Category::NoCredentials,
    ),
    // AWS does not know these credentials.
    ("InvalidClientTokenId", Category::InvalidCredentials),
    ("UnrecognizedClientException", Category::InvalidCredentials),
    ("InvalidAccessKeyId", Category::InvalidCredentials),
    ("InvalidToken", Category::InvalidCredentials),
    // Credentials (or the request's time stamp) too old.
    ("ExpiredToken", Category::ExpiredCredentials),
    ("ExpiredTokenException", Category::ExpiredCredentials),
    ("RequestExpired", Category::ExpiredCredentials),
    ("TokenRefreshRequired", Category::ExpiredCredentials),
    // Wrong secret key or a skewed clock.
    ("SignatureDoesNotMatch", Category::SignatureMismatch),
    ("IncompleteSignature", Category::SignatureMismatch),
    ("InvalidSignatureException", Category::SignatureMismatch),
    ("RequestTimeTooSkewed", Category::SignatureMismatch),
    // STS: the account has not activated STS in the region called.
    ("RegionDisabledException", Category::AssumeRoleDenied),
    // Refined by the action: sts:AssumeRole, kms:*, or an explicit deny.
    ("AccessDenied", Category::AccessDenied),
    ("AccessDeniedException", Category::AccessDenied),
    ("NoSuchBucket", Category::NoSuchBucket),
    ("PermanentRedirect", Category::WrongRegion),
    ("TemporaryRedirect", Category::WrongRegion),
    ("AuthorizationHeaderMalformed", Category::WrongRegion),
    ("IllegalLocationConstraintException", Category::WrongRegion),
    // S3 passes KMS failures through with a KMS. prefix.
    ("KMS.DisabledException", Category::KmsAccess),
    ("KMS.KMSInvalidStateException", Category::KmsAccess),
    ("KMS.NotFoundException", Category::KmsAccess),
    ("KMS.*", Category::KmsAccess),
    ("NoSuchKey", Category::NoSuchKey),
    (
        "AWS.SimpleQueueService.NonExistentQueue",
        Category::NoSuchQueue,
    ),
    ("QueueDoesNotExist", Category::NoSuchQueue),
    ("Throttling", Category::Throttled),
    ("ThrottlingException", Category::Throttled),
    ("SlowDown", Category::Throttled),
    ("RequestLimitExceeded", Category::Throttled),
    ("TooManyRequestsException", Category::Throttled),
    ("RequestThrottled", Category::Throttled),
    // S3: the connection sat idle past the server's timeout.
    ("RequestTimeout", Category::Timeout),
    ("RequestTimeoutException", Category::Timeout),
    ("InternalError", Category::ServiceUnavailable),
    ("InternalFailure", Category::ServiceUnavailable),
    ("ServiceUnavailable", Category::ServiceUnavailable),
    ("ServiceUnavailableException", Category::ServiceUnavailable),
];

/// The category an error code means, if the table knows it.
pub fn category_for_code(code: &str) -> Option<Category> {
    let exact = CODE_TABLE
        .iter()
        .find(|(entry, _)| !entry.ends_with('*') && *entry == code);
    let by_prefix = || {
        CODE_TABLE.iter().find(|(entry, _)| {
            entry
                .strip_suffix('*')
                .is_some_and(|prefix| code.starts_with(prefix))
        })
    };
    exact.or_else(by_prefix).map(|(_, category)| *category)
}

/// What a failed call means for the person running a scan or `classify`, in one line:
/// `operation` (`ListObjectsV2`) needing IAM `action` (`s3:ListBucket`) on `resource` (an
/// ARN or `s3://` URI) failed with `category` (from [`category_for_code`]); `summary` is
/// the AWS code and message (or the transport failure) for the categories this does not
/// explain.
pub fn failure_message(
    operation: &str,
    action: &str,
    resource: &str,
    category: Option<Category>,
    summary: &str,
) -> String {
    match category {
        Some(Category::AccessDenied | Category::ExplicitDeny) => format!(
            "{operation} was denied: grant {action} on {resource} to the scanning role (or lift the deny in the bucket policy or SCP)"
        ),
        Some(Category::KmsAccess) => format!(
            "{operation} failed on the KMS key: grant kms:Decrypt on the bucket's key to the scanning role in the key policy"
        ),
        Some(Category::NoSuchBucket) => {
            format!("{resource} does not exist (deleted since it was listed?)")
        }
        Some(Category::WrongRegion) => {
            format!("{resource} is in another region than the one called")
        }
        Some(Category::AssumeRoleDenied) => "the role cannot be assumed: check its trust policy names the scan function's role and the external ID".to_string(),
        _ => format!("{operation} on {resource} failed: {summary}"),
    }
}

/// `message` followed by the AWS error code and the IAM action, as the CLI prints a
/// failed call: `... (error code AccessDenied, IAM action s3:ListBucket)`.
pub fn with_code_and_action(message: &str, code: Option<&str>, action: &str) -> String {
    format!(
        "{message} (error code {}, IAM action {action})",
        code.unwrap_or("none")
    )
}

/// [`failure_message`] for an SDK error, with its code and the action: one line, never
/// the SDK's debug dump.
pub fn failure_line<E, R>(
    operation: &str,
    action: &str,
    resource: &str,
    e: &aws_sdk_s3::error::SdkError<E, R>,
) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let code = e.code();
    let message = failure_message(
        operation,
        action,
        resource,
        code.and_then(category_for_code),
        &crate::aws::error_summary(e),
    );
    with_code_and_action(&message, code, action)
}

/// Which policy holds an explicit deny, as AWS reports it in newer error responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplicitDenySource {
    /// A policy attached to the user or role.
    IdentityPolicy,
    /// The resource's own policy: bucket policy, key policy, queue policy or trust policy.
    ResourcePolicy,
    /// An AWS Organizations service control policy.
    Scp,
    /// An AWS Organizations resource control policy.
    ResourceControlPolicy,
    /// The permissions boundary of the user or role.
    PermissionsBoundary,
    /// The session policy passed when the session was created.
    SessionPolicy,
    /// The policy of the VPC endpoint the request went through.
    VpcEndpointPolicy,
}

/// How a call failed, as far as the SDK can tell without reading the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// AWS answered with an error.
    Service {
        /// The error code; `None` for HEAD responses, which have no body to carry one.
        code: Option<String>,
        /// The HTTP status.
        http_status: u16,
    },
    /// The call did not complete in time.
    Timeout,
    /// The request could not be sent: DNS, connection or TLS failure.
    Dispatch,
    /// The credential chain found no credentials.
    NoCredentials,
    /// The credential provider returned credentials that had already expired.
    CredentialsExpired,
}

/// One failed AWS call, with what the response said beyond its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// How it failed.
    pub kind: FailureKind,
    /// Which policy explicitly denied the call, when AWS said so.
    pub explicit_deny: Option<ExplicitDenySource>,
    /// The bucket's real region, from S3's `x-amz-bucket-region` header.
    pub bucket_region: Option<String>,
    /// AWS's own message, shown to the user but never used to classify.
    pub detail: Option<String>,
}

impl Failure {
    /// A failure of the given kind with nothing else known.
    pub fn new(kind: FailureKind) -> Self {
        Failure {
            kind,
            explicit_deny: None,
            bucket_region: None,
            detail: None,
        }
    }

    /// An error response from AWS.
    pub fn service(code: Option<&str>, http_status: u16) -> Self {
        Failure::new(FailureKind::Service {
            code: code.map(str::to_string),
            http_status,
        })
    }

    /// Records which policy explicitly denied the call.
    pub fn with_explicit_deny(mut self, source: ExplicitDenySource) -> Self {
        self.explicit_deny = Some(source);
        self
    }

    /// Records the bucket's real region.
    pub fn with_bucket_region(mut self, region: impl Into<String>) -> Self {
        self.bucket_region = Some(region.into());
        self
    }

    /// Records AWS's message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// What the failed call was trying to do, so the remediation can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisContext {
    /// The step that made the call.
    pub step: StepName,
    /// The IAM action the call needs, such as `s3:ListBucket`.
    pub action: &'static str,
    /// The resource the action applies to, such as `arn:aws:s3:::bucket`.
    pub resource_arn: String,
    /// The bucket under test.
    pub bucket: String,
    /// The prefix under test.
    pub prefix: Option<String>,
    /// The region the call was made in.
    pub region: Option<String>,
    /// The role being assumed or in use.
    pub role_arn: Option<String>,
    /// Who made the call, from `sts:GetCallerIdentity`.
    pub caller_arn: Option<String>,
    /// The KMS key that encrypts the bucket or object, when known.
    pub kms_key_arn: Option<String>,
    /// Where the external ID of an AssumeRole call came from.
    pub external_id: ExternalIdUse,
    /// The account the caller said owns the bucket (S3 `ExpectedBucketOwner`), if any.
    pub expected_bucket_owner: Option<String>,
}

/// Where the external ID sent with `sts:AssumeRole` came from, for the remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalIdUse {
    /// The caller sent one (the CLI).
    Sent,
    /// The caller sent none (the CLI).
    NotSent,
    /// The deployment's own, for the role's account (the endpoint); `sent` is false
    /// when the deployment has none for that account.
    Deployment {
        /// The role's account.
        account: String,
        /// Whether the deployment has one for that account.
        sent: bool,
    },
}

// Object-level S3 actions take `bucket/key` resources; every other S3 action the test
// exercises takes the bucket itself.
const S3_OBJECT_ACTIONS: [&str; 5] = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:GetObjectAttributes",
];

impl DiagnosisContext {
    /// A context for `action` in `step`, with the resource ARN derived from the request.
    pub fn for_action(step: StepName, action: &'static str, request: &ValidatedRequest) -> Self {
        let role_arn = request.role.as_ref().map(|r| r.arn.as_str().to_string());
        let resource_arn = match action.split_once(':').map(|(service, _)| service) {
            _ if action == "sts:AssumeRole" => role_arn.clone().unwrap_or_else(|| "*".into()),
            _ if S3_OBJECT_ACTIONS.contains(&action) => request.objects_arn(),
            Some("s3") => request.bucket_arn(),
            Some("sqs") => request
                .queue
                .as_ref()
                .map_or_else(|| "*".into(), |q| q.arn.clone()),
            _ => "*".into(),
        };
        DiagnosisContext {
            step,
            action,
            resource_arn,
            bucket: request.bucket.as_str().to_string(),
            prefix: request.prefix.clone(),
            region: request.region.as_ref().map(|r| r.as_str().to_string()),
            role_arn,
            caller_arn: None,
            kms_key_arn: None,
            expected_bucket_owner: request.expected_bucket_owner.clone(),
            external_id: if request
                .role
                .as_ref()
                .is_some_and(|r| r.external_id.is_some())
            {
                ExternalIdUse::Sent
            } else {
                ExternalIdUse::NotSent
            },
        }
    }
}

/// A classified failure with what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// What kind of problem it is.
    pub category: Category,
    /// What happened.
    pub message: String,
    /// What to change, naming the action, resource or setting.
    pub remediation: String,
    /// The AWS error code, when there was one.
    pub error_code: Option<String>,
    /// Whether running the test again, unchanged, may succeed.
    pub retryable: bool,
}

impl Diagnosis {
    /// The step report for this diagnosis: `Failed` for a mandatory step, `Warning` otherwise.
    pub fn report(&self, ctx: &DiagnosisContext, mandatory: bool, duration_ms: u64) -> StepReport {
        let status = if mandatory {
            StepStatus::Failed
        } else {
            StepStatus::Warning
        };
        let report = StepReport::new(ctx.step, mandatory, status, self.message.clone())
            .with_remediation(self.remediation.clone())
            .with_action(ctx.action)
            .with_duration_ms(duration_ms);
        match &self.error_code {
            Some(code) => report.with_error_code(code.clone()),
            None => report,
        }
    }
}

/// Classifies `failure` of the call described by `ctx` and says how to fix it.
pub fn diagnose(failure: &Failure, ctx: &DiagnosisContext) -> Diagnosis {
    let category = categorize(failure, ctx);
    let code = match &failure.kind {
        FailureKind::Service { code, .. } => code.as_deref().filter(|c| !c.is_empty()),
        _ => None,
    };
    let (message, remediation) = explain(category, code, failure, ctx);
    // The one place AWS's own text joins the message, so no caller repeats it.
    let message = match &failure.detail {
        Some(detail) => format!("{message} AWS said: {detail}"),
        None => message,
    };
    Diagnosis {
        category,
        message,
        remediation,
        error_code: code.map(str::to_string),
        retryable: category.is_retryable(),
    }
}

fn categorize(failure: &Failure, ctx: &DiagnosisContext) -> Category {
    let (code, status) = match &failure.kind {
        FailureKind::NoCredentials => return Category::NoCredentials,
        FailureKind::CredentialsExpired => return Category::ExpiredCredentials,
        FailureKind::Timeout => return Category::Timeout,
        FailureKind::Dispatch => return Category::Network,
        FailureKind::Service { code, http_status } => (code.as_deref(), *http_status),
    };
    let base = match code.filter(|c| !is_status_placeholder(c)) {
        Some(code) => category_for_code(code).unwrap_or(match status {
            429 => Category::Throttled,
            500..=599 => Category::ServiceUnavailable,
            _ => Category::Unknown,
        }),
        None => category_for_status(status, failure, ctx),
    };
    match base {
        Category::AccessDenied if failure.explicit_deny.is_some() => Category::ExplicitDeny,
        Category::AccessDenied
            if ctx.step == StepName::AssumeRole || ctx.action == "sts:AssumeRole" =>
        {
            Category::AssumeRoleDenied
        }
        Category::AccessDenied if ctx.action.starts_with("kms:") => Category::KmsAccess,
        other => other,
    }
}

// SDKs invent a code from the status for HEAD responses ("NotFound", "Forbidden", or
// the status digits); such a code says no more than the status itself.
fn is_status_placeholder(code: &str) -> bool {
    code.is_empty()
        || code.bytes().all(|b| b.is_ascii_digit())
        || matches!(
            code,
            "NotFound" | "Forbidden" | "MovedPermanently" | "BadRequest"
        )
}

fn category_for_status(status: u16, failure: &Failure, ctx: &DiagnosisContext) -> Category {
    match status {
        301 | 307 => Category::WrongRegion,
        // HeadBucket signed for the wrong region answers 400 with the real region in a header.
        400 if failure
            .bucket_region
            .as_deref()
            .is_some_and(|real| ctx.region.as_deref() != Some(real)) =>
        {
            Category::WrongRegion
        }
        401 | 403 => Category::AccessDenied,
        404 => match ctx.step {
            StepName::Bucket | StepName::List | StepName::Posture => Category::NoSuchBucket,
            StepName::Read | StepName::WriteTest => Category::NoSuchKey,
            StepName::Queue => Category::NoSuchQueue,
            StepName::Credentials | StepName::AssumeRole => Category::Unknown,
        },
        429 => Category::Throttled,
        500..=599 => Category::ServiceUnavailable,
        _ => Category::Unknown,
    }
}

fn service_name(action: &str) -> &'static str {
    match action.split_once(':').map(|(service, _)| service) {
        Some("s3") => "Amazon S3",
        Some("sqs") => "Amazon SQS",
        Some("sts") => "AWS STS",
        Some("kms") => "AWS KMS",
        _ => "AWS",
    }
}

// A trust policy names the role, not the session: turn
// arn:<p>:sts::<acct>:assumed-role/<role>/<session> into arn:<p>:iam::<acct>:role/<role>.
fn policy_principal(caller_arn: &str) -> String {
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    if let [_, partition, "sts", _, account, resource] = parts.as_slice() {
        if let Some(role) = resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next())
        {
            return format!("arn:{partition}:iam::{account}:role/{role}");
        }
    }
    caller_arn.to_string()
}

fn explain(
    category: Category,
    code: Option<&str>,
    failure: &Failure,
    ctx: &DiagnosisContext,
) -> (String, String) {
    let action = ctx.action;
    let resource = ctx.resource_arn.as_str();
    let service = service_name(action);
    let caller = ctx
        .caller_arn
        .as_deref()
        .map_or_else(|| "the connector's identity".to_string(), policy_principal);
    // After AssumeRole every call is made as the role.
    let principal = match (&ctx.role_arn, ctx.step) {
        (Some(role), step) if step != StepName::AssumeRole && step != StepName::Credentials => {
            role.clone()
        }
        _ => caller.clone(),
    };
    let role = ctx.role_arn.as_deref().unwrap_or("the role");
    let region = ctx.region.as_deref().unwrap_or("the default region");
    match category {
        Category::NoCredentials => (
            format!("No AWS credentials were found for {action}."),
            "Provide credentials through the default chain: the Lambda execution role, \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance or \
             container role."
                .to_string(),
        ),
        Category::InvalidCredentials => (
            format!(
                "{service} does not recognise the access key or session token used for {action}."
            ),
            format!(
                "Check that the access key ID exists and is active in IAM, that it belongs to the \
                 partition of {resource}, and that AWS_SESSION_TOKEN is set exactly when the keys \
                 are temporary and belongs to them."
            ),
        ),
        Category::ExpiredCredentials => (
            format!("The credentials used for {action} have expired."),
            "Refresh the credentials (a new session token, aws sso login, or a fresh role \
             session); if they were just issued, check that the system clock is within \
             15 minutes of the real time."
                .to_string(),
        ),
        Category::SignatureMismatch => (
            format!("{service} rejected the request signature for {action}."),
            "Check that AWS_SECRET_ACCESS_KEY belongs to the access key ID and was copied whole \
             (no whitespace), and that the system clock is synchronised (NTP): AWS rejects \
             signatures more than 15 minutes off."
                .to_string(),
        ),
        Category::AssumeRoleDenied if code == Some("RegionDisabledException") => (
            format!("STS is not activated in {region} for the account of {role}."),
            format!(
                "Activate STS in {region} (IAM console > Account settings > Security Token \
                 Service (STS) > Endpoints), or call STS in a region where it is active."
            ),
        ),
        Category::AssumeRoleDenied => {
            // The role ARN rebuilt from a session ARN lacks the role's path.
            let path_note = if ctx
                .caller_arn
                .as_deref()
                .is_some_and(|c| c.contains(":assumed-role/"))
            {
                " If the calling role has a path, include it in the Principal ARN."
            } else {
                ""
            };
            let external_id = match &ctx.external_id {
                ExternalIdUse::Sent => "the request's external_id must equal it exactly".to_string(),
                ExternalIdUse::NotSent => {
                    "the request sent no external_id, so set external_id to that value".to_string()
                }
                ExternalIdUse::Deployment { account, sent: true } => format!(
                    "it must equal this deployment's external ID for account {account} (the operator's \
                     S3CONNECTOR_ACCOUNT_EXTERNAL_IDS)"
                ),
                ExternalIdUse::Deployment { account, sent: false } => format!(
                    "this deployment has no external ID for account {account}: ask the operator to \
                     set it in S3CONNECTOR_ACCOUNT_EXTERNAL_IDS"
                ),
            };
            (
                format!("{caller} is not allowed to perform sts:AssumeRole on {role}."),
                format!(
                    "Check three things: (1) the trust policy of {role} allows sts:AssumeRole for \
                     Principal {caller}; (2) if that trust policy has a condition on \
                     sts:ExternalId, {external_id}; (3) the IAM policy of {caller} allows \
                     sts:AssumeRole on {role}.{path_note}"
                ),
            )
        }
        Category::AccessDenied => {
            let mut fix = format!("Allow {action} on {resource} in the IAM policy of {principal}.");
            if action == "s3:ListBucket" {
                if let Some(prefix) = &ctx.prefix {
                    fix.push_str(&format!(
                        " If the statement is limited to a prefix, its condition must allow this \
                         one: \"StringLike\": {{\"s3:prefix\": [\"{prefix}*\"]}}."
                    ));
                }
            }
            if action.starts_with("s3:") {
                fix.push_str(&format!(
                    " If bucket {} belongs to another account, its bucket policy must allow this \
                     principal as well; also check that no bucket policy, SCP, permissions \
                     boundary or VPC endpoint policy denies it.",
                    ctx.bucket
                ));
            }
            if let (true, Some(owner)) = (action.starts_with("s3:"), &ctx.expected_bucket_owner) {
                // S3 answers 403 AccessDenied when ExpectedBucketOwner does not match.
                fix.push_str(&format!(
                    " S3 gives the same answer when bucket {} is not owned by account {owner} \
                     (expected_bucket_owner): check the owner too.",
                    ctx.bucket
                ));
            }
            if action.starts_with("sqs:") {
                fix.push_str(" If the queue belongs to another account, its queue policy must allow this principal as well.");
            }
            if let (true, Some(key)) = (S3_OBJECT_ACTIONS.contains(&action), &ctx.kms_key_arn) {
                fix.push_str(&format!(
                    " The data is encrypted with {key}: the same error appears when kms:Decrypt \
                     (kms:GenerateDataKey for writes) is not allowed on it, in the key policy and \
                     in the IAM policy."
                ));
            }
            (
                format!("{principal} is not allowed to perform {action} on {resource}."),
                fix,
            )
        }
        Category::ExplicitDeny => {
            let source = failure
                .explicit_deny
                .unwrap_or(ExplicitDenySource::IdentityPolicy);
            let resource_policy = match action.split_once(':').map(|(s, _)| s) {
                Some("s3") => format!("the bucket policy of {}", ctx.bucket),
                Some("kms") => format!(
                    "the key policy of {}",
                    ctx.kms_key_arn.as_deref().unwrap_or(resource)
                ),
                Some("sqs") => format!("the queue policy of {resource}"),
                Some("sts") => format!("the trust policy of {role}"),
                _ => format!("the resource-based policy of {resource}"),
            };
            let fix = match source {
                ExplicitDenySource::IdentityPolicy => format!(
                    "Edit the IAM policies attached to {principal}: a Deny statement matches {action} on {resource}."
                ),
                ExplicitDenySource::ResourcePolicy => format!(
                    "Edit {resource_policy}: a Deny statement matches {principal} and {action} on {resource}."
                ),
                ExplicitDenySource::Scp => format!(
                    "Ask the AWS Organizations administrator to change the service control policy that denies {action} on {resource} to {principal}."
                ),
                ExplicitDenySource::ResourceControlPolicy => format!(
                    "Ask the AWS Organizations administrator to change the resource control policy that denies {action} on {resource}."
                ),
                ExplicitDenySource::PermissionsBoundary => format!(
                    "Edit the permissions boundary of {principal} so that it allows, and does not deny, {action} on {resource}."
                ),
                ExplicitDenySource::SessionPolicy => format!(
                    "Edit the session policy passed when the session of {principal} was created: it denies {action} on {resource}."
                ),
                ExplicitDenySource::VpcEndpointPolicy => format!(
                    "Edit the policy of the {service} VPC endpoint the connector uses so that it allows {action} on {resource}."
                ),
            };
            (
                format!("An explicit deny blocks {action} on {resource} for {principal}."),
                fix,
            )
        }
        Category::NoSuchBucket => (
            format!("Bucket {} does not exist.", ctx.bucket),
            format!(
                "Check the bucket field: copy the name from the S3 console (names are lowercase) \
                 and give it as {0} or s3://{0}/<prefix>.",
                ctx.bucket
            ),
        ),
        Category::WrongRegion => {
            let fix = match &failure.bucket_region {
                Some(real) => format!("Set region to {real}, the region of bucket {}.", ctx.bucket),
                None => format!(
                    "Set region to the bucket's region: see the S3 console (bucket > Properties) \
                     or run aws s3api get-bucket-location --bucket {}.",
                    ctx.bucket
                ),
            };
            (format!("Bucket {} is not in {region}.", ctx.bucket), fix)
        }
        Category::KmsAccess => {
            let key = ctx.kms_key_arn.as_deref().map_or_else(
                || "the bucket's KMS key (see the bucket's default encryption)".to_string(),
                |arn| format!("KMS key {arn}"),
            );
            let state = match code {
                Some("KMS.DisabledException") => format!("Enable {key}, or "),
                Some("KMS.KMSInvalidStateException") => format!(
                    "Cancel the scheduled deletion of {key} or finish importing its key material, or "
                ),
                Some("KMS.NotFoundException") => format!(
                    "{key} no longer exists in this account and region: point the bucket's \
                     default encryption at an existing key, or "
                ),
                _ => String::new(),
            };
            (
                format!("{principal} cannot use {key}, which encrypts the data of {resource}."),
                format!(
                    "{state}allow kms:Decrypt (and kms:GenerateDataKey for writes) on {key} for \
                     {principal}, in both the key policy and the IAM policy of {principal}."
                ),
            )
        }
        Category::NoSuchKey => (
            format!("The object read under {resource} no longer exists."),
            format!(
                "Run the test again: the object was deleted between listing and reading. If it \
                 keeps failing, check lifecycle rules and other writers that delete objects \
                 under {resource}, or set prefix to a part of bucket {} whose objects stay put.",
                ctx.bucket
            ),
        ),
        Category::NoSuchQueue => (
            format!("Queue {resource} does not exist."),
            "Check queue_url: copy it from the SQS console, with the account, region and name \
             (including .fifo for a FIFO queue)."
                .to_string(),
        ),
        Category::Throttled => (
            format!("{service} throttled {action}."),
            format!(
                "Retry in a few seconds; if it persists, other workloads are using the {service} \
                 request rate for this account or prefix."
            ),
        ),
        Category::Timeout => (
            format!("{action} did not complete in time."),
            format!(
                "Retry; if it persists, check that the function can reach the {service} endpoint \
                 in {region} (a VPC needs a NAT gateway or a VPC endpoint) and raise the function \
                 timeout."
            ),
        ),
        Category::Network => (
            format!("Could not connect to {service} for {action}."),
            format!(
                "Check DNS and outbound HTTPS to the {service} endpoint in {region}: a function in \
                 a VPC needs a NAT gateway or a VPC endpoint, and a proxy or firewall must allow \
                 it; with an endpoint override, check AWS_ENDPOINT_URL."
            ),
        ),
        Category::ServiceUnavailable => (
            format!("{service} returned a server error for {action}."),
            format!(
                "Retry; the fault is on the AWS side. If it persists, check the AWS Health \
                 Dashboard for {service} in {region}."
            ),
        ),
        Category::Unknown => {
            let what = match (&failure.kind, code) {
                (_, Some(code)) => format!("error {code}"),
                (FailureKind::Service { http_status, .. }, None) => {
                    format!("HTTP status {http_status} and no error code")
                }
                _ => "an unclassified error".to_string(),
            };
            (
                format!("{action} on {resource} failed with {what}."),
                format!(
                    "Look the error up in the {service} error reference, and check that \
                     {principal} may perform {action} on {resource}."
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::request::parse_request;

    const ROLE: &str = "arn:aws:iam::123456789012:role/s3connector-reader";
    const CALLER: &str = "arn:aws:sts::111122223333:assumed-role/s3connector-test-connection/fn";
    const CALLER_ROLE: &str = "arn:aws:iam::111122223333:role/s3connector-test-connection";
    const QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:ingest";
    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn request(json: &str) -> ValidatedRequest {
        parse_request(json).unwrap().validate().unwrap()
    }

    fn full_request() -> ValidatedRequest {
        request(&format!(
            r#"{{"bucket": "s3://my-bucket/logs/", "region": "eu-west-1", "role_arn": "{ROLE}",
                "external_id": "tenant-42", "write_test": true,
                "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/ingest"}}"#
        ))
    }

    fn ctx(step: StepName, action: &'static str) -> DiagnosisContext {
        DiagnosisContext {
            caller_arn: Some(CALLER.into()),
            ..DiagnosisContext::for_action(step, action, &full_request())
        }
    }

    fn service(code: &str, status: u16) -> Failure {
        Failure::service(Some(code), status)
    }

    fn category(failure: &Failure, ctx: &DiagnosisContext) -> Category {
        diagnose(failure, ctx).category
    }

    fn assert_contains(text: &str, parts: &[&str]) {
        for part in parts {
            assert!(text.contains(part), "missing {part:?} in {text:?}");
        }
    }

    #[test]
    fn context_resource_follows_the_action() {
        let request = full_request();
        let resource =
            |action| DiagnosisContext::for_action(StepName::Read, action, &request).resource_arn;
        assert_eq!(resource("sts:AssumeRole"), ROLE);
        assert_eq!(resource("sts:GetCallerIdentity"), "*");
        assert_eq!(resource("s3:ListBucket"), "arn:aws:s3:::my-bucket");
        assert_eq!(
            resource("s3:GetBucketPublicAccessBlock"),
            "arn:aws:s3:::my-bucket"
        );
        assert_eq!(resource("s3:GetObject"), "arn:aws:s3:::my-bucket/logs/*");
        assert_eq!(resource("s3:PutObject"), "arn:aws:s3:::my-bucket/logs/*");
        assert_eq!(resource("sqs:GetQueueAttributes"), QUEUE_ARN);
        let context = DiagnosisContext::for_action(StepName::Bucket, "s3:ListBucket", &request);
        assert_eq!(context.prefix.as_deref(), Some("logs/"));
        assert_eq!(context.region.as_deref(), Some("eu-west-1"));
        assert_eq!(context.role_arn.as_deref(), Some(ROLE));
        assert_eq!(context.external_id, ExternalIdUse::Sent);
    }

    #[test]
    fn missing_credentials_point_to_the_default_chain_settings() {
        let d = diagnose(
            &Failure::new(FailureKind::NoCredentials),
            &ctx(StepName::Credentials, "sts:GetCallerIdentity"),
        );
        assert_eq!(d.category, Category::NoCredentials);
        assert_contains(
            &d.remediation,
            &[
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_PROFILE",
                "execution role",
            ],
        );
        assert!(!d.retryable);
        let unsigned = service("MissingAuthenticationToken", 403);
        assert_eq!(
            category(
                &unsigned,
                &ctx(StepName::Credentials, "sts:GetCallerIdentity")
            ),
            Category::NoCredentials
        );
    }

    #[test]
    fn unknown_access_keys_are_invalid_credentials() {
        let context = ctx(StepName::Credentials, "sts:GetCallerIdentity");
        for code in [
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "InvalidToken",
        ] {
            let d = diagnose(&service(code, 403), &context);
            assert_eq!(d.category, Category::InvalidCredentials, "{code}");
            assert_eq!(d.error_code.as_deref(), Some(code));
            assert_contains(&d.remediation, &["access key ID", "AWS_SESSION_TOKEN"]);
        }
    }

    #[test]
    fn expired_tokens_advise_refreshing_and_checking_the_clock() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        for code in [
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "TokenRefreshRequired",
        ] {
            let d = diagnose(&service(code, 400), &context);
            assert_eq!(d.category, Category::ExpiredCredentials, "{code}");
            assert_contains(&d.remediation, &["session token", "clock"]);
        }
        let from_provider = Failure::new(FailureKind::CredentialsExpired);
        assert_eq!(
            category(&from_provider, &context),
            Category::ExpiredCredentials
        );
    }

    #[test]
    fn signature_mismatch_points_to_secret_key_and_clock_skew() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        for code in [
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "InvalidSignatureException",
            "RequestTimeTooSkewed",
        ] {
            let d = diagnose(&service(code, 403), &context);
            assert_eq!(d.category, Category::SignatureMismatch, "{code}");
            assert_contains(&d.remediation, &["AWS_SECRET_ACCESS_KEY", "clock", "NTP"]);
        }
    }

    #[test]
    fn denied_assume_role_covers_trust_policy_external_id_and_caller_permission() {
        let context = ctx(StepName::AssumeRole, "sts:AssumeRole");
        let d = diagnose(&service("AccessDenied", 403), &context);
        assert_eq!(d.category, Category::AssumeRoleDenied);
        assert_contains(
            &d.remediation,
            &[
                &format!("trust policy of {ROLE}"),
                &format!("Principal {CALLER_ROLE}"),
                "sts:ExternalId",
                "external_id must equal it exactly",
                &format!("sts:AssumeRole on {ROLE}"),
                "include it in the Principal ARN",
            ],
        );
        assert_contains(&d.message, &[ROLE]);
    }

    #[test]
    fn denied_assume_role_without_external_id_says_none_was_sent() {
        let context = DiagnosisContext {
            external_id: ExternalIdUse::NotSent,
            ..ctx(StepName::AssumeRole, "sts:AssumeRole")
        };
        let d = diagnose(&service("AccessDenied", 403), &context);
        assert_contains(&d.remediation, &["sent no external_id", "sts:ExternalId"]);
    }

    #[test]
    fn denied_assume_role_by_the_endpoint_points_at_the_deployments_external_id() {
        let with_id = DiagnosisContext {
            external_id: ExternalIdUse::Deployment {
                account: "123456789012".into(),
                sent: true,
            },
            ..ctx(StepName::AssumeRole, "sts:AssumeRole")
        };
        let d = diagnose(&service("AccessDenied", 403), &with_id);
        assert_contains(
            &d.remediation,
            &[
                "deployment's external ID for account 123456789012",
                "S3CONNECTOR_ACCOUNT_EXTERNAL_IDS",
            ],
        );
        assert!(!d.remediation.contains("request"), "{}", d.remediation);
        let without = DiagnosisContext {
            external_id: ExternalIdUse::Deployment {
                account: "123456789012".into(),
                sent: false,
            },
            ..with_id
        };
        let d = diagnose(&service("AccessDenied", 403), &without);
        assert_contains(
            &d.remediation,
            &["has no external ID for account 123456789012"],
        );
    }

    #[test]
    fn sts_region_disabled_says_to_activate_sts_in_that_region() {
        let d = diagnose(
            &service("RegionDisabledException", 403),
            &ctx(StepName::AssumeRole, "sts:AssumeRole"),
        );
        assert_eq!(d.category, Category::AssumeRoleDenied);
        assert_contains(&d.message, &["eu-west-1"]);
        assert_contains(
            &d.remediation,
            &["Activate STS in eu-west-1", "Security Token Service"],
        );
    }

    #[test]
    fn denied_list_names_action_bucket_arn_and_prefix_condition() {
        let d = diagnose(
            &service("AccessDenied", 403),
            &ctx(StepName::List, "s3:ListBucket"),
        );
        assert_eq!(d.category, Category::AccessDenied);
        assert_contains(
            &d.remediation,
            &[
                "Allow s3:ListBucket on arn:aws:s3:::my-bucket in the IAM policy of",
                ROLE,
                "s3:prefix",
                "logs/*",
                "bucket policy",
            ],
        );
    }

    #[test]
    fn denied_list_without_prefix_has_no_prefix_condition() {
        let request = request(r#"{"bucket": "my-bucket"}"#);
        let context = DiagnosisContext::for_action(StepName::List, "s3:ListBucket", &request);
        let d = diagnose(&service("AccessDenied", 403), &context);
        assert_contains(
            &d.remediation,
            &[
                "Allow s3:ListBucket on arn:aws:s3:::my-bucket",
                "the connector's identity",
            ],
        );
        assert!(!d.remediation.contains("s3:prefix"));
    }

    #[test]
    fn denied_object_actions_name_the_object_arn() {
        let cases = [
            (StepName::Read, "s3:GetObject"),
            (StepName::WriteTest, "s3:PutObject"),
            (StepName::WriteTest, "s3:DeleteObject"),
        ];
        for (step, action) in cases {
            let d = diagnose(&service("AccessDenied", 403), &ctx(step, action));
            assert_eq!(d.category, Category::AccessDenied);
            assert_contains(
                &d.remediation,
                &[&format!("Allow {action} on arn:aws:s3:::my-bucket/logs/*")],
            );
        }
    }

    #[test]
    fn denied_queue_attributes_name_the_queue_arn() {
        let d = diagnose(
            &service("AccessDenied", 403),
            &ctx(StepName::Queue, "sqs:GetQueueAttributes"),
        );
        assert_eq!(d.category, Category::AccessDenied);
        assert_contains(
            &d.remediation,
            &[
                &format!("Allow sqs:GetQueueAttributes on {QUEUE_ARN}"),
                "queue policy",
            ],
        );
        let json_protocol = service("AccessDeniedException", 400);
        assert_eq!(
            category(
                &json_protocol,
                &ctx(StepName::Queue, "sqs:GetQueueAttributes")
            ),
            Category::AccessDenied
        );
    }

    #[test]
    fn head_request_403_without_code_is_access_denied() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        for failure in [
            Failure::service(None, 403),
            service("Forbidden", 403),
            service("403", 403),
        ] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::AccessDenied, "{failure:?}");
            assert_contains(
                &d.remediation,
                &["Allow s3:ListBucket on arn:aws:s3:::my-bucket"],
            );
        }
    }

    #[test]
    fn denied_read_of_kms_encrypted_data_mentions_the_key() {
        let context = DiagnosisContext {
            kms_key_arn: Some(KEY.into()),
            ..ctx(StepName::Read, "s3:GetObject")
        };
        let d = diagnose(&service("AccessDenied", 403), &context);
        assert_eq!(d.category, Category::AccessDenied);
        assert_contains(
            &d.remediation,
            &["Allow s3:GetObject", "kms:Decrypt", KEY, "key policy"],
        );
    }

    #[test]
    fn explicit_deny_names_the_policy_to_edit() {
        let cases = [
            (
                ExplicitDenySource::IdentityPolicy,
                format!("IAM policies attached to {ROLE}"),
            ),
            (
                ExplicitDenySource::ResourcePolicy,
                "bucket policy of my-bucket".to_string(),
            ),
            (
                ExplicitDenySource::Scp,
                "service control policy".to_string(),
            ),
            (
                ExplicitDenySource::ResourceControlPolicy,
                "resource control policy".to_string(),
            ),
            (
                ExplicitDenySource::PermissionsBoundary,
                format!("permissions boundary of {ROLE}"),
            ),
            (
                ExplicitDenySource::SessionPolicy,
                "session policy".to_string(),
            ),
            (
                ExplicitDenySource::VpcEndpointPolicy,
                "Amazon S3 VPC endpoint".to_string(),
            ),
        ];
        let context = ctx(StepName::List, "s3:ListBucket");
        for (source, policy) in cases {
            let d = diagnose(
                &service("AccessDenied", 403).with_explicit_deny(source),
                &context,
            );
            assert_eq!(d.category, Category::ExplicitDeny, "{source:?}");
            assert_contains(
                &d.remediation,
                &[&policy, "s3:ListBucket", "arn:aws:s3:::my-bucket"],
            );
        }
    }

    #[test]
    fn explicit_deny_in_a_resource_policy_names_the_right_resource_policy() {
        let deny =
            service("AccessDenied", 403).with_explicit_deny(ExplicitDenySource::ResourcePolicy);
        let trust = diagnose(&deny, &ctx(StepName::AssumeRole, "sts:AssumeRole"));
        assert_eq!(trust.category, Category::ExplicitDeny);
        assert_contains(&trust.remediation, &[&format!("trust policy of {ROLE}")]);
        let queue = diagnose(&deny, &ctx(StepName::Queue, "sqs:GetQueueAttributes"));
        assert_contains(
            &queue.remediation,
            &[&format!("queue policy of {QUEUE_ARN}")],
        );
        let key_context = DiagnosisContext {
            kms_key_arn: Some(KEY.into()),
            ..ctx(StepName::Read, "kms:Decrypt")
        };
        let key = diagnose(&deny, &key_context);
        assert_contains(&key.remediation, &[&format!("key policy of {KEY}")]);
    }

    #[test]
    fn explicit_deny_flag_does_not_override_a_non_permission_error() {
        let failure = service("NoSuchBucket", 404).with_explicit_deny(ExplicitDenySource::Scp);
        assert_eq!(
            category(&failure, &ctx(StepName::Bucket, "s3:ListBucket")),
            Category::NoSuchBucket
        );
    }

    #[test]
    fn missing_bucket_points_to_the_bucket_field() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        for failure in [
            service("NoSuchBucket", 404),
            Failure::service(None, 404),
            service("NotFound", 404),
        ] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::NoSuchBucket, "{failure:?}");
            assert_contains(&d.remediation, &["bucket field", "s3://my-bucket/<prefix>"]);
        }
    }

    #[test]
    fn wrong_region_names_the_bucket_region_when_known() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        for code in [
            "PermanentRedirect",
            "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException",
            "TemporaryRedirect",
        ] {
            let d = diagnose(
                &service(code, 400).with_bucket_region("us-west-2"),
                &context,
            );
            assert_eq!(d.category, Category::WrongRegion, "{code}");
            assert_contains(&d.remediation, &["Set region to us-west-2"]);
            assert_contains(&d.message, &["not in eu-west-1"]);
        }
        let d = diagnose(&service("PermanentRedirect", 301), &context);
        assert_contains(&d.remediation, &["get-bucket-location --bucket my-bucket"]);
    }

    #[test]
    fn head_bucket_redirect_or_region_header_without_code_is_wrong_region() {
        let context = ctx(StepName::Bucket, "s3:ListBucket");
        assert_eq!(
            category(&Failure::service(None, 301), &context),
            Category::WrongRegion
        );
        let mismatch = Failure::service(None, 400).with_bucket_region("ap-south-1");
        assert_eq!(category(&mismatch, &context), Category::WrongRegion);
        let same = Failure::service(None, 400).with_bucket_region("eu-west-1");
        assert_eq!(category(&same, &context), Category::Unknown);
    }

    #[test]
    fn kms_errors_ask_for_decrypt_on_the_key_in_both_policies() {
        let context = DiagnosisContext {
            kms_key_arn: Some(KEY.into()),
            ..ctx(StepName::Read, "s3:GetObject")
        };
        let cases = [
            ("KMS.DisabledException", "Enable KMS key"),
            ("KMS.KMSInvalidStateException", "scheduled deletion"),
            ("KMS.NotFoundException", "no longer exists"),
            ("KMS.AccessDeniedException", "allow kms:Decrypt"),
        ];
        for (code, state) in cases {
            let d = diagnose(&service(code, 403), &context);
            assert_eq!(d.category, Category::KmsAccess, "{code}");
            assert_contains(
                &d.remediation,
                &[
                    state,
                    "kms:Decrypt",
                    "kms:GenerateDataKey",
                    KEY,
                    "key policy",
                    ROLE,
                ],
            );
        }
    }

    #[test]
    fn denied_kms_action_is_kms_access() {
        let context = DiagnosisContext {
            kms_key_arn: Some(KEY.into()),
            ..ctx(StepName::Read, "kms:Decrypt")
        };
        let d = diagnose(&service("AccessDeniedException", 400), &context);
        assert_eq!(d.category, Category::KmsAccess);
        assert_contains(&d.remediation, &["kms:Decrypt", KEY]);
    }

    #[test]
    fn missing_object_names_the_objects_and_the_prefix_setting() {
        let context = ctx(StepName::Read, "s3:GetObject");
        for failure in [service("NoSuchKey", 404), Failure::service(None, 404)] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::NoSuchKey, "{failure:?}");
            assert_contains(
                &d.remediation,
                &["arn:aws:s3:::my-bucket/logs/*", "set prefix"],
            );
        }
    }

    #[test]
    fn missing_queue_points_to_the_queue_url_setting() {
        let context = ctx(StepName::Queue, "sqs:GetQueueAttributes");
        for failure in [
            service("AWS.SimpleQueueService.NonExistentQueue", 400),
            service("QueueDoesNotExist", 400),
            Failure::service(None, 404),
        ] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::NoSuchQueue, "{failure:?}");
            assert_contains(&d.message, &[QUEUE_ARN]);
            assert_contains(&d.remediation, &["queue_url", ".fifo"]);
        }
    }

    #[test]
    fn throttling_is_retryable_and_advises_retry() {
        let context = ctx(StepName::List, "s3:ListBucket");
        let failures = [
            service("Throttling", 400),
            service("ThrottlingException", 400),
            service("SlowDown", 503),
            service("RequestLimitExceeded", 400),
            service("TooManyRequestsException", 429),
            service("SomeNewThrottle", 429),
            Failure::service(None, 429),
        ];
        for failure in failures {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::Throttled, "{failure:?}");
            assert!(d.retryable);
            assert_contains(&d.remediation, &["Retry", "Amazon S3"]);
        }
    }

    #[test]
    fn timeout_is_retryable_and_names_the_endpoint_region() {
        let context = ctx(StepName::List, "s3:ListBucket");
        for failure in [
            Failure::new(FailureKind::Timeout),
            service("RequestTimeout", 400),
        ] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::Timeout);
            assert!(d.retryable);
            assert_contains(
                &d.remediation,
                &["Amazon S3 endpoint in eu-west-1", "VPC endpoint"],
            );
        }
    }

    #[test]
    fn network_failure_is_retryable_and_names_endpoint_settings() {
        let d = diagnose(
            &Failure::new(FailureKind::Dispatch),
            &ctx(StepName::Queue, "sqs:GetQueueAttributes"),
        );
        assert_eq!(d.category, Category::Network);
        assert!(d.retryable);
        assert_contains(
            &d.remediation,
            &[
                "Amazon SQS endpoint in eu-west-1",
                "NAT gateway",
                "AWS_ENDPOINT_URL",
            ],
        );
    }

    #[test]
    fn server_errors_are_retryable_service_unavailable() {
        let context = ctx(StepName::List, "s3:ListBucket");
        for failure in [
            service("InternalError", 500),
            service("ServiceUnavailable", 503),
            service("SomethingNew", 502),
            Failure::service(None, 500),
        ] {
            let d = diagnose(&failure, &context);
            assert_eq!(d.category, Category::ServiceUnavailable, "{failure:?}");
            assert!(d.retryable);
            assert_contains(&d.remediation, &["Retry", "AWS Health Dashboard"]);
        }
    }

    #[test]
    fn unknown_code_is_kept_with_generic_advice() {
        let d = diagnose(
            &service("AllAccessDisabled", 403),
            &ctx(StepName::Read, "s3:GetObject"),
        );
        assert_eq!(d.category, Category::Unknown);
        assert_eq!(d.error_code.as_deref(), Some("AllAccessDisabled"));
        assert!(!d.retryable);
        assert_contains(&d.message, &["AllAccessDisabled"]);
        assert_contains(
            &d.remediation,
            &[
                "s3:GetObject",
                "arn:aws:s3:::my-bucket/logs/*",
                "error reference",
            ],
        );
        let bare = diagnose(
            &Failure::service(None, 418),
            &ctx(StepName::Read, "s3:GetObject"),
        );
        assert_eq!(bare.category, Category::Unknown);
        assert_contains(&bare.message, &["HTTP status 418"]);
    }

    #[test]
    fn message_text_never_changes_the_category() {
        let context = ctx(StepName::List, "s3:ListBucket");
        let denied = service("AccessDenied", 403)
            .with_detail("The specified bucket does not exist (Throttling)");
        let d = diagnose(&denied, &context);
        assert_eq!(d.category, Category::AccessDenied);
        assert_contains(
            &d.message,
            &["AWS said: The specified bucket does not exist"],
        );
        let unknown =
            service("Mystery", 400).with_detail("explicit deny in a service control policy");
        assert_eq!(category(&unknown, &context), Category::Unknown);
    }

    #[test]
    fn code_table_has_no_duplicates_and_no_shadowed_entries() {
        for (i, (code, expected)) in CODE_TABLE.iter().enumerate() {
            assert!(
                CODE_TABLE[i + 1..].iter().all(|(other, _)| other != code),
                "{code} listed twice"
            );
            let probe = code
                .strip_suffix('*')
                .map_or(code.to_string(), |p| format!("{p}Anything"));
            assert_eq!(category_for_code(&probe), Some(*expected), "{code}");
        }
        assert_eq!(category_for_code("NotInTheTable"), None);
    }

    #[test]
    fn categories_serialize_in_snake_case() {
        let cases = [
            (Category::NoCredentials, "no_credentials"),
            (Category::InvalidCredentials, "invalid_credentials"),
            (Category::ExpiredCredentials, "expired_credentials"),
            (Category::SignatureMismatch, "signature_mismatch"),
            (Category::AssumeRoleDenied, "assume_role_denied"),
            (Category::AccessDenied, "access_denied"),
            (Category::ExplicitDeny, "explicit_deny"),
            (Category::NoSuchBucket, "no_such_bucket"),
            (Category::WrongRegion, "wrong_region"),
            (Category::KmsAccess, "kms_access"),
            (Category::NoSuchKey, "no_such_key"),
            (Category::NoSuchQueue, "no_such_queue"),
            (Category::Throttled, "throttled"),
            (Category::Timeout, "timeout"),
            (Category::Network, "network"),
            (Category::ServiceUnavailable, "service_unavailable"),
            (Category::Unknown, "unknown"),
        ];
        for (category, name) in cases {
            assert_eq!(serde_json::to_value(category).unwrap(), name);
        }
        assert_eq!(
            serde_json::to_value(ExplicitDenySource::Scp).unwrap(),
            "scp"
        );
    }

    #[test]
    fn report_fails_a_mandatory_step_and_warns_for_an_optional_one() {
        let context = ctx(StepName::Posture, "s3:GetBucketPublicAccessBlock");
        let d = diagnose(&service("AccessDenied", 403), &context);
        let mandatory = d.report(&context, true, 25);
        assert_eq!(mandatory.status, StepStatus::Failed);
        assert_eq!(mandatory.name, StepName::Posture);
        assert_eq!(
            mandatory.action.as_deref(),
            Some("s3:GetBucketPublicAccessBlock")
        );
        assert_eq!(mandatory.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(
            mandatory.remediation.as_deref(),
            Some(d.remediation.as_str())
        );
        assert_eq!(mandatory.message, d.message);
        assert_eq!(mandatory.duration_ms, 25);
        assert_eq!(d.report(&context, false, 25).status, StepStatus::Warning);
    }

    #[test]
    fn principal_for_a_caller_that_is_not_an_assumed_role_is_shown_as_is() {
        assert_eq!(
            policy_principal("arn:aws:iam::111122223333:user/alice"),
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(policy_principal(CALLER), CALLER_ROLE);
    }

    #[test]
    fn denied_bucket_call_with_an_expected_owner_says_the_owner_may_differ() {
        let context = DiagnosisContext {
            expected_bucket_owner: Some("210987654321".into()),
            ..ctx(StepName::Bucket, "s3:ListBucket")
        };
        let d = diagnose(&service("AccessDenied", 403), &context);
        assert_contains(&d.remediation, &["not owned by account 210987654321"]);
        let without = diagnose(
            &service("AccessDenied", 403),
            &ctx(StepName::Bucket, "s3:ListBucket"),
        );
        assert!(
            !without.remediation.contains("not owned by"),
            "{}",
            without.remediation
        );
    }
}
