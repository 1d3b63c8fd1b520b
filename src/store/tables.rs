//! The catalogue: every redb table of the store, declared once. Primary tables map a
//! global id to an encoded record; indexes are named by their shape (`phone_volunteer`:
//! phone → volunteer id). The functions named in each doc keep the table in step.
//!
//! The team tables keep their on-disk names from before the code said "team" everywhere
//! (`teams`, `name_org`, `org_members`, …): renaming a redb table would need a
//! migration for no gain, so only the constants carry the new word.

use redb::TableDefinition;

/// `key → bytes`: schema version (`schema_version`, u32 LE), installation id
/// (`installation_id`, 16 bytes), creation time. Written by `migrate` and `Store::open`.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// `key → text`: settings editable from the CLI (`kezhi settings set`) and admin pages.
/// Kept by `settings.rs`.
pub const SETTINGS: TableDefinition<&str, &str> = TableDefinition::new("settings");

/// `sequence → Change`: one entry per record written, in commit order. Appended by
/// `changes::record_tx` inside the same transaction as the write it describes; read by
/// incremental export and merge.
pub const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");

/// `admin id → Admin`: platform admins. Kept by `accounts.rs` with `username_admin`.
pub const ADMINS: TableDefinition<u128, &[u8]> = TableDefinition::new("admins");

/// `username → admin id`: unique usernames. Kept by `insert_admin` / `update_admin`.
pub const USERNAME_ADMIN: TableDefinition<&str, u128> = TableDefinition::new("username_admin");

/// `session token (hex) → Session`: signed-in browsers. Kept by `accounts.rs`; expired
/// rows are pruned by `prune_sessions`.
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");

/// `phone → LoginCode`: the live one-time code of a phone and its daily count. Kept by
/// `issue_code` / `check_code`.
pub const LOGIN_CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("login_codes");

/// `phone → CodeRequests`: who asked for the phone's live code and how many codes each
/// client address asked for today. Written with `login_codes` in the same transaction
/// by `issue_code`, read by `check_code`. Created on first use, not by a migration: see
/// `accounts.rs` for why.
pub const CODE_REQUESTS: TableDefinition<&str, &[u8]> = TableDefinition::new("code_requests");

/// `sequence → OutboxMessage`: messages kept by the `outbox` code sender for the admin's
/// outbox page. Appended by `push_outbox`.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// `sequence → AuditEntry`: append-only audit log (sign-ins, imports, exports, unmasking,
/// admin edits). Appended by `audit::append_tx`; never edited or deleted.
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// `volunteer id → Volunteer`. Kept by `people.rs` together with `phone_volunteer` and
/// `idnumber_volunteer`.
pub const VOLUNTEERS: TableDefinition<u128, &[u8]> = TableDefinition::new("volunteers");

/// `phone → volunteer id`: phones are unique among volunteers.
pub const PHONE_VOLUNTEER: TableDefinition<&str, u128> = TableDefinition::new("phone_volunteer");

/// `ID number → volunteer id`: ID numbers are unique among volunteers.
pub const IDNUMBER_VOLUNTEER: TableDefinition<&str, u128> =
    TableDefinition::new("idnumber_volunteer");

/// `team id → Team`. Kept by `people.rs` with `NAME_TEAM` and
/// `ADMINPHONE_TEAMS`.
pub const TEAMS: TableDefinition<u128, &[u8]> = TableDefinition::new("organizations");

/// `team id → TeamReview`: the platform admin's latest decision on a team (approval,
/// refusal with its reason, suspension), shown to the team's admin. Kept by
/// `people::decide_team` in the same transaction as the status change.
pub const TEAM_REVIEWS: TableDefinition<u128, &[u8]> = TableDefinition::new("team_reviews");

/// `name key (see `team_name_key`) → team id`: team names are unique.
pub const NAME_TEAM: TableDefinition<&str, u128> = TableDefinition::new("name_org");

/// `(admin phone, team id) → ()`: which teams a phone administers.
pub const ADMINPHONE_TEAMS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("adminphone_orgs");

/// `(team id, volunteer id) → Membership`: a team's members and applicants, read
/// with a range over one team. Kept by `memberships.rs` with `VOLUNTEER_TEAMS`.
pub const TEAM_MEMBERS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("org_members");

/// `(volunteer id, team id) → ()`: the teams a volunteer has a membership row in.
pub const VOLUNTEER_TEAMS: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("volunteer_orgs");

/// `activity id → Activity`. Kept by `activities.rs` with `TEAM_ACTIVITIES`.
pub const ACTIVITIES: TableDefinition<u128, &[u8]> = TableDefinition::new("activities");

/// `(team id, activity id) → ()`: a team's activities.
pub const TEAM_ACTIVITIES: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("org_activities");

/// `(activity id, volunteer id) → Signup`: who signed up, waits, attended; hours. Kept by
/// `activities.rs` with `volunteer_signups`; capacity is checked inside the same write.
pub const ACTIVITY_SIGNUPS: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("activity_signups");

/// `(volunteer id, activity id) → ()`: a volunteer's signups.
pub const VOLUNTEER_SIGNUPS: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("volunteer_signups");

/// `activity id → token`: the secret in the check-in QR code shown on the laptop.
pub const CHECKIN_TOKENS: TableDefinition<u128, &str> = TableDefinition::new("checkin_tokens");

/// `activity id → Report`: the after-activity report (text and photo ids).
pub const REPORTS: TableDefinition<u128, &[u8]> = TableDefinition::new("reports");

/// `photo id → Photo`: uploaded images (type checked by content), kept in the one data file.
pub const PHOTOS: TableDefinition<u128, &[u8]> = TableDefinition::new("photos");

/// `certificate number → Certificate`: issued 志愿服务记录证明, for `/verify/<number>`.
pub const CERTIFICATES: TableDefinition<&str, &[u8]> = TableDefinition::new("certificates");

/// `(volunteer id, certificate number) → ()`: a volunteer's certificates.
pub const VOLUNTEER_CERTIFICATES: TableDefinition<(u128, &str), ()> =
    TableDefinition::new("volunteer_certificates");

/// `conflict id → MergeConflict`: a merged volunteer whose phone or ID number belongs to a
/// different local record, waiting for the admin (with the records that depend on it).
/// Kept by `merge.rs`.
pub const MERGE_CONFLICTS: TableDefinition<u128, &[u8]> = TableDefinition::new("merge_conflicts");

/// `incoming id → local id`: records from other laptops that were resolved into a local
/// record (a conflict, or a team with the same name), so merging again maps them.
pub const ID_ALIASES: TableDefinition<u128, u128> = TableDefinition::new("id_aliases");

/// `demand id → Demand`: service demands (需求). Kept by `demands.rs` with `number_demand`.
pub const DEMANDS: TableDefinition<u128, &[u8]> = TableDefinition::new("demands");

/// `confirmation number → demand id`: the requester looks their demand up by it.
pub const NUMBER_DEMAND: TableDefinition<&str, u128> = TableDefinition::new("number_demand");

/// `(kind, id) → Featured`: 典型案例 (kind 1, an activity) and 典型人物 (kind 2, a
/// volunteer) shown on the home page. Kept by `demands.rs`.
pub const FEATURED: TableDefinition<(u8, u128), &[u8]> = TableDefinition::new("featured");

/// `volunteer id → when (unix seconds)`: volunteers who agreed to be shown as 典型人物.
pub const SHOWCASE_CONSENT: TableDefinition<u128, i64> = TableDefinition::new("showcase_consent");

// ---------------------------------------------------------------------------------------
// List indexes (schema v6). Lists page through these instead of decoding every record;
// each is written in the same transaction as its record and rebuilt for old data by
// `migrate_to_v6`. Ids are time-ordered (UUIDv7), so a reverse range over `(key, id)`
// is the list newest first. `kezhi check` verifies them both ways.

/// `(name suffix, volunteer id) → ()`: every suffix of a volunteer's normalised name
/// (`indexes::name_suffixes`), so a contained substring is a prefix of some suffix and one
/// range finds it. Kept by `people::put_volunteer_tx`
/// (and `put_new_volunteers_tx` for a batch of new records).
pub const NAMESUFFIX_VOLUNTEERS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("namesuffix_volunteers");

/// `(last four phone digits, volunteer id) → ()`: the 尾号 search. Kept by
/// `people::put_volunteer_tx` (and `put_new_volunteers_tx`).
pub const PHONETAIL_VOLUNTEERS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("phonetail_volunteers");

/// `(region code, volunteer id) → ()`: one entry per level (province, city, county) of
/// the volunteer's region. Kept by `people::put_volunteer_tx`
/// (and `put_new_volunteers_tx` for a batch of new records).
pub const REGION_VOLUNTEERS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("region_volunteers");

/// `(基层“三长” label, volunteer id) → ()`. Kept by `people::put_volunteer_tx`
/// (and `put_new_volunteers_tx` for a batch of new records).
pub const SANZHANG_VOLUNTEERS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("sanzhang_volunteers");

/// `(service category, volunteer id) → ()`. Kept by `people::put_volunteer_tx`
/// (and `put_new_volunteers_tx` for a batch of new records).
pub const CATEGORY_VOLUNTEERS: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("category_volunteers");

/// `(team id, volunteer id) → ()`: approved members only (the rows of
/// `TEAM_MEMBERS` in state Approved), for member counts and the team filter without
/// decoding. Kept by `memberships::put_membership_tx`.
pub const TEAM_VOLUNTEERS: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("team_volunteers");

/// `(status index, team id) → ()`: teams by status (`indexes::status_key`), so
/// the public list reads active teams newest first. Kept by `people::put_team_tx`.
pub const STATUS_TEAMS: TableDefinition<(u8, u128), ()> = TableDefinition::new("status_orgs");

/// `team id → name`: team names for filter menus without decoding every team.
/// Kept by `people::put_team_tx`.
pub const TEAM_NAMES: TableDefinition<u128, &str> = TableDefinition::new("org_names");

/// `(state index, activity id) → ()`: activities by state (draft / published /
/// cancelled), so the public list reads published ones newest first. Kept by
/// `activities::put_activity_tx`.
pub const STATE_ACTIVITIES: TableDefinition<(u8, u128), ()> =
    TableDefinition::new("state_activities");

/// `activity id → (seats held, waiting)`: counters of `activity_signups` by state, so a
/// card and the capacity check need not decode every signup. Kept by
/// `activities::put_signup_tx`.
pub const ACTIVITY_SEATS: TableDefinition<u128, (u32, u32)> =
    TableDefinition::new("activity_seats");

/// `(term, demand id) → ()`: what the demands list filters on (schema v7), one entry per
/// term of `demands::demand_terms`: each level of the region, each service category and
/// the state. The list walks the rarest term of a filter newest first and probes the
/// others, so a page decodes only the demands it shows. Kept by `demands::put_demand_tx`.
pub const TERM_DEMANDS: TableDefinition<(&str, u128), ()> = TableDefinition::new("term_demands");

/// `(term, activity id) → ()`: the public activity list's filters (schema v7, see
/// `terms`): region levels, service category, state. Kept by
/// `activities::put_activity_tx`.
pub const TERM_ACTIVITIES: TableDefinition<(&str, u128), ()> =
    TableDefinition::new("term_activities");

/// `(term, team id) → ()`: the team list's filters (schema v7, see `terms`): region
/// levels, service categories, status. Kept by `people::put_team_tx`.
pub const TERM_TEAMS: TableDefinition<(&str, u128), ()> = TableDefinition::new("term_teams");

/// `(action, sequence) → ()`: the audit log by action (schema v7), so a page filtered
/// by action decodes only its entries. Kept by `audit::append_tx`.
pub const ACTION_AUDIT: TableDefinition<(&str, u64), ()> = TableDefinition::new("action_audit");

/// `peer installation id → Peer`: laptops paired for network sync, each with the key of the
/// pair, the watermarks of both directions and the last request counter seen from it
/// (replay refusal). Kept by `peers.rs`. Created on first use, not by a migration: an
/// older store simply has no paired laptop, and `kezhi check` has no index to verify here.
pub const PEERS: TableDefinition<u128, &[u8]> = TableDefinition::new("sync_peers");
