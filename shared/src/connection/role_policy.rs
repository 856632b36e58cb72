//! Which roles the connector may assume on a caller's behalf.
//!
//! Anyone who may call the connection test can name a role ARN. Without a limit, the
//! connector's identity would assume any role that trusts it, including roles meant for
//! other tenants (the confused deputy). Operators therefore list ARN patterns, and only
//! matching roles are assumed.
//!
//! Patterns follow IAM's `ArnLike`: the six colon-separated parts of the ARN are matched
//! one by one, `*` matching any run of characters (including none) and `?` exactly one,
//! so a `*` in the account part can never reach into the role name.

/// A pattern list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolePatternError {
    /// The value holds no pattern at all.
    #[error("no allowed role pattern given; expected comma-separated ARN patterns such as arn:aws:iam::*:role/s3connector-*")]
    NoPatterns,
    /// A pattern between two commas is empty.
    #[error("allowed role pattern {position} is empty; remove the extra comma")]
    Empty {
        /// 1-based position in the list.
        position: usize,
    },
    /// A pattern does not have the shape of an IAM role ARN.
    #[error("allowed role pattern '{pattern}' {problem}; expected arn:<partition>:iam::<account>:role/<name>, where * and ? may stand in for characters")]
    NotRoleArn {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// The role ARN patterns the connector may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAllowList {
    patterns: Vec<String>,
}

impl RoleAllowList {
    /// Parses a comma-separated list of role ARN patterns, as held in an environment variable.
    pub fn parse(value: &str) -> Result<Self, RolePatternError> {
        if value.trim().is_empty() {
            return Err(RolePatternError::NoPatterns);
        }
        let patterns = value
            .split(',')
            .map(str::trim)
            .enumerate()
            .map(|(index, pattern)| {
                if pattern.is_empty() {
                    return Err(RolePatternError::Empty {
                        position: index + 1,
                    });
                }
                check_role_pattern(pattern).map_err(|problem| RolePatternError::NotRoleArn {
                    pattern: pattern.to_string(),
                    problem,
                })?;
                Ok(pattern.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RoleAllowList { patterns })
    }

    /// The patterns, in the order given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The account IDs written out in full in the patterns (no `*` or `?`): a deployment
    /// that names an account in a pattern has listed that account.
    pub fn literal_accounts(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .filter_map(|p| arn_parts(p).map(|parts| parts[4]))
            .filter(|account| crate::names::is_account_id(account))
    }

    /// Whether `role_arn` matches one of the patterns.
    pub fn allows(&self, role_arn: &str) -> bool {
        role_allowed(&self.patterns, role_arn)
    }
}

fn check_role_pattern(pattern: &str) -> Result<(), &'static str> {
    let Some([scheme, partition, service, region, account, resource]) = arn_parts(pattern) else {
        return Err("does not have six colon-separated parts");
    };
    if scheme != "arn" {
        return Err("does not start with arn:");
    }
    let glob_or = |s: &str, ok: fn(u8) -> bool| {
        !s.is_empty() && s.bytes().all(|b| b == b'*' || b == b'?' || ok(b))
    };
    if !glob_or(partition, |b| b.is_ascii_lowercase() || b == b'-') {
        return Err("has no valid partition");
    }
    if service != "iam" {
        return Err("is not for service iam");
    }
    if !region.is_empty() {
        return Err("has a region, but IAM ARNs have none");
    }
    if !glob_or(account, |b| b.is_ascii_digit()) {
        return Err("has no valid account (12 digits, or * and ?)");
    }
    let literal_account = !account.contains(['*', '?']);
    if literal_account && account.len() != 12 {
        return Err("has an account that is not 12 digits");
    }
    match resource.strip_prefix("role/") {
        Some(rest) if !rest.is_empty() => Ok(()),
        _ => Err("does not name role/<name>"),
    }
}

/// Whether `role_arn` matches any pattern, part by part as IAM's `ArnLike` does.
///
/// A pattern that is not six colon-separated parts matches nothing, so a malformed
/// list fails closed.
pub fn role_allowed(pattern_list: &[String], role_arn: &str) -> bool {
    let Some(arn) = arn_parts(role_arn) else {
        return false;
    };
    pattern_list.iter().any(|pattern| {
        arn_parts(pattern).is_some_and(|pattern| {
            pattern
                .iter()
                .zip(arn.iter())
                .all(|(p, text)| glob_matches(p, text))
        })
    })
}

// The sixth part keeps any further colons: role paths may contain them.
fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut out = [""; 6];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    Some(out)
}

// Greedy matching that remembers the last `*` and retries from there: linear in
// practice and never exponential, whatever the pattern.
/// IAM-style wildcard match: `*` any run of characters, `?` exactly one.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], arn: &str) -> bool {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        role_allowed(&patterns, arn)
    }

    const PREFIXED: &str = "arn:aws:iam::*:role/s3connector-*";

    #[test]
    fn role_matching_a_prefix_pattern_in_any_account_is_allowed() {
        assert!(allowed(
            &[PREFIXED],
            "arn:aws:iam::123456789012:role/s3connector-reader"
        ));
        assert!(allowed(
            &[PREFIXED],
            "arn:aws:iam::210987654321:role/s3connector-x"
        ));
    }

    #[test]
    fn star_matches_an_empty_run() {
        assert!(allowed(
            &[PREFIXED],
            "arn:aws:iam::123456789012:role/s3connector-"
        ));
    }

    #[test]
    fn role_outside_every_pattern_is_refused() {
        assert!(!allowed(
            &[PREFIXED],
            "arn:aws:iam::123456789012:role/admin"
        ));
        assert!(!allowed(
            &[PREFIXED],
            "arn:aws-cn:iam::123456789012:role/s3connector-reader"
        ));
    }

    #[test]
    fn star_in_account_does_not_reach_into_the_role_name() {
        // A path containing ':role/s3connector-' would satisfy a whole-string glob.
        let sneaky = "arn:aws:iam::123456789012:role/x:role/s3connector-y/admin";
        assert!(!allowed(&[PREFIXED], sneaky));
        assert!(allowed(&["arn:aws:iam::*:role/*"], sneaky));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        let pattern = "arn:aws:iam::12345678901?:role/reader-?";
        assert!(allowed(
            &[pattern],
            "arn:aws:iam::123456789012:role/reader-a"
        ));
        assert!(!allowed(
            &[pattern],
            "arn:aws:iam::123456789012:role/reader-"
        ));
        assert!(!allowed(
            &[pattern],
            "arn:aws:iam::123456789012:role/reader-ab"
        ));
    }

    #[test]
    fn pattern_without_wildcards_must_match_exactly() {
        let arn = "arn:aws:iam::123456789012:role/reader";
        assert!(allowed(&[arn], arn));
        assert!(!allowed(&[arn], "arn:aws:iam::123456789012:role/reader2"));
        assert!(!allowed(&[arn], "arn:aws:iam::123456789012:role/reade"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!allowed(
            &[PREFIXED],
            "arn:aws:iam::123456789012:role/S3Connector-reader"
        ));
    }

    #[test]
    fn any_pattern_in_the_list_may_match() {
        let patterns = [PREFIXED, "arn:aws-cn:iam::123456789012:role/reader"];
        assert!(allowed(
            &patterns,
            "arn:aws-cn:iam::123456789012:role/reader"
        ));
    }

    #[test]
    fn wildcard_partition_matches_every_partition() {
        let pattern = "arn:*:iam::123456789012:role/reader";
        assert!(allowed(
            &[pattern],
            "arn:aws-us-gov:iam::123456789012:role/reader"
        ));
        assert!(allowed(&[pattern], "arn:aws:iam::123456789012:role/reader"));
    }

    #[test]
    fn empty_or_malformed_pattern_list_allows_nothing() {
        let arn = "arn:aws:iam::123456789012:role/reader";
        assert!(!allowed(&[], arn));
        assert!(!allowed(&["*"], arn));
        assert!(!allowed(&[""], arn));
        assert!(!allowed(&[PREFIXED], "not-an-arn"));
    }

    #[test]
    fn glob_backtracks_over_earlier_stars() {
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(!glob_matches("a*b*c", "aXbYbZ"));
        assert!(glob_matches("*-reader", "a-reader-b-reader"));
        assert!(glob_matches("**", ""));
        assert!(!glob_matches("?", ""));
        assert!(glob_matches("a*", "a"));
        assert!(!glob_matches("", "a"));
    }

    #[test]
    fn glob_with_many_stars_fails_fast_on_a_long_mismatch() {
        let text = "a".repeat(10_000);
        assert!(!glob_matches("*a*a*a*a*a*a*a*a*b", &text));
    }

    #[test]
    fn env_value_is_split_on_commas_and_trimmed() {
        let list = RoleAllowList::parse(
            " arn:aws:iam::*:role/s3connector-* , arn:aws-cn:iam::123456789012:role/reader",
        )
        .unwrap();
        assert_eq!(
            list.patterns(),
            [
                "arn:aws:iam::*:role/s3connector-*".to_string(),
                "arn:aws-cn:iam::123456789012:role/reader".to_string(),
            ]
        );
        assert!(list.allows("arn:aws:iam::123456789012:role/s3connector-a"));
        assert!(!list.allows("arn:aws:iam::123456789012:role/admin"));
    }

    #[test]
    fn env_value_without_patterns_is_rejected() {
        assert_eq!(
            RoleAllowList::parse("  "),
            Err(RolePatternError::NoPatterns)
        );
    }

    #[test]
    fn empty_pattern_between_commas_is_rejected_with_its_position() {
        assert_eq!(
            RoleAllowList::parse("arn:aws:iam::*:role/a,,arn:aws:iam::*:role/b"),
            Err(RolePatternError::Empty { position: 2 })
        );
        assert_eq!(
            RoleAllowList::parse("arn:aws:iam::*:role/a,"),
            Err(RolePatternError::Empty { position: 2 })
        );
    }

    #[test]
    fn patterns_not_shaped_like_role_arns_are_rejected() {
        let cases = [
            ("*", "six colon-separated parts"),
            ("aws:x:iam::*:role/a", "start with arn:"),
            ("arn::iam::*:role/a", "partition"),
            ("arn:AWS:iam::*:role/a", "partition"),
            ("arn:aws:s3:::bucket/*", "service iam"),
            ("arn:aws:iam:us-east-1:*:role/a", "region"),
            ("arn:aws:iam::acct:role/a", "valid account"),
            ("arn:aws:iam::12345:role/a", "not 12 digits"),
            ("arn:aws:iam::*:user/a", "role/<name>"),
            ("arn:aws:iam::*:role/", "role/<name>"),
        ];
        for (pattern, problem) in cases {
            match RoleAllowList::parse(pattern) {
                Err(RolePatternError::NotRoleArn {
                    pattern: p,
                    problem: got,
                }) => {
                    assert_eq!(p, pattern);
                    assert!(got.contains(problem), "{pattern}: {got}");
                }
                other => panic!("{pattern}: {other:?}"),
            }
        }
    }

    #[test]
    fn pattern_error_message_shows_the_expected_shape() {
        let error = RoleAllowList::parse("*").unwrap_err();
        assert!(error
            .to_string()
            .contains("expected arn:<partition>:iam::<account>:role/<name>"));
    }
}
