//! National identifiers: each with its format and check rule, and a keyword where the
//! bare number is too common to report alone.

use super::checksum::{luhn, mod97, number, valid_date, verhoeff};
use super::detector::{Candidate, Category, Confidence, Detector, Digits, Need, Rule, Verdict};

const MEDIUM: Need = Need::Alone(Confidence::Medium);

/// The Spanish DNI's shape: 7-8 digits (or dotted) and a letter. Other detectors whose
/// values have this shape (Vermont's and Maine's licence numbers, 1234567A) use this same
/// pattern: one pattern slot then tries each detector's check in turn, where two patterns
/// would let the first, rejected, hide the second at the same place.
pub(crate) const DIGITS_THEN_LETTER: &str =
    r"\b(?:[0-9]{7,8}|[0-9]{2}\.[0-9]{3}\.[0-9]{3})[- ]?[A-Za-z]\b";

/// The phone number detector's keywords that name a number as a phone number rather
/// than a national id of the same digits (its `call` is left out: `call NHS 111`).
const PHONE_WORDS: &[&str] = &["phone", "telephone", "tel", "mobile", "cell", "fax"];

/// The national id detectors, in the order the pass tries them.
pub(crate) const DETECTORS: &[Detector] = &[
    Detector {
        id: "us_ssn",
        category: Category::NationalId,
        description: "US Social Security number: area not 000/666/9xx, group not 00, serial not 0000 (SSA); unformatted needs a keyword",
        keywords: &["ssn", "ssn#", "social security", "social security number", "social sec", "ss num"],
        rule: Rule::Number {
            check: us_ssn,
            min_digits: 9,
            not_after: &[],
        },
    },
    Detector {
        id: "us_itin",
        category: Category::NationalId,
        description: "US Individual Taxpayer Identification Number: 9xx with group 50-65, 70-88, 90-92 or 94-99 (IRS); unformatted needs a keyword",
        keywords: &["itin", "taxpayer identification", "tax id"],
        rule: Rule::Number {
            check: us_itin,
            min_digits: 9,
            not_after: &[],
        },
    },
    Detector {
        id: "uk_nino",
        category: Category::NationalId,
        description: "UK National Insurance number: HMRC prefix rules (no D F I Q U V, second letter not O, no BG GB KN NK NT TN ZZ), suffix A-D; in lower case only with a keyword",
        keywords: &["national insurance", "nino", "ni number", "insurance number"],
        rule: Rule::Pattern {
            regex: r"\b(?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?(?i:[A-D])\b",
            check: uk_nino,
        },
    },
    Detector {
        id: "uk_nhs",
        category: Category::NationalId,
        description: "UK NHS number: 10 digits, modulus 11 check digit (NHS Data Dictionary); needs a keyword",
        keywords: &["nhs", "nhs number", "nhs no", "national health service"],
        rule: Rule::Number {
            check: uk_nhs,
            min_digits: 10,
            // A phone keyword nearer the number than the NHS keyword makes it a phone
            // number (`NHS no 0123456789 and phone 404-555-1212`).
            not_after: PHONE_WORDS,
        },
    },
    Detector {
        id: "ca_sin",
        category: Category::NationalId,
        description: "Canadian Social Insurance Number: 9 digits, Luhn (ESDC); needs a keyword",
        keywords: &["sin", "social insurance", "social insurance number", "numero d'assurance sociale", "nas"],
        rule: Rule::Number {
            check: ca_sin,
            min_digits: 9,
            not_after: &[],
        },
    },
    Detector {
        id: "es_dni",
        category: Category::NationalId,
        description: "Spanish DNI: 8 digits (also dotted, 12.345.678-Z) and the mod-23 control letter (Real Decreto 1553/2005); 7 digits (a leading 0 left out) or a lower-case letter only with a keyword; not the mantissa of a number in E notation",
        keywords: &["dni", "documento nacional", "nif"],
        rule: Rule::Pattern {
            regex: DIGITS_THEN_LETTER,
            check: es_dni,
        },
    },
    Detector {
        id: "es_nie",
        category: Category::NationalId,
        description: "Spanish NIE: X/Y/Z, 7 digits and the mod-23 control letter (X=0, Y=1, Z=2); in lower case only with a keyword",
        keywords: &["nie", "numero de identidad de extranjero", "extranjero"],
        rule: Rule::Pattern {
            regex: r"\b(?i:[XYZ])-?[0-9]{7}-?(?i:[A-Z])\b",
            check: es_nie,
        },
    },
    Detector {
        id: "it_codice_fiscale",
        category: Category::NationalId,
        description: "Italian codice fiscale: 16 characters, check character by the odd/even tables of DM 23/12/1976; in lower case only with a keyword",
        keywords: &["codice fiscale", "cf", "tax code"],
        rule: Rule::Pattern {
            regex: r"(?i)\b[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b",
            check: it_codice_fiscale,
        },
    },
    Detector {
        id: "in_aadhaar",
        category: Category::NationalId,
        description: "Indian Aadhaar number: 12 digits, first 2-9, Verhoeff check (UIDAI); unformatted needs a keyword",
        keywords: &["aadhaar", "aadhar", "uid", "uidai"],
        rule: Rule::Number {
            check: in_aadhaar,
            min_digits: 12,
            not_after: &[],
        },
    },
    Detector {
        id: "in_pan",
        category: Category::NationalId,
        description: "Indian Permanent Account Number: AAAPL1234C shape with a holder-type letter (Income Tax Department); no check digit, low confidence alone; in lower case only with a keyword",
        keywords: &["pan", "permanent account number", "income tax"],
        rule: Rule::Pattern {
            regex: r"(?i)\b[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]\b",
            check: in_pan,
        },
    },
    Detector {
        id: "au_tfn",
        category: Category::NationalId,
        description: "Australian Tax File Number: 8 or 9 digits, weighted modulus 11 (ATO); needs a keyword",
        keywords: &["tfn", "tax file number", "tax file"],
        rule: Rule::Number {
            check: au_tfn,
            min_digits: 8,
            not_after: &[],
        },
    },
    Detector {
        id: "au_medicare",
        category: Category::NationalId,
        description: "Australian Medicare number: 10 or 11 digits, first 2-6, weighted check digit (Services Australia); needs a keyword",
        keywords: &["medicare"],
        rule: Rule::Number {
            check: au_medicare,
            min_digits: 10,
            not_after: &[],
        },
    },
    Detector {
        id: "br_cpf",
        category: Category::NationalId,
        description: "Brazilian CPF: 11 digits, two modulus 11 check digits (Receita Federal); unformatted, or grouped by spaces (390 533 447 05), needs a keyword",
        keywords: &["cpf", "cadastro de pessoas"],
        rule: Rule::Number {
            check: br_cpf,
            min_digits: 11,
            not_after: &[],
        },
    },
    Detector {
        id: "fr_nir",
        category: Category::NationalId,
        description: "French NIR (numero de securite sociale): 13 digits and a key of 97 minus the number modulo 97 (INSEE); unformatted needs a keyword",
        keywords: FR_NIR_KEYWORDS,
        rule: Rule::Number {
            check: fr_nir,
            min_digits: 15,
            not_after: &[],
        },
    },
    Detector {
        id: "fr_nir",
        category: Category::NationalId,
        description: "French NIR born in Corsica: department 2A or 2B, key computed with 2A read as 19 and 2B as 18 (INSEE)",
        keywords: FR_NIR_KEYWORDS,
        rule: Rule::Pattern {
            regex: r"\b[12] ?[0-9]{2} ?[0-9]{2} ?2[ABab] ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}\b",
            check: fr_nir_corsica,
        },
    },
    Detector {
        id: "de_tax_id",
        category: Category::NationalId,
        description: "German tax identification number (Steuer-IdNr): 11 digits, digit-repetition rule and ISO 7064 MOD 11,10 (BZSt); needs a keyword",
        keywords: &["steuer-id", "steueridentifikationsnummer", "steuer-idnr", "idnr", "tax id", "steuernummer", "steuerliche identifikationsnummer", "tin"],
        rule: Rule::Number {
            check: de_tax_id,
            min_digits: 11,
            not_after: &[],
        },
    },
    Detector {
        id: "sg_nric",
        category: Category::NationalId,
        description: "Singapore NRIC/FIN (S, T, F, G and M series): weighted check letter (ICA; M series from 2022: offset 3, letters KLJNPQRTUWX); in lower case only with a keyword",
        keywords: &["nric", "fin", "identity card"],
        rule: Rule::Pattern {
            regex: r"\b(?i:[STFGM])[0-9]{7}(?i:[A-Z])\b",
            check: sg_nric,
        },
    },
    Detector {
        id: "pl_pesel",
        category: Category::NationalId,
        description: "Polish PESEL: 11 digits, birth date with century in the month, weighted check digit; needs a keyword",
        keywords: &["pesel"],
        rule: Rule::Number {
            check: pl_pesel,
            min_digits: 11,
            not_after: &[],
        },
    },
    Detector {
        id: "fi_hetu",
        category: Category::NationalId,
        description: "Finnish personal identity code (HETU): birth date, century sign, individual number and the mod-31 check character (DVV); in lower case only with a keyword",
        keywords: &["hetu", "henkilötunnus", "henkilotunnus", "personal identity code"],
        rule: Rule::Pattern {
            regex: r"\b[0-9]{6}(?i:[-+A-FU-Y])[0-9]{3}(?i:[0-9A-Y])\b",
            check: fi_hetu,
        },
    },
];

const FR_NIR_KEYWORDS: &[&str] = &[
    "nir",
    "securite sociale",
    "sécurité sociale",
    "numero de securite sociale",
    "insee",
];

fn digit(d: &[u8], i: usize) -> u32 {
    u32::from(d[i] - b'0')
}

fn all_same(d: &[u8]) -> bool {
    d.iter().all(|&x| x == d[0])
}

/// Formatted with a space or hyphen as `layout`, or unformatted (then a keyword is needed).
fn formatted_or_plain(d: &Digits<'_>, layout: &[usize], formatted: Need) -> Option<Need> {
    if d.plain() {
        Some(Need::Keyword)
    } else if d.layout_is(layout) && matches!(d.separator, Some(b'-' | b' ')) {
        Some(formatted)
    } else {
        None
    }
}

/// US SSN (SSA, "The SSN numbering scheme"; area 9xx is reserved for ITINs).
fn us_ssn(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 9 {
        return None;
    }
    let (area, group, serial) = (
        number(&d.digits[..3]),
        number(&d.digits[3..5]),
        number(&d.digits[5..]),
    );
    // Nine equal digits (111-11-1111) are a form's filler, never issued.
    let repeated = d.digits.iter().all(|&x| x == d.digits[0]);
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 || repeated {
        return None;
    }
    // Dotted (`078.05.1123`, presidio's "medium match"): a keyword says it is an SSN.
    if d.layout_is(&[3, 2, 4]) && d.separator == Some(b'.') {
        return Some(Need::Keyword);
    }
    formatted_or_plain(d, &[3, 2, 4], MEDIUM)
}

/// US ITIN (IRS, "Individual Taxpayer Identification Number"): 9xx-[50-65|70-88|90-92|94-99]-xxxx.
fn us_itin(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 9 || d.digits[0] != b'9' {
        return None;
    }
    let group = number(&d.digits[3..5]);
    if !matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99) {
        return None;
    }
    formatted_or_plain(d, &[3, 2, 4], MEDIUM)
}

/// UK NINO (HMRC National Insurance Manual NIM39110): prefix letters, all or no spaces;
/// one space after the prefix alone (`PR 123612C`) with a keyword.
fn uk_nino(c: &Candidate<'_>) -> Option<Verdict> {
    let upper = c.bytes().to_ascii_uppercase();
    let b = &upper[..];
    let spaces = b.iter().filter(|&&x| x == b' ').count();
    let prefix_spaced = spaces == 1 && b[2] == b' ';
    if spaces != 0 && spaces != 4 && !prefix_spaced {
        return None;
    }
    let prefix = &b[..2];
    if matches!(
        prefix,
        b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
    ) {
        return None;
    }
    let need = if prefix_spaced { Need::Keyword } else { MEDIUM };
    Some(Verdict::whole(c, need.keyword_if_lower_case(c.bytes())))
}

/// NHS number (NHS Data Dictionary, "NHS Number"): weights 10..2, 11 - (sum mod 11),
/// 11 becomes 0 and 10 is never issued.
fn uk_nhs(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 10 || all_same(d.digits) {
        return None;
    }
    let sum: u32 = (0..9).map(|i| digit(d.digits, i) * (10 - i as u32)).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    if check != digit(d.digits, 9) {
        return None;
    }
    formatted_or_plain(d, &[3, 3, 4], Need::Keyword)
}

/// Canadian SIN (ESDC): Luhn; 0 and 8 are never the first digit.
fn ca_sin(d: &Digits<'_>) -> Option<Need> {
    let ok = d.digits.len() == 9 && !matches!(d.digits[0], b'0' | b'8') && luhn(d.digits);
    ok.then_some(())?;
    formatted_or_plain(d, &[3, 3, 3], Need::Keyword)
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

fn dni_letter_ok(n: u32, letter: u8) -> bool {
    DNI_LETTERS[(n % 23) as usize] == letter
}

/// Spanish DNI: the letter is `TRWAGMYFPDXBNJZSQVHLCKE`[number mod 23]. Written as 8
/// digits, or dotted by thousands (`12.345.678-Z`); 7 digits (the leading 0 left out), a
/// lower-case letter and a letter after a space are common too but also look like other
/// ids or text, so they need a keyword. The digits of a number in E notation (`5.70064485E+10`) are not a DNI.
fn es_dni(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let letter = *b.last()?;
    let digits: Vec<u8> = b.iter().copied().filter(u8::is_ascii_digit).collect();
    let exponent = matches!(letter, b'E' | b'e') && matches!(c.after(), Some(b'+' | b'-'));
    let fraction =
        c.before() == Some(b'.') && c.preceding(2).first().is_some_and(u8::is_ascii_digit);
    if exponent || fraction || matches!(c.before(), Some(b'.' | b',')) {
        return None;
    }
    // 00000000T passes the check but is a form's placeholder, never issued.
    let placeholder = digits.iter().all(|&d| d == b'0');
    if placeholder || !dni_letter_ok(number(&digits), letter.to_ascii_uppercase()) {
        return None;
    }
    // A letter after a space may be the next word (`12345678 I think`).
    let spaced = b.contains(&b' ');
    let need = if digits.len() == 8 && letter.is_ascii_uppercase() && !spaced {
        MEDIUM
    } else {
        Need::Keyword
    };
    Some(Verdict::whole(c, need))
}

/// Spanish NIE: X, Y, Z stand for 0, 1, 2, then the DNI rule. Lower case needs a keyword.
fn es_nie(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let digits: Vec<u8> = b.iter().copied().filter(u8::is_ascii_digit).collect();
    let lead = u32::from(b[0].to_ascii_uppercase().checked_sub(b'X')?);
    let letter = b.last()?.to_ascii_uppercase();
    // X0000000T: a placeholder, as for the DNI.
    let placeholder = digits.iter().all(|&d| d == b'0');
    (!placeholder && dni_letter_ok(lead * 10_000_000 + number(&digits), letter))
        .then(|| Verdict::whole(c, MEDIUM.keyword_if_lower_case(b)))
}

/// Codice fiscale check character (DM 23 December 1976, annex): characters in odd
/// positions map through a fixed table, even ones to their value; sum mod 26 is a letter.
fn it_codice_fiscale(c: &Candidate<'_>) -> Option<Verdict> {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let upper = c.bytes().to_ascii_uppercase();
    let b = &upper[..];
    let value = |x: u8| match x {
        b'0'..=b'9' => u32::from(x - b'0'),
        _ => u32::from(x - b'A'),
    };
    let sum: u32 = b[..15]
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                ODD[value(x) as usize]
            } else {
                value(x)
            }
        })
        .sum();
    (u32::from(b[15] - b'A') == sum % 26)
        .then(|| Verdict::whole(c, MEDIUM.keyword_if_lower_case(c.bytes())))
}

/// Aadhaar (UIDAI): 12 digits, never starting with 0 or 1, Verhoeff.
fn in_aadhaar(d: &Digits<'_>) -> Option<Need> {
    let ok = d.digits.len() == 12 && d.digits[0] >= b'2' && verhoeff(d.digits);
    ok.then_some(())?;
    formatted_or_plain(d, &[4, 4, 4], MEDIUM)
}

/// Indian PAN: the shape alone (it carries no check digit); lower case needs a keyword.
fn in_pan(c: &Candidate<'_>) -> Option<Verdict> {
    let need = Need::Alone(Confidence::Low).keyword_if_lower_case(c.bytes());
    Some(Verdict::whole(c, need))
}

/// Australian TFN (ATO algorithm): weighted sum divisible by 11.
fn au_tfn(d: &Digits<'_>) -> Option<Need> {
    if !tfn_valid(d.digits) {
        return None;
    }
    let layout: &[usize] = if d.digits.len() == 9 {
        &[3, 3, 3]
    } else {
        &[3, 3, 2]
    };
    formatted_or_plain(d, layout, Need::Keyword)
}

/// Whether 8 or 9 digits are a TFN by the ATO's weighted modulus 11 (not all one digit).
pub(crate) fn tfn_valid(digits: &[u8]) -> bool {
    let weights: &[u32] = match digits.len() {
        9 => &[1, 4, 3, 7, 5, 8, 6, 9, 10],
        8 => &[10, 7, 8, 4, 6, 3, 5, 1],
        _ => return false,
    };
    if !digits.iter().all(u8::is_ascii_digit) || all_same(digits) {
        return false;
    }
    let sum: u32 = weights
        .iter()
        .enumerate()
        .map(|(i, w)| w * digit(digits, i))
        .sum();
    sum % 11 == 0
}

/// Australian Medicare card number: first digit 2-6, the ninth digit is the weighted
/// sum (1, 3, 7, 9, 1, 3, 7, 9) of the first eight mod 10; an optional issue digit follows.
fn au_medicare(d: &Digits<'_>) -> Option<Need> {
    let n = d.digits.len();
    if !(10..=11).contains(&n) || !(b'2'..=b'6').contains(&d.digits[0]) {
        return None;
    }
    const W: [u32; 8] = [1, 3, 7, 9, 1, 3, 7, 9];
    let sum: u32 = W
        .iter()
        .enumerate()
        .map(|(i, w)| w * digit(d.digits, i))
        .sum();
    if sum % 10 != digit(d.digits, 8) {
        return None;
    }
    let layout: &[usize] = if n == 10 { &[4, 5, 1] } else { &[4, 5, 1, 1] };
    formatted_or_plain(d, layout, Need::Keyword)
}

/// Brazilian CPF (Receita Federal): two mod-11 check digits; 000.000.000-00 style with
/// dots and a hyphen, or plain or grouped by spaces (`390 533 447 05`) with a keyword. Numbers of one repeated digit are invalid.
fn br_cpf(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 11 || all_same(d.digits) {
        return None;
    }
    let check = |len: usize| {
        let sum: u32 = (0..len)
            .map(|i| digit(d.digits, i) * (len as u32 + 1 - i as u32))
            .sum();
        (sum * 10 % 11) % 10
    };
    if check(9) != digit(d.digits, 9) || check(10) != digit(d.digits, 10) {
        return None;
    }
    if d.plain() || (d.layout_is(&[3, 3, 3, 2]) && d.separator == Some(b' ')) {
        Some(Need::Keyword)
    } else if d.groups == [3, 3, 3, 2] && d.separators == b"..-" {
        Some(MEDIUM)
    } else {
        None
    }
}

/// French NIR (INSEE): sex 1/2, year, month (01-12, or 20 and 30-99 when unknown), place,
/// order, then key = 97 - (first 13 digits mod 97).
fn fr_nir(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 15 || !matches!(d.digits[0], b'1' | b'2') {
        return None;
    }
    let month = number(&d.digits[3..5]);
    if !matches!(month, 1..=12 | 20 | 30..=99) {
        return None;
    }
    let key = number(&d.digits[13..]);
    if mod97(d.digits[..13].iter().copied()).map(|r| 97 - r) != Some(key) {
        return None;
    }
    if d.plain() {
        Some(Need::Keyword)
    } else if d.uniform
        && d.separator == Some(b' ')
        && (d.groups == [1, 2, 2, 2, 3, 3, 2] || d.groups == [13, 2])
    {
        Some(MEDIUM)
    } else {
        None
    }
}

/// French NIR of a person born in Corsica (department 2A or 2B): for the key, INSEE
/// reads 2A as 19 and 2B as 18 (the number less 1 000 000 or 2 000 000). Unspaced needs a
/// keyword; spaced as `1 85 05 2A 123 456 78`, medium.
fn fr_nir_corsica(c: &Candidate<'_>) -> Option<Verdict> {
    let raw = c.bytes();
    let compact: Vec<u8> = raw.iter().copied().filter(|&b| b != b' ').collect();
    if compact.len() != 15 {
        return None;
    }
    let month = number(&compact[3..5]);
    if !matches!(month, 1..=12 | 20 | 30..=99) {
        return None;
    }
    let mut digits = compact.clone();
    digits[5..7].copy_from_slice(match compact[6].to_ascii_uppercase() {
        b'A' => b"19",
        _ => b"18",
    });
    let key = number(&digits[13..]);
    if mod97(digits[..13].iter().copied()).map(|r| 97 - r) != Some(key) {
        return None;
    }
    let spaces: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b' ')
        .map(|(i, _)| i)
        .collect();
    let need = if spaces.is_empty() {
        Need::Keyword
    } else if spaces == [1, 4, 7, 10, 14, 18] {
        MEDIUM
    } else {
        return None;
    };
    Some(Verdict::whole(c, need))
}

/// German Steuer-IdNr (BZSt, § 139b AO): first digit not 0; in the first ten digits one
/// digit appears two or three times and the others at most once; check digit ISO 7064
/// MOD 11,10.
fn de_tax_id(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 11 || d.digits[0] == b'0' {
        return None;
    }
    let mut counts = [0u8; 10];
    for &x in &d.digits[..10] {
        counts[usize::from(x - b'0')] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c >= 2).count();
    if repeated != 1 || counts.iter().any(|&c| c > 3) {
        return None;
    }
    let mut product = 10;
    for i in 0..10 {
        let mut sum = (digit(d.digits, i) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = match 11 - product {
        10 => 0,
        c => c,
    };
    if check != digit(d.digits, 10) {
        return None;
    }
    formatted_or_plain(d, &[2, 3, 3, 3], Need::Keyword)
}

/// Singapore NRIC/FIN (ICA): weights 2,7,6,5,4,3,2, plus 4 for the T and G series;
/// the remainder mod 11 picks the letter from the series' table.
fn sg_nric(c: &Candidate<'_>) -> Option<Verdict> {
    const W: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    let upper = c.bytes().to_ascii_uppercase();
    let b = &upper[..];
    let sum: u32 = W
        .iter()
        .enumerate()
        .map(|(i, w)| w * u32::from(b[i + 1] - b'0'))
        .sum();
    let letter = match b[0] {
        b'S' => b"JZIHGFEDCBA"[(sum % 11) as usize],
        b'T' => b"JZIHGFEDCBA"[((sum + 4) % 11) as usize],
        b'F' => b"XWUTRQPNMLK"[(sum % 11) as usize],
        b'G' => b"XWUTRQPNMLK"[((sum + 4) % 11) as usize],
        // M series (2022): offset 3, P = 11 - (sum mod 11), letter P of KLJNPQRTUWX.
        _ => b"KLJNPQRTUWX"[(10 - (sum + 3) % 11) as usize],
    };
    (letter == b[8]).then(|| Verdict::whole(c, MEDIUM.keyword_if_lower_case(c.bytes())))
}

/// Polish PESEL (Ustawa o ewidencji ludnosci): weights 1,3,7,9,1,3,7,9,1,3; the month
/// carries the century (+80 for 1800s, +20 for 2000s, +40, +60).
fn pl_pesel(d: &Digits<'_>) -> Option<Need> {
    if d.digits.len() != 11 || !d.plain() {
        return None;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = W
        .iter()
        .enumerate()
        .map(|(i, w)| w * digit(d.digits, i))
        .sum();
    if (10 - sum % 10) % 10 != digit(d.digits, 10) {
        return None;
    }
    let (yy, mm, dd) = (
        number(&d.digits[..2]),
        number(&d.digits[2..4]),
        number(&d.digits[4..6]),
    );
    let (century, month) = match mm {
        81..=92 => (1800, mm - 80),
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        _ => return None,
    };
    valid_date(century + yy, month, dd).then_some(Need::Keyword)
}

/// Finnish HETU (DVV): ddmmyy, century sign, individual number 002-899 (900-999 for
/// temporary identity codes, which identify a person as well), and the character
/// `0123456789ABCDEFHJKLMNPRSTUVWXY`[ddmmyynnn mod 31]. Lower case needs a keyword.
fn fi_hetu(c: &Candidate<'_>) -> Option<Verdict> {
    const CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let need = MEDIUM.keyword_if_lower_case(c.bytes());
    let upper = c.bytes().to_ascii_uppercase();
    let b = &upper[..];
    let century = match b[6] {
        b'+' => 1800,
        b'-' | b'U'..=b'Y' => 1900,
        _ => 2000,
    };
    let (dd, mm, yy) = (number(&b[..2]), number(&b[2..4]), number(&b[4..6]));
    let individual = number(&b[7..10]);
    if !valid_date(century + yy, mm, dd) || !(2..=999).contains(&individual) {
        return None;
    }
    let n = number(&b[..6]) * 1000 + individual;
    (CHECK[(n % 31) as usize] == b[10]).then(|| Verdict::whole(c, need))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_clean, assert_finds};

    /// Lower-case NIE, HETU and PAN with their keyword (trial 6, D6), as DNI, IBAN, NINO,
    /// codice fiscale and NRIC; CPF grouped by spaces with a keyword.
    #[test]
    fn lower_case_nie_hetu_pan_and_spaced_cpf_with_a_keyword() {
        assert_finds("es_nie", "NIE x2482300w", "x2482300w");
        assert_finds("es_nie", "NIE X2482300W", "X2482300W");
        assert_finds("es_nie", "n.i.e. y4131385r extranjero", "y4131385r");
        assert_clean("es_nie", "ref x2482300w");
        assert_clean("es_nie", "NIE x2482300a"); // wrong control letter
        assert_finds("fi_hetu", "henkilötunnus 131052-308t", "131052-308t");
        assert_finds("fi_hetu", "HETU 131052-308T", "131052-308T");
        assert_finds("fi_hetu", "born 131052-308T", "131052-308T");
        assert_clean("fi_hetu", "id 131052-308t");
        assert_clean("fi_hetu", "hetu 131052-308u"); // wrong check character
        assert_finds("in_pan", "PAN aappv8261k", "aappv8261k");
        assert_clean("in_pan", "token aappv8261k");
        assert_finds("br_cpf", "CPF 390 533 447 05", "390 533 447 05");
        assert_finds("br_cpf", "CPF 390.533.447-05", "390.533.447-05");
        assert_clean("br_cpf", "lot 390 533 447 05");
        assert_clean("br_cpf", "CPF 390 533 447 06"); // check digit fails
    }

    #[test]
    fn ssn_formatted_is_found_and_plain_needs_keyword() {
        assert_finds("us_ssn", "employee 536-22-8726 joined", "536-22-8726");
        assert_finds("us_ssn", "SSN: 536228726", "536228726");
        assert_clean("us_ssn", "order 536228726 shipped");
    }

    /// Dotted SSNs (presidio's "medium match" `078.05.1123`) with a keyword only: a dotted
    /// 3-2-4 number is a version or a measurement more often.
    #[test]
    fn dotted_ssn_needs_a_keyword() {
        assert_finds("us_ssn", "SSN 078.05.1123", "078.05.1123");
        assert_finds(
            "us_ssn",
            "social security number: 536.22.8726.",
            "536.22.8726",
        );
        assert_clean("us_ssn", "build 536.22.8726");
        assert_clean("us_ssn", "SSN 666.22.8726");
        assert_clean("us_ssn", "SSN 536.22-8726");
    }

    #[test]
    fn ssn_invalid_ranges_and_examples_are_not_found() {
        for v in [
            "000-22-8726",
            "666-22-8726",
            "936-22-8726",
            "536-00-8726",
            "536-22-0000",
            "078-05-1120",
            "536-22-87261",
            // Documented and filler values (Presidio's, SSA's advertising range).
            "123-45-6789",
            "111-11-1111",
            "555-55-5555",
        ] {
            assert_clean("us_ssn", &format!("SSN {v}"));
        }
        assert_clean("us_itin", "SSN: 987-65-4320");
        assert_clean("us_itin", "ITIN 987-65-4329");
    }

    /// Lower-case spellings validators accept, with their keyword; not without one.
    #[test]
    fn lower_case_values_need_a_keyword() {
        assert_finds("uk_nino", "national insurance no. mz714328c", "mz714328c");
        assert_finds(
            "it_codice_fiscale",
            "CF: rssmra85t10a562s",
            "rssmra85t10a562s",
        );
        assert_finds("sg_nric", "NRIC s1234567d", "s1234567d");
        assert_clean("uk_nino", "ref mz714328c");
        assert_clean("it_codice_fiscale", "id rssmra85t10a562s");
        assert_clean("sg_nric", "id s1234567d");
    }

    /// Temporary identity codes (individual numbers 900-999): Presidio's test vectors.
    #[test]
    fn finnish_temporary_identity_codes() {
        for v in [
            "010594Y9032",
            "020594X903P",
            "030594W903B",
            "010516B902W",
            "020516C902J",
        ] {
            assert_finds("fi_hetu", &format!("henkilötunnus {v}"), v);
        }
    }

    #[test]
    fn itin_has_its_own_group_ranges() {
        assert_finds("us_itin", "ITIN 912-70-1234", "912-70-1234");
        assert_clean("us_itin", "ITIN 912-69-1234");
        assert_clean("us_itin", "ITIN 812-70-1234");
    }

    #[test]
    fn nino_prefix_rules_apply() {
        assert_finds("uk_nino", "NI number: AB 12 34 56 C", "AB 12 34 56 C");
        assert_finds("uk_nino", "nino=JG103759A.", "JG103759A");
        for v in [
            "GB123456A",
            "DA123456A",
            "AO123456A",
            "AB123456E",
            "AB12 3456A",
            "PR12 3612C",
            "PR 1236 12C",
        ] {
            assert_clean("uk_nino", &format!("NINO {v}"));
        }
        // One space after the prefix (presidio's `PR 123612C`): with a keyword only.
        assert_finds("uk_nino", "nino: PR 123612C", "PR 123612C");
        assert_clean("uk_nino", "flight PR 123612C");
        assert_clean("uk_nino", "nino: GB 123612C");
    }

    #[test]
    fn nhs_number_mod_11_with_keyword() {
        assert_finds("uk_nhs", "NHS number: 943 476 5919", "943 476 5919");
        assert_finds("uk_nhs", "nhs no 9434765919", "9434765919");
        assert_clean("uk_nhs", "NHS number: 943 476 5918");
        assert_clean("uk_nhs", "reference 943 476 5919");
    }

    /// A phone keyword nearer a number than an NHS keyword makes it a phone number
    /// (presidio's fabric sample row: `4045551212` passes mod 11); the NHS keyword still
    /// names the number right after it.
    #[test]
    fn a_nearer_phone_keyword_wins_over_an_earlier_nhs_keyword() {
        let text = "NHSNO 0123456789 and phone 404-555-1212 are important details.";
        assert_finds("uk_nhs", text, "0123456789");
        assert_finds("phone_number", text, "404-555-1212");
        let r = super::super::tests::shared().classify_bytes(text.as_bytes());
        let nhs = r.findings.iter().find(|f| f.detector == "uk_nhs").unwrap();
        assert_eq!(nhs.count, 1, "{:?}", r.findings);
        // The NHS keyword nearer than the phone word: still an NHS number.
        assert_finds("uk_nhs", "phone or NHS number 943 476 5919", "943 476 5919");
    }

    #[test]
    fn sin_luhn_with_keyword() {
        assert_finds("ca_sin", "SIN: 130 692 544", "130 692 544");
        assert_clean("ca_sin", "SIN: 130 692 545");
        assert_clean("ca_sin", "using 130 692 544");
    }

    #[test]
    fn dni_and_nie_letters_are_checked() {
        assert_finds("es_dni", "DNI 12345678Z", "12345678Z");
        assert_clean("es_dni", "DNI 12345678A");
        assert_clean("es_dni", "DNI 00000000T");
        // Written forms: dotted, with a space, 7 digits or a lower-case letter with a
        // keyword (Presidio's NIF test vectors), but not without one.
        assert_finds("es_dni", "DNI 12.345.678-Z", "12.345.678-Z");
        assert_finds("es_dni", "NIF: 12345678 Z", "12345678 Z");
        assert_finds("es_dni", "DNI 1111111-G", "1111111-G");
        assert_finds("es_dni", "dni 12345678z", "12345678z");
        assert_clean("es_dni", "part 1111111-G shipped");
        assert_clean("es_dni", "ref 12345678z");
        assert_clean("es_dni", "pages 12345678 Z later");
        // Numbers in E notation: the mantissa's digits are not a DNI.
        assert_clean("es_dni", "S4,5.70064485E+10,2024-05-01T10:32:00Z");
        assert_clean("es_dni", "Decimal('1.38435736E+12')");
        assert_clean("es_dni", "x = 1,70064485E-3");
        assert_clean("es_nie", "NIE X0000000T");
        assert_finds("es_nie", "NIE X1234567L", "X1234567L");
        assert_clean("es_nie", "NIE X1234567A");
    }

    #[test]
    fn codice_fiscale_check_character_is_checked() {
        assert_finds(
            "it_codice_fiscale",
            "CF: RSSMRA85T10A562S",
            "RSSMRA85T10A562S",
        );
        assert_clean("it_codice_fiscale", "CF: RSSMRA85T10A562T");
    }

    #[test]
    fn aadhaar_verhoeff() {
        assert_finds("in_aadhaar", "aadhaar 2341 2341 2346", "2341 2341 2346");
        assert_clean("in_aadhaar", "aadhaar 2341 2341 2345");
        assert_clean("in_aadhaar", "aadhaar 1341 2341 2342");
        assert_clean("in_aadhaar", "code 234123412346");
        // The first or last twelve digits of a longer number of the same format.
        assert_clean("in_aadhaar", "aadhaar 2341 2341 2346 1234");
        assert_clean("in_aadhaar", "aadhaar 1234 2341 2341 2346");
        assert_finds(
            "in_aadhaar",
            "aadhaar 2341 2341 2346 12/27",
            "2341 2341 2346",
        );
    }

    #[test]
    fn pan_shape_is_low_confidence_alone() {
        assert_finds("in_pan", "PAN: AFZPK7190K", "AFZPK7190K");
        assert_clean("in_pan", "PAN: AFZXK7190K");
    }

    #[test]
    fn tfn_weighted_mod_11_with_keyword() {
        assert_finds("au_tfn", "TFN 123 456 782", "123 456 782");
        assert_clean("au_tfn", "TFN 123 456 781");
        assert_clean("au_tfn", "id 123 456 782");
    }

    #[test]
    fn medicare_check_digit_with_keyword() {
        assert_finds("au_medicare", "Medicare card 2123 45670 1", "2123 45670 1");
        assert_clean("au_medicare", "Medicare card 2123 45671 1");
        assert_clean("au_medicare", "Medicare card 7123 45675 1");
    }

    #[test]
    fn cpf_two_check_digits() {
        assert_finds("br_cpf", "CPF 529.982.247-25", "529.982.247-25");
        assert_finds("br_cpf", "cpf: 52998224725", "52998224725");
        assert_clean("br_cpf", "CPF 529.982.247-26");
        assert_clean("br_cpf", "CPF 111.111.111-11");
        assert_clean("br_cpf", "value 52998224725");
    }

    #[test]
    fn nir_key_mod_97() {
        assert_finds(
            "fr_nir",
            "NIR 2 55 08 14 168 025 38",
            "2 55 08 14 168 025 38",
        );
        assert_clean("fr_nir", "NIR 2 55 08 14 168 025 39");
        assert_clean("fr_nir", "NIR 3 55 08 14 168 025 85");
    }

    #[test]
    fn nir_born_in_corsica_reads_2a_as_19_and_2b_as_18() {
        assert_finds(
            "fr_nir",
            "né à Ajaccio, NIR 1 85 05 2A 123 456 33",
            "1 85 05 2A 123 456 33",
        );
        assert_finds("fr_nir", "INSEE: 269062B04501205", "269062B04501205");
        assert_finds("fr_nir", "nir 185052a12345633", "185052a12345633");
        // The key of 2A computed as 20 (no substitution), and 2A with 2B's key.
        assert_clean("fr_nir", "NIR 1 85 05 2A 123 456 06");
        assert_clean("fr_nir", "NIR 1 85 05 2B 123 456 33");
        // Unspaced without a keyword, month 13, an odd layout.
        assert_clean("fr_nir", "ref 185052A12345633");
        assert_clean("fr_nir", "NIR 1 85 13 2A 123 456 33");
        assert_clean("fr_nir", "NIR 1 8505 2A 123456 33");
    }

    #[test]
    fn german_tax_id_repetition_and_check_digit() {
        assert_finds("de_tax_id", "Steuer-IdNr 65929970489", "65929970489");
        assert_clean("de_tax_id", "Steuer-IdNr 65929970488");
        assert_clean("de_tax_id", "Steuer-IdNr 12345678903"); // no repeated digit
    }

    #[test]
    fn nric_check_letter() {
        assert_finds("sg_nric", "NRIC S1234567D", "S1234567D");
        assert_finds("sg_nric", "FIN G1234567X", "G1234567X");
        assert_clean("sg_nric", "NRIC S1234567A");
    }

    #[test]
    fn fin_m_series_check_letter() {
        // 2022 M series: weights 2,7,6,5,4,3,2, offset 3, P = 11 - sum mod 11 indexes
        // KLJNPQRTUWX from 1.
        assert_finds("sg_nric", "FIN M1234567K", "M1234567K");
        assert_finds("sg_nric", "work pass M7654321J", "M7654321J");
        assert_clean("sg_nric", "FIN M1234567L");
        assert_clean("sg_nric", "FIN M1234567I");
        assert_clean("sg_nric", "FIN M1234567X");
    }

    #[test]
    fn pesel_date_and_check_digit() {
        assert_finds("pl_pesel", "PESEL: 44051401359", "44051401359");
        assert_clean("pl_pesel", "PESEL: 44051401358");
        assert_clean("pl_pesel", "PESEL: 44151401352"); // month 15
    }

    #[test]
    fn hetu_date_and_check_character() {
        assert_finds("fi_hetu", "hetu 131052-308T", "131052-308T");
        assert_clean("fi_hetu", "hetu 131052-308U");
        assert_clean("fi_hetu", "hetu 311352-308U");
    }
}
