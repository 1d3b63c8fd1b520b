//! Group commit: writes of one kind that arrive together share one write transaction.
//!
//! redb runs one write transaction at a time and each commit syncs the file, so when a
//! popular activity opens, hundreds of phones signing up at once queue behind each
//! other's commits. Here the first caller to find no batch running becomes the leader: it
//! takes every request queued so far, applies each in turn inside one transaction and
//! commits once; the others wait for their outcome. A request refused by a rule wrote
//! nothing (every grouped write checks before it writes), so it does not disturb the
//! others. If the shared transaction fails (a full disk), each request is applied again in
//! a transaction of its own, so every caller gets its own true outcome.

use super::{Store, StoreError};
use redb::WriteTransaction;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// Requests applied in one transaction at most; the rest wait for the next one.
const MOST_PER_BATCH: usize = 256;

/// Applies one request inside the shared transaction. It must check before it writes:
/// an `Err` that is not a storage failure (see `writes_nothing`) must leave nothing
/// written.
pub(super) type Apply<R, T> = fn(&WriteTransaction, &R) -> Result<T, StoreError>;

pub(super) struct GroupCommit<R, T> {
    apply: Apply<R, T>,
    state: Mutex<Queue<R, T>>,
    settled: Condvar,
}

struct Queue<R, T> {
    next_ticket: u64,
    waiting: Vec<(u64, R)>,
    leading: bool,
    outcomes: HashMap<u64, Result<T, StoreError>>,
}

/// Errors a rule returns before writing anything; any other error may have left part of
/// a request written, so the shared transaction must not commit.
fn writes_nothing(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Refused(_) | StoreError::NotFound | StoreError::Taken(_)
    )
}

impl<R, T> GroupCommit<R, T> {
    pub(super) fn new(apply: Apply<R, T>) -> Self {
        GroupCommit {
            apply,
            state: Mutex::new(Queue {
                next_ticket: 0,
                waiting: Vec::new(),
                leading: false,
                outcomes: HashMap::new(),
            }),
            settled: Condvar::new(),
        }
    }

    /// Apply `request` together with whatever else is queued, and return its own outcome.
    pub(super) fn submit(&self, store: &Store, request: R) -> Result<T, StoreError> {
        let mut q = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiting.push((ticket, request));
        loop {
            if let Some(outcome) = q.outcomes.remove(&ticket) {
                return outcome;
            }
            if !q.leading {
                q.leading = true;
                let take = q.waiting.len().min(MOST_PER_BATCH);
                let batch: Vec<(u64, R)> = q.waiting.drain(..take).collect();
                drop(q);
                let mut lead = Lead {
                    group: self,
                    tickets: batch.iter().map(|(t, _)| *t).collect(),
                    outcomes: Vec::new(),
                };
                lead.outcomes = self.run(store, batch);
                drop(lead);
                q = self.state.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            q = self.settled.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn run(&self, store: &Store, batch: Vec<(u64, R)>) -> Vec<(u64, Result<T, StoreError>)> {
        let shared = store.write(|tx| {
            let mut outcomes = Vec::with_capacity(batch.len());
            for (ticket, request) in &batch {
                match (self.apply)(tx, request) {
                    Err(e) if !writes_nothing(&e) => return Err(BatchEnd::Failed(e)),
                    outcome => outcomes.push((*ticket, outcome)),
                }
            }
            // Every request refused (an activity already full): nothing to commit, and a
            // commit would still wait for the disk.
            if outcomes.iter().all(|(_, o)| o.is_err()) {
                return Err(BatchEnd::NothingWritten(outcomes));
            }
            Ok(outcomes)
        });
        match shared {
            Ok(outcomes) | Err(BatchEnd::NothingWritten(outcomes)) => outcomes,
            Err(BatchEnd::Failed(e)) => {
                log::warn!(
                    "a grouped write of {} requests failed ({e}); applying each alone",
                    batch.len()
                );
                batch
                    .into_iter()
                    .map(|(ticket, request)| (ticket, store.write(|tx| (self.apply)(tx, &request))))
                    .collect()
            }
        }
    }
}

/// How a batch's transaction ends when it does not commit.
enum BatchEnd<T> {
    /// A storage failure: each request is applied again alone.
    Failed(StoreError),
    /// Every request was refused by a rule; these are their outcomes.
    NothingWritten(Vec<(u64, Result<T, StoreError>)>),
}

impl<T> From<StoreError> for BatchEnd<T> {
    fn from(e: StoreError) -> Self {
        BatchEnd::Failed(e)
    }
}

/// The leader's duty, done when the batch is over (or when applying it panicked): post
/// the outcomes, give every ticket of the batch still without one an error rather than
/// leave its caller waiting for ever, and hand the lead on.
struct Lead<'g, R, T> {
    group: &'g GroupCommit<R, T>,
    tickets: Vec<u64>,
    outcomes: Vec<(u64, Result<T, StoreError>)>,
}

impl<R, T> Drop for Lead<'_, R, T> {
    fn drop(&mut self) {
        let mut q = self.group.state.lock().unwrap_or_else(|p| p.into_inner());
        q.outcomes.extend(self.outcomes.drain(..));
        for ticket in self.tickets.drain(..) {
            q.outcomes
                .entry(ticket)
                .or_insert_with(|| Err(StoreError::Unavailable("grouped write failed".into())));
        }
        q.leading = false;
        self.group.settled.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::synth::{self, Sizes};
    use crate::domain::activity::{Activity, ActivityState};
    use crate::domain::ids::Gid;
    use crate::domain::refusal::Refusal;
    use crate::store::SignupOutcome;
    use crate::store::activities::SignupRequest;
    use chrono::{Duration, NaiveDateTime, Utc};
    use std::sync::Arc;

    fn open_activity(capacity: u32) -> (Arc<Store>, Activity, Vec<Gid>, NaiveDateTime) {
        let store = Store::in_memory().unwrap();
        let now = Utc::now();
        let county = synth::county(
            3,
            Sizes {
                volunteers: 60,
                teams: 2,
                activities: 1,
                signups: 0,
            },
            now,
        );
        store.bulk_load(&county).unwrap();
        let local = now.naive_utc();
        let mut a = county.activities[0].clone();
        a.state = ActivityState::Published;
        a.capacity = capacity;
        a.signup_opens = local - Duration::hours(1);
        a.signup_closes = local + Duration::days(1);
        a.starts_at = local + Duration::days(2);
        a.ends_at = a.starts_at + Duration::hours(2);
        store.save_activity(&a, now).unwrap();
        let people = county.volunteers.iter().map(|v| v.id).collect();
        (Arc::new(store), a, people, local)
    }

    #[test]
    fn a_batch_of_refusals_commits_nothing() {
        let (store, a, people, local) = open_activity(3);
        for &v in &people[..3] {
            store.sign_up(a.id, v, Utc::now(), local, false).unwrap();
        }
        let before = store.generation();
        let threads: Vec<_> = people[3..30]
            .iter()
            .map(|&v| {
                let store = store.clone();
                std::thread::spawn(move || store.sign_up(a.id, v, Utc::now(), local, false))
            })
            .collect();
        for t in threads {
            assert!(matches!(
                t.join().unwrap(),
                Err(StoreError::Refused(Refusal::ActivityFull))
            ));
        }
        assert_eq!(store.generation(), before, "no transaction was committed");
        assert_eq!(store.signup_counts(a.id).unwrap(), (3, 0));
    }

    #[test]
    fn concurrent_signups_fill_exactly_the_seats() {
        let (store, a, people, local) = open_activity(5);
        let threads: Vec<_> = people[..40]
            .iter()
            .map(|&v| {
                let store = store.clone();
                std::thread::spawn(move || store.sign_up(a.id, v, Utc::now(), local, true))
            })
            .collect();
        let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let signed = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(SignupOutcome::SignedUp)))
            .count();
        let waiting = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(SignupOutcome::Waitlisted)))
            .count();
        assert_eq!((signed, waiting), (5, 35));
        assert_eq!(store.signup_counts(a.id).unwrap(), (5, 35));
        assert_eq!(store.check().unwrap().problems, Vec::<String>::new());
    }

    #[test]
    fn a_refused_request_does_not_disturb_its_batch() {
        let (store, a, people, local) = open_activity(2);
        let ask = |volunteer: Gid, waitlist: bool| SignupRequest {
            activity: a.id,
            volunteer,
            now: Utc::now(),
            now_local: local,
            waitlist,
        };
        let batch = vec![
            (0, ask(people[0], false)),
            (1, ask(people[0], false)),
            (2, ask(Gid::new(), false)),
            (3, ask(people[1], false)),
            (4, ask(people[2], false)),
            (5, ask(people[3], true)),
        ];
        let outcomes = store.signups.run(&store, batch);
        let seen: Vec<String> = outcomes.iter().map(|(t, o)| format!("{t}:{o:?}")).collect();
        assert!(
            matches!(outcomes[0].1, Ok(SignupOutcome::SignedUp)),
            "{seen:?}"
        );
        assert!(
            matches!(
                outcomes[1].1,
                Err(StoreError::Refused(Refusal::AlreadySignedUp))
            ),
            "the same tap twice: {seen:?}"
        );
        assert!(
            matches!(outcomes[2].1, Err(StoreError::NotFound)),
            "{seen:?}"
        );
        assert!(
            matches!(outcomes[3].1, Ok(SignupOutcome::SignedUp)),
            "{seen:?}"
        );
        assert!(
            matches!(
                outcomes[4].1,
                Err(StoreError::Refused(Refusal::ActivityFull))
            ),
            "{seen:?}"
        );
        assert!(
            matches!(outcomes[5].1, Ok(SignupOutcome::Waitlisted)),
            "{seen:?}"
        );
        assert_eq!(store.signup_counts(a.id).unwrap(), (2, 1));
        assert!(store.signup(a.id, people[2]).unwrap().is_none());
        assert_eq!(store.check().unwrap().problems, Vec::<String>::new());
    }

    fn panics_on_zero(_: &WriteTransaction, r: &u32) -> Result<u32, StoreError> {
        assert!(*r != 0, "applying request 0 panics");
        Ok(*r)
    }

    #[test]
    fn a_panicking_batch_hands_the_lead_on() {
        let store = Store::in_memory().unwrap();
        let group = GroupCommit::new(panics_on_zero);
        let failed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| group.submit(&store, 0)));
        assert!(failed.is_err());
        assert_eq!(group.submit(&store, 7).unwrap(), 7);
    }
}
