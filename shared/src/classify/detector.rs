//! What a detector is: an id, a category, keywords, and a rule the engine applies to the
//! candidates its single pass finds.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The family of sensitive data a detector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Keys, tokens, passwords.
    Credentials,
    /// Payment cards, bank accounts.
    Financial,
    /// Contact details and other personal information.
    Personal,
    /// Government-issued identifiers.
    NationalId,
}

impl Category {
    /// The name used in output (`credentials`, `financial`, `personal`, `national_id`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Credentials => "credentials",
            Category::Financial => "financial",
            Category::Personal => "personal",
            Category::NationalId => "national_id",
        }
    }
}

/// How sure a match is: validation alone, or validation plus a keyword nearby.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Shape and checks pass, but the value is common-looking and no keyword is near.
    Low,
    /// Shape and checks pass.
    Medium,
    /// A distinctive value, or checks plus a keyword within the distance.
    High,
}

impl Confidence {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Whether a validated candidate needs a keyword nearby to be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Reported only with a keyword within the distance, then with high confidence.
    Keyword,
    /// Reported with this confidence, raised to high by a keyword.
    Alone(Confidence),
}

impl Need {
    /// This need for a value written as issued, or a keyword for one written in lower
    /// case (`gb24nwbk...`, `mz714328c`): validators accept it, but lower-case runs of
    /// letters and digits are ids and hashes more often.
    pub fn keyword_if_lower_case(self, value: &[u8]) -> Need {
        if value.iter().any(u8::is_ascii_lowercase) {
            Need::Keyword
        } else {
            self
        }
    }
}

/// A candidate found by the pass: the haystack window and the candidate's span in it.
pub(crate) struct Candidate<'a> {
    pub hay: &'a [u8],
    pub span: Range<usize>,
}

impl<'a> Candidate<'a> {
    /// The candidate's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        &self.hay[self.span.clone()]
    }
    /// The byte just before the candidate, if any.
    pub fn before(&self) -> Option<u8> {
        self.span
            .start
            .checked_sub(1)
            .and_then(|i| self.hay.get(i).copied())
    }
    /// The byte just after the candidate, if any.
    pub fn after(&self) -> Option<u8> {
        self.hay.get(self.span.end).copied()
    }
    /// Up to `n` bytes before the candidate.
    pub fn preceding(&self, n: usize) -> &'a [u8] {
        &self.hay[self.span.start.saturating_sub(n)..self.span.start]
    }
}

/// A validated value inside a candidate: its span (relative to the candidate) and need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub span: Range<usize>,
    pub need: Need,
}

impl Verdict {
    /// The whole candidate is the value.
    pub fn whole(c: &Candidate<'_>, need: Need) -> Verdict {
        Verdict {
            span: 0..c.span.len(),
            need,
        }
    }
}

/// A run of digit groups as the engine cut it out of a longer number-like run.
pub(crate) struct Digits<'a> {
    /// The digits alone, ASCII.
    pub digits: &'a [u8],
    /// Sizes of the digit groups, in order.
    pub groups: &'a [usize],
    /// The single separator between groups (`None` when there is one group).
    pub separator: Option<u8>,
    /// Whether every separator was the same single byte.
    pub uniform: bool,
    /// The separators, one per gap, when each gap is one byte (`.`, `-`, ` `, `/`).
    pub separators: &'a [u8],
}

impl Digits<'_> {
    /// Whether the groups are exactly `layout` with one repeated separator, or a single
    /// group of the same total length when `plain` is allowed.
    pub fn layout_is(&self, layout: &[usize]) -> bool {
        self.uniform && self.groups == layout
    }
    /// Whether the number is one unseparated group.
    pub fn plain(&self) -> bool {
        self.groups.len() == 1
    }
}

/// How a detector finds its candidates.
pub(crate) enum Rule {
    /// Its own pattern in the shared pass; `check` validates a candidate. Detectors that
    /// give the same pattern share one slot in the pass and are tried in order, the first
    /// verdict winning.
    Pattern {
        regex: &'static str,
        check: fn(&Candidate<'_>) -> Option<Verdict>,
    },
    /// Windows of the shared number runs (digit groups with separators).
    Number {
        check: fn(&Digits<'_>) -> Option<Need>,
        /// Fewest digits `check` accepts: runs with fewer are passed over unchecked.
        min_digits: usize,
        /// Keywords naming another identifier of the same shape (`SIRET` before a
        /// 14-digit Luhn number): a value with one of them within the keyword distance
        /// before it (or in its column's name) is not reported, unless one of the
        /// detector's own keywords is nearer.
        not_after: &'static [&'static str],
    },
    /// A whole number run parsed as a phone number ([`PHONE_MIN_DIGITS`] to 15 digits).
    Phone,
}

/// Fewest digits of a phone number the engine parses (E.164 allows up to 15).
pub(crate) const PHONE_MIN_DIGITS: usize = 7;

/// A built-in detector.
pub(crate) struct Detector {
    pub id: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// Lower-case keywords; matched case-insensitively on word boundaries.
    pub keywords: &'static [&'static str],
    pub rule: Rule,
}

/// A detector as listed to users (`s3connector classify --help`, README, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectorInfo {
    /// Stable id, used in `--detectors` and in findings.
    pub id: String,
    /// Its category.
    pub category: Category,
    /// What it finds and how it validates.
    pub description: String,
}

/// Whether `b` continues an alphanumeric word (so a match next to it is part of a word).
pub(crate) fn is_word(b: Option<u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric())
}
