//! Values the domain's unit tests share: fixed dates, IDs with a valid check character and
//! the region most examples use (吉林省四平市铁西区).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::activity::{Activity, ActivityState, Signup, SignupState};
use super::ids::Gid;

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

/// "2026-11-01 00:00" as a UTC instant.
pub fn utc(s: &str) -> DateTime<Utc> {
    dt(s).and_utc()
}

/// Sign-up 11-20 08:00 to 11-30 18:00, activity 12-01 09:00–11:30, 10 seats.
pub fn activity() -> Activity {
    Activity {
        id: Gid(1),
        origin: Gid(2),
        team: Gid(3),
        title: "科普进社区".to_string(),
        service_category: "科普讲解".to_string(),
        region: RegionPath {
            province: "370000".to_string(),
            city: "370100".to_string(),
            county: Some("370102".to_string()),
        },
        address: "历下区文化中心".to_string(),
        description: "讲解".to_string(),
        contact_name: "王老师".to_string(),
        contact_phone: "13812345678".to_string(),
        signup_opens: dt("2026-11-20 08:00"),
        signup_closes: dt("2026-11-30 18:00"),
        starts_at: dt("2026-12-01 09:00"),
        ends_at: dt("2026-12-01 11:30"),
        capacity: 10,
        risk_note: String::new(),
        cover_photo: None,
        demand: None,
        state: ActivityState::Published,
        created_at: utc("2026-11-01 00:00"),
        updated_at: utc("2026-11-01 00:00"),
    }
}

/// An attended signup to [`activity`], without hours.
pub fn signup() -> Signup {
    Signup {
        id: Gid(10),
        activity: Gid(1),
        volunteer: Gid(11),
        state: SignupState::Attended,
        signed_up_at: utc("2026-11-21 00:00"),
        waitlisted_at: None,
        promoted_at: None,
        check_in: None,
        check_out: None,
        half_hours: None,
        recorded_by: None,
        recorded_at: None,
        corrections: Vec::new(),
        updated_at: utc("2026-11-21 00:00"),
    }
}
