//! The single pass: shared searchers ([`super::candidates`]: literal prefilters, an inner
//! byte, a lazy DFA for the rest) find every pattern detector's candidates and a byte scan
//! finds the number runs every number detector shares ([`super::numbers`]); the candidates
//! are taken in order of position, as one leftmost-first regex of every pattern would give
//! them. Only candidates are validated, and keywords are looked for only around a candidate
//! that needs them, with one Aho-Corasick automaton for every keyword. The input is read in
//! bounded windows that overlap, so memory stays flat and a value across a window edge is
//! found once.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, Read};
use std::ops::Range;

use aho_corasick::AhoCorasick;
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID};

use super::batch::{Batch, Columns};
use super::candidates::{Next, Searchers, BEFORE_DIGITS};
use super::detector::{
    is_word, Candidate, Category, Confidence, Detector, Digits, Need, Rule, Verdict,
    PHONE_MIN_DIGITS,
};
use super::findings::{FindingsBuilder, Location, ObjectReport, ObjectStatus, SkipReason};
use super::mask::ValueHasher;
use super::personal::PhoneRegion;
use super::{builtin, ClassifyConfig, ClassifyError, CustomDetector};

mod custom;
mod keywords;
mod number_runs;
mod stream;
mod wrapped;

use super::allow::normalize;
use super::allow::ALLOWED;
pub(crate) use custom::check_custom_pattern;
use custom::{custom_entry, CustomCursor};
use keywords::{keyword_spellings, owned_words};
use number_runs::{continued_by_size, SmallGroups, MAX_DIGITS, MAX_GROUPS};
use stream::LineCounter;
pub(crate) use stream::{looks_binary, StreamEnd};

/// A detector as the engine runs it: built in, or configured by the user.
struct Entry {
    id: String,
    category: Category,
    keywords: Vec<String>,
    distance: usize,
    kind: Kind,
    /// Keywords naming another identifier (`Rule::Number`'s `not_after`), in every
    /// spelling.
    not_after: Vec<String>,
}

enum Kind {
    Builtin(&'static Detector),
    Custom,
}

/// A pattern slot of the pass: the entries of the detectors sharing its pattern, tried in
/// order.
type Slot = Vec<usize>;

/// A compiled set of detectors, ready to classify any number of objects.
pub struct Classifier {
    /// Every pattern, in slot order: for anchored tries at a known position.
    regex: meta::Regex,
    /// The same patterns split for searching (see [`super::candidates`]).
    searchers: Searchers,
    slots: Vec<Slot>,
    entries: Vec<Entry>,
    number_entries: Vec<usize>,
    phone_entry: Option<usize>,
    /// Fewest digits any selected number detector (or the phone detector) accepts;
    /// `usize::MAX` when none is selected, so number runs are not looked for.
    min_number_digits: usize,
    credential_slots: Vec<PatternID>,
    /// The slot of the `name = value` assignments, when selected.
    assignment_slot: Option<PatternID>,
    /// Beginnings of long values (see `credentials::LONG_VALUE_OPENERS`), and the pattern
    /// of the detector each begins.
    openers: Option<(meta::Regex, Vec<PatternID>)>,
    keywords: Option<AhoCorasick>,
    keyword_owners: Vec<Vec<usize>>,
    longest_keyword: usize,
    /// Every entry's `not_after` keywords, and the entries each belongs to.
    other_ids: Option<(AhoCorasick, Vec<Vec<usize>>)>,
    /// Users' detectors (their patterns, and the entry of each): a pass of their own over
    /// the same text, so a custom match never hides a managed detector's value at the same
    /// place (Macie reports both a custom data identifier and a managed one).
    custom: Option<(meta::Regex, Vec<usize>)>,
    allowed: super::allow::AllowList,
    phone_regions: Vec<PhoneRegion>,
    hasher: ValueHasher,
    config: ClassifyConfig,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field(
                "detectors",
                &self.entries.iter().map(|e| &e.id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

pub(crate) fn syntax_config() -> syntax::Config {
    // Bytes, not text: objects need not be UTF-8, and ASCII classes are what the formats use.
    syntax::Config::new().unicode(false).utf8(false)
}

/// Memory for the lazy DFA's states per classifier. With every detector selected the
/// default 2 MiB fills on ordinary text and the DFA is rebuilt over and over (a fifth of
/// the time on the bench corpus); states are only allocated as the text needs them.
const LAZY_DFA_CACHE_BYTES: usize = 16 << 20;

/// Compiles patterns into one multi-pattern regex; the error is the compiler's message.
pub(crate) fn build_regex(patterns: &[&str]) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .syntax(syntax_config())
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .hybrid_cache_capacity(LAZY_DFA_CACHE_BYTES),
        )
        .build_many(patterns)
        .map_err(|e| e.to_string())
}

impl Classifier {
    /// Compiles the configured detectors. Errors name an unknown detector id, a custom
    /// pattern that does not compile, or an unknown phone region.
    pub fn new(config: ClassifyConfig) -> Result<Classifier, ClassifyError> {
        let builtin = builtin();
        if let Some(wanted) = &config.detectors {
            for id in wanted {
                let known =
                    builtin.iter().any(|d| d.id == id) || config.custom.iter().any(|c| &c.id == id);
                if !known {
                    return Err(ClassifyError::UnknownDetector(id.clone()));
                }
            }
        }
        let selected = |id: &str| {
            config
                .detectors
                .as_ref()
                .is_none_or(|w| w.iter().any(|x| x == id))
        };

        let mut entries = Vec::new();
        let mut slots: Vec<Slot> = Vec::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut credential_slots = Vec::new();
        let mut assignment_slot = None;
        let mut number_entries = Vec::new();
        let mut phone_entry = None;
        let mut min_number_digits = usize::MAX;
        let mut seen_custom = HashSet::new();
        let mut custom_patterns: Vec<&str> = Vec::new();
        let mut custom_entries = Vec::new();

        // Users' patterns, for their own pass; among them, the earlier wins at a position.
        for c in &config.custom {
            if builtin.iter().any(|d| d.id == c.id) || !seen_custom.insert(c.id.clone()) {
                return Err(ClassifyError::DuplicateDetector(c.id.clone()));
            }
            check_custom_pattern(&c.regex).map_err(|reason| ClassifyError::CustomPattern {
                id: c.id.clone(),
                reason,
            })?;
            if !selected(&c.id) {
                continue;
            }
            entries.push(custom_entry(c, config.keyword_distance));
            custom_entries.push(entries.len() - 1);
            custom_patterns.push(c.regex.as_str());
        }
        let custom = if custom_patterns.is_empty() {
            None
        } else {
            let regex = build_regex(&custom_patterns).map_err(ClassifyError::Build)?;
            Some((regex, custom_entries))
        };
        for d in builtin.iter().copied().filter(|d| selected(d.id)) {
            entries.push(Entry {
                id: d.id.to_string(),
                category: d.category,
                keywords: d.keywords.iter().map(|k| k.to_string()).collect(),
                distance: config.keyword_distance,
                kind: Kind::Builtin(d),
                not_after: match d.rule {
                    Rule::Number { not_after, .. } => not_after
                        .iter()
                        .flat_map(|k| keyword_spellings(k, true))
                        .collect(),
                    _ => Vec::new(),
                },
            });
            let index = entries.len() - 1;
            match d.rule {
                Rule::Pattern { regex, .. } => {
                    let shared = slots
                        .iter_mut()
                        .zip(&patterns)
                        .find_map(|(list, p)| (*p == regex).then_some(list));
                    match shared {
                        Some(list) => list.push(index),
                        None => {
                            if d.category == Category::Credentials {
                                credential_slots.push(PatternID::must(patterns.len()));
                            }
                            if regex == super::credentials::ASSIGNMENT {
                                assignment_slot = Some(PatternID::must(patterns.len()));
                            }
                            patterns.push(regex);
                            slots.push(vec![index]);
                        }
                    }
                }
                Rule::Number { min_digits, .. } => {
                    number_entries.push(index);
                    min_number_digits = min_number_digits.min(min_digits);
                }
                Rule::Phone => {
                    phone_entry = Some(index);
                    min_number_digits = min_number_digits.min(PHONE_MIN_DIGITS);
                }
            }
        }
        let regex = build_regex(&patterns).map_err(ClassifyError::Build)?;
        let before_digits: Vec<Option<&'static [usize]>> = slots
            .iter()
            .map(|list| {
                BEFORE_DIGITS
                    .iter()
                    .find(|(id, _)| list.iter().any(|&e| entries[e].id == *id))
                    .map(|(_, offsets)| *offsets)
            })
            .collect();
        let searchers = Searchers::new(&patterns, &before_digits, &syntax_config(), build_regex)
            .map_err(ClassifyError::Build)?;
        let mut opener_patterns = Vec::new();
        let mut opener_pids = Vec::new();
        for (id, opener) in super::credentials::LONG_VALUE_OPENERS {
            let slot = slots
                .iter()
                .position(|list| list.iter().any(|&e| entries[e].id == *id));
            if let Some(slot) = slot {
                opener_patterns.push(*opener);
                opener_pids.push(PatternID::must(slot));
            }
        }
        let openers = if opener_patterns.is_empty() {
            None
        } else {
            Some((
                build_regex(&opener_patterns).map_err(ClassifyError::Build)?,
                opener_pids,
            ))
        };

        // Credential keywords are written as the identifiers that name a key
        // (`aws_secret_access_key`, `secretaccesskey`): other joins of their words name
        // other things (`SECRET_KEY_BASE` is Rails').
        let own = entries.iter().enumerate().flat_map(|(i, e)| {
            let respell = e.category != Category::Credentials;
            e.keywords
                .iter()
                .flat_map(move |k| keyword_spellings(k, respell))
                .map(move |k| (i, k))
        });
        let (keywords, keyword_owners, longest_keyword) = match owned_words(own)? {
            Some((ac, owners, longest)) => (Some(ac), owners, longest),
            None => (None, Vec::new(), 0),
        };
        let others = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.not_after.iter().map(move |k| (i, k.clone())));
        let other_ids = owned_words(others)?.map(|(ac, owners, _)| (ac, owners));

        let allowed = super::allow::AllowList::new(
            ALLOWED
                .iter()
                .map(|v| v.as_bytes())
                .chain(config.allow_list.iter().map(|v| v.as_bytes())),
            config.allow_digests.clone(),
        );
        // Regions are checked always; their metadata (libphonenumber's database, slow to
        // load) only when the phone detector runs.
        let phone_regions = config
            .phone_regions
            .iter()
            .map(|r| {
                PhoneRegion::new(r, phone_entry.is_some())
                    .ok_or_else(|| ClassifyError::PhoneRegion(r.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hasher = match &config.hmac_key {
            Some(k) => ValueHasher::new(k.as_bytes()),
            None => ValueHasher::random(),
        };
        Ok(Classifier {
            regex,
            searchers,
            slots,
            entries,
            number_entries,
            phone_entry,
            min_number_digits,
            credential_slots,
            assignment_slot,
            openers,
            keywords,
            keyword_owners,
            longest_keyword,
            other_ids,
            custom,
            allowed,
            phone_regions,
            hasher,
            config,
        })
    }

    /// Ids of the detectors this classifier runs.
    pub fn detector_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.entries.iter().map(|e| e.id.as_str()).collect();
        ids.dedup();
        ids
    }

    /// Classifies bytes already in memory.
    pub fn classify_bytes(&self, bytes: &[u8]) -> ObjectReport {
        self.classify_reader(bytes)
            .expect("reading from a slice cannot fail")
    }

    /// Classifies a stream in windows of the configured size; memory stays within about
    /// two windows whatever the stream's length (plus `max_value_bytes` while a long value
    /// crosses a window edge). Binary content is skipped as `unsupported type` after its
    /// first bytes.
    pub fn classify_reader<R: Read>(&self, reader: R) -> Result<ObjectReport, ClassifyError> {
        let mut findings = self.findings_builder();
        let end = self.scan_stream(reader, &mut findings)?;
        let findings = findings.finish();
        Ok(match end {
            StreamEnd::Binary => {
                tracing::debug!(reason = %SkipReason::UnsupportedType, "object skipped");
                ObjectReport::skipped(SkipReason::UnsupportedType, None, "text")
            }
            StreamEnd::Read(bytes) => {
                tracing::debug!(bytes, findings = findings.len(), "object classified");
                ObjectReport {
                    status: ObjectStatus::Complete,
                    reason: None,
                    detail: None,
                    encoding: None,
                    format: "text",
                    bytes,
                    rows: None,
                    findings,
                    columns: Vec::new(),
                }
            }
        })
    }

    /// A findings collector with this classifier's digest key and limits.
    pub(crate) fn findings_builder(&self) -> FindingsBuilder<'_> {
        FindingsBuilder::new(
            &self.hasher,
            self.config.max_locations,
            self.config.max_samples,
        )
    }

    /// The decompression limits compressed objects are read with.
    pub fn bomb_limits(&self) -> crate::object::BombLimits {
        self.config.bomb
    }

    /// The configuration the classifier was built with.
    pub(crate) fn config(&self) -> &ClassifyConfig {
        &self.config
    }

    /// Runs the pass over a batch of structured values: each match is placed by its
    /// field, keywords count within its record or in its column's name, and matched
    /// values count towards the column rule.
    pub(crate) fn scan_batch(
        &self,
        batch: &Batch,
        columns: &mut Columns,
        findings: &mut FindingsBuilder<'_>,
    ) {
        let mut lines = LineCounter::default();
        let mut resume = 0;
        let mut window = Window {
            hay: &batch.text,
            base: 0,
            accept: 0..batch.text.len(),
            lines: &mut lines,
            findings,
            fields: Some(FieldsView {
                batch,
                columns,
                hint: Cell::new(0),
            }),
            can_defer: false,
            deferred: None,
            keywords_assumed: false,
        };
        self.scan_window(&mut window, &mut resume);
    }

    /// Whether any detector would report a value in `hay` (a short text such as a JSON key
    /// or column name), with the same validation and allow-lists as a scan and every
    /// keyword taken as present: `536224187` under `by_ssn` is an SSN even though the key
    /// itself holds no keyword.
    pub(crate) fn finds_any(&self, hay: &[u8]) -> bool {
        let mut findings = self.findings_builder();
        let mut lines = LineCounter::default();
        let mut resume = 0;
        let mut window = Window {
            hay,
            base: 0,
            accept: 0..hay.len(),
            lines: &mut lines,
            findings: &mut findings,
            fields: None,
            can_defer: false,
            deferred: None,
            keywords_assumed: true,
        };
        self.scan_window(&mut window, &mut resume);
        !findings.finish().is_empty()
    }

    /// Id and category of an entry.
    pub(crate) fn entry_info(&self, entry: usize) -> (&str, Category) {
        let e = &self.entries[entry];
        (&e.id, e.category)
    }

    fn scan_window(&self, w: &mut Window<'_, '_>, resume: &mut u64) {
        let hay = w.hay;
        if w.can_defer {
            // A long value the buffer cut: this window stops before it, the next starts at it.
            if let Some(at) = self.open_long_value(w, *resume) {
                w.accept.end = at;
                w.deferred = Some(at);
            }
        }
        let numbers = (self.min_number_digits != usize::MAX).then_some(self.min_number_digits);
        let mut pos = w.accept.start;
        // Text, and structured values holding a line break, may wrap a value onto the
        // next line; elsewhere in a batch a line break ends a field.
        let wrap = w.fields.as_ref().is_none_or(|f| f.batch.breaks);
        let mut cursor = self.searchers.cursor().wrapping(wrap);
        // The users' detectors' pass runs beside, reporting its matches in text order
        // with the managed ones (lines are counted forward).
        let mut custom = CustomCursor {
            at: w.accept.start,
            pending: None,
        };
        while pos < hay.len() {
            let (span, slot) = match cursor.next(&self.searchers, &self.regex, hay, pos, numbers) {
                Some(Next::Pattern(span, id)) => (span, Some(id)),
                Some(Next::Number(span)) => (span, None),
                None => break,
            };
            if span.start >= w.accept.end {
                break;
            }
            if w.can_defer && span.end == hay.len() && w.base + (span.start as u64) >= *resume {
                // The value may go on past the buffer: decide in the next window.
                self.custom_until(w, &mut custom, span.start);
                w.deferred = Some(span.start);
                return;
            }
            self.custom_until(w, &mut custom, span.start + 1);
            pos = span.end;
            if w.base + (span.start as u64) < *resume {
                continue;
            }
            let next = match slot {
                Some(id) => self.pattern_candidate(w, id, span.clone()),
                None => match cursor.pattern_inside(hay, &span) {
                    // A value inside the run (`count 3 192.168.1.10`) that is reported on
                    // its own: the run ends before it, and the value is taken next.
                    Some((inner, id)) if self.would_report(w, id, &inner) => {
                        let head_end = hay[..inner.start]
                            .iter()
                            .rposition(|b| b.is_ascii_digit() || *b == b')')
                            .map_or(span.start, |i| i + 1);
                        if head_end > span.start {
                            self.number_run(w, span.start..head_end);
                        }
                        self.pattern_candidate(w, id, inner)
                    }
                    _ => self.number_run(w, span.clone()),
                },
            };
            pos = next.max(span.start + 1);
            *resume = w.base + pos as u64;
        }
        let end = w.accept.end;
        self.custom_until(w, &mut custom, end);
    }

    /// Whether a candidate of pattern slot `id` would be reported on its own: a detector's
    /// check passes, and its keyword is near when it needs one.
    fn would_report(&self, w: &Window<'_, '_>, id: PatternID, span: &Range<usize>) -> bool {
        let list = &self.slots[id.as_usize()];
        let candidate = Candidate {
            hay: w.hay,
            span: span.clone(),
        };
        list.iter().any(|&entry| {
            self.pattern_verdict(entry, &candidate)
                .is_some_and(|v| match v.need {
                    Need::Alone(_) => true,
                    Need::Keyword => {
                        let value = span.start + v.span.start..span.start + v.span.end;
                        self.keyword_for(w, entry, &value)
                    }
                })
        })
    }

    /// Takes a candidate of pattern slot `id`: tries the detectors sharing its pattern in
    /// order; the first reported wins. Returns
    /// where the scan continues: after the candidate, or at the value when a credential
    /// pattern also matches there (so `"token": "ghp_..."` is a GitHub token, not a
    /// generic secret).
    fn pattern_candidate(
        &self,
        w: &mut Window<'_, '_>,
        id: PatternID,
        span: Range<usize>,
    ) -> usize {
        let list = &self.slots[id.as_usize()];
        let candidate = Candidate {
            hay: w.hay,
            span: span.clone(),
        };
        for &entry in list {
            let Some(verdict) = self.pattern_verdict(entry, &candidate) else {
                continue;
            };
            let value = span.start + verdict.span.start..span.start + verdict.span.end;
            if value.start > span.start && self.credential_at(w, value.start) {
                return value.start;
            }
            // A value may run past its candidate (an IBAN wrapped onto the next line): the
            // scan goes on after the value.
            let value_end = value.end;
            if self.report(w, entry, value, verdict.need) {
                return span.end.max(value_end);
            }
        }
        // A rejected assignment whose value is another credential (a private key block
        // under `"private_key": "-----BEGIN...`, which the assignment cut at its first
        // space): the scan goes on at the value.
        if self.assignment_slot == Some(id) {
            if let Some((_, value)) = super::credentials::assignment_parts(&w.hay[span.clone()]) {
                let at = span.start + value.start;
                if at > span.start && self.credential_at(w, at) {
                    return at;
                }
            }
        }
        span.end
    }

    /// The verdict of a built-in pattern detector's check on a candidate of its pattern.
    fn pattern_verdict(&self, entry: usize, candidate: &Candidate<'_>) -> Option<Verdict> {
        match self.entries[entry].kind {
            Kind::Builtin(Detector {
                rule: Rule::Pattern { check, .. },
                ..
            }) => check(candidate),
            _ => None,
        }
    }

    /// Whether a credential detector would report the value starting at `at` on its own
    /// (its check passes, and its keyword is near when it needs one): then that detector,
    /// not the generic assignment, names the value. A bare shape that needs a keyword it
    /// does not have (40 base64 characters as an AWS secret) does not take the value away.
    fn credential_at(&self, w: &Window<'_, '_>, at: usize) -> bool {
        self.credential_slots.iter().any(|&pid| {
            let input = Input::new(w.hay)
                .range(at..)
                .anchored(Anchored::Pattern(pid));
            self.regex
                .search(&input)
                .is_some_and(|m| self.would_report(w, pid, &m.range()))
        })
    }

    /// Applies keyword and allow-list rules and records the match; true when recorded.
    fn report(&self, w: &mut Window<'_, '_>, entry: usize, span: Range<usize>, need: Need) -> bool {
        let field = w
            .fields
            .as_ref()
            .map(|f| f.batch.field_at(span.start, &f.hint));
        let mut keyword = self.keyword_for(w, entry, &span);
        if let (Some(f), Some(i), Kind::Builtin(d)) = (&w.fields, field, &self.entries[entry].kind)
        {
            // A column or key named `password` says what its value is, as a keyword would.
            keyword |= d.id == "generic_secret" && f.columns.names_secret(f.batch.column(i));
        }
        let confidence = match (need, keyword) {
            (_, true) => Confidence::High,
            (Need::Alone(c), false) => c,
            (Need::Keyword, false) => return false,
        };
        let value = &w.hay[span.clone()];
        let normalized = normalize(value);
        if self.allowed.contains(&normalized)
            || normalized.ends_with(b"EXAMPLE")
            || normalized.ends_with(b"EXAMPLEKEY")
        {
            return false;
        }
        let location = match (&mut w.fields, field) {
            (Some(f), Some(i)) => {
                f.columns
                    .matched(f.batch.column(i), entry, f.batch.serial(i));
                f.batch.location(i, &span, f.columns)
            }
            _ => {
                let offset = w.base + span.start as u64;
                let (line, column) = w.lines.position(w.hay, w.base, offset);
                Location::text(line, column, offset, span.len() as u64)
            }
        };
        let e = &self.entries[entry];
        w.findings
            .add(&e.id, e.category, confidence, location, value, &normalized);
        true
    }
}

/// One window of the stream as the pass sees it.
struct Window<'a, 'h> {
    hay: &'a [u8],
    /// Offset of `hay[0]` in the object.
    base: u64,
    /// Candidates starting here are this window's; the rest are context.
    accept: Range<usize>,
    lines: &'a mut LineCounter,
    findings: &'a mut FindingsBuilder<'h>,
    /// The fields of a structured batch, when the window is one.
    fields: Option<FieldsView<'a>>,
    /// Whether a value reaching the buffer's end may be left to the next window.
    can_defer: bool,
    /// Where the next window must start accepting, when a value was left to it.
    deferred: Option<usize>,
    /// Whether every detector's keyword counts as present (judging a name: a value that
    /// would be reported next to its keyword is kept out of paths and column names).
    keywords_assumed: bool,
}

/// A batch's fields and the columns they count towards.
struct FieldsView<'a> {
    batch: &'a Batch,
    columns: &'a mut Columns,
    /// The field of the last lookup ([`Batch::field_at`]).
    hint: Cell<usize>,
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use base64::Engine as _;

    use super::*;

    fn classifier(config: ClassifyConfig) -> Classifier {
        Classifier::new(ClassifyConfig {
            hmac_key: Some("k".into()),
            ..config
        })
        .unwrap()
    }

    fn small_windows() -> ClassifyConfig {
        ClassifyConfig {
            chunk_bytes: 1024,
            overlap_bytes: 256,
            ..ClassifyConfig::default()
        }
    }

    const CARD: &str = "4539 5787 6362 1486";

    #[test]
    fn value_across_every_window_edge_is_found_once_with_right_position() {
        let c = classifier(small_windows());
        // Slide the value over the first window edges, one byte at a time.
        for pad in 1000..1320 {
            let mut text = "x".repeat(pad);
            text.push_str("\ncard ");
            let offset = text.len();
            text.push_str(CARD);
            text.push('\n');
            text.push_str(&"y ".repeat(700));
            let r = c.classify_reader(text.as_bytes()).unwrap();
            let f: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.detector == "credit_card")
                .collect();
            assert_eq!(f.len(), 1, "pad {pad}: {:?}", r.findings);
            assert_eq!(f[0].count, 1, "pad {pad}");
            let loc = &f[0].locations[0];
            assert_eq!(
                (loc.offset, loc.line, loc.column),
                (offset as u64, 2, 6),
                "pad {pad}"
            );
            assert_eq!(
                f[0].confidence,
                Confidence::High,
                "pad {pad}: keyword before the edge"
            );
        }
    }

    /// Values far longer than the 256-byte overlap (a 2 KiB private key block, a long
    /// JWT whose match ends in a repetition), slid over the first window edges.
    #[test]
    fn values_longer_than_the_overlap_across_a_window_edge_are_found_whole() {
        let c = classifier(small_windows());
        let line = "MIIEowIBAAKCAQEAvN3fLhYkZ9qC+2xQ7wz4Rk1pT8sVb0nJm6HdGy5aXeUoIiKl\n";
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----",
            line.repeat(32)
        );
        assert!(pem.len() > 2000);
        let claims = format!("{{\"sub\":\"{}\"}}", "a".repeat(600));
        let jwt = format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.Q2xhc3NpZnlUZXN0U2lnbmF0dXJlMDE",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
        );
        assert!(jwt.len() > 700);
        for (id, value) in [("private_key", &pem), ("jwt", &jwt)] {
            for pad in (0..1400).step_by(37) {
                let mut text = "x ".repeat(pad / 2);
                text.push('\n');
                let offset = text.len();
                text.push_str(value);
                text.push('\n');
                text.push_str(&"y ".repeat(900));
                let r = c.classify_reader(text.as_bytes()).unwrap();
                let f = r
                    .findings
                    .iter()
                    .find(|f| f.detector == id)
                    .unwrap_or_else(|| panic!("{id} missed at pad {pad}: {:?}", r.findings));
                assert_eq!(f.count, 1, "{id} pad {pad}");
                let loc = &f.locations[0];
                assert_eq!(
                    (loc.offset, loc.length),
                    (offset as u64, value.len() as u64),
                    "{id} pad {pad}"
                );
                assert_eq!(r.bytes, text.len() as u64);
            }
        }
    }

    #[test]
    fn a_long_value_is_followed_only_up_to_max_value_bytes() {
        // An opening without its end: the window grows up to the limit, then moves on;
        // values after it are still found.
        let c = classifier(ClassifyConfig {
            max_value_bytes: 4096,
            ..small_windows()
        });
        let mut text = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
        text.push_str(&"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3\n".repeat(400));
        text.push_str("mail jane.doe@mail.example.org\n");
        let r = c.classify_reader(text.as_bytes()).unwrap();
        let ids: Vec<_> = r.findings.iter().map(|f| f.detector.as_str()).collect();
        assert_eq!(ids, ["email"]);
    }

    #[test]
    fn many_values_in_a_long_stream_are_all_counted() {
        let c = classifier(small_windows());
        let line = format!("user jane.doe@example.org paid {CARD}\n");
        let text = line.repeat(2000);
        let r = c.classify_reader(text.as_bytes()).unwrap();
        let count = |id: &str| {
            r.findings
                .iter()
                .find(|f| f.detector == id)
                .map_or(0, |f| f.count)
        };
        assert_eq!(count("email"), 2000);
        assert_eq!(count("credit_card"), 2000);
        let card = r
            .findings
            .iter()
            .find(|f| f.detector == "credit_card")
            .unwrap();
        assert_eq!(card.locations.len(), 10);
        assert_eq!(card.locations[9].line, 10);
        assert_eq!(card.samples.len(), 1, "one distinct value, one sample");
        assert_eq!(r.bytes, text.len() as u64);
    }

    /// Trial 6, D7: a log behind logrotate's `copytruncate` hole, or with a stray NUL,
    /// is text; machine code, compressed and random bytes are not.
    #[test]
    fn nul_padding_and_stray_nuls_do_not_make_text_binary() {
        let lines = "2024-03-01T10:00:00Z user=u0 ssn=536-90-4300 action=login\n".repeat(50);
        let mut hole = vec![0u8; 4096];
        hole.extend_from_slice(lines.as_bytes());
        let mut stray = lines.clone().into_bytes();
        stray[65] = 0;
        let all_nul = vec![0u8; 9000];
        for text in [&hole[..], &stray[..], &all_nul[..]] {
            assert!(!looks_binary(&text[..text.len().min(8192)]));
        }
        let c = classifier(ClassifyConfig::default());
        for text in [hole, stray] {
            let r = c.classify_bytes(&text);
            assert_eq!(r.status, ObjectStatus::Complete, "{:?}", r.reason);
            assert_eq!(r.findings.len(), 1);
            assert_eq!(r.findings[0].count, 50);
        }
        // Random bytes (compressed or encrypted data) and an ELF header stay binary.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let random: Vec<u8> = (0..8192)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        assert!(looks_binary(&random));
        assert!(looks_binary(
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0"
        ));
    }

    #[test]
    fn binary_content_is_skipped_as_unsupported_type() {
        let c = classifier(ClassifyConfig::default());
        let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
        bytes.extend_from_slice(CARD.as_bytes());
        let r = c.classify_bytes(&bytes);
        assert_eq!(r.status, ObjectStatus::Skipped);
        assert_eq!(r.reason, Some(SkipReason::UnsupportedType));
        assert!(r.findings.is_empty());
    }

    #[test]
    fn random_bytes_and_odd_utf8_never_panic() {
        let c = classifier(small_windows());
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: [&[u8]; 12] = [
            b"\xff\xfe",
            b"\xe2\x82",
            "é€😀".as_bytes(),
            b"4539 5787 ",
            b"-----BEGIN RSA PRIVATE KEY-----\n",
            b"@",
            b"::",
            b"password=",
            b"eyJ",
            b"+44 ",
            b"\n",
            b"AKIA",
        ];
        for round in 0..400 {
            let len = (next() % 3000) as usize;
            let mut input = Vec::with_capacity(len);
            while input.len() < len {
                let r = next();
                if r % 3 == 0 {
                    input.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
                } else {
                    // Printable-heavy so the text path, not the binary skip, is exercised.
                    input.push(if r % 5 == 0 {
                        (r >> 16) as u8
                    } else {
                        b' ' + (r >> 16) as u8 % 95
                    });
                }
            }
            input.retain(|&b| b != 0 || round % 2 == 0);
            let r = c.classify_reader(&input[..]).unwrap();
            for f in &r.findings {
                for l in &f.locations {
                    assert!(l.offset + l.length <= input.len() as u64);
                }
            }
        }
    }

    /// A long run of word characters used to cost a scan to its end at every candidate in
    /// it (quadratic: 1 MB of `a` took 27 s in a release build), so this test took minutes.
    #[test]
    fn long_runs_of_word_characters_are_read_in_one_pass() {
        for byte in [b'a', b'A', b'0', b'x'] {
            let text = vec![byte; 64 << 10];
            let report = crate::classify::tests::shared().classify_bytes(&text);
            assert_eq!(report.bytes, text.len() as u64);
        }
    }

    #[test]
    fn a_value_right_after_a_number_is_not_swallowed_by_the_number_run() {
        use crate::classify::tests::{assert_clean, assert_finds};
        assert_finds("ipv4_address", "count 3 192.168.1.10 ok", "192.168.1.10");
        assert_clean("phone_number", "count 3 192.168.1.10 ok");
        assert_finds(
            "ipv6_address",
            "from 1 2001:db8::8a2e:370:7334 x",
            "2001:db8::8a2e:370:7334",
        );
        assert_finds("date_of_birth", "dob: 5 1990-05-01", "1990-05-01");
        // The number before it is still a number: a card, then an address.
        assert_finds(
            "credit_card",
            "card 4539 5787 6362 1486 10.1.2.3",
            "4539 5787 6362 1486",
        );
        assert_finds(
            "ipv4_address",
            "card 4539 5787 6362 1486 10.1.2.3",
            "10.1.2.3",
        );
        // A shape inside the run that its detector does not report leaves the run whole.
        assert_finds("phone_number", "tel +44 20 7946 0958", "+44 20 7946 0958");
        assert_finds("credit_card", "4539 5787 6362 1486", "4539 5787 6362 1486");
    }

    #[test]
    fn detector_selection_runs_only_the_named_detectors() {
        let c = classifier(ClassifyConfig {
            detectors: Some(vec!["email".into()]),
            ..ClassifyConfig::default()
        });
        let r = c.classify_bytes(format!("a@b.example.org {CARD}").as_bytes());
        let ids: Vec<_> = r.findings.iter().map(|f| f.detector.as_str()).collect();
        assert_eq!(ids, ["email"]);
        assert!(matches!(
            Classifier::new(ClassifyConfig {
                detectors: Some(vec!["nope".into()]),
                ..ClassifyConfig::default()
            }),
            Err(ClassifyError::UnknownDetector(id)) if id == "nope"
        ));
    }

    #[test]
    fn custom_detector_with_keyword_and_distance() {
        let c = classifier(ClassifyConfig {
            custom: vec![CustomDetector {
                id: "employee_id".into(),
                regex: r"\bEMP-[0-9]{6}\b".into(),
                keywords: vec!["employee".into()],
                max_distance: Some(10),
                category: Category::Personal,
            }],
            ..ClassifyConfig::default()
        });
        let near = c.classify_bytes(b"employee: EMP-123456");
        assert_eq!(near.findings[0].detector, "employee_id");
        assert_eq!(near.findings[0].confidence, Confidence::High);
        let far = c.classify_bytes(b"employee record of the year: EMP-123456");
        assert!(far.findings.is_empty(), "{:?}", far.findings);
        let bad = Classifier::new(ClassifyConfig {
            custom: vec![CustomDetector {
                id: "broken".into(),
                regex: "(".into(),
                keywords: vec![],
                max_distance: None,
                category: Category::Personal,
            }],
            ..ClassifyConfig::default()
        });
        assert!(matches!(bad, Err(ClassifyError::CustomPattern { id, .. }) if id == "broken"));
    }

    /// Scan trial (S7): a custom detector whose matches overlap managed detectors' values
    /// reports its own, and the managed findings stay (it used to take the place).
    #[test]
    fn custom_detectors_never_hide_managed_findings() {
        let custom = |id: &str, regex: &str| CustomDetector {
            id: id.into(),
            regex: regex.into(),
            keywords: vec![],
            max_distance: None,
            category: Category::Personal,
        };
        let text = b"passport A12345678 ssn 536-90-4300 card 4539 5787 6362 1486\nDB_PASSWORD=Zt9#kq2LmV8pR\n";
        let plain = classifier(ClassifyConfig::default()).classify_bytes(text);
        let with_custom = classifier(ClassifyConfig {
            custom: vec![
                custom("letter_digits", "[A-Z][0-9]{8}"),
                custom("dashed", "[0-9]{3}-[0-9]{2}-[0-9]{4}"),
                custom("digits", "[0-9]+"),
                custom("db_name", "DB_[A-Z]+"),
            ],
            ..ClassifyConfig::default()
        })
        .classify_bytes(text);
        let ids = |r: &ObjectReport| -> Vec<String> {
            let mut v: Vec<String> = r.findings.iter().map(|f| f.detector.clone()).collect();
            v.sort();
            v
        };
        for managed in ids(&plain) {
            assert!(
                ids(&with_custom).contains(&managed),
                "{managed} lost: {:?}",
                ids(&with_custom)
            );
        }
        for id in ["letter_digits", "dashed", "digits", "db_name"] {
            assert!(
                ids(&with_custom).iter().any(|d| d == id),
                "{id}: {:?}",
                ids(&with_custom)
            );
        }
        // Managed findings are the same, location for location.
        let managed: Vec<_> = with_custom
            .findings
            .iter()
            .filter(|f| ids(&plain).contains(&f.detector))
            .collect();
        assert_eq!(managed.len(), plain.findings.len());
        for (a, b) in managed.iter().zip(&plain.findings) {
            assert_eq!(a.detector, b.detector);
            assert_eq!(a.locations, b.locations);
        }
    }

    /// Scan trial (S8): a pattern that can match no characters is refused.
    #[test]
    fn custom_patterns_that_match_the_empty_string_are_refused() {
        for pattern in ["", "a*", "x?", r"\b", "(?:ab)*", "^"] {
            let e = check_custom_pattern(pattern).unwrap_err();
            assert!(e.contains("empty string"), "{pattern}: {e}");
        }
        assert!(check_custom_pattern("a+").is_ok());
    }

    /// The parser's reason and position, not the builder's "error parsing pattern 0".
    #[test]
    fn bad_custom_pattern_error_says_what_and_where() {
        let e = check_custom_pattern("EMP-[0-9]{6").unwrap_err();
        assert_eq!(
            e,
            r#"unclosed counted repetition at characters 10-11 ("{6")"#
        );
        let e = check_custom_pattern("a(b").unwrap_err();
        assert!(e.starts_with("unclosed group at character"), "{e}");
        assert!(check_custom_pattern(r"\bEMP-[0-9]{6}\b").is_ok());
    }

    #[test]
    fn user_allow_list_suppresses_a_value_in_any_formatting() {
        let c = classifier(ClassifyConfig {
            allow_list: vec!["4539-5787-6362-1486".into()],
            ..ClassifyConfig::default()
        });
        assert!(c.classify_bytes(CARD.as_bytes()).findings.is_empty());
    }

    #[test]
    fn keyword_distance_is_configurable() {
        let text = format!("SSN{}536228726", " ".repeat(40));
        let default = classifier(ClassifyConfig::default());
        assert!(default.classify_bytes(text.as_bytes()).findings.is_empty());
        let wide = classifier(ClassifyConfig {
            keyword_distance: 50,
            ..ClassifyConfig::default()
        });
        assert_eq!(
            wide.classify_bytes(text.as_bytes()).findings[0].detector,
            "us_ssn"
        );
    }

    #[test]
    fn specific_token_inside_an_assignment_wins_over_generic_secret() {
        let c = classifier(ClassifyConfig::default());
        let r = c.classify_bytes(b"{\"token\": \"ghp_Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2Lm4\"}");
        let ids: Vec<_> = r.findings.iter().map(|f| f.detector.as_str()).collect();
        assert_eq!(ids, ["github_token"]);
    }

    /// A writer the test's tracing subscriber appends to.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn no_planted_value_appears_unmasked_in_output_or_logs() {
        let planted = [
            "4539578763621486",
            "536-22-8726",
            "jane.doe@mail.example.org",
            "AKIAZ7Q3XK5LMN2RTV4W",
            "k3Jd9Lq0ZpXv7BnT2mWc8RyF5sHa1GeUoI4tNbQx",
            "DE44500105175407324931",
            "Zq8!vR2#mK9x",
            "+44 20 7946 0958",
        ];
        let text = format!(
            "card {}\nssn {}\nmail {}\nkey {}\naws_secret_access_key = {}\niban {}\npassword={}\ntel {}\n",
            planted[0], planted[1], planted[2], planted[3], planted[4], planted[5], planted[6], planted[7]
        );
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        // With one dispatcher registered, tracing takes a callsite's interest from the
        // default of whichever thread meets it first (tests run in parallel, without
        // subscribers); with two, it asks every registered dispatcher.
        let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let report = tracing::subscriber::with_default(subscriber, || {
            classifier(ClassifyConfig::default()).classify_bytes(text.as_bytes())
        });
        assert_eq!(
            report.findings.len(),
            planted.len(),
            "{:?}",
            report.findings
        );
        let json = serde_json::to_string(&report).unwrap();
        let debug = format!("{report:?}");
        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(logs.contains("object classified"), "logs captured: {logs}");
        for v in planted {
            for (what, out) in [("json", &json), ("debug", &debug), ("logs", &logs)] {
                assert!(!out.contains(v), "{v} appears in {what}");
                let compact = normalize(v.as_bytes());
                assert!(
                    !out.contains(std::str::from_utf8(&compact).unwrap()),
                    "{v} (normalized) appears in {what}"
                );
            }
        }
    }

    /// Every keyword of every detector counts in a column name or JSON key in each
    /// spelling headers use, and the same spelling counts as a keyword in text.
    #[test]
    fn every_keyword_counts_in_every_header_spelling_as_in_text() {
        let c = crate::classify::tests::shared();
        let title = |w: &str| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |f| {
                f.to_uppercase().chain(chars).collect::<String>()
            })
        };
        let mut checked = 0;
        for (entry, e) in c.entries.iter().enumerate() {
            for k in &e.keywords {
                let words: Vec<String> = k
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect();
                let titled: Vec<String> = words.iter().map(|w| title(w)).collect();
                let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
                let camel = words[..1].concat() + &titled[1..].concat();
                let mut spellings = vec![k.clone(), k.to_uppercase(), title(k)];
                // Credential keywords are identifiers and count as written (see
                // `Classifier::new`); a keyword of one word keeps its marks (`dl#`).
                if e.category != Category::Credentials && words.len() > 1 {
                    spellings.extend([
                        words.join(" "),
                        words.join("_"),
                        words.join("-"),
                        words.concat(),
                        upper.join("_"),
                        titled.join(" "),
                        titled.join("-"),
                        titled.join("_"),
                        titled.concat(),
                        camel,
                    ]);
                }
                for s in spellings {
                    assert!(
                        c.keyword_entries(&s).contains(&entry),
                        "{}: keyword {k:?} as the column name {s:?}",
                        e.id
                    );
                    if s.is_ascii() {
                        let text = format!("{s}: X");
                        let span = text.len() - 1..text.len();
                        assert!(
                            c.keyword_near(text.as_bytes(), entry, &span, None, true),
                            "{}: keyword {k:?} in the text {text:?}",
                            e.id
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 700, "{checked}");
    }

    /// The header spellings of the trial (#16, #19): each names its detector as a column.
    #[test]
    fn usual_header_spellings_name_their_detector() {
        let c = crate::classify::tests::shared();
        let ids = |name: &str| -> Vec<String> {
            c.keyword_entries(name)
                .into_iter()
                .map(|e| c.entries[e].id.clone())
                .collect()
        };
        for (name, id) in [
            ("Steuer-ID", "de_tax_id"),
            ("Steuer-IdNr", "de_tax_id"),
            ("IdNr", "de_tax_id"),
            ("steuer_id", "de_tax_id"),
            ("TIN", "de_tax_id"),
            ("Steuerliche Identifikationsnummer", "de_tax_id"),
            ("ss_num", "us_ssn"),
            ("SSN_Numbers", "us_ssn"),
            ("customerSSN", "us_ssn"),
            ("ccnum", "credit_card"),
            ("CardNumbers", "credit_card"),
            ("cards\nnumber", "credit_card"),
        ] {
            assert!(
                ids(name).iter().any(|i| i == id),
                "{name:?}: {:?}",
                ids(name)
            );
        }
        for name in ["settings", "destination", "status", "number"] {
            assert!(ids(name).is_empty(), "{name:?}: {:?}", ids(name));
        }
        let csv = "Steuer-IdNr,name\n63145508272,a\n33876092347,b\n17125186935,c\n";
        let r = c
            .classify_stream(
                &crate::classify::ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &crate::classify::SampleLimits::NONE,
            )
            .unwrap();
        let found: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.detector.as_str(), f.count))
            .collect();
        assert_eq!(found, [("de_tax_id", 3)]);
    }
}
