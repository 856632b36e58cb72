//! E-mail messages: an `.eml` object, or any object that opens with RFC 5322 headers and a
//! MIME structure, is read part by part, each part's body decoded (base64,
//! quoted-printable, its charset) and classified as what it is: text and HTML bodies as
//! text, attached CSV, JSON, spreadsheets and documents by their own readers. Read as
//! plain text, a card in a base64 body or an attached CSV is invisible, and a
//! quoted-printable soft line break (`=` at a line end) cuts a value in two.
//!
//! Parsing is `mailparse`'s, which needs the whole message in memory: a message is read
//! up to the configured byte bound (`max_bytes`), and never more than
//! [`MAX_MESSAGE_BYTES`]; a longer one is classified on its first bytes and `PARTIAL`,
//! its detail saying so. One decoded part is held at a time besides the message.

use std::io::Read;

use mailparse::{MailHeaderMap, ParsedMail};

use super::engine::Classifier;
use super::findings::{Finding, ObjectReport, ObjectStatus, SkipReason};
use super::format::{ObjectFormat, SampleLimits};
use super::ClassifyError;

/// Most bytes of a message held in memory to parse it (the read bound when none is
/// configured, or when the configured one is larger).
pub const MAX_MESSAGE_BYTES: u64 = 64 << 20;

/// Deepest nesting of attached messages (`message/rfc822`) that is read.
const MAX_NESTING: usize = 8;

/// Whether `head` opens with an RFC 5322 header block (every line up to the first empty
/// line, or the end of `head`, a `Name: value` header or its folded continuation) that
/// says MIME: a `MIME-Version` header, a multipart `Content-Type`, or a base64 or
/// quoted-printable `Content-Transfer-Encoding`.
pub(crate) fn looks_like_message(head: &[u8]) -> bool {
    let mut mime = false;
    let mut lines = 0;
    let mut at = 0;
    while at < head.len() {
        let end = memchr::memchr(b'\n', &head[at..]).map(|i| at + i);
        let line = &head[at..end.unwrap_or(head.len())];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at = end.map_or(head.len(), |e| e + 1);
        if line.is_empty() {
            break;
        }
        lines += 1;
        if line[0] == b' ' || line[0] == b'\t' {
            if lines == 1 {
                return false;
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            // Only the last line of `head` may be cut short.
            return end.is_none() && lines > 1 && mime;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
            return false;
        }
        let value = line[colon + 1..].trim_ascii().to_ascii_lowercase();
        mime |= name.eq_ignore_ascii_case(b"mime-version")
            || name.eq_ignore_ascii_case(b"content-type") && value.starts_with(b"multipart/")
            || name.eq_ignore_ascii_case(b"content-transfer-encoding")
                && (value == b"base64" || value == b"quoted-printable");
    }
    mime && lines >= 2
}

/// A message's report as it is put together from its parts.
struct Parts<'c> {
    classifier: &'c Classifier,
    limits: SampleLimits,
    findings: Vec<Finding>,
    columns: Vec<super::findings::ColumnLabel>,
    /// Parts that could not be read in full (bad base64, a malformed attachment), and
    /// parts left out, in words.
    broken: Vec<String>,
    left_out: Vec<String>,
    partial: bool,
    /// Address of the end of the message's bytes: a part reaching it has no closing
    /// boundary (the message was cut).
    end: usize,
}

impl Classifier {
    /// Classifies an e-mail message (see the module doc). Errors: [`ClassifyError::Read`]
    /// when the stream fails.
    pub(crate) fn classify_email<R: Read>(
        &self,
        reader: R,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let cap = limits
            .max_bytes
            .unwrap_or(MAX_MESSAGE_BYTES)
            .min(MAX_MESSAGE_BYTES);
        let mut raw = Vec::new();
        reader
            .take(MAX_MESSAGE_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(ClassifyError::Read)?;
        let cut = raw.len() as u64 > cap;
        raw.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
        let mut parts = Parts {
            classifier: self,
            limits: SampleLimits {
                max_bytes: None,
                max_rows: limits.max_rows,
            },
            findings: Vec::new(),
            columns: Vec::new(),
            broken: Vec::new(),
            left_out: Vec::new(),
            partial: false,
            end: raw.as_ptr_range().end as usize,
        };
        match mailparse::parse_mail(&raw) {
            Ok(mail) => parts.message(&mail, "", 0),
            Err(e) => {
                // Not parsable as a message after all: read as text.
                parts
                    .broken
                    .push(format!("not a MIME message ({e}): read as text"));
                let report = self.classify_stream(&ObjectFormat::Text, &raw[..], &parts.limits)?;
                parts.add(report, "message");
            }
        }
        let mut detail = Vec::new();
        if cut {
            detail.push(too_long(cap));
        }
        let reason = (!parts.broken.is_empty()).then_some(SkipReason::Malformed);
        detail.append(&mut parts.broken);
        detail.append(&mut parts.left_out);
        let status = if cut || parts.partial || reason.is_some() {
            ObjectStatus::Partial
        } else {
            ObjectStatus::Complete
        };
        Ok(ObjectReport {
            status,
            reason,
            detail: (!detail.is_empty()).then(|| detail.join("; ")),
            encoding: None,
            format: "email",
            bytes: raw.len() as u64,
            rows: None,
            findings: parts.findings,
            columns: parts.columns,
        })
    }
}

/// The detail of a message cut at `cap` bytes.
pub(crate) fn too_long(cap: u64) -> String {
    format!(
        "message larger than {cap} bytes, the most held in memory to decode it: its first {cap} bytes read"
    )
}

/// The body of a base64 part cut short (the message was cut at the byte bound), decoded up
/// to its last whole quantum of four characters; `None` when that does not decode either.
fn cut_base64(part: &ParsedMail<'_>) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let mailparse::body::Body::Base64(body) = part.get_body_encoded() else {
        return None;
    };
    let mut clean: Vec<u8> = body
        .get_raw()
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    clean.truncate(clean.len() - clean.len() % 4);
    base64::engine::general_purpose::STANDARD
        .decode(&clean)
        .ok()
}

/// The name a part carries: its `Content-Disposition` filename, else its
/// `Content-Type` name.
fn part_name(part: &ParsedMail<'_>) -> Option<String> {
    part.get_content_disposition()
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .map(|n| n.replace(['\r', '\n'], " "))
}

impl Parts<'_> {
    /// Reads a message (the object, or one attached to it): its headers (decoded RFC 2047
    /// words included: a subject can hold a value too), then its body's parts. `number`
    /// is its IMAP section number (`""` for the object, `3` for an attached message).
    fn message(&mut self, mail: &ParsedMail<'_>, number: &str, depth: usize) {
        let mut headers = String::new();
        for h in &mail.headers {
            headers.push_str(&h.get_key());
            headers.push_str(": ");
            headers.push_str(&h.get_value());
            headers.push('\n');
        }
        let label = if number.is_empty() {
            "headers".to_string()
        } else {
            format!("part {number} headers")
        };
        self.read(ObjectFormat::Text, headers.as_bytes(), &label);
        if mail.subparts.is_empty() {
            let number = if number.is_empty() {
                "1".to_string()
            } else {
                format!("{number}.1")
            };
            self.part(mail, &number, depth);
        } else {
            self.children(mail, number, depth);
        }
    }

    /// Reads the subparts of a multipart part, numbered under `number`.
    fn children(&mut self, mail: &ParsedMail<'_>, number: &str, depth: usize) {
        for (i, sub) in mail.subparts.iter().enumerate() {
            let n = if number.is_empty() {
                (i + 1).to_string()
            } else {
                format!("{number}.{}", i + 1)
            };
            if sub.subparts.is_empty() {
                self.part(sub, &n, depth);
            } else {
                self.children(sub, &n, depth);
            }
        }
    }

    /// Reads one leaf part: decodes its body and classifies it by its type and name.
    fn part(&mut self, part: &ParsedMail<'_>, number: &str, depth: usize) {
        let mimetype = part.ctype.mimetype.to_ascii_lowercase();
        let name = part_name(part);
        let label = match &name {
            Some(n) => format!("part {number} ({n})"),
            None => format!("part {number}"),
        };
        let body = if mimetype.starts_with("text/") {
            part.get_body().map(String::into_bytes)
        } else {
            part.get_body_raw()
        };
        let body = match body {
            Ok(b) => b,
            Err(_) if part.raw_bytes.as_ptr_range().end as usize == self.end => {
                // The last part of a message cut short: its base64 up to the cut.
                match cut_base64(part) {
                    Some(b) => {
                        self.partial = true;
                        b
                    }
                    None => {
                        self.broken
                            .push(format!("{label}: body cut short, not decodable"));
                        return;
                    }
                }
            }
            Err(e) => {
                let encoding = part
                    .headers
                    .get_first_value("Content-Transfer-Encoding")
                    .unwrap_or_default();
                self.broken
                    .push(format!("{label}: {encoding} body not decodable: {e}"));
                return;
            }
        };
        if mimetype == "message/rfc822" || mimetype == "message/global" {
            if depth >= MAX_NESTING {
                self.left_out.push(format!(
                    "{label}: attached message nested too deep, not read"
                ));
                return;
            }
            match mailparse::parse_mail(&body) {
                Ok(inner) => self.message(&inner, number, depth + 1),
                Err(e) => self
                    .broken
                    .push(format!("{label}: attached message not parsable: {e}")),
            }
            return;
        }
        // The format from the part's name, else from its type.
        let key = match (&name, mimetype.as_str()) {
            (Some(n), _) => n.clone(),
            (None, "text/csv" | "application/csv") => "part.csv".into(),
            (None, "text/tab-separated-values") => "part.tsv".into(),
            (None, "application/json") => "part.json".into(),
            (None, "application/x-ndjson" | "application/jsonl") => "part.jsonl".into(),
            (None, _) => "part.txt".into(),
        };
        let head = &body[..body.len().min(8192)];
        let format = ObjectFormat::detect(&key, head);
        let readable = mimetype.starts_with("text/")
            || mimetype.starts_with("message/")
            || matches!(
                mimetype.as_str(),
                "application/json"
                    | "application/csv"
                    | "application/x-ndjson"
                    | "application/jsonl"
            )
            || name.is_some() && format != ObjectFormat::Text;
        match format {
            ObjectFormat::Unsupported(what) => {
                self.left_out
                    .push(format!("{label}: unsupported type ({what}), not read"));
            }
            _ if !readable => {
                self.left_out
                    .push(format!("{label}: unsupported type ({mimetype}), not read"));
            }
            f if f.needs_file() => self.read_file(&f, &body, &label),
            f => self.read(f, &body, &label),
        }
    }

    /// Classifies a decoded part streamed as `format`.
    fn read(&mut self, format: ObjectFormat, body: &[u8], label: &str) {
        match self.classifier.classify_stream(&format, body, &self.limits) {
            Ok(report) => self.add(report, label),
            Err(e) => self.broken.push(format!("{label}: {e}")),
        }
    }

    /// Classifies a decoded attachment of a random-access format (a spreadsheet, a Word
    /// document) from a temporary file, removed afterwards.
    fn read_file(&mut self, format: &ObjectFormat, body: &[u8], label: &str) {
        let result = (|| -> Result<ObjectReport, ClassifyError> {
            let spool = super::object::Spool::create(&std::env::temp_dir())?;
            std::io::Write::write_all(&mut spool.file()?, body).map_err(ClassifyError::Read)?;
            self.classifier
                .classify_file(format, spool.path(), &self.limits)
        })();
        match result {
            Ok(report) => self.add(report, label),
            Err(e) => self.broken.push(format!("{label}: {e}")),
        }
    }

    /// Adds a part's report: its findings with locations naming the part, its labelled
    /// columns named `part: column`, its status.
    fn add(&mut self, report: ObjectReport, label: &str) {
        let config = self.classifier.config();
        match report.status {
            ObjectStatus::Complete => {}
            ObjectStatus::Partial => {
                self.partial = true;
                if report.reason == Some(SkipReason::Malformed) {
                    self.broken.push(format!(
                        "{label}: {}",
                        report.detail.as_deref().unwrap_or("malformed")
                    ));
                }
            }
            ObjectStatus::Skipped => {
                let what = report
                    .detail
                    .clone()
                    .unwrap_or_else(|| report.reason.map(|r| r.to_string()).unwrap_or_default());
                self.left_out.push(format!("{label}: {what}, not read"));
            }
        }
        for mut f in report.findings {
            for l in &mut f.locations {
                l.part = Some(label.to_string());
            }
            match self.findings.iter_mut().find(|g| g.detector == f.detector) {
                None => self.findings.push(f),
                Some(g) => {
                    g.count += f.count;
                    g.confidence = g.confidence.max(f.confidence);
                    let room = config.max_locations.saturating_sub(g.locations.len());
                    g.locations.extend(f.locations.into_iter().take(room));
                    for s in f.samples {
                        if g.samples.len() < config.max_samples
                            && !g.samples.iter().any(|t| t.hmac == s.hmac)
                        {
                            g.samples.push(s);
                        }
                    }
                }
            }
        }
        self.findings.sort_by(|a, b| a.detector.cmp(&b.detector));
        for mut c in report.columns {
            c.column = format!("{label}: {}", c.column);
            self.columns.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::tests::shared;

    fn classify(message: &str, key: &str) -> ObjectReport {
        let format = ObjectFormat::detect(key, message.as_bytes());
        assert_eq!(format, ObjectFormat::Email, "{key}");
        shared()
            .classify_stream(&format, message.as_bytes(), &SampleLimits::NONE)
            .unwrap()
    }

    /// The parts (`Location::part`) where `id` was found.
    fn parts_of(report: &ObjectReport, id: &str) -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.detector == id)
            .flat_map(|f| {
                f.locations
                    .iter()
                    .map(|l| l.part.clone().unwrap_or_default())
            })
            .collect()
    }

    /// multipart/alternative as Python's `email` package writes it: a quoted-printable
    /// text part whose soft line break (`=` at the line end) cuts the card, and an HTML
    /// part.
    const ALTERNATIVE: &str = "From: Billing <billing@example.org>\r\n\
To: ana@example.net\r\n\
Subject: Your invoice\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative;\r\n boundary=\"===============3766876692280660440==\"\r\n\
\r\n\
--===============3766876692280660440==\r\n\
Content-Type: text/plain; charset=\"utf-8\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Dear customer, we charged the card on file, reference padding padding, card=\r\n \
number 4539 5787 63=\r\n62 1486 expires 12/27. Caf=C3=A9 r=C3=A9f=C3=A9rence.\r\n\
\r\n\
--===============3766876692280660440==\r\n\
Content-Type: text/html; charset=\"utf-8\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<html><body><p>Paid with card <b>5425 2334 3010 99=\r\n03</b></p></body></html>\r\n\
\r\n\
--===============3766876692280660440==--\r\n";

    #[test]
    fn quoted_printable_text_and_html_parts_are_decoded_and_soft_breaks_joined() {
        let report = classify(ALTERNATIVE, "inbox/invoice.eml");
        assert_eq!(report.status, ObjectStatus::Complete, "{:?}", report.detail);
        assert_eq!(report.format, "email");
        assert_eq!(parts_of(&report, "credit_card"), ["part 1", "part 2"]);
        let f = report
            .findings
            .iter()
            .find(|f| f.detector == "credit_card")
            .unwrap();
        assert_eq!(f.locations[0].line, 1);
        assert!(f.locations[0].short().starts_with("part 1 1:"));
        // The sender's address is in the headers.
        assert_eq!(parts_of(&report, "email")[0], "headers");
    }

    /// multipart/mixed: a text part, a base64 CSV attachment (as
    /// `email.mime.application.MIMEApplication` writes it), and an attached message whose
    /// body is base64.
    const MIXED: &str = "Content-Type: multipart/mixed; boundary=\"==b==\"\n\
MIME-Version: 1.0\n\
From: hr@example.org\n\
Subject: records\n\
\n\
--==b==\n\
Content-Type: text/plain; charset=\"us-ascii\"\n\
Content-Transfer-Encoding: 7bit\n\
\n\
See the attached file.\n\
\n\
--==b==\n\
Content-Type: application/octet-stream; Name=\"invoice.csv\"\n\
Content-Transfer-Encoding: base64\n\
Content-Disposition: attachment; filename=\"invoice.csv\"\n\
\n\
bmFtZSxjYXJkLGliYW4KQW5hLDQ1MzkgNTc4NyA2MzYyIDE0ODYsR0I4MiBXRVNUIDEyMzQgNTY5\n\
OCA3NjU0IDMyCkJvLDU0MjUyMzM0MzAxMDk5MDMsREU4OSAzNzA0IDAwNDQgMDUzMiAwMTMwIDAw\n\
Cg==\n\
\n\
--==b==\n\
Content-Type: message/rfc822\n\
\n\
Subject: fwd\n\
From: a@example.org\n\
Content-Type: text/plain; charset=\"utf-8\"\n\
Content-Transfer-Encoding: base64\n\
MIME-Version: 1.0\n\
\n\
Rm9yd2FyZGVkOiBTU04gNTM2LTIyLTg3MjYK\n\
\n\
--==b==--\n";

    #[test]
    fn a_base64_csv_attachment_and_an_attached_message_are_read() {
        // No `.eml` extension: the MIME headers say what it is.
        let report = classify(MIXED, "exports/message-0001");
        assert_eq!(report.status, ObjectStatus::Complete, "{:?}", report.detail);
        assert_eq!(
            parts_of(&report, "credit_card"),
            ["part 2 (invoice.csv)", "part 2 (invoice.csv)"]
        );
        let card = report
            .findings
            .iter()
            .find(|f| f.detector == "credit_card")
            .unwrap();
        assert_eq!(card.locations[0].row, Some(1));
        assert_eq!(card.locations[0].column_name.as_deref(), Some("card"));
        assert_eq!(parts_of(&report, "us_ssn"), ["part 3.1"]);
        assert!(report
            .columns
            .iter()
            .all(|c| c.column.starts_with("part 2 (invoice.csv): ")));
    }

    #[test]
    fn bad_base64_is_a_partial_malformed_message_not_a_panic() {
        let message = MIXED.replace("Cg==", "C*g=!=");
        let report = classify(&message, "m.eml");
        assert_eq!(report.status, ObjectStatus::Partial);
        assert_eq!(report.reason, Some(SkipReason::Malformed));
        let detail = report.detail.clone().unwrap();
        assert!(
            detail.contains("part 2 (invoice.csv): base64 body not decodable"),
            "{detail}"
        );
        // The other parts are still read.
        assert_eq!(parts_of(&report, "us_ssn"), ["part 3.1"]);
    }

    #[test]
    fn a_message_past_the_read_bound_is_read_in_part_and_says_so() {
        let limits = SampleLimits {
            max_bytes: Some(480),
            max_rows: None,
        };
        let report = shared()
            .classify_stream(&ObjectFormat::Email, MIXED.as_bytes(), &limits)
            .unwrap();
        assert_eq!(report.status, ObjectStatus::Partial);
        assert!(report.bytes <= 480);
        // The CSV attachment is cut inside its base64: read up to the cut, not malformed.
        assert_eq!(report.reason, None, "{:?}", report.detail);
        assert_eq!(parts_of(&report, "credit_card"), ["part 2 (invoice.csv)"]);
        let detail = report.detail.clone().unwrap_or_default();
        assert!(
            detail.starts_with("message larger than 480 bytes"),
            "{detail}"
        );
    }

    #[test]
    fn images_and_unknown_binary_parts_are_left_out_by_name() {
        let message = MIXED
            .replace(
                "Content-Type: application/octet-stream; Name=\"invoice.csv\"",
                "Content-Type: image/png",
            )
            .replace("filename=\"invoice.csv\"", "filename=\"scan.png\"");
        let report = classify(&message, "m.eml");
        let detail = report.detail.clone().unwrap_or_default();
        assert!(
            detail.contains("part 2 (scan.png): unsupported type"),
            "{detail}"
        );
        assert!(parts_of(&report, "credit_card").is_empty());
    }

    #[test]
    fn an_attached_word_document_is_read_from_a_temporary_file() {
        use base64::Engine as _;
        let dir = std::env::temp_dir().join(format!("s3c-email-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("letter.docx");
        crate::classify::office::fixtures::docx(&path, &["Dear Ana,", "your SSN 536-22-8726"]);
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(std::fs::read(&path).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        let message = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\
Content-Disposition: attachment; filename=letter.docx\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b--\r\n"
        );
        let report = classify(&message, "m.eml");
        assert_eq!(report.status, ObjectStatus::Complete, "{:?}", report.detail);
        assert_eq!(parts_of(&report, "us_ssn"), ["part 1 (letter.docx)"]);
    }

    #[test]
    fn only_text_opening_with_mime_headers_is_a_message() {
        for head in [
            "From: a@example.org\nMIME-Version: 1.0\n\nbody",
            "Received: from x\n\tby y\nContent-Transfer-Encoding: base64\n\nQUJD",
            "Content-Type: multipart/mixed;\n boundary=x\nSubject: cut hea",
        ] {
            assert!(looks_like_message(head.as_bytes()), "{head:?}");
        }
        for head in [
            "From: a@example.org\nSubject: no MIME\n\nbody",
            "Note: MIME-Version: 1.0 is a header\nsee below",
            "MIME-Version: 1.0",
            " indented: x\nMIME-Version: 1.0\n",
            "2024-05-01 INFO: started\nMIME-Version: 1.0\n",
        ] {
            assert!(!looks_like_message(head.as_bytes()), "{head:?}");
        }
    }
}
