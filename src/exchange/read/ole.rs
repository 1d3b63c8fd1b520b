//! The checks on an uploaded xls's OLE container, before calamine sees it.
//!
//! calamine 0.38 trusts an xls file's structure: a loop in a sector chain makes it spin or
//! grow a buffer forever, a DIMENSIONS record or one far-away cell makes it allocate a dense
//! grid of up to 2^32 × 65,536 cells, and a failed allocation aborts the whole server (a
//! panic would be caught, an abort cannot). So the OLE container is walked here first, the
//! way calamine reads it, and the Workbook stream's cell records are measured.

use super::{CORRUPT_MESSAGE, ReadError};

pub(super) const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Cells calamine may lay out densely for one xls file, all sheets together: 65,536 rows
/// of 32 columns (about 64 MB per copy).
const MAX_XLS_CELLS: u64 = 2_097_152;

const XLS_TOO_WIDE_MESSAGE: &str = "这个 .xls 表格的使用范围过大（可能在很远的行或列里填写过内容），\
    无法读取。请在 Excel 或 WPS 中删除多余的行和列，或“另存为” .xlsx 后再上传";

pub(super) fn check_xls(bytes: &[u8]) -> Result<(), ReadError> {
    let corrupt = || ReadError::Corrupt(CORRUPT_MESSAGE.to_string());
    let ole = Ole::open(bytes).ok_or_else(corrupt)?;
    // calamine takes the first entry named Workbook, or failing that Book.
    for name in ["Workbook", "Book"] {
        if let Some(entry) = ole
            .entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        {
            let stream = ole.stream(entry).ok_or_else(corrupt)?;
            if biff_cells(&stream) > MAX_XLS_CELLS {
                return Err(ReadError::Corrupt(XLS_TOO_WIDE_MESSAGE.to_string()));
            }
        }
    }
    Ok(())
}

pub(super) const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;

struct OleEntry {
    name: String,
    start: u32,
    len: u64,
}

/// An OLE compound file read as calamine reads it, refusing what would make calamine loop
/// or grow without bound: chains longer than the file has sectors, streams declared
/// longer than the file.
struct Ole<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    /// calamine's bound on sector ids: file length / sector size.
    max_id: usize,
    fat: Vec<u32>,
    entries: Vec<OleEntry>,
    mini_fat: Vec<u32>,
    mini_stream: Vec<u8>,
}

fn le_u32s(bytes: &[u8]) -> Option<Vec<u32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

impl<'a> Ole<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        let header = bytes.get(..512)?;
        let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
        let u32_at =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let sector_size = match u16_at(30) {
            9 => 512,
            12 => 4096,
            _ => return None,
        };
        if u16_at(32) != 6 || bytes.len() < sector_size {
            return None;
        }
        let mut ole = Ole {
            bytes,
            sector_size,
            max_id: bytes.len() / sector_size,
            fat: Vec::new(),
            entries: Vec::new(),
            mini_fat: Vec::new(),
            mini_stream: Vec::new(),
        };
        // DIFAT: 109 ids in the header, then a chain of DIFAT sectors.
        let mut difat = le_u32s(&header[76..512])?;
        let mut id = u32_at(68);
        let mut steps = 0;
        while id < RESERVED_SECTORS {
            steps += 1;
            if steps > ole.max_id + 1 {
                return None;
            }
            difat.extend(le_u32s(ole.sector(id)?)?);
            id = difat.pop()?;
        }
        let fat_sectors: Vec<u32> = difat.into_iter().filter(|&id| id < DIFAT_SECTOR).collect();
        if fat_sectors.len() > ole.max_id + 1 {
            return None;
        }
        for id in fat_sectors {
            let sector = le_u32s(ole.sector(id)?)?;
            ole.fat.extend(sector);
        }
        let directory = ole.chain(u32_at(48), usize::MAX)?;
        let version = u16_at(26);
        for raw in directory.chunks_exact(128) {
            let (name, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(&raw[..64]);
            let name = name.split('\0').next().unwrap_or("").to_string();
            let start = u32::from_le_bytes([raw[116], raw[117], raw[118], raw[119]]);
            let len = if sector_size == 512 {
                u64::from(u32::from_le_bytes([raw[120], raw[121], raw[122], raw[123]]))
            } else {
                u64::from_le_bytes(raw[120..128].try_into().ok()?)
            };
            ole.entries.push(OleEntry { name, start, len });
        }
        let root = ole.entries.first()?;
        if version != 3 && root.start == END_OF_CHAIN {
            return None;
        }
        let (root_start, root_len) = (root.start, root.len);
        let mini_fat_sectors = u64::from(u32_at(64));
        if mini_fat_sectors > 0 {
            ole.mini_stream = ole.chain(root_start, ole.bounded_len(root_len)?)?;
            let mini_fat_len = ole.bounded_len(mini_fat_sectors.saturating_mul(512))?;
            let mini_fat_len = if sector_size == 512 {
                mini_fat_len
            } else {
                ole.bounded_len(mini_fat_sectors.saturating_mul(4096))?
            };
            ole.mini_fat = le_u32s(&ole.chain(u32_at(60), mini_fat_len)?)?;
        }
        Some(ole)
    }

    /// A declared length, refused when longer than the file itself.
    fn bounded_len(&self, len: u64) -> Option<usize> {
        usize::try_from(len).ok().filter(|&n| n <= self.bytes.len())
    }

    /// Sector `id` (the one after the header is 0); the last may be cut short by the end
    /// of the file, as calamine allows.
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let id = usize::try_from(id).ok()?;
        if id > self.max_id {
            return None;
        }
        let start = (id + 1).checked_mul(self.sector_size)?;
        let end = start.checked_add(self.sector_size)?.min(self.bytes.len());
        let sector = self.bytes.get(start..end)?;
        (!sector.is_empty()).then_some(sector)
    }

    /// A chain of sectors through the FAT, up to `len` bytes; a chain with more links than
    /// the file has sectors loops.
    fn chain(&self, mut id: u32, len: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut steps = 0;
        while id != END_OF_CHAIN {
            steps += 1;
            if steps > self.max_id + 1 {
                return None;
            }
            let sector = self.sector(id)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            if out.len() >= len {
                break;
            }
            id = *self.fat.get(usize::try_from(id).ok()?)?;
        }
        Some(out)
    }

    /// A stream's bytes: from 64-byte mini sectors below 4096 bytes, as calamine does.
    fn stream(&self, entry: &OleEntry) -> Option<Vec<u8>> {
        let len = self.bounded_len(entry.len)?;
        if len >= 4096 {
            return self.chain(entry.start, len);
        }
        let mut out = Vec::new();
        let mut id = entry.start;
        let mut steps = 0;
        while id != END_OF_CHAIN && out.len() < len {
            steps += 1;
            if steps > self.mini_stream.len() / 64 + 1 {
                return None;
            }
            let start = usize::try_from(id).ok()?.checked_mul(64)?;
            let sector = self.mini_stream.get(start..start.checked_add(64)?)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            id = *self.mini_fat.get(usize::try_from(id).ok()?)?;
        }
        Some(out)
    }
}

/// BIFF records as calamine splits them: type, data; CONTINUE records after a record
/// belong to it. `None` at the end or at a record cut short (where calamine stops with an
/// error).
fn biff_records(mut stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let typ = u16::from_le_bytes([*stream.first()?, *stream.get(1)?]);
        let len = usize::from(u16::from_le_bytes([*stream.get(2)?, *stream.get(3)?]));
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        while stream.len() > 4 && stream[..2] == [0x3C, 0x00] {
            let len = usize::from(u16::from_le_bytes([stream[2], stream[3]]));
            stream = stream.get(4 + len..)?;
        }
        Some((typ, data))
    })
}

fn u16_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
    ])))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// How many cells calamine would allocate for this Workbook stream: for every sheet the
/// room a DIMENSIONS record reserves plus the bounding box of its cell records.
fn biff_cells(stream: &[u8]) -> u64 {
    // Sheets start where the globals' BOUNDSHEET records say.
    let mut starts = Vec::new();
    for (typ, data) in biff_records(stream) {
        match typ {
            0x0085 => starts.extend(u32_at(data, 0)),
            0x000A => break,
            _ => {}
        }
    }
    let mut total: u64 = 0;
    for start in starts {
        let Some(sheet) = usize::try_from(start).ok().and_then(|s| stream.get(s..)) else {
            continue;
        };
        let mut bounds: Option<(u32, u32, u32, u32)> = None;
        let mut include = |row: u32, col: u32| {
            bounds = Some(match bounds {
                None => (row, row, col, col),
                Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
            });
        };
        let mut formula_at = (0, 0);
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, data) in biff_records(sheet) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let position = || Some((u16_at(data, 0)?, u16_at(data, 2)?));
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => total = total.saturating_add(dimensions_reserve(data)),
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    if let Some((row, col)) = position() {
                        include(row, col);
                    }
                }
                0x0006 => {
                    if let Some(at) = position() {
                        formula_at = at;
                        include(at.0, at.1);
                    }
                }
                0x0207 => include(formula_at.0, formula_at.1),
                0x00BD => {
                    if let (Some((row, first)), Some(last)) = (
                        position(),
                        data.len().checked_sub(2).and_then(|at| u16_at(data, at)),
                    ) {
                        include(row, first);
                        include(row, last);
                    }
                }
                0x000A => break,
                _ => {}
            }
        }
        if let Some((r0, r1, c0, c1)) = bounds {
            let cells = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
            total = total.saturating_add(cells);
        }
    }
    total
}

/// The cells calamine reserves for a DIMENSIONS record, with its arithmetic (wrapping as
/// in a release build).
fn dimensions_reserve(data: &[u8]) -> u64 {
    let parsed = match data.len() {
        10 => (
            u16_at(data, 0),
            u16_at(data, 2),
            u16_at(data, 4),
            u16_at(data, 6),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8),
            u16_at(data, 10),
        ),
        _ => return 0,
    };
    let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = parsed else {
        return 0;
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if rl >= 1 && cl >= 1 {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
    let cols = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
    rows.saturating_mul(cols)
}

#[cfg(test)]
mod tests {
    use super::super::detect;
    use super::super::testdata::{fixture, rows, tiny_ole, workbook_stream};
    use super::*;

    #[test]
    fn xls_that_would_make_calamine_allocate_without_bound_is_refused() {
        let too_wide = ReadError::Corrupt(XLS_TOO_WIDE_MESSAGE.to_string());
        // Two cells at opposite corners of a 65,536 × 65,536 grid.
        let bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0), (65535, 65535, 2.0)], None));
        assert_eq!(detect(&bytes).unwrap_err(), too_wide);
        assert_eq!(rows(&bytes).unwrap_err(), too_wide);
        // A DIMENSIONS record claiming 4 billion rows.
        let bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], Some((0, u32::MAX, 0, 16))));
        assert_eq!(detect(&bytes).unwrap_err(), too_wide);
        // First row after the last: calamine's row count wraps around.
        let bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], Some((10, 5, 0, 1))));
        assert_eq!(detect(&bytes).unwrap_err(), too_wide);
        // A whole-sheet xls of 65,536 rows × 256 columns is over the budget too.
        let bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0), (65535, 255, 2.0)], None));
        assert_eq!(detect(&bytes).unwrap_err(), too_wide);
        assert!(XLS_TOO_WIDE_MESSAGE.contains(".xlsx"));

        // The same in a file written by xlwt (regular sectors): one NUMBER record moved far.
        let mut bytes = fixture("volunteers_xlwt.xls");
        let at = bytes
            .windows(4)
            .position(|w| w == b"\x03\x02\x0e\x00")
            .expect("a NUMBER record");
        bytes[at + 4..at + 8].copy_from_slice(&[0xFF; 4]);
        assert_eq!(detect(&bytes).unwrap_err(), too_wide);
    }

    #[test]
    fn xls_with_a_looping_sector_chain_is_refused() {
        // The directory's FAT entry points back to itself: calamine would loop forever.
        let mut bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], None));
        let fat_entry_of_directory = 512 + 4;
        bytes[fat_entry_of_directory..fat_entry_of_directory + 4]
            .copy_from_slice(&1u32.to_le_bytes());
        let corrupt = ReadError::Corrupt(CORRUPT_MESSAGE.to_string());
        assert_eq!(detect(&bytes).unwrap_err(), corrupt);
        assert_eq!(rows(&bytes).unwrap_err(), corrupt);
        // A chain into a sector past the end of the file (calamine reads it as empty and
        // loops): likewise.
        let mut bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], None));
        let last = bytes.len() / 512;
        bytes[fat_entry_of_directory..fat_entry_of_directory + 4]
            .copy_from_slice(&u32::try_from(last - 1).unwrap().to_le_bytes());
        bytes[512 + 4 * (last - 1)..512 + 4 * last]
            .copy_from_slice(&u32::try_from(last - 1).unwrap().to_le_bytes());
        assert_eq!(detect(&bytes).unwrap_err(), corrupt);
        // A Workbook stream declared longer than the file.
        let mut bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], None));
        let workbook_len = 2 * 512 + 128 + 120;
        bytes[workbook_len..workbook_len + 4].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        assert_eq!(detect(&bytes).unwrap_err(), corrupt);
    }
}
