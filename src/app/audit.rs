//! The audit log entry, written one way by every use case, handler and command: who (an
//! actor label and the address they came from), when, what, and how many records.

use crate::store::{AuditEntry, Store, StoreError};
use chrono::{DateTime, Utc};

/// The actor and address the command line records.
pub const CLI: (&str, &str) = ("cli", "cli");

pub fn record(
    store: &Store,
    (actor, address): (&str, &str),
    at: DateTime<Utc>,
    action: &str,
    detail: impl Into<String>,
    records: u64,
) -> Result<(), StoreError> {
    store.audit(&AuditEntry {
        at,
        actor: actor.into(),
        address: address.into(),
        action: action.into(),
        detail: detail.into(),
        records,
    })?;
    Ok(())
}
