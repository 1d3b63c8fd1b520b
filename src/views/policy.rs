//! 友情链接: the contents page of the policy documents with the external sites, and one
//! page per document section, short enough for a phone.

use super::layout::{PageCtx, page};
use crate::domain::policy::{Block, EXTERNAL_SITES, Section};
use crate::exchange::columns::Form;
use maud::{Markup, html};

/// The template download of an official form.
fn template_href(form: Form) -> &'static str {
    match form {
        Form::Teams => "/templates/teams.xlsx",
        Form::Volunteers => "/templates/volunteers.xlsx",
    }
}

/// A section's address.
fn href(s: &Section) -> String {
    format!("/links/{}", s.slug)
}

/// The contents page at `/links`: the documents, the two templates and the external sites.
pub fn contents(ctx: &PageCtx, sections: &[Section]) -> Markup {
    page(
        ctx,
        "友情链接",
        html! {
            h1 { "政策文件与友情链接" }
            section.card id="contents" {
                h2 { "政策文件" }
                ol.doc-list {
                    @for s in sections {
                        li { a href=(href(s)) { (s.short) } br; small.muted { (s.title()) } }
                    }
                }
            }
            section.card id="templates" {
                h2 { "集体注册表格" }
                ul {
                    @for form in [Form::Teams, Form::Volunteers] {
                        li { a href=(template_href(form)) { (form.attachment()) " " (form.title()) "（Excel 模板）" } }
                    }
                }
            }
            (external_sites())
        },
    )
}

/// The sites the manual names. They are on the internet, and the laptop usually is not:
/// each says so before anyone taps it, and opens as an ordinary link when it can.
fn external_sites() -> Markup {
    html! {
        section.card id="external" {
            h2 { "友情链接" }
            p.muted { "以下网站在互联网上。本机没有联网时打不开，请用能上网的手机或电脑访问。" }
            ul.external {
                @for site in EXTERNAL_SITES {
                    li {
                        a href=(site.url) rel="external noopener noreferrer" { (site.name) }
                        " " span.badge.net { "需联网" }
                        br;
                        small.muted { (site.url) " · " (site.note) }
                    }
                }
            }
        }
    }
}

/// One document section, with the way back to the contents and on to its neighbours.
pub fn section(
    ctx: &PageCtx,
    s: &Section,
    prev: Option<&Section>,
    next: Option<&Section>,
) -> Markup {
    page(
        ctx,
        s.short,
        html! {
            nav.crumbs aria-label="位置" { a href="/links" { "政策文件" } " › " (s.short) }
            article.card.doc id={ "doc-" (s.slug) } {
                @for b in &s.blocks { (block(b)) }
            }
            nav.doc-pager aria-label="上一篇和下一篇" {
                @if let Some(p) = prev { a href=(href(p)) rel="prev" { "‹ " (p.short) } }
                a href="/links" { "目录" }
                @if let Some(n) = next { a href=(href(n)) rel="next" { (n.short) " ›" } }
            }
        },
    )
}

fn block(b: &Block) -> Markup {
    html! {
        @match b {
            Block::Title(t) => h1 { (t) },
            Block::Meta(t) => p.doc-meta { (t) },
            Block::Heading(t) => h2 { (t) },
            Block::Paragraph(t) => p { (t) },
            Block::Signature(t) => p.signature { (t) },
            Block::Link { href, label } => p.doc-link { a href=(href) { (label) " ›" } },
            Block::Note(t) => p.kezhi-note { (t) },
            Block::Form(name) => @if let Some(form) = form_named(name) { (form_table(form)) },
        }
    }
}

fn form_named(name: &str) -> Option<Form> {
    match name {
        "teams" => Some(Form::Teams),
        "volunteers" => Some(Form::Volunteers),
        _ => None,
    }
}

/// An official form turned on its side: one row per column of the sheet, so it reads
/// down a phone instead of fifteen columns across.
fn form_table(form: Form) -> Markup {
    html! {
        p {
            a.button.primary href=(template_href(form)) id="template-download" { "下载 Excel 模板" }
        }
        p.muted { "表格共 " (form.columns().len()) " 列，顺序如下。填好后由管理员在“导入”页上传，科志会逐行检查。" }
        table.list.doc-form id="form-columns" {
            thead { tr { th { "列名" } th { "必填" } th { "范例" } } }
            tbody {
                @for c in form.columns() {
                    tr {
                        td { (c.header) }
                        td { @if c.required { "是" } @else { "选填" } }
                        td {
                            (c.example)
                            @if c.multi { " " small.muted { "（可多选）" } }
                        }
                    }
                }
            }
        }
        p { (form.instructions()) }
    }
}
