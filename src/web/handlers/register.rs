//! 志愿者-注册 and 组织-注册: after the phone is proven by a code, the volunteer form; or
//! the team form, then (when that phone is not yet a volunteer) the admin's own
//! volunteer details, stored together.

use super::forms::{
    ORG_FIELDS, RegionLists, VOLUNTEER_FIELDS, apply_errors, form_state, is_region_step,
    team_input, today, volunteer_input,
};
use super::respond::{html, rejected};

use crate::domain::account::Subject;
use crate::domain::people::{Consent, NewVolunteer, Source, Team, TeamStatus, Volunteer};
use crate::domain::registration::{self, VolunteerFields};
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::components::FormState;
use crate::views::team as team_view;
use crate::views::volunteer::{self as view, VolunteerFormSpec};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash};
use rouille::Response;

const VOLUNTEER_STEPS: &[&str] = &["验证手机号", "填写信息", "完成"];

/// The phone proven by a code in this session, for someone not yet registered.
fn verified_phone(ctx: &Ctx, next: &str) -> Result<Result<String, Response>, AppError> {
    Ok(match &ctx.viewer {
        Viewer::VerifiedPhone(p) => Ok(p.clone()),
        Viewer::Anonymous => Err(Response::redirect_303(format!("/login?next={next}"))),
        Viewer::Volunteer { .. } => Err(Response::redirect_303("/me")),
        Viewer::Admin(_) => {
            return Err(AppError::Forbidden(
                "您正以平台管理员身份登录。请先退出，再用手机号注册。".into(),
            ));
        }
    })
}

fn volunteer_spec<'a>(
    phone: &'a str,
    action: &'a str,
    hidden: &'a [(String, String)],
) -> VolunteerFormSpec<'a> {
    VolunteerFormSpec {
        action,
        heading: "志愿者注册",
        intro: Some("请如实填写以下信息。带“请选择”的项目从列表中选择。"),
        submit: "提交注册",
        fixed_phone: Some(phone),
        locked_id_number: None,
        agreement: true,
        hidden,
        steps: Some((VOLUNTEER_STEPS, 1)),
    }
}

fn render_volunteer(
    ctx: &Ctx,
    form: &FormState,
    phone: &str,
    action: &str,
    hidden: &[(String, String)],
    status: u16,
) -> Response {
    let lists = RegionLists::for_form(form);
    let markup = view::volunteer_form(
        &ctx.page(),
        form,
        &lists.options(),
        &volunteer_spec(phone, action, hidden),
    );
    rejected(markup, status)
}

pub fn agreement(ctx: &Ctx) -> Result<Response, AppError> {
    Ok(html(view::agreement_page(&ctx.page())))
}

pub fn volunteer_form(ctx: &Ctx) -> Result<Response, AppError> {
    let phone = match verified_phone(ctx, "/register/volunteer")? {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    Ok(render_volunteer(
        ctx,
        &FormState::default(),
        &phone,
        "/register/volunteer",
        &[],
        200,
    ))
}

/// Check a self-registration: every field, the agreement, a guardian for minors.
/// Errors land on `form`.
pub(super) fn check_self_registration(
    ctx: &Ctx,
    form: &mut FormState,
    phone: &str,
    how: &str,
) -> Option<(VolunteerFields, Consent)> {
    let mut input = volunteer_input(form);
    input.phone = phone.to_string();
    let today = today(ctx);
    let fields = match registration::check_volunteer(&input, today) {
        Ok(f) => Some(f),
        Err(errors) => {
            apply_errors(form, errors);
            None
        }
    };
    if form.value("agree") != "yes" {
        form.fail("agree", "请阅读并同意《科技志愿者注册协议》");
    }
    let mut guardian = (None, None);
    if let Some(f) = &fields
        && registration::needs_guardian(f.id.birth_date, today)
    {
        match registration::check_guardian(
            form.value("guardian_name"),
            form.value("guardian_phone"),
        ) {
            Ok((n, p)) => guardian = (Some(n), Some(p)),
            Err(errors) => apply_errors(form, errors),
        }
    }
    let fields = fields.filter(|_| form.is_ok())?;
    Some((
        fields,
        Consent {
            accepted_at: ctx.now,
            how: how.into(),
            guardian_name: guardian.0,
            guardian_phone: guardian.1,
        },
    ))
}

/// What to tell someone whose phone or ID number is already registered: sign in, and
/// nothing about whose record it is.
/// Say which of phone and ID number is already registered, where it was typed.
pub(super) fn taken_message(form: &mut FormState, field: &'static str) {
    match field {
        "手机号" => {
            form.message = Some("该手机号已经注册过志愿者，请直接登录，不需要重复注册。".into());
        }
        _ => form.fail(
            "id_number",
            "该身份证号已经注册过志愿者，不能重复注册。如果是您本人，请用当初注册的手机号登录；如需帮助请联系现场工作人员。",
        ),
    }
}

pub fn volunteer_create(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let phone = match verified_phone(ctx, "/register/volunteer")? {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let mut form = form_state(ctx, VOLUNTEER_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_volunteer(
            ctx,
            &form,
            &phone,
            "/register/volunteer",
            &[],
            200,
        ));
    }
    let Some((fields, consent)) = check_self_registration(ctx, &mut form, &phone, "self") else {
        return Ok(render_volunteer(
            ctx,
            &form,
            &phone,
            "/register/volunteer",
            &[],
            422,
        ));
    };
    let v = match crate::app::registration::register_volunteer(&app.store, fields, consent, ctx.now)
    {
        Ok(v) => v,
        Err(StoreError::Taken(field)) => {
            taken_message(&mut form, field);
            return Ok(render_volunteer(
                ctx,
                &form,
                &phone,
                "/register/volunteer",
                &[],
                422,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    log::info!("volunteer registered");
    // The admin of an imported team took it up: show them the team to check.
    if let Some(team) = app.store.teams_administered_by(&v.phone)?.first() {
        return signed_in_as(app, ctx, &v, &format!("/team/{}", team.id), "team_taken_up");
    }
    signed_in_as(app, ctx, &v, "/me", "registered")
}

/// Move this browser's session from the verified phone to the new volunteer.
fn signed_in_as(
    app: &App,
    ctx: &Ctx,
    v: &Volunteer,
    to: &str,
    flash: &str,
) -> Result<Response, AppError> {
    if let Some(token) = &ctx.session_token {
        app.store
            .set_session_subject(token, Subject::Volunteer(v.id))?;
    }
    Ok(redirect_with_flash(to, flash))
}

/// The phone for a team registration: a verified phone or a registered volunteer's.
fn admin_phone(ctx: &Ctx) -> Result<Result<(String, bool), Response>, AppError> {
    Ok(match &ctx.viewer {
        Viewer::VerifiedPhone(p) => Ok((p.clone(), false)),
        Viewer::Volunteer { volunteer, .. } => Ok((volunteer.phone.clone(), true)),
        Viewer::Anonymous => Err(Response::redirect_303("/login?next=/register/team")),
        Viewer::Admin(_) => {
            return Err(AppError::Forbidden(
                "您正以平台管理员身份登录。组织注册请用管理员手机号验证后进行。".into(),
            ));
        }
    })
}

fn render_team_form(ctx: &Ctx, form: &FormState, phone: &str, status: u16) -> Response {
    let lists = RegionLists::for_form(form);
    rejected(
        team_view::team_form(
            &ctx.page(),
            form,
            &lists.options(),
            &team_view::TeamFormSpec {
                heading: "组织注册",
                action: "/register/team",
                submit: "下一步",
                fixed_admin_phone: Some(phone),
                step: Some(1),
            },
        ),
        status,
    )
}

pub fn team_form(app: &App, ctx: &Ctx, req: &rouille::Request) -> Result<Response, AppError> {
    let (phone, is_volunteer) = match admin_phone(ctx)? {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    // The admin of an imported team following the manual's 组织-注册: offer that team
    // instead of a blank form that would register it twice.
    if !is_volunteer && req.get_param("new").is_none() {
        let waiting: Vec<_> = app
            .store
            .teams_administered_by(&phone)?
            .into_iter()
            .filter(|t| t.status == TeamStatus::WaitingForAdmin)
            .collect();
        if !waiting.is_empty() {
            let mut teams = Vec::new();
            for t in waiting {
                if let Some(o) = app.store.team(t.id)? {
                    teams.push((o.name.clone(), super::admin_people::team_fields(&o)));
                }
            }
            return Ok(html(team_view::take_up_team(&ctx.page(), &phone, &teams)));
        }
    }
    let form = app
        .team_drafts
        .get(&phone)
        .map(|values| FormState {
            values,
            ..FormState::default()
        })
        .unwrap_or_default();
    Ok(render_team_form(ctx, &form, &phone, 200))
}

/// Check the team part; errors land on `form`.
fn check_team(
    app: &App,
    ctx: &Ctx,
    form: &mut FormState,
    phone: &str,
) -> Result<Option<registration::TeamFields>, AppError> {
    let mut input = team_input(form);
    input.admin_phone = phone.to_string();
    match registration::check_team(&input, today(ctx)) {
        Ok(f) => {
            if app.store.team_name_taken(&f.org_name, None)? {
                form.fail(
                    "org_name",
                    "这个组织名称已被注册，请换一个名称（名称不区分全角半角和空格）。",
                );
                return Ok(None);
            }
            Ok(Some(f))
        }
        Err(errors) => {
            apply_errors(form, errors);
            Ok(None)
        }
    }
}

pub fn team_create(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let (phone, is_volunteer) = match admin_phone(ctx)? {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let mut form = form_state(ctx, ORG_FIELDS, "");
    app.team_drafts.save(&phone, form.values.clone());
    if is_region_step(ctx) {
        return Ok(render_team_form(ctx, &form, &phone, 200));
    }
    let Some(fields) = check_team(app, ctx, &mut form, &phone)? else {
        return Ok(render_team_form(ctx, &form, &phone, 422));
    };
    if is_volunteer {
        let org = Team::self_registered(fields, app.store.installation_id(), ctx.now);
        return finish_team(app, ctx, &org, None, &mut form, &phone);
    }
    // Step 2: the admin must be a registered volunteer; carry the team fields along.
    let hidden = carried(&form);
    Ok(render_admin_step(
        ctx,
        &FormState::default(),
        &phone,
        &hidden,
        200,
    ))
}

fn carried(team_form: &FormState) -> Vec<(String, String)> {
    let mut hidden = Vec::new();
    for (k, v) in &team_form.values {
        if k == "service_categories" {
            for c in v.split('、').filter(|c| !c.is_empty()) {
                hidden.push((format!("team.{k}"), c.to_string()));
            }
        } else {
            hidden.push((format!("team.{k}"), v.clone()));
        }
    }
    hidden
}

fn render_admin_step(
    ctx: &Ctx,
    form: &FormState,
    phone: &str,
    hidden: &[(String, String)],
    status: u16,
) -> Response {
    let lists = RegionLists::for_form(form);
    let spec = VolunteerFormSpec {
        action: "/register/team/admin",
        heading: "组织注册：管理员信息",
        intro: Some(
            "按照通知要求，组织管理员须用管理员手机号注册成为科技志愿者，才能履行管理员职责。请填写您本人的信息。",
        ),
        submit: "完成注册",
        fixed_phone: Some(phone),
        locked_id_number: None,
        agreement: true,
        hidden,
        steps: None,
    };
    rejected(
        view::volunteer_form(&ctx.page(), form, &lists.options(), &spec),
        status,
    )
}

pub fn team_admin_create(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let (phone, is_volunteer) = match admin_phone(ctx)? {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    if is_volunteer {
        return Ok(Response::redirect_303("/register/team"));
    }
    let mut team_form = form_state(ctx, ORG_FIELDS, "team.");
    let hidden = carried(&team_form);
    let mut form = form_state(ctx, VOLUNTEER_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_admin_step(ctx, &form, &phone, &hidden, 200));
    }
    let Some(team_fields) = check_team(app, ctx, &mut team_form, &phone)? else {
        // The carried team data went stale (e.g. the name was taken meanwhile): back to step 1.
        return Ok(render_team_form(ctx, &team_form, &phone, 422));
    };
    let Some((fields, consent)) = check_self_registration(ctx, &mut form, &phone, "self") else {
        return Ok(render_admin_step(ctx, &form, &phone, &hidden, 422));
    };
    let admin = Volunteer::from_fields(
        fields,
        NewVolunteer {
            origin: app.store.installation_id(),
            now: ctx.now,
            source: Source::SelfRegistered,
            confirmed: true,
            consent: Some(consent),
        },
    );
    let org = Team::self_registered(team_fields, app.store.installation_id(), ctx.now);
    match app.store.register_team(&org, Some(&admin)) {
        Ok(()) => {}
        Err(StoreError::Taken("组织名称")) => {
            team_form.fail("org_name", "这个组织名称已被注册，请换一个名称。");
            return Ok(render_team_form(ctx, &team_form, &phone, 422));
        }
        Err(StoreError::Taken(field)) => {
            taken_message(&mut form, field);
            return Ok(render_admin_step(ctx, &form, &phone, &hidden, 422));
        }
        Err(e) => return Err(e.into()),
    }
    app.team_drafts.forget(&phone);
    log::info!("team and its admin registered");
    signed_in_as(
        app,
        ctx,
        &admin,
        &format!("/team/{}", org.id),
        "org_registered",
    )
}

fn finish_team(
    app: &App,
    ctx: &Ctx,
    org: &crate::domain::people::Team,
    admin: Option<&Volunteer>,
    form: &mut FormState,
    phone: &str,
) -> Result<Response, AppError> {
    match app.store.register_team(org, admin) {
        Ok(()) => {
            app.team_drafts.forget(phone);
            log::info!("team registered");
            Ok(redirect_with_flash(
                &format!("/team/{}", org.id),
                "org_registered",
            ))
        }
        Err(StoreError::Taken(_)) => {
            form.fail("org_name", "这个组织名称已被注册，请换一个名称。");
            Ok(render_team_form(ctx, form, phone, 422))
        }
        Err(StoreError::Refused(m)) => {
            form.message = Some(m.to_string());
            Ok(render_team_form(ctx, form, phone, 422))
        }
        Err(e) => Err(e.into()),
    }
}
