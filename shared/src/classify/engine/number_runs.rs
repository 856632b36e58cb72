//! Number runs as candidates: their digit groups tried in windows against every number
//! detector, then the whole run as a phone number.

use super::*;

/// Most digit groups a number detector looks at together (the French NIR has seven).
pub(super) const MAX_GROUPS: usize = 8;

/// Longest digit string any number detector accepts.
pub(super) const MAX_DIGITS: usize = 19;

/// The digit groups of a number run; runs of more groups than this spill to the heap.
pub(super) type SmallGroups = smallvec::SmallVec<[Range<usize>; 16]>;

/// Whether the formatted window `groups[first..=last]` is only part of a longer number of
/// the same format: a group of the same size joined by the same separator comes right
/// before or after it (the first 12 digits of `4539 5787 6362 1480` are not an Aadhaar
/// number). A single group, or a neighbour of another size or separator (`1486 12/27`),
/// does not continue it.
pub(super) fn continued(hay: &[u8], groups: &[Range<usize>], first: usize, last: usize) -> bool {
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

/// [`continued`] for groups all joined by one separator: a neighbour of the same size
/// before or after the window `groups[first..=last]` continues it.
pub(super) fn continued_by_size(groups: &[Range<usize>], first: usize, last: usize) -> bool {
    let before = first > 0 && groups[first - 1].len() == groups[first].len();
    let after = last + 1 < groups.len() && groups[last + 1].len() == groups[last].len();
    first != last && (before || after)
}

impl Classifier {
    /// Cuts a number run into digit groups and tries windows of consecutive groups,
    /// longest first, against every number detector; then the whole run as a phone number
    /// when no window was claimed. A run that ends at a line break is first tried joined
    /// with the number opening the next line ([`wrapped`]). Returns where the scan goes
    /// on: after the run, or after a joined value.
    pub(super) fn number_run(&self, w: &mut Window<'_, '_>, span: Range<usize>) -> usize {
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
            return span.end;
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
        // A batch's line breaks end its fields, unless a value holds one.
        let wraps = w.fields.as_ref().is_none_or(|f| f.batch.breaks);
        if let Some(at) = super::super::lines::line_break_after(hay, span.end).filter(|_| wraps) {
            if let Some(end) = self.wrapped_number(w, &span, at, &groups) {
                return end;
            }
        }
        if digits < self.min_number_digits {
            // Too short for every selected number detector (a time, a count, a version).
            return span.end;
        }
        let mut claimed = false;
        let mut g = 0;
        while g < groups.len() {
            // The digits after a decimal point are a fraction (`0.4079361356169908`,
            // `-84.3520028084428`: coordinates, scores), never a value of their own.
            if g > 0 && hay[groups[g].start - 1] == b'.' {
                g += 1;
                continue;
            }
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
                self.phone(w, entry, span.clone(), digits);
            }
        }
        span.end
    }

    /// Tries one window of digit groups against the number detectors; true when one
    /// reported it.
    pub(super) fn number_window(&self, w: &mut Window<'_, '_>, groups: &[Range<usize>]) -> bool {
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
        self.report_digits(w, &view, span, 0)
    }

    /// Tries the digits of a window (`span` in the text) against the number detectors;
    /// true when one reported it. With `min_digits_joined` set (a value joined across
    /// lines), only detectors taking at least that many digits are tried, and each needs
    /// a keyword even where the bare value would do.
    pub(super) fn report_digits(
        &self,
        w: &mut Window<'_, '_>,
        view: &Digits<'_>,
        span: Range<usize>,
        min_digits_joined: usize,
    ) -> bool {
        let n = view.digits.len();
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
            if n < *min_digits || *min_digits < min_digits_joined {
                continue;
            }
            if let Some(need) = check(view) {
                let need = if min_digits_joined > 0 {
                    Need::Keyword
                } else {
                    need
                };
                if !self.names_another_identifier(w, entry, &span) {
                    reported |= self.report(w, entry, span.clone(), need);
                }
            }
        }
        reported
    }

    /// The whole run as a phone number: international (`+` or `00`, see
    /// [`super::super::personal::international_phone`]), or national in a configured region;
    /// unformatted digits need a keyword.
    pub(super) fn phone(
        &self,
        w: &mut Window<'_, '_>,
        entry: usize,
        span: Range<usize>,
        digits: usize,
    ) {
        let raw = &w.hay[span.clone()];
        let international = super::super::personal::international_phone(raw);
        let digits = international.as_ref().map_or(digits, |(_, d)| *d);
        if !(PHONE_MIN_DIGITS..=15).contains(&digits) {
            return;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            return;
        };
        let plain = raw.iter().all(u8::is_ascii_digit);
        if international.is_none() && !super::super::personal::national_phone_shape(w.hay, &span) {
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
                        phonenumber::is_valid(&n)
                            && super::super::personal::grouped_as_national(raw, &n)
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
}
