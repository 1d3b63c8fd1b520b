//! Paired laptops for network sync: one record per peer with the key of the pair, the
//! watermarks of both directions and the request counters that refuse a replayed request.
//! A pulled bundle is merged in the same transaction that moves its watermark, so a sync
//! cut off at any moment either merged and remembered it, or did neither.

use super::codec::{decode, encode};
use super::merge::{MergeInput, MergeSummary, merge_tx};
use super::tables::PEERS;
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

/// A laptop this one is paired with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// The other laptop's installation id: it is known by this, not by its address.
    pub id: Gid,
    /// Its unit name as it gave it at pairing.
    pub name: String,
    /// The secret of the pair (HMAC-SHA256 key), derived at pairing on both sides.
    pub key: [u8; 32],
    /// The address last used to reach it (addresses change with every hotspot).
    pub address: String,
    /// Only volunteers of this region code (province, city or county) are sent to it.
    pub region: Option<String>,
    pub paired_at: DateTime<Utc>,
    /// The peer's changes-log sequence this laptop has merged up to.
    pub pulled_up_to: u64,
    /// This laptop's changes-log sequence the peer has merged up to.
    pub pushed_up_to: u64,
    /// The highest request counter accepted from the peer: a request must exceed it.
    pub seen_seq: u64,
    /// The highest request counter this laptop used towards the peer.
    pub sent_seq: u64,
    pub last_sync: Option<DateTime<Utc>>,
}

fn peer_tx(tx: &WriteTransaction, id: Gid) -> Result<Option<Peer>, StoreError> {
    Ok(match tx.open_table(PEERS)?.get(id.0)? {
        Some(g) => Some(decode(g.value())?),
        None => None,
    })
}

fn put_peer_tx(tx: &WriteTransaction, p: &Peer) -> Result<(), StoreError> {
    tx.open_table(PEERS)?.insert(p.id.0, encode(p).as_slice())?;
    Ok(())
}

impl Store {
    /// Every paired laptop, by name.
    pub fn peers(&self) -> Result<Vec<Peer>, StoreError> {
        self.read(|tx| {
            // Created on first use: a store that never paired has no table yet.
            let t = match tx.open_table(PEERS) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out: Vec<Peer> = Vec::new();
            for row in t.iter()? {
                out.push(decode(row?.1.value())?);
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
    }

    /// A paired laptop by its installation id.
    pub fn peer(&self, id: Gid) -> Result<Option<Peer>, StoreError> {
        Ok(self.peers()?.into_iter().find(|p| p.id == id))
    }

    /// Store a newly paired laptop; pairing again with the same laptop replaces the key
    /// and starts both watermarks over (merging is idempotent, so that only costs time).
    pub fn pair_peer(&self, p: &Peer) -> Result<(), StoreError> {
        self.write(|tx| put_peer_tx(tx, p))
    }

    /// Forget a paired laptop. Returns whether it was paired.
    pub fn remove_peer(&self, id: Gid) -> Result<bool, StoreError> {
        self.write(|tx| Ok(tx.open_table(PEERS)?.remove(id.0)?.is_some()))
    }

    /// Accept a request counter from `id` if it is higher than any accepted before, in one
    /// transaction, so the same signed request is served at most once.
    pub fn accept_peer_seq(&self, id: Gid, seq: u64) -> Result<bool, StoreError> {
        self.write(|tx| {
            let Some(mut p) = peer_tx(tx, id)? else {
                return Ok(false);
            };
            if seq <= p.seen_seq {
                return Ok(false);
            }
            p.seen_seq = seq;
            put_peer_tx(tx, &p)?;
            Ok(true)
        })
    }

    /// The next request counter towards `id`: above every one used before, and at least
    /// `floor` (the clock in milliseconds), so a fresh pairing on the other side accepts it.
    pub fn next_peer_seq(&self, id: Gid, floor: u64) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut p = peer_tx(tx, id)?.ok_or(StoreError::NotFound)?;
            p.sent_seq = floor.max(p.sent_seq + 1);
            put_peer_tx(tx, &p)?;
            Ok(p.sent_seq)
        })
    }

    /// Move the watermarks of `id` forward (never back) and note the sync time.
    pub fn advance_peer(
        &self,
        id: Gid,
        pulled: Option<u64>,
        pushed: Option<u64>,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let Some(mut p) = peer_tx(tx, id)? else {
                return Ok(());
            };
            if let Some(v) = pulled {
                p.pulled_up_to = p.pulled_up_to.max(v);
            }
            if let Some(v) = pushed {
                p.pushed_up_to = p.pushed_up_to.max(v);
            }
            if let Some(a) = address {
                p.address = a.to_string();
            }
            p.last_sync = Some(now);
            put_peer_tx(tx, &p)
        })
    }

    /// Merge records from a paired laptop and move its pull watermark to `up_to` in the
    /// same commit: a killed sync merged and remembered both, or neither.
    pub fn merge_from_peer(
        &self,
        id: Gid,
        input: MergeInput,
        up_to: u64,
        now: DateTime<Utc>,
    ) -> Result<MergeSummary, StoreError> {
        self.write(|tx| {
            let summary = merge_tx(tx, input, now)?;
            if let Some(mut p) = peer_tx(tx, id)? {
                p.pulled_up_to = p.pulled_up_to.max(up_to);
                p.last_sync = Some(now);
                put_peer_tx(tx, &p)?;
            }
            Ok(summary)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> Peer {
        Peer {
            id: Gid::new(),
            name: "乙县".into(),
            key: [7; 32],
            address: "127.0.0.1:1".into(),
            region: None,
            paired_at: Utc::now(),
            pulled_up_to: 0,
            pushed_up_to: 0,
            seen_seq: 0,
            sent_seq: 0,
            last_sync: None,
        }
    }

    #[test]
    fn a_request_counter_is_accepted_once_and_only_upwards() {
        let store = Store::in_memory().unwrap();
        assert!(store.peers().unwrap().is_empty());
        let p = peer();
        assert!(!store.accept_peer_seq(p.id, 5).unwrap(), "unpaired");
        store.pair_peer(&p).unwrap();
        assert!(store.accept_peer_seq(p.id, 5).unwrap());
        assert!(!store.accept_peer_seq(p.id, 5).unwrap(), "replayed");
        assert!(!store.accept_peer_seq(p.id, 4).unwrap(), "older");
        assert!(store.accept_peer_seq(p.id, 6).unwrap());
        assert_eq!(store.next_peer_seq(p.id, 10).unwrap(), 10);
        assert_eq!(store.next_peer_seq(p.id, 3).unwrap(), 11);
        store
            .advance_peer(p.id, Some(9), Some(4), None, Utc::now())
            .unwrap();
        store
            .advance_peer(p.id, Some(2), None, None, Utc::now())
            .unwrap();
        let back = store.peer(p.id).unwrap().unwrap();
        assert_eq!((back.pulled_up_to, back.pushed_up_to), (9, 4));
        assert!(store.remove_peer(p.id).unwrap());
        assert!(store.peer(p.id).unwrap().is_none());
    }
}
