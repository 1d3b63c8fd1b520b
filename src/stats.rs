//! The statistics showcase: live figures computed from the store, cached until the next
//! change (the changes log's position), so a page stays fast with 100,000 volunteers.

use crate::domain::activity::SignupState;
use crate::domain::regions;
use crate::domain::validate::age_on;
use crate::store::{Store, StoreError};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A labelled count, in display order.
pub type Series = Vec<(String, u64)>;

/// Every figure of the showcase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub teams: u64,
    pub volunteers: u64,
    pub activities: u64,
    /// Recorded service hours, in half hours.
    pub half_hours: u64,
    pub volunteers_by_county: Series,
    pub teams_by_county: Series,
    pub volunteers_by_category: Series,
    pub volunteers_by_field: Series,
    pub activities_by_month: Series,
    pub hours_by_month: Series,
    pub sanzhang: Series,
    pub gender: Series,
    pub age_bands: Series,
    /// Service demands by state (待对接 / 已对接 / 已完成).
    pub demands: Series,
}

/// "四平市 铁西区": the province is left out, so chart labels stay short.
fn county_name(r: &regions::RegionPath) -> String {
    let full = regions::full_name(r.county.as_deref().unwrap_or(&r.city));
    let parts: Vec<&str> = full.split(' ').collect();
    parts[parts.len().saturating_sub(2)..].join(" ")
}

fn sorted_desc(map: BTreeMap<String, u64>) -> Series {
    let mut v: Series = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Compute every figure from the store (`today` for ages and the last 12 months).
pub fn compute(store: &Store, today: NaiveDate) -> Result<Stats, StoreError> {
    let mut s = Stats::default();
    let vols = store.volunteers()?;
    s.volunteers = vols.len() as u64;
    let mut by_county = BTreeMap::new();
    let mut cats: BTreeMap<String, u64> = crate::domain::dict::service_categories()
        .names()
        .into_iter()
        .map(|n| (n.to_string(), 0))
        .collect();
    let mut fields: BTreeMap<String, u64> = crate::domain::dict::service_fields()
        .names()
        .into_iter()
        .map(|n| (n.to_string(), 0))
        .collect();
    let mut sanzhang: BTreeMap<String, u64> = BTreeMap::new();
    let mut gender: BTreeMap<String, u64> = BTreeMap::new();
    let bands = ["18岁以下", "18–35岁", "36–45岁", "46–60岁", "60岁以上"];
    let mut ages = [0u64; 5];
    for v in &vols {
        *by_county.entry(county_name(&v.region)).or_insert(0) += 1;
        for c in &v.service_categories {
            *cats.entry(c.clone()).or_insert(0) += 1;
        }
        for f in &v.service_fields {
            *fields.entry(f.clone()).or_insert(0) += 1;
        }
        if v.sanzhang != "否" {
            *sanzhang.entry(v.sanzhang.clone()).or_insert(0) += 1;
        }
        *gender.entry(v.gender.label().to_string()).or_insert(0) += 1;
        let age = age_on(v.birth_date, today);
        let band = match age {
            0..=17 => 0,
            18..=35 => 1,
            36..=45 => 2,
            46..=60 => 3,
            _ => 4,
        };
        ages[band] += 1;
    }
    s.volunteers_by_county = sorted_desc(by_county);
    s.volunteers_by_category = crate::domain::dict::service_categories()
        .names()
        .into_iter()
        .map(|n| (n.to_string(), cats.get(n).copied().unwrap_or(0)))
        .collect();
    s.volunteers_by_field = crate::domain::dict::service_fields()
        .names()
        .into_iter()
        .map(|n| (n.to_string(), fields.get(n).copied().unwrap_or(0)))
        .collect();
    s.sanzhang = crate::domain::dict::sanzhang()
        .names()
        .into_iter()
        .filter(|n| *n != "否")
        .map(|n| (n.to_string(), sanzhang.get(n).copied().unwrap_or(0)))
        .collect();
    s.gender = ["男", "女"]
        .iter()
        .map(|g| (g.to_string(), gender.get(*g).copied().unwrap_or(0)))
        .collect();
    s.age_bands = bands
        .iter()
        .zip(ages)
        .map(|(b, n)| (b.to_string(), n))
        .collect();

    let teams = store.organizations()?;
    s.teams = teams.len() as u64;
    let mut tc = BTreeMap::new();
    for o in &teams {
        *tc.entry(county_name(&o.region)).or_insert(0) += 1;
    }
    s.teams_by_county = sorted_desc(tc);

    // The last 12 months, oldest first.
    let months: Vec<(i32, u32)> = (0..12)
        .rev()
        .map(|back| {
            let m0 = today.year() * 12 + today.month0() as i32 - back;
            (m0.div_euclid(12), (m0.rem_euclid(12) + 1) as u32)
        })
        .collect();
    let mut acts = vec![0u64; 12];
    let mut hours = vec![0u64; 12];
    let activities = store.activities()?;
    s.activities = activities
        .iter()
        .filter(|a| a.state == crate::domain::activity::ActivityState::Published)
        .count() as u64;
    let mut month_of = BTreeMap::new();
    for a in &activities {
        if a.state != crate::domain::activity::ActivityState::Published {
            continue;
        }
        let key = (a.starts_at.year(), a.starts_at.month());
        month_of.insert(a.id, key);
        if let Some(i) = months.iter().position(|m| *m == key) {
            acts[i] += 1;
        }
    }
    for sg in store.all_signups()? {
        if let (SignupState::Attended, Some(h)) = (sg.state, sg.half_hours) {
            s.half_hours += h as u64;
            if let Some(i) = month_of
                .get(&sg.activity)
                .and_then(|k| months.iter().position(|m| m == k))
            {
                hours[i] += h as u64;
            }
        }
    }
    let mut by_state = [0u64; 3];
    for d in store.demands()? {
        by_state[d.state as usize] += 1;
    }
    s.demands = [
        crate::domain::demand::DemandState::Open,
        crate::domain::demand::DemandState::Taken,
        crate::domain::demand::DemandState::Done,
    ]
    .iter()
    .zip(by_state)
    .map(|(st, n)| (st.label().to_string(), n))
    .collect();
    s.activities_by_month = months
        .iter()
        .zip(acts)
        .map(|((y, m), n)| (format!("{y}年{m}月"), n))
        .collect();
    s.hours_by_month = months
        .iter()
        .zip(hours)
        .map(|((y, m), n)| (format!("{y}年{m}月"), n / 2))
        .collect();
    Ok(s)
}

/// Figures cached until the store changes.
#[derive(Default)]
pub struct StatsCache {
    cached: Mutex<Option<(u64, NaiveDate, Stats)>>,
}

impl StatsCache {
    /// The figures, computed again only when the changes log moved or the day changed.
    pub fn get(&self, store: &Store, today: NaiveDate) -> Result<Stats, StoreError> {
        let position = store.last_change()?;
        {
            let guard = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((p, d, s)) = guard.as_ref()
                && *p == position
                && *d == today
            {
                return Ok(s.clone());
            }
        }
        let fresh = compute(store, today)?;
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((position, today, fresh.clone()));
        Ok(fresh)
    }
}
