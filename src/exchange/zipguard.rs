//! The zip-bomb guard both zip readers share (.xlsx uploads and bundles): the entry count a
//! zip declares, ZIP64 included, read from its end records before the `zip` crate parses the
//! whole central directory into memory; then every entry's declared size, how far it would
//! inflate, and the running total, all checked before anything is inflated. Each reader
//! brings its own limits and turns a `Refusal` into its own error.

use std::io::{self, Read, Seek, SeekFrom};

const MB: u64 = 1024 * 1024;
/// Entries larger than this must not inflate more than `MAX_RATIO` times: real xlsx parts
/// and bundle parts compress far less, a bomb far more.
pub const RATIO_CHECKED_ABOVE: u64 = MB;
pub const MAX_RATIO: u64 = 200;

/// What one kind of zip may hold, all entries together.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub entries: u64,
    pub total: u64,
}

/// Why a zip is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooManyEntries,
    /// This entry is over its own limit or would inflate too far.
    Entry,
    /// The entries so far are over the total.
    Total,
}

/// Checks a zip's entries one by one, from their declared sizes, keeping the running total.
#[derive(Debug)]
pub struct Guard {
    limits: Limits,
    total: u64,
}

impl Guard {
    pub fn new(limits: Limits) -> Self {
        Guard { limits, total: 0 }
    }

    /// An entry count: the one `declared_entries` reads, then the parsed directory's.
    pub fn count(&self, entries: u64) -> Result<(), Refusal> {
        if entries > self.limits.entries {
            Err(Refusal::TooManyEntries)
        } else {
            Ok(())
        }
    }

    /// One entry's declared `size` and compressed size `packed`, against its own `limit`
    /// and the total. The entry's own fault is reported before the total's, so a reader can
    /// name the entry.
    pub fn entry(&mut self, size: u64, packed: u64, limit: u64) -> Result<(), Refusal> {
        self.total = self.total.saturating_add(size);
        if size > limit || (size > RATIO_CHECKED_ABOVE && size > packed.saturating_mul(MAX_RATIO)) {
            Err(Refusal::Entry)
        } else if self.total > self.limits.total {
            Err(Refusal::Total)
        } else {
            Ok(())
        }
    }

    /// The declared sizes of the entries checked so far, the refused one included.
    pub fn total(&self) -> u64 {
        self.total
    }
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let raw: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(raw))
}

/// The entry count the end of central directory record declares, read before the zip
/// crate parses the whole directory into memory; None when no end record is found.
/// Leaves the input at its start.
pub fn declared_entries<R: Read + Seek + ?Sized>(input: &mut R) -> io::Result<Option<u64>> {
    const EOCD_LEN: usize = 22;
    const LOCATOR_LEN: usize = 20;
    let len = input.seek(SeekFrom::End(0))?;
    let tail_len = len.min((EOCD_LEN + usize::from(u16::MAX) + LOCATOR_LEN) as u64);
    input.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::new();
    (&mut *input).take(tail_len).read_to_end(&mut tail)?;
    let Some(last) = tail.len().checked_sub(EOCD_LEN) else {
        input.seek(SeekFrom::Start(0))?;
        return Ok(None);
    };
    let Some(at) = (0..=last)
        .rev()
        .find(|&i| tail.get(i..).is_some_and(|t| t.starts_with(b"PK\x05\x06")))
    else {
        input.seek(SeekFrom::Start(0))?;
        return Ok(None);
    };
    let count = tail
        .get(at + 10..at + 12)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    let mut declared = u64::from(count);
    if count == u16::MAX {
        // Zip64: the locator just before the end record gives the zip64 end record's offset.
        let locator = at
            .checked_sub(LOCATOR_LEN)
            .and_then(|l| tail.get(l..at))
            .filter(|l| l.starts_with(b"PK\x06\x07"));
        if let Some(offset) = locator.and_then(|l| le_u64(l, 8))
            && offset < len
        {
            input.seek(SeekFrom::Start(offset))?;
            let mut record = Vec::new();
            (&mut *input).take(40).read_to_end(&mut record)?;
            if record.starts_with(b"PK\x06\x06")
                && let Some(n) = le_u64(&record, 32)
            {
                declared = declared.max(n);
            }
        }
    }
    input.seek(SeekFrom::Start(0))?;
    Ok(Some(declared))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::super::testzip;
    use super::*;

    #[test]
    fn the_declared_count_is_read_from_the_end_records_zip64_included() {
        let plain = testzip::stored(&[("a", b"x"), ("b", b"y")]);
        assert_eq!(declared_entries(&mut Cursor::new(&plain)).unwrap(), Some(2));
        let forged = testzip::declaring_zip64_entries(plain, 1 << 40);
        assert_eq!(
            declared_entries(&mut Cursor::new(&forged)).unwrap(),
            Some(1 << 40)
        );
        assert_eq!(
            declared_entries(&mut Cursor::new(b"PK\x03\x04")).unwrap(),
            None
        );
    }

    #[test]
    fn an_entry_is_refused_for_itself_before_the_total() {
        let limits = Limits {
            entries: 3,
            total: 10 * MB,
        };
        let mut guard = Guard::new(limits);
        assert_eq!(guard.count(3), Ok(()));
        assert_eq!(guard.count(4), Err(Refusal::TooManyEntries));
        // Small entries may compress as well as they like.
        assert_eq!(guard.entry(MB, 1, 6 * MB), Ok(()));
        // Above 1 MB, 200:1 is the most.
        let packed = (2 * MB).div_ceil(MAX_RATIO);
        assert_eq!(guard.entry(2 * MB, packed, 6 * MB), Ok(()));
        assert_eq!(guard.entry(2 * MB, packed - 1, 6 * MB), Err(Refusal::Entry));
        let mut guard = Guard::new(limits);
        assert_eq!(guard.entry(6 * MB, 6 * MB, 6 * MB), Ok(()));
        // Over its own limit and over the total: the entry is named.
        assert_eq!(guard.entry(7 * MB, 7 * MB, 6 * MB), Err(Refusal::Entry));
        assert_eq!(guard.total(), 13 * MB);
        let mut guard = Guard::new(limits);
        assert_eq!(guard.entry(6 * MB, 6 * MB, 6 * MB), Ok(()));
        assert_eq!(guard.entry(5 * MB, 5 * MB, 6 * MB), Err(Refusal::Total));
    }
}
