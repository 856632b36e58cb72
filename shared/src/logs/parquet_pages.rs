//! Checks the page sizes a Parquet column chunk claims before the `parquet` crate reads it.
//!
//! The crate trusts each page header: it reads `compressed_page_size` bytes (bounded only
//! by the column chunk, so by the file, so by the spool limit) and then allocates
//! `uncompressed_page_size` bytes for the decompressed page, which nothing bounds: the
//! Snappy and LZ4 codecs even zero-fill that buffer before decompressing. A damaged or
//! hostile file of a few hundred bytes can thus claim a 2 GiB page, and the allocation
//! aborts the process (an out-of-memory abort is no panic: it cannot be caught) or
//! exhausts the Lambda's memory. So the page headers of a column chunk are walked first,
//! and a page claiming more than [`MAX_PAGE_BYTES`] either way is refused before any of
//! it is read.
//!
//! Page headers are Thrift compact protocol structs (`PageHeader` in the Parquet format's
//! `parquet.thrift`): field 2 is `uncompressed_page_size`, field 3 `compressed_page_size`,
//! both `i32`; the rest (page type, CRC, the per-type header with its statistics) is
//! skipped by its wire types.

use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::ChunkReader;

/// Largest page this reader accepts, compressed or not. Writers cut pages at about 1 MiB
/// (parquet-mr, Spark, Arrow and AWS's own writers), dictionary pages at a few MiB.
pub const MAX_PAGE_BYTES: u64 = 128 * 1024 * 1024;

/// How much of a file is read at a page header's offset to decode it: headers are small
/// (statistics hold at most a min and a max value), so a longer one is refused.
const HEADER_WINDOW: u64 = 256 * 1024;

/// Runs a call into the parquet crate, which asserts on some inconsistent data instead
/// of returning an error: such a panic becomes that error, so a damaged object is
/// rejected with its reason rather than ending the batch. Only the crate's own calls
/// are guarded, never the caller's record callback.
pub(crate) fn guarded<T>(
    call: impl FnOnce() -> parquet::errors::Result<T>,
) -> parquet::errors::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(parquet::errors::ParquetError::General(format!(
            "the Parquet reader refused the data: {message}"
        )))
    })
}

/// Every column chunk of a row group lies within the file (the parquet crate asserts
/// this, so a damaged footer would otherwise panic). The error names the row group and
/// column.
pub(crate) fn check_chunks(
    row_group: &RowGroupMetaData,
    group: usize,
    file_len: u64,
) -> Result<(), String> {
    for column in row_group.columns() {
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset());
        let len = column.compressed_size();
        let inside = u64::try_from(start)
            .ok()
            .zip(u64::try_from(len).ok())
            .and_then(|(start, len)| start.checked_add(len))
            .is_some_and(|end| end <= file_len);
        if !inside {
            return Err(format!(
                "row group {group}, column `{}`: its chunk (offset {start}, {len} bytes) is not within the file's {file_len} bytes",
                column.column_path().string()
            ));
        }
    }
    Ok(())
}

/// Checks every row group of a file before any page is read: column chunks within the
/// file ([`check_chunks`]) and no page over `max_page_bytes` ([`check_pages`]).
pub(crate) fn check_file<F: ChunkReader>(
    file: &F,
    metadata: &parquet::file::metadata::ParquetMetaData,
    file_len: u64,
    max_page_bytes: u64,
) -> Result<(), String> {
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        check_chunks(row_group, group, file_len)?;
        check_pages(file, row_group, group, max_page_bytes)?;
    }
    Ok(())
}

/// What a page header says of its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageSizes {
    /// Bytes of the header itself.
    pub(super) header_len: u64,
    pub(super) uncompressed: i64,
    pub(super) compressed: i64,
}

/// Walks every page header of every column chunk of `row_group` in `file`; the first
/// page claiming a negative size or more than `max_page_bytes` (compressed or
/// uncompressed), or a header that does not decode, is the error (naming the column and
/// offset). Column chunks must already be known to lie within the file.
pub(crate) fn check_pages<F: ChunkReader>(
    file: &F,
    row_group: &RowGroupMetaData,
    group: usize,
    max_page_bytes: u64,
) -> Result<(), String> {
    for column in row_group.columns() {
        let name = column.column_path().string();
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset());
        let (Ok(start), Ok(len)) = (
            u64::try_from(start),
            u64::try_from(column.compressed_size()),
        ) else {
            return Err(format!(
                "row group {group}, column `{name}`: negative chunk offset or size"
            ));
        };
        let end = start.saturating_add(len);
        let mut offset = start;
        while offset < end {
            let window = (end - offset).min(HEADER_WINDOW);
            let bytes = file
                .get_bytes(offset, window as usize)
                .map_err(|e| format!("row group {group}, column `{name}`: {e}"))?;
            let page = page_sizes(&bytes).map_err(|e| {
                format!("row group {group}, column `{name}`: page header at offset {offset}: {e}")
            })?;
            for (what, size) in [
                ("uncompressed", page.uncompressed),
                ("compressed", page.compressed),
            ] {
                if size < 0 || size as u64 > max_page_bytes {
                    return Err(format!(
                        "row group {group}, column `{name}`: the page at offset {offset} claims {size} bytes {what}, outside 0 to {max_page_bytes} (a corrupt or hostile file)"
                    ));
                }
            }
            offset = offset
                .saturating_add(page.header_len)
                .saturating_add(page.compressed as u64);
        }
    }
    Ok(())
}

/// Decodes the sizes from the page header at the start of `bytes`.
pub(super) fn page_sizes(bytes: &[u8]) -> Result<PageSizes, String> {
    let mut r = Compact { bytes, at: 0 };
    let mut uncompressed = None;
    let mut compressed = None;
    let mut last_id = 0i16;
    while let Some((id, kind)) = r.field_header(&mut last_id)? {
        match (id, kind) {
            (2, I32) => uncompressed = Some(r.zigzag()?),
            (3, I32) => compressed = Some(r.zigzag()?),
            _ => r.skip(kind, 0)?,
        }
    }
    match (uncompressed, compressed) {
        (Some(uncompressed), Some(compressed)) => Ok(PageSizes {
            header_len: r.at as u64,
            uncompressed,
            compressed,
        }),
        _ => Err("it names no page sizes".into()),
    }
}

/// Thrift compact protocol wire types.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// Nesting beyond this is refused (a page header nests three deep).
const MAX_DEPTH: usize = 32;

/// A reader of Thrift compact protocol bytes.
struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or(
            "it runs past the end of its column chunk or of the 256 KiB a header may take",
        )?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number runs past 64 bits".into())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn advance(&mut self, n: u64) -> Result<(), String> {
        let end = u64::try_from(self.at)
            .ok()
            .and_then(|at| at.checked_add(n))
            .filter(|end| *end <= self.bytes.len() as u64)
            .ok_or("a value runs past the end of the header's bytes")?;
        self.at = end as usize;
        Ok(())
    }

    /// The next field's id and wire type, or `None` at the struct's end.
    fn field_header(&mut self, last_id: &mut i16) -> Result<Option<(i16, u8)>, String> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let kind = b & 0x0f;
        let delta = b >> 4;
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| "a field id is out of range")?
        } else {
            last_id.wrapping_add(i16::from(delta))
        };
        *last_id = id;
        Ok(Some((id, kind)))
    }

    /// Skips one value of wire type `kind`.
    fn skip(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("it nests too deep".into());
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.advance(1),
            I16 | I32 | I64 => self.varint().map(|_| ()),
            DOUBLE => self.advance(8),
            BINARY => {
                let len = self.varint()?;
                self.advance(len)
            }
            LIST | SET => {
                let b = self.byte()?;
                let elem = b & 0x0f;
                let size = match b >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.skip_many(elem, size, depth)
            }
            MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                for _ in 0..size {
                    self.skip_element(kinds >> 4, depth)?;
                    self.skip_element(kinds & 0x0f, depth)?;
                }
                Ok(())
            }
            STRUCT => {
                let mut last_id = 0i16;
                while let Some((_, kind)) = self.field_header(&mut last_id)? {
                    self.skip(kind, depth + 1)?;
                }
                Ok(())
            }
            other => Err(format!("unknown Thrift wire type {other}")),
        }
    }

    /// Skips `size` elements of a list or set.
    fn skip_many(&mut self, elem: u8, size: u64, depth: usize) -> Result<(), String> {
        // Every element takes at least a byte: a larger count is damage, found without looping.
        if size > (self.bytes.len() - self.at) as u64 {
            return Err("a list claims more elements than bytes remain".into());
        }
        for _ in 0..size {
            self.skip_element(elem, depth)?;
        }
        Ok(())
    }

    /// Skips one element of a collection: booleans there take a byte.
    fn skip_element(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        match kind {
            BOOL_TRUE | BOOL_FALSE => self.advance(1),
            kind => self.skip(kind, depth + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact-protocol page header: type, sizes, then a data page header with
    /// statistics (a struct holding binaries) and a list, as writers put them.
    fn header(uncompressed: i32, compressed: i32) -> Vec<u8> {
        fn zigzag(v: i64) -> Vec<u8> {
            let mut n = ((v << 1) ^ (v >> 63)) as u64;
            let mut out = Vec::new();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(b);
                    return out;
                }
                out.push(b | 0x80);
            }
        }
        let mut h = vec![0x15]; // field 1, i32: type DATA_PAGE (0)
        h.extend(zigzag(0));
        h.push(0x15); // field 2, i32
        h.extend(zigzag(uncompressed.into()));
        h.push(0x15); // field 3, i32
        h.extend(zigzag(compressed.into()));
        h.push(0x2c); // field 5, struct: data_page_header
        h.push(0x15); // num_values
        h.extend(zigzag(100));
        h.push(0x15); // encoding
        h.extend(zigzag(0));
        h.push(0x3c); // field 5 (+3): statistics struct
        h.push(0x18); // field 1, binary: max
        h.push(3);
        h.extend(b"abc");
        h.push(0x18); // field 2, binary: min
        h.push(1);
        h.extend(b"a");
        h.push(0x11); // field 3, bool true
        h.push(0x19); // field 4, list
        h.push(0x25); // two i32 elements
        h.extend(zigzag(7));
        h.extend(zigzag(8));
        h.push(0); // end statistics
        h.push(0); // end data page header
        h.push(0); // end page header
        h
    }

    #[test]
    fn page_headers_give_their_sizes_and_length() {
        let h = header(1_048_576, 4_000);
        let mut bytes = h.clone();
        bytes.extend([0xffu8; 16]);
        assert_eq!(
            page_sizes(&bytes).unwrap(),
            PageSizes {
                header_len: h.len() as u64,
                uncompressed: 1_048_576,
                compressed: 4_000
            }
        );
    }

    #[test]
    fn damaged_headers_are_errors_not_panics_or_loops() {
        let h = header(10, 10);
        for cut in 0..h.len() {
            assert!(page_sizes(&h[..cut]).is_err(), "cut at {cut}");
        }
        for at in 0..h.len() {
            for b in [0x00, 0x0f, 0x19, 0x1b, 0xf9, 0xff] {
                let mut bad = h.clone();
                bad[at] = b;
                let _ = page_sizes(&bad);
            }
        }
        // A list claiming billions of elements fails at once.
        assert!(page_sizes(&[0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }
}

/// Crafted files for the readers' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn varint(v: u64, width: usize) -> Vec<u8> {
        (0..width)
            .map(|i| {
                let b = ((v >> (7 * i)) & 0x7f) as u8;
                if i + 1 < width {
                    b | 0x80
                } else {
                    b
                }
            })
            .collect()
    }

    /// `good` (a Parquet file) with its first page claiming 2 GiB uncompressed, the same
    /// length, every other byte in place: what a hostile or damaged file looks like.
    pub(crate) fn claim_huge_first_page(good: &[u8]) -> Vec<u8> {
        let reader = SerializedFileReader::new(bytes::Bytes::from(good.to_vec())).unwrap();
        let column = reader.metadata().row_group(0).column(0).clone();
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset()) as usize;
        // The header starts with its type (field 1), then the two sizes (fields 2, 3), as
        // every writer puts them: rewrite the uncompressed size as a 5-byte varint and
        // shorten the compressed size by what that adds, so the next page stays in place.
        let mut at = start;
        let field = |at: &mut usize| {
            assert_eq!(good[*at], 0x15, "an i32 field");
            *at += 1;
            let begin = *at;
            while good[*at] & 0x80 != 0 {
                *at += 1;
            }
            *at += 1;
            (begin, *at)
        };
        field(&mut at);
        let (unc_begin, unc_end) = field(&mut at);
        let (comp_begin, comp_end) = field(&mut at);
        let mut comp = 0u64;
        for (i, b) in good[comp_begin..comp_end].iter().enumerate() {
            comp |= u64::from(b & 0x7f) << (7 * i);
        }
        let comp = (comp >> 1) as i64;
        let added = 5 - (unc_end - unc_begin) as i64;
        let huge = (i32::MAX as u64) << 1;
        let header_len = super::page_sizes(&good[start..]).unwrap().header_len as usize;
        let data = start + header_len;
        let mut bad = good[..unc_begin].to_vec();
        bad.extend(varint(huge, 5));
        bad.push(0x15);
        bad.extend(varint(((comp - added) as u64) << 1, comp_end - comp_begin));
        bad.extend(&good[comp_end..data]);
        bad.extend(&good[data + added as usize..]);
        assert_eq!(bad.len(), good.len());
        bad
    }
}
