//! The HTTP sink end to end against a scripted HTTP server on loopback.

use super::config::tests::lookup;
use super::config::{
    GZIP_VAR, INDEX_VAR, MAX_ATTEMPTS_VAR, MAX_BATCH_BYTES_VAR, MAX_BATCH_RECORDS_VAR, PRESET_VAR,
    TIMEOUT_SECONDS_VAR,
};
use super::*;
use std::convert::Infallible;
use std::io::Read as _;
use std::sync::Mutex;
use std::time::Instant;

use http::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const TOKEN: &str = "s3cr3t-T0KEN-value";

/// A request as the test server saw it, body already gunzipped.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }
}

/// What the test server answers to one request.
struct Scripted {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

fn answer(status: u16, body: impl Into<String>) -> Scripted {
    Scripted {
        status,
        body: body.into(),
        headers: Vec::new(),
        delay: Duration::ZERO,
    }
}

struct TestServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl TestServer {
    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Starts an HTTP/1 server on 127.0.0.1 answering request `n` (0-based) with `respond(n, request)`.
async fn serve(
    respond: impl Fn(usize, &Received) -> Scripted + Send + Sync + 'static,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let respond = Arc::new(respond);
    let log = Arc::clone(&received);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let respond = Arc::clone(&respond);
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let respond = Arc::clone(&respond);
                    let log = Arc::clone(&log);
                    async move {
                        let at = Instant::now();
                        let (parts, body) = request.into_parts();
                        let raw = body.collect().await.unwrap().to_bytes();
                        let gzipped = parts
                            .headers
                            .get(CONTENT_ENCODING)
                            .is_some_and(|value| value == "gzip");
                        let body = if gzipped {
                            let mut plain = Vec::new();
                            flate2::read::MultiGzDecoder::new(&raw[..])
                                .read_to_end(&mut plain)
                                .unwrap();
                            plain
                        } else {
                            raw.to_vec()
                        };
                        let request = Received {
                            path: parts.uri.to_string(),
                            headers: parts.headers,
                            body,
                            at,
                        };
                        let number = {
                            let mut log = log.lock().unwrap();
                            log.push(request.clone());
                            log.len() - 1
                        };
                        let scripted = respond(number, &request);
                        tokio::time::sleep(scripted.delay).await;
                        let mut response = Response::builder().status(scripted.status);
                        for (name, value) in scripted.headers {
                            response = response.header(name, value);
                        }
                        Ok::<_, Infallible>(
                            response
                                .body(Full::new(Bytes::from(scripted.body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    TestServer { url, received }
}

/// A deadline no test reaches.
fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// Config for `url` plus `vars`, with millisecond backoff so retry tests run fast.
fn config(url: &str, vars: &[(&str, &str)]) -> HttpSinkConfig {
    let mut all = vec![(URL_VAR, url), (TOKEN_VAR, TOKEN)];
    all.extend_from_slice(vars);
    let mut config = HttpSinkConfig::from_lookup(lookup(&all)).unwrap().unwrap();
    config.backoff_base = Duration::from_millis(1);
    config.backoff_cap = Duration::from_millis(5);
    config
}

fn sink(url: &str, vars: &[(&str, &str)]) -> HttpSink {
    HttpSink::new(config(url, vars)).unwrap()
}

fn source() -> BatchSource {
    BatchSource {
        log_type: "cloudtrail".to_owned(),
        bucket: "logs-bucket".to_owned(),
        key: "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/file.json.gz".to_owned(),
        first_index: 3,
        object_id: "0123456789abcdef".into(),
    }
}

/// `count` records whose JSON is exactly `size` bytes (at least 40).
fn records(count: usize, size: usize) -> Vec<Record> {
    (0..count)
        .map(|i| {
            let head = format!(r#"{{"class_uid":6003,"n":"{i:04}","pad":""#);
            let json = format!("{head}{}\"}}", "x".repeat(size - head.len() - 2));
            assert_eq!(json.len(), size);
            Record {
                uid: format!("{i:064x}"),
                time_ms: Some(1_700_000_000_123 + i as i64),
                json,
            }
        })
        .collect()
}

fn ndjson(records: &[Record]) -> String {
    records
        .iter()
        .map(|record| format!("{}\n", record.json))
        .collect()
}

fn bulk_reply(statuses: &[u16]) -> String {
    let items: Vec<serde_json::Value> = statuses
        .iter()
        .map(|&status| {
            let mut item = serde_json::json!({"_index": "ocsf", "_id": "x", "status": status});
            if !(200..300).contains(&status) {
                item["error"] = serde_json::json!({
                    "type": format!("error_for_{status}"),
                    "reason": format!("reason for {status}"),
                });
            }
            serde_json::json!({ "create": item })
        })
        .collect();
    let errors = statuses.iter().any(|status| !(200..300).contains(status));
    serde_json::json!({"took": 3, "errors": errors, "items": items}).to_string()
}

#[tokio::test]
async fn records_are_split_into_batches_by_count() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[(MAX_BATCH_RECORDS_VAR, "2")]);
    let records = records(5, 100);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 5);
    let received = server.received();
    let sizes: Vec<usize> = received
        .iter()
        .map(|request| request.lines().len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    let all: String = received.iter().map(Received::text).collect();
    assert_eq!(all, ndjson(&records));
}

#[tokio::test]
async fn records_are_split_into_batches_by_uncompressed_bytes() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[(MAX_BATCH_BYTES_VAR, "1024")]);
    // 400 bytes + newline each: two fit in 1024, three do not.
    let records = records(5, 400);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 5);
    let received = server.received();
    let sizes: Vec<usize> = received.iter().map(|request| request.body.len()).collect();
    assert_eq!(sizes, [802, 802, 401]);
    let all: String = received.iter().map(Received::text).collect();
    assert_eq!(all, ndjson(&records));
}

#[tokio::test]
async fn record_larger_than_byte_limit_is_sent_alone() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[(MAX_BATCH_BYTES_VAR, "1024")]);
    let mut records = records(3, 100);
    records[1] = self::records(1, 2000).remove(0);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 3);
    let bodies: Vec<String> = server.received().iter().map(Received::text).collect();
    assert_eq!(
        bodies,
        [
            ndjson(&records[..1]),
            ndjson(&records[1..2]),
            ndjson(&records[2..])
        ]
    );
}

#[tokio::test]
async fn no_records_sends_no_request() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[]);

    assert_eq!(sink.deliver(&source(), &[], far()).await.unwrap(), 0);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn gzip_body_decodes_to_exact_ndjson_with_bearer_token() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[]);
    let records = records(3, 120);

    sink.deliver(&source(), &records, far()).await.unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("content-encoding"), Some("gzip"));
    assert_eq!(
        received[0].header("content-type"),
        Some("application/x-ndjson")
    );
    assert_eq!(
        received[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(received[0].text(), ndjson(&records));
}

#[tokio::test]
async fn gzip_disabled_sends_plain_ndjson() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[(GZIP_VAR, "false")]);
    let records = records(2, 80);

    sink.deliver(&source(), &records, far()).await.unwrap();

    let received = server.received();
    assert_eq!(received[0].header("content-encoding"), None);
    assert_eq!(received[0].text(), ndjson(&records));
}

#[tokio::test]
async fn splunk_hec_lines_have_documented_shape_and_splunk_authorization() {
    let server = serve(|_, _| answer(200, r#"{"text":"Success","code":0}"#)).await;
    let sink = sink(
        &server.url,
        &[(PRESET_VAR, "splunk_hec"), (INDEX_VAR, "security")],
    );
    let mut records = records(2, 90);
    records[1].time_ms = None;

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 2);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/services/collector/event");
    assert_eq!(
        received[0].header("authorization"),
        Some(&*format!("Splunk {TOKEN}"))
    );
    let lines = received[0].lines();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(r#"{"time":1700000000.123,"event":{"class_uid""#),
        "{}",
        lines[0]
    );
    for (line, record) in lines.iter().zip(&records) {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        let event: serde_json::Value = serde_json::from_str(&record.json).unwrap();
        assert_eq!(
            line["event"], event,
            "event is embedded as JSON, not as a string"
        );
        assert_eq!(line["sourcetype"], "ocsf:cloudtrail");
        assert_eq!(
            line["source"],
            "s3://logs-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/file.json.gz"
        );
        assert_eq!(line["index"], "security");
    }
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert!(
        second.get("time").is_none(),
        "a record without time lets Splunk use receipt time"
    );
}

#[tokio::test]
async fn splunk_server_busy_code_is_retried_then_transient() {
    let server = serve(|_, _| answer(200, r#"{"text":"Server is busy","code":9}"#)).await;
    let sink = sink(
        &server.url,
        &[(PRESET_VAR, "splunk_hec"), (MAX_ATTEMPTS_VAR, "3")],
    );

    let err = sink
        .deliver(&source(), &records(1, 50), far())
        .await
        .unwrap_err();

    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("Server is busy"), "{err}");
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn splunk_error_code_in_400_is_permanent_with_text() {
    let server = serve(|_, _| {
        answer(
            400,
            r#"{"text":"Incorrect index","code":7,"invalid-event-number":1}"#,
        )
    })
    .await;
    let sink = sink(
        &server.url,
        &[(PRESET_VAR, "splunk_hec"), (INDEX_VAR, "nope")],
    );

    let err = sink
        .deliver(&source(), &records(2, 50), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    let message = err.to_string();
    assert!(message.contains("code 7: Incorrect index"), "{message}");
    assert!(message.contains("event 1"), "{message}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn splunk_non_hec_reply_is_permanent() {
    let server = serve(|_, _| answer(200, "<html>Splunk Web login</html>")).await;
    let sink = sink(&server.url, &[(PRESET_VAR, "splunk_hec")]);

    let err = sink
        .deliver(&source(), &records(1, 50), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    assert!(
        err.to_string().contains("not a Splunk HEC acknowledgement"),
        "{err}"
    );
}

#[tokio::test]
async fn elasticsearch_bulk_alternates_action_and_document_lines_with_uid_as_id() {
    let server = serve(|_, request| {
        let documents = request.lines().len() / 2;
        answer(200, bulk_reply(&vec![201; documents]))
    })
    .await;
    let sink = sink(&server.url, &[(PRESET_VAR, "elasticsearch")]);
    let records = records(3, 70);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 3);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/_bulk");
    assert_eq!(
        received[0].header("authorization"),
        Some(&*format!("ApiKey {TOKEN}"))
    );
    assert_eq!(
        received[0].header("content-type"),
        Some("application/x-ndjson")
    );
    let expected: String = records
        .iter()
        .map(|record| {
            format!(
                "{{\"create\":{{\"_index\":\"ocsf\",\"_id\":\"{}\"}}}}\n{}\n",
                record.uid, record.json
            )
        })
        .collect();
    assert_eq!(received[0].text(), expected);
}

#[tokio::test]
async fn elasticsearch_conflict_item_counts_as_delivered() {
    let server = serve(|_, _| answer(200, bulk_reply(&[201, 409, 201]))).await;
    let sink = sink(&server.url, &[(PRESET_VAR, "elasticsearch")]);

    let delivered = sink
        .deliver(&source(), &records(3, 70), far())
        .await
        .unwrap();

    assert_eq!(delivered, 3);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn elasticsearch_throttled_item_is_retried_alone() {
    let server = serve(|n, _| match n {
        0 => answer(200, bulk_reply(&[201, 429, 409])),
        _ => answer(200, bulk_reply(&[201])),
    })
    .await;
    let sink = sink(&server.url, &[(PRESET_VAR, "elasticsearch")]);
    let records = records(3, 70);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 3);
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[1].text(),
        format!(
            "{{\"create\":{{\"_index\":\"ocsf\",\"_id\":\"{}\"}}}}\n{}\n",
            records[1].uid, records[1].json
        )
    );
}

#[tokio::test]
async fn elasticsearch_item_still_throttled_after_max_attempts_is_transient() {
    let server = serve(|n, _| match n {
        0 => answer(200, bulk_reply(&[201, 503])),
        _ => answer(200, bulk_reply(&[503])),
    })
    .await;
    let sink = sink(
        &server.url,
        &[(PRESET_VAR, "elasticsearch"), (MAX_ATTEMPTS_VAR, "3")],
    );

    let err = sink
        .deliver(&source(), &records(2, 70), far())
        .await
        .unwrap_err();

    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("reason for 503"), "{err}");
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn elasticsearch_mapping_error_item_is_permanent_with_reason() {
    let server = serve(|_, _| answer(200, bulk_reply(&[201, 429, 400]))).await;
    let sink = sink(&server.url, &[(PRESET_VAR, "elasticsearch")]);

    let err = sink
        .deliver(&source(), &records(3, 70), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    let message = err.to_string();
    assert!(
        message.contains("status 400: error_for_400: reason for 400"),
        "{message}"
    );
    assert!(message.contains("document 2"), "{message}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn service_unavailable_then_ok_is_delivered_after_one_retry() {
    let server = serve(|n, _| {
        if n == 0 {
            answer(503, "busy")
        } else {
            answer(200, "")
        }
    })
    .await;
    let sink = sink(&server.url, &[]);
    let records = records(2, 60);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 2);
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].text(), ndjson(&records));
}

#[tokio::test]
async fn service_unavailable_forever_is_transient_after_max_attempts() {
    let server = serve(|_, _| answer(503, "upstream down")).await;
    let sink = sink(&server.url, &[(MAX_ATTEMPTS_VAR, "4")]);

    let err = sink
        .deliver(&source(), &records(2, 60), far())
        .await
        .unwrap_err();

    assert!(err.is_transient());
    let message = err.to_string();
    assert!(message.contains("503"), "{message}");
    assert!(message.contains("upstream down"), "{message}");
    assert!(message.contains("after 4 attempts"), "{message}");
    assert!(message.contains("s3://logs-bucket/AWSLogs/"), "{message}");
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn bad_request_is_permanent_with_status_and_body_excerpt() {
    let long_reason = format!("malformed line 7 {}", "y".repeat(1000));
    let server = serve(move |_, _| answer(400, long_reason.clone())).await;
    let sink = sink(&server.url, &[]);

    let err = sink
        .deliver(&source(), &records(2, 60), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    let message = err.to_string();
    assert!(message.contains("400 Bad Request"), "{message}");
    assert!(message.contains("malformed line 7"), "{message}");
    assert!(
        message.len() < 600,
        "the body is cut to an excerpt: {message}"
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn later_batch_failure_reports_records_already_delivered() {
    let server = serve(|n, _| {
        if n == 0 {
            answer(200, "")
        } else {
            answer(422, "no")
        }
    })
    .await;
    let sink = sink(&server.url, &[(MAX_BATCH_RECORDS_VAR, "2")]);

    let err = sink
        .deliver(&source(), &records(3, 60), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    assert!(
        err.to_string()
            .contains("2 records of this chunk were delivered"),
        "{err}"
    );
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = serve(|n, _| {
        if n == 0 {
            Scripted {
                headers: vec![("retry-after", "1".to_owned())],
                ..answer(429, "slow down")
            }
        } else {
            answer(200, "")
        }
    })
    .await;
    let sink = sink(&server.url, &[]);

    sink.deliver(&source(), &records(1, 60), far())
        .await
        .unwrap();

    let received = server.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, backoff alone is ≤ 5 ms"
    );
}

#[tokio::test]
async fn retry_after_longer_than_an_invocation_waits_is_transient_at_once() {
    let server = serve(|_, _| Scripted {
        headers: vec![("retry-after", "3600".to_owned())],
        ..answer(503, "maintenance")
    })
    .await;
    let sink = sink(&server.url, &[]);

    let err = sink
        .deliver(&source(), &records(1, 60), far())
        .await
        .unwrap_err();

    assert!(err.is_transient());
    assert!(err.to_string().contains("retry after 3600 s"), "{err}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sink = sink(&url, &[(MAX_ATTEMPTS_VAR, "2")]);

    let err = sink
        .deliver(&source(), &records(1, 60), far())
        .await
        .unwrap_err();

    assert!(err.is_transient());
    assert!(err.to_string().contains("request failed"), "{err}");
}

#[tokio::test]
async fn slow_response_times_out_as_transient() {
    let server = serve(|_, _| Scripted {
        delay: Duration::from_secs(5),
        ..answer(200, "")
    })
    .await;
    let sink = sink(
        &server.url,
        &[(TIMEOUT_SECONDS_VAR, "1"), (MAX_ATTEMPTS_VAR, "1")],
    );
    let started = Instant::now();

    let err = sink
        .deliver(&source(), &records(1, 60), far())
        .await
        .unwrap_err();

    assert!(err.is_transient());
    assert!(err.to_string().contains("timed out after 1 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn redirect_is_permanent_and_names_location() {
    let server = serve(|_, _| Scripted {
        headers: vec![("location", "https://logs.example.com/ingest".to_owned())],
        ..answer(301, "")
    })
    .await;
    let sink = sink(&server.url, &[]);

    let err = sink
        .deliver(&source(), &records(1, 60), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient());
    assert!(
        err.to_string().contains("https://logs.example.com/ingest"),
        "{err}"
    );
}

#[tokio::test]
async fn record_with_line_break_is_rejected_before_sending() {
    let server = serve(|_, _| answer(200, "")).await;
    let sink = sink(&server.url, &[]);
    let mut records = records(2, 60);
    records[1].json = "{\n}".to_owned();

    let err = sink.deliver(&source(), &records, far()).await.unwrap_err();

    assert!(!err.is_transient());
    assert!(err.to_string().contains(&records[1].uid), "{err}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn token_never_appears_in_debug_output_or_errors() {
    // A server that echoes the request's Authorization header back in its error body.
    let server = serve(|n, request| {
        let echoed = request
            .header("authorization")
            .unwrap_or_default()
            .to_owned();
        answer(
            if n == 0 { 401 } else { 400 },
            format!("bad request, you sent {echoed}"),
        )
    })
    .await;
    let config = config(&server.url, &[]);
    assert!(!format!("{config:?}").contains(TOKEN));
    let sink = HttpSink::new(config).unwrap();
    assert!(!format!("{sink:?}").contains(TOKEN));

    for _ in 0..2 {
        let err = sink
            .deliver(&source(), &records(1, 60), far())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("<redacted>"), "{err}");
        assert!(!err.to_string().contains(TOKEN), "{err}");
        assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
    }

    let bad = format!("{TOKEN}\u{7}bell");
    let err = HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, "http://x"), (TOKEN_VAR, &bad)]))
        .unwrap_err();
    assert_eq!(err.var, TOKEN_VAR);
    assert_eq!(err.value, None);
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
}

#[tokio::test]
async fn payload_too_large_splits_the_batch_until_the_parts_fit() {
    // The endpoint takes at most two records per request.
    let server = serve(|_, request| {
        if request.lines().len() > 2 {
            answer(413, "request entity too large")
        } else {
            answer(200, "")
        }
    })
    .await;
    let sink = sink(&server.url, &[]);
    let records = records(5, 80);

    let delivered = sink.deliver(&source(), &records, far()).await.unwrap();

    assert_eq!(delivered, 5);
    let sizes: Vec<usize> = server.received().iter().map(|r| r.lines().len()).collect();
    assert_eq!(sizes, [5, 2, 3, 1, 2]);
    let accepted: String = server
        .received()
        .iter()
        .filter(|r| r.lines().len() <= 2)
        .map(Received::text)
        .collect();
    assert_eq!(accepted, ndjson(&records), "each record once, in order");
}

#[tokio::test]
async fn a_single_record_the_endpoint_finds_too_large_is_permanent() {
    let server = serve(|_, _| answer(413, "too large")).await;
    let sink = sink(&server.url, &[]);

    let err = sink
        .deliver(&source(), &records(2, 80), far())
        .await
        .unwrap_err();

    assert!(!err.is_transient(), "{err}");
    assert!(
        err.to_string().contains("record 0 alone is larger"),
        "{err}"
    );
    assert_eq!(server.received().len(), 2, "the pair, then the first alone");
}

/// Delivers one record to `server` with two seconds left; the error and the time it took.
async fn deliver_with_two_seconds_left(
    server: &TestServer,
    vars: &[(&str, &str)],
) -> (SinkError, Duration) {
    let sink = sink(&server.url, vars);
    let started = Instant::now();
    let err = sink
        .deliver(&source(), &records(1, 60), started + Duration::from_secs(2))
        .await
        .unwrap_err();
    (err, started.elapsed())
}

#[tokio::test]
async fn retries_stop_before_the_deadline_with_a_transient_error() {
    let server = serve(|_, _| Scripted {
        delay: Duration::from_millis(200),
        ..answer(503, "unavailable")
    })
    .await;

    let (err, took) = deliver_with_two_seconds_left(&server, &[(MAX_ATTEMPTS_VAR, "20")]).await;

    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("time"), "{err}");
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(server.received().len() < 20);
}

#[tokio::test]
async fn an_attempt_never_waits_past_the_deadline() {
    let server = serve(|_, _| Scripted {
        delay: Duration::from_secs(30),
        ..answer(200, "")
    })
    .await;

    let (err, took) = deliver_with_two_seconds_left(&server, &[(TIMEOUT_SECONDS_VAR, "300")]).await;

    assert!(err.is_transient(), "{err}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn redirect_location_is_named_without_its_query_string() {
    let server = serve(|_, _| Scripted {
        headers: vec![(
            "location",
            "https://user:pw@logs.example.com/ingest?sig=abc123".to_owned(),
        )],
        ..answer(302, "")
    })
    .await;
    let sink = sink(&server.url, &[]);

    let err = sink
        .deliver(&source(), &records(1, 60), far())
        .await
        .unwrap_err();

    let message = err.to_string();
    assert!(
        message.contains("https://logs.example.com/ingest?<redacted>"),
        "{message}"
    );
    assert!(
        !message.contains("abc123") && !message.contains("pw@"),
        "{message}"
    );
}

#[tokio::test]
async fn batches_are_compressed_off_the_async_worker_threads() {
    let sink = sink("http://127.0.0.1:9", &[]);
    let raw = Bytes::from(ndjson(&records(20_000, 500)));
    let body = crate::sink::s3::tests::leaves_the_runtime_free(sink.encode(raw.clone()))
        .await
        .unwrap();
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, raw);
}
