//! Demands (需求) with their confirmation numbers, and the showcase: featured cases and
//! people, and volunteers' consent to be featured.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::demand::Demand;
use crate::domain::ids::Gid;
use crate::domain::refusal::Refusal;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};
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

pub(super) fn put_demand_tx(tx: &WriteTransaction, d: &Demand) -> Result<(), StoreError> {
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

    /// Page `page` (from 1) of the demands `accept` lets through, newest first, and
    /// whether more follow. Reads until the page and one more are found.
    pub fn demand_page(
        &self,
        mut accept: impl FnMut(&Demand) -> bool,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<Demand>, bool), StoreError> {
        self.read(|tx| {
            let t = tx.open_table(DEMANDS)?;
            let start = page.saturating_sub(1).saturating_mul(per_page);
            let (mut seen, mut out, mut more) = (0usize, Vec::new(), false);
            for row in t.iter()?.rev() {
                let d: Demand = decode(row?.1.value())?;
                if !accept(&d) {
                    continue;
                }
                if seen >= start {
                    if out.len() == per_page {
                        more = true;
                        break;
                    }
                    out.push(d);
                }
                seen += 1;
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
    fn a_page_of_demands_reads_up_to_its_page_newest_first() {
        let store = Store::in_memory().unwrap();
        for i in 0..120 {
            store.save_demand(&demand(i)).unwrap();
        }
        let before = decode_count();
        let (page, more) = store.demand_page(|_| true, 2, 50).unwrap();
        assert!(
            decode_count() - before <= 101,
            "read up to page 2 and one more"
        );
        assert!(more);
        assert_eq!(page.len(), 50);
        assert_eq!(page[0].number, "XQ0069", "newest first, 50 skipped");
        let (last, more) = store.demand_page(|_| true, 3, 50).unwrap();
        assert_eq!((last.len(), more), (20, false));
        let (open, more) = store
            .demand_page(|d| d.state == DemandState::Open, 2, 50)
            .unwrap();
        assert_eq!((open.len(), more), (10, false));
        assert!(open.iter().all(|d| d.state == DemandState::Open));
    }
}
