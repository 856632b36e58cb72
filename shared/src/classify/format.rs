//! Which reader an object needs: its layout from the key's extension (after any
//! compression suffix) and its first decompressed bytes, and the sampling limits that
//! bound how much of it is read.

/// How an object's bytes are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFormat {
    /// Prose, logs, source, anything line-oriented: classified value by value.
    Text,
    /// Delimited records (CSV, TSV): classified per value and per column.
    Csv {
        /// Field delimiter (`,` for CSV, tab for TSV, `|` for PSV).
        delimiter: u8,
    },
    /// One JSON document per line (NDJSON, JSON Lines, Firehose and CloudWatch exports).
    JsonLines,
    /// One JSON document (an object or an array), read as a stream.
    Json,
    /// Apache Parquet (needs random access: read from a file).
    Parquet,
    /// Excel Office Open XML workbook (needs random access: read from a file).
    Xlsx,
    /// Word Office Open XML document (needs random access: read from a file).
    Docx,
    /// Not read; the string names what it is (`zip archive`, `pdf`...).
    Unsupported(String),
}

/// Extensions that name formats the classifier does not read, with the name reported.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("xls", "legacy Excel workbook (xls)"),
    ("xlsb", "binary Excel workbook (xlsb)"),
    ("doc", "legacy Word document (doc)"),
    ("pdf", "pdf"),
    ("zip", "zip archive"),
    ("tar", "tar archive"),
    ("7z", "7z archive"),
    ("avro", "avro"),
    ("orc", "orc"),
    ("png", "image"),
    ("jpg", "image"),
    ("jpeg", "image"),
    ("gif", "image"),
];

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const PARQUET_MAGIC: &[u8] = b"PAR1";

impl ObjectFormat {
    /// Chooses the format from `key` (its extension after any `.gz`, `.gzip`, `.zst` or
    /// `.zstd` suffix) and `head`, the first decompressed bytes (a few KiB are plenty).
    ///
    /// Magic bytes win over a misleading extension (`PAR1` is Parquet, a zip is an Office
    /// document only when the extension says which); a `.json` object whose first line is
    /// a whole JSON value followed by another line is JSON lines. Unknown extensions are
    /// text: the text reader itself skips binary content as `unsupported type`.
    pub fn detect(key: &str, head: &[u8]) -> ObjectFormat {
        let ext = extension(key);
        if head.starts_with(PARQUET_MAGIC) {
            return ObjectFormat::Parquet;
        }
        if head.starts_with(ZIP_MAGIC) {
            return match ext.as_str() {
                "xlsx" | "xlsm" => ObjectFormat::Xlsx,
                "docx" | "docm" => ObjectFormat::Docx,
                _ => ObjectFormat::Unsupported("zip archive".into()),
            };
        }
        match ext.as_str() {
            "csv" => ObjectFormat::Csv { delimiter: b',' },
            "tsv" | "tab" => ObjectFormat::Csv { delimiter: b'\t' },
            "psv" => ObjectFormat::Csv { delimiter: b'|' },
            "jsonl" | "ndjson" | "ldjson" => ObjectFormat::JsonLines,
            "json" => {
                if is_json_lines(head) {
                    ObjectFormat::JsonLines
                } else {
                    ObjectFormat::Json
                }
            }
            // An Office or Parquet extension without the magic bytes: not what it says.
            "parquet" | "xlsx" | "xlsm" | "docx" | "docm" => {
                ObjectFormat::Unsupported(format!("{ext} without its file signature"))
            }
            other => match UNSUPPORTED.iter().find(|(e, _)| *e == other) {
                Some((_, name)) => ObjectFormat::Unsupported((*name).to_string()),
                None => ObjectFormat::Text,
            },
        }
    }

    /// Whether the format is read from a file (random access) rather than a stream.
    pub fn needs_file(&self) -> bool {
        matches!(
            self,
            ObjectFormat::Parquet | ObjectFormat::Xlsx | ObjectFormat::Docx
        )
    }

    /// Short name used in reports (`text`, `csv`, `json_lines`...).
    pub fn name(&self) -> &'static str {
        match self {
            ObjectFormat::Text => "text",
            ObjectFormat::Csv { .. } => "csv",
            ObjectFormat::JsonLines => "json_lines",
            ObjectFormat::Json => "json",
            ObjectFormat::Parquet => "parquet",
            ObjectFormat::Xlsx => "xlsx",
            ObjectFormat::Docx => "docx",
            ObjectFormat::Unsupported(_) => "unsupported",
        }
    }
}

/// Lower-case extension of the key's last path segment, compression suffixes removed.
fn extension(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    let mut name = name.as_str();
    for suffix in [".gz", ".gzip", ".zst", ".zstd"] {
        if let Some(stripped) = name.strip_suffix(suffix) {
            name = stripped;
            break;
        }
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_string(),
        _ => String::new(),
    }
}

/// A first line that is a whole JSON value, followed by another non-empty line.
fn is_json_lines(head: &[u8]) -> bool {
    let Some(nl) = memchr::memchr(b'\n', head) else {
        return false;
    };
    let first = &head[..nl];
    let rest = head[nl + 1..].trim_ascii_start();
    !first.trim_ascii().is_empty()
        && !rest.is_empty()
        && serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
}

/// Sampling limits for one object; `None` is unlimited. An object cut by a limit is
/// reported `PARTIAL`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct SampleLimits {
    /// Decompressed bytes read at most (for Parquet and xlsx: bytes of cell text).
    pub max_bytes: Option<u64>,
    /// Records read at most: CSV rows, JSON lines, Parquet rows, spreadsheet rows
    /// (per workbook), top-level elements of a JSON array. Text has no rows.
    pub max_rows: Option<u64>,
}

impl SampleLimits {
    /// No limits.
    pub const NONE: SampleLimits = SampleLimits {
        max_bytes: None,
        max_rows: None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_extension_after_compression_suffix() {
        let csv = ObjectFormat::Csv { delimiter: b',' };
        assert_eq!(ObjectFormat::detect("a/b/users.csv", b"id,name\n"), csv);
        assert_eq!(ObjectFormat::detect("users.CSV.gz", b"id,name\n"), csv);
        assert_eq!(
            ObjectFormat::detect("x.tsv.zst", b"a\tb\n"),
            ObjectFormat::Csv { delimiter: b'\t' }
        );
        assert_eq!(
            ObjectFormat::detect("e.ndjson", b"{}"),
            ObjectFormat::JsonLines
        );
        assert_eq!(
            ObjectFormat::detect("app.log.gz", b"2024 started"),
            ObjectFormat::Text
        );
        assert_eq!(ObjectFormat::detect("README", b"hello"), ObjectFormat::Text);
        assert_eq!(ObjectFormat::detect(".bashrc", b"x"), ObjectFormat::Text);
    }

    #[test]
    fn json_or_json_lines_from_the_first_line() {
        assert_eq!(
            ObjectFormat::detect("d.json", b"{\"a\":1}\n{\"a\":2}\n"),
            ObjectFormat::JsonLines
        );
        assert_eq!(
            ObjectFormat::detect("d.json", b"{\n  \"a\": 1\n}\n"),
            ObjectFormat::Json
        );
        assert_eq!(
            ObjectFormat::detect("d.json", b"[{\"a\":1}]"),
            ObjectFormat::Json
        );
        assert_eq!(
            ObjectFormat::detect("d.json", b"{\"a\":1}\n"),
            ObjectFormat::Json
        );
    }

    #[test]
    fn magic_bytes_win_and_zips_need_an_office_extension() {
        assert_eq!(
            ObjectFormat::detect("data.bin", b"PAR1\x15\x04"),
            ObjectFormat::Parquet
        );
        assert_eq!(
            ObjectFormat::detect("book.xlsx", b"PK\x03\x04\x14\0"),
            ObjectFormat::Xlsx
        );
        assert_eq!(
            ObjectFormat::detect("memo.docx", b"PK\x03\x04\x14\0"),
            ObjectFormat::Docx
        );
        assert_eq!(
            ObjectFormat::detect("bundle.jar", b"PK\x03\x04"),
            ObjectFormat::Unsupported("zip archive".into())
        );
        assert!(matches!(
            ObjectFormat::detect("fake.xlsx", b"id,name"),
            ObjectFormat::Unsupported(_)
        ));
        assert!(matches!(
            ObjectFormat::detect("scan.pdf", b"%PDF-1.7"),
            ObjectFormat::Unsupported(_)
        ));
        assert!(ObjectFormat::Parquet.needs_file());
        assert!(!ObjectFormat::Json.needs_file());
    }
}
