//! The statistics showcase: figures computed from the store by a background thread after
//! each change (the changes log's position), so no visitor pays for the computation.

use crate::domain::activity::SignupState;
use crate::domain::regions;
use crate::domain::validate::age_on;
use crate::store::{Store, StoreError};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

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
    // Streamed: the whole county's records at once were most of the server's peak memory
    // (this runs in the background after every change).
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
    store.for_each_volunteer(|v| {
        s.volunteers += 1;
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
    })?;
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

    let teams = store.teams()?;
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
    store.for_each_signup(|sg| {
        if let (SignupState::Attended, Some(h)) = (sg.state, sg.half_hours) {
            s.half_hours += h as u64;
            if let Some(i) = month_of
                .get(&sg.activity)
                .and_then(|k| months.iter().position(|m| m == k))
            {
                hours[i] += h as u64;
            }
        }
    })?;
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

/// How long a visitor waits for the background thread to bring figures up to date after
/// a change. Small stores are recomputed well within it, so their pages show the change at
/// once; at county scale the page shows the last figures instead of waiting.
const FRESH_WAIT: Duration = Duration::from_millis(20);

/// How often the background thread looks for changes nobody asked about yet.
const POLL: Duration = Duration::from_secs(1);

/// How long figures nobody asked for may lag behind a store that keeps changing.
const MOST_BEHIND: Duration = Duration::from_secs(10);

/// The last computed figures: `(changes-log position, day, figures)`.
type Figures = Option<(u64, NaiveDate, Stats)>;

#[derive(Default)]
struct Inner {
    figures: Figures,
    /// The day a visitor asked for, when the figures were stale.
    wanted: Option<NaiveDate>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    /// Signalled when a visitor wants fresh figures and when new figures are ready.
    cond: Condvar,
    /// How many figures were published (see [`StatsCache::version`]).
    published: AtomicU64,
}

/// The showcase figures, recomputed by a background thread after each change; pages read
/// the last computed figures and never compute them (a cold computation over 100,000
/// volunteers takes most of a second). Team and volunteer totals are read live (table
/// lengths), so they are exact even while the series are being recomputed.
#[derive(Default)]
pub struct StatsCache {
    shared: Arc<Shared>,
    /// Whether the background thread runs; without it (a cache made by `default`),
    /// `get` computes in place.
    background: bool,
}

impl StatsCache {
    /// Start the background thread for `store`, computing the figures for `today` at
    /// once. The thread ends when the cache or the store is dropped.
    pub fn start(store: Weak<Store>, today: NaiveDate) -> StatsCache {
        let shared = Arc::new(Shared::default());
        shared.lock().wanted = Some(today);
        let weak = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new()
            .name("stats".into())
            .spawn(move || recompute_loop(weak, store));
        if let Err(e) = &spawned {
            log::error!("could not start the statistics thread: {e}");
        }
        StatsCache {
            shared,
            background: spawned.is_ok(),
        }
    }

    /// A number that moves whenever new figures are published: a page showing figures
    /// stays exact while both it and the store's generation stay put.
    pub fn version(&self) -> u64 {
        self.shared.published.load(Ordering::Acquire)
    }

    /// The last computed figures, with live totals. After a change the background thread
    /// is woken and given `FRESH_WAIT` to finish; past that the previous figures are shown.
    pub fn get(&self, store: &Store, today: NaiveDate) -> Result<Stats, StoreError> {
        let position = store.last_change()?;
        let counts = store.people_counts()?;
        let live = |mut s: Stats| {
            s.volunteers = counts.volunteers;
            s.teams = counts.teams;
            s
        };
        if !self.background {
            return compute(store, today);
        }
        let fresh = |f: &Figures| {
            f.as_ref()
                .is_some_and(|(p, d, _)| *p >= position && *d == today)
        };
        let deadline = Instant::now() + FRESH_WAIT;
        let mut g = self.shared.lock();
        if !fresh(&g.figures) {
            g.wanted = Some(today);
            self.shared.cond.notify_all();
            while !fresh(&g.figures) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                g = self
                    .shared
                    .cond
                    .wait_timeout(g, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        Ok(live(
            g.figures
                .as_ref()
                .map(|(_, _, s)| s.clone())
                .unwrap_or_default(),
        ))
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The background thread: wait for a request or a change, compute, publish, repeat.
fn recompute_loop(shared: Weak<Shared>, store: Weak<Store>) {
    super::background_priority();
    let mut day: Option<NaiveDate> = None;
    // Changes nobody asked figures for: (the log position last seen, since when the
    // figures are behind). Recounted once the writes pause for a poll, or after
    // `MOST_BEHIND`: a recount of a county during a signup rush slowed every signup.
    let mut behind: Option<(u64, Instant)> = None;
    loop {
        let Some(sh) = shared.upgrade() else { return };
        let (asked, done_at) = {
            let mut g = sh.lock();
            if g.wanted.is_none() {
                g = sh
                    .cond
                    .wait_timeout(g, POLL)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            (g.wanted.take(), g.figures.as_ref().map(|(p, _, _)| *p))
        };
        let Some(st) = store.upgrade() else { return };
        let position = match st.last_change() {
            Ok(p) => p,
            Err(e) => {
                log::warn!("statistics: reading the changes log failed: {e}");
                continue;
            }
        };
        let today = match asked.or(day) {
            Some(d) => d,
            None => continue,
        };
        if asked.is_none() {
            if done_at == Some(position) {
                behind = None;
                continue;
            }
            match behind {
                Some((seen, since)) if seen != position && since.elapsed() < MOST_BEHIND => {
                    behind = Some((position, since));
                    continue;
                }
                None => {
                    behind = Some((position, Instant::now()));
                    continue;
                }
                Some(_) => {}
            }
        }
        behind = None;
        day = Some(today);
        let started = Instant::now();
        match compute(&st, today) {
            Ok(s) => {
                sh.lock().figures = Some((position, today, s));
                sh.published.fetch_add(1, Ordering::Release);
                sh.cond.notify_all();
                log::debug!("statistics recomputed in {:?}", started.elapsed());
            }
            Err(e) => log::warn!("statistics: computing failed: {e}"),
        }
        drop(st);
        drop(sh);
        // Under a stream of writes, stay below half a core: rest as long as the work took.
        std::thread::sleep(started.elapsed().min(POLL));
    }
}
