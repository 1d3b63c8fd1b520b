//! 提需求: the public demand form and its confirmation, the status lookup, and the admins'
//! list and detail with matching volunteers and teams.

use super::components::{
    ERROR_SUMMARY_ANCHOR, Field, FormState, RegionOptions, checkbox_group, csrf_field,
    default_submit, filter_select, form_feedback, region_fields, select_field,
};
use super::layout::{PageCtx, page};
use super::team::region_get_fields;
use crate::domain::demand::REQUESTER_KINDS;
use crate::domain::dict;
use maud::{Markup, html};

/// The public demand form.
pub fn form(ctx: &PageCtx, form: &FormState, regions: &RegionOptions) -> Markup {
    let cats: Vec<&str> = form
        .value("categories")
        .split('、')
        .filter(|s| !s.is_empty())
        .collect();
    page(
        ctx,
        "提需求",
        html! {
            h1 { "提出科技服务需求" }
            p { "村（居）委会、新时代文明实践中心、党群服务中心或个人，都可以在这里提出需要的科技志愿服务。提交后会得到一个需求编号，可以随时查询对接进度。" }
            (form_feedback(form))
            form id="demand-form" method="post" action={ "/demands/new" (ERROR_SUMMARY_ANCHOR) } novalidate {
                (default_submit())
                (csrf_field(&ctx.csrf))
                (select_field("requester_kind", "提出需求的是", REQUESTER_KINDS, form.value("requester_kind"), form.error("requester_kind")))
                (Field { required: false, ..Field::text("requester_name", "单位或村名称（选填）", form.value("requester_name")) }.error(form.error("requester_name")).render())
                (Field::text("contact_name", "联系人", form.value("contact_name")).error(form.error("contact_name")).render())
                (Field::phone("contact_phone", "联系电话", form.value("contact_phone")).error(form.error("contact_phone")).render())
                (region_fields(form, regions, "demand"))
                (checkbox_group("categories", "需要的服务类别", &dict::service_categories().names(), &cats, form.error("categories")))
                div.field.has-error[form.error("text").is_some()] {
                    label for="f-text" { "需要什么服务（2000字以内）" }
                    textarea id="f-text" name="text" rows="5" { (form.value("text")) }
                    @if let Some(e) = form.error("text") { p.error { (e) } }
                }
                (Field { required: false, ..Field::text("wanted_when", "希望什么时候（选填，如“12月上旬”）", form.value("wanted_when")) }.error(form.error("wanted_when")).render())
                button.primary type="submit" id="submit-demand" { "提交需求" }
            }
            p { a href="/demands/status" { "查询已提交的需求" } }
        },
    )
}

/// After submitting: the confirmation number.
pub fn submitted(ctx: &PageCtx, number: &str) -> Markup {
    page(
        ctx,
        "需求已提交",
        html! {
            section.card id="demand-submitted" {
                h1 { "需求已提交" }
                p { "您的需求编号是：" }
                p.big id="demand-number" { strong { (number) } }
                p { "请记下这个编号。县科协和科技志愿服务组织会尽快与您联系，您也可以用编号 " a href={ "/demands/status?n=" (number) } { "查询对接进度" } "。" }
            }
        },
    )
}

/// The status lookup.
pub fn status(ctx: &PageCtx, number: &str, found: Option<(&str, &str, &str)>) -> Markup {
    page(
        ctx,
        "查询需求",
        html! {
            section.card id="demand-status" {
                h1 { "查询需求进度" }
                form method="get" action="/demands/status" {
                    (Field::text("n", "需求编号", number).render())
                    button.primary type="submit" { "查询" }
                }
                @if !number.is_empty() {
                    @match found {
                        Some((state, categories, team)) => {
                            dl.facts {
                                dt { "编号" } dd { (number) }
                                dt { "服务类别" } dd { (categories) }
                                dt { "进度" } dd id="demand-state" { (state) }
                                @if !team.is_empty() { dt { "对接组织" } dd { (team) } }
                            }
                        }
                        None => { p.form-error id="demand-not-found" { "没有找到这个编号的需求，请核对后再查。" } }
                    }
                }
            }
        },
    )
}

/// A demand in the admins' list.
pub struct DemandLine {
    pub id: String,
    pub number: String,
    pub who: String,
    pub region: String,
    pub categories: String,
    pub state: &'static str,
    pub created: String,
}

/// The admins' list of demands.
pub fn list(
    ctx: &PageCtx,
    filter: &FormState,
    regions: &RegionOptions,
    lines: &[DemandLine],
    pager: Markup,
) -> Markup {
    page(
        ctx,
        "服务需求",
        html! {
            h1 { "服务需求（供需对接）" }
            form.card method="get" action="/demands" id="demand-filter" {
                (region_get_fields(filter, regions))
                (filter_select("category", "服务类别", &dict::service_categories().names(), filter.value("category")))
                (filter_select("state", "进度", &["待对接", "已对接", "已完成"], filter.value("state")))
                button.primary type="submit" { "筛选" }
            }
            @if lines.is_empty() { p.muted id="no-demands" { "没有符合条件的需求。" } }
            div.table-wrap { table.list.stack id="demands" {
                thead { tr { th { "编号" } th { "提出方" } th { "地点" } th { "服务类别" } th { "进度" } th { "提交时间" } } }
                tbody { @for l in lines {
                    tr {
                        td data-label="编号" { a href={ "/demands/" (l.id) } { (l.number) } }
                        td data-label="提出方" { (l.who) } td data-label="地点" { (l.region) } td data-label="服务类别" { (l.categories) }
                        td data-label="进度" { (l.state) } td data-label="提交时间" { (l.created) }
                    }
                } }
            } }
            (pager)
        },
    )
}

/// A matched volunteer.
pub struct MatchLine {
    /// The volunteer's id, for an invitation.
    pub id: String,
    pub name: String,
    pub phone: String,
    pub region: String,
    pub categories: String,
    pub sanzhang: Option<String>,
    pub nearness: &'static str,
}

/// What the admin's demand page shows.
pub struct DemandPage<'a> {
    pub id: &'a str,
    pub number: &'a str,
    pub facts: &'a [(&'static str, String)],
    pub text: &'a str,
    pub state: &'static str,
    pub volunteers: &'a [MatchLine],
    pub teams: &'a [(String, String, &'static str)],
    /// Teams the viewer administers that may take the demand: (id, name).
    pub my_teams: &'a [(String, String)],
    /// Teams of the viewer that may invite a matching volunteer to join: (id, name).
    pub inviting_teams: &'a [(String, String)],
    pub activity: Option<&'a str>,
    pub can_finish: bool,
}

/// A demand with its matches and actions.
pub fn detail(ctx: &PageCtx, d: &DemandPage) -> Markup {
    page(
        ctx,
        "需求详情",
        html! {
            h1 { "需求 " (d.number) " " span.badge id="demand-state" { (d.state) } }
            section.card {
                dl.facts { @for (k, v) in d.facts { dt { (k) } dd { (v) } } }
                p.pre { (d.text) }
                @if let Some(a) = d.activity { p { "对接活动：" a href={ "/activities/" (a) } id="demand-activity" { "查看活动" } } }
                div.row-actions {
                    @for (id, name) in d.my_teams {
                        form method="post" action={ "/demands/" (d.id) "/take" } {
                            (csrf_field(&ctx.csrf)) input type="hidden" name="team" value=(id);
                            button.primary type="submit" { "由“" (name) "”承接" }
                        }
                        a.button href={ "/team/" (id) "/activities/new?demand=" (d.id) } id="demand-to-activity" { "为此需求发布活动" }
                    }
                    @if d.can_finish {
                        form method="post" action={ "/demands/" (d.id) "/done" } {
                            (csrf_field(&ctx.csrf)) button type="submit" id="demand-done" { "标记为已完成" }
                        }
                    }
                }
            }
            section.card id="matching-volunteers" {
                h2 { "匹配的志愿者（就近优先，“三长”标出）" }
                @if d.volunteers.is_empty() { p.muted { "暂无服务类别相符的志愿者。" } }
                div.table-wrap { table.list.stack {
                    thead { tr {
                        th { "姓名" } th { "手机号" } th { "所在区域" } th { "服务类别" } th { "距离" }
                        @if !d.inviting_teams.is_empty() { th { "邀请" } }
                    } }
                    tbody { @for m in d.volunteers {
                        tr {
                            td data-label="姓名" { (m.name) @if let Some(s) = &m.sanzhang { " " span.badge.ok { (s) } } }
                            td data-label="手机号" { (m.phone) } td data-label="所在区域" { (m.region) }
                            td data-label="服务类别" { (m.categories) } td data-label="距离" { (m.nearness) }
                            @if !d.inviting_teams.is_empty() {
                                td data-label="邀请" {
                                    @for (team, name) in d.inviting_teams {
                                        form.inline method="post" action={ "/team/" (team) "/members/invite" } {
                                            (csrf_field(&ctx.csrf))
                                            input type="hidden" name="volunteer" value=(m.id);
                                            input type="hidden" name="back" value={ "/demands/" (d.id) };
                                            button type="submit" class="invite" { "邀请加入“" (name) "”" }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
            section.card id="matching-teams" {
                h2 { "匹配的组织" }
                @if d.teams.is_empty() { p.muted { "暂无服务类别相符的组织。" } }
                ul { @for (id, name, near) in d.teams { li { a href={ "/teams/" (id) } { (name) } " · " (near) } } }
            }
        },
    )
}
