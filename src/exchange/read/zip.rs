//! The checks on an uploaded xlsx's zip container, made on its central directory before
//! anything is inflated: zip bombs are refused, and a zip without `xl/workbook.xml` is not
//! a spreadsheet.

use std::io::Cursor;

use super::{MB, ReadError};

/// Zip-bomb limits, checked on the central directory before anything is inflated.
const MAX_UNZIPPED_TOTAL: u64 = 600 * MB;
const MAX_UNZIPPED_ENTRY: u64 = 300 * MB;
const MAX_RATIO: u64 = 200;
const RATIO_CHECKED_ABOVE: u64 = MB;
const MAX_ZIP_ENTRIES: u64 = 10_000;

const TRUNCATED_MESSAGE: &str = "文件不完整或已损坏（可能没有下载或复制完整），无法读取。\
    请重新保存或重新下载该文件后再上传";

/// Refuses zip bombs by the central directory's declared sizes (the `zip` crate then stops
/// inflating any entry at its declared size), and zips that are not xlsx.
pub(super) fn check_zip(bytes: &[u8]) -> Result<(), ReadError> {
    // Counted from the end records (ZIP64 too) before the whole directory is parsed.
    if crate::exchange::zipguard::declared_entries(&mut Cursor::new(bytes))
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

#[cfg(test)]
mod tests {
    use super::super::testdata::{one_sheet, rows, tiny_xlsx};
    use super::super::{CORRUPT_MESSAGE, Format, detect};
    use super::*;

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
}
