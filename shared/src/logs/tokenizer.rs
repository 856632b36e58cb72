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

/// Splits `line` into `out` (cleared first); fails on a quote or bracket that never closes, which is how truncated lines show.
pub(crate) fn tokenize(line: &str, out: &mut Vec<Span>) -> Result<(), String> {
    out.clear();
    let b = line.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        if b[i] == b'"' {
            let (close, escaped) = closing_quote(b, i + 1).ok_or_else(|| {
                format!(
                    "quoted field starting at column {} has no closing quote",
                    start + 1
                )
            })?;
            if close + 1 == n || b[close + 1] == b' ' {
                out.push(Span {
                    start: start + 1,
                    end: close,
                    quoted: true,
                    escaped,
                });
                i = close + 1;
                continue;
            }
            // Several quoted strings glued together, e.g. NLB's `"h2","http/1.1"`: kept as written.
            let end = plain_end(b, close + 1, start)?;
            out.push(Span {
                start,
                end,
                quoted: false,
                escaped: false,
            });
            i = end;
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
        let end = plain_end(b, j, start)?;
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

/// Finds the quote closing a quoted section whose content starts at `from`; also says whether it holds escapes.
fn closing_quote(b: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut j = from;
    let mut escaped = false;
    loop {
        let k = j + memchr::memchr2(b'"', b'\\', &b[j..])?;
        if b[k] == b'\\' {
            escaped = true;
            j = k + 2;
            if j > b.len() {
                return None;
            }
        } else {
            return Some((k, escaped));
        }
    }
}

/// End of an unquoted field starting its scan at `from`: the next space outside quotes.
fn plain_end(b: &[u8], from: usize, field_start: usize) -> Result<usize, String> {
    let mut j = from;
    loop {
        match memchr::memchr2(b' ', b'"', &b[j..]) {
            None => return Ok(b.len()),
            Some(k) if b[j + k] == b' ' => return Ok(j + k),
            Some(k) => {
                let (close, _) = closing_quote(b, j + k + 1).ok_or_else(|| {
                    format!(
                        "field starting at column {} has a quote with no closing quote",
                        field_start + 1
                    )
                })?;
                j = close + 1;
            }
        }
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
    fn repeated_spaces_do_not_create_empty_fields() {
        assert_eq!(fields("  a  b "), vec!["a", "b"]);
    }

    #[test]
    fn unknown_backslash_escapes_are_kept_literally() {
        assert_eq!(fields(r#""C:\path\n""#), vec![r"C:\path\n"]);
    }
}
