//! Keywords near a candidate: Macie-style proximity within the configured distance, the
//! line rule for text (a label ending the line before counts), a column name in
//! structured data, and keywords naming another identifier that rule a value out.

use super::*;

/// Words (each once) with the entries each belongs to, one ASCII-case-insensitive
/// automaton of them and the longest word's length; `None` without words.
#[allow(clippy::type_complexity)]
pub(super) fn owned_words(
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

/// The spellings a keyword is matched in, lower case: as written, and (with `respell`),
/// when it has several words, with the words joined by a space, `-`, `_` or nothing, as
/// people write them in text and in column names (`steuer-id`, `steuer id`, `steuer_id`,
/// `steuerid`).
pub(super) fn keyword_spellings(keyword: &str, respell: bool) -> Vec<String> {
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
pub(super) fn singular_words(words: &str) -> String {
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
pub(super) fn name_words(name: &str) -> String {
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

impl Classifier {
    /// Whether one of the entry's keywords lies within its distance of `span` in `hay`
    /// (and inside `bounds`, the value's record in structured data). In text (`by_line`),
    /// a keyword also has to be on the value's line, or a label ending the line before it
    /// ([`super::super::lines::keyword_before_counts`]). Only the bytes that can hold such a
    /// keyword are searched, so keywords cost nothing where no candidate is.
    pub(super) fn keyword_near(
        &self,
        hay: &[u8],
        entry: usize,
        span: &Range<usize>,
        bounds: Option<&Range<usize>>,
        by_line: bool,
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
                    && (!by_line
                        || super::super::lines::keyword_before_counts(hay, end, span.start))
            } else {
                start < span.end
                    || start - span.end <= distance
                        && (!by_line
                            || super::super::lines::keyword_after_counts(hay, span.end, start))
            };
            near && self.keyword_owners[m.pattern().as_usize()].contains(&entry)
        })
    }

    /// Whether the entry has a keyword for the value at `span`: in its column's name, or
    /// within its distance (inside the value's record in structured data).
    pub(super) fn keyword_for(
        &self,
        w: &Window<'_, '_>,
        entry: usize,
        span: &Range<usize>,
    ) -> bool {
        if w.keywords_assumed {
            return !self.entries[entry].keywords.is_empty();
        }
        match &w.fields {
            Some(f) => {
                let field = f.batch.field_at(span.start, &f.hint);
                f.columns.has_keyword(f.batch.column(field), entry)
                    || self.keyword_near(w.hay, entry, span, Some(&f.batch.record(field)), false)
            }
            None => self.keyword_near(w.hay, entry, span, None, true),
        }
    }

    /// Whether the value at `span` is named as another identifier (see `Rule::Number`'s
    /// `not_after`): one of those keywords in its column's name, or before it within the
    /// distance, and none of the entry's own keywords in the name or nearer.
    pub(super) fn names_another_identifier(
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
            let field = f.batch.field_at(span.start, &f.hint);
            let column = f.batch.column(field);
            if f.columns.has_keyword(column, entry) {
                return false;
            }
            let name = f.columns.name(column);
            let words = name_words(name);
            if [name, words.as_str()]
                .iter()
                .any(|n| last_in(n.as_bytes(), 0..n.len()).is_some())
            {
                return true;
            }
            lo = lo.max(f.batch.record(field).start);
        }
        let Some(other_end) = last_in(w.hay, lo..span.start) else {
            return false;
        };
        let by_line = w.fields.is_none();
        if span.start - other_end > e.distance
            || by_line && !super::super::lines::keyword_before_counts(w.hay, other_end, span.start)
        {
            return false;
        }
        // One of the detector's own keywords after it is nearer the value.
        !self.keyword_near(w.hay, entry, span, Some(&(other_end..span.start)), by_line)
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
}
