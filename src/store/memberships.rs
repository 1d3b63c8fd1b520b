//! Team memberships: applications, decisions, leaving, and additions by a team admin.
//! The five-team limit is checked inside the write transaction.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::indexes::{VolunteerRow, volunteer_row};
use super::people::{team_tx, volunteer_tx};
use super::tables::{TEAM_MEMBERS, VOLUNTEER_TEAMS, VOLUNTEERS};
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use crate::domain::people::{
    MAX_TEAMS_PER_VOLUNTEER, Membership, MembershipState, Team, TeamPower, Volunteer,
};
use crate::domain::refusal::{Refusal, Subject};
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};

/// A member of a team, with their record.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub membership: Membership,
    pub volunteer: Volunteer,
}

/// A team a volunteer has a membership in.
#[derive(Debug, Clone)]
pub struct TeamRow {
    pub membership: Membership,
    pub team: Team,
}

pub(super) fn membership_tx(
    tx: &WriteTransaction,
    org: Gid,
    vol: Gid,
) -> Result<Option<Membership>, StoreError> {
    let t = tx.open_table(TEAM_MEMBERS)?;
    let v = t.get((org.0, vol.0))?;
    Ok(match v {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

pub(super) fn put_membership_tx(tx: &WriteTransaction, m: &Membership) -> Result<(), StoreError> {
    tx.open_table(TEAM_MEMBERS)?
        .insert((m.team.0, m.volunteer.0), encode(m).as_slice())?;
    tx.open_table(VOLUNTEER_TEAMS)?
        .insert((m.volunteer.0, m.team.0), ())?;
    super::indexes::put_membership_keys_tx(tx, m)?;
    changes::record_tx(tx, ChangeKind::Membership, m.id)?;
    Ok(())
}

fn approved_count_tx(tx: &WriteTransaction, vol: Gid) -> Result<usize, StoreError> {
    let orgs: Vec<u128> = {
        let t = tx.open_table(VOLUNTEER_TEAMS)?;
        let mut v = Vec::new();
        for row in t.range((vol.0, 0u128)..=(vol.0, u128::MAX))? {
            v.push(row?.0.value().1);
        }
        v
    };
    let mut n = 0;
    for org in orgs {
        if membership_tx(tx, Gid(org), vol)?.is_some_and(|m| m.state == MembershipState::Approved) {
            n += 1;
        }
    }
    Ok(n)
}

fn check_team_acts(tx: &WriteTransaction, org: Gid) -> Result<Team, StoreError> {
    let o = team_tx(tx, org)?.ok_or(StoreError::NotFound)?;
    if !o.status.allows(TeamPower::Act) {
        return Err(StoreError::Refused(Refusal::TeamNotAcceptingMembers));
    }
    Ok(o)
}

impl Store {
    /// A volunteer applies to join a team. Refused when already a member or applicant, at
    /// the five-team limit, or when the team is suspended.
    pub fn apply_to_team(&self, vol: Gid, org: Gid, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|tx| {
            check_team_acts(tx, org)?;
            volunteer_tx(tx, vol)?.ok_or(StoreError::NotFound)?;
            let existing = membership_tx(tx, org, vol)?;
            match existing.as_ref().map(|m| m.state) {
                Some(MembershipState::Applied) => {
                    return Err(StoreError::Refused(Refusal::AlreadyApplied));
                }
                Some(MembershipState::Approved) => {
                    return Err(StoreError::Refused(Refusal::AlreadyMember(Subject::You)));
                }
                _ => {}
            }
            if approved_count_tx(tx, vol)? >= MAX_TEAMS_PER_VOLUNTEER {
                return Err(StoreError::Refused(Refusal::TeamLimit(Subject::You)));
            }
            put_membership_tx(
                tx,
                &Membership {
                    id: existing.as_ref().map(|m| m.id).unwrap_or_default(),
                    volunteer: vol,
                    team: org,
                    state: MembershipState::Applied,
                    added_by_team: false,
                    created_at: existing.map(|m| m.created_at).unwrap_or(now),
                    updated_at: now,
                },
            )
        })
    }

    /// The team admin approves or rejects an application.
    pub fn decide_application(
        &self,
        org: Gid,
        vol: Gid,
        approve: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            settle_tx(
                tx,
                (org, vol),
                (
                    MembershipState::Applied,
                    Refusal::ApplicationAlreadyAnswered,
                ),
                Refusal::TeamLimit(Subject::TheVolunteer),
                if approve {
                    MembershipState::Approved
                } else {
                    MembershipState::Rejected
                },
                now,
            )
        })
    }

    /// The team admin adds an existing volunteer directly.
    pub fn add_member(&self, org: Gid, vol: Gid, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|tx| {
            check_team_acts(tx, org)?;
            volunteer_tx(tx, vol)?.ok_or(StoreError::NotFound)?;
            if add_member_tx(tx, org, vol, now)? {
                Ok(())
            } else {
                Err(StoreError::Refused(Refusal::AlreadyMember(
                    Subject::TheVolunteer,
                )))
            }
        })
    }

    /// The team invites an existing volunteer. The volunteer decides on their own page;
    /// someone who already applied has consented, so the invitation approves them.
    /// Returns the resulting state.
    pub fn invite_member(
        &self,
        org: Gid,
        vol: Gid,
        now: DateTime<Utc>,
    ) -> Result<MembershipState, StoreError> {
        self.write(|tx| {
            check_team_acts(tx, org)?;
            volunteer_tx(tx, vol)?.ok_or(StoreError::NotFound)?;
            invite_member_tx(tx, org, vol, now)
        })
    }

    /// The volunteer accepts or declines a team's invitation. Accepting is refused at the
    /// five-team limit, like an application.
    pub fn answer_invitation(
        &self,
        vol: Gid,
        org: Gid,
        accept: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            settle_tx(
                tx,
                (org, vol),
                (MembershipState::Invited, Refusal::InvitationAlreadyAnswered),
                Refusal::TeamLimit(Subject::You),
                if accept {
                    MembershipState::Approved
                } else {
                    MembershipState::Declined
                },
                now,
            )
        })
    }

    /// A team admin enters a new volunteer (unconfirmed until the person claims the
    /// record) who joins the team at once — both or neither.
    pub fn enter_volunteer_for_team(
        &self,
        v: &Volunteer,
        org: Gid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            check_team_acts(tx, org)?;
            super::people::put_volunteer_tx(tx, v, None)?;
            put_membership_tx(
                tx,
                &Membership {
                    id: Gid::new(),
                    volunteer: v.id,
                    team: org,
                    state: MembershipState::Approved,
                    added_by_team: true,
                    created_at: now,
                    updated_at: now,
                },
            )
        })
    }

    /// A volunteer leaves a team (or withdraws an application).
    pub fn leave_team(&self, vol: Gid, org: Gid, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut m = membership_tx(tx, org, vol)?.ok_or(StoreError::NotFound)?;
            if !matches!(
                m.state,
                MembershipState::Approved | MembershipState::Applied
            ) {
                return Err(StoreError::Refused(Refusal::NotInTeam));
            }
            m.state = MembershipState::Left;
            m.updated_at = now;
            put_membership_tx(tx, &m)
        })
    }

    /// A volunteer's membership in a team, if any.
    pub fn membership(&self, org: Gid, vol: Gid) -> Result<Option<Membership>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_MEMBERS)?;
            Ok(match t.get((org.0, vol.0))? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// Everyone with a membership row in a team, with their records (one read
    /// transaction for the memberships and the records).
    pub fn members_of(&self, org: Gid) -> Result<Vec<MemberRow>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_MEMBERS)?;
            let vols = tx.open_table(VOLUNTEERS)?;
            let mut rows = Vec::new();
            for row in t.range((org.0, 0u128)..=(org.0, u128::MAX))? {
                let m: Membership = decode(row?.1.value())?;
                if let Some(v) = vols.get(m.volunteer.0)? {
                    rows.push(MemberRow {
                        volunteer: decode(v.value())?,
                        membership: m,
                    });
                }
            }
            Ok(rows)
        })
    }

    /// The memberships of a team in `state`, with each person as a list row (the fields
    /// the members page shows, decoded without the rest of the record). Only the people
    /// in that state are decoded: the page asks for the applications; its approved
    /// members are paged through `volunteer_page` with the team filter.
    pub fn member_lines_of(
        &self,
        org: Gid,
        state: MembershipState,
    ) -> Result<Vec<(Membership, VolunteerRow)>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(TEAM_MEMBERS)?;
            let vols = tx.open_table(VOLUNTEERS)?;
            let mut rows = Vec::new();
            for row in t.range((org.0, 0u128)..=(org.0, u128::MAX))? {
                let m: Membership = decode(row?.1.value())?;
                if m.state != state {
                    continue;
                }
                if let Some(v) = vols.get(m.volunteer.0)? {
                    rows.push((m, volunteer_row(v.value())?));
                }
            }
            Ok(rows)
        })
    }

    /// Every team a volunteer has a membership row in.
    pub fn teams_of(&self, vol: Gid) -> Result<Vec<TeamRow>, StoreError> {
        let orgs: Vec<u128> = self.read(|tx| {
            let t = tx.open_table(VOLUNTEER_TEAMS)?;
            let mut v = Vec::new();
            for row in t.range((vol.0, 0u128)..=(vol.0, u128::MAX))? {
                v.push(row?.0.value().1);
            }
            Ok::<_, StoreError>(v)
        })?;
        let mut rows = Vec::new();
        for org in orgs {
            let (Some(m), Some(o)) = (self.membership(Gid(org), vol)?, self.team(Gid(org))?) else {
                continue;
            };
            rows.push(TeamRow {
                membership: m,
                team: o,
            });
        }
        Ok(rows)
    }
}

/// Make `vol` an approved member of `org`, added by the team. `Ok(false)` when already a
/// member; `Refused` at the five-team limit.
pub(super) fn add_member_tx(
    tx: &WriteTransaction,
    org: Gid,
    vol: Gid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let existing = membership_tx(tx, org, vol)?;
    if existing
        .as_ref()
        .is_some_and(|m| m.state == MembershipState::Approved)
    {
        return Ok(false);
    }
    if approved_count_tx(tx, vol)? >= MAX_TEAMS_PER_VOLUNTEER {
        return Err(StoreError::Refused(Refusal::TeamLimit(
            Subject::TheVolunteer,
        )));
    }
    put_membership_tx(
        tx,
        &Membership {
            id: existing.as_ref().map(|m| m.id).unwrap_or_default(),
            volunteer: vol,
            team: org,
            state: MembershipState::Approved,
            added_by_team: true,
            created_at: existing.map(|m| m.created_at).unwrap_or(now),
            updated_at: now,
        },
    )?;
    Ok(true)
}

/// Invite `vol` to `org` inside a write: an applicant is approved (they asked to join), a
/// member is left alone, anyone else gets a pending invitation. Returns the state reached.
pub(super) fn invite_member_tx(
    tx: &WriteTransaction,
    org: Gid,
    vol: Gid,
    now: DateTime<Utc>,
) -> Result<MembershipState, StoreError> {
    let existing = membership_tx(tx, org, vol)?;
    let state = match existing.as_ref().map(|m| m.state) {
        Some(MembershipState::Approved) => {
            return Err(StoreError::Refused(Refusal::AlreadyMember(
                Subject::TheVolunteer,
            )));
        }
        Some(MembershipState::Invited) => {
            return Err(StoreError::Refused(Refusal::AlreadyInvited));
        }
        _ if approved_count_tx(tx, vol)? >= MAX_TEAMS_PER_VOLUNTEER => {
            return Err(StoreError::Refused(Refusal::TeamLimit(
                Subject::TheVolunteer,
            )));
        }
        Some(MembershipState::Applied) => MembershipState::Approved,
        _ => MembershipState::Invited,
    };
    put_membership_tx(
        tx,
        &Membership {
            id: existing.as_ref().map(|m| m.id).unwrap_or_default(),
            volunteer: vol,
            team: org,
            state,
            added_by_team: true,
            created_at: existing.map(|m| m.created_at).unwrap_or(now),
            updated_at: now,
        },
    )?;
    Ok(state)
}

/// The team's admin is a member of their own team from the moment both exist. The team
/// counts as one of the admin's five; `Refused` at the limit when `enforce_limit` (a new
/// registration), otherwise the membership is skipped (an import or a late admin, where the
/// team must not be lost). `Ok(true)` when a membership was written.
pub(super) fn admin_membership_tx(
    tx: &WriteTransaction,
    org: Gid,
    vol: Gid,
    now: DateTime<Utc>,
    enforce_limit: bool,
) -> Result<bool, StoreError> {
    let existing = membership_tx(tx, org, vol)?;
    if existing
        .as_ref()
        .is_some_and(|m| m.state == MembershipState::Approved)
    {
        return Ok(false);
    }
    if approved_count_tx(tx, vol)? >= MAX_TEAMS_PER_VOLUNTEER {
        return if enforce_limit {
            Err(StoreError::Refused(Refusal::TeamLimit(Subject::You)))
        } else {
            Ok(false)
        };
    }
    put_membership_tx(
        tx,
        &Membership {
            id: existing.as_ref().map(|m| m.id).unwrap_or_default(),
            volunteer: vol,
            team: org,
            state: MembershipState::Approved,
            added_by_team: false,
            created_at: existing.map(|m| m.created_at).unwrap_or(now),
            updated_at: now,
        },
    )?;
    Ok(true)
}

/// Move a pending membership (an application or an invitation) to its answer: refused when
/// it is no longer in `pending.0` (with `pending.1`); an approval also when the team may not
/// take members, or with `limit` when it would pass the five-team limit.
fn settle_tx(
    tx: &WriteTransaction,
    (org, vol): (Gid, Gid),
    pending: (MembershipState, Refusal),
    limit: Refusal,
    answer: MembershipState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut m = membership_tx(tx, org, vol)?.ok_or(StoreError::NotFound)?;
    if m.state != pending.0 {
        return Err(StoreError::Refused(pending.1));
    }
    if answer == MembershipState::Approved {
        check_team_acts(tx, org)?;
        if approved_count_tx(tx, vol)? >= MAX_TEAMS_PER_VOLUNTEER {
            return Err(StoreError::Refused(limit));
        }
    }
    m.state = answer;
    m.updated_at = now;
    put_membership_tx(tx, &m)
}
