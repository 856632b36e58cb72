//! CloudFront standard logs to OCSF HTTP Activity (4002).

use super::classification::{Mapped, HTTP_ACTIVITY, SEVERITY_INFORMATIONAL};
use super::lookup::{get_f64, get_str, get_u64, Obj};
use super::objects::{
    host_and_port, http_activity, secs_to_ms, write_cloud, write_endpoint, write_http_method,
    write_http_response, write_http_status, write_tls, write_traffic, write_x_forwarded_for,
};
use super::out::{host_name, opt_hostname, opt_int, opt_str, opt_uint, EventOut};
use crate::logs::cloudfront::record_time_ms;

pub(super) fn cloudfront(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let method = get_str(r, "cs-method");
    out.open("http_request");
    write_http_method(out, method);

    let scheme = get_str(r, "cs-protocol");
    // Standard log names, else the real-time log names standard logging v2 may select.
    let cs_host = get_str(r, "cs(Host)").or_else(|| get_str(r, "cs-host"));
    let host = get_str(r, "x-host-header").or(cs_host);
    let path = get_str(r, "cs-uri-stem");
    let query = get_str(r, "cs-uri-query");
    out.open("url");
    if let (Some(scheme), Some(host)) = (scheme, host) {
        let mut full = [scheme, "://", host, path.unwrap_or("")].concat();
        if let Some(q) = query {
            full.push('?');
            full.push_str(q);
        }
        out.str("url_string", &full);
    }
    opt_str(out, "scheme", scheme);
    // A Host header may carry a port (`x-host-header` of a custom origin port).
    let (hostname, port) = host_and_port(host);
    opt_hostname(out, "hostname", hostname);
    opt_uint(out, "port", port);
    opt_str(out, "path", path);
    opt_str(out, "query_string", query);
    out.close();
    opt_str(
        out,
        "user_agent",
        get_str(r, "cs(User-Agent)").or_else(|| get_str(r, "cs-user-agent")),
    );
    opt_str(
        out,
        "referrer",
        get_str(r, "cs(Referer)").or_else(|| get_str(r, "cs-referer")),
    );
    opt_str(out, "version", get_str(r, "cs-protocol-version"));
    opt_str(out, "uid", get_str(r, "x-edge-request-id"));
    write_x_forwarded_for(out, get_str(r, "x-forwarded-for"));
    out.close_keep();

    let code = get_u64(r, "sc-status");
    write_http_response(out, code, |out| {
        opt_str(out, "content_type", get_str(r, "sc-content-type"));
        opt_uint(out, "length", get_u64(r, "sc-content-len"));
    });
    write_http_status(out, code);
    opt_str(
        out,
        "status_detail",
        get_str(r, "x-edge-detailed-result-type"),
    );

    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "c-ip"),
        get_u64(r, "c-port"),
    );
    // The distribution's domain; CloudFront itself when the log has no host fields.
    out.open("dst_endpoint");
    match host_and_port(cs_host.or(host)).0.and_then(host_name) {
        Some(h) => out.str("hostname", h),
        None => out.str("svc_name", "cloudfront"),
    }
    out.close();
    write_tls(
        out,
        get_str(r, "ssl-protocol"),
        get_str(r, "ssl-cipher"),
        None,
    );
    write_traffic(out, get_u64(r, "cs-bytes"), get_u64(r, "sc-bytes"));
    opt_int(out, "duration", get_f64(r, "time-taken").map(secs_to_ms));
    // CloudFront is global; its logs name no account or region.
    write_cloud(out, None, None, None);

    let time = record_time_ms(r);
    Mapped {
        class: &HTTP_ACTIVITY,
        activity: http_activity(method),
        severity_id: SEVERITY_INFORMATIONAL,
        time,
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::{cloudfront, LogType};
    use crate::normalize::test_support::{assert_class, events, first_event};
    use serde_json::json;

    #[test]
    fn cloudfront_maps_to_http_activity_with_rebuilt_url() {
        let evs = events(
            LogType::CloudFront,
            cloudfront::samples::FILE,
            "E2QWRUHAPOMQZL.2019-12-04-21.a1b2c3d4.gz",
        );
        let ev = &evs[0];
        assert_class(ev, 4002, 3);
        assert_eq!(ev["time"], 1_575_493_351_000i64);
        assert_eq!(
            ev["http_request"]["url"]["url_string"],
            "https://www.example.com/images/café menu.png?size=large&v=2"
        );
        assert_eq!(
            ev["http_request"]["user_agent"],
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
        );
        assert_eq!(ev["http_response"]["code"], 200);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "ip": "192.0.2.100", "port": 11040 })
        );
        assert_eq!(ev["duration"], 1);
        assert_eq!(
            evs[1]["http_request"]["x_forwarded_for"],
            json!(["198.51.100.7"])
        );
        assert_eq!(evs[1]["status_id"], 2);
    }

    /// Regression: CloudFront writes `\x20` for the space between proxy addresses.
    #[test]
    fn cloudfront_hex_escapes_are_decoded_so_forwarded_addresses_are_ips() {
        let input = "#Version: 1.0\n#Fields: date time c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) x-forwarded-for\n2019-12-04\t21:02:31\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\thttps://www.example.com/a\\x20b\t203.0.113.7,\\x20198.51.100.2,\\x20unknown\n";
        let ev = first_event(
            LogType::CloudFront,
            input,
            "cf/E2EXAMPLE.2019-12-04-21.a1.gz",
        );
        assert_eq!(
            ev["http_request"]["x_forwarded_for"],
            json!(["203.0.113.7", "198.51.100.2"])
        );
        assert_eq!(
            ev["http_request"]["referrer"],
            "https://www.example.com/a b"
        );
    }

    /// Ingest trial 2, defect 4: standard logging (v2) may select the real-time field
    /// `timestamp` (epoch seconds with milliseconds) or `timestamp(ms)` instead of
    /// `date` and `time`: the request's time, never the object's.
    #[test]
    fn cloudfront_v2_timestamp_fields_give_the_request_time() {
        let input = "#Version: 1.0\n#Fields: timestamp c-ip cs-method cs(Host) cs-uri-stem sc-status cs(User-Agent) x-edge-request-id x-edge-location\n1733047200.123\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\tcurl/8.0\treqA==\tFRA56-P1\n";
        let key = "AWSLogs/123456789012/CloudFront/E2QWRUHEXAMPLE/2024/12/01/10/E2QWRUHEXAMPLE.2024-12-01-10.abcd1234.gz";
        let ev = first_event(LogType::CloudFront, input, key);
        assert_eq!(ev["time"], 1_733_047_200_123i64);
        assert!(ev["metadata"].get("labels").is_none(), "{ev:#}");
        let ms = "#Version: 1.0\n#Fields: timestamp(ms) c-ip sc-status\n1733047200123\t192.0.2.100\t200\n";
        assert_eq!(
            first_event(LogType::CloudFront, ms, key)["time"],
            1_733_047_200_123i64
        );
        // A time field that does not read as one is the record's error, not the object's time.
        let bad = "#Version: 1.0\n#Fields: timestamp c-ip sc-status\nyesterday\t192.0.2.100\t200\n";
        let got = crate::logs::test_support::collect(LogType::CloudFront, bad);
        assert!(got.records.is_empty());
        assert!(
            got.errors[0].reason.contains("`timestamp`"),
            "{:?}",
            got.errors
        );
        // Real-time log names for the standard log's header fields.
        let realtime = "#Version: 1.0\n#Fields: timestamp c-ip cs-method cs-host cs-uri-stem sc-status cs-user-agent cs-referer\n1733047200.123\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/a\t200\tcurl/8.0%20x\thttps://example.com/\n";
        let ev = first_event(LogType::CloudFront, realtime, key);
        assert_eq!(ev["http_request"]["user_agent"], "curl/8.0 x");
        assert_eq!(ev["http_request"]["referrer"], "https://example.com/");
        assert_eq!(
            ev["http_request"]["url"]["hostname"],
            "d111111abcdef8.cloudfront.net"
        );
        let half = "#Version: 1.0\n#Fields: date c-ip sc-status\n2024-12-01\t192.0.2.100\t200\n";
        let got = crate::logs::test_support::collect(LogType::CloudFront, half);
        assert!(
            got.errors[0].reason.contains("`date` and `time`"),
            "{:?}",
            got.errors
        );
    }
}
