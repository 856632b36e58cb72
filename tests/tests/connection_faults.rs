//! Connection-test failures the emulator cannot produce (moto grants every call and
//! never throttles or times out): assume-role denied, expired and invalid tokens, KMS
//! denied, explicit deny, throttling, timeouts, missing credentials.
//!
//! Fault injection at the SDK's HTTP layer: each test answers the real SDK with the
//! response AWS documents for that fault (status, headers, XML error body), so the
//! SDK's own parsing produces the error codes the runner classifies.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use integration_tests::fake_aws::{
    caller_identity, head_bucket_ok, one_object_listing, s3_error, sts_error, Answer,
};
use s3connector::aws::{ClientSettings, Clients, CredentialSource};
use s3connector::connection::{
    self, ConnectionTestRequest, StepName, StepReport, StepStatus, TestSettings, Trust, Verdict,
};
use serde_json::{json, Value};

/// One fake HTTP exchange: what the request looked like.
struct Call {
    method: String,
    host: String,
    path: String,
    body: String,
}

/// Clients whose every HTTP call is answered by `route`; SDK retries off to keep tests quick.
fn fake_clients(route: impl Fn(&Call) -> Answer + Send + Sync + 'static) -> Clients {
    let route = Arc::new(route);
    let http = infallible_client_fn(move |req: http::Request<SdkBody>| {
        let call = Call {
            method: req.method().to_string(),
            host: req.uri().host().unwrap_or_default().to_string(),
            // Path-style bucket requests end in '/' ("/bucket/", "/bucket/?list-type=2").
            path: req
                .uri()
                .path_and_query()
                .map(|p| {
                    p.to_string()
                        .replacen("/?", "?", 1)
                        .trim_end_matches('/')
                        .to_string()
                })
                .unwrap_or_default(),
            body: String::from_utf8_lossy(req.body().bytes().unwrap_or_default()).into_owned(),
        };
        let (status, headers, body) = route(&call);
        let mut resp = http::Response::builder().status(status);
        for (k, v) in headers {
            resp = resp.header(k, v);
        }
        resp.body(SdkBody::from(body)).unwrap()
    });
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "fault-test",
        )))
        .retry_config(RetryConfig::disabled())
        .http_client(http)
        .build();
    Clients::from_sdk_config(sdk, true)
}

fn settings() -> TestSettings {
    // The CLI's trust: these tests are about diagnosing AWS's answers, not the endpoint's limits.
    let mut s = TestSettings::new(Trust::LocalUser);
    s.step_timeout = Duration::from_secs(2);
    s
}

async fn run(clients: &Clients, body: Value) -> Verdict {
    let request: ConnectionTestRequest = serde_json::from_value(body).unwrap();
    connection::run(clients, &settings(), &request.validate().unwrap()).await
}

fn step(v: &Verdict, name: StepName) -> &StepReport {
    v.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name:?} in {v:#?}"))
}

fn is_sts(c: &Call, action: &str) -> bool {
    c.host.starts_with("sts.") && c.body.contains(&format!("Action={action}"))
}

#[tokio::test]
async fn assume_role_denied_names_trust_policy_external_id_and_permission() {
    let role = "arn:aws:iam::210987654321:role/s3connector-reader";
    let clients = fake_clients(move |c| {
        if is_sts(c, "GetCallerIdentity") {
            caller_identity()
        } else if is_sts(c, "AssumeRole") {
            sts_error(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/s3connector-reader")
        } else {
            panic!(
                "no call may follow a failed assume-role: {} {}",
                c.method, c.path
            )
        }
    });
    let v = run(
        &clients,
        json!({"bucket": "example-logs", "role_arn": role, "external_id": "wrong-id"}),
    )
    .await;
    let a = step(&v, StepName::AssumeRole);
    assert_eq!(a.status, StepStatus::Failed);
    assert_eq!(a.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(a.action.as_deref(), Some("sts:AssumeRole"));
    let fix = a.remediation.as_deref().unwrap();
    assert!(fix.contains(role), "{fix}");
    assert!(fix.contains("sts:ExternalId"), "{fix}");
    assert!(fix.contains("trust policy"), "{fix}");
    assert!(
        !serde_json::to_string(&v).unwrap().contains("wrong-id"),
        "external ID leaked"
    );
    assert_eq!(step(&v, StepName::Bucket).status, StepStatus::Skipped);
}

#[tokio::test]
async fn expired_token_is_reported_as_expired_credentials() {
    let clients = fake_clients(|_| {
        sts_error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    });
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let c = step(&v, StepName::Credentials);
    assert_eq!(c.status, StepStatus::Failed);
    assert_eq!(c.error_code.as_deref(), Some("ExpiredToken"));
    assert!(
        c.remediation
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("refresh"),
        "{:?}",
        c.remediation
    );
}

#[tokio::test]
async fn invalid_access_key_is_reported_as_invalid_credentials() {
    let clients = fake_clients(|_| {
        sts_error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    });
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let c = step(&v, StepName::Credentials);
    assert_eq!(c.error_code.as_deref(), Some("InvalidClientTokenId"));
    assert!(
        c.remediation.as_deref().unwrap().contains("access key"),
        "{:?}",
        c.remediation
    );
}

#[tokio::test]
async fn kms_denied_after_head_object_passes_asks_for_kms_decrypt_on_the_key() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let clients = fake_clients(move |c| match (c.method.as_str(), c.path.as_str()) {
        _ if is_sts(c, "GetCallerIdentity") => caller_identity(),
        ("HEAD", "/example-logs") => head_bucket_ok(),
        ("GET", p) if p.starts_with("/example-logs?list-type=2") => one_object_listing(),
        ("HEAD", "/example-logs/logs/a.log.gz") => (
            200,
            vec![
                ("content-length", "5".into()),
                ("x-amz-server-side-encryption", "aws:kms".into()),
                ("x-amz-server-side-encryption-aws-kms-key-id", key.into()),
            ],
            String::new(),
        ),
        ("GET", p) if p.starts_with("/example-logs/logs/a.log.gz") => {
            s3_error(403, "AccessDenied", "Access Denied")
        }
        _ => s3_error(403, "AccessDenied", "Access Denied"),
    });
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let r = step(&v, StepName::Read);
    assert_eq!(r.status, StepStatus::Failed, "{v:#?}");
    assert_eq!(r.action.as_deref(), Some("kms:Decrypt"));
    let fix = r.remediation.as_deref().unwrap();
    assert!(fix.contains("kms:Decrypt") && fix.contains(key), "{fix}");
}

#[tokio::test]
async fn explicit_deny_in_bucket_policy_points_at_the_bucket_policy() {
    let clients = fake_clients(|c| {
        match (c.method.as_str(), c.path.as_str()) {
        _ if is_sts(c, "GetCallerIdentity") => caller_identity(),
        ("HEAD", "/example-logs") => head_bucket_ok(),
        ("GET", p) if p.starts_with("/example-logs?list-type=2") => s3_error(403, "AccessDenied",
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::example-logs\" with an explicit deny in a resource-based policy"),
        _ => s3_error(403, "AccessDenied", "Access Denied"),
    }
    });
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let l = step(&v, StepName::List);
    assert_eq!(l.status, StepStatus::Failed);
    let fix = l.remediation.as_deref().unwrap();
    assert!(
        fix.to_lowercase().contains("bucket policy") || fix.contains("resource-based"),
        "{fix}"
    );
    assert!(fix.contains("s3:ListBucket"), "{fix}");
    assert_eq!(step(&v, StepName::Read).status, StepStatus::Skipped);
}

#[tokio::test]
async fn access_denied_on_list_names_the_action_and_bucket_arn() {
    let clients = fake_clients(|c| match (c.method.as_str(), c.path.as_str()) {
        _ if is_sts(c, "GetCallerIdentity") => caller_identity(),
        ("HEAD", "/example-logs") => head_bucket_ok(),
        _ => s3_error(403, "AccessDenied", "Access Denied"),
    });
    let v = run(&clients, json!({"bucket": "s3://example-logs/AWSLogs/"})).await;
    let fix = step(&v, StepName::List).remediation.clone().unwrap();
    assert!(
        fix.contains("s3:ListBucket") && fix.contains("arn:aws:s3:::example-logs"),
        "{fix}"
    );
    // AWS's own text is shown once, after the diagnosis.
    let message = &step(&v, StepName::List).message;
    assert_eq!(message.matches("Access Denied").count(), 1, "{message}");
    assert_eq!(message.matches("AWS said").count(), 1, "{message}");
}

#[tokio::test]
async fn throttling_is_reported_as_retryable() {
    let clients = fake_clients(|_| sts_error(400, "Throttling", "Rate exceeded"));
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let c = step(&v, StepName::Credentials);
    assert_eq!(c.error_code.as_deref(), Some("Throttling"));
    assert!(
        c.remediation
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("retry"),
        "{:?}",
        c.remediation
    );
}

#[tokio::test]
async fn unanswered_call_times_out_within_the_step_limit() {
    // A loopback listener that accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16).flatten() {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = s.read(&mut buf);
            held.push(s);
        }
    });
    let clients = Clients::load(&ClientSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        credentials: CredentialSource::Static {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        },
        assume_role: None,
    })
    .await
    .unwrap();
    let mut s = settings();
    s.step_timeout = Duration::from_millis(800);
    let request: ConnectionTestRequest =
        serde_json::from_value(json!({"bucket": "example-logs"})).unwrap();
    let started = std::time::Instant::now();
    let v = connection::run(&clients, &s, &request.validate().unwrap()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let c = step(&v, StepName::Credentials);
    assert_eq!(c.status, StepStatus::Failed);
    assert!(
        c.remediation
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("retry"),
        "{:?}",
        c.remediation
    );
}

#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no credentials in the chain",
        )))
    }
}

#[tokio::test]
async fn missing_credentials_are_reported_as_no_credentials() {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(NoCredentials))
        .retry_config(RetryConfig::disabled())
        .http_client(infallible_client_fn(|_| -> http::Response<SdkBody> {
            panic!("no request may be sent without credentials")
        }))
        .build();
    let clients = Clients::from_sdk_config(sdk, true);
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let c = step(&v, StepName::Credentials);
    assert_eq!(c.status, StepStatus::Failed, "{v:#?}");
    assert!(
        c.remediation
            .as_deref()
            .unwrap()
            .contains("AWS_ACCESS_KEY_ID")
            || c.remediation
                .as_deref()
                .unwrap()
                .to_lowercase()
                .contains("credentials"),
        "{:?}",
        c.remediation
    );
    assert!(c.error_code.is_none());
}

#[tokio::test]
async fn redirect_to_another_region_is_followed_and_a_denial_there_is_diagnosed() {
    static ASKED_EU: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let clients = fake_clients(
        |c| match (c.method.as_str(), c.host.as_str(), c.path.as_str()) {
            _ if is_sts(c, "GetCallerIdentity") => caller_identity(),
            ("HEAD", h, "/example-logs") if h.contains("us-east-1") => (
                301,
                vec![("x-amz-bucket-region", "eu-west-1".into())],
                String::new(),
            ),
            ("HEAD", h, "/example-logs") if h.contains("eu-west-1") => {
                ASKED_EU.store(true, std::sync::atomic::Ordering::SeqCst);
                (
                    403,
                    vec![("x-amz-bucket-region", "eu-west-1".into())],
                    String::new(),
                )
            }
            _ => s3_error(403, "AccessDenied", "Access Denied"),
        },
    );
    let v = run(&clients, json!({"bucket": "example-logs"})).await;
    let b = step(&v, StepName::Bucket);
    assert!(
        ASKED_EU.load(std::sync::atomic::Ordering::SeqCst),
        "the redirect to eu-west-1 was not followed"
    );
    assert_eq!(b.status, StepStatus::Failed, "{v:#?}");
    let fix = b.remediation.as_deref().unwrap();
    assert!(
        fix.contains("s3:ListBucket") && fix.contains("arn:aws:s3:::example-logs"),
        "{fix}"
    );
}
