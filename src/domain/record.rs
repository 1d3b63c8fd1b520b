//! What is kept after an activity: the report with its photos, and the service record
//! certificate (志愿服务记录证明) issued from recorded hours.

use super::ids::Gid;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Most photos one report may carry.
pub const MAX_REPORT_PHOTOS: usize = 9;
/// The longest report text, in characters.
pub const MAX_REPORT_CHARS: usize = 2000;

/// A report's text as stored (line endings and blank runs normalised), or why not.
pub fn report_text(raw: &str) -> Result<String, String> {
    let text = super::validate::normalize_multiline(raw);
    if text.trim().is_empty() {
        Err("请填写活动情况".into())
    } else if super::validate::char_count(&text) > MAX_REPORT_CHARS {
        Err(format!("活动情况不能超过{MAX_REPORT_CHARS}字"))
    } else {
        Ok(text)
    }
}

/// Whether `adding` more photos fit beside the `existing` ones.
pub fn report_photo_room(existing: usize, adding: usize) -> Result<(), String> {
    if existing + adding > MAX_REPORT_PHOTOS {
        Err(format!(
            "最多 {MAX_REPORT_PHOTOS} 张照片，已有 {existing} 张，这次选了 {adding} 张"
        ))
    } else {
        Ok(())
    }
}
/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// An uploaded image, stored in the data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub id: Gid,
    /// The type found by looking at the content.
    pub mime: String,
    pub bytes: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// The after-activity report (活动结束后通过平台进行宣传).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: Gid,
    pub activity: Gid,
    pub text: String,
    pub photos: Vec<Gid>,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Random characters in a certificate number: 60 bits, so walking numbers finds nothing.
pub const CERTIFICATE_RANDOM_CHARS: usize = 12;

/// A new certificate number, `KZ` + issue date + 12 random characters in groups of four
/// (e.g. `KZ20261203-7KQ9-M2XP-4HBD`): printed on the certificate and typed back to verify.
pub fn new_certificate_number(issued_on: NaiveDate) -> String {
    let r = super::secret::unambiguous_chars(CERTIFICATE_RANDOM_CHARS);
    format!(
        "KZ{}-{}-{}-{}",
        issued_on.format("%Y%m%d"),
        &r[0..4],
        &r[4..8],
        &r[8..12]
    )
}

/// A typed certificate number in its stored form: upper case, the groups' dashes kept,
/// anything else dropped, with the letters people confuse read as the digits they look
/// like (O → 0, I/L → 1).
pub fn normalize_certificate_number(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Whether a number was issued with its random part. Numbers issued before were sequential
/// (guessable), so verifying them shows only a masked name.
pub fn is_unguessable_certificate_number(number: &str) -> bool {
    number.contains('-')
}

/// One service on a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateLine {
    pub activity: Gid,
    pub title: String,
    pub date: NaiveDate,
    pub place: String,
    pub content: String,
    /// Named `team` in bundles (the wire name from before the rename).
    #[serde(rename = "organization")]
    pub team: String,
    pub half_hours: u32,
}

/// A 志愿服务记录证明 as issued: a snapshot, so later changes do not alter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub id: Gid,
    pub number: String,
    pub volunteer: Gid,
    pub volunteer_name: String,
    pub masked_id_number: String,
    pub lines: Vec<CertificateLine>,
    pub total_half_hours: u32,
    /// The recording unit: the county association's name from settings.
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// The image type of `bytes`, judged by content, or why it is refused. A file renamed to
/// .jpg, or cut off while copying, does not pass.
pub fn sniff_image(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(format!(
            "图片不能超过 {} MB，这张有 {:.1} MB",
            MAX_PHOTO_BYTES / 1024 / 1024,
            bytes.len() as f64 / 1024.0 / 1024.0
        ));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // A complete JPEG ends with the EOI marker (some writers pad after it).
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        return if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            Ok("image/jpeg")
        } else {
            Err("这张 JPEG 图片不完整（可能没有传完），请重新选择".into())
        };
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return if bytes.len() >= 20
            && bytes[bytes.len() - 12..].starts_with(&[0, 0, 0, 0])
            && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND"
        {
            Ok("image/png")
        } else {
            Err("这张 PNG 图片不完整（可能没有传完），请重新选择".into())
        };
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        return if declared + 8 <= bytes.len() {
            Ok("image/webp")
        } else {
            Err("这张 WebP 图片不完整（可能没有传完），请重新选择".into())
        };
    }
    Err("只能上传 JPEG、PNG 或 WebP 格式的照片".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
        v.extend(std::iter::repeat_n(7u8, 100));
        v.extend([0xFF, 0xD9]);
        v
    }

    fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend(std::iter::repeat_n(1u8, 30));
        v.extend([0, 0, 0, 0]);
        v.extend(b"IEND");
        v.extend([0xAE, 0x42, 0x60, 0x82]);
        v
    }

    #[test]
    fn images_by_content() {
        assert_eq!(sniff_image(&jpeg()), Ok("image/jpeg"));
        assert_eq!(sniff_image(&png()), Ok("image/png"));
        let mut webp = b"RIFF".to_vec();
        webp.extend(12u32.to_le_bytes());
        webp.extend(b"WEBPVP8 \0\0\0\0");
        assert_eq!(sniff_image(&webp), Ok("image/webp"));
    }

    #[test]
    fn renamed_exe_truncated_and_huge_are_refused() {
        assert!(
            sniff_image(b"MZ\x90\0\x03\0\0\0")
                .unwrap_err()
                .contains("JPEG、PNG")
        );
        let j = jpeg();
        assert!(
            sniff_image(&j[..j.len() - 2])
                .unwrap_err()
                .contains("不完整")
        );
        let p = png();
        assert!(
            sniff_image(&p[..p.len() - 10])
                .unwrap_err()
                .contains("不完整")
        );
        let mut big = jpeg();
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(sniff_image(&big).unwrap_err().contains("5 MB"));
    }
}
