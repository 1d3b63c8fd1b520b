//! Activities: the public list and page, the publishing form, 我发布的活动 with rosters,
//! the sign-in sheet, check-in pages, the report form, 我参加的活动, the service record,
//! the certificate and its verification page.

use super::components::{
    ERROR_SUMMARY_ANCHOR, Field, FormState, RegionOptions, csrf_field, default_submit,
    filter_select, form_feedback, region_fields, select_field,
};
use super::layout::{PageCtx, page};
use super::team::{pager, region_get_fields};
use crate::domain::dict;
use maud::{Markup, PreEscaped, html};

/// An activity as listed.
pub struct ActivityCard {
    pub id: String,
    pub title: String,
    pub team: String,
    pub when: String,
    pub region: String,
    pub phase: &'static str,
    pub phase_css: &'static str,
    /// "剩余 3 个名额", "不限人数", "已满".
    pub seats: String,
}

fn card(a: &ActivityCard, href: &str) -> Markup {
    html! {
        section.card.activity {
            h2 { a href=(href) { (a.title) } " " span.badge.(a.phase_css) { (a.phase) } }
            p.muted { (a.team) }
            p { "时间：" (a.when) }
            p { "地点：" (a.region) }
            p.muted { (a.seats) }
        }
    }
}

/// Filters of the public activity list.
pub struct ActivityFilter<'a> {
    pub q: &'a str,
    pub category: &'a str,
    pub phase: &'a str,
    pub form: &'a FormState,
    pub regions: &'a RegionOptions<'a>,
    pub query: &'a str,
}

/// 活动报名: published activities, results first. The phase is one tap (未结束 by default,
/// 已结束, 全部); the other filters fold behind 筛选, with the active ones shown as chips.
pub fn list(
    ctx: &PageCtx,
    f: &ActivityFilter,
    cards: &[ActivityCard],
    page_no: usize,
    has_more: bool,
) -> Markup {
    let name_of = |list: &[(String, String)], code: &str| {
        list.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone())
    };
    let mut chips: Vec<String> = Vec::new();
    if !f.q.is_empty() {
        chips.push(format!("“{}”", f.q));
    }
    let region = [
        name_of(f.regions.provinces, f.form.value("province")),
        name_of(f.regions.cities, f.form.value("city")),
        name_of(f.regions.counties, f.form.value("county")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("");
    if !region.is_empty() {
        chips.push(region);
    }
    if !f.category.is_empty() {
        chips.push(f.category.to_string());
    }
    // The phase tabs keep the other filters.
    let keep: String = ["q", "province", "city", "county", "category"]
        .iter()
        .filter(|k| !f.form.value(k).is_empty())
        .map(|k| {
            format!(
                "&{}={}",
                k,
                super::components::encode_query(f.form.value(k))
            )
        })
        .collect();
    let tabs = [
        ("未结束", "未结束"),
        ("活动结束", "已结束"),
        ("全部", "全部"),
    ];
    page(
        ctx,
        "活动报名",
        html! {
            h1 { "科技志愿服务活动" }
            nav.chips id="phase-tabs" aria-label="活动状态" {
                @for (value, label) in tabs {
                    @if f.phase == value {
                        a.chip.active href={ "/activities?phase=" (value) (keep) } aria-current="true" { (label) }
                    } @else {
                        a.chip href={ "/activities?phase=" (value) (keep) } { (label) }
                    }
                }
            }
            details.filter-panel id="filter-panel" open[!chips.is_empty() && cards.is_empty()] {
                summary id="filter-toggle" {
                    "筛选"
                    @for c in &chips { " " span.chip.small { (c) } }
                }
                form.card method="get" action="/activities" id="activity-filter" {
                    (Field { required: false, ..Field::text("q", "活动名称", f.q) }.render())
                    (region_get_fields(f.form, f.regions))
                    (filter_select("category", "服务类别", &dict::service_categories().names(), f.category))
                    (filter_select("phase", "状态", &["未结束", "报名中", "报名结束", "活动进行中", "活动结束"], f.phase))
                    button.primary type="submit" { "筛选" }
                    @if !chips.is_empty() { " " a.button href="/activities" id="clear-filters" { "清除筛选" } }
                }
            }
            @if cards.is_empty() { p.muted id="no-activities" { "没有找到符合条件的活动。" } }
            div.cards id="activities" {
                @for c in cards { (card(c, &format!("/activities/{}", c.id))) }
            }
            (pager("/activities", page_no, has_more, f.query))
        },
    )
}

/// What the viewer may do on an activity page.
pub enum SignupAction {
    SignIn,
    SignUp,
    JoinWaitlist,
    /// Signed up (or waitlisted, or promoted); may cancel before the start.
    Registered {
        state: &'static str,
        promoted: bool,
        can_cancel: bool,
    },
    /// Shown with the reason: closed, cancelled, ended, not open yet.
    Closed(&'static str),
    /// The viewer manages this activity.
    Manage,
}

/// The activity page.
pub struct ActivityPage<'a> {
    pub card: &'a ActivityCard,
    pub facts: &'a [(&'static str, String)],
    pub description: &'a str,
    pub risk_note: &'a str,
    pub cover: Option<String>,
    pub action: SignupAction,
    pub report: Option<(&'a str, &'a [String])>,
    pub message: Option<&'a str>,
    /// For platform admins: whether it is featured now, so they can feature it as 典型案例.
    pub featured: Option<bool>,
}

/// An activity's page with signup buttons and, afterwards, its report.
pub fn show(ctx: &PageCtx, d: &ActivityPage) -> Markup {
    let id = &d.card.id;
    page(
        ctx,
        &d.card.title,
        html! {
            article.card id="activity" {
                @if let Some(c) = &d.cover { img.cover src=(c) alt="活动封面"; }
                h1 { (d.card.title) " " span.badge.(d.card.phase_css) id="phase" { (d.card.phase) } }
                p.muted { (d.card.team) }
                dl.facts { @for (k, v) in d.facts { dt { (k) } dd { (v) } } }
                p id="seats" { (d.card.seats) }
                @if let Some(m) = d.message { p.form-error role="alert" { (m) } }
                div.row-actions id="signup-actions" {
                    @match &d.action {
                        SignupAction::SignIn => { a.button.primary href={ "/login?next=/activities/" (id) } { "登录后报名" } }
                        SignupAction::SignUp => {
                            form method="post" action={ "/activities/" (id) "/signup" } {
                                (csrf_field(&ctx.csrf)) button.primary type="submit" id="signup" { "立即报名" }
                            }
                        }
                        SignupAction::JoinWaitlist => {
                            form method="post" action={ "/activities/" (id) "/signup" } {
                                (csrf_field(&ctx.csrf)) input type="hidden" name="waitlist" value="yes";
                                button.primary type="submit" id="waitlist" { "名额已满，加入候补" }
                            }
                        }
                        SignupAction::Registered { state, promoted, can_cancel } => {
                            p.badge.ok id="my-signup" { (state) }
                            @if *promoted { p.flash id="promoted" { "有人取消报名，您已从候补转为已报名。" } }
                            @if *can_cancel {
                                form method="post" action={ "/activities/" (id) "/cancel-signup" } {
                                    (csrf_field(&ctx.csrf)) button.danger type="submit" id="cancel-signup" { "取消报名" }
                                }
                            }
                        }
                        SignupAction::Closed(why) => { p.muted id="closed" { (why) } }
                        SignupAction::Manage => {
                            a.button.primary href={ "/activities/" (id) "/roster" } id="manage-roster" { "报名名单" }
                            a.button href={ "/activities/" (id) "/edit" } id="edit-activity" { "编辑" }
                            a.button href={ "/activities/" (id) "/checkin-qr" } id="show-checkin-qr" { "签到二维码" }
                            a.button href={ "/activities/" (id) "/report" } { "活动报道" }
                        }
                    }
                }
                @if matches!(d.action, SignupAction::Manage) && d.card.phase != "已取消" && d.card.phase != "活动结束" {
                    details.cancel-box {
                        summary { "取消活动" }
                        form method="post" action={ "/activities/" (id) "/cancel" } {
                            (csrf_field(&ctx.csrf))
                            p { "取消后，已报名的志愿者会看到“活动已取消”，不能再报名。此操作不能撤销。" }
                            label.check { input type="checkbox" name="confirm" value="yes"; "确认取消这个活动" }
                            button.danger type="submit" id="cancel-activity" { "取消活动" }
                        }
                    }
                }
                h2 { "活动内容" }
                p.pre { (d.description) }
                @if !d.risk_note.is_empty() { h2 { "安全提示" } p.pre { (d.risk_note) } }
            }
            @if let Some(on) = d.featured {
                section.card id="feature-case" {
                    h2 { "典型案例" }
                    form method="post" action="/admin/featured" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="kind" value="case";
                        input type="hidden" name="id" value=(id);
                        @if on {
                            input type="hidden" name="action" value="remove";
                            button type="submit" { "取消典型案例" }
                        } @else {
                            input type="hidden" name="action" value="add";
                            div.field { label for="f-feature-text" { "推荐语（显示在首页）" } textarea id="f-feature-text" name="text" rows="2" {} }
                            button.primary type="submit" id="feature-activity" { "设为典型案例" }
                        }
                    }
                }
            }
            @if let Some((text, photos)) = d.report {
                section.card id="report" {
                    h2 { "活动报道" }
                    p.pre { (text) }
                    div.photos { @for p in photos.iter() { a href=(p) { img src=(p) alt="活动照片" loading="lazy"; } } }
                }
            }
        },
    )
}

/// The publishing form.
pub struct ActivityFormSpec<'a> {
    pub heading: &'a str,
    pub action: &'a str,
    /// A warning that needs an explicit confirmation (capacity below signups, times moved).
    pub confirm: Option<&'a str>,
    pub draft_allowed: bool,
    /// The demand (需求) this activity answers, carried through the form.
    pub demand: Option<&'a str>,
}

/// 活动发布 / 编辑.
pub fn form(
    ctx: &PageCtx,
    form: &FormState,
    regions: &RegionOptions,
    spec: &ActivityFormSpec,
) -> Markup {
    let dt = |name: &'static str, label: &'static str| {
        Field {
            kind: "datetime-local",
            ..Field::text(name, label, form.value(name))
        }
        .error(form.error(name))
        .render()
    };
    html! {
        (page(ctx, spec.heading, html! {
            h1 { (spec.heading) }
            (form_feedback(form))
            form id="activity-form" method="post" action={ (spec.action) (ERROR_SUMMARY_ANCHOR) } enctype="multipart/form-data" novalidate {
                (default_submit())
                (csrf_field(&ctx.csrf))
                @if let Some(d) = spec.demand { input type="hidden" name="demand" value=(d); p.flash { "本活动为对接一项服务需求而发布。" } }
                fieldset {
                    legend { "基本信息" }
                    (Field::text("title", "活动名称", form.value("title")).error(form.error("title")).render())
                    (select_field("service_category", "服务类别", &dict::service_categories().names(), form.value("service_category"), form.error("service_category")))
                    div.field.has-error[form.error("description").is_some()] {
                        label for="f-description" { "活动内容" }
                        textarea id="f-description" name="description" rows="5" required aria-invalid=[form.error("description").map(|_| "true")] { (form.value("description")) }
                        @if let Some(e) = form.error("description") { p.error { (e) } }
                    }
                }
                (region_fields(form, regions, "activity"))
                fieldset {
                    legend { "地点与联系人" }
                    (Field::text("address", "详细地址", form.value("address")).error(form.error("address")).render())
                    (Field::text("contact_name", "联系人", form.value("contact_name")).error(form.error("contact_name")).render())
                    (Field::phone("contact_phone", "联系电话", form.value("contact_phone")).error(form.error("contact_phone")).render())
                }
                fieldset {
                    legend { "时间与人数" }
                    (dt("signup_opens", "报名开始"))
                    (dt("signup_closes", "报名截止"))
                    (dt("starts_at", "活动开始"))
                    (dt("ends_at", "活动结束"))
                    (Field { inputmode: Some("numeric"), ..Field::text("capacity", "人数上限（0 表示不限）", form.value("capacity")) }.error(form.error("capacity")).render())
                }
                div.field.has-error[form.error("risk_note").is_some()] {
                    label for="f-risk_note" { "安全提示（选填）" }
                    textarea id="f-risk_note" name="risk_note" rows="3" { (form.value("risk_note")) }
                    @if let Some(e) = form.error("risk_note") { p.error { (e) } }
                }
                div.field.has-error[form.error("cover").is_some()] {
                    label for="f-cover" { "封面图片（选填，JPEG/PNG/WebP，5 MB 以内）" }
                    input id="f-cover" type="file" name="cover" accept="image/jpeg,image/png,image/webp";
                    @if let Some(e) = form.error("cover") { p.error { (e) } }
                }
                @if let Some(w) = spec.confirm {
                    div.card.notice id="confirm-box" {
                        p { (w) }
                        label.check { input type="checkbox" name="confirm" value="yes"; "我已知晓，确认修改" }
                    }
                }
                div.row-actions {
                    button.primary type="submit" name="publish" value="yes" id="publish" { "确认发布" }
                    @if spec.draft_allowed { button type="submit" name="publish" value="no" id="save-draft" { "保存草稿" } }
                }
            }
        }))
    }
}

/// One activity on 我发布的活动.
pub struct PublishedLine {
    pub id: String,
    pub title: String,
    pub when: String,
    pub phase: &'static str,
    pub phase_css: &'static str,
    pub signed: String,
    /// Hours not recorded by the 10-working-day deadline.
    pub overdue: Option<String>,
}

/// 我发布的活动: the team's activities by phase with counts.
pub fn published(
    ctx: &PageCtx,
    team_id: &str,
    org_name: &str,
    tabs: &[(&'static str, usize)],
    current: &str,
    lines: &[PublishedLine],
) -> Markup {
    page(
        ctx,
        "我发布的活动",
        html! {
            h1 { (org_name) " · 我发布的活动" }
            p { a.button.primary href={ "/team/" (team_id) "/activities/new" } id="new-activity" { "发布新活动" } }
            nav.tabs {
                @for (label, n) in tabs {
                    a.active[*label == current] href={ "/team/" (team_id) "/activities?phase=" (label) } { (label) " (" (n) ")" }
                }
            }
            @if lines.iter().any(|l| l.overdue.is_some()) {
                p.form-error id="overdue-warning" { "有活动结束超过10个工作日仍未记录服务时长，请尽快记录。" }
            }
            div.table-wrap { table.list.stack id="published" {
                thead { tr { th { "活动" } th { "时间" } th { "状态" } th { "报名" } th { "" } } }
                tbody { @for l in lines {
                    tr {
                        td data-label="活动" { a href={ "/activities/" (l.id) } { (l.title) } @if let Some(o) = &l.overdue { " " span.badge.bad { (o) } } }
                        td data-label="时间" { (l.when) } td data-label="状态" { span.badge.(l.phase_css) { (l.phase) } } td data-label="报名" { (l.signed) }
                        td data-label="" { a href={ "/activities/" (l.id) "/roster" } { "名单" } }
                    }
                } }
            } }
        },
    )
}

/// One person on a roster.
pub struct RosterLine {
    pub volunteer_id: String,
    pub name: String,
    pub phone: String,
    pub signed_up_at: String,
    pub state: &'static str,
    pub check_in: String,
    pub check_out: String,
    pub hours: String,
    pub default_hours: String,
    pub attended: bool,
    pub can_mark: bool,
    pub corrections: Vec<String>,
}

/// The roster of an activity with attendance and hours.
pub fn roster(
    ctx: &PageCtx,
    activity_id: &str,
    title: &str,
    lines: &[RosterLine],
    form: &FormState,
) -> Markup {
    let base = format!("/activities/{activity_id}");
    page(
        ctx,
        "报名名单",
        html! {
            h1 { (title) " · 报名名单" }
            p.row-actions {
                a.button href={ (base) "/roster.xlsx" } id="roster-xlsx" { "下载名单（Excel）" }
                a.button href={ (base) "/sign-sheet" } id="sign-sheet" { "打印签到表" }
                a.button href={ (base) "/checkin-qr" } { "签到二维码" }
                a.button href={ (base) "/report" } { "活动报道" }
            }
            (form_feedback(form))
            div.table-wrap { table.list.stack id="roster" {
                thead { tr { th { "姓名" } th { "手机号" } th { "报名时间" } th { "状态" } th { "签到" } th { "签退" } th { "时长" } th { "" } } }
                tbody { @for l in lines {
                    tr {
                        td data-label="姓名" { (l.name) } td data-label="手机号" { (l.phone) } td data-label="报名时间" { (l.signed_up_at) } td data-label="状态" { (l.state) }
                        td data-label="签到" { (l.check_in) } td data-label="签退" { (l.check_out) }
                        td data-label="时长" {
                            (l.hours)
                            @for c in &l.corrections { br; small.muted { (c) } }
                        }
                        td.row-actions data-label="" {
                            @if l.can_mark {
                                form method="post" action={ (base) "/attendance" } {
                                    (csrf_field(&ctx.csrf)) input type="hidden" name="volunteer" value=(l.volunteer_id);
                                    input type="hidden" name="attended" value="yes";
                                    button type="submit" { "到场" }
                                }
                                form method="post" action={ (base) "/attendance" } {
                                    (csrf_field(&ctx.csrf)) input type="hidden" name="volunteer" value=(l.volunteer_id);
                                    input type="hidden" name="attended" value="no";
                                    button.danger type="submit" { "缺席" }
                                }
                            }
                        }
                    }
                } }
            } }
            @if lines.iter().any(|l| l.attended) {
                section.card id="hours" {
                    h2 { "记录服务时长" }
                    p.muted { "默认按签到签退时间或活动时长计算，以 0.5 小时为单位，可以修改。每次修改都会记录修改人和时间。" }
                    form method="post" action={ (base) "/hours" } novalidate {
                        (csrf_field(&ctx.csrf))
                        @for l in lines.iter().filter(|l| l.attended) {
                            @let name = format!("hours_{}", l.volunteer_id);
                            @let value = if form.value(&name).is_empty() { l.default_hours.clone() } else { form.value(&name).to_string() };
                            div.field.has-error[form.error(&name).is_some()] {
                                label for={ "f-" (name) } { (l.name) "（小时）" }
                                input id={ "f-" (name) } type="text" name=(name) value=(value) inputmode="decimal";
                                @if let Some(e) = form.error(&name) { p.error { (e) } }
                            }
                        }
                        button.primary type="submit" id="save-hours" { "保存服务时长" }
                    }
                }
            }
        },
    )
}

/// The printable sign-in sheet (签到表).
pub fn sign_sheet(
    site: &str,
    title: &str,
    facts: &[(&'static str, String)],
    rows: &[(String, String)],
) -> Markup {
    html! {
        (maud::DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { (title) " 签到表" } link rel="stylesheet" href="/assets/app.css"; }
            body.print {
                main.sheet {
                    h1 { (site) " · " (title) " 签到表" }
                    p { @for (k, v) in facts { (k) "：" (v) "　" } }
                    table.list.sheet-table id="sheet" {
                        thead { tr { th { "序号" } th { "姓名" } th { "手机号" } th { "签到时间" } th { "本人签名" } } }
                        tbody {
                            @for (i, (n, p)) in rows.iter().enumerate() { tr { td { (i + 1) } td { (n) } td { (p) } td {} td {} } }
                            @for i in rows.len()..rows.len() + 5 { tr { td { (i + 1) } td {} td {} td {} td {} } }
                        }
                    }
                    p.muted { "负责人签字：____________　　日期：____________" }
                }
            }
        }
    }
}

/// The check-in QR code shown on the laptop during the activity.
pub fn checkin_qr(
    ctx: &PageCtx,
    title: &str,
    url: &str,
    svg: Option<&str>,
    window: &str,
) -> Markup {
    page(
        ctx,
        "签到二维码",
        html! {
            section.card.join id="checkin-qr" {
                h1 { (title) }
                p { "请志愿者登录后用手机扫码签到。签到时间：" (window) }
                @if let Some(s) = svg { div.qr { (PreEscaped(s)) } }
                p.muted { code { (url) } }
            }
        },
    )
}

/// The volunteer's check-in page reached by the QR code.
pub struct CheckinPage<'a> {
    pub id: &'a str,
    pub token: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub can_in: bool,
    pub can_out: bool,
    pub message: Option<&'a str>,
}

/// 签到 / 签退 on the volunteer's phone.
pub fn checkin(ctx: &PageCtx, d: &CheckinPage) -> Markup {
    let CheckinPage {
        id,
        token,
        title,
        status,
        can_in,
        can_out,
        message,
    } = *d;
    page(
        ctx,
        "活动签到",
        html! {
            section.card id="checkin" {
                h1 { (title) }
                p id="checkin-status" { (status) }
                @if let Some(m) = message { p.form-error role="alert" { (m) } }
                div.row-actions {
                    @if can_in {
                        form method="post" action={ "/activities/" (id) "/checkin" } {
                            (csrf_field(&ctx.csrf)) input type="hidden" name="t" value=(token);
                            button.primary type="submit" id="check-in" { "签到" }
                        }
                    }
                    @if can_out {
                        p.muted { "服务结束、离开现场时再点击签退。" }
                        form method="post" action={ "/activities/" (id) "/checkout" } {
                            (csrf_field(&ctx.csrf)) input type="hidden" name="t" value=(token);
                            button type="submit" id="check-out" { "签退" }
                        }
                    }
                }
            }
        },
    )
}

/// The report form.
pub fn report_form(
    ctx: &PageCtx,
    id: &str,
    title: &str,
    form: &FormState,
    photos: &[String],
) -> Markup {
    page(
        ctx,
        "活动报道",
        html! {
            h1 { (title) " · 活动报道" }
            (form_feedback(form))
            form id="report-form" method="post" action={ "/activities/" (id) "/report" } enctype="multipart/form-data" novalidate {
                (csrf_field(&ctx.csrf))
                div.field.has-error[form.error("text").is_some()] {
                    label for="f-text" { "活动情况（2000 字以内）" }
                    textarea id="f-text" name="text" rows="8" { (form.value("text")) }
                    @if let Some(e) = form.error("text") { p.error { (e) } }
                }
                @if !photos.is_empty() {
                    p { "已有照片（" (photos.len()) " 张）" }
                    div.photos { @for p in photos { img src=(p) alt="活动照片"; } }
                }
                div.field.has-error[form.error("photos").is_some()] {
                    label for="f-photos" { "添加照片（最多 9 张，JPEG/PNG/WebP，每张 5 MB 以内）" }
                    input id="f-photos" type="file" name="photos" multiple accept="image/jpeg,image/png,image/webp";
                    @if let Some(e) = form.error("photos") { p.error { (e) } }
                }
                button.primary type="submit" id="save-report" { "保存报道" }
            }
        },
    )
}

/// One of my activities.
pub struct MyLine {
    pub card: ActivityCard,
    pub state: &'static str,
    pub hours: String,
}

/// 我参加的活动.
pub fn mine(ctx: &PageCtx, phase: &str, tab: &str, q: &str, lines: &[MyLine]) -> Markup {
    page(
        ctx,
        "我参加的活动",
        html! {
            h1 { "我参加的活动" }
            nav.tabs id="quick-tabs" {
                @for (t, label) in [("", "全部"), ("pending", "待参加"), ("ended", "已结束")] {
                    a.active[tab == t] href={ "/me/activities?tab=" (t) } { (label) }
                }
            }
            form.card method="get" action="/me/activities" id="my-filter" {
                (Field { required: false, ..Field::text("q", "活动名称", q) }.render())
                (filter_select("phase", "状态", &["报名中", "报名结束", "活动进行中", "活动结束"], phase))
                input type="hidden" name="tab" value=(tab);
                button.primary type="submit" { "查询" }
            }
            @if lines.is_empty() { p.muted id="no-mine" { "没有符合条件的活动。" a href="/activities" { "去报名" } } }
            div.cards id="mine" {
                @for l in lines {
                    section.card.activity {
                        h2 { a href={ "/activities/" (l.card.id) } { (l.card.title) } " " span.badge.(l.card.phase_css) { (l.card.phase) } }
                        p.muted { (l.card.team) " · " (l.state) @if !l.hours.is_empty() { " · 服务时长 " (l.hours) " 小时" } }
                        p { (l.card.when) }
                        p { (l.card.region) }
                    }
                }
            }
        },
    )
}

/// The service record page.
pub fn service_record(
    ctx: &PageCtx,
    rows: &[(String, String, String, String, String)],
    total: &str,
    certificates: &[(String, String)],
) -> Markup {
    page(
        ctx,
        "志愿服务记录",
        html! {
            h1 { "我的志愿服务记录" }
            p id="total-hours" { "累计服务时长：" strong { (total) } " 小时" }
            div.table-wrap { table.list.stack id="record" {
                thead { tr { th { "日期" } th { "活动" } th { "地点" } th { "组织" } th { "时长（小时）" } } }
                tbody { @for (d, t, p, o, h) in rows { tr { td data-label="日期" { (d) } td data-label="活动" { (t) } td data-label="地点" { (p) } td data-label="组织" { (o) } td data-label="时长" { (h) } } } }
            } }
            @if !rows.is_empty() {
                form method="post" action="/me/certificate" {
                    (csrf_field(&ctx.csrf))
                    button.primary type="submit" id="issue-certificate" { "开具志愿服务记录证明" }
                }
            }
            @if !certificates.is_empty() {
                h2 { "已开具的证明" }
                ul { @for (n, d) in certificates { li { a href={ "/certificates/" (n) } { (n) } " · " (d) } } }
            }
        },
    )
}

/// A printable certificate.
pub struct CertificateView<'a> {
    pub number: &'a str,
    pub name: &'a str,
    pub masked_id: &'a str,
    pub lines: &'a [(String, String, String, String)],
    pub total: &'a str,
    pub issuer: &'a str,
    pub issued_on: &'a str,
    pub verify_url: &'a str,
    pub qr: Option<&'a str>,
}

/// 志愿服务记录证明, laid out for printing.
pub fn certificate(c: &CertificateView) -> Markup {
    html! {
        (maud::DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "志愿服务记录证明 " (c.number) } link rel="stylesheet" href="/assets/app.css"; }
            body.print {
                main.sheet id="certificate" {
                    h1.center { "志愿服务记录证明" }
                    p.right { "编号：" span id="cert-number" { (c.number) } }
                    p { "兹证明 " strong { (c.name) } "（身份证号 " (c.masked_id) "）参加以下科技志愿服务：" }
                    table.list {
                        thead { tr { th { "日期" } th { "服务内容" } th { "组织单位" } th { "服务时间（小时）" } } }
                        tbody { @for (d, t, o, h) in c.lines { tr { td { (d) } td { (t) } td { (o) } td { (h) } } } }
                    }
                    p { "累计服务时间：" strong id="cert-total" { (c.total) } " 小时。" }
                    p.right { "记录单位：" (c.issuer) }
                    p.right { "出具日期：" (c.issued_on) }
                    div.verify {
                        @if let Some(q) = c.qr { div.qr-small { (PreEscaped(q)) } }
                        p.muted { "真伪查验：" (c.verify_url) }
                    }
                }
            }
        }
    }
}

/// `/verify/<number>`: whether a certificate number is genuine.
pub fn verify(ctx: &PageCtx, number: &str, found: Option<(&str, &str, &str, &str)>) -> Markup {
    page(
        ctx,
        "证明查验",
        html! {
            section.card id="verify" {
                h1 { "志愿服务记录证明查验" }
                @match found {
                    Some((name, total, issuer, date)) => {
                        p.badge.ok id="genuine" { "真实有效" }
                        dl.facts {
                            dt { "编号" } dd { (number) }
                            dt { "姓名" } dd { (name) }
                            dt { "累计服务时间" } dd { (total) " 小时" }
                            dt { "记录单位" } dd { (issuer) }
                            dt { "出具日期" } dd { (date) }
                        }
                    }
                    None => { p.badge.bad id="not-found" { "查无此证明编号：" (number) } p { "请核对编号，或联系出具单位。" } }
                }
            }
        },
    )
}
