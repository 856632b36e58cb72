//! Check-digit algorithms shared by several detectors. Inputs are ASCII bytes; every
//! function returns `false` (never panics) on characters outside its alphabet.

/// Luhn (ISO/IEC 7812-1 annex B, "mod 10"): payment cards, Canadian SIN.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 1 {
                let twice = v * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                v
            }
        })
        .sum();
    sum % 10 == 0
}

/// Remainder modulo 97 of the number written by `chars`, letters counting as two digits
/// (A=10 .. Z=35), as ISO 13616 (IBAN) and ISO 7064 MOD 97-10 define it.
/// `None` for characters other than ASCII digits and upper-case letters.
pub fn mod97(chars: impl IntoIterator<Item = u8>) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in chars {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return None,
        }
    }
    Some(rem)
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff's dihedral-group check (J. Verhoeff, 1969), used by Aadhaar (UIDAI): the
/// whole number, check digit included, must reduce to 0.
pub fn verhoeff(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut c = 0u8;
    for (i, d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(d - b'0')])];
    }
    c == 0
}

/// Shannon entropy of the bytes, in bits per byte (0.0 for an empty slice).
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `year-month-day` is a real calendar date (proleptic Gregorian).
pub fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The value of the ASCII digits in `bytes` (at most 9 of them, so no overflow).
pub fn number(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(9)
        .fold(0, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0') % 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_valid_and_rejects_changed_digit() {
        assert!(luhn(b"4539578763621486"));
        assert!(luhn(b"046454286"));
        assert!(!luhn(b"4539578763621487"));
        assert!(!luhn(b"45395787636214x6"));
        assert!(!luhn(b"0"));
    }

    #[test]
    fn mod97_of_valid_iban_rearranged_is_one() {
        // DE44 5001 0517 5407 3249 31, rearranged: BBAN then country and check digits.
        let rearranged = b"500105175407324931DE44";
        assert_eq!(mod97(rearranged.iter().copied()), Some(1));
        assert_eq!(mod97(b"50010517540732493lDE44".iter().copied()), None);
    }

    #[test]
    fn verhoeff_accepts_known_number_and_rejects_transposition() {
        assert!(verhoeff(b"2363"));
        assert!(!verhoeff(b"2336"));
        assert!(verhoeff(b"234123412346"));
        assert!(!verhoeff(b"234123412347"));
    }

    #[test]
    fn entropy_of_repeated_byte_is_zero_and_of_distinct_bytes_is_log2() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn calendar_dates_respect_month_lengths_and_leap_years() {
        assert!(valid_date(2000, 2, 29));
        assert!(!valid_date(1900, 2, 29));
        assert!(!valid_date(2021, 4, 31));
        assert!(!valid_date(2021, 13, 1));
        assert!(!valid_date(2021, 1, 0));
    }
}
