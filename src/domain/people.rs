//! Volunteers (科技志愿者, 附件2) and service teams (科技志愿服务组织, 附件1) as stored records.
//! Registration rules and forms build on these types.

use super::ids::Gid;
use super::regions::RegionPath;
use super::validate::Gender;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a record came into this installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The person registered on a phone or at the desk.
    SelfRegistered,
    /// From an 附件1 / 附件2 upload.
    Imported,
    /// From another laptop's bundle.
    Merged,
    /// Typed in by a team admin for someone at the desk.
    EnteredByTeam,
}

/// The registration agreement a volunteer accepted, and for minors their guardian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub accepted_at: DateTime<Utc>,
    /// How consent was given: "self" on a phone, or "collective" through a unit's form.
    pub how: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
}

/// A science & technology volunteer, with every 附件2 field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volunteer {
    pub id: Gid,
    /// The installation that created this record (for merging bundles).
    pub origin: Gid,
    pub real_name: String,
    pub phone: String,
    pub gender: Gender,
    pub id_number: String,
    pub birth_date: NaiveDate,
    pub political_status: String,
    pub ethnicity: String,
    pub employer: String,
    pub title_level: String,
    pub education: String,
    pub occupation: String,
    pub region: RegionPath,
    pub service_categories: Vec<String>,
    pub service_fields: Vec<String>,
    pub sanzhang: String,
    pub password_hash: Option<String>,
    pub consent: Option<Consent>,
    pub source: Source,
    /// Carried over from the old volunteer system (原科技志愿者信息系统).
    pub legacy: bool,
    /// Whether the person has reviewed and confirmed the data themself. Records entered by
    /// a team, an import or the legacy system start unconfirmed: the person claims them by
    /// signing in with the phone and must confirm before doing anything else.
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether a team may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgStatus {
    Active,
    /// Imported with an admin phone that has no volunteer yet (the notice's rule).
    WaitingForAdmin,
    Suspended,
}

/// A science & technology volunteer service team, with every 附件1 field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: Gid,
    pub origin: Gid,
    pub name: String,
    pub admin_phone: String,
    pub mca_registered: bool,
    pub supervisor_type: String,
    pub supervisor_name: String,
    pub founded_on: NaiveDate,
    pub service_categories: Vec<String>,
    pub region: RegionPath,
    pub leader_name: Option<String>,
    pub leader_title: Option<String>,
    pub leader_org: Option<String>,
    pub leader_phone: Option<String>,
    pub description: String,
    pub status: OrgStatus,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key under which team names are unique: trimmed, full-width folded to half-width,
/// inner whitespace removed, so "科普 服务队" and "科普服务队" are the same team.
pub fn org_name_key(name: &str) -> String {
    super::validate::normalize(name).to_lowercase()
}

/// At most this many approved teams per volunteer.
pub const MAX_TEAMS_PER_VOLUNTEER: usize = 5;

/// Where a volunteer stands with a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipState {
    Applied,
    Approved,
    Rejected,
    Left,
}

impl MembershipState {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            MembershipState::Applied => "待审核",
            MembershipState::Approved => "已加入",
            MembershipState::Rejected => "未通过",
            MembershipState::Left => "已退出",
        }
    }
}

/// A volunteer's membership in a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub id: Gid,
    pub volunteer: Gid,
    pub organization: Gid,
    pub state: MembershipState,
    /// Added by the team admin rather than applied for by the volunteer.
    pub added_by_team: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrgStatus {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            OrgStatus::Active => "正常",
            OrgStatus::WaitingForAdmin => "等待管理员注册",
            OrgStatus::Suspended => "已暂停",
        }
    }
}
