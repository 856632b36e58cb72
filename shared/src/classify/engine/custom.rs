//! Users' custom detectors: their patterns checked when the classifier is built, and
//! their own pass over the same text, reported in text order beside the managed ones.

use super::*;

/// Where the users' detectors' pass is in a window: the next place to search from, and a
/// match already found beyond what has been reported.
pub(super) struct CustomCursor {
    pub(super) at: usize,
    pub(super) pending: Option<regex_automata::Match>,
}

pub(super) fn custom_entry(c: &CustomDetector, default_distance: usize) -> Entry {
    Entry {
        id: c.id.clone(),
        category: c.category,
        keywords: c.keywords.clone(),
        distance: c.max_distance.unwrap_or(default_distance),
        kind: Kind::Custom,
        not_after: Vec::new(),
    }
}

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

impl Classifier {
    /// Reports the users' detectors' matches that start in `[cursor.at, end)`, in order;
    /// the cursor keeps the next match found past `end` for the next call. A pattern that
    /// matches the empty string is refused when the classifier is built; an empty match
    /// here (a pattern like `a*` where no `a` is) is passed over.
    pub(super) fn custom_until(
        &self,
        w: &mut Window<'_, '_>,
        cursor: &mut CustomCursor,
        end: usize,
    ) {
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
}
