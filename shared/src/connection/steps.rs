//! The step runner: the AWS calls of a connection test, in order, each under a timeout,
//! with every outcome turned into a step report by the pure modules beside this one.
//!
//! Failures are classified by AWS error code and HTTP status (see `diagnosis`); AWS's
//! message is shown to the user as detail and read only for the documented
//! "explicit deny in a `<policy type>`" phrase, which names the policy to edit.

use crate::aws::listed_name;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, ServerSideEncryption};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use tracing::info;

use super::diagnosis::{
    diagnose, DiagnosisContext, ExplicitDenySource, ExternalIdUse, Failure, FailureKind,
};
use super::queue_policy::{self, QueuePolicyCheck};
use super::request::ValidatedRequest;
use super::trust::Trust;
use super::verdict::{
    planned_steps, skipped_dependents, StepName, StepReport, StepStatus, Verdict,
};
use crate::aws::Clients;

/// Limits and policy for a connection test.
#[derive(Debug, Clone)]
pub struct TestSettings {
    /// Longest any one AWS call or body read may take.
    pub step_timeout: Duration,
    /// Longest the whole test may take; API Gateway gives up at 30 s.
    pub total_budget: Duration,
    /// Whose trust the test may use and how far (see [`Trust`]).
    pub trust: Trust,
}

impl TestSettings {
    /// Settings that end well inside API Gateway's 30 s integration timeout: 5 s per
    /// call, 24 s in all.
    pub fn new(trust: Trust) -> Self {
        TestSettings {
            step_timeout: Duration::from_secs(5),
            total_budget: Duration::from_secs(24),
            trust,
        }
    }
}

/// Time kept back from the write test's put and read-back for deleting the beacon.
const BEACON_DELETE_RESERVE: Duration = Duration::from_secs(3);

/// State that later steps need from earlier ones.
struct Run<'a> {
    req: &'a ValidatedRequest,
    settings: &'a TestSettings,
    clients: Clients,
    caller_arn: Option<String>,
    region: Option<String>,
    first_key: Option<String>,
    deadline: Instant,
}

/// Runs every planned step for `req` and returns the verdict.
pub async fn run(base: &Clients, settings: &TestSettings, req: &ValidatedRequest) -> Verdict {
    let plan = planned_steps(req);
    let mut run = Run {
        req,
        settings,
        clients: base.clone(),
        caller_arn: None,
        region: req
            .region
            .as_ref()
            .map(|r| r.as_str().to_string())
            .or_else(|| base.region().map(str::to_string)),
        first_key: None,
        deadline: Instant::now() + settings.total_budget,
    };
    let mut reports: Vec<StepReport> = Vec::new();
    for (i, planned) in plan.iter().enumerate() {
        if reports.iter().any(|r| r.name == planned.name) {
            continue;
        }
        let report = match planned.name {
            StepName::Credentials => run.credentials().await,
            StepName::AssumeRole => run.assume_role().await,
            StepName::Bucket => run.bucket().await,
            StepName::List => run.list().await,
            StepName::Read => run.read().await,
            StepName::Posture => run.posture().await,
            StepName::WriteTest => run.write_test().await,
            StepName::Queue => run.queue().await,
        };
        info!(
            step = report.name.as_str(),
            status = ?report.status,
            error_code = report.error_code.as_deref(),
            duration_ms = report.duration_ms,
            "connection test step"
        );
        let failed = planned.mandatory && report.status == StepStatus::Failed;
        reports.push(report);
        if failed {
            reports.extend(skipped_dependents(planned.name, &plan[i + 1..]));
        }
    }
    reports.sort_by_key(|r| r.name);
    Verdict::from_steps(reports)
}

impl Run<'_> {
    fn ctx(&self, step: StepName, action: &'static str) -> DiagnosisContext {
        let mut ctx = DiagnosisContext::for_action(step, action, self.req);
        ctx.caller_arn = self.caller_arn.clone();
        ctx.region = self.region.clone();
        ctx
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        match &self.region {
            Some(r) => self.clients.s3_in(r),
            None => self.clients.s3(),
        }
    }

    fn failed(&self, f: &Failure, step: StepName, action: &'static str, ms: u64) -> StepReport {
        self.failed_in(f, self.ctx(step, action), ms)
    }

    fn failed_in(&self, f: &Failure, ctx: DiagnosisContext, ms: u64) -> StepReport {
        let mandatory = ctx.step != StepName::Posture;
        diagnose(f, &ctx).report(&ctx, mandatory, ms)
    }

    /// Awaits `work` for at most the step timeout and what is left of the total budget,
    /// so no AWS call, credential refresh or body read can hold the verdict back.
    async fn bounded<T>(&self, work: impl Future<Output = T>) -> (Result<T, Failure>, u64) {
        let started = Instant::now();
        let left = self.deadline.saturating_duration_since(started);
        let limit = self.settings.step_timeout.min(left);
        let result = tokio::time::timeout(limit, work)
            .await
            .map_err(|_| Failure::new(FailureKind::Timeout));
        (result, started.elapsed().as_millis() as u64)
    }

    /// An AWS call under [`Run::bounded`], its error turned into a [`Failure`].
    async fn timed<T, E>(
        &self,
        call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> (Result<T, Failure>, u64)
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (result, ms) = self.bounded(call).await;
        (result.and_then(|r| r.map_err(|e| failure_of(&e))), ms)
    }

    /// A streaming body read under [`Run::bounded`].
    async fn body_of(&self, body: ByteStream) -> (Result<bytes::Bytes, Failure>, u64) {
        let (result, ms) = self.bounded(body.collect()).await;
        let result = result.and_then(|r| {
            r.map(|d| d.into_bytes())
                .map_err(|_| Failure::new(FailureKind::Dispatch))
        });
        (result, ms)
    }

    async fn credentials(&mut self) -> StepReport {
        let sts = self.clients.sts();
        let (result, ms) = self.timed(sts.get_caller_identity().send()).await;
        match result {
            Ok(out) => {
                self.caller_arn = out.arn.clone();
                StepReport::new(
                    StepName::Credentials,
                    true,
                    StepStatus::Passed,
                    format!(
                        "authenticated as {} (account {})",
                        out.arn.as_deref().unwrap_or("?"),
                        out.account.as_deref().unwrap_or("?")
                    ),
                )
                .with_action("sts:GetCallerIdentity")
                .with_duration_ms(ms)
            }
            Err(f) => self.failed(&f, StepName::Credentials, "sts:GetCallerIdentity", ms),
        }
    }

    async fn assume_role(&mut self) -> StepReport {
        let Some(role) = &self.req.role else {
            unreachable!("the assume_role step is planned only when a role is given")
        };
        let arn = role.arn.as_str();
        // Refused before any STS call: the endpoint must not act as a confused deputy.
        let spec = match self.settings.trust.role_spec(role) {
            Ok(spec) => spec,
            Err(refusal) => {
                return StepReport::new(
                    StepName::AssumeRole,
                    true,
                    StepStatus::Failed,
                    refusal.message,
                )
                .with_remediation(refusal.remediation)
                .with_error_code("RoleNotAllowed")
                .with_action("sts:AssumeRole")
            }
        };
        let (result, ms) = self.bounded(self.clients.assume_role(&spec)).await;
        match result {
            Ok(Ok(assumed)) => {
                self.clients = assumed;
                StepReport::new(
                    StepName::AssumeRole,
                    true,
                    StepStatus::Passed,
                    format!("assumed {arn} as session {}", spec.session_name),
                )
                .with_action("sts:AssumeRole")
                .with_duration_ms(ms)
            }
            Ok(Err(e)) => {
                let mut ctx = self.ctx(StepName::AssumeRole, "sts:AssumeRole");
                if let Trust::Endpoint(_) = &self.settings.trust {
                    ctx.external_id = ExternalIdUse::Deployment {
                        account: role.arn.account().to_string(),
                        sent: spec.external_id.is_some(),
                    };
                }
                self.failed_in(&failure_of(&e.source), ctx, ms)
            }
            Err(f) => self.failed(&f, StepName::AssumeRole, "sts:AssumeRole", ms),
        }
    }

    /// HeadBucket in the current region, with the expected owner when one was given.
    fn head_bucket(
        &self,
    ) -> impl Future<
        Output = Result<
            aws_sdk_s3::operation::head_bucket::HeadBucketOutput,
            SdkError<aws_sdk_s3::operation::head_bucket::HeadBucketError, HttpResponse>,
        >,
    > {
        self.s3()
            .head_bucket()
            .bucket(self.req.bucket.as_str())
            .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
            .send()
    }

    async fn bucket(&mut self) -> StepReport {
        let bucket = self.req.bucket.as_str().to_string();
        let (result, ms) = self.timed(self.head_bucket()).await;
        let given = self.req.region.as_ref().map(|r| r.as_str().to_string());
        match result {
            Ok(out) => {
                let actual = out
                    .bucket_region()
                    .map(str::to_string)
                    .or(self.region.clone());
                self.region = actual.clone();
                let place = actual.as_deref().unwrap_or("its region");
                StepReport::new(
                    StepName::Bucket,
                    true,
                    StepStatus::Passed,
                    format!("bucket {bucket} exists in {place} and these credentials can reach it"),
                )
                .with_action("s3:ListBucket")
                .with_duration_ms(ms)
            }
            // S3 names the bucket's real region on a redirect: retry there, so the
            // remaining steps test access rather than the region the user guessed.
            Err(f) if f.bucket_region.is_some() && f.bucket_region != self.region => {
                let actual = f.bucket_region.clone().unwrap_or_default();
                self.region = Some(actual.clone());
                let (retry, more_ms) = self.timed(self.head_bucket()).await;
                match retry {
                    Ok(_) if given.is_some() => StepReport::new(
                        StepName::Bucket,
                        true,
                        StepStatus::Warning,
                        format!(
                            "bucket {bucket} exists in {actual}, not in {} as given; the remaining steps use {actual}",
                            given.as_deref().unwrap_or_default()
                        ),
                    )
                    .with_remediation(format!("set region to {actual} for this bucket"))
                    .with_error_code(error_code_of(&f).unwrap_or("PermanentRedirect"))
                    .with_action("s3:ListBucket")
                    .with_duration_ms(ms + more_ms),
                    Ok(_) => StepReport::new(
                        StepName::Bucket,
                        true,
                        StepStatus::Passed,
                        format!("bucket {bucket} exists in {actual} and these credentials can reach it"),
                    )
                    .with_action("s3:ListBucket")
                    .with_duration_ms(ms + more_ms),
                    Err(f2) => self.failed(&f2, StepName::Bucket, "s3:ListBucket", ms + more_ms),
                }
            }
            Err(f) => self.failed(&f, StepName::Bucket, "s3:ListBucket", ms),
        }
    }

    async fn list(&mut self) -> StepReport {
        let prefix = self.req.prefix.clone().unwrap_or_default();
        let call = self
            .s3()
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(self.req.bucket.as_str())
            .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
            .prefix(&prefix)
            .max_keys(1)
            .send();
        let (result, ms) = self.timed(call).await;
        let place = format!("s3://{}/{prefix}", self.req.bucket.as_str());
        match result {
            Ok(out) => {
                self.first_key = out
                    .contents()
                    .first()
                    .and_then(|o| o.key())
                    .map(listed_name);
                let message = match &self.first_key {
                    Some(key) => format!("listed {place}: first object is {key}"),
                    None => format!("listed {place}: no objects there yet"),
                };
                StepReport::new(StepName::List, true, StepStatus::Passed, message)
                    .with_action("s3:ListBucket")
                    .with_duration_ms(ms)
            }
            Err(f) => self.failed(&f, StepName::List, "s3:ListBucket", ms),
        }
    }

    async fn read(&mut self) -> StepReport {
        let Some(key) = self.first_key.clone() else {
            return StepReport::new(
                StepName::Read,
                true,
                StepStatus::Skipped,
                "skipped: no object under the prefix to read yet; run the test again once logs arrive",
            )
            .with_action("s3:GetObject");
        };
        let bucket = self.req.bucket.as_str().to_string();
        // HeadObject needs s3:GetObject but not kms:Decrypt: if it passes and the ranged
        // GET is then denied on an SSE-KMS object, the key policy is what is missing.
        let (head, head_ms) = self
            .timed(
                self.s3()
                    .head_object()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .key(&key)
                    .send(),
            )
            .await;
        let head = match head {
            Ok(h) => h,
            Err(f) => return self.failed(&f, StepName::Read, "s3:GetObject", head_ms),
        };
        let kms_key = (head.server_side_encryption() == Some(&ServerSideEncryption::AwsKms)
            || head.server_side_encryption() == Some(&ServerSideEncryption::AwsKmsDsse))
        .then(|| {
            head.ssekms_key_id()
                .unwrap_or("the bucket's KMS key")
                .to_string()
        });
        let call = self
            .s3()
            .get_object()
            .bucket(&bucket)
            .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
            .key(&key)
            .range("bytes=0-1023")
            .send();
        let (got, ms) = self.timed(call).await;
        let ms = ms + head_ms;
        let body = match got {
            Ok(out) => match self.body_of(out.body).await {
                (Ok(data), _) => data,
                (Err(f), body_ms) => {
                    return self.failed(&f, StepName::Read, "s3:GetObject", ms + body_ms)
                }
            },
            Err(f) => {
                let denied = matches!(
                    &f.kind,
                    FailureKind::Service {
                        http_status: 403,
                        ..
                    }
                );
                return match &kms_key {
                    Some(k) if denied => {
                        let mut ctx = self.ctx(StepName::Read, "kms:Decrypt");
                        ctx.resource_arn = k.clone();
                        ctx.kms_key_arn = Some(k.clone());
                        self.failed_in(&f, ctx, ms)
                    }
                    _ => self.failed(&f, StepName::Read, "s3:GetObject", ms),
                };
            }
        };
        let encryption = match &kms_key {
            Some(k) => format!("; SSE-KMS with key {k}, and kms:Decrypt is allowed"),
            None => String::new(),
        };
        StepReport::new(
            StepName::Read,
            true,
            StepStatus::Passed,
            format!(
                "read {} bytes of s3://{bucket}/{key}{encryption}",
                body.len()
            ),
        )
        .with_action(if kms_key.is_some() {
            "s3:GetObject, kms:Decrypt"
        } else {
            "s3:GetObject"
        })
        .with_duration_ms(ms)
    }

    async fn posture(&mut self) -> StepReport {
        let bucket = self.req.bucket.as_str().to_string();
        let s3 = self.s3();
        let mut findings: Vec<String> = Vec::new();
        let mut fixes: Vec<String> = Vec::new();
        let mut total_ms = 0;

        let (pab, ms) = self
            .timed(
                s3.get_public_access_block()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .send(),
            )
            .await;
        total_ms += ms;
        match pab {
            Ok(out) => {
                let c = out.public_access_block_configuration();
                let off: Vec<&str> = [
                    ("BlockPublicAcls", c.and_then(|c| c.block_public_acls())),
                    ("IgnorePublicAcls", c.and_then(|c| c.ignore_public_acls())),
                    ("BlockPublicPolicy", c.and_then(|c| c.block_public_policy())),
                    (
                        "RestrictPublicBuckets",
                        c.and_then(|c| c.restrict_public_buckets()),
                    ),
                ]
                .into_iter()
                .filter(|(_, on)| *on != Some(true))
                .map(|(name, _)| name)
                .collect();
                if !off.is_empty() {
                    findings.push(format!("public access block has {} off", off.join(", ")));
                    fixes.push("turn on all four S3 Block Public Access settings".into());
                }
            }
            Err(f) if error_code_of(&f) == Some("NoSuchPublicAccessBlockConfiguration") => {
                findings.push("no bucket-level public access block".into());
                fixes.push("turn on S3 Block Public Access for the bucket".into());
            }
            Err(f) => self.note_unreadable(
                &f,
                "s3:GetBucketPublicAccessBlock",
                &mut findings,
                &mut fixes,
            ),
        }

        let (enc, ms) = self
            .timed(
                s3.get_bucket_encryption()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .send(),
            )
            .await;
        total_ms += ms;
        match enc {
            Ok(out) => {
                let rule = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default());
                match rule {
                    Some(r) => findings.push(format!(
                        "default encryption {}{}",
                        r.sse_algorithm().as_str(),
                        r.kms_master_key_id()
                            .map(|k| format!(" with key {k}"))
                            .unwrap_or_default()
                    )),
                    None => {
                        findings.push("no default encryption rule".into());
                        fixes.push(
                            "set default encryption (SSE-S3 or SSE-KMS) on the bucket".into(),
                        );
                    }
                }
            }
            Err(f)
                if error_code_of(&f) == Some("ServerSideEncryptionConfigurationNotFoundError") =>
            {
                findings.push("no default encryption rule".into());
                fixes.push("set default encryption (SSE-S3 or SSE-KMS) on the bucket".into());
            }
            Err(f) => self.note_unreadable(
                &f,
                "s3:GetEncryptionConfiguration",
                &mut findings,
                &mut fixes,
            ),
        }

        let (ver, ms) = self
            .bounded(
                s3.get_bucket_versioning()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .send(),
            )
            .await;
        total_ms += ms;
        // An empty document (versioning never enabled, as an emulator may answer it) is
        // "not enabled", not an unreadable answer.
        let ver = ver.and_then(|r| match r {
            Ok(out) => Ok(out.status().map(|s| s.as_str()) == Some("Enabled")),
            Err(e) if crate::aws::is_empty_answer(&e) => Ok(false),
            Err(e) => Err(failure_of(&e)),
        });
        match ver {
            Ok(true) => findings.push("versioning enabled".into()),
            Ok(false) => {
                findings.push("versioning not enabled".into());
                fixes.push(
                    "enable versioning so overwritten or deleted logs can be recovered".into(),
                );
            }
            Err(f) => self.note_unreadable(&f, "s3:GetBucketVersioning", &mut findings, &mut fixes),
        }

        let status = if fixes.is_empty() {
            StepStatus::Passed
        } else {
            StepStatus::Warning
        };
        let report = StepReport::new(StepName::Posture, false, status, findings.join("; "))
            .with_action("s3:GetBucketPublicAccessBlock, s3:GetEncryptionConfiguration, s3:GetBucketVersioning")
            .with_duration_ms(total_ms);
        if fixes.is_empty() {
            report
        } else {
            report.with_remediation(fixes.join("; "))
        }
    }

    fn note_unreadable(
        &self,
        f: &Failure,
        action: &'static str,
        findings: &mut Vec<String>,
        fixes: &mut Vec<String>,
    ) {
        if is_unparsed_success(f) {
            findings.push(format!("{action}: the answer could not be read"));
            return;
        }
        let d = diagnose(f, &self.ctx(StepName::Posture, action));
        findings.push(format!("{action} failed: {}", d.message));
        fixes.push(d.remediation);
    }

    async fn write_test(&mut self) -> StepReport {
        let bucket = self.req.bucket.as_str().to_string();
        let key = format!(
            "{}s3connector-connection-test-{}.txt",
            self.req.prefix.as_deref().unwrap_or(""),
            uuid::Uuid::new_v4().simple()
        );
        let beacon =
            format!("s3connector connection test beacon; safe to delete: s3://{bucket}/{key}\n");
        let s3 = self.s3();
        // Time for the delete is set aside before the put, so a beacon is never written
        // without the budget to remove it.
        let deadline = self.deadline;
        let reserve = self.settings.step_timeout.min(BEACON_DELETE_RESERVE);
        if deadline.saturating_duration_since(Instant::now()) <= reserve {
            return self.failed(
                &Failure::new(FailureKind::Timeout),
                StepName::WriteTest,
                "s3:PutObject",
                0,
            );
        }
        self.deadline = deadline - reserve;
        let put = s3
            .put_object()
            .bucket(&bucket)
            .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
            .key(&key)
            .body(ByteStream::from(beacon.clone().into_bytes()))
            .send();
        let (put, put_ms) = self.timed(put).await;
        if let Err(f) = put {
            self.deadline = deadline;
            return self.failed(&f, StepName::WriteTest, "s3:PutObject", put_ms);
        }
        let (got, get_ms) = self
            .timed(
                s3.get_object()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .key(&key)
                    .send(),
            )
            .await;
        let (read_back, body_ms) = match got {
            Ok(out) => self.body_of(out.body).await,
            Err(f) => (Err(f), 0),
        };
        // The beacon is removed whatever the read-back found, in the time set aside.
        self.deadline = deadline;
        let (deleted, del_ms) = self
            .timed(
                s3.delete_object()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .key(&key)
                    .send(),
            )
            .await;
        let ms = put_ms + get_ms + body_ms + del_ms;
        if let Err(f) = deleted {
            let mut report = self.failed(&f, StepName::WriteTest, "s3:DeleteObject", ms);
            report.message = format!(
                "{}; the beacon s3://{bucket}/{key} was left behind, delete it by hand",
                report.message
            );
            return report;
        }
        if read_back.as_deref().ok() != Some(beacon.as_bytes()) {
            return StepReport::new(
                StepName::WriteTest,
                true,
                StepStatus::Failed,
                format!("wrote s3://{bucket}/{key} but could not read the same bytes back (the beacon was deleted)"),
            )
            .with_remediation(format!("allow s3:GetObject on {}", self.req.objects_arn()))
            .with_action("s3:PutObject, s3:GetObject, s3:DeleteObject")
            .with_duration_ms(ms);
        }
        StepReport::new(
            StepName::WriteTest,
            true,
            StepStatus::Passed,
            format!("wrote, read back and deleted the beacon s3://{bucket}/{key}"),
        )
        .with_action("s3:PutObject, s3:GetObject, s3:DeleteObject")
        .with_duration_ms(ms)
    }

    async fn queue(&mut self) -> StepReport {
        let Some(queue) = &self.req.queue else {
            unreachable!("the queue step is planned only when a queue is given")
        };
        let sqs = self.clients.sqs_in(queue.region.as_str());
        let call = sqs
            .get_queue_attributes()
            .queue_url(&queue.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::Policy)
            .send();
        let (attrs, ms) = self.timed(call).await;
        let attrs = match attrs {
            Ok(a) => a,
            Err(f) => return self.failed(&f, StepName::Queue, "sqs:GetQueueAttributes", ms),
        };
        let map = attrs.attributes();
        let queue_arn = map
            .and_then(|m| m.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_else(|| queue.arn.clone());
        let policy = map
            .and_then(|m| m.get(&QueueAttributeName::Policy))
            .map(String::as_str);
        let bucket_arn = self.req.bucket_arn();
        let statement = queue_policy::statement_for(
            &queue_arn,
            &bucket_arn,
            &queue_policy::SourceAccount::for_bucket(
                self.req.bucket.as_str(),
                self.req.expected_bucket_owner.as_deref(),
            ),
        );

        let bucket = self.req.bucket.as_str().to_string();
        let (notif, notif_ms) = self
            .timed(
                self.s3()
                    .get_bucket_notification_configuration()
                    .bucket(&bucket)
                    .set_expected_bucket_owner(self.req.expected_bucket_owner.clone())
                    .send(),
            )
            .await;
        let ms = ms + notif_ms;
        let mut problems = Vec::new();
        let mut fixes = Vec::new();
        let (mut policy_unscoped, mut notifications_unread) = (false, false);
        match queue_policy::check(policy, &queue_arn, &bucket_arn) {
            QueuePolicyCheck::AllowsBucket => {}
            QueuePolicyCheck::AllowsUnscoped => {
                policy_unscoped = true;
                fixes.push(format!(
                    "scope the queue policy to this bucket with aws:SourceArn, e.g. {statement}"
                ));
            }
            QueuePolicyCheck::NoPolicy => {
                problems.push(format!(
                    "queue {queue_arn} has no access policy, so S3 cannot send notifications to it"
                ));
                fixes.push(format!(
                    "add this statement to the queue policy: {statement}"
                ));
            }
            QueuePolicyCheck::DoesNotAllow => {
                problems.push(format!(
                    "the policy of queue {queue_arn} does not let {bucket_arn} send messages"
                ));
                fixes.push(format!(
                    "add this statement to the queue policy: {statement}"
                ));
            }
            QueuePolicyCheck::Unreadable => {
                problems.push(format!("the policy of queue {queue_arn} is not valid JSON"));
                fixes.push(format!(
                    "replace the queue policy with one holding: {statement}"
                ));
            }
        }
        match notif {
            Ok(n) => {
                let targets = n.queue_configurations().iter().any(|q| {
                    q.queue_arn() == queue_arn
                        && q.events().iter().any(|e| {
                            e.as_str().starts_with("s3:ObjectCreated:")
                                || *e == Event::S3ObjectCreated
                        })
                });
                if !targets {
                    let elsewhere: Vec<&str> = n
                        .queue_configurations()
                        .iter()
                        .map(|q| q.queue_arn())
                        .collect();
                    problems.push(if elsewhere.is_empty() {
                        format!("bucket {bucket} sends no ObjectCreated notifications to any queue")
                    } else {
                        format!(
                            "bucket {bucket} notifies {} but not {queue_arn}",
                            elsewhere.join(", ")
                        )
                    });
                    fixes.push(format!(
                        "add a queue configuration to the bucket's event notifications: events s3:ObjectCreated:*, queue {queue_arn} (s3:PutBucketNotification)"
                    ));
                }
            }
            Err(f) if is_unparsed_success(&f) => {
                notifications_unread = true;
                fixes.push(
                    "check the bucket's event notifications by hand: the answer to s3:GetBucketNotification could not be read"
                        .into(),
                );
            }
            Err(f) => {
                let d = diagnose(&f, &self.ctx(StepName::Queue, "s3:GetBucketNotification"));
                problems.push(format!(
                    "could not read the bucket's notification configuration: {}",
                    d.message
                ));
                fixes.push(d.remediation);
            }
        }
        let (status, message) = if problems.is_empty() {
            let notified = if notifications_unread {
                "; whether the bucket notifies it could not be read"
            } else {
                ", and the bucket notifies it of new objects"
            };
            let wide = if policy_unscoped {
                " (policy wider than needed)"
            } else {
                ""
            };
            (
                if fixes.is_empty() { StepStatus::Passed } else { StepStatus::Warning },
                format!("queue {queue_arn} is reachable, its policy lets {bucket_arn} send{notified}{wide}"),
            )
        } else {
            (StepStatus::Failed, problems.join("; "))
        };
        let report = StepReport::new(StepName::Queue, true, status, message)
            .with_action("sqs:GetQueueAttributes, s3:GetBucketNotification")
            .with_duration_ms(ms);
        if fixes.is_empty() {
            report
        } else {
            report.with_remediation(fixes.join("; "))
        }
    }
}

/// A 2xx answer the SDK could not parse is the endpoint's fault, not a permission the user
/// can grant (seen with emulators that answer with another root element).
fn is_unparsed_success(f: &Failure) -> bool {
    matches!(
        f.kind,
        FailureKind::Service {
            http_status: 200..=299,
            ..
        }
    )
}

fn error_code_of(f: &Failure) -> Option<&str> {
    match &f.kind {
        FailureKind::Service { code, .. } => code.as_deref(),
        _ => None,
    }
}

/// Turns an SDK error into what `diagnose` needs, without reading the message for the category.
pub fn failure_of<E>(e: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(creds) = credentials_error(e) {
        return match creds {
            CredentialsError::CredentialsNotLoaded(_) => Failure::new(FailureKind::NoCredentials),
            CredentialsError::ProviderTimedOut(_) => Failure::new(FailureKind::Timeout),
            _ => Failure::new(FailureKind::NoCredentials).with_detail(creds.to_string()),
        };
    }
    match e {
        SdkError::TimeoutError(_) => Failure::new(FailureKind::Timeout),
        SdkError::DispatchFailure(d) if d.is_timeout() => Failure::new(FailureKind::Timeout),
        SdkError::DispatchFailure(_) => Failure::new(FailureKind::Dispatch),
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let raw = e.raw_response();
            let status = raw.map(|r| r.status().as_u16()).unwrap_or(0);
            let mut f = Failure::service(e.code(), status);
            if let Some(region) = raw.and_then(|r| r.headers().get("x-amz-bucket-region")) {
                f = f.with_bucket_region(region);
            }
            if let Some(message) = e.message().filter(|m| !m.is_empty()) {
                if let Some(source) = explicit_deny_source(message) {
                    f = f.with_explicit_deny(source);
                }
                f = f.with_detail(message);
            }
            f
        }
        _ => Failure::new(FailureKind::Dispatch),
    }
}

fn credentials_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(c) = err.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        current = err.source();
    }
    None
}

/// The policy type AWS names in an access-denied message, per the documented forms
/// ("... with an explicit deny in a service control policy").
pub fn explicit_deny_source(message: &str) -> Option<ExplicitDenySource> {
    let lower = message.to_ascii_lowercase();
    let rest = lower.split("with an explicit deny in ").nth(1)?;
    let table = [
        ("a service control policy", ExplicitDenySource::Scp),
        (
            "a resource control policy",
            ExplicitDenySource::ResourceControlPolicy,
        ),
        (
            "a resource-based policy",
            ExplicitDenySource::ResourcePolicy,
        ),
        (
            "an identity-based policy",
            ExplicitDenySource::IdentityPolicy,
        ),
        (
            "a permissions boundary",
            ExplicitDenySource::PermissionsBoundary,
        ),
        ("a session policy", ExplicitDenySource::SessionPolicy),
        (
            "a vpc endpoint policy",
            ExplicitDenySource::VpcEndpointPolicy,
        ),
    ];
    table
        .into_iter()
        .find(|(phrase, _)| rest.starts_with(phrase))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_explicit_deny_messages_name_their_policy() {
        let cases = [
            ("User: arn:aws:iam::123456789012:user/x is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" with an explicit deny in a service control policy", Some(ExplicitDenySource::Scp)),
            ("... with an explicit deny in a resource-based policy", Some(ExplicitDenySource::ResourcePolicy)),
            ("... with an explicit deny in an identity-based policy", Some(ExplicitDenySource::IdentityPolicy)),
            ("... with an explicit deny in a VPC endpoint policy", Some(ExplicitDenySource::VpcEndpointPolicy)),
            ("... because no identity-based policy allows the s3:GetObject action", None),
            ("Access Denied", None),
        ];
        for (message, expected) in cases {
            assert_eq!(explicit_deny_source(message), expected, "{message}");
        }
    }
}
