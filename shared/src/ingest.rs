//! The ingest entry point: a Lambda event in, per-message outcomes and counts out.
//!
//! The event is an SQS batch (the deployed trigger), or a single notification when S3,
//! SNS or EventBridge invoke the function directly. Each SQS message is decoded on its
//! own; only messages whose failure is transient are reported in `batchItemFailures`,
//! so a poison message is acknowledged (and logged with its reason) instead of burning
//! retries.

use std::any::Any;
use std::future::Future;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::Value;
use tokio_util::io::SyncIoBridge;
use tracing::{debug, error, info, info_span, warn, Instrument};

use crate::aws::Clients;
use crate::config::{whole_number, Config, ConfigError};
use crate::logs::{LogType, ParseError, SpoolLimits};
use crate::normalize::{RawMode, SourceObject, TimeSource};
use crate::notification::{self, Envelope, Notification, NotificationError, ObjectRef};
use crate::object::{self, BombLimits};
use crate::pipeline::{
    self, choose_type, resolve_type, Chunk, ObjectError, ObjectReport, PipelineOptions, TypeChoice,
    TypeOverrides,
};
use crate::reject::{self, RejectRecord};
use crate::sink::http::{HttpConfigError, HttpSinkConfig};
use crate::sink::layout::{OutputFormat, OutputLayout, SecurityLakeSources};
use crate::sink::s3::OutputCompression;
use crate::sink::{BatchSource, HttpSink, S3Sink, Sink, SinkError};

/// One SQS message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// SQS message ID, the item identifier for partial batch failures.
    pub message_id: String,
    /// Message body.
    pub body: String,
}

/// The shapes an ingest invocation can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// An SQS event source mapping batch.
    Sqs(Vec<QueueMessage>),
    /// A notification delivered directly (S3, SNS or EventBridge invoking the function).
    Direct(Value),
}

/// Tells an SQS batch from a direct notification.
pub fn classify(event: Value) -> Invocation {
    let is_sqs = event
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs");
    if !is_sqs {
        return Invocation::Direct(event);
    }
    let records = match event {
        Value::Object(mut o) => o.remove("Records"),
        _ => None,
    };
    let messages = records
        .and_then(|r| match r {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .map(|r| QueueMessage {
            message_id: r
                .get("messageId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            body: r
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    Invocation::Sqs(messages)
}

/// Counts for one invocation. Messages: `messages == decoded + rejected`. Objects:
/// `objects == delivered + rejected + skipped + continued + failed`. Records:
/// `records_in == records_delivered + records_rejected` for the objects read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages (or direct notifications) received.
    pub messages: u64,
    /// Messages decoded.
    pub decoded: u64,
    /// Messages rejected as permanently undecodable.
    pub rejected: u64,
    /// `s3:TestEvent` messages acknowledged.
    pub test_events: u64,
    /// Objects announced for processing.
    pub objects: u64,
    /// Objects whose records were all delivered (malformed lines aside).
    pub objects_delivered: u64,
    /// Objects rejected permanently (written under `rejects/`).
    pub objects_rejected: u64,
    /// Objects skipped: non-create events, directory markers, empty objects, digests.
    pub skipped: u64,
    /// Objects handed to a continuation message to finish.
    pub objects_continued: u64,
    /// Objects that failed transiently (their message is retried).
    pub objects_failed: u64,
    /// Records read from objects (parsed or malformed).
    pub records_in: u64,
    /// Records delivered to the sink.
    pub records_delivered: u64,
    /// Records that could not be parsed (listed under `rejects/`).
    pub records_rejected: u64,
}

/// The result of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether the event was an SQS batch (and so expects a batch response).
    pub from_sqs: bool,
    /// Message IDs to report in `batchItemFailures`.
    pub failed_message_ids: Vec<String>,
    /// What failed transiently (object and reason), for messages of an SQS batch and
    /// direct invocations alike: non-empty means the input must be retried.
    pub failures: Vec<String>,
    /// Objects announced, in order.
    pub objects: Vec<ObjectRef>,
    /// Counts for the invocation.
    pub counts: Counts,
}

/// One decoded message of an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMessage {
    /// SQS message ID (None for direct invocations).
    pub message_id: Option<String>,
    /// The body as received (for reject records).
    pub body: String,
    /// The decoded notification, or why it could not be decoded.
    pub result: Result<Notification, NotificationError>,
}

/// Decodes every message of an event without touching any object.
pub fn decode_event(event: Value) -> (bool, Vec<DecodedMessage>) {
    match classify(event) {
        Invocation::Sqs(messages) => (
            true,
            messages
                .into_iter()
                .map(|m| DecodedMessage {
                    result: notification::decode(&m.body),
                    message_id: Some(m.message_id),
                    body: m.body,
                })
                .collect(),
        ),
        Invocation::Direct(value) => (
            false,
            vec![DecodedMessage {
                result: notification::decode_value(&value),
                message_id: None,
                body: value.to_string(),
            }],
        ),
    }
}

/// Decodes an event and reports the objects it announces, without reading them (CLI `notification`).
pub fn announce(event: Value) -> Outcome {
    let (from_sqs, messages) = decode_event(event);
    let mut outcome = Outcome {
        from_sqs,
        ..Outcome::default()
    };
    for m in messages {
        outcome.counts.messages += 1;
        match m.result {
            Ok(n) => {
                outcome.counts.decoded += 1;
                outcome.counts.test_events += u64::from(n.envelope == Envelope::TestEvent);
                outcome.counts.skipped += n.skipped.len() as u64;
                outcome.counts.objects += n.objects.len() as u64;
                outcome.objects.extend(n.objects);
            }
            Err(e) => {
                outcome.counts.rejected += 1;
                warn!(message_id = m.message_id.as_deref(), error = %e, "notification rejected");
            }
        }
    }
    outcome
}

/// Which sink the ingest function writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// The output bucket.
    S3,
    /// An HTTP endpoint (`S3CONNECTOR_HTTP_*`).
    Http,
}

/// Settings only the ingest function uses, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    /// `S3CONNECTOR_SINK`.
    pub sink: SinkKind,
    /// `S3CONNECTOR_RAW_MODE`.
    pub keep_raw: RawMode,
    /// `S3CONNECTOR_OUTPUT_COMPRESSION` (S3 sink, NDJSON).
    pub compression: OutputCompression,
    /// `S3CONNECTOR_OUTPUT_FORMAT` (S3 sink): `ndjson` or `parquet`.
    pub format: OutputFormat,
    /// `S3CONNECTOR_OUTPUT_LAYOUT` (S3 sink), with `S3CONNECTOR_SECURITY_LAKE_SOURCES`.
    pub layout: OutputLayout,
    /// `S3CONNECTOR_CHUNK_RECORDS`.
    pub chunk_records: u64,
    /// `S3CONNECTOR_CHUNK_MAX_BYTES`.
    pub chunk_bytes: u64,
    /// `S3CONNECTOR_LOG_TYPE_OVERRIDES`.
    pub overrides: TypeOverrides,
    /// `S3CONNECTOR_MAX_DECOMPRESSED_BYTES` and `S3CONNECTOR_MAX_COMPRESSION_RATIO`.
    pub bomb: BombLimits,
    /// `S3CONNECTOR_INGEST_QUEUE_URL`: where continuations of large objects are sent.
    pub queue_url: Option<String>,
    /// `S3CONNECTOR_TIME_RESERVE_SECONDS`: stop starting new chunks when less time is left.
    pub time_reserve: Duration,
    /// `S3CONNECTOR_MAX_SPOOL_BYTES`: largest Parquet flow log object copied to `/tmp` to be read.
    pub max_spool_bytes: u64,
}

impl IngestConfig {
    /// Reads the ingest settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the ingest settings through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let invalid =
            |var: &'static str, value: &str, problem: &str, expected: &'static str| ConfigError {
                var,
                value: Some(value.to_string()),
                problem: problem.to_string(),
                expected,
            };
        let number = |var: &'static str, default: u64, min: u64, max: u64, expected| {
            whole_number(&lookup, var, default, min, max, expected)
        };
        let sink = match lookup("S3CONNECTOR_SINK").as_deref() {
            None | Some("s3") => SinkKind::S3,
            Some("http") => SinkKind::Http,
            Some(v) => {
                return Err(invalid(
                    "S3CONNECTOR_SINK",
                    v,
                    "must be s3 or http",
                    "s3 or http",
                ))
            }
        };
        // A value given by name (`FromStr` with a message naming the valid ones).
        fn parsed<T: std::str::FromStr<Err = String> + Default>(
            lookup: &impl Fn(&str) -> Option<String>,
            var: &'static str,
            expected: &'static str,
        ) -> Result<T, ConfigError> {
            match lookup(var) {
                None => Ok(T::default()),
                Some(v) => v.trim().parse().map_err(|problem: String| ConfigError {
                    var,
                    value: Some(v.clone()),
                    problem,
                    expected,
                }),
            }
        }
        let keep_raw: RawMode = parsed(
            &lookup,
            "S3CONNECTOR_RAW_MODE",
            "auto, unmapped, raw_data or drop",
        )?;
        let compression: OutputCompression = parsed(
            &lookup,
            "S3CONNECTOR_OUTPUT_COMPRESSION",
            "gzip, gzip:<1-9>, zstd or zstd:<1-19>",
        )?;
        let format: OutputFormat =
            parsed(&lookup, "S3CONNECTOR_OUTPUT_FORMAT", "ndjson or parquet")?;
        if sink == SinkKind::Http && format == OutputFormat::Parquet {
            return Err(invalid(
                "S3CONNECTOR_OUTPUT_FORMAT",
                "parquet",
                "applies to the S3 sink only: HTTP endpoints receive NDJSON",
                "ndjson when S3CONNECTOR_SINK=http",
            ));
        }
        let layout = match lookup("S3CONNECTOR_OUTPUT_LAYOUT")
            .as_deref()
            .map(str::trim)
        {
            None | Some("partitioned") => OutputLayout::Partitioned,
            Some("security-lake") => {
                if format != OutputFormat::Parquet {
                    return Err(invalid(
                        "S3CONNECTOR_OUTPUT_LAYOUT",
                        "security-lake",
                        "needs S3CONNECTOR_OUTPUT_FORMAT=parquet: Security Lake accepts only OCSF Parquet",
                        "partitioned, or security-lake with parquet",
                    ));
                }
                let mut sources: SecurityLakeSources = parsed(
                    &lookup,
                    "S3CONNECTOR_SECURITY_LAKE_SOURCES",
                    "<log type>=<name> or <log type>:<class_uid>=<name>, comma separated",
                )?;
                let set = |var: &str| {
                    lookup(var)
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                if let Some(account) = set("S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID") {
                    if !crate::sink::s3::is_account_id(&account) {
                        return Err(invalid(
                            "S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID",
                            &account,
                            "must be a 12-digit AWS account ID",
                            "123456789012",
                        ));
                    }
                    sources.default_account = Some(account);
                }
                // The function's own region (Lambda sets AWS_REGION) unless one is given.
                let region = set("S3CONNECTOR_SECURITY_LAKE_REGION").map(|r| (r, true));
                if let Some((region, given)) =
                    region.or_else(|| set("AWS_REGION").map(|r| (r, false)))
                {
                    if !crate::sink::s3::is_region_name(&region) {
                        if given {
                            return Err(invalid(
                                "S3CONNECTOR_SECURITY_LAKE_REGION",
                                &region,
                                "must be an AWS Region name",
                                "us-east-1",
                            ));
                        }
                    } else {
                        sources.default_region = Some(region);
                    }
                }
                OutputLayout::SecurityLake(sources)
            }
            Some(v) => {
                return Err(invalid(
                    "S3CONNECTOR_OUTPUT_LAYOUT",
                    v,
                    "must be partitioned or security-lake",
                    "partitioned or security-lake",
                ))
            }
        };
        let overrides = match lookup("S3CONNECTOR_LOG_TYPE_OVERRIDES") {
            None => TypeOverrides::default(),
            Some(v) => TypeOverrides::parse(&v).map_err(|p| {
                invalid(
                    "S3CONNECTOR_LOG_TYPE_OVERRIDES",
                    &v,
                    &p,
                    "bucket[/prefix]=type,...",
                )
            })?,
        };
        Ok(IngestConfig {
            sink,
            keep_raw,
            compression,
            format,
            layout,
            chunk_records: number(
                "S3CONNECTOR_CHUNK_RECORDS",
                20_000,
                100,
                1_000_000,
                "100 to 1000000",
            )?,
            chunk_bytes: number(
                "S3CONNECTOR_CHUNK_MAX_BYTES",
                PipelineOptions::default().chunk_bytes,
                1024 * 1024,
                1024 * 1024 * 1024,
                "bytes, 1048576 to 1073741824",
            )?,
            overrides,
            bomb: object::bomb_limits(&lookup)?,
            queue_url: lookup("S3CONNECTOR_INGEST_QUEUE_URL"),
            time_reserve: Duration::from_secs(number(
                "S3CONNECTOR_TIME_RESERVE_SECONDS",
                60,
                5,
                600,
                "5 to 600 seconds",
            )?),
            max_spool_bytes: number(
                "S3CONNECTOR_MAX_SPOOL_BYTES",
                crate::logs::vpc_flow_parquet::DEFAULT_MAX_SPOOL_BYTES,
                1024 * 1024,
                u64::MAX,
                "bytes, at least 1048576 (and within the function's ephemeral storage)",
            )?,
        })
    }
}

/// Everything ingest needs, built once at cold start.
#[derive(Debug)]
pub struct IngestContext {
    /// Clients for the source buckets (and the ingest queue).
    pub clients: Clients,
    /// Clients for the output bucket (the function's own identity).
    pub output_clients: Clients,
    /// Where records go.
    pub sink: Sink,
    /// Output bucket for reject records.
    pub output_bucket: String,
    /// Key prefix in the output bucket.
    pub output_prefix: String,
    /// Ingest settings.
    pub settings: IngestConfig,
}

/// Why the ingest function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A configuration value is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP sink configuration is missing or invalid.
    #[error(transparent)]
    Http(#[from] HttpConfigError),
}

impl IngestContext {
    /// Builds the sink and checks that everything ingest needs is configured.
    pub fn new(
        config: &Config,
        settings: IngestConfig,
        clients: Clients,
        output_clients: Clients,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SetupError> {
        let output_bucket = config.output_bucket.clone().ok_or(ConfigError {
            var: "S3CONNECTOR_OUTPUT_BUCKET",
            value: None,
            problem: "is required by the ingest function (output and reject records go there)"
                .into(),
            expected: "the name of the output bucket",
        })?;
        let sink = match settings.sink {
            SinkKind::S3 => Sink::S3(
                S3Sink::new(
                    output_clients.s3(),
                    output_bucket.clone(),
                    config.output_prefix.clone(),
                    settings.compression,
                )
                .with_output(settings.format, settings.layout.clone()),
            ),
            SinkKind::Http => {
                let http = HttpSinkConfig::from_lookup(&lookup)?.ok_or(ConfigError {
                    var: "S3CONNECTOR_HTTP_URL",
                    value: None,
                    problem: "is required when S3CONNECTOR_SINK=http".into(),
                    expected: "the endpoint URL, e.g. https://splunk.example.com:8088/services/collector/event",
                })?;
                Sink::Http(Box::new(HttpSink::new(http)?))
            }
        };
        Ok(IngestContext {
            clients,
            output_clients,
            sink,
            output_bucket,
            output_prefix: config.output_prefix.clone(),
            settings,
        })
    }
}

/// How processing one object ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectResult {
    /// Every record was delivered (malformed lines aside).
    Delivered {
        /// Records delivered.
        records: u64,
        /// Records rejected as malformed.
        malformed: u64,
    },
    /// Not processed on purpose.
    Skipped(String),
    /// Permanently unprocessable; a reject record was written.
    Rejected {
        /// Why.
        reason: String,
        /// Records delivered before the object turned out unprocessable (corrupt data
        /// after the first chunks, a sink that refused the rest); they stay delivered.
        delivered: u64,
    },
    /// Delivered up to `next_index`; a continuation message will finish it.
    Continued {
        /// Records delivered in this invocation.
        records: u64,
        /// Records rejected as malformed in this invocation.
        malformed: u64,
        /// Where the continuation resumes.
        next_index: u64,
    },
    /// A transient failure: the message must be retried.
    Failed(String),
}

/// How long before the invocation's deadline a sink stops retrying, so the function
/// still has time to report the message for retry instead of timing out mid-batch
/// (at most a quarter of the time left when the object starts).
pub const SINK_TIME_MARGIN: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Processes every notification in `event`: reads, parses, normalizes and delivers each
/// object, writes reject records, and returns the batch outcome. `deadline` is when the
/// invocation must have returned (from the Lambda context).
pub async fn handle(event: Value, ctx: &IngestContext, deadline: Instant) -> Outcome {
    let (from_sqs, messages) = decode_event(event);
    let mut outcome = Outcome {
        from_sqs,
        ..Outcome::default()
    };
    for m in messages {
        let span = info_span!("message", message_id = m.message_id.as_deref());
        let failed = process_message(m.clone(), ctx, deadline, &mut outcome)
            .instrument(span)
            .await;
        if failed {
            if let Some(id) = m.message_id {
                outcome.failed_message_ids.push(id);
            }
        }
    }
    let c = &outcome.counts;
    info!(
        messages = c.messages,
        rejected_messages = c.rejected,
        objects = c.objects,
        objects_delivered = c.objects_delivered,
        objects_rejected = c.objects_rejected,
        objects_skipped = c.skipped,
        objects_continued = c.objects_continued,
        objects_failed = c.objects_failed,
        records_in = c.records_in,
        records_delivered = c.records_delivered,
        records_rejected = c.records_rejected,
        batch_item_failures = outcome.failed_message_ids.len(),
        "invocation complete"
    );
    println!("{}", emf_line(&outcome.counts, now_ms()));
    outcome
}

/// Returns true when the message must be retried.
async fn process_message(
    m: DecodedMessage,
    ctx: &IngestContext,
    deadline: Instant,
    outcome: &mut Outcome,
) -> bool {
    outcome.counts.messages += 1;
    let n = match m.result {
        Ok(n) => n,
        Err(e) => {
            outcome.counts.rejected += 1;
            error!(error = %e, "notification rejected");
            let record =
                RejectRecord::message(m.message_id.clone(), &m.body, e.to_string(), now_ms());
            return match write_reject(ctx, &record).await {
                Ok(_) => false,
                Err(e) => {
                    outcome.failures.push(format!("undecodable message: {e}"));
                    true
                }
            };
        }
    };
    outcome.counts.decoded += 1;
    if n.envelope == Envelope::TestEvent {
        outcome.counts.test_events += 1;
        info!("s3:TestEvent acknowledged: the bucket notification reaches this function");
    }
    for s in &n.skipped {
        debug!(bucket = %s.bucket, key = %s.key, reason = ?s.reason, "object skipped");
    }
    outcome.counts.skipped += n.skipped.len() as u64;
    let mut retry = false;
    for object in n.objects {
        outcome.counts.objects += 1;
        let span = info_span!("object", bucket = %object.bucket, key = %object.key);
        let result = match catch_panic(process_object(ctx, &object, deadline))
            .instrument(span.clone())
            .await
        {
            Ok(result) => result,
            // A panic is a bug the same input would hit again: reject this object with the
            // panic's message, and go on with the rest of the batch.
            Err(panic) => {
                reject_object(ctx, &object, None, panic_reason(&panic))
                    .instrument(span)
                    .await
            }
        };
        let c = &mut outcome.counts;
        match &result {
            ObjectResult::Delivered { records, malformed } => {
                c.objects_delivered += 1;
                c.records_in += records + malformed;
                c.records_delivered += records;
                c.records_rejected += malformed;
            }
            ObjectResult::Continued {
                records, malformed, ..
            } => {
                c.objects_continued += 1;
                c.records_in += records + malformed;
                c.records_delivered += records;
                c.records_rejected += malformed;
            }
            ObjectResult::Skipped(reason) => {
                c.skipped += 1;
                info!(bucket = %object.bucket, key = %object.key, reason = %reason, "object skipped");
            }
            ObjectResult::Rejected { reason, delivered } => {
                c.objects_rejected += 1;
                c.records_in += delivered;
                c.records_delivered += delivered;
                warn!(bucket = %object.bucket, key = %object.key, reason = %reason, "object rejected");
            }
            ObjectResult::Failed(reason) => {
                c.objects_failed += 1;
                retry = true;
                outcome
                    .failures
                    .push(format!("s3://{}/{}: {reason}", object.bucket, object.key));
                error!(bucket = %object.bucket, key = %object.key, reason = %reason, "object failed; the message will be retried");
            }
        }
        outcome.objects.push(object);
    }
    retry
}

async fn write_reject(ctx: &IngestContext, record: &RejectRecord) -> Result<String, String> {
    let s3 = ctx.output_clients.s3();
    match reject::write(
        &s3,
        &ctx.output_bucket,
        &ctx.output_prefix,
        record,
        now_ms(),
    )
    .await
    {
        Ok(key) => {
            info!(reject = %key, kind = ?record.kind, "reject record written");
            Ok(key)
        }
        Err(e) => {
            // Without the record the input would be lost: fail the message instead.
            error!(error = %e, "could not write the reject record; the message will be retried");
            Err(e)
        }
    }
}

async fn reject_object(
    ctx: &IngestContext,
    object: &ObjectRef,
    log_type: Option<String>,
    reason: String,
) -> ObjectResult {
    reject_object_after(ctx, object, log_type, reason, 0).await
}

/// [`reject_object`] once `delivered` records of it were delivered already.
async fn reject_object_after(
    ctx: &IngestContext,
    object: &ObjectRef,
    log_type: Option<String>,
    reason: String,
    delivered: u64,
) -> ObjectResult {
    let record = RejectRecord::object(object, log_type, reason.clone(), now_ms());
    match write_reject(ctx, &record).await {
        Ok(_) => ObjectResult::Rejected { reason, delivered },
        Err(e) => ObjectResult::Failed(e),
    }
}

/// Runs `work`, turning a panic inside it into `Err` with the panic's message, so one
/// object that hits a bug cannot fail the other objects of its batch.
pub async fn catch_panic<T>(work: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| panic_message(payload.as_ref()))
}

/// The text a panic was raised with (`panic!("...")`, `expect`, an index out of bounds).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn panic_reason(panic: &str) -> String {
    format!("processing the object panicked ({panic}); this is a bug in s3connector, please report it with this record. The object is rejected so the rest of its batch is still processed")
}

/// Reads, parses, normalizes and delivers one object.
pub async fn process_object(
    ctx: &IngestContext,
    object: &ObjectRef,
    deadline: Instant,
) -> ObjectResult {
    let choice = choose_type(&ctx.settings.overrides, &object.bucket, &object.key);
    if let TypeChoice::Skip(reason) = &choice {
        return ObjectResult::Skipped(reason.clone());
    }
    let s3 = match &object.region {
        Some(r) => ctx.clients.s3_in(r),
        None => ctx.clients.s3(),
    };
    let mut get = s3
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .set_version_id(object.version_id.clone());
    if object.start_index > 0 {
        // A continuation must read the same bytes the first part read.
        get = get.set_if_match(
            object
                .etag
                .as_ref()
                .map(|e| format!("\"{}\"", e.trim_matches('"'))),
        );
    }
    let out = match get.send().await {
        Ok(out) => out,
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let code = e.code().map(str::to_string);
            return match (status, code.as_deref()) {
                (Some(404), _) | (_, Some("NoSuchKey" | "NoSuchVersion")) => {
                    reject_object(ctx, object, None, "the object no longer exists (deleted before it was processed)".into()).await
                }
                (Some(412), _) | (_, Some("PreconditionFailed")) => {
                    reject_object(ctx, object, None, format!("the object changed after records 0..{} were delivered; its new version arrives as a new notification", object.start_index)).await
                }
                _ => ObjectResult::Failed(format!("GetObject s3://{}/{}: {}", object.bucket, object.key, DisplayErrorContext(&e))),
            };
        }
    };
    let source = SourceObject {
        bucket: object.bucket.clone(),
        key: object.key.clone(),
        etag: out.e_tag.clone().or_else(|| object.etag.clone()),
        version_id: out.version_id.clone().or_else(|| object.version_id.clone()),
    };
    let object_id = pipeline::object_id(&source);
    let (encoding, content_type) = (out.content_encoding.clone(), out.content_type.clone());
    // Records without a time of their own take the object's LastModified (when the log
    // object was written), else the notification's event time.
    let last_modified = out.last_modified.and_then(|t| t.to_millis().ok());
    let (fallback_time_ms, fallback_time_source) = match last_modified {
        Some(ms) => (Some(ms), TimeSource::ObjectLastModified),
        None => (
            object
                .event_time
                .as_deref()
                .and_then(crate::logs::timestamp::iso8601_ms),
            TimeSource::NotificationTime,
        ),
    };
    let opts = PipelineOptions {
        keep_raw: ctx.settings.keep_raw,
        chunk_records: ctx.settings.chunk_records,
        chunk_bytes: ctx.settings.chunk_bytes,
        format: match ctx.sink {
            Sink::S3(_) => ctx.settings.format,
            Sink::Http(_) => OutputFormat::Ndjson,
        },
        fallback_time_ms,
        fallback_time_source,
        spool: SpoolLimits {
            dir: None,
            max_bytes: ctx.settings.max_spool_bytes,
        },
        ..PipelineOptions::default()
    };
    let limits = ctx.settings.bomb;
    let start_index = object.start_index;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(LogType, Chunk)>(2);
    // A body that stops arriving fails the read (a transient source error) instead of
    // holding the invocation until Lambda kills it.
    let mut reader = tokio_io_timeout::TimeoutReader::new(out.body.into_async_read());
    reader.set_timeout(Some(ctx.clients.read_timeout()));
    let reader = Box::pin(reader);
    let key = object.key.clone();
    let parse_stop = stop.clone();
    let (source_etag, source_version) = (source.etag.clone(), source.version_id.clone());
    let parser = tokio::task::spawn_blocking(
        move || -> Result<(LogType, ObjectReport), (Option<LogType>, ObjectError)> {
            let bridge = SyncIoBridge::new(reader);
            let opened = object::open(
                bridge,
                encoding.as_deref(),
                content_type.as_deref(),
                &key,
                limits,
            )
            .map_err(|e| (None, ObjectError::from(ParseError::Io(e))))?;
            let mut r = opened.reader;
            let log_type = resolve_type(&choice, &mut r)
                .map_err(|e| (None, e))?
                .expect("skips are handled before reading");
            let report = pipeline::process(
                &mut r,
                log_type,
                &source,
                start_index,
                &opts,
                &mut |chunk| {
                    if parse_stop.load(Ordering::Relaxed)
                        || tx.blocking_send((log_type, chunk)).is_err()
                    {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            )
            .map_err(|e| (Some(log_type), e))?;
            Ok((log_type, report))
        },
    );

    let mut delivered = 0u64;
    let mut next_index = start_index;
    let mut failure: Option<SinkError> = None;
    let mut out_of_time = false;
    // The sink gives up this long before the invocation's deadline, leaving time to
    // report the message for retry instead of Lambda timing out mid-batch. A short
    // invocation (Lambda's default timeout is 3 s) keeps a quarter of what is left instead,
    // so it can still deliver.
    let left_now = deadline.saturating_duration_since(Instant::now());
    let sink_deadline = deadline
        .checked_sub(SINK_TIME_MARGIN.min(left_now / 4))
        .unwrap_or_else(Instant::now);
    while let Some((log_type, chunk)) = rx.recv().await {
        if failure.is_some() || out_of_time {
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left < ctx.settings.time_reserve && ctx.settings.queue_url.is_some() {
            out_of_time = true;
            stop.store(true, Ordering::Relaxed);
            continue;
        }
        let batch = BatchSource {
            log_type: log_type.as_str().to_string(),
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            first_index: chunk.first_index,
            object_id: object_id.clone(),
        };
        match ctx.sink.deliver(&batch, chunk.events, sink_deadline).await {
            Ok(n) => {
                delivered += n;
                next_index = chunk.end_index;
            }
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                failure = Some(e);
            }
        }
    }
    let parsed = match parser.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => {
            let panic = panic_message(e.into_panic().as_ref());
            return reject_object(ctx, object, None, panic_reason(&panic)).await;
        }
        Err(e) => return ObjectResult::Failed(format!("the parser task failed: {e}")),
    };
    if let Some(e) = failure.as_ref().filter(|e| e.is_transient()) {
        return ObjectResult::Failed(e.to_string());
    }
    let (log_type, report) = match parsed {
        Ok(ok) => ok,
        Err((log_type, ObjectError::Permanent(reason))) => {
            let reason = if delivered > 0 {
                format!("{reason}; records {start_index}..{next_index} of the object were delivered before")
            } else {
                reason
            };
            return reject_object_after(
                ctx,
                object,
                log_type.map(|t| t.as_str().to_string()),
                reason,
                delivered,
            )
            .await;
        }
        Err((_, ObjectError::Transient(reason))) => return ObjectResult::Failed(reason),
    };
    if report.malformed > 0 {
        let record = RejectRecord::records(
            object,
            log_type.as_str(),
            report.malformed,
            &report.errors,
            now_ms(),
        );
        if let Err(e) = write_reject(ctx, &record).await {
            return ObjectResult::Failed(e);
        }
    }
    let mut resume = object.clone();
    resume.etag = source_etag;
    resume.version_id = source_version;
    resume.start_index = next_index;
    if let Some(e) = failure {
        // The sink refused the data for good (HTTP 400, 401, 403, a record larger than
        // it accepts): retrying cannot help, so the rest of the object is rejected with
        // the reason, to be replayed from where delivery stopped once the cause is fixed.
        let reason = format!(
            "{e}; records {start_index}..{next_index} of the object were delivered before, the rest was not"
        );
        return reject_object_after(
            ctx,
            &resume,
            Some(log_type.as_str().to_string()),
            reason,
            delivered,
        )
        .await;
    }
    if out_of_time {
        let Some(queue) = ctx.settings.queue_url.as_deref() else {
            return ObjectResult::Failed("stopped for time without a continuation queue".into());
        };
        let body = notification::continuation_body(&resume, next_index);
        // Sent with the function's own identity: the ingest queue is the function's,
        // and a cross-account source role has no right to send to it.
        if let Err(e) = ctx
            .output_clients
            .sqs()
            .send_message()
            .queue_url(queue)
            .message_body(body)
            .send()
            .await
        {
            return ObjectResult::Failed(format!(
                "could not send the continuation to {queue}: {}",
                DisplayErrorContext(&e)
            ));
        }
        info!(
            next_index,
            delivered, "time is short: a continuation message will finish the object"
        );
        return ObjectResult::Continued {
            records: delivered,
            malformed: report.malformed,
            next_index,
        };
    }
    info!(
        log_type = log_type.as_str(),
        records = delivered,
        malformed = report.malformed,
        "object delivered"
    );
    ObjectResult::Delivered {
        records: delivered,
        malformed: report.malformed,
    }
}

/// A direct invocation that must fail so Lambda retries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} input(s) failed transiently and must be retried; failing the invocation so Lambda's asynchronous retries and on-failure destination see it. First: {}", .failures.len(), .failures.first().map_or("", String::as_str))]
pub struct RetryInvocation {
    /// Each failure: the object and the reason.
    pub failures: Vec<String>,
}

/// The function's answer to Lambda for `outcome`.
///
/// An SQS batch gets the partial batch response (`{"batchItemFailures":
/// [{"itemIdentifier": "<message id>"}]}`) naming only the messages to retry. A direct
/// invocation (S3, SNS or EventBridge) has no such response: when anything failed
/// transiently it gets an error, so Lambda retries the event and, once retries are
/// spent, sends it to the on-failure destination; otherwise it gets the counts.
pub fn lambda_response(outcome: &Outcome) -> Result<Value, RetryInvocation> {
    if outcome.from_sqs {
        let failures: Vec<Value> = outcome
            .failed_message_ids
            .iter()
            .map(|id| serde_json::json!({ "itemIdentifier": id }))
            .collect();
        return Ok(serde_json::json!({ "batchItemFailures": failures }));
    }
    if !outcome.failures.is_empty() {
        return Err(RetryInvocation {
            failures: outcome.failures.clone(),
        });
    }
    Ok(serde_json::to_value(&outcome.counts).unwrap_or_default())
}

/// One CloudWatch Embedded Metric Format line with the invocation's counts.
pub fn emf_line(c: &Counts, timestamp_ms: i64) -> String {
    let metrics = [
        ("MessagesIn", c.messages),
        ("MessagesRejected", c.rejected),
        ("ObjectsIn", c.objects),
        ("ObjectsDelivered", c.objects_delivered),
        ("ObjectsRejected", c.objects_rejected),
        ("ObjectsSkipped", c.skipped),
        ("ObjectsContinued", c.objects_continued),
        ("ObjectsFailed", c.objects_failed),
        ("RecordsIn", c.records_in),
        ("RecordsDelivered", c.records_delivered),
        ("RecordsRejected", c.records_rejected),
    ];
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "s3connector",
                "Dimensions": [["Function"]],
                "Metrics": metrics.iter().map(|(name, _)| serde_json::json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            }]
        },
        "Function": "ingest",
    });
    for (name, value) in metrics {
        doc[name] = serde_json::json!(value);
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sqs_event(bodies: &[(&str, String)]) -> Value {
        let records: Vec<Value> = bodies
            .iter()
            .map(|(id, body)| {
                json!({
                    "messageId": id,
                    "receiptHandle": "AQEB",
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest",
                    "awsRegion": "eu-west-1"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    fn s3_body(key: &str) -> String {
        json!({"Records": [{
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "logs"}, "object": {"key": key, "size": 3}}
        }]})
        .to_string()
    }

    #[test]
    fn chunk_limits_have_defaults_and_reject_out_of_range_values() {
        let defaults = IngestConfig::from_lookup(|_| None).unwrap();
        assert_eq!(
            (defaults.chunk_records, defaults.chunk_bytes),
            (20_000, 32 * 1024 * 1024)
        );
        let set = |value: &'static str| {
            IngestConfig::from_lookup(move |k| {
                (k == "S3CONNECTOR_CHUNK_MAX_BYTES").then(|| value.to_string())
            })
        };
        assert_eq!(set("8388608").unwrap().chunk_bytes, 8 * 1024 * 1024);
        for bad in ["1000", "lots", "2147483648"] {
            let err = set(bad).unwrap_err();
            assert_eq!(err.var, "S3CONNECTOR_CHUNK_MAX_BYTES", "{bad}");
            assert!(err.to_string().contains("1048576 to 1073741824"), "{err}");
        }
    }

    /// The limits `s3connector classify` and scans read are ingest's, from the same variables
    /// (trial 6, D9: the bomb error named a variable classify ignored).
    #[test]
    fn bomb_limits_are_read_from_the_variables_the_bomb_error_names() {
        assert_eq!(
            object::bomb_limits(&|_: &str| None).unwrap(),
            BombLimits::default()
        );
        let ratio = |value: &'static str| {
            object::bomb_limits(&move |k: &str| {
                (k == "S3CONNECTOR_MAX_COMPRESSION_RATIO").then(|| value.to_string())
            })
        };
        assert_eq!(ratio("100").unwrap().max_ratio, 100);
        assert_eq!(ratio("100000").unwrap().max_ratio, 100_000);
        for bad in ["5", "many", "2000000"] {
            let err = ratio(bad).unwrap_err();
            assert_eq!(err.var, "S3CONNECTOR_MAX_COMPRESSION_RATIO", "{bad}");
        }
        let message = object::BombError::Ratio {
            limit: 100,
            output: 1,
            input: 1,
        }
        .to_string();
        assert!(
            message.contains("S3CONNECTOR_MAX_COMPRESSION_RATIO"),
            "{message}"
        );
        let ingest = IngestConfig::from_lookup(|k| {
            (k == "S3CONNECTOR_MAX_COMPRESSION_RATIO").then(|| "250".to_string())
        })
        .unwrap();
        assert_eq!(ingest.bomb.max_ratio, 250);
    }

    #[test]
    fn zstd_window_limit_has_a_default_and_rejects_out_of_range_values() {
        let defaults = IngestConfig::from_lookup(|_| None).unwrap();
        assert_eq!(defaults.bomb.zstd_max_window_log, 25);
        let set = |value: &'static str| {
            IngestConfig::from_lookup(move |k| {
                (k == "S3CONNECTOR_ZSTD_MAX_WINDOW_LOG").then(|| value.to_string())
            })
        };
        assert_eq!(set("27").unwrap().bomb.zstd_max_window_log, 27);
        for bad in ["9", "32", "big"] {
            let err = set(bad).unwrap_err();
            assert_eq!(err.var, "S3CONNECTOR_ZSTD_MAX_WINDOW_LOG", "{bad}");
        }
    }

    #[tokio::test]
    async fn a_panic_while_processing_is_caught_with_its_message() {
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
        let boom = catch_panic(async { panic!("boom {}", 1) }).await;
        assert_eq!(boom, Err("boom 1".to_owned()));
        let sliced = catch_panic(async {
            let key = String::from("€019");
            key[1..].len()
        })
        .await
        .unwrap_err();
        assert!(sliced.contains("char boundary"), "{sliced}");
        assert!(panic_reason(&sliced).contains("rest of its batch"));
    }

    #[test]
    fn poison_message_is_rejected_without_failing_batch() {
        let event = sqs_event(&[("m1", s3_body("a+b.log")), ("m2", "not json".into())]);
        let out = announce(event);
        assert!(out.from_sqs);
        assert!(out.failed_message_ids.is_empty());
        assert_eq!(out.counts.messages, 2);
        assert_eq!(out.counts.decoded, 1);
        assert_eq!(out.counts.rejected, 1);
        assert_eq!(out.objects[0].key, "a b.log");
        assert_eq!(
            out.counts.messages,
            out.counts.decoded + out.counts.rejected
        );
    }

    #[test]
    fn direct_invocation_with_a_transient_failure_is_an_error_and_sqs_names_messages() {
        let direct = Outcome {
            failures: vec!["s3://logs/a.log: sink down".into()],
            ..Outcome::default()
        };
        let err = lambda_response(&direct).unwrap_err();
        assert!(
            err.to_string().contains("s3://logs/a.log: sink down"),
            "{err}"
        );
        let fine = Outcome::default();
        assert_eq!(lambda_response(&fine).unwrap()["objects"], 0);
        let sqs = Outcome {
            from_sqs: true,
            failed_message_ids: vec!["m2".into()],
            failures: vec!["s3://logs/b.log: sink down".into()],
            ..Outcome::default()
        };
        assert_eq!(
            lambda_response(&sqs).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
        );
    }

    #[test]
    fn direct_s3_invocation_is_not_treated_as_sqs() {
        let event: Value = serde_json::from_str(&s3_body("k.log")).unwrap();
        let out = announce(event);
        assert!(!out.from_sqs);
        assert_eq!(out.counts.objects, 1);
    }

    #[test]
    fn test_event_in_sqs_is_counted_and_acknowledged() {
        let body = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "logs"});
        let out = announce(sqs_event(&[("m1", body.to_string())]));
        assert_eq!(out.counts.test_events, 1);
        assert!(out.objects.is_empty());
        assert!(out.failed_message_ids.is_empty());
    }

    fn sample(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn committed_sample_events_decode_as_documented() {
        let sqs = announce(sample("s3-via-sqs.json"));
        assert!(sqs.from_sqs);
        assert_eq!(sqs.counts.objects, 3);
        assert_eq!(sqs.objects[2].key, "uploads/quarterly report (2026).csv");
        let sns = announce(sample("sns-via-sqs.json"));
        assert_eq!((sns.counts.objects, sns.counts.rejected), (1, 0));
        let eb = announce(sample("eventbridge-object-created.json"));
        assert!(!eb.from_sqs);
        assert!(eb.objects[0]
            .key
            .starts_with("AWSLogs/123456789012/GuardDuty/"));
        let test = announce(sample("s3-test-event.json"));
        assert_eq!(test.counts.test_events, 1);
    }

    #[test]
    fn output_format_and_layout_are_checked_against_the_sink() {
        let config = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            IngestConfig::from_lookup(move |k| {
                pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
            })
        };
        let default = config(&[]).unwrap();
        assert_eq!(
            (default.format, default.layout),
            (OutputFormat::Ndjson, OutputLayout::Partitioned)
        );
        let lake = config(&[
            ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
            ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
            (
                "S3CONNECTOR_SECURITY_LAKE_SOURCES",
                "cloudtrail=CloudTrailS3",
            ),
        ])
        .unwrap();
        assert_eq!(lake.format, OutputFormat::Parquet);
        assert_eq!(
            lake.layout,
            OutputLayout::SecurityLake("cloudtrail=CloudTrailS3".parse().unwrap())
        );
        for (pairs, var) in [
            (
                &[
                    ("S3CONNECTOR_SINK", "http"),
                    ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
                ][..],
                "S3CONNECTOR_OUTPUT_FORMAT",
            ),
            (
                &[("S3CONNECTOR_OUTPUT_FORMAT", "csv")][..],
                "S3CONNECTOR_OUTPUT_FORMAT",
            ),
            (
                &[("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake")][..],
                "S3CONNECTOR_OUTPUT_LAYOUT",
            ),
            (
                &[("S3CONNECTOR_OUTPUT_LAYOUT", "flat")][..],
                "S3CONNECTOR_OUTPUT_LAYOUT",
            ),
            (
                &[
                    ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
                    ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
                    ("S3CONNECTOR_SECURITY_LAKE_SOURCES", "elb=Elb"),
                ][..],
                "S3CONNECTOR_SECURITY_LAKE_SOURCES",
            ),
            (
                &[
                    ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
                    ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
                    ("S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID", "1234"),
                ][..],
                "S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID",
            ),
            (
                &[
                    ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
                    ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
                    ("S3CONNECTOR_SECURITY_LAKE_REGION", "../x"),
                ][..],
                "S3CONNECTOR_SECURITY_LAKE_REGION",
            ),
        ] {
            let err = config(pairs).unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}: {err}");
        }
        // Defect 9: the partitions of sources that name no account or region.
        let lake_with = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("S3CONNECTOR_OUTPUT_FORMAT", "parquet"),
                ("S3CONNECTOR_OUTPUT_LAYOUT", "security-lake"),
            ];
            all.extend_from_slice(pairs);
            match config(&all).unwrap().layout {
                OutputLayout::SecurityLake(lake) => (lake.default_account, lake.default_region),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(lake_with(&[]), (None, None));
        assert_eq!(
            lake_with(&[("AWS_REGION", "eu-west-3")]),
            (None, Some("eu-west-3".to_owned()))
        );
        assert_eq!(
            lake_with(&[
                ("AWS_REGION", "eu-west-3"),
                ("S3CONNECTOR_SECURITY_LAKE_REGION", "us-east-1"),
                ("S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID", "111122223333"),
            ]),
            (
                Some("111122223333".to_owned()),
                Some("us-east-1".to_owned())
            )
        );
    }
}
