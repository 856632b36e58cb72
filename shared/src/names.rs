//! AWS names and identifiers, validated by the rules in the AWS documentation.
//!
//! One home for these rules: request validation and configuration both parse through
//! the types and checks here. Each error is the rule broken, phrased to follow the
//! field or variable name, and never repeats the value (some values are secrets).

use std::fmt;

use serde::Deserialize;

/// Partitions an IAM role ARN may name.
pub const PARTITIONS: [&str; 7] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
];

/// Every region of every partition, as the AWS SDK's endpoint metadata lists them
/// (aws-sdk-s3 1.157, `partitions.json`). Requests that name a region are held to this
/// list so that no caller can make the connector build clients for invented regions.
pub const KNOWN_REGIONS: [&str; 45] = [
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Shortest AssumeRole session, in seconds.
pub const MIN_DURATION_SECONDS: u32 = 900;
/// Longest AssumeRole session, in seconds.
pub const MAX_DURATION_SECONDS: u32 = 43_200;
// Emulators accept any region; LocalStack and moto default to this one.
const LOCAL_EMULATOR_REGION: &str = "us-east-1";
/// An STS external ID: a secret shared between two accounts, so `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    /// The value, for the AssumeRole call only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ExternalId {
    fn from(value: String) -> Self {
        ExternalId(value)
    }
}

impl fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A bucket name that follows the S3 general purpose bucket naming rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketName(String);

impl BucketName {
    /// Checks `name` against the naming rules; the error is the rule it broke.
    pub fn parse(name: &str) -> Result<Self, String> {
        const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
        const RESERVED_SUFFIXES: [&str; 5] =
            ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
        if !(3..=63).contains(&name.len()) {
            return Err("must be 3 to 63 characters long".into());
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err(
                "must contain only lowercase letters, digits, periods (.) and hyphens (-)".into(),
            );
        }
        let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
            return Err("must begin and end with a letter or digit".into());
        }
        if name.contains("..") {
            return Err("must not contain two adjacent periods".into());
        }
        if looks_like_ipv4(name) {
            return Err("must not be formatted as an IP address (such as 192.168.5.4)".into());
        }
        if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(**p)) {
            return Err(format!(
                "must not start with the reserved prefix '{prefix}'"
            ));
        }
        if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(**s)) {
            return Err(format!("must not end with the reserved suffix '{suffix}'"));
        }
        Ok(BucketName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn looks_like_ipv4(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A region name such as `us-east-1`, `us-gov-west-1` or `cn-north-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);

impl Region {
    /// Checks the shape `^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`.
    pub fn parse(name: &str) -> Result<Self, String> {
        const RULE: &str = "must be a region name such as us-east-1, eu-central-2 or us-gov-west-1";
        let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
        let parts: Vec<&str> = name.split('-').collect();
        let (country, qualifier, area, number) = match parts.as_slice() {
            [c, a, n] => (*c, None, *a, *n),
            [c, q, a, n] => (*c, Some(*q), *a, *n),
            _ => return Err(RULE.into()),
        };
        let qualifier_ok = match qualifier {
            None | Some("gov") | Some("iso") => true,
            Some(q) => q.len() == 4 && q.starts_with("iso") && lower(&q[3..]),
        };
        let shape_ok = country.len() == 2
            && lower(country)
            && qualifier_ok
            && lower(area)
            && (1..=2).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit());
        if shape_ok {
            Ok(Region(name.to_string()))
        } else {
            Err(RULE.into())
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the region is one of [`KNOWN_REGIONS`].
    pub fn is_known(&self) -> bool {
        KNOWN_REGIONS.contains(&self.0.as_str())
    }

    /// The partition the region belongs to, as used in ARNs.
    pub fn partition(&self) -> &'static str {
        let name = self.0.as_str();
        if name.starts_with("cn-") {
            "aws-cn"
        } else if name.contains("-gov-") {
            "aws-us-gov"
        } else if name.contains("-iso-") {
            "aws-iso"
        } else if name.contains("-isob-") {
            "aws-iso-b"
        } else if name.contains("-isoe-") {
            "aws-iso-e"
        } else if name.contains("-isof-") {
            "aws-iso-f"
        } else {
            "aws"
        }
    }
}

/// An IAM role ARN: `arn:<partition>:iam::<account>:role/[path/]<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleArn {
    arn: String,
    partition: String,
    account: String,
    name: String,
}

impl RoleArn {
    /// Checks the ARN's partition, service, region, account and role path and name.
    pub fn parse(arn: &str) -> Result<Self, String> {
        const SHAPE: &str = "must be arn:<partition>:iam::<12-digit account>:role/<name>";
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [scheme, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(SHAPE.into());
        };
        if *scheme != "arn" {
            return Err(SHAPE.into());
        }
        if !PARTITIONS.contains(partition) {
            return Err(format!(
                "must name a known partition ({}): {SHAPE}",
                PARTITIONS.join(", ")
            ));
        }
        if *service != "iam" {
            return Err(format!("must be an IAM ARN (service 'iam'): {SHAPE}"));
        }
        if !region.is_empty() {
            return Err(format!(
                "must have an empty region (IAM is global): {SHAPE}"
            ));
        }
        if !is_account_id(account) {
            return Err(format!("must contain a 12-digit account ID: {SHAPE}"));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(format!("must name a role (resource 'role/...'): {SHAPE}"));
        };
        let (path, name) = match path_and_name.rsplit_once('/') {
            Some((path, name)) => (Some(path), name),
            None => (None, path_and_name),
        };
        if let Some(path) = path {
            // IAM paths are /segment/.../ with printable ASCII, at most 512 characters.
            let segments_ok = path
                .split('/')
                .all(|s| !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            if !segments_ok || path.len() + 2 > 512 {
                return Err(
                    "must have a role path of non-empty segments of printable ASCII, at most 512 characters"
                        .into(),
                );
            }
        }
        if !(1..=64).contains(&name.chars().count()) || !name.chars().all(is_iam_name_char) {
            return Err(
                "must end in a role name of 1 to 64 characters from letters, digits and _+=,.@-"
                    .into(),
            );
        }
        Ok(RoleArn {
            arn: arn.to_string(),
            partition: partition.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }

    /// The full ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The partition, such as `aws` or `aws-cn`.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The account that owns the role.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role name, without its path.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// An SQS queue, with the parts of its URL and its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRef {
    /// The queue URL as given.
    pub url: String,
    /// `arn:<partition>:sqs:<region>:<account>:<name>`.
    pub arn: String,
    /// Region from the URL (or the request's region for a local emulator).
    pub region: Region,
    /// Account that owns the queue.
    pub account: String,
    /// Queue name, including `.fifo` for FIFO queues.
    pub name: String,
    /// Whether the URL points at a local emulator (`http://localhost:<port>` or
    /// `http://127.0.0.1:<port>`) rather than an SQS endpoint.
    pub local: bool,
}

impl QueueRef {
    /// Parses an SQS queue URL; `fallback_region` is used for local emulator URLs.
    pub fn parse(url: &str, fallback_region: Option<&Region>) -> Result<Self, String> {
        const SHAPE: &str =
            "must be https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name>";
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(SHAPE.into());
        };
        let Some((host, path)) = rest.split_once('/') else {
            return Err(SHAPE.into());
        };
        // Rules name what is wrong without repeating it: a query or user part may hold a secret.
        if host.contains('@') {
            return Err(
                "must not carry user:password@ (SQS authenticates requests by signature)".into(),
            );
        }
        if path.contains(['?', '#']) {
            return Err("must not carry a query string or fragment".into());
        }
        let local = matches!(host.split_once(':'), Some(("localhost" | "127.0.0.1", _)));
        let region = match host.split_once(':') {
            Some(("localhost" | "127.0.0.1", port)) => {
                if !is_port(port) {
                    return Err("must give a port between 1 and 65535 for a local emulator".into());
                }
                fallback_region
                    .cloned()
                    .unwrap_or_else(|| Region(LOCAL_EMULATOR_REGION.into()))
            }
            Some(_) => return Err(SHAPE.into()),
            None if !secure => {
                return Err("must use https (http is accepted only for localhost)".into())
            }
            None => match aws_queue_host_region(host) {
                Some(region) => region?,
                None => return Err(SHAPE.into()),
            },
        };
        let Some((account, name)) = path.split_once('/') else {
            return Err(SHAPE.into());
        };
        if !is_account_id(account) {
            return Err(format!("must contain a 12-digit account ID: {SHAPE}"));
        }
        let base = name.strip_suffix(".fifo").unwrap_or(name);
        if name.len() > 80
            || base.is_empty()
            || !base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(
                "must end in a queue name of 1 to 80 characters from letters, digits, - and _ (plus .fifo for FIFO queues)"
                    .into(),
            );
        }
        Ok(QueueRef {
            url: url.to_string(),
            arn: format!(
                "arn:{}:sqs:{}:{account}:{name}",
                region.partition(),
                region.as_str()
            ),
            region,
            account: account.to_string(),
            name: name.to_string(),
            local,
        })
    }
}

// Outer None: not an SQS host shape; inner Err: the shape fits but the region is wrong.
fn aws_queue_host_region(host: &str) -> Option<Result<Region, String>> {
    // The oldest endpoint form, still served for us-east-1.
    if host == "queue.amazonaws.com" {
        return Some(Ok(Region("us-east-1".into())));
    }
    if let Some(region) = host.strip_suffix(".queue.amazonaws.com") {
        return Some(Region::parse(region));
    }
    let inner = host.strip_prefix("sqs.")?;
    let (region, china) = if let Some(r) = inner.strip_suffix(".amazonaws.com.cn") {
        (r, true)
    } else {
        (inner.strip_suffix(".amazonaws.com")?, false)
    };
    Some(Region::parse(region).and_then(|region| {
        if (region.partition() == "aws-cn") == china {
            Ok(region)
        } else {
            Err("must use amazonaws.com.cn for China regions and amazonaws.com elsewhere".into())
        }
    }))
}

fn is_port(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
}

/// Whether `account` is a 12-digit AWS account ID.
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

// `\w` in the IAM documentation means ASCII letters, digits and underscore.
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks an STS external ID: 2 to 1224 characters of letters, digits and _+=,.@:/-.
pub fn check_external_id(id: &str) -> Result<(), &'static str> {
    if !(2..=1224).contains(&id.chars().count()) {
        return Err("must be 2 to 1224 characters long");
    }
    if !id
        .chars()
        .all(|c| is_iam_name_char(c) || c == ':' || c == '/')
    {
        return Err("must contain only letters, digits and _+=,.@:/-");
    }
    Ok(())
}

/// Checks a role session name or source identity: 2 to 64 characters of letters, digits and _+=,.@-.
pub fn check_session_name(name: &str) -> Result<(), &'static str> {
    if !(2..=64).contains(&name.chars().count()) {
        return Err("must be 2 to 64 characters long");
    }
    if !name.chars().all(is_iam_name_char) {
        return Err("must contain only letters, digits and _+=,.@-");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_region_parses_and_belongs_to_a_partition() {
        for name in KNOWN_REGIONS {
            let region = Region::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(region.is_known());
            assert!(PARTITIONS.contains(&region.partition()), "{name}");
        }
        let partition = |n: &str| Region::parse(n).unwrap().partition();
        assert_eq!(partition("cn-northwest-1"), "aws-cn");
        assert_eq!(partition("us-gov-east-1"), "aws-us-gov");
        assert_eq!(partition("us-isob-west-1"), "aws-iso-b");
        assert_eq!(partition("eu-isoe-west-1"), "aws-iso-e");
        assert_eq!(partition("us-isof-south-1"), "aws-iso-f");
    }

    #[test]
    fn well_shaped_but_invented_regions_are_not_known() {
        for name in ["us-east-9", "eu-fake-1", "ap-southeast-99", "zz-north-1"] {
            assert!(!Region::parse(name).unwrap().is_known(), "{name}");
        }
    }

    #[test]
    fn queue_url_with_a_secret_in_it_is_refused_without_repeating_it() {
        for url in [
            "https://sqs.us-east-1.amazonaws.com/123456789012/ingest?X-Amz-Security-Token=SECRET",
            "https://user:SECRET@sqs.us-east-1.amazonaws.com/123456789012/ingest",
            "https://sqs.us-east-1.amazonaws.com/123456789012/ingest#SECRET",
        ] {
            let rule = QueueRef::parse(url, None).unwrap_err();
            assert!(!rule.contains("SECRET"), "{url}: {rule}");
            assert!(rule.starts_with("must not carry"), "{url}: {rule}");
        }
    }

    #[test]
    fn loopback_queue_urls_are_marked_local() {
        let local = QueueRef::parse("http://127.0.0.1:4566/123456789012/ingest", None).unwrap();
        assert!(local.local);
        let aws = QueueRef::parse(
            "https://sqs.eu-west-1.amazonaws.com/123456789012/ingest",
            None,
        )
        .unwrap();
        assert!(!aws.local);
    }
}
