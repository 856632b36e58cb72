//! Typed conversion of text log fields into JSON values, naming the field when a value is wrong.

use std::net::IpAddr;

use serde_json::{Map, Number, Value};

/// AWS text logs write `-` for a field with no value.
pub(crate) fn is_absent(s: &str) -> bool {
    s.is_empty() || s == "-"
}

/// Inserts a string field unless it is absent.
pub(crate) fn put_str(m: &mut Map<String, Value>, key: &str, s: &str) {
    if !is_absent(s) {
        m.insert(key.to_owned(), Value::String(s.to_owned()));
    }
}

/// Inserts an unsigned integer field unless it is absent.
pub(crate) fn put_uint(m: &mut Map<String, Value>, key: &str, s: &str) -> Result<(), String> {
    put_parsed::<u64>(m, key, s, "an unsigned integer")
}

/// Inserts a signed integer field unless it is absent: fields whose documented values
/// include `-1`, such as ALB's `matched_rule_priority` (an error during rules evaluation).
pub(crate) fn put_int(m: &mut Map<String, Value>, key: &str, s: &str) -> Result<(), String> {
    put_parsed::<i64>(m, key, s, "an integer")
}

fn put_parsed<T: std::str::FromStr + Into<Number>>(
    m: &mut Map<String, Value>,
    key: &str,
    s: &str,
    what: &str,
) -> Result<(), String> {
    if is_absent(s) {
        return Ok(());
    }
    let n: T = s
        .parse()
        .map_err(|_| format!("field `{key}`: expected {what}, found {s:?}"))?;
    m.insert(key.to_owned(), Value::Number(n.into()));
    Ok(())
}

/// Inserts a decimal field (seconds with a fraction, or `-1`) unless it is absent.
pub(crate) fn put_f64(m: &mut Map<String, Value>, key: &str, s: &str) -> Result<(), String> {
    if is_absent(s) {
        return Ok(());
    }
    let n = s
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("field `{key}`: expected a number, found {s:?}"))?;
    m.insert(key.to_owned(), Value::Number(n));
    Ok(())
}

/// Splits `ip:port` on the last colon, so IPv6 addresses (with or without brackets) keep their colons.
pub(crate) fn split_ip_port(s: &str) -> Option<(&str, &str)> {
    let colon = s.rfind(':')?;
    let (ip, port) = (&s[..colon], &s[colon + 1..]);
    let ip = ip
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip);
    Some((ip, port))
}

/// Inserts `<prefix>_ip` and `<prefix>_port` from an `ip:port` field unless it is absent.
pub(crate) fn put_endpoint(
    m: &mut Map<String, Value>,
    prefix: &str,
    s: &str,
) -> Result<(), String> {
    if is_absent(s) {
        return Ok(());
    }
    let (ip, port) = split_ip_port(s)
        .filter(|(ip, port)| ip.parse::<IpAddr>().is_ok() && port.parse::<u16>().is_ok())
        .ok_or_else(|| format!("field `{prefix}:port`: expected ip:port, found {s:?}"))?;
    m.insert(format!("{prefix}_ip"), Value::String(ip.to_owned()));
    put_uint(m, &format!("{prefix}_port"), port)
}

/// Parts of an HTTP request line `METHOD URL PROTOCOL`.
pub(crate) struct RequestLine<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub protocol: &'a str,
}

/// Splits a request line; the URL is everything between the first and last space, since malformed requests may contain spaces.
pub(crate) fn split_request(s: &str) -> RequestLine<'_> {
    let s = s.trim();
    let Some(first) = s.find(' ') else {
        return RequestLine {
            method: s,
            url: "",
            protocol: "",
        };
    };
    let method = &s[..first];
    let rest = s[first + 1..].trim_start();
    match rest.rfind(' ') {
        Some(last) => RequestLine {
            method,
            url: rest[..last].trim_end(),
            protocol: &rest[last + 1..],
        },
        None => RequestLine {
            method,
            url: rest,
            protocol: "",
        },
    }
}

/// Inserts `request` and its split `request_method`, `request_url`, `request_protocol`.
pub(crate) fn put_request(m: &mut Map<String, Value>, s: &str) {
    put_str(m, "request", s);
    let parts = split_request(s);
    put_str(m, "request_method", parts.method);
    put_str(m, "request_url", parts.url);
    put_str(m, "request_protocol", parts.protocol);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6_endpoints_split_on_the_last_colon() {
        assert_eq!(
            split_ip_port("192.168.131.39:2817"),
            Some(("192.168.131.39", "2817"))
        );
        assert_eq!(
            split_ip_port("2001:db8:85a3::8a2e:370:7334:443"),
            Some(("2001:db8:85a3::8a2e:370:7334", "443"))
        );
        assert_eq!(
            split_ip_port("[2001:db8::1]:8443"),
            Some(("2001:db8::1", "8443"))
        );
    }

    #[test]
    fn endpoint_without_port_is_an_error_naming_the_field() {
        let mut m = Map::new();
        let err = put_endpoint(&mut m, "client", "10.0.0.1").unwrap_err();
        assert!(err.contains("`client:port`"), "{err}");
        assert!(put_endpoint(&mut m, "client", "not-an-ip:80").is_err());
        assert!(put_endpoint(&mut m, "client", "10.0.0.1:99999").is_err());
        put_endpoint(&mut m, "target", "-").unwrap();
        assert!(m.is_empty());
    }

    #[test]
    fn request_line_splits_into_method_url_protocol() {
        let r = split_request("GET https://www.example.com:443/a b?c=d HTTP/1.1");
        assert_eq!(
            (r.method, r.url, r.protocol),
            ("GET", "https://www.example.com:443/a b?c=d", "HTTP/1.1")
        );
        let tcp = split_request("- - - ");
        assert_eq!((tcp.method, tcp.url, tcp.protocol), ("-", "-", "-"));
        let short = split_request("GET /");
        assert_eq!((short.method, short.url, short.protocol), ("GET", "/", ""));
    }

    #[test]
    fn numbers_keep_minus_one_and_reject_text() {
        let mut m = Map::new();
        put_f64(&mut m, "request_processing_time", "-1").unwrap();
        assert_eq!(m["request_processing_time"], serde_json::json!(-1.0));
        let err = put_uint(&mut m, "sent_bytes", "12x").unwrap_err();
        assert_eq!(
            err,
            "field `sent_bytes`: expected an unsigned integer, found \"12x\""
        );
        assert!(put_f64(&mut m, "t", "NaN").is_err());
    }
}
