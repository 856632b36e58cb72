//! `POST /connection-tests` over API Gateway HTTP API (payload v2) or a function URL,
//! independent of the Lambda HTTP types so tests drive it directly.

use serde_json::{json, Value};

use super::request::{parse_request, ValidationError};
use super::steps::{self, TestSettings};
use crate::aws::Clients;

/// Largest request body accepted; a real request is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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

/// Serves one request: 200 with the verdict, 400 naming the field and rule for invalid
/// input, 405 for methods other than POST, 413 for oversized and 415 for non-JSON bodies.
pub async fn handle(
    method: &str,
    content_type: Option<&str>,
    body: &[u8],
    clients: &Clients,
    settings: &TestSettings,
) -> HttpReply {
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
    let request = match parse_request(text).and_then(|r| r.validate()) {
        Ok(r) => r,
        Err(e) => return HttpReply::invalid(&e),
    };
    let verdict = steps::run(clients, settings, &request).await;
    HttpReply {
        status: 200,
        body: serde_json::to_value(verdict).expect("the verdict serialises"),
    }
}
