//! The ingest entry point: a Lambda event in, per-message outcomes and counts out.
//!
//! The event is an SQS batch (the deployed trigger), or a single notification when S3,
//! SNS or EventBridge invoke the function directly. Each SQS message is decoded on its
//! own; only messages whose failure is transient are reported in `batchItemFailures`,
//! so a poison message is acknowledged (and logged with its reason) instead of burning
//! retries.

mod event;
mod outcome;
mod settings;

pub use event::{announce, classify, decode_event, DecodedMessage, Invocation, QueueMessage};
pub use outcome::{emf_line, lambda_response, Counts, Outcome, RetryInvocation};
pub use settings::{IngestConfig, SinkKind};

use std::any::Any;
use std::future::Future;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use futures_util::FutureExt;
use serde_json::Value;
use tokio_util::io::SyncIoBridge;
use tracing::{debug, error, info, info_span, warn, Instrument};

use crate::aws::Clients;
use crate::config::{Config, ConfigError};
use crate::logs::{LogType, ParseError, SpoolLimits};
use crate::normalize::{SourceObject, TimeSource};
use crate::notification::{self, Envelope, ObjectRef};
use crate::object;
use crate::pipeline::{
    self, choose_type, resolve_type, Chunk, ObjectError, ObjectReport, PipelineOptions, TypeChoice,
};
use crate::reject::{self, RejectRecord};
use crate::sink::http::{HttpConfigError, HttpSinkConfig};
use crate::sink::layout::OutputFormat;
use crate::sink::{BatchSource, HttpSink, S3Sink, Sink, SinkError};

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
    let choice = choose_type(None, &ctx.settings.overrides, &object.bucket, &object.key);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
