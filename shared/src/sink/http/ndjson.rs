//! Plain NDJSON: one OCSF event per line, `Authorization: Bearer <token>`, any 2xx accepts
//! the whole batch.

use super::preset::{Preset, Problem, Reply};
use super::Attempt;
use crate::sink::Record;

/// Plain NDJSON to any endpoint that takes it.
pub(crate) struct Ndjson;

impl Preset for Ndjson {
    fn name(&self) -> &'static str {
        "ndjson"
    }

    fn auth_scheme(&self) -> &'static str {
        "Bearer"
    }

    fn index(&self, value: Option<String>) -> Result<Option<String>, Problem> {
        match value {
            None => Ok(None),
            Some(_) => Err(Problem::new(
                "has no effect with the ndjson preset",
                "no index, or S3CONNECTOR_HTTP_PRESET set to splunk_hec or elasticsearch",
            )),
        }
    }

    fn append(&self, body: &mut Vec<u8>, record: &Record, _context: &str) {
        body.extend_from_slice(record.json.as_bytes());
        body.push(b'\n');
    }

    fn judge(&self, reply: &Reply<'_>) -> Attempt {
        if reply.status.is_success() {
            Attempt::Delivered
        } else {
            Attempt::Reject(format!("HTTP {}: {}", reply.status, reply.excerpt))
        }
    }
}
