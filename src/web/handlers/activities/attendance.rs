//! Being there: check-in and check-out by QR code, attendance marked by the team, and hours.

use super::{load, local, local_now, managed, roster::render_roster};
use crate::app::attendance::{self, HoursOutcome, TypedHours};
use crate::domain::activity::{self as rules, Activity, SignupState};
use crate::domain::attendance::Scan;
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::activity::{self as view, CheckinPage};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash};
use crate::web::handlers::respond::rejected;
use rouille::{Request, Response};

pub(super) fn render_checkin(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    token: &str,
    message: Option<&str>,
) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let s = app.store.signup(a.id, v.id)?;
    let now = local_now(ctx);
    let (status, can_in, can_out) = match &s {
        Some(s) if s.state.holds_seat() || s.state == SignupState::Absent => {
            let status = match (s.check_in, s.check_out) {
                (Some(i), Some(o)) => format!("已签到 {}，已签退 {}", local(ctx, i), local(ctx, o)),
                (Some(i), None) => format!("已签到 {}", local(ctx, i)),
                _ => "您已报名，请签到".to_string(),
            };
            (
                status,
                s.check_in.is_none() && rules::checkin_open(a, now),
                s.check_in.is_some() && s.check_out.is_none() && rules::checkout_open(a, now),
            )
        }
        _ => (
            "您没有报名这个活动，不能签到。如有疑问请联系活动负责人。".to_string(),
            false,
            false,
        ),
    };
    let page = CheckinPage {
        id: &a.id.to_string(),
        token,
        title: &a.title,
        status: &status,
        can_in,
        can_out,
        message,
    };
    let code = if message.is_some() { 422 } else { 200 };
    Ok(rejected(view::checkin(&ctx.page(), &page), code))
}

pub(super) fn check_token(app: &App, id: Gid, token: &str) -> Result<(), AppError> {
    let real = app.store.checkin_token(id)?;
    if token.is_empty() || token != real {
        return Err(AppError::Forbidden(
            "签到二维码无效，请扫描现场电脑上显示的二维码。".into(),
        ));
    }
    Ok(())
}

pub fn checkin_page(app: &App, ctx: &Ctx, req: &Request, id: Gid) -> Result<Response, AppError> {
    let token = req.get_param("t").unwrap_or_default();
    if ctx.volunteer().is_none() {
        let next = format!("/activities/{id}/checkin?t={token}");
        return Ok(Response::redirect_303(format!(
            "/login?next={}",
            crate::views::components::encode_query(&next)
        )));
    }
    let a = load(app, id)?;
    check_token(app, id, &token)?;
    render_checkin(app, ctx, &a, &token, None)
}

pub fn check_in_out(app: &App, ctx: &Ctx, id: Gid, way: Scan) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let token = ctx.field("t").to_string();
    check_token(app, id, &token)?;
    let a = load(app, id)?;
    match attendance::scan(&app.store, id, v.id, way, local_now(ctx), ctx.now) {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/activities/{id}/checkin?t={token}"),
            match way {
                Scan::CheckIn => "checked_in",
                Scan::CheckOut => "checked_out",
            },
        )),
        Err(StoreError::Refused(why)) => {
            render_checkin(app, ctx, &a, &token, Some(&why.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

fn roster_message(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    message: String,
) -> Result<Response, AppError> {
    let f = FormState {
        message: Some(message),
        ..Default::default()
    };
    render_roster(app, ctx, a, &f, 422)
}

pub fn attendance(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let vol: Gid = ctx
        .field("volunteer")
        .parse()
        .map_err(|_| AppError::BadRequest("缺少志愿者。".into()))?;
    let attended = ctx.field("attended") == "yes";
    match attendance::mark(&app.store, id, vol, attended, local_now(ctx), ctx.now) {
        Ok(_) => Ok(Response::redirect_303(format!("/activities/{id}/roster"))),
        Err(StoreError::Refused(why)) => roster_message(app, ctx, &a, why.to_string()),
        Err(e) => Err(e.into()),
    }
}

pub fn hours(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let typed: Vec<TypedHours> = ctx
        .form
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, v)| {
            let volunteer = k.strip_prefix("hours_")?.parse().ok()?;
            Some(TypedHours {
                volunteer,
                text: v.clone(),
            })
        })
        .collect();
    let actor = ctx.actor();
    let address = ctx.remote.ip().to_string();
    match attendance::record_hours(&app.store, &a, &typed, (&actor, &address), ctx.now)? {
        HoursOutcome::Saved(_) => Ok(redirect_with_flash(
            &format!("/activities/{id}/roster"),
            "hours_saved",
        )),
        HoursOutcome::Invalid(problems) => {
            let mut form = FormState::default();
            for t in &typed {
                form.set(&format!("hours_{}", t.volunteer), t.text.clone());
            }
            for (vol, why) in problems {
                form.fail(&format!("hours_{vol}"), why);
            }
            render_roster(app, ctx, &a, &form, 422)
        }
    }
}
