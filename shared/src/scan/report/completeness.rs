//! What a scan could not read: the buckets that failed or did not finish and the objects
//! skipped because reading them failed (not those the config leaves out), so the CLI's
//! exit code and summary can say "incomplete" instead of "clean".

use std::collections::BTreeMap;

use super::model::{BucketStatus, ScanReport, SkipReason};

impl SkipReason {
    /// Whether the object was in scope but reading it failed (denied, KMS, time budget,
    /// malformed content, changed while read, other read errors), as opposed to a skip the
    /// config chose (storage class, size limit, unsupported type) or an object that is
    /// gone.
    pub fn is_read_failure(self) -> bool {
        match self {
            SkipReason::AccessDenied
            | SkipReason::KmsAccessDenied
            | SkipReason::ObjectChanged
            | SkipReason::TimeBudget
            | SkipReason::InvalidContent
            | SkipReason::ReadError => true,
            SkipReason::ArchivedStorageClass
            | SkipReason::StorageClassNotSelected
            | SkipReason::FileExceedsSizeLimit
            | SkipReason::UnsupportedFileType
            | SkipReason::ObjectNotFound => false,
        }
    }
}

/// What in a scan's scope was not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unread {
    /// Buckets whose objects could not be listed at all (`FAILED`).
    pub buckets_failed: Vec<String>,
    /// Buckets whose enumeration did not finish (`PARTIAL`).
    pub buckets_partial: Vec<String>,
    /// Objects skipped because reading them failed, per reason.
    pub objects_by_reason: BTreeMap<SkipReason, u64>,
}

impl Unread {
    /// Whether everything in scope was read.
    pub fn is_empty(&self) -> bool {
        self.buckets_failed.is_empty()
            && self.buckets_partial.is_empty()
            && self.objects_by_reason.is_empty()
    }

    /// Objects skipped because reading them failed.
    pub fn objects(&self) -> u64 {
        self.objects_by_reason.values().sum()
    }

    /// One line per kind of gap, for a terminal (empty when nothing is missing).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.buckets_failed.is_empty() {
            out.push(format!(
                "{} bucket(s) not listed: {}",
                self.buckets_failed.len(),
                self.buckets_failed.join(", ")
            ));
        }
        if !self.buckets_partial.is_empty() {
            out.push(format!(
                "{} bucket(s) not finished (PARTIAL): {}",
                self.buckets_partial.len(),
                self.buckets_partial.join(", ")
            ));
        }
        if !self.objects_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .objects_by_reason
                .iter()
                .map(|(r, n)| format!("{r}={n}"))
                .collect();
            out.push(format!(
                "{} object(s) not read: {}",
                self.objects(),
                reasons.join(" ")
            ));
        }
        out
    }
}

impl ScanReport {
    /// What the scan could not read (see [`Unread`]).
    pub fn unread(&self) -> Unread {
        let mut unread = Unread::default();
        for b in &self.buckets {
            match b.status {
                BucketStatus::Failed => unread.buckets_failed.push(b.name.clone()),
                BucketStatus::Partial => unread.buckets_partial.push(b.name.clone()),
                BucketStatus::Complete => {}
            }
            for (reason, n) in &b.totals.skipped_by_reason {
                if reason.is_read_failure() {
                    *unread.objects_by_reason.entry(*reason).or_default() += n;
                }
            }
        }
        unread
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{BucketReport, BucketTotals, Totals};
    use super::*;

    fn report(buckets: Vec<BucketReport>) -> ScanReport {
        ScanReport {
            format_version: 1,
            scan_id: "s".into(),
            config: Default::default(),
            started_at: String::new(),
            finished_at: None,
            totals: Totals::of(&buckets),
            buckets,
        }
    }

    #[test]
    fn failed_and_partial_buckets_and_read_failures_are_unread() {
        let mut skipped = BucketTotals::default();
        skipped
            .skipped_by_reason
            .insert(SkipReason::AccessDenied, 2);
        skipped
            .skipped_by_reason
            .insert(SkipReason::UnsupportedFileType, 5);
        let r = report(vec![
            BucketReport {
                name: "denied".into(),
                status: BucketStatus::Failed,
                ..Default::default()
            },
            BucketReport {
                name: "cut".into(),
                status: BucketStatus::Partial,
                ..Default::default()
            },
            BucketReport {
                name: "ok".into(),
                status: BucketStatus::Complete,
                totals: skipped,
                ..Default::default()
            },
        ]);
        let u = r.unread();
        assert_eq!(u.buckets_failed, ["denied"]);
        assert_eq!(u.buckets_partial, ["cut"]);
        assert_eq!(u.objects(), 2, "unsupported types are the config's choice");
        let lines = u.lines().join("\n");
        assert!(lines.contains("ACCESS_DENIED=2"), "{lines}");
        assert!(!lines.contains("UNSUPPORTED"), "{lines}");
    }

    #[test]
    fn a_complete_scan_with_policy_skips_is_not_unread() {
        let mut t = BucketTotals::default();
        t.skipped_by_reason
            .insert(SkipReason::ArchivedStorageClass, 1);
        let r = report(vec![BucketReport {
            name: "ok".into(),
            status: BucketStatus::Complete,
            totals: t,
            ..Default::default()
        }]);
        assert!(r.unread().is_empty());
    }
}
