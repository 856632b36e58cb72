//! `report.json` version 3, for scans whose objects do not fit one report: the scan's
//! header, each bucket with its metadata, posture, errors and totals (summed from its
//! units' summaries), the first findings (capped), and the list of its unit report files
//! (`reports/<unit id>.json`, `.findings.csv`, `.findings.ocsf.json`), which hold every
//! object, deletion and finding. No object is inline.
//!
//! The unit files are written by each unit's finishing task ([`UnitShare`] is what it
//! records of them in its summary); the scan's last task assembles this index from the
//! summaries alone, never from the part files. [`ReportDocument`] reads either version.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::model::{
    BucketMetadata, BucketPart, BucketReport, BucketStatus, BucketTotals, ConfigSummary, Container,
    DeletedObject, Enumeration, ObjectResult, PostureWarning, ScanIssue, ScanReport, Totals,
};

/// Version of the `report.json` layout with unit report files instead of inline objects.
pub const INDEX_FORMAT_VERSION: u32 = 3;

/// Most results with findings a unit's summary keeps for the index (the HTML's first
/// findings): the index keeps the first `first_findings_max` of the scan from these.
pub const FIRST_FINDINGS_PER_UNIT: usize = 10;

/// Most errors a unit's summary lists (all are counted, and all are in its unit file).
pub const ERRORS_PER_UNIT: usize = 100;

/// `report.json` version 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanIndex {
    /// [`INDEX_FORMAT_VERSION`].
    pub format_version: u32,
    /// The scan's id (also the `scans/<scan_id>/` folder).
    pub scan_id: String,
    /// What the scan was asked to do (accounts included).
    pub config: ConfigSummary,
    /// When the plan started (RFC 3339).
    pub started_at: String,
    /// When the last task finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The threshold the scan's results exceeded (`reports.inline_objects_max`).
    pub inline_objects_max: u64,
    /// Objects and deletions recorded, summed over the units (what exceeded it).
    pub entries: u64,
    /// Most findings this index and the top-level files show (`reports.first_findings_max`).
    pub first_findings_max: u32,
    /// Buckets, ordered by account then name.
    pub buckets: Vec<BucketIndex>,
    /// Sums over the buckets.
    pub totals: Totals,
}

/// One bucket of a version 3 report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketIndex {
    /// Owning account id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket name.
    pub name: String,
    /// Complete, partial or failed.
    pub status: BucketStatus,
    /// How objects were enumerated.
    pub enumeration: Enumeration,
    /// Region, encryption, public access, versioning, ownership, tags, size.
    pub metadata: BucketMetadata,
    /// Posture warnings.
    pub warnings: Vec<PostureWarning>,
    /// Containers of the bucket's `openmetadata.json`.
    pub containers: Vec<Container>,
    /// Errors: bucket-level ones and the first of each unit's (all are in `totals.errors`
    /// and the unit files).
    pub errors: Vec<ScanIssue>,
    /// Counts, summed over the bucket's units.
    pub totals: BucketTotals,
    /// The bucket's units and their report files, in plan order.
    pub units: Vec<UnitEntry>,
    /// The bucket's share of the scan's first findings: results with findings, as in a
    /// version 2 bucket's `objects`.
    pub first_findings: Vec<ObjectResult>,
}

/// A unit of a bucket (the bucket, a prefix shard, an inventory data file) and its report
/// files.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitEntry {
    /// Unit id.
    pub unit_id: String,
    /// Key prefix the unit lists (empty: the whole bucket or an inventory file).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Objects and deletions its files hold.
    pub entries: u64,
    /// Findings its files hold.
    pub findings: u64,
    /// Its report files.
    pub files: UnitFiles,
}

/// A unit's report files, as keys relative to `scans/<scan_id>/` (so they resolve next to
/// `report.json`, in S3 and in a CLI's `--out` folder alike).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitFiles {
    /// `reports/<unit id>.json`: [`UnitReportFile`].
    pub json: String,
    /// `reports/<unit id>.findings.csv`: the unit's rows of `findings.csv`, with header.
    pub findings_csv: String,
    /// `reports/<unit id>.findings.ocsf.json`: its OCSF Data Security Finding events.
    pub findings_ocsf: String,
}

impl UnitFiles {
    /// The files of `unit_id`.
    pub fn of(unit_id: &str) -> UnitFiles {
        UnitFiles {
            json: format!("reports/{unit_id}.json"),
            findings_csv: format!("reports/{unit_id}.findings.csv"),
            findings_ocsf: format!("reports/{unit_id}.findings.ocsf.json"),
        }
    }
}

/// What a unit's finishing task records of its report files in the unit's summary: the
/// unit's totals and what the index shows of it, so the scan's last task reads summaries
/// only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitShare {
    /// Owning account id, as in the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket.
    pub bucket: String,
    /// The unit's key prefix.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Its report files.
    pub files: UnitFiles,
    /// Part files read.
    pub parts: u32,
    /// Whether a part ended the unit's enumeration.
    pub last: bool,
    /// How the bucket is enumerated, when a part learned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<Enumeration>,
    /// Objects of the unit's S3 Inventory data file (summed into the bucket's count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_count: Option<u64>,
    /// Their bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Objects (classified, skipped, carried) and deletions recorded.
    pub entries: u64,
    /// The unit's counts (errors: those its parts recorded).
    pub totals: BucketTotals,
    /// Containers its parts read.
    pub containers: Vec<Container>,
    /// The first [`ERRORS_PER_UNIT`] errors.
    pub errors: Vec<ScanIssue>,
    /// The first [`FIRST_FINDINGS_PER_UNIT`] results with findings, in part order.
    pub first_findings: Vec<ObjectResult>,
}

/// One element of a unit file's `slices`: what one part file recorded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceRecords {
    /// The part's slice number.
    pub slice: u32,
    /// Objects classified, skipped (with reasons) or carried forward, with their findings.
    pub objects: Vec<ObjectResult>,
    /// Objects deleted since the last scan.
    pub deleted: Vec<DeletedObject>,
    /// Errors.
    pub errors: Vec<ScanIssue>,
}

/// `reports/<unit id>.json`: every object, deletion and error of one unit, one element of
/// `slices` per part file, in slice order (written one part file at a time).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitReportFile {
    /// [`INDEX_FORMAT_VERSION`].
    pub format_version: u32,
    /// Scan.
    pub scan_id: String,
    /// Unit.
    pub unit_id: String,
    /// Owning account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket.
    pub bucket: String,
    /// The unit's key prefix.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// What each part file recorded.
    pub slices: Vec<SliceRecords>,
}

impl UnitShare {
    /// Counts one part file of the unit into the share: enumeration counts, each object's
    /// result, deletions, errors (the first [`ERRORS_PER_UNIT`] kept), containers, and
    /// the first [`FIRST_FINDINGS_PER_UNIT`] results with findings.
    pub fn add_part(&mut self, p: &BucketPart) {
        self.parts += 1;
        self.last |= p.last;
        if self.enumeration.is_none() {
            self.enumeration = p.enumeration.clone();
        }
        if let Some(n) = p.object_count {
            self.object_count = Some(self.object_count.unwrap_or(0) + n);
            self.size_bytes = Some(self.size_bytes.unwrap_or(0) + p.size_bytes.unwrap_or(0));
        }
        let t = &mut self.totals;
        t.objects_seen += p.objects_seen;
        t.bytes_seen += p.bytes_seen;
        t.objects_not_selected += p.objects_not_selected;
        t.objects_deleted += p.deleted.len() as u64;
        t.errors += p.errors.len() as u64;
        self.entries += (p.objects.len() + p.deleted.len()) as u64;
        for o in &p.objects {
            self.totals.add_object(o);
            if !o.findings.is_empty() && self.first_findings.len() < FIRST_FINDINGS_PER_UNIT {
                self.first_findings.push(o.clone());
            }
        }
        for c in &p.containers {
            self.containers.retain(|k| k.data_path != c.data_path);
            self.containers.push(c.clone());
        }
        let room = ERRORS_PER_UNIT.saturating_sub(self.errors.len());
        self.errors.extend(p.errors.iter().take(room).cloned());
    }
}

impl ScanIndex {
    /// The index as a version 2 report holding only the first findings (each bucket's
    /// `objects` are its `first_findings`; no deletion inline): what `report.html`, the
    /// top-level `findings.csv` and `findings.ocsf.json`, and the CLI's summary render.
    pub fn preview(&self) -> ScanReport {
        ScanReport {
            format_version: self.format_version,
            scan_id: self.scan_id.clone(),
            config: self.config.clone(),
            started_at: self.started_at.clone(),
            finished_at: self.finished_at.clone(),
            buckets: self
                .buckets
                .iter()
                .map(|b| BucketReport {
                    account_id: b.account_id.clone(),
                    name: b.name.clone(),
                    status: b.status,
                    enumeration: b.enumeration.clone(),
                    metadata: b.metadata.clone(),
                    warnings: b.warnings.clone(),
                    containers: b.containers.clone(),
                    objects: b.first_findings.clone(),
                    deleted: Vec::new(),
                    errors: b.errors.clone(),
                    totals: b.totals.clone(),
                })
                .collect(),
            totals: self.totals.clone(),
        }
    }

    /// Findings the index shows, over every bucket.
    pub fn findings_shown(&self) -> u64 {
        self.buckets
            .iter()
            .flat_map(|b| &b.first_findings)
            .map(|o| o.findings.len() as u64)
            .sum()
    }
}

/// A `report.json` of either version.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportDocument {
    /// Version 2 (or older): every object inline.
    Inline(ScanReport),
    /// Version 3: totals and unit report files.
    Index(ScanIndex),
}

#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    format_version: u32,
}

impl ReportDocument {
    /// Parses `report.json`, by its `format_version`.
    pub fn from_slice(bytes: &[u8]) -> Result<ReportDocument, serde_json::Error> {
        let v: Version = serde_json::from_slice(bytes)?;
        if v.format_version >= INDEX_FORMAT_VERSION {
            serde_json::from_slice(bytes).map(ReportDocument::Index)
        } else {
            serde_json::from_slice(bytes).map(ReportDocument::Inline)
        }
    }

    /// The report as version 2 readers see it: itself, or an index's preview.
    pub fn view(&self) -> Cow<'_, ScanReport> {
        match self {
            ReportDocument::Inline(r) => Cow::Borrowed(r),
            ReportDocument::Index(i) => Cow::Owned(i.preview()),
        }
    }

    /// The index, for a version 3 report.
    pub fn index(&self) -> Option<&ScanIndex> {
        match self {
            ReportDocument::Inline(_) => None,
            ReportDocument::Index(i) => Some(i),
        }
    }

    /// The scan's totals.
    pub fn totals(&self) -> &Totals {
        match self {
            ReportDocument::Inline(r) => &r.totals,
            ReportDocument::Index(i) => &i.totals,
        }
    }
}
