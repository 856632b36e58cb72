//! The AWS client factory: one place that turns credential settings into SDK clients.
//!
//! Supports the default credential chain, a named profile, static keys, and AssumeRole
//! (external ID, session name, source identity, duration) on top of any of them. An
//! endpoint override applies to every client, and S3 then uses path-style addressing
//! (what local emulators need). S3 clients are cached per region.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Most S3 clients kept per set of credentials, one per region (more than a function
/// meets in practice: its own region and the few its buckets live in).
pub const MAX_CACHED_REGIONS: usize = 16;

/// Region used when neither the settings nor the environment name one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Where the base credentials come from.
#[derive(Clone, Default)]
pub enum CredentialSource {
    /// The SDK's default chain: environment, profile, web identity, container, instance.
    #[default]
    DefaultChain,
    /// A named profile from the shared config and credentials files.
    Profile(String),
    /// Static keys, e.g. from a CLI flag or a secret store.
    Static {
        /// Access key ID.
        access_key_id: String,
        /// Secret access key (never logged).
        secret_access_key: String,
        /// Session token for temporary credentials.
        session_token: Option<String>,
    },
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DefaultChain => f.write_str("DefaultChain"),
            Self::Profile(p) => f.debug_tuple("Profile").field(p).finish(),
            Self::Static { access_key_id, .. } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .finish_non_exhaustive(),
        }
    }
}

/// A role to assume, with the options STS AssumeRole takes.
#[derive(Clone, PartialEq, Eq)]
pub struct RoleSpec {
    /// ARN of the role.
    pub role_arn: String,
    /// External ID the role's trust policy requires (treated as a secret).
    pub external_id: Option<String>,
    /// Role session name, visible in CloudTrail.
    pub session_name: String,
    /// Source identity recorded in CloudTrail for the session.
    pub source_identity: Option<String>,
    /// Session duration in seconds (900..43200).
    pub duration: Duration,
}

impl fmt::Debug for RoleSpec {
    // The external ID is a shared secret between the two accounts: keep it out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleSpec")
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id.as_ref().map(|_| "***"))
            .field("session_name", &self.session_name)
            .field("source_identity", &self.source_identity)
            .field("duration", &self.duration)
            .finish()
    }
}

/// Everything needed to build clients.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// Region; falls back to the SDK's provider chain, then [`FALLBACK_REGION`].
    pub region: Option<String>,
    /// Endpoint override for every service (local emulators, VPC endpoints).
    pub endpoint_url: Option<String>,
    /// Base credentials.
    pub credentials: CredentialSource,
    /// Role assumed on top of the base credentials.
    pub assume_role: Option<RoleSpec>,
}

/// Failure to obtain credentials for a role.
#[derive(Debug, thiserror::Error)]
#[error("could not assume role {role_arn}: {}", DisplayErrorContext(.source))]
pub struct AssumeRoleError {
    /// The role that was asked for.
    pub role_arn: String,
    /// The STS error, kept whole so callers can classify it by code.
    #[source]
    pub source: SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>,
}

impl AssumeRoleError {
    /// The AWS error code (e.g. `AccessDenied`, `ExpiredToken`), when STS answered.
    pub fn code(&self) -> Option<&str> {
        self.source.code()
    }

    /// Whether retrying later can help (throttling, timeouts, 5xx, network).
    pub fn is_transient(&self) -> bool {
        is_transient(&self.source)
    }
}

/// Whether retrying an AWS call can help: timeouts, network failures, 5xx and throttling.
pub fn is_transient<E: ProvideErrorMetadata>(
    e: &SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> bool {
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(r) => r.raw().status().is_server_error(),
        SdkError::ServiceError(s) => {
            s.raw().status().is_server_error()
                || matches!(
                    e.code(),
                    Some(
                        "Throttling"
                            | "ThrottlingException"
                            | "RequestLimitExceeded"
                            | "SlowDown"
                            | "TooManyRequestsException"
                    )
                )
        }
        _ => false,
    }
}

/// One line saying why an AWS call failed, without the SDK's debug dump: `<code>: <AWS
/// message>` when the service answered, else what went wrong on the way (timeout,
/// connection, unreadable response). Safe to print: AWS messages name resources, never
/// object content.
pub fn error_summary<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                (None, Some(message)) => message.to_string(),
                (None, None) => "the service refused the request without an error code".into(),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        SdkError::DispatchFailure(d) => {
            let reason = if d.is_io() {
                "network error"
            } else if d.is_timeout() {
                "timed out"
            } else {
                "could not send"
            };
            format!("{reason}: {}", innermost(e))
        }
        SdkError::ResponseError(_) => format!("unreadable response: {}", innermost(e)),
        SdkError::ConstructionFailure(_) => format!("invalid request: {}", innermost(e)),
        _ => innermost(e),
    }
}

/// The message of an error's innermost source (the root cause, e.g. `Connection refused`).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// SDK clients built from one set of credentials, cheap to clone.
#[derive(Clone)]
pub struct Clients {
    inner: Arc<Inner>,
}

struct Inner {
    sdk: SdkConfig,
    path_style: bool,
    s3_by_region: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("region", &self.region())
            .field("path_style", &self.inner.path_style)
            .finish_non_exhaustive()
    }
}

/// How long a connection may take to open (the SDK's default, kept explicit).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// How long a call may wait for the first byte of its response, after which the SDK
/// retries it (a transient error): an endpoint that accepts a request and never answers
/// must not hold an invocation until Lambda's own timeout. Long enough for SQS long
/// polling (20 s at most).
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The timeouts every client gets: [`CONNECT_TIMEOUT`] and [`READ_TIMEOUT`]. No
/// operation timeout: uploads of large chunks legitimately take long while sending.
fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
}

impl Clients {
    /// Loads the SDK configuration and, if a role is configured, assumes it once eagerly
    /// so that a wrong role or external ID fails here with its STS error.
    pub async fn load(settings: &ClientSettings) -> Result<Self, AssumeRoleError> {
        let region = RegionProviderChain::first_try(settings.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(Region::from_static(FALLBACK_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .timeout_config(timeouts());
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader = match &settings.credentials {
            CredentialSource::DefaultChain => loader,
            CredentialSource::Profile(name) => loader.profile_name(name),
            CredentialSource::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => loader.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key,
                session_token.clone(),
                None,
                "s3connector-static",
            )),
        };
        let base = Clients::from_sdk_config(loader.load().await, settings.endpoint_url.is_some());
        match &settings.assume_role {
            Some(role) => base.assume_role(role).await,
            None => Ok(base),
        }
    }

    /// Wraps an existing SDK configuration (used by tests that inject a mock HTTP client).
    pub fn from_sdk_config(sdk: SdkConfig, path_style: bool) -> Self {
        Clients {
            inner: Arc::new(Inner {
                sdk,
                path_style,
                s3_by_region: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Returns clients that act as `role`, assumed with these clients' credentials.
    pub async fn assume_role(&self, role: &RoleSpec) -> Result<Clients, AssumeRoleError> {
        let provider = AssumeRoleProvider {
            sts: self.sts(),
            role: role.clone(),
            cached: Mutex::new(None),
        };
        let first = provider.fetch().await?;
        *provider.cached.lock().expect("credentials cache poisoned") = Some(first);
        let sdk = self
            .inner
            .sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        Ok(Clients::from_sdk_config(sdk, self.inner.path_style))
    }

    /// The clients' read timeout ([`READ_TIMEOUT`] unless configured otherwise): also how
    /// long an object body may send nothing before reading it fails.
    pub fn read_timeout(&self) -> Duration {
        self.inner
            .sdk
            .timeout_config()
            .and_then(|t| t.read_timeout())
            .unwrap_or(READ_TIMEOUT)
    }

    /// These clients with other timeouts (tests use short ones to meet faults quickly).
    pub fn with_timeouts(&self, timeouts: aws_config::timeout::TimeoutConfig) -> Clients {
        let sdk = self.inner.sdk.to_builder().timeout_config(timeouts).build();
        Clients::from_sdk_config(sdk, self.inner.path_style)
    }

    /// The region these clients use by default.
    pub fn region(&self) -> Option<&str> {
        self.inner.sdk.region().map(|r| r.as_ref())
    }

    /// The underlying SDK configuration.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.inner.sdk
    }

    /// S3 client in the default region.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let region = self.region().unwrap_or(FALLBACK_REGION).to_string();
        self.s3_in(&region)
    }

    /// S3 client for `region`, built once and cached. The cache holds at most
    /// [`MAX_CACHED_REGIONS`] regions; beyond that a client is built for the one call, so
    /// no sequence of requests can grow it without bound.
    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let mut cache = self
            .inner
            .s3_by_region
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = cache.get(region) {
            return client.clone();
        }
        let conf = aws_sdk_s3::config::Builder::from(&self.inner.sdk)
            .region(Region::new(region.to_string()))
            .force_path_style(self.inner.path_style)
            .build();
        let client = aws_sdk_s3::Client::from_conf(conf);
        if cache.len() < MAX_CACHED_REGIONS {
            cache.insert(region.to_string(), client.clone());
        }
        client
    }

    /// How many regions' S3 clients are cached.
    pub fn cached_s3_regions(&self) -> usize {
        self.inner
            .s3_by_region
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// SQS client in the default region.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.inner.sdk)
    }

    /// SQS client for `region` (queues live in one region; their URL names it).
    pub fn sqs_in(&self, region: &str) -> aws_sdk_sqs::Client {
        let conf = aws_sdk_sqs::config::Builder::from(&self.inner.sdk)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    }

    /// CloudWatch client for `region` (storage metrics are published in the bucket's region).
    pub fn cloudwatch_in(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        let conf = aws_sdk_cloudwatch::config::Builder::from(&self.inner.sdk)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_cloudwatch::Client::from_conf(conf)
    }

    /// S3 Control client for `region`. S3 Control puts the account id in the host name
    /// (`<account>.s3-control.<region>.amazonaws.com`); with an endpoint override (an
    /// emulator, addressed path-style like S3 here) requests go to the override as is,
    /// the account id travelling in the `x-amz-account-id` header.
    pub fn s3control_in(&self, region: &str) -> aws_sdk_s3control::Client {
        let mut conf = aws_sdk_s3control::config::Builder::from(&self.inner.sdk)
            .region(Region::new(region.to_string()));
        if let (true, Some(url)) = (self.inner.path_style, self.inner.sdk.endpoint_url()) {
            conf = conf.endpoint_resolver(FixedEndpoint(url.to_string()));
        }
        aws_sdk_s3control::Client::from_conf(conf.build())
    }

    /// STS client in the default region (regional STS endpoints are the SDK default).
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.inner.sdk)
    }
}

/// An S3 Control endpoint that is the override URL itself (see [`Clients::s3control_in`]).
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}

/// Credentials from STS AssumeRole, refreshed shortly before they expire.
///
/// aws-config's own provider does not pass a source identity, which security teams
/// use to trace a session back to the tool that opened it; hence this small provider.
struct AssumeRoleProvider {
    sts: aws_sdk_sts::Client,
    role: RoleSpec,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProvider")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Refresh credentials this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl AssumeRoleProvider {
    async fn fetch(&self) -> Result<Credentials, AssumeRoleError> {
        let role = &self.role;
        let out = self
            .sts
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(&role.session_name)
            .set_external_id(role.external_id.clone())
            .set_source_identity(role.source_identity.clone())
            .duration_seconds(i32::try_from(role.duration.as_secs()).unwrap_or(3600))
            .send()
            .await
            .map_err(|source| AssumeRoleError {
                role_arn: role.role_arn.clone(),
                source,
            })?;
        let creds = out
            .credentials
            .expect("STS AssumeRole always returns credentials");
        let expiry = SystemTime::try_from(creds.expiration).ok();
        Ok(Credentials::new(
            creds.access_key_id,
            creds.secret_access_key,
            Some(creds.session_token),
            expiry,
            "s3connector-assume-role",
        ))
    }

    async fn provide(&self) -> Result<Credentials, CredentialsError> {
        let fresh_enough = |c: &Credentials| match c.expiry() {
            Some(exp) => exp > SystemTime::now() + REFRESH_MARGIN,
            None => true,
        };
        if let Some(c) = self
            .cached
            .lock()
            .expect("credentials cache poisoned")
            .clone()
        {
            if fresh_enough(&c) {
                return Ok(c);
            }
        }
        let creds = self
            .fetch()
            .await
            .map_err(CredentialsError::provider_error)?;
        *self.cached.lock().expect("credentials cache poisoned") = Some(creds.clone());
        Ok(creds)
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.provide())
    }
}

/// A key or prefix from a ListObjectsV2 response requested with `EncodingType=url`, decoded.
///
/// Every listing asks S3 to URL-encode names in its answer: XML 1.0 cannot carry some
/// characters a key may hold (control characters such as U+0001), and one such key would
/// otherwise make the whole page unreadable ("Listing object keys programmatically" and
/// ListObjectsV2 `encoding-type`, Amazon S3 API Reference). S3 encodes as form data (`+` is a
/// space), as in event notifications. A name that does not decode to UTF-8 is kept as sent.
pub fn listed_name(raw: &str) -> String {
    if !raw.contains(['%', '+']) {
        return raw.to_string();
    }
    crate::notification::decode_key(raw).unwrap_or_else(|| raw.to_string())
}

/// [`listed_name`] of an owned name: a name with nothing encoded (most keys) is returned
/// as it is, without copying; the listing of a 1,000-key page does no per-key work then.
pub fn listed_name_owned(raw: String) -> String {
    if !raw.contains(['%', '+']) {
        return raw;
    }
    crate::notification::decode_key(&raw).unwrap_or(raw)
}

/// Whether a failed call was an HTTP 200 whose body is an empty XML document: the SDK could
/// not parse it, but S3 (or an emulator) meant "nothing configured", as moto's
/// `<GetBucketVersioningResponse/>` for a bucket whose versioning was never enabled.
pub(crate) fn is_empty_answer<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    // The SDK reports an unparsable success as a response or a service error: both keep
    // the raw response.
    e.raw_response().is_some_and(|r| {
        r.status().as_u16() == 200 && r.body().bytes().is_some_and(is_empty_xml_document)
    })
}

/// Whether `body` is an XML document whose root element is empty (no child, no text):
/// `<?xml ...?><Name attr="..."/>` or `<Name ...></Name>`.
pub(crate) fn is_empty_xml_document(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let mut rest = text.trim();
    if let Some(after) = rest.strip_prefix("<?xml") {
        match after.find("?>") {
            Some(end) => rest = after[end + 2..].trim(),
            None => return false,
        }
    }
    let Some(inner) = rest.strip_prefix('<') else {
        return false;
    };
    let name_end = inner
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() {
        return false;
    }
    let Some(tag_end) = inner.find('>') else {
        return false;
    };
    let (open, after) = (&inner[..tag_end], inner[tag_end + 1..].trim());
    if open.ends_with('/') {
        return after.is_empty();
    }
    after == format!("</{name}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_are_decoded_only_when_encoded() {
        assert_eq!(listed_name_owned("logs/a.json".into()), "logs/a.json");
        assert_eq!(listed_name_owned("a+b%2Bc%C3%BC".into()), "a b+cü");
        assert_eq!(listed_name("a+b"), "a b");
        assert_eq!(listed_name("%FF"), "%FF", "not UTF-8: kept as sent");
    }

    #[tokio::test]
    async fn s3_client_cache_is_bounded_whatever_regions_are_asked_for() {
        let clients = Clients::from_sdk_config(
            SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .build(),
            true,
        );
        for i in 0..(MAX_CACHED_REGIONS * 4) {
            let region = format!("xx-test-{i}");
            let client = clients.s3_in(&region);
            assert_eq!(
                client.config().region().map(|r| r.as_ref()),
                Some(region.as_str())
            );
        }
        assert_eq!(clients.cached_s3_regions(), MAX_CACHED_REGIONS);
        // A cached region is served from the cache, a new one still gets its own client.
        clients.s3_in("xx-test-0");
        assert_eq!(clients.cached_s3_regions(), MAX_CACHED_REGIONS);
    }

    #[test]
    fn listed_names_decode_as_s3_encodes_them() {
        assert_eq!(listed_name("logs/a+b%2Bc%20d"), "logs/a b+c d");
        assert_eq!(listed_name("zz/%01"), "zz/\u{1}");
        assert_eq!(listed_name("k%E2%82%AC"), "k€");
        // Not UTF-8 once decoded: kept as S3 sent it.
        assert_eq!(listed_name("bad%FF"), "bad%FF");
    }

    #[test]
    fn empty_xml_documents_are_told_from_documents_with_content() {
        assert!(is_empty_xml_document(b"<A/>"));
        assert!(is_empty_xml_document(
            b"<?xml version=\"1.0\"?>\n<A xmlns=\"x\" />\n"
        ));
        assert!(is_empty_xml_document(b"<A xmlns=\"x\"></A>"));
        assert!(!is_empty_xml_document(b"<A><Status>Enabled</Status></A>"));
        assert!(!is_empty_xml_document(b"<A>text</A>"));
        assert!(!is_empty_xml_document(b""));
        assert!(!is_empty_xml_document(b"<?xml version=\"1.0\"?>"));
        assert!(!is_empty_xml_document(b"not xml"));
    }
}
