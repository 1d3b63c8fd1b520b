//! Reading an uploaded spreadsheet (xlsx, xls or CSV) into rows of cells, before any
//! interpretation: the importer maps headers and validates values afterwards.
//!
//! This module owns the public API (`Cell`, `Row`, `Format`, `ReadError`, `detect`,
//! `for_each_row`) and the sniffing that picks a reader by content, never by file name.
//! Every input is untrusted: sizes are bounded before anything is decompressed (`zip`
//! checks a zip's declared sizes, and the `zip` crate refuses to inflate an entry past its
//! declared size; `ole` bounds what calamine would allocate for an xls), xlsx sheets are
//! streamed cell by cell, and calamine is called behind `catch_unwind` so that a malformed
//! file becomes an error message, never a crashed request. The readers are `xlsx`, `xls`
//! and `csv`; `cells` turns calamine's values into `Cell`s.

mod cells;
mod csv;
mod ole;
#[cfg(test)]
mod testdata;
mod xls;
mod xlsx;
mod zip;

use std::borrow::Cow;

use calamine::{Sheet, SheetType, SheetVisible};
use chrono::{NaiveDateTime, NaiveTime};

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
            Cell::Float(x) => cells::general_number(*x),
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

/// Messages carried by `ReadError::Corrupt`.
const PASSWORD_MESSAGE: &str = "文件设置了打开密码，无法读取。请在 Excel 或 WPS 中打开文件，\
    取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）并保存后再上传";
const CORRUPT_MESSAGE: &str = "文件已损坏或内容不完整，无法读取。请在 Excel 或 WPS 中打开它，\
    确认内容正常后“另存为” .xlsx 文件再上传";

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
            xlsx::read_xlsx(bytes, &mut f)?;
            Ok(Format::Xlsx)
        }
        Sniffed::Xls => {
            xls::read_xls(bytes, &mut f)?;
            Ok(Format::Xls)
        }
        Sniffed::Csv(text) => {
            csv::read_csv(&text, &mut f)?;
            Ok(Format::Csv)
        }
    }
}

/// How many rows the reading thread hands over at a time.
const AHEAD_BATCH: usize = 512;
/// Batches read ahead of the checking thread at most (bounds the rows held in between).
const AHEAD_BATCHES: usize = 8;

/// Why the reading thread stopped early.
enum Stop {
    Read(ReadError),
    /// The caller's `f` failed and stopped taking rows.
    Dropped,
}

impl From<ReadError> for Stop {
    fn from(e: ReadError) -> Self {
        Stop::Read(e)
    }
}

/// [`for_each_row`] with the file read on a second thread while `f` runs on the caller's:
/// parsing the xlsx and checking the rows each took about half of a 100,000-row import's
/// check, and they need not wait for each other. Rows reach `f` in the same order, and
/// the outcome is the same: `f`'s first error, else the reader's.
pub fn for_each_row_ahead<E: From<ReadError>>(
    bytes: &[u8],
    mut f: impl FnMut(Row) -> Result<(), E>,
) -> Result<Format, E> {
    std::thread::scope(|scope| {
        let (send, rows) = std::sync::mpsc::sync_channel::<Vec<Row>>(AHEAD_BATCHES);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(AHEAD_BATCH);
            let read = for_each_row::<Stop>(bytes, |row| {
                batch.push(row);
                if batch.len() == AHEAD_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(AHEAD_BATCH));
                    send.send(full).map_err(|_| Stop::Dropped)?;
                }
                Ok(())
            });
            if read.is_ok() && !batch.is_empty() {
                send.send(batch).map_err(|_| Stop::Dropped)?;
            }
            read
        });
        let mut failed = None;
        'batches: for batch in &rows {
            for row in batch {
                if let Err(e) = f(row) {
                    failed = Some(e);
                    break 'batches;
                }
            }
        }
        // The reader's next hand-over fails and it stops.
        drop(rows);
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if let Some(e) = failed {
            return Err(e);
        }
        match read {
            Ok(format) => Ok(format),
            Err(Stop::Read(e)) => Err(e.into()),
            // Only possible after `f` failed, which returned above.
            Err(Stop::Dropped) => Err(ReadError::Corrupt(CORRUPT_MESSAGE.to_string()).into()),
        }
    })
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
        zip::check_zip(bytes)?;
        return Ok(Sniffed::Xlsx);
    }
    if bytes.starts_with(&ole::OLE_MAGIC) {
        ole::check_xls(bytes)?;
        return Ok(Sniffed::Xls);
    }
    let text = csv::decode_text(bytes)?;
    if !csv::looks_delimited(&text) {
        return Err(ReadError::NotASpreadsheet);
    }
    Ok(Sniffed::Csv(text))
}

/// The sheet to read: the first visible worksheet in workbook order, else the first
/// worksheet (chart sheets hold no cells). Shared by the xlsx and xls readers.
fn first_sheet(sheets: &[Sheet]) -> Option<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
}

fn calamine_panicked() -> ReadError {
    log::error!("upload: calamine panicked on an uploaded file");
    ReadError::Corrupt(CORRUPT_MESSAGE.to_string())
}

#[cfg(test)]
mod tests {
    use super::testdata::{fixture, rows, tiny_ole, workbook_stream};
    use super::*;

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
