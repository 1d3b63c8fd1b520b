//! The one-time code flow every page uses — signing in, changing one's phone, the desk
//! registering someone — so that asking for a code and typing it meet the same limits
//! and say the same things wherever they happen. Delivery is `app::codes`.

use crate::app::codes as delivery;
use crate::domain::account::{CodeCheck, CodeRefusal, Requester, code_message};
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::store::CodeIssue;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::Ctx;
use crate::web::ratelimit::{
    CODE_PER_ADDRESS, VERIFY_PER_ADDRESS, canonical, retry_after, wait_message,
};
use rouille::Response;

/// Why a code was not sent or not accepted, ready to show on the page that asked.
#[derive(Debug)]
pub struct CodeProblem {
    /// The field the message belongs to (`code`), or None for the form's top message.
    pub field: Option<&'static str>,
    pub message: String,
    pub status: u16,
    /// Seconds the browser should wait before trying again (sent as Retry-After).
    pub retry_after: Option<u64>,
    /// A code was sent less than a minute ago and is still good: the page may keep the
    /// box for typing it, counting down this many seconds.
    pub code_still_good: Option<i64>,
}

impl CodeProblem {
    fn top(message: String, status: u16) -> Self {
        CodeProblem {
            field: None,
            message,
            status,
            retry_after: None,
            code_still_good: None,
        }
    }

    fn on_code(message: String) -> Self {
        CodeProblem {
            field: Some("code"),
            ..CodeProblem::top(message, 422)
        }
    }

    /// Put the message on the form where it belongs.
    pub fn show_on(&self, form: &mut FormState) {
        match self.field {
            Some(f) => form.fail(f, self.message.clone()),
            None => form.message = Some(self.message.clone()),
        }
    }

    /// The page shown again with this problem's status (and Retry-After when waiting).
    pub fn respond(&self, page: maud::Markup) -> Response {
        let r = super::respond::rejected(page, self.status);
        match self.retry_after {
            Some(secs) => super::respond::too_many(r, secs),
            None => r,
        }
    }
}

/// Send a fresh code to `phone` for the device of this request, which becomes the only
/// device whose wrong tries can use the code up.
pub fn send(app: &App, ctx: &Ctx, phone: &str) -> Result<Result<(), CodeProblem>, AppError> {
    if let Err(wait) = app
        .limiter
        .take(CODE_PER_ADDRESS, &ctx.remote.ip().to_string())
    {
        return Ok(Err(CodeProblem::top(wait_message(wait), 429)));
    }
    let code = secret::six_digit_code();
    let address = canonical(ctx.remote.ip());
    let text = address.to_string();
    let from = Requester {
        address: &text,
        loopback: address.is_loopback(),
    };
    let today = ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive();
    if let CodeIssue::Refused(refusal) = app.store.issue_code(phone, &code, from, ctx.now, today)? {
        let mut p = CodeProblem::top(refusal.message(), 429);
        if let CodeRefusal::TooSoon(wait) = refusal {
            p.code_still_good = Some(wait);
        }
        return Ok(Err(p));
    }
    delivery::send_code(
        &app.store,
        &ctx.settings.sender,
        phone,
        &code_message(&code),
    )
    .map_err(AppError::Internal)?;
    Ok(Ok(()))
}

/// Check the code typed on this request's device for `phone`. A wrong code from a device
/// that did not ask for it only slows that device; it never uses up the owner's tries.
pub fn check(
    app: &App,
    ctx: &Ctx,
    phone: &str,
    typed: &str,
) -> Result<Result<(), CodeProblem>, AppError> {
    if let Err(wait) = app
        .limiter
        .take(VERIFY_PER_ADDRESS, &ctx.remote.ip().to_string())
    {
        return Ok(Err(CodeProblem::top(wait_message(wait), 429)));
    }
    let address = canonical(ctx.remote.ip());
    let typed = validate::normalize(typed);
    let outcome = app
        .store
        .check_code(phone, &typed, &address.to_string(), ctx.now, || {
            app.limiter.code_guess_wait(phone, address)
        })?;
    Ok(match outcome {
        CodeCheck::Accepted => Ok(()),
        CodeCheck::Wait(secs) => Err(CodeProblem {
            retry_after: Some(secs),
            ..CodeProblem::top(format!("验证码错误次数过多，{}。", retry_after(secs)), 429)
        }),
        CodeCheck::WrongElsewhere => {
            app.limiter.code_guess_failed(phone, address);
            log::warn!("wrong code typed on a device that did not ask for it");
            // The owner's remaining tries are none of this device's business.
            Err(CodeProblem::on_code(
                "验证码不正确，请核对后重新输入".into(),
            ))
        }
        CodeCheck::Wrong(0) => Err(CodeProblem::top(
            "验证码错误次数过多，已失效。请重新获取验证码。".into(),
            422,
        )),
        CodeCheck::Wrong(left) => Err(CodeProblem::on_code(format!(
            "验证码不正确，还可以再试 {left} 次"
        ))),
        CodeCheck::NoLiveCode => Err(CodeProblem::top(
            "验证码已过期或已失效，请重新获取。".into(),
            422,
        )),
    })
}
