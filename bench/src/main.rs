//! s3connector benchmarks. Throughput is always reported as a ratio against a baseline
//! measured in the same run on the same input, so figures compare across machines.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;

fn main() {
    println!("s3connector benchmarks (one core, release build)");
    notification_decoding();
}

/// Decoding SQS message bodies into object references, against parsing the same bodies
/// into `serde_json::Value` (the least any decoder must do).
fn notification_decoding() {
    let bodies: Vec<String> = (0..20_000)
        .map(|i| {
            json!({"Records": [{
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2026-11-23T10:15:30.123Z", "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S"},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "ingest",
                    "bucket": {"name": "example-logs", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": "arn:aws:s3:::example-logs"},
                    "object": {"key": format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/23/file+{i}%2B.json.gz"),
                        "size": 1024 + i, "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0055AED6DCD90281E5"}}
            }]})
            .to_string()
        })
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();

    let baseline = best_of(5, || {
        for b in &bodies {
            black_box(serde_json::from_str::<serde_json::Value>(b).expect("valid JSON"));
        }
    });
    let decoder = best_of(5, || {
        for b in &bodies {
            black_box(s3connector::notification::decode(b).expect("valid notification"));
        }
    });
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!(
        "notification decode: {:.0} MB/s ({:.0} messages/s); baseline serde_json::Value parse: {:.0} MB/s; ratio {:.2}",
        mbps(decoder),
        bodies.len() as f64 / decoder.as_secs_f64(),
        mbps(baseline),
        baseline.as_secs_f64() / decoder.as_secs_f64()
    );
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}
