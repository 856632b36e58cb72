//! Percent-decoding for the log fields AWS writes URL-encoded.

use std::borrow::Cow;

/// Decodes `%XX` sequences; `+` stays as is (these are paths and headers, not form data).
///
/// Invalid sequences are kept literally, and a result that is not UTF-8 falls
/// back to the input, so decoding never loses what AWS wrote.
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap_or(Cow::Borrowed(s))
}

/// Decodes `\xHH` escapes, which CloudFront writes for spaces and other bytes in
/// header values (`x-forwarded-for` holds `192.0.2.1,\x20198.51.100.2`).
///
/// Like [`percent_decode`], an invalid escape stays literal and a result that is not
/// UTF-8 falls back to the input.
pub(crate) fn hex_unescape(s: &str) -> Cow<'_, str> {
    decode_hex_escapes(s, b"\\x")
}

/// Replaces each `marker` followed by two hex digits with the byte they spell.
fn decode_hex_escapes<'a>(s: &'a str, marker: &[u8]) -> Cow<'a, str> {
    let b = s.as_bytes();
    let Some(first) = memchr::memmem::find(b, marker) else {
        return Cow::Borrowed(s);
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if b[i..].starts_with(marker) {
            let digits = i + marker.len();
            if let (Some(h), Some(l)) = (
                b.get(digits).copied().and_then(hex_value),
                b.get(digits + 1).copied().and_then(hex_value),
            ) {
                out.push(h << 4 | l);
                i = digits + 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(s),
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_spaces_and_symbols_are_decoded() {
        assert_eq!(
            percent_decode("Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64)"),
            "Mozilla/5.0 (Windows NT 10.0; Win64)"
        );
        assert_eq!(percent_decode("/caf%C3%A9.png"), "/café.png");
    }

    #[test]
    fn plus_and_invalid_sequences_are_kept() {
        assert_eq!(percent_decode("a+b%zz%4"), "a+b%zz%4");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn non_utf8_result_falls_back_to_input() {
        assert_eq!(percent_decode("bad%FFbyte"), "bad%FFbyte");
    }

    #[test]
    fn hex_escapes_are_decoded_and_invalid_ones_kept() {
        // CloudFront's x-forwarded-for as it appears in real standard logs.
        assert_eq!(
            hex_unescape(r"192.0.2.1,\x20198.51.100.2"),
            "192.0.2.1, 198.51.100.2"
        );
        assert_eq!(hex_unescape(r"a\x2"), r"a\x2");
        assert_eq!(hex_unescape(r"a\xzz\x41"), r"a\xzzA");
        assert_eq!(hex_unescape(r"bad\xFF"), r"bad\xFF");
        assert!(matches!(hex_unescape("198.51.100.2"), Cow::Borrowed(_)));
    }

    #[test]
    fn input_without_percent_is_borrowed() {
        assert!(matches!(percent_decode("/index.html"), Cow::Borrowed(_)));
    }
}
