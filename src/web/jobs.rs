//! Background import jobs: a 100,000-row file is checked and committed off the request
//! thread, and the page polls the job's progress. Jobs live in memory for two hours.

use crate::app::import::{self, CommitChoice};
use crate::domain::ids::Gid;
use crate::exchange::columns::Form;
use crate::exchange::import::{CheckReport, Progress};
use crate::store::ImportSummary;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Jobs kept per uploader: a new upload evicts only its own uploader's oldest job, so
/// one team admin's uploads never push out someone else's preview.
const MAX_JOBS_PER_OWNER: usize = 4;
/// Jobs kept in all (each holds its file in memory); past this, the uploader with the most
/// jobs loses their oldest.
const MAX_JOBS: usize = 32;
const JOB_LIFETIME: Duration = Duration::from_secs(2 * 3600);

/// Where a job stands.
#[derive(Debug, Clone)]
pub enum JobState {
    Checking,
    Checked(Arc<CheckReport>),
    Failed(String),
    Committing(Arc<CheckReport>),
    Done(Arc<CheckReport>, ImportSummary),
    /// The commit was refused (errors, all-or-nothing); the report stays for fixing.
    Refused(Arc<CheckReport>, String),
}

/// One uploaded file and what became of it.
pub struct Job {
    pub id: String,
    /// Who started it (`Ctx::owner_key`); only they or a platform admin may see it.
    pub owner: String,
    pub form: Form,
    pub team: Option<Gid>,
    /// Started by a team admin: checked and committed under the team admin's rules.
    pub team_admin: bool,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub progress: Progress,
    pub state: Mutex<JobState>,
    created: Instant,
}

impl Job {
    /// The current state.
    pub fn state(&self) -> JobState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, s: JobState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// Rows checked and the total, for the progress bar.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.progress.checked.load(Ordering::Relaxed),
            self.progress.total.load(Ordering::Relaxed),
        )
    }
}

/// A file to import and who sent it.
pub struct Upload {
    /// `Ctx::owner_key` of the uploader.
    pub owner: String,
    pub form: Form,
    pub team: Option<Gid>,
    /// The uploader is a team admin, not a platform admin.
    pub team_admin: bool,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The registry of jobs.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// Start checking an uploaded file in the background.
    pub fn start(
        &self,
        store: Arc<crate::store::Store>,
        upload: Upload,
        today: NaiveDate,
    ) -> Arc<Job> {
        let job = Arc::new(Job {
            id: crate::domain::secret::token()[..24].to_string(),
            owner: upload.owner,
            form: upload.form,
            team: upload.team,
            team_admin: upload.team_admin,
            file_name: upload.file_name,
            bytes: upload.bytes,
            progress: Progress::default(),
            state: Mutex::new(JobState::Checking),
            created: Instant::now(),
        });
        {
            let mut map = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, j| j.created.elapsed() < JOB_LIFETIME);
            evict_for(&mut map, &job.owner);
            map.insert(job.id.clone(), job.clone());
        }
        let worker = job.clone();
        std::thread::spawn(move || {
            match crate::exchange::import::count_rows(&worker.bytes) {
                Ok(n) => worker.progress.total.store(n, Ordering::Relaxed),
                Err(e) => return worker.set(JobState::Failed(e.message())),
            }
            let result = import::check_as(
                &store,
                worker.form,
                &worker.bytes,
                today,
                &worker.progress,
                worker.team_admin,
            );
            worker.set(match result {
                Ok(report) => JobState::Checked(Arc::new(report)),
                Err(problem) => JobState::Failed(problem.message()),
            });
        });
        job
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Commit a checked job in the background. Refuses a job that is not checked.
    pub fn commit(
        &self,
        store: Arc<crate::store::Store>,
        job: Arc<Job>,
        mut choice: CommitChoice,
        actor: (String, String),
        now: DateTime<Utc>,
    ) -> bool {
        // Checked under the team admin's rules: committed under them too.
        choice.team_admin |= job.team_admin;
        let report = {
            let mut state = job.state.lock().unwrap_or_else(|p| p.into_inner());
            let report = match &*state {
                JobState::Checked(r) | JobState::Refused(r, _) => r.clone(),
                _ => return false,
            };
            *state = JobState::Committing(report.clone());
            report
        };
        std::thread::spawn(move || {
            let result = import::commit(
                &store,
                job.form,
                &report,
                job.team,
                choice,
                (&actor.0, &actor.1),
                now,
            );
            job.set(match result {
                Ok(summary) => JobState::Done(report, summary),
                Err(refusal) => JobState::Refused(report, refusal.message()),
            });
        });
        true
    }
}

/// Make room for one more job of `owner`: first within the owner's own jobs, then, when
/// the whole registry is full, from the uploader holding the most.
fn evict_for(map: &mut HashMap<String, Arc<Job>>, owner: &str) {
    let oldest_of = |map: &HashMap<String, Arc<Job>>, who: &str| {
        map.values()
            .filter(|j| j.owner == who)
            .min_by_key(|j| j.created)
            .map(|j| j.id.clone())
    };
    while map.values().filter(|j| j.owner == owner).count() >= MAX_JOBS_PER_OWNER {
        let Some(id) = oldest_of(map, owner) else {
            break;
        };
        map.remove(&id);
    }
    while map.len() >= MAX_JOBS {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for j in map.values() {
            *counts.entry(j.owner.as_str()).or_default() += 1;
        }
        let Some(busiest) = counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(o, _)| o.to_string())
        else {
            break;
        };
        let Some(id) = oldest_of(map, &busiest) else {
            break;
        };
        map.remove(&id);
    }
}

/// A small in-memory map whose entries expire after `lifetime` and of which at most `max`
/// are kept (the oldest goes first): what the desk, merge confirmations and team drafts
/// hold between requests.
pub struct Expiring<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
    lifetime: Duration,
    max: usize,
}

impl<V: Clone> Expiring<V> {
    pub fn new(lifetime: Duration, max: usize) -> Expiring<V> {
        Expiring {
            entries: Mutex::new(HashMap::new()),
            lifetime,
            max,
        }
    }

    /// Keep `value` under `key` (replacing what was there), dropping expired entries and,
    /// past `max`, the oldest.
    pub fn insert(&self, key: &str, value: V) {
        let mut m = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, (_, at)| at.elapsed() < self.lifetime);
        while m.len() >= self.max && !m.contains_key(key) {
            let Some(oldest) = m
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            m.remove(&oldest);
        }
        m.insert(key.to_string(), (value, Instant::now()));
    }

    /// The live value under `key`.
    pub fn get(&self, key: &str) -> Option<V> {
        let m = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.get(key)
            .filter(|(_, at)| at.elapsed() < self.lifetime)
            .map(|(v, _)| v.clone())
    }

    /// Remove and return the live value under `key` if `accept` agrees.
    pub fn take_if(&self, key: &str, accept: impl FnOnce(&V) -> bool) -> Option<V> {
        let mut m = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match m.get(key) {
            Some((v, at)) if at.elapsed() < self.lifetime && accept(v) => {
                m.remove(key).map(|(v, _)| v)
            }
            _ => None,
        }
    }

    /// Forget `key`.
    pub fn remove(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// Phones proven at the desk, waiting for their form (30 minutes), by the token the form
/// carries.
pub struct DeskGrants(Expiring<String>);

impl Default for DeskGrants {
    fn default() -> Self {
        // A desk registers a few hundred people a day at most.
        DeskGrants(Expiring::new(Duration::from_secs(30 * 60), 2000))
    }
}

impl DeskGrants {
    /// Remember that `phone` was proven; returns the token the form carries.
    pub fn grant(&self, phone: &str) -> String {
        let token = crate::domain::secret::token();
        self.0.insert(&token, phone.to_string());
        token
    }

    /// The phone a live token stands for.
    pub fn phone(&self, token: &str) -> Option<String> {
        self.0.get(token)
    }

    /// Use a token up.
    pub fn forget(&self, token: &str) {
        self.0.remove(token);
    }
}

/// Bundles waiting for the platform admin to confirm the admin-phone changes they bring
/// (30 minutes; a few at most, each up to the upload limit): (uploader, bytes) by token.
pub struct PendingMerges(Expiring<(String, Vec<u8>)>);

impl Default for PendingMerges {
    fn default() -> Self {
        PendingMerges(Expiring::new(Duration::from_secs(30 * 60), 4))
    }
}

impl PendingMerges {
    /// Keep `bytes` for `owner`; returns the token the confirmation form carries.
    pub fn keep(&self, owner: &str, bytes: Vec<u8>) -> String {
        let token = crate::domain::secret::token();
        self.0.insert(&token, (owner.to_string(), bytes));
        token
    }

    /// Take the bundle kept under `token` for `owner`, if it is still there.
    pub fn take(&self, owner: &str, token: &str) -> Option<Vec<u8>> {
        self.0
            .take_if(token, |(who, _)| who == owner)
            .map(|(_, bytes)| bytes)
    }
}

/// What was typed on a form, by field name.
type FormValues = std::collections::BTreeMap<String, String>;

/// Team registrations in progress, by the signed-in phone: what was typed on the team form,
/// so a phone that locks or a tab that closes comes back to it. Kept until the team is
/// registered or for a day; drafts are small, and the cap only stops a flood of verified
/// phones from growing memory.
pub struct TeamDrafts(Expiring<FormValues>);

impl Default for TeamDrafts {
    fn default() -> Self {
        TeamDrafts(Expiring::new(Duration::from_secs(24 * 3600), 2000))
    }
}

impl TeamDrafts {
    /// Remember the team form typed for `phone`.
    pub fn save(&self, phone: &str, values: FormValues) {
        self.0.insert(phone, values);
    }

    /// The draft of `phone`, if one is kept.
    pub fn get(&self, phone: &str) -> Option<FormValues> {
        self.0.get(phone)
    }

    /// The team is registered: the draft is done.
    pub fn forget(&self, phone: &str) {
        self.0.remove(phone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiring_keeps_at_most_max_and_forgets_the_oldest() {
        let e: Expiring<u32> = Expiring::new(Duration::from_secs(60), 2);
        e.insert("a", 1);
        std::thread::sleep(Duration::from_millis(2));
        e.insert("b", 2);
        e.insert("b", 3); // replacing does not evict
        assert_eq!((e.get("a"), e.get("b")), (Some(1), Some(3)));
        e.insert("c", 4);
        assert_eq!((e.get("a"), e.get("c")), (None, Some(4)));
        assert_eq!(e.take_if("b", |v| *v == 0), None);
        assert_eq!(e.take_if("b", |v| *v == 3), Some(3));
        assert_eq!(e.get("b"), None);
        let gone: Expiring<u32> = Expiring::new(Duration::ZERO, 2);
        gone.insert("x", 1);
        assert_eq!(gone.get("x"), None);
    }
}
