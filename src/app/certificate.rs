//! The service record and certificates (服务证明): the attended activities with hours,
//! issuing a certificate with an unguessable number, and the public check of a number.

use crate::domain::activity::SignupState;
use crate::domain::ids::Gid;
use crate::domain::people::Volunteer;
use crate::domain::record::{
    Certificate, CertificateLine, is_unguessable_certificate_number, new_certificate_number,
    normalize_certificate_number,
};
use crate::domain::refusal::Refusal;
use crate::domain::regions::RegionPath;
use crate::domain::validate;
use crate::store::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};

/// The volunteer's attended activities with recorded hours, oldest first. `place` renders
/// a region for the line (the web shows names, not codes).
pub fn service_record(
    store: &Store,
    volunteer: Gid,
    place: impl Fn(&RegionPath) -> String,
) -> Result<Vec<CertificateLine>, StoreError> {
    let mut lines = Vec::new();
    for r in store.my_activities(volunteer)? {
        let (SignupState::Attended, Some(h)) = (r.signup.state, r.signup.half_hours) else {
            continue;
        };
        let a = r.activity;
        lines.push(CertificateLine {
            activity: a.id,
            title: a.title.clone(),
            date: a.starts_at.date(),
            place: format!("{} {}", place(&a.region), a.address),
            content: a.service_category.clone(),
            team: store.team(a.team)?.map(|o| o.name).unwrap_or_default(),
            half_hours: h,
        });
    }
    lines.sort_by_key(|l| l.date);
    Ok(lines)
}

/// Issue a certificate of everything on the record so far.
pub fn issue(
    store: &Store,
    v: &Volunteer,
    lines: Vec<CertificateLine>,
    issuer: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Certificate, StoreError> {
    if lines.is_empty() {
        return Err(StoreError::Refused(Refusal::NoRecordedHours));
    }
    let c = Certificate {
        id: Gid::new(),
        number: new_certificate_number(today),
        volunteer: v.id,
        volunteer_name: v.real_name.clone(),
        masked_id_number: validate::mask_id_number(&v.id_number),
        total_half_hours: lines.iter().map(|l| l.half_hours).sum(),
        lines,
        issuer: issuer.to_string(),
        issued_on: today,
        created_at: now,
    };
    store.insert_certificate(&c)?;
    Ok(c)
}

/// What the public check of a typed number shows.
pub struct Verified {
    pub certificate: Certificate,
    /// The holder's name: in full for an unguessable number, masked for an old sequential
    /// one (a guessable number proves a certificate exists, not whose it is).
    pub shown_name: String,
}

/// Look a typed certificate number up, tolerating spacing, case and O/I/L confusions, and
/// old numbers stored before those foldings.
pub fn verify(store: &Store, typed: &str) -> Result<(String, Option<Verified>), StoreError> {
    let normalized = normalize_certificate_number(typed);
    let legacy: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    let found = match store.certificate(&normalized)? {
        Some(c) => Some(c),
        None if !legacy.is_empty() => store.certificate(&legacy)?,
        None => None,
    };
    let number = found
        .as_ref()
        .map(|c| c.number.clone())
        .unwrap_or(normalized);
    Ok((
        number,
        found.map(|c| Verified {
            shown_name: if is_unguessable_certificate_number(&c.number) {
                c.volunteer_name.clone()
            } else {
                validate::mask_name(&c.volunteer_name)
            },
            certificate: c,
        }),
    ))
}
