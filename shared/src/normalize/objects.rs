//! OCSF objects and attributes several sources share: `cloud`, endpoints, HTTP,
//! URL, TLS, traffic, the security control decision, accounts.

use super::classification::{
    activity, Activity, OTHER, PROFILE_CLOUD, PROFILE_SECURITY_CONTROL, UNKNOWN,
};
use super::out::{opt_hostname, opt_ip, opt_str, opt_uint, EventOut};
use std::net::IpAddr;

pub(super) fn write_cloud(
    out: &mut dyn EventOut,
    account: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
) {
    out.declare(PROFILE_CLOUD);
    out.open("cloud");
    out.str("provider", "AWS");
    opt_str(out, "region", region);
    opt_str(out, "zone", zone);
    out.open("account");
    opt_str(out, "uid", account);
    out.close();
    out.close();
}

/// Region and account from an ARN: `arn:partition:service:region:account:resource`.
pub(super) fn arn_region_account(arn: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return (None, None);
    }
    let (_partition, _service) = (parts.next(), parts.next());
    let region = parts.next().filter(|r| !r.is_empty());
    let account = parts.next().filter(|a| !a.is_empty());
    (region, account)
}

/// An endpoint the class requires, by its address and port; a record without an
/// address (a `-` or damaged one) names it [`UNKNOWN_NAME`], as OCSF's endpoint needs one
/// of its identifying attributes and the port alone is none of them.
pub(super) fn write_endpoint(
    out: &mut dyn EventOut,
    key: &'static str,
    ip: Option<&str>,
    port: Option<u64>,
) {
    out.open(key);
    let ip = ip.filter(|v| v.parse::<IpAddr>().is_ok());
    opt_ip(out, "ip", ip);
    opt_uint(out, "port", port);
    if ip.is_none() {
        out.str("name", UNKNOWN_NAME);
    }
    out.close();
}

pub(super) fn secs_to_ms(s: f64) -> i64 {
    // `as` saturates: an absurd input gives i64::MAX, never a wrap or a panic.
    (s * 1000.0).round() as i64
}

/// Epoch milliseconds of an epoch-seconds counter read from the input; `None` when it
/// does not fit (a value past the year 292 million is not a time).
pub(super) fn epoch_secs_to_ms(s: u64) -> Option<i64> {
    i64::try_from(s).ok()?.checked_mul(1000)
}

/// OCSF status for an HTTP response code.
pub(super) fn write_http_status(out: &mut dyn EventOut, code: Option<u64>) {
    let Some(code) = code else { return };
    // 000 (CloudFront: the viewer closed the connection before a response) and any
    // other code outside 100..400 is a failure.
    let (id, name) = if (100..400).contains(&code) {
        (1, "Success")
    } else {
        (2, "Failure")
    };
    out.uint("status_id", id);
    out.str("status", name);
    out.str("status_code", &code.to_string());
}

/// `connection_info.direction_id` (required in the object): 0 Unknown, 1 Inbound, 2 Outbound.
pub(super) fn write_direction(out: &mut dyn EventOut, id: u64) {
    out.uint("direction_id", id);
    out.str(
        "direction",
        match id {
            1 => "Inbound",
            2 => "Outbound",
            _ => "Unknown",
        },
    );
}

/// `http_response` (required in HTTP Activity, with `code`): the response code, or 0
/// when the log has none (the request was not answered, or by another component),
/// as CloudFront logs `000` for a viewer that left before the response.
pub(super) fn write_http_response(
    out: &mut dyn EventOut,
    code: Option<u64>,
    more: impl FnOnce(&mut dyn EventOut),
) {
    out.open("http_response");
    out.uint("code", code.unwrap_or(0));
    more(out);
    out.close();
}

pub(super) fn write_status(out: &mut dyn EventOut, id: u64, name: &str) {
    out.uint("status_id", id);
    out.str("status", name);
}

/// `http_request.http_method`: OCSF 1.3 defines CONNECT, DELETE, GET, HEAD, OPTIONS,
/// POST, PUT and TRACE. Another method (PATCH, WebDAV's PROPFIND...) is left out here;
/// `activity_id` still tells PATCH apart, and the original record keeps the method.
pub(super) fn write_http_method(out: &mut dyn EventOut, method: Option<&str>) {
    const DEFINED: [&str; 8] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE",
    ];
    if let Some(m) = method.and_then(|m| DEFINED.iter().find(|d| d.eq_ignore_ascii_case(m))) {
        out.str("http_method", m);
    }
}

pub(super) fn http_activity(method: Option<&str>) -> Activity {
    const METHODS: [(&str, Activity); 9] = [
        ("GET", activity(3, "Get")),
        ("POST", activity(6, "Post")),
        ("PUT", activity(7, "Put")),
        ("HEAD", activity(4, "Head")),
        ("DELETE", activity(2, "Delete")),
        ("OPTIONS", activity(5, "Options")),
        // OCSF 1.3 HTTP Activity defines no Patch activity: Other,
        // named by the method.
        ("PATCH", activity(99, "Patch")),
        ("CONNECT", activity(1, "Connect")),
        ("TRACE", activity(8, "Trace")),
    ];
    let Some(method) = method else { return UNKNOWN };
    METHODS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(method))
        .map_or(OTHER, |(_, a)| *a)
}

/// Writes OCSF `url` attributes for an absolute URL or a path with a query;
/// `host` names the host when the URL itself has none.
pub(super) fn write_url(out: &mut dyn EventOut, url: &str, host: Option<&str>) {
    out.open("url");
    out.str("url_string", url);
    let rest = match url.split_once("://") {
        Some((scheme, rest)) => {
            out.str("scheme", scheme);
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (hostname, port) = split_authority(&rest[..end]);
            opt_hostname(out, "hostname", Some(hostname));
            opt_uint(out, "port", port);
            &rest[end..]
        }
        None => {
            let (hostname, port) = host_and_port(host);
            opt_hostname(out, "hostname", hostname);
            opt_uint(out, "port", port);
            url
        }
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    opt_str(out, "path", Some(path));
    opt_str(out, "query_string", query);
    out.close();
}

/// `http_request.x_forwarded_for` from an `X-Forwarded-For` value (`client, proxy1,
/// proxy2`): only the addresses, in order; a proxy may write `unknown` or a port, which
/// stay in the original record. Nothing when no entry is an address.
pub(super) fn write_x_forwarded_for(out: &mut dyn EventOut, value: Option<&str>) {
    let Some(value) = value else { return };
    let ips = || {
        value
            .split(',')
            .map(str::trim)
            .filter(|ip| ip.parse::<IpAddr>().is_ok())
    };
    if ips().next().is_none() {
        return;
    }
    out.open_array("x_forwarded_for");
    for ip in ips() {
        out.str("", ip);
    }
    out.close();
}

/// The host and port of a URL authority or `Host` header: `example.com:8443`,
/// `[2001:db8::1]:8443` (brackets removed), `10.0.0.1`; a bare IPv6 address has no port,
/// and a port that is not one (`:x`, `:70000`) is none.
pub(super) fn split_authority(authority: &str) -> (&str, Option<u64>) {
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (authority, None),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (authority, None),
        },
    };
    (
        host,
        port.and_then(|p| p.parse::<u16>().ok()).map(u64::from),
    )
}

/// [`split_authority`] of an optional `Host` value.
pub(super) fn host_and_port(host: Option<&str>) -> (Option<&str>, Option<u64>) {
    host.map_or((None, None), |h| {
        let (name, port) = split_authority(h);
        (Some(name), port)
    })
}

pub(super) fn write_tls(
    out: &mut dyn EventOut,
    version: Option<&str>,
    cipher: Option<&str>,
    sni: Option<&str>,
) {
    // OCSF requires `version` in a tls object; without it the connection was not TLS.
    if version.is_none() {
        return;
    }
    out.open("tls");
    opt_str(out, "version", version);
    opt_str(out, "cipher", cipher);
    opt_str(out, "sni", sni);
    out.close();
}

pub(super) fn write_traffic(out: &mut dyn EventOut, bytes_in: Option<u64>, bytes_out: Option<u64>) {
    out.open("traffic");
    opt_uint(out, "bytes_in", bytes_in);
    opt_uint(out, "bytes_out", bytes_out);
    // The counters come from the input: a sum past the range is left out, not wrapped.
    opt_uint(
        out,
        "bytes",
        bytes_in.zip(bytes_out).and_then(|(i, o)| i.checked_add(o)),
    );
    out.close();
}

/// The security control's decision (profile `security_control`, which requires `action_id`).
pub(super) fn write_action(out: &mut dyn EventOut, action: (u64, &str), disposition: (u64, &str)) {
    out.declare(PROFILE_SECURITY_CONTROL);
    out.uint("action_id", action.0);
    out.str("action", action.1);
    out.uint("disposition_id", disposition.0);
    out.str("disposition", disposition.1);
}

/// The name written where a class requires an attribute the record does not have
/// (an API operation, an actor, an endpoint): documented per source in docs/mappings/.
pub(super) const UNKNOWN_NAME: &str = "unknown";

/// `actor.user` of a record that names no caller.
pub(super) fn write_unknown_user(out: &mut dyn EventOut) {
    out.open("actor");
    out.open("user");
    out.str("name", UNKNOWN_NAME);
    out.str("type", "Unknown");
    out.uint("type_id", 0);
    out.close();
    out.close();
}

pub(super) fn write_account(out: &mut dyn EventOut, account: Option<&str>) {
    out.open("account");
    opt_str(out, "uid", account);
    out.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LogType;
    use crate::normalize::test_support::{built, events};
    use serde_json::json;

    #[test]
    fn url_attributes_split_absolute_and_relative_urls() {
        let (absolute, _) = built(|out| write_url(out, "https://[2001:db8::1]:8443/a/b?x=1", None));
        let u = &absolute["url"];
        // An IPv6 literal is no `hostname_t`: the URL string keeps it.
        assert!(u.get("hostname").is_none(), "{u}");
        assert_eq!(u["port"], 8443);
        assert_eq!(u["path"], "/a/b");
        let (relative, _) =
            built(|out| write_url(out, "/bucket?versioning", Some("bucket.s3.amazonaws.com")));
        let rel = &relative["url"];
        assert_eq!(rel["path"], "/bucket");
        assert_eq!(rel["query_string"], "versioning");
        assert_eq!(rel["hostname"], "bucket.s3.amazonaws.com");
        let (with_port, _) = built(|out| write_url(out, "/x", Some("app.example.com.:8443")));
        assert_eq!(with_port["url"]["hostname"], "app.example.com");
        assert_eq!(with_port["url"]["port"], 8443);
    }

    #[test]
    fn http_status_000_and_codes_outside_100_to_399_are_failures() {
        let input = "#Version: 1.0\n#Fields: date time sc-status\n2019-12-04\t21:02:31\t000\n2019-12-04\t21:02:31\t304\n";
        let evs = events(LogType::CloudFront, input, "cf/x.gz");
        assert_eq!(
            (evs[0]["status_id"].clone(), evs[0]["status"].clone()),
            (json!(2), json!("Failure"))
        );
        assert_eq!(evs[1]["status_id"], 1);
    }
}
