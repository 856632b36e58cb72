//! Connection tests: can these credentials reach this bucket, and if not, what to fix.

use std::time::Instant;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::info;

use crate::aws::Clients;
use crate::names;

/// A connection-test request, as posted to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Bucket name.
    pub bucket: String,
    /// Region of the bucket, if known.
    #[serde(default)]
    pub region: Option<String>,
}

/// An invalid request: the field at fault and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("field '{field}': {rule}")]
pub struct ValidationError {
    /// The field at fault (`body` for the document as a whole).
    pub field: String,
    /// The rule it broke.
    pub rule: String,
}

impl Request {
    /// Parses and validates a JSON body.
    pub fn parse(body: &[u8]) -> Result<Self, ValidationError> {
        let req: Request = serde_json::from_slice(body).map_err(|e| ValidationError {
            field: field_of_serde_error(&e.to_string()),
            rule: e.to_string(),
        })?;
        names::bucket_name(&req.bucket).map_err(|rule| ValidationError {
            field: "bucket".into(),
            rule: format!("must {rule}"),
        })?;
        if let Some(r) = &req.region {
            names::region(r).map_err(|rule| ValidationError {
                field: "region".into(),
                rule: format!("must {rule}"),
            })?;
        }
        Ok(req)
    }
}

fn field_of_serde_error(msg: &str) -> String {
    // serde names the field in backticks: "unknown field `x`" / "missing field `bucket`".
    msg.split('`').nth(1).unwrap_or("body").to_string()
}

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Overall {
    /// Every mandatory step passed.
    Successful,
    /// A mandatory step failed.
    Failed,
}

/// The status of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepStatus {
    /// The check passed.
    Passed,
    /// The check failed.
    Failed,
    /// Works, but something should be changed.
    Warning,
    /// Not run, because a step it depends on failed.
    Skipped,
}

/// The report of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Step name.
    pub name: &'static str,
    /// Whether the connector cannot work when this step fails.
    pub mandatory: bool,
    /// Outcome.
    pub status: StepStatus,
    /// What happened.
    pub message: String,
    /// What to change, when something should be.
    pub remediation: Option<String>,
    /// AWS error code, when AWS returned one.
    pub error_code: Option<String>,
    /// The IAM action the step exercised.
    pub action: Option<&'static str>,
    /// How long the step took.
    pub duration_ms: u64,
}

/// The verdict returned by the endpoint and printed by the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Overall status.
    pub status: Overall,
    /// Steps in the order they ran.
    pub steps: Vec<StepReport>,
}

/// Runs the connection test for `req` with `clients`.
pub async fn run(clients: &Clients, req: &Request) -> Verdict {
    let region = req
        .region
        .clone()
        .or_else(|| clients.region().map(str::to_string));
    let s3 = match &region {
        Some(r) => clients.s3_in(r),
        None => clients.s3(),
    };
    let started = Instant::now();
    let result = s3.head_bucket().bucket(&req.bucket).send().await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let step = match result {
        Ok(out) => StepReport {
            name: "bucket",
            mandatory: true,
            status: StepStatus::Passed,
            message: match out.bucket_region() {
                Some(r) => format!("bucket {} exists in {r} and is reachable", req.bucket),
                None => format!("bucket {} exists and is reachable", req.bucket),
            },
            remediation: None,
            error_code: None,
            action: Some("s3:ListBucket"),
            duration_ms,
        },
        Err(e) => head_bucket_failure(&req.bucket, &e, duration_ms),
    };
    info!(bucket = %req.bucket, status = ?step.status, "connection test step");
    let status = if step.status == StepStatus::Failed {
        Overall::Failed
    } else {
        Overall::Successful
    };
    Verdict {
        status,
        steps: vec![step],
    }
}

fn head_bucket_failure<E: ProvideErrorMetadata + std::error::Error + 'static>(
    bucket: &str,
    e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    duration_ms: u64,
) -> StepReport {
    // HeadBucket answers without a body, so the HTTP status is its error code.
    let status = e.raw_response().map(|r| r.status().as_u16());
    let actual_region = e
        .raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_string);
    let (code, message, remediation) = match status {
        Some(404) => (
            "NoSuchBucket",
            format!("bucket {bucket} does not exist"),
            "check the bucket name; bucket names are global and case-sensitive".to_string(),
        ),
        Some(403) => (
            "AccessDenied",
            format!("access to bucket {bucket} is denied"),
            format!("allow s3:ListBucket on arn:aws:s3:::{bucket} for these credentials, and check the bucket policy for a Deny"),
        ),
        Some(301) | Some(400) if actual_region.is_some() => (
            "PermanentRedirect",
            format!("bucket {bucket} is in another region"),
            format!("use region {}", actual_region.as_deref().unwrap_or_default()),
        ),
        _ => (
            e.code().unwrap_or("Unknown"),
            format!("HeadBucket on {bucket} failed: {}", DisplayErrorContext(e)),
            "retry; if it persists, check network access to the S3 endpoint".to_string(),
        ),
    };
    StepReport {
        name: "bucket",
        mandatory: true,
        status: StepStatus::Failed,
        message,
        remediation: Some(remediation),
        error_code: Some(code.to_string()),
        action: Some("s3:ListBucket"),
        duration_ms,
    }
}

/// An HTTP answer, independent of the Lambda HTTP types.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

/// Serves `POST /connection-tests`: 200 with the verdict, 400/405/415 for bad requests.
pub async fn handle_http(
    method: &str,
    content_type: Option<&str>,
    body: &[u8],
    clients: &Clients,
) -> HttpReply {
    if !method.eq_ignore_ascii_case("POST") {
        return HttpReply {
            status: 405,
            body: json!({"error": format!("method {method} is not allowed; use POST")}),
        };
    }
    let is_json = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(true);
    if !is_json {
        return HttpReply {
            status: 415,
            body: json!({"error": "request body must be application/json"}),
        };
    }
    match Request::parse(body) {
        Ok(req) => HttpReply {
            status: 200,
            body: serde_json::to_value(run(clients, &req).await).expect("verdict serialises"),
        },
        Err(e) => HttpReply {
            status: 400,
            body: json!({"error": e.to_string(), "field": e.field, "rule": e.rule}),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_with_unknown_field_names_the_field() {
        let err = Request::parse(br#"{"bucket":"logs-bucket","colour":"red"}"#).unwrap_err();
        assert_eq!(err.field, "colour");
    }

    #[test]
    fn request_without_bucket_names_bucket() {
        let err = Request::parse(br#"{}"#).unwrap_err();
        assert_eq!(err.field, "bucket");
    }

    #[test]
    fn invalid_bucket_name_states_the_rule() {
        let err = Request::parse(br#"{"bucket":"Bad_Bucket"}"#).unwrap_err();
        assert_eq!(err.field, "bucket");
        assert!(
            err.rule.starts_with("must contain only lowercase"),
            "{}",
            err.rule
        );
    }

    #[test]
    fn verdict_serialises_with_contract_field_names() {
        let v = Verdict {
            status: Overall::Failed,
            steps: vec![StepReport {
                name: "bucket",
                mandatory: true,
                status: StepStatus::Failed,
                message: "m".into(),
                remediation: Some("r".into()),
                error_code: Some("NoSuchBucket".into()),
                action: Some("s3:ListBucket"),
                duration_ms: 3,
            }],
        };
        let j = serde_json::to_value(v).unwrap();
        assert_eq!(j["status"], "Failed");
        assert_eq!(j["steps"][0]["status"], "Failed");
        for field in [
            "name",
            "mandatory",
            "message",
            "remediation",
            "error_code",
            "action",
            "duration_ms",
        ] {
            assert!(j["steps"][0].get(field).is_some(), "missing {field}");
        }
    }
}
