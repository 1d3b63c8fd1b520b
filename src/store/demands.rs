//! Demands (需求) with their confirmation numbers, and the showcase: featured cases and
//! people, and volunteers' consent to be featured.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::terms::{self, ListFilter};
use super::{Store, StoreError};
use crate::domain::demand::{Demand, DemandState};
use crate::domain::ids::Gid;
use crate::domain::refusal::Refusal;
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

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
    pub list: ListFilter,
    pub state: Option<DemandState>,
}

fn demand_state_term(state: DemandState) -> String {
    terms::state_term(match state {
        DemandState::Open => 0,
        DemandState::Taken => 1,
        DemandState::Done => 2,
    })
}

/// The terms a demand is found by in `TERM_DEMANDS`.
fn demand_terms(d: &Demand) -> Vec<String> {
    let mut t: Vec<String> = terms::region_terms(&d.region).collect();
    t.extend(d.categories.iter().map(|c| terms::category_term(c)));
    t.push(demand_state_term(d.state));
    terms::normalised(t)
}

/// Build `TERM_DEMANDS` from the stored demands (migration v7, `kezhi check --repair`).
pub(super) fn rebuild_demand_terms_tx(tx: &WriteTransaction) -> Result<(), StoreError> {
    let demands: Vec<Demand> = super::indexes::all_records(tx, DEMANDS)?;
    for d in &demands {
        terms::put_tx(tx, TERM_DEMANDS, d.id.0, &demand_terms(d), &[])?;
    }
    Ok(())
}

/// `TERM_DEMANDS` as the demands call for it and as stored (for `kezhi check`).
pub(super) fn demand_terms_check(
    tx: &ReadTransaction,
) -> Result<Option<terms::TermSets>, StoreError> {
    let mut records = Vec::new();
    for row in tx.open_table(DEMANDS)?.range::<u128>(..)? {
        if let Ok(d) = decode::<Demand>(row?.1.value()) {
            records.push((d.id.0, demand_terms(&d)));
        }
    }
    terms::check_sets(tx, TERM_DEMANDS, records)
}

pub(super) fn put_demand_tx(tx: &WriteTransaction, d: &Demand) -> Result<(), StoreError> {
    let previous = demand_tx(tx, d.id)?;
    let old_terms = previous.as_ref().map(demand_terms).unwrap_or_default();
    terms::put_tx(tx, TERM_DEMANDS, d.id.0, &demand_terms(d), &old_terms)?;
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
            let mut wanted = filter.list.terms();
            wanted.extend(filter.state.map(demand_state_term));
            let mut ids = Vec::with_capacity(per_page + 1);
            if wanted.is_empty() {
                for row in records.range::<u128>(..)?.rev().skip(start) {
                    ids.push(row?.0.value());
                    if ids.len() > per_page {
                        break;
                    }
                }
            } else {
                let index = tx.open_table(TERM_DEMANDS)?;
                for id in terms::ids_with_all(&index, &wanted)?.skip(start) {
                    ids.push(id?);
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
            list: ListFilter {
                county: "220402".into(),
                category: "医疗卫生".into(),
                ..Default::default()
            },
            state: Some(DemandState::Open),
        };
        // i % 3 == 0 and even: 0, 6, 12, 18, 24, newest first.
        assert_eq!(
            numbers(&health_open_in_220402),
            ["XQ0024", "XQ0018", "XQ0012", "XQ0006", "XQ0000"]
        );
        let in_220300 = DemandFilter {
            list: ListFilter {
                province: "220000".into(),
                city: "220300".into(),
                ..Default::default()
            },
            state: None,
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
            list: ListFilter {
                category: "不存在的类别".into(),
                ..Default::default()
            },
            state: None,
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
