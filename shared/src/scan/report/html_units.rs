//! The section of a version 3 `report.html` that replaces the inline skipped and deleted
//! objects: where every object, skip, deletion and finding is, one row per unit with
//! links to its report files (relative to the page, so they resolve in S3 and in a CLI's
//! `--out` folder alike).

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::index::ScanIndex;

/// Most unit rows listed; the rest are in `report.json`.
pub const MAX_UNIT_ROWS: usize = 5_000;

/// Writes the unit files section.
pub fn units(h: &mut String, index: &ScanIndex) {
    let t = &index.totals.sums;
    let rows: Vec<_> = index
        .buckets
        .iter()
        .flat_map(|b| b.units.iter().map(move |u| (b, u)))
        .collect();
    let _ = write!(
        h,
        "<section id=\"units\"><h2>Unit report files</h2>\
         <p class=\"note\" id=\"units-note\">This scan recorded {} objects and deletions, more than the {} a report holds inline \
         (<code>reports.inline_objects_max</code>): its {} skipped objects, {} deletions and {} findings are in the {} units' files below, \
         each a JSON document (<code>.json</code>: objects with reasons and findings), its <code>findings.csv</code> rows and its OCSF events.</p>",
        index.entries,
        index.inline_objects_max,
        t.objects_skipped,
        t.objects_deleted,
        t.findings,
        rows.len(),
    );
    h.push_str(
        "<table id=\"units-table\" class=\"sortable-table\"><thead><tr><th>Bucket</th><th>Unit</th><th>Prefix</th>\
         <th data-numeric>Objects and deletions</th><th data-numeric>Findings</th><th>Files</th></tr></thead><tbody>",
    );
    for (b, u) in rows.iter().take(MAX_UNIT_ROWS) {
        let link = |href: &str, label: &str| {
            format!(
                "<a class=\"unit-file\" href=\"{}\">{}</a>",
                attr(href),
                text(label)
            )
        };
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{} {} {}</td></tr>",
            text(&b.name),
            text(&u.unit_id),
            text(&u.prefix),
            u.entries,
            u.findings,
            link(&u.files.json, &u.files.json),
            link(&u.files.findings_csv, "findings.csv"),
            link(&u.files.findings_ocsf, "findings.ocsf.json"),
        );
    }
    h.push_str("</tbody></table>");
    if rows.len() > MAX_UNIT_ROWS {
        let _ = write!(
            h,
            "<p class=\"note\">The first {MAX_UNIT_ROWS} of {} units are listed; all are in report.json.</p>",
            rows.len()
        );
    }
    h.push_str("</section>\n");
}
