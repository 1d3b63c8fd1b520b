//! The roster a team admin works from: the page, the xlsx download, the printable sign-in sheet and the check-in QR code.

use super::{local, local_now, managed, when};
use crate::domain::activity::{self as rules, Activity, SignupState};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::error::AppError;
use crate::exchange::roster as roster_file;
use crate::views::activity::{self as view, RosterLine};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::Ctx;
use crate::web::handlers::forms::region_text;
use crate::web::handlers::respond::{html, rejected};
use rouille::Response;

pub(super) fn roster_lines(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
) -> Result<Vec<RosterLine>, AppError> {
    let now = local_now(ctx);
    let can_mark = crate::domain::attendance::marking_open(a, now);
    Ok(app
        .store
        .roster(a.id)?
        .into_iter()
        .filter(|r| r.signup.state != SignupState::Cancelled)
        .map(|r| {
            let s = &r.signup;
            RosterLine {
                volunteer_id: r.volunteer.id.to_string(),
                name: r.volunteer.real_name.clone(),
                phone: r.volunteer.phone.clone(),
                signed_up_at: local(ctx, s.signed_up_at),
                state: s.state.label(),
                check_in: s.check_in.map(|t| local(ctx, t)).unwrap_or_default(),
                check_out: s.check_out.map(|t| local(ctx, t)).unwrap_or_default(),
                hours: s
                    .half_hours
                    .map(rules::format_half_hours)
                    .unwrap_or_default(),
                default_hours: rules::format_half_hours(
                    s.half_hours.unwrap_or_else(|| {
                        rules::default_half_hours(a, s, ctx.settings.utc_offset)
                    }),
                ),
                attended: s.state == SignupState::Attended,
                can_mark: can_mark && s.state != SignupState::Waitlisted,
                corrections: s
                    .corrections
                    .iter()
                    .map(|c| {
                        format!(
                            "{} 改为 {} 小时（{}）",
                            local(ctx, c.at),
                            rules::format_half_hours(c.half_hours),
                            c.by
                        )
                    })
                    .collect(),
            }
        })
        .collect())
}

pub(super) fn render_roster(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    form: &FormState,
    status: u16,
) -> Result<Response, AppError> {
    let lines = roster_lines(app, ctx, a)?;
    Ok(rejected(
        view::roster(&ctx.page(), &a.id.to_string(), &a.title, &lines, form),
        status,
    ))
}

pub fn roster(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    render_roster(app, ctx, &a, &FormState::default(), 200)
}

pub fn roster_xlsx(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let rows: Vec<roster_file::RosterRow> = roster_lines(app, ctx, &a)?
        .into_iter()
        .map(|l| roster_file::RosterRow {
            name: l.name,
            phone: l.phone,
            signed_up_at: l.signed_up_at,
            state: l.state.into(),
            check_in: l.check_in,
            check_out: l.check_out,
            hours: l.hours,
        })
        .collect();
    let bytes = roster_file::roster_xlsx(&a.title, &rows).map_err(AppError::Internal)?;
    ctx.audit(
        app,
        "activity.roster_export",
        format!("下载活动 {} 的报名名单", a.id),
        rows.len() as u64,
    )?;
    let filename = format!("{}-报名名单.xlsx", a.title);
    Ok(crate::web::handlers::respond::xlsx(bytes, &filename))
}

pub fn sign_sheet(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let rows: Vec<(String, String)> = app
        .store
        .roster(id)?
        .into_iter()
        .filter(|r| r.signup.state.holds_seat())
        .map(|r| (r.volunteer.real_name, r.volunteer.phone))
        .collect();
    let facts = [
        ("时间", when(&a)),
        ("地点", format!("{} {}", region_text(&a.region), a.address)),
    ];
    Ok(html(view::sign_sheet(
        &ctx.settings.site_name,
        &a.title,
        &facts,
        &rows,
    )))
}

pub(super) fn base_url(app: &App) -> String {
    app.lan_urls()
        .first()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

pub fn checkin_qr(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let token = app.store.checkin_token(id)?;
    let url = format!("{}/activities/{id}/checkin?t={token}", base_url(app));
    let svg = crate::web::handlers::respond::qr_svg(&url);
    let window = format!(
        "{} 至 {}",
        crate::domain::attendance::opens_at(&a).format("%m-%d %H:%M"),
        a.ends_at.format("%m-%d %H:%M")
    );
    Ok(html(view::checkin_qr(
        &ctx.page(),
        &a.title,
        &url,
        svg.as_deref(),
        &window,
    )))
}
