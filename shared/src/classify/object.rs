//! The object-level API: one call per object, the reader chosen by [`ObjectFormat`],
//! sampling limits applied, the status `PARTIAL` when a limit cut the object.

use std::io::{self, BufRead, Read};
use std::path::Path;

use crate::object::{self as stored, BombLimits, Compression};

use super::decode::{TextEncoding, UntilCorrupt};
use super::engine::{Classifier, StreamEnd};
use super::findings::{ObjectReport, ObjectStatus, SkipReason};
use super::format::{ObjectFormat, SampleLimits};
use super::ClassifyError;

impl Classifier {
    /// Classifies a stream (already decompressed) read as `format`: text, CSV/TSV, JSON
    /// lines or one JSON document. Memory stays flat whatever the stream's length.
    ///
    /// Errors: [`ClassifyError::Read`] when the stream fails, [`ClassifyError::NeedsFile`]
    /// for Parquet, xlsx and docx, which need [`Classifier::classify_file`]. Unsupported
    /// formats and binary text are `SKIPPED` reports with the reason, not errors.
    pub fn classify_stream<R: Read>(
        &self,
        format: &ObjectFormat,
        reader: R,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut limited = Limited::new(reader, limits.max_bytes);
        let mut report = match format {
            ObjectFormat::Unsupported(what) => {
                return Ok(ObjectReport::skipped(
                    SkipReason::UnsupportedType,
                    Some(what.clone()),
                    format.name(),
                ))
            }
            ObjectFormat::Parquet | ObjectFormat::Xlsx | ObjectFormat::Docx => {
                return Err(ClassifyError::NeedsFile(format.name()))
            }
            ObjectFormat::Csv { delimiter } => {
                self.classify_delimited(&mut limited, *delimiter, limits)?
            }
            ObjectFormat::JsonLines => self.classify_json_lines(&mut limited, limits)?,
            ObjectFormat::Json => self.classify_json(&mut limited, limits)?,
            ObjectFormat::Sql => self.classify_sql(&mut limited, limits)?,
            ObjectFormat::Text => self.classify_text(&mut limited, format.name())?,
            ObjectFormat::Email => {
                let mut report = self.classify_email(&mut limited, limits)?;
                if limited.cut {
                    // The byte limit cut the message before `classify_email` saw its end.
                    let cap = limits.max_bytes.unwrap_or_default();
                    let why = super::email::too_long(cap);
                    report.detail = Some(match report.detail.take() {
                        Some(d) => format!("{why}; {d}"),
                        None => why,
                    });
                }
                report
            }
        };
        // `bytes` is what was read (decompressed, decoded) in every stream format, not
        // the bytes of the values a structured reader found in it.
        if report.status != ObjectStatus::Skipped {
            report.bytes = limited.read;
        }
        Ok(limited.mark(report))
    }

    /// Classifies a file: the random-access formats (Parquet, xlsx, docx) from the file,
    /// any other format streamed from it. Errors as [`Classifier::classify_stream`], and
    /// [`ClassifyError::Read`] when the file cannot be opened.
    pub fn classify_file(
        &self,
        format: &ObjectFormat,
        path: &Path,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        match format {
            ObjectFormat::Parquet => self.classify_parquet(path, limits),
            ObjectFormat::Xlsx => self.classify_xlsx(path, limits),
            ObjectFormat::Docx => self.classify_docx(path, limits),
            _ => {
                let file = std::fs::File::open(path).map_err(ClassifyError::Read)?;
                self.classify_stream(format, io::BufReader::new(file), limits)
            }
        }
    }

    /// Classifies an object as stored: undoes its compression (gzip, zstd, by metadata,
    /// key suffix and magic bytes, under `bomb` limits), decodes UTF-16 text and skips a
    /// UTF-8 byte-order mark ([`ObjectReport::encoding`]), detects its format from `key`
    /// and its first decoded bytes, streams it, or spools a random-access format (Parquet,
    /// xlsx, docx) to a temporary file in `spool_dir` of at most `max_spool_bytes`
    /// (removed afterwards; a larger object is `SKIPPED` with the reason).
    ///
    /// A compressed stream that turns out truncated or corrupt is classified up to where
    /// it breaks: the report is `PARTIAL`, reason `malformed`, its detail saying after how
    /// many decompressed bytes and why.
    ///
    /// Errors: [`ClassifyError::Read`] when reading the stored bytes fails, a
    /// decompression bomb is stopped, the compressed data is corrupt before its first
    /// decompressed bytes, or the spool file cannot be written.
    #[allow(clippy::too_many_arguments)]
    pub fn classify_object<R: Read + Send + 'static>(
        &self,
        raw: R,
        key: &str,
        content_encoding: Option<&str>,
        content_type: Option<&str>,
        limits: &SampleLimits,
        bomb: BombLimits,
        spool_dir: &Path,
        max_spool_bytes: u64,
    ) -> Result<ObjectReport, ClassifyError> {
        let opened = stored::open(raw, content_encoding, content_type, key, bomb)
            .map_err(ClassifyError::Read)?;
        let compression = match (opened.compression, opened.nested.last()) {
            (_, Some(inner)) => Some(inner.to_string()),
            (Compression::None, None) => None,
            (outer, None) => Some(outer.to_string()),
        };
        let mut source = UntilCorrupt::new(opened.reader, compression);
        let encoding = TextEncoding::sniff(source.fill_buf().map_err(ClassifyError::Read)?);
        let mut reader: Box<dyn BufRead + '_> = match encoding {
            Some(e) => e.decode(&mut source),
            None => Box::new(&mut source),
        };
        let head = reader.fill_buf().map_err(ClassifyError::Read)?;
        let format = ObjectFormat::detect(key, head);
        let report = if !format.needs_file() {
            self.classify_stream(&format, reader, limits)?
        } else {
            let spool = Spool::create(spool_dir)?;
            let mut file = io::BufWriter::new(spool.file()?);
            let copied = io::copy(
                &mut reader.take(max_spool_bytes.saturating_add(1)),
                &mut file,
            )
            .map_err(ClassifyError::Read)?;
            drop(file);
            if copied > max_spool_bytes {
                return Ok(ObjectReport::skipped(
                    SkipReason::UnsupportedType,
                    Some(format!(
                        "{} larger than the {max_spool_bytes} bytes a random-access format may be spooled",
                        format.name()
                    )),
                    format.name(),
                ));
            }
            self.classify_file(&format, spool.path(), limits)?
        };
        Ok(cut_short(
            ObjectReport {
                encoding: encoding.map(TextEncoding::name),
                ..report
            },
            source.stopped(),
        ))
    }

    /// Text through the windowed pass.
    pub(crate) fn classify_text<R: Read>(
        &self,
        reader: R,
        format: &'static str,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut findings = self.findings_builder();
        let end = self.scan_stream(reader, &mut findings)?;
        Ok(match end {
            StreamEnd::Binary => ObjectReport::skipped(
                SkipReason::UnsupportedType,
                Some("binary content".into()),
                format,
            ),
            StreamEnd::Read(bytes) => ObjectReport {
                status: ObjectStatus::Complete,
                reason: None,
                detail: None,
                encoding: None,
                format,
                bytes,
                rows: None,
                findings: findings.finish(),
                columns: Vec::new(),
            },
        })
    }
}

/// The report of an object whose compressed stream broke (`why`): what was read of it is
/// `PARTIAL` and `malformed`, the detail saying where and why (after the reader's own
/// detail, if any).
fn cut_short(mut report: ObjectReport, why: Option<String>) -> ObjectReport {
    let Some(why) = why else {
        return report;
    };
    if report.status != ObjectStatus::Skipped {
        report.status = ObjectStatus::Partial;
    }
    report.reason = Some(SkipReason::Malformed);
    report.detail = Some(match report.detail.take() {
        Some(d) => format!("{d}; {why}"),
        None => why,
    });
    report
}

/// A reader cut after a number of bytes, knowing whether anything was left and how
/// many bytes it gave.
pub(crate) struct Limited<R> {
    inner: R,
    left: Option<u64>,
    cut: bool,
    /// Bytes given to the reader's user.
    read: u64,
}

impl<R: Read> Limited<R> {
    pub fn new(inner: R, max: Option<u64>) -> Self {
        Limited {
            inner,
            left: max,
            cut: false,
            read: 0,
        }
    }

    /// `PARTIAL` when the limit cut the object.
    pub fn mark(&self, mut report: ObjectReport) -> ObjectReport {
        if self.cut && report.status == ObjectStatus::Complete {
            report.status = ObjectStatus::Partial;
        }
        report
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.left {
            None => {
                let n = self.inner.read(buf)?;
                self.read += n as u64;
                Ok(n)
            }
            Some(0) => {
                if !self.cut && !buf.is_empty() {
                    let mut probe = [0u8; 1];
                    self.cut = self.inner.read(&mut probe)? > 0;
                }
                Ok(0)
            }
            Some(left) => {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = self.inner.read(&mut buf[..want])?;
                self.left = Some(left - n as u64);
                self.read += n as u64;
                Ok(n)
            }
        }
    }
}

/// A temporary file removed when dropped.
pub(crate) struct Spool {
    path: std::path::PathBuf,
}

impl Spool {
    pub(crate) fn create(dir: &Path) -> Result<Spool, ClassifyError> {
        let mut id = [0u8; 8];
        getrandom::getrandom(&mut id)
            .map_err(|e| ClassifyError::Read(io::Error::other(e.to_string())))?;
        Ok(Spool {
            path: dir.join(format!("s3connector-spool-{}", hex::encode(id))),
        })
    }

    pub(crate) fn file(&self) -> Result<std::fs::File, ClassifyError> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)
            .map_err(ClassifyError::Read)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::classify::allow::normalize;
    use crate::classify::tests::shared;

    const PLANTED: [&str; 5] = [
        "4539578763621486",
        "536228726",
        "jane.doe@mail.example.org",
        "AKIAZ7Q3XK5LMN2RTV4W",
        "DE44500105175407324931",
    ];

    fn assert_masked(report: &ObjectReport) {
        let json = serde_json::to_string(report).unwrap();
        for v in PLANTED {
            assert!(!json.contains(v), "{v} appears in {json}");
            let compact = normalize(v.as_bytes());
            assert!(!json.contains(std::str::from_utf8(&compact).unwrap()));
        }
    }

    #[test]
    fn no_planted_value_appears_unmasked_in_structured_reports() {
        let [card, ssn, email, key, iban] = PLANTED;
        let csv = format!("card,ssn,email,key,iban\n{card},{ssn},{email},{key},{iban}\n");
        let r = shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap();
        assert_eq!(r.findings.len(), 5, "{:?}", r.findings);
        assert_masked(&r);
        let json = format!(
            r#"{{"card": "{card}", "ssn": {ssn}, "contact": {{"email": "{email}"}}, "aws_access_key_id": "{key}", "iban": "{iban}"}}"#
        );
        for format in [ObjectFormat::Json, ObjectFormat::JsonLines] {
            let r = shared()
                .classify_stream(&format, json.as_bytes(), &SampleLimits::NONE)
                .unwrap();
            assert_eq!(r.findings.len(), 5, "{format:?}: {:?}", r.findings);
            assert_masked(&r);
        }
    }

    #[test]
    fn classify_object_undoes_compression_and_picks_the_format() {
        let csv = "name,email\nJane,jane.doe@mail.example.org\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let r = shared()
            .classify_object(
                std::io::Cursor::new(gz),
                "exports/people.csv.gz",
                None,
                None,
                &SampleLimits::NONE,
                BombLimits::default(),
                &std::env::temp_dir(),
                1 << 20,
            )
            .unwrap();
        assert_eq!(r.format, "csv");
        let l = &r.findings[0].locations[0];
        assert_eq!(l.column_name.as_deref(), Some("email"));
        let zst = zstd::encode_all(csv.as_bytes(), 3).unwrap();
        let r = shared()
            .classify_object(
                std::io::Cursor::new(zst),
                "exports/people.csv.zst",
                None,
                None,
                &SampleLimits::NONE,
                BombLimits::default(),
                &std::env::temp_dir(),
                1 << 20,
            )
            .unwrap();
        assert_eq!(r.format, "csv");
        assert_eq!(r.findings.len(), 1);
        // A random-access format larger than the spool limit is skipped, not read.
        let dir = std::env::temp_dir().join(format!("s3c-spool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut big = b"PAR1".to_vec();
        big.resize(4096, b'x');
        let r = shared()
            .classify_object(
                std::io::Cursor::new(big),
                "t.parquet",
                None,
                None,
                &SampleLimits::NONE,
                BombLimits::default(),
                &dir,
                1000,
            )
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Skipped);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "spool removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn object(bytes: Vec<u8>, key: &str) -> Result<ObjectReport, ClassifyError> {
        shared().classify_object(
            std::io::Cursor::new(bytes),
            key,
            None,
            None,
            &SampleLimits::NONE,
            BombLimits::default(),
            &std::env::temp_dir(),
            1 << 20,
        )
    }

    fn rows_of_emails(n: usize) -> String {
        let mut csv = String::from("id,email,note\n");
        for i in 0..n {
            csv.push_str(&format!(
                "{i},user{i}.doe@mail.example.org,order {i} shipped\n"
            ));
        }
        csv
    }

    #[test]
    fn a_truncated_compressed_object_reports_what_decompressed_as_partial() {
        let csv = rows_of_emails(20_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(csv.as_bytes(), 3).unwrap();
        for (name, whole, key) in [
            ("gzip", gz, "people.csv.gz"),
            ("zstd", zst, "people.csv.zst"),
        ] {
            let cut = whole[..whole.len() * 6 / 10].to_vec();
            let r = object(cut, key).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.status, ObjectStatus::Partial, "{name}: {r:?}");
            assert_eq!(r.reason, Some(SkipReason::Malformed), "{name}");
            let detail = r.detail.as_deref().unwrap();
            assert!(
                detail.contains(&format!("the {name} stream is truncated or corrupt after")),
                "{detail}"
            );
            assert_eq!(r.format, "csv");
            let email = r.findings.iter().find(|f| f.detector == "email").unwrap();
            assert!(
                email.count > 1000 && email.count < 20_000,
                "{name}: {}",
                email.count
            );
            let rows = r.rows.unwrap();
            assert!(
                rows - email.count <= 1,
                "{name}: every row read holds one, but a cut last one"
            );
            assert!(r.is_unread(), "not read in full");
            // The whole stream is complete, and no reason is given.
            let r = object(whole, key).unwrap();
            assert_eq!(
                (r.status, r.reason),
                (ObjectStatus::Complete, None),
                "{name}"
            );
            assert_eq!(r.findings[0].count, 20_000);
        }
        // Corrupt bytes in the middle of a gzip stream (not only a cut) end it the same way.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(rows_of_emails(20_000).as_bytes()).unwrap();
        let mut bad = gz.finish().unwrap();
        let mid = bad.len() / 2;
        bad[mid..mid + 64].fill(0xFF);
        let r = object(bad, "log.txt.gz").unwrap();
        assert_eq!(r.status, ObjectStatus::Partial, "{r:?}");
        assert!(r.findings.iter().any(|f| f.detector == "email"));
        // A text object read before the break, under its own format.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all("mail jane.doe@mail.example.org\n".repeat(20_000).as_bytes())
            .unwrap();
        let whole = gz.finish().unwrap();
        let r = object(whole[..whole.len() / 2].to_vec(), "app.log.gz").unwrap();
        assert_eq!((r.status, r.format), (ObjectStatus::Partial, "text"));
        assert!(r.findings[0].count > 0);
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf16_text_is_decoded_and_offsets_are_of_the_utf8_text() {
        let text = "Benutzer: Jürgen Müller\r\nMail: jane.doe@mail.example.org\r\n";
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for (bytes, want) in [
            (utf16le(text, true), "UTF-16LE"),
            (utf16le(text, false), "UTF-16LE"),
            (be, "UTF-16BE"),
        ] {
            let r = object(bytes, "Get-ADUser.txt").unwrap();
            assert_eq!(r.status, ObjectStatus::Complete, "{want}: {r:?}");
            assert_eq!(r.encoding, Some(want));
            let l = &r.findings[0].locations[0];
            let at = l.offset as usize..(l.offset + l.length) as usize;
            assert_eq!(&text[at], "jane.doe@mail.example.org", "{want}");
            assert_eq!((l.line, l.column), (2, 7));
            assert_eq!(r.bytes, text.len() as u64, "bytes of the UTF-8 text");
        }
        // PowerShell's Export-Csv -Encoding Unicode: a UTF-16 CSV, by its columns.
        let csv = "\"Name\",\"EmailAddress\"\r\n\"Jane\",\"jane.doe@mail.example.org\"\r\n";
        let r = object(utf16le(csv, true), "users.csv").unwrap();
        assert_eq!(r.format, "csv");
        let l = &r.findings[0].locations[0];
        assert_eq!(l.column_name.as_deref(), Some("EmailAddress"));
        // A UTF-8 byte-order mark is not part of the first column's name or a JSON value.
        let r = object(
            b"\xEF\xBB\xBFemail,id\njane.doe@mail.example.org,1\n".to_vec(),
            "u.csv",
        )
        .unwrap();
        assert_eq!(r.encoding, Some("UTF-8 BOM"));
        let l = &r.findings[0].locations[0];
        assert_eq!(l.column_name.as_deref(), Some("email"));
        let r = object(
            b"\xEF\xBB\xBF{\"email\": \"jane.doe@mail.example.org\"}".to_vec(),
            "u.json",
        )
        .unwrap();
        assert_eq!(
            (r.status, r.format),
            (ObjectStatus::Complete, "json"),
            "{r:?}"
        );
        assert_eq!(
            r.findings[0].locations[0].json_path.as_deref(),
            Some("$.email")
        );
        // Plain UTF-8 is read byte for byte; binary content is still skipped.
        let r = object(text.as_bytes().to_vec(), "a.txt").unwrap();
        assert_eq!(r.encoding, None);
        let mut binary = vec![0u8, 1, 2, 3, 0xFF, 0xFE, 0, 0];
        binary.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let r = object(binary, "blob.bin").unwrap();
        assert_eq!(r.status, ObjectStatus::Skipped);
    }

    #[test]
    fn streams_refuse_random_access_formats_and_skip_unsupported() {
        let err = shared()
            .classify_stream(&ObjectFormat::Parquet, &b"PAR1"[..], &SampleLimits::NONE)
            .unwrap_err();
        assert!(matches!(err, ClassifyError::NeedsFile("parquet")));
        let r = shared()
            .classify_stream(
                &ObjectFormat::Unsupported("pdf".into()),
                &b"%PDF"[..],
                &SampleLimits::NONE,
            )
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Skipped);
        assert_eq!(r.reason, Some(SkipReason::UnsupportedType));
        assert_eq!(r.detail.as_deref(), Some("pdf"));
        let text = "mail jane.doe@mail.example.org\n".repeat(100);
        let r = shared()
            .classify_stream(
                &ObjectFormat::Text,
                text.as_bytes(),
                &SampleLimits {
                    max_bytes: Some(310),
                    max_rows: None,
                },
            )
            .unwrap();
        assert_eq!(r.status, ObjectStatus::Partial);
        assert_eq!(r.bytes, 310);
        assert_eq!(r.findings[0].count, 10);
    }
}
