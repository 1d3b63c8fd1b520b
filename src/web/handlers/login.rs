//! Volunteer / team-admin sign-in: phone → one-time code → session; or phone + password
//! for those who set one. Also logout for everyone.

use super::respond::{html, rejected};
use crate::app::codes;
use crate::domain::account::{
    CodeCheck, CodeRefusal, Requester, Subject, USER_SESSION_LIFETIME, code_message,
};
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::store::CodeIssue;
use crate::views::auth;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash, sign_in};
use crate::web::ratelimit::{
    CODE_PER_ADDRESS, VERIFY_PER_ADDRESS, canonical, retry_after, sign_in_wait_message,
    wait_message,
};
use chrono::NaiveDate;
use rouille::{Request, Response};

/// Issue `code` to `phone` for the client of this request, which becomes the only device
/// whose wrong tries can burn it.
pub(super) fn issue_code(
    app: &App,
    ctx: &Ctx,
    phone: &str,
    code: &str,
    today: NaiveDate,
) -> Result<CodeIssue, AppError> {
    let address = canonical(ctx.remote.ip());
    let text = address.to_string();
    let from = Requester {
        address: &text,
        loopback: address.is_loopback(),
    };
    Ok(app.store.issue_code(phone, code, from, ctx.now, today)?)
}

/// Check a code typed by the client of this request. A wrong code from a device that did
/// not ask for it only slows that device (and, in a flood, other strangers' guesses for
/// the phone); it never uses up the owner's tries.
pub(super) fn check_code(
    app: &App,
    ctx: &Ctx,
    phone: &str,
    typed: &str,
) -> Result<CodeCheck, AppError> {
    let address = canonical(ctx.remote.ip());
    let outcome = app
        .store
        .check_code(phone, typed, &address.to_string(), ctx.now, || {
            app.limiter.code_guess_wait(phone, address)
        })?;
    if outcome == CodeCheck::WrongElsewhere {
        app.limiter.code_guess_failed(phone, address);
        log::warn!("wrong code typed on a device that did not ask for it");
    }
    Ok(outcome)
}

/// The field message for a wrong code typed on a device that did not ask for it: the
/// owner's remaining tries are none of its business.
pub(super) const WRONG_CODE_ELSEWHERE: &str = "验证码不正确，请核对后重新输入";

/// The message for a device that must wait before guessing a code again.
pub(super) fn code_wait_message(secs: u64) -> String {
    format!("验证码错误次数过多，{}。", retry_after(secs))
}

/// A 429 answer that also tells the browser how long to wait.
pub(super) fn too_many(response: Response, secs: u64) -> Response {
    response
        .with_status_code(429)
        .with_unique_header("Retry-After", secs.to_string())
}

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
    if let CodeIssue::Refused(refusal) = issue_code(app, ctx, &phone, &code, today)? {
        // Asked again within the minute: the code already sent is still good, so keep the
        // box for it and say when a new one can be sent.
        if let CodeRefusal::TooSoon(wait) = refusal {
            let mut verify = FormState::default();
            verify.set("next", next);
            verify.message = Some(refusal.message());
            return Ok(rejected(
                auth::verify_code(
                    &ctx.page(),
                    &phone,
                    &validate::mask_phone(&phone),
                    &verify,
                    Some(wait),
                ),
                429,
            ));
        }
        form.message = Some(refusal.message());
        return Ok(again(&form, 429));
    }
    codes::send_code(
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
    let again = |form: &FormState, status| {
        rejected(
            auth::verify_code(&ctx.page(), &phone, &masked, form, None),
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
    match check_code(app, ctx, &phone, &typed)? {
        CodeCheck::Accepted => {}
        CodeCheck::Wait(secs) => {
            form.message = Some(code_wait_message(secs));
            return Ok(too_many(again(&form, 429), secs));
        }
        CodeCheck::WrongElsewhere => {
            form.fail("code", WRONG_CODE_ELSEWHERE);
            return Ok(again(&form, 422));
        }
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
    let address = ctx.remote.ip();
    if let Some(wait) = app.limiter.sign_in_wait(&phone, address) {
        form.message = Some(sign_in_wait_message(wait));
        return Ok(too_many(
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
