//! Schema inference for containers, free of I/O: column names and OpenMetadata data
//! types from a CSV/TSV or JSON-lines sample, or from a Parquet footer.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::schema::types::Type;
use serde_json::Value;

use crate::scan::report::Column;

/// Whether a key (relative to the data path) is a data file of the format: its
/// extension (before `.gz`) matches, and it is not a marker such as `_SUCCESS`.
pub fn is_data_file(relative: &str, format: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if name.is_empty() || name.starts_with(['_', '.']) {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let base = lower
        .strip_suffix(".gz")
        .or_else(|| lower.strip_suffix(".zst"))
        .unwrap_or(&lower);
    let exts: &[&str] = match format {
        "csv" => &[".csv", ".txt"],
        "tsv" => &[".tsv", ".tab", ".txt"],
        "json" | "jsonl" | "ndjson" => &[".json", ".jsonl", ".ndjson"],
        "parquet" => &[".parquet", ".parq", ".pqt"],
        other => return base.ends_with(&format!(".{other}")),
    };
    exts.iter().any(|e| base.ends_with(e))
}

/// Hive-style partition names (`year=2024/month=01/` gives `year`, `month`) of a key.
pub fn hive_partitions(relative: &str) -> Vec<String> {
    let mut segments: Vec<&str> = relative.split('/').collect();
    segments.pop(); // the file name
    segments
        .into_iter()
        .filter_map(|s| s.split_once('=').map(|(k, _)| k.to_string()))
        .filter(|k| !k.is_empty())
        .collect()
}

/// A type seen in sampled values, from most to least specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Boolean,
    Bigint,
    Double,
    Date,
    Timestamp,
    String,
    Struct,
    Array,
}

impl Seen {
    fn name(self) -> &'static str {
        match self {
            Seen::Boolean => "BOOLEAN",
            Seen::Bigint => "BIGINT",
            Seen::Double => "DOUBLE",
            Seen::Date => "DATE",
            Seen::Timestamp => "TIMESTAMP",
            Seen::String => "STRING",
            Seen::Struct => "STRUCT",
            Seen::Array => "ARRAY",
        }
    }

    /// The type covering both.
    fn join(self, other: Seen) -> Seen {
        use Seen::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Bigint, Double) | (Double, Bigint) => Double,
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            _ => String,
        }
    }

    /// The type of a text value (CSV cell or JSON string).
    fn of_text(v: &str) -> Seen {
        let v = v.trim();
        if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
            Seen::Boolean
        } else if v.parse::<i64>().is_ok() {
            Seen::Bigint
        } else if v.parse::<f64>().is_ok_and(f64::is_finite)
            && v.bytes().any(|b| b.is_ascii_digit())
        {
            Seen::Double
        } else if is_date(v) {
            Seen::Date
        } else if v.len() >= 19
            && is_date(&v[..10])
            && crate::logs::timestamp::iso8601_ms(v).is_some()
        {
            Seen::Timestamp
        } else {
            Seen::String
        }
    }
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Columns in first-seen order, each with the join of the types seen.
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    seen: Vec<Option<Seen>>,
}

impl Columns {
    fn index(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.seen.push(None);
                self.names.len() - 1
            }
        }
    }

    fn see(&mut self, i: usize, t: Seen) {
        self.seen[i] = Some(self.seen[i].map_or(t, |s| s.join(t)));
    }

    fn finish(self) -> Vec<Column> {
        self.names
            .into_iter()
            .zip(self.seen)
            .map(|(name, t)| Column {
                name,
                data_type: t.unwrap_or(Seen::String).name().to_string(),
            })
            .collect()
    }
}

/// Infers the columns of a CSV/TSV (`format` `csv` or `tsv`, or a `separator`) or
/// JSON-lines (`json`) sample: the first bytes of a file, gzip or not, possibly cut in
/// the middle of a record (the cut record is left out).
pub fn infer_text(
    key: &str,
    sample: &[u8],
    format: &str,
    separator: Option<&str>,
    max_rows: usize,
) -> Result<Vec<Column>, String> {
    let text = decompressed_prefix(sample);
    // The sample ends mid-record unless it ends with a newline: drop that last record.
    let complete = match text.iter().rposition(|b| *b == b'\n') {
        Some(i) if i + 1 < text.len() => &text[..=i],
        _ => &text[..],
    };
    match format {
        "json" | "jsonl" | "ndjson" => infer_json_lines(complete, max_rows),
        "csv" | "tsv" => {
            let delimiter = match separator {
                Some("\\t") => b'\t',
                Some(s) if s.len() == 1 => s.as_bytes()[0],
                Some(s) => return Err(format!("separator {s:?} is not a single byte")),
                None if format == "tsv" => b'\t',
                None => b',',
            };
            infer_delimited(complete, delimiter, max_rows)
        }
        other => Err(format!(
            "schema inference reads csv, tsv, json (lines) and parquet, not {other} ({key})"
        )),
    }
}

/// The bytes of a sample, gunzipped when it is gzip (as far as the cut sample allows).
fn decompressed_prefix(sample: &[u8]) -> Vec<u8> {
    if !sample.starts_with(&[0x1f, 0x8b]) {
        return sample.to_vec();
    }
    let mut out = Vec::new();
    let mut d = MultiGzDecoder::new(sample);
    let mut buf = [0u8; 16 * 1024];
    // A cut sample ends with an unexpected EOF: keep what decoded before it.
    while let Ok(n) = d.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn infer_delimited(text: &[u8], delimiter: u8, max_rows: usize) -> Result<Vec<Column>, String> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text);
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err("no header row".into());
    }
    let mut cols = Columns::default();
    let idx: Vec<usize> = headers.iter().map(|h| cols.index(h.trim())).collect();
    for row in r.records().take(max_rows) {
        let row = row.map_err(|e| e.to_string())?;
        for (i, v) in row.iter().enumerate() {
            if let Some(&c) = idx.get(i) {
                if !v.trim().is_empty() {
                    cols.see(c, Seen::of_text(v));
                }
            }
        }
    }
    Ok(cols.finish())
}

fn infer_json_lines(text: &[u8], max_rows: usize) -> Result<Vec<Column>, String> {
    let mut cols = Columns::default();
    let mut rows = 0;
    for (n, line) in text.split(|b| *b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if rows == max_rows {
            break;
        }
        rows += 1;
        let v: Value =
            serde_json::from_slice(line).map_err(|e| format!("line {} is not JSON: {e}", n + 1))?;
        let Value::Object(map) = v else {
            return Err(format!("line {} is not a JSON object", n + 1));
        };
        for (k, v) in &map {
            let i = cols.index(k);
            let t = match v {
                Value::Null => continue,
                Value::Bool(_) => Seen::Boolean,
                Value::Number(n) if n.is_i64() || n.is_u64() => Seen::Bigint,
                Value::Number(_) => Seen::Double,
                Value::String(s) => match Seen::of_text(s) {
                    t @ (Seen::Date | Seen::Timestamp) => t,
                    _ => Seen::String,
                },
                Value::Array(_) => Seen::Array,
                Value::Object(_) => Seen::Struct,
            };
            cols.see(i, t);
        }
    }
    if rows == 0 {
        return Err("no JSON record in the sample".into());
    }
    Ok(cols.finish())
}

/// Why a Parquet footer could not be read from the bytes at hand.
#[derive(Debug, thiserror::Error)]
pub enum FooterNeeds {
    /// The metadata is this many bytes long: fetch the last `len + 8` bytes.
    #[error("the footer metadata ({0} bytes) is longer than the bytes read")]
    More(usize),
    /// Not a Parquet file, or a corrupt footer.
    #[error("{0}")]
    Invalid(String),
}

/// Columns from the tail of a Parquet file (its last bytes, at least the footer).
pub fn parquet_footer(tail: &[u8]) -> Result<Vec<Column>, FooterNeeds> {
    let n = tail.len();
    if n < 12 || &tail[n - 4..] != b"PAR1" {
        return Err(FooterNeeds::Invalid(
            "not a Parquet file (no PAR1 footer)".into(),
        ));
    }
    let len = u32::from_le_bytes(tail[n - 8..n - 4].try_into().expect("4 bytes")) as usize;
    if len + 8 > n {
        return Err(FooterNeeds::More(len));
    }
    let schema = ParquetMetaDataReader::decode_schema(&tail[n - 8 - len..n - 8])
        .map_err(|e| FooterNeeds::Invalid(format!("corrupt Parquet footer: {e}")))?;
    Ok(schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| Column {
            name: f.name().to_string(),
            data_type: parquet_type(f).to_string(),
        })
        .collect())
}

/// OpenMetadata's type name for a Parquet field.
fn parquet_type(t: &Type) -> &'static str {
    let info = t.get_basic_info();
    if t.is_group() {
        return match (info.logical_type_ref(), info.converted_type()) {
            (Some(LogicalType::List), _) | (_, ConvertedType::LIST) => "ARRAY",
            (Some(LogicalType::Map), _)
            | (_, ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE) => "MAP",
            _ => "STRUCT",
        };
    }
    if info.repetition() == parquet::basic::Repetition::REPEATED {
        return "ARRAY";
    }
    match (info.logical_type_ref(), info.converted_type()) {
        (Some(LogicalType::String | LogicalType::Enum | LogicalType::Json), _)
        | (_, ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON) => "STRING",
        (Some(LogicalType::Date), _) | (_, ConvertedType::DATE) => "DATE",
        (Some(LogicalType::Timestamp { .. }), _)
        | (_, ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS) => "TIMESTAMP",
        (Some(LogicalType::Time { .. }), _)
        | (_, ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS) => "TIME",
        (Some(LogicalType::Decimal { .. }), _) | (_, ConvertedType::DECIMAL) => "DECIMAL",
        (Some(LogicalType::Uuid), _) => "UUID",
        _ => match t.get_physical_type() {
            Physical::BOOLEAN => "BOOLEAN",
            Physical::INT32 => "INT",
            Physical::INT64 => "BIGINT",
            Physical::INT96 => "TIMESTAMP",
            Physical::FLOAT => "FLOAT",
            Physical::DOUBLE => "DOUBLE",
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => "BINARY",
        },
    }
}

#[cfg(test)]
mod tests;
