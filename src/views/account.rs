//! A signed-in person's password form.

use super::components::{Field, FormState, csrf_field, form_feedback};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// Set or change the password.
pub fn password_form(ctx: &PageCtx, form: &FormState) -> Markup {
    page(
        ctx,
        "设置密码",
        html! {
            section.card {
                h1 { "设置登录密码" }
                (form_feedback(form))
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
