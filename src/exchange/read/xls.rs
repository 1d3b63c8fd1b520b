//! Reading an xls's first worksheet through calamine (after `ole` has bounded what that
//! will allocate), and telling a password-protected or non-Excel OLE file from a damaged
//! one.

use std::io::Cursor;
use std::panic::catch_unwind;

use calamine::{Data, Reader, Xls, XlsError};

use super::cells::{from_data, trim_trailing_empty};
use super::{
    CORRUPT_MESSAGE, Cell, PASSWORD_MESSAGE, ReadError, Row, calamine_panicked, first_sheet,
};

pub(super) fn read_xls<E: From<ReadError>>(
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

#[cfg(test)]
mod tests {
    use super::super::testdata::{fixture, rows, t, tiny_ole, workbook_stream};
    use super::super::{Format, detect};
    use super::*;

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
    fn a_sheet_position_past_the_stream_is_corrupt() {
        // Found by `cargo fuzz` (spreadsheet): calamine 0.38 slices the Workbook stream at
        // a BOUNDSHEET record's position without checking it, and panics; the panic is
        // caught and the file called damaged. The position is the record's first field,
        // after the 20-byte BOF record and the record header.
        let mut stream = workbook_stream(&[(0, 0, 1.0)], None);
        assert_eq!(stream[20..22], 0x0085u16.to_le_bytes());
        stream[24..28].copy_from_slice(&0x00FF_0000u32.to_le_bytes());
        let bytes = tiny_ole(&stream);
        assert_eq!(detect(&bytes), Ok(Format::Xls));
        assert_eq!(
            rows(&bytes),
            Err(ReadError::Corrupt(CORRUPT_MESSAGE.to_string()))
        );
    }
}
