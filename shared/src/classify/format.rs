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
    /// A SQL dump (`.sql`): `INSERT` and `COPY` values per column, the rest as text.
    Sql,
    /// An e-mail message (RFC 5322 headers and MIME parts): each part decoded and read as
    /// what it is (see `classify::email`).
    Email,
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
            "csv" => ObjectFormat::Csv {
                delimiter: sniff_delimiter(head, false).unwrap_or(b','),
            },
            "txt" => match sniff_delimiter(head, true) {
                Some(delimiter) => ObjectFormat::Csv { delimiter },
                None => ObjectFormat::Text,
            },
            "tsv" | "tab" => ObjectFormat::Csv { delimiter: b'\t' },
            "psv" => ObjectFormat::Csv { delimiter: b'|' },
            "jsonl" | "ndjson" | "ldjson" => ObjectFormat::JsonLines,
            "sql" => ObjectFormat::Sql,
            "eml" => ObjectFormat::Email,
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
                // Any other name opening with MIME headers is a message (a mailbox
                // export's `.txt`, a key with no extension).
                None if super::email::looks_like_message(head) => ObjectFormat::Email,
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
            ObjectFormat::Sql => "sql",
            ObjectFormat::Email => "email",
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

/// Delimiters tried, in the order a tie is broken: `,` (RFC 4180), `;` (European
/// exports, where `,` is the decimal separator), tab, `|`.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Records of the head read to sniff the delimiter.
const SNIFF_RECORDS: usize = 50;

/// The delimiter of delimited records in `head`: parsed with each candidate (quotes
/// respected, so a `;` or `,` inside a quoted field does not count), the candidate whose
/// records most often share one field count of at least 2 wins (at least 90% of the
/// sampled records for `.csv`; for `strict`, a `.txt` that must prove it is a table, all
/// of at least 3, and only tab or `|`, since prose has commas and code semicolons); then
/// the larger count, then the order of [`DELIMITERS`]. The head's last line is left out
/// when it may have been cut. `None` when no candidate qualifies.
fn sniff_delimiter(head: &[u8], strict: bool) -> Option<u8> {
    let complete = match memchr::memrchr(b'\n', head) {
        Some(end) => &head[..=end],
        None => head,
    };
    let mut best: Option<(usize, usize, u8)> = None;
    let candidates: &[u8] = if strict {
        &DELIMITERS[2..]
    } else {
        &DELIMITERS
    };
    for &delimiter in candidates {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(complete);
        let mut counts: Vec<usize> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while counts.len() < SNIFF_RECORDS {
            match reader.read_byte_record(&mut record) {
                Ok(true) if record.len() == 1 && record[0].is_empty() => {}
                Ok(true) => counts.push(record.len()),
                Ok(false) | Err(_) => break,
            }
        }
        let Some(fields) = mode(&counts) else {
            continue;
        };
        let agree = counts.iter().filter(|&&c| c == fields).count();
        let qualifies = fields >= 2
            && if strict {
                counts.len() >= 3 && agree == counts.len()
            } else {
                agree * 10 >= counts.len() * 9
            };
        if qualifies && best.is_none_or(|(a, f, _)| (agree * 100 / counts.len(), fields) > (a, f)) {
            best = Some((agree * 100 / counts.len(), fields, delimiter));
        }
    }
    best.map(|(_, _, d)| d)
}

/// The most frequent value (the first one seen on a tie).
fn mode(values: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &v in values {
        let n = values.iter().filter(|&&x| x == v).count();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((v, n));
        }
    }
    best.map(|(v, _)| v)
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

    fn delimiter(key: &str, head: &str) -> Option<u8> {
        match ObjectFormat::detect(key, head.as_bytes()) {
            ObjectFormat::Csv { delimiter } => Some(delimiter),
            _ => None,
        }
    }

    #[test]
    fn csv_delimiter_is_sniffed_with_quotes_respected() {
        // European export: `;` between fields, `,` as the decimal separator.
        let euro =
            "Name;IBAN;Betrag\nJane;DE44500105175407324931;1,50\nBob;DE89370400440532013000;2,75\n";
        assert_eq!(delimiter("export.csv", euro), Some(b';'));
        assert_eq!(delimiter("export.csv.gz", "a|b|c\n1|2|3\n"), Some(b'|'));
        assert_eq!(delimiter("export.csv", "a\tb\n1\t2\n"), Some(b'\t'));
        // Quoted `;` and `,` do not count; a comma CSV stays one.
        let quoted = "name,note\n\"Doe; Jane\",\"a; b; c\"\n\"Roe; Bob\",x\n";
        assert_eq!(delimiter("people.csv", quoted), Some(b','));
        let semi_quoted = "name;note\n\"Doe, Jane\";\"1,2,3\"\n\"Roe, Bob\";x\n";
        assert_eq!(delimiter("people.csv", semi_quoted), Some(b';'));
        // A quoted field across lines does not break the count.
        let multiline = "id;text\n1;\"line one\nline two; still\"\n2;plain\n";
        assert_eq!(delimiter("t.csv", multiline), Some(b';'));
        // The head's last line, cut mid-record, does not vote.
        assert_eq!(delimiter("t.csv", "a;b;c\n1;2;3\n4;5;6\n7;8"), Some(b';'));
        // A single column, or nothing to go by: the default comma.
        assert_eq!(
            delimiter("one.csv", "email\njane@example.org\n"),
            Some(b',')
        );
        assert_eq!(delimiter("empty.csv", ""), Some(b','));
    }

    #[test]
    fn txt_is_delimited_only_when_every_line_agrees_on_tab_or_pipe() {
        let tsv = "id\tname\temail\n1\tJane\tjane@example.org\n2\tBob\tbob@example.org\n";
        assert_eq!(delimiter("dump.txt", tsv), Some(b'\t'));
        let psv = "id|name\n1|Jane\n2|Bob\n3|Eve\n";
        assert_eq!(delimiter("dump.txt", psv), Some(b'|'));
        // Prose with commas, code with semicolons, a ragged table, too few lines: text.
        for text in [
            "Hello, world.\nThis is fine, really.\nOk, bye.\n",
            "let a = 1;\nlet b = 2;\nlet c = 3;\n",
            "a|b\nc|d|e\nf|g\n",
            "a\tb\nc\td\n",
        ] {
            assert_eq!(
                ObjectFormat::detect("notes.txt", text.as_bytes()),
                ObjectFormat::Text,
                "{text:?}"
            );
        }
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
