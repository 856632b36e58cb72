//! The endpoint as a caller meets it: API Gateway v2 events through the real handler.
//!
//! AWS is played by a loopback HTTP server (`integration_tests::fake_aws`) reached by the
//! real SDK through an endpoint override: it answers like a healthy account, and can leave
//! a chosen call unanswered or answer it slowly, which neither moto nor AWS will do on
//! request. Every attack from the endpoint's threat model has an event here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::fake_aws::{healthy_account, FakeAws, FakeCall, Reply};
use s3connector::aws::{ClientSettings, Clients, CredentialSource};
use s3connector::connection::role_policy::RoleAllowList;
use s3connector::connection::{AccountScope, EndpointTrust, ExternalIds, Trust};
use serde_json::{json, Value};

use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/s3connector-reader";
const DEPLOYMENT_EXTERNAL_ID: &str = "deployment-external-id-7f3a";
const STEP_TIMEOUT: Duration = Duration::from_secs(1);
const BUDGET: Duration = Duration::from_secs(4);

fn trust(local_endpoints: bool) -> EndpointTrust {
    EndpointTrust {
        roles: RoleAllowList::parse("arn:aws:iam::*:role/s3connector-*").unwrap(),
        accounts: AccountScope::Listed(["123456789012".to_string()].into_iter().collect()),
        external_ids: ExternalIds {
            default: None,
            per_account: [(
                "123456789012".to_string(),
                DEPLOYMENT_EXTERNAL_ID.to_string().into(),
            )]
            .into_iter()
            .collect(),
        },
        allow_function_identity: false,
        local_endpoints,
        partition: "aws".into(),
    }
}

fn settings(trust: EndpointTrust) -> TestSettings {
    let mut settings = TestSettings::new(Trust::Endpoint(trust));
    settings.step_timeout = STEP_TIMEOUT;
    settings.total_budget = BUDGET;
    settings
}

async fn clients_for(endpoint: &str) -> Clients {
    Clients::load(&ClientSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.into()),
        credentials: CredentialSource::Static {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        },
        assume_role: None,
    })
    .await
    .unwrap()
}

fn sample_event(file: &str) -> Value {
    let path = format!("{}/../../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("sample event exists");
    serde_json::from_str(&text).unwrap()
}

/// The sample event with another body (and path, when given).
fn event_with(body: Value, raw_path: Option<&str>) -> Value {
    let mut event = sample_event("apigw-connection-test.json");
    event["body"] = Value::String(body.to_string());
    if let Some(path) = raw_path {
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
    }
    event
}

async fn reply(event: &Value, clients: &Clients, settings: &TestSettings) -> (u16, Value) {
    let req =
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 request");
    let resp = handler(req, clients, settings).await.unwrap();
    let body = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    (resp.status().as_u16(), body)
}

/// A healthy fake account that records every call and lets `fault` replace the answer.
fn fake_account(
    fault: impl Fn(&FakeCall) -> Option<Reply> + Send + Sync + 'static,
) -> (FakeAws, Arc<Mutex<Vec<FakeCall>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let server = FakeAws::start(move |call| {
        seen.lock().unwrap().push(call.clone());
        fault(call).unwrap_or_else(|| Reply::Now(healthy_account(call)))
    });
    (server, calls)
}

/// The sample event `file` against a healthy fake account, with the default endpoint trust.
async fn sample_reply(file: &str) -> (u16, Value, Arc<Mutex<Vec<FakeCall>>>) {
    let (aws, calls) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    let (status, body) = reply(&sample_event(file), &clients, &settings(trust(false))).await;
    (status, body, calls)
}

fn operations(calls: &Mutex<Vec<FakeCall>>) -> Vec<&'static str> {
    calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.operation())
        .collect()
}

fn step<'a>(verdict: &'a Value, name: &str) -> &'a Value {
    verdict["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} step in {verdict:#}"))
}

#[tokio::test]
async fn valid_apigw_v2_request_gets_200_with_a_verdict() {
    let (status, body, calls) = sample_reply("apigw-connection-test.json").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(step(&body, "credentials")["status"], "Passed");
    assert_eq!(step(&body, "assume_role")["status"], "Passed", "{body:#}");
    let assumed = step(&body, "assume_role")["message"].as_str().unwrap();
    assert!(assumed.contains("s3connector-test-connection"), "{assumed}");
    // The deployment's external ID went to STS, and never back to the caller.
    let assume_call = calls
        .lock()
        .unwrap()
        .iter()
        .find(|c| c.operation() == "AssumeRole")
        .cloned()
        .expect("AssumeRole was called");
    assert!(
        assume_call
            .body
            .contains(&format!("ExternalId={DEPLOYMENT_EXTERNAL_ID}")),
        "{}",
        assume_call.body
    );
    assert!(assume_call.body.contains("DurationSeconds=900"));
    assert!(assume_call
        .body
        .contains("RoleSessionName=s3connector-test-connection"));
    assert!(!body.to_string().contains(DEPLOYMENT_EXTERNAL_ID));
}

#[tokio::test]
async fn invalid_bucket_in_apigw_v2_request_gets_400_naming_the_field() {
    let (status, body, _) = sample_reply("apigw-connection-test-invalid.json").await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "bucket");
    assert!(body["rule"].as_str().unwrap().starts_with("must"));
}

#[tokio::test]
async fn request_without_a_role_is_refused_and_nothing_runs_as_the_function() {
    let (status, body, calls) = sample_reply("apigw-connection-test-no-role.json").await;
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(body["field"], "role_arn");
    assert!(operations(&calls).is_empty(), "{:?}", operations(&calls));
    let (aws, calls) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    // Only a deployment that opts in lends its identity, write test included.
    let lending = settings(EndpointTrust {
        allow_function_identity: true,
        ..trust(false)
    });
    let (status, body) = reply(
        &sample_event("apigw-connection-test-no-role.json"),
        &clients,
        &lending,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    assert!(operations(&calls).contains(&"PutObject"));
}

#[tokio::test]
async fn role_in_an_unlisted_account_is_refused_before_any_sts_call() {
    let (status, body, calls) = sample_reply("apigw-connection-test-foreign-account.json").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["status"], "Failed");
    let a = step(&body, "assume_role");
    assert_eq!(a["status"], "Failed");
    assert_eq!(a["error_code"], "RoleNotAllowed");
    assert!(a["message"]
        .as_str()
        .unwrap()
        .contains("account 210987654321"));
    assert_eq!(step(&body, "bucket")["status"], "Skipped");
    assert!(!operations(&calls).contains(&"AssumeRole"));
}

#[tokio::test]
async fn caller_external_id_that_differs_gets_400_that_does_not_reveal_the_deployments() {
    let (status, body, calls) = sample_reply("apigw-connection-test-external-id-guess.json").await;
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(body["field"], "external_id");
    let text = body.to_string();
    assert!(!text.contains(DEPLOYMENT_EXTERNAL_ID), "{text}");
    assert!(!text.contains("guess"), "{text}");
    assert!(operations(&calls).is_empty());
}

#[tokio::test]
async fn only_post_to_the_route_or_the_root_is_served() {
    let (aws, calls) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    let s = settings(trust(false));
    let (status, _) = reply(
        &sample_event("apigw-connection-test-wrong-path.json"),
        &clients,
        &s,
    )
    .await;
    assert_eq!(status, 404);
    let body = json!({"bucket": "example-logs", "role_arn": ROLE});
    for path in [
        "/connection-tests/../admin",
        "/admin",
        "/connection-tests/extra",
    ] {
        let (status, _) = reply(&event_with(body.clone(), Some(path)), &clients, &s).await;
        assert_eq!(status, 404, "{path}");
    }
    assert!(operations(&calls).is_empty());
    // A function URL delivers to the root.
    let (status, _) = reply(&event_with(body, Some("/")), &clients, &s).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn regions_session_caps_and_loopback_queues_are_refused_with_400() {
    let (aws, calls) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    let s = settings(trust(false));
    let cases = [
        (json!({"region": "xx-invented-1"}), "region"),
        (json!({"region": "cn-north-1"}), "region"),
        (json!({"duration_seconds": 43200}), "duration_seconds"),
        (json!({"session_name": "x".repeat(60)}), "session_name"),
        (
            json!({"queue_url": "http://127.0.0.1:9324/123456789012/ingest"}),
            "queue_url",
        ),
        (
            json!({"role_arn": "arn:aws-us-gov:iam::123456789012:role/s3connector-reader"}),
            "role_arn",
        ),
    ];
    for (extra, field) in cases {
        let mut body = json!({"bucket": "example-logs", "role_arn": ROLE});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, reply) = reply(&event_with(body, None), &clients, &s).await;
        assert_eq!(status, 400, "{field}: {reply:#}");
        assert_eq!(reply["field"], field, "{reply:#}");
    }
    assert!(operations(&calls).is_empty());
}

#[tokio::test]
async fn queue_urls_carrying_secrets_are_refused_without_echoing_them() {
    let (aws, calls) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    for url in [
        "https://sqs.us-east-1.amazonaws.com/123456789012/ingest?X-Amz-Security-Token=SECRETTOKEN",
        "https://admin:SECRETPASS@sqs.us-east-1.amazonaws.com/123456789012/ingest",
    ] {
        let body = json!({"bucket": "example-logs", "role_arn": ROLE, "queue_url": url});
        let (status, reply) =
            reply(&event_with(body, None), &clients, &settings(trust(false))).await;
        assert_eq!(status, 400);
        assert_eq!(reply["field"], "queue_url");
        assert!(!reply.to_string().contains("SECRET"), "{reply}");
    }
    assert!(operations(&calls).is_empty());
}

#[tokio::test]
async fn region_requests_cannot_grow_the_client_cache() {
    let (aws, _) = fake_account(|_| None);
    let clients = clients_for(&aws.url).await;
    let s = settings(trust(false));
    for i in 0..40 {
        let body =
            json!({"bucket": "example-logs", "role_arn": ROLE, "region": format!("us-fake-{i}")});
        let (status, _) = reply(&event_with(body, None), &clients, &s).await;
        assert_eq!(status, 400);
    }
    assert!(clients.cached_s3_regions() <= 1);
}

/// Runs the full request with `operation` never answered (or its body never sent), and
/// checks that `step` fails as a timeout and the verdict still arrives within the budget.
async fn hang_at(operation: &'static str, body_only: bool, step_name: &str) -> Value {
    let (aws, calls) = fake_account(move |call| {
        (call.operation() == operation).then(|| {
            if body_only {
                Reply::HeadersOnly(200, vec![], 1024)
            } else {
                Reply::Never
            }
        })
    });
    let clients = clients_for(&aws.url).await;
    let body = json!({
        "bucket": "example-logs", "role_arn": ROLE, "write_test": true,
        "queue_url": format!("{}/123456789012/ingest", aws.url)
    });
    let started = Instant::now();
    let (status, verdict) = reply(&event_with(body, None), &clients, &settings(trust(true))).await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{verdict:#}");
    assert!(
        took < BUDGET + Duration::from_secs(1),
        "{operation}: the verdict took {took:?}"
    );
    let s = step(&verdict, step_name);
    let expected = if step_name == "posture" {
        "Warning"
    } else {
        "Failed"
    };
    assert_eq!(s["status"], expected, "{operation}: {verdict:#}");
    let text = s.to_string();
    assert!(
        text.contains("did not complete in time"),
        "{operation}: {text}"
    );
    assert!(operations(&calls).contains(&operation));
    verdict
}

#[tokio::test]
async fn unanswered_get_caller_identity_times_out_the_credentials_step() {
    hang_at("GetCallerIdentity", false, "credentials").await;
}

#[tokio::test]
async fn unanswered_assume_role_times_out_the_assume_role_step() {
    hang_at("AssumeRole", false, "assume_role").await;
}

#[tokio::test]
async fn unanswered_head_bucket_times_out_the_bucket_step() {
    hang_at("HeadBucket", false, "bucket").await;
}

#[tokio::test]
async fn unanswered_list_times_out_the_list_step() {
    hang_at("ListObjectsV2", false, "list").await;
}

#[tokio::test]
async fn unanswered_head_object_times_out_the_read_step() {
    hang_at("HeadObject", false, "read").await;
}

#[tokio::test]
async fn object_body_that_never_arrives_times_out_the_read_step() {
    hang_at("GetObject", true, "read").await;
}

#[tokio::test]
async fn unanswered_posture_call_is_a_timeout_warning() {
    hang_at("GetPublicAccessBlock", false, "posture").await;
}

#[tokio::test]
async fn unanswered_put_times_out_the_write_test() {
    hang_at("PutObject", false, "write_test").await;
}

#[tokio::test]
async fn unanswered_queue_attributes_time_out_the_queue_step() {
    hang_at("GetQueueAttributes", false, "queue").await;
}

#[tokio::test]
async fn unanswered_notification_configuration_times_out_the_queue_step() {
    hang_at("GetBucketNotificationConfiguration", false, "queue").await;
}

#[tokio::test]
async fn slow_answers_on_every_call_end_within_the_budget() {
    // Each answer comes just inside the step timeout: only the total budget can stop it.
    let (aws, _) = fake_account(|call| {
        Some(Reply::After(
            Duration::from_millis(700),
            healthy_account(call),
        ))
    });
    let clients = clients_for(&aws.url).await;
    let body = json!({
        "bucket": "example-logs", "role_arn": ROLE, "write_test": true,
        "queue_url": format!("{}/123456789012/ingest", aws.url)
    });
    let started = Instant::now();
    let (status, verdict) = reply(&event_with(body, None), &clients, &settings(trust(true))).await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert!(took < BUDGET + Duration::from_secs(1), "took {took:?}");
    assert_eq!(verdict["status"], "Failed", "{verdict:#}");
    assert!(
        verdict.to_string().contains("did not complete in time"),
        "{verdict:#}"
    );
}

#[tokio::test]
async fn beacon_body_that_never_arrives_fails_the_write_test_and_the_beacon_is_still_deleted() {
    let (aws, calls) = fake_account(|call| {
        (call.operation() == "GetObject" && call.path.contains("s3connector-connection-test-"))
            .then(|| Reply::HeadersOnly(200, vec![], 512))
    });
    let clients = clients_for(&aws.url).await;
    let body = json!({"bucket": "example-logs", "role_arn": ROLE, "write_test": true});
    let started = Instant::now();
    let (status, verdict) = reply(&event_with(body, None), &clients, &settings(trust(false))).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < BUDGET + Duration::from_secs(1));
    let w = step(&verdict, "write_test");
    assert_eq!(w["status"], "Failed", "{verdict:#}");
    let ops = operations(&calls);
    let put = ops
        .iter()
        .position(|o| *o == "PutObject")
        .expect("a beacon was put");
    assert!(
        ops[put..].contains(&"DeleteObject"),
        "the beacon was left behind: {ops:?}"
    );
}

#[tokio::test]
async fn unreadable_notification_configuration_is_a_warning_not_a_permission_to_grant() {
    // Some S3-compatible endpoints answer 200 with a body the SDK cannot parse.
    let (aws, _) = fake_account(|call| {
        (call.operation() == "GetBucketNotificationConfiguration").then(|| {
            Reply::Now((
                200,
                vec![("content-type", "application/xml".into())],
                "<Unexpected><Thing/></Unexpected>".into(),
            ))
        })
    });
    let clients = clients_for(&aws.url).await;
    let body = json!({
        "bucket": "example-logs", "role_arn": ROLE,
        "queue_url": format!("{}/123456789012/ingest", aws.url)
    });
    let (_, verdict) = reply(&event_with(body, None), &clients, &settings(trust(true))).await;
    let q = step(&verdict, "queue");
    assert_eq!(q["status"], "Warning", "{verdict:#}");
    let message = q["message"].as_str().unwrap();
    assert!(message.contains("could not be read"), "{message}");
    assert!(!message.contains("notifies it of new objects"), "{message}");
    assert!(!q["remediation"].as_str().unwrap().contains("may perform"));
}
