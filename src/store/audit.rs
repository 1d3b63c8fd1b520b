//! The audit log: append-only entries for admin sign-ins and every action on other
//! people's data. There is no function to edit or delete an entry.

use super::codec::{decode, encode};
use super::tables::AUDIT;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

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
    Ok(next)
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
}
