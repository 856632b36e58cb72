//! Masking and keyed hashing of matched values: findings show where sensitive data is
//! and let the same value be recognised twice, without ever carrying the value.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Most characters shown at each end of a masked value.
pub const MAX_VISIBLE_EACH_END: usize = 2;

/// Longest value masked character for character; a longer one (a private key block, a
/// JWT) is shown as [`LONG_VALUE_STARS`] stars and its length.
pub const MAX_MASKED_CHARS: usize = 64;

/// Stars standing for the hidden middle of a value longer than [`MAX_MASKED_CHARS`].
pub const LONG_VALUE_STARS: usize = 24;

/// Masks a value: at most two leading and two trailing characters stay visible, and never
/// more than a third of the value in total; every other character becomes `*`. A value
/// longer than [`MAX_MASKED_CHARS`] keeps its ends, [`LONG_VALUE_STARS`] stars between
/// them, and its length in characters.
///
/// `4539578763621486` becomes `45************86`; `AB12` becomes `A***`; a 1,700-character
/// private key block becomes `--************************-- (1700 chars)`.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let budget = chars.len() / 3;
    let lead = MAX_VISIBLE_EACH_END.min(budget.div_ceil(2));
    let trail = MAX_VISIBLE_EACH_END.min(budget - lead);
    if chars.len() > MAX_MASKED_CHARS {
        let mut out: String = chars[..lead].iter().collect();
        out.extend(std::iter::repeat_n('*', LONG_VALUE_STARS));
        out.extend(&chars[chars.len() - trail..]);
        out.push_str(&format!(" ({} chars)", chars.len()));
        return out;
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i < lead || i >= chars.len() - trail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// 32 random bytes, a key for one run. Without an OS random source the clock stands in
/// rather than refusing to classify: digests then stay correlatable only by someone who
/// knows the time.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if getrandom::getrandom(&mut key).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        key[..16].copy_from_slice(&t.to_le_bytes());
    }
    key
}

/// HMAC-SHA256 over values with a key of the run (or the deployment), so equal values
/// give equal digests that reveal nothing without the key.
#[derive(Clone)]
pub struct ValueHasher {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for ValueHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValueHasher(***)")
    }
}

impl ValueHasher {
    /// A hasher with this key (any length; HMAC hashes long keys down).
    pub fn new(key: &[u8]) -> ValueHasher {
        ValueHasher {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length"),
        }
    }

    /// A hasher with 32 random bytes as key: digests correlate within this run only.
    pub fn random() -> ValueHasher {
        ValueHasher::new(&random_key())
    }

    /// Lower-case hex HMAC-SHA256 of the value.
    pub fn digest(&self, value: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(value);
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_show_two_characters_at_each_end() {
        assert_eq!(mask("4539578763621486"), "45************86");
        assert_eq!(mask("jane@example.org"), "ja************rg");
    }

    #[test]
    fn short_values_show_at_most_a_third() {
        assert_eq!(mask("123456789"), "12******9");
        assert_eq!(mask("AB12"), "A***");
        assert_eq!(mask("ab"), "**");
        assert_eq!(mask(""), "");
        for len in 0..40 {
            let v: String = "x".repeat(len);
            let visible = mask(&v).chars().filter(|&c| c != '*').count();
            assert!(
                visible * 3 <= len && visible <= 4,
                "len {len}: {visible} visible"
            );
        }
    }

    #[test]
    fn long_values_are_shown_as_their_ends_and_length() {
        let key = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA".repeat(100)
        );
        let n = key.chars().count();
        assert_eq!(mask(&key), format!("--{}-- ({n} chars)", "*".repeat(24)));
        let exactly = "x".repeat(MAX_MASKED_CHARS);
        assert_eq!(mask(&exactly).len(), MAX_MASKED_CHARS);
        let longer = "y".repeat(MAX_MASKED_CHARS + 1);
        assert_eq!(mask(&longer), format!("yy{}yy (65 chars)", "*".repeat(24)));
    }

    #[test]
    fn masking_counts_characters_not_bytes() {
        assert_eq!(mask("ééééééééé"), "éé******é");
    }

    #[test]
    fn same_key_same_digest_other_key_other_digest() {
        let a = ValueHasher::new(b"k1");
        assert_eq!(a.digest(b"v"), ValueHasher::new(b"k1").digest(b"v"));
        assert_ne!(a.digest(b"v"), ValueHasher::new(b"k2").digest(b"v"));
        assert_ne!(a.digest(b"v"), a.digest(b"w"));
        // RFC 4231 test case 2.
        assert_eq!(
            ValueHasher::new(b"Jefe").digest(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
