//! `report.html`: one self-contained page a person opens from disk (no server, no
//! external asset, a Content-Security-Policy that forbids fetching anything).
//!
//! Sections: scan summary (totals), buckets (objects seen, classified, skipped by
//! reason, findings by detector and category, sensitivity), posture warnings, an inline
//! SVG chart of findings by category per bucket, the findings (location and masked
//! samples; sortable by any column, filterable by text, bucket and category), skipped
//! objects with their reasons, containers, deletions and errors. Every text and
//! attribute value goes through `html_escape`; the inline script reads the table and
//! only ever sets `textContent` and `hidden`, so no data is parsed as markup.

use std::fmt::Write as _;
use std::io::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::index::ScanIndex;
use super::model::{
    BucketReport, BucketStatus, FindingRecord, ObjectResult, ObjectStatus, ScanReport, Sensitivity,
};
use super::ReportError;
use crate::classify::Category;

/// Most rows of the findings and skipped-objects tables; the rest are in `report.json`
/// and `findings.csv` (a browser slows down past a few thousand sortable rows).
pub const MAX_TABLE_ROWS: usize = 5_000;

/// Writes the page.
pub fn write<W: Write>(report: &ScanReport, mut w: W) -> Result<(), ReportError> {
    w.write_all(render(report).as_bytes())
        .map_err(ReportError::Write)
}

/// The page as a string.
pub fn render(report: &ScanReport) -> String {
    render_page(report, None)
}

/// The page of a version 3 report: totals, buckets, settings, posture and chart as for
/// version 2, the index's first findings, and the unit report files instead of the
/// skipped and deleted objects' rows.
pub fn render_index(index: &ScanIndex) -> String {
    render_page(&index.preview(), Some(index))
}

fn render_page(report: &ScanReport, index: Option<&ScanIndex>) -> String {
    let mut h = String::with_capacity(64 * 1024);
    head(&mut h, report);
    summary(&mut h, report);
    buckets(&mut h, report);
    settings(&mut h, report);
    posture(&mut h, report);
    chart(&mut h, report);
    findings(&mut h, report, index);
    match index {
        None => {
            skipped(&mut h, report);
            containers(&mut h, report);
            deleted(&mut h, report);
        }
        Some(index) => {
            containers(&mut h, report);
            super::html_units::units(&mut h, index);
        }
    }
    errors(&mut h, report);
    h.push_str("<script>");
    h.push_str(SCRIPT);
    h.push_str("</script>\n</body>\n</html>\n");
    h
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1b1f24;background:#fff}
h1{margin:0 0 .25rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a;margin:0}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:8rem}
.card .n{font-size:1.6rem;font-weight:600}.card .l{color:#57606a;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:.5rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}th.sortable{cursor:pointer;user-select:none}
th.sortable::after{content:" \2195";color:#8c959f}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;word-break:break-all}
.sens-high{color:#fff;background:#cf222e}.sens-medium{background:#fb8f44}
.sens-low{background:#fff8c5}.sens-none{background:#dafbe1}.sens-unknown{background:#eaeef2}
.badge{border-radius:1rem;padding:.05rem .5rem;font-size:.8rem;white-space:nowrap}
.status-FAILED{color:#cf222e;font-weight:600}.status-PARTIAL{color:#9a6700}
.warn{color:#9a6700}.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
.filters input{min-width:18rem}.note{color:#57606a;font-size:.85rem}
"#;

const SCRIPT: &str = r#"
(function(){
  function cellValue(row, i){
    var c = row.cells[i];
    return c ? (c.getAttribute('data-sort') || c.textContent) : '';
  }
  document.querySelectorAll('table.sortable-table').forEach(function(table){
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, i){
      th.classList.add('sortable');
      th.setAttribute('title', 'Sort');
      th.addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(h){ h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var numeric = th.hasAttribute('data-numeric');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = cellValue(a, i), y = cellValue(b, i);
          var r = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
                          : x.localeCompare(y, undefined, {numeric: true});
          return asc ? r : -r;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
  var table = document.getElementById('findings-table');
  if (!table) return;
  var q = document.getElementById('findings-filter');
  var bucket = document.getElementById('findings-bucket');
  var category = document.getElementById('findings-category');
  var shown = document.getElementById('findings-shown');
  function apply(){
    var text = q.value.toLowerCase(), n = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function(r){
      var ok = (!text || r.textContent.toLowerCase().indexOf(text) >= 0)
        && (!bucket.value || r.getAttribute('data-bucket') === bucket.value)
        && (!category.value || r.getAttribute('data-category') === category.value);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = String(n);
  }
  // A filter can be shared as a link: report.html#q=credit_card
  var m = /^#q=(.*)$/.exec(location.hash);
  if (m) { try { q.value = decodeURIComponent(m[1]); } catch (e) { q.value = m[1]; } }
  q.addEventListener('input', apply);
  bucket.addEventListener('change', apply);
  category.addEventListener('change', apply);
  apply();
})();
"#;

fn head(h: &mut String, r: &ScanReport) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>s3connector scan {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>s3connector scan report</h1>\n<p class=\"meta\">Scan <code id=\"scan-id\">{}</code> \
         &middot; mode {} &middot; started {} &middot; finished {}</p>\n",
        text(&r.scan_id),
        text(&r.scan_id),
        text(match r.config.mode {
            super::model::ScanMode::Full => "full",
            super::model::ScanMode::Incremental => "incremental",
        }),
        text(&r.started_at),
        text(r.finished_at.as_deref().unwrap_or("not finished")),
    );
    if !r.config.output.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Reports in <code>{}</code></p>",
            text(&r.config.output)
        );
    }
}

fn card(h: &mut String, id: &str, n: u64, label: &str) {
    let _ = write!(
        h,
        "<div class=\"card\" id=\"total-{id}\"><div class=\"n\">{n}</div><div class=\"l\">{label}</div></div>"
    );
}

fn summary(h: &mut String, r: &ScanReport) {
    let t = &r.totals;
    h.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
    card(h, "buckets", t.buckets, "buckets");
    card(h, "objects-seen", t.sums.objects_seen, "objects seen");
    if t.sums.objects_excluded_by_type > 0 {
        let kinds: Vec<String> = t
            .sums
            .excluded_by_type
            .iter()
            .map(|(k, n)| format!("{}={n}", text(k)))
            .collect();
        card(
            h,
            "objects-excluded-by-type",
            t.sums.objects_excluded_by_type,
            &format!(
                "objects excluded by file type, not read ({})",
                kinds.join(" ")
            ),
        );
    }
    card(
        h,
        "objects-classified",
        t.sums.objects_classified,
        "objects classified",
    );
    card(
        h,
        "objects-skipped",
        t.sums.objects_skipped,
        "objects skipped",
    );
    card(
        h,
        "findings",
        t.sums.findings,
        "findings (a detector in an object: the rows below)",
    );
    card(
        h,
        "occurrences",
        t.sums.occurrences,
        "occurrences (matches in those findings)",
    );
    card(
        h,
        "objects-carried",
        t.sums.objects_carried,
        "objects unchanged, results carried forward",
    );
    card(
        h,
        "objects-with-findings",
        t.sums.objects_with_findings,
        "objects with findings",
    );
    card(
        h,
        "buckets-failed",
        t.buckets_failed,
        "buckets not readable",
    );
    let _ = write!(
        h,
        "<div class=\"card\" id=\"total-sensitivity\"><div class=\"n\">{}</div><div class=\"l\">highest sensitivity</div></div>",
        badge(t.sums.sensitivity)
    );
    h.push_str("</div></section>\n");
}

fn badge(s: Sensitivity) -> String {
    format!("<span class=\"badge sens-{0}\">{0}</span>", s.as_str())
}

fn counts<K: std::fmt::Display>(map: impl IntoIterator<Item = (K, u64)>) -> String {
    let parts: Vec<String> = map
        .into_iter()
        .map(|(k, n)| format!("{}: {n}", text(&k.to_string())))
        .collect();
    if parts.is_empty() {
        "&ndash;".to_string()
    } else {
        parts.join("<br>")
    }
}

fn bucket_label(b: &BucketReport) -> String {
    match &b.account_id {
        Some(a) => format!("{a}/{}", b.name),
        None => b.name.clone(),
    }
}

fn buckets(h: &mut String, r: &ScanReport) {
    h.push_str(
        "<section id=\"buckets\"><h2>Buckets</h2><table id=\"bucket-table\" class=\"sortable-table\"><thead><tr>\
         <th>Bucket</th><th>Account</th><th>Region</th><th>Status</th><th>Sensitivity</th>\
         <th data-numeric>Objects seen</th><th data-numeric>Classified</th>\
         <th data-numeric>Skipped</th><th>Skipped by reason</th><th data-numeric>Findings</th>\
         <th data-numeric>Occurrences</th><th>Occurrences by detector</th><th>Occurrences by category</th><th data-numeric>Deleted</th><th data-numeric>Errors</th>\
         </tr></thead><tbody>",
    );
    for b in &r.buckets {
        let t = &b.totals;
        let _ = write!(
            h,
            "<tr data-bucket=\"{}\"><td class=\"mono\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"status-{}\">{}</td><td data-sort=\"{}\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            attr(&bucket_label(b)),
            text(&b.name),
            text(b.account_id.as_deref().unwrap_or("")),
            text(b.metadata.region.as_deref().unwrap_or("")),
            b.status.as_str(),
            b.status.as_str(),
            t.sensitivity as u8,
            badge(t.sensitivity),
            t.objects_seen,
            t.objects_classified,
            t.objects_skipped,
            counts(t.skipped_by_reason.iter().map(|(k, n)| (k.as_str(), *n))),
            t.findings,
            t.occurrences,
            counts(t.occurrences_by_detector.iter().map(|(k, n)| (k.as_str(), *n))),
            counts(t.occurrences_by_category.iter().map(|(k, n)| (k.as_str(), *n))),
            t.objects_deleted,
            t.errors,
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// Block Public Access settings as one cell: `on` (all four), `off`, or the ones on.
fn bpa(p: Option<super::model::PublicAccessBlock>) -> String {
    match p {
        None => "not read".into(),
        Some(p) if p.all_on() => "all on".into(),
        Some(p) if p.off_settings().len() == 4 => "all off".into(),
        Some(p) => format!("off: {}", p.off_settings().join(", ")),
    }
}

/// How each bucket was enumerated, its size and count and where they come from, and its
/// Block Public Access settings at bucket and account level.
fn settings(h: &mut String, r: &ScanReport) {
    h.push_str(
        "<section id=\"settings\"><h2>Bucket settings</h2><table id=\"settings-table\"><thead><tr>\
         <th>Bucket</th><th>Enumerated by</th><th data-numeric>Objects</th><th data-numeric>Size (bytes)</th>\
         <th>Size from</th><th>Block Public Access (bucket)</th><th>Block Public Access (account)</th>\
         </tr></thead><tbody>",
    );
    for b in &r.buckets {
        let m = &b.metadata;
        let enumeration = match &b.enumeration {
            super::model::Enumeration::Listing => "ListObjectsV2".to_string(),
            super::model::Enumeration::Inventory {
                manifest,
                created_at,
            } => format!(
                "S3 Inventory <span class=\"mono\">{}</span> ({})",
                text(manifest),
                text(created_at)
            ),
        };
        let source = m
            .size_source
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let number = |n: Option<u64>| n.map_or("&ndash;".to_string(), |n| n.to_string());
        let _ = write!(
            h,
            "<tr data-bucket=\"{}\"><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            attr(&bucket_label(b)),
            text(&b.name),
            enumeration,
            number(m.object_count),
            number(m.size_bytes),
            text(&source),
            text(&bpa(m.public_access_block)),
            text(&bpa(m.account_public_access_block)),
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn posture(h: &mut String, r: &ScanReport) {
    h.push_str("<section id=\"posture\"><h2>Posture warnings</h2>");
    let mut any = false;
    for b in r.buckets.iter().filter(|b| !b.warnings.is_empty()) {
        any = true;
        let _ = write!(h, "<h3 class=\"mono\">{}</h3><ul>", text(&bucket_label(b)));
        for w in &b.warnings {
            let code = serde_json::to_value(w.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<li class=\"warn\"><code>{}</code> {}</li>",
                text(&code),
                text(&w.message)
            );
        }
        h.push_str("</ul>");
    }
    if !any {
        h.push_str("<p>No posture warnings.</p>");
    }
    h.push_str("</section>\n");
}

/// Fill colour per category (colour-blind-safe Okabe-Ito palette).
fn colour(c: Category) -> &'static str {
    match c {
        Category::Credentials => "#D55E00",
        Category::Financial => "#0072B2",
        Category::Personal => "#E69F00",
        Category::NationalId => "#CC79A7",
    }
}

fn chart(h: &mut String, r: &ScanReport) {
    h.push_str("<section id=\"chart\"><h2>Occurrences by category</h2>");
    let rows: Vec<&BucketReport> = r.buckets.iter().filter(|b| b.totals.findings > 0).collect();
    if rows.is_empty() {
        h.push_str("<p>No findings.</p></section>\n");
        return;
    }
    let max = rows
        .iter()
        .map(|b| b.totals.occurrences)
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (260.0, 440.0, 28.0);
    let categories: Vec<Category> = r
        .totals
        .sums
        .occurrences_by_category
        .keys()
        .copied()
        .collect();
    let height = row_h * rows.len() as f64 + 40.0;
    let _ = write!(
        h,
        "<svg id=\"category-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         aria-label=\"Occurrences by category per bucket\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" font-size=\"12\" font-family=\"system-ui,sans-serif\">",
        w = label_w + bar_w + 60.0
    );
    for (i, b) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + 18.0,
            text(&truncate(&b.name, 36))
        );
        let mut x = label_w;
        for (c, n) in &b.totals.occurrences_by_category {
            let w = bar_w * *n as f64 / max as f64;
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" \
                 data-category=\"{}\"><title>{}: {} {n}</title></rect>",
                y + 4.0,
                row_h - 8.0,
                colour(*c),
                c.as_str(),
                text(&b.name),
                c.as_str(),
            );
            x += w;
        }
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 6.0,
            y + 18.0,
            b.totals.occurrences
        );
    }
    let mut x = label_w;
    let y = row_h * rows.len() as f64 + 12.0;
    for c in categories {
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            colour(c),
            x + 16.0,
            y + 11.0,
            c.as_str()
        );
        x += 110.0;
    }
    h.push_str("</svg></section>\n");
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('\u{2026}');
        t
    }
}

fn findings(h: &mut String, r: &ScanReport, index: Option<&ScanIndex>) {
    let rows: Vec<(&BucketReport, &super::model::ObjectResult, &FindingRecord)> = r
        .buckets
        .iter()
        .flat_map(|b| {
            b.objects
                .iter()
                .flat_map(move |o| o.findings.iter().map(move |f| (b, o, f)))
        })
        .collect();
    let _ = write!(
        h,
        "<section id=\"findings\"><h2>Findings</h2><div class=\"filters\">\
         <input id=\"findings-filter\" type=\"search\" placeholder=\"Filter: key, detector, sample\" aria-label=\"Filter findings\">\
         <select id=\"findings-bucket\" aria-label=\"Bucket\"><option value=\"\">All buckets</option>"
    );
    for b in r.buckets.iter().filter(|b| b.totals.findings > 0) {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            attr(&bucket_label(b)),
            text(&bucket_label(b))
        );
    }
    h.push_str("</select><select id=\"findings-category\" aria-label=\"Category\"><option value=\"\">All categories</option>");
    for c in r.totals.sums.occurrences_by_category.keys() {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", c.as_str());
    }
    // A version 3 report lists its first findings; the total is the scan's.
    let total = index.map_or(rows.len() as u64, |i| i.totals.sums.findings);
    let _ = write!(
        h,
        "</select><span class=\"note\"><span id=\"findings-shown\">{}</span> of {} shown</span></div>",
        rows.len().min(MAX_TABLE_ROWS),
        total
    );
    if let Some(i) = index {
        let _ = write!(
            h,
            "<p class=\"note\" id=\"findings-first\">The first {} of {} findings are listed (at most {}); every finding is in the unit report files below (<code>reports/&lt;unit&gt;.findings.csv</code>).</p>",
            rows.len(),
            i.totals.sums.findings,
            i.first_findings_max
        );
    }
    h.push_str(
        "<table id=\"findings-table\" class=\"sortable-table\"><thead><tr><th>Bucket</th><th>Key</th>\
         <th>Detector</th><th>Category</th><th>Confidence</th><th>Sensitivity</th><th data-numeric>Occurrences</th>\
         <th>Locations</th><th>Masked samples</th><th>Status</th></tr></thead><tbody>",
    );
    for (b, o, f) in rows.iter().take(MAX_TABLE_ROWS) {
        let s = Sensitivity::of_finding(f);
        let locations: Vec<String> = f.locations.iter().map(|l| l.describe()).collect();
        let more = if f.count > f.locations.len() as u64 {
            format!(" (+{} more)", f.count - f.locations.len() as u64)
        } else {
            String::new()
        };
        let samples: Vec<String> = f
            .samples
            .iter()
            .map(|s| format!("<code class=\"sample\">{}</code>", text(&s.masked)))
            .collect();
        let _ = write!(
            h,
            "<tr data-bucket=\"{}\" data-category=\"{}\"><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td data-sort=\"{}\">{}</td><td class=\"num\">{}</td>\
             <td>{}{}</td><td>{}</td><td>{}</td></tr>",
            attr(&bucket_label(b)),
            f.category.as_str(),
            text(&b.name),
            text(&o.metadata.key),
            text(&f.detector),
            f.category.as_str(),
            text(&f.confidence),
            s as u8,
            badge(s),
            f.count,
            text(&locations.join("; ")),
            more,
            samples.join(" "),
            status_of(o),
        );
    }
    h.push_str("</tbody></table>");
    if rows.len() > MAX_TABLE_ROWS && index.is_none() {
        let _ = write!(
            h,
            "<p class=\"note\">The first {MAX_TABLE_ROWS} of {} findings are listed; all are in findings.csv and report.json.</p>",
            rows.len()
        );
    }
    h.push_str("</section>\n");
}

/// An object's status, and for a result carried forward the scan that read it.
fn status_of(o: &ObjectResult) -> String {
    match &o.carried_from {
        Some(scan) => format!(
            "{} <span class=\"note\">(unchanged, carried from scan {})</span>",
            o.status.as_str(),
            text(scan)
        ),
        None => o.status.as_str().to_string(),
    }
}

fn skipped(h: &mut String, r: &ScanReport) {
    let rows: Vec<_> = r
        .buckets
        .iter()
        .flat_map(|b| {
            b.objects
                .iter()
                .filter(|o| o.status != ObjectStatus::Complete)
                .map(move |o| (b, o))
        })
        .collect();
    h.push_str("<section id=\"skipped\"><h2>Skipped and partly read objects</h2>");
    if rows.is_empty() {
        h.push_str("<p>Every selected object was read completely.</p></section>\n");
        return;
    }
    h.push_str(
        "<table id=\"skipped-table\" class=\"sortable-table\"><thead><tr><th>Bucket</th><th>Key</th>\
         <th data-numeric>Size</th><th>Storage class</th><th>Status</th><th>Reason</th><th>Detail</th>\
         </tr></thead><tbody>",
    );
    for (b, o) in rows.iter().take(MAX_TABLE_ROWS) {
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            text(&b.name),
            text(&o.metadata.key),
            o.metadata.size,
            text(o.metadata.storage_class.as_deref().unwrap_or("")),
            o.status.as_str(),
            o.reason.map(|r| r.as_str()).unwrap_or(""),
            text(o.message.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</tbody></table>");
    if rows.len() > MAX_TABLE_ROWS {
        let _ = write!(
            h,
            "<p class=\"note\">The first {MAX_TABLE_ROWS} of {} are listed; all are in report.json.</p>",
            rows.len()
        );
    }
    h.push_str("</section>\n");
}

fn containers(h: &mut String, r: &ScanReport) {
    let rows: Vec<_> = r
        .buckets
        .iter()
        .flat_map(|b| b.containers.iter().map(move |c| (b, c)))
        .collect();
    if rows.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"containers\"><h2>Containers (openmetadata.json)</h2><table><thead><tr>\
         <th>Bucket</th><th>Data path</th><th>Format</th><th>Columns</th><th>Partition columns</th>\
         <th>Objects</th><th>Size (bytes)</th></tr></thead><tbody>",
    );
    for (b, c) in rows {
        let cols = |cols: &[super::model::Column]| {
            cols.iter()
                .map(|c| format!("{} <small>{}</small>", text(&c.name), text(&c.data_type)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let format = c
            .structure_format
            .clone()
            .unwrap_or_else(|| c.unstructured_formats.join(", "));
        let columns = match &c.error {
            Some(e) => format!("<span class=\"warn\">{}</span>", text(e)),
            None => cols(&c.columns),
        };
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            text(&b.name),
            text(&c.data_path),
            text(&format),
            columns,
            cols(&c.partition_columns),
            c.object_count,
            c.size_bytes,
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn deleted(h: &mut String, r: &ScanReport) {
    let rows: Vec<_> = r
        .buckets
        .iter()
        .flat_map(|b| b.deleted.iter().map(move |d| (b, d)))
        .collect();
    if rows.is_empty() {
        return;
    }
    h.push_str("<section id=\"deleted\"><h2>Deleted since the last scan</h2><table><thead><tr><th>Bucket</th><th>Key</th><th>Last modified</th></tr></thead><tbody>");
    for (b, d) in rows.iter().take(MAX_TABLE_ROWS) {
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            text(&b.name),
            text(&d.key),
            text(d.last_modified.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn errors(h: &mut String, r: &ScanReport) {
    let rows: Vec<_> = r
        .buckets
        .iter()
        .flat_map(|b| b.errors.iter().map(move |e| (b, e)))
        .collect();
    h.push_str("<section id=\"errors\"><h2>Errors</h2>");
    if rows.is_empty() {
        h.push_str("<p>No errors.</p></section>\n");
        return;
    }
    h.push_str(
        "<table id=\"errors-table\"><thead><tr><th>Bucket</th><th>Operation</th><th>Key</th>\
         <th>AWS error code</th><th>IAM action to grant</th><th>Message</th></tr></thead><tbody>",
    );
    for (b, e) in rows.iter().take(MAX_TABLE_ROWS) {
        let _ = write!(
            h,
            "<tr class=\"{}\"><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td><code>{}</code></td>\
             <td><code>{}</code></td><td>{}</td></tr>",
            if b.status == BucketStatus::Failed { "status-FAILED" } else { "" },
            text(&b.name),
            text(&e.operation),
            text(e.key.as_deref().unwrap_or("")),
            text(e.code.as_deref().unwrap_or("")),
            text(e.action.as_deref().unwrap_or("")),
            text(&e.message),
        );
    }
    h.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::report::tests::{sample_report, HOSTILE_KEY, PLANTED};

    #[test]
    fn page_holds_no_unmasked_value_and_no_raw_markup_from_data() {
        let page = render(&sample_report());
        for v in PLANTED {
            assert!(!page.contains(v), "report.html holds {v} unmasked");
        }
        assert!(!page.contains("<script>alert"), "key not escaped");
        assert!(
            page.contains("exports/&lt;script&gt;alert"),
            "escaped key missing"
        );
        assert!(!page.contains(HOSTILE_KEY));
    }

    #[test]
    fn page_is_self_contained() {
        let page = render(&sample_report());
        for banned in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(",
            "<link",
            "<img",
        ] {
            assert!(!page.contains(banned), "external reference {banned}");
        }
        assert!(page.contains("default-src 'none'"));
        assert_eq!(page.matches("<script>").count(), 1);
    }

    #[test]
    fn summary_buckets_chart_and_findings_are_present() {
        let page = render(&sample_report());
        assert!(page.contains("id=\"total-findings\"><div class=\"n\">3</div>"));
        assert!(page.contains("<td class=\"mono\">acme-hr-exports</td>"));
        assert!(page.contains("ARCHIVED_STORAGE_CLASS: 1"));
        assert!(page.contains("<code class=\"sample\">45************86</code>"));
        assert!(page.contains("<svg id=\"category-chart\""));
        assert!(page.contains("data-category=\"financial\""));
        assert!(page.contains("s3:ListBucket"));
        assert!(page.contains("sensitive_data_exposed"));
    }

    #[test]
    fn empty_report_renders() {
        let mut r = sample_report();
        r.buckets.clear();
        r.totals = Default::default();
        let page = render(&r);
        assert!(page.contains("No findings."));
        assert!(page.contains("No errors."));
    }
}
