//! `kezhi sync ADDRESS`: sync with a paired laptop from the terminal (this laptop's server
//! stopped: the data file has one writer), or pair with it first (`--pair CODE`).

use super::{CliError, open};
use std::path::Path;

fn print_counts(title: &str, summary: &crate::app::sync::Summary) {
    println!("{title}");
    for (entity, c) in summary {
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
}

pub(super) fn run(
    data: &Path,
    address: &str,
    pair: Option<&str>,
    region: Option<String>,
) -> Result<(), CliError> {
    let (_dir, store) = open(data)?;
    let site = crate::config::Settings::load(&store).site_name;
    let now = chrono::Utc::now();
    if let Some(code) = pair {
        let peer = crate::app::sync::pair_with(
            &store,
            &site,
            address,
            code,
            region,
            crate::app::audit::CLI,
            now,
        )?;
        println!("已与“{}”配对。", peer.name);
    }
    let outcome = crate::app::sync::sync_with(
        &store,
        &site,
        address,
        crate::app::audit::CLI,
        now,
        &|step| eprintln!("{}", step.label()),
    )?;
    println!("已与“{}”同步。", outcome.peer);
    print_counts("从对方收到（已合并到本机）：", &outcome.received);
    print_counts("发送给对方（已合并到对方）：", &outcome.sent);
    let open = store
        .open_conflicts()
        .map_err(|e| CliError::from(e.user_message()))?
        .len();
    if open > 0 {
        println!("有 {open} 个冲突需要在管理页面“合并数据包”中处理。");
    }
    Ok(())
}
