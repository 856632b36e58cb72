//! Key ranges of one listed unit, for listing them in parallel.
//!
//! A unit's keys can be split by a sorted list of *groups*: key prefixes under the unit's
//! prefix, none a prefix of another (found by [`discover`] from the bucket's folders). The
//! groups cut the unit's key space into consecutive [`Piece`]s, each listed by one
//! ListObjectsV2 chain of its own:
//!
//! ```text
//! gap₀ | group₁ | gap₁ | group₂ | … | groupₙ | gapₙ
//! ```
//!
//! A group piece is every key starting with the group (listed with it as `prefix`: on S3
//! and in the emulator a narrower prefix is a cheaper page). A gap piece is every key between
//! two groups (or before the first, or after the last) that starts with neither: listed from
//! past the group before it (`start_after`) up to the next group (`before`), with the
//! longest prefix every such key shares. A gap between groups whose last characters are
//! consecutive code points (`logs/0`, `logs/1`) holds no key at all and is not listed.
//!
//! The pieces cover every key of the unit once, in key order, whatever keys the bucket holds
//! when they are listed (keys written after the groups were found included): the groups are
//! only where the cuts are, not a claim about which keys exist. So a slice taken from the
//! pieces in order is a key-order slice like any other, bounded by its last key, and a
//! continuation resumes after that key in whichever piece holds it.

use std::collections::BTreeSet;

use crate::aws::listed_name;

use super::access::AccessIssue;
use super::slice::past_prefix;
use super::task::Unit;

/// At most this many groups split a unit (they travel in every task of the unit).
pub const MAX_GROUPS: usize = 64;

/// Folder levels [`discover`] descends through while a level has a single folder.
const MAX_DEPTH: usize = 4;

/// Delimited pages [`discover`] reads per level (1,000 folders each).
const MAX_DISCOVERY_PAGES: usize = 3;

/// One part of a unit's key space, listed by one ListObjectsV2 chain: the keys starting
/// with `prefix`, after `after`, before `before`, except those starting with `skip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The listing's `prefix`: every key of the piece starts with it.
    pub prefix: String,
    /// The listing's `start_after` (exclusive; `None`: from the first key under `prefix`).
    pub after: Option<String>,
    /// The piece ends before this key: the chain stops at the first key at or after it.
    pub before: Option<String>,
    /// Keys starting with this belong to the group before the gap (they sort after the
    /// gap's start key, `past_prefix` of that group): dropped.
    pub skip: Option<String>,
}

impl Piece {
    /// Whether `key` belongs to the piece.
    pub fn contains(&self, key: &str) -> bool {
        key.starts_with(self.prefix.as_str())
            && self.after.as_deref().is_none_or(|a| key > a)
            && self.before.as_deref().is_none_or(|b| key < b)
            && self.skip.as_deref().is_none_or(|s| !key.starts_with(s))
    }

    /// Whether every key of the piece sorts at or before `key` (so a listing resuming
    /// after `key` has nothing left in it). Conservative: `false` when unsure.
    fn ends_by(&self, key: &str) -> bool {
        match (&self.before, self.after.is_none() && self.skip.is_none()) {
            // A gap (or gap₀): its keys sort before `before`.
            (Some(b), _) => key >= b.as_str(),
            // A group: every key starting with the prefix sorts before `key` when `key`
            // is past the prefix without starting with it.
            (None, true) => key > self.prefix.as_str() && !key.starts_with(self.prefix.as_str()),
            // The last gap runs to the end of the unit.
            (None, false) => false,
        }
    }
}

/// Whether `groups` can split a unit with prefix `unit_prefix`: each starts with it and is
/// longer, they are strictly sorted, and none is a prefix of the next (so of any later one).
pub fn valid_groups(unit_prefix: &str, groups: &[String]) -> bool {
    groups
        .iter()
        .all(|g| g.len() > unit_prefix.len() && g.starts_with(unit_prefix))
        && groups
            .windows(2)
            .all(|w| w[0] < w[1] && !w[1].starts_with(w[0].as_str()))
}

/// The pieces of a unit with prefix `unit_prefix` split by `groups`, in key order; one
/// piece (the whole unit) when there are no groups or they are not [`valid_groups`].
pub fn pieces(unit_prefix: &str, groups: &[String]) -> Vec<Piece> {
    let whole = Piece {
        prefix: unit_prefix.to_string(),
        after: None,
        before: None,
        skip: None,
    };
    if groups.is_empty() || !valid_groups(unit_prefix, groups) {
        return vec![whole];
    }
    let mut out = vec![Piece {
        before: Some(groups[0].clone()),
        ..whole
    }];
    for (i, g) in groups.iter().enumerate() {
        out.push(Piece {
            prefix: g.clone(),
            after: None,
            before: None,
            skip: None,
        });
        let next = groups.get(i + 1);
        if next.is_some_and(|n| consecutive(g, n)) {
            continue;
        }
        out.push(Piece {
            prefix: match next {
                Some(n) => common_prefix(g, n).to_string(),
                None => unit_prefix.to_string(),
            },
            after: Some(past_prefix(g)),
            before: next.cloned(),
            skip: Some(g.clone()),
        });
    }
    out
}

/// The pieces left to list after `resume` (every key at or before it is done): pieces that
/// end by it are dropped, the one holding it starts after it.
pub fn resumed(pieces: Vec<Piece>, resume: Option<&str>) -> Vec<Piece> {
    let Some(r) = resume else {
        return pieces;
    };
    pieces
        .into_iter()
        .filter(|p| !p.ends_by(r))
        .map(|mut p| {
            if p.after.as_deref().is_none_or(|a| a < r) {
                p.after = Some(r.to_string());
            }
            p
        })
        .collect()
}

/// Whether no key lies between every key starting with `a` and `b`, other than keys
/// starting with `b`: `a` and `b` differ only in their last character, and `b`'s is the
/// code point right after `a`'s.
fn consecutive(a: &str, b: &str) -> bool {
    let (mut ca, mut cb) = (a.chars(), b.chars());
    match (ca.next_back(), cb.next_back()) {
        (Some(x), Some(y)) => {
            ca.as_str() == cb.as_str() && char::from_u32(u32::from(x) + 1) == Some(y)
        }
        _ => false,
    }
}

/// The longest common prefix of `a` and `b`, on a character boundary.
fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let n = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i);
    &a[..n]
}

/// Groups cutting the folders `folders` (sorted, each `level` + a name + `/`) into at most
/// [`MAX_GROUPS`] ranges: the folders' names cut to their first L characters, the
/// longest L that yields no more than [`MAX_GROUPS`] groups. Cutting at a character, not
/// at folder boundaries, keeps each group a prefix (a cheap listing) and makes the groups
/// of neighbouring first characters consecutive, with no gap to list between them. No
/// groups when there are fewer than two folders or even one character yields too many.
pub fn groups_of(level: &str, folders: &[String]) -> Vec<String> {
    let cut = |len: usize| -> BTreeSet<String> {
        folders
            .iter()
            .filter_map(|f| f.strip_prefix(level))
            .filter(|rest| !rest.is_empty())
            .map(|rest| {
                let end = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
                format!("{level}{}", &rest[..end])
            })
            .collect()
    };
    let longest = folders
        .iter()
        .map(|f| f.chars().count().saturating_sub(level.chars().count()))
        .max()
        .unwrap_or(0);
    let mut best = BTreeSet::new();
    for len in 1..=longest {
        let groups = cut(len);
        if groups.len() > MAX_GROUPS {
            break;
        }
        let all = groups.len() == folders.len();
        best = groups;
        if all {
            break;
        }
    }
    let best: Vec<String> = best.into_iter().collect();
    if best.len() < 2 || !valid_groups(level, &best) {
        return Vec::new();
    }
    best
}

/// Finds the groups that split `unit` (a listed unit, not a root-only one): the folders
/// under its prefix, descending while a level holds a single folder (`logs/` then
/// `logs/2026/`...), cut by [`groups_of`]. Empty when the keys have no folder structure
/// to split by. A level with more folders than [`MAX_DISCOVERY_PAGES`] pages hold is
/// split by the folders read: the last gap then holds the rest, listed as one chain.
pub async fn discover(s3: &aws_sdk_s3::Client, unit: &Unit) -> Result<Vec<String>, AccessIssue> {
    let mut level = unit.prefix.clone();
    for _ in 0..MAX_DEPTH {
        let (folders, complete) = folders_under(s3, &unit.bucket, &level).await?;
        match folders.as_slice() {
            [only] if complete => level = only.clone(),
            _ => return Ok(groups_of(&level, &folders)),
        }
    }
    Ok(Vec::new())
}

/// The folders directly under `level` (delimiter `/`), and whether all were read.
async fn folders_under(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    level: &str,
) -> Result<(Vec<String>, bool), AccessIssue> {
    let mut folders = Vec::new();
    let mut token = None;
    for _ in 0..MAX_DISCOVERY_PAGES {
        let page = s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(bucket)
            .set_prefix(Some(level.to_string()).filter(|p| !p.is_empty()))
            .delimiter("/")
            .max_keys(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| AccessIssue::listing(bucket, &e))?;
        folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(listed_name)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok((folders, true)),
        }
    }
    Ok((folders, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a chain of ListObjectsV2 pages returns for `piece` from the sorted `keys`.
    fn list(keys: &[String], piece: &Piece) -> Vec<String> {
        keys.iter()
            .filter(|k| k.starts_with(piece.prefix.as_str()))
            .filter(|k| piece.after.as_deref().is_none_or(|a| k.as_str() > a))
            .take_while(|k| piece.before.as_deref().is_none_or(|b| k.as_str() < b))
            .filter(|k| piece.skip.as_deref().is_none_or(|s| !k.starts_with(s)))
            .cloned()
            .collect()
    }

    fn check(unit: &str, groups: &[String], keys: &[&str], resume: Option<&str>) {
        let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        keys.sort();
        keys.dedup();
        let expected: Vec<String> = keys
            .iter()
            .filter(|k| k.starts_with(unit) && resume.is_none_or(|r| k.as_str() > r))
            .cloned()
            .collect();
        let listed: Vec<String> = resumed(pieces(unit, groups), resume)
            .iter()
            .flat_map(|p| list(&keys, p))
            .collect();
        assert_eq!(listed, expected, "groups {groups:?}, resume {resume:?}");
    }

    const KEYS: &[&str] = &[
        "",
        "a.txt",
        "logs",
        "logs/",
        "logs/.hidden",
        "logs/0",
        "logs/0/a",
        "logs/0\u{10FFFF}",
        "logs/0\u{10FFFF}x",
        "logs/00/a",
        "logs/1",
        "logs/1/",
        "logs/1-x",
        "logs/10/a",
        "logs/3/a",
        "logs/9/z",
        "logs/9\u{10FFFF}\u{10FFFF}",
        "logs/a",
        "logs/ü/x",
        "logs0",
        "zz",
        "\u{10FFFF}",
    ];

    #[test]
    fn pieces_cover_every_key_once_in_order_from_any_resume_point() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for groups in [
            g(&[]),
            g(&["logs/0", "logs/1", "logs/3", "logs/9"]),
            g(&["logs/0", "logs/1"]),
            g(&["logs/1", "logs/ü"]),
            g(&["a", "logs/"]),
            g(&["logs/0/", "logs/00/", "logs/1/"]),
        ] {
            for unit in ["", "logs/"] {
                check(unit, &groups, KEYS, None);
                for r in KEYS {
                    check(unit, &groups, KEYS, Some(r));
                }
                for r in ["logs/0\u{10FFFF}", "logs/2", "logs/9\u{10FFFF}", "m"] {
                    check(unit, &groups, KEYS, Some(r));
                }
            }
        }
    }

    #[test]
    fn neighbouring_groups_leave_no_gap_and_others_do() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let p = pieces("", &g(&["logs/0", "logs/1", "logs/3"]));
        let prefixes: Vec<&str> = p.iter().map(|p| p.prefix.as_str()).collect();
        // gap₀, 0, 1, gap between 1 and 3 (prefix logs/), 3, last gap.
        assert_eq!(prefixes, ["", "logs/0", "logs/1", "logs/", "logs/3", ""]);
        assert_eq!(p[3].before.as_deref(), Some("logs/3"));
        assert_eq!(p[3].skip.as_deref(), Some("logs/1"));
    }

    #[test]
    fn invalid_groups_fall_back_to_one_piece() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for bad in [
            g(&["b", "a"]),
            g(&["a", "ab"]),
            g(&["x/", "y/"]),
            g(&["logs/"]),
        ] {
            assert_eq!(pieces("logs/", &bad).len(), 1, "{bad:?}");
        }
    }

    #[test]
    fn folders_are_cut_at_the_longest_length_with_few_enough_groups() {
        let folders: Vec<String> = (0..997).map(|i| format!("logs/{i:03}/")).collect();
        let groups = groups_of("logs/", &folders);
        assert_eq!(groups.len(), 10);
        assert_eq!(groups[0], "logs/0");
        let few = vec!["a/".to_string(), "b/".to_string(), "bc/".to_string()];
        assert_eq!(groups_of("", &few), ["a/", "b/", "bc"]);
        assert!(groups_of("", &["a/".to_string()]).is_empty());
        // One character already gives too many groups: no split.
        let wide: Vec<String> = (0..200u32)
            .filter_map(|c| char::from_u32(0x4E00 + c))
            .map(|c| format!("{c}/"))
            .collect();
        assert!(groups_of("", &wide).is_empty());
    }
}
