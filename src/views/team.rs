//! Teams (科技志愿服务组织): the team form, the public list and page, and the team
//! admin's 组织信息 and 查看全部志愿者 pages.

use super::components::{
    ERROR_SUMMARY_ANCHOR, Field, FormState, RegionOptions, checkbox_group, csrf_field,
    default_submit, filter_select, form_feedback, region_fields, select_field,
};
use super::layout::{PageCtx, page};
use super::volunteer::steps;
use crate::domain::dict;
use maud::{Markup, html};

/// The team form's fields (every 附件1 field plus a description).
pub fn team_fields(
    form: &FormState,
    regions: &RegionOptions,
    fixed_admin_phone: Option<&str>,
) -> Markup {
    let cats: Vec<&str> = form
        .value("service_categories")
        .split('、')
        .filter(|s| !s.is_empty())
        .collect();
    html! {
        fieldset {
            legend { "组织信息" }
            (Field::text("org_name", "组织名称", form.value("org_name")).hint("例如：某某县科技志愿服务队").error(form.error("org_name")).render())
            @match fixed_admin_phone {
                Some(p) => { div.field { label { "管理员手机号" } p.readonly id="admin-phone" { (p) } } }
                None => { (Field::phone("admin_phone", "管理员手机号", form.value("admin_phone")).error(form.error("admin_phone")).render()) }
            }
            (select_field("mca_registered", "是否在民政部门注册", &["是", "否"], form.value("mca_registered"), form.error("mca_registered")))
            (select_field("supervisor_type", "主管单位类型", &dict::supervisor_types().names(), form.value("supervisor_type"), form.error("supervisor_type")))
            (Field::text("supervisor_name", "主管单位", form.value("supervisor_name")).hint("例如：某某县科协").error(form.error("supervisor_name")).render())
            (Field { kind: "date", ..Field::text("founded_on", "成立日期", form.value("founded_on")) }.error(form.error("founded_on")).render())
        }
        (checkbox_group("service_categories", "服务类别", &dict::service_categories().names(), &cats, form.error("service_categories")))
        (region_fields(form, regions, "team"))
        fieldset {
            legend { "组织负责人（选填）" }
            (Field { required: false, ..Field::text("leader_name", "负责人姓名", form.value("leader_name")) }.error(form.error("leader_name")).render())
            (Field { required: false, ..Field::text("leader_title", "负责人职务", form.value("leader_title")) }.error(form.error("leader_title")).render())
            (Field { required: false, ..Field::text("leader_org", "负责人单位", form.value("leader_org")) }.error(form.error("leader_org")).render())
            (Field { required: false, ..Field::phone("leader_phone", "负责人电话", form.value("leader_phone")) }.hint("手机号或带区号的固定电话").error(form.error("leader_phone")).render())
        }
        div.field.has-error[form.error("description").is_some()] {
            label for="f-description" { "组织简介（选填，500字以内）" }
            textarea id="f-description" name="description" rows="4" { (form.value("description")) }
            @if let Some(e) = form.error("description") { p.error { (e) } }
        }
    }
}

/// How the team form is used this time.
pub struct TeamFormSpec<'a> {
    pub heading: &'a str,
    pub action: &'a str,
    pub submit: &'a str,
    /// The admin phone, shown but not editable.
    pub fixed_admin_phone: Option<&'a str>,
    /// The registration step to highlight, if part of registration.
    pub step: Option<usize>,
}

/// The team form page (registration step 1, or editing).
pub fn team_form(
    ctx: &PageCtx,
    form: &FormState,
    regions: &RegionOptions,
    spec: &TeamFormSpec,
) -> Markup {
    page(
        ctx,
        spec.heading,
        html! {
            h1 { (spec.heading) }
            @if let Some(s) = spec.step { (steps(&["验证手机号", "组织信息", "管理员信息"], s)) }
            (form_feedback(form))
            form id="org-form" method="post" action={ (spec.action) (ERROR_SUMMARY_ANCHOR) } novalidate {
                (default_submit())
                (csrf_field(&ctx.csrf))
                (team_fields(form, regions, spec.fixed_admin_phone))
                button.primary type="submit" id="submit" { (spec.submit) }
            }
        },
    )
}

/// 组织注册 for the admin phone of an imported team waiting for its admin: take that team
/// up (register as its admin, then check its data) instead of registering it twice.
pub fn take_up_team(
    ctx: &PageCtx,
    phone: &str,
    teams: &[(String, Vec<(&'static str, String)>)],
) -> Markup {
    page(
        ctx,
        "组织注册",
        html! {
            h1 { "组织注册" }
            section.card.notice id="take-up" {
                p {
                    "手机号 " strong { (phone) } " 已被县科协登记为下列组织的管理员手机号（集体注册导入）。"
                    "不需要再注册组织：完成管理员本人的志愿者注册后，即可管理该组织。"
                }
                @for (name, facts) in teams {
                    section.card.imported-team {
                        h2 { (name) }
                        dl.facts { @for (k, v) in facts { dt { (k) } dd { (v) } } }
                    }
                }
                p { "请核对以上信息。完成注册后可在“组织信息”中点击“编辑信息”更正。" }
                p.row-actions {
                    a.button.primary href="/register/volunteer" id="take-up-team" { "这是我的组织，完成管理员注册" }
                }
                p { a href="/register/team?new=1" id="register-another" { "这不是我要注册的组织，注册一个新的组织" } }
            }
        },
    )
}

/// A team in a list.
pub struct TeamCard {
    pub id: String,
    pub name: String,
    pub region: String,
    pub categories: String,
    pub members: usize,
    pub status: Option<&'static str>,
}

/// Filters of the public team list.
pub struct TeamFilter<'a> {
    pub q: &'a str,
    pub category: &'a str,
    pub form: &'a FormState,
    pub regions: &'a RegionOptions<'a>,
}

/// 浏览组织: teams by region and service category.
pub fn team_list(
    ctx: &PageCtx,
    filter: &TeamFilter,
    teams: &[TeamCard],
    page_no: usize,
    has_more: bool,
    query: &str,
) -> Markup {
    page(
        ctx,
        "科技志愿服务组织",
        html! {
            h1 { "科技志愿服务组织" }
            form.card method="get" action="/teams" id="team-filter" {
                (Field { required: false, ..Field::text("q", "组织名称", filter.q) }.render())
                (filter_select("category", "服务类别", &dict::service_categories().names(), filter.category))
                (region_get_fields(filter.form, filter.regions))
                button.primary type="submit" { "筛选" }
            }
            @if teams.is_empty() { p.muted id="no-teams" { "没有找到符合条件的组织。" } }
            div.cards id="teams" {
                @for t in teams {
                    section.card {
                        h2 { a href={ "/teams/" (t.id) } { (t.name) } }
                        p.muted { (t.region) " · " (t.members) " 名成员" }
                        p { (t.categories) }
                    }
                }
            }
            (pager("/teams", page_no, has_more, query))
        },
    )
}

/// Region selects for a GET filter form (no step button: the filter button reloads).
pub fn region_get_fields(form: &FormState, regions: &RegionOptions) -> Markup {
    let sel = |name: &str, label: &str, list: &[(String, String)]| {
        html! {
            div.field {
                label for={ "f-" (name) } { (label) }
                select id={ "f-" (name) } name=(name) data-region=(name) data-region-group="filter" {
                    option value="" { "全部" }
                    @for (code, n) in list { option value=(code) selected[form.value(name) == code] { (n) } }
                }
            }
        }
    };
    html! {
        (sel("province", "省", regions.provinces))
        (sel("city", "市", regions.cities))
        (sel("county", "县（区）", regions.counties))
    }
}

/// Previous / next links that keep the current query.
pub fn pager(base: &str, page_no: usize, has_more: bool, query: &str) -> Markup {
    let q: String = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .collect::<Vec<_>>()
        .join("&");
    let link = |n: usize| {
        if q.is_empty() {
            format!("{base}?page={n}")
        } else {
            format!("{base}?{q}&page={n}")
        }
    };
    html! {
        nav.pager {
            @if page_no > 1 { a href=(link(page_no - 1)) { "上一页" } }
            @if has_more { a href=(link(page_no + 1)) id="next-page" { "下一页" } }
        }
    }
}

/// What the viewer may do on a public team page.
pub enum JoinAction {
    /// Not signed in as a volunteer.
    SignIn,
    Apply,
    Pending,
    Member,
    /// Suspended or waiting: no applications.
    Closed,
}

/// A team's public page.
pub fn team_page(
    ctx: &PageCtx,
    t: &TeamCard,
    facts: &[(&'static str, String)],
    description: &str,
    action: JoinAction,
) -> Markup {
    page(
        ctx,
        &t.name,
        html! {
            section.card id="team" {
                h1 { (t.name) }
                dl.facts { @for (k, v) in facts { dt { (k) } dd { (v) } } }
                @if !description.is_empty() { p.description { (description) } }
                @match action {
                    JoinAction::SignIn => { p { a.button.primary href="/login?next=/teams" { "登录后申请加入" } } }
                    JoinAction::Apply => {
                        form method="post" action={ "/teams/" (t.id) "/apply" } {
                            (csrf_field(&ctx.csrf))
                            button.primary type="submit" id="apply" { "申请加入" }
                        }
                    }
                    JoinAction::Pending => { p.badge.warn id="pending" { "已申请，等待组织管理员审核" } }
                    JoinAction::Member => { p.badge.ok id="member" { "您是本组织成员" } }
                    JoinAction::Closed => { p.muted { "该组织暂不接受申请。" } }
                }
            }
        },
    )
}

/// The team admin's view of their team (组织信息).
/// The team admin's 组织信息 page.
pub struct TeamAdminPage<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: &'a str,
    pub facts: &'a [(&'static str, String)],
    pub pending: usize,
    /// Why the team cannot act yet (review, refusal, suspension) and the reviewer's reason.
    pub notice: Option<(String, Option<String>)>,
    /// Whether the team may act: otherwise its member and activity actions are hidden.
    pub can_act: bool,
}

pub fn team_admin_page(ctx: &PageCtx, d: &TeamAdminPage) -> Markup {
    let TeamAdminPage {
        id,
        name,
        status,
        facts,
        pending,
        ref notice,
        can_act,
    } = *d;
    page(
        ctx,
        "组织信息",
        html! {
            h1 { "组织信息" }
            @if let Some((why, reason)) = notice {
                section.card.notice id="team-review-state" {
                    p { strong { "组织状态：" (status) } }
                    p { (why) }
                    @if let Some(r) = reason { p id="team-review-reason" { (r) } }
                }
            }
            section.card id="org-info" {
                h2 { (name) " " span.badge id="org-status" { (status) } }
                dl.facts { @for (k, v) in facts { dt { (k) } dd { (v) } } }
                p.row-actions {
                    @if can_act {
                        a.button.primary href={ "/team/" (id) "/members" } id="all-members" { "查看全部志愿者" }
                    }
                    a.button href={ "/team/" (id) "/edit" } id="edit-org" { "编辑信息" }
                }
                @if pending > 0 && can_act {
                    p.flash id="pending-count" { "有 " (pending) " 条入队申请等待审核。" a href={ "/team/" (id) "/members" } { "去审核" } }
                }
            }
        },
    )
}

/// A member row for the team admin.
pub struct MemberLine {
    pub volunteer_id: String,
    pub name: String,
    pub phone: String,
    pub masked_id: String,
    pub region: String,
    pub state: &'static str,
    pub pending: bool,
    pub confirmed: bool,
}

/// What 查看全部志愿者 shows.
pub struct MembersPage<'a> {
    pub team_id: &'a str,
    pub org_name: &'a str,
    pub q: &'a str,
    pub filter_form: &'a FormState,
    pub regions: &'a RegionOptions<'a>,
    pub pending: &'a [MemberLine],
    /// One page of the approved members the filter finds, of `total`.
    pub members: &'a [MemberLine],
    pub total: usize,
    pub page_no: usize,
    pub has_more: bool,
    pub query: &'a str,
    pub add_form: &'a FormState,
}

/// 查看全部志愿者: members with search and region filter, applications to decide, and
/// adding by phone.
pub fn members_page(ctx: &PageCtx, d: &MembersPage) -> Markup {
    let MembersPage {
        team_id,
        org_name,
        q,
        filter_form,
        regions,
        pending,
        members,
        total,
        page_no,
        has_more,
        query,
        add_form,
    } = *d;
    let base = format!("/team/{team_id}/members");
    html! {
        (page(ctx, "查看全部志愿者", html! {
            h1 { (org_name) " · 全部志愿者" }
            @if !pending.is_empty() {
                section.card id="applications" {
                    h2 { "入队申请" }
                    div.table-wrap { table.list.stack {
                        thead { tr { th { "姓名" } th { "手机号" } th { "所在区域" } th { "操作" } } }
                        tbody { @for m in pending {
                            tr {
                                td data-label="姓名" { (m.name) } td data-label="手机号" { (m.phone) } td data-label="所在区域" { (m.region) }
                                td.row-actions data-label="操作" {
                                    form method="post" action={ (base) "/" (m.volunteer_id) "/approve" } {
                                        (csrf_field(&ctx.csrf)) button.primary type="submit" { "通过" }
                                    }
                                    form method="post" action={ (base) "/" (m.volunteer_id) "/reject" } {
                                        (csrf_field(&ctx.csrf)) button.danger type="submit" { "拒绝" }
                                    }
                                }
                            }
                        } }
                    } }
                }
            }
            form.card method="get" action=(base) id="member-filter" {
                (Field { required: false, ..Field::text("q", "姓名或手机号", q) }.render())
                (region_get_fields(filter_form, regions))
                button.primary type="submit" { "查询" }
            }
            section id="members" {
                p.muted { "共 " (total) " 名志愿者。身份证号已隐去中间部分。" }
                div.table-wrap { table.list.stack {
                    thead { tr { th { "姓名" } th { "手机号" } th { "身份证号" } th { "所在区域" } th { "状态" } } }
                    tbody { @for m in members {
                        tr {
                            td data-label="姓名" { (m.name) @if !m.confirmed { " " span.badge.warn { "待本人确认" } } }
                            td data-label="手机号" { (m.phone) } td data-label="身份证号" { (m.masked_id) } td data-label="所在区域" { (m.region) } td data-label="状态" { (m.state) }
                        }
                    } }
                } }
                (pager(&base, page_no, has_more, query))
            }
            section.card id="add-member" {
                h2 { "添加志愿者" }
                (form_feedback(add_form))
                form method="post" action={ (base) "/add" } novalidate {
                    (csrf_field(&ctx.csrf))
                    (Field::phone("phone", "已注册志愿者的手机号", add_form.value("phone")).error(add_form.error("phone")).render())
                    button type="submit" { "添加到本组织" }
                }
                p { "还没有注册的人员，可以" a href={ (base) "/new" } id="enter-volunteer" { "代为录入志愿者信息" } "，本人用手机号登录后确认即可。" }
            }
        }))
    }
}
