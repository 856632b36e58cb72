//! Findings: what was found in one object, per detector, with locations and masked
//! samples only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::detector::{Category, Confidence};
use super::mask::{mask, ValueHasher};

/// Where a value was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Line number, from 1.
    pub line: u64,
    /// Column of the first byte, from 1, counted in bytes from the line start.
    pub column: u64,
    /// Offset of the first byte in the (decompressed) object.
    pub offset: u64,
    /// Length of the value in bytes.
    pub length: u64,
}

/// A masked value and its keyed digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The value with all but at most two leading and two trailing characters replaced.
    pub masked: String,
    /// Hex HMAC-SHA256 of the value under the run's key: equal values, equal digests.
    pub hmac: String,
}

/// All matches of one detector in one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Detector id.
    pub detector: String,
    /// Its category.
    pub category: Category,
    /// The highest confidence among the matches.
    pub confidence: Confidence,
    /// Number of matches (all of them, beyond the locations kept).
    pub count: u64,
    /// The first locations, in order, up to the configured limit.
    pub locations: Vec<Location>,
    /// Distinct masked samples, up to the configured limit.
    pub samples: Vec<Sample>,
}

/// Whether an object was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectStatus {
    /// Read to the end.
    Complete,
    /// Not classified; see the reason.
    Skipped,
}

/// Why an object was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Binary content the text detectors cannot read.
    UnsupportedType,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::UnsupportedType => "unsupported type",
        })
    }
}

/// The classification of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    /// Complete or skipped.
    pub status: ObjectStatus,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Findings, ordered by detector id.
    pub findings: Vec<Finding>,
}

/// Collects matches into findings as the engine reports them.
pub(crate) struct FindingsBuilder<'h> {
    by_detector: BTreeMap<String, Finding>,
    hasher: &'h ValueHasher,
    max_locations: usize,
    max_samples: usize,
}

impl<'h> FindingsBuilder<'h> {
    pub fn new(hasher: &'h ValueHasher, max_locations: usize, max_samples: usize) -> Self {
        FindingsBuilder {
            by_detector: BTreeMap::new(),
            hasher,
            max_locations,
            max_samples,
        }
    }

    /// Records one match. `normalized` is what the digest is taken over (separators
    /// removed for numbers, so `4539 5787...` and `4539-5787...` correlate).
    pub fn add(
        &mut self,
        detector: &str,
        category: Category,
        confidence: Confidence,
        location: Location,
        value: &[u8],
        normalized: &[u8],
    ) {
        let f = self
            .by_detector
            .entry(detector.to_string())
            .or_insert_with(|| Finding {
                detector: detector.to_string(),
                category,
                confidence,
                count: 0,
                locations: Vec::new(),
                samples: Vec::new(),
            });
        f.count += 1;
        f.confidence = f.confidence.max(confidence);
        if f.locations.len() < self.max_locations {
            f.locations.push(location);
        }
        if f.samples.len() < self.max_samples {
            let hmac = self.hasher.digest(normalized);
            if !f.samples.iter().any(|s| s.hmac == hmac) {
                f.samples.push(Sample {
                    masked: mask(&String::from_utf8_lossy(value)),
                    hmac,
                });
            }
        }
    }

    pub fn finish(self) -> Vec<Finding> {
        self.by_detector.into_values().collect()
    }
}
