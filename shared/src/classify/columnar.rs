//! Apache Parquet files, classified per value and per column: rows are read one at a time
//! (one page per column in memory), strings, binary UTF-8 and integers are values, nested
//! groups, lists and maps are columns by their path (`address.zip`, `phones[*]`).

use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::logs::parquet_pages::{check_file, guarded, MAX_PAGE_BYTES};
use parquet::record::Field;

use super::batch::{ObjectScan, Place};
use super::engine::Classifier;
use super::findings::{ObjectReport, ObjectStatus, SkipReason};
use super::format::SampleLimits;
use super::ClassifyError;

impl Classifier {
    /// Classifies a Parquet file. A file whose footer or schema cannot be read is
    /// `SKIPPED` as `malformed`; a page that fails to decode ends the reading, `PARTIAL`
    /// with the reason. Errors: [`ClassifyError::Read`] when the file cannot be opened.
    pub(crate) fn classify_parquet(
        &self,
        path: &Path,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let file = std::fs::File::open(path).map_err(ClassifyError::Read)?;
        let file_len = file.metadata().map_err(ClassifyError::Read)?.len();
        let probe = file.try_clone().map_err(ClassifyError::Read)?;
        let reader = match guarded(|| SerializedFileReader::new(file)) {
            Ok(r) => r,
            Err(e) => return Ok(malformed(e)),
        };
        // A damaged or hostile file can claim pages of gigabytes, which the parquet
        // crate would allocate: every page is checked before any is read.
        if let Err(e) = check_file(&probe, reader.metadata(), file_len, MAX_PAGE_BYTES) {
            return Ok(malformed(e));
        }
        let rows = match guarded(|| reader.get_row_iter(None)) {
            Ok(rows) => rows,
            Err(e) => return Ok(malformed(e)),
        };
        let mut scan = ObjectScan::new(self);
        let mut status = ObjectStatus::Complete;
        let mut detail = None;
        let mut n: u64 = 0;
        let mut path = String::new();
        let mut rows = rows;
        loop {
            let Some(row) = guarded(|| Ok(rows.next())).unwrap_or_else(|e| Some(Err(e))) else {
                break;
            };
            if limits.max_rows.is_some_and(|max| n >= max)
                || limits.max_bytes.is_some_and(|max| scan.bytes >= max)
            {
                status = ObjectStatus::Partial;
                break;
            }
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    status = ObjectStatus::Partial;
                    detail = Some(format!("Parquet data could not be read: {e}"));
                    break;
                }
            };
            n += 1;
            let place = Place {
                row: Some(n),
                ..Place::default()
            };
            for (name, field) in row.get_column_iter() {
                path.clear();
                path.push_str(name);
                visit(&mut scan, &mut path, name, field, &place);
            }
            scan.end_record();
        }
        scan.rows = n;
        let mut report = scan.finish(status, "parquet");
        report.detail = detail;
        Ok(report)
    }
}

/// Adds the values of `field` at column `path` (whose last name is `leaf`).
fn visit(
    scan: &mut ObjectScan<'_>,
    path: &mut String,
    leaf: &str,
    field: &Field,
    place: &Place<'_>,
) {
    let mut number = itoa::Buffer::new();
    let text: Option<&[u8]> = match field {
        Field::Str(s) => Some(s.as_bytes()),
        Field::Bytes(b) => std::str::from_utf8(b.data()).ok().map(str::as_bytes),
        Field::Int(v) => Some(number.format(*v).as_bytes()),
        Field::Long(v) => Some(number.format(*v).as_bytes()),
        Field::UInt(v) => Some(number.format(*v).as_bytes()),
        Field::ULong(v) => Some(number.format(*v).as_bytes()),
        Field::Group(row) => {
            let len = path.len();
            for (name, inner) in row.get_column_iter() {
                path.push('.');
                path.push_str(name);
                visit(scan, path, name, inner, place);
                path.truncate(len);
            }
            None
        }
        Field::ListInternal(list) => {
            let len = path.len();
            path.push_str("[*]");
            for inner in list.elements() {
                visit(scan, path, leaf, inner, place);
            }
            path.truncate(len);
            None
        }
        Field::MapInternal(map) => {
            let len = path.len();
            for (key, value) in map.entries() {
                path.push_str("{key}");
                visit(scan, path, leaf, key, place);
                path.truncate(len);
                path.push_str("{value}");
                visit(scan, path, leaf, value, place);
                path.truncate(len);
            }
            None
        }
        // Booleans, floats, dates, times, decimals: no detector reads them.
        _ => None,
    };
    if let Some(text) = text {
        let column = scan.column(path, Some(path), None, leaf);
        scan.value(column, text, *place);
    }
}

fn malformed(e: impl std::fmt::Display) -> ObjectReport {
    ObjectReport::skipped(
        SkipReason::Malformed,
        Some(format!("not a readable Parquet file: {e}")),
        "parquet",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;
    use crate::classify::tests::shared;
    use crate::classify::ObjectFormat;

    /// Writes a Parquet file with an `id` int64 column and the given string columns.
    fn write(path: &Path, columns: &[(&str, Vec<String>)]) {
        let mut schema = String::from("message m { required int64 id;");
        for (name, _) in columns {
            schema.push_str(&format!(" optional binary {name} (UTF8);"));
        }
        schema.push('}');
        let schema = Arc::new(parse_message_type(&schema).unwrap());
        let file = std::fs::File::create(path).unwrap();
        let props = Arc::new(WriterProperties::builder().build());
        let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
        let rows = columns[0].1.len();
        let mut group = writer.next_row_group().unwrap();
        let mut col = group.next_column().unwrap().unwrap();
        let ids: Vec<i64> = (0..rows as i64).map(|i| 700_000 + i).collect();
        col.typed::<Int64Type>()
            .write_batch(&ids, None, None)
            .unwrap();
        col.close().unwrap();
        for (_, values) in columns {
            let mut col = group.next_column().unwrap().unwrap();
            let data: Vec<ByteArray> = values.iter().map(|v| ByteArray::from(v.as_str())).collect();
            let defs = vec![1i16; data.len()];
            col.typed::<ByteArrayType>()
                .write_batch(&data, Some(&defs), None)
                .unwrap();
            col.close().unwrap();
        }
        group.close().unwrap();
        writer.close().unwrap();
    }

    /// An SSN column stored as integers loses leading zeros (`071124423` is 71124423):
    /// under a name that says SSN, the value is read zero-padded.
    #[test]
    fn integer_ssn_column_is_read_with_its_leading_zeros() {
        let dir = std::env::temp_dir().join(format!("s3c-pq-int-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ssn.parquet");
        let schema = Arc::new(
            parse_message_type("message m { required int64 ssn; required int64 qty; }").unwrap(),
        );
        let file = std::fs::File::create(&path).unwrap();
        let props = Arc::new(WriterProperties::builder().build());
        let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let ssns: Vec<i64> = vec![536228726, 71124423, 24278655, 212458769, 1124423];
        let qty: Vec<i64> = vec![71124423, 24278655, 3, 4, 5];
        for values in [&ssns, &qty] {
            let mut col = group.next_column().unwrap().unwrap();
            col.typed::<Int64Type>()
                .write_batch(values, None, None)
                .unwrap();
            col.close().unwrap();
        }
        group.close().unwrap();
        writer.close().unwrap();
        let r = shared()
            .classify_file(&ObjectFormat::Parquet, &path, &SampleLimits::NONE)
            .unwrap();
        let ssn = r.findings.iter().find(|f| f.detector == "us_ssn").unwrap();
        let rows: Vec<_> = ssn.locations.iter().map(|l| l.row.unwrap()).collect();
        assert_eq!(rows, [1, 2, 3, 4, 5], "{:?}", r.findings);
        assert!(
            ssn.locations
                .iter()
                .all(|l| l.column_name.as_deref() == Some("ssn")),
            "nothing padded under qty: {:?}",
            ssn.locations
        );
        assert_eq!(ssn.locations[1].length, 9, "the padded value");
        // The same in CSV (a spreadsheet drops the zeros) and in JSON numbers.
        let csv = "name,ss_num\na,71124423\nb,24278655\n";
        let r = shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap();
        assert_eq!(
            r.findings.iter().map(|f| f.count).sum::<u64>(),
            2,
            "{:?}",
            r.findings
        );
        let json = "{\"person\": {\"SSN\": 71124423}}\n";
        let r = shared()
            .classify_stream(
                &ObjectFormat::JsonLines,
                json.as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap();
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parquet_values_are_found_by_row_and_column_and_columns_labelled() {
        let dir = std::env::temp_dir().join(format!("s3c-pq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("people.parquet");
        let emails: Vec<String> = (0..10)
            .map(|i| format!("user{i}@mail.example.org"))
            .collect();
        let ibans: Vec<String> = (0..10)
            .map(|i| {
                if i == 4 {
                    "DE44500105175407324931".to_string()
                } else {
                    format!("note {i}")
                }
            })
            .collect();
        write(&path, &[("email", emails), ("comment", ibans)]);
        let head = std::fs::read(&path).unwrap();
        let format = ObjectFormat::detect("people.parquet", &head[..8]);
        assert_eq!(format, ObjectFormat::Parquet);
        let r = shared()
            .classify_file(&format, &path, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Complete, "{r:?}");
        assert_eq!(r.rows, Some(10));
        let iban = r.findings.iter().find(|f| f.detector == "iban").unwrap();
        let l = &iban.locations[0];
        assert_eq!(
            (l.row, l.column_name.as_deref()),
            (Some(5), Some("comment"))
        );
        let labels: Vec<_> = r
            .columns
            .iter()
            .map(|c| (c.column.as_str(), c.detector.as_str()))
            .collect();
        assert_eq!(labels, [("email", "email")]);
        let cut = shared()
            .classify_file(
                &format,
                &path,
                &SampleLimits {
                    max_rows: Some(3),
                    max_bytes: None,
                },
            )
            .unwrap();
        assert_eq!(cut.status, ObjectStatus::Partial);
        assert_eq!(cut.rows, Some(3));

        let clean = dir.join("clean.parquet");
        write(
            &clean,
            &[("sku", (0..50).map(|i| format!("SKU-{i:05}")).collect())],
        );
        let r = shared()
            .classify_file(&format, &clean, &SampleLimits::NONE)
            .unwrap();
        assert!(r.findings.is_empty(), "{:?}", r.findings);

        std::fs::write(&clean, b"PAR1 but not really").unwrap();
        let r = shared()
            .classify_file(&format, &clean, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Skipped);
        assert_eq!(r.reason, Some(SkipReason::Malformed));

        // A page claiming 2 GiB is refused before the parquet crate allocates it.
        let huge = dir.join("huge.parquet");
        let good = std::fs::read(&path).unwrap();
        let bad = crate::logs::parquet_pages::test_support::claim_huge_first_page(&good);
        std::fs::write(&huge, bad).unwrap();
        let r = shared()
            .classify_file(&format, &huge, &SampleLimits::NONE)
            .unwrap();
        assert_eq!(r.reason, Some(SkipReason::Malformed), "{r:?}");
        let detail = r.detail.unwrap();
        assert!(
            detail.contains("claims 2147483647 bytes uncompressed"),
            "{detail}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
