//! OCSF Apache Parquet output: a chunk's events as one Parquet file per OCSF class.
//!
//! The mappings are written once, against the normalizer's event writers; for Parquet
//! the pipeline writes each event straight into the Arrow columns of its class
//! ([`crate::normalize::ColumnEvents`], schema in [`schema`]), cutting chunks where the
//! NDJSON output cuts them (so chunk cuts, uids and every attribute are identical). An
//! attribute with no column goes, as its JSON text, into the event's `unmapped` under its
//! path (`"src_endpoint.x": ...`), so nothing is dropped and the object is still
//! delivered; one of the wrong type is an error. `json_t`
//! attributes ([`schema::json_columns`]) hold the JSON text the NDJSON output has for
//! them. Rows are sorted by `time` (ties keep record order), written zstd-compressed as
//! one row group, so a row group is bounded by the chunk limits
//! (`S3CONNECTOR_CHUNK_RECORDS`, `S3CONNECTOR_CHUNK_MAX_BYTES`), far below Security
//! Lake's 256 MB.

pub use crate::normalize::schema;
pub use split::PartitionOf;

mod sort;
mod split;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::file::properties::{EnabledStatistics, WriterProperties};
use ::parquet::schema::types::ColumnPath;
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};

use crate::normalize::{ColumnError, ColumnEvents};

/// Zstandard level of Parquet pages: level 1 keeps encoding well above gunzip speed,
/// and dictionary encoding already removes most of the repetition higher levels would.
const ZSTD_LEVEL: i32 = 1;

/// One Parquet file: the events of one OCSF class from a chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetFile {
    /// The OCSF `class_uid` of every row.
    pub class_uid: u64,
    /// Index, in the chunk's events, of this class's first event.
    pub first: usize,
    /// What the output key takes from that first event.
    pub first_event: FirstEvent,
    /// Rows in the file.
    pub rows: usize,
    /// The Parquet file's bytes.
    pub body: Vec<u8>,
}

/// The attributes of a file's first row (its earliest event) its output key is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstEvent {
    /// Its `time`, epoch milliseconds.
    pub time_ms: Option<i64>,
    /// Its `cloud.account.uid`.
    pub account: Option<String>,
    /// Its `cloud.region`.
    pub region: Option<String>,
}

/// Why a chunk could not be written as Parquet (a defect of this program, not of the data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParquetError {
    /// The event is not an OCSF event object.
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
    /// An attribute without a column, a wrong type, or Arrow or Parquet refusing the rows.
    #[error("encoding class {class_uid} as Parquet: {reason}")]
    Encode {
        /// The class being written.
        class_uid: u64,
        /// What is wrong.
        reason: String,
    },
}

impl From<ColumnError> for ParquetError {
    fn from(e: ColumnError) -> Self {
        match e {
            ColumnError::NoClass { uid } => ParquetError::BadEvent {
                uid,
                reason: "no numeric class_uid".into(),
            },
            ColumnError::UnknownClass { uid, class_uid } => {
                ParquetError::UnknownClass { uid, class_uid }
            }
            ColumnError::Attribute {
                uid,
                class_uid,
                reason,
            } => ParquetError::Encode {
                class_uid,
                reason: format!("event {uid}: {reason}"),
            },
        }
    }
}

/// Encodes a chunk's events as one Parquet file per OCSF class and output partition, in
/// ascending `class_uid`, then in the order of each partition's earliest row:
/// `partition_of` names the partition of a row from its time, account and region (see
/// [`split::PartitionOf`]), so each file's rows all belong where its key puts it.
pub fn encode_partitioned(
    events: ColumnEvents,
    partition_of: PartitionOf<'_>,
) -> Result<Vec<ParquetFile>, ParquetError> {
    let mut classes = events.into_classes()?;
    classes.sort_by_key(|c| c.class_uid);
    let mut files = Vec::with_capacity(classes.len());
    for class in classes {
        let class_uid = class.class_uid;
        let err = |e: arrow_schema::ArrowError| ParquetError::Encode {
            class_uid,
            reason: e.to_string(),
        };
        let first = class.first;
        // Stable: events of the same millisecond keep their record order.
        let mut order: Vec<u32> = (0..class.times.len() as u32).collect();
        order.sort_by_key(|&i| class.times[i as usize].unwrap_or(i64::MIN));
        let times: Vec<Option<i64>> = order.iter().map(|&i| class.times[i as usize]).collect();
        let batch = class.into_batch().map_err(err)?;
        let batch = sort::sorted(batch, order).map_err(err)?;
        for (first_event, batch) in split::by_partition(batch, &times, partition_of).map_err(err)? {
            files.push(ParquetFile {
                class_uid,
                first,
                first_event,
                rows: batch.num_rows(),
                body: write(class_uid, &batch)?,
            });
        }
    }
    Ok(files)
}

/// Columns whose values are (nearly) all different: a dictionary only costs hashing
/// before the writer gives it up, and their minimum and maximum say nothing. Written
/// plain and without statistics, the values are the same (the bench: 4 to 9% faster,
/// files 1 to 3% smaller).
const UNIQUE_TEXT: &[&[&str]] = &[
    &["metadata", "uid"],
    // CloudTrail's `requestID`.
    &["api", "request", "uid"],
    &["raw_data"],
    &["unmapped"],
    &["resources", "list", "element", "data"],
];

/// Integer columns whose values are all different within a file (the record index): a
/// dictionary of them only costs hashing and holds every value again, so they are
/// written plain (their statistics stay: they say which records a file holds).
const UNIQUE_INTS: &[&[&str]] = &[&["metadata", "sequence"]];

fn write(class_uid: u64, batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let err = |e: ::parquet::errors::ParquetError| ParquetError::Encode {
        class_uid,
        reason: e.to_string(),
    };
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
        ))
        .set_max_row_group_row_count(Some(batch.num_rows().max(1)))
        // Minimum and maximum per column chunk (what engines prune row groups and files
        // with), not per page: a file is one row group of one page per column at the
        // default chunk limits, so page statistics only repeated them.
        .set_statistics_enabled(EnabledStatistics::Chunk);
    for path in UNIQUE_TEXT {
        let path = ColumnPath::new(path.iter().map(|p| p.to_string()).collect());
        props = props
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_statistics_enabled(path, EnabledStatistics::None);
    }
    for path in UNIQUE_INTS {
        let path = ColumnPath::new(path.iter().map(|p| p.to_string()).collect());
        props = props.set_column_dictionary_enabled(path, false);
    }
    for path in null_leaves(batch) {
        // A column chunk of nulls is a few bytes of levels that zstd cannot shrink:
        // written uncompressed, the writer creates no zstd contexts for it.
        props = props.set_column_compression(path, Compression::UNCOMPRESSED);
    }
    let props = props.build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).map_err(err)?;
    writer.write(batch).map_err(err)?;
    writer.into_inner().map_err(err)
}

/// The Parquet paths of the batch's leaf columns that hold no value.
fn null_leaves(batch: &RecordBatch) -> Vec<ColumnPath> {
    fn walk(array: &dyn Array, path: &mut Vec<String>, found: &mut Vec<ColumnPath>) {
        if let Some(object) = array.as_struct_opt() {
            for (field, member) in object.fields().iter().zip(object.columns()) {
                path.push(field.name().clone());
                walk(member.as_ref(), path, found);
                path.pop();
            }
        } else if let Some(list) = array.as_list_opt::<i32>() {
            path.extend(["list".to_owned(), "element".to_owned()]);
            walk(list.values().as_ref(), path, found);
            path.truncate(path.len() - 2);
        } else if array.null_count() == array.len() {
            found.push(ColumnPath::new(path.clone()));
        }
    }
    let mut found = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        walk(column.as_ref(), &mut vec![field.name().clone()], &mut found);
    }
    found
}

#[cfg(test)]
mod tests;
