//! Financial detectors: payment card numbers, IBAN, SWIFT/BIC.

use super::checksum::{luhn, mod97, number};
use super::detector::{Candidate, Category, Confidence, Detector, Digits, Need, Rule, Verdict};
use super::iban_registry::{bban_matches, iban_length};

/// The financial detectors, in the order the pass tries them.
pub(crate) const DETECTORS: &[Detector] = &[
    Detector {
        id: "credit_card",
        category: Category::Financial,
        description: "Payment card number: issuer prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB and legacy 15-digit JCB, UnionPay, Maestro, Mir, RuPay, Verve, Troy, Elo, Hipercard), consistent separators, Luhn; a number in Maestro's wider range (50, 56-69) outside its own prefixes, a legacy JCB, or 17 to 19 digits without separators (what 64-bit ids print as), only with a keyword; never the digits after a decimal point; not after a keyword naming another identifier of the same shape (SIRET, SIREN, IMEI, ISBN, EAN, tracking or order number...)",
        keywords: &["card", "credit card", "card number", "cc", "cc num", "visa", "mastercard", "amex", "pan", "cardholder", "maestro", "jcb"],
        rule: Rule::Number {
            check: card,
            min_digits: 12,
            not_after: OTHER_IDENTIFIERS,
        },
    },
    Detector {
        id: "iban",
        category: Category::Financial,
        description: "International Bank Account Number: country length and BBAN format (SWIFT IBAN registry, release 101) and ISO 13616 mod-97, compact or grouped by spaces or hyphens; written in lower case, or in groups wrapped onto the next line, only with a keyword",
        keywords: &["iban", "account", "bank"],
        rule: Rule::Pattern {
            regex: r"\b[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,3})?\b",
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

/// Keywords naming identifiers that are not payment cards but share a card's shape
/// (digits, Luhn, an issuer-like prefix): French company numbers (SIRET, 14 digits with a
/// Luhn check by design; SIREN, 9), device ids (IMEI and IMEISV, 15-16 digits with Luhn;
/// MEID; a SIM's ICCID), article numbers (ISBN, ISSN, EAN, GTIN, UPC, SKU) and order,
/// invoice and shipment numbers. A card candidate with one of these within the keyword
/// distance before it is not reported, unless a card keyword is nearer (`SIRET ...,
/// card 4539...` is still a card). The one list of the negative keywords.
pub(crate) const OTHER_IDENTIFIERS: &[&str] = &[
    "siret",
    "siren",
    "sire",
    "imei",
    "imeisv",
    "meid",
    "iccid",
    "isbn",
    "issn",
    "ean",
    "gtin",
    "upc",
    "sku",
    "tracking",
    "tracking number",
    "tracking no",
    "order number",
    "order#",
    "order no",
    "order id",
    "invoice",
    "invoice number",
    "invoice no",
    "shipment",
    "parcel",
];

/// What an issuer's numbers need to be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issued {
    /// Its own prefix: reported alone.
    Alone,
    /// A prefix wide enough (or rare enough) that a number of this length is reported
    /// only with a keyword.
    WithKeyword,
}

/// Card issuers by prefix (ISO/IEC 7812 IIN ranges as the networks publish them), with
/// the lengths each issues, and whether such a number is reported alone. Every length
/// still needs Luhn and a card grouping.
fn card_issuer(d: &[u8]) -> Option<Issued> {
    let p = |n: usize| number(&d[..n.min(d.len())]);
    let (p2, p3, p4, p6) = (p(2), p(3), p(4), p(6));
    let len = d.len();
    let alone = |lengths: &[usize]| lengths.contains(&len).then_some(Issued::Alone);
    match d.first() {
        // Visa (Electron, and the Elo ranges inside 4).
        Some(b'4') => return alone(&[13, 16, 19]),
        // Legacy JCB: 15 digits after 1800 or 2131; rare today, so with a keyword.
        Some(b'1' | b'2') if (p4 == 1800 || p4 == 2131) && len == 15 => {
            return Some(Issued::WithKeyword)
        }
        _ => {}
    }
    let lengths: &[usize] = match () {
        // Mastercard.
        _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => &[16],
        // Mir, then BORICA.
        _ if (2200..=2204).contains(&p4) => &[16, 17, 18, 19],
        _ if p4 == 2205 => &[16],
        // American Express.
        _ if p2 == 34 || p2 == 37 => &[15],
        // Discover (and RuPay, Troy and Verve inside 65), UnionPay.
        _ if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => &[16, 17, 18, 19],
        _ if (622126..=622925).contains(&p6) || p2 == 62 => &[16, 17, 18, 19],
        // Diners Club (and Hipercard's 3841).
        _ if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 => {
            &[14, 15, 16, 17, 18, 19]
        }
        // JCB.
        _ if (3528..=3589).contains(&p4) => &[16, 17, 18, 19],
        // Maestro's own prefixes.
        _ if matches!(
            p4,
            5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763
        ) =>
        {
            &[12, 13, 14, 15, 16, 17, 18, 19]
        }
        // RuPay (60, 81, 82; 508 is inside Maestro's 50), Troy, UzCard, Humo.
        _ if p2 == 60 || p2 == 81 || p2 == 82 || p4 == 9792 || p4 == 8600 || p4 == 9860 => &[16],
        // Maestro's whole range (50, 56-69: Verve's 506099-506198 and 507865-507964,
        // Elo's 50xxxx and 636xxx, InterPayment, InstaPayment): a fifth of all
        // prefixes, so with a keyword (a bare 12-digit run is an account id or an order
        // number as often).
        _ if p2 == 50 || (56..=69).contains(&p2) => {
            return (12..=19).contains(&len).then_some(Issued::WithKeyword);
        }
        _ => &[],
    };
    alone(lengths)
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
    if !card_layout(d) || !luhn(d.digits) {
        return None;
    }
    Some(match card_issuer(d.digits)? {
        // 17 to 19 digits in one run are what 64-bit ids print as (trace and span ids,
        // Snowflake and event ids: a tenth pass Luhn); cards that long are rare and
        // usually grouped, so a plain one needs a keyword.
        Issued::Alone if d.plain() && d.digits.len() >= 17 => Need::Keyword,
        Issued::Alone => Need::Alone(Confidence::Medium),
        Issued::WithKeyword => Need::Keyword,
    })
}

/// IBAN: the country's length (a trailing word the pattern took is dropped) and BBAN
/// format (SWIFT IBAN registry, see `iban_registry`), then the ISO 13616 check: the BBAN followed by the first four characters is 1 modulo 97. Groups
/// are separated by spaces or by hyphens (`BE31-4354-1116-1155`), the same throughout.
fn iban(c: &Candidate<'_>) -> Option<Verdict> {
    let bytes = c.bytes();
    let want = iban_length(&bytes[..2].to_ascii_uppercase())?;
    let separator = bytes.iter().copied().find(|b| matches!(b, b' ' | b'-'));
    let mut compact = Vec::with_capacity(want);
    let mut end = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if Some(b) == separator {
            continue;
        }
        if matches!(b, b' ' | b'-') {
            // Spaces and hyphens mixed: not one way of writing it.
            return None;
        }
        compact.push(b.to_ascii_uppercase());
        if compact.len() == want {
            end = i + 1;
            break;
        }
    }
    if compact.len() < want && separator.is_some() {
        return wrapped_iban(c, separator, compact, want);
    }
    // The value must stop at a group edge: the end of the candidate or a separator.
    if compact.len() != want || !matches!(bytes.get(end), None | Some(b' ' | b'-')) {
        return None;
    }
    if !bban_matches(&compact) {
        return None;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]).copied();
    let need = Need::Alone(Confidence::High).keyword_if_lower_case(&bytes[..end]);
    (mod97(rearranged)? == 1).then_some(Verdict { span: 0..end, need })
}

/// An IBAN printed in groups and wrapped onto the next line (an e-mail or invoice body:
/// `IBAN: GB82 WEST 1234` then `5698 7654 32`): the candidate ends with a whole group of
/// four at a line break, and the groups after the break (indentation and `>` quote marks
/// skipped) complete the country's length at a group edge. Read with a keyword only: a
/// join of two lines is a guess the check digits confirm.
fn wrapped_iban(
    c: &Candidate<'_>,
    separator: Option<u8>,
    mut compact: Vec<u8>,
    want: usize,
) -> Option<Verdict> {
    let bytes = c.bytes();
    let last_group = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if last_group != 4 {
        return None;
    }
    let rest = &c.hay[c.span.end..];
    let mut i = super::lines::continuation(rest, 0)?;
    let mut group = 0;
    while compact.len() < want {
        match rest.get(i) {
            Some(b) if b.is_ascii_alphanumeric() && group < 4 => {
                compact.push(b.to_ascii_uppercase());
                group += 1;
            }
            Some(&b) if Some(b) == separator && group == 4 => group = 0,
            _ => return None,
        }
        i += 1;
    }
    if rest.get(i).is_some_and(u8::is_ascii_alphanumeric) || !bban_matches(&compact) {
        return None;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]).copied();
    (mod97(rearranged)? == 1).then_some(Verdict {
        span: 0..bytes.len() + i,
        need: Need::Keyword,
    })
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

    /// Trial 7, D1 and D4: the digits after a decimal point (coordinates, scores) and
    /// 64-bit ids printed plain (trace, span, event ids) passed for cards.
    #[test]
    fn fractions_and_plain_64_bit_ids_are_not_cards() {
        for text in [
            "29,-84.3520028084428,-108.94145168576901,0.4539578763621486",
            "{\"lat\": 12.4539578763621486}",
            "score 0.4539578763621486 ok",
            "dd.trace_id=4539578763621480001 dd.span_id=1",
            "{\"event_id\": 4539578763621480001}",
        ] {
            assert_clean("credit_card", text);
        }
        assert_finds(
            "credit_card",
            "card number 4539578763621480001",
            "4539578763621480001",
        );
        assert_finds(
            "credit_card",
            "paid with 4539 5787 6362 1480 001",
            "4539 5787 6362 1480 001",
        );
        // A card after a number run's other groups is still one.
        assert_finds("credit_card", "ref 12 4539578763621486", "4539578763621486");
    }

    /// The networks' published IIN ranges (trial 6, D12): 12-digit Maestro and the legacy
    /// 15-digit JCB (1800, 2131) with a keyword; Mir, Troy and RuPay alone.
    #[test]
    fn maestro_legacy_jcb_mir_troy_rupay_are_found() {
        for v in [
            "578620579867",
            "639029022279",
            "5786749118625",
            "180033043483950",
            "213122202972993",
        ] {
            assert_finds("credit_card", &format!("card number {v} (test)"), v);
            assert_finds("credit_card", &format!("Maestro {v}"), v);
        }
        assert_finds("credit_card", "card 5786 3194 8754", "5786 3194 8754");
        for v in ["2200526018159085", "9792301661318605", "8200913909960309"] {
            assert_finds("credit_card", &format!("paid with {v} today"), v);
        }
    }

    #[test]
    fn wider_card_ranges_near_misses_are_not_found() {
        for text in [
            "account 578620579867 created", // Maestro's wide range needs a keyword
            "id 180033043483950",           // legacy JCB needs a keyword
            "card number 578620579868",     // Luhn fails
            "card number 1800330434839",    // legacy JCB is 15 digits
            "card number 2131222029729930", // ... and only 15
            "card number 5786-3194 8754",   // mixed separators
            "card number 57863 19487 54",   // not a card grouping
            "paid with 2206526018159085",   // 2206 is no issuer's
            "paid with 97923016613186050",  // Troy is 16 digits
        ] {
            assert_clean("credit_card", text);
        }
    }

    /// A keyword naming another identifier before a card-shaped number (trial 6, D5):
    /// SIRET numbers have a Luhn check by design, IMEIs too; an own keyword nearer wins.
    #[test]
    fn card_shaped_numbers_named_as_other_identifiers_are_not_cards() {
        for text in [
            "Item SIRET: 30206838200050 recorded in the catalogue.",
            "Item SIRET: 38446899700034 recorded in the catalogue.",
            "siret 302 068 382 00050",
            "IMEI 378246281948219",
            "EAN 4993518190931",
            "tracking number 4539578763621486",
            "Invoice 4539 5787 6362 1486 is due",
            "order#: 36786579754328",
            "GTIN-14: 36786579754328",
        ] {
            assert_clean("credit_card", text);
        }
        assert_finds(
            "credit_card",
            "IMEI unknown; card: 4539578763621486",
            "4539578763621486",
        );
        assert_finds(
            "credit_card",
            "SIRET / card 30206838200050",
            "30206838200050",
        );
        assert_finds("credit_card", "paid 378246281948219", "378246281948219");
        assert_finds("credit_card", "paid 4993518190931", "4993518190931");
        // Further than the keyword distance, the other identifier's keyword does not count.
        assert_finds(
            "credit_card",
            "the invoice was paid in full last week with 4539578763621486",
            "4539578763621486",
        );
        // A column named for another identifier.
        let csv = "siret,name\n30206838200050,a\n38446899700034,b\n";
        let r = crate::classify::tests::shared()
            .classify_stream(
                &crate::classify::ObjectFormat::Csv { delimiter: b',' },
                csv.as_bytes(),
                &crate::classify::SampleLimits::NONE,
            )
            .unwrap();
        assert!(
            r.findings.iter().all(|f| f.detector != "credit_card"),
            "{r:?}"
        );
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

    /// Grouped by hyphens (trial 6, D6), the same throughout.
    #[test]
    fn iban_grouped_by_hyphens_is_found() {
        assert_finds(
            "iban",
            "update the IBAN BE31-4354-1116-1155 in the HR system",
            "BE31-4354-1116-1155",
        );
        assert_finds(
            "iban",
            "IBAN DE37-1463-7448-1727-8215-26.",
            "DE37-1463-7448-1727-8215-26",
        );
        assert_clean("iban", "IBAN BE31-4354 1116-1155"); // mixed separators
        assert_clean("iban", "IBAN BE31-4354-1116-1156"); // mod 97 fails
    }

    #[test]
    fn iban_near_misses_are_not_found() {
        assert_clean("iban", "IBAN: DE44 5001 0517 5407 3249 32"); // mod 97 fails
        assert_clean("iban", "IBAN: DE44 5001 0517 5407 3249 3"); // too short for DE
        assert_clean("iban", "IBAN: QQ44 5001 0517 5407 3249 31"); // no such country
        assert_clean("iban", "IBAN GB82 WEST 1234 5698 7654 32"); // documented example
    }

    /// Countries the SWIFT registry added since 2020 (trial 7's D3: values re-checksummed
    /// from the registry's examples, each valid for python-stdnum), compact and grouped;
    /// a BBAN that breaks its country's format is not an IBAN even when mod 97 passes.
    #[test]
    fn iban_countries_added_to_the_registry_since_2020_are_found() {
        for v in [
            "LY10002048000020100120317",
            "SD7429010501234017",
            "BI2410000100010000332045117",
            "DJ4100010000000154000100117",
            "RU5704452522540817810538091310417",
            "SO871000001001000100117",
            "NI40BAPR00000013000003558117",
            "MN771234123456789117",
            "FK50SC123456789017",
            "OM670180000001299123417",
            "YE86CBYE0001018861234567891217",
            "HN37CABF00000000000250005417",
            "BY39NBRB3600900000002Z00AB17",
            "EG210019000500000000263180017",
            "IQ60NBIQ850123456789017",
            "SV84CENR00000000000000700017",
            "VA57001123000012345617",
            "ST30000100010051845310117",
            "GT16TRAJ01020000001210029617",
        ] {
            assert_finds("iban", &format!("Please pay to IBAN {v} today."), v);
            assert_finds("iban", &format!("{v} paid"), v);
        }
        // Grouped by four, as printed.
        assert_finds(
            "iban",
            "IBAN RU57 0445 2522 5408 1781 0538 0913 1041 7",
            "RU57 0445 2522 5408 1781 0538 0913 1041 7",
        );
        // The registry's own examples are documentation (allow-listed).
        assert_clean("iban", "IBAN LY83002048000020100120361");
        assert_clean("iban", "IBAN RU0304452522540817810538091310419");
        // One digit off: mod 97 fails.
        assert_clean("iban", "IBAN LY10002048000020100120318");
        // Mod 97 passes (check digits recomputed) but the BBAN breaks the format: Yemen's
        // bank code is four letters, Mongolia's account is digits.
        assert_clean("iban", "IBAN YE5312340001018861234567891217");
        assert_clean("iban", "IBAN MN31123412345678911A");
    }

    /// An IBAN printed in groups and wrapped onto the next line is one value, with a
    /// keyword; the next line must complete it at a group edge, and the check digits hold.
    #[test]
    fn iban_wrapped_onto_the_next_line_is_found_with_a_keyword() {
        for (text, value) in [
            (
                "IBAN: DE44 5001 0517\n5407 3249 31",
                "DE44 5001 0517\n5407 3249 31",
            ),
            (
                "IBAN: DE44 5001 0517 5407\r\n> 3249 31 thanks",
                "DE44 5001 0517 5407\r\n> 3249 31",
            ),
            (
                "Bank account (IBAN) FR76 3000 6000 0112\n   3456 7890 189",
                "FR76 3000 6000 0112\n   3456 7890 189",
            ),
        ] {
            assert_finds("iban", text, value);
        }
        for text in [
            "ref DE44 5001 0517\n5407 3249 31",
            "IBAN: DE44 5001 0517\n5407 3249 32",
            "IBAN: DE44 5001 0517\n5407 3249 3100",
            "IBAN: DE44 5001 051\n75407 3249 31",
        ] {
            assert_clean("iban", text);
        }
        // The scan goes on after the wrapped value: its second line is not read again.
        let r =
            super::super::tests::shared().classify_bytes(b"IBAN: DE44 5001 0517\n5407 3249 31\n");
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
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
