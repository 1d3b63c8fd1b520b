//! 集体注册导入: template downloads (public), uploads by platform and team admins, the
//! background check with its progress page, the preview and its choices, the commit, and
//! the error report download.

use super::forms::{page_number, today};
use super::respond::xlsx;
use super::respond::{html, rejected};
use crate::app::import::CommitChoice;
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::error::AppError;
use crate::exchange::columns::Form;
use crate::exchange::import::CheckReport;
use crate::exchange::{read, template};
use crate::views::import::{self as view, IssueLine, Preview, UploadPage};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, teams_allowing};
use crate::web::jobs::JobState;
use rouille::Response;
use std::sync::Arc;

/// Issues listed on the preview page; the rest are in the downloadable report.
const ISSUES_SHOWN: usize = 200;

/// Who may import what: platform admins anything; team admins 附件2 into their teams.
struct Importer {
    /// May import teams, and volunteers without a team.
    platform: bool,
    /// Teams volunteers may be imported into: (id, name).
    teams: Vec<(String, String)>,
}

/// What the viewer may import; `None` when they may not import.
fn importer(app: &App, ctx: &Ctx) -> Result<Option<Importer>, AppError> {
    Ok(match &ctx.viewer {
        Viewer::Admin(_) => Some(Importer {
            platform: true,
            teams: app
                .store
                .teams()?
                .into_iter()
                .map(|o| (o.id.to_string(), o.name))
                .collect(),
        }),
        Viewer::Volunteer { teams, .. } if !teams.is_empty() => {
            let acting = teams_allowing(ctx, TeamPower::Act);
            if acting.is_empty() {
                return Err(AppError::Forbidden(teams[0].status.refusal().into()));
            }
            Some(Importer {
                platform: false,
                teams: acting
                    .iter()
                    .map(|t| (t.id.to_string(), t.name.clone()))
                    .collect(),
            })
        }
        _ => None,
    })
}

pub fn template_file(form: Form) -> Result<Response, AppError> {
    let bytes = template::workbook(form, &[]).map_err(AppError::Internal)?;
    Ok(xlsx(bytes, &form.file_name()))
}

fn render_upload(
    app: &App,
    ctx: &Ctx,
    message: Option<&str>,
    status: u16,
) -> Result<Response, AppError> {
    let Some(Importer {
        platform: teams_allowed,
        teams,
    }) = importer(app, ctx)?
    else {
        return Err(AppError::forbidden());
    };
    Ok(rejected(
        view::upload(
            &ctx.page(),
            &UploadPage {
                teams_allowed,
                teams: &teams,
                message,
            },
        ),
        status,
    ))
}

pub fn upload_page(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    render_upload(app, ctx, None, 200)
}

pub fn upload(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let Some(Importer {
        platform: teams_allowed,
        teams,
    }) = importer(app, ctx)?
    else {
        return Err(AppError::forbidden());
    };
    let form = match ctx.field("form") {
        "teams" if teams_allowed => Form::Teams,
        "teams" => return Err(AppError::forbidden()),
        "volunteers" => Form::Volunteers,
        _ => return Err(AppError::BadRequest("请选择要导入的表格类型。".into())),
    };
    let team: Option<Gid> = match ctx.field("team") {
        "" if teams_allowed => None,
        "" => return Err(AppError::forbidden()),
        t => {
            let id: Gid = t
                .parse()
                .map_err(|_| AppError::BadRequest("所选组织无效。".into()))?;
            if !teams.iter().any(|(tid, _)| *tid == id.to_string()) {
                return Err(AppError::forbidden());
            }
            Some(id)
        }
    };
    let Some(file) = ctx.files.iter().find(|f| f.field == "file") else {
        return render_upload(app, ctx, Some("请选择要上传的文件。"), 422);
    };
    if file.too_large {
        let limit = read::MAX_FILE_BYTES / 1024 / 1024;
        return render_upload(
            app,
            ctx,
            Some(&format!("文件超过 {limit} MB，请分成几个文件上传。")),
            422,
        );
    }
    if let Err(e) = read::detect(&file.bytes) {
        return render_upload(app, ctx, Some(&e.message()), 422);
    }
    let job = app.jobs.start(
        app.store.clone(),
        crate::web::jobs::Upload {
            owner: ctx.owner_key(),
            form,
            team,
            team_admin: !teams_allowed,
            file_name: file.filename.clone(),
            bytes: file.bytes.clone(),
        },
        today(ctx),
    );
    log::info!("import job started ({} bytes)", file.bytes.len());
    Ok(Response::redirect_303(format!("/import/{}", job.id)))
}

fn my_job(app: &App, ctx: &Ctx, id: &str) -> Result<Arc<crate::web::jobs::Job>, AppError> {
    let job = app.jobs.get(id).ok_or(AppError::NotFound)?;
    let allowed = matches!(ctx.viewer, Viewer::Admin(_)) || job.owner == ctx.owner_key();
    if !allowed {
        return Err(AppError::forbidden());
    }
    Ok(job)
}

/// Rows per page of the preview table.
const PREVIEW_ROWS: usize = 50;

fn preview(
    app: &App,
    ctx: &Ctx,
    job: &crate::web::jobs::Job,
    report: &CheckReport,
    message: Option<&str>,
    page: usize,
) -> Result<Response, AppError> {
    let total_rows = report.rows.len();
    let rows: Vec<(u32, Vec<String>, Vec<usize>, String)> =
        crate::exchange::import::preview_rows(&job.bytes, report, page, PREVIEW_ROWS)
            .map_err(|e| AppError::Unprocessable(e.message()))?
            .into_iter()
            .map(|r| (r.number, r.cells, r.bad_columns, r.errors.join("；")))
            .collect();
    let has_more = (page + 1) * PREVIEW_ROWS < total_rows;
    let issues: Vec<IssueLine> = report
        .issues
        .iter()
        .take(ISSUES_SHOWN)
        .map(|i| IssueLine {
            row: i.row,
            column: i.column.clone(),
            value: i.value.clone(),
            message: i.message.clone(),
        })
        .collect();
    let team_name = match job.team {
        Some(t) => app.store.team(t)?.map(|o| o.name),
        None => None,
    };
    let p = Preview {
        job: &job.id,
        file_name: &job.file_name,
        form_title: job.form.title(),
        rows_read: report.rows_read(),
        valid: report.valid(),
        invalid: report.invalid(),
        matching: report.matching(),
        issues: &issues,
        more_issues: report.issues.len().saturating_sub(ISSUES_SHOWN),
        unexpected: &report.unexpected,
        team: team_name.as_deref(),
        message,
        headers: &report.headers,
        rows: &rows,
        page,
        has_more,
        team_admin: job.team_admin,
    };
    let status = if message.is_some() { 422 } else { 200 };
    Ok(rejected(view::preview(&ctx.page(), &p), status))
}

pub fn show(app: &App, ctx: &Ctx, req: &rouille::Request, id: &str) -> Result<Response, AppError> {
    let job = my_job(app, ctx, id)?;
    // `?page=` counts from 1 for people.
    let rows_page = page_number(req) - 1;
    let mut page = ctx.page();
    match job.state() {
        JobState::Checking => {
            page.refresh = Some(1);
            let (done, total) = job.counts();
            Ok(html(view::progress(
                &page,
                &job.file_name,
                "正在检查表格…",
                done,
                total,
            )))
        }
        JobState::Committing(_) => {
            page.refresh = Some(1);
            let (_, total) = job.counts();
            Ok(html(view::progress(
                &page,
                &job.file_name,
                "正在导入…",
                total,
                total,
            )))
        }
        JobState::Failed(m) => render_upload(app, ctx, Some(&m), 422),
        JobState::Checked(report) => preview(app, ctx, &job, &report, None, rows_page),
        JobState::Refused(report, m) => preview(app, ctx, &job, &report, Some(&m), rows_page),
        JobState::Done(_, s) => {
            let mut notes = Vec::new();
            if s.joined_team > 0 {
                notes.push(format!("{} 人加入了所选组织。", s.joined_team));
            }
            if s.invited > 0 {
                notes.push(format!(
                    "{} 位已登记的志愿者不是本组织成员：已向他们发出邀请，本人同意后加入，他们的信息没有改动。",
                    s.invited
                ));
            }
            if s.already_members > 0 {
                notes.push(format!("{} 人已是本组织成员或已邀请。", s.already_members));
            }
            if s.team_full > 0 {
                notes.push(format!(
                    "{} 人已加入 5 个组织，没有再加入所选组织。",
                    s.team_full
                ));
            }
            if s.waiting_for_admin > 0 {
                notes.push(format!(
                    "{} 个组织的管理员手机号还没有注册志愿者：管理员用该手机号注册（或登录确认信息）后，组织即可使用。",
                    s.waiting_for_admin
                ));
            }
            if job.form == Form::Volunteers && s.added > 0 {
                notes.push("新导入的志愿者用本人手机号登录并确认信息后即可使用。".into());
            }
            Ok(html(view::done(
                &ctx.page(),
                job.form.title(),
                s.added,
                s.updated,
                s.skipped,
                &notes,
            )))
        }
    }
}

pub fn commit(app: &App, ctx: &Ctx, id: &str) -> Result<Response, AppError> {
    let job = my_job(app, ctx, id)?;
    // The team may have been suspended since the upload.
    if let Some(team) = job.team
        && !matches!(ctx.viewer, Viewer::Admin(_))
    {
        crate::web::auth::require_team(app, ctx, team, TeamPower::Act)?;
    }
    let team_admin = !matches!(ctx.viewer, Viewer::Admin(_));
    let choice = CommitChoice {
        valid_only: ctx.field("valid_only") == "yes",
        update_existing: ctx.field("existing") == "update" && !team_admin,
        team_admin,
    };
    let started = app.jobs.commit(
        app.store.clone(),
        job.clone(),
        choice,
        (ctx.actor(), ctx.remote.ip().to_string()),
        ctx.now,
    );
    if !started {
        return Err(AppError::Unprocessable(
            "这个文件已经导入过或还在检查中，不能重复导入。".into(),
        ));
    }
    Ok(Response::redirect_303(format!("/import/{id}")))
}

pub fn errors_xlsx(app: &App, ctx: &Ctx, id: &str) -> Result<Response, AppError> {
    let job = my_job(app, ctx, id)?;
    let report = match job.state() {
        JobState::Checked(r)
        | JobState::Refused(r, _)
        | JobState::Done(r, _)
        | JobState::Committing(r) => r,
        _ => return Err(AppError::NotFound),
    };
    let bytes = crate::exchange::import::error_report(job.form, &job.bytes, &report)
        .map_err(|e| AppError::Unprocessable(e.message()))?;
    Ok(xlsx(
        bytes,
        &format!("{}（错误说明）.xlsx", job.form.title()),
    ))
}
