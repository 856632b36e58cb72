//! HTTP sink: batched NDJSON POSTs with gzip, retries with backoff and jitter within the
//! invocation's deadline, and presets for Splunk HEC and Elasticsearch/OpenSearch `_bulk`.
//!
//! Delivery is at least once: a batch that fails transiently is retried here, and once
//! retries are exhausted (or the invocation's time runs short) the whole object is
//! redelivered by SQS, so batches already accepted are sent again. The Elasticsearch preset
//! is idempotent (see [`HttpSink`]); `ndjson` and Splunk HEC receivers see duplicates, which
//! they can drop by the record's deterministic `metadata.uid`.
//!
//! One file per concern: [`config`] (settings), `preset` (the [`HttpPreset`] trait and
//! registry) with one file per receiving service (`ndjson`, `splunk_hec`,
//! `elasticsearch`), `retry` (backoff, `Retry-After`, deadline), and this module (batching,
//! sending, the rules common to every service).
//!
//! TLS uses rustls with the aws-lc-rs provider and the system's root certificates
//! (`rustls-native-certs`; on Lambda `provided.al2023` that is `/etc/pki/tls/certs`).

pub mod config;
mod elasticsearch;
mod ndjson;
mod preset;
mod retry;
mod splunk_hec;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, USER_AGENT,
};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

pub use config::{HttpConfigError, HttpSinkConfig, SecretToken};
pub use preset::HttpPreset;

use super::{BatchSource, Record, SinkError};
use crate::redact;
use config::{config_error, TOKEN_VAR, URL_VAR};
use preset::Reply;
use retry::{backoff, retry_after, time_for_attempt, Jitter, MAX_RETRY_AFTER, MIN_ATTEMPT_TIME};

/// Bulk responses are about 200 bytes per item; this bounds memory against a hostile endpoint.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Long enough to identify the problem in an error message, short enough for one log line.
const EXCERPT_CHARS: usize = 200;
/// Lambda freezes between invocations; connections idle longer than this are likely closed
/// by the server or a load balancer, so open a fresh one instead of failing the first attempt.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Delivers records to an HTTP endpoint; build once at cold start and share.
///
/// With the Elasticsearch preset every document is sent as a `create` action with the record's
/// deterministic uid as `_id`, so redelivering an object after a partial failure (or a Lambda
/// retry) cannot duplicate documents: the copies already indexed come back as 409 conflicts,
/// which count as delivered.
pub struct HttpSink {
    config: HttpSinkConfig,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    authorization: Option<HeaderValue>,
    jitter: Jitter,
}

impl fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSink")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One request's worth of formatted records.
struct Batch {
    /// Uncompressed body.
    body: Bytes,
    /// End offset in `body` of each record's lines, so single items can be resent.
    ends: Vec<usize>,
    /// Index in the caller's slice of the first record.
    first: usize,
}

impl Batch {
    fn item(&self, position: usize) -> &[u8] {
        let start = if position == 0 {
            0
        } else {
            self.ends[position - 1]
        };
        &self.body[start..self.ends[position]]
    }

    /// The uncompressed body holding the records at `positions`.
    fn body_of(&self, positions: &[usize]) -> Bytes {
        if positions.len() == self.ends.len() {
            return self.body.clone();
        }
        let mut raw = Vec::new();
        for &position in positions {
            raw.extend_from_slice(self.item(position));
        }
        Bytes::from(raw)
    }
}

/// What one POST achieved.
pub(crate) enum Attempt {
    /// Every pending record was accepted.
    Delivered,
    /// Some items were accepted; these positions (in the pending list) must be resent.
    RetryItems {
        positions: Vec<usize>,
        reason: String,
    },
    /// Nothing is known to be accepted; resend the same body.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// HTTP 413: the body is larger than the endpoint accepts; send it in smaller parts.
    TooLarge(String),
    /// Resending cannot help.
    Reject(String),
}

/// How sending part of a batch ended, when it did not fail.
enum Piece {
    /// All its records were accepted.
    Delivered(u64),
    /// The endpoint found the body too large: `delivered` records were accepted before,
    /// and the records at `rest` are still to send, in smaller parts.
    TooLarge {
        delivered: u64,
        rest: Vec<usize>,
        reason: String,
    },
}

impl HttpSink {
    /// Builds the HTTP client once; fails only when an https URL finds no trusted root certificates.
    pub fn new(config: HttpSinkConfig) -> Result<Self, HttpConfigError> {
        let shown = redact::url(&config.endpoint.to_string());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = if config.endpoint.scheme_str() == Some("https") {
            builder
                .with_provider_and_native_roots(provider)
                .map_err(|err| {
                    config_error(
                        URL_VAR,
                        Some(&shown),
                        format!("is https but no trusted root certificates could be loaded ({err})"),
                        "a system CA bundle (e.g. /etc/pki/tls/certs/ca-bundle.crt) or SSL_CERT_FILE",
                    )
                })?
        } else {
            // Plain http never negotiates TLS, so it needs no root store.
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|err| {
                    config_error(
                        URL_VAR,
                        Some(&shown),
                        format!("cannot set up TLS ({err})"),
                        "a TLS provider supporting TLS 1.2 or 1.3",
                    )
                })?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            builder.with_tls_config(tls)
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.timeout));
        let connector = builder.https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        let authorization = config.token.as_ref().and_then(|token| {
            let mut value = HeaderValue::from_str(&format!(
                "{} {}",
                config.preset.get().auth_scheme(),
                token.expose()
            ))
            .ok()?;
            // Keeps the value out of hyper's Debug output and HTTP/2 header compression tables.
            value.set_sensitive(true);
            Some(value)
        });
        Ok(Self {
            config,
            client,
            authorization,
            jitter: Jitter::seeded(),
        })
    }

    /// The configuration this sink was built with.
    pub fn config(&self) -> &HttpSinkConfig {
        &self.config
    }

    /// Sends `records` in batches bounded by the configured size and count; returns how many
    /// were delivered (all of them, on success).
    ///
    /// Retries stop before `deadline` (an attempt is not started with less than a second
    /// left, and a backoff that would pass it is not waited out): the error is then
    /// transient, so the message is retried by SQS instead of the invocation timing out.
    /// An HTTP 413 splits the batch in halves until the parts fit; a single record the
    /// endpoint still finds too large is a permanent error.
    pub async fn deliver(
        &self,
        source: &BatchSource,
        records: &[Record],
        deadline: Instant,
    ) -> Result<u64, SinkError> {
        let preset = self.config.preset.get();
        let context = preset.delivery_context(source, self.config.index.as_deref());
        let max_bytes = self.config.max_batch_bytes.max(1);
        let max_records = self.config.max_batch_records.max(1);
        let mut delivered: u64 = 0;
        let mut body = Vec::new();
        let mut ends = Vec::new();
        let mut first = 0;
        for (index, record) in records.iter().enumerate() {
            if record.json.contains('\n') {
                // A line break would split the document in two and, in `_bulk`, turn half of
                // it into an action line.
                return Err(self.failure(
                    source,
                    delivered,
                    false,
                    format!("record {} is not a single line of JSON", record.uid),
                ));
            }
            let start = body.len();
            preset.append(&mut body, record, &context);
            let full = ends.len() >= max_records || body.len() > max_bytes;
            if full && !ends.is_empty() {
                let tail = body.split_off(start);
                let ready = Batch {
                    body: Bytes::from(std::mem::replace(&mut body, tail)),
                    ends: std::mem::take(&mut ends),
                    first,
                };
                first = index;
                delivered += self.send_batch(source, &ready, delivered, deadline).await?;
            }
            if body.len() > max_bytes {
                tracing::warn!(
                    bucket = %source.bucket,
                    key = %source.key,
                    uid = %record.uid,
                    bytes = body.len(),
                    max_bytes,
                    "record exceeds the batch size limit; sending it alone"
                );
            }
            ends.push(body.len());
        }
        if !ends.is_empty() {
            let last = Batch {
                body: Bytes::from(body),
                ends,
                first,
            };
            delivered += self.send_batch(source, &last, delivered, deadline).await?;
        }
        Ok(delivered)
    }

    /// Sends one batch, in halves when the endpoint answers 413; returns the number of
    /// records it held.
    async fn send_batch(
        &self,
        source: &BatchSource,
        batch: &Batch,
        delivered_before: u64,
        deadline: Instant,
    ) -> Result<u64, SinkError> {
        let mut parts = VecDeque::from([(0..batch.ends.len()).collect::<Vec<usize>>()]);
        let mut delivered = 0;
        while let Some(part) = parts.pop_front() {
            let before = delivered_before + delivered;
            match self
                .send_part(source, batch, part, before, deadline)
                .await?
            {
                Piece::Delivered(n) => delivered += n,
                Piece::TooLarge {
                    delivered: n,
                    rest,
                    reason,
                } => {
                    delivered += n;
                    if let [only] = rest[..] {
                        return Err(self.failure(
                            source,
                            delivered_before + delivered,
                            false,
                            format!(
                                "record {} alone is larger than the endpoint accepts ({reason}); raise the endpoint's request size limit",
                                batch.first + only
                            ),
                        ));
                    }
                    tracing::info!(
                        bucket = %source.bucket,
                        key = %source.key,
                        chunk = source.first_index,
                        records = rest.len(),
                        "HTTP 413: sending the batch in two halves"
                    );
                    let half = rest.len() / 2;
                    parts.push_front(rest[half..].to_vec());
                    parts.push_front(rest[..half].to_vec());
                }
            }
        }
        Ok(delivered)
    }

    /// Sends the records of `batch` at `positions` with retries.
    async fn send_part(
        &self,
        source: &BatchSource,
        batch: &Batch,
        positions: Vec<usize>,
        delivered_before: u64,
        deadline: Instant,
    ) -> Result<Piece, SinkError> {
        let count = positions.len();
        let span = match (positions.first(), positions.last()) {
            (Some(a), Some(b)) => format!("{}..{}", batch.first + a, batch.first + b + 1),
            _ => String::new(),
        };
        let transient = |reason: String| self.failure(source, delivered_before, true, reason);
        let max_attempts = self.config.max_attempts.max(1);
        let mut pending = positions;
        let mut body = self
            .encode(batch.body_of(&pending))
            .await
            .map_err(transient)?;
        let mut last_reason = String::new();
        for attempt in 1..=max_attempts {
            let Some(left) = time_for_attempt(deadline) else {
                return Err(transient(format!(
                    "batch of records {span}: the invocation's time is running out, so attempt {attempt} was not started{}",
                    if last_reason.is_empty() { String::new() } else { format!(" (last failure: {last_reason})") }
                )));
            };
            let timeout = self.config.timeout.min(left);
            let outcome = self
                .attempt(body.clone(), batch.first, &pending, timeout)
                .await;
            let retry_after = match outcome {
                Attempt::Delivered => {
                    tracing::debug!(
                        bucket = %source.bucket,
                        key = %source.key,
                        chunk = source.first_index,
                        records = %span,
                        attempt,
                        "batch delivered"
                    );
                    return Ok(Piece::Delivered(count as u64));
                }
                Attempt::TooLarge(reason) => {
                    return Ok(Piece::TooLarge {
                        delivered: (count - pending.len()) as u64,
                        rest: pending,
                        reason,
                    });
                }
                Attempt::Reject(reason) => {
                    return Err(self.failure(
                        source,
                        delivered_before,
                        false,
                        format!("batch of records {span}: {reason}"),
                    ));
                }
                Attempt::RetryItems { positions, reason } => {
                    pending = positions
                        .into_iter()
                        .map(|position| pending[position])
                        .collect();
                    body = self
                        .encode(batch.body_of(&pending))
                        .await
                        .map_err(transient)?;
                    last_reason = reason;
                    None
                }
                Attempt::Retry {
                    reason,
                    retry_after,
                } => {
                    last_reason = reason;
                    retry_after
                }
            };
            if attempt == max_attempts {
                break;
            }
            let delay = match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => {
                    return Err(transient(format!(
                        "batch of records {span}: {last_reason}; the server asked to retry after {} s, longer than this invocation waits",
                        wait.as_secs()
                    )));
                }
                Some(wait) => wait,
                None => backoff(
                    self.config.backoff_base,
                    self.config.backoff_cap,
                    attempt,
                    &self.jitter,
                ),
            };
            if Instant::now() + delay + MIN_ATTEMPT_TIME > deadline {
                return Err(transient(format!(
                    "batch of records {span}: {last_reason}; the invocation's time would run out before attempt {}",
                    attempt + 1
                )));
            }
            tracing::warn!(
                bucket = %source.bucket,
                key = %source.key,
                chunk = source.first_index,
                attempt,
                max_attempts,
                delay_ms = delay.as_millis() as u64,
                reason = %last_reason,
                "HTTP sink attempt failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
        Err(transient(format!(
            "batch of records {span}: {last_reason} (gave up after {max_attempts} attempts)"
        )))
    }

    /// The request body for `raw`: gzip-compressed off the async worker threads, so a
    /// large batch does not stall timers and other connections.
    async fn encode(&self, raw: Bytes) -> Result<Bytes, String> {
        if !self.config.gzip {
            return Ok(raw);
        }
        tokio::task::spawn_blocking(move || gzip(&raw))
            .await
            .map_err(|e| format!("compressing the batch failed: {e}"))
    }

    async fn attempt(
        &self,
        body: Bytes,
        first: usize,
        pending: &[usize],
        timeout: Duration,
    ) -> Attempt {
        let preset = self.config.preset.get();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.config.endpoint.clone())
            .header(CONTENT_TYPE, preset.content_type())
            .header(
                USER_AGENT,
                concat!("s3connector/", env!("CARGO_PKG_VERSION")),
            );
        if self.config.gzip {
            request = request.header(CONTENT_ENCODING, "gzip");
        }
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(err) => return Attempt::Reject(format!("cannot build the request ({err})")),
        };
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| format!("request failed: {}", error_chain(&err)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|err| format!("reading the response failed: {err}"))?
                .to_bytes();
            Ok::<_, String>((parts.status, parts.headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                return Attempt::Retry {
                    reason: format!("timed out after {} s", timeout.as_secs_f64()),
                    retry_after: None,
                }
            }
            Ok(Err(reason)) => {
                return Attempt::Retry {
                    reason,
                    retry_after: None,
                }
            }
            Ok(Ok(response)) => response,
        };
        let excerpt = self.excerpt(&body);
        if let Some(decided) = common_rules(status, &headers, &excerpt) {
            return decided;
        }
        // Reading a reply (a `_bulk` answer holds an item per document) is CPU work:
        // done off the async worker threads.
        let pending = pending.to_vec();
        let preset = self.config.preset;
        let judged = tokio::task::spawn_blocking(move || {
            preset.get().judge(&Reply {
                status,
                body: &body,
                pending: &pending,
                first,
                excerpt: &excerpt,
            })
        })
        .await;
        judged.unwrap_or_else(|e| Attempt::Retry {
            reason: format!("reading the reply failed: {e}"),
            retry_after: None,
        })
    }

    /// The start of a response body for an error message, with the token scrubbed in case the
    /// server echoes request headers.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let mut excerpt: String = text
            .chars()
            .take(EXCERPT_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if text.chars().nth(EXCERPT_CHARS).is_some() {
            excerpt.push('…');
        }
        if let Some(token) = &self.config.token {
            excerpt = excerpt.replace(token.expose(), "<redacted>");
        }
        if excerpt.trim().is_empty() {
            "(empty body)".to_owned()
        } else {
            excerpt
        }
    }

    fn failure(
        &self,
        source: &BatchSource,
        delivered: u64,
        transient: bool,
        reason: String,
    ) -> SinkError {
        let mut reason = format!(
            "{} chunk from record {}: {reason}",
            self.config.preset.name(),
            source.first_index
        );
        if delivered > 0 {
            reason.push_str(&format!(
                " ({delivered} records of this chunk were delivered before)"
            ));
        }
        let (bucket, key) = (source.bucket.clone(), source.key.clone());
        if transient {
            SinkError::Transient {
                bucket,
                key,
                reason,
            }
        } else {
            SinkError::Permanent {
                bucket,
                key,
                reason,
            }
        }
    }
}

/// The rules every service shares: retry on 408, 429 and 5xx (honouring `Retry-After`),
/// split on 413, reject redirects and authentication failures. `None` leaves the response
/// to the preset.
fn common_rules(status: StatusCode, headers: &HeaderMap, excerpt: &str) -> Option<Attempt> {
    if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        return Some(Attempt::Retry {
            reason: format!("HTTP {status}: {excerpt}"),
            retry_after: retry_after(headers),
        });
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Some(Attempt::TooLarge(format!("HTTP {status}: {excerpt}")));
    }
    if status.is_redirection() {
        let location = headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .map_or_else(|| "an unnamed location".to_owned(), redact::url);
        return Some(Attempt::Reject(format!(
            "HTTP {status} redirect to {location}; set {URL_VAR} to the final URL"
        )));
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Some(Attempt::Reject(format!(
            "HTTP {status}: {excerpt}; check {TOKEN_VAR} and its permissions"
        )));
    }
    None
}

/// Gzip at level 1: the Lambda is CPU-bound and JSON still shrinks several-fold.
fn gzip(raw: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::new(1),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(raw);
    Bytes::from(encoder.finish().unwrap_or_default())
}

pub(crate) fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
