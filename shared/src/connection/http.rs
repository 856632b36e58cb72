//! `POST /connection-tests` over API Gateway HTTP API (payload v2) or a function URL,
//! independent of the Lambda HTTP types so tests drive it directly.

use serde_json::{json, Value};

use super::request::{parse_request, ValidationError};
use super::steps::{self, TestSettings};
use crate::aws::Clients;

/// Largest request body accepted; a real request is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The one route served (besides `/`, where a Lambda function URL delivers requests).
pub const ROUTE: &str = "/connection-tests";

/// Whether `raw_path` is served. `stage` is API Gateway's stage: on a named stage the raw
/// path starts with `/<stage>`; `$default` (and function URLs) add nothing.
pub fn is_served_path(raw_path: &str, stage: Option<&str>) -> bool {
    let path = match stage.filter(|s| *s != "$default" && !s.is_empty()) {
        Some(stage) => raw_path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .unwrap_or(raw_path),
        None => raw_path,
    };
    let path = path.trim_end_matches('/');
    path.is_empty() || path == ROUTE
}

/// An HTTP answer: status code and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

impl HttpReply {
    fn error(status: u16, message: impl Into<String>) -> Self {
        HttpReply {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    fn invalid(e: &ValidationError) -> Self {
        HttpReply {
            status: 400,
            body: json!({ "error": e.to_string(), "field": e.field, "rule": e.rule }),
        }
    }
}

/// One HTTP request as the endpoint sees it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, such as `POST`.
    pub method: &'a str,
    /// The raw path (API Gateway's `rawPath`, or the function URL's).
    pub path: &'a str,
    /// API Gateway's stage, when there is one.
    pub stage: Option<&'a str>,
    /// The `content-type` header, if sent.
    pub content_type: Option<&'a str>,
    /// The body bytes.
    pub body: &'a [u8],
}

/// Serves one request: 200 with the verdict; 400 naming the field and rule for invalid
/// input or for what [`Trust::admit`](super::trust::Trust::admit) refuses; 404 for paths
/// other than [`ROUTE`] and `/`; 405 for methods other than POST; 413 for oversized and
/// 415 for non-JSON bodies.
pub async fn handle(
    request: HttpRequest<'_>,
    clients: &Clients,
    settings: &TestSettings,
) -> HttpReply {
    let HttpRequest {
        method,
        path,
        stage,
        content_type,
        body,
    } = request;
    if !is_served_path(path, stage) {
        return HttpReply::error(404, format!("no such path; POST to {ROUTE}"));
    }
    if !method.eq_ignore_ascii_case("POST") {
        return HttpReply::error(405, format!("method {method} is not allowed; use POST"));
    }
    let media_type = content_type.map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if media_type
        .as_deref()
        .is_some_and(|m| m != "application/json")
    {
        return HttpReply::error(
            415,
            "the request body must be JSON (content-type: application/json)",
        );
    }
    if body.len() > MAX_BODY_BYTES {
        return HttpReply::error(
            413,
            format!("the request body must be at most {MAX_BODY_BYTES} bytes"),
        );
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return HttpReply::invalid(&ValidationError::new("body", "must be UTF-8 JSON"));
    };
    let request = match parse_request(text)
        .and_then(|r| r.validate())
        .and_then(|r| settings.trust.admit(&r).map(|()| r))
    {
        Ok(r) => r,
        Err(e) => return HttpReply::invalid(&e),
    };
    let verdict = steps::run(clients, settings, &request).await;
    HttpReply {
        status: 200,
        body: serde_json::to_value(verdict).expect("the verdict serialises"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_route_and_the_function_url_root_are_served() {
        for (path, stage) in [
            ("/connection-tests", Some("$default")),
            ("/connection-tests/", None),
            ("/", None),
            ("", None),
            ("/prod/connection-tests", Some("prod")),
            ("/prod", Some("prod")),
        ] {
            assert!(is_served_path(path, stage), "{path} {stage:?}");
        }
        for (path, stage) in [
            ("/connection-tests/x", None),
            ("/admin", Some("$default")),
            ("/connection-testsx", None),
            ("/prod/connection-tests", None),
            ("/production/connection-tests", Some("prod")),
            ("/prod/other", Some("prod")),
            ("/../connection-tests", None),
        ] {
            assert!(!is_served_path(path, stage), "{path} {stage:?}");
        }
    }
}
