//! Identifiers stored as numbers: a database or warehouse column of integers, an Excel
//! numeric cell, a JSON number or a CSV re-saved by a spreadsheet drops the leading zeros
//! of a fixed-length identifier (SSN `071124423` becomes `71124423`). Under a column or
//! key whose name is a keyword of such an identifier, a shorter run of digits is read
//! with its zeros put back.

/// Whether digits are a valid value of an identifier.
type Check = fn(&[u8]) -> bool;

/// Identifiers whose leading digits may be zero: the detector, its length, the most
/// leading zeros a valid value has, and for an identifier of two lengths a check that
/// says which padding is the value.
///
/// Left out because their first digit is never 0 (their checks refuse it): Canadian SIN
/// (0 is not assigned, 8 is a business number), Aadhaar (2-9), Medicare (2-6), ITIN (9),
/// NIR (1 or 2), German tax id (1-9), card numbers (no issuer starts with 0).
const ZERO_PADDED: &[(&str, usize, usize, Option<Check>)] = &[
    // Areas 001-099 (New England, New York): up to two zeros.
    ("us_ssn", 9, 2, None),
    // Scottish CHI numbers start with the day of birth (01-09).
    ("uk_nhs", 10, 1, None),
    // Born 2000-2009: the year is 00-09.
    ("pl_pesel", 11, 2, None),
    // The first eight digits are a serial: 000.000.001-91 is valid.
    ("br_cpf", 11, 3, None),
    // 9 digits, any first digit.
    ("us_passport", 9, 1, None),
    // 8 digits (older numbers) or 9, any first digit: a value that is a TFN as it is
    // stays so; else the zeros that make it one (7 digits to 8 or 9, 8 to 9).
    ("au_tfn", 9, 2, Some(super::national_id::tfn_valid)),
];

/// How values of a column are padded: to `len` digits, from at least `len - max_zeros`;
/// with a check, to the shortest length it accepts, when it refuses the value as it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Padding {
    len: usize,
    max_zeros: usize,
    valid: Option<Check>,
}

impl Padding {
    /// The padding for a column named with keywords of these detectors, if one of them
    /// is a zero-padded identifier (the shortest, when several are).
    pub fn for_detectors<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<Padding> {
        ids.into_iter()
            .filter_map(|id| ZERO_PADDED.iter().find(|(d, ..)| *d == id))
            .map(|&(_, len, max_zeros, valid)| Padding {
                len,
                max_zeros,
                valid,
            })
            .min_by_key(|p| p.len)
    }

    /// `value` with its zeros put back, when it is all digits and too short by at most
    /// the identifier's leading zeros; `None` when it needs no padding or is no such value.
    pub fn pad(&self, value: &[u8]) -> Option<Vec<u8>> {
        let n = value.len();
        if n == 0 || n >= self.len || n + self.max_zeros < self.len {
            return None;
        }
        if !value.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let padded = |len: usize| {
            let mut out = vec![b'0'; len - n];
            out.extend_from_slice(value);
            out
        };
        match self.valid {
            None => Some(padded(self.len)),
            Some(valid) if valid(value) => None,
            Some(valid) => (n + 1..=self.len).map(padded).find(|p| valid(p)),
        }
    }
}

/// A whole number as an Excel number format made of zeros shows it (see
/// [`number_format_digits`]): `14943551` under `000\-00\-0000` is `014-94-3551`. `None`
/// for a format that does not pad or a value that is not all digits.
pub(crate) fn format_whole_number(code: &str, digits: &str) -> Option<String> {
    let zeros = number_format_digits(code)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{digits:0>zeros$}");
    // Digits beyond the placeholders go with the first one, as Excel shows them.
    let extra = padded.len() - zeros;
    let mut next = padded.chars();
    let mut out = String::with_capacity(code.len() + extra);
    let mut first = true;
    let section = code.split(';').next().unwrap_or_default();
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '0' => {
                let take = if first { extra + 1 } else { 1 };
                first = false;
                out.extend(next.by_ref().take(take));
            }
            '\\' => out.extend(chars.next()),
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    out.push(q);
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// The digits an Excel number format always shows for a whole number, when the format
/// pads it (`00000` is 5; `000\-00\-0000` is 9): only `0` placeholders and literal text
/// (`\x`, `"..."`, `-`, space, parentheses), in the first section. `None` for a format
/// with `#`/`?` placeholders, decimals, exponents, conditions, colours or dates.
fn number_format_digits(code: &str) -> Option<usize> {
    let section = code.split(';').next()?;
    let mut zeros = 0;
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '0' => zeros += 1,
            '\\' => {
                chars.next()?;
            }
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '-' | ' ' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    (zeros >= 2).then_some(zeros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssn_columns_pad_seven_and_eight_digits_to_nine() {
        let p = Padding::for_detectors(["email", "us_ssn"]).unwrap();
        assert_eq!(p.pad(b"71124423").as_deref(), Some(&b"071124423"[..]));
        assert_eq!(p.pad(b"1124423").as_deref(), Some(&b"001124423"[..]));
        assert_eq!(
            p.pad(b"124423"),
            None,
            "three zeros: area 000 is never issued"
        );
        assert_eq!(p.pad(b"536228726"), None, "already whole");
        assert_eq!(p.pad(b"7112442a"), None);
        assert!(Padding::for_detectors(["email", "credit_card"]).is_none());
    }

    #[test]
    fn passport_and_tfn_columns_get_their_zeros_back() {
        let p = Padding::for_detectors(["us_passport"]).unwrap();
        assert_eq!(p.pad(b"12803456").as_deref(), Some(&b"012803456"[..]));
        assert_eq!(p.pad(b"1280345"), None, "two zeros: not a passport number");
        // TFN 012 345 606 stored as the number 12345606 (not an 8-digit TFN).
        let t = Padding::for_detectors(["au_tfn"]).unwrap();
        assert!(super::super::national_id::tfn_valid(b"012345606"));
        assert!(!super::super::national_id::tfn_valid(b"12345606"));
        assert_eq!(t.pad(b"12345606").as_deref(), Some(&b"012345606"[..]));
        // 7 digits: the 8-digit TFN 01234503.
        assert_eq!(t.pad(b"1234503").as_deref(), Some(&b"01234503"[..]));
        // An 8-digit TFN is one as it is: not padded.
        assert!(super::super::national_id::tfn_valid(b"12345677"));
        assert_eq!(t.pad(b"12345677"), None);
        // Neither as it is nor padded: left alone, and the detector refuses it.
        assert_eq!(t.pad(b"12345600"), None);
        assert!(
            Padding::for_detectors(["ca_sin"]).is_none(),
            "a SIN never starts with 0"
        );
    }

    #[test]
    fn excel_formats_that_pad_give_their_digit_count() {
        assert_eq!(number_format_digits(r"000\-00\-0000"), Some(9));
        assert_eq!(number_format_digits("000-00-0000"), Some(9));
        assert_eq!(number_format_digits("00000"), Some(5));
        assert_eq!(number_format_digits(r"00000\-0000"), Some(9));
        assert_eq!(number_format_digits(r#""ID "0000000"#), Some(7));
        for plain in [
            "General",
            "0",
            "0.00",
            "#,##0",
            "0.00E+00",
            "[<=9999999]###-####",
            "yyyy-mm-dd",
            "0%",
        ] {
            assert_eq!(number_format_digits(plain), None, "{plain}");
        }
        assert_eq!(
            format_whole_number(r"000\-00\-0000", "14943551").as_deref(),
            Some("014-94-3551")
        );
        assert_eq!(
            format_whole_number("00000", "2134").as_deref(),
            Some("02134")
        );
        assert_eq!(
            format_whole_number("00000", "1234567").as_deref(),
            Some("1234567"),
            "more digits than placeholders: all shown"
        );
        assert_eq!(format_whole_number("#,##0", "2134"), None);
    }
}
