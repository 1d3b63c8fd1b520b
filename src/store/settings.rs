//! Settings and installation metadata.

use super::tables::{META, SETTINGS};
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use redb::{Database, ReadableTable};

/// Read the installation id, creating it on first open.
pub(super) fn ensure_installation_id(db: &Database) -> Result<Gid, StoreError> {
    let tx = db.begin_write()?;
    let id = {
        let mut meta = tx.open_table(META)?;
        let existing = meta.get("installation_id")?.map(|v| v.value().to_vec());
        match existing {
            Some(bytes) => {
                let arr: [u8; 16] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("installation_id is not 16 bytes".into()))?;
                Gid(u128::from_be_bytes(arr))
            }
            None => {
                let id = Gid::new();
                meta.insert("installation_id", id.0.to_be_bytes().as_slice())?;
                let now = chrono::Utc::now().to_rfc3339();
                meta.insert("created_at", now.as_bytes())?;
                id
            }
        }
    };
    tx.commit()?;
    Ok(id)
}

impl Store {
    /// A setting's value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(SETTINGS)?;
            Ok(t.get(key)?.map(|v| v.value().to_string()))
        })
    }

    /// Every setting, sorted by key.
    pub fn settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(SETTINGS)?;
            let mut out = Vec::new();
            for row in t.range::<&str>(..)? {
                let (k, v) = row?;
                out.push((k.value().to_string(), v.value().to_string()));
            }
            Ok(out)
        })
    }

    /// Set a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SETTINGS)?;
            t.insert(key, value)?;
            Ok(())
        })
    }

    /// Remove a setting (back to its default).
    pub fn unset_setting(&self, key: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SETTINGS)?;
            t.remove(key)?;
            Ok(())
        })
    }
}
