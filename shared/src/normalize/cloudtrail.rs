//! CloudTrail records to OCSF API Activity (6003). Field table: docs/mappings/cloudtrail.md.

use super::classification::{
    activity, Activity, Mapped, API_ACTIVITY, OTHER, SEVERITY_INFORMATIONAL, UNKNOWN,
};
use super::objects::{write_account, write_cloud, write_status, write_unknown_user, UNKNOWN_NAME};
use super::out::{opt_int, opt_str, EventOut};
use crate::logs::cloudtrail::{CloudTrailEvent, UserIdentity};
use crate::logs::timestamp::iso8601_ms;
use std::net::IpAddr;

pub(super) const CREATE_VERBS: &[&str] = &[
    "Create", "Add", "Allocate", "Run", "Register", "Import", "Copy", "Upload", "Issue", "Generate",
];
pub(super) const READ_VERBS: &[&str] = &[
    "Get", "Describe", "List", "Head", "Lookup", "Search", "Query", "Scan", "Select", "View",
    "Check", "Download",
];
pub(super) const UPDATE_VERBS: &[&str] = &[
    "Update",
    "Modify",
    "Put",
    "Set",
    "Change",
    "Attach",
    "Detach",
    "Associate",
    "Disassociate",
    "Enable",
    "Disable",
    "Tag",
    "Untag",
    "Reset",
    "Replace",
    "Restore",
    "Assign",
    "Unassign",
    "Start",
    "Stop",
    "Reboot",
    "Authorize",
    "Revoke",
    "Rotate",
    "Apply",
    "Write",
];
pub(super) const DELETE_VERBS: &[&str] = &[
    "Delete",
    "Remove",
    "Terminate",
    "Deregister",
    "Release",
    "Purge",
    "Destroy",
];

/// CRUD class of an API call from the verb its name starts with (`BatchGetItem` counts as `Get`).
pub(super) fn api_activity(operation: &str) -> Activity {
    let mut verb = leading_word(operation);
    if verb.eq_ignore_ascii_case("Batch") {
        verb = leading_word(&operation[verb.len()..]);
    }
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(verb));
    if is(CREATE_VERBS) {
        activity(1, "Create")
    } else if is(READ_VERBS) {
        activity(2, "Read")
    } else if is(UPDATE_VERBS) {
        activity(3, "Update")
    } else if is(DELETE_VERBS) {
        activity(4, "Delete")
    } else {
        OTHER
    }
}

/// `DescribeInstances` -> `Describe`: up to the next capital letter.
pub(super) fn leading_word(s: &str) -> &str {
    let end = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

pub(super) fn cloudtrail(r: &CloudTrailEvent<'_>, out: &mut dyn EventOut) -> Mapped {
    let insight = r.event_type.get() == Some("AwsCloudTrailInsight");
    let identity = r.user_identity.0.as_ref();
    // An Insights event is about unusual call volume of an API, not a call itself.
    let (operation, service) = if insight {
        let details = r.insight_details.0.as_ref();
        (
            details.and_then(|d| d.event_name.get()),
            details.and_then(|d| d.event_source.get()),
        )
    } else {
        (r.event_name.get(), r.event_source.get())
    };
    let activity = match operation {
        _ if insight => OTHER,
        Some(op) => api_activity(op),
        None => UNKNOWN,
    };

    out.open("api");
    // Required in `api`: a record without one says `unknown` (activity 0 Unknown).
    out.str("operation", operation.unwrap_or(UNKNOWN_NAME));
    opt_str(out, "version", r.api_version.get());
    out.open("service");
    opt_str(out, "name", service);
    out.close();
    out.open("request");
    opt_str(out, "uid", r.request_id.get());
    out.close();
    out.open("response");
    opt_str(out, "error", r.error_code.get());
    opt_str(out, "error_message", r.error_message.get());
    out.close();
    out.close();

    // API Activity requires an actor OCSF can tell apart (a user's uid, name or account,
    // or invoked_by, or a session issuer).
    let identified = identity.is_some_and(|i| {
        let issuer = i
            .session_context
            .0
            .as_ref()
            .and_then(|c| c.session_issuer.0.as_ref());
        [
            i.principal_id.get(),
            i.user_name.get(),
            i.account_id.get(),
            i.invoked_by.get(),
            issuer.and_then(|s| s.arn.get()),
            issuer.and_then(|s| s.user_name.get()),
        ]
        .iter()
        .any(Option::is_some)
    });
    match identity {
        Some(identity) if identified => cloudtrail_actor(identity, out),
        // An Insights event has no caller: CloudTrail Insights produced it.
        _ if insight => {
            out.open("actor");
            out.str("app_name", "CloudTrail Insights");
            out.close();
        }
        _ => write_unknown_user(out),
    }

    out.open("src_endpoint");
    if insight {
        out.str("svc_name", "cloudtrail.amazonaws.com");
    } else if let Some(source) = r.source_ip_address.get() {
        // AWS services appear by name (`ec2.amazonaws.com`), not by address.
        let key = if source.parse::<IpAddr>().is_ok() {
            "ip"
        } else {
            "svc_name"
        };
        out.str(key, source);
    } else {
        // Required in API Activity; the record names no caller address.
        out.str("name", UNKNOWN_NAME);
    }
    out.close();

    out.open("http_request");
    opt_str(out, "user_agent", r.user_agent.get());
    out.close();

    let account = r
        .recipient_account_id
        .get()
        .or_else(|| identity.and_then(|i| i.account_id.get()));
    write_cloud(out, account, r.aws_region.get(), None);

    if !insight {
        cloudtrail_outcome(r, operation, out);
    }

    // OCSF needs a uid or a name to tell a resource apart: an S3 data event names the
    // objects it lists or deletes by their ARN prefix; an entry with neither stays in
    // the original record only.
    let resources = r.resources.0.iter().filter_map(|res| {
        let res = res.0.as_ref()?;
        Some((res, res.arn.get().or_else(|| res.arn_prefix.get())?))
    });
    if resources.clone().next().is_some() {
        out.open_array("resources");
        for (res, uid) in resources {
            out.open("");
            out.str("uid", uid);
            opt_str(out, "type", res.kind.get());
            // The account that owns the resource: OCSF 1.3's resource_details has no
            // `account`, but its `owner` (a user) has one.
            out.open("owner");
            write_account(out, res.account_id.get());
            out.close();
            out.close();
        }
        out.close();
    }

    Mapped {
        class: &API_ACTIVITY,
        activity,
        severity_id: SEVERITY_INFORMATIONAL,
        time: r.event_time.get().and_then(iso8601_ms),
    }
}

/// `status_id` / `status` / `status_code` / `status_detail` of a CloudTrail record
/// (table: `docs/mappings/cloudtrail.md`, "Outcome"). A failed call has `errorCode`
/// (and usually `errorMessage`); a sign-in event writes its result under its own name
/// in `responseElements` and a failure's reason in `errorMessage`, with no `errorCode`.
pub(super) fn cloudtrail_outcome(
    r: &CloudTrailEvent<'_>,
    operation: Option<&str>,
    out: &mut dyn EventOut,
) {
    let sign_in = operation
        .zip(r.response_elements.0.as_ref())
        .and_then(|(op, result)| result.of(op));
    let message = r.error_message.get();
    match (r.error_code.get(), sign_in) {
        (Some(code), _) => {
            write_status(out, 2, "Failure");
            out.str("status_code", code);
            opt_str(out, "status_detail", message);
        }
        (None, Some("Success")) => write_status(out, 1, "Success"),
        (None, Some("Failure")) => {
            write_status(out, 2, "Failure");
            out.str("status_code", "Failure");
            opt_str(out, "status_detail", message);
        }
        (None, Some(other)) => {
            write_status(out, 99, other);
            out.str("status_code", other);
            opt_str(out, "status_detail", message);
        }
        // An error message without a code is still a failure's reason.
        (None, None) if message.is_some() => {
            write_status(out, 2, "Failure");
            opt_str(out, "status_detail", message);
        }
        (None, None) => write_status(out, 1, "Success"),
    }
}

pub(super) fn cloudtrail_actor(identity: &UserIdentity<'_>, out: &mut dyn EventOut) {
    let context = identity.session_context.0.as_ref();
    let issuer = context.and_then(|c| c.session_issuer.0.as_ref());
    out.open("actor");
    let user_type = identity.kind.get();
    let name = identity
        .user_name
        .get()
        .or_else(|| issuer.and_then(|i| i.user_name.get()))
        // An AWS service acting on its own is named by its principal (`ec2.amazonaws.com`).
        .or_else(|| {
            (user_type == Some("AWSService"))
                .then(|| identity.invoked_by.get())
                .flatten()
        });
    let account = identity.account_id.get();
    // OCSF tells users apart by uid, name or account: a user with none is left out.
    let identified = identity.principal_id.get().or(name).or(account).is_some();
    if identified {
        out.open("user");
        opt_str(out, "type", user_type);
        if let Some(t) = user_type {
            let type_id = match t {
                "IAMUser" | "AssumedRole" | "FederatedUser" | "IdentityCenterUser" | "SAMLUser"
                | "WebIdentityUser" => 1,
                "Root" => 2,
                "AWSService" => 3,
                "Unknown" => 0,
                _ => 99,
            };
            out.uint("type_id", type_id);
        }
        opt_str(out, "uid", identity.principal_id.get());
        opt_str(out, "uid_alt", identity.arn.get());
        opt_str(out, "name", name);
        opt_str(out, "credential_uid", identity.access_key_id.get());
        write_account(out, account);
        out.close();
    }

    out.open("session");
    if let Some(attrs) = context.and_then(|c| c.attributes.0.as_ref()) {
        opt_int(
            out,
            "created_time",
            attrs.creation_date.get().and_then(iso8601_ms),
        );
        if let Some(mfa) = attrs.mfa_authenticated.get() {
            out.boolean("is_mfa", mfa == "true");
        }
    }
    opt_str(out, "issuer", issuer.and_then(|i| i.arn.get()));
    out.close();
    opt_str(out, "invoked_by", identity.invoked_by.get());
    out.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{cloudtrail, LogType};
    use crate::normalize::test_support::{
        assert_class, events, first_event, resource_types_and_uids, CT_KEY,
    };
    use serde_json::{json, Value};

    /// Ingest trial 6, D2: CloudTrail writes `""` for identity fields it does not know
    /// (a failed console sign-in); such a user is the documented `unknown`, so the event
    /// keeps OCSF's rule that a user has a uid, name or account.
    #[test]
    fn empty_identity_fields_are_absent_and_give_the_unknown_user() {
        for kind in ["Unknown", "IAMUser"] {
            let record = format!(
                r#"{{"Records":[{{"eventVersion":"1.08","userIdentity":{{"type":"{kind}","principalId":"","accountId":"","userName":""}},"eventTime":"2024-12-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0","errorMessage":"","requestParameters":null,"responseElements":{{"ConsoleLogin":"Failure"}},"eventID":"e1","eventType":"AwsConsoleSignIn","recipientAccountId":"123456789012"}}]}}"#
            );
            let ev = first_event(LogType::CloudTrail, &record, CT_KEY);
            assert_eq!(ev["actor"]["user"]["name"], "unknown", "{kind}: {ev:#}");
            assert!(ev["actor"]["user"].get("uid").is_none(), "{ev:#}");
            assert!(ev.get("status_detail").is_none(), "{ev:#}");
        }
    }

    #[test]
    fn cloudtrail_maps_to_api_activity_with_actor_and_status() {
        let evs = events(
            LogType::CloudTrail,
            cloudtrail::samples::THREE_RECORDS,
            CT_KEY,
        );
        let login = &evs[0];
        assert_class(login, 6003, 99);
        assert_eq!(login["category_uid"], 6);
        assert_eq!(login["time"], 1_394_140_974_000i64);
        assert_eq!(login["api"]["operation"], "ConsoleLogin");
        assert_eq!(login["api"]["service"]["name"], "signin.amazonaws.com");
        assert_eq!(login["actor"]["user"]["name"], "Alice");
        assert_eq!(login["actor"]["user"]["type"], "IAMUser");
        assert_eq!(login["src_endpoint"]["ip"], "198.51.100.1");
        assert_eq!(login["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(login["cloud"]["region"], "us-east-1");
        assert_eq!(login["status_id"], 1);

        let describe = &evs[1];
        assert_class(describe, 6003, 2);
        assert_eq!(
            describe["actor"]["user"]["uid"],
            "AROAIDPPEZS35WEXAMPLE:deploy-bot"
        );
        assert_eq!(describe["actor"]["user"]["name"], "DeployRole");
        assert_eq!(
            describe["actor"]["user"]["credential_uid"],
            "ASIAIOSFODNN7EXAMPLE"
        );
        assert_eq!(
            describe["actor"]["session"]["issuer"],
            "arn:aws:iam::123456789012:role/DeployRole"
        );
        assert_eq!(describe["actor"]["session"]["is_mfa"], false);
        assert_eq!(describe["src_endpoint"]["ip"], "2001:db8::7");
        assert_eq!(
            describe["api"]["request"]["uid"],
            "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        );
        assert_eq!(describe["cloud"]["region"], "eu-west-1");

        let delete = &evs[2];
        assert_class(delete, 6003, 4);
        assert_eq!(delete["status_id"], 2);
        assert_eq!(delete["status"], "Failure");
        assert_eq!(delete["status_code"], "AccessDenied");
        assert_eq!(delete["api"]["response"]["error"], "AccessDenied");
        assert_eq!(delete["resources"][0]["uid"], "arn:aws:s3:::prod-logs");
        // CloudTrail's resource accountId is its owner's account (resource_details has
        // no `account` in OCSF 1.3); Parquet output had refused such events.
        assert_eq!(
            delete["resources"][0]["owner"]["account"]["uid"],
            "123456789012"
        );
    }

    #[test]
    fn cloudtrail_verbs_map_to_crud_activities() {
        let cases = [
            ("CreateBucket", 1),
            ("RunInstances", 1),
            ("GetObject", 2),
            ("BatchGetItem", 2),
            ("ListBuckets", 2),
            ("PutBucketPolicy", 3),
            ("AttachRolePolicy", 3),
            ("DeleteTrail", 4),
            ("BatchWriteItem", 3),
            ("TerminateInstances", 4),
            ("AssumeRole", 99),
            ("ConsoleLogin", 99),
        ];
        for (name, id) in cases {
            assert_eq!(api_activity(name).id, id, "{name}");
        }
    }

    #[test]
    fn cloudtrail_service_caller_goes_to_svc_name_not_ip() {
        let doc = r#"{"Records":[{"eventTime":"2023-11-14T10:00:00Z","eventName":"Decrypt","eventSource":"kms.amazonaws.com","sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}]}"#;
        let ev = first_event(LogType::CloudTrail, doc, CT_KEY);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "svc_name": "ec2.amazonaws.com" })
        );
        assert_eq!(ev["actor"]["invoked_by"], "ec2.amazonaws.com");
        assert_eq!(ev["actor"]["user"]["type_id"], 3);
    }

    #[test]
    fn cloudtrail_insight_is_other_activity_about_the_insight_api() {
        let ev = first_event(LogType::CloudTrail, cloudtrail::samples::INSIGHT, CT_KEY);
        assert_class(&ev, 6003, 99);
        assert_eq!(ev["api"]["operation"], "RunInstances");
        assert!(ev.get("status_id").is_none());
    }

    /// One CloudTrail record from the documented sign-in event shape, with the given
    /// error fields and response elements.
    fn cloudtrail_record(event_name: &str, extra: &str) -> String {
        format!(
            r#"{{"Records":[{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::123456789012:user/JohnDoe","accountId":"123456789012","userName":"JohnDoe"}},"eventTime":"2021-07-23T21:44:15Z","eventSource":"signin.amazonaws.com","eventName":"{event_name}","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0","requestParameters":null,"eventID":"d5ab2e8c-7b86-4ff4-9b0e-2e5c0d2a6f0a","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"123456789012"{extra}}}]}}"#
        )
    }

    /// Trial 7, D1: S3 data events name the objects they list or delete by `ARNPrefix`;
    /// a resource with neither ARN nor prefix broke resource_details' "name or uid".
    #[test]
    fn resources_take_the_arn_prefix_and_entries_without_an_id_are_left_out() {
        let record = cloudtrail_record(
            "ListObjects",
            r#","resources":[{"type":"AWS::S3::Object","ARNPrefix":"arn:aws:s3:::amzn-s3-demo-bucket/logs/"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::amzn-s3-demo-bucket"},{"type":"AWS::S3::Object"}]"#,
        );
        let ev = first_event(LogType::CloudTrail, &record, CT_KEY);
        assert_eq!(
            resource_types_and_uids(&ev),
            [
                ("AWS::S3::Object", "arn:aws:s3:::amzn-s3-demo-bucket/logs/"),
                ("AWS::S3::Bucket", "arn:aws:s3:::amzn-s3-demo-bucket"),
            ]
        );
        let only_type = cloudtrail_record(
            "ListObjects",
            r#","resources":[{"type":"AWS::S3::Object"}]"#,
        );
        let ev = first_event(LogType::CloudTrail, &only_type, CT_KEY);
        assert!(ev.get("resources").is_none(), "{ev}");
    }

    /// One test per row of the CloudTrail outcome table in docs/mappings/cloudtrail.md.
    #[test]
    fn cloudtrail_outcome_follows_error_fields_and_sign_in_results() {
        // (eventName, extra fields, status_id, status, status_code, status_detail)
        type Row<'a> = (
            &'a str,
            &'a str,
            u64,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
        );
        let rows: [Row<'_>; 7] = [
            // Regression: a failed console sign-in came out as Success.
            (
                "ConsoleLogin",
                r#","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}"#,
                2,
                "Failure",
                Some("Failure"),
                Some("Failed authentication"),
            ),
            (
                "ConsoleLogin",
                r#","responseElements":{"ConsoleLogin":"Success"}"#,
                1,
                "Success",
                None,
                None,
            ),
            (
                "SwitchRole",
                r#","responseElements":{"SwitchRole":"Failure"}"#,
                2,
                "Failure",
                Some("Failure"),
                None,
            ),
            (
                "DeleteBucket",
                r#","errorCode":"AccessDenied","errorMessage":"Access Denied","responseElements":null"#,
                2,
                "Failure",
                Some("AccessDenied"),
                Some("Access Denied"),
            ),
            (
                "GetSigninToken",
                r#","errorMessage":"Session expired","responseElements":null"#,
                2,
                "Failure",
                None,
                Some("Session expired"),
            ),
            (
                "CheckMfa",
                r#","responseElements":{"CheckMfa":"Pending"}"#,
                99,
                "Pending",
                Some("Pending"),
                None,
            ),
            (
                "DescribeInstances",
                r#","responseElements":{"ConsoleLogin":"Failure"}"#,
                1,
                "Success",
                None,
                None,
            ),
        ];
        for (name, extra, id, status, code, detail) in rows {
            let ev = first_event(LogType::CloudTrail, &cloudtrail_record(name, extra), CT_KEY);
            assert_eq!(ev["status_id"], id, "{name} {extra}");
            assert_eq!(ev["status"], status, "{name} {extra}");
            assert_eq!(
                ev.get("status_code").and_then(Value::as_str),
                code,
                "{name} {extra}"
            );
            assert_eq!(
                ev.get("status_detail").and_then(Value::as_str),
                detail,
                "{name} {extra}"
            );
        }
        let ev = first_event(
            LogType::CloudTrail,
            &cloudtrail_record(
                "DeleteBucket",
                r#","errorCode":"AccessDenied","errorMessage":"Access Denied""#,
            ),
            CT_KEY,
        );
        assert_eq!(
            ev["api"]["response"],
            json!({"error": "AccessDenied", "error_message": "Access Denied"})
        );
    }

    /// API Activity requires `api.operation`, `actor` and `src_endpoint`: a CloudTrail
    /// record without them says `unknown` (docs/mappings/cloudtrail.md).
    #[test]
    fn cloudtrail_record_without_caller_or_operation_is_still_valid() {
        let ev = first_event(
            LogType::CloudTrail,
            r#"{"Records":[{"eventTime":"2023-11-14T10:00:00Z","eventSource":"s3.amazonaws.com"}]}"#,
            CT_KEY,
        );
        assert_class(&ev, 6003, 0);
        assert_eq!(ev["api"]["operation"], "unknown");
        assert_eq!(ev["actor"]["user"]["name"], "unknown");
        assert_eq!(ev["src_endpoint"], json!({"name": "unknown"}));
    }
}
