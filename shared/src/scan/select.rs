//! Which listed objects a scan reads: scope, incremental change, per-folder sampling,
//! storage class and size, decided in that order.

use std::collections::HashMap;

use super::config::{Sampling, ScanConfig};
use super::record::{Listed, NotSelected};
use super::report::{ObjectMetadata, SkipReason};
use super::scope::Scope;
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

/// What to do with one listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Not read, by the config's or the mode's choice.
    NotSelected(NotSelected),
    /// Selected but not readable as it is (storage class, size).
    Skip(SkipReason),
    /// Read and classify it.
    Read,
}

/// Storage classes whose objects need a restore before GetObject.
const ARCHIVED: &[&str] = &["GLACIER", "DEEP_ARCHIVE"];

/// Decides one listed object: scope, then (incremental) change since the baseline, then
/// per-folder sampling, then storage class and size. `baseline` is `Some(entry)` in an
/// incremental scan (`Some(None)`: the baseline did not have the key).
pub fn decide(
    meta: &ObjectMetadata,
    config: &ScanConfig,
    scope: &Scope,
    baseline: Option<Option<&Listed>>,
    sampler: &mut FolderSampler,
) -> Decision {
    if !scope.prefixes.matches(&meta.key) || !scope.file_type_matches(&meta.key) {
        return Decision::NotSelected(NotSelected::OutOfScope);
    }
    if let Some(Some(seen)) = baseline {
        if seen.settled && seen.etag == meta.etag && seen.size == meta.size {
            return Decision::NotSelected(NotSelected::Unchanged);
        }
    }
    if !sampler.admit(&meta.key, &config.sampling) {
        return Decision::NotSelected(NotSelected::SampledOut);
    }
    let class = meta.storage_class.as_deref().unwrap_or("STANDARD");
    if !config.storage_classes.iter().any(|c| c == class) {
        return Decision::Skip(if ARCHIVED.contains(&class) {
            SkipReason::ArchivedStorageClass
        } else {
            SkipReason::StorageClassNotSelected
        });
    }
    if meta.size > config.max_object_size {
        return Decision::Skip(SkipReason::FileExceedsSizeLimit);
    }
    Decision::Read
}

/// Whether an unchanged object's earlier skip still holds under `config`: its storage
/// class is still left out, it is still over the size limit; a skip for its content (type,
/// invalid content) holds while the object is unchanged. A skip that no longer holds (the
/// config now admits the class or the size) means the object is to be read.
pub fn skip_still_holds(reason: SkipReason, meta: &ObjectMetadata, config: &ScanConfig) -> bool {
    match reason {
        SkipReason::ArchivedStorageClass | SkipReason::StorageClassNotSelected => {
            let class = meta.storage_class.as_deref().unwrap_or("STANDARD");
            !config.storage_classes.iter().any(|c| c == class)
        }
        SkipReason::FileExceedsSizeLimit => meta.size > config.max_object_size,
        SkipReason::UnsupportedFileType | SkipReason::InvalidContent => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(key: &str, size: u64, class: &str) -> ObjectMetadata {
        ObjectMetadata {
            key: key.into(),
            size,
            etag: Some("\"e\"".into()),
            storage_class: Some(class.into()),
            ..ObjectMetadata::default()
        }
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
            decide(&meta(key, size, class), &config, &scope, None, &mut sampler)
        };
        use Decision::*;
        assert_eq!(
            run("tmp/a", 1, "STANDARD"),
            NotSelected(super::NotSelected::OutOfScope)
        );
        assert_eq!(
            run("a/1", 1, "GLACIER"),
            Skip(SkipReason::ArchivedStorageClass)
        );
        assert_eq!(
            run("a/2", 101, "STANDARD"),
            Skip(SkipReason::FileExceedsSizeLimit)
        );
        assert_eq!(
            run("a/3", 1, "STANDARD"),
            NotSelected(super::NotSelected::SampledOut)
        );
        // Partitioned folder: the first, then one in two.
        assert_eq!(run("p/dt=1/a", 1, "STANDARD"), Read);
        assert_eq!(
            run("p/dt=1/b", 1, "STANDARD"),
            NotSelected(super::NotSelected::SampledOut)
        );
        assert_eq!(run("p/dt=1/c", 1, "STANDARD"), Read);
        assert_eq!(
            run("q/x", 1, "OUTPOSTS"),
            Skip(SkipReason::StorageClassNotSelected)
        );
    }

    #[test]
    fn unchanged_objects_are_not_selected_unless_unsettled() {
        let config = ScanConfig::default();
        let scope = config.scope();
        let mut sampler = FolderSampler::default();
        let settled = Listed {
            key: "a".into(),
            etag: Some("\"e\"".into()),
            size: 1,
            last_modified: None,
            settled: true,
        };
        let m = meta("a", 1, "STANDARD");
        let mut run = |seen: &Listed| decide(&m, &config, &scope, Some(Some(seen)), &mut sampler);
        assert_eq!(run(&settled), Decision::NotSelected(NotSelected::Unchanged));
        let retry = Listed {
            settled: false,
            ..settled.clone()
        };
        assert_eq!(run(&retry), Decision::Read);
        let changed = Listed {
            etag: Some("\"f\"".into()),
            ..settled
        };
        assert_eq!(run(&changed), Decision::Read);
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
