//! VPC Flow Logs (and Transit Gateway flow logs) to OCSF Network Activity (4001).

use super::classification::{activity, Mapped, NETWORK_ACTIVITY, SEVERITY_INFORMATIONAL};
use super::lookup::Lookup;
use super::objects::{epoch_secs_to_ms, write_action, write_cloud, write_direction, write_status};
use super::out::{opt_int, opt_str, opt_uint, EventOut};
use crate::logs::detect::KeyScope;
use std::net::IpAddr;

fn protocol_name(num: u64) -> Option<&'static str> {
    Some(match num {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => return None,
    })
}

pub(super) fn vpc_flow(r: &impl Lookup, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    let direction = r.str("flow-direction");
    // Each address is parsed once (OCSF's `ip_t`, as `opt_ip` checks it).
    let dstaddr = r.str("dstaddr").filter(|a| a.parse::<IpAddr>().is_ok());
    let srcaddr = r.str("srcaddr").filter(|a| a.parse::<IpAddr>().is_ok());
    // The logged interface (and its instance, VPC, subnet) is the destination of
    // ingress traffic and the source of egress traffic. Without `flow-direction` (the
    // default format) the side is not known: the ids are on neither endpoint, only in
    // the original record. A record without addresses (NODATA, SKIPDATA) is about the
    // interface alone, which then is the destination Network Activity requires.
    let ingress = direction == Some("ingress") || dstaddr.is_none();
    let egress = direction == Some("egress") && !ingress;
    // A Transit Gateway flow record names both sides' VPC, subnet, ENI and zone.
    let tgw = r.str("tgw-id").is_some();
    let interface = |out: &mut dyn EventOut| {
        opt_str(out, "interface_uid", r.str("interface-id"));
        opt_str(out, "vpc_uid", r.str("vpc-id"));
        opt_str(out, "subnet_uid", r.str("subnet-id"));
        opt_str(out, "instance_uid", r.str("instance-id"));
    };
    let tgw_side = |out: &mut dyn EventOut, side: &str| {
        for (attr, field) in [
            ("vpc_uid", "vpc-id"),
            ("subnet_uid", "subnet-id"),
            ("interface_uid", "eni"),
            ("zone", "az-id"),
        ] {
            opt_str(out, attr, r.str(&["tgw-", side, "-", field].concat()));
        }
    };
    out.open("src_endpoint");
    opt_str(out, "ip", srcaddr);
    opt_uint(out, "port", r.u64("srcport"));
    opt_str(out, "svc_name", r.str("pkt-src-aws-service"));
    if tgw {
        tgw_side(out, "src");
    } else if egress {
        interface(out);
    }
    // A custom format with a source port (or VPC, subnet, zone) but no address, service,
    // interface or instance says nothing OCSF can tell the endpoint by: it is `unknown`.
    let (side, other): (&[&str], &[&str]) = match (tgw, egress) {
        (true, _) => (
            &["tgw-src-eni"],
            &["tgw-src-vpc-id", "tgw-src-subnet-id", "tgw-src-az-id"],
        ),
        (false, true) => (&["interface-id", "instance-id"], &["vpc-id", "subnet-id"]),
        (false, false) => (&[], &[]),
    };
    let src_named = srcaddr.is_some()
        || r.str("pkt-src-aws-service").is_some()
        || side.iter().any(|f| r.str(f).is_some());
    let src_other = r.u64("srcport").is_some_and(|p| i64::try_from(p).is_ok())
        || other.iter().any(|f| r.str(f).is_some());
    if !src_named && src_other {
        out.str("name", "unknown");
    }
    out.close();
    out.open("dst_endpoint");
    opt_str(out, "ip", dstaddr);
    opt_uint(out, "port", r.u64("dstport"));
    opt_str(out, "svc_name", r.str("pkt-dst-aws-service"));
    if tgw {
        tgw_side(out, "dst");
    } else if ingress {
        interface(out);
    }
    // A custom format with no address, interface or instance says nothing of the
    // destination Network Activity requires: it is named `unknown`.
    let named = dstaddr.is_some()
        || ["pkt-dst-aws-service", "tgw-dst-eni"]
            .iter()
            .chain(if ingress {
                &["interface-id", "instance-id"][..]
            } else {
                &[]
            })
            .any(|f| r.str(f).is_some());
    if !named {
        out.str("name", "unknown");
    }
    out.close();

    out.open("connection_info");
    if let Some(proto) = r.u64("protocol") {
        out.uint("protocol_num", proto);
        opt_str(out, "protocol_name", protocol_name(proto));
    }
    match r.str("type") {
        Some("IPv4") => out.uint("protocol_ver_id", 4),
        Some("IPv6") => out.uint("protocol_ver_id", 6),
        _ => {}
    }
    opt_uint(out, "tcp_flags", r.u64("tcp-flags"));
    match direction {
        Some("ingress") => {
            out.uint("direction_id", 1);
            out.str("direction", "Inbound");
        }
        Some("egress") => {
            out.uint("direction_id", 2);
            out.str("direction", "Outbound");
        }
        _ => write_direction(out, 0),
    }
    out.close();

    out.open("traffic");
    opt_uint(out, "bytes", r.u64("bytes"));
    opt_uint(out, "packets", r.u64("packets"));
    out.close();

    let start = r.u64("start").and_then(epoch_secs_to_ms);
    opt_int(out, "start_time", start);
    opt_int(out, "end_time", r.u64("end").and_then(epoch_secs_to_ms));

    match r.str("action") {
        Some("ACCEPT") => write_action(out, (1, "Allowed"), (1, "Allowed")),
        Some("REJECT") => write_action(out, (2, "Denied"), (2, "Blocked")),
        _ => {}
    }
    if let Some(status) = r.str("log-status") {
        // NODATA: no traffic in the interval; SKIPDATA: records were lost in the interval.
        match status {
            "OK" => write_status(out, 1, "Success"),
            "SKIPDATA" => write_status(out, 2, "Failure"),
            _ => write_status(out, 99, "Other"),
        }
        out.str("status_code", status);
    }

    let account = r.str("account-id").or(scope.account_id);
    let region = r.str("region").or(scope.region);
    write_cloud(out, account, region, r.str("az-id"));

    Mapped {
        class: &NETWORK_ACTIVITY,
        activity: activity(6, "Traffic"),
        severity_id: SEVERITY_INFORMATIONAL,
        time: start,
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::{vpc_flow, LogType};
    use crate::normalize::test_support::{assert_class, events, first_event};
    use serde_json::json;

    #[test]
    fn vpc_flow_maps_to_network_activity_with_disposition() {
        let key = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_fe123456.log.gz";
        let evs = events(LogType::VpcFlow, vpc_flow::samples::DEFAULT_FILE, key);
        let ev = &evs[0];
        assert_class(ev, 4001, 6);
        assert_eq!(ev["time"], 1_418_530_010_000i64);
        assert_eq!(ev["start_time"], 1_418_530_010_000i64);
        assert_eq!(ev["end_time"], 1_418_530_070_000i64);
        assert_eq!(ev["src_endpoint"]["ip"], "172.31.16.139");
        assert_eq!(ev["src_endpoint"]["port"], 20641);
        // The default format says not which side the interface is: neither endpoint
        // has it (AWS's example: the SSH traffic is *to* the interface).
        assert_eq!(
            ev["src_endpoint"],
            json!({"ip": "172.31.16.139", "port": 20641})
        );
        assert_eq!(
            ev["dst_endpoint"],
            json!({"ip": "172.31.16.21", "port": 22})
        );
        assert!(ev["raw_data"]
            .as_str()
            .unwrap()
            .contains("eni-1235b8ca123456789"));
        assert_eq!(ev["connection_info"]["protocol_num"], 6);
        assert_eq!(ev["connection_info"]["protocol_name"], "tcp");
        assert_eq!(ev["traffic"], json!({ "bytes": 4249, "packets": 20 }));
        assert_eq!(
            (ev["action_id"].clone(), ev["disposition_id"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(
            ev["cloud"]["region"], "us-east-1",
            "region falls back to the key"
        );
        assert_eq!(evs[1]["action"], "Denied");
        assert_eq!(evs[1]["disposition"], "Blocked");
        // Regression: a record without traffic is about the interface, which is then
        // the destination Network Activity requires.
        let nodata = &evs[2];
        assert_eq!(
            nodata["dst_endpoint"],
            json!({"interface_uid": "eni-1235b8ca123456789"})
        );
        assert!(nodata.get("src_endpoint").is_none());
        assert!(nodata.get("action_id").is_none());
        assert_eq!(nodata["status_code"], "NODATA");
        assert_eq!(nodata["time"], 1_431_280_876_000i64);
    }

    /// Found by the Parquet fuzz target (a column renamed by damage): a source with only a
    /// port is named `unknown`, as OCSF requires an endpoint it can tell apart.
    #[test]
    fn vpc_flow_source_with_a_port_and_no_address_is_named_unknown() {
        let input = "version dstaddr srcport dstport protocol start end action log-status flow-direction\n5 52.95.1.1 49152 443 6 1795428000 1795428060 ACCEPT OK egress\n";
        let ev = first_event(LogType::VpcFlow, input, "flows/x.log");
        assert_eq!(
            ev["src_endpoint"],
            json!({"port": 49152, "name": "unknown"})
        );
        // A record with nothing about the source still has no src_endpoint.
        let nodata = "version dstaddr start end log-status\n5 - 1795428000 1795428060 NODATA\n";
        assert!(first_event(LogType::VpcFlow, nodata, "flows/x.log")
            .get("src_endpoint")
            .is_none());
    }

    #[test]
    fn vpc_flow_ingress_puts_interface_on_destination_and_ipv6_version() {
        let input = "version interface-id srcaddr dstaddr srcport dstport protocol start end action log-status flow-direction type\n5 eni-0a1b 2001:db8::1 2001:db8::2 443 55000 6 1620140661 1620140721 ACCEPT OK ingress IPv6\n";
        let ev = first_event(LogType::VpcFlow, input, "flows/x.log");
        assert_eq!(ev["dst_endpoint"]["interface_uid"], "eni-0a1b");
        assert!(ev["src_endpoint"].get("interface_uid").is_none());
        assert_eq!(ev["connection_info"]["direction_id"], 1);
        assert_eq!(ev["connection_info"]["protocol_ver_id"], 6);
    }

    #[test]
    fn vpc_flow_egress_puts_interface_instance_vpc_and_subnet_on_source() {
        let input = "version interface-id instance-id vpc-id subnet-id srcaddr dstaddr srcport dstport protocol start end action log-status flow-direction\n5 eni-0a1b i-0c2d vpc-1 subnet-2 10.0.0.5 52.95.1.1 49152 443 6 1620140661 1620140721 ACCEPT OK egress\n";
        let ev = first_event(LogType::VpcFlow, input, "flows/x.log");
        assert_eq!(
            ev["src_endpoint"],
            json!({"ip": "10.0.0.5", "port": 49152, "interface_uid": "eni-0a1b", "vpc_uid": "vpc-1", "subnet_uid": "subnet-2", "instance_uid": "i-0c2d"})
        );
        assert_eq!(ev["dst_endpoint"], json!({"ip": "52.95.1.1", "port": 443}));
        // The same record without flow-direction: on neither side.
        let unknown = input.replace(" flow-direction", "").replace(" egress", "");
        let ev = first_event(LogType::VpcFlow, &unknown, "flows/x.log");
        assert_eq!(ev["src_endpoint"], json!({"ip": "10.0.0.5", "port": 49152}));
        assert_eq!(ev["dst_endpoint"], json!({"ip": "52.95.1.1", "port": 443}));
    }

    #[test]
    fn transit_gateway_flow_records_name_both_sides() {
        let ev = first_event(
            LogType::VpcFlow,
            vpc_flow::samples::TRANSIT_GATEWAY_FILE,
            "tgw/flows.log",
        );
        assert_class(&ev, 4001, 6);
        assert_eq!(
            ev["src_endpoint"],
            json!({"ip": "10.0.1.5", "port": 49152, "vpc_uid": "vpc-0d1da8ef7f5bf7a3e", "subnet_uid": "subnet-0a1b2c3d4e5f6a7b8", "interface_uid": "eni-0a1b2c3d4e5f6a7b8", "zone": "use1-az1"})
        );
        assert_eq!(ev["dst_endpoint"]["vpc_uid"], "vpc-0b2a2b0a8f5d3a1e1");
        assert_eq!(ev["connection_info"]["direction_id"], 2);
        assert_eq!(ev["cloud"]["region"], "us-east-1");
    }
}
