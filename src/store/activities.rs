//! Activities and their signups: publishing, signing up with the capacity checked inside
//! the write (no overbooking under any concurrency), the waitlist and its promotion,
//! check-in, attendance and hours; reports, photos and certificates.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::demands::{demand_tx, put_demand_tx};
use super::people::volunteer_tx;
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::activity::{Activity, ActivityState, HoursCorrection, Signup, SignupState};
use crate::domain::ids::Gid;
use crate::domain::people::Volunteer;
use crate::domain::record::{Certificate, Photo, Report};
use crate::domain::refusal::Refusal;
use crate::domain::signup;
use chrono::{DateTime, NaiveDateTime, Utc};
use redb::{ReadableTable, WriteTransaction};

/// How a signup ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    SignedUp,
    Waitlisted,
}

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The waiting volunteer who got the freed seat.
    pub promoted: Option<Gid>,
}

/// A signup with its volunteer.
#[derive(Debug, Clone)]
pub struct RosterRow {
    pub signup: Signup,
    pub volunteer: Volunteer,
}

/// A signup with its activity.
#[derive(Debug, Clone)]
pub struct MyActivity {
    pub signup: Signup,
    pub activity: Activity,
}

pub(super) fn activity_tx(tx: &WriteTransaction, id: Gid) -> Result<Activity, StoreError> {
    let t = tx.open_table(ACTIVITIES)?;
    let v = t.get(id.0)?;
    match v {
        Some(g) => Ok(decode(g.value())?),
        None => Err(StoreError::NotFound),
    }
}

pub(super) fn put_activity_tx(tx: &WriteTransaction, a: &Activity) -> Result<(), StoreError> {
    // The version replaced, for the index entries it leaves (an unreadable one is
    // reported by `kezhi check`, whose repair rebuilds the indexes).
    let previous: Option<Activity> = {
        let mut t = tx.open_table(ACTIVITIES)?;
        let old = t.insert(a.id.0, encode(a).as_slice())?;
        old.and_then(|g| decode(g.value()).ok())
    };
    tx.open_table(TEAM_ACTIVITIES)?
        .insert((a.team.0, a.id.0), ())?;
    super::indexes::put_activity_keys_tx(tx, a, previous.as_ref())?;
    changes::record_tx(tx, ChangeKind::Activity, a.id)?;
    Ok(())
}

fn signups_tx(tx: &WriteTransaction, activity: Gid) -> Result<Vec<Signup>, StoreError> {
    let t = tx.open_table(ACTIVITY_SIGNUPS)?;
    let mut out = Vec::new();
    for row in t.range((activity.0, 0u128)..=(activity.0, u128::MAX))? {
        out.push(decode(row?.1.value())?);
    }
    Ok(out)
}

pub(super) fn signup_tx(
    tx: &WriteTransaction,
    activity: Gid,
    vol: Gid,
) -> Result<Option<Signup>, StoreError> {
    let t = tx.open_table(ACTIVITY_SIGNUPS)?;
    let v = t.get((activity.0, vol.0))?;
    Ok(match v {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

pub(super) fn put_signup_tx(tx: &WriteTransaction, s: &Signup) -> Result<(), StoreError> {
    let previous = signup_tx(tx, s.activity, s.volunteer)?;
    super::indexes::put_signup_keys_tx(tx, s, previous.as_ref())?;
    tx.open_table(ACTIVITY_SIGNUPS)?
        .insert((s.activity.0, s.volunteer.0), encode(s).as_slice())?;
    tx.open_table(VOLUNTEER_SIGNUPS)?
        .insert((s.volunteer.0, s.activity.0), ())?;
    changes::record_tx(tx, ChangeKind::Signup, s.id)?;
    Ok(())
}

fn seats_taken(signups: &[Signup]) -> u32 {
    signups.iter().filter(|s| s.state.holds_seat()).count() as u32
}

/// A volunteer's request to sign up, applied by [`sign_up_tx`].
pub(super) struct SignupRequest {
    pub(super) activity: Gid,
    pub(super) volunteer: Gid,
    pub(super) now: DateTime<Utc>,
    pub(super) now_local: NaiveDateTime,
    pub(super) waitlist: bool,
}

/// Sign up inside a write transaction: every check comes before the one write, so a
/// refusal leaves nothing written (the group commit relies on it). Seats are counted
/// from the `activity_seats` counter, not by decoding the activity's signups.
pub(super) fn sign_up_tx(
    tx: &WriteTransaction,
    r: &SignupRequest,
) -> Result<SignupOutcome, StoreError> {
    let a = activity_tx(tx, r.activity)?;
    volunteer_tx(tx, r.volunteer)?.ok_or(StoreError::NotFound)?;
    let existing = signup_tx(tx, r.activity, r.volunteer)?;
    let (taken, _) = seats_tx(tx, r.activity)?;
    let state = signup::sign_up_state(
        &a,
        existing.as_ref().map(|s| s.state),
        taken,
        r.now_local,
        r.waitlist,
    )
    .map_err(|why| match why {
        Refusal::NotPublished => StoreError::NotFound,
        why => StoreError::Refused(why),
    })?;
    let s = Signup {
        id: existing.as_ref().map(|s| s.id).unwrap_or_default(),
        activity: r.activity,
        volunteer: r.volunteer,
        state,
        signed_up_at: r.now,
        waitlisted_at: (state == SignupState::Waitlisted).then_some(r.now),
        promoted_at: None,
        check_in: None,
        check_out: None,
        half_hours: None,
        recorded_by: None,
        recorded_at: None,
        corrections: Vec::new(),
        updated_at: r.now,
    };
    put_signup_tx(tx, &s)?;
    Ok(if state == SignupState::Waitlisted {
        SignupOutcome::Waitlisted
    } else {
        SignupOutcome::SignedUp
    })
}

/// The `activity_seats` counters (seats held, waiting) inside a write transaction.
fn seats_tx(tx: &WriteTransaction, activity: Gid) -> Result<(u32, u32), StoreError> {
    let t = tx.open_table(ACTIVITY_SEATS)?;
    Ok(t.get(activity.0)?.map(|g| g.value()).unwrap_or((0, 0)))
}

/// Fill free seats from the waitlist, earliest first. Returns who was promoted.
fn promote_tx(
    tx: &WriteTransaction,
    a: &Activity,
    now: DateTime<Utc>,
) -> Result<Vec<Gid>, StoreError> {
    if a.capacity == 0 && a.state != ActivityState::Published {
        return Ok(Vec::new());
    }
    let all = signups_tx(tx, a.id)?;
    let mut free = if a.capacity == 0 {
        u32::MAX
    } else {
        a.capacity.saturating_sub(seats_taken(&all))
    };
    let mut waiting: Vec<Signup> = all
        .into_iter()
        .filter(|s| s.state == SignupState::Waitlisted)
        .collect();
    waiting.sort_by_key(|s| (s.waitlisted_at.unwrap_or(s.signed_up_at), s.id));
    let mut promoted = Vec::new();
    for mut s in waiting {
        if free == 0 {
            break;
        }
        s.state = SignupState::SignedUp;
        s.promoted_at = Some(now);
        s.updated_at = now;
        put_signup_tx(tx, &s)?;
        promoted.push(s.volunteer);
        free -= 1;
    }
    Ok(promoted)
}

impl Store {
    /// Save a new or edited activity. Raising the capacity fills seats from the waitlist;
    /// lowering it below the signed-up count keeps everyone signed up (the form asks for
    /// confirmation first).
    pub fn save_activity(&self, a: &Activity, now: DateTime<Utc>) -> Result<Vec<Gid>, StoreError> {
        self.save_activity_with_cover(a, None, now)
    }

    /// Save an activity with its new cover photo, and link the demand it answers, in one
    /// transaction: a crash never leaves a cover without its activity or a demand still
    /// open after the activity that took it was saved.
    pub fn save_activity_with_cover(
        &self,
        a: &Activity,
        cover: Option<&Photo>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Gid>, StoreError> {
        self.write(|tx| {
            if let Some(p) = cover {
                tx.open_table(PHOTOS)?
                    .insert(p.id.0, encode(p).as_slice())?;
            }
            if let Some(mut d) = a.demand.map(|d| demand_tx(tx, d)).transpose()?.flatten()
                && d.activity != Some(a.id)
            {
                d.answered_by(a.id, a.team, now);
                put_demand_tx(tx, &d)?;
            }
            put_activity_tx(tx, a)?;
            if a.state == ActivityState::Published {
                promote_tx(tx, a, now)
            } else {
                Ok(Vec::new())
            }
        })
    }

    /// An activity by id.
    pub fn activity(&self, id: Gid) -> Result<Option<Activity>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ACTIVITIES)?;
            Ok(match t.get(id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Every activity, oldest first.
    pub fn activities(&self) -> Result<Vec<Activity>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ACTIVITIES)?;
            let mut out = Vec::new();
            for row in t.range::<u128>(..)? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// A team's activities, oldest first.
    pub fn activities_of(&self, org: Gid) -> Result<Vec<Activity>, StoreError> {
        let ids: Vec<u128> = self.read(|tx| {
            let t = tx.open_table(TEAM_ACTIVITIES)?;
            let mut v = Vec::new();
            for row in t.range((org.0, 0u128)..=(org.0, u128::MAX))? {
                v.push(row?.0.value().1);
            }
            Ok::<_, StoreError>(v)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(a) = self.activity(Gid(id))? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Seats held (signed up or attended) and people waiting, per activity: the
    /// `activity_seats` counters, kept with every signup write.
    pub fn signup_counts(&self, activity: Gid) -> Result<(u32, u32), StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ACTIVITY_SEATS)?;
            Ok(t.get(activity.0)?.map(|g| g.value()).unwrap_or((0, 0)))
        })
    }

    /// Sign a volunteer up. The phase and the capacity are checked inside the write
    /// transaction, so two phones tapping at once cannot take the same last seat. When
    /// the activity is full, `waitlist` puts the volunteer on the waitlist instead.
    pub fn sign_up(
        &self,
        activity: Gid,
        volunteer: Gid,
        now: DateTime<Utc>,
        now_local: NaiveDateTime,
        waitlist: bool,
    ) -> Result<SignupOutcome, StoreError> {
        // Signups come in bursts when an activity opens: they share transactions.
        self.signups.submit(
            self,
            SignupRequest {
                activity,
                volunteer,
                now,
                now_local,
                waitlist,
            },
        )
    }

    /// Cancel a signup (or leave the waitlist). A freed seat goes to the first waiting.
    pub fn cancel_signup(
        &self,
        activity: Gid,
        volunteer: Gid,
        now: DateTime<Utc>,
        now_local: NaiveDateTime,
    ) -> Result<Cancellation, StoreError> {
        self.write(|tx| {
            let a = activity_tx(tx, activity)?;
            let mut s = signup_tx(tx, activity, volunteer)?.ok_or(StoreError::NotFound)?;
            signup::may_cancel(&a, s.state, now_local).map_err(StoreError::Refused)?;
            let held_seat = s.state == SignupState::SignedUp;
            s.state = SignupState::Cancelled;
            s.updated_at = now;
            put_signup_tx(tx, &s)?;
            let promoted = if held_seat {
                promote_tx(tx, &a, now)?.into_iter().next()
            } else {
                None
            };
            Ok(Cancellation { promoted })
        })
    }

    /// A volunteer's signup for an activity.
    pub fn signup(&self, activity: Gid, volunteer: Gid) -> Result<Option<Signup>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ACTIVITY_SIGNUPS)?;
            Ok(match t.get((activity.0, volunteer.0))? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Everyone with a signup row for an activity, in signup order.
    pub fn roster(&self, activity: Gid) -> Result<Vec<RosterRow>, StoreError> {
        // One snapshot for the signups and their people (an activity may take 10,000).
        let mut rows = self.read(|tx| {
            let signups = tx.open_table(ACTIVITY_SIGNUPS)?;
            let people = tx.open_table(VOLUNTEERS)?;
            let mut rows = Vec::new();
            for row in signups.range((activity.0, 0u128)..=(activity.0, u128::MAX))? {
                let signup: Signup = decode(row?.1.value())?;
                if let Some(v) = people.get(signup.volunteer.0)? {
                    rows.push(RosterRow {
                        volunteer: decode(v.value())?,
                        signup,
                    });
                }
            }
            Ok::<_, StoreError>(rows)
        })?;
        rows.sort_by_key(|r| (r.signup.signed_up_at, r.signup.id));
        Ok(rows)
    }

    /// A volunteer's signups with their activities.
    pub fn my_activities(&self, volunteer: Gid) -> Result<Vec<MyActivity>, StoreError> {
        let ids: Vec<u128> = self.read(|tx| {
            let t = tx.open_table(VOLUNTEER_SIGNUPS)?;
            let mut v = Vec::new();
            for row in t.range((volunteer.0, 0u128)..=(volunteer.0, u128::MAX))? {
                v.push(row?.0.value().1);
            }
            Ok::<_, StoreError>(v)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let (Some(s), Some(a)) = (self.signup(Gid(id), volunteer)?, self.activity(Gid(id))?)
            {
                out.push(MyActivity {
                    signup: s,
                    activity: a,
                });
            }
        }
        Ok(out)
    }

    /// Change a signup in one transaction (check-in, check-out, attendance, hours): `f`
    /// gets the stored signup and the activity and returns the updated signup or a refusal.
    pub fn update_signup(
        &self,
        activity: Gid,
        volunteer: Gid,
        f: impl FnOnce(&Activity, Signup) -> Result<Signup, StoreError>,
    ) -> Result<Signup, StoreError> {
        self.write(|tx| {
            let a = activity_tx(tx, activity)?;
            let s = signup_tx(tx, activity, volunteer)?.ok_or(StoreError::NotFound)?;
            let updated = f(&a, s)?;
            put_signup_tx(tx, &updated)?;
            if !updated.state.holds_seat() {
                promote_tx(tx, &a, updated.updated_at)?;
            }
            Ok(updated)
        })
    }

    /// Record hours for several signups at once (one transaction). Each already recorded
    /// value that changes is kept as a correction with who and when.
    pub fn record_hours(
        &self,
        activity: Gid,
        entries: &[(Gid, u32)],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut changed = 0;
            for (vol, half_hours) in entries {
                let mut s = signup_tx(tx, activity, *vol)?.ok_or(StoreError::NotFound)?;
                if s.state != SignupState::Attended {
                    return Err(StoreError::Refused(Refusal::HoursWithoutAttendance));
                }
                if s.half_hours == Some(*half_hours) {
                    continue;
                }
                if s.half_hours.is_some() {
                    s.corrections.push(HoursCorrection {
                        half_hours: *half_hours,
                        by: by.to_string(),
                        at: now,
                    });
                }
                s.half_hours = Some(*half_hours);
                s.recorded_by = Some(by.to_string());
                s.recorded_at = Some(now);
                s.updated_at = now;
                put_signup_tx(tx, &s)?;
                changed += 1;
            }
            Ok(changed)
        })
    }

    /// The check-in token of an activity, created on first use.
    pub fn checkin_token(&self, activity: Gid) -> Result<String, StoreError> {
        if let Some(t) = self.read(|tx| {
            Ok::<_, StoreError>(
                tx.open_table(CHECKIN_TOKENS)?
                    .get(activity.0)?
                    .map(|g| g.value().to_string()),
            )
        })? {
            return Ok(t);
        }
        self.write(|tx| {
            let mut t = tx.open_table(CHECKIN_TOKENS)?;
            if let Some(existing) = t.get(activity.0)?.map(|g| g.value().to_string()) {
                return Ok(existing);
            }
            let token = crate::domain::secret::token();
            t.insert(activity.0, token.as_str())?;
            Ok(token)
        })
    }

    /// Store a photo.
    pub fn insert_photo(&self, p: &Photo) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(PHOTOS)?
                .insert(p.id.0, encode(p).as_slice())?;
            Ok(())
        })
    }

    /// A photo by id.
    pub fn photo(&self, id: Gid) -> Result<Option<Photo>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(PHOTOS)?;
            Ok(match t.get(id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Save an activity's report and its new photos together.
    pub fn save_report(&self, r: &Report, new_photos: &[Photo]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut photos = tx.open_table(PHOTOS)?;
            for p in new_photos {
                photos.insert(p.id.0, encode(p).as_slice())?;
            }
            drop(photos);
            tx.open_table(REPORTS)?
                .insert(r.activity.0, encode(r).as_slice())?;
            changes::record_tx(tx, ChangeKind::Report, r.id)?;
            Ok(())
        })
    }

    /// The report of an activity.
    pub fn report(&self, activity: Gid) -> Result<Option<Report>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(REPORTS)?;
            Ok(match t.get(activity.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Keep an issued certificate.
    pub fn insert_certificate(&self, c: &Certificate) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(CERTIFICATES)?;
            if t.get(c.number.as_str())?.is_some() {
                return Err(StoreError::Taken("证明编号"));
            }
            t.insert(c.number.as_str(), encode(c).as_slice())?;
            drop(t);
            tx.open_table(VOLUNTEER_CERTIFICATES)?
                .insert((c.volunteer.0, c.number.as_str()), ())?;
            changes::record_tx(tx, ChangeKind::Certificate, c.id)?;
            Ok(())
        })
    }

    /// A certificate by number.
    pub fn certificate(&self, number: &str) -> Result<Option<Certificate>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(CERTIFICATES)?;
            Ok(match t.get(number)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// A volunteer's certificates, newest last.
    pub fn certificates_of(&self, volunteer: Gid) -> Result<Vec<Certificate>, StoreError> {
        let numbers: Vec<String> = self.read(|tx| {
            let t = tx.open_table(VOLUNTEER_CERTIFICATES)?;
            let mut v = Vec::new();
            for row in t.range((volunteer.0, "")..=(volunteer.0, "\u{10FFFF}"))? {
                v.push(row?.0.value().1.to_string());
            }
            Ok::<_, StoreError>(v)
        })?;
        let mut out = Vec::new();
        for n in numbers {
            if let Some(c) = self.certificate(&n)? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.created_at);
        Ok(out)
    }

    /// How many certificates exist (for numbering).
    pub fn certificate_count(&self) -> Result<u64, StoreError> {
        use redb::ReadableTableMetadata;
        self.read(|tx| Ok(tx.open_table(CERTIFICATES)?.len()?))
    }
}
