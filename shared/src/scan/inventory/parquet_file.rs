//! Parquet inventory files: columns by name (`bucket`, `key`, `size`,
//! `last_modified_date` as TIMESTAMP_MILLIS...); keys are not encoded.

use std::fs::File;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use super::{canonical, set_field, InventoryError, InventoryRecord, Records};
use crate::logs::parquet_pages::{check_file, guarded, MAX_PAGE_BYTES};

/// Iterates the records of a Parquet inventory file.
pub(super) fn records(file: File, key: &str) -> Result<Records, InventoryError> {
    let key = key.to_string();
    let unreadable = |reason: String| InventoryError::Record {
        key: key.clone(),
        record: 0,
        reason: format!("not a readable Parquet file: {reason}"),
    };
    let len = file
        .metadata()
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    let probe = file.try_clone().map_err(|e| unreadable(e.to_string()))?;
    let reader =
        guarded(|| SerializedFileReader::new(file)).map_err(|e| unreadable(e.to_string()))?;
    // Pages are checked before any is read: a damaged file can claim gigabytes.
    check_file(&probe, reader.metadata(), len, MAX_PAGE_BYTES).map_err(unreadable)?;
    let mut rows = reader.into_iter();
    let mut n = 0u64;
    Ok(Box::new(
        std::iter::from_fn(move || guarded(|| Ok(rows.next())).unwrap_or_else(|e| Some(Err(e))))
            .map(move |row| {
                n += 1;
                let bad = |reason: String| InventoryError::Record {
                    key: key.clone(),
                    record: n,
                    reason,
                };
                let row = row.map_err(|e| bad(e.to_string()))?;
                let mut r = InventoryRecord::default();
                for (name, field) in row.get_column_iter() {
                    let column = canonical(name);
                    let text = match field {
                        Field::Null => continue,
                        Field::Str(s) => s.clone(),
                        Field::Bool(b) => b.to_string(),
                        Field::Long(v) => v.to_string(),
                        Field::Int(v) => v.to_string(),
                        Field::ULong(v) => v.to_string(),
                        Field::UInt(v) => v.to_string(),
                        Field::TimestampMillis(ms) => crate::reject::rfc3339(*ms),
                        Field::TimestampMicros(us) => crate::reject::rfc3339(us.div_euclid(1000)),
                        Field::Bytes(b) => String::from_utf8_lossy(b.data()).into_owned(),
                        other => other.to_string(),
                    };
                    set_field(&mut r, &column, &text).map_err(bad)?;
                }
                if r.key.is_empty() && r.bucket.is_empty() {
                    return Err(bad("no bucket or key column".into()));
                }
                Ok(r)
            }),
    ))
}
