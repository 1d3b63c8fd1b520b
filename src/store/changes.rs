//! The `changes` log: every record written appends (sequence → kind, id) in the same
//! transaction, so "everything since the last export" and merging can follow it.

use super::codec;
use super::tables::CHANGES;
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

/// The kind of record a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    Admin,
    Volunteer,
    Team,
    Membership,
    Activity,
    Signup,
    Report,
    Certificate,
    Demand,
}

/// One entry of the changes log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub id: Gid,
    pub at: DateTime<Utc>,
}

/// Append a change inside the caller's write transaction. Returns its sequence number.
pub(super) fn record_tx(
    tx: &WriteTransaction,
    kind: ChangeKind,
    id: Gid,
) -> Result<u64, StoreError> {
    let mut t = tx.open_table(CHANGES)?;
    let next = t.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
    let change = Change {
        kind,
        id,
        at: Utc::now(),
    };
    t.insert(next, codec::encode(&change).as_slice())?;
    Ok(next)
}

/// Append one change per id, in order, inside the caller's write transaction (the log
/// opened and its end found once, not once per record).
pub(super) fn record_many_tx(
    tx: &WriteTransaction,
    kind: ChangeKind,
    ids: impl IntoIterator<Item = Gid>,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(CHANGES)?;
    let first = t.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
    for (sequence, id) in (first..).zip(ids) {
        let change = Change {
            kind,
            id,
            at: Utc::now(),
        };
        t.insert(sequence, codec::encode(&change).as_slice())?;
    }
    Ok(())
}

/// The newest sequence number of the changes log in a read snapshot (0 when empty).
pub(super) fn last_tx(tx: &ReadTransaction) -> Result<u64, StoreError> {
    let t = tx.open_table(CHANGES)?;
    Ok(t.last()?.map(|(k, _)| k.value()).unwrap_or(0))
}

impl Store {
    /// Changes with a sequence number greater than `after`, oldest first.
    pub fn changes_since(&self, after: u64) -> Result<Vec<(u64, Change)>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(CHANGES)?;
            let mut out = Vec::new();
            for row in t.range((after.saturating_add(1))..)? {
                let (k, v) = row?;
                out.push((k.value(), codec::decode(v.value())?));
            }
            Ok(out)
        })
    }
}

impl Store {
    /// The newest sequence number of the changes log (0 when empty).
    pub fn last_change(&self) -> Result<u64, StoreError> {
        self.read(last_tx)
    }

    /// The distinct ids of `kind` changed after sequence `after`, in first-change order.
    pub fn changed_ids(&self, kind: ChangeKind, after: u64) -> Result<Vec<Gid>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        Ok(self
            .changes_since(after)?
            .into_iter()
            .filter(|(_, c)| c.kind == kind)
            .filter_map(|(_, c)| seen.insert(c.id).then_some(c.id))
            .collect())
    }
}
