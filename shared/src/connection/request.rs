//! The connection-test request: JSON in, typed and validated values out.
//!
//! Every rule is written from the AWS documentation of the identifier it checks, so a
//! typo is answered with HTTP 400 naming the field and the rule before any AWS call.
//! Rule texts never repeat the offending value: some fields (the external ID) are secrets.

use serde::{Deserialize, Serialize};

use crate::names::{
    check_external_id, check_session_name, BucketName, ExternalId, QueueRef, Region, RoleArn,
    MAX_DURATION_SECONDS, MIN_DURATION_SECONDS,
};

/// Fields a request may carry; kept in the order `validate` checks them.
pub const FIELDS: [&str; 10] = [
    "bucket",
    "expected_bucket_owner",
    "prefix",
    "region",
    "role_arn",
    "external_id",
    "session_name",
    "duration_seconds",
    "queue_url",
    "write_test",
];

const S3_KEY_MAX_BYTES: usize = 1024;
/// The request body of a connection test, as the user sent it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionTestRequest {
    /// A bucket name, or `s3://bucket[/prefix]`.
    pub bucket: String,
    /// The 12-digit account that should own the bucket: sent as S3's `ExpectedBucketOwner`
    /// on every bucket call, and used as `aws:SourceAccount` in the queue policy advice.
    pub expected_bucket_owner: Option<String>,
    /// Key prefix to test under; must not repeat a prefix given in the bucket URI.
    pub prefix: Option<String>,
    /// Region of the bucket; the SDK's default applies when absent.
    pub region: Option<String>,
    /// Role to assume before touching the bucket.
    pub role_arn: Option<String>,
    /// External ID the role's trust policy expects.
    pub external_id: Option<ExternalId>,
    /// Role session name, shown in CloudTrail.
    pub session_name: Option<String>,
    /// Requested session duration in seconds.
    pub duration_seconds: Option<u32>,
    /// Notification queue to check as well.
    pub queue_url: Option<String>,
    /// Whether to write and delete a beacon object under the prefix.
    #[serde(default)]
    pub write_test: bool,
}

/// A request field that broke a rule: answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("field '{field}': {rule}")]
pub struct ValidationError {
    /// The field at fault, as named in the JSON body (`body` for the body as a whole).
    pub field: String,
    /// The rule it broke, phrased to follow the field name.
    pub rule: String,
}

impl ValidationError {
    /// Builds an error for `field` breaking `rule`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// Names the field and rule behind a JSON deserialization error, where serde names the field.
    ///
    /// Type errors do not carry the field name, so they are reported against `body`;
    /// [`parse_request`] narrows them down to the field. The offending value is never
    /// repeated, because it may be the external ID.
    pub fn from_json_error(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let message = message_without_position(error);
        match error.classify() {
            Category::Syntax | Category::Eof => ValidationError::new(
                "body",
                format!(
                    "must be valid JSON ({message} at line {} column {})",
                    error.line(),
                    error.column()
                ),
            ),
            Category::Io => ValidationError::new("body", "could not be read"),
            Category::Data => {
                if let Some(field) = backticked_after(&message, "unknown field `") {
                    ValidationError::new(
                        field,
                        format!("is not a known field; known fields: {}", FIELDS.join(", ")),
                    )
                } else if let Some(field) = backticked_after(&message, "missing field `") {
                    ValidationError::new(field, "is required")
                } else if let Some(field) = backticked_after(&message, "duplicate field `") {
                    ValidationError::new(field, "must appear only once")
                } else {
                    ValidationError::new("body", expected_rule(&message))
                }
            }
        }
    }
}

/// Parses a request body, naming the offending field for every kind of error serde reports.
pub fn parse_request(body: &str) -> Result<ConnectionTestRequest, ValidationError> {
    let error = match serde_json::from_str::<ConnectionTestRequest>(body) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    let reported = ValidationError::from_json_error(&error);
    if reported.field != "body" || error.classify() != serde_json::error::Category::Data {
        return Err(reported);
    }
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(body) else {
        return Err(ValidationError::new("body", "must be a JSON object"));
    };
    // Deserialize each field on its own (next to a placeholder bucket) to find the one whose
    // value has the wrong type: serde's type errors say what was expected, not where.
    for (name, value) in fields {
        let mut probe = serde_json::Map::new();
        probe.insert("bucket".into(), serde_json::Value::String("probe".into()));
        probe.insert(name.clone(), value);
        if let Err(error) = serde_json::from_value::<ConnectionTestRequest>(probe.into()) {
            return Err(ValidationError::new(
                name,
                expected_rule(&message_without_position(&error)),
            ));
        }
    }
    Err(reported)
}

fn message_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    if error.line() == 0 {
        return full;
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

fn backticked_after<'a>(message: &'a str, lead: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(lead)?;
    rest.split('`').next()
}

// serde's type errors read "invalid type: <value>, expected <what>"; keep only <what>
// so a secret sent with the wrong type is not echoed back.
fn expected_rule(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((_, "u32")) => "must be a whole number".to_string(),
        Some((_, what)) if what.starts_with("struct ") => "must be a JSON object".to_string(),
        Some((_, what)) => format!("must be {what}"),
        None => "has a value of the wrong type".to_string(),
    }
}

/// The role to assume and the AssumeRole options that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedRole {
    /// Role to assume.
    pub arn: RoleArn,
    /// External ID required by the role's trust policy.
    pub external_id: Option<ExternalId>,
    /// Role session name.
    pub session_name: Option<String>,
    /// Session duration in seconds (900..=43200).
    pub duration_seconds: Option<u32>,
}

/// A request whose every value passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedRequest {
    /// Bucket to test.
    pub bucket: BucketName,
    /// Account that should own the bucket (S3 `ExpectedBucketOwner`).
    pub expected_bucket_owner: Option<String>,
    /// Key prefix to test under, if any (never empty).
    pub prefix: Option<String>,
    /// Region of the bucket, if given.
    pub region: Option<Region>,
    /// Role to assume, if any.
    pub role: Option<RequestedRole>,
    /// Queue to check, if any.
    pub queue: Option<QueueRef>,
    /// Whether to write and delete a beacon object.
    pub write_test: bool,
}

impl ValidatedRequest {
    /// Partition for the bucket's ARNs: the role's, else the region's, else `aws`.
    pub fn partition(&self) -> &str {
        match (&self.role, &self.region) {
            (Some(role), _) => role.arn.partition(),
            (None, Some(region)) => region.partition(),
            (None, None) => "aws",
        }
    }

    /// `arn:<partition>:s3:::<bucket>`, the resource of bucket-level actions.
    pub fn bucket_arn(&self) -> String {
        format!("arn:{}:s3:::{}", self.partition(), self.bucket.as_str())
    }

    /// `arn:<partition>:s3:::<bucket>/<prefix>*`, the resource of object-level actions.
    pub fn objects_arn(&self) -> String {
        format!(
            "{}/{}*",
            self.bucket_arn(),
            self.prefix.as_deref().unwrap_or("")
        )
    }
}

impl ConnectionTestRequest {
    /// Checks every field and returns the typed values, or the first rule broken.
    pub fn validate(self) -> Result<ValidatedRequest, ValidationError> {
        let (bucket_text, uri_prefix) = split_bucket_field(&self.bucket)?;
        let bucket =
            BucketName::parse(bucket_text).map_err(|rule| ValidationError::new("bucket", rule))?;
        let uri_prefix = uri_prefix.filter(|p| !p.is_empty());
        if let Some(p) = uri_prefix {
            check_prefix(p).map_err(|rule| ValidationError::new("bucket", rule))?;
        }
        let field_prefix = self.prefix.filter(|p| !p.is_empty());
        if let Some(p) = &field_prefix {
            check_prefix(p).map_err(|rule| ValidationError::new("prefix", rule))?;
            if uri_prefix.is_some() {
                return Err(ValidationError::new(
                    "prefix",
                    "must not be set when bucket is an s3:// URI that already contains a prefix",
                ));
            }
        }
        let prefix = field_prefix.or(uri_prefix.map(str::to_string));
        if let Some(owner) = &self.expected_bucket_owner {
            if !crate::names::is_account_id(owner) {
                return Err(ValidationError::new(
                    "expected_bucket_owner",
                    "must be a 12-digit AWS account ID",
                ));
            }
        }
        let region = self
            .region
            .map(|r| Region::parse(&r))
            .transpose()
            .map_err(|rule| ValidationError::new("region", rule))?;
        let role = validate_role(
            self.role_arn,
            self.external_id,
            self.session_name,
            self.duration_seconds,
        )?;
        let queue = self
            .queue_url
            .map(|url| QueueRef::parse(&url, region.as_ref()))
            .transpose()
            .map_err(|rule| ValidationError::new("queue_url", rule))?;
        Ok(ValidatedRequest {
            bucket,
            expected_bucket_owner: self.expected_bucket_owner,
            prefix,
            region,
            role,
            queue,
            write_test: self.write_test,
        })
    }
}

fn split_bucket_field(value: &str) -> Result<(&str, Option<&str>), ValidationError> {
    const RULE: &str = "must be a bucket name or an S3 URI s3://bucket[/prefix]";
    if let Some(rest) = value.strip_prefix("s3://") {
        return Ok(match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, Some(prefix)),
            None => (rest, None),
        });
    }
    if value.contains("://") || value.contains('/') {
        return Err(ValidationError::new("bucket", RULE));
    }
    Ok((value, None))
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > S3_KEY_MAX_BYTES {
        return Err(format!(
            "must have a prefix of at most {S3_KEY_MAX_BYTES} bytes (the S3 key length limit)"
        ));
    }
    Ok(())
}

fn validate_role(
    role_arn: Option<String>,
    external_id: Option<ExternalId>,
    session_name: Option<String>,
    duration_seconds: Option<u32>,
) -> Result<Option<RequestedRole>, ValidationError> {
    let Some(role_arn) = role_arn else {
        let stray = [
            ("external_id", external_id.is_some()),
            ("session_name", session_name.is_some()),
            ("duration_seconds", duration_seconds.is_some()),
        ];
        if let Some((field, _)) = stray.iter().find(|(_, given)| *given) {
            return Err(ValidationError::new(
                *field,
                "is only allowed together with role_arn",
            ));
        }
        return Ok(None);
    };
    let arn = RoleArn::parse(&role_arn).map_err(|rule| ValidationError::new("role_arn", rule))?;
    if let Some(id) = &external_id {
        check_external_id(id.expose()).map_err(|rule| ValidationError::new("external_id", rule))?;
    }
    if let Some(name) = &session_name {
        check_session_name(name).map_err(|rule| ValidationError::new("session_name", rule))?;
    }
    if let Some(seconds) = duration_seconds {
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds) {
            return Err(ValidationError::new(
                "duration_seconds",
                "must be between 900 and 43200 seconds (15 minutes to 12 hours)",
            ));
        }
    }
    Ok(Some(RequestedRole {
        arn,
        external_id,
        session_name,
        duration_seconds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConnectionTestRequest {
        ConnectionTestRequest {
            bucket: "my-bucket".into(),
            expected_bucket_owner: None,
            prefix: None,
            region: None,
            role_arn: None,
            external_id: None,
            session_name: None,
            duration_seconds: None,
            queue_url: None,
            write_test: false,
        }
    }

    fn with_role() -> ConnectionTestRequest {
        ConnectionTestRequest {
            role_arn: Some("arn:aws:iam::123456789012:role/s3connector-reader".into()),
            ..base()
        }
    }

    fn broken(request: ConnectionTestRequest) -> ValidationError {
        request.validate().expect_err("request should be rejected")
    }

    fn bucket_error(bucket: &str) -> ValidationError {
        broken(ConnectionTestRequest {
            bucket: bucket.into(),
            ..base()
        })
    }

    fn queue(url: &str, region: Option<&str>) -> Result<QueueRef, String> {
        let region = region.map(|r| Region::parse(r).unwrap());
        QueueRef::parse(url, region.as_ref())
    }

    #[test]
    fn bucket_names_following_the_rules_are_accepted() {
        let longest = "a".repeat(63);
        for name in [
            "my-bucket",
            "my.bucket",
            "abc",
            "a1-b2.c3",
            "192.168.5",
            longest.as_str(),
        ] {
            let request = ConnectionTestRequest {
                bucket: name.into(),
                ..base()
            };
            assert_eq!(request.validate().unwrap().bucket.as_str(), name);
        }
    }

    #[test]
    fn bucket_names_breaking_a_rule_name_that_rule() {
        let too_long = "a".repeat(64);
        let cases = [
            ("ab", "3 to 63 characters"),
            (too_long.as_str(), "3 to 63 characters"),
            ("My-Bucket", "lowercase letters"),
            ("my_bucket", "lowercase letters"),
            ("-bucket", "begin and end"),
            ("bucket.", "begin and end"),
            ("a..b", "two adjacent periods"),
            ("192.168.5.4", "IP address"),
            ("xn--x", "reserved prefix 'xn--'"),
            ("sthree-bucket", "reserved prefix 'sthree-'"),
            ("amzn-s3-demo-bucket", "reserved prefix 'amzn-s3-demo-'"),
            ("bucket-s3alias", "reserved suffix '-s3alias'"),
            ("bucket--ol-s3", "reserved suffix '--ol-s3'"),
            ("bucket.mrap", "reserved suffix '.mrap'"),
            ("bucket--x-s3", "reserved suffix '--x-s3'"),
            ("bucket--table-s3", "reserved suffix '--table-s3'"),
        ];
        for (name, rule) in cases {
            let error = bucket_error(name);
            assert_eq!(error.field, "bucket", "{name}");
            assert!(error.rule.contains(rule), "{name}: {}", error.rule);
        }
    }

    #[test]
    fn s3_uri_splits_into_bucket_and_prefix() {
        let request = ConnectionTestRequest {
            bucket: "s3://bucket/prefix/".into(),
            ..base()
        };
        let validated = request.validate().unwrap();
        assert_eq!(validated.bucket.as_str(), "bucket");
        assert_eq!(validated.prefix.as_deref(), Some("prefix/"));
    }

    #[test]
    fn s3_uri_without_prefix_or_with_bare_slash_has_no_prefix() {
        for uri in ["s3://bucket", "s3://bucket/"] {
            let request = ConnectionTestRequest {
                bucket: uri.into(),
                ..base()
            };
            assert_eq!(request.validate().unwrap().prefix, None, "{uri}");
        }
    }

    #[test]
    fn prefix_field_applies_when_bucket_is_a_plain_name() {
        let request = ConnectionTestRequest {
            prefix: Some("AWSLogs/".into()),
            ..base()
        };
        assert_eq!(
            request.validate().unwrap().prefix.as_deref(),
            Some("AWSLogs/")
        );
    }

    #[test]
    fn prefix_field_conflicts_with_prefix_in_uri() {
        let error = broken(ConnectionTestRequest {
            bucket: "s3://bucket/logs/".into(),
            prefix: Some("other/".into()),
            ..base()
        });
        assert_eq!(error.field, "prefix");
        assert!(error.rule.contains("already contains a prefix"));
    }

    #[test]
    fn bucket_field_that_is_another_url_or_has_a_slash_is_rejected() {
        for value in [
            "https://bucket.s3.amazonaws.com/key",
            "bucket/prefix",
            "S3://bucket",
        ] {
            let error = bucket_error(value);
            assert_eq!(error.field, "bucket", "{value}");
            assert!(
                error.rule.contains("s3://bucket[/prefix]"),
                "{value}: {}",
                error.rule
            );
        }
    }

    #[test]
    fn bucket_in_s3_uri_follows_the_naming_rules() {
        assert!(bucket_error("s3://My-Bucket/x").rule.contains("lowercase"));
        assert!(bucket_error("s3:///x").rule.contains("3 to 63"));
    }

    #[test]
    fn prefix_is_limited_to_1024_bytes_not_characters() {
        let ok = ConnectionTestRequest {
            prefix: Some("p".repeat(1024)),
            ..base()
        };
        assert!(ok.validate().is_ok());
        // 513 two-byte characters: under 1024 characters, over 1024 bytes.
        let error = broken(ConnectionTestRequest {
            prefix: Some("é".repeat(513)),
            ..base()
        });
        assert_eq!(error.field, "prefix");
        assert!(error.rule.contains("1024 bytes"));
        let error = bucket_error(&format!("s3://bucket/{}", "p".repeat(1025)));
        assert_eq!(error.field, "bucket");
        assert!(error.rule.contains("1024 bytes"));
    }

    #[test]
    fn region_names_of_every_partition_shape_are_accepted() {
        for name in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-7",
            "mx-central-1",
            "il-central-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "ap-northeast-12",
        ] {
            assert_eq!(Region::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn region_names_of_other_shapes_are_rejected() {
        for name in [
            "",
            "US-EAST-1",
            "us-east",
            "useast1",
            "us-east-123",
            "u-east-1",
            "usa-east-1",
            "us-foo-east-1",
            "us-isoxy-east-1",
            "us-east-1a",
            "us--1",
            "us-east-١",
        ] {
            assert!(Region::parse(name).is_err(), "{name:?}");
        }
        let error = broken(ConnectionTestRequest {
            region: Some("Frankfurt".into()),
            ..base()
        });
        assert_eq!(error.field, "region");
        assert!(error.rule.contains("us-east-1"));
    }

    #[test]
    fn region_maps_to_its_partition() {
        let partition = |r: &str| Region::parse(r).unwrap().partition();
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-northwest-1"), "aws-cn");
        assert_eq!(partition("us-gov-east-1"), "aws-us-gov");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition("eu-isoe-west-1"), "aws-iso-e");
        assert_eq!(partition("us-isof-south-1"), "aws-iso-f");
    }

    #[test]
    fn role_arns_of_each_partition_and_with_paths_are_accepted() {
        let cases = [
            (
                "arn:aws:iam::123456789012:role/s3connector-reader",
                "aws",
                "s3connector-reader",
            ),
            (
                "arn:aws-cn:iam::123456789012:role/reader",
                "aws-cn",
                "reader",
            ),
            (
                "arn:aws-us-gov:iam::123456789012:role/reader",
                "aws-us-gov",
                "reader",
            ),
            (
                "arn:aws-iso-b:iam::123456789012:role/reader",
                "aws-iso-b",
                "reader",
            ),
            (
                "arn:aws:iam::123456789012:role/service-role/team/reader+x=y,z.a@b_c",
                "aws",
                "reader+x=y,z.a@b_c",
            ),
        ];
        for (arn, partition, name) in cases {
            let role = RoleArn::parse(arn).unwrap();
            assert_eq!(role.as_str(), arn);
            assert_eq!(role.partition(), partition);
            assert_eq!(role.account(), "123456789012");
            assert_eq!(role.name(), name);
        }
    }

    #[test]
    fn role_arns_breaking_a_rule_name_that_rule() {
        let long_name = format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65));
        let cases = [
            ("not-an-arn", "must be arn:<partition>"),
            ("arn:azure:iam::123456789012:role/x", "known partition"),
            ("arn:aws:s3:::bucket", "service 'iam'"),
            (
                "arn:aws:sts::123456789012:assumed-role/x/y",
                "service 'iam'",
            ),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "empty region"),
            ("arn:aws:iam::12345678901:role/x", "12-digit account"),
            ("arn:aws:iam::1234567890123:role/x", "12-digit account"),
            ("arn:aws:iam::12345678901a:role/x", "12-digit account"),
            ("arn:aws:iam::123456789012:user/x", "name a role"),
            ("arn:aws:iam::123456789012:role/", "1 to 64 characters"),
            (long_name.as_str(), "1 to 64 characters"),
            (
                "arn:aws:iam::123456789012:role/bad!name",
                "1 to 64 characters",
            ),
            ("arn:aws:iam::123456789012:role//x", "role path"),
            ("arn:aws:iam::123456789012:role/a b/x", "role path"),
        ];
        for (arn, rule) in cases {
            let error = broken(ConnectionTestRequest {
                role_arn: Some(arn.into()),
                ..base()
            });
            assert_eq!(error.field, "role_arn", "{arn}");
            assert!(error.rule.contains(rule), "{arn}: {}", error.rule);
        }
    }

    #[test]
    fn role_arn_error_displays_field_and_expected_shape() {
        let error = broken(ConnectionTestRequest {
            role_arn: Some("not-an-arn".into()),
            ..base()
        });
        assert_eq!(
            error.to_string(),
            "field 'role_arn': must be arn:<partition>:iam::<12-digit account>:role/<name>"
        );
    }

    #[test]
    fn external_id_within_the_sts_rules_is_kept() {
        let longest = "x".repeat(1224);
        for id in [
            "ab",
            "e7e2b8a3-0a9f-414f-a065-afaf4ac6d994",
            "tenant:42/a+b=c,d.e@f_g",
            longest.as_str(),
        ] {
            let request = ConnectionTestRequest {
                external_id: Some(ExternalId::from(id.to_string())),
                ..with_role()
            };
            let role = request.validate().unwrap().role.unwrap();
            assert_eq!(role.external_id.unwrap().expose(), id);
        }
    }

    #[test]
    fn external_id_breaking_a_rule_is_rejected_without_echoing_it() {
        let too_long = "y".repeat(1225);
        let cases = [
            ("Q", "2 to 1224"),
            (too_long.as_str(), "2 to 1224"),
            ("secret value", "only letters"),
            ("secret!value", "only letters"),
        ];
        for (id, rule) in cases {
            let error = broken(ConnectionTestRequest {
                external_id: Some(ExternalId::from(id.to_string())),
                ..with_role()
            });
            assert_eq!(error.field, "external_id");
            assert!(error.rule.contains(rule), "{}", error.rule);
            assert!(!error.to_string().contains(id));
        }
    }

    #[test]
    fn session_name_follows_the_sts_rules() {
        let longest = "s".repeat(64);
        for name in ["ab", "s3connector-test@example.com", longest.as_str()] {
            let request = ConnectionTestRequest {
                session_name: Some(name.into()),
                ..with_role()
            };
            assert!(request.validate().is_ok(), "{name}");
        }
        let too_long = "s".repeat(65);
        for (name, rule) in [
            ("a", "2 to 64"),
            (too_long.as_str(), "2 to 64"),
            ("has space", "only letters"),
            ("colon:name", "only letters"),
        ] {
            let error = broken(ConnectionTestRequest {
                session_name: Some(name.into()),
                ..with_role()
            });
            assert_eq!(error.field, "session_name");
            assert!(error.rule.contains(rule), "{name}: {}", error.rule);
        }
    }

    #[test]
    fn duration_must_be_between_900_and_43200_seconds() {
        for (seconds, ok) in [(899, false), (900, true), (43_200, true), (43_201, false)] {
            let result = ConnectionTestRequest {
                duration_seconds: Some(seconds),
                ..with_role()
            }
            .validate();
            assert_eq!(result.is_ok(), ok, "{seconds}");
            if let Err(error) = result {
                assert_eq!(error.field, "duration_seconds");
                assert!(error.rule.contains("900 and 43200"));
            }
        }
    }

    #[test]
    fn role_options_without_role_arn_are_rejected() {
        let cases = [
            (
                ConnectionTestRequest {
                    external_id: Some(ExternalId::from("abc".to_string())),
                    ..base()
                },
                "external_id",
            ),
            (
                ConnectionTestRequest {
                    session_name: Some("abc".into()),
                    ..base()
                },
                "session_name",
            ),
            (
                ConnectionTestRequest {
                    duration_seconds: Some(900),
                    ..base()
                },
                "duration_seconds",
            ),
        ];
        for (request, field) in cases {
            let error = broken(request);
            assert_eq!(error.field, field);
            assert_eq!(error.rule, "is only allowed together with role_arn");
        }
    }

    #[test]
    fn queue_url_yields_region_account_name_and_arn() {
        let q = queue(
            "https://sqs.us-east-1.amazonaws.com/123456789012/ingest",
            None,
        )
        .unwrap();
        assert_eq!(q.region.as_str(), "us-east-1");
        assert_eq!(q.account, "123456789012");
        assert_eq!(q.name, "ingest");
        assert_eq!(q.arn, "arn:aws:sqs:us-east-1:123456789012:ingest");
        assert_eq!(
            q.url,
            "https://sqs.us-east-1.amazonaws.com/123456789012/ingest"
        );
    }

    #[test]
    fn fifo_queue_name_keeps_its_suffix() {
        let q = queue(
            "https://sqs.eu-west-1.amazonaws.com/123456789012/ingest.fifo",
            None,
        )
        .unwrap();
        assert_eq!(q.name, "ingest.fifo");
        assert_eq!(q.arn, "arn:aws:sqs:eu-west-1:123456789012:ingest.fifo");
    }

    #[test]
    fn queue_arn_uses_the_partition_of_the_queue_region() {
        let china = queue(
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
            None,
        )
        .unwrap();
        assert_eq!(china.arn, "arn:aws-cn:sqs:cn-north-1:123456789012:q");
        let gov = queue(
            "https://sqs.us-gov-west-1.amazonaws.com/123456789012/q",
            None,
        )
        .unwrap();
        assert_eq!(gov.arn, "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q");
    }

    #[test]
    fn legacy_queue_hosts_are_accepted() {
        let regional = queue("https://eu-west-1.queue.amazonaws.com/123456789012/q", None).unwrap();
        assert_eq!(regional.region.as_str(), "eu-west-1");
        let oldest = queue("https://queue.amazonaws.com/123456789012/q", None).unwrap();
        assert_eq!(oldest.region.as_str(), "us-east-1");
    }

    #[test]
    fn local_emulator_queue_takes_the_request_region_or_us_east_1() {
        let q = queue(
            "http://localhost:4566/000000000000/ingest",
            Some("eu-west-1"),
        )
        .unwrap();
        assert_eq!(q.arn, "arn:aws:sqs:eu-west-1:000000000000:ingest");
        let q = queue("https://127.0.0.1:9324/000000000000/ingest.fifo", None).unwrap();
        assert_eq!(q.region.as_str(), "us-east-1");
        assert_eq!(q.name, "ingest.fifo");
    }

    #[test]
    fn queue_name_may_have_80_characters_including_fifo_suffix() {
        let base_url = "https://sqs.us-east-1.amazonaws.com/123456789012/";
        assert!(queue(&format!("{base_url}{}", "q".repeat(80)), None).is_ok());
        assert!(queue(&format!("{base_url}{}.fifo", "q".repeat(75)), None).is_ok());
        assert!(queue(&format!("{base_url}{}", "q".repeat(81)), None).is_err());
        assert!(queue(&format!("{base_url}{}.fifo", "q".repeat(76)), None).is_err());
    }

    #[test]
    fn malformed_queue_urls_are_rejected() {
        for url in [
            "http://sqs.us-east-1.amazonaws.com/123456789012/q",
            "ftp://sqs.us-east-1.amazonaws.com/123456789012/q",
            "https://sqs.us-east-1.amazonaws.com.cn/123456789012/q",
            "https://sqs.cn-north-1.amazonaws.com/123456789012/q",
            "https://sqs.mars-1.amazonaws.com/123456789012/q",
            "https://sqs.us-east-1.amazonaws.com/12345678901/q",
            "https://sqs.us-east-1.amazonaws.com/123456789012",
            "https://sqs.us-east-1.amazonaws.com/123456789012/",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q/",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q?x=1",
            "https://sqs.us-east-1.amazonaws.com/123456789012/my.queue",
            "https://sqs.us-east-1.amazonaws.com/123456789012/.fifo",
            "https://sqs.us-east-1.amazonaws.com:443/123456789012/q",
            "https://example.com/123456789012/q",
            "http://localhost/000000000000/q",
            "http://localhost:0/000000000000/q",
            "http://localhost:70000/000000000000/q",
            "http://example.com:4566/000000000000/q",
        ] {
            assert!(queue(url, None).is_err(), "{url}");
        }
        let error = broken(ConnectionTestRequest {
            queue_url: Some("https://example.com/123456789012/q".into()),
            ..base()
        });
        assert_eq!(error.field, "queue_url");
        assert!(error.rule.contains("https://sqs.<region>.amazonaws.com"));
    }

    #[test]
    fn complete_request_parses_into_typed_values() {
        let body = r#"{
            "bucket": "s3://cloudtrail-logs/AWSLogs/",
            "region": "eu-central-2",
            "role_arn": "arn:aws:iam::123456789012:role/scanners/s3connector-reader",
            "external_id": "e7e2b8a3-0a9f-414f-a065-afaf4ac6d994",
            "session_name": "s3connector-test",
            "duration_seconds": 3600,
            "queue_url": "https://sqs.eu-central-2.amazonaws.com/123456789012/ingest",
            "write_test": true
        }"#;
        let request = parse_request(body).unwrap().validate().unwrap();
        assert_eq!(request.bucket.as_str(), "cloudtrail-logs");
        assert_eq!(request.prefix.as_deref(), Some("AWSLogs/"));
        assert_eq!(request.region.as_ref().unwrap().as_str(), "eu-central-2");
        let role = request.role.as_ref().unwrap();
        assert_eq!(role.arn.name(), "s3connector-reader");
        assert_eq!(role.session_name.as_deref(), Some("s3connector-test"));
        assert_eq!(role.duration_seconds, Some(3600));
        assert_eq!(request.queue.as_ref().unwrap().name, "ingest");
        assert!(request.write_test);
    }

    #[test]
    fn every_listed_field_is_accepted_by_the_parser() {
        for field in FIELDS {
            let value = match field {
                "bucket" => continue,
                "duration_seconds" => "900",
                "write_test" => "true",
                _ => "\"x\"",
            };
            let body = format!(r#"{{"bucket": "b", "{field}": {value}}}"#);
            assert!(parse_request(&body).is_ok(), "{field}");
        }
    }

    #[test]
    fn write_test_defaults_to_false() {
        let request = parse_request(r#"{"bucket": "my-bucket"}"#).unwrap();
        assert!(!request.write_test);
    }

    #[test]
    fn unknown_json_field_is_named_in_the_error() {
        let error = parse_request(r#"{"bucket": "my-bucket", "externalId": "abc"}"#).unwrap_err();
        assert_eq!(error.field, "externalId");
        assert!(error.rule.starts_with("is not a known field"));
        assert!(error.rule.contains("external_id"));
    }

    #[test]
    fn missing_bucket_is_named_in_the_error() {
        let error = parse_request(r#"{"region": "us-east-1"}"#).unwrap_err();
        assert_eq!(error, ValidationError::new("bucket", "is required"));
    }

    #[test]
    fn duplicate_field_is_named_in_the_error() {
        let error = parse_request(r#"{"bucket": "a-bucket", "bucket": "b-bucket"}"#).unwrap_err();
        assert_eq!(
            error,
            ValidationError::new("bucket", "must appear only once")
        );
    }

    #[test]
    fn wrongly_typed_field_is_named_with_the_expected_type() {
        let cases = [
            (
                r#"{"bucket": "b", "write_test": "yes"}"#,
                "write_test",
                "must be a boolean",
            ),
            (
                r#"{"bucket": "b", "duration_seconds": "900"}"#,
                "duration_seconds",
                "must be a whole number",
            ),
            (
                r#"{"bucket": "b", "duration_seconds": -1}"#,
                "duration_seconds",
                "must be a whole number",
            ),
            (r#"{"bucket": 42}"#, "bucket", "must be a string"),
        ];
        for (body, field, rule) in cases {
            assert_eq!(
                parse_request(body).unwrap_err(),
                ValidationError::new(field, rule),
                "{body}"
            );
        }
    }

    #[test]
    fn wrongly_typed_external_id_is_not_echoed() {
        let error = parse_request(r#"{"bucket": "b", "external_id": 987654321}"#).unwrap_err();
        assert_eq!(error.field, "external_id");
        assert!(!error.to_string().contains("987654321"));
    }

    #[test]
    fn invalid_json_is_reported_against_the_body_with_its_position() {
        let error = parse_request("{\"bucket\": \"b\",").unwrap_err();
        assert_eq!(error.field, "body");
        assert!(
            error.rule.starts_with("must be valid JSON"),
            "{}",
            error.rule
        );
        assert!(error.rule.contains("line 1 column"), "{}", error.rule);
    }

    #[test]
    fn json_that_is_not_an_object_is_rejected() {
        for body in ["[]", "\"my-bucket\"", "null"] {
            let error = parse_request(body).unwrap_err();
            assert_eq!(
                error,
                ValidationError::new("body", "must be a JSON object"),
                "{body}"
            );
        }
    }

    #[test]
    fn serde_type_error_alone_is_reported_against_the_body() {
        let error =
            serde_json::from_str::<ConnectionTestRequest>(r#"{"bucket": "b", "write_test": 1}"#)
                .unwrap_err();
        let converted = ValidationError::from_json_error(&error);
        assert_eq!(converted, ValidationError::new("body", "must be a boolean"));
    }

    #[test]
    fn debug_of_request_hides_external_id() {
        let request = ConnectionTestRequest {
            external_id: Some(ExternalId::from("tenant-secret-4711".to_string())),
            ..with_role()
        };
        let raw = format!("{request:?}");
        assert!(!raw.contains("tenant-secret-4711"));
        assert!(raw.contains("***"));
        let validated = format!("{:?}", request.validate().unwrap());
        assert!(!validated.contains("tenant-secret-4711"));
        assert!(validated.contains("external_id: Some(***)"));
    }

    #[test]
    fn bucket_arns_use_the_partition_of_role_or_region() {
        let plain = base().validate().unwrap();
        assert_eq!(plain.bucket_arn(), "arn:aws:s3:::my-bucket");
        assert_eq!(plain.objects_arn(), "arn:aws:s3:::my-bucket/*");
        let china = ConnectionTestRequest {
            region: Some("cn-north-1".into()),
            prefix: Some("logs/".into()),
            ..base()
        }
        .validate()
        .unwrap();
        assert_eq!(china.bucket_arn(), "arn:aws-cn:s3:::my-bucket");
        assert_eq!(china.objects_arn(), "arn:aws-cn:s3:::my-bucket/logs/*");
        let gov_role = ConnectionTestRequest {
            role_arn: Some("arn:aws-us-gov:iam::123456789012:role/r".into()),
            ..base()
        }
        .validate()
        .unwrap();
        assert_eq!(gov_role.bucket_arn(), "arn:aws-us-gov:s3:::my-bucket");
    }

    #[test]
    fn validation_error_serializes_field_and_rule() {
        let json =
            serde_json::to_value(ValidationError::new("region", "must be a region")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"field": "region", "rule": "must be a region"})
        );
    }
}
