//! The store: one redb file (`<data>/kezhi.redb`) and the only code that touches redb.
//! Tables are declared in `tables.rs`; records go through `codec.rs`; the schema is
//! brought up to date by `migrate.rs` when the file is opened. Writes are closures that
//! commit only when they return `Ok`.

mod accounts;
mod activities;
pub mod audit;
pub mod backup;
mod changes;
mod check;
pub mod codec;
mod demands;
mod group_commit;
mod import;
pub mod indexes;
mod matches;
mod memberships;
pub mod merge;
pub mod migrate;
mod peers;
mod people;
mod settings;
pub mod tables;
mod terms;

pub use accounts::CodeIssue;
pub use activities::{Cancellation, MyActivity, RosterRow, SignupOutcome};
pub use audit::AuditEntry;
pub use changes::{Change, ChangeKind};
pub use check::{CheckReport, check_file};
pub use demands::{DemandFilter, Featured, FeaturedKind};
pub use import::{
    ExistingRows, ImportSummary, TeamRow as ImportTeamRow, VolunteerRow as ImportVolunteerRow,
};
pub use indexes::{ListPage, VolunteerQuery, VolunteerRow};
pub use memberships::{MemberRow, TeamRow};
pub use peers::Peer;
pub use people::{PeopleCounts, TeamSummary};
pub use terms::ListFilter;

use crate::domain::ids::Gid;
use redb::{Database, ReadTransaction, ReadableDatabase, WriteTransaction};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The file name of the database inside the data folder.
pub const DB_FILE: &str = "kezhi.redb";

/// What went wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// redb failed (corruption detected by redb, …).
    Db(String),
    /// Reading or writing the file failed (a full disk, a failing medium). redb refuses
    /// every later operation after one, so the store reopens the file on the next request:
    /// once space is freed it carries on.
    Unavailable(String),
    /// Another process holds the database file open.
    Locked,
    /// A record could not be decoded.
    Codec(codec::CodecError),
    /// The file is readable but its contents are not what Kezhi writes.
    Corrupt(String),
    /// The file was written by a newer Kezhi.
    NewerSchema { found: u32, supported: u32 },
    /// A unique value is already in use; the field is named in Chinese for the message.
    Taken(&'static str),
    /// The record asked for does not exist.
    NotFound,
    /// A rule checked inside the transaction refused the write.
    Refused(crate::domain::refusal::Refusal),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Db(e) => write!(f, "database error: {e}"),
            StoreError::Unavailable(e) => write!(f, "data file I/O failed: {e}"),
            StoreError::Locked => write!(f, "database file is open in another process"),
            StoreError::Codec(e) => write!(f, "{e}"),
            StoreError::Corrupt(e) => write!(f, "database content is not Kezhi's: {e}"),
            StoreError::NewerSchema { found, supported } => write!(
                f,
                "database schema v{found} is newer than this build supports (v{supported})"
            ),
            StoreError::Taken(field) => write!(f, "unique value taken: {field}"),
            StoreError::NotFound => write!(f, "record not found"),
            StoreError::Refused(why) => write!(f, "refused: {why:?}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// A message for the person at the terminal or in the browser.
    pub fn user_message(&self) -> String {
        match self {
            StoreError::Locked => {
                "数据文件正被另一个 Kezhi 程序使用。请先关闭另一个窗口中的 Kezhi，再重试。".into()
            }
            StoreError::NewerSchema { found, supported } => format!(
                "这个数据文件由更新版本的 Kezhi 写入（数据格式 v{found}，本程序只支持到 v{supported}）。\
                 请使用更新版本的 Kezhi 打开，或恢复一份旧的备份。"
            ),
            StoreError::Taken(field) => format!("{field}已被使用"),
            StoreError::NotFound => "找不到该记录".into(),
            StoreError::Refused(why) => why.to_string(),
            StoreError::Codec(_) | StoreError::Corrupt(_) => {
                "数据文件已损坏或不是 Kezhi 的数据文件。请从备份恢复。".into()
            }
            StoreError::Db(_) => "读写数据文件时出错，请检查磁盘空间和文件权限。".into(),
            StoreError::Unavailable(_) => {
                "写入数据文件失败：磁盘空间可能已满或磁盘出错。请腾出磁盘空间后稍后再试，已保存的数据不受影响。".into()
            }
        }
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::DatabaseAlreadyOpen => StoreError::Locked,
            redb::Error::Io(io) => StoreError::Unavailable(io.to_string()),
            redb::Error::PreviousIo => StoreError::Unavailable("an earlier I/O error".into()),
            other => StoreError::Db(other.to_string()),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { redb::Error::from(e).into() }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<codec::CodecError> for StoreError {
    fn from(e: codec::CodecError) -> Self {
        StoreError::Codec(e)
    }
}

/// redb's page cache. Its default (1 GiB) filled with the whole file when the start-up
/// backup read every table of a 100,000-volunteer county, and the server then held ~380
/// MB; the pages lists use (indexes and the rows on screen) fit in far less, and the
/// operating system's file cache keeps the rest close.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The open database.
pub struct Store {
    /// `None` after an I/O error until the file is opened again (see `database`).
    db: RwLock<Option<Arc<Database>>>,
    /// Set by an I/O error: the next operation reopens the file first.
    needs_reopen: AtomicBool,
    path: Option<PathBuf>,
    installation_id: Gid,
    /// Counts the commits of this process (see [`Store::generation`]).
    generation: AtomicU64,
    /// The admin volunteer list's recent match lists (see `matches.rs`).
    matches: matches::MatchCache,
    /// Signups arriving together share one write transaction.
    signups: group_commit::GroupCommit<activities::SignupRequest, SignupOutcome>,
}

impl Store {
    /// Open (or create) the database file, run migrations, and refuse a newer schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::finish_open(Self::open_file(path)?, Some(path.to_path_buf()))
    }

    fn open_file(path: &Path) -> Result<Database, StoreError> {
        // SingleWriter: this process writes, and `kezhi backup` may read the file from
        // another process at the same time.
        Ok(Database::builder()
            .set_concurrency_mode(redb::ConcurrencyMode::SingleWriter)
            .set_cache_size(CACHE_BYTES)
            .create(path)?)
    }

    /// The open database; after an I/O error, the file opened again (redb refuses every
    /// operation after one, and a full disk is the usual cause on a laptop).
    fn database(&self) -> Result<Arc<Database>, StoreError> {
        if !self.needs_reopen.load(Ordering::Acquire)
            && let Some(db) = self.db.read().unwrap_or_else(|p| p.into_inner()).as_ref()
        {
            return Ok(db.clone());
        }
        let Some(path) = &self.path else {
            // In memory there is nothing to reopen.
            return self
                .db
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .ok_or_else(|| StoreError::Unavailable("closed".into()));
        };
        let mut slot = self.db.write().unwrap_or_else(|p| p.into_inner());
        if !self.needs_reopen.load(Ordering::Acquire)
            && let Some(db) = slot.as_ref()
        {
            return Ok(db.clone());
        }
        // The file lock is held until the old handle is gone: wait for readers in flight.
        if let Some(mut old) = slot.take() {
            let started = std::time::Instant::now();
            loop {
                match Arc::try_unwrap(old) {
                    Ok(db) => {
                        drop(db);
                        break;
                    }
                    Err(still) if started.elapsed() < std::time::Duration::from_secs(5) => {
                        old = still;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    Err(still) => {
                        *slot = Some(still);
                        return Err(StoreError::Unavailable("still in use".into()));
                    }
                }
            }
        }
        let db = Arc::new(Self::open_file(path)?);
        log::warn!("data file reopened after an I/O error");
        *slot = Some(db.clone());
        self.needs_reopen.store(false, Ordering::Release);
        Ok(db)
    }

    /// The open database, for a snapshot copy.
    pub(crate) fn database_for_backup(&self) -> Result<Arc<Database>, StoreError> {
        self.database()
    }

    /// Note an error: an I/O failure makes the next operation reopen the file.
    fn noted(&self, e: StoreError) -> StoreError {
        if let StoreError::Unavailable(why) = &e {
            log::error!("data file I/O failed: {why}");
            if self.path.is_some() {
                self.needs_reopen.store(true, Ordering::Release);
            }
        }
        e
    }

    /// A store in memory, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::finish_open(db, None)
    }

    fn finish_open(db: Database, path: Option<PathBuf>) -> Result<Store, StoreError> {
        migrate::run(&db)?;
        let installation_id = settings::ensure_installation_id(&db)?;
        Ok(Store {
            db: RwLock::new(Some(Arc::new(db))),
            needs_reopen: AtomicBool::new(false),
            path,
            installation_id,
            generation: AtomicU64::new(0),
            matches: Default::default(),
            signups: group_commit::GroupCommit::new(activities::sign_up_tx),
        })
    }

    /// The id of this installation (this laptop's data file), stamped on records it creates.
    pub fn installation_id(&self) -> Gid {
        self.installation_id
    }

    /// A number that moves after every write transaction of this process (this process is
    /// the only writer of its file). Read it before reading the store: what was read
    /// reflects at least that generation, so a result kept with it stays exact while the
    /// number has not moved (the rendered-page cache relies on this).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Where the database file is, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Run `f` in a write transaction: commit if it returns `Ok`, abort otherwise.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let db = self.database()?;
        let tx = db
            .begin_write()
            .map_err(|e| self.noted(StoreError::from(e)))?;
        match f(&tx) {
            Ok(v) => {
                let committed = tx.commit();
                // Moved after the commit, also a failed one (whether it reached the file is
                // unknown): a reader that saw the old number read before this commit.
                self.generation.fetch_add(1, Ordering::Release);
                committed.map_err(|e| self.noted(StoreError::from(e)))?;
                Ok(v)
            }
            Err(e) => {
                if let Err(abort) = tx.abort() {
                    log::error!("aborting a write transaction failed: {abort}");
                }
                Err(e)
            }
        }
    }

    /// Run `f` in a read transaction (a consistent snapshot).
    pub(crate) fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self
            .database()?
            .begin_read()
            .map_err(|e| self.noted(StoreError::from(e)))?;
        f(&tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_closure_commits_nothing() {
        let store = Store::in_memory().unwrap();
        let r: Result<(), StoreError> = store.write(|tx| {
            let mut s = tx.open_table(tables::SETTINGS)?;
            s.insert("k", "v")?;
            Err(StoreError::NotFound)
        });
        assert!(r.is_err());
        assert_eq!(store.setting("k").unwrap(), None);
        store.set_setting("k", "v").unwrap();
        assert_eq!(store.setting("k").unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn reopen_keeps_installation_id_and_refuses_second_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let first = Store::open(&path).unwrap();
        let id = first.installation_id();
        assert!(matches!(Store::open(&path), Err(StoreError::Locked)));
        drop(first);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.installation_id(), id);
    }
}
