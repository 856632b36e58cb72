//! Where normalized records go: the S3 output bucket (default) or an HTTP endpoint.

pub mod http;
pub mod s3;

pub use http::HttpSink;
pub use s3::S3Sink;

use std::io::{self, Write};

/// Writes one gzip member (RFC 1952) into a `Vec`: a raw deflate stream between the
/// header and the CRC-32/size trailer. The CRC comes from `crc32fast` (SIMD) because
/// the zlib-rs backend computes it scalar, which costs as much as level-1 deflate.
pub(crate) struct GzipWriter {
    deflate: flate2::write::DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
}

impl GzipWriter {
    /// A member at `level` (1 to 9), with room for `capacity` compressed bytes.
    pub(crate) fn new(level: u32, capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity + 18);
        // ID1 ID2, CM=deflate, no flags, no mtime (the same input always gives the same
        // bytes), XFL=0, OS=unknown.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        GzipWriter {
            deflate: flate2::write::DeflateEncoder::new(out, flate2::Compression::new(level)),
            crc: crc32fast::Hasher::new(),
            size: 0,
        }
    }

    /// Ends the member and returns it.
    pub(crate) fn finish(self) -> io::Result<Vec<u8>> {
        let mut out = self.deflate.finish()?;
        out.extend_from_slice(&self.crc.finalize().to_le_bytes());
        // ISIZE is the input size modulo 2^32.
        out.extend_from_slice(&(self.size as u32).to_le_bytes());
        Ok(out)
    }
}

impl Write for GzipWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.deflate.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.deflate.flush()
    }
}

/// One normalized record ready for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Deterministic record id (hex SHA-256 of bucket, key, etag, record index): stable across retries.
    pub uid: String,
    /// Event time in epoch milliseconds, when the record has one.
    pub time_ms: Option<i64>,
    /// The OCSF event, serialized as one line of JSON (no trailing newline).
    pub json: String,
}

/// What a batch came from, for keys, sourcetypes and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSource {
    /// Log type name, e.g. `cloudtrail`, `vpcflow`.
    pub log_type: String,
    /// Source bucket.
    pub bucket: String,
    /// Source key.
    pub key: String,
    /// First record index of the chunk, which names it (deterministic).
    pub first_index: u64,
    /// Stable id of the source object version (hash of bucket, key, ETag, version).
    pub object_id: String,
}

/// A delivery failure, classified so the caller knows whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Retrying later may succeed: throttling, 5xx, timeouts, connection failures.
    #[error("sink temporarily unavailable for s3://{bucket}/{key}: {reason}")]
    Transient {
        /// Source bucket.
        bucket: String,
        /// Source key.
        key: String,
        /// What happened.
        reason: String,
    },
    /// Retrying cannot help: the sink rejected the data or the configuration is wrong.
    #[error("sink rejected s3://{bucket}/{key}: {reason}")]
    Permanent {
        /// Source bucket.
        bucket: String,
        /// Source key.
        key: String,
        /// What happened.
        reason: String,
    },
}

impl SinkError {
    /// Whether retrying later can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, SinkError::Transient { .. })
    }
}

/// The configured sink (built once at cold start; share it by reference).
#[derive(Debug)]
pub enum Sink {
    /// NDJSON gzip objects in the output bucket.
    S3(S3Sink),
    /// Batched gzip POSTs to an HTTP endpoint (NDJSON, Splunk HEC or Elasticsearch `_bulk`).
    Http(Box<HttpSink>),
}

impl Sink {
    /// Delivers one chunk of records; returns how many were delivered.
    pub async fn deliver(
        &self,
        source: &BatchSource,
        records: &[Record],
    ) -> Result<u64, SinkError> {
        match self {
            Sink::S3(s) => s.deliver(source, records).await,
            Sink::Http(h) => h.deliver(source, records).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_writer_output_is_a_valid_member_that_any_decoder_checks() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut gz = GzipWriter::new(1, 0);
        for part in data.chunks(7_777) {
            gz.write_all(part).unwrap();
        }
        let member = gz.finish().unwrap();
        // GzDecoder verifies the trailer's CRC-32 and size.
        let mut back = Vec::new();
        io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&member[..]), &mut back).unwrap();
        assert_eq!(back, data);
        // The same input always gives the same bytes (no timestamp in the header).
        let mut again = GzipWriter::new(1, 0);
        again.write_all(&data).unwrap();
        assert_eq!(again.finish().unwrap(), member);
        // A corrupted trailer is caught, so the CRC really is the data's.
        let mut bad = member.clone();
        let at = bad.len() - 6;
        bad[at] ^= 0xff;
        let mut sink = Vec::new();
        assert!(
            io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bad[..]), &mut sink).is_err()
        );
    }
}
