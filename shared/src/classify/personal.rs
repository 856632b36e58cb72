//! Personal data detectors: email, phone numbers, IP addresses, dates of birth, US
//! passport and driver's licence numbers.

use std::net::Ipv6Addr;

use super::checksum::{number, valid_date};
use super::detector::{
    is_word, Candidate, Category, Confidence, Detector, Digits, Need, Rule, Verdict,
};

/// Shared pattern of the letter-prefixed passport and licence numbers.
const LETTERS_DIGITS: &str = r"\b[A-Z]{1,2}[0-9]{5,13}\b";

const PASSPORT_DESCRIPTION: &str =
    "US passport number: 9 digits, or a letter and 8 digits, next to a passport keyword";

const LICENCE_DESCRIPTION: &str = "US driver's licence number: state formats of 1-2 letters and 5-13 digits or 7-13 digits, next to a licence keyword";

const PASSPORT_KEYWORDS: &[&str] = &["passport", "passport number", "passport no", "passport#"];

const LICENCE_KEYWORDS: &[&str] = &[
    "driver's license",
    "drivers license",
    "driver license",
    "driver's licence",
    "driving licence",
    "driving license",
    "dl#",
    "dl no",
    "license number",
    "licence number",
    "dln",
];

/// The personal data detectors, in the order the pass tries them.
pub(crate) const DETECTORS: &[Detector] = &[
    Detector {
        id: "email",
        category: Category::Personal,
        description: "Email address (RFC 5322 dot-atom local part, DNS labels, alphabetic TLD)",
        keywords: &["email", "e-mail", "mail"],
        rule: Rule::Pattern {
            regex: r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}\b",
            check: email,
        },
    },
    Detector {
        id: "phone_number",
        category: Category::Personal,
        description: "Phone number in E.164 or a national format of the configured regions, parsed and validated by libphonenumber's metadata (phonenumber crate)",
        keywords: &["phone", "tel", "telephone", "mobile", "cell", "fax", "call"],
        rule: Rule::Phone,
    },
    Detector {
        id: "ipv4_address",
        category: Category::Personal,
        description: "IPv4 address: four octets 0-255 without leading zeros, not a version string (v1.2.3.4, version 1.2.3.4, build=1.2.3.4, agent/1.2.3.4) or part of a longer dotted number",
        keywords: &["ip", "ip address", "client", "source", "remote", "addr"],
        rule: Rule::Pattern {
            regex: r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b",
            check: ipv4,
        },
    },
    Detector {
        id: "ipv6_address",
        category: Category::Personal,
        description: "IPv6 address (RFC 4291 text forms, validated by the standard library parser)",
        keywords: &["ip", "ipv6", "ip address", "client", "source", "remote", "addr"],
        rule: Rule::Pattern {
            regex: r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}",
            check: ipv6,
        },
    },
    Detector {
        id: "date_of_birth",
        category: Category::Personal,
        description: "Date of birth: a real date (YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, with - / or .) between 1900 and 2099 next to a birth keyword",
        keywords: &["dob", "date of birth", "birth date", "birthdate", "birthday", "born", "d.o.b", "geburtsdatum", "fecha de nacimiento", "date de naissance"],
        rule: Rule::Pattern {
            regex: r"\b(?:[0-9]{4}[\-/.][0-9]{1,2}[\-/.][0-9]{1,2}|[0-9]{1,2}[\-/.][0-9]{1,2}[\-/.][0-9]{4})\b",
            check: date_of_birth,
        },
    },
    Detector {
        id: "us_passport",
        category: Category::Personal,
        description: PASSPORT_DESCRIPTION,
        keywords: PASSPORT_KEYWORDS,
        rule: Rule::Pattern {
            regex: LETTERS_DIGITS,
            check: passport_letter,
        },
    },
    Detector {
        id: "us_passport",
        category: Category::Personal,
        description: PASSPORT_DESCRIPTION,
        keywords: PASSPORT_KEYWORDS,
        rule: Rule::Number {
            check: passport_digits,
            min_digits: 9,
        },
    },
    Detector {
        id: "us_drivers_license",
        category: Category::Personal,
        description: LICENCE_DESCRIPTION,
        keywords: LICENCE_KEYWORDS,
        rule: Rule::Pattern {
            regex: LETTERS_DIGITS,
            check: licence_letters,
        },
    },
    Detector {
        id: "us_drivers_license",
        category: Category::Personal,
        description: LICENCE_DESCRIPTION,
        keywords: LICENCE_KEYWORDS,
        rule: Rule::Number {
            check: licence_digits,
            min_digits: 7,
        },
    },
];

/// Email: no leading, trailing or doubled dot in the local part; labels do not start or
/// end with a hyphen.
fn email(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let at = b.iter().position(|&x| x == b'@')?;
    let (local, domain) = (&b[..at], &b[at + 1..]);
    let bad_local =
        local.starts_with(b".") || local.ends_with(b".") || local.windows(2).any(|w| w == b"..");
    let bad_label = domain
        .split(|&x| x == b'.')
        .any(|l| l.is_empty() || l.starts_with(b"-") || l.ends_with(b"-"));
    (!bad_local && !bad_label).then(|| Verdict::whole(c, Need::Alone(Confidence::High)))
}

/// Words that make a dotted number after them a version, not an address.
const VERSION_WORDS: &[&[u8]] = &[
    b"ver",
    b"build",
    b"release",
    b"rev",
    b"revision",
    b"firmware",
    b"fw",
];

/// IPv4: octets in range without leading zeros; not a version (after `v`, `version`,
/// `build=`, `release:`... or as a product token `agent/1.2.3.4`), and not one part of a
/// longer dotted run (an OID, a 5-part version).
fn ipv4(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let octets_ok = b
        .split(|&x| x == b'.')
        .all(|o| !o.is_empty() && (o.len() == 1 || o[0] != b'0') && number(o) <= 255);
    let dotted_before = c.before() == Some(b'.') || is_word(c.before());
    let dotted_after =
        c.after() == Some(b'.') && c.hay.get(c.span.end + 1).is_some_and(u8::is_ascii_digit);
    let before = c.preceding(16).to_ascii_lowercase();
    // The word just before, past separators (`build=`, `release: `, `rev "`).
    let kept = before
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'=' | b':' | b'"' | b'\''))
        .map_or(0, |i| i + 1);
    let lead = &before[..kept];
    let named_version = VERSION_WORDS.iter().any(|w| {
        lead.ends_with(w) && !is_word(lead.len().checked_sub(w.len() + 1).map(|i| lead[i]))
    });
    // A product token (`agent/1.2.3.4`), not a URL's host (`http://10.0.0.1`), or a
    // package's version specifier (`requests==2.31.0.1`, `>=`, `~=`, `!=`, `<=`).
    let product = c.before() == Some(b'/') && is_word(c.preceding(2).first().copied());
    let specifier = matches!(c.preceding(2), [b'=' | b'>' | b'<' | b'~' | b'!', b'=']);
    let versioned = matches!(c.before(), Some(b'v' | b'V'))
        || before.windows(7).any(|w| w == b"version")
        || named_version
        || product
        || specifier;
    (octets_ok && !dotted_before && !dotted_after && !versioned)
        .then(|| Verdict::whole(c, Need::Alone(Confidence::Medium)))
}

/// IPv6: what `std::net::Ipv6Addr` parses, with at least three groups holding digits
/// (so `a::b` in code and `12:30:45` times are left alone), standing alone as a word.
fn ipv6(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let text = std::str::from_utf8(b).ok()?;
    let groups = text.split(':').filter(|g| !g.is_empty()).count();
    let alone = !is_word(c.before())
        && !matches!(c.before(), Some(b':' | b'.'))
        && !is_word(c.after())
        && !matches!(c.after(), Some(b'.'));
    (groups >= 3 && alone && text.parse::<Ipv6Addr>().is_ok())
        .then(|| Verdict::whole(c, Need::Alone(Confidence::Medium)))
}

/// A plausible birth date: a real date in 1900-2099, day-first or month-first.
fn date_of_birth(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let parts: Vec<&[u8]> = b.split(|x| !x.is_ascii_digit()).collect();
    let [a, m, d] = parts.as_slice() else {
        return None;
    };
    let real = if a.len() == 4 {
        valid_date(number(a), number(m), number(d)) && (1900..=2099).contains(&number(a))
    } else {
        let year = number(d);
        (1900..=2099).contains(&year)
            && (valid_date(year, number(m), number(a)) || valid_date(year, number(a), number(m)))
    };
    real.then(|| Verdict::whole(c, Need::Keyword))
}

fn passport_letter(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    (b.len() == 9 && b[1].is_ascii_digit()).then(|| Verdict::whole(c, Need::Keyword))
}

fn passport_digits(d: &Digits<'_>) -> Option<Need> {
    (d.plain() && d.digits.len() == 9).then_some(Need::Keyword)
}

fn licence_letters(c: &Candidate<'_>) -> Option<Verdict> {
    Some(Verdict::whole(c, Need::Keyword))
}

fn licence_digits(d: &Digits<'_>) -> Option<Need> {
    (d.plain() && (7..=13).contains(&d.digits.len())).then_some(Need::Keyword)
}

/// A region national phone numbers are parsed in, with what such a number can look like
/// as written, from libphonenumber's metadata: a digit run that cannot be one (an HTTP
/// status and a byte count, `200 1532`) is passed over without calling the parser, which
/// is the costliest step of the phone detector.
#[derive(Debug, Clone)]
pub(crate) struct PhoneRegion {
    pub id: phonenumber::country::Id,
    /// Digit counts a written national number can have: the possible lengths of the
    /// region's national significant numbers, alone and after the trunk prefix.
    digits: Vec<usize>,
    /// Whether national numbers are written with a leading `0` trunk prefix (most of
    /// Europe: `020 7946 0958`); NANP's `1` is optional and not required.
    trunk_zero: bool,
}

impl PhoneRegion {
    /// The region of a CLDR code (`US`, `gb`); `None` for an unknown one. Without
    /// `metadata` the code is only checked and no digit count is known (nothing is
    /// parsed with such a region: the phone detector is not running).
    pub(crate) fn new(code: &str, metadata: bool) -> Option<PhoneRegion> {
        let id = code
            .to_ascii_uppercase()
            .parse::<phonenumber::country::Id>()
            .ok()?;
        if !metadata {
            return Some(PhoneRegion {
                id,
                digits: Vec::new(),
                trunk_zero: false,
            });
        }
        let meta = phonenumber::metadata::DATABASE.by_id(id.as_ref())?;
        let prefix = meta.national_prefix().unwrap_or("");
        // The union over the number types is-valid accepts (the general description's
        // own list is often left empty in the metadata).
        use phonenumber::Type as T;
        let kinds = [
            T::Unknown,
            T::FixedLine,
            T::Mobile,
            T::TollFree,
            T::PremiumRate,
            T::SharedCost,
            T::PersonalNumber,
            T::Voip,
            T::Pager,
            T::Uan,
            T::Voicemail,
        ];
        let mut digits: Vec<usize> = kinds
            .iter()
            .filter_map(|&k| meta.descriptors().get(k))
            .flat_map(|d| d.possible_length().iter())
            .flat_map(|&l| [usize::from(l), usize::from(l) + prefix.len()])
            .collect();
        if digits.is_empty() {
            // No lengths known: let the parser decide every candidate.
            digits.extend(super::detector::PHONE_MIN_DIGITS..=15);
        }
        digits.sort_unstable();
        digits.dedup();
        Some(PhoneRegion {
            id,
            digits,
            trunk_zero: prefix == "0",
        })
    }

    /// Whether a national candidate `raw` of `digits` digits may be a number of the
    /// region (then the parser decides).
    pub(crate) fn may_hold(&self, raw: &[u8], digits: usize) -> bool {
        let first = raw.iter().find(|b| b.is_ascii_digit());
        self.digits.contains(&digits) && (!self.trunk_zero || first == Some(&b'0'))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_clean, assert_finds};

    #[test]
    fn emails_are_found_and_malformed_ones_are_not() {
        assert_finds(
            "email",
            "contact: jane.doe+tag@mail.example.org.",
            "jane.doe+tag@mail.example.org",
        );
        assert_clean("email", "contact: jane..doe@example.org");
        assert_clean("email", "contact: jane@-example.org");
        assert_clean("email", "contact: jane@example");
    }

    #[test]
    fn phone_numbers_are_validated_by_the_library() {
        assert_finds(
            "phone_number",
            "call +44 20 7946 0958 now",
            "+44 20 7946 0958",
        );
        assert_finds("phone_number", "tel: (201) 555-0123", "(201) 555-0123");
        assert_finds("phone_number", "mobile +1 650-253-0000", "+1 650-253-0000");
        assert_clean("phone_number", "call +44 20 7946 09"); // too short for the UK
        assert_clean("phone_number", "tel: (099) 555-0123"); // no US area code starts with 0
        assert_clean("phone_number", "took 2024 1234 ms"); // plain digits, no keyword
    }

    #[test]
    fn ipv4_addresses_but_not_versions_or_oids() {
        assert_finds("ipv4_address", "from 203.0.113.45 port", "203.0.113.45");
        assert_finds("ipv4_address", "src=10.1.2.3 dst", "10.1.2.3");
        assert_finds("ipv4_address", "GET http://10.1.2.3/health", "10.1.2.3");
        assert_finds("ipv4_address", "reverse 10.1.2.3", "10.1.2.3");
        for text in [
            "version 1.2.3.4 released",
            "agent v10.2.0.1",
            "build=1.2.3.4",
            "release: 2.0.0.1",
            "fw \"4.1.0.2\"",
            "User-Agent: Foo/1.2.3.4 (Linux)",
            "pip install requests==2.31.0.1",
            "pkg>=1.2.3.4",
            "oid 1.3.6.1.4.1.311",
            "bad 256.1.1.1",
            "bad 01.2.3.4",
        ] {
            assert_clean("ipv4_address", text);
        }
    }

    #[test]
    fn ipv6_addresses_but_not_times_or_paths() {
        assert_finds(
            "ipv6_address",
            "from 2001:db8:85a3::8a2e:370:7334 port",
            "2001:db8:85a3::8a2e:370:7334",
        );
        assert_clean("ipv6_address", "at 12:30:45 today");
        assert_clean("ipv6_address", "std::io::Read");
        assert_clean("ipv6_address", "mac 00:1a:2b:3c:4d:5e");
    }

    #[test]
    fn date_of_birth_needs_keyword_and_real_date() {
        assert_finds("date_of_birth", "DOB: 1985-07-23", "1985-07-23");
        assert_finds("date_of_birth", "born on 23/07/1985", "23/07/1985");
        assert_clean("date_of_birth", "shipped 1985-07-23");
        assert_clean("date_of_birth", "DOB: 1985-02-30");
    }

    #[test]
    fn passport_and_licence_need_their_keywords() {
        assert_finds("us_passport", "Passport No: 912803456", "912803456");
        assert_finds("us_passport", "passport A12345678", "A12345678");
        assert_clean("us_passport", "invoice 912803456");
        assert_finds(
            "us_drivers_license",
            "Driver's License: D1234567",
            "D1234567",
        );
        assert_clean("us_drivers_license", "part D1234567");
    }

    #[test]
    fn phone_regions_pass_over_runs_that_cannot_be_their_numbers() {
        let us = super::PhoneRegion::new("us", true).unwrap();
        let gb = super::PhoneRegion::new("GB", true).unwrap();
        assert!(us.may_hold(b"(212) 555-0100", 10));
        assert!(us.may_hold(b"1-800-555-0100", 11));
        assert!(!us.may_hold(b"200 1532", 7));
        assert!(gb.may_hold(b"020 7946 0958", 11));
        assert!(gb.may_hold(b"07700 900123", 11));
        assert!(!gb.may_hold(b"200 1532", 7), "no trunk prefix");
        assert!(super::PhoneRegion::new("XX", true).is_none());
        assert!(super::PhoneRegion::new("XX", false).is_none());
        // The access-log shape is not parsed, and real numbers still are.
        assert_clean(
            "phone_number",
            "\"GET /index.html HTTP/1.1\" 200 1532 \"-\"",
        );
        assert_finds("phone_number", "call 020 7946 0958 today", "020 7946 0958");
    }
}
