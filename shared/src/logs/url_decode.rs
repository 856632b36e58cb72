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
    fn input_without_percent_is_borrowed() {
        assert!(matches!(percent_decode("/index.html"), Cow::Borrowed(_)));
    }
}
