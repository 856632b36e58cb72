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
    fn text_line_with_invalid_utf8_is_a_record_error_and_parsing_continues() {
        let input = b"ok\n\xff\xfe bad\nok again\n";
        let mut records = 0;
        let mut errors = Vec::new();
        crate::logs::parse_stream(LogType::Text, &input[..], 0, &mut |r| {
            match r {
                Ok(_) => records += 1,
                Err(e) => errors.push(e),
            }
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(records, 2);
        assert_eq!(errors[0].line, Some(2));
        assert!(
            errors[0].reason.contains("not valid UTF-8"),
            "{}",
            errors[0].reason
        );
        assert_eq!(errors[0].excerpt, "\u{fffd}\u{fffd} bad");
    }
}
