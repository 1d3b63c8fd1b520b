//! Zips made by hand for the exchange tests: entries stored exactly as given, an end record
//! that defers to a forged ZIP64 one, declared sizes rewritten after writing. Shared by the
//! bundle, spreadsheet-reader and zip-guard tests, so a forged zip means the same everywhere.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A zip of exactly these entries, stored (not deflated), in this order.
pub(super) fn stored(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(
            *name,
            SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `zip` (a real one, without a comment) with its end record replaced by one that defers
/// to a ZIP64 end record declaring `entries` entries. The central directory is left as it
/// was, so only a reader that trusts the declared count before parsing is fooled.
pub(super) fn declaring_zip64_entries(mut zip: Vec<u8>, entries: u64) -> Vec<u8> {
    let mut eocd = zip.split_off(zip.len() - 22);
    assert!(eocd.starts_with(b"PK\x05\x06"), "a zip without a comment");
    let zip64_at = zip.len() as u64;
    zip.extend_from_slice(b"PK\x06\x06");
    zip.extend_from_slice(&44u64.to_le_bytes());
    zip.extend_from_slice(&[45, 0, 45, 0]);
    zip.extend_from_slice(&[0; 8]);
    zip.extend_from_slice(&entries.to_le_bytes());
    zip.extend_from_slice(&entries.to_le_bytes());
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(b"PK\x06\x07");
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&zip64_at.to_le_bytes());
    zip.extend_from_slice(&1u32.to_le_bytes());
    eocd[8..12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    zip.extend_from_slice(&eocd);
    zip
}

/// Rewrites the declared uncompressed size of `name` in its local and central headers.
pub(super) fn patch_size(zip: &mut [u8], name: &str, size: u32) {
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
