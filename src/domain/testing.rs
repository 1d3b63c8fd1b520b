//! Values the domain's unit tests share: fixed dates, IDs with a valid check character and
//! the region most examples use (吉林省四平市铁西区).

use chrono::{NaiveDate, NaiveDateTime};

use super::checks::FieldErrors;
use super::regions::RegionPath;
use super::validate::checksum_char;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// "2026-12-01 09:30" as a local date-time.
pub fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// The day the registration and ID tests are checked on.
pub fn today() -> NaiveDate {
    date(2025, 6, 1)
}

/// A valid ID number from its first 17 digits, using our own checksum.
pub fn with_check(first17: &str) -> String {
    format!("{first17}{}", checksum_char(first17).unwrap())
}

pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// The only error, asserting it is on `field`.
pub fn only_error(errors: &FieldErrors, field: &str) -> String {
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, field, "{errors:?}");
    errors[0].1.clone()
}

/// 吉林省 四平市 铁西区 as codes.
pub fn tiexi() -> RegionPath {
    RegionPath {
        province: "220000".into(),
        city: "220300".into(),
        county: Some("220302".into()),
    }
}
