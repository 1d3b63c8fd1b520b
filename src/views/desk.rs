//! 现场登记: staff register a person at the desk on the laptop itself, then print a
//! sign-in card.

use super::components::{Field, FormState, csrf_field, form_feedback};
use super::layout::{PageCtx, page};
use maud::{Markup, PreEscaped, html};

/// Step 1 and 2: the phone, then the code from the outbox.
pub fn phone_step(ctx: &PageCtx, form: &FormState, code_sent_to: Option<&str>) -> Markup {
    page(
        ctx,
        "现场登记",
        html! {
            h1 { "现场登记志愿者" }
            p { "请来访者本人在场。输入他的手机号，验证码会发到手机（离线时在“验证码发件箱”中查看），由本人核对后填写。" }
            (form_feedback(form))
            @match code_sent_to {
                None => {
                    form id="desk-phone" method="post" action="/admin/desk" novalidate {
                        (csrf_field(&ctx.csrf))
                        (Field::phone("phone", "来访者手机号", form.value("phone")).error(form.error("phone")).render())
                        button.primary type="submit" { "发送验证码" }
                    }
                }
                Some(phone) => {
                    p { "验证码已发送到 " strong { (phone) } "。 " a href="/admin/outbox" target="_blank" { "打开验证码发件箱" } }
                    form id="desk-code" method="post" action="/admin/desk/verify" novalidate {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="phone" value=(phone);
                        (Field { inputmode: Some("numeric"), ..Field::text("code", "验证码", "") }.error(form.error("code")).render())
                        button.primary type="submit" { "下一步：填写信息" }
                    }
                }
            }
        },
    )
}

/// The printable sign-in card.
pub fn card(
    site: &str,
    name: &str,
    masked_phone: &str,
    login_url: &str,
    qr: Option<&str>,
) -> Markup {
    html! {
        (maud::DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { "志愿者登录卡" } link rel="stylesheet" href="/assets/app.css"; }
            body.print {
                main.sheet id="signin-card" {
                    section.card.join {
                        h1 { (site) " · 科技志愿者" }
                        p.big { strong { (name) } }
                        p { "登录手机号：" (masked_phone) }
                        @if let Some(q) = qr { div.qr-small { (PreEscaped(q)) } }
                        p { "用手机扫码，输入手机号和验证码即可登录，查看活动和服务记录。" }
                        p.muted { code { (login_url) } }
                    }
                    p.no-print { a.button href="/admin/desk" { "登记下一位" } " 使用浏览器的“打印”功能打印本页。" }
                }
            }
        }
    }
}
