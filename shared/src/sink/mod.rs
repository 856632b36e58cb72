//! Where normalized records go: the S3 output bucket (default) or an HTTP endpoint.

pub mod http;
pub mod layout;
pub mod parquet;
pub mod s3;

use std::time::Instant;

pub use http::HttpSink;
pub use s3::S3Sink;

/// One normalized record ready for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Deterministic record id (hex SHA-256 of bucket, key, etag, record index): stable across retries.
    pub uid: String,
    /// Event time in epoch milliseconds, when the record has one.
    pub time_ms: Option<i64>,
    /// The OCSF event, serialized as one line of JSON (no trailing newline).
    pub json: String,
}

/// A chunk's events in the form its output format takes them.
#[derive(Debug, Clone, PartialEq)]
pub enum Events {
    /// One line of OCSF NDJSON per event (NDJSON output, HTTP sinks).
    Ndjson(Vec<Record>),
    /// The events as Arrow columns per OCSF class (Parquet output): no JSON text is rendered.
    Columns(crate::normalize::ColumnEvents),
}

impl Events {
    /// How many events.
    pub fn len(&self) -> usize {
        match self {
            Events::Ndjson(records) => records.len(),
            Events::Columns(columns) => columns.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a batch came from, for keys, sourcetypes and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSource {
    /// Log type name, e.g. `cloudtrail`, `vpcflow`.
    pub log_type: String,
    /// Source bucket.
    pub bucket: String,
    /// Source key.
    pub key: String,
    /// First record index of the chunk, which names it (deterministic).
    pub first_index: u64,
    /// Stable id of the source object version (hash of bucket, key, ETag, version).
    pub object_id: String,
}

/// A delivery failure, classified so the caller knows whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Retrying later may succeed: throttling, 5xx, timeouts, connection failures.
    #[error("sink temporarily unavailable for s3://{bucket}/{key}: {reason}")]
    Transient {
        /// Source bucket.
        bucket: String,
        /// Source key.
        key: String,
        /// What happened.
        reason: String,
    },
    /// Retrying cannot help: the sink rejected the data or the configuration is wrong.
    #[error("sink rejected s3://{bucket}/{key}: {reason}")]
    Permanent {
        /// Source bucket.
        bucket: String,
        /// Source key.
        key: String,
        /// What happened.
        reason: String,
    },
}

impl SinkError {
    /// Whether retrying later can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, SinkError::Transient { .. })
    }
}

/// The configured sink (built once at cold start; share it by reference).
#[derive(Debug)]
pub enum Sink {
    /// NDJSON gzip objects in the output bucket.
    S3(S3Sink),
    /// Batched gzip POSTs to an HTTP endpoint (NDJSON, Splunk HEC or Elasticsearch `_bulk`).
    Http(Box<HttpSink>),
}

impl Sink {
    /// Delivers one chunk of events; returns how many were delivered.
    ///
    /// The sink stops retrying before `deadline` with a transient error, so the caller
    /// can still report the input for retry before its invocation ends. HTTP sinks take
    /// NDJSON only (the configuration refuses Parquet with them): columns are refused
    /// as a permanent error.
    pub async fn deliver(
        &self,
        source: &BatchSource,
        events: Events,
        deadline: Instant,
    ) -> Result<u64, SinkError> {
        match (self, events) {
            (Sink::S3(s), events) => s.deliver(source, events, deadline).await,
            (Sink::Http(h), Events::Ndjson(records)) => h.deliver(source, &records, deadline).await,
            (Sink::Http(_), Events::Columns(_)) => Err(SinkError::Permanent {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                reason: "HTTP endpoints receive NDJSON, not Parquet columns".into(),
            }),
        }
    }
}
