//! An xlsx package whose workbook part is not at `xl/workbook.xml` (OPC lets the package
//! relationships in `_rels/.rels` name any part; calamine's own test
//! `minimal_package.xlsx` keeps the workbook at the package root). calamine 0.35 reads
//! `xl/` only (its upstream follows `_rels/.rels` since), and takes a sheet's type from
//! its folder (`worksheets/`, `chartsheets/`), so such a package is copied, entry by entry
//! and still compressed, into a temporary file with the workbook's folder renamed `xl/`
//! and sheets outside those folders moved into `xl/worksheets/` (the workbook's
//! relationships part, a few hundred bytes, is rewritten to match), and that copy is read.

use std::io::{BufReader, Read};
use std::path::Path;

/// Most bytes of `_rels/.rels` read (a few hundred in practice).
const MAX_RELS_BYTES: u64 = 64 << 10;

/// The relationship type of a package's main part (ECMA-376 Part 2, transitional and
/// strict), by its last path segment.
const OFFICE_DOCUMENT: &str = "/officeDocument";

/// A copy of the package at `path` with its workbook at `xl/workbook.xml`, or `None`
/// when the package names no other workbook part or cannot be read or copied.
pub(crate) fn relocated(path: &Path) -> Option<tempfile::NamedTempFile> {
    let file = std::fs::File::open(path).ok()?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).ok()?;
    let mut rels = String::new();
    zip.by_name("_rels/.rels")
        .ok()?
        .take(MAX_RELS_BYTES)
        .read_to_string(&mut rels)
        .ok()?;
    let target = office_document(&rels)?;
    let target = target.trim_start_matches('/');
    if target == "xl/workbook.xml" || zip.index_for_name(target).is_none() {
        return None;
    }
    let (dir, name) = target
        .rsplit_once('/')
        .map_or(("", target), |(d, n)| (d, n));
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let rels_name = format!("{prefix}_rels/{name}.rels");
    let mut workbook_rels = String::new();
    zip.by_name(&rels_name)
        .ok()?
        .take(MAX_RELS_BYTES)
        .read_to_string(&mut workbook_rels)
        .ok()?;
    // Sheets outside `worksheets/` and `chartsheets/`: their part names, old and new.
    let mut moved: Vec<(String, String)> = Vec::new();
    for (kind, sheet) in relationships(&workbook_rels) {
        let folder = sheet.split('/').next().unwrap_or_default();
        let sheet_kind = kind.ends_with("/worksheet") || kind.ends_with("/chartsheet");
        if !sheet_kind || sheet.starts_with('/') || matches!(folder, "worksheets" | "chartsheets") {
            continue;
        }
        let file_name = sheet.rsplit('/').next().unwrap_or(&sheet);
        let new_target = format!("worksheets/{file_name}");
        workbook_rels = workbook_rels.replace(
            &format!("Target=\"{sheet}\""),
            &format!("Target=\"{new_target}\""),
        );
        moved.push((format!("{prefix}{sheet}"), format!("xl/{new_target}")));
    }
    let out = tempfile::NamedTempFile::new().ok()?;
    let mut writer = zip::ZipWriter::new(out.reopen().ok()?);
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).ok()?;
        let old = entry.name().to_string();
        let package_level = old == "[Content_Types].xml" || old == "_rels/.rels";
        if old == rels_name {
            drop(entry);
            writer
                .start_file(
                    "xl/_rels/workbook.xml.rels",
                    zip::write::SimpleFileOptions::default(),
                )
                .ok()?;
            std::io::Write::write_all(&mut writer, workbook_rels.as_bytes()).ok()?;
            continue;
        }
        let new = if old == target {
            "xl/workbook.xml".to_string()
        } else if let Some((_, new)) = moved.iter().find(|(from, _)| *from == old) {
            new.clone()
        } else if package_level {
            old
        } else {
            match old.strip_prefix(&prefix) {
                Some(rest) => format!("xl/{rest}"),
                None => old,
            }
        };
        writer.raw_copy_file_rename(entry, new).ok()?;
    }
    writer.finish().ok()?;
    Some(out)
}

/// The target of the `officeDocument` relationship in a `_rels/.rels` part.
fn office_document(rels: &str) -> Option<String> {
    relationships(rels)
        .into_iter()
        .find(|(kind, _)| kind.ends_with(OFFICE_DOCUMENT))
        .map(|(_, target)| target)
}

/// The type and target of each relationship in a relationships part (those before a
/// malformed spot when it is not well formed).
fn relationships(rels: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut reader = quick_xml::Reader::from_str(rels);
    let decoder = reader.decoder();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Empty(e) | quick_xml::events::Event::Start(e))
                if e.local_name().as_ref() == b"Relationship" =>
            {
                let attr = |key: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == key)
                        .and_then(|a| {
                            a.decode_and_unescape_value(decoder)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                if let (Some(kind), Some(target)) = (attr(b"Type"), attr(b"Target")) {
                    out.push((kind, target));
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::office_document;
    use crate::classify::office::fixtures::{write_zip, xlsx};
    use crate::classify::{Classifier, ClassifyConfig, ObjectFormat, ObjectStatus, SampleLimits};

    /// The parts of a workbook `fixtures::xlsx` writes, with `edit` applied to each
    /// (name, text), written back to the same path.
    fn rewrite(path: &std::path::Path, edit: impl Fn(&str, String) -> Option<(String, String)>) {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut parts = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            if let Some(part) = edit(f.name(), text) {
                parts.push(part);
            }
        }
        let parts: Vec<(&str, String)> =
            parts.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        write_zip(path, &parts);
    }

    /// Adds a part to the package at `path`.
    fn add_part(path: &std::path::Path, name: &str, text: &str) {
        let mut zip = zip::ZipWriter::new_append(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap(),
        )
        .unwrap();
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
        zip.finish().unwrap();
    }

    fn classify(path: &std::path::Path) -> crate::classify::ObjectReport {
        Classifier::new(ClassifyConfig::default())
            .unwrap()
            .classify_file(&ObjectFormat::Xlsx, path, &SampleLimits::NONE)
            .unwrap()
    }

    fn ssn_book(path: &std::path::Path) {
        let rows = vec![
            vec!["name".to_string(), "ssn".to_string()],
            vec!["Jane".to_string(), "536-22-8726".to_string()],
        ];
        xlsx(path, &[("People", rows)]);
    }

    /// calamine's `minimal_package.xlsx` shape (trial 7's D15): the workbook and its sheet
    /// at the package root, named by `_rels/.rels`.
    #[test]
    fn a_workbook_at_the_package_root_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.xlsx");
        ssn_book(&path);
        rewrite(&path, |name, text| {
            let text = text.replace("Target=\"xl/workbook.xml\"", "Target=\"workbook.xml\"");
            let text = text.replace("Target=\"worksheets/sheet1.xml\"", "Target=\"sheet1.xml\"");
            let text = text.replace("/xl/workbook.xml", "/workbook.xml");
            let name = match name {
                "xl/worksheets/sheet1.xml" => "sheet1.xml",
                other => other.strip_prefix("xl/").unwrap_or(other),
            };
            Some((name.to_string(), text))
        });
        let report = classify(&path);
        assert_eq!(report.status, ObjectStatus::Complete, "{report:?}");
        assert!(
            report.findings.iter().any(|f| f.detector == "us_ssn"),
            "{report:?}"
        );
    }

    /// calamine's `any_sheets.xlsx` shape: a chart sheet holds no cells; the workbook is
    /// read whole, and the detail names the chart sheet.
    #[test]
    fn a_chart_sheet_is_skipped_and_noted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.xlsx");
        ssn_book(&path);
        rewrite(&path, |name, text| {
            let text = text.replace(
                "</sheets>",
                r#"<sheet name="Chart" sheetId="9" r:id="rId9"/></sheets>"#,
            );
            let text = text.replace(
                "</Relationships>",
                r#"<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>"#,
            );
            Some((name.to_string(), text))
        });
        add_part(
            &path,
            "xl/chartsheets/sheet1.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>"#,
        );
        let report = classify(&path);
        assert_eq!(report.status, ObjectStatus::Complete, "{report:?}");
        assert!(
            report
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("Chart")),
            "{report:?}"
        );
        assert!(
            report.findings.iter().any(|f| f.detector == "us_ssn"),
            "{report:?}"
        );
    }

    #[test]
    fn the_office_document_target_is_read_from_the_package_relationships() {
        let rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="workbook.xml"/></Relationships>"#;
        assert_eq!(office_document(rels).as_deref(), Some("workbook.xml"));
        assert_eq!(office_document("<Relationships/>"), None);
        assert_eq!(office_document("<not xml"), None);
    }
}
