//! 导出上报: official forms for platform admins (all / since last / region / team, full ID
//! numbers) and team admins (their team's volunteers, ID numbers masked).

use super::forms::today;
use super::respond::html;
use super::respond::xlsx;
use crate::app::export::{self, ExportRequest, Scope};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::regions;
use crate::error::AppError;
use crate::exchange::columns::Form;
use crate::exchange::export::IdNumbers;
use crate::views::export::{self as view, ExportPage};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, require_team, teams_allowing};
use rouille::Response;

pub fn page(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let (platform, teams) = match &ctx.viewer {
        Viewer::Admin(_) => (
            true,
            app.store
                .teams()?
                .into_iter()
                .map(|o| (o.id.to_string(), o.name))
                .collect(),
        ),
        Viewer::Volunteer { teams, .. } if !teams.is_empty() => {
            let acting = teams_allowing(ctx, TeamPower::Act);
            if acting.is_empty() {
                return Err(AppError::Forbidden(teams[0].status.refusal().into()));
            }
            (
                false,
                acting
                    .iter()
                    .map(|t| (t.id.to_string(), t.name.clone()))
                    .collect::<Vec<_>>(),
            )
        }
        _ => return Err(AppError::forbidden()),
    };
    let provinces: Vec<(String, String)> = regions::provinces()
        .into_iter()
        .map(|r| (r.code.to_string(), r.name.to_string()))
        .collect();
    let d = ExportPage {
        pending_teams: export::pending(&app.store, Form::Teams)?,
        pending_volunteers: export::pending(&app.store, Form::Volunteers)?,
        teams: &teams,
        provinces: &provinces,
        platform,
    };
    Ok(html(view::page_view(&ctx.page(), &d)))
}

fn run(
    app: &App,
    ctx: &Ctx,
    form: Form,
    scope: Scope,
    ids: IdNumbers,
) -> Result<Response, AppError> {
    let done = export::export(
        &app.store,
        &ExportRequest {
            form,
            scope,
            ids,
            site: &ctx.settings.site_name,
            today: today(ctx),
            actor: (&ctx.actor(), &ctx.remote.ip().to_string()),
            now: ctx.now,
        },
    )?;
    log::info!("export of {} records", done.count);
    Ok(xlsx(done.bytes, &done.file_name))
}

pub fn platform_export(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let form = match ctx.field("form") {
        "teams" => Form::Teams,
        "volunteers" => Form::Volunteers,
        _ => return Err(AppError::BadRequest("请选择要导出的表格。".into())),
    };
    let scope = match ctx.field("scope") {
        "all" => Scope::All,
        "since" | "" => Scope::SinceLast,
        "region" => {
            let code = ctx.field("region");
            if regions::by_code(code).is_none() {
                return Err(AppError::Unprocessable("请选择要导出的区域。".into()));
            }
            Scope::Region(code.to_string())
        }
        "team" => Scope::Team(
            ctx.field("team")
                .parse::<Gid>()
                .map_err(|_| AppError::Unprocessable("请选择要导出的组织。".into()))?,
        ),
        _ => return Err(AppError::BadRequest("导出范围无效。".into())),
    };
    run(app, ctx, form, scope, IdNumbers::Full)
}

pub fn team_export(app: &App, ctx: &Ctx, org: Gid) -> Result<Response, AppError> {
    require_team(app, ctx, org, TeamPower::Act)?;
    run(
        app,
        ctx,
        Form::Volunteers,
        Scope::Team(org),
        IdNumbers::Masked,
    )
}
