//! The HTTP sink's settings (`S3CONNECTOR_HTTP_*`), read and checked once at cold start.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use http::header::HeaderValue;
use http::Uri;

use super::preset::HttpPreset;
use crate::redact;

pub(crate) const URL_VAR: &str = "S3CONNECTOR_HTTP_URL";
pub(crate) const PRESET_VAR: &str = "S3CONNECTOR_HTTP_PRESET";
pub(crate) const TOKEN_VAR: &str = "S3CONNECTOR_HTTP_TOKEN";
pub(crate) const INDEX_VAR: &str = "S3CONNECTOR_HTTP_INDEX";
pub(crate) const MAX_BATCH_BYTES_VAR: &str = "S3CONNECTOR_HTTP_MAX_BATCH_BYTES";
pub(crate) const MAX_BATCH_RECORDS_VAR: &str = "S3CONNECTOR_HTTP_MAX_BATCH_RECORDS";
pub(crate) const MAX_ATTEMPTS_VAR: &str = "S3CONNECTOR_HTTP_MAX_ATTEMPTS";
pub(crate) const TIMEOUT_SECONDS_VAR: &str = "S3CONNECTOR_HTTP_TIMEOUT_SECONDS";
pub(crate) const GZIP_VAR: &str = "S3CONNECTOR_HTTP_GZIP";

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A credential that never appears in `Debug` output, error messages or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token; it is only ever read to build the `Authorization` header.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// Settings of the HTTP sink, read once at cold start.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSinkConfig {
    /// Where batches are POSTed: the URL as given, except the path the preset fills in
    /// (`/_bulk` appended for Elasticsearch, `/services/collector/event` for a Splunk URL
    /// without a path).
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

/// The endpoint is shown redacted: its query string may carry a credential.
impl fmt::Debug for HttpSinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSinkConfig")
            .field("endpoint", &redact::url(&self.endpoint.to_string()))
            .field("preset", &self.preset)
            .field("token", &self.token)
            .field("index", &self.index)
            .field("max_batch_bytes", &self.max_batch_bytes)
            .field("max_batch_records", &self.max_batch_records)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .finish()
    }
}

/// A configuration variable with a value the sink cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}{}: {problem}; expected {expected}", shown_value(.value))]
pub struct HttpConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// Its value (a URL redacted by [`redact::url`]), or `None` where the value is secret.
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

pub(crate) fn config_error(
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
    /// A token with a plain `http://` URL is refused unless the host is loopback
    /// (127.0.0.0/8, `::1`, `localhost`): it would cross the network in clear text.
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
            None => HttpPreset::default(),
            Some(value) => HttpPreset::parse(&value).ok_or_else(|| {
                config_error(
                    PRESET_VAR,
                    Some(&value),
                    "is not a known preset",
                    format!("one of {}", HttpPreset::names()),
                )
            })?,
        };
        let endpoint = parse_endpoint(&url, preset)?;
        let token = match get(TOKEN_VAR) {
            None => None,
            Some(token) => {
                // Header values cannot hold control characters; catching it here names the
                // variable instead of failing every request later.
                if HeaderValue::from_str(&format!("{} {token}", preset.get().auth_scheme()))
                    .is_err()
                {
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
        if token.is_some() && endpoint.scheme_str() == Some("http") && !is_loopback(&endpoint) {
            return Err(config_error(
                URL_VAR,
                Some(&redact::url(&url)),
                format!("uses plain http:// to a host that is not loopback while {TOKEN_VAR} is set, so the token would cross the network in clear text"),
                "an https:// URL (plain http:// only to 127.0.0.0/8, ::1 or localhost)",
            ));
        }
        let index_value = get(INDEX_VAR);
        let index = preset.get().index(index_value.clone()).map_err(|problem| {
            config_error(
                INDEX_VAR,
                index_value.as_deref(),
                problem.problem,
                problem.expected,
            )
        })?;
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

/// True when the URL's host is this machine: 127.0.0.0/8, `::1` or `localhost`.
fn is_loopback(uri: &Uri) -> bool {
    let Some(host) = uri.host() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn parse_endpoint(url: &str, preset: HttpPreset) -> Result<Uri, HttpConfigError> {
    const EXPECTED: &str = "an absolute http:// or https:// URL";
    // The value is shown without its query string or user info: either may hold a secret.
    let shown = redact::url(url);
    let invalid = |problem: &str| config_error(URL_VAR, Some(&shown), problem, EXPECTED);
    let uri: Uri = url
        .parse()
        .map_err(|err| invalid(&format!("is not a valid URL ({err})")))?;
    let Some(authority) = uri.authority() else {
        return Err(invalid("has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(config_error(
            URL_VAR,
            None,
            "contains user credentials",
            format!("a URL without user:password@; put the credential in {TOKEN_VAR}"),
        ));
    }
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(invalid("does not use http or https")),
    }
    let path = match preset.get().endpoint_path(uri.path()) {
        Ok(None) => return Ok(uri),
        Ok(Some(path)) => path,
        Err(problem) => {
            return Err(config_error(
                URL_VAR,
                Some(&shown),
                problem.problem,
                problem.expected,
            ))
        }
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

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;

    pub(crate) fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn preset(name: &str) -> HttpPreset {
        HttpPreset::parse(name).unwrap()
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
                preset: preset("ndjson"),
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

        assert_eq!(config.preset, preset("splunk_hec"));
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
            assert_eq!(err.value.as_deref(), Some(index));
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
    fn url_errors_never_echo_the_query_string() {
        let err = HttpSinkConfig::from_lookup(lookup(&[
            (
                URL_VAR,
                "https://splunk.example.com:8088/services/collector/raw?token=s3cr3t",
            ),
            (PRESET_VAR, "splunk_hec"),
        ]))
        .unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(err.to_string().contains("?<redacted>"), "{err}");
        let config = HttpSinkConfig::from_lookup(lookup(&[(
            URL_VAR,
            "https://logs.example.com/in?api_key=s3cr3t",
        )]))
        .unwrap()
        .unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
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
    fn token_with_plain_http_is_refused_unless_the_host_is_loopback() {
        for url in [
            "http://splunk.example.com:8088/services/collector/event",
            "http://10.0.0.7/in",
            "http://127.0.0.1.nip.io/in",
        ] {
            let err = HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, url), (TOKEN_VAR, "t0k")]))
                .unwrap_err();
            assert_eq!(err.var, URL_VAR, "{url}");
            assert!(err.problem.contains("clear text"), "{err}");
            assert!(!err.to_string().contains("t0k"), "{err}");
        }
        for url in [
            "http://127.0.0.1:8080/in",
            "http://127.9.8.7/in",
            "http://[::1]:9200",
            "http://localhost:8088",
            "http://LOCALHOST/in",
            "https://splunk.example.com/in",
        ] {
            let config = HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, url), (TOKEN_VAR, "t0k")]));
            assert!(matches!(config, Ok(Some(_))), "{url}: {config:?}");
        }
        // Without a token there is nothing to leak.
        assert!(matches!(
            HttpSinkConfig::from_lookup(lookup(&[(URL_VAR, "http://10.0.0.7/in")])),
            Ok(Some(_))
        ));
    }
}
