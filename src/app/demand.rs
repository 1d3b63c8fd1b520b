//! Demands (服务需求) as use cases: who could answer one (volunteers and teams, nearest and
//! best fitting first), a team taking it, and reporting it done. Matching rules are in
//! `domain::demand`; state changes are one transaction each.

use crate::domain::demand::{Demand, fit_order, team_fit, volunteer_fit};
use crate::domain::ids::Gid;
use crate::domain::people::{Team, TeamStatus, Volunteer};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How many matching volunteers and teams a demand page shows.
pub const VOLUNTEER_MATCHES: usize = 50;
pub const TEAM_MATCHES: usize = 20;

/// A volunteer who fits, with (nearness, shared categories, is 三长).
pub struct VolunteerMatch {
    pub fit: (u8, usize, bool),
    pub volunteer: Volunteer,
}

/// An active team that serves one of the demand's categories, with its nearness.
pub struct TeamMatch {
    pub nearness: u8,
    pub team: Team,
}

/// The best fitting volunteers for a demand, best first.
pub fn matching_volunteers(store: &Store, d: &Demand) -> Result<Vec<VolunteerMatch>, StoreError> {
    let mut found: Vec<VolunteerMatch> = store
        .volunteers()?
        .into_iter()
        .filter_map(|v| {
            let fit = volunteer_fit(
                d,
                &v.region,
                &v.service_categories,
                &v.service_fields,
                &v.sanzhang,
            )?;
            Some(VolunteerMatch { fit, volunteer: v })
        })
        .collect();
    found.sort_by_key(|m| fit_order(&m.fit));
    found.truncate(VOLUNTEER_MATCHES);
    Ok(found)
}

/// The nearest active teams that serve one of the demand's categories.
pub fn matching_teams(store: &Store, d: &Demand) -> Result<Vec<TeamMatch>, StoreError> {
    let mut found: Vec<TeamMatch> = store
        .teams()?
        .into_iter()
        .filter(|o| o.status == TeamStatus::Active)
        .filter_map(|o| {
            let nearness = team_fit(d, &o.region, &o.service_categories)?;
            Some(TeamMatch { nearness, team: o })
        })
        .collect();
    found.sort_by_key(|m| std::cmp::Reverse(m.nearness));
    found.truncate(TEAM_MATCHES);
    Ok(found)
}

/// `team` takes the open demand `id`.
pub fn take(store: &Store, id: Gid, team: Gid, now: DateTime<Utc>) -> Result<Demand, StoreError> {
    store.update_demand(id, |d| d.take(team, now))
}

/// The demand `id` is done.
pub fn finish(store: &Store, id: Gid, now: DateTime<Utc>) -> Result<Demand, StoreError> {
    store.update_demand(id, |d| d.finish(now))
}
