//! `kezhi serve`: open the data folder, start the web server, tell the person at the
//! terminal where phones can reach it (with a QR code), and run the daily backup and
//! session pruning beside it; `--demo` first fills a demo folder with the example county.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{CliError, open_error, usage};
use crate::config::DataDir;
use crate::store::Store;
use crate::web::{self, App};

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

/// `serve --demo`: in `data` when given (see [`demo_folder_ok`]), else in a new temporary
/// folder, with a fresh password for the demo admin on every start.
pub(super) fn demo(data: Option<&Path>, bind: &str) -> Result<(), CliError> {
    let dir = match data {
        Some(dir) => {
            demo_folder_ok(dir)?;
            dir.to_path_buf()
        }
        None => std::env::temp_dir().join(format!(
            "kezhi-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp()
        )),
    };
    let password = crate::domain::secret::token()[..12].to_string();
    serve(&dir, bind, Some(password)).map_err(CliError::from)
}

pub(super) fn serve(data: &Path, bind: &str, demo_password: Option<String>) -> Result<(), String> {
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
        crate::app::background_priority();
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
