//! CSV inventory files: gzip, no header row, columns in the order of the manifest's
//! `fileSchema`, keys URL-encoded (form encoding: `+` is a space).

use std::io::BufRead;

use flate2::bufread::MultiGzDecoder;

use super::{canonical, set_field, InventoryError, InventoryRecord};
use crate::notification::decode_key;

/// Iterates the records of a gzip CSV inventory file.
pub(super) fn records<R: BufRead + Send + 'static>(
    reader: R,
    key: &str,
    file_schema: &str,
) -> Result<impl Iterator<Item = Result<InventoryRecord, InventoryError>> + Send, InventoryError> {
    let columns: Vec<String> = file_schema.split(',').map(canonical).collect();
    for required in ["bucket", "key"] {
        if !columns.iter().any(|c| c == required) {
            return Err(InventoryError::Record {
                key: key.to_string(),
                record: 0,
                reason: format!("fileSchema {file_schema:?} has no {required} column"),
            });
        }
    }
    let csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(MultiGzDecoder::new(reader));
    let key = key.to_string();
    let mut n = 0u64;
    Ok(csv.into_records().map(move |rec| {
        n += 1;
        let bad = |reason: String| InventoryError::Record {
            key: key.clone(),
            record: n,
            reason,
        };
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        if rec.len() != columns.len() {
            return Err(bad(format!(
                "{} fields, the fileSchema names {}",
                rec.len(),
                columns.len()
            )));
        }
        let mut r = InventoryRecord::default();
        for (column, value) in columns.iter().zip(rec.iter()) {
            if column == "key" {
                r.key = decode_key(value)
                    .ok_or_else(|| bad(format!("key {value:?} does not decode to UTF-8")))?;
            } else {
                set_field(&mut r, column, value).map_err(bad)?;
            }
        }
        Ok(r)
    }))
}
