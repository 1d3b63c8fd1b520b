//! Platform admin lists and details of volunteers and teams.

use super::components::{
    Field, FormState, RegionOptions, csrf_field, filter_select, form_feedback,
};
use super::layout::{PageCtx, page};
use super::team::{pager, region_get_fields};
use crate::domain::dict;
use crate::domain::people::TeamStatus;
use maud::{Markup, html};

/// One volunteer row in the admin list.
pub struct VolunteerLine {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub masked_id: String,
    pub region: String,
    pub sanzhang: String,
    pub confirmed: bool,
}

/// Filters of the admin volunteer list.
pub struct VolunteerFilter<'a> {
    pub q: &'a str,
    pub category: &'a str,
    pub sanzhang: &'a str,
    pub team: &'a str,
    /// With many teams, the team filter is a typed name (its value here) instead of a menu.
    pub team_name: Option<&'a str>,
    pub teams: &'a [(String, String)],
    pub form: &'a FormState,
    pub regions: &'a RegionOptions<'a>,
    pub query: &'a str,
}

/// The admin's volunteer list.
pub fn volunteers(
    ctx: &PageCtx,
    f: &VolunteerFilter,
    rows: &[VolunteerLine],
    total: usize,
    page_no: usize,
    has_more: bool,
) -> Markup {
    page(
        ctx,
        "志愿者管理",
        html! {
            h1 { "志愿者管理" }
            form.card method="get" action="/admin/volunteers" id="volunteer-filter" {
                (Field { required: false, ..Field::text("q", "姓名或手机号", f.q) }.render())
                (region_get_fields(f.form, f.regions))
                (filter_select("category", "服务类别", &dict::service_categories().names(), f.category))
                (filter_select("sanzhang", "基层“三长”", &dict::sanzhang().names(), f.sanzhang))
                @if let Some(name) = f.team_name {
                    (Field { required: false, ..Field::text("team_name", "所属组织（输入组织全称）", name) }.render())
                } @else {
                    div.field {
                        label for="f-team" { "所属组织" }
                        select id="f-team" name="team" {
                            option value="" { "全部" }
                            @for (id, name) in f.teams { option value=(id) selected[f.team == id] { (name) } }
                        }
                    }
                }
                button.primary type="submit" { "查询" }
            }
            p.muted id="volunteer-total" { "共 " (total) " 名" }
            div.table-wrap { table.list.stack id="volunteers" {
                thead { tr { th { "姓名" } th { "手机号" } th { "身份证号" } th { "所在区域" } th { "三长" } } }
                tbody { @for r in rows {
                    tr {
                        td data-label="姓名" { a href={ "/admin/volunteers/" (r.id) } { (r.name) } @if !r.confirmed { " " span.badge.warn { "待本人确认" } } }
                        td data-label="手机号" { (r.phone) } td data-label="身份证号" { (r.masked_id) } td data-label="所在区域" { (r.region) } td data-label="三长" { (r.sanzhang) }
                    }
                } }
            } }
            (pager("/admin/volunteers", page_no, has_more, f.query))
        },
    )
}

/// A volunteer's detail for the admin.
pub struct VolunteerDetail<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub facts: &'a [(&'static str, String)],
    /// The ID number as shown: masked, or in full after the audited click.
    pub id_number_shown: &'a str,
    pub unmasked: bool,
    pub teams: &'a [(String, &'static str)],
    pub fix_form: &'a FormState,
    /// (agreed to be featured, featured now).
    pub showcase: (bool, bool),
}

/// The admin's page for one volunteer.
pub fn volunteer_detail(ctx: &PageCtx, d: &VolunteerDetail) -> Markup {
    let VolunteerDetail {
        id,
        name,
        facts,
        id_number_shown,
        unmasked,
        teams,
        fix_form,
        showcase,
    } = *d;
    page(
        ctx,
        name,
        html! {
            h1 { (name) }
            section.card id="volunteer" {
                dl.facts {
                    dt { "身份证号" } dd id="id-number" { (id_number_shown) }
                    @for (k, v) in facts { dt { (k) } dd { (v) } }
                }
                @if !unmasked {
                    form method="post" action={ "/admin/volunteers/" (id) "/unmask" } {
                        (csrf_field(&ctx.csrf))
                        button type="submit" id="unmask" { "显示完整身份证号（将记入审计日志）" }
                    }
                }
            }
            section.card {
                h2 { "所在组织" }
                @if teams.is_empty() { p.muted { "未加入组织" } }
                ul { @for (n, s) in teams { li { (n) " " span.badge { (s) } } } }
            }
            section.card id="feature-person" {
                h2 { "典型人物" }
                @if !showcase.0 {
                    p.muted { "本人尚未同意作为典型人物展示（本人可在“志愿者信息”中勾选同意）。" }
                } @else {
                    form method="post" action="/admin/featured" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="kind" value="person";
                        input type="hidden" name="id" value=(id);
                        @if showcase.1 {
                            input type="hidden" name="action" value="remove";
                            button type="submit" { "取消典型人物" }
                        } @else {
                            input type="hidden" name="action" value="add";
                            div.field { label for="f-person-text" { "简介（显示在首页）" } textarea id="f-person-text" name="text" rows="2" {} }
                            button.primary type="submit" id="feature-person-button" { "设为典型人物" }
                        }
                    }
                }
            }
            section.card id="fix-id" {
                h2 { "更正身份证号" }
                p.muted { "性别和出生日期会按新的身份证号更新。此操作记入审计日志。" }
                (form_feedback(fix_form))
                form method="post" action={ "/admin/volunteers/" (id) "/id-number" } novalidate {
                    (csrf_field(&ctx.csrf))
                    (Field::text("id_number", "正确的身份证号", fix_form.value("id_number")).error(fix_form.error("id_number")).render())
                    button type="submit" { "更正" }
                }
            }
        },
    )
}

/// One team row in the admin list.
pub struct TeamLine {
    pub id: String,
    pub name: String,
    pub admin_phone: String,
    pub region: String,
    pub status: &'static str,
    pub members: usize,
}

/// The admin's team list with its filter.
pub struct TeamList<'a> {
    pub q: &'a str,
    pub status: &'a str,
    pub form: &'a FormState,
    pub regions: &'a RegionOptions<'a>,
    pub rows: &'a [TeamLine],
    pub page_no: usize,
    pub has_more: bool,
    pub query: &'a str,
}

/// The admin's team list.
pub fn teams(ctx: &PageCtx, d: &TeamList) -> Markup {
    let TeamList {
        q,
        status,
        form,
        regions,
        rows,
        page_no,
        has_more,
        query,
    } = *d;
    page(
        ctx,
        "组织管理",
        html! {
            h1 { "组织管理" }
            form.card method="get" action="/admin/teams" id="team-filter" {
                (Field { required: false, ..Field::text("q", "组织名称或管理员手机号", q) }.render())
                (region_get_fields(form, regions))
                (filter_select("status", "状态", &["待审核", "正常", "等待管理员注册", "未通过审核", "已暂停"], status))
                button.primary type="submit" { "查询" }
            }
            div.table-wrap { table.list.stack id="teams" {
                thead { tr { th { "组织名称" } th { "管理员手机号" } th { "所在区域" } th { "成员" } th { "状态" } } }
                tbody { @for r in rows {
                    tr {
                        td data-label="组织名称" { a href={ "/admin/teams/" (r.id) } { (r.name) } }
                        td data-label="管理员手机号" { (r.admin_phone) } td data-label="所在区域" { (r.region) } td data-label="成员" { (r.members) } td data-label="状态" { (r.status) }
                    }
                } }
            } }
            (pager("/admin/teams", page_no, has_more, query))
        },
    )
}

/// A team's detail for the admin, with suspend / reactivate.
/// What the platform admin sees of one team.
pub struct TeamDetail<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: TeamStatus,
    /// The latest decision: (what, reason, who, when).
    pub review: Option<(&'static str, &'a str, &'a str, String)>,
    pub facts: &'a [(&'static str, String)],
    pub members: &'a [(String, String, &'static str)],
}

/// One team for the platform admin: every 附件1 field, the review (注册认证) and
/// suspension controls, and its members.
pub fn team_detail(ctx: &PageCtx, d: &TeamDetail) -> Markup {
    let TeamDetail {
        id,
        name,
        status,
        ref review,
        facts,
        members,
    } = *d;
    let action = format!("/admin/teams/{id}/status");
    page(
        ctx,
        name,
        html! {
            h1 { (name) " " span.badge id="team-status" { (status.label()) } }
            @if let Some((what, reason, by, at)) = review {
                p.hint id="team-review" {
                    (what) "（" (by) "，" (at) "）"
                    @if !reason.is_empty() { "：" (reason) }
                }
            }
            section.card {
                dl.facts { @for (k, v) in facts { dt { (k) } dd { (v) } } }
                @match status {
                    TeamStatus::PendingReview | TeamStatus::Refused => {
                        h2 { "注册审核" }
                        p.hint { "核对组织信息后决定是否通过。通过后组织才能发布活动、导入和添加成员、查看志愿者和承接需求。" }
                        form method="post" action=(action) id="approve-form" {
                            (csrf_field(&ctx.csrf))
                            input type="hidden" name="decision" value="approve";
                            button.primary type="submit" id="approve" { "审核通过" }
                        }
                        @if status == TeamStatus::PendingReview {
                            form method="post" action=(action) id="refuse-form" {
                                (csrf_field(&ctx.csrf))
                                input type="hidden" name="decision" value="refuse";
                                label for="refuse-reason" { "不通过的原因（组织管理员会看到）" }
                                textarea id="refuse-reason" name="reason" maxlength="200" required {}
                                button.danger type="submit" id="refuse" { "不通过" }
                            }
                        }
                    }
                    _ => {}
                }
                form method="post" action=(action) id="suspend-form" {
                    (csrf_field(&ctx.csrf))
                    @if status == TeamStatus::Suspended {
                        input type="hidden" name="decision" value="reactivate";
                        button.primary type="submit" id="reactivate" { "恢复组织" }
                    } @else {
                        input type="hidden" name="decision" value="suspend";
                        label for="suspend-reason" { "暂停原因（可选，组织管理员会看到）" }
                        input type="text" id="suspend-reason" name="reason" maxlength="200";
                        button.danger type="submit" id="suspend" { "暂停组织" }
                    }
                }
            }
            section.card {
                h2 { "成员" }
                div.table-wrap { table.list {
                    thead { tr { th { "姓名" } th { "手机号" } th { "状态" } } }
                    tbody { @for (n, p, s) in members { tr { td { (n) } td { (p) } td { (s) } } } }
                } }
            }
        },
    )
}
