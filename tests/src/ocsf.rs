//! The OCSF 1.3.0 schema check for events the tests see (the committed table in
//! `shared/ocsf/`, checked by `s3connector::ocsf_check`).

use std::sync::OnceLock;

use s3connector::ocsf_check::Schema;
use serde_json::Value;

/// The committed schema table, parsed once per test binary.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::from_json(include_str!("../../shared/ocsf/schema-1.3.0.json"))
            .expect("committed OCSF schema table")
    })
}

/// Panics with every violation when `event` is not an event a strict OCSF consumer accepts.
pub fn assert_valid_ocsf(event: &Value) {
    if let Err(report) = schema().check(event) {
        panic!("{report}");
    }
}
