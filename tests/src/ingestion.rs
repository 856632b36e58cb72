//! An ingestion scene on the emulator: a logs bucket, an output bucket, a queue the logs
//! bucket notifies, and helpers to build SQS events, run the handler and read what it
//! delivered and rejected.

use std::io::Read;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use futures_util::StreamExt;
use s3connector::aws::Clients;
use s3connector::config::Config;
use s3connector::ingest::{self, IngestConfig, IngestContext, Outcome};
use serde_json::{json, Value};

use crate::{create_queue, notify_queue, receive_as_sqs_event, unique_name, Emulator};

/// Buckets and queue of one test, on the emulator.
pub struct Scene {
    /// Keeps the emulator (if private) alive.
    pub emulator: Emulator,
    /// Clients on the emulator.
    pub clients: Clients,
    /// Bucket the logs are written to.
    pub logs: String,
    /// Bucket the S3 sink writes to.
    pub output: String,
    /// Queue the logs bucket notifies.
    pub queue_url: String,
    /// Its ARN.
    pub queue_arn: String,
}

impl Scene {
    /// Creates the buckets and the notified queue on the shared (or a private) emulator.
    pub async fn new() -> Scene {
        let emulator = Emulator::start();
        let clients = emulator.clients().await;
        let logs = unique_name("it-src");
        let output = unique_name("it-out");
        for b in [&logs, &output] {
            clients.s3().create_bucket().bucket(b).send().await.unwrap();
        }
        let (queue_url, queue_arn) = create_queue(&clients, &unique_name("it-ingest"))
            .await
            .unwrap();
        notify_queue(&clients, &logs, &queue_arn).await.unwrap();
        Scene {
            emulator,
            clients,
            logs,
            output,
            queue_url,
            queue_arn,
        }
    }

    /// An ingest context writing to the output bucket, with `extra` settings, using
    /// `clients` (the scene's own, or clients through a fault-injecting proxy).
    pub fn context_with(&self, clients: &Clients, extra: &[(&str, &str)]) -> IngestContext {
        let mut vars: Vec<(String, String)> =
            vec![("S3CONNECTOR_OUTPUT_BUCKET".into(), self.output.clone())];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        // Later settings win, so `extra` can replace the output bucket.
        let lookup = move |k: &str| {
            vars.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        let config = Config::from_lookup(&lookup).unwrap();
        let settings = IngestConfig::from_lookup(&lookup).unwrap();
        IngestContext::new(&config, settings, clients.clone(), clients.clone(), &lookup).unwrap()
    }

    /// [`Self::context_with`] the scene's own clients.
    pub fn context(&self, extra: &[(&str, &str)]) -> IngestContext {
        self.context_with(&self.clients, extra)
    }

    /// Writes `body` at `key` in the logs bucket.
    pub async fn put(&self, key: &str, body: Vec<u8>) {
        self.clients
            .s3()
            .put_object()
            .bucket(&self.logs)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    }

    /// Puts `key` in the logs bucket and returns its notification as the SQS event.
    pub async fn put_and_receive(&self, key: &str, body: Vec<u8>) -> Value {
        self.put(key, body).await;
        receive_as_sqs_event(&self.clients, &self.queue_url, &self.queue_arn, 1)
            .await
            .unwrap()
    }

    /// Every object under `prefix` in the output bucket (all pages): key and
    /// decompressed text, sorted by key.
    pub async fn output_objects(&self, prefix: &str) -> Vec<(String, String)> {
        self.objects_in(&self.output, prefix).await
    }

    /// [`Self::output_objects`] of any bucket.
    pub async fn objects_in(&self, bucket: &str, prefix: &str) -> Vec<(String, String)> {
        let s3 = self.clients.s3();
        let mut keys = Vec::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.unwrap();
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from)),
            );
        }
        // Fetched several at a time: load tests read thousands of objects back.
        let mut out: Vec<(String, String)> = futures_util::stream::iter(keys)
            .map(|key| {
                let s3 = s3.clone();
                async move {
                    let bytes = s3
                        .get_object()
                        .bucket(bucket)
                        .key(&key)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
                        .body
                        .collect()
                        .await
                        .unwrap()
                        .into_bytes();
                    let text = if key.ends_with(".gz") {
                        let mut t = String::new();
                        flate2::read::MultiGzDecoder::new(&bytes[..])
                            .read_to_string(&mut t)
                            .unwrap();
                        t
                    } else {
                        String::from_utf8(bytes.to_vec()).unwrap()
                    };
                    (key, text)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        out.sort();
        out
    }

    /// Every event the S3 sink delivered (all `source=` objects), parsed.
    pub async fn delivered_events(&self) -> Vec<Value> {
        self.events_in(&self.output).await
    }

    /// [`Self::delivered_events`] of any bucket the sink wrote to.
    pub async fn events_in(&self, bucket: &str) -> Vec<Value> {
        self.objects_in(bucket, "source=")
            .await
            .iter()
            .flat_map(|(key, text)| {
                text.lines()
                    .map(|l| {
                        serde_json::from_str::<Value>(l)
                            .unwrap_or_else(|e| panic!("{key}: not JSON ({e}): {l}"))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Every reject record, parsed.
    pub async fn reject_records(&self) -> Vec<Value> {
        self.output_objects("rejects/")
            .await
            .iter()
            .map(|(key, text)| {
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{key}: not JSON ({e})"))
            })
            .collect()
    }
}

/// Runs the handler on `event` with ten minutes left.
pub async fn run(ctx: &IngestContext, event: Value) -> Outcome {
    ingest::handle(event, ctx, Instant::now() + Duration::from_secs(600)).await
}

/// The S3 notification record for `key` in `bucket`, as S3 sends it (the key
/// form-encoded: space as `+`, everything but unreserved characters and `/` as `%XX`).
pub fn s3_record(bucket: &str, key: &str, size: usize) -> Value {
    let encoded: String = key
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T10:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": encoded, "size": size}}
    })
}

/// A direct-invocation S3 event holding one notification for `key`.
pub fn s3_event(bucket: &str, key: &str, size: usize) -> Value {
    json!({"Records": [s3_record(bucket, key, size)]})
}

/// One SQS record as Lambda delivers it, carrying `body`.
pub fn sqs_record(message_id: &str, body: &str, queue_arn: &str) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("handle-{message_id}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}
