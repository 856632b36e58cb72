//! The compiled scope of a scan: bucket, prefix and file-type include/exclude lists
//! (names, plain prefixes or globs) and the buckets split by top-level prefix.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::config::{Patterns, ScanConfig, ScanConfigError};

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

/// Prefix patterns that hold wildcards, as globs over whole keys: the pattern matches the
/// start of the key, so `exports/*/csv/` matches `exports/2026/csv/a.csv`.
fn prefix_globs(patterns: &[String]) -> Vec<String> {
    patterns
        .iter()
        .filter(|p| is_glob(p))
        .map(|p| format!("{p}*"))
        .collect()
}

pub(super) fn compile(field: &str, patterns: &[String]) -> Result<GlobSet, ScanConfigError> {
    let mut set = GlobSetBuilder::new();
    for (i, p) in patterns.iter().enumerate() {
        let glob = GlobBuilder::new(p)
            .literal_separator(false)
            .build()
            .map_err(|e| {
                ScanConfigError::new(
                    format!("{field}[{i}]"),
                    format!("bad glob {p:?}: {}", e.kind()),
                )
            })?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| ScanConfigError::new(field, e.to_string()))
}

/// Include/exclude names or globs, compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    include: GlobSet,
    include_patterns: Vec<String>,
    include_empty: bool,
    exclude: GlobSet,
    case_insensitive: bool,
}

impl Matcher {
    fn new(p: &Patterns, case_insensitive: bool) -> Matcher {
        let fold = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| {
                    if case_insensitive {
                        s.to_ascii_lowercase()
                    } else {
                        s.clone()
                    }
                })
                .collect()
        };
        Matcher {
            include: compile("", &fold(&p.include)).expect("validated"),
            include_patterns: p.include.clone(),
            include_empty: p.include.is_empty(),
            exclude: compile("", &fold(&p.exclude)).expect("validated"),
            case_insensitive,
        }
    }

    /// Whether `name` is included and not excluded.
    pub fn matches(&self, name: &str) -> bool {
        let name = if self.case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        };
        (self.include_empty || self.include.is_match(&name)) && !self.exclude.is_match(&name)
    }

    /// The include patterns (as configured) that match none of `names`: a name or glob
    /// that selects nothing, most likely a typo.
    pub fn unmatched_includes<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut matched = vec![false; self.include_patterns.len()];
        for name in names {
            let name = if self.case_insensitive {
                name.to_ascii_lowercase()
            } else {
                name.to_string()
            };
            for i in self.include.matches(&name) {
                matched[i] = true;
            }
        }
        self.include_patterns
            .iter()
            .zip(matched)
            .filter(|(_, m)| !m)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The included names when every include pattern is a plain name (no wildcard):
    /// such buckets are addressed directly, without ListBuckets, so a role allowed on
    /// those buckets alone can scan them. `None` when the list is empty or holds a glob.
    pub fn named_only(&self) -> Option<Vec<String>> {
        if self.include_empty || self.include_patterns.iter().any(|p| is_glob(p)) {
            return None;
        }
        let mut seen = std::collections::HashSet::new();
        Some(
            self.include_patterns
                .iter()
                .filter(|p| self.matches(p) && seen.insert(p.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// Whether any of `names` is included and none excluded.
    fn matches_any(&self, names: &[String]) -> bool {
        let included = self.include_empty || names.iter().any(|n| self.include.is_match(n));
        included && !names.iter().any(|n| self.exclude.is_match(n))
    }
}

/// Key prefixes to include and exclude: plain prefixes, or globs over the whole key.
#[derive(Debug, Clone)]
pub struct PrefixMatcher {
    include: Vec<String>,
    exclude: Vec<String>,
    include_globs: GlobSet,
    exclude_globs: GlobSet,
}

impl PrefixMatcher {
    /// Whether `key` is in scope.
    pub fn matches(&self, key: &str) -> bool {
        let hit = |plain: &[String], globs: &GlobSet| {
            plain
                .iter()
                .any(|p| !is_glob(p) && key.starts_with(p.as_str()))
                || globs.is_match(key)
        };
        (self.include.is_empty() || hit(&self.include, &self.include_globs))
            && !hit(&self.exclude, &self.exclude_globs)
    }

    /// The listing prefixes that cover the include list: the plain prefixes, and for each
    /// glob the literal text before its first wildcard. Overlapping prefixes are merged so
    /// that no key is listed twice; `[""]` when nothing narrows the listing.
    pub fn listing_prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .include
            .iter()
            .map(|p| match p.find(['*', '?', '[', '{']) {
                Some(i) => p[..i].to_string(),
                None => p.clone(),
            })
            .collect();
        if out.is_empty() {
            return vec![String::new()];
        }
        out.sort();
        let mut merged: Vec<String> = Vec::new();
        for p in out {
            if !merged.last().is_some_and(|m| p.starts_with(m.as_str())) {
                merged.push(p);
            }
        }
        merged
    }
}

/// The compiled scope of a scan.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Buckets.
    pub buckets: Matcher,
    /// Keys.
    pub prefixes: PrefixMatcher,
    /// File types, matched against every extension suffix of the key's last segment
    /// (`a.json.gz` is `json.gz` and `gz`).
    pub file_types: Matcher,
    large: GlobSet,
}

impl Scope {
    /// Whether the bucket is one the config marks large (one task chain per top-level prefix).
    pub fn is_large(&self, bucket: &str) -> bool {
        self.large.is_match(bucket)
    }

    /// Whether the key's file type is in scope.
    pub fn file_type_matches(&self, key: &str) -> bool {
        let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
        let exts: Vec<String> = name
            .match_indices('.')
            .map(|(i, _)| name[i + 1..].to_string())
            .filter(|e| !e.is_empty())
            .collect();
        self.file_types.matches_any(&exts)
    }
}

impl Scope {
    /// Compiles the config's patterns (validated by [`ScanConfig::validate`]).
    pub fn of(config: &ScanConfig) -> Scope {
        Scope {
            buckets: Matcher::new(&config.buckets, false),
            prefixes: PrefixMatcher {
                include: config.prefixes.include.clone(),
                exclude: config.prefixes.exclude.clone(),
                include_globs: compile("", &prefix_globs(&config.prefixes.include))
                    .expect("validated"),
                exclude_globs: compile("", &prefix_globs(&config.prefixes.exclude))
                    .expect("validated"),
            },
            file_types: Matcher::new(&config.file_types, true),
            large: compile("", &config.large_buckets).expect("validated"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_bucket_names_are_addressed_directly_and_globs_need_the_listing() {
        let named = |include: serde_json::Value, exclude: serde_json::Value| {
            ScanConfig::from_value(json!({"buckets": {"include": include, "exclude": exclude}}))
                .unwrap()
                .scope()
                .buckets
                .named_only()
        };
        assert_eq!(
            named(json!(["a", "b", "a"]), json!(["b"])),
            Some(vec!["a".to_string()])
        );
        assert_eq!(named(json!(["a", "logs-*"]), json!([])), None);
        assert_eq!(named(json!([]), json!([])), None);
    }

    #[test]
    fn scope_matches_names_globs_prefixes_and_extensions() {
        let c = ScanConfig::from_value(json!({
            "buckets": {"include": ["logs-*", "exact"], "exclude": ["*-tmp"]},
            "prefixes": {"include": ["data/", "exports/*/csv/"], "exclude": ["data/archive/"]},
            "file_types": {"include": ["csv", "json.gz"], "exclude": ["tmp"]},
            "large_buckets": ["big-*"]}))
        .unwrap();
        let s = c.scope();
        assert!(s.buckets.matches("logs-prod"));
        assert!(s.buckets.matches("exact"));
        assert!(!s.buckets.matches("logs-tmp"));
        assert!(!s.buckets.matches("other"));
        assert!(s.prefixes.matches("data/x.csv"));
        assert!(s.prefixes.matches("exports/2026/csv/a.csv"));
        assert!(!s.prefixes.matches("data/archive/x.csv"));
        assert!(!s.prefixes.matches("other/x.csv"));
        assert_eq!(s.prefixes.listing_prefixes(), vec!["data/", "exports/"]);
        assert!(s.file_type_matches("a/B.CSV"));
        assert!(s.file_type_matches("a/b.json.gz"));
        assert!(!s.file_type_matches("a/b.gz"));
        assert!(!s.file_type_matches("a/b"));
        assert!(s.is_large("big-data"));
        assert!(!s.is_large("small"));
    }

    #[test]
    fn include_patterns_that_match_no_bucket_are_named() {
        let c =
            ScanConfig::from_value(json!({"buckets": {"include": ["logs-*", "typo", "exact"]}}))
                .unwrap();
        let s = c.scope();
        let unmatched = s
            .buckets
            .unmatched_includes(["logs-prod", "exact", "other"]);
        assert_eq!(unmatched, ["typo"]);
        assert!(ScanConfig::default()
            .scope()
            .buckets
            .unmatched_includes(["a"])
            .is_empty());
    }

    #[test]
    fn overlapping_listing_prefixes_are_merged() {
        let c =
            ScanConfig::from_value(json!({"prefixes": {"include": ["a/", "a/b/", "ab"]}})).unwrap();
        assert_eq!(c.scope().prefixes.listing_prefixes(), vec!["a/", "ab"]);
        let none = ScanConfig::default().scope();
        assert_eq!(none.prefixes.listing_prefixes(), vec![String::new()]);
    }
}
