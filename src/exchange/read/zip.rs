//! The checks on an uploaded xlsx's zip container, made on its central directory before
//! anything is inflated: zip bombs are refused, and a zip without `xl/workbook.xml` is not
//! a spreadsheet.

use std::io::Cursor;

use super::{MB, ReadError};
use crate::exchange::zipguard::{Guard, Limits, declared_entries};

/// Zip-bomb limits for an xlsx, checked by `zipguard` on the central directory before
/// anything is inflated.
const MAX_UNZIPPED_TOTAL: u64 = 600 * MB;
const MAX_UNZIPPED_ENTRY: u64 = 300 * MB;
const MAX_ZIP_ENTRIES: u64 = 10_000;
const LIMITS: Limits = Limits {
    entries: MAX_ZIP_ENTRIES,
    total: MAX_UNZIPPED_TOTAL,
};

const TRUNCATED_MESSAGE: &str = "文件不完整或已损坏（可能没有下载或复制完整），无法读取。\
    请重新保存或重新下载该文件后再上传";

/// Refuses zip bombs by the central directory's declared sizes (the `zip` crate then stops
/// inflating any entry at its declared size), and zips that are not xlsx.
pub(super) fn check_zip(bytes: &[u8]) -> Result<(), ReadError> {
    let mut guard = Guard::new(LIMITS);
    // Counted from the end records (ZIP64 too) before the whole directory is parsed; an
    // unreadable end record is left for the zip crate to report as a damaged file.
    if declared_entries(&mut Cursor::new(bytes))
        .ok()
        .flatten()
        .is_some_and(|n| guard.count(n).is_err())
    {
        return Err(ReadError::ZipBomb);
    }
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        log::warn!("upload: unreadable zip: {e}");
        ReadError::Corrupt(TRUNCATED_MESSAGE.to_string())
    })?;
    if guard
        .count(u64::try_from(archive.len()).unwrap_or(u64::MAX))
        .is_err()
    {
        return Err(ReadError::ZipBomb);
    }
    let mut has_workbook = false;
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(|e| {
            log::warn!("upload: unreadable zip entry {i}: {e}");
            ReadError::Corrupt(TRUNCATED_MESSAGE.to_string())
        })?;
        let size = entry.size();
        let packed = entry.compressed_size();
        if guard.entry(size, packed, MAX_UNZIPPED_ENTRY).is_err() {
            log::warn!(
                "upload: refused zip: entry {i} declares {size} bytes from {packed}, {} in all",
                guard.total()
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

#[cfg(test)]
mod tests {
    use super::super::testdata::{one_sheet, rows, tiny_xlsx};
    use super::super::{CORRUPT_MESSAGE, Format, detect};
    use super::*;
    use crate::exchange::testzip;

    #[test]
    fn a_zip64_end_record_declaring_too_many_entries_is_a_bomb() {
        // An xlsx-looking zip whose end record defers to a ZIP64 one claiming more entries
        // than allowed: refused before the directory is parsed, as bundles always were.
        let bytes = testzip::declaring_zip64_entries(
            testzip::stored(&[("xl/workbook.xml", b"<workbook/>")]),
            MAX_ZIP_ENTRIES + 1,
        );
        assert!(matches!(detect(&bytes), Err(ReadError::ZipBomb)));
    }

    #[test]
    fn zip_without_workbook_is_not_a_spreadsheet() {
        let bytes = testzip::stored(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(detect(&bytes), Err(ReadError::NotASpreadsheet));
        assert_eq!(rows(&bytes), Err(ReadError::NotASpreadsheet));
    }

    #[test]
    fn zip_bombs_are_refused_before_inflating() {
        let sheet = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>"#;
        // One entry declaring 400 MB.
        let mut bytes = one_sheet(sheet);
        testzip::patch_size(&mut bytes, "xl/worksheets/sheet1.xml", 400 * 1024 * 1024);
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
            testzip::patch_size(
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
        let names: Vec<String> = (0..10_001).map(|i| i.to_string()).collect();
        let mut entries: Vec<(&str, &[u8])> = vec![("xl/workbook.xml", b"")];
        entries.extend(names.iter().map(|name| (name.as_str(), &b""[..])));
        let bytes = testzip::stored(&entries);
        assert_eq!(detect(&bytes), Err(ReadError::ZipBomb));
    }

    #[test]
    fn an_entry_larger_than_declared_is_not_inflated_past_its_size() {
        let big = format!(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row>"#,
            "长".repeat(5000)
        );
        let mut bytes = one_sheet(&big);
        testzip::patch_size(&mut bytes, "xl/worksheets/sheet1.xml", 100);
        assert_eq!(detect(&bytes), Ok(Format::Xlsx));
        assert_eq!(
            rows(&bytes),
            Err(ReadError::Corrupt(CORRUPT_MESSAGE.to_string()))
        );
    }
}
