//! Line structure around a value in text: where a value wrapped onto the next line
//! continues, and which keywords on other lines count for it.
//!
//! Form-like text (an invoice, an e-mail, a scanned form's text) puts a label on the line
//! before its value (`Passport No.:` then `X12345678`), and wraps a long grouped value
//! onto the next line (`4539 5787` then `6362 1486`). Elsewhere a line break separates
//! unrelated things: a keyword on one line says nothing of a number on the next (`order
//! for passport renewal` then `1234567890 EUR`). So a keyword counts on the value's own
//! line, or on an earlier line only as a label that ends its line right before the
//! value's line.

/// Where a value that stops at the line break at `at` would continue: the first byte of the
/// next line after its indentation (spaces, tabs) and `>` quote marks (an e-mail reply).
/// `None` when `hay[at]` is not a line break (`\n` or `\r\n`) or the next line is empty.
pub(crate) fn continuation(hay: &[u8], at: usize) -> Option<usize> {
    let mut i = match hay.get(at..)? {
        [b'\r', b'\n', ..] => at + 2,
        [b'\n', ..] => at + 1,
        _ => return None,
    };
    while hay.get(i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'>')) {
        i += 1;
    }
    (i < hay.len() && !matches!(hay[i], b'\r' | b'\n')).then_some(i)
}

/// The line break ending a value that stops at `end`, when only trailing blanks (and one
/// separator: `4539-5787-`) come between.
pub(crate) fn line_break_after(hay: &[u8], end: usize) -> Option<usize> {
    let mut i = end;
    if matches!(hay.get(i), Some(b' ' | b'-')) {
        i += 1;
    }
    while i < end + 16 && matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    matches!(hay.get(i), Some(b'\n' | b'\r')).then_some(i)
}

/// Whether a keyword ending at `end` counts for a value starting at `value` (`end <=
/// value`) in text: when no line break lies between them, or when the keyword is a label
/// ending its line (the keyword, optionally `No.`/`Nr.`/`#`, optionally `:`/`=`/`#`/`-`,
/// then the line end) and the value is the first token of the next non-empty line
/// (blank lines, indentation and `>` quote marks between).
pub(crate) fn keyword_before_counts(hay: &[u8], end: usize, value: usize) -> bool {
    let between = &hay[end..value];
    let Some(nl) = memchr::memchr(b'\n', between) else {
        return true;
    };
    label_ends_line(&between[..nl])
        && between[nl..]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>'))
}

/// Whether a keyword starting at `start` counts for a value ending at `value_end`
/// (`value_end <= start`) in text: only on the value's (last) line.
pub(crate) fn keyword_after_counts(hay: &[u8], value_end: usize, start: usize) -> bool {
    memchr::memchr(b'\n', &hay[value_end..start]).is_none()
}

/// Whether what follows a keyword up to its line's end makes it a label: nothing, or a
/// number sign (`No.`, `Nr.`, `#`) and a colon, equals sign or dash, with spaces around.
fn label_ends_line(rest: &[u8]) -> bool {
    let mut rest = rest.strip_suffix(b"\r").unwrap_or(rest).trim_ascii();
    for sign in [&b"no."[..], b"nr.", b"no", b"nr", b"#"] {
        if rest.len() >= sign.len() && rest[..sign.len()].eq_ignore_ascii_case(sign) {
            let after = &rest[sign.len()..];
            // `No` and `Nr` stand alone: not the start of a word (`Note`).
            if !after.first().is_some_and(u8::is_ascii_alphanumeric) {
                rest = after.trim_ascii_start();
                break;
            }
        }
    }
    match rest {
        [] => true,
        [b':' | b'=' | b'#' | b'-', tail @ ..] => tail.trim_ascii().is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_skips_the_break_indentation_and_quote_marks() {
        let hay = b"a 1234\r\n  > 5678\nb\n\nc";
        assert_eq!(continuation(hay, 6), Some(12));
        assert_eq!(continuation(hay, 16), Some(17));
        // An empty next line, or no line break at all.
        assert_eq!(continuation(hay, 18), None);
        assert_eq!(continuation(hay, 2), None);
        assert_eq!(continuation(b"x\n", 1), None);
    }

    #[test]
    fn a_line_break_after_trailing_blanks_or_a_separator_ends_a_value() {
        assert_eq!(line_break_after(b"12\n", 2), Some(2));
        assert_eq!(line_break_after(b"12- \r\n", 2), Some(4));
        assert_eq!(line_break_after(b"12 \n", 2), Some(3));
        assert_eq!(line_break_after(b"12 x\n", 2), None);
        assert_eq!(line_break_after(b"12--\n", 2), None);
        assert_eq!(line_break_after(b"12", 2), None);
    }

    #[test]
    fn a_keyword_on_an_earlier_line_counts_only_as_a_label_ending_its_line() {
        let counts = |text: &str, keyword: &str, value: &str| {
            let end = text.find(keyword).unwrap() + keyword.len();
            keyword_before_counts(text.as_bytes(), end, text.rfind(value).unwrap())
        };
        for (text, keyword) in [
            ("Passport: X1234567", "Passport"),
            ("passport X1234567", "passport"),
            ("Passport:\nX1234567", "Passport"),
            ("Passport No.:\r\n\r\n   X1234567", "Passport"),
            ("Passport #\n> X1234567", "Passport"),
            ("passport nr -\n X1234567", "passport"),
            ("Passport\nX1234567 issued", "Passport"),
        ] {
            assert!(counts(text, keyword, "X1234567"), "{text:?}");
        }
        for (text, keyword) in [
            ("order for passport renewal\nX1234567", "passport"),
            ("Passport: see below\nX1234567", "Passport"),
            ("Passport:\nref X1234567", "Passport"),
            ("Passport:\nfirst\nX1234567", "Passport"),
            ("Passport notes\nX1234567", "Passport"),
        ] {
            assert!(!counts(text, keyword, "X1234567"), "{text:?}");
        }
    }

    /// S5: in text, a keyword counts for a value on its line, or as a label ending the
    /// line before it; not from an unrelated line before or after.
    #[test]
    fn detectors_take_keywords_from_the_value_line_or_a_label_line() {
        use crate::classify::tests::{assert_clean, assert_finds};
        for text in [
            "SSN: 536228726",
            "536228726 (ssn)",
            "SSN:\n536228726",
            "Social Security Number\r\n\r\n   536228726\r\n",
            "> SSN #\n> 536228726",
        ] {
            assert_finds("us_ssn", text, "536228726");
        }
        for text in [
            "the ssn field was left empty\n536228726 units shipped",
            "order 536228726\nssn pending",
            "SSN: see the attached form\n536228726",
            "SSN:\nref 536228726",
        ] {
            assert_clean("us_ssn", text);
        }
        // In structured data a keyword counts anywhere in the value's record.
        let report = crate::classify::tests::shared()
            .classify_stream(
                &crate::classify::ObjectFormat::JsonLines,
                &b"{\"kind\":\"ssn\",\"value\":\"536228726\"}\n"[..],
                &crate::classify::SampleLimits::NONE,
            )
            .unwrap();
        assert!(report.findings.iter().any(|f| f.detector == "us_ssn"));
    }

    #[test]
    fn a_keyword_after_the_value_counts_only_on_its_line() {
        assert!(keyword_after_counts(b"X1234567 (passport)", 8, 10));
        assert!(!keyword_after_counts(b"X1234567\npassport", 8, 9));
    }
}
