//! Platform admin: sign-in, dashboard, code outbox, admin accounts, settings.

use super::forms::page_number;
use super::respond::{html, rejected};
use crate::config::{SETTING_KEYS, SenderKind, validate_setting};
use crate::domain::account::{
    ADMIN_SESSION_LIFETIME, Admin, CODE_LIFETIME, Subject, code_in_message, password_problem,
    username_problem,
};
use crate::domain::ids::Gid;
use crate::domain::secret;
use crate::domain::{regions, validate};
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::admin::{self as view, AdminRow, Dashboard, SettingRow};
use crate::views::auth;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash, sign_in};
use crate::web::ratelimit::sign_in_wait_message;
use rouille::{Request, Response};

const OUTBOX_PAGE: usize = 50;

pub fn login_form(ctx: &Ctx) -> Result<Response, AppError> {
    if ctx.require_admin().is_ok() {
        return Ok(Response::redirect_303("/admin"));
    }
    Ok(html(auth::admin_login(&ctx.page(), &FormState::default())))
}

pub fn login(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let username = ctx.field("username");
    let address = ctx.remote.ip();
    let mut form = FormState::default();
    form.set("username", username);
    // Counted per (username, device): a stranger's wrong passwords slow the stranger,
    // and the laptop itself is never made to wait (see `ratelimit`).
    if let Some(wait) = app.limiter.sign_in_wait(username, address) {
        form.message = Some(sign_in_wait_message(wait));
        return Ok(super::respond::too_many(
            rejected(auth::admin_login(&ctx.page(), &form), 429),
            wait,
        ));
    }
    let admin = app.store.admin_by_username(username)?;
    let verified = match &admin {
        Some(a) => secret::verify_password(&a.password_hash, ctx.field("password")),
        None => {
            // Spend the same time as a real check so usernames cannot be probed by timing.
            let _ = secret::hash_password(ctx.field("password"));
            false
        }
    };
    let Some(admin) = admin.filter(|_| verified) else {
        app.limiter.sign_in_failed(username, address);
        log::warn!("admin sign-in failed");
        form.message = Some("用户名或密码不正确。".into());
        return Ok(rejected(auth::admin_login(&ctx.page(), &form), 422));
    };
    app.limiter.sign_in_succeeded(username, address);
    ctx.audit_as(
        app,
        &format!("admin:{}", admin.username),
        "admin.login",
        "平台管理员登录",
        1,
    )?;
    sign_in(
        app,
        ctx,
        Subject::Admin(admin.id),
        ADMIN_SESSION_LIFETIME,
        redirect_with_flash("/admin", "logged_in"),
    )
}

pub fn dashboard(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let counts = app.store.people_counts()?;
    let d = Dashboard {
        volunteers: counts.volunteers,
        teams: counts.teams,
        outbox: app.store.outbox_len()?,
        data_path: app
            .store
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "（内存）".into()),
    };
    Ok(html(view::dashboard(&ctx.page(), &d)))
}

/// How many still-valid codes are shown large at the top of the outbox.
const OUTBOX_LARGE: usize = 3;

pub fn outbox(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let page_no = page_number(req);
    let mut msgs = app
        .store
        .outbox((page_no - 1) * OUTBOX_PAGE, OUTBOX_PAGE + 1)?;
    let has_more = msgs.len() > OUTBOX_PAGE;
    msgs.truncate(OUTBOX_PAGE);
    let offset = ctx.settings.utc_offset;
    let codes: Vec<_> = msgs
        .into_iter()
        .map(|m| view::OutboxCode {
            time: m
                .at
                .with_timezone(&offset)
                .format("%m-%d %H:%M:%S")
                .to_string(),
            minutes_ago: (ctx.now - m.at).num_minutes().max(0),
            fresh: ctx.now - m.at < CODE_LIFETIME,
            // Staff confirm who is asking by the last four digits; the full number stays
            // off a screen that visitors at the desk can see.
            tail: validate::phone_tail(&m.phone),
            code: code_in_message(&m.text).unwrap_or(&m.text).to_string(),
            delivery: m.delivery,
        })
        .collect();
    // Only the first page leads with the codes people are waiting for.
    let large = if page_no == 1 {
        codes
            .iter()
            .take(OUTBOX_LARGE)
            .take_while(|c| c.fresh)
            .count()
    } else {
        0
    };
    let (newest, older) = codes.split_at(large);
    Ok(html(view::outbox(
        &ctx.page(),
        newest,
        older,
        page_no,
        has_more,
    )))
}

fn admin_rows(app: &App, ctx: &Ctx) -> Result<Vec<AdminRow>, AppError> {
    let offset = ctx.settings.utc_offset;
    Ok(app
        .store
        .admins()?
        .into_iter()
        .map(|a| AdminRow {
            username: a.username,
            display_name: a.display_name,
            created: a
                .created_at
                .with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        })
        .collect())
}

pub fn admins(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    Ok(html(view::admins(
        &ctx.page(),
        &admin_rows(app, ctx)?,
        &FormState::default(),
    )))
}

pub fn create_admin(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let me = ctx.require_admin()?;
    let mut form = FormState::default();
    form.set("username", ctx.field("username"));
    form.set("display_name", ctx.field("display_name"));
    if let Some(m) = username_problem(ctx.field("username")) {
        form.fail("username", m);
    }
    if let Some(m) = crate::domain::account::display_name_problem(ctx.field("display_name")) {
        form.fail("display_name", m);
    }
    if let Some(m) = password_problem(ctx.field("password"), ctx.field("confirm")) {
        form.fail("password", m);
    }
    if form.is_ok() {
        let admin = Admin {
            id: Gid::new(),
            username: ctx.field("username").into(),
            display_name: ctx.field("display_name").into(),
            password_hash: secret::hash_password(ctx.field("password"))
                .map_err(AppError::Internal)?,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        match app.store.insert_admin(&admin) {
            Ok(()) => {
                ctx.audit_as(
                    app,
                    &format!("admin:{}", me.username),
                    "admin.create",
                    format!("添加平台管理员 {}", admin.username),
                    1,
                )?;
                return Ok(redirect_with_flash("/admin/admins", "admin_created"));
            }
            Err(StoreError::Taken(_)) => form.fail("username", "这个用户名已被使用"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(rejected(
        view::admins(&ctx.page(), &admin_rows(app, ctx)?, &form),
        422,
    ))
}

pub fn change_password(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let me = ctx.require_admin()?;
    let mut form = FormState::default();
    if !secret::verify_password(&me.password_hash, ctx.field("current")) {
        form.fail("current", "当前密码不正确");
    }
    if let Some(m) = password_problem(ctx.field("new_password"), ctx.field("new_confirm")) {
        form.fail("new_password", m);
    }
    if !form.is_ok() {
        return Ok(rejected(
            view::admins(&ctx.page(), &admin_rows(app, ctx)?, &form),
            422,
        ));
    }
    let hash = secret::hash_password(ctx.field("new_password")).map_err(AppError::Internal)?;
    app.store.set_admin_password(me.id, &hash)?;
    ctx.audit_as(
        app,
        &format!("admin:{}", me.username),
        "admin.password",
        "修改自己的密码",
        1,
    )?;
    Ok(redirect_with_flash("/admin/admins", "password_set"))
}

fn backups_dir(app: &App) -> Option<std::path::PathBuf> {
    app.data.as_ref().map(|d| d.root.join("backups"))
}

fn data_info(app: &App, ctx: &Ctx) -> view::DataInfo {
    let path = app.store.path();
    let size = path
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| format!("{:.1} MB", m.len() as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "—".into());
    let dir = backups_dir(app);
    let last = dir
        .as_deref()
        .and_then(crate::store::backup::last_backup)
        .map(|(_, t)| {
            t.with_timezone(&ctx.settings.utc_offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "还没有备份".into());
    view::DataInfo {
        path: path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "（内存）".into()),
        size,
        last_backup: last,
        backups_dir: dir
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "—".into()),
    }
}

pub fn backup_now(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let me = ctx.require_admin()?;
    let dir = backups_dir(app)
        .ok_or_else(|| AppError::Unprocessable("没有数据文件夹，无法备份。".into()))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::Unprocessable(format!("备份文件夹无法创建：{e}")))?;
    let target = dir.join(format!(
        "manual-{}.redb",
        ctx.now
            .with_timezone(&ctx.settings.utc_offset)
            .format("%Y%m%d-%H%M%S")
    ));
    let rows = app.store.backup_to(&target)?;
    ctx.audit_as(
        app,
        &format!("admin:{}", me.username),
        "backup",
        format!("备份到 {}（{rows} 条）", target.display()),
        1,
    )?;
    Ok(redirect_with_flash("/admin/settings", "backup_done"))
}

/// Each setting with its Chinese name and the value the running server uses, in words.
fn setting_rows(ctx: &Ctx) -> Vec<SettingRow> {
    let s = &ctx.settings;
    SETTING_KEYS
        .iter()
        .map(|k| SettingRow {
            label: k.label,
            help: k.help,
            value: match k.key {
                "site.name" => s.site_name.clone(),
                "time.utc_offset" if s.utc_offset == crate::config::default_offset() => {
                    "北京时间（UTC+8）".into()
                }
                "time.utc_offset" => format!("UTC{}", s.utc_offset),
                "platform.region" => s
                    .region_scope
                    .as_deref()
                    .map(|c| format!("{}（{c}）", regions::full_name(c)))
                    .unwrap_or_else(|| "不限".into()),
                "code.sender" => match s.sender {
                    SenderKind::Outbox => "验证码发件箱，由工作人员告知".into(),
                    SenderKind::Command(_) => "短信发送程序".into(),
                },
                "code.command" => match &s.sender {
                    SenderKind::Command(p) => p.display().to_string(),
                    SenderKind::Outbox => "未使用".into(),
                },
                "backup.keep" => format!("{} 份", s.backups_kept),
                _ => "—".into(),
            },
        })
        .collect()
}

pub fn settings(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let mut form = FormState::default();
    form.set("site_name", ctx.settings.site_name.clone());
    Ok(html(view::settings(
        &ctx.page(),
        &setting_rows(ctx),
        &form,
        &data_info(app, ctx),
    )))
}

pub fn save_settings(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let me = ctx.require_admin()?;
    let name = ctx.field("site_name");
    if let Err(m) = validate_setting("site.name", name) {
        let mut form = FormState::default();
        form.set("site_name", name);
        form.fail("site_name", m);
        return Ok(rejected(
            view::settings(&ctx.page(), &setting_rows(ctx), &form, &data_info(app, ctx)),
            422,
        ));
    }
    app.store.set_setting("site.name", name)?;
    app.reload_settings();
    ctx.audit_as(
        app,
        &format!("admin:{}", me.username),
        "settings.update",
        "修改单位名称",
        1,
    )?;
    Ok(redirect_with_flash("/admin/settings", "settings_saved"))
}

/// Audit actions and their Chinese names, for the filter and the table.
const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("admin.login", "管理员登录"),
    ("admin.setup", "首次设置"),
    ("admin.create", "添加管理员"),
    ("admin.password", "修改密码"),
    ("settings.update", "修改设置"),
    ("volunteer.unmask", "查看完整身份证号"),
    ("volunteer.fix_id_number", "更正身份证号"),
    ("team.status", "暂停/恢复组织"),
    ("import.teams", "导入附件1"),
    ("import.volunteers", "导入附件2"),
    ("export", "导出"),
    ("merge", "合并数据包"),
    ("backup", "备份"),
    ("restore", "恢复"),
    ("activity.cancel", "取消活动"),
    ("activity.hours", "记录服务时长"),
    ("activity.roster_export", "下载报名名单"),
    ("audit.export", "下载审计日志"),
];

fn action_label(code: &str) -> String {
    AUDIT_ACTIONS
        .iter()
        .find(|(c, _)| code == *c || code.starts_with(&format!("{c}.")))
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| code.to_string())
}

fn audit_line(e: crate::store::AuditEntry, offset: chrono::FixedOffset) -> view::AuditLine {
    view::AuditLine {
        at: e
            .at
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        actor: e.actor,
        address: e.address,
        action: action_label(&e.action),
        detail: e.detail,
        records: e.records,
    }
}

/// Every audit line the filters (`q`, `action`) of `req` let through, newest first.
fn audit_lines(app: &App, ctx: &Ctx, req: &Request) -> Result<Vec<view::AuditLine>, AppError> {
    let q = req.get_param("q").unwrap_or_default();
    let action = req.get_param("action").unwrap_or_default();
    let offset = ctx.settings.utc_offset;
    let total = app.store.audit_len()? as usize;
    Ok(app
        .store
        .audit_entries(0, total)?
        .into_iter()
        .map(|e| audit_line(e, offset))
        .filter(|l| action.is_empty() || l.action == action)
        .filter(|l| {
            q.is_empty()
                || [&l.actor, &l.address, &l.detail]
                    .iter()
                    .any(|f| f.contains(q.trim()))
        })
        .collect())
}

/// Lines shown on one page of the audit log.
const AUDIT_PAGE: usize = 100;

pub fn audit_page(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let page_no = page_number(req);
    let (q, action) = (
        req.get_param("q").unwrap_or_default(),
        req.get_param("action").unwrap_or_default(),
    );
    let skip = (page_no - 1).saturating_mul(AUDIT_PAGE);
    let offset = ctx.settings.utc_offset;
    let of_action = |code: &str| action_label(code) == action;
    // Only the page shown is decoded: unfiltered by sequence number, by action through
    // the action index; a text search decodes newest first until its page is found.
    let (entries, total, has_more) = if q.trim().is_empty() {
        let (entries, total) = if action.is_empty() {
            let total = app.store.audit_len()? as usize;
            (app.store.audit_entries(skip, AUDIT_PAGE)?, total)
        } else {
            app.store.audit_entries_of(of_action, skip, AUDIT_PAGE)?
        };
        (entries, Some(total), page_no * AUDIT_PAGE < total)
    } else {
        let text = q.trim();
        let accepts: Option<&dyn Fn(&str) -> bool> = if action.is_empty() {
            None
        } else {
            Some(&of_action)
        };
        let (entries, more) = app.store.audit_search(
            accepts,
            |e| {
                [&e.actor, &e.address, &e.detail]
                    .iter()
                    .any(|f| f.contains(text))
            },
            skip,
            AUDIT_PAGE,
        )?;
        (entries, None, more)
    };
    let shown: Vec<view::AuditLine> = entries.into_iter().map(|e| audit_line(e, offset)).collect();
    let labels: Vec<&str> = AUDIT_ACTIONS.iter().map(|(_, l)| *l).collect();
    Ok(html(view::audit(
        &ctx.page(),
        &view::AuditPage {
            q: &q,
            action: &action,
            actions: &labels,
            lines: &shown,
            total,
            has_more,
            page_no,
            query: req.raw_query_string(),
        },
    )))
}

pub fn audit_xlsx(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let me = ctx.require_admin()?;
    let rows: Vec<Vec<String>> = audit_lines(app, ctx, req)?
        .into_iter()
        .map(|l| {
            vec![
                l.at,
                l.actor,
                l.address,
                l.action,
                l.detail,
                l.records.to_string(),
            ]
        })
        .collect();
    let bytes = crate::exchange::roster::table_xlsx(
        "审计日志",
        &format!("{} 审计日志", ctx.settings.site_name),
        &["时间", "操作人", "地址", "操作", "内容", "记录数"],
        &rows,
    )
    .map_err(AppError::Internal)?;
    ctx.audit_as(
        app,
        &format!("admin:{}", me.username),
        "audit.export",
        format!("下载审计日志 {} 条", rows.len()),
        1,
    )?;
    let name = format!(
        "{}-审计日志-{}.xlsx",
        ctx.settings.site_name,
        ctx.now
            .with_timezone(&ctx.settings.utc_offset)
            .format("%Y%m%d")
    );
    Ok(super::respond::xlsx(bytes, &name))
}
