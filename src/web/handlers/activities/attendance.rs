//! Being there: check-in and check-out by QR code, attendance marked by the team, and hours.

use super::{audit, load, local, local_now, managed, roster::render_roster};
use crate::domain::activity::{self as rules, Activity, SignupState};
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

pub fn check_in_out(
    app: &App,
    ctx: &Ctx,
    id: Gid,
    checking_in: bool,
) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let token = ctx.field("t").to_string();
    check_token(app, id, &token)?;
    let a = load(app, id)?;
    let now = local_now(ctx);
    let at = ctx.now;
    let result = app.store.update_signup(id, v.id, |a, mut s| {
        if !(s.state.holds_seat() || s.state == SignupState::Absent) {
            return Err(StoreError::Rejected(
                "您没有报名这个活动，不能签到。".into(),
            ));
        }
        if checking_in {
            if !rules::checkin_open(a, now) {
                return Err(StoreError::Rejected(
                    "现在不在签到时间内（活动开始前1小时至活动结束）。".into(),
                ));
            }
            if s.check_in.is_some() {
                return Err(StoreError::Rejected("您已经签到过了。".into()));
            }
            s.check_in = Some(at);
            s.state = SignupState::Attended;
        } else {
            if !rules::checkout_open(a, now) {
                return Err(StoreError::Rejected(
                    "现在不在签退时间内（活动开始后至结束后3小时）。".into(),
                ));
            }
            if s.check_in.is_none() {
                return Err(StoreError::Rejected("请先签到。".into()));
            }
            if s.check_out.is_some() {
                return Err(StoreError::Rejected("您已经签退过了。".into()));
            }
            s.check_out = Some(at);
        }
        s.updated_at = at;
        Ok(s)
    });
    match result {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/activities/{id}/checkin?t={token}"),
            if checking_in {
                "checked_in"
            } else {
                "checked_out"
            },
        )),
        Err(StoreError::Rejected(m)) => render_checkin(app, ctx, &a, &token, Some(&m)),
        Err(StoreError::NotFound) => {
            render_checkin(app, ctx, &a, &token, Some("您没有报名这个活动，不能签到。"))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn attendance(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let vol: Gid = ctx
        .field("volunteer")
        .parse()
        .map_err(|_| AppError::BadRequest("缺少志愿者。".into()))?;
    let attended = ctx.field("attended") == "yes";
    if local_now(ctx) < a.starts_at - chrono::Duration::minutes(60) {
        let f = FormState {
            message: Some("活动还没有开始，不能登记到场情况。".into()),
            ..Default::default()
        };
        return render_roster(app, ctx, &a, &f, 422);
    }
    let at = ctx.now;
    let result = app.store.update_signup(id, vol, |_, mut s| {
        if !(s.state.holds_seat() || s.state == SignupState::Absent) {
            return Err(StoreError::Rejected(
                "只能为已报名的志愿者登记到场情况。".into(),
            ));
        }
        s.state = if attended {
            SignupState::Attended
        } else {
            SignupState::Absent
        };
        if !attended {
            s.half_hours = None;
        }
        s.updated_at = at;
        Ok(s)
    });
    match result {
        Ok(_) => Ok(Response::redirect_303(format!("/activities/{id}/roster"))),
        Err(StoreError::Rejected(m)) => {
            let f = FormState {
                message: Some(m),
                ..Default::default()
            };
            render_roster(app, ctx, &a, &f, 422)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn hours(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let days = rules::days_spanned(a.starts_at, a.ends_at);
    let mut form = FormState::default();
    let mut entries = Vec::new();
    for r in app
        .store
        .roster(id)?
        .into_iter()
        .filter(|r| r.signup.state == SignupState::Attended)
    {
        let name = format!("hours_{}", r.volunteer.id);
        let raw = ctx.field(&name).to_string();
        if raw.is_empty() {
            continue;
        }
        form.set(&name, raw.clone());
        match rules::parse_hours(&raw, days) {
            Ok(h) => entries.push((r.volunteer.id, h)),
            Err(m) => form.fail(&name, m),
        }
    }
    if !form.is_ok() {
        return render_roster(app, ctx, &a, &form, 422);
    }
    let n = app
        .store
        .record_hours(id, &entries, &ctx.actor(), ctx.now)?;
    audit(
        app,
        ctx,
        "activity.hours",
        format!("记录活动 {} 的服务时长", a.id),
        n as u64,
    )?;
    Ok(redirect_with_flash(
        &format!("/activities/{id}/roster"),
        "hours_saved",
    ))
}
