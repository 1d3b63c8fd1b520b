//! `kezhi check`: read every record back and check that indexes and records agree, and
//! `kezhi check --repair`: rebuild the derived (index) tables from the primary tables.
//!
//! Each index table has one rebuild function in [`REBUILDS`], so a new index adds one
//! function and one line there (and its both-ways check in `check_links`).

use super::changes::{Change, ChangeKind};
use super::codec::decode;
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::account::Admin;
use crate::domain::activity::{Activity, Signup, SignupState};
use crate::domain::demand::Demand;
use crate::domain::people::{
    MAX_TEAMS_PER_VOLUNTEER, Membership, MembershipState, Team, Volunteer, team_name_key,
};
use crate::domain::record::{Certificate, Report};
use chrono::{DateTime, Utc};
use redb::{
    ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub schema_version: u32,
    pub admins: u64,
    pub volunteers: u64,
    pub teams: u64,
    pub changes: u64,
    pub audit: u64,
    /// Problems, each a Chinese sentence.
    pub problems: Vec<String>,
}

impl Store {
    /// Decode every record and cross-check the unique indexes.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        self.read(check_tx)
    }
}

/// `kezhi check` on a data file opened read-only: works on a read-only folder or medium,
/// and beside a running server (which opens the file in single-writer mode). Nothing is
/// written, so a file of an older schema is checked as it is.
pub fn check_file(path: &std::path::Path) -> Result<CheckReport, StoreError> {
    let db = redb::Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::SingleWriter)
        .open_read_only(path)?;
    let tx = db.begin_read()?;
    let found = super::migrate::stored_version_read(&tx)?;
    let supported = super::migrate::SCHEMA_VERSION;
    if let Some(found) = found.filter(|v| *v > supported) {
        return Err(StoreError::NewerSchema { found, supported });
    }
    let mut report = check_tx(&tx)?;
    if let Some(found) = found {
        report.schema_version = found;
    }
    Ok(report)
}

fn check_tx(tx: &redb::ReadTransaction) -> Result<CheckReport, StoreError> {
    {
        {
            let mut r = CheckReport {
                schema_version: super::migrate::SCHEMA_VERSION,
                ..Default::default()
            };
            let admins = tx.open_table(ADMINS)?;
            let by_username = tx.open_table(USERNAME_ADMIN)?;
            for row in admins.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Admin>(v.value()) {
                    Ok(a) => {
                        let indexed = by_username.get(a.username.as_str())?.map(|g| g.value());
                        if indexed != Some(k.value()) {
                            r.problems
                                .push(format!("管理员 {} 的用户名索引不一致", a.username));
                        }
                    }
                    Err(e) => r.problems.push(format!("管理员记录无法读取：{e}")),
                }
                r.admins += 1;
            }
            let vols = tx.open_table(VOLUNTEERS)?;
            let by_phone = tx.open_table(PHONE_VOLUNTEER)?;
            let by_idn = tx.open_table(IDNUMBER_VOLUNTEER)?;
            for row in vols.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Volunteer>(v.value()) {
                    Ok(vol) => {
                        if by_phone.get(vol.phone.as_str())?.map(|g| g.value()) != Some(k.value()) {
                            r.problems
                                .push(format!("志愿者 {} 的手机号索引不一致", vol.id));
                        }
                        if by_idn.get(vol.id_number.as_str())?.map(|g| g.value()) != Some(k.value())
                        {
                            r.problems
                                .push(format!("志愿者 {} 的身份证号索引不一致", vol.id));
                        }
                    }
                    Err(e) => r.problems.push(format!("志愿者记录无法读取：{e}")),
                }
                r.volunteers += 1;
            }
            if by_phone.len()? != r.volunteers {
                r.problems.push("手机号索引的条数与志愿者数不一致".into());
            }
            let orgs = tx.open_table(TEAMS)?;
            let by_name = tx.open_table(NAME_TEAM)?;
            for row in orgs.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Team>(v.value()) {
                    Ok(o) => {
                        let key = team_name_key(&o.name);
                        if by_name.get(key.as_str())?.map(|g| g.value()) != Some(k.value()) {
                            r.problems.push(format!("组织 {} 的名称索引不一致", o.id));
                        }
                    }
                    Err(e) => r.problems.push(format!("组织记录无法读取：{e}")),
                }
                r.teams += 1;
            }
            super::indexes::check_tx(tx, &mut r.problems)?;
            r.changes = tx.open_table(CHANGES)?.len()?;
            r.audit = tx.open_table(AUDIT)?.len()?;
            check_links(tx, &mut r)?;
            Ok(r)
        }
    }
}

/// The keys of a `(u128, u128) → _` table, as pairs.
fn pairs<V: redb::Value + 'static>(
    tx: &ReadTransaction,
    def: TableDefinition<(u128, u128), V>,
) -> Result<BTreeSet<(u128, u128)>, StoreError> {
    let mut out = BTreeSet::new();
    for row in tx.open_table(def)?.range::<(u128, u128)>(..)? {
        out.insert(row?.0.value());
    }
    Ok(out)
}

/// Decode every record of a primary table; an undecodable one is reported, not returned.
fn records<T: serde::de::DeserializeOwned>(
    tx: &ReadTransaction,
    def: TableDefinition<u128, &[u8]>,
    what: &str,
    r: &mut CheckReport,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in tx.open_table(def)?.range::<u128>(..)? {
        let (_, v) = row?;
        match decode::<T>(v.value()) {
            Ok(x) => out.push(x),
            Err(e) => r.problems.push(format!("{what}记录无法读取：{e}")),
        }
    }
    Ok(out)
}

/// Compare an index with what the primary table says it should hold, both ways.
fn both_ways(
    r: &mut CheckReport,
    index: &str,
    stored: &BTreeSet<(u128, u128)>,
    derived: &BTreeSet<(u128, u128)>,
) {
    let missing = derived.difference(stored).count();
    let stray = stored.difference(derived).count();
    if missing > 0 {
        r.problems.push(format!(
            "索引 {index} 缺少 {missing} 条（可用 --repair 重建）"
        ));
    }
    if stray > 0 {
        r.problems.push(format!(
            "索引 {index} 有 {stray} 条多余的记录（可用 --repair 重建）"
        ));
    }
}

/// Memberships, activities, signups, capacity, the five-team limit, the changes log and
/// photos: everything beyond the unique indexes.
fn check_links(tx: &ReadTransaction, r: &mut CheckReport) -> Result<(), StoreError> {
    // Memberships: TEAM_MEMBERS is primary, VOLUNTEER_TEAMS its mirror.
    let members = pairs(tx, TEAM_MEMBERS)?;
    let mirrored: BTreeSet<(u128, u128)> = members.iter().map(|(o, v)| (*v, *o)).collect();
    both_ways(r, "volunteer_orgs", &pairs(tx, VOLUNTEER_TEAMS)?, &mirrored);
    let mut approved: HashMap<u128, usize> = HashMap::new();
    for row in tx.open_table(TEAM_MEMBERS)?.range::<(u128, u128)>(..)? {
        let (k, v) = row?;
        match decode::<Membership>(v.value()) {
            Ok(m) if m.state == MembershipState::Approved => {
                *approved.entry(k.value().1).or_default() += 1
            }
            Ok(_) => {}
            Err(e) => r.problems.push(format!("成员记录无法读取：{e}")),
        }
    }
    let over = approved
        .values()
        .filter(|n| **n > MAX_TEAMS_PER_VOLUNTEER)
        .count();
    if over > 0 {
        r.problems.push(format!(
            "{over} 位志愿者加入的组织超过 {MAX_TEAMS_PER_VOLUNTEER} 个"
        ));
    }

    // Activities and their teams.
    let activities: Vec<Activity> = records(tx, ACTIVITIES, "活动", r)?;
    let by_team: BTreeSet<(u128, u128)> = activities.iter().map(|a| (a.team.0, a.id.0)).collect();
    both_ways(r, "org_activities", &pairs(tx, TEAM_ACTIVITIES)?, &by_team);

    // Signups: activity_signups is primary, volunteer_signups its mirror.
    let signups = pairs(tx, ACTIVITY_SIGNUPS)?;
    let mirrored: BTreeSet<(u128, u128)> = signups.iter().map(|(a, v)| (*v, *a)).collect();
    both_ways(
        r,
        "volunteer_signups",
        &pairs(tx, VOLUNTEER_SIGNUPS)?,
        &mirrored,
    );
    // Seats held, and the latest moment a seat was given (signed up or promoted).
    let mut seated: HashMap<u128, (u32, Option<DateTime<Utc>>)> = HashMap::new();
    for row in tx.open_table(ACTIVITY_SIGNUPS)?.range::<(u128, u128)>(..)? {
        let (k, v) = row?;
        match decode::<Signup>(v.value()) {
            Ok(s) if matches!(s.state, SignupState::SignedUp) => {
                let e = seated.entry(k.value().0).or_default();
                e.0 += 1;
                let given = s.promoted_at.unwrap_or(s.signed_up_at);
                e.1 = e.1.max(Some(given));
            }
            Ok(_) => {}
            Err(e) => r.problems.push(format!("报名记录无法读取：{e}")),
        }
    }
    for a in &activities {
        let (n, last_given) = seated.get(&a.id.0).copied().unwrap_or((0, None));
        // A team may lower the capacity below the people already signed up (they are
        // kept); what must never happen is a seat given while the activity was full,
        // i.e. after the edit that set the capacity it now has.
        if a.capacity > 0 && n > a.capacity && last_given.is_some_and(|t| t > a.updated_at) {
            r.problems.push(format!(
                "活动 {} 已报名 {n} 人，超过名额 {}",
                a.id, a.capacity
            ));
        }
    }

    // The changes log names every volunteer, team, activity and demand.
    let mut logged: HashSet<(u8, u128)> = HashSet::new();
    for row in tx.open_table(CHANGES)?.range::<u64>(..)? {
        let (_, v) = row?;
        if let Ok(c) = decode::<Change>(v.value()) {
            logged.insert((c.kind as u8, c.id.0));
        }
    }
    let mut unlogged = 0usize;
    for (kind, def) in [
        (ChangeKind::Volunteer, VOLUNTEERS),
        (ChangeKind::Team, TEAMS),
        (ChangeKind::Activity, ACTIVITIES),
        (ChangeKind::Demand, DEMANDS),
    ] {
        for row in tx.open_table(def)?.range::<u128>(..)? {
            if !logged.contains(&(kind as u8, row?.0.value())) {
                unlogged += 1;
            }
        }
    }
    if unlogged > 0 {
        r.problems.push(format!(
            "变更记录缺少 {unlogged} 条记录（增量导出会漏掉它们）"
        ));
    }

    // Photos named by reports and covers exist.
    let photos = tx.open_table(PHOTOS)?;
    let mut missing = 0usize;
    for a in &activities {
        if let Some(p) = a.cover_photo
            && photos.get(p.0)?.is_none()
        {
            missing += 1;
        }
    }
    let reports: Vec<Report> = records(tx, REPORTS, "活动报告", r)?;
    for rep in &reports {
        for p in &rep.photos {
            if photos.get(p.0)?.is_none() {
                missing += 1;
            }
        }
    }
    if missing > 0 {
        r.problems.push(format!("缺少 {missing} 张被引用的照片"));
    }
    let _: Vec<Demand> = records(tx, DEMANDS, "需求", r)?;
    Ok(())
}

/// What `repair` rebuilt: each index table with its number of entries.
#[derive(Debug, Default)]
pub struct RepairReport {
    pub rebuilt: Vec<(&'static str, u64)>,
}

/// One index rebuild: empty the table and fill it from its primary table.
type Rebuild = fn(&WriteTransaction) -> Result<u64, StoreError>;

/// Every derived table and how to rebuild it, in one list so another index is one line.
pub const REBUILDS: &[(&str, Rebuild)] = &[
    ("username_admin", rebuild_username_admin),
    ("phone_volunteer", rebuild_phone_volunteer),
    ("idnumber_volunteer", rebuild_idnumber_volunteer),
    ("name_org", rebuild_name_team),
    ("adminphone_orgs", rebuild_adminphone_teams),
    ("volunteer_orgs", rebuild_volunteer_teams),
    ("org_activities", rebuild_team_activities),
    ("volunteer_signups", rebuild_volunteer_signups),
    ("volunteer_certificates", rebuild_volunteer_certificates),
    ("number_demand", rebuild_number_demand),
    (
        "list indexes (schema v6, and the team and activity terms of v7)",
        rebuild_list_indexes,
    ),
    ("term_demands", rebuild_term_demands),
    ("action_audit", rebuild_action_audit),
];

impl Store {
    /// Rebuild every table in [`REBUILDS`] from the primary tables, in one write
    /// transaction: all of them or none. The caller keeps a copy of the file first.
    pub fn repair(&self) -> Result<RepairReport, StoreError> {
        let report = self.write(|tx| {
            let mut report = RepairReport::default();
            for (name, rebuild) in REBUILDS {
                let n = rebuild(tx)?;
                log::info!("repair: rebuilt {name} with {n} entries");
                report.rebuilt.push((name, n));
            }
            Ok::<_, StoreError>(report)
        })?;
        // Rebuilt indexes append nothing to the changes log, so kept lists cannot tell.
        self.matches.clear();
        Ok(report)
    }
}

/// The list indexes of schema v6 (names, phone tails, regions, 三长, categories, team
/// members, team status and names, activity state, seat counters), emptied and built again
/// the way migration v6 builds them.
fn rebuild_list_indexes(tx: &WriteTransaction) -> Result<u64, StoreError> {
    for def in [
        NAMESUFFIX_VOLUNTEERS,
        PHONETAIL_VOLUNTEERS,
        REGION_VOLUNTEERS,
        SANZHANG_VOLUNTEERS,
        CATEGORY_VOLUNTEERS,
    ] {
        emptied(tx, def)?;
    }
    emptied(tx, TEAM_VOLUNTEERS)?;
    emptied(tx, STATUS_TEAMS)?;
    emptied(tx, TEAM_NAMES)?;
    emptied(tx, STATE_ACTIVITIES)?;
    emptied(tx, ACTIVITY_SEATS)?;
    // The team and activity upkeep that `rebuild_tx` runs writes their term indexes too.
    emptied(tx, TERM_ACTIVITIES)?;
    emptied(tx, TERM_TEAMS)?;
    super::indexes::rebuild_tx(tx)?;
    let mut n = 0;
    for def in [
        NAMESUFFIX_VOLUNTEERS,
        PHONETAIL_VOLUNTEERS,
        REGION_VOLUNTEERS,
        SANZHANG_VOLUNTEERS,
        CATEGORY_VOLUNTEERS,
    ] {
        n += tx.open_table(def)?.len()?;
    }
    n += tx.open_table(TEAM_VOLUNTEERS)?.len()?;
    n += tx.open_table(STATUS_TEAMS)?.len()?;
    n += tx.open_table(TEAM_NAMES)?.len()?;
    n += tx.open_table(STATE_ACTIVITIES)?.len()?;
    n += tx.open_table(ACTIVITY_SEATS)?.len()?;
    n += tx.open_table(TERM_ACTIVITIES)?.len()?;
    n += tx.open_table(TERM_TEAMS)?.len()?;
    Ok(n)
}

fn rebuild_term_demands(tx: &WriteTransaction) -> Result<u64, StoreError> {
    emptied(tx, TERM_DEMANDS)?;
    super::demands::rebuild_demand_terms_tx(tx)?;
    Ok(tx.open_table(TERM_DEMANDS)?.len()?)
}

fn rebuild_action_audit(tx: &WriteTransaction) -> Result<u64, StoreError> {
    emptied(tx, ACTION_AUDIT)?;
    super::audit::rebuild_action_audit_tx(tx)?;
    Ok(tx.open_table(ACTION_AUDIT)?.len()?)
}

/// Empty a table by deleting and re-creating it.
fn emptied<'tx, K: redb::Key + 'static, V: redb::Value + 'static>(
    tx: &'tx WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<redb::Table<'tx, K, V>, StoreError> {
    tx.delete_table(def)?;
    Ok(tx.open_table(def)?)
}

/// Decode every record of a primary table inside a write transaction.
fn all<T: serde::de::DeserializeOwned>(
    tx: &WriteTransaction,
    def: TableDefinition<u128, &[u8]>,
) -> Result<Vec<T>, StoreError> {
    let t = tx.open_table(def)?;
    let mut out = Vec::new();
    for row in t.range::<u128>(..)? {
        if let Ok(x) = decode::<T>(row?.1.value()) {
            out.push(x);
        }
    }
    Ok(out)
}

fn rebuild_username_admin(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let admins: Vec<Admin> = all(tx, ADMINS)?;
    let mut t = emptied(tx, USERNAME_ADMIN)?;
    for a in &admins {
        t.insert(a.username.as_str(), a.id.0)?;
    }
    Ok(t.len()?)
}

fn rebuild_phone_volunteer(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let vols: Vec<Volunteer> = all(tx, VOLUNTEERS)?;
    let mut t = emptied(tx, PHONE_VOLUNTEER)?;
    for v in &vols {
        t.insert(v.phone.as_str(), v.id.0)?;
    }
    Ok(t.len()?)
}

fn rebuild_idnumber_volunteer(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let vols: Vec<Volunteer> = all(tx, VOLUNTEERS)?;
    let mut t = emptied(tx, IDNUMBER_VOLUNTEER)?;
    for v in &vols {
        t.insert(v.id_number.as_str(), v.id.0)?;
    }
    Ok(t.len()?)
}

fn rebuild_name_team(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let orgs: Vec<Team> = all(tx, TEAMS)?;
    let mut t = emptied(tx, NAME_TEAM)?;
    for o in &orgs {
        t.insert(team_name_key(&o.name).as_str(), o.id.0)?;
    }
    Ok(t.len()?)
}

fn rebuild_adminphone_teams(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let orgs: Vec<Team> = all(tx, TEAMS)?;
    let mut t = emptied(tx, ADMINPHONE_TEAMS)?;
    for o in &orgs {
        t.insert((o.admin_phone.as_str(), o.id.0), ())?;
    }
    Ok(t.len()?)
}

fn rebuild_volunteer_teams(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let mut keys = Vec::new();
    for row in tx.open_table(TEAM_MEMBERS)?.range::<(u128, u128)>(..)? {
        keys.push(row?.0.value());
    }
    let mut t = emptied(tx, VOLUNTEER_TEAMS)?;
    for (org, vol) in keys {
        t.insert((vol, org), ())?;
    }
    Ok(t.len()?)
}

fn rebuild_team_activities(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let acts: Vec<Activity> = all(tx, ACTIVITIES)?;
    let mut t = emptied(tx, TEAM_ACTIVITIES)?;
    for a in &acts {
        t.insert((a.team.0, a.id.0), ())?;
    }
    Ok(t.len()?)
}

fn rebuild_volunteer_signups(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let mut keys = Vec::new();
    for row in tx.open_table(ACTIVITY_SIGNUPS)?.range::<(u128, u128)>(..)? {
        keys.push(row?.0.value());
    }
    let mut t = emptied(tx, VOLUNTEER_SIGNUPS)?;
    for (act, vol) in keys {
        t.insert((vol, act), ())?;
    }
    Ok(t.len()?)
}

fn rebuild_volunteer_certificates(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let mut certs = Vec::new();
    for row in tx.open_table(CERTIFICATES)?.range::<&str>(..)? {
        if let Ok(c) = decode::<Certificate>(row?.1.value()) {
            certs.push(c);
        }
    }
    let mut t = emptied(tx, VOLUNTEER_CERTIFICATES)?;
    for c in &certs {
        t.insert((c.volunteer.0, c.number.as_str()), ())?;
    }
    Ok(t.len()?)
}

fn rebuild_number_demand(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let demands: Vec<Demand> = all(tx, DEMANDS)?;
    let mut t = emptied(tx, NUMBER_DEMAND)?;
    for d in &demands {
        t.insert(d.number.as_str(), d.id.0)?;
    }
    Ok(t.len()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_rebuilds_a_damaged_index_and_check_then_passes() {
        let store = Store::in_memory().unwrap();
        let org = crate::domain::ids::Gid::new();
        let vol = crate::domain::ids::Gid::new();
        // Damage: a membership mirror row without its primary row, and a stray index.
        store
            .write(|tx| {
                tx.open_table(VOLUNTEER_TEAMS)?.insert((vol.0, org.0), ())?;
                tx.open_table(PHONE_VOLUNTEER)?
                    .insert("13800000000", vol.0)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let before = store.check().unwrap();
        assert!(
            before.problems.iter().any(|p| p.contains("volunteer_orgs")),
            "{:?}",
            before.problems
        );
        store.repair().unwrap();
        let after = store.check().unwrap();
        assert!(after.problems.is_empty(), "{:?}", after.problems);
    }

    #[test]
    fn a_seat_given_while_full_is_flagged_but_a_lowered_capacity_is_not() {
        use crate::domain::activity::{Activity, Signup, SignupState};
        use crate::domain::testing::{activity, signup, utc};
        let store = Store::in_memory().unwrap();
        let a = Activity {
            capacity: 1,
            updated_at: utc("2026-11-01 00:00"),
            ..activity()
        };
        store.save_activity(&a, a.updated_at).unwrap();
        let seat = |volunteer: u128, at: &str| Signup {
            id: crate::domain::ids::Gid::new(),
            volunteer: crate::domain::ids::Gid(volunteer),
            state: SignupState::SignedUp,
            signed_up_at: utc(at),
            ..signup()
        };
        store
            .write(|tx| {
                super::super::activities::put_signup_tx(tx, &seat(21, "2026-11-21 00:00"))?;
                super::super::activities::put_signup_tx(tx, &seat(22, "2026-11-22 00:00"))
            })
            .unwrap();
        let over = store.check().unwrap();
        assert!(
            over.problems.iter().any(|p| p.contains("超过名额 1")),
            "{:?}",
            over.problems
        );
        // The team lowered the capacity after both had signed up: both are kept.
        let lowered = Activity {
            updated_at: utc("2026-11-23 00:00"),
            ..a
        };
        store.save_activity(&lowered, lowered.updated_at).unwrap();
        let kept = store.check().unwrap();
        assert!(
            !kept.problems.iter().any(|p| p.contains("超过名额")),
            "{:?}",
            kept.problems
        );
    }
}
