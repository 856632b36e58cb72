//! HTTP sink: batched NDJSON POSTs with gzip, retries with backoff and jitter, and presets for
//! Splunk HEC and Elasticsearch/OpenSearch `_bulk`.
//!
//! Delivery is at least once: a batch that fails transiently is retried here, and once retries are
//! exhausted the whole object is redelivered by SQS, so batches already accepted are sent again.
//! The Elasticsearch preset is idempotent (see [`HttpSink`]); `ndjson` and Splunk HEC receivers
//! see duplicates, which they can drop by the record's deterministic `metadata.uid`.
//!
//! TLS uses rustls with the aws-lc-rs provider and the system's root certificates
//! (`rustls-native-certs`; on Lambda `provided.al2023` that is `/etc/pki/tls/certs`).

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, RETRY_AFTER,
    USER_AGENT,
};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::Deserialize;

use super::{BatchSource, Record, SinkError};

const URL_VAR: &str = "S3CONNECTOR_HTTP_URL";
const PRESET_VAR: &str = "S3CONNECTOR_HTTP_PRESET";
const TOKEN_VAR: &str = "S3CONNECTOR_HTTP_TOKEN";
const INDEX_VAR: &str = "S3CONNECTOR_HTTP_INDEX";
const MAX_BATCH_BYTES_VAR: &str = "S3CONNECTOR_HTTP_MAX_BATCH_BYTES";
const MAX_BATCH_RECORDS_VAR: &str = "S3CONNECTOR_HTTP_MAX_BATCH_RECORDS";
const MAX_ATTEMPTS_VAR: &str = "S3CONNECTOR_HTTP_MAX_ATTEMPTS";
const TIMEOUT_SECONDS_VAR: &str = "S3CONNECTOR_HTTP_TIMEOUT_SECONDS";
const GZIP_VAR: &str = "S3CONNECTOR_HTTP_GZIP";

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const DEFAULT_ELASTICSEARCH_INDEX: &str = "ocsf";
const SPLUNK_EVENT_PATH: &str = "/services/collector/event";

/// A server asking us to come back later than this is left to SQS redelivery instead of
/// holding the Lambda (and its bill) idle.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Bulk responses are about 200 bytes per item; this bounds memory against a hostile endpoint.
const MAX_RESPONSE_BYTES: usize = 64 * MIB as usize;
/// Long enough to identify the problem in an error message, short enough for one log line.
const EXCERPT_CHARS: usize = 200;
/// Lambda freezes between invocations; connections idle longer than this are likely closed
/// by the server or a load balancer, so open a fresh one instead of failing the first attempt.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// How records are framed and authenticated for the receiving service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpPreset {
    /// One record JSON per line, `Authorization: Bearer <token>`.
    Ndjson,
    /// Splunk HTTP Event Collector `/services/collector/event`, `Authorization: Splunk <token>`.
    SplunkHec,
    /// Elasticsearch/OpenSearch `_bulk` with `create` actions, `Authorization: ApiKey <token>`.
    Elasticsearch,
}

impl HttpPreset {
    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "ndjson" => Some(Self::Ndjson),
            "splunk_hec" => Some(Self::SplunkHec),
            "elasticsearch" => Some(Self::Elasticsearch),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::SplunkHec => "splunk_hec",
            Self::Elasticsearch => "elasticsearch",
        }
    }

    fn auth_scheme(self) -> &'static str {
        match self {
            Self::Ndjson => "Bearer",
            Self::SplunkHec => "Splunk",
            Self::Elasticsearch => "ApiKey",
        }
    }
}

/// A credential that never appears in `Debug` output, error messages or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token; it is only ever read to build the `Authorization` header.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// Settings of the HTTP sink, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSinkConfig {
    /// Where batches are POSTed: the URL as given, except `/_bulk` appended for Elasticsearch
    /// and `/services/collector/event` filled in for a Splunk URL without a path.
    pub endpoint: Uri,
    /// Framing and authentication scheme.
    pub preset: HttpPreset,
    /// Credential for the `Authorization` header, if any.
    pub token: Option<SecretToken>,
    /// Splunk index (omitted when `None`) or Elasticsearch index (always set).
    pub index: Option<String>,
    /// Upper bound on the uncompressed body of one request; a single larger record is sent alone.
    pub max_batch_bytes: usize,
    /// Upper bound on the records in one request.
    pub max_batch_records: usize,
    /// Requests per batch, including the first.
    pub max_attempts: u32,
    /// Limit on one attempt: connect, send and read the response.
    pub timeout: Duration,
    /// Whether bodies are sent with `Content-Encoding: gzip`.
    pub gzip: bool,
    /// Backoff ceiling for the first retry; doubles per retry (full jitter). Not read from the environment.
    pub backoff_base: Duration,
    /// Largest backoff between two attempts. Not read from the environment.
    pub backoff_cap: Duration,
}

/// A configuration variable with a value the sink cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}{}: {problem}; expected {expected}", shown_value(.value))]
pub struct HttpConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// Its value, or `None` where the value is secret.
    pub value: Option<String>,
    /// What is wrong with it.
    pub problem: String,
    /// What would be accepted.
    pub expected: String,
}

fn shown_value(value: &Option<String>) -> String {
    match value {
        Some(value) => format!("={value:?}"),
        None => " (value hidden)".to_owned(),
    }
}

fn config_error(
    var: &'static str,
    value: Option<&str>,
    problem: impl Into<String>,
    expected: impl Into<String>,
) -> HttpConfigError {
    HttpConfigError {
        var,
        value: value.map(str::to_owned),
        problem: problem.into(),
        expected: expected.into(),
    }
}

impl HttpSinkConfig {
    /// Reads the `S3CONNECTOR_HTTP_*` variables from the process environment.
    pub fn from_env() -> Result<Option<Self>, HttpConfigError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads the `S3CONNECTOR_HTTP_*` variables through `lookup`; `None` when no URL is set.
    ///
    /// Empty values count as unset, so a deployment template can leave a variable blank.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, HttpConfigError> {
        let get = |var: &str| {
            lookup(var)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let Some(url) = get(URL_VAR) else {
            return Ok(None);
        };
        let preset = match get(PRESET_VAR) {
            None => HttpPreset::Ndjson,
            Some(value) => HttpPreset::parse(&value).ok_or_else(|| {
                config_error(
                    PRESET_VAR,
                    Some(&value),
                    "is not a known preset",
                    "one of ndjson, splunk_hec, elasticsearch",
                )
            })?,
        };
        let endpoint = parse_endpoint(&url, preset)?;
        let token = match get(TOKEN_VAR) {
            None => None,
            Some(token) => {
                // Header values cannot hold control characters; catching it here names the
                // variable instead of failing every request later.
                if HeaderValue::from_str(&format!("{} {token}", preset.auth_scheme())).is_err() {
                    return Err(config_error(
                        TOKEN_VAR,
                        None,
                        "contains characters not allowed in an HTTP header",
                        "a token of printable ASCII characters",
                    ));
                }
                Some(SecretToken::new(token))
            }
        };
        let index = parse_index(get(INDEX_VAR), preset)?;
        let max_batch_bytes = parse_in_range(
            get(MAX_BATCH_BYTES_VAR),
            MAX_BATCH_BYTES_VAR,
            4 * MIB,
            KIB..=64 * MIB,
            "bytes",
        )?;
        let max_batch_records = parse_in_range(
            get(MAX_BATCH_RECORDS_VAR),
            MAX_BATCH_RECORDS_VAR,
            5000,
            1..=100_000,
            "records",
        )?;
        let max_attempts = parse_in_range(
            get(MAX_ATTEMPTS_VAR),
            MAX_ATTEMPTS_VAR,
            5,
            1..=20,
            "attempts",
        )?;
        let timeout_seconds = parse_in_range(
            get(TIMEOUT_SECONDS_VAR),
            TIMEOUT_SECONDS_VAR,
            10,
            1..=300,
            "seconds",
        )?;
        let gzip = match get(GZIP_VAR) {
            None => true,
            Some(value) if value.eq_ignore_ascii_case("true") => true,
            Some(value) if value.eq_ignore_ascii_case("false") => false,
            Some(value) => {
                return Err(config_error(
                    GZIP_VAR,
                    Some(&value),
                    "is not a boolean",
                    "true or false",
                ))
            }
        };
        Ok(Some(Self {
            endpoint,
            preset,
            token,
            index,
            max_batch_bytes: usize::try_from(max_batch_bytes).unwrap_or(usize::MAX),
            max_batch_records: usize::try_from(max_batch_records).unwrap_or(usize::MAX),
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            timeout: Duration::from_secs(timeout_seconds),
            gzip,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
        }))
    }
}

fn parse_endpoint(url: &str, preset: HttpPreset) -> Result<Uri, HttpConfigError> {
    const EXPECTED: &str = "an absolute http:// or https:// URL";
    let invalid = |problem: &str| config_error(URL_VAR, Some(url), problem, EXPECTED);
    let uri: Uri = url
        .parse()
        .map_err(|err| invalid(&format!("is not a valid URL ({err})")))?;
    let Some(authority) = uri.authority() else {
        return Err(invalid("has no host"));
    };
    if authority.as_str().contains('@') {
        // The value may hold a password, so it is not echoed.
        return Err(config_error(
            URL_VAR,
            None,
            "contains user credentials",
            "a URL without user:password@; put the credential in S3CONNECTOR_HTTP_TOKEN",
        ));
    }
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(invalid("does not use http or https")),
    }
    let path = uri.path();
    let path = match preset {
        HttpPreset::Ndjson => return Ok(uri),
        HttpPreset::SplunkHec if path.ends_with("/raw") || path.contains("/raw/") => {
            return Err(config_error(
                URL_VAR,
                Some(url),
                "points at the Splunk HEC raw endpoint, which does not take JSON events",
                "the event endpoint, e.g. https://splunk.example.com:8088/services/collector/event",
            ));
        }
        HttpPreset::SplunkHec if path.is_empty() || path == "/" => SPLUNK_EVENT_PATH.to_owned(),
        HttpPreset::SplunkHec => return Ok(uri),
        HttpPreset::Elasticsearch if path.trim_end_matches('/').ends_with("/_bulk") => {
            return Ok(uri)
        }
        HttpPreset::Elasticsearch => format!("{}/_bulk", path.trim_end_matches('/')),
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = uri.into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .map_err(|err| invalid(&format!("cannot take the preset's path ({err})")))?,
    );
    Uri::from_parts(parts).map_err(|err| invalid(&format!("cannot take the preset's path ({err})")))
}

fn parse_index(
    value: Option<String>,
    preset: HttpPreset,
) -> Result<Option<String>, HttpConfigError> {
    match (preset, value) {
        (HttpPreset::Ndjson, None) => Ok(None),
        (HttpPreset::Ndjson, Some(value)) => Err(config_error(
            INDEX_VAR,
            Some(&value),
            "has no effect with the ndjson preset",
            "no index, or S3CONNECTOR_HTTP_PRESET set to splunk_hec or elasticsearch",
        )),
        (HttpPreset::SplunkHec, None) => Ok(None),
        (HttpPreset::SplunkHec, Some(value)) => {
            let valid = value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if valid {
                Ok(Some(value))
            } else {
                Err(config_error(
                    INDEX_VAR,
                    Some(&value),
                    "is not a valid Splunk index name",
                    "lowercase letters, digits, underscores and hyphens",
                ))
            }
        }
        (HttpPreset::Elasticsearch, None) => Ok(Some(DEFAULT_ELASTICSEARCH_INDEX.to_owned())),
        (HttpPreset::Elasticsearch, Some(value)) => {
            // Elasticsearch's own rules; checked here so a typo fails the cold start instead of
            // every document.
            let valid = value.len() <= 255
                && value != "."
                && value != ".."
                && !value.starts_with(['-', '_', '+'])
                && value.chars().all(|c| {
                    !c.is_uppercase()
                        && !c.is_whitespace()
                        && !matches!(
                            c,
                            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ':'
                        )
                });
            if valid {
                Ok(Some(value))
            } else {
                Err(config_error(
                    INDEX_VAR,
                    Some(&value),
                    "is not a valid Elasticsearch index name",
                    "a lowercase name of at most 255 bytes, not starting with - _ +, without spaces or \\ / * ? \" < > | , # :",
                ))
            }
        }
    }
}

fn parse_in_range(
    value: Option<String>,
    var: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    unit: &str,
) -> Result<u64, HttpConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let expected = format!(
        "an integer number of {unit} from {} to {}",
        range.start(),
        range.end()
    );
    let number: u64 = value
        .parse()
        .map_err(|_| config_error(var, Some(&value), "is not a whole number", expected.clone()))?;
    if range.contains(&number) {
        Ok(number)
    } else {
        Err(config_error(var, Some(&value), "is out of range", expected))
    }
}

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
    body: Vec<u8>,
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
}

/// What one POST achieved.
enum Attempt {
    /// Every pending record was accepted.
    Delivered,
    /// Elasticsearch accepted some items; these positions (in the pending list) must be resent.
    RetryItems {
        positions: Vec<usize>,
        reason: String,
    },
    /// Nothing is known to be accepted; resend the same body.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Resending cannot help.
    Reject(String),
}

/// Splunk HEC acknowledgement: `{"text":"Success","code":0}`.
#[derive(Deserialize)]
struct HecReply {
    text: Option<String>,
    code: i64,
    #[serde(rename = "invalid-event-number")]
    invalid_event_number: Option<i64>,
}

/// Splunk HEC code 9: "Server is busy".
const HEC_SERVER_BUSY: i64 = 9;

#[derive(Deserialize)]
struct BulkReply {
    errors: bool,
    #[serde(default)]
    items: Vec<std::collections::HashMap<String, BulkItem>>,
}

#[derive(Deserialize)]
struct BulkItem {
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl HttpSink {
    /// Builds the HTTP client once; fails only when an https URL finds no trusted root certificates.
    pub fn new(config: HttpSinkConfig) -> Result<Self, HttpConfigError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = if config.endpoint.scheme_str() == Some("https") {
            builder
                .with_provider_and_native_roots(provider)
                .map_err(|err| {
                    config_error(
                        URL_VAR,
                        Some(&config.endpoint.to_string()),
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
                        Some(&config.endpoint.to_string()),
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
                config.preset.auth_scheme(),
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
    pub async fn deliver(
        &self,
        source: &BatchSource,
        records: &[Record],
    ) -> Result<u64, SinkError> {
        let suffix = self.line_suffix(source);
        let max_bytes = self.config.max_batch_bytes.max(1);
        let max_records = self.config.max_batch_records.max(1);
        let mut delivered: u64 = 0;
        let mut batch = Batch {
            body: Vec::new(),
            ends: Vec::new(),
            first: 0,
        };
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
            let start = batch.body.len();
            self.append_record(&mut batch.body, record, &suffix);
            let full = batch.ends.len() >= max_records || batch.body.len() > max_bytes;
            if full && !batch.ends.is_empty() {
                let tail = batch.body.split_off(start);
                let ready = std::mem::replace(
                    &mut batch,
                    Batch {
                        body: tail,
                        ends: Vec::new(),
                        first: index,
                    },
                );
                delivered += self.send_batch(source, &ready, delivered).await?;
            }
            if batch.body.len() > max_bytes {
                tracing::warn!(
                    bucket = %source.bucket,
                    key = %source.key,
                    uid = %record.uid,
                    bytes = batch.body.len(),
                    max_bytes,
                    "record exceeds the batch size limit; sending it alone"
                );
            }
            batch.ends.push(batch.body.len());
        }
        if !batch.ends.is_empty() {
            delivered += self.send_batch(source, &batch, delivered).await?;
        }
        Ok(delivered)
    }

    /// The part of each Splunk line after the event, which is the same for the whole call.
    fn line_suffix(&self, source: &BatchSource) -> String {
        if self.config.preset != HttpPreset::SplunkHec {
            return String::new();
        }
        let mut suffix = format!(
            r#","sourcetype":{},"source":{}"#,
            json_string(&format!("ocsf:{}", source.log_type)),
            json_string(&format!("s3://{}/{}", source.bucket, source.key)),
        );
        if let Some(index) = &self.config.index {
            suffix.push_str(&format!(r#","index":{}"#, json_string(index)));
        }
        suffix.push('}');
        suffix
    }

    fn append_record(&self, body: &mut Vec<u8>, record: &Record, suffix: &str) {
        match self.config.preset {
            HttpPreset::Ndjson => {}
            HttpPreset::SplunkHec => {
                body.push(b'{');
                if let Some(time_ms) = record.time_ms {
                    body.extend_from_slice(br#""time":"#);
                    body.extend_from_slice(splunk_time(time_ms).as_bytes());
                    body.push(b',');
                }
                // The event is embedded as JSON, not re-serialized as a string, so Splunk
                // indexes its fields.
                body.extend_from_slice(br#""event":"#);
                body.extend_from_slice(record.json.as_bytes());
                body.extend_from_slice(suffix.as_bytes());
                body.push(b'\n');
                return;
            }
            HttpPreset::Elasticsearch => {
                let index = self
                    .config
                    .index
                    .as_deref()
                    .unwrap_or(DEFAULT_ELASTICSEARCH_INDEX);
                body.extend_from_slice(
                    format!(
                        r#"{{"create":{{"_index":{},"_id":{}}}}}"#,
                        json_string(index),
                        json_string(&record.uid)
                    )
                    .as_bytes(),
                );
                body.push(b'\n');
            }
        }
        body.extend_from_slice(record.json.as_bytes());
        body.push(b'\n');
    }

    /// Sends one batch with retries; returns the number of records it held.
    async fn send_batch(
        &self,
        source: &BatchSource,
        batch: &Batch,
        delivered_before: u64,
    ) -> Result<u64, SinkError> {
        let count = batch.ends.len();
        let max_attempts = self.config.max_attempts.max(1);
        let mut pending: Vec<usize> = (0..count).collect();
        let mut body = self.encode_body(&batch.body);
        let mut last_reason = String::new();
        for attempt in 1..=max_attempts {
            let outcome = self.attempt(body.clone(), batch, &pending).await;
            let retry_after = match outcome {
                Attempt::Delivered => {
                    tracing::debug!(
                        bucket = %source.bucket,
                        key = %source.key,
                        chunk = source.first_index,
                        first_record = batch.first,
                        records = count,
                        attempt,
                        "batch delivered"
                    );
                    return Ok(count as u64);
                }
                Attempt::Reject(reason) => {
                    return Err(self.failure(
                        source,
                        delivered_before,
                        false,
                        format!(
                            "batch of records {}..{}: {reason}",
                            batch.first,
                            batch.first + count
                        ),
                    ));
                }
                Attempt::RetryItems { positions, reason } => {
                    pending = positions
                        .into_iter()
                        .map(|position| pending[position])
                        .collect();
                    let mut raw = Vec::new();
                    for &item in &pending {
                        raw.extend_from_slice(batch.item(item));
                    }
                    body = self.encode_body(&raw);
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
                    return Err(self.failure(
                        source,
                        delivered_before,
                        true,
                        format!(
                            "{last_reason}; the server asked to retry after {} s, longer than this invocation waits",
                            wait.as_secs()
                        ),
                    ));
                }
                Some(wait) => wait,
                None => self.backoff(attempt),
            };
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
        Err(self.failure(
            source,
            delivered_before,
            true,
            format!(
                "batch of records {}..{}: {last_reason} (gave up after {max_attempts} attempts)",
                batch.first,
                batch.first + count
            ),
        ))
    }

    fn encode_body(&self, raw: &[u8]) -> Bytes {
        if !self.config.gzip {
            return Bytes::copy_from_slice(raw);
        }
        // Level 1: the Lambda is CPU-bound and JSON still shrinks several-fold.
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 4),
            flate2::Compression::new(1),
        );
        encoder
            .write_all(raw)
            .expect("writing to a Vec cannot fail");
        Bytes::from(encoder.finish().expect("writing to a Vec cannot fail"))
    }

    async fn attempt(&self, body: Bytes, batch: &Batch, pending: &[usize]) -> Attempt {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.config.endpoint.clone())
            .header(CONTENT_TYPE, self.content_type())
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
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Err(_) => Attempt::Retry {
                reason: format!("timed out after {} s", self.config.timeout.as_secs_f64()),
                retry_after: None,
            },
            Ok(Err(reason)) => Attempt::Retry {
                reason,
                retry_after: None,
            },
            Ok(Ok((status, headers, body))) => self.judge(status, &headers, &body, batch, pending),
        }
    }

    fn content_type(&self) -> &'static str {
        match self.config.preset {
            HttpPreset::Ndjson | HttpPreset::Elasticsearch => "application/x-ndjson",
            HttpPreset::SplunkHec => "application/json",
        }
    }

    /// Classifies a response: retry, reject, or done.
    fn judge(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        batch: &Batch,
        pending: &[usize],
    ) -> Attempt {
        let excerpt = || self.excerpt(body);
        if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            return Attempt::Retry {
                reason: format!("HTTP {status}: {}", excerpt()),
                retry_after: retry_after(headers),
            };
        }
        if status.is_redirection() {
            let location = headers
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("an unnamed location");
            return Attempt::Reject(format!(
                "HTTP {status} redirect to {location}; set {URL_VAR} to the final URL"
            ));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Attempt::Reject(format!(
                "HTTP {status}: {}; check {TOKEN_VAR} and its permissions",
                excerpt()
            ));
        }
        match self.config.preset {
            HttpPreset::SplunkHec if status.is_success() || status == StatusCode::BAD_REQUEST => {
                judge_hec(status, body, excerpt)
            }
            _ if !status.is_success() => Attempt::Reject(format!("HTTP {status}: {}", excerpt())),
            HttpPreset::Ndjson | HttpPreset::SplunkHec => Attempt::Delivered,
            HttpPreset::Elasticsearch => judge_bulk(body, batch, pending, excerpt),
        }
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

    /// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(30))
            .min(self.config.backoff_cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.jitter.next() % nanos.saturating_add(1))
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

fn judge_hec(status: StatusCode, body: &[u8], excerpt: impl Fn() -> String) -> Attempt {
    let Ok(reply) = serde_json::from_slice::<HecReply>(body) else {
        return Attempt::Reject(if status.is_success() {
            format!(
                "HTTP {status} but the reply is not a Splunk HEC acknowledgement ({}); check that {URL_VAR} is the collector endpoint",
                excerpt()
            )
        } else {
            format!("HTTP {status}: {}", excerpt())
        });
    };
    if reply.code == 0 {
        return if status.is_success() {
            Attempt::Delivered
        } else {
            Attempt::Reject(format!("HTTP {status}: {}", excerpt()))
        };
    }
    let mut reason = format!(
        "HTTP {status}, Splunk HEC code {}: {}",
        reply.code,
        reply.text.as_deref().unwrap_or("no text")
    );
    if let Some(number) = reply.invalid_event_number {
        reason.push_str(&format!(" (event {number} of the batch)"));
    }
    if reply.code == HEC_SERVER_BUSY {
        Attempt::Retry {
            reason,
            retry_after: None,
        }
    } else {
        Attempt::Reject(reason)
    }
}

fn judge_bulk(
    body: &[u8],
    batch: &Batch,
    pending: &[usize],
    excerpt: impl Fn() -> String,
) -> Attempt {
    let Ok(reply) = serde_json::from_slice::<BulkReply>(body) else {
        return Attempt::Reject(format!(
            "the reply is not an Elasticsearch _bulk response ({}); check that {URL_VAR} is the cluster base URL",
            excerpt()
        ));
    };
    if !reply.errors {
        return Attempt::Delivered;
    }
    if reply.items.len() != pending.len() {
        return Attempt::Reject(format!(
            "_bulk answered {} items for {} documents",
            reply.items.len(),
            pending.len()
        ));
    }
    let mut retry = Vec::new();
    let mut first_retry_reason = None;
    for (position, item) in reply.items.iter().enumerate() {
        let Some(item) = item.values().next() else {
            return Attempt::Reject(format!("_bulk item {position} is empty"));
        };
        let status = item.status;
        // 409: a document with this _id exists, i.e. an earlier delivery already indexed it.
        if (200..300).contains(&status) || status == 409 {
            continue;
        }
        let reason = bulk_error_reason(item);
        if status == 429 || status >= 500 {
            first_retry_reason.get_or_insert(format!("status {status}: {reason}"));
            retry.push(position);
        } else {
            return Attempt::Reject(format!(
                "document {} of the batch rejected with status {status}: {reason}",
                batch.first + pending[position]
            ));
        }
    }
    if retry.is_empty() {
        return Attempt::Delivered;
    }
    Attempt::RetryItems {
        reason: format!(
            "{} of {} documents not accepted (first: {})",
            retry.len(),
            pending.len(),
            first_retry_reason.unwrap_or_default()
        ),
        positions: retry,
    }
}

fn bulk_error_reason(item: &BulkItem) -> String {
    match &item.error {
        Some(serde_json::Value::Object(error)) => {
            let kind = error
                .get("type")
                .and_then(|v| v.as_str())
                .unwrap_or("error");
            let reason = error
                .get("reason")
                .and_then(|v| v.as_str())
                .unwrap_or("no reason given");
            format!("{kind}: {reason}")
        }
        Some(serde_json::Value::String(reason)) => reason.clone(),
        Some(other) => other.to_string(),
        None => "no reason given".to_owned(),
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    // Only the delay-seconds form; an HTTP-date falls back to our own backoff.
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Splunk wants epoch seconds; keep the milliseconds as a fraction, exactly.
fn splunk_time(time_ms: i64) -> String {
    let sign = if time_ms < 0 { "-" } else { "" };
    let abs = time_ms.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

fn json_string(value: &str) -> String {
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

/// xorshift64* for backoff jitter: no need for a cryptographic generator or another crate.
struct Jitter(AtomicU64);

impl Jitter {
    fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        // Zero is xorshift's fixed point.
        Self(AtomicU64::new(nanos | 1))
    }

    fn next(&self) -> u64 {
        let step = |mut x: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x
        };
        let previous = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| Some(step(x)))
            .unwrap_or(1);
        step(previous).wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
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

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

        assert_eq!(sink.deliver(&source(), &[]).await.unwrap(), 0);
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn gzip_body_decodes_to_exact_ndjson_with_bearer_token() {
        let server = serve(|_, _| answer(200, "")).await;
        let sink = sink(&server.url, &[]);
        let records = records(3, 120);

        sink.deliver(&source(), &records).await.unwrap();

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

        sink.deliver(&source(), &records).await.unwrap();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

    #[test]
    fn splunk_line_omits_index_when_unset() {
        let sink = sink("http://127.0.0.1:9", &[(PRESET_VAR, "splunk_hec")]);
        let record = Record {
            uid: "u".to_owned(),
            time_ms: Some(5),
            json: r#"{"a":1}"#.to_owned(),
        };
        let mut body = Vec::new();

        sink.append_record(&mut body, &record, &sink.line_suffix(&source()));

        let line = String::from_utf8(body).unwrap();
        assert_eq!(
            line,
            "{\"time\":0.005,\"event\":{\"a\":1},\"sourcetype\":\"ocsf:cloudtrail\",\"source\":\"s3://logs-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/file.json.gz\"}\n"
        );
    }

    #[test]
    fn splunk_time_keeps_milliseconds_exactly() {
        assert_eq!(splunk_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(splunk_time(1_700_000_000_000), "1700000000.000");
        assert_eq!(splunk_time(7), "0.007");
        assert_eq!(splunk_time(-1_500), "-1.500");
    }

    #[tokio::test]
    async fn splunk_server_busy_code_is_retried_then_transient() {
        let server = serve(|_, _| answer(200, r#"{"text":"Server is busy","code":9}"#)).await;
        let sink = sink(
            &server.url,
            &[(PRESET_VAR, "splunk_hec"), (MAX_ATTEMPTS_VAR, "3")],
        );

        let err = sink.deliver(&source(), &records(1, 50)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(2, 50)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(1, 50)).await.unwrap_err();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

        let delivered = sink.deliver(&source(), &records(3, 70)).await.unwrap();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

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

        let err = sink.deliver(&source(), &records(2, 70)).await.unwrap_err();

        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("reason for 503"), "{err}");
        assert_eq!(server.received().len(), 3);
    }

    #[tokio::test]
    async fn elasticsearch_mapping_error_item_is_permanent_with_reason() {
        let server = serve(|_, _| answer(200, bulk_reply(&[201, 429, 400]))).await;
        let sink = sink(&server.url, &[(PRESET_VAR, "elasticsearch")]);

        let err = sink.deliver(&source(), &records(3, 70)).await.unwrap_err();

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

        let delivered = sink.deliver(&source(), &records).await.unwrap();

        assert_eq!(delivered, 2);
        let received = server.received();
        assert_eq!(received.len(), 2);
        assert_eq!(received[1].text(), ndjson(&records));
    }

    #[tokio::test]
    async fn service_unavailable_forever_is_transient_after_max_attempts() {
        let server = serve(|_, _| answer(503, "upstream down")).await;
        let sink = sink(&server.url, &[(MAX_ATTEMPTS_VAR, "4")]);

        let err = sink.deliver(&source(), &records(2, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(2, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(3, 60)).await.unwrap_err();

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

        sink.deliver(&source(), &records(1, 60)).await.unwrap();

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

        let err = sink.deliver(&source(), &records(1, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(1, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(1, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records(1, 60)).await.unwrap_err();

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

        let err = sink.deliver(&source(), &records).await.unwrap_err();

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
            let err = sink.deliver(&source(), &records(1, 60)).await.unwrap_err();
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

    #[test]
    fn config_is_absent_without_url() {
        assert_eq!(HttpSinkConfig::from_lookup(lookup(&[])), Ok(None));
        assert_eq!(
            HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, "  "), (PRESET_VAR, "bogus")])),
            Ok(None)
        );
    }

    #[test]
    fn config_defaults_match_documentation() {
        let config =
            HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, "https://logs.example.com/in")]))
                .unwrap()
                .unwrap();

        assert_eq!(
            config,
            HttpSinkConfig {
                endpoint: Uri::from_static("https://logs.example.com/in"),
                preset: HttpPreset::Ndjson,
                token: None,
                index: None,
                max_batch_bytes: 4 * 1024 * 1024,
                max_batch_records: 5000,
                max_attempts: 5,
                timeout: Duration::from_secs(10),
                gzip: true,
                backoff_base: Duration::from_millis(200),
                backoff_cap: Duration::from_secs(5),
            }
        );
    }

    #[test]
    fn config_reads_every_variable() {
        let config = HttpSinkConfig::from_lookup(lookup(&[
            (
                URL_VAR,
                "https://splunk.example.com:8088/services/collector/event",
            ),
            (PRESET_VAR, "SPLUNK_HEC"),
            (TOKEN_VAR, " abc \n"),
            (INDEX_VAR, "aws_logs"),
            (MAX_BATCH_BYTES_VAR, "1048576"),
            (MAX_BATCH_RECORDS_VAR, "100000"),
            (MAX_ATTEMPTS_VAR, "20"),
            (TIMEOUT_SECONDS_VAR, "300"),
            (GZIP_VAR, "False"),
        ]))
        .unwrap()
        .unwrap();

        assert_eq!(config.preset, HttpPreset::SplunkHec);
        assert_eq!(config.token, Some(SecretToken::new("abc")));
        assert_eq!(config.index.as_deref(), Some("aws_logs"));
        assert_eq!(config.max_batch_bytes, 1_048_576);
        assert_eq!(config.max_batch_records, 100_000);
        assert_eq!(config.max_attempts, 20);
        assert_eq!(config.timeout, Duration::from_secs(300));
        assert!(!config.gzip);
    }

    #[test]
    fn config_errors_name_variable_value_problem_and_expectation() {
        let cases = [
            (URL_VAR, "ftp://example.com/logs", "http"),
            (URL_VAR, "/relative/path", "absolute"),
            (PRESET_VAR, "kafka", "splunk_hec"),
            (MAX_BATCH_BYTES_VAR, "1023", "1024 to 67108864"),
            (MAX_BATCH_BYTES_VAR, "67108865", "1024 to 67108864"),
            (MAX_BATCH_RECORDS_VAR, "0", "1 to 100000"),
            (MAX_BATCH_RECORDS_VAR, "lots", "1 to 100000"),
            (MAX_ATTEMPTS_VAR, "21", "1 to 20"),
            (TIMEOUT_SECONDS_VAR, "0", "1 to 300"),
            (TIMEOUT_SECONDS_VAR, "-5", "1 to 300"),
            (GZIP_VAR, "yes", "true or false"),
        ];
        for (var, value, expected) in cases {
            let mut vars = vec![(URL_VAR, "http://127.0.0.1:8080/")];
            vars.retain(|(name, _)| *name != var);
            vars.push((var, value));

            let err = HttpSinkConfig::from_lookup(lookup(&vars)).unwrap_err();

            assert_eq!(err.var, var);
            assert_eq!(err.value.as_deref(), Some(value));
            let message = err.to_string();
            assert!(message.contains(var), "{message}");
            assert!(message.contains(&format!("{value:?}")), "{message}");
            assert!(message.contains(&err.problem), "{message}");
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn elasticsearch_base_url_gets_bulk_path_and_default_index() {
        let config = HttpSinkConfig::from_lookup(lookup(&[
            (URL_VAR, "https://es.example.com:9243/prefix/?pretty=false"),
            (PRESET_VAR, "elasticsearch"),
        ]))
        .unwrap()
        .unwrap();

        assert_eq!(
            config.endpoint,
            "https://es.example.com:9243/prefix/_bulk?pretty=false"
        );
        assert_eq!(config.index.as_deref(), Some("ocsf"));
    }

    #[test]
    fn elasticsearch_invalid_index_is_rejected() {
        for index in ["OCSF", "_hidden", "a b", "logs/*"] {
            let err = HttpSinkConfig::from_lookup(lookup(&[
                (URL_VAR, "https://es.example.com"),
                (PRESET_VAR, "elasticsearch"),
                (INDEX_VAR, index),
            ]))
            .unwrap_err();
            assert_eq!(err.var, INDEX_VAR, "{index}");
        }
    }

    #[test]
    fn splunk_base_url_gets_collector_event_path() {
        let config = HttpSinkConfig::from_lookup(lookup(&[
            (URL_VAR, "https://splunk.example.com:8088"),
            (PRESET_VAR, "splunk_hec"),
        ]))
        .unwrap()
        .unwrap();

        assert_eq!(
            config.endpoint,
            "https://splunk.example.com:8088/services/collector/event"
        );
        assert_eq!(config.index, None);
    }

    #[test]
    fn splunk_raw_endpoint_is_rejected() {
        let err = HttpSinkConfig::from_lookup(lookup(&[
            (
                URL_VAR,
                "https://splunk.example.com:8088/services/collector/raw",
            ),
            (PRESET_VAR, "splunk_hec"),
        ]))
        .unwrap_err();

        assert_eq!(err.var, URL_VAR);
        assert!(
            err.to_string().contains("/services/collector/event"),
            "{err}"
        );
    }

    #[test]
    fn url_with_credentials_is_rejected_without_echoing_them() {
        let err = HttpSinkConfig::from_lookup(lookup(&[(
            URL_VAR,
            "https://user:hunter2@logs.example.com/",
        )]))
        .unwrap_err();

        assert_eq!(err.var, URL_VAR);
        assert_eq!(err.value, None);
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains(TOKEN_VAR), "{err}");
    }

    #[test]
    fn index_with_ndjson_preset_is_rejected() {
        let err = HttpSinkConfig::from_lookup(lookup(&[
            (URL_VAR, "https://logs.example.com"),
            (INDEX_VAR, "main"),
        ]))
        .unwrap_err();

        assert_eq!(err.var, INDEX_VAR);
    }

    #[test]
    fn backoff_is_full_jitter_under_doubling_ceiling_and_cap() {
        let mut config = config("http://127.0.0.1:9", &[]);
        config.backoff_base = Duration::from_millis(100);
        config.backoff_cap = Duration::from_secs(1);
        let sink = HttpSink::new(config).unwrap();

        for (attempt, ceiling_ms) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (12, 1000),
        ] {
            let delays: Vec<Duration> = (0..500).map(|_| sink.backoff(attempt)).collect();
            let ceiling = Duration::from_millis(ceiling_ms);
            assert!(
                delays.iter().all(|delay| *delay <= ceiling),
                "attempt {attempt}"
            );
            // Full jitter spreads retries over the whole window instead of synchronising clients.
            assert!(
                delays.iter().any(|delay| *delay < ceiling / 4),
                "attempt {attempt}"
            );
            assert!(
                delays.iter().any(|delay| *delay > ceiling * 3 / 4),
                "attempt {attempt}"
            );
        }
    }
}
