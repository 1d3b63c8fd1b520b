//! Term indexes (schema v7): `(term, id) → ()` tables holding what a list filters on —
//! each level of a record's region, its service categories, its state — so a filtered
//! page walks only the records that have every term, and decodes only the ones it shows.
//!
//! Ids are time-ordered (UUIDv7), so a reverse range over one term is that term's records
//! newest first. A filter of several terms walks its rarest term and probes the others by
//! key ([`ids_with_all`]). Text searches and the activity phase (which follows the clock)
//! are not terms: the caller checks them on the records the walk yields.

use super::StoreError;
use crate::domain::regions::RegionPath;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use std::collections::BTreeSet;

/// A term index: `(term, record id) → ()`.
pub(super) type TermIndex = TableDefinition<'static, (&'static str, u128), ()>;

/// What a public or admin list filters by, beside its own state; empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub province: String,
    pub city: String,
    pub county: String,
    pub category: String,
}

impl ListFilter {
    /// The terms a record must all have to pass.
    pub(super) fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = [&self.province, &self.city, &self.county]
            .into_iter()
            .filter(|code| !code.is_empty())
            .map(|code| region_term(code))
            .collect();
        if !self.category.is_empty() {
            terms.push(category_term(&self.category));
        }
        terms
    }
}

pub(super) fn region_term(code: &str) -> String {
    format!("region:{code}")
}

pub(super) fn category_term(category: &str) -> String {
    format!("category:{category}")
}

/// A state (of a demand, an activity, a team) by its stable index.
pub(super) fn state_term(key: u8) -> String {
    format!("state:{key}")
}

/// The region terms of a record: one per level it names.
pub(super) fn region_terms(r: &RegionPath) -> impl Iterator<Item = String> + '_ {
    [Some(&r.province), Some(&r.city), r.county.as_ref()]
        .into_iter()
        .flatten()
        .filter(|code| !code.is_empty())
        .map(|code| region_term(code))
}

/// Sorted, without repeats: the form `put_tx` and `kezhi check` compare.
pub(super) fn normalised(mut terms: Vec<String>) -> Vec<String> {
    terms.sort();
    terms.dedup();
    terms
}

/// Keep `def` in step for record `id`: the terms of its previous version that it no
/// longer has are removed, its `terms` inserted.
pub(super) fn put_tx(
    tx: &WriteTransaction,
    def: TermIndex,
    id: u128,
    terms: &[String],
    previous: &[String],
) -> Result<(), StoreError> {
    let mut index = tx.open_table(def)?;
    for old in previous.iter().filter(|old| !terms.contains(old)) {
        index.remove((old.as_str(), id))?;
    }
    for term in terms {
        index.insert((term.as_str(), id), ())?;
    }
    Ok(())
}

/// The ids having every one of `terms` (at least one), newest first: the rarest term's
/// entries walked backwards, each probed for the other terms by key. The rarest is found
/// by stepping through every term's entries in turn until one runs out, so a common term
/// (a province, a state every record has) costs no more than the rare one beside it.
pub(super) fn ids_with_all<'a>(
    index: &'a impl ReadableTable<(&'static str, u128), ()>,
    terms: &'a [String],
) -> Result<impl Iterator<Item = Result<u128, StoreError>> + 'a, StoreError> {
    let entries = |term: &str| index.range((term, 0u128)..=(term, u128::MAX));
    let mut rarest = 0;
    if terms.len() > 1 {
        let mut counting = Vec::with_capacity(terms.len());
        for term in terms {
            counting.push(entries(term)?);
        }
        rarest = 'count: loop {
            for (i, range) in counting.iter_mut().enumerate() {
                if range.next().is_none() {
                    break 'count i;
                }
            }
        };
    }
    let walked = terms[rarest].as_str();
    let walk = entries(walked)?.rev();
    Ok(walk.filter_map(move |row| {
        let id = match row {
            Ok(row) => row.0.value().1,
            Err(e) => return Some(Err(e.into())),
        };
        for term in terms.iter().filter(|t| t.as_str() != walked) {
            match index.get((term.as_str(), id)) {
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => return Some(Err(e.into())),
            }
        }
        Some(Ok(id))
    }))
}

/// What `kezhi check` compares for one term index: the entries the records call for
/// and the entries stored. `None` for a store older than the index.
pub(super) type TermSets = (BTreeSet<(String, u128)>, BTreeSet<(String, u128)>);

pub(super) fn check_sets(
    tx: &ReadTransaction,
    def: TermIndex,
    records: impl IntoIterator<Item = (u128, Vec<String>)>,
) -> Result<Option<TermSets>, StoreError> {
    let index = match tx.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut expected = BTreeSet::new();
    for (id, terms) in records {
        expected.extend(terms.into_iter().map(|t| (t, id)));
    }
    let mut stored = BTreeSet::new();
    for row in index.range::<(&str, u128)>(..)? {
        let (key, _) = row?;
        let (term, id) = key.value();
        stored.insert((term.to_string(), id));
    }
    Ok(Some((expected, stored)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const INDEX: TermIndex = TableDefinition::new("test_terms");

    #[test]
    fn the_rarest_term_is_walked_and_the_others_probed() {
        let store = Store::in_memory().unwrap();
        store
            .write(|tx| {
                for id in 0..1_000u128 {
                    let mut terms = vec![state_term(1)];
                    if id % 100 == 0 {
                        terms.push(region_term("220302"));
                    }
                    if id % 200 == 0 {
                        terms.push(category_term("农技服务"));
                    }
                    put_tx(tx, INDEX, id, &normalised(terms), &[])?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let terms = [
            region_term("220302"),
            category_term("农技服务"),
            state_term(1),
        ];
        let ids: Vec<u128> = store
            .read(|tx| {
                let index = tx.open_table(INDEX)?;
                ids_with_all(&index, &terms)?.collect()
            })
            .unwrap();
        assert_eq!(ids, [800, 600, 400, 200, 0]);
        // A moved record leaves its old terms.
        store
            .write(|tx| {
                let old = normalised(vec![
                    state_term(1),
                    region_term("220302"),
                    category_term("农技服务"),
                ]);
                put_tx(tx, INDEX, 600, &[state_term(2)], &old)
            })
            .unwrap();
        let ids: Vec<u128> = store
            .read(|tx| {
                let index = tx.open_table(INDEX)?;
                ids_with_all(&index, &terms)?.collect()
            })
            .unwrap();
        assert_eq!(ids, [800, 400, 200, 0]);
    }
}
