//! Sign-in pages: first-run setup, admin login, phone + code login, password login.

use super::components::{Field, FormState, csrf_field, form_feedback};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// First-run setup: create the first platform admin (only shown on the laptop itself).
pub fn setup(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "初始设置",
        html! {
            section.card {
                h1 { "初始设置：创建平台管理员" }
                p { "这是本机第一次运行科志。请为县科协工作人员创建平台管理员账户，用于审核、导入导出、查看验证码发件箱等。" }
                (form_feedback(form))
                form id="setup-form" method="post" action="/setup" {
                    (csrf_field(&ctx.csrf))
                    (Field::text("site_name", "单位名称", form.value("site_name")).hint("例如：某某县科协").error(form.error("site_name")).render())
                    (Field::text("username", "管理员用户名", form.value("username")).hint("英文字母或数字，3–32 位").error(form.error("username")).render())
                    (Field::text("display_name", "姓名", form.value("display_name")).error(form.error("display_name")).render())
                    (Field::password("password", "密码", "new-password").hint("至少 8 位").error(form.error("password")).render())
                    (Field::password("confirm", "再次输入密码", "new-password").error(form.error("confirm")).render())
                    button.primary type="submit" { "创建并登录" }
                }
            }
        },
    )
}

/// Setup asked for from another device on the network.
pub fn setup_elsewhere(ctx: &PageCtx) -> Markup {
    page(
        ctx,
        "请在本机完成设置",
        html! {
            section.card id="setup-remote" {
                h1 { "请在运行科志的电脑上完成初始设置" }
                p { "为了安全，创建平台管理员只能在运行科志的这台电脑上进行：请在这台电脑的浏览器中打开 "
                    code { "http://127.0.0.1:端口/setup" } "，或在终端运行 " code { "kezhi admin create" } "。" }
            }
        },
    )
}

/// Platform admin login.
pub fn admin_login(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "管理员登录",
        html! {
            section.card {
                h1 { "平台管理员登录" }
                (form_feedback(form))
                form id="admin-login" method="post" action="/admin/login" {
                    (csrf_field(&ctx.csrf))
                    (Field { autocomplete: "username", ..Field::text("username", "用户名", form.value("username")) }.render())
                    (Field::password("password", "密码", "current-password").render())
                    button.primary type="submit" { "登录" }
                }
            }
        },
    )
}

/// Step 1 of phone sign-in: the phone number.
pub fn phone_login(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "志愿者登录",
        html! {
            section.card {
                @match form.value("next") {
                    "/register/team" => {
                        h1 { "组织注册" }
                        p { "请输入组织管理员的手机号并获取验证码。按照通知要求，管理员须用此手机号注册成为科技志愿者。" }
                    }
                    "/register/volunteer" => {
                        h1 { "志愿者注册" }
                        p { "输入手机号，获取验证码后填写志愿者信息。已经注册过的，验证后直接登录。" }
                    }
                    _ => {
                        h1 { "志愿者 / 组织管理员登录" }
                        p { "输入手机号，获取验证码后登录。还没有注册的手机号，验证后可以直接注册。" }
                    }
                }
                (form_feedback(form))
                form id="code-request" method="post" action="/login/code" novalidate {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="next" value=(form.value("next"));
                    (Field::phone("phone", "手机号", form.value("phone")).error(form.error("phone")).render())
                    button.primary type="submit" { "发送验证码" }
                }
                p.muted { "没有收到短信？现场工作人员可以在“验证码发件箱”中查看并告诉您。" }
                p { a href="/login/password" { "已设置密码？用密码登录" } }
            }
        },
    )
}

/// Step 2 of phone sign-in: the code.
pub fn verify_code(
    ctx: &PageCtx,
    phone: &str,
    masked: &str,
    form: &FormState,
    resend_wait: Option<i64>,
) -> Markup {
    page(
        ctx,
        "输入验证码",
        html! {
            section.card {
                h1 { "输入验证码" }
                p { "验证码已发送到 " strong { (masked) } "，5 分钟内有效。" }
                (form_feedback(form))
                form id="code-verify" method="post" action="/login/verify" novalidate {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="phone" value=(phone);
                    input type="hidden" name="next" value=(form.value("next"));
                    (Field { autocomplete: "one-time-code", inputmode: Some("numeric"), ..Field::text("code", "6 位验证码", "") }.error(form.error("code")).render())
                    button.primary type="submit" { "下一步" }
                }
                form.inline method="post" action="/login/code" id="resend" {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="phone" value=(phone);
                    input type="hidden" name="next" value=(form.value("next"));
                    button.linkish type="submit" id="resend-button" { "重新发送验证码" }
                    @if let Some(s) = resend_wait {
                        " "
                        span.muted id="resend-wait" data-countdown=(s) { "（" (s) " 秒后可重新发送）" }
                    }
                }
            }
        },
    )
}

/// Sign-in with phone + password for volunteers who set one.
pub fn password_login(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "密码登录",
        html! {
            section.card {
                h1 { "用密码登录" }
                (form_feedback(form))
                form id="password-login" method="post" action="/login/password" {
                    (csrf_field(&ctx.csrf))
                    (Field::phone("phone", "手机号", form.value("phone")).error(form.error("phone")).render())
                    (Field::password("password", "密码", "current-password").render())
                    button.primary type="submit" { "登录" }
                }
                p { a href="/login" { "用验证码登录" } }
            }
        },
    )
}
