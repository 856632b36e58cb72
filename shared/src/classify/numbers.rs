//! Number runs: the candidates of every number detector and of phone numbers, found by a
//! hand-written scan beside the multi-pattern regex.
//!
//! A number run is digit groups joined by single separators, optionally opened by `+` or a
//! parenthesised area code: `4539 5787 6362 1486`, `536-22-8726`, `+44 20 7946 0958`,
//! `(212) 555-0100`. As a regex it is [`NUMBER`]; in logs and CSV nearly every line holds
//! several (timestamps, counters, amounts), and a regex match costs a restart of the
//! search plus a reverse scan for its start, which made these runs most of the pass's
//! time. The scan below finds the same runs (a test checks it against [`NUMBER`] on
//! random input) with a byte loop, so the regex only stops on rarer patterns.

use std::ops::Range;

/// The number run as a regex, for reference and tests: digit groups with single
/// separators, optionally a `+` or parenthesised area code in front.
#[cfg(test)]
pub(crate) const NUMBER: &str = r"(?:\+ ?|\()?[0-9]+(?:(?:[ \-./]|\) ?|[ \-]?\()[0-9]+)*\)?";

fn digit_at(hay: &[u8], i: usize) -> bool {
    hay.get(i).is_some_and(u8::is_ascii_digit)
}

fn skip_digits(hay: &[u8], mut i: usize) -> usize {
    while digit_at(hay, i) {
        i += 1;
    }
    i
}

/// The leftmost number run starting at or after `from`, as [`NUMBER`] would match it
/// (leftmost start, greedy), or `None` when `hay[from..]` has no digit.
#[cfg(test)]
pub(crate) fn next_run(hay: &[u8], from: usize) -> Option<Range<usize>> {
    next_run_digits(hay, from).map(|(run, _)| run)
}

/// [`next_run`] and the number of digits in the run (its separators and brackets not
/// counted), which tells at once whether any number detector can use it.
#[cfg(test)]
pub(crate) fn next_run_digits(hay: &[u8], from: usize) -> Option<(Range<usize>, usize)> {
    next_run_first(hay, from).map(|(run, _, digits)| (run, digits))
}

/// The first number run at or after `from` that is a candidate: one with at least `min`
/// digits or reaching the end of `hay` (when `min` is given), one that may be the first
/// part of a value wrapped onto the next line (when `wrap` is set, see [`may_wrap`]), or
/// whose first digit `lead` accepts. The runs passed over are most runs in logs and CSV
/// (times, counts, amounts), so they are skipped here in one loop rather than one call
/// each.
pub(crate) fn next_run_where(
    hay: &[u8],
    mut from: usize,
    min: Option<usize>,
    wrap: bool,
    lead: impl Fn(usize) -> bool,
) -> Option<Run> {
    loop {
        let (run, first, digits) = next_run_first(hay, from)?;
        if min.is_some_and(|m| {
            digits >= m || run.end == hay.len() || wrap && may_wrap(hay, &run, digits)
        }) || lead(first)
        {
            return Some((run, first, digits));
        }
        from = run.end;
    }
}

/// Whether a run of `digits` digits may be the first part of a grouped value wrapped onto
/// the next line (`4539 5787` at a line end, `6362 1486` opening the next): it ends at a
/// line break (maybe after trailing blanks) and is grouped (holds a separator) or is one
/// group of four. Two byte
/// tests, so the runs skipped for being short cost no more; the engine then looks at the
/// next line ([`crate::classify::engine`]'s wrapped numbers).
pub(crate) fn may_wrap(hay: &[u8], run: &Range<usize>, digits: usize) -> bool {
    // The shape first: most skipped runs are one short group (a count, a time's part).
    if digits != 4 && digits == run.len() {
        return false;
    }
    match hay.get(run.end) {
        Some(b'\n' | b'\r') => true,
        // A trailing separator or blank (`4539-5787-`, `4539 5787 `).
        Some(b' ' | b'-' | b'\t') => {
            crate::classify::lines::line_break_after(hay, run.end).is_some()
        }
        _ => false,
    }
}

/// The offset of the first ASCII digit at or after `from`. Eight bytes are tested at a
/// time: prose between numbers is most of the bytes this looks at.
#[inline(always)]
fn first_digit(hay: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = hay.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Each byte's low seven bits plus a bias sets its high bit when the byte is at
        // least `0` (resp. past `9`); no sum carries into the next byte.
        let low = word & !HIGH;
        let from_zero = low + ONES * (0x80 - u64::from(b'0'));
        let past_nine = low + ONES * (0x80 - u64::from(b'9') - 1);
        let digits = from_zero & !past_nine & !word & HIGH;
        if digits != 0 {
            return Some(at + (digits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|i| at + i)
}

/// A number run with the offset of its first digit and its digit count, as
/// [`next_run_first`] gives it.
pub(crate) type Run = (Range<usize>, usize, usize);

/// [`next_run_first`]`(hay, from)` for a `from` inside `run` (one [`next_run_first`]
/// gave), without scanning to the run's end again: from any digit of a run the greedy
/// scan goes on to the same end, so the run from `from` is the same run's tail. Its
/// digits are the run's less those passed, counted over the bytes passed only. This
/// keeps the pass linear when candidates of other patterns (40 base64 characters, dotted
/// quads) follow one another inside one long run: rescanning the run after each made
/// 400,000 digits take seconds. `None` when `from` is not inside the run; the caller
/// then scans afresh.
pub(crate) fn tail_of_run(hay: &[u8], run: &Run, from: usize) -> Option<Run> {
    let (range, first, digits) = run;
    if from <= range.start || from >= range.end {
        return None;
    }
    // Inside a run, a digit is at most three bytes away (`) (`, ` - (`); past the last
    // one (a closing `)`) the next run lies beyond this one.
    let next = first_digit(&hay[..range.end], from)?;
    let passed = hay[*first..next]
        .iter()
        .filter(|b| b.is_ascii_digit())
        .count();
    Some((run_start(hay, from, next)..range.end, next, digits - passed))
}

/// Where a run whose first digit is `first` starts when searched from `from`: at its
/// opening `(`, `+` or `+ ` when that lies inside the searched range, else at the digit.
#[inline(always)]
fn run_start(hay: &[u8], from: usize, first: usize) -> usize {
    if first > from && matches!(hay[first - 1], b'(' | b'+') {
        first - 1
    } else if first >= from + 2 && hay[first - 1] == b' ' && hay[first - 2] == b'+' {
        first - 2
    } else {
        first
    }
}

/// [`next_run_digits`] with the offset of the run's first digit (after its opening).
/// Inlined into the loops that skip runs: most runs are skipped, and a call each cost
/// more than finding them.
#[inline(always)]
pub(crate) fn next_run_first(hay: &[u8], from: usize) -> Option<(Range<usize>, usize, usize)> {
    let first = first_digit(hay, from)?;
    let start = run_start(hay, from, first);
    let mut i = skip_digits(hay, first);
    let mut digits = i - first;
    loop {
        // The separators `[ \-./]`, `\) ?` and `[ \-]?\(`, each followed by digits.
        let next = match hay.get(i) {
            Some(b' ' | b'-') if hay.get(i + 1) == Some(&b'(') && digit_at(hay, i + 2) => i + 2,
            Some(b' ' | b'-' | b'.' | b'/') if digit_at(hay, i + 1) => i + 1,
            Some(b')') if digit_at(hay, i + 1) => i + 1,
            Some(b')') if hay.get(i + 1) == Some(&b' ') && digit_at(hay, i + 2) => i + 2,
            Some(b'(') if digit_at(hay, i + 1) => i + 1,
            _ => break,
        };
        i = skip_digits(hay, next);
        digits += i - next;
    }
    if hay.get(i) == Some(&b')') {
        i += 1;
    }
    Some((start..i, first, digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;
    use regex_automata::util::syntax;
    use regex_automata::Input;

    fn regex_runs(re: &Regex, hay: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(m) = re.search(&Input::new(hay).range(pos..)) {
            out.push(m.range());
            pos = m.end();
        }
        out
    }

    fn scanned_runs(hay: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(r) = next_run(hay, pos) {
            pos = r.end;
            out.push(r);
        }
        out
    }

    #[test]
    fn examples() {
        let cases: &[(&str, &[&str])] = &[
            ("card 4539 5787 6362 1486.", &["4539 5787 6362 1486"]),
            ("tel +44 20 7946 0958", &["+44 20 7946 0958"]),
            ("call (212) 555-0100 now", &["(212) 555-0100"]),
            ("x+ 1 y", &["+ 1"]),
            (
                "2024-05-01T10:22:33.123Z",
                &["2024-05-01", "10", "22", "33.123"],
            ),
            ("a-(5)", &["(5)"]),
            ("1 (2) 3", &["1 (2) 3"]),
            ("1--2", &["1", "2"]),
            ("no digits", &[]),
        ];
        for (hay, want) in cases {
            let got: Vec<&str> = scanned_runs(hay.as_bytes())
                .into_iter()
                .map(|r| &hay[r])
                .collect();
            assert_eq!(&got, want, "{hay}");
        }
    }

    #[test]
    fn first_digit_reads_eight_bytes_at_a_time_and_ignores_non_ascii() {
        let mut hay = vec![b'x'; 40];
        hay.extend_from_slice(&[0xB0, 0xB9, 0xFF, 0x2F, 0x3A, b'7']);
        for from in 0..hay.len() {
            let want = hay[from..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|i| from + i);
            assert_eq!(first_digit(&hay, from), want, "from {from}");
        }
        assert_eq!(first_digit(&hay, hay.len() + 1), None);
    }

    #[test]
    fn runs_are_skipped_until_one_has_enough_digits_or_a_lead() {
        let hay = b"at 10:24 id 12 card 4111 1111 1111 1111 ab7";
        let long = next_run_where(hay, 0, Some(13), false, |_| false).map(|(r, _, d)| (&hay[r], d));
        assert_eq!(long, Some((&b"4111 1111 1111 1111"[..], 16)));
        let led = next_run_where(hay, 0, None, false, |first| {
            first >= 2 && hay[first - 2] == b'i'
        });
        assert_eq!(led.map(|(r, ..)| &hay[r]), None);
        let led = next_run_where(hay, 0, None, false, |first| {
            hay[first - 1] == b' ' && first >= 12
        });
        assert_eq!(led.map(|(r, ..)| &hay[r]), Some(&b"12"[..]));
        // A run at the end of the bytes is a candidate whatever its length.
        let end = next_run_where(b"v 1.2", 0, Some(13), false, |_| false);
        assert_eq!(end.map(|(r, ..)| r), Some(2..5));
        // With `wrap`, a grouped run or a group of four at a line end is one too; a count
        // at a line end, or a grouped run inside the line, is not.
        let hay = b"n 12\nat 10:24 card 4539 5787\r\n6362 1486 x";
        let wrapped = next_run_where(hay, 0, Some(13), true, |_| false).map(|(r, ..)| &hay[r]);
        assert_eq!(wrapped, Some(&b"4539 5787"[..]));
        let off = next_run_where(hay, 0, Some(13), false, |_| false).map(|(r, ..)| &hay[r]);
        assert_eq!(off, None);
        let hay = b"sent 2024\n";
        let wrapped = next_run_where(hay, 0, Some(13), true, |_| false).map(|(r, ..)| &hay[r]);
        assert_eq!(wrapped, Some(&b"2024"[..]));
    }

    /// The scan finds exactly the runs the regex finds, on random text dense in digits
    /// and separators.
    #[test]
    fn matches_the_regex_on_random_input() {
        let re = Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build(NUMBER)
            .unwrap();
        let alphabet = b"0123456789 -./()+xA\n";
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut hay = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                hay.push(alphabet[(state >> 32) as usize % alphabet.len()]);
            }
            assert_eq!(
                scanned_runs(&hay),
                regex_runs(&re, &hay),
                "{:?}",
                String::from_utf8_lossy(&hay)
            );
            for (run, digits) in std::iter::successors(next_run_digits(&hay, 0), |(r, _)| {
                next_run_digits(&hay, r.end)
            }) {
                let want = hay[run.clone()]
                    .iter()
                    .filter(|b| b.is_ascii_digit())
                    .count();
                assert_eq!(digits, want, "{:?}", String::from_utf8_lossy(&hay[run]));
            }
            // Inside a run, its tail is what a fresh scan from there finds (trial 7, D8).
            for run in
                std::iter::successors(next_run_first(&hay, 0), |r| next_run_first(&hay, r.0.end))
            {
                for from in run.0.start + 1..run.0.end {
                    let text = String::from_utf8_lossy(&hay);
                    match tail_of_run(&hay, &run, from) {
                        Some(tail) => {
                            assert_eq!(Some(tail), next_run_first(&hay, from), "{text:?} {from}")
                        }
                        None => assert!(
                            !hay[from..run.0.end].iter().any(u8::is_ascii_digit),
                            "{text:?} {from}"
                        ),
                    }
                }
            }
            // From every offset, as the engine resumes after a claimed value.
            for from in 0..hay.len() {
                let want = re
                    .search(&Input::new(&hay[..]).range(from..))
                    .map(|m| m.range());
                assert_eq!(
                    next_run(&hay, from),
                    want,
                    "{:?} from {from}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }
}
