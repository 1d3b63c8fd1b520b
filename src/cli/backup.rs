//! `kezhi backup` and `kezhi restore`: copy the data file out (also beside a running
//! server), or put a backup back in place (only while no server runs), keeping the
//! replaced file.

use std::path::Path;

use super::{CliError, cli_audit, open_error, usage};
use crate::config::DataDir;
use crate::store::{Store, StoreError};

pub(super) fn backup(data: &Path, output: &Path) -> Result<(), CliError> {
    let dir = DataDir::prepare(data)?;
    if output.exists() {
        return Err(usage(format!(
            "{} 已存在，请换一个文件名",
            output.display()
        )));
    }
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        let probe = parent.join(".kezhi-write-test");
        std::fs::write(&probe, b"ok").map_err(|e| {
            CliError::from(format!(
                "备份目标文件夹 {} 无法写入：{e}。请换一个有写入权限的位置。",
                parent.display()
            ))
        })?;
        let _ = std::fs::remove_file(probe);
    }
    if !dir.db_path().exists() {
        return Err(usage(format!("{} 中还没有数据文件", dir.root.display())));
    }
    // Read the file beside a running server (it writes in single-writer mode).
    let rows = crate::store::backup::backup_file(&dir.db_path(), output)
        .map_err(|e| CliError::from(e.user_message()))?;
    // The audit entry goes in when the file is free; a running server keeps its own log.
    if let Ok(store) = Store::open(&dir.db_path()) {
        cli_audit(&store, "backup", format!("终端备份到 {}", output.display()))?;
    } else {
        log::info!("backup taken beside a running server");
    }
    println!("已备份 {rows} 条记录到 {}", output.display());
    Ok(())
}

pub(super) fn restore(data: &Path, file: &Path) -> Result<(), CliError> {
    let dir = DataDir::prepare(data)?;
    if !file.is_file() {
        return Err(usage(format!("找不到备份文件 {}", file.display())));
    }
    // Refuse while a server holds the live file.
    if dir.db_path().exists() {
        match Store::open(&dir.db_path()) {
            Err(StoreError::Locked) => {
                return Err(CliError::from(
                    "请先停止正在运行的科志，再恢复备份。".to_string(),
                ));
            }
            Ok(s) => drop(s),
            Err(_) => {}
        }
    }
    let kept = crate::store::backup::restore(file, &dir.db_path())
        .map_err(|e| CliError::from(e.message()))?;
    let store = Store::open(&dir.db_path()).map_err(|e| CliError::from(open_error(&dir, &e)))?;
    cli_audit(&store, "restore", format!("终端从 {} 恢复", file.display()))?;
    println!("已从 {} 恢复。", file.display());
    if let Some(k) = kept {
        println!("原来的数据文件保留在 {}", k.display());
    }
    Ok(())
}
