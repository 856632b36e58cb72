//! What the S3 sink writes and where: NDJSON or OCSF Parquet, under the partitioned
//! layout or Amazon Security Lake's custom-source layout.

use std::collections::BTreeMap;

use crate::logs::json_source::ROUTED_SOURCES;
use crate::logs::LogType;
use crate::normalize::log_type_classes;

/// `S3CONNECTOR_OUTPUT_FORMAT`: the S3 sink's object format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// OCSF events as NDJSON, compressed per `S3CONNECTOR_OUTPUT_COMPRESSION`.
    #[default]
    Ndjson,
    /// OCSF Apache Parquet (zstd), one file per OCSF class per chunk (`docs/parquet-schema.md`).
    Parquet,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "ndjson" => Ok(OutputFormat::Ndjson),
            "parquet" => Ok(OutputFormat::Parquet),
            other => Err(format!(
                "unknown output format {other:?}; use ndjson or parquet"
            )),
        }
    }
}

/// `S3CONNECTOR_OUTPUT_LAYOUT`: how output keys are laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OutputLayout {
    /// `<prefix>source=<type>/account=<id>/region=<r>/dt=<YYYY-MM-DD>/<object id>-<first index>.<ext>`.
    #[default]
    Partitioned,
    /// Amazon Security Lake custom sources:
    /// `<prefix>ext/<source>/region=<r>/accountId=<id>/eventDay=<YYYYMMDD>/<object id>-<first index>.parquet`,
    /// one source per OCSF class.
    SecurityLake(SecurityLakeSources),
}

/// The Security Lake custom source name of each log type and class
/// (`S3CONNECTOR_SECURITY_LAKE_SOURCES`).
///
/// Security Lake holds one OCSF class per source. A log type whose events have one
/// class is named `<log type>` by default (`cloudtrail`, `vpcflow`); one with several
/// (Classic ELB: HTTP Activity and Network Activity) `<log type>-<class_uid>`
/// (`elb-4002`, `elb-4001`). Entries `<log type>=<name>` rename a one-class log type,
/// `<log type>:<class_uid>=<name>` one class of any log type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityLakeSources {
    names: BTreeMap<(&'static str, u64), String>,
    /// The `accountId=` partition of events whose object key and records name no
    /// account (`S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID`); `unknown` without one.
    pub default_account: Option<String>,
    /// The `region=` partition of events whose object key and records name no region
    /// (CloudFront, a global service; Firehose deliveries): `S3CONNECTOR_SECURITY_LAKE_REGION`,
    /// else the function's own region (`AWS_REGION`); `unknown` without either.
    pub default_region: Option<String>,
}

/// Security Lake's rule for custom source names: `A-Za-z0-9_-`, 1 to 20 of them. The API
/// accepts 64, but CreateCustomLogSource names the provider role
/// `AmazonSecurityLake-Provider-<source>-<region>` and asks for at most 20 characters so
/// that name stays within IAM's 64 (Security Lake API Reference, CreateCustomLogSource).
fn valid_source_name(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl std::str::FromStr for SecurityLakeSources {
    type Err = String;

    /// `type=name,type:class_uid=name,...` (empty: every default).
    fn from_str(value: &str) -> Result<Self, String> {
        let mut names = BTreeMap::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (target, name) = entry
                .split_once('=')
                .ok_or_else(|| format!("entry {entry:?} is not <log type>[:<class_uid>]=<name>"))?;
            let (log_type, class) = match target.split_once(':') {
                Some((t, c)) => (t, Some(c)),
                None => (target, None),
            };
            let log_type: LogType = log_type.trim().parse().map_err(|e| format!("{e}"))?;
            let classes = log_type_classes(log_type);
            let class_uid = match class {
                Some(c) => {
                    let uid = c.trim().parse::<u64>().ok().filter(|u| classes.contains(u));
                    uid.ok_or_else(|| {
                        format!("{log_type} events have class_uid {classes:?}, not {c:?}")
                    })?
                }
                None if classes.len() == 1 => classes[0],
                None => {
                    return Err(format!(
                        "{log_type} events have several classes {classes:?}: name each as {log_type}:<class_uid>=<name>"
                    ))
                }
            };
            let name = name.trim();
            if !valid_source_name(name) {
                return Err(format!(
                    "source name {name:?} must be 1 to 20 letters, digits, '_' or '-' (Security Lake names the provider role after it)"
                ));
            }
            // A second name for the same events is a typo that would send them to the
            // wrong source: refused, as a name serving two classes is.
            if let Some(first) = names.insert((log_type.as_str(), class_uid), name.to_owned()) {
                return Err(format!(
                    "{log_type} events of class {class_uid} are named twice ({first:?} and {name:?}); give each log type and class one source name"
                ));
            }
        }
        let sources = SecurityLakeSources {
            names,
            ..SecurityLakeSources::default()
        };
        // One class per source: no name may serve two classes.
        let mut class_of: BTreeMap<String, u64> = BTreeMap::new();
        for log_type in LogType::ALL {
            for &class_uid in log_type_classes(log_type) {
                let name = sources.name(log_type, class_uid);
                if let Some(other) = class_of.insert(name.clone(), class_uid) {
                    if other != class_uid {
                        return Err(format!(
                            "source {name:?} would hold classes {other} and {class_uid}; Security Lake allows one class per source"
                        ));
                    }
                }
            }
        }
        Ok(sources)
    }
}

impl SecurityLakeSources {
    /// The source name of `log_type`'s events of class `class_uid`. Events of a class
    /// `log_type` does not have are records that said their own source (an EventBridge
    /// stream's GuardDuty finding in a CloudTrail object): they go to that source's name.
    pub fn name(&self, log_type: LogType, class_uid: u64) -> String {
        if !log_type_classes(log_type).contains(&class_uid) {
            return match ROUTED_SOURCES
                .into_iter()
                .find(|t| log_type_classes(*t) == [class_uid])
            {
                Some(own) => self.name(own, class_uid),
                None => format!("{log_type}-{class_uid}"),
            };
        }
        if let Some(name) = self.names.get(&(log_type.as_str(), class_uid)) {
            return name.clone();
        }
        if log_type_classes(log_type).len() == 1 {
            log_type.as_str().to_owned()
        } else {
            format!("{log_type}-{class_uid}")
        }
    }
}

/// `YYYYMMDD` of a `YYYY-MM-DD` day.
pub(crate) fn event_day(day: &str) -> String {
    day.replace('-', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("ndjson".parse(), Ok(OutputFormat::Ndjson));
        assert_eq!("parquet".parse(), Ok(OutputFormat::Parquet));
        assert!("csv"
            .parse::<OutputFormat>()
            .unwrap_err()
            .contains("ndjson or parquet"));
    }

    #[test]
    fn source_names_default_per_log_type_and_class_and_can_be_renamed() {
        let default = SecurityLakeSources::default();
        assert_eq!(default.name(LogType::CloudTrail, 6003), "cloudtrail");
        assert_eq!(default.name(LogType::ClassicElb, 4002), "elb-4002");
        assert_eq!(default.name(LogType::ClassicElb, 4001), "elb-4001");
        let custom: SecurityLakeSources =
            "cloudtrail=CloudTrailS3, elb:4001=ElbTcp".parse().unwrap();
        assert_eq!(custom.name(LogType::CloudTrail, 6003), "CloudTrailS3");
        assert_eq!(custom.name(LogType::ClassicElb, 4001), "ElbTcp");
        assert_eq!(custom.name(LogType::ClassicElb, 4002), "elb-4002");
    }

    /// Records routed by their own EventBridge envelope keep Security Lake's one class per
    /// source: a GuardDuty finding in a CloudTrail stream goes to the GuardDuty source.
    #[test]
    fn events_of_another_class_than_the_objects_go_to_their_own_source() {
        let custom: SecurityLakeSources = "guardduty=Findings".parse().unwrap();
        assert_eq!(custom.name(LogType::CloudTrail, 2004), "Findings");
        assert_eq!(custom.name(LogType::GuardDuty, 6003), "cloudtrail");
        assert_eq!(custom.name(LogType::CloudTrail, 0), "json");
        assert_eq!(custom.name(LogType::Waf, 4001), "waf-4001");
    }

    #[test]
    fn source_names_that_break_security_lake_rules_are_refused() {
        for (bad, says) in [
            ("elb=Elb", "several classes"),
            ("cloudtrail:4001=x", "class_uid"),
            ("cloudtrail=a/b", "letters"),
            // 23 characters: the provider role's name would pass IAM's 64.
            ("cloudtrail=CloudTrailManagementLog", "1 to 20"),
            ("nosuchtype=x", "nosuchtype"),
            ("cloudtrail", "is not"),
            // One name for two classes: Security Lake holds one class per source.
            ("cloudtrail=Shared,vpcflow=Shared", "one class per source"),
            // Ingest trial 2, defect 8: one log type and class named twice.
            ("cloudtrail=A,cloudtrail=B", "twice (\"A\" and \"B\")"),
            (
                "cloudtrail=A,cloudtrail:6003=B",
                "cloudtrail events of class 6003 are named twice",
            ),
        ] {
            let err = bad.parse::<SecurityLakeSources>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        let longest: SecurityLakeSources = "cloudtrail=CloudTrailManagement".parse().unwrap();
        assert_eq!(
            longest.name(LogType::CloudTrail, 6003),
            "CloudTrailManagement"
        );
        // Two log types of one class may share a source.
        let shared: SecurityLakeSources = "vpcflow=Flows,nlb=Flows".parse().unwrap();
        assert_eq!(shared.name(LogType::Nlb, 4001), "Flows");
    }
}
