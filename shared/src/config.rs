//! Typed configuration, read once from environment variables at cold start.
//!
//! Every invalid or missing value fails with an error naming the variable, what is
//! wrong with the value and the form that is expected. Values of secret variables are
//! never echoed.

//!
//! This module is the top of the dependency graph: it reads variables and builds the
//! types that `aws`, `telemetry` and `connection` define, and none of them imports it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::aws::{ClientSettings, CredentialSource, RoleSpec};
use crate::connection::role_policy::RoleAllowList;
use crate::connection::trust::{AccountScope, EndpointTrust, ExternalIds};
use crate::names;
use crate::telemetry::LogFormat;

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {var}{shown}: {problem}; expected {expected}", shown = shown_value(.value))]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// The offending value, or `None` when it is missing or secret.
    pub value: Option<String>,
    /// What is wrong with it.
    pub problem: String,
    /// The expected form.
    pub expected: &'static str,
}

fn shown_value(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("={v:?}"),
        None => String::new(),
    }
}

/// Configuration shared by every function and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Region for clients when the SDK finds none (`AWS_REGION`).
    pub region: Option<String>,
    /// Endpoint override for every client (`AWS_ENDPOINT_URL`); S3 then uses path-style.
    pub endpoint_url: Option<String>,
    /// Role to assume before reading source buckets.
    pub source_role: Option<RoleSpec>,
    /// Bucket that receives output, reject records and reports.
    pub output_bucket: Option<String>,
    /// Key prefix under the output bucket (empty or ending in `/`).
    pub output_prefix: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Log filter directive, e.g. `info` or `s3connector=debug,info`.
    pub log_level: String,
    /// What the connection-test endpoint may do for its callers.
    pub connection_trust: EndpointTrust,
}

impl From<&Config> for ClientSettings {
    fn from(config: &Config) -> Self {
        ClientSettings {
            region: config.region.clone(),
            endpoint_url: config.endpoint_url.clone(),
            credentials: CredentialSource::DefaultChain,
            assume_role: config.source_role.clone(),
        }
    }
}

/// Roles the connection test may assume when no patterns are configured: only roles
/// named for this connector, in any account and partition.
pub const DEFAULT_ALLOWED_ROLE_PATTERNS: &str = "arn:*:iam::*:role/s3connector-*";

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env { lookup: &lookup };
        let region = env
            .get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"));
        if let Some(r) = &region {
            let var = if env.get("AWS_REGION").is_some() {
                "AWS_REGION"
            } else {
                "AWS_DEFAULT_REGION"
            };
            names::Region::parse(r)
                .map_err(|rule| env.invalid(var, r, &rule, "a region name such as us-east-1"))?;
        }
        let endpoint_url = env.get("AWS_ENDPOINT_URL");
        if let Some(url) = &endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url.len() <= "https://".len()
            {
                return Err(env.invalid(
                    "AWS_ENDPOINT_URL",
                    url,
                    "be an absolute http(s) URL",
                    "a URL such as http://127.0.0.1:5000",
                ));
            }
        }
        let source_role = read_role(&env)?;
        let output_bucket = env.get("S3CONNECTOR_OUTPUT_BUCKET");
        if let Some(b) = &output_bucket {
            names::BucketName::parse(b).map_err(|rule| {
                env.invalid("S3CONNECTOR_OUTPUT_BUCKET", b, &rule, "an S3 bucket name")
            })?;
        }
        let output_prefix = env.get("S3CONNECTOR_OUTPUT_PREFIX").unwrap_or_default();
        if output_prefix.starts_with('/') || output_prefix.len() > 512 {
            return Err(env.invalid(
                "S3CONNECTOR_OUTPUT_PREFIX",
                &output_prefix,
                "not start with '/' and be at most 512 bytes",
                "a key prefix such as s3connector/",
            ));
        }
        let output_prefix = match output_prefix.as_str() {
            "" => String::new(),
            p if p.ends_with('/') => p.to_string(),
            p => format!("{p}/"),
        };
        let in_lambda = env.get("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let log_format = match env.get("S3CONNECTOR_LOG_FORMAT").as_deref() {
            None if in_lambda => LogFormat::Json,
            None => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(env.invalid(
                    "S3CONNECTOR_LOG_FORMAT",
                    other,
                    "be json or text",
                    "json or text",
                ))
            }
        };
        // Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; ours wins when both are set.
        let log_level = env
            .get("S3CONNECTOR_LOG_LEVEL")
            .or_else(|| {
                env.get("AWS_LAMBDA_LOG_LEVEL")
                    .map(|l| l.to_ascii_lowercase())
            })
            .unwrap_or_else(|| "info".to_string());
        crate::telemetry::check_filter(&log_level).map_err(|problem| ConfigError {
            var: "S3CONNECTOR_LOG_LEVEL",
            value: Some(log_level.clone()),
            problem,
            expected: "a level (error, warn, info, debug, trace) or a filter such as s3connector=debug,info",
        })?;
        let patterns = env
            .get("S3CONNECTOR_ALLOWED_ROLE_PATTERNS")
            .unwrap_or_else(|| DEFAULT_ALLOWED_ROLE_PATTERNS.to_string());
        let roles = RoleAllowList::parse(&patterns).map_err(|e| ConfigError {
            var: "S3CONNECTOR_ALLOWED_ROLE_PATTERNS",
            value: Some(patterns.clone()),
            problem: e.to_string(),
            expected: "comma-separated role ARN patterns such as arn:aws:iam::*:role/s3connector-*",
        })?;
        let connection_trust = EndpointTrust {
            roles,
            accounts: read_accounts(&env)?,
            external_ids: read_external_ids(&env)?,
            allow_function_identity: read_bool(&env, "S3CONNECTOR_ALLOW_FUNCTION_IDENTITY")?,
            local_endpoints: endpoint_url.is_some(),
            partition: region
                .as_deref()
                .and_then(|r| names::Region::parse(r).ok())
                .map_or("aws", |r| r.partition())
                .to_string(),
        };
        Ok(Config {
            connection_trust,
            region,
            endpoint_url,
            source_role,
            output_bucket,
            output_prefix,
            log_format,
            log_level,
        })
    }
}

fn read_accounts(env: &Env<'_>) -> Result<AccountScope, ConfigError> {
    const VAR: &str = "S3CONNECTOR_ALLOWED_ACCOUNTS";
    const EXPECTED: &str = "comma-separated 12-digit account IDs, or * for every account";
    let Some(value) = env.get(VAR) else {
        return Ok(AccountScope::Listed(BTreeSet::new()));
    };
    if value.trim() == "*" {
        return Ok(AccountScope::Any);
    }
    value
        .split(',')
        .map(str::trim)
        .map(|id| {
            if names::is_account_id(id) {
                Ok(id.to_string())
            } else {
                Err(env.invalid(
                    VAR,
                    &value,
                    "holds a value that is not a 12-digit account ID",
                    EXPECTED,
                ))
            }
        })
        .collect::<Result<BTreeSet<_>, _>>()
        .map(AccountScope::Listed)
}

fn read_external_ids(env: &Env<'_>) -> Result<ExternalIds, ConfigError> {
    const VAR: &str = "S3CONNECTOR_ACCOUNT_EXTERNAL_IDS";
    const EXPECTED: &str = r#"a JSON object of account ID (or * for every other account) to external ID, such as {"*":"tenant-7f3a","123456789012":"other-id"}"#;
    let Some(value) = env.get(VAR) else {
        return Ok(ExternalIds::default());
    };
    // The values are secrets shared with customers: errors never repeat them.
    let secret_error = |problem: String| ConfigError {
        var: VAR,
        value: None,
        problem,
        expected: EXPECTED,
    };
    let map: BTreeMap<String, String> = serde_json::from_str(&value)
        .map_err(|_| secret_error("is not a JSON object of strings".into()))?;
    let mut ids = ExternalIds::default();
    for (account, id) in map {
        names::check_external_id(&id).map_err(|rule| {
            secret_error(format!("has an external ID for {account:?} that {rule}"))
        })?;
        if account == "*" {
            ids.default = Some(id.into());
        } else if names::is_account_id(&account) {
            ids.per_account.insert(account, id.into());
        } else {
            return Err(secret_error(format!(
                "has the key {account:?}, which is neither * nor a 12-digit account ID"
            )));
        }
    }
    Ok(ids)
}

fn read_bool(env: &Env<'_>, var: &'static str) -> Result<bool, ConfigError> {
    match env.get(var).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(env.invalid(var, other, "must be true or false", "true or false")),
    }
}

fn read_role(env: &Env<'_>) -> Result<Option<RoleSpec>, ConfigError> {
    let role_vars = [
        "S3CONNECTOR_EXTERNAL_ID",
        "S3CONNECTOR_ROLE_SESSION_NAME",
        "S3CONNECTOR_SOURCE_IDENTITY",
        "S3CONNECTOR_ROLE_DURATION_SECONDS",
    ];
    let Some(role_arn) = env.get("S3CONNECTOR_ROLE_ARN") else {
        if let Some(var) = role_vars.into_iter().find(|v| env.get(v).is_some()) {
            return Err(ConfigError {
                var,
                value: None,
                problem: "is set but S3CONNECTOR_ROLE_ARN is not, so it would be ignored".into(),
                expected: "S3CONNECTOR_ROLE_ARN set as well, or this variable unset",
            });
        }
        return Ok(None);
    };
    names::RoleArn::parse(&role_arn).map_err(|rule| {
        env.invalid(
            "S3CONNECTOR_ROLE_ARN",
            &role_arn,
            &rule,
            "arn:aws:iam::123456789012:role/name",
        )
    })?;
    let external_id = env.get("S3CONNECTOR_EXTERNAL_ID");
    if let Some(id) = &external_id {
        names::check_external_id(id).map_err(|rule| ConfigError {
            var: "S3CONNECTOR_EXTERNAL_ID",
            value: None,
            problem: rule.to_string(),
            expected: "the external ID from the role's trust policy (sts:ExternalId)",
        })?;
    }
    let session_name = env
        .get("S3CONNECTOR_ROLE_SESSION_NAME")
        .unwrap_or_else(|| "s3connector".into());
    names::check_session_name(&session_name).map_err(|rule| {
        env.invalid(
            "S3CONNECTOR_ROLE_SESSION_NAME",
            &session_name,
            rule,
            "2-64 characters of [A-Za-z0-9+=,.@_-]",
        )
    })?;
    let source_identity = env.get("S3CONNECTOR_SOURCE_IDENTITY");
    if let Some(s) = &source_identity {
        names::check_session_name(s).map_err(|rule| {
            env.invalid(
                "S3CONNECTOR_SOURCE_IDENTITY",
                s,
                rule,
                "2-64 characters of [A-Za-z0-9+=,.@_-]",
            )
        })?;
    }
    let duration = match env.get("S3CONNECTOR_ROLE_DURATION_SECONDS") {
        None => 3600,
        Some(raw) => {
            let secs: u32 = raw.parse().map_err(|_| {
                env.invalid(
                    "S3CONNECTOR_ROLE_DURATION_SECONDS",
                    &raw,
                    "be a whole number",
                    "seconds, 900 to 43200",
                )
            })?;
            check_duration(secs).map_err(|rule| {
                env.invalid(
                    "S3CONNECTOR_ROLE_DURATION_SECONDS",
                    &raw,
                    rule,
                    "seconds, 900 to 43200",
                )
            })?;
            secs
        }
    };
    Ok(Some(RoleSpec {
        role_arn,
        external_id,
        session_name,
        source_identity,
        duration: Duration::from_secs(u64::from(duration)),
    }))
}

fn check_duration(secs: u32) -> Result<(), &'static str> {
    if (names::MIN_DURATION_SECONDS..=names::MAX_DURATION_SECONDS).contains(&secs) {
        Ok(())
    } else {
        Err("must be between 900 and 43200 seconds")
    }
}

struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    /// Reads a variable; empty values count as unset, as they do for the AWS SDK.
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn invalid(
        &self,
        var: &'static str,
        value: &str,
        rule: &str,
        expected: &'static str,
    ) -> ConfigError {
        ConfigError {
            var,
            value: Some(value.to_string()),
            problem: rule.to_string(),
            expected,
        }
    }
}

/// A whole number setting in `min..=max`, `default` when unset.
pub(crate) fn whole_number(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    match lookup(var) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ConfigError {
                var,
                value: Some(v.to_string()),
                problem: "must be a whole number in range".to_string(),
                expected,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| map.get(k).cloned())
    }

    #[test]
    fn empty_environment_gives_defaults() {
        let c = load(&[]).unwrap();
        assert_eq!(c.region, None);
        assert_eq!(c.endpoint_url, None);
        assert_eq!(c.source_role, None);
        assert_eq!(c.output_prefix, "");
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.log_level, "info");
        assert!(c
            .connection_trust
            .roles
            .allows("arn:aws:iam::123456789012:role/s3connector-reader"));
        assert!(!c
            .connection_trust
            .roles
            .allows("arn:aws:iam::123456789012:role/Admin"));
        // Fail closed: no account is listed, no identity lent, no emulator URLs.
        assert_eq!(
            c.connection_trust.accounts,
            AccountScope::Listed(BTreeSet::new())
        );
        assert!(!c.connection_trust.allow_function_identity);
        assert!(!c.connection_trust.local_endpoints);
        assert_eq!(c.connection_trust.partition, "aws");
        assert_eq!(c.connection_trust.external_ids, ExternalIds::default());
    }

    #[test]
    fn lambda_environment_defaults_to_json_logs_and_honours_lambda_log_level() {
        let c = load(&[
            ("AWS_LAMBDA_FUNCTION_NAME", "ingest"),
            ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
        ])
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.log_level, "debug");
    }

    #[test]
    fn full_role_configuration_is_read() {
        let c = load(&[
            (
                "S3CONNECTOR_ROLE_ARN",
                "arn:aws:iam::123456789012:role/s3connector-reader",
            ),
            ("S3CONNECTOR_EXTERNAL_ID", "tenant-42"),
            ("S3CONNECTOR_ROLE_SESSION_NAME", "ingest"),
            ("S3CONNECTOR_SOURCE_IDENTITY", "s3connector"),
            ("S3CONNECTOR_ROLE_DURATION_SECONDS", "900"),
            ("S3CONNECTOR_OUTPUT_PREFIX", "out"),
        ])
        .unwrap();
        let role = c.source_role.unwrap();
        assert_eq!(role.external_id.as_deref(), Some("tenant-42"));
        assert_eq!(role.duration, Duration::from_secs(900));
        assert_eq!(role.session_name, "ingest");
        assert_eq!(c.output_prefix, "out/");
    }

    #[test]
    fn invalid_duration_names_variable_value_and_expected_form() {
        let err = load(&[
            ("S3CONNECTOR_ROLE_ARN", "arn:aws:iam::123456789012:role/r"),
            ("S3CONNECTOR_ROLE_DURATION_SECONDS", "60"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "S3CONNECTOR_ROLE_DURATION_SECONDS");
        let msg = err.to_string();
        assert!(msg.contains("\"60\""), "{msg}");
        assert!(msg.contains("between 900 and 43200"), "{msg}");
        assert!(msg.contains("expected seconds, 900 to 43200"), "{msg}");
    }

    #[test]
    fn invalid_external_id_is_not_echoed() {
        let err = load(&[
            ("S3CONNECTOR_ROLE_ARN", "arn:aws:iam::123456789012:role/r"),
            ("S3CONNECTOR_EXTERNAL_ID", "secret value with spaces"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "S3CONNECTOR_EXTERNAL_ID");
        assert!(!err.to_string().contains("secret value"), "{err}");
    }

    #[test]
    fn role_options_without_role_arn_are_rejected() {
        let err = load(&[("S3CONNECTOR_EXTERNAL_ID", "abc")]).unwrap_err();
        assert_eq!(err.var, "S3CONNECTOR_EXTERNAL_ID");
        assert!(err.to_string().contains("S3CONNECTOR_ROLE_ARN"));
    }

    #[test]
    fn bad_values_are_rejected_with_their_variable() {
        let cases = [
            ("AWS_REGION", "useast1"),
            ("AWS_ENDPOINT_URL", "localhost:5000"),
            ("S3CONNECTOR_ROLE_ARN", "arn:aws:iam::123:role/x"),
            ("S3CONNECTOR_OUTPUT_BUCKET", "Bad_Bucket"),
            ("S3CONNECTOR_OUTPUT_PREFIX", "/abs"),
            ("S3CONNECTOR_LOG_FORMAT", "xml"),
            ("S3CONNECTOR_LOG_LEVEL", "loud"),
            ("S3CONNECTOR_ALLOWED_ROLE_PATTERNS", "s3connector-*"),
            ("S3CONNECTOR_ALLOWED_ACCOUNTS", "123456789012,12345"),
            ("S3CONNECTOR_ALLOWED_ACCOUNTS", "*,123456789012"),
            ("S3CONNECTOR_ALLOW_FUNCTION_IDENTITY", "yes"),
            ("S3CONNECTOR_ACCOUNT_EXTERNAL_IDS", r#"{"123":"abc"}"#),
            ("S3CONNECTOR_ACCOUNT_EXTERNAL_IDS", "abc"),
        ];
        for (var, value) in cases {
            let err = load(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{err}");
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn role_spec_debug_hides_external_id() {
        let role = RoleSpec {
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            external_id: Some("do-not-print".into()),
            session_name: "s".into(),
            source_identity: None,
            duration: Duration::from_secs(900),
        };
        assert!(!format!("{role:?}").contains("do-not-print"));
    }

    #[test]
    fn connection_trust_reads_accounts_external_ids_and_the_opt_ins() {
        let c = load(&[
            ("AWS_REGION", "cn-north-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            (
                "S3CONNECTOR_ALLOWED_ACCOUNTS",
                " 123456789012 ,210987654321",
            ),
            (
                "S3CONNECTOR_ACCOUNT_EXTERNAL_IDS",
                r#"{"*":"tenant-default","210987654321":"tenant-b"}"#,
            ),
            ("S3CONNECTOR_ALLOW_FUNCTION_IDENTITY", "true"),
        ])
        .unwrap();
        let t = &c.connection_trust;
        assert_eq!(
            t.accounts,
            AccountScope::Listed(
                ["123456789012", "210987654321"]
                    .map(String::from)
                    .into_iter()
                    .collect()
            )
        );
        let id = |a: &str| {
            t.external_ids
                .for_account(a)
                .map(|e| e.expose().to_string())
        };
        assert_eq!(id("210987654321").as_deref(), Some("tenant-b"));
        assert_eq!(id("123456789012").as_deref(), Some("tenant-default"));
        assert!(t.allow_function_identity);
        assert!(t.local_endpoints);
        assert_eq!(t.partition, "aws-cn");
        assert!(
            !format!("{c:?}").contains("tenant-"),
            "external IDs leak into Debug"
        );
        let any = load(&[("S3CONNECTOR_ALLOWED_ACCOUNTS", "*")]).unwrap();
        assert_eq!(any.connection_trust.accounts, AccountScope::Any);
    }

    #[test]
    fn invalid_external_id_map_is_not_echoed() {
        for value in [
            r#"{"123456789012":"has spaces in the secret"}"#,
            r#"{"not-an-account":"secret-value"}"#,
            "secret-value",
        ] {
            let err = load(&[("S3CONNECTOR_ACCOUNT_EXTERNAL_IDS", value)]).unwrap_err();
            assert_eq!(err.var, "S3CONNECTOR_ACCOUNT_EXTERNAL_IDS");
            let text = err.to_string();
            assert!(!text.contains("secret"), "{text}");
        }
    }
}
