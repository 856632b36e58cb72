//! Route 53 Resolver query logs to OCSF DNS Activity (4003).

use super::classification::{activity, Mapped, DNS_ACTIVITY, SEVERITY_INFORMATIONAL};
use super::lookup::{get_str, get_u64, path_str, Obj};
use super::objects::{write_action, write_cloud, write_direction, UNKNOWN_NAME};
use super::out::{opt_ip, opt_str, opt_uint, EventOut};
use crate::logs::detect::KeyScope;
use crate::logs::timestamp::iso8601_ms;
use serde_json::Value;
use std::net::IpAddr;

pub(super) fn rcode_id(rcode: &str) -> u64 {
    match rcode {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        "YXDOMAIN" => 6,
        "YXRRSET" => 7,
        "NXRRSET" => 8,
        "NOTAUTH" => 9,
        "NOTZONE" => 10,
        "DSOTYPENI" => 11,
        "BADSIG" | "BADVERS" => 16,
        "BADKEY" => 17,
        "BADTIME" => 18,
        "BADMODE" => 19,
        "BADNAME" => 20,
        "BADALG" => 21,
        "BADTRUNC" => 22,
        "BADCOOKIE" => 23,
        _ => 99,
    }
}

pub(super) fn route53(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    out.open("query");
    // DNS Activity's query needs its hostname.
    out.str("hostname", get_str(r, "query_name").unwrap_or(UNKNOWN_NAME));
    opt_str(out, "type", get_str(r, "query_type"));
    opt_str(out, "class", get_str(r, "query_class"));
    out.close();

    if let Some(rcode) = get_str(r, "rcode") {
        out.str("rcode", rcode);
        out.uint("rcode_id", rcode_id(rcode));
    }
    if let Some(Value::Array(answers)) = r.get("answers") {
        out.open_array("answers");
        for a in answers.iter().filter_map(Value::as_object) {
            out.open("");
            opt_str(out, "rdata", get_str(a, "Rdata"));
            opt_str(out, "type", get_str(a, "Type"));
            opt_str(out, "class", get_str(a, "Class"));
            out.close();
        }
        out.close();
    }

    // Route 53 writes the port as a string.
    let port = get_str(r, "srcport")
        .and_then(|p| p.parse().ok())
        .or_else(|| get_u64(r, "srcport"));
    out.open("src_endpoint");
    let ip = get_str(r, "srcaddr").filter(|ip| ip.parse::<IpAddr>().is_ok());
    let instance = path_str(r, &["srcids", "instance"]);
    opt_ip(out, "ip", ip);
    opt_uint(out, "port", port);
    opt_str(out, "vpc_uid", get_str(r, "vpc_id"));
    opt_str(out, "instance_uid", instance);
    if ip.or(instance).is_none() {
        // The endpoint needs an address, name or instance: the VPC alone is none.
        out.str("name", UNKNOWN_NAME);
    }
    out.close();

    if let Some(transport) = get_str(r, "transport") {
        out.open("connection_info");
        // Resolver logs do not say which side of the VPC the querier is on.
        write_direction(out, 0);
        if transport.eq_ignore_ascii_case("udp") {
            out.uint("protocol_num", 17);
            out.str("protocol_name", "udp");
        } else if transport.eq_ignore_ascii_case("tcp") {
            out.uint("protocol_num", 6);
            out.str("protocol_name", "tcp");
        } else {
            out.str("protocol_name", &transport.to_ascii_lowercase());
        }
        out.close();
    }

    // DNS Firewall's decision, when a rule matched the query.
    let decided = match get_str(r, "firewall_rule_action") {
        Some("ALLOW") => Some(((1, "Allowed"), (1, "Allowed"))),
        Some("BLOCK") => Some(((2, "Denied"), (2, "Blocked"))),
        Some("ALERT") => Some(((1, "Allowed"), (19, "Alert"))),
        Some(_) => Some(((99, "Other"), (99, "Other"))),
        None => None,
    };
    if let Some((action, disposition)) = decided {
        write_action(out, action, disposition);
        out.open("firewall_rule");
        opt_str(out, "uid", get_str(r, "firewall_rule_group_id"));
        out.close();
    }

    let account = get_str(r, "account_id").or(scope.account_id);
    let region = get_str(r, "region").or(scope.region);
    write_cloud(out, account, region, None);

    Mapped {
        class: &DNS_ACTIVITY,
        // A resolver log entry records both the query and its answer.
        activity: activity(6, "Traffic"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: get_str(r, "query_timestamp").and_then(iso8601_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{json_lines, LogType};
    use crate::normalize::test_support::{assert_class, first_event};
    use serde_json::json;

    #[test]
    fn dns_response_codes_map_to_ocsf_rcode_ids() {
        for (rcode, id) in [
            ("NOERROR", 0),
            ("SERVFAIL", 2),
            ("NXDOMAIN", 3),
            ("REFUSED", 5),
            ("NOTZONE", 10),
            ("DSOTYPENI", 11),
            ("BADVERS", 16),
            ("BADCOOKIE", 23),
            ("SOMETHING", 99),
        ] {
            assert_eq!(rcode_id(rcode), id, "{rcode}");
        }
    }

    #[test]
    fn route53_maps_to_dns_activity() {
        let ev = first_event(
            LogType::Route53Resolver,
            json_lines::samples::ROUTE53_QUERY,
            "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0123456789abcdef0/2021/02/04/f.log.gz",
        );
        assert_class(&ev, 4003, 6);
        assert_eq!(ev["time"], 1_612_461_115_000i64);
        assert_eq!(
            ev["query"],
            json!({ "hostname": "www.example.com.", "type": "AAAA", "class": "IN" })
        );
        assert_eq!(ev["rcode"], "NOERROR");
        assert_eq!(ev["rcode_id"], 0);
        assert_eq!(ev["src_endpoint"]["ip"], "172.31.45.200");
        assert_eq!(ev["src_endpoint"]["port"], 49870);
        assert_eq!(ev["src_endpoint"]["instance_uid"], "i-0d15cd0d3example");
        assert_eq!(ev["connection_info"]["protocol_num"], 17);
        assert_eq!(
            ev["answers"][0]["rdata"],
            "2606:2800:220:1:248:1893:25c8:1946"
        );
    }
}
