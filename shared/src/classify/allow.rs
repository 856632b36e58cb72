//! The allow-list: values never reported, held in clear (the built-in documented examples
//! and a caller's own list) or as keyed digests (a planned scan's list, so that no plan,
//! task or log ever carries the values; see [`AllowDigests`]).

use std::collections::HashSet;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::engine::normalize;

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
