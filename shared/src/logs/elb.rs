//! Elastic Load Balancing access logs (Application, Network (TLS) and Classic load
//! balancers) and Application Load Balancer connection logs.
//!
//! Field names follow the AWS documentation with `:port` fields split into
//! `<name>_ip` and `<name>_port`, and the request line also split into
//! `request_method`, `request_url` and `request_protocol`. Fields AWS appends in
//! the future land in `extra_fields` in order, so nothing is lost.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::field_value::{
    is_absent, put_endpoint, put_f64, put_int, put_request, put_str, put_uint,
};
use super::line_reader::{parse_lines, LineFormat, LineReader};
use super::timestamp::iso8601_ms;
use super::tokenizer::{tokenize, Span};
use super::{Emitter, Fields, ParseError};

/// Which load balancer wrote the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElbKind {
    /// Application Load Balancer.
    Application,
    /// Network Load Balancer (TLS listeners are the only ones that log).
    Network,
    /// Classic Load Balancer.
    Classic,
    /// Application Load Balancer connection log (one line per TLS connection attempt).
    Connection,
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Uint,
    /// A signed integer: `-1` is a documented value.
    Int,
    /// Seconds with a fraction, `-1` when the request never reached a target.
    Seconds,
    /// Milliseconds, written as an integer today but not promised to stay one.
    Millis,
    Endpoint,
    Request,
    Time,
    /// A bare IP address (IPv4 or IPv6).
    Ip,
}

/// ALB fields in the order AWS writes them.
const ALB_FIELDS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("time", Kind::Time),
    ("elb", Kind::Str),
    ("client", Kind::Endpoint),
    ("target", Kind::Endpoint),
    ("request_processing_time", Kind::Seconds),
    ("target_processing_time", Kind::Seconds),
    ("response_processing_time", Kind::Seconds),
    ("elb_status_code", Kind::Uint),
    ("target_status_code", Kind::Uint),
    ("received_bytes", Kind::Uint),
    ("sent_bytes", Kind::Uint),
    ("request", Kind::Request),
    ("user_agent", Kind::Str),
    ("ssl_cipher", Kind::Str),
    ("ssl_protocol", Kind::Str),
    ("target_group_arn", Kind::Str),
    ("trace_id", Kind::Str),
    ("domain_name", Kind::Str),
    ("chosen_cert_arn", Kind::Str),
    // 1 to 50000 for a rule, 0 for the default action, -1 for an error during rules
    // evaluation, `-` for any other error.
    ("matched_rule_priority", Kind::Int),
    ("request_creation_time", Kind::Time),
    ("actions_executed", Kind::Str),
    ("redirect_url", Kind::Str),
    ("error_reason", Kind::Str),
    ("target_port_list", Kind::Str),
    ("target_status_code_list", Kind::Str),
    ("classification", Kind::Str),
    ("classification_reason", Kind::Str),
    ("conn_trace_id", Kind::Str),
];

/// The first ALB logs (2016) ended at `trace_id`; later fields were appended over the years.
const ALB_MIN_FIELDS: usize = 18;

/// NLB fields in the order AWS writes them.
const NLB_FIELDS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("version", Kind::Str),
    ("time", Kind::Time),
    ("elb", Kind::Str),
    ("listener", Kind::Str),
    ("client", Kind::Endpoint),
    ("destination", Kind::Endpoint),
    ("connection_time", Kind::Millis),
    ("tls_handshake_time", Kind::Millis),
    ("received_bytes", Kind::Uint),
    ("sent_bytes", Kind::Uint),
    ("incoming_tls_alert", Kind::Str),
    ("chosen_cert_arn", Kind::Str),
    ("chosen_cert_serial", Kind::Str),
    ("tls_cipher", Kind::Str),
    ("tls_protocol_version", Kind::Str),
    ("tls_named_group", Kind::Str),
    ("domain_name", Kind::Str),
    ("alpn_fe_protocol", Kind::Str),
    ("alpn_be_protocol", Kind::Str),
    ("alpn_client_preference_list", Kind::Str),
    ("tls_connection_creation_time", Kind::Time),
];

/// NLB logs before the ALPN fields (2020) ended at `domain_name`.
const NLB_MIN_FIELDS: usize = 18;

/// Classic ELB fields in the order AWS writes them.
const CLASSIC_FIELDS: &[(&str, Kind)] = &[
    ("time", Kind::Time),
    ("elb", Kind::Str),
    ("client", Kind::Endpoint),
    ("backend", Kind::Endpoint),
    ("request_processing_time", Kind::Seconds),
    ("backend_processing_time", Kind::Seconds),
    ("response_processing_time", Kind::Seconds),
    ("elb_status_code", Kind::Uint),
    ("backend_status_code", Kind::Uint),
    ("received_bytes", Kind::Uint),
    ("sent_bytes", Kind::Uint),
    ("request", Kind::Request),
    ("user_agent", Kind::Str),
    ("ssl_cipher", Kind::Str),
    ("ssl_protocol", Kind::Str),
];

/// Classic ELB logs before 2015 ended at the request; `user_agent` and the TLS fields came later.
const CLASSIC_MIN_FIELDS: usize = 12;

/// ALB connection log fields in the order AWS writes them. `tls_verify_status` is
/// `Success` or `Failed:<reason>`; `leaf_client_cert_validity` is
/// `NotBefore=<time>;NotAfter=<time>`; `conn_trace_id` (added in 2024, so absent from
/// the first files) also appears in the access log entries of the requests sent over
/// the connection.
const CONNECTION_FIELDS: &[(&str, Kind)] = &[
    ("timestamp", Kind::Time),
    ("client_ip", Kind::Ip),
    ("client_port", Kind::Uint),
    ("listener_port", Kind::Uint),
    ("tls_protocol", Kind::Str),
    ("tls_cipher", Kind::Str),
    ("tls_handshake_latency", Kind::Seconds),
    ("leaf_client_cert_subject", Kind::Str),
    ("leaf_client_cert_validity", Kind::Str),
    ("leaf_client_cert_serial_number", Kind::Str),
    ("tls_verify_status", Kind::Str),
    ("conn_trace_id", Kind::Str),
];

/// Connection logs from before `conn_trace_id` end at `tls_verify_status`.
const CONNECTION_MIN_FIELDS: usize = 11;

impl ElbKind {
    fn layout(self) -> (&'static [(&'static str, Kind)], usize) {
        match self {
            ElbKind::Application => (ALB_FIELDS, ALB_MIN_FIELDS),
            ElbKind::Network => (NLB_FIELDS, NLB_MIN_FIELDS),
            ElbKind::Classic => (CLASSIC_FIELDS, CLASSIC_MIN_FIELDS),
            ElbKind::Connection => (CONNECTION_FIELDS, CONNECTION_MIN_FIELDS),
        }
    }
}

/// Parses one access log line of the given load balancer kind.
pub fn parse_line(kind: ElbKind, line: &str) -> Result<Map<String, Value>, String> {
    parse_with(kind, line, &mut Vec::new())
}

fn parse_with(
    kind: ElbKind,
    line: &str,
    spans: &mut Vec<Span>,
) -> Result<Map<String, Value>, String> {
    tokenize(line, spans)?;
    let (layout, min) = kind.layout();
    if spans.len() < min {
        return Err(format!(
            "expected at least {min} space-separated fields, found {} (line truncated?)",
            spans.len()
        ));
    }
    let mut m = Map::new();
    for (span, (name, field_kind)) in spans.iter().zip(layout) {
        let value = span.value(line);
        let v = value.as_ref();
        match field_kind {
            Kind::Str => put_str(&mut m, name, v),
            Kind::Uint => put_uint(&mut m, name, v)?,
            Kind::Int => put_int(&mut m, name, v)?,
            Kind::Seconds => put_f64(&mut m, name, v)?,
            Kind::Millis => match put_uint(&mut m, name, v) {
                Ok(()) => {}
                Err(_) => put_f64(&mut m, name, v)?,
            },
            Kind::Endpoint => put_endpoint(&mut m, name, v)?,
            Kind::Request => put_request(&mut m, v),
            Kind::Ip => {
                if !is_absent(v) && v.parse::<std::net::IpAddr>().is_err() {
                    return Err(format!(
                        "field `{name}`: expected an IP address, found {v:?}"
                    ));
                }
                put_str(&mut m, name, v);
            }
            Kind::Time => {
                // The entry's own time (the first Time field of every layout) is required.
                if matches!(*name, "time" | "timestamp") && is_absent(v) {
                    return Err(format!("field `{name}`: missing"));
                }
                if !is_absent(v) && iso8601_ms(v).is_none() {
                    return Err(format!(
                        "field `{name}`: expected an ISO 8601 time, found {v:?}"
                    ));
                }
                put_str(&mut m, name, v);
            }
        }
    }
    if spans.len() > layout.len() {
        let extra = spans[layout.len()..]
            .iter()
            .map(|s| Value::String(s.value(line).into_owned()))
            .collect();
        m.insert("extra_fields".to_owned(), Value::Array(extra));
    }
    Ok(m)
}

struct ElbFormat {
    kind: ElbKind,
    spans: Vec<Span>,
}

impl LineFormat for ElbFormat {
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        parse_with(self.kind, line, &mut self.spans).map(Fields::Map)
    }
}

pub(crate) fn parse<R: BufRead>(
    reader: R,
    kind: ElbKind,
    out: &mut Emitter<'_>,
) -> Result<(), ParseError> {
    let mut format = ElbFormat {
        kind,
        spans: Vec::with_capacity(40),
    };
    parse_lines(&mut LineReader::new(reader), &mut format, out)
}

#[cfg(test)]
pub(crate) mod samples {
    /// ALB HTTPS request forwarded to an instance target, with every field through `conn_trace_id`.
    pub(crate) const ALB_HTTPS: &str = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/path/to?q=a%20b HTTP/1.1" "curl/7.46.0 \"beta\"" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
    /// ALB request from an IPv6 client that never reached a target (`-1` times, `-` target).
    pub(crate) const ALB_IPV6_NO_TARGET: &str = r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 2001:db8:85a3::8a2e:370:7334:41234 - -1 -1 -1 503 - 34 366 "POST https://api.example.com:443/v1/orders HTTP/2.0" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "Root=1-58337364-23a8c76965a2ef7629b185e3" "api.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "-" "-" "-" "-" -"#;
    /// NLB TLS connection with ALPN fields.
    pub(crate) const NLB_TLS: &str = r#"tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:42"#;
    /// Classic ELB HTTP request.
    pub(crate) const CLASSIC_HTTP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
    /// ALB connection log entries: a verified mTLS connection, a rejected client
    /// certificate, and a plain TCP connection to an HTTP listener over IPv6.
    pub(crate) const ALB_CONNECTIONS: &str = concat!(
        r#"2023-11-14T23:40:12.123456Z 192.0.2.1 2817 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=client.example.com,OU=Devices,O=Example Corp,L=Seattle,ST=Washington,C=US" NotBefore=2023-10-16T21:50:15Z;NotAfter=2024-10-15T21:50:15Z 3F8DF9E1D1A49E3F Success TID_1234abcd5678ef90"#,
        "\n",
        r#"2023-11-14T23:40:13.654321Z 198.51.100.7 50123 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - "CN=unknown-device" NotBefore=2023-01-01T00:00:00Z;NotAfter=2023-06-30T23:59:59Z 01AB Failed:ClientCertExpired TID_aaaabbbbccccdddd"#,
        "\n",
        r#"2023-11-14T23:40:14.000001Z 2001:db8::17 41234 80 - - - "-" - - - TID_0000111122223333"#,
        "\n"
    );
    /// Classic ELB TCP listener entry: no HTTP fields.
    pub(crate) const CLASSIC_TCP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" - -"#;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::samples::*;
    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::LogType;

    #[test]
    fn alb_connection_log_lines_map_every_documented_field() {
        let got = collect(LogType::AlbConnection, ALB_CONNECTIONS);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 3);
        let ok = &got.records[0].fields;
        assert_eq!(ok["timestamp"], "2023-11-14T23:40:12.123456Z");
        assert_eq!(ok["client_ip"], "192.0.2.1");
        assert_eq!(ok["client_port"], 2817);
        assert_eq!(ok["listener_port"], 443);
        assert_eq!(ok["tls_protocol"], "TLSv1.2");
        assert_eq!(ok["tls_handshake_latency"], json!(4.036));
        assert_eq!(
            ok["leaf_client_cert_subject"],
            "CN=client.example.com,OU=Devices,O=Example Corp,L=Seattle,ST=Washington,C=US"
        );
        assert_eq!(
            ok["leaf_client_cert_validity"],
            "NotBefore=2023-10-16T21:50:15Z;NotAfter=2024-10-15T21:50:15Z"
        );
        assert_eq!(ok["leaf_client_cert_serial_number"], "3F8DF9E1D1A49E3F");
        assert_eq!(ok["tls_verify_status"], "Success");
        assert_eq!(ok["conn_trace_id"], "TID_1234abcd5678ef90");
        let failed = &got.records[1].fields;
        assert_eq!(failed["tls_verify_status"], "Failed:ClientCertExpired");
        assert!(failed.get("tls_handshake_latency").is_none());
        let plain = &got.records[2].fields;
        assert_eq!(plain["client_ip"], "2001:db8::17");
        assert!(plain.get("tls_protocol").is_none());
        assert!(plain.get("tls_verify_status").is_none());
    }

    #[test]
    fn alb_connection_log_bad_lines_name_the_field() {
        let input = "2023-11-14T23:40:12Z not-an-ip 2817 443 - - - - - - - TID_1\n\
                     - 192.0.2.1 2817 443 - - - - - - - TID_2\n\
                     2023-11-14T23:40:12Z 192.0.2.1 2817 443 TLSv1.2\n\
                     2023-11-14T23:40:12Z 192.0.2.1 2817 443 - - - - - - - TID_3 future-field\n\
                     2023-11-14T23:40:12Z 192.0.2.1 2817 443 TLSv1.2 AES128-SHA 0.010 \"CN=a\" NotBefore=2023-01-01T00:00:00Z;NotAfter=2024-01-01T00:00:00Z 0A Success\n";
        let got = collect(LogType::AlbConnection, input);
        let reasons: Vec<&str> = got.errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("`client_ip`"), "{}", reasons[0]);
        assert!(
            reasons[1].contains("`timestamp`: missing"),
            "{}",
            reasons[1]
        );
        assert!(reasons[2].contains("at least 11"), "{}", reasons[2]);
        // A field AWS appends later is kept, not an error; a line from before
        // conn_trace_id existed is complete without it.
        assert_eq!(got.records.len(), 2);
        assert_eq!(
            got.records[0].fields["extra_fields"],
            json!(["future-field"])
        );
        assert!(got.records[1].fields.get("conn_trace_id").is_none());
        assert_eq!(got.records[1].fields["tls_verify_status"], "Success");
    }

    #[test]
    fn alb_line_maps_every_documented_field() {
        let m = parse_line(ElbKind::Application, ALB_HTTPS).unwrap();
        assert_eq!(m["type"], "https");
        assert_eq!(m["time"], "2018-07-02T22:23:00.186641Z");
        assert_eq!(m["client_ip"], "192.168.131.39");
        assert_eq!(m["client_port"], 2817);
        assert_eq!(m["target_ip"], "10.0.0.1");
        assert_eq!(m["target_port"], 80);
        assert_eq!(m["request_processing_time"], json!(0.086));
        assert_eq!(m["elb_status_code"], 200);
        assert_eq!(m["sent_bytes"], 57);
        assert_eq!(m["request_method"], "GET");
        assert_eq!(
            m["request_url"],
            "https://www.example.com:443/path/to?q=a%20b"
        );
        assert_eq!(m["request_protocol"], "HTTP/1.1");
        assert_eq!(m["user_agent"], r#"curl/7.46.0 "beta""#);
        assert_eq!(m["trace_id"], "Root=1-58337281-1d84f3d73c47ec4e58577259");
        assert_eq!(m["matched_rule_priority"], 1);
        assert_eq!(m["actions_executed"], "authenticate,forward");
        assert_eq!(m["target_port_list"], "10.0.0.1:80");
        assert_eq!(m["conn_trace_id"], "TID_1234abcd5678ef90");
        assert!(!m.contains_key("redirect_url"), "quoted \"-\" is absent");
        assert!(!m.contains_key("extra_fields"));
    }

    #[test]
    fn alb_ipv6_client_and_unreached_target_keep_minus_one_times() {
        let m = parse_line(ElbKind::Application, ALB_IPV6_NO_TARGET).unwrap();
        assert_eq!(m["client_ip"], "2001:db8:85a3::8a2e:370:7334");
        assert_eq!(m["client_port"], 41234);
        assert!(!m.contains_key("target_ip"));
        assert_eq!(m["request_processing_time"], json!(-1.0));
        assert_eq!(m["target_processing_time"], json!(-1.0));
        assert!(!m.contains_key("target_status_code"));
        assert!(!m.contains_key("user_agent"));
        assert_eq!(m["matched_rule_priority"], 0);
    }

    #[test]
    fn alb_extra_trailing_fields_are_kept_in_order() {
        let line = format!(r#"{ALB_HTTPS} "rewritten.example.com" "/new/path" "TransformSuccess""#);
        let m = parse_line(ElbKind::Application, &line).unwrap();
        assert_eq!(
            m["extra_fields"],
            json!(["rewritten.example.com", "/new/path", "TransformSuccess"])
        );
    }

    #[test]
    fn alb_line_from_2016_with_18_fields_parses() {
        let old = r#"http 2016-08-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354""#;
        let m = parse_line(ElbKind::Application, old).unwrap();
        assert_eq!(m["trace_id"], "Root=1-58337262-36d228ad5d99923122bbe354");
        assert!(!m.contains_key("ssl_cipher"));
    }

    #[test]
    fn alb_truncated_line_is_a_record_error_not_a_panic() {
        let cut = &ALB_HTTPS[..150];
        let err = parse_line(ElbKind::Application, cut).unwrap_err();
        assert!(err.contains("no closing quote"), "{err}");
        let few = "https 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 - 0 0 0 200 200 0 57";
        let err = parse_line(ElbKind::Application, few).unwrap_err();
        assert!(
            err.contains("at least 18") && err.contains("found 12"),
            "{err}"
        );
    }

    #[test]
    fn alb_bad_numeric_field_names_the_field() {
        let bad = ALB_HTTPS.replacen(" 200 200 0 57 ", " 200 OK 0 57 ", 1);
        let err = parse_line(ElbKind::Application, &bad).unwrap_err();
        assert!(err.contains("`target_status_code`"), "{err}");
        let bad_time = ALB_HTTPS.replacen("2018-07-02T22:23:00.186641Z", "yesterday", 1);
        let err = parse_line(ElbKind::Application, &bad_time).unwrap_err();
        assert!(err.contains("`time`"), "{err}");
    }

    #[test]
    fn nlb_tls_line_maps_fields_and_keeps_alpn_list_as_written() {
        let m = parse_line(ElbKind::Network, NLB_TLS).unwrap();
        assert_eq!(m["type"], "tls");
        assert_eq!(m["version"], "2.0");
        assert_eq!(m["time"], "2018-12-20T02:59:40");
        assert_eq!(m["listener"], "g3d4b5e8bb8464cd");
        assert_eq!(m["client_ip"], "72.21.218.154");
        assert_eq!(m["destination_port"], 443);
        assert_eq!(m["connection_time"], 5);
        assert_eq!(m["received_bytes"], 98);
        assert_eq!(m["tls_protocol_version"], "tlsv12");
        assert!(!m.contains_key("incoming_tls_alert"));
        assert_eq!(m["alpn_client_preference_list"], r#""h2","http/1.1""#);
        assert_eq!(m["tls_connection_creation_time"], "2020-04-01T08:51:42");
    }

    #[test]
    fn classic_elb_http_and_tcp_entries_parse() {
        let http = parse_line(ElbKind::Classic, CLASSIC_HTTP).unwrap();
        assert_eq!(http["backend_ip"], "10.0.0.1");
        assert_eq!(http["backend_processing_time"], json!(0.001048));
        assert_eq!(http["request_url"], "http://www.example.com:80/");
        let tcp = parse_line(ElbKind::Classic, CLASSIC_TCP).unwrap();
        assert!(!tcp.contains_key("elb_status_code"));
        assert!(!tcp.contains_key("request_method"));
        assert!(!tcp.contains_key("request_url"));
        assert_eq!(tcp["sent_bytes"], 502);
    }

    #[test]
    fn alb_unescaped_quote_in_user_agent_keeps_the_line() {
        let line = ALB_HTTPS.replace(r#""curl/7.46.0 \"beta\"""#, r#""curl/7.46.0 "beta""#);
        let m = parse_line(ElbKind::Application, &line).unwrap();
        assert_eq!(m["user_agent"], r#"curl/7.46.0 "beta"#);
        assert_eq!(m["ssl_cipher"], "ECDHE-RSA-AES128-GCM-SHA256");
        assert_eq!(m["trace_id"], "Root=1-58337281-1d84f3d73c47ec4e58577259");
        assert_eq!(m["conn_trace_id"], "TID_1234abcd5678ef90");
        let classic = CLASSIC_HTTP.replace(r#""curl/7.38.0""#, r#""curl "7.38.0""#);
        let m = parse_line(ElbKind::Classic, &classic).unwrap();
        assert_eq!(m["user_agent"], r#"curl "7.38.0"#);
        let conn = ALB_CONNECTIONS
            .lines()
            .nth(1)
            .unwrap()
            .replace(r#""CN=unknown-device""#, r#""CN=unknown "device""#);
        let m = parse_line(ElbKind::Connection, &conn).unwrap();
        assert_eq!(m["leaf_client_cert_subject"], r#"CN=unknown "device"#);
        assert_eq!(m["tls_verify_status"], "Failed:ClientCertExpired");
    }

    /// A line of `kind`, field by field from `base` (the fields of one of the samples,
    /// as written, quotes included), with `field` written as `value`.
    fn line_with(kind: ElbKind, base: &str, field: &str, value: &str) -> String {
        let mut spans = Vec::new();
        tokenize(base, &mut spans).unwrap();
        let (layout, _) = kind.layout();
        let at = layout
            .iter()
            .position(|(name, _)| *name == field)
            .unwrap_or_else(|| panic!("{field} is not a field of {kind:?}"));
        let mut written: Vec<String> = spans
            .iter()
            .map(|s| {
                let raw = s.raw(base);
                if s.is_quoted() {
                    format!("\"{raw}\"")
                } else {
                    raw.to_owned()
                }
            })
            .collect();
        written[at] = value.to_owned();
        written.join(" ")
    }

    /// Each special value the AWS documentation gives for a field, and what it parses to
    /// (`None`: the field is absent from the record).
    #[test]
    fn documented_special_values_of_every_elb_format_parse() {
        let cases: &[(ElbKind, &str, &str, &str, Option<serde_json::Value>)] = &[
            // ALB: "If an error occurs during rules evaluation, it is set to -1. For any
            // other error, it is set to -." 0: the default action was taken.
            (
                ElbKind::Application,
                ALB_HTTPS,
                "matched_rule_priority",
                "-1",
                Some(json!(-1)),
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "matched_rule_priority",
                "-",
                None,
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "matched_rule_priority",
                "0",
                Some(json!(0)),
            ),
            // "-1 if the load balancer can't dispatch the request to a target."
            (
                ElbKind::Application,
                ALB_HTTPS,
                "request_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "target_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "response_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            // "-" when no connection to a target was made, the target is a Lambda
            // function, or AWS WAF blocked the request.
            (ElbKind::Application, ALB_HTTPS, "target", "-", None),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "target_status_code",
                "-",
                None,
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "elb_status_code",
                "-",
                None,
            ),
            (ElbKind::Application, ALB_HTTPS, "ssl_cipher", "-", None),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "target_group_arn",
                "-",
                None,
            ),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "request_creation_time",
                "-",
                None,
            ),
            (ElbKind::Application, ALB_HTTPS, "trace_id", "\"-\"", None),
            (
                ElbKind::Application,
                ALB_HTTPS,
                "target_status_code_list",
                "\"-\"",
                None,
            ),
            // Classic: the same -1 times, `-` backend and status codes on TCP listeners.
            (
                ElbKind::Classic,
                CLASSIC_HTTP,
                "request_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            (
                ElbKind::Classic,
                CLASSIC_HTTP,
                "backend_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            (
                ElbKind::Classic,
                CLASSIC_HTTP,
                "response_processing_time",
                "-1",
                Some(json!(-1.0)),
            ),
            (ElbKind::Classic, CLASSIC_HTTP, "backend", "-", None),
            (
                ElbKind::Classic,
                CLASSIC_HTTP,
                "backend_status_code",
                "-",
                None,
            ),
            (ElbKind::Classic, CLASSIC_HTTP, "elb_status_code", "-", None),
            (ElbKind::Classic, CLASSIC_HTTP, "user_agent", "\"-\"", None),
            // NLB: `-` when there was no TLS handshake or alert, or no certificate chosen.
            (ElbKind::Network, NLB_TLS, "tls_handshake_time", "-", None),
            (ElbKind::Network, NLB_TLS, "connection_time", "-", None),
            (ElbKind::Network, NLB_TLS, "incoming_tls_alert", "-", None),
            (ElbKind::Network, NLB_TLS, "chosen_cert_arn", "-", None),
            (ElbKind::Network, NLB_TLS, "alpn_fe_protocol", "-", None),
            // ALB connection logs: `-` for fields a plain HTTP connection does not have.
            (
                ElbKind::Connection,
                ALB_CONNECTIONS.lines().next().unwrap(),
                "tls_handshake_latency",
                "-",
                None,
            ),
            (
                ElbKind::Connection,
                ALB_CONNECTIONS.lines().next().unwrap(),
                "leaf_client_cert_serial_number",
                "-",
                None,
            ),
        ];
        for (kind, base, field, value, expected) in cases {
            let line = line_with(*kind, base, field, value);
            let m = parse_line(*kind, &line)
                .unwrap_or_else(|e| panic!("{kind:?} {field}={value}: {e}\n{line}"));
            let key = match *field {
                "target" | "backend" => format!("{field}_ip"),
                other => other.to_owned(),
            };
            assert_eq!(m.get(&key), expected.as_ref(), "{kind:?} {field}={value}");
        }
    }

    #[test]
    fn alb_stream_reports_bad_lines_with_line_numbers_and_keeps_going() {
        let input = format!("{ALB_HTTPS}\nthis is not an alb line\n\n{ALB_IPV6_NO_TARGET}\n");
        let got = collect(LogType::Alb, &input);
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].index, 2);
        assert_eq!(got.records[1].line, Some(4));
        assert_eq!(got.errors.len(), 1);
        assert_eq!((got.errors[0].index, got.errors[0].line), (1, Some(2)));
        assert_eq!(got.errors[0].excerpt, "this is not an alb line");
        assert_eq!(got.summary.malformed, 1);
    }
}
