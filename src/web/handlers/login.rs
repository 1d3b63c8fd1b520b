//! Volunteer / team-admin sign-in: phone → one-time code → session; or phone + password
//! for those who set one. Also logout for everyone.

use super::{html, rejected};
use crate::domain::account::{CodeCheck, Subject, USER_SESSION_LIFETIME, code_message};
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::sender;
use crate::store::CodeIssue;
use crate::views::auth;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash, sign_in};
use crate::web::ratelimit::{
    CODE_PER_ADDRESS, LOGIN_FAIL_PER_ACCOUNT, LOGIN_FAIL_PER_ADDRESS, VERIFY_PER_ADDRESS,
    wait_message,
};
use rouille::{Request, Response};

/// Where to go after signing in: only our own pages, never another site.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() < 200
        && ["/register/", "/teams", "/me", "/org", "/activities"]
            .iter()
            .any(|p| next.starts_with(p));
    ok.then_some(next)
}

/// Percent-encode a value for a query string.
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    if let Err(wait) = app
        .limiter
        .take(CODE_PER_ADDRESS, &ctx.remote.ip().to_string())
    {
        form.message = Some(wait_message(wait));
        return Ok(again(&form, 429));
    }
    let code = secret::six_digit_code();
    let today = ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive();
    if let CodeIssue::Refused(refusal) = app.store.issue_code(&phone, &code, ctx.now, today)? {
        form.message = Some(refusal.message());
        return Ok(again(&form, 429));
    }
    sender::send_code(
        &app.store,
        &ctx.settings.sender,
        &phone,
        &code_message(&code),
    )
    .map_err(AppError::Internal)?;
    log::info!("sign-in code issued");
    let next_param = if next.is_empty() {
        String::new()
    } else {
        format!("&next={}", encode_component(next))
    };
    Ok(Response::redirect_303(format!(
        "/login/verify?phone={phone}{next_param}"
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
    Ok(html(auth::verify_code(
        &ctx.page(),
        &phone,
        &validate::mask_phone(&phone),
        &form,
    )))
}

pub fn verify(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let phone = validate::mobile(ctx.field("phone"))
        .map_err(|_| AppError::BadRequest("请先填写手机号获取验证码。".into()))?;
    let masked = validate::mask_phone(&phone);
    let next = safe_next(ctx.field("next")).unwrap_or("").to_string();
    let mut form = FormState::default();
    form.set("next", next.clone());
    let again = |form: &FormState, status| {
        rejected(
            auth::verify_code(&ctx.page(), &phone, &masked, form),
            status,
        )
    };
    if let Err(wait) = app
        .limiter
        .take(VERIFY_PER_ADDRESS, &ctx.remote.ip().to_string())
    {
        form.message = Some(wait_message(wait));
        return Ok(again(&form, 429));
    }
    let typed = validate::normalize(ctx.field("code"));
    match app.store.check_code(&phone, &typed, ctx.now)? {
        CodeCheck::Accepted => {}
        CodeCheck::Wrong(0) => {
            form.message = Some("验证码错误次数过多，已失效。请重新获取验证码。".into());
            return Ok(again(&form, 422));
        }
        CodeCheck::Wrong(left) => {
            form.fail("code", format!("验证码不正确，还可以再试 {left} 次"));
            return Ok(again(&form, 422));
        }
        CodeCheck::NoLiveCode => {
            form.message = Some("验证码已过期或已失效，请重新获取。".into());
            return Ok(again(&form, 422));
        }
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
    let address = ctx.remote.ip().to_string();
    let blocked = app
        .limiter
        .blocked(LOGIN_FAIL_PER_ADDRESS, &address)
        .or_else(|| app.limiter.blocked(LOGIN_FAIL_PER_ACCOUNT, &phone));
    if let Some(wait) = blocked {
        form.message = Some(format!("登录失败次数过多。{}", wait_message(wait)));
        return Ok(rejected(auth::password_login(&ctx.page(), &form), 429));
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
        app.limiter.record(LOGIN_FAIL_PER_ADDRESS, &address);
        app.limiter.record(LOGIN_FAIL_PER_ACCOUNT, &phone);
        form.message = Some("手机号或密码不正确。没有设置过密码的，请用验证码登录。".into());
        return Ok(rejected(auth::password_login(&ctx.page(), &form), 422));
    };
    app.limiter.clear(LOGIN_FAIL_PER_ACCOUNT, &phone);
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
