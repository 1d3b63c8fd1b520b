//! `kezhi admin`: create platform admins, list them, reset a password — for the first
//! admin, or when every admin has forgotten theirs.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use super::{AdminAction, cli_audit, open};
use crate::domain::account::{Admin, display_name_problem, password_problem, username_problem};
use crate::domain::ids::Gid;
use crate::domain::secret;
use crate::store::StoreError;

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

pub(super) fn run(data: &Path, action: AdminAction) -> Result<(), String> {
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
            // Trimmed as the web trims its form fields, so both check the same text.
            let display_name = match name {
                Some(name) => name.trim().to_string(),
                None => username.clone(),
            };
            if let Some(m) = display_name_problem(&display_name) {
                return Err(m);
            }
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
