//! S3 server access logs to OCSF API Activity (6003).

use super::classification::{
    activity, Activity, Mapped, API_ACTIVITY, OTHER, SEVERITY_INFORMATIONAL, UNKNOWN,
};
use super::lookup::{get_str, get_u64, Obj};
use super::objects::{
    arn_region_account, write_account, write_cloud, write_http_method, write_status, write_url,
    UNKNOWN_NAME,
};
use super::out::{opt_int, opt_str, opt_uint, EventOut};
use crate::logs::detect::{is_region, KeyScope};
use crate::logs::timestamp::clf_ms;
use crate::logs::url_decode::percent_decode;
use std::net::IpAddr;

/// CRUD class of an S3 access log operation such as `REST.GET.OBJECT` or `BATCH.DELETE.OBJECT`.
pub(super) fn s3_activity(operation: &str) -> Activity {
    let mut parts = operation.split('.');
    let _kind = parts.next();
    let verb = parts.next().unwrap_or("");
    let resource = parts.next().unwrap_or("");
    if verb == "DELETE" || operation.contains("DELETE") || verb == "EXPIRE" {
        return activity(4, "Delete");
    }
    if verb.starts_with("TRANSITION") {
        return activity(3, "Update");
    }
    match verb {
        "GET" | "HEAD" | "OPTIONS" => activity(2, "Read"),
        // A copy logs the read of its source as `REST.COPY.OBJECT_GET`.
        "COPY" if resource.ends_with("_GET") => activity(2, "Read"),
        "COPY" => activity(1, "Create"),
        "PUT" | "POST"
            if matches!(
                resource,
                "OBJECT" | "PART" | "UPLOAD" | "UPLOADS" | "BUCKET"
            ) =>
        {
            activity(1, "Create")
        }
        "PUT" | "POST" | "RESTORE" => activity(3, "Update"),
        _ => OTHER,
    }
}

/// The region an S3 endpoint host names, in the forms of the AWS General Reference
/// ("Amazon S3 endpoints and quotas") and the S3 User Guide ("Website endpoints"):
/// `s3.<region>`, `s3-<region>` (legacy dash form), `s3.dualstack.<region>`,
/// `s3-fips[.dualstack].<region>`, `s3-accesspoint[-fips][.dualstack].<region>`,
/// `s3-website-<region>` and `s3-website.<region>`, `s3-control.<region>`,
/// `s3express-<zone>.<region>`, VPC endpoints (`...s3.<region>.vpce.amazonaws.com`),
/// China (`.amazonaws.com.cn`); `s3-external-1` is US East (N. Virginia). Hosts that
/// name no region (the legacy global `s3.amazonaws.com`, Transfer Acceleration
/// `s3-accelerate`, a custom domain) give `None`, never a label that is not a region.
pub(super) fn s3_host_region(host: &str) -> Option<&str> {
    let host = host.trim_end_matches('.');
    let host = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    // The endpoint's labels come last; a bucket name (which may hold dots) comes first.
    for label in host.rsplit('.').take(4) {
        let name = label
            .strip_prefix("s3-website-")
            .or_else(|| label.strip_prefix("s3-"))
            .unwrap_or(label);
        if name == "external-1" {
            return Some("us-east-1");
        }
        if is_region(name) {
            return Some(name);
        }
        // `s3` and the endpoint kinds before the region: the region, if any, came after.
        if label == "s3" || label.starts_with("s3-") || label.starts_with("s3express-") {
            return None;
        }
    }
    None
}

pub(super) fn s3_access(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    let operation = get_str(r, "operation");
    let code = get_u64(r, "http_status");
    // API Activity has no `http_response` or `tls`: the status goes to `api.response`;
    // the TLS version and cipher stay in the original record (`raw_data` / `unmapped`).
    out.open("api");
    // Required in `api`: a record without one says `unknown` (activity 0 Unknown).
    out.str("operation", operation.unwrap_or(UNKNOWN_NAME));
    out.open("service");
    out.str("name", "s3.amazonaws.com");
    out.close();
    out.open("request");
    opt_str(out, "uid", get_str(r, "request_id"));
    out.close();
    out.open("response");
    opt_uint(out, "code", code);
    opt_str(out, "error", get_str(r, "error_code"));
    out.close();
    out.close();

    out.open("actor");
    out.open("user");
    match get_str(r, "requester") {
        Some(requester) => {
            out.str("uid", requester);
            write_account(out, arn_region_account(requester).1);
        }
        // S3 logs `-` for unauthenticated requests.
        None => {
            out.str("name", "anonymous");
            out.str("type", "Anonymous");
            out.uint("type_id", 99);
        }
    }
    out.close();
    out.close();

    out.open("src_endpoint");
    match get_str(r, "remote_ip").filter(|ip| ip.parse::<IpAddr>().is_ok()) {
        Some(ip) => out.str("ip", ip),
        None => out.str("name", UNKNOWN_NAME),
    }
    out.close();

    out.open("http_request");
    write_http_method(out, get_str(r, "request_method"));
    if let Some(p) = get_str(r, "request_path") {
        write_url(out, p, get_str(r, "host_header"));
    }
    opt_str(out, "version", get_str(r, "request_protocol"));
    opt_str(out, "user_agent", get_str(r, "user_agent"));
    opt_str(out, "referrer", get_str(r, "referer"));
    out.close();
    let error = get_str(r, "error_code");
    if code.is_some_and(|c| c >= 400) || error.is_some() {
        write_status(out, 2, "Failure");
    } else {
        write_status(out, 1, "Success");
    }
    opt_str(out, "status_code", error);

    if let Some(bucket) = get_str(r, "bucket") {
        out.open_array("resources");
        out.open("");
        out.str("type", "AWS::S3::Bucket");
        out.str("name", bucket);
        out.str_parts("uid", &["arn:aws:s3:::", bucket]);
        out.close();
        if let Some(key) = get_str(r, "key") {
            let key = percent_decode(key);
            out.open("");
            out.str("type", "AWS::S3::Object");
            out.str("name", &key);
            out.str("uid", &["arn:aws:s3:::", bucket, "/", &key].concat());
            out.close();
        }
        out.close();
    }
    opt_int(
        out,
        "duration",
        get_u64(r, "total_time").and_then(|t| i64::try_from(t).ok()),
    );

    let (ap_region, ap_account) =
        get_str(r, "access_point_arn").map_or((None, None), arn_region_account);
    let region = scope
        .region
        .or_else(|| get_str(r, "host_header").and_then(s3_host_region))
        .or(ap_region);
    write_cloud(out, scope.account_id.or(ap_account), region, None);

    Mapped {
        class: &API_ACTIVITY,
        activity: operation.map_or(UNKNOWN, s3_activity),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(clf_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{s3_access, LogType};
    use crate::normalize::test_support::{assert_class, events, first_event};
    use serde_json::json;

    /// Ingest trial 2, defect 3: every documented S3 endpoint form gives its region, or
    /// none; never a label such as `website-us-east-1`.
    #[test]
    fn s3_host_region_reads_every_documented_endpoint_form() {
        for (host, region) in [
            ("bkt.s3.us-west-1.amazonaws.com", Some("us-west-1")),
            (
                "bkt.s3.dualstack.eu-west-1.amazonaws.com",
                Some("eu-west-1"),
            ),
            ("bkt.s3-fips.us-east-2.amazonaws.com", Some("us-east-2")),
            (
                "bkt.s3-fips.dualstack.us-west-2.amazonaws.com",
                Some("us-west-2"),
            ),
            (
                "myap-123456789012.s3-accesspoint.ap-south-1.amazonaws.com",
                Some("ap-south-1"),
            ),
            (
                "myap-123456789012.s3-accesspoint-fips.dualstack.us-east-1.amazonaws.com",
                Some("us-east-1"),
            ),
            ("s3-eu-west-1.amazonaws.com", Some("eu-west-1")),
            (
                "www.example-site.com.s3-website-us-east-1.amazonaws.com",
                Some("us-east-1"),
            ),
            (
                "bkt.s3-website.eu-central-1.amazonaws.com",
                Some("eu-central-1"),
            ),
            ("bkt.s3.cn-north-1.amazonaws.com.cn", Some("cn-north-1")),
            (
                "bkt.s3-website.cn-northwest-1.amazonaws.com.cn",
                Some("cn-northwest-1"),
            ),
            ("bkt.s3.us-gov-west-1.amazonaws.com", Some("us-gov-west-1")),
            (
                "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                Some("us-east-1"),
            ),
            (
                "bucket.vpce-1a2b3c4d-5e6f.s3.eu-west-3.vpce.amazonaws.com",
                Some("eu-west-3"),
            ),
            (
                "bkt--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com",
                Some("us-west-2"),
            ),
            ("bkt.s3-external-1.amazonaws.com", Some("us-east-1")),
            ("s3-external-1.amazonaws.com", Some("us-east-1")),
            ("bkt.s3.amazonaws.com", None),
            ("s3.amazonaws.com", None),
            ("bkt.s3-accelerate.amazonaws.com", None),
            ("bkt.s3-accelerate.dualstack.amazonaws.com", None),
            ("www.example.com", None),
            ("us-east-1.example.com", None),
            ("s3-logs.s3.amazonaws.com", None),
        ] {
            assert_eq!(s3_host_region(host), region, "{host}");
        }
    }

    #[test]
    fn s3_access_maps_to_api_activity_with_bucket_and_object_resources() {
        let evs = events(
            LogType::S3Access,
            &format!(
                "{}\n{}\n",
                s3_access::samples::GET_VERSIONING,
                s3_access::samples::GET_OBJECT_DENIED
            ),
            "s3-logs/2019-02-06-00-00-38-E568B2907131C0C0",
        );
        let ev = &evs[0];
        assert_class(ev, 6003, 2);
        assert_eq!(ev["time"], 1_549_411_238_000i64);
        assert_eq!(ev["api"]["operation"], "REST.GET.VERSIONING");
        assert_eq!(ev["src_endpoint"]["ip"], "192.0.2.3");
        assert_eq!(ev["cloud"]["region"], "us-west-1");
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["status_id"], 1);
        let denied = &evs[1];
        assert_eq!(denied["status_id"], 2);
        assert_eq!(denied["status_code"], "AccessDenied");
        assert_eq!(denied["actor"]["user"]["account"]["uid"], "123456789012");
        assert_eq!(
            denied["resources"][1]["name"],
            "photos/2019/puppy beach.jpg"
        );
        assert_eq!(
            denied["resources"][1]["uid"],
            "arn:aws:s3:::awsexamplebucket1/photos/2019/puppy beach.jpg"
        );
    }

    #[test]
    fn s3_operations_map_to_crud_activities() {
        let cases = [
            ("REST.GET.OBJECT", 2),
            ("REST.HEAD.BUCKET", 2),
            ("REST.PUT.OBJECT", 1),
            ("REST.COPY.OBJECT", 1),
            ("REST.PUT.ACL", 3),
            ("REST.POST.MULTI_OBJECT_DELETE", 4),
            ("BATCH.DELETE.OBJECT", 4),
            ("S3.EXPIRE.OBJECT", 4),
            ("S3.TRANSITION_SIA.OBJECT", 3),
            ("REST.COPY.OBJECT_GET", 2),
            ("REST.POST.UPLOADS", 1),
            ("REST.POST.RESTORE", 3),
            ("S3.CREATE.DELETEMARKER", 4),
            ("WEBSITE.GET.OBJECT", 2),
            ("REST.BOGUS.THING", 99),
        ];
        for (op, id) in cases {
            assert_eq!(s3_activity(op).id, id, "{op}");
        }
    }

    /// Regression: S3 server access logs wrote `http_response` and `tls`, which API
    /// Activity does not define; the status belongs in `api.response`.
    #[test]
    fn s3_access_status_goes_to_api_response_and_nothing_undefined_is_written() {
        let ev = first_event(
            LogType::S3Access,
            s3_access::samples::GET_OBJECT_DENIED,
            "s3/2019-02-06-00-00-38-A1",
        );
        assert_eq!(
            ev["api"]["response"],
            json!({"code": 403, "error": "AccessDenied"})
        );
        assert!(
            ev.get("http_response").is_none() && ev.get("tls").is_none(),
            "{ev:#}"
        );
        assert_eq!(
            (ev["status_id"].clone(), ev["status_code"].clone()),
            (json!(2), json!("AccessDenied"))
        );
        // Unauthenticated requests: the requester is `-`.
        let anonymous = s3_access::samples::GET_VERSIONING.replacen(
            " 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be ",
            " 192.0.2.3 - ",
            1,
        );
        let ev = first_event(LogType::S3Access, &anonymous, "s3/2019-02-06-00-00-38-A1");
        assert_eq!(
            ev["actor"]["user"],
            json!({"name": "anonymous", "type": "Anonymous", "type_id": 99})
        );
        assert_eq!(ev["status_id"], 1);
    }
}
