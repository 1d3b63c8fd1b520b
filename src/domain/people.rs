//! Volunteers (科技志愿者, 附件2) and service teams (科技志愿服务组织, 附件1) as stored records.
//! Registration rules and forms build on these types.

use super::ids::Gid;
use super::regions::RegionPath;
use super::registration::{TeamFields, VolunteerFields};
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

impl Source {
    /// The Chinese label, for admins.
    pub fn label(self) -> &'static str {
        match self {
            Source::SelfRegistered => "本人注册",
            Source::Imported => "集体注册导入",
            Source::Merged => "其他电脑合并",
            Source::EnteredByTeam => "组织代为录入",
        }
    }
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

/// Whether a team may act. New variants go at the end: records are postcard-encoded by
/// variant index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamStatus {
    Active,
    /// Imported with an admin phone that has no volunteer yet (the notice's rule).
    WaitingForAdmin,
    Suspended,
    /// Registered by a visitor on a phone: not trusted until a platform admin reviews it
    /// (注册认证).
    PendingReview,
    /// A platform admin refused the registration (the reason is kept with the review); the
    /// admin may correct the data, which submits it again.
    Refused,
}

/// What a team admin is about to do, for [`TeamStatus::allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamPower {
    /// See the team's own page, edit its data, prepare draft activities.
    Prepare,
    /// Everything that reaches other people: publish, import, add or see members and
    /// volunteers, take demands, export, run activities.
    Act,
}

/// What a platform admin decides about a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamDecision {
    Approve,
    /// Needs a reason, which the team's admin sees.
    Refuse,
    Suspend,
    Reactivate,
}

impl TeamDecision {
    /// The decision named in a form (`approve`, `refuse`, `suspend`, `reactivate`).
    pub fn parse(s: &str) -> Option<TeamDecision> {
        Some(match s {
            "approve" => TeamDecision::Approve,
            "refuse" => TeamDecision::Refuse,
            "suspend" | "suspended" => TeamDecision::Suspend,
            "reactivate" | "active" => TeamDecision::Reactivate,
            _ => return None,
        })
    }

    /// Whether the team's admin must be told why.
    pub fn needs_reason(self) -> bool {
        self == TeamDecision::Refuse
    }
}

/// A platform admin's decision on a team (review or suspension), shown to its admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamReview {
    pub status: TeamStatus,
    pub reason: String,
    /// Who decided (the admin's username).
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A science & technology volunteer service team, with every 附件1 field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
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
    pub status: TeamStatus,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key under which team names are unique: trimmed, full-width folded to half-width,
/// inner whitespace removed, so "科普 服务队" and "科普服务队" are the same team.
pub fn team_name_key(name: &str) -> String {
    super::validate::normalize(name).to_lowercase()
}

/// At most this many approved teams per volunteer.
pub const MAX_TEAMS_PER_VOLUNTEER: usize = 5;

/// Where a volunteer stands with a team. New variants go at the end (postcard encodes the
/// variant index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipState {
    Applied,
    Approved,
    Rejected,
    Left,
    /// The team asked the volunteer to join; nothing is shared until they accept.
    Invited,
    /// The volunteer declined the team's invitation.
    Declined,
}

impl MembershipState {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            MembershipState::Applied => "待审核",
            MembershipState::Approved => "已加入",
            MembershipState::Rejected => "未通过",
            MembershipState::Left => "已退出",
            MembershipState::Invited => "已邀请，待本人同意",
            MembershipState::Declined => "本人已谢绝",
        }
    }
}

/// A volunteer's membership in a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub id: Gid,
    pub volunteer: Gid,
    /// Named `team` in bundles (the wire name from before the rename).
    #[serde(rename = "organization")]
    pub team: Gid,
    pub state: MembershipState,
    /// Added by the team admin rather than applied for by the volunteer.
    pub added_by_team: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TeamStatus {
    /// Every status, in the order the admin's filter lists them.
    pub const ALL: [TeamStatus; 5] = [
        TeamStatus::PendingReview,
        TeamStatus::Active,
        TeamStatus::WaitingForAdmin,
        TeamStatus::Refused,
        TeamStatus::Suspended,
    ];

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            TeamStatus::Active => "正常",
            TeamStatus::WaitingForAdmin => "等待管理员注册",
            TeamStatus::Suspended => "已暂停",
            TeamStatus::PendingReview => "待审核",
            TeamStatus::Refused => "未通过审核",
        }
    }

    /// Whether the team's admin may do `power` in this state. A suspended team's admin
    /// may do nothing; a team under review (or refused) may only prepare.
    pub fn allows(self, power: TeamPower) -> bool {
        match self {
            TeamStatus::Active => true,
            TeamStatus::PendingReview | TeamStatus::Refused | TeamStatus::WaitingForAdmin => {
                power == TeamPower::Prepare
            }
            TeamStatus::Suspended => false,
        }
    }

    /// Why the team's admin may not act, for the refusal page.
    pub fn refusal(self) -> &'static str {
        match self {
            TeamStatus::PendingReview => {
                "本组织正在等待平台管理员审核（注册认证）。审核通过前可以完善组织信息、准备活动草稿，但还不能发布活动、导入或添加成员、查看志愿者或承接需求。"
            }
            TeamStatus::Refused => {
                "本组织的注册没有通过审核。请按审核意见修改组织信息后重新提交，或联系县科协工作人员。"
            }
            TeamStatus::Suspended => {
                "本组织已被平台管理员暂停，暂停期间不能进行任何组织管理操作。如有疑问，请联系县科协工作人员。"
            }
            TeamStatus::WaitingForAdmin => "本组织还在等待管理员注册。",
            TeamStatus::Active => "",
        }
    }

    /// The status after a platform admin's `decision`; `admin_ready` says whether the admin
    /// phone has a confirmed volunteer. `Err` says why the decision does not apply.
    pub fn after(
        self,
        decision: TeamDecision,
        admin_ready: bool,
    ) -> Result<TeamStatus, &'static str> {
        let acting = if admin_ready {
            TeamStatus::Active
        } else {
            TeamStatus::WaitingForAdmin
        };
        match (decision, self) {
            (TeamDecision::Approve, TeamStatus::PendingReview | TeamStatus::Refused) => Ok(acting),
            (TeamDecision::Approve, _) => Err("这个组织不在待审核状态。"),
            (TeamDecision::Refuse, TeamStatus::PendingReview) => Ok(TeamStatus::Refused),
            (TeamDecision::Refuse, _) => Err("只有待审核的组织可以不通过审核。"),
            (TeamDecision::Suspend, TeamStatus::Suspended) => Err("这个组织已经是暂停状态。"),
            (TeamDecision::Suspend, _) => Ok(TeamStatus::Suspended),
            // Reactivating is the platform admin's approval, also of a team never reviewed.
            (TeamDecision::Reactivate, TeamStatus::Suspended) => Ok(acting),
            (TeamDecision::Reactivate, _) => Err("这个组织没有被暂停。"),
        }
    }

    /// Whether the team and its published activities are shown to the public.
    pub fn is_public(self) -> bool {
        self == TeamStatus::Active
    }
}

/// Record fields common to a new volunteer, besides what the person typed.
pub struct NewVolunteer {
    pub origin: Gid,
    pub now: DateTime<Utc>,
    pub source: Source,
    pub confirmed: bool,
    pub consent: Option<Consent>,
}

impl Volunteer {
    /// A new volunteer record from checked fields.
    pub fn from_fields(f: VolunteerFields, n: NewVolunteer) -> Volunteer {
        Volunteer {
            id: Gid::new(),
            origin: n.origin,
            real_name: f.real_name,
            phone: f.phone,
            gender: f.gender,
            id_number: f.id.number,
            birth_date: f.id.birth_date,
            political_status: f.political_status,
            ethnicity: f.ethnicity,
            employer: f.employer,
            title_level: f.title_level,
            education: f.education,
            occupation: f.occupation,
            region: f.region,
            service_categories: f.service_categories,
            service_fields: f.service_fields,
            sanzhang: f.sanzhang,
            password_hash: None,
            consent: n.consent,
            source: n.source,
            legacy: false,
            confirmed: n.confirmed,
            created_at: n.now,
            updated_at: n.now,
        }
    }

    /// Apply checked fields to a stored volunteer. Phone and ID number are kept: they
    /// change through their own flows.
    pub fn apply(&mut self, f: VolunteerFields, now: DateTime<Utc>) {
        self.real_name = f.real_name;
        self.gender = f.gender;
        self.political_status = f.political_status;
        self.ethnicity = f.ethnicity;
        self.employer = f.employer;
        self.title_level = f.title_level;
        self.education = f.education;
        self.occupation = f.occupation;
        self.region = f.region;
        self.service_categories = f.service_categories;
        self.service_fields = f.service_fields;
        self.sanzhang = f.sanzhang;
        self.updated_at = now;
    }
}

impl Team {
    /// A new team record from checked fields (active; the store makes it wait for its
    /// admin when that phone has no confirmed volunteer).
    pub fn from_fields(f: TeamFields, origin: Gid, now: DateTime<Utc>, source: Source) -> Team {
        Team {
            id: Gid::new(),
            origin,
            name: f.org_name,
            admin_phone: f.admin_phone,
            mca_registered: f.mca_registered,
            supervisor_type: f.supervisor_type,
            supervisor_name: f.supervisor_name,
            founded_on: f.founded_on,
            service_categories: f.service_categories,
            region: f.region,
            leader_name: f.leader_name,
            leader_title: f.leader_title,
            leader_org: f.leader_org,
            leader_phone: f.leader_phone,
            description: f.description,
            status: TeamStatus::Active,
            source,
            created_at: now,
            updated_at: now,
        }
    }

    /// A team registered by a visitor on a phone: it waits for a platform admin's review
    /// (注册认证) before it may act.
    pub fn self_registered(f: TeamFields, origin: Gid, now: DateTime<Utc>) -> Team {
        Team {
            status: TeamStatus::PendingReview,
            ..Team::from_fields(f, origin, now, Source::SelfRegistered)
        }
    }

    /// Apply checked fields to a stored team. The admin phone is kept unless `admin_phone`
    /// is set (an import may move a team to a new admin).
    pub fn apply(&mut self, f: TeamFields, now: DateTime<Utc>, admin_phone: bool) {
        self.name = f.org_name;
        if admin_phone {
            self.admin_phone = f.admin_phone;
        }
        self.mca_registered = f.mca_registered;
        self.supervisor_type = f.supervisor_type;
        self.supervisor_name = f.supervisor_name;
        self.founded_on = f.founded_on;
        self.service_categories = f.service_categories;
        self.region = f.region;
        self.leader_name = f.leader_name;
        self.leader_title = f.leader_title;
        self.leader_org = f.leader_org;
        self.leader_phone = f.leader_phone;
        if !f.description.is_empty() {
            self.description = f.description;
        }
        self.updated_at = now;
    }
}
