//! Bundles on the web: export a bundle, upload another laptop's bundle to merge, and
//! resolve conflicts.

use super::respond::{html, rejected};
use crate::domain::ids::Gid;
use crate::error::AppError;
use crate::store::merge::{MergeConflict, Resolution};
use crate::views::merge::{self as view, CountLine, FieldPair};
use crate::web::App;
use crate::web::auth::Ctx;
use rouille::Response;

fn conflict_lines(app: &App) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(app
        .store
        .open_conflicts()?
        .into_iter()
        .map(|c| {
            (
                c.id.to_string(),
                format!(
                    "{}（{}）",
                    c.incoming.real_name,
                    crate::domain::validate::mask_phone(&c.incoming.phone)
                ),
                format!(
                    "{} 条成员关系、{} 条报名待归并",
                    c.memberships.len(),
                    c.signups.len()
                ),
            )
        })
        .collect())
}

pub fn page(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    Ok(html(view::page_view(
        &ctx.page(),
        None,
        None,
        &conflict_lines(app)?,
    )))
}

pub fn export_bundle(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let dir = std::env::temp_dir().join(format!("kezhi-bundle-{}", crate::domain::secret::token()));
    std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = dir.join("bundle.zip");
    let result = crate::app::merge::export_bundle(
        &app.store,
        &ctx.settings.site_name,
        ctx.field("since_last") == "yes",
        (&ctx.actor(), &ctx.remote.ip().to_string()),
        ctx.now,
        &path,
    );
    let bytes = result.and_then(|_| std::fs::read(&path).map_err(|e| e.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    let bytes = bytes.map_err(AppError::Internal)?;
    let name = format!(
        "{}-数据包-{}.zip",
        ctx.settings.site_name,
        ctx.now
            .with_timezone(&ctx.settings.utc_offset)
            .format("%Y%m%d-%H%M")
    );
    Ok(super::respond::download(
        "application/zip",
        bytes,
        &name,
        "bundle.zip",
    ))
}

pub fn upload(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let conflicts = || conflict_lines(app);
    let Some(file) = ctx.files.iter().find(|f| f.field == "file") else {
        return Ok(rejected(
            view::page_view(&ctx.page(), Some("请选择数据包文件。"), None, &conflicts()?),
            422,
        ));
    };
    if file.too_large {
        return Ok(rejected(
            view::page_view(
                &ctx.page(),
                Some("数据包超过 40 MB。请在命令行使用 kezhi merge 合并大数据包。"),
                None,
                &conflicts()?,
            ),
            422,
        ));
    }
    merge_and_show(app, ctx, file.bytes.clone(), false)
}

/// The admin confirmed the team admin changes of a bundle kept on the server.
pub fn confirm(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let Some(bytes) = app
        .pending_merges
        .take(&ctx.owner_key(), ctx.field("bundle"))
    else {
        return Ok(rejected(
            view::page_view(
                &ctx.page(),
                Some("这个数据包已经过期或已经处理过，请重新上传。"),
                None,
                &conflict_lines(app)?,
            ),
            422,
        ));
    };
    merge_and_show(app, ctx, bytes, true)
}

fn merge_and_show(
    app: &App,
    ctx: &Ctx,
    bytes: Vec<u8>,
    confirmed: bool,
) -> Result<Response, AppError> {
    let conflicts = || conflict_lines(app);
    let kept = if confirmed { None } else { Some(bytes.clone()) };
    match crate::app::merge::merge_bundle(
        &app.store,
        bytes,
        (&ctx.actor(), &ctx.remote.ip().to_string()),
        ctx.now,
        confirmed,
    ) {
        Ok((manifest, summary)) => {
            let lines: Vec<CountLine> = summary
                .iter()
                .map(|(e, c)| CountLine {
                    entity: crate::app::merge::entity_label(e),
                    added: c.added,
                    updated: c.updated,
                    unchanged: c.unchanged,
                    conflicts: c.conflicts,
                    skipped: c.skipped,
                })
                .collect();
            let from = format!(
                "{}（{}）",
                manifest.installation_name,
                manifest.created_at.format("%Y-%m-%d %H:%M")
            );
            Ok(html(view::page_view(
                &ctx.page(),
                None,
                Some((&from, &lines)),
                &conflicts()?,
            )))
        }
        Err(crate::app::merge::MergeRefusal::AdminPhonesChange(changes)) => {
            let token = app
                .pending_merges
                .keep(&ctx.owner_key(), kept.unwrap_or_default());
            let lines: Vec<(String, String, String)> = changes
                .into_iter()
                .map(|c| (c.team, c.from, c.to))
                .collect();
            Ok(html(view::confirm_admin_changes(
                &ctx.page(),
                &token,
                &lines,
            )))
        }
        Err(refusal) => Ok(rejected(
            view::page_view(&ctx.page(), Some(&refusal.message()), None, &conflicts()?),
            422,
        )),
    }
}

fn fields(mine: &crate::domain::people::Volunteer, c: &MergeConflict) -> Vec<FieldPair> {
    let t = &c.incoming;
    let mut pairs: Vec<FieldPair> = crate::domain::fields::volunteer_merge_fields()
        .map(|f| FieldPair {
            key: f.key,
            label: f.label,
            mine: f.shown(mine),
            theirs: f.shown(t),
        })
        .collect();
    let when = |v: &crate::domain::people::Volunteer| v.updated_at.format("%Y-%m-%d %H:%M");
    pairs.push(FieldPair {
        key: "updated_at",
        label: "最后修改",
        mine: when(mine).to_string(),
        theirs: when(t).to_string(),
    });
    pairs
}

pub fn conflict(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let c = app.store.conflict(id)?.ok_or(AppError::NotFound)?;
    if c.resolution.is_some() {
        return Ok(Response::redirect_303("/admin/merge"));
    }
    let mine = app.store.volunteer(c.local)?.ok_or(AppError::NotFound)?;
    let deps = format!(
        "数据包中此人有 {} 条组织成员关系、{} 条活动报名。",
        c.memberships.len(),
        c.signups.len()
    );
    Ok(html(view::conflict(
        &ctx.page(),
        &id.to_string(),
        &fields(&mine, &c),
        &deps,
    )))
}

pub fn resolve(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let how = match ctx.field("how") {
        "mine" => Resolution::KeepMine,
        "theirs" => Resolution::KeepTheirs,
        "combine" => {
            Resolution::Combine(ctx.fields("take").into_iter().map(str::to_string).collect())
        }
        _ => return Err(AppError::BadRequest("请选择处理方式。".into())),
    };
    app.store.resolve_conflict(id, &how, ctx.now)?;
    ctx.audit(
        app,
        "merge.resolve",
        format!("处理合并冲突 {id}（{}）", ctx.field("how")),
        1,
    )?;
    Ok(Response::redirect_303("/admin/merge"))
}
