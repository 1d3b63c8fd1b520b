//! Recently computed match lists of the admin's volunteer list, stamped with the changes
//! log position they were read at.
//!
//! A filtered list must walk every matching index key to count its total, and a deep page
//! (page 500 is 25,000 rows in) must walk the keys before it: redb has no rank, so no
//! index can jump to a position. An admin pages through one result set at a time, so the
//! ids of the last few result sets are kept, newest first, and reused while nothing has
//! been written: every write of a record appends to the `changes` log in its own
//! transaction, so the log's last sequence, read in the same snapshot as the lists, says
//! exactly whether a kept list still describes the store. A write costs nothing here; the
//! next list simply misses and walks the keys once.

use super::indexes::VolunteerQuery;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Result sets kept; an admin flipping between a few filters finds them all.
const KEPT: usize = 8;
/// Ids kept in all (16 bytes each): 1,000,000 is 16 MB, ten lists of a 100,000-volunteer
/// county.
const KEPT_IDS: usize = 1_000_000;

/// The matching ids of a query, newest first.
pub(super) type Matches = Arc<Vec<u128>>;

#[derive(Default)]
pub(super) struct MatchCache {
    kept: Mutex<VecDeque<Kept>>,
}

struct Kept {
    at_change: u64,
    query: VolunteerQuery,
    ids: Matches,
}

impl MatchCache {
    /// The ids kept for `query` if they were read at change `at_change`.
    pub(super) fn get(&self, query: &VolunteerQuery, at_change: u64) -> Option<Matches> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        // Lists read before the latest write can never match again.
        kept.retain(|k| k.at_change >= at_change);
        let i = kept
            .iter()
            .position(|k| k.at_change == at_change && k.query == *query)?;
        let hit = kept.remove(i)?;
        let ids = hit.ids.clone();
        kept.push_front(hit);
        Some(ids)
    }

    /// Keep `ids` for `query`, read at change `at_change`.
    pub(super) fn put(&self, query: &VolunteerQuery, at_change: u64, ids: Matches) {
        if ids.len() > KEPT_IDS {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|k| k.at_change >= at_change && k.query != *query);
        kept.push_front(Kept {
            at_change,
            query: query.clone(),
            ids,
        });
        let mut total = 0;
        let mut keep = 0;
        for k in kept.iter() {
            total += k.ids.len();
            if keep == KEPT || total > KEPT_IDS {
                break;
            }
            keep += 1;
        }
        kept.truncate(keep);
    }

    /// Forget everything: the indexes were rebuilt without going through the changes log.
    pub(super) fn clear(&self) {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> VolunteerQuery {
        VolunteerQuery {
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_list_is_reused_only_at_the_change_it_was_read_at() {
        let cache = MatchCache::default();
        cache.put(&q("王"), 7, Arc::new(vec![3, 2, 1]));
        assert_eq!(cache.get(&q("王"), 7).as_deref(), Some(&vec![3, 2, 1]));
        assert!(cache.get(&q("李"), 7).is_none());
        assert!(cache.get(&q("王"), 8).is_none(), "a write since");
        assert!(
            cache.get(&q("王"), 7).is_none(),
            "dropped once a newer change is seen"
        );
    }

    #[test]
    fn keeps_the_most_recent_lists_within_the_bounds() {
        let cache = MatchCache::default();
        for i in 0..20 {
            cache.put(&q(&i.to_string()), 1, Arc::new(vec![i]));
        }
        assert!(cache.get(&q("19"), 1).is_some());
        assert!(cache.get(&q("12"), 1).is_some());
        assert!(cache.get(&q("11"), 1).is_none(), "only {KEPT} kept");
        cache.put(&q("big"), 1, Arc::new(vec![0; KEPT_IDS]));
        assert!(cache.get(&q("big"), 1).is_some());
        assert!(cache.get(&q("19"), 1).is_none(), "bounded by ids in all");
        cache.put(&q("huge"), 1, Arc::new(vec![0; KEPT_IDS + 1]));
        assert!(cache.get(&q("huge"), 1).is_none(), "too large to keep");
        cache.clear();
        assert!(cache.get(&q("big"), 1).is_none());
    }
}
