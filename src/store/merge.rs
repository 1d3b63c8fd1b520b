//! Merging another laptop's records: one write transaction for the whole bundle (a crash
//! leaves nothing half-merged), same global id → the newer version wins, a volunteer whose
//! phone or ID number belongs to a different local record → a conflict for the admin, with
//! the records that depend on it held until it is resolved. Merging the same bundle twice
//! changes nothing.

use super::activities::{activity_tx, put_activity_tx, put_signup_tx, signup_tx};
use super::codec::{decode, encode};
use super::memberships::{membership_tx, put_membership_tx};
use super::people::{put_team_tx, put_volunteer_tx, team_tx, volunteer_tx};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::activity::{Activity, Signup};
use crate::domain::ids::Gid;
use crate::domain::people::{Membership, Team, Volunteer, team_name_key};
use crate::domain::record::{Certificate, Photo, Report};
use crate::domain::refusal::Refusal;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a bundle brings.
#[derive(Debug, Default)]
pub struct MergeInput {
    pub teams: Vec<Team>,
    pub volunteers: Vec<Volunteer>,
    pub memberships: Vec<Membership>,
    pub activities: Vec<Activity>,
    pub signups: Vec<Signup>,
    pub reports: Vec<Report>,
    pub certificates: Vec<Certificate>,
    pub photos: Vec<Photo>,
    pub demands: Vec<crate::domain::demand::Demand>,
}

/// Counts for one entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflicts: usize,
    /// Referring to a record that is not here (and not in the bundle).
    pub skipped: usize,
}

/// What a merge did, per entity name.
pub type MergeSummary = BTreeMap<&'static str, Counts>;

/// A merged volunteer that clashes with a local one, and what depends on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeConflict {
    pub id: Gid,
    pub incoming: Volunteer,
    pub local: Gid,
    pub memberships: Vec<Membership>,
    pub signups: Vec<Signup>,
    pub created_at: DateTime<Utc>,
    /// How it was resolved ("mine", "theirs", "combined"), once resolved.
    pub resolution: Option<String>,
}

/// How the admin resolves a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    KeepMine,
    KeepTheirs,
    /// Field keys taken from the incoming record; the rest stay as they are.
    Combine(Vec<String>),
}

fn alias_tx(tx: &WriteTransaction, id: Gid) -> Result<Gid, StoreError> {
    Ok(tx
        .open_table(ID_ALIASES)?
        .get(id.0)?
        .map(|g| Gid(g.value()))
        .unwrap_or(id))
}

/// A team whose admin phone a bundle would change: the new admin takes over the team on
/// this laptop, so the platform admin confirms it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPhoneChange {
    pub team: String,
    pub from: String,
    pub to: String,
}

impl Store {
    /// Every stored team whose admin phone merging `teams` would change (a newer incoming
    /// version of the same team with another admin phone), read before the merge.
    pub fn admin_phone_changes(&self, teams: &[Team]) -> Result<Vec<AdminPhoneChange>, StoreError> {
        self.read(|tx| {
            let aliases = tx.open_table(ID_ALIASES)?;
            let orgs = tx.open_table(TEAMS)?;
            let mut out = Vec::new();
            for o in teams {
                let id = aliases.get(o.id.0)?.map(|g| g.value()).unwrap_or(o.id.0);
                let Some(local) = orgs.get(id)? else { continue };
                let local: Team = decode(local.value())?;
                if o.updated_at > local.updated_at && o.admin_phone != local.admin_phone {
                    out.push(AdminPhoneChange {
                        team: local.name,
                        from: local.admin_phone,
                        to: o.admin_phone.clone(),
                    });
                }
            }
            Ok(out)
        })
    }
}

fn conflict_for_tx(
    tx: &WriteTransaction,
    incoming: Gid,
) -> Result<Option<MergeConflict>, StoreError> {
    let t = tx.open_table(MERGE_CONFLICTS)?;
    for row in t.iter()? {
        let c: MergeConflict = decode(row?.1.value())?;
        if c.incoming.id == incoming && c.resolution.is_none() {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn put_conflict_tx(tx: &WriteTransaction, c: &MergeConflict) -> Result<(), StoreError> {
    tx.open_table(MERGE_CONFLICTS)?
        .insert(c.id.0, encode(c).as_slice())?;
    Ok(())
}

fn local_holder_tx(tx: &WriteTransaction, v: &Volunteer) -> Result<Option<Gid>, StoreError> {
    let by_phone = tx
        .open_table(PHONE_VOLUNTEER)?
        .get(v.phone.as_str())?
        .map(|g| Gid(g.value()));
    let by_id = tx
        .open_table(IDNUMBER_VOLUNTEER)?
        .get(v.id_number.as_str())?
        .map(|g| Gid(g.value()));
    Ok(by_phone
        .filter(|h| *h != v.id)
        .or(by_id.filter(|h| *h != v.id)))
}

/// Store a membership or signup unless the same key holds a newer one.
fn newer<T>(incoming: DateTime<Utc>, existing: Option<(DateTime<Utc>, T)>) -> Option<bool> {
    match existing {
        None => Some(true),
        Some((t, _)) if incoming > t => Some(false),
        Some(_) => None,
    }
}

impl Store {
    /// Merge a bundle's records in one transaction.
    pub fn merge(&self, input: MergeInput, now: DateTime<Utc>) -> Result<MergeSummary, StoreError> {
        self.write(|tx| merge_tx(tx, input, now))
    }
}

/// Merge `input` inside the caller's write transaction (a bundle merge, or a sync that also
/// moves its watermark in the same commit).
pub(super) fn merge_tx(
    tx: &WriteTransaction,
    input: MergeInput,
    now: DateTime<Utc>,
) -> Result<MergeSummary, StoreError> {
    let mut sum = MergeSummary::new();
    // Teams: same id → newer wins; the same name under another id is the same team.
    let c = sum.entry("teams").or_default();
    for mut o in input.teams {
        o.id = alias_tx(tx, o.id)?;
        match team_tx(tx, o.id)? {
            Some(local) if o.updated_at > local.updated_at => {
                put_team_tx(tx, &o, Some(&local))?;
                c.updated += 1;
            }
            Some(_) => c.unchanged += 1,
            None => {
                let holder = tx
                    .open_table(NAME_TEAM)?
                    .get(team_name_key(&o.name).as_str())?
                    .map(|g| g.value());
                match holder {
                    Some(local) => {
                        tx.open_table(ID_ALIASES)?.insert(o.id.0, local)?;
                        c.unchanged += 1;
                    }
                    None => {
                        put_team_tx(tx, &o, None)?;
                        c.added += 1;
                    }
                }
            }
        }
    }
    // Volunteers: same id → newer wins; same phone / ID number under another id →
    // a conflict (once: merging again finds it pending or aliased).
    let mut held: BTreeMap<Gid, Gid> = BTreeMap::new(); // incoming volunteer → conflict id
    let c = sum.entry("volunteers").or_default();
    for mut v in input.volunteers {
        let original = v.id;
        v.id = alias_tx(tx, v.id)?;
        if v.id != original {
            c.unchanged += 1;
            continue;
        }
        if let Some(existing) = conflict_for_tx(tx, v.id)? {
            held.insert(v.id, existing.id);
            c.unchanged += 1;
            continue;
        }
        match volunteer_tx(tx, v.id)? {
            Some(local) if v.updated_at > local.updated_at => {
                match put_volunteer_tx(tx, &v, Some(&local)) {
                    Ok(()) => c.updated += 1,
                    Err(StoreError::Taken(_)) => c.skipped += 1,
                    Err(e) => return Err(e),
                }
            }
            Some(_) => c.unchanged += 1,
            None => match local_holder_tx(tx, &v)? {
                Some(local) => {
                    let conflict = MergeConflict {
                        id: Gid::new(),
                        incoming: v.clone(),
                        local,
                        memberships: Vec::new(),
                        signups: Vec::new(),
                        created_at: now,
                        resolution: None,
                    };
                    put_conflict_tx(tx, &conflict)?;
                    held.insert(v.id, conflict.id);
                    c.conflicts += 1;
                }
                None => {
                    put_volunteer_tx(tx, &v, None)?;
                    c.added += 1;
                }
            },
        }
    }
    let hold = |tx: &WriteTransaction,
                vol: Gid,
                add: &dyn Fn(&mut MergeConflict)|
     -> Result<bool, StoreError> {
        let Some(cid) = held.get(&vol) else {
            return Ok(false);
        };
        let mut t = tx.open_table(MERGE_CONFLICTS)?;
        let found = t.get(cid.0)?.map(|g| g.value().to_vec());
        if let Some(bytes) = found {
            let mut conflict: MergeConflict = decode(&bytes)?;
            add(&mut conflict);
            t.insert(cid.0, encode(&conflict).as_slice())?;
        }
        Ok(true)
    };
    let c = sum.entry("memberships").or_default();
    for mut m in input.memberships {
        m.team = alias_tx(tx, m.team)?;
        m.volunteer = alias_tx(tx, m.volunteer)?;
        let m2 = m.clone();
        if hold(tx, m.volunteer, &|k| {
            if !k.memberships.iter().any(|x| x.id == m2.id) {
                k.memberships.push(m2.clone());
            }
        })? {
            c.conflicts += 1;
            continue;
        }
        if team_tx(tx, m.team)?.is_none() || volunteer_tx(tx, m.volunteer)?.is_none() {
            c.skipped += 1;
            continue;
        }
        match newer(
            m.updated_at,
            membership_tx(tx, m.team, m.volunteer)?.map(|x| (x.updated_at, ())),
        ) {
            Some(true) => {
                put_membership_tx(tx, &m)?;
                c.added += 1;
            }
            Some(false) => {
                put_membership_tx(tx, &m)?;
                c.updated += 1;
            }
            None => c.unchanged += 1,
        }
    }
    let c = sum.entry("activities").or_default();
    for mut a in input.activities {
        a.team = alias_tx(tx, a.team)?;
        if team_tx(tx, a.team)?.is_none() {
            c.skipped += 1;
            continue;
        }
        match activity_tx(tx, a.id) {
            Ok(local) if a.updated_at > local.updated_at => {
                put_activity_tx(tx, &a)?;
                c.updated += 1;
            }
            Ok(_) => c.unchanged += 1,
            Err(StoreError::NotFound) => {
                put_activity_tx(tx, &a)?;
                c.added += 1;
            }
            Err(e) => return Err(e),
        }
    }
    let c = sum.entry("signups").or_default();
    for mut s in input.signups {
        s.volunteer = alias_tx(tx, s.volunteer)?;
        let s2 = s.clone();
        if hold(tx, s.volunteer, &|k| {
            if !k.signups.iter().any(|x| x.id == s2.id) {
                k.signups.push(s2.clone());
            }
        })? {
            c.conflicts += 1;
            continue;
        }
        if activity_tx(tx, s.activity).is_err() || volunteer_tx(tx, s.volunteer)?.is_none() {
            c.skipped += 1;
            continue;
        }
        match newer(
            s.updated_at,
            signup_tx(tx, s.activity, s.volunteer)?.map(|x| (x.updated_at, ())),
        ) {
            Some(true) => {
                put_signup_tx(tx, &s)?;
                c.added += 1;
            }
            Some(false) => {
                put_signup_tx(tx, &s)?;
                c.updated += 1;
            }
            None => c.unchanged += 1,
        }
    }
    let c = sum.entry("photos").or_default();
    for p in input.photos {
        let mut t = tx.open_table(PHOTOS)?;
        if t.get(p.id.0)?.is_some() {
            c.unchanged += 1;
        } else {
            t.insert(p.id.0, encode(&p).as_slice())?;
            c.added += 1;
        }
    }
    let c = sum.entry("reports").or_default();
    for r in input.reports {
        let mut t = tx.open_table(REPORTS)?;
        let local: Option<Report> = match t.get(r.activity.0)? {
            Some(g) => Some(decode(g.value())?),
            None => None,
        };
        match local {
            Some(l) if r.updated_at <= l.updated_at => c.unchanged += 1,
            Some(_) => {
                t.insert(r.activity.0, encode(&r).as_slice())?;
                c.updated += 1;
            }
            None => {
                t.insert(r.activity.0, encode(&r).as_slice())?;
                c.added += 1;
            }
        }
    }
    let c = sum.entry("demands").or_default();
    for d in input.demands {
        let local: Option<crate::domain::demand::Demand> =
            match tx.open_table(DEMANDS)?.get(d.id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            };
        let result = match &local {
            Some(l) if d.updated_at <= l.updated_at => {
                c.unchanged += 1;
                continue;
            }
            _ => super::demands::put_demand_tx(tx, &d),
        };
        match result {
            Ok(()) if local.is_some() => c.updated += 1,
            Ok(()) => c.added += 1,
            Err(StoreError::Taken(_)) => c.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    let c = sum.entry("certificates").or_default();
    for cert in input.certificates {
        let vol = alias_tx(tx, cert.volunteer)?;
        let mut t = tx.open_table(CERTIFICATES)?;
        if t.get(cert.number.as_str())?.is_some() {
            c.unchanged += 1;
            continue;
        }
        t.insert(cert.number.as_str(), encode(&cert).as_slice())?;
        drop(t);
        tx.open_table(VOLUNTEER_CERTIFICATES)?
            .insert((vol.0, cert.number.as_str()), ())?;
        c.added += 1;
    }
    Ok(sum)
}

impl Store {
    /// Conflicts still waiting for the admin, oldest first.
    pub fn open_conflicts(&self) -> Result<Vec<MergeConflict>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(MERGE_CONFLICTS)?;
            let mut out = Vec::new();
            for row in t.iter()? {
                let c: MergeConflict = decode(row?.1.value())?;
                if c.resolution.is_none() {
                    out.push(c);
                }
            }
            out.sort_by_key(|c| c.created_at);
            Ok(out)
        })
    }

    /// A conflict by id.
    pub fn conflict(&self, id: Gid) -> Result<Option<MergeConflict>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(MERGE_CONFLICTS)?;
            Ok(match t.get(id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Resolve a conflict: the local record stays (its id), takes the chosen fields, and
    /// receives the incoming record's memberships and signups, so no one's hours are lost.
    pub fn resolve_conflict(
        &self,
        id: Gid,
        how: &Resolution,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut conflict: MergeConflict = match tx.open_table(MERGE_CONFLICTS)?.get(id.0)? {
                Some(g) => decode(g.value())?,
                None => return Err(StoreError::NotFound),
            };
            if conflict.resolution.is_some() {
                return Err(StoreError::Refused(Refusal::ConflictAlreadyResolved));
            }
            let local = volunteer_tx(tx, conflict.local)?.ok_or(StoreError::NotFound)?;
            let theirs = &conflict.incoming;
            let mut merged = local.clone();
            let take = |key: &str| match how {
                Resolution::KeepMine => false,
                Resolution::KeepTheirs => true,
                Resolution::Combine(keys) => keys.iter().any(|k| k == key),
            };
            if take("real_name") {
                merged.real_name = theirs.real_name.clone();
            }
            if take("phone") {
                merged.phone = theirs.phone.clone();
            }
            if take("id_number") {
                merged.id_number = theirs.id_number.clone();
                merged.gender = theirs.gender;
                merged.birth_date = theirs.birth_date;
            }
            if take("political_status") {
                merged.political_status = theirs.political_status.clone();
            }
            if take("ethnicity") {
                merged.ethnicity = theirs.ethnicity.clone();
            }
            if take("employer") {
                merged.employer = theirs.employer.clone();
            }
            if take("title_level") {
                merged.title_level = theirs.title_level.clone();
            }
            if take("education") {
                merged.education = theirs.education.clone();
            }
            if take("occupation") {
                merged.occupation = theirs.occupation.clone();
            }
            if take("region") {
                merged.region = theirs.region.clone();
            }
            if take("service_categories") {
                merged.service_categories = theirs.service_categories.clone();
            }
            if take("service_fields") {
                merged.service_fields = theirs.service_fields.clone();
            }
            if take("sanzhang") {
                merged.sanzhang = theirs.sanzhang.clone();
            }
            merged.updated_at = now;
            put_volunteer_tx(tx, &merged, Some(&local))?;
            for mut m in conflict.memberships.drain(..) {
                m.volunteer = local.id;
                m.team = alias_tx(tx, m.team)?;
                if team_tx(tx, m.team)?.is_some() && membership_tx(tx, m.team, local.id)?.is_none()
                {
                    put_membership_tx(tx, &m)?;
                }
            }
            for mut s in conflict.signups.drain(..) {
                s.volunteer = local.id;
                if activity_tx(tx, s.activity).is_err() {
                    continue;
                }
                match signup_tx(tx, s.activity, local.id)? {
                    // Keep the signup that carries hours; the other side's would be lost.
                    Some(mine) if mine.half_hours.is_some() || s.half_hours.is_none() => {}
                    _ => put_signup_tx(tx, &s)?,
                }
            }
            tx.open_table(ID_ALIASES)?
                .insert(conflict.incoming.id.0, local.id.0)?;
            conflict.resolution = Some(match how {
                Resolution::KeepMine => "mine".into(),
                Resolution::KeepTheirs => "theirs".into(),
                Resolution::Combine(_) => "combined".into(),
            });
            put_conflict_tx(tx, &conflict)
        })
    }
}

impl Store {
    /// Every membership row.
    pub fn all_memberships(&self) -> Result<Vec<Membership>, StoreError> {
        self.read(|tx| scan(&tx.open_table(TEAM_MEMBERS)?))
    }

    /// Every signup row.
    pub fn all_signups(&self) -> Result<Vec<Signup>, StoreError> {
        let mut out = Vec::new();
        self.for_each_signup(|s| out.push(s))?;
        Ok(out)
    }

    /// Every signup row, one at a time (see `for_each_volunteer`).
    pub fn for_each_signup(&self, mut f: impl FnMut(Signup)) -> Result<(), StoreError> {
        self.read(|tx| {
            for row in tx.open_table(ACTIVITY_SIGNUPS)?.iter()? {
                f(decode(row?.1.value())?);
            }
            Ok(())
        })
    }

    /// Every report.
    pub fn all_reports(&self) -> Result<Vec<Report>, StoreError> {
        self.read(|tx| scan(&tx.open_table(REPORTS)?))
    }

    /// Every certificate.
    pub fn all_certificates(&self) -> Result<Vec<Certificate>, StoreError> {
        self.read(|tx| scan(&tx.open_table(CERTIFICATES)?))
    }
}

fn scan<K: redb::Key + 'static, T: serde::de::DeserializeOwned>(
    t: &redb::ReadOnlyTable<K, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in t.iter()? {
        out.push(decode(row?.1.value())?);
    }
    Ok(out)
}
