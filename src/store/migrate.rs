//! Schema versions, one way only. Each migration brings the database from the version
//! before it to its own; they run in order at open, inside one write transaction each.
//! A database written by a newer Kezhi is refused rather than guessed at.

use super::StoreError;
use super::tables::*;
use redb::{ReadableTable, WriteTransaction};

/// The schema this build writes. Equals the number of migrations.
pub const SCHEMA_VERSION: u32 = 7;

/// The last schema version that changed what the records themselves hold, and so what
/// bundles and sync answers carry: v6 and v7 only added indexes. Bundles are stamped with
/// it rather than with `SCHEMA_VERSION`, so that a migration adding indexes does not make
/// a laptop one version behind refuse records it reads exactly as before. A migration
/// that changes a record's form must raise it to its own number.
pub const RECORDS_VERSION: u32 = 5;

const _: () = assert!(RECORDS_VERSION <= SCHEMA_VERSION);

type Migration = fn(&WriteTransaction) -> Result<(), StoreError>;

/// `MIGRATIONS[i]` migrates from version `i` to `i + 1`.
const MIGRATIONS: &[Migration] = &[
    migrate_to_v1,
    migrate_to_v2,
    migrate_to_v3,
    migrate_to_v4,
    migrate_to_v5,
    migrate_to_v6,
    migrate_to_v7,
];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// v1: every table of the catalogue exists.
fn migrate_to_v1(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(SETTINGS)?;
    tx.open_table(CHANGES)?;
    tx.open_table(ADMINS)?;
    tx.open_table(USERNAME_ADMIN)?;
    tx.open_table(SESSIONS)?;
    tx.open_table(LOGIN_CODES)?;
    tx.open_table(OUTBOX)?;
    tx.open_table(AUDIT)?;
    tx.open_table(VOLUNTEERS)?;
    tx.open_table(PHONE_VOLUNTEER)?;
    tx.open_table(IDNUMBER_VOLUNTEER)?;
    tx.open_table(TEAMS)?;
    tx.open_table(NAME_TEAM)?;
    tx.open_table(ADMINPHONE_TEAMS)?;
    tx.open_table(TEAM_MEMBERS)?;
    tx.open_table(VOLUNTEER_TEAMS)?;
    Ok(())
}

/// v2: activities, signups, check-in tokens, reports, photos, certificates.
fn migrate_to_v2(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(ACTIVITIES)?;
    tx.open_table(TEAM_ACTIVITIES)?;
    tx.open_table(ACTIVITY_SIGNUPS)?;
    tx.open_table(VOLUNTEER_SIGNUPS)?;
    tx.open_table(CHECKIN_TOKENS)?;
    tx.open_table(REPORTS)?;
    tx.open_table(PHOTOS)?;
    tx.open_table(CERTIFICATES)?;
    tx.open_table(VOLUNTEER_CERTIFICATES)?;
    Ok(())
}

/// v3: merge conflicts and id aliases for bundles from other laptops.
fn migrate_to_v3(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(MERGE_CONFLICTS)?;
    tx.open_table(ID_ALIASES)?;
    Ok(())
}

/// v4: demands, featured cases and people, showcase consent.
fn migrate_to_v4(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(DEMANDS)?;
    tx.open_table(NUMBER_DEMAND)?;
    tx.open_table(FEATURED)?;
    tx.open_table(SHOWCASE_CONSENT)?;
    Ok(())
}

/// v5: platform admins' decisions on teams (注册认证). Teams registered before v5 were
/// trusted as they were: their status stays.
/// Since v5 a team's admin is also a member of it: existing teams get that membership
/// (regardless of the five-team limit, which their admins may already have reached).
fn migrate_to_v5(tx: &WriteTransaction) -> Result<(), StoreError> {
    use crate::domain::people::{Membership, MembershipState, Team, TeamStatus};
    tx.open_table(TEAM_REVIEWS)?;
    let teams: Vec<Team> = {
        let t = tx.open_table(TEAMS)?;
        let mut v = Vec::new();
        for row in t.range::<u128>(..)? {
            v.push(super::codec::decode(row?.1.value())?);
        }
        v
    };
    for o in teams {
        if o.status == TeamStatus::WaitingForAdmin {
            continue;
        }
        let admin = tx
            .open_table(PHONE_VOLUNTEER)?
            .get(o.admin_phone.as_str())?
            .map(|g| g.value());
        let Some(admin) = admin else { continue };
        if tx.open_table(TEAM_MEMBERS)?.get((o.id.0, admin))?.is_some() {
            continue;
        }
        super::memberships::put_membership_tx(
            tx,
            &Membership {
                id: crate::domain::ids::Gid::new(),
                volunteer: crate::domain::ids::Gid(admin),
                team: o.id,
                state: MembershipState::Approved,
                added_by_team: false,
                created_at: o.created_at,
                updated_at: o.created_at,
            },
        )?;
    }
    Ok(())
}

/// v6: list indexes (`store::indexes`), built here for the records already stored, in
/// the one transaction of the migration.
fn migrate_to_v6(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(NAMESUFFIX_VOLUNTEERS)?;
    tx.open_table(PHONETAIL_VOLUNTEERS)?;
    tx.open_table(REGION_VOLUNTEERS)?;
    tx.open_table(SANZHANG_VOLUNTEERS)?;
    tx.open_table(CATEGORY_VOLUNTEERS)?;
    tx.open_table(TEAM_VOLUNTEERS)?;
    tx.open_table(STATUS_TEAMS)?;
    tx.open_table(TEAM_NAMES)?;
    tx.open_table(STATE_ACTIVITIES)?;
    tx.open_table(ACTIVITY_SEATS)?;
    super::indexes::rebuild_tx(tx)
}

/// v7: term indexes for the filters of the activity, team and demand lists
/// (`store::terms`) and the audit log by action, built here for what is already stored.
fn migrate_to_v7(tx: &WriteTransaction) -> Result<(), StoreError> {
    // Created even when empty: the lists open them to read.
    tx.open_table(TERM_ACTIVITIES)?;
    tx.open_table(TERM_TEAMS)?;
    tx.open_table(TERM_DEMANDS)?;
    tx.open_table(ACTION_AUDIT)?;
    super::indexes::rebuild_terms_tx(tx)?;
    super::demands::rebuild_demand_terms_tx(tx)?;
    super::audit::rebuild_action_audit_tx(tx)
}

/// The schema version recorded in a file opened for reading, if any.
pub fn stored_version_read(tx: &redb::ReadTransaction) -> Result<Option<u32>, StoreError> {
    let meta = match tx.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(match meta.get("schema_version")? {
        Some(bytes) => bytes.value().try_into().ok().map(u32::from_le_bytes),
        None => None,
    })
}

/// The schema version recorded in the database; 0 for a fresh file.
pub fn stored_version(tx: &WriteTransaction) -> Result<u32, StoreError> {
    let meta = tx.open_table(META)?;
    let v = meta.get("schema_version")?;
    Ok(match v {
        Some(bytes) => {
            let b = bytes.value();
            let arr: [u8; 4] = b
                .try_into()
                .map_err(|_| StoreError::Corrupt("schema_version is not 4 bytes".into()))?;
            u32::from_le_bytes(arr)
        }
        None => 0,
    })
}

fn set_version(tx: &WriteTransaction, v: u32) -> Result<(), StoreError> {
    let mut meta = tx.open_table(META)?;
    meta.insert("schema_version", v.to_le_bytes().as_slice())?;
    Ok(())
}

/// Bring the database to `SCHEMA_VERSION`. Returns the versions applied.
pub fn run(db: &redb::Database) -> Result<Vec<u32>, StoreError> {
    run_list(db, MIGRATIONS)
}

fn run_list(db: &redb::Database, list: &[Migration]) -> Result<Vec<u32>, StoreError> {
    let target = list.len() as u32;
    let mut applied = Vec::new();
    loop {
        let tx = db.begin_write()?;
        let current = stored_version(&tx)?;
        if current > target {
            return Err(StoreError::NewerSchema {
                found: current,
                supported: target,
            });
        }
        if current == target {
            tx.abort()?;
            return Ok(applied);
        }
        let next = current + 1;
        list[current as usize](&tx)?;
        set_version(&tx, next)?;
        tx.commit()?;
        log::info!("store migrated to schema v{next}");
        applied.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    fn mem_db() -> redb::Database {
        redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .unwrap()
    }

    fn version_of(db: &redb::Database) -> u32 {
        let tx = db.begin_read().unwrap();
        let meta = tx.open_table(META).unwrap();
        let v = meta.get("schema_version").unwrap().unwrap();
        u32::from_le_bytes(v.value().try_into().unwrap())
    }

    #[test]
    fn fresh_database_gets_every_migration() {
        let db = mem_db();
        assert_eq!(run(&db).unwrap(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
        assert_eq!(version_of(&db), SCHEMA_VERSION);
        // Every index a list reads exists, empty, before any record does.
        let tx = db.begin_read().unwrap();
        tx.open_table(TERM_ACTIVITIES).unwrap();
        tx.open_table(TERM_TEAMS).unwrap();
        tx.open_table(TERM_DEMANDS).unwrap();
        tx.open_table(ACTION_AUDIT).unwrap();
        let tx = db.begin_read().unwrap();
        tx.open_table(VOLUNTEERS).expect("v1 tables exist");
    }

    #[test]
    fn current_database_is_left_alone() {
        let db = mem_db();
        run(&db).unwrap();
        assert!(run(&db).unwrap().is_empty());
        assert_eq!(version_of(&db), SCHEMA_VERSION);
    }

    #[test]
    fn later_migrations_apply_in_order() {
        fn add_probe(tx: &WriteTransaction) -> Result<(), StoreError> {
            let mut s = tx.open_table(SETTINGS)?;
            s.insert("probe", "v2")?;
            Ok(())
        }
        let db = mem_db();
        run(&db).unwrap();
        let list: &[Migration] = &[
            migrate_to_v1,
            migrate_to_v2,
            migrate_to_v3,
            migrate_to_v4,
            migrate_to_v5,
            migrate_to_v6,
            migrate_to_v7,
            add_probe,
        ];
        assert_eq!(run_list(&db, list).unwrap(), vec![8]);
        assert_eq!(version_of(&db), 8);
        let tx = db.begin_read().unwrap();
        let s = tx.open_table(SETTINGS).unwrap();
        assert_eq!(s.get("probe").unwrap().unwrap().value(), "v2");
    }

    /// A store written by v5 (records without list indexes) gains them at open.
    #[test]
    fn v6_builds_list_indexes_for_a_v5_store() {
        use crate::store::codec::encode;
        let db = mem_db();
        assert_eq!(
            run_list(&db, &MIGRATIONS[..5]).unwrap(),
            vec![1, 2, 3, 4, 5]
        );
        let county = crate::app::synth::county(
            3,
            crate::app::synth::Sizes {
                volunteers: 120,
                teams: 4,
                activities: 10,
                signups: 60,
            },
            chrono::Utc::now(),
        );
        // Written the way v5 wrote them: records and v5 indexes only.
        let tx = db.begin_write().unwrap();
        {
            let mut vols = tx.open_table(VOLUNTEERS).unwrap();
            let mut phones = tx.open_table(PHONE_VOLUNTEER).unwrap();
            let mut idns = tx.open_table(IDNUMBER_VOLUNTEER).unwrap();
            for v in &county.volunteers {
                vols.insert(v.id.0, encode(v).as_slice()).unwrap();
                phones.insert(v.phone.as_str(), v.id.0).unwrap();
                idns.insert(v.id_number.as_str(), v.id.0).unwrap();
            }
            let mut orgs = tx.open_table(TEAMS).unwrap();
            let mut names = tx.open_table(NAME_TEAM).unwrap();
            for o in &county.teams {
                orgs.insert(o.id.0, encode(o).as_slice()).unwrap();
                let key = crate::domain::people::team_name_key(&o.name);
                names.insert(key.as_str(), o.id.0).unwrap();
            }
            let mut members = tx.open_table(TEAM_MEMBERS).unwrap();
            for m in &county.memberships {
                members
                    .insert((m.team.0, m.volunteer.0), encode(m).as_slice())
                    .unwrap();
            }
            let mut acts = tx.open_table(ACTIVITIES).unwrap();
            for a in &county.activities {
                acts.insert(a.id.0, encode(a).as_slice()).unwrap();
            }
            let mut signups = tx.open_table(ACTIVITY_SIGNUPS).unwrap();
            for s in &county.signups {
                signups
                    .insert((s.activity.0, s.volunteer.0), encode(s).as_slice())
                    .unwrap();
            }
            // The reverse indexes v5 kept too.
            let mut vol_orgs = tx.open_table(VOLUNTEER_TEAMS).unwrap();
            for m in &county.memberships {
                vol_orgs.insert((m.volunteer.0, m.team.0), ()).unwrap();
            }
            let mut org_acts = tx.open_table(TEAM_ACTIVITIES).unwrap();
            for a in &county.activities {
                org_acts.insert((a.team.0, a.id.0), ()).unwrap();
            }
            let mut vol_signups = tx.open_table(VOLUNTEER_SIGNUPS).unwrap();
            for s in &county.signups {
                vol_signups
                    .insert((s.volunteer.0, s.activity.0), ())
                    .unwrap();
            }
        }
        // And the changes log v5 appended with every record.
        use crate::store::ChangeKind;
        for v in &county.volunteers {
            super::super::changes::record_tx(&tx, ChangeKind::Volunteer, v.id).unwrap();
        }
        for o in &county.teams {
            super::super::changes::record_tx(&tx, ChangeKind::Team, o.id).unwrap();
        }
        for a in &county.activities {
            super::super::changes::record_tx(&tx, ChangeKind::Activity, a.id).unwrap();
        }
        tx.commit().unwrap();
        assert!(
            db.begin_read()
                .unwrap()
                .open_table(TEAM_VOLUNTEERS)
                .is_err()
        );

        let store = crate::store::Store::finish_open(db, None).unwrap();
        let report = store.check().unwrap();
        assert_eq!(report.problems, Vec::<String>::new());
        assert_eq!(report.schema_version, SCHEMA_VERSION);
        let page = store.volunteer_page(&Default::default(), 1, 50).unwrap();
        assert_eq!(page.total, 120);
        let m = &county.memberships[7];
        assert!(store.member_count(m.team).unwrap() >= 1);
        let a = county.activities.last().unwrap();
        let held = county
            .signups
            .iter()
            .filter(|s| s.activity == a.id && s.state.holds_seat())
            .count() as u32;
        assert_eq!(store.signup_counts(a.id).unwrap().0, held);
    }

    /// A store written by v6 (demands and the audit log without their filter indexes)
    /// gains them at open.
    #[test]
    fn v7_builds_demand_and_audit_indexes_for_a_v6_store() {
        use crate::domain::demand::{Demand, DemandState};
        use crate::domain::ids::Gid;
        use crate::domain::regions::RegionPath;
        use crate::store::codec::encode;
        use crate::store::{AuditEntry, DemandFilter};
        let db = mem_db();
        assert_eq!(
            run_list(&db, &MIGRATIONS[..6]).unwrap(),
            (1..=6).collect::<Vec<_>>()
        );
        let now = chrono::Utc::now();
        let tx = db.begin_write().unwrap();
        {
            let mut demands = tx.open_table(DEMANDS).unwrap();
            let mut numbers = tx.open_table(NUMBER_DEMAND).unwrap();
            for i in 0..12u128 {
                let d = Demand {
                    id: Gid(100 + i),
                    origin: Gid(1),
                    number: format!("XQ{i:04}"),
                    requester_kind: "村委会".into(),
                    requester_name: String::new(),
                    contact_name: "孙强".into(),
                    contact_phone: "13900000001".into(),
                    region: RegionPath {
                        province: "220000".into(),
                        city: "220300".into(),
                        county: Some(if i < 4 { "220302" } else { "220303" }.into()),
                    },
                    categories: vec!["农技服务".into()],
                    text: "玉米病虫害".into(),
                    wanted_when: String::new(),
                    state: DemandState::Open,
                    taken_by: None,
                    activity: None,
                    created_at: now,
                    updated_at: now,
                };
                demands.insert(d.id.0, encode(&d).as_slice()).unwrap();
                numbers.insert(d.number.as_str(), d.id.0).unwrap();
            }
            let mut log = tx.open_table(AUDIT).unwrap();
            for seq in 1..=9u64 {
                let e = AuditEntry {
                    at: now,
                    actor: "cli".into(),
                    address: "cli".into(),
                    action: if seq.is_multiple_of(3) {
                        "backup"
                    } else {
                        "admin.login"
                    }
                    .into(),
                    detail: String::new(),
                    records: seq,
                };
                log.insert(seq, encode(&e).as_slice()).unwrap();
            }
        }
        // And the changes log v6 appended with every demand.
        for i in 0..12u128 {
            let kind = crate::store::ChangeKind::Demand;
            super::super::changes::record_tx(&tx, kind, Gid(100 + i)).unwrap();
        }
        tx.commit().unwrap();

        let store = crate::store::Store::finish_open(db, None).unwrap();
        let report = store.check().unwrap();
        assert_eq!(report.problems, Vec::<String>::new());
        assert_eq!(report.schema_version, 7);
        let in_220302 = DemandFilter {
            list: crate::store::ListFilter {
                county: "220302".into(),
                ..Default::default()
            },
            state: None,
        };
        let (found, more) = store.demand_page(&in_220302, 1, 50).unwrap();
        assert_eq!((found.len(), more), (4, false));
        assert_eq!(found[0].number, "XQ0003");
        let (backups, total) = store.audit_entries_of(|a| a == "backup", 0, 10).unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            backups.iter().map(|e| e.records).collect::<Vec<_>>(),
            [9, 6, 3]
        );
    }

    #[test]
    fn newer_database_refused() {
        let db = mem_db();
        run(&db).unwrap();
        let tx = db.begin_write().unwrap();
        set_version(&tx, SCHEMA_VERSION + 5).unwrap();
        tx.commit().unwrap();
        match run(&db) {
            Err(StoreError::NewerSchema { found, supported }) => {
                assert_eq!(found, SCHEMA_VERSION + 5);
                assert_eq!(supported, SCHEMA_VERSION);
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }
}
