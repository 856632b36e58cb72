//! Redaction of values that may carry secrets before they reach an error or a log line.

/// A URL safe to show: scheme, host, port and path kept; user info dropped; a query
/// string replaced by `?<redacted>`; a fragment dropped. Query strings and user info
/// are where endpoints carry credentials (`?token=`, `?sig=`, `user:password@`).
///
/// Input that is not an absolute URL is cut the same way by hand (at the first `?` or
/// `#`, user info before an `@` in the authority removed), so nothing after those
/// markers is ever shown.
pub fn url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(parsed) if parsed.has_host() => {
            let mut shown = format!("{}://", parsed.scheme());
            if let Some(host) = parsed.host_str() {
                shown.push_str(host);
            }
            if let Some(port) = parsed.port() {
                shown.push_str(&format!(":{port}"));
            }
            shown.push_str(parsed.path());
            if parsed.query().is_some() {
                shown.push_str("?<redacted>");
            }
            shown
        }
        _ => by_hand(raw),
    }
}

fn by_hand(raw: &str) -> String {
    let (before, query) = match raw.find(['?', '#']) {
        Some(at) => (&raw[..at], raw[at..].starts_with('?')),
        None => (raw, false),
    };
    let mut shown = match before.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        // No authority: anything before an `@` may still be a credential.
        None => before
            .rsplit_once('@')
            .map_or(before, |(_, rest)| rest)
            .to_owned(),
    };
    if query {
        shown.push_str("?<redacted>");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_host_port_and_path_are_kept() {
        assert_eq!(
            url("https://splunk.example.com:8088/services/collector/event"),
            "https://splunk.example.com:8088/services/collector/event"
        );
        assert_eq!(url("http://[::1]:9200/_bulk"), "http://[::1]:9200/_bulk");
    }

    #[test]
    fn query_strings_are_replaced_and_fragments_dropped() {
        assert_eq!(
            url("https://es.example.com/_bulk?api_key=s3cr3t&pretty"),
            "https://es.example.com/_bulk?<redacted>"
        );
        assert_eq!(
            url("https://h.example.com/p#token=x"),
            "https://h.example.com/p"
        );
        assert_eq!(
            url("https://h.example.com/p?"),
            "https://h.example.com/p?<redacted>"
        );
    }

    #[test]
    fn user_info_is_dropped() {
        assert_eq!(
            url("https://user:hunter2@logs.example.com/in?x=1"),
            "https://logs.example.com/in?<redacted>"
        );
        assert_eq!(
            url("https://token@logs.example.com/"),
            "https://logs.example.com/"
        );
    }

    #[test]
    fn text_that_is_not_a_url_is_cut_the_same_way() {
        assert_eq!(url("/relative/path?sig=abc"), "/relative/path?<redacted>");
        assert_eq!(url("not a url"), "not a url");
        assert_eq!(url("ftp//user:pw@host/x?y"), "host/x?<redacted>");
        assert_eq!(
            url("https://us€r:pw@bad host/p?q=1"),
            "https://bad host/p?<redacted>"
        );
        for secret in ["s3cr3t", "hunter2", "pw"] {
            for raw in [
                format!("https://a:{secret}@h/p"),
                format!("h/p?k={secret}"),
                format!("::{secret}@::"),
            ] {
                assert!(!url(&raw).contains(secret), "{raw} -> {}", url(&raw));
            }
        }
    }
}
