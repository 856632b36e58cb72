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

/// Most digit groups a number detector looks at together (the French NIR has seven).
const MAX_GROUPS: usize = 8;
/// Longest digit string any number detector accepts.
const MAX_DIGITS: usize = 19;

/// Documented example values that are never reported: AWS's example keys, the test card
/// numbers card networks and processors publish, SSA's advertised SSNs, the IBAN
/// examples of the registry, Stripe's documented test key. Compared after
/// [`normalize`]. Values ending in `EXAMPLE` or `EXAMPLEKEY` (AWS documentation's
/// convention for every example key) are passed over too.
const ALLOWED: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "4111111111111111",
    "4012888888881881",
    "4222222222222",
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "378734493671000",
    "6011111111111117",
    "6011000990139424",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "38520000023237",
    "6200000000000005",
    // Stripe's other documented test cards (brands, declines, 3-D Secure).
    "3056930009020004",
    "36227206271667",
    "6555900000604105",
    "6011981111111113",
    "6200000000000047",
    "6205500000000000004",
    "4000002500001001",
    "4000000000000002",
    "4000000000009995",
    "4000000000009987",
    "4000000000009979",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
    "4000000000003220",
    "4000002760003184",
    "4000000000003063",
    "4000000000000077",
    "4000000000000093",
    // Braintree's sandbox test cards.
    "4005519200000004",
    "4009348888881881",
    "4012000033330026",
    "4012000077777777",
    "4217651111111119",
    "4500600000000061",
    "2223000048400011",
    "6304000000000000",
    "6243030000000001",
    // Adyen's test cards.
    "4917610000000000",
    "2222400070000005",
    "4111111145551142",
    "4988438843884305",
    "4166676667666746",
    "4646464646464644",
    "4000620000000007",
    "4000060000000006",
    "4293189100000008",
    "4988080000000000",
    "4444333322221111",
    "4001590000000001",
    "4000180000000002",
    "5555341244441115",
    "5577000055770004",
    "5555444433331111",
    "2222410740360010",
    "2222410700000002",
    "2222400010000008",
    "2223000048410010",
    "2222400060000007",
    "2223520443560010",
    "2222400030000004",
    "5100060000000002",
    "5100290029002909",
    "5424000000000015",
    "6771798021000008",
    "370000000000002",
    "36006666333344",
    "6011601160116611",
    "6445644564456445",
    "3569990010095841",
    "078-05-1120",
    "219-09-9999",
    "123-45-6789",
    // SSA's range for advertisements, 987-65-4320 to 987-65-4329.
    "987-65-4320",
    "987-65-4321",
    "987-65-4322",
    "987-65-4323",
    "987-65-4324",
    "987-65-4325",
    "987-65-4326",
    "987-65-4327",
    "987-65-4328",
    "987-65-4329",
    // AWS's second documented key pair (the first is above).
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    // The SWIFT IBAN registry's example IBAN of each country.
    "AD1200012030200359100100",
    "AE070331234567890123456",
    "AL47212110090000000235698741",
    "AT611904300234573201",
    "AZ21NABZ00000000137010001944",
    "BA391290079401028494",
    "BE68539007547034",
    "BG80BNBG96611020345678",
    "BH67BMAG00001299123456",
    "BR1800360305000010009795493C1",
    "BY13NBRB3600900000002Z00AB00",
    "CH9300762011623852957",
    "CR05015202001026284066",
    "CY17002001280000001200527600",
    "CZ6508000000192000145399",
    "DE89370400440532013000",
    "DK5000400440116243",
    "DO28BAGR00000001212453611324",
    "EE382200221020145685",
    "EG380019000500000000263180002",
    "ES9121000418450200051332",
    "FI2112345600000785",
    "FO6264600001631634",
    "FR1420041010050500013M02606",
    "GB29NWBK60161331926819",
    "GB82WEST12345698765432",
    "GE29NB0000000101904917",
    "GI75NWBK000000007099453",
    "GL8964710001000206",
    "GR1601101250000000012300695",
    "GT82TRAJ01020000001210029690",
    "HR1210010051863000160",
    "HU42117730161111101800000000",
    "IE29AIBK93115212345678",
    "IL620108000000099999999",
    "IQ98NBIQ850123456789012",
    "IS140159260076545510730339",
    "IT60X0542811101000000123456",
    "JO94CBJO0010000000000131000302",
    "KW81CBKU0000000000001234560101",
    "KZ86125KZT5004100100",
    "LB62099900000001001901229114",
    "LC55HEMM000100010012001200023015",
    "LI21088100002324013AA",
    "LT121000011101001000",
    "LU280019400644750000",
    "LV80BANK0000435195001",
    "MC5811222000010123456789030",
    "MD24AG000225100013104168",
    "ME25505000012345678951",
    "MK07250120000058984",
    "MR1300020001010000123456753",
    "MT84MALT011000012345MTLCAST001S",
    "MU17BOMM0101101030300200000MUR",
    "NL91ABNA0417164300",
    "NO9386011117947",
    "PK36SCBL0000001123456702",
    "PL61109010140000071219812874",
    "PS92PALS000000000400123456702",
    "PT50000201231234567890154",
    "QA58DOHB00001234567890ABCDEFG",
    "RO49AAAA1B31007593840000",
    "RS35260005601001611379",
    "SA0380000000608010167519",
    "SC18SSCB11010000000000001497USD",
    "SE4550000000058398257466",
    "SI56263300012039086",
    "SK3112000000198742637541",
    "SM86U0322509800000000270100",
    "ST68000100010051845310112",
    "SV62CENR00000000000000700025",
    "TL380080012345678910157",
    "TN5910006035183598478831",
    "TR330006100519786457841326",
    "UA213223130000026007233566001",
    "VA59001123000012345678",
    "VG96VPVG0000012345678901",
    "XK051212012345678906",
    // The registry's examples for the countries added since 2020 (release 101).
    "BI4210000100010000332045181",
    "DJ2100010000000154000100186",
    "FK88SC123456789012",
    "HN88CABF00000000000250005469",
    "LY83002048000020100120361",
    "MN121234123456789123",
    "NI45BAPR00000013000003558124",
    "OM810180000001299123456",
    "RU0304452522540817810538091310419",
    "SD2129010501234001",
    "SO211000001001000100141",
    "YE15CBYE0001018861234567891234",
];

/// Upper-case letters and digits only: what allow-listing and digests compare.
pub(crate) fn normalize(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_uppercase)
        .collect()
}

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

/// Where the users' detectors' pass is in a window: the next place to search from, and a
/// match already found beyond what has been reported.
struct CustomCursor {
    at: usize,
    pending: Option<regex_automata::Match>,
}

/// The digit groups of a number run; runs of more groups than this spill to the heap.
type SmallGroups = smallvec::SmallVec<[Range<usize>; 16]>;

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
    allowed: HashSet<Vec<u8>>,
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

/// Checks that a user's pattern compiles as the pass compiles it. The error is the
/// parser's reason and where in the pattern it is (`unclosed counted repetition at
/// characters 10-11 ("{6")`, columns from 1), on one line: the multi-pattern builder's own message says
/// only "error parsing pattern 0".
pub(crate) fn check_custom_pattern(pattern: &str) -> Result<(), String> {
    let syntax = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern);
    let e = match build_regex(&[pattern]) {
        // A pattern that can match no characters (`a*`, `\b`, `x?`) would report empty
        // values everywhere it matches: a detector must find at least one character.
        Ok(_)
            if syntax
                .as_ref()
                .is_ok_and(|hir| hir.properties().minimum_len() == Some(0)) =>
        {
            return Err(
                "it can match the empty string; a detector must match at least one character"
                    .into(),
            );
        }
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let (kind, span) = match &syntax {
        Err(regex_syntax::Error::Parse(p)) => (p.kind().to_string(), *p.span()),
        Err(regex_syntax::Error::Translate(t)) => (t.kind().to_string(), *t.span()),
        _ => return Err(e),
    };
    let at = pattern
        .get(span.start.offset..span.end.offset)
        .unwrap_or_default();
    let (from, to) = (span.start.column, span.end.column.saturating_sub(1));
    Err(if to > from {
        format!("{kind} at characters {from}-{to} ({at:?})")
    } else {
        format!("{kind} at character {from} ({at:?})")
    })
}

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

        let allowed = ALLOWED
            .iter()
            .map(|v| v.as_bytes())
            .chain(config.allow_list.iter().map(|v| v.as_bytes()))
            .map(normalize)
            .collect();
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

    /// Streams `reader` through the pass in overlapping windows, adding to `findings`.
    pub(crate) fn scan_stream<R: Read>(
        &self,
        mut reader: R,
        findings: &mut FindingsBuilder<'_>,
    ) -> Result<StreamEnd, ClassifyError> {
        let chunk = self.config.chunk_bytes.max(1024);
        let overlap = self.config.overlap_bytes.max(256);
        // A window grows up to this while a value that may be longer than the overlap
        // crosses its edge.
        let cap = chunk + overlap + self.config.max_value_bytes.max(overlap);
        // Bytes kept before the accepted region so keywords before a value are seen.
        let context = (self.config.keyword_distance + self.longest_keyword + 16).min(overlap);
        let mut buf: Vec<u8> = Vec::with_capacity(chunk + overlap);
        let mut target = chunk + overlap;
        let mut base: u64 = 0;
        let mut accept_from = 0usize;
        let mut resume: u64 = 0;
        let mut eof = false;
        let mut first = true;
        let mut lines = LineCounter::default();
        loop {
            while !eof && buf.len() < target {
                let old = buf.len();
                buf.resize(target, 0);
                let n = loop {
                    match reader.read(&mut buf[old..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(ClassifyError::Read(e)),
                    }
                };
                buf.truncate(old + n);
                eof = n == 0;
            }
            if first {
                first = false;
                if looks_binary(&buf[..buf.len().min(8192)]) {
                    return Ok(StreamEnd::Binary);
                }
            }
            let accept_end = if eof { buf.len() } else { buf.len() - overlap };
            let mut window = Window {
                hay: &buf,
                base,
                accept: accept_from..accept_end,
                lines: &mut lines,
                findings,
                fields: None,
                can_defer: !eof && buf.len() < cap,
                deferred: None,
                keywords_assumed: false,
            };
            self.scan_window(&mut window, &mut resume);
            let deferred = window.deferred;
            if eof {
                break;
            }
            // A value that may continue past the buffer: the next window starts at it.
            let accept_end = deferred.unwrap_or(accept_end);
            let keep_from = accept_end.saturating_sub(context);
            lines.advance(&buf, base, base + keep_from as u64);
            buf.drain(..keep_from);
            base += keep_from as u64;
            accept_from = accept_end - keep_from;
            target = match deferred {
                Some(_) => (buf.len() + chunk).min(cap).max(chunk + overlap),
                None => chunk + overlap,
            };
        }
        Ok(StreamEnd::Read(base + buf.len() as u64))
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

    /// Entries (detector indexes) whose keywords occur in a column name or JSON key. A
    /// name counts wherever the same text would count as a keyword in text (`Steuer-IdNr`,
    /// `steuer_id`, `IdNr`), and also read as words (`customerSSN`, `CardNumbers`,
    /// `e-mail`: camel case split, plurals as singulars). `names` may hold several names,
    /// one a line (a JSON key and its parent key): each is matched on its own.
    pub(crate) fn keyword_entries(&self, names: &str) -> Vec<usize> {
        let Some(ac) = &self.keywords else {
            return Vec::new();
        };
        let mut out: Vec<usize> = Vec::new();
        for name in names.lines() {
            let words = name_words(name);
            let singular = singular_words(&words);
            for hay in [name, words.as_str(), singular.as_str()] {
                let hay = hay.as_bytes();
                for m in ac.find_overlapping_iter(hay) {
                    let before = m.start().checked_sub(1).map(|i| hay[i]);
                    if is_word(before) || is_word(hay.get(m.end()).copied()) {
                        continue;
                    }
                    for &e in &self.keyword_owners[m.pattern().as_usize()] {
                        if !out.contains(&e) {
                            out.push(e);
                        }
                    }
                }
            }
        }
        out
    }

    /// Id and category of an entry.
    pub(crate) fn entry_info(&self, entry: usize) -> (&str, Category) {
        let e = &self.entries[entry];
        (&e.id, e.category)
    }

    /// Whether one of the entry's keywords lies within its distance of `span` in `hay`
    /// (and inside `bounds`, the value's record in structured data). Only the bytes that
    /// can hold such a keyword are searched, so keywords cost nothing where no candidate is.
    fn keyword_near(
        &self,
        hay: &[u8],
        entry: usize,
        span: &Range<usize>,
        bounds: Option<&Range<usize>>,
    ) -> bool {
        let Some(ac) = &self.keywords else {
            return false;
        };
        let e = &self.entries[entry];
        if e.keywords.is_empty() {
            return false;
        }
        let distance = e.distance;
        let mut lo = span.start.saturating_sub(distance + self.longest_keyword);
        let mut hi = span
            .end
            .saturating_add(distance + self.longest_keyword)
            .min(hay.len());
        if let Some(b) = bounds {
            lo = lo.max(b.start);
            hi = hi.min(b.end);
        }
        if lo >= hi {
            return false;
        }
        ac.find_overlapping_iter(&hay[lo..hi]).any(|m| {
            let (start, end) = (lo + m.start(), lo + m.end());
            // Word boundaries are judged on the whole text, not the searched slice.
            if is_word(start.checked_sub(1).map(|i| hay[i])) || is_word(hay.get(end).copied()) {
                return false;
            }
            let near = if end <= span.start {
                span.start - end <= distance
            } else {
                start < span.end || start - span.end <= distance
            };
            near && self.keyword_owners[m.pattern().as_usize()].contains(&entry)
        })
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
        let mut cursor = self.searchers.cursor();
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
                    _ => {
                        self.number_run(w, span.clone());
                        span.end
                    }
                },
            };
            pos = next.max(span.start + 1);
            *resume = w.base + pos as u64;
        }
        let end = w.accept.end;
        self.custom_until(w, &mut custom, end);
    }

    /// The first beginning of a long value (a private key block, a JWT) in the accepted
    /// region, after `resume`, that runs to the end of the bytes and has no whole match
    /// there yet: the buffer may have cut it.
    fn open_long_value(&self, w: &Window<'_, '_>, resume: u64) -> Option<usize> {
        let (openers, pids) = self.openers.as_ref()?;
        let from = w
            .accept
            .start
            .max(resume.saturating_sub(w.base) as usize)
            .min(w.accept.end);
        for m in openers.find_iter(Input::new(w.hay).range(from..)) {
            if m.start() >= w.accept.end {
                break;
            }
            if m.end() < w.hay.len() {
                continue;
            }
            let whole = Input::new(w.hay)
                .range(m.start()..)
                .anchored(Anchored::Pattern(pids[m.pattern().as_usize()]));
            if self.regex.search(&whole).is_none() {
                return Some(m.start());
            }
        }
        None
    }

    /// Reports the users' detectors' matches that start in `[cursor.at, end)`, in order;
    /// the cursor keeps the next match found past `end` for the next call. A pattern that
    /// matches the empty string is refused when the classifier is built; an empty match
    /// here (a pattern like `a*` where no `a` is) is passed over.
    fn custom_until(&self, w: &mut Window<'_, '_>, cursor: &mut CustomCursor, end: usize) {
        let Some((regex, custom_entries)) = &self.custom else {
            return;
        };
        while cursor.at < end {
            let found = match cursor.pending.take() {
                Some(m) => Some(m),
                None => regex.search(&Input::new(w.hay).range(cursor.at..)),
            };
            let Some(m) = found else {
                cursor.at = usize::MAX;
                return;
            };
            if m.start() >= end {
                cursor.pending = Some(m);
                return;
            }
            if m.is_empty() {
                cursor.at = m.start() + 1;
                continue;
            }
            let entry = custom_entries[m.pattern().as_usize()];
            let need = if self.entries[entry].keywords.is_empty() {
                Need::Alone(Confidence::Medium)
            } else {
                Need::Keyword
            };
            self.report(w, entry, m.range(), need);
            cursor.at = m.end();
        }
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

    /// Cuts a number run into digit groups and tries windows of consecutive groups,
    /// longest first, against every number detector; then the whole run as a phone number
    /// when no window was claimed.
    fn number_run(&self, w: &mut Window<'_, '_>, span: Range<usize>) {
        let hay = w.hay;
        let candidate = Candidate {
            hay,
            span: span.clone(),
        };
        // Glued to a word on either side: an id, a hash, a version, not a number.
        if is_word(candidate.before())
            || is_word(candidate.after())
            || candidate.before() == Some(b'.')
        {
            return;
        }
        // Digit groups: kept on the stack for the common run, which is short.
        let mut groups: SmallGroups = SmallGroups::new();
        let mut digits = 0;
        let mut i = span.start;
        while i < span.end {
            if hay[i].is_ascii_digit() {
                let start = i;
                while i < span.end && hay[i].is_ascii_digit() {
                    i += 1;
                }
                digits += i - start;
                groups.push(start..i);
            } else {
                i += 1;
            }
        }
        if digits < self.min_number_digits {
            // Too short for every selected number detector (a time, a count, a version).
            return;
        }
        let mut claimed = false;
        let mut g = 0;
        while g < groups.len() {
            let mut advanced = false;
            let last = (g + MAX_GROUPS - 1).min(groups.len() - 1);
            for end in (g..=last).rev() {
                if continued(hay, &groups, g, end) {
                    continue;
                }
                if self.number_window(w, &groups[g..=end]) {
                    claimed = true;
                    g = end + 1;
                    advanced = true;
                    break;
                }
            }
            if !advanced {
                g += 1;
            }
        }
        if !claimed {
            if let Some(entry) = self.phone_entry {
                self.phone(w, entry, span, digits);
            }
        }
    }

    /// Tries one window of digit groups against the number detectors; true when one
    /// reported it.
    fn number_window(&self, w: &mut Window<'_, '_>, groups: &[Range<usize>]) -> bool {
        let hay = w.hay;
        let total: usize = groups.iter().map(|r| r.len()).sum();
        if total > MAX_DIGITS || total < self.min_number_digits {
            return false;
        }
        let mut separators = [0u8; MAX_GROUPS];
        for (k, pair) in groups.windows(2).enumerate() {
            match hay[pair[0].end..pair[1].start] {
                [s @ (b' ' | b'-' | b'.' | b'/')] => separators[k] = s,
                _ => return false,
            }
        }
        let separators = &separators[..groups.len() - 1];
        let mut digits = [0u8; MAX_DIGITS];
        let mut sizes = [0usize; MAX_GROUPS];
        let mut n = 0;
        for (k, r) in groups.iter().enumerate() {
            digits[n..n + r.len()].copy_from_slice(&hay[r.clone()]);
            n += r.len();
            sizes[k] = r.len();
        }
        let view = Digits {
            digits: &digits[..n],
            groups: &sizes[..groups.len()],
            separator: separators.first().copied(),
            uniform: separators.windows(2).all(|p| p[0] == p[1]),
            separators,
        };
        let span = groups[0].start..groups[groups.len() - 1].end;
        let mut reported = false;
        for &entry in &self.number_entries {
            let Kind::Builtin(Detector {
                rule: Rule::Number {
                    check, min_digits, ..
                },
                ..
            }) = self.entries[entry].kind
            else {
                continue;
            };
            if n < *min_digits {
                continue;
            }
            if let Some(need) = check(&view) {
                if !self.names_another_identifier(w, entry, &span) {
                    reported |= self.report(w, entry, span.clone(), need);
                }
            }
        }
        reported
    }

    /// The whole run as a phone number: international (`+` or `00`, see
    /// [`super::personal::international_phone`]), or national in a configured region;
    /// unformatted digits need a keyword.
    fn phone(&self, w: &mut Window<'_, '_>, entry: usize, span: Range<usize>, digits: usize) {
        let raw = &w.hay[span.clone()];
        let international = super::personal::international_phone(raw);
        let digits = international.as_ref().map_or(digits, |(_, d)| *d);
        if !(PHONE_MIN_DIGITS..=15).contains(&digits) {
            return;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            return;
        };
        let plain = raw.iter().all(u8::is_ascii_digit);
        if international.is_none() && !super::personal::national_phone_shape(w.hay, &span) {
            return;
        }
        if plain && !self.keyword_for(w, entry, &span) {
            // Unformatted digits count only with a keyword: parsing them (the library's
            // costliest case, and most digit runs in logs) is not needed.
            return;
        }
        let valid = if let Some((text, _)) = &international {
            phonenumber::parse(None, text).is_ok_and(|n| phonenumber::is_valid(&n))
        } else {
            self.phone_regions
                .iter()
                .filter(|r| r.may_hold(raw, digits))
                .any(|r| {
                    phonenumber::parse(Some(r.id), text).is_ok_and(|n| {
                        phonenumber::is_valid(&n) && super::personal::grouped_as_national(raw, &n)
                    })
                })
        };
        if !valid {
            return;
        }
        let need = if international.is_some() && !plain {
            Need::Alone(Confidence::Medium)
        } else if !plain {
            Need::Alone(Confidence::Low)
        } else {
            Need::Keyword
        };
        self.report(w, entry, span, need);
    }

    /// Whether the entry has a keyword for the value at `span`: in its column's name, or
    /// within its distance (inside the value's record in structured data).
    fn keyword_for(&self, w: &Window<'_, '_>, entry: usize, span: &Range<usize>) -> bool {
        if w.keywords_assumed {
            return !self.entries[entry].keywords.is_empty();
        }
        match &w.fields {
            Some(f) => {
                let field = &f.batch.fields[f.batch.field_at(span.start, &f.hint)];
                f.columns.has_keyword(field.column, entry)
                    || self.keyword_near(w.hay, entry, span, Some(&field.record))
            }
            None => self.keyword_near(w.hay, entry, span, None),
        }
    }

    /// Whether the value at `span` is named as another identifier (see `Rule::Number`'s
    /// `not_after`): one of those keywords in its column's name, or before it within the
    /// distance, and none of the entry's own keywords in the name or nearer.
    fn names_another_identifier(
        &self,
        w: &Window<'_, '_>,
        entry: usize,
        span: &Range<usize>,
    ) -> bool {
        let Some((ac, owners)) = &self.other_ids else {
            return false;
        };
        let e = &self.entries[entry];
        if e.not_after.is_empty() || w.keywords_assumed {
            return false;
        }
        // The end of the last such keyword in `hay[range]`, on word boundaries.
        let last_in = |hay: &[u8], range: Range<usize>| {
            ac.find_overlapping_iter(&hay[range.clone()])
                .filter(|m| owners[m.pattern().as_usize()].contains(&entry))
                .map(|m| (range.start + m.start(), range.start + m.end()))
                .filter(|&(start, end)| {
                    !is_word(start.checked_sub(1).map(|i| hay[i]))
                        && !is_word(hay.get(end).copied())
                })
                .map(|(_, end)| end)
                .max()
        };
        let longest = e.not_after.iter().map(String::len).max().unwrap_or(0);
        let mut lo = span.start.saturating_sub(e.distance + longest);
        if let Some(f) = &w.fields {
            let field = &f.batch.fields[f.batch.field_at(span.start, &f.hint)];
            if f.columns.has_keyword(field.column, entry) {
                return false;
            }
            let name = f.columns.name(field.column);
            let words = name_words(name);
            if [name, words.as_str()]
                .iter()
                .any(|n| last_in(n.as_bytes(), 0..n.len()).is_some())
            {
                return true;
            }
            lo = lo.max(field.record.start);
        }
        let Some(other_end) = last_in(w.hay, lo..span.start) else {
            return false;
        };
        if span.start - other_end > e.distance {
            return false;
        }
        // One of the detector's own keywords after it is nearer the value.
        !self.keyword_near(w.hay, entry, span, Some(&(other_end..span.start)))
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
            keyword |= d.id == "generic_secret" && f.columns.names_secret(f.batch.fields[i].column);
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
                let field = &f.batch.fields[i];
                f.columns.matched(field.column, entry, field.serial);
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

/// Words (each once) with the entries each belongs to, one ASCII-case-insensitive
/// automaton of them and the longest word's length; `None` without words.
#[allow(clippy::type_complexity)]
fn owned_words(
    pairs: impl IntoIterator<Item = (usize, String)>,
) -> Result<Option<(AhoCorasick, Vec<Vec<usize>>, usize)>, ClassifyError> {
    let mut words: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<usize>> = Vec::new();
    for (entry, word) in pairs {
        match words.iter().position(|x| *x == word) {
            Some(p) => {
                if !owners[p].contains(&entry) {
                    owners[p].push(entry);
                }
            }
            None => {
                words.push(word);
                owners.push(vec![entry]);
            }
        }
    }
    if words.is_empty() {
        return Ok(None);
    }
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&words)
        .map_err(|e| ClassifyError::Build(e.to_string()))?;
    let longest = words.iter().map(String::len).max().unwrap_or(0);
    Ok(Some((ac, owners, longest)))
}

/// Whether the formatted window `groups[first..=last]` is only part of a longer number of
/// the same format: a group of the same size joined by the same separator comes right
/// before or after it (the first 12 digits of `4539 5787 6362 1480` are not an Aadhaar
/// number). A single group, or a neighbour of another size or separator (`1486 12/27`),
/// does not continue it.
fn continued(hay: &[u8], groups: &[Range<usize>], first: usize, last: usize) -> bool {
    if first == last {
        return false;
    }
    let separator = &hay[groups[first].end..groups[first + 1].start];
    let joins = |a: usize, b: usize| hay[groups[a].end..groups[b].start] == *separator;
    let before =
        first > 0 && joins(first - 1, first) && groups[first - 1].len() == groups[first].len();
    let after = last + 1 < groups.len()
        && joins(last, last + 1)
        && groups[last + 1].len() == groups[last].len();
    before || after
}

fn custom_entry(c: &CustomDetector, default_distance: usize) -> Entry {
    Entry {
        id: c.id.clone(),
        category: c.category,
        keywords: c.keywords.clone(),
        distance: c.max_distance.unwrap_or(default_distance),
        kind: Kind::Custom,
        not_after: Vec::new(),
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

/// How a stream ended.
pub(crate) enum StreamEnd {
    /// Its first bytes were binary: nothing was classified.
    Binary,
    /// Read to the end: this many bytes.
    Read(u64),
}

/// The spellings a keyword is matched in, lower case: as written, and (with `respell`),
/// when it has several words, with the words joined by a space, `-`, `_` or nothing, as
/// people write them in text and in column names (`steuer-id`, `steuer id`, `steuer_id`,
/// `steuerid`).
fn keyword_spellings(keyword: &str, respell: bool) -> Vec<String> {
    let keyword = keyword.to_ascii_lowercase();
    if !respell {
        return vec![keyword];
    }
    let words: Vec<&str> = keyword
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = vec![keyword.clone()];
    if words.len() > 1 {
        for joiner in [" ", "-", "_", ""] {
            let spelling = words.join(joiner);
            if !out.contains(&spelling) {
                out.push(spelling);
            }
        }
    }
    out
}

/// Words of [`name_words`] with a plural `s` dropped (`cards number` is `card number`),
/// for words of four letters or more that do not end in `ss`.
fn singular_words(words: &str) -> String {
    let mut out = String::with_capacity(words.len());
    for (i, w) in words.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let plural = w.len() >= 4 && w.ends_with('s') && !w.ends_with("ss");
        out.push_str(if plural { &w[..w.len() - 1] } else { w });
    }
    out
}

/// A column name or key as lower-case words: `customerSSN` and `card_number` become
/// `customer ssn` and `card number`.
fn name_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if let Some(p) = prev {
                let camel = p.is_lowercase() && c.is_uppercase();
                if camel || !p.is_alphanumeric() {
                    out.push(' ');
                }
            }
            out.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    out
}

/// Line numbers for offsets that only move forward.
#[derive(Debug)]
struct LineCounter {
    line: u64,
    line_start: u64,
    counted_to: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        LineCounter {
            line: 1,
            line_start: 0,
            counted_to: 0,
        }
    }
}

impl LineCounter {
    /// Counts newlines up to `to` (an object offset inside the buffer).
    fn advance(&mut self, hay: &[u8], base: u64, to: u64) {
        if to <= self.counted_to {
            return;
        }
        let from = (self.counted_to.saturating_sub(base)) as usize;
        let end = (to - base) as usize;
        for i in memchr::memchr_iter(b'\n', &hay[from..end]) {
            self.line += 1;
            self.line_start = base + (from + i) as u64 + 1;
        }
        self.counted_to = to;
    }

    /// Line and column (both from 1) of an offset.
    fn position(&mut self, hay: &[u8], base: u64, offset: u64) -> (u64, u64) {
        self.advance(hay, base, offset);
        (self.line, offset.saturating_sub(self.line_start) + 1)
    }
}

/// Shortest run of NUL bytes read as padding rather than as binary data: the hole a log
/// rotated with logrotate's `copytruncate` starts with (the writer keeps its offset), a
/// preallocated file's tail.
const NUL_PADDING_RUN: usize = 16;

/// Whether the first bytes are binary rather than text: more than 1 in 20 of them are
/// control characters (NUL included; tab, line breaks, form feed and escape are text),
/// not counting runs of [`NUL_PADDING_RUN`] or more NUL bytes, which are padding (a text
/// log behind a `copytruncate` hole is text). Machine code, images, compressed or
/// encrypted data are far above the threshold (random bytes: about 1 in 10); a stray NUL
/// in a log is far below it. A head of padding alone is not binary.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    let mut control = 0;
    let mut counted = 0;
    let mut i = 0;
    while i < head.len() {
        if head[i] == 0 {
            let run = head[i..].iter().take_while(|&&b| b == 0).count();
            if run < NUL_PADDING_RUN {
                control += run;
                counted += run;
            }
            i += run;
            continue;
        }
        if head[i] < 0x20 && !matches!(head[i], b'\t' | b'\n' | b'\r' | 0x0c | 0x1b) {
            control += 1;
        }
        counted += 1;
        i += 1;
    }
    control * 20 > counted
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
                            c.keyword_near(text.as_bytes(), entry, &span, None),
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
