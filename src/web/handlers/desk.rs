//! 现场登记: a platform admin registers a present person on the laptop — their phone is
//! proven by a code (read from the outbox offline), then the volunteer form, then a
//! printable sign-in card.

use super::forms::{RegionLists, VOLUNTEER_FIELDS, form_state, is_region_step};
use super::respond::{html, rejected};
use crate::domain::validate;
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::components::FormState;
use crate::views::desk;
use crate::views::volunteer::{self as vview, VolunteerFormSpec};
use crate::web::App;
use crate::web::auth::Ctx;
use rouille::Response;

fn render_form(ctx: &Ctx, form: &FormState, token: &str, phone: &str, status: u16) -> Response {
    let lists = RegionLists::for_form(form);
    let hidden = [("desk".to_string(), token.to_string())];
    let spec = VolunteerFormSpec {
        action: "/admin/desk/register",
        heading: "现场登记：填写志愿者信息",
        intro: Some("请与来访者逐项核对，并向其宣读注册协议，本人同意后勾选。"),
        submit: "完成登记",
        fixed_phone: Some(phone),
        locked_id_number: None,
        agreement: true,
        hidden: &hidden,
        steps: None,
    };
    rejected(
        vview::volunteer_form(&ctx.page(), form, &lists.options(), &spec),
        status,
    )
}

pub fn start(ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    Ok(html(desk::phone_step(
        &ctx.page(),
        &FormState::default(),
        None,
    )))
}

pub fn send_code(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let mut form = FormState::default();
    form.set("phone", ctx.field("phone"));
    let phone = match validate::mobile(ctx.field("phone")) {
        Ok(p) => p,
        Err(m) => {
            form.fail("phone", m);
            return Ok(rejected(desk::phone_step(&ctx.page(), &form, None), 422));
        }
    };
    if app.store.volunteer_by_phone(&phone)?.is_some() {
        form.message = Some("这个手机号已经注册过志愿者，不需要再登记。".into());
        return Ok(rejected(desk::phone_step(&ctx.page(), &form, None), 422));
    }
    if let Err(problem) = super::codes::send(app, ctx, &phone)? {
        problem.show_on(&mut form);
        return Ok(problem.respond(desk::phone_step(&ctx.page(), &form, None)));
    }
    Ok(html(desk::phone_step(
        &ctx.page(),
        &FormState::default(),
        Some(&phone),
    )))
}

pub fn verify(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let phone = validate::mobile(ctx.field("phone"))
        .map_err(|_| AppError::BadRequest("请先填写手机号。".into()))?;
    let mut form = FormState::default();
    if let Err(problem) = super::codes::check(app, ctx, &phone, ctx.field("code"))? {
        problem.show_on(&mut form);
        // Once the code is gone the desk starts again from the phone number.
        let keep_code_box = problem.field.is_some() || problem.retry_after.is_some();
        let page = desk::phone_step(&ctx.page(), &form, keep_code_box.then_some(phone.as_str()));
        return Ok(problem.respond(page));
    }
    let token = app.desk.grant(&phone);
    Ok(render_form(ctx, &FormState::default(), &token, &phone, 200))
}

pub fn register(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let token = ctx.field("desk").to_string();
    let phone = app
        .desk
        .phone(&token)
        .ok_or_else(|| AppError::Unprocessable("登记已超时，请重新验证手机号。".into()))?;
    let mut form = form_state(ctx, VOLUNTEER_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_form(ctx, &form, &token, &phone, 200));
    }
    let Some((fields, consent)) =
        super::register::check_self_registration(ctx, &mut form, &phone, "desk")
    else {
        return Ok(render_form(ctx, &form, &token, &phone, 422));
    };
    let v = match crate::app::registration::register_volunteer(&app.store, fields, consent, ctx.now)
    {
        Ok(v) => v,
        Err(StoreError::Taken(field)) => {
            super::register::taken_message(&mut form, field);
            return Ok(render_form(ctx, &form, &token, &phone, 422));
        }
        Err(e) => return Err(e.into()),
    };
    app.desk.forget(&token);
    let login = format!(
        "{}/login?next=/me",
        app.lan_urls()
            .first()
            .map(|u| u.trim_end_matches('/'))
            .unwrap_or("")
    );
    let qr = super::respond::qr_svg(&login);
    Ok(html(desk::card(
        &ctx.settings.site_name,
        &v.real_name,
        &validate::mask_phone(&v.phone),
        &login,
        qr.as_deref(),
    )))
}
