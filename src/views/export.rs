//! 导出上报: the export page for platform admins (official forms and bundles) and the
//! team admin's export of their own volunteers.

use super::components::csrf_field;
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// What the export page shows.
pub struct ExportPage<'a> {
    pub pending_teams: usize,
    pub pending_volunteers: usize,
    pub teams: &'a [(String, String)],
    pub provinces: &'a [(String, String)],
    /// A team admin sees only their team's volunteers (ID numbers masked).
    pub platform: bool,
}

fn privacy() -> Markup {
    html! {
        p.form-error id="privacy-note" {
            "导出的文件含有个人信息（姓名、手机号"
            "、身份证号等）。请只用于上报，妥善保管，上报完成后及时删除本地文件。每次导出都会记录在审计日志中。"
        }
    }
}

/// The export page.
pub fn page_view(ctx: &PageCtx, d: &ExportPage) -> Markup {
    page(
        ctx,
        "导出上报",
        html! {
            h1 { "导出上报" }
            (privacy())
            @if d.platform {
                section.card id="export-forms" {
                    h2 { "按官方表格导出" }
                    p { "附件1（组织）尚未导出：" strong id="pending-teams" { (d.pending_teams) } " 条；附件2（志愿者）尚未导出：" strong id="pending-volunteers" { (d.pending_volunteers) } " 条。" }
                    form method="post" action="/admin/export" {
                        (csrf_field(&ctx.csrf))
                        div.field {
                            label for="f-form" { "表格" }
                            select id="f-form" name="form" {
                                option value="volunteers" { "附件2 科技志愿者集体注册信息表" }
                                option value="teams" { "附件1 科技志愿服务组织集体注册信息表" }
                            }
                        }
                        fieldset {
                            legend { "范围" }
                            label.check { input type="radio" name="scope" value="since" checked; "上次导出后新增或修改的" }
                            label.check { input type="radio" name="scope" value="all"; "全部" }
                            label.check { input type="radio" name="scope" value="region"; "某个区域：" }
                            div.field {
                                label for="f-region" { "省（区域代码）" }
                                select id="f-region" name="region" {
                                    option value="" { "请选择" }
                                    @for (c, n) in d.provinces { option value=(c) { (n) } }
                                }
                            }
                            label.check { input type="radio" name="scope" value="team"; "某个组织：" }
                            (filter_select_pairs("team", "组织", d.teams))
                        }
                        button.primary type="submit" id="export-form" { "导出 Excel" }
                    }
                }
                section.card id="export-bundle" {
                    h2 { "导出完整数据包（用于合并多台电脑的数据）" }
                    p { "数据包是一个 .zip 文件，包含全部组织、志愿者、活动、报名和时长、报道照片，以及两张官方表格。" }
                    form method="post" action="/admin/export/bundle" {
                        (csrf_field(&ctx.csrf))
                        label.check { input type="checkbox" name="since_last" value="yes"; "只导出上次数据包之后的变更" }
                        button.primary type="submit" id="export-bundle-button" { "导出数据包" }
                    }
                    p { a href="/admin/merge" { "合并其他电脑的数据包" } }
                }
            } @else {
                section.card id="export-team" {
                    h2 { "导出本组织志愿者（附件2）" }
                    p.muted { "组织管理员导出的文件中，身份证号隐去中间部分。" }
                    @for (id, name) in d.teams {
                        form method="post" action={ "/team/" (id) "/export" } {
                            (csrf_field(&ctx.csrf))
                            button.primary type="submit" { "导出“" (name) "”的志愿者" }
                        }
                    }
                }
            }
        },
    )
}

fn filter_select_pairs(name: &str, label: &str, options: &[(String, String)]) -> Markup {
    html! {
        div.field {
            label for={ "f-" (name) } { (label) }
            select id={ "f-" (name) } name=(name) {
                option value="" { "请选择" }
                @for (v, t) in options { option value=(v) { (t) } }
            }
        }
    }
}
