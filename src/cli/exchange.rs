//! `kezhi import`, `kezhi export` and `kezhi merge`: the official forms and bundles from
//! the terminal, through the same use cases as the web pages (`crate::app::import`,
//! `export` and `merge`), reporting progress and results as text.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{CliError, ExportWhat, ImportWhat, open, usage};

pub(super) fn export(data: &Path, what: ExportWhat) -> Result<(), CliError> {
    use crate::app::export::{ExportRequest, Scope};
    use crate::exchange::columns::Form;
    use crate::exchange::export::IdNumbers;
    let (_dir, store) = open(data)?;
    let settings = crate::config::Settings::load(&store);
    let now = chrono::Utc::now();
    let today = now.with_timezone(&settings.utc_offset).date_naive();
    let (form, since_last, output) = match what {
        ExportWhat::Volunteers { since_last, output } => (Form::Volunteers, since_last, output),
        ExportWhat::Teams { since_last, output } => (Form::Teams, since_last, output),
        ExportWhat::Bundle { since_last, output } => {
            let n = crate::app::merge::export_bundle(
                &store,
                &settings.site_name,
                since_last,
                crate::app::audit::CLI,
                now,
                &output,
            )
            .map_err(CliError::from)?;
            println!("已导出数据包 {}（{n} 条记录）", output.display());
            return Ok(());
        }
    };
    let done = crate::app::export::export(
        &store,
        &ExportRequest {
            form,
            scope: if since_last {
                Scope::SinceLast
            } else {
                Scope::All
            },
            ids: IdNumbers::Full,
            site: &settings.site_name,
            today,
            actor: crate::app::audit::CLI,
            now,
        },
    )
    .map_err(|e| CliError::from(e.user_message()))?;
    std::fs::write(&output, &done.bytes)
        .map_err(|e| CliError::from(format!("无法写入 {}：{e}", output.display())))?;
    println!(
        "已导出 {} 条到 {}（文件含完整身份证号，上报后请删除）",
        done.count,
        output.display()
    );
    Ok(())
}

pub(super) fn merge(data: &Path, file: &Path, confirm_admin_changes: bool) -> Result<(), CliError> {
    let bytes =
        std::fs::read(file).map_err(|e| usage(format!("无法读取文件 {}：{e}", file.display())))?;
    let (_dir, store) = open(data)?;
    let (manifest, summary) = crate::app::merge::merge_bundle(
        &store,
        bytes,
        crate::app::audit::CLI,
        chrono::Utc::now(),
        confirm_admin_changes,
    )
    .map_err(|r| match r {
        crate::app::merge::MergeRefusal::AdminPhonesChange(_) => CliError::from(format!(
            "{}\n没有合并任何数据。核实后用 --confirm-admin-changes 再运行一次。",
            r.message()
        )),
        other => CliError::from(other.message()),
    })?;
    println!(
        "已合并来自“{}”的数据包（{}）：",
        manifest.installation_name,
        manifest.created_at.format("%Y-%m-%d %H:%M")
    );
    for (entity, c) in &summary {
        println!(
            "  {}：新增 {}，更新 {}，未变 {}，冲突 {}，跳过 {}",
            crate::app::merge::entity_label(entity),
            c.added,
            c.updated,
            c.unchanged,
            c.conflicts,
            c.skipped
        );
    }
    let open = store
        .open_conflicts()
        .map_err(|e| CliError::from(e.user_message()))?
        .len();
    if open > 0 {
        println!("有 {open} 个冲突需要在管理页面“合并数据包”中处理。");
    }
    Ok(())
}

pub(super) fn import(data: &Path, what: ImportWhat) -> Result<(), CliError> {
    use crate::app::import::{self, CommitChoice};
    use crate::exchange::columns::Form;
    use crate::exchange::import::Progress;
    use std::sync::atomic::Ordering;
    let (form, file, team, valid_only, update_existing) = match what {
        ImportWhat::Volunteers {
            file,
            team,
            valid_only,
            update_existing,
        } => (Form::Volunteers, file, team, valid_only, update_existing),
        ImportWhat::Teams {
            file,
            valid_only,
            update_existing,
        } => (Form::Teams, file, None, valid_only, update_existing),
    };
    let bytes =
        std::fs::read(&file).map_err(|e| usage(format!("无法读取文件 {}：{e}", file.display())))?;
    let (_dir, store) = open(data)?;
    let team_id = match &team {
        Some(name) => Some(
            store
                .team_id_by_name(name)
                .ok_or_else(|| usage(format!("找不到名为“{name}”的组织")))?,
        ),
        None => None,
    };
    let store = Arc::new(store);
    let progress = Arc::new(Progress::default());
    let total =
        crate::exchange::import::count_rows(&bytes).map_err(|p| CliError::from(p.message()))?;
    progress.total.store(total, Ordering::Relaxed);
    let today = chrono::Utc::now()
        .with_timezone(&crate::config::Settings::load(&store).utc_offset)
        .date_naive();
    let worker = {
        let (store, progress, bytes) = (store.clone(), progress.clone(), bytes);
        std::thread::spawn(move || import::check(&store, form, &bytes, today, &progress))
    };
    let tty = std::io::stderr().is_terminal();
    while !worker.is_finished() {
        if tty {
            let done = progress.checked.load(Ordering::Relaxed);
            eprint!("\r检查中：{done} / {total} 行");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if tty {
        eprintln!("\r检查完成：{total} / {total} 行      ");
    }
    let report = worker
        .join()
        .map_err(|_| CliError::from("检查文件时出错".to_string()))?
        .map_err(|p| CliError::from(p.message()))?;
    for i in &report.issues {
        println!(
            "第 {} 行 [{}] “{}”：{}",
            i.row, i.column, i.value, i.message
        );
    }
    println!(
        "共 {} 行：正确 {}，错误 {}，与已有记录相同 {}",
        report.rows_read(),
        report.valid(),
        report.invalid(),
        report.matching()
    );
    let choice = CommitChoice {
        valid_only,
        update_existing,
        team_admin: false,
    };
    let summary = import::commit(
        &store,
        form,
        &report,
        team_id,
        choice,
        crate::app::audit::CLI,
        chrono::Utc::now(),
    )
    .map_err(|r| CliError::from(r.message()))?;
    println!(
        "已导入：新增 {}，更新 {}，跳过 {}{}{}",
        summary.added,
        summary.updated,
        summary.skipped,
        if summary.joined_team > 0 {
            format!("，加入组织 {}", summary.joined_team)
        } else {
            String::new()
        },
        if summary.waiting_for_admin > 0 {
            format!("，{} 个组织等待管理员注册", summary.waiting_for_admin)
        } else {
            String::new()
        },
    );
    Ok(())
}
