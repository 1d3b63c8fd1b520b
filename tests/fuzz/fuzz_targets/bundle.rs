//! Another laptop's bundle as `app::merge::merge_bundle` reads it, without the store:
//! open and verify the zip, read the photos and parse every entity file into the records
//! the merge takes. Any input must give a verified bundle or a `BundleError` with a message.
//!
//! Two kinds of input:
//! - a zip (starts with "PK"): opened as it is. Mutations rarely get past the CRCs and the
//!   manifest's SHA-256, so they exercise the zip, size and manifest checks;
//! - anything else: parts written with `BundleWriter`, so the hashes are right and the
//!   content reaches the record parsers. The input is `@@path\n` lines each followed by the
//!   part's bytes; a part named `manifest` is a JSON object whose fields override the
//!   written manifest's (schema version, counts, parts, …).
//!
//! Seeds: `tests/fuzz/seeds/bundle`.

#![no_main]

use std::io::Cursor;

use kezhi::domain::activity::{Activity, Signup};
use kezhi::domain::demand::Demand;
use kezhi::domain::people::{Membership, Team, Volunteer};
use kezhi::domain::record::{Certificate, Report, sniff_image};
use kezhi::exchange::bundle::{Bundle, BundleError, BundleWriter, MANIFEST_PATH, Manifest};
use kezhi::store::migrate::SCHEMA_VERSION;
use libfuzzer_sys::fuzz_target;

/// What merge_bundle reads, in its order.
fn read_like_merge(bytes: Vec<u8>) -> Result<(), BundleError> {
    let mut b = Bundle::open(Cursor::new(bytes), SCHEMA_VERSION)?;
    for path in b.paths("photos/") {
        if path.ends_with(".json") {
            continue;
        }
        let bytes = b.file(&path)?;
        let _ = sniff_image(&bytes);
    }
    b.records::<Team>("teams")?;
    b.records::<Volunteer>("volunteers")?;
    b.records::<Membership>("memberships")?;
    b.records::<Activity>("activities")?;
    b.records::<Signup>("signups")?;
    b.records::<Report>("reports")?;
    b.records::<Certificate>("certificates")?;
    b.records::<Demand>("demands")?;
    Ok(())
}

/// Splits `@@path\n<bytes>` sections.
fn sections(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(start) = find(rest, b"@@") {
        rest = &rest[start + 2..];
        let Some(eol) = rest.iter().position(|&b| b == b'\n') else {
            break;
        };
        let path = String::from_utf8_lossy(&rest[..eol]).into_owned();
        rest = &rest[eol + 1..];
        // An empty part: the next path follows at once.
        let end = if rest.starts_with(b"@@") {
            0
        } else {
            find(rest, b"\n@@").map_or(rest.len(), |i| i + 1)
        };
        out.push((path, &rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A well-hashed bundle of the given parts, or None when the writer refuses them.
fn write(data: &[u8]) -> Option<Vec<u8>> {
    let mut w = BundleWriter::new(Cursor::new(Vec::new()));
    let mut overrides = None;
    for (path, bytes) in sections(data) {
        if path == "manifest" {
            overrides = Some(bytes);
            continue;
        }
        w.add_file(&path, bytes).ok()?;
    }
    let base = Manifest {
        format: String::new(),
        format_version: 0,
        installation_id: "0190a1b2-0000-7000-8000-000000000000".into(),
        installation_name: "梨树县".into(),
        kezhi_version: "0.1.0".into(),
        schema_version: SCHEMA_VERSION,
        created_at: chrono::DateTime::from_timestamp(1_750_000_000, 0)?,
        since_sequence: None,
        up_to_sequence: 1,
        counts: Default::default(),
        parts: Default::default(),
    };
    let bytes = w.finish(base).ok()?.into_inner();
    let Some(overrides) = overrides else {
        return Some(bytes);
    };
    // Rewrite manifest.json with the overridden fields: the parts stay as written.
    let mut b = Bundle::open(Cursor::new(bytes.clone()), u32::MAX).ok()?;
    let mut manifest = serde_json::to_value(b.manifest()).ok()?;
    let serde_json::Value::Object(extra) = serde_json::from_slice(overrides).ok()? else {
        return None;
    };
    for (k, v) in extra {
        manifest[k] = v;
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for path in b.paths("") {
        let part = b.file(&path).ok()?;
        zip.start_file(path.as_str(), stored).ok()?;
        std::io::Write::write_all(&mut zip, &part).ok()?;
    }
    zip.start_file(MANIFEST_PATH, stored).ok()?;
    std::io::Write::write_all(&mut zip, manifest.to_string().as_bytes()).ok()?;
    Some(zip.finish().ok()?.into_inner())
}

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"PK") {
        data.to_vec()
    } else {
        match write(data) {
            Some(bytes) => bytes,
            None => return,
        }
    };
    let result = read_like_merge(bytes);
    // To see how far the seeds get: KEZHI_FUZZ_VERBOSE=1 target/…/bundle seeds/bundle/*
    if std::env::var_os("KEZHI_FUZZ_VERBOSE").is_some() {
        eprintln!("{result:?}");
    }
    if let Err(e) = result {
        assert!(!e.message().is_empty());
    }
});
