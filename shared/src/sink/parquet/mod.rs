//! OCSF Apache Parquet output: a chunk's events as one Parquet file per OCSF class.
//!
//! The mappings are written once, against the normalizer's event writers; the Parquet
//! path takes the same event text the NDJSON path writes (so chunk cuts, uids and
//! every attribute are identical) and decodes it into the class's Arrow columns with
//! `arrow-json`, in strict mode: an attribute with no column is an error, never
//! dropped. `json_t` attributes ([`schema::json_columns`]) become JSON text first. Rows
//! are sorted by `time` (ties keep record order), written zstd-compressed as one row
//! group, so a row group is bounded by the chunk limits (`S3CONNECTOR_CHUNK_RECORDS`,
//! `S3CONNECTOR_CHUNK_MAX_BYTES`), far below Security Lake's 256 MB.

pub mod schema;

use std::collections::BTreeMap;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::file::properties::WriterProperties;
use arrow_array::RecordBatch;
use serde_json::value::RawValue;
use serde_json::Value;

use super::Record;

/// Zstandard level of Parquet pages: level 1 keeps encoding well above gunzip speed,
/// and dictionary encoding already removes most of the repetition higher levels would.
const ZSTD_LEVEL: i32 = 1;

/// One Parquet file: the events of one OCSF class from a chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetFile {
    /// The OCSF `class_uid` of every row.
    pub class_uid: u64,
    /// Index, in the chunk's records, of this class's first record (it names the file's partition).
    pub first: usize,
    /// Rows in the file.
    pub rows: usize,
    /// The Parquet file's bytes.
    pub body: Vec<u8>,
}

/// Why a chunk could not be written as Parquet (a defect of this program, not of the data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParquetError {
    /// The event text is not an OCSF event object.
    #[error("event {uid} is not an OCSF event object: {reason}")]
    BadEvent {
        /// The event's `metadata.uid`.
        uid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The event's class has no Parquet schema.
    #[error("event {uid} has class_uid {class_uid}, which has no Parquet schema")]
    UnknownClass {
        /// The event's `metadata.uid`.
        uid: String,
        /// Its `class_uid`.
        class_uid: u64,
    },
    /// Arrow or Parquet refused the rows (an attribute without a column, a wrong type).
    #[error("encoding class {class_uid} as Parquet: {reason}")]
    Encode {
        /// The class being written.
        class_uid: u64,
        /// Arrow's or Parquet's message.
        reason: String,
    },
}

/// Encodes a chunk's records as one Parquet file per OCSF class, in ascending `class_uid`.
pub fn encode(records: &[Record]) -> Result<Vec<ParquetFile>, ParquetError> {
    let mut classes: BTreeMap<u64, Vec<(usize, String)>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let (class_uid, row) = to_row(record)?;
        classes.entry(class_uid).or_default().push((i, row));
    }
    classes
        .into_iter()
        .map(|(class_uid, mut rows)| {
            let first = rows[0].0;
            // Stable: events of the same millisecond keep their record order.
            rows.sort_by_key(|(i, _)| records[*i].time_ms.unwrap_or(i64::MIN));
            let batch = decode(class_uid, &rows)?;
            let body = write(class_uid, &batch)?;
            Ok(ParquetFile {
                class_uid,
                first,
                rows: rows.len(),
                body,
            })
        })
        .collect()
}

/// The event's class and its text with each `json_t` attribute turned into JSON text.
fn to_row(record: &Record) -> Result<(u64, String), ParquetError> {
    let bad = |reason: String| ParquetError::BadEvent {
        uid: record.uid.clone(),
        reason,
    };
    let members: Vec<(&str, &RawValue)> =
        serde_json::from_str::<BTreeMap<&str, &RawValue>>(&record.json)
            .map_err(|e| bad(e.to_string()))?
            .into_iter()
            .collect();
    let class_uid = members
        .iter()
        .find(|(k, _)| *k == "class_uid")
        .and_then(|(_, v)| v.get().parse::<u64>().ok())
        .ok_or_else(|| bad("no numeric class_uid".into()))?;
    if schema::class_columns(class_uid).is_none() {
        return Err(ParquetError::UnknownClass {
            uid: record.uid.clone(),
            class_uid,
        });
    }
    let mut row = String::with_capacity(record.json.len() + 64);
    row.push('{');
    for (n, (key, value)) in members.into_iter().enumerate() {
        if n > 0 {
            row.push(',');
        }
        row.push_str(&serde_json::to_string(key).expect("a string serializes"));
        row.push(':');
        match key {
            "unmapped" => row.push_str(&json_text(value.get())),
            "resources" => {
                let mut list: Vec<serde_json::Map<String, Value>> =
                    serde_json::from_str(value.get())
                        .map_err(|e| bad(format!("resources: {e}")))?;
                for resource in &mut list {
                    if let Some(data) = resource.get_mut("data") {
                        *data = Value::String(data.to_string());
                    }
                }
                row.push_str(&serde_json::to_string(&list).expect("JSON values serialize"));
            }
            _ => row.push_str(value.get()),
        }
    }
    row.push('}');
    Ok((class_uid, row))
}

/// A JSON value's text as a JSON string literal.
fn json_text(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn decode(class_uid: u64, rows: &[(usize, String)]) -> Result<RecordBatch, ParquetError> {
    let err = |e: arrow_schema::ArrowError| ParquetError::Encode {
        class_uid,
        reason: e.to_string(),
    };
    let schema = schema::class_schema(class_uid).expect("checked in to_row");
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .with_strict_mode(true)
        .build_decoder()
        .map_err(err)?;
    for (_, row) in rows {
        let mut text = row.as_bytes();
        while !text.is_empty() {
            let read = decoder.decode(text).map_err(err)?;
            text = &text[read..];
        }
        // A row is one JSON value; the decoder needs whitespace to know it ended.
        decoder.decode(b"\n").map_err(err)?;
    }
    Ok(decoder
        .flush()
        .map_err(err)?
        .unwrap_or_else(|| RecordBatch::new_empty(schema)))
}

fn write(class_uid: u64, batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let err = |e: ::parquet::errors::ParquetError| ParquetError::Encode {
        class_uid,
        reason: e.to_string(),
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
        ))
        .set_max_row_group_row_count(Some(batch.num_rows().max(1)))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).map_err(err)?;
    writer.write(batch).map_err(err)?;
    writer.into_inner().map_err(err)
}

#[cfg(test)]
mod tests;
