//! VPC Flow Logs delivered to S3 as Apache Parquet (`FileFormat=parquet`, keys ending
//! `.log.parquet`).
//!
//! AWS writes one flat column per flow log field, named with underscores (`account_id`,
//! `log_status`) and typed as the "Parquet data type" of each field in the VPC user
//! guide's "Flow log records" table: INT_32 for `version`, `srcport`, `dstport`,
//! `protocol`, `tcp_flags` and `traffic_path`, INT_64 for `packets`, `bytes`, `start` and
//! `end`, STRING for the rest; a field that does not apply is null. Each row becomes the
//! line the same flow has in a text file (the columns in file order, `-` for a null) and
//! is read by [`VpcFlowHeader`] exactly as that line is, so a Parquet flow maps to the same
//! event as its text twin.
//!
//! Parquet locates its columns from a footer at the end of the file, so the object is
//! spooled to an anonymous temporary file first (bounded by [`SpoolLimits`]); it is then
//! read row group by row group and page by page through column readers, a batch of rows
//! at a time: memory holds one batch and one page per column, not the object. Each row
//! group's page headers are checked first ([`super::parquet_pages`]), so a damaged file
//! cannot make the reader allocate a page of any size it claims.

use std::io::{self, BufRead, Read, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;

use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};

use super::parquet_pages::{check_chunks, check_pages, guarded, MAX_PAGE_BYTES};
use super::vpc_flow::{is_known_field, VpcFlowHeader, VpcFlowRecord};
use super::{Emitter, Fields, ParquetRow, ParseError};

/// Default [`SpoolLimits::max_bytes`]: fits Lambda's default 512 MB of `/tmp` with room
/// to spare. AWS delivers a flow log file at least every 10 minutes, far smaller.
pub const DEFAULT_MAX_SPOOL_BYTES: u64 = 400 * 1024 * 1024;

/// Rows decoded per column at a time.
const BATCH_ROWS: usize = 1024;

/// Where a Parquet object is spooled before it is read, and how large it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolLimits {
    /// Directory of the temporary file; `None` is the system's (`/tmp` on Lambda).
    pub dir: Option<PathBuf>,
    /// Largest object spooled, in bytes (after any outer decompression); a larger one
    /// fails with [`ParseError::SpoolLimit`].
    pub max_bytes: u64,
}

impl Default for SpoolLimits {
    fn default() -> Self {
        SpoolLimits {
            dir: None,
            max_bytes: DEFAULT_MAX_SPOOL_BYTES,
        }
    }
}

/// Spools `reader` to a temporary file and reads it as a Parquet flow log file.
pub(crate) fn parse<R: BufRead>(
    mut reader: R,
    limits: &SpoolLimits,
    out: &mut Emitter<'_>,
) -> Result<(), ParseError> {
    let file = spool(&mut reader, limits)?;
    parse_file(file, out)
}

/// Copies `reader` to an anonymous temporary file (removed by the OS when closed, even
/// if the process dies), failing past `limits.max_bytes`.
fn spool(reader: &mut dyn Read, limits: &SpoolLimits) -> Result<std::fs::File, ParseError> {
    let dir = limits.dir.clone().unwrap_or_else(std::env::temp_dir);
    let failed = |source: io::Error| ParseError::Spool {
        dir: dir.display().to_string(),
        source,
    };
    let file = tempfile::tempfile_in(&dir).map_err(failed)?;
    let mut writer = io::BufWriter::with_capacity(256 * 1024, file);
    let mut limited = reader.take(limits.max_bytes.saturating_add(1));
    // Read errors (the source stream, decompression) keep their own meaning; only
    // write errors are the spool's.
    let mut buf = vec![0u8; 256 * 1024];
    let mut copied = 0u64;
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ParseError::Io(e)),
        };
        copied += n as u64;
        if copied > limits.max_bytes {
            return Err(ParseError::SpoolLimit {
                max_bytes: limits.max_bytes,
            });
        }
        writer.write_all(&buf[..n]).map_err(failed)?;
    }
    let mut file = writer.into_inner().map_err(|e| failed(e.into_error()))?;
    file.rewind().map_err(failed)?;
    Ok(file)
}

/// Reads a Parquet flow log file record by record (see the module documentation).
///
/// Errors: [`ParseError::InvalidParquet`] when the footer cannot be read, a column is
/// not a flat INT_32, INT_64 or STRING column, no column is a flow log field, or a page
/// is corrupt (records before it have been delivered).
pub(crate) fn parse_file<F: ChunkReader + 'static>(
    file: F,
    out: &mut Emitter<'_>,
) -> Result<(), ParseError> {
    let file_len = file.len();
    let file = Shared(Arc::new(file));
    let reader =
        guarded(|| SerializedFileReader::new(file.clone())).map_err(|e| invalid(format!("{e}")))?;
    let columns = columns(&reader)?;
    let header = Arc::new(VpcFlowHeader::from_columns(
        columns.iter().map(|c| c.name.as_str()),
    ));
    for group in 0..reader.num_row_groups() {
        let rows = reader.metadata().row_group(group).num_rows();
        let rows = u64::try_from(rows)
            .map_err(|_| invalid(format!("row group {group} declares {rows} rows")))?;
        // A row group wholly before `start_index` is passed over without reading it.
        if out.skipping_at_least(rows) {
            out.skip_many(rows);
            continue;
        }
        check_chunks(reader.metadata().row_group(group), group, file_len).map_err(invalid)?;
        check_pages(
            &file,
            reader.metadata().row_group(group),
            group,
            MAX_PAGE_BYTES,
        )
        .map_err(invalid)?;
        let row_group = guarded(|| reader.get_row_group(group))
            .map_err(|e| invalid(format!("row group {group}: {e}")))?;
        let read = read_row_group(row_group.as_ref(), group, &columns, &header, out)?;
        if out.summary.stopped_early {
            break;
        }
        // Indexes must not depend on whether a resumed read skipped this group by its
        // declared count: a file whose counts lie is refused.
        if read != rows {
            return Err(invalid(format!(
                "row group {group} declares {rows} rows but its columns hold {read}"
            )));
        }
    }
    Ok(())
}

/// A file shared by the Parquet reader and the page check.
struct Shared<F>(Arc<F>);

impl<F> Clone for Shared<F> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<F: ChunkReader> parquet::file::reader::Length for Shared<F> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<F: ChunkReader> ChunkReader for Shared<F> {
    type T = F::T;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        self.0.get_read(start)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.0.get_bytes(start, length)
    }
}

fn invalid(reason: String) -> ParseError {
    ParseError::InvalidParquet { reason }
}

/// One column as the file declares it.
struct ColumnSpec {
    name: String,
    physical: PhysicalType,
    /// Whether the column may hold nulls (its definition level is 1).
    optional: bool,
}

/// The file's columns, checked to be a flat flow log layout.
fn columns<F: ChunkReader + 'static>(
    reader: &SerializedFileReader<F>,
) -> Result<Vec<ColumnSpec>, ParseError> {
    let schema = reader.metadata().file_metadata().schema_descr();
    let mut specs = Vec::with_capacity(schema.num_columns());
    for column in schema.columns() {
        let parts = column.path().parts();
        let name = column.path().string();
        if parts.len() != 1 || column.max_rep_level() != 0 || column.max_def_level() > 1 {
            return Err(invalid(format!(
                "column `{name}` is nested or repeated; flow log columns are flat"
            )));
        }
        let physical = column.physical_type();
        if !matches!(
            physical,
            PhysicalType::INT32 | PhysicalType::INT64 | PhysicalType::BYTE_ARRAY
        ) {
            return Err(invalid(format!(
                "column `{name}` is {physical}; flow log columns are INT_32, INT_64 or STRING"
            )));
        }
        // A value with a logical type (a timestamp, a date, a decimal) is not the number
        // or text a flow log field holds: reading its raw integer would give wrong values.
        let converted = column.converted_type();
        if !matches!(
            converted,
            ConvertedType::NONE
                | ConvertedType::UTF8
                | ConvertedType::ENUM
                | ConvertedType::INT_8
                | ConvertedType::INT_16
                | ConvertedType::INT_32
                | ConvertedType::INT_64
                | ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        ) {
            return Err(invalid(format!(
                "column `{name}` is {physical} ({converted}); flow log columns are plain \
                 INT_32, INT_64 or STRING"
            )));
        }
        specs.push(ColumnSpec {
            name,
            physical,
            optional: column.max_def_level() == 1,
        });
    }
    if !specs.iter().any(|c| is_known_field(&c.name)) {
        let names: Vec<&str> = specs.iter().map(|c| c.name.as_str()).take(20).collect();
        return Err(ParseError::NotVpcFlowParquet {
            columns: names.join(", "),
        });
    }
    Ok(specs)
}

/// One column's reader and its current batch.
struct ColumnBatch {
    reader: TypedReader,
    defs: Vec<i16>,
    optional: bool,
    /// Next value (non-null) to read from the batch.
    next: usize,
}

enum TypedReader {
    Int32(ColumnReaderImpl<parquet::data_type::Int32Type>, Vec<i32>),
    Int64(ColumnReaderImpl<parquet::data_type::Int64Type>, Vec<i64>),
    Bytes(
        ColumnReaderImpl<parquet::data_type::ByteArrayType>,
        Vec<ByteArray>,
    ),
}

impl ColumnBatch {
    /// Decodes up to `rows` rows; returns how many.
    fn fill(&mut self, rows: usize) -> parquet::errors::Result<usize> {
        self.defs.clear();
        self.next = 0;
        let defs = self.optional.then_some(&mut self.defs);
        let (records, _, _) = match &mut self.reader {
            TypedReader::Int32(r, v) => read_into(r, v, rows, defs)?,
            TypedReader::Int64(r, v) => read_into(r, v, rows, defs)?,
            TypedReader::Bytes(r, v) => read_into(r, v, rows, defs)?,
        };
        Ok(records)
    }

    /// Appends row `row`'s value to `line` (`-` for a null or empty value); returns
    /// false when the value is a string with whitespace, which no flow log value holds.
    fn push_text(&mut self, row: usize, line: &mut String, lossy: &mut bool) -> bool {
        if self.optional && self.defs[row] == 0 {
            line.push('-');
            return true;
        }
        let at = self.next;
        self.next += 1;
        let mut digits = itoa::Buffer::new();
        match &self.reader {
            TypedReader::Int32(_, v) => line.push_str(digits.format(v[at])),
            TypedReader::Int64(_, v) => line.push_str(digits.format(v[at])),
            TypedReader::Bytes(_, v) => {
                let bytes = v[at].data();
                let text = String::from_utf8_lossy(bytes);
                *lossy |= matches!(text, std::borrow::Cow::Owned(_));
                if text.is_empty() {
                    line.push('-');
                } else if text.contains(|c: char| c.is_ascii_whitespace()) {
                    line.push_str(&text);
                    return false;
                } else {
                    line.push_str(&text);
                }
            }
        }
        true
    }
}

fn read_into<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    values: &mut Vec<T::T>,
    rows: usize,
    defs: Option<&mut Vec<i16>>,
) -> parquet::errors::Result<(usize, usize, usize)> {
    values.clear();
    reader.read_records(rows, defs, None, values)
}

/// Reads one row group and hands its rows to `out`; returns the rows it held.
fn read_row_group(
    row_group: &dyn RowGroupReader,
    group: usize,
    columns: &[ColumnSpec],
    header: &Arc<VpcFlowHeader>,
    out: &mut Emitter<'_>,
) -> Result<u64, ParseError> {
    let corrupt = |column: &str, e: parquet::errors::ParquetError| {
        invalid(format!("row group {group}, column `{column}`: {e}"))
    };
    let mut batches = Vec::with_capacity(columns.len());
    for (i, spec) in columns.iter().enumerate() {
        let reader =
            match guarded(|| row_group.get_column_reader(i)).map_err(|e| corrupt(&spec.name, e))? {
                ColumnReader::Int32ColumnReader(r) => TypedReader::Int32(r, Vec::new()),
                ColumnReader::Int64ColumnReader(r) => TypedReader::Int64(r, Vec::new()),
                ColumnReader::ByteArrayColumnReader(r) => TypedReader::Bytes(r, Vec::new()),
                _ => {
                    return Err(invalid(format!(
                        "column `{}` is {}; flow log columns are INT_32, INT_64 or STRING",
                        spec.name, spec.physical
                    )))
                }
            };
        batches.push(ColumnBatch {
            reader,
            defs: Vec::new(),
            optional: spec.optional,
            next: 0,
        });
    }
    let mut total = 0u64;
    let mut line = String::with_capacity(256);
    loop {
        let mut rows = None;
        for (batch, spec) in batches.iter_mut().zip(columns) {
            let n = guarded(|| batch.fill(BATCH_ROWS)).map_err(|e| corrupt(&spec.name, e))?;
            match rows {
                None => rows = Some(n),
                Some(r) if r != n => {
                    return Err(invalid(format!(
                        "row group {group}: column `{}` holds {n} rows where `{}` holds {r}",
                        spec.name, columns[0].name
                    )))
                }
                Some(_) => {}
            }
        }
        let rows = rows.unwrap_or(0);
        if rows == 0 {
            return Ok(total);
        }
        for row in 0..rows {
            if out.skipping() {
                out.skip();
                for batch in &mut batches {
                    if !batch.optional || batch.defs[row] != 0 {
                        batch.next += 1;
                    }
                }
                continue;
            }
            line.clear();
            let mut lossy = false;
            let mut spaced = None;
            for (i, batch) in batches.iter_mut().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                if !batch.push_text(row, &mut line, &mut lossy) && spaced.is_none() {
                    spaced = Some(i);
                }
            }
            let at = ParquetRow {
                row_group: group as u64,
                row: total + row as u64,
            };
            let flow = if let Some(i) = spaced {
                let reason = format!(
                    "column `{}`: the value holds whitespace, which no flow log field does",
                    columns[i].name
                );
                out.malformed_row(at, reason, line.as_bytes())
            } else {
                match header.split(&line) {
                    Ok(values) => out.record_from(
                        None,
                        Fields::VpcFlow(VpcFlowRecord::new(header.clone(), values)),
                        &line,
                        lossy,
                    ),
                    Err(reason) => out.malformed_row(at, reason, line.as_bytes()),
                }
            };
            if flow.is_break() {
                return Ok(total + row as u64 + 1);
            }
        }
        total += rows as u64;
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use parquet::basic::Compression;
    use parquet::data_type::{ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;
    use crate::logs::test_support::{collect, collect_bytes, collect_bytes_from};
    use crate::logs::vpc_flow::samples::{CUSTOM_FILE, DEFAULT_FILE, TRANSIT_GATEWAY_FILE};
    use crate::logs::{parse_stream_with, LogType};

    const INT32: &[&str] = &[
        "version",
        "srcport",
        "dstport",
        "protocol",
        "tcp-flags",
        "traffic-path",
    ];
    const INT64: &[&str] = &["packets", "bytes", "start", "end"];

    /// `text` (a flow log file) as AWS's Parquet delivery writes it: optional columns
    /// named with underscores, INT_32 / INT_64 / STRING, `-` as null.
    fn to_parquet(text: &str, rows_per_group: usize) -> Vec<u8> {
        let mut lines = text.lines();
        let fields: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
        let ty = |f: &str| {
            if INT32.contains(&f) {
                "INT32"
            } else if INT64.contains(&f) || f.starts_with("packets-lost") {
                "INT64"
            } else {
                "BYTE_ARRAY"
            }
        };
        let schema: String = fields
            .iter()
            .map(|f| format!("OPTIONAL {} {};", ty(f), f.replace('-', "_")))
            .collect();
        write(
            &format!("message m {{ {schema} }}"),
            &rows,
            rows_per_group,
            |f| ty(fields[f]),
        )
    }

    /// `rows` written under `schema`, `rows_per_group` to a row group; `ty` gives each
    /// column's physical type.
    fn write(
        schema: &str,
        rows: &[Vec<&str>],
        rows_per_group: usize,
        ty: impl Fn(usize) -> &'static str,
    ) -> Vec<u8> {
        let mut buf = Vec::new();
        let props = WriterProperties::builder()
            .set_compression(Compression::GZIP(Default::default()))
            .build();
        let mut w = SerializedFileWriter::new(
            &mut buf,
            Arc::new(parse_message_type(schema).unwrap()),
            Arc::new(props),
        )
        .unwrap();
        for group in rows.chunks(rows_per_group) {
            let mut rg = w.next_row_group().unwrap();
            let mut i = 0;
            while let Some(mut col) = rg.next_column().unwrap() {
                let cells: Vec<Option<&str>> = group
                    .iter()
                    .map(|r| Some(r[i]).filter(|v| *v != "-"))
                    .collect();
                let defs: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
                let present = cells.iter().flatten();
                match ty(i) {
                    "INT32" => col.typed::<Int32Type>().write_batch(
                        &present.map(|c| c.parse().unwrap()).collect::<Vec<i32>>(),
                        Some(&defs),
                        None,
                    ),
                    "INT64" => col.typed::<Int64Type>().write_batch(
                        &present.map(|c| c.parse().unwrap()).collect::<Vec<i64>>(),
                        Some(&defs),
                        None,
                    ),
                    _ => col.typed::<ByteArrayType>().write_batch(
                        &present.map(|c| (*c).into()).collect::<Vec<_>>(),
                        Some(&defs),
                        None,
                    ),
                }
                .unwrap();
                col.close().unwrap();
                i += 1;
            }
            rg.close().unwrap();
        }
        w.close().unwrap();
        buf
    }

    fn reason(bytes: &[u8]) -> String {
        match parse_stream_with(
            LogType::VpcFlow,
            bytes,
            0,
            &SpoolLimits::default(),
            &mut |_| ControlFlow::Continue(()),
        ) {
            Err(e) => e.to_string(),
            Ok(s) => panic!("parsed {s:?}"),
        }
    }

    #[test]
    fn parquet_flows_are_the_records_of_the_same_text_file() {
        for text in [DEFAULT_FILE, CUSTOM_FILE, TRANSIT_GATEWAY_FILE] {
            let from_text = collect(LogType::VpcFlow, text);
            let from_parquet = collect_bytes(LogType::VpcFlow, &to_parquet(text, 2));
            assert!(from_parquet.errors.is_empty(), "{:?}", from_parquet.errors);
            assert_eq!(from_parquet.records.len(), from_text.records.len());
            for (p, t) in from_parquet.records.iter().zip(&from_text.records) {
                assert_eq!(p.fields, t.fields);
                assert_eq!(p.original, t.original, "the row reads as the text line");
                assert_eq!(p.index, t.index);
                assert_eq!(p.line, None, "a Parquet row has no line number");
            }
        }
    }

    #[test]
    fn parquet_resume_skips_whole_row_groups_and_keeps_indexes() {
        let bytes = to_parquet(DEFAULT_FILE, 2);
        let all = collect_bytes(LogType::VpcFlow, &bytes);
        for start in 0..=4 {
            let resumed = collect_bytes_from(LogType::VpcFlow, &bytes, start).unwrap();
            assert_eq!(resumed.records, all.records[start as usize..].to_vec());
            assert_eq!(resumed.summary.skipped, start);
            assert_eq!(resumed.summary.next_index, 4);
        }
    }

    #[test]
    fn truncated_parquet_is_refused_with_the_reason() {
        let bytes = to_parquet(DEFAULT_FILE, 2);
        for cut in [4, 12, bytes.len() / 2, bytes.len() - 1] {
            let why = reason(&bytes[..cut]);
            assert!(
                why.starts_with("unreadable VPC flow log Parquet file:"),
                "{cut}: {why}"
            );
        }
    }

    #[test]
    fn corrupt_pages_are_refused_naming_the_row_group_and_column() {
        let mut bytes = to_parquet(DEFAULT_FILE, 4);
        // Overwrite the first column chunk's page (just after the magic) with noise.
        for b in &mut bytes[4..40] {
            *b = 0xA5;
        }
        let why = reason(&bytes);
        assert!(why.contains("row group 0, column `version`"), "{why}");
    }

    #[test]
    fn parquet_that_is_not_a_flow_log_is_refused_naming_its_columns() {
        let rows = vec![vec!["alice", "7"]];
        let bytes = write(
            "message m { OPTIONAL BYTE_ARRAY name (STRING); OPTIONAL INT32 age; }",
            &rows,
            2,
            |i| ["BYTE_ARRAY", "INT32"][i],
        );
        let why = reason(&bytes);
        assert!(
            why.contains("not a VPC flow log Parquet file") && why.contains("(name, age)"),
            "{why}"
        );
    }

    #[test]
    fn columns_of_other_types_or_shapes_are_refused() {
        let float = write(
            "message m { OPTIONAL BYTE_ARRAY srcaddr (STRING); OPTIONAL DOUBLE bytes; }",
            &[],
            2,
            |_| "BYTE_ARRAY",
        );
        assert!(reason(&float).contains("column `bytes` is DOUBLE"));
        for (schema, shown) in [
            (
                "OPTIONAL INT64 start (TIMESTAMP_MICROS);",
                "column `start` is INT64 (TIMESTAMP_MICROS)",
            ),
            (
                "OPTIONAL INT32 start (DATE);",
                "column `start` is INT32 (DATE)",
            ),
            (
                "OPTIONAL INT64 bytes (DECIMAL(18,2));",
                "column `bytes` is INT64 (DECIMAL)",
            ),
        ] {
            let typed = write(
                &format!("message m {{ OPTIONAL BYTE_ARRAY srcaddr (STRING); {schema} }}"),
                &[],
                2,
                |_| "BYTE_ARRAY",
            );
            let why = reason(&typed);
            assert!(why.contains(shown), "{why}");
        }
        let nested = write(
            "message m { OPTIONAL group src { OPTIONAL BYTE_ARRAY srcaddr (STRING); } }",
            &[],
            2,
            |_| "BYTE_ARRAY",
        );
        assert!(reason(&nested).contains("column `src.srcaddr` is nested"));
    }

    /// Varint bytes of `v` (Thrift compact protocol), `width` long (padded, as a
    /// non-minimal encoding still decodes).
    #[test]
    fn a_page_claiming_a_huge_size_is_refused_before_anything_is_allocated() {
        // Snappy zero-fills the whole claimed size before decompressing: 2 GiB here,
        // for a file of a few hundred bytes.
        let good = to_parquet(DEFAULT_FILE, 4);
        let bad = super::super::parquet_pages::test_support::claim_huge_first_page(&good);
        let why = reason(&bad);
        assert!(
            why.contains("row group 0, column `version`: the page at offset")
                && why.contains("claims 2147483647 bytes uncompressed"),
            "{why}"
        );
        // The untouched file reads.
        assert!(collect_bytes(LogType::VpcFlow, &good).errors.is_empty());
    }

    #[test]
    fn bad_values_reject_their_row_and_keep_the_rest() {
        let rows = vec![
            vec!["2", "10.0.0.1", "-1"],
            vec!["2", "10.0.0.1 10.0.0.2", "443"],
            vec!["2", "", "443"],
            vec!["2", "10.0.0.3", "-2"],
        ];
        let bytes = write(
            "message m { OPTIONAL INT32 version; OPTIONAL BYTE_ARRAY srcaddr (STRING); OPTIONAL INT32 dstport; }",
            &rows,
            2,
            |i| ["INT32", "BYTE_ARRAY", "INT32"][i],
        );
        let got = collect_bytes(LogType::VpcFlow, &bytes);
        assert_eq!(got.errors.len(), 3, "{:?}", got.errors);
        // Each names its row group and row, as a line number would in text.
        let places: Vec<String> = got.errors.iter().map(|e| e.place()).collect();
        assert_eq!(
            places,
            [
                "row group 0, row 0",
                "row group 0, row 1",
                "row group 1, row 1"
            ]
        );
        assert_eq!(
            got.errors[2].parquet_row,
            Some(ParquetRow {
                row_group: 1,
                row: 1
            })
        );
        assert!(got.errors[0]
            .reason
            .contains("`dstport`: expected an unsigned integer"));
        assert!(got.errors[1]
            .reason
            .contains("column `srcaddr`: the value holds whitespace"));
        // An empty string is a field that does not apply, as `-` is in text.
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].index, 2);
        assert!(!got.records[0].fields.contains_key("srcaddr"));
    }

    #[test]
    fn an_object_past_the_spool_limit_is_refused_naming_the_setting() {
        let bytes = to_parquet(DEFAULT_FILE, 2);
        let limits = SpoolLimits {
            dir: None,
            max_bytes: 100,
        };
        let err = parse_stream_with(LogType::VpcFlow, &bytes[..], 0, &limits, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
        assert!(matches!(err, ParseError::SpoolLimit { max_bytes: 100 }));
        assert!(err.to_string().contains("S3CONNECTOR_MAX_SPOOL_BYTES"));
    }
}
