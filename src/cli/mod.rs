//! The command line: `serve` (the default), `admin`, `settings`, `check`, `import`,
//! `export`, `merge`, `backup`, `restore`. Every command that touches data takes
//! `--data DIR`; the CLI acts with platform-admin rights, since whoever runs it holds the
//! data file anyway. Messages to the person at the terminal are Chinese.
//!
//! This module owns the clap definitions, the dispatch and what every command shares
//! (opening the store, the audit entry, `CliError`). Each command group has its file:
//! `serve`, `admin`, `settings`, `check` (check and repair), `backup` (backup and restore)
//! and `exchange` (import, export, merge), which call the use cases in `crate::app`.

mod admin;
mod backup;
mod check;
mod exchange;
mod serve;
mod settings;
mod sync;

use crate::config::{DEFAULT_BIND, DEFAULT_DATA_DIR, DataDir};
use crate::store::{Store, StoreError};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

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
    /// 与已配对的电脑通过网络同步（双向，只传上次同步后的变更；请先停止本机的科志服务）
    Sync {
        /// 对方地址，例如 192.168.43.1:8080
        address: String,
        /// 先用对方“数据同步”页面显示的配对码与它配对
        #[arg(long, value_name = "CODE")]
        pair: Option<String>,
        /// 配对时限定：只向对方发送这个地区（6 位代码）的志愿者
        #[arg(long, value_name = "REGION", requires = "pair")]
        region: Option<String>,
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
        Command::Serve { bind, demo: false } => {
            serve::serve(&data, &bind, None).map_err(CliError::from)
        }
        Command::Serve { bind, demo: true } => serve::demo(cli.data.as_deref(), &bind),
        Command::ExampleData { dir } => {
            crate::app::demo::write_example_files(&dir).map_err(CliError::from)
        }
        Command::Admin { action } => admin::run(&data, action).map_err(CliError::from),
        Command::Settings { action } => settings::run(&data, action).map_err(CliError::from),
        Command::Check { repair: false } => check::check(&data).map_err(CliError::from),
        Command::Check { repair: true } => check::repair(&data).map_err(CliError::from),
        Command::Import { what } => exchange::import(&data, what),
        Command::Export { what } => exchange::export(&data, what),
        Command::Backup { output } => backup::backup(&data, &output),
        Command::Merge {
            file,
            confirm_admin_changes,
        } => exchange::merge(&data, &file, confirm_admin_changes),
        Command::Restore { file } => backup::restore(&data, &file),
        Command::Sync {
            address,
            pair,
            region,
        } => sync::run(&data, &address, pair.as_deref(), region),
    }
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

fn cli_audit(store: &Store, action: &str, detail: String) -> Result<(), String> {
    crate::app::audit::record(
        store,
        crate::app::audit::CLI,
        chrono::Utc::now(),
        action,
        detail,
        1,
    )
    .map_err(|e| e.user_message())
}
