//! Plain text logs: each non-blank line becomes `{"message": line}`.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::line_reader::{parse_lines, LineFormat, LineReader};
use super::{Emitter, Fields, ParseError};

struct TextFormat;

impl LineFormat for TextFormat {
    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        let mut m = Map::new();
        m.insert("message".to_owned(), Value::String(line.to_owned()));
        Ok(Fields::Map(m))
    }
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    parse_lines(&mut LineReader::new(reader), &mut TextFormat, out)
}

#[cfg(test)]
mod tests {
    use crate::logs::test_support::collect;
    use crate::logs::LogType;

    #[test]
    fn text_lines_become_message_records_and_blank_lines_are_skipped() {
        let got = collect(LogType::Text, "first line\r\n\n  \nsecond\tline\n");
        let messages: Vec<_> = got
            .records
            .iter()
            .map(|r| r.fields["message"].clone())
            .collect();
        assert_eq!(messages, ["first line", "second\tline"]);
        assert_eq!(got.records[1].line, Some(4));
        assert_eq!(got.records[1].index, 1);
    }

    #[test]
    fn text_line_with_invalid_utf8_is_kept_with_replacement_characters_and_flagged() {
        let got = crate::logs::test_support::collect_bytes(
            LogType::Text,
            b"ok\n\xff\xfe bad\nok again\n",
        );
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let kept = &got.records[1];
        assert_eq!(kept.line, Some(2));
        assert_eq!(kept.fields["message"], "\u{fffd}\u{fffd} bad");
        assert_eq!(kept.original, "\u{fffd}\u{fffd} bad");
        assert!(kept.invalid_utf8);
        assert!(!got.records[0].invalid_utf8 && !got.records[2].invalid_utf8);
    }
}
