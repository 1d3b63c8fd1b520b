//! Backups and restores. A backup is a fresh redb file filled from one read snapshot, so
//! it is consistent while the server keeps writing. A restore checks that the file is a
//! Kezhi database of a known schema before it replaces anything, and keeps the replaced
//! file aside.

use super::migrate::SCHEMA_VERSION;
use super::tables::*;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};

/// Rows copied per write transaction of the new file. One transaction for the whole copy
/// held every page of the new file in memory until its commit: the county benchmark's
/// server reached 520 MB during its start-up backup, before serving any page. The new
/// file is renamed into place only when complete, so committing it in parts changes
/// nothing for anyone reading backups.
const COPY_CHUNK: u64 = 50_000;
/// The new file's cache (bytes).
const COPY_CACHE: usize = 16 * 1024 * 1024;

/// Copy every row of one table from the snapshot into the new file, `COPY_CHUNK` rows per
/// transaction.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    src: &ReadTransaction,
    dst: &Database,
    def: TableDefinition<K, V>,
) -> Result<u64, StoreError> {
    let from = match src.open_table(def) {
        Ok(t) => t,
        // A table this build knows but the snapshot lacks has nothing to copy.
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut rows = from.iter()?;
    let mut n = 0;
    loop {
        let tx = dst.begin_write()?;
        let mut copied = 0;
        {
            let mut to = tx.open_table(def)?;
            for row in rows.by_ref() {
                let (k, v) = row?;
                to.insert(k.value(), v.value())?;
                copied += 1;
                if copied == COPY_CHUNK {
                    break;
                }
            }
        }
        tx.commit()?;
        n += copied;
        if copied < COPY_CHUNK {
            return Ok(n);
        }
    }
}

/// Every table of the catalogue, copied; returns the rows copied.
fn copy_all(src: &ReadTransaction, dst: &Database) -> Result<u64, StoreError> {
    let mut n = 0;
    n += copy_table(src, dst, META)?;
    n += copy_table(src, dst, SETTINGS)?;
    n += copy_table(src, dst, CHANGES)?;
    n += copy_table(src, dst, ADMINS)?;
    n += copy_table(src, dst, USERNAME_ADMIN)?;
    n += copy_table(src, dst, SESSIONS)?;
    n += copy_table(src, dst, LOGIN_CODES)?;
    n += copy_table(src, dst, CODE_REQUESTS)?;
    n += copy_table(src, dst, OUTBOX)?;
    n += copy_table(src, dst, AUDIT)?;
    n += copy_table(src, dst, VOLUNTEERS)?;
    n += copy_table(src, dst, PHONE_VOLUNTEER)?;
    n += copy_table(src, dst, IDNUMBER_VOLUNTEER)?;
    n += copy_table(src, dst, TEAMS)?;
    n += copy_table(src, dst, NAME_TEAM)?;
    n += copy_table(src, dst, ADMINPHONE_TEAMS)?;
    n += copy_table(src, dst, TEAM_MEMBERS)?;
    n += copy_table(src, dst, VOLUNTEER_TEAMS)?;
    n += copy_table(src, dst, ACTIVITIES)?;
    n += copy_table(src, dst, TEAM_ACTIVITIES)?;
    n += copy_table(src, dst, ACTIVITY_SIGNUPS)?;
    n += copy_table(src, dst, VOLUNTEER_SIGNUPS)?;
    n += copy_table(src, dst, CHECKIN_TOKENS)?;
    n += copy_table(src, dst, REPORTS)?;
    n += copy_table(src, dst, PHOTOS)?;
    n += copy_table(src, dst, CERTIFICATES)?;
    n += copy_table(src, dst, VOLUNTEER_CERTIFICATES)?;
    n += copy_table(src, dst, MERGE_CONFLICTS)?;
    n += copy_table(src, dst, ID_ALIASES)?;
    n += copy_table(src, dst, DEMANDS)?;
    n += copy_table(src, dst, NUMBER_DEMAND)?;
    n += copy_table(src, dst, FEATURED)?;
    n += copy_table(src, dst, SHOWCASE_CONSENT)?;
    n += copy_table(src, dst, TEAM_REVIEWS)?;
    n += copy_table(src, dst, NAMESUFFIX_VOLUNTEERS)?;
    n += copy_table(src, dst, PHONETAIL_VOLUNTEERS)?;
    n += copy_table(src, dst, REGION_VOLUNTEERS)?;
    n += copy_table(src, dst, SANZHANG_VOLUNTEERS)?;
    n += copy_table(src, dst, CATEGORY_VOLUNTEERS)?;
    n += copy_table(src, dst, TEAM_VOLUNTEERS)?;
    n += copy_table(src, dst, STATUS_TEAMS)?;
    n += copy_table(src, dst, TEAM_NAMES)?;
    n += copy_table(src, dst, STATE_ACTIVITIES)?;
    n += copy_table(src, dst, ACTIVITY_SEATS)?;
    n += copy_table(src, dst, TERM_ACTIVITIES)?;
    n += copy_table(src, dst, TERM_TEAMS)?;
    n += copy_table(src, dst, TERM_DEMANDS)?;
    n += copy_table(src, dst, ACTION_AUDIT)?;
    Ok(n)
}

/// Why a restore was refused.
#[derive(Debug)]
pub enum RestoreError {
    NotADatabase(String),
    NotKezhi,
    NewerSchema { found: u32, supported: u32 },
    Io(String),
}

impl RestoreError {
    /// The message for the terminal.
    pub fn message(&self) -> String {
        match self {
            RestoreError::NotADatabase(e) => {
                format!("这不是科志的数据文件（无法作为数据库打开：{e}），没有做任何更改。")
            }
            RestoreError::NotKezhi => {
                "这个数据库不是科志的数据文件（缺少版本信息），没有做任何更改。".into()
            }
            RestoreError::NewerSchema { found, supported } => format!(
                "这个备份由更新版本的科志写入（数据格式 v{found}，本程序只支持到 v{supported}），没有做任何更改。"
            ),
            RestoreError::Io(e) => format!("读写文件出错：{e}，没有做任何更改。"),
        }
    }
}

/// Write the snapshot `src` into a new database file at `target` (which must not exist),
/// through a temporary name so a failed backup leaves no half file behind.
fn write_copy(src: ReadTransaction, target: &Path) -> Result<u64, StoreError> {
    if target.exists() {
        return Err(StoreError::Db(format!(
            "{} already exists",
            target.display()
        )));
    }
    let partial = target.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        // The new file is only written: redb's default cache (1 GiB) would keep every
        // page of it in memory after its commit.
        let dst = Database::builder()
            .set_cache_size(COPY_CACHE)
            .create(&partial)?;
        let n = copy_all(&src, &dst)?;
        drop(dst);
        Ok::<_, StoreError>(n)
    })();
    match result {
        Ok(n) => {
            std::fs::rename(&partial, target).map_err(|e| StoreError::Db(e.to_string()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Back up the database file at `db_path` from another process while a server may be
/// writing it (the store opens files in single-writer mode, so readers may join).
pub fn backup_file(db_path: &Path, target: &Path) -> Result<u64, StoreError> {
    let db = Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::SingleWriter)
        .open_read_only(db_path)?;
    write_copy(db.begin_read()?, target)
}

impl Store {
    /// Write a consistent copy of the whole database to `target` (which must not exist).
    /// The server keeps serving meanwhile: the copy reads one snapshot.
    pub fn backup_to(&self, target: &Path) -> Result<u64, StoreError> {
        write_copy(self.database_for_backup()?.begin_read()?, target)
    }
}

/// Check that `file` is a Kezhi database this build can open: the schema version.
pub fn inspect(file: &Path) -> Result<u32, RestoreError> {
    let db = redb::ReadOnlyDatabase::open(file)
        .map_err(|e| RestoreError::NotADatabase(e.to_string()))?;
    let tx = db
        .begin_read()
        .map_err(|e| RestoreError::NotADatabase(e.to_string()))?;
    let meta = tx.open_table(META).map_err(|_| RestoreError::NotKezhi)?;
    let v = meta
        .get("schema_version")
        .map_err(|e| RestoreError::NotADatabase(e.to_string()))?
        .ok_or(RestoreError::NotKezhi)?;
    let bytes: [u8; 4] = v.value().try_into().map_err(|_| RestoreError::NotKezhi)?;
    let found = u32::from_le_bytes(bytes);
    if found > SCHEMA_VERSION {
        return Err(RestoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Replace the database at `db_path` with `file` (the server must be stopped). The
/// replaced file is kept beside it; returns where.
pub fn restore(file: &Path, db_path: &Path) -> Result<Option<PathBuf>, RestoreError> {
    inspect(file)?;
    let io = |e: std::io::Error| RestoreError::Io(e.to_string());
    let staged = db_path.with_extension("restoring");
    std::fs::copy(file, &staged).map_err(io)?;
    let kept = if db_path.exists() {
        let aside = db_path.with_extension(format!(
            "replaced-{}.redb",
            Utc::now().format("%Y%m%d%H%M%S")
        ));
        std::fs::rename(db_path, &aside).map_err(io)?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&staged, db_path).map_err(io)?;
    Ok(kept)
}

/// The automatic daily backup: `<dir>/kezhi-YYYYMMDD.redb` once a day, keeping the newest
/// `keep`. Returns the file written, if one was due.
pub fn daily(
    store: &Store,
    dir: &Path,
    today: chrono::NaiveDate,
    keep: usize,
) -> Result<Option<PathBuf>, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(format!("{}: {e}", dir.display())))?;
    let target = dir.join(format!("kezhi-{}.redb", today.format("%Y%m%d")));
    let written = if target.exists() {
        None
    } else {
        store.backup_to(&target)?;
        Some(target)
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| StoreError::Db(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("kezhi-") && n.ends_with(".redb"))
        })
        .collect();
    files.sort();
    while files.len() > keep.max(1) {
        let old = files.remove(0);
        let _ = std::fs::remove_file(&old);
    }
    Ok(written)
}

/// The newest backup in `dir` and when it was written.
pub fn last_backup(dir: &Path) -> Option<(PathBuf, DateTime<Utc>)> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".redb")))
        .filter_map(|e| {
            Some((
                e.path(),
                DateTime::<Utc>::from(e.metadata().ok()?.modified().ok()?),
            ))
        })
        .max_by_key(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableHandle;

    fn store_with_rows(dir: &Path) -> Store {
        let s = Store::open(&dir.join("kezhi.redb")).unwrap();
        for i in 0..50 {
            s.set_setting(&format!("k{i}"), "v").unwrap();
        }
        s
    }

    #[test]
    fn backup_copies_every_table_and_restores() {
        let dir = tempfile::tempdir().unwrap();
        let s = store_with_rows(dir.path());
        let target = dir.path().join("copy.redb");
        s.backup_to(&target).unwrap();
        assert_eq!(inspect(&target).unwrap(), SCHEMA_VERSION);
        // Every table of the live file exists in the copy.
        let live: Vec<String> = s
            .database_for_backup()
            .unwrap()
            .begin_read()
            .unwrap()
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_string())
            .collect();
        let copy_db = redb::ReadOnlyDatabase::open(&target).unwrap();
        let copied: Vec<String> = copy_db
            .begin_read()
            .unwrap()
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_string())
            .collect();
        for name in &live {
            assert!(
                copied.contains(name),
                "table {name} missing from the backup"
            );
        }
        drop(copy_db);
        let opened = Store::open(&target).unwrap();
        assert_eq!(opened.setting("k49").unwrap().as_deref(), Some("v"));
        assert_eq!(opened.installation_id(), s.installation_id());
    }

    #[test]
    fn backup_while_a_writer_inserts_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(store_with_rows(dir.path()));
        let writer = {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..300 {
                    s.set_setting(&format!("w{i:04}"), "x").unwrap();
                }
            })
        };
        let mut copies = Vec::new();
        for i in 0..5 {
            let target = dir.path().join(format!("b{i}.redb"));
            s.backup_to(&target).unwrap();
            copies.push(target);
        }
        writer.join().unwrap();
        for c in copies {
            let st = Store::open(&c).unwrap();
            let keys: Vec<String> = st
                .settings()
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| k.starts_with('w'))
                .collect();
            // A snapshot holds a prefix of the writer's inserts: w0000..w(n-1), no gaps.
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(k, &format!("w{i:04}"));
            }
        }
    }

    #[test]
    fn restore_refuses_what_is_not_kezhi_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.redb");
        std::fs::write(&junk, b"not a database at all").unwrap();
        assert!(matches!(inspect(&junk), Err(RestoreError::NotADatabase(_))));
        let other = dir.path().join("other.redb");
        {
            let db = Database::create(&other).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(TableDefinition::<&str, &str>::new("x"))
                .unwrap();
            tx.commit().unwrap();
        }
        assert!(matches!(inspect(&other), Err(RestoreError::NotKezhi)));
        let live = dir.path().join("kezhi.redb");
        let backup = dir.path().join("backup.redb");
        {
            let s = store_with_rows(dir.path());
            s.backup_to(&backup).unwrap();
            s.set_setting("after", "1").unwrap();
        }
        let kept = restore(&backup, &live).unwrap().unwrap();
        assert!(kept.exists());
        let s = Store::open(&live).unwrap();
        assert_eq!(s.setting("after").unwrap(), None, "restored to the backup");
    }

    #[test]
    fn daily_backups_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let s = store_with_rows(dir.path());
        let backups = dir.path().join("backups");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        for i in 0..10 {
            daily(&s, &backups, day + chrono::Duration::days(i), 7).unwrap();
        }
        assert!(
            daily(&s, &backups, day + chrono::Duration::days(9), 7)
                .unwrap()
                .is_none(),
            "once a day"
        );
        assert_eq!(std::fs::read_dir(&backups).unwrap().count(), 7);
        assert!(last_backup(&backups).is_some());
    }
}
