//! The zip-bomb guard both zip readers share (.xlsx uploads and bundles): the entry count a
//! zip declares, ZIP64 included, read from its end records before the `zip` crate parses the
//! whole central directory into memory.

use std::io::{self, Read, Seek, SeekFrom};

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
