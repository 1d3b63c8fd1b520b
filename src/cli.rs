//! The command line: `serve` (the default), `admin`, `settings`, `check`. Every command
//! that touches data takes `--data DIR`; the CLI acts with platform-admin rights, since
//! whoever runs it holds the data file anyway. Messages to the person at the terminal are
//! Chinese.

use crate::config::{
    DEFAULT_BIND, DEFAULT_DATA_DIR, DataDir, SETTING_KEYS, SettingKey, validate_setting,
};
use crate::domain::account::{Admin, password_problem, username_problem};
use crate::domain::ids::Gid;
use crate::domain::secret;
use crate::store::{AuditEntry, Store, StoreError};
use crate::web::{self, App};
use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// 科志 Kezhi：县级科技志愿服务信息平台（离线单机版）
#[derive(Debug, Parser)]
#[command(name = "kezhi", version = crate::VERSION, about, long_about = None)]
pub struct Cli {
    /// 数据文件夹（数据库、日志、备份都在这里）
    /// （不指定时为 ./kezhi-data；演示模式不指定时用新的临时文件夹）
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 启动网络服务（默认命令）
    Serve {
        /// 监听地址，默认所有网卡的 8080 端口，手机连上本机热点即可访问
        #[arg(long, value_name = "ADDR", default_value = DEFAULT_BIND)]
        bind: String,
        /// 演示模式：在新的临时数据文件夹中载入示例县的数据和演示管理员
        #[arg(long)]
        demo: bool,
    },
    /// 生成示例县的附件1/附件2（data-example/ 中的文件由此生成）
    #[command(hide = true)]
    ExampleData {
        /// 输出文件夹
        dir: PathBuf,
    },
    /// 管理平台管理员账户
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// 查看或修改设置
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// 检查数据文件：逐条读取记录并核对索引
    Check {
        /// 先把数据文件复制到 backups/，再由主表重建全部索引（服务须已停止）
        #[arg(long)]
        repair: bool,
    },
    /// 导出：官方表格（附件1/附件2）或完整数据包
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// 合并另一台电脑导出的数据包
    Merge {
        /// 数据包 .zip
        file: PathBuf,
        /// 确认数据包中组织管理员手机号的更换（否则列出更换并退出，不合并）
        #[arg(long)]
        confirm_admin_changes: bool,
    },
    /// 备份数据文件（服务运行时也可以备份）
    Backup {
        /// 备份文件路径
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// 从备份恢复（请先停止科志）；被替换的数据文件会保留在旁边
    Restore {
        /// 备份文件
        file: PathBuf,
    },
    /// 集体注册导入：附件1（组织）或附件2（志愿者）
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
}

/// `kezhi import …`
#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// 导入附件2 科技志愿者集体注册信息表
    Volunteers {
        /// .xlsx / .xls / .csv 文件
        file: PathBuf,
        /// 导入后加入这个组织（组织名称）
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
        /// 有错误时只导入正确的行（默认全部正确才导入）
        #[arg(long)]
        valid_only: bool,
        /// 与已有记录相同（手机号或身份证号）时更新（默认跳过）
        #[arg(long)]
        update_existing: bool,
    },
    /// 导入附件1 科技志愿服务组织集体注册信息表
    Teams {
        file: PathBuf,
        #[arg(long)]
        valid_only: bool,
        #[arg(long)]
        update_existing: bool,
    },
}

/// `kezhi export …`
#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// 附件2 科技志愿者集体注册信息表（含完整身份证号）
    Volunteers {
        /// 只导出上次导出后新增或修改的
        #[arg(long)]
        since_last: bool,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// 附件1 科技志愿服务组织集体注册信息表
    Teams {
        #[arg(long)]
        since_last: bool,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// 完整数据包（.zip），用于合并多台电脑的数据
    Bundle {
        #[arg(long)]
        since_last: bool,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

/// A failed command: the message for the terminal and the exit code (1 refused, 2 usage).
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError { code: 1, message }
    }
}

fn usage(message: String) -> CliError {
    CliError { code: 2, message }
}

/// `kezhi admin …`
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// 创建平台管理员（首次使用时，或忘记密码时再建一个）
    Create {
        /// 用户名
        #[arg(long)]
        username: Option<String>,
        /// 姓名
        #[arg(long)]
        name: Option<String>,
        /// 从标准输入读取密码（一行），用于脚本
        #[arg(long)]
        password_stdin: bool,
    },
    /// 列出平台管理员
    List,
    /// 重设某个管理员的密码
    Password {
        username: String,
        /// 从标准输入读取密码（一行）
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `kezhi settings …`
#[derive(Debug, Subcommand)]
pub enum SettingsAction {
    /// 列出全部设置
    List,
    /// 修改一项设置
    Set { key: String, value: String },
    /// 恢复一项设置的默认值
    Unset { key: String },
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let data = cli
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    match cli.command.unwrap_or(Command::Serve {
        bind: DEFAULT_BIND.into(),
        demo: false,
    }) {
        Command::Serve { bind, demo: false } => serve(&data, &bind, None).map_err(CliError::from),
        Command::Serve { bind, demo: true } => {
            let dir = match &cli.data {
                Some(dir) => {
                    demo_folder_ok(dir)?;
                    dir.clone()
                }
                None => std::env::temp_dir().join(format!(
                    "kezhi-demo-{}-{}",
                    std::process::id(),
                    chrono::Utc::now().timestamp()
                )),
            };
            let password = crate::domain::secret::token()[..12].to_string();
            serve(&dir, &bind, Some(password)).map_err(CliError::from)
        }
        Command::ExampleData { dir } => {
            crate::app::demo::write_example_files(&dir).map_err(CliError::from)
        }
        Command::Admin { action } => admin(&data, action).map_err(CliError::from),
        Command::Settings { action } => settings(&data, action).map_err(CliError::from),
        Command::Check { repair: false } => check(&data).map_err(CliError::from),
        Command::Check { repair: true } => repair(&data).map_err(CliError::from),
        Command::Import { what } => import(&data, what),
        Command::Export { what } => export(&data, what),
        Command::Backup { output } => backup(&data, &output),
        Command::Merge {
            file,
            confirm_admin_changes,
        } => merge(&data, &file, confirm_admin_changes),
        Command::Restore { file } => restore(&data, &file),
    }
}

fn export(data: &Path, what: ExportWhat) -> Result<(), CliError> {
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
                ("cli", "cli"),
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
            actor: ("cli", "cli"),
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

fn merge(data: &Path, file: &Path, confirm_admin_changes: bool) -> Result<(), CliError> {
    let bytes =
        std::fs::read(file).map_err(|e| usage(format!("无法读取文件 {}：{e}", file.display())))?;
    let (_dir, store) = open(data)?;
    let (manifest, summary) = crate::app::merge::merge_bundle(
        &store,
        bytes,
        ("cli", "cli"),
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

fn backup(data: &Path, output: &Path) -> Result<(), CliError> {
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

fn restore(data: &Path, file: &Path) -> Result<(), CliError> {
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

fn import(data: &Path, what: ImportWhat) -> Result<(), CliError> {
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
                .organization_id_by_name(name)
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
        ("cli", "cli"),
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

fn open(data: &Path) -> Result<(DataDir, Store), String> {
    let dir = DataDir::prepare(data)?;
    let store = Store::open(&dir.db_path()).map_err(|e| open_error(&dir, &e))?;
    Ok((dir, store))
}

fn open_error(dir: &DataDir, e: &StoreError) -> String {
    log::error!("opening {} failed: {e}", dir.db_path().display());
    format!(
        "无法打开数据文件 {}：{}",
        dir.db_path().display(),
        e.user_message()
    )
}

/// The setting that marks a data file made by `serve --demo`.
const DEMO_MARK: &str = "demo.created";

/// `serve --demo --data DIR` may use an empty folder or one an earlier demo made; never a
/// folder holding real data.
fn demo_folder_ok(dir: &Path) -> Result<(), CliError> {
    let file = dir.join(crate::store::DB_FILE);
    if !file.exists() {
        return Ok(());
    }
    let store = Store::open(&file).map_err(|e| CliError::from(e.user_message()))?;
    if store
        .setting(DEMO_MARK)
        .map_err(|e| CliError::from(e.user_message()))?
        .is_some()
    {
        return Ok(());
    }
    Err(usage(format!(
        "{} 中已经有真实数据，演示模式不会使用它。请换一个空文件夹，或不加 --data（使用临时文件夹）。",
        dir.display()
    )))
}

fn serve(data: &Path, bind: &str, demo_password: Option<String>) -> Result<(), String> {
    let dir = DataDir::prepare(data)?;
    crate::logging::init(Some(&dir.log_path()), log::LevelFilter::Info);
    let store = Store::open(&dir.db_path()).map_err(|e| open_error(&dir, &e))?;
    if let Some(password) = &demo_password {
        if store
            .setting(DEMO_MARK)
            .map_err(|e| e.user_message())?
            .is_none()
        {
            crate::app::demo::load(&store, password)?;
            store
                .set_setting(DEMO_MARK, &chrono::Utc::now().to_rfc3339())
                .map_err(|e| e.user_message())?;
        } else {
            crate::app::demo::reset_admin_password(&store, password)?;
        }
    }
    let has_admin = store.has_admin().map_err(|e| e.user_message())?;
    let port = bind
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(8080);
    let urls = web::lan_urls(bind, port);
    let app =
        Arc::new(App::new(store, Some(dir.clone()), Vec::new()).with_live_addresses(bind, port));
    let server = web::start(app.clone(), bind)?;
    log::info!(
        "serving on {} (kezhi {})",
        server.local_addr(),
        crate::VERSION
    );

    println!();
    println!("科志 Kezhi {} 已启动。", crate::VERSION);
    println!("数据保存在：{}", dir.db_path().display());
    println!("日志保存在：{}", dir.log_path().display());
    if web::is_loopback_bind(bind) {
        println!(
            "注意：只在本机地址 {bind} 上运行，手机无法访问。要让手机访问，请用 kezhi serve --bind 0.0.0.0:{port} 启动。"
        );
        println!("本机访问：http://127.0.0.1:{port}/");
    } else {
        print_addresses(&urls, port);
        // A laptop often starts before its hotspot: say so when the addresses change.
        let watched = bind.to_string();
        std::thread::spawn(move || {
            let mut last = urls;
            loop {
                std::thread::sleep(Duration::from_secs(10));
                let now = web::lan_urls(&watched, port);
                if now != last {
                    log::info!("LAN addresses changed: {now:?}");
                    println!();
                    println!("网络地址已变化。");
                    print_addresses(&now, port);
                    last = now;
                }
            }
        });
    }
    if let Some(password) = &demo_password {
        println!("演示模式：示例县数据已载入。演示管理员 用户名 demo，密码 {password}");
        println!("（演示数据在临时文件夹中，关闭后可删除）");
    } else if !has_admin {
        println!(
            "尚未创建平台管理员：请在本机浏览器打开 http://127.0.0.1:{port}/setup ，或运行 kezhi admin create"
        );
    }
    println!("按 Ctrl+C 停止。");

    let backups = dir.root.join("backups");
    std::thread::spawn(move || {
        loop {
            let settings = crate::config::Settings::load(&app.store);
            let today = chrono::Utc::now()
                .with_timezone(&settings.utc_offset)
                .date_naive();
            match crate::store::backup::daily(&app.store, &backups, today, settings.backups_kept) {
                Ok(Some(p)) => log::info!("daily backup written to {}", p.display()),
                Ok(None) => {}
                Err(e) => log::error!("daily backup failed: {e}"),
            }
            std::thread::sleep(Duration::from_secs(3600));
            match app.store.prune_sessions(chrono::Utc::now()) {
                Ok(n) if n > 0 => log::info!("pruned {n} expired sessions"),
                Ok(_) => {}
                Err(e) => log::warn!("pruning sessions failed: {e}"),
            }
        }
    });
    server.wait();
    Ok(())
}

/// The addresses phones can use, with a QR code of the first; or how to get one.
fn print_addresses(urls: &[String], port: u16) {
    if urls.is_empty() {
        println!(
            "本机还没有局域网地址，手机暂时无法访问：请开启 Wi-Fi 热点或连接现场的 Wi-Fi，地址出现后这里会显示。"
        );
        println!("（127.0.0.1 只能在本机使用：http://127.0.0.1:{port}/）");
        return;
    }
    println!("手机连上本机 Wi-Fi 后访问（任选其一）：");
    for u in urls {
        println!("  {u}");
    }
    if let Some(qr) = terminal_qr(&urls[0]) {
        println!("{qr}");
    }
}

fn terminal_qr(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build(),
    )
}

fn prompt(label: &str) -> Result<String, String> {
    eprint!("{label}");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("读取输入失败：{e}"))?;
    Ok(line.trim().to_string())
}

fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let pw = prompt("")?;
        if let Some(m) = password_problem(&pw, &pw) {
            return Err(m);
        }
        return Ok(pw);
    }
    let pw = rpassword::prompt_password("密码（至少 8 位）：").map_err(|e| e.to_string())?;
    let again = rpassword::prompt_password("再次输入密码：").map_err(|e| e.to_string())?;
    match password_problem(&pw, &again) {
        Some(m) => Err(m),
        None => Ok(pw),
    }
}

fn cli_audit(store: &Store, action: &str, detail: String) -> Result<(), String> {
    store
        .audit(&AuditEntry {
            at: chrono::Utc::now(),
            actor: "cli".into(),
            address: "cli".into(),
            action: action.into(),
            detail,
            records: 1,
        })
        .map(|_| ())
        .map_err(|e| e.user_message())
}

fn admin(data: &Path, action: AdminAction) -> Result<(), String> {
    let (_dir, store) = open(data)?;
    match action {
        AdminAction::Create {
            username,
            name,
            password_stdin,
        } => {
            let username = match username {
                Some(u) => u,
                None => prompt("用户名：")?,
            };
            if let Some(m) = username_problem(&username) {
                return Err(m);
            }
            let display_name = name.unwrap_or_else(|| username.clone());
            let password = read_password(password_stdin)?;
            let now = chrono::Utc::now();
            let admin = Admin {
                id: Gid::new(),
                username: username.clone(),
                display_name,
                password_hash: secret::hash_password(&password)?,
                created_at: now,
                updated_at: now,
            };
            store.insert_admin(&admin).map_err(|e| match e {
                StoreError::Taken(_) => format!("用户名 {username} 已存在"),
                other => other.user_message(),
            })?;
            cli_audit(
                &store,
                "admin.create",
                format!("终端创建平台管理员 {username}"),
            )?;
            println!("已创建平台管理员 {username}。");
            Ok(())
        }
        AdminAction::List => {
            let admins = store.admins().map_err(|e| e.user_message())?;
            if admins.is_empty() {
                println!("还没有平台管理员。运行 kezhi admin create 创建。");
            }
            for a in admins {
                println!(
                    "{}\t{}\t{}",
                    a.username,
                    a.display_name,
                    a.created_at.format("%Y-%m-%d")
                );
            }
            Ok(())
        }
        AdminAction::Password {
            username,
            password_stdin,
        } => {
            let admin = store
                .admin_by_username(&username)
                .map_err(|e| e.user_message())?
                .ok_or_else(|| format!("没有名为 {username} 的管理员"))?;
            let password = read_password(password_stdin)?;
            let hash = secret::hash_password(&password)?;
            store
                .set_admin_password(admin.id, &hash)
                .map_err(|e| e.user_message())?;
            cli_audit(
                &store,
                "admin.password",
                format!("终端重设 {username} 的密码"),
            )?;
            println!("已重设 {username} 的密码。");
            Ok(())
        }
    }
}

fn settings(data: &Path, action: SettingsAction) -> Result<(), String> {
    let (_dir, store) = open(data)?;
    match action {
        SettingsAction::List => {
            let stored = store.settings().map_err(|e| e.user_message())?;
            for SettingKey { key, meaning, .. } in SETTING_KEYS {
                let value = stored
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("（默认）");
                println!("{key} = {value}\n    {meaning}");
            }
            Ok(())
        }
        SettingsAction::Set { key, value } => {
            validate_setting(&key, &value)?;
            store
                .set_setting(&key, &value)
                .map_err(|e| e.user_message())?;
            cli_audit(&store, "settings.update", format!("终端设置 {key}"))?;
            println!("已设置 {key} = {value}（重启科志后生效）");
            Ok(())
        }
        SettingsAction::Unset { key } => {
            if !SETTING_KEYS.iter().any(|s| s.key == key) {
                return validate_setting(&key, "");
            }
            store.unset_setting(&key).map_err(|e| e.user_message())?;
            cli_audit(&store, "settings.update", format!("终端恢复 {key} 默认值"))?;
            println!("已恢复 {key} 的默认值");
            Ok(())
        }
    }
}

/// `check --repair`: open the store for writing (which fails while a server holds the
/// file), copy the file to `backups/before-repair-<time>.redb`, rebuild every index in one
/// transaction, then check again.
fn repair(data: &Path) -> Result<(), String> {
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

fn check(data: &Path) -> Result<(), String> {
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
        r.admins, r.volunteers, r.organizations, r.changes, r.audit
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
