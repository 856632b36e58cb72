//! The allow-list: values never reported, held in clear (the built-in documented examples
//! and a caller's own list) or as keyed digests (a planned scan's list, so that no plan,
//! task or log ever carries the values; see [`AllowDigests`]).

use std::collections::HashSet;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Documented example values that are never reported: AWS's example keys, the test card
/// numbers card networks and processors publish, SSA's advertised SSNs, the IBAN
/// examples of the registry, Stripe's documented test key. Compared after
/// [`normalize`]. Values ending in `EXAMPLE` or `EXAMPLEKEY` (AWS documentation's
/// convention for every example key) are passed over too.
pub(crate) const ALLOWED: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "4111111111111111",
    "4012888888881881",
    "4222222222222",
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "378734493671000",
    "6011111111111117",
    "6011000990139424",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "38520000023237",
    "6200000000000005",
    // Stripe's other documented test cards (brands, declines, 3-D Secure).
    "3056930009020004",
    "36227206271667",
    "6555900000604105",
    "6011981111111113",
    "6200000000000047",
    "6205500000000000004",
    "4000002500001001",
    "4000000000000002",
    "4000000000009995",
    "4000000000009987",
    "4000000000009979",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
    "4000000000003220",
    "4000002760003184",
    "4000000000003063",
    "4000000000000077",
    "4000000000000093",
    // Braintree's sandbox test cards.
    "4005519200000004",
    "4009348888881881",
    "4012000033330026",
    "4012000077777777",
    "4217651111111119",
    "4500600000000061",
    "2223000048400011",
    "6304000000000000",
    "6243030000000001",
    // Adyen's test cards.
    "4917610000000000",
    "2222400070000005",
    "4111111145551142",
    "4988438843884305",
    "4166676667666746",
    "4646464646464644",
    "4000620000000007",
    "4000060000000006",
    "4293189100000008",
    "4988080000000000",
    "4444333322221111",
    "4001590000000001",
    "4000180000000002",
    "5555341244441115",
    "5577000055770004",
    "5555444433331111",
    "2222410740360010",
    "2222410700000002",
    "2222400010000008",
    "2223000048410010",
    "2222400060000007",
    "2223520443560010",
    "2222400030000004",
    "5100060000000002",
    "5100290029002909",
    "5424000000000015",
    "6771798021000008",
    "370000000000002",
    "36006666333344",
    "6011601160116611",
    "6445644564456445",
    "3569990010095841",
    "078-05-1120",
    "219-09-9999",
    "123-45-6789",
    // SSA's range for advertisements, 987-65-4320 to 987-65-4329.
    "987-65-4320",
    "987-65-4321",
    "987-65-4322",
    "987-65-4323",
    "987-65-4324",
    "987-65-4325",
    "987-65-4326",
    "987-65-4327",
    "987-65-4328",
    "987-65-4329",
    // AWS's second documented key pair (the first is above).
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    // The SWIFT IBAN registry's example IBAN of each country.
    "AD1200012030200359100100",
    "AE070331234567890123456",
    "AL47212110090000000235698741",
    "AT611904300234573201",
    "AZ21NABZ00000000137010001944",
    "BA391290079401028494",
    "BE68539007547034",
    "BG80BNBG96611020345678",
    "BH67BMAG00001299123456",
    "BR1800360305000010009795493C1",
    "BY13NBRB3600900000002Z00AB00",
    "CH9300762011623852957",
    "CR05015202001026284066",
    "CY17002001280000001200527600",
    "CZ6508000000192000145399",
    "DE89370400440532013000",
    "DK5000400440116243",
    "DO28BAGR00000001212453611324",
    "EE382200221020145685",
    "EG380019000500000000263180002",
    "ES9121000418450200051332",
    "FI2112345600000785",
    "FO6264600001631634",
    "FR1420041010050500013M02606",
    "GB29NWBK60161331926819",
    "GB82WEST12345698765432",
    "GE29NB0000000101904917",
    "GI75NWBK000000007099453",
    "GL8964710001000206",
    "GR1601101250000000012300695",
    "GT82TRAJ01020000001210029690",
    "HR1210010051863000160",
    "HU42117730161111101800000000",
    "IE29AIBK93115212345678",
    "IL620108000000099999999",
    "IQ98NBIQ850123456789012",
    "IS140159260076545510730339",
    "IT60X0542811101000000123456",
    "JO94CBJO0010000000000131000302",
    "KW81CBKU0000000000001234560101",
    "KZ86125KZT5004100100",
    "LB62099900000001001901229114",
    "LC55HEMM000100010012001200023015",
    "LI21088100002324013AA",
    "LT121000011101001000",
    "LU280019400644750000",
    "LV80BANK0000435195001",
    "MC5811222000010123456789030",
    "MD24AG000225100013104168",
    "ME25505000012345678951",
    "MK07250120000058984",
    "MR1300020001010000123456753",
    "MT84MALT011000012345MTLCAST001S",
    "MU17BOMM0101101030300200000MUR",
    "NL91ABNA0417164300",
    "NO9386011117947",
    "PK36SCBL0000001123456702",
    "PL61109010140000071219812874",
    "PS92PALS000000000400123456702",
    "PT50000201231234567890154",
    "QA58DOHB00001234567890ABCDEFG",
    "RO49AAAA1B31007593840000",
    "RS35260005601001611379",
    "SA0380000000608010167519",
    "SC18SSCB11010000000000001497USD",
    "SE4550000000058398257466",
    "SI56263300012039086",
    "SK3112000000198742637541",
    "SM86U0322509800000000270100",
    "ST68000100010051845310112",
    "SV62CENR00000000000000700025",
    "TL380080012345678910157",
    "TN5910006035183598478831",
    "TR330006100519786457841326",
    "UA213223130000026007233566001",
    "VA59001123000012345678",
    "VG96VPVG0000012345678901",
    "XK051212012345678906",
    // The registry's examples for the countries added since 2020 (release 101).
    "BI4210000100010000332045181",
    "DJ2100010000000154000100186",
    "FK88SC123456789012",
    "HN88CABF00000000000250005469",
    "LY83002048000020100120361",
    "MN121234123456789123",
    "NI45BAPR00000013000003558124",
    "OM810180000001299123456",
    "RU0304452522540817810538091310419",
    "SD2129010501234001",
    "SO211000001001000100141",
    "YE15CBYE0001018861234567891234",
];

/// Upper-case letters and digits only: what allow-listing and digests compare.
pub(crate) fn normalize(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_uppercase)
        .collect()
}

/// What derives the allow-list key from the deployment's HMAC key: allow-list digests
/// are never equal to the findings' digests of the same value, so a plan's digest cannot
/// be matched to a finding of an earlier scan (whose masked sample a report shows).
const ALLOW_KEY_LABEL: &[u8] = b"s3connector allow-list v1";

/// Allow-list entries as keyed digests: HMAC-SHA256, under a key derived from the
/// deployment's HMAC key (`S3CONNECTOR_CLASSIFY_HMAC_KEY`), of each value's letters and
/// digits in upper case (what the clear allow-list compares). Without the key a digest
/// reveals nothing; the key is never written next to them.
#[derive(Clone)]
pub struct AllowDigests {
    mac: Hmac<Sha256>,
    digests: HashSet<[u8; 32]>,
}

impl std::fmt::Debug for AllowDigests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AllowDigests({} entries)", self.digests.len())
    }
}

impl AllowDigests {
    /// The digests `hex` (64 hex digits each, from [`AllowDigests::digest`]) under
    /// `hmac_key`. Errors name the first entry that is not a digest.
    pub fn new(hmac_key: &[u8], hex: &[String]) -> Result<AllowDigests, String> {
        let digests = hex
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut d = [0u8; 32];
                hex::decode_to_slice(h, &mut d)
                    .map(|()| d)
                    .map_err(|_| format!("entry {i} is not a 64-hex-digit digest"))
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowDigests {
            mac: allow_mac(hmac_key),
            digests,
        })
    }

    /// Lower-case hex digest of `value` (compared on its letters and digits, case
    /// ignored) under the allow-list key derived from `hmac_key`.
    pub fn digest(hmac_key: &[u8], value: &str) -> String {
        let mut mac = allow_mac(hmac_key);
        mac.update(&normalize(value.as_bytes()));
        hex::encode(mac.finalize().into_bytes())
    }

    fn contains(&self, normalized: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        mac.update(normalized);
        let d: [u8; 32] = mac.finalize().into_bytes().into();
        self.digests.contains(&d)
    }
}

fn allow_mac(hmac_key: &[u8]) -> Hmac<Sha256> {
    let mut derive =
        Hmac::<Sha256>::new_from_slice(hmac_key).expect("HMAC accepts keys of any length");
    derive.update(ALLOW_KEY_LABEL);
    Hmac::<Sha256>::new_from_slice(&derive.finalize().into_bytes())
        .expect("HMAC accepts keys of any length")
}

/// Values never reported, in clear and as digests.
#[derive(Debug, Default)]
pub(crate) struct AllowList {
    clear: HashSet<Vec<u8>>,
    digests: Option<AllowDigests>,
}

impl AllowList {
    /// The list of `clear` values (any formatting) and `digests`.
    pub(crate) fn new<'a>(
        clear: impl IntoIterator<Item = &'a [u8]>,
        digests: Option<AllowDigests>,
    ) -> AllowList {
        AllowList {
            clear: clear.into_iter().map(normalize).collect(),
            digests: digests.filter(|d| !d.digests.is_empty()),
        }
    }

    /// Whether a value, already [`normalize`]d, is allowed.
    pub(crate) fn contains(&self, normalized: &[u8]) -> bool {
        self.clear.contains(normalized)
            || self
                .digests
                .as_ref()
                .is_some_and(|d| d.contains(normalized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_matches_the_value_in_any_formatting_and_only_under_its_key() {
        let d = AllowDigests::digest(b"key", "123-45-6789");
        let list = AllowList::new(
            [],
            Some(AllowDigests::new(b"key", std::slice::from_ref(&d)).unwrap()),
        );
        assert!(list.contains(&normalize(b"123 45 6789")));
        assert!(!list.contains(&normalize(b"123-45-6788")));
        let other = AllowList::new(
            [],
            Some(AllowDigests::new(b"other", std::slice::from_ref(&d)).unwrap()),
        );
        assert!(!other.contains(&normalize(b"123-45-6789")));
        // Not the findings' digest of the same value.
        let finding = super::super::ValueHasher::new(b"key").digest(b"123456789");
        assert_ne!(d, finding);
        assert!(!d.contains("6789"));
    }

    #[test]
    fn entries_that_are_not_digests_are_named() {
        let e = AllowDigests::new(b"k", &["00".repeat(32), "123-45-6789".into()]).unwrap_err();
        assert!(e.contains("entry 1"), "{e}");
        assert!(!e.contains("6789"), "{e}");
    }
}
