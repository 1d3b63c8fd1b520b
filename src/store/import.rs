//! Committing a checked 附件1 / 附件2 file: all rows in one write transaction, so a crash
//! or a refusal leaves nothing half-imported.

use super::memberships::{add_member_tx, admin_membership_tx, invite_member_tx};
use super::people::{
    NewVolunteers, put_new_volunteers_tx, put_team_tx, put_volunteer_tx, team_tx,
    volunteer_by_phone_tx, volunteer_tx,
};
use super::tables::{IDNUMBER_VOLUNTEER, NAME_TEAM, PHONE_VOLUNTEER};
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use crate::domain::people::{MembershipState, Team, TeamStatus, Volunteer, team_name_key};
use crate::domain::registration::{TeamFields, VolunteerFields};
use crate::exchange::import::Existing;
use chrono::{DateTime, Utc};

/// Rows of an import written together (see `put_new_volunteers_tx`): large enough that
/// each table's keys land close together, small enough that the two batches in flight
/// (one written, the next prepared) are a few megabytes beside the checked file. With
/// 10,000 rows and a batch waiting between the threads the import peaked near 300 MB.
const IMPORT_BATCH: usize = 4_096;

/// One row of an import batch, in file order.
enum Step {
    /// A new record, written with the batch's `added`.
    New(Gid),
    /// A row matching a stored volunteer (boxed: most rows of a large import are new).
    Matching(Gid, Box<VolunteerFields>),
}

/// A batch of rows prepared outside the write transaction.
struct ImportBatch {
    steps: Vec<Step>,
    added: NewVolunteers,
}

/// What a committed import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub skipped: usize,
    /// Volunteers added to the chosen team.
    pub joined_team: usize,
    /// Volunteers not added to the team because they are already in five.
    pub team_full: usize,
    /// Imported teams waiting for their admin to register.
    pub waiting_for_admin: usize,
    /// Existing volunteers invited to the team (a team admin's import).
    pub invited: usize,
    /// Rows for people already in the team (or already invited): nothing changed.
    pub already_members: usize,
}

/// What to do with a row that matches a stored volunteer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingRows {
    /// Overwrite the stored record with the row (platform admins only).
    Update,
    /// Leave the stored record alone.
    Skip,
    /// Leave the record alone and invite the person to the team (a team admin's import):
    /// nobody outside the team is changed or joined without their consent.
    Invite,
}

/// A checked volunteer row to store: new (fresh record) or matching `existing`.
pub struct VolunteerRow {
    pub fields: VolunteerFields,
    pub existing: Option<Gid>,
}

/// A checked team row to store.
pub struct TeamRow {
    pub fields: TeamFields,
    pub existing: Option<Gid>,
}

impl Store {
    /// Store checked volunteers in one transaction. Matching records are updated when
    /// `update_existing`, else skipped. New records wait for the person to confirm them.
    /// With `team`, everyone joins it (within the five-team limit).
    ///
    /// The rows come as an iterator so the caller can make each one as it is stored: a
    /// 100,000-row file then is not held twice (once checked, once to store).
    pub fn import_volunteers(
        &self,
        rows: impl IntoIterator<Item = VolunteerRow, IntoIter: Send>,
        team: Option<Gid>,
        existing: ExistingRows,
        make: impl Fn(VolunteerFields) -> Volunteer + Sync,
        now: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError> {
        // A second thread makes, encodes and sorts each batch of new records (a third of
        // the commit's work) while this one writes the previous batch: redb has one writer.
        let rows = rows.into_iter();
        let make = &make;
        std::thread::scope(|scope| {
            let (send, batches) = std::sync::mpsc::sync_channel::<Option<ImportBatch>>(0);
            scope.spawn(move || {
                let mut rows = rows.peekable();
                while rows.peek().is_some() {
                    let mut steps = Vec::new();
                    let mut added = Vec::new();
                    for row in rows.by_ref().take(IMPORT_BATCH) {
                        match row.existing {
                            Some(id) => steps.push(Step::Matching(id, Box::new(row.fields))),
                            None => {
                                let v = make(row.fields);
                                steps.push(Step::New(v.id));
                                added.push(v);
                            }
                        }
                    }
                    let batch = ImportBatch {
                        steps,
                        added: NewVolunteers::prepare(added),
                    };
                    if send.send(Some(batch)).is_err() {
                        return;
                    }
                }
                // The end, said in so many words: a closed channel without it means this
                // thread failed, and the import must not commit what it got.
                let _ = send.send(None);
            });
            let written = self.write(|tx| {
                if let Some(t) = team {
                    team_tx(tx, t)?.ok_or(StoreError::NotFound)?;
                }
                let mut s = ImportSummary::default();
                loop {
                    let batch = match batches.recv() {
                        Ok(Some(batch)) => batch,
                        Ok(None) => break,
                        Err(_) => {
                            return Err(StoreError::Db("import: preparing the rows failed".into()));
                        }
                    };
                    put_new_volunteers_tx(tx, &batch.added)?;
                    s.added += batch.added.len();
                    for step in batch.steps {
                        let (id, new) = match step {
                            Step::New(id) => (id, true),
                            Step::Matching(id, fields) => {
                                if existing == ExistingRows::Update {
                                    let previous =
                                        volunteer_tx(tx, id)?.ok_or(StoreError::NotFound)?;
                                    let mut v = previous.clone();
                                    v.apply(*fields, now);
                                    put_volunteer_tx(tx, &v, Some(&previous))?;
                                    s.updated += 1;
                                } else {
                                    s.skipped += 1;
                                }
                                (id, false)
                            }
                        };
                        let Some(t) = team else { continue };
                        if existing == ExistingRows::Invite && !new {
                            match invite_member_tx(tx, t, id, now) {
                                Ok(MembershipState::Approved) => s.joined_team += 1,
                                Ok(_) => s.invited += 1,
                                Err(StoreError::Refused(_)) => s.already_members += 1,
                                Err(e) => return Err(e),
                            }
                            continue;
                        }
                        match add_member_tx(tx, t, id, now) {
                            Ok(true) => s.joined_team += 1,
                            Ok(false) => s.already_members += 1,
                            Err(StoreError::Refused(_)) => s.team_full += 1,
                            Err(e) => return Err(e),
                        }
                    }
                }
                Ok(s)
            });
            // A refused write stops the preparing thread at its next batch.
            drop(batches);
            written
        })
    }

    /// Store checked teams in one transaction. A team whose admin phone has no confirmed
    /// volunteer waits for its admin.
    pub fn import_teams(
        &self,
        rows: impl IntoIterator<Item = TeamRow>,
        update_existing: bool,
        make: impl Fn(TeamFields) -> Team,
        now: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError> {
        self.write(|tx| {
            let mut s = ImportSummary::default();
            for row in rows {
                let admin_ready = |phone: &str| -> Result<bool, StoreError> {
                    Ok(volunteer_by_phone_tx(tx, phone)?.is_some_and(|v| v.confirmed))
                };
                match row.existing {
                    Some(id) if update_existing => {
                        let previous = team_tx(tx, id)?.ok_or(StoreError::NotFound)?;
                        let mut o = previous.clone();
                        o.apply(row.fields, now, true);
                        if o.status != TeamStatus::Suspended {
                            o.status = if admin_ready(&o.admin_phone)? {
                                TeamStatus::Active
                            } else {
                                TeamStatus::WaitingForAdmin
                            };
                        }
                        put_team_tx(tx, &o, Some(&previous))?;
                        s.updated += 1;
                    }
                    Some(_) => s.skipped += 1,
                    None => {
                        let mut o = make(row.fields);
                        if !admin_ready(&o.admin_phone)? {
                            o.status = TeamStatus::WaitingForAdmin;
                            s.waiting_for_admin += 1;
                        }
                        put_team_tx(tx, &o, None)?;
                        if o.status == TeamStatus::Active
                            && let Some(admin) = volunteer_by_phone_tx(tx, &o.admin_phone)?
                        {
                            admin_membership_tx(tx, o.id, admin.id, now, false)?;
                        }
                        s.added += 1;
                    }
                }
            }
            Ok(s)
        })
    }
}

impl Store {
    /// The id of the volunteer holding this phone (an index lookup).
    pub fn volunteer_id_by_phone(&self, phone: &str) -> Option<Gid> {
        lookup(self, |tx| {
            Ok(tx
                .open_table(PHONE_VOLUNTEER)?
                .get(phone)?
                .map(|g| Gid(g.value())))
        })
    }

    /// The id of the volunteer holding this ID number.
    pub fn volunteer_id_by_id_number(&self, id_number: &str) -> Option<Gid> {
        lookup(self, |tx| {
            Ok(tx
                .open_table(IDNUMBER_VOLUNTEER)?
                .get(id_number)?
                .map(|g| Gid(g.value())))
        })
    }

    /// The id of the team with this name (ignoring width and spaces).
    pub fn team_id_by_name(&self, name: &str) -> Option<Gid> {
        let key = team_name_key(name);
        lookup(self, |tx| {
            Ok(tx
                .open_table(NAME_TEAM)?
                .get(key.as_str())?
                .map(|g| Gid(g.value())))
        })
    }
}

/// The importer's lookups from one read transaction for the whole file. Opening a read
/// transaction per lookup (two per 附件2 row) took a tenth of a 100,000-row import in the
/// benchmark's profile, mostly file-lock system calls; the snapshot is the file's state
/// when the check began, and the commit checks uniqueness again in its own transaction.
struct Lookups {
    phones: redb::ReadOnlyTable<&'static str, u128>,
    id_numbers: redb::ReadOnlyTable<&'static str, u128>,
    team_names: redb::ReadOnlyTable<&'static str, u128>,
    strict: bool,
}

impl Lookups {
    fn get(table: &redb::ReadOnlyTable<&'static str, u128>, key: &str) -> Option<Gid> {
        match table.get(key) {
            Ok(found) => found.map(|g| Gid(g.value())),
            Err(e) => {
                log::error!("import lookup failed: {e}");
                None
            }
        }
    }
}

impl Existing for Lookups {
    fn volunteer_by_phone(&self, phone: &str) -> Option<Gid> {
        Lookups::get(&self.phones, phone)
    }
    fn volunteer_by_id_number(&self, id_number: &str) -> Option<Gid> {
        Lookups::get(&self.id_numbers, id_number)
    }
    fn team_by_name(&self, name: &str) -> Option<Gid> {
        Lookups::get(&self.team_names, &team_name_key(name))
    }
    fn strict_identity(&self) -> bool {
        self.strict
    }
}

/// The store's own lookups (a read transaction each), if the snapshot cannot be opened.
struct EachAlone<'a> {
    store: &'a Store,
    strict: bool,
}

impl Existing for EachAlone<'_> {
    fn volunteer_by_phone(&self, phone: &str) -> Option<Gid> {
        self.store.volunteer_id_by_phone(phone)
    }
    fn volunteer_by_id_number(&self, id_number: &str) -> Option<Gid> {
        self.store.volunteer_id_by_id_number(id_number)
    }
    fn team_by_name(&self, name: &str) -> Option<Gid> {
        self.store.team_id_by_name(name)
    }
    fn strict_identity(&self) -> bool {
        self.strict
    }
}

impl Store {
    /// Run `f` (an import check) with lookups of the stored records from one snapshot.
    /// `strict`: a row must agree with a stored volunteer on both phone and ID number to
    /// match them (a team admin's import, see [`Existing::strict_identity`]).
    pub fn with_import_lookups<T>(&self, strict: bool, f: impl FnOnce(&dyn Existing) -> T) -> T {
        let opened = self.read(|tx| {
            Ok::<_, StoreError>(Lookups {
                phones: tx.open_table(PHONE_VOLUNTEER)?,
                id_numbers: tx.open_table(IDNUMBER_VOLUNTEER)?,
                team_names: tx.open_table(NAME_TEAM)?,
                strict,
            })
        });
        match opened {
            Ok(lookups) => f(&lookups),
            Err(e) => {
                log::error!("import lookups: one snapshot failed ({e}), looking up one by one");
                f(&EachAlone {
                    store: self,
                    strict,
                })
            }
        }
    }
}

/// A read for the importer's lookups; a read failure is logged and reads as "not found"
/// (the commit transaction checks uniqueness again, so nothing wrong can be stored).
fn lookup(
    store: &Store,
    f: impl FnOnce(&redb::ReadTransaction) -> Result<Option<Gid>, StoreError>,
) -> Option<Gid> {
    let r = store.read(f);
    r.unwrap_or_else(|e: StoreError| {
        log::error!("import lookup failed: {e}");
        None
    })
}

/// Records written at once by [`Store::bulk_load`], each kind in this many per transaction
/// (large enough that commits are rare, small enough to bound the dirty pages held).
const BULK_CHUNK: usize = 25_000;

impl Store {
    /// Write ready-made records (a synthetic county for the benchmark and scale tests, in
    /// creation order) through the same `put_*_tx` upkeep as every other write, in large
    /// transactions. Returns the records written.
    pub fn bulk_load(&self, c: &crate::app::synth::County) -> Result<usize, StoreError> {
        use super::activities::{put_activity_tx, put_signup_tx};
        use super::memberships::put_membership_tx;
        for chunk in c.volunteers.chunks(BULK_CHUNK) {
            let new = NewVolunteers::prepare(chunk.to_vec());
            self.write(|tx| put_new_volunteers_tx(tx, &new))?;
        }
        for chunk in c.teams.chunks(BULK_CHUNK) {
            self.write(|tx| chunk.iter().try_for_each(|o| put_team_tx(tx, o, None)))?;
        }
        for chunk in c.memberships.chunks(BULK_CHUNK) {
            self.write(|tx| chunk.iter().try_for_each(|m| put_membership_tx(tx, m)))?;
        }
        for chunk in c.activities.chunks(BULK_CHUNK) {
            self.write(|tx| chunk.iter().try_for_each(|a| put_activity_tx(tx, a)))?;
        }
        for chunk in c.signups.chunks(BULK_CHUNK) {
            self.write(|tx| chunk.iter().try_for_each(|s| put_signup_tx(tx, s)))?;
        }
        Ok(c.volunteers.len()
            + c.teams.len()
            + c.memberships.len()
            + c.activities.len()
            + c.signups.len())
    }
}
