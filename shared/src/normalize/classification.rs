//! OCSF classification: the classes and activities the mappings emit, severity, profiles,
//! and the product each log type names in `metadata.product`.

use crate::logs::LogType;

/// The OCSF schema version events are written against.
pub const OCSF_VERSION: &str = "1.3.0";

/// The OCSF profile whose attributes an event carries (`cloud`, `action_id`...): bits
/// an [`EventOut`] collects, written to `metadata.profiles` (a strict consumer rejects
/// a profile's attributes on an event that does not declare the profile).
pub(super) const PROFILE_CLOUD: u8 = 1;
pub(super) const PROFILE_SECURITY_CONTROL: u8 = 2;
pub(super) const PROFILES: [(u8, &str); 2] = [
    (PROFILE_CLOUD, "cloud"),
    (PROFILE_SECURITY_CONTROL, "security_control"),
];

pub(super) struct Class {
    pub(super) uid: u64,
    pub(super) name: &'static str,
    pub(super) category_uid: u64,
    pub(super) category_name: &'static str,
}

pub(super) const BASE_EVENT: Class = Class {
    uid: 0,
    name: "Base Event",
    category_uid: 0,
    category_name: "Uncategorized",
};
pub(super) const DETECTION_FINDING: Class = Class {
    uid: 2004,
    name: "Detection Finding",
    category_uid: 2,
    category_name: "Findings",
};
pub(super) const NETWORK_ACTIVITY: Class = Class {
    uid: 4001,
    name: "Network Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
pub(super) const HTTP_ACTIVITY: Class = Class {
    uid: 4002,
    name: "HTTP Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
pub(super) const DNS_ACTIVITY: Class = Class {
    uid: 4003,
    name: "DNS Activity",
    category_uid: 4,
    category_name: "Network Activity",
};
pub(super) const API_ACTIVITY: Class = Class {
    uid: 6003,
    name: "API Activity",
    category_uid: 6,
    category_name: "Application Activity",
};

#[derive(Clone, Copy)]
pub(super) struct Activity {
    pub(super) id: u64,
    pub(super) name: &'static str,
}

pub(super) const fn activity(id: u64, name: &'static str) -> Activity {
    Activity { id, name }
}

pub(super) const UNKNOWN: Activity = activity(0, "Unknown");
pub(super) const OTHER: Activity = activity(99, "Other");

pub(super) const SEVERITY_INFORMATIONAL: u64 = 1;

pub(super) fn severity_name(id: u64) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        99 => "Other",
        _ => "Unknown",
    }
}

/// What a source mapping decided about the event as a whole.
pub(super) struct Mapped {
    pub(super) class: &'static Class,
    pub(super) activity: Activity,
    pub(super) severity_id: u64,
    pub(super) time: Option<i64>,
}

pub(super) fn product_name(log_type: LogType) -> &'static str {
    match log_type {
        LogType::CloudTrail => "CloudTrail",
        LogType::VpcFlow => "VPC Flow Logs",
        LogType::Alb | LogType::AlbConnection => "Application Load Balancer",
        LogType::Nlb => "Network Load Balancer",
        LogType::ClassicElb => "Classic Load Balancer",
        LogType::S3Access => "Amazon S3",
        LogType::CloudFront => "CloudFront",
        LogType::Waf => "AWS WAF",
        LogType::GuardDuty => "GuardDuty",
        LogType::Route53Resolver => "Route 53 Resolver",
        LogType::CloudWatchLogs => "CloudWatch Logs",
        LogType::Json => "JSON log in S3",
        LogType::Text => "Text log in S3",
    }
}

/// The OCSF classes (`class_uid`) a log type's events can have: one for every type but
/// Classic ELB, whose HTTP entries are HTTP Activity and TCP/SSL entries Network Activity.
pub fn log_type_classes(log_type: LogType) -> &'static [u64] {
    match log_type {
        LogType::CloudTrail | LogType::S3Access => &[API_ACTIVITY.uid],
        LogType::VpcFlow | LogType::Nlb | LogType::AlbConnection => &[NETWORK_ACTIVITY.uid],
        LogType::Alb | LogType::CloudFront | LogType::Waf => &[HTTP_ACTIVITY.uid],
        LogType::ClassicElb => &[HTTP_ACTIVITY.uid, NETWORK_ACTIVITY.uid],
        LogType::Route53Resolver => &[DNS_ACTIVITY.uid],
        LogType::GuardDuty => &[DETECTION_FINDING.uid],
        LogType::CloudWatchLogs | LogType::Json | LogType::Text => &[BASE_EVENT.uid],
    }
}
