//! The object-level API: one call per object, the reader chosen by [`ObjectFormat`],
//! sampling limits applied, the status `PARTIAL` when a limit cut the object.

use std::io::{self, BufRead, Read};
use std::path::Path;

use crate::object::{self as stored, BombLimits};

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
        let report = match format {
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
            ObjectFormat::Text => self.classify_text(&mut limited, format.name())?,
        };
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
    /// key suffix and magic bytes, under `bomb` limits), detects its format from `key` and
    /// its first decompressed bytes, streams it, or spools a random-access format (Parquet,
    /// xlsx, docx) to a temporary file in `spool_dir` of at most `max_spool_bytes`
    /// (removed afterwards; a larger object is `SKIPPED` with the reason).
    ///
    /// Errors: [`ClassifyError::Read`] when reading or decompressing fails (the message
    /// names a decompression bomb or a corrupt stream) or the spool file cannot be written.
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
        let mut opened = stored::open(raw, content_encoding, content_type, key, bomb)
            .map_err(ClassifyError::Read)?;
        let head = opened.reader.fill_buf().map_err(ClassifyError::Read)?;
        let format = ObjectFormat::detect(key, head);
        if !format.needs_file() {
            return self.classify_stream(&format, opened.reader, limits);
        }
        let spool = Spool::create(spool_dir)?;
        let mut file = io::BufWriter::new(spool.file()?);
        let copied = io::copy(
            &mut Read::by_ref(&mut opened.reader).take(max_spool_bytes.saturating_add(1)),
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
        self.classify_file(&format, spool.path(), limits)
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
                format,
                bytes,
                rows: None,
                findings: findings.finish(),
                columns: Vec::new(),
            },
        })
    }
}

/// A reader cut after a number of bytes, knowing whether anything was left.
pub(crate) struct Limited<R> {
    inner: R,
    left: Option<u64>,
    cut: bool,
}

impl<R: Read> Limited<R> {
    pub fn new(inner: R, max: Option<u64>) -> Self {
        Limited {
            inner,
            left: max,
            cut: false,
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
            None => self.inner.read(buf),
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
                Ok(n)
            }
        }
    }
}

/// A temporary file removed when dropped.
struct Spool {
    path: std::path::PathBuf,
}

impl Spool {
    fn create(dir: &Path) -> Result<Spool, ClassifyError> {
        let mut id = [0u8; 8];
        getrandom::getrandom(&mut id)
            .map_err(|e| ClassifyError::Read(io::Error::other(e.to_string())))?;
        Ok(Spool {
            path: dir.join(format!("s3connector-spool-{}", hex::encode(id))),
        })
    }

    fn file(&self) -> Result<std::fs::File, ClassifyError> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)
            .map_err(ClassifyError::Read)
    }

    fn path(&self) -> &Path {
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
    use crate::classify::engine::normalize;
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
