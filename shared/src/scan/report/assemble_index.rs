//! Assembling `report.json` version 3 ([`ScanIndex`]) from the plan's buckets and each
//! unit's [`UnitShare`]: sums of the units' totals, never a part file.

use super::index::{BucketIndex, ScanIndex, UnitEntry, UnitShare, INDEX_FORMAT_VERSION};
use super::model::{BucketReport, BucketStatus, ScanHeader, SizeSource, Totals};

/// One bucket of the plan with its units' shares, as the scan's last task read them.
#[derive(Debug, Clone)]
pub struct BucketShares {
    /// The bucket as the plan knows it: metadata, status (`FAILED` when unreadable,
    /// `COMPLETE` when every unit finished without an issue, else `PARTIAL`), and its
    /// bucket-level errors and unit issues. Its objects and totals are ignored.
    pub bucket: BucketReport,
    /// Its finished units (id and share), in plan order.
    pub units: Vec<(String, UnitShare)>,
}

/// The limits an index is written with (from the scan config's `reports`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexLimits {
    /// `reports.inline_objects_max`.
    pub inline_objects_max: u64,
    /// `reports.first_findings_max`.
    pub first_findings_max: u32,
}

impl ScanIndex {
    /// Builds the index: per bucket the units' totals summed, the inventory's size and
    /// count summed, containers merged by data path, posture warnings from the bucket's
    /// sensitivity, the unit files listed, and the scan's first findings (at most
    /// `first_findings_max` findings, in bucket then unit order).
    ///
    /// A bucket the plan marks `COMPLETE` stays so only when its units recorded a part,
    /// as in a version 2 report.
    pub fn assemble(header: ScanHeader, limits: IndexLimits, buckets: Vec<BucketShares>) -> Self {
        let mut left = limits.first_findings_max as usize;
        let mut entries = 0;
        let mut out: Vec<BucketIndex> = Vec::with_capacity(buckets.len());
        for BucketShares { bucket: b, units } in buckets {
            let mut x = BucketIndex {
                account_id: b.account_id,
                name: b.name,
                status: b.status,
                enumeration: b.enumeration,
                metadata: b.metadata,
                containers: b.containers,
                errors: b.errors,
                ..BucketIndex::default()
            };
            x.totals.errors = x.errors.len() as u64;
            let mut parts = 0;
            let mut inventory: Option<(u64, u64)> = None;
            for (unit_id, s) in units {
                parts += s.parts;
                entries += s.entries;
                x.totals.add(&s.totals);
                if let Some(e) = s.enumeration {
                    x.enumeration = e;
                }
                if let Some(n) = s.object_count {
                    let (count, bytes) = inventory.get_or_insert((0, 0));
                    *count += n;
                    *bytes += s.size_bytes.unwrap_or(0);
                }
                for c in s.containers {
                    x.containers.retain(|k| k.data_path != c.data_path);
                    x.containers.push(c);
                }
                x.errors.extend(s.errors);
                for mut o in s.first_findings {
                    if left == 0 {
                        break;
                    }
                    o.findings.truncate(left);
                    left -= o.findings.len();
                    x.first_findings.push(o);
                }
                x.units.push(UnitEntry {
                    unit_id,
                    prefix: s.prefix,
                    entries: s.entries,
                    findings: s.totals.findings,
                    files: s.files,
                });
            }
            x.containers.sort_by(|a, c| a.data_path.cmp(&c.data_path));
            if x.status == BucketStatus::Complete && parts == 0 {
                x.status = BucketStatus::Partial;
            }
            if let Some((count, bytes)) = inventory {
                x.metadata.object_count = Some(count);
                x.metadata.size_bytes = Some(bytes);
                x.metadata.size_source = Some(SizeSource::Inventory);
            } else if x.metadata.size_source.is_none() && x.status == BucketStatus::Complete {
                x.metadata.size_bytes = Some(x.totals.bytes_seen);
                x.metadata.object_count = Some(x.totals.objects_seen);
                x.metadata.size_source = Some(SizeSource::Listing);
            }
            x.warnings = super::posture::warnings(&x.metadata, x.totals.sensitivity);
            out.push(x);
        }
        out.sort_by(|a, b| (&a.account_id, &a.name).cmp(&(&b.account_id, &b.name)));
        let mut totals = Totals {
            buckets: out.len() as u64,
            ..Totals::default()
        };
        for b in &out {
            if b.status == BucketStatus::Failed {
                totals.buckets_failed += 1;
            }
            if b.totals.findings > 0 {
                totals.buckets_with_findings += 1;
            }
            totals.sums.add(&b.totals);
        }
        ScanIndex {
            format_version: INDEX_FORMAT_VERSION,
            scan_id: header.scan_id,
            config: header.config,
            started_at: header.started_at,
            finished_at: header.finished_at,
            inline_objects_max: limits.inline_objects_max,
            entries,
            first_findings_max: limits.first_findings_max,
            buckets: out,
            totals,
        }
    }
}
