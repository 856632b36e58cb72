//! Reading a stream through the pass in bounded, overlapping windows (memory stays flat,
//! a value across a window edge is found once), with line counting and the binary
//! content check.

use super::*;

/// Line numbers for offsets that only move forward.
#[derive(Debug)]
pub(super) struct LineCounter {
    line: u64,
    line_start: u64,
    counted_to: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        LineCounter {
            line: 1,
            line_start: 0,
            counted_to: 0,
        }
    }
}

impl LineCounter {
    /// Counts newlines up to `to` (an object offset inside the buffer).
    pub(super) fn advance(&mut self, hay: &[u8], base: u64, to: u64) {
        if to <= self.counted_to {
            return;
        }
        let from = (self.counted_to.saturating_sub(base)) as usize;
        let end = (to - base) as usize;
        for i in memchr::memchr_iter(b'\n', &hay[from..end]) {
            self.line += 1;
            self.line_start = base + (from + i) as u64 + 1;
        }
        self.counted_to = to;
    }

    /// Line and column (both from 1) of an offset.
    pub(super) fn position(&mut self, hay: &[u8], base: u64, offset: u64) -> (u64, u64) {
        self.advance(hay, base, offset);
        (self.line, offset.saturating_sub(self.line_start) + 1)
    }
}

/// Shortest run of NUL bytes read as padding rather than as binary data: the hole a log
/// rotated with logrotate's `copytruncate` starts with (the writer keeps its offset), a
/// preallocated file's tail.
pub(super) const NUL_PADDING_RUN: usize = 16;

/// Whether the first bytes are binary rather than text: more than 1 in 20 of them are
/// control characters (NUL included; tab, line breaks, form feed and escape are text),
/// not counting runs of [`NUL_PADDING_RUN`] or more NUL bytes, which are padding (a text
/// log behind a `copytruncate` hole is text). Machine code, images, compressed or
/// encrypted data are far above the threshold (random bytes: about 1 in 10); a stray NUL
/// in a log is far below it. A head of padding alone is not binary.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    let mut control = 0;
    let mut counted = 0;
    let mut i = 0;
    while i < head.len() {
        if head[i] == 0 {
            let run = head[i..].iter().take_while(|&&b| b == 0).count();
            if run < NUL_PADDING_RUN {
                control += run;
                counted += run;
            }
            i += run;
            continue;
        }
        if head[i] < 0x20 && !matches!(head[i], b'\t' | b'\n' | b'\r' | 0x0c | 0x1b) {
            control += 1;
        }
        counted += 1;
        i += 1;
    }
    control * 20 > counted
}

/// How a stream ended.
pub(crate) enum StreamEnd {
    /// Its first bytes were binary: nothing was classified.
    Binary,
    /// Read to the end: this many bytes.
    Read(u64),
}

impl Classifier {
    /// Streams `reader` through the pass in overlapping windows, adding to `findings`.
    pub(crate) fn scan_stream<R: Read>(
        &self,
        mut reader: R,
        findings: &mut FindingsBuilder<'_>,
    ) -> Result<StreamEnd, ClassifyError> {
        let chunk = self.config.chunk_bytes.max(1024);
        let overlap = self.config.overlap_bytes.max(256);
        // A window grows up to this while a value that may be longer than the overlap
        // crosses its edge.
        let cap = chunk + overlap + self.config.max_value_bytes.max(overlap);
        // Bytes kept before the accepted region so keywords before a value are seen.
        let context = (self.config.keyword_distance + self.longest_keyword + 16).min(overlap);
        let mut buf: Vec<u8> = Vec::with_capacity(chunk + overlap);
        let mut target = chunk + overlap;
        let mut base: u64 = 0;
        let mut accept_from = 0usize;
        let mut resume: u64 = 0;
        let mut eof = false;
        let mut first = true;
        let mut lines = LineCounter::default();
        loop {
            while !eof && buf.len() < target {
                let old = buf.len();
                buf.resize(target, 0);
                let n = loop {
                    match reader.read(&mut buf[old..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(ClassifyError::Read(e)),
                    }
                };
                buf.truncate(old + n);
                eof = n == 0;
            }
            if first {
                first = false;
                if looks_binary(&buf[..buf.len().min(8192)]) {
                    return Ok(StreamEnd::Binary);
                }
            }
            let accept_end = if eof { buf.len() } else { buf.len() - overlap };
            let mut window = Window {
                hay: &buf,
                base,
                accept: accept_from..accept_end,
                lines: &mut lines,
                findings,
                fields: None,
                can_defer: !eof && buf.len() < cap,
                deferred: None,
                keywords_assumed: false,
            };
            self.scan_window(&mut window, &mut resume);
            let deferred = window.deferred;
            if eof {
                break;
            }
            // A value that may continue past the buffer: the next window starts at it.
            let accept_end = deferred.unwrap_or(accept_end);
            let keep_from = accept_end.saturating_sub(context);
            lines.advance(&buf, base, base + keep_from as u64);
            buf.drain(..keep_from);
            base += keep_from as u64;
            accept_from = accept_end - keep_from;
            target = match deferred {
                Some(_) => (buf.len() + chunk).min(cap).max(chunk + overlap),
                None => chunk + overlap,
            };
        }
        Ok(StreamEnd::Read(base + buf.len() as u64))
    }

    /// The first beginning of a long value (a private key block, a JWT) in the accepted
    /// region, after `resume`, that runs to the end of the bytes and has no whole match
    /// there yet: the buffer may have cut it.
    pub(super) fn open_long_value(&self, w: &Window<'_, '_>, resume: u64) -> Option<usize> {
        let (openers, pids) = self.openers.as_ref()?;
        let from = w
            .accept
            .start
            .max(resume.saturating_sub(w.base) as usize)
            .min(w.accept.end);
        for m in openers.find_iter(Input::new(w.hay).range(from..)) {
            if m.start() >= w.accept.end {
                break;
            }
            if m.end() < w.hay.len() {
                continue;
            }
            let whole = Input::new(w.hay)
                .range(m.start()..)
                .anchored(Anchored::Pattern(pids[m.pattern().as_usize()]));
            if self.regex.search(&whole).is_none() {
                return Some(m.start());
            }
        }
        None
    }
}
