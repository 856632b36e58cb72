//! Connection tests against the emulator: the data-plane paths a user meets.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ServerSideEncryption,
};
use aws_sdk_sqs::types::QueueAttributeName;
use integration_tests::{create_queue, notify_queue, unique_name, Emulator};
use s3connector::aws::Clients;
use s3connector::connection::role_policy::RoleAllowList;
use s3connector::connection::{
    self, AccountScope, ConnectionTestRequest, EndpointTrust, ExternalIds, Overall, StepName,
    StepStatus, TestSettings, Trust, Verdict,
};
use serde_json::{json, Value};

/// The endpoint's trust as a deployment in moto's default account would set it, with its
/// own identity lent (most tests here are about the data plane, not about roles).
fn settings() -> TestSettings {
    TestSettings::new(Trust::Endpoint(EndpointTrust {
        roles: RoleAllowList::parse("arn:aws:iam::*:role/s3connector-*").unwrap(),
        accounts: AccountScope::Listed(["123456789012".to_string()].into_iter().collect()),
        external_ids: ExternalIds {
            default: None,
            per_account: [("123456789012".to_string(), "tenant-42".to_string().into())]
                .into_iter()
                .collect(),
        },
        allow_function_identity: true,
        local_endpoints: true,
        partition: "aws".into(),
    }))
}

async fn test(clients: &Clients, body: Value) -> Verdict {
    let request: ConnectionTestRequest = serde_json::from_value(body).unwrap();
    connection::run(clients, &settings(), &request.validate().unwrap()).await
}

fn step(v: &Verdict, name: StepName) -> &connection::StepReport {
    v.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name:?} step in {v:#?}"))
}

#[tokio::test]
async fn missing_bucket_fails_and_skips_dependent_steps() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-missing");
    let v = test(&clients, json!({ "bucket": bucket })).await;
    assert_eq!(v.status, Overall::Failed);
    assert_eq!(step(&v, StepName::Credentials).status, StepStatus::Passed);
    let b = step(&v, StepName::Bucket);
    assert_eq!(b.status, StepStatus::Failed);
    assert!(b.message.contains(&bucket), "{}", b.message);
    assert!(b.remediation.as_deref().unwrap().contains(&bucket));
    for s in [StepName::List, StepName::Read, StepName::Posture] {
        assert_eq!(step(&v, s).status, StepStatus::Skipped, "{s:?}");
        assert!(step(&v, s).message.contains("bucket failed"));
    }
}

#[tokio::test]
async fn empty_bucket_passes_and_says_there_is_nothing_to_read_yet() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-empty");
    clients
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let v = test(
        &clients,
        json!({ "bucket": format!("s3://{bucket}/AWSLogs/") }),
    )
    .await;
    assert_eq!(v.status, Overall::Successful, "{v:#?}");
    assert!(step(&v, StepName::List)
        .message
        .contains("no objects there yet"));
    let read = step(&v, StepName::Read);
    assert_eq!(read.status, StepStatus::Skipped);
    assert!(read.message.contains("no object under the prefix"));
    // A fresh emulator bucket has no public access block and no versioning: advice only.
    assert_eq!(step(&v, StepName::Posture).status, StepStatus::Warning);
    assert!(!step(&v, StepName::Posture).mandatory);
    // moto answers GetBucketVersioning with an empty document: never enabled, not an
    // answer that could not be read.
    let posture = &step(&v, StepName::Posture).message;
    assert!(posture.contains("versioning not enabled"), "{posture}");
    assert!(!posture.contains("could not be read"), "{posture}");
}

#[tokio::test]
async fn kms_encrypted_object_is_read_and_identified() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    let bucket = unique_name("it-kms");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    s3.put_object()
        .bucket(&bucket)
        .key("logs/a.log")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(key_arn)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let v = test(&clients, json!({ "bucket": bucket, "prefix": "logs/" })).await;
    assert_eq!(v.status, Overall::Successful, "{v:#?}");
    let read = step(&v, StepName::Read);
    assert_eq!(read.status, StepStatus::Passed);
    assert!(
        read.message.contains("SSE-KMS") && read.message.contains(key_arn),
        "{}",
        read.message
    );
    assert_eq!(read.action.as_deref(), Some("s3:GetObject, kms:Decrypt"));
}

#[tokio::test]
async fn bucket_in_another_region_is_found_and_reported() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-eu");
    clients
        .s3_in("eu-west-1")
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v = test(&clients, json!({ "bucket": bucket, "region": "us-east-1" })).await;
    let b = step(&v, StepName::Bucket);
    assert!(b.message.contains("eu-west-1"), "{v:#?}");
    assert_eq!(v.status, Overall::Successful, "{v:#?}");
}

#[tokio::test]
async fn write_test_cleans_up_its_beacon() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    let bucket = unique_name("it-write");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let v = test(
        &clients,
        json!({ "bucket": bucket, "prefix": "incoming/", "write_test": true }),
    )
    .await;
    let w = step(&v, StepName::WriteTest);
    assert_eq!(w.status, StepStatus::Passed, "{v:#?}");
    assert!(w.message.contains(&format!(
        "s3://{bucket}/incoming/s3connector-connection-test-"
    )));
    let left = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(
        left.key_count(),
        Some(0),
        "beacon left behind: {:?}",
        left.contents()
    );
}

#[tokio::test]
async fn queue_without_policy_for_the_bucket_fails_with_the_statement_to_add() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-q");
    clients
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let (url, arn) = create_queue(&clients, &unique_name("it-q")).await.unwrap();
    notify_queue(&clients, &bucket, &arn).await.unwrap();
    let v = test(&clients, json!({ "bucket": bucket, "queue_url": url })).await;
    let q = step(&v, StepName::Queue);
    assert_eq!(q.status, StepStatus::Failed, "{v:#?}");
    assert_eq!(v.status, Overall::Failed);
    assert!(q.message.contains("no access policy"), "{}", q.message);
    let fix = q.remediation.as_deref().unwrap();
    assert!(
        fix.contains("\"aws:SourceArn\":\"arn:aws:s3:::") && fix.contains(&arn),
        "{fix}"
    );
}

#[tokio::test]
async fn bucket_notifying_another_queue_fails_and_names_both_queues() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-q2");
    clients
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let (url, arn) = create_queue(&clients, &unique_name("it-ours"))
        .await
        .unwrap();
    let (_, other_arn) = create_queue(&clients, &unique_name("it-other"))
        .await
        .unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{bucket}")}}
    }]});
    clients
        .sqs()
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .unwrap();
    notify_queue(&clients, &bucket, &other_arn).await.unwrap();
    let v = test(&clients, json!({ "bucket": bucket, "queue_url": url })).await;
    let q = step(&v, StepName::Queue);
    assert_eq!(q.status, StepStatus::Failed, "{v:#?}");
    assert!(
        q.message.contains(&other_arn) && q.message.contains(&arn),
        "{}",
        q.message
    );
    assert!(q
        .remediation
        .as_deref()
        .unwrap()
        .contains("s3:ObjectCreated:*"));

    // Pointing the notification at our queue makes the same test pass.
    notify_queue(&clients, &bucket, &arn).await.unwrap();
    let v = test(&clients, json!({ "bucket": bucket, "queue_url": url })).await;
    assert_eq!(
        step(&v, StepName::Queue).status,
        StepStatus::Passed,
        "{v:#?}"
    );
}

#[tokio::test]
async fn role_outside_allowed_patterns_is_refused_without_assuming_it() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let v = test(
        &clients,
        json!({ "bucket": "any-bucket", "role_arn": "arn:aws:iam::123456789012:role/Admin", "external_id": "ext-123" }),
    )
    .await;
    let a = step(&v, StepName::AssumeRole);
    assert_eq!(a.status, StepStatus::Failed);
    assert_eq!(a.error_code.as_deref(), Some("RoleNotAllowed"));
    assert!(a
        .remediation
        .as_deref()
        .unwrap()
        .contains("arn:aws:iam::*:role/s3connector-*"));
    assert_eq!(step(&v, StepName::Bucket).status, StepStatus::Skipped);
}

#[tokio::test]
async fn allowed_role_is_assumed_and_used_for_the_bucket() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let bucket = unique_name("it-role");
    clients
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let v = test(
        &clients,
        json!({ "bucket": bucket, "role_arn": "arn:aws:iam::123456789012:role/s3connector-reader",
                "external_id": "tenant-42", "session_name": "it-check", "duration_seconds": 900 }),
    )
    .await;
    assert_eq!(
        step(&v, StepName::AssumeRole).status,
        StepStatus::Passed,
        "{v:#?}"
    );
    assert!(step(&v, StepName::AssumeRole).message.contains("it-check"));
    assert_eq!(v.status, Overall::Successful, "{v:#?}");
    // The external ID is a secret: it appears nowhere in the verdict.
    assert!(!serde_json::to_string(&v).unwrap().contains("tenant-42"));
}
