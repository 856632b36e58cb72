//! Assembling the report: the plan's buckets and every part file merged into one
//! [`ScanReport`], with totals and posture warnings computed.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    BucketPart, BucketReport, BucketStatus, BucketTotals, ObjectResult, ObjectStatus, ScanHeader,
    ScanReport, SizeSource, SkipReason, Totals, REPORT_FORMAT_VERSION,
};

impl ScanReport {
    /// Builds the whole report from the plan's buckets (metadata, posture, bucket-level
    /// errors; objects and counts empty) and every part file, in any order.
    ///
    /// Parts of a bucket missing from the plan add the bucket. An object recorded by two
    /// parts (a task retried after writing its part) is kept once, from the part with the
    /// higher sequence. A bucket is `COMPLETE` when a part marked `last` exists and it had
    /// no bucket-level failure, `FAILED` when the plan marked it so, else `PARTIAL`.
    /// Posture warnings are recomputed with the bucket's sensitivity (see
    /// [`super::posture::warnings`]).
    pub fn assemble(
        header: ScanHeader,
        plan: Vec<BucketReport>,
        parts: impl IntoIterator<Item = BucketPart>,
    ) -> ScanReport {
        let mut buckets: BTreeMap<(Option<String>, String), BucketReport> = BTreeMap::new();
        for b in plan {
            buckets.insert((b.account_id.clone(), b.name.clone()), b);
        }
        let mut parts: Vec<BucketPart> = parts.into_iter().collect();
        parts.sort_by_key(|p| p.sequence);
        let mut finished: BTreeSet<(Option<String>, String)> = BTreeSet::new();
        let mut objects: BTreeMap<(Option<String>, String), BTreeMap<String, ObjectResult>> =
            BTreeMap::new();
        for p in parts {
            let id = (p.account_id.clone(), p.bucket.clone());
            let b = buckets.entry(id.clone()).or_insert_with(|| BucketReport {
                account_id: p.account_id.clone(),
                name: p.bucket.clone(),
                ..BucketReport::default()
            });
            if p.last {
                finished.insert(id.clone());
            }
            if let Some(e) = p.enumeration {
                b.enumeration = e;
            }
            // Each inventory data file's unit counts its own objects: the bucket's size
            // and count as of the report are their sums.
            if let Some(n) = p.object_count {
                if b.metadata.size_source != Some(SizeSource::Inventory) {
                    b.metadata.object_count = Some(0);
                    b.metadata.size_bytes = Some(0);
                    b.metadata.size_source = Some(SizeSource::Inventory);
                }
                b.metadata.object_count = Some(b.metadata.object_count.unwrap_or(0) + n);
                b.metadata.size_bytes =
                    Some(b.metadata.size_bytes.unwrap_or(0) + p.size_bytes.unwrap_or(0));
            }
            b.totals.objects_seen += p.objects_seen;
            b.totals.bytes_seen += p.bytes_seen;
            b.totals.objects_not_selected += p.objects_not_selected;
            for (t, n) in p.excluded_by_type {
                b.totals.objects_excluded_by_type += n;
                *b.totals.excluded_by_type.entry(t).or_default() += n;
            }
            for c in p.containers {
                b.containers.retain(|x| x.data_path != c.data_path);
                b.containers.push(c);
            }
            b.deleted.extend(p.deleted);
            b.errors.extend(p.errors);
            let by_key = objects.entry(id).or_default();
            for o in p.objects {
                by_key.insert(o.metadata.key.clone(), o);
            }
        }
        let mut out = Vec::with_capacity(buckets.len());
        for (id, mut b) in buckets {
            b.objects = objects
                .remove(&id)
                .unwrap_or_default()
                .into_values()
                .collect();
            b.deleted.sort_by(|a, c| a.key.cmp(&c.key));
            b.deleted.dedup_by(|a, c| a.key == c.key);
            b.containers.sort_by(|a, c| a.data_path.cmp(&c.data_path));
            if b.status != BucketStatus::Failed {
                b.status = if finished.contains(&id) {
                    BucketStatus::Complete
                } else {
                    BucketStatus::Partial
                };
            }
            if b.metadata.size_source.is_none() && finished.contains(&id) {
                b.metadata.size_bytes = Some(b.totals.bytes_seen);
                b.metadata.object_count = Some(b.totals.objects_seen);
                b.metadata.size_source = Some(SizeSource::Listing);
            }
            b.compute_totals();
            b.warnings = super::posture::warnings(&b.metadata, b.totals.sensitivity);
            out.push(b);
        }
        let totals = Totals::of(&out);
        ScanReport {
            format_version: REPORT_FORMAT_VERSION,
            scan_id: header.scan_id,
            config: header.config,
            started_at: header.started_at,
            finished_at: header.finished_at,
            buckets: out,
            totals,
        }
    }
}

impl BucketReport {
    /// Recomputes the derived counts from `objects`, `deleted` and `errors`, keeping
    /// the enumeration counts (`objects_seen`, `bytes_seen`, `objects_not_selected`).
    pub fn compute_totals(&mut self) {
        let kept = BucketTotals {
            objects_seen: self.totals.objects_seen,
            bytes_seen: self.totals.bytes_seen,
            objects_not_selected: self.totals.objects_not_selected,
            objects_excluded_by_type: self.totals.objects_excluded_by_type,
            excluded_by_type: self.totals.excluded_by_type.clone(),
            ..BucketTotals::default()
        };
        let mut t = kept;
        for o in &self.objects {
            t.add_object(o);
        }
        t.objects_deleted = self.deleted.len() as u64;
        t.errors = self.errors.len() as u64;
        self.totals = t;
    }
}

impl BucketTotals {
    /// Counts one object's result: classified, partial, skipped by reason, carried
    /// forward, its findings and occurrences, and the sensitivity it raises.
    pub fn add_object(&mut self, o: &ObjectResult) {
        let t = self;
        if o.carried_from.is_some() {
            t.objects_carried += 1;
        }
        match o.status {
            // A skip carried forward is still a skip: the object was not read.
            ObjectStatus::Skipped => {
                t.objects_skipped += 1;
                *t.skipped_by_reason
                    .entry(o.reason.unwrap_or(SkipReason::ReadError))
                    .or_default() += 1;
                return;
            }
            // Carried forward: not read now, but a partial result is still partial.
            ObjectStatus::Partial if o.carried_from.is_some() => t.objects_partial += 1,
            _ if o.carried_from.is_some() => {}
            ObjectStatus::Partial => {
                t.objects_classified += 1;
                t.objects_partial += 1;
            }
            ObjectStatus::Complete => t.objects_classified += 1,
        }
        if o.carried_from.is_none() {
            t.bytes_classified += o.bytes_read;
        }
        if !o.findings.is_empty() {
            t.objects_with_findings += 1;
        }
        t.findings += o.findings.len() as u64;
        for f in &o.findings {
            t.occurrences += f.count;
            *t.occurrences_by_detector
                .entry(f.detector.clone())
                .or_default() += f.count;
            *t.occurrences_by_category.entry(f.category).or_default() += f.count;
        }
        t.sensitivity = t.sensitivity.max(o.sensitivity());
    }

    /// Adds another's counts (a bucket's units, a scan's buckets).
    pub fn add(&mut self, o: &BucketTotals) {
        self.objects_seen += o.objects_seen;
        self.bytes_seen += o.bytes_seen;
        self.objects_not_selected += o.objects_not_selected;
        self.objects_excluded_by_type += o.objects_excluded_by_type;
        for (t, n) in &o.excluded_by_type {
            *self.excluded_by_type.entry(t.clone()).or_default() += n;
        }
        self.objects_classified += o.objects_classified;
        self.objects_partial += o.objects_partial;
        self.objects_skipped += o.objects_skipped;
        for (r, n) in &o.skipped_by_reason {
            *self.skipped_by_reason.entry(*r).or_default() += n;
        }
        self.bytes_classified += o.bytes_classified;
        self.objects_with_findings += o.objects_with_findings;
        self.objects_carried += o.objects_carried;
        self.findings += o.findings;
        self.occurrences += o.occurrences;
        for (d, n) in &o.occurrences_by_detector {
            *self.occurrences_by_detector.entry(d.clone()).or_default() += n;
        }
        for (c, n) in &o.occurrences_by_category {
            *self.occurrences_by_category.entry(*c).or_default() += n;
        }
        self.objects_deleted += o.objects_deleted;
        self.errors += o.errors;
        self.sensitivity = self.sensitivity.max(o.sensitivity);
    }
}

impl Totals {
    /// Sums over buckets.
    pub fn of(buckets: &[BucketReport]) -> Totals {
        let mut t = Totals {
            buckets: buckets.len() as u64,
            ..Totals::default()
        };
        for b in buckets {
            if b.status == BucketStatus::Failed {
                t.buckets_failed += 1;
            }
            if b.totals.findings > 0 {
                t.buckets_with_findings += 1;
            }
            t.sums.add(&b.totals);
        }
        t
    }
}
