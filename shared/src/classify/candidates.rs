//! Where the pass finds its pattern candidates, in the order one leftmost-first regex of
//! every pattern would give them, without running that regex's lazy DFA over the text.
//!
//! One regex of every pattern cannot use a literal prefilter as soon as one pattern has
//! no literal to start with (an IBAN starts with any two letters, an email address with
//! any of 66 characters), so its DFA then walks every byte, which was most of the pass.
//! Here the patterns are split into searchers, each of which the regex engine can run at
//! its best:
//! - the patterns that begin with a literal (`AKIA`, `ghp_`, `-----BEGIN`...) share one
//!   regex, which finds them with a SIMD prefilter;
//! - a pattern with a rare inner byte (the `@` of an email address) has a regex of its
//!   own, which looks for that byte and scans back from it;
//! - a pattern that starts with a fixed number of letters before its first digit (IBAN,
//!   UK NINO, Spanish NIE, Singapore NRIC, Indian PAN) is tried, anchored, just before each
//!   number run the number scan finds anyway ([`super::numbers`]);
//! - the rest (if any is selected) share one regex, which runs its DFA as before.
//!
//! [`Cursor`] merges their next candidates by position, at one position the pattern given
//! first winning: exactly the leftmost-first matches of the single regex (a test compares
//! both on random text).

use std::ops::Range;

use regex_automata::util::syntax::Config as SyntaxConfig;
use regex_automata::{meta, Anchored, Input, PatternID};
use regex_syntax::hir::literal::Extractor;
use regex_syntax::hir::{Hir, HirKind};

use super::detector::is_word;
use super::numbers;

/// Detectors whose every match starts this many bytes (one of the list) before the first
/// digit of a number run: letters, maybe a separator, then digits. A letter ends a number
/// run, so those digits always begin one, and trying the pattern anchored there finds the
/// same matches as searching for it. Every match also starts with an ASCII letter at a
/// word boundary, which is checked before the pattern is tried.
pub(crate) const BEFORE_DIGITS: &[(&str, &[usize])] = &[
    ("iban", &[2]),
    ("uk_nino", &[2, 3]),
    ("es_nie", &[1, 2]),
    ("sg_nric", &[1]),
    ("in_pan", &[5]),
];

/// Bytes that make an inner literal worth a regex of its own: rare in ordinary text.
/// (`%` for the `%40` of a URL-encoded email address.)
const RARE_INNER: &[u8] = b"@%";

/// Shortest literal prefix that puts a pattern in the shared literal searcher: shorter
/// ones (one digit, one letter) would stop its prefilter everywhere.
const MIN_PREFIX: usize = 3;

/// One regex over some of the patterns, and the pass's id of each.
struct Searcher {
    regex: meta::Regex,
    ids: Vec<PatternID>,
}

/// The searchers of one classifier.
pub(crate) struct Searchers {
    searchers: Vec<Searcher>,
    /// Patterns found from number runs, with the offsets before the first digit.
    before_digits: Vec<(PatternID, &'static [usize])>,
}

/// How a pattern is searched for.
#[derive(Debug, PartialEq, Eq)]
enum Way {
    Literal,
    Inner,
    BeforeDigits(&'static [usize]),
    Rest,
}

fn way(pattern: &str, before_digits: Option<&'static [usize]>, syntax: &SyntaxConfig) -> Way {
    if let Some(offsets) = before_digits {
        return Way::BeforeDigits(offsets);
    }
    let Ok(hir) = regex_automata::util::syntax::parse_with(pattern, syntax) else {
        return Way::Rest;
    };
    let prefixes = Extractor::new().extract(&hir);
    if prefixes.is_finite() && prefixes.min_literal_len().is_some_and(|n| n >= MIN_PREFIX) {
        return Way::Literal;
    }
    if rare_inner_literal(&hir) {
        return Way::Inner;
    }
    Way::Rest
}

/// Whether the pattern is a sequence with a rare literal byte in it (every match holds it).
fn rare_inner_literal(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Concat(parts) => parts.iter().any(|p| match p.kind() {
            HirKind::Literal(lit) => lit.0.iter().any(|b| RARE_INNER.contains(b)),
            HirKind::Capture(c) => rare_inner_literal(&c.sub),
            _ => false,
        }),
        HirKind::Capture(c) => rare_inner_literal(&c.sub),
        _ => false,
    }
}

impl Searchers {
    /// Splits `patterns` (in the pass's order) into searchers. `before_digits[i]` gives the
    /// offsets of pattern `i` when it is found from number runs. Errors are the regex
    /// compiler's message.
    pub(crate) fn new(
        patterns: &[&str],
        before_digits: &[Option<&'static [usize]>],
        syntax: &SyntaxConfig,
        build: impl Fn(&[&str]) -> Result<meta::Regex, String>,
    ) -> Result<Searchers, String> {
        let mut literal: Vec<usize> = Vec::new();
        let mut rest: Vec<usize> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut anchored = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match way(p, before_digits.get(i).copied().flatten(), syntax) {
                Way::Literal => literal.push(i),
                Way::Inner => groups.push(vec![i]),
                Way::BeforeDigits(offsets) => anchored.push((PatternID::must(i), offsets)),
                Way::Rest => rest.push(i),
            }
        }
        groups.push(literal);
        groups.push(rest);
        let mut searchers = Vec::new();
        for group in groups.into_iter().filter(|g| !g.is_empty()) {
            let list: Vec<&str> = group.iter().map(|&i| patterns[i]).collect();
            searchers.push(Searcher {
                regex: build(&list)?,
                ids: group.into_iter().map(PatternID::must).collect(),
            });
        }
        Ok(Searchers {
            searchers,
            before_digits: anchored,
        })
    }

    /// Whether some pattern is found from number runs, so the runs must be looked for.
    pub(crate) fn needs_numbers(&self) -> bool {
        !self.before_digits.is_empty()
    }

    /// Whether a pattern found from number runs passes the checks that come before trying
    /// it on the run whose first digit is at `first` ([`Cursor::try_before_digits`]): a
    /// letter at one of its offsets before the digit, at or after `pos`, at a word start.
    fn may_lead(&self, hay: &[u8], first: usize, pos: usize) -> bool {
        self.before_digits.iter().any(|(_, offsets)| {
            offsets.iter().any(|&n| {
                first
                    .checked_sub(n)
                    .is_some_and(|at| at >= pos && word_start_letter(hay, at))
            })
        })
    }

    /// A cursor over `hay` for these searchers.
    pub(crate) fn cursor(&self) -> Cursor {
        Cursor {
            next: vec![None; self.searchers.len()],
            done: vec![false; self.searchers.len()],
            number: None,
            numbers_done: false,
            anchored: None,
            anchored_for: None,
            wrap: false,
        }
    }
}

/// A searcher's next match at or after a position, empty matches (which only a user's
/// pattern can give) passed over.
fn next_match(s: &Searcher, hay: &[u8], mut from: usize) -> Option<(Range<usize>, PatternID)> {
    while from <= hay.len() {
        let m = s.regex.search(&Input::new(hay).range(from..))?;
        if !m.is_empty() {
            return Some((m.range(), s.ids[m.pattern().as_usize()]));
        }
        from = m.end() + 1;
    }
    None
}

/// What comes next in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// A match of pattern `id`.
    Pattern(Range<usize>, PatternID),
    /// A number run.
    Number(Range<usize>),
}

/// The state of the merged candidate streams over one haystack.
pub(crate) struct Cursor {
    next: Vec<Option<(Range<usize>, PatternID)>>,
    done: Vec<bool>,
    /// The current number run, its first digit and its digit count.
    number: Option<numbers::Run>,
    numbers_done: bool,
    /// The leftmost pattern found from `anchored_for`, the number run it was tried at.
    anchored: Option<(Range<usize>, PatternID)>,
    anchored_for: Option<Range<usize>>,
    /// Whether a short run that may be the first part of a value wrapped onto the next line
    /// ([`numbers::may_wrap`]) is a candidate too.
    wrap: bool,
}

impl Cursor {
    /// This cursor, giving the runs that may be the first part of a wrapped value as
    /// candidates when `on` (text, and structured values that hold a line break).
    pub(crate) fn wrapping(mut self, on: bool) -> Cursor {
        self.wrap = on;
        self
    }

    /// The first candidate starting at or after `pos`: the leftmost of every stream, at
    /// one position patterns in their order and then the number run. `numbers` is the
    /// fewest digits a number run needs to be a candidate itself (the fewest any selected
    /// number detector takes), `None` when no number detector is selected; shorter runs
    /// (times, counts, amounts: most runs in logs and CSV) are passed over here, as the
    /// engine would drop them, unless a run reaches the end of `hay` (the next buffer may
    /// continue it). `regex` holds every pattern, for anchored tries.
    pub(crate) fn next(
        &mut self,
        s: &Searchers,
        regex: &meta::Regex,
        hay: &[u8],
        pos: usize,
        numbers: Option<usize>,
    ) -> Option<Next> {
        let mut best: Option<(Range<usize>, PatternID)> = None;
        let mut consider = |c: &Option<(Range<usize>, PatternID)>| {
            if let Some((r, id)) = c {
                let better = best
                    .as_ref()
                    .is_none_or(|(b, bid)| (r.start, *id) < (b.start, *bid));
                if better {
                    best = Some((r.clone(), *id));
                }
            }
        };
        for (k, searcher) in s.searchers.iter().enumerate() {
            if !self.done[k] && self.next[k].as_ref().is_none_or(|(r, _)| r.start < pos) {
                self.next[k] = next_match(searcher, hay, pos);
                self.done[k] = self.next[k].is_none();
            }
            consider(&self.next[k]);
        }
        let anchored = s.needs_numbers();
        if (numbers.is_some() || anchored)
            && !self.numbers_done
            && self.number.as_ref().is_none_or(|(r, ..)| r.start < pos)
        {
            // Inside the current run, its tail: scanning the run again from each
            // candidate inside it would make long runs quadratic.
            self.number = self
                .number
                .as_ref()
                .and_then(|run| numbers::tail_of_run(hay, run, pos))
                .or_else(|| numbers::next_run_first(hay, pos));
            self.numbers_done = self.number.is_none();
        }
        if numbers.is_some() || anchored {
            loop {
                if anchored {
                    self.try_before_digits(s, regex, hay, pos);
                    if self.anchored.is_some() {
                        break;
                    }
                }
                let Some((run, _, digits)) = &self.number else {
                    break;
                };
                let wrap = self.wrap;
                if numbers.is_some_and(|min| {
                    *digits >= min
                        || run.end == hay.len()
                        || wrap && numbers::may_wrap(hay, run, *digits)
                }) {
                    break;
                }
                // Not a candidate itself: go on to the next run that is one, or that a
                // pattern found from number runs may start before.
                let lead = |first: usize| anchored && s.may_lead(hay, first, pos);
                self.number = numbers::next_run_where(hay, run.end, numbers, wrap, lead);
                self.numbers_done = self.number.is_none();
            }
            consider(&self.anchored);
        }
        let number = self
            .number
            .as_ref()
            .filter(|_| numbers.is_some())
            .map(|(r, ..)| r.clone());
        match (best, number) {
            (Some((p, id)), Some(n)) if p.start <= n.start => Some(Next::Pattern(p, id)),
            (_, Some(n)) => Some(Next::Number(n)),
            (Some((p, id)), None) => Some(Next::Pattern(p, id)),
            (None, None) => None,
        }
    }

    /// The leftmost pattern candidate that starts inside `run` after its first byte, at
    /// the start of a digit group or word (not inside a group of digits): a value that the
    /// run would otherwise swallow (the address in `count 3 192.168.1.10`).
    pub(crate) fn pattern_inside(
        &self,
        hay: &[u8],
        run: &Range<usize>,
    ) -> Option<(Range<usize>, PatternID)> {
        self.next
            .iter()
            .flatten()
            .filter(|(r, _)| r.start > run.start && r.start < run.end)
            .filter(|(r, _)| !hay[r.start - 1].is_ascii_digit())
            .min_by_key(|(r, id)| (r.start, *id))
            .cloned()
    }

    /// Tries the patterns found from number runs just before the current run, keeping the
    /// leftmost match that starts at or after `pos`.
    fn try_before_digits(&mut self, s: &Searchers, regex: &meta::Regex, hay: &[u8], pos: usize) {
        let Some((run, ..)) = self.number.clone() else {
            self.anchored = None;
            return;
        };
        let fresh = self.anchored_for.as_ref() != Some(&run);
        let stale = self.anchored.as_ref().is_some_and(|(r, _)| r.start < pos);
        if !fresh && !stale {
            return;
        }
        self.anchored_for = Some(run.clone());
        self.anchored = None;
        // The run may open with `(` or `+`; the letters come before its first digit.
        let Some(first) = hay[run.clone()].iter().position(u8::is_ascii_digit) else {
            return;
        };
        let digit = run.start + first;
        for &(id, offsets) in &s.before_digits {
            for &n in offsets {
                let Some(at) = digit.checked_sub(n).filter(|&at| at >= pos) else {
                    continue;
                };
                if self.anchored.as_ref().is_some_and(|(r, _)| r.start < at)
                    || !word_start_letter(hay, at)
                {
                    continue;
                }
                let input = Input::new(hay).range(at..).anchored(Anchored::Pattern(id));
                if let Some(m) = regex.search(&input) {
                    let better = self
                        .anchored
                        .as_ref()
                        .is_none_or(|(r, bid)| (m.start(), id) < (r.start, *bid));
                    if !m.is_empty() && better {
                        self.anchored = Some((m.range(), id));
                    }
                }
            }
        }
    }
}

/// Whether `hay[at]` is an ASCII letter that starts a word.
fn word_start_letter(hay: &[u8], at: usize) -> bool {
    hay[at].is_ascii_alphabetic() && !at.checked_sub(1).is_some_and(|b| is_word(Some(hay[b])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::detector::Rule;
    use crate::classify::engine::{build_regex, syntax_config};

    /// Every built-in pattern, in the pass's order, and its number-run offsets.
    fn builtin_patterns() -> (Vec<&'static str>, Vec<Option<&'static [usize]>>) {
        let mut patterns: Vec<&str> = Vec::new();
        let mut offsets = Vec::new();
        for d in crate::classify::builtin() {
            if let Rule::Pattern { regex, .. } = d.rule {
                if !patterns.contains(&regex) {
                    patterns.push(regex);
                    offsets.push(
                        BEFORE_DIGITS
                            .iter()
                            .find(|(id, _)| *id == d.id)
                            .map(|x| x.1),
                    );
                }
            }
        }
        (patterns, offsets)
    }

    /// The candidates as one leftmost-first regex of every pattern plus the number scan
    /// gave them (the engine before the split).
    fn reference(regex: &meta::Regex, hay: &[u8], numbers: Option<usize>) -> Vec<Next> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < hay.len() {
            let mut pattern = None;
            let mut from = pos;
            while from <= hay.len() {
                match regex.search(&Input::new(hay).range(from..)) {
                    Some(m) if m.is_empty() => from = m.end() + 1,
                    Some(m) => {
                        pattern = Some((m.range(), m.pattern()));
                        break;
                    }
                    None => break,
                }
            }
            // Runs with fewer digits than `numbers` are not candidates, unless they reach
            // the end of the text.
            let number = numbers.and_then(|min| {
                let mut from = pos;
                loop {
                    let (run, digits) = numbers::next_run_digits(hay, from)?;
                    if digits >= min || run.end == hay.len() {
                        return Some(run);
                    }
                    from = run.end;
                }
            });
            let next = match (pattern, number) {
                (Some((p, id)), Some(n)) if p.start <= n.start => Next::Pattern(p, id),
                (_, Some(n)) => Next::Number(n),
                (Some((p, id)), None) => Next::Pattern(p, id),
                (None, None) => break,
            };
            pos = advance(&next);
            out.push(next);
        }
        out
    }

    /// Where the scan goes on after a candidate: usually its end, sometimes just after its
    /// start (as when a credential inside a generic assignment is taken instead).
    fn advance(next: &Next) -> usize {
        match next {
            Next::Pattern(r, _) | Next::Number(r) if r.start % 3 == 0 => r.start + 1,
            Next::Pattern(r, _) | Next::Number(r) => r.end.max(r.start + 1),
        }
    }

    fn split(s: &Searchers, regex: &meta::Regex, hay: &[u8], numbers: Option<usize>) -> Vec<Next> {
        let mut out = Vec::new();
        let mut cursor = s.cursor();
        let mut pos = 0;
        while pos < hay.len() {
            let Some(next) = cursor.next(s, regex, hay, pos, numbers) else {
                break;
            };
            pos = advance(&next);
            out.push(next);
        }
        out
    }

    #[test]
    fn built_in_patterns_are_split_as_intended() {
        let (patterns, offsets) = builtin_patterns();
        let config = syntax_config();
        let ways: Vec<(&str, Way)> = patterns
            .iter()
            .zip(&offsets)
            .map(|(p, o)| (*p, way(p, *o, &config)))
            .collect();
        let find = |needle: &str| &ways.iter().find(|(p, _)| p.contains(needle)).unwrap().1;
        assert_eq!(find("AKIA"), &Way::Literal);
        assert_eq!(find("gh[pousr]_"), &Way::Literal);
        assert_eq!(find("-----BEGIN"), &Way::Literal);
        assert_eq!(find("@[A-Za-z0-9\\-\\x80-\\xFF]{1,63}"), &Way::Inner);
        assert_eq!(find("(?i:account|storage)"), &Way::Literal);
        assert_eq!(find("[?&]sv="), &Way::Literal);
        assert_eq!(find("(?:eyJ|eyA|ewo|ew0K)"), &Way::Literal);
        assert_eq!(find("hooks"), &Way::Literal);
        assert_eq!(find("[A-Za-z]{2}[0-9]{2}"), &Way::BeforeDigits(&[2]));
        assert_eq!(find("[0-9]{1,3}\\.[0-9]{1,3}"), &Way::Rest);
    }

    /// Text made of the pieces the patterns are built of, so matches, near matches and
    /// overlaps between patterns are frequent.
    fn random_text(seed: u64, len: usize) -> Vec<u8> {
        const PIECES: &[&str] = &[
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "AB 12 34 56 C",
            "AB123456C",
            "X-1234567-L",
            "Y1234567Z",
            "S1234567D",
            "ABCPE1234F",
            "AKIAABCDEFGHIJKLMNOP",
            "ghp_",
            "a.b@example.com",
            "@",
            "x@y",
            "10.0.0.1",
            "2024-05-01",
            "4539 5787 6362 1486",
            "536-22-8726",
            "+44 20 7946 0958",
            "(212) 555-0100",
            "SK",
            "eyJ",
            ".",
            "-",
            " ",
            "\n",
            "=",
            ":",
            "//",
            "AB",
            "DE",
            "12",
            "7",
            "Z",
            "q",
            "password=",
            "://u:p@h",
            "-----BEGIN RSA PRIVATE KEY-----",
        ];
        let mut state = seed | 1;
        let mut out = Vec::with_capacity(len + 64);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let piece = PIECES[(state % PIECES.len() as u64) as usize];
            out.extend_from_slice(piece.as_bytes());
            if state & 0x300 == 0 {
                out.push(b'A' + (state >> 20) as u8 % 26);
            }
        }
        out
    }

    #[test]
    fn split_searchers_give_the_single_regex_candidates() {
        let (patterns, offsets) = builtin_patterns();
        let regex = build_regex(&patterns).unwrap();
        let searchers = Searchers::new(&patterns, &offsets, &syntax_config(), build_regex).unwrap();
        for seed in 0..600u64 {
            let hay = random_text(seed, 400);
            // Every run a candidate; runs of 9 or more digits (short ones passed over);
            // runs not candidates themselves.
            for numbers in [Some(0), Some(9), None] {
                assert_eq!(
                    split(&searchers, &regex, &hay, numbers),
                    reference(&regex, &hay, numbers),
                    "seed {seed}, numbers {numbers:?}: {}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    #[test]
    fn subsets_of_patterns_give_the_single_regex_candidates() {
        let (patterns, offsets) = builtin_patterns();
        for skip in 0..patterns.len() {
            let (p, o): (Vec<_>, Vec<_>) = patterns
                .iter()
                .zip(&offsets)
                .enumerate()
                .filter(|(i, _)| i % (skip + 2) != 0)
                .map(|(_, (p, o))| (*p, *o))
                .unzip();
            let regex = build_regex(&p).unwrap();
            let searchers = Searchers::new(&p, &o, &syntax_config(), build_regex).unwrap();
            for seed in 0..20u64 {
                let hay = random_text(seed * 31 + skip as u64, 300);
                for numbers in [Some(0), Some(6)] {
                    assert_eq!(
                        split(&searchers, &regex, &hay, numbers),
                        reference(&regex, &hay, numbers),
                        "skip {skip} seed {seed} numbers {numbers:?}"
                    );
                }
            }
        }
    }
}
