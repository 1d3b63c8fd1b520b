//! Bundles: how laptops that collected data offline hand it to the office for merging.
//!
//! A bundle is one zip holding `manifest.json` (its table of contents), one JSON Lines file
//! per entity (`volunteers.jsonl`, …), photos under `photos/<id>` as raw bytes, and the two
//! official xlsx forms. The manifest carries the SHA-256 of every other part, so a bundle
//! that was cut short, edited or mixed with another is refused whole, never half-imported.
//!
//! Writing streams each part into the zip while hashing it. Opening checks the declared
//! sizes from the central directory before anything is inflated (zip bombs through
//! `zipguard`, as for spreadsheet uploads; oversized photos), then reads every part once
//! while hashing it; the records are parsed later, on request, from a second read that is
//! hashed again. Every input is untrusted: any byte string gives a `BundleError`, never a
//! panic.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::zipguard::{Guard, Limits, Refusal, declared_entries};

/// The manifest's `format` field.
pub const FORMAT: &str = "kezhi-bundle";
/// The manifest's `format_version` this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The table of contents' path in the zip.
pub const MANIFEST_PATH: &str = "manifest.json";

const MB: u64 = 1024 * 1024;
/// Largest part, uncompressed.
pub const MAX_PART_BYTES: u64 = 200 * MB;
/// Largest photo (`photos/…`), uncompressed.
pub const MAX_PHOTO_BYTES: u64 = 10 * MB;
/// Largest bundle, all parts uncompressed together.
pub const MAX_TOTAL_BYTES: u64 = 2048 * MB;
/// Most entries in one zip.
pub const MAX_ENTRIES: u64 = 100_000;
/// The manifest is parsed in memory: bounded apart from the other parts.
const MAX_MANIFEST_BYTES: u64 = 64 * MB;

const PHOTOS_PREFIX: &str = "photos/";

/// The bundle's table of contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always "kezhi-bundle".
    pub format: String,
    /// 1.
    pub format_version: u32,
    /// Hyphenated uuid of the installation that wrote the bundle.
    pub installation_id: String,
    pub installation_name: String,
    pub kezhi_version: String,
    pub schema_version: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// For "since last bundle" exports: the changes-log sequence the bundle starts after
    /// (None = full).
    pub since_sequence: Option<u64>,
    /// The changes-log sequence the bundle covers up to.
    pub up_to_sequence: u64,
    /// Records per entity file, e.g. {"volunteers": 320}.
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 (lowercase hex) of every part except manifest.json, by path in the zip.
    pub parts: BTreeMap<String, String>,
}

/// Why a bundle could not be written or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not a zip file at all.
    NotAZip,
    /// A zip, but no manifest.json, an unreadable one, or a wrong `format` field.
    NotABundle,
    /// A part the manifest lists is not in the zip.
    MissingPart(String),
    /// A part in the zip that the manifest does not list.
    UnlistedPart(String),
    /// A part does not match its hash (or its record count) in the manifest.
    Tampered(String),
    /// A part ends early; empty when the zip itself is cut short.
    Truncated(String),
    /// The bundle was written by a newer schema than this build supports.
    NewerSchema { found: u32, supported: u32 },
    /// A part is over its size limit or inflates suspiciously much; empty when the whole
    /// bundle is over the total size or entry count.
    TooLarge(String),
    /// A line of an entity file that does not parse (or, when writing, a record that does
    /// not serialise). `line` counts from 1.
    BadRecord { part: String, line: usize },
    /// Reading or writing failed; the text is for the log only.
    Io(String),
}

impl BundleError {
    /// The message shown to the user: what went wrong, with which part, and what to do.
    pub fn message(&self) -> String {
        match self {
            BundleError::NotAZip => "所选文件不是 zip 格式的数据包，未导入。\
                请选择从其他电脑导出的数据包文件（.zip）。"
                .into(),
            BundleError::NotABundle => "所选 zip 文件不是本系统导出的数据包\
                （缺少清单 manifest.json 或清单格式不符），未导入。\
                请选择从其他电脑用本系统导出的数据包文件。"
                .into(),
            BundleError::MissingPart(part) => format!(
                "数据包缺少清单中列出的 {part}，数据包不完整，整个数据包未导入。\
                 请重新从原电脑导出。"
            ),
            BundleError::UnlistedPart(part) => format!(
                "数据包中的 {part} 不在清单中，数据包可能被修改过，整个数据包未导入。\
                 请重新从原电脑导出。"
            ),
            BundleError::Tampered(part) => format!(
                "数据包中的 {part} 与清单中的校验值不符，文件可能被修改或损坏，\
                 整个数据包未导入。请重新从原电脑导出。"
            ),
            BundleError::Truncated(part) if part.is_empty() => {
                "数据包文件不完整或已损坏（可能没有复制或下载完整），整个数据包未导入。\
                 请重新复制，或重新从原电脑导出。"
                    .into()
            }
            BundleError::Truncated(part) => format!(
                "数据包中的 {part} 不完整（可能没有复制或下载完整），整个数据包未导入。\
                 请重新复制，或重新从原电脑导出。"
            ),
            BundleError::NewerSchema { found, supported } => format!(
                "该数据包由较新版本的系统导出（数据版本 {found}，本机只支持到 {supported}），\
                 整个数据包未导入。请先将本机的系统升级到最新版本，再导入。"
            ),
            BundleError::TooLarge(part) if part.is_empty() => {
                "数据包过大（解压后超过 2 GB，或包含超过 10 万个文件），未导入。\
                 请在原电脑上分批导出后再导入。"
                    .into()
            }
            BundleError::TooLarge(part) if part.starts_with(PHOTOS_PREFIX) => format!(
                "数据包中的照片 {part} 超过 10 MB，整个数据包未导入。\
                 请在原电脑上更换或压缩这张照片后，重新导出。"
            ),
            BundleError::TooLarge(part) => format!(
                "数据包中的 {part} 过大（解压后超过 200 MB，或压缩比例异常），\
                 整个数据包未导入。请在原电脑上分批导出后再导入。"
            ),
            BundleError::BadRecord { part, line } => format!(
                "数据包中 {part} 的第 {line} 行无法读取，整个数据包未导入。\
                 请确认两台电脑的系统版本一致后，重新从原电脑导出。"
            ),
            BundleError::Io(_) => "读写数据包文件时出错，请检查磁盘空间是否充足、\
                文件是否可以访问，然后重试。"
                .into(),
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Io(detail) => write!(f, "数据包读写出错：{detail}"),
            other => f.write_str(&other.message()),
        }
    }
}

impl std::error::Error for BundleError {}

// ---------------------------------------------------------------------------------------
// Hashing

use crate::domain::secret::hex;

/// A writer that hashes and counts what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The lowercase hex SHA-256 and the byte count.
    fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or(buf);
        self.hasher.update(read);
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------
// Writing

/// Writes a bundle to any Write + Seek (a File or a Cursor<Vec<u8>>). Parts are streamed:
/// a JSONL part is written line by line while its hash is computed. After an error the
/// bundle is incomplete: drop the writer and start again.
pub struct BundleWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    counts: BTreeMap<String, u64>,
    parts: BTreeMap<String, String>,
    total: u64,
    modified: zip::DateTime,
}

/// A part path the writer accepts: relative, `/`-separated, no empty, `.` or `..`
/// component, no backslash or control character.
fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

fn zip_write_error(part: &str, e: ZipError) -> BundleError {
    BundleError::Io(format!("{part}: {e}"))
}

impl<W: Write + Seek> BundleWriter<W> {
    pub fn new(out: W) -> Self {
        use chrono::{Datelike, Timelike};
        let now = chrono::Local::now().naive_local();
        let modified = u16::try_from(now.year())
            .ok()
            .and_then(|year| {
                zip::DateTime::from_date_and_time(
                    year,
                    u8::try_from(now.month()).ok()?,
                    u8::try_from(now.day()).ok()?,
                    u8::try_from(now.hour()).ok()?,
                    u8::try_from(now.minute()).ok()?,
                    u8::try_from(now.second()).ok()?,
                )
                .ok()
            })
            .unwrap_or_default();
        BundleWriter {
            zip: ZipWriter::new(out),
            counts: BTreeMap::new(),
            parts: BTreeMap::new(),
            total: 0,
            modified,
        }
    }

    fn options(&self, method: CompressionMethod) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.modified)
    }

    /// Checks a new part's path and the entry count, then starts its zip entry.
    fn start_part(&mut self, path: &str, method: CompressionMethod) -> Result<(), BundleError> {
        if !valid_path(path) || path == MANIFEST_PATH {
            return Err(BundleError::Io(format!("invalid part path {path:?}")));
        }
        if self.parts.contains_key(path) {
            return Err(BundleError::Io(format!("part {path:?} added twice")));
        }
        // manifest.json comes on top of the parts.
        if self.parts.len() as u64 + 2 > MAX_ENTRIES {
            return Err(BundleError::TooLarge(String::new()));
        }
        let options = self.options(method);
        self.zip
            .start_file(path, options)
            .map_err(|e| zip_write_error(path, e))
    }

    /// Records a finished part, refusing it past the size limits.
    fn end_part(&mut self, path: &str, hash: String, size: u64) -> Result<(), BundleError> {
        let limit = if path.starts_with(PHOTOS_PREFIX) {
            MAX_PHOTO_BYTES
        } else {
            MAX_PART_BYTES
        };
        if size > limit {
            return Err(BundleError::TooLarge(path.to_string()));
        }
        self.total = self.total.saturating_add(size);
        if self.total > MAX_TOTAL_BYTES {
            return Err(BundleError::TooLarge(String::new()));
        }
        self.parts.insert(path.to_string(), hash);
        Ok(())
    }

    /// One entity file "<entity>.jsonl": each record serialised as one JSON line. Returns
    /// the count.
    pub fn add_records<T: Serialize>(
        &mut self,
        entity: &str,
        records: impl IntoIterator<Item = T>,
    ) -> Result<u64, BundleError> {
        let part = format!("{entity}.jsonl");
        if entity.is_empty() || entity.contains('/') {
            return Err(BundleError::Io(format!("invalid entity name {entity:?}")));
        }
        self.start_part(&part, CompressionMethod::Deflated)?;
        let mut out = BufWriter::with_capacity(64 * 1024, HashingWriter::new(&mut self.zip));
        let mut count: u64 = 0;
        for record in records {
            count += 1;
            serde_json::to_writer(&mut out, &record).map_err(|e| {
                if e.is_io() {
                    BundleError::Io(format!("{part}: {e}"))
                } else {
                    BundleError::BadRecord {
                        part: part.clone(),
                        line: usize::try_from(count).unwrap_or(usize::MAX),
                    }
                }
            })?;
            out.write_all(b"\n")
                .map_err(|e| BundleError::Io(format!("{part}: {e}")))?;
        }
        let hashing = out
            .into_inner()
            .map_err(|e| BundleError::Io(format!("{part}: {}", e.error())))?;
        let (hash, size) = hashing.finish();
        self.end_part(&part, hash, size)?;
        self.counts.insert(entity.to_string(), count);
        Ok(count)
    }

    /// Any other part (photos/<id>, the xlsx files) by path. Photos and xlsx files are
    /// compressed already, so they are stored as they are.
    pub fn add_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let limit = if path.starts_with(PHOTOS_PREFIX) {
            MAX_PHOTO_BYTES
        } else {
            MAX_PART_BYTES
        };
        if bytes.len() as u64 > limit {
            return Err(BundleError::TooLarge(path.to_string()));
        }
        self.start_part(path, CompressionMethod::Stored)?;
        let mut out = HashingWriter::new(&mut self.zip);
        out.write_all(bytes)
            .map_err(|e| BundleError::Io(format!("{path}: {e}")))?;
        let (hash, size) = out.finish();
        self.end_part(path, hash, size)
    }

    /// Writes manifest.json last (its `counts` and `parts` filled from what was added, its
    /// `format` and `format_version` set to this build's; the caller gives the other fields)
    /// and returns the underlying writer.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<W, BundleError> {
        manifest.format = FORMAT.to_string();
        manifest.format_version = FORMAT_VERSION;
        manifest.counts = std::mem::take(&mut self.counts);
        manifest.parts = std::mem::take(&mut self.parts);
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BundleError::Io(format!("{MANIFEST_PATH}: {e}")))?;
        let options = self.options(CompressionMethod::Deflated);
        self.zip
            .start_file(MANIFEST_PATH, options)
            .map_err(|e| zip_write_error(MANIFEST_PATH, e))?;
        self.zip
            .write_all(&json)
            .map_err(|e| BundleError::Io(format!("{MANIFEST_PATH}: {e}")))?;
        self.zip
            .finish()
            .map_err(|e| zip_write_error(MANIFEST_PATH, e))
    }
}

// ---------------------------------------------------------------------------------------
// Reading

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

type Archive = ZipArchive<Box<dyn ReadSeek>>;

/// An opened and VERIFIED bundle: every part listed in the manifest exists and matches its
/// hash, no unlisted parts (other than manifest.json), schema not newer than `max_schema`.
pub struct Bundle {
    archive: Archive,
    manifest: Manifest,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

/// An error while inflating a part.
fn read_error(part: &str, e: io::Error) -> BundleError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => BundleError::Truncated(part.to_string()),
        // A bad checksum, a corrupt deflate stream, an encrypted or unknown method.
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported => {
            BundleError::Tampered(part.to_string())
        }
        _ => BundleError::Io(format!("{part}: {e}")),
    }
}

/// An error while locating a part.
fn zip_read_error(part: &str, e: ZipError) -> BundleError {
    match e {
        ZipError::Io(e) => read_error(part, e),
        ZipError::FileNotFound => BundleError::MissingPart(part.to_string()),
        _ => BundleError::Tampered(part.to_string()),
    }
}

/// Whether the input starts like a zip (a local file header, or the end record of an
/// empty zip). Leaves the input at its start.
fn starts_like_zip(input: &mut dyn ReadSeek) -> io::Result<bool> {
    input.seek(SeekFrom::Start(0))?;
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match input.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    input.seek(SeekFrom::Start(0))?;
    Ok(filled == magic.len() && (&magic == b"PK\x03\x04" || &magic == b"PK\x05\x06"))
}

/// What a part's content gave while it was streamed.
struct Streamed {
    hash: String,
    newlines: u64,
}

/// Streams one part through `each` (chunk by chunk) while hashing it, reading at most one
/// byte past its declared size so that a part longer than declared is noticed.
fn stream_part(
    archive: &mut Archive,
    part: &str,
    mut each: impl FnMut(&[u8]),
) -> Result<Streamed, BundleError> {
    let file = archive.by_name(part).map_err(|e| zip_read_error(part, e))?;
    let declared = file.size();
    let mut reader = HashingReader::new(file.take(declared.saturating_add(1)));
    let mut buf = vec![0u8; 64 * 1024];
    let mut newlines: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(part, e)),
        };
        let chunk = buf.get(..n).unwrap_or(&buf);
        newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        each(chunk);
    }
    let (hash, bytes) = reader.finish();
    if bytes != declared {
        return Err(BundleError::Tampered(part.to_string()));
    }
    Ok(Streamed { hash, newlines })
}

fn hash_matches(found: &str, expected: &str) -> bool {
    found.eq_ignore_ascii_case(expected)
}

impl Bundle {
    /// Opens and verifies a bundle, reading every part once. `max_schema` is the newest
    /// schema this build can import (`store::migrate::SCHEMA_VERSION`).
    pub fn open<R: Read + Seek + Send + 'static>(
        input: R,
        max_schema: u32,
    ) -> Result<Bundle, BundleError> {
        let mut input: Box<dyn ReadSeek> = Box::new(input);
        let io_error = |e: io::Error| BundleError::Io(e.to_string());
        if !starts_like_zip(input.as_mut()).map_err(io_error)? {
            return Err(BundleError::NotAZip);
        }
        let mut guard = Guard::new(Limits {
            entries: MAX_ENTRIES,
            total: MAX_TOTAL_BYTES,
        });
        match declared_entries(input.as_mut()).map_err(io_error)? {
            None => return Err(BundleError::Truncated(String::new())),
            Some(n) if guard.count(n).is_err() => {
                return Err(BundleError::TooLarge(String::new()));
            }
            Some(_) => {}
        }
        let mut archive = ZipArchive::new(input).map_err(|e| match e {
            ZipError::Io(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
                BundleError::Io(e.to_string())
            }
            _ => BundleError::Truncated(String::new()),
        })?;

        // Declared sizes, before anything is inflated.
        if guard.count(archive.len() as u64).is_err() {
            return Err(BundleError::TooLarge(String::new()));
        }
        if archive.has_duplicate_names() {
            return Err(BundleError::NotABundle);
        }
        let mut names = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive
                .by_index_data(i)
                .map_err(|_| BundleError::Truncated(String::new()))?;
            let name = entry
                .name()
                .map_err(|_| BundleError::NotABundle)?
                .into_owned();
            let size = entry.size();
            let packed = entry.compressed_size();
            let limit = if name == MANIFEST_PATH {
                MAX_MANIFEST_BYTES
            } else if name.starts_with(PHOTOS_PREFIX) {
                MAX_PHOTO_BYTES
            } else {
                MAX_PART_BYTES
            };
            match guard.entry(size, packed, limit) {
                Ok(()) => {}
                Err(Refusal::Total) => return Err(BundleError::TooLarge(String::new())),
                Err(_) => return Err(BundleError::TooLarge(name)),
            }
            names.push(name);
        }

        // The manifest.
        if !names.iter().any(|n| n == MANIFEST_PATH) {
            return Err(BundleError::NotABundle);
        }
        let mut json = Vec::new();
        stream_part(&mut archive, MANIFEST_PATH, |chunk| {
            json.extend_from_slice(chunk)
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|_| BundleError::NotABundle)?;
        drop(json);
        if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
            return Err(BundleError::NotABundle);
        }
        if manifest.schema_version > max_schema {
            return Err(BundleError::NewerSchema {
                found: manifest.schema_version,
                supported: max_schema,
            });
        }

        // Listed parts against the zip's entries.
        let present: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        if let Some(missing) = manifest
            .parts
            .keys()
            .find(|p| !present.contains(p.as_str()))
        {
            return Err(BundleError::MissingPart(missing.clone()));
        }
        for (entity, &count) in &manifest.counts {
            let part = format!("{entity}.jsonl");
            if count > 0 && !manifest.parts.contains_key(&part) {
                return Err(BundleError::MissingPart(part));
            }
        }
        if let Some(extra) = names
            .iter()
            .find(|n| n.as_str() != MANIFEST_PATH && !manifest.parts.contains_key(n.as_str()))
        {
            return Err(BundleError::UnlistedPart(extra.clone()));
        }

        // Every part read once, hashed.
        for (part, expected) in &manifest.parts {
            let streamed = stream_part(&mut archive, part, |_| {})?;
            if !hash_matches(&streamed.hash, expected) {
                return Err(BundleError::Tampered(part.clone()));
            }
            let count = part
                .strip_suffix(".jsonl")
                .and_then(|entity| manifest.counts.get(entity));
            if let Some(&count) = count
                && count != streamed.newlines
            {
                return Err(BundleError::Tampered(part.clone()));
            }
        }

        Ok(Bundle { archive, manifest })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The records of an entity file (empty if the bundle has none). Each line parsed; a
    /// line that does not parse → BundleError::BadRecord { part, line }. The part is read
    /// again and hashed again, so a file changed since `open` is refused too.
    pub fn records<T: DeserializeOwned>(&mut self, entity: &str) -> Result<Vec<T>, BundleError> {
        let part = format!("{entity}.jsonl");
        let Some(expected) = self.manifest.parts.get(&part) else {
            return Ok(Vec::new());
        };
        let file = self
            .archive
            .by_name(&part)
            .map_err(|e| zip_read_error(&part, e))?;
        let declared = file.size();
        let mut reader = BufReader::with_capacity(
            64 * 1024,
            HashingReader::new(file.take(declared.saturating_add(1))),
        );
        let mut records = Vec::new();
        let mut bad_line = None;
        let mut line = Vec::new();
        let mut number: usize = 0;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| read_error(&part, e))?;
            if n == 0 {
                break;
            }
            number += 1;
            if bad_line.is_some() {
                // Still read to the end, for the hash.
                continue;
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            match serde_json::from_slice::<T>(text) {
                Ok(record) => records.push(record),
                Err(_) => bad_line = Some(number),
            }
        }
        let (hash, bytes) = reader.into_inner().finish();
        if bytes != declared || !hash_matches(&hash, expected) {
            return Err(BundleError::Tampered(part));
        }
        if let Some(line) = bad_line {
            return Err(BundleError::BadRecord { part, line });
        }
        Ok(records)
    }

    /// A part's bytes (photos, xlsx). Hashed again while read.
    pub fn file(&mut self, path: &str) -> Result<Vec<u8>, BundleError> {
        let Some(expected) = self.manifest.parts.get(path) else {
            return Err(BundleError::MissingPart(path.to_string()));
        };
        let mut bytes = Vec::new();
        let streamed = stream_part(&mut self.archive, path, |chunk| {
            bytes.extend_from_slice(chunk)
        })?;
        if !hash_matches(&streamed.hash, expected) {
            return Err(BundleError::Tampered(path.to_string()));
        }
        Ok(bytes)
    }

    /// Paths of parts under a prefix (e.g. "photos/"), sorted.
    pub fn paths(&self, prefix: &str) -> Vec<String> {
        self.manifest
            .parts
            .keys()
            .filter(|p| p.starts_with(prefix))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testzip;
    use super::*;
    use chrono::{TimeZone, Utc};
    use std::io::Cursor;

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Person {
        id: u32,
        name: String,
        note: Option<String>,
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Team {
        id: String,
        members: Vec<u32>,
    }

    const SCHEMA: u32 = 2;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            installation_id: "0190a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b".to_string(),
            installation_name: "城关镇笔记本".to_string(),
            kezhi_version: "0.1.0".to_string(),
            schema_version: SCHEMA,
            created_at: Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap(),
            since_sequence: Some(10),
            up_to_sequence: 42,
            counts: BTreeMap::new(),
            parts: BTreeMap::new(),
        }
    }

    fn people() -> Vec<Person> {
        vec![
            Person {
                id: 1,
                name: "张三".to_string(),
                note: None,
            },
            Person {
                id: 2,
                name: "李四\n换行".to_string(),
                note: Some("备注 \"引号\"".to_string()),
            },
            Person {
                id: 3,
                name: "王五".to_string(),
                note: Some(String::new()),
            },
        ]
    }

    fn teams() -> Vec<Team> {
        vec![Team {
            id: "t1".to_string(),
            members: vec![1, 2],
        }]
    }

    fn photo() -> Vec<u8> {
        (0..5000u32).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn xlsx() -> Vec<u8> {
        b"PK\x03\x04 not really an xlsx".to_vec()
    }

    const XLSX_PATH: &str = "附件2 科技志愿者集体注册信息表.xlsx";

    /// A complete, valid bundle.
    fn sample() -> Vec<u8> {
        let mut w = BundleWriter::new(Cursor::new(Vec::new()));
        assert_eq!(w.add_records("people", people()).unwrap(), 3);
        assert_eq!(w.add_records("teams", teams().iter()).unwrap(), 1);
        w.add_file("photos/p1", &photo()).unwrap();
        w.add_file(XLSX_PATH, &xlsx()).unwrap();
        w.finish(manifest()).unwrap().into_inner()
    }

    fn sha(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    fn jsonl<T: Serialize>(records: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            serde_json::to_writer(&mut out, r).unwrap();
            out.push(b'\n');
        }
        out
    }

    fn open(bytes: Vec<u8>) -> Result<Bundle, BundleError> {
        Bundle::open(Cursor::new(bytes), SCHEMA)
    }

    fn open_err(bytes: Vec<u8>) -> BundleError {
        open(bytes).expect_err("bundle should be refused")
    }

    /// The parts of the sample bundle, by path, as raw bytes.
    fn sample_parts() -> Vec<(String, Vec<u8>)> {
        vec![
            ("people.jsonl".to_string(), jsonl(&people())),
            ("teams.jsonl".to_string(), jsonl(&teams())),
            ("photos/p1".to_string(), photo()),
            (XLSX_PATH.to_string(), xlsx()),
        ]
    }

    fn with_manifest(parts: &[(String, Vec<u8>)], manifest: &Manifest) -> Vec<u8> {
        let json = serde_json::to_vec(manifest).unwrap();
        let mut entries: Vec<(&str, &[u8])> = parts
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        entries.push((MANIFEST_PATH, &json));
        testzip::stored(&entries)
    }

    fn sample_manifest() -> Manifest {
        open(sample()).unwrap().manifest().clone()
    }

    #[test]
    fn round_trip() {
        let mut bundle = open(sample()).unwrap();
        let m = bundle.manifest().clone();
        let mut expected = manifest();
        expected.counts = BTreeMap::from([("people".to_string(), 3), ("teams".to_string(), 1)]);
        expected.parts = sample_parts()
            .iter()
            .map(|(p, b)| (p.clone(), sha(b)))
            .collect();
        assert_eq!(m, expected);

        assert_eq!(bundle.records::<Person>("people").unwrap(), people());
        assert_eq!(bundle.records::<Team>("teams").unwrap(), teams());
        assert!(bundle.records::<Person>("volunteers").unwrap().is_empty());
        assert_eq!(bundle.paths("photos/"), vec!["photos/p1".to_string()]);
        assert_eq!(bundle.file("photos/p1").unwrap(), photo());
        assert_eq!(bundle.file(XLSX_PATH).unwrap(), xlsx());
        assert_eq!(
            bundle.file("photos/nope"),
            Err(BundleError::MissingPart("photos/nope".to_string()))
        );
        // Read twice: the archive is re-read, not consumed.
        assert_eq!(bundle.records::<Person>("people").unwrap(), people());
    }

    #[test]
    fn round_trip_through_a_file_and_empty_entities() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.zip");
        let mut w = BundleWriter::new(std::fs::File::create(&path).unwrap());
        assert_eq!(w.add_records("teams", Vec::<Team>::new()).unwrap(), 0);
        w.add_records("people", people()).unwrap();
        w.finish(manifest()).unwrap();
        let mut bundle = Bundle::open(std::fs::File::open(&path).unwrap(), SCHEMA).unwrap();
        assert_eq!(bundle.manifest().counts.get("teams"), Some(&0));
        assert!(bundle.records::<Team>("teams").unwrap().is_empty());
        assert_eq!(bundle.records::<Person>("people").unwrap(), people());
        assert!(bundle.paths("photos/").is_empty());
    }

    #[test]
    fn manifest_is_the_last_entry_and_format_is_forced() {
        let mut m = manifest();
        m.format = "something".to_string();
        m.counts.insert("bogus".to_string(), 9);
        let mut w = BundleWriter::new(Cursor::new(Vec::new()));
        w.add_records("people", people()).unwrap();
        let bytes = w.finish(m).unwrap().into_inner();
        let archive = ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(
            archive.name_for_index(archive.len() - 1).unwrap().unwrap(),
            MANIFEST_PATH
        );
        let bundle = open(bytes).unwrap();
        assert_eq!(bundle.manifest().format, FORMAT);
        assert_eq!(
            bundle.manifest().counts,
            BTreeMap::from([("people".to_string(), 3)])
        );
    }

    #[test]
    fn a_changed_line_is_tampered() {
        // The zip of a bundle whose one line differs, with the first bundle's manifest.
        let mut changed = people();
        changed[1].name = "李四改".to_string();
        let mut parts = sample_parts();
        parts[0].1 = jsonl(&changed);
        let err = open_err(with_manifest(&parts, &sample_manifest()));
        assert_eq!(err, BundleError::Tampered("people.jsonl".to_string()));
        assert_eq!(
            BundleError::Tampered("volunteers.jsonl".to_string()).message(),
            "数据包中的 volunteers.jsonl 与清单中的校验值不符，文件可能被修改或损坏，整个数据包未导入。请重新从原电脑导出。"
        );
    }

    #[test]
    fn a_changed_photo_is_tampered() {
        let mut parts = sample_parts();
        parts[2].1[100] ^= 1;
        let err = open_err(with_manifest(&parts, &sample_manifest()));
        assert_eq!(err, BundleError::Tampered("photos/p1".to_string()));
    }

    #[test]
    fn a_count_that_disagrees_is_tampered() {
        let mut m = sample_manifest();
        m.counts.insert("people".to_string(), 4);
        let err = open_err(with_manifest(&sample_parts(), &m));
        assert_eq!(err, BundleError::Tampered("people.jsonl".to_string()));
    }

    #[test]
    fn a_missing_part_is_refused() {
        let mut parts = sample_parts();
        parts.remove(2);
        let err = open_err(with_manifest(&parts, &sample_manifest()));
        assert_eq!(err, BundleError::MissingPart("photos/p1".to_string()));
        assert!(err.message().contains("photos/p1"));

        // Counted records without their file.
        let mut m = sample_manifest();
        m.counts.insert("signups".to_string(), 5);
        let err = open_err(with_manifest(&sample_parts(), &m));
        assert_eq!(err, BundleError::MissingPart("signups.jsonl".to_string()));
    }

    #[test]
    fn an_unlisted_part_is_refused() {
        let mut parts = sample_parts();
        parts.push(("photos/extra".to_string(), b"sneaky".to_vec()));
        let err = open_err(with_manifest(&parts, &sample_manifest()));
        assert_eq!(err, BundleError::UnlistedPart("photos/extra".to_string()));
        assert!(err.message().contains("photos/extra"));
    }

    #[test]
    fn not_a_zip() {
        assert_eq!(open_err(Vec::new()), BundleError::NotAZip);
        assert_eq!(open_err(b"hello, world".to_vec()), BundleError::NotAZip);
        assert_eq!(open_err(vec![0u8; 100_000]), BundleError::NotAZip);
        assert_eq!(open_err(b"PK".to_vec()), BundleError::NotAZip);
    }

    #[test]
    fn a_zip_without_a_manifest_is_not_a_bundle() {
        let parts = sample_parts();
        let entries: Vec<(&str, &[u8])> = parts
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        assert_eq!(open_err(testzip::stored(&entries)), BundleError::NotABundle);
        assert_eq!(open_err(testzip::stored(&[])), BundleError::NotABundle);

        let mut m = sample_manifest();
        m.format = "other-bundle".to_string();
        assert_eq!(
            open_err(with_manifest(&sample_parts(), &m)),
            BundleError::NotABundle
        );
        let mut m = sample_manifest();
        m.format_version = 2;
        assert_eq!(
            open_err(with_manifest(&sample_parts(), &m)),
            BundleError::NotABundle
        );
        assert_eq!(
            open_err(testzip::stored(&[(MANIFEST_PATH, b"{not json")])),
            BundleError::NotABundle
        );
    }

    #[test]
    fn a_zip_cut_in_half_is_truncated() {
        let bytes = sample();
        let half = bytes[..bytes.len() / 2].to_vec();
        assert_eq!(open_err(half), BundleError::Truncated(String::new()));
        // Only the end record missing.
        let short = bytes[..bytes.len() - 10].to_vec();
        assert_eq!(open_err(short), BundleError::Truncated(String::new()));
    }

    #[test]
    fn every_prefix_and_damage_is_an_error_not_a_panic() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            assert!(open(bytes[..cut].to_vec()).is_err(), "prefix {cut} opened");
        }
        // Flipped bytes anywhere: an error or (for bytes nobody checks, such as a local
        // header's timestamp) a bundle that still reads back identical.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut damaged = bytes.clone();
            let at = (state % bytes.len() as u64) as usize;
            damaged[at] ^= (state >> 32) as u8 | 1;
            if let Ok(mut bundle) = open(damaged) {
                if let Ok(records) = bundle.records::<Person>("people") {
                    assert_eq!(records, people());
                }
                if let Ok(photo_bytes) = bundle.file("photos/p1") {
                    assert_eq!(photo_bytes, photo());
                }
            }
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut m = sample_manifest();
        m.schema_version = SCHEMA + 1;
        let err = open_err(with_manifest(&sample_parts(), &m));
        assert_eq!(
            err,
            BundleError::NewerSchema {
                found: SCHEMA + 1,
                supported: SCHEMA
            }
        );
        assert!(err.message().contains("升级"));
        // An older schema is fine.
        let mut m = sample_manifest();
        m.schema_version = 1;
        assert!(open(with_manifest(&sample_parts(), &m)).is_ok());
    }

    #[test]
    fn a_line_that_does_not_parse_is_a_bad_record() {
        let mut w = BundleWriter::new(Cursor::new(Vec::new()));
        let lines = vec![
            serde_json::json!({"id": 1, "name": "张三", "note": null}),
            serde_json::json!({"id": "two", "name": "李四"}),
            serde_json::json!({"id": 3, "name": "王五", "note": null}),
        ];
        w.add_records("people", lines).unwrap();
        let mut bundle = open(w.finish(manifest()).unwrap().into_inner()).unwrap();
        let err = bundle.records::<Person>("people").unwrap_err();
        assert_eq!(
            err,
            BundleError::BadRecord {
                part: "people.jsonl".to_string(),
                line: 2
            }
        );
        assert!(err.message().contains("people.jsonl 的第 2 行"));
    }

    #[test]
    fn a_large_photo_is_too_large() {
        let big = vec![0u8; 11 * 1024 * 1024];
        // The writer refuses it…
        let mut w = BundleWriter::new(Cursor::new(Vec::new()));
        assert_eq!(
            w.add_file("photos/big", &big),
            Err(BundleError::TooLarge("photos/big".to_string()))
        );
        // …and so does opening a bundle made another way.
        let mut m = manifest();
        m.parts.insert("photos/big".to_string(), sha(&big));
        let err = open_err(with_manifest(&[("photos/big".to_string(), big)], &m));
        assert_eq!(err, BundleError::TooLarge("photos/big".to_string()));
        assert!(err.message().contains("photos/big"));
    }

    #[test]
    fn a_zip_bomb_is_too_large() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(
            "people.jsonl",
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
        )
        .unwrap();
        zip.write_all(&zeros).unwrap();
        let mut m = manifest();
        m.parts.insert("people.jsonl".to_string(), sha(&zeros));
        zip.start_file(MANIFEST_PATH, SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&serde_json::to_vec(&m).unwrap()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(
            open_err(bytes),
            BundleError::TooLarge("people.jsonl".to_string())
        );
    }

    #[test]
    fn too_many_entries_declared_is_refused_before_parsing() {
        // A real one-entry zip whose end record is replaced by a zip64 one claiming more
        // entries than allowed.
        let bytes =
            testzip::declaring_zip64_entries(testzip::stored(&[("a", b"x")]), MAX_ENTRIES + 1);
        assert_eq!(open_err(bytes), BundleError::TooLarge(String::new()));
    }

    #[test]
    fn the_writer_refuses_bad_paths_and_duplicates() {
        let mut w = BundleWriter::new(Cursor::new(Vec::new()));
        for path in [MANIFEST_PATH, "", "/abs", "a/../b", "a\\b", "photos/"] {
            assert!(
                matches!(w.add_file(path, b"x"), Err(BundleError::Io(_))),
                "{path:?}"
            );
        }
        w.add_file("photos/a", b"x").unwrap();
        assert!(matches!(
            w.add_file("photos/a", b"y"),
            Err(BundleError::Io(_))
        ));
        assert!(matches!(
            w.add_records("a/b", people()),
            Err(BundleError::Io(_))
        ));
    }

    #[test]
    fn every_error_has_a_message() {
        let errors = [
            BundleError::NotAZip,
            BundleError::NotABundle,
            BundleError::MissingPart("teams.jsonl".into()),
            BundleError::UnlistedPart("x".into()),
            BundleError::Tampered("x".into()),
            BundleError::Truncated(String::new()),
            BundleError::Truncated("x".into()),
            BundleError::NewerSchema {
                found: 3,
                supported: 2,
            },
            BundleError::TooLarge(String::new()),
            BundleError::TooLarge("photos/x".into()),
            BundleError::TooLarge("x".into()),
            BundleError::BadRecord {
                part: "x".into(),
                line: 1,
            },
            BundleError::Io("disk full".into()),
        ];
        for e in errors {
            let m = e.message();
            assert!(m.contains('。'), "{m}");
            assert!(!m.contains("disk full"));
        }
    }
}
