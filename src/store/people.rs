//! Volunteers and teams, with their unique indexes (phone, ID number, team name) and
//! the admin-phone index that makes a volunteer a team's admin.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use crate::domain::people::{Team, TeamDecision, TeamReview, TeamStatus, Volunteer, team_name_key};
use crate::domain::refusal::Refusal;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

/// A team as listed for its admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSummary {
    pub id: Gid,
    pub name: String,
    pub status: TeamStatus,
}

/// How many people records the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleCounts {
    pub volunteers: u64,
    pub teams: u64,
}

pub(super) fn volunteer_tx(
    tx: &WriteTransaction,
    id: Gid,
) -> Result<Option<Volunteer>, StoreError> {
    let t = tx.open_table(VOLUNTEERS)?;
    let v = t.get(id.0)?;
    Ok(match v {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

pub(super) fn team_tx(tx: &WriteTransaction, id: Gid) -> Result<Option<Team>, StoreError> {
    let t = tx.open_table(TEAMS)?;
    let v = t.get(id.0)?;
    Ok(match v {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

/// Write a volunteer and keep `phone_volunteer` / `idnumber_volunteer` in step with
/// `previous` (the stored version, if any). A phone or ID number held by another record
/// is refused. A confirmed volunteer becomes the admin of teams waiting for that phone.
pub(super) fn put_volunteer_tx(
    tx: &WriteTransaction,
    v: &Volunteer,
    previous: Option<&Volunteer>,
) -> Result<(), StoreError> {
    {
        let mut by_phone = tx.open_table(PHONE_VOLUNTEER)?;
        let holder = by_phone.get(v.phone.as_str())?.map(|g| g.value());
        if holder.is_some_and(|h| h != v.id.0) {
            return Err(StoreError::Taken("手机号"));
        }
        let mut by_id = tx.open_table(IDNUMBER_VOLUNTEER)?;
        let holder = by_id.get(v.id_number.as_str())?.map(|g| g.value());
        if holder.is_some_and(|h| h != v.id.0) {
            return Err(StoreError::Taken("身份证号"));
        }
        if let Some(old) = previous {
            if old.phone != v.phone {
                by_phone.remove(old.phone.as_str())?;
            }
            if old.id_number != v.id_number {
                by_id.remove(old.id_number.as_str())?;
            }
        }
        by_phone.insert(v.phone.as_str(), v.id.0)?;
        by_id.insert(v.id_number.as_str(), v.id.0)?;
        tx.open_table(VOLUNTEERS)?
            .insert(v.id.0, encode(v).as_slice())?;
    }
    super::indexes::put_volunteer_keys_tx(tx, v, previous)?;
    changes::record_tx(tx, ChangeKind::Volunteer, v.id)?;
    if let Some(old) = previous
        && old.phone != v.phone
    {
        move_admin_phone_tx(tx, &old.phone, &v.phone)?;
    }
    if v.confirmed {
        activate_waiting_teams_tx(tx, &v.phone)?;
    }
    Ok(())
}

/// Volunteers new to the store made ready to write outside the write transaction (redb
/// has one writer; an import prepares the next batch while this one is written): in id
/// order, encoded, their unique keys and list-index keys sorted.
pub(super) struct NewVolunteers {
    list: Vec<Volunteer>,
    encoded: Vec<Vec<u8>>,
    /// Positions in `list`, by phone and by ID number.
    by_phone: Vec<u32>,
    by_id_number: Vec<u32>,
    keys: super::indexes::NewVolunteerKeys,
}

impl NewVolunteers {
    pub(super) fn prepare(mut list: Vec<Volunteer>) -> NewVolunteers {
        // Ids are time-ordered, so this is usually the order they came in.
        list.sort_unstable_by_key(|v| v.id.0);
        let positions = || (0..list.len() as u32).collect::<Vec<u32>>();
        let mut by_phone = positions();
        by_phone.sort_unstable_by(|&a, &b| list[a as usize].phone.cmp(&list[b as usize].phone));
        let mut by_id_number = positions();
        by_id_number
            .sort_unstable_by(|&a, &b| list[a as usize].id_number.cmp(&list[b as usize].id_number));
        NewVolunteers {
            encoded: list.iter().map(encode).collect(),
            keys: super::indexes::NewVolunteerKeys::of(&list),
            by_phone,
            by_id_number,
            list,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }
}

/// Write volunteers new to the store (no previous version) with the same upkeep as
/// [`put_volunteer_tx`], a table at a time: each table is opened once for the batch and
/// its keys are inserted in order. A phone or ID number held by another record (stored,
/// or earlier in the batch) is refused with `Taken`, but only after the batch's earlier
/// keys were written: the caller must abort the transaction on an error (an import and a
/// bulk load do), unlike `put_volunteer_tx`, which checks before it writes.
pub(super) fn put_new_volunteers_tx(
    tx: &WriteTransaction,
    new: &NewVolunteers,
) -> Result<(), StoreError> {
    let list = &new.list;
    put_unique_keys_tx(tx, PHONE_VOLUNTEER, "手机号", list, &new.by_phone, |v| {
        &v.phone
    })?;
    put_unique_keys_tx(
        tx,
        IDNUMBER_VOLUNTEER,
        "身份证号",
        list,
        &new.by_id_number,
        |v| &v.id_number,
    )?;
    {
        let mut records = tx.open_table(VOLUNTEERS)?;
        for (v, bytes) in list.iter().zip(&new.encoded) {
            records.insert(v.id.0, bytes.as_slice())?;
        }
    }
    super::indexes::put_new_volunteers_keys_tx(tx, &new.keys)?;
    changes::record_many_tx(tx, ChangeKind::Volunteer, list.iter().map(|v| v.id))?;
    for v in list.iter().filter(|v| v.confirmed) {
        activate_waiting_teams_tx(tx, &v.phone)?;
    }
    Ok(())
}

/// Insert the unique keys of `list` (`key_of`, in `order`) into `def`; a key held by
/// another record is `Taken` (naming `field`).
fn put_unique_keys_tx(
    tx: &WriteTransaction,
    def: redb::TableDefinition<&str, u128>,
    field: &'static str,
    list: &[Volunteer],
    order: &[u32],
    key_of: impl Fn(&Volunteer) -> &str,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(def)?;
    for &i in order {
        let v = &list[i as usize];
        if t.insert(key_of(v), v.id.0)?
            .is_some_and(|holder| holder.value() != v.id.0)
        {
            return Err(StoreError::Taken(field));
        }
    }
    Ok(())
}

fn teams_of_admin_phone_tx(tx: &WriteTransaction, phone: &str) -> Result<Vec<Gid>, StoreError> {
    let t = tx.open_table(ADMINPHONE_TEAMS)?;
    let mut ids = Vec::new();
    for row in t.range((phone, 0u128)..=(phone, u128::MAX))? {
        ids.push(Gid(row?.0.value().1));
    }
    Ok(ids)
}

/// The volunteer who administers teams changed phone: the teams follow.
fn move_admin_phone_tx(tx: &WriteTransaction, old: &str, new: &str) -> Result<(), StoreError> {
    for id in teams_of_admin_phone_tx(tx, old)? {
        if let Some(mut o) = team_tx(tx, id)? {
            let previous = o.clone();
            o.admin_phone = new.to_string();
            o.updated_at = chrono::Utc::now();
            put_team_tx(tx, &o, Some(&previous))?;
        }
    }
    Ok(())
}

/// Teams imported with this admin phone start acting once the phone's volunteer exists.
fn activate_waiting_teams_tx(tx: &WriteTransaction, phone: &str) -> Result<(), StoreError> {
    for id in teams_of_admin_phone_tx(tx, phone)? {
        if let Some(mut o) = team_tx(tx, id)?
            && o.status == TeamStatus::WaitingForAdmin
        {
            let previous = o.clone();
            o.status = TeamStatus::Active;
            o.updated_at = chrono::Utc::now();
            put_team_tx(tx, &o, Some(&previous))?;
            if let Some(admin) = volunteer_by_phone_tx(tx, phone)? {
                super::memberships::admin_membership_tx(tx, o.id, admin.id, o.updated_at, false)?;
            }
            log::info!("team {} now has its admin", o.id);
        }
    }
    Ok(())
}

/// Write a team and keep `NAME_TEAM` / `ADMINPHONE_TEAMS` in step with `previous`.
pub(super) fn put_team_tx(
    tx: &WriteTransaction,
    o: &Team,
    previous: Option<&Team>,
) -> Result<(), StoreError> {
    let key = team_name_key(&o.name);
    let stored_before: Option<Team>;
    {
        let mut by_name = tx.open_table(NAME_TEAM)?;
        let holder = by_name.get(key.as_str())?.map(|g| g.value());
        if holder.is_some_and(|h| h != o.id.0) {
            return Err(StoreError::Taken("组织名称"));
        }
        let mut by_phone = tx.open_table(ADMINPHONE_TEAMS)?;
        if let Some(old) = previous {
            let old_key = team_name_key(&old.name);
            if old_key != key {
                by_name.remove(old_key.as_str())?;
            }
            if old.admin_phone != o.admin_phone {
                by_phone.remove((old.admin_phone.as_str(), o.id.0))?;
            }
        }
        by_name.insert(key.as_str(), o.id.0)?;
        by_phone.insert((o.admin_phone.as_str(), o.id.0), ())?;
        let mut teams = tx.open_table(TEAMS)?;
        let old = teams.insert(o.id.0, encode(o).as_slice())?;
        // The version stored before is what the list indexes hold, whatever the caller
        // passed as `previous` (an unreadable one is left to `kezhi check --repair`).
        stored_before = old.and_then(|g| decode(g.value()).ok());
    }
    super::indexes::put_team_keys_tx(tx, o, stored_before.as_ref())?;
    changes::record_tx(tx, ChangeKind::Team, o.id)?;
    Ok(())
}

pub(super) fn volunteer_by_phone_tx(
    tx: &WriteTransaction,
    phone: &str,
) -> Result<Option<Volunteer>, StoreError> {
    let id = tx
        .open_table(PHONE_VOLUNTEER)?
        .get(phone)?
        .map(|g| Gid(g.value()));
    match id {
        Some(id) => volunteer_tx(tx, id),
        None => Ok(None),
    }
}

impl Store {
    /// Add a volunteer; `Taken` names the field if the phone or ID number is registered.
    pub fn insert_volunteer(&self, v: &Volunteer) -> Result<(), StoreError> {
        self.write(|tx| put_volunteer_tx(tx, v, None))
    }

    /// Replace a stored volunteer (edits, confirmation, phone or ID number changes),
    /// keeping every index in step in one transaction.
    pub fn update_volunteer(&self, v: &Volunteer) -> Result<(), StoreError> {
        self.write(|tx| {
            let previous = volunteer_tx(tx, v.id)?.ok_or(StoreError::NotFound)?;
            put_volunteer_tx(tx, v, Some(&previous))
        })
    }

    /// A volunteer by id.
    pub fn volunteer(&self, id: Gid) -> Result<Option<Volunteer>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(VOLUNTEERS)?;
            Ok(match t.get(id.0)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            })
        })
    }

    /// The volunteer registered with a phone.
    pub fn volunteer_by_phone(&self, phone: &str) -> Result<Option<Volunteer>, StoreError> {
        let id = self.read(|tx| {
            let t = tx.open_table(PHONE_VOLUNTEER)?;
            Ok::<_, StoreError>(t.get(phone)?.map(|g| Gid(g.value())))
        })?;
        match id {
            Some(id) => self.volunteer(id),
            None => Ok(None),
        }
    }

    /// Every volunteer, oldest first.
    pub fn volunteers(&self) -> Result<Vec<Volunteer>, StoreError> {
        let mut out = Vec::new();
        self.for_each_volunteer(|v| out.push(v))?;
        Ok(out)
    }

    /// Every volunteer, oldest first, one at a time: a figure over the whole county need
    /// not hold 100,000 records in memory at once.
    pub fn for_each_volunteer(&self, f: impl FnMut(Volunteer)) -> Result<(), StoreError> {
        self.for_each_volunteer_counted(|_| {}, f)
    }

    /// [`Store::for_each_volunteer`], after telling `count` how many follow: both from one
    /// snapshot, so the count is exactly the number of calls to `f`.
    pub fn for_each_volunteer_counted(
        &self,
        count: impl FnOnce(usize),
        mut f: impl FnMut(Volunteer),
    ) -> Result<(), StoreError> {
        self.read(|tx| {
            let t = tx.open_table(VOLUNTEERS)?;
            count(t.len()? as usize);
            for row in t.range::<u128>(..)? {
                f(decode(row?.1.value())?);
            }
            Ok(())
        })
    }

    /// Set or clear a volunteer's password hash.
    pub fn set_volunteer_password(&self, id: Gid, hash: Option<String>) -> Result<(), StoreError> {
        self.write(|tx| {
            let previous = volunteer_tx(tx, id)?.ok_or(StoreError::NotFound)?;
            let mut v = previous.clone();
            v.password_hash = hash;
            v.updated_at = chrono::Utc::now();
            put_volunteer_tx(tx, &v, Some(&previous))
        })
    }

    /// Add a team; `Taken` if its name (ignoring width and spaces) is in use.
    pub fn insert_team(&self, o: &Team) -> Result<(), StoreError> {
        self.write(|tx| put_team_tx(tx, o, None))
    }

    /// Register a team and, when its admin phone is not yet a volunteer, that admin's
    /// volunteer record — both or neither. The team is active when its admin exists.
    pub fn register_team(&self, o: &Team, new_admin: Option<&Volunteer>) -> Result<(), StoreError> {
        self.write(|tx| {
            if let Some(v) = new_admin {
                put_volunteer_tx(tx, v, None)?;
            }
            let mut o = o.clone();
            let admin = volunteer_by_phone_tx(tx, &o.admin_phone)?.filter(|v| v.confirmed);
            if o.status == TeamStatus::Active && admin.is_none() {
                o.status = TeamStatus::WaitingForAdmin;
            }
            put_team_tx(tx, &o, None)?;
            if let Some(admin) = admin {
                super::memberships::admin_membership_tx(tx, o.id, admin.id, o.created_at, true)?;
            }
            Ok(())
        })
    }

    /// Replace a stored team, keeping the name and admin-phone indexes in step.
    pub fn update_team(&self, o: &Team) -> Result<(), StoreError> {
        self.write(|tx| {
            let previous = team_tx(tx, o.id)?.ok_or(StoreError::NotFound)?;
            put_team_tx(tx, o, Some(&previous))
        })
    }

    /// A platform admin's decision on a team: the new status and the review (with its
    /// reason) in one transaction. `Refused` when the decision does not apply to the
    /// team's current status.
    pub fn decide_team(
        &self,
        id: Gid,
        decision: TeamDecision,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Team, StoreError> {
        self.write(|tx| {
            let previous = team_tx(tx, id)?.ok_or(StoreError::NotFound)?;
            let admin_ready =
                volunteer_by_phone_tx(tx, &previous.admin_phone)?.is_some_and(|v| v.confirmed);
            let status = previous
                .status
                .after(decision, admin_ready)
                .map_err(|why| StoreError::Refused(Refusal::ReviewNotApplicable(why)))?;
            let mut o = previous.clone();
            o.status = status;
            o.updated_at = now;
            put_team_tx(tx, &o, Some(&previous))?;
            let review = TeamReview {
                status,
                reason: reason.to_string(),
                by: by.to_string(),
                at: now,
            };
            tx.open_table(TEAM_REVIEWS)?
                .insert(id.0, encode(&review).as_slice())?;
            Ok(o)
        })
    }

    /// The platform admin's latest decision on a team, if any.
    pub fn team_review(&self, id: Gid) -> Result<Option<TeamReview>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_REVIEWS)?;
            Ok(match t.get(id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// A refused team whose admin corrected its data goes back to review, in the same
    /// transaction as the edit.
    pub fn resubmit_team(&self, o: &Team) -> Result<(), StoreError> {
        self.write(|tx| {
            let previous = team_tx(tx, o.id)?.ok_or(StoreError::NotFound)?;
            let mut o = o.clone();
            if previous.status == TeamStatus::Refused {
                o.status = TeamStatus::PendingReview;
            }
            put_team_tx(tx, &o, Some(&previous))
        })
    }

    /// A team by id.
    pub fn team(&self, id: Gid) -> Result<Option<Team>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAMS)?;
            Ok(match t.get(id.0)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            })
        })
    }

    /// Every team, oldest first.
    pub fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAMS)?;
            let mut out = Vec::with_capacity(t.len()? as usize);
            for row in t.range::<u128>(..)? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// Whether a team name (ignoring width and spaces) is used by a team other than `except`.
    pub fn team_name_taken(&self, name: &str, except: Option<Gid>) -> Result<bool, StoreError> {
        let key = team_name_key(name);
        self.read(|tx| {
            let holder = tx
                .open_table(NAME_TEAM)?
                .get(key.as_str())?
                .map(|g| g.value());
            Ok(holder.is_some_and(|h| Some(Gid(h)) != except))
        })
    }

    /// The teams whose admin phone is `phone`.
    pub fn teams_administered_by(&self, phone: &str) -> Result<Vec<TeamSummary>, StoreError> {
        let ids = self.read(|tx| {
            let t = tx.open_table(ADMINPHONE_TEAMS)?;
            let mut ids = Vec::new();
            for row in t.range((phone, 0u128)..=(phone, u128::MAX))? {
                ids.push(Gid(row?.0.value().1));
            }
            Ok::<_, StoreError>(ids)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(o) = self.team(id)? {
                out.push(TeamSummary {
                    id: o.id,
                    name: o.name,
                    status: o.status,
                });
            }
        }
        Ok(out)
    }

    /// Counts for the dashboard and the front page.
    pub fn people_counts(&self) -> Result<PeopleCounts, StoreError> {
        self.read(|tx| {
            Ok(PeopleCounts {
                volunteers: tx.open_table(VOLUNTEERS)?.len()?,
                teams: tx.open_table(TEAMS)?.len()?,
            })
        })
    }
}
