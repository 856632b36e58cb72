//! Deterministic event uids (`metadata.uid`).

use super::options::SourceObject;
use sha2::{Digest, Sha256};

/// Deterministic event ID: SHA-256 over bucket, key, ETag and record index, lowercase hex.
///
/// Each string is length-prefixed so no two different inputs share a byte
/// stream, and the ETag's quotes are removed because S3 event notifications
/// give it bare while GetObject quotes it: both routes must yield the same uids.
pub fn record_uid(source: &SourceObject, index: u64) -> String {
    uid_finish(uid_prefix(source), index)
}

pub(super) fn uid_prefix(source: &SourceObject) -> Sha256 {
    let mut h = Sha256::new();
    for part in [source.bucket.as_str(), source.key.as_str()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    match source.etag.as_deref().map(bare_etag) {
        Some(etag) => {
            h.update([1u8]);
            h.update((etag.len() as u64).to_be_bytes());
            h.update(etag.as_bytes());
        }
        None => h.update([0u8]),
    }
    h
}

pub(super) fn uid_finish(mut h: Sha256, index: u64) -> String {
    h.update(index.to_be_bytes());
    // By hand: `hex::encode` collects 64 chars one by one, a measurable cost per event.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 64];
    for (pair, byte) in text.chunks_exact_mut(2).zip(h.finalize()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    String::from_utf8(text.to_vec()).unwrap_or_default()
}

pub(super) fn bare_etag(etag: &str) -> &str {
    etag.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::options::SourceObject;
    use crate::normalize::test_support::source;

    #[test]
    fn uid_is_stable_across_retries_and_differs_by_index_and_etag() {
        let src = source("k");
        let first = record_uid(&src, 7);
        assert_eq!(first, record_uid(&src.clone(), 7));
        assert_eq!(first.len(), 64);
        assert!(first
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(first, record_uid(&src, 8));
        let changed = SourceObject {
            etag: Some("other".into()),
            ..src.clone()
        };
        assert_ne!(first, record_uid(&changed, 7));
        let unquoted = SourceObject {
            etag: Some("9b2cf535f27731c974343645a3985328".into()),
            ..src.clone()
        };
        assert_eq!(
            first,
            record_uid(&unquoted, 7),
            "quotes around the ETag do not change the uid"
        );
        let no_etag = SourceObject {
            etag: None,
            ..src.clone()
        };
        let empty_etag = SourceObject {
            etag: Some(String::new()),
            ..src.clone()
        };
        assert_ne!(record_uid(&no_etag, 7), record_uid(&empty_etag, 7));
    }

    #[test]
    fn uid_fields_cannot_collide_by_shifting_bytes_between_bucket_and_key() {
        let a = SourceObject {
            bucket: "ab".into(),
            key: "c".into(),
            etag: None,
            version_id: None,
        };
        let b = SourceObject {
            bucket: "a".into(),
            key: "bc".into(),
            ..a.clone()
        };
        assert_ne!(record_uid(&a, 0), record_uid(&b, 0));
    }
}
