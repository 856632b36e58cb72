//! Elasticsearch and OpenSearch `_bulk`, `Authorization: ApiKey <token>`: each record a
//! `create` action with the record's uid as `_id`, then the document
//! (<https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html>).
//!
//! `create` makes redelivery idempotent: a document indexed by an earlier delivery
//! answers 409, which counts as delivered.

use serde::Deserialize;

use super::config::URL_VAR;
use super::preset::{Preset, Problem, Reply};
use super::{json_string, Attempt};
use crate::sink::{BatchSource, Record};

const DEFAULT_INDEX: &str = "ocsf";

/// Elasticsearch / OpenSearch `_bulk`.
pub(crate) struct Elasticsearch;

#[derive(Deserialize)]
struct BulkReply {
    errors: bool,
    #[serde(default)]
    items: Vec<std::collections::HashMap<String, BulkItem>>,
}

#[derive(Deserialize)]
struct BulkItem {
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl Preset for Elasticsearch {
    fn name(&self) -> &'static str {
        "elasticsearch"
    }

    fn auth_scheme(&self) -> &'static str {
        "ApiKey"
    }

    fn endpoint_path(&self, path: &str) -> Result<Option<String>, Problem> {
        let trimmed = path.trim_end_matches('/');
        Ok((!trimmed.ends_with("/_bulk")).then(|| format!("{trimmed}/_bulk")))
    }

    fn index(&self, value: Option<String>) -> Result<Option<String>, Problem> {
        let Some(value) = value else {
            return Ok(Some(DEFAULT_INDEX.to_owned()));
        };
        // Elasticsearch's own rules; checked here so a typo fails the cold start instead of
        // every document.
        let valid = value.len() <= 255
            && value != "."
            && value != ".."
            && !value.starts_with(['-', '_', '+'])
            && value.chars().all(|c| {
                !c.is_uppercase()
                    && !c.is_whitespace()
                    && !matches!(
                        c,
                        '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ':'
                    )
            });
        if valid {
            Ok(Some(value))
        } else {
            Err(Problem::new(
                "is not a valid Elasticsearch index name",
                "a lowercase name of at most 255 bytes, not starting with - _ +, without spaces or \\ / * ? \" < > | , # :",
            ))
        }
    }

    /// The start of every action line: `{"create":{"_index":<index>,"_id":`.
    fn delivery_context(&self, _source: &BatchSource, index: Option<&str>) -> String {
        format!(
            r#"{{"create":{{"_index":{},"_id":"#,
            json_string(index.unwrap_or(DEFAULT_INDEX))
        )
    }

    fn append(&self, body: &mut Vec<u8>, record: &Record, context: &str) {
        body.extend_from_slice(context.as_bytes());
        body.extend_from_slice(json_string(&record.uid).as_bytes());
        body.extend_from_slice(b"}}\n");
        body.extend_from_slice(record.json.as_bytes());
        body.push(b'\n');
    }

    fn judge(&self, reply: &Reply<'_>) -> Attempt {
        if !reply.status.is_success() {
            return Attempt::Reject(format!("HTTP {}: {}", reply.status, reply.excerpt));
        }
        let Ok(bulk) = serde_json::from_slice::<BulkReply>(reply.body) else {
            return Attempt::Reject(format!(
                "the reply is not an Elasticsearch _bulk response ({}); check that {URL_VAR} is the cluster base URL",
                reply.excerpt
            ));
        };
        if !bulk.errors {
            return Attempt::Delivered;
        }
        if bulk.items.len() != reply.pending.len() {
            return Attempt::Reject(format!(
                "_bulk answered {} items for {} documents",
                bulk.items.len(),
                reply.pending.len()
            ));
        }
        let mut retry = Vec::new();
        let mut first_retry_reason = None;
        for (position, item) in bulk.items.iter().enumerate() {
            let Some(item) = item.values().next() else {
                return Attempt::Reject(format!("_bulk item {position} is empty"));
            };
            let status = item.status;
            // 409: a document with this _id exists, i.e. an earlier delivery already indexed it.
            if (200..300).contains(&status) || status == 409 {
                continue;
            }
            let reason = bulk_error_reason(item);
            if status == 429 || status >= 500 {
                first_retry_reason.get_or_insert(format!("status {status}: {reason}"));
                retry.push(position);
            } else {
                return Attempt::Reject(format!(
                    "document {} of the batch rejected with status {status}: {reason}",
                    reply.first + reply.pending[position]
                ));
            }
        }
        if retry.is_empty() {
            return Attempt::Delivered;
        }
        Attempt::RetryItems {
            reason: format!(
                "{} of {} documents not accepted (first: {})",
                retry.len(),
                reply.pending.len(),
                first_retry_reason.unwrap_or_default()
            ),
            positions: retry,
        }
    }
}

fn bulk_error_reason(item: &BulkItem) -> String {
    match &item.error {
        Some(serde_json::Value::Object(error)) => {
            let kind = error
                .get("type")
                .and_then(|v| v.as_str())
                .unwrap_or("error");
            let reason = error
                .get("reason")
                .and_then(|v| v.as_str())
                .unwrap_or("no reason given");
            format!("{kind}: {reason}")
        }
        Some(serde_json::Value::String(reason)) => reason.clone(),
        Some(other) => other.to_string(),
        None => "no reason given".to_owned(),
    }
}
