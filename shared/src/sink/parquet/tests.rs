use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};

use super::*;
use crate::logs::test_support::collect;
use crate::normalize::test_support::{all_samples, source, RAW_MODES};
use crate::normalize::ColumnEvents;
use crate::normalize::{NormalizeOptions, Normalizer};
use crate::ocsf_check::tests::assert_valid;
use crate::sink::Record;

/// A chunk's events as one Parquet file per class, every row in one partition.
fn encode(events: ColumnEvents) -> Result<Vec<ParquetFile>, ParquetError> {
    encode_partitioned(events, &|_| String::new())
}

/// The events of one sample as the pipeline hands them to a sink: NDJSON lines, and
/// the same events written as Arrow columns.
fn records(
    log_type: crate::logs::LogType,
    input: &str,
    key: &str,
    opts: NormalizeOptions,
) -> (Vec<Record>, ColumnEvents) {
    let got = collect(log_type, input);
    assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
    let src = source(key);
    let normalizer = Normalizer::new(log_type, &src, opts);
    let mut columns = ColumnEvents::default();
    let records = got
        .records
        .iter()
        .map(|r| {
            let mut json = String::new();
            let meta = normalizer.write_event(r, &mut json);
            let (column_meta, len) = normalizer.write_columns(r, &mut columns);
            assert_eq!(column_meta.uid, meta.uid);
            assert_eq!(
                len,
                json.len() as u64 + 1,
                "the NDJSON length is counted exactly"
            );
            Record {
                uid: meta.uid,
                time_ms: meta.time_ms,
                json,
            }
        })
        .collect();
    assert_eq!(columns.error(), None, "{log_type}");
    (records, columns)
}

/// Events given as JSON text, written into columns member by member.
fn columns_of(records: &[Record]) -> ColumnEvents {
    let mut columns = ColumnEvents::default();
    for r in records {
        columns.push_json_text(&r.uid, r.time_ms, &r.json);
    }
    columns
}

/// A Parquet file's rows as JSON events, `json_t` columns parsed back into objects:
/// what a reader of the file sees, in the shape of the NDJSON event.
pub(crate) fn read_back(body: &[u8]) -> (arrow_schema::SchemaRef, usize, Vec<Value>) {
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(body)).unwrap();
    let row_groups = reader.metadata().num_row_groups();
    let schema = reader.schema().clone();
    let reader = reader.build().unwrap();
    let mut events = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let mut writer = arrow_json::LineDelimitedWriter::new(Vec::new());
        writer.write_batches(&[&batch]).unwrap();
        writer.finish().unwrap();
        for line in String::from_utf8(writer.into_inner()).unwrap().lines() {
            let mut ev: Value = serde_json::from_str(line).unwrap();
            if let Some(text) = ev.get("unmapped").and_then(Value::as_str) {
                ev["unmapped"] = serde_json::from_str(text).unwrap();
            }
            if let Some(list) = ev.get_mut("resources").and_then(Value::as_array_mut) {
                for r in list {
                    if let Some(text) = r.get("data").and_then(Value::as_str) {
                        r["data"] = serde_json::from_str(text).unwrap();
                    }
                }
            }
            events.push(ev);
        }
    }
    (schema, row_groups, events)
}

/// Every sample of every format in every raw mode: the Parquet rows, read back, are the
/// NDJSON events field for field (nothing dropped, nothing retyped), valid OCSF, and
/// every file has its class's full schema.
#[test]
fn parquet_rows_equal_the_ndjson_events_for_every_sample() {
    let fallback = NormalizeOptions {
        fallback_time_ms: Some(1_700_000_000_000),
        ..NormalizeOptions::default()
    };
    for (log_type, input, key) in all_samples() {
        for keep_raw in RAW_MODES {
            let opts = NormalizeOptions {
                keep_raw,
                ..fallback
            };
            let (recs, columns) = records(log_type, &input, key, opts);
            let files = encode(columns).unwrap();
            let mut got: Vec<Value> = Vec::new();
            for file in &files {
                let (schema, row_groups, events) = read_back(&file.body);
                assert_eq!(
                    schema,
                    schema::class_schema(file.class_uid).unwrap(),
                    "{log_type}"
                );
                assert_eq!(row_groups, 1);
                assert_eq!(events.len(), file.rows);
                assert!(events.iter().all(|e| e["class_uid"] == file.class_uid));
                assert!(
                    crate::normalize::log_type_classes(log_type).contains(&file.class_uid),
                    "{log_type} wrote class {}",
                    file.class_uid
                );
                got.extend(events);
            }
            let mut want: Vec<Value> = recs
                .iter()
                .map(|r| serde_json::from_str(&r.json).unwrap())
                .collect();
            let by_uid = |e: &Value| e["metadata"]["uid"].as_str().unwrap().to_owned();
            got.sort_by_key(by_uid);
            want.sort_by_key(by_uid);
            assert_eq!(got.len(), want.len(), "{log_type} {keep_raw:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{log_type} {keep_raw:?}");
                assert_valid(g);
            }
        }
    }
}

fn event(class_uid: u64, time: i64, uid: &str) -> Record {
    Record {
        uid: uid.into(),
        time_ms: Some(time),
        json: json!({
            "class_uid": class_uid, "time": time, "metadata": {"uid": uid},
            "unmapped": {"source_object": {"key": "k"}},
        })
        .to_string(),
    }
}

#[test]
fn rows_are_sorted_by_time_per_class_and_the_bytes_are_deterministic() {
    let recs = vec![
        event(4001, 30, "c"),
        event(4002, 5, "h"),
        event(4001, 10, "a"),
        event(4001, 10, "b"),
    ];
    let files = encode(columns_of(&recs)).unwrap();
    assert_eq!(
        files
            .iter()
            .map(|f| (f.class_uid, f.first, f.rows))
            .collect::<Vec<_>>(),
        [(4001, 0, 3), (4002, 1, 1)]
    );
    let (_, _, network) = read_back(&files[0].body);
    let order: Vec<&str> = network
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["a", "b", "c"]);
    // A retried chunk overwrites its objects with the same bytes.
    assert_eq!(encode(columns_of(&recs)).unwrap(), files);
}

#[test]
fn attributes_without_a_column_go_to_unmapped_and_the_chunk_is_delivered() {
    let mut rec = event(4001, 1, "x");
    rec.json = json!({
        "class_uid": 4001, "time": 1, "not_ocsf": 1, "metadata": {"uid": "x", "extra": {"a": [true]}},
        "unmapped": {"source_object": {"key": "k"}},
    })
    .to_string();
    let files = encode(columns_of(&[rec, event(4001, 2, "y")])).unwrap();
    let (_, _, rows) = read_back(&files[0].body);
    assert_eq!(rows.len(), 2);
    // `read_back` parses the `unmapped` text.
    assert_eq!(
        rows[0]["unmapped"],
        json!({"source_object": {"key": "k"}, "not_ocsf": 1, "metadata.extra": {"a": [true]}})
    );
    assert_eq!(rows[0]["metadata"], json!({"uid": "x"}));
    assert_eq!(rows[1]["unmapped"], json!({"source_object": {"key": "k"}}));
}

#[test]
fn attributes_of_the_wrong_type_and_unknown_classes_are_errors_not_dropped() {
    let mut rec = event(4001, 1, "x");
    rec.json = json!({"class_uid": 4001, "time": 1, "severity_id": "high"}).to_string();
    let err = encode(columns_of(&[rec])).unwrap_err();
    assert!(
        matches!(&err, ParquetError::Encode { class_uid: 4001, reason } if reason.contains("severity_id")),
        "{err}"
    );
    let err = encode(columns_of(&[event(9999, 1, "y")])).unwrap_err();
    assert_eq!(
        err,
        ParquetError::UnknownClass {
            uid: "y".into(),
            class_uid: 9999
        }
    );
    let mut broken = event(4001, 1, "z");
    broken.json = "not json".into();
    assert!(matches!(
        encode(columns_of(&[broken])),
        Err(ParquetError::BadEvent { .. })
    ));
}

/// `docs/parquet-schema.md` is generated from the schema tables.
#[test]
fn parquet_schema_doc_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/parquet-schema.md");
    let want = schema::schema_markdown();
    if std::env::var_os("WRITE_DOCS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let got = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        got == want,
        "docs/parquet-schema.md is out of date: run WRITE_DOCS=1 cargo test -p s3connector parquet_schema_doc"
    );
}

/// Every OCSF attribute a mapping page (`docs/mappings/*.md`) says its source writes has a
/// column in that class's Parquet schema: an attribute without one would reject the whole
/// object in Parquet mode (a DNS Firewall record's `firewall_rule`, CloudTrail's
/// `api.version`). Attribute paths are the backticked names in the OCSF column of each
/// table that the OCSF 1.3.0 schema resolves for the page's class.
#[test]
fn every_attribute_the_mapping_pages_name_has_a_parquet_column() {
    let table: Value =
        serde_json::from_str(include_str!("../../../ocsf/schema-1.3.0.json")).expect("table");
    // The OCSF attribute at `path` in class `uid`, if the schema has one.
    let resolves = |uid: u64, path: &str| -> bool {
        let mut attributes = &table["classes"][uid.to_string()]["attributes"];
        for (i, name) in path.split('.').enumerate() {
            let name = name.trim_end_matches("[]");
            let Some(attribute) = attributes.get(name) else {
                return false;
            };
            if i + 1 < path.split('.').count() {
                let Some(object) = attribute["o"].as_str() else {
                    return false;
                };
                attributes = &table["objects"][object]["attributes"];
            }
        }
        true
    };
    // Whether the class's Parquet schema has a column at `path`.
    let has_column = |uid: u64, path: &str| -> bool {
        let mut members: Vec<(&str, schema::Ty)> = schema::class_columns(uid).expect("class");
        let names: Vec<&str> = path.split('.').collect();
        for (i, name) in names.iter().enumerate() {
            let name = name.trim_end_matches("[]");
            let Some((_, ty)) = members.iter().find(|(n, _)| *n == name).copied() else {
                return false;
            };
            if i + 1 < names.len() {
                members = match ty {
                    schema::Ty::Obj(m) | schema::Ty::ObjList(m) => m.to_vec(),
                    // Below a JSON text column anything goes.
                    schema::Ty::Json => return true,
                    _ => return false,
                };
            }
        }
        true
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/mappings");
    let mut checked = 0;
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).expect("docs/mappings") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("page");
        // `# Source → Class Name (uid)...`
        let Some(uid) = text.lines().next().and_then(|title| {
            let open = title.find(" (")?;
            let close = title[open..].find(')')? + open;
            title[open + 2..close].parse::<u64>().ok()
        }) else {
            continue;
        };
        for row in text.lines().filter(|l| l.starts_with('|')) {
            let Some(cell) = row.split('|').nth(2) else {
                continue;
            };
            for token in cell.split('`').skip(1).step_by(2) {
                let plain = !token.is_empty()
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b"_.[]".contains(&b))
                    && !token.starts_with('.');
                if plain && resolves(uid, token) {
                    checked += 1;
                    if !has_column(uid, token) {
                        missing.push(format!("{} ({uid}): {token}", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} attributes found in the pages"
    );
    assert!(missing.is_empty(), "no Parquet column for: {missing:#?}");
}

#[test]
fn columns_without_values_are_written_uncompressed_and_the_others_zstd() {
    let (_, columns) = records(
        crate::logs::LogType::VpcFlow,
        crate::logs::vpc_flow::samples::DEFAULT_FILE,
        "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/f.log.gz",
        NormalizeOptions::default(),
    );
    let files = encode(columns).unwrap();
    let reader = ::parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(
        files[0].body.clone(),
    ))
    .unwrap();
    use ::parquet::file::reader::FileReader;
    let group = reader.metadata().row_group(0);
    let codec = |path: &str| {
        group
            .columns()
            .iter()
            .find(|c| c.column_path().string() == path)
            .map(|c| c.compression())
            .unwrap()
    };
    assert_eq!(codec("tls.sni"), Compression::UNCOMPRESSED);
    assert!(matches!(codec("src_endpoint.ip"), Compression::ZSTD(_)));
    assert!(matches!(codec("metadata.uid"), Compression::ZSTD(_)));
}
