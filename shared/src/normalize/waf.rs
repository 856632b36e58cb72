//! AWS WAF logs to OCSF HTTP Activity (4002) with the security control profile.

use super::classification::{Mapped, HTTP_ACTIVITY, SEVERITY_INFORMATIONAL};
use super::lookup::{get_obj, get_str, get_u64, Obj};
use super::objects::{
    arn_region_account, host_and_port, http_activity, write_action, write_cloud, write_http_method,
    write_http_response, write_x_forwarded_for, UNKNOWN_NAME,
};
use super::out::{opt_hostname, opt_ip, opt_str, opt_uint, EventOut};
use serde_json::Value;
use std::net::IpAddr;

pub(super) fn waf(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let empty = Obj::new();
    let req = get_obj(r, "httpRequest").unwrap_or(&empty);
    let headers: &[Value] = req
        .get("headers")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let header = |name: &str| {
        headers.iter().filter_map(Value::as_object).find_map(|h| {
            get_str(h, "name")
                .filter(|n| n.eq_ignore_ascii_case(name))
                .and(get_str(h, "value"))
        })
    };

    // The Host header may carry a port (`app.example.com:8443`, `[2001:db8::1]:8443`).
    let (host, port) = host_and_port(header("host"));
    let method = get_str(req, "httpMethod");
    out.open("http_request");
    write_http_method(out, method);
    let uri = get_str(req, "uri");
    let args = get_str(req, "args").filter(|a| !a.is_empty());
    // OCSF's url needs its path or url_string: without the URI, the host is only in
    // dst_endpoint.
    if let Some(uri) = uri {
        out.open("url");
        match args {
            Some(a) => out.str("url_string", &[uri, "?", a].concat()),
            None => out.str("url_string", uri),
        }
        out.str("path", uri);
        opt_str(out, "query_string", args);
        opt_hostname(out, "hostname", host);
        opt_uint(out, "port", port);
        out.close();
    }
    opt_str(out, "user_agent", header("user-agent"));
    opt_str(out, "version", get_str(req, "httpVersion"));
    opt_str(out, "uid", get_str(req, "requestId"));
    write_x_forwarded_for(out, header("x-forwarded-for"));
    out.open_array("http_headers");
    for h in headers.iter().filter_map(Value::as_object) {
        out.open("");
        opt_str(out, "name", get_str(h, "name"));
        opt_str(out, "value", get_str(h, "value"));
        out.close();
    }
    out.close();
    out.close_keep();

    // WAF logs the response only when it answered itself: `responseCodeSent` for a
    // custom response, else its documented defaults (Block 403, CAPTCHA 405, Challenge
    // 202). A request it let through was answered by the origin, whose code is in the
    // ALB, CloudFront or API Gateway log: 0 here (see docs/mappings/waf.md).
    let action = get_str(r, "action");
    let answered = match action {
        Some("BLOCK") => Some(403),
        Some("CAPTCHA") => Some(405),
        Some("CHALLENGE") => Some(202),
        _ => None,
    };
    let code = get_u64(r, "responseCodeSent").or(answered);
    write_http_response(out, code, |_| {});

    out.open("src_endpoint");
    let client = get_str(req, "clientIp").filter(|ip| ip.parse::<IpAddr>().is_ok());
    opt_ip(out, "ip", client);
    if client.is_none() {
        out.str("name", UNKNOWN_NAME);
    }
    out.open("location");
    opt_str(out, "country", get_str(req, "country"));
    out.close();
    out.close();

    // The protected resource: its host, the kind of source (`ALB`, `CF`, `APIGW`...) and its id.
    out.open("dst_endpoint");
    match host.filter(|h| h.parse::<IpAddr>().is_ok()) {
        Some(ip) => out.str("ip", ip),
        None => opt_hostname(out, "hostname", host),
    }
    opt_uint(out, "port", port);
    // Without a source name, the destination known is a resource WAF protects.
    out.str("svc_name", get_str(r, "httpSourceName").unwrap_or("waf"));
    opt_str(out, "uid", get_str(r, "httpSourceId"));
    out.close();

    // OCSF 1.3 has only Unknown/Allowed/Denied/Other actions and says dispositions
    // conform to Allowed or Denied: a counted request went through; a CAPTCHA or
    // challenge action stopped the request (WAF answers with the puzzle instead).
    let decided = match action {
        Some("ALLOW") => Some(((1, "Allowed"), (1, "Allowed"))),
        Some("BLOCK") => Some(((2, "Denied"), (2, "Blocked"))),
        Some("COUNT") => Some(((1, "Allowed"), (20, "Count"))),
        Some("CAPTCHA") => Some(((2, "Denied"), (22, "Captcha"))),
        Some("CHALLENGE") => Some(((2, "Denied"), (23, "Challenge"))),
        Some(_) => Some(((99, "Other"), (99, "Other"))),
        None => None,
    };
    if let Some((action, disposition)) = decided {
        write_action(out, action, disposition);
        out.open("firewall_rule");
        match get_str(r, "terminatingRuleId") {
            Some(rule) => out.str("uid", rule),
            // A firewall rule needs its uid or name.
            None => out.str("name", UNKNOWN_NAME),
        }
        opt_str(out, "type", get_str(r, "terminatingRuleType"));
        out.close();
    }

    let (region, account) = get_str(r, "webaclId").map_or((None, None), arn_region_account);
    write_cloud(out, account, region, None);

    Mapped {
        class: &HTTP_ACTIVITY,
        activity: http_activity(method),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_u64(r, "timestamp").and_then(|ms| i64::try_from(ms).ok()),
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::{json_lines, LogType};
    use crate::normalize::test_support::{assert_class, events, first_event};
    use serde_json::json;

    #[test]
    fn waf_maps_to_http_activity_with_action_and_disposition() {
        let evs = events(
            LogType::Waf,
            &format!(
                "{}\n{}\n",
                json_lines::samples::WAF_BLOCK,
                json_lines::samples::WAF_COUNT
            ),
            "AWSLogs/111122223333/WAFLogs/ap-southeast-2/STMTest/2019/12/13/23/40/f.log.gz",
        );
        let block = &evs[0];
        assert_class(block, 4002, 3);
        assert_eq!(block["time"], 1_576_280_412_771i64);
        assert_eq!(block["action"], "Denied");
        assert_eq!(block["disposition_id"], 2);
        assert_eq!(block["src_endpoint"]["ip"], "1.1.1.1");
        assert_eq!(block["src_endpoint"]["location"]["country"], "AU");
        assert_eq!(block["http_request"]["url"]["hostname"], "shop.example.com");
        assert_eq!(
            block["http_request"]["url"]["url_string"],
            "/products?id=10%20AND%201=1"
        );
        assert_eq!(block["http_request"]["user_agent"], "curl/7.61.1");
        assert_eq!(block["firewall_rule"]["uid"], "STMTest_SQLi_XSS");
        assert_eq!(block["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(block["cloud"]["region"], "ap-southeast-2");
        let count = &evs[1];
        assert_class(count, 4002, 6);
        assert_eq!(count["disposition"], "Count");
        assert_eq!(count["http_response"]["code"], 200);
    }

    /// Trial 7, D3: a Host header's port was part of the host name (no `hostname_t`),
    /// and X-Forwarded-For was only a header.
    #[test]
    fn host_header_ports_and_forwarded_addresses_are_their_own_attributes() {
        let record = |host: &str| {
            json!({
                "timestamp": 1_700_000_000_123i64, "formatVersion": 1, "webaclId": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/Acl/a1b2",
                "terminatingRuleId": "Default_Action", "action": "ALLOW", "httpSourceName": "ALB", "httpSourceId": "111122223333-app/alb/1",
                "httpRequest": {"clientIp": "198.51.100.7", "country": "US", "uri": "/a", "args": "", "httpVersion": "HTTP/1.1", "httpMethod": "GET", "requestId": "r1",
                    "headers": [{"name": "Host", "value": host}, {"name": "X-Forwarded-For", "value": "203.0.113.7, unknown, 10.0.0.1"}]}
            })
            .to_string()
        };
        let ev = first_event(LogType::Waf, &record("app.example.com:8443"), "waf/x.log");
        assert_eq!(ev["http_request"]["url"]["hostname"], "app.example.com");
        assert_eq!(ev["http_request"]["url"]["port"], 8443);
        assert_eq!(ev["dst_endpoint"]["hostname"], "app.example.com");
        assert_eq!(ev["dst_endpoint"]["port"], 8443);
        assert_eq!(
            ev["http_request"]["x_forwarded_for"],
            json!(["203.0.113.7", "10.0.0.1"])
        );
        let ev = first_event(LogType::Waf, &record("[2001:db8::1]:8443"), "waf/x.log");
        assert_eq!(ev["dst_endpoint"]["ip"], "2001:db8::1");
        assert_eq!(ev["dst_endpoint"]["port"], 8443);
        assert!(ev["http_request"]["url"].get("hostname").is_none());
    }

    #[test]
    fn waf_actions_use_only_ocsf_1_3_action_ids() {
        // OCSF 1.3 action_id: 0 Unknown, 1 Allowed, 2 Denied, 99 Other.
        for (waf, action, disposition) in [
            ("ALLOW", (1, "Allowed"), (1, "Allowed")),
            ("BLOCK", (2, "Denied"), (2, "Blocked")),
            ("COUNT", (1, "Allowed"), (20, "Count")),
            ("CAPTCHA", (2, "Denied"), (22, "Captcha")),
            ("CHALLENGE", (2, "Denied"), (23, "Challenge")),
        ] {
            let line = json_lines::samples::WAF_COUNT.replace("\"COUNT\"", &format!("\"{waf}\""));
            let ev = first_event(LogType::Waf, &line, "waf/f.log");
            assert_eq!(
                (&ev["action_id"], &ev["action"]),
                (&json!(action.0), &json!(action.1)),
                "{waf}"
            );
            assert_eq!(
                (&ev["disposition_id"], &ev["disposition"]),
                (&json!(disposition.0), &json!(disposition.1)),
                "{waf}"
            );
        }
    }

    /// One test per row of the WAF table in docs/mappings/waf.md (response code,
    /// action, disposition) and regression for the required objects WAF events missed.
    #[test]
    fn waf_events_have_the_response_waf_sent_and_the_protected_resource() {
        for (action, sent, code) in [
            ("BLOCK", "null", 403),
            ("BLOCK", "451", 451),
            ("CAPTCHA", "null", 405),
            ("CHALLENGE", "null", 202),
            ("ALLOW", "null", 0),
            ("COUNT", "200", 200),
        ] {
            let line = json_lines::samples::WAF_BLOCK
                .replace("\"BLOCK\"", &format!("\"{action}\""))
                .replace(
                    "\"responseCodeSent\":null",
                    &format!("\"responseCodeSent\":{sent}"),
                );
            let ev = first_event(LogType::Waf, &line, "waf/f.log");
            assert_eq!(
                ev["http_response"],
                json!({"code": code}),
                "{action} {sent}"
            );
            assert_eq!(
                ev["dst_endpoint"],
                json!({"hostname": "shop.example.com", "svc_name": "ALB", "uid": "111122223333-app/my-alb/1234567890abcdef"})
            );
            assert_eq!(
                ev["metadata"]["profiles"],
                json!(["cloud", "security_control"])
            );
        }
    }
}
