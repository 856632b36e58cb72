//! CSV, TSV and other delimited records (RFC 4180 quoting, any one-byte delimiter),
//! classified per value and per column; the header row, when there is one, names the
//! columns and its names count as keywords.

use std::io::Read;

use super::batch::{ObjectScan, Place};
use super::delimited_records::DelimitedRecords;
use super::engine::{looks_binary, Classifier};
use super::findings::{ObjectReport, ObjectStatus, SkipReason};
use super::format::SampleLimits;
use super::ClassifyError;

/// Longest header name taken as a column name; a longer first-row field is data.
const MAX_HEADER_NAME: usize = 64;

impl Classifier {
    /// Classifies delimited records read from `reader`. The first record is a header
    /// when every field is a short name with a letter in it, the names are distinct and
    /// the detectors find nothing in them; otherwise columns are `column 1`, `column 2`...
    /// Rows may have any number of fields. `limits.max_rows` counts data rows.
    pub(crate) fn classify_delimited<R: Read>(
        &self,
        reader: R,
        delimiter: u8,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut records = DelimitedRecords::new(reader, delimiter);
        let head = records.head().map_err(ClassifyError::Read)?;
        if looks_binary(&head[..head.len().min(8192)]) {
            return Ok(ObjectReport::skipped(
                SkipReason::UnsupportedType,
                Some("binary content".into()),
                "csv",
            ));
        }
        // With CRLF line ends the csv crate places a record at the `\n` ending the line
        // before it (and on that line); the first line tells which ends the file uses.
        let crlf = memchr::memchr(b'\n', head).is_some_and(|i| i > 0 && head[i - 1] == b'\r');
        let mut scan = ObjectScan::new(self);
        let mut names: Vec<String> = Vec::new();
        let mut columns: Vec<usize> = Vec::new();
        let mut first = true;
        let mut rows: u64 = 0;
        let mut status = ObjectStatus::Complete;
        while records.read().map_err(ClassifyError::Read)? {
            if first {
                first = false;
                let fields: Vec<&[u8]> = records.fields().collect();
                if self.is_header(&fields) {
                    names = header_names(&fields);
                    continue;
                }
            }
            if limits.max_rows.is_some_and(|max| rows >= max) {
                status = ObjectStatus::Partial;
                break;
            }
            rows += 1;
            let (line, offset) = match records.position() {
                (line, byte) if crlf && byte > 0 => (line + 1, byte + 1),
                position => position,
            };
            if records.quoted() && records.fields().any(|f| memchr::memchr(b'\n', f).is_some()) {
                scan.value_breaks_line();
            }
            for (i, value) in records.fields().enumerate() {
                while columns.len() <= i {
                    let n = columns.len();
                    let name = names
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| format!("column {}", n + 1));
                    columns.push(scan.column(&name, Some(&name), None, &name));
                }
                scan.value(
                    columns[i],
                    value,
                    Place {
                        row: Some(rows),
                        line,
                        offset,
                        ..Place::default()
                    },
                );
            }
            scan.end_record();
        }
        scan.rows = rows;
        Ok(scan.finish(status, "csv"))
    }

    /// Whether a first record reads as a header row.
    fn is_header(&self, record: &[&[u8]]) -> bool {
        let mut seen: Vec<&[u8]> = Vec::new();
        for field in record {
            let name = field.trim_ascii();
            let plausible = !name.is_empty()
                && name.len() <= MAX_HEADER_NAME
                && name.iter().any(u8::is_ascii_alphabetic)
                && !name.contains(&b'@')
                && !seen.contains(&name);
            if !plausible {
                return false;
            }
            seen.push(name);
        }
        let joined = seen.join(&b'\n');
        !seen.is_empty() && self.classify_bytes(&joined).findings.is_empty()
    }
}

/// Header names, trimmed; an empty or repeated name becomes `column N`.
fn header_names(record: &[&[u8]]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, field) in record.iter().enumerate() {
        let name = String::from_utf8_lossy(field.trim_ascii()).into_owned();
        if name.is_empty() || names.contains(&name) {
            names.push(format!("column {}", i + 1));
        } else {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::tests::shared;
    use crate::classify::{Finding, ObjectFormat};

    fn csv(text: &str) -> ObjectReport {
        shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b',' },
                text.as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap()
    }

    fn finding<'a>(r: &'a ObjectReport, id: &str) -> &'a Finding {
        r.findings
            .iter()
            .find(|f| f.detector == id)
            .unwrap_or_else(|| panic!("no {id} in {:?}", r.findings))
    }

    #[test]
    fn values_in_secret_named_columns_are_classified_as_assignments() {
        let r = csv("user,password,api_key,comment\n\
             bob,Zq8!vR2#mK9xLp4,Tq4mZ8vL2pXw9RkB,Zq8vR2mK9xLp4Tq4\n\
             amy,changeme,${API_KEY},hello\n");
        let f = finding(&r, "generic_secret");
        let places: Vec<_> = f
            .locations
            .iter()
            .map(|l| (l.row, l.column_name.clone().unwrap(), l.column))
            .collect();
        assert_eq!(
            places,
            [
                (Some(1), "password".to_string(), 1),
                (Some(1), "api_key".to_string(), 1)
            ]
        );
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    }

    const SSNS: [&str; 10] = [
        "536228726",
        "212458769",
        "078051121",
        "345678902",
        "123450987",
        "456789013",
        "567890124",
        "234567891",
        "321654987",
        "654321789",
    ];

    #[test]
    fn header_names_columns_and_counts_as_keyword() {
        let mut text = String::from("id,name,ssn\n");
        for (i, s) in SSNS.iter().enumerate() {
            text.push_str(&format!("{},Person {i},{s}\n", 1000 + i));
        }
        let r = csv(&text);
        assert_eq!(r.status, ObjectStatus::Complete);
        assert_eq!(r.rows, Some(10));
        let f = finding(&r, "us_ssn");
        // Unformatted SSNs need a keyword: only the column name gives one.
        assert_eq!(f.count, 10, "{f:?}");
        let l = &f.locations[1];
        assert_eq!(l.row, Some(2));
        assert_eq!(l.column_name.as_deref(), Some("ssn"));
        assert_eq!(l.line, 3);
        assert_eq!(l.offset, text.find("1001,").unwrap() as u64);
        assert_eq!(l.length, 9);
        // The same rows with CRLF line ends (RFC 4180, Excel's export) are placed alike.
        let crlf = text.replace('\n', "\r\n");
        let c = csv(&crlf);
        let l = &finding(&c, "us_ssn").locations[1];
        assert_eq!((l.row, l.line), (Some(2), 3));
        assert_eq!(l.offset, crlf.find("1001,").unwrap() as u64);
        let labels: Vec<_> = r
            .columns
            .iter()
            .map(|c| (c.column.as_str(), c.detector.as_str()))
            .collect();
        assert_eq!(labels, [("ssn", "us_ssn")]);
        assert_eq!(r.columns[0].sampled, 10);
        assert_eq!(r.columns[0].matched, 10);
    }

    #[test]
    fn the_same_numbers_under_another_name_are_not_ssns() {
        let mut text = String::from("id,order_number\n");
        for (i, s) in SSNS.iter().enumerate() {
            text.push_str(&format!("{i},{s}\n"));
        }
        let r = csv(&text);
        assert!(r.findings.iter().all(|f| f.detector != "us_ssn"), "{r:?}");
        assert!(r.columns.is_empty());
    }

    #[test]
    fn column_rule_needs_distinct_values_and_the_share() {
        // 5 emails out of 10 values: below 60%, found but the column is not labelled.
        let mut text = String::from("contact\n");
        for i in 0..10 {
            if i % 2 == 0 {
                text.push_str(&format!("user{i}@mail.example.org\n"));
            } else {
                text.push_str(&format!("n/a {i}\n"));
            }
        }
        let r = csv(&text);
        assert_eq!(finding(&r, "email").count, 5);
        assert!(r.columns.is_empty(), "{:?}", r.columns);
        // 7 distinct values: below 8, not labelled even when all match.
        let mut text = String::from("contact\n");
        for i in 0..14 {
            text.push_str(&format!("user{}@mail.example.org\n", i % 7));
        }
        assert!(csv(&text).columns.is_empty());
        // 8 distinct: labelled.
        let mut text = String::from("contact\n");
        for i in 0..8 {
            text.push_str(&format!("user{i}@mail.example.org\n"));
        }
        let r = csv(&text);
        assert_eq!(r.columns.len(), 1);
        assert_eq!(r.columns[0].detector, "email");
        assert_eq!(r.columns[0].distinct, 8);
    }

    #[test]
    fn no_header_quoted_fields_and_tabs() {
        let text = "\"Doe, Jane\",\"card 4539 5787 6362 1486\"\n\"Roe, \"\"Rick\"\"\",none\n";
        let r = csv(text);
        let f = finding(&r, "credit_card");
        let l = &f.locations[0];
        assert_eq!(l.row, Some(1), "first row is data: it has a card number");
        assert_eq!(l.column_name.as_deref(), Some("column 2"));
        assert_eq!(l.column, 6, "byte of the value in its field, from 1");
        let tsv = shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b'\t' },
                "name\temail\nJane\tjane.doe@mail.example.org\n".as_bytes(),
                &SampleLimits::NONE,
            )
            .unwrap();
        let l = &finding(&tsv, "email").locations[0];
        assert_eq!((l.row, l.column_name.as_deref()), (Some(1), Some("email")));
    }

    #[test]
    fn clean_csv_has_no_findings() {
        let mut text = String::from("order_id,sku,qty,price,shipped,version,uuid\n");
        for i in 0..200 {
            text.push_str(&format!(
                "{},SKU-{:05},{},{}.{:02},2024-03-{:02},1.{}.{},{:08x}-1c2d-4e5f-8a9b-{:012x}\n",
                100_000 + i,
                i * 7,
                i % 9 + 1,
                i * 3,
                i % 100,
                i % 28 + 1,
                i % 10,
                i % 30,
                i * 7919,
                i * 104_729
            ));
        }
        let r = csv(&text);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert!(r.columns.is_empty());
    }

    #[test]
    fn row_and_byte_limits_give_partial() {
        let mut text = String::from("email\n");
        for i in 0..50 {
            text.push_str(&format!("user{i}@mail.example.org\n"));
        }
        let format = ObjectFormat::Csv { delimiter: b',' };
        let rows = shared()
            .classify_stream(
                &format,
                text.as_bytes(),
                &SampleLimits {
                    max_rows: Some(10),
                    max_bytes: None,
                },
            )
            .unwrap();
        assert_eq!(rows.status, ObjectStatus::Partial);
        assert_eq!(rows.rows, Some(10));
        assert_eq!(finding(&rows, "email").count, 10);
        let bytes = shared()
            .classify_stream(
                &format,
                text.as_bytes(),
                &SampleLimits {
                    max_rows: None,
                    max_bytes: Some(100),
                },
            )
            .unwrap();
        assert_eq!(bytes.status, ObjectStatus::Partial);
        assert!(finding(&bytes, "email").count < 10);
        let all = shared()
            .classify_stream(&format, text.as_bytes(), &SampleLimits::NONE)
            .unwrap();
        assert_eq!(all.status, ObjectStatus::Complete);
        assert_eq!(finding(&all, "email").count, 50);
    }
}
