//! Load: thousands of objects (mixed log types, some bad) announced by real S3
//! notifications, drained from the queue by several handler instances at once, as Lambda
//! runs them; then a reconciliation: every object delivered or rejected, record counts equal
//! to the source's, no uid twice, no message left.
//!
//! `S3CONNECTOR_LOAD_OBJECTS` sets the number of objects (default 5,000).

use std::collections::HashSet;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use futures_util::{stream, StreamExt};
use integration_tests::ingestion::{run, Scene};
use integration_tests::samples::{self, gzip};
use serde_json::{json, Value};

const ACCT: &str = "123456789012";
/// Handler instances draining the queue at once.
const INSTANCES: usize = 4;
/// Objects put and not yet handled at most: objects arrive while the instances drain.
const BACKLOG: usize = 200;

/// What one object must become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// This many records delivered.
    Records(u64),
    /// Rejected as a whole.
    Rejected,
}

/// Object `i` of the load: key, body and fate. One in 25 is bad (binary or truncated).
fn object(i: usize) -> (String, Vec<u8>, Fate) {
    let day = "2026/11/23";
    let n = 1 + i % 7;
    let mut body = Vec::new();
    match i % 25 {
        0 => {
            let mut x = i as u32 | 1;
            let blob: Vec<u8> = (0..4096)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x >> 24) as u8
                })
                .collect();
            (format!("uploads/{i:05}.bin"), blob, Fate::Rejected)
        }
        12 => {
            samples::cloudtrail(&mut body, 50, i as u64).unwrap();
            let whole = gzip(&body);
            (
                format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/{day}/{ACCT}_CloudTrail_us-east-1_20261123T1000Z_{i:05}.json.gz"),
                whole[..whole.len() / 2].to_vec(),
                Fate::Rejected,
            )
        }
        k if k % 3 == 0 => {
            samples::cloudtrail(&mut body, n, i as u64).unwrap();
            (
                format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/{day}/{ACCT}_CloudTrail_us-east-1_20261123T1000Z_{i:05}.json.gz"),
                gzip(&body),
                Fate::Records(n as u64),
            )
        }
        k if k % 3 == 1 => {
            samples::vpc_flow(&mut body, n, i as u64).unwrap();
            (
                format!("AWSLogs/{ACCT}/vpcflowlogs/us-east-1/{day}/{ACCT}_vpcflowlogs_us-east-1_fl-0a1b2c3d_20261123T1000Z_{i:05}.log.gz"),
                gzip(&body),
                Fate::Records(n as u64),
            )
        }
        _ => {
            samples::alb(&mut body, n, i as u64).unwrap();
            (
                format!("AWSLogs/{ACCT}/elasticloadbalancing/us-east-1/{day}/{ACCT}_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_{i:05}.log.gz"),
                gzip(&body),
                Fate::Records(n as u64),
            )
        }
    }
}

/// Receives up to 10 messages as the SQS event Lambda would deliver, or `None` when the
/// queue gave nothing.
async fn receive(s: &Scene) -> Option<(Value, Vec<(String, String)>)> {
    let got = s
        .clients
        .sqs()
        .receive_message()
        .queue_url(&s.queue_url)
        .max_number_of_messages(10)
        .visibility_timeout(300)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    if got.messages().is_empty() {
        return None;
    }
    let mut records = Vec::new();
    let mut handles = Vec::new();
    for m in got.messages() {
        let id = m.message_id().unwrap().to_string();
        handles.push((id.clone(), m.receipt_handle().unwrap().to_string()));
        records.push(integration_tests::ingestion::sqs_record(
            &id,
            m.body().unwrap_or_default(),
            &s.queue_arn,
        ));
    }
    Some((json!({ "Records": records }), handles))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_objects_drained_by_concurrent_handlers_reconcile_exactly() {
    let count: usize = std::env::var("S3CONNECTOR_LOAD_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let s = Arc::new(Scene::new().await);

    // Several handler instances drain the queue while the objects arrive, as concurrent
    // Lambda invocations do: each deletes the messages it handled and leaves failed ones
    // for redelivery. SQS delivers at least once: a message may reach two instances;
    // output keys are deterministic, so that must not duplicate anything. (Draining while
    // putting, with at most BACKLOG objects put and not yet handled, also keeps the
    // emulator's queue short: moto recounts every message of a queue on each SendMessage
    // and ReceiveMessage, so a queue thousands deep slows it quadratically.)
    let handled = Arc::new(Mutex::new(HashSet::new()));
    let handled_count = Arc::new(AtomicUsize::new(0));
    let all_put = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (s, handled, all_put) = (s.clone(), handled.clone(), all_put.clone());
            let handled_count = handled_count.clone();
            tokio::spawn(async move {
                let ctx = s.context(&[]);
                let mut idle = 0;
                let mut failed = Vec::new();
                // Stop after three empty receives in a row once every object is put.
                while !(all_put.load(Ordering::SeqCst) && idle >= 3)
                    && started.elapsed() < Duration::from_secs(3600)
                {
                    let Some((event, handles)) = receive(&s).await else {
                        if all_put.load(Ordering::SeqCst) {
                            idle += 1;
                        }
                        continue;
                    };
                    idle = 0;
                    let outcome = run(&ctx, event).await;
                    failed.extend(outcome.failed_message_ids.iter().cloned());
                    let done: Vec<DeleteMessageBatchRequestEntry> = handles
                        .iter()
                        .filter(|(id, _)| !outcome.failed_message_ids.contains(id))
                        .map(|(id, h)| {
                            DeleteMessageBatchRequestEntry::builder()
                                .id(id)
                                .receipt_handle(h)
                                .build()
                                .unwrap()
                        })
                        .collect();
                    {
                        let mut handled = handled.lock().unwrap();
                        handled.extend(handles.iter().map(|(id, _)| id.clone()));
                        handled_count.store(handled.len(), Ordering::SeqCst);
                    }
                    if !done.is_empty() {
                        let out = s
                            .clients
                            .sqs()
                            .delete_message_batch()
                            .queue_url(&s.queue_url)
                            .set_entries(Some(done))
                            .send()
                            .await
                            .unwrap();
                        // A batch delete can fail per entry while the call succeeds:
                        // delete those one by one, as the Lambda poller retries them.
                        for f in out.failed() {
                            let (_, handle) = handles.iter().find(|(id, _)| id == f.id()).unwrap();
                            s.clients
                                .sqs()
                                .delete_message()
                                .queue_url(&s.queue_url)
                                .receipt_handle(handle)
                                .send()
                                .await
                                .unwrap_or_else(|e| panic!("delete {}: {e:?} after {f:?}", f.id()));
                        }
                    }
                }
                failed
            })
        })
        .collect();

    let fates: HashMap<String, Fate> = stream::iter(0..count)
        .map(|i| {
            let (s, handled_count) = (s.clone(), handled_count.clone());
            async move {
                while i > handled_count.load(Ordering::SeqCst) + BACKLOG {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let (key, body, fate) = object(i);
                s.put(&key, body).await;
                (key, fate)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    all_put.store(true, Ordering::SeqCst);
    eprintln!("load: {count} objects put in {:?}", started.elapsed());

    let mut failed = Vec::new();
    for w in workers {
        failed.extend(w.await.unwrap());
    }
    assert!(
        failed.is_empty(),
        "no message may fail without a fault: {failed:?}"
    );
    // One message per object, plus the s3:TestEvent S3 sends when notifications are set up.
    let handled = handled.lock().unwrap().len();
    assert!(
        (count..=count + 1).contains(&handled),
        "{handled} messages handled for {count} objects"
    );
    let left = s
        .clients
        .sqs()
        .get_queue_attributes()
        .queue_url(&s.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = left.attributes().cloned().unwrap_or_default();
    // Nothing left to receive. (moto's count of messages in flight is not kept exact
    // when receives run concurrently, so it is not checked: that every message was
    // handled is checked above, by id.)
    let visible = attrs
        .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .map(String::as_str);
    assert_eq!(visible, Some("0"), "messages left in the queue");

    eprintln!(
        "load: queue drained {:?} after the first put",
        started.elapsed()
    );

    // Reconcile against the source.
    let mut delivered: BTreeMap<String, u64> = BTreeMap::new();
    let mut uids: HashMap<String, u32> = HashMap::new();
    for e in s.delivered_events().await {
        let key = e["unmapped"]["source_object"]["key"]
            .as_str()
            .unwrap()
            .to_string();
        *delivered.entry(key).or_default() += 1;
        *uids
            .entry(e["metadata"]["uid"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let rejected: Vec<String> = s
        .reject_records()
        .await
        .iter()
        .map(|r| {
            assert_eq!(r["kind"], "object", "{r}");
            r["object"]["key"].as_str().unwrap().to_string()
        })
        .collect();
    let mut wrong = Vec::new();
    for (key, fate) in &fates {
        let got = match (
            delivered.get(key),
            rejected.iter().filter(|k| *k == key).count(),
        ) {
            (None, 1) => Fate::Rejected,
            (Some(n), 0) => Fate::Records(*n),
            other => {
                wrong.push(format!("{key}: delivered and rejected counts {other:?}"));
                continue;
            }
        };
        if got != *fate {
            wrong.push(format!("{key}: expected {fate:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} objects wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        delivered.len() + rejected.len(),
        count,
        "no event from elsewhere"
    );
    let total: u64 = fates
        .values()
        .map(|f| match f {
            Fate::Records(n) => *n,
            Fate::Rejected => 0,
        })
        .sum();
    assert_eq!(uids.len() as u64, total, "one uid per source record");
    assert!(uids.values().all(|n| *n == 1), "a uid delivered twice");
}
