//! Load balancer logs: ALB and Classic ELB HTTP entries to OCSF HTTP Activity (4002),
//! NLB, Classic ELB TCP and ALB connection logs to Network Activity (4001).

use super::classification::{
    activity, Mapped, HTTP_ACTIVITY, NETWORK_ACTIVITY, SEVERITY_INFORMATIONAL,
};
use super::lookup::{get_f64, get_str, get_u64, Obj};
use super::objects::{
    arn_region_account, http_activity, secs_to_ms, write_cloud, write_direction, write_endpoint,
    write_http_method, write_http_response, write_http_status, write_status, write_tls,
    write_traffic, write_url,
};
use super::out::{opt_str, opt_uint, EventOut};
use crate::logs::detect::KeyScope;
use crate::logs::timestamp::iso8601_ms;
use crate::logs::LogType;
use std::net::IpAddr;

pub(super) fn elb_http(
    r: &Obj,
    out: &mut dyn EventOut,
    scope: KeyScope<'_>,
    log_type: LogType,
) -> Mapped {
    // ALB calls the instance behind it a target; Classic ELB calls it a backend.
    let (target_ip, target_port, target_processing) = if log_type == LogType::Alb {
        ("target_ip", "target_port", "target_processing_time")
    } else {
        ("backend_ip", "backend_port", "backend_processing_time")
    };
    let method = get_str(r, "request_method");
    let code = get_u64(r, "elb_status_code");
    // A Classic ELB TCP or SSL listener logs connections, with `- - - ` for the request
    // and no status codes: that is Network Activity, as NLB entries are.
    let tcp = log_type == LogType::ClassicElb && method.is_none() && code.is_none();
    if !tcp {
        let url = get_str(r, "request_url");
        let (agent, version, trace) = (
            get_str(r, "user_agent"),
            get_str(r, "request_protocol"),
            get_str(r, "trace_id"),
        );
        // HTTP Activity requires the object; a request too malformed to read
        // (`- - - `) leaves it empty.
        out.open("http_request");
        write_http_method(out, method);
        if let Some(url) = url {
            write_url(out, url, None);
        }
        opt_str(out, "user_agent", agent);
        opt_str(out, "version", version);
        opt_str(out, "uid", trace);
        out.close_keep();
        write_http_response(out, code, |_| {});
        write_http_status(out, code);
    }
    opt_str(out, "status_detail", get_str(r, "error_reason"));

    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    // The target; when the request reached none, the load balancer that answered.
    out.open("dst_endpoint");
    match get_str(r, target_ip).filter(|ip| ip.parse::<IpAddr>().is_ok()) {
        Some(ip) => {
            out.str("ip", ip);
            opt_uint(out, "port", get_u64(r, target_port));
        }
        None => match get_str(r, "elb") {
            Some(lb) => out.str("name", lb),
            None => out.str("svc_name", "elasticloadbalancing"),
        },
    }
    out.close();
    write_tls(
        out,
        get_str(r, "ssl_protocol"),
        get_str(r, "ssl_cipher"),
        get_str(r, "domain_name"),
    );
    write_traffic(out, get_u64(r, "received_bytes"), get_u64(r, "sent_bytes"));
    // The same id is the connection log's `conn_trace_id`: both land in connection_info.uid.
    let conn = get_str(r, "conn_trace_id");
    if conn.is_some() || tcp {
        out.open("connection_info");
        write_direction(out, 1);
        opt_str(out, "uid", conn);
        if tcp {
            out.uint("protocol_num", 6);
            out.str("protocol_name", "tcp");
        }
        out.close();
    }

    let times = [
        get_f64(r, "request_processing_time"),
        get_f64(r, target_processing),
        get_f64(r, "response_processing_time"),
    ];
    // -1 marks a request that never reached a target: there is no full duration then.
    if times.iter().all(|t| t.is_some_and(|t| t >= 0.0)) {
        let total: f64 = times.iter().flatten().sum();
        out.int("duration", secs_to_ms(total));
    }

    let (arn_region, arn_account) =
        get_str(r, "target_group_arn").map_or((None, None), arn_region_account);
    write_cloud(
        out,
        scope.account_id.or(arn_account),
        scope.region.or(arn_region),
        None,
    );

    let (class, activity) = if tcp {
        (&NETWORK_ACTIVITY, activity(2, "Close"))
    } else {
        (&HTTP_ACTIVITY, http_activity(method))
    };
    Mapped {
        class,
        activity,
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(iso8601_ms),
    }
}

/// NLB logs describe TLS connections with no HTTP data, so they map to Network Activity.
/// One TLS (or plain TCP) connection attempt to an ALB listener.
pub(super) fn alb_connection(
    r: &Obj,
    out: &mut dyn EventOut,
    scope: KeyScope<'_>,
    load_balancer: Option<&str>,
) -> Mapped {
    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    // The record names no load balancer; its object key does (`app/<name>/<id>`).
    out.open("dst_endpoint");
    match load_balancer {
        Some(lb) => out.str("name", lb),
        None => out.str("svc_name", "elasticloadbalancing"),
    }
    opt_uint(out, "port", get_u64(r, "listener_port"));
    out.close();
    out.open("connection_info");
    write_direction(out, 1);
    out.uint("protocol_num", 6);
    out.str("protocol_name", "tcp");
    opt_str(out, "uid", get_str(r, "conn_trace_id"));
    out.close();
    write_tls(
        out,
        get_str(r, "tls_protocol"),
        get_str(r, "tls_cipher"),
        None,
    );
    // `Success`, or `Failed:<reason>` when the handshake or the client certificate
    // check failed; absent on plain HTTP listeners.
    match get_str(r, "tls_verify_status") {
        Some("Success") => write_status(out, 1, "Success"),
        Some(status) => {
            write_status(out, 2, "Failure");
            out.str(
                "status_code",
                status.strip_prefix("Failed:").unwrap_or(status),
            );
            out.str("status_detail", status);
        }
        None => {}
    }
    write_cloud(out, scope.account_id, scope.region, None);
    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(1, "Open"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "timestamp").and_then(iso8601_ms),
    }
}

pub(super) fn nlb(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    write_endpoint(
        out,
        "src_endpoint",
        get_str(r, "client_ip"),
        get_u64(r, "client_port"),
    );
    write_endpoint(
        out,
        "dst_endpoint",
        get_str(r, "destination_ip"),
        get_u64(r, "destination_port"),
    );
    out.open("connection_info");
    write_direction(out, 1);
    out.uint("protocol_num", 6);
    out.str("protocol_name", "tcp");
    out.close();
    write_tls(
        out,
        get_str(r, "tls_protocol_version"),
        get_str(r, "tls_cipher"),
        get_str(r, "domain_name"),
    );
    write_traffic(out, get_u64(r, "received_bytes"), get_u64(r, "sent_bytes"));
    if let Some(ms) = get_f64(r, "connection_time") {
        out.int("duration", ms.round() as i64);
    }
    match get_str(r, "incoming_tls_alert") {
        Some(alert) => {
            write_status(out, 2, "Failure");
            out.str_parts("status_detail", &["TLS alert ", alert]);
        }
        None => write_status(out, 1, "Success"),
    }
    write_cloud(out, scope.account_id, scope.region, None);
    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(2, "Close"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "time").and_then(iso8601_ms),
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::{elb, LogType};
    use crate::normalize::test_support::{assert_class, events, first_event, ELB_KEY};
    use serde_json::json;

    #[test]
    fn alb_maps_to_http_activity_with_url_parts() {
        let ev = first_event(LogType::Alb, elb::samples::ALB_HTTPS, ELB_KEY);
        assert_class(&ev, 4002, 3);
        assert_eq!(ev["time"], 1_530_570_180_186i64);
        assert_eq!(ev["http_request"]["http_method"], "GET");
        let url = &ev["http_request"]["url"];
        assert_eq!(url["hostname"], "www.example.com");
        assert_eq!(url["port"], 443);
        assert_eq!(url["path"], "/path/to");
        assert_eq!(url["query_string"], "q=a%20b");
        assert_eq!(ev["http_request"]["user_agent"], r#"curl/7.46.0 "beta""#);
        assert_eq!(ev["http_response"]["code"], 200);
        assert_eq!(
            ev["src_endpoint"],
            json!({ "ip": "192.168.131.39", "port": 2817 })
        );
        assert_eq!(ev["dst_endpoint"], json!({ "ip": "10.0.0.1", "port": 80 }));
        assert_eq!(ev["tls"]["sni"], "www.example.com");
        assert_eq!(ev["duration"], 171);
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["cloud"]["region"], "us-east-2");
    }

    #[test]
    fn alb_unreached_target_has_no_duration_and_failure_status() {
        let ev = first_event(LogType::Alb, elb::samples::ALB_IPV6_NO_TARGET, ELB_KEY);
        assert_class(&ev, 4002, 6);
        assert!(ev.get("duration").is_none());
        assert_eq!(ev["status_id"], 2);
        assert_eq!(ev["src_endpoint"]["ip"], "2001:db8:85a3::8a2e:370:7334");
        // No target: the load balancer that answered is the destination.
        assert_eq!(
            ev["dst_endpoint"],
            json!({"name": "app/my-loadbalancer/50dc6c495c0c9188"})
        );
        assert_eq!(ev["http_response"]["code"], 503);
    }

    /// Regression: a request ALB could not read (`- - - `, the documented 400 entry)
    /// is still HTTP Activity with its required objects.
    #[test]
    fn alb_malformed_request_keeps_the_required_http_objects() {
        let line = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- http://www.example.com:80- -" "-" - - - "-" "-" "-" - 2018-11-30T22:22:48.364000Z "-" "-" "-" "-" "-" "-" "-" "-" "-" -"#;
        let ev = first_event(LogType::Alb, line, ELB_KEY);
        assert_class(&ev, 4002, 0);
        assert_eq!(ev["http_response"]["code"], 400);
        assert_eq!(ev["status_id"], 2);
        assert!(ev["http_request"].is_object(), "{ev:#}");
        assert_eq!(
            ev["dst_endpoint"]["name"],
            "app/my-loadbalancer/50dc6c495c0c9188"
        );
    }

    #[test]
    fn nlb_maps_to_network_activity_close() {
        let ev = first_event(LogType::Nlb, elb::samples::NLB_TLS, "nlb/x.log");
        assert_class(&ev, 4001, 2);
        assert_eq!(ev["time"], 1_545_274_780_000i64);
        assert_eq!(ev["dst_endpoint"]["port"], 443);
        assert_eq!(ev["tls"]["version"], "tlsv12");
        assert_eq!(ev["duration"], 5);
        assert_eq!(ev["traffic"]["bytes_in"], 98);
    }

    #[test]
    fn classic_elb_tcp_entry_maps_to_network_activity() {
        let evs = events(
            LogType::ClassicElb,
            &format!(
                "{}\n{}\n",
                elb::samples::CLASSIC_HTTP,
                elb::samples::CLASSIC_TCP
            ),
            "elb/x.log",
        );
        assert_class(&evs[0], 4002, 3);
        assert_eq!(evs[0]["dst_endpoint"]["ip"], "10.0.0.1");
        // A TCP listener logs connections, not requests: Network Activity, like NLB.
        assert_class(&evs[1], 4001, 2);
        assert_eq!(evs[1]["time"], 1_431_560_383_945i64);
        assert!(evs[1].get("http_request").is_none());
        assert_eq!(evs[1]["connection_info"]["protocol_name"], "tcp");
        assert_eq!(evs[1]["traffic"]["bytes_in"], 57);
    }

    #[test]
    fn alb_connection_logs_map_to_network_activity_joined_to_access_logs() {
        let key = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/11/14/conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20231114T2340Z_192.0.2.1_abcd1234.log.gz";
        let evs = events(LogType::AlbConnection, elb::samples::ALB_CONNECTIONS, key);
        let ok = &evs[0];
        assert_class(ok, 4001, 1);
        assert_eq!(ok["time"], 1_700_005_212_123i64);
        assert_eq!(ok["src_endpoint"], json!({"ip": "192.0.2.1", "port": 2817}));
        // The record names no load balancer: the destination is the one the key names.
        assert_eq!(
            ok["dst_endpoint"],
            json!({"name": "app/my-loadbalancer/50dc6c495c0c9188", "port": 443})
        );
        assert_eq!(ok["connection_info"]["direction_id"], 1);
        assert_eq!(ok["connection_info"]["uid"], "TID_1234abcd5678ef90");
        assert_eq!(ok["tls"]["version"], "TLSv1.2");
        assert_eq!(ok["status_id"], 1);
        assert_eq!(ok["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ok["cloud"]["region"], "us-east-2");
        assert_eq!(
            ok["metadata"]["product"]["name"],
            "Application Load Balancer"
        );
        assert_eq!(ok["metadata"]["log_name"], "albconn");
        let failed = &evs[1];
        assert_eq!(failed["status_id"], 2);
        assert_eq!(failed["status_code"], "ClientCertExpired");
        assert_eq!(failed["status_detail"], "Failed:ClientCertExpired");
        let plain = &evs[2];
        assert!(plain.get("tls").is_none(), "no TLS on a plain listener");
        assert!(plain.get("status_id").is_none());
        assert_eq!(plain["src_endpoint"]["ip"], "2001:db8::17");
        // The access log entry of a request on that connection carries the same id.
        let access = first_event(LogType::Alb, elb::samples::ALB_HTTPS, key);
        assert_eq!(access["connection_info"]["uid"], "TID_1234abcd5678ef90");
    }
}
