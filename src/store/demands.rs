//! Demands (需求) with their confirmation numbers, and the showcase: featured cases and
//! people, and volunteers' consent to be featured.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::demand::{Demand, DemandState};
use crate::domain::ids::Gid;
use crate::domain::refusal::Refusal;
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Something shown on the home page: an activity (典型案例) or a volunteer (典型人物).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Featured {
    pub kind: FeaturedKind,
    pub id: Gid,
    /// A short text by the admin.
    pub text: String,
    pub at: DateTime<Utc>,
}

/// What is featured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeaturedKind {
    Case,
    Person,
}

impl FeaturedKind {
    fn key(self) -> u8 {
        match self {
            FeaturedKind::Case => 1,
            FeaturedKind::Person => 2,
        }
    }
}

pub(super) fn demand_tx(tx: &WriteTransaction, id: Gid) -> Result<Option<Demand>, StoreError> {
    Ok(match tx.open_table(DEMANDS)?.get(id.0)? {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

/// What the demands list filters by; empty fields let every demand through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandFilter {
    pub province: String,
    pub city: String,
    pub county: String,
    pub category: String,
    pub state: Option<DemandState>,
}

impl DemandFilter {
    /// The `TERM_DEMANDS` terms a demand must all have to pass.
    fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = [&self.province, &self.city, &self.county]
            .into_iter()
            .filter(|code| !code.is_empty())
            .map(|code| region_term(code))
            .collect();
        if !self.category.is_empty() {
            terms.push(category_term(&self.category));
        }
        terms.extend(self.state.map(state_term));
        terms
    }
}

fn region_term(code: &str) -> String {
    format!("region:{code}")
}

fn category_term(category: &str) -> String {
    format!("category:{category}")
}

fn state_term(state: DemandState) -> String {
    let key = match state {
        DemandState::Open => 0,
        DemandState::Taken => 1,
        DemandState::Done => 2,
    };
    format!("state:{key}")
}

/// The terms a demand is found by in `TERM_DEMANDS`, sorted and without repeats.
fn demand_terms(d: &Demand) -> Vec<String> {
    let mut terms = vec![region_term(&d.region.province), region_term(&d.region.city)];
    terms.extend(d.region.county.as_deref().map(region_term));
    terms.extend(d.categories.iter().map(|c| category_term(c)));
    terms.push(state_term(d.state));
    terms.sort();
    terms.dedup();
    terms
}

/// Keep `TERM_DEMANDS` in step with `d` (replacing `previous`).
fn put_demand_terms_tx(
    tx: &WriteTransaction,
    d: &Demand,
    previous: Option<&Demand>,
) -> Result<(), StoreError> {
    let mut index = tx.open_table(TERM_DEMANDS)?;
    let terms = demand_terms(d);
    for old in previous.map(demand_terms).unwrap_or_default() {
        if !terms.contains(&old) {
            index.remove((old.as_str(), d.id.0))?;
        }
    }
    for term in &terms {
        index.insert((term.as_str(), d.id.0), ())?;
    }
    Ok(())
}

/// Build `TERM_DEMANDS` from the stored demands (migration v7, `kezhi check --repair`).
pub(super) fn rebuild_demand_terms_tx(tx: &WriteTransaction) -> Result<(), StoreError> {
    let demands: Vec<Demand> = {
        let t = tx.open_table(DEMANDS)?;
        let mut out = Vec::new();
        for row in t.range::<u128>(..)? {
            out.push(decode(row?.1.value())?);
        }
        out
    };
    for d in &demands {
        put_demand_terms_tx(tx, d, None)?;
    }
    Ok(())
}

/// The entries `TERM_DEMANDS` must hold for the stored demands, and those it holds (for
/// `kezhi check`); `None` for a store older than the index.
pub(super) type IndexSets = (BTreeSet<(String, u128)>, BTreeSet<(String, u128)>);

pub(super) fn demand_terms_check(tx: &ReadTransaction) -> Result<Option<IndexSets>, StoreError> {
    let index = match tx.open_table(TERM_DEMANDS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut expected = BTreeSet::new();
    for row in tx.open_table(DEMANDS)?.range::<u128>(..)? {
        let Ok(d) = decode::<Demand>(row?.1.value()) else {
            continue; // reported by the record check
        };
        expected.extend(demand_terms(&d).into_iter().map(|t| (t, d.id.0)));
    }
    let mut actual = BTreeSet::new();
    for row in index.range::<(&str, u128)>(..)? {
        let (key, _) = row?;
        let (term, id) = key.value();
        actual.insert((term.to_string(), id));
    }
    Ok(Some((expected, actual)))
}

pub(super) fn put_demand_tx(tx: &WriteTransaction, d: &Demand) -> Result<(), StoreError> {
    let previous = demand_tx(tx, d.id)?;
    put_demand_terms_tx(tx, d, previous.as_ref())?;
    {
        let mut numbers = tx.open_table(NUMBER_DEMAND)?;
        if numbers
            .get(d.number.as_str())?
            .is_some_and(|g| g.value() != d.id.0)
        {
            return Err(StoreError::Taken("需求编号"));
        }
        numbers.insert(d.number.as_str(), d.id.0)?;
        tx.open_table(DEMANDS)?
            .insert(d.id.0, encode(d).as_slice())?;
    }
    changes::record_tx(tx, ChangeKind::Demand, d.id)?;
    Ok(())
}

impl Store {
    /// Store a new or changed demand.
    pub fn save_demand(&self, d: &Demand) -> Result<(), StoreError> {
        self.write(|tx| put_demand_tx(tx, d))
    }

    /// Change a demand by a rule, read and written in one transaction so two teams taking
    /// it at once cannot both succeed.
    pub fn update_demand(
        &self,
        id: Gid,
        change: impl FnOnce(&mut Demand) -> Result<(), Refusal>,
    ) -> Result<Demand, StoreError> {
        self.write(|tx| {
            let mut d = demand_tx(tx, id)?.ok_or(StoreError::NotFound)?;
            change(&mut d).map_err(StoreError::Refused)?;
            put_demand_tx(tx, &d)?;
            Ok(d)
        })
    }

    /// A demand by id.
    pub fn demand(&self, id: Gid) -> Result<Option<Demand>, StoreError> {
        self.read(|tx| {
            Ok(match tx.open_table(DEMANDS)?.get(id.0)? {
                Some(g) => Some(decode(g.value())?),
                None => None,
            })
        })
    }

    /// A demand by its confirmation number.
    pub fn demand_by_number(&self, number: &str) -> Result<Option<Demand>, StoreError> {
        let id = self.read(|tx| {
            Ok::<_, StoreError>(
                tx.open_table(NUMBER_DEMAND)?
                    .get(number)?
                    .map(|g| Gid(g.value())),
            )
        })?;
        match id {
            Some(id) => self.demand(id),
            None => Ok(None),
        }
    }

    /// Every demand, oldest first.
    pub fn demands(&self) -> Result<Vec<Demand>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(DEMANDS)?;
            let mut out = Vec::new();
            for row in t.iter()? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// Page `page` (from 1) of the demands `filter` lets through, newest first, and
    /// whether more follow. Without a filter the records are walked newest first; with
    /// one, the entries of its rarest term in `TERM_DEMANDS` are, each checked against the
    /// other terms by key. Either way only the demands shown are decoded.
    pub fn demand_page(
        &self,
        filter: &DemandFilter,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<Demand>, bool), StoreError> {
        let start = page.saturating_sub(1).saturating_mul(per_page);
        self.read(|tx| {
            let records = tx.open_table(DEMANDS)?;
            let terms = filter.terms();
            let mut ids = Vec::with_capacity(per_page + 1);
            if terms.is_empty() {
                for row in records.range::<u128>(..)?.rev().skip(start) {
                    ids.push(row?.0.value());
                    if ids.len() > per_page {
                        break;
                    }
                }
            } else {
                let index = tx.open_table(TERM_DEMANDS)?;
                let entries = |term: &str| index.range((term, 0u128)..=(term, u128::MAX));
                let mut rarest = (usize::MAX, 0);
                for (i, term) in terms.iter().enumerate() {
                    let n = entries(term)?.take(rarest.0).count();
                    if n < rarest.0 {
                        rarest = (n, i);
                    }
                }
                let (walked, others) = (&terms[rarest.1], &terms);
                let mut skipped = 0;
                for row in entries(walked)?.rev() {
                    let id = row?.0.value().1;
                    let mut passes = true;
                    for term in others.iter().filter(|t| *t != walked) {
                        if index.get((term.as_str(), id))?.is_none() {
                            passes = false;
                            break;
                        }
                    }
                    if !passes {
                        continue;
                    }
                    if skipped < start {
                        skipped += 1;
                        continue;
                    }
                    ids.push(id);
                    if ids.len() > per_page {
                        break;
                    }
                }
            }
            let more = ids.len() > per_page;
            ids.truncate(per_page);
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(g) = records.get(id)? {
                    out.push(decode(g.value())?);
                }
            }
            Ok((out, more))
        })
    }

    /// Feature (or update) an activity or a volunteer on the home page.
    pub fn feature(&self, f: &Featured) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(FEATURED)?
                .insert((f.kind.key(), f.id.0), encode(f).as_slice())?;
            Ok(())
        })
    }

    /// Stop featuring something.
    pub fn unfeature(&self, kind: FeaturedKind, id: Gid) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(FEATURED)?.remove((kind.key(), id.0))?;
            Ok(())
        })
    }

    /// Everything featured, newest first.
    pub fn featured(&self) -> Result<Vec<Featured>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(FEATURED)?;
            let mut out: Vec<Featured> = Vec::new();
            for row in t.iter()? {
                out.push(decode(row?.1.value())?);
            }
            out.sort_by_key(|f| std::cmp::Reverse(f.at));
            Ok(out)
        })
    }

    /// Record or withdraw a volunteer's consent to be shown as 典型人物. Withdrawing also
    /// takes them off the home page.
    pub fn set_showcase_consent(
        &self,
        vol: Gid,
        consent: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SHOWCASE_CONSENT)?;
            match consent {
                Some(at) => {
                    t.insert(vol.0, at.timestamp())?;
                }
                None => {
                    t.remove(vol.0)?;
                    tx.open_table(FEATURED)?
                        .remove((FeaturedKind::Person.key(), vol.0))?;
                }
            }
            Ok(())
        })
    }

    /// Whether a volunteer agreed to be featured.
    pub fn showcase_consent(&self, vol: Gid) -> Result<bool, StoreError> {
        self.read(|tx| Ok(tx.open_table(SHOWCASE_CONSENT)?.get(vol.0)?.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::demand::DemandState;
    use crate::domain::regions::RegionPath;
    use crate::store::codec::decode_count;

    fn demand(i: u128) -> Demand {
        let t = chrono::Utc::now();
        Demand {
            id: Gid(1_000 + i),
            origin: Gid(2),
            number: format!("XQ{i:04}"),
            requester_kind: "村委会".into(),
            requester_name: String::new(),
            contact_name: "孙强".into(),
            contact_phone: "13900000001".into(),
            region: RegionPath {
                province: "220000".into(),
                city: "220300".into(),
                county: Some("220302".into()),
            },
            categories: vec!["农技服务".into()],
            text: "玉米病虫害".into(),
            wanted_when: String::new(),
            state: if i.is_multiple_of(2) {
                DemandState::Open
            } else {
                DemandState::Done
            },
            taken_by: None,
            activity: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn a_page_of_demands_decodes_only_its_page_newest_first() {
        let store = Store::in_memory().unwrap();
        for i in 0..120 {
            store.save_demand(&demand(i)).unwrap();
        }
        let all = DemandFilter::default();
        let before = decode_count();
        let (page, more) = store.demand_page(&all, 2, 50).unwrap();
        assert_eq!(decode_count() - before, 50, "the page only");
        assert!(more);
        assert_eq!(page.len(), 50);
        assert_eq!(page[0].number, "XQ0069", "newest first, 50 skipped");
        let (last, more) = store.demand_page(&all, 3, 50).unwrap();
        assert_eq!((last.len(), more), (20, false));

        let open = DemandFilter {
            state: Some(DemandState::Open),
            ..Default::default()
        };
        let before = decode_count();
        let (found, more) = store.demand_page(&open, 2, 50).unwrap();
        assert_eq!(
            decode_count() - before,
            10,
            "the page only, through the index"
        );
        assert_eq!((found.len(), more), (10, false));
        assert!(found.iter().all(|d| d.state == DemandState::Open));
        assert_eq!(found[0].number, "XQ0018");
    }

    #[test]
    fn filters_combine_and_follow_every_change() {
        let store = Store::in_memory().unwrap();
        for i in 0..30 {
            let mut d = demand(i);
            if i % 3 == 0 {
                d.region = RegionPath {
                    province: "220000".into(),
                    city: "220400".into(),
                    county: Some("220402".into()),
                };
                d.categories = vec!["医疗卫生".into(), "农技服务".into()];
            }
            store.save_demand(&d).unwrap();
        }
        let numbers = |f: &DemandFilter| -> Vec<String> {
            let (found, _) = store.demand_page(f, 1, 100).unwrap();
            found.into_iter().map(|d| d.number).collect()
        };
        let health_open_in_220402 = DemandFilter {
            county: "220402".into(),
            category: "医疗卫生".into(),
            state: Some(DemandState::Open),
            ..Default::default()
        };
        // i % 3 == 0 and even: 0, 6, 12, 18, 24, newest first.
        assert_eq!(
            numbers(&health_open_in_220402),
            ["XQ0024", "XQ0018", "XQ0012", "XQ0006", "XQ0000"]
        );
        let in_220300 = DemandFilter {
            province: "220000".into(),
            city: "220300".into(),
            ..Default::default()
        };
        assert_eq!(numbers(&in_220300).len(), 20);

        // An edit moves the demand between every index it is in.
        let mut d = store.demand(Gid(1_000 + 24)).unwrap().unwrap();
        d.state = DemandState::Done;
        d.region.city = "220300".into();
        d.region.county = Some("220302".into());
        d.categories = vec!["农技服务".into()];
        store.save_demand(&d).unwrap();
        assert_eq!(
            numbers(&health_open_in_220402),
            ["XQ0018", "XQ0012", "XQ0006", "XQ0000"]
        );
        assert_eq!(numbers(&in_220300).len(), 21);
        let unknown = DemandFilter {
            category: "不存在的类别".into(),
            ..Default::default()
        };
        assert!(numbers(&unknown).is_empty());
        assert_eq!(store.check().unwrap().problems, Vec::<String>::new());

        // A lost index entry is what `kezhi check` reports, and its repair restores.
        store
            .write(|tx| {
                tx.open_table(TERM_DEMANDS)?
                    .remove(("state:0", 1_000 + 18))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let problems = store.check().unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("term_demands")),
            "{problems:?}"
        );
    }
}
