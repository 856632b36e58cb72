//! Route 53 Resolver query logs to OCSF DNS Activity (4003).

use super::classification::{activity, Mapped, DNS_ACTIVITY, SEVERITY_INFORMATIONAL};
use super::lookup::{get_str, get_u64, path_str, Obj};
use super::objects::{write_action, write_cloud, write_direction, UNKNOWN_NAME};
use super::out::{host_name, opt_ip, opt_str, opt_uint, EventOut};
use crate::logs::detect::KeyScope;
use crate::logs::timestamp::iso8601_ms;
use serde_json::Value;
use std::net::IpAddr;

/// DNS response codes (RFC 6895, the IANA DNS RCODEs registry) as OCSF DNS Activity's
/// `rcode_id` and the caption the schema gives that id; 99 `Other` for anything else,
/// whose text OCSF keeps as given.
const RCODES: &[(&str, u64, &str)] = &[
    ("NOERROR", 0, "NoError"),
    ("FORMERR", 1, "FormError"),
    ("SERVFAIL", 2, "ServError"),
    ("NXDOMAIN", 3, "NXDomain"),
    ("NOTIMP", 4, "NotImp"),
    ("REFUSED", 5, "Refused"),
    ("YXDOMAIN", 6, "YXDomain"),
    ("YXRRSET", 7, "YXRRSet"),
    ("NXRRSET", 8, "NXRRSet"),
    ("NOTAUTH", 9, "NotAuth"),
    ("NOTZONE", 10, "NotZone"),
    ("DSOTYPENI", 11, "DSOTYPENI"),
    ("BADSIG", 16, "BADSIG_VERS"),
    ("BADVERS", 16, "BADSIG_VERS"),
    ("BADKEY", 17, "BADKEY"),
    ("BADTIME", 18, "BADTIME"),
    ("BADMODE", 19, "BADMODE"),
    ("BADNAME", 20, "BADNAME"),
    ("BADALG", 21, "BADALG"),
    ("BADTRUNC", 22, "BADTRUNC"),
    ("BADCOOKIE", 23, "BADCOOKIE"),
];

/// `rcode_id` and `rcode` for a Resolver log's `rcode` (`NOERROR`, `NXDOMAIN`...; case
/// ignored): the id's caption, or `(99, rcode)` for a code OCSF does not list.
pub(super) fn rcode(rcode: &str) -> (u64, &str) {
    RCODES
        .iter()
        .find(|(name, ..)| name.eq_ignore_ascii_case(rcode))
        .map_or((99, rcode), |&(_, id, caption)| (id, caption))
}

pub(super) fn route53(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    out.open("query");
    // DNS Activity's query needs its hostname.
    // Resolver writes names fully qualified (`www.example.com.`); OCSF's hostname_t has
    // no root dot. A name that is no host name (`_dmarc.example.com`, a label with `_`
    // or `*`) is kept as queried: the query has no other attribute for it.
    let name = get_str(r, "query_name").map(|n| host_name(n).unwrap_or(n));
    out.str("hostname", name.unwrap_or(UNKNOWN_NAME));
    opt_str(out, "type", get_str(r, "query_type"));
    opt_str(out, "class", get_str(r, "query_class"));
    out.close();

    if let Some((id, caption)) = get_str(r, "rcode").map(rcode) {
        out.str("rcode", caption);
        out.uint("rcode_id", id);
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
    fn dns_response_codes_map_to_ocsf_rcode_ids_and_their_captions() {
        for (code, want) in [
            ("NOERROR", (0, "NoError")),
            ("SERVFAIL", (2, "ServError")),
            ("NXDOMAIN", (3, "NXDomain")),
            ("nxdomain", (3, "NXDomain")),
            ("REFUSED", (5, "Refused")),
            ("NOTZONE", (10, "NotZone")),
            ("DSOTYPENI", (11, "DSOTYPENI")),
            ("BADVERS", (16, "BADSIG_VERS")),
            ("BADCOOKIE", (23, "BADCOOKIE")),
            ("SOMETHING", (99, "SOMETHING")),
        ] {
            assert_eq!(rcode(code), want, "{code}");
        }
    }

    /// Trial 7, D2: the root's trailing dot broke `hostname_t`; D6: `rcode` is the
    /// caption of `rcode_id`.
    #[test]
    fn query_names_lose_the_root_dot_and_odd_names_are_kept_as_queried() {
        let line =
            |name: &str| json_lines::samples::ROUTE53_QUERY.replace("www.example.com.", name);
        let key = "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0123456789abcdef0/2021/02/04/f.log.gz";
        for (name, want) in [
            ("does-not-exist.abc.com.", "does-not-exist.abc.com"),
            ("localhost", "localhost"),
        ] {
            let ev = first_event(LogType::Route53Resolver, &line(name), key);
            assert_eq!(ev["query"]["hostname"], want, "{name}");
            assert_eq!(ev["rcode"], "NoError");
        }
        // A service or policy name (SRV, DMARC, ACME) is no hostname_t; the query has
        // nowhere else for it, so it is written as queried.
        let record: Obj = serde_json::from_str(&line("_dmarc.example.com.")).unwrap();
        let (ev, _) = crate::normalize::test_support::built(|out| {
            route53(&record, out, KeyScope::default());
        });
        assert_eq!(ev["query"]["hostname"], "_dmarc.example.com.");
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
            json!({ "hostname": "www.example.com", "type": "AAAA", "class": "IN" })
        );
        assert_eq!(ev["rcode"], "NoError");
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
