//! Merging bundles from other laptops: the upload, the summary, and the conflicts.

use super::components::{csrf_field, form_error};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// One entity's counts after a merge.
pub struct CountLine {
    pub entity: &'static str,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflicts: usize,
    pub skipped: usize,
}

/// The merge page: upload, the last result, and open conflicts.
pub fn page_view(
    ctx: &PageCtx,
    message: Option<&str>,
    result: Option<(&str, &[CountLine])>,
    conflicts: &[(String, String, String)],
) -> Markup {
    page(
        ctx,
        "合并数据包",
        html! {
            h1 { "合并其他电脑的数据包" }
            (form_error(message))
            @if let Some((from, lines)) = result {
                section.card id="merge-result" {
                    h2 { "已合并：" (from) }
                    div.table-wrap { table.list.stack {
                        thead { tr { th { "内容" } th { "新增" } th { "更新" } th { "未变" } th { "冲突" } th { "跳过" } } }
                        tbody { @for l in lines {
                            tr { td data-label="内容" { (l.entity) } td data-label="新增" { (l.added) } td data-label="更新" { (l.updated) }
                                 td data-label="未变" { (l.unchanged) } td data-label="冲突" { (l.conflicts) } td data-label="跳过" { (l.skipped) } }
                        } }
                    } }
                }
            }
            section.card {
                h2 { "上传数据包" }
                p { "先完整检查数据包（每个文件的校验值）；有任何部分缺失或被改动，整个数据包都不会导入。同一个数据包合并两次不会重复。" }
                form id="merge-upload" method="post" action="/admin/merge" enctype="multipart/form-data" {
                    (csrf_field(&ctx.csrf))
                    div.field { label for="f-bundle" { "数据包（.zip）" } input id="f-bundle" type="file" name="file" accept=".zip" required; }
                    button.primary type="submit" { "检查并合并" }
                }
            }
            section.card id="conflicts" {
                h2 { "待处理的冲突（" (conflicts.len()) "）" }
                @if conflicts.is_empty() { p.muted { "没有冲突。" } }
                ul { @for (id, who, why) in conflicts { li { a href={ "/admin/merge/conflicts/" (id) } { (who) } " · " (why) } } }
            }
        },
    )
}

/// Before merging a bundle that moves teams to other admin phones: the list and a
/// confirmation. Bundles carry checksums, not signatures, so whoever wrote one could name
/// themselves a team's admin.
pub fn confirm_admin_changes(
    ctx: &PageCtx,
    token: &str,
    changes: &[(String, String, String)],
) -> Markup {
    page(
        ctx,
        "确认更换组织管理员",
        html! {
            h1 { "确认更换组织管理员" }
            section.card.notice id="admin-changes" {
                p { "这个数据包会更换下列组织的管理员手机号。新的手机号登录后将成为组织管理员，可以看到组织成员的信息。数据包只能证明内容完整，不能证明是谁制作的：请确认这些更换是真实的，再合并。" }
                div.table-wrap { table.list.stack {
                    thead { tr { th { "组织" } th { "现在的管理员手机号" } th { "数据包中的管理员手机号" } } }
                    tbody { @for (team, from, to) in changes {
                        tr { td data-label="组织" { (team) } td data-label="现在" { (from) } td data-label="数据包中" { (to) } }
                    } }
                } }
                form method="post" action="/admin/merge/confirm" id="confirm-admin-changes" {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="bundle" value=(token);
                    button.danger type="submit" id="confirm-merge" { "确认更换并合并" }
                }
                p { a.button href="/admin/merge" id="cancel-merge" { "不合并" } }
            }
        },
    )
}

/// One field compared.
pub struct FieldPair {
    pub key: &'static str,
    pub label: &'static str,
    pub mine: String,
    pub theirs: String,
}

/// A conflict, side by side, with the three ways to resolve it.
pub fn conflict(ctx: &PageCtx, id: &str, fields: &[FieldPair], deps: &str) -> Markup {
    page(
        ctx,
        "处理冲突",
        html! {
            h1 { "处理冲突" }
            p { "另一台电脑登记的志愿者与本机已有的志愿者手机号或身份证号相同。无论怎样处理，双方的组织成员关系和活动报名、服务时长都会保留在同一个志愿者名下。" }
            p.muted { (deps) }
            form method="post" action={ "/admin/merge/conflicts/" (id) } id="resolve" {
                (csrf_field(&ctx.csrf))
                div.table-wrap { table.list.stack {
                    thead { tr { th { "项目" } th { "本机" } th { "数据包" } th { "合并时采用数据包的值" } } }
                    tbody { @for f in fields {
                        tr.differs[f.mine != f.theirs] {
                            td data-label="项目" { (f.label) } td data-label="本机" { (f.mine) } td data-label="数据包" { (f.theirs) }
                            td data-label="采用数据包" { @if f.mine != f.theirs { input type="checkbox" name="take" value=(f.key) aria-label={ "采用数据包的" (f.label) }; } }
                        }
                    } }
                } }
                div.row-actions {
                    button type="submit" name="how" value="mine" id="keep-mine" { "保留本机信息" }
                    button type="submit" name="how" value="theirs" id="keep-theirs" { "采用数据包信息" }
                    button.primary type="submit" name="how" value="combine" id="combine" { "按勾选合并" }
                }
            }
        },
    )
}
