//! `kezhi check`: read every record of the data file and check the indexes against the
//! main tables, read-only; `--repair` copies the file aside and rebuilds the indexes.

use std::path::Path;

use crate::store::{Store, StoreError};

/// `check --repair`: open the store for writing (which fails while a server holds the
/// file), copy the file to `backups/before-repair-<time>.redb`, rebuild every index in one
/// transaction, then check again.
pub(super) fn repair(data: &Path) -> Result<(), String> {
    let db_path = data.join(crate::store::DB_FILE);
    if !db_path.exists() {
        return Err(format!(
            "{} 中没有数据文件（{}）。请用 --data 指定数据文件夹。",
            data.display(),
            crate::store::DB_FILE
        ));
    }
    let store = crate::store::Store::open(&db_path).map_err(|e| e.user_message())?;
    let backups = data.join("backups");
    std::fs::create_dir_all(&backups)
        .map_err(|e| format!("无法创建备份文件夹 {}：{e}", backups.display()))?;
    let copy = backups.join(format!(
        "before-repair-{}.redb",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    ));
    store.backup_to(&copy).map_err(|e| e.user_message())?;
    println!("修复前的数据已复制到：{}", copy.display());
    let report = store.repair().map_err(|e| e.user_message())?;
    for (table, n) in &report.rebuilt {
        println!("已重建索引 {table}：{n} 条");
    }
    drop(store);
    check(data)
}

pub(super) fn check(data: &Path) -> Result<(), String> {
    let db_path = data.join(crate::store::DB_FILE);
    if !db_path.exists() {
        return Err(format!(
            "{} 中没有数据文件（{}）。请用 --data 指定数据文件夹。",
            data.display(),
            crate::store::DB_FILE
        ));
    }
    // Read-only: checking must work on a read-only folder and beside a running server,
    // and must never change what it checks.
    let r = match crate::store::check_file(&db_path) {
        Ok(r) => r,
        // A file left by a crash (power loss, a killed server) needs redb's recovery before
        // it can be read, which only a writable open does; nothing else is changed.
        Err(StoreError::Db(why)) => {
            log::info!("read-only check failed ({why}); opening with recovery");
            println!("数据文件上次没有正常关闭，先进行恢复再检查。");
            let store = Store::open(&db_path).map_err(|e| e.user_message())?;
            store.check().map_err(|e| e.user_message())?
        }
        Err(e) => return Err(e.user_message()),
    };
    println!("数据文件：{}", db_path.display());
    println!("数据格式版本：v{}", r.schema_version);
    println!(
        "管理员 {}，志愿者 {}，组织 {}，变更记录 {}，审计记录 {}",
        r.admins, r.volunteers, r.teams, r.changes, r.audit
    );
    if r.problems.is_empty() {
        println!("检查通过，没有发现问题。");
        Ok(())
    } else {
        for p in &r.problems {
            println!("问题：{p}");
        }
        Err(format!("发现 {} 个问题", r.problems.len()))
    }
}
