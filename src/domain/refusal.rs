//! Why a write was refused, as data. Rules in `domain` and checks the store makes inside a
//! transaction return a `Refusal`; its `Display` is the one place that turns it into the
//! sentence the user reads, so the store holds no user-facing text and one rule has one
//! wording wherever it is hit (the five-team limit used to have three).

use super::people::MAX_TEAMS_PER_VOLUNTEER;
use std::fmt;

/// Who a limit is about: the person reading, or a volunteer a team admin acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    You,
    TheVolunteer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    // Signing up for an activity.
    /// A draft: the store answers "not found", as for an activity that does not exist.
    NotPublished,
    AlreadySignedUp,
    AlreadyWaitlisted,
    ActivityCancelled,
    SignupNotOpenYet,
    SignupClosed,
    ActivityFull,
    NotSignedUp,
    ActivityStarted,
    // Being there: check-in, check-out, attendance and hours.
    CheckinWithoutSignup,
    OutsideCheckinWindow,
    AlreadyCheckedIn,
    OutsideCheckoutWindow,
    NotCheckedIn,
    AlreadyCheckedOut,
    AttendanceWithoutSignup,
    AttendanceTooEarly,
    HoursWithoutAttendance,
    // Teams and their members.
    TeamNotAcceptingMembers,
    AlreadyApplied,
    AlreadyMember(Subject),
    AlreadyInvited,
    NotInTeam,
    TeamLimit(Subject),
    ApplicationAlreadyAnswered,
    InvitationAlreadyAnswered,
    /// A platform admin's decision that does not apply to the team's status; the rule
    /// (`TeamStatus::after`) says why.
    ReviewNotApplicable(&'static str),
    TeamImportNeedsPlatformAdmin,
    // Certificates.
    NoRecordedHours,
    // Demands.
    DemandAlreadyTaken,
    DemandNotTaken,
    // Bundles.
    ConflictAlreadyResolved,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = MAX_TEAMS_PER_VOLUNTEER;
        let text = match self {
            Refusal::NotPublished => "找不到这个活动。",
            Refusal::AlreadySignedUp => "您已经报名了这个活动，不需要重复报名。",
            Refusal::AlreadyWaitlisted => "您已在候补名单中，有空位时会自动转为已报名。",
            Refusal::ActivityCancelled => "这个活动已取消，不能报名。",
            Refusal::SignupNotOpenYet => "报名还没有开始，请在报名开始后再来。",
            Refusal::SignupClosed => "报名已经截止，不能再报名了。",
            Refusal::ActivityFull => "名额已满。您可以加入候补名单，有人取消时按先后顺序递补。",
            Refusal::NotSignedUp => "您没有报名这个活动。",
            Refusal::ActivityStarted => {
                "活动已经开始，不能取消报名。如不能参加，请联系活动联系人。"
            }
            Refusal::CheckinWithoutSignup => "您没有报名这个活动，不能签到。",
            Refusal::OutsideCheckinWindow => "现在不在签到时间内（活动开始前1小时至活动结束）。",
            Refusal::AlreadyCheckedIn => "您已经签到过了。",
            Refusal::OutsideCheckoutWindow => "现在不在签退时间内（活动开始后至结束后3小时）。",
            Refusal::NotCheckedIn => "请先签到。",
            Refusal::AlreadyCheckedOut => "您已经签退过了。",
            Refusal::AttendanceWithoutSignup => "只能为已报名的志愿者登记到场情况。",
            Refusal::AttendanceTooEarly => "活动还没有开始，不能登记到场情况。",
            Refusal::HoursWithoutAttendance => "只能为已参加的志愿者记录服务时长。",
            Refusal::TeamNotAcceptingMembers => "该组织目前不能接收新成员（正在审核或已被暂停）。",
            Refusal::AlreadyApplied => "您已申请加入该组织，请等待组织管理员审核。",
            Refusal::AlreadyMember(Subject::You) => "您已经是该组织的成员。",
            Refusal::AlreadyMember(Subject::TheVolunteer) => "这位志愿者已经是本组织成员。",
            Refusal::AlreadyInvited => "已经邀请过这位志愿者，正在等待本人同意。",
            Refusal::NotInTeam => "您不在这个组织中。",
            Refusal::TeamLimit(Subject::You) => {
                return write!(
                    f,
                    "您已加入 {max} 个组织（自己管理的组织也算在内），每位志愿者最多加入 {max} 个组织。\
                     请先在“志愿者信息”中退出一个组织，再加入或注册新的组织。"
                );
            }
            Refusal::TeamLimit(Subject::TheVolunteer) => {
                return write!(
                    f,
                    "这位志愿者已加入 {max} 个组织（每位志愿者最多加入 {max} 个组织），不能再加入本组织。"
                );
            }
            Refusal::ApplicationAlreadyAnswered => "这条申请已经处理过了。",
            Refusal::InvitationAlreadyAnswered => "这条邀请已经处理过了。",
            Refusal::ReviewNotApplicable(why) => why,
            Refusal::TeamImportNeedsPlatformAdmin => "只有平台管理员可以导入组织。",
            Refusal::NoRecordedHours => "还没有已记录的服务时长，暂时不能开具证明。",
            Refusal::DemandAlreadyTaken => "这个需求已经有组织承接了。",
            Refusal::DemandNotTaken => "只有已承接的需求可以标记为完成。",
            Refusal::ConflictAlreadyResolved => "这个冲突已经处理过了。",
        };
        f.write_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_team_limit_has_one_wording_per_subject_naming_the_limit() {
        let you = Refusal::TeamLimit(Subject::You).to_string();
        let them = Refusal::TeamLimit(Subject::TheVolunteer).to_string();
        assert!(you.contains("已加入 5 个组织") && you.contains("最多加入 5 个组织"));
        assert!(them.contains("这位志愿者已加入 5 个组织"));
    }
}
