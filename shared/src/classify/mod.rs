//! Classification: find sensitive data (credentials, financial data, personal data,
//! national identifiers) in text, as Macie's managed data identifiers do.
//!
//! A [`Classifier`] compiles the detectors once; [`Classifier::classify_reader`] streams
//! an object through one multi-pattern pass and returns an [`ObjectReport`] whose
//! findings carry locations and masked samples, never a matched value. Detector
//! families live in `credentials`, `financial`, `personal` and `national_id`; the pass in
//! `engine`.

mod allow;
mod batch;
mod candidates;
mod checksum;
mod columnar;
mod credentials;
mod decode;
mod delimited;
mod delimited_records;
mod detector;
mod email;
mod engine;
mod financial;
mod findings;
mod format;
mod iban_registry;
mod json;
mod lines;
mod mask;
mod national_id;
mod numbers;
mod object;
mod office;
mod padding;
mod personal;
pub mod s3;
mod sql;
mod tokens;
mod xlsx_formats;
mod xlsx_package;

use serde::Deserialize;

pub use allow::AllowDigests;
pub use detector::{Category, Confidence, DetectorInfo};
pub use engine::Classifier;
pub use findings::{
    ColumnLabel, Finding, Location, ObjectReport, ObjectStatus, Sample, SkipReason,
};
pub use format::{ObjectFormat, SampleLimits};
pub use mask::{mask, random_key, ValueHasher};

/// Environment variable holding the HMAC key for value digests.
pub const HMAC_KEY_ENV: &str = "S3CONNECTOR_CLASSIFY_HMAC_KEY";

/// Macie's keyword distance: a keyword counts within this many characters of a value.
pub const DEFAULT_KEYWORD_DISTANCE: usize = 30;

/// Every built-in detector, families in the order the pass tries their patterns:
/// credentials (most specific) first, then the families whose values carry a check
/// (financial, national ids), personal data (whose passport, licence and birth date shapes
/// need a keyword) last, so a bare shape that needs a keyword does not hide a value that
/// validates at the same place (`NO7112345678903` is an IBAN, not a passport number); the
/// shared number run after every pattern.
pub(crate) fn builtin() -> Vec<&'static detector::Detector> {
    credentials::DETECTORS
        .iter()
        .chain(financial::DETECTORS)
        .chain(national_id::DETECTORS)
        .chain(personal::DETECTORS)
        .collect()
}

/// The built-in detectors, one entry per id.
pub fn builtin_detectors() -> Vec<DetectorInfo> {
    let mut out: Vec<DetectorInfo> = Vec::new();
    for d in builtin() {
        if !out.iter().any(|x| x.id == d.id) {
            out.push(DetectorInfo {
                id: d.id.to_string(),
                category: d.category,
                description: d.description.to_string(),
            });
        }
    }
    out
}

/// A user's detector: a regular expression, optionally keywords that must appear within
/// `max_distance` characters (as Macie's custom data identifiers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomDetector {
    /// Id used in findings and `--detectors`; must not clash with a built-in id.
    pub id: String,
    /// Pattern over bytes (regex syntax, ASCII classes).
    pub regex: String,
    /// Keywords; when given, one must be near a match for it to count.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Keyword distance for this detector, in characters (default: the global one).
    #[serde(default)]
    pub max_distance: Option<usize>,
    /// Category of its findings (default `personal`).
    #[serde(default = "default_category")]
    pub category: Category,
}

fn default_category() -> Category {
    Category::Personal
}

/// How to classify: which detectors, keyword distance, limits, allow-list, digest key.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ClassifyConfig {
    /// Ids to run (built-in or custom); `None` runs them all.
    pub detectors: Option<Vec<String>>,
    /// User-defined detectors.
    pub custom: Vec<CustomDetector>,
    /// Values never reported (compared on letters and digits, case-insensitively),
    /// added to the built-in documented examples.
    pub allow_list: Vec<String>,
    /// More values never reported, as keyed digests (a planned scan's allow-list: its
    /// plan and tasks never hold the values).
    #[serde(skip)]
    pub allow_digests: Option<AllowDigests>,
    /// Keyword distance in characters.
    pub keyword_distance: usize,
    /// Locations kept per finding.
    pub max_locations: usize,
    /// Distinct masked samples kept per finding.
    pub max_samples: usize,
    /// ISO 3166 regions whose national phone formats are recognised (E.164 always is).
    pub phone_regions: Vec<String>,
    /// HMAC key for digests; a random per-run key when unset.
    #[serde(skip)]
    pub hmac_key: Option<String>,
    /// Decompression limits for compressed objects: the defaults, or what the caller read
    /// from the settings ingest reads (`S3CONNECTOR_MAX_COMPRESSION_RATIO`...; the CLI
    /// does).
    #[serde(skip)]
    pub bomb: crate::object::BombLimits,
    /// Bytes read per window.
    pub chunk_bytes: usize,
    /// Bytes each window shares with the next; longer than most values a detector finds.
    pub overlap_bytes: usize,
    /// Longest value followed across a window edge: a window grows by up to this much
    /// while a value that may be longer than the overlap (a private key block, a long
    /// token) crosses its edge.
    pub max_value_bytes: usize,
    /// Column rule: distinct sampled values a column needs before it is labelled
    /// (Purview: 8).
    pub column_min_distinct: u64,
    /// Column rule: share of the non-empty sampled values that must match, 0 to 1
    /// (Purview: 0.6).
    pub column_min_share: f64,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            detectors: None,
            custom: Vec::new(),
            allow_list: Vec::new(),
            allow_digests: None,
            keyword_distance: DEFAULT_KEYWORD_DISTANCE,
            max_locations: 10,
            max_samples: 3,
            phone_regions: vec!["US".into(), "GB".into()],
            hmac_key: None,
            bomb: crate::object::BombLimits::default(),
            chunk_bytes: 1024 * 1024,
            overlap_bytes: 16 * 1024,
            max_value_bytes: 1024 * 1024,
            column_min_distinct: 8,
            column_min_share: 0.6,
        }
    }
}

impl ClassifyConfig {
    /// Defaults, with the HMAC key from [`HMAC_KEY_ENV`] when set and not empty.
    pub fn from_env() -> ClassifyConfig {
        ClassifyConfig {
            hmac_key: std::env::var(HMAC_KEY_ENV).ok().filter(|k| !k.is_empty()),
            ..ClassifyConfig::default()
        }
    }
}

/// Why classification could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// `--detectors` or the config named an id that does not exist (the message lists the
    /// built-in ids).
    #[error("{}", unknown_detector(.0))]
    UnknownDetector(String),
    /// A custom detector reuses an id.
    #[error("custom detector id {0:?} is already used; choose another id")]
    DuplicateDetector(String),
    /// A custom detector's pattern does not compile.
    #[error("custom detector {id:?}: invalid pattern: {reason}")]
    CustomPattern {
        /// The detector.
        id: String,
        /// The compiler's message.
        reason: String,
    },
    /// A phone region is not an ISO 3166 code libphonenumber knows.
    #[error("unknown phone region {0:?} (use ISO 3166 alpha-2 codes such as US, GB, DE)")]
    PhoneRegion(String),
    /// The combined pattern set or keyword automaton could not be built.
    #[error("could not build the detector set: {0}")]
    Build(String),
    /// Reading the object failed.
    #[error("reading the object failed: {0}")]
    Read(#[source] std::io::Error),
    /// A file-only format (Parquet, xlsx, docx) was given as a stream, or a stream format
    /// as a file the caller should have streamed.
    #[error("{0} must be read from a file (random access); spool it first")]
    NeedsFile(&'static str),
}

/// The message for an unknown detector id: the id (or that it is empty) and the ids
/// there are.
fn unknown_detector(id: &str) -> String {
    let ids: Vec<String> = builtin_detectors().into_iter().map(|d| d.id).collect();
    let what = if id.trim().is_empty() {
        "an empty detector id".to_string()
    } else {
        format!("unknown detector {id:?}")
    };
    format!(
        "{what}; the built-in detector ids are {} (and the config's custom detectors)",
        ids.join(", ")
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use super::*;

    pub(crate) fn shared() -> &'static Classifier {
        static C: OnceLock<Classifier> = OnceLock::new();
        C.get_or_init(|| {
            Classifier::new(ClassifyConfig {
                hmac_key: Some("test".into()),
                ..ClassifyConfig::default()
            })
            .expect("built-in detectors compile")
        })
    }

    #[test]
    fn unknown_or_empty_detector_ids_are_named_with_the_valid_ids() {
        for (id, want) in [
            ("nope", "unknown detector \"nope\";"),
            ("", "an empty detector id;"),
        ] {
            let built = Classifier::new(ClassifyConfig {
                detectors: Some(vec!["email".into(), id.into()]),
                ..ClassifyConfig::default()
            });
            let Err(e) = built else {
                panic!("{id:?} accepted");
            };
            let e = e.to_string();
            assert!(e.starts_with(want), "{e}");
            assert!(e.contains("email, ") && e.contains("phone_number"), "{e}");
        }
    }

    fn found<'a>(report: &'a ObjectReport, id: &str) -> Option<&'a Finding> {
        report.findings.iter().find(|f| f.detector == id)
    }

    /// Asserts that detector `id` reports `value` (at its place in `text`).
    pub fn assert_finds(id: &str, text: &str, value: &str) {
        let report = shared().classify_bytes(text.as_bytes());
        let f = found(&report, id)
            .unwrap_or_else(|| panic!("{id} found nothing in {text:?}: {:?}", report.findings));
        let got: Vec<&str> = f
            .locations
            .iter()
            .map(|l| &text[l.offset as usize..(l.offset + l.length) as usize])
            .collect();
        assert!(
            got.contains(&value),
            "{id} in {text:?}: found {got:?}, want {value:?}"
        );
    }

    /// [`assert_finds`] for each `(text, value)`.
    pub fn assert_finds_each(id: &str, cases: &[(&str, &str)]) {
        for (text, value) in cases {
            assert_finds(id, text, value);
        }
    }

    /// [`assert_clean`] for each text.
    pub fn assert_clean_each(id: &str, texts: &[&str]) {
        for text in texts {
            assert_clean(id, text);
        }
    }

    /// Asserts that detector `id` reports nothing in `text`.
    pub fn assert_clean(id: &str, text: &str) {
        let report = shared().classify_bytes(text.as_bytes());
        if let Some(f) = found(&report, id) {
            let got: Vec<&str> = f
                .locations
                .iter()
                .map(|l| &text[l.offset as usize..(l.offset + l.length) as usize])
                .collect();
            panic!("{id} should find nothing in {text:?}, found {got:?}");
        }
    }
}
