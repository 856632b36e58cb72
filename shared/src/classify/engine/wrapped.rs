//! Grouped numbers wrapped onto the next line: a card or a national id printed in groups
//! in an e-mail, an invoice or a form, cut by the line width (`Card: 4539 5787` then
//! `6362 1486`), or a spreadsheet cell holding a line break.
//!
//! The number scan stops a run at the line end; a run that ends there is tried joined
//! with the number that opens the next line (after indentation and `>` quote marks). A
//! join of two lines is a guess, so it is only taken when the whole joined value passes
//! its detector's checks (check digits, issuer and length, ranges), when one of the
//! detector's keywords is near (on the value's first line, or a label ending the line
//! before it), and only for identifiers of [`WRAP_MIN_DIGITS`] digits or more: shorter
//! ones (SSN, SIN, TFN) are too like the dates, amounts and counts that end and open
//! consecutive lines of a table.

use std::ops::Range;

use super::super::detector::{is_word, Digits};
use super::super::lines::continuation;
use super::super::numbers;
use super::{continued_by_size, Classifier, SmallGroups, Window, MAX_DIGITS, MAX_GROUPS};

/// Fewest digits of an identifier read joined across a line break.
pub(crate) const WRAP_MIN_DIGITS: usize = 10;

/// The single separator of a run's digit groups (`None` for one group), when it is a
/// space or a hyphen throughout (how grouped identifiers are printed); `Err` otherwise.
fn separator(hay: &[u8], groups: &[Range<usize>]) -> Result<Option<u8>, ()> {
    let mut found = None;
    for pair in groups.windows(2) {
        match hay[pair[0].end..pair[1].start] {
            [s @ (b' ' | b'-')] if found.is_none_or(|f| f == s) => found = Some(s),
            _ => return Err(()),
        }
    }
    Ok(found)
}

impl Classifier {
    /// Joins the number run `run` (its digit groups `first`), which ends at the line break
    /// at `line_end` (maybe after trailing blanks or a separator),
    /// with the number opening the next line, and tries the windows of groups that cross
    /// the break against the number detectors of [`WRAP_MIN_DIGITS`] digits or more, with
    /// a keyword. Returns the end of the reported value, or `None` when nothing joined
    /// was reported (the run is then read on its own).
    pub(super) fn wrapped_number(
        &self,
        w: &mut Window<'_, '_>,
        run: &Range<usize>,
        line_end: usize,
        first: &[Range<usize>],
    ) -> Option<usize> {
        let hay = w.hay;
        if first.is_empty() || first[0].start != run.start {
            // Opened by `(` or `+`: a phone number, not a grouped identifier.
            return None;
        }
        let next = continuation(hay, line_end)?;
        if !hay[next].is_ascii_digit() {
            return None;
        }
        let (second, ..) = numbers::next_run_first(hay, next)?;
        if second.start != next || is_word(hay.get(second.end).copied()) {
            return None;
        }
        if let Some(f) = &w.fields {
            // In a batch the break must be inside the value (a cell holding a line
            // break), not the one that ends it: the next line's number is in the same field.
            if f.batch.field_at(second.start, &f.hint) != f.batch.field_at(run.start, &f.hint) {
                return None;
            }
        }
        let mut groups: SmallGroups = SmallGroups::new();
        // Only the groups a window of at most MAX_GROUPS crossing the break can hold.
        let from = first.len().saturating_sub(MAX_GROUPS - 1);
        groups.extend(first[from..].iter().cloned());
        let joint = groups.len() - 1;
        let mut i = second.start;
        while i < second.end && groups.len() < joint + MAX_GROUPS {
            let start = i;
            while i < second.end && hay[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                groups.push(start..i);
            }
            while i < second.end && !hay[i].is_ascii_digit() {
                i += 1;
            }
        }
        let sep = match (
            separator(hay, &groups[..=joint]).ok()?,
            separator(hay, &groups[joint + 1..]).ok()?,
        ) {
            (Some(a), Some(b)) if a == b => a,
            (Some(a), None) | (None, Some(a)) => a,
            // Two plain runs: one value cut at a fixed width.
            (None, None) => {
                return self.try_joined(w, &groups, 0, 1, None);
            }
            _ => return None,
        };
        for g in 0..=joint {
            let last = (g + MAX_GROUPS - 1).min(groups.len() - 1);
            for end in (joint + 1..=last).rev() {
                if continued_by_size(&groups, g, end) {
                    continue;
                }
                if let Some(end) = self.try_joined(w, &groups, g, end, Some(sep)) {
                    return Some(end);
                }
            }
        }
        None
    }

    /// Tries the groups `groups[first..=last]` as one value, the line break read as
    /// `sep` (`None`: the two groups are one cut in two); returns the value's end when
    /// reported.
    fn try_joined(
        &self,
        w: &mut Window<'_, '_>,
        groups: &[Range<usize>],
        first: usize,
        last: usize,
        sep: Option<u8>,
    ) -> Option<usize> {
        let window = &groups[first..=last];
        let total: usize = window.iter().map(|r| r.len()).sum();
        if !(WRAP_MIN_DIGITS..=MAX_DIGITS).contains(&total) {
            return None;
        }
        let mut digits = [0u8; MAX_DIGITS];
        let mut sizes = [0usize; MAX_GROUPS];
        let mut n = 0;
        for (k, r) in window.iter().enumerate() {
            digits[n..n + r.len()].copy_from_slice(&w.hay[r.clone()]);
            n += r.len();
            sizes[k] = r.len();
        }
        let separators = [sep.unwrap_or(b' '); MAX_GROUPS];
        let (sizes, separators): (&[usize], &[u8]) = match sep {
            Some(_) => (&sizes[..window.len()], &separators[..window.len() - 1]),
            None => (std::slice::from_ref(&n), &[]),
        };
        let view = Digits {
            digits: &digits[..n],
            groups: sizes,
            separator: separators.first().copied(),
            uniform: true,
            separators,
        };
        let span = window[0].start..window[window.len() - 1].end;
        let end = span.end;
        self.report_digits(w, &view, span, WRAP_MIN_DIGITS)
            .then_some(end)
    }
}

#[cfg(test)]
mod tests {
    use crate::classify::tests::{assert_clean, assert_finds, shared};
    use crate::classify::{ObjectFormat, SampleLimits};

    #[test]
    fn a_card_wrapped_onto_the_next_line_is_found_with_a_keyword() {
        for (text, value) in [
            (
                "Card: 4539 5787\n6362 1486 exp 12/27",
                "4539 5787\n6362 1486",
            ),
            (
                "Card number 4539 5787 6362\r\n1486\r\n",
                "4539 5787 6362\r\n1486",
            ),
            (
                "> Paid by card 4539\n>   5787 6362 1486.",
                "4539\n>   5787 6362 1486",
            ),
            (
                "  card no 4539-5787-\n  6362-1486",
                "4539-5787-\n  6362-1486",
            ),
            // A compact number cut at a fixed width.
            ("credit card 45395787\n63621486", "45395787\n63621486"),
            // A label ending the line before.
            ("Card number:\n4539 5787\n6362 1486", "4539 5787\n6362 1486"),
        ] {
            assert_finds("credit_card", text, value);
        }
    }

    #[test]
    fn wrapped_national_ids_are_found_with_a_keyword() {
        for (id, text, value) in [
            (
                "fr_nir",
                "NIR : 1 84 12 76 451\n089 46",
                "1 84 12 76 451\n089 46",
            ),
            ("in_aadhaar", "Aadhaar 2345 6789\n0124", "2345 6789\n0124"),
            ("br_cpf", "CPF 390 533\n447 05", "390 533\n447 05"),
            ("uk_nhs", "NHS number 943 476\n5919", "943 476\n5919"),
        ] {
            assert_finds(id, text, value);
        }
    }

    #[test]
    fn numbers_on_consecutive_lines_are_not_joined_without_reason() {
        for text in [
            // Two halves of a valid card, no keyword.
            "ref 4539 5787\n6362 1486 done",
            // A keyword on an earlier line that is not a label ending it.
            "card payments this week\n4539 5787\n6362 1486",
            // Adjacent rows of a table: the second number is not first on its line.
            "card 4539 5787\nrow2 6362 1486",
            // A line-end number followed by an unrelated line.
            "card 4539 5787\n2024-05-01 6362 1486",
            // Different groupings on the two lines.
            "card 4539 5787\n6362-1486",
        ] {
            assert_clean("credit_card", text);
        }
        // Short identifiers are not joined even with their keyword.
        assert_clean("us_ssn", "SSN 536 22\n8726");
    }

    #[test]
    fn two_whole_cards_on_consecutive_lines_are_two_values() {
        let text = "card 4539 5787 6362 1486\n5425 2334 3010 9903\n";
        let report = shared().classify_bytes(text.as_bytes());
        let f = report
            .findings
            .iter()
            .find(|f| f.detector == "credit_card")
            .expect("cards");
        let got: Vec<&str> = f
            .locations
            .iter()
            .map(|l| &text[l.offset as usize..(l.offset + l.length) as usize])
            .collect();
        assert_eq!(got, ["4539 5787 6362 1486", "5425 2334 3010 9903"]);
    }

    #[test]
    fn a_card_in_a_csv_cell_holding_a_line_break_is_found() {
        // Adjacent fields are never joined: the second row's card column ends with
        // `4539 5787` and its next field is `6362 1486`.
        let csv = "id,card,amount\n1,\"4539 5787\n6362 1486\",12\n2,4539 5787,6362 1486\n";
        let report = shared()
            .classify_stream(
                &ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &SampleLimits::NONE,
            )
            .expect("csv");
        let f = report
            .findings
            .iter()
            .find(|f| f.detector == "credit_card")
            .expect("card in the cell");
        assert_eq!(f.count, 1, "{:?}", f.locations);
        assert_eq!(f.locations[0].row, Some(1));
        assert_eq!(f.locations[0].column_name.as_deref(), Some("card"));
    }
}
