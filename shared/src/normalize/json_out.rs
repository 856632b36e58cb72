//! [`EventOut`] that writes one line of JSON text.

use super::lookup::Obj;
use super::out::{ocsf_str, ConstantStrs, EventOut, MAX_STRING_BYTES};

/// Where JSON text goes: a `String`, or a [`TextLen`] that only counts its bytes.
pub(super) trait TextBuf {
    fn push(&mut self, c: char);
    fn push_str(&mut self, s: &str);
    fn len(&self) -> usize;
    fn truncate(&mut self, len: usize);
    /// Appends `v` in decimal.
    fn push_uint(&mut self, v: u64) {
        self.push_str(itoa::Buffer::new().format(v));
    }
    /// Appends `v` in decimal.
    fn push_int(&mut self, v: i64) {
        self.push_str(itoa::Buffer::new().format(v));
    }
}

impl TextBuf for String {
    #[inline]
    fn push(&mut self, c: char) {
        String::push(self, c);
    }
    #[inline]
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    #[inline]
    fn len(&self) -> usize {
        String::len(self)
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        String::truncate(self, len);
    }
}

impl<T: TextBuf + ?Sized> TextBuf for &mut T {
    #[inline]
    fn push(&mut self, c: char) {
        (**self).push(c);
    }
    #[inline]
    fn push_str(&mut self, s: &str) {
        (**self).push_str(s);
    }
    #[inline]
    fn len(&self) -> usize {
        (**self).len()
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        (**self).truncate(len);
    }
    #[inline]
    fn push_uint(&mut self, v: u64) {
        (**self).push_uint(v);
    }
    #[inline]
    fn push_int(&mut self, v: i64) {
        (**self).push_int(v);
    }
}

/// The length in bytes of the text written to it, which it does not keep: the size an
/// event's NDJSON line would have, for chunk cuts, without rendering it.
#[derive(Debug, Default)]
pub(super) struct TextLen(pub(super) usize);

impl TextBuf for TextLen {
    #[inline]
    fn push(&mut self, c: char) {
        self.0 += c.len_utf8();
    }
    #[inline]
    fn push_str(&mut self, s: &str) {
        self.0 += s.len();
    }
    #[inline]
    fn len(&self) -> usize {
        self.0
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        self.0 = len;
    }
    // Digits counted, not formatted.
    #[inline]
    fn push_uint(&mut self, v: u64) {
        self.0 += decimal_digits(v);
    }
    #[inline]
    fn push_int(&mut self, v: i64) {
        self.0 += usize::from(v < 0) + decimal_digits(v.unsigned_abs());
    }
}

/// How many digits `v` has in decimal.
fn decimal_digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Writes JSON text into a [`TextBuf`] (by default a borrowed `String`).
pub(super) struct JsonOut<B: TextBuf> {
    profiles: u8,
    buf: B,
    stack: Vec<Frame>,
}

#[derive(Debug)]
pub(super) struct Frame {
    /// Buffer length before this container's key, to cut it away if it stays empty.
    start: usize,
    array: bool,
    /// No member written yet.
    empty: bool,
    /// The parent's `empty` before this container was opened.
    parent_was_empty: bool,
}

impl<B: TextBuf> JsonOut<B> {
    pub(super) fn new(buf: B) -> Self {
        // Room for the nesting events have, so the stack is allocated once per event.
        Self::with_stack(buf, Vec::with_capacity(8))
    }

    /// [`Self::new`] keeping its open containers in `stack` (emptied first), a stack
    /// [`Self::finish_with_stack`] gave back, so writing an event allocates nothing.
    pub(super) fn with_stack(mut buf: B, mut stack: Vec<Frame>) -> Self {
        buf.push('{');
        stack.clear();
        stack.push(Frame {
            start: buf.len(),
            array: false,
            empty: true,
            parent_was_empty: true,
        });
        JsonOut {
            profiles: 0,
            buf,
            stack,
        }
    }

    /// Writes the separator and key of a new member.
    #[inline]
    fn member(&mut self, key: &str) {
        let frame = self.stack.last_mut().expect("root frame");
        if !frame.empty {
            self.buf.push(',');
        }
        frame.empty = false;
        if !frame.array {
            // Keys are this module's constant attribute names, which need no escaping.
            debug_assert!(!needs_escape(key), "{key:?}");
            self.buf.push('"');
            self.buf.push_str(key);
            self.buf.push_str("\":");
        }
    }

    fn open_container(&mut self, key: &str, array: bool) {
        let start = self.buf.len();
        let parent_was_empty = self.stack.last().expect("root frame").empty;
        self.member(key);
        self.buf.push(if array { '[' } else { '{' });
        self.stack.push(Frame {
            start,
            array,
            empty: true,
            parent_was_empty,
        });
    }

    /// Closes the event's object and gives back the buffer.
    pub(super) fn finish(self) -> B {
        self.finish_with_stack().0
    }

    /// [`Self::finish`], giving back the container stack too, for [`Self::with_stack`].
    pub(super) fn finish_with_stack(mut self) -> (B, Vec<Frame>) {
        debug_assert_eq!(self.stack.len(), 1, "unclosed container");
        self.buf.push('}');
        (self.buf, self.stack)
    }

    /// Appends `json`, object members already rendered (`"a":1,"b":2`, no braces), to
    /// the innermost open object; nothing when it is empty.
    pub(super) fn raw_members(&mut self, json: &str) {
        if json.is_empty() {
            return;
        }
        let frame = self.stack.last_mut().expect("root frame");
        debug_assert!(!frame.array, "members go in an object");
        if !frame.empty {
            self.buf.push(',');
        }
        frame.empty = false;
        self.buf.push_str(json);
    }

    /// Whether no member has been written at the event's top level yet.
    pub(super) fn is_empty(&self) -> bool {
        self.stack.len() == 1 && self.stack[0].empty
    }
}

pub(super) fn needs_escape(s: &str) -> bool {
    s.bytes().any(|c| ESCAPE[usize::from(c)] != 0)
}

/// For each byte, 0 when it stands for itself inside a JSON string, else the letter
/// of its short escape (`u` for `\u00XX`).
pub(super) const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        table[c] = b'u';
        c += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the 8 bytes of `w` needs escaping: a control byte (< 0x20), `"` or a backslash.
///
/// The classic word-at-a-time tests: `(x - 0x01..) & !x & 0x80..` is non-zero exactly
/// when some byte of `x` is zero (borrows only run on from a byte that really is zero),
/// and the same form with 0x20 finds a byte below 0x20 (bytes >= 0x80 are masked out by
/// `!x`, so UTF-8 never matches).
pub(super) fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
        || has_zero(w ^ (ONES * u64::from(b'"')))
        || has_zero(w ^ (ONES * u64::from(b'\\')))
}

/// Appends `s` as a JSON string literal, copying runs that need no escape in one go
/// and checking 8 bytes at a time for the bytes that do.
#[inline]
pub(super) fn write_json_str(buf: &mut impl TextBuf, s: &str) {
    buf.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            if !word_needs_escape(w) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        let escape = ESCAPE[usize::from(byte)];
        if escape != 0 {
            // Escaped bytes are ASCII, so `i` is a char boundary.
            buf.push_str(&s[start..i]);
            match escape {
                b'u' => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    buf.push_str("\\u00");
                    buf.push(char::from(HEX[usize::from(byte >> 4)]));
                    buf.push(char::from(HEX[usize::from(byte & 0xf)]));
                }
                letter => {
                    buf.push('\\');
                    buf.push(char::from(letter));
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    buf.push_str(&s[start..]);
    buf.push('"');
}

impl<B: TextBuf> EventOut for JsonOut<B> {
    fn str(&mut self, key: &'static str, v: &str) {
        self.member(key);
        write_json_str(&mut self.buf, ocsf_str(v));
    }
    fn str_parts(&mut self, key: &'static str, parts: &[&str]) {
        if parts.iter().map(|p| p.len()).sum::<usize>() > MAX_STRING_BYTES {
            return self.str(key, &parts.concat());
        }
        self.member(key);
        self.buf.push('"');
        for part in parts {
            // Only called with this module's constant names, which need no escaping.
            debug_assert!(!needs_escape(part), "{part:?}");
            self.buf.push_str(part);
        }
        self.buf.push('"');
    }
    fn uint(&mut self, key: &'static str, v: u64) {
        self.member(key);
        self.buf.push_uint(v);
    }
    fn int(&mut self, key: &'static str, v: i64) {
        self.member(key);
        self.buf.push_int(v);
    }
    fn boolean(&mut self, key: &'static str, v: bool) {
        self.member(key);
        self.buf.push_str(if v { "true" } else { "false" });
    }
    fn map(&mut self, key: &'static str, v: &Obj) {
        self.member(key);
        self.buf
            .push_str(&serde_json::to_string(v).expect("a JSON map always serializes"));
    }
    fn json_text(&mut self, key: &'static str, text: &str) {
        self.member(key);
        self.buf.push_str(text);
    }
    fn open(&mut self, key: &'static str) {
        self.open_container(key, false);
    }
    fn open_array(&mut self, key: &'static str) {
        self.open_container(key, true);
    }
    fn close(&mut self) {
        let frame = self.stack.pop().expect("close without open");
        if frame.empty {
            self.buf.truncate(frame.start);
            self.stack.last_mut().expect("root frame").empty = frame.parent_was_empty;
        } else {
            self.buf.push(if frame.array { ']' } else { '}' });
        }
    }
    fn close_keep(&mut self) {
        let frame = self.stack.pop().expect("close without open");
        // `member` already marked the parent non-empty when the key was written.
        self.buf.push(if frame.array { ']' } else { '}' });
    }
    fn declare(&mut self, profile: u8) {
        self.profiles |= profile;
    }
    fn constant_strs(&mut self, members: &ConstantStrs) {
        self.raw_members(members.json());
    }
    fn profiles(&self) -> u8 {
        self.profiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_integers_have_the_length_of_their_text() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            i64::MAX,
            i64::MIN,
            -1,
            -10,
            -999,
        ] {
            let mut len = TextLen::default();
            len.push_int(v);
            assert_eq!(len.0, v.to_string().len(), "{v}");
        }
        for v in [0, 7, 10, 1_000_000, u64::MAX] {
            let mut len = TextLen::default();
            len.push_uint(v);
            assert_eq!(len.0, v.to_string().len(), "{v}");
        }
    }

    #[test]
    fn string_escaping_matches_serde_json_byte_for_byte() {
        let mut all_controls: String = (0u8..0x20).map(char::from).collect();
        all_controls.push('\u{7f}');
        for s in [
            "",
            "plain",
            "quote \" and backslash \\ and slash /",
            "tab\there\nnew line\r\u{8}\u{c}",
            "é ü 日本 🙂 mixed \"\u{1}\"",
            &all_controls,
        ] {
            let mut ours = String::new();
            write_json_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn escaping_finds_special_bytes_at_every_position_of_a_word() {
        // The word-at-a-time check must see a special byte wherever it falls in the
        // 8-byte window, next to ASCII or multi-byte UTF-8, and in the tail after the
        // last whole word.
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{7f}', 'é', ' ', '~'] {
            for fill in ["a", "ü", "日"] {
                for len in 0..20 {
                    for at in 0..=len {
                        let mut s: String = fill.repeat(len);
                        let byte_at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
                        s.insert(byte_at, special);
                        let mut ours = String::new();
                        write_json_str(&mut ours, &s);
                        assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
                    }
                }
            }
        }
        for w in [0u64, u64::MAX, 0x2020_2020_2020_2020, 0x8080_8080_8080_8080] {
            assert_eq!(
                word_needs_escape(w),
                w.to_le_bytes().iter().any(|&b| ESCAPE[usize::from(b)] != 0),
                "{w:#x}"
            );
        }
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[pos] = b;
                let w = u64::from_le_bytes(bytes);
                assert_eq!(
                    word_needs_escape(w),
                    ESCAPE[usize::from(b)] != 0,
                    "{b:#x} at {pos}"
                );
                // Behind a high byte, which must not mask or fake a match.
                bytes = [0xc3; 8];
                bytes[pos] = b;
                let w = u64::from_le_bytes(bytes);
                let expected = bytes.iter().any(|&c| ESCAPE[usize::from(c)] != 0);
                assert_eq!(word_needs_escape(w), expected, "{b:#x} at {pos} among 0xc3");
            }
        }
    }
}
