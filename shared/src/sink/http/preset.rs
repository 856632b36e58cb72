//! The receiving services the HTTP sink speaks to: one [`Preset`] per service, each in
//! its own file. A new service is one new file implementing [`Preset`] and one entry in
//! [`PRESETS`].

use std::fmt;

use http::StatusCode;

use super::elasticsearch::Elasticsearch;
use super::ndjson::Ndjson;
use super::splunk_hec::SplunkHec;
use super::Attempt;
use crate::sink::{BatchSource, Record};

/// Every preset, by the name `S3CONNECTOR_HTTP_PRESET` takes; the first is the default.
const PRESETS: &[HttpPreset] = &[
    HttpPreset(&Ndjson),
    HttpPreset(&SplunkHec),
    HttpPreset(&Elasticsearch),
];

/// What is wrong with a setting for a preset, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub problem: String,
    pub expected: String,
}

impl Problem {
    pub(crate) fn new(problem: impl Into<String>, expected: impl Into<String>) -> Self {
        Problem {
            problem: problem.into(),
            expected: expected.into(),
        }
    }
}

/// A response the sink's common rules (retry on 408, 429 and 5xx; split on 413; reject
/// redirects, 401 and 403) left to the preset.
pub(crate) struct Reply<'a> {
    pub status: StatusCode,
    pub body: &'a [u8],
    /// Positions in the batch of the records this request carried, in order.
    pub pending: &'a [usize],
    /// Index in the caller's records of the batch's first record.
    pub first: usize,
    /// The start of the body for error messages, token scrubbed.
    pub excerpt: &'a str,
}

/// How one kind of receiving service frames, authenticates and acknowledges batches.
pub(crate) trait Preset: Send + Sync + 'static {
    /// The name `S3CONNECTOR_HTTP_PRESET` takes.
    fn name(&self) -> &'static str;

    /// The `Authorization` scheme put before the token.
    fn auth_scheme(&self) -> &'static str;

    /// `Content-Type` of request bodies.
    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }

    /// The path to POST to, from the path of `S3CONNECTOR_HTTP_URL`; `Ok(None)` keeps it.
    fn endpoint_path(&self, path: &str) -> Result<Option<String>, Problem> {
        let _ = path;
        Ok(None)
    }

    /// Checks `S3CONNECTOR_HTTP_INDEX`, or fills in the preset's default.
    fn index(&self, value: Option<String>) -> Result<Option<String>, Problem>;

    /// Text worked out once per delivery and given to each [`Preset::append`] call.
    fn delivery_context(&self, source: &BatchSource, index: Option<&str>) -> String {
        let _ = (source, index);
        String::new()
    }

    /// Appends one record, framed for the service, ending with a line break.
    fn append(&self, body: &mut Vec<u8>, record: &Record, context: &str);

    /// Judges a response the common rules did not decide.
    fn judge(&self, reply: &Reply<'_>) -> Attempt;
}

/// The preset a sink was configured with (`S3CONNECTOR_HTTP_PRESET`).
#[derive(Clone, Copy)]
pub struct HttpPreset(&'static dyn Preset);

impl HttpPreset {
    /// The preset named `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        PRESETS
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The preset's name, as `S3CONNECTOR_HTTP_PRESET` takes it.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every preset name, comma-separated.
    pub fn names() -> String {
        PRESETS
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn get(self) -> &'static dyn Preset {
        self.0
    }
}

impl Default for HttpPreset {
    /// Plain NDJSON.
    fn default() -> Self {
        PRESETS[0]
    }
}

impl PartialEq for HttpPreset {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for HttpPreset {}

impl fmt::Debug for HttpPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_name_in_any_case_and_ndjson_is_the_default() {
        for name in ["ndjson", "splunk_hec", "elasticsearch"] {
            assert_eq!(HttpPreset::parse(name).map(HttpPreset::name), Some(name));
            let upper = name.to_ascii_uppercase();
            assert_eq!(HttpPreset::parse(&upper).map(HttpPreset::name), Some(name));
        }
        assert!(HttpPreset::parse("kafka").is_none());
        assert_eq!(HttpPreset::default().name(), "ndjson");
        assert_eq!(HttpPreset::names(), "ndjson, splunk_hec, elasticsearch");
    }
}
