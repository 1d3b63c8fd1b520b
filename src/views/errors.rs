//! The friendly error page for 4xx / 5xx answers.

use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// An error page: a title, a message that says what to do, and a way back.
pub fn error_page(ctx: &PageCtx, status: u16, title: &str, message: &str) -> Markup {
    page(
        ctx,
        title,
        html! {
            section.card.error-page {
                h1 { (title) }
                p { (message) }
                p.muted { "错误代码 " (status) }
                p { a.button href="/" { "返回首页" } }
            }
        },
    )
}
