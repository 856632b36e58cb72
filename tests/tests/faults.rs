//! Ingestion under injected faults. The functions' SDK talks to the emulator through the
//! loopback fault proxy (`tests/src/fault_proxy.rs`), which answers chosen calls with
//! 500 InternalError or 503 SlowDown, resets connections, answers slowly, never answers,
//! or stalls a GetObject body: faults moto cannot produce.
//!
//! Proven here: faults the SDK's retries absorb cost nothing; faults that outlast them fail
//! exactly the messages of the affected objects (nothing else in the batch); and once the
//! faults stop and those messages are redelivered, every record is in the S3 sink exactly
//! once: the uids equal, one for one, those of a fault-free run of the same objects.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use integration_tests::fault_proxy::{Fault, FaultProxy};
use integration_tests::ingestion::{run, Scene};
use integration_tests::receive_as_sqs_event;
use integration_tests::samples::{self, gzip};
use serde_json::{json, Value};

const ACCT: &str = "123456789012";

/// The objects of the test: key and body, each key with a marker the rules match on.
fn objects() -> Vec<(String, Vec<u8>)> {
    let day = "2026/11/23";
    let flow = |name: &str, seed: u64| {
        let mut v = Vec::new();
        samples::vpc_flow(&mut v, 400, seed).unwrap();
        (format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/{day}/{ACCT}_vpcflowlogs_us-east-1_fl-0a1b2c3d_20261123T1000Z_{name}.log.gz"), gzip(&v))
    };
    let mut trail = Vec::new();
    samples::cloudtrail(&mut trail, 300, 7).unwrap();
    let mut alb = Vec::new();
    samples::alb(&mut alb, 300, 8).unwrap();
    vec![
        flow("retried500", 1),
        flow("throttled", 2),
        flow("reset", 3),
        flow("slow", 4),
        flow("unanswered", 5),
        flow("stalled", 6),
        flow("untouched", 7),
        (format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/{day}/{ACCT}_CloudTrail_us-east-1_20261123T1000Z_sinkfault.json.gz"), gzip(&trail)),
        (format!("AWSLogs/{ACCT}/elasticloadbalancing/us-east-1/{day}/{ACCT}_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_untouched.log.gz"), gzip(&alb)),
    ]
}

/// The object key a message announces (S3 form-encodes it).
fn key_of(message: &Value) -> String {
    let body: Value = serde_json::from_str(message["body"].as_str().unwrap()).unwrap();
    let encoded = body["Records"][0]["s3"]["object"]["key"].as_str().unwrap();
    percent_encoding::percent_decode_str(&encoded.replace('+', " "))
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// uid -> number of times delivered, over every event in `bucket`.
async fn delivered_uids(s: &Scene, bucket: &str) -> BTreeMap<String, usize> {
    let mut uids = BTreeMap::new();
    for e in s.events_in(bucket).await {
        *uids
            .entry(e["metadata"]["uid"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    uids
}

#[tokio::test]
async fn faults_fail_only_their_messages_and_after_redelivery_every_record_arrives_once() {
    let s = Scene::new().await;
    let objects = objects();
    for (key, body) in &objects {
        s.put(key, body.clone()).await;
    }
    let event = receive_as_sqs_event(&s.clients, &s.queue_url, &s.queue_arn, objects.len())
        .await
        .unwrap();
    let messages = event["Records"].as_array().unwrap().clone();

    // The expected set: the same messages through a fault-free path into another bucket.
    let clean = integration_tests::unique_name("it-clean");
    s.clients
        .s3()
        .create_bucket()
        .bucket(&clean)
        .send()
        .await
        .unwrap();
    let outcome = run(
        &s.context(&[("S3CONNECTOR_OUTPUT_BUCKET", &clean)]),
        event.clone(),
    )
    .await;
    assert!(outcome.failed_message_ids.is_empty(), "{outcome:#?}");
    let expected: BTreeSet<String> = {
        let uids = delivered_uids(&s, &clean).await;
        assert!(uids.values().all(|n| *n == 1));
        uids.into_keys().collect()
    };
    assert_eq!(expected.len(), 7 * 400 + 300 + 300);

    // The functions' clients go through the proxy, with short timeouts so that calls
    // that are never answered fail in seconds (production: 30 s, the same mechanism).
    let proxy = FaultProxy::start(&s.emulator.endpoint);
    let faulty = s.emulator.clients_via(&proxy.url).await.with_timeouts(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_secs(2))
            .build(),
    );
    // Absorbed by the SDK's retries (3 attempts): two 500s, one reset, a slow answer.
    proxy.inject("GetObject", "retried500", Fault::InternalError, 2);
    proxy.inject("GetObject", "reset", Fault::Reset, 1);
    proxy.inject(
        "GetObject",
        "slow",
        Fault::Slow(Duration::from_millis(1500)),
        1,
    );
    // Outlasting them: throttling on every attempt, no answer at all, a body that stops,
    // and the sink's PutObject throttled for one source's output.
    proxy.inject("GetObject", "throttled", Fault::SlowDown, 100);
    proxy.inject("GetObject", "unanswered", Fault::Timeout, 100);
    proxy.inject("GetObject", "stalled", Fault::StallBody, 100);
    proxy.inject("PutObject", "cloudtrail", Fault::SlowDown, 100);
    let ctx = s.context_with(&faulty, &[]);

    let outcome = run(&ctx, event).await;

    let failed: BTreeSet<String> = messages
        .iter()
        .filter(|m| {
            outcome
                .failed_message_ids
                .iter()
                .any(|id| m["messageId"] == id.as_str())
        })
        .map(key_of)
        .collect();
    let markers = ["throttled", "unanswered", "stalled", "sinkfault"];
    let want: BTreeSet<String> = objects
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| markers.iter().any(|m| k.contains(m)))
        .collect();
    assert_eq!(
        failed, want,
        "exactly the objects whose faults outlast the retries fail: {outcome:#?}"
    );
    assert_eq!(outcome.failed_message_ids.len(), want.len());
    // Retries stay within the SDK's limit: no call of one object is tried more than 3 times.
    let seen = proxy.seen();
    for marker in ["retried500", "throttled", "unanswered", "reset", "slow"] {
        let tries = seen
            .iter()
            .filter(|c| c.operation == "GetObject" && c.path.contains(marker))
            .count();
        assert!(
            (1..=3).contains(&tries),
            "{marker}: {tries} GetObject attempts"
        );
    }
    assert!(proxy.faults_injected() >= 4 + 3 * 2, "{seen:#?}");
    // Nothing delivered twice, even the partly delivered objects.
    assert!(delivered_uids(&s, &s.output)
        .await
        .values()
        .all(|n| *n == 1));

    // The faults stop; Lambda redelivers the failed messages (and only those).
    proxy.heal();
    let redelivered: Vec<Value> = messages
        .iter()
        .filter(|m| {
            outcome
                .failed_message_ids
                .iter()
                .any(|id| m["messageId"] == id.as_str())
        })
        .cloned()
        .collect();
    let again = run(&ctx, json!({ "Records": redelivered })).await;
    assert!(again.failed_message_ids.is_empty(), "{again:#?}");

    let uids = delivered_uids(&s, &s.output).await;
    let twice: Vec<&String> = uids
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(u, _)| u)
        .collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let got: BTreeSet<String> = uids.into_keys().collect();
    assert_eq!(
        got.difference(&expected).count(),
        0,
        "uids that should not exist"
    );
    assert_eq!(expected.difference(&got).count(), 0, "uids lost");
    assert!(
        s.reject_records().await.is_empty(),
        "faults are transient, never rejects"
    );
}
