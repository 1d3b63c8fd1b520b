//! The audit log: append-only entries for admin sign-ins and every action on other
//! people's data. There is no function to edit or delete an entry.

use super::codec::{decode, encode};
use super::tables::{ACTION_AUDIT, AUDIT};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::Bound;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who acted: `admin:<username>`, `phone:<masked>`, or `cli`.
    pub actor: String,
    /// The client address, or `cli`.
    pub address: String,
    /// A short machine-readable action name, e.g. `admin.login`.
    pub action: String,
    /// Human-readable detail (no ID numbers).
    pub detail: String,
    /// How many records the action touched.
    pub records: u64,
}

/// Append an entry inside the caller's transaction.
pub(super) fn append_tx(tx: &WriteTransaction, entry: &AuditEntry) -> Result<u64, StoreError> {
    let mut t = tx.open_table(AUDIT)?;
    let next = t.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
    t.insert(next, encode(entry).as_slice())?;
    tx.open_table(ACTION_AUDIT)?
        .insert((entry.action.as_str(), next), ())?;
    Ok(next)
}

/// Build `ACTION_AUDIT` from the log (migration v7, `kezhi check --repair`).
pub(super) fn rebuild_action_audit_tx(tx: &WriteTransaction) -> Result<(), StoreError> {
    let log = tx.open_table(AUDIT)?;
    let mut index = tx.open_table(ACTION_AUDIT)?;
    for row in log.range::<u64>(..)? {
        let (seq, bytes) = row?;
        let entry: AuditEntry = decode(bytes.value())?;
        index.insert((entry.action.as_str(), seq.value()), ())?;
    }
    Ok(())
}

/// The entries `ACTION_AUDIT` must hold for the log, and those it holds (for `kezhi
/// check`); `None` for a store older than the index.
pub(super) fn action_audit_check(tx: &ReadTransaction) -> Result<Option<IndexSets>, StoreError> {
    let index = match tx.open_table(ACTION_AUDIT) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut expected = BTreeSet::new();
    for row in tx.open_table(AUDIT)?.range::<u64>(..)? {
        let (seq, bytes) = row?;
        if let Ok(entry) = decode::<AuditEntry>(bytes.value()) {
            expected.insert((entry.action, seq.value()));
        }
    }
    let mut actual = BTreeSet::new();
    for row in index.range::<(&str, u64)>(..)? {
        let (key, _) = row?;
        let (action, seq) = key.value();
        actual.insert((action.to_string(), seq));
    }
    Ok(Some((expected, actual)))
}

/// What `kezhi check` compares for one index: the entries the records call for, and the
/// entries stored.
pub(super) type IndexSets = (BTreeSet<(String, u64)>, BTreeSet<(String, u64)>);

type ActionIndex = redb::ReadOnlyTable<(&'static str, u64), ()>;

/// The distinct actions in the index, found by jumping from one to the next (a log has
/// a few dozen kinds of action and may have many thousands of entries).
fn stored_actions(index: &ActionIndex) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut next = index.first()?.map(|(k, _)| k.value().0.to_string());
    while let Some(action) = next {
        let after = (
            Bound::Excluded((action.as_str(), u64::MAX)),
            Bound::Unbounded,
        );
        next = match index.range::<(&str, u64)>(after)?.next() {
            Some(row) => Some(row?.0.value().0.to_string()),
            None => None,
        };
        out.push(action);
    }
    Ok(out)
}

/// The sequence numbers of the entries of `actions`, newest first: the actions' ranges
/// of `ACTION_AUDIT` merged.
fn sequences_newest_first(
    index: &ActionIndex,
    actions: &[String],
) -> Result<impl Iterator<Item = Result<u64, StoreError>> + use<>, StoreError> {
    let mut ranges = Vec::with_capacity(actions.len());
    for action in actions {
        let range = index.range((action.as_str(), 0u64)..=(action.as_str(), u64::MAX))?;
        ranges.push(range.rev().map(|row| Ok(row?.0.value().1)).peekable());
    }
    Ok(std::iter::from_fn(move || {
        let mut newest: Option<(usize, u64)> = None;
        for (i, range) in ranges.iter_mut().enumerate() {
            match range.peek() {
                Some(Ok(seq)) if newest.is_none_or(|(_, n)| *seq > n) => newest = Some((i, *seq)),
                Some(Err(_)) => return range.next(),
                _ => {}
            }
        }
        newest.and_then(|(i, _)| ranges[i].next())
    }))
}

impl Store {
    /// Append an audit entry on its own.
    pub fn audit(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.write(|tx| append_tx(tx, entry))
    }

    /// Audit entries, newest first.
    pub fn audit_entries(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(AUDIT)?;
            let mut out = Vec::new();
            for row in t.range::<u64>(..)?.rev().skip(offset).take(limit) {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// How many audit entries exist.
    pub fn audit_len(&self) -> Result<u64, StoreError> {
        self.read(|tx| Ok(tx.open_table(AUDIT)?.len()?))
    }

    /// A page of the entries whose action `accepts`, newest first, and how many such
    /// entries there are: read through `ACTION_AUDIT`, decoding the page's entries only.
    pub fn audit_entries_of(
        &self,
        accepts: impl Fn(&str) -> bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize), StoreError> {
        self.read(|tx| {
            let index = tx.open_table(ACTION_AUDIT)?;
            let actions: Vec<String> = stored_actions(&index)?
                .into_iter()
                .filter(|a| accepts(a))
                .collect();
            let mut total = 0;
            for a in &actions {
                total += index
                    .range((a.as_str(), 0u64)..=(a.as_str(), u64::MAX))?
                    .count();
            }
            let log = tx.open_table(AUDIT)?;
            let mut out = Vec::new();
            for seq in sequences_newest_first(&index, &actions)?
                .skip(offset)
                .take(limit)
            {
                if let Some(bytes) = log.get(seq?)? {
                    out.push(decode(bytes.value())?);
                }
            }
            Ok((out, total))
        })
    }

    /// A free-text search of the log: the entries whose action `accepts` (all with
    /// `None`) and that `matches`, newest first, from the `offset`-th match on, and
    /// whether more follow. Text inside entries has no index: entries are decoded newest
    /// first until the page and one more match are found, never the rest of the log.
    pub fn audit_search(
        &self,
        accepts: Option<&dyn Fn(&str) -> bool>,
        matches: impl Fn(&AuditEntry) -> bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, bool), StoreError> {
        self.read(|tx| {
            let log = tx.open_table(AUDIT)?;
            let sequences: Box<dyn Iterator<Item = Result<u64, StoreError>>> = match accepts {
                None => Box::new(log.range::<u64>(..)?.rev().map(|row| Ok(row?.0.value()))),
                Some(accepts) => {
                    let index = tx.open_table(ACTION_AUDIT)?;
                    let actions: Vec<String> = stored_actions(&index)?
                        .into_iter()
                        .filter(|a| accepts(a))
                        .collect();
                    Box::new(sequences_newest_first(&index, &actions)?)
                }
            };
            let (mut seen, mut out) = (0, Vec::new());
            for seq in sequences {
                let Some(bytes) = log.get(seq?)? else {
                    continue;
                };
                let entry: AuditEntry = decode(bytes.value())?;
                if !matches(&entry) {
                    continue;
                }
                if seen < offset {
                    seen += 1;
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(entry);
            }
            Ok((out, false))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::decode_count;

    #[test]
    fn a_page_of_the_log_decodes_only_its_entries_newest_first() {
        let store = Store::in_memory().unwrap();
        for i in 0..1_000u64 {
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: "cli".into(),
                    address: "cli".into(),
                    action: "import".into(),
                    detail: format!("第 {i} 次"),
                    records: i,
                })
                .unwrap();
        }
        let before = decode_count();
        let page = store.audit_entries(300, 100).unwrap();
        assert_eq!(decode_count() - before, 100);
        assert_eq!(page.len(), 100);
        assert_eq!(page[0].records, 699, "newest first, 300 skipped");
        assert_eq!(store.audit_len().unwrap(), 1_000);
    }

    fn entry(action: &str, i: u64) -> AuditEntry {
        AuditEntry {
            at: Utc::now(),
            actor: if i.is_multiple_of(10) {
                "admin:li"
            } else {
                "cli"
            }
            .into(),
            address: "127.0.0.1".into(),
            action: action.into(),
            detail: format!("第 {i} 次"),
            records: i,
        }
    }

    /// A store whose log interleaves three actions: entry i is `export.volunteers` when
    /// i % 4 == 0, `export.teams` when i % 4 == 1, else `admin.login`.
    fn mixed_log(n: u64) -> Store {
        let store = Store::in_memory().unwrap();
        for i in 0..n {
            let action = match i % 4 {
                0 => "export.volunteers",
                1 => "export.teams",
                _ => "admin.login",
            };
            store.audit(&entry(action, i)).unwrap();
        }
        store
    }

    #[test]
    fn a_page_filtered_by_action_decodes_only_its_entries() {
        let store = mixed_log(2_000);
        let exports = |a: &str| a.starts_with("export.");
        let before = decode_count();
        let (page, total) = store.audit_entries_of(exports, 100, 100).unwrap();
        assert_eq!(decode_count() - before, 100);
        assert_eq!(total, 1_000);
        // Newest first across both export actions: 1997 (teams), 1996 (volunteers), ...
        let got: Vec<u64> = page.iter().map(|e| e.records).take(4).collect();
        assert_eq!(got, [1797, 1796, 1793, 1792]);
        assert!(page.iter().all(|e| e.action.starts_with("export.")));
        let (last, _) = store.audit_entries_of(exports, 900, 100).unwrap();
        assert_eq!(last.len(), 100);
        assert_eq!(last.last().unwrap().records, 0);
        let (none, total) = store.audit_entries_of(|a| a == "backup", 0, 100).unwrap();
        assert_eq!((none.len(), total), (0, 0));
    }

    #[test]
    fn a_text_search_stops_at_its_page() {
        let store = mixed_log(2_000);
        let by_li = |e: &AuditEntry| e.actor == "admin:li";
        let before = decode_count();
        let (page, more) = store.audit_search(None, by_li, 0, 10).unwrap();
        // Every tenth entry matches: the page and one more are within the newest 110.
        assert!(
            decode_count() - before <= 110,
            "{}",
            decode_count() - before
        );
        assert!(more);
        assert_eq!(
            page.iter().map(|e| e.records).collect::<Vec<_>>()[..3],
            [1990, 1980, 1970]
        );
        // With an action too: only `export.volunteers` entries are decoded.
        let volunteers = |a: &str| a == "export.volunteers";
        let before = decode_count();
        let (page, more) = store.audit_search(Some(&volunteers), by_li, 0, 5).unwrap();
        // Six matches among the 30 newest `export.volunteers` entries (1996 down to 1880).
        assert_eq!(decode_count() - before, 30);
        assert!(more);
        assert_eq!(page[0].records, 1980);
        let (rest, more) = store
            .audit_search(Some(&volunteers), by_li, 95, 10)
            .unwrap();
        assert_eq!((rest.len(), more), (5, false));
    }

    #[test]
    fn check_finds_a_lost_action_entry_and_repair_restores_it() {
        let store = mixed_log(40);
        assert_eq!(store.check().unwrap().problems, Vec::<String>::new());
        store
            .write(|tx| {
                tx.open_table(ACTION_AUDIT)?.remove(("admin.login", 3))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let problems = store.check().unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("action_audit")),
            "{problems:?}"
        );
        store.repair().unwrap();
        assert_eq!(store.check().unwrap().problems, Vec::<String>::new());
        let (_, total) = store
            .audit_entries_of(|a| a == "admin.login", 0, 10)
            .unwrap();
        assert_eq!(total, 20);
    }
}
