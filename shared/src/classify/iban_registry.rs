//! The SWIFT IBAN registry (release 101, as python-stdnum 2.2's `iban.dat` records it):
//! each country's IBAN length and BBAN format, for the `iban` detector.

/// Country code, IBAN length, and the BBAN's parts as ISO 13616 writes them without the
/// `!` (every part of every registered BBAN has a fixed length): `4n` four digits, `3a`
/// three capital letters, `12c` twelve letters or digits. Sorted by country code.
const REGISTRY: &[([u8; 2], usize, &str)] = &[
    (*b"AD", 24, "4n4n12c"),
    (*b"AE", 23, "3n16n"),
    (*b"AL", 28, "8n16c"),
    (*b"AT", 20, "5n11n"),
    (*b"AZ", 28, "4a20c"),
    (*b"BA", 20, "3n3n8n2n"),
    (*b"BE", 16, "3n7n2n"),
    (*b"BG", 22, "4a4n2n8c"),
    (*b"BH", 22, "4a14c"),
    (*b"BI", 27, "5n5n11n2n"),
    (*b"BR", 29, "8n5n10n1a1c"),
    (*b"BY", 28, "4c4n16c"),
    (*b"CH", 21, "5n12c"),
    (*b"CR", 22, "4n14n"),
    (*b"CY", 28, "3n5n16c"),
    (*b"CZ", 24, "4n16n"),
    (*b"DE", 22, "8n10n"),
    (*b"DJ", 27, "5n5n11n2n"),
    (*b"DK", 18, "4n9n1n"),
    (*b"DO", 28, "4c20n"),
    (*b"EE", 20, "2n14n"),
    (*b"EG", 29, "4n4n17n"),
    (*b"ES", 24, "4n4n1n1n10n"),
    (*b"FI", 18, "3n11n"),
    (*b"FK", 18, "2a12n"),
    (*b"FO", 18, "4n9n1n"),
    (*b"FR", 27, "5n5n11c2n"),
    (*b"GB", 22, "4a6n8n"),
    (*b"GE", 22, "2a16n"),
    (*b"GI", 23, "4a15c"),
    (*b"GL", 18, "4n9n1n"),
    (*b"GR", 27, "3n4n16c"),
    (*b"GT", 28, "4c20c"),
    (*b"HN", 28, "4a20n"),
    (*b"HR", 21, "7n10n"),
    (*b"HU", 28, "3n4n1n15n1n"),
    (*b"IE", 22, "4a6n8n"),
    (*b"IL", 23, "3n3n13n"),
    (*b"IQ", 23, "4a3n12n"),
    (*b"IS", 26, "4n2n6n10n"),
    (*b"IT", 27, "1a5n5n12c"),
    (*b"JO", 30, "4a4n18c"),
    (*b"KW", 30, "4a22c"),
    (*b"KZ", 20, "3n13c"),
    (*b"LB", 28, "4n20c"),
    (*b"LC", 32, "4a24c"),
    (*b"LI", 21, "5n12c"),
    (*b"LT", 20, "5n11n"),
    (*b"LU", 20, "3n13c"),
    (*b"LV", 21, "4a13c"),
    (*b"LY", 25, "3n3n15n"),
    (*b"MC", 27, "5n5n11c2n"),
    (*b"MD", 24, "2c18c"),
    (*b"ME", 22, "3n13n2n"),
    (*b"MK", 19, "3n10c2n"),
    (*b"MN", 20, "4n12n"),
    (*b"MR", 27, "5n5n11n2n"),
    (*b"MT", 31, "4a5n18c"),
    (*b"MU", 30, "4a2n2n12n3n3a"),
    (*b"NI", 28, "4a20n"),
    (*b"NL", 18, "4a10n"),
    (*b"NO", 15, "4n6n1n"),
    (*b"OM", 23, "3n16c"),
    (*b"PK", 24, "4a16c"),
    (*b"PL", 28, "8n16n"),
    (*b"PS", 29, "4a21c"),
    (*b"PT", 25, "4n4n11n2n"),
    (*b"QA", 29, "4a21c"),
    (*b"RO", 24, "4a16c"),
    (*b"RS", 22, "3n13n2n"),
    (*b"RU", 33, "9n5n15c"),
    (*b"SA", 24, "2n18c"),
    (*b"SC", 31, "4a2n2n16n3a"),
    (*b"SD", 18, "2n12n"),
    (*b"SE", 24, "3n16n1n"),
    (*b"SI", 19, "5n8n2n"),
    (*b"SK", 24, "4n6n10n"),
    (*b"SM", 27, "1a5n5n12c"),
    (*b"SO", 23, "4n3n12n"),
    (*b"ST", 25, "4n4n11n2n"),
    (*b"SV", 28, "4a20n"),
    (*b"TL", 23, "3n14n2n"),
    (*b"TN", 24, "2n3n13n2n"),
    (*b"TR", 26, "5n1n16c"),
    (*b"UA", 29, "6n19c"),
    (*b"VA", 22, "3n15n"),
    (*b"VG", 24, "4a16n"),
    (*b"XK", 20, "4n10n2n"),
    (*b"YE", 30, "4a4n18c"),
];

/// The registry's entry for a country code (upper case): its IBAN length and BBAN format.
fn entry(country: &[u8]) -> Option<(usize, &'static str)> {
    REGISTRY
        .binary_search_by(|(code, _, _)| code.as_slice().cmp(country))
        .ok()
        .map(|i| (REGISTRY[i].1, REGISTRY[i].2))
}

/// IBAN length for a country code (upper case), `None` for a country without IBANs.
pub(crate) fn iban_length(country: &[u8]) -> Option<usize> {
    entry(country).map(|(length, _)| length)
}

/// Whether a compact upper-case IBAN's BBAN (after the country code and check digits)
/// follows its country's format: digits where it says `n`, capital letters where `a`,
/// either where `c`.
pub(crate) fn bban_matches(iban: &[u8]) -> bool {
    let Some((length, format)) = iban.get(..2).and_then(entry) else {
        return false;
    };
    if iban.len() != length {
        return false;
    }
    let mut bban = iban[4..].iter();
    let mut count = 0usize;
    for f in format.bytes() {
        if f.is_ascii_digit() {
            count = count * 10 + usize::from(f - b'0');
            continue;
        }
        for _ in 0..count {
            let Some(b) = bban.next() else { return false };
            let fits = match f {
                b'n' => b.is_ascii_digit(),
                b'a' => b.is_ascii_uppercase(),
                _ => b.is_ascii_uppercase() || b.is_ascii_digit(),
            };
            if !fits {
                return false;
            }
        }
        count = 0;
    }
    bban.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_lengths_add_up() {
        assert!(REGISTRY.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, length, format) in REGISTRY {
            let mut sum = 0;
            let mut count = 0;
            for f in format.bytes() {
                if f.is_ascii_digit() {
                    count = count * 10 + usize::from(f - b'0');
                } else {
                    sum += count;
                    count = 0;
                }
            }
            assert_eq!(sum + 4, *length, "{}", String::from_utf8_lossy(code));
        }
        assert_eq!(REGISTRY.len(), 89);
    }

    #[test]
    fn bban_format_is_checked() {
        assert!(bban_matches(b"GB82WEST12345698765432"));
        assert!(!bban_matches(b"GB82WE5T12345698765432")); // bank code is 4 letters
        assert!(!bban_matches(b"GB82WEST1234569876543A")); // account is digits
        assert!(bban_matches(b"RU0204452560040702810412345678901"));
        assert!(!bban_matches(b"QQ82WEST12345698765432"));
        assert!(!bban_matches(b"GB82WEST1234569876543"));
    }
}
