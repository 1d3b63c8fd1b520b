//! 志愿者信息: a signed-in volunteer's own data, editing it, confirming a record entered
//! by others, changing phone (with a code to the new phone), password, and leaving teams.

use super::forms::{
    RegionLists, VOLUNTEER_FIELDS, apply_errors, form_state, is_region_step, today, volunteer_form,
    volunteer_input,
};
use super::respond::{html, rejected};
use crate::domain::account::password_problem;
use crate::domain::ids::Gid;
use crate::domain::people::{Consent, MembershipState, Volunteer};
use crate::domain::{registration, secret, validate};
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::account as account_view;
use crate::views::components::FormState;
use crate::views::volunteer::{self as view, ProfileView, VolunteerFormSpec};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash};
use rouille::Response;

/// The signed-in volunteer, or where to send the browser instead.
fn me(ctx: &Ctx) -> Result<Result<&Volunteer, Response>, AppError> {
    Ok(match &ctx.viewer {
        Viewer::Volunteer { volunteer, .. } => Ok(volunteer),
        Viewer::VerifiedPhone(_) => Err(Response::redirect_303("/register/volunteer")),
        Viewer::Anonymous => Err(Response::redirect_303("/login")),
        Viewer::Admin(_) => Err(Response::redirect_303("/admin")),
    })
}

macro_rules! me_or_return {
    ($ctx:expr) => {
        match me($ctx)? {
            Ok(v) => v,
            Err(r) => return Ok(r),
        }
    };
}

pub fn show(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    let Viewer::Volunteer {
        teams: admin_of, ..
    } = &ctx.viewer
    else {
        return Err(AppError::forbidden());
    };
    let teams = app.store.teams_of(v.id)?;
    let data = ProfileView {
        rows: crate::domain::fields::volunteer_profile(v),
        has_password: v.password_hash.is_some(),
        showcase_consent: app.store.showcase_consent(v.id)?,
        admin_of: admin_of
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone(), t.status.label()))
            .collect(),
        invitations: teams
            .iter()
            .filter(|t| t.membership.state == MembershipState::Invited)
            .map(|t| (t.team.id.to_string(), t.team.name.clone()))
            .collect(),
        teams: teams
            .iter()
            .filter(|t| {
                !matches!(
                    t.membership.state,
                    MembershipState::Left | MembershipState::Invited | MembershipState::Declined
                )
            })
            .map(|t| {
                let s = t.membership.state;
                (
                    t.team.id.to_string(),
                    t.team.name.clone(),
                    s.label(),
                    t.membership.added_by_team,
                    matches!(s, MembershipState::Approved | MembershipState::Applied)
                        && !admin_of.iter().any(|a| a.id == t.team.id),
                )
            })
            .collect(),
    };
    Ok(html(view::profile(&ctx.page(), &data)))
}

fn edit_spec<'a>(
    v: &'a Volunteer,
    masked_id: &'a str,
    hidden: &'a [(String, String)],
    confirming: bool,
) -> VolunteerFormSpec<'a> {
    VolunteerFormSpec {
        action: if confirming { "/me/confirm" } else { "/me/edit" },
        heading: if confirming { "请确认您的信息" } else { "编辑志愿者信息" },
        intro: confirming.then_some(
            "您的信息由组织或单位代为登记。请逐项核对，有误的直接修改，确认无误后提交。确认前不能使用其他功能。",
        ),
        submit: if confirming { "确认信息" } else { "保存" },
        fixed_phone: Some(&v.phone),
        locked_id_number: Some(masked_id),
        agreement: confirming,
        hidden,
        steps: None,
    }
}

fn render_edit(
    ctx: &Ctx,
    v: &Volunteer,
    form: &FormState,
    confirming: bool,
    status: u16,
) -> Response {
    let masked = validate::mask_id_number(&v.id_number);
    let lists = RegionLists::for_form(form);
    // The record's id rides along so a form edited to name someone else is refused.
    let hidden = [("volunteer_id".to_string(), v.id.to_string())];
    let spec = edit_spec(v, &masked, &hidden, confirming);
    rejected(
        view::volunteer_form(&ctx.page(), form, &lists.options(), &spec),
        status,
    )
}

pub fn edit_form(ctx: &Ctx, confirming: bool) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    if confirming && v.confirmed {
        return Ok(Response::redirect_303("/me"));
    }
    Ok(render_edit(ctx, v, &volunteer_form(v), confirming, 200))
}

pub fn edit(app: &App, ctx: &Ctx, confirming: bool) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    if confirming && v.confirmed {
        return Ok(Response::redirect_303("/me"));
    }
    // A crafted form naming another volunteer is refused outright.
    if let Some(other) = ctx.form.iter().find(|(k, _)| k == "volunteer_id")
        && other.1 != v.id.to_string()
    {
        return Err(AppError::forbidden());
    }
    let mut form = form_state(ctx, VOLUNTEER_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_edit(ctx, v, &form, confirming, 200));
    }
    let mut input = volunteer_input(&form);
    // Phone and ID number are not editable here: check the stored ones.
    input.phone = v.phone.clone();
    input.id_number = v.id_number.clone();
    let today = today(ctx);
    let checked = registration::check_volunteer(&input, today);
    let mut consent = v.consent.clone();
    if confirming {
        if form.value("agree") != "yes" {
            form.fail("agree", "请阅读并同意《科技志愿者注册协议》");
        }
        let mut guardian = (None, None);
        if registration::needs_guardian(v.birth_date, today) {
            match registration::check_guardian(
                form.value("guardian_name"),
                form.value("guardian_phone"),
            ) {
                Ok((n, p)) => guardian = (Some(n), Some(p)),
                Err(errors) => apply_errors(&mut form, errors),
            }
        }
        consent = Some(Consent {
            accepted_at: ctx.now,
            how: "claimed".into(),
            guardian_name: guardian.0,
            guardian_phone: guardian.1,
        });
    }
    let fields = match checked {
        Ok(f) if form.is_ok() => f,
        Ok(_) => return Ok(render_edit(ctx, v, &form, confirming, 422)),
        Err(errors) => {
            apply_errors(&mut form, errors);
            return Ok(render_edit(ctx, v, &form, confirming, 422));
        }
    };
    let mut updated = v.clone();
    updated.apply(fields, ctx.now);
    updated.confirmed = true;
    updated.consent = consent;
    app.store.update_volunteer(&updated)?;
    Ok(redirect_with_flash(
        "/me",
        if confirming { "confirmed" } else { "saved" },
    ))
}

pub fn phone_form(ctx: &Ctx) -> Result<Response, AppError> {
    me_or_return!(ctx);
    Ok(html(view::phone_change(
        &ctx.page(),
        &FormState::default(),
        None,
    )))
}

pub fn phone_request(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    let mut form = FormState::default();
    form.set("new_phone", ctx.field("new_phone"));
    let fail =
        |form: &FormState, status| rejected(view::phone_change(&ctx.page(), form, None), status);
    let phone = match validate::mobile(ctx.field("new_phone")) {
        Ok(p) => p,
        Err(m) => {
            form.fail("new_phone", m);
            return Ok(fail(&form, 422));
        }
    };
    if phone == v.phone {
        form.fail("new_phone", "新手机号与当前手机号相同");
        return Ok(fail(&form, 422));
    }
    if app.store.volunteer_by_phone(&phone)?.is_some() {
        form.fail("new_phone", "这个手机号已被其他志愿者使用，不能更换为它");
        return Ok(fail(&form, 422));
    }
    if let Err(problem) = super::codes::send(app, ctx, &phone)? {
        problem.show_on(&mut form);
        return Ok(problem.respond(view::phone_change(&ctx.page(), &form, None)));
    }
    let masked = validate::mask_phone(&phone);
    Ok(html(view::phone_change(
        &ctx.page(),
        &FormState::default(),
        Some((&phone, &masked)),
    )))
}

pub fn phone_verify(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    let phone = validate::mobile(ctx.field("new_phone"))
        .map_err(|_| AppError::BadRequest("请先填写新手机号获取验证码。".into()))?;
    let masked = validate::mask_phone(&phone);
    let mut form = FormState::default();
    let again = |form: &FormState, status| {
        rejected(
            view::phone_change(&ctx.page(), form, Some((&phone, &masked))),
            status,
        )
    };
    if let Err(problem) = super::codes::check(app, ctx, &phone, ctx.field("code"))? {
        problem.show_on(&mut form);
        return Ok(problem.respond(view::phone_change(
            &ctx.page(),
            &form,
            Some((&phone, &masked)),
        )));
    }
    let mut updated = v.clone();
    updated.phone = phone.clone();
    updated.updated_at = ctx.now;
    match app.store.update_volunteer(&updated) {
        Ok(()) => Ok(redirect_with_flash("/me", "phone_changed")),
        Err(StoreError::Taken(_)) => {
            form.message = Some("这个手机号已被其他志愿者使用，不能更换为它。".into());
            Ok(again(&form, 422))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn leave_team(app: &App, ctx: &Ctx, org: Gid) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    if let Viewer::Volunteer { teams, .. } = &ctx.viewer
        && teams.iter().any(|t| t.id == org)
    {
        return Err(AppError::Unprocessable(
            "您是这个组织的管理员，不能退出。需要移交管理员的，请联系平台管理员。".into(),
        ));
    }
    app.store.leave_team(v.id, org, ctx.now)?;
    Ok(redirect_with_flash("/me", "left"))
}

/// The volunteer accepts or declines a team's invitation.
pub fn answer_invitation(
    app: &App,
    ctx: &Ctx,
    org: Gid,
    accept: bool,
) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    match app.store.answer_invitation(v.id, org, accept, ctx.now) {
        Ok(()) => Ok(redirect_with_flash(
            "/me",
            if accept {
                "invitation_accepted"
            } else {
                "invitation_declined"
            },
        )),
        Err(StoreError::Refused(m)) => Err(AppError::Unprocessable(m.to_string())),
        Err(e) => Err(e.into()),
    }
}

pub fn password_form(ctx: &Ctx) -> Result<Response, AppError> {
    me_or_return!(ctx);
    Ok(html(account_view::password_form(
        &ctx.page(),
        &FormState::default(),
    )))
}

pub fn set_password(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    if let Some(m) = password_problem(ctx.field("password"), ctx.field("confirm")) {
        let mut form = FormState::default();
        form.fail("password", m);
        return Ok(rejected(
            account_view::password_form(&ctx.page(), &form),
            422,
        ));
    }
    let hash = secret::hash_password(ctx.field("password")).map_err(AppError::Internal)?;
    app.store.set_volunteer_password(v.id, Some(hash))?;
    Ok(redirect_with_flash("/me", "password_set"))
}

pub fn showcase_consent(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = me_or_return!(ctx);
    let consent = (ctx.field("consent") == "yes").then_some(ctx.now);
    app.store.set_showcase_consent(v.id, consent)?;
    Ok(redirect_with_flash("/me", "saved"))
}
