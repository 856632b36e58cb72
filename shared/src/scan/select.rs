//! Which listed objects a scan reads: scope, incremental change, per-folder sampling,
//! storage class and size, decided in that order.

use std::collections::HashMap;

use super::config::{Sampling, ScanConfig, Scope};
use super::record::{NotSelected, ObjectRecord, ObjectResult, SkipReason};
use super::task::FolderCount;

/// The folder of a key: everything up to and including its last `/` (empty at the root).
pub fn folder_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Whether a folder is a partition of a resource set: its last segment is a Hive
/// `name=value` pair or a number (year, month, day, hour in date-partitioned paths).
pub fn is_partition(folder: &str) -> bool {
    let last = folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    if last.is_empty() {
        return false;
    }
    let hive = last
        .split_once('=')
        .is_some_and(|(k, v)| !k.is_empty() && !v.is_empty());
    hive || last.bytes().all(|b| b.is_ascii_digit())
}

/// Per-folder sampling state, carried from slice to slice for the folders that enclose the
/// last key (keys come in order, so a folder's objects are contiguous in the listing).
#[derive(Debug, Default)]
pub struct FolderSampler {
    folders: HashMap<String, FolderCount>,
}

impl FolderSampler {
    /// Resumes from a task's carried state.
    pub fn resume(carried: &[FolderCount]) -> Self {
        FolderSampler {
            folders: carried
                .iter()
                .map(|f| (f.folder.clone(), f.clone()))
                .collect(),
        }
    }

    /// Whether the next in-scope object of `key`'s folder is sampled.
    pub fn admit(&mut self, key: &str, s: &Sampling) -> bool {
        let folder = folder_of(key).to_string();
        let count = self
            .folders
            .entry(folder.clone())
            .or_insert_with(|| FolderCount {
                folder: folder.clone(),
                ..FolderCount::default()
            });
        let index = count.seen;
        count.seen += 1;
        if s.max_objects_per_prefix > 0 && count.selected >= s.max_objects_per_prefix {
            return false;
        }
        if s.partition_share < 1.0 && is_partition(&folder) {
            // The first object, then one in every round(1/share).
            let every = (1.0 / s.partition_share).round().max(1.0) as u64;
            if index % every != 0 {
                return false;
            }
        }
        count.selected += 1;
        true
    }

    /// The state to carry after `last_key`: only the folders that enclose it.
    pub fn carry(&self, last_key: &str) -> Vec<FolderCount> {
        let mut out: Vec<FolderCount> = self
            .folders
            .values()
            .filter(|f| last_key.starts_with(f.folder.as_str()))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.folder.cmp(&b.folder));
        out
    }
}

/// A baseline entry: what the last completed scan saw of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// ETag then.
    pub etag: Option<String>,
    /// Size then.
    pub size: u64,
    /// Whether it was classified then (or is to be retried: skipped for a transient reason).
    pub settled: bool,
}

impl Seen {
    /// From a baseline part's record.
    pub fn of(r: &ObjectRecord) -> Seen {
        let settled = match (r.not_selected, r.result, r.reason) {
            (Some(NotSelected::Unchanged), _, _) => true,
            (Some(_), _, _) => false,
            (None, Some(ObjectResult::Complete | ObjectResult::Partial), _) => true,
            (None, Some(ObjectResult::Skipped), Some(reason)) => !reason.retry_next_time(),
            _ => false,
        };
        Seen {
            etag: r.etag.clone(),
            size: r.size,
            settled,
        }
    }
}

/// Decides one listed object. Sets `not_selected`, or a skip reason known before reading
/// (storage class, size); leaves both empty when the object is to be read.
pub fn decide(
    record: &mut ObjectRecord,
    config: &ScanConfig,
    scope: &Scope,
    baseline: Option<Option<&Seen>>,
    sampler: &mut FolderSampler,
) {
    if !scope.prefixes.matches(&record.key) || !scope.file_type_matches(&record.key) {
        record.not_selected = Some(NotSelected::OutOfScope);
        return;
    }
    // Incremental: `Some(Some(seen))` when the baseline had the key, `Some(None)` when new.
    if let Some(Some(seen)) = baseline {
        if seen.settled && seen.etag == record.etag && seen.size == record.size {
            record.not_selected = Some(NotSelected::Unchanged);
            return;
        }
    }
    if !sampler.admit(&record.key, &config.sampling) {
        record.not_selected = Some(NotSelected::SampledOut);
        return;
    }
    if !config
        .storage_classes
        .iter()
        .any(|c| *c == record.storage_class)
    {
        record.skip(SkipReason::ArchivedStorageClass);
        return;
    }
    if record.size > config.max_object_size {
        record.skip(SkipReason::TooLarge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(key: &str, size: u64, class: &str) -> ObjectRecord {
        ObjectRecord::listed(
            key.into(),
            size,
            None,
            Some("\"e\"".into()),
            Some(class.into()),
        )
    }

    #[test]
    fn partitions_are_hive_pairs_and_numbers() {
        assert!(is_partition("t/dt=2026-11-29/"));
        assert!(is_partition("logs/2026/11/29/"));
        assert!(!is_partition("logs/app/"));
        assert!(!is_partition(""));
        assert!(!is_partition("t/=x/"));
    }

    #[test]
    fn decisions_follow_scope_class_size_and_sampling() {
        let config = ScanConfig::from_value(json!({
            "prefixes": {"exclude": ["tmp/"]},
            "max_object_size": 100,
            "sampling": {"max_objects_per_prefix": 2, "partition_share": 0.5}}))
        .unwrap();
        let scope = config.scope();
        let mut sampler = FolderSampler::default();
        let mut run = |key: &str, size: u64, class: &str| {
            let mut r = rec(key, size, class);
            decide(&mut r, &config, &scope, None, &mut sampler);
            (r.not_selected, r.reason)
        };
        assert_eq!(run("tmp/a", 1, "STANDARD").0, Some(NotSelected::OutOfScope));
        assert_eq!(
            run("a/1", 1, "GLACIER").1,
            Some(SkipReason::ArchivedStorageClass)
        );
        assert_eq!(run("a/2", 101, "STANDARD").1, Some(SkipReason::TooLarge));
        assert_eq!(
            run("a/3", 1, "STANDARD"),
            (Some(NotSelected::SampledOut), None)
        );
        // Partitioned folder: the first, then one in two.
        assert_eq!(run("p/dt=1/a", 1, "STANDARD"), (None, None));
        assert_eq!(
            run("p/dt=1/b", 1, "STANDARD").0,
            Some(NotSelected::SampledOut)
        );
        assert_eq!(run("p/dt=1/c", 1, "STANDARD"), (None, None));
    }

    #[test]
    fn unchanged_objects_are_not_selected_unless_they_were_skipped_for_a_transient_reason() {
        let config = ScanConfig::default();
        let scope = config.scope();
        let mut sampler = FolderSampler::default();
        let settled = Seen {
            etag: Some("\"e\"".into()),
            size: 1,
            settled: true,
        };
        let mut r = rec("a", 1, "STANDARD");
        decide(&mut r, &config, &scope, Some(Some(&settled)), &mut sampler);
        assert_eq!(r.not_selected, Some(NotSelected::Unchanged));
        let retry = Seen {
            settled: false,
            ..settled.clone()
        };
        let mut r = rec("a", 1, "STANDARD");
        decide(&mut r, &config, &scope, Some(Some(&retry)), &mut sampler);
        assert_eq!(r.not_selected, None);
        let changed = Seen {
            etag: Some("\"f\"".into()),
            ..settled
        };
        let mut r = rec("a", 1, "STANDARD");
        decide(&mut r, &config, &scope, Some(Some(&changed)), &mut sampler);
        assert_eq!(r.not_selected, None);
    }

    #[test]
    fn carried_state_keeps_only_enclosing_folders() {
        let s = Sampling::default();
        let mut f = FolderSampler::default();
        for k in ["a/1", "a/b/1", "c/1"] {
            f.admit(k, &s);
        }
        let carried = f.carry("c/1");
        assert_eq!(carried.len(), 1);
        assert_eq!(carried[0].folder, "c/");
        let mut resumed = FolderSampler::resume(&carried);
        resumed.admit("c/2", &s);
        assert_eq!(resumed.carry("c/2")[0].seen, 2);
    }
}
