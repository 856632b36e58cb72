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
use crate::logs::detect::KeyScope;
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

/// The region in an S3 endpoint such as `bucket.s3.us-west-1.amazonaws.com` or `s3.dualstack.eu-west-1.amazonaws.com`.
pub(super) fn s3_host_region(host: &str) -> Option<&str> {
    let mut labels = host
        .split('.')
        .skip_while(|l| *l != "s3" && !l.starts_with("s3-"));
    let first = labels.next()?;
    if let Some(region) = first.strip_prefix("s3-").filter(|r| r.contains('-')) {
        return Some(region);
    }
    labels
        .find(|l| *l != "dualstack" && *l != "s3-accesspoint")
        .filter(|l| l.contains('-') && l.ends_with(|c: char| c.is_ascii_digit()))
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
