//! Being there, as use cases: a volunteer's check-in/check-out scan, a team marking who
//! came, and recording hours. The rules are `domain::attendance`; each use case applies
//! them inside one store transaction, so two scans at once cannot both pass a check.

use crate::domain::activity::{self as rules, Activity, Signup, SignupState};
use crate::domain::attendance::{self, Scan};
use crate::domain::ids::Gid;
use crate::domain::refusal::Refusal;
use crate::store::{Store, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};

/// The volunteer's own scan of the check-in QR code.
pub fn scan(
    store: &Store,
    activity: Gid,
    volunteer: Gid,
    way: Scan,
    now: NaiveDateTime,
    at: DateTime<Utc>,
) -> Result<Signup, StoreError> {
    store
        .update_signup(activity, volunteer, |a, s| {
            attendance::scan(a, s, way, now, at).map_err(StoreError::Refused)
        })
        .map_err(|e| match e {
            StoreError::NotFound => StoreError::Refused(Refusal::CheckinWithoutSignup),
            e => e,
        })
}

/// A team marks a signed-up volunteer as there (`attended`) or absent.
pub fn mark(
    store: &Store,
    activity: Gid,
    volunteer: Gid,
    attended: bool,
    now: NaiveDateTime,
    at: DateTime<Utc>,
) -> Result<Signup, StoreError> {
    store.update_signup(activity, volunteer, |a, s| {
        attendance::mark(a, s, attended, now, at).map_err(StoreError::Refused)
    })
}

/// What the team typed into the hours column, per volunteer.
pub struct TypedHours {
    pub volunteer: Gid,
    pub text: String,
}

/// Hours saved, or the entries that could not be read (volunteer, why) and nothing saved.
pub enum HoursOutcome {
    Saved(usize),
    Invalid(Vec<(Gid, String)>),
}

/// Record the typed hours of attended volunteers, all or none, and log who did it.
pub fn record_hours(
    store: &Store,
    a: &Activity,
    typed: &[TypedHours],
    actor: (&str, &str),
    at: DateTime<Utc>,
) -> Result<HoursOutcome, StoreError> {
    let days = rules::days_spanned(a.starts_at, a.ends_at);
    let attended: std::collections::HashSet<Gid> = store
        .roster(a.id)?
        .into_iter()
        .filter(|r| r.signup.state == SignupState::Attended)
        .map(|r| r.volunteer.id)
        .collect();
    let mut entries = Vec::new();
    let mut invalid = Vec::new();
    for t in typed.iter().filter(|t| attended.contains(&t.volunteer)) {
        match rules::parse_hours(&t.text, days) {
            Ok(h) => entries.push((t.volunteer, h)),
            Err(m) => invalid.push((t.volunteer, m)),
        }
    }
    if !invalid.is_empty() {
        return Ok(HoursOutcome::Invalid(invalid));
    }
    let n = store.record_hours(a.id, &entries, actor.0, at)?;
    super::audit::record(
        store,
        actor,
        at,
        "activity.hours",
        format!("记录活动 {} 的服务时长", a.id),
        n as u64,
    )?;
    Ok(HoursOutcome::Saved(n))
}
