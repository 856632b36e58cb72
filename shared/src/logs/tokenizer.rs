//! Splits space-separated log lines whose fields may be double-quoted or bracketed.
//!
//! ELB and S3 server access logs share this shape: fields separated by single
//! spaces, values with spaces wrapped in `"..."` (with `\"` and `\\` escapes),
//! and in S3's case a `[dd/Mon/yyyy:HH:MM:SS +0000]` time. Fields are returned
//! as byte ranges into the line so parsing a line allocates nothing here.

use std::borrow::Cow;

/// One field of a line, as a range into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
    quoted: bool,
    escaped: bool,
}

impl Span {
    /// The field's text: inside the quotes for a quoted field, escapes left as written.
    pub(crate) fn raw<'a>(&self, line: &'a str) -> &'a str {
        &line[self.start..self.end]
    }

    /// The field's value with quotes removed and escapes resolved.
    pub(crate) fn value<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let raw = self.raw(line);
        if self.escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// True when the field was written inside double quotes.
    #[cfg(test)]
    pub(crate) fn is_quoted(&self) -> bool {
        self.quoted
    }
}

/// Splits `line` into `out` (cleared first); fails on a quote or bracket that never
/// closes, which is how truncated lines show.
///
/// AWS does not always escape a `"` inside a quoted field (S3 server access logs and ALB
/// logs copy user agents and referrers as sent), so a quote inside a quoted field is
/// read the way a careful reader would. A closing quote is one followed by a space or
/// the end of the line; when the line holds quotes inside fields (anywhere but at a
/// field's start or end), each quoted field closes at the first such quote after which
/// the rest of the line reads cleanly (no quote inside an unquoted field, no quoted
/// field left open), else at the one leaving the fewest such faults. Lines without
/// stray quotes, nearly all of them, take the direct path.
pub(crate) fn tokenize(line: &str, out: &mut Vec<Span>) -> Result<(), String> {
    out.clear();
    let b = line.as_bytes();
    let n = b.len();
    let quotes = unescaped_quotes(b);
    let mut reader = Reader {
        b,
        quotes: &quotes,
        careful: quotes.iter().any(|&q| is_interior(b, q)),
        budget: LOOKAHEAD_BUDGET,
    };
    let mut i = 0;
    while i < n {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        if b[i] == b'"' {
            let close = reader.closing_quote(start).ok_or_else(|| {
                format!(
                    "quoted field starting at column {} has no closing quote",
                    start + 1
                )
            })?;
            let inner = &b[start + 1..close];
            // Several quoted strings glued together, e.g. NLB's `"h2","http/1.1"`: kept as written.
            let glued = memchr::memmem::find(inner, b"\",\"").is_some();
            out.push(Span {
                start: if glued { start } else { start + 1 },
                end: if glued { close + 1 } else { close },
                quoted: !glued,
                escaped: !glued && memchr::memchr(b'\\', inner).is_some(),
            });
            i = close + 1;
            continue;
        }
        let mut j = i;
        if b[i] == b'[' {
            let close = memchr::memchr(b']', &b[i..]).ok_or_else(|| {
                format!(
                    "bracketed field starting at column {} has no closing `]`",
                    start + 1
                )
            })?;
            j = i + close + 1;
        }
        // An unquoted field ends at the next space; a quote inside it is just a character.
        let end = memchr::memchr(b' ', &b[j..]).map_or(n, |k| j + k);
        out.push(Span {
            start,
            end,
            quoted: false,
            escaped: false,
        });
        i = end;
    }
    Ok(())
}

/// Bytes the careful reading may scan ahead per line, so a hostile line full of quotes
/// costs linear time; past it, each quoted field closes at its first clean-looking quote.
const LOOKAHEAD_BUDGET: usize = 1 << 20;

/// Closing quotes considered per quoted field; a field holding more stray quotes than
/// this followed by spaces is not worth the time of a careful reading.
const MAX_CANDIDATES: usize = 16;

/// Positions of the quotes in `b` that a backslash does not escape.
fn unescaped_quotes(b: &[u8]) -> Vec<usize> {
    let mut quotes = Vec::new();
    let mut j = 0;
    while let Some(k) = memchr::memchr2(b'"', b'\\', &b[j..]) {
        let at = j + k;
        if b[at] == b'"' {
            quotes.push(at);
            j = at + 1;
        } else {
            // `\"` and `\\`: the next byte is taken literally.
            j = at + 2;
        }
        if j >= b.len() {
            break;
        }
    }
    quotes
}

/// True for a quote that neither starts a field nor ends one.
fn is_interior(b: &[u8], q: usize) -> bool {
    let starts = q == 0 || b[q - 1] == b' ';
    let ends = b.get(q + 1).is_none_or(|&c| c == b' ');
    !starts && !ends
}

/// Chooses closing quotes for one line.
struct Reader<'a> {
    b: &'a [u8],
    quotes: &'a [usize],
    /// The line holds quotes inside fields: closing quotes need a look ahead.
    careful: bool,
    /// Bytes left for looking ahead.
    budget: usize,
}

impl Reader<'_> {
    /// Quotes after `open` that are followed by a space or the end of the line, the first
    /// [`MAX_CANDIDATES`] of them.
    fn candidates(&self, open: usize) -> impl Iterator<Item = usize> + '_ {
        let from = self.quotes.partition_point(|&q| q <= open);
        self.quotes[from..]
            .iter()
            .copied()
            .filter(|&q| self.b.get(q + 1).is_none_or(|&c| c == b' '))
            .take(MAX_CANDIDATES)
    }

    /// The quote closing the quoted field opened at `open` (see [`tokenize`]).
    fn closing_quote(&mut self, open: usize) -> Option<usize> {
        if !self.careful || self.budget == 0 {
            return self.first_clean(open);
        }
        let mut best: Option<(usize, usize)> = None;
        let candidates: Vec<usize> = self.candidates(open).collect();
        for q in candidates {
            let faults = self.faults_after(q + 1);
            if faults == 0 {
                return Some(q);
            }
            if best.is_none_or(|(_, fewest)| faults < fewest) {
                best = Some((q, faults));
            }
            if self.budget == 0 {
                break;
            }
        }
        best.map(|(q, _)| q)
    }

    /// The first candidate whose next field looks clean, else the first candidate.
    fn first_clean(&self, open: usize) -> Option<usize> {
        let mut first = None;
        for q in self.candidates(open) {
            if self.next_field_is_clean(q + 1) {
                return Some(q);
            }
            first.get_or_insert(q);
        }
        first
    }

    /// Whether the field starting after the spaces at `at` is quoted or holds no quote.
    fn next_field_is_clean(&self, at: usize) -> bool {
        let b = self.b;
        let start = at
            + b[at.min(b.len())..]
                .iter()
                .take_while(|&&c| c == b' ')
                .count();
        if start >= b.len() || b[start] == b'"' {
            return true;
        }
        let end = memchr::memchr(b' ', &b[start..]).map_or(b.len(), |k| start + k);
        memchr::memchr(b'"', &b[start..end]).is_none()
    }

    /// Faults in the rest of the line from `from`, read with [`Self::first_clean`]: an
    /// unquoted field holding a quote, or a quoted field that never closes.
    fn faults_after(&mut self, from: usize) -> usize {
        let b = self.b;
        let mut faults = 0;
        let mut i = from;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
                continue;
            }
            let next = if b[i] == b'"' {
                match self.first_clean(i) {
                    Some(close) => close + 1,
                    None => {
                        faults += 1;
                        b.len()
                    }
                }
            } else {
                let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |k| i + k);
                faults += usize::from(memchr::memchr(b'"', &b[i..end]).is_some());
                end
            };
            self.budget = self.budget.saturating_sub(next - i);
            i = next;
        }
        faults
    }
}

/// Resolves `\"` and `\\`; other backslashes are kept, since AWS writes them literally.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(next @ ('"' | '\\')) => out.push(next),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let mut spans = Vec::new();
        tokenize(line, &mut spans).unwrap();
        spans.iter().map(|s| s.value(line).into_owned()).collect()
    }

    #[test]
    fn quoted_fields_keep_spaces_and_resolve_escaped_quotes() {
        let line = r#"a "GET http://x/ HTTP/1.1" "Mozilla/5.0 \"quoted\" \\ back" -"#;
        assert_eq!(
            fields(line),
            vec![
                "a",
                "GET http://x/ HTTP/1.1",
                r#"Mozilla/5.0 "quoted" \ back"#,
                "-"
            ]
        );
    }

    #[test]
    fn empty_quoted_field_is_an_empty_value_not_a_missing_field() {
        let mut spans = Vec::new();
        tokenize(r#"x "" y"#, &mut spans).unwrap();
        assert_eq!(spans.len(), 3);
        assert!(spans[1].is_quoted());
        assert_eq!(spans[1].raw(r#"x "" y"#), "");
    }

    #[test]
    fn bracketed_time_with_space_is_one_field() {
        assert_eq!(
            fields("owner [06/Feb/2019:00:00:38 +0000] 192.0.2.3"),
            vec!["owner", "[06/Feb/2019:00:00:38 +0000]", "192.0.2.3"]
        );
    }

    #[test]
    fn glued_quoted_strings_stay_one_field_as_written() {
        assert_eq!(
            fields(r#"h2 "h2","http/1.1" 2020-04-01T08:51:42"#),
            vec!["h2", r#""h2","http/1.1""#, "2020-04-01T08:51:42"]
        );
    }

    #[test]
    fn unterminated_quote_is_an_error_naming_the_column() {
        let mut spans = Vec::new();
        let err = tokenize(r#"a b "GET /trunc"#, &mut spans).unwrap_err();
        assert!(err.contains("column 5"), "{err}");
        assert!(tokenize(r#"a "ends with backslash\"#, &mut spans).is_err());
        assert!(tokenize("[06/Feb/2019:00:00:38", &mut spans).is_err());
    }

    #[test]
    fn unescaped_quotes_inside_a_quoted_field_stay_in_its_value() {
        for (agent, written) in [
            // A quoted word at the end, at the start, in the middle.
            (r#"Mozilla/5.0 "beta""#, r#""Mozilla/5.0 "beta"""#),
            (r#""beta" Mozilla"#, r#"""beta" Mozilla""#),
            (r#"Mozilla "x" y"#, r#""Mozilla "x" y""#),
            // One stray quote, followed by a space or by a letter, or last.
            (r#"Mozilla 5" screen"#, r#""Mozilla 5" screen""#),
            (r#"foo "bar"#, r#""foo "bar""#),
            (r#"a"b"#, r#""a"b""#),
            (r#"ends with 5""#, r#""ends with 5"""#),
        ] {
            let line = format!(r#"before {written} "-" "after field" last"#);
            assert_eq!(
                fields(&line),
                vec!["before", agent, "-", "after field", "last"],
                "{line}"
            );
        }
    }

    #[test]
    fn when_no_closing_quote_balances_the_rest_the_first_candidate_closes() {
        // The stray quote is in a later unquoted field, so no choice leaves the rest even.
        assert_eq!(fields(r#"a "x" b"c d"#), vec!["a", "x", r#"b"c"#, "d"]);
        let mut spans = Vec::new();
        let err = tokenize(r#"a "x" "y"#, &mut spans).unwrap_err();
        assert!(err.contains("column 7"), "{err}");
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_plain_character() {
        assert_eq!(fields(r#"a b"c d"#), vec!["a", r#"b"c"#, "d"]);
    }

    #[test]
    fn repeated_spaces_do_not_create_empty_fields() {
        assert_eq!(fields("  a  b "), vec!["a", "b"]);
    }

    #[test]
    fn unknown_backslash_escapes_are_kept_literally() {
        assert_eq!(fields(r#""C:\path\n""#), vec![r"C:\path\n"]);
    }
}
