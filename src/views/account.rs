//! A signed-in person's own pages: their account and password.

use super::components::{Field, FormState, csrf_field, form_error};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// What the account page shows about a volunteer.
pub struct AccountView {
    pub real_name: String,
    pub masked_phone: String,
    pub masked_id: String,
    pub region: String,
    pub has_password: bool,
    /// Teams this person administers (name, status label).
    pub teams: Vec<(String, &'static str)>,
}

/// The volunteer's own page.
pub fn account(ctx: &PageCtx, v: &AccountView) -> Markup {
    page(
        ctx,
        "志愿者信息",
        html! {
            h1 { "志愿者信息" }
            section.card id="account" {
                dl.facts {
                    dt { "姓名" } dd { (v.real_name) }
                    dt { "手机号" } dd { (v.masked_phone) }
                    dt { "身份证号" } dd { (v.masked_id) }
                    dt { "所在区域" } dd { (v.region) }
                }
            }
            @if !v.teams.is_empty() {
                section.card id="my-teams" {
                    h2 { "我管理的组织" }
                    ul { @for (name, status) in &v.teams { li { (name) " " span.badge { (status) } } } }
                }
            }
            section.card {
                h2 { "登录密码" }
                p { @if v.has_password { "已设置密码，可以用手机号 + 密码登录。" } @else { "设置密码后，下次登录不需要验证码。" } }
                a.button href="/me/password" { @if v.has_password { "修改密码" } @else { "设置密码" } }
            }
        },
    )
}

/// A proven phone with no volunteer yet.
pub fn unregistered(ctx: &PageCtx, masked_phone: &str) -> Markup {
    page(
        ctx,
        "完成注册",
        html! {
            section.card id="unregistered" {
                h1 { "手机号已验证" }
                p { "手机号 " strong { (masked_phone) } " 还没有注册为科技志愿者。" }
                p { "请到现场服务台，由工作人员协助完成志愿者注册。" }
            }
        },
    )
}

/// Set or change the password.
pub fn password_form(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "设置密码",
        html! {
            section.card {
                h1 { "设置登录密码" }
                (form_error(form.message.as_deref()))
                form id="set-password" method="post" action="/me/password" {
                    (csrf_field(&ctx.csrf))
                    (Field::password("password", "新密码", "new-password").hint("至少 8 位").error(form.error("password")).render())
                    (Field::password("confirm", "再次输入新密码", "new-password").error(form.error("confirm")).render())
                    button.primary type="submit" { "保存密码" }
                }
            }
        },
    )
}
