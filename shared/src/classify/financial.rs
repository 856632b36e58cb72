//! Financial detectors: payment card numbers, IBAN, SWIFT/BIC.

use super::checksum::{luhn, mod97, number};
use super::detector::{Candidate, Category, Confidence, Detector, Digits, Need, Rule, Verdict};

/// The financial detectors, in the order the pass tries them.
pub(crate) const DETECTORS: &[Detector] = &[
    Detector {
        id: "credit_card",
        category: Category::Financial,
        description: "Payment card number: issuer prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro), consistent separators, Luhn",
        keywords: &["card", "credit card", "card number", "cc", "cc num", "visa", "mastercard", "amex", "pan", "cardholder"],
        rule: Rule::Number {
            check: card,
            min_digits: 12,
        },
    },
    Detector {
        id: "iban",
        category: Category::Financial,
        description: "International Bank Account Number: country length (SWIFT IBAN registry) and ISO 13616 mod-97; written in lower case only with a keyword",
        keywords: &["iban", "account", "bank"],
        rule: Rule::Pattern {
            regex: r"\b[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b",
            check: iban,
        },
    },
    Detector {
        id: "swift_bic",
        category: Category::Financial,
        description: "SWIFT/BIC code (ISO 9362): bank, country, location and optional branch, with a keyword",
        keywords: &["swift", "bic", "swift code", "bic code", "swift/bic"],
        rule: Rule::Pattern {
            regex: r"\b[A-Z]{4}[A-Z]{2}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?\b",
            check: bic,
        },
    },
];

/// Card issuers by prefix (ISO/IEC 7812 IIN ranges as the networks publish them), with
/// the lengths each issues.
fn card_lengths(d: &[u8]) -> &'static [usize] {
    let p = |n: usize| number(&d[..n.min(d.len())]);
    let (p2, p3, p4, p6) = (p(2), p(3), p(4), p(6));
    match d.first() {
        Some(b'4') => &[13, 16, 19],
        _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => &[16],
        _ if p2 == 34 || p2 == 37 => &[15],
        _ if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => &[16, 17, 18, 19],
        _ if (622126..=622925).contains(&p6) || p2 == 62 => &[16, 17, 18, 19],
        _ if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 => {
            &[14, 15, 16, 17, 18, 19]
        }
        _ if (3528..=3589).contains(&p4) => &[16, 17, 18, 19],
        _ if matches!(
            p4,
            5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763
        ) =>
        {
            &[12, 13, 14, 15, 16, 17, 18, 19]
        }
        _ => &[],
    }
}

/// Card groupings seen in practice: none, fours (the last group shorter), or Amex and
/// Diners' 4-6-5 and 4-6-4; the separator is a space or a hyphen, the same throughout.
fn card_layout(d: &Digits<'_>) -> bool {
    if d.plain() {
        return true;
    }
    if !d.uniform || !matches!(d.separator, Some(b' ' | b'-')) {
        return false;
    }
    let (last, init) = d.groups.split_last().expect("at least two groups");
    (init.iter().all(|&g| g == 4) && (1..=4).contains(last))
        || d.groups == [4, 6, 5]
        || d.groups == [4, 6, 4]
}

/// Payment card number: 12 to 19 digits, a known issuer prefix and length, Luhn.
fn card(d: &Digits<'_>) -> Option<Need> {
    let ok = card_layout(d) && card_lengths(d.digits).contains(&d.digits.len()) && luhn(d.digits);
    ok.then_some(Need::Alone(Confidence::Medium))
}

/// IBAN length per country, from the SWIFT IBAN registry.
fn iban_length(country: &[u8]) -> Option<usize> {
    Some(match country {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        _ => return None,
    })
}

/// IBAN: the country's length (a trailing word the pattern took is dropped), then the
/// ISO 13616 check: the BBAN followed by the first four characters is 1 modulo 97.
fn iban(c: &Candidate<'_>) -> Option<Verdict> {
    let bytes = c.bytes();
    let want = iban_length(&bytes[..2].to_ascii_uppercase())?;
    let mut compact = Vec::with_capacity(want);
    let mut end = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b' ' {
            compact.push(b.to_ascii_uppercase());
            if compact.len() == want {
                end = i + 1;
                break;
            }
        }
    }
    // The value must stop at a group edge: the end of the candidate or a space.
    if compact.len() != want || !matches!(bytes.get(end), None | Some(b' ')) {
        return None;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]).copied();
    let need = Need::Alone(Confidence::High).keyword_if_lower_case(&bytes[..end]);
    (mod97(rearranged)? == 1).then_some(Verdict { span: 0..end, need })
}

/// Whether a BIC's country code (positions 5-6) names a country or territory: ISO 9362
/// takes any ISO 3166-1 alpha-2 code (and `XK`, Kosovo), which libphonenumber's
/// metadata lists as its regions (the Channel Islands and the Isle of Man included).
fn bic_country(code: &[u8]) -> bool {
    iban_length(code).is_some()
        || std::str::from_utf8(code)
            .is_ok_and(|id| phonenumber::metadata::DATABASE.by_id(id).is_some())
}

/// SWIFT/BIC: a known country in positions 5-6; needs a keyword (8 or 11 capitals alone
/// are too common to report).
fn bic(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    bic_country(&b[4..6]).then(|| Verdict::whole(c, Need::Keyword))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_clean, assert_finds};

    #[test]
    fn card_numbers_with_issuer_prefix_and_luhn_are_found() {
        for v in [
            "4539 5787 6362 1486",
            "4539-5787-6362-1486",
            "4539578763621486",
            "3782 822463 12340",
            "5425233430109903",
            "2223000048417239",
            "6011000400000000",
            "3530 1113 3331 2344",
        ] {
            assert_finds("credit_card", &format!("paid with {v} yesterday"), v);
        }
    }

    #[test]
    fn card_near_misses_are_not_found() {
        for text in [
            "paid with 4539 5787 6362 1487",  // Luhn fails
            "paid with 4539 5787 6362 14865", // 17 digits for Visa
            "paid with 9539578763621481",     // no issuer starts with 9
            "paid with 4539-5787 6362-1486",  // mixed separators
            "paid with 45395 78763 62148 6",  // not a card grouping
            "order id x4539578763621486",     // inside a word
            "test card 4111 1111 1111 1111",  // documented test number, allow-listed
            "stripe test card 4242424242424242",
            // Stripe's Diners, Braintree's Visa, Adyen's Visa, Mastercard and Maestro.
            "card number 3056930009020004",
            "card number 4005519200000004",
            "card number 4917610000000000",
            "card number 2222400070000005",
            "card number 6304000000000000",
        ] {
            assert_clean("credit_card", text);
        }
    }

    #[test]
    fn card_followed_by_cvv_in_same_run_is_still_found() {
        assert_finds(
            "credit_card",
            "card 4539578763621486 123",
            "4539578763621486",
        );
    }

    #[test]
    fn iban_with_and_without_spaces_is_found() {
        assert_finds(
            "iban",
            "IBAN: DE44 5001 0517 5407 3249 31.",
            "DE44 5001 0517 5407 3249 31",
        );
        assert_finds(
            "iban",
            "to FR7630006000011234567890189 please",
            "FR7630006000011234567890189",
        );
        assert_finds("iban", "BE71096123456769 PAYEE", "BE71096123456769");
        // Also the shape of a passport or licence number (two letters, 13 digits), which
        // needs a keyword: the IBAN, which validates, is tried first.
        assert_finds("iban", "IBAN NO7112345678903", "NO7112345678903");
    }

    /// The registry's example IBANs are documentation, not accounts (allow-listed);
    /// lower-case IBANs are read with a keyword.
    #[test]
    fn iban_registry_examples_and_lower_case() {
        for v in [
            "FR1420041010050500013M02606",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "NO9386011117947",
            "MT84MALT011000012345MTLCAST001S",
            "PL61109010140000071219812874",
            "GB29 NWBK 6016 1331 9268 19",
        ] {
            assert_clean("iban", &format!("IBAN: {v}"));
        }
        assert_finds(
            "iban",
            "iban: gb24nwbk60161332762079",
            "gb24nwbk60161332762079",
        );
        assert_finds(
            "iban",
            "IBAN gb24 nwbk 6016 1332 7620 79",
            "gb24 nwbk 6016 1332 7620 79",
        );
        assert_clean("iban", "ref gb24nwbk60161332762079");
    }

    #[test]
    fn iban_near_misses_are_not_found() {
        assert_clean("iban", "IBAN: DE44 5001 0517 5407 3249 32"); // mod 97 fails
        assert_clean("iban", "IBAN: DE44 5001 0517 5407 3249 3"); // too short for DE
        assert_clean("iban", "IBAN: QQ44 5001 0517 5407 3249 31"); // no such country
        assert_clean("iban", "IBAN GB82 WEST 1234 5698 7654 32"); // documented example
    }

    /// Real BICs of countries without IBANs (python-stdnum's BIC test list): Algeria,
    /// Angola, Barbados, Ecuador, Oman, Uruguay, Jersey, Isle of Man, Bangladesh, Ghana.
    #[test]
    fn bic_of_any_country_is_found() {
        for bic in [
            "AGUBDZAL", "ANCEAOLU", "BARBBBBB", "ECUAECEG", "BMUSOMRX", "BKUYUYMM", "HSBCJESH",
            "NWBKIMD1", "SCBLBDDX", "SCBLGHAC",
        ] {
            assert_finds(
                "swift_bic",
                &format!("send the wire to BIC {bic} today"),
                bic,
            );
        }
        // Not a country: ZZ, QQ.
        assert_clean("swift_bic", "BIC ABCDZZ22");
        assert_clean("swift_bic", "BIC ABCDQQ22");
    }

    #[test]
    fn bic_needs_a_keyword_and_a_known_country() {
        assert_finds("swift_bic", "SWIFT code: DEUTDEFF500", "DEUTDEFF500");
        assert_finds("swift_bic", "BIC NWBKGB2L", "NWBKGB2L");
        assert_clean("swift_bic", "the word NWBKGB2L alone");
        assert_clean("swift_bic", "SWIFT: DEUTQQFF"); // QQ is no country
    }
}
