//! Volunteer / team-admin sign-in: phone → one-time code → session; or phone + password
//! for those who set one. Also logout for everyone.

use super::codes;
use super::respond::{html, rejected};
use crate::domain::account::{Subject, USER_SESSION_LIFETIME};
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::views::auth;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash, sign_in};
use crate::web::ratelimit::sign_in_wait_message;
use rouille::{Request, Response};

/// Where to go after signing in: only our own pages, never another site.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() < 200
        && ["/register/", "/team", "/org", "/me", "/activities"]
            .iter()
            .any(|p| next.starts_with(p));
    ok.then_some(next)
}

pub fn phone_form(ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set(
        "next",
        req.get_param("next")
            .as_deref()
            .and_then(safe_next)
            .unwrap_or(""),
    );
    Ok(html(auth::phone_login(&ctx.page(), &form)))
}

pub fn request_code(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let raw = ctx.field("phone");
    let next = safe_next(ctx.field("next")).unwrap_or("");
    let mut form = FormState::default();
    form.set("phone", raw);
    form.set("next", next);
    let again = |form: &FormState, status| rejected(auth::phone_login(&ctx.page(), form), status);
    let phone = match validate::mobile(raw) {
        Ok(p) => p,
        Err(m) => {
            form.fail("phone", m);
            return Ok(again(&form, 422));
        }
    };
    if let Err(problem) = codes::send(app, ctx, &phone)? {
        // Asked again within the minute: the code already sent is still good, so keep the
        // box for it and say when a new one can be sent.
        if let Some(wait) = problem.code_still_good {
            let mut verify = FormState::default();
            verify.set("next", next);
            problem.show_on(&mut verify);
            return Ok(problem.respond(auth::verify_code(
                &ctx.page(),
                &phone,
                &validate::mask_phone(&phone),
                &verify,
                Some(wait),
            )));
        }
        problem.show_on(&mut form);
        return Ok(problem.respond(auth::phone_login(&ctx.page(), &form)));
    }
    log::info!("sign-in code issued");
    let next_param = if next.is_empty() {
        String::new()
    } else {
        format!("&next={}", crate::views::components::encode_query(next))
    };
    Ok(Response::redirect_303(format!(
        "/login/verify?phone={phone}{next_param}&wait={}",
        crate::domain::account::CODE_RESEND_GAP.num_seconds()
    )))
}

pub fn verify_form(ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let phone = req
        .get_param("phone")
        .and_then(|p| validate::mobile(&p).ok())
        .ok_or_else(|| AppError::BadRequest("请先填写手机号获取验证码。".into()))?;
    let mut form = FormState::default();
    form.set(
        "next",
        req.get_param("next")
            .as_deref()
            .and_then(safe_next)
            .unwrap_or(""),
    );
    // Right after sending, the page counts down to when another code may be asked for.
    let wait = req
        .get_param("wait")
        .and_then(|w| w.parse::<i64>().ok())
        .filter(|w| (1..=crate::domain::account::CODE_RESEND_GAP.num_seconds()).contains(w));
    Ok(html(auth::verify_code(
        &ctx.page(),
        &phone,
        &validate::mask_phone(&phone),
        &form,
        wait,
    )))
}

pub fn verify(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let phone = validate::mobile(ctx.field("phone"))
        .map_err(|_| AppError::BadRequest("请先填写手机号获取验证码。".into()))?;
    let masked = validate::mask_phone(&phone);
    let next = safe_next(ctx.field("next")).unwrap_or("").to_string();
    let mut form = FormState::default();
    form.set("next", next.clone());
    let _again = |form: &FormState, status| {
        rejected(
            auth::verify_code(&ctx.page(), &phone, &masked, form, None),
            status,
        )
    };
    if let Err(problem) = codes::check(app, ctx, &phone, ctx.field("code"))? {
        problem.show_on(&mut form);
        return Ok(problem.respond(auth::verify_code(&ctx.page(), &phone, &masked, &form, None)));
    }
    let (subject, default_next) = match app.store.volunteer_by_phone(&phone)? {
        Some(v) if !v.confirmed => (Subject::Volunteer(v.id), "/me/confirm"),
        Some(v) => (Subject::Volunteer(v.id), "/me"),
        None => (Subject::VerifiedPhone(phone.clone()), "/register/volunteer"),
    };
    // Confirmation comes first; a registered volunteer sent to volunteer registration
    // just goes to their own page.
    let to = if default_next == "/me/confirm" || next.is_empty() || next == "/register/volunteer" {
        default_next
    } else {
        next.as_str()
    };
    sign_in(
        app,
        ctx,
        subject,
        USER_SESSION_LIFETIME,
        redirect_with_flash(to, "logged_in"),
    )
}

pub fn password_form(ctx: &Ctx) -> Result<Response, AppError> {
    Ok(html(auth::password_login(
        &ctx.page(),
        &FormState::default(),
    )))
}

pub fn password_login(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let raw = ctx.field("phone");
    let mut form = FormState::default();
    form.set("phone", raw);
    let phone = match validate::mobile(raw) {
        Ok(p) => p,
        Err(m) => {
            form.fail("phone", m);
            return Ok(rejected(auth::password_login(&ctx.page(), &form), 422));
        }
    };
    let address = ctx.remote.ip();
    if let Some(wait) = app.limiter.sign_in_wait(&phone, address) {
        form.message = Some(sign_in_wait_message(wait));
        return Ok(super::respond::too_many(
            rejected(auth::password_login(&ctx.page(), &form), 429),
            wait,
        ));
    }
    let volunteer = app.store.volunteer_by_phone(&phone)?;
    let ok = match volunteer.as_ref().and_then(|v| v.password_hash.as_deref()) {
        Some(hash) => secret::verify_password(hash, ctx.field("password")),
        None => {
            let _ = secret::hash_password(ctx.field("password"));
            false
        }
    };
    let Some(v) = volunteer.filter(|_| ok) else {
        app.limiter.sign_in_failed(&phone, address);
        form.message = Some("手机号或密码不正确。没有设置过密码的，请用验证码登录。".into());
        return Ok(rejected(auth::password_login(&ctx.page(), &form), 422));
    };
    app.limiter.sign_in_succeeded(&phone, address);
    sign_in(
        app,
        ctx,
        Subject::Volunteer(v.id),
        USER_SESSION_LIFETIME,
        redirect_with_flash("/me", "logged_in"),
    )
}

pub fn logout(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    if let Some(token) = &ctx.session_token {
        app.store.delete_session(token)?;
    }
    Ok(
        redirect_with_flash("/", "logged_out").with_additional_header(
            "Set-Cookie",
            crate::web::auth::set_cookie(crate::web::auth::SESSION_COOKIE, "", 0),
        ),
    )
}
