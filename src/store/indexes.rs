//! List indexes (schema v6): the keys each record contributes, their upkeep inside the
//! record's write, their rebuild for old data, their check, and the paged reads that use
//! them. A list page reads index keys (no decoding) to find and count its rows, then
//! decodes only the rows it shows.
//!
//! Name search uses a *suffix* index (`namesuffix_volunteers`): every suffix of a
//! normalised name is a key, so a contained substring ("三丰" in "张三丰") is a prefix of
//! one suffix and a single range scan finds every match, newest first after a sort of the
//! matching ids. Chosen over a bigram index because Chinese names are 2–4 characters (a
//! bigram index would still need unigrams for one-character queries such as a surname,
//! and an intersection plus a decode to confirm longer ones), and over an in-memory
//! column of names because that column would have to be built at start-up (work
//! proportional to the data before the first page) and kept in step outside redb's
//! transactions. The in-memory column was not measured. With 100,000 volunteers the
//! benchmark (README, Performance) served a full-name search at 919 req/s and a
//! one-character surname at 639 req/s against 893 req/s for the unfiltered first page:
//! the search itself is not what limits the page.

use super::codec::{decode, decode_borrowed};
use super::tables::*;
use super::terms::{self, ListFilter};
use super::{Store, StoreError};
use crate::domain::activity::{Activity, ActivityState, Signup};
use crate::domain::ids::Gid;
use crate::domain::people::{Membership, MembershipState, Source, Team, TeamStatus, Volunteer};
use crate::domain::regions::RegionPath;
use crate::domain::validate::Gender;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle, WriteTransaction};
use std::collections::BTreeSet;

/// Longest name suffix kept: names longer than this (rare transliterated names) are still
/// found by any substring starting within their first characters.
const MAX_SUFFIXES: usize = 12;

/// The normalised search form of a text: NFKC, no spaces, lower case — what
/// `matches_text` compares.
pub fn search_form(s: &str) -> String {
    crate::domain::validate::normalize(s).to_lowercase()
}

/// Every suffix of a name's search form (at most `MAX_SUFFIXES`).
pub fn name_suffixes(name: &str) -> Vec<String> {
    let n = search_form(name);
    let starts: Vec<usize> = n.char_indices().map(|(i, _)| i).collect();
    let mut out: Vec<String> = starts
        .into_iter()
        .take(MAX_SUFFIXES)
        .map(|i| n[i..].to_string())
        .collect();
    out.dedup();
    out
}

fn phone_tail(phone: &str) -> Option<&str> {
    (phone.len() >= 4 && phone.is_ascii()).then(|| &phone[phone.len() - 4..])
}

/// The string-keyed index entries of one volunteer, by table.
struct VolunteerKeys {
    names: Vec<String>,
    tail: Option<String>,
    regions: Vec<String>,
    sanzhang: String,
    categories: Vec<String>,
}

impl VolunteerKeys {
    fn of(v: &Volunteer) -> VolunteerKeys {
        let mut regions = vec![v.region.province.clone(), v.region.city.clone()];
        regions.extend(v.region.county.clone());
        regions.sort();
        regions.dedup();
        let mut categories = v.service_categories.clone();
        categories.sort();
        categories.dedup();
        VolunteerKeys {
            names: name_suffixes(&v.real_name),
            tail: phone_tail(&v.phone).map(str::to_string),
            regions,
            sanzhang: v.sanzhang.clone(),
            categories,
        }
    }

    /// [`VolunteerKeys::entries`], owned.
    fn into_entries(self) -> impl Iterator<Item = (usize, String)> {
        let VolunteerKeys {
            names,
            tail,
            regions,
            sanzhang,
            categories,
        } = self;
        (names.into_iter().map(|k| (0, k)))
            .chain(tail.into_iter().map(|k| (1, k)))
            .chain(regions.into_iter().map(|k| (2, k)))
            .chain(std::iter::once((3, sanzhang)))
            .chain(categories.into_iter().map(|k| (4, k)))
    }

    /// `(position in VOLUNTEER_STR_INDEXES, key)` for every entry.
    fn entries(&self) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        out.extend(self.names.iter().map(|k| (0, k.as_str())));
        out.extend(self.tail.iter().map(|k| (1, k.as_str())));
        out.extend(self.regions.iter().map(|k| (2, k.as_str())));
        out.push((3, self.sanzhang.as_str()));
        out.extend(self.categories.iter().map(|k| (4, k.as_str())));
        out
    }
}

type StrIndex = TableDefinition<'static, (&'static str, u128), ()>;

/// The volunteer indexes keyed by text, in one list for upkeep, rebuild and check (in
/// the order of `VolunteerKeys::entries`).
const VOLUNTEER_STR_INDEXES: [StrIndex; 5] = [
    NAMESUFFIX_VOLUNTEERS,
    PHONETAIL_VOLUNTEERS,
    REGION_VOLUNTEERS,
    SANZHANG_VOLUNTEERS,
    CATEGORY_VOLUNTEERS,
];

/// Keep the volunteer list indexes in step with `v` (replacing `previous`).
pub(super) fn put_volunteer_keys_tx(
    tx: &WriteTransaction,
    v: &Volunteer,
    previous: Option<&Volunteer>,
) -> Result<(), StoreError> {
    let new = VolunteerKeys::of(v);
    let new_entries = new.entries();
    if let Some(old) = previous {
        let old = VolunteerKeys::of(old);
        for (i, key) in old.entries() {
            if !new_entries.contains(&(i, key)) {
                tx.open_table(VOLUNTEER_STR_INDEXES[i])?
                    .remove((key, v.id.0))?;
            }
        }
    }
    for (i, def) in VOLUNTEER_STR_INDEXES.into_iter().enumerate() {
        let mut t = tx.open_table(def)?;
        for (d, key) in &new_entries {
            if *d == i {
                t.insert((*key, v.id.0), ())?;
            }
        }
    }
    Ok(())
}

/// The list-index entries of volunteers new to the store (nothing to remove), by table
/// and sorted, made before the write transaction (see `put_new_volunteers_keys_tx`).
pub(super) struct NewVolunteerKeys([Vec<(String, u128)>; 5]);

impl NewVolunteerKeys {
    pub(super) fn of(list: &[Volunteer]) -> NewVolunteerKeys {
        let mut by_table: [Vec<(String, u128)>; 5] = Default::default();
        for v in list {
            for (i, key) in VolunteerKeys::of(v).into_entries() {
                by_table[i].push((key, v.id.0));
            }
        }
        for entries in &mut by_table {
            entries.sort_unstable();
        }
        NewVolunteerKeys(by_table)
    }
}

/// Write the list-index entries of new volunteers a table at a time, in key order: each
/// table is opened once for the batch and its inserts walk the B-tree from left to right
/// instead of jumping between leaves. For an import of 100,000 rows this upkeep was a
/// third of the commit when each row opened the five tables again and inserted its keys
/// where they fell.
pub(super) fn put_new_volunteers_keys_tx(
    tx: &WriteTransaction,
    keys: &NewVolunteerKeys,
) -> Result<(), StoreError> {
    for (def, entries) in VOLUNTEER_STR_INDEXES.into_iter().zip(&keys.0) {
        let mut t = tx.open_table(def)?;
        for (key, id) in entries {
            t.insert((key.as_str(), *id), ())?;
        }
    }
    Ok(())
}

/// The position of a status in `STATUS_TEAMS` keys: the record's own variant order.
pub fn status_key(s: TeamStatus) -> u8 {
    match s {
        TeamStatus::Active => 0,
        TeamStatus::WaitingForAdmin => 1,
        TeamStatus::Suspended => 2,
        TeamStatus::PendingReview => 3,
        TeamStatus::Refused => 4,
    }
}

/// Keep `STATUS_TEAMS` and `TEAM_NAMES` in step with `o` (replacing `previous`).
pub(super) fn put_team_keys_tx(
    tx: &WriteTransaction,
    o: &Team,
    previous: Option<&Team>,
) -> Result<(), StoreError> {
    let mut by_status = tx.open_table(STATUS_TEAMS)?;
    if let Some(old) = previous {
        by_status.remove((status_key(old.status), o.id.0))?;
    }
    by_status.insert((status_key(o.status), o.id.0), ())?;
    tx.open_table(TEAM_NAMES)?.insert(o.id.0, o.name.as_str())?;
    let old = previous.map(team_terms).unwrap_or_default();
    terms::put_tx(tx, TERM_TEAMS, o.id.0, &team_terms(o), &old)
}

fn state_key(s: ActivityState) -> u8 {
    match s {
        ActivityState::Draft => 0,
        ActivityState::Published => 1,
        ActivityState::Cancelled => 2,
    }
}

const ACTIVITY_STATES: [ActivityState; 3] = [
    ActivityState::Draft,
    ActivityState::Published,
    ActivityState::Cancelled,
];

/// Keep `state_activities` and `term_activities` in step with `a` (replacing
/// `previous`, the version stored before, when there was one). The other states'
/// entries are removed whatever `previous` says (three point deletes).
pub(super) fn put_activity_keys_tx(
    tx: &WriteTransaction,
    a: &Activity,
    previous: Option<&Activity>,
) -> Result<(), StoreError> {
    {
        let mut t = tx.open_table(STATE_ACTIVITIES)?;
        for s in ACTIVITY_STATES {
            if s != a.state {
                t.remove((state_key(s), a.id.0))?;
            }
        }
        t.insert((state_key(a.state), a.id.0), ())?;
    }
    let old = previous.map(activity_terms).unwrap_or_default();
    terms::put_tx(tx, TERM_ACTIVITIES, a.id.0, &activity_terms(a), &old)
}

/// The terms an activity is found by in `term_activities`.
pub(super) fn activity_terms(a: &Activity) -> Vec<String> {
    let mut t: Vec<String> = terms::region_terms(&a.region).collect();
    if !a.service_category.is_empty() {
        t.push(terms::category_term(&a.service_category));
    }
    t.push(terms::state_term(state_key(a.state)));
    terms::normalised(t)
}

/// The terms a team is found by in `term_teams`.
pub(super) fn team_terms(o: &Team) -> Vec<String> {
    let mut t: Vec<String> = terms::region_terms(&o.region).collect();
    t.extend(o.service_categories.iter().map(|c| terms::category_term(c)));
    t.push(terms::state_term(status_key(o.status)));
    terms::normalised(t)
}

fn seat_delta(s: &Signup) -> (i64, i64) {
    (
        s.state.holds_seat() as i64,
        (s.state == crate::domain::activity::SignupState::Waitlisted) as i64,
    )
}

/// Move the `activity_seats` counters from `previous` to `s`.
pub(super) fn put_signup_keys_tx(
    tx: &WriteTransaction,
    s: &Signup,
    previous: Option<&Signup>,
) -> Result<(), StoreError> {
    let (mut seats, mut waiting) = seat_delta(s);
    if let Some(old) = previous {
        let (a, b) = seat_delta(old);
        seats -= a;
        waiting -= b;
    }
    if seats == 0 && waiting == 0 {
        return Ok(());
    }
    let mut t = tx.open_table(ACTIVITY_SEATS)?;
    let (s0, w0) = t.get(s.activity.0)?.map(|g| g.value()).unwrap_or((0, 0));
    let next = (
        (s0 as i64 + seats).max(0) as u32,
        (w0 as i64 + waiting).max(0) as u32,
    );
    t.insert(s.activity.0, next)?;
    Ok(())
}

/// Keep `team_volunteers` in step with a membership: present exactly while approved.
pub(super) fn put_membership_keys_tx(
    tx: &WriteTransaction,
    m: &Membership,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(TEAM_VOLUNTEERS)?;
    let key = (m.team.0, m.volunteer.0);
    if m.state == MembershipState::Approved {
        t.insert(key, ())?;
    } else {
        t.remove(key)?;
    }
    Ok(())
}

/// Build every list index from the records (migration v6).
pub(super) fn rebuild_tx(tx: &WriteTransaction) -> Result<(), StoreError> {
    {
        let vols = tx.open_table(VOLUNTEERS)?;
        let mut tables = VOLUNTEER_STR_INDEXES
            .iter()
            .map(|d| tx.open_table(*d))
            .collect::<Result<Vec<_>, _>>()?;
        for row in vols.range::<u128>(..)? {
            let v: Volunteer = decode(row?.1.value())?;
            let keys = VolunteerKeys::of(&v);
            for (i, key) in keys.entries() {
                tables[i].insert((key, v.id.0), ())?;
            }
        }
    }
    let orgs: Vec<Team> = all_records(tx, TEAMS)?;
    for o in &orgs {
        put_team_keys_tx(tx, o, None)?;
    }
    let members: Vec<Membership> = {
        let t = tx.open_table(TEAM_MEMBERS)?;
        let mut v = Vec::new();
        for row in t.range::<(u128, u128)>(..)? {
            v.push(decode(row?.1.value())?);
        }
        v
    };
    for m in &members {
        put_membership_keys_tx(tx, m)?;
    }
    let activities: Vec<Activity> = all_records(tx, ACTIVITIES)?;
    for a in &activities {
        put_activity_keys_tx(tx, a, None)?;
    }
    let signups: Vec<Signup> = {
        let t = tx.open_table(ACTIVITY_SIGNUPS)?;
        let mut v = Vec::new();
        for row in t.range::<(u128, u128)>(..)? {
            v.push(decode(row?.1.value())?);
        }
        v
    };
    for s in &signups {
        put_signup_keys_tx(tx, s, None)?;
    }
    Ok(())
}

/// Build `term_activities` and `term_teams` from the records (migration v7).
pub(super) fn rebuild_terms_tx(tx: &WriteTransaction) -> Result<(), StoreError> {
    let activities: Vec<Activity> = all_records(tx, ACTIVITIES)?;
    for a in &activities {
        terms::put_tx(tx, TERM_ACTIVITIES, a.id.0, &activity_terms(a), &[])?;
    }
    let teams: Vec<Team> = all_records(tx, TEAMS)?;
    for o in &teams {
        terms::put_tx(tx, TERM_TEAMS, o.id.0, &team_terms(o), &[])?;
    }
    Ok(())
}

/// Every record of a primary table keyed by id, decoded (a rebuild stops at one it
/// cannot read).
pub(super) fn all_records<T: serde::de::DeserializeOwned>(
    tx: &WriteTransaction,
    def: TableDefinition<u128, &[u8]>,
) -> Result<Vec<T>, StoreError> {
    let t = tx.open_table(def)?;
    let mut out = Vec::new();
    for row in t.range::<u128>(..)? {
        out.push(decode(row?.1.value())?);
    }
    Ok(out)
}

/// Compare one index with what the records say it must hold; a problem per direction.
fn compare<K: Ord + std::fmt::Debug>(
    what: &str,
    expected: &BTreeSet<K>,
    actual: &BTreeSet<K>,
    problems: &mut Vec<String>,
) {
    let missing = expected.difference(actual).count();
    if missing > 0 {
        problems.push(format!(
            "索引 {what} 缺少 {missing} 条（例如 {:?}）",
            expected.difference(actual).next()
        ));
    }
    let stray = actual.difference(expected).count();
    if stray > 0 {
        problems.push(format!(
            "索引 {what} 有 {stray} 条指向不存在或不符的记录（例如 {:?}）",
            actual.difference(expected).next()
        ));
    }
}

fn str_keys(
    tx: &redb::ReadTransaction,
    def: StrIndex,
) -> Result<BTreeSet<(String, u128)>, StoreError> {
    let t = tx.open_table(def)?;
    let mut out = BTreeSet::new();
    for row in t.range::<(&str, u128)>(..)? {
        let (k, _) = row?;
        let (s, id) = k.value();
        out.insert((s.to_string(), id));
    }
    Ok(out)
}

fn pair_keys<V: redb::Value + 'static>(
    tx: &redb::ReadTransaction,
    def: TableDefinition<(u8, u128), V>,
) -> Result<BTreeSet<(u8, u128)>, StoreError> {
    let t = match tx.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(BTreeSet::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = BTreeSet::new();
    for row in t.range::<(u8, u128)>(..)? {
        out.insert(row?.0.value());
    }
    Ok(out)
}

/// Check every list index against the records, both ways: each entry points to a record
/// that has that key, and each record has all its entries. Skipped (with a note) on a
/// file older than v6, which has no such indexes yet.
pub(super) fn check_tx(
    tx: &redb::ReadTransaction,
    problems: &mut Vec<String>,
) -> Result<(), StoreError> {
    if matches!(
        tx.open_table(TEAM_VOLUNTEERS),
        Err(redb::TableError::TableDoesNotExist(_))
    ) {
        return Ok(());
    }
    let mut expected: Vec<BTreeSet<(String, u128)>> = vec![BTreeSet::new(); 5];
    for row in tx.open_table(VOLUNTEERS)?.range::<u128>(..)? {
        let Ok(v) = decode::<Volunteer>(row?.1.value()) else {
            continue; // reported by the record check
        };
        for (i, key) in VolunteerKeys::of(&v).entries() {
            expected[i].insert((key.to_string(), v.id.0));
        }
    }
    for (def, exp) in VOLUNTEER_STR_INDEXES.iter().zip(&expected) {
        compare(def.name(), exp, &str_keys(tx, *def)?, problems);
    }

    let mut by_status = BTreeSet::new();
    let mut names = BTreeSet::new();
    for row in tx.open_table(TEAMS)?.range::<u128>(..)? {
        if let Ok(o) = decode::<Team>(row?.1.value()) {
            by_status.insert((status_key(o.status), o.id.0));
            names.insert((o.id.0, o.name));
        }
    }
    compare(
        STATUS_TEAMS.name(),
        &by_status,
        &pair_keys(tx, STATUS_TEAMS)?,
        problems,
    );
    let mut actual_names = BTreeSet::new();
    for row in tx.open_table(TEAM_NAMES)?.range::<u128>(..)? {
        let (k, v) = row?;
        actual_names.insert((k.value(), v.value().to_string()));
    }
    compare(TEAM_NAMES.name(), &names, &actual_names, problems);

    let mut approved = BTreeSet::new();
    for row in tx.open_table(TEAM_MEMBERS)?.range::<(u128, u128)>(..)? {
        if let Ok(m) = decode::<Membership>(row?.1.value())
            && m.state == MembershipState::Approved
        {
            approved.insert((m.team.0, m.volunteer.0));
        }
    }
    let mut actual = BTreeSet::new();
    for row in tx.open_table(TEAM_VOLUNTEERS)?.range::<(u128, u128)>(..)? {
        actual.insert(row?.0.value());
    }
    compare(TEAM_VOLUNTEERS.name(), &approved, &actual, problems);

    let mut states = BTreeSet::new();
    for row in tx.open_table(ACTIVITIES)?.range::<u128>(..)? {
        if let Ok(a) = decode::<Activity>(row?.1.value()) {
            states.insert((state_key(a.state), a.id.0));
        }
    }
    compare(
        STATE_ACTIVITIES.name(),
        &states,
        &pair_keys(tx, STATE_ACTIVITIES)?,
        problems,
    );

    let mut seats: std::collections::BTreeMap<u128, (u32, u32)> = Default::default();
    for row in tx.open_table(ACTIVITY_SIGNUPS)?.range::<(u128, u128)>(..)? {
        if let Ok(s) = decode::<Signup>(row?.1.value()) {
            let (a, b) = seat_delta(&s);
            let e = seats.entry(s.activity.0).or_default();
            e.0 += a as u32;
            e.1 += b as u32;
        }
    }
    let expected: BTreeSet<(u128, (u32, u32))> =
        seats.into_iter().filter(|(_, c)| *c != (0, 0)).collect();
    let mut actual = BTreeSet::new();
    for row in tx.open_table(ACTIVITY_SEATS)?.range::<u128>(..)? {
        let (k, v) = row?;
        if v.value() != (0, 0) {
            actual.insert((k.value(), v.value()));
        }
    }
    compare(ACTIVITY_SEATS.name(), &expected, &actual, problems);

    let mut activities = Vec::new();
    for row in tx.open_table(ACTIVITIES)?.range::<u128>(..)? {
        if let Ok(a) = decode::<Activity>(row?.1.value()) {
            activities.push((a.id.0, activity_terms(&a)));
        }
    }
    if let Some((expected, stored)) = terms::check_sets(tx, TERM_ACTIVITIES, activities)? {
        compare(TERM_ACTIVITIES.name(), &expected, &stored, problems);
    }
    let mut teams = Vec::new();
    for row in tx.open_table(TEAMS)?.range::<u128>(..)? {
        if let Ok(o) = decode::<Team>(row?.1.value()) {
            teams.push((o.id.0, team_terms(&o)));
        }
    }
    if let Some((expected, stored)) = terms::check_sets(tx, TERM_TEAMS, teams)? {
        compare(TERM_TEAMS.name(), &expected, &stored, problems);
    }
    if let Some((expected, stored)) = super::demands::demand_terms_check(tx)? {
        compare(TERM_DEMANDS.name(), &expected, &stored, problems);
    }
    if let Some((expected, stored)) = super::audit::action_audit_check(tx)? {
        compare(ACTION_AUDIT.name(), &expected, &stored, problems);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Paged reads

/// What the admin's volunteer list filters by; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolunteerQuery {
    /// A name (prefix or contained substring) or phone digits (beginning or 尾号).
    pub text: String,
    pub province: String,
    pub city: String,
    pub county: String,
    pub category: String,
    pub sanzhang: String,
    pub team: Option<Gid>,
}

/// What the admin list shows of a volunteer.
#[derive(Debug, Clone, PartialEq)]
pub struct VolunteerRow {
    pub id: Gid,
    pub real_name: String,
    pub phone: String,
    pub id_number: String,
    pub region: RegionPath,
    pub sanzhang: String,
    pub confirmed: bool,
}

impl From<&Volunteer> for VolunteerRow {
    fn from(v: &Volunteer) -> VolunteerRow {
        VolunteerRow {
            id: v.id,
            real_name: v.real_name.clone(),
            phone: v.phone.clone(),
            id_number: v.id_number.clone(),
            region: v.region.clone(),
            sanzhang: v.sanzhang.clone(),
            confirmed: v.confirmed,
        }
    }
}

/// A stored `Volunteer` read field by field in its encoded order, borrowing the text and
/// leaving dates unparsed: a list row needs seven fields, and parsing the timestamps and
/// copying every string cost more than the rest of the row. Must follow `Volunteer`'s
/// field order (postcard is positional); `light_rows_match_full_records` checks it.
#[derive(serde::Deserialize)]
struct VolunteerView<'a> {
    id: Gid,
    _origin: Gid,
    real_name: &'a str,
    phone: &'a str,
    _gender: Gender,
    id_number: &'a str,
    _birth_date: &'a str,
    _political_status: &'a str,
    _ethnicity: &'a str,
    _employer: &'a str,
    _title_level: &'a str,
    _education: &'a str,
    _occupation: &'a str,
    region: RegionPath,
    #[serde(borrow)]
    _service_categories: Vec<&'a str>,
    #[serde(borrow)]
    _service_fields: Vec<&'a str>,
    sanzhang: &'a str,
    _password_hash: Option<&'a str>,
    #[serde(borrow)]
    _consent: Option<ConsentView<'a>>,
    _source: Source,
    _legacy: bool,
    confirmed: bool,
    _created_at: &'a str,
    _updated_at: &'a str,
}

#[derive(serde::Deserialize)]
struct ConsentView<'a> {
    _accepted_at: &'a str,
    _how: &'a str,
    _guardian_name: Option<&'a str>,
    _guardian_phone: Option<&'a str>,
}

pub(super) fn volunteer_row(bytes: &[u8]) -> Result<VolunteerRow, StoreError> {
    let v: VolunteerView = decode_borrowed(bytes)?;
    Ok(VolunteerRow {
        id: v.id,
        real_name: v.real_name.to_string(),
        phone: v.phone.to_string(),
        id_number: v.id_number.to_string(),
        region: v.region,
        sanzhang: v.sanzhang.to_string(),
        confirmed: v.confirmed,
    })
}

/// An activity card's seat counters (taken, waiting) and its team's name.
pub type CardFacts = ((u32, u32), String);

/// One page of a list, with how many rows match in all.
#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub total: usize,
    pub has_more: bool,
}

/// Where the ids come from, newest first.
enum Driver<'q> {
    /// Matching ids, ascending and without repeats.
    Text(Vec<u128>),
    Team(u128),
    Str(StrIndex, &'q str),
    All,
}

/// The ids of volunteers whose name contains `text`, or whose phone begins with it or
/// ends with it (尾号) when it is digits; ascending and without repeats. A vector sorted
/// once: a one-character name matches thousands of suffixes, and a set allocating per
/// insert cost more than walking the keys.
fn text_matches(tx: &redb::ReadTransaction, text: &str) -> Result<Vec<u128>, StoreError> {
    let q = search_form(text);
    let mut ids = Vec::new();
    if q.is_empty() {
        return Ok(ids);
    }
    let names = tx.open_table(NAMESUFFIX_VOLUNTEERS)?;
    for row in names.range((q.as_str(), 0u128)..)? {
        let (k, _) = row?;
        let (suffix, id) = k.value();
        if !suffix.starts_with(q.as_str()) {
            break;
        }
        ids.push(id);
    }
    if q.bytes().all(|b| b.is_ascii_digit()) {
        let phones = tx.open_table(PHONE_VOLUNTEER)?;
        for row in phones.range(q.as_str()..)? {
            let (k, v) = row?;
            if !k.value().starts_with(q.as_str()) {
                break;
            }
            ids.push(v.value());
        }
        if q.len() <= 4 {
            let tails = tx.open_table(PHONETAIL_VOLUNTEERS)?;
            for row in tails.range((q.as_str(), 0u128)..)? {
                let (k, _) = row?;
                let (tail, id) = k.value();
                if !tail.starts_with(q.as_str()) {
                    break;
                }
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Unfiltered pages that start before this row read a window of the table's keys
/// directly; deeper ones use the kept match list (see `matches.rs`).
const SHALLOW_ROWS: usize = 1_000;

impl VolunteerQuery {
    fn is_filtered(&self) -> bool {
        !self.text.trim().is_empty()
            || self.team.is_some()
            || [
                &self.province,
                &self.city,
                &self.county,
                &self.category,
                &self.sanzhang,
            ]
            .iter()
            .any(|v| !v.is_empty())
    }

    /// The region filters that narrow the result: a county's code names its city and
    /// province (`220621` is in `220600` and `220000`), so those add nothing but a point
    /// check per key. A mismatching pair is kept, so it still matches nobody.
    fn region_filters(&self) -> Vec<&str> {
        let implied = |wider: &str, narrower: &str, digits: usize| {
            narrower.len() == 6
                && wider.len() == 6
                && wider[..digits] == narrower[..digits]
                && wider[digits..].bytes().all(|b| b == b'0')
        };
        let narrowest = [&self.county, &self.city, &self.province]
            .into_iter()
            .find(|v| !v.is_empty());
        let mut out = Vec::new();
        for (level, digits) in [(&self.county, 6), (&self.city, 4), (&self.province, 2)] {
            if level.is_empty() {
                continue;
            }
            let covered =
                narrowest.is_some_and(|n| !std::ptr::eq(n, level) && implied(level, n, digits));
            if !covered {
                out.push(level.as_str());
            }
        }
        out
    }
}

/// The ids of the volunteers matching `q`, newest first.
fn matching_ids(tx: &redb::ReadTransaction, q: &VolunteerQuery) -> Result<Vec<u128>, StoreError> {
    let text = (!q.text.trim().is_empty())
        .then(|| text_matches(tx, &q.text))
        .transpose()?;
    let mut filters: Vec<(StrIndex, &str)> = Vec::new();
    if !q.sanzhang.is_empty() {
        filters.push((SANZHANG_VOLUNTEERS, q.sanzhang.as_str()));
    }
    for code in q.region_filters() {
        filters.push((REGION_VOLUNTEERS, code));
    }
    if !q.category.is_empty() {
        filters.push((CATEGORY_VOLUNTEERS, q.category.as_str()));
    }
    // The most selective source drives; the others are point checks on keys.
    let mut team_check = q.team.map(|t| t.0);
    let driver = if let Some(set) = text {
        Driver::Text(set)
    } else if let Some(t) = team_check.take() {
        Driver::Team(t)
    } else if !filters.is_empty() {
        let (def, v) = filters.remove(0);
        Driver::Str(def, v)
    } else {
        Driver::All
    };
    let checks = filters
        .iter()
        .map(|(def, v)| Ok((tx.open_table(*def)?, *v)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let team_table = tx.open_table(TEAM_VOLUNTEERS)?;
    let accept = |id: u128| -> Result<bool, StoreError> {
        if let Some(t) = team_check
            && team_table.get((t, id))?.is_none()
        {
            return Ok(false);
        }
        for (t, v) in &checks {
            if t.get((*v, id))?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let mut ids = Vec::new();
    let mut take = |id: u128| -> Result<(), StoreError> {
        if accept(id)? {
            ids.push(id);
        }
        Ok(())
    };
    match driver {
        Driver::Text(set) => {
            for id in set.into_iter().rev() {
                take(id)?;
            }
        }
        Driver::Team(t) => {
            for row in team_table.range((t, 0u128)..=(t, u128::MAX))?.rev() {
                take(row?.0.value().1)?;
            }
        }
        Driver::Str(def, v) => {
            let t = tx.open_table(def)?;
            for row in t.range((v, 0u128)..=(v, u128::MAX))?.rev() {
                take(row?.0.value().1)?;
            }
        }
        Driver::All => {
            for row in tx.open_table(VOLUNTEERS)?.range::<u128>(..)?.rev() {
                take(row?.0.value())?;
            }
        }
    }
    Ok(ids)
}

impl Store {
    /// One page of volunteers matching `q`, newest first, with the number matching. Reads
    /// index keys to find and count the matches and decodes only the page's records; the
    /// matches are kept until the next write, so paging through them walks the keys once.
    pub fn volunteer_page(
        &self,
        q: &VolunteerQuery,
        page: usize,
        per_page: usize,
    ) -> Result<ListPage<VolunteerRow>, StoreError> {
        self.read(|tx| {
            let start = page.saturating_sub(1) * per_page;
            let vols = tx.open_table(VOLUNTEERS)?;
            let (total, window) = if !q.is_filtered() && start < SHALLOW_ROWS {
                // The count is the table's length and the page a window of its keys.
                let mut window = Vec::with_capacity(per_page);
                for row in vols.range::<u128>(..)?.rev().skip(start).take(per_page) {
                    window.push(row?.0.value());
                }
                (vols.len()? as usize, window)
            } else {
                let at_change = super::changes::last_tx(tx)?;
                let ids = match self.matches.get(q, at_change) {
                    Some(ids) => ids,
                    None => {
                        let ids = std::sync::Arc::new(matching_ids(tx, q)?);
                        self.matches.put(q, at_change, ids.clone());
                        ids
                    }
                };
                let window = ids.iter().skip(start).take(per_page).copied().collect();
                (ids.len(), window)
            };
            let mut rows = Vec::with_capacity(window.len());
            for id in window {
                if let Some(g) = vols.get(id)? {
                    rows.push(volunteer_row(g.value())?);
                }
            }
            Ok(ListPage {
                has_more: total > start + rows.len(),
                rows,
                total,
            })
        })
    }

    /// One page of teams with `status` (any with `None`), every term of `filter` and a
    /// name containing `name_contains` (as `search_form` compares; empty for any), newest
    /// first, that `accept` keeps. The status and filter are index terms (`term_teams`)
    /// and the name is read from `team_names`: only teams that pass all three are
    /// decoded, until the page and one more are found.
    pub fn team_page(
        &self,
        status: Option<TeamStatus>,
        filter: &ListFilter,
        name_contains: &str,
        mut accept: impl FnMut(&Team) -> bool,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<Team>, bool), StoreError> {
        let name_contains = search_form(name_contains);
        self.read(|tx| {
            let index = tx.open_table(TERM_TEAMS)?;
            let orgs = tx.open_table(TEAMS)?;
            let names = tx.open_table(TEAM_NAMES)?;
            let mut wanted = filter.terms();
            wanted.extend(status.map(|s| terms::state_term(status_key(s))));
            let ids: Box<dyn Iterator<Item = Result<u128, StoreError>>> = if wanted.is_empty() {
                Box::new(orgs.range::<u128>(..)?.rev().map(|row| Ok(row?.0.value())))
            } else {
                Box::new(terms::ids_with_all(&index, &wanted)?)
            };
            let start = page.saturating_sub(1) * per_page;
            let (mut seen, mut out, mut more) = (0usize, Vec::new(), false);
            for id in ids {
                let id = id?;
                // A name search reads the names column, not the records.
                if !name_contains.is_empty()
                    && !names
                        .get(id)?
                        .is_some_and(|n| search_form(n.value()).contains(&name_contains))
                {
                    continue;
                }
                let Some(g) = orgs.get(id)? else { continue };
                let o: Team = decode(g.value())?;
                if !accept(&o) {
                    continue;
                }
                if seen >= start {
                    if out.len() == per_page {
                        more = true;
                        break;
                    }
                    out.push(o);
                }
                seen += 1;
            }
            Ok((out, more))
        })
    }

    /// How many approved members a team has (index keys only).
    pub fn member_count(&self, org: Gid) -> Result<usize, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_VOLUNTEERS)?;
            let mut n = 0;
            for row in t.range((org.0, 0u128)..=(org.0, u128::MAX))? {
                row?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// Approved-member counts of `teams`, in one read transaction (a list's cards).
    pub fn member_counts(&self, teams: &[Gid]) -> Result<Vec<usize>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_VOLUNTEERS)?;
            let mut out = Vec::with_capacity(teams.len());
            for org in teams {
                let mut n = 0;
                for row in t.range((org.0, 0u128)..=(org.0, u128::MAX))? {
                    row?;
                    n += 1;
                }
                out.push(n);
            }
            Ok(out)
        })
    }

    /// For each `(activity, team)`: the activity's seat counters (taken, waiting) and the
    /// team's name ("" if there is no such team), in one read transaction and without
    /// decoding the teams (a list's cards).
    pub fn activity_card_facts(&self, acts: &[(Gid, Gid)]) -> Result<Vec<CardFacts>, StoreError> {
        self.read(|tx| {
            let seats = tx.open_table(ACTIVITY_SEATS)?;
            let names = tx.open_table(TEAM_NAMES)?;
            let mut out = Vec::with_capacity(acts.len());
            for (activity, team) in acts {
                let counts = seats.get(activity.0)?.map(|g| g.value()).unwrap_or((0, 0));
                let name = names
                    .get(team.0)?
                    .map(|g| g.value().to_string())
                    .unwrap_or_default();
                out.push((counts, name));
            }
            Ok(out)
        })
    }

    /// Every team's id and name, newest first, without decoding the teams.
    pub fn team_names(&self) -> Result<Vec<(Gid, String)>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_NAMES)?;
            let mut out = Vec::with_capacity(t.len()? as usize);
            for row in t.range::<u128>(..)?.rev() {
                let (k, v) = row?;
                out.push((Gid(k.value()), v.value().to_string()));
            }
            Ok(out)
        })
    }

    /// One page of published activities of public teams with every term of `filter`,
    /// newest first, that `accept` keeps (given the activity and its seats held: a title
    /// search, the phase). The state and filter are index terms (`term_activities`): only
    /// activities that have them all are decoded, until the page and one more are found.
    pub fn published_activity_page(
        &self,
        filter: &ListFilter,
        mut accept: impl FnMut(&Activity, u32) -> bool,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<Activity>, bool), StoreError> {
        self.read(|tx| {
            let index = tx.open_table(TERM_ACTIVITIES)?;
            let acts = tx.open_table(ACTIVITIES)?;
            let public = tx.open_table(STATUS_TEAMS)?;
            let seats = tx.open_table(ACTIVITY_SEATS)?;
            let mut wanted = filter.terms();
            wanted.push(terms::state_term(state_key(ActivityState::Published)));
            let active = status_key(TeamStatus::Active);
            let start = page.saturating_sub(1) * per_page;
            let (mut seen, mut out, mut more) = (0usize, Vec::new(), false);
            for id in terms::ids_with_all(&index, &wanted)? {
                let id = id?;
                let Some(g) = acts.get(id)? else { continue };
                let a: Activity = decode(g.value())?;
                // Teams under review, refused or suspended publish nothing public.
                if public.get((active, a.team.0))?.is_none() {
                    continue;
                }
                let held = seats.get(id)?.map(|g| g.value().0).unwrap_or(0);
                if !accept(&a, held) {
                    continue;
                }
                if seen >= start {
                    if out.len() == per_page {
                        more = true;
                        break;
                    }
                    out.push(a);
                }
                seen += 1;
            }
            Ok((out, more))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::synth::{self, Sizes};
    use chrono::Utc;

    fn small(v: usize) -> (Store, synth::County) {
        let store = Store::in_memory().unwrap();
        let county = synth::county(
            7,
            Sizes {
                volunteers: v,
                teams: 10,
                activities: 30,
                signups: 300,
            },
            Utc::now(),
        );
        store.bulk_load(&county).unwrap();
        (store, county)
    }

    fn problems(store: &Store) -> Vec<String> {
        store.check().unwrap().problems
    }

    fn ids(p: &ListPage<VolunteerRow>) -> Vec<Gid> {
        p.rows.iter().map(|v| v.id).collect()
    }

    #[test]
    fn a_batch_of_new_volunteers_refuses_a_taken_phone_or_id_number_and_writes_nothing() {
        use crate::store::people::{NewVolunteers, put_new_volunteers_tx};
        let (store, county) = small(20);
        let stored = store.people_counts().unwrap().volunteers;
        let fresh = Volunteer {
            id: Gid::new(),
            phone: "13900000001".into(),
            id_number: "22030219900101001X".into(),
            ..county.volunteers[4].clone()
        };
        // The phone of a stored volunteer.
        let twin = Volunteer {
            id: Gid::new(),
            id_number: "220302199001010028".into(),
            ..county.volunteers[3].clone()
        };
        let batch = NewVolunteers::prepare(vec![fresh.clone(), twin]);
        let written = store.write(|tx| put_new_volunteers_tx(tx, &batch));
        assert!(
            matches!(written, Err(StoreError::Taken("手机号"))),
            "{written:?}"
        );
        // The same ID number twice in one batch.
        let again = Volunteer {
            id: Gid::new(),
            phone: "13900000002".into(),
            ..fresh.clone()
        };
        let batch = NewVolunteers::prepare(vec![fresh, again]);
        let written = store.write(|tx| put_new_volunteers_tx(tx, &batch));
        assert!(
            matches!(written, Err(StoreError::Taken("身份证号"))),
            "{written:?}"
        );
        assert_eq!(store.people_counts().unwrap().volunteers, stored);
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    #[test]
    fn indexes_follow_create_edit_and_leave() {
        let (store, county) = small(300);
        assert_eq!(problems(&store), Vec::<String>::new());
        let all = store
            .volunteer_page(&VolunteerQuery::default(), 1, 50)
            .unwrap();
        assert_eq!(all.total, 300);
        assert_eq!(all.rows[0].id, county.volunteers[299].id, "newest first");

        // Edit: new name, region and 三长 replace the old keys.
        let mut v = county.volunteers[42].clone();
        v.real_name = "欧阳娜娜".into();
        v.region.county = Some("220302".into());
        v.region.city = "220300".into();
        v.sanzhang = "农技站站长".into();
        store.update_volunteer(&v).unwrap();
        let by = |text: &str| VolunteerQuery {
            text: text.into(),
            ..Default::default()
        };
        assert!(ids(&store.volunteer_page(&by("阳娜"), 1, 50).unwrap()).contains(&v.id));
        assert!(ids(&store.volunteer_page(&by("欧阳"), 1, 50).unwrap()).contains(&v.id));
        let old = &county.volunteers[42].real_name;
        let still = store.volunteer_page(&by(old), 1, 500).unwrap();
        assert!(
            still
                .rows
                .iter()
                .all(|r| r.real_name.contains(old.as_str()))
        );
        let tail = &v.phone[v.phone.len() - 4..];
        assert!(ids(&store.volunteer_page(&by(tail), 1, 500).unwrap()).contains(&v.id));
        assert!(ids(&store.volunteer_page(&by(&v.phone[..7]), 1, 500).unwrap()).contains(&v.id));
        let sz = VolunteerQuery {
            sanzhang: "农技站站长".into(),
            county: "220302".into(),
            ..Default::default()
        };
        assert!(ids(&store.volunteer_page(&sz, 1, 500).unwrap()).contains(&v.id));
        assert_eq!(problems(&store), Vec::<String>::new());

        // Leave: the team filter and the member count follow.
        let m = county
            .memberships
            .iter()
            .find(|m| m.volunteer == county.volunteers[250].id)
            .unwrap();
        let before = store.member_count(m.team).unwrap();
        let team = VolunteerQuery {
            team: Some(m.team),
            ..Default::default()
        };
        assert!(ids(&store.volunteer_page(&team, 1, 500).unwrap()).contains(&m.volunteer));
        store.leave_team(m.volunteer, m.team, Utc::now()).unwrap();
        assert_eq!(store.member_count(m.team).unwrap(), before - 1);
        assert!(!ids(&store.volunteer_page(&team, 1, 500).unwrap()).contains(&m.volunteer));

        // A new volunteer and a team decision.
        let mut n = county.volunteers[0].clone();
        n.id = Gid::new();
        n.phone = "13999990000".into();
        n.id_number = "220302199001010000".into();
        n.real_name = "新来的".into();
        store.insert_volunteer(&n).unwrap();
        assert_eq!(
            store.volunteer_page(&by("来的"), 1, 5).unwrap().rows[0].id,
            n.id
        );
        let t = &county.teams[3];
        store
            .decide_team(
                t.id,
                crate::domain::people::TeamDecision::Suspend,
                "",
                "admin",
                Utc::now(),
            )
            .unwrap();
        let (active, _) = store
            .team_page(
                Some(TeamStatus::Active),
                &Default::default(),
                "",
                |_| true,
                1,
                100,
            )
            .unwrap();
        assert!(active.iter().all(|o| o.id != t.id));
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    /// The published activities of public teams a scan of the records keeps for `f`,
    /// newest first: what the term index must give.
    fn scanned_activities(store: &Store, f: &ListFilter) -> Vec<Gid> {
        let active: BTreeSet<Gid> = store
            .read(|tx| {
                let mut out = BTreeSet::new();
                for row in tx.open_table(TEAMS)?.range::<u128>(..)? {
                    let o: Team = decode(row?.1.value())?;
                    if o.status == TeamStatus::Active {
                        out.insert(o.id);
                    }
                }
                Ok::<_, StoreError>(out)
            })
            .unwrap();
        let mut ids: Vec<Gid> = store
            .read(|tx| {
                let mut out = Vec::new();
                for row in tx.open_table(ACTIVITIES)?.range::<u128>(..)? {
                    let a: Activity = decode(row?.1.value())?;
                    let r = &a.region;
                    if a.state == ActivityState::Published
                        && active.contains(&a.team)
                        && (f.province.is_empty() || r.province == f.province)
                        && (f.city.is_empty() || r.city == f.city)
                        && (f.county.is_empty() || r.county.as_deref() == Some(&f.county))
                        && (f.category.is_empty() || a.service_category == f.category)
                    {
                        out.push(a.id);
                    }
                }
                Ok::<_, StoreError>(out)
            })
            .unwrap();
        ids.reverse();
        ids
    }

    fn listed_activities(store: &Store, f: &ListFilter) -> Vec<Gid> {
        let (acts, more) = store
            .published_activity_page(f, |_, _| true, 1, 10_000)
            .unwrap();
        assert!(!more);
        acts.into_iter().map(|a| a.id).collect()
    }

    #[test]
    fn activity_and_team_lists_filter_through_their_terms() {
        let (store, county) = small(40);
        assert_eq!(problems(&store), Vec::<String>::new());
        let some = &county.activities[7];
        let filters = [
            ListFilter::default(),
            ListFilter {
                county: some.region.county.clone().unwrap_or_default(),
                ..Default::default()
            },
            ListFilter {
                category: some.service_category.clone(),
                ..Default::default()
            },
            ListFilter {
                province: some.region.province.clone(),
                city: some.region.city.clone(),
                category: some.service_category.clone(),
                ..Default::default()
            },
            ListFilter {
                county: "999999".into(),
                ..Default::default()
            },
        ];
        for f in &filters {
            assert_eq!(
                listed_activities(&store, f),
                scanned_activities(&store, f),
                "{f:?}"
            );
        }
        // Only activities with every term are decoded.
        let by_county = &filters[1];
        let expected = scanned_activities(&store, by_county).len() as u64;
        let before = crate::store::codec::decode_count();
        listed_activities(&store, by_county);
        assert!(crate::store::codec::decode_count() - before <= expected * 2 + 1);

        // An edit moves the activity to its new region and category; cancelling it takes
        // it off the public list.
        let mut moved = county.activities[7].clone();
        moved.state = ActivityState::Published;
        moved.region = RegionPath {
            province: "220000".into(),
            city: "220400".into(),
            county: Some("220402".into()),
        };
        moved.service_category = "医疗卫生".into();
        store.save_activity(&moved, Utc::now()).unwrap();
        let there = ListFilter {
            county: "220402".into(),
            category: "医疗卫生".into(),
            ..Default::default()
        };
        let team_is_public = county
            .teams
            .iter()
            .any(|o| o.id == moved.team && o.status == TeamStatus::Active);
        assert_eq!(
            listed_activities(&store, &there).contains(&moved.id),
            team_is_public
        );
        for f in &filters {
            assert_eq!(
                listed_activities(&store, f),
                scanned_activities(&store, f),
                "{f:?}"
            );
        }
        moved.state = ActivityState::Cancelled;
        store.save_activity(&moved, Utc::now()).unwrap();
        assert!(!listed_activities(&store, &there).contains(&moved.id));
        assert_eq!(problems(&store), Vec::<String>::new());

        // Teams: a new region and categories move the team; a lost entry is reported.
        let mut team = county.teams[2].clone();
        team.status = TeamStatus::Active;
        team.region = moved.region.clone();
        team.service_categories = vec!["医疗卫生".into()];
        store.update_team(&team).unwrap();
        let (found, _) = store
            .team_page(Some(TeamStatus::Active), &there, "", |_| true, 1, 100)
            .unwrap();
        assert_eq!(found.iter().map(|o| o.id).collect::<Vec<_>>(), [team.id]);
        // A name search reads the names column: only the teams it finds are decoded.
        let before = crate::store::codec::decode_count();
        let (named, _) = store
            .team_page(
                Some(TeamStatus::Active),
                &ListFilter::default(),
                &team.name,
                |_| true,
                1,
                100,
            )
            .unwrap();
        assert_eq!(
            crate::store::codec::decode_count() - before,
            named.len() as u64
        );
        assert!(named.iter().any(|o| o.id == team.id));
        assert!(named.iter().all(|o| o.name.contains(&team.name)));
        let (none, _) = store
            .team_page(
                Some(TeamStatus::Active),
                &ListFilter::default(),
                "没有这个名字",
                |_| true,
                1,
                100,
            )
            .unwrap();
        assert!(none.is_empty());
        let old = ListFilter {
            county: county.teams[2].region.county.clone().unwrap_or_default(),
            ..Default::default()
        };
        let (found, _) = store
            .team_page(Some(TeamStatus::Active), &old, "", |_| true, 1, 100)
            .unwrap();
        assert!(found.iter().all(|o| o.id != team.id));
        store
            .write(|tx| {
                let term = super::terms::region_term("220402");
                tx.open_table(TERM_TEAMS)?
                    .remove((term.as_str(), team.id.0))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let p = problems(&store);
        assert!(p.iter().any(|m| m.contains("term_teams")), "{p:?}");
        store.repair().unwrap();
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    #[test]
    fn seat_counters_follow_signups_and_cancellations() {
        let (store, county) = small(50);
        let now = Utc::now();
        let mut a = county.activities[0].clone();
        a.id = Gid::new();
        a.state = ActivityState::Published;
        a.capacity = 1;
        let local = now.naive_utc();
        a.signup_opens = local - chrono::Duration::days(1);
        a.signup_closes = local + chrono::Duration::days(1);
        a.starts_at = local + chrono::Duration::days(2);
        a.ends_at = local + chrono::Duration::days(3);
        store.save_activity(&a, now).unwrap();
        let (x, y) = (county.volunteers[1].id, county.volunteers[2].id);
        store.sign_up(a.id, x, now, local, false).unwrap();
        store.sign_up(a.id, y, now, local, true).unwrap();
        assert_eq!(store.signup_counts(a.id).unwrap(), (1, 1));
        let c = store.cancel_signup(a.id, x, now, local).unwrap();
        assert_eq!(c.promoted, Some(y));
        assert_eq!(store.signup_counts(a.id).unwrap(), (1, 0));
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    #[test]
    fn check_catches_a_removed_or_stray_entry() {
        let (store, county) = small(60);
        let v = &county.volunteers[5];
        store
            .write(|tx| {
                tx.open_table(REGION_VOLUNTEERS)?
                    .remove((v.region.city.as_str(), v.id.0))?;
                tx.open_table(TEAM_VOLUNTEERS)?
                    .insert((county.teams[0].id.0, u128::MAX), ())?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let p = problems(&store);
        assert!(
            p.iter()
                .any(|m| m.contains("region_volunteers") && m.contains("缺少 1 条")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("team_volunteers") && m.contains("1 条指向")),
            "{p:?}"
        );
        // `kezhi check --repair` builds the list indexes again from the records.
        store.repair().unwrap();
        assert!(problems(&store).is_empty(), "{:?}", problems(&store));
    }

    #[test]
    fn light_rows_match_full_records() {
        let (store, county) = small(300);
        let mut with_consent = county.volunteers[0].clone();
        with_consent.consent = Some(crate::domain::people::Consent {
            accepted_at: Utc::now(),
            how: "collective".into(),
            guardian_name: Some("监护人".into()),
            guardian_phone: None,
        });
        with_consent.password_hash = Some("hash".into());
        for v in county.volunteers.iter().chain([&with_consent]) {
            let bytes = crate::store::codec::encode(v);
            assert_eq!(volunteer_row(&bytes).unwrap(), VolunteerRow::from(v));
        }
        let found = store
            .volunteer_page(&VolunteerQuery::default(), 1, 300)
            .unwrap();
        for row in &found.rows {
            let full = store.volunteer(row.id).unwrap().unwrap();
            assert_eq!(row, &VolunteerRow::from(&full));
        }
    }

    #[test]
    fn a_page_of_many_volunteers_decodes_only_its_rows() {
        let (store, county) = small(3_000);
        let cases = [
            VolunteerQuery::default(),
            VolunteerQuery {
                text: "王".into(),
                ..Default::default()
            },
            VolunteerQuery {
                text: county.volunteers[10].real_name.clone(),
                ..Default::default()
            },
            VolunteerQuery {
                text: "0".into(),
                ..Default::default()
            },
            VolunteerQuery {
                province: "220000".into(),
                ..Default::default()
            },
            VolunteerQuery {
                sanzhang: "否".into(),
                province: "220000".into(),
                ..Default::default()
            },
            VolunteerQuery {
                team: Some(county.teams[1].id),
                ..Default::default()
            },
        ];
        for q in &cases {
            for page in [1, 30] {
                let before = crate::store::codec::decode_count();
                let found = store.volunteer_page(q, page, 50).unwrap();
                let decoded = crate::store::codec::decode_count() - before;
                assert!(decoded <= 50, "{q:?} page {page}: {decoded} decodes");
                assert_eq!(decoded as usize, found.rows.len(), "{q:?}");
            }
        }
        // Activities: decoding stops once the page and one more are found.
        let before = crate::store::codec::decode_count();
        let (page, more) = store
            .published_activity_page(&Default::default(), |_, _| true, 1, 5)
            .unwrap();
        assert_eq!((page.len(), more), (5, true));
        assert!(crate::store::codec::decode_count() - before < 30);
    }

    /// Every page of `q` read one by one, against the records filtered by hand.
    fn pages_match_a_scan(store: &Store, q: &VolunteerQuery, keep: impl Fn(&Volunteer) -> bool) {
        let mut want: Vec<Gid> = store
            .volunteers()
            .unwrap()
            .into_iter()
            .filter(|v| keep(v))
            .map(|v| v.id)
            .collect();
        want.sort_by(|a, b| b.cmp(a));
        let mut got = Vec::new();
        for page in 1.. {
            let p = store.volunteer_page(q, page, 50).unwrap();
            assert_eq!(p.total, want.len(), "{q:?} page {page}");
            got.extend(ids(&p));
            if !p.has_more {
                break;
            }
        }
        assert_eq!(got, want, "{q:?}");
    }

    #[test]
    fn kept_match_lists_follow_every_write() {
        let (store, county) = small(1_500);
        let in_county = county.volunteers[3].region.county.clone().unwrap();
        let by_county = VolunteerQuery {
            province: county.volunteers[3].region.province.clone(),
            city: county.volunteers[3].region.city.clone(),
            county: in_county.clone(),
            ..Default::default()
        };
        let county_of =
            |code: String| move |v: &Volunteer| v.region.county.as_deref() == Some(&code);
        let surname = VolunteerQuery {
            text: "王".into(),
            ..Default::default()
        };
        let deep = VolunteerQuery::default();
        for _ in 0..2 {
            // The second round reads the kept lists.
            pages_match_a_scan(&store, &by_county, county_of(in_county.clone()));
            pages_match_a_scan(&store, &surname, |v| v.real_name.contains('王'));
        }
        let deep_page = store.volunteer_page(&deep, 25, 50).unwrap();
        assert_eq!(
            deep_page.rows[0].id,
            county.volunteers[1_500 - 1 - 24 * 50].id
        );

        // A new volunteer in that county named 王 shows at once in both lists.
        let mut v = county.volunteers[3].clone();
        v.id = Gid::new();
        v.real_name = "王新来".into();
        v.phone = "13999999999".into();
        v.id_number = "110101199001011237".into();
        store.insert_volunteer(&v).unwrap();
        assert_eq!(
            store.volunteer_page(&by_county, 1, 50).unwrap().rows[0].id,
            v.id
        );
        assert_eq!(
            store.volunteer_page(&surname, 1, 50).unwrap().rows[0].id,
            v.id
        );
        pages_match_a_scan(&store, &by_county, county_of(in_county.clone()));
        // Moved away and renamed: gone from both.
        let mut moved = v.clone();
        moved.real_name = "李新来".into();
        moved.region = county
            .volunteers
            .iter()
            .find(|o| o.region.county.as_deref() != Some(in_county.as_str()))
            .unwrap()
            .region
            .clone();
        store.update_volunteer(&moved).unwrap();
        pages_match_a_scan(&store, &by_county, county_of(in_county.clone()));
        pages_match_a_scan(&store, &surname, |v| v.real_name.contains('王'));
        let deep_after = store.volunteer_page(&deep, 25, 50).unwrap();
        assert_eq!(deep_after.total, 1_501);
        assert_eq!(deep_after.rows[0].id, county.volunteers[1_500 - 24 * 50].id);

        // A county outside the province asked for matches nobody.
        let elsewhere = VolunteerQuery {
            province: "110000".into(),
            ..by_county.clone()
        };
        assert_eq!(store.volunteer_page(&elsewhere, 1, 50).unwrap().total, 0);
        // A repair rebuilds the indexes without a change: the kept lists are dropped.
        store.repair().unwrap();
        pages_match_a_scan(&store, &by_county, county_of(in_county));
    }

    #[test]
    fn a_county_names_its_city_and_province() {
        let q = VolunteerQuery {
            province: "220000".into(),
            city: "220600".into(),
            county: "220621".into(),
            ..Default::default()
        };
        assert_eq!(q.region_filters(), vec!["220621"]);
        let wrong = VolunteerQuery {
            province: "110000".into(),
            ..q.clone()
        };
        assert_eq!(wrong.region_filters(), vec!["220621", "110000"]);
        let city_only = VolunteerQuery {
            county: String::new(),
            ..q
        };
        assert_eq!(city_only.region_filters(), vec!["220600"]);
    }

    #[test]
    fn indexes_follow_merge_and_import() {
        use crate::domain::people::{NewVolunteer, Volunteer};
        use crate::domain::registration::VolunteerFields;
        use crate::store::merge::MergeInput;
        use crate::store::{ExistingRows, ImportVolunteerRow as ImportRow};
        let (store, county) = small(200);
        let by = |text: &str| VolunteerQuery {
            text: text.into(),
            ..Default::default()
        };

        // Merge another laptop's county: its people, teams and memberships, and a newer
        // version of one of ours under a new name and region.
        let other = synth::county(
            11,
            Sizes {
                volunteers: 50,
                teams: 3,
                activities: 2,
                signups: 10,
            },
            Utc::now(),
        );
        let mut renamed = county.volunteers[7].clone();
        renamed.real_name = "司马合并".into();
        renamed.region = other.volunteers[0].region.clone();
        renamed.updated_at = Utc::now() + chrono::Duration::minutes(1);
        // The generator numbers phones from zero: give the other laptop's people their own.
        let mut other = other;
        for (i, v) in other.volunteers.iter_mut().enumerate() {
            v.phone = format!("1366{i:07}");
            v.id_number = crate::domain::testing::with_check(&format!("31010119800101{i:03}"));
        }
        let mut volunteers = other.volunteers.clone();
        volunteers.push(renamed.clone());
        store
            .merge(
                MergeInput {
                    teams: other.teams.clone(),
                    volunteers,
                    memberships: other.memberships.clone(),
                    activities: other.activities.clone(),
                    signups: other.signups.clone(),
                    reports: Vec::new(),
                    certificates: Vec::new(),
                    photos: Vec::new(),
                    demands: Vec::new(),
                },
                Utc::now(),
            )
            .unwrap();
        assert_eq!(problems(&store), Vec::<String>::new());
        assert_eq!(
            ids(&store.volunteer_page(&by("司马合并"), 1, 5).unwrap()),
            vec![renamed.id]
        );
        let old_name = &county.volunteers[7].real_name;
        assert!(!ids(&store.volunteer_page(&by(old_name), 1, 500).unwrap()).contains(&renamed.id));
        let merged = &other.volunteers[5];
        if store.volunteer(merged.id).unwrap().is_some() {
            assert!(
                ids(&store
                    .volunteer_page(&by(&merged.real_name), 1, 500)
                    .unwrap())
                .contains(&merged.id)
            );
        }
        // A merged membership (its team or person may have been mapped to a local one).
        let merged_ids: BTreeSet<Gid> = other.memberships.iter().map(|m| m.id).collect();
        let approved = store
            .all_memberships()
            .unwrap()
            .into_iter()
            .find(|m| merged_ids.contains(&m.id) && m.state == MembershipState::Approved)
            .expect("an approved merged membership");
        let team = VolunteerQuery {
            team: Some(approved.team),
            ..Default::default()
        };
        assert!(ids(&store.volunteer_page(&team, 1, 500).unwrap()).contains(&approved.volunteer));

        // Import: one new person and one update of a stored one.
        let today = Utc::now().date_naive();
        let fields = |v: &Volunteer, name: &str, phone: &str, id: &str| VolunteerFields {
            real_name: name.into(),
            phone: phone.into(),
            gender: v.gender,
            id: crate::domain::validate::id_number(id, today).unwrap(),
            political_status: v.political_status.clone(),
            ethnicity: v.ethnicity.clone(),
            employer: v.employer.clone(),
            title_level: v.title_level.clone(),
            education: v.education.clone(),
            occupation: v.occupation.clone(),
            region: v.region.clone(),
            service_categories: v.service_categories.clone(),
            service_fields: v.service_fields.clone(),
            sanzhang: v.sanzhang.clone(),
        };
        let fresh_id = crate::domain::testing::with_check("11010119850101123");
        let stored = county.volunteers[9].clone();
        // The generator's ID numbers are unique but not valid: the update brings a real one.
        let updated_id = crate::domain::testing::with_check("22030219800101234");
        let rows = vec![
            ImportRow {
                fields: fields(&stored, "欧阳导入", "13988887777", &fresh_id),
                existing: None,
            },
            ImportRow {
                fields: fields(&stored, "诸葛更新", &stored.phone, &updated_id),
                existing: Some(stored.id),
            },
        ];
        let make = |f| {
            Volunteer::from_fields(
                f,
                NewVolunteer {
                    origin: Gid::new(),
                    now: Utc::now(),
                    source: Source::Imported,
                    confirmed: false,
                    consent: None,
                },
            )
        };
        store
            .import_volunteers(rows, None, ExistingRows::Update, make, Utc::now())
            .unwrap();
        assert_eq!(problems(&store), Vec::<String>::new());
        assert_eq!(
            store.volunteer_page(&by("欧阳导入"), 1, 5).unwrap().total,
            1
        );
        assert_eq!(
            ids(&store.volunteer_page(&by("诸葛更新"), 1, 5).unwrap()),
            vec![stored.id]
        );
        assert_eq!(
            store.volunteer_page(&by("7777"), 1, 5).unwrap().total,
            1,
            "尾号"
        );
    }
}
