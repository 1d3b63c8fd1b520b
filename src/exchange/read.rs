//! Reading an uploaded spreadsheet (xlsx, xls or CSV) into rows of cells, before any
//! interpretation: the importer maps headers and validates values afterwards.
//!
//! The format is decided by content, never by the file name. Every input is untrusted:
//! sizes are bounded before anything is decompressed (a zip's declared sizes are checked
//! here, and the `zip` crate refuses to inflate an entry past its declared size), xlsx
//! sheets are streamed cell by cell, and calamine is called behind `catch_unwind` so that a
//! malformed file becomes an error message, never a crashed request.

use std::borrow::Cow;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{
    Data, DataRef, ExcelDateTime, Reader, Sheet, SheetType, SheetVisible, Xls, XlsError, Xlsx,
    XlsxError,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

/// A cell as read, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    DateTime(NaiveDateTime),
    Bool(bool),
    Error(String),
}

impl Cell {
    /// The text a person would see for this cell: integers in full; other numbers with
    /// Excel's 15 significant digits and no trailing ".0", in Excel's General exponent form
    /// ("4.20323E+17") where Excel would show one, so an ID number Excel turned into a
    /// number is recognisable; dates as "2019-08-08" (with " HH:MM:SS" if not midnight);
    /// booleans as TRUE / FALSE; errors as Excel writes them ("#N/A").
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Error(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(x) => general_number(*x),
            Cell::DateTime(dt) if dt.time() == NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Cell::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Bool(true) => "TRUE".to_string(),
            Cell::Bool(false) => "FALSE".to_string(),
        }
    }

    /// Empty, or text of only whitespace.
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// One row: its number as Excel shows it (1-based) and its cells (trailing empties cut).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Cell>,
}

/// The kind of file, as decided by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Csv,
}

/// Why a file cannot be read. `message()` is Chinese, says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    NotASpreadsheet,
    ZipBomb,
    UnknownEncoding,
    NoSheet,
    /// The file is damaged or cannot be opened; the string is the Chinese message.
    Corrupt(String),
}

impl ReadError {
    /// What went wrong and what to do, for the person who uploaded the file.
    pub fn message(&self) -> String {
        match self {
            ReadError::TooLarge { bytes, limit } => format!(
                "文件太大（{:.1} MB），超过了 {} MB 的上限。请把表格拆分成几个较小的文件分别上传，\
                 或删除其中的图片和用不到的工作表后再试",
                *bytes as f64 / MB as f64,
                limit / MB
            ),
            ReadError::NotASpreadsheet => "这不是 Excel 表格文件，或文件内容为空，无法读取。\
                请上传 .xlsx、.xls 或 .csv 文件（可在 Excel 或 WPS 中用“另存为”保存成这几种格式）"
                .to_string(),
            ReadError::ZipBomb => "文件解压后异常巨大，可能已损坏或不是正常的 Excel 文件。\
                请在 Excel 或 WPS 中打开它，把要导入的内容复制到一个新建的表格里，另存为 .xlsx 后再上传"
                .to_string(),
            ReadError::UnknownEncoding => {
                "无法识别文件编码，请在 Excel 或 WPS 中另存为“CSV UTF-8”格式后再上传".to_string()
            }
            ReadError::NoSheet => "文件里没有可以读取的工作表。请确认要导入的内容在第一个工作表中，\
                另存为 .xlsx 后再上传"
                .to_string(),
            ReadError::Corrupt(message) => message.clone(),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ReadError {}

const MB: u64 = 1024 * 1024;

/// Largest upload accepted (bytes): 40 MB.
pub const MAX_FILE_BYTES: u64 = 40 * MB;

/// Zip-bomb limits, checked on the central directory before anything is inflated.
const MAX_UNZIPPED_TOTAL: u64 = 600 * MB;
const MAX_UNZIPPED_ENTRY: u64 = 300 * MB;
const MAX_RATIO: u64 = 200;
const RATIO_CHECKED_ABOVE: u64 = MB;
const MAX_ZIP_ENTRIES: u64 = 10_000;

/// Excel's grid: 1,048,576 rows × 16,384 columns (XFD).
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;

/// Serial numbers Excel can show as dates: 0 up to 9999-12-31.
const MAX_DATE_SERIAL: f64 = 2_958_466.0;

/// Integers are exact in an f64 below 2^53.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Messages carried by `ReadError::Corrupt`.
const PASSWORD_MESSAGE: &str = "文件设置了打开密码，无法读取。请在 Excel 或 WPS 中打开文件，\
    取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）并保存后再上传";
const CORRUPT_MESSAGE: &str = "文件已损坏或内容不完整，无法读取。请在 Excel 或 WPS 中打开它，\
    确认内容正常后“另存为” .xlsx 文件再上传";
const TRUNCATED_MESSAGE: &str = "文件不完整或已损坏（可能没有下载或复制完整），无法读取。\
    请重新保存或重新下载该文件后再上传";
const ROW_ORDER_MESSAGE: &str = "表格内部的行顺序异常，无法读取。请在 Excel 或 WPS 中打开文件，\
    “另存为” .xlsx 后再上传";
const OUT_OF_GRID_MESSAGE: &str = "表格中有超出 Excel 行列范围的单元格，文件可能已损坏。\
    请在 Excel 或 WPS 中打开文件，“另存为” .xlsx 后再上传";

/// What the content turned out to be; CSV comes decoded.
enum Sniffed<'a> {
    Xlsx,
    Xls,
    Csv(Cow<'a, str>),
}

/// Decide the format by content: a zip holding `xl/workbook.xml` is xlsx (after the
/// zip-bomb checks), an OLE compound file is xls, and text in UTF-8 (with or without BOM),
/// UTF-16 with BOM or GBK that looks like delimited text is CSV.
pub fn detect(bytes: &[u8]) -> Result<Format, ReadError> {
    Ok(match sniff(bytes)? {
        Sniffed::Xlsx => Format::Xlsx,
        Sniffed::Xls => Format::Xls,
        Sniffed::Csv(_) => Format::Csv,
    })
}

/// Stream the first worksheet's rows to `f`, in order (for xlsx: the first visible
/// worksheet in workbook order, else the first worksheet). Rows without any value are
/// skipped; their numbers are kept on the others. Stops at the first error of `f` and
/// returns it.
pub fn for_each_row<E: From<ReadError>>(
    bytes: &[u8],
    mut f: impl FnMut(Row) -> Result<(), E>,
) -> Result<Format, E> {
    match sniff(bytes)? {
        Sniffed::Xlsx => {
            read_xlsx(bytes, &mut f)?;
            Ok(Format::Xlsx)
        }
        Sniffed::Xls => {
            read_xls(bytes, &mut f)?;
            Ok(Format::Xls)
        }
        Sniffed::Csv(text) => {
            read_csv(&text, &mut f)?;
            Ok(Format::Csv)
        }
    }
}

fn sniff(bytes: &[u8]) -> Result<Sniffed<'_>, ReadError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            bytes: size,
            limit: MAX_FILE_BYTES,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        check_zip(bytes)?;
        return Ok(Sniffed::Xlsx);
    }
    if bytes.starts_with(&OLE_MAGIC) {
        check_xls(bytes)?;
        return Ok(Sniffed::Xls);
    }
    let text = decode_text(bytes)?;
    if !looks_delimited(&text) {
        return Err(ReadError::NotASpreadsheet);
    }
    Ok(Sniffed::Csv(text))
}

// ---------------------------------------------------------------------------------------
// Zip checks

/// Refuses zip bombs by the central directory's declared sizes (the `zip` crate then stops
/// inflating any entry at its declared size), and zips that are not xlsx.
fn check_zip(bytes: &[u8]) -> Result<(), ReadError> {
    // Counted from the end records (ZIP64 too) before the whole directory is parsed.
    if super::zipguard::declared_entries(&mut Cursor::new(bytes))
        .ok()
        .flatten()
        .is_some_and(|n| n > MAX_ZIP_ENTRIES)
    {
        return Err(ReadError::ZipBomb);
    }
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        log::warn!("upload: unreadable zip: {e}");
        ReadError::Corrupt(TRUNCATED_MESSAGE.to_string())
    })?;
    if u64::try_from(archive.len()).unwrap_or(u64::MAX) > MAX_ZIP_ENTRIES {
        return Err(ReadError::ZipBomb);
    }
    let mut total: u64 = 0;
    let mut has_workbook = false;
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(|e| {
            log::warn!("upload: unreadable zip entry {i}: {e}");
            ReadError::Corrupt(TRUNCATED_MESSAGE.to_string())
        })?;
        let size = entry.size();
        let packed = entry.compressed_size();
        total = total.saturating_add(size);
        if size > MAX_UNZIPPED_ENTRY
            || total > MAX_UNZIPPED_TOTAL
            || (size > RATIO_CHECKED_ABOVE && size > packed.saturating_mul(MAX_RATIO))
        {
            log::warn!(
                "upload: refused zip: entry {i} declares {size} bytes from {packed}, {total} in all"
            );
            return Err(ReadError::ZipBomb);
        }
        has_workbook |= entry.name_raw().eq_ignore_ascii_case(b"xl/workbook.xml");
    }
    if has_workbook {
        Ok(())
    } else {
        Err(ReadError::NotASpreadsheet)
    }
}

// ---------------------------------------------------------------------------------------
// xls checks
//
// calamine 0.38 trusts an xls file's structure: a loop in a sector chain makes it spin or
// grow a buffer forever, a DIMENSIONS record or one far-away cell makes it allocate a dense
// grid of up to 2^32 × 65,536 cells, and a failed allocation aborts the whole server (a
// panic would be caught, an abort cannot). So the OLE container is walked here first, the
// way calamine reads it, and the Workbook stream's cell records are measured.

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Cells calamine may lay out densely for one xls file, all sheets together: 65,536 rows
/// of 32 columns (about 64 MB per copy).
const MAX_XLS_CELLS: u64 = 2_097_152;

const XLS_TOO_WIDE_MESSAGE: &str = "这个 .xls 表格的使用范围过大（可能在很远的行或列里填写过内容），\
    无法读取。请在 Excel 或 WPS 中删除多余的行和列，或“另存为” .xlsx 后再上传";

fn check_xls(bytes: &[u8]) -> Result<(), ReadError> {
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

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
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

// ---------------------------------------------------------------------------------------
// xlsx

fn read_xlsx<E: From<ReadError>>(
    bytes: &[u8],
    f: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let mut book: Xlsx<_> = match catch_unwind(|| Xlsx::new(Cursor::new(bytes))) {
        Ok(Ok(book)) => book,
        Ok(Err(e)) => return Err(xlsx_error(&e).into()),
        Err(_) => return Err(calamine_panicked().into()),
    };
    let name = first_sheet(book.sheets_metadata()).ok_or(ReadError::NoSheet)?;
    let book = &mut book;
    // The closure moves `book` out so the reader may borrow it past the call.
    let open_sheet = move || {
        let book = book;
        book.worksheet_cells_reader(&name)
    };
    let mut cells = match catch_unwind(AssertUnwindSafe(open_sheet)) {
        Ok(Ok(cells)) => cells,
        Ok(Err(e)) => return Err(xlsx_error(&e).into()),
        Err(_) => return Err(calamine_panicked().into()),
    };
    // The row being assembled: 0-based index and cells so far.
    let mut current: Option<(u32, Vec<Cell>)> = None;
    let mut skipped_errors = 0u32;
    loop {
        let cell = match catch_unwind(AssertUnwindSafe(|| cells.next_cell())) {
            Ok(Ok(Some(cell))) => cell,
            Ok(Ok(None)) => break,
            // An error value calamine does not know (#SPILL!, #CALC!, …) fails only its own
            // cell; the XML stream is intact, so reading goes on without that cell.
            Ok(Err(XlsxError::CellError(value))) if skipped_errors < 10_000 => {
                log::warn!("upload: skipped a cell with the unknown error value {value:?}");
                skipped_errors += 1;
                continue;
            }
            Ok(Err(e)) => return Err(xlsx_error(&e).into()),
            Err(_) => return Err(calamine_panicked().into()),
        };
        let value = from_data_ref(cell.get_value());
        if value == Cell::Empty {
            // Formatted but empty cells (whole columns set to Text) say nothing.
            continue;
        }
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(ReadError::Corrupt(OUT_OF_GRID_MESSAGE.to_string()).into());
        }
        match &current {
            Some((row, _)) if *row == r => {}
            Some((row, _)) if *row > r => {
                return Err(ReadError::Corrupt(ROW_ORDER_MESSAGE.to_string()).into());
            }
            _ => {
                if let Some((row, values)) = current.take() {
                    f(Row {
                        number: row + 1,
                        cells: values,
                    })?;
                }
                current = Some((r, Vec::new()));
            }
        }
        if let Some((_, values)) = current.as_mut() {
            place(values, c as usize, value);
        }
    }
    if let Some((row, values)) = current {
        f(Row {
            number: row + 1,
            cells: values,
        })?;
    }
    Ok(())
}

/// Puts a value at its column, padding with empty cells.
fn place(values: &mut Vec<Cell>, column: usize, value: Cell) {
    if values.len() <= column {
        values.resize(column + 1, Cell::Empty);
    }
    values[column] = value;
}

/// The sheet to read: the first visible worksheet in workbook order, else the first
/// worksheet (chart sheets hold no cells).
fn first_sheet(sheets: &[Sheet]) -> Option<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
}

fn xlsx_error(e: &XlsxError) -> ReadError {
    log::warn!("upload: calamine could not read an xlsx: {e}");
    match e {
        XlsxError::Password => ReadError::Corrupt(PASSWORD_MESSAGE.to_string()),
        XlsxError::Zip(zip::result::ZipError::UnsupportedArchive(what))
            if *what == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            ReadError::Corrupt(PASSWORD_MESSAGE.to_string())
        }
        _ => ReadError::Corrupt(CORRUPT_MESSAGE.to_string()),
    }
}

fn calamine_panicked() -> ReadError {
    log::error!("upload: calamine panicked on an uploaded file");
    ReadError::Corrupt(CORRUPT_MESSAGE.to_string())
}

// ---------------------------------------------------------------------------------------
// xls

fn read_xls<E: From<ReadError>>(
    bytes: &[u8],
    f: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    // xls holds at most 65,536 rows × 256 columns, so the whole range is fine here.
    let loaded = catch_unwind(|| -> Result<Option<calamine::Range<Data>>, XlsError> {
        let mut book: Xls<_> = Xls::new(Cursor::new(bytes))?;
        match first_sheet(book.sheets_metadata()) {
            Some(name) => book.worksheet_range(&name).map(Some),
            None => Ok(None),
        }
    });
    let range = match loaded {
        Ok(Ok(Some(range))) => range,
        Ok(Ok(None)) => return Err(ReadError::NoSheet.into()),
        Ok(Err(e)) => return Err(xls_error(&e, bytes).into()),
        Err(_) => return Err(calamine_panicked().into()),
    };
    let Some((first_row, first_column)) = range.start() else {
        return Ok(());
    };
    for (i, values) in range.rows().enumerate() {
        let mut cells = vec![Cell::Empty; first_column as usize];
        cells.extend(values.iter().map(from_data));
        trim_trailing_empty(&mut cells);
        if cells.is_empty() {
            continue;
        }
        let offset = u32::try_from(i).unwrap_or(u32::MAX);
        f(Row {
            number: first_row.saturating_add(offset).saturating_add(1),
            cells,
        })?;
    }
    Ok(())
}

fn xls_error(e: &XlsError, bytes: &[u8]) -> ReadError {
    log::warn!("upload: calamine could not read an xls: {e}");
    match e {
        XlsError::Password => ReadError::Corrupt(PASSWORD_MESSAGE.to_string()),
        // An OLE file without a Workbook stream: a password-protected xlsx (Excel wraps it
        // in OLE as "EncryptedPackage"), or another Office file such as a .doc.
        XlsError::Cfb(inner) if inner.to_string().starts_with("Cannot find") => {
            if contains_utf16le(bytes, "EncryptedPackage") {
                ReadError::Corrupt(PASSWORD_MESSAGE.to_string())
            } else {
                ReadError::NotASpreadsheet
            }
        }
        _ => ReadError::Corrupt(CORRUPT_MESSAGE.to_string()),
    }
}

fn contains_utf16le(haystack: &[u8], needle: &str) -> bool {
    let needle: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_slice())
}

// ---------------------------------------------------------------------------------------
// Cell values

fn from_data_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(x) => number(*x),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => date(d),
        DataRef::DateTimeIso(s) => iso_date(s),
        DataRef::DurationIso(s) => text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(x) => number(*x),
        Data::String(s) => text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => date(d),
        Data::DateTimeIso(s) => iso_date(s),
        Data::DurationIso(s) => text(s),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

/// Integral values that an f64 holds exactly become `Int`; the rest stay `Float`.
fn number(x: f64) -> Cell {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < EXACT_INTEGER_LIMIT {
        // Exact: |x| < 2^53 and integral.
        Cell::Int(x as i64)
    } else {
        Cell::Float(x)
    }
}

/// A number in a date format. Durations ([h]:mm) and serials outside Excel's date range
/// (which Excel shows as ####) stay numbers; the rest round to the second.
fn date(d: &ExcelDateTime) -> Cell {
    let serial = d.as_f64();
    // Checked first: calamine's conversion goes through i64 milliseconds.
    if d.is_duration() || !(serial.is_finite() && (0.0..MAX_DATE_SERIAL).contains(&serial)) {
        return number(serial);
    }
    match d.as_datetime() {
        Some(dt) => Cell::DateTime(round_to_second(dt)),
        None => number(serial),
    }
}

fn round_to_second(dt: NaiveDateTime) -> NaiveDateTime {
    let nanos = dt.nanosecond();
    let floor = dt.with_nanosecond(0).unwrap_or(dt);
    if nanos >= 500_000_000 {
        floor
            .checked_add_signed(TimeDelta::seconds(1))
            .unwrap_or(floor)
    } else {
        floor
    }
}

/// An ISO 8601 date cell (`t="d"`, written by some tools instead of serial numbers).
fn iso_date(s: &str) -> Cell {
    let s = s.trim();
    if let Ok(dt) = s.parse::<NaiveDateTime>() {
        return Cell::DateTime(round_to_second(dt));
    }
    if let Ok(d) = s.parse::<NaiveDate>() {
        return Cell::DateTime(d.and_time(NaiveTime::MIN));
    }
    text(s)
}

/// A float as Excel's General format shows it: 15 significant digits, positional for
/// magnitudes from 1E-05 up to (not including) 1E+11, otherwise six significant digits in
/// exponent form ("4.20323E+17", "1E-06").
fn general_number(x: f64) -> String {
    if !x.is_finite() {
        return "#NUM!".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let fifteen = format!("{x:.14e}");
    let exponent: i32 = fifteen
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let rounded: f64 = fifteen.parse().unwrap_or(x);
    if (-4..=10).contains(&exponent) {
        format!("{rounded}")
    } else {
        let six = format!("{rounded:.5e}");
        let (mantissa, exponent) = six.split_once('e').unwrap_or((six.as_str(), "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
    }
}

fn trim_trailing_empty(cells: &mut Vec<Cell>) {
    while cells.last() == Some(&Cell::Empty) {
        cells.pop();
    }
}

// ---------------------------------------------------------------------------------------
// CSV

/// Decodes text: UTF-8 (BOM stripped), UTF-16 with BOM, else GBK. Bytes that decode as
/// none of these are text in an unknown encoding unless they look binary.
fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| ReadError::UnknownEncoding);
    }
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| Cow::Owned(s.into_owned()))
                .ok_or(ReadError::UnknownEncoding);
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    if let Some(s) = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        // GBK's user-defined areas decode to the Private Use Area: real text never has
        // them, bytes of another encoding (Big5, random) often do.
        if !s.chars().any(|c| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
            return Ok(Cow::Owned(s.into_owned()));
        }
    }
    if bytes
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        Err(ReadError::NotASpreadsheet)
    } else {
        Err(ReadError::UnknownEncoding)
    }
}

/// Text that could be a CSV: something besides whitespace, no control characters other
/// than tab and line breaks, and not an HTML or XML file saved with an .xls name.
fn looks_delimited(text: &str) -> bool {
    let start = text.trim_start();
    if start.is_empty() {
        return false;
    }
    if start.starts_with('<') {
        let head: String = start.chars().take(1024).collect::<String>().to_lowercase();
        if [
            "<html",
            "<table",
            "<?xml",
            "<!doctype",
            "<workbook",
            "<meta",
        ]
        .iter()
        .any(|tag| head.contains(tag))
        {
            return false;
        }
    }
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn read_csv<E: From<ReadError>>(
    text: &str,
    f: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let first_line = text.split('\n').next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut records = CsvRecords {
        text,
        pos: 0,
        delimiter,
    };
    let mut number: u32 = 0;
    while let Some(fields) = records.next_record() {
        number = number.saturating_add(1);
        let mut cells: Vec<Cell> = fields
            .into_iter()
            .map(|s| {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s)
                }
            })
            .collect();
        trim_trailing_empty(&mut cells);
        if !cells.is_empty() {
            f(Row { number, cells })?;
        }
    }
    Ok(())
}

/// RFC 4180 records, leniently: quoted fields with doubled quotes, delimiters and line
/// breaks inside; text after a closing quote is kept; an unclosed quote runs to the end;
/// records end at CRLF, LF or a lone CR.
struct CsvRecords<'a> {
    text: &'a str,
    pos: usize,
    delimiter: u8,
}

impl CsvRecords<'_> {
    fn next_record(&mut self) -> Option<Vec<String>> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let mut fields = Vec::new();
        loop {
            fields.push(self.field());
            match bytes.get(self.pos) {
                Some(&b) if b == self.delimiter => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    break;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    break;
                }
                _ => break,
            }
        }
        Some(fields)
    }

    /// The end of an unquoted run: the next delimiter or line break. Every index used to
    /// slice is at an ASCII byte or the end, so always on a char boundary.
    fn run_end(&self, from: usize) -> usize {
        self.text.as_bytes()[from..]
            .iter()
            .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
            .map_or(self.text.len(), |i| from + i)
    }

    fn field(&mut self) -> String {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            let end = self.run_end(self.pos);
            let field = self.text[self.pos..end].to_string();
            self.pos = end;
            return field;
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            match bytes[self.pos..].iter().position(|&b| b == b'"') {
                None => {
                    out.push_str(&self.text[self.pos..]);
                    self.pos = bytes.len();
                    break;
                }
                Some(i) => {
                    let quote = self.pos + i;
                    out.push_str(&self.text[self.pos..quote]);
                    if bytes.get(quote + 1) == Some(&b'"') {
                        out.push('"');
                        self.pos = quote + 2;
                    } else {
                        self.pos = quote + 1;
                        let end = self.run_end(self.pos);
                        out.push_str(&self.text[self.pos..end]);
                        self.pos = end;
                        break;
                    }
                }
            }
        }
        if out.contains('\r') {
            out = out.replace("\r\n", "\n").replace('\r', "\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn rows(bytes: &[u8]) -> Result<(Format, Vec<Row>), ReadError> {
        let mut out = Vec::new();
        let format = for_each_row(bytes, |row| {
            out.push(row);
            Ok::<(), ReadError>(())
        })?;
        Ok((format, out))
    }

    fn texts(row: &Row) -> Vec<String> {
        row.cells.iter().map(Cell::display).collect()
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    // ---- fixtures written by other tools

    #[test]
    fn openpyxl_volunteers() {
        let bytes = fixture("volunteers_openpyxl.xlsx");
        assert_eq!(detect(&bytes), Ok(Format::Xlsx));
        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xlsx);
        let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 6, 7], "the blank row 5 is skipped");

        assert_eq!(rows[0].cells, [t("科技志愿者集体注册信息表")]);
        let headers = texts(&rows[1]);
        assert_eq!(headers.len(), 17);
        assert_eq!(headers[0], "序号");
        assert_eq!(headers[15], "服务领域\n或行业");
        assert_eq!(headers[16], "是否为基层\"三长\"");
        // The importer compares headers through `header_key`, which folds these variants.
        let columns = crate::exchange::columns::Form::Volunteers.columns();
        for (got, column) in headers.iter().zip(columns) {
            assert_eq!(
                crate::exchange::columns::header_key(got),
                crate::exchange::columns::header_key(column.header)
            );
        }
        assert_eq!(rows[2].cells[0], t("范例"));
        assert_eq!(rows[2].cells[4], t("110101199003074514"));

        let valid = &rows[3];
        assert_eq!(valid.cells.len(), 17);
        assert_eq!(valid.cells[0], Cell::Int(1));
        assert_eq!(valid.cells[2], t("13812345678"));
        assert_eq!(valid.cells[4], t("420323199001011239"));
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert!(crate::domain::validate::id_number(&valid.cells[4].display(), today).is_ok());

        let damaged = &rows[4];
        assert_eq!(damaged.cells[4], Cell::Float(420323199001011000.0));
        assert_eq!(damaged.cells[4].display(), "4.20323E+17");
        let err = crate::domain::validate::id_number(&damaged.cells[4].display(), today)
            .expect_err("Excel damage must be refused");
        assert!(err.contains("Excel"), "{err}");

        let dated = &rows[5];
        let aug8 = NaiveDate::from_ymd_opt(2019, 8, 8).unwrap();
        assert_eq!(
            dated.cells[7],
            Cell::DateTime(aug8.and_time(NaiveTime::MIN))
        );
        assert_eq!(dated.cells[7].display(), "2019-08-08");
        assert_eq!(dated.cells[2], t("１３８１２３４５６７８"));
        assert_eq!(dated.cells[16], t("农技站站长"));
    }

    #[test]
    fn xlwt_volunteers_xls() {
        let bytes = fixture("volunteers_xlwt.xls");
        assert_eq!(detect(&bytes), Ok(Format::Xls));
        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xls);
        let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3, 5]);
        assert_eq!(rows[0].cells, [t("科技志愿者集体注册信息表")]);
        assert_eq!(rows[1].cells.len(), 17);
        assert_eq!(rows[1].cells[16], t("是否为基层“三长”"));
        assert_eq!(rows[2].cells[0], Cell::Int(1));
        assert_eq!(rows[2].cells[4], t("420323199001011239"));
        let last = &rows[3];
        assert_eq!(last.cells[2], Cell::Int(13912345678));
        assert_eq!(last.cells[2].display(), "13912345678");
        assert_eq!(last.cells[4].display(), "4.20323E+17");
        assert_eq!(last.cells[7].display(), "2019-08-08");
        assert_eq!(last.cells[16], Cell::Bool(true));
    }

    fn teams_expected() -> Vec<Row> {
        let columns = crate::exchange::columns::Form::Teams.columns();
        let header = Row {
            number: 1,
            cells: columns.iter().map(|c| t(c.header)).collect(),
        };
        let first = Row {
            number: 2,
            cells: [
                "1",
                "夷陵区\"银发\"科技志愿服务队",
                "13710986743",
                "否",
                "地方科协",
                "夷陵区科协",
                "2019/8/8",
                "科技培训,科普讲解",
                "湖北省",
                "宜昌市",
                "夷陵区",
                "刘洋",
                "队长",
                "夷陵区科协\n科普部",
                "0717-7821234",
            ]
            .into_iter()
            .map(t)
            .collect(),
        };
        let second = Row {
            number: 3,
            cells: [
                "2",
                "利川市科技志愿服务队",
                "13812345678",
                "是",
                "地方科协",
                "利川市科协",
                "2020-05-01",
                "农技服务",
                "湖北省",
                "恩施土家族苗族自治州",
                "利川市",
            ]
            .into_iter()
            .map(t)
            .collect(),
        };
        vec![header, first, second]
    }

    #[test]
    fn gbk_csv() {
        let bytes = fixture("teams_gbk.csv");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the fixture is really GBK"
        );
        assert_eq!(detect(&bytes), Ok(Format::Csv));
        assert_eq!(rows(&bytes).unwrap(), (Format::Csv, teams_expected()));
    }

    #[test]
    fn utf8_bom_csv() {
        let bytes = fixture("teams_utf8_bom.csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(detect(&bytes), Ok(Format::Csv));
        assert_eq!(rows(&bytes).unwrap(), (Format::Csv, teams_expected()));
    }

    #[test]
    fn utf16_unicode_text() {
        // Excel's "Unicode text": UTF-16LE with BOM, tab-separated.
        let text = "组织名称\t管理员手机号\r\n夷陵区科技志愿服务队\t13710986743\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            let (format, rows) = rows(&bytes).unwrap();
            assert_eq!(format, Format::Csv);
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[1].cells, [t("夷陵区科技志愿服务队"), t("13710986743")]);
        }
        // An unpaired surrogate is not UTF-16.
        assert_eq!(
            detect(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]),
            Err(ReadError::UnknownEncoding)
        );
    }

    // ---- xlsx written in the test

    #[test]
    fn rust_xlsxwriter_thousand_rows_with_a_date() {
        use rust_xlsxwriter::{ExcelDateTime as XlsxDate, Format as XlsxFormat, Workbook};
        let mut book = Workbook::new();
        let date_format = XlsxFormat::new().set_num_format("yyyy/m/d");
        let datetime_format = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let sheet = book.add_worksheet();
        sheet.set_name("数据").unwrap();
        sheet.write_string(0, 0, "序号").unwrap();
        sheet.write_string(0, 1, "名称").unwrap();
        sheet.write_string(0, 2, "日期").unwrap();
        for i in 1..=1000u32 {
            sheet.write_number(i, 0, f64::from(i)).unwrap();
            sheet.write_string(i, 1, format!("第{i}行")).unwrap();
        }
        let date = XlsxDate::from_ymd(2019, 8, 8).unwrap();
        sheet
            .write_datetime_with_format(500, 2, &date, &date_format)
            .unwrap();
        let stamp = XlsxDate::from_ymd(2024, 2, 29)
            .unwrap()
            .and_hms(13, 5, 9)
            .unwrap();
        sheet
            .write_datetime_with_format(501, 2, &stamp, &datetime_format)
            .unwrap();
        sheet.write_number(502, 2, 2.5).unwrap();
        sheet.write_number(503, 2, 420323199001011000.0).unwrap();
        sheet.write_number(504, 2, 1e-7).unwrap();
        sheet.write_number(505, 2, 0.1 + 0.2).unwrap();
        sheet.write_boolean(506, 2, false).unwrap();
        sheet.write_number(507, 4, -3.0).unwrap();
        // A second, later sheet is not read.
        book.add_worksheet().write_string(0, 0, "其他").unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xlsx);
        assert_eq!(rows.len(), 1001);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.number as usize, i + 1);
        }
        assert_eq!(rows[0].cells, [t("序号"), t("名称"), t("日期")]);
        assert_eq!(rows[1].cells, [Cell::Int(1), t("第1行")]);
        assert_eq!(rows[1000].cells, [Cell::Int(1000), t("第1000行")]);
        let c = |r: usize| rows[r].cells[2].clone();
        let aug8 = NaiveDate::from_ymd_opt(2019, 8, 8)
            .unwrap()
            .and_time(NaiveTime::MIN);
        assert_eq!(c(500), Cell::DateTime(aug8));
        assert_eq!(c(501).display(), "2024-02-29 13:05:09");
        assert_eq!(c(502), Cell::Float(2.5));
        assert_eq!(c(502).display(), "2.5");
        assert_eq!(c(503).display(), "4.20323E+17");
        assert_eq!(c(504).display(), "1E-07");
        assert_eq!(c(505).display(), "0.3");
        assert_eq!(c(506), Cell::Bool(false));
        assert_eq!(
            rows[507].cells,
            [
                Cell::Int(507),
                t("第507行"),
                Cell::Empty,
                Cell::Empty,
                Cell::Int(-3)
            ]
        );
    }

    /// 100,000 rows stream through in one pass (run with `-- --ignored`; slow in debug).
    #[test]
    #[ignore]
    fn hundred_thousand_rows() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for i in 1..=100_000u32 {
            sheet.write_number(i, 0, f64::from(i)).unwrap();
            sheet.write_string(i, 1, format!("志愿者{i}")).unwrap();
            sheet.write_string(i, 2, "13812345678").unwrap();
            sheet.write_string(i, 3, "420323199001011239").unwrap();
            sheet.write_string(i, 4, "湖北省").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let started = std::time::Instant::now();
        let mut count = 0u32;
        let mut last = 0;
        for_each_row(&bytes, |row| {
            count += 1;
            last = row.number;
            Ok::<(), ReadError>(())
        })
        .unwrap();
        assert_eq!((count, last), (100_000, 100_001));
        eprintln!(
            "{} bytes, 100,000 rows read in {:?}",
            bytes.len(),
            started.elapsed()
        );
    }

    /// A minimal xlsx: each sheet is (name, state, Some(sheetData rows) or None for a
    /// chart sheet). Style 1 is the built-in date format 14.
    fn tiny_xlsx(sheets: &[(&str, &str, Option<&str>)], shared: &[&str]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let mut put = |name: &str, body: &str| {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        put(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        );
        put(
            "_rels/.rels",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        let mut book = String::new();
        let mut rels = String::new();
        for (i, (name, state, data)) in sheets.iter().enumerate() {
            let n = i + 1;
            book.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>"#
            ));
            let (kind, path) = if data.is_some() {
                ("worksheet", format!("worksheets/sheet{n}.xml"))
            } else {
                ("chartsheet", format!("chartsheets/sheet{n}.xml"))
            };
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="{REL}/{kind}" Target="{path}"/>"#
            ));
            match data {
                Some(rows) => put(
                    &format!("xl/{path}"),
                    &format!(
                        r#"<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#
                    ),
                ),
                None => put(
                    &format!("xl/{path}"),
                    &format!(r#"<chartsheet xmlns="{MAIN}"><sheetViews/></chartsheet>"#),
                ),
            }
        }
        rels.push_str(&format!(
            r#"<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/><Relationship Id="rIdT" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>"#
        ));
        put(
            "xl/workbook.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{book}</sheets></workbook>"#
            ),
        );
        put(
            "xl/_rels/workbook.xml.rels",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        put(
            "xl/styles.xml",
            &format!(
                r#"<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        );
        let strings: String = shared
            .iter()
            .map(|s| format!(r#"<si><t xml:space="preserve">{s}</t></si>"#))
            .collect();
        put(
            "xl/sharedStrings.xml",
            &format!(
                r#"<sst xmlns="{MAIN}" count="{0}" uniqueCount="{0}">{strings}</sst>"#,
                shared.len()
            ),
        );
        zip.finish().unwrap().into_inner()
    }

    fn one_sheet(rows: &str) -> Vec<u8> {
        tiny_xlsx(&[("Sheet1", "visible", Some(rows))], &["共享", "  "])
    }

    #[test]
    fn xlsx_cell_kinds() {
        let bytes = one_sheet(concat!(
            r#"<row r="2"><c r="C2" t="s"><v>0</v></c><c r="A2" t="inlineStr"><is><t>行内</t></is></c></row>"#,
            r#"<row r="3"><c r="A3" t="e"><v>#N/A</v></c><c r="B3" t="b"><v>1</v></c><c r="C3" t="str"><v>公式</v></c></row>"#,
            r#"<row r="4"><c r="A4" s="1"><v>43685</v></c><c r="B4" t="d"><v>2019-08-08T10:30:00</v></c><c r="C4" t="d"><v>2020-01-02</v></c></row>"#,
            r#"<row r="5"><c r="A5" s="1"/><c r="B5" t="s"><v>1</v></c></row>"#,
            r#"<row r="6"><c r="A6" s="1"/><c r="D6" s="1"/></row>"#,
            r#"<row r="7"><c r="A7" t="e"><v>#SPILL!</v></c><c r="B7"><v>12345678901</v></c><c r="C7"><v>123456789012</v></c><c r="D7" s="1"><v>-5</v></c><c r="E7" s="1"><v>1E+300</v></c></row>"#,
        ));
        let (_, rows) = rows(&bytes).unwrap();
        let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
        // Row 6 has only formatted empty cells.
        assert_eq!(numbers, [2, 3, 4, 5, 7]);
        assert_eq!(rows[0].cells, [t("行内"), Cell::Empty, t("共享")]);
        assert_eq!(
            rows[1].cells,
            [Cell::Error("#N/A".into()), Cell::Bool(true), t("公式")]
        );
        assert_eq!(rows[1].cells[0].display(), "#N/A");
        let dt = |y, m, d, h, mi| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        assert_eq!(
            rows[2].cells,
            [
                Cell::DateTime(dt(2019, 8, 8, 0, 0)),
                Cell::DateTime(dt(2019, 8, 8, 10, 30)),
                Cell::DateTime(dt(2020, 1, 2, 0, 0)),
            ]
        );
        assert_eq!(rows[2].cells[1].display(), "2019-08-08 10:30:00");
        // Whitespace is kept as read but counts as empty.
        assert_eq!(rows[3].cells, [Cell::Empty, t("  ")]);
        assert!(rows[3].cells[1].is_empty());
        // #SPILL! is unknown to calamine: that cell is dropped, the rest is read.
        assert_eq!(
            rows[4].cells,
            [
                Cell::Empty,
                Cell::Int(12345678901),
                Cell::Int(123456789012),
                Cell::Int(-5),
                Cell::Float(1e300),
            ]
        );
        assert_eq!(rows[4].cells[4].display(), "1E+300");
    }

    #[test]
    fn xlsx_sheet_choice() {
        let first = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>第一</t></is></c></row>"#;
        let second = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>第二</t></is></c></row>"#;
        let only = |bytes: &[u8]| rows(bytes).unwrap().1[0].cells[0].clone();
        let bytes = tiny_xlsx(
            &[("图表", "visible", None), ("甲", "visible", Some(first))],
            &[],
        );
        assert_eq!(only(&bytes), t("第一"));
        let bytes = tiny_xlsx(
            &[
                ("隐藏", "hidden", Some(second)),
                ("甲", "visible", Some(first)),
            ],
            &[],
        );
        assert_eq!(only(&bytes), t("第一"));
        let bytes = tiny_xlsx(&[("隐藏", "hidden", Some(second))], &[]);
        assert_eq!(only(&bytes), t("第二"));
        let bytes = tiny_xlsx(&[("图表", "visible", None)], &[]);
        assert_eq!(rows(&bytes), Err(ReadError::NoSheet));
        let bytes = tiny_xlsx(&[], &[]);
        assert_eq!(rows(&bytes), Err(ReadError::NoSheet));
        // An empty worksheet is read: no rows.
        let bytes = one_sheet("");
        assert_eq!(rows(&bytes), Ok((Format::Xlsx, vec![])));
    }

    #[test]
    fn xlsx_refuses_what_is_outside_the_grid_or_out_of_order() {
        let bytes =
            one_sheet(r#"<row r="1"><c r="XFE1" t="inlineStr"><is><t>x</t></is></c></row>"#);
        assert!(matches!(rows(&bytes), Err(ReadError::Corrupt(_))));
        let bytes = one_sheet(r#"<row r="1048577"><c r="A1048577" t="b"><v>1</v></c></row>"#);
        assert!(matches!(rows(&bytes), Err(ReadError::Corrupt(_))));
        let bytes = one_sheet(concat!(
            r#"<row r="3"><c r="A3" t="b"><v>1</v></c></row>"#,
            r#"<row r="2"><c r="A2" t="b"><v>1</v></c></row>"#,
        ));
        assert_eq!(
            rows(&bytes),
            Err(ReadError::Corrupt(ROW_ORDER_MESSAGE.to_string()))
        );
        // Columns out of order within a row are placed by position.
        let bytes = one_sheet(
            r#"<row r="1"><c r="B1" t="b"><v>1</v></c><c r="A1" t="b"><v>0</v></c></row>"#,
        );
        assert_eq!(
            rows(&bytes).unwrap().1[0].cells,
            [Cell::Bool(false), Cell::Bool(true)]
        );
    }

    #[test]
    fn the_callback_error_stops_reading() {
        #[derive(Debug, PartialEq)]
        enum Stop {
            Read(ReadError),
            Enough(u32),
        }
        impl From<ReadError> for Stop {
            fn from(e: ReadError) -> Self {
                Stop::Read(e)
            }
        }
        for bytes in [
            fixture("volunteers_openpyxl.xlsx"),
            fixture("volunteers_xlwt.xls"),
            fixture("teams_gbk.csv"),
        ] {
            let mut seen = 0;
            let result = for_each_row(&bytes, |row| {
                seen += 1;
                if row.number == 2 {
                    Err(Stop::Enough(row.number))
                } else {
                    Ok(())
                }
            });
            assert_eq!(result, Err(Stop::Enough(2)));
            assert_eq!(seen, 2);
        }
        let result = for_each_row(b"\x00\x01", |_| Ok::<(), Stop>(()));
        assert_eq!(result, Err(Stop::Read(ReadError::NotASpreadsheet)));
    }

    // ---- CSV

    fn csv(text: &str) -> Vec<(u32, Vec<Cell>)> {
        rows(text.as_bytes())
            .unwrap()
            .1
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect()
    }

    #[test]
    fn csv_edge_cases() {
        assert_eq!(
            csv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,2,3"),
            [
                (1, vec![t("a"), t("b,c"), t("say \"hi\"")]),
                (2, vec![t("1"), t("2"), t("3")]),
            ]
        );
        // A quoted line break stays in the cell (CRLF folded to LF); rows are records.
        assert_eq!(
            csv("\"x\r\ny\",z\r\nnext\n"),
            [(1, vec![t("x\ny"), t("z")]), (2, vec![t("next")])]
        );
        // Blank records and all-empty records are skipped but counted; empty fields are
        // Empty; trailing empties are cut; leading zeros and long digits stay text.
        assert_eq!(
            csv("h1,h2\n\n,,\n,0012,\n420323199001011239,\n"),
            [
                (1, vec![t("h1"), t("h2")]),
                (4, vec![Cell::Empty, t("0012")]),
                (5, vec![t("420323199001011239")]),
            ]
        );
        // Lone CR line ends; text after a closing quote is kept; unclosed quote runs on.
        assert_eq!(csv("a\rb"), [(1, vec![t("a")]), (2, vec![t("b")])]);
        assert_eq!(csv("\"ab\"cd,e"), [(1, vec![t("abcd"), t("e")])]);
        assert_eq!(
            csv("x,\"open\nstill"),
            [(1, vec![t("x"), t("open\nstill")])]
        );
        // Quotes inside an unquoted field are literal.
        assert_eq!(csv("5\"3,b"), [(1, vec![t("5\"3"), t("b")])]);
        // Tabs: only when the first line has tabs and no commas.
        assert_eq!(
            csv("姓名\t手机号\n张三, 李四\t138\n"),
            [
                (1, vec![t("姓名"), t("手机号")]),
                (2, vec![t("张三, 李四"), t("138")])
            ]
        );
        assert_eq!(csv("a\tb,c\n"), [(1, vec![t("a\tb"), t("c")])]);
        // Whitespace is not trimmed here.
        assert_eq!(csv(" a , b "), [(1, vec![t(" a "), t(" b ")])]);
    }

    #[test]
    fn csv_encodings() {
        let (gbk, _, failed) = encoding_rs::GBK.encode("姓名,手机号\n张伟,13812345678\n");
        assert!(!failed);
        assert_eq!(detect(&gbk), Ok(Format::Csv));
        assert_eq!(
            rows(&gbk).unwrap().1[1].cells,
            [t("张伟"), t("13812345678")]
        );

        // High bytes that are not GBK (0xFF is never valid there): an unknown encoding.
        let mut state = 0x2545_F491_u32;
        let mut high: Vec<u8> = (0..500)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                0x80 | (state as u8)
            })
            .collect();
        high[250] = 0xFF;
        assert!(
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(&high)
                .is_none()
        );
        assert_eq!(detect(&high), Err(ReadError::UnknownEncoding));
        // Valid GBK bytes in its user-defined area (U+E000…) are no real text.
        assert_eq!(
            detect(&[0xAA, 0xA1, b',', 0x41]),
            Err(ReadError::UnknownEncoding)
        );
        // A UTF-8 BOM then bytes that are not UTF-8.
        assert_eq!(
            detect(b"\xEF\xBB\xBF\xD5\xC5,1"),
            Err(ReadError::UnknownEncoding)
        );
        let message = ReadError::UnknownEncoding.message();
        assert!(message.contains("CSV UTF-8"), "{message}");
    }

    #[test]
    fn text_that_is_not_csv() {
        for bytes in [
            &b""[..],
            b"   \r\n\t",
            b"\xEF\xBB\xBF",
            b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">",
            b"%PDF-1.4\n\x00\x01\x02binary",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(detect(bytes), Err(ReadError::NotASpreadsheet), "{bytes:?}");
        }
        let message = ReadError::NotASpreadsheet.message();
        assert!(
            message.contains("这不是 Excel 表格文件") && message.contains(".xlsx、.xls 或 .csv")
        );
        // A one-column list is still a CSV.
        assert_eq!(detect("张三\n李四\n".as_bytes()), Ok(Format::Csv));
    }

    // ---- zips

    #[test]
    fn a_zip64_end_record_declaring_too_many_entries_is_a_bomb() {
        // An xlsx-looking zip whose end record defers to a ZIP64 one claiming more entries
        // than allowed: refused before the directory is parsed, as bundles always were.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, b"<workbook/>").unwrap();
        let mut bytes = zip.finish().unwrap().into_inner();
        let mut eocd = bytes.split_off(bytes.len() - 22);
        let zip64_at = bytes.len() as u64;
        bytes.extend_from_slice(b"PK\x06\x06");
        bytes.extend_from_slice(&44u64.to_le_bytes());
        bytes.extend_from_slice(&[45, 0, 45, 0]);
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&(MAX_ZIP_ENTRIES + 1).to_le_bytes());
        bytes.extend_from_slice(&(MAX_ZIP_ENTRIES + 1).to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        bytes.extend_from_slice(b"PK\x06\x07");
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&zip64_at.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        eocd[8..12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        bytes.extend_from_slice(&eocd);
        assert!(matches!(detect(&bytes), Err(ReadError::ZipBomb)));
    }

    #[test]
    fn zip_without_workbook_is_not_a_spreadsheet() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"<w:document/>").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(detect(&bytes), Err(ReadError::NotASpreadsheet));
        assert_eq!(rows(&bytes), Err(ReadError::NotASpreadsheet));
    }

    /// Rewrites the declared uncompressed size of `name` in its local and central headers.
    fn patch_size(zip: &mut [u8], name: &str, size: u32) {
        let mut patched = 0;
        for i in 0..zip.len().saturating_sub(46) {
            let (size_at, name_len_at, name_at) = match &zip[i..i + 4] {
                b"PK\x03\x04" => (22, 26, 30),
                b"PK\x01\x02" => (24, 28, 46),
                _ => continue,
            };
            let len = usize::from(u16::from_le_bytes([
                zip[i + name_len_at],
                zip[i + name_len_at + 1],
            ]));
            if zip.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
                zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "{name}");
    }

    #[test]
    fn zip_bombs_are_refused_before_inflating() {
        let sheet = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>"#;
        // One entry declaring 400 MB.
        let mut bytes = one_sheet(sheet);
        patch_size(&mut bytes, "xl/worksheets/sheet1.xml", 400 * 1024 * 1024);
        assert_eq!(detect(&bytes), Err(ReadError::ZipBomb));
        assert_eq!(rows(&bytes), Err(ReadError::ZipBomb));
        assert!(
            ReadError::ZipBomb
                .message()
                .starts_with("文件解压后异常巨大")
        );

        // Three entries of 250 MB each: each under 300 MB, 750 MB in all.
        let three = [
            ("甲", "visible", Some(sheet)),
            ("乙", "visible", Some(sheet)),
            ("丙", "visible", Some(sheet)),
        ];
        let mut bytes = tiny_xlsx(&three, &[]);
        for n in 1..=3 {
            patch_size(
                &mut bytes,
                &format!("xl/worksheets/sheet{n}.xml"),
                250 * 1024 * 1024,
            );
        }
        assert_eq!(detect(&bytes), Err(ReadError::ZipBomb));

        // A real 2 MB entry of zeros deflates > 200:1.
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/workbook.xml", deflated).unwrap();
        std::io::Write::write_all(&mut zip, b"<workbook/>").unwrap();
        zip.start_file("xl/media/zeros.bin", deflated).unwrap();
        zip.write_all(&vec![0u8; 2 * 1024 * 1024]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 20_000);
        assert_eq!(detect(&bytes), Err(ReadError::ZipBomb));

        // More than 10,000 entries.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("xl/workbook.xml", stored).unwrap();
        for i in 0..10_001 {
            zip.start_file(format!("{i}"), stored).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(detect(&bytes), Err(ReadError::ZipBomb));
    }

    #[test]
    fn an_entry_larger_than_declared_is_not_inflated_past_its_size() {
        let big = format!(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row>"#,
            "长".repeat(5000)
        );
        let mut bytes = one_sheet(&big);
        patch_size(&mut bytes, "xl/worksheets/sheet1.xml", 100);
        assert_eq!(detect(&bytes), Ok(Format::Xlsx));
        assert_eq!(
            rows(&bytes),
            Err(ReadError::Corrupt(CORRUPT_MESSAGE.to_string()))
        );
    }

    // ---- xls structure checks

    fn biff(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
        out.extend(data);
        out
    }

    /// A BIFF8 Workbook stream: one sheet "表" with NUMBER cells and, if given, a
    /// DIMENSIONS record (first row, last row + 1, first col, last col + 1).
    fn workbook_stream(
        cells: &[(u16, u16, f64)],
        dimensions: Option<(u32, u32, u16, u16)>,
    ) -> Vec<u8> {
        let bof = |kind: u16| {
            let mut d = vec![0u8; 16];
            d[..2].copy_from_slice(&0x0600u16.to_le_bytes());
            d[2..4].copy_from_slice(&kind.to_le_bytes());
            biff(0x0809, &d)
        };
        let mut sheet = bof(0x0010);
        if let Some((rf, rl, cf, cl)) = dimensions {
            let mut d = Vec::new();
            d.extend(rf.to_le_bytes());
            d.extend(rl.to_le_bytes());
            d.extend(cf.to_le_bytes());
            d.extend(cl.to_le_bytes());
            d.extend([0, 0]);
            sheet.extend(biff(0x0200, &d));
        }
        for (row, col, value) in cells {
            let mut d = Vec::new();
            d.extend(row.to_le_bytes());
            d.extend(col.to_le_bytes());
            d.extend(0u16.to_le_bytes());
            d.extend(value.to_le_bytes());
            sheet.extend(biff(0x0203, &d));
        }
        sheet.extend(biff(0x000A, &[]));
        let name: Vec<u8> = "表".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let boundsheet_len = 4 + 8 + name.len();
        let mut globals = bof(0x0005);
        let sheet_at = u32::try_from(globals.len() + boundsheet_len + 4).unwrap();
        let mut d = sheet_at.to_le_bytes().to_vec();
        d.extend([0, 0, 1, 1]); // visible, worksheet, 1 char, UTF-16
        d.extend(&name);
        globals.extend(biff(0x0085, &d));
        globals.extend(biff(0x000A, &[]));
        globals.extend(sheet);
        globals
    }

    /// An OLE compound file (512-byte sectors) holding `stream` as "Workbook" in the mini
    /// stream: sector 0 FAT, 1 directory, 2 mini FAT, 3… the mini stream.
    fn tiny_ole(stream: &[u8]) -> Vec<u8> {
        assert!(stream.len() < 4096);
        const FREE: u32 = 0xFFFF_FFFF;
        let mini_sectors = stream.len().div_ceil(64);
        let mut mini = stream.to_vec();
        mini.resize(mini_sectors * 64, 0);
        let data_sectors = mini.len().div_ceil(512);
        mini.resize(data_sectors * 512, 0);
        let put32 = |buf: &mut Vec<u8>, at: usize, v: u32| {
            buf[at..at + 4].copy_from_slice(&v.to_le_bytes())
        };
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&OLE_MAGIC);
        header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
        header[26..28].copy_from_slice(&3u16.to_le_bytes());
        header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        header[30..32].copy_from_slice(&9u16.to_le_bytes());
        header[32..34].copy_from_slice(&6u16.to_le_bytes());
        put32(&mut header, 44, 1); // FAT sectors
        put32(&mut header, 48, 1); // directory
        put32(&mut header, 56, 4096);
        put32(&mut header, 60, 2); // mini FAT
        put32(&mut header, 64, 1);
        put32(&mut header, 68, END_OF_CHAIN); // no DIFAT sectors
        for i in 0..109 {
            put32(&mut header, 76 + 4 * i, if i == 0 { 0 } else { FREE });
        }
        let mut fat = vec![0u8; 512];
        let mut entries = vec![0xFFFF_FFFD, END_OF_CHAIN, END_OF_CHAIN];
        for k in 0..data_sectors {
            entries.push(if k + 1 == data_sectors {
                END_OF_CHAIN
            } else {
                u32::try_from(4 + k).unwrap()
            });
        }
        entries.resize(128, FREE);
        for (i, e) in entries.iter().enumerate() {
            put32(&mut fat, 4 * i, *e);
        }
        let mut directory = vec![0u8; 512];
        let mut entry = |i: usize, name: &str, kind: u8, start: u32, len: usize| {
            let at = 128 * i;
            for (k, unit) in name.encode_utf16().enumerate() {
                directory[at + 2 * k..at + 2 * k + 2].copy_from_slice(&unit.to_le_bytes());
            }
            let name_len = u16::try_from(2 * (name.encode_utf16().count() + 1)).unwrap();
            directory[at + 64..at + 66].copy_from_slice(&name_len.to_le_bytes());
            directory[at + 66] = kind;
            for field in [68, 72, 76] {
                directory[at + field..at + field + 4].copy_from_slice(&FREE.to_le_bytes());
            }
            directory[at + 116..at + 120].copy_from_slice(&start.to_le_bytes());
            directory[at + 120..at + 124]
                .copy_from_slice(&u32::try_from(len).unwrap().to_le_bytes());
        };
        entry(0, "Root Entry", 5, 3, mini_sectors * 64);
        entry(1, "Workbook", 2, 0, stream.len());
        directory[76..80].copy_from_slice(&1u32.to_le_bytes()); // root's child
        let mut mini_fat = vec![0u8; 512];
        for k in 0..128 {
            let next = if k + 1 < mini_sectors {
                u32::try_from(k + 1).unwrap()
            } else if k + 1 == mini_sectors {
                END_OF_CHAIN
            } else {
                FREE
            };
            put32(&mut mini_fat, 4 * k, next);
        }
        [header, fat, directory, mini_fat, mini].concat()
    }

    #[test]
    fn tiny_xls_in_the_mini_stream_reads() {
        let bytes = tiny_ole(&workbook_stream(
            &[(0, 0, 1.5), (2, 3, 7.0)],
            Some((0, 3, 0, 4)),
        ));
        assert_eq!(detect(&bytes), Ok(Format::Xls));
        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xls);
        assert_eq!(
            rows,
            [
                Row {
                    number: 1,
                    cells: vec![Cell::Float(1.5)]
                },
                Row {
                    number: 3,
                    cells: vec![Cell::Empty, Cell::Empty, Cell::Empty, Cell::Int(7)]
                },
            ]
        );
    }

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

    #[test]
    fn ole_without_a_workbook_is_not_a_spreadsheet() {
        // Same container, stream named like a Word document's.
        let mut bytes = tiny_ole(&workbook_stream(&[(0, 0, 1.0)], None));
        let name_at = 2 * 512 + 128;
        let word: Vec<u8> = "WordDocument"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        bytes[name_at..name_at + word.len()].copy_from_slice(&word);
        assert_eq!(detect(&bytes), Ok(Format::Xls));
        assert_eq!(rows(&bytes), Err(ReadError::NotASpreadsheet));
        // Excel wraps a password-protected xlsx in OLE as "EncryptedPackage".
        let encrypted: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        bytes[name_at..name_at + encrypted.len()].copy_from_slice(&encrypted);
        let Err(ReadError::Corrupt(message)) = rows(&bytes) else {
            panic!("expected a password message")
        };
        assert!(message.contains("密码"), "{message}");
    }

    #[test]
    fn too_large() {
        let bytes = vec![b'a'; (MAX_FILE_BYTES + 1) as usize];
        let err = detect(&bytes).unwrap_err();
        assert_eq!(
            err,
            ReadError::TooLarge {
                bytes: MAX_FILE_BYTES + 1,
                limit: MAX_FILE_BYTES
            }
        );
        let message = err.message();
        assert!(
            message.contains("40 MB") && message.contains("拆分"),
            "{message}"
        );
        assert_eq!(rows(&bytes), Err(err));
        // Exactly the limit is fine.
        assert_eq!(detect(&bytes[1..]), Ok(Format::Csv));
    }

    // ---- display

    #[test]
    fn display_like_excel() {
        assert_eq!(Cell::Empty.display(), "");
        assert_eq!(Cell::Int(13812345678).display(), "13812345678");
        assert_eq!(Cell::Float(420323199001011000.0).display(), "4.20323E+17");
        assert_eq!(Cell::Float(110101199003074514.0).display(), "1.10101E+17");
        assert_eq!(Cell::Float(-4.2e17).display(), "-4.2E+17");
        assert_eq!(Cell::Float(1e11).display(), "1E+11");
        assert_eq!(Cell::Float(99999999999.5).display(), "99999999999.5");
        assert_eq!(Cell::Float(3.5).display(), "3.5");
        assert_eq!(Cell::Float(0.1 + 0.2).display(), "0.3");
        assert_eq!(Cell::Float(0.0001).display(), "0.0001");
        assert_eq!(Cell::Float(0.00001234).display(), "1.234E-05");
        assert_eq!(Cell::Float(1.0 / 3.0).display(), "0.333333333333333");
        assert_eq!(Cell::Float(9.999999e20).display(), "1E+21");
        assert_eq!(Cell::Float(1e100).display(), "1E+100");
        assert_eq!(Cell::Float(f64::NAN).display(), "#NUM!");
        let dt = NaiveDate::from_ymd_opt(2019, 8, 8)
            .unwrap()
            .and_hms_opt(9, 5, 0)
            .unwrap();
        assert_eq!(Cell::DateTime(dt).display(), "2019-08-08 09:05:00");
        assert_eq!(Cell::Bool(true).display(), "TRUE");
        assert!(Cell::Text(" \u{3000}\n".into()).is_empty());
        assert!(!Cell::Int(0).is_empty());
        // Every float display of a damaged ID is what the validator calls Excel damage.
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for x in [420323199001011000.0, 110101199003074500.0, 4.2e17] {
            let err =
                crate::domain::validate::id_number(&Cell::Float(x).display(), today).unwrap_err();
            assert!(err.contains("Excel"), "{x}: {err}");
        }
    }

    #[test]
    fn numbers_and_dates_from_calamine_values() {
        assert_eq!(number(3.0), Cell::Int(3));
        assert_eq!(number(-0.0), Cell::Int(0));
        assert_eq!(
            number(9_007_199_254_740_991.0),
            Cell::Int(9_007_199_254_740_991)
        );
        assert_eq!(
            number(9_007_199_254_740_992.0),
            Cell::Float(9_007_199_254_740_992.0)
        );
        assert_eq!(number(2.5), Cell::Float(2.5));
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta as Duration};
        let d = |v: f64| date(&ExcelDateTime::new(v, DateTime, false));
        assert_eq!(d(43685.0).display(), "2019-08-08");
        assert_eq!(d(43685.5).display(), "2019-08-08 12:00:00");
        // 1 ms short of midnight rounds up to the day.
        assert_eq!(d(43685.0 + 86_399.999_5 / 86_400.0).display(), "2019-08-09");
        // Out of Excel's range (Excel shows ####): stays a number, never panics.
        assert_eq!(d(-1.0), Cell::Int(-1));
        assert_eq!(d(1e300), Cell::Float(1e300));
        assert_eq!(d(f64::NEG_INFINITY), Cell::Float(f64::NEG_INFINITY));
        assert_eq!(d(f64::NAN).display(), "#NUM!");
        assert_eq!(
            date(&ExcelDateTime::new(1.5, Duration, false)),
            Cell::Float(1.5)
        );
        assert_eq!(
            date(&ExcelDateTime::new(42223.0, DateTime, true)).display(),
            "2019-08-08"
        );
        assert_eq!(iso_date("not a date"), t("not a date"));
    }

    // ---- never panic

    struct Noise(u64);
    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    fn survives(bytes: &[u8]) {
        let _ = detect(bytes);
        let _ = for_each_row(bytes, |row| {
            assert!(row.number >= 1);
            assert_ne!(row.cells.last(), Some(&Cell::Empty));
            Ok::<(), ReadError>(())
        });
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        let magics: [&[u8]; 5] = [
            b"",
            b"PK\x03\x04",
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            b"\xEF\xBB\xBF",
            b"\xFF\xFE",
        ];
        for round in 0..500 {
            let mut bytes = magics[round % magics.len()].to_vec();
            let n = (noise.next() % 2048) as usize;
            bytes.extend(noise.bytes(n));
            survives(&bytes);
        }
        survives(&[]);
    }

    #[test]
    fn damaged_fixtures_never_panic() {
        let mut noise = Noise(0x0123_4567_89AB_CDEF);
        let tiny = tiny_ole(&workbook_stream(
            &[(0, 0, 1.0), (3, 2, 2.0)],
            Some((0, 4, 0, 3)),
        ));
        let rounds: usize = std::env::var("KEZHI_FUZZ_ROUNDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(150);
        for good in [
            fixture("volunteers_openpyxl.xlsx"),
            fixture("volunteers_xlwt.xls"),
            fixture("teams_gbk.csv"),
            tiny,
        ] {
            // Truncated at many lengths.
            for len in (0..good.len()).step_by(97) {
                survives(&good[..len]);
            }
            // A few bytes changed at random.
            for _ in 0..rounds {
                let mut bad = good.clone();
                for _ in 0..=(noise.next() % 4) {
                    let at = (noise.next() as usize) % bad.len();
                    bad[at] = noise.next() as u8;
                }
                survives(&bad);
            }
        }
    }
}
