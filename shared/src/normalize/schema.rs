//! The Arrow schema of each OCSF class the mappings emit, for Parquet output.
//!
//! One schema per class, the same in every file: every column is always present and
//! null when an event has no value for it, so Athena, DuckDB, Glue crawlers and Amazon
//! Security Lake see one table shape per class. Columns are the OCSF 1.3.0 attributes
//! the mappings in `normalize/` write (field tables: `docs/mappings/`), typed as OCSF
//! types: `integer_t`/`long_t` and every `timestamp_t` (`time`, `start_time`,
//! `metadata.logged_time`...) as Int64 (epoch milliseconds, as OCSF defines
//! `timestamp_t` and as Security Lake's own OCSF tables store `time`: `bigint`), strings
//! as Utf8, objects as structs, arrays as lists. `json_t` values (`unmapped`,
//! `resources[].data`) are JSON text in a Utf8 column: their keys vary per record, which
//! no fixed struct can hold. The generated table is `docs/parquet-schema.md`.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

/// A column's type, as written in the tables below.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// Utf8 (OCSF `string_t` and its subtypes: `ip_t`, `url_t`...).
    Str,
    /// Int64 (OCSF `integer_t`, `long_t`, `timestamp_t` in epoch milliseconds).
    Int,
    /// Boolean.
    Bool,
    /// A JSON object as JSON text (OCSF `json_t`), Utf8.
    Json,
    /// A list of strings.
    StrList,
    /// A struct with these members.
    Obj(&'static [(&'static str, Ty)]),
    /// A list of structs with these members.
    ObjList(&'static [(&'static str, Ty)]),
}

use Ty::{Bool, Int, Json, Obj, ObjList, Str, StrList};

const ACCOUNT: Ty = Obj(&[("uid", Str)]);

const METADATA: Ty = Obj(&[
    ("version", Str),
    ("product", Obj(&[("name", Str), ("vendor_name", Str)])),
    ("uid", Str),
    ("log_name", Str),
    ("sequence", Int),
    ("profiles", StrList),
    ("labels", StrList),
    ("logged_time", Int),
    ("processed_time", Int),
]);

const CLOUD: Ty = Obj(&[
    ("provider", Str),
    ("region", Str),
    ("zone", Str),
    ("account", ACCOUNT),
]);

const ENDPOINT: Ty = Obj(&[
    ("hostname", Str),
    ("ip", Str),
    ("port", Int),
    ("name", Str),
    ("uid", Str),
    ("svc_name", Str),
    ("instance_uid", Str),
    ("interface_uid", Str),
    ("subnet_uid", Str),
    ("vpc_uid", Str),
    ("zone", Str),
    ("location", Obj(&[("country", Str)])),
]);

const CONNECTION_INFO: Ty = Obj(&[
    ("uid", Str),
    ("direction", Str),
    ("direction_id", Int),
    ("protocol_name", Str),
    ("protocol_num", Int),
    ("protocol_ver_id", Int),
    ("tcp_flags", Int),
]);

const TLS: Ty = Obj(&[("version", Str), ("cipher", Str), ("sni", Str)]);

const TRAFFIC: Ty = Obj(&[
    ("bytes", Int),
    ("bytes_in", Int),
    ("bytes_out", Int),
    ("packets", Int),
]);

const URL: Ty = Obj(&[
    ("url_string", Str),
    ("scheme", Str),
    ("hostname", Str),
    ("port", Int),
    ("path", Str),
    ("query_string", Str),
]);

const HTTP_REQUEST: Ty = Obj(&[
    ("uid", Str),
    ("http_method", Str),
    ("url", URL),
    ("version", Str),
    ("user_agent", Str),
    ("referrer", Str),
    ("x_forwarded_for", StrList),
    ("http_headers", ObjList(&[("name", Str), ("value", Str)])),
]);

const HTTP_RESPONSE: Ty = Obj(&[("code", Int), ("content_type", Str), ("length", Int)]);

const RESOURCES: Ty = ObjList(&[
    ("uid", Str),
    ("name", Str),
    ("type", Str),
    ("region", Str),
    ("cloud_partition", Str),
    ("data", Json),
    ("owner", Obj(&[("account", ACCOUNT)])),
]);

const ACTOR: Ty = Obj(&[
    ("app_name", Str),
    ("invoked_by", Str),
    (
        "user",
        Obj(&[
            ("uid", Str),
            ("uid_alt", Str),
            ("name", Str),
            ("type", Str),
            ("type_id", Int),
            ("credential_uid", Str),
            ("account", ACCOUNT),
        ]),
    ),
    (
        "session",
        Obj(&[("created_time", Int), ("is_mfa", Bool), ("issuer", Str)]),
    ),
]);

const API: Ty = Obj(&[
    ("operation", Str),
    ("version", Str),
    ("service", Obj(&[("name", Str)])),
    ("request", Obj(&[("uid", Str)])),
    (
        "response",
        Obj(&[("code", Int), ("error", Str), ("error_message", Str)]),
    ),
]);

/// The security control profile's matched rule (WAF, Route 53 DNS Firewall).
const FIREWALL_RULE: Ty = Obj(&[("uid", Str), ("type", Str)]);

const DNS_QUERY: Ty = Obj(&[("hostname", Str), ("type", Str), ("class", Str)]);

const DNS_ANSWERS: Ty = ObjList(&[("rdata", Str), ("type", Str), ("class", Str)]);

const FINDING_INFO: Ty = Obj(&[
    ("uid", Str),
    ("title", Str),
    ("desc", Str),
    ("types", StrList),
    ("created_time", Int),
    ("modified_time", Int),
    ("first_seen_time", Int),
    ("last_seen_time", Int),
]);

/// Attributes of every class: classification, time, outcome, the security control
/// profile's decision, `metadata`, `cloud`, and the original record.
const COMMON: &[(&str, Ty)] = &[
    ("time", Int),
    ("class_uid", Int),
    ("class_name", Str),
    ("category_uid", Int),
    ("category_name", Str),
    ("activity_id", Int),
    ("activity_name", Str),
    ("type_uid", Int),
    ("type_name", Str),
    ("severity_id", Int),
    ("severity", Str),
    ("status_id", Int),
    ("status", Str),
    ("status_code", Str),
    ("status_detail", Str),
    ("start_time", Int),
    ("end_time", Int),
    ("duration", Int),
    ("count", Int),
    ("message", Str),
    ("action_id", Int),
    ("action", Str),
    ("disposition_id", Int),
    ("disposition", Str),
    ("metadata", METADATA),
    ("cloud", CLOUD),
    ("raw_data", Str),
    ("unmapped", Json),
];

/// Named members of a struct: `(attribute, type)`.
pub type Members = &'static [(&'static str, Ty)];

/// The OCSF classes the mappings emit: uid, name, and the attributes beyond [`COMMON`].
pub const CLASSES: &[(u64, &str, Members)] = &[
    (0, "Base Event", &[]),
    (
        2004,
        "Detection Finding",
        &[
            ("finding_info", FINDING_INFO),
            ("resources", RESOURCES),
            ("risk_score", Int),
        ],
    ),
    (
        4001,
        "Network Activity",
        &[
            ("src_endpoint", ENDPOINT),
            ("dst_endpoint", ENDPOINT),
            ("connection_info", CONNECTION_INFO),
            ("tls", TLS),
            ("traffic", TRAFFIC),
        ],
    ),
    (
        4002,
        "HTTP Activity",
        &[
            ("src_endpoint", ENDPOINT),
            ("dst_endpoint", ENDPOINT),
            ("connection_info", CONNECTION_INFO),
            ("tls", TLS),
            ("traffic", TRAFFIC),
            ("http_request", HTTP_REQUEST),
            ("http_response", HTTP_RESPONSE),
            ("firewall_rule", FIREWALL_RULE),
        ],
    ),
    (
        4003,
        "DNS Activity",
        &[
            ("src_endpoint", ENDPOINT),
            ("dst_endpoint", ENDPOINT),
            ("connection_info", CONNECTION_INFO),
            ("query", DNS_QUERY),
            ("answers", DNS_ANSWERS),
            ("rcode_id", Int),
            ("rcode", Str),
            ("firewall_rule", FIREWALL_RULE),
        ],
    ),
    (
        6003,
        "API Activity",
        &[
            ("actor", ACTOR),
            ("api", API),
            ("src_endpoint", ENDPOINT),
            ("http_request", HTTP_REQUEST),
            ("resources", RESOURCES),
        ],
    ),
];

/// The members of a class's schema, [`COMMON`] first; `None` for a class the mappings never emit.
pub fn class_columns(class_uid: u64) -> Option<Vec<(&'static str, Ty)>> {
    let (_, _, own) = CLASSES.iter().find(|(uid, _, _)| *uid == class_uid)?;
    Some(COMMON.iter().chain(own.iter()).copied().collect())
}

fn data_type(ty: Ty) -> DataType {
    match ty {
        Str | Json => DataType::Utf8,
        Int => DataType::Int64,
        Bool => DataType::Boolean,
        StrList => DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
        Obj(members) => DataType::Struct(fields(members)),
        ObjList(members) => DataType::List(Arc::new(Field::new(
            "element",
            DataType::Struct(fields(members)),
            true,
        ))),
    }
}

fn fields(members: &[(&str, Ty)]) -> Fields {
    members
        .iter()
        .map(|(name, ty)| Field::new(*name, data_type(*ty), true))
        .collect()
}

/// The Arrow schema of `class_uid`'s Parquet files; `None` for a class the mappings never emit.
pub fn class_schema(class_uid: u64) -> Option<SchemaRef> {
    class_columns(class_uid).map(|columns| Arc::new(Schema::new(fields(&columns))))
}

/// Paths (`resources[].data`) of the columns holding JSON text, which events carry as objects.
pub fn json_columns(class_uid: u64) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(prefix: &str, members: &[(&str, Ty)], out: &mut Vec<String>) {
        for (name, ty) in members {
            let path = format!("{prefix}{name}");
            match ty {
                Json => out.push(path),
                Obj(m) => walk(&format!("{path}."), m, out),
                ObjList(m) => walk(&format!("{path}[]."), m, out),
                _ => {}
            }
        }
    }
    if let Some(columns) = class_columns(class_uid) {
        walk("", &columns, &mut out);
    }
    out
}

fn type_name(ty: Ty) -> &'static str {
    match ty {
        Str => "string",
        Int => "int64",
        Bool => "boolean",
        Json => "string (JSON text)",
        StrList => "list<string>",
        Obj(_) => "struct",
        ObjList(_) => "list<struct>",
    }
}

/// `docs/parquet-schema.md`: every column of every class, generated from the tables above.
pub fn schema_markdown() -> String {
    fn rows(prefix: &str, members: &[(&str, Ty)], out: &mut String) {
        for (name, ty) in members {
            let path = format!("{prefix}{name}");
            out.push_str(&format!("| `{path}` | {} |\n", type_name(*ty)));
            match ty {
                Obj(m) => rows(&format!("{path}."), m, out),
                ObjList(m) => rows(&format!("{path}[]."), m, out),
                _ => {}
            }
        }
    }
    let mut out = String::from(
        "# OCSF Parquet schema\n\n\
         Generated from `shared/src/normalize/schema.rs` (a test checks this page matches it;\n\
         `WRITE_DOCS=1 cargo test -p s3connector parquet_schema_doc` rewrites it).\n\n\
         With `S3CONNECTOR_OUTPUT_FORMAT=parquet` the S3 sink writes one Parquet file per OCSF\n\
         class per chunk (zstd, one row group, rows sorted by `time`). Every file of a class has\n\
         exactly the columns below, in this order, all nullable: a column an event has no value\n\
         for is null. Types: `int64` holds OCSF `integer_t`, `long_t` and `timestamp_t` (epoch\n\
         milliseconds, as OCSF defines it and as Security Lake's own OCSF tables store `time`);\n\
         `string (JSON text)` holds OCSF `json_t` objects whose keys vary per record\n\
         (`unmapped`: the source object and the original record; `resources[].data`). An\n\
         attribute an event has with no column here (none of the mappings writes one today)\n\
         is kept in `unmapped` under its path, for example `{\"src_endpoint.x\": 1}`.\n",
    );
    for (uid, name, _) in CLASSES {
        out.push_str(&format!(
            "\n## {name} (`class_uid` {uid})\n\n| Column | Type |\n| --- | --- |\n"
        ));
        rows("", &class_columns(*uid).expect("listed class"), &mut out);
    }
    out
}
