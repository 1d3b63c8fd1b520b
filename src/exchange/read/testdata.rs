//! Inputs the reader's tests share: the fixture files on disk, a minimal xlsx written in
//! the test, and a BIFF8 Workbook stream inside a minimal OLE file.

use std::io::Cursor;

use super::ole::{END_OF_CHAIN, OLE_MAGIC};
use super::{Cell, Format, ReadError, Row, for_each_row};

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn rows(bytes: &[u8]) -> Result<(Format, Vec<Row>), ReadError> {
    let mut out = Vec::new();
    let format = for_each_row(bytes, |row| {
        out.push(row);
        Ok::<(), ReadError>(())
    })?;
    Ok((format, out))
}

pub(super) fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// A minimal xlsx: each sheet is (name, state, Some(sheetData rows) or None for a
/// chart sheet). Style 1 is the built-in date format 14.
pub(super) fn tiny_xlsx(sheets: &[(&str, &str, Option<&str>)], shared: &[&str]) -> Vec<u8> {
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
                &format!(r#"<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#),
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

pub(super) fn one_sheet(rows: &str) -> Vec<u8> {
    tiny_xlsx(&[("Sheet1", "visible", Some(rows))], &["共享", "  "])
}

fn biff(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
    out.extend(data);
    out
}

/// A BIFF8 Workbook stream: one sheet "表" with NUMBER cells and, if given, a
/// DIMENSIONS record (first row, last row + 1, first col, last col + 1).
pub(super) fn workbook_stream(
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
pub(super) fn tiny_ole(stream: &[u8]) -> Vec<u8> {
    assert!(stream.len() < 4096);
    const FREE: u32 = 0xFFFF_FFFF;
    let mini_sectors = stream.len().div_ceil(64);
    let mut mini = stream.to_vec();
    mini.resize(mini_sectors * 64, 0);
    let data_sectors = mini.len().div_ceil(512);
    mini.resize(data_sectors * 512, 0);
    let put32 =
        |buf: &mut Vec<u8>, at: usize, v: u32| buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
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
        directory[at + 120..at + 124].copy_from_slice(&u32::try_from(len).unwrap().to_le_bytes());
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
